"""dropout and dropout2d: statistics, scaling, reproducibility, gradients, eval mode."""
import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.strategies import examples, domain_arrays, shapes


def test_docstring_examples():
    result = doctest.testmod(importlib.import_module("minidl.nn.functional.dropout"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_fraction_and_scale(p):
    y = F.dropout(minidl.ones(200, 100), p=p)._array
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.02
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.05  # the expectation is unchanged


def test_dropout_identity_cases():
    x = minidl.randn(4, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0
    y = F.dropout(x, 0.3, inplace=True)
    assert y is not x


def test_reproducible_under_manual_seed():
    minidl.manual_seed(7)
    a = F.dropout(minidl.ones(50), 0.5)
    minidl.manual_seed(7)
    b = F.dropout(minidl.ones(50), 0.5)
    np.testing.assert_array_equal(a._array, b._array)
    assert not np.array_equal(a._array, F.dropout(minidl.ones(50), 0.5)._array)


@examples(8)
@given(shape=shapes(1, 3), p=st.sampled_from([0.2, 0.5]), data=st.data())
def test_dropout_gradient_is_the_mask(shape, p, data):
    x = minidl.tensor(data.draw(domain_arrays(shape, "nonzero")), requires_grad=True)
    minidl.manual_seed(1)
    y = F.dropout(x, p)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._array, y._array / x._array, rtol=1e-12)  # mask / (1 - p)
    assert set(np.unique(x.grad._array)) <= {0.0, 1 / (1 - p)}
    # gradcheck with a fixed mask: reseed before each call so every evaluation drops the same
    def fixed(t):
        minidl.manual_seed(1)
        return F.dropout(t, p)
    assert gradcheck(fixed, [minidl.tensor(x._array, requires_grad=True)])


def test_dropout2d_drops_whole_channels():
    y = F.dropout2d(minidl.ones(20, 30, 3, 3), p=0.4)._array
    per_channel = y.reshape(20, 30, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / 0.6).all(-1)).all()
    assert abs((per_channel[..., 0] == 0).mean() - 0.4) < 0.05
    y3 = F.dropout2d(minidl.ones(40, 2, 2), p=0.5)._array.reshape(40, 4)
    assert ((y3 == 0).all(-1) | (y3 == 2).all(-1)).all()
    assert 0 < (y3[:, 0] == 0).sum() < 40


def test_dropout2d_gradient_and_errors():
    x = minidl.randn(2, 3, 2, 2, dtype=minidl.float64, requires_grad=True)

    def fixed(t):
        minidl.manual_seed(2)
        return F.dropout2d(t, 0.5)
    assert gradcheck(fixed, [x])
    with pytest.raises(ValueError, match=r"dropout2d: expected input of shape \(N, C, H, W\)"):
        F.dropout2d(minidl.ones(3), 0.5)
    assert F.dropout2d(x, 0.5, training=False) is x
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout2d(x, p)


def test_float32_mask_keeps_dtype():
    assert F.dropout(minidl.ones(3), 0.5).dtype == np.float32
    assert F.dropout(minidl.ones(3, dtype=minidl.float64), 0.5).dtype == np.float64
