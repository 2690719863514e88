"""A real model on every device: a ResNet trains, checkpoints and resumes the same way on
the CPU, on the strict stand-in device (tests/strict_device.py) and on a GPU (there with
ResNet-18, tests/cuda/test_gpu.py).

Here the ResNet has one BasicBlock per stage (ResNet-10) and the ImageNet stem: every
kind of layer of ResNet-18 (and the stem's max pool), for half the convolutions.

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
from minidl.models.resnet import BasicBlock, ResNet
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


def resnet10():
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10, stem="imagenet")


def cifar_resnet18():
    return resnet18(num_classes=10, stem="cifar")


def _train(make_model, device, dtype=minidl.float32, steps=1):
    """SGD steps of a ResNet on ``device``: (model, optimizer, losses)."""
    minidl.manual_seed(0)
    model = make_model().to(dtype)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.to(device)                                # after the optimizer: moved in place
    batches = list(_loader())[:steps]
    losses = [_step(model, opt, x.to(dtype), y, device) for x, y in batches]
    return model, opt, losses


@functools.lru_cache(maxsize=2)
def _float64_reference(make_model):
    model, _, losses = _train(make_model, "cpu", minidl.float64)
    return {k: v.numpy() for k, v in model.state_dict().items()}, losses


def _relative_error(got, expected):
    return np.linalg.norm(got - expected) / max(np.linalg.norm(expected), 1e-12)


def test_resnet_trains_checkpoints_and_resumes_on_every_device(device, tmp_path,
                                                               make_model=resnet10):
    model, opt, losses = _train(make_model, device)
    reference, reference_losses = _float64_reference(make_model)
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-4)
    for name, value in model.state_dict().items():
        assert value.device == device, f"{name} is on {value.device}"
        got = value.numpy().astype(np.float64)
        if got.dtype.kind == "f":
            # float32 against float64: the size of float32 rounding, as amplified by
            # training steps through BatchNorm (Winograd's convolutions round more than
            # im2col's; measured and explained in tests/models/test_models.py)
            assert _relative_error(got, reference[name]) < 2e-2, name
    for state in opt.state.values():
        for value in state.values():
            assert not hasattr(value, "shape") or minidl.backend.device_of(value) == device

    # checkpoint on the device, load it back there with map_location
    path = tmp_path / "checkpoint.pt"
    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    checkpoint = minidl.load(path, map_location=device)
    resumed = make_model().to(device)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = SGD(resumed.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert all(v.device == "cpu" for v in minidl.load(path)["model"].values())  # default

    # one more step from the checkpoint (momentum buffers included) equals one more step
    # of the original run
    images, labels = list(_loader())[1]
    loss = _step(model, opt, images, labels, device)
    assert _step(resumed, resumed_opt, images, labels, device) == loss
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
