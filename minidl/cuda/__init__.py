"""minidl on NVIDIA GPUs: is a GPU here, how many, and the hand-written CUDA kernels.

On a GPU, a tensor's data is a CuPy array and every op runs the same array code as on
the CPU (``xp = array_module(x)`` gives ``cupy`` instead of ``numpy``). Four pieces have
a CUDA kernel of their own, in :mod:`minidl.cuda.kernels`: im2col, col2im and max
pooling forward and backward; :mod:`minidl.cuda.transcription` holds the same index
arithmetic in array code, which is what the tests check on machines without a GPU.

CuPy is optional (``pip install minidl[cuda12]``): importing this package never imports
it, and the kernels are compiled the first time a conv or max pool runs on a GPU.

Example:
    >>> import minidl
    >>> isinstance(minidl.cuda.is_available(), bool)
    True
    >>> minidl.cuda.device_count() >= 0
    True
"""
from __future__ import annotations

import sys

from .. import backend
from . import kernels, transcription

__all__ = ["is_available", "device_count", "require_device", "DeviceUnavailableError",
           "kernels", "transcription"]


class DeviceUnavailableError(RuntimeError):
    """The requested device does not exist on this machine."""


def is_available() -> bool:
    """True when CuPy is installed and at least one CUDA device answers.

    Example:
        >>> import minidl
        >>> minidl.cuda.is_available() == minidl.backend.is_cuda_available()
        True
    """
    return backend.is_cuda_available()


def device_count() -> int:
    """The number of CUDA devices minidl can use (0 without CuPy or without a GPU).

    Example:
        >>> import minidl
        >>> (minidl.cuda.device_count() > 0) == minidl.cuda.is_available()
        True
    """
    if not is_available():
        return 0
    import cupy  # installed: is_available() said so

    return cupy.cuda.runtime.getDeviceCount()


def check_device(name) -> backend.Device:
    """``name`` as a :class:`~minidl.device` that exists here, or a clear error.

    Args:
        name: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, a device, ... (as ``--device`` gives it).

    Raises:
        DeviceUnavailableError: a CUDA device was asked for and there is none (or not that
            many); the message says why (CuPy missing, no driver, no GPU) and what to do.
        ValueError: ``name`` is not a device at all.

    Example:
        >>> check_device("cpu")
        device(type='cpu')
    """
    device = backend.Device(name)
    if device.type != "cuda":
        return device
    if not is_available():
        raise DeviceUnavailableError(
            f"device '{device}' was requested, but CUDA is not available here: "
            f"{backend.cuda_unavailable_reason()}. Use --device cpu, or on a machine with "
            "an NVIDIA GPU install the GPU extra: pip install minidl[cuda12]")
    count = device_count()
    if device.index >= count:
        raise DeviceUnavailableError(
            f"device '{device}' was requested, but this machine has {count} CUDA "
            f"device(s): cuda:0 .. cuda:{count - 1}")
    return device


def require_device(name) -> backend.Device:
    """For scripts: the device ``name`` if it exists here, else print why and exit.

    An example run with ``--device cuda`` on a machine without a GPU stops at once with a
    one-line explanation on stderr (exit status 2, as for a bad command-line argument)
    instead of a traceback from deep inside the first ``.to(device)``.

    Args:
        name: the ``--device`` argument: ``"cpu"``, ``"cuda"``, ``"cuda:N"``.

    Returns:
        The :class:`~minidl.device`.

    Example:
        >>> require_device("cpu")
        device(type='cpu')
    """
    try:
        return check_device(name)
    except (DeviceUnavailableError, ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
