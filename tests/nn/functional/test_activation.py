"""Activation functions: one table drives the NumPy forward check, gradcheck and dtype checks."""
import doctest
import importlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.strategies import examples, domain_arrays, shape_and_dim, shapes

F64 = minidl.float64
ERF = np.vectorize(math.erf)


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


# name: (minidl call, NumPy reference, domain keeping inputs away from kinks)
TABLE = {
    "relu": (F.relu, lambda x: np.maximum(x, 0), "nonzero"),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6), "nonzero"),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
                   "nonzero"),
    "leaky_relu_default": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), "nonzero"),
    "elu": (lambda x: F.elu(x, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)),
            "nonzero"),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2))), "real"),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                    * (x + 0.044715 * x ** 3))), "real"),
    "silu": (F.silu, lambda x: x / (1 + np.exp(-x)), "real"),
    "softplus": (F.softplus, _softplus, "real"),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.3),
                      lambda x: _softplus(x, 2.0, 3.3), "nonzero"),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "real"),
    "tanh": (F.tanh, np.tanh, "real"),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5), "grid_off"),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), "wide_off"),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, "wide_off"),
    "selu": (F.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x)), "nonzero"),
    "celu": (lambda x: F.celu(x, alpha=0.5),
             lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5)), "nonzero"),
    "mish": (F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), "real"),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x)), "real"),
    "logsigmoid": (F.logsigmoid, lambda x: -np.log1p(np.exp(-x)), "real"),
}


def _draw(data, shape, domain):
    if domain == "grid_off":  # multiples of 0.5 plus 0.25: never at the bounds -0.5 or 1.5
        return data.draw(domain_arrays(shape, "offgrid"))
    if domain == "wide_off":  # odd multiples of 0.5 in [-5.5, 5.5]: never at the kinks +-3
        return data.draw(domain_arrays(shape, "offgrid")) * 2
    return data.draw(domain_arrays(shape, domain))


def test_docstring_examples():
    result = doctest.testmod(importlib.import_module("minidl.nn.functional.activation"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", sorted(TABLE))
@given(shape=shapes(0, 3), data=st.data())
def test_forward_matches_numpy(name, shape, data, device):
    fn, ref, domain = TABLE[name]
    x = _draw(data, shape, domain)
    np.testing.assert_allclose(fn(minidl.tensor(x, device=device)).detach().numpy(), ref(x),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(TABLE))
@examples(5)
@given(shape=shapes(0, 2), data=st.data())
def test_gradcheck(name, shape, data, device):
    fn, _, domain = TABLE[name]
    x = minidl.tensor(_draw(data, shape, domain), dtype=F64, requires_grad=True, device=device)
    assert gradcheck(fn, [x])


@pytest.mark.parametrize("name", sorted(TABLE))
def test_float32_in_float32_out(name):
    fn, _, _ = TABLE[name]
    assert fn(minidl.randn(3, 2)).dtype == np.float32


def test_extreme_inputs_stay_finite():
    x = minidl.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for fn in (F.elu, F.softplus, F.silu, F.sigmoid, F.gelu, F.selu, F.celu, F.mish,
               F.logsigmoid, F.softsign, F.hardswish):
        y = fn(x)
        assert np.isfinite(y._array).all(), fn.__name__
    assert F.softplus(x)._array[-1] == 1000.0 and F.softplus(x)._array[0] == 0.0


def test_inplace_flag_writes_into_the_input():
    x = minidl.tensor([-1.0, 1.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 1.0]
    z = minidl.tensor([-1.0, 1.0])
    assert F.relu(z) is not z and z.tolist() == [-1.0, 1.0]


@given(shape_and_dim(1, 3), st.data())
def test_softmax_and_log_softmax(sd, data):
    shape, dim = sd
    x = data.draw(domain_arrays(shape))
    np.testing.assert_allclose(F.softmax(minidl.tensor(x), dim=dim)._array, _softmax(x, dim),
                               rtol=1e-10)
    np.testing.assert_allclose(F.log_softmax(minidl.tensor(x), dim)._array,
                               np.log(_softmax(x, dim)), rtol=1e-9, atol=1e-12)


@examples(5)
@given(shape_and_dim(1, 2), st.data())
def test_softmax_gradcheck(sd, data):
    shape, dim = sd
    x = minidl.tensor(data.draw(domain_arrays(shape)), requires_grad=True)
    assert gradcheck(lambda t: F.softmax(t, dim), [x])
    assert gradcheck(lambda t: F.log_softmax(t, dim), [x])


def test_softmax_dtype_and_implicit_dim():
    x = minidl.randn(2, 3)
    assert F.softmax(x, dim=1, dtype=minidl.float64).dtype == np.float64
    with pytest.warns(UserWarning, match="implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y._array.sum(axis=1), 1, rtol=1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(minidl.zeros(1), approximate="fast")
    with pytest.raises(ValueError, match="beta"):
        F.softplus(minidl.zeros(1), beta=0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(minidl.zeros(1), 1.0, -1.0)


def test_torch_parity():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    pairs = [
        (F.relu, tf.relu), (F.relu6, tf.relu6), (F.silu, tf.silu), (F.gelu, tf.gelu),
        (lambda t: F.gelu(t, approximate="tanh"), lambda t: tf.gelu(t, approximate="tanh")),
        (lambda t: F.leaky_relu(t, 0.1), lambda t: tf.leaky_relu(t, 0.1)),
        (lambda t: F.elu(t, 0.7), lambda t: tf.elu(t, 0.7)),
        (lambda t: F.softplus(t, 2.0, 4.0), lambda t: tf.softplus(t, 2.0, 4.0)),
        (lambda t: F.hardtanh(t, -2.0, 2.5), lambda t: tf.hardtanh(t, -2.0, 2.5)),
        (lambda t: F.log_softmax(t, 0), lambda t: tf.log_softmax(t, 0)),
        (F.hardsigmoid, tf.hardsigmoid), (F.hardswish, tf.hardswish), (F.selu, tf.selu),
        (lambda t: F.celu(t, 0.5), lambda t: tf.celu(t, 0.5)), (F.mish, tf.mish),
        (F.softsign, tf.softsign), (F.logsigmoid, tf.logsigmoid),
        (lambda t: F.softmin(t, 1), lambda t: tf.softmin(t, 1)),
    ]
    for mine, theirs in pairs:
        mx, tx = minidl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = mine(mx), theirs(tx)
        np.testing.assert_allclose(y._array, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        # (PyTorch's float64 backward of hardsigmoid uses 1/6 as a float32 constant, and
        # celu's 1/alpha likewise (alpha=0.5 is exact): their gradients differ in the 8th
        # digit; gradcheck holds ours)
        np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), rtol=1e-7, atol=1e-12)


@given(shape_and_dim(1, 3), st.data())
@examples(10)
def test_softmin_is_softmax_of_the_negation(sd, data):
    shape, dim = sd
    x = data.draw(domain_arrays(shape))
    t = minidl.tensor(x, dtype=F64, requires_grad=True)
    np.testing.assert_allclose(F.softmin(t, dim=dim).detach().numpy(), _softmax(-x, dim), rtol=1e-10)
    assert gradcheck(lambda a: F.softmin(a, dim), [t])
    assert F.softmin(minidl.ones(2, 3), 1, dtype=minidl.float64).dtype == np.float64


def test_hard_activations_at_their_kinks_follow_pytorch():
    x = minidl.tensor([-3.0, 3.0], dtype=F64, requires_grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.tolist() == [-0.5, 1.5]       # PyTorch's branches: x/3 + 1/2 on [-3, 3]
    x.grad = None
    F.hardsigmoid(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]        # 1/6 strictly inside (-3, 3) only
    with pytest.raises(ValueError, match="celu: alpha must not be 0"):
        F.celu(x, alpha=0.0)
