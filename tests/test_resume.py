"""A run stopped, checkpointed and resumed continues exactly as if never stopped.

Train two epochs straight, and separately one epoch + save + load into fresh objects +
one epoch: the parameters, BatchNorm buffers and optimizer state must be bit-identical.
Everything random (initialisation, dropout masks, shuffling) draws from minidl's
generator, so the checkpoint must carry its state (``minidl.get_rng_state()``) besides
the model, optimizer and scheduler state_dicts.
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl import backend

BATCH = 8


def make_data():
    rng = np.random.default_rng(42)  # fixed data, independent of minidl's generator
    x = rng.standard_normal((36, 1, 6, 6)).astype(np.float32)  # 36: the last batch is short
    y = rng.integers(0, 3, size=36)
    return x, y


def make_run(optimizer):
    model = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 6 * 6, 3))
    if optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return model, opt, sched


def manual_batches(x, y):
    """Shuffled mini-batches, the order drawn from minidl's generator."""
    order = backend.get_default_generator().permutation(len(x))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        yield minidl.tensor(x[idx]), minidl.tensor(y[idx])


def loader_batches(x, y):
    data = pytest.importorskip("minidl.data")
    return data.DataLoader(data.TensorDataset(x, y), batch_size=BATCH, shuffle=True)


def train_epoch(model, opt, sched, batches):
    model.train()
    for images, labels in batches:
        loss = F.cross_entropy(model(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()


def snapshot(model, opt):
    """Every number that the next epoch depends on, as host arrays."""
    arrays = [np.array(t.data) for t in model.state_dict().values()]
    for state in opt.state_dict()["state"].values():
        arrays += [np.array(v) for v in state.values()]
    return arrays


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batches", [manual_batches, loader_batches])
def test_resumed_run_is_bit_identical(tmp_path, optimizer, batches):
    x, y = make_data()
    batches(x, y)  # skips here if the DataLoader is unavailable

    minidl.manual_seed(7)
    model, opt, sched = make_run(optimizer)
    for _ in range(2):
        train_epoch(model, opt, sched, batches(x, y))
    straight = snapshot(model, opt)

    minidl.manual_seed(7)
    model, opt, sched = make_run(optimizer)
    train_epoch(model, opt, sched, batches(x, y))
    path = tmp_path / "epoch1.pt"
    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": sched.state_dict(), "epoch": 1,
                 "rng": minidl.get_rng_state()}, path)
    first_epoch = snapshot(model, opt)
    del model, opt, sched

    def resume(restore_rng):
        minidl.manual_seed(1234)  # a fresh process: other seed, other initial weights
        model, opt, sched = make_run(optimizer)
        ckpt = minidl.load(path)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        if restore_rng:
            minidl.set_rng_state(ckpt["rng"])
        assert ckpt["epoch"] == 1 and opt.param_groups[0]["lr"] == sched.get_last_lr()[0]
        train_epoch(model, opt, sched, batches(x, y))
        return snapshot(model, opt)

    resumed = resume(restore_rng=True)
    assert len(resumed) == len(straight)
    for a, b in zip(straight, resumed):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # The checkpoint matters: epoch 2 changed the weights, and without the RNG state
    # (dropout masks, shuffling) the resumed run goes elsewhere.
    assert not all(np.array_equal(a, b) for a, b in zip(straight, first_epoch))
    assert not all(np.array_equal(a, b) for a, b in zip(straight, resume(restore_rng=False)))
