"""Small helpers shared by the op families (argument normalisation, error text)."""
from __future__ import annotations

import numbers
from ..errors import ArgumentTypeError, ShapeError

__all__ = ["normalize_dim", "normalize_dims", "resolve_dim_kwargs", "ensure_tensor"]


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative int, or an IndexError naming ``op``."""
    size = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise ArgumentTypeError(f"{op}: dim must be an int, got {dim!r}")
    dim = int(dim)  # NumPy integers too
    if not -size <= dim < size:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-size}, {size - 1}], "
            f"but got {dim})")
    return dim % size


def normalize_dims(dim, ndim: int, op: str) -> tuple | None:
    """``None`` (all dims), an int or a sequence of ints -> a sorted tuple of dims (or None)."""
    if dim is None:
        return None
    if isinstance(dim, numbers.Integral):
        dim = (dim,)
    dims = tuple(sorted(normalize_dim(d, ndim, op) for d in dim))
    if len(set(dims)) != len(dims):
        raise ShapeError(f"{op}: dim {tuple(dim)} repeats a dimension")
    return dims


def resolve_dim_kwargs(op: str, dim, keepdim, kwargs: dict):
    """Accept NumPy's ``axis``/``keepdims`` as aliases of PyTorch's ``dim``/``keepdim``."""
    if "axis" in kwargs:
        if dim is not None:
            raise ArgumentTypeError(f"{op}: pass dim or axis, not both")
        dim = kwargs.pop("axis")
    if "keepdims" in kwargs:
        keepdim = kwargs.pop("keepdims")
    if kwargs:
        raise ArgumentTypeError(f"{op}: unexpected keyword arguments {sorted(kwargs)}")
    return dim, bool(keepdim)


def ensure_tensor(x):
    """``x`` itself when it is a Tensor, else a Tensor made from it (arrays, lists, numbers)."""
    from ..tensor import Tensor  # noqa: PLC0415 (tensor imports the ops at the end)

    return x if isinstance(x, Tensor) else Tensor(x)
