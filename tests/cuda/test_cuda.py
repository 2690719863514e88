"""minidl.cuda without a GPU: availability, the scripts' device check, optional CuPy, and
the kernel dispatch (exercised on the strict stand-in device, whose kernels are the
NumPy transcriptions)."""
import subprocess
import sys

import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl import backend
from minidl.cuda import transcription

no_gpu = pytest.mark.skipif(minidl.cuda.is_available(), reason="a CUDA GPU is present")


def test_importing_minidl_never_imports_cupy():
    code = "import sys, minidl, minidl.cuda, minidl.nn; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_availability_and_count_agree():
    assert isinstance(minidl.cuda.is_available(), bool)
    assert (minidl.cuda.device_count() > 0) == minidl.cuda.is_available()


@no_gpu
def test_asking_for_cuda_without_a_gpu_says_why():
    with pytest.raises(minidl.cuda.DeviceUnavailableError,
                       match=r"device 'cuda:0' was requested, but CUDA is not available here: "
                             r"CuPy .*pip install minidl\[cuda12\]"):
        minidl.cuda.check_device("cuda")
    with pytest.raises(RuntimeError, match=r"to_device: device 'cuda:1' is not available"):
        minidl.ones(2).to("cuda:1")
    assert backend.cuda_unavailable_reason()


@no_gpu
def test_require_device_exits_with_a_message_not_a_traceback():
    code = ("import minidl.cuda\n"
            "minidl.cuda.require_device('cuda')\n"
            "print('not reached')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith("error: device 'cuda:0' was requested, but CUDA is not "
                                 "available here")
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1


def test_require_device_passes_existing_devices_and_refuses_nonsense(capsys):
    assert minidl.cuda.require_device("cpu") == "cpu"
    with pytest.raises(SystemExit) as info:
        minidl.cuda.require_device("tpu")
    assert info.value.code == 2
    assert "unknown device type 'tpu'" in capsys.readouterr().err


def test_a_device_index_beyond_the_count_is_refused(strict):
    assert minidl.ones(1).to("strict:1").device == "strict:1"   # the stand-in has two
    with pytest.raises(RuntimeError, match=r"device 'strict:2' does not exist; there are 2"):
        minidl.ones(1).to("strict:2")


def test_two_devices_of_one_kind_are_not_mixed(strict):
    a, b = minidl.ones(2, device="strict:0"), minidl.ones(2, device="strict:1")
    with pytest.raises(RuntimeError, match=r"Add: expected all tensors on the same device, got "
                                           r"tensors on 'strict:0' and 'strict:1'"):
        a + b


@pytest.mark.parametrize("compare", [
    lambda a, b: a == b, lambda a, b: a < b, lambda a, b: minidl.logical_and(a > 0, b > 0),
    lambda a, b: minidl.where(a > 0, a, b),
])
def test_ops_outside_function_apply_also_name_both_devices(strict, compare):
    on_strict, on_cpu = minidl.ones(2, device=strict), minidl.ones(2)
    with pytest.raises(RuntimeError, match=r"expected all tensors on the same device, got "
                                           r"tensors on '(strict:0|cpu)' and '(strict:0|cpu)'"):
        compare(on_strict, on_cpu)


def test_conv_and_max_pool_on_a_device_with_kernels_use_them(strict, monkeypatch):
    calls = []
    for name in ("im2col", "col2im", "max_pool2d_forward", "max_pool2d_backward"):
        original = getattr(transcription, name)
        monkeypatch.setattr(transcription, name,
                            lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    x = minidl.randn(2, 3, 6, 6, dtype=minidl.float64, device=strict, requires_grad=True)
    w = minidl.randn(4, 3, 3, 3, dtype=minidl.float64, device=strict, requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, w, stride=2, padding=1), 2)
    y.sum().backward()
    assert sorted(set(calls)) == ["col2im", "im2col", "max_pool2d_backward",
                                  "max_pool2d_forward"]
    # and the numbers are those of the CPU's array code
    xc, wc = x.detach().cpu().requires_grad_(), w.detach().cpu().requires_grad_()
    yc = F.max_pool2d(F.conv2d(xc, wc, stride=2, padding=1), 2)
    yc.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yc.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), wc.grad.numpy(), rtol=1e-12)


def test_the_cuda_kernels_refuse_a_dtype_they_have_no_instantiation_for():
    from minidl.cuda import kernels

    with pytest.raises(TypeError, match=r"minidl.cuda.im2col: no kernel for dtype float16"):
        kernels._function("im2col", np.float16)
