"""Upsample, UpsamplingNearest2d/Bilinear2d, PixelShuffle/Unshuffle and the padding layers."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.autograd import gradcheck
import minidl.nn.modules.sampling as modules_sampling_module


def test_docstring_examples():
    result = doctest.testmod(modules_sampling_module)
    assert result.attempted > 0 and result.failed == 0


@given(st.sampled_from(["nearest", "bilinear"]), st.sampled_from([1.5, 2.0, 3.0]),
       st.integers(1, 4), st.integers(1, 4))
def test_upsample_is_interpolate(mode, factor, h, w):
    x = minidl.randn(2, 3, h, w)
    np.testing.assert_array_equal(nn.Upsample(scale_factor=factor, mode=mode)(x)._array,
                                  F.interpolate(x, scale_factor=factor, mode=mode)._array)
    np.testing.assert_array_equal(nn.Upsample(size=(5, 2), mode=mode)(x)._array,
                                  F.interpolate(x, size=(5, 2), mode=mode)._array)


def test_fixed_upsampling_layers():
    x = minidl.tensor([[[[0.0, 3.0], [6.0, 9.0]]]])
    corners = nn.UpsamplingBilinear2d(scale_factor=2)(x)
    np.testing.assert_allclose(corners._array[0, 0, 0], [0.0, 1.0, 2.0, 3.0], atol=1e-6)
    np.testing.assert_allclose(corners._array[0, 0, :, 0], [0.0, 2.0, 4.0, 6.0], atol=1e-6)
    assert nn.UpsamplingNearest2d(size=4)(x).tolist()[0][0][0] == [0.0, 0.0, 3.0, 3.0]
    assert repr(nn.Upsample(scale_factor=2, mode="nearest")) == \
        "Upsample(scale_factor=2.0, mode='nearest')"


def test_pixel_shuffle_layers_round_trip_and_gradcheck():
    x = minidl.randn(2, 8, 3, 2, dtype=minidl.float64, requires_grad=True)
    shuffled = nn.PixelShuffle(2)(x)
    assert shuffled.shape == (2, 2, 6, 4)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(shuffled)._array, x._array)
    gradcheck(nn.PixelShuffle(2), [x])
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"


PAD_LAYERS = [
    (nn.ZeroPad2d, "constant", 2), (nn.ConstantPad1d, "constant", 1),
    (nn.ConstantPad2d, "constant", 2), (nn.ReflectionPad1d, "reflect", 1),
    (nn.ReflectionPad2d, "reflect", 2), (nn.ReplicationPad1d, "edge", 1),
    (nn.ReplicationPad2d, "edge", 2), (nn.CircularPad1d, "wrap", 1),
    (nn.CircularPad2d, "wrap", 2), (nn.ZeroPad1d, "constant", 1),
]


@pytest.mark.parametrize("layer,numpy_mode,dims", PAD_LAYERS)
def test_padding_layers_match_numpy(layer, numpy_mode, dims):
    rng = np.random.default_rng(0)
    shape = (2, 3, 4) if dims == 1 else (2, 3, 4, 5)
    x = rng.standard_normal(shape)
    amounts = (1, 2) if dims == 1 else (1, 2, 3, 0)
    custom_value = layer.__name__.startswith("Constant")
    pad = layer(amounts, 1.5) if custom_value else layer(amounts)
    widths = [(0, 0)] * (len(shape) - dims) + ([(1, 2)] if dims == 1 else [(3, 0), (1, 2)])
    kwargs = {}
    if numpy_mode == "constant":
        kwargs["constant_values"] = 1.5 if custom_value else 0.0
    np.testing.assert_array_equal(pad(minidl.tensor(x))._array,
                                  np.pad(x, widths, mode=numpy_mode, **kwargs))
    assert layer(1).padding == (1,) * (2 * dims)  # an int pads every side by the same amount


def test_padding_layer_errors_and_repr():
    with pytest.raises(ValueError, match=r"ReflectionPad2d\(\(1, 1, 1, 1\)\): expected input of "
                                         r"shape \(C, H, W\) or \(N, C, H, W\)"):
        nn.ReflectionPad2d(1)(minidl.zeros(3, 4))
    with pytest.raises(ValueError, match="expected padding as an int or a tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    assert repr(nn.ReflectionPad2d(1)) == "ReflectionPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
