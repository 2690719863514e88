"""Pooling: values and indices against the loop references, gradients, ceil_mode, errors."""
import doctest

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import pooling as pooling_module
from minidl.nn.functional.pooling import (adaptive_avg_pool2d_reference,
                                          adaptive_max_pool2d_reference, avg_pool2d_reference,
                                          max_pool2d_reference)
from tests.strategies import examples, pool2d_geometries

seeds = st.integers(0, 2**31 - 1)


def _distinct(shape, seed):
    """float64 values 0.05 apart, in random order: no ties, so max pooling is differentiable."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.05 - n * 0.025).reshape(shape)


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def test_docstring_examples():
    result = doctest.testmod(pooling_module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ max pool
@given(geom=pool2d_geometries(), seed=seeds)
@examples(50)
def test_max_pool2d_values_and_indices_match_reference(geom, seed, device):
    x = np.random.default_rng(seed).standard_normal(geom["x"]).round(1)  # ties happen
    kw = {k: v for k, v in geom.items() if k != "x"}
    y, idx = F.max_pool2d(_t(x, False, device=device), **kw, return_indices=True)
    ref, ref_idx = max_pool2d_reference(x, **kw, return_indices=True)
    # with dilation a window can have all its taps in the padding; its index means nothing
    assume(np.isfinite(ref).all())
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert idx.dtype == minidl.int64


@given(geom=pool2d_geometries(), seed=seeds)
@examples(40)
def test_max_pool2d_gradcheck(geom, seed, device):
    kw = {k: v for k, v in geom.items() if k != "x"}
    assert gradcheck(lambda t: F.max_pool2d(t, **kw), [_t(_distinct(geom["x"], seed),
                                                          device=device)])


def test_max_pool2d_ties_go_to_the_first_tap():
    x = _t(np.zeros((1, 1, 4, 4)))
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 2], [8, 10]])
    y.sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool2d_overlapping_windows_add_gradients(device):
    x = _t(np.array([[[[0.0, 1.0, 0.5, 0.2, 0.1]]]]), device=device)
    F.max_pool2d(x, (1, 3), stride=1).sum().backward()   # every window's maximum is 1.0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0, 0], [0, 2, 1, 0, 0])


@pytest.mark.parametrize("pool", [lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 2),
                                  lambda t: F.max_pool2d(t, 3, 2, 1)])
def test_pixels_no_window_reads_get_zero_gradient(pool):
    for _ in range(3):  # leave freed, non-zero memory around for the next allocation to reuse
        junk = np.full((4, 3, 7, 7), 7.0)
        del junk
        x = _t(np.random.default_rng(0).standard_normal((4, 3, 7, 7)))
        pool(x).sum().backward()
        assert (x.grad.numpy()[:, :, 6] == 0).all() or pool(x).shape[-1] == 4
        assert np.isfinite(x.grad.numpy()).all()
        distinct = np.random.default_rng(1).permutation(50).reshape(2, 5, 5) * 0.1
        assert gradcheck(pool, [_t(distinct)])


def test_max_pool2d_ceil_mode_rule():
    x = _t(np.arange(25.0).reshape(1, 1, 5, 5), False)
    assert F.max_pool2d(x, 2, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    # a last window would start in the right padding: it is dropped
    five, six = _t(np.ones((1, 1, 5, 5)), False), _t(np.ones((1, 1, 6, 6)), False)
    assert F.max_pool2d(five, 2, 2, 1, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.max_pool2d(six, 3, 2, 1, ceil_mode=True).shape == (1, 1, 4, 4)
    y = F.max_pool2d(x, 2, ceil_mode=True).numpy()[0, 0]
    np.testing.assert_array_equal(y[-1], [21, 23, 24])


def test_max_pool2d_return_indices_without_grad_and_unbatched():
    x = minidl.randn(3, 6, 6)
    with minidl.no_grad():
        y, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert y.shape == idx.shape == (3, 3, 3)
    flat = x.numpy().reshape(3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(3, -1), 1),
                                  y.numpy().reshape(3, -1))


def test_max_pool2d_float32_and_nan_propagates():
    x = minidl.randn(2, 2, 4, 4)
    assert F.max_pool2d(x, 2).dtype == minidl.float32
    a = np.zeros((1, 1, 2, 2), np.float32)
    a[0, 0, 1, 1] = np.nan
    assert np.isnan(F.max_pool2d(minidl.tensor(a), 2).numpy()).all()


# ------------------------------------------------------------------ avg pool
@given(geom=pool2d_geometries(dilation=False), seed=seeds, include_pad=st.booleans(),
       override=st.sampled_from([None, 2, 5]))
@examples(30)
def test_avg_pool2d_matches_reference(geom, seed, include_pad, override, device):
    x = np.random.default_rng(seed).standard_normal(geom["x"])
    kw = {k: v for k, v in geom.items() if k not in ("x", "dilation")}
    y = F.avg_pool2d(_t(x, False, device=device), **kw, count_include_pad=include_pad,
                     divisor_override=override)
    ref = avg_pool2d_reference(x, **kw, count_include_pad=include_pad, divisor_override=override)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


@given(geom=pool2d_geometries(dilation=False), seed=seeds, include_pad=st.booleans())
@examples(40)
def test_avg_pool2d_gradcheck(geom, seed, include_pad, device):
    x = np.random.default_rng(seed).standard_normal(geom["x"])
    kw = {k: v for k, v in geom.items() if k not in ("x", "dilation")}
    assert gradcheck(lambda t: F.avg_pool2d(t, **kw, count_include_pad=include_pad),
                     [_t(x, device=device)])


def test_global_average_pool_is_the_mean():
    x = _t(np.random.default_rng(0).standard_normal((2, 3, 4, 5)))
    y = F.avg_pool2d(x, (4, 5))
    np.testing.assert_allclose(y.detach().numpy(),
                               x.detach().numpy().mean(axis=(2, 3), keepdims=True))
    assert gradcheck(lambda t: F.avg_pool2d(t, (4, 5)), [x])
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, 1), [x])


# ------------------------------------------------------------- adaptive pools
output_sizes = st.one_of(st.integers(1, 7), st.tuples(st.one_of(st.none(), st.integers(1, 7)),
                                                      st.one_of(st.none(), st.integers(1, 7))))
input_shapes = st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7))


@given(shape=input_shapes, size=output_sizes, seed=seeds)
@examples(30)
def test_adaptive_pools_match_references(shape, size, seed, device):
    x = np.random.default_rng(seed).standard_normal(shape).round(1)
    y = F.adaptive_avg_pool2d(_t(x, False, device=device), size)
    np.testing.assert_allclose(y.numpy(), adaptive_avg_pool2d_reference(x, size), atol=1e-12)
    y, idx = F.adaptive_max_pool2d(_t(x, False, device=device), size, return_indices=True)
    ref, ref_idx = adaptive_max_pool2d_reference(x, size, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)


@given(shape=input_shapes, size=output_sizes, seed=seeds)
@examples(40)
def test_adaptive_pools_gradcheck(shape, size, seed, device):
    x = _distinct(shape, seed)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), [_t(x, device=device)])
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, size), [_t(x, device=device)])


def test_adaptive_windows_overlap_as_pytorch():
    assert pooling_module.adaptive_windows(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert pooling_module.adaptive_windows(3, 5) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    x = _t(np.arange(14.0).reshape(2, 7), False)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x[None], (1, 3)).numpy()[0, 0],
                               [np.mean([0, 1, 2, 7, 8, 9]), np.mean([2, 3, 4, 9, 10, 11]),
                                np.mean([4, 5, 6, 11, 12, 13])])


def test_adaptive_unbatched_and_none_sizes():
    x = minidl.randn(3, 5, 7)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (3, 5, 2)
    assert F.adaptive_max_pool2d(x, (2, None)).shape == (3, 2, 7)
    y, idx = F.adaptive_max_pool2d(x, 3, return_indices=True)
    assert y.shape == idx.shape == (3, 3, 3)


# ------------------------------------------------------------------- errors
def test_pooling_errors():
    x = minidl.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 2\) should be at most half"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: padding"):
        F.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D"):
        F.max_pool2d(minidl.randn(6, 6), 2)
    with pytest.raises(ValueError, match=r"max_pool2d: kernel size \(7, 7\) \(dilated \(7, 7\)\) "
                                         r"is larger than the padded input \(6, 6\)"):
        F.max_pool2d(x, 7)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.avg_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must hold positive"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="divisor_override must be positive"):
        F.avg_pool2d(x, 2, divisor_override=-1)


# --------------------------------------------------------------- PyTorch parity
def test_pytorch_parity():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(1)
    x = _distinct((2, 3, 9, 8), 0)
    cases = [
        (lambda f, t: f.max_pool2d(t, 3, 2, 1, ceil_mode=True, return_indices=True)),
        (lambda f, t: f.max_pool2d(t, (2, 3), (2, 1), (1, 0), dilation=(2, 1),
                                   return_indices=True)),
        (lambda f, t: f.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
        (lambda f, t: f.avg_pool2d(t, 3, 2, 1, ceil_mode=True)),
        (lambda f, t: f.adaptive_avg_pool2d(t, (4, 3))),
        (lambda f, t: f.adaptive_max_pool2d(t, (5, 3), return_indices=True)),
    ]
    for case in cases:
        tx = torch.tensor(x, requires_grad=True)
        mx = _t(x)
        ty, my = case(tf, tx), case(F, mx)
        if isinstance(ty, tuple):
            np.testing.assert_array_equal(my[1].numpy(), ty[1].numpy())
            ty, my = ty[0], my[0]
        np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-12)
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        my.backward(minidl.tensor(g, dtype=minidl.float64))
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("pool, kw", [
    ("max", dict(kernel_size=2)), ("max", dict(kernel_size=3, stride=2, padding=1)),
    ("avg", dict(kernel_size=2)), ("avg", dict(kernel_size=3, stride=2, padding=1))])
def test_channels_last_input_keeps_its_layout(pool, kw):
    """After a convolution the activations are stored channels-last; pooling returns its
    output in that layout (mixing layouts makes the next element-wise op several times
    slower), with the same numbers and gradients as for an (N, C, H, W) input."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 8, 8))
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d
    outs = []
    for data in (x, x_last):
        t = minidl.from_numpy(data).requires_grad_()  # shares data: keeps its layout
        y = fn(t, **kw)
        y.backward(minidl.tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape)))
        outs.append((y.detach().numpy(), t.grad.numpy()))
    (y, gx), (y_last, gx_last) = outs
    np.testing.assert_array_equal(y, y_last)
    np.testing.assert_array_equal(gx, gx_last)
    assert y_last.transpose(0, 2, 3, 1).flags.c_contiguous


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_adaptive_avg_pool_keeps_nan_and_inf_in_their_own_windows(bad):
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    x[0, 0, 0, 0] = bad  # only window (0, 0) holds it: 7 -> 3 windows [0,3) [2,5) [4,7)
    xt = minidl.tensor(x, requires_grad=True)
    y = F.adaptive_avg_pool2d(xt, (3, 3))
    expected = adaptive_avg_pool2d_reference(x, (3, 3))
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    assert np.isfinite(y.detach().numpy()[0, 0].ravel()[1:]).all()
    y.sum().backward(retain_graph=True)  # the gradient does not depend on the values
    assert np.isfinite(xt.grad.numpy()).all()
    g = np.zeros((1, 1, 3, 3))
    g[0, 0, 2, 2] = bad  # an upstream NaN/Inf reaches only its window's inputs
    xt.grad = None
    y.backward(minidl.tensor(g))
    touched = ~np.isfinite(xt.grad.numpy()[0, 0])
    assert touched[4:, 4:].all() and not touched[:4].any() and not touched[:, :4].any()
