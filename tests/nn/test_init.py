"""nn.init: gains, fans, distribution bounds and spreads, in-place and no_grad behaviour."""
import doctest
import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn import init


def test_docstring_examples():
    result = doctest.testmod(init)
    assert result.attempted > 0 and result.failed == 0


def test_calculate_gain_values():
    for name in ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose2d",
                 "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(1 / 3)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(minidl.empty(30, 20)) == (20, 30)
    # grouped conv weight (out, in / groups, KH, KW): fan_in = in/groups * KH * KW
    assert init._calculate_fan_in_and_fan_out(minidl.empty(64, 8, 3, 3)) == (72, 576)
    assert init._calculate_fan_in_and_fan_out(minidl.empty(4, 2, 5)) == (10, 20)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(minidl.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(minidl.empty(3, 3), mode="fan_avg")


def test_uniform_normal_constant_in_place():
    w = minidl.empty(200, 50)
    data = w._array
    assert init.uniform_(w, -0.3, 0.7) is w and w._array is data
    assert w._array.min() >= -0.3 and w._array.max() < 0.7
    assert abs(w._array.mean() - 0.2) < 0.01
    init.normal_(w, 1.0, 0.5)
    assert abs(w._array.mean() - 1.0) < 0.01 and abs(w._array.std() - 0.5) < 0.01
    assert init.constant_(w, 0.25)._array.tolist()[0][:2] == [0.25, 0.25]
    assert init.zeros_(w)._array.max() == 0 and init.ones_(w)._array.min() == 1
    assert init.eye_(minidl.empty(3, 2)).tolist() == [[1, 0], [0, 1], [0, 0]]
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(minidl.empty(2, 2, 2))


def test_works_on_parameters_outside_no_grad():
    p = nn.Parameter(minidl.empty(10, 10))
    init.kaiming_uniform_(p)
    init.zeros_(p)
    init.trunc_normal_(p)
    init.eye_(p)
    assert p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_std(mode):
    w = minidl.empty(256, 64, 3, 3)
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    fan = 64 * 9 if mode == "fan_in" else 256 * 9
    expected = math.sqrt(2 / fan)
    assert abs(w._array.std() / expected - 1) < 0.02
    assert abs(w._array.mean()) < 0.02 * expected


def test_kaiming_uniform_bound_and_std():
    w = minidl.empty(400, 100)
    init.kaiming_uniform_(w, a=0.1)
    gain = math.sqrt(2 / (1 + 0.01))
    bound = gain * math.sqrt(3 / 100)
    assert np.abs(w._array).max() <= bound and np.abs(w._array).max() > 0.99 * bound
    assert abs(w._array.std() / (gain / 10) - 1) < 0.02


def test_xavier():
    w = minidl.empty(300, 200)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w._array).max() <= bound and np.abs(w._array).max() > 0.99 * bound
    init.xavier_normal_(w)
    assert abs(w._array.std() / math.sqrt(2 / 500) - 1) < 0.02


def test_trunc_normal():
    w = minidl.empty(20000)
    init.trunc_normal_(w, mean=1.0, std=0.5, a=0.5, b=2.0)
    assert w._array.min() >= 0.5 and w._array.max() <= 2.0
    # mean of N(1, 0.5^2) truncated to [0.5, 2]: 1 + 0.5 (phi(-1) - phi(2)) / (Phi(2) - Phi(-1))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 1 + 0.5 * (phi(-1) - phi(2)) / (Phi(2) - Phi(-1))
    assert abs(w._array.mean() - expected) < 0.01
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(w, a=1.0, b=0.0)
    with pytest.raises(ValueError, match="nearer the mean"):
        init.trunc_normal_(w, a=10.0, b=11.0)


def test_reproducible_and_float64():
    minidl.manual_seed(4)
    a = init.kaiming_normal_(minidl.empty(5, 5, dtype=minidl.float64))
    minidl.manual_seed(4)
    b = init.kaiming_normal_(minidl.empty(5, 5, dtype=minidl.float64))
    np.testing.assert_array_equal(a._array, b._array)
    assert a.dtype == np.float64


def test_layers_with_no_inputs_or_outputs_initialise_and_run():
    import minidl.nn as nn
    assert nn.Linear(0, 2)(minidl.zeros(3, 0)).tolist() == [[0.0, 0.0]] * 3
    assert nn.Linear(2, 0)(minidl.zeros(3, 2)).shape == (3, 0)
    with pytest.raises(minidl.errors.ShapeError, match="Linear: in_features must be"):
        nn.Linear(-1, 3)
    with pytest.raises(minidl.errors.ShapeError, match="BatchNorm2d: num_features must be"):
        nn.BatchNorm2d(-1)
