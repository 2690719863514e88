"""1-D and 3-D convolutions and transposed convolutions.

* conv1d and conv_transpose1d are conv2d and conv_transpose2d on a (N, C, 1, L) image:
  a 1-D signal is an image one row high, and a (O, C, K) kernel a (O, C, 1, K) one. They
  reuse the 2-D code (and its speed) as it is; autograd handles the added unit dimension.
* conv3d and conv_transpose3d follow conv2d's recipe with a 3-D im2col
  (:mod:`.im2col_nd`), in the notation of :mod:`.im2col` extended to volumes
  (D, H, W input, KD, KH, KW kernel, OD, OH, OW output, K = C*KD*KH*KW, L = N*OD*OH*OW)::

      cols = im2col_nd(x)              (K, L)     every window of x is a column
      Y    = W @ cols                  (O, L)     one product per group
      dL/dW = dY @ cols^T              (O, K)     (cols rebuilt from the saved x)
      dL/dx = col2im_nd(W^T @ dY)      (N, C, D, H, W)

  conv_transpose3d is the adjoint: its forward is conv3d's input gradient and its
  backward uses conv3d's forward (dL/dx) and weight-gradient product (dL/dW).

Loop references (``conv_nd_reference``, ``conv_transpose_nd_reference``), written once
for any number of spatial dimensions, check both the 1-D and the 3-D ops.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...autograd.function import Function
from ...backend import array_module
from ...errors import ArgumentError, DTypeError, ShapeError
from .conv import conv2d, conv_transpose2d
from .im2col_nd import col2im_nd, im2col_nd, ntuple, output_size_nd

__all__ = ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose3d", "conv_nd_reference",
           "conv_transpose_nd_reference"]


class GeometryNd(NamedTuple):
    """A convolution's shapes and arguments, S spatial dimensions, in conv's terms.

    For a transposed convolution ``in_size`` is its *output* size and ``out_size`` its
    input size: it runs the convolution backwards.
    """

    kernel: tuple      # K, S ints
    stride: tuple      # Z
    padding: tuple     # S (before, after) pairs
    dilation: tuple    # R
    groups: int        # G
    in_size: tuple     # I
    out_size: tuple    # O


# ------------------------------------------------------------- argument checking
def _check_arrays(op: str, s: int, x, weight, bias, weight_layout: str) -> None:
    spatial = {1: "L", 3: "D, H, W"}[s]
    if x.ndim not in (s + 1, s + 2):
        raise ShapeError(
            f"{op}: expected a {s + 1}-D (C, {spatial}) or {s + 2}-D (N, C, {spatial}) input, "
            f"got shape {tuple(x.shape)}")
    if weight.ndim != s + 2:
        raise ShapeError(
            f"{op}: expected a {s + 2}-D weight {weight_layout}, got shape {tuple(weight.shape)}")
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"{op}: input and weight must have the same dtype, got {x.dtype} and {weight.dtype}")
    if bias is not None and bias.dtype != weight.dtype:
        raise DTypeError(
            f"{op}: bias and weight must have the same dtype, got {bias.dtype} and {weight.dtype}")


def _check_groups(op: str, groups) -> int:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _positive(op: str, s: int, name: str, value) -> tuple:
    value = ntuple(value, s, name, op)
    if min(value) < 1:
        raise ShapeError(f"{op}: {name} must be positive, got {value}")
    return value


def conv_geometry(op: str, input_shape: tuple, weight_shape: tuple, stride, padding,
                  dilation, groups) -> GeometryNd:
    """Check a convolution's arguments (S = weight.ndim - 2) and return its geometry."""
    s = len(weight_shape) - 2
    stride = _positive(op, s, "stride", stride)
    dilation = _positive(op, s, "dilation", dilation)
    groups = _check_groups(op, groups)
    o, cg, *kernel = weight_shape
    c = input_shape[-s - 1]
    if o % groups:
        raise ShapeError(f"{op}: groups={groups} must divide the output channels, but weight "
                         f"{tuple(weight_shape)} has {o}")
    if c != cg * groups:
        raise ShapeError(f"{op}: expected input with {cg * groups} channels (weight "
                         f"{tuple(weight_shape)} with groups={groups}), got {c}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = ((0, 0),) * s
        elif padding == "same":
            if stride != (1,) * s:
                raise ShapeError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            # total padding R*(K-1) keeps the size; an odd total puts the extra at the end
            totals = [r * (k - 1) for k, r in zip(kernel, dilation)]
            padding = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise ArgumentError(f"{op}: padding must be an int, a tuple of {s} ints, 'same' or "
                                f"'valid', got {padding!r}")
    else:
        padding = ntuple(padding, s, "padding", op)
        if min(padding) < 0:
            raise ArgumentError(f"{op}: padding must be non-negative, got {padding}")
        padding = tuple((p, p) for p in padding)
    size = tuple(input_shape[-s:])
    out_size = output_size_nd(op, size, kernel, stride, padding, dilation)
    return GeometryNd(tuple(kernel), stride, padding, dilation, groups, size, out_size)


def conv_transpose_geometry(op: str, input_shape: tuple, weight_shape: tuple, stride, padding,
                            output_padding, groups, dilation) -> GeometryNd:
    """Check a transposed convolution's arguments and return the geometry of its conv."""
    s = len(weight_shape) - 2
    groups = _check_groups(op, groups)
    cin, cout_g, *kernel = weight_shape
    if input_shape[-s - 1] != cin:
        raise ShapeError(f"{op}: expected input with {cin} channels (weight "
                         f"{tuple(weight_shape)}), got {input_shape[-s - 1]}")
    if cin % groups:
        raise ShapeError(f"{op}: groups={groups} must divide the input channels, got {cin}")
    stride = _positive(op, s, "stride", stride)
    dilation = _positive(op, s, "dilation", dilation)
    if isinstance(padding, str):
        raise ArgumentError(
            f"{op}: padding must be an int or a tuple of {s} ints, got {padding!r}")
    padding = ntuple(padding, s, "padding", op)
    output_padding = ntuple(output_padding, s, "output_padding", op)
    if min(padding) < 0:
        raise ArgumentError(f"{op}: padding must be non-negative, got {padding}")
    for extra, z, r in zip(output_padding, stride, dilation):
        if not 0 <= extra < max(z, r):
            raise ShapeError(
                f"{op}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    size = tuple(input_shape[-s:])
    out = tuple((i - 1) * z - 2 * p + r * (k - 1) + e + 1 for i, z, p, r, k, e in
                zip(size, stride, padding, dilation, kernel, output_padding))
    if min(out) < 1:
        raise ShapeError(f"{op}: the output size {out} is not positive (input {size}, kernel "
                         f"{tuple(kernel)}, stride {stride}, padding {padding})")
    return GeometryNd(tuple(kernel), stride, tuple((p, p) for p in padding), dilation, groups,
                      out, size)


def _check_bias(op: str, bias, channels: int) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ShapeError(
            f"{op}: expected a bias of shape ({channels},), got {tuple(bias.shape)}")


# ------------------------------------------------------------ the three pieces
def _columns(x, geom: GeometryNd):
    """im2col_nd of x (N, C, *I) as G stacked (K/G, L) blocks."""
    cols = im2col_nd(x, geom.kernel, geom.stride, geom.padding, geom.dilation, geom.out_size)
    return cols.reshape(geom.groups, -1, cols.shape[1])


def _rows(y, groups: int):
    """(N, O, *O) -> (G, O/G, L): each channel's values over the batch as one row."""
    xp = array_module(y)
    rows = xp.ascontiguousarray(xp.swapaxes(y, 0, 1))
    return rows.reshape(groups, y.shape[1] // groups, -1)


def _convolve(x, weight, geom: GeometryNd, cols=None):
    """The convolution of x (N, C, *I): Y = W @ cols per group, as (N, O, *O)."""
    xp = array_module(x)
    g, o = geom.groups, weight.shape[0]
    cols = _columns(x, geom) if cols is None else cols           # (G, K/G, L)
    y = xp.matmul(weight.reshape(g, o // g, -1), cols)           # (G, O/G, L)
    y = y.reshape((o, x.shape[0]) + tuple(geom.out_size))
    return xp.ascontiguousarray(xp.swapaxes(y, 0, 1))


def _weight_grad(dy, x, weight_shape, geom: GeometryNd, cols=None):
    """dL/dW = dY @ cols^T per group: (O, C/G, *K)."""
    xp = array_module(x)
    cols = _columns(x, geom) if cols is None else cols           # (G, K/G, L)
    dw = xp.matmul(_rows(dy, geom.groups), xp.swapaxes(cols, 1, 2))
    return dw.reshape(weight_shape)


def _input_grad(dy, weight, input_shape, geom: GeometryNd):
    """dL/dx = col2im_nd(W^T @ dY) per group: (N, C, *I)."""
    xp = array_module(dy)
    g, o = geom.groups, weight.shape[0]
    w = weight.reshape(g, o // g, -1)                             # (G, O/G, K/G)
    dcols = xp.matmul(xp.swapaxes(w, 1, 2), _rows(dy, g))         # (G, K/G, L)
    return col2im_nd(dcols.reshape(-1, dcols.shape[2]), input_shape, geom.kernel, geom.stride,
                     geom.padding, geom.dilation, geom.out_size)


def _bias_shape(s: int) -> tuple:
    return (1, -1) + (1,) * s


# ------------------------------------------------------------------- conv3d
class ConvolutionNd(Function):
    """y = conv(x, W) + b over S spatial dimensions: im2col_nd + one matmul per group."""

    @staticmethod
    def forward(ctx, x, weight, bias, geom: GeometryNd):
        s = len(geom.kernel)
        ctx.unbatched = x.ndim == s + 1
        if ctx.unbatched:
            x = x[None]
        ctx.geom, ctx.input_shape, ctx.weight_shape = geom, x.shape, weight.shape
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        y = _convolve(x, weight, geom)
        if bias is not None:
            y += bias.reshape(_bias_shape(s))
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if ctx.unbatched:
            g = g[None]
        gx = gw = gb = None
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        if ctx.needs_input_grad[1]:
            gw = _weight_grad(g, x, ctx.weight_shape, ctx.geom)
        if ctx.needs_input_grad[0]:
            gx = _input_grad(g, weight, ctx.input_shape, ctx.geom)
            if ctx.unbatched:
                gx = gx[0]
        return gx, gw, gb, None


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over volumes: video clips, CT and MRI scans.

    ``y[n, o, i, j, k] = b[o] + sum_{c, a, e, f} x_pad[n, g*C/G + c, i*SD + a*DD,
    j*SH + e*DH, k*SW + f*DW] * W[o, c, a, e, f]``, g = o // (O/G) the group of channel o.

    Args:
        input: (N, C, D, H, W) or unbatched (C, D, H, W) tensor.
        weight: (O, C/groups, KD, KH, KW) tensor.
        bias: optional (O,) tensor.
        stride: int or (SD, SH, SW).
        padding: int, (PD, PH, PW), ``'valid'`` (none) or ``'same'`` (output as large as
            the input, the odd extra at the end; needs stride 1).
        dilation: int or (DD, DH, DW).
        groups: split the channels into this many independent convolutions.

    Shape:
        input (N, C, D, H, W) -> output (N, O, OD, OH, OW) with
        ``OD = floor((D + 2*PD - DD*(KD-1) - 1) / SD) + 1`` (likewise OH, OW).

    Example:
        >>> import minidl
        >>> conv3d(minidl.ones(1, 1, 3, 3, 3), minidl.ones(1, 1, 2, 2, 2)).tolist()[0][0][0]
        [[8.0, 8.0], [8.0, 8.0]]
        >>> conv3d(minidl.randn(2, 3, 8, 8, 8), minidl.randn(4, 3, 3, 3, 3), stride=2,
        ...        padding=1).shape
        (2, 4, 4, 4, 4)
    """
    op = "conv3d"
    _check_arrays(op, 3, input, weight, bias, "(O, C/groups, KD, KH, KW)")
    geom = conv_geometry(op, input.shape, weight.shape, stride, padding, dilation, groups)
    _check_bias(op, bias, weight.shape[0])
    return ConvolutionNd.apply(input, weight, bias, geom)


class ConvolutionTransposeNd(Function):
    """y = conv's input gradient applied to x, plus b; backward reuses conv's pieces."""

    @staticmethod
    def forward(ctx, x, weight, bias, geom: GeometryNd, output_shape: tuple):
        s = len(geom.kernel)
        ctx.unbatched = x.ndim == s + 1
        if ctx.unbatched:
            x = x[None]
        ctx.geom, ctx.weight_shape = geom, weight.shape
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        y = _input_grad(x, weight, output_shape, geom)
        if bias is not None:
            y += bias.reshape(_bias_shape(s))
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if ctx.unbatched:
            g = g[None]
        gx = gw = gb = None
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        cols = _columns(g, ctx.geom) if ctx.needs_input_grad[0] or ctx.needs_input_grad[1] \
            else None
        if ctx.needs_input_grad[0]:  # the convolution of g with the same weight
            gx = _convolve(g, weight, ctx.geom, cols)
            if ctx.unbatched:
                gx = gx[0]
        if ctx.needs_input_grad[1]:  # conv's weight gradient with x in the role of dY
            gw = _weight_grad(x, g, ctx.weight_shape, ctx.geom, cols)
        return gx, gw, gb, None, None


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution: the adjoint of :func:`conv3d` (a learned upsampling).

    Every input voxel scatters a copy of the kernel, scaled by its value, onto the output;
    overlapping copies add. ``conv_transpose3d(dy, W)`` is exactly dL/dx of ``conv3d(x, W)``.

    Args:
        input: (N, C_in, D, H, W) or unbatched (C_in, D, H, W) tensor.
        weight: (C_in, C_out/groups, KD, KH, KW) tensor (the matching conv3d's layout).
        bias: optional (C_out,) tensor.
        stride, padding, dilation: those of the conv3d it is the adjoint of (ints or triples).
        output_padding: extra elements at the end of each output dimension, smaller than
            the stride or the dilation there.
        groups: as in conv3d.

    Shape:
        input (N, C_in, D, H, W) -> output (N, C_out, OD, OH, OW) with
        ``OD = (D - 1)*SD - 2*PD + DD*(KD - 1) + output_padding + 1`` (likewise OH, OW).

    Example:
        >>> import minidl
        >>> y = conv_transpose3d(minidl.ones(1, 1, 2, 2, 2), minidl.ones(1, 1, 2, 2, 2))
        >>> y.tolist()[0][0][1]                 # the middle slice: eight stamps overlap
        [[2.0, 4.0, 2.0], [4.0, 8.0, 4.0], [2.0, 4.0, 2.0]]
        >>> conv_transpose3d(minidl.randn(1, 4, 3, 3, 3), minidl.randn(4, 2, 3, 3, 3),
        ...                  stride=2, padding=1, output_padding=1).shape
        (1, 2, 6, 6, 6)
    """
    op = "conv_transpose3d"
    _check_arrays(op, 3, input, weight, bias, "(C_in, C_out/groups, KD, KH, KW)")
    geom = conv_transpose_geometry(op, input.shape, weight.shape, stride, padding,
                                   output_padding, groups, dilation)
    c_out = weight.shape[1] * geom.groups
    _check_bias(op, bias, c_out)
    n = input.shape[0] if input.ndim == 5 else 1
    return ConvolutionTransposeNd.apply(input, weight, bias, geom, (n, c_out) + geom.in_size)


# ------------------------------------------------------------------- conv1d
def _one(value, name: str, op: str):
    """A 1-D argument (int or 1-tuple) as an int; strings (padding modes) pass through."""
    return value if isinstance(value, str) else ntuple(value, 1, name, op)[0]


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over sequences: conv2d of a one-row-high image.

    ``y[n, o, i] = b[o] + sum_{c, k} x_pad[n, g*C/G + c, i*S + k*D] * W[o, c, k]``.

    Args:
        input: (N, C, L) or unbatched (C, L) tensor.
        weight: (O, C/groups, K) tensor.
        bias: optional (O,) tensor.
        stride, dilation: int (or a 1-tuple).
        padding: int, ``'valid'`` or ``'same'`` (the odd extra on the right; stride 1).
        groups: split the channels into this many independent convolutions.

    Shape:
        input (N, C, L) -> output (N, O, OL), ``OL = floor((L + 2*P - D*(K-1) - 1) / S) + 1``.

    Example:
        >>> import minidl
        >>> conv1d(minidl.tensor([[[1., 2., 3., 4.]]]), minidl.tensor([[[1., -1.]]])).tolist()
        [[[-1.0, -1.0, -1.0]]]
        >>> conv1d(minidl.randn(2, 3, 10), minidl.randn(5, 3, 3), padding="same").shape
        (2, 5, 10)
    """
    op = "conv1d"
    _check_arrays(op, 1, input, weight, bias, "(O, C/groups, K)")
    conv_geometry(op, input.shape, weight.shape, stride, padding, dilation, groups)
    _check_bias(op, bias, weight.shape[0])
    stride, dilation = _one(stride, "stride", op), _one(dilation, "dilation", op)
    padding = _one(padding, "padding", op)
    y = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride),
               padding if isinstance(padding, str) else (0, padding), (1, dilation), groups)
    return y.squeeze(-2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution, the adjoint of :func:`conv1d`: conv_transpose2d one row high.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L) tensor.
        weight: (C_in, C_out/groups, K) tensor.
        bias: optional (C_out,) tensor.
        stride, padding, dilation: those of the conv1d it is the adjoint of.
        output_padding: extra elements at the end, smaller than the stride or the dilation.
        groups: as in conv1d.

    Shape:
        input (N, C_in, L) -> output (N, C_out, OL), ``OL = (L - 1)*S - 2*P + D*(K - 1)
        + output_padding + 1``.

    Example:
        >>> import minidl
        >>> conv_transpose1d(minidl.tensor([[[1., 2.]]]), minidl.tensor([[[1., 1., 1.]]]),
        ...                  stride=2).tolist()
        [[[1.0, 1.0, 3.0, 2.0, 2.0]]]
    """
    op = "conv_transpose1d"
    _check_arrays(op, 1, input, weight, bias, "(C_in, C_out/groups, K)")
    geom = conv_transpose_geometry(op, input.shape, weight.shape, stride, padding,
                                   output_padding, groups, dilation)
    _check_bias(op, bias, weight.shape[1] * geom.groups)
    stride, dilation = _one(stride, "stride", op), _one(dilation, "dilation", op)
    padding = _one(padding, "padding", op)
    output_padding = _one(output_padding, "output_padding", op)
    y = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride),
                         (0, padding), (0, output_padding), groups, (1, dilation))
    return y.squeeze(-2)


# ------------------------------------------------------------------- references
def _reference_padding(padding, kernel, dilation):
    s = len(kernel)
    if padding == "valid":
        return (0,) * s, (0,) * s
    if padding == "same":
        totals = [r * (k - 1) for k, r in zip(kernel, dilation)]
        return tuple(t // 2 for t in totals), tuple(t - t // 2 for t in totals)
    padding = ntuple(padding, s, "padding", "conv_nd_reference")
    return padding, padding


def conv_nd_reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """A convolution over any number S of spatial dimensions, by explicit loops (for tests).

    ``y[n, o, i] = b[o] + sum_{c, k} x_pad[n, g*Cg + c, i*Z + k*R] * w[o, c, k]`` where i
    and k are S-dimensional positions, Cg = C/G and g = o // (O/G).

    Example:
        >>> import numpy as np
        >>> conv_nd_reference(np.arange(4.0).reshape(1, 1, 4), np.ones((1, 1, 2))).tolist()
        [[[1.0, 3.0, 5.0]]]
    """
    x, w = np.asarray(x), np.asarray(w)
    s = w.ndim - 2
    unbatched = x.ndim == s + 1
    if unbatched:
        x = x[None]
    n_out, cg, *kernel = w.shape
    stride = ntuple(stride, s, "stride", "conv_nd_reference")
    dilation = ntuple(dilation, s, "dilation", "conv_nd_reference")
    before, after = _reference_padding(padding, kernel, dilation)
    xpad = np.pad(x, [(0, 0), (0, 0)] + list(zip(before, after)))
    out = [(n + p + q - r * (k - 1) - 1) // z + 1 for n, p, q, r, k, z in
           zip(x.shape[2:], before, after, dilation, kernel, stride)]
    per_group = n_out // groups
    y = np.zeros([x.shape[0], n_out] + out, dtype=np.result_type(x, w))
    for n in range(x.shape[0]):
        for o in range(n_out):
            g = o // per_group
            for i in np.ndindex(*out):
                total = 0.0 if b is None else b[o]
                for c in range(cg):
                    for k in np.ndindex(*kernel):
                        pos = tuple(a * z + e * r for a, z, e, r in zip(i, stride, k, dilation))
                        total += xpad[(n, g * cg + c) + pos] * w[(o, c) + k]
                y[(n, o) + i] = total
    return y[0] if unbatched else y


def conv_transpose_nd_reference(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                                dilation=1):
    """A transposed convolution over S spatial dimensions by explicit loops: every input
    element stamps the kernel onto the output (then the padding is cut off).

    Example:
        >>> import numpy as np
        >>> conv_transpose_nd_reference(np.ones((1, 1, 2)), np.ones((1, 1, 2))).tolist()
        [[[1.0, 2.0, 1.0]]]
    """
    x, w = np.asarray(x), np.asarray(w)
    s = w.ndim - 2
    unbatched = x.ndim == s + 1
    if unbatched:
        x = x[None]
    _, cog, *kernel = w.shape
    name = "conv_transpose_nd_reference"
    stride = ntuple(stride, s, "stride", name)
    dilation = ntuple(dilation, s, "dilation", name)
    padding = ntuple(padding, s, "padding", name)
    extra = ntuple(output_padding, s, "output_padding", name)
    n_in = x.shape[1]
    per_group = n_in // groups
    full_size = [(i - 1) * z + r * (k - 1) + 1 + e for i, z, r, k, e in
                 zip(x.shape[2:], stride, dilation, kernel, extra)]
    full = np.zeros([x.shape[0], cog * groups] + full_size, dtype=np.result_type(x, w))
    for n in range(x.shape[0]):
        for ci in range(n_in):
            g = ci // per_group
            for i in np.ndindex(*x.shape[2:]):
                for co in range(cog):
                    for k in np.ndindex(*kernel):
                        pos = tuple(a * z + e * r for a, z, e, r in zip(i, stride, k, dilation))
                        full[(n, g * cog + co) + pos] += x[(n, ci) + i] * w[(ci, co) + k]
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full_size))
    y = full[(slice(None), slice(None)) + crop]
    if b is not None:
        y = y + np.asarray(b).reshape((1, -1) + (1,) * s)
    return y[0] if unbatched else y

