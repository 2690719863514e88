"""The gradient checker itself: it passes right backwards, catches wrong ones, and
says where they differ, showing both gradients."""
import numpy as np
import pytest

import minidl
from minidl.autograd import Function, GradcheckError, gradcheck


def t64(a, requires_grad=True):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


class CubeWrongBackward(Function):
    """y = x^3 with a deliberately wrong derivative (2x^2 instead of 3x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * x


class CubeRightBackward(CubeWrongBackward):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_right_backward_passes():
    assert gradcheck(CubeRightBackward.apply, [t64([[0.5, -1.0], [2.0, 0.3]])])


def test_wrong_backward_is_caught_and_the_message_shows_both_gradients():
    x = t64([1.0, -2.0, 0.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(CubeWrongBackward.apply, [x])
    message = str(info.value)
    assert "input 0 (shape (3,))" in message
    assert "wrong at 2 of 3 elements" in message  # x = 0 has gradient 0 either way
    assert "analytic gradient:" in message and "numerical gradient:" in message
    assert "worst at index (1,)" in message
    # the projected gradients differ by the factor 2/3 at the worst element
    analytic = float(message.split("analytic ")[1].split(" vs")[0])
    numerical = float(message.split("numerical ")[1].split("\n")[0])
    assert analytic == pytest.approx(numerical * 2 / 3, rel=1e-4)


def test_raise_exception_false_returns_false():
    assert gradcheck(CubeWrongBackward.apply, [t64([1.0])], raise_exception=False) is False


def test_only_inputs_that_require_grad_are_checked():
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0], requires_grad=False)
    assert gradcheck(lambda p, q: CubeRightBackward.apply(p) * q, [a, b])
    with pytest.raises(GradcheckError, match="gradient of input 1"):
        gradcheck(lambda p, q: p * CubeWrongBackward.apply(q), [b, a])


def test_tuple_outputs_and_integer_outputs_are_handled():
    x = t64([[1.0, 5.0, 2.0], [0.5, 0.1, 3.0]])
    assert gradcheck(lambda t: t.max(dim=1), [x])      # (values, int64 indices)
    assert gradcheck(lambda t: t.split(1, dim=1), [x])  # three differentiable outputs


def test_non_contiguous_inputs_are_perturbed_correctly():
    x = minidl.from_numpy(np.arange(6.0).reshape(2, 3).T).requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t).sum(dim=0), [x])


def test_gradcheck_refuses_float32_and_inputs_without_grad():
    with pytest.raises(TypeError, match="gradcheck: input 0 is float32; use float64"):
        gradcheck(lambda t: t * 2, [minidl.ones(2, requires_grad=True)])
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda t: t * 2, [t64([1.0], requires_grad=False)])
    with pytest.raises(ValueError, match="no output of fn requires grad"):
        gradcheck(lambda t: t.argmax(), [t64([1.0, 2.0])])


def test_a_single_tensor_may_be_passed_directly():
    assert gradcheck(lambda t: t.exp(), t64([0.1, 0.2]))
