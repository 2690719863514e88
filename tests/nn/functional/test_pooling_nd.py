"""1-D and 3-D pooling and max unpooling: values and indices against the loop references,
gradients, errors and PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import pooling_nd as pooling_nd_module
from minidl.nn.functional.pooling_nd import (avg_pool_nd_reference, max_pool_nd_reference,
                                             max_unpool_nd_reference)
from tests.strategies import examples, poolnd_geometries

seeds = st.integers(0, 2**31 - 1)
MAX = {1: F.max_pool1d, 3: F.max_pool3d}
AVG = {1: F.avg_pool1d, 3: F.avg_pool3d}
UNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
SIDES = {1: 8, 3: 4}   # 3-D volumes stay small: a gradcheck perturbs every voxel


def _distinct(shape, seed):
    """float64 values 0.05 apart, in random order: no ties, so max pooling is differentiable."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.05 - n * 0.025).reshape(shape)


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def _kwargs(geom, avg=False):
    kw = {k: v for k, v in geom.items() if k != "x"}
    if avg:
        kw.pop("dilation")
    return kw


def test_docstring_examples():
    result = doctest.testmod(pooling_nd_module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ max pool
@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds)
@examples(15)
def test_max_pool_values_and_indices_match_reference(s, data, seed, device):
    geom = data.draw(poolnd_geometries(s, max_side=SIDES[s]))
    x = np.random.default_rng(seed).standard_normal(geom["x"]).round(1)  # ties happen
    kw = _kwargs(geom)
    y, idx = MAX[s](_t(x, False, device), **kw, return_indices=True)
    ref, ref_idx = max_pool_nd_reference(x, **kw, return_indices=True)
    assume(np.isfinite(ref).all())  # a dilated window wholly in the padding: no index
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert idx.dtype == minidl.int64


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds)
@examples(8)
def test_max_pool_gradcheck(s, data, seed, device):
    geom = data.draw(poolnd_geometries(s, max_side=SIDES[s]))
    kw = _kwargs(geom)
    assert gradcheck(lambda t: MAX[s](t, **kw), [_t(_distinct(geom["x"], seed), device=device)])


def test_max_pool3d_unbatched_ties_and_nan():
    x = np.zeros((1, 2, 2, 2))
    y, idx = F.max_pool3d(_t(x), 2, return_indices=True)
    assert y.shape == (1, 1, 1, 1) and idx.item() == 0        # ties: the first tap
    y.sum().backward()
    x[0, 1, 1, 0] = np.nan
    assert np.isnan(F.max_pool3d(_t(x, False), 2).item())


# -------------------------------------------------------------- average pool
@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds, include_pad=st.booleans())
@examples(15)
def test_avg_pool_matches_reference(s, data, seed, include_pad, device):
    geom = data.draw(poolnd_geometries(s, max_side=SIDES[s], dilation=False))
    x = np.random.default_rng(seed).standard_normal(geom["x"])
    kw = dict(_kwargs(geom, avg=True), count_include_pad=include_pad)
    if s == 3 and data.draw(st.booleans()):
        kw["divisor_override"] = data.draw(st.integers(1, 5))
    y = AVG[s](_t(x, False, device), **kw)
    np.testing.assert_allclose(y.numpy(), avg_pool_nd_reference(x, **kw), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds, include_pad=st.booleans())
@examples(8)
def test_avg_pool_gradcheck(s, data, seed, include_pad, device):
    geom = data.draw(poolnd_geometries(s, max_side=SIDES[s], dilation=False))
    x = np.random.default_rng(seed).standard_normal(geom["x"])
    kw = dict(_kwargs(geom, avg=True), count_include_pad=include_pad)
    assert gradcheck(lambda t: AVG[s](t, **kw), [_t(x, device=device)])


def test_avg_pool_float32_and_unbatched():
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 7))
    y = F.avg_pool3d(minidl.tensor(x, dtype=minidl.float32), 2, ceil_mode=True)
    assert y.dtype == minidl.float32 and y.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(y.numpy(), avg_pool_nd_reference(x[None], 2, ceil_mode=True)[0],
                               rtol=1e-5, atol=1e-6)
    assert F.avg_pool1d(minidl.ones(3, 9), 3).shape == (3, 3)


# ------------------------------------------------------------------ unpooling
@pytest.mark.parametrize("s", [1, 2, 3])
@given(seed=seeds, kernel=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 1),
       extra=st.integers(0, 1))
@examples(10)
def test_max_unpool_matches_reference_and_gradcheck(s, seed, kernel, stride, padding, extra,
                                                    device):
    assume(padding <= kernel // 2)
    x = _distinct((2, 2) + (5, 4, 3)[:s], seed)
    y, idx = MAX_POOL[s](_t(x, False, device), kernel, stride, padding, return_indices=True)
    default = [(o - 1) * stride - 2 * padding + kernel for o in y.shape[2:]]
    # a size between the default and one stride more, as PyTorch allows
    size = [d + min(extra, stride - 1) for d in default]
    assume(int(idx.numpy().max()) < np.prod(size))
    out = UNPOOL[s](y, idx, kernel, stride, padding, output_size=size)
    np.testing.assert_array_equal(out.numpy(), max_unpool_nd_reference(y.numpy(), idx.numpy(),
                                                                       size))
    # overlapping windows can share a maximum: then one write wins and the gradient (like
    # PyTorch's) reads g back for both, so the gradient is checked without repeats only
    flat = idx.numpy().reshape(4, -1)
    assume(all(len(set(row)) == len(row) for row in flat))
    assert gradcheck(lambda t: UNPOOL[s](t, idx, kernel, stride, padding, output_size=size),
                     [_t(y.numpy(), device=device)])


def test_max_unpool_inverts_max_pool_where_the_maxima_were():
    x = _t(_distinct((2, 3, 6, 6), 0), False)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    back = F.max_unpool2d(y, idx, 2).numpy()
    kept = back != 0
    np.testing.assert_array_equal(back[kept], x.numpy()[kept])
    assert kept.sum() == y.numel()
    assert F.max_unpool2d(y[0], idx[0], 2, output_size=(2, 3, 7, 7)).shape == (3, 7, 7)


def test_pooling_nd_errors():
    with pytest.raises(ValueError, match=r"max_pool3d: expected a 4-D \(C, D, H, W\) or 5-D"):
        F.max_pool3d(minidl.ones(4, 4, 4), 2)
    with pytest.raises(ValueError, match=r"avg_pool1d: expected a 2-D \(C, L\) or 3-D"):
        F.avg_pool1d(minidl.ones(1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="max_pool1d: padding .* should be at most half"):
        F.max_pool1d(minidl.ones(1, 1, 8), 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool3d: stride must be positive"):
        F.avg_pool3d(minidl.ones(1, 1, 4, 4, 4), 2, stride=0)
    with pytest.raises(TypeError, match="max_pool3d: kernel_size must be an int or a tuple of 3"):
        F.max_pool3d(minidl.ones(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match="avg_pool3d: divisor_override must be positive"):
        F.avg_pool3d(minidl.ones(1, 1, 4, 4, 4), 2, divisor_override=0)
    y, idx = F.max_pool2d(minidl.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(TypeError, match="max_unpool2d: indices must be an integer tensor"):
        F.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(ValueError, match="max_unpool2d: expected indices of the input's shape"):
        F.max_unpool2d(y, idx[:, :, :1], 2)
    with pytest.raises(ValueError, match="max_unpool2d: output_size .* is not within a stride"):
        F.max_unpool2d(y, idx, 2, output_size=(6, 6))
    with pytest.raises(ValueError, match="max_unpool2d: found an index outside"):
        F.max_unpool2d(y, idx, 1)


# --------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("s", [1, 3])
def test_pytorch_parity(s):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(5)
    x = _distinct((2, 3) + (7, 6, 5)[:s], 1)
    g = None
    for kw in (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=2, stride=2, padding=0, dilation=2),
               dict(kernel_size=(3, 2, 2)[:s], stride=(2, 1, 2)[:s], padding=(1, 0, 1)[:s])):
        tx = torch.tensor(x, requires_grad=True)
        ty, tidx = getattr(tf, f"max_pool{s}d")(tx, **kw, return_indices=True)
        mx = _t(x)
        my, midx = MAX[s](mx, **kw, return_indices=True)
        np.testing.assert_array_equal(my.detach().numpy(), ty.detach().numpy())
        np.testing.assert_array_equal(midx.numpy(), tidx.numpy())
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        my.backward(minidl.tensor(g))
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
        if "dilation" not in kw:  # unpooling with those indices, forward and backward
            _check_unpool_parity(torch, s, ty, tidx, my, midx, kw, x.shape[2:], rng)
        kw.pop("dilation", None)
        for include_pad in (True, False):
            tx = torch.tensor(x, requires_grad=True)
            ty = getattr(tf, f"avg_pool{s}d")(tx, **kw, count_include_pad=include_pad)
            mx = _t(x)
            my = AVG[s](mx, **kw, count_include_pad=include_pad)
            np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-12)
            g = rng.standard_normal(ty.shape)
            ty.backward(torch.tensor(g))
            my.backward(minidl.tensor(g))
            np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    if s == 3:
        ty = tf.avg_pool3d(torch.tensor(x), 2, divisor_override=3)
        np.testing.assert_allclose(F.avg_pool3d(_t(x, False), 2, divisor_override=3).numpy(),
                                   ty.numpy(), atol=1e-12)


def _check_unpool_parity(torch, s, ty, tidx, my, midx, kw, size, rng):
    kw_unpool = {k: kw[k] for k in ("kernel_size", "stride", "padding")}
    ty = ty.detach().requires_grad_()
    tu = getattr(torch.nn.functional, f"max_unpool{s}d")(ty, tidx, **kw_unpool,
                                                         output_size=size)
    my = _t(my.detach().numpy())
    mu = UNPOOL[s](my, midx, **kw_unpool, output_size=size)
    np.testing.assert_array_equal(mu.detach().numpy(), tu.detach().numpy())
    g = rng.standard_normal(tu.shape)
    tu.backward(torch.tensor(g))
    mu.backward(minidl.tensor(g))
    np.testing.assert_array_equal(my.grad.numpy(), ty.grad.numpy())


def test_pytorch_parity_max_unpool2d():
    torch = pytest.importorskip("torch")
    x = _distinct((2, 3, 7, 6), 2)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    my, midx = F.max_pool2d(_t(x, False), 3, 2, 1, return_indices=True)
    tu = torch.nn.functional.max_unpool2d(ty, tidx, 3, 2, 1, output_size=(7, 6))
    mu = F.max_unpool2d(my, midx, 3, 2, 1, output_size=(7, 6))
    np.testing.assert_array_equal(mu.numpy(), tu.numpy())
