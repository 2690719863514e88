"""The one place that knows which array library holds a tensor's data.

A tensor's data is a NumPy array on the CPU and a CuPy array on a CUDA device.
Every op asks ``xp = array_module(x)`` and then writes ``xp.exp(x)``,
``xp.matmul(a, b)``, ... so the same code runs on both.

Backends are kept in a small registry so that a test suite can register an
extra "device" (a strict stand-in array module that behaves like a GPU without
one) and run the same tests on it.

Example:
    >>> import numpy as np
    >>> from minidl.backend import array_module, device_of
    >>> array_module(np.zeros(3)) is np
    True
    >>> str(device_of(np.zeros(3)))
    'cpu'
"""
from __future__ import annotations

import importlib

import numpy as np

__all__ = [
    "Device", "Backend", "register_backend", "array_module", "device_of",
    "to_device", "to_numpy", "backend_for", "kernels_for", "is_cuda_available",
    "cuda_unavailable_reason", "get_default_generator", "manual_seed",
]


class Device:
    """Where a tensor's data lives: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:1")``.

    Args:
        spec: a string ``"type"`` or ``"type:index"``, another Device, or None (the CPU).
        index: the device number, when not given in ``spec``.

    Example:
        >>> Device("cuda:1").type, Device("cuda:1").index
        ('cuda', 1)
        >>> Device("cpu") == "cpu"
        True
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: "str | Device | None" = None, index: int | None = None):
        if spec is None:
            spec = "cpu"
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"Device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, num = spec.partition(":")
        if num:
            if not num.isdigit():
                raise ValueError(f"Device: invalid device index in {spec!r}")
            index = int(num)
        if kind not in _BACKENDS and kind != "cuda":
            known = sorted(set(_BACKENDS) | {"cuda"})
            raise ValueError(f"Device: unknown device type {kind!r}; expected one of {known}")
        if kind == "cpu":
            index = None
        elif index is None:
            index = 0
        self.type, self.index = kind, index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


class Backend:
    """An array library bound to a device type.

    Args:
        name: the device type it serves (``"cpu"``, ``"cuda"``, ...).
        xp: the array module (``numpy``, ``cupy``, ...), used as ``xp.exp(x)`` by ops.
        array_type: the class of its arrays, used to recognise which backend holds an array.
        to_host: function(array) -> numpy.ndarray.
        from_host: function(numpy.ndarray, index) -> array on device ``index``.
        device_index: function(array) -> the device number an array lives on (None for cpu).
        kernels: optional object with hand-written kernels for this device (``im2col``,
            ``col2im``, ``max_pool2d_forward``, ``max_pool2d_backward``; see
            :mod:`minidl.cuda`). The layers that have a kernel use it instead of their
            array code when the data lives here; None (NumPy) means array code everywhere.
        device_count: function() -> how many devices of this type exist (None: no limit).
    """

    def __init__(self, name, xp, array_type, to_host, from_host, device_index=None,
                 kernels=None, device_count=None):
        self.name = name
        self.xp = xp
        self.array_type = array_type
        self.to_host = to_host
        self.from_host = from_host
        self.device_index = device_index or (lambda a: None)
        self.kernels = kernels
        self.device_count = device_count


_BACKENDS: dict[str, Backend] = {
    "cpu": Backend("cpu", np, np.ndarray, lambda a: a, lambda a, index: a),
}
_cuda_checked = False
_cuda_reason = None


def register_backend(backend: Backend) -> None:
    """Make a new device type known (used for CuPy and for the tests' stand-in device)."""
    _BACKENDS[backend.name] = backend


def unregister_backend(name: str) -> None:
    """Forget a registered device type (the CPU cannot be removed)."""
    if name == "cpu":
        raise ValueError("unregister_backend: the cpu backend cannot be removed")
    _BACKENDS.pop(name, None)


def _load_cupy():
    """Import CuPy once and register it as the ``cuda`` backend, if a CUDA device answers.

    CuPy imports fine on a machine without a GPU (or without a driver); registering it
    there would turn ``x.to("cuda")`` into a CUDA runtime traceback, so the device count
    is asked first and the reason for refusing is kept for the error message.
    """
    global _cuda_checked, _cuda_reason
    if _cuda_checked:
        return _BACKENDS.get("cuda")
    _cuda_checked = True
    try:
        cp = importlib.import_module("cupy")
    except Exception as e:  # not installed, or its CUDA libraries are missing
        _cuda_reason = f"CuPy is not installed ({type(e).__name__}: {e})"
        return None
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # e.g. cudaErrorInsufficientDriver, cudaErrorNoDevice
        _cuda_reason = f"CuPy {cp.__version__} is installed but CUDA reports: {e}"
        return None
    if count == 0:
        _cuda_reason = f"CuPy {cp.__version__} is installed but no CUDA device was found"
        return None

    def from_host(a, index):
        with cp.cuda.Device(index or 0):
            return cp.asarray(a)

    from . import cuda  # the hand-written kernels; compiled on first use

    register_backend(Backend("cuda", cp, cp.ndarray, cp.asnumpy, from_host,
                             lambda a: a.device.id, kernels=cuda.kernels,
                             device_count=lambda: count))
    return _BACKENDS["cuda"]


def is_cuda_available() -> bool:
    """True when CuPy is installed and at least one CUDA device answers."""
    return _load_cupy() is not None


def cuda_unavailable_reason() -> str | None:
    """Why ``"cuda"`` cannot be used here (None when it can), for error messages."""
    return None if _load_cupy() is not None else _cuda_reason


def backend_for(x) -> Backend:
    """The backend whose array type ``x`` is (NumPy for anything else: scalars, lists)."""
    for backend in _BACKENDS.values():
        if backend.name != "cpu" and isinstance(x, backend.array_type):
            return backend
    return _BACKENDS["cpu"]


def kernels_for(x):
    """The hand-written kernels of the device holding ``x`` (None on the CPU).

    This is the one switch between a layer's array code and its kernel::

        kernels = kernels_for(x)
        if kernels is not None:
            return kernels.im2col(x, ...)
    """
    return backend_for(x).kernels


def array_module(*arrays):
    """The array module (``numpy`` or ``cupy``) for the given arrays.

    All arrays must live on the same kind of device; non-arrays (Python numbers) are ignored.

    Example:
        >>> import numpy as np
        >>> array_module(np.ones(2), 3.0).__name__
        'numpy'
    """
    found = None
    for a in arrays:
        if isinstance(a, (int, float, bool, complex)) or a is None:
            continue
        backend = backend_for(a)
        if found is not None and backend is not found:
            raise RuntimeError(
                f"expected all arrays on one device, got arrays on '{found.name}' and '{backend.name}'")
        found = backend
    return (found or _BACKENDS["cpu"]).xp


def device_of(x) -> Device:
    """The Device an array lives on."""
    backend = backend_for(x)
    return Device(backend.name, backend.device_index(x))


def to_numpy(x) -> np.ndarray:
    """Copy an array to host memory as a NumPy array (no copy when already there)."""
    return backend_for(x).to_host(x)


def to_device(x, device) -> object:
    """Move an array to ``device`` (a Device or a string); a no-op when already there."""
    device = Device(device)
    if device.type == "cuda" and "cuda" not in _BACKENDS:
        _load_cupy()
    if device.type not in _BACKENDS:
        raise RuntimeError(
            f"to_device: device '{device}' is not available: CuPy is not installed or no CUDA "
            f"device was found (here: {_cuda_reason}). On a machine with an NVIDIA GPU, "
            "pip install minidl[cuda12]")
    backend = _BACKENDS[device.type]
    if backend.device_count is not None and device.index >= backend.device_count():
        raise RuntimeError(
            f"to_device: device '{device}' does not exist; there are "
            f"{backend.device_count()} {device.type} device(s), numbered from 0")
    if device_of(x) == device:
        return x
    return backend.from_host(to_numpy(x), device.index)


# ---------------------------------------------------------------------------
# Random numbers: one seeded generator for the whole library. Random tensors are
# drawn on the host and moved, so a seed gives the same numbers on every device.
_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed minidl's random number generator (parameter init, dropout, shuffling).

    Example:
        >>> g = manual_seed(0); a = get_default_generator().random()
        >>> g = manual_seed(0); a == get_default_generator().random()
        True
    """
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_default_generator() -> np.random.Generator:
    """The generator that minidl's random functions draw from."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state as a plain dict (JSON-friendly; used by checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
