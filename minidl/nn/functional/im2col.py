"""im2col and col2im: a convolution as one matrix product.

Notation, used by every docstring in ``conv.py`` and ``pooling.py``::

    N        batch size                 C        input channels
    H, W     input height and width     O        output channels
    KH, KW   kernel height and width    OH, OW   output height and width
    SH, SW   stride                     DH, DW   dilation (gap between kernel taps)
    PT, PB, PL, PR   zero padding at the top, bottom, left and right
    K = C * KH * KW    rows of the column matrix (one per kernel tap of every channel)
    L = N * OH * OW    columns of the column matrix (one per output pixel)

A convolution output pixel is the dot product of the kernel with one window of the
padded input. ``im2col`` lays every window out as one column of a (K, L) matrix, so
that every output pixel of every image comes from a single matrix product::

    y[o, (n, oh, ow)] = sum over (c, kh, kw) of  W[o, (c, kh, kw)] * cols[(c, kh, kw), (n, oh, ow)]
    cols[(c, kh, kw), (n, oh, ow)] = x_padded[n, c, oh*SH + kh*DH, ow*SW + kw*DW]

Worked example: one 3x3 image, a 2x2 kernel, stride 1. There are four windows
(OH = OW = 2); column j holds window j, row i holds kernel tap i = (kh, kw):

    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)       # [[0 1 2] [3 4 5] [6 7 8]]
    >>> im2col(x, kernel_size=2)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])

The first column, (0, 1, 3, 4), is the top-left window read row by row; the first
row, (0, 1, 3, 4), is what the top-left kernel tap sees as the window slides.

How it is made fast. The padded input is never copied window by window: a *strided
view* (``as_strided``) presents it as a 6-D array of shape (C, KH, KW, N, OH, OW)
without moving a byte, because moving one step along kh is moving DH rows, one step
along oh is moving SH rows, and so on. One copy of that view into a contiguous
buffer gives the column matrix; rows are copied whole, at close to memory
bandwidth. The (C, KH, KW, N, OH, OW) order was the fastest of the layouts measured
for the GEMM that follows (the classic one-row-per-pixel layout was about 2x slower).

``col2im`` is the adjoint (the transpose) of ``im2col``: it adds every column back
onto the window it came from. Windows overlap, so the additions must accumulate;
it loops over the KH*KW kernel taps, and each tap adds one strided slice of the
whole batch at once (no Python loop over pixels).
"""
from __future__ import annotations

import math
import threading

import numpy as np

from ...backend import array_module, kernels_for
from ...errors import ArgumentError, ArgumentTypeError, ShapeError

__all__ = ["im2col", "col2im", "conv_output_size", "release_scratch", "is_channels_last",
           "layout_buffer"]


# --------------------------------------------------------------------- arguments
def pair(value, name: str, op: str) -> tuple:
    """An int or a 2-sequence of ints as a pair ``(h, w)``, or a clear error naming ``op``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    raise ArgumentTypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def padding_pairs(padding, op: str) -> tuple:
    """Padding as ``((PT, PB), (PL, PR))`` from an int, ``(ph, pw)`` or that form itself."""
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        (pt, pb), (pl, pr) = (pair(p, "padding", op) for p in padding)
    else:
        ph, pw = pair(padding, "padding", op)
        pt, pb, pl, pr = ph, ph, pw, pw
    if min(pt, pb, pl, pr) < 0:
        raise ArgumentError(f"{op}: padding must be non-negative, got {padding!r}")
    return (pt, pb), (pl, pr)


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding=0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """The output length of a sliding window along one axis.

    ``OH = floor((H + PT + PB - DH*(KH-1) - 1) / SH) + 1``: the dilated kernel spans
    ``DH*(KH-1) + 1`` rows, and it fits at ``(H + PT + PB - span) / SH + 1`` positions.

    With ``ceil_mode`` (pooling) the division rounds up, so a last, partial window is
    kept, but only if it starts inside the input or the left padding (PyTorch's rule):
    a window lying wholly in the right padding would see nothing.

    Args:
        size: input length (H or W).
        kernel_size, stride, dilation: along this axis.
        padding: an int (both sides) or a pair (before, after).
        ceil_mode: round the number of strides up instead of down.

    Example:
        >>> conv_output_size(32, 3, stride=1, padding=1)
        32
        >>> conv_output_size(5, 2, stride=2), conv_output_size(5, 2, stride=2, ceil_mode=True)
        (2, 3)
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    span = dilation * (kernel_size - 1) + 1
    room = size + before + after - span
    if room < 0:
        return 0
    out = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1  # the last window would start in the right padding
    return out


def output_hw(op: str, hw: tuple, kernel: tuple, stride: tuple, padding: tuple,
              dilation: tuple, ceil_mode: bool = False) -> tuple:
    """``(OH, OW)`` for an input of spatial size ``hw``, or an error naming ``op``."""
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + p[0] + p[1] for n, p in zip(hw, padding))
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ShapeError(
            f"{op}: kernel size {tuple(kernel)} (dilated {span}) is larger than the padded "
            f"input {padded}")
    return tuple(conv_output_size(n, k, s, p, d, ceil_mode)
                 for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation))


# ---------------------------------------------------------------- scratch buffers
# NumPy hands large arrays back to the operating system when they are freed, so a
# fresh 100 MB column matrix page-faults on every use. The column matrices never
# leave a conv call (they are rebuilt in backward), so one buffer per thread and
# dtype is reused. CuPy keeps its own memory pool, so there a plain ``empty`` is used.
_scratch = threading.local()


def scratch(xp, shape: tuple, dtype, name: str = "cols"):
    """A reusable, uninitialised buffer of ``shape``; valid until the next call with ``name``.

    Only for arrays that do not outlive the function that asks for them.
    """
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    size = math.prod(shape)
    key = (name, np.dtype(dtype).str)
    buf = buffers.get(key)
    if buf is None or buf.size < size:
        buf = buffers[key] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def release_scratch() -> None:
    """Free the reusable buffers of this thread (they are re-made on the next conv)."""
    _scratch.buffers = {}


# ------------------------------------------------------------------ strided views
def as_strided(x, shape: tuple, strides: tuple):
    """A view of ``x``'s memory with the given shape and byte strides (NumPy or CuPy)."""
    return array_module(x).lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def is_channels_last(x) -> bool:
    """Whether an (N, C, H, W) array is stored as a contiguous (N, H, W, C) one (and not
    also as a contiguous (N, C, H, W) one, as when C == 1)."""
    return (x.ndim == 4 and not x.flags.c_contiguous
            and x.transpose(0, 2, 3, 1).flags.c_contiguous)


def layout_buffer(xp, shape: tuple, dtype, channels_last: bool, name: str | None = None):
    """An uninitialised (N, C, *rest) array, stored as (N, *rest, C) when ``channels_last``.

    With ``name`` it is the reusable scratch buffer of that name (see :func:`scratch`).
    """
    memory = (shape[0],) + tuple(shape[2:]) + (shape[1],) if channels_last else tuple(shape)
    buf = (scratch(xp, memory, dtype, name) if name is not None
           else xp.empty(memory, dtype=dtype))
    if channels_last:
        buf = buf.transpose((0, len(shape) - 1) + tuple(range(1, len(shape) - 1)))
    return buf


def kernel_taps(weight, rotated: bool = False):
    """The kernels (O, C, KH, KW) as a (KH, KW, C, O) view: tap by tap, input channels by
    output channels, the layout channels-last products and Winograd's transform read.

    With ``rotated``, the input gradient's kernels instead: each turned by 180 degrees,
    in and out channels swapped, (KH, KW, O, C).
    """
    if rotated:
        return weight[:, :, ::-1, ::-1].transpose(2, 3, 0, 1)
    return weight.transpose(2, 3, 1, 0)


def pad_hw(x, padding: tuple, value=0, extra: tuple = (0, 0), out=None):
    """``x`` (N, C, H, W) with ``padding`` ((PT, PB), (PL, PR)) filled with ``value``.

    ``extra`` adds rows at the bottom and columns at the right (for pooling's ceil_mode,
    whose last window may run past the padding). ``out``, an array of the padded shape
    (any memory layout), is written and returned instead of a fresh one. Without
    ``out``, returns ``x`` itself when nothing is added.
    """
    (pt, pb), (pl, pr) = padding
    pb, pr = pb + extra[0], pr + extra[1]
    if pt == pb == pl == pr == 0 and out is None:
        return x
    xp = array_module(x)
    n, c, h, w = x.shape
    if out is None:
        out = xp.empty((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    # fill only the border, then copy the interior: every element written once
    out[:, :, :pt] = value
    out[:, :, pt + h:] = value
    out[:, :, pt:pt + h, :pl] = value
    out[:, :, pt:pt + h, pl + w:] = value
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def window_view(xpad, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """The windows of a padded input as a (C, KH, KW, N, OH, OW) view (no copy).

    ``view[c, kh, kw, n, oh, ow] = xpad[n, c, oh*SH + kh*DH, ow*SW + kw*DW]``.
    """
    n, c = xpad.shape[:2]
    sn, sc, sh, sw = xpad.strides
    return as_strided(
        xpad, (c, kernel[0], kernel[1], n, out_hw[0], out_hw[1]),
        (sc, dilation[0] * sh, dilation[1] * sw, sn, stride[0] * sh, stride[1] * sw))


def tap_slices(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """For every kernel tap (kh, kw), the (rows, cols) slices of the padded input it reads.

    Tap (kh, kw) of output pixel (oh, ow) reads padded pixel (oh*SH + kh*DH, ow*SW + kw*DW),
    so over all output pixels it reads a strided slice, the same shape as the output.
    """
    for kh in range(kernel[0]):
        rows = slice(kh * dilation[0], kh * dilation[0] + stride[0] * (out_hw[0] - 1) + 1,
                     stride[0])
        for kw in range(kernel[1]):
            cols = slice(kw * dilation[1], kw * dilation[1] + stride[1] * (out_hw[1] - 1) + 1,
                         stride[1])
            yield kh, kw, rows, cols


# -------------------------------------------------------------------- im2col, col2im
def _geometry(op, shape, kernel_size, stride, padding, dilation, output_size):
    kernel = pair(kernel_size, "kernel_size", op)
    stride = pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    padding = padding_pairs(padding, op)
    if output_size is None:
        output_size = output_hw(op, shape[2:], kernel, stride, padding, dilation)
    return kernel, stride, padding, dilation, tuple(output_size)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1, output_size=None, out=None):
    """Unfold the windows of ``x`` into the columns of a matrix.

    Args:
        x: input array (N, C, H, W).
        kernel_size, stride, dilation: ints or pairs (h, w).
        padding: int, ``(ph, pw)``, or ``((PT, PB), (PL, PR))`` for uneven padding.
        output_size: ``(OH, OW)`` to take only the first OH x OW windows (default: all).
        out: optional contiguous array of K * L elements to write into.

    Shape:
        x: (N, C, H, W)  ->  cols: (C*KH*KW, N*OH*OW), rows in (C, KH, KW) order and
        columns in (N, OH, OW) order.

    Example:
        >>> import numpy as np
        >>> im2col(np.ones((2, 3, 5, 5)), 3, padding=1).shape   # 27 taps, 2*5*5 pixels
        (27, 50)
    """
    kernel, stride, padding, dilation, out_hw = _geometry(
        "im2col", x.shape, kernel_size, stride, padding, dilation, output_size)
    kernels = kernels_for(x)
    if kernels is not None:  # on a GPU: one CUDA kernel, a thread per column entry
        return kernels.im2col(x, kernel, stride, padding, dilation, out_hw, out=out)
    xp = array_module(x)
    view = window_view(pad_hw(x, padding), kernel, stride, dilation, out_hw)
    if out is None:
        out = xp.empty(view.shape, dtype=x.dtype)
    else:
        out = out.reshape(view.shape)
    out[...] = view  # the one copy: whole rows of the input at a time
    return out.reshape(view.shape[0] * kernel[0] * kernel[1], -1)


def col2im(cols, input_shape, kernel_size, stride=1, padding=0, dilation=1, output_size=None):
    """Add each column back onto the window it came from: the adjoint of :func:`im2col`.

    Where windows overlap the contributions add up, which is exactly what the gradient
    of ``im2col`` needs (every input pixel gets the sum over the windows that read it).

    Args:
        cols: (C*KH*KW, N*OH*OW) array.
        input_shape: (N, C, H, W) of the image to rebuild.
        kernel_size, stride, padding, dilation, output_size: as for :func:`im2col`.

    Shape:
        cols: (C*KH*KW, N*OH*OW)  ->  (N, C, H, W)

    Example:
        >>> import numpy as np
        >>> col2im(np.ones((4, 4)), (1, 1, 3, 3), 2)[0, 0]   # how many windows hold each pixel
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    kernel, stride, padding, dilation, out_hw = _geometry(
        "col2im", input_shape, kernel_size, stride, padding, dilation, output_size)
    kernels = kernels_for(cols)
    if kernels is not None:  # on a GPU: one CUDA kernel, each pixel gathers its entries
        return kernels.col2im(cols, input_shape, kernel, stride, padding, dilation, out_hw)
    xp = array_module(cols)
    n, c, h, w = input_shape
    (pt, pb), (pl, pr) = padding
    taps = cols.reshape(c, kernel[0], kernel[1], n, out_hw[0], out_hw[1])
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    for kh, kw, rows, cols_ in tap_slices(kernel, stride, dilation, out_hw):
        out[:, :, rows, cols_] += taps[:, kh, kw].transpose(1, 0, 2, 3)
    if pt or pb or pl or pr:
        out = out[:, :, pt:pt + h, pl:pl + w]
    return out
