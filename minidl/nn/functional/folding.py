"""unfold and fold: im2col and col2im as public ops, in PyTorch's batch-first layout.

``unfold`` lays out every sliding window of an image as a column, exactly the column
matrix of a convolution (:func:`.im2col.im2col`), arranged batch-first::

    unfold(x)[n, (c, kh, kw), (oh, ow)] = x_pad[n, c, oh*SH + kh*DH, ow*SW + kw*DW]

``fold`` is its adjoint (:func:`.im2col.col2im`): it adds every column back onto the
window it came from, so overlapping windows sum. Each op's backward is the other:
dL/dx of unfold is fold(dL/dy), and dL/dcols of fold is unfold(dL/dy).
With them a convolution can be written by hand (see the example of :func:`unfold`).

Notation as in :mod:`.im2col`: K = C*KH*KW rows, L = OH*OW windows per image.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import Function
from ...backend import array_module
from ...errors import ShapeError
from .im2col import col2im, im2col, output_hw, padding_pairs, pair

__all__ = ["unfold", "fold", "unfold_reference"]


def _geometry(op: str, kernel_size, dilation, padding, stride):
    kernel = pair(kernel_size, "kernel_size", op)
    dilation = pair(dilation, "dilation", op)
    stride = pair(stride, "stride", op)
    for name, value in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        if min(value) < 1:
            raise ShapeError(f"{op}: {name} must be positive, got {value}")
    return kernel, dilation, padding_pairs(padding, op), stride


def _batch_first(cols, n: int):
    """(K, N*L) columns -> (N, K, L)."""
    k = cols.shape[0]
    return array_module(cols).ascontiguousarray(cols.reshape(k, n, -1).transpose(1, 0, 2))


def _columns_first(y):
    """(N, K, L) -> the (K, N*L) column matrix im2col/col2im use."""
    n, k, length = y.shape
    return array_module(y).ascontiguousarray(y.transpose(1, 0, 2)).reshape(k, n * length)


class Unfold(Function):
    """y = im2col(x), batch first; dL/dx = col2im(g)."""

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride, out_hw):
        unbatched = x.ndim == 3
        if unbatched:
            x = x[None]
        ctx.geometry = (x.shape, kernel, dilation, pads, stride, out_hw, unbatched)
        y = _batch_first(im2col(x, kernel, stride, pads, dilation, out_hw), x.shape[0])
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        shape, kernel, dilation, pads, stride, out_hw, unbatched = ctx.geometry
        if unbatched:
            g = g[None]
        gx = col2im(_columns_first(g), shape, kernel, stride, pads, dilation, out_hw)
        return (gx[0] if unbatched else gx,) + (None,) * 5


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract the sliding windows of an image as columns (``nn.Unfold``; im2col).

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        kernel_size: int or (KH, KW), the window size.
        dilation: int or (DH, DW), the spacing of the taps inside a window.
        padding: int or (PH, PW) zeros on both sides.
        stride: int or (SH, SW), how far windows move.

    Shape:
        (N, C, H, W) -> (N, C*KH*KW, L), L = OH*OW with
        ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1`` (likewise OW); rows in
        (c, kh, kw) order, columns in (oh, ow) order.

    Example:
        >>> import minidl
        >>> x = minidl.arange(9.0).reshape(1, 1, 3, 3)
        >>> unfold(x, 2).tolist()            # four 2x2 windows, one per column
        [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
        >>> w = minidl.randn(5, 1, 2, 2)     # a convolution by hand: one matrix product
        >>> y = (w.reshape(5, -1) @ unfold(x, 2)).reshape(1, 5, 2, 2)
        >>> from minidl.nn.functional import conv2d
        >>> bool((y - conv2d(x, w)).abs().max() < 1e-5)
        True
    """
    op = "unfold"
    if input.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                         f"{tuple(input.shape)}")
    kernel, dilation, pads, stride = _geometry(op, kernel_size, dilation, padding, stride)
    out_hw = output_hw(op, tuple(input.shape[-2:]), kernel, stride, pads, dilation)
    return Unfold.apply(input, kernel, dilation, pads, stride, out_hw)


class Fold(Function):
    """y = col2im(x), x batch first; dL/dx = im2col(g)."""

    @staticmethod
    def forward(ctx, x, shape, kernel, dilation, pads, stride, out_hw):
        unbatched = x.ndim == 2
        if unbatched:
            x = x[None]
        shape = (x.shape[0],) + tuple(shape)
        ctx.geometry = (kernel, dilation, pads, stride, out_hw, unbatched)
        y = col2im(_columns_first(x), shape, kernel, stride, pads, dilation, out_hw)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, pads, stride, out_hw, unbatched = ctx.geometry
        if unbatched:
            g = g[None]
        gx = _batch_first(im2col(g, kernel, stride, pads, dilation, out_hw), g.shape[0])
        return (gx[0] if unbatched else gx,) + (None,) * 6


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Add columns of windows back into an image (``nn.Fold``; col2im, unfold's adjoint).

    Where windows overlap their values add, so ``fold(unfold(x))`` is x times the number of
    windows that cover each pixel.

    Args:
        input: (N, C*KH*KW, L) or unbatched (C*KH*KW, L) tensor.
        output_size: int or (H, W), the size of the image to rebuild.
        kernel_size, dilation, padding, stride: as for :func:`unfold`.

    Shape:
        (N, C*KH*KW, L) -> (N, C, H, W), where L must be the number of windows OH*OW that
        unfold finds in an (H, W) image.

    Example:
        >>> import minidl
        >>> fold(minidl.ones(1, 4, 4), (3, 3), 2)[0, 0].tolist()   # windows per pixel
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    op = "fold"
    if input.ndim not in (2, 3):
        raise ShapeError(f"{op}: expected a 2-D (C*KH*KW, L) or 3-D (N, C*KH*KW, L) input, got "
                         f"shape {tuple(input.shape)}")
    hw = pair(output_size, "output_size", op)
    kernel, dilation, pads, stride = _geometry(op, kernel_size, dilation, padding, stride)
    rows, length = input.shape[-2:]
    taps = kernel[0] * kernel[1]
    if rows % taps:
        raise ShapeError(f"{op}: expected the input's size {rows} at dim {input.ndim - 2} to be "
                         f"divisible by the kernel's {taps} taps (kernel_size={kernel})")
    out_hw = output_hw(op, hw, kernel, stride, pads, dilation)
    if length != math.prod(out_hw):
        raise ShapeError(f"{op}: expected {math.prod(out_hw)} windows ({out_hw[0]}x{out_hw[1]}, "
                         f"for output_size={hw}, kernel_size={kernel}, dilation={dilation}, "
                         f"padding={pads}, stride={stride}) in the last dim, got {length}")
    return Fold.apply(input, (rows // taps,) + hw, kernel, dilation, pads, stride, out_hw)


def unfold_reference(x, kernel_size, dilation=1, padding=0, stride=1):
    """unfold by loops over every window and tap (NumPy arrays, batched; for tests)."""
    x = np.asarray(x)
    kh, kw = pair(kernel_size, "kernel_size", "unfold_reference")
    dh, dw = pair(dilation, "dilation", "unfold_reference")
    ph, pw = pair(padding, "padding", "unfold_reference")
    sh, sw = pair(stride, "stride", "unfold_reference")
    n, c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, c * kh * kw, oh * ow), dtype=x.dtype)
    for ci in range(c):
        for a in range(kh):
            for e in range(kw):
                for i in range(oh):
                    for j in range(ow):
                        r, q = i * sh + a * dh - ph, j * sw + e * dw - pw
                        if 0 <= r < h and 0 <= q < w:
                            y[:, (ci * kh + a) * kw + e, i * ow + j] = x[:, ci, r, q]
    return y
