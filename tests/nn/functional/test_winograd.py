"""Winograd convolution: the matrices, the layer against the loop reference, its gradients,
the choice between Winograd and im2col, and its float32 accuracy."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import conv as conv_module
from minidl.nn.functional import winograd
from minidl.nn.functional.conv import (conv2d_geometry, conv2d_reference,
                                       conv_transpose2d_reference)
from minidl.nn.functional.winograd import (winograd_conv2d, winograd_matrices,
                                           winograd_weight_grad)
from tests.strategies import examples

seeds = st.integers(0, 2**31 - 1)


@st.composite
def winograd_cases(draw, max_side=9):
    """A 3x3, stride-1 convolution: batch, channels, any size (tiles may overhang), padding."""
    n = draw(st.integers(1, 3))
    c, o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))        # PT, PB, PL, PR
    h = draw(st.integers(max(1, 3 - pads[0] - pads[1]), max_side))
    w = draw(st.integers(max(1, 3 - pads[2] - pads[3]), max_side))
    return {"x": (n, c, h, w), "w": (o, c, 3, 3), "padding": (pads[:2], pads[2:]),
            "m": draw(st.sampled_from([2, 4]))}


def _arrays(case, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(case["x"]), rng.standard_normal(case["w"]),
            rng.standard_normal(case["w"][0]))


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def test_docstring_examples():
    result = doctest.testmod(winograd)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ the matrices
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_matrices_compute_the_one_dimensional_correlation(m):
    """A^T [(G g) * (B^T d)] == [sum_k d[i + k] g[k] for i < m] for any d and g."""
    at, g, bt = winograd_matrices(m)
    rng = np.random.default_rng(m)
    for _ in range(5):
        d, taps = rng.standard_normal(m + 2), rng.standard_normal(3)
        expected = np.array([d[i:i + 3] @ taps for i in range(m)])
        np.testing.assert_allclose(at @ ((g @ taps) * (bt @ d)), expected, rtol=1e-9, atol=1e-9)


def test_matrices_nest_into_two_dimensions():
    """A^T [(G g G^T) * (B^T d B)] A is the 2-D correlation of an a x a tile."""
    at, g, bt = winograd_matrices(4)
    rng = np.random.default_rng(0)
    d, k = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    expected = np.array([[(d[i:i + 3, j:j + 3] * k).sum() for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(at @ ((g @ k @ g.T) * (bt @ d @ bt.T)) @ at.T, expected,
                               atol=1e-10)


def test_matrices_refuse_tiles_without_enough_points():
    with pytest.raises(ValueError, match="winograd_matrices: F\\(7, 3\\) needs 8 points"):
        winograd_matrices(7)


# --------------------------------------------------------------- the convolution
@given(case=winograd_cases(), seed=seeds, use_bias=st.booleans())
@examples(60)
def test_forward_matches_the_loop_reference(case, seed, use_bias):
    x, w, b = _arrays(case, seed)
    b = b if use_bias else None
    geom = conv2d_geometry(x.shape, w.shape, padding=case["padding"])
    y = winograd_conv2d(x, w, b, geom.padding, geom.out_hw, case["m"])
    np.testing.assert_allclose(y, conv2d_reference(x, w, b, padding=case["padding"]),
                               rtol=1e-10, atol=1e-10)


@given(case=winograd_cases(), seed=seeds)
@examples(30)
def test_rotated_kernel_is_the_input_gradients_kernel(case, seed):
    """rotated=True convolves with W turned by 180 degrees, in/out channels swapped."""
    x, w, _ = _arrays(case, seed)
    w = np.random.default_rng(seed + 2).standard_normal((x.shape[1],) + w.shape[:1] + (3, 3))
    geom = conv2d_geometry(x.shape, (w.shape[1], x.shape[1], 3, 3), padding=case["padding"])
    expected = conv2d_reference(x, conv_module._rotated(w, 1), padding=case["padding"])
    np.testing.assert_allclose(
        winograd_conv2d(x, w, None, geom.padding, geom.out_hw, case["m"], rotated=True),
        expected, rtol=1e-10, atol=1e-10)


@given(case=winograd_cases(), seed=seeds)
@examples(60)
def test_weight_gradient_matches_im2col(case, seed):
    """The Winograd weight gradient equals im2col's dY @ cols^T."""
    x, w, _ = _arrays(case, seed)
    geom = conv2d_geometry(x.shape, w.shape, padding=case["padding"])
    dy = np.random.default_rng(seed + 1).standard_normal((x.shape[0], w.shape[0]) + geom.out_hw)
    got = winograd_weight_grad(dy, x, geom.padding, geom.out_hw, case["m"])
    expected = conv_module._weight_grad(dy, x, w.shape, geom, cols=conv_module._columns(x, geom))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@given(case=winograd_cases(max_side=6), seed=seeds)
@examples(30)
def test_conv2d_gradcheck_through_winograd(case, seed, device):
    """conv2d with Winograd forced: input, weight and bias gradients by central differences."""
    x, w, b = _arrays(case, seed)
    pad = case["padding"]
    with F.conv_algorithm("winograd"):
        assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, padding=pad),
                         [_t(x, device=device), _t(w, device=device), _t(b, device=device)])


@given(case=winograd_cases(max_side=5), seed=seeds)
@examples(25)
def test_conv_transpose2d_through_winograd(case, seed):
    """conv_transpose2d (stride 1) runs conv2d's input gradient: Winograd both ways."""
    rng = np.random.default_rng(seed)
    n, _, h, w_ = case["x"]
    c_in, c_out = case["w"][:2]                       # weight (C_in, C_out, 3, 3)
    p = case["padding"][0][0]
    if min(h, w_) + 2 - 2 * p < 1:
        return                                        # no output left
    x, w, b = (rng.standard_normal(s) for s in ((n, c_in, h, w_), case["w"], (c_out,)))
    with F.conv_algorithm("winograd"):
        y = F.conv_transpose2d(_t(x, False), _t(w, False), _t(b, False), padding=p)
        assert gradcheck(lambda x_, w_: F.conv_transpose2d(x_, w_, padding=p), [_t(x), _t(w)])
    np.testing.assert_allclose(y.numpy(), conv_transpose2d_reference(x, w, b, padding=p),
                               rtol=1e-10, atol=1e-10)


def test_batch_chunks_give_the_same_result(monkeypatch):
    """Images are processed a few at a time; the chunk size must not change the numbers."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((7, 3, 9, 10)), rng.standard_normal((5, 3, 3, 3))
    dy = rng.standard_normal((7, 5, 9, 10))
    geom = conv2d_geometry(x.shape, w.shape, padding=1)
    whole = (winograd_conv2d(x, w, None, geom.padding, geom.out_hw, 4),
             winograd_weight_grad(dy, x, geom.padding, geom.out_hw, 4))
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)             # one image per chunk
    assert len(winograd._chunks(x, 4, geom.out_hw)) == 7
    chunked = (winograd_conv2d(x, w, None, geom.padding, geom.out_hw, 4),
               winograd_weight_grad(dy, x, geom.padding, geom.out_hw, 4))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_float32_accuracy_on_a_resnet_layer():
    """F(4x4, 3x3) in float32: within 1e-4 of the float64 result, relative to its largest value.

    (Measured ~1e-5 for the forward and ~5e-6 for the weight gradient; im2col's float32
    result is ~5e-7 away. The transforms multiply by powers of the interpolation points,
    which rounds more.)
    """
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((4, 64, 16, 16)), 0)           # post-ReLU input
    w = rng.standard_normal((64, 64, 3, 3)) / 24
    dy = rng.standard_normal((4, 64, 16, 16))
    geom = conv2d_geometry(x.shape, w.shape, padding=1)
    ref_y = conv2d_reference(x[:1], w, padding=1)
    ref_dw = winograd_weight_grad(dy, x, geom.padding, geom.out_hw, 4)   # float64: exact enough
    x32, w32, dy32 = (a.astype(np.float32) for a in (x, w, dy))
    y = winograd_conv2d(x32, w32, None, geom.padding, geom.out_hw, 4)
    dw = winograd_weight_grad(dy32, x32, geom.padding, geom.out_hw, 4)
    assert y.dtype == dw.dtype == np.float32
    assert np.abs(y[:1] - ref_y).max() < 1e-4 * np.abs(ref_y).max()
    assert np.abs(dw - ref_dw).max() < 1e-4 * np.abs(ref_dw).max()


# ------------------------------------------------------------ choosing the algorithm
def _geom(k=3, s=1, d=1, g=1, hw=8, c=16):
    return conv2d_geometry((2, c, hw, hw), (c, c // g, k, k), s, k // 2 * d, d, g)


@pytest.mark.parametrize("geom, channels, expected", [
    (_geom(), (16, 16), 4),                   # 3x3, stride 1, 16 channels, 8x8: Winograd
    (_geom(hw=4), (16, 16), 4),               # 4x4 maps: one tile per image
    (_geom(hw=2), (16, 16), None),            # tiles mostly padding: im2col
    (_geom(), (3, 64), None),                 # the stem: too few channels to pay
    (_geom(s=2), (16, 16), None),             # strided
    (_geom(d=2), (16, 16), None),             # dilated
    (_geom(g=2), (16, 16), None),             # grouped
    (_geom(k=1), (16, 16), None),             # 1x1
])
def test_auto_chooses_winograd_where_it_pays(geom, channels, expected):
    assert conv_module._winograd_tile(geom, *channels) == expected


@pytest.mark.parametrize("geom, channels, expected", [
    (_geom(hw=16, c=128), (128, 128), 4),     # many channels, many tiles: Winograd
    (_geom(hw=32, c=64), (64, 64), None),     # 64 channels: the transforms dominate
    (_geom(hw=4, c=512), (512, 512), None),   # one tile per image
])
def test_auto_weight_gradient_choice(geom, channels, expected):
    assert conv_module._winograd_tile(geom, *channels, weight_grad=True) == expected


def test_forced_choices():
    with F.conv_algorithm("im2col"):
        assert conv_module._winograd_tile(_geom(), 64, 64) is None
    with F.conv_algorithm("winograd"):
        assert conv_module._winograd_tile(_geom(c=2), 2, 2) == 4
        assert conv_module._winograd_tile(_geom(c=2), 2, 2, weight_grad=True) == 4
        assert conv_module._winograd_tile(_geom(c=2, hw=2), 2, 2) == 2
        assert conv_module._winograd_tile(_geom(s=2), 16, 16) is None   # cannot: im2col


def test_conv_algorithm_restores_the_previous_choice_after_an_error():
    before = F.set_conv_algorithm("auto")
    with pytest.raises(RuntimeError):
        with F.conv_algorithm("im2col"):
            raise RuntimeError("inside")
    assert F.set_conv_algorithm(before) == "auto"


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="set_conv_algorithm: expected one of"):
        F.set_conv_algorithm("fft")


def test_a_module_gives_the_same_result_with_either_algorithm():
    minidl.manual_seed(0)
    conv = minidl.nn.Conv2d(16, 32, 3, padding=1).double()
    x = minidl.randn(2, 16, 8, 8, dtype=minidl.float64, requires_grad=True)
    results = []
    for algorithm in ("im2col", "auto"):
        x.grad = None
        conv.zero_grad()
        with F.conv_algorithm(algorithm):
            y = conv(x)
            (y * y).sum().backward()
        results.append([y.detach().numpy(), x.grad.numpy(), conv.weight.grad.numpy(),
                        conv.bias.grad.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_auto_on_a_device_gives_winograd_the_large_maps_only(strict):
    """On a GPU (here its stand-in) "auto" runs Winograd on maps of 16x16 and more, forward
    and weight gradient, and im2col + one product on smaller maps and few channels."""
    x_cpu = np.zeros((1, 16, 8, 8), np.float32)
    x_dev = minidl.tensor(x_cpu, device=strict)._array
    assert conv_module._winograd_tile(_geom(), 16, 16, like=x_cpu) == 4
    assert conv_module._winograd_tile(_geom(), 16, 16, like=x_dev) is None
    for weight_grad in (False, True):
        assert conv_module._winograd_tile(_geom(hw=16, c=64), 64, 64, weight_grad,
                                          like=x_dev) == 4
        assert conv_module._winograd_tile(_geom(hw=32, c=3), 3, 64, weight_grad,
                                          like=x_dev) is None
    with F.conv_algorithm("winograd"):   # asked for by name, it runs on any map
        assert conv_module._winograd_tile(_geom(), 16, 16, like=x_dev) == 4


def test_transform_matrices_are_copied_to_a_device_once(strict):
    x = minidl.tensor(np.zeros((1, 2, 6, 6), np.float32), device=strict)._array
    first = winograd._transforms(x, 4, np.float32)
    assert all(a is b for a, b in zip(first, winograd._transforms(x, 4, np.float32)))
    host = winograd._transforms(np.zeros(1, np.float32), 4, np.float32)
    for dev, cpu in zip(first, host):
        np.testing.assert_array_equal(minidl.backend.to_numpy(dev), cpu)
