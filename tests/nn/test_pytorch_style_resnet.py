"""Course code written for PyTorch runs on minidl with only its imports changed.

The module below is the ResNet-18 of the S3 course report, written as plain
PyTorch-style code (BasicBlock with conv1/bn1/relu/conv2/bn2 and a Sequential
downsample; ResNet18 with maxpool, build_layer, avgpool, fc, ``x.view(x.size(0), -1)``
and ``F.relu(x + inputs)``). It is kept as source text so that the very same text
can be executed against minidl and, where installed, against PyTorch.
"""
import numpy as np
import pytest

COURSE_CODE = '''
class BasicBlock(nn.Module):
    def __init__(self, ch_in, ch_out, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(ch_in, ch_out, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(ch_out, ch_out, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch_out)
        self.downsample = nn.Sequential()
        if stride != 1 or ch_in != ch_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(ch_in, ch_out, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(ch_out),
            )

    def forward(self, x):
        inputs = self.downsample(x)
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.conv2(x)
        x = self.bn2(x)
        x = F.relu(x + inputs)
        return x


class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super(ResNet18, self).__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self.build_layer(64, 64, 2, stride=1)
        self.layer2 = self.build_layer(64, 128, 2, stride=2)
        self.layer3 = self.build_layer(128, 256, 2, stride=2)
        self.layer4 = self.build_layer(256, 512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def build_layer(self, ch_in, ch_out, num_block, stride):
        layers = [BasicBlock(ch_in, ch_out, stride)]
        for _ in range(1, num_block):
            layers.append(BasicBlock(ch_out, ch_out, 1))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        x = self.fc(x)
        return x
'''


def build(torch_like, nn, F):
    """Execute the course code with the given imports and return its namespace."""
    namespace = {"torch": torch_like, "nn": nn, "F": F}
    exec(COURSE_CODE, namespace)
    return namespace


def test_course_resnet18_runs_on_minidl():
    import minidl as torch
    import minidl.nn as nn
    import minidl.nn.functional as F

    ns = build(torch, nn, F)
    model = ns["ResNet18"](num_classes=10)
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 10)
    loss = F.cross_entropy(out, torch.tensor([1, 7]))
    loss.backward()
    assert x.grad.shape == x.shape
    assert all(p.grad is not None for p in model.parameters())
    # the parameter count of ResNet-18 with a 10-class head
    assert sum(p.numel() for p in model.parameters()) == 11_181_642


def test_course_resnet18_matches_pytorch():
    torch = pytest.importorskip("torch")
    import minidl
    import minidl.nn as mnn
    import minidl.nn.functional as mF

    torch.manual_seed(0)
    theirs = build(torch, torch.nn, torch.nn.functional)["ResNet18"](num_classes=10)
    ours = build(minidl, mnn, mF)["ResNet18"](num_classes=10)
    # copy PyTorch's weights and buffers into minidl by name
    state = {k: minidl.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)

    # minidl's float32 results are held against PyTorch's float64 run of the same weights
    # and data (two float32 runs differ by summation order, which threads and load change)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    target = [3, 8]
    xm = minidl.tensor(x, requires_grad=True)
    out_m = ours(xm)
    mF.cross_entropy(out_m, minidl.tensor(target)).backward()
    theirs.double()
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    out_t = theirs(xt)
    torch.nn.functional.cross_entropy(out_t, torch.tensor(target)).backward()
    out_t, g_t, g_m = out_t.detach().numpy(), xt.grad.numpy(), xm.grad.numpy()
    # float32 rounding is far below 1e-4 of the largest value; a wrong layer is off by O(1)
    np.testing.assert_allclose(out_m.detach().numpy(), out_t, rtol=0,
                               atol=1e-4 * np.abs(out_t).max())
    np.testing.assert_allclose(g_m, g_t, rtol=0, atol=1e-4 * np.abs(g_t).max())
