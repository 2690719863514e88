"""Loss modules: same values as the functions, options stored, weights as buffers."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.nn.modules import loss as loss_module


def test_docstring_examples():
    result = doctest.testmod(loss_module)
    assert result.attempted > 0 and result.failed == 0


def _data():
    rng = np.random.default_rng(0)
    logits = minidl.tensor(rng.standard_normal((6, 4)))
    labels = minidl.tensor(rng.integers(0, 4, 6))
    probs = minidl.tensor(rng.random((6, 4)) * 0.9 + 0.05)
    targets = minidl.tensor(rng.random((6, 4)))
    return logits, labels, probs, targets


def test_modules_equal_functions():
    logits, labels, probs, targets = _data()
    w = minidl.tensor([1.0, 2.0, 0.5, 1.0], dtype=minidl.float64)
    pairs = [
        (nn.CrossEntropyLoss(w, ignore_index=1, reduction="sum",
                             label_smoothing=0.1)(logits, labels),
         F.cross_entropy(logits, labels, w, 1, "sum", 0.1)),
        (nn.NLLLoss(w)(logits.log_softmax(1), labels),
         F.nll_loss(logits.log_softmax(1), labels, w)),
        (nn.MSELoss(reduction="none")(probs, targets), F.mse_loss(probs, targets, "none")),
        (nn.L1Loss()(probs, targets), F.l1_loss(probs, targets)),
        (nn.SmoothL1Loss(beta=0.3)(logits, targets), F.smooth_l1_loss(logits, targets, beta=0.3)),
        (nn.HuberLoss(delta=0.3)(logits, targets), F.huber_loss(logits, targets, delta=0.3)),
        (nn.BCELoss(w)(probs, targets), F.binary_cross_entropy(probs, targets, w)),
        (nn.BCEWithLogitsLoss(pos_weight=w)(logits, targets),
         F.binary_cross_entropy_with_logits(logits, targets, pos_weight=w)),
        (nn.KLDivLoss(reduction="batchmean")(probs.log(), targets),
         F.kl_div(probs.log(), targets, reduction="batchmean")),
        (nn.CosineSimilarity(dim=0)(logits, targets), F.cosine_similarity(logits, targets, 0)),
    ]
    for mine, ref in pairs:
        np.testing.assert_array_equal(mine._array, ref._array)


def test_weight_is_a_buffer_that_moves_with_the_module():
    loss = nn.CrossEntropyLoss(weight=minidl.tensor([1.0, 2.0]))
    assert list(loss.parameters()) == [] and [n for n, _ in loss.named_buffers()] == ["weight"]
    loss.double()
    assert loss.weight.dtype == np.float64
    assert "weight" in loss.state_dict()
    assert nn.BCEWithLogitsLoss(pos_weight=[2.0]).pos_weight.tolist() == [2.0]
    assert nn.CrossEntropyLoss().weight is None


def test_reduction_validation_and_legacy_flags():
    for cls in (nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss, nn.BCELoss,
                nn.BCEWithLogitsLoss, nn.SmoothL1Loss, nn.HuberLoss):
        with pytest.raises(ValueError, match=f"{cls.__name__}: reduction must be one of"):
            cls(reduction="batchmean")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)


def test_reprs():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity(dim=1, eps=1e-08)"


def test_training_step_reduces_loss():
    minidl.manual_seed(0)
    x = minidl.randn(32, 3)
    y = minidl.tensor((x._array[:, 0] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    criterion = nn.CrossEntropyLoss()
    first = None
    for _ in range(30):
        loss = criterion(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with minidl.no_grad():
            for p in model.parameters():
                p.copy_(p - 0.5 * p.grad)
    assert loss.item() < 0.5 * first
