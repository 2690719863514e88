"""Tests for minidl.utils.metrics against hand-computed values and loop references."""
import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.utils import metrics as metrics_module
from minidl.utils.metrics import (AverageMeter, RunningAverage, accuracy, confusion_matrix,
                                  iou_from_confusion_matrix, iou_per_class, mae, mean_iou,
                                  mean_iou_from_confusion_matrix, rmse,
                                  topk_accuracy)


def test_docstring_examples():
    result = doctest.testmod(metrics_module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------- accuracy
def test_accuracy_from_logits_and_from_labels():
    logits = np.array([[0.1, 2.0, 0.3],    # predicts 1
                       [5.0, 1.0, 0.0],    # predicts 0
                       [0.0, 0.0, 0.1],    # predicts 2
                       [1.0, 1.0, 0.0]])   # tie: argmax picks 0
    target = np.array([1, 2, 2, 0])
    assert accuracy(logits, target) == 0.75
    assert accuracy(np.array([1, 0, 2, 0]), target) == 0.75
    assert accuracy(minidl.tensor(logits), minidl.tensor(target)) == 0.75


def test_accuracy_segmentation_with_ignore_index():
    # scores (N=1, C=2, H=2, W=2): class 1 wins where the second map is larger
    scores = np.array([[[[1.0, 0.0], [0.0, 0.0]],
                        [[0.0, 1.0], [1.0, 1.0]]]])
    target = np.array([[[0, 1], [0, 255]]])  # pixels: right, right, wrong, ignored
    assert accuracy(scores, target, ignore_index=255) == pytest.approx(2 / 3)
    assert accuracy(scores, target) == 0.5


def test_accuracy_rejects_bad_shapes_and_empty_input():
    with pytest.raises(ValueError, match=r"accuracy: expected predictions .*\(3,\).*\(2,\)"):
        accuracy(np.array([1, 2]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="no samples"):
        accuracy(np.array([255]), np.array([255]), ignore_index=255)
    with pytest.raises(TypeError, match="integer class labels"):
        accuracy(np.array([0.0, 1.0]), np.array([0, 1]))


# --------------------------------------------------------------------- top-k
def test_topk_accuracy_hand_computed():
    scores = np.array([[0.1, 0.5, 0.3, 0.05, 0.05],   # target 2 is 2nd
                       [0.9, 0.05, 0.02, 0.02, 0.01],  # target 0 is 1st
                       [0.2, 0.1, 0.3, 0.25, 0.15],    # target 4 is 4th
                       [0.3, 0.2, 0.1, 0.05, 0.35]])   # target 3 is 5th
    target = np.array([2, 0, 4, 3])
    assert topk_accuracy(scores, target, k=(1, 2, 4, 5)) == (0.25, 0.5, 0.75, 1.0)
    assert topk_accuracy(minidl.tensor(scores), minidl.tensor(target), k=2) == 0.5


def test_topk_ties_follow_argmax():
    scores = np.zeros((3, 4))  # every class tied: the lowest index ranks first
    target = np.array([0, 1, 3])
    assert topk_accuracy(scores, target, k=(1, 2, 3, 4)) == (1 / 3, 2 / 3, 2 / 3, 1.0)
    assert topk_accuracy(scores, target, k=1) == accuracy(scores, target)


@given(st.integers(1, 6), st.integers(2, 6), st.data())
def test_topk_matches_sort_reference(n, c, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    scores = rng.integers(0, 3, size=(n, c)).astype(np.float64)  # small values: many ties
    target = rng.integers(0, c, size=n)
    k = data.draw(st.integers(1, c))
    order = np.argsort(-scores, axis=1, kind="stable")  # stable: ties keep index order
    expected = np.mean([target[i] in order[i, :k] for i in range(n)])
    assert topk_accuracy(scores, target, k=k) == pytest.approx(expected)


def test_topk_rejects_bad_k_and_labels():
    with pytest.raises(ValueError, match=r"k must lie in \[1, 3\], got 5"):
        topk_accuracy(np.zeros((2, 3)), np.array([0, 1]))  # default k=(1, 5) with 3 classes
    with pytest.raises(ValueError, match="target labels"):
        topk_accuracy(np.zeros((2, 3)), np.array([0, 3]), k=1)


# ---------------------------------------------------------- confusion matrix
def test_confusion_matrix_hand_computed():
    pred = np.array([0, 1, 1, 2, 2, 2, 0])
    target = np.array([0, 1, 2, 2, 2, 1, 0])
    expected = np.array([[2, 0, 0],
                         [0, 1, 1],
                         [0, 1, 2]])
    assert np.array_equal(confusion_matrix(pred, target, 3), expected)
    assert confusion_matrix(pred, target, 3).sum() == len(target)


@given(st.integers(1, 5), st.lists(st.integers(0, 4), min_size=1, max_size=30), st.data())
def test_confusion_matrix_matches_loop(c, target, data):
    target = np.array([t % c for t in target])
    pred = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=len(target),
                                       max_size=len(target))))
    expected = np.zeros((c, c), dtype=np.int64)
    for t, p in zip(target, pred):
        expected[t, p] += 1
    assert np.array_equal(confusion_matrix(pred, target, c), expected)


def test_confusion_matrix_ignore_and_range_check():
    cm = confusion_matrix(np.array([0, 1, 1]), np.array([0, 255, 1]), 2, ignore_index=255)
    assert np.array_equal(cm, [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"target must lie in \[0, 2\)"):
        confusion_matrix(np.array([0, 1]), np.array([0, 2]), 2)


# ---------------------------------------------------------------- regression
def test_mae_rmse_per_column_and_mean():
    pred = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 14.0]])
    target = np.array([[1.0, 12.0], [4.0, 10.0], [0.0, 10.0]])
    # column 0 errors 0, 2, 3; column 1 errors 2, 0, 4
    assert np.allclose(mae(pred, target, reduction="none"), [5 / 3, 2.0])
    assert mae(pred, target) == pytest.approx((5 / 3 + 2.0) / 2)
    assert np.allclose(rmse(pred, target, reduction="none"), [math.sqrt(13 / 3), math.sqrt(20 / 3)])
    assert rmse(pred, target) == pytest.approx((math.sqrt(13 / 3) + math.sqrt(20 / 3)) / 2)
    # one column, Tensors accepted
    counts = minidl.tensor([3.0, 7.0]), minidl.tensor([5.0, 6.0])
    assert mae(*counts) == pytest.approx(1.5)
    assert rmse(*counts) == pytest.approx(math.sqrt(2.5))


def test_regression_metrics_reject_mismatch():
    with pytest.raises(ValueError, match=r"mae: .*same shape.*\(2,\).*\(2, 1\)"):
        mae(np.zeros(2), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="reduction"):
        rmse(np.zeros(2), np.zeros(2), reduction="sum")


# ----------------------------------------------------------------------- IoU
def test_iou_hand_computed_with_absent_class():
    pred = np.array([[0, 0, 1],
                     [1, 1, 1]])
    target = np.array([[0, 1, 1],
                       [1, 1, 0]])
    # class 0: TP 1, pred 2, true 2 -> 1/3; class 1: TP 3, pred 4, true 4 -> 3/5;
    # class 2: in neither -> NaN, left out of the mean
    iou = iou_per_class(pred, target, num_classes=3)
    assert np.allclose(iou[:2], [1 / 3, 3 / 5]) and np.isnan(iou[2])
    assert mean_iou(pred, target, num_classes=3) == pytest.approx((1 / 3 + 3 / 5) / 2)


def test_iou_class_only_predicted_counts_as_zero():
    iou = iou_per_class(np.array([2, 1]), np.array([1, 1]), num_classes=3)
    assert np.isnan(iou[0]) and iou[1] == 0.5 and iou[2] == 0.0
    assert mean_iou(np.array([2, 1]), np.array([1, 1]), num_classes=3) == 0.25


def test_iou_ignore_index_pixels_and_class():
    pred = np.array([0, 1, 1, 2])
    target = np.array([0, 1, 255, 2])
    assert mean_iou(pred, target, num_classes=3, ignore_index=255) == 1.0
    # ignore_index naming a real class: its pixels are dropped and the class left out
    pred = np.array([0, 1, 1, 0])
    target = np.array([0, 1, 0, 0])
    iou = iou_per_class(pred, target, num_classes=2, ignore_index=0)
    assert np.isnan(iou[0]) and iou[1] == 1.0
    assert math.isnan(mean_iou(np.array([0]), np.array([0]), num_classes=2, ignore_index=0))


# The case of the segmentation issue: 7 classes, 6 = "unknown".
ISSUE_TARGET = np.array([[0, 0, 6, 6], [1, 1, 2, 3], [4, 5, 5, 5]])
ISSUE_PRED = np.array([[0, 0, 0, 1], [1, 1, 2, 3], [4, 5, 5, 6]])


def test_mean_iou_present_mode_drops_pixels_whose_true_class_is_ignored():
    # the two unknown pixels are dropped, so predicting 0 and 1 there costs nothing:
    # classes 0-4 score 1, class 5: TP 2, pred 2, true 3 -> 2/3 (its 6-prediction is a miss)
    iou = iou_per_class(ISSUE_PRED, ISSUE_TARGET, 7, ignore_index=6)
    assert np.allclose(iou[:6], [1, 1, 1, 1, 1, 2 / 3]) and np.isnan(iou[6])
    assert mean_iou(ISSUE_PRED, ISSUE_TARGET, 7, ignore_index=6) == pytest.approx(17 / 18)


def test_mean_iou_evaluator_mode_counts_unknown_pixels():
    # class 0: pred 3 (one on an unknown pixel), true 2, TP 2 -> 2/3
    # class 1: pred 3 (one on an unknown pixel), true 2, TP 2 -> 2/3
    # classes 2, 3, 4: 1; class 5: pred 2, true 3 (one predicted unknown), TP 2 -> 2/3
    expected = (2 / 3 + 2 / 3 + 1 + 1 + 1 + 2 / 3) / 6
    got = mean_iou(ISSUE_PRED, ISSUE_TARGET, 7, mode="evaluator", exclude=6)
    assert got == pytest.approx(expected) and round(got, 3) == 0.833
    # the same from a pooled confusion matrix of two halves (the evaluator pools all images)
    cm = sum(confusion_matrix(ISSUE_PRED[rows], ISSUE_TARGET[rows], 7)
             for rows in (slice(0, 1), slice(1, 3)))
    assert mean_iou_from_confusion_matrix(cm, mode="evaluator", exclude=[6]) == pytest.approx(expected)


def test_mean_iou_evaluator_mode_absent_class_is_nan_present_mode_skips_it():
    target = np.array([[0, 0, 1, 6]])
    pred = np.array([[0, 1, 1, 6]])
    # classes 2-5 appear nowhere: the evaluator's 0/0 makes the mean NaN
    assert math.isnan(mean_iou(pred, target, 7, mode="evaluator", exclude=6))
    # present mode: class 0 1/2, class 1 1/2, class 6 1 left out by exclude -> 1/2
    assert mean_iou(pred, target, 7, exclude=6) == pytest.approx(0.5)
    # with only classes 0 and 1 in the label set the evaluator's mean exists
    assert mean_iou(np.array([0, 1, 1]), np.array([0, 0, 1]), 2, mode="evaluator") == pytest.approx(0.5)


def test_mean_iou_bad_mode_and_ignore_index_in_evaluator_mode_raise():
    with pytest.raises(ValueError, match="mode must be one of"):
        mean_iou(ISSUE_PRED, ISSUE_TARGET, 7, mode="torch")
    with pytest.raises(ValueError, match="exclude="):
        mean_iou(ISSUE_PRED, ISSUE_TARGET, 7, ignore_index=6, mode="evaluator")


def test_iou_from_scores_and_summed_confusion_matrices():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((2, 3, 4, 4))
    target = rng.integers(0, 3, size=(2, 4, 4))
    pred = scores.argmax(axis=1)
    assert np.allclose(iou_per_class(scores, target, 3), iou_per_class(pred, target, 3),
                       equal_nan=True)
    cm = confusion_matrix(pred[:1], target[:1], 3) + confusion_matrix(pred[1:], target[1:], 3)
    assert np.allclose(iou_from_confusion_matrix(cm), iou_per_class(pred, target, 3),
                       equal_nan=True)


# ------------------------------------------------------------- AverageMeter
def test_average_meter_weights_by_batch_size():
    meter = AverageMeter("loss")
    assert math.isnan(meter.avg)
    for value, n in [(1.0, 4), (2.0, 4), (4.0, 2)]:
        meter.update(value, n)
    assert meter.avg == pytest.approx((4 + 8 + 8) / 10) and meter.count == 10 and meter.val == 4.0
    meter.update(minidl.tensor(0.5))
    assert meter.val == 0.5 and meter.count == 11
    meter.reset()
    assert meter.count == 0 and meter.sum == 0.0
    assert RunningAverage is AverageMeter
