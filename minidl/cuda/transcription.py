"""The CUDA kernels of :mod:`minidl.cuda.kernels`, transcribed into vectorised array code.

A CUDA kernel runs one thread per output element; thread ``i`` decodes its coordinates
from ``i`` and computes its one result. Here ``i = xp.arange(total)`` stands for all the
threads at once, and every line of a kernel becomes the same line on arrays of indices:
``long long ow = i % OW;`` becomes ``ow = i % OW``, an ``if`` on a condition becomes a mask.
The loops over kernel taps stay loops, in the same order, so sums are taken in the order
the kernels take them.

What this is for: on a machine without a GPU the kernels cannot run, but their index
arithmetic, which is where a kernel goes wrong, can. The tests compare these functions
with the fast array code of :mod:`minidl.nn.functional.im2col` and ``pooling``, and the
tests' stand-in device uses them *as* its kernels, so every conv and max-pool test that
runs on that device goes through the same dispatch a GPU takes.

Same signatures as the kernels. Each works for NumPy and any array module that holds its
inputs (``xp = array_module(x)``); they are slower than the array code (they materialise
one index per output element), which is fine for tests and lectures.

Example:
    >>> import numpy as np
    >>> from minidl.nn.functional.im2col import im2col as im2col_array_code
    >>> x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    >>> geometry = dict(kernel=(3, 3), stride=(1, 2), padding=((1, 1), (1, 1)),
    ...                 dilation=(1, 1), out_hw=(4, 3))
    >>> cols = im2col(x, **geometry)
    >>> np.array_equal(cols, im2col_array_code(x, (3, 3), (1, 2), 1, 1))
    True
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module

__all__ = ["im2col", "col2im", "max_pool2d_forward", "max_pool2d_backward"]


def _lowest(dtype):
    """lowest<T>(): -inf for floats, the smallest integer for integers."""
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def im2col(x, kernel, stride, padding, dilation, out_hw, out=None):
    """Kernel ``im2col``: one "thread" per element of cols (C, KH, KW, N, OH, OW)."""
    xp = array_module(x)
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), ((PT, _), (PL, _)), (DH, DW), (OH, OW) = (
        kernel, stride, padding, dilation, out_hw)
    i = xp.arange(C * KH * KW * N * OH * OW)
    ow = i % OW
    t = i // OW
    oh = t % OH
    t = t // OH
    n = t % N
    t = t // N
    kw = t % KW
    t = t // KW
    kh = t % KH
    c = t // KH
    h = oh * SH + kh * DH - PT
    w = ow * SW + kw * DW - PL
    inside = (0 <= h) & (h < H) & (0 <= w) & (w < W)
    source = ((n * C + c) * H + h) * W + w
    cols = xp.zeros(i.shape, dtype=x.dtype)            # the padding reads 0
    cols[inside] = xp.ascontiguousarray(x).reshape(-1)[source[inside]]
    shape = (C * KH * KW, N * OH * OW)
    if out is None:
        return cols.reshape(shape)
    out = out.reshape(shape)
    out[...] = cols.reshape(shape)
    return out


def col2im(cols, input_shape, kernel, stride, padding, dilation, out_hw):
    """Kernel ``col2im``: one "thread" per input pixel, gathering its column entries."""
    xp = array_module(cols)
    N, C, H, W = input_shape
    (KH, KW), (SH, SW), ((PT, _), (PL, _)), (DH, DW), (OH, OW) = (
        kernel, stride, padding, dilation, out_hw)
    i = xp.arange(N * C * H * W)
    w = i % W
    t = i // W
    h = t % H
    t = t // H
    c = t % C
    n = t // C
    flat = xp.ascontiguousarray(cols).reshape(-1)
    total = xp.zeros(i.shape, dtype=cols.dtype)
    for kh in range(KH):
        rh = h + PT - kh * DH
        oh = rh // SH
        row_ok = (rh >= 0) & (rh % SH == 0) & (oh < OH)
        for kw in range(KW):
            rw = w + PL - kw * DW
            ow = rw // SW
            ok = row_ok & (rw >= 0) & (rw % SW == 0) & (ow < OW)
            source = ((((c * KH + kh) * KW + kw) * N + n) * OH + oh) * OW + ow
            total[ok] += flat[source[ok]]
    return total.reshape(tuple(input_shape))


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_hw):
    """Kernel ``max_pool2d_forward``: one "thread" per output; (values, winning taps)."""
    xp = array_module(x)
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), ((PT, _), (PL, _)), (DH, DW), (OH, OW) = (
        kernel, stride, padding, dilation, out_hw)
    i = xp.arange(N * C * OH * OW)
    ow = i % OW
    t = i // OW
    oh = t % OH
    plane = t // OH                                     # n*C + c
    flat = xp.ascontiguousarray(x).reshape(-1)
    best = xp.full(i.shape, _lowest(x.dtype), dtype=x.dtype)
    arg = xp.zeros(i.shape, dtype=np.int32)
    for kh in range(KH):
        for kw in range(KW):
            j = kh * KW + kw
            h = oh * SH + kh * DH - PT
            w = ow * SW + kw * DW - PL
            inside = (0 <= h) & (h < H) & (0 <= w) & (w < W)
            v = xp.full(i.shape, _lowest(x.dtype), dtype=x.dtype)
            v[inside] = flat[((plane * H + h) * W + w)[inside]]
            if j == 0:
                best = v
                continue
            greater = v > best                          # ties keep the first tap
            arg = xp.where(greater, np.int32(j), arg)
            best = xp.where(greater | (v != v), v, best)  # a NaN takes the value only
    shape = (N, C, OH, OW)
    return best.reshape(shape), arg.reshape(shape)


def max_pool2d_backward(g, winner, input_shape, kernel, stride, padding, dilation, out_hw):
    """Kernel ``max_pool2d_backward``: one "thread" per input pixel, gathering g."""
    xp = array_module(g)
    N, C, H, W = input_shape
    (KH, KW), (SH, SW), ((PT, _), (PL, _)), (DH, DW), (OH, OW) = (
        kernel, stride, padding, dilation, out_hw)
    i = xp.arange(N * C * H * W)
    w = i % W
    t = i // W
    h = t % H
    plane = t // H                                      # n*C + c
    g_flat = xp.ascontiguousarray(g).reshape(-1)
    winner_flat = xp.ascontiguousarray(winner).reshape(-1)
    total = xp.zeros(i.shape, dtype=g.dtype)
    for kh in range(KH):
        rh = h + PT - kh * DH
        oh = rh // SH
        row_ok = (rh >= 0) & (rh % SH == 0) & (oh < OH)
        for kw in range(KW):
            rw = w + PL - kw * DW
            ow = rw // SW
            ok = row_ok & (rw >= 0) & (rw % SW == 0) & (ow < OW)
            source = (plane * OH + oh) * OW + ow
            ok[ok] = winner_flat[source[ok]] == kh * KW + kw
            total[ok] += g_flat[source[ok]]
    return total.reshape(tuple(input_shape))
