"""Functions that make new tensors: ``zeros``, ``ones``, ``randn``, ``arange``, ...

They follow PyTorch's signatures: sizes as separate ints or one tuple, and the
keyword arguments ``dtype``, ``device`` and ``requires_grad``. Floating-point
tensors are float32 unless a dtype is given. Random tensors are drawn from
minidl's seeded generator (:func:`minidl.manual_seed`) on the host and then
moved, so one seed gives the same numbers on every device.

Example:
    >>> import minidl
    >>> minidl.zeros(2, 3).shape
    (2, 3)
    >>> minidl.arange(4).tolist()
    [0, 1, 2, 3]
"""
from __future__ import annotations

import numpy as np

from . import backend
from .tensor import Tensor, _to_array
from .errors import ArgumentError, ArgumentTypeError, ShapeError

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "linspace", "eye", "rand", "randn",
    "randint", "rand_like", "randn_like", "randint_like", "randperm",
]

_FLOAT = np.dtype(np.float32)


def _sizes(size, op: str) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3); ``op`` names f in errors."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ShapeError(f"{op}: expected non-negative integer sizes, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _count(value, op: str, name: str) -> int:
    """A non-negative int argument (a number of steps, rows, ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ShapeError(f"{op}: {name} must be a non-negative int, got {value!r}")
    return int(value)


def _make(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    if device is not None:
        array = backend.to_device(array, device)
    t = Tensor._wrap(array)
    t.requires_grad = requires_grad
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (list, number, array or Tensor).

    Python floats give float32 and Python ints int64; arrays keep their dtype.
    """
    arr = _to_array(data, dtype)
    if isinstance(data, Tensor) or not isinstance(data, (list, tuple, int, float, bool)):
        arr = arr.copy()
    return _make(arr, None, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with an array of the right dtype and device."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor._wrap(backend.to_device(_to_array(data, dtype), device) if device is not None
                        else _to_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise ArgumentTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the given shape."""
    return _make(np.zeros(_sizes(size, "zeros"), dtype or _FLOAT), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the given shape."""
    return _make(np.ones(_sizes(size, "ones"), dtype or _FLOAT), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (float32 for floats, int64 for ints)."""
    if dtype is None:
        dtype = np.int64 if isinstance(fill_value, (int, np.integer)) and \
            not isinstance(fill_value, bool) else (np.bool_ if isinstance(fill_value, bool) else _FLOAT)
    return _make(np.full(_sizes((size,) if isinstance(size, int) else (tuple(size),), "full"),
                         fill_value, dtype), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (its values are whatever memory held)."""
    return _make(np.empty(_sizes(size, "empty"), dtype or _FLOAT), None, device, requires_grad)


def _like(x: Tensor, dtype, device):
    return (dtype or x.dtype), (device if device is not None else x.device)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``x``."""
    dtype, device = _like(x, dtype, device)
    return zeros(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``x``."""
    dtype, device = _like(x, dtype, device)
    return ones(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and by default dtype and device) of ``x``."""
    dtype, device = _like(x, dtype, device)
    return full(x.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor shaped like ``x``."""
    dtype, device = _like(x, dtype, device)
    return empty(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ArgumentError("arange: step must be non-zero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    arr = np.arange(start, end, step, dtype=dtype or (np.int64 if ints else _FLOAT))
    return _make(arr, None, device, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = _count(steps, "linspace", "steps")
    return _make(np.linspace(start, end, steps, dtype=dtype or _FLOAT), None, device,
                 requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix."""
    n = _count(n, "eye", "n")
    m = None if m is None else _count(m, "eye", "m")
    return _make(np.eye(n, m, dtype=dtype or _FLOAT), None, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of U[0, 1) from minidl's generator."""
    arr = backend.get_default_generator().random(_sizes(size, "rand"))
    return _make(arr.astype(dtype or _FLOAT), None, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) from minidl's generator."""
    arr = backend.get_default_generator().standard_normal(_sizes(size, "randn"))
    return _make(arr.astype(dtype or _FLOAT), None, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    """Random integers in [low, high) (``randint(high, size)`` means low = 0)."""
    if high is None or isinstance(high, (tuple, list)):
        if isinstance(high, (tuple, list)):
            size = high
        low, high = 0, low
    if not high > low:
        raise ArgumentError(f"randint: expected low < high, got low={low}, high={high}")
    arr = backend.get_default_generator().integers(low, high, _sizes((tuple(size),), "randint"))
    return _make(arr.astype(dtype or np.int64), None, device, False)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    """A random permutation of 0 .. n-1."""
    n = _count(n, "randperm", "n")
    return _make(backend.get_default_generator().permutation(n).astype(dtype or np.int64),
                 None, device, False)


def rand_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """U[0, 1) samples shaped like ``x``."""
    dtype, device = _like(x, dtype, device)
    return rand(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """N(0, 1) samples shaped like ``x``."""
    dtype, device = _like(x, dtype, device)
    return randn(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(x: Tensor, low, high=None, dtype=None, device=None) -> Tensor:
    """Random integers in [low, high) shaped like ``x``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device or x.device)
