"""Model zoo: shapes, parameter names as torchvision's, features, and a PyTorch step parity."""
import functools
import os

import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl.models import SimpleCNN, resnet18, resnet34, resnet50


def test_simple_cnn_shapes_and_channels():
    model = SimpleCNN(in_channels=1, num_classes=10, image_size=28)
    assert model(minidl.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="Conv2d"):
        model(minidl.zeros(2, 3, 28, 28))


def test_resnet_parameter_names_follow_torchvision():
    names = [n for n, _ in resnet18(num_classes=10, stem="cifar").named_parameters()]
    assert names[:3] == ["conv1.weight", "bn1.weight", "bn1.bias"]
    assert "layer1.0.conv1.weight" in names and "layer2.0.downsample.0.weight" in names
    assert "layer2.0.downsample.1.bias" in names and names[-2:] == ["fc.weight", "fc.bias"]
    buffers = dict(resnet18().named_buffers())
    assert "layer4.1.bn2.running_var" in buffers
    r50 = dict(resnet50().named_parameters())
    assert r50["layer1.0.conv3.weight"].shape == (256, 64, 1, 1)
    assert r50["fc.weight"].shape == (1000, 2048)


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(resnet18(num_classes=10, stem="cifar")) == 11_173_962
    assert count(resnet18()) == 11_689_512
    assert count(resnet34()) == 21_797_672
    assert count(resnet50()) == 25_557_032


def test_forward_features_and_stems():
    m = resnet18(num_classes=5, stem="cifar")
    m.eval()
    x = minidl.randn(2, 3, 32, 32)
    with minidl.no_grad():
        feats = m.forward_features(x)
        logits = m(x)
    assert feats.shape == (2, 512)
    np.testing.assert_allclose(m.fc(feats).detach().numpy(), logits.numpy(), rtol=1e-5, atol=1e-6)
    assert resnet18(stem="imagenet").forward_maps(minidl.zeros(1, 3, 64, 64)).shape == (1, 512, 2, 2)
    assert resnet50(num_classes=3).forward_features(minidl.zeros(2, 3, 32, 32)).shape == (2, 2048)
    with pytest.raises(ValueError, match="stem"):
        resnet18(stem="tiny")


def test_zero_init_residual_and_in_channels():
    m = resnet18(zero_init_residual=True, in_channels=1)
    assert m.conv1.weight.shape == (64, 1, 7, 7)
    assert float(np.abs(m.layer1[0].bn2.weight.numpy()).max()) == 0.0


def _torch_resnet18_cifar(torch):
    """The same network written directly in PyTorch, with torchvision's names."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(out)) + idt)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()
            cfg, cin = [], 64
            for i, c in enumerate([64, 128, 256, 512]):
                s = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(Block(cin, c, s), Block(c, c, 1)))
                cin = c
            self.fc = nn.Linear(512, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(1, 5):
                x = getattr(self, f"layer{i}")(x)
            return self.fc(x.mean((2, 3)))

    return Net()


def _one_sgd_step(torch, ours, theirs, x, y, algorithm):
    """One SGD step of both models on (x, y); returns both losses and both state_dicts as
    float64 NumPy arrays by name."""
    import minidl.optim as optim

    opt_m = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    with F.conv_algorithm(algorithm):
        loss_m = F.cross_entropy(ours(minidl.tensor(x)), minidl.tensor(y))
        opt_m.zero_grad()
        loss_m.backward()
        opt_m.step()
    loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    opt_t.zero_grad()
    loss_t.backward()
    opt_t.step()
    state_m = {k: v.numpy().astype(np.float64) for k, v in ours.state_dict().items()}
    state_t = {k: v.numpy().astype(np.float64) for k, v in theirs.state_dict().items()}
    return loss_m.item(), loss_t.item(), state_m, state_t


def _relative_error(got, truth) -> float:
    return float(np.linalg.norm(got - truth) / max(np.linalg.norm(truth), 1e-300))


# How much further from the float64 truth minidl's float32 step may land than PyTorch's own
# float32 step, per parameter tensor: the goal. Not met yet (see the xfail below).
FLOAT32_ERROR_RATIO = {"im2col": 4.0, "auto": 16.0}
# What is met today: every parameter within this relative distance of the float64 truth
# (measured worst: 9.2e-3 with im2col, 1.8e-2 with the default algorithm; a wrong
# convolution is off by O(1)).
FLOAT32_ERROR_BOUND = 5e-2


def test_cifar_resnet18_training_step_matches_pytorch_in_float64():
    """One SGD step from the same weights in float64: the same loss and parameters to 1e-4
    relative, element by element (measured: ~1e-14; the maths is the same, Winograd's
    convolutions included)."""
    torch = pytest.importorskip("torch")
    ours = resnet18(num_classes=10, stem="cifar").double()
    theirs = _torch_resnet18_cifar(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in ours.state_dict().items()})
    theirs.double()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3, 32, 32)), rng.integers(0, 10, 8)
    loss_m, loss_t, state_m, state_t = _one_sgd_step(torch, ours, theirs, x, y, "auto")
    assert loss_m == pytest.approx(loss_t, rel=1e-10)
    for name in state_m:
        np.testing.assert_allclose(state_m[name], state_t[name], rtol=1e-4, atol=1e-10,
                                   err_msg=name)


@functools.lru_cache(maxsize=None)  # one computation for the two tests below
def _float32_step_errors(algorithm):
    """Relative errors of minidl's and PyTorch's float32 SGD step against PyTorch's float64
    step from the same weights and data: (loss errors, {name: (minidl's, PyTorch's)})."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    # float32 data, so that the truth sees exactly the numbers the float32 runs see
    x, y = rng.standard_normal((8, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, 8)
    weights = resnet18(num_classes=10, stem="cifar").state_dict()

    def torch_model(dtype):
        model = _torch_resnet18_cifar(torch)
        model.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in weights.items()})
        return model.double() if dtype == "float64" else model

    ours = resnet18(num_classes=10, stem="cifar")
    ours.load_state_dict(weights)
    loss_m, loss_t, state_m, state_t = _one_sgd_step(
        torch, ours, torch_model("float32"), x, y, algorithm)
    # the truth: PyTorch in float64 (minidl's float64 step equals it, test above)
    theirs64 = torch_model("float64")
    loss64 = torch.nn.functional.cross_entropy(theirs64(torch.tensor(x.astype(np.float64))),
                                               torch.tensor(y))
    opt = torch.optim.SGD(theirs64.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt.zero_grad()
    loss64.backward()
    opt.step()
    truth = {k: v.numpy() for k, v in theirs64.state_dict().items()}

    loss_errors = (abs(loss_m / loss64.item() - 1), abs(loss_t / loss64.item() - 1))
    errors = {name: (_relative_error(state_m[name], value), _relative_error(state_t[name], value))
              for name, value in truth.items()}
    if os.environ.get("MINIDL_PRINT_ERRORS"):
        for name, (err_m, err_t) in sorted(errors.items(), key=lambda kv: kv[1][0]):
            print(f"{algorithm} {name}: minidl {err_m:.2e} torch {err_t:.2e}")
    return loss_errors, errors


@pytest.mark.parametrize("algorithm", ["im2col", "auto"])
def test_cifar_resnet18_float32_step_is_close_to_the_float64_truth(algorithm):
    """One float32 SGD step of minidl and of PyTorch, each held against the float64 truth.

    Two float32 computations cannot be compared with a fixed bound: how far each lands from
    the exact step depends on summation order (threads, load), and a 5e-3 bound between
    the two float32 runs once failed at 7.6e-3. The truth is PyTorch's float64 step from
    the same weights and float32 data (minidl's float64 step equals it, test above). The
    loss (forward only) of both must be within 1e-5 of it, and every parameter and buffer
    of minidl within FLOAT32_ERROR_BOUND (5e-2, relative norm). Measured on the 2-core
    machine: minidl's BN biases are up to 9.2e-3 (im2col) and 1.8e-2 (Winograd) from
    the truth, PyTorch's 1e-6; other tensors agree to 1e-5 or better.
    """
    (loss_err_m, loss_err_t), errors = _float32_step_errors(algorithm)
    assert loss_err_m < 1e-5 and loss_err_t < 1e-5
    for name, (err_m, _) in errors.items():
        assert err_m <= FLOAT32_ERROR_BOUND, (
            f"{name}: minidl's float32 step is {err_m:.2e} from the float64 truth")


@pytest.mark.xfail(strict=True, reason="minidl's float32 BN-bias updates are ~1e4x further "
                   "from the float64 truth than PyTorch's (7e-3..1.8e-2 against 1e-6); the "
                   "cause is not found yet (float64 accumulation of BN's channel sums does "
                   "not change it)")
@pytest.mark.parametrize("algorithm", ["im2col", "auto"])
def test_cifar_resnet18_float32_step_is_as_close_to_float64_as_pytorchs(algorithm):
    """The goal: minidl's float32 error at most FLOAT32_ERROR_RATIO times PyTorch's own
    float32 error in the same run, per tensor (plus 1e-6, float32's resolution)."""
    _, errors = _float32_step_errors(algorithm)
    ratio = FLOAT32_ERROR_RATIO[algorithm]
    for name, (err_m, err_t) in errors.items():
        assert err_m <= ratio * max(err_t, 1e-6), (
            f"{name}: minidl's float32 step is {err_m:.2e} from the float64 truth, "
            f"PyTorch's {err_t:.2e}; allowed {ratio}x PyTorch's")
