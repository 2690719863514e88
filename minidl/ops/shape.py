"""Shape ops: they move, copy or drop elements but never change a value.

So every backward here is the same move run the other way: a reshape's gradient
is reshaped back, a permutation's is permuted by the inverse permutation, a
concatenation's is split, a flip's is flipped again, a padding's is cropped.

``expand``/``broadcast_to`` return a broadcast *view* (no copy); their backward
just hands back ``g`` and the engine's ``sum_to`` adds up the copies.
"""
from __future__ import annotations

import operator

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ._util import ensure_tensor, normalize_dim, normalize_dims
from .indexing import getitem
from ..errors import ArgumentTypeError, ShapeError

__all__ = [
    "reshape", "view", "transpose", "swapaxes", "permute", "movedim", "flatten", "unflatten",
    "squeeze", "unsqueeze", "expand", "broadcast_to", "repeat", "cat", "concat", "concatenate",
    "stack", "split", "chunk", "flip", "roll", "pad",
]


def _sizes(op: str, args) -> tuple:
    """``f(x, 2, 3)`` and ``f(x, (2, 3))`` both mean (2, 3); entries become Python ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        raise ArgumentTypeError(f"{op}: expected integer sizes, got {args!r}") from None


# ----------------------------------------------------------------- reshape
class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


def reshape(x, *shape):
    """The same elements (in C order) in a new shape; one size may be -1 (inferred).

    Args:
        x: input tensor.
        shape: the new shape, as ints or one tuple.

    Example:
        >>> import minidl
        >>> reshape(minidl.arange(6), 2, -1).shape
        (2, 3)
        >>> minidl.arange(6).view((3, 2)).shape
        (3, 2)
    """
    x = ensure_tensor(x)
    shape = _sizes("reshape", shape)
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    bad = shape.count(-1) > 1 or any(s < -1 for s in shape) or (
        known != x.numel() if -1 not in shape else (known == 0 or x.numel() % known != 0))
    if bad:
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.numel()} elements) into shape {shape}")
    return Reshape.apply(x, shape)


view = reshape


# ----------------------------------------------------------- permutations
class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(np.argsort(ctx.dims)), None  # the inverse permutation


def permute(x, *dims):
    """Reorder the dimensions: output dim i is input dim ``dims[i]``.

    Example:
        >>> import minidl
        >>> permute(minidl.zeros(2, 3, 4), 2, 0, 1).shape
        (4, 2, 3)
    """
    x = ensure_tensor(x)
    dims = _sizes("permute", dims)
    if len(dims) != x.ndim:
        raise ShapeError(f"permute: expected {x.ndim} dims for a tensor of shape {x.shape}, "
                         f"got {dims}")
    dims = tuple(normalize_dim(d, x.ndim, "permute") for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the dims of shape {x.shape}")
    return Permute.apply(x, dims)


def transpose(x, dim0: int, dim1: int):
    """Swap two dimensions.

    Example:
        >>> import minidl
        >>> transpose(minidl.zeros(2, 3, 4), 0, -1).shape
        (4, 3, 2)
    """
    x = ensure_tensor(x)
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0 = normalize_dim(dim0, x.ndim, "transpose")
    d1 = normalize_dim(dim1, x.ndim, "transpose")
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, tuple(dims))


swapaxes = transpose


def movedim(x, source: int, destination: int):
    """Move dimension ``source`` to position ``destination``, keeping the others' order.

    Example:
        >>> import minidl
        >>> movedim(minidl.zeros(2, 3, 4), 0, -1).shape
        (3, 4, 2)
    """
    x = ensure_tensor(x)
    src = normalize_dim(source, x.ndim, "movedim")
    dst = normalize_dim(destination, x.ndim, "movedim")
    dims = [d for d in range(x.ndim) if d != src]
    dims.insert(dst, src)
    return Permute.apply(x, tuple(dims))


# ------------------------------------------------- reshapes with a purpose
def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim`` .. ``end_dim`` into one.

    Example:
        >>> import minidl
        >>> flatten(minidl.zeros(8, 3, 4, 4), 1).shape
        (8, 48)
    """
    x = ensure_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def unflatten(x, dim: int, sizes):
    """Split dim ``dim`` into several with the given ``sizes`` (one may be -1).

    Example:
        >>> import minidl
        >>> unflatten(minidl.zeros(8, 48), 1, (3, 4, 4)).shape
        (8, 3, 4, 4)
    """
    x = ensure_tensor(x)
    d = normalize_dim(dim, x.ndim, "unflatten")
    sizes = _sizes("unflatten", (sizes,))
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        sizes = tuple(x.shape[d] // known if s == -1 else s for s in sizes)
    if int(np.prod(sizes, dtype=np.int64)) != x.shape[d]:
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to the size "
                         f"{x.shape[d]} of dim {dim} of shape {x.shape}")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def squeeze(x, dim=None):
    """Drop size-1 dims: all of them, or those of ``dim`` (an int or a tuple) that are size 1.

    Example:
        >>> import minidl
        >>> squeeze(minidl.zeros(2, 1, 3, 1)).shape, squeeze(minidl.zeros(2, 1, 3, 1), 1).shape
        ((2, 3), (2, 3, 1))
    """
    x = ensure_tensor(x)
    if dim is None:
        dims = range(x.ndim)
    elif x.ndim == 0:
        normalize_dims(dim, 0, "squeeze")
        return x
    else:
        dims = normalize_dims(dim, x.ndim, "squeeze")
    drop = {d for d in dims if x.shape[d] == 1}
    return reshape(x, tuple(s for d, s in enumerate(x.shape) if d not in drop))


def unsqueeze(x, dim: int):
    """Insert a size-1 dim at position ``dim`` (in ``[-ndim-1, ndim]``).

    Example:
        >>> import minidl
        >>> unsqueeze(minidl.zeros(2, 3), -1).shape
        (2, 3, 1)
    """
    x = ensure_tensor(x)
    d = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


# ------------------------------------------------------- expand and repeat
class Expand(Function):
    """A broadcast view: every copy of an element reads the same memory.

    Backward returns ``g`` of the expanded shape; the engine's ``sum_to`` adds the
    copies' gradients back up into x's shape.
    """

    @staticmethod
    def forward(ctx, x, shape):
        return array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


def expand(x, *sizes):
    """Broadcast size-1 dims (and new leading dims) to ``sizes``, without copying.

    Args:
        x: input tensor.
        sizes: target shape as ints or one tuple; -1 keeps that dim's size.

    Example:
        >>> import minidl
        >>> expand(minidl.zeros(3, 1), 2, -1, 4).shape
        (2, 3, 4)
    """
    x = ensure_tensor(x)
    sizes = _sizes("expand", sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: the target {sizes} has fewer dims than the tensor's {x.shape}")
    shape = []
    for i, s in enumerate(sizes):
        old = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise ShapeError(f"expand: -1 is not allowed for the new leading dim {i} "
                                 f"in {sizes}")
            s = old
        if old is not None and old != 1 and old != s:
            raise ShapeError(f"expand: cannot expand shape {x.shape} to {sizes}: dim {i} has "
                             f"size {old}, which is neither 1 nor {s}")
        shape.append(s)
    shape = tuple(shape)
    if shape == x.shape:
        return x
    return Expand.apply(x, shape)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (NumPy rules), without copying.

    Example:
        >>> import minidl
        >>> broadcast_to(minidl.tensor([1.0, 2.0]), (3, 2)).tolist()
        [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]
    """
    return expand(x, *_sizes("broadcast_to", (shape,)))


class Repeat(Function):
    """Tile x ``repeats`` times along each dim (``np.tile``).

    Viewing g of shape (r0*s0, r1*s1, ...) as (r0, s0, r1, s1, ...) and summing
    over the r axes adds up the gradients of all copies of each element.
    """

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats = repeats
        return array_module(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        split = []
        for r, s in zip(ctx.repeats, ctx.shape):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g, None


def repeat(x, *repeats):
    """Copy x ``repeats[i]`` times along each dim i (a copy, unlike expand).

    Example:
        >>> import minidl
        >>> repeat(minidl.tensor([1.0, 2.0]), 2, 2).tolist()
        [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    x = ensure_tensor(x)
    repeats = _sizes("repeat", repeats)
    if any(r < 0 for r in repeats):
        raise ShapeError(f"repeat: repeats must be non-negative, got {repeats}")
    if len(repeats) < x.ndim:
        raise ShapeError(f"repeat: need at least {x.ndim} repeats for shape {x.shape}, "
                         f"got {repeats}")
    return Repeat.apply(x, repeats)


# ----------------------------------------------------- concatenate and split
class Cat(Function):
    """y = [x_1, x_2, ...] joined along ``dim``; backward splits g at the same places."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        xp = array_module(*arrays)
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1].tolist()
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(array_module(g).split(g, ctx.bounds, axis=ctx.dim))


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dim; all other sizes must match.

    Args:
        tensors: a sequence of tensors with the same ndim.
        dim: the dimension to join along.

    Example:
        >>> import minidl
        >>> cat([minidl.zeros(2, 3), minidl.ones(1, 3)]).shape
        (3, 3)
    """
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    d = normalize_dim(dim, first.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or any(a != b for k, (a, b) in
                                       enumerate(zip(t.shape, first.shape)) if k != d):
            raise ShapeError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"tensor 0's {first.shape} outside dim {dim}")
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """Join same-shaped tensors along a new dim ``dim``.

    Example:
        >>> import minidl
        >>> stack([minidl.zeros(2, 3), minidl.ones(2, 3)], dim=1).shape
        (2, 2, 3)
    """
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: expects tensors of equal shape, got {tensors[0].shape} "
                             f"for tensor 0 and {t.shape} for tensor {i}")
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Cut x along ``dim`` into pieces of a given size (the last may be smaller) or sizes.

    Args:
        x: input tensor.
        split_size_or_sections: an int (size of each piece) or a list of sizes summing
            to ``x.size(dim)``.
        dim: the dimension to cut.

    Example:
        >>> import minidl
        >>> [t.shape for t in split(minidl.zeros(5, 2), 2)]
        [(2, 2), (2, 2), (1, 2)]
        >>> [t.shape for t in split(minidl.zeros(5, 2), [1, 4])]
        [(1, 2), (4, 2)]
    """
    x = ensure_tensor(x)
    d = normalize_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ShapeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(f"split: sizes {sizes} do not add up to the size {n} of dim {dim}")
    pieces, start = [], 0
    for s in sizes:
        pieces.append(getitem(x, (slice(None),) * d + (slice(start, start + s),)))
        start += s
    return tuple(pieces)


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """Cut x into ``chunks`` pieces of equal size along ``dim`` (the last may be smaller).

    Example:
        >>> import minidl
        >>> [t.shape for t in chunk(minidl.zeros(6, 2), 3)]
        [(2, 2), (2, 2), (2, 2)]
    """
    x = ensure_tensor(x)
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
    d = normalize_dim(dim, x.ndim, "chunk")
    size = max(-(-x.shape[d] // chunks), 1)  # ceil division
    return split(x, size, d)


# ---------------------------------------------------------------- flip, roll
class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module(x).flip(x, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return array_module(g).flip(g, axis=ctx.dims), None


def flip(x, dims):
    """Reverse the order of elements along ``dims`` (an int or a tuple).

    Example:
        >>> import minidl
        >>> flip(minidl.tensor([[1.0, 2.0], [3.0, 4.0]]), 1).tolist()
        [[2.0, 1.0], [4.0, 3.0]]
    """
    x = ensure_tensor(x)
    dims = normalize_dims(dims, x.ndim, "flip")
    if x.ndim == 0 or not dims:
        return x
    return Flip.apply(x, dims)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return array_module(g).roll(g, back, axis=ctx.dims), None, None


def roll(x, shifts, dims=None):
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor if None).

    Example:
        >>> import minidl
        >>> roll(minidl.tensor([1.0, 2.0, 3.0]), 1).tolist()
        [3.0, 1.0, 2.0]
    """
    x = ensure_tensor(x)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            raise ArgumentTypeError("roll: without dims, shifts must be a single int")
        return Roll.apply(x, int(shifts), None)
    if isinstance(dims, (int, np.integer)):
        dims, shifts = (dims,), (shifts,)
    dims = tuple(normalize_dim(d, x.ndim, "roll") for d in dims)
    shifts = tuple(int(s) for s in shifts)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: got {len(shifts)} shifts for {len(dims)} dims")
    return Roll.apply(x, shifts, dims)


# ----------------------------------------------------------------------- pad
class ConstantPad(Function):
    """Add ``before``/``after`` elements of ``value`` around each dim (negative: crop).

    Forward crops the dims with negative amounts, then pads the positive ones.
    Backward reads the un-padded middle of g and puts it where the cropped part
    of x was (zeros for what was cropped away).
    """

    @staticmethod
    def forward(ctx, x, widths, value):
        xp = array_module(x)
        ctx.shape = x.shape
        ctx.crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
        grow = [(max(b, 0), max(a, 0)) for b, a in widths]
        ctx.inner = tuple(slice(b, b + (c.stop - c.start)) for (b, _), c in zip(grow, ctx.crop))
        return xp.pad(x[ctx.crop], grow, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        g_crop = g[ctx.inner]
        if g_crop.shape == ctx.shape:
            return g_crop, None, None
        gx = array_module(g).zeros(ctx.shape, dtype=g.dtype)
        gx[ctx.crop] = g_crop
        return gx, None, None


def pad(x, pad, mode: str = "constant", value: float = 0.0):  # noqa: A002 (PyTorch's names)
    """Pad (or, with negative amounts, crop) the last dims of x with a constant.

    ``pad`` lists amounts for the last dim first, as PyTorch does:
    ``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two.

    Args:
        x: input tensor.
        pad: an even-length sequence of ints; negative values crop.
        mode: only ``"constant"`` here; ``minidl.nn.functional.pad`` adds the others.
        value: the fill value.

    Shape:
        output: x's shape with ``pad[2i] + pad[2i+1]`` added to dim ``-1-i``.

    Example:
        >>> import minidl
        >>> pad(minidl.ones(1, 2), (1, 2)).tolist()
        [[0.0, 1.0, 1.0, 0.0, 0.0]]
        >>> pad(minidl.ones(3, 3), (0, 0, 1, -1)).shape
        (3, 3)
    """
    x = ensure_tensor(x)
    if mode != "constant":
        raise ShapeError(f"pad: mode {mode!r} is not handled by minidl.ops.pad (constant only); "
                         "use minidl.nn.functional.pad for reflect/replicate/circular")
    pad = _sizes("pad", (tuple(pad),))
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"pad: expected an even number of at most {2 * x.ndim} amounts for "
                         f"shape {x.shape}, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (b, a), n in zip(widths, x.shape):
        if n + b + a < 0 or -b > n or -a > n:
            raise ShapeError(f"pad: amounts {pad} crop more than the shape {x.shape} holds")
    if all(w == (0, 0) for w in widths):
        return x
    return ConstantPad.apply(x, tuple(widths), value)
