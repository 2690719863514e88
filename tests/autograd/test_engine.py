"""Graph semantics of the backward pass: reused nodes, accumulation, retain_graph,
grad mode, detach, very deep graphs, and freeing what forward saved."""
import gc
import threading
import weakref

import numpy as np
import pytest

import minidl
from minidl.autograd import Function, backward, enable_grad, no_grad, set_grad_enabled


def t64(a, requires_grad=True):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------- reused nodes
def test_leaf_used_several_times_gets_the_sum_of_its_paths():
    x = t64([1.0, 2.0, 3.0])
    y = (x * x + x * 3.0 + x).sum()  # dy/dx = 2x + 4
    y.backward()
    assert x.grad.tolist() == [6.0, 8.0, 10.0]


def test_non_leaf_used_several_times():
    x = t64([1.0, -2.0])
    h = x * 2.0                     # used three times below
    y = (h * h + h + h.exp()).sum()  # dy/dh = 2h + 1 + exp(h); dh/dx = 2
    y.backward()
    h_val = 2.0 * np.array([1.0, -2.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * h_val + 1 + np.exp(h_val)))


def test_diamond_graph_visits_the_shared_node_once_with_the_summed_gradient():
    calls = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            calls.append(g.copy())
            return g

    x = t64([1.0, 2.0])
    s = Spy.apply(x)
    y = (s * 2.0 + s * 5.0).sum()
    y.backward()
    assert len(calls) == 1 and calls[0].tolist() == [7.0, 7.0]
    assert x.grad.tolist() == [7.0, 7.0]


def test_leaves_sharing_one_gradient_array_do_not_alias():
    a, b = t64([1.0]), t64([2.0])
    (a + b).sum().backward()  # Add hands the same array to both
    a.grad.data += 10.0       # an optimizer updating in place must not touch b.grad
    assert b.grad.tolist() == [1.0]


# ------------------------------------------------------------- accumulation
def test_gradients_accumulate_across_backward_calls_until_cleared():
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_retain_graph_allows_a_second_backward_and_without_it_a_clear_error():
    x = t64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()  # allowed: the graph was kept
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "retain_graph=True"):
        y.backward()


def test_second_backward_error_also_for_ops_that_save_no_arrays():
    x = t64([[1.0, 2.0]])
    y = x.reshape(2).sum()  # reshape and sum keep only shapes on ctx
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = t64([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for a tensor "
                                           r"with one element, got shape \(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected .*\(2,\)"):
        y.backward(minidl.ones(3, dtype=minidl.float64))
    y.backward(t64([1.0, 10.0], requires_grad=False))
    assert x.grad.tolist() == [2.0, 20.0]


def test_backward_on_a_tensor_outside_the_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (minidl.ones(2) * 2).sum().backward()


def test_backward_on_a_leaf_and_through_backward_function():
    x = t64([3.0])
    x.backward()
    assert x.grad.tolist() == [1.0]
    y = t64([2.0])
    backward((y * y).sum())
    assert y.grad.tolist() == [4.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = t64([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
    assert not h.is_leaf and x.is_leaf


def test_only_inputs_that_require_grad_get_one():
    a, b = t64([1.0]), t64([2.0], requires_grad=False)
    (a * b).sum().backward()
    assert a.grad.tolist() == [2.0] and b.grad is None
    assert (b * 2).grad_fn is None and not (b * 2).requires_grad
    assert (a * b).requires_grad and (a * b).grad_fn.name() == "MulBackward"


def test_integer_results_of_differentiable_inputs_carry_no_gradient():
    x = t64([1.5, -2.5])
    i = x.long()
    assert i.tolist() == [1, -2] and not i.requires_grad and i.grad_fn is None
    assert not x.bool().requires_grad


def test_next_functions_describe_the_graph():
    x = t64([1.0])
    y = (x.exp() + 1.0).sum()
    add = y.grad_fn.next_functions[0]
    assert y.grad_fn.name() == "SumBackward" and add.name() == "AddBackward"
    assert add.next_functions[0].name() == "ExpBackward"
    assert add.next_functions[0].next_functions == (None,)  # x is a leaf


def test_backward_returning_too_few_gradients_is_reported():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    y = Broken.apply(t64([1.0]), t64([2.0]))
    with pytest.raises(RuntimeError, match="BrokenBackward: backward returned 1 gradients "
                                           "for 2 inputs"):
        y.sum().backward()


# ---------------------------------------------------------------- grad mode
def test_no_grad_as_context_manager_and_decorator():
    x = t64([1.0])
    with no_grad():
        assert not minidl.is_grad_enabled()
        y = x * 2
        with enable_grad():
            z = x * 2
        assert not minidl.is_grad_enabled()
    assert minidl.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @no_grad()
    def evaluate(t):
        return t * 2

    @enable_grad()
    def train_step(t):
        return t * 2

    assert not evaluate(x).requires_grad and minidl.is_grad_enabled()
    with no_grad():
        assert train_step(x).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError("boom")
    assert minidl.is_grad_enabled()


def test_set_grad_enabled():
    with set_grad_enabled(False):
        assert not minidl.is_grad_enabled()
    assert minidl.is_grad_enabled()
    set_grad_enabled(False)
    assert not minidl.is_grad_enabled()
    set_grad_enabled(True)
    assert minidl.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []

    def worker():
        seen.append(minidl.is_grad_enabled())

    with no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == [True]


def test_detach_cuts_the_graph_and_shares_data():
    x = t64([1.0, 2.0])
    h = x * 2
    d = h.detach()
    assert d.grad_fn is None and not d.requires_grad and d._array is h._array
    (d * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]  # no path through d
    h.detach_()
    assert h.is_leaf and not h.requires_grad


def test_in_place_writes_are_refused_on_leaves_that_require_grad_but_allowed_under_no_grad():
    w = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="fill_: a leaf tensor that requires grad"):
        w.fill_(0.0)
    with no_grad():
        w.fill_(0.0)
        w[0] = 5.0
    assert w.tolist() == [5.0, 0.0]


# ------------------------------------------------------- depth and memory
def test_a_chain_of_100000_ops_back_propagates():
    x = t64([1.5])
    y = x
    for _ in range(100_000):
        y = -y
    y.sum().backward()  # iterative: no recursion limit
    assert x.grad.tolist() == [1.0]  # an even number of negations


class SaveCopy(Function):
    """y = x^2 that saves a private copy of x, so that the test can watch it."""

    saved_refs = []

    @staticmethod
    def forward(ctx, x):
        private = x.copy()
        SaveCopy.saved_refs.append(weakref.ref(private))
        ctx.save_for_backward(private)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_saved_arrays_are_released_after_backward():
    SaveCopy.saved_refs.clear()
    x = t64([1.0, 2.0])
    y = SaveCopy.apply(x).sum()
    assert SaveCopy.saved_refs[0]() is not None
    node = y.grad_fn.next_functions[0]
    y.backward()
    gc.collect()
    assert SaveCopy.saved_refs[0]() is None
    assert node.released
    assert x.grad.tolist() == [2.0, 4.0]


def test_saved_arrays_survive_with_retain_graph():
    SaveCopy.saved_refs.clear()
    y = SaveCopy.apply(t64([1.0])).sum()
    y.backward(retain_graph=True)
    assert SaveCopy.saved_refs[0]() is not None


def test_unused_activations_are_freed_right_after_forward():
    x = t64(np.ones(1000))
    h = x * 2.0            # sum needs only h's shape, not h itself
    ref = weakref.ref(h._array)
    y = h.sum()
    del h
    gc.collect()
    assert ref() is None
    y.backward()
    assert x.grad.numpy().sum() == 2000.0


def test_nothing_is_recorded_under_no_grad():
    SaveCopy.saved_refs.clear()
    with no_grad():
        y = SaveCopy.apply(t64([1.0]))
    assert y.grad_fn is None
    gc.collect()
    assert SaveCopy.saved_refs[0]() is None  # the ctx and its saved copy are gone already
