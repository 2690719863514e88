"""Element-wise ops beyond the op table: comparisons and logical ops (no gradient),
error messages of binary ops, dtype promotion, and the subgradients at kinks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from tests.strategies import examples, broadcastable_shapes, domain_arrays

COMPARISONS = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "logical_and": np.logical_and,
    "logical_or": np.logical_or, "logical_xor": np.logical_xor,
}
OPERATORS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
             "ge": "__ge__", "logical_and": "__and__", "logical_or": "__or__",
             "logical_xor": "__xor__"}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
@examples(10)
@given(data=st.data())
def test_comparisons_match_numpy_and_have_no_gradient(name, data):
    sa, sb = data.draw(broadcastable_shapes(2))
    a = data.draw(domain_arrays(sa, "grid"))  # the grid makes equal pairs likely
    b = data.draw(domain_arrays(sb, "grid"))
    x = minidl.tensor(a, requires_grad=True)
    y = minidl.tensor(b, requires_grad=True)
    ref = COMPARISONS[name]
    for out in (getattr(minidl, name)(x, y), getattr(x, OPERATORS[name])(y)):
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), ref(a, b))
    np.testing.assert_array_equal(getattr(minidl, name)(x, 0.5).numpy(), ref(a, 0.5))


def test_unary_logical_and_float_tests():
    x = minidl.tensor([0.0, 1.0, np.nan, np.inf, -np.inf])
    assert minidl.logical_not(x).tolist() == [True, False, False, False, False]
    assert (~(x > 0)).tolist() == [True, False, True, False, True]
    assert x.isnan().tolist() == [False, False, True, False, False]
    assert minidl.isinf(x).tolist() == [False, False, False, True, True]
    assert x.isfinite().tolist() == [True, True, False, False, False]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_binary_shape_mismatch_names_the_op_and_both_shapes(name):
    a, b = minidl.ones(2, 3), minidl.ones(4, 1, 2)
    with pytest.raises(ValueError, match=rf"{name}: operands could not be broadcast together: "
                                         r"shapes \(2, 3\) and \(4, 1, 2\)"):
        getattr(minidl, name)(a, b)


def test_where_shape_mismatch_names_all_three_shapes():
    with pytest.raises(ValueError, match=r"where: .* shapes \(3,\), \(2,\) and \(\)"):
        minidl.where(minidl.ones(3) > 0, minidl.ones(2), 0.0)


def test_operator_shape_mismatch_with_a_numpy_array():
    with pytest.raises(ValueError, match=r"add: .*shapes \(3,\) and \(2,\)"):
        minidl.ones(3) + np.ones(2, dtype=np.float32)


def test_python_numbers_keep_float32_and_dtypes_promote_like_pytorch():
    x = minidl.ones(2)
    assert (x + 1).dtype == np.float32 and (2.5 * x).dtype == np.float32
    assert (x / 3).dtype == np.float32 and (x ** 2).dtype == np.float32
    a = minidl.ones(2, requires_grad=True)
    b = minidl.ones(2, dtype=minidl.float64, requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64  # each in its own dtype
    assert (minidl.arange(3) + 0.5).dtype == np.float32


def test_maximum_gradient_stays_in_float32():
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    b = minidl.tensor([1.0, 3.0], requires_grad=True)
    m = minidl.maximum(a, b)
    grads = m.grad_fn.fn.backward(m.grad_fn, np.ones(2, dtype=np.float32))
    assert all(g.dtype == np.float32 for g in grads)


def test_cast_backward_returns_the_original_dtype():
    x = minidl.ones(3, dtype=minidl.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_subgradients_at_kinks_follow_pytorch():
    x = minidl.tensor([0.0, 0.0], requires_grad=True)
    (minidl.relu(x) + minidl.abs(x)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    b = minidl.tensor([1.0, 3.0], requires_grad=True)
    minidl.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]
    c = minidl.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    c.clamp(0, 1).sum().backward()
    assert c.grad.tolist() == [0.0, 1.0, 0.0]


def test_pow_gradient_for_the_exponent_at_base_zero_is_finite():
    base = minidl.tensor([0.0, 2.0])
    e = minidl.tensor([2.0, 3.0], requires_grad=True)
    (base ** e).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), [0.0, 8.0 * np.log(2.0)], rtol=1e-6)


def test_sigmoid_and_relu_at_extremes():
    x = minidl.tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
    s = x.sigmoid().numpy()
    assert np.isfinite(s).all() and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert not np.signbit(minidl.relu(minidl.tensor([-3.0])).numpy()).any()


def test_where_and_clamp_arguments():
    x = minidl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = minidl.where(x > 0, x, 0.0)
    assert y.tolist() == [1.0, 0.0, 3.0] and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    assert x.where(x < 0, minidl.zeros(3)).tolist() == [0.0, -2.0, 0.0]
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        x.clamp()
