"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

The update of one parameter theta with gradient g at step t (PyTorch's algorithm)::

    g <- -g                              if maximize
    g <- g + lambda * theta              weight decay (an L2 penalty lambda/2 |theta|^2)
    b_1 = g                              first step: the buffer is the gradient itself
    b_t = mu * b_{t-1} + (1 - tau) * g   later steps (mu: momentum, tau: dampening)
    g <- g + mu * b_t                    if nesterov
    g <- b_t                             otherwise
    theta <- theta - gamma * g           (gamma: the learning rate)

Example:
    >>> import minidl
    >>> from minidl.optim import SGD
    >>> w = minidl.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = minidl.tensor([1.0])     # a constant gradient
    ...     opt.step()
    >>> round(w.item(), 4)                     # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    0.71
"""
from __future__ import annotations

from .optimizer import Optimizer, _check

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args:
        params: tensors to optimize, or parameter groups (dicts).
        lr: learning rate gamma.
        momentum: momentum factor mu (0 disables the buffer).
        dampening: dampening tau of the gradient added to the buffer.
        weight_decay: L2 penalty lambda, added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending it.

    Example:
        >>> import minidl
        >>> w = minidl.tensor([2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.25)
        >>> w.grad = minidl.tensor([4.0])
        >>> opt.step()
        >>> w.item()
        1.0
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check(self, group, "momentum", group["momentum"] >= 0, "momentum >= 0")
        _check(self, group, "weight_decay", group["weight_decay"] >= 0, "weight_decay >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p, grad, state: dict, group: dict) -> None:
        lr, mu = float(group["lr"]), float(group["momentum"])
        tau, wd = float(group["dampening"]), float(group["weight_decay"])

        g = -grad if group["maximize"] else grad
        if wd != 0:
            g = g + wd * p                                  # g <- g + lambda * theta
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()   # b_1 = g
            else:
                buf *= mu                                   # b_t = mu * b_{t-1}
                buf += (1 - tau) * g                        #       + (1 - tau) * g
            if group["nesterov"]:
                g = g + mu * buf                            # g <- g + mu * b_t
            else:
                g = buf                                     # g <- b_t
        p -= lr * g                                         # theta <- theta - gamma * g
