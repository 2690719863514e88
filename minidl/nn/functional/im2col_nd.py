"""im2col and col2im for any number of spatial dimensions (3-D convolution and pooling).

The same idea as :mod:`.im2col`, written once for S spatial dimensions instead of two.
Notation: x is (N, C, *I) with I = (I_1, ..., I_S) the input sizes (D, H, W for volumes),
K the kernel sizes, Z the strides, P the paddings ((before, after) per dimension),
R the dilations and O the output sizes; K = C * prod(K) and L = N * prod(O)::

    cols[(c, k_1..k_S), (n, o_1..o_S)] = x_padded[n, c, o_1*Z_1 + k_1*R_1, ..., o_S*Z_S + k_S*R_S]

A strided view presents the padded input as a (C, *K, N, *O) array without copying:
one step along k_i moves R_i elements of dimension i, one step along o_i moves Z_i.
Copying that view into a contiguous buffer gives the (K, L) column matrix.
``col2im_nd`` is its adjoint: it loops over the prod(K) kernel taps and adds each
tap's row block back onto one strided slice of the padded input.

``im2col_nd_reference`` and ``col2im_nd_reference`` are the same maps by explicit loops.

Example:
    >>> import numpy as np
    >>> x = np.arange(8.0).reshape(1, 1, 2, 2, 2)      # one 2x2x2 volume
    >>> im2col_nd(x, (2, 2, 2)).ravel().tolist()        # one window: the whole volume
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ...backend import array_module
from ...errors import ArgumentTypeError, ShapeError
from .im2col import as_strided, conv_output_size

__all__ = ["im2col_nd", "col2im_nd", "im2col_nd_reference", "col2im_nd_reference"]


# --------------------------------------------------------------------- arguments
def ntuple(value, n: int, name: str, op: str) -> tuple:
    """An int, or a sequence of ``n`` ints, as an ``n``-tuple; else a clear error naming ``op``."""
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        return tuple(int(v) for v in value)
    what = "a pair of ints" if n == 2 else f"a tuple of {n} ints"
    raise ArgumentTypeError(f"{op}: {name} must be an int or {what}, got {value!r}")


def output_size_nd(op: str, size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                   dilation: tuple, ceil_mode: bool = False) -> tuple:
    """The output sizes O of a sliding window, or an error naming ``op`` when none fits.

    ``padding`` holds (before, after) pairs; see :func:`.im2col.conv_output_size`.
    """
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(n + p[0] + p[1] for n, p in zip(size, padding))
    if any(s > p for s, p in zip(span, padded)):
        raise ShapeError(
            f"{op}: kernel size {tuple(kernel)} (dilated {span}) is larger than the padded "
            f"input {padded}")
    return tuple(conv_output_size(n, k, s, p, d, ceil_mode)
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


# ------------------------------------------------------------------ views and slices
def pad_nd(x, padding: tuple, value=0, extra: tuple | None = None):
    """``x`` (N, C, *I) padded by ((before, after), ...) with ``value`` (``x`` itself if none).

    ``extra`` adds that many more elements after each dimension (pooling's ceil_mode).
    """
    extra = extra or (0,) * len(padding)
    widths = [(0, 0), (0, 0)] + [(b, a + e) for (b, a), e in zip(padding, extra)]
    if not any(b or a for b, a in widths):
        return x
    xp = array_module(x)
    out = xp.full(tuple(n + b + a for n, (b, a) in zip(x.shape, widths)), value, dtype=x.dtype)
    out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths))] = x
    return out


def window_view_nd(xpad, kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple):
    """The windows of a padded (N, C, *I) input as a (C, *K, N, *O) view (no copy)."""
    n, c = xpad.shape[:2]
    sn, sc, *spatial = xpad.strides
    shape = (c,) + tuple(kernel) + (n,) + tuple(out_size)
    strides = ((sc,) + tuple(r * s for r, s in zip(dilation, spatial))
               + (sn,) + tuple(z * s for z, s in zip(stride, spatial)))
    return as_strided(xpad, shape, strides)


def tap_slices_nd(kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple):
    """For every kernel tap (k_1..k_S): the tap and the slices of the padded input it reads.

    Tap k of output o reads padded position o*Z + k*R, so over all outputs one strided
    slice, the shape of the output.
    """
    for tap in itertools.product(*(range(k) for k in kernel)):
        yield tap, tuple(slice(k * r, k * r + z * (o - 1) + 1, z)
                         for k, r, z, o in zip(tap, dilation, stride, out_size))


# -------------------------------------------------------------------- im2col, col2im
def im2col_nd(x, kernel: tuple, stride=None, padding=None, dilation=None, out_size=None):
    """Unfold the windows of ``x`` (N, C, *I) into the columns of a (K, L) matrix.

    Args:
        x: input array (N, C, *I), S = x.ndim - 2 spatial dimensions.
        kernel: the S kernel sizes.
        stride, dilation: S-tuples (default all 1).
        padding: S (before, after) pairs (default no padding).
        out_size: the S output sizes (default: every window that fits).

    Shape:
        (N, C, *I) -> (C * prod(K), N * prod(O)), rows in (C, *K) order, columns in (N, *O).

    Example:
        >>> import numpy as np
        >>> im2col_nd(np.ones((2, 3, 4, 5, 5)), (3, 3, 3)).shape   # 81 taps, 2*2*3*3 windows
        (81, 36)
    """
    s = x.ndim - 2
    stride = stride or (1,) * s
    dilation = dilation or (1,) * s
    padding = padding or ((0, 0),) * s
    if out_size is None:
        out_size = output_size_nd("im2col_nd", x.shape[2:], kernel, stride, padding, dilation)
    xp = array_module(x)
    view = window_view_nd(pad_nd(x, padding), kernel, stride, dilation, out_size)
    cols = xp.empty(view.shape, dtype=x.dtype)
    cols[...] = view  # the one copy
    return cols.reshape(x.shape[1] * math.prod(kernel), -1)


def col2im_nd(cols, input_shape: tuple, kernel: tuple, stride=None, padding=None,
              dilation=None, out_size=None):
    """Add each column back onto the window it came from: the adjoint of :func:`im2col_nd`.

    Shape:
        (C * prod(K), N * prod(O)) -> input_shape (N, C, *I)

    Example:
        >>> import numpy as np
        >>> col2im_nd(np.ones((8, 8)), (1, 1, 3, 3, 3), (2, 2, 2))[0, 0, 1].tolist()
        [[2.0, 4.0, 2.0], [4.0, 8.0, 4.0], [2.0, 4.0, 2.0]]
    """
    n, c, *size = input_shape
    s = len(size)
    stride = stride or (1,) * s
    dilation = dilation or (1,) * s
    padding = padding or ((0, 0),) * s
    if out_size is None:
        out_size = output_size_nd("col2im_nd", size, kernel, stride, padding, dilation)
    xp = array_module(cols)
    taps = cols.reshape((c,) + tuple(kernel) + (n,) + tuple(out_size))
    out = xp.zeros((n, c) + tuple(i + b + a for i, (b, a) in zip(size, padding)),
                   dtype=cols.dtype)
    for tap, slices in tap_slices_nd(kernel, stride, dilation, out_size):
        out[(slice(None), slice(None)) + slices] += xp.swapaxes(taps[(slice(None),) + tap], 0, 1)
    crop = tuple(slice(b, b + i) for i, (b, _) in zip(size, padding))
    return out[(slice(None), slice(None)) + crop]


# ------------------------------------------------------------------- references
def im2col_nd_reference(x, kernel, stride, padding, dilation, out_size):
    """:func:`im2col_nd` by loops over every column entry (NumPy arrays; for tests)."""
    x = np.asarray(x)
    n, c, *size = x.shape
    cols = np.zeros((c,) + tuple(kernel) + (n,) + tuple(out_size), dtype=x.dtype)
    for ci in range(c):
        for tap in np.ndindex(*kernel):
            for ni in range(n):
                for o in np.ndindex(*out_size):
                    pos = [oi * z + k * r - p[0] for oi, z, k, r, p in
                           zip(o, stride, tap, dilation, padding)]
                    if all(0 <= q < i for q, i in zip(pos, size)):
                        cols[(ci,) + tap + (ni,) + o] = x[(ni, ci) + tuple(pos)]
    return cols.reshape(c * math.prod(kernel), -1)


def col2im_nd_reference(cols, input_shape, kernel, stride, padding, dilation, out_size):
    """:func:`col2im_nd` by loops: every column entry added onto the pixel it was read from."""
    n, c, *size = input_shape
    taps = np.asarray(cols).reshape((c,) + tuple(kernel) + (n,) + tuple(out_size))
    out = np.zeros(input_shape, dtype=taps.dtype)
    for idx in np.ndindex(*taps.shape):
        s = len(kernel)
        ci, tap, ni, o = idx[0], idx[1:1 + s], idx[1 + s], idx[2 + s:]
        pos = [oi * z + k * r - p[0] for oi, z, k, r, p in zip(o, stride, tap, dilation, padding)]
        if all(0 <= q < i for q, i in zip(pos, size)):
            out[(ni, ci) + tuple(pos)] += taps[idx]
    return out
