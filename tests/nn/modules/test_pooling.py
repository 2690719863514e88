"""Pooling layers: they call the functional ops with their settings and print like PyTorch."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.nn.modules import pooling as pooling_module


def test_docstring_examples():
    result = doctest.testmod(pooling_module)
    assert result.attempted > 0 and result.failed == 0


def test_layers_match_functional_ops():
    x = minidl.randn(2, 3, 9, 8)
    cases = [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
        (nn.MaxPool2d((2, 3), dilation=(1, 2)), F.max_pool2d(x, (2, 3), dilation=(1, 2))),
        (nn.AvgPool2d(3, 2, 1, count_include_pad=False), F.avg_pool2d(x, 3, 2, 1,
                                                                      count_include_pad=False)),
        (nn.AvgPool2d(2, divisor_override=3), F.avg_pool2d(x, 2, divisor_override=3)),
        (nn.AdaptiveAvgPool2d((4, None)), F.adaptive_avg_pool2d(x, (4, None))),
        (nn.AdaptiveMaxPool2d(5), F.adaptive_max_pool2d(x, 5)),
    ]
    for layer, expected in cases:
        np.testing.assert_array_equal(layer(x).numpy(), expected.numpy())
        assert list(layer.parameters()) == []


def test_return_indices():
    x = minidl.randn(1, 2, 6, 6)
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert y.shape == idx.shape == (1, 2, 3, 3)
    y, idx = nn.AdaptiveMaxPool2d(4, return_indices=True)(x)
    assert idx.shape == (1, 2, 4, 4)


def test_gradients_flow():
    x = minidl.randn(2, 3, 8, 8, requires_grad=True)
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1))
    model(x).sum().backward()
    assert x.grad.shape == x.shape
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(2, 3)), np.full((2, 3), 1.0), rtol=1e-6)


def test_repr_like_pytorch():
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.MaxPool2d(3, 2, 1)) == (
        "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveMaxPool2d(7)) == "AdaptiveMaxPool2d(output_size=7)"


def test_pytorch_reprs():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(3, 1), torch.nn.AvgPool2d(3, 1)),
        (nn.AdaptiveAvgPool2d((2, None)), torch.nn.AdaptiveAvgPool2d((2, None))),
        (nn.AdaptiveMaxPool2d(3), torch.nn.AdaptiveMaxPool2d(3)),
    ]:
        assert repr(ours) == repr(theirs)
