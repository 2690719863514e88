"""Evaluation metrics: accuracy, top-k accuracy, confusion matrix, MAE/RMSE, IoU.

Metrics are bookkeeping, not part of the graph: every function accepts Tensors or
arrays (NumPy or CuPy), copies them to the host, and returns plain Python floats or
NumPy arrays. Nothing here records gradients.

Notation: N is the number of samples (or pixels), C the number of classes, K the
number of regression targets (columns).

Example:
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.1, 0.3], [0.2, 0.1, 3.0]])
    >>> accuracy(logits, np.array([0, 1]))
    0.5
"""
from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ..tensor import Tensor

__all__ = [
    "accuracy", "topk_accuracy", "confusion_matrix", "mae", "rmse",
    "iou_from_confusion_matrix", "iou_per_class", "mean_iou", "mean_iou_from_confusion_matrix", "AverageMeter", "RunningAverage",
]


def _host(x, name: str, fn: str) -> np.ndarray:
    """A Tensor or array (any device) or list as a NumPy array."""
    if isinstance(x, Tensor):
        x = x._array
    try:
        return np.asarray(to_numpy(x))
    except Exception:
        raise TypeError(f"{fn}: expected a Tensor or array for {name}, got {type(x).__name__}") from None


def _labels(output, target, fn: str) -> tuple:
    """Predicted and true labels, flattened. ``output`` holds labels or scores.

    Scores have one more dimension than the target, with classes on dim 1
    (``(N, C)`` for classification, ``(N, C, H, W)`` for segmentation), as in
    ``F.cross_entropy``; labels have the target's shape.
    """
    output, target = _host(output, "output", fn), _host(target, "target", fn)
    if output.ndim == target.ndim + 1:
        output = output.argmax(axis=1)
    if output.shape != target.shape:
        raise ValueError(f"{fn}: expected predictions with the target's shape {target.shape} "
                         f"or scores with classes on dim 1, got shape {output.shape}")
    if output.dtype.kind not in "iub" or target.dtype.kind not in "iub":
        raise TypeError(f"{fn}: expected integer class labels, got {output.dtype} predictions "
                        f"and a {target.dtype} target")
    return output.reshape(-1).astype(np.int64), target.reshape(-1).astype(np.int64)


def accuracy(output, target, ignore_index: int | None = None) -> float:
    """Fraction of samples whose predicted class equals the target.

    Args:
        output: predicted labels with the target's shape, or scores (logits or
            probabilities) with classes on dim 1; the predicted class is their argmax.
        target: true class labels.
        ignore_index: a target value to leave out (e.g. 255 for unlabelled pixels).

    Shape:
        output: ``(N,)``, ``(N, C)``, ``(N, H, W)`` or ``(N, C, H, W)``; target: ``(N,)`` or ``(N, H, W)``.

    Example:
        >>> accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 0]))
        0.5
    """
    pred, target = _labels(output, target, "accuracy")
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    if target.size == 0:
        raise ValueError("accuracy: no samples to score (empty target, or all ignored)")
    return float((pred == target).mean())


def topk_accuracy(output, target, k=(1, 5)):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    Ties are broken like ``argmax``: among equal scores the lower class index ranks
    first, so top-1 accuracy equals :func:`accuracy`.

    Args:
        output: scores (logits or probabilities).
        target: true class labels.
        k: an int, or a tuple of ints to get several accuracies at once.

    Returns:
        A float for an int ``k``, a tuple of floats for a tuple ``k``.

    Shape:
        output: ``(N, C)``; target: ``(N,)``.

    Example:
        >>> scores = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]])
        >>> topk_accuracy(scores, np.array([2, 1]), k=(1, 2))
        (0.0, 1.0)
    """
    scores, target = _host(output, "output", "topk_accuracy"), _host(target, "target", "topk_accuracy")
    if scores.ndim != 2 or target.shape != scores.shape[:1]:
        raise ValueError(f"topk_accuracy: expected scores of shape (N, C) and a target of shape "
                         f"(N,), got {scores.shape} and {target.shape}")
    n, num_classes = scores.shape
    if n == 0:
        raise ValueError("topk_accuracy: no samples to score")
    target = target.astype(np.int64)
    if target.min() < 0 or target.max() >= num_classes:
        raise ValueError(f"topk_accuracy: target labels must lie in [0, {num_classes}), "
                         f"got values from {target.min()} to {target.max()}")
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    for kk in ks:
        if not 1 <= kk <= num_classes:
            raise ValueError(f"topk_accuracy: k must lie in [1, {num_classes}], got {kk}")
    # The rank of the true class: how many classes beat it (ties go to the lower index).
    true_score = scores[np.arange(n), target][:, None]
    lower_index = np.arange(num_classes)[None, :] < target[:, None]
    rank = (scores > true_score).sum(axis=1) + ((scores == true_score) & lower_index).sum(axis=1)
    result = tuple(float((rank < kk).mean()) for kk in ks)
    return result[0] if isinstance(k, (int, np.integer)) else result


def confusion_matrix(output, target, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    ``cm[i, j]`` is the number of samples of true class ``i`` predicted as class ``j``:
    the diagonal holds the correct predictions, row sums the class frequencies.

    Args:
        output: predicted labels, or scores with classes on dim 1.
        target: true class labels.
        num_classes: C, the size of the matrix.
        ignore_index: a target value to leave out (its samples are not counted).

    Shape:
        returns ``(C, C)`` int64.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
        array([[1, 0, 0],
               [0, 1, 0],
               [0, 1, 1]])
    """
    pred, target = _labels(output, target, "confusion_matrix")
    if ignore_index is not None:
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
    for name, labels in (("predictions", pred), ("target", target)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} must lie in [0, {num_classes}), got values "
                             f"from {labels.min()} to {labels.max()}")
    # Each (true, pred) pair gets one bin number true * C + pred; counting bins fills the matrix.
    counts = np.bincount(target * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _regression_pair(output, target, fn: str) -> tuple:
    output = _host(output, "output", fn).astype(np.float64)
    target = _host(target, "target", fn).astype(np.float64)
    if output.shape != target.shape:
        raise ValueError(f"{fn}: output and target must have the same shape, got {output.shape} "
                         f"and {target.shape}")
    if output.ndim not in (1, 2) or output.shape[0] == 0:
        raise ValueError(f"{fn}: expected non-empty inputs of shape (N,) or (N, K), got {output.shape}")
    return output, target


def _reduce(per_column: np.ndarray, reduction: str, fn: str):
    if reduction == "none":
        return per_column
    if reduction == "mean":
        return float(per_column.mean())
    raise ValueError(f"{fn}: reduction must be 'mean' or 'none', got {reduction!r}")


def mae(output, target, reduction: str = "mean"):
    """Mean absolute error, per column: ``mean_n |output[n, k] - target[n, k]|``.

    For counting (how many people, cars, cells in an image) this is the error in
    objects per image.

    Args:
        output: predictions. target: true values.
        reduction: ``'mean'`` returns the average over columns as a float;
            ``'none'`` returns one value per column.

    Shape:
        output, target: ``(N,)`` or ``(N, K)``; with ``'none'`` the result is ``(1,)`` or ``(K,)``.

    Example:
        >>> mae(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[2.0, 5.0], [0.0, 1.0]]), reduction="none")
        array([2., 2.])
    """
    output, target = _regression_pair(output, target, "mae")
    per_column = np.abs(output - target).reshape(output.shape[0], -1).mean(axis=0)
    return _reduce(per_column, reduction, "mae")


def rmse(output, target, reduction: str = "mean"):
    """Root mean squared error, per column: ``sqrt(mean_n (output[n, k] - target[n, k])**2)``.

    RMSE weighs large misses more than :func:`mae` does.

    Args:
        output: predictions. target: true values.
        reduction: ``'mean'`` returns the average of the per-column RMSEs as a float;
            ``'none'`` returns one value per column.

    Shape:
        output, target: ``(N,)`` or ``(N, K)``; with ``'none'`` the result is ``(1,)`` or ``(K,)``.

    Example:
        >>> rmse(np.array([1.0, 1.0]), np.array([4.0, 5.0]))
        3.5355339059327378
    """
    output, target = _regression_pair(output, target, "rmse")
    per_column = np.sqrt(((output - target) ** 2).reshape(output.shape[0], -1).mean(axis=0))
    return _reduce(per_column, reduction, "rmse")


def iou_from_confusion_matrix(cm, ignore_index: int | None = None) -> np.ndarray:
    """Intersection over union per class from a confusion matrix.

    ``IoU_c = TP / (TP + FP + FN)``: true positives over the pixels that are class c
    in the prediction or in the target. A class absent from both has no IoU (NaN),
    so that it does not count in :func:`mean_iou`. Summing confusion matrices over a
    dataset and calling this once gives the dataset IoU (not a mean of batch IoUs).

    Args:
        cm: ``(C, C)`` counts, rows = true class, columns = predicted class.
        ignore_index: a class to report as NaN (left out of the mean).

    Example:
        >>> iou_from_confusion_matrix(np.array([[2, 1], [0, 1]]))
        array([0.66666667, 0.5       ])
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    iou = np.full(len(tp), np.nan)
    present = union > 0
    iou[present] = tp[present] / union[present]
    if ignore_index is not None and 0 <= ignore_index < len(iou):
        iou[ignore_index] = np.nan
    return iou


def iou_per_class(output, target, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """IoU of each class for one batch of segmentation maps.

    Args:
        output: predicted labels ``(N, H, W)`` or scores ``(N, C, H, W)``.
        target: true labels ``(N, H, W)``.
        num_classes: C.
        ignore_index: a target value whose pixels are left out (e.g. 255 for object
            borders); if it is one of the classes, that class's IoU is NaN.

    Returns:
        ``(C,)`` float64, NaN for classes that appear neither in the prediction nor in
        the target.

    Example:
        >>> pred = np.array([[0, 0], [1, 1]])
        >>> target = np.array([[0, 1], [1, 1]])
        >>> iou_per_class(pred, target, num_classes=3)
        array([0.5       , 0.66666667,        nan])
    """
    cm = confusion_matrix(output, target, num_classes, ignore_index=ignore_index)
    return iou_from_confusion_matrix(cm, ignore_index)


MEAN_IOU_MODES = ("present", "evaluator")


def mean_iou_from_confusion_matrix(cm, ignore_index: int | None = None, mode: str = "present",
                                   exclude=()) -> float:
    """The mean IoU of a (dataset-pooled) confusion matrix; see :func:`mean_iou` for the modes.

    Example:
        >>> cm = np.array([[2, 1, 0], [0, 1, 0], [0, 0, 0]])
        >>> mean_iou_from_confusion_matrix(cm), mean_iou_from_confusion_matrix(cm, mode="evaluator")
        (0.5833333333333333, nan)
    """
    if mode not in MEAN_IOU_MODES:
        raise ValueError(f"mean_iou: mode must be one of {MEAN_IOU_MODES}, got {mode!r}")
    iou = iou_from_confusion_matrix(cm, ignore_index)
    exclude = {int(exclude)} if isinstance(exclude, (int, np.integer)) else {int(c) for c in exclude}
    if ignore_index is not None:
        exclude.add(int(ignore_index))
    kept = iou[[c for c in range(len(iou)) if c not in exclude]]
    if mode == "evaluator":
        return float(kept.mean()) if kept.size else float("nan")  # NaN if any class is absent
    return float(np.nanmean(kept)) if np.isfinite(kept).any() else float("nan")


def mean_iou(output, target, num_classes: int, ignore_index: int | None = None,
             mode: str = "present", exclude=()) -> float:
    """Mean of :func:`iou_per_class`, in one of two conventions.

    * ``mode="present"`` (the default; PyTorch-metrics' macro Jaccard index): pixels whose
      TRUE class is ``ignore_index`` are dropped before counting (so what is predicted
      on them is never a false positive), and classes absent from both prediction and
      target are left out of the mean.
    * ``mode="evaluator"``: the rule of the segmentation course's evaluator. Every pixel
      counts; ``IoU_c = TP / (TP + FP + FN)`` pooled over all pixels given; the mean is
      over the classes not in ``exclude`` (the "unknown" class), whose pixels still count:
      a pixel predicted as unknown is a miss for its true class, and a pixel whose true
      class is unknown is a false positive for the class predicted there. A class absent
      from both prediction and target has IoU 0/0 = NaN, and so has the mean.

    Args:
        output: predicted labels ``(N, H, W)`` or scores ``(N, C, H, W)``.
        target: true labels ``(N, H, W)``.
        num_classes: C.
        ignore_index: ``"present"`` mode only: a target value whose pixels are dropped.
        mode: ``"present"`` or ``"evaluator"``.
        exclude: a class or classes left out of the mean (their pixels are still counted).

    Pool a whole data set by summing :func:`confusion_matrix` over batches and calling
    :func:`mean_iou_from_confusion_matrix` once, as the evaluator does.

    Example:
        >>> target = np.array([[0, 0, 6, 6], [1, 1, 2, 3], [4, 5, 5, 5]])
        >>> pred = np.array([[0, 0, 0, 1], [1, 1, 2, 3], [4, 5, 5, 6]])
        >>> round(mean_iou(pred, target, 7, ignore_index=6), 4)
        0.9444
        >>> round(mean_iou(pred, target, 7, mode="evaluator", exclude=6), 4)
        0.8333
    """
    if mode == "evaluator" and ignore_index is not None:
        raise ValueError("mean_iou: mode='evaluator' counts every pixel; name the unknown class "
                         f"in exclude= instead of ignore_index (got ignore_index={ignore_index})")
    cm = confusion_matrix(output, target, num_classes, ignore_index=ignore_index)
    return mean_iou_from_confusion_matrix(cm, ignore_index, mode, exclude)


class AverageMeter:
    """Running average of a quantity over a stream of batches, weighted by batch size.

    Average the per-batch mean loss with ``n`` = the batch size, and the epoch's mean
    comes out right even when the last batch is smaller.

    Args:
        name: a label for printing.

    Example:
        >>> meter = AverageMeter("loss")
        >>> meter.update(2.0, n=3); meter.update(1.0, n=1)
        >>> meter.avg, meter.count, meter.val
        (1.75, 4, 1.0)
    """

    def __init__(self, name: str = ""):
        self.name = name
        self.reset()

    def reset(self) -> None:
        """Forget every value seen."""
        self.val = 0.0
        self.sum = 0.0
        self.count = 0

    def update(self, value, n: int = 1) -> None:
        """Add ``value`` (a number or a one-element Tensor), counted ``n`` times."""
        if isinstance(value, Tensor):
            value = value.item()
        if n < 0:
            raise ValueError(f"AverageMeter.update: n must be non-negative, got {n}")
        self.val = float(value)
        self.sum += self.val * n
        self.count += n

    @property
    def avg(self) -> float:
        """The weighted average so far (NaN before the first update)."""
        return self.sum / self.count if self.count else float("nan")

    def __repr__(self) -> str:
        return f"AverageMeter({self.name!r}, avg={self.avg:.4g}, count={self.count})"


RunningAverage = AverageMeter
"""Another name for :class:`AverageMeter`."""
