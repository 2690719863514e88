"""minidl's errors: one hierarchy, caught by PyTorch-style and NumPy-style ``except`` alike."""
import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl import errors


@pytest.mark.parametrize("cls, builtins", [
    (errors.ShapeError, (RuntimeError, ValueError)),
    (errors.ArgumentError, (RuntimeError, ValueError)),
    (errors.DTypeError, (RuntimeError, TypeError)),
    (errors.ArgumentTypeError, (RuntimeError, TypeError)),
    (errors.DeviceError, (RuntimeError,)),
    (errors.AutogradError, (RuntimeError,)),
    (errors.InplaceError, (RuntimeError, errors.AutogradError)),
])
def test_each_error_is_a_minidl_error_and_the_builtin_types_it_replaces(cls, builtins):
    assert issubclass(cls, errors.MinidlError)
    for b in builtins:
        assert issubclass(cls, b)


def _cases():
    x = minidl.ones(2, 3)
    return [
        ("matmul", lambda: x @ x, errors.ShapeError, "shapes (2, 3) and (2, 3)"),
        ("reshape", lambda: x.reshape(4, 2), errors.ShapeError, "into shape (4, 2)"),
        ("cat", lambda: minidl.cat([x, minidl.ones(2, 4)], dim=0), errors.ShapeError, "cat"),
        ("gather", lambda: x.gather(1, minidl.zeros(2, 1)), errors.DTypeError, "integer tensor"),
        ("clamp", lambda: x.clamp(), errors.ArgumentError, "min and max"),
        ("conv2d", lambda: F.conv2d(minidl.ones(1, 3, 5, 5), minidl.ones(4, 2, 3, 3)),
         errors.ShapeError, "conv2d"),
        ("max_pool2d", lambda: F.max_pool2d(minidl.ones(1, 1, 4, 4), 2, stride=-1),
         errors.ArgumentError, "max_pool2d"),
    ]


@pytest.mark.parametrize("name, call, cls, words", _cases(), ids=[c[0] for c in _cases()])
def test_op_errors_are_caught_as_runtime_error_and_as_their_old_type(name, call, cls, words):
    with pytest.raises(cls, match=None) as info:
        call()
    message = str(info.value)
    assert name in message and words in message
    assert isinstance(info.value, RuntimeError)  # what PyTorch code catches
    old = ValueError if issubclass(cls, ValueError) else TypeError
    assert isinstance(info.value, old)  # what code written before the hierarchy catches


def test_device_mismatch_is_a_device_error(strict):
    a, b = minidl.ones(3), minidl.ones(3).to(strict)
    with pytest.raises(errors.DeviceError, match="same device"):
        a + b


def test_backward_twice_is_an_autograd_error():
    x = minidl.ones(3, requires_grad=True)
    y = (x.exp()).sum()
    y.backward()
    with pytest.raises(errors.AutogradError, match="second time"):
        y.backward()
