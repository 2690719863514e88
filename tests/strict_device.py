"""A strict stand-in for a GPU: the second device every device-parameterised test runs on.

CuPy refuses to mix its arrays with NumPy's: ``cupy_array + numpy_array``,
``numpy.exp(cupy_array)`` and ``numpy.asarray(cupy_array)`` all raise. A minidl op that
computes with ``np.`` instead of ``xp = array_module(x)`` therefore works on the CPU and
breaks on a GPU. Machines without a GPU cannot see such bugs, unless a second device
behaves the same way. This module is that device:

* :class:`StrictArray` holds a NumPy array, the "device memory", and offers the array
  API the ops use (shape, dtype, strides, flags, reshape, astype, sum, indexing, all
  operators, ...). Everything it returns is again on the device, as CuPy's methods do;
  reductions give 0-d arrays, not NumPy scalars.
* :data:`xp` is its array module: ``xp.exp``, ``xp.matmul``, ``xp.lib.stride_tricks``,
  ``xp.add.at``, ... are NumPy's functions run on the unwrapped arrays, with the
  results wrapped again.
* It raises :class:`StrictDeviceError` wherever CuPy would raise: an operand that is a
  host NumPy array (``strict + numpy_array``, ``xp.add(strict, numpy_array)``,
  ``strict[...] = numpy_array``), a NumPy function or ufunc called on device arrays
  (``np.exp(strict)``, ``np.concatenate([strict])``), an implicit copy to the host
  (``np.asarray(strict)``), arrays of two different devices (``strict:0`` and
  ``strict:1``), and NumPy functions, types and methods that CuPy does not have.
  Explicit transfers stay allowed, as in CuPy: ``xp.asarray(numpy_array)`` moves data to
  the device; ``minidl.backend.to_numpy(strict)`` moves it back.

:func:`register` makes it a minidl device named ``"strict"``, whose kernels are the NumPy
transcriptions in :mod:`minidl.cuda.transcription`: a conv or max pool on this device goes
through the same dispatch as on a GPU.
"""
from __future__ import annotations

import operator
import types

import numpy as np

from minidl import backend
from minidl.cuda import transcription

__all__ = ["StrictArray", "StrictDeviceError", "xp", "register", "unregister", "DEVICE"]

DEVICE = "strict"


class StrictDeviceError(TypeError):
    """What CuPy raises as a TypeError: an operation that mixes host and device arrays."""


# NumPy names that CuPy 14 does not have (the differences of ``dir(numpy)`` and
# ``dir(cupy)`` that an op could plausibly reach for). Code that uses them would fail
# with an AttributeError on a GPU.
NUMPY_ONLY = frozenset("""
    asmatrix block bmat busday_count busday_offset datetime_as_string datetime_data
    einsum_path frompyfunc fromregex geomspace getbufsize geterr geterrcall
    histogram_bin_edges insert is_busday isnat matvec nanpercentile nanquantile
    nested_iters polyder polydiv polyint setbufsize seterr seterrcall spacing unstack
    vecdot vecmat errstate nditer ndenumerate matrix memmap recarray record
    char ma rec strings emath ctypeslib dtypes
""".split())
NUMPY_ONLY_METHODS = frozenset({"ctypes", "getfield", "resize", "setfield", "setflags",
                                "tofile", "to_device"})
# Functions that take host data on purpose: they are how data gets onto the device.
HOST_TO_DEVICE = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})
# Functions and methods whose array arguments are shapes, axes or counts (metadata that
# CuPy reads on the host), so a host integer array there is fine: x.transpose(order).
HOST_METADATA = frozenset({"transpose", "reshape", "moveaxis", "broadcast_to", "expand_dims",
                           "squeeze", "swapaxes", "repeat", "tile"})


def _where(array) -> str:
    return f"'{DEVICE}:{array.device_id}'"


# ------------------------------------------------------------- wrapping and unwrapping
def _wrap(value, device_id: int):
    """NumPy results back onto the device: arrays and NumPy scalars become StrictArrays."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUSV":
            raise StrictDeviceError(
                f"strict device: arrays of dtype {value.dtype} do not exist on a GPU")
        return StrictArray(value, device_id)
    if isinstance(value, np.generic):  # CuPy reductions return 0-d arrays, not scalars
        return StrictArray(np.asarray(value), device_id)
    if isinstance(value, tuple):
        return tuple(_wrap(v, device_id) for v in value)
    if isinstance(value, list):
        return [_wrap(v, device_id) for v in value]
    return value


class _Unwrapper:
    """Unwraps the StrictArrays in a call's arguments, checking that nothing is mixed."""

    def __init__(self, what: str, allow_host: bool = False, allow_host_ints: bool = False):
        self.what = what
        self.allow_host = allow_host
        self.allow_host_ints = allow_host_ints
        self.device_id = None

    def __call__(self, value):
        if isinstance(value, StrictArray):
            if self.device_id is None:
                self.device_id = value.device_id
            elif value.device_id != self.device_id:
                raise StrictDeviceError(
                    f"{self.what}: arrays on '{DEVICE}:{self.device_id}' and "
                    f"{_where(value)} meet in one operation")
            return value._array
        if isinstance(value, np.ndarray) and not (
                self.allow_host or (self.allow_host_ints and value.dtype.kind in "iu")):
            raise StrictDeviceError(
                f"{self.what}: got a host NumPy array (shape {value.shape}) among device "
                "arrays; CuPy refuses this. Move it with xp.asarray / to_device, or compute "
                "it with xp = array_module(x) in the first place")
        if isinstance(value, (list, tuple)):
            return type(value)(self(v) for v in value)
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value


def _scalar_operand(value) -> bool:
    return isinstance(value, (bool, int, float, complex, np.generic))


# ------------------------------------------------------------------------- the array
class StrictArray:
    """An array on the strict stand-in device: a NumPy array no NumPy code may touch.

    Args:
        array: the NumPy array holding the data (not copied).
        device_id: which strict device it lives on (``strict:0``, ``strict:1``, ...).
    """

    __slots__ = ("_array", "device_id", "__weakref__")

    def __init__(self, array: np.ndarray, device_id: int = 0):
        self._array = array
        self.device_id = device_id

    # ---- refusals: NumPy code meeting a device array
    def __array__(self, dtype=None, copy=None):
        raise StrictDeviceError(
            f"implicit conversion of an array on {_where(self)} to a NumPy array "
            "(np.asarray, np.array, or a NumPy function given a device array); CuPy "
            "refuses this. Use minidl.backend.to_numpy(x) to copy it to the host")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        host = [type(a).__name__ for a in inputs if isinstance(a, np.ndarray)]
        if host:
            raise StrictDeviceError(
                f"numpy.{ufunc.__name__}: mixes a host NumPy array with an array on "
                f"{_where(self)}; CuPy refuses this (move one of them first)")
        raise StrictDeviceError(
            f"numpy.{ufunc.__name__} called on an array on {_where(self)}: this is NumPy "
            "code on device data; use xp = array_module(x) and xp."
            f"{ufunc.__name__}(...)")

    def __array_function__(self, func, types_, args, kwargs):
        raise StrictDeviceError(
            f"numpy.{func.__name__} called on an array on {_where(self)}: this is NumPy code "
            f"on device data; use xp = array_module(x) and xp.{func.__name__}(...)")

    # ---- attributes and methods: delegate to the NumPy array, wrap what comes back
    def __getattr__(self, name):
        if name.startswith("__") or name in ("_array", "device_id"):
            raise AttributeError(name)
        if name in NUMPY_ONLY_METHODS:
            raise AttributeError(
                f"strict device: ndarray.{name} is NumPy-only (CuPy arrays do not have it)")
        value = getattr(self._array, name)
        if callable(value):
            return _Method(self, name, value)
        return _wrap(value, self.device_id)

    @property
    def shape(self) -> tuple:
        return self._array.shape

    @shape.setter
    def shape(self, value) -> None:
        self._array.shape = value

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def size(self) -> int:
        return self._array.size

    @property
    def strides(self) -> tuple:
        return self._array.strides

    @property
    def device(self) -> str:
        return f"{DEVICE}:{self.device_id}"

    def view(self, dtype=None, type=None):
        if type is not None or (isinstance(dtype, builtin_type)
                                and issubclass(dtype, np.ndarray)):
            raise StrictDeviceError(
                f"view as {dtype or type}: reinterpreting a device array as a host class")
        return StrictArray(self._array.view() if dtype is None else self._array.view(dtype),
                           self.device_id)

    def get(self):
        raise AttributeError(
            "strict device: .get() is CuPy-only; library code must use "
            "minidl.backend.to_numpy(x) so that it works for every device")

    # ---- Python protocol
    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self):
        return (_wrap(row, self.device_id) for row in self._array)

    def __getitem__(self, index):
        index = _Unwrapper("indexing", allow_host=True)(index)  # CuPy copies host indices over
        return _wrap(self._array[index], self.device_id)

    def __setitem__(self, index, value):
        index = _Unwrapper("indexing", allow_host=True)(index)
        unwrap = _Unwrapper(f"assignment to an array on {_where(self)}")
        unwrap.device_id = self.device_id
        if isinstance(value, np.ndarray) and value.ndim > 0:
            unwrap(value)  # raises: CuPy's basic-slice assignment refuses host arrays
        self._array[index] = unwrap(value)

    def __bool__(self) -> bool:
        return bool(self._array)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __index__(self) -> int:
        return operator.index(self._array)

    def __complex__(self) -> complex:
        return complex(self._array)

    def __format__(self, spec: str) -> str:
        return format(self._array.item() if self._array.ndim == 0 else self._array, spec)

    def __repr__(self) -> str:
        return f"StrictArray({np.array2string(self._array)}, device={_where(self)})"

    def __copy__(self):
        return StrictArray(self._array.copy(), self.device_id)

    def __deepcopy__(self, memo):
        return StrictArray(self._array.copy(), self.device_id)

    def __reduce__(self):
        return StrictArray, (self._array, self.device_id)

    __hash__ = None  # arrays are unhashable, as NumPy's and CuPy's

    def __iadd__(self, other):
        return self._inplace(operator.iadd, other)

    def __isub__(self, other):
        return self._inplace(operator.isub, other)

    def __imul__(self, other):
        return self._inplace(operator.imul, other)

    def __itruediv__(self, other):
        return self._inplace(operator.itruediv, other)

    def __ifloordiv__(self, other):
        return self._inplace(operator.ifloordiv, other)

    def __ipow__(self, other):
        return self._inplace(operator.ipow, other)

    def __imod__(self, other):
        return self._inplace(operator.imod, other)

    def __iand__(self, other):
        return self._inplace(operator.iand, other)

    def __ior__(self, other):
        return self._inplace(operator.ior, other)

    def __ixor__(self, other):
        return self._inplace(operator.ixor, other)

    def _operand(self, other, op_name: str):
        """``other`` as a NumPy value for an operator, or NotImplemented / an error."""
        if isinstance(other, StrictArray):
            if other.device_id != self.device_id:
                raise StrictDeviceError(
                    f"{op_name}: arrays on {_where(self)} and {_where(other)} meet in one "
                    "operation")
            return other._array
        if _scalar_operand(other):
            return other
        if isinstance(other, np.ndarray):
            raise StrictDeviceError(
                f"{op_name}: mixes an array on {_where(self)} with a host NumPy array "
                f"(shape {other.shape}); CuPy refuses this")
        if isinstance(other, (list, tuple)):
            raise StrictDeviceError(
                f"{op_name}: a Python {type(other).__name__} as an operand of a device array "
                "(CuPy does not convert it; use xp.asarray)")
        return NotImplemented

    def _inplace(self, op, other):
        value = self._operand(other, op.__name__)
        if value is NotImplemented:
            return NotImplemented
        op(self._array, value)
        return self


builtin_type = type


class _Method:
    """A bound method of the wrapped array: unwrap the arguments, wrap the result."""

    __slots__ = ("owner", "name", "method")

    def __init__(self, owner: StrictArray, name: str, method):
        self.owner, self.name, self.method = owner, name, method

    def __call__(self, *args, **kwargs):
        unwrap = _Unwrapper(f"ndarray.{self.name} on an array on {_where(self.owner)}",
                            allow_host_ints=self.name in HOST_METADATA)
        unwrap.device_id = self.owner.device_id
        result = self.method(*unwrap(args), **unwrap(kwargs))
        if self.name in ("item", "tolist", "tobytes"):  # explicit copies to the host
            return result
        if self.name == "fill" or result is None:
            return result
        return _wrap(result, self.owner.device_id)


def _binary(op, name: str, reflected: bool = False):
    def method(self, other):
        value = self._operand(other, name)
        if value is NotImplemented:
            return NotImplemented
        result = op(value, self._array) if reflected else op(self._array, value)
        return _wrap(result, self.device_id)

    method.__name__ = name
    return method


def _unary(op, name: str):
    def method(self):
        return _wrap(op(self._array), self.device_id)

    method.__name__ = name
    return method


for _name, _op in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
                   ("lshift", operator.lshift), ("rshift", operator.rshift),
                   ("divmod", divmod)]:
    setattr(StrictArray, f"__{_name}__", _binary(_op, f"__{_name}__"))
    setattr(StrictArray, f"__r{_name}__", _binary(_op, f"__r{_name}__", reflected=True))
for _name, _op in [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]:
    setattr(StrictArray, f"__{_name}__", _binary(_op, f"__{_name}__"))
for _name, _op in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                   ("invert", operator.invert)]:
    setattr(StrictArray, f"__{_name}__", _unary(_op, f"__{_name}__"))


# ------------------------------------------------------------------ the array module
class _Ufunc:
    """A NumPy ufunc on device arrays: ``xp.add(a, b)``, ``xp.add.at``, ``xp.maximum.reduce``."""

    def __init__(self, ufunc, prefix: str):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self._prefix = prefix

    def _run(self, method: str, args, kwargs):
        unwrap = _Unwrapper(f"{self._prefix}{self.__name__}"
                            + ("" if method == "__call__" else f".{method}"))
        outs = kwargs.get("out")
        result = getattr(self._ufunc, method)(*unwrap(args), **unwrap(kwargs))
        if method == "at":
            return None
        if outs is not None:  # hand back the caller's own output object(s)
            outs = outs if isinstance(outs, tuple) else (outs,)
            return outs[0] if len(outs) == 1 else outs
        return _wrap(result, unwrap.device_id or 0)

    def __call__(self, *args, **kwargs):
        return self._run("__call__", args, kwargs)

    def __getattr__(self, name):
        if name in ("reduce", "accumulate", "outer", "at", "reduceat"):
            return lambda *args, **kwargs: self._run(name, args, kwargs)
        return getattr(self._ufunc, name)  # nin, nout, identity, ...


class _Function:
    """A NumPy function on device arrays, refusing host arrays unless it moves data in."""

    def __init__(self, function, name: str):
        self._function = function
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        short = self.__name__.rsplit(".", 1)[-1]
        unwrap = _Unwrapper(self.__name__, allow_host=short in HOST_TO_DEVICE,
                            allow_host_ints=short in HOST_METADATA)
        result = self._function(*unwrap(args), **unwrap(kwargs))
        if short in HOST_TO_DEVICE and isinstance(result, np.ndarray):
            # a transfer copies (np.asarray may hand back the very host array it was given)
            if any(isinstance(a, np.ndarray) and np.shares_memory(a, result) for a in args):
                result = result.copy()
        return _wrap(result, unwrap.device_id or 0)


class StrictModule:
    """The strict device's ``xp``: NumPy's namespace, working on :class:`StrictArray`."""

    def __init__(self, module: types.ModuleType, prefix: str = "xp."):
        self._module = module
        self._prefix = prefix
        self._cache = {}
        self.__name__ = "strict" if prefix == "xp." else prefix.rstrip(".")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        if name in NUMPY_ONLY:
            raise AttributeError(
                f"strict device: {self._prefix}{name} is NumPy-only (CuPy has no such name)")
        value = getattr(self._module, name)
        if name == "ndarray":
            value = StrictArray
        elif isinstance(value, types.ModuleType):
            value = StrictModule(value, f"{self._prefix}{name}.")
        elif isinstance(value, np.ufunc):
            value = _Ufunc(value, self._prefix)
        elif callable(value) and not isinstance(value, type):
            value = _Function(value, f"{self._prefix}{name}")
        cache[name] = value  # types (float32, dtype, finfo), constants (pi, inf, newaxis)
        return value


xp = StrictModule(np)


# -------------------------------------------------------------------- registration
def to_host(a: StrictArray) -> np.ndarray:
    """Copy a device array to the host (what ``cupy.asnumpy`` does)."""
    return a._array.copy()


def from_host(a, index) -> StrictArray:
    """Copy host data onto strict device ``index``."""
    return StrictArray(np.array(a, copy=True), index or 0)


def register() -> None:
    """Make ``"strict"`` a minidl device (``x.to("strict")``, ``device="strict:1"``)."""
    backend.register_backend(backend.Backend(
        DEVICE, xp, StrictArray, to_host, from_host, lambda a: a.device_id,
        kernels=transcription, device_count=lambda: 2))


def unregister() -> None:
    backend.unregister_backend(DEVICE)
