"""BYOL (S7): the EMA update exactly as tau says, the loss, gradients, and that training lowers it."""
import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.optim as optim
from minidl.models import BYOL, byol_loss, tau_schedule


def tiny_backbone():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def make_byol(**kwargs):
    minidl.manual_seed(0)
    return BYOL(tiny_backbone(), projection_dim=4, hidden_dim=16, feature_dim=8, **kwargs)


def test_tau_schedule_is_the_papers_cosine():
    assert tau_schedule(0, 10) == 0.996 and tau_schedule(10, 10) == 1.0
    assert tau_schedule(5, 10, 0.99) == pytest.approx(0.995)
    k, K = 3, 10
    assert tau_schedule(k, K) == pytest.approx(1 - 0.004 * (math.cos(math.pi * k / K) + 1) / 2)
    with pytest.raises(ValueError, match="tau_schedule"):
        tau_schedule(1, 0)


def test_target_starts_as_a_copy_without_gradients():
    byol = make_byol()
    online = dict(byol.backbone.named_parameters())
    for name, p in byol.target_backbone.named_parameters():
        np.testing.assert_array_equal(p.numpy(), online[name].numpy())
        assert not p.requires_grad
    assert all(p.requires_grad for p in byol.online_parameters())
    n_online = sum(1 for _ in byol.online_parameters())
    assert n_online == len(list(byol.backbone.parameters())) + 12  # 2 MLPs x (2 Linear + BN)


def test_ema_update_moves_the_target_exactly_as_tau_says():
    byol = make_byol(tau=0.9)
    rng = np.random.default_rng(1)
    for p in byol.online_parameters():  # make online and target differ
        p.data[...] = rng.standard_normal(p.shape).astype(np.float32)
    bn = byol.backbone[1]
    bn.running_mean.data[...] = rng.standard_normal(8).astype(np.float32)
    before_t = [p.numpy().copy() for p in byol.target_parameters()]
    online = [p.numpy().copy() for p in (*byol.backbone.parameters(), *byol.projector.parameters())]
    tau = byol.update_target(step=3, total_steps=10)
    assert tau == tau_schedule(3, 10, 0.9) and byol.tau == tau
    for t_old, o, t_new in zip(before_t, online, byol.target_parameters()):
        np.testing.assert_array_equal(t_new.numpy(), tau * t_old + (1 - tau) * o)  # same float32 ops
        exact = tau * t_old.astype(np.float64) + (1 - tau) * o.astype(np.float64)
        np.testing.assert_allclose(t_new.numpy(), exact, rtol=1e-6, atol=1e-7)
    # buffers (BN running statistics) are copied, as documented
    np.testing.assert_array_equal(byol.target_backbone[1].running_mean.numpy(),
                                  bn.running_mean.numpy())
    # the predictor has no target twin and is untouched; tau = 1 freezes the target
    frozen = [p.numpy().copy() for p in byol.target_parameters()]
    byol.update_target(step=10, total_steps=10)
    for old, p in zip(frozen, byol.target_parameters()):
        np.testing.assert_array_equal(old, p.numpy())


def test_loss_matches_the_formula_and_gradients_reach_the_online_network_only():
    x = np.random.default_rng(2).standard_normal((5, 6))
    y = np.random.default_rng(3).standard_normal((5, 6))
    cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    got = byol_loss(minidl.tensor(x), minidl.tensor(y)).item()
    assert got == pytest.approx((2 - 2 * cos).mean(), rel=1e-12)
    byol = make_byol()
    v1, v2 = minidl.randn(4, 3, 8, 8), minidl.randn(4, 3, 8, 8)
    loss = byol(v1, v2)
    assert 0.0 <= loss.item() <= 8.0
    loss.backward()
    assert all(p.grad is not None for p in byol.online_parameters())
    assert all(p.grad is None for p in byol.target_parameters())
    assert set(byol.backbone_state_dict()) == set(byol.backbone.state_dict())


def test_pre_training_lowers_the_loss():
    byol = make_byol()
    opt = optim.Adam(byol.online_parameters(), lr=0.01)
    rng = np.random.default_rng(4)
    images = rng.random((16, 3, 8, 8)).astype(np.float32)
    losses = []
    for step in range(30):
        noise = [minidl.tensor(images + 0.1 * rng.standard_normal(images.shape).astype(np.float32))
                 for _ in range(2)]
        loss = byol(*noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        byol.update_target(step + 1, 30)
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="BYOL: the backbone has no num_features"):
        BYOL(tiny_backbone())
    with pytest.raises(ValueError, match="BYOL: tau"):
        BYOL(tiny_backbone(), feature_dim=8, tau=1.5)
