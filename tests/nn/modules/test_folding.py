"""Unfold and Fold layers: they call their ops; printouts as PyTorch's."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.nn.modules import folding as folding_module


def test_docstring_examples():
    result = doctest.testmod(folding_module)
    assert result.attempted > 0 and result.failed == 0


def test_layers_call_their_ops():
    x = minidl.randn(2, 3, 6, 5)
    cols = nn.Unfold((2, 3), dilation=1, padding=1, stride=2)(x)
    np.testing.assert_array_equal(cols.numpy(), F.unfold(x, (2, 3), 1, 1, 2).numpy())
    back = nn.Fold((6, 5), (2, 3), padding=1, stride=2)(cols)
    np.testing.assert_array_equal(back.numpy(), F.fold(cols, (6, 5), (2, 3), 1, 1, 2).numpy())


def test_pytorch_reprs():
    torch = pytest.importorskip("torch")
    assert repr(nn.Unfold(3, padding=1)) == repr(torch.nn.Unfold(3, padding=1))
    assert repr(nn.Fold((4, 5), 2, stride=2)) == repr(torch.nn.Fold((4, 5), 2, stride=2))
