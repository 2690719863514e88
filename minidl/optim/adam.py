"""Adam and AdamW: per-coordinate step sizes from running moments of the gradient.

Adam (Kingma & Ba, 2015) keeps, for every parameter theta, a running mean m of its
gradient and a running mean v of the squared gradient. Both start at zero, so early on
they are biased towards zero; dividing by (1 - beta^t) removes that bias. At step t
(PyTorch's algorithm)::

    g <- -g                                     if maximize
    g <- g + lambda * theta                     Adam's weight decay (L2, through g)
    theta <- theta * (1 - gamma * lambda)       AdamW's weight decay (decoupled, on theta)
    m_t = beta1 * m_{t-1} + (1 - beta1) * g     first moment
    v_t = beta2 * v_{t-1} + (1 - beta2) * g^2   second moment
    v_max = max(v_max, v_t)                     amsgrad: never let the denominator shrink
    m_hat = m_t / (1 - beta1^t)                 bias corrections
    v_hat = v_t / (1 - beta2^t)                 (v_max instead of v_t with amsgrad)
    theta <- theta - gamma * m_hat / (sqrt(v_hat) + eps)

With L2 weight decay (Adam) the penalty's gradient is rescaled by 1/sqrt(v_hat) like the
rest, so weights with large gradients are barely decayed. AdamW (Loshchilov & Hutter,
2019) shrinks theta directly, the same for every weight.

Example:
    >>> import minidl
    >>> from minidl.optim import Adam
    >>> w = minidl.tensor([1.0, 1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = minidl.tensor([3.0, -0.01])
    >>> opt.step()                 # the first step moves each weight by about lr
    >>> [round(x, 4) for x in w.tolist()]
    [0.9, 1.1]
"""
from __future__ import annotations

import math

from ..backend import array_module
from .optimizer import Optimizer, _check

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: weight decay is an L2 term added to the gradient.

    Args:
        params: tensors to optimize, or parameter groups (dicts).
        lr: learning rate gamma.
        betas: (beta1, beta2), decay rates of the first and second moment, in [0, 1).
        eps: added to sqrt(v_hat) so the division stays finite.
        weight_decay: L2 penalty lambda.
        amsgrad: divide by the largest second moment seen so far (AMSGrad).
        maximize: ascend the objective instead of descending it.

    Example:
        >>> import minidl
        >>> w = minidl.zeros(3, requires_grad=True)
        >>> opt = Adam([w], lr=1e-3)
        >>> w.grad = minidl.ones(3); opt.step()
        >>> opt.state[w]["step"]
        1
    """

    _decoupled_weight_decay = False   # AdamW sets this

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check(self, group, "eps", group["eps"] >= 0, "eps >= 0")
        _check(self, group, "weight_decay", group["weight_decay"] >= 0, "weight_decay >= 0")
        betas = group["betas"]
        _check(self, group, "betas", len(betas) == 2, "a pair (beta1, beta2)")
        _check(self, group, "betas", 0 <= betas[0] < 1, "0 <= beta1 < 1")
        _check(self, group, "betas", 0 <= betas[1] < 1, "0 <= beta2 < 1")

    def _update(self, p, grad, state: dict, group: dict) -> None:
        xp = array_module(p)
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)      # m
            state["exp_avg_sq"] = xp.zeros_like(p)   # v
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]

        g = -grad if group["maximize"] else grad
        if self._decoupled_weight_decay:
            p *= 1 - lr * wd                          # theta <- theta (1 - gamma lambda)
        elif wd != 0:
            g = g + wd * p                            # g <- g + lambda theta

        m *= beta1                                    # m_t = beta1 m_{t-1}
        m += (1 - beta1) * g                          #       + (1 - beta1) g
        v *= beta2                                    # v_t = beta2 v_{t-1}
        v += (1 - beta2) * xp.square(g)               #       + (1 - beta2) g^2
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = xp.zeros_like(p)
            v_max = state["max_exp_avg_sq"]
            xp.maximum(v_max, v, out=v_max)           # v_max = max(v_max, v_t)
            v = v_max

        bias_correction1 = 1 - beta1 ** t             # 1 - beta1^t
        bias_correction2 = 1 - beta2 ** t             # 1 - beta2^t
        denom = xp.sqrt(v)                            # sqrt(v_hat) + eps, with
        denom /= math.sqrt(bias_correction2)          # sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t)
        denom += eps
        step = xp.divide(m, denom, out=denom)         # m / (sqrt(v_hat) + eps), reusing denom
        step *= lr / bias_correction1                 # gamma m_hat / (sqrt(v_hat) + eps)
        p -= step                                     # theta <- theta - that


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Each step first shrinks every weight, ``theta <- theta * (1 - lr * weight_decay)``,
    then takes a plain Adam step; the decay is not rescaled by the second moment.

    Args:
        params: tensors to optimize, or parameter groups (dicts).
        lr: learning rate gamma.
        betas: (beta1, beta2), decay rates of the first and second moment, in [0, 1).
        eps: added to sqrt(v_hat) so the division stays finite.
        weight_decay: decoupled decay rate lambda (default 1e-2).
        amsgrad: divide by the largest second moment seen so far (AMSGrad).
        maximize: ascend the objective instead of descending it.

    Example:
        >>> import minidl
        >>> w = minidl.tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = minidl.tensor([0.0])    # no gradient: only the decay acts
        >>> opt.step()
        >>> round(w.item(), 6)               # 1 * (1 - 0.1 * 0.5)
        0.95
    """

    _decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
