"""conv2d and conv_transpose2d: values against the loop references, gradients, errors."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import conv as conv_module
from minidl.nn.functional.conv import conv2d_reference, conv_transpose2d_reference
from tests.strategies import examples, conv2d_geometries

seeds = st.integers(0, 2**31 - 1)


def _arrays(geom, seed, transpose=False):
    """Random float64 x, w, b for a drawn geometry.

    With ``transpose``, for conv_transpose2d: the conv's weight (O, C/groups, KH, KW) read
    as (C_in, C_out/groups, KH, KW), so x has O channels and b has C_out = C entries.
    """
    rng = np.random.default_rng(seed)
    n, c, h, w_ = geom["x"]
    o, cg = geom["w"][:2]
    x = rng.standard_normal((n, o, h, w_) if transpose else (n, c, h, w_))
    w = rng.standard_normal(geom["w"])
    b = rng.standard_normal(cg * geom["groups"] if transpose else o)
    return x, w, b


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


def _kwargs(geom):
    return {k: geom[k] for k in ("stride", "padding", "dilation", "groups")}


def test_docstring_examples():
    result = doctest.testmod(conv_module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ conv2d
@given(geom=conv2d_geometries(), seed=seeds, use_bias=st.booleans())
@examples(50)
def test_conv2d_matches_reference(geom, seed, use_bias, device):
    x, w, b = _arrays(geom, seed)
    b = b if use_bias else None
    y = F.conv2d(_t(x, False, device=device), _t(w, False, device=device),
                 None if b is None else _t(b, False, device=device), **_kwargs(geom))
    np.testing.assert_allclose(y.numpy(), conv2d_reference(x, w, b, **_kwargs(geom)),
                               rtol=1e-10, atol=1e-10)


@given(geom=conv2d_geometries(), seed=seeds)
@examples(40)
def test_conv2d_gradcheck(geom, seed, device):
    x, w, b = _arrays(geom, seed)
    kw = _kwargs(geom)
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw),
                     [_t(x, device=device), _t(w, device=device), _t(b, device=device)])


@given(geom=conv2d_geometries(), seed=seeds)
@examples(25)
def test_conv2d_is_the_adjoint_of_conv_transpose2d(geom, seed):
    """<conv2d(x, W), y> == <x, conv_transpose2d(y, W)>: the two are transposes of each other."""
    x, w, _ = _arrays(geom, seed)
    kw = _kwargs(geom)
    y = F.conv2d(_t(x, False), _t(w, False), **kw).numpy()
    dy = np.random.default_rng(seed + 1).standard_normal(y.shape)
    # the output_padding that maps back to x's size exactly
    oh = [(o - 1) * s - 2 * p + d * (k - 1) + 1 for o, s, p, d, k in
          zip(y.shape[2:], kw["stride"], kw["padding"], kw["dilation"], geom["w"][2:])]
    out_pad = tuple(n - o for n, o in zip(geom["x"][2:], oh))
    if any(op >= max(s, d) for op, s, d in zip(out_pad, kw["stride"], kw["dilation"])):
        return  # rows that no window reads: no conv_transpose2d reaches that size
    back = F.conv_transpose2d(_t(dy, False), _t(w, False), None, kw["stride"], kw["padding"],
                              out_pad, kw["groups"], kw["dilation"]).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose((y * dy).sum(), (x * back).sum(), rtol=1e-9)


def test_conv2d_chain_gradcheck():
    """Two convs in a row: the second's backward must not disturb the first's buffers."""
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((2, 2, 5, 5)))
    w1 = _t(rng.standard_normal((3, 2, 3, 3)))
    w2 = _t(rng.standard_normal((2, 3, 2, 2)))
    assert gradcheck(lambda a, b, c: F.conv2d(F.conv2d(a, b, padding=1), c, stride=2),
                     [x, w1, w2])


@pytest.mark.parametrize("kw", [
    dict(stride=1, padding=1, dilation=1, groups=1),      # rotated-kernel convolution
    dict(stride=1, padding=2, dilation=2, groups=2),      # the same, dilated and grouped
    dict(stride=1, padding=(2, 0), dilation=1, groups=3),  # more padding than kernel: col2im
    dict(stride=(2, 1), padding=1, dilation=1, groups=1),  # strided: col2im
    dict(stride=3, padding=0, dilation=2, groups=3),
])
def test_both_input_gradient_paths(kw):
    rng = np.random.default_rng(9)
    x = _t(rng.standard_normal((1, 6, 6, 5)))
    w = _t(rng.standard_normal((6, 6 // kw["groups"], 3, 2)))
    assert gradcheck(lambda a, c: F.conv2d(a, c, **kw), [x, w])


@pytest.mark.parametrize("kernel,dilation", [(3, 1), (4, 1), (2, 3), ((2, 5), (2, 1)), (1, 1)])
def test_padding_same_keeps_size_and_pads_extra_at_bottom_right(kernel, dilation):
    rng = np.random.default_rng(3)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, kh, kw))
    y = F.conv2d(_t(x, False), _t(w, False), padding="same", dilation=dilation).numpy()
    assert y.shape == (2, 4, 6, 7)
    th, tw = dh * (kh - 1), dw * (kw - 1)
    pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    np.testing.assert_allclose(y, conv2d_reference(x, w, None, 1, pads, dilation), atol=1e-12)
    np.testing.assert_allclose(y, conv2d_reference(x, w, None, 1, "same", dilation), atol=1e-12)
    assert gradcheck(lambda a, b: F.conv2d(a, b, padding="same", dilation=dilation),
                     [_t(x[:1, :, :4, :5]), _t(w)])


def test_padding_valid_is_no_padding():
    rng = np.random.default_rng(4)
    x = _t(rng.standard_normal((1, 2, 5, 5)), False)
    w = _t(rng.standard_normal((3, 2, 3, 3)), False)
    np.testing.assert_array_equal(F.conv2d(x, w, padding="valid").numpy(),
                                  F.conv2d(x, w, padding=0).numpy())


def test_unbatched_input_matches_batched():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 2, 3, 2))
    b = rng.standard_normal(3)
    y = F.conv2d(_t(x, False), _t(w, False), _t(b, False), padding=1)
    assert y.shape == (3, 5, 5)
    np.testing.assert_allclose(y.numpy(), conv2d_reference(x[None], w, b, padding=1)[0], atol=1e-12)
    assert gradcheck(lambda a, c: F.conv2d(a, c, padding=1), [_t(x), _t(w)])
    yt = F.conv_transpose2d(_t(x, False), _t(rng.standard_normal((2, 3, 2, 2)), False), stride=2)
    assert yt.shape == (3, 10, 8)


def test_float32_stays_float32_and_partial_grads():
    x = minidl.randn(2, 3, 6, 6, requires_grad=True)
    w = minidl.randn(4, 3, 3, 3)
    b = minidl.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == minidl.float32
    y.sum().backward()
    assert x.grad.dtype == minidl.float32 and w.grad is None
    assert b.grad.dtype == minidl.float32
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * 36.0))
    y2 = F.conv_transpose2d(minidl.randn(1, 3, 4, 4), minidl.randn(3, 2, 3, 3), stride=2)
    assert y2.dtype == minidl.float32


def test_matches_reference_in_float32():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    y = F.conv2d(minidl.tensor(x), minidl.tensor(w), stride=2, padding=1, groups=2)
    ref = conv2d_reference(x.astype(np.float64), w, None, 2, 1, 1, 2)
    np.testing.assert_allclose(y.numpy(), ref,
                               rtol=1e-4, atol=1e-4)


def test_no_grad_forward_records_nothing():
    x = minidl.randn(1, 2, 5, 5, requires_grad=True)
    with minidl.no_grad():
        y = F.conv2d(x, minidl.randn(3, 2, 3, 3))
    assert y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize("stride", [1, 2])
def test_empty_batch(stride):
    x = minidl.randn(0, 4, 7, 7, requires_grad=True)
    w = minidl.randn(4, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, stride=stride, padding=1, groups=2)
    assert y.shape == (0, 4, 7 if stride == 1 else 4, 7 if stride == 1 else 4)
    y.sum().backward()
    assert x.grad.shape == x.shape and (w.grad.numpy() == 0).all()
    t = F.conv_transpose2d(x, w, stride=stride, groups=2)
    assert t.shape[:2] == (0, 4)
    t.sum().backward()
    assert F.max_pool2d(x, 3, 2, 1).shape == (0, 4, 4, 4)


# ----------------------------------------------------------- conv_transpose2d
@given(geom=conv2d_geometries(max_side=5), seed=seeds, use_bias=st.booleans(), data=st.data())
@examples(40)
def test_conv_transpose2d_matches_reference(geom, seed, use_bias, data, device):
    x, w, b = _arrays(geom, seed, transpose=True)
    kw = _kwargs(geom)
    out_pad = tuple(data.draw(st.integers(0, max(s, d) - 1))
                    for s, d in zip(kw["stride"], kw["dilation"]))
    size = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
            zip(x.shape[2:], kw["stride"], kw["padding"], kw["dilation"], w.shape[2:], out_pad)]
    if min(size) < 1:
        with pytest.raises(ValueError, match="conv_transpose2d: the output size"):
            F.conv_transpose2d(_t(x, False, device=device), _t(w, False, device=device), None,
                               kw["stride"], kw["padding"],
                               out_pad, kw["groups"], kw["dilation"])
        return
    b = b if use_bias else None
    y = F.conv_transpose2d(_t(x, False, device=device), _t(w, False, device=device),
                           None if b is None else _t(b, False, device=device),
                           kw["stride"], kw["padding"], out_pad, kw["groups"], kw["dilation"])
    ref = conv_transpose2d_reference(x, w, b, kw["stride"], kw["padding"], out_pad, kw["groups"],
                                     kw["dilation"])
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)


@given(geom=conv2d_geometries(max_side=4), seed=seeds)
@examples(30)
def test_conv_transpose2d_gradcheck(geom, seed, device):
    x, w, b = _arrays(geom, seed, transpose=True)
    kw = _kwargs(geom)
    size = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in
            zip(x.shape[2:], kw["stride"], kw["padding"], kw["dilation"], w.shape[2:])]
    if min(size) < 1:
        return
    assert gradcheck(
        lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, kw["stride"], kw["padding"], 0,
                                              kw["groups"], kw["dilation"]),
        [_t(x, device=device), _t(w, device=device), _t(b, device=device)])


def test_conv_transpose2d_is_conv2d_input_gradient():
    rng = np.random.default_rng(7)
    x = _t(rng.standard_normal((2, 4, 7, 7)))
    w = rng.standard_normal((6, 2, 3, 3))
    y = F.conv2d(x, _t(w, False), stride=2, padding=1, groups=2)
    dy = rng.standard_normal(y.shape)
    y.backward(minidl.tensor(dy, dtype=minidl.float64))
    back = F.conv_transpose2d(_t(dy, False), _t(w, False), stride=2, padding=1, groups=2)
    np.testing.assert_allclose(back.numpy(), x.grad.numpy(), atol=1e-12)


# ------------------------------------------------------------------- errors
def test_errors_name_the_op_and_what_was_expected():
    x = minidl.randn(2, 5, 8, 8)
    with pytest.raises(ValueError) as e:
        F.conv2d(x, minidl.randn(4, 3, 3, 3), groups=2)
    assert str(e.value) == ("conv2d: expected input with 6 channels (weight (4, 3, 3, 3) with "
                            "groups=2), got 5")
    with pytest.raises(ValueError, match=r"conv2d: expected a 3-D \(C, H, W\) or 4-D"):
        F.conv2d(minidl.randn(8, 8), minidl.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match="conv2d: expected a 4-D weight"):
        F.conv2d(x, minidl.randn(4, 5, 3))
    with pytest.raises(ValueError) as e:
        F.conv2d(minidl.randn(1, 1, 4, 4), minidl.randn(1, 1, 5, 5))
    assert str(e.value) == ("conv2d: kernel size (5, 5) (dilated (5, 5)) is larger than the "
                            "padded input (4, 4)")
    with pytest.raises(ValueError, match=r"dilated \(5, 5\)"):
        F.conv2d(minidl.randn(1, 1, 4, 4), minidl.randn(1, 1, 3, 3), dilation=2)
    with pytest.raises(ValueError, match="groups=2 must divide the output channels"):
        F.conv2d(minidl.randn(1, 4, 5, 5), minidl.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="expected input with 6 channels"):
        F.conv2d(minidl.randn(1, 4, 5, 5), minidl.randn(3, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be an int, a pair, 'same' or 'valid'"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3), padding="full")
    with pytest.raises(ValueError, match=r"conv2d: expected a bias of shape \(4,\)"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3), minidl.randn(3))
    with pytest.raises(TypeError, match="same dtype"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3, dtype=minidl.float64))
    with pytest.raises(ValueError, match="stride must be positive"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3), stride=0)
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        F.conv2d(x, minidl.randn(4, 5, 3, 3), stride=(1, 2, 3))


def test_conv_transpose2d_errors():
    x = minidl.randn(1, 4, 5, 5)
    with pytest.raises(ValueError, match="output_padding must be smaller than either stride"):
        F.conv_transpose2d(x, minidl.randn(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError,
                       match=r"expected input with 3 channels \(weight \(3, 2, 3, 3\)\), got 4"):
        F.conv_transpose2d(x, minidl.randn(3, 2, 3, 3))
    with pytest.raises(ValueError, match="groups=3 must divide the input channels"):
        F.conv_transpose2d(x, minidl.randn(4, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="output size"):
        F.conv_transpose2d(minidl.randn(1, 4, 1, 1), minidl.randn(4, 2, 1, 1), padding=1)


# --------------------------------------------------------------- PyTorch parity
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pytorch_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    cases = [dict(stride=2, padding=1, dilation=1, groups=1), dict(stride=1, padding=2,
             dilation=2, groups=2), dict(stride=(1, 2), padding="same", dilation=1, groups=4)]
    for kw in cases:
        if kw["padding"] == "same":
            kw = dict(kw, stride=1)
        x = rng.standard_normal((2, 4, 7, 6))
        w = rng.standard_normal((4, 4 // kw["groups"], 3, 2))
        b = rng.standard_normal(4)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
        mx, mw, mb = _t(x), _t(w), _t(b)
        my = F.conv2d(mx, mw, mb, **kw)
        np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-10)
        gy = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(gy))
        my.backward(minidl.tensor(gy, dtype=minidl.float64))
        for m, t in ((mx, tx), (mw, tw), (mb, tb)):
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10)
    x = rng.standard_normal((2, 4, 5, 4))
    w = rng.standard_normal((4, 3, 3, 3))
    ty = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), None, 2, 1, 1, 2, 1)
    my = F.conv_transpose2d(_t(x, False), _t(w, False), None, 2, 1, 1, 2, 1)
    np.testing.assert_allclose(my.numpy(), ty.numpy(), atol=1e-10)


# ------------------------------------------------------------------ memory layout
def _channels_last(a):
    """The same values as a, stored as (N, H, W, C)."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, padding=1), dict(stride=2),
                                dict(padding=2, dilation=2)])
@pytest.mark.parametrize("algorithm", ["im2col", "auto"])
def test_channels_last_and_nchw_inputs_give_the_same_results(kw, algorithm):
    """On the CPU an ungrouped conv computes channels-last: any input layout, same numbers,
    and the output (and dL/dx) come back as (N, O, OH, OW) arrays stored channels-last."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 16, 9, 9)), rng.standard_normal((16, 16, 3, 3))
    dy = None
    results = []
    for layout in (lambda a: a, _channels_last):
        xt, wt = minidl.from_numpy(layout(x)).requires_grad_(), _t(w)  # keeps the layout
        with F.conv_algorithm(algorithm):
            y = F.conv2d(xt, wt, **kw)
            if dy is None:
                dy = rng.standard_normal(y.shape)
            y.backward(minidl.from_numpy(layout(dy)))
        assert y._array.transpose(0, 2, 3, 1).flags.c_contiguous     # channels-last output
        results.append((y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()))
    expected = conv2d_reference(x, w, None, **kw)
    for (y, gx, gw), (y2, gx2, gw2) in [results]:
        np.testing.assert_allclose(y, expected, atol=1e-10)
        np.testing.assert_allclose(y, y2, atol=1e-12)
        np.testing.assert_allclose(gx, gx2, atol=1e-12)
        np.testing.assert_allclose(gw, gw2, atol=1e-12)


def test_grouped_convolutions_keep_the_nchw_layout():
    rng = np.random.default_rng(6)
    y = F.conv2d(_t(rng.standard_normal((2, 4, 6, 6)), False),
                 _t(rng.standard_normal((4, 2, 3, 3)), False), groups=2)
    assert y._array.flags.c_contiguous
