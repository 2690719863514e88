"""The Optimizer base class: groups, errors, frozen parameters, zero_grad, closures, checkpoints."""
import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import minidl
import minidl.optim
from minidl.optim import SGD, Adam, AdamW, Optimizer, RMSprop
from minidl.optim import adam, lr_scheduler, optimizer, rmsprop, sgd

from tests.strict_device import StrictArray

from .problems import make_params, minidl_backward, run_minidl

ROOT = Path(__file__).resolve().parents[2]

ALL_OPTIMIZERS = [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.02, amsgrad=True, weight_decay=0.01),
    lambda ps: AdamW(ps, lr=0.02),
    lambda ps: RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
]
IDS = ["SGD", "Adam", "AdamW", "RMSprop"]


# ------------------------------------------------------------------------ groups
def test_tensors_become_one_group_with_the_defaults():
    params = make_params()
    opt = SGD(iter(params), lr=0.1, momentum=0.9)   # any iterable, e.g. model.parameters()
    assert len(opt.param_groups) == 1
    group = opt.param_groups[0]
    assert group["params"] == params or all(a is b for a, b in zip(group["params"], params))
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.1, 0.9, False)
    assert opt.defaults["lr"] == 0.1


def test_groups_override_only_what_they_name():
    a, b = make_params()
    opt = Adam([{"params": [a], "lr": 0.5}, {"params": b, "betas": (0.5, 0.6)}], lr=0.1)
    g0, g1 = opt.param_groups
    assert (g0["lr"], g0["betas"]) == (0.5, (0.9, 0.999))
    assert (g1["lr"], g1["betas"]) == (0.1, (0.5, 0.6))
    assert g1["params"][0] is b   # a lone tensor in a group is wrapped in a list


def test_add_param_group_then_step_uses_its_lr():
    a, b = make_params()
    opt = SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.0})
    start_b = b._array.copy()
    minidl_backward([a, b])
    start_a = a._array.copy()
    opt.step()
    assert not np.array_equal(a._array, start_a)
    np.testing.assert_array_equal(b._array, start_b)   # lr 0: unchanged


@pytest.mark.parametrize("make, error, message", [
    (lambda a, b: SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda a, b: SGD(a, lr=0.1), TypeError, "single Tensor"),
    (lambda a, b: SGD({"params": [a]}, lr=0.1), TypeError, "one dict"),
    (lambda a, b: SGD({a, b}, lr=0.1), TypeError, "not a set"),
    (lambda a, b: SGD([a, np.zeros(3)], lr=0.1), TypeError, "can only optimize Tensors"),
    (lambda a, b: SGD([a * 2], lr=0.1), ValueError, "non-leaf"),
    (lambda a, b: SGD([a, a], lr=0.1), ValueError, "appears twice"),
    (lambda a, b: SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1), ValueError,
     "more than one parameter group"),
    (lambda a, b: SGD([{"lr": 0.1}], lr=0.1), ValueError, "'params' entry"),
    (lambda a, b: SGD([{"params": [a], "lr": -0.5}], lr=0.1), ValueError,
     r"SGD: invalid lr=-0.5, expected lr >= 0"),
])
def test_bad_params_and_groups_raise_clear_errors(make, error, message):
    a, b = make_params()
    with pytest.raises(error, match=message):
        make(a, b)


def test_add_param_group_refuses_a_parameter_already_optimized():
    a, b = make_params()
    opt = SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1


def test_required_hyperparameter_must_be_given():
    class Plain(Optimizer):
        def __init__(self, params, lr=minidl.optim.required):
            super().__init__(params, dict(lr=lr))

        def _update(self, p, grad, state, group):
            p -= group["lr"] * grad

    a, b = make_params()
    with pytest.raises(ValueError, match="required hyper-parameter 'lr'"):
        Plain([a])
    opt = Plain([{"params": [a], "lr": 0.5}])
    a.grad = minidl.ones(*a.shape, dtype=a.dtype)
    start = a._array.copy()
    opt.step()
    np.testing.assert_allclose(a._array, start - 0.5)


# ----------------------------------------------------------------- frozen, zero_grad
@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=IDS)
def test_frozen_parameters_are_skipped(make):
    a, b = make_params()
    c = minidl.tensor(np.ones(4), requires_grad=True)    # never gets a gradient
    opt = make([a, b, c])
    b_start, c_start = b._array.copy(), c._array.copy()
    minidl_backward([a, b])
    b.requires_grad_(False)                                  # frozen after backward
    opt.step()
    np.testing.assert_array_equal(b._array, b_start)
    np.testing.assert_array_equal(c._array, c_start)
    assert b not in opt.state and c not in opt.state
    assert a in opt.state and opt.state[a]


def test_zero_grad_sets_none_or_fresh_zeros():
    a, b = make_params()
    opt = SGD([a, b], lr=0.1)
    minidl_backward([a, b])
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    minidl_backward([a, b])
    old = a.grad._array
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not a.grad._array.any() and a.grad.shape == a.shape
    assert old is not a.grad._array    # a new array: the old one may be shared elsewhere


def test_step_with_closure_returns_its_loss_and_records_grad_under_no_grad():
    w = minidl.tensor([3.0], requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w - 1.0) ** 2
        loss.backward()
        return loss

    with minidl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    assert w.item() == 3.0 - 0.25 * 4.0


def test_step_counts_and_repr_lists_groups():
    a, b = make_params()
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and text.endswith(")")
    assert "    lr: 0.1\n" in text and "    lr: 0.5\n" in text and "Parameter Group 1" in text
    assert "    momentum: 0.9" in text and "params" not in text
    keys = re.findall(r"^    (\w+):", text.split("Parameter Group 1")[0], re.M)
    assert keys == sorted(keys)


# ------------------------------------------------------------------ state dicts
def _is_plain(value) -> bool:
    """What a checkpoint can hold: dicts, lists/tuples, numbers, strings, bools, arrays."""
    if isinstance(value, dict):
        return all(isinstance(k, (int, str)) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, (int, float, str, bool, np.ndarray, minidl.Tensor)) or value is None


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=IDS)
def test_state_dict_is_indexed_plain_and_a_snapshot(make):
    params, opt = run_minidl(make, steps=3)
    sd = opt.state_dict()
    assert _is_plain(sd)
    assert sorted(sd["state"]) == [0, 1]
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["state"][0]["step" if "step" in sd["state"][0] else "momentum_buffer"] is not None
    before = {k: v.copy() for k, v in sd["state"][0].items() if isinstance(v, np.ndarray)}
    minidl_backward(params)
    opt.step()                       # the snapshot must not change with the optimizer
    for k, v in before.items():
        np.testing.assert_array_equal(sd["state"][0][k], v)


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=IDS)
def test_state_dict_round_trip_continues_exactly(make):
    # uninterrupted: 100 steps
    full, _ = run_minidl(make, steps=100)
    # interrupted: 40 steps, save, fresh parameters and optimizer, load, 60 more steps
    first, opt = run_minidl(make, steps=40)
    sd = opt.state_dict()
    resumed = [minidl.tensor(p._array.copy(), requires_grad=True) for p in first]
    opt2 = make(resumed)
    opt2.load_state_dict(sd)
    for _ in range(60):
        opt2.zero_grad()
        minidl_backward(resumed)
        opt2.step()
    for p, q in zip(full, resumed):
        np.testing.assert_array_equal(p._array, q._array)
    # the loaded state is the new optimizer's own
    for p, q in zip(first, resumed):
        for key, value in opt2.state[q].items():
            if isinstance(value, np.ndarray):
                assert not np.shares_memory(value, opt.state[p][key])


def test_load_state_dict_restores_group_settings_and_accepts_checkpoint_forms():
    params, opt = run_minidl(lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.9)), steps=5)
    sd = opt.state_dict()
    sd["param_groups"][0]["initial_lr"] = 0.02
    # what a JSON manifest gives back: string keys, lists for tuples, arrays for numbers
    sd = {"state": {str(k): {name: (np.asarray(v) if name == "step" else v)
                             for name, v in s.items()} for k, s in sd["state"].items()},
          "param_groups": [dict(g, betas=list(g["betas"])) for g in sd["param_groups"]]}
    opt2 = Adam(make_params(), lr=0.5)
    opt2.load_state_dict(sd)
    group = opt2.param_groups[0]
    assert (group["lr"], group["betas"], group["initial_lr"]) == (0.02, (0.8, 0.9), 0.02)
    p0 = opt2.param_groups[0]["params"][0]
    assert opt2.state[p0]["step"] == 5 and isinstance(opt2.state[p0]["step"], int)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    _, opt = run_minidl(lambda ps: SGD(ps, lr=0.05, momentum=0.9), steps=3)
    params32 = make_params(np.float32)
    opt32 = SGD(params32, lr=0.05, momentum=0.9)
    opt32.load_state_dict(opt.state_dict())
    assert all(opt32.state[p]["momentum_buffer"].dtype == np.float32 for p in params32)
    minidl_backward(params32)
    opt32.step()
    assert all(p.dtype == np.float32 for p in params32)


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd["param_groups"].append({"params": []}), "2 parameter groups"),
    (lambda sd: sd["param_groups"][0]["params"].pop(), "group 0 has 2 parameters here but 1"),
    (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
    (lambda sd: sd["state"].update({5: {}}), "names parameter 5"),
])
def test_load_state_dict_validates(change, message):
    _, opt = run_minidl(lambda ps: SGD(ps, lr=0.05, momentum=0.9), steps=2)
    sd = opt.state_dict()
    change(sd)
    opt2 = SGD(make_params(), lr=0.05, momentum=0.9)
    with pytest.raises(ValueError, match=message):
        opt2.load_state_dict(sd)


def test_load_state_dict_with_groups_maps_indices_across_groups():
    def make(ps):
        return SGD([{"params": [ps[1]], "lr": 0.01}, {"params": [ps[0]]}], lr=0.1, momentum=0.9)
    params, opt = run_minidl(make, steps=4)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    fresh = make_params()
    opt2 = make(fresh)
    opt2.load_state_dict(sd)
    for p, q in zip(params, fresh):
        np.testing.assert_array_equal(opt2.state[q]["momentum_buffer"],
                                      opt.state[p]["momentum_buffer"])
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["params"][0] is fresh[1]


# ------------------------------------------------------------ docs and doctests
@pytest.mark.parametrize("module", [minidl.optim, optimizer, sgd, adam, rmsprop, lr_scheduler],
                         ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_docs_optimizers_md_examples_run():
    path = ROOT / "docs" / "optimizers.md"
    text = path.read_text()
    blocks = list(re.finditer(r"```python\n(.*?)```", text, re.S))
    assert len(blocks) >= 3
    namespace = {}
    for block in blocks:   # blocks build on each other, as in a lecture
        # pad with blank lines so that a traceback names the line in the markdown file
        first_line = text.count("\n", 0, block.start(1))
        source = "\n" * first_line + block.group(1)
        exec(compile(source, str(path), "exec"), namespace)


# ------------------------------------------------------------ a second device
# The strict stand-in device (tests/strict_device.py) refuses, as CuPy does, any mixing
# of its arrays with host NumPy arrays, so an optimizer that made a state array with
# NumPy instead of ``array_module(p)`` fails here.


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=IDS)
def test_optimizers_run_on_another_device_and_state_moves_on_load(make, strict):
    rng = np.random.default_rng(5)
    grads = [[rng.normal(size=s) for s in (p.shape for p in make_params())] for _ in range(6)]

    def run(on_device, steps, params=None, opt=None):
        wrap = (lambda a: minidl.tensor(a, device=strict)) if on_device else \
            (lambda a: minidl.tensor(a))
        if params is None:
            params = [wrap(p._array).requires_grad_() for p in make_params()]
            opt = make(params)
        for step in steps:
            for p, g in zip(params, grads[step]):
                p.grad = wrap(g)
            opt.step()
        return params, opt

    host, host_opt = run(False, range(6))
    dev, dev_opt = run(True, range(6))
    for h, d in zip(host, dev):
        assert str(d.device) == "strict:0" and isinstance(d._array, StrictArray)
        np.testing.assert_array_equal(h._array, d.numpy())
        for value in dev_opt.state[d].values():
            assert not isinstance(value, np.ndarray)

    # a host checkpoint loaded into a device optimizer puts the state on the device
    half, half_opt = run(False, range(3))
    moved = [minidl.tensor(p._array, device=strict).requires_grad_() for p in half]
    moved_opt = make(moved)
    moved_opt.load_state_dict(half_opt.state_dict())
    run(True, range(3, 6), moved, moved_opt)
    for h, d in zip(host, moved):
        np.testing.assert_array_equal(h._array, d.numpy())


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=IDS)
def test_state_follows_a_model_moved_after_the_optimizer_was_built(make, strict):
    """model.to(device) moves parameters in place; their state follows on the next step."""
    rng = np.random.default_rng(7)
    grads = [[rng.normal(size=s) for s in (p.shape for p in make_params())] for _ in range(4)]

    def run(move_after):
        params = [minidl.tensor(p._array).requires_grad_() for p in make_params()]
        opt = make(params)
        for step in range(4):
            if step == move_after:
                for p in params:  # what Module.to does: the same Parameter, new data
                    p._array = minidl.backend.to_device(p._array, strict)
            for p, g in zip(params, grads[step]):
                p.grad = minidl.tensor(g, device=p.device)
            opt.step()
        return params, opt

    reference, _ = run(move_after=None)
    moved, opt = run(move_after=2)          # two steps on the CPU, two on the device
    for r, m in zip(reference, moved):
        assert isinstance(m._array, StrictArray)
        np.testing.assert_allclose(m.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)
        for value in opt.state[m].values():
            assert not isinstance(value, np.ndarray), "a state array stayed on the CPU"

