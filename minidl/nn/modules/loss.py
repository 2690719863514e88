"""Loss layers: each holds its options and calls one function of :mod:`minidl.nn.functional`.

Example:
    >>> import minidl, minidl.nn as nn
    >>> criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> logits = minidl.randn(8, 10, requires_grad=True)
    >>> loss = criterion(logits, minidl.randint(0, 10, (8,)))
    >>> loss.backward()
    >>> logits.grad.shape
    (8, 10)
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional.loss import _REDUCTIONS, _check_reduction
from .module import Module
from ...errors import ArgumentError

__all__ = [
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
    "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "CosineSimilarity",
]


def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags as a reduction string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class _Loss(Module):
    _allowed = _REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        _check_reduction(type(self).__name__, reduction, self._allowed)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        # a buffer, not a parameter: it moves with .to() but is not trained
        self.register_buffer("weight", weight if weight is None or isinstance(weight, Tensor)
                             else Tensor(weight))


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities.

    See :func:`minidl.nn.functional.cross_entropy`.

    Args:
        weight: (C,) weight of each class.
        ignore_index: target value that is skipped (default -100).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        label_smoothing: eps in [0, 1].

    Shape:
        - Input: (N, C) or (N, C, d1, ...) logits.
        - Target: (N,) / (N, d1, ...) class indices, or the input's shape for probabilities.
        - Output: scalar, or the target's shape (indices) with ``reduction="none"``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> loss = nn.CrossEntropyLoss()(minidl.zeros(4, 5), minidl.tensor([0, 1, 2, 3]))
        >>> round(loss.item(), 4)  # log(5)
        1.6094
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ArgumentError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, on log-probabilities.

    See :func:`minidl.nn.functional.nll_loss`.

    Args:
        weight: (C,) weight of each class.
        ignore_index: target value that is skipped (default -100).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Shape:
        - Input: (N, C) or (N, C, d1, ...) log-probabilities.
        - Target: (N,) or (N, d1, ...) class indices.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.NLLLoss()(minidl.tensor([[-1.0, -2.0]]), minidl.tensor([1])).item()
        2.0
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error (see :func:`minidl.nn.functional.mse_loss`).

    Args:
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Shape:
        - Input and target: the same shape. Output: scalar, or that shape with ``"none"``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.MSELoss()(minidl.tensor([0.0, 2.0]), minidl.tensor([0.0, 0.0])).item()
        2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (see :func:`minidl.nn.functional.l1_loss`).

    Args:
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.L1Loss(reduction="sum")(minidl.tensor([1.0, -2.0]), minidl.zeros(2)).item()
        3.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see :func:`~minidl.nn.functional.smooth_l1_loss`).

    Args:
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        beta: the switch point (default 1).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.SmoothL1Loss()(minidl.tensor([3.0]), minidl.zeros(1)).item()
        2.5
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear above (see :func:`minidl.nn.functional.huber_loss`).

    Args:
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        delta: the switch point (default 1).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.HuberLoss(delta=2.0)(minidl.tensor([3.0]), minidl.zeros(1)).item()
        4.0
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities.

    See :func:`minidl.nn.functional.binary_cross_entropy`.

    Args:
        weight: rescales each element's loss (broadcast to the input's shape).
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> round(nn.BCELoss()(minidl.tensor([0.5]), minidl.tensor([1.0])).item(), 4)
        0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy, stably (see
    :func:`~minidl.nn.functional.binary_cross_entropy_with_logits`).

    Args:
        weight: rescales each element's loss.
        reduction: ``"none"`` | ``"mean"`` | ``"sum"``.
        pos_weight: (C,) weight of the positive class, along the last dimension.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> round(nn.BCEWithLogitsLoss()(minidl.zeros(2), minidl.tensor([1.0, 0.0])).item(), 4)
        0.6931
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight if weight is None or isinstance(weight, Tensor)
                             else Tensor(weight))
        self.register_buffer("pos_weight", pos_weight if pos_weight is None
                             or isinstance(pos_weight, Tensor) else Tensor(pos_weight))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence of log-probability inputs from target probabilities (see
    :func:`minidl.nn.functional.kl_div`).

    Args:
        reduction: ``"batchmean"`` (the true KL per sample) | ``"mean"`` | ``"sum"`` | ``"none"``.
        log_target: whether the target is given as log-probabilities.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> p = minidl.tensor([[0.25, 0.75]])
        >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
        0.0
    """

    _allowed = _REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim`` (see
    :func:`minidl.nn.functional.cosine_similarity`).

    Args:
        dim: the dimension holding the vectors (default 1).
        eps: smallest norm used (default 1e-8).

    Shape:
        - Input: two broadcastable tensors. Output: their broadcast shape without ``dim``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.CosineSimilarity()(minidl.tensor([[1.0, 0.0]]), minidl.tensor([[2.0, 0.0]])).tolist()
        [1.0]
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"
