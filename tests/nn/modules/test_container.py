"""Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten."""
import doctest
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn as nn
from minidl.nn.modules import container
from tests.strategies import shapes


def test_docstring_examples():
    result = doctest.testmod(container)
    assert result.attempted > 0 and result.failed == 0


def _layers(n):
    return [nn.Linear(2, 2) for _ in range(n)]


# ----------------------------------------------------------------- Sequential
def test_sequential_forward_is_composition():
    a, b = nn.Linear(3, 4), nn.Linear(4, 2)
    seq = nn.Sequential(a, nn.ReLU(), b)
    x = minidl.randn(5, 3)
    np.testing.assert_allclose(seq(x)._array, b(a(x).relu())._array)
    assert nn.Sequential()(x) is x


def test_sequential_indexing_slicing_len_iter():
    layers = _layers(4)
    seq = nn.Sequential(*layers)
    assert len(seq) == 4 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[3] and seq[-4] is layers[0]
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        seq[4]
    with pytest.raises(IndexError):
        seq[-5]
    head = seq[1:3]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:3]
    assert [n for n, _ in head.named_children()] == ["1", "2"]
    assert list(seq[::-1]) == layers[::-1]


def test_sequential_ordered_dict_names():
    seq = nn.Sequential(OrderedDict([("conv", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert seq.conv is seq[0]
    assert list(seq.state_dict()) == ["conv.weight", "conv.bias"]
    assert repr(seq).splitlines()[1] == "  (conv): Linear(in_features=2, out_features=3, bias=True)"


def test_sequential_append_insert_delete_setitem_pop():
    layers = _layers(3)
    seq = nn.Sequential(layers[0])
    assert seq.append(layers[1]) is seq
    seq.extend([layers[2]])
    assert list(seq) == layers and [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    relu = nn.ReLU()
    seq.insert(1, relu)
    assert list(seq) == [layers[0], relu, layers[1], layers[2]]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq) == layers
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    seq[-1] = relu
    assert seq[2] is relu
    assert seq.pop(0) is layers[0] and len(seq) == 2
    del seq[0:2]
    assert len(seq) == 0
    with pytest.raises(TypeError):
        seq.insert(0, "not a module")


# ----------------------------------------------------------------- ModuleList
def test_module_list_registers_parameters():
    blocks = nn.ModuleList(_layers(3))
    assert len(list(blocks.parameters())) == 6
    assert [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.plain = _layers(2)        # a Python list: invisible
            self.blocks = nn.ModuleList(_layers(2))

    assert len(list(Holder().parameters())) == 4


def test_module_list_operations():
    layers = _layers(4)
    ml = nn.ModuleList(layers[:2])
    ml.append(layers[2])
    ml.extend([layers[3]])
    assert list(ml) == layers and len(ml) == 4
    assert ml[-1] is layers[3] and ml.index(layers[2]) == 2
    with pytest.raises(ValueError):
        ml.index(nn.ReLU())
    sliced = ml[1:3]
    assert isinstance(sliced, nn.ModuleList) and list(sliced) == layers[1:3]
    assert [n for n, _ in sliced.named_children()] == ["0", "1"]
    relu = nn.ReLU()
    ml.insert(0, relu)
    assert ml[0] is relu and [n for n, _ in ml.named_children()] == ["0", "1", "2", "3", "4"]
    del ml[0]
    assert list(ml) == layers
    ml[1] = relu
    assert ml[1] is relu
    assert ml.pop() is layers[3] and len(ml) == 3
    ml += [nn.Tanh()]
    assert len(ml) == 4 and isinstance(ml[3], nn.Tanh)
    assert len(ml + nn.ModuleList([relu])) == 5
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(TypeError, match="append"):
        ml.extend(nn.ReLU())


def test_module_list_repr_groups_repeats():
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])
    assert repr(ml) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"


# ----------------------------------------------------------------- ModuleDict
def test_module_dict():
    a, b = nn.Linear(2, 2), nn.ReLU()
    md = nn.ModuleDict({"a": a})
    md["b"] = b
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and list(md) == ["a", "b", "c"]
    assert md["a"] is a and "b" in md and len(md) == 3
    assert [k for k, _ in md.items()] == ["a", "b", "c"] and list(md.values())[1] is b
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    assert md.pop("b") is b and "b" not in md
    del md["c"]
    with pytest.raises(KeyError, match="no module named 'c'"):
        md["c"]
    md.clear()
    assert len(md) == 0


# ------------------------------------------------------- Identity, Flatten...
def test_identity():
    x = minidl.randn(3)
    assert nn.Identity(1, 2, key="ignored")(x) is x


@given(shape=shapes(min_ndim=2, max_ndim=4), data=st.data())
def test_flatten_matches_numpy(shape, data):
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    y = nn.Flatten(start, end)(minidl.tensor(x))
    s, e = start % len(shape), end
    expected = x.reshape(shape[:s] + (-1,) + shape[e + 1:])
    np.testing.assert_array_equal(y._array, expected)


def test_flatten_default_and_repr_and_gradient():
    x = minidl.randn(2, 3, 4, requires_grad=True)
    y = nn.Flatten()(x)
    assert y.shape == (2, 12)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_unflatten_inverts_flatten():
    x = minidl.randn(2, 12)
    u = nn.Unflatten(1, (3, 4))
    assert u(x).shape == (2, 3, 4)
    np.testing.assert_array_equal(nn.Flatten()(u(x))._array, x._array)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(3, 4))"
    assert nn.Unflatten(-1, [2, -1])(x).shape == (2, 2, 6)
