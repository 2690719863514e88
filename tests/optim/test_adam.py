"""Adam and AdamW against a NumPy transcription of PyTorch's algorithms (and PyTorch itself)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.optim import Adam, AdamW

from tests.strategies import examples

from .problems import make_params, minidl_backward, run_minidl, run_reference, run_torch

CASES = [
    dict(),
    dict(betas=(0.8, 0.99)),
    dict(amsgrad=True),
    dict(weight_decay=0.05),
    dict(weight_decay=0.05, amsgrad=True, betas=(0.5, 0.9)),
    dict(eps=1e-3),
    dict(maximize=True),
    dict(maximize=True, weight_decay=0.02, amsgrad=True),
]


def adam_reference(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   maximize=False, decoupled=False):
    """One Adam (decoupled=False) or AdamW (decoupled=True) step, as PyTorch documents it."""
    beta1, beta2 = betas

    def update(theta, g, state, group_lr):
        gamma = lr if group_lr is None else group_lr
        t = state["t"] = state.get("t", 0) + 1
        m, v = state.get("m", np.zeros_like(theta)), state.get("v", np.zeros_like(theta))
        if maximize:
            g = -g
        if decoupled:
            theta = theta * (1 - gamma * weight_decay)
        elif weight_decay:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        state["m"], state["v"] = m, v
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            state["vmax"] = np.maximum(state.get("vmax", np.zeros_like(theta)), v)
            v_hat = state["vmax"] / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        return theta - gamma * m_hat / (np.sqrt(v_hat) + eps)
    return update


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_adam_matches_reference_over_100_steps(options):
    params, _ = run_minidl(lambda ps: Adam(ps, lr=0.02, **options))
    expected = run_reference(adam_reference(0.02, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
def test_adamw_matches_reference_over_100_steps(options):
    options = {"weight_decay": 0.1, **options}
    params, _ = run_minidl(lambda ps: AdamW(ps, lr=0.02, **options))
    expected = run_reference(adam_reference(0.02, decoupled=True, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


@examples(10)
@given(lr=st.floats(1e-4, 0.1), beta1=st.floats(0, 0.99), beta2=st.floats(0.5, 0.9999),
       weight_decay=st.floats(0, 0.2), amsgrad=st.booleans(), decoupled=st.booleans())
def test_adam_matches_reference_for_drawn_hyperparameters(lr, beta1, beta2, weight_decay,
                                                          amsgrad, decoupled):
    cls = AdamW if decoupled else Adam
    options = dict(betas=(beta1, beta2), weight_decay=weight_decay, amsgrad=amsgrad)
    params, _ = run_minidl(lambda ps: cls(ps, lr=lr, **options), steps=20)
    expected = run_reference(adam_reference(lr, decoupled=decoupled, **options), steps=20)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-10, atol=1e-12)


def test_adam_first_step_moves_each_weight_by_about_lr():
    # bias correction: m_hat = g and v_hat = g^2 at t = 1, so the step is lr * g / |g|
    params, _ = run_minidl(lambda ps: Adam(ps, lr=0.01), steps=1)
    for p, x0 in zip(params, make_params()):
        np.testing.assert_allclose(np.abs(p._array - x0._array), 0.01, rtol=1e-5)


def test_adamw_defaults_and_decoupled_decay_differ_from_adam_l2():
    opt = AdamW(make_params())
    assert opt.defaults["weight_decay"] == 1e-2 and opt.defaults["betas"] == (0.9, 0.999)
    a, _ = run_minidl(lambda ps: Adam(ps, lr=0.02, weight_decay=0.1), steps=20)
    w, _ = run_minidl(lambda ps: AdamW(ps, lr=0.02, weight_decay=0.1), steps=20)
    assert not np.allclose(a[0]._array, w[0]._array)


def test_adam_param_groups_with_different_lrs():
    def make(ps):
        return Adam([{"params": [ps[0]], "lr": 0.05}, {"params": [ps[1]]}], lr=0.01,
                    amsgrad=True)
    params, _ = run_minidl(make)
    expected = run_reference(adam_reference(None, amsgrad=True), lrs=[0.05, 0.01])
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-11, atol=1e-12)


def test_adam_float32_state_and_in_place_updates():
    params = make_params(np.float32)
    arrays = [p._array for p in params]
    params, opt = run_minidl(lambda ps: AdamW(ps, lr=0.02, amsgrad=True), steps=50,
                             params=params)
    params64, _ = run_minidl(lambda ps: AdamW(ps, lr=0.02, amsgrad=True), steps=50)
    for p, a, p64 in zip(params, arrays, params64):
        assert p._array is a and p.dtype == np.float32
        assert all(v.dtype == np.float32 for k, v in opt.state[p].items() if k != "step")
        np.testing.assert_allclose(p._array, p64._array, rtol=1e-4, atol=1e-4)


def test_amsgrad_can_be_switched_on_after_some_steps():
    params, opt = run_minidl(lambda ps: Adam(ps, lr=0.02), steps=5)
    opt.param_groups[0]["amsgrad"] = True
    minidl_backward(params)
    opt.step()
    for p in params:
        np.testing.assert_array_equal(opt.state[p]["max_exp_avg_sq"], opt.state[p]["exp_avg_sq"])


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1e-3), "lr"),
    (dict(eps=-1.0), "eps"),
    (dict(betas=(1.0, 0.999)), "beta1"),
    (dict(betas=(-0.1, 0.999)), "beta1"),
    (dict(betas=(0.9, 1.5)), "beta2"),
    (dict(weight_decay=-0.1), "weight_decay"),
])
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_rejects_bad_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=f"{cls.__name__}: invalid .*{message}"):
        cls(make_params(), **kwargs)


def test_adam_bias_correction_makes_constant_gradient_steps_equal_lr():
    # with a constant gradient g, m_hat = g and v_hat = g^2 at every step: each step is lr
    w = make_params()[1]
    opt = Adam([w], lr=0.01, eps=0.0)
    start = w._array.copy()
    for t in range(1, 8):
        w.grad = type(w)(np.full(w.shape, -3.0))
        opt.step()
        np.testing.assert_allclose(w._array - start, 0.01 * t, rtol=1e-9)


def test_adamw_without_decay_is_adam():
    a, _ = run_minidl(lambda ps: Adam(ps, lr=0.02, amsgrad=True), steps=30)
    w, _ = run_minidl(lambda ps: AdamW(ps, lr=0.02, amsgrad=True, weight_decay=0.0), steps=30)
    for x, y in zip(a, w):
        np.testing.assert_array_equal(x._array, y._array)


@pytest.mark.parametrize("options", CASES, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_matches_pytorch(name, options):
    torch = pytest.importorskip("torch")
    import minidl.optim
    ours = getattr(minidl.optim, name)
    theirs = getattr(torch.optim, name)
    params, _ = run_minidl(lambda ps: ours(ps, lr=0.02, **options))
    expected = run_torch(torch, lambda ps: theirs(ps, lr=0.02, **options))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._array, e, rtol=1e-10, atol=1e-12)
