"""2-D convolution and transposed convolution, with their backward written by hand.

Notation as in :mod:`.im2col` (N batch, C/O channels in/out, H, W input, KH, KW kernel,
OH, OW output, K = C*KH*KW, L = N*OH*OW), plus G = groups.

conv2d is im2col followed by one matrix product per group::

    cols = im2col(x)                  (K, L)     every window of x is a column
    Y    = W @ cols                   (O, L)     W seen as an (O, K) matrix
    y    = Y as (N, O, OH, OW) + b

and its backward, given dY = dL/dy seen as an (O, L) matrix, is three products::

    dL/dW = dY @ cols^T               (O, K)     (cols rebuilt from the saved x)
    dL/db = dY summed over L          (O,)
    dL/dx = col2im(W^T @ dY)          (N, C, H, W)

Two of these are computed in an equivalent, faster form: Y as (cols^T @ W^T)^T and dL/dW
as (cols @ dY^T)^T when K > O (OpenBLAS runs these operand orders faster), and for
stride 1, dL/dx as the convolution of dY with the kernel rotated by 180 degrees (see
``_input_grad`` and docs/convolution.md).

With groups the channels split into G independent convolutions: input channels
``g*C/G ... (g+1)*C/G - 1`` meet only output channels ``g*O/G ... (g+1)*O/G - 1``. The
rows of ``cols`` come in (C, KH, KW) order, so group g's rows are one contiguous block
and all groups run as one batched matmul (G, O/G, K/G) @ (G, K/G, L). Depthwise
convolution is the case G = C.

conv_transpose2d is the adjoint of conv2d: its forward is exactly conv2d's input
gradient (``col2im(W^T @ x)``) and its backward uses conv2d's forward (for dL/dx) and
conv2d's weight-gradient product (for dL/dW). The same three pieces serve both.

Saved for backward: the input (not the column matrix, which is K/C = KH*KW times
larger: it is rebuilt, a fast copy, when the weight gradient is needed) and the weight.

On the CPU, ungrouped convolutions run the same three products on channels-last
memory: the columns are (L, K) rows with the channels innermost, ``Y = cols @ W^T`` is
(L, O), and the output is returned as an (N, O, OH, OW) array stored (N, OH, OW, O)
(see "the three pieces, channels last" below and docs/convolution.md).

The 3x3, stride-1 convolutions that make up most of a ResNet run by default with
Winograd's algorithm instead (:mod:`.winograd`): the same numbers from 4 times fewer
multiplications, for the forward, the input gradient (a stride-1 convolution too) and the
weight gradient. :func:`set_conv_algorithm` chooses ("auto", "im2col" or "winograd").
"""
from __future__ import annotations

import contextlib
from typing import NamedTuple

import numpy as np

from ...autograd.function import Function
from ...backend import array_module, kernels_for
from .im2col import (as_strided, col2im, im2col, is_channels_last, kernel_taps, output_hw,
                     pad_hw, pair, padding_pairs, scratch, tap_slices)
from .winograd import winograd_conv2d, winograd_weight_grad
from ...errors import ArgumentError, DTypeError, ShapeError

__all__ = ["conv2d", "conv_transpose2d", "conv2d_reference", "conv_transpose2d_reference",
           "set_conv_algorithm", "conv_algorithm"]


class ConvGeometry(NamedTuple):
    """Everything about a convolution except the arrays, in conv2d's terms.

    For conv_transpose2d, ``in_hw`` is the transposed convolution's *output* size and
    ``out_hw`` its input size: it runs conv2d backwards.
    """

    kernel: tuple      # (KH, KW)
    stride: tuple      # (SH, SW)
    padding: tuple     # ((PT, PB), (PL, PR))
    dilation: tuple    # (DH, DW)
    groups: int        # G
    in_hw: tuple       # (H, W)
    out_hw: tuple      # (OH, OW)


# ------------------------------------------------------------ which algorithm
ALGORITHMS = ("auto", "im2col", "winograd")
_algorithm = "auto"


def set_conv_algorithm(name: str) -> str:
    """Choose how conv2d and conv_transpose2d compute; returns the previous choice.

    Args:
        name: ``"auto"`` (the default: Winograd's F(4x4, 3x3) for 3x3, stride-1,
            undilated, ungrouped convolutions with at least 16 channels in and out and
            outputs of at least 4x4, where it was measured faster; im2col otherwise),
            ``"im2col"`` (always im2col + one matrix product, the textbook method) or
            ``"winograd"`` (Winograd for every 3x3 stride-1 undilated ungrouped
            convolution, F(2x2, 3x3) on maps smaller than 4x4; im2col for the rest).

    Example:
        >>> previous = set_conv_algorithm("im2col")
        >>> set_conv_algorithm(previous)
        'im2col'
    """
    global _algorithm
    if name not in ALGORITHMS:
        raise ArgumentError(f"set_conv_algorithm: expected one of {ALGORITHMS}, got {name!r}")
    previous, _algorithm = _algorithm, name
    return previous


@contextlib.contextmanager
def conv_algorithm(name: str):
    """``with conv_algorithm("im2col"): ...`` runs the block with that algorithm.

    See :func:`set_conv_algorithm` for the choices.

    Example:
        >>> import minidl
        >>> x, w = minidl.randn(1, 16, 8, 8), minidl.randn(16, 16, 3, 3)
        >>> with conv_algorithm("im2col"):
        ...     slow = conv2d(x, w, padding=1)
        >>> fast = conv2d(x, w, padding=1)                   # "auto": Winograd here
        >>> bool(abs(slow - fast).max().item() < 1e-3)
        True
    """
    previous = set_conv_algorithm(name)
    try:
        yield
    finally:
        set_conv_algorithm(previous)


def _winograd_tile(geom: "ConvGeometry", in_channels: int, out_channels: int,
                   weight_grad: bool = False, like=None):
    """The output tile side m to run this convolution by Winograd's F(m x m, 3 x 3), or None.

    ``weight_grad`` asks about the weight gradient, which "auto" gives to Winograd less
    often than the forward (see below). ``like``: an array of the convolution (its input
    or output gradient), whose device "auto" takes into account.
    """
    if _algorithm == "im2col" or geom.kernel != (3, 3) or geom.stride != (1, 1) \
            or geom.dilation != (1, 1) or geom.groups != 1:
        return None
    if _algorithm == "winograd":
        return 4 if min(geom.out_hw) >= 4 else 2
    if like is not None and kernels_for(like) is not None:
        # "auto" on a device with im2col kernels (a GPU): Winograd's 4x fewer products pay
        # on maps of 16x16 and more, forward and weight gradient alike; on smaller maps
        # im2col's one kernel and one cuBLAS product win (measured: docs/gpu.md)
        if min(in_channels, out_channels) < 16 or min(geom.out_hw) < 16:
            return None
        return 4
    # "auto": below 16 channels the transforms cost more than the products save, and
    # below 4x4 outputs a tile would be mostly padding (measured, benchmarks/)
    if min(in_channels, out_channels) < 16 or min(geom.out_hw) < 4:
        return None
    # The weight gradient sums a*a products over the tiles into a*a (O, C) matrices: with
    # fewer than 128 channels the transforms of x and dy cost more than those products
    # save, and with few tiles per image (4x4 maps: one) the (O, C) results dominate.
    # Measured against im2col, batch 32 and 128: 64 channels at 32x32 and 512 at 4x4
    # 10-150% slower, 128 at 16x16 and 256 at 8x8 5-15% faster.
    if weight_grad and (min(in_channels, out_channels) < 128 or min(geom.out_hw) < 8):
        return None
    return 4


# ------------------------------------------------- the three pieces, channels last
# On the CPU an ungrouped convolution works on channels-last (N, H, W, C) memory: every
# window row of the input is then a contiguous run of C numbers (the im2col copy runs
# at memory speed even for strided layers), the product cols @ W gives the output
# directly as (N*OH*OW, O) rows, i.e. (N, OH, OW, O), with no transposing pass, and
# dL/dy of a channels-last output is already the (N*OH*OW, O) matrix the backward
# products need. The result is returned as an (N, O, OH, OW) array whose memory is
# channels-last (NumPy strides); the element-wise layers after it (BatchNorm, ReLU,
# additions) keep that layout, so the next convolution reads it without a copy.
# Measured forward against the (K, L) layout below: 1.05-2x faster (2x for the stem and
# the 1x1 shortcuts, 1.5x for the stride-2 3x3 layers).
def _channels_last(x, geom: "ConvGeometry") -> bool:
    """Whether this convolution runs channels-last: ungrouped and without device kernels.

    (The CUDA kernels are written for (N, C, H, W); grouped convolutions keep the
    (K, L) layout, whose groups are contiguous row blocks.)
    """
    return geom.groups == 1 and kernels_for(x) is None


def _columns_last(x, geom: "ConvGeometry"):
    """im2col of x (N, C, H, W), any layout, as channels-last rows: (N*OH*OW, KH*KW*C).

    ``cols[(n, oh, ow), (kh, kw, c)] = x_padded[n, c, oh*SH + kh*DH, ow*SW + kw*DW]``;
    x is first padded into a channels-last scratch buffer (which also converts an
    (N, C, H, W) layout), then one strided copy lays out the windows.
    """
    xp = array_module(x)
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = geom.padding
    if pt or pb or pl or pr or not is_channels_last(x):
        buf = scratch(xp, (n, h + pt + pb, w + pl + pr, c), x.dtype, "pad")
        xpad = pad_hw(x, geom.padding, out=buf.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1)
    else:
        xpad = x.transpose(0, 2, 3, 1)
    sn, sh, sw, sc = xpad.strides
    (kh, kw), (s_h, s_w), (d_h, d_w) = geom.kernel, geom.stride, geom.dilation
    oh, ow = geom.out_hw
    windows = as_strided(xpad, (n, oh, ow, kh, kw, c),
                         (sn, s_h * sh, s_w * sw, d_h * sh, d_w * sw, sc))
    cols = scratch(xp, windows.shape, x.dtype)
    cols[...] = windows
    return cols.reshape(n * oh * ow, kh * kw * c)


def _weight_matrix(weight, rotated: bool = False):
    """(O, C, KH, KW) -> (KH*KW*C, O): the kernels as the columns' partners.

    With ``rotated``, the matrix of the input gradient's kernel instead (see
    :func:`.im2col.kernel_taps`), (KH*KW*O, C).
    """
    taps = kernel_taps(weight, rotated)
    kh, kw, c, o = taps.shape
    return taps.reshape(kh * kw * c, o)  # explicit sizes: -1 is ambiguous when O = 0


def _rows_last(dy):
    """dL/dy (N, O, OH, OW) as an (N*OH*OW, O) matrix (no copy when it is channels-last)."""
    n, o, oh, ow = dy.shape
    return dy.transpose(0, 2, 3, 1).reshape(n * oh * ow, o)


def _convolve_last(x, weight, geom: "ConvGeometry", bias=None, rotated: bool = False):
    """conv2d as cols @ W: a fresh (N, O, OH, OW) array, channels-last in memory."""
    xp = array_module(x)
    wmat = _weight_matrix(weight, rotated)
    n, o = x.shape[0], wmat.shape[1]
    cols = _columns_last(x, geom)                                    # (L, K)
    out = xp.empty((n,) + tuple(geom.out_hw) + (o,), dtype=x.dtype)  # (N, OH, OW, O)
    xp.matmul(cols, wmat, out=out.reshape(cols.shape[0], o))
    if bias is not None:
        out += bias
    return out.transpose(0, 3, 1, 2)


def _weight_grad_last(dy, x, weight_shape, geom: "ConvGeometry"):
    """dL/dW = cols^T @ dY, summed over the N*OH*OW windows: (O, C, KH, KW)."""
    xp = array_module(x)
    cols, rows = _columns_last(x, geom), _rows_last(dy)              # (L, K), (L, O)
    # OpenBLAS shares the work between its threads by the rows of the first operand:
    # the taller one goes first (see _weight_grad)
    if cols.shape[1] >= rows.shape[1]:
        dw = xp.matmul(cols.T, rows)                                 # (K, O)
    else:
        dw = xp.matmul(rows.T, cols).T
    o, c, kh, kw = weight_shape
    return xp.ascontiguousarray(dw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


def _input_grad_last(dy, weight, input_shape, geom: "ConvGeometry"):
    """dL/dx = col2im(dY @ W^T), with channels-last columns: for strided convolutions."""
    xp = array_module(dy)
    n, c, h, w = input_shape
    rows = _rows_last(dy)                                            # (L, O)
    wmat = _weight_matrix(weight)                                    # (K, O)
    dcols = scratch(xp, (rows.shape[0], wmat.shape[0]), dy.dtype, "dcols")
    xp.matmul(rows, wmat.T, out=dcols)                               # (L, K)
    taps = dcols.reshape((n,) + tuple(geom.out_hw) + tuple(geom.kernel) + (c,))
    (pt, pb), (pl, pr) = geom.padding
    out = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype=dy.dtype)
    for kh, kw, rows_, cols_ in tap_slices(geom.kernel, geom.stride, geom.dilation,
                                           geom.out_hw):
        out[:, rows_, cols_] += taps[:, :, :, kh, kw]   # every window adds its tap back
    if pt or pb or pl or pr:
        out = xp.ascontiguousarray(out[:, pt:pt + h, pl:pl + w])
    return out.transpose(0, 3, 1, 2)


# ------------------------------------------------------------ the three pieces
def _channel_rows(y, name: str):
    """(N, C, H, W) -> (C, N*H*W): channel-major, the layout the products use."""
    n, c, h, w = y.shape
    rows = scratch(array_module(y), (c, n, h, w), y.dtype, name)
    rows[...] = y.transpose(1, 0, 2, 3)
    return rows.reshape(c, n * h * w)


def _columns(x, geom: ConvGeometry):
    """im2col of x (N, C, H, W) into the scratch buffer: (C*KH*KW, N*OH*OW)."""
    n, c = x.shape[:2]
    k = c * geom.kernel[0] * geom.kernel[1]
    buf = scratch(array_module(x), (k, n * geom.out_hw[0] * geom.out_hw[1]), x.dtype)
    return im2col(x, geom.kernel, geom.stride, geom.padding, geom.dilation, geom.out_hw,
                  out=buf)


def _grouped(a, groups: int):
    """View a (G*P, Q) matrix as G stacked (P, Q) blocks."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _convolve(x, weight, geom: ConvGeometry, bias=None, cols=None, rotated=False):
    """conv2d of x (N, C, H, W) with one product per group: a fresh (N, O, OH, OW) array.

    Winograd's algorithm takes over where :func:`_winograd_tile` says so (unless im2col
    columns are given), else the channels-last product where :func:`_channels_last`
    says so. ``rotated`` convolves with the input gradient's kernel (see
    :func:`_rotated`) without making it. In the (K, L) layout the product is taken as
    cols^T @ W^T, which gives (L, O/G) per group, i.e. the output in (N, OH, OW, O)
    order; one transposing pass then writes NCHW and adds the bias. (Measured faster
    here than W @ cols, whose (O, N, OH, OW) result needs the same transposing pass.)
    """
    xp = array_module(x)
    g = geom.groups
    o = weight.shape[1] * g if rotated else weight.shape[0]
    m = None if cols is not None else _winograd_tile(geom, x.shape[1], o, like=x)
    if m is not None:
        return winograd_conv2d(x, weight, bias, geom.padding, geom.out_hw, m, rotated)
    if cols is None and _channels_last(x, geom):
        return _convolve_last(x, weight, geom, bias, rotated)
    if rotated:
        weight = _rotated(weight, g)
    n = x.shape[0]
    hw = geom.out_hw[0] * geom.out_hw[1]
    cols = _grouped(_columns(x, geom) if cols is None else cols, g)  # (G, K/G, L)
    w = weight.reshape(g, o // g, -1)                                # (G, O/G, K/G)
    y_t = scratch(xp, (g, cols.shape[2], o // g), x.dtype, "gemm")
    xp.matmul(cols.transpose(0, 2, 1), w.transpose(0, 2, 1), out=y_t)  # (G, L, O/G)
    y = y_t.reshape(g, n, hw, o // g).transpose(1, 0, 3, 2)          # (N, G, O/G, OH*OW) view
    out = xp.empty((n, o) + tuple(geom.out_hw), dtype=x.dtype)
    if bias is None:
        out.reshape(n, g, o // g, hw)[...] = y
    else:
        xp.add(y, bias.reshape(1, g, o // g, 1), out=out.reshape(n, g, o // g, hw))
    return out


def _weight_grad(dy, x, weight_shape, geom: ConvGeometry, cols=None, dy_rows=None):
    """dL/dW = dY @ cols^T per group, with cols = im2col(x) rebuilt (unless given).

    ``dy`` is dL/dy (N, O, OH, OW); ``dy_rows``, its (O, L) rows, if already made. Where
    :func:`_winograd_tile` says so (and no columns are given), Winograd's algorithm runs
    instead.
    """
    xp = array_module(x)
    g = geom.groups
    m = None if cols is not None else _winograd_tile(geom, x.shape[1], dy.shape[1], True, like=x)
    if m is not None:
        return winograd_weight_grad(dy, x, geom.padding, geom.out_hw, m)
    if cols is None and _channels_last(x, geom):
        return _weight_grad_last(dy, x, weight_shape, geom)
    if dy_rows is None:
        dy_rows = _channel_rows(dy, "rows")
    cols = _grouped(_columns(x, geom) if cols is None else cols, g)  # (G, K/G, L)
    dy = _grouped(dy_rows, g)                                        # (G, O/G, L)
    # The sum runs over L (thousands of pixels). OpenBLAS shares the work between its threads
    # by the rows of the first operand, so the taller operand goes first: the other order
    # was measured 20-70x slower on a busy machine (stem: 27 rows; 1x1 shortcut: 64 rows).
    if cols.shape[1] >= dy.shape[1]:
        dw = xp.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1)   # (cols dY^T)^T
    else:
        dw = xp.matmul(dy, cols.transpose(0, 2, 1))                      # dY cols^T
    return dw.reshape(weight_shape)


def _input_grad(dy, weight, input_shape, geom: ConvGeometry, dy_rows=None):
    """dL/dx of conv2d, given dL/dy ``dy`` (N, O, OH, OW) (and optionally its (O, L) rows).

    In general dL/dx = col2im(W^T @ dY), one product per group. With stride 1 the same
    numbers come out of a plain convolution of dy with the kernel rotated by 180 degrees
    (in and out channels swapped) and "full" padding: a copy and a product instead of a
    product and KH*KW scattered additions, measurably faster (docs/convolution.md, 3).
    """
    full = _full_geometry(geom)
    if full is not None:
        return _convolve(dy, weight, full, rotated=True)
    if _channels_last(dy, geom):
        return _input_grad_last(dy, weight, input_shape, geom)
    xp = array_module(dy)
    if dy_rows is None:
        dy_rows = _channel_rows(dy, "rows")
    o, g = weight.shape[0], geom.groups
    w = weight.reshape(g, o // g, -1)                         # (G, O/G, K/G)
    dcols = scratch(xp, (g, w.shape[2], dy_rows.shape[1]), dy_rows.dtype)
    xp.matmul(w.transpose(0, 2, 1), _grouped(dy_rows, g), out=dcols)  # (G, K/G, L)
    return col2im(dcols.reshape(g * w.shape[2], -1), input_shape, geom.kernel, geom.stride,
                  geom.padding, geom.dilation, geom.out_hw)


def _full_geometry(geom: ConvGeometry):
    """For stride 1: the geometry of "dy convolved with the rotated kernel" giving dL/dx.

    x[r] meets kernel tap kh in output row r + PT - DH*kh, so dL/dx[r] sums
    dy[r + PT - DH*(KH-1) + DH*kh'] * W[KH-1-kh']: a convolution of dy padded by
    DH*(KH-1) - PT at the top (and whatever makes the output H rows at the bottom).
    Returns None when that padding would be negative (more padding than kernel) or stride > 1.
    """
    if geom.stride != (1, 1):
        return None
    pads = []
    for n_in, n_out, k, d, (before, _) in zip(geom.in_hw, geom.out_hw, geom.kernel,
                                              geom.dilation, geom.padding):
        top = d * (k - 1) - before
        bottom = n_in - n_out + before
        if top < 0 or bottom < 0:
            return None
        pads.append((top, bottom))
    return geom._replace(padding=tuple(pads), in_hw=geom.out_hw, out_hw=geom.in_hw)


def _rotated(weight, groups: int):
    """(O, C/G, KH, KW) -> (C, O/G, KH, KW): each kernel turned by 180 degrees, in/out swapped."""
    o, cg, kh, kw = weight.shape
    w = weight.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1]
    w = array_module(weight).ascontiguousarray(w.transpose(0, 2, 1, 3, 4))
    return w.reshape(groups * cg, o // groups, kh, kw)


# ---------------------------------------------------------------------- conv2d
class Convolution2d(Function):
    """y = conv2d(x, W) + b, forward by im2col + matmul, backward by the three products."""

    @staticmethod
    def forward(ctx, x, weight, bias, geom: ConvGeometry):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        ctx.geom, ctx.input_shape, ctx.weight_shape = geom, x.shape, weight.shape
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        y = _convolve(x, weight, geom, bias)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        geom = ctx.geom
        if ctx.unbatched:
            g = g[None]
        dy = None  # dL/dY as (O, L) rows, made only if both (K, L) products need them
        winograd = _winograd_tile(geom, ctx.input_shape[1], ctx.weight_shape[0], True,
                                  like=g)
        if (ctx.needs_input_grad[1] and winograd is None and _full_geometry(geom) is None
                and not _channels_last(g, geom)):
            dy = _channel_rows(g, "rows")
        gx = gw = gb = None
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3)) if dy is None else dy.sum(axis=1)
        if ctx.needs_input_grad[1]:
            gw = _weight_grad(g, x, ctx.weight_shape, geom, dy_rows=dy)
        if ctx.needs_input_grad[0]:
            gx = _input_grad(g, weight, ctx.input_shape, geom, dy)
            if ctx.unbatched:
                gx = gx[0]
        return gx, gw, gb, None


def _check_arrays(op: str, x, weight, bias, weight_layout: str) -> None:
    if x.ndim not in (3, 4):
        raise ShapeError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(x.shape)}")
    if weight.ndim != 4:
        raise ShapeError(
            f"{op}: expected a 4-D weight {weight_layout}, got shape {tuple(weight.shape)}")
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"{op}: input and weight must have the same dtype, got {x.dtype} and {weight.dtype}")
    if bias is not None and bias.dtype != weight.dtype:
        raise DTypeError(
            f"{op}: bias and weight must have the same dtype, got {bias.dtype} and {weight.dtype}")


def _check_positive(op: str, name: str, value: tuple) -> None:
    if min(value) < 1:
        raise ShapeError(f"{op}: {name} must be positive, got {value}")


def conv2d_geometry(input_shape: tuple, weight_shape: tuple, stride=1, padding=0, dilation=1,
                    groups: int = 1, op: str = "conv2d") -> ConvGeometry:
    """Check a conv2d's arguments and return its :class:`ConvGeometry` (shapes only)."""
    stride = pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    _check_positive(op, "stride", stride)
    _check_positive(op, "dilation", dilation)
    o, cg, kh, kw = weight_shape
    c = input_shape[-3]
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    if o % groups:
        raise ShapeError(
            f"{op}: groups={groups} must divide the output channels, but weight "
            f"{tuple(weight_shape)} has {o}")
    if c != cg * groups:
        raise ShapeError(
            f"{op}: expected input with {cg * groups} channels (weight {tuple(weight_shape)} "
            f"with groups={groups}), got {c}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != (1, 1):
                raise ShapeError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride})")
            # total padding d*(k-1) keeps the size; an odd total puts the extra row/column
            # at the bottom/right, as PyTorch does
            totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
            padding = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise ShapeError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    padding = padding_pairs(padding, op)
    hw = tuple(input_shape[-2:])
    out_hw = output_hw(op, hw, (kh, kw), stride, padding, dilation)
    return ConvGeometry((kh, kw), stride, padding, dilation, int(groups), hw, out_hw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    ``y[n, o, oh, ow] = b[o] + sum_{c, kh, kw} x_pad[n, g*C/G + c, oh*SH + kh*DH, ow*SW + kw*DW]
    * W[o, c, kh, kw]``, where g = o // (O/G) is the group of output channel o.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        weight: (O, C/groups, KH, KW) tensor.
        bias: optional (O,) tensor.
        stride: int or (SH, SW).
        padding: int, (PH, PW), ``'valid'`` (no padding) or ``'same'`` (output as large as
            the input; uneven padding puts the extra row/column at the bottom/right; needs
            stride 1).
        dilation: int or (DH, DW), the spacing between kernel taps.
        groups: split the channels into this many independent convolutions (C for a
            depthwise convolution).

    Shape:
        input (N, C, H, W) -> output (N, O, OH, OW) with
        ``OH = floor((H + PT + PB - DH*(KH-1) - 1) / SH) + 1`` (likewise OW).

    Example:
        >>> import minidl
        >>> x = minidl.ones(1, 1, 3, 3)
        >>> w = minidl.ones(1, 1, 2, 2)
        >>> conv2d(x, w).tolist()          # each output sums one 2x2 window of ones
        [[[[4.0, 4.0], [4.0, 4.0]]]]
        >>> conv2d(minidl.randn(2, 3, 8, 8), minidl.randn(6, 3, 3, 3), stride=2, padding=1).shape
        (2, 6, 4, 4)
    """
    _check_arrays("conv2d", input, weight, bias, "(O, C/groups, KH, KW)")
    geom = conv2d_geometry(input.shape, weight.shape, stride, padding, dilation, groups)
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(
            f"conv2d: expected a bias of shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    return Convolution2d.apply(input, weight, bias, geom)


# ------------------------------------------------------------ conv_transpose2d
class ConvolutionTranspose2d(Function):
    """y = conv2d's input gradient applied to x, plus b; backward reuses conv2d's pieces."""

    @staticmethod
    def forward(ctx, x, weight, bias, geom: ConvGeometry, output_shape: tuple):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        ctx.geom, ctx.weight_shape, ctx.input_shape = geom, weight.shape, x.shape
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        y = _input_grad(x, weight, output_shape, geom)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)  # y is a fresh array: add in place
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        geom = ctx.geom
        if ctx.unbatched:
            g = g[None]
        gx = gw = gb = None
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        # the columns of g serve both products, unless Winograd's algorithm runs them
        # (the products are conv2d's forward and weight gradient, of g with x as dy)
        channels = (g.shape[1], ctx.weight_shape[0])
        winograd = (_winograd_tile(geom, *channels, like=g) is not None,
                    _winograd_tile(geom, *channels, weight_grad=True, like=g) is not None)
        cols = None
        if ((ctx.needs_input_grad[0] and not winograd[0]) or (
                ctx.needs_input_grad[1] and not winograd[1])) and not _channels_last(g, geom):
            cols = _columns(g, geom)
        if ctx.needs_input_grad[0]:  # conv2d forward of g with the same weight
            gx = _convolve(g, weight, geom, cols=cols)
            if ctx.unbatched:
                gx = gx[0]
        if ctx.needs_input_grad[1]:  # conv2d's weight gradient, with x in the role of dY
            gw = _weight_grad(x, g, ctx.weight_shape, geom, cols)
        return gx, gw, gb, None, None


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution: the adjoint of :func:`conv2d` ("fractionally strided").

    Every input pixel scatters a copy of the kernel, scaled by its value, onto the output
    (``SH`` pixels apart); overlapping copies add. It maps conv2d's output shape back to
    its input shape, and ``conv_transpose2d(dy, W)`` is exactly ``dL/dx`` of
    ``conv2d(x, W)``.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W) tensor.
        weight: (C_in, C_out/groups, KH, KW) tensor (the layout of the matching conv2d).
        bias: optional (C_out,) tensor.
        stride, padding, dilation: those of the conv2d it is the adjoint of.
        output_padding: extra rows/columns at the bottom/right of the output, to choose
            among the input sizes that a strided conv2d maps to the same output size;
            must be smaller than the stride or the dilation.
        groups: as in conv2d.

    Shape:
        input (N, C_in, H, W) -> output (N, C_out, OH, OW) with
        ``OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding + 1``.

    Example:
        >>> import minidl
        >>> x = minidl.ones(1, 1, 2, 2)
        >>> w = minidl.ones(1, 1, 2, 2)
        >>> conv_transpose2d(x, w).tolist()    # four overlapping 2x2 stamps
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
        >>> conv_transpose2d(minidl.randn(1, 4, 5, 5), minidl.randn(4, 2, 3, 3), stride=2,
        ...                  padding=1, output_padding=1).shape
        (1, 2, 10, 10)
    """
    op = "conv_transpose2d"
    _check_arrays(op, input, weight, bias, "(C_in, C_out/groups, KH, KW)")
    cin, cout_g, kh, kw = weight.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ShapeError(f"{op}: groups must be a positive int, got {groups!r}")
    if input.shape[-3] != cin:
        raise ShapeError(
            f"{op}: expected input with {cin} channels (weight {tuple(weight.shape)}), "
            f"got {input.shape[-3]}")
    if cin % groups:
        raise ArgumentError(
            f"{op}: groups={groups} must divide the input channels, got {cin}")
    stride = pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    _check_positive(op, "stride", stride)
    _check_positive(op, "dilation", dilation)
    if isinstance(padding, str):
        raise ArgumentError(f"{op}: padding must be an int or a pair, got {padding!r}")
    ph, pw = pair(padding, "padding", op)
    output_padding = pair(output_padding, "output_padding", op)
    for op_, s, d in zip(output_padding, stride, dilation):
        if not 0 <= op_ < max(s, d):
            raise ShapeError(
                f"{op}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    h, w = input.shape[-2:]
    out_hw = ((h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + output_padding[0] + 1,
              (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + output_padding[1] + 1)
    if min(out_hw) < 1:
        raise ShapeError(
            f"{op}: the output size {out_hw} is not positive (input {(h, w)}, kernel "
            f"{(kh, kw)}, stride {stride}, padding {(ph, pw)})")
    if bias is not None and tuple(bias.shape) != (cout_g * groups,):
        raise ShapeError(
            f"{op}: expected a bias of shape ({cout_g * groups},), got {tuple(bias.shape)}")
    geom = ConvGeometry((kh, kw), stride, ((ph, ph), (pw, pw)), dilation, int(groups),
                        out_hw, (h, w))
    n = input.shape[0] if input.ndim == 4 else 1
    return ConvolutionTranspose2d.apply(input, weight, bias, geom,
                                        (n, cout_g * groups) + out_hw)


# ------------------------------------------------------------------ references
def _reference_padding(padding, kernel, dilation):
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return padding_pairs(padding, "conv2d_reference")


def conv2d_reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d by the textbook formula, with explicit loops (NumPy arrays; slow; for tests).

    ``y[n, o, i, j] = b[o] + sum_{c, kh, kw} x_pad[n, g*Cg + c, i*SH + kh*DH, j*SW + kw*DW]
    * w[o, c, kh, kw]`` with Cg = C/G input channels per group and g = o // (O/G).

    Example:
        >>> import numpy as np
        >>> conv2d_reference(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    x, w = np.asarray(x), np.asarray(w)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    sh, sw = pair(stride, "stride", "conv2d_reference")
    dh, dw = pair(dilation, "dilation", "conv2d_reference")
    n_batch, _, h, wid = x.shape
    n_out, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = _reference_padding(padding, (kh, kw), (dh, dw))
    xpad = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wid + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out_per_group = n_out // groups
    y = np.zeros((n_batch, n_out, oh, ow), dtype=np.result_type(x, w))
    for n in range(n_batch):
        for o in range(n_out):
            g = o // out_per_group
            for i in range(oh):
                for j in range(ow):
                    total = 0.0
                    for c in range(cg):
                        for a in range(kh):
                            for e in range(kw):
                                total += (xpad[n, g * cg + c, i * sh + a * dh, j * sw + e * dw]
                                          * w[o, c, a, e])
                    y[n, o, i, j] = total + (0.0 if b is None else b[o])
    return y[0] if unbatched else y


def conv_transpose2d_reference(x, w, b=None, stride=1, padding=0, output_padding=0,
                               groups=1, dilation=1):
    """conv_transpose2d by explicit loops: every input pixel stamps the kernel onto the output.

    ``full[n, g*Cog + co, i*SH + kh*DH, j*SW + kw*DW] += x[n, ci, i, j] * w[ci, co, kh, kw]``
    for input channel ci of group g = ci // (C_in/G); the output is ``full`` with the
    padding cut off (and output_padding zero rows/columns added at the bottom/right).

    Example:
        >>> import numpy as np
        >>> conv_transpose2d_reference(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x, w = np.asarray(x), np.asarray(w)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    sh, sw = pair(stride, "stride", "conv_transpose2d_reference")
    dh, dw = pair(dilation, "dilation", "conv_transpose2d_reference")
    ph, pw = pair(padding, "padding", "conv_transpose2d_reference")
    oph, opw = pair(output_padding, "output_padding", "conv_transpose2d_reference")
    n_batch, n_in, h, wid = x.shape
    _, cog, kh, kw = w.shape
    in_per_group = n_in // groups
    full = np.zeros((n_batch, cog * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oph,
                     (wid - 1) * sw + dw * (kw - 1) + 1 + opw), dtype=np.result_type(x, w))
    for n in range(n_batch):
        for ci in range(n_in):
            g = ci // in_per_group
            for i in range(h):
                for j in range(wid):
                    for co in range(cog):
                        for a in range(kh):
                            for e in range(kw):
                                full[n, g * cog + co, i * sh + a * dh, j * sw + e * dw] += (
                                    x[n, ci, i, j] * w[ci, co, a, e])
    y = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    if b is not None:
        y = y + np.asarray(b).reshape(1, -1, 1, 1)
    return y[0] if unbatched else y
