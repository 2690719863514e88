"""Compile the CUDA kernels with NVRTC, without a GPU: a check that the sources are valid.

NVRTC, NVIDIA's runtime compiler, turns CUDA C++ into PTX on any machine; it needs no GPU
and no driver. CuPy uses it to build :mod:`minidl.cuda.kernels` on first use; this module
calls it directly (through ``ctypes``) so that a machine without a GPU can still find out
whether the kernel sources compile, instantiating every template the kernels use.

The library comes from the ``nvidia-cuda-nvrtc-cu12`` wheel (installed with CuPy's
``cupy-cuda12x``) or from a system CUDA toolkit::

    pip install nvidia-cuda-nvrtc-cu12
    python -m minidl.cuda.nvrtc          # prints one line per kernel, or the compiler log

Example (skipped when NVRTC is not installed)::

    >>> from minidl.cuda import nvrtc
    >>> if nvrtc.find_library() is not None:
    ...     ptx = nvrtc.compile_kernels()
    ...     assert ptx.startswith("//") and ".entry" in ptx
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os

from . import kernels as _kernels

__all__ = ["find_library", "compile_source", "compile_kernels", "NvrtcError"]


class NvrtcError(RuntimeError):
    """NVRTC refused a source; the message holds the compiler's log."""


def find_library() -> str | None:
    """The path of libnvrtc, or None when neither the wheel nor a toolkit provides it."""
    try:
        import nvidia.cuda_nvrtc as wheel  # the nvidia-cuda-nvrtc-cu12 wheel

        for folder in wheel.__path__:
            found = sorted(glob.glob(os.path.join(folder, "lib", "libnvrtc.so*")))
            found = [f for f in found if "builtins" not in f and ".alt." not in f]
            if found:
                return found[0]
    except ImportError:
        pass
    return ctypes.util.find_library("nvrtc")


def _load(path: str | None = None):
    path = path or find_library()
    if path is None:
        raise OSError("NVRTC not found: pip install nvidia-cuda-nvrtc-cu12 (or install a CUDA "
                      "toolkit)")
    lib = ctypes.CDLL(path)
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    return lib


def _check(lib, status: int, what: str, log: str = "") -> None:
    if status != 0:
        message = lib.nvrtcGetErrorString(status).decode()
        raise NvrtcError(f"NVRTC {what} failed: {message}" + (f"\n{log}" if log else ""))


def compile_source(source: str, name_expressions=(), options=(), arch: str = "compute_75",
                   filename: str = "kernels.cu") -> str:
    """Compile CUDA C++ ``source`` to PTX with NVRTC and return the PTX text.

    Args:
        source: the CUDA C++ source.
        name_expressions: template instantiations to compile, e.g. ``"im2col<float>"``
            (a template that is never instantiated is only parsed, not checked).
        options: extra compiler options, e.g. ``("--std=c++14",)``.
        arch: the virtual architecture to compile for.
        filename: the name used in the compiler's messages.

    Raises:
        NvrtcError: with the compiler log, when the source does not compile.
        OSError: when libnvrtc cannot be found.
    """
    lib = _load()
    program = ctypes.c_void_p()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(),
                                       filename.encode(), 0, None, None), "createProgram")
    try:
        for expression in name_expressions:
            _check(lib, lib.nvrtcAddNameExpression(program, expression.encode()),
                   f"addNameExpression({expression})")
        args = [f"--gpu-architecture={arch}".encode()] + [o.encode() for o in options]
        argv = (ctypes.c_char_p * len(args))(*args)
        status = lib.nvrtcCompileProgram(program, len(args), argv)
        log_size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(program, ctypes.byref(log_size))
        log = ctypes.create_string_buffer(log_size.value)
        lib.nvrtcGetProgramLog(program, log)
        _check(lib, status, "compilation", log.value.decode(errors="replace"))
        for expression in name_expressions:  # every instantiation must have been made
            lowered = ctypes.c_char_p()
            _check(lib, lib.nvrtcGetLoweredName(program, expression.encode(),
                                                ctypes.byref(lowered)),
                   f"getLoweredName({expression})")
        ptx_size = ctypes.c_size_t()
        _check(lib, lib.nvrtcGetPTXSize(program, ctypes.byref(ptx_size)), "getPTXSize")
        ptx = ctypes.create_string_buffer(ptx_size.value)
        _check(lib, lib.nvrtcGetPTX(program, ptx), "getPTX")
        return ptx.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


def compile_kernels(arch: str = "compute_75") -> str:
    """Compile :data:`minidl.cuda.kernels.SOURCE` with every instantiation the kernels use."""
    return compile_source(_kernels.SOURCE, _kernels.NAME_EXPRESSIONS, _kernels.OPTIONS, arch,
                          "minidl_kernels.cu")


def main() -> None:
    """``python -m minidl.cuda.nvrtc``: compile the kernels and say what came out."""
    path = find_library()
    print(f"NVRTC: {path}")
    ptx = compile_kernels()
    entries = [line.split()[-1].rstrip("(") for line in ptx.splitlines()
               if ".entry" in line]
    print(f"compiled {len(_kernels.NAME_EXPRESSIONS)} kernel instantiations to "
          f"{len(ptx)} characters of PTX:")
    for expression in _kernels.NAME_EXPRESSIONS:
        print(f"  {expression}")
    assert len(entries) == len(_kernels.NAME_EXPRESSIONS), entries


if __name__ == "__main__":
    main()
