"""Questions about tensors that PyTorch answers at the top level: ``is_tensor``, ``numel``,
``allclose``. None is differentiable; each returns a Python value.

Example:
    >>> import minidl
    >>> x = minidl.tensor([1.0, 2.0])
    >>> minidl.is_tensor(x), minidl.numel(x), minidl.allclose(x, x + 1e-9)
    (True, 2, True)
"""
from __future__ import annotations

from . import backend
from .errors import ArgumentTypeError, ShapeError
from .tensor import Tensor

__all__ = ["is_tensor", "numel", "allclose"]


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a minidl Tensor (a Parameter is one)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise ArgumentTypeError(f"numel: expected a Tensor, got {type(input).__name__}")
    return input.numel()


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``|input - other| <= atol + rtol * |other|`` everywhere (broadcasting).

    Args:
        input, other: tensors of broadcastable shapes, on the same device.
        rtol, atol: relative and absolute tolerance.
        equal_nan: count NaN in both at the same place as equal.
    """
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise ArgumentTypeError(f"allclose: expected {name} to be a Tensor, got "
                                    f"{type(t).__name__}")
    a, b = input._array, other._array
    xp = backend.array_module(a)
    try:
        close = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise ShapeError(f"allclose: shapes {input.shape} and {other.shape} cannot be "
                         "broadcast together") from None
    return bool(close.all())
