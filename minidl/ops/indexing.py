"""Indexing ops: ``x[index]``, ``gather``, ``index_select``, ``masked_fill``.

Forward is NumPy/CuPy indexing. Backward has to send each output gradient back
to the input position it was read from, and *add* it there when a position was
read several times (``x[[0, 0, 1]]`` reads ``x[0]`` twice, so ``x.grad[0]``
gets the sum of both gradients).

How the scatter-add is done (the choice matters on the GPU):

* basic indexing (ints, slices, None, Ellipsis) never reads a position twice,
  so backward writes the gradient into zeros at the same index: ``gx[index] = g``;
* advanced indexing (integer arrays, boolean masks) may repeat positions.
  ``np.add.at`` would do it but is slow and is not the same on CuPy. Instead we
  turn every read into a *linear* position in the flattened input and let
  ``xp.bincount(positions, weights=g, minlength=x.size)`` add up the gradients
  that land on the same position. ``bincount`` is one vectorised call on both
  NumPy and CuPy. The linear positions of an arbitrary index are found by
  indexing ``arange(x.size).reshape(x.shape)`` with the very same index.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import ensure_tensor, normalize_dim
from ..errors import ArgumentError, DTypeError, ShapeError

__all__ = ["getitem", "gather", "index_select", "masked_fill", "take_along_dim",
           "scatter_add_along_dim"]


# ------------------------------------------------------------ scatter-add helpers
def _bincount_scatter(xp, positions, values, size: int):
    """Sum ``values`` into a flat array of ``size`` zeros at ``positions`` (repeats add up)."""
    out = xp.bincount(positions.ravel(), weights=values.ravel(), minlength=size)
    return out.astype(values.dtype, copy=False)


def scatter_add_along_dim(shape: tuple, dim: int, index, src):
    """Zeros of ``shape`` with ``src[..., j, ...]`` added at ``[..., index[..., j, ...], ...]``.

    The adjoint of :func:`gather`: ``out[i_0, .., index[i], .., i_n] += src[i]``
    for every position ``i`` of ``index`` (repeated indices add up). Works on raw
    arrays of either backend.

    Args:
        shape: shape of the result.
        dim: the dimension that ``index`` indexes.
        index: integer array, same ndim as ``shape``, ``index.shape[d] <= shape[d]``.
        src: values, same shape as ``index``.

    Example:
        >>> import numpy as np
        >>> scatter_add_along_dim((3,), 0, np.array([0, 2, 0]), np.array([1.0, 2.0, 3.0])).tolist()
        [4.0, 0.0, 2.0]
    """
    xp = array_module(index, src)
    index = index.astype(np.int64, copy=False)
    # linear position of every element of ``index`` in a C-ordered array of ``shape``
    positions = xp.zeros(index.shape, dtype=np.int64)
    for d, size in enumerate(shape):
        if d == dim:
            coord = index
        else:
            coord = xp.arange(index.shape[d], dtype=np.int64).reshape(
                (-1,) + (1,) * (index.ndim - d - 1))
        positions = positions * size + coord
    total = int(np.prod(shape, dtype=np.int64))
    return _bincount_scatter(xp, positions, src, total).reshape(shape)


# ---------------------------------------------------------------------- getitem
def _is_advanced(item) -> bool:
    """True for index parts that trigger NumPy's advanced indexing (arrays, lists, bools)."""
    return hasattr(item, "shape") and getattr(item, "ndim", 0) > 0 or isinstance(item, list)


def _convert_index(index, x):
    """Tensors and lists in an index -> arrays on ``x``'s device; ints/slices unchanged."""
    xp = array_module(x)

    def convert(item):
        if isinstance(item, Tensor):
            item = item._array
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) and xp is not np:
            item = xp.asarray(item)
        return item

    if isinstance(index, tuple):
        return tuple(convert(i) for i in index)
    return convert(index)


class GetItem(Function):
    """y = x[index]. Backward scatters g into zeros shaped like x (see the module notes)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        parts = index if isinstance(index, tuple) else (index,)
        ctx.advanced = any(_is_advanced(p) for p in parts)
        return x[index]

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        shape, index = ctx.shape, ctx.index
        if not ctx.advanced:  # every position read at most once: plain write
            gx = xp.zeros(shape, dtype=g.dtype)
            gx[index] = g
            return gx, None
        size = int(np.prod(shape, dtype=np.int64))
        pos_dtype = np.int32 if size < 2**31 else np.int64
        positions = xp.arange(size, dtype=pos_dtype).reshape(shape)[index]
        return _bincount_scatter(xp, positions, g, size).reshape(shape), None


def getitem(x, index):
    """``x[index]`` with NumPy semantics; gradients of repeated positions add up.

    Args:
        x: the tensor to index.
        index: int, slice, None, Ellipsis, an integer or boolean array/list/Tensor,
            or a tuple of these.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x[[0, 0, 2]].sum().backward()
        >>> x.grad.tolist()
        [2.0, 0.0, 1.0]
    """
    x = ensure_tensor(x)
    index = _convert_index(index, x._array)
    try:
        return GetItem.apply(x, index)
    except IndexError as err:
        raise IndexError(f"getitem: cannot index a tensor of shape {x.shape} with "
                         f"{_describe(index)}: {err}") from err


def _describe(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(f"array{tuple(p.shape)}" if hasattr(p, "shape") else repr(p)
                           for p in parts) + "]"


# ------------------------------------------------------------------------ gather
class Gather(Function):
    """y[i] = x[i_0, .., index[i], .., i_n] along ``dim``; backward is a scatter-add."""

    @staticmethod
    def forward(ctx, x, dim, index):
        xp = array_module(x)
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        # take_along_axis needs x's other dims to match index's: read the leading block
        block = tuple(slice(None) if d == dim else slice(0, index.shape[d]) for d in range(x.ndim))
        return xp.take_along_axis(x[block], index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        return scatter_add_along_dim(ctx.shape, ctx.dim, index, g), None, None


def gather(x, dim: int, index):
    """Pick values along ``dim``: ``out[i][j][k] = x[i][index[i][j][k]][k]`` for dim=1.

    Args:
        x: input tensor.
        dim: the dimension to pick along.
        index: int64 tensor with ``x.ndim`` dims and ``index.size(d) <= x.size(d)``
            for ``d != dim``.

    Shape:
        output: the shape of ``index``.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> gather(x, 1, minidl.tensor([[0, 0], [1, 0]])).tolist()
        [[1.0, 1.0], [4.0, 3.0]]
    """
    x = ensure_tensor(x)
    dim = normalize_dim(dim, x.ndim, "gather")
    index = _convert_index(index, x._array)
    xp = array_module(x._array)
    index = xp.asarray(index)
    if index.dtype.kind not in "iu":
        raise DTypeError(f"gather: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != x.ndim:
        raise ShapeError(f"gather: index must have as many dims as input ({x.ndim}), "
                         f"got index of shape {tuple(index.shape)}")
    for d in range(x.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise ShapeError(f"gather: index of shape {tuple(index.shape)} is larger than "
                             f"input of shape {x.shape} in dim {d}")
    if index.size:  # NumPy would wrap negative indices and raise its own IndexError
        low, high = int(index.min()), int(index.max())
        if low < 0 or high >= x.shape[dim]:
            bad = low if low < 0 else high
            raise ArgumentError(f"gather: index {bad} is out of bounds for dim {dim} with size "
                                f"{x.shape[dim]} (indices must be in [0, {x.shape[dim]}))")
    return Gather.apply(x, dim, index)


def take_along_dim(x, indices, dim: int):
    """Like :func:`gather`, but ``indices`` broadcasts against ``x`` (NumPy's take_along_axis).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[10.0, 30.0, 20.0]])
        >>> take_along_dim(x, x.argmax(dim=1, keepdim=True), 1).tolist()
        [[30.0]]
    """
    x = ensure_tensor(x)
    dim = normalize_dim(dim, x.ndim, "take_along_dim")
    xp = array_module(x._array)
    idx = xp.asarray(_convert_index(indices, x._array))
    shape = list(np.broadcast_shapes(tuple(x.shape[:dim] + (1,) + x.shape[dim + 1:]),
                                     tuple(idx.shape[:dim] + (1,) + idx.shape[dim + 1:])))
    x_shape = list(shape)
    x_shape[dim] = x.shape[dim]
    shape[dim] = idx.shape[dim]
    from .shape import expand  # noqa: PLC0415 (shape ops import this module's neighbours)
    return gather(expand(x, *x_shape), dim, xp.broadcast_to(idx, tuple(shape)))


def index_select(x, dim: int, index):
    """The entries of ``x`` at positions ``index`` (1-D) along ``dim``.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 2.0, 3.0]])
        >>> index_select(x, 1, minidl.tensor([2, 0])).tolist()
        [[3.0, 1.0]]
    """
    x = ensure_tensor(x)
    dim = normalize_dim(dim, x.ndim, "index_select")
    idx = _convert_index(index, x._array)
    if getattr(idx, "ndim", 1) != 1:
        raise ShapeError(f"index_select: index must be 1-D, got shape {tuple(idx.shape)}")
    return getitem(x, (slice(None),) * dim + (idx,))


def masked_fill(x, mask, value):
    """``x`` with ``value`` written where ``mask`` is true (mask broadcasts against x).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0, 3.0])
        >>> masked_fill(x, x > 1.5, 0.0).tolist()
        [1.0, 0.0, 0.0]
    """
    from .elementwise import where  # noqa: PLC0415

    x = ensure_tensor(x)
    mask = mask._array if isinstance(mask, Tensor) else mask
    if array_module(mask).asarray(mask).dtype != np.bool_:
        raise DTypeError(f"masked_fill: mask must be a bool tensor, got dtype "
                        f"{array_module(mask).asarray(mask).dtype}")
    if isinstance(value, Tensor) and value.numel() == 1 and not value.requires_grad:
        value = value.item()
    return where(mask, value, x)
