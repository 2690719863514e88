"""Learning-rate schedules: change each parameter group's ``"lr"`` as training goes on.

A scheduler wraps an optimizer. Call ``scheduler.step()`` once per epoch (or once per
batch, for schedules counted in batches such as OneCycleLR), after ``optimizer.step()``::

    for epoch in range(epochs):
        train_one_epoch(model, optimizer)     # calls optimizer.step() for each batch
        scheduler.step()                      # lr for the next epoch

``last_epoch`` counts the calls to ``step()``: the optimizer uses, during epoch e, the
learning rate that the scheduler computed for ``last_epoch = e``. On creation a
scheduler stores each group's starting rate as ``group["initial_lr"]`` (kept in
``base_lrs``) and computes the rate for epoch 0.

Most schedules are written the way PyTorch writes them, as a factor applied to the
group's current rate ("chainable"), so that another scheduler, or a hand edit of
``group["lr"]``, composes with them; each also has its closed form, used by
``SequentialLR`` when it starts a schedule anew. The sequences equal PyTorch's.

Example:
    >>> import minidl
    >>> from minidl.optim import SGD
    >>> from minidl.optim.lr_scheduler import StepLR
    >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""
from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right

from .optimizer import Optimizer

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "LinearLR", "OneCycleLR", "SequentialLR", "ReduceLROnPlateau",
]


def _check_optimizer(scheduler_name: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{scheduler_name}: expected an Optimizer (e.g. minidl.optim.SGD), "
                        f"got {type(optimizer).__name__}")


def _per_group(scheduler_name: str, name: str, optimizer, value) -> list:
    """One value per parameter group: a list/tuple of that length, or one value for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{scheduler_name}: expected {len(optimizer.param_groups)} values "
                             f"of {name} (one per parameter group), got {len(value)}")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class of the schedulers that compute a learning rate from the step count.

    A subclass implements ``get_lr()``: the rates for ``self.last_epoch``, usually from
    the groups' current rates (``group["lr"]``) or from ``self.base_lrs``; optionally
    ``_closed_form_lr()``, the same rates computed from ``base_lrs`` alone.

    Args:
        optimizer: the optimizer whose groups' ``"lr"`` to set.
        last_epoch: index of the last epoch done, to resume a schedule with a fresh
            scheduler (the groups must then hold ``"initial_lr"``); -1 starts anew.

    Attributes:
        base_lrs: the groups' starting rates.
        last_epoch: the number of ``step()`` calls so far (0 right after creation).
    """

    _not_saved = ("optimizer", "_is_initial")   # attributes state_dict() leaves out

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr'; a "
                        "scheduler resumed with last_epoch != -1 needs an optimizer that was "
                        "scheduled before (load its state_dict first)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Compute the rate for the first epoch (called on creation)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for ``self.last_epoch`` (one per group); subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def _closed_form_lr(self) -> list:
        """The rates for ``self.last_epoch`` computed from ``base_lrs`` (default: get_lr)."""
        return self.get_lr()

    def get_last_lr(self) -> list:
        """The learning rates the scheduler set last, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch and set each group's ``"lr"``.

        Args:
            epoch: deprecated in PyTorch and here: jump to this epoch (closed form).
        """
        if self._step_count == 1 and getattr(self.optimizer, "_step_count", 1) == 0:
            warnings.warn(
                f"{type(self).__name__}.step() was called before optimizer.step(); call "
                "optimizer.step() first in each epoch, or the first learning rate of the "
                "schedule is skipped", UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(f"{type(self).__name__}.step(epoch) is deprecated: call step() "
                          "without an argument once per epoch", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Move to the next epoch (or to ``epoch``) and write the new rates into the groups."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """The scheduler's state (step count, rates, settings) as a dict of plain values."""
        return copy.deepcopy({key: value for key, value in self.__dict__.items()
                              if key not in self._not_saved})

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state from :meth:`state_dict` (load the optimizer's state too)."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"


class LambdaLR(LRScheduler):
    """Learning rate = initial rate times ``lr_lambda(epoch)``.

    Args:
        optimizer: the optimizer to schedule.
        lr_lambda: function epoch -> factor, or a list of them (one per group).
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
        >>> warmup = LambdaLR(opt, lambda epoch: min(1.0, (epoch + 1) / 4))
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(warmup.get_last_lr()[0]); opt.step(); warmup.step()
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _not_saved = LRScheduler._not_saved + ("lr_lambdas",)

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        # eta_t = eta_0 * lambda(t)
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict:
        """As the base class; a callable object's attributes are saved, functions are not."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else
                               copy.deepcopy(vars(fn)) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, saved in zip(self.lr_lambdas, saved_lambdas):
            if saved is not None:
                vars(fn).update(copy.deepcopy(saved))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = initial_lr * gamma ** (epoch // step_size)``

    Args:
        optimizer: the optimizer to schedule.
        step_size: epochs between two decays.
        gamma: the decay factor.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)     # 0.1, then 0.01 from epoch 30
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        if step_size <= 0:
            raise ValueError(f"StepLR: expected step_size > 0, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        # eta_t = gamma * eta_{t-1} when t is a positive multiple of step_size, else eta_{t-1}
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each of the given epochs.

    ``lr(epoch) = initial_lr * gamma ** (number of milestones <= epoch)``

    Args:
        optimizer: the optimizer to schedule.
        milestones: epochs at which to decay (increasing; a repeated epoch decays twice).
        gamma: the decay factor.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = MultiStepLR(opt, milestones=[100, 150], gamma=0.1)   # CIFAR ResNet recipe
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        # eta_t = gamma^k * eta_{t-1}, k = how many milestones equal t
        k = self.milestones.count(self.last_epoch)
        if k == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma ** k for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list:
        k = bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma ** k for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    ``lr(epoch) = initial_lr * gamma ** epoch``

    Args:
        optimizer: the optimizer to schedule.
        gamma: the decay factor per epoch.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:   # creating the scheduler does not decay
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]   # gamma eta

    def _closed_form_lr(self) -> list:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial rate down to ``eta_min`` over ``T_max`` epochs.

    The closed form (SGDR, Loshchilov & Hutter, without restarts) is::

        eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2

    and, as in PyTorch, it is applied as the ratio of two consecutive values (T = T_max)::

        eta_t = eta_min + (eta_{t-1} - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))

    which equals the closed form (up to rounding) and composes with other changes of the
    rate. Past ``T_max`` the rate climbs back up along the same cosine (period 2 T_max).

    Args:
        optimizer: the optimizer to schedule.
        T_max: number of epochs (or steps) of the descent.
        eta_min: the final learning rate.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4)); opt.step(); sched.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: expected T_max > 0, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (t - 1 - T) % (2 * T) == 0:
            # at the bottom (t - 1 = T) the ratio below is 0/0: step up by the closed form's rise
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [eta_min + (group["lr"] - eta_min) * ratio for group in groups]

    def _closed_form_lr(self) -> list:
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor going linearly from ``start_factor`` to ``end_factor``.

    ``lr(epoch) = initial_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``,
    applied, as in PyTorch, as the ratio of consecutive factors. The usual use is a warm-up.

    Args:
        optimizer: the optimizer to schedule.
        start_factor: the factor at epoch 0, in (0, 1].
        end_factor: the factor from epoch ``total_iters`` on, in [0, 1].
        total_iters: the number of epochs of the ramp.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4)); opt.step(); sched.step()
        >>> lrs
        [0.025, 0.05, 0.075, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: expected 0 < start_factor <= 1, got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: expected 0 <= end_factor <= 1, got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        groups = self.optimizer.param_groups
        start, end, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [group["lr"] * start for group in groups]
        if self._is_initial or t > n:
            return [group["lr"] for group in groups]
        # factor_t / factor_{t-1} = 1 + (end - start) / (n * start + (t - 1) * (end - start))
        ratio = 1.0 + (end - start) / (n * start + (t - 1) * (end - start))
        return [group["lr"] * ratio for group in groups]

    def _closed_form_lr(self) -> list:
        factor = (self.start_factor + (self.end_factor - self.start_factor)
                  * min(self.total_iters, self.last_epoch) / self.total_iters)
        return [base_lr * factor for base_lr in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): warm up to ``max_lr``, then anneal far below the start.

    Counted in batches: call ``step()`` after every batch, ``total_steps`` times at most.
    The rate starts at ``max_lr / div_factor``, rises to ``max_lr`` over the first
    ``pct_start`` of the steps, then falls to ``initial_lr / final_div_factor``. With
    ``three_phase`` it first comes back down to the starting rate symmetrically, then falls
    to the minimum. Momentum (SGD's ``momentum``, or Adam's beta1) moves the opposite way,
    between ``max_momentum`` and ``base_momentum``, when ``cycle_momentum``.

    Each phase anneals from its start value s to its end value e with
    ``pct = (step - phase_start) / (phase_end - phase_start)``::

        cos:    e + (s - e) * (1 + cos(pi * pct)) / 2
        linear: s + (e - s) * pct

    Args:
        optimizer: the optimizer to schedule.
        max_lr: the peak learning rate (or one per group).
        total_steps: number of steps in the cycle (or give ``epochs`` and ``steps_per_epoch``).
        epochs: number of epochs, with ``steps_per_epoch``.
        steps_per_epoch: number of batches per epoch.
        pct_start: fraction of the cycle spent increasing the rate.
        anneal_strategy: ``'cos'`` or ``'linear'``.
        cycle_momentum: also cycle momentum (or beta1) inversely to the rate.
        base_momentum: the momentum at the peak rate (or one per group).
        max_momentum: the momentum at the start and end (or one per group).
        div_factor: initial_lr = max_lr / div_factor.
        final_div_factor: min_lr = initial_lr / final_div_factor.
        three_phase: come back to the initial rate before annihilating it.
        last_epoch: index of the last batch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy='linear')
        >>> lrs, momenta = [], []
        >>> for _ in range(10):
        ...     lrs.append(round(sched.get_last_lr()[0], 3))
        ...     momenta.append(round(opt.param_groups[0]["momentum"], 3))
        ...     opt.step(); sched.step()
        >>> lrs[:4], lrs[-1]
        ([0.04, 0.52, 1.0, 0.857], 0.0)
        >>> momenta[:4], momenta[-1]
        ([0.95, 0.9, 0.85, 0.864], 0.95)
    """

    def __init__(self, optimizer: Optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        _check_optimizer("OneCycleLR", optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: expected a positive integer total_steps, "
                                 f"got {total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: expected a positive integer {name}, "
                                     f"got {value!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps, or both epochs and "
                             "steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected 0 <= pct_start <= 1, got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy

        # Phases: (last step of the phase, group key of the start lr, of the end lr,
        # of the start momentum, of the end momentum)
        warmup_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                dict(end_step=warmup_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * self.total_steps) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]
        else:
            self._schedule_phases = [
                dict(end_step=warmup_end, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
            ]

        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: cycle_momentum needs an optimizer with momentum "
                                 f"or betas, {type(optimizer).__name__} has neither; pass "
                                 "cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            max_moms = _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
            base_moms = _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, top, bottom in zip(optimizer.param_groups, max_moms, base_moms):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times, but the cycle has "
                             f"total_steps={self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            phase_start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                last = i == len(self._schedule_phases) - 1
                if step <= phase["end_step"] or last:
                    pct = (step - phase_start) / (phase["end_step"] - phase_start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct))
                    break
                phase_start = phase["end_step"]
        return lrs


class SequentialLR(LRScheduler):
    """Run schedulers one after another, switching at the given epochs (e.g. warm-up, then cosine).

    Args:
        optimizer: the optimizer all the schedulers were made for.
        schedulers: the schedulers, in order.
        milestones: the epochs at which to switch to the next one (one fewer than schedulers);
            each scheduler restarts from its own epoch 0 when it takes over.
        last_epoch: index of the last epoch done (-1: start anew).

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    _not_saved = ("optimizer", "_schedulers")

    def __init__(self, optimizer: Optimizer, schedulers, milestones, last_epoch: int = -1):
        _check_optimizer("SequentialLR", optimizer)
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expected at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, whose "
                                 "step() needs a metric; it cannot be sequenced")
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(scheduler).__name__}) "
                                 "belongs to another optimizer than the one given")
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1

        # Creating each scheduler set the rate for its epoch 0; undo all that, then let the
        # first scheduler alone set the starting rate.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            _undo_initial_step(scheduler)
        schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self) -> None:
        """Advance by one epoch: step the current scheduler, or restart the next one."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)   # its epoch 0, from its closed form
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        """As the base class, with each sub-scheduler's state under ``"_schedulers"``."""
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, s in zip(self._schedulers, saved):
            scheduler.load_state_dict(s)


def _undo_initial_step(scheduler) -> None:
    """Take back the step a scheduler took on creation (recursively for SequentialLR)."""
    if isinstance(scheduler, SequentialLR):
        for s in scheduler._schedulers:
            _undo_initial_step(s)
    else:
        scheduler.last_epoch -= 1


class ReduceLROnPlateau(LRScheduler):
    """Divide the learning rate when a validation metric stops improving.

    Call ``scheduler.step(metric)`` after each evaluation. A value is an improvement when
    it beats the best so far by more than ``threshold``: in ``'min'`` mode
    ``metric < best * (1 - threshold)`` (``'rel'``) or ``metric < best - threshold``
    (``'abs'``); ``'max'`` mode mirrors this. After more than ``patience`` evaluations
    without improvement each group's rate becomes ``max(lr * factor, min_lr)`` (unless that
    changes it by less than ``eps``), then ``cooldown`` evaluations are ignored.

    Args:
        optimizer: the optimizer to schedule.
        mode: ``'min'`` (a loss) or ``'max'`` (an accuracy).
        factor: the rate is multiplied by it, < 1.
        patience: evaluations without improvement tolerated before reducing.
        threshold: how much better a value must be to count as an improvement.
        threshold_mode: ``'rel'`` or ``'abs'``.
        cooldown: evaluations to wait after a reduction before counting again.
        min_lr: lower bound of the rate (or one per group).
        eps: smallest change of the rate worth making.

    Example:
        >>> import minidl
        >>> from minidl.optim import SGD
        >>> opt = SGD([minidl.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> for val_loss in [3.0, 2.0, 2.0, 2.0, 1.0]:
        ...     sched.step(val_loss)
        >>> sched.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr=0, eps: float = 1e-8):
        _check_optimizer("ReduceLROnPlateau", optimizer)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: expected factor < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
        else:
            self.default_min_lr = min_lr
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, value: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1.0 - th) if self.threshold_mode == "rel" else best - th)
        return value > (best * (1.0 + th) if self.threshold_mode == "rel" else best + th)

    def step(self, metrics, epoch=None) -> None:
        """Record one evaluation's metric and reduce the rate if it has stalled.

        Args:
            metrics: the monitored value (a number or a one-element tensor).
            epoch: deprecated; the epoch number to record.
        """
        current = float(metrics)
        if epoch is not None:
            warnings.warn("ReduceLROnPlateau.step(metrics, epoch) is deprecated: call "
                          "step(metrics)", UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch

        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:     # bad epochs during a cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):   # a group was added since
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter groups, "
                    f"but min_lr was given for {len(self.min_lrs)}; update scheduler.min_lrs")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)   # eta <- max(factor * eta, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best}, "
                f"num_bad_epochs={self.num_bad_epochs}, lr={self.get_last_lr()})")
