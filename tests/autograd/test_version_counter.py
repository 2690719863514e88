"""Version counters: backward refuses arrays that were changed in place after being saved.

Each case of issue 12 item 1 gave a silently wrong gradient before the counters existed.
"""
import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.autograd import version
from minidl.errors import InplaceError

MESSAGE = ("one of the variables needed for gradient computation has been modified by an "
           "inplace operation: {op}, saved version {saved}, now {now}")


def _raises(op, saved, now):
    return pytest.raises(RuntimeError, match=MESSAGE.format(op=op, saved=saved, now=now)
                         .replace("(", r"\(").replace(")", r"\)").replace(".", r"\."))


def test_setitem_on_an_input_saved_by_mul():
    x = minidl.tensor([1.0, 2.0, 3.0])
    w = minidl.ones(3, requires_grad=True)
    y = (x * w).sum()
    x[0] = 100.0                       # w.grad would be [100, 2, 3]
    with _raises("__setitem__", 0, 1):
        y.backward()


def test_fill_on_an_input_saved_by_mul():
    x = minidl.tensor([1.0, 2.0, 3.0])
    w = minidl.ones(3, requires_grad=True)
    y = (x * w).sum()
    x.fill_(0)
    with pytest.raises(InplaceError, match="fill_, saved version 0, now 1"):
        y.backward()


def test_zeroing_a_detached_output_that_exp_saved():
    x = minidl.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    y.detach().zero_()                 # detach shares the storage, and so its version
    with _raises("zero_", 0, 1):
        y.sum().backward()


def test_a_no_grad_write_into_a_parameter():
    layer = nn.Linear(3, 2)
    x = minidl.randn(4, 3, requires_grad=True)   # Linear saves its weight for x's gradient
    loss = layer(x).sum()
    with minidl.no_grad():
        layer.weight.mul_(2.0)
    with pytest.raises(InplaceError, match=r"inplace operation: mul_, saved version (\d+), now"):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward():
    layer = nn.Linear(3, 2)
    opt = minidl.optim.SGD(layer.parameters(), lr=0.1)
    x = minidl.randn(4, 3, requires_grad=True)
    layer(x).sum().backward()
    loss = layer(x).sum()
    opt.step()
    with pytest.raises(InplaceError, match=r"inplace operation: SGD\.step, saved version"):
        loss.backward()


def test_writes_through_data_are_not_counted_as_in_pytorch():
    x = minidl.tensor([1.0, 2.0, 3.0])
    w = minidl.ones(3, requires_grad=True)
    y = (x * w).sum()
    x.data[0] = 100.0                  # the explicit way around autograd
    y.backward()
    assert w.grad.tolist() == [100.0, 2.0, 3.0]


def test_views_share_their_storage_version():
    x = minidl.zeros(2, 3)
    before = version.version(x._array)
    x[0].fill_(1.0)                    # a view of x's memory
    assert version.version(x._array) == before + 1
    assert x.sum().item() == 3.0


def test_changes_after_backward_are_fine_and_the_graph_is_not_affected_by_unrelated_writes():
    x = minidl.tensor([1.0, 2.0])
    w = minidl.ones(2, requires_grad=True)
    other = minidl.zeros(2)
    y = (x * w).sum()
    other.fill_(3.0)                   # not saved by anything
    y.backward()
    x.fill_(0.0)                       # after backward: nothing left to corrupt
    assert w.grad.tolist() == [1.0, 2.0]


def test_a_training_loop_with_in_place_relu_and_optimizer_runs():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 1))
    opt = minidl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, t = minidl.randn(16, 4), minidl.randn(16, 1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((model(x) - t) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_counters_of_freed_storages_are_forgotten():
    import gc
    a = np.zeros(4)
    version.bump(a, "fill_")
    key = id(a)
    assert key in version._counters
    del a
    gc.collect()
    assert key not in version._counters
