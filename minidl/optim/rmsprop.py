"""RMSprop: divide each gradient coordinate by a running root mean square of its past values.

At step t, for a parameter theta with gradient g (PyTorch's algorithm)::

    g <- -g                                       if maximize
    g <- g + lambda * theta                       weight decay (L2)
    v_t = alpha * v_{t-1} + (1 - alpha) * g^2     running mean of g^2
    gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g if centered: running mean of g,
    v~ = v_t - gbar_t^2                           and its variance in place of v_t
    d = sqrt(v~) + eps
    b_t = mu * b_{t-1} + g / d                    if momentum mu > 0, then
    theta <- theta - gamma * b_t
    theta <- theta - gamma * g / d                otherwise

All running quantities start at zero; unlike Adam, RMSprop does no bias correction.

Example:
    >>> import minidl
    >>> from minidl.optim import RMSprop
    >>> w = minidl.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.99)
    >>> w.grad = minidl.tensor([2.0])
    >>> opt.step()                 # v = 0.01 * 4, step = 0.01 * 2 / sqrt(0.04) = 0.1
    >>> round(w.item(), 4)
    0.9
"""
from __future__ import annotations

from ..backend import array_module
from .optimizer import Optimizer, _check

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    Args:
        params: tensors to optimize, or parameter groups (dicts).
        lr: learning rate gamma.
        alpha: smoothing constant of the running mean of g^2.
        eps: added to the denominator so the division stays finite.
        weight_decay: L2 penalty lambda, added to the gradient.
        momentum: momentum factor mu (0: none).
        centered: normalise by an estimate of the gradient's variance instead of its
            second moment.
        maximize: ascend the objective instead of descending it.

    Example:
        >>> import minidl
        >>> w = minidl.zeros(2, requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01, momentum=0.9, centered=True)
        >>> w.grad = minidl.ones(2); opt.step()
        >>> sorted(opt.state[w])
        ['grad_avg', 'momentum_buffer', 'square_avg', 'step']
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check(self, group, "eps", group["eps"] >= 0, "eps >= 0")
        _check(self, group, "momentum", group["momentum"] >= 0, "momentum >= 0")
        _check(self, group, "weight_decay", group["weight_decay"] >= 0, "weight_decay >= 0")
        _check(self, group, "alpha", group["alpha"] >= 0, "alpha >= 0")

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = array_module(p)
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, mu = float(group["weight_decay"]), float(group["momentum"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)           # v
            if mu > 0:
                state["momentum_buffer"] = xp.zeros_like(p)  # b
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p)         # gbar
        state["step"] += 1

        g = -grad if group["maximize"] else grad
        if wd != 0:
            g = g + wd * p                                   # g <- g + lambda theta

        v = state["square_avg"]
        v *= alpha                                           # v_t = alpha v_{t-1}
        v += (1 - alpha) * xp.square(g)                      #       + (1 - alpha) g^2
        if group["centered"]:
            if "grad_avg" not in state:
                state["grad_avg"] = xp.zeros_like(p)
            gbar = state["grad_avg"]
            gbar *= alpha                                    # gbar_t = alpha gbar_{t-1}
            gbar += (1 - alpha) * g                          #          + (1 - alpha) g
            denom = v - xp.square(gbar)                      # v~ = v_t - gbar_t^2
            xp.sqrt(denom, out=denom)
        else:
            denom = xp.sqrt(v)
        denom += eps                                         # d = sqrt(v~) + eps

        if mu > 0:
            if "momentum_buffer" not in state:   # momentum switched on later (a scheduler)
                state["momentum_buffer"] = xp.zeros_like(p)
            buf = state["momentum_buffer"]
            buf *= mu                                        # b_t = mu b_{t-1}
            buf += g / denom                                 #       + g / d
            p -= lr * buf                                    # theta <- theta - gamma b_t
        else:
            step = xp.divide(g, denom, out=denom)            # g / d, reusing d's array
            step *= lr
            p -= step                                        # theta <- theta - gamma g / d
