"""Loss functions against NumPy references, gradchecks, and the errors they raise."""
import doctest
import importlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from tests.strategies import (examples, arrays, class_problems, class_weights, domain_arrays,
                              probabilities, shapes)

F64 = minidl.float64
REDUCTIONS = ["none", "mean", "sum"]


def T(a, grad=False, device=None):
    return minidl.tensor(a, device=device, requires_grad=grad)


def test_docstring_examples():
    result = doctest.testmod(importlib.import_module("minidl.nn.functional.loss"))
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------ NumPy references
def _rows(x):
    """(N, C, d...) -> (M, C)."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _log_softmax(rows):
    z = rows - rows.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Loop over predictions, straight from the definition."""
    logp = _log_softmax(_rows(x))
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    losses, total_weight = [], 0.0
    for row, target in zip(logp, t.reshape(-1)):
        if target == ignore_index:
            losses.append(0.0)
            continue
        smoothed = (1 - eps) * np.eye(c)[target] + eps / c
        losses.append(-(w * smoothed * row).sum())
        total_weight += w[target]
    losses = np.array(losses)
    if reduction == "none":
        return losses.reshape(t.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / total_weight if total_weight else np.nan


def ref_cross_entropy_probs(x, q, weight=None, reduction="mean", eps=0.0):
    logp = _log_softmax(_rows(x))
    c = x.shape[1]
    qr = (1 - eps) * _rows(q) + eps / c
    w = np.ones(c) if weight is None else weight
    losses = -(w * qr * logp).sum(axis=1)
    if reduction == "none":
        return losses.reshape((x.shape[0],) + x.shape[2:])
    return losses.sum() if reduction == "sum" else losses.mean()


def ref_nll(logp, t, weight=None, ignore_index=-100, reduction="mean"):
    rows = _rows(logp)
    w = np.ones(logp.shape[1]) if weight is None else weight
    tr = t.reshape(-1)
    valid = tr != ignore_index
    safe = np.where(valid, tr, 0)
    losses = -w[safe] * rows[np.arange(tr.size), safe] * valid
    if reduction == "none":
        return losses.reshape(t.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / (w[safe] * valid).sum()


def _reduce(values, reduction):
    return {"none": values, "sum": values.sum(), "mean": values.mean()}[reduction]


# ------------------------------------------------------------------ cross entropy
@st.composite
def ce_cases(draw, max_batch=4, max_classes=4):
    x, t, c = draw(class_problems(max_batch=max_batch, max_classes=max_classes))
    ignore = draw(st.booleans())
    if ignore:  # hide some targets behind ignore_index, keeping at least one
        mask = draw(st.lists(st.booleans(), min_size=t.size, max_size=t.size))
        mask[0] = False
        t = np.where(np.array(mask).reshape(t.shape), -1, t)
    weight = draw(st.none() | class_weights(c))
    eps = draw(st.sampled_from([0.0, 0.1, 0.5]))
    reduction = draw(st.sampled_from(REDUCTIONS))
    return x, t, weight, eps, reduction


@given(ce_cases(max_batch=5, max_classes=6))
def test_cross_entropy_forward(device, case):
    x, t, weight, eps, reduction = case
    got = F.cross_entropy(T(x, device=device), T(t, device=device),
                          None if weight is None else T(weight, device=device), ignore_index=-1,
                          reduction=reduction, label_smoothing=eps)
    expected = ref_cross_entropy(x, t, weight, -1, reduction, eps)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


@examples(12)
@given(ce_cases(max_batch=3, max_classes=4))
def test_cross_entropy_gradcheck(device, case):
    x, t, weight, eps, reduction = case
    w = None if weight is None else T(weight, device=device)
    fn = lambda logits: F.cross_entropy(  # noqa: E731
        logits, T(t, device=device), w, ignore_index=-1, reduction=reduction,
        label_smoothing=eps)
    assert gradcheck(fn, [T(x, grad=True, device=device)])


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = np.random.default_rng(0).standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    logits = T(x, grad=True)
    F.cross_entropy(logits, T(t), reduction="sum").backward()
    p = np.exp(_log_softmax(x))
    np.testing.assert_allclose(logits.grad._array, p - np.eye(3)[t], rtol=1e-12)
    assert F.cross_entropy(logits, T(t)).grad_fn.name() == "CrossEntropyBackward"


def test_ignored_targets_get_zero_gradient():
    logits = T(np.random.default_rng(1).standard_normal((3, 4)), grad=True)
    F.cross_entropy(logits, T([1, -100, 2]), label_smoothing=0.2).backward()
    assert np.all(logits.grad._array[1] == 0) and np.any(logits.grad._array[0] != 0)


def test_weighted_mean_divides_by_weight_of_kept_targets():
    x = np.zeros((3, 2))  # every row has loss log(2)
    weight = np.array([1.0, 3.0])
    got = F.cross_entropy(T(x), T([0, 1, 1]), weight=T(weight)).item()
    assert math.isclose(got, (1 + 3 + 3) * math.log(2) / 7)
    got = F.cross_entropy(T(x), T([0, 1, -100]), weight=T(weight)).item()
    assert math.isclose(got, (1 + 3) * math.log(2) / 4)


def test_all_targets_ignored_gives_nan_mean_and_zero_sum():
    x = T(np.zeros((2, 3)))
    with np.errstate(invalid="ignore"):
        assert math.isnan(F.cross_entropy(x, T([-100, -100])).item())
    assert F.cross_entropy(x, T([-100, -100]), reduction="sum").item() == 0


@given(st.data())
def test_cross_entropy_probability_targets_forward(data):
    x, _, c = data.draw(class_problems())
    q = data.draw(probabilities(x.shape))
    weight = data.draw(st.none() | class_weights(c))
    eps = data.draw(st.sampled_from([0.0, 0.2]))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    got = F.cross_entropy(T(x), T(q), None if weight is None else T(weight),
                          reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(got._array, ref_cross_entropy_probs(x, q, weight, reduction, eps),
                               rtol=1e-10, atol=1e-12)


@examples(8)
@given(st.data())
def test_cross_entropy_probability_targets_gradcheck(data):
    x, _, c = data.draw(class_problems(max_batch=3, max_classes=3))
    q = data.draw(probabilities(x.shape))
    weight = data.draw(st.none() | class_weights(c))
    eps = data.draw(st.sampled_from([0.0, 0.2]))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    w = None if weight is None else T(weight)
    fn = lambda a, b: F.cross_entropy(a, b, w, reduction=reduction,  # noqa: E731
                                      label_smoothing=eps)
    assert gradcheck(fn, [T(x, grad=True), T(q, grad=True)])


def test_one_hot_probabilities_equal_indices():
    x = np.random.default_rng(2).standard_normal((5, 4, 2))
    t = np.random.default_rng(3).integers(0, 4, (5, 2))
    onehot = np.moveaxis(np.eye(4)[t], -1, 1)
    for eps in (0.0, 0.3):
        a = F.cross_entropy(T(x), T(t), label_smoothing=eps).item()
        b = F.cross_entropy(T(x), T(onehot), label_smoothing=eps).item()
        assert math.isclose(a, b, rel_tol=1e-12)


def test_unbatched_input():
    x = np.array([1.0, 2.0, 0.5])
    assert math.isclose(F.cross_entropy(T(x), T(1)).item(), -_log_softmax(x[None])[0, 1])
    assert F.cross_entropy(T(x), T(1), reduction="none").shape == ()
    q = np.array([0.2, 0.3, 0.5])
    assert math.isclose(F.cross_entropy(T(x), T(q)).item(),
                        -(q * _log_softmax(x[None])[0]).sum())


def test_cross_entropy_float32_and_stability():
    logits = minidl.tensor([[1000.0, 0.0], [-1000.0, 0.0]])
    loss = F.cross_entropy(logits, minidl.tensor([1, 0]), reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss._array, [1000.0, 1000.0])


def test_cross_entropy_errors():
    x = minidl.randn(4, 3)
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(4,\) "
                                         r"\(one class index per prediction for input of shape "
                                         r"\(4, 3\)\), got \(4, 1\)"):
        F.cross_entropy(x, minidl.zeros(4, 1, dtype=minidl.int64))
    with pytest.raises(TypeError, match="cross_entropy: expected target of class indices with "
                                        "an integer dtype.*got float32"):
        F.cross_entropy(x, minidl.zeros(4))
    with pytest.raises(ValueError, match=r"\(class indices\) or \(4, 3\) \(class probabilities\)"):
        F.cross_entropy(x, minidl.zeros(4, 2))
    with pytest.raises(IndexError, match="cross_entropy: target value 3 is out of range for 3 "
                                         "classes"):
        F.cross_entropy(x, minidl.tensor([0, 1, 3, 0]))
    with pytest.raises(IndexError, match="target value -1"):
        F.cross_entropy(x, minidl.tensor([0, 1, -1, 0]))
    with pytest.raises(ValueError, match=r"expected weight of shape \(3,\)"):
        F.cross_entropy(x, minidl.tensor([0, 1, 2, 0]), weight=minidl.ones(4))
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'"):
        F.cross_entropy(x, minidl.tensor([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, minidl.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    seg = minidl.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 4, 4\)"):
        F.cross_entropy(seg, minidl.zeros(2, 4, 5, dtype=minidl.int64))


# ------------------------------------------------------------------------ nll_loss
@given(ce_cases(max_batch=4, max_classes=5))
def test_nll_loss_forward_and_equivalence(device, case):
    x, t, weight, _, reduction = case
    logp = np.moveaxis(_log_softmax(_rows(x)).reshape((x.shape[0],) + x.shape[2:] + (x.shape[1],)),
                       -1, 1)
    w = None if weight is None else T(weight, device=device)
    got = F.nll_loss(T(logp, device=device), T(t, device=device), w, ignore_index=-1,
                     reduction=reduction)
    np.testing.assert_allclose(got.detach().numpy(), ref_nll(logp, t, weight, -1, reduction),
                               rtol=1e-10,
                               atol=1e-12)
    via_ce = F.cross_entropy(T(x, device=device), T(t, device=device), w, ignore_index=-1,
                             reduction=reduction)
    np.testing.assert_allclose(got.detach().numpy(), via_ce.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@examples(8)
@given(ce_cases(max_batch=3, max_classes=4))
def test_nll_loss_gradcheck(device, case):
    x, t, weight, _, reduction = case
    w = None if weight is None else T(weight, device=device)
    fn = lambda a: F.nll_loss(a, T(t, device=device), w, ignore_index=-1,
                              reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [T(x, grad=True, device=device)])
    composed = lambda a: F.nll_loss(F.log_softmax(a, 1), T(t, device=device), w,  # noqa: E731
                                    ignore_index=-1, reduction=reduction)
    assert gradcheck(composed, [T(x, grad=True, device=device)])


def test_nll_loss_errors():
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \(2,\)"):
        F.nll_loss(minidl.randn(2, 3), minidl.tensor([[0], [1]]))
    with pytest.raises(IndexError, match="nll_loss: target value 5"):
        F.nll_loss(minidl.randn(2, 3), minidl.tensor([0, 5]))
    with pytest.raises(ValueError, match="reduction"):
        F.nll_loss(minidl.randn(2, 3), minidl.tensor([0, 1]), reduction="batchmean")


# -------------------------------------------------------------- regression losses
def _huber(d, delta):
    ad = np.abs(d)
    return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))


REGRESSION = {
    "mse": (F.mse_loss, lambda d: d * d),
    "l1": (F.l1_loss, np.abs),
    "smooth_l1": (F.smooth_l1_loss, lambda d: _huber(d, 1.0)),
    "smooth_l1_beta": (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=1.5),
                       lambda d: _huber(d, 1.5) / 1.5),
    "smooth_l1_beta0": (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=0.0),
                        np.abs),
    "huber": (F.huber_loss, lambda d: _huber(d, 1.0)),
    "huber_delta": (lambda a, b, reduction: F.huber_loss(a, b, reduction, delta=0.5),
                    lambda d: _huber(d, 0.5)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@examples(5)
@given(shape=shapes(0, 3), data=st.data())
def test_regression_losses(device, name, reduction, shape, data):
    fn, elementwise = REGRESSION[name]
    # grid vs offgrid inputs: |input - target| is 0.25 + k/2, never at a kink (0, 0.5, 1, 1.5)
    x = data.draw(domain_arrays(shape, "grid"))
    y = data.draw(domain_arrays(shape, "offgrid"))
    got = fn(T(x, device=device), T(y, device=device), reduction=reduction)
    np.testing.assert_allclose(got.detach().numpy(), _reduce(elementwise(x - y), reduction),
                               rtol=1e-12)
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction),
                     [T(x, True, device=device), T(y, True, device=device)])


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss,
                                F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
                                F.kl_div])
def test_elementwise_losses_refuse_shape_mismatch_and_bad_reduction(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: expected target of shape \(4, 1\) "
                                         r"\(the input's shape\), got \(4,\)"):
        fn(minidl.full((4, 1), 0.5), minidl.full((4,), 0.5))
    with pytest.raises(ValueError, match=f"{fn.__name__}: reduction must be one of"):
        fn(minidl.full((4,), 0.5), minidl.full((4,), 0.5), reduction="avg")


def test_regression_argument_errors():
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(minidl.zeros(2), minidl.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(minidl.zeros(2), minidl.zeros(2), delta=0.0)


# ------------------------------------------------------------------ binary losses
def ref_bce(p, y, weight=None):
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    return loss if weight is None else loss * weight


@pytest.mark.parametrize("reduction", REDUCTIONS)
@examples(6)
@given(shape=shapes(1, 3), data=st.data())
def test_binary_cross_entropy(device, reduction, shape, data):
    p = data.draw(arrays(shape, 0.05, 0.95))
    y = data.draw(arrays(shape, 0.0, 1.0))
    weight = data.draw(st.none() | arrays(shape[-1:], 0.2, 2.0))
    w = None if weight is None else T(weight, device=device)
    got = F.binary_cross_entropy(T(p, device=device), T(y, device=device), w, reduction=reduction)
    np.testing.assert_allclose(got.detach().numpy(), _reduce(ref_bce(p, y, weight), reduction),
                               rtol=1e-10)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction),
                     [T(p, True, device=device), T(y, True, device=device)])


def test_binary_cross_entropy_clamps_logs():
    p = T(np.array([0.0, 1.0, 0.0, 1.0]), grad=True)
    y = T(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss._array, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad._array).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(T(np.array([1.2])), T(np.array([1.0])))


def ref_bce_logits(x, y, weight=None, pos_weight=None):
    s = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    return loss if weight is None else loss * weight


@pytest.mark.parametrize("reduction", REDUCTIONS)
@examples(6)
@given(shape=shapes(1, 3), data=st.data())
def test_binary_cross_entropy_with_logits(device, reduction, shape, data):
    x = data.draw(arrays(shape))
    y = data.draw(arrays(shape, 0.0, 1.0))
    weight = data.draw(st.none() | arrays(shape[-1:], 0.2, 2.0))
    pos_weight = data.draw(st.none() | arrays(shape[-1:], 0.2, 3.0))
    w = None if weight is None else T(weight, device=device)
    pw = None if pos_weight is None else T(pos_weight, device=device)
    got = F.binary_cross_entropy_with_logits(T(x, device=device), T(y, device=device), w,
                                             reduction=reduction, pos_weight=pw)
    np.testing.assert_allclose(got.detach().numpy(), _reduce(ref_bce_logits(x, y, weight,
                                                                            pos_weight),
                                                 reduction), rtol=1e-10, atol=1e-12)
    inputs = [T(x, True, device=device), T(y, True, device=device)]
    if pos_weight is not None:
        inputs.append(T(pos_weight, True, device=device))
    fn = lambda a, b, pw=None: F.binary_cross_entropy_with_logits(  # noqa: E731
        a, b, w, reduction=reduction, pos_weight=pw)
    assert gradcheck(fn, inputs)


def test_binary_cross_entropy_with_logits_is_stable():
    x = T(np.array([500.0, -500.0, 500.0, -500.0]), grad=True)
    y = T(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss._array, [0.0, 0.0, 500.0, 500.0], atol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad._array, [0.0, 0.0, 1.0, -1.0], atol=1e-12)


# ------------------------------------------------------------------------ kl_div
def ref_kl(logq, t, reduction, log_target=False):
    if log_target:
        loss = np.exp(t) * (t - logq)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * logq
    if reduction == "batchmean":
        return loss.sum() / logq.shape[0]
    return _reduce(loss, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@examples(5)
@given(shape=shapes(2, 3, max_side=3), log_target=st.booleans(), data=st.data())
def test_kl_div(reduction, shape, log_target, data):
    logq = np.log(data.draw(probabilities(shape)))
    t = data.draw(probabilities(shape))
    if log_target:
        t = np.log(t)
    got = F.kl_div(T(logq), T(t), reduction=reduction, log_target=log_target)
    np.testing.assert_allclose(got._array, ref_kl(logq, t, reduction, log_target), rtol=1e-10,
                               atol=1e-12)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                     [T(logq, True), T(t, True)])


def test_kl_div_zero_target_is_finite_and_kl_of_equal_is_zero():
    logq = T(np.log(np.array([[0.5, 0.5]])), grad=True)
    t = T(np.array([[1.0, 0.0]]))
    loss = F.kl_div(logq, t, reduction="sum")
    assert math.isclose(loss.item(), math.log(2))
    loss.backward()
    assert np.isfinite(logq.grad._array).all()
    p = np.array([[0.2, 0.8]])
    assert abs(F.kl_div(T(np.log(p)), T(p), reduction="batchmean").item()) < 1e-15


# ------------------------------------------------------- similarity, normalize
@examples(10)
@given(shape=shapes(1, 3), data=st.data())
def test_cosine_similarity(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = data.draw(domain_arrays(shape, "nonzero"))
    b = data.draw(domain_arrays(shape, "nonzero"))
    got = F.cosine_similarity(T(a), T(b), dim=dim)
    expected = (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
    np.testing.assert_allclose(got._array, expected, rtol=1e-10)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=dim), [T(a, True), T(b, True)])


def test_cosine_similarity_broadcast_and_eps():
    a = np.random.default_rng(0).standard_normal((4, 3))
    b = np.random.default_rng(1).standard_normal((1, 3))
    got = F.cosine_similarity(T(a), T(b))
    np.testing.assert_allclose(got._array, (a @ b[0]) / np.linalg.norm(a, axis=1)
                               / np.linalg.norm(b), rtol=1e-10)
    tiny = F.cosine_similarity(T(np.array([[3e-9, 4e-9]])), T(np.array([[3.0, 4.0]])))
    assert math.isclose(tiny.item(), 25e-9 / (1e-8 * 5))  # the small norm is clamped to eps
    x = T(np.zeros((1, 2)), grad=True)
    F.cosine_similarity(x, T(np.ones((1, 2)))).sum().backward()
    assert np.isfinite(x.grad._array).all()
    with pytest.raises(ValueError, match="do not broadcast"):
        F.cosine_similarity(minidl.ones(2, 3), minidl.ones(2, 4))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@examples(6)
@given(shape=shapes(1, 3), data=st.data())
def test_normalize(p, shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(domain_arrays(shape, "nonzero"))
    norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(F.normalize(T(x), p=p, dim=dim)._array, x / norm, rtol=1e-10)
    assert gradcheck(lambda t: F.normalize(t, p=p, dim=dim), [T(x, True)])


def test_normalize_zero_vector():
    x = T(np.zeros((2, 3)), grad=True)
    y = F.normalize(x)
    assert np.all(y._array == 0)
    y.sum().backward()
    assert np.isfinite(x.grad._array).all()


# --------------------------------------------------------------------- PyTorch
def test_torch_parity():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 5, 2))
    t = rng.integers(0, 5, (6, 2))
    t[0, 0] = 3
    t[1, 1] = -100
    w = rng.random(5) + 0.1
    for eps in (0.0, 0.25):
        for reduction in REDUCTIONS:
            mx, tx = T(x, True), torch.tensor(x, requires_grad=True)
            a = F.cross_entropy(mx, T(t), T(w), reduction=reduction, label_smoothing=eps)
            b = tf.cross_entropy(tx, torch.tensor(t), torch.tensor(w), reduction=reduction,
                                 label_smoothing=eps)
            np.testing.assert_allclose(a._array, b.detach().numpy(), rtol=1e-10, atol=1e-12)
            (a * a).sum().backward()
            (b * b).sum().backward()
            np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    q = rng.random(x.shape)
    q /= q.sum(1, keepdims=True)
    a = F.cross_entropy(T(x), T(q), T(w), label_smoothing=0.1)
    b = tf.cross_entropy(torch.tensor(x), torch.tensor(q), torch.tensor(w), label_smoothing=0.1)
    assert math.isclose(a.item(), b.item(), rel_tol=1e-10)
    p, y, z = rng.random((4, 3)), rng.random((4, 3)), rng.standard_normal((4, 3)) * 4
    pw = rng.random(3) + 0.5
    pairs = [
        (F.binary_cross_entropy(T(p), T(y)), tf.binary_cross_entropy(torch.tensor(p),
                                                                    torch.tensor(y))),
        (F.binary_cross_entropy_with_logits(T(z), T(y), pos_weight=T(pw)),
         tf.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y),
                                             pos_weight=torch.tensor(pw))),
        (F.smooth_l1_loss(T(z), T(y), beta=0.5),
         tf.smooth_l1_loss(torch.tensor(z), torch.tensor(y), beta=0.5)),
        (F.huber_loss(T(z), T(y), delta=0.7), tf.huber_loss(torch.tensor(z), torch.tensor(y),
                                                            delta=0.7)),
        (F.kl_div(T(np.log(p)), T(y), reduction="batchmean"),
         tf.kl_div(torch.tensor(np.log(p)), torch.tensor(y), reduction="batchmean")),
        (F.cosine_similarity(T(z), T(y), dim=0),
         tf.cosine_similarity(torch.tensor(z), torch.tensor(y), dim=0)),
        (F.normalize(T(z), p=3.0, dim=1), tf.normalize(torch.tensor(z), p=3.0, dim=1)),
    ]
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine._array, theirs.numpy(), rtol=1e-10, atol=1e-12)
