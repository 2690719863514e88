"""The CUDA C sources of the kernels compile under NVRTC (no GPU needed).

NVRTC comes with the ``nvidia-cuda-nvrtc-cu12`` wheel (``pip install minidl[gpu-check]``,
which .ci/run installs); without it these tests skip and say so.
"""
import pytest

from minidl.cuda import kernels, nvrtc

needs_nvrtc = pytest.mark.skipif(
    nvrtc.find_library() is None,
    reason="NVRTC is not installed (pip install nvidia-cuda-nvrtc-cu12 to compile-check the "
           "CUDA kernels without a GPU)")


@needs_nvrtc
@pytest.mark.parametrize("arch", ["compute_75", "compute_90"])
def test_every_kernel_instantiation_compiles(arch):
    ptx = nvrtc.compile_kernels(arch)
    entries = [line for line in ptx.splitlines() if ".entry" in line]
    assert len(entries) == len(kernels.NAME_EXPRESSIONS) == 16
    assert f".target sm_{arch.split('_')[1]}" in ptx


@needs_nvrtc
def test_a_broken_source_is_reported_with_the_compiler_log():
    broken = kernels.SOURCE.replace("cols[i] = inside ?", "cols[i] = undefined_name + inside ?")
    with pytest.raises(nvrtc.NvrtcError, match=r"identifier \"undefined_name\" is undefined"):
        nvrtc.compile_source(broken, kernels.NAME_EXPRESSIONS, kernels.OPTIONS)


@needs_nvrtc
def test_a_missing_instantiation_is_an_error():
    with pytest.raises(nvrtc.NvrtcError, match="im2col<half_float>"):
        nvrtc.compile_source(kernels.SOURCE, ("im2col<half_float>",), kernels.OPTIONS)


def test_the_kernels_cover_the_dtypes_the_layers_use():
    assert set(kernels.CTYPES.values()) == {"float", "double", "int", "long long"}
    for name in kernels.KERNEL_NAMES:
        assert f"__global__ void {name}(" in kernels.SOURCE
