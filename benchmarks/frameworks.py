"""One thin adapter per framework, so that every benchmark case is written once.

minidl's API is PyTorch's, so a case only needs the module (``fw.lib``), ``fw.F``,
``fw.nn`` and ``fw.optim`` of whichever framework the worker process runs, plus a
way to turn the shared NumPy data into that framework's tensors. The models that
minidl ships (``minidl.models``) get a PyTorch twin here with the same layers, shapes
and parameter count, written the torchvision way.
"""
from __future__ import annotations

import numpy as np

FRAMEWORKS = ("minidl", "torch")


class Framework:
    """``minidl`` or ``torch`` behind one small interface."""

    def __init__(self, name: str, device: str = "cpu", cudnn: bool = True):
        self.name = name
        self.device = device
        if name == "torch":
            import torch
            self.lib, self.F, self.nn, self.optim = (torch, torch.nn.functional, torch.nn,
                                                     torch.optim)
            # cudnn=False: PyTorch's own CUDA convolutions, no vendor conv library
            torch.backends.cudnn.enabled = cudnn
            if device.startswith("cuda"):
                torch.backends.cudnn.benchmark = cudnn
        elif name == "minidl":
            import minidl
            import minidl.nn
            import minidl.nn.functional
            import minidl.optim
            self.lib, self.F, self.nn, self.optim = (minidl, minidl.nn.functional, minidl.nn,
                                                     minidl.optim)
        else:
            raise ValueError(f"unknown framework {name!r}; expected one of {FRAMEWORKS}")

    def tensor(self, array: np.ndarray, requires_grad: bool = False):
        """A tensor holding a copy of ``array`` (float32 stays float32, int64 stays int64)."""
        if self.name == "torch":
            t = self.lib.from_numpy(np.array(array)).to(self.device)
            return t.requires_grad_(requires_grad)
        return self.lib.tensor(array, requires_grad=requires_grad, device=self.device)

    def activation(self, array: np.ndarray, requires_grad: bool = False):
        """A copy of the (N, C, H, W) ``array`` in the memory layout that activations have
        inside this framework's own networks, for benchmarking one layer as it runs there.

        PyTorch's are (N, C, H, W) (its default memory format). minidl's convolutions
        return channels-last arrays on the CPU and the layers after them keep that layout,
        so inside a minidl network every activation and its gradient is stored
        (N, H, W, C); a minidl layer given an (N, C, H, W) array pays a transposing copy
        that the network never makes.
        """
        if self.name == "torch" or self.device != "cpu":
            # on a device minidl's convolutions work in (N, C, H, W), as PyTorch's do
            return self.tensor(array, requires_grad)
        last = np.ascontiguousarray(array.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        return self.lib.from_numpy(last).requires_grad_(requires_grad)

    def sync(self) -> None:
        """Wait for the device to finish its queued work (timings end here)."""
        if not self.device.startswith("cuda"):
            return
        if self.name == "torch":
            self.lib.cuda.synchronize()
        else:
            import cupy
            cupy.cuda.Device().synchronize()

    def seed(self, seed: int) -> None:
        self.lib.manual_seed(seed)

    def no_grad(self):
        return self.lib.no_grad()

    def threads(self) -> int:
        """Threads the framework computes with (BLAS threads for minidl)."""
        if self.name == "torch":
            return self.lib.get_num_threads()
        return blas_threads()

    # ----------------------------------------------------------------- models
    def model(self, name: str):
        """``simplecnn``, ``resnet18`` (CIFAR stem, 10 classes) or ``mlp``, in training mode."""
        if name == "mlp":
            m = mlp(self.nn)
        elif self.name == "minidl":
            from minidl import models
            m = (models.SimpleCNN() if name == "simplecnn"
                 else models.resnet18(num_classes=10, stem="cifar"))
        else:
            m = simple_cnn_torch(self.nn) if name == "simplecnn" else resnet18_torch(self.nn)
        return m.to(self.device).train()


def blas_threads() -> int:
    """OpenBLAS threads of NumPy (what minidl's products run on)."""
    try:
        from threadpoolctl import threadpool_info  # optional
        return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    except Exception:  # noqa: BLE001 - threadpoolctl is not a dependency
        import os
        return len(os.sched_getaffinity(0))


def mlp(nn):
    """The small MLP of the overhead benchmark: 784 -> 256 -> 256 -> 10 with ReLUs."""
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def simple_cnn_torch(nn):
    """PyTorch twin of ``minidl.models.SimpleCNN`` (three conv-BN-ReLU-pool blocks, a linear)."""
    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True), nn.MaxPool2d(2))
    return nn.Sequential(block(3, 32), block(32, 64), block(64, 128), nn.Flatten(),
                         nn.Linear(128 * 4 * 4, 10))


def resnet18_torch(nn):
    """PyTorch twin of ``minidl.models.resnet18(num_classes=10, stem="cifar")``."""
    import torch.nn.functional as F

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = F.relu(self.bn1(self.conv1(x)), inplace=True)
            return F.relu(self.bn2(self.conv2(out)) + identity)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            stages, cin = [], 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                stages.append(nn.Sequential(BasicBlock(cin, cout, stride),
                                            BasicBlock(cout, cout, 1)))
                cin = cout
            self.layer1, self.layer2, self.layer3, self.layer4 = stages
            self.fc = nn.Linear(512, 10)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)), inplace=True)
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

    return ResNet18()
