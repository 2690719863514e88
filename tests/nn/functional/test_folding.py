"""unfold and fold: against the loop reference, as each other's adjoint, gradients, errors,
PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import folding as folding_module
from minidl.nn.functional.folding import unfold_reference
from tests.strategies import examples, conv2d_geometries

seeds = st.integers(0, 2**31 - 1)


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def _kwargs(geom):
    return dict(kernel_size=geom["w"][2:], dilation=geom["dilation"], padding=geom["padding"],
                stride=geom["stride"])


def test_docstring_examples():
    result = doctest.testmod(folding_module)
    assert result.attempted > 0 and result.failed == 0


@given(geom=conv2d_geometries(max_side=6), seed=seeds)
@examples(20)
def test_unfold_matches_reference_and_fold_is_its_adjoint(geom, seed, device):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geom["x"])
    kw = _kwargs(geom)
    cols = F.unfold(_t(x, False, device), **kw).numpy()
    np.testing.assert_array_equal(cols, unfold_reference(x, **kw))
    c = rng.standard_normal(cols.shape)
    back = F.fold(_t(c, False, device), x.shape[2:], **kw).numpy()
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-10)


@given(geom=conv2d_geometries(max_side=5), seed=seeds)
@examples(10)
def test_unfold_and_fold_gradcheck(geom, seed, device):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geom["x"])
    kw = _kwargs(geom)
    assert gradcheck(lambda t: F.unfold(t, **kw), [_t(x, device=device)])
    cols = rng.standard_normal(F.unfold(_t(x, False), **kw).shape)
    assert gradcheck(lambda t: F.fold(t, x.shape[2:], **kw), [_t(cols, device=device)])


def test_unbatched_and_float32():
    x = minidl.randn(3, 5, 6)
    cols = F.unfold(x, (2, 3), padding=1)
    np.testing.assert_allclose(cols.numpy(), unfold_reference(x.numpy()[None], (2, 3),
                                                              padding=1)[0])
    assert cols.dtype == minidl.float32
    assert F.fold(cols, (5, 6), (2, 3), padding=1).shape == (3, 5, 6)


def test_folding_errors():
    with pytest.raises(ValueError, match=r"unfold: expected a 3-D \(C, H, W\) or 4-D"):
        F.unfold(minidl.ones(4, 4), 2)
    with pytest.raises(ValueError, match=r"unfold: kernel size \(5, 5\)"):
        F.unfold(minidl.ones(1, 1, 4, 4), 5)
    with pytest.raises(ValueError, match="fold: expected the input's size 5 at dim 1 to be "
                                         "divisible by the kernel's 4 taps"):
        F.fold(minidl.ones(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match=r"fold: expected 4 windows \(2x2"):
        F.fold(minidl.ones(1, 4, 5), (3, 3), 2)
    with pytest.raises(ValueError, match="fold: stride must be positive"):
        F.fold(minidl.ones(1, 4, 4), (3, 3), 2, stride=0)


def test_pytorch_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6))
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1))
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.unfold(tx, **kw)
    mx = _t(x)
    my = F.unfold(mx, **kw)
    np.testing.assert_array_equal(my.detach().numpy(), ty.detach().numpy())
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g))
    my.backward(minidl.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    tc = torch.tensor(g, requires_grad=True)
    tz = torch.nn.functional.fold(tc, (7, 6), **kw)
    mc = _t(g)
    mz = F.fold(mc, (7, 6), **kw)
    np.testing.assert_allclose(mz.detach().numpy(), tz.detach().numpy(), atol=1e-12)
    gz = rng.standard_normal(tz.shape)
    tz.backward(torch.tensor(gz))
    mz.backward(minidl.tensor(gz))
    np.testing.assert_allclose(mc.grad.numpy(), tc.grad.numpy(), atol=1e-12)
