"""F.linear: forward against NumPy, gradcheck over leading dimensions, errors."""
import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.strategies import examples, arrays, shapes

F64 = minidl.float64


def test_docstring_examples():
    result = doctest.testmod(importlib.import_module("minidl.nn.functional.linear"))
    assert result.attempted > 0 and result.failed == 0


@st.composite
def linear_problems(draw):
    lead = draw(shapes(min_ndim=0, max_ndim=2, max_side=3))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(arrays(lead + (n_in,)))
    w = draw(arrays((n_out, n_in)))
    b = draw(st.none() | arrays((n_out,)))
    return x, w, b


@given(linear_problems())
def test_forward_matches_numpy(device, problem):
    x, w, b = problem
    y = F.linear(minidl.tensor(x, device=device), minidl.tensor(w, device=device),
                 None if b is None else minidl.tensor(b, device=device))
    expected = x @ w.T + (0 if b is None else b)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


@examples(10)
@given(linear_problems())
def test_gradcheck(device, problem):
    x, w, b = problem
    inputs = [minidl.tensor(x, dtype=F64, requires_grad=True, device=device),
              minidl.tensor(w, dtype=F64, requires_grad=True, device=device)]
    if b is not None:
        inputs.append(minidl.tensor(b, dtype=F64, requires_grad=True, device=device))
    assert gradcheck(lambda *t: F.linear(*t), inputs)


def test_uses_its_own_function_and_skips_unneeded_grads():
    x = minidl.randn(3, 2)
    w = minidl.randn(4, 2, requires_grad=True)
    y = F.linear(x, w)
    assert y.grad_fn.name() == "LinearBackward"
    y.sum().backward()
    np.testing.assert_allclose(w.grad._array, np.ones((4, 3)) @ x._array, rtol=1e-6)
    assert x.grad is None


def test_float32_stays_float32():
    y = F.linear(minidl.randn(2, 3), minidl.randn(4, 3), minidl.randn(4))
    assert y.dtype == np.float32


def test_errors_name_features():
    with pytest.raises(ValueError, match=r"linear: expected input with last dimension 3 .*"
                                         r"in_features=3, out_features=4.*got shape \(2, 5\)"):
        F.linear(minidl.randn(2, 5), minidl.randn(4, 3))
    with pytest.raises(ValueError, match="bias of shape"):
        F.linear(minidl.randn(2, 3), minidl.randn(4, 3), minidl.randn(3))
    with pytest.raises(ValueError, match="2-D weight"):
        F.linear(minidl.randn(2, 3), minidl.randn(3))


def test_torch_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    mx, mw, mb = (minidl.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    g = rng.standard_normal((2, 3, 4))
    F.linear(mx, mw, mb).backward(minidl.tensor(g))
    torch.nn.functional.linear(tx, tw, tb).backward(torch.tensor(g))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        np.testing.assert_allclose(m.grad._array, t.grad.numpy(), rtol=1e-10)
