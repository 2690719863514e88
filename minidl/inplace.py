"""In-place tensor changes with PyTorch's rules: what ``add_``, ``zero_``, ``+=`` and
``t[i] = v`` do to autograd.

Three rules, checked in this order (docs/autograd.md):

1. A leaf that requires grad (a parameter) may change in place only where gradients are
   not recorded (``with minidl.no_grad():``, as initialisation and optimizers do) or
   through ``p.data``; elsewhere the change is refused, because the gradient would be of a
   value the parameter no longer has.
2. When an operand requires grad, the change is recorded: the tensor takes the op's node
   as its ``grad_fn`` (its old history becomes that node's input), exactly as if
   ``t = op(t, ...)`` had been written, but the tensor object and its memory stay.
3. Every change adds one to the version of the tensor's storage (:mod:`minidl.autograd.version`),
   except through ``.data``; backward refuses to use an array saved before the change.

An in-place op is computed by the out-of-place op of the same name and its result written
into the tensor's memory, so each has exactly one forward and one backward, in
:mod:`minidl.ops`.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .autograd import version
from .autograd.grad_mode import is_grad_enabled, no_grad
from .errors import DTypeError, InplaceError, ShapeError

__all__ = ["check_leaf", "write", "apply", "overwrite", "returns_view"]

# The ops whose output shares its input's memory: an in-place change of such an output
# would also change the input behind its node's back (PyTorch rewrites the input's
# history; minidl refuses, see check_view).
_VIEW_NODES = {"Reshape", "Permute", "Expand"}


def returns_view(node) -> bool:
    """Whether the recorded ``node`` produced a view of its input's memory."""
    name = node.fn.__name__
    if name == "GetItem":
        return not node.__dict__.get("advanced", True)  # basic indexing gives views
    return name in _VIEW_NODES


def check_leaf(t, op: str) -> None:
    """Rule 1: refuse an in-place change of a leaf that requires grad while recording."""
    if t.grad_fn is None and t._requires_grad and is_grad_enabled():
        raise InplaceError(
            f"{op}: a leaf tensor that requires grad (a parameter) is being used in an "
            "in-place operation; do it under minidl.no_grad() (as initialisation and "
            "optimizers do), or write through .data")


def _check_view(t, op: str) -> None:
    if t.grad_fn is not None and t._array.base is not None and returns_view(t.grad_fn):
        raise InplaceError(
            f"{op}: in-place change of a view ({t.grad_fn.name()}) of a tensor that requires "
            "grad; minidl cannot update the viewed tensor's history. Change a .clone() instead")


def write(t, array, op: str) -> None:
    """Put ``array`` (broadcast, cast) into ``t``'s memory and count the change (rule 3)."""
    if array.shape != t._array.shape and np.broadcast_shapes(array.shape, t.shape) != t.shape:
        raise ShapeError(f"{op}: the result has shape {tuple(array.shape)}, which does not "
                         f"fit the tensor's shape {t.shape}")
    if array.dtype != t._array.dtype and not np.can_cast(array.dtype, t._array.dtype,
                                                         casting="same_kind"):
        raise DTypeError(f"{op}: the result has dtype {array.dtype}, which cannot be written "
                         f"into a tensor of dtype {t.dtype} in place")
    if array is not t._array:
        t._array[...] = array
    if t._versioned:
        version.bump(t._array, op)


def apply(t, op: str, fn, *args, **kwargs):
    """``t = fn(t, *args)`` in place: compute out of place, write into ``t``, record (rule 2)."""
    from .tensor import Tensor

    check_leaf(t, op)
    record = is_grad_enabled() and (t._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    if not record:
        with no_grad():
            out = fn(t, *args, **kwargs)
        write(t, _array_of(out, t), op)
        return t
    _check_view(t, op)
    out = fn(t, *args, **kwargs)
    node = out.grad_fn
    if node is not None:
        _keep_saved_copies(node, t._array)
    write(t, _array_of(out, t), op)
    if node is not None:
        t.grad_fn = node
        t._requires_grad = True
    return t


def overwrite(t, array, op: str) -> None:
    """Replace all of ``t``'s values by ``array`` (fill_, zero_, the random fills).

    The old values no longer matter, so neither does their history: a non-leaf tensor
    that is overwritten becomes a constant (no grad_fn, requires_grad False).
    """
    check_leaf(t, op)
    if is_grad_enabled() and t.grad_fn is not None:
        _check_view(t, op)
        t.grad_fn = None
        t._requires_grad = False
    write(t, array, op)


def _array_of(out, t):
    """The array of an op's result, on ``t``'s device."""
    array = out._array if hasattr(out, "_array") else out
    return backend.to_device(array, t.device) if type(array) is not type(t._array) else array


def _keep_saved_copies(node, array) -> None:
    """The new node may have saved ``array`` itself (mul_ saves its first operand); it is
    about to be overwritten, so the node keeps a copy instead."""
    root = version.storage_of(array)
    saved = node._saved
    if not any(hasattr(a, "dtype") and version.storage_of(a) is root for a in saved):
        return
    node.save_for_backward(*(a.copy() if hasattr(a, "dtype") and version.storage_of(a) is root
                             else a for a in saved))
