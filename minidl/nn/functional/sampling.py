"""Sampling: padding modes, resizing, spatial transformers, one-hot and pixel shuffle.

* :func:`pad`: ``constant`` (from :func:`minidl.ops.pad`), ``reflect``, ``replicate``,
  ``circular``;
* :func:`interpolate`: ``nearest``, ``nearest-exact``, ``linear`` (3-D), ``bilinear`` (4-D);
* :func:`affine_grid` and :func:`grid_sample`: the two halves of a spatial transformer;
* :func:`one_hot`, :func:`pixel_shuffle`, :func:`pixel_unshuffle`.

Padding and resizing are both *resampling along one axis*: output position ``j`` reads
input position(s) ``index[t][j]`` with weight(s) ``weight[t][j]``. One Function
(:class:`Resample1d`) does that with a gather (``xp.take``) forward and, backward, adds
each output gradient into the position it was read from. Several outputs may read the
same input (nearest upsampling, replicate padding), so that adjoint is a *segment sum*;
it is written with ``xp.bincount`` over linear indices, which sums repeated indices
correctly on NumPy and CuPy alike (``a[idx] += v`` would keep only one of the repeats).

Each fast function keeps a loop-based reference below it (``interpolate_reference``,
``grid_sample_reference``), the textbook formula written pixel by pixel, used by the tests.

Notation: N batch, C channels, H x W input size, OH x OW output size.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import Function
from ...backend import array_module
from ...tensor import Tensor
from ...errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "affine_grid",
    "grid_sample", "one_hot", "pixel_shuffle", "pixel_unshuffle",
]


def _scatter_add(values, index, size: int):
    """``out[i] = sum of values[k] where index[k] == i``, for i < size (a segment sum).

    ``bincount`` adds every value into its bin, repeated indices included, on NumPy and
    CuPy; it accumulates in float64 on NumPy, which we cast back.
    """
    xp = array_module(values)
    out = xp.bincount(index.reshape(-1), weights=values.reshape(-1), minlength=size)
    return out.astype(values.dtype, copy=False)


def _index_add(g, index, n: int, axis: int):
    """Adjoint of ``xp.take(x, index, axis)`` for x with ``n`` entries along ``axis``."""
    xp = array_module(g)
    gm = xp.moveaxis(g, axis, -1)
    lead = gm.shape[:-1]
    rows = math.prod(lead)
    # row r, source i  ->  bin r * n + i
    lin = xp.arange(rows, dtype=xp.int64)[:, None] * n + index[None, :]
    out = _scatter_add(gm, lin, rows * n).reshape(lead + (n,))
    return xp.moveaxis(out, -1, axis)


# ------------------------------------------------------------ resampling one axis
class Resample1d(Function):
    """``y[.., j, ..] = sum_t weight[t][j] * x[.., index[t][j], ..]`` along ``axis``.

    ``index`` is a list of integer arrays (one per tap), ``weight`` a matching list of
    float arrays, or None for a plain gather (padding, nearest).
    """

    @staticmethod
    def forward(ctx, x, *, axis, index, weight):
        xp = array_module(x)
        index = [xp.asarray(i) for i in index]
        tail = (1,) * (x.ndim - axis - 1)  # weights broadcast along the later axes
        weight = None if weight is None else [xp.asarray(w, dtype=x.dtype).reshape((-1,) + tail)
                                              for w in weight]
        y = None
        for t, idx in enumerate(index):
            term = xp.take(x, idx, axis=axis)
            if weight is not None:
                term *= weight[t]
            y = term if y is None else y + term
        ctx.axis, ctx.index, ctx.weight, ctx.n = axis, index, weight, x.shape[axis]
        return y

    @staticmethod
    def backward(ctx, g):
        gx = None
        for t, idx in enumerate(ctx.index):
            gt = g if ctx.weight is None else g * ctx.weight[t]
            part = _index_add(gt, idx, ctx.n, ctx.axis)
            gx = part if gx is None else gx + part
        return gx


def _resample(x, axis, index, weight=None):
    return Resample1d.apply(x, axis=axis, index=index, weight=weight)


# ----------------------------------------------------------------------- padding
def _pad_source(n: int, left: int, right: int, mode: str) -> np.ndarray:
    """Which input position each of the ``left + n + right`` padded positions reads."""
    j = np.arange(-left, n + right)
    if mode == "reflect":      # ... 2 1 | 0 1 2 .. n-1 | n-2 n-3 ...  (edge not repeated)
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    if mode == "replicate":    # 0 0 | 0 1 2 .. n-1 | n-1 n-1
        return np.clip(j, 0, n - 1)
    return j % n               # circular: n-2 n-1 | 0 1 .. n-1 | 0 1


def pad(input, pad, mode: str = "constant", value: float = 0.0):
    """Pad the last ``len(pad) // 2`` dims of ``input``.

    ``pad`` lists (left, right) amounts starting from the LAST dim:
    ``(w_left, w_right, h_top, h_bottom, ...)``. Modes:

    * ``constant``: fill with ``value`` (negative amounts crop);
    * ``reflect``: mirror without repeating the edge (``c b | a b c | b a``); each amount
      must be smaller than the dim's size;
    * ``replicate``: repeat the edge value (``a a | a b c | c c``);
    * ``circular``: wrap around (``b c | a b c | a b``); amounts at most the dim's size.

    Args:
        input: tensor of any shape with at least ``len(pad) // 2`` dims.
        pad: tuple of ints of even length.
        mode: 'constant', 'reflect', 'replicate' or 'circular'.
        value: the fill value for 'constant'.

    Shape:
        output: the padded dims grow by left + right.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[0.0, 1.0, 2.0]]])
        >>> pad(x, (2, 1), mode="reflect").tolist()
        [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]]
        >>> pad(x, (1, 2), mode="replicate").tolist()
        [[[0.0, 0.0, 1.0, 2.0, 2.0, 2.0]]]
        >>> pad(x, (1, 1), mode="circular").tolist()
        [[[2.0, 0.0, 1.0, 2.0, 0.0]]]
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(
            f"pad: expected an even number of pad amounts, at most 2 per dim of the input "
            f"({input.ndim} dims), got {pad}")
    if mode == "constant":
        from ... import ops
        return ops.pad(input, pad, value=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ShapeError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    shape = tuple(input.shape)
    out = input
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        left, right, n = pad[2 * k], pad[2 * k + 1], shape[axis]
        if left == 0 and right == 0:
            continue
        if n + left + right <= 0:
            raise ShapeError(f"pad: padding {(left, right)} leaves nothing of dim {axis} "
                             f"of input {shape}")
        if mode == "reflect" and (left >= n or right >= n):
            raise ShapeError(
                f"pad: reflect padding must be smaller than the padded dim, got padding "
                f"({left}, {right}) for dim {axis} of size {n} (input {shape})")
        if mode == "replicate" and n == 0:
            raise ShapeError(f"pad: cannot replicate-pad the empty dim {axis} of input {shape}")
        if mode == "circular" and (left > n or right > n):
            raise ShapeError(
                f"pad: circular padding may wrap around at most once, got padding "
                f"({left}, {right}) for dim {axis} of size {n} (input {shape})")
        out = _resample(out, axis, [_pad_source(n, left, right, mode)])
    return out


# ------------------------------------------------------------------ interpolate
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _nearest_source(n_in: int, n_out: int, scale, exact: bool) -> np.ndarray:
    """Input index read by each output index, as PyTorch computes it (in float32).

    ``scale`` is 1 / scale_factor when the user gave one, else n_in / n_out.
    nearest:        src = floor(dst * scale)
    nearest-exact:  src = floor((dst + 0.5) * scale)
    """
    dst = np.arange(n_out)
    if not exact and n_out == n_in:
        return dst
    if not exact and n_out == 2 * n_in:
        return dst // 2
    s = np.float32(scale)
    src = np.floor((dst.astype(np.float32) + np.float32(0.5 if exact else 0.0)) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_source(n_in: int, n_out: int, scale, align_corners: bool):
    """Two taps (i0, i1) and weights (w0, w1) per output index for linear interpolation.

    align_corners=True:  the corner pixels' centres line up; src = dst * (n_in-1)/(n_out-1)
    align_corners=False: pixel *areas* line up (half-pixel centres);
                         src = (dst + 0.5) * scale - 0.5, clamped at 0
    """
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = np.clip(src - i0, 0.0, 1.0)
    return [i0, i1], [1.0 - w1, w1]


def _output_geometry(op: str, shape, size, scale_factor, recompute_scale_factor):
    """The output sizes and the source-to-destination scales (None = derive from sizes)."""
    dims = len(shape) - 2
    if (size is None) == (scale_factor is None):
        raise ShapeError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        sizes = (size,) * dims if isinstance(size, int) else tuple(size)
        if len(sizes) != dims:
            raise ShapeError(f"{op}: expected size with {dims} entries for input of shape "
                             f"{tuple(shape)}, got {size}")
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * dims
    else:
        factors = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) \
            else tuple(scale_factor)
        if len(factors) != dims:
            raise ShapeError(f"{op}: expected scale_factor with {dims} entries for input of "
                             f"shape {tuple(shape)}, got {scale_factor}")
        if not all(isinstance(f, (int, float)) and not isinstance(f, bool)
                   and math.isfinite(f) and f > 0 for f in factors):
            raise ArgumentError(f"{op}: scale_factor must be positive and finite, got "
                                f"{scale_factor}")
        sizes = tuple(int(math.floor(n * float(f))) for n, f in zip(shape[2:], factors))
        scales = (None,) * dims if recompute_scale_factor else tuple(1.0 / float(f) for f in factors)
    if any(s <= 0 for s in sizes):
        raise ShapeError(f"{op}: output size must be positive, got {sizes} for input of shape "
                         f"{tuple(shape)}")
    scales = tuple(n / o if s is None else s for n, o, s in zip(shape[2:], sizes, scales))
    return sizes, scales


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize the spatial dims of ``input`` (N, C, *spatial).

    Separable: each spatial axis is resampled in turn (:class:`Resample1d`), so bilinear
    is linear along H followed by linear along W.

    Args:
        input: (N, C, L) for 'linear', (N, C, H, W) for 'bilinear', 3-D to 5-D for nearest.
        size: output spatial size (an int for all dims, or a tuple).
        scale_factor: multiplier of the spatial size (the output is floor(size * factor)).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'.
        align_corners: linear modes only. True: the corner pixels' centres of input and output
            coincide; False (default): their outer edges do (half-pixel centres).
        recompute_scale_factor: with scale_factor, compute the sampling scale from the
            output size instead of using 1 / scale_factor.

    Shape:
        output: (N, C, *size).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[1.0, 2.0]]])
        >>> interpolate(x, scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
        >>> interpolate(x, size=4, mode="linear").tolist()
        [[[1.0, 1.25, 1.75, 2.0]]]
        >>> interpolate(x, size=3, mode="linear", align_corners=True).tolist()
        [[[1.0, 1.5, 2.0]]]
    """
    dims = input.ndim - 2
    if mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ShapeError("interpolate: align_corners can only be set with the linear modes "
                             f"(linear, bilinear, trilinear), got mode={mode!r}")
        if not 1 <= dims <= 3:
            raise ShapeError(f"interpolate: mode={mode!r} expects a 3-D, 4-D or 5-D input "
                             f"(N, C, *spatial), got shape {tuple(input.shape)}")
    elif mode in _LINEAR_MODES:
        if dims != _LINEAR_MODES[mode]:
            want = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[_LINEAR_MODES[mode]]
            raise ShapeError(f"interpolate: mode={mode!r} expects input of shape {want}, got "
                             f"{tuple(input.shape)}")
    else:
        raise ShapeError(f"interpolate: mode must be one of 'nearest', 'nearest-exact', "
                         f"'linear', 'bilinear', 'trilinear', got {mode!r}")
    sizes, scales = _output_geometry("interpolate", input.shape, size, scale_factor,
                                     recompute_scale_factor)
    out = input
    for k, (n_out, scale) in enumerate(zip(sizes, scales)):
        axis, n_in = 2 + k, input.shape[2 + k]
        if mode.startswith("nearest"):
            out = _resample(out, axis, [_nearest_source(n_in, n_out, scale, mode == "nearest-exact")])
        else:
            index, weight = _linear_source(n_in, n_out, scale, bool(align_corners))
            out = _resample(out, axis, index, weight)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Alias of :func:`interpolate` (PyTorch keeps it for old code)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Nearest-neighbour upsampling: ``interpolate(input, size, scale_factor, 'nearest')``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with aligned corners, as ``nn.UpsamplingBilinear2d``."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def interpolate_reference(x: np.ndarray, size, mode: str = "nearest",
                          align_corners: bool = False, scale_factor=None) -> np.ndarray:
    """Loop-based interpolate on a NumPy (N, C, L) or (N, C, H, W) array, pixel by pixel.

    Nearest reads ``x[floor(dst * in / out)]`` (or ``1 / scale_factor`` for the scale),
    nearest-exact ``x[floor((dst + 0.5) * in / out)]``; linear/bilinear weigh the two (four)
    neighbours of the source point by their distance.
    """
    spatial = x.shape[2:]
    size = tuple(size)
    scale = [(1.0 / scale_factor[k]) if scale_factor else spatial[k] / size[k]
             for k in range(len(spatial))]

    def nearest(dst, k):
        if mode == "nearest-exact":  # the output pixel's centre, dst + 0.5, mapped back
            s = float((np.float32(dst) + np.float32(0.5)) * np.float32(scale[k]))
            return min(int(math.floor(s)), spatial[k] - 1)
        if size[k] == spatial[k]:
            return dst
        if size[k] == 2 * spatial[k]:
            return dst // 2
        s = float(np.float32(dst) * np.float32(scale[k]))  # PyTorch computes this in float32
        return min(int(math.floor(s)), spatial[k] - 1)

    def linear(dst, k):  # -> [(index, weight), (index, weight)]
        if align_corners:
            src = dst * (spatial[k] - 1) / (size[k] - 1) if size[k] > 1 else 0.0
        else:
            src = max((dst + 0.5) * scale[k] - 0.5, 0.0)
        i0 = min(int(math.floor(src)), spatial[k] - 1)
        i1 = min(i0 + 1, spatial[k] - 1)
        frac = min(max(src - i0, 0.0), 1.0)
        return [(i0, 1.0 - frac), (i1, frac)]

    out = np.zeros(x.shape[:2] + size, dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for dst in np.ndindex(*size):
                if mode.startswith("nearest"):
                    src = tuple(nearest(d, k) for k, d in enumerate(dst))
                    out[(n, c) + dst] = x[(n, c) + src]
                    continue
                taps = [linear(d, k) for k, d in enumerate(dst)]
                total = 0.0
                for combo in np.ndindex(*(2,) * len(taps)):  # every corner of the cell
                    w, src = 1.0, []
                    for k, t in enumerate(combo):
                        i, wk = taps[k][t]
                        src.append(i)
                        w *= wk
                    total += w * x[(n, c) + tuple(src)]
                out[(n, c) + dst] = total
    return out


# ------------------------------------------------------------------- affine grid
def _base_coords(steps: int, align_corners: bool) -> np.ndarray:
    """Normalised coordinates in [-1, 1] of ``steps`` pixel centres (or corners)."""
    if steps <= 1:
        return np.zeros(steps)
    coords = np.linspace(-1.0, 1.0, steps)
    # without aligned corners, -1 and 1 are the outer edges, so centres sit half a pixel in
    return coords if align_corners else coords * (steps - 1) / steps


class AffineGrid(Function):
    """``grid[n, p] = theta[n] @ (x_p, y_p, 1)`` for every output pixel p (a matmul)."""

    @staticmethod
    def forward(ctx, theta, *, base, out_shape):
        xp = array_module(theta)
        base = xp.asarray(base, dtype=theta.dtype)            # (P, k+1)
        ctx.save_for_backward(base)
        grid = xp.matmul(base, theta.transpose(0, 2, 1))      # (N, P, k)
        return grid.reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        (base,) = ctx.saved_tensors
        g = g.reshape(g.shape[0], base.shape[0], -1)          # (N, P, k)
        return g.transpose(0, 2, 1) @ base                    # dtheta[n] = g[n]^T base


def affine_grid(theta, size, align_corners: bool = False):
    """Sampling grid of an affine transform, for :func:`grid_sample`.

    Output pixel (h, w) has normalised coordinates (x_w, y_h) in [-1, 1] (x along W, y along
    H); its grid entry is where it samples the input: ``theta @ (x_w, y_h, 1)``.

    Args:
        theta: (N, 2, 3) affine matrices (or (N, 3, 4) for a 5-D size).
        size: the output size (N, C, H, W) (or (N, C, D, H, W)).
        align_corners: as in :func:`grid_sample`; use the same value for both.

    Shape:
        output: (N, H, W, 2) (or (N, D, H, W, 3)), last dim (x, y[, z]).

    Example:
        >>> import minidl
        >>> identity = minidl.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(identity, (1, 1, 2, 2), align_corners=True).tolist()
        [[[[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, 1.0]]]]
    """
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ShapeError(f"affine_grid: expected size (N, C, H, W) or (N, C, D, H, W), got {size}")
    k = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape) != (size[0], k, k + 1):
        raise ShapeError(
            f"affine_grid: expected theta of shape ({size[0]}, {k}, {k + 1}) for size {size}, "
            f"got {tuple(theta.shape)}")
    if theta.dtype.kind != "f":
        raise DTypeError(f"affine_grid: expected a floating-point theta, got {theta.dtype}")
    axes = [_base_coords(s, align_corners) for s in size[2:]]     # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    # the last grid coordinate is x (along W), then y (along H), then z (along D)
    base = np.stack([m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size)], axis=1)
    return AffineGrid.apply(theta, base=base, out_shape=(size[0],) + size[2:] + (k,))


# ------------------------------------------------------------------- grid sample
def _unnormalize(coord, size: int, align_corners: bool):
    """Normalised [-1, 1] -> pixel coordinate, and d(pixel)/d(normalised)."""
    if align_corners:  # -1 and 1 are the centres of the corner pixels
        return (coord + 1) * ((size - 1) / 2), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2  # -1 and 1 are the outer edges


def _clip(xp, ix, size: int):
    """Clamp into [0, size - 1]; the derivative is 0 on and beyond the border."""
    grad = ((ix > 0) & (ix < size - 1)).astype(ix.dtype)
    return xp.clip(ix, 0, size - 1), grad


def _reflect(xp, ix, twice_low: int, twice_high: int):
    """Reflect ``ix`` into [low, high] (mirror at each end); derivative +-1."""
    if twice_low == twice_high:
        return xp.zeros_like(ix), xp.zeros_like(ix)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = ix - low
    sign = xp.where(d < 0, -1.0, 1.0).astype(ix.dtype)
    d = xp.abs(d)
    extra = xp.fmod(d, span)
    flips = xp.floor(d / span)
    even = (flips % 2) == 0
    out = xp.where(even, extra + low, span - extra + low)
    return out, xp.where(even, sign, -sign)


def _source_index(xp, coord, size: int, padding_mode: str, align_corners: bool):
    """Pixel coordinate sampled along one axis, and its derivative w.r.t. the grid value."""
    ix, d = _unnormalize(coord, size, align_corners)
    d = xp.full(ix.shape, d, dtype=ix.dtype)
    if padding_mode == "border":
        ix, dclip = _clip(xp, ix, size)
        d = d * dclip
    elif padding_mode == "reflection":
        if align_corners:
            ix, dref = _reflect(xp, ix, 0, 2 * (size - 1))
        else:
            ix, dref = _reflect(xp, ix, -1, 2 * size - 1)
        ix, dclip = _clip(xp, ix, size)
        d = d * dref * dclip
    return ix, d


def _grid_taps(grid, H: int, W: int, mode, padding_mode, align_corners):
    """The input pixels each grid point reads, with weights.

    Returns (taps, ix, iy, dix, diy, tx, ty) where taps is a list of
    (linear index n*H*W + y*W + x, weight incl. the in-bounds mask, in-bounds mask).
    """
    xp = array_module(grid)
    N = grid.shape[0]
    ix, dix = _source_index(xp, grid[..., 0], W, padding_mode, align_corners)
    iy, diy = _source_index(xp, grid[..., 1], H, padding_mode, align_corners)
    batch = xp.arange(N, dtype=xp.int64).reshape((N,) + (1,) * (grid.ndim - 2)) * (H * W)
    if mode == "nearest":
        corners = [(xp.rint(iy), xp.rint(ix), None)]  # rint rounds halves to even, as PyTorch
        tx = ty = None
    else:
        x0, y0 = xp.floor(ix), xp.floor(iy)
        tx, ty = ix - x0, iy - y0  # position inside the cell
        corners = [(y0, x0, (1 - ty) * (1 - tx)), (y0, x0 + 1, (1 - ty) * tx),
                   (y0 + 1, x0, ty * (1 - tx)), (y0 + 1, x0 + 1, ty * tx)]
    taps = []
    for yy, xx, w in corners:
        inside = (xx >= 0) & (xx <= W - 1) & (yy >= 0) & (yy <= H - 1)
        lin = batch + xp.clip(yy, 0, H - 1).astype(xp.int64) * W + xp.clip(xx, 0, W - 1).astype(xp.int64)
        mask = inside.astype(grid.dtype)
        taps.append((lin, mask if w is None else w * mask, mask))
    return taps, dix, diy, tx, ty


class GridSample(Function):
    """Sample ``input`` at the points of ``grid`` (bilinear or nearest).

    forward:   out[n, c, p] = sum over the 4 corners k of w_k(p) * input[n, c, corner_k(p)]
    backward, input: each output gradient goes back to its corners, times w_k (a segment sum:
               several output points may read the same input pixel);
    backward, grid:  the weights are bilinear in the position (tx, ty) inside the cell, so
               d out / d ix = (1 - ty)(v_01 - v_00) + ty (v_11 - v_10), and likewise for iy;
               times d ix / d grid (the unnormalisation scale, 0 where border-clamped).
    """

    @staticmethod
    def forward(ctx, x, grid, *, mode, padding_mode, align_corners):
        xp = array_module(x, grid)
        N, C, H, W = x.shape
        taps, *_ = _grid_taps(grid, H, W, mode, padding_mode, align_corners)
        x_rows = xp.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(N * H * W, C)
        out = None
        for lin, w, _ in taps:
            term = x_rows[lin] * w[..., None]                 # (N, OH, OW, C)
            out = term if out is None else out + term
        ctx.geometry = (mode, padding_mode, align_corners)
        ctx.save_for_backward(x_rows, grid)
        ctx.x_shape = x.shape
        return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))

    @staticmethod
    def backward(ctx, g):
        x_rows, grid = ctx.saved_tensors
        xp = array_module(x_rows)
        N, C, H, W = ctx.x_shape
        mode, padding_mode, align_corners = ctx.geometry
        taps, dix, diy, tx, ty = _grid_taps(grid, H, W, mode, padding_mode, align_corners)
        g_last = g.transpose(0, 2, 3, 1)                      # (N, OH, OW, C)
        gx = ggrid = None
        if ctx.needs_input_grad[0]:
            channel = xp.arange(C, dtype=xp.int64)
            bins = xp.concatenate([(lin[..., None] * C + channel).reshape(-1) for lin, _, _ in taps])
            vals = xp.concatenate([(g_last * w[..., None]).reshape(-1) for _, w, _ in taps])
            gx = _scatter_add(vals, bins, N * H * W * C).reshape(N, H, W, C).transpose(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            if mode == "nearest":  # piecewise constant in the grid: zero gradient
                ggrid = xp.zeros_like(grid)
            else:
                # dL/dv_k summed with the channels: the corner values weighted by g
                v00, v01, v10, v11 = [(x_rows[lin] * mask[..., None] * g_last).sum(axis=-1)
                                      for lin, _, mask in taps]
                d_ix = (1 - ty) * (v01 - v00) + ty * (v11 - v10)
                d_iy = (1 - tx) * (v10 - v00) + tx * (v11 - v01)
                ggrid = xp.stack([d_ix * dix, d_iy * diy], axis=-1)
        return gx, ggrid


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool = False):
    """Sample ``input`` at the normalised positions in ``grid`` (a spatial transformer).

    ``grid[n, h, w] = (x, y)`` in [-1, 1] says where output pixel (h, w) reads input n:
    x = -1 is the left of the input, 1 the right (y likewise, top to bottom). Points
    between pixels are interpolated; points outside follow ``padding_mode``.
    Differentiable with respect to both ``input`` and ``grid``.

    Args:
        input: (N, C, H, W).
        grid: (N, OH, OW, 2), same dtype as input.
        mode: 'bilinear' or 'nearest'.
        padding_mode: 'zeros' (outside reads 0), 'border' (the nearest edge pixel) or
            'reflection' (mirrored at the edges).
        align_corners: True: -1 and 1 are the centres of the corner pixels; False: their
            outer edges (the same convention as :func:`affine_grid` should use).

    Shape:
        output: (N, C, OH, OW).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> grid = minidl.tensor([[[[0.0, 0.0], [-1.0, -1.0]]]])  # centre; top-left corner
        >>> grid_sample(x, grid, align_corners=True).tolist()
        [[[[2.5, 1.0]]]]
    """
    if input.ndim != 4:
        raise ShapeError(f"grid_sample: expected input of shape (N, C, H, W), got {tuple(input.shape)}")
    if grid.ndim != 4 or grid.shape[0] != input.shape[0] or grid.shape[3] != 2:
        raise ShapeError(f"grid_sample: expected grid of shape ({input.shape[0]}, OH, OW, 2) for "
                         f"input {tuple(input.shape)}, got {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest"):
        raise ArgumentError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ArgumentError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    if input.dtype != grid.dtype:
        raise DTypeError(f"grid_sample: expected input and grid of the same dtype, got "
                        f"{input.dtype} and {grid.dtype}")
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))


def grid_sample_reference(x: np.ndarray, grid: np.ndarray, mode: str = "bilinear",
                          padding_mode: str = "zeros", align_corners: bool = False) -> np.ndarray:
    """Loop-based grid_sample on NumPy arrays: one output pixel at a time, textbook formulas."""
    N, C, H, W = x.shape
    OH, OW = grid.shape[1:3]

    def source(coord, size):
        if align_corners:  # -1 and 1 are the centres of the corner pixels
            p = (coord + 1) * ((size - 1) / 2)
        else:              # -1 and 1 are the outer edges of the corner pixels
            p = ((coord + 1) * size - 1) / 2
        if padding_mode == "reflection":
            low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
            if high > low:
                span = high - low
                p = abs(p - low)
                flips, extra = divmod(p, span)
                p = low + (extra if flips % 2 == 0 else span - extra)
            else:
                p = 0.0
        if padding_mode in ("border", "reflection"):
            p = min(max(p, 0.0), size - 1.0)
        return p

    def pixel(n, c, yy, xx):
        if 0 <= yy < H and 0 <= xx < W:
            return x[n, c, yy, xx]
        return 0.0  # zero padding (border/reflection never leave the image)

    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for h in range(OH):
            for w in range(OW):
                px = source(grid[n, h, w, 0], W)
                py = source(grid[n, h, w, 1], H)
                for c in range(C):
                    if mode == "nearest":
                        out[n, c, h, w] = pixel(n, c, int(round(py)), int(round(px)))
                        continue
                    x0, y0 = math.floor(px), math.floor(py)
                    fx, fy = px - x0, py - y0
                    out[n, c, h, w] = ((1 - fy) * (1 - fx) * pixel(n, c, y0, x0)
                                       + (1 - fy) * fx * pixel(n, c, y0, x0 + 1)
                                       + fy * (1 - fx) * pixel(n, c, y0 + 1, x0)
                                       + fy * fx * pixel(n, c, y0 + 1, x0 + 1))
    return out


# ----------------------------------------------------------------------- one-hot
def one_hot(tensor, num_classes: int = -1):
    """Class indices -> one-hot vectors (int64), a new last dim of size ``num_classes``.

    Args:
        tensor: integer tensor of class indices, any shape.
        num_classes: number of classes; -1 means ``tensor.max() + 1``.

    Shape:
        output: (*tensor.shape, num_classes), int64.

    Example:
        >>> import minidl
        >>> one_hot(minidl.tensor([0, 2]), 3).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    idx = tensor._array if isinstance(tensor, Tensor) else tensor
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: expected an integer tensor of class indices, got {idx.dtype}")
    xp = array_module(idx)
    lo = int(idx.min()) if idx.size else 0
    hi = int(idx.max()) if idx.size else -1
    if num_classes == -1:
        if idx.size == 0:
            raise ArgumentError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = hi + 1
    if lo < 0 or hi >= num_classes:
        raise ArgumentError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                         f"[{lo}, {hi}]")
    classes = xp.arange(num_classes, dtype=idx.dtype)
    return Tensor._wrap((idx[..., None] == classes).astype(xp.int64))


# ------------------------------------------------------------------ pixel shuffle
def _shuffle(x, r: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]."""
    *lead, crr, H, W = x.shape
    c, b = crr // (r * r), len(lead)
    y = x.reshape(*lead, c, r, r, H, W)
    y = y.transpose(*range(b), b, b + 3, b + 1, b + 4, b + 2)  # (*, C, H, r, W, r)
    return y.reshape(*lead, c, H * r, W * r)


def _unshuffle(x, r: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of :func:`_shuffle`."""
    *lead, c, Hr, Wr = x.shape
    H, W, b = Hr // r, Wr // r, len(lead)
    y = x.reshape(*lead, c, H, r, W, r)
    y = y.transpose(*range(b), b, b + 2, b + 4, b + 1, b + 3)  # (*, C, r, r, H, W)
    return y.reshape(*lead, c * r * r, H, W)


class PixelShuffle(Function):
    """A fixed permutation of elements: its backward is the inverse permutation."""

    @staticmethod
    def forward(ctx, x, *, r):
        ctx.r = r
        return _shuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return _unshuffle(g, ctx.r)


class PixelUnshuffle(Function):
    @staticmethod
    def forward(ctx, x, *, r):
        ctx.r = r
        return _unshuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return _shuffle(g, ctx.r)


def pixel_shuffle(input, upscale_factor: int):
    """Rearrange channels into space: (*, C*r^2, H, W) -> (*, C, H*r, W*r), r = upscale_factor.

    The sub-pixel convolution's upsampling step: each group of r^2 channels fills an r x r
    block of output pixels.

    Example:
        >>> import minidl
        >>> pixel_shuffle(minidl.arange(4).reshape(1, 4, 1, 1), 2).tolist()
        [[[[0, 1], [2, 3]]]]
    """
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: expected input of shape (*, C*{r * r}, H, W) for "
                         f"upscale_factor={upscale_factor}, got {tuple(input.shape)}")
    return PixelShuffle.apply(input, r=r)


def pixel_unshuffle(input, downscale_factor: int):
    """Rearrange space into channels: (*, C, H*r, W*r) -> (*, C*r^2, H, W), the inverse.

    Example:
        >>> import minidl
        >>> pixel_unshuffle(minidl.arange(4).reshape(1, 1, 2, 2), 2).reshape(-1).tolist()
        [0, 1, 2, 3]
    """
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-2] % r or input.shape[-1] % r:
        raise ShapeError(f"pixel_unshuffle: expected input of shape (*, C, H, W) with H and W "
                         f"divisible by downscale_factor={downscale_factor}, got "
                         f"{tuple(input.shape)}")
    return PixelUnshuffle.apply(input, r=r)
