"""pad, interpolate, affine_grid, grid_sample, one_hot, pixel_shuffle: values against NumPy
and loop references, gradients against central differences (float64), PyTorch parity."""
import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional.sampling import grid_sample_reference, interpolate_reference
from tests.strategies import examples, grid_sample_cases
import minidl.nn.functional.sampling as functional_sampling_module


def test_docstring_examples():
    result = doctest.testmod(functional_sampling_module)
    assert result.attempted > 0 and result.failed == 0


seeds = st.integers(0, 2**32 - 1)


def values(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, requires_grad=True):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------- pad
NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap", "constant": "constant"}


@st.composite
def pad_cases(draw, mode):
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    if int(np.prod(shape)) > 40:
        shape = shape[-2:]
    k = draw(st.integers(1, len(shape)))
    amounts = []
    for axis in range(len(shape) - 1, len(shape) - 1 - k, -1):
        n = shape[axis]
        top = {"reflect": n - 1, "circular": n, "replicate": 3, "constant": 3}[mode]
        amounts += [draw(st.integers(0, top)), draw(st.integers(0, top))]
    return shape, tuple(amounts)


def pad_np(x, pad, mode, value=0.0):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=NUMPY_MODE[mode])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@given(data=st.data(), seed=seeds)
@examples(10)
def test_pad_forward_matches_numpy_and_gradcheck(mode, data, seed):
    shape, amounts = data.draw(pad_cases(mode))
    xa = values(seed, shape)
    y = F.pad(t64(xa), amounts, mode=mode, value=0.5)
    np.testing.assert_array_equal(y._array, pad_np(xa, amounts, mode, 0.5))
    gradcheck(lambda x: F.pad(x, amounts, mode=mode, value=0.5), [t64(xa)])


def test_pad_gradient_accumulates_repeated_sources():
    """replicate padding reads the edge several times: its gradient is the count."""
    x = minidl.zeros(1, 1, 3, dtype=minidl.float64, requires_grad=True)
    F.pad(x, (2, 3), mode="replicate").sum().backward()
    assert x.grad.tolist() == [[[3.0, 1.0, 4.0]]]


def test_pad_errors():
    x = minidl.zeros(1, 2, 3)
    with pytest.raises(ValueError, match=r"reflect padding must be smaller.*\(3, 0\).*size 3"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="circular padding may wrap around at most once"):
        F.pad(x, (0, 4), mode="circular")
    with pytest.raises(ValueError, match="even number"):
        F.pad(x, (1, 1, 1), mode="replicate")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(x, (1, 1), mode="mirror")


# ----------------------------------------------------------------- interpolate
@st.composite
def interpolate_cases(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear"]))
    dims = {"linear": 1, "bilinear": 2}.get(mode) or draw(st.integers(1, 2))
    spatial = tuple(draw(st.lists(st.integers(1, 5), min_size=dims, max_size=dims)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial
    align = None if mode.startswith("nearest") else draw(st.booleans())
    if draw(st.booleans()):
        size = tuple(draw(st.lists(st.integers(1, 6), min_size=dims, max_size=dims)))
        kwargs = dict(size=size)
        factors = None
    else:
        factors = tuple(draw(st.lists(st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0]),
                                      min_size=dims, max_size=dims)))
        size = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        if min(size) < 1:
            factors = tuple(2.0 for _ in spatial)
            size = tuple(2 * n for n in spatial)
        kwargs = dict(scale_factor=factors)
    return shape, mode, align, kwargs, size, factors


@given(interpolate_cases(), seeds)
@examples(25)
def test_interpolate_matches_loop_reference_and_gradcheck(case, seed):
    shape, mode, align, kwargs, size, factors = case
    xa = values(seed, shape)
    y = F.interpolate(t64(xa), mode=mode, align_corners=align, **kwargs)
    ref_mode = mode if mode.startswith("nearest") else "linear"
    want = interpolate_reference(xa, size, ref_mode, bool(align), scale_factor=factors)
    np.testing.assert_allclose(y._array, want, atol=1e-12)
    gradcheck(lambda x: F.interpolate(x, mode=mode, align_corners=align, **kwargs), [t64(xa)])


def test_interpolate_known_values():
    x = minidl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    up = F.interpolate(x, scale_factor=2, mode="nearest")
    assert up.tolist() == [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]
    corners = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    assert corners.tolist() == [[[[1.0, 1.5, 2.0], [2.0, 2.5, 3.0], [3.0, 3.5, 4.0]]]]
    # half-pixel centres: output pixel 0 of 4 sits at source -0.25, clamped to 0
    half = F.interpolate(x, size=(2, 4), mode="bilinear")
    assert half.tolist()[0][0][0] == [1.0, 1.25, 1.75, 2.0]


def test_interpolate_errors():
    x = minidl.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"mode='linear' expects input of shape \(N, C, L\)"):
        F.interpolate(x, size=3, mode="linear")
    with pytest.raises(ValueError, match="align_corners can only be set"):
        F.interpolate(x, size=3, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, size=3, mode="cubic")


# ------------------------------------------------------------------ affine_grid
@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4), st.booleans(), seeds)
def test_affine_grid_matches_formula_and_gradcheck(n, h, w, align, seed):
    theta = values(seed, (n, 2, 3))
    grid = F.affine_grid(t64(theta), (n, 3, h, w), align_corners=align)

    def centres(steps):  # pixel centres in [-1, 1]
        if steps == 1:
            return np.zeros(1)
        if align:
            return np.linspace(-1, 1, steps)
        return (2 * np.arange(steps) + 1) / steps - 1

    xs, ys = centres(w), centres(h)
    want = np.empty((n, h, w, 2))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                want[b, i, j] = theta[b] @ np.array([xs[j], ys[i], 1.0])
    np.testing.assert_allclose(grid._array, want, atol=1e-12)
    gradcheck(lambda t: F.affine_grid(t, (n, 3, h, w), align_corners=align), [t64(theta)])


def test_affine_grid_identity_samples_the_input_back():
    x = minidl.randn(2, 3, 4, 5, dtype=minidl.float64)
    identity = minidl.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for align in (False, True):
        grid = F.affine_grid(identity, x.shape, align_corners=align)
        np.testing.assert_allclose(F.grid_sample(x, grid, align_corners=align)._array, x._array,
                                   atol=1e-12)


def test_affine_grid_errors():
    with pytest.raises(ValueError, match=r"expected theta of shape \(2, 2, 3\)"):
        F.affine_grid(minidl.zeros(1, 2, 3), (2, 1, 4, 4))


# ------------------------------------------------------------------ grid_sample
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@given(case=grid_sample_cases(away_from_kinks=False), seed=seeds)
@examples(8)
def test_grid_sample_matches_loop_reference_and_input_gradcheck(mode, padding_mode, case, seed):
    shape, grid, align = case
    xa = values(seed, shape)
    y = F.grid_sample(t64(xa), t64(grid, False), mode, padding_mode, align)
    np.testing.assert_allclose(y._array, grid_sample_reference(xa, grid, mode, padding_mode, align),
                               atol=1e-12)
    gradcheck(lambda x: F.grid_sample(x, t64(grid, False), mode, padding_mode, align), [t64(xa)])


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@given(case=grid_sample_cases(away_from_kinks=True), seed=seeds)
@examples(10)
def test_grid_sample_bilinear_gradcheck_wrt_input_and_grid(padding_mode, case, seed):
    shape, grid, align = case
    x, g = t64(values(seed, shape)), t64(grid)
    gradcheck(lambda x, g: F.grid_sample(x, g, "bilinear", padding_mode, align), [x, g])


def test_grid_sample_nearest_has_zero_grid_gradient():
    x = minidl.randn(1, 2, 3, 3, dtype=minidl.float64)
    grid = minidl.tensor(np.full((1, 2, 2, 2), 0.3), requires_grad=True)
    F.grid_sample(x, grid, mode="nearest").sum().backward()
    assert np.all(grid.grad._array == 0)


def test_grid_sample_input_gradient_accumulates_repeated_targets():
    """Many grid points reading the same pixels: the scatter must add every one of them."""
    rng = np.random.default_rng(5)
    x = t64(rng.standard_normal((2, 3, 4, 4)))
    grid = np.repeat(rng.uniform(-1, 1, (2, 1, 1, 2)), 6, axis=2)  # six identical points
    grid[:, :, 3:] = rng.uniform(-1, 1, (2, 1, 3, 2))
    g = rng.standard_normal((2, 3, 1, 6))
    F.grid_sample(x, t64(grid, False), align_corners=True).backward(minidl.tensor(g))
    # reference: the adjoint built with np.add.at, one corner at a time
    want = np.zeros((2, 3, 4, 4))
    px, py = (grid[..., 0] + 1) * 1.5, (grid[..., 1] + 1) * 1.5
    x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
    fx, fy = px - x0, py - y0
    for dy, dx, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                        (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = y0 + dy, x0 + dx
        ok = (yy >= 0) & (yy < 4) & (xx >= 0) & (xx < 4)
        for n in range(2):
            for c in range(3):
                np.add.at(want[n, c], (yy[n][ok[n]], xx[n][ok[n]]), (g[n, c] * wgt[n])[ok[n]])
    np.testing.assert_allclose(x.grad._array, want, atol=1e-12)


def test_grid_sample_errors():
    x = minidl.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"expected grid of shape \(1, OH, OW, 2\)"):
        F.grid_sample(x, minidl.zeros(1, 2, 2, 3))
    with pytest.raises(ValueError, match="padding_mode must be"):
        F.grid_sample(x, minidl.zeros(1, 2, 2, 2), padding_mode="wrap")
    with pytest.raises(TypeError, match="same dtype"):
        F.grid_sample(x, minidl.zeros(1, 2, 2, 2, dtype=minidl.float64))


# ---------------------------------------------------------------------- one_hot
def test_one_hot():
    labels = minidl.tensor([[0, 3], [1, 1]])
    out = F.one_hot(labels, 4)
    assert out.dtype == np.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out._array, np.eye(4, dtype=np.int64)[labels._array])
    assert F.one_hot(minidl.tensor([2, 0])).shape == (2, 3)  # num_classes = max + 1
    with pytest.raises(ValueError, match=r"class values must be in \[0, 2\)"):
        F.one_hot(minidl.tensor([0, 2]), 2)
    with pytest.raises(TypeError, match="integer tensor"):
        F.one_hot(minidl.tensor([0.0, 1.0]), 2)


# ---------------------------------------------------------------- pixel_shuffle
@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 2), seeds)
def test_pixel_shuffle_matches_loops_and_gradcheck(n, c, h, w, r, seed):
    xa = values(seed, (n, c * r * r, h, w))
    y = F.pixel_shuffle(t64(xa), r)
    want = np.empty((n, c, h * r, w * r))
    for b in range(n):
        for ch in range(c):
            for i in range(h * r):
                for j in range(w * r):
                    want[b, ch, i, j] = xa[b, ch * r * r + (i % r) * r + (j % r), i // r, j // r]
    np.testing.assert_array_equal(y._array, want)
    np.testing.assert_array_equal(F.pixel_unshuffle(y, r)._array, xa)
    gradcheck(lambda x: F.pixel_shuffle(x, r), [t64(xa)])
    gradcheck(lambda x: F.pixel_unshuffle(x, r), [t64(want)])


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"pixel_shuffle: expected input of shape \(\*, C\*4"):
        F.pixel_shuffle(minidl.zeros(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match="divisible by downscale_factor=2"):
        F.pixel_unshuffle(minidl.zeros(1, 1, 3, 4), 2)


# -------------------------------------------------------------- PyTorch parity
INTERPOLATE_CASES = [
    ((2, 3, 5), dict(size=8, mode="nearest")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 7), dict(size=5, mode="nearest-exact")),
    ((2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=0.6, mode="linear")),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((2, 2, 4, 5), dict(scale_factor=(1.5, 2.3), mode="bilinear")),
    ((2, 2, 4, 5), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 7), mode="nearest")),
]


@pytest.mark.parametrize("shape,kwargs", INTERPOLATE_CASES)
def test_interpolate_matches_pytorch(shape, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    xa = rng.standard_normal(shape)
    mx, tx = t64(xa), torch.tensor(xa, requires_grad=True)
    my = F.interpolate(mx, **kwargs)
    ty = torch.nn.functional.interpolate(tx, **kwargs)
    g = rng.standard_normal(ty.shape)
    my.backward(minidl.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(my._array, ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_and_grid_sample_match_pytorch(mode, padding_mode, align):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    xa, theta = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 2, 3)) * 0.8
    mx, mt = t64(xa), t64(theta)
    tx, tt = torch.tensor(xa, requires_grad=True), torch.tensor(theta, requires_grad=True)
    my = F.grid_sample(mx, F.affine_grid(mt, (2, 3, 3, 6), align), mode, padding_mode, align)
    ty = torch.nn.functional.grid_sample(
        tx, torch.nn.functional.affine_grid(tt, (2, 3, 3, 6), align), mode, padding_mode, align)
    g = rng.standard_normal(ty.shape)
    my.backward(minidl.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(my._array, ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(mt.grad._array, tt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_matches_pytorch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    xa = rng.standard_normal((2, 3, 4, 5))
    mx, tx = t64(xa), torch.tensor(xa, requires_grad=True)
    my, ty = F.pad(mx, (1, 2, 3, 0), mode=mode), torch.nn.functional.pad(tx, (1, 2, 3, 0), mode=mode)
    g = rng.standard_normal(ty.shape)
    my.backward(minidl.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(my._array, ty.detach().numpy())
    np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("factor", [0, 0.0, -2, float("nan"), float("inf"), (1, 0)])
def test_interpolate_scale_factor_must_be_positive(factor):
    with pytest.raises(minidl.errors.ArgumentError,
                       match="interpolate: scale_factor must be positive and finite"):
        F.interpolate(minidl.zeros(1, 1, 4, 4), scale_factor=factor)
