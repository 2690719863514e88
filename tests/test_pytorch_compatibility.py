"""PyTorch idioms run with ``import minidl as torch`` (docs/pytorch_compatibility.md)."""
import math
import warnings

import numpy as np
import pytest

import minidl as torch


# ------------------------------------------------------------------ the import surface
def test_subpackages_are_attributes_of_the_package():
    assert torch.nn.Conv2d and torch.nn.functional.relu and torch.nn.init.kaiming_normal_
    assert torch.optim.SGD and torch.optim.lr_scheduler.StepLR
    assert torch.utils.data.DataLoader and torch.utils.data.Dataset
    assert torch.utils.data.TensorDataset and torch.utils.data.random_split
    assert torch.autograd.Function and torch.autograd.gradcheck
    assert callable(torch.cuda.is_available)
    assert torch.models.resnet18 and torch.nn.utils.clip_grad_norm_
    assert {"nn", "optim", "utils", "models"} <= set(dir(torch))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        torch.nope


def test_a_course_script_runs_with_only_import_minidl_as_torch(tmp_path):
    torch.manual_seed(0)

    class Blobs(torch.utils.data.Dataset):
        def __init__(self, n):
            g = np.random.default_rng(0)
            self.y = g.integers(0, 3, n)
            self.x = (g.normal(size=(n, 1, 8, 8)) + self.y[:, None, None, None]).astype("float32")

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return torch.tensor(self.x[i]), int(self.y[i])

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
            self.fc = torch.nn.Linear(4 * 4 * 4, 3)

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.nn.functional.relu(self.conv(x)), 2)
            return self.fc(torch.flatten(x, 1))

    loader = torch.utils.data.DataLoader(Blobs(96), batch_size=16, shuffle=True)
    model = Net()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to("cpu")
    first = last = None
    for epoch in range(4):
        model.train()
        total = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            total += loss.item() * images.size(0)
        scheduler.step()
        first = total if first is None else first
        last = total
        print(f"epoch {epoch} loss {loss:.3f}")
    assert last < first and str(device) in ("cpu", "cuda")
    model.eval()
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    assert correct > 48
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
               tmp_path / "ckpt.pt")
    state = torch.load(tmp_path / "ckpt.pt", weights_only=True, map_location="cpu")
    again = Net()
    again.load_state_dict(state["model"])
    x = next(iter(loader))[0]
    assert torch.allclose(again(x), model(x))


def test_the_tensors_and_autograd_tutorial_loop():
    # PyTorch's "Tensors and autograd" tutorial: fit a cubic to sin(x) by hand-written SGD
    dtype, device = torch.float, torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    torch.manual_seed(0)
    a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    d = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    learning_rate = 1e-6
    losses = []
    for t in range(300):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    assert losses[-1] < losses[0] / 5
    assert a.is_leaf and a.requires_grad   # updated in place, still the same parameter


# ------------------------------------------------------------------ .data and in-place ops
def test_data_is_a_tensor_sharing_memory_outside_autograd():
    w = torch.randn(3, requires_grad=True)
    d = w.data
    assert isinstance(d, torch.Tensor) and not d.requires_grad
    d[0] = 7.0
    assert w[0].item() == 7.0
    w.data -= 1.0                       # stays a Tensor, writes into w
    assert isinstance(w.data, torch.Tensor) and w[0].item() == 6.0
    w.data = torch.zeros(3)
    assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad


def test_course_initialisation_and_ema_idioms():
    fc = torch.nn.Linear(4, 6)
    fc.weight.data.zero_()              # the STN's identity initialisation
    fc.bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))
    assert fc.weight.abs().sum().item() == 0 and fc.bias.tolist()[:2] == [1.0, 0.0]
    p, q = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.zeros(3))
    p.data.mul_(0.99).add_(q.data, alpha=0.01)           # BYOL's EMA
    np.testing.assert_allclose(p.numpy(), 0.99)
    with torch.no_grad():
        p.mul_(0.5)
    np.testing.assert_allclose(p.numpy(), 0.495, rtol=1e-6)


def test_in_place_on_a_parameter_outside_no_grad_is_refused():
    p = torch.nn.Parameter(torch.ones(3))
    for change in (lambda: p.add_(1), lambda: p.mul_(2), lambda: p.zero_(),
                   lambda: p.__isub__(1.0), lambda: p.__setitem__(0, 2.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            change()
    assert p.tolist() == [1.0, 1.0, 1.0]


REFERENCE = {  # method -> (args, NumPy reference of the result from x)
    "add_": ((2.0,), lambda x: x + 2), "sub_": ((2.0,), lambda x: x - 2),
    "mul_": ((3.0,), lambda x: x * 3), "div_": ((4.0,), lambda x: x / 4),
    "pow_": ((2,), lambda x: x ** 2), "clamp_": ((-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    "sqrt_": ((), lambda x: np.sqrt(np.abs(x))), "exp_": ((), np.exp), "neg_": ((), np.negative),
    "abs_": ((), np.abs), "relu_": ((), lambda x: np.maximum(x, 0)),
    "sigmoid_": ((), lambda x: 1 / (1 + np.exp(-x))), "tanh_": ((), np.tanh),
    "lerp_": ((None, 0.25), lambda x: x + 0.25 * (1.0 - x)),
}


@pytest.mark.parametrize("method", sorted(REFERENCE))
def test_in_place_methods_change_the_tensor_and_match_numpy(method):
    args, ref = REFERENCE[method]
    x64 = np.random.default_rng(1).normal(size=(3, 4))
    if method == "sqrt_":
        x64 = np.abs(x64)
    if method == "lerp_":
        args = (torch.ones(3, 4, dtype=torch.float64), 0.25)
    x = torch.tensor(x64)
    out = getattr(x, method)(*args)
    assert out is x
    np.testing.assert_allclose(x.numpy(), ref(x64), rtol=1e-12)


@pytest.mark.parametrize("method", ["add_", "mul_", "exp_", "tanh_", "sigmoid_", "relu_", "pow_"])
def test_in_place_methods_are_recorded_on_non_leaves(method):
    args, _ = REFERENCE[method]
    x64 = np.random.default_rng(2).normal(size=5)
    x = torch.tensor(x64, requires_grad=True)
    ref = torch.tensor(x64, requires_grad=True)
    h = x * 1.5
    getattr(h, method)(*args)
    (h * torch.arange(5.0, dtype=torch.float64)).sum().backward()
    out_of_place = getattr(ref * 1.5, method.rstrip("_"))(*args)
    (out_of_place * torch.arange(5.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


def test_mul_in_place_keeps_the_value_its_other_operand_needs():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    w = torch.tensor([5.0, 7.0], requires_grad=True)
    h = a * 1.0
    h.mul_(w)                        # dh/dw needs h's old value, which mul_ overwrote
    h.sum().backward()
    assert w.grad.tolist() == [2.0, 3.0] and a.grad.tolist() == [5.0, 7.0]


def test_fills_masks_scatter_and_random_in_place():
    x = torch.zeros(2, 3)
    assert x.fill_(2.0) is x and x.sum().item() == 12.0
    x.masked_fill_(torch.tensor([[True, False, False], [False, False, True]]), -1.0)
    assert x.tolist() == [[-1.0, 2.0, 2.0], [2.0, 2.0, -1.0]]
    x.index_fill_(1, torch.tensor([1]), 0.0)
    assert x[:, 1].tolist() == [0.0, 0.0]
    y = torch.zeros(3, 4)
    y.scatter_(1, torch.tensor([[2], [0], [3]]), torch.tensor([[1.0], [2.0], [3.0]]))
    assert y.tolist() == [[0, 0, 1, 0], [2, 0, 0, 0], [0, 0, 0, 3]]
    y.scatter_(0, torch.tensor([[1, 1, 1, 1]]), 5.0)
    assert y[1].tolist() == [5.0] * 4
    torch.manual_seed(0)
    big = torch.empty(20000)
    assert abs(big.uniform_(2, 4).mean().item() - 3) < 0.05
    assert abs(big.normal_(1, 2).std().item() - 2) < 0.05
    assert abs(big.exponential_(2.0).mean().item() - 0.5) < 0.02
    assert abs(big.bernoulli_(0.3).mean().item() - 0.3) < 0.02


def test_in_place_relu_really_writes_into_its_input():
    x = torch.randn(4, 5, requires_grad=True)
    h = x * 2
    assert torch.nn.functional.relu(h, inplace=True) is h
    assert torch.nn.ReLU(inplace=True)(h) is h and (h >= 0).all()
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2.0 * (x.detach().numpy() > 0))


def test_in_place_on_a_view_of_a_graph_tensor_is_refused():
    x = torch.randn(4, requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match="view"):
        h[1:].mul_(2)


def test_in_place_result_must_fit_shape_and_dtype():
    with pytest.raises(RuntimeError, match="add_"):
        torch.zeros(3).add_(torch.ones(2, 3))
    with pytest.raises(TypeError, match="mul_"):
        torch.zeros(3, dtype=torch.int64).mul_(0.5)


# ------------------------------------------------------------------ builders and small things
def test_tensor_class_constructor_as_pytorch():
    t = torch.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == torch.float32
    assert torch.Tensor([1, 2]).dtype == torch.float32
    assert torch.Tensor().shape == (0,)
    assert torch.tensor([1, 2]).dtype == torch.int64    # the factory keeps int64


def test_format_spec_on_one_element_tensors():
    loss = torch.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and f"{torch.tensor([2.5]):.1f}" == "2.5"
    assert f"{loss}" == str(loss)


def test_resnet_builders_take_torchvision_arguments(tmp_path):
    m = torch.models.resnet18(weights=None, num_classes=10, stem="cifar")
    torch.save(m.state_dict(), tmp_path / "r18.pt")
    again = torch.models.resnet18(weights=str(tmp_path / "r18.pt"), num_classes=10, stem="cifar")
    np.testing.assert_array_equal(again.fc.weight.numpy(), m.fc.weight.numpy())
    from_dict = torch.models.resnet18(weights=m.state_dict(), num_classes=10, stem="cifar")
    np.testing.assert_array_equal(from_dict.conv1.weight.numpy(), m.conv1.weight.numpy())
    assert torch.models.resnet34(pretrained=False) is not None
    with pytest.raises(RuntimeError, match="never downloads.*weights=path"):
        torch.models.resnet50(pretrained=True)


def test_dropout2d_on_a_2d_input_warns_and_drops_rows():
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="2-D input"):
        y = torch.nn.Dropout2d(0.5)(torch.ones(8, 5))
    rows = y.numpy()
    assert all(set(r.tolist()) in ({0.0}, {2.0}) for r in rows)


def test_clip_grad_norm_and_value():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    v = torch.tensor([12.0], requires_grad=True)
    (w * w).sum().backward()            # [6, 8]
    (v * v).sum().backward()            # [24]: joint norm 26
    total = torch.nn.utils.clip_grad_norm_([w, v], max_norm=2.6)
    assert total.item() == pytest.approx(26.0)
    np.testing.assert_allclose(np.concatenate([w.grad.numpy(), v.grad.numpy()]),
                               [0.6, 0.8, 2.4], rtol=1e-5)
    total_inf = torch.nn.utils.clip_grad_norm_([w, v], max_norm=100.0, norm_type=float("inf"))
    assert total_inf.item() == pytest.approx(2.4, rel=1e-5)
    torch.nn.utils.clip_grad_value_([w, v], 0.7)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.7], rtol=1e-6)
    w.grad[0] = float("nan")
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        torch.nn.utils.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)


def test_top_level_helpers():
    x = torch.ones(2, 3)
    assert torch.is_tensor(x) and not torch.is_tensor(np.ones(2)) and torch.numel(x) == 6
    assert torch.allclose(x, x + 1e-9) and not torch.allclose(x, x + 1e-3)
    with torch.inference_mode():
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()

    @torch.inference_mode()
    def f():
        return torch.is_grad_enabled()
    assert f() is False


def test_set_num_threads_through_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="set_num_threads"):
        torch.set_num_threads(0)
