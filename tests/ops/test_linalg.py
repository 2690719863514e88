"""Matrix products: every rank case of matmul (1-D, 2-D, batched, broadcast batch
dims) against np.matmul with gradchecks, a product worked by hand, and the errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.autograd import gradcheck
from tests.strategies import examples, arrays


def t64(a, requires_grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


RANK_CASES = {
    "vector.vector": ((3,), (3,)),
    "matrix.vector": ((2, 3), (3,)),
    "vector.matrix": ((3,), (3, 4)),
    "matrix.matrix": ((2, 3), (3, 4)),
    "batch.batch": ((5, 2, 3), (5, 3, 4)),
    "batch.matrix": ((5, 2, 3), (3, 4)),
    "matrix.batch": ((2, 3), (5, 3, 4)),
    "vector.batch": ((3,), (5, 3, 4)),
    "batch.vector": ((5, 2, 3), (3,)),
    "broadcast.batch": ((2, 1, 2, 3), (4, 3, 1)),
    "broadcast.both": ((1, 4, 2, 3), (5, 1, 3, 2)),
}


@pytest.mark.parametrize("case", sorted(RANK_CASES))
@examples(3)
@given(data=st.data())
def test_matmul_rank_cases(case, data):
    sa, sb = RANK_CASES[case]
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    out = minidl.matmul(t64(a), t64(b))
    expected = np.matmul(a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    ta, tb = t64(a, True), t64(b, True)
    (ta @ tb).sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb  # broadcast batch dims summed away
    assert gradcheck(minidl.matmul, [t64(a, True), t64(b, True)])


def test_matmul_worked_by_hand():
    a = t64([[1.0, 2.0], [3.0, 4.0]], True)
    b = t64([[5.0, 6.0], [7.0, 8.0]], True)
    y = a @ b
    assert y.tolist() == [[19.0, 22.0], [43.0, 50.0]]
    y.backward(t64([[1.0, 0.0], [0.0, 1.0]]))
    # dL/dA = G @ B^T and dL/dB = A^T @ G with G the identity
    assert a.grad.tolist() == [[5.0, 7.0], [6.0, 8.0]]
    assert b.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_only_the_needed_gradient_is_computed():
    a = t64([[1.0, 2.0]], True)
    b = t64([[3.0], [4.0]])
    (a @ b).sum().backward()
    assert a.grad.tolist() == [[3.0, 4.0]] and b.grad is None


def test_matmul_with_numpy_operands():
    a = minidl.tensor([[1.0, 2.0]])
    assert (a @ np.ones((2, 1), dtype=np.float32)).tolist() == [[3.0]]
    assert (np.ones((1, 1), dtype=np.float32) @ a).tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize("sa, sb, pattern", [
    ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\)"),
    ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) cannot be multiplied"),
    ((2, 2, 3), (3, 3, 1), r"matmul: the batch dims of shapes \(2, 2, 3\) and \(3, 3, 1\)"),
    ((), (3,), r"matmul: both arguments must be at least 1-D"),
])
def test_matmul_shape_errors_name_the_op_and_both_shapes(sa, sb, pattern):
    with pytest.raises(ValueError, match=pattern):
        minidl.zeros(*sa) @ minidl.zeros(*sb)


def test_matmul_refuses_mixed_dtypes():
    with pytest.raises(TypeError, match="matmul: expected both operands to have the same dtype, "
                                        "got float32 and float64"):
        minidl.ones(2, 2) @ minidl.ones(2, 2, dtype=minidl.float64)


def test_mm_bmm_dot_outer():
    assert minidl.mm(minidl.ones(2, 3), minidl.ones(3, 4)).shape == (2, 4)
    assert minidl.ones(2, 3).mm(minidl.ones(3, 1)).shape == (2, 1)
    assert minidl.bmm(minidl.ones(5, 2, 3), minidl.ones(5, 3, 4)).shape == (5, 2, 4)
    assert minidl.dot(minidl.tensor([1.0, 2.0]), minidl.tensor([3.0, 4.0])).item() == 11.0
    np.testing.assert_array_equal(
        minidl.outer(minidl.tensor([1.0, 2.0]), minidl.tensor([3.0, 4.0, 5.0])).numpy(),
        np.outer([1.0, 2.0], [3.0, 4.0, 5.0]))
    with pytest.raises(ValueError, match="mm: expected two 2-D tensors"):
        minidl.mm(minidl.ones(2, 2, 2), minidl.ones(2, 2))
    with pytest.raises(ValueError, match="bmm: expected 3-D tensors with the same batch size"):
        minidl.bmm(minidl.ones(5, 2, 3), minidl.ones(4, 3, 4))
    with pytest.raises(ValueError, match="dot: expected two 1-D tensors"):
        minidl.dot(minidl.ones(2, 1), minidl.ones(2))
    with pytest.raises(ValueError, match="dot: shapes"):
        minidl.dot(minidl.ones(2), minidl.ones(3))
