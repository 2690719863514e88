"""Devices and array modules: Device parsing, moving arrays, and the errors when
tensors on different devices meet. The strict stand-in device of
tests/strict_device.py plays the part of a GPU, so this runs everywhere, and mixing
it with CPU tensors must fail the way CPU+CUDA does."""
import numpy as np
import pytest

import minidl
from minidl import backend
from minidl.backend import Device, array_module, device_of, to_device, to_numpy
from tests.strict_device import StrictArray


def test_device_parsing_and_equality():
    assert Device("cuda:1").type == "cuda" and Device("cuda:1").index == 1
    assert Device("cuda").index == 0 and Device("cpu").index is None
    assert Device("cpu") == "cpu" and Device(Device("cuda:2")) == Device("cuda", 2)
    assert str(Device("cuda:3")) == "cuda:3" and repr(Device("cpu")) == "device(type='cpu')"
    assert len({Device("cpu"), Device("cpu"), Device("cuda")}) == 2
    with pytest.raises(ValueError, match="Device: unknown device type 'tpu'"):
        Device("tpu")
    with pytest.raises(ValueError, match="invalid device index"):
        Device("cuda:x")
    with pytest.raises(TypeError, match="Device: expected a string"):
        Device(3)


def test_array_module_and_host_conversions():
    a = np.ones(2)
    assert array_module(a) is np and array_module(a, 2.0, None) is np
    assert to_numpy(a) is a and to_device(a, "cpu") is a
    assert device_of(a) == "cpu"


def test_cuda_request_without_cupy_is_a_clear_error():
    if backend.is_cuda_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(RuntimeError, match="device 'cuda:0' is not available: CuPy is not "
                                           "installed or no CUDA device was found"):
        minidl.ones(2).to("cuda")


def test_unregistering_the_cpu_is_refused():
    with pytest.raises(ValueError, match="cpu backend cannot be removed"):
        backend.unregister_backend("cpu")


def test_tensors_move_to_a_registered_device_and_back(strict):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(strict)
    assert y.device == Device("strict") and isinstance(y._array, StrictArray)
    z = (y * 3.0).sum()
    assert z.device.type == "strict"
    z.backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [3.0, 3.0]  # the gradient moved back
    assert y.cpu().device == "cpu" and type(y.cpu()._array) is np.ndarray
    assert minidl.zeros(2, device=strict).device.type == "strict"


@pytest.mark.parametrize("op", [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: minidl.maximum(a, b),
    lambda a, b: a @ b,
    lambda a, b: minidl.cat([a, b]),
])
def test_mixing_devices_is_an_error_naming_both(strict, op):
    on_strict = minidl.ones(2).to(strict)
    on_cpu = minidl.ones(2)
    for a, b in ((on_strict, on_cpu), (on_cpu, on_strict)):
        with pytest.raises(RuntimeError, match=r"expected all tensors on the same device, got "
                                               r"tensors on '(strict:0|cpu)' and "
                                               r"'(strict:0|cpu)'"):
            op(a, b)


def test_array_module_refuses_mixed_devices(strict):
    on_strict = StrictArray(np.ones(2))
    with pytest.raises(RuntimeError, match="expected all arrays on one device"):
        array_module(on_strict, np.ones(2))


def test_manual_seed_returns_the_generator():
    g = minidl.manual_seed(5)
    assert g is backend.get_default_generator()
    first = g.random()
    minidl.manual_seed(5)
    assert backend.get_default_generator().random() == first
