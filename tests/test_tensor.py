"""Tensor basics: factories, conversions, properties, dtypes, seeding, in-place writes."""
import numpy as np
import pytest

import minidl


# ---------------------------------------------------------------- factories
@pytest.mark.parametrize("factory, fill", [(minidl.zeros, 0.0), (minidl.ones, 1.0)])
def test_zeros_ones_sizes_as_ints_or_a_tuple(factory, fill):
    for t in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32
        assert (t.numpy() == fill).all()
    assert factory(2, dtype=minidl.float64).dtype == np.float64
    assert factory().shape == ()
    with pytest.raises(ValueError, match="non-negative integer sizes"):
        factory(2, -1)


@pytest.mark.parametrize("call, match", [
    (lambda: minidl.zeros(2, -1), "zeros: expected non-negative integer sizes"),
    (lambda: minidl.randn(-2), "randn: expected non-negative integer sizes"),
    (lambda: minidl.eye(-2), "eye: n must be a non-negative int, got -2"),
    (lambda: minidl.eye(2, -1), "eye: m must be a non-negative int"),
    (lambda: minidl.linspace(0, 1, -1), "linspace: steps must be a non-negative int"),
    (lambda: minidl.randint(5, 2, (3,)), "randint: expected low < high, got low=5, high=2"),
    (lambda: minidl.randperm(-1), "randperm: n must be a non-negative int"),
    (lambda: minidl.ones(2, 3).repeat(-1, 1), r"repeat: repeats must be non-negative"),
])
def test_negative_sizes_are_errors_naming_the_function(call, match):
    with pytest.raises(minidl.errors.MinidlError, match=match):
        call()


def test_full_and_empty():
    assert minidl.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert minidl.full((2,), 1.5).dtype == np.float32
    assert minidl.full((2,), 7).dtype == np.int64
    assert minidl.full((2,), True).dtype == np.bool_
    assert minidl.full(3, 0.0, dtype=minidl.float64).dtype == np.float64
    assert minidl.empty(3, 4).shape == (3, 4) and minidl.empty(3).dtype == np.float32


def test_like_factories_copy_shape_dtype_device():
    x = minidl.ones(2, 3, dtype=minidl.float64)
    for t in (minidl.zeros_like(x), minidl.ones_like(x), minidl.full_like(x, 2.0),
              minidl.empty_like(x), minidl.rand_like(x), minidl.randn_like(x)):
        assert t.shape == (2, 3) and t.dtype == np.float64 and t.device == x.device
    assert minidl.zeros_like(x, dtype=minidl.float32).dtype == np.float32
    i = minidl.randint_like(x, 5)
    assert i.shape == (2, 3) and ((i.numpy() >= 0) & (i.numpy() < 5)).all()
    assert minidl.ones_like(x, requires_grad=True).requires_grad


def test_arange_linspace_eye():
    assert minidl.arange(4).tolist() == [0, 1, 2, 3] and minidl.arange(4).dtype == np.int64
    assert minidl.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert minidl.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert minidl.arange(0.0, 1.0, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert minidl.arange(3, dtype=minidl.float64).dtype == np.float64
    with pytest.raises(ValueError, match="arange: step must be non-zero"):
        minidl.arange(0, 3, 0)
    lin = minidl.linspace(0, 1, 5)
    assert lin.dtype == np.float32 and lin.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    np.testing.assert_array_equal(minidl.eye(3).numpy(), np.eye(3))
    assert minidl.eye(2, 3).shape == (2, 3)


def test_random_factories_ranges_and_dtypes():
    r = minidl.rand(1000)
    assert r.dtype == np.float32 and 0.0 <= r.numpy().min() and r.numpy().max() < 1.0
    n = minidl.randn(10_000, dtype=minidl.float64)
    assert n.dtype == np.float64 and abs(n.numpy().mean()) < 0.05 and abs(n.numpy().std() - 1) < 0.05
    i = minidl.randint(3, 7, (100,))
    assert i.dtype == np.int64 and set(np.unique(i.numpy())) == {3, 4, 5, 6}
    assert minidl.randint(5, (2, 2)).shape == (2, 2)
    p = minidl.randperm(6)
    assert sorted(p.tolist()) == list(range(6))
    assert minidl.randn(2, requires_grad=True).requires_grad


def test_manual_seed_makes_random_numbers_reproducible():
    minidl.manual_seed(42)
    a = (minidl.randn(3), minidl.rand(2), minidl.randint(0, 100, (4,)), minidl.randperm(5))
    w1 = minidl.empty(3).normal_()
    minidl.manual_seed(42)
    b = (minidl.randn(3), minidl.rand(2), minidl.randint(0, 100, (4,)), minidl.randperm(5))
    w2 = minidl.empty(3).normal_()
    for x, y in zip(a + (w1,), b + (w2,)):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    minidl.manual_seed(43)
    assert not np.array_equal(minidl.randn(3).numpy(), a[0].numpy())


def test_rng_state_round_trip():
    state = minidl.get_rng_state()
    first = minidl.rand(3).numpy()
    minidl.set_rng_state(state)
    np.testing.assert_array_equal(minidl.rand(3).numpy(), first)


# ------------------------------------------------------ construction, dtypes
def test_python_data_defaults_float32_and_int64():
    assert minidl.tensor([1.0, 2.0]).dtype == np.float32
    assert minidl.tensor([1, 2]).dtype == np.int64
    assert minidl.tensor(True).dtype == np.bool_
    assert minidl.tensor(2.5).shape == ()
    assert minidl.tensor([1.0], dtype=minidl.float64).dtype == np.float64
    assert minidl.tensor(np.zeros(2)).dtype == np.float64  # arrays keep their dtype
    assert minidl.Tensor([[1, 2], [3, 4]]).shape == (2, 2)


def test_tensor_copies_as_tensor_and_from_numpy_share():
    a = np.zeros(3, dtype=np.float32)
    copied, shared, wrapped = minidl.tensor(a), minidl.as_tensor(a), minidl.from_numpy(a)
    a[0] = 5.0
    assert copied.tolist()[0] == 0.0
    assert shared.tolist()[0] == 5.0 and wrapped.tolist()[0] == 5.0
    assert wrapped.numpy() is a or np.shares_memory(wrapped.numpy(), a)
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray"):
        minidl.from_numpy([1, 2])
    assert minidl.from_numpy(np.arange(3, dtype=np.int32)).dtype == np.int32


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        minidl.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        minidl.tensor([object()])


def test_conversions_between_dtypes():
    x = minidl.tensor([1.5, -2.5])
    assert x.double().dtype == np.float64 and x.half().dtype == np.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype == np.int32
    assert x.bool().tolist() == [True, True]
    assert x.to(minidl.float64).dtype == np.float64 and x.to("float64").dtype == np.float64
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(minidl.ones(1, dtype=minidl.float64)).dtype == np.float64
    assert x.type() == "float32" and x.type(minidl.float64).dtype == np.float64
    assert x.to(copy=True) is not x


# ---------------------------------------------------------- properties
def test_shape_properties():
    x = minidl.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4
    assert x.dim() == x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert x.element_size() == 4
    assert str(x.device) == "cpu" and x.device == minidl.device("cpu") and not x.is_cuda
    assert x.dtype == minidl.float32
    with pytest.raises(IndexError, match="size: dimension out of range"):
        x.size(3)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(minidl.tensor(1.0))


def test_item_tolist_numpy_and_python_conversions():
    x = minidl.tensor([[1.5]])
    assert x.item() == 1.5 and isinstance(x.item(), float)
    assert float(x) == 1.5 and int(minidl.tensor(3)) == 3
    assert minidl.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert np.asarray(minidl.tensor([1.0, 2.0])).dtype == np.float32
    with pytest.raises(ValueError, match=r"item: only one-element tensors .* shape \(2,\)"):
        minidl.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="truth value of a tensor with 2 elements"):
        bool(minidl.tensor([1.0, 2.0]))
    assert bool(minidl.tensor([1.0]))
    assert [t.item() for t in minidl.tensor([1.0, 2.0])] == [1.0, 2.0]
    assert [10, 20, 30][minidl.tensor(1)] == 20  # __index__


def test_numpy_of_a_graph_tensor_needs_detach():
    x = minidl.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="detach\\(\\).numpy\\(\\)"):
        y.numpy()
    assert y.detach().numpy().tolist() == [2.0]
    assert x.numpy().tolist() == [1.0]  # a leaf is fine


def test_requires_grad_flag():
    x = minidl.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = minidl.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only be switched off on leaf tensors"):
        y.requires_grad = False


def test_repr():
    assert repr(minidl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "dtype=float64" in repr(minidl.ones(1, dtype=minidl.float64))
    assert "requires_grad=True" in repr(minidl.ones(1, requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(minidl.ones(1, requires_grad=True) * 2)


# ---------------------------------------------------------- in-place writes
def test_in_place_data_writes():
    x = minidl.zeros(2, 2)
    x.fill_(3.0)
    assert x.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    x.zero_()
    assert x.numpy().sum() == 0
    x.copy_(minidl.tensor([1.0, 2.0]))  # broadcasts
    assert x.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    x[0, 1] = 7.0
    x[minidl.tensor([False, True])] = minidl.tensor([9.0, 9.0])
    assert x.tolist() == [[1.0, 7.0], [9.0, 9.0]]
    x[minidl.tensor([True, False]), minidl.tensor(0)] = 4.0  # tensors inside a tuple index
    assert x.tolist() == [[4.0, 7.0], [9.0, 9.0]]
    x.uniform_(-1, 1)
    assert (np.abs(x.numpy()) <= 1).all()


def test_clone_and_contiguous():
    x = minidl.from_numpy(np.arange(6.0).reshape(2, 3).T)
    assert not x.is_contiguous()
    c = x.contiguous()
    assert c.is_contiguous() and c.tolist() == x.tolist()
    y = minidl.ones(2, requires_grad=True)
    z = y.clone()
    assert z._array is not y._array and z.grad_fn is not None
    assert minidl.tensor(2.0).clone().shape == ()
