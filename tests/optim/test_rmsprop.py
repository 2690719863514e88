"""RMSprop against a NumPy transcription of PyTorch's algorithm (and PyTorch itself)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.optim import RMSprop

from tests.strategies import examples

from .problems import make_params, run_minidl, run_reference, run_torch

CASES = [
    dict(),
    dict(alpha=0.9),
    dict(momentum=0.9),
    dict(centered=True),
    dict(centered=True, momentum=0.5),
    dict(weight_decay=0.05),
    dict(weight_decay=0.05, momentum=0.9, centered=True, eps=1e-4),
    dict(maximize=True, momentum=0.5),
]


def rmsprop_reference(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False, maximize=False):
    """One RMSprop step, as PyTorch documents it, on float64 NumPy arrays."""
    def update(theta, g, state, group_lr):
        gamma = lr if group_lr is None else group_lr
        zeros = np.zeros_like(theta)
        if maximize:
            g = -g
        if weight_decay:
            g = g + weight_decay * theta
        v = state["v"] = alpha * state.get("v", zeros) + (1 - alpha) * g ** 2
        if centered:
            gbar = state["gbar"] = alpha * state.get("gbar", zeros) + (1 - alpha) * g
            v = v - gbar ** 2
        d = np.sqrt(v) + eps
        if momentum > 0:
            b = state["b"] = momentum * state.get("b", zeros) + g / d
            return theta - gamma * b
        return theta - gamma * g / d
    return update


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_rmsprop_matches_reference_over_100_steps(options):
    params, _ = run_minidl(lambda ps: RMSprop(ps, lr=0.01, **options))
    expected = run_reference(rmsprop_reference(0.01, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


@examples(10)
@given(lr=st.floats(1e-4, 0.05), alpha=st.floats(0.5, 0.999), momentum=st.floats(0, 0.95),
       weight_decay=st.floats(0, 0.1), centered=st.booleans())
def test_rmsprop_matches_reference_for_drawn_hyperparameters(lr, alpha, momentum,
                                                             weight_decay, centered):
    options = dict(alpha=alpha, momentum=momentum, weight_decay=weight_decay, centered=centered)
    params, _ = run_minidl(lambda ps: RMSprop(ps, lr=lr, **options), steps=20)
    for p, e in zip(params, run_reference(rmsprop_reference(lr, **options), steps=20)):
        np.testing.assert_allclose(p._array, e, rtol=1e-10, atol=1e-12)


def test_rmsprop_param_groups_with_different_lrs():
    def make(ps):
        return RMSprop([{"params": [ps[0]], "lr": 0.003}, {"params": [ps[1]]}], lr=0.02,
                       momentum=0.9)
    params, _ = run_minidl(make)
    expected = run_reference(rmsprop_reference(None, momentum=0.9), lrs=[0.003, 0.02])
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


def test_rmsprop_float32():
    params, opt = run_minidl(lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.9),
                             steps=50, dtype=np.float32)
    params64, _ = run_minidl(lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.9),
                             steps=50)
    for p, p64 in zip(params, params64):
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for k, v in opt.state[p].items() if k != "step")
        np.testing.assert_allclose(p._array, p64._array, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.01), "lr"), (dict(eps=-1e-8), "eps"), (dict(momentum=-0.1), "momentum"),
    (dict(weight_decay=-0.1), "weight_decay"), (dict(alpha=-0.5), "alpha"),
])
def test_rmsprop_rejects_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=f"RMSprop: invalid {message}"):
        RMSprop(make_params(), **kwargs)


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_rmsprop_matches_pytorch(options):
    torch = pytest.importorskip("torch")
    params, _ = run_minidl(lambda ps: RMSprop(ps, lr=0.01, **options))
    expected = run_torch(torch, lambda ps: torch.optim.RMSprop(ps, lr=0.01, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-10, atol=1e-12)
