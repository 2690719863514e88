"""A real model on every device: ResNet-18 trains, checkpoints and resumes the same way on
the CPU, on the strict stand-in device (tests/strict_device.py) and on a GPU when present.

The run follows the order of a training script: the optimizer is built before
``model.to(device)``, batches come from a DataLoader and are moved with ``.to(device)``,
and a checkpoint saved on the device is loaded back with ``map_location``.
"""
import functools

import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl.data import DataLoader, TensorDataset
from minidl.models import resnet18
from minidl.optim import SGD


def _loader():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((4, 3, 16, 16)).astype(np.float32)
    labels = rng.integers(0, 10, 4)
    return DataLoader(TensorDataset(images, labels), batch_size=2, shuffle=False)


def _step(model, opt, images, labels, device):
    loss = F.cross_entropy(model(images.to(device)), labels.to(device))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def _train(device, dtype=minidl.float32):
    """Two SGD steps of a CIFAR ResNet-18 on ``device``: (model, optimizer, losses)."""
    minidl.manual_seed(0)
    model = resnet18(num_classes=10, stem="cifar").to(dtype)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.to(device)                                # after the optimizer: moved in place
    losses = [_step(model, opt, x.to(dtype), y, device) for x, y in _loader()]
    return model, opt, losses


@functools.lru_cache(maxsize=1)
def _float64_reference():
    model, _, losses = _train("cpu", minidl.float64)
    return {k: v.numpy() for k, v in model.state_dict().items()}, losses


def _relative_error(got, expected):
    return np.linalg.norm(got - expected) / max(np.linalg.norm(expected), 1e-12)


def test_resnet18_trains_checkpoints_and_resumes_on_every_device(device, tmp_path):
    model, opt, losses = _train(device)
    reference, reference_losses = _float64_reference()
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-4)
    for name, value in model.state_dict().items():
        assert value.device == device, f"{name} is on {value.device}"
        got = value.numpy().astype(np.float64)
        if got.dtype.kind == "f":
            # float32 against float64: the size of float32 rounding over two steps
            assert _relative_error(got, reference[name]) < 5e-3, name
    for state in opt.state.values():
        for value in state.values():
            assert not hasattr(value, "shape") or minidl.backend.device_of(value) == device

    # checkpoint on the device, load it back there with map_location
    path = tmp_path / "checkpoint.pt"
    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    checkpoint = minidl.load(path, map_location=device)
    resumed = resnet18(num_classes=10, stem="cifar").to(device)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = SGD(resumed.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert all(v.device == "cpu" for v in minidl.load(path)["model"].values())  # default

    # one more step from the checkpoint equals one more step of the original run
    images, labels = next(iter(_loader()))
    loss = _step(model, opt, images, labels, device)
    assert _step(resumed, resumed_opt, images, labels, device) == loss
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
