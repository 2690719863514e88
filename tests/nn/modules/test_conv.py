"""Conv1d/2d/3d and ConvTranspose1d/2d/3d layers: parameters, init, printout, padding modes, errors."""
import doctest
import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.autograd import gradcheck
from minidl.nn.functional.conv import conv2d_reference, conv_transpose2d_reference
from minidl.nn.functional.conv_nd import conv_nd_reference, conv_transpose_nd_reference
from minidl.nn.modules import conv as conv_module


def test_docstring_examples():
    result = doctest.testmod(conv_module)
    assert result.attempted > 0 and result.failed == 0


def test_conv2d_parameters_and_default_init():
    conv = nn.Conv2d(6, 8, (3, 5), groups=2)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(3 * 3 * 5)          # fan_in = C/groups * KH * KW
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound     # uniform over the whole range, not a narrower one
    minidl.manual_seed(3)
    first = nn.Conv2d(2, 2, 3).weight.numpy().copy()
    minidl.manual_seed(3)
    np.testing.assert_array_equal(nn.Conv2d(2, 2, 3).weight.numpy(), first)


def test_conv2d_forward_matches_reference_and_trains():
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1, dtype=minidl.float64)
    x = minidl.randn(2, 3, 7, 7, dtype=minidl.float64)
    y = conv(x)
    ref = conv2d_reference(x.numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                           2, 1)
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    y.sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape and conv.bias.grad.shape == (4,)


def test_conv2d_repr_like_pytorch():
    assert repr(nn.Conv2d(3, 64, 3)) == "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)) == (
        "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")
    assert repr(nn.Conv2d(4, 4, 3, dilation=2, groups=4, padding="same",
                          padding_mode="reflect")) == (
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), "
        "groups=4, padding_mode=reflect)")


def test_conv2d_error_names_the_layer():
    with pytest.raises(ValueError) as e:
        nn.Conv2d(3, 64, 3)(minidl.randn(8, 1, 32, 32))
    assert str(e.value) == ("Conv2d(3, 64, kernel_size=(3, 3)): expected input of shape "
                            "(N, 3, H, W), got (8, 1, 32, 32)")
    with pytest.raises(ValueError, match=r"or \(3, H, W\), got \(32, 32\)"):
        nn.Conv2d(3, 64, 3)(minidl.randn(32, 32))
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: out_channels \(5\) must be divisible"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_padding_modes(mode, np_mode, padding):
    conv = nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode, dtype=minidl.float64)
    x = minidl.randn(2, 2, 5, 6, dtype=minidl.float64)
    if padding == "same":   # kernel width 4: one column more on the right
        pads = ((1, 1), (1, 2))
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        pads = ((ph, ph), (pw, pw))
    xpad = np.pad(x.numpy(), ((0, 0), (0, 0)) + pads, mode=np_mode)
    ref = conv2d_reference(xpad, conv.weight.detach().numpy(), conv.bias.detach().numpy())
    np.testing.assert_allclose(conv(x).detach().numpy(), ref, atol=1e-12)
    xs = minidl.randn(1, 2, 4, 4, dtype=minidl.float64, requires_grad=True)
    assert gradcheck(lambda t: conv(t), [xs])


def test_unbatched_input():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = minidl.randn(2, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), conv(x[None]).detach().numpy()[0],
                               atol=1e-6)


def test_conv_transpose2d_layer():
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, dtype=minidl.float64)
    assert up.weight.shape == (4, 3, 3, 3) and up.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 3)     # PyTorch's fan_in: weight.shape[1] * KH * KW
    assert np.abs(up.weight.numpy()).max() <= bound and np.abs(up.bias.numpy()).max() <= bound
    x = minidl.randn(2, 4, 4, 5, dtype=minidl.float64)
    y = up(x, output_size=(8, 10))
    assert y.shape == (2, 6, 8, 10)
    ref = conv_transpose2d_reference(x.numpy(), up.weight.detach().numpy(),
                                     up.bias.detach().numpy(), 2, 1, 1, 2)
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    assert up(x).shape == (2, 6, 7, 9)
    assert up(x, output_size=[2, 6, 7, 10]).shape == (2, 6, 7, 10)
    with pytest.raises(ValueError, match=r"requested an output size of \(9, 9\), but valid sizes "
                                         r"range from 7 to 8"):
        up(x, output_size=(9, 9))
    assert repr(up) == ("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), "
                        "padding=(1, 1), groups=2)")
    assert "output_padding=(1, 1)" in repr(nn.ConvTranspose2d(2, 2, 3, 2, output_padding=1))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4, 6, kernel_size=\(3, 3\)\): "
                                         r"expected input of shape \(N, 4, H, W\)"):
        up(minidl.randn(1, 6, 3, 3, dtype=minidl.float64))
    with pytest.raises(ValueError, match="only padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


def test_state_dict_round_trip():
    a, b = nn.Conv2d(2, 3, 3), nn.Conv2d(2, 3, 3)
    b.load_state_dict(a.state_dict())
    x = minidl.randn(1, 2, 5, 5)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert list(nn.Conv2d(2, 3, 3, bias=False).state_dict()) == ["weight"]


def test_pytorch_parity_of_layer_init_shapes_and_output():
    torch = pytest.importorskip("torch")
    t = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=True).double()
    m = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, dtype=minidl.float64)
    assert repr(m) == repr(t)
    m.weight._array[...] = t.weight.detach().numpy()
    m.bias._array[...] = t.bias.detach().numpy()
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 9))
    np.testing.assert_allclose(m(minidl.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), atol=1e-12)
    assert repr(nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2)) == repr(
        torch.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2))


# ------------------------------------------------------------ 1-D and 3-D layers
@pytest.mark.parametrize("s", [1, 3])
def test_conv_nd_layers_init_forward_and_printout(s):
    cls = {1: nn.Conv1d, 3: nn.Conv3d}[s]
    conv = cls(4, 6, 3, stride=2, padding=1, groups=2, dtype=minidl.float64)
    assert conv.weight.shape == (6, 2) + (3,) * s and conv.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 ** s)           # fan_in = C/groups * prod(kernel)
    assert np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    x = minidl.randn(2, 4, *(5,) * s, dtype=minidl.float64)
    ref = conv_nd_reference(x.numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                            2, 1, groups=2)
    np.testing.assert_allclose(conv(x).detach().numpy(), ref, atol=1e-12)
    assert conv(x[0]).shape == ref.shape[1:]
    three = ", ".join(["3"] * s) + ("," if s == 1 else "")
    two, one = three.replace("3", "2"), three.replace("3", "1")
    assert repr(conv) == (f"{cls.__name__}(4, 6, kernel_size=({three}), stride=({two}), "
                          f"padding=({one}), groups=2)")
    spatial = {1: "L", 3: "D, H, W"}[s]
    with pytest.raises(ValueError, match=rf"expected input of shape \(N, 4, {spatial}\)"):
        conv(minidl.randn(2, 3, *(5,) * s, dtype=minidl.float64))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        cls(4, 4, 3, stride=2, padding="same")
    with pytest.raises(TypeError, match=f"kernel_size must be an int or a tuple of {s} ints"):
        cls(4, 4, (3, 3))


@pytest.mark.parametrize("s", [1, 3])
@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_conv_nd_padding_modes(s, mode, np_mode):
    cls = {1: nn.Conv1d, 3: nn.Conv3d}[s]
    conv = cls(2, 3, 2, padding="same", padding_mode=mode, dtype=minidl.float64)
    x = minidl.randn(1, 2, *(4,) * s, dtype=minidl.float64)
    xpad = np.pad(x.numpy(), ((0, 0), (0, 0)) + ((0, 1),) * s, mode=np_mode)  # same, kernel 2
    ref = conv_nd_reference(xpad, conv.weight.detach().numpy(), conv.bias.detach().numpy())
    np.testing.assert_allclose(conv(x).detach().numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("s", [1, 3])
def test_conv_transpose_nd_layers(s):
    cls = {1: nn.ConvTranspose1d, 3: nn.ConvTranspose3d}[s]
    up = cls(4, 6, 3, stride=2, padding=1, groups=2, dtype=minidl.float64)
    assert up.weight.shape == (4, 3) + (3,) * s
    x = minidl.randn(1, 4, *(3,) * s, dtype=minidl.float64)
    y = up(x, output_size=(6,) * s)
    ref = conv_transpose_nd_reference(x.numpy(), up.weight.detach().numpy(),
                                      up.bias.detach().numpy(), 2, 1, 1, 2)
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    assert up(x).shape == (1, 6) + (5,) * s
    with pytest.raises(ValueError, match="requested an output size"):
        up(x, output_size=(8,) * s)
    with pytest.raises(ValueError, match="only padding_mode='zeros'"):
        cls(2, 2, 3, padding_mode="reflect")


@pytest.mark.parametrize("s", [1, 3])
def test_pytorch_parity_of_nd_layers(s):
    torch = pytest.importorskip("torch")
    for name, kwargs in (("Conv", dict(stride=2, padding=1, groups=2)),
                         ("ConvTranspose", dict(stride=2, padding=1, output_padding=1))):
        t = getattr(torch.nn, f"{name}{s}d")(4, 6, 3, **kwargs).double()
        m = getattr(nn, f"{name}{s}d")(4, 6, 3, **kwargs, dtype=minidl.float64)
        assert repr(m) == repr(t)
        m.load_state_dict({k: minidl.tensor(v.detach().numpy()) for k, v in
                           t.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((2, 4) + (5,) * s)
        np.testing.assert_allclose(m(minidl.tensor(x)).detach().numpy(),
                                   t(torch.tensor(x)).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("algorithm", ["im2col", "auto"])
def test_no_output_channels_or_no_samples(algorithm):
    import minidl.nn.functional as F
    with F.conv_algorithm(algorithm):
        for out_channels, n in ((0, 2), (4, 0)):
            conv = nn.Conv2d(3, out_channels, 3)
            x = minidl.zeros(n, 3, 5, 5, requires_grad=True)
            y = conv(x)
            assert y.shape == (n, out_channels, 3, 3)
            y.sum().backward()
            assert x.grad.shape == x.shape and conv.weight.grad.shape == conv.weight.shape
