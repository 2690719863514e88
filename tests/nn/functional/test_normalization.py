"""batch_norm, layer_norm, group_norm, instance_norm: values against NumPy formulas,
gradients against central differences (float64), running statistics, errors, PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.strategies import channel_shapes
import minidl.nn.functional.normalization as functional_normalization_module


def test_docstring_examples():
    result = doctest.testmod(functional_normalization_module)
    assert result.attempted > 0 and result.failed == 0


seeds = st.integers(0, 2**32 - 1)


def values(seed, shape, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def t64(a, requires_grad=True, device=None):
    return minidl.tensor(np.asarray(a, dtype=np.float64), device=device,
                         requires_grad=requires_grad)


# ------------------------------------------------------------ NumPy references
def batch_norm_np(x, mean, var, w, b, eps):
    view = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + eps)
    if w is not None:
        y = y * w.reshape(view)
    if b is not None:
        y = y + b.reshape(view)
    return y


def batch_stats_np(x):
    axes = (0,) + tuple(range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes)


# ------------------------------------------------------------------ batch norm
@given(channel_shapes(), seeds, st.booleans(), st.booleans())
def test_batch_norm_training_forward_matches_numpy(device, shape, seed, affine, with_stats):
    x = values(seed, shape, 2.0, 1.0)
    c = shape[1]
    w, b = (values(seed + 1, c), values(seed + 2, c)) if affine else (None, None)
    rm, rv = values(seed + 3, c), np.abs(values(seed + 4, c)) + 0.5
    stats = ((t64(rm, False, device=device), t64(rv, False, device=device)) if with_stats
             else (None, None))
    y = F.batch_norm(t64(x, device=device), *stats, None if w is None else t64(w, device=device),
                     None if b is None else t64(b, device=device),
                     training=True, momentum=0.2, eps=1e-3)
    mean, var = batch_stats_np(x)
    np.testing.assert_allclose(y.detach().numpy(), batch_norm_np(x, mean, var, w, b, 1e-3),
                               atol=1e-12)


@given(channel_shapes(), seeds)
def test_batch_norm_eval_forward_uses_running_stats(device, shape, seed):
    x = values(seed, shape)
    c = shape[1]
    w, b, rm, rv = values(seed + 1, c), values(seed + 2, c), values(seed + 3, c), \
        np.abs(values(seed + 4, c)) + 0.5
    running = (t64(rm, False, device=device), t64(rv, False, device=device))
    y = F.batch_norm(t64(x, device=device), *running, t64(w, device=device), t64(b, device=device),
                     training=False)
    np.testing.assert_allclose(y.detach().numpy(), batch_norm_np(x, rm, rv, w, b, 1e-5),
                               atol=1e-12)
    # eval never changes the running statistics
    np.testing.assert_array_equal(running[0].detach().numpy(), rm)
    np.testing.assert_array_equal(running[1].detach().numpy(), rv)


@given(channel_shapes(), seeds, st.booleans())
def test_batch_norm_training_gradcheck(device, shape, seed, affine):
    c = shape[1]
    x = t64(values(seed, shape, 1.5, 0.5), device=device)
    w = t64(values(seed + 1, c), device=device) if affine else None
    b = t64(values(seed + 2, c), device=device) if affine else None
    inputs = [x] + ([w, b] if affine else [])
    gradcheck(lambda *a: F.batch_norm(a[0], None, None, *a[1:], training=True, eps=1e-3),
              inputs)


@given(channel_shapes(), seeds)
def test_batch_norm_eval_gradcheck(device, shape, seed):
    c = shape[1]
    x, w, b = t64(values(seed, shape), device=device), t64(values(seed + 1, c),
                                                           device=device), t64(values(seed + 2, c),
                                                                               device=device)
    rm, rv = t64(values(seed + 3, c), False, device=device), t64(np.abs(values(seed + 4, c)) + 0.5,
                                                                 False, device=device)
    gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])


@given(channel_shapes(min_spatial=1), seeds)
def test_batch_norm_closed_form_equals_composite_autograd(shape, seed):
    """The hand-derived backward agrees with autograd through mean/var/sqrt/div."""
    c = shape[1]
    xa, wa, ba, g = values(seed, shape), values(seed + 1, c), values(seed + 2, c), \
        values(seed + 3, shape)
    view = (1, c) + (1,) * (len(shape) - 2)
    dims = (0,) + tuple(range(2, len(shape)))

    x1, w1, b1 = t64(xa), t64(wa), t64(ba)
    F.batch_norm(x1, None, None, w1, b1, training=True).backward(minidl.tensor(g))

    x2, w2, b2 = t64(xa), t64(wa), t64(ba)
    mean = x2.mean(dim=dims, keepdim=True)
    var = ((x2 - mean) ** 2).mean(dim=dims, keepdim=True)
    y = (x2 - mean) / (var + 1e-5).sqrt() * w2.reshape(view) + b2.reshape(view)
    y.backward(minidl.tensor(g))
    for a, b in ((x1, x2), (w1, w2), (b1, b2)):
        np.testing.assert_allclose(a.grad._array, b.grad._array, atol=1e-10)


def test_batch_norm_running_stats_several_steps_match_numpy():
    """A transcription of the update rule: momentum-weighted, the variance unbiased."""
    rng = np.random.default_rng(0)
    c, momentum = 3, 0.3
    rm, rv = minidl.zeros(c, dtype=minidl.float64), minidl.ones(c, dtype=minidl.float64)
    want_mean, want_var = np.zeros(c), np.ones(c)
    for step in range(5):
        x = rng.standard_normal((4, c, 2, 3)) * (step + 1) + step
        F.batch_norm(minidl.tensor(x), rm, rv, training=True, momentum=momentum)
        m = x.size // c
        mean = x.mean(axis=(0, 2, 3))
        unbiased = x.var(axis=(0, 2, 3)) * m / (m - 1)
        want_mean = (1 - momentum) * want_mean + momentum * mean
        want_var = (1 - momentum) * want_var + momentum * unbiased
        np.testing.assert_allclose(rm._array, want_mean, rtol=1e-12)
        np.testing.assert_allclose(rv._array, want_var, rtol=1e-12)


def test_batch_norm_float32_keeps_dtype_and_accuracy():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((16, 4, 8, 8)) * 3 + 5).astype(np.float32)
    rm, rv = minidl.zeros(4), minidl.ones(4)
    y = F.batch_norm(minidl.tensor(x), rm, rv, training=True)
    assert y.dtype == np.float32 and rm.dtype == np.float32 and rv.dtype == np.float32
    mean, var = batch_stats_np(x.astype(np.float64))
    np.testing.assert_allclose(y._array, batch_norm_np(x.astype(np.float64), mean, var, None, None,
                                                     1e-5), atol=1e-4)


def test_batch_norm_errors():
    x = minidl.randn(4, 3, 2, 2)
    with pytest.raises(ValueError, match=r"batch_norm: expected weight of shape \(3,\)"):
        F.batch_norm(x, None, None, minidl.ones(4), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(minidl.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="required when training=False"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, \*\)"):
        F.batch_norm(minidl.randn(3), None, None, training=True)
    with pytest.raises(ValueError, match="momentum=None"):
        F.batch_norm(x, minidl.zeros(3), minidl.ones(3), training=True, momentum=None)


def test_batch_norm_skips_unneeded_gradients():
    x = minidl.randn(4, 3, dtype=minidl.float64)
    w = minidl.ones(3, dtype=minidl.float64, requires_grad=True)
    F.batch_norm(x, None, None, w, None, training=True).sum().backward()
    assert x.grad is None and w.grad is not None


# ------------------------------------------------------------------ layer norm
@st.composite
def layer_norm_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    if int(np.prod(shape)) > 48:
        shape = shape[-2:]
    k = draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    if int(np.prod(normalized)) < 2:  # one value per row: xhat is 0, nothing to check
        shape = shape[:-1] + (shape[-1] + 1,)
        normalized = shape[len(shape) - k:]
    as_int = k == 1 and draw(st.booleans())
    return shape, normalized[0] if as_int else normalized


def layer_norm_np(x, k, w, b, eps):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


@given(layer_norm_cases(), seeds, st.booleans())
def test_layer_norm_forward_and_gradcheck(device, case, seed, affine):
    shape, normalized = case
    ns = (normalized,) if isinstance(normalized, int) else normalized
    xa = values(seed, shape)
    w = t64(values(seed + 1, ns), device=device) if affine else None
    b = t64(values(seed + 2, ns), device=device) if affine else None
    y = F.layer_norm(t64(xa, device=device), normalized, w, b)
    np.testing.assert_allclose(
        y.detach().numpy(), layer_norm_np(xa, len(ns), None if w is None else w.detach().numpy(),
                              None if b is None else b.detach().numpy(), 1e-5), atol=1e-12)
    inputs = [t64(xa, device=device)] + ([w, b] if affine else [])
    gradcheck(lambda *a: F.layer_norm(a[0], normalized, *a[1:]), inputs)


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"layer_norm: expected input of shape \(\*, 4, 5\)"):
        F.layer_norm(minidl.randn(2, 3, 5), (4, 5))
    with pytest.raises(ValueError, match=r"expected weight of shape \(5,\)"):
        F.layer_norm(minidl.randn(2, 5), 5, minidl.ones(4))


# ------------------------------------------------------------------ group norm
@st.composite
def group_norm_cases(draw):
    groups = draw(st.integers(1, 3))
    per_group = draw(st.integers(1, 2))
    n = draw(st.integers(1, 2))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    shape = (n, groups * per_group) + spatial
    if per_group * int(np.prod(spatial, dtype=np.int64)) < 2:
        shape = (n, groups * 2) + spatial
    return shape, groups


def group_norm_np(x, groups, w, b, eps):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, -1)
    y = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, keepdims=True) + eps))
    y = y.reshape(x.shape)
    view = (1, c) + (1,) * (x.ndim - 2)
    return y * (1 if w is None else w.reshape(view)) + (0 if b is None else b.reshape(view))


@given(group_norm_cases(), seeds, st.booleans())
def test_group_norm_forward_and_gradcheck(device, case, seed, affine):
    shape, groups = case
    c = shape[1]
    xa = values(seed, shape)
    w = t64(values(seed + 1, c), device=device) if affine else None
    b = t64(values(seed + 2, c), device=device) if affine else None
    y = F.group_norm(t64(xa, device=device), groups, w, b)
    expected = group_norm_np(xa, groups, None if w is None else w.detach().numpy(),
                             None if b is None else b.detach().numpy(), 1e-5)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-12)
    inputs = [t64(xa, device=device)] + ([w, b] if affine else [])
    gradcheck(lambda *a: F.group_norm(a[0], groups, *a[1:]), inputs)


def test_group_norm_errors():
    with pytest.raises(ValueError, match="group_norm: expected num_groups to divide"):
        F.group_norm(minidl.randn(2, 6, 3), 4)


# --------------------------------------------------------------- instance norm
def test_instance_norm_is_per_sample_per_channel_and_tracks_stats():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4, 5)) * 2 + 1
    rm, rv = minidl.zeros(2, dtype=minidl.float64), minidl.ones(2, dtype=minidl.float64)
    y = F.instance_norm(minidl.tensor(x), rm, rv, momentum=0.5)
    want = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y._array, want, atol=1e-12)
    np.testing.assert_allclose(rm._array, 0.5 * x.mean(axis=(2, 3)).mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(rv._array, 0.5 + 0.5 * x.var(axis=(2, 3), ddof=1).mean(axis=0),
                               atol=1e-12)
    y_eval = F.instance_norm(minidl.tensor(x), rm, rv, use_input_stats=False)
    np.testing.assert_allclose(y_eval._array, batch_norm_np(x, rm._array, rv._array, None, None, 1e-5),
                               atol=1e-12)


# ---------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (3, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_pytorch(shape, training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, g = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    mx, mw, mb = t64(x), t64(w), t64(b)
    mrm, mrv = t64(rm, False), t64(rv, False)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    my = F.batch_norm(mx, mrm, mrv, mw, mb, training, 0.3, 1e-4)
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training, 0.3, 1e-4)
    my.backward(minidl.tensor(g))
    ty.backward(torch.tensor(g))
    for m, t in ((my._array, ty), (mx.grad._array, tx.grad), (mw.grad._array, tw.grad),
                 (mb.grad._array, tb.grad), (mrm._array, trm), (mrv._array, trv)):
        np.testing.assert_allclose(m, t.detach().numpy(), atol=1e-10)


def test_layer_and_group_norm_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal((2, 6, 3, 4)), rng.standard_normal((2, 6, 3, 4))
    cases = [
        (lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
         lambda x, w, b: torch.nn.functional.layer_norm(x, (3, 4), w, b),
         rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
        (lambda x, w, b: F.group_norm(x, 3, w, b),
         lambda x, w, b: torch.nn.functional.group_norm(x, 3, w, b),
         rng.standard_normal(6), rng.standard_normal(6)),
    ]
    for mine, theirs, wa, ba in cases:
        mx, mw, mb = t64(x), t64(wa), t64(ba)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, wa, ba))
        my, ty = mine(mx, mw, mb), theirs(tx, tw, tb)
        my.backward(minidl.tensor(g))
        ty.backward(torch.tensor(g))
        for m, t in ((my._array, ty), (mx.grad._array, tx.grad), (mw.grad._array, tw.grad),
                     (mb.grad._array, tb.grad)):
            np.testing.assert_allclose(m, t.detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "instance_norm"])
def test_empty_batches_give_empty_results_and_zero_parameter_gradients(name):
    x = minidl.zeros(0, 4, 3, 3, requires_grad=True)
    w, b = minidl.ones(4, requires_grad=True), minidl.zeros(4, requires_grad=True)
    if name == "layer_norm":
        w, b = minidl.ones(4, 3, 3, requires_grad=True), minidl.zeros(4, 3, 3, requires_grad=True)
        y = F.layer_norm(x, (4, 3, 3), w, b)
    elif name == "group_norm":
        y = F.group_norm(x, 2, w, b)
    else:
        y = F.instance_norm(x, weight=w, bias=b)
    assert y.shape == (0, 4, 3, 3)
    (y * 2).sum().backward()
    assert x.grad.shape == (0, 4, 3, 3)
    assert np.array_equal(w.grad.numpy(), np.zeros(w.shape))  # PyTorch's result too
    assert np.array_equal(b.grad.numpy(), np.zeros(b.shape))
