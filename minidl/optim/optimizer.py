"""``Optimizer``: the bookkeeping every optimizer shares.

An optimizer holds

* ``param_groups``: a list of dicts, each with ``"params"`` (a list of tensors) and the
  hyper-parameters for those tensors (``"lr"``, ``"momentum"``, ...). A single group is
  the common case; several groups give, e.g., a smaller learning rate to a pre-trained
  backbone than to a new head;
* ``state``: a dict from parameter to that parameter's own dict of running quantities
  (momentum buffer, Adam's moments, the step count ...), created on its first update;
* ``defaults``: the hyper-parameters a group gets when it does not name them.

``step()`` loops over the groups and their parameters, skips frozen ones (no ``.grad`` or
``requires_grad=False``) and hands each remaining one to the subclass's ``_update``, which
holds the update rule and nothing else. Updates write into the parameter's array in place,
so every other reference to the parameter (the model, a second optimizer, a checkpoint)
sees them, and each update counts as an in-place change (the storage's version goes up),
so a backward through a graph recorded before ``step()`` is refused rather than computed
from the new values (docs/autograd.md).

Example:
    >>> import minidl
    >>> from minidl.optim import SGD
    >>> w = minidl.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5)
    >>> (w * w).backward(gradient=minidl.ones(2))    # dL/dw = 2w
    >>> opt.step()
    >>> w.tolist()                                    # w - 0.5 * 2w
    [0.0, 0.0]
    >>> opt.zero_grad()
    >>> w.grad is None
    True
"""
from __future__ import annotations

import numbers
from collections import defaultdict

import numpy as np

from ..autograd import version
from ..autograd.grad_mode import enable_grad
from ..backend import array_module, device_of, to_device
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks a hyper-parameter that has no default: every group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of all optimizers: parameter groups, per-parameter state, checkpoints.

    A subclass passes its hyper-parameters as ``defaults`` and implements
    ``_update(p, grad, state, group)``: the rule for one parameter, written on raw arrays
    (``p`` is the parameter's array, ``grad`` its gradient's) and changing ``p`` in place.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) each with a
            ``"params"`` entry and any hyper-parameters that differ from ``defaults``.
        defaults: the hyper-parameters of groups that do not set them.

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> a = minidl.zeros(2, requires_grad=True)
        >>> b = minidl.zeros(3, requires_grad=True)
        >>> opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.01]
    """

    def __init__(self, params, defaults: dict):
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, got a single "
                f"Tensor of shape {params.shape}; pass [tensor] or model.parameters()")
        if isinstance(params, dict):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, got one dict; "
                "pass a list of parameter groups, [dict(params=..., lr=...)]")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters must be given in a fixed order (a list, "
                            "not a set), or checkpoints would not load reliably")
        self.defaults = dict(defaults)
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._step_count = 0   # lets a learning-rate scheduler notice a missing optimizer.step()

        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{name}: got an empty parameter list (did the model create "
                             "its parameters, or are they all filtered out?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (fine-tuning, unfreezing).

        Args:
            param_group: a dict with ``"params"`` (a tensor or an iterable of tensors) and
                any hyper-parameters; the missing ones are taken from ``defaults``.

        Example:
            >>> import minidl
            >>> from minidl.optim import SGD
            >>> opt = SGD([minidl.zeros(2, requires_grad=True)], lr=0.1)
            >>> opt.add_param_group({"params": minidl.zeros(3, requires_grad=True), "lr": 0.5})
            >>> len(opt.param_groups), opt.param_groups[1]["lr"]
            (2, 0.5)
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters must be given in a fixed order (a list, "
                            "not a set), or checkpoints would not load reliably")
        else:
            params = list(params)

        seen = set()
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but one of the params "
                                f"is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (one made by an "
                                 "op); optimize the tensors it was computed from")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter of shape {p.shape} appears twice in "
                                 "one parameter group")
            seen.add(id(p))

        group = {"params": params}
        for key, value in param_group.items():
            if key != "params":
                group[key] = value
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of the "
                                 f"required hyper-parameter {key!r}")
            group.setdefault(key, default)

        for other in self.param_groups:
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(f"{name}: some parameters appear in more than one parameter "
                                 "group; each tensor may belong to one group only")
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """Raise a clear error for invalid hyper-parameters (subclasses add their checks)."""
        _check(self, group, "lr", group.get("lr", 0.0) >= 0, "lr >= 0")

    # ------------------------------------------------------------------ steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters, before the next ``backward()``.

        Args:
            set_to_none: set ``p.grad = None`` (the default, and the cheapest); otherwise
                give each gradient a fresh array of zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    # a fresh array, not an in-place fill: the engine may have handed the
                    # same gradient array to several tensors (or to the caller)
                    p.grad._array = array_module(p.grad._array).zeros_like(p.grad._array)

    def step(self, closure=None):
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional function that recomputes the loss (clearing gradients and
                calling ``backward`` itself) and returns it; it is run first, with
                gradient recording on.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or not p.requires_grad:   # frozen: nothing to do
                    continue
                state = self.state[p]
                if state:
                    _follow(state, p._array)
                self._update(p._array, p.grad._array, state, group)
                version.bump(p._array, f"{type(self).__name__}.step")
        self._step_count += 1
        return loss

    def _update(self, p, grad, state: dict, group: dict) -> None:
        """Change the array ``p`` in place, given its gradient array, state dict and group."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict:
        """A snapshot of the optimizer: its per-parameter state and its groups' settings.

        Parameters are named by their position, counted over all groups in order, so the
        dict holds only numbers, strings, tuples, lists of indices and arrays (copies,
        on the parameters' device), and can be loaded into an optimizer built over a
        fresh copy of the model.

        Returns:
            ``{"state": {index: {name: array or number}}, "param_groups": [dict, ...]}``
            where each group's ``"params"`` is its list of indices.

        Example:
            >>> import minidl
            >>> from minidl.optim import SGD
            >>> w = minidl.ones(2, requires_grad=True)
            >>> opt = SGD([w], lr=0.1, momentum=0.9)
            >>> w.grad = minidl.ones(2); opt.step()
            >>> sd = opt.state_dict()
            >>> sd["param_groups"][0]["params"], list(sd["state"][0])
            ([0], ['momentum_buffer'])
        """
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index_of[id(p)] = len(index_of)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index_of[id(p)]] = {key: _snapshot(value)
                                              for key, value in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a snapshot made by :meth:`state_dict` (possibly of another optimizer object).

        The groups must match this optimizer's in number and size. State arrays are copied
        to each parameter's device (floating-point ones also to its dtype); the group
        settings (learning rate, ``initial_lr`` set by a scheduler, ...) are taken from
        the snapshot.

        Args:
            state_dict: a dict returned by :meth:`state_dict` (integer or digit-string keys).
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', got {type(state_dict).__name__}"
                             + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict)
                                else ""))
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} "
                             f"parameter groups, this optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(group['params'])} "
                    f"parameters here but {len(saved['params'])} in the saved state")

        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for p, index in zip(group["params"], saved["params"]):
                param_of[int(index)] = p

        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            index = int(key)
            if index not in param_of:
                raise ValueError(f"{name}.load_state_dict: the saved state names parameter "
                                 f"{index}, but there are only {len(param_of)} parameters")
            p = param_of[index]
            state[p] = {k: _restore(v, p, k) for k, v in values.items()}

        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {k: _plain(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            groups.append(new_group)
        self.state = state
        self.param_groups = groups

    # --------------------------------------------------------------- printing
    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


# ---------------------------------------------------------------------- helpers
def _check(optimizer, group: dict, key: str, ok: bool, expected: str) -> None:
    """Raise ``ValueError`` naming the optimizer, the setting, its value and what was expected."""
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: invalid {key}={group[key]!r}, "
                         f"expected {expected}")


def _follow(state: dict, p) -> None:
    """Move ``state``'s arrays to the device of the parameter array ``p``, if it moved.

    ``model.to(device)`` replaces each parameter's array in place, so an optimizer built
    before the move still holds the right parameters, but the state it made before the
    move (momentum buffers, Adam's moments) is still on the old device. It follows here,
    on the first step after the move; a no-op otherwise (one type check per array).
    """
    for key, value in state.items():
        if not hasattr(value, "shape") or isinstance(value, np.generic):
            continue  # a number (the step count)
        if type(value) is not type(p) or (
                not isinstance(p, np.ndarray) and device_of(value) != device_of(p)):
            state[key] = to_device(value, device_of(p))


def _snapshot(value):
    """A copy of a state entry: arrays are copied, numbers kept."""
    if isinstance(value, Tensor):
        value = value._array
    if hasattr(value, "shape") and not isinstance(value, np.generic):
        return value.copy()
    return value


def _restore(value, p, key: str):
    """A saved state entry made ready for parameter ``p``: on its device, in its dtype."""
    if isinstance(value, Tensor):
        value = value._array
    if key == "step":   # a count, whatever container it travelled in
        return int(value)
    if isinstance(value, numbers.Number) or isinstance(value, np.generic):
        return value
    array = to_device(value, p.device)
    if array.dtype.kind == "f" and array.dtype != p.dtype:
        return array.astype(p.dtype)
    return array.copy() if array is value else array


def _plain(value):
    """A group setting from a checkpoint: a list becomes a tuple (betas), a 0-d array a number."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, np.generic) or (hasattr(value, "shape") and value.shape == ()):
        return value.item()
    return value
