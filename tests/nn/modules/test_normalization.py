"""BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm modules: running statistics over
several steps against a NumPy transcription, train/eval behaviour, buffers, state_dict,
errors naming the layer, and PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn as nn
from minidl.autograd import gradcheck
import minidl.nn.modules.normalization as modules_normalization_module


def test_docstring_examples():
    result = doctest.testmod(modules_normalization_module)
    assert result.attempted > 0 and result.failed == 0


class NumpyBatchNorm:
    """The textbook update rule, written out: what BatchNorm's buffers should hold."""

    def __init__(self, c, momentum, eps=1e-5):
        self.mean, self.var, self.count = np.zeros(c), np.ones(c), 0
        self.momentum, self.eps = momentum, eps

    def train_step(self, x):
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.size // x.shape[1]
        mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased: normalises the batch
        self.count += 1
        factor = 1.0 / self.count if self.momentum is None else self.momentum
        self.mean = (1 - factor) * self.mean + factor * mean
        self.var = (1 - factor) * self.var + factor * var * m / (m - 1)  # unbiased
        return self.normalise(x, mean, var)

    def normalise(self, x, mean=None, var=None):
        mean = self.mean if mean is None else mean
        var = self.var if var is None else var
        view = (1, -1) + (1,) * (x.ndim - 2)
        return (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + self.eps)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("layer,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                         (nn.BatchNorm2d, (4, 3, 2, 3))])
def test_running_statistics_over_several_steps_match_numpy(layer, shape, momentum):
    rng = np.random.default_rng(0)
    bn = layer(3, momentum=momentum).double()
    ref = NumpyBatchNorm(3, momentum)
    for step in range(4):
        x = rng.standard_normal(shape) * (1 + step) + step
        y = bn(minidl.tensor(x))
        np.testing.assert_allclose(y._array, ref.train_step(x), atol=1e-10)
        np.testing.assert_allclose(bn.running_mean._array, ref.mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var._array, ref.var, rtol=1e-12)
        assert int(bn.num_batches_tracked) == step + 1
    bn.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(bn(minidl.tensor(x))._array, ref.normalise(x), atol=1e-10)
    assert int(bn.num_batches_tracked) == 4  # eval does not count or update


def test_eval_differs_from_train_and_leaves_buffers_alone():
    bn = nn.BatchNorm2d(2)
    x = minidl.randn(4, 2, 3, 3) * 3 + 1
    bn(x)
    before = (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy())
    bn.eval()
    y_eval = bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before[0])
    np.testing.assert_array_equal(bn.running_var.numpy(), before[1])
    y_train = bn.train()(x)
    assert not np.allclose(y_eval._array, y_train._array)


def test_track_running_stats_false_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert [name for name, _ in bn.named_buffers()] == []
    x = minidl.randn(5, 3) * 2 + 4
    bn.eval()
    y = bn(x)._array
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=0), 1, atol=1e-3)


def test_parameters_buffers_and_state_dict():
    bn = nn.BatchNorm2d(4)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64
    assert bn.weight.tolist() == [1.0] * 4 and bn.bias.tolist() == [0.0] * 4
    assert not bn.running_mean.requires_grad
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    no_affine = nn.BatchNorm2d(4, affine=False)
    assert list(no_affine.parameters()) == [] and no_affine.weight is None


def test_state_dict_round_trip_and_old_checkpoints_without_counter():
    src = nn.BatchNorm1d(3)
    for _ in range(3):
        src(minidl.randn(8, 3) + 2)
    dst = nn.BatchNorm1d(3)
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(dst.running_mean.numpy(), src.running_mean.numpy())
    assert int(dst.num_batches_tracked) == 3
    old = {k: v for k, v in src.state_dict().items() if k != "num_batches_tracked"}
    dst.load_state_dict(old)
    assert int(dst.num_batches_tracked) == 0


def test_reset_running_stats_and_parameters():
    bn = nn.BatchNorm1d(2)
    bn(minidl.randn(6, 2) + 3)
    with minidl.no_grad():
        bn.weight.fill_(2.0)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
    assert int(bn.num_batches_tracked) == 0 and bn.weight.tolist() == [2.0, 2.0]
    bn.reset_parameters()
    assert bn.weight.tolist() == [1.0, 1.0]


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError) as err:
        nn.BatchNorm2d(64)(minidl.zeros(8, 32, 16, 16))
    assert str(err.value) == "BatchNorm2d(64): expected input of shape (N, 64, H, W), got (8, 32, 16, 16)"
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected input of shape \(N, 3\) or "
                                         r"\(N, 3, L\), got \(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(minidl.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(5,\)\): expected input of shape \(\*, 5\)"):
        nn.LayerNorm(5)(minidl.zeros(2, 4))
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4\): expected input of shape \(N, 4, \*\)"):
        nn.GroupNorm(2, 4)(minidl.zeros(2, 6, 3))
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected input of shape"):
        nn.InstanceNorm2d(3)(minidl.zeros(2, 3, 4))


@given(st.integers(2, 3), st.integers(1, 3), st.booleans())
def test_gradients_flow_through_the_module(n, c, training):
    bn = nn.BatchNorm2d(c).double()
    with minidl.no_grad():
        bn.weight.normal_()
        bn.bias.normal_()
    bn(minidl.randn(3, c, 2, 2, dtype=minidl.float64))  # non-trivial running stats
    bn.train(training)
    momentum = bn.momentum
    bn.momentum = 0.0  # gradcheck calls forward many times; keep the stats still
    x = minidl.randn(n, c, 2, 2, dtype=minidl.float64, requires_grad=True)
    gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])
    bn.momentum = momentum


def test_layer_norm_module():
    ln = nn.LayerNorm((3, 4))
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert ln.weight.shape == (3, 4)
    x = minidl.randn(2, 3, 4) * 5 + 2
    y = ln(x)._array
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-3)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"


def test_group_norm_module_works_with_a_batch_of_one():
    gn = nn.GroupNorm(3, 6)
    y = gn(minidl.randn(1, 6, 4, 4) * 3)._array.reshape(1, 3, -1)
    np.testing.assert_allclose(y.mean(axis=2), 0, atol=1e-5)
    assert repr(gn) == "GroupNorm(3, 6, eps=1e-05, affine=True)"


def test_instance_norm_module_running_stats_only_when_asked():
    inorm = nn.InstanceNorm2d(2)
    assert list(inorm.parameters()) == [] and inorm.running_mean is None
    tracked = nn.InstanceNorm2d(2, affine=True, track_running_stats=True)
    x = minidl.randn(3, 2, 4, 4) + 5
    tracked(x)
    assert float(tracked.running_mean._array.mean()) > 0.3
    tracked.eval()
    y = tracked(x)._array  # normalised with the running statistics, not per instance
    assert abs(float(y.mean())) > 1.0


def test_batch_norm_modules_match_pytorch_over_training_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for momentum in (0.1, None):
        mine = nn.BatchNorm2d(3, momentum=momentum).double()
        theirs = torch.nn.BatchNorm2d(3, momentum=momentum).double()
        for _ in range(3):
            x = rng.standard_normal((4, 3, 3, 3)) * 2 - 1
            g = rng.standard_normal(x.shape)
            mx, tx = minidl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            mine(mx).backward(minidl.tensor(g))
            theirs(tx).backward(torch.tensor(g))
            np.testing.assert_allclose(mx.grad._array, tx.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(mine.weight.grad._array, theirs.weight.grad.numpy(), atol=1e-10)
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            np.testing.assert_allclose(getattr(mine, name)._array,
                                       getattr(theirs, name).detach().numpy(), rtol=1e-12)
        mine.eval()
        theirs.eval()
        x = rng.standard_normal((2, 3, 3, 3))
        np.testing.assert_allclose(mine(minidl.tensor(x))._array,
                                   theirs(torch.tensor(x)).detach().numpy(), atol=1e-10)
