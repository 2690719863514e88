"""Winograd convolution: a 3x3, stride-1 convolution with 2.25 to 4 times fewer multiplications.

Notation as in :mod:`.im2col`; besides, m is the side of an output tile, a = m + 2 the
side of the input tile it needs, TH x TW the grid of tiles covering the output and
T = N*TH*TW the number of tiles in the batch.

**One dimension.** Two outputs of a 3-tap correlation,

    y0 = d0*g0 + d1*g1 + d2*g2
    y1 = d1*g0 + d2*g1 + d3*g2,

cost six multiplications. Winograd's minimal filtering algorithm F(2, 3) gets them with
four::

    y = A^T [ (G g) * (B^T d) ]        g: 3 kernel taps, d: 4 inputs, * elementwise

``G g`` (4 numbers) depends on the kernel only, ``B^T d`` (4 numbers) takes additions
only, and ``A^T`` (2 x 4) adds the four products into the two outputs. F(m, 3) does
the same for m outputs with m + 2 multiplications.

    >>> import numpy as np
    >>> AT, G, BT = winograd_matrices(2)
    >>> d, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    >>> AT @ ((G @ g) * (BT @ d))                    # = [1 - 3, 2 - 4]
    array([-2., -2.])

**Two dimensions.** Nesting the 1-D algorithm along rows and columns gives
F(m x m, 3 x 3): an a x a input tile d gives an m x m output tile

    Y = A^T [ (G g G^T) * (B^T d B) ] A

with a*a multiplications instead of 9*m*m: 16 instead of 36 for m = 2, 36 instead of
144 for m = 4.

**A convolution layer** sums over C input channels for each of O output channels. The
transformed kernel ``U = G g G^T`` and the transformed input tile ``V = B^T d B`` are
a x a arrays, and for each of their a*a positions xi the sum over channels is a matrix
product::

    V[xi]  (T, C)     every input tile of every image, transformed
    U[xi]  (C, O)     the kernels, transformed once per call
    M[xi] = V[xi] @ U[xi]          (T, O)        a*a products: the bulk of the work
    Y     = A^T M A per tile       (N, OH, OW, O)

so the whole layer is a*a matrix products of (T, C) by (C, O), whose multiplications
add up to a*a / (9*m*m) of im2col's single (N*OH*OW, 9C) by (9C, O) product: 1/2.25
for m = 2 and 1/4 for m = 4. The transforms are linear maps of a few numbers per tile;
here each is written as one small matrix product as well (``kron(B^T, B^T)`` applied
to every tile flattened to a*a numbers), which keeps them inside the BLAS.

**Channels last.** The tiles are cut from the input by one strided copy. With the
channels innermost (N, H, W, C), every tile row is a run of C contiguous numbers, and
the copy runs at memory speed; from the (N, C, H, W) layout the same copy reads runs of
one tile row (measured 1.5x slower for the whole forward of a 64-channel layer). So
the input is padded into a channels-last buffer (whatever its layout), and the output
is written channels-last: an (N, O, OH, OW) array whose memory is (N, OH, OW, O), which
the next convolution reads without a copy (see ``conv.py``).

**Backward.** Every step above is linear, so the gradients run the same steps
transposed. dL/dx of a stride-1 convolution is itself a stride-1 convolution (of dy
with the rotated kernel, see ``conv.py``), so it goes through the same forward. The
weight gradient transposes the output transform and the products::

    dM[xi] = (A dY A^T)[xi]        every m x m tile of dy, taken to a x a
    dU[xi] = dM[xi] @ V[xi]^T      (O, C): a*a products summing over the T tiles
    dL/dW  = G^T dU G

**Where the matrices come from.** Choose a - 1 distinct points p (0, 1, -1, 1/2, -2, ...)
and the point at infinity. Multiplying two polynomials, one of degree m - 1 (its
coefficients are the outputs' weights) and one of degree 2 (the kernel), is the same as
evaluating both at the a points, multiplying the values and interpolating back; reading
that identity backwards gives the correlation. With the Vandermonde matrix
``V[j, s] = p_j ** s`` (the row of the point at infinity picks the leading coefficient)::

    A^T = V[:, :m]^T        G = V[:, :3]        B^T = (V^T)^-1

(:func:`winograd_matrices` then moves a scale factor per row from ``B^T`` into ``G``,
so that the input transform is made of small numbers). Larger m multiplies less but
uses larger points, whose powers amplify rounding: in float32, F(2, 3) is about as
accurate as the direct sum (relative error ~5e-7 on the layers of ResNet-18) and
F(4, 3) about five times less (~3e-6 on random data, up to ~2e-5 on post-ReLU inputs).
Training steps amplify rounding; docs/performance.md measures what that does.

Only NumPy/CuPy array code: ``xp`` is taken from the inputs, the transform matrices are
copied onto the input's device.
"""
from __future__ import annotations

import functools

import numpy as np

from ...backend import array_module, device_of
from .im2col import as_strided, kernel_taps, pad_hw, scratch
from ...errors import ArgumentError

__all__ = ["winograd_matrices", "winograd_conv2d", "winograd_weight_grad"]

# The finite interpolation points, in the order they are taken (a - 1 of them for F(m, 3)).
# For F(4, 3), {0, 1, -1, 1/2, -2} rounds about 2.7x less in float32 than the textbook
# {0, 1, -1, 2, -2} (measured on a 64-channel layer: 2.7e-6 against 7.2e-6 relative): the
# powers of 1/2 shrink where those of 2 grow, and the two balance out.
POINTS = (0.0, 1.0, -1.0, 0.5, -2.0, 2.0, -0.5)


@functools.lru_cache(maxsize=None)
def winograd_matrices(m: int, r: int = 3) -> tuple:
    """The matrices ``(A^T, G, B^T)`` of Winograd's F(m, r), as float64 NumPy arrays.

    ``y = A^T [(G g) * (B^T d)]`` is the correlation ``y[i] = sum_k d[i + k] * g[k]`` of
    a = m + r - 1 inputs d with r taps g, for m outputs.

    Args:
        m: outputs per tile (1 to 6 with r = 3).
        r: kernel taps.

    Shape:
        A^T (m, a), G (a, r), B^T (a, a).

    Example:
        >>> AT, G, BT = winograd_matrices(2)
        >>> BT
        array([[ 1.,  0., -1.,  0.],
               [ 0.,  1.,  1.,  0.],
               [ 0., -1.,  1.,  0.],
               [ 0., -1.,  0.,  1.]])
    """
    a = m + r - 1
    if not 2 <= a <= len(POINTS) + 1:
        raise ArgumentError(f"winograd_matrices: F({m}, {r}) needs {a - 1} points; "
                         f"only {len(POINTS)} are defined")
    vander = np.zeros((a, a))
    for j, p in enumerate(POINTS[:a - 1]):
        vander[j] = [p ** s for s in range(a)]
    vander[a - 1, a - 1] = 1.0             # the point at infinity: the leading coefficient
    at = vander[:, :m].T.copy()
    g = vander[:, :r].copy()
    at[m - 1, a - 1] = 1.0                 # its products pair the leading coefficients
    g[a - 1, r - 1] = 1.0
    bt = np.linalg.inv(vander.T)
    scale = np.abs(bt).max(axis=1, keepdims=True)  # B^T rows to unit size, G pays for it
    bt, g = bt / scale, g * scale
    bt[np.abs(bt) < 1e-12] = 0.0
    for arr in (at, g, bt):
        arr.setflags(write=False)
    return at, g, bt


@functools.lru_cache(maxsize=None)
def _kron_matrices(m: int, dtype: str) -> tuple:
    """The 2-D transforms as matrices on tiles flattened row by row (host arrays).

    ``kron(X, X) @ tile.ravel() == (X @ tile @ X^T).ravel()``, so:
    input  kron(B^T, B^T) (a*a, a*a), output kron(A^T, A^T) (m*m, a*a) and kernel
    kron(G, G) (a*a, 9).
    """
    at, g, bt = winograd_matrices(m)
    return tuple(np.ascontiguousarray(np.kron(t, t), dtype=dtype) for t in (bt, at, g))


# Device copies of the transforms, made once per (device, m, dtype): copying them from the
# host at every call would make each convolution wait for three host-to-device transfers.
_ON_DEVICE: dict = {}


def _transforms(like, m: int, dtype) -> tuple:
    """(kron(B^T, B^T), kron(A^T, A^T), kron(G, G)) on the device of the array ``like``,
    in ``dtype``."""
    mats = _kron_matrices(m, np.dtype(dtype).str)
    xp = array_module(like)
    if xp is np:
        return mats
    key = (device_of(like), m, np.dtype(dtype).str)
    if key not in _ON_DEVICE:
        _ON_DEVICE[key] = tuple(xp.asarray(t) for t in mats)
    return _ON_DEVICE[key]


def tile_grid(out_hw: tuple, m: int) -> tuple:
    """(TH, TW): how many m x m output tiles cover an (OH, OW) output."""
    return -(-out_hw[0] // m), -(-out_hw[1] // m)


# ---------------------------------------------------------------- the transforms
def transform_weight(weight, m: int, rotated: bool = False):
    """U = G g G^T for every kernel: (O, C, 3, 3) -> (a*a, C, O), a scratch buffer.

    With ``rotated``, of the input gradient's kernel: every kernel turned by 180
    degrees and in/out channels swapped, (a*a, O, C). U is (m + 2)**2 / 9 times the
    size of the weights (4x for m = 4: 38 MB for 512 x 512 kernels), so it reuses its
    memory across calls like the tiles do.
    """
    xp = array_module(weight)
    view = kernel_taps(weight, rotated)                              # (3, 3, C, O)
    c, o = view.shape[2:]
    _, _, gg = _transforms(weight, m, weight.dtype)
    taps = scratch(xp, view.shape, weight.dtype, "wino_taps")
    taps[...] = view
    u = scratch(xp, (gg.shape[0], c, o), weight.dtype, "wino_u")
    xp.matmul(gg, taps.reshape(9, c * o), out=u.reshape(gg.shape[0], c * o))
    return u


def transform_input(x, padding: tuple, out_hw: tuple, m: int):
    """V = B^T d B for every input tile: (N, C, H, W) -> (a*a, T, C), a scratch buffer.

    Tile (ty, tx) of image n reads the a x a window of the padded input starting at
    (ty*m, tx*m); tiles overlap by 2 rows and columns. The input is padded on the
    bottom and right beyond ``padding`` when the tiles overhang the output, into a
    channels-last buffer (N, H, W, C) whatever x's layout.
    """
    xp = array_module(x)
    n, c, h, w = x.shape
    a = m + 2
    th, tw = tile_grid(out_hw, m)
    (pt, _), (pl, _) = padding
    full = (th * m + 2, tw * m + 2)                     # rows and columns the tiles read
    pads = ((pt, full[0] - h - pt), (pl, full[1] - w - pl))
    buf = scratch(xp, (n,) + full + (c,), x.dtype, "wino_pad")         # (N, H, W, C)
    pad_hw(x, pads, out=buf.transpose(0, 3, 1, 2))
    sn, sh, sw, sc = buf.strides
    windows = as_strided(buf, (a, a, n, th, tw, c), (sh, sw, sn, m * sh, m * sw, sc))
    tiles = scratch(xp, windows.shape, x.dtype, "wino_tiles")
    tiles[...] = windows                                # (a, a, N, TH, TW, C)
    bb, _, _ = _transforms(x, m, x.dtype)
    v = scratch(xp, (a * a, n * th * tw, c), x.dtype, "wino_v")
    xp.matmul(bb, tiles.reshape(a * a, -1), out=v.reshape(a * a, -1))
    return v


# ---------------------------------------------------------------- the convolution
# Images are transformed and multiplied a few at a time, so that the tiles of one chunk
# (a*a/(m*m) times the chunk's input) stay in the CPU's caches between the copy, the
# transforms and the products; done over the whole batch at once, every step streams
# hundreds of megabytes through memory (measured 2-6x slower per step at batch 128).
CHUNK_BYTES = 8 << 20


def _chunks(x, m: int, out_hw: tuple):
    """Slices of the batch whose transformed tiles take about CHUNK_BYTES (one on a GPU)."""
    n, c = x.shape[:2]
    if array_module(x) is not np:
        return [slice(0, n)]
    th, tw = tile_grid(out_hw, m)
    per_image = (m + 2) ** 2 * c * th * tw * x.dtype.itemsize
    step = max(1, CHUNK_BYTES // per_image)
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def winograd_conv2d(x, weight, bias, padding: tuple, out_hw: tuple, m: int,
                    rotated: bool = False):
    """conv2d of x with a 3x3 kernel, stride 1, no dilation, one group, by F(m x m, 3 x 3).

    Args:
        x: (N, C, H, W) array.
        weight: (O, C, 3, 3) array.
        bias: optional (O,) array.
        padding: ((PT, PB), (PL, PR)).
        out_hw: (OH, OW) = (H + PT + PB - 2, W + PL + PR - 2).
        m: output tile side (2 or 4).
        rotated: convolve with every kernel turned by 180 degrees and the weight's in
            and out channels swapped (a (C, O, 3, 3) weight used as (O, C, 3, 3)), as
            the input gradient does.

    Shape:
        x (N, C, H, W) -> a fresh (N, O, OH, OW) array, channels-last in memory.
    """
    xp = array_module(x)
    u = transform_weight(weight, m, rotated)                         # (a*a, C, O)
    n, o = x.shape[0], u.shape[2]
    a, (th, tw) = m + 2, tile_grid(out_hw, m)
    _, aa, _ = _transforms(x, m, x.dtype)
    out = xp.empty((n, th * m, tw * m, o), dtype=x.dtype)            # (N, H, W, O)
    for part in _chunks(x, m, out_hw):
        v = transform_input(x[part], padding, out_hw, m)             # (a*a, T, C)
        prods = scratch(xp, (a * a, v.shape[1], o), x.dtype, "wino_m")
        xp.matmul(v, u, out=prods)                                   # (a*a, T, O)
        y_tiles = scratch(xp, (m * m, v.shape[1] * o), x.dtype, "wino_y")
        xp.matmul(aa, prods.reshape(a * a, -1), out=y_tiles)         # (m*m, T*O)
        # (i, j, n, TH, TW, O) -> (n, TH, i, TW, j, O): every tile to its place
        y_tiles = y_tiles.reshape(m, m, -1, th, tw, o).transpose(2, 3, 0, 4, 1, 5)
        out[part].reshape(-1, th, m, tw, m, o)[...] = y_tiles
    if bias is not None:
        out += bias
    if (th * m, tw * m) != tuple(out_hw):    # overhanging tiles: keep the output's part
        out = xp.ascontiguousarray(out[:, :out_hw[0], :out_hw[1]])
    return out.transpose(0, 3, 1, 2)


def winograd_weight_grad(dy, x, padding: tuple, out_hw: tuple, m: int):
    """dL/dW of :func:`winograd_conv2d` given dL/dy: (O, C, 3, 3), the forward run backwards.

    dy's m x m tiles go through the transposed output transform (``A dY A^T``), meet the
    transformed input tiles in a*a products that sum over all T tiles, and the result
    goes through the transposed kernel transform (``G^T dU G``).

    Shape:
        dy (N, O, OH, OW), x (N, C, H, W) -> (O, C, 3, 3).
    """
    xp = array_module(dy)
    o, c = dy.shape[1], x.shape[1]
    a, (th, tw) = m + 2, tile_grid(out_hw, m)
    _, aa, gg = _transforms(dy, m, dy.dtype)
    du = xp.zeros((a * a, c, o), dtype=dy.dtype)
    du_part = scratch(xp, du.shape, dy.dtype, "wino_du")
    for part in _chunks(x, m, out_hw):
        dyp = dy[part].transpose(0, 2, 3, 1)                         # (k, OH, OW, O)
        k = dyp.shape[0]
        if (th * m, tw * m) != tuple(out_hw):    # overhanging tiles see zero gradient
            padded = scratch(xp, (k, th * m, tw * m, o), dy.dtype, "wino_pad_dy")
            dyp = pad_hw(dy[part], ((0, th * m - out_hw[0]), (0, tw * m - out_hw[1])),
                         out=padded.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1)
        dy_tiles = scratch(xp, (m, m, k, th, tw, o), dy.dtype, "wino_y")
        dy_tiles[...] = dyp.reshape(k, th, m, tw, m, o).transpose(2, 4, 0, 1, 3, 5)
        d_prods = scratch(xp, (a * a, k * th * tw, o), dy.dtype, "wino_m")
        xp.matmul(aa.T, dy_tiles.reshape(m * m, -1), out=d_prods.reshape(a * a, -1))
        v = transform_input(x[part], padding, out_hw, m)             # (a*a, T, C)
        xp.matmul(v.transpose(0, 2, 1), d_prods, out=du_part)        # dU[xi] += V^T dM
        du += du_part
    taps = gg.T @ du.reshape(a * a, c * o)                           # (9, C*O)
    return xp.ascontiguousarray(taps.reshape(3, 3, c, o).transpose(3, 2, 0, 1))
