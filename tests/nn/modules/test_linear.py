"""nn.Linear: parameters, default initialisation, errors, repr."""
import doctest
import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn.modules import linear as linear_module


def test_docstring_examples():
    result = doctest.testmod(linear_module)
    assert result.attempted > 0 and result.failed == 0


def test_parameters_shapes_and_forward():
    layer = nn.Linear(4, 3)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        ("weight", (3, 4)), ("bias", (3,))]
    assert layer.weight.dtype == np.float32
    x = minidl.randn(2, 5, 4)
    np.testing.assert_allclose(layer(x)._array, x._array @ layer.weight._array.T + layer.bias._array,
                               rtol=1e-5, atol=1e-6)
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1
    assert nn.Linear(2, 2, dtype=minidl.float64).weight.dtype == np.float64


def test_default_init_bounds_and_spread():
    fan_in = 64
    layer = nn.Linear(fan_in, 500)
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight._array, layer.bias._array
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-k, k) has std k / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.mean()) < 0.05 * bound


def test_init_is_reproducible_under_manual_seed():
    minidl.manual_seed(3)
    a = nn.Linear(5, 5)
    minidl.manual_seed(3)
    b = nn.Linear(5, 5)
    np.testing.assert_array_equal(a.weight._array, b.weight._array)
    np.testing.assert_array_equal(a.bias._array, b.bias._array)
    c = nn.Linear(5, 5)
    assert not np.array_equal(a.weight._array, c.weight._array)


def test_wrong_input_names_the_layer():
    layer = nn.Linear(4, 2)
    with pytest.raises(ValueError) as info:
        layer(minidl.randn(3, 5))
    assert str(info.value) == ("Linear(in_features=4, out_features=2): expected input with last "
                               "dimension 4, got shape (3, 5)")


def test_repr_and_training_step():
    layer = nn.Linear(3, 1, bias=False)
    assert repr(layer) == "Linear(in_features=3, out_features=1, bias=False)"
    x, y = minidl.randn(16, 3), minidl.randn(16, 1)
    loss = ((layer(x) - y) ** 2).mean()
    loss.backward()
    assert layer.weight.grad.shape == (1, 3)


def test_torch_init_statistics_agree():
    torch = pytest.importorskip("torch")
    mine = nn.Linear(100, 400).weight._array
    theirs = torch.nn.Linear(100, 400).weight.detach().numpy()
    assert abs(mine.std() - theirs.std()) < 0.05 * theirs.std()
    assert abs(np.abs(mine).max() - np.abs(theirs).max()) < 1e-3
