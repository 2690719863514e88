"""Module and Parameter: registration, naming, modes, devices/dtypes, state_dict, hooks."""
import copy
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn.modules import module as module_module
from minidl.nn import Module, Parameter
from tests.strict_device import StrictArray


class Block(Module):
    """Two layers and a buffer, assigned in a deliberate order."""

    def __init__(self):
        super().__init__()
        self.conv_like = nn.Linear(3, 4)
        self.scale = Parameter(minidl.ones(4))
        self.register_buffer("running", minidl.zeros(4))
        self.register_buffer("scratch", minidl.zeros(2), persistent=False)
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.conv_like(x) * self.scale)


class Net(Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(3, 3)
        self.blocks = nn.Sequential(Block(), nn.ReLU())
        self.register_buffer("steps", minidl.tensor([0]))  # an integer buffer

    def forward(self, x):
        return self.blocks(self.stem(x))


def test_docstring_examples():
    result = doctest.testmod(module_module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ Parameter
def test_parameter_defaults_and_repr():
    p = Parameter(minidl.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, minidl.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    assert not Parameter(minidl.zeros(2), requires_grad=False).requires_grad
    assert Parameter().shape == (0,)


def test_parameter_shares_data_and_is_a_new_leaf():
    x = minidl.randn(3, requires_grad=True)
    y = x * 2
    p = Parameter(y)
    assert p.grad_fn is None and p._array is y._array


def test_parameter_deepcopy_is_independent():
    p = Parameter(minidl.ones(2))
    q = copy.deepcopy(p)
    assert isinstance(q, Parameter) and q.requires_grad
    q._array[0] = 5
    assert p._array[0] == 1


# ------------------------------------------------------------- registration
def test_registration_order_and_dotted_names():
    net = Net()
    # as in PyTorch: a module's own parameters, then its children's, in assignment order
    assert [n for n, _ in net.named_parameters()] == [
        "stem.weight", "stem.bias", "blocks.0.scale",
        "blocks.0.conv_like.weight", "blocks.0.conv_like.bias", "blocks.0.head.weight",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "blocks.0.running", "blocks.0.scratch"]
    assert [n for n, _ in net.named_modules()] == [
        "", "stem", "blocks", "blocks.0", "blocks.0.conv_like", "blocks.0.head", "blocks.1"]
    assert [n for n, _ in net.named_children()] == ["stem", "blocks"]
    assert list(net.children()) == [net.stem, net.blocks]
    assert len(list(net.modules())) == 7
    assert [n for n, _ in net.blocks[0].named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.stem.weight"


def test_shared_parameter_and_module_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 3  # seq, shared, relu
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(tied.named_parameters(remove_duplicate=False))) == 4


def test_setattr_rules():
    m = nn.Linear(2, 3)
    m.bias = None  # assigning None to a registered parameter is allowed
    assert m.bias is None and "bias" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = minidl.zeros(3, 2)
    m.weight = Parameter(minidl.zeros(3, 2))
    assert float(m.weight.sum()) == 0
    # a plain attribute that becomes a module moves into _modules
    block = Block()
    block.extra = 3
    block.extra = nn.ReLU()
    assert "extra" in block._modules and "extra" not in block.__dict__
    with pytest.raises(TypeError, match="child module 'extra'"):
        block.extra = 5
    block.extra = None
    assert block.extra is None
    block.running = minidl.ones(4)  # buffers can be replaced by tensors
    assert float(block.running.sum()) == 4
    with pytest.raises(TypeError, match="buffer 'running'"):
        block.running = 1.0


def test_register_errors():
    m = Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("b", np.zeros(3))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)
    m.x = 3
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", minidl.zeros(1))
    m.add_module("child", nn.ReLU())
    m.register_parameter("p", None)
    assert m.child is m._modules["child"] and m.p is None


def test_missing_super_init_gets_a_clear_error():
    class Forgetful(Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Forgetful: Module.__init__\(\) was not called"):
        Forgetful()

    class ForgetfulPlain(Module):
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x

    m = ForgetfulPlain()
    with pytest.raises(AttributeError, match="super"):
        m(1)
    with pytest.raises(AttributeError, match="super"):
        list(m.parameters())


def test_getattr_delattr_dir():
    block = Block()
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nope'"):
        block.nope
    assert not hasattr(block, "nope")
    d = dir(block)
    assert {"scale", "running", "head", "forward"} <= set(d)
    del block.scale
    assert "scale" not in block._parameters
    with pytest.raises(AttributeError):
        block.scale
    del block.head
    del block.running
    assert "head" not in block._modules and "running" not in block._buffers
    block.plain = 1
    del block.plain
    assert not hasattr(block, "plain")


def test_get_submodule_and_parameter():
    net = Net()
    assert net.get_submodule("blocks.0.head") is net.blocks[0].head
    assert net.get_submodule("") is net
    assert net.get_parameter("blocks.0.scale") is net.blocks[0].scale
    with pytest.raises(AttributeError, match="no sub-module 'nope'"):
        net.get_submodule("blocks.0.nope")
    with pytest.raises(AttributeError, match="no parameter 'bias'"):
        net.get_parameter("blocks.0.head.bias")


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Linear", "Block", "ReLU", "Sequential", "Net"]


# ------------------------------------------------------------- modes, grads
def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.blocks.train(False)
    assert net.training and not net.blocks[0].head.training
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(minidl.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grad_obj = net.stem.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.stem.weight.grad is grad_obj and float(grad_obj.abs().sum()) == 0
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.stem.requires_grad_()
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["stem.weight", "stem.bias"]


# ---------------------------------------------------------- dtypes, devices
def test_to_dtype_in_place_keeps_identity():
    net = Net()
    params = list(net.parameters())
    net(minidl.randn(2, 3)).sum().backward()
    out = net.to(minidl.float64)
    assert out is net
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert net.blocks[0].running.dtype == np.float64
    assert net.steps.dtype == np.int64  # integer buffers keep their dtype
    assert net.float().stem.weight.dtype == np.float32
    assert net.double().stem.weight.dtype == np.float64
    assert net.to("cpu", dtype="float32").stem.weight.dtype == np.float32
    assert net.to(minidl.zeros(1, dtype=minidl.float64)).stem.weight.dtype == np.float64
    assert net.cpu() is net and net.stem.weight.device == "cpu"
    with pytest.raises(TypeError, match="floating-point"):
        net.to(minidl.int64)


def test_optimizer_style_update_after_to():
    # an optimizer built before .to() holds the Parameters: updates must still land
    layer = nn.Linear(2, 1)
    held = list(layer.parameters())
    layer.double()
    with minidl.no_grad():
        held[0].copy_(minidl.ones(1, 2))
    assert layer.weight.tolist() == [[1.0, 1.0]]


def test_to_moves_data_between_devices(strict):
    """The strict stand-in device (tests/strict_device.py) receives every array."""
    net = Net()
    net(minidl.randn(2, 3)).sum().backward()
    params = list(net.parameters())
    net.to(strict)
    assert all(isinstance(p._array, StrictArray) for p in params)
    assert all(isinstance(p.grad._array, StrictArray) for p in params)
    assert all(isinstance(b._array, StrictArray) for b in net.buffers())
    assert all(a is b for a, b in zip(params, net.parameters()))
    net(minidl.randn(2, 3, device=strict)).sum().backward()  # and it runs there
    net.cpu()
    assert all(type(p._array) is np.ndarray for p in net.parameters())


# --------------------------------------------------------------- state_dict
def test_state_dict_keys_values_and_detach():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [
        "steps", "stem.weight", "stem.bias", "blocks.0.scale", "blocks.0.running",
        "blocks.0.conv_like.weight", "blocks.0.conv_like.bias", "blocks.0.head.weight",
    ]  # "scratch" is not persistent
    assert all(not v.requires_grad and not isinstance(v, Parameter) for v in sd.values())
    assert sd["stem.weight"]._array is net.stem.weight._array  # shares memory
    kept = net.state_dict(keep_vars=True)
    assert kept["stem.weight"] is net.stem.weight
    assert list(net.state_dict(prefix="m."))[:2] == ["m.steps", "m.stem.weight"]


def test_state_dict_round_trip_in_place():
    a, b = Net(), Net()
    a.blocks[0].running._array[:] = 7
    params_b = list(b.parameters())
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(pa._array, pb._array, err_msg=name)
        assert pa._array is not pb._array
    assert all(x is y for x, y in zip(params_b, b.parameters()))
    x = minidl.randn(4, 3)
    np.testing.assert_array_equal(a(x)._array, b(x)._array)


def test_load_state_dict_converts_dtype_and_accepts_arrays():
    a = nn.Linear(2, 2).double()
    sd = {"weight": np.arange(4, dtype=np.float32).reshape(2, 2), "bias": minidl.zeros(2)}
    a.load_state_dict(sd)
    assert a.weight.dtype == np.float64 and a.weight.tolist() == [[0, 1], [2, 3]]


def test_strict_load_lists_missing_unexpected_and_shape_mismatch_at_once():
    net = Net()
    before = net.stem.weight._array.copy()
    sd = net.state_dict()
    del sd["blocks.0.scale"]
    sd["blocks.0.extra"] = minidl.zeros(1)
    sd["stem.bias"] = minidl.zeros(5)
    sd["stem.weight"] = minidl.zeros(3, 3)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "blocks.0.scale"' in msg
    assert 'Unexpected key(s) in state_dict: "blocks.0.extra"' in msg
    assert "size mismatch for stem.bias: copying a param with shape (5,)" in msg
    assert "the shape in current model is (3,)" in msg
    np.testing.assert_array_equal(net.stem.weight._array, before)  # nothing written


def test_non_strict_load_returns_keys():
    net = Net()
    sd = net.state_dict()
    del sd["steps"]
    sd["foo"] = minidl.zeros(1)
    sd["stem.weight"] = minidl.ones(3, 3)
    result = net.load_state_dict(sd, strict=False)
    assert result == (["steps"], ["foo"])
    assert result.missing_keys == ["steps"] and result.unexpected_keys == ["foo"]
    assert float(net.stem.weight.sum()) == 9
    sd["stem.bias"] = minidl.zeros(4)
    with pytest.raises(RuntimeError, match="size mismatch for stem.bias"):
        net.load_state_dict(sd, strict=False)


def test_pickle_round_trip_keeps_parameters():
    import pickle

    net = Net()
    p = Parameter(minidl.ones(2), requires_grad=False)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, Parameter) and not q.requires_grad and q.tolist() == [1.0, 1.0]
    clone = pickle.loads(pickle.dumps(net))
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert all(isinstance(x, Parameter) for x in clone.parameters())
    np.testing.assert_array_equal(clone.stem.weight._array, net.stem.weight._array)


def test_deepcopy_module():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.stem.weight is not net.stem.weight
    assert isinstance(clone.stem.weight, Parameter)
    np.testing.assert_array_equal(clone.stem.weight._array, net.stem.weight._array)
    with minidl.no_grad():
        clone.stem.weight.fill_(0)
    assert float(net.stem.weight.abs().sum()) > 0


# ------------------------------------------------------------------- calling
def test_forward_not_defined():
    with pytest.raises(NotImplementedError, match="Module: forward"):
        Module()(1)


def test_hooks_order_replacement_and_removal():
    layer = nn.Linear(2, 2)
    calls = []

    def pre(module, args):
        calls.append(("pre", args[0].shape))
        return args[0] * 0  # replace the input

    def post(module, args, output):
        calls.append(("post", output.shape))
        return output + 1  # replace the output

    h1 = layer.register_forward_pre_hook(pre)
    h2 = layer.register_forward_hook(post)
    out = layer(minidl.randn(3, 2))
    np.testing.assert_allclose(out._array, np.broadcast_to(layer.bias._array + 1, (3, 2)), rtol=1e-6)
    assert calls == [("pre", (3, 2)), ("post", (3, 2))]
    h1.remove()
    h2.remove()
    h2.remove()  # harmless
    x = minidl.randn(1, 2)
    np.testing.assert_allclose(layer(x)._array, (x @ layer.weight.T + layer.bias)._array)
    assert calls == [("pre", (3, 2)), ("post", (3, 2))]


def test_hook_as_context_manager_and_summary_style_use():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    shapes = []
    handles = [m.register_forward_hook(lambda m, a, o: shapes.append((type(m).__name__, o.shape)))
               for m in net]
    net(minidl.randn(5, 4))
    for h in handles:
        h.remove()
    assert shapes == [("Linear", (5, 8)), ("ReLU", (5, 8)), ("Linear", (5, 2))]
    with net.register_forward_hook(lambda m, a, o: shapes.append("net")):
        net(minidl.randn(1, 4))
    net(minidl.randn(1, 4))
    assert shapes.count("net") == 1


def test_forward_kwargs_pass_through():
    class AddBias(Module):
        def forward(self, x, bias=0.0):
            return x + bias

    assert AddBias()(minidl.ones(1), bias=2.0).tolist() == [3.0]


# --------------------------------------------------------------------- repr
def test_repr_nested_format():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (stem): Linear(in_features=3, out_features=3, bias=True)\n"
        "  (blocks): Sequential(\n"
        "    (0): Block(\n"
        "      (conv_like): Linear(in_features=3, out_features=4, bias=True)\n"
        "      (head): Linear(in_features=4, out_features=2, bias=False)\n"
        "    )\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")")


def test_repr_with_extra_repr_and_children():
    class Scaled(Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "factor=2"

    assert repr(Scaled()) == "Scaled(\n  factor=2\n  (inner): ReLU()\n)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
