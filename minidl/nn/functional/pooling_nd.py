"""1-D and 3-D pooling, and max unpooling (1-D, 2-D, 3-D).

* max_pool1d and avg_pool1d are the 2-D pools of a (N, C, 1, L) image, one row high:
  the 2-D code (and its speed) is reused as it is.
* max_pool3d and avg_pool3d follow the 2-D recipe of :mod:`.pooling` over S spatial
  dimensions: loop over the prod(K) kernel *taps*; tap k of every window at once is one
  strided slice of the padded input, shaped like the output (see
  :func:`.im2col_nd.tap_slices_nd`). A max pool is the running maximum over the taps
  (keeping the winning tap of each window for backward); an average pool their sum over
  the divisor. Backward adds the gradient back through the same slices.
* max_unpool puts each value back at the position its max pool's index names, zeros
  elsewhere; its backward reads the gradient at those positions.

Notation as in :mod:`.im2col_nd`: x is (N, C, *I), kernel K, stride Z, padding P,
dilation R, output (N, C, *O). Loop references: ``max_pool_nd_reference``,
``avg_pool_nd_reference``, ``max_unpool_nd_reference``.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...backend import array_module
from ...errors import ArgumentError, DTypeError, ShapeError
from ...tensor import Tensor
from .im2col_nd import ntuple, output_size_nd, pad_nd, tap_slices_nd
from .pooling import _lowest, avg_pool2d, max_pool2d

__all__ = ["max_pool1d", "max_pool3d", "avg_pool1d", "avg_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d", "max_pool_nd_reference", "avg_pool_nd_reference",
           "max_unpool_nd_reference"]

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


# ---------------------------------------------------------------------- helpers
def _check_input(op: str, x, s: int) -> None:
    if x.ndim not in (s + 1, s + 2):
        raise ShapeError(
            f"{op}: expected a {s + 1}-D (C, {_SPATIAL[s]}) or {s + 2}-D (N, C, {_SPATIAL[s]}) "
            f"input, got shape {tuple(x.shape)}")


def _pool_geometry(op, s, shape, kernel_size, stride, padding, dilation, ceil_mode, pad_limit):
    """Check a pooling's arguments; return kernel, stride, padding pairs, dilation, out size.

    ``pad_limit(k, d)`` is the largest padding allowed for a kernel k with dilation d.
    """
    kernel = ntuple(kernel_size, s, "kernel_size", op)
    # stride=None (or PyTorch's stride=[]) means stride = kernel_size
    stride = kernel if stride is None or stride == [] or stride == () else ntuple(
        stride, s, "stride", op)
    padding = ntuple(padding, s, "padding", op)
    dilation = ntuple(dilation, s, "dilation", op)
    for name, value in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if min(value) < 1:
            raise ArgumentError(f"{op}: {name} must be positive, got {value}")
    if min(padding) < 0:
        raise ArgumentError(f"{op}: padding must be non-negative, got {padding}")
    limit = tuple(pad_limit(k, d) for k, d in zip(kernel, dilation))
    if any(p > m for p, m in zip(padding, limit)):
        raise ArgumentError(
            f"{op}: padding {padding} should be at most half of the (dilated) kernel size "
            f"{kernel}, i.e. at most {limit}")
    pads = tuple((p, p) for p in padding)
    out = output_size_nd(op, tuple(shape[-s:]), kernel, stride, pads, dilation, ceil_mode)
    return kernel, stride, pads, dilation, out


def _max_pad_limit(k, d):
    return (d * (k - 1) + 1) // 2


def _avg_pad_limit(k, d):
    return k // 2


def _ceil_extra(size, pads, kernel, stride, dilation, out):
    """How far ceil_mode's last windows reach past the padding, per dimension."""
    return tuple(max(0, (o - 1) * z + r * (k - 1) + 1 - (i + b + a))
                 for i, (b, a), k, z, r, o in zip(size, pads, kernel, stride, dilation, out))


def _crop(padded, size, pads):
    """The input region of a padded (N, C, *I') array."""
    return padded[(slice(None), slice(None))
                  + tuple(slice(b, b + i) for i, (b, _) in zip(size, pads))]


# ------------------------------------------------------------------- max pooling
class MaxPoolingNd(Function):
    """y = the maximum of each window over S dimensions; backward routes g to the winning tap."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out_size, extras):
        xp = array_module(x)
        s = len(kernel)
        unbatched = x.ndim == s + 1
        if unbatched:
            x = x[None]
        extra = _ceil_extra(x.shape[2:], pads, kernel, stride, dilation, out_size)
        xpad = pad_nd(x, pads, _lowest(x.dtype), extra)
        best = winner = None
        for j, (_, slices) in enumerate(tap_slices_nd(kernel, stride, dilation, out_size)):
            v = xpad[(slice(None), slice(None)) + slices]
            if best is None:
                best = v.copy()
                winner = xp.zeros(best.shape, dtype=np.int32)
                continue
            # strictly greater: ties keep the first tap in row-major order, as in PyTorch
            winner = xp.where(v > best, np.int32(j), winner)
            best = xp.maximum(best, v)       # (maximum carries NaNs through)
        if extras is not None:
            idx = _flat_indices(winner, x.shape[2:], kernel, stride, pads, dilation)
            extras["indices"] = idx[0] if unbatched else idx
        if ctx.needs_input_grad[0] and is_grad_enabled():
            ctx.save_for_backward(winner)
        ctx.geometry = (x.shape, xpad.shape, kernel, stride, pads, dilation, out_size, unbatched)
        return best[0] if unbatched else best

    @staticmethod
    def backward(ctx, g):
        (winner,) = ctx.saved_tensors
        in_shape, pad_shape, kernel, stride, pads, dilation, out_size, unbatched = ctx.geometry
        xp = array_module(g)
        if unbatched:
            g = g[None]
        gpad = xp.zeros(pad_shape, dtype=g.dtype)
        for j, (_, slices) in enumerate(tap_slices_nd(kernel, stride, dilation, out_size)):
            gpad[(slice(None), slice(None)) + slices] += g * (winner == j)
        gx = _crop(gpad, in_shape[2:], pads)
        return (gx[0] if unbatched else gx,) + (None,) * 6


def _flat_indices(winner, size, kernel, stride, pads, dilation):
    """The winning taps as PyTorch's indices: the flat position in the (*I) plane (int64)."""
    xp = array_module(winner)
    s = len(kernel)
    flat = None
    rest = winner.astype(np.int64)
    taps = []
    for k in reversed(kernel):              # the tap number, unravelled over the kernel
        rest, t = xp.divmod(rest, k)
        taps.insert(0, t)
    for i in range(s):
        shape = [1] * s
        shape[i] = winner.shape[2 + i]
        start = xp.arange(winner.shape[2 + i]).reshape(shape) * stride[i] - pads[i][0]
        pos = start + taps[i] * dilation[i]
        flat = pos if flat is None else flat * size[i] + pos
    return flat


def _max_pool_nd(op, s, input, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices):
    _check_input(op, input, s)
    kernel, stride, pads, dilation, out = _pool_geometry(
        op, s, input.shape, kernel_size, stride, padding, dilation, ceil_mode, _max_pad_limit)
    extras = {} if return_indices else None
    y = MaxPoolingNd.apply(input, kernel, stride, pads, dilation, out, extras)
    if return_indices:
        return y, Tensor._wrap(extras["indices"])
    return y


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling: the largest value of each KD x KH x KW window.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W) tensor.
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW); default ``kernel_size``.
        padding: int or (PD, PH, PW) of implicit -inf on both sides; at most half the
            (dilated) kernel.
        dilation: int or (DD, DH, DW), spacing of the taps inside a window.
        ceil_mode: round the output size up, keeping a last partial window (if it starts
            inside the input or the left padding).
        return_indices: also return each maximum's flat index ``(d * H + h) * W + w``
            into its input volume (int64, for max_unpool3d).

    Shape:
        (N, C, D, H, W) -> (N, C, OD, OH, OW), ``OD = floor((D + 2*PD - DD*(KD-1) - 1) / SD)
        + 1`` (``ceil`` with ceil_mode), likewise OH, OW.

    Example:
        >>> import minidl
        >>> x = minidl.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> y, idx = max_pool3d(x, 2, return_indices=True)
        >>> y.tolist(), idx.tolist()
        ([[[[[7.0]]]]], [[[[[7]]]]])
        >>> max_pool3d(minidl.randn(2, 3, 9, 8, 8), 3, stride=2, padding=1).shape
        (2, 3, 5, 4, 4)
    """
    return _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: the largest value of each window of K samples (max_pool2d one row high).

    Args:
        input: (N, C, L) or (C, L) tensor.
        kernel_size, stride, padding, dilation: ints (or 1-tuples); stride defaults to
            kernel_size; padding (implicit -inf) at most half the (dilated) kernel.
        ceil_mode: round the output size up.
        return_indices: also return the position of each maximum in its row (int64).

    Shape:
        (N, C, L) -> (N, C, OL), ``OL = floor((L + 2*P - D*(K-1) - 1) / S) + 1``.

    Example:
        >>> import minidl
        >>> y, idx = max_pool1d(minidl.tensor([[[1., 3., 2., 5., 4.]]]), 2, return_indices=True)
        >>> y.tolist(), idx.tolist()
        ([[[3.0, 5.0]]], [[[1, 3]]])
    """
    op = "max_pool1d"
    _check_input(op, input, 1)
    kernel, stride, pads, dilation, _ = _pool_geometry(
        op, 1, input.shape, kernel_size, stride, padding, dilation, ceil_mode, _max_pad_limit)
    result = max_pool2d(input.unsqueeze(-2), (1,) + kernel, (1,) + stride, (0, pads[0][0]),
                        (1,) + dilation, ceil_mode, return_indices)
    if return_indices:  # row * W + col is the column: the row is 0
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


# --------------------------------------------------------------- average pooling
def _avg_divisor(size, kernel, stride, pads, out, count_include_pad, divisor_override):
    """1 / (the number each window sum is divided by): a number or an array of shape O.

    PyTorch's rule: a window counts its padding (when ``count_include_pad``) but never the
    part that ceil_mode lets run past the padding.
    """
    if divisor_override:
        return 1.0 / divisor_override
    counts = []
    for n, k, z, (p, _), o in zip(size, kernel, stride, pads, out):
        start = np.arange(o) * z - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    divisor = functools.reduce(np.multiply.outer, counts)
    if (divisor == divisor.flat[0]).all():
        return 1.0 / float(divisor.flat[0])
    return 1.0 / divisor


class AvgPoolingNd(Function):
    """y = (sum of each window) / divisor over S dimensions; backward spreads g / divisor."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out_size, inv_divisor):
        xp = array_module(x)
        s = len(kernel)
        unbatched = x.ndim == s + 1
        if unbatched:
            x = x[None]
        if not isinstance(inv_divisor, float):
            inv_divisor = xp.asarray(inv_divisor, dtype=x.dtype)
        dilation = (1,) * s
        extra = _ceil_extra(x.shape[2:], pads, kernel, stride, dilation, out_size)
        xpad = pad_nd(x, pads, 0, extra)
        y = None
        for _, slices in tap_slices_nd(kernel, stride, dilation, out_size):
            v = xpad[(slice(None), slice(None)) + slices]
            y = v.copy() if y is None else y + v
        ctx.geometry = (x.shape, xpad.shape, kernel, stride, pads, out_size, inv_divisor,
                        unbatched)
        y = (y * inv_divisor).astype(x.dtype, copy=False)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        in_shape, pad_shape, kernel, stride, pads, out_size, inv_divisor, unbatched = \
            ctx.geometry
        xp = array_module(g)
        if unbatched:
            g = g[None]
        g = g * inv_divisor
        gpad = xp.zeros(pad_shape, dtype=g.dtype)
        for _, slices in tap_slices_nd(kernel, stride, (1,) * len(kernel), out_size):
            gpad[(slice(None), slice(None)) + slices] += g
        gx = _crop(gpad, in_shape[2:], pads)
        return (gx[0] if unbatched else gx,) + (None,) * 5


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling: the mean of each KD x KH x KW window.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W) tensor.
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW); default ``kernel_size``.
        padding: int or (PD, PH, PW) zeros on both sides; at most half the kernel.
        ceil_mode: round the output size up (see :func:`max_pool3d`).
        count_include_pad: count the padding zeros in the divisor (default True); when
            False a window is divided by the number of real input voxels it covers.
        divisor_override: divide every window sum by this number instead.

    Shape:
        (N, C, D, H, W) -> (N, C, OD, OH, OW), ``OD = floor((D + 2*PD - KD) / SD) + 1``.

    Example:
        >>> import minidl
        >>> avg_pool3d(minidl.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[3.5]]]]]
    """
    op = "avg_pool3d"
    _check_input(op, input, 3)
    kernel, stride, pads, _, out = _pool_geometry(
        op, 3, input.shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pad_limit)
    if divisor_override is not None and divisor_override <= 0:
        raise ArgumentError(f"{op}: divisor_override must be positive, got {divisor_override}")
    inv_divisor = _avg_divisor(input.shape[-3:], kernel, stride, pads, out, count_include_pad,
                               divisor_override)
    return AvgPoolingNd.apply(input, kernel, stride, pads, out, inv_divisor)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling: the mean of each window of K samples (avg_pool2d one row high).

    Args:
        input: (N, C, L) or (C, L) tensor.
        kernel_size, stride, padding: ints (or 1-tuples); stride defaults to kernel_size;
            padding (zeros) at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the divisor (default True).

    Shape:
        (N, C, L) -> (N, C, OL), ``OL = floor((L + 2*P - K) / S) + 1``.

    Example:
        >>> import minidl
        >>> avg_pool1d(minidl.tensor([[[1., 3., 2., 6., 4.]]]), 2).tolist()
        [[[2.0, 4.0]]]
    """
    op = "avg_pool1d"
    _check_input(op, input, 1)
    kernel, stride, pads, _, _ = _pool_geometry(
        op, 1, input.shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pad_limit)
    y = avg_pool2d(input.unsqueeze(-2), (1,) + kernel, (1,) + stride, (0, pads[0][0]),
                   ceil_mode, count_include_pad)
    return y.squeeze(-2)


# ------------------------------------------------------------------ max unpooling
class MaxUnpooling(Function):
    """y = zeros with x's values put at the given flat positions; dL/dx = g read there."""

    @staticmethod
    def forward(ctx, x, indices, out_size):
        xp = array_module(x)
        s = len(out_size)
        unbatched = x.ndim == s + 1
        lead = x.shape[:-s]                              # (N, C) or (C,)
        planes, plane = math.prod(lead), math.prod(out_size)
        rows = xp.arange(planes).reshape(planes, 1)
        flat_idx = indices.reshape(planes, -1)
        y = xp.zeros((planes, plane), dtype=x.dtype)
        y[rows, flat_idx] = x.reshape(planes, -1)
        ctx.save_for_backward(flat_idx)
        ctx.shapes = (x.shape, planes, unbatched)
        return y.reshape(tuple(lead) + tuple(out_size))

    @staticmethod
    def backward(ctx, g):
        (flat_idx,) = ctx.saved_tensors
        in_shape, planes, _ = ctx.shapes
        rows = array_module(g).arange(planes).reshape(planes, 1)
        return g.reshape(planes, -1)[rows, flat_idx].reshape(in_shape), None, None


def _max_unpool(op, s, input, indices, kernel_size, stride, padding, output_size):
    _check_input(op, input, s)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise DTypeError(f"{op}: indices must be an integer tensor (from a max pool with "
                         f"return_indices=True), got {type(indices).__name__}"
                         + (f" of {indices.dtype}" if isinstance(indices, Tensor) else ""))
    if tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(f"{op}: expected indices of the input's shape {tuple(input.shape)}, "
                         f"got {tuple(indices.shape)}")
    kernel = ntuple(kernel_size, s, "kernel_size", op)
    stride = kernel if stride is None else ntuple(stride, s, "stride", op)
    padding = ntuple(padding, s, "padding", op)
    size = input.shape[-s:]
    default = tuple((i - 1) * z - 2 * p + k for i, z, p, k in zip(size, stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in (tuple(output_size)[-s:]))
        if len(out) != s:
            raise ShapeError(f"{op}: output_size must give ({_SPATIAL[s]}), got {output_size!r}")
        for o, d, z in zip(out, default, stride):
            if not d - z < o < d + z:
                raise ShapeError(
                    f"{op}: output_size {out} is not within a stride of the default size "
                    f"{default} (stride {stride})")
    plane = math.prod(out)
    if indices.numel() and (int(indices.min().item()) < 0 or int(indices.max().item()) >= plane):
        raise ShapeError(f"{op}: found an index outside the output plane of {plane} elements "
                         f"(output size {out})")
    return MaxUnpooling.apply(input, indices, out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool1d`: each value goes back where its maximum was.

    Args:
        input: (N, C, L) or (C, L) tensor, a max pool's output.
        indices: the int64 tensor that max_pool1d returned with ``return_indices=True``.
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).
        output_size: the wanted (L_out,) (or the full shape); default
            ``(L - 1)*S - 2*P + K``.

    Shape:
        (N, C, L) -> (N, C, L_out); positions no maximum came from are 0.

    Example:
        >>> import minidl
        >>> y, idx = max_pool1d(minidl.tensor([[[1., 3., 2., 5.]]]), 2, return_indices=True)
        >>> max_unpool1d(y, idx, 2).tolist()
        [[[0.0, 3.0, 0.0, 5.0]]]
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`: each value goes back where its maximum was.

    Used by SegNet-style decoders to upsample with the encoder's pooling positions.

    Args:
        input: (N, C, H, W) or (C, H, W) tensor, a max pool's output.
        indices: the int64 tensor that max_pool2d returned with ``return_indices=True``
            (flat positions ``row * W_out + col``).
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).
        output_size: the wanted (H_out, W_out) (or the full shape, whose last two entries
            count); default ``H_out = (H - 1)*SH - 2*PH + KH``, likewise W_out.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out); positions no maximum came from are 0.

    Example:
        >>> import minidl
        >>> from minidl.nn.functional import max_pool2d
        >>> x = minidl.tensor([[[[1., 2.], [4., 3.]]]])
        >>> y, idx = max_pool2d(x, 2, return_indices=True)
        >>> max_unpool2d(y, idx, 2).tolist()
        [[[[0.0, 0.0], [4.0, 0.0]]]]
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d`: each value goes back where its maximum was.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W) tensor, a max pool's output.
        indices: the int64 tensor that max_pool3d returned with ``return_indices=True``.
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).
        output_size: the wanted (D_out, H_out, W_out) (or the full shape); default
            ``D_out = (D - 1)*SD - 2*PD + KD``, likewise H_out, W_out.

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out); other positions are 0.

    Example:
        >>> import minidl
        >>> y, idx = max_pool3d(minidl.arange(8.0).reshape(1, 1, 2, 2, 2), 2,
        ...                     return_indices=True)
        >>> max_unpool3d(y, idx, 2).flatten().tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    """
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


# ------------------------------------------------------------------- references
def _reference_geometry(x, s, kernel_size, stride, padding, dilation, ceil_mode):
    from .pooling import _reference_out

    kernel = ntuple(kernel_size, s, "kernel_size", "reference")
    stride = kernel if stride is None else ntuple(stride, s, "stride", "reference")
    padding = ntuple(padding, s, "padding", "reference")
    dilation = ntuple(dilation, s, "dilation", "reference")
    out = tuple(_reference_out(i, k, z, p, r, ceil_mode) for i, k, z, p, r in
                zip(x.shape[2:], kernel, stride, padding, dilation))
    return kernel, stride, padding, dilation, out


def max_pool_nd_reference(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                          return_indices=False):
    """Max pooling over S = x.ndim - 2 dimensions by explicit loops (NumPy; for tests).

    ``y[n, c, i] = max over taps k of x[n, c, i*Z + k*R - P]``, taps in the padding skipped.
    """
    x = np.asarray(x)
    s = x.ndim - 2
    kernel, stride, padding, dilation, out = _reference_geometry(
        x, s, kernel_size, stride, padding, dilation, ceil_mode)
    y = np.full(x.shape[:2] + out, -np.inf, dtype=x.dtype)
    idx = np.zeros(x.shape[:2] + out, dtype=np.int64)
    for n, c in np.ndindex(*x.shape[:2]):
        for i in np.ndindex(*out):
            for k in np.ndindex(*kernel):
                pos = tuple(a * z + e * r - p for a, z, e, r, p in
                            zip(i, stride, k, dilation, padding))
                if all(0 <= q < m for q, m in zip(pos, x.shape[2:])) \
                        and x[(n, c) + pos] > y[(n, c) + i]:
                    y[(n, c) + i] = x[(n, c) + pos]
                    idx[(n, c) + i] = np.ravel_multi_index(pos, x.shape[2:])
    return (y, idx) if return_indices else y


def avg_pool_nd_reference(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                          count_include_pad=True, divisor_override=None):
    """Average pooling over S dimensions by explicit loops: each window's sum over its real
    elements, divided by its divisor (padding counted or not; never past the padding)."""
    x = np.asarray(x)
    s = x.ndim - 2
    kernel, stride, padding, _, out = _reference_geometry(
        x, s, kernel_size, stride, padding, 1, ceil_mode)
    y = np.zeros(x.shape[:2] + out, dtype=x.dtype)
    for i in np.ndindex(*out):
        lo = [a * z - p for a, z, p in zip(i, stride, padding)]
        hi = [min(b + k, m + p) for b, k, m, p in zip(lo, kernel, x.shape[2:], padding)]
        inner = tuple(slice(max(b, 0), min(e, m)) for b, e, m in zip(lo, hi, x.shape[2:]))
        if divisor_override:
            divisor = divisor_override
        elif count_include_pad:
            divisor = math.prod(e - b for b, e in zip(lo, hi))
        else:
            divisor = math.prod(sl.stop - sl.start for sl in inner)
        y[(slice(None), slice(None)) + i] = x[(slice(None), slice(None)) + inner].sum(
            axis=tuple(range(2, 2 + s))) / divisor
    return y


def max_unpool_nd_reference(x, indices, out_size):
    """Max unpooling by loops: every value written at its flat index of its output plane."""
    x, indices = np.asarray(x), np.asarray(indices)
    s = len(out_size)
    y = np.zeros(x.shape[:-s] + tuple(out_size), dtype=x.dtype)
    for lead in np.ndindex(*x.shape[:-s]):
        for i in np.ndindex(*x.shape[-s:]):
            y[lead + np.unravel_index(indices[lead + i], out_size)] = x[lead + i]
    return y
