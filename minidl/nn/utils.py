"""``minidl.nn.utils``: gradient clipping, as ``torch.nn.utils``.

Both functions change the gradients in place, after ``backward()`` and before
``optimizer.step()``, and work on the raw arrays (no graph is recorded).

Example:
    >>> import minidl, minidl.nn as nn
    >>> w = minidl.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()               # grad = [6, 8], norm 10
    >>> round(float(nn.utils.clip_grad_norm_([w], max_norm=1.0)), 3)
    10.0
    >>> [round(g, 3) for g in w.grad.tolist()]
    [0.6, 0.8]
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import version
from ..backend import array_module, to_numpy
from ..errors import ArgumentError
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of all gradients as one vector (``inf`` for the
    largest magnitude); when it exceeds ``max_norm`` every gradient is multiplied by
    ``max_norm / (norm + 1e-6)``.

    Args:
        parameters: a tensor or an iterable of tensors (``model.parameters()``).
        max_norm: the largest norm allowed.
        norm_type: p of the p-norm (2.0 by default; ``float("inf")`` for the max-norm).
        error_if_nonfinite: raise when the norm is NaN or infinite instead of scaling.
        foreach: accepted for PyTorch compatibility (minidl has one implementation).

    Returns:
        The joint norm before clipping, as a 0-d float32 tensor.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(0.0)
    if norm_type == math.inf:
        norms = [float(to_numpy(array_module(g._array).abs(g._array).max())) if g.numel() else 0.0
                 for g in grads]
        total = max(norms)
    elif norm_type > 0:
        # each gradient's sum of |g|^p in float64, then the p-th root of their sum
        total = sum(float(to_numpy((array_module(g._array).abs(g._array).astype(np.float64)
                                    ** norm_type).sum())) for g in grads) ** (1.0 / norm_type)
    else:
        raise ArgumentError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    if error_if_nonfinite and not math.isfinite(total):
        raise ArgumentError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, so they cannot be clipped; pass error_if_nonfinite=False to scale anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g._array *= g._array.dtype.type(coef)
            version.bump(g._array, "clip_grad_norm_")
    return Tensor(np.float32(total))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ArgumentError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for g in _grads(parameters):
        array_module(g._array).clip(g._array, -clip_value, clip_value, out=g._array)
        version.bump(g._array, "clip_grad_value_")
