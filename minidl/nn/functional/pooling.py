"""Pooling: max and average over sliding windows, and their adaptive versions.

Notation as in :mod:`.im2col`: x is (N, C, H, W), windows are KH x KW taps DH/DW apart,
moved by SH/SW, over an input padded by PT, PB, PL, PR; the output is (N, C, OH, OW).

Every windowed op here loops over the KH*KW kernel *taps*, never over pixels: tap
(kh, kw) of all windows at once reads one strided slice of the padded input, the same
shape as the output (``xpad[:, :, kh*DH : ... : SH, kw*DW : ... : SW]``). So a 2x2
max pool is the element-wise maximum of four slices, and its backward adds the
gradient back through the same four slices.

Reading every SW-th element is slow (no SIMD, and whole cache lines are fetched for
half their values), so for stride > 1 the padded input is first split once into its
SH*SW *phase planes*, ``planes[a, b] = xpad[a::SH, b::SW]``; then every tap is a block
of one plane with unit stride along W (``_phase_planes``, ``_taps``). For a 3x3 stride-2
max pool this made the forward about 3x faster.

* max pool: y = max over taps; the winning tap of each window is kept (one byte per
  output) so that backward sends the gradient only there; ties go to the first tap,
  in row-major order, as in PyTorch.
* average pool: y = (sum over taps) / divisor; backward spreads g / divisor evenly.
* adaptive pools choose the windows from the output size: output row i pools input rows
  ``floor(i*H/OH) .. ceil((i+1)*H/OH) - 1`` (windows of varying size that may overlap).
  Adaptive average pooling is then two small matrix products, ``A_h @ x @ A_w^T``;
  adaptive max pooling takes the maximum along W, then along H.

Each op keeps a loop reference (``max_pool2d_reference`` ...) for tests and lectures.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...backend import array_module, kernels_for
from ...tensor import Tensor
from .im2col import is_channels_last, layout_buffer, output_hw, pad_hw, pair
from ...errors import ArgumentError, ArgumentTypeError, ShapeError

__all__ = [
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
    "max_pool2d_reference", "avg_pool2d_reference", "adaptive_avg_pool2d_reference",
    "adaptive_max_pool2d_reference",
]


# ---------------------------------------------------------------------- helpers
def _check_input(op: str, x) -> None:
    if x.ndim not in (3, 4):
        raise ShapeError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(x.shape)}")


def _as_4d(x):
    """(C, H, W) -> (1, C, H, W); 4-D inputs unchanged."""
    return x[None] if x.ndim == 3 else x


def _pool_geometry(op, shape, kernel_size, stride, padding, dilation, ceil_mode, pad_limit):
    """Check a pooling's arguments; return kernel, stride, padding pairs, dilation, out_hw.

    ``pad_limit(k, d)`` is the largest padding allowed for a kernel k with dilation d.
    """
    kernel = pair(kernel_size, "kernel_size", op)
    # stride=None (or PyTorch's stride=[]) means stride = kernel_size
    stride = kernel if stride is None or stride == [] or stride == () else pair(
        stride, "stride", op)
    padding = pair(padding, "padding", op)
    dilation = pair(dilation, "dilation", op)
    for name, value in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if min(value) < 1:
            raise ArgumentError(f"{op}: {name} must be positive, got {value}")
    if min(padding) < 0:
        raise ArgumentError(f"{op}: padding must be non-negative, got {padding}")
    limit = tuple(pad_limit(k, d) for k, d in zip(kernel, dilation))
    if padding[0] > limit[0] or padding[1] > limit[1]:
        raise ShapeError(
            f"{op}: padding {padding} should be at most half of the (dilated) kernel size "
            f"{kernel}, i.e. at most {limit}")
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    out_hw = output_hw(op, tuple(shape[-2:]), kernel, stride, pads, dilation, ceil_mode)
    return kernel, stride, pads, dilation, out_hw


def _taps_disjoint(kernel, stride, dilation) -> bool:
    """True when no two taps of any windows read the same pixel (e.g. 2x2 stride 2)."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _lowest(dtype):
    """The padding value that never wins a max: -inf (or the smallest integer)."""
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _phase_planes(x, pads, fill, kernel, stride, dilation, out_hw):
    """The padded input split by stride phase: (N, C, SH, SW, HQ, WQ).

    ``planes[n, c, a, b, i, j] = xpad[n, c, i*SH + a, j*SW + b]``, where xpad is x padded
    with ``fill`` (rows no window reads are left out). For stride 1 this is just xpad
    (no copy at all when there is no padding). The planes keep x's memory layout
    (channels last after a convolution), so the copy reads and writes whole runs.
    """
    (pt, pb), (pl, pr) = pads
    n, c, h, w = x.shape
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out_hw, stride, dilation, kernel)]
    sh, sw = stride
    if (sh, sw) == (1, 1):
        extra = (max(0, need[0] - (h + pt + pb)), max(0, need[1] - (w + pl + pr)))
        return pad_hw(x, pads, fill, extra)[:, :, None, None]
    hq, wq = -(-need[0] // sh), -(-need[1] // sw)
    planes = layout_buffer(array_module(x), (n, c, sh, sw, hq, wq), x.dtype,
                           is_channels_last(x), "planes")
    planes.fill(fill)
    for a, rows, i0 in _phases(sh, pt, h, hq):
        for b, cols, j0 in _phases(sw, pl, w, wq):
            src = x[:, :, rows, cols]
            planes[:, :, a, b, i0:i0 + src.shape[2], j0:j0 + src.shape[3]] = src
    return planes


def _phases(s: int, pad: int, size: int, q: int):
    """For each phase a along one axis: (a, the input slice that lands in it, its first index).

    Input row k sits at padded row k + pad, i.e. in phase (k + pad) % s at index (k + pad) // s.
    """
    for a in range(s):
        first = (a - pad) % s                     # first input row of phase a
        i0 = (first + pad) // s
        count = max(0, min(-(-(size - first) // s), q - i0))
        yield a, slice(first, first + s * count, s), i0


def _image_from_planes(planes, in_shape, pads, stride, channels_last=False):
    """The adjoint of :func:`_phase_planes`: the (N, C, H, W) image inside the planes."""
    (pt, _), (pl, _) = pads
    n, c, h, w = in_shape
    if tuple(stride) == (1, 1):
        return planes[:, :, 0, 0, pt:pt + h, pl:pl + w]
    # zeros: pixels that no window reads (a remainder below or right) get no gradient
    image = layout_buffer(array_module(planes), in_shape, planes.dtype, channels_last)
    image.fill(0)
    for a, rows, i0 in _phases(stride[0], pt, h, planes.shape[4]):
        for b, cols, j0 in _phases(stride[1], pl, w, planes.shape[5]):
            dst = image[:, :, rows, cols]
            dst[...] = planes[:, :, a, b, i0:i0 + dst.shape[2], j0:j0 + dst.shape[3]]
    return image


def _taps(planes, kernel, stride, dilation, out_hw):
    """For every kernel tap (kh, kw), the (N, C, OH, OW) view of the pixels it reads.

    Tap (kh, kw) of output (oh, ow) reads xpad[oh*SH + kh*DH, ow*SW + kw*DW], which is
    planes[(kh*DH) % SH, (kw*DW) % SW][oh + (kh*DH) // SH, ow + (kw*DW) // SW].
    """
    (oh, ow), (sh, sw) = out_hw, stride
    for kh in range(kernel[0]):
        r = kh * dilation[0]
        for kw in range(kernel[1]):
            q = kw * dilation[1]
            yield planes[:, :, r % sh, q % sw, r // sh:r // sh + oh, q // sw:q // sw + ow]


def _gradient_planes(g, planes_shape, stride, channels_last=False):
    """Zeroed planes to accumulate a gradient in (a fresh array for stride 1, as it is returned)."""
    xp = array_module(g)
    if tuple(stride) == (1, 1):
        return xp.zeros(planes_shape, dtype=g.dtype)
    gplanes = layout_buffer(xp, planes_shape, g.dtype, channels_last, "grad_planes")
    gplanes.fill(0)
    return gplanes


# ------------------------------------------------------------------- max pooling
class MaxPooling2d(Function):
    """y = the maximum of each window; backward routes g to the winning tap."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out_hw, extras):
        xp = array_module(x)
        unbatched = x.ndim == 3
        x = _as_4d(x)
        kernels = kernels_for(x)
        if kernels is not None:  # on a GPU: one CUDA kernel instead of the loop over taps
            return _max_pool_forward_kernel(ctx, kernels, x, kernel, stride, pads, dilation,
                                            out_hw, extras, unbatched)
        planes = _phase_planes(x, pads, _lowest(x.dtype), kernel, stride, dilation, out_hw)
        keep_winner = (ctx.needs_input_grad[0] and is_grad_enabled()) or extras is not None
        best = winner = None
        for j, v in enumerate(_taps(planes, kernel, stride, dilation, out_hw)):
            if best is None:
                best = xp.empty_like(v)       # in the planes' (the input's) memory layout
                best[...] = v
                if keep_winner:
                    n_taps = kernel[0] * kernel[1]
                    winner = xp.zeros_like(best, dtype=np.uint8 if n_taps <= 256 else np.int32)
                continue
            if keep_winner:
                # winner = where(v > best, j, winner); the taps come in increasing j, so this
                # is a running maximum (and much faster than copyto(..., where=))
                better = v > best             # strictly greater: ties keep the first tap
                xp.maximum(winner, better * winner.dtype.type(j), out=winner)
            xp.maximum(best, v, out=best)     # (maximum also carries NaNs through)
        if extras is not None:
            extras["indices"] = _flat_indices(winner, x.shape, kernel, stride, pads, dilation)
            if unbatched:
                extras["indices"] = extras["indices"][0]
        ctx.save_for_backward(winner)
        ctx.geometry = (x.shape, planes.shape, kernel, stride, pads, dilation, out_hw, unbatched)
        ctx.channels_last = is_channels_last(x)
        return best[0] if unbatched else best

    @staticmethod
    def backward(ctx, g):
        if getattr(ctx, "kernels", None) is not None:
            return _max_pool_backward_kernel(ctx, g)
        (winner,) = ctx.saved_tensors
        in_shape, planes_shape, kernel, stride, pads, dilation, out_hw, unbatched = ctx.geometry
        xp = array_module(g)
        g = _as_4d(g)
        gplanes = _gradient_planes(g, planes_shape, stride, ctx.channels_last)
        disjoint = _taps_disjoint(kernel, stride, dilation)
        share = None if disjoint else layout_buffer(xp, g.shape, g.dtype, ctx.channels_last,
                                                    "pool_share")
        for j, view in enumerate(_taps(gplanes, kernel, stride, dilation, out_hw)):
            if disjoint:  # every pixel is read by one tap at most: write, no add
                xp.multiply(g, winner == j, out=view)
            else:         # windows overlap: add tap j's share of g
                view += xp.multiply(g, winner == j, out=share)
        gx = _image_from_planes(gplanes, in_shape, pads, stride, ctx.channels_last)
        return (gx[0] if unbatched else gx,) + (None,) * 6


def _max_pool_forward_kernel(ctx, kernels, x, kernel, stride, pads, dilation, out_hw, extras,
                             unbatched):
    """MaxPooling2d.forward with the device's kernel (minidl.cuda): one thread per output."""
    best, winner = kernels.max_pool2d_forward(x, kernel, stride, pads, dilation, out_hw)
    if extras is not None:
        indices = _flat_indices(winner, x.shape, kernel, stride, pads, dilation)
        extras["indices"] = indices[0] if unbatched else indices
    ctx.save_for_backward(winner)
    ctx.kernels = kernels
    ctx.geometry = (x.shape, kernel, stride, pads, dilation, out_hw, unbatched)
    return best[0] if unbatched else best


def _max_pool_backward_kernel(ctx, g):
    """MaxPooling2d.backward with the device's kernel: each input pixel gathers its g."""
    (winner,) = ctx.saved_tensors
    in_shape, kernel, stride, pads, dilation, out_hw, unbatched = ctx.geometry
    gx = ctx.kernels.max_pool2d_backward(_as_4d(g), winner, in_shape, kernel, stride, pads,
                                         dilation, out_hw)
    return (gx[0] if unbatched else gx,) + (None,) * 6


def _flat_indices(winner, in_shape, kernel, stride, pads, dilation):
    """The winning taps as PyTorch's indices: ``row * W + col`` within each (H, W) plane."""
    xp = array_module(winner)
    h_in, w_in = in_shape[2:]
    oh, ow = winner.shape[2:]
    kh, kw = xp.divmod(winner.astype(np.int64), kernel[1])
    rows = xp.arange(oh).reshape(oh, 1) * stride[0] + kh * dilation[0] - pads[0][0]
    cols = xp.arange(ow) * stride[1] + kw * dilation[1] - pads[1][0]
    return rows * w_in + cols


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: the largest value of each KH x KW window.

    Args:
        input: (N, C, H, W) or (C, H, W) tensor.
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW); default ``kernel_size`` (windows side by side).
        padding: int or (PH, PW), implicit -inf on both sides; at most half the kernel.
        dilation: int or (DH, DW), spacing of the taps inside a window.
        ceil_mode: round the output size up, keeping a last partial window (if it starts
            inside the input or the left padding).
        return_indices: also return, for each output, the position of its maximum as a
            flat index ``row * W + col`` into its input plane (int64, for max_unpool).

    Shape:
        (N, C, H, W) -> (N, C, OH, OW), ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``
        (``ceil`` with ceil_mode).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[[1., 2., 5., 0.], [3., 4., 1., 1.]]]])
        >>> y, idx = max_pool2d(x, 2, return_indices=True)
        >>> y.tolist(), idx.tolist()
        ([[[[4.0, 5.0]]]], [[[[5, 2]]]])
    """
    op = "max_pool2d"
    _check_input(op, input)
    kernel, stride, pads, dilation, out_hw = _pool_geometry(
        op, input.shape, kernel_size, stride, padding, dilation, ceil_mode,
        lambda k, d: (d * (k - 1) + 1) // 2)
    extras = {} if return_indices else None
    y = MaxPooling2d.apply(input, kernel, stride, pads, dilation, out_hw, extras)
    if return_indices:
        return y, Tensor._wrap(extras["indices"])
    return y


# --------------------------------------------------------------- average pooling
def _avg_divisor(hw, kernel, stride, pads, out_hw, count_include_pad, divisor_override):
    """1 / (the number each window sum is divided by), a number or an (OH, OW) array.

    PyTorch's rule: a window counts its padding (when ``count_include_pad``) but never the
    part that ceil_mode lets run past the padding.
    """
    if divisor_override:
        return 1.0 / divisor_override
    counts = []
    for n, k, s, (p, _), o in zip(hw, kernel, stride, pads, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    divisor = np.outer(counts[0], counts[1])
    if (divisor == divisor.flat[0]).all():
        return 1.0 / float(divisor.flat[0])
    return 1.0 / divisor


class AvgPooling2d(Function):
    """y = (sum of each window) / divisor; backward spreads g / divisor over the window."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out_hw, inv_divisor):
        xp = array_module(x)
        unbatched = x.ndim == 3
        x = _as_4d(x)
        if not isinstance(inv_divisor, float):
            inv_divisor = xp.asarray(inv_divisor, dtype=x.dtype)
        ctx.geometry = (x.shape, kernel, stride, pads, out_hw, inv_divisor, unbatched)
        if _is_global(x.shape, kernel, pads, out_hw):  # one window over the whole plane
            y = x.sum(axis=(2, 3), keepdims=True)
        else:
            planes = _phase_planes(x, pads, 0, kernel, stride, (1, 1), out_hw)
            ctx.planes_shape, ctx.channels_last = planes.shape, is_channels_last(x)
            y = None
            for v in _taps(planes, kernel, stride, (1, 1), out_hw):
                if y is None:
                    y = xp.empty_like(v)      # in the planes' (the input's) memory layout
                    y[...] = v
                else:
                    y += v
        y *= inv_divisor
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        in_shape, kernel, stride, pads, out_hw, inv_divisor, unbatched = ctx.geometry
        xp = array_module(g)
        g = _as_4d(g) * inv_divisor
        if _is_global(in_shape, kernel, pads, out_hw):
            gx = xp.empty(in_shape, dtype=g.dtype)
            gx[...] = g  # broadcast over the plane
        else:
            gplanes = _gradient_planes(g, ctx.planes_shape, stride, ctx.channels_last)
            disjoint = _taps_disjoint(kernel, stride, (1, 1))
            for view in _taps(gplanes, kernel, stride, (1, 1), out_hw):
                if disjoint:
                    view[...] = g
                else:
                    view += g
            gx = _image_from_planes(gplanes, in_shape, pads, stride, ctx.channels_last)
        return (gx[0] if unbatched else gx,) + (None,) * 5


def _is_global(in_shape, kernel, pads, out_hw) -> bool:
    return (tuple(out_hw) == (1, 1) and tuple(kernel) == tuple(in_shape[2:])
            and pads == ((0, 0), (0, 0)))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: the mean of each KH x KW window.

    Args:
        input: (N, C, H, W) or (C, H, W) tensor.
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW); default ``kernel_size``.
        padding: int or (PH, PW) zeros on both sides; at most half the kernel.
        ceil_mode: round the output size up (see :func:`max_pool2d`).
        count_include_pad: count the padding zeros in the divisor (default True); when
            False a window is divided by the number of real input pixels it covers.
        divisor_override: divide every window sum by this number instead.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW), ``OH = floor((H + 2*PH - KH) / SH) + 1``.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[[1., 2., 5., 0.], [3., 4., 1., 1.]]]])
        >>> avg_pool2d(x, 2).tolist()
        [[[[2.5, 1.75]]]]
    """
    op = "avg_pool2d"
    _check_input(op, input)
    kernel, stride, pads, _, out_hw = _pool_geometry(
        op, input.shape, kernel_size, stride, padding, 1, ceil_mode, lambda k, d: k // 2)
    if divisor_override is not None and divisor_override <= 0:
        raise ShapeError(f"{op}: divisor_override must be positive, got {divisor_override}")
    inv_divisor = _avg_divisor(input.shape[-2:], kernel, stride, pads, out_hw,
                               count_include_pad, divisor_override)
    return AvgPooling2d.apply(input, kernel, stride, pads, out_hw, inv_divisor)


# -------------------------------------------------------------- adaptive pooling
def _adaptive_size(op: str, shape, output_size) -> tuple:
    """(OH, OW) from an int, a pair, or a pair with None (keep that input size)."""
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ArgumentTypeError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    out = tuple(int(n) if o is None else o for o, n in zip(output_size, shape[-2:]))
    if not all(isinstance(o, (int, np.integer)) and o >= 1 for o in out):
        raise ShapeError(f"{op}: output_size must hold positive ints, got {output_size!r}")
    return tuple(int(o) for o in out)


def adaptive_windows(size: int, out: int) -> list:
    """The [start, end) ranges that adaptive pooling uses along one axis.

    Example:
        >>> adaptive_windows(5, 3)      # they overlap when 5 is not a multiple of 3
        [(0, 2), (1, 4), (3, 5)]
    """
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _window_means(x, windows, axis: int):
    """The mean of ``x`` over each [start, end) window along ``axis``, stacked there.

    Sums of slices, not a product with an averaging matrix: 0 * NaN is NaN, so a matrix
    would spread one NaN or Inf of the input into every output window."""
    xp = array_module(x)
    return xp.stack([x[(slice(None),) * (axis % x.ndim) + (slice(start, end),)].mean(axis=axis)
                     for start, end in windows], axis=axis)


def _window_means_backward(g, windows, size: int, axis: int):
    """dL/dx of :func:`_window_means`: each window's gradient shared among its elements."""
    xp = array_module(g)
    axis %= g.ndim
    shape = g.shape[:axis] + (size,) + g.shape[axis + 1:]
    dx = xp.zeros(shape, dtype=g.dtype)
    for i, (start, end) in enumerate(windows):
        share = g[(slice(None),) * axis + (slice(i, i + 1),)] / (end - start)
        dx[(slice(None),) * axis + (slice(start, end),)] += share
    return dx


class AdaptiveAvgPooling2d(Function):
    """y[i, j] = the mean of window (i, j): means over the row windows of H, then over the
    column windows of W. dL/dx: each output's gradient shared among its window's pixels
    (windows overlap when the sizes do not divide, and the shares add)."""

    @staticmethod
    def forward(ctx, x, out_hw):
        h, w = x.shape[-2:]
        ctx.windows = (adaptive_windows(h, out_hw[0]), adaptive_windows(w, out_hw[1]))
        ctx.hw = (h, w)
        rows = _window_means(x, ctx.windows[0], -2)
        return _window_means(rows, ctx.windows[1], -1)

    @staticmethod
    def backward(ctx, g):
        (win_h, win_w), (h, w) = ctx.windows, ctx.hw
        rows = _window_means_backward(g, win_w, w, -1)
        return _window_means_backward(rows, win_h, h, -2), None


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size, whatever the input size.

    Output pixel (i, j) averages input rows ``floor(i*H/OH) .. ceil((i+1)*H/OH) - 1`` and the
    same for columns. ``output_size=1`` is global average pooling (ResNet's head).

    Args:
        input: (N, C, H, W) or (C, H, W) tensor.
        output_size: int or (OH, OW); None in a place keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW)

    Example:
        >>> import minidl
        >>> adaptive_avg_pool2d(minidl.ones(2, 3, 7, 5), 1).shape
        (2, 3, 1, 1)
        >>> adaptive_avg_pool2d(minidl.arange(5.0).reshape(1, 1, 5), (1, 3)).tolist()
        [[[0.5, 2.0, 3.5]]]
    """
    op = "adaptive_avg_pool2d"
    _check_input(op, input)
    h, w = input.shape[-2:]
    oh, ow = _adaptive_size(op, input.shape, output_size)
    if h % oh == 0 and w % ow == 0:  # equal, side-by-side windows: a plain average pool
        return avg_pool2d(input, (h // oh, w // ow))
    return AdaptiveAvgPooling2d.apply(input, (oh, ow))


class AdaptiveMaxPooling2d(Function):
    """y = the maximum of each adaptive window, taken along W and then along H.

    The maximum over a rectangle is the maximum over its rows of the row maxima; keeping
    the winning column of every row maximum, then the winning row, locates the maximum
    (the first one in row-major order, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, out_hw, extras):
        unbatched = x.ndim == 3
        x = _as_4d(x)
        rows_max, win_w = _max_along(x, 3, adaptive_windows(x.shape[3], out_hw[1]))
        y, win_h = _max_along(rows_max, 2, adaptive_windows(x.shape[2], out_hw[0]))
        # the column of the winner, read from the winning row
        win_col = array_module(x).take_along_axis(win_w, win_h, axis=2)
        if extras is not None:
            idx = win_h.astype(np.int64) * x.shape[3] + win_col
            extras["indices"] = idx[0] if unbatched else idx
        ctx.save_for_backward(win_h, win_col)
        ctx.geometry = (x.shape, unbatched)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        win_h, win_col = ctx.saved_tensors
        in_shape, unbatched = ctx.geometry
        xp = array_module(g)
        g = _as_4d(g)
        n, c, h, w = in_shape
        # send each g to (win_h, win_col) of its plane; windows may share a winner: add
        flat = (xp.arange(n * c).reshape(n, c, 1, 1) * (h * w) + win_h * w + win_col).ravel()
        gx = xp.bincount(flat, weights=g.ravel(), minlength=n * c * h * w)
        gx = gx.astype(g.dtype, copy=False).reshape(in_shape)
        return gx[0] if unbatched else gx, None, None


def _max_along(x, axis: int, windows: list):
    """Max over the given [start, end) windows along ``axis``: (values, winning positions)."""
    xp = array_module(x)
    values, winners = [], []
    for start, end in windows:
        seg = x[:, :, start:end] if axis == 2 else x[:, :, :, start:end]
        values.append(seg.max(axis=axis, keepdims=True))
        winners.append(seg.argmax(axis=axis).reshape(values[-1].shape) + start)
    return xp.concatenate(values, axis=axis), xp.concatenate(winners, axis=axis)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a given output size, with the windows of :func:`adaptive_avg_pool2d`.

    Args:
        input: (N, C, H, W) or (C, H, W) tensor.
        output_size: int or (OH, OW); None in a place keeps that input size.
        return_indices: also return the flat index ``row * W + col`` of each maximum.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW)

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[1., 5., 2., 0., 3.]]])
        >>> adaptive_max_pool2d(x, (1, 3)).tolist()
        [[[5.0, 5.0, 3.0]]]
    """
    op = "adaptive_max_pool2d"
    _check_input(op, input)
    h, w = input.shape[-2:]
    oh, ow = _adaptive_size(op, input.shape, output_size)
    if h % oh == 0 and w % ow == 0:  # equal, side-by-side windows: a plain max pool
        return max_pool2d(input, (h // oh, w // ow), return_indices=return_indices)
    extras = {} if return_indices else None
    y = AdaptiveMaxPooling2d.apply(input, (oh, ow), extras)
    if return_indices:
        return y, Tensor._wrap(extras["indices"])
    return y


# ------------------------------------------------------------------- references
def max_pool2d_reference(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                         return_indices=False):
    """max_pool2d by explicit loops over every window and tap (NumPy arrays; for tests).

    ``y[n, c, i, j] = max over (a, e) of x[n, c, i*SH + a*DH - PH, j*SW + e*DW - PW]``,
    skipping taps that fall in the padding.
    """
    x = np.asarray(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    kh, kw = pair(kernel_size, "kernel_size", "max_pool2d_reference")
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", "max_pool2d_reference")
    ph, pw = pair(padding, "padding", "max_pool2d_reference")
    dh, dw = pair(dilation, "dilation", "max_pool2d_reference")
    n_batch, n_chan, h, w = x.shape
    oh = _reference_out(h, kh, sh, ph, dh, ceil_mode)
    ow = _reference_out(w, kw, sw, pw, dw, ceil_mode)
    y = np.full((n_batch, n_chan, oh, ow), -np.inf, dtype=x.dtype)
    idx = np.zeros((n_batch, n_chan, oh, ow), dtype=np.int64)
    for n in range(n_batch):
        for c in range(n_chan):
            for i in range(oh):
                for j in range(ow):
                    for a in range(kh):
                        for e in range(kw):
                            r, q = i * sh + a * dh - ph, j * sw + e * dw - pw
                            if 0 <= r < h and 0 <= q < w and x[n, c, r, q] > y[n, c, i, j]:
                                y[n, c, i, j] = x[n, c, r, q]
                                idx[n, c, i, j] = r * w + q
    if unbatched:
        y, idx = y[0], idx[0]
    return (y, idx) if return_indices else y


def avg_pool2d_reference(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                         count_include_pad=True, divisor_override=None):
    """avg_pool2d by explicit loops: each window's sum over its real pixels / its divisor."""
    x = np.asarray(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    kh, kw = pair(kernel_size, "kernel_size", "avg_pool2d_reference")
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", "avg_pool2d_reference")
    ph, pw = pair(padding, "padding", "avg_pool2d_reference")
    n_batch, n_chan, h, w = x.shape
    oh = _reference_out(h, kh, sh, ph, 1, ceil_mode)
    ow = _reference_out(w, kw, sw, pw, 1, ceil_mode)
    y = np.zeros((n_batch, n_chan, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * sh - ph, j * sw - pw
            r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, w + pw)   # never past the padding
            if divisor_override:
                divisor = divisor_override
            elif count_include_pad:
                divisor = (r1 - r0) * (q1 - q0)
            else:
                divisor = (min(r1, h) - max(r0, 0)) * (min(q1, w) - max(q0, 0))
            total = np.zeros((n_batch, n_chan), dtype=x.dtype)
            for r in range(max(r0, 0), min(r1, h)):
                for q in range(max(q0, 0), min(q1, w)):
                    total += x[:, :, r, q]
            y[:, :, i, j] = total / divisor
    return y[0] if unbatched else y


def _reference_out(size, k, s, p, d, ceil_mode):
    """Output length by the formula, in floating point (a cross-check of the integer one)."""
    out = (size + 2 * p - d * (k - 1) - 1) / s + 1
    out = math.ceil(out) if ceil_mode else math.floor(out)
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def adaptive_avg_pool2d_reference(x, output_size):
    """adaptive_avg_pool2d by loops over the output pixels and their windows."""
    x = np.asarray(x)
    oh, ow = _adaptive_size("adaptive_avg_pool2d_reference", x.shape, output_size)
    h, w = x.shape[-2:]
    y = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    for i in range(oh):
        r0, r1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
        for j in range(ow):
            q0, q1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            y[..., i, j] = x[..., r0:r1, q0:q1].mean(axis=(-2, -1))
    return y


def adaptive_max_pool2d_reference(x, output_size, return_indices=False):
    """adaptive_max_pool2d by loops over the output pixels and their windows."""
    x = np.asarray(x)
    oh, ow = _adaptive_size("adaptive_max_pool2d_reference", x.shape, output_size)
    h, w = x.shape[-2:]
    y = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    idx = np.zeros(x.shape[:-2] + (oh, ow), dtype=np.int64)
    for i in range(oh):
        r0, r1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
        for j in range(ow):
            q0, q1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            window = x[..., r0:r1, q0:q1].reshape(x.shape[:-2] + (-1,))
            best = window.argmax(axis=-1)          # the first maximum, row-major
            y[..., i, j] = window.max(axis=-1)
            idx[..., i, j] = (r0 + best // (q1 - q0)) * w + q0 + best % (q1 - q0)
    return (y, idx) if return_indices else y
