"""Indexing: basic and advanced getitem, gather, index_select, masked_fill.

The gradient of a read is a scatter-*add*: positions read several times must get
the sum of their gradients. The reference for that is ``np.add.at`` (fine in a
test; the library itself uses bincount so that the same code runs on CuPy)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.autograd import gradcheck
from minidl.ops.indexing import scatter_add_along_dim
from tests.strategies import examples, arrays, shape_and_dim, shapes


def t64(a, requires_grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _grad_of_index(a, index, weights):
    """d/da of sum(a[index] * weights), by np.add.at."""
    positions = np.arange(a.size).reshape(a.shape)[index]
    grad = np.zeros(a.size)
    np.add.at(grad, positions.ravel(), np.broadcast_to(weights, positions.shape).ravel())
    return grad.reshape(a.shape)


BASIC = [
    (1,), (-1,), (slice(None),), (slice(1, None, 2),), (None,), (Ellipsis,),
    (0, slice(None, None, -1)), (Ellipsis, 1), (None, slice(0, 2), Ellipsis, None),
    (slice(None, None, 2), -1), (slice(5, 1, -2),),
]


@pytest.mark.parametrize("index", BASIC, ids=repr)
def test_basic_indexing(index):
    a = np.arange(24.0).reshape(4, 3, 2)
    index = index[0] if len(index) == 1 else index
    x = t64(a, True)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), a[index])
    w = np.random.default_rng(0).standard_normal(np.shape(a[index]))
    (out * t64(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), _grad_of_index(a, index, w))


ADVANCED = [
    [0, 0, 3],                                      # repeated rows
    np.array([[1, 1], [1, 2]]),                     # 2-D index array with repeats
    (np.array([0, 0, 2]), np.array([1, 1, 1])),     # two arrays: the same element thrice
    (slice(None), [2, 2, 0]),                       # slice then array
    ([3, 3], Ellipsis, [1, 1]),                     # arrays apart: moved to the front
    (Ellipsis, [0, 0]),
    np.array([True, False, True, True]),            # boolean mask on dim 0
    (np.array([-1, -1]), None, slice(1, 3)),
]


@pytest.mark.parametrize("index", ADVANCED, ids=repr)
def test_advanced_indexing_accumulates_repeated_positions(index):
    a = np.arange(48.0).reshape(4, 3, 4)
    x = t64(a, True)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), a[index])
    w = np.random.default_rng(1).standard_normal(np.shape(a[index]))
    (out * t64(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _grad_of_index(a, index, w))


def test_index_with_tensors_and_masks():
    a = np.array([[1.0, -2.0], [3.0, -4.0]])
    x = t64(a, True)
    np.testing.assert_array_equal(x[minidl.tensor([1, 1])].detach().numpy(), a[[1, 1]])
    mask = x > 0
    assert x[mask].tolist() == [1.0, 3.0]
    x[mask].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert x[minidl.tensor(1)].tolist() == [3.0, -4.0]  # a 0-d integer tensor indexes like an int


@given(data=st.data())
@examples(15)
def test_random_integer_index_gradient(data):
    shape = data.draw(shapes(1, 3))
    a = data.draw(arrays(shape))
    n_arrays = data.draw(st.integers(1, len(shape)))
    idx_shape = data.draw(shapes(0, 2, max_side=5))
    index = tuple(np.asarray(data.draw(st.lists(st.integers(-s, s - 1), min_size=int(np.prod(idx_shape)),
                                                max_size=int(np.prod(idx_shape))))).reshape(idx_shape)
                  for s in shape[:n_arrays])
    x = t64(a, True)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), a[index])
    w = np.arange(out.numel(), dtype=np.float64).reshape(out.shape) + 1
    (out * t64(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _grad_of_index(a, index, w))
    if out.numel():
        assert gradcheck(lambda t: t[index], [t64(a, True)])


def test_index_errors_name_getitem_and_the_shape():
    x = minidl.zeros(2, 3)
    with pytest.raises(IndexError, match=r"getitem: cannot index a tensor of shape \(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match="getitem"):
        x[[0, 7]]


# ------------------------------------------------------------------- gather
@given(data=st.data())
@examples(15)
def test_gather_matches_numpy_and_accumulates(data):
    shape, dim = data.draw(shape_and_dim(1, 3))
    a = data.draw(arrays(shape))
    # index may be smaller than the input in every dim but ``dim`` may be any size
    idx_shape = tuple(data.draw(st.integers(1, 4)) if d == dim % len(shape) else
                      data.draw(st.integers(1, s)) for d, s in enumerate(shape))
    index = np.asarray(data.draw(st.lists(st.integers(0, shape[dim] - 1),
                                          min_size=int(np.prod(idx_shape)),
                                          max_size=int(np.prod(idx_shape))))).reshape(idx_shape)
    block = tuple(slice(None) if d == dim % len(shape) else slice(0, s)
                  for d, s in enumerate(idx_shape))
    expected = np.take_along_axis(a[block], index, axis=dim)
    x = t64(a, True)
    out = minidl.gather(x, dim, minidl.tensor(index))
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    out.sum().backward()
    ref = np.zeros_like(a)
    coords = list(np.indices(idx_shape))
    coords[dim % len(shape)] = index
    np.add.at(ref, tuple(coords), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), ref)
    assert gradcheck(lambda t: t.gather(dim, minidl.tensor(index)), [t64(a, True)])


def test_gather_errors():
    x = minidl.zeros(2, 3)
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, minidl.zeros(2, 3))
    with pytest.raises(ValueError, match="gather: index must have as many dims"):
        x.gather(1, minidl.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"gather: index of shape \(3, 1\) is larger"):
        x.gather(1, minidl.tensor([[0], [1], [2]]))


def test_scatter_add_along_dim_by_hand():
    index = np.array([[0, 0, 2], [1, 1, 1]])
    src = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = scatter_add_along_dim((2, 3), 1, index, src)
    np.testing.assert_array_equal(out, [[3.0, 0.0, 3.0], [0.0, 15.0, 0.0]])
    out = scatter_add_along_dim((3, 3), 0, index, src)
    np.testing.assert_array_equal(out, [[1.0, 2.0, 0.0], [4.0, 5.0, 6.0], [0.0, 0.0, 3.0]])


def test_take_along_dim_broadcasts():
    x = t64([[10.0, 30.0, 20.0], [5.0, 1.0, 7.0]], True)
    idx = minidl.tensor([[0, 2]])
    out = minidl.take_along_dim(x, idx, 1)
    assert out.tolist() == [[10.0, 20.0], [5.0, 7.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]


# ------------------------------------------------------ index_select, masked_fill
def test_index_select():
    a = np.arange(12.0).reshape(3, 4)
    x = t64(a, True)
    out = x.index_select(1, minidl.tensor([3, 0, 3]))
    np.testing.assert_array_equal(out.detach().numpy(), a[:, [3, 0, 3]])
    out.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0, 2.0]] * 3
    with pytest.raises(ValueError, match="index_select: index must be 1-D"):
        x.index_select(0, minidl.tensor([[0]]))


def test_masked_fill():
    x = t64([[1.0, -2.0], [3.0, -4.0]], True)
    out = x.masked_fill(x < 0, -np.inf)
    assert out.tolist() == [[1.0, -np.inf], [3.0, -np.inf]]
    x.masked_fill(minidl.tensor([True, False]), 9.0).sum().backward()  # mask broadcasts
    assert x.grad.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert minidl.masked_fill(minidl.ones(2, dtype=minidl.float32),
                              minidl.tensor([True, False]), 0).dtype == np.float32
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill(minidl.tensor([1, 0]), 0.0)


@pytest.mark.parametrize("bad", [3, 7, -1])
def test_gather_out_of_range_index_is_a_clear_error(bad):
    x = minidl.zeros(2, 3)
    with pytest.raises(minidl.errors.ArgumentError,
                       match=rf"gather: index {bad} is out of bounds for dim 1 with size 3"):
        minidl.gather(x, 1, minidl.tensor([[0, bad], [1, 2]]))
    assert minidl.gather(x, 1, minidl.tensor(np.zeros((2, 0), np.int64))).shape == (2, 0)
