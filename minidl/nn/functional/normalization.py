"""Normalization layers: batch norm, layer norm, group norm (and instance norm).

All three normalise some slice of the input to zero mean and unit variance and then
apply a learnable per-feature scale ``gamma`` (``weight``) and shift ``beta`` (``bias``)::

    xhat = (x - mean) / sqrt(var + eps)          y = gamma * xhat + beta

They differ only in *which* elements share one mean and variance:

* batch norm: one (mean, var) per channel, over the batch and all positions (N, *);
* layer norm: one per sample, over the trailing ``normalized_shape`` dims;
* group norm: one per (sample, group of channels), over the group's channels and positions.

Each has its own Function with the closed-form backward. With ``g = dL/dy`` and
``gh = g * gamma = dL/dxhat``, and ``<.>`` the mean over the elements that share the
statistics (``m`` of them)::

    dL/dx = inv_std * (gh - <gh> - xhat * <gh * xhat>)

(derived step by step in ``docs/batchnorm.md``). Batch norm, which runs after every
convolution of a ResNet, gets a hand-fused version of the same formula.

Notation: N batch, C channels, L/H/W spatial sizes, m = number of elements per statistic.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import Function
from ...backend import array_module
from ...errors import ArgumentError, ShapeError

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _per_row(shape, lead: int) -> tuple:
    """``shape`` as (its first ``lead`` sizes, the product of the rest): an explicit
    reshape target, because ``reshape(n, c, -1)`` is ambiguous for an empty batch (N = 0)."""
    return tuple(shape[:lead]) + (math.prod(shape[lead:]),)


def _channel_view(v, ndim: int):
    """A per-channel vector (C,) viewed as (1, C, 1, ..., 1) so that it broadcasts over x."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _channel_sum(a, b=None):
    """Per-channel sum over (N, *) of ``a`` (or of ``a * b``), as a (C,) vector.

    ``einsum`` over an (N, C, L) view reduces without materialising ``a * b``, which is
    several times faster than ``(a * b).sum(axis=(0, 2, 3))`` on large activations.
    """
    xp = array_module(a)
    a3 = a.reshape(_per_row(a.shape, 2))
    if b is None:
        if xp is not np:
            # On a GPU a reduction along the contiguous L axis first, then over N, is
            # many times faster than CuPy's einsum, which reduces N and L in one strided pass.
            return a3.sum(axis=2).sum(axis=0)
        return xp.einsum("ncl->c", a3)
    return xp.einsum("ncl,ncl->c", a3, b.reshape(a3.shape))


def _normalized_grad(gh, xhat, inv_std, axis):
    """dL/dx for ``xhat = (x - mean(x)) * inv_std`` taken over ``axis``, given ``gh = dL/dxhat``.

    ``dL/dx = inv_std * (gh - mean(gh) - xhat * mean(gh * xhat))``, means over ``axis``.
    """
    mean_gh = gh.mean(axis=axis, keepdims=True)
    mean_ghx = (gh * xhat).mean(axis=axis, keepdims=True)
    return inv_std * (gh - mean_gh - xhat * mean_ghx)


# ------------------------------------------------------------------ batch norm
class BatchNorm(Function):
    """Batch normalisation over channel 1 of an (N, C, *) input.

    forward:  y = x * scale + shift   with per-channel  scale = gamma * inv_std,
              shift = beta - mean * scale  (one multiply and one add over x).
    backward (training, batch statistics; m = N * L elements per channel):
              dx = gamma * inv_std / m * (m * g - sum(g) - xhat * sum(g * xhat))
    backward (eval, fixed running statistics): an affine map, dx = g * scale.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, *, training, momentum, eps):
        xp = array_module(x)
        c = x.shape[1]
        m = x.size // c  # elements per channel
        if training:
            mean = _channel_sum(x) / m
            centered = x - _channel_view(mean, x.ndim)
            var = _channel_sum(centered, centered) / m  # biased: what normalises this batch
            if running_mean is not None:
                # the running variance estimates the population's: unbiased, m / (m - 1)
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * m / (m - 1) * var).astype(running_var.dtype, copy=False)
        else:
            mean, var, centered = running_mean.astype(x.dtype), running_var.astype(x.dtype), None
        inv_std = 1 / xp.sqrt(var + eps)
        scale = inv_std if weight is None else weight * inv_std
        if centered is not None:
            y = centered  # reuse the buffer: y = (x - mean) * scale + beta
            y *= _channel_view(scale, x.ndim)
            if bias is not None:
                y += _channel_view(bias, x.ndim)
        else:
            shift = -mean * scale if bias is None else bias - mean * scale
            y = x * _channel_view(scale, x.ndim)
            y += _channel_view(shift, x.ndim)
        ctx.training = training
        ctx.save_for_backward(x, mean, inv_std, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        x, mean, inv_std, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        nd = x.ndim
        m = x.size // x.shape[1]
        gamma = 1 if weight is None else weight
        sum_g = _channel_sum(g)                                   # = dL/dbeta
        centered = x - _channel_view(mean, nd)
        sum_g_xhat = _channel_sum(g, centered) * inv_std          # = dL/dgamma
        gx = None
        if need_x:
            a = gamma * inv_std
            if ctx.training:
                # dx = a * (g - sum(g)/m - xhat * sum(g*xhat)/m),  xhat = centered * inv_std
                centered *= _channel_view(a * inv_std * sum_g_xhat / m, nd)
                gx = g * _channel_view(a, nd)
                gx -= centered
                gx -= _channel_view(a * sum_g / m, nd)
            else:
                gx = g * _channel_view(a, nd)  # the statistics are constants
        return (gx, sum_g_xhat if need_w else None, sum_g if need_b else None, None, None)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation: normalise every channel with statistics over the batch.

    In training mode each channel c is normalised with the mean and (biased) variance of
    ``input[:, c]`` over the batch and all positions, and the running statistics, when
    given, are updated in place::

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var * m / (m - 1)

    (the running variance is the *unbiased* estimate, m = elements per channel). In eval
    mode the running statistics normalise instead.

    Args:
        input: (N, C), (N, C, L), (N, C, H, W) or any (N, C, *).
        running_mean, running_var: (C,) Tensors (or None in training mode to skip tracking);
            updated in place on their data when ``training``.
        weight, bias: (C,) scale gamma and shift beta, or None (1 and 0).
        training: use batch statistics (and update the running ones).
        momentum: weight of the new batch in the running averages.
        eps: added to the variance for numerical stability.

    Shape:
        output: same as input.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> batch_norm(x, None, None, training=True, eps=0.0).tolist()
        [[-1.0, -1.0], [1.0, 1.0]]
    """
    x = input
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, *), got {tuple(x.shape)}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(
                f"batch_norm: expected {name} of shape ({c},) for input with {c} channels, "
                f"got {tuple(t.shape)}")
    if training:
        if x.numel() // max(c, 1) <= 1:
            raise ShapeError(
                "batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(x.shape)}")
        if momentum is None and running_mean is not None:
            raise ArgumentError(
                "batch_norm: momentum=None (a cumulative average) needs a batch count; pass "
                "momentum = 1 / num_batches_tracked (BatchNorm modules do this)")
    elif running_mean is None or running_var is None:
        raise ArgumentError("batch_norm: running_mean and running_var are required when training=False")
    return BatchNorm.apply(x, weight, bias, running_mean, running_var,
                           training=bool(training), momentum=momentum, eps=eps)


# ------------------------------------------------------------------ layer norm
class LayerNorm(Function):
    """Normalise each sample over its last k dims (flattened here to one axis of size D)."""

    @staticmethod
    def forward(ctx, x, weight, bias, *, k, eps):
        xp = array_module(x)
        lead = x.shape[:x.ndim - k]
        x2 = x.reshape(-1, math.prod(x.shape[x.ndim - k:]))  # (rows, D)
        mean = x2.mean(axis=1, keepdims=True)
        xhat = x2 - mean
        var = (xhat * xhat).mean(axis=1, keepdims=True)
        inv_std = 1 / xp.sqrt(var + eps)
        xhat *= inv_std
        xhat = xhat.reshape(x.shape)
        y = xhat if weight is None else xhat * weight
        if bias is not None:
            y = y + bias
        ctx.lead = lead
        ctx.save_for_backward(xhat, inv_std, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = None
        if need_x:
            gh = g if weight is None else g * weight  # dL/dxhat
            rows = (inv_std.shape[0], xhat.size // max(inv_std.shape[0], 1))
            if inv_std.shape[0] == 0:  # an empty batch: the normalised size from the shape
                rows = (0, math.prod(xhat.shape[len(ctx.lead):]))
            gx = _normalized_grad(gh.reshape(rows), xhat.reshape(rows), inv_std, 1)
            gx = gx.reshape(g.shape)
        # gradients of the broadcast shape; the engine sums them over the leading dims
        return gx, g * xhat if need_w else None, g if need_b else None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation: normalise each sample over its trailing ``normalized_shape`` dims.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: an int or a tuple, the trailing dims that share one mean/variance.
        weight, bias: tensors of shape ``normalized_shape`` (or None).
        eps: added to the variance.

    Shape:
        output: same as input.

    Example:
        >>> import minidl
        >>> layer_norm(minidl.tensor([[1.0, 3.0], [0.0, 10.0]]), 2, eps=0.0).tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ShapeError(
            f"layer_norm: expected input of shape (*, {', '.join(map(str, normalized_shape))}), "
            f"got {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(
                f"layer_norm: expected {name} of shape {normalized_shape}, got {tuple(t.shape)}")
    return LayerNorm.apply(input, weight, bias, k=k, eps=eps)


# ------------------------------------------------------------------ group norm
class GroupNorm(Function):
    """Normalise each (sample, group of C/G channels) over the group's channels and positions."""

    @staticmethod
    def forward(ctx, x, weight, bias, *, num_groups, eps):
        xp = array_module(x)
        n = x.shape[0]
        xg = x.reshape(n, num_groups, math.prod(x.shape[1:]) // num_groups)  # (N, G, C/G * L)
        mean = xg.mean(axis=2, keepdims=True)
        xhat = xg - mean
        var = (xhat * xhat).mean(axis=2, keepdims=True)
        inv_std = 1 / xp.sqrt(var + eps)
        xhat *= inv_std
        xhat = xhat.reshape(x.shape)
        y = xhat if weight is None else xhat * _channel_view(weight, x.ndim)
        if bias is not None:
            y = y + _channel_view(bias, x.ndim)
        ctx.num_groups = num_groups
        ctx.save_for_backward(xhat, inv_std, weight)
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, inv_std, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = None
        if need_x:
            gh = g if weight is None else g * _channel_view(weight, g.ndim)
            n, groups = g.shape[0], ctx.num_groups
            rows = (n, groups, math.prod(g.shape[1:]) // groups)
            gx = _normalized_grad(gh.reshape(rows), xhat.reshape(rows), inv_std,
                                  2).reshape(g.shape)
        return (gx, _channel_sum(g, xhat) if need_w else None,
                _channel_sum(g) if need_b else None)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: statistics per sample and per group of ``C / num_groups`` channels.

    ``num_groups=1`` normalises each sample over (C, *) like a layer norm with per-channel
    affine; ``num_groups=C`` is instance normalisation.

    Args:
        input: (N, C, *).
        num_groups: number of groups; must divide C.
        weight, bias: (C,) per-channel scale and shift (or None).
        eps: added to the variance.

    Shape:
        output: same as input.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[[1.0, 3.0], [5.0, 7.0]]])  # (N=1, C=2, L=2)
        >>> group_norm(x, 2, eps=0.0).tolist()
        [[[-1.0, 1.0], [-1.0, 1.0]]]
    """
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ArgumentError(
            f"group_norm: expected num_groups to divide the number of channels {c}, "
            f"got num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"group_norm: expected {name} of shape ({c},), got {tuple(t.shape)}")
    return GroupNorm.apply(input, weight, bias, num_groups=int(num_groups), eps=eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalisation: every (sample, channel) normalised over its own positions.

    With ``use_input_stats`` (the default) this is ``group_norm`` with one group per
    channel; the running statistics, when given, are updated in place with the per-instance
    statistics averaged over the batch (unbiased variance), as PyTorch does. With
    ``use_input_stats=False`` the running statistics normalise instead.

    Args:
        input: (N, C, *) with at least one position per instance.
        running_mean, running_var: (C,) Tensors or None.
        weight, bias: (C,) or None.
        use_input_stats: normalise with each instance's own statistics.
        momentum, eps: as in :func:`batch_norm`.

    Example:
        >>> import minidl
        >>> instance_norm(minidl.tensor([[[1.0, 3.0], [2.0, 6.0]]]), eps=0.0).tolist()
        [[[-1.0, 1.0], [-1.0, 1.0]]]
    """
    if input.ndim < 3:
        raise ShapeError(f"instance_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if running_mean is not None or running_var is not None:
        xp = array_module(input._array)
        n, c = input.shape[:2]
        x3 = input._array.reshape(_per_row(input.shape, 2))
        count = x3.shape[2]
        if count < 2:
            raise ShapeError(
                "instance_norm: expected more than 1 value per instance to track running "
                f"statistics, got input of shape {tuple(input.shape)}")
        mean = x3.mean(axis=2)
        var = xp.var(x3, axis=2) * count / (count - 1)
        if running_mean is not None:
            running_mean._array *= 1 - momentum
            running_mean._array += (momentum * mean.mean(axis=0)).astype(running_mean.dtype)
        if running_var is not None:
            running_var._array *= 1 - momentum
            running_var._array += (momentum * var.mean(axis=0)).astype(running_var.dtype)
    return group_norm(input, input.shape[1], weight, bias, eps)
