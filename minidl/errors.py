"""The errors minidl raises, in one small hierarchy.

Code written for PyTorch catches ``RuntimeError`` around tensor code; code written
for NumPy and plain Python catches ``ValueError`` or ``TypeError``. minidl's shape
and argument errors are subclasses of both, so either kind of ``except`` works::

    MinidlError                          every error minidl defines
    +-- ShapeError        (RuntimeError, ValueError)   shapes that do not fit the op
    +-- ArgumentError     (RuntimeError, ValueError)   an argument's value is not allowed
    +-- DTypeError        (RuntimeError, TypeError)    a tensor of the wrong dtype
    +-- ArgumentTypeError (RuntimeError, TypeError)    an argument of the wrong Python type
    +-- DeviceError       (RuntimeError)               tensors on different devices
    +-- AutogradError     (RuntimeError)               backward cannot be computed correctly
        +-- InplaceError                               an in-place change autograd forbids

Every message names the function or layer, what it expected and what it got.

Example:
    >>> import minidl
    >>> try:
    ...     minidl.ones(2, 3) @ minidl.ones(2, 3)
    ... except RuntimeError as e:   # PyTorch-style
    ...     print(type(e).__name__, isinstance(e, ValueError))
    ShapeError True
"""
from __future__ import annotations

__all__ = ["MinidlError", "ShapeError", "ArgumentError", "DTypeError", "ArgumentTypeError",
           "DeviceError", "AutogradError", "InplaceError"]


class MinidlError(Exception):
    """Base class of every error minidl defines (``except minidl.errors.MinidlError``)."""


class ShapeError(MinidlError, RuntimeError, ValueError):
    """The shapes of the inputs do not fit the op (matmul of (2, 3) and (2, 3), ...)."""


class ArgumentError(MinidlError, RuntimeError, ValueError):
    """An argument's value is not allowed (a negative stride, an unknown mode, ...)."""


class DTypeError(MinidlError, RuntimeError, TypeError):
    """A tensor has a dtype the op does not take (a float index for gather, ...)."""


class ArgumentTypeError(MinidlError, RuntimeError, TypeError):
    """An argument has the wrong Python type (a float where an int dim is needed, ...)."""


class DeviceError(MinidlError, RuntimeError):
    """The tensors of one op live on different devices."""


class AutogradError(MinidlError, RuntimeError):
    """Backward cannot give the right gradient (a freed graph, a changed saved tensor, ...)."""


class InplaceError(AutogradError):
    """An in-place change that autograd forbids: on a leaf that requires grad, or to a
    tensor that a recorded op saved for its backward."""
