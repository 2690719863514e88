"""Loss functions: how far a prediction is from its target, as one number to minimise.

Every loss takes ``reduction``: ``"none"`` (one value per element or sample),
``"mean"`` (the default) or ``"sum"``. Targets must have the shape the loss
expects; a mismatch raises instead of broadcasting silently (a (N, 1) prediction
against a (N,) target would otherwise give an (N, N) loss).

Classification losses (``cross_entropy``, ``nll_loss``) and the binary ones
have their own Functions with closed-form backward; the regression losses are
built from differentiable ops.

Notation: N batch size, C number of classes, d1, ... extra dimensions (pixels
in segmentation); ``x`` logits, ``p = softmax(x)`` over C, ``t`` target,
``w`` class weights, ``g`` the gradient arriving from above.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ...autograd.function import Function
from ...backend import array_module
from ...tensor import Tensor
from ...errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "cosine_similarity", "normalize",
]

_REDUCTIONS = ("none", "mean", "sum")


# ----------------------------------------------------------------- shared helpers
def _check_reduction(name: str, reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ArgumentError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, "
                         f"got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_rows(ctx, loss, reduction: str, shape: tuple, denominator):
    """Reduce per-row losses; a mean divides by ``denominator`` (kept for backward)."""
    ctx.reduction = reduction
    if reduction == "none":
        return loss.reshape(shape)
    if reduction == "sum":
        return loss.sum()
    ctx.denominator = denominator
    return loss.sum() / denominator


def _row_scale(ctx, g):
    """dL/d(per-row loss) as a column: g's rows ('none'), or one number for all rows."""
    if ctx.reduction == "none":
        return g.reshape(-1, 1)
    if ctx.reduction == "sum":
        return g
    return g / ctx.denominator


def _as_tensor(value, ref: Tensor) -> Tensor:
    """Targets given as lists or arrays become Tensors on the input's device."""
    return value if isinstance(value, Tensor) else Tensor(value, device=ref.device)


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(f"{name}: expected target of shape {tuple(input.shape)} (the input's "
                         f"shape), got {tuple(target.shape)}")


def _classes_last(a):
    """(N, C, d1, ...) -> (N * d1 * ..., C): one row of class scores per prediction."""
    if a.ndim == 2:
        return a
    return array_module(a).moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _classes_back(rows, shape: tuple):
    """Inverse of :func:`_classes_last`: (M, C) -> ``shape`` = (N, C, d1, ...)."""
    if len(shape) == 2:
        return rows
    moved = rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return array_module(rows).moveaxis(moved, -1, 1)


def _class_weight(name: str, weight, input: Tensor):
    if weight is None:
        return None
    weight = _as_tensor(weight, input)
    if tuple(weight.shape) != (input.shape[1],):
        raise ShapeError(f"{name}: expected weight of shape ({input.shape[1]},) (one per "
                         f"class), got {tuple(weight.shape)}")
    return weight


def _check_class_indices(name: str, input: Tensor, target: Tensor, ignore_index: int) -> None:
    """Target holds one integer class per prediction: shape (N, d1, ...), values in [0, C)."""
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ShapeError(
            f"{name}: expected target of shape {expected} (one class index per prediction for "
            f"input of shape {tuple(input.shape)}), got {tuple(target.shape)}")
    if target.dtype.kind not in "iu":
        raise DTypeError(
            f"{name}: expected target of class indices with an integer dtype (int64), got "
            f"{target.dtype}; convert with target.long()")
    n_classes = input.shape[1]
    t = target._array
    bad = ((t < 0) | (t >= n_classes)) & (t != ignore_index)
    if bad.any():  # a host sync, but a wrong label is worth a clear message
        value = int(t[bad].reshape(-1)[0])
        raise IndexError(
            f"{name}: target value {value} is out of range for {n_classes} classes (expected "
            f"0 <= target < {n_classes}, or ignore_index={ignore_index})")


def _unbatched(input: Tensor, target: Tensor, name: str):
    """A single sample (C,) with a scalar target becomes a batch of one."""
    if input.ndim == 0:
        raise ShapeError(f"{name}: expected input of shape (N, C) or (N, C, d1, ...), got a scalar")
    if input.ndim == 1:
        if target.shape == input.shape:  # class probabilities
            return input.reshape(1, -1), target.reshape(1, -1), True
        return input.reshape(1, -1), target.reshape(1), True
    return input, target, False


# ------------------------------------------------------------------ cross entropy
class CrossEntropy(Function):
    """Softmax + negative log-likelihood of class indices, in one step.

    For one row of logits x with target class t, weights w (all 1 without weight),
    label smoothing eps and C classes (rows whose target is ignore_index count 0):

        loss = (1 - eps) * w[t] * (-log p[t])  +  (eps / C) * sum_c w[c] * (-log p[c])

        dloss/dx = (1 - eps) * w[t] * (p - onehot(t))  +  (eps / C) * (p * sum(w) - w)

    Without weights this is ``p - ((1 - eps) * onehot(t) + eps / C)``: softmax minus
    the (smoothed) one-hot target. ``log p`` is never formed in full:
    ``log p[c] = z[c] - log(sum exp z)`` with ``z = x - max(x)``.
    The mean divides by the total weight of the non-ignored targets.
    """

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, reduction, eps):
        xp = array_module(logits)
        x = _classes_last(logits)                      # (M, C)
        n_classes = x.shape[1]
        z = x - x.max(axis=1, keepdims=True)
        ez = xp.exp(z)
        total = ez.sum(axis=1)
        log_total = xp.log(total)
        p = ez / total[:, None]                       # softmax, kept for backward

        t = target.reshape(-1)
        valid = t != ignore_index
        t_safe = xp.where(valid, t, 0)                # any valid index; its row counts 0
        rows = xp.arange(t.size)
        if weight is None:
            w_t = valid.astype(x.dtype)
        else:
            weight = weight.astype(x.dtype, copy=False)
            w_t = weight[t_safe] * valid

        nll = log_total - z[rows, t_safe]             # -log p[t]
        loss = (1 - eps) * w_t * nll
        if eps > 0:
            # sum_c w[c] * (-log p[c]) = sum(w) * log_total - z @ w
            if weight is None:
                smooth = n_classes * log_total - z.sum(axis=1)
            else:
                smooth = weight.sum() * log_total - z @ weight
            loss = loss + (eps / n_classes) * smooth * valid

        ctx.save_for_backward(p, t_safe, w_t, valid, weight)
        ctx.eps, ctx.shape = eps, logits.shape
        return _reduce_rows(ctx, loss, reduction, target.shape, w_t.sum())

    @staticmethod
    def backward(ctx, g):
        p, t_safe, w_t, valid, weight = ctx.saved_tensors
        eps = ctx.eps
        n_classes = p.shape[1]
        rows = array_module(p).arange(p.shape[0])
        coef = (1 - eps) * w_t                         # per row
        if eps > 0:
            w_sum = n_classes if weight is None else weight.sum()
            coef = coef + (eps / n_classes) * w_sum * valid
        grad = p * coef[:, None]
        grad[rows, t_safe] -= (1 - eps) * w_t          # - onehot(t) part
        if eps > 0:
            w_row = 1.0 if weight is None else weight[None, :]
            grad -= (eps / n_classes) * valid[:, None] * w_row
        grad *= _row_scale(ctx, g)
        return _classes_back(grad, ctx.shape), None, None, None, None, None


class CrossEntropyProbs(Function):
    """Cross entropy against class probabilities q (soft labels, mixup, distillation).

        loss = -sum_c w[c] * q[c] * log p[c]
        dloss/dx = p * sum_c(w[c] q[c]) - w * q        dloss/dq = -w * log p

    With label smoothing, q is first replaced by (1 - eps) q + eps / C.
    The mean divides by the number of rows (N * d1 * ...), ignoring the weights.
    """

    @staticmethod
    def forward(ctx, logits, target, weight, reduction, eps):
        xp = array_module(logits)
        x = _classes_last(logits)
        q = _classes_last(target).astype(x.dtype, copy=False)
        n_classes = x.shape[1]
        if eps > 0:
            q = (1 - eps) * q + eps / n_classes
        z = x - x.max(axis=1, keepdims=True)
        log_total = xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        logp = z - log_total
        wq = q if weight is None else q * weight.astype(x.dtype, copy=False)
        loss = -(wq * logp).sum(axis=1)
        ctx.save_for_backward(logp, wq, weight)
        ctx.eps, ctx.shape = eps, logits.shape
        return _reduce_rows(ctx, loss, reduction,
                            (logits.shape[0],) + tuple(logits.shape[2:]), x.shape[0])

    @staticmethod
    def backward(ctx, g):
        logp, wq, weight = ctx.saved_tensors
        xp = array_module(logp)
        scale = _row_scale(ctx, g)
        gx = gq = None
        if ctx.needs_input_grad[0]:
            gx = (xp.exp(logp) * wq.sum(axis=1, keepdims=True) - wq) * scale
            gx = _classes_back(gx, ctx.shape)
        if ctx.needs_input_grad[1]:
            w_logp = logp if weight is None else logp * weight
            gq = _classes_back(-(1 - ctx.eps) * w_logp * scale, ctx.shape)
        return gx, gq, None, None, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between softmax(input) over the classes and the target.

    The usual classification loss: ``-log softmax(input)[target]``, averaged.

    Args:
        input: unnormalised scores (logits), (N, C) or (N, C, d1, ...), or (C,) for one sample.
        target: class indices (integer dtype), (N,) or (N, d1, ...); or class
            probabilities (floating dtype) with the input's shape.
        weight: (C,) rescaling weight of each class.
        ignore_index: targets with this value add nothing to the loss or the gradient
            (class-index targets only).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``. With class indices, the mean
            divides by the summed weights of the non-ignored targets.
        label_smoothing: eps in [0, 1]; the target becomes (1 - eps) * onehot + eps / C.

    Shape:
        - Output: scalar, or (N,) / (N, d1, ...) with ``reduction="none"``.

    Example:
        >>> import minidl
        >>> logits = minidl.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> round(cross_entropy(logits, minidl.tensor([0, 2])).item(), 4)
        0.6691
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _as_tensor(target, input)
    input, target, single = _unbatched(input, target, name)
    weight = _class_weight(name, weight, input)
    if target.dtype.kind == "f" and target.shape == input.shape:
        loss = CrossEntropyProbs.apply(input, target, weight, reduction, label_smoothing)
    else:
        if target.dtype.kind == "f" and tuple(target.shape) != (input.shape[0],) + input.shape[2:]:
            raise ShapeError(
                f"{name}: expected target of shape {(input.shape[0],) + tuple(input.shape[2:])} "
                f"(class indices) or {tuple(input.shape)} (class probabilities) for input of "
                f"shape {tuple(input.shape)}, got {tuple(target.shape)}")
        _check_class_indices(name, input, target, ignore_index)
        loss = CrossEntropy.apply(input, target, weight, ignore_index, reduction, label_smoothing)
    return loss.reshape(()) if single and reduction == "none" else loss


# ----------------------------------------------------------------------- nll_loss
class NLLLoss(Function):
    """Negative log-likelihood: picks ``-w[t] * input[t]`` from each row of log-probabilities.

    dloss/dinput is ``-w[t]`` at the target class of each row and 0 elsewhere.
    """

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        xp = array_module(logp)
        x = _classes_last(logp)
        t = target.reshape(-1)
        valid = t != ignore_index
        t_safe = xp.where(valid, t, 0)
        rows = xp.arange(t.size)
        w_t = valid.astype(x.dtype) if weight is None else \
            weight.astype(x.dtype, copy=False)[t_safe] * valid
        loss = -w_t * x[rows, t_safe]
        ctx.save_for_backward(t_safe, w_t)
        ctx.shape, ctx.n_classes = logp.shape, x.shape[1]
        return _reduce_rows(ctx, loss, reduction, target.shape, w_t.sum())

    @staticmethod
    def backward(ctx, g):
        t_safe, w_t = ctx.saved_tensors
        xp = array_module(w_t)
        picked = -w_t * _row_scale(ctx, g).reshape(-1)
        grad = xp.zeros((t_safe.size, ctx.n_classes), dtype=w_t.dtype)
        grad[xp.arange(t_safe.size), t_safe] = picked
        return _classes_back(grad, ctx.shape), None, None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, for inputs that are already log-probabilities.

    ``nll_loss(log_softmax(x, 1), t)`` equals ``cross_entropy(x, t)``.

    Args:
        input: log-probabilities, (N, C) or (N, C, d1, ...), or (C,).
        target: class indices (integer dtype), (N,) or (N, d1, ...).
        weight: (C,) rescaling weight of each class.
        ignore_index: targets with this value are skipped.
        reduction: ``"none"`` | ``"mean"`` (divides by the summed weights of the
            non-ignored targets) | ``"sum"``.

    Example:
        >>> import minidl
        >>> logp = minidl.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> round(nll_loss(logp, minidl.tensor([0, 1])).item(), 4)
        0.3
    """
    name = "nll_loss"
    _check_reduction(name, reduction)
    target = _as_tensor(target, input)
    input, target, single = _unbatched(input, target, name)
    weight = _class_weight(name, weight, input)
    _check_class_indices(name, input, target, ignore_index)
    loss = NLLLoss.apply(input, target, weight, ignore_index, reduction)
    return loss.reshape(()) if single and reduction == "none" else loss


# ---------------------------------------------------------------- regression losses
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``(input - target) ** 2``, element-wise, then reduced.

    Args:
        input: any shape.
        target: the same shape.
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Example:
        >>> import minidl
        >>> mse_loss(minidl.tensor([1.0, 2.0]), minidl.tensor([1.0, 4.0])).item()
        2.0
    """
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, input)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``|input - target|``, element-wise, then reduced.

    Example:
        >>> import minidl
        >>> l1_loss(minidl.tensor([1.0, 2.0]), minidl.tensor([2.0, 4.0])).item()
        1.5
    """
    _check_reduction("l1_loss", reduction)
    target = _as_tensor(target, input)
    _check_same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic for small errors, linear for large ones (robust to outliers).

    With d = input - target: ``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``.

    Args:
        input, target: the same shape.
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        beta: where the quadratic part ends (0 gives the L1 loss).

    Example:
        >>> import minidl
        >>> smooth_l1_loss(minidl.tensor([0.5, 3.0]), minidl.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ShapeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _as_tensor(target, input)
    _check_same_shape("smooth_l1_loss", input, target)
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    ad = d.abs()
    return _reduce(ops.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``.

    It equals ``delta * smooth_l1_loss(beta=delta)``.

    Args:
        input, target: the same shape.
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        delta: where the quadratic part ends (positive).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([0.5, 3.0])
        >>> huber_loss(x, minidl.zeros(2), reduction="none", delta=2.0).tolist()
        [0.125, 4.0]
    """
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ShapeError(f"huber_loss: delta must be positive, got {delta}")
    target = _as_tensor(target, input)
    _check_same_shape("huber_loss", input, target)
    d = input - target
    ad = d.abs()
    return _reduce(ops.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)), reduction)


# ------------------------------------------------------------------ binary losses
class BinaryCrossEntropy(Function):
    """loss = -(t log x + (1 - t) log(1 - x)), each log clamped at -100 (so x = 0 or 1 is finite).

    dloss/dx = (x - t) / (x (1 - x)) (denominator kept >= 1e-12)
    dloss/dt = log(1 - x) - log(x)
    """

    @staticmethod
    def forward(ctx, x, t):
        xp = array_module(x)
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected here, then clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log(1 - x), -100)
        ctx.save_for_backward(x, t, log_x, log_1mx)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, t, log_x, log_1mx = ctx.saved_tensors
        xp = array_module(x)
        gx = g * (x - t) / xp.maximum(x * (1 - x), 1e-12)
        gt = g * (log_1mx - log_x) if ctx.needs_input_grad[1] else None
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``input`` and targets in [0, 1].

    ``-(t log(x) + (1 - t) log(1 - x))``, with the logs clamped at -100 so that
    x = 0 or 1 gives a large finite loss instead of inf. Prefer
    :func:`binary_cross_entropy_with_logits` on raw scores: it is more stable.

    Args:
        input: probabilities in [0, 1], any shape.
        target: the same shape, values in [0, 1].
        weight: rescales each element's loss (broadcast to the input's shape).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Example:
        >>> import minidl
        >>> p, y = minidl.tensor([0.8, 0.2]), minidl.tensor([1.0, 0.0])
        >>> round(binary_cross_entropy(p, y).item(), 4)
        0.2231
    """
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    target = _as_tensor(target, input)
    _check_same_shape(name, input, target)
    x = input._array
    if bool(((x < 0) | (x > 1)).any()):
        raise ArgumentError(f"{name}: all elements of input should be between 0 and 1 (apply "
                         "sigmoid first, or use binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    return _reduce(loss, reduction)


class BCEWithLogits(Function):
    """BCE on logits x, with positive-class weight pw (1 when not given):

        loss = pw * t * softplus(-x) + (1 - t) * softplus(x)
             (= -(pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))))

    softplus(x) = max(x, 0) + log(1 + exp(-|x|)) never overflows, and
    softplus(-x) = softplus(x) - x.

        dloss/dx  = sigmoid(x) * (pw t + 1 - t) - pw t
        dloss/dt  = pw softplus(-x) - softplus(x)
        dloss/dpw = t softplus(-x)
    """

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        xp = array_module(x)
        sp = xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))   # softplus(x)
        sp_neg = sp - x                                       # softplus(-x)
        pw_t = t if pos_weight is None else pos_weight * t
        ctx.save_for_backward(x, t, pos_weight, sp, sp_neg)
        return pw_t * sp_neg + (1 - t) * sp

    @staticmethod
    def backward(ctx, g):
        x, t, pos_weight, sp, sp_neg = ctx.saved_tensors
        xp = array_module(x)
        pw_t = t if pos_weight is None else pos_weight * t
        s = 0.5 * xp.tanh(0.5 * x) + 0.5                      # sigmoid(x), stably
        gx = g * (s * (pw_t + 1 - t) - pw_t)
        gt = gpw = None
        if ctx.needs_input_grad[1]:
            pw = 1 if pos_weight is None else pos_weight
            gt = g * (pw * sp_neg - sp)
        if ctx.needs_input_grad[2]:
            gpw = g * t * sp_neg
        return gx, gt, gpw


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one numerically stable step.

    Args:
        input: logits (raw scores), any shape (N, *).
        target: the same shape, values in [0, 1].
        weight: rescales each element's loss (broadcast to the input's shape).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        pos_weight: weight of the positive class, broadcast along the last dimension
            (one per class, e.g. ``num_negatives / num_positives`` for imbalanced labels).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([100.0, -100.0])
        >>> round(binary_cross_entropy_with_logits(x, minidl.tensor([1.0, 0.0])).item(), 6)
        0.0
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    target = _as_tensor(target, input)
    _check_same_shape(name, input, target)
    if pos_weight is not None:
        pos_weight = _as_tensor(pos_weight, input)
    loss = BCEWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------ kl_div
def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``KL(target || exp(input))`` summed element-wise.

    Element-wise: ``target * (log(target) - input)`` (0 where target is 0), or
    ``exp(target) * (target - input)`` when ``log_target``.

    Args:
        input: log-probabilities (e.g. ``log_softmax`` output), any shape.
        target: probabilities (or log-probabilities with ``log_target=True``), same shape.
        reduction: ``"batchmean"`` (sum / N: the true KL divergence per sample) |
            ``"mean"`` (mean over every element) | ``"sum"`` | ``"none"``.
        log_target: whether ``target`` is given as log-probabilities.

    Example:
        >>> import minidl
        >>> q = minidl.tensor([[0.5, 0.5]])
        >>> kl_div(q.log(), q, reduction="batchmean").item()
        0.0
    """
    name = "kl_div"
    _check_reduction(name, reduction, _REDUCTIONS + ("batchmean",))
    target = _as_tensor(target, input)
    _check_same_shape(name, input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # t log t is 0 at t = 0; the inner where keeps log away from 0 (no nan in backward)
        positive = target > 0
        safe = ops.where(positive, target, 1.0)
        loss = ops.where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim > 0 else 1)
    return _reduce(loss, reduction)


# ------------------------------------------------------------ similarity and norms
def _l2_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(||x||_2, eps) along ``dim`` (kept), with a zero gradient where it is eps."""
    return (x * x).sum(dim, keepdim=True).clamp(min=eps * eps).sqrt()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim``.

    ``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))``; x1 and x2 broadcast.

    Args:
        x1, x2: tensors of broadcastable shapes.
        dim: the dimension holding the vectors.
        eps: smallest norm used, to avoid dividing by zero.

    Shape:
        - Output: the broadcast shape without ``dim``.

    Example:
        >>> import minidl
        >>> sim = cosine_similarity(minidl.tensor([[1.0, 0.0]]), minidl.tensor([[1.0, 1.0]]))
        >>> [round(v, 4) for v in sim.tolist()]
        [0.7071]
    """
    x1 = _as_tensor(x1, x2 if isinstance(x2, Tensor) else Tensor(0.0))
    x2 = _as_tensor(x2, x1)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ShapeError(f"cosine_similarity: shapes {tuple(x1.shape)} and {tuple(x2.shape)} "
                         "do not broadcast") from None
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for shape {shape}")
    if x1.shape != shape:
        x1 = x1.expand(*shape)
    if x2.shape != shape:
        x2 = x2.expand(*shape)
    return ((x1 / _l2_norm(x1, dim, eps)) * (x2 / _l2_norm(x2, dim, eps))).sum(dim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """Divide by the p-norm along ``dim``: ``x / max(||x||_p, eps)``.

    Args:
        input: any shape.
        p: the norm's exponent (2: Euclidean length).
        dim: the dimension holding the vectors.
        eps: smallest norm used, to avoid dividing by zero.

    Example:
        >>> import minidl
        >>> normalize(minidl.tensor([[0.0, 2.0], [4.0, 0.0]])).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    if p == 2:
        return input / _l2_norm(input, dim, eps)
    norm = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / norm.clamp(min=eps)
