"""PixelShuffle and PixelUnshuffle layers: they call their ops; printouts as PyTorch's."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn.modules import pixelshuffle as pixelshuffle_module


def test_docstring_examples():
    result = doctest.testmod(pixelshuffle_module)
    assert result.attempted > 0 and result.failed == 0


def test_round_trip():
    x = minidl.randn(2, 3, 4, 6)
    y = nn.PixelUnshuffle(2)(x)
    assert y.shape == (2, 12, 2, 3)
    np.testing.assert_array_equal(nn.PixelShuffle(2)(y).numpy(), x.numpy())


def test_pytorch_reprs():
    torch = pytest.importorskip("torch")
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    assert repr(nn.PixelUnshuffle(2)) == repr(torch.nn.PixelUnshuffle(2))
