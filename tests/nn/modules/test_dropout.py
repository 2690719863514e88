"""Dropout and Dropout2d modules: train/eval behaviour, validation, repr."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn.modules import dropout as dropout_module


def test_docstring_examples():
    result = doctest.testmod(dropout_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("cls, shape", [(nn.Dropout, (8, 50)), (nn.Dropout2d, (4, 50, 2, 2))])
def test_active_in_train_identity_in_eval(cls, shape):
    layer = cls(0.5)
    x = minidl.ones(*shape)
    y = layer(x)
    assert (y._array == 0).any() and (y._array == 2).any()
    layer.eval()
    assert layer(x) is x
    model = nn.Sequential(nn.Identity(), cls(0.9))
    model.eval()
    assert model(x) is x


@pytest.mark.parametrize("cls", [nn.Dropout, nn.Dropout2d])
def test_p_validated_and_repr(cls):
    for p in (-0.01, 1.01):
        with pytest.raises(ValueError, match=f"{cls.__name__}: dropout probability has to be "
                                             "between 0 and 1"):
            cls(p)
    assert repr(cls(0.25)) == f"{cls.__name__}(p=0.25, inplace=False)"
    assert list(cls().parameters()) == []


def test_same_seed_same_mask_through_module():
    layer = nn.Dropout(0.5)
    minidl.manual_seed(11)
    a = layer(minidl.ones(30))
    minidl.manual_seed(11)
    b = layer(minidl.ones(30))
    np.testing.assert_array_equal(a._array, b._array)
