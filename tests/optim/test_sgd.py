"""SGD against a NumPy transcription of PyTorch's algorithm (and PyTorch itself when present)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.optim import SGD

from tests.strategies import examples

from .problems import run_minidl, run_reference, run_torch

# option combinations: (momentum, dampening, weight_decay, nesterov, maximize)
CASES = [
    dict(),
    dict(momentum=0.9),
    dict(momentum=0.9, dampening=0.3),
    dict(momentum=0.8, nesterov=True),
    dict(weight_decay=0.05),
    dict(momentum=0.9, weight_decay=0.05, nesterov=True),
    dict(momentum=0.5, dampening=0.5, weight_decay=0.1),
    dict(maximize=True),
    dict(momentum=0.9, weight_decay=0.02, maximize=True),
]


def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    """One SGD step, as PyTorch documents it, on float64 NumPy arrays."""
    def update(theta, g, state, group_lr):
        gamma = lr if group_lr is None else group_lr
        if maximize:
            g = -g
        if weight_decay:
            g = g + weight_decay * theta
        if momentum:
            if "b" not in state:
                state["b"] = g.copy()
            else:
                state["b"] = momentum * state["b"] + (1 - dampening) * g
            g = g + momentum * state["b"] if nesterov else state["b"]
        return theta - gamma * g
    return update


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_sgd_matches_reference_over_100_steps(options):
    params, _ = run_minidl(lambda ps: SGD(ps, lr=0.05, **options))
    expected = run_reference(sgd_reference(0.05, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-12, atol=1e-12)
    if not options.get("maximize"):   # descent does descend
        assert not np.allclose(params[0]._array, run_reference(sgd_reference(0.05), steps=0)[0])


@examples(10)
@given(lr=st.floats(1e-3, 0.2), momentum=st.sampled_from([0.0, 0.5, 0.9, 0.99]),
       dampening=st.floats(0, 1), weight_decay=st.floats(0, 0.1), nesterov=st.booleans())
def test_sgd_matches_reference_for_drawn_hyperparameters(lr, momentum, dampening,
                                                         weight_decay, nesterov):
    if nesterov:
        dampening = 0.0
        momentum = momentum or 0.5
    options = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                   nesterov=nesterov)
    params, _ = run_minidl(lambda ps: SGD(ps, lr=lr, **options), steps=20)
    for p, e in zip(params, run_reference(sgd_reference(lr, **options), steps=20)):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


def test_sgd_param_groups_use_their_own_lr_and_momentum():
    def make(ps):
        return SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.2}], lr=0.05, momentum=0.9)
    params, _ = run_minidl(make)
    expected = run_reference(sgd_reference(None, momentum=0.9), lrs=[0.05, 0.2])
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-12, atol=1e-12)


def test_sgd_keeps_float32_and_updates_in_place():
    params, opt = run_minidl(lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
                             steps=1)
    arrays = [p._array for p in params]
    from .problems import minidl_backward
    for _ in range(30):
        opt.zero_grad()
        minidl_backward(params)
        opt.step()
    assert all(p._array is a for p, a in zip(params, arrays))   # same arrays, changed in place
    params32, opt32 = run_minidl(lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
                                 steps=31, dtype=np.float32)
    for p32, p64 in zip(params32, params):
        assert p32.dtype == np.float32
        assert opt32.state[p32]["momentum_buffer"].dtype == np.float32
        np.testing.assert_allclose(p32._array, p64._array, rtol=1e-4, atol=1e-5)


def test_sgd_does_not_modify_the_gradient():
    params, opt = run_minidl(lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1,
                                            maximize=True), steps=2)
    grads = [p.grad._array.copy() for p in params]
    opt.step()
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad._array, g)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "lr"),
    (dict(momentum=-0.5), "momentum"),
    (dict(weight_decay=-1e-4), "weight_decay"),
    (dict(nesterov=True), "Nesterov"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov"),
])
def test_sgd_rejects_bad_hyperparameters(kwargs, message):
    from .problems import make_params
    with pytest.raises(ValueError, match=message):
        SGD(make_params(), **kwargs)


def test_sgd_rejects_a_bad_value_in_one_group():
    from .problems import make_params
    a, b = make_params()
    with pytest.raises(ValueError, match=r"SGD: invalid lr=-1"):
        SGD([{"params": [a]}, {"params": [b], "lr": -1}], lr=0.1)


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_sgd_matches_pytorch(options):
    torch = pytest.importorskip("torch")
    params, _ = run_minidl(lambda ps: SGD(ps, lr=0.05, **options))
    expected = run_torch(torch, lambda ps: torch.optim.SGD(ps, lr=0.05, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-10, atol=1e-12)
