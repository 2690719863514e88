"""conv1d, conv3d and their transposes: values against the loop references, gradients,
errors and PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import conv_nd as conv_nd_module
from minidl.nn.functional.conv_nd import conv_nd_reference, conv_transpose_nd_reference
from tests.strategies import examples, convnd_geometries

seeds = st.integers(0, 2**31 - 1)
CONV = {1: F.conv1d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 3: F.conv_transpose3d}
# 1-D geometries can afford longer signals and kernels than 3-D ones
GEOMETRIES = {1: dict(max_side=7, max_kernel=3, max_channels=4, max_stride=3, max_padding=2),
              3: dict()}


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def _kwargs(geom):
    return {k: geom[k] for k in ("stride", "padding", "dilation", "groups")}


def _arrays(geom, seed, transpose=False):
    """float64 x, w, b; with ``transpose`` the weight is read as (C_in, C_out/G, *K)."""
    rng = np.random.default_rng(seed)
    n, c, *size = geom["x"]
    o, cg = geom["w"][:2]
    x = rng.standard_normal((n, o, *size) if transpose else (n, c, *size))
    w = rng.standard_normal(geom["w"])
    b = rng.standard_normal(cg * geom["groups"] if transpose else o)
    return x, w, b


def _transpose_size(x, w, kw, out_pad):
    return [(n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
            zip(x.shape[2:], kw["stride"], kw["padding"], kw["dilation"], w.shape[2:], out_pad)]


def test_docstring_examples():
    result = doctest.testmod(conv_nd_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds, use_bias=st.booleans())
@examples(12)
def test_conv_matches_reference(s, data, seed, use_bias, device):
    geom = data.draw(convnd_geometries(s, **GEOMETRIES[s]))
    x, w, b = _arrays(geom, seed)
    b = b if use_bias else None
    y = CONV[s](_t(x, False, device), _t(w, False, device),
                None if b is None else _t(b, False, device), **_kwargs(geom))
    np.testing.assert_allclose(y.numpy(), conv_nd_reference(x, w, b, **_kwargs(geom)),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds)
@examples(8)
def test_conv_gradcheck(s, data, seed, device):
    geom = data.draw(convnd_geometries(s, **GEOMETRIES[s]))
    x, w, b = _arrays(geom, seed)
    kw = _kwargs(geom)
    assert gradcheck(lambda x_, w_, b_: CONV[s](x_, w_, b_, **kw),
                     [_t(x, device=device), _t(w, device=device), _t(b, device=device)])


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds, use_bias=st.booleans())
@examples(12)
def test_conv_transpose_matches_reference(s, data, seed, use_bias, device):
    geom = data.draw(convnd_geometries(s, **GEOMETRIES[s]))
    x, w, b = _arrays(geom, seed, transpose=True)
    kw = _kwargs(geom)
    out_pad = tuple(data.draw(st.integers(0, max(z, r) - 1))
                    for z, r in zip(kw["stride"], kw["dilation"]))
    args = (kw["stride"], kw["padding"], out_pad, kw["groups"], kw["dilation"])
    if min(_transpose_size(x, w, kw, out_pad)) < 1:
        with pytest.raises(ValueError, match="the output size"):
            CONV_T[s](_t(x, False, device), _t(w, False, device), None, *args)
        return
    b = b if use_bias else None
    y = CONV_T[s](_t(x, False, device), _t(w, False, device),
                  None if b is None else _t(b, False, device), *args)
    np.testing.assert_allclose(y.numpy(), conv_transpose_nd_reference(x, w, b, *args),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("s", [1, 3])
@given(data=st.data(), seed=seeds)
@examples(8)
def test_conv_transpose_gradcheck(s, data, seed, device):
    geom = data.draw(convnd_geometries(s, **GEOMETRIES[s]))
    x, w, b = _arrays(geom, seed, transpose=True)
    kw = _kwargs(geom)
    out_pad = tuple(data.draw(st.integers(0, max(z, r) - 1))
                    for z, r in zip(kw["stride"], kw["dilation"]))
    if min(_transpose_size(x, w, kw, out_pad)) < 1:
        return
    args = (kw["stride"], kw["padding"], out_pad, kw["groups"], kw["dilation"])
    assert gradcheck(lambda x_, w_, b_: CONV_T[s](x_, w_, b_, *args),
                     [_t(x, device=device), _t(w, device=device), _t(b, device=device)])


@pytest.mark.parametrize("s", [1, 3])
def test_conv_transpose_is_the_conv_input_gradient(s):
    rng = np.random.default_rng(7)
    x = _t(rng.standard_normal((2, 4) + (5,) * s))
    w = rng.standard_normal((6, 2) + (3,) * s)
    y = CONV[s](x, _t(w, False), stride=2, padding=1, groups=2)
    dy = rng.standard_normal(y.shape)
    y.backward(minidl.tensor(dy, dtype=minidl.float64))
    back = CONV_T[s](_t(dy, False), _t(w, False), stride=2, padding=1, groups=2)
    np.testing.assert_allclose(back.numpy(), x.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("s", [1, 3])
@pytest.mark.parametrize("kernel,dilation", [(3, 1), (2, 1), (2, 3), (1, 1)])
def test_padding_same_and_valid(s, kernel, dilation):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2) + (5,) * s), rng.standard_normal((3, 2) + (kernel,) * s)
    y = CONV[s](_t(x, False), _t(w, False), padding="same", dilation=dilation).numpy()
    assert y.shape == (1, 3) + (5,) * s
    np.testing.assert_allclose(y, conv_nd_reference(x, w, padding="same", dilation=dilation),
                               atol=1e-12)
    valid = CONV[s](_t(x, False), _t(w, False), padding="valid", dilation=dilation).numpy()
    np.testing.assert_allclose(valid, conv_nd_reference(x, w, dilation=dilation), atol=1e-12)


@pytest.mark.parametrize("s", [1, 3])
def test_unbatched_input_and_float32(s):
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal((3,) + (4,) * s), rng.standard_normal((2, 3) + (2,) * s),
               rng.standard_normal(2))
    y = CONV[s](minidl.tensor(x, dtype=minidl.float32), minidl.tensor(w, dtype=minidl.float32),
                minidl.tensor(b, dtype=minidl.float32), padding=1)
    assert y.dtype == minidl.float32 and y.shape == (2,) + (5,) * s
    np.testing.assert_allclose(y.numpy(), conv_nd_reference(x, w, b, padding=1), rtol=1e-4,
                               atol=1e-5)
    xt = _t(x)
    CONV_T[s](xt, _t(rng.standard_normal((3, 2) + (2,) * s)), stride=2).sum().backward()
    assert xt.grad.shape == x.shape


def test_errors_name_the_op_and_what_was_expected():
    with pytest.raises(ValueError, match=r"conv3d: expected a 4-D \(C, D, H, W\) or 5-D"):
        F.conv3d(minidl.randn(3, 4, 4), minidl.randn(2, 3, 2, 2, 2))
    with pytest.raises(ValueError, match="conv1d: expected a 3-D weight"):
        F.conv1d(minidl.randn(2, 3, 4), minidl.randn(2, 3, 2, 2))
    with pytest.raises(ValueError) as e:
        F.conv3d(minidl.randn(1, 5, 4, 4, 4), minidl.randn(4, 3, 2, 2, 2), groups=2)
    assert str(e.value) == ("conv3d: expected input with 6 channels (weight (4, 3, 2, 2, 2) with "
                            "groups=2), got 5")
    with pytest.raises(ValueError, match=r"conv1d: kernel size \(5,\)"):
        F.conv1d(minidl.randn(1, 1, 4), minidl.randn(1, 1, 5))
    with pytest.raises(ValueError, match="conv3d: padding='same' is not supported for strided"):
        F.conv3d(minidl.randn(1, 1, 4, 4, 4), minidl.randn(1, 1, 2, 2, 2), stride=2,
                 padding="same")
    with pytest.raises(TypeError, match=r"conv3d: stride must be an int or a tuple of 3 ints"):
        F.conv3d(minidl.randn(1, 1, 4, 4, 4), minidl.randn(1, 1, 2, 2, 2), stride=(1, 2))
    with pytest.raises(ValueError, match=r"conv1d: expected a bias of shape \(2,\)"):
        F.conv1d(minidl.randn(1, 1, 4), minidl.randn(2, 1, 2), minidl.randn(3))
    with pytest.raises(TypeError, match="conv3d: input and weight must have the same dtype"):
        F.conv3d(minidl.randn(1, 1, 4, 4, 4), minidl.randn(1, 1, 2, 2, 2, dtype=minidl.float64))
    with pytest.raises(ValueError, match="conv_transpose3d: output_padding must be smaller"):
        F.conv_transpose3d(minidl.randn(1, 2, 3, 3, 3), minidl.randn(2, 1, 2, 2, 2), stride=2,
                           output_padding=2)
    with pytest.raises(ValueError, match="conv_transpose1d: groups=3 must divide"):
        F.conv_transpose1d(minidl.randn(1, 4, 3), minidl.randn(4, 1, 2), groups=3)


# --------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("s", [1, 3])
@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, dilation=1, groups=1),
                                dict(stride=1, padding="same", dilation=2, groups=2),
                                dict(stride=(2,), padding=0, dilation=1, groups=4)])
def test_pytorch_parity(s, kw):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(8)
    if isinstance(kw["stride"], tuple):
        kw = dict(kw, stride=(2, 1, 1)[:s])
    x = rng.standard_normal((2, 4) + (7, 6, 5)[:s])
    w = rng.standard_normal((4, 4 // kw["groups"]) + (3, 2, 2)[:s])
    b = rng.standard_normal(4)
    torch_conv = {1: tf.conv1d, 3: tf.conv3d}[s]
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch_conv(tx, tw, tb, **kw)
    mx, mw, mb = _t(x), _t(w), _t(b)
    my = CONV[s](mx, mw, mb, **kw)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-10)
    gy = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(gy))
    my.backward(minidl.tensor(gy, dtype=minidl.float64))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10)
    if kw["padding"] == "same":
        return
    # the transpose, with output_padding
    torch_t = {1: tf.conv_transpose1d, 3: tf.conv_transpose3d}[s]
    w = rng.standard_normal((4, 3) + (3, 2, 2)[:s])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, rng.standard_normal(6)))
    strides = kw["stride"] if isinstance(kw["stride"], tuple) else (kw["stride"],) * s
    out_pad = tuple(min(1, z - 1) for z in strides)
    args = (kw["stride"], kw["padding"], out_pad, 2, kw["dilation"])
    ty = torch_t(tx, tw, tb, *args)
    mx, mw, mb = _t(x), _t(w), _t(tb.detach().numpy())
    my = CONV_T[s](mx, mw, mb, *args)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-10)
    gy = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(gy))
    my.backward(minidl.tensor(gy, dtype=minidl.float64))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10)
