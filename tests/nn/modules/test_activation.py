"""Activation modules: each equals its functional op; reprs in PyTorch's format."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.nn.modules import activation as activation_module


def test_docstring_examples():
    result = doctest.testmod(activation_module)
    assert result.attempted > 0 and result.failed == 0


CASES = [
    (nn.ReLU(), F.relu, "ReLU()"),
    (nn.ReLU(inplace=True), F.relu, "ReLU(inplace=True)"),
    (nn.ReLU6(), F.relu6, "ReLU6()"),
    (nn.LeakyReLU(), F.leaky_relu, "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.3, inplace=True), lambda x: F.leaky_relu(x, 0.3),
     "LeakyReLU(negative_slope=0.3, inplace=True)"),
    (nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    (nn.GELU(), F.gelu, "GELU(approximate='none')"),
    (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh"), "GELU(approximate='tanh')"),
    (nn.SiLU(), F.silu, "SiLU()"),
    (nn.Softplus(beta=2.0, threshold=5.0), lambda x: F.softplus(x, 2.0, 5.0),
     "Softplus(beta=2.0, threshold=5.0)"),
    (nn.Sigmoid(), F.sigmoid, "Sigmoid()"),
    (nn.Tanh(), F.tanh, "Tanh()"),
    (nn.Hardtanh(-2.0, 3.0), lambda x: F.hardtanh(x, -2.0, 3.0),
     "Hardtanh(min_val=-2.0, max_val=3.0)"),
    (nn.Softmax(dim=0), lambda x: F.softmax(x, 0), "Softmax(dim=0)"),
    (nn.LogSoftmax(dim=-1), lambda x: F.log_softmax(x, -1), "LogSoftmax(dim=-1)"),
    (nn.Hardsigmoid(inplace=True), F.hardsigmoid, "Hardsigmoid()"),
    (nn.Hardswish(), F.hardswish, "Hardswish()"),
    (nn.SELU(inplace=True), F.selu, "SELU(inplace=True)"),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5), "CELU(alpha=0.5)"),
    (nn.Mish(), F.mish, "Mish()"),
    (nn.Softsign(), F.softsign, "Softsign()"),
    (nn.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
    (nn.Softmin(dim=0), lambda x: F.softmin(x, 0), "Softmin(dim=0)"),
]


@pytest.mark.parametrize("layer, fn, text", CASES, ids=[c[2] for c in CASES])
def test_module_matches_functional_and_repr(layer, fn, text):
    x = minidl.randn(3, 4) * 4
    np.testing.assert_array_equal(layer(x.clone())._array, fn(x.clone())._array)
    assert repr(layer) == text
    assert list(layer.parameters()) == []


def test_gradient_flows_through_module():
    x = minidl.randn(5, dtype=minidl.float64, requires_grad=True)
    nn.Sequential(nn.GELU(), nn.Tanh())(x).sum().backward()
    assert x.grad.shape == (5,)


def test_argument_validation():
    with pytest.raises(ValueError, match="GELU: approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="Softplus: beta"):
        nn.Softplus(beta=-1.0)
    with pytest.raises(ValueError, match="Hardtanh: min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="CELU: alpha must not be 0"):
        nn.CELU(0.0)
