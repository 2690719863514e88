"""Learning-rate schedulers: sequences against closed forms (and PyTorch), state round trips."""
import math
import warnings

import numpy as np
import pytest

import minidl
from minidl.optim import SGD, Adam
from minidl.optim import lr_scheduler as S

BASE_LRS = (0.1, 0.02)   # two parameter groups with different rates


def make_optimizer(kind="sgd", base_lrs=BASE_LRS, module=None):
    """An optimizer over one small tensor per group (minidl, or torch when module is given)."""
    if module is None:
        params = [minidl.zeros(2, requires_grad=True) for _ in base_lrs]
        sgd, adam = SGD, Adam
    else:
        params = [module.zeros(2, requires_grad=True) for _ in base_lrs]
        sgd, adam = module.optim.SGD, module.optim.Adam
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)]
    if kind == "sgd":
        return sgd(groups, lr=1.0, momentum=0.9)
    return adam(groups, lr=1.0)


def run_schedule(sched, opt, epochs, metrics=None):
    """The rates used in each epoch, shape (epochs, groups); also checks the groups agree."""
    rows = []
    for e in range(epochs):
        lrs = sched.get_last_lr()
        assert lrs == [g["lr"] for g in opt.param_groups]
        rows.append(lrs)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
    return np.array(rows, dtype=float)


def expected(formula, epochs, base_lrs=BASE_LRS):
    return np.array([[formula(e, base) for base in base_lrs] for e in range(epochs)])


def cosine(e, base, T, eta_min=0.0):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T)) / 2


def linear(e, base, start, end, n):
    return base * (start + (end - start) * min(e, n) / n)


# ------------------------------------------------------------------ closed forms
# (name, factory taking (lr_scheduler module, optimizer), closed form (epoch, base_lr), epochs)
CASES = [
    ("StepLR", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
     lambda e, b: b * 0.5 ** (e // 3), 20),
    ("MultiStepLR", lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.1),
     lambda e, b: b * 0.1 ** sum(m <= e for m in [2, 5, 5, 11]), 15),
    ("ExponentialLR", lambda S, o: S.ExponentialLR(o, gamma=0.9),
     lambda e, b: b * 0.9 ** e, 30),
    ("CosineAnnealingLR", lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
     lambda e, b: cosine(e, b, 10, 0.001), 45),
    ("CosineAnnealingLR-0", lambda S, o: S.CosineAnnealingLR(o, T_max=7),
     lambda e, b: cosine(e, b, 7), 20),
    ("LinearLR-warmup", lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=8),
     lambda e, b: linear(e, b, 0.25, 1.0, 8), 15),
    ("LinearLR-decay", lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=6),
     lambda e, b: linear(e, b, 1.0, 0.1, 6), 10),
    ("LambdaLR", lambda S, o: S.LambdaLR(o, lambda e: 1 / (1 + e) ** 0.5),
     lambda e, b: b / (1 + e) ** 0.5, 12),
    ("SequentialLR-warmup-cosine",
     lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                     S.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
     lambda e, b: linear(e, b, 0.1, 1.0, 5) if e < 5 else cosine(e - 5, b, 20), 30),
    ("SequentialLR-three",
     lambda S, o: S.SequentialLR(o, [S.StepLR(o, step_size=3, gamma=0.5),
                                     S.ExponentialLR(o, gamma=0.9),
                                     S.LambdaLR(o, lambda e: 1 / (e + 1))], milestones=[6, 12]),
     lambda e, b: (b * 0.5 ** (e // 3) if e < 6 else b * 0.9 ** (e - 6) if e < 12
                   else b / (e - 12 + 1)), 20),
]


@pytest.mark.parametrize("name, make, formula, epochs", CASES, ids=[c[0] for c in CASES])
def test_schedule_matches_its_closed_form(name, make, formula, epochs):
    opt = make_optimizer()
    got = run_schedule(make(S, opt), opt, epochs)
    np.testing.assert_allclose(got, expected(formula, epochs), rtol=1e-10, atol=1e-13)


def one_cycle_reference(step, max_lr, total, pct=0.3, div=25.0, final_div=1e4,
                        three_phase=False, strategy="cos", low=0.85, high=0.95):
    """(lr, momentum) of 1cycle at ``step``, as PyTorch defines the phases."""
    def anneal(start, end, pct):
        if strategy == "cos":
            return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2
        return start + (end - start) * pct
    initial = max_lr / div
    lowest = initial / final_div
    p1 = pct * total - 1
    if three_phase:
        p2 = 2 * pct * total - 2
        phases = [(0, p1, initial, max_lr, high, low), (p1, p2, max_lr, initial, low, high),
                  (p2, total - 1, initial, lowest, high, high)]
    else:
        phases = [(0, p1, initial, max_lr, high, low), (p1, total - 1, max_lr, lowest, low, high)]
    for i, (start, end, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            f = (step - start) / (end - start)
            return anneal(lr0, lr1, f), anneal(m0, m1, f)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_matches_its_phases_and_cycles_momentum(kind, strategy, three_phase):
    total, max_lrs = 40, [1.0, 0.3]
    opt = make_optimizer(kind)
    sched = S.OneCycleLR(opt, max_lr=max_lrs, total_steps=total, pct_start=0.25,
                         anneal_strategy=strategy, three_phase=three_phase, div_factor=10.0,
                         final_div_factor=100.0)
    for step in range(total):
        for group, peak in zip(opt.param_groups, max_lrs):
            lr, mom = one_cycle_reference(step, peak, total, pct=0.25, div=10.0, final_div=100.0,
                                          three_phase=three_phase, strategy=strategy)
            assert math.isclose(group["lr"], lr, rel_tol=1e-12, abs_tol=1e-15)
            got_mom = group["betas"][0] if kind == "adam" else group["momentum"]
            assert math.isclose(got_mom, mom, rel_tol=1e-12)
            if kind == "adam":
                assert group["betas"][1] == 0.999
        opt.step()
        sched.step()
    # the landmarks: starts at max/div, peaks at max, ends at max/div/final_div
    group = opt.param_groups[0]
    assert (group["initial_lr"], group["max_lr"]) == (0.1, 1.0)
    assert math.isclose(group["min_lr"], 1e-3)
    with pytest.raises(ValueError, match="total_steps=40"):
        sched.step()


def test_one_cycle_peak_and_end_values():
    opt = make_optimizer(base_lrs=(0.1,))
    sched = S.OneCycleLR(opt, max_lr=0.5, epochs=4, steps_per_epoch=25)
    lrs = run_schedule(sched, opt, 100)[:, 0]
    assert lrs.argmax() == 29 and math.isclose(lrs.max(), 0.5)
    assert math.isclose(lrs[0], 0.5 / 25) and math.isclose(lrs[-1], 0.5 / 25 / 1e4)


def test_reduce_on_plateau_min_rel():
    opt = make_optimizer()
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.1)
    metrics = [10, 9.5, 9.2, 8.0, 8.0, 7.9, 7.5, 7.4, 7.3, 7.2, 7.2]
    got = run_schedule(sched, opt, len(metrics), metrics)[:, 0]
    # rates in use before each evaluation: reductions after evaluations 7 and 10
    np.testing.assert_allclose(got / 0.1, [1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    assert sched.best == 8.0 and sched.last_epoch == len(metrics)


def test_reduce_on_plateau_max_abs_with_cooldown_and_min_lr():
    opt = make_optimizer(base_lrs=(1.0, 2.0))
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, threshold=0.5,
                                threshold_mode="abs", cooldown=2, min_lr=[0.3, 0.1])
    metrics = [1, 1.2, 2, 2.1, 2.2, 2.3, 3, 3.1, 3.2]
    got = run_schedule(sched, opt, len(metrics), metrics)
    np.testing.assert_allclose(got[:, 0], [1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3])
    np.testing.assert_allclose(got[:, 1], [2, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.25])


def test_reduce_on_plateau_accepts_tensor_metric_and_rejects_bad_settings():
    opt = make_optimizer()
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(minidl.tensor(1.0))
    sched.step(minidl.tensor(2.0))
    np.testing.assert_allclose(sched.get_last_lr(), [0.01, 0.002])
    for kwargs, message in [(dict(factor=1.0), "factor < 1.0"), (dict(mode="up"), "mode"),
                            (dict(threshold_mode="x"), "threshold_mode"),
                            (dict(min_lr=[0.1]), "2 values of min_lr")]:
        with pytest.raises(ValueError, match=message):
            S.ReduceLROnPlateau(opt, **kwargs)


# ------------------------------------------------------------------ base class
def test_creation_sets_initial_lr_and_epoch_zero():
    opt = make_optimizer()
    sched = S.ExponentialLR(opt, gamma=0.5)
    assert sched.last_epoch == 0 and sched.base_lrs == list(BASE_LRS)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert sched.get_last_lr() == list(BASE_LRS)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(make_optimizer(), step_size=2, last_epoch=4)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = make_optimizer()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"before optimizer.step\(\)"):
        sched.step()
    opt = make_optimizer()
    sched = S.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()


def test_step_with_epoch_is_deprecated_and_uses_the_closed_form():
    opt = make_optimizer()
    sched = S.CosineAnnealingLR(opt, T_max=10)
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(4)
    assert sched.last_epoch == 4
    np.testing.assert_allclose(sched.get_last_lr(), [cosine(4, b, 10) for b in BASE_LRS])


@pytest.mark.parametrize("make, error, message", [
    (lambda o: S.StepLR("optimizer", step_size=2), TypeError, "expected an Optimizer"),
    (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size > 0"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "T_max > 0"),
    (lambda o: S.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: S.LambdaLR(o, [lambda e: 1.0]), ValueError, "expected 2 values of lr_lambda"),
    (lambda o: S.LambdaLR(o, 0.5), TypeError, "callable"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]), ValueError,
     "expected 0 milestones"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], [3]), ValueError,
     "ReduceLROnPlateau"),
    (lambda o: S.SequentialLR(o, [S.StepLR(make_optimizer(), 2)], []), ValueError,
     "another optimizer"),
])
def test_bad_scheduler_settings_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer())


def test_one_cycle_needs_momentum_to_cycle():
    class NoMomentum(SGD):
        def __init__(self, params):
            super().__init__(params, lr=0.1)
            del self.defaults["momentum"]
    opt = NoMomentum([minidl.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    S.OneCycleLR(opt, max_lr=1.0, total_steps=5, cycle_momentum=False)


# ------------------------------------------------------------------ state dicts
class Halving:
    """A callable object as lr_lambda: its attributes travel in the state dict."""

    def __init__(self):
        self.rate = 0.5

    def __call__(self, epoch):
        return self.rate ** epoch


ROUND_TRIP = CASES + [
    ("OneCycleLR", lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.2], total_steps=30,
                                             three_phase=True), None, 30),
    ("LambdaLR-object", lambda S, o: S.LambdaLR(o, [Halving(), lambda e: 0.9 ** e]), None, 12),
    ("ReduceLROnPlateau", lambda S, o: S.ReduceLROnPlateau(o, patience=1, cooldown=1), None, 20),
]


def _is_plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, (int, str)) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, (int, float, str, bool)) or value is None


@pytest.mark.parametrize("name, make, formula, epochs", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_round_trip_continues_the_same_schedule(name, make, formula, epochs):
    metrics = [5.0 / (1 + e % 7) for e in range(epochs)]   # improves, then stalls, repeatedly

    def step(opt, sched, e):
        opt.step()
        sched.step(metrics[e]) if isinstance(sched, S.ReduceLROnPlateau) else sched.step()

    def momenta(opt):
        return [g.get("momentum") for g in opt.param_groups]

    opt = make_optimizer()
    sched = make(S, opt)
    full = []
    for e in range(epochs):
        full.append((sched.get_last_lr(), momenta(opt)))
        step(opt, sched, e)

    k = 7
    opt = make_optimizer()
    sched = make(S, opt)
    resumed = []
    for e in range(k):
        resumed.append((sched.get_last_lr(), momenta(opt)))
        step(opt, sched, e)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert _is_plain(sched_state) and "optimizer" not in sched_state

    opt = make_optimizer()       # a fresh run: build both, then load both
    sched = make(S, opt)
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    for e in range(k, epochs):
        resumed.append((sched.get_last_lr(), momenta(opt)))
        step(opt, sched, e)
    assert resumed == full
    if name == "LambdaLR-object":
        assert sched_state["lr_lambdas"] == [{"rate": 0.5}, None]


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("name, make, formula, epochs", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_schedule_matches_pytorch(name, make, formula, epochs):
    torch = pytest.importorskip("torch")
    metrics = [5.0 / (1 + e % 7) for e in range(epochs)]
    plateau = name == "ReduceLROnPlateau"
    sequences = []
    for module, sched_module in [(None, S), (torch, torch.optim.lr_scheduler)]:
        opt = make_optimizer(module=module)
        sched = make(sched_module, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seq = run_schedule(sched, opt, epochs, metrics if plateau else None)
        sequences.append(seq)
    np.testing.assert_allclose(sequences[0], sequences[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("options", [dict(), dict(three_phase=True, anneal_strategy="linear"),
                                     dict(pct_start=0.5, div_factor=5.0, final_div_factor=50.0)])
def test_one_cycle_momentum_matches_pytorch(kind, options):
    torch = pytest.importorskip("torch")
    runs = []
    for module, sched_module in [(None, S), (torch, torch.optim.lr_scheduler)]:
        opt = make_optimizer(kind, module=module)
        sched = sched_module.OneCycleLR(opt, max_lr=[0.5, 0.1], total_steps=23, **options)
        rows = []
        for _ in range(23):
            g = opt.param_groups[1]
            rows.append([g["lr"], g["betas"][0] if kind == "adam" else g["momentum"]])
            opt.step()
            sched.step()
        runs.append(rows)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)
