"""``Tensor``: an array plus what autograd needs to know about it.

A Tensor holds

* ``data``: a NumPy array (CPU) or a CuPy array (GPU);
* ``requires_grad``: whether gradients should flow to it;
* ``grad``: after ``backward()``, a Tensor with dL/d(this), for leaves;
* ``grad_fn``: the :class:`~minidl.autograd.Node` that produced it (None for leaves).

Operators and methods only delegate to the functions in :mod:`minidl.ops`, where
each op's forward and backward are written side by side.

Differences from PyTorch worth knowing:

* ``t.data`` is the raw array, not a Tensor (``t.detach()`` gives a Tensor).
* Ops never modify their inputs. The only in-place methods are the data writes
  that initialisation and optimizers need (``copy_``, ``fill_``, ``zero_``,
  ``uniform_``, ``normal_``, ``t[idx] = v``); they refuse a tensor that is part of
  a recorded graph, because backward would then see the wrong values.

Example:
    >>> import minidl
    >>> x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [2.0, 4.0, 6.0]
"""
from __future__ import annotations

import numbers

import numpy as np

from . import backend
from .autograd import engine
from .autograd.grad_mode import is_grad_enabled
from .errors import DTypeError, ShapeError

__all__ = ["Tensor"]

_FLOAT_DEFAULT = np.dtype(np.float32)


def _to_array(data, dtype=None):
    """Turn data (Tensor, array, nested list, number) into a backend array."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
    xp = backend.array_module(data) if not isinstance(data, (list, tuple)) else np
    if isinstance(data, (list, tuple, numbers.Number, np.generic)) or data is None:
        arr = np.asarray(data)
        if dtype is None and arr.dtype.kind == "f" and not isinstance(data, np.generic):
            arr = arr.astype(_FLOAT_DEFAULT)  # Python floats become float32, as in PyTorch
        if dtype is None and arr.dtype == np.int32:
            arr = arr.astype(np.int64)
    else:
        arr = xp.asarray(data)
    if arr.dtype == object:
        raise DTypeError(f"Tensor: cannot make a tensor from {type(data).__name__} data")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Args:
        data: array, nested list or number. NumPy/CuPy arrays keep their dtype and device;
            Python floats become float32 and Python ints int64.
        requires_grad: record operations on it so that ``backward`` fills ``.grad``.
        dtype: convert to this dtype (``minidl.float32``, ``"float64"``, ...).
        device: move to this device (``"cpu"``, ``"cuda"``).

    Example:
        >>> Tensor([[1, 2], [3, 4]]).shape
        (2, 2)
    """

    __slots__ = ("data", "grad", "grad_fn", "_requires_grad", "_retains_grad", "name",
                 "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor calls Tensor.__rmul__

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None):
        arr = _to_array(data, dtype)
        if device is not None:
            arr = backend.to_device(arr, device)
        self.data = arr
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._retains_grad = False
        self.name = None
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array) -> "Tensor":
        """Wrap an op's output array without copying or converting it."""
        t = cls.__new__(cls)
        if not hasattr(array, "shape"):  # numpy reductions can return scalars
            array = np.asarray(array)
        elif isinstance(array, np.generic):
            array = np.asarray(array)
        t.data = array
        t.grad = None
        t.grad_fn = None
        t._requires_grad = False
        t._retains_grad = False
        t.name = None
        return t

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"Tensor: only floating-point tensors can require gradients, got dtype {self.dtype}")
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                "Tensor: requires_grad can only be switched off on leaf tensors; use .detach()")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return self (freezing: ``p.requires_grad_(False)``)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs, parameters)."""
        return self.grad_fn is None

    def retain_grad(self) -> None:
        """Also store ``.grad`` for this non-leaf tensor during backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None:
            self._retains_grad = True

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute dself/dleaf for every leaf that requires grad and add it to ``leaf.grad``.

        Args:
            gradient: dL/dself; required unless self has a single element.
            retain_graph: keep the graph's saved arrays so that backward can run again.
        """
        engine.backward(self, gradient, retain_graph)

    def _accumulate(self, grad) -> None:
        """Add ``grad`` (an array) to ``self.grad`` (the engine calls this for leaves)."""
        if self.grad is None:
            # a copy: backward may hand the same array (or a read-only broadcast view) to
            # several leaves, and optimizers update .grad in place
            self.grad = Tensor._wrap(grad.copy())
        else:
            self.grad = Tensor._wrap(self.grad.data + grad)

    def detach(self) -> "Tensor":
        """A new leaf Tensor sharing this data, cut from the graph."""
        return Tensor._wrap(self.data)

    def detach_(self) -> "Tensor":
        """Cut self from the graph in place."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self.data)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def size(self, dim: int | None = None):
        """The shape as a tuple, or one of its entries: ``x.size(0)`` is the batch size."""
        if dim is None:
            return self.shape
        return self.shape[_check_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return int(self.data.size)

    def element_size(self) -> int:
        """Bytes per element."""
        return self.data.dtype.itemsize

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ---------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU; copies from a GPU)."""
        if self.requires_grad and is_grad_enabled() and self.grad_fn is not None:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that is part of a graph")
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        arr = backend.to_numpy(self.data)
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ShapeError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return backend.to_numpy(self.data).reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.numel()} elements is ambiguous; "
                "use .any() or .all()")
        return bool(self.item())

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> "Tensor":
        """Move and/or cast: ``x.to("cuda")``, ``x.to(minidl.float64)``, ``x.to(other)``.

        The result stays connected to the graph (gradients flow back across the move).
        """
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (str, backend.Device)) and _is_device_spec(a):
                device = a
            else:
                dtype = a
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            out = _ops.cast(out, np.dtype(dtype))
        if device is not None and backend.Device(device) != self.device:
            out = _ops.to_device(out, backend.Device(device))
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> "Tensor":
        """This tensor on the CPU."""
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> "Tensor":
        """This tensor on a CUDA device."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def half(self) -> "Tensor":
        return self.to(np.float16)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def int(self) -> "Tensor":
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        return self.to(np.bool_)

    def type(self, dtype=None):
        """The dtype name, or a copy cast to ``dtype``."""
        return str(self.dtype) if dtype is None else self.to(dtype)

    def clone(self) -> "Tensor":
        """A copy that stays in the graph (gradients flow back to self)."""
        return _ops.clone(self)

    def contiguous(self) -> "Tensor":
        """Self when its data is C-contiguous, else a contiguous copy in the graph."""
        return self if self.data.flags.c_contiguous else _ops.clone(self)

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    # ------------------------------------------------------ in-place data writes
    def _check_writable(self, what: str) -> None:
        if is_grad_enabled() and (self.grad_fn is not None or self.requires_grad):
            raise RuntimeError(
                f"{what}: an in-place change to a tensor that requires grad would corrupt "
                "backward; do it under minidl.no_grad() (as init and optimizers do)")

    def copy_(self, src) -> "Tensor":
        """Copy ``src``'s values into self (broadcasting), in place."""
        self._check_writable("copy_")
        src = src.data if isinstance(src, Tensor) else src
        xp = backend.array_module(self.data)
        self.data[...] = xp.asarray(backend.to_device(xp.asarray(src) if xp is np else src,
                                                      self.device), dtype=self.dtype)
        return self

    def fill_(self, value) -> "Tensor":
        """Set every element to ``value``, in place."""
        self._check_writable("fill_")
        self.data[...] = value
        return self

    def zero_(self) -> "Tensor":
        """Set every element to zero, in place."""
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        """Fill with samples of U(a, b) from minidl's generator, in place."""
        self._check_writable("uniform_")
        sample = backend.get_default_generator().uniform(a, b, self.shape)
        self.data[...] = backend.to_device(sample.astype(self.dtype), self.device)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        """Fill with samples of N(mean, std^2) from minidl's generator, in place."""
        self._check_writable("normal_")
        sample = backend.get_default_generator().normal(mean, std, self.shape)
        self.data[...] = backend.to_device(sample.astype(self.dtype), self.device)
        return self

    def __setitem__(self, index, value) -> None:
        self._check_writable("__setitem__")
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):  # x[mask_tensor, 0] = v
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        value = value.data if isinstance(value, Tensor) else value
        self.data[index] = value

    # ------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4,
                               prefix="tensor(")
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ---------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # comparisons are element-wise and never differentiable
    __hash__ = object.__hash__

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    def __invert__(self):
        return _ops.logical_not(self)

    # --------------------------------------------------------------- methods
    # Each is a one-line forward to the function of the same name in minidl.ops.
    def add(self, other):
        return _ops.add(self, other)

    def sub(self, other):
        return _ops.sub(self, other)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other):
        return _ops.div(self, other)

    def neg(self):
        return _ops.neg(self)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def log1p(self):
        return _ops.log1p(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def abs(self):
        return _ops.abs(self)

    def sign(self):
        return _ops.sign(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def erf(self):
        return _ops.erf(self)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def logical_and(self, other):
        return _ops.logical_and(self, other)

    def logical_or(self, other):
        return _ops.logical_or(self, other)

    def logical_not(self):
        return _ops.logical_not(self)

    def isnan(self):
        return _ops.isnan(self)

    def isfinite(self):
        return _ops.isfinite(self)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        return _ops.mm(self, other)

    def bmm(self, other):
        return _ops.bmm(self, other)

    def sum(self, dim=None, keepdim=False, **kwargs):
        return _ops.sum(self, dim, keepdim, **kwargs)

    def mean(self, dim=None, keepdim=False, **kwargs):
        return _ops.mean(self, dim, keepdim, **kwargs)

    def prod(self, dim=None, keepdim=False, **kwargs):
        return _ops.prod(self, dim, keepdim, **kwargs)

    def max(self, dim=None, keepdim=False, **kwargs):
        return _ops.max(self, dim, keepdim, **kwargs)

    def min(self, dim=None, keepdim=False, **kwargs):
        return _ops.min(self, dim, keepdim, **kwargs)

    def var(self, dim=None, unbiased=True, keepdim=False, **kwargs):
        return _ops.var(self, dim, unbiased, keepdim, **kwargs)

    def std(self, dim=None, unbiased=True, keepdim=False, **kwargs):
        return _ops.std(self, dim, unbiased, keepdim, **kwargs)

    def logsumexp(self, dim=None, keepdim=False, **kwargs):
        return _ops.logsumexp(self, dim, keepdim, **kwargs)

    def softmax(self, dim, **kwargs):
        return _ops.softmax(self, dim, **kwargs)

    def log_softmax(self, dim, **kwargs):
        return _ops.log_softmax(self, dim, **kwargs)

    def argmax(self, dim=None, keepdim=False, **kwargs):
        return _ops.argmax(self, dim, keepdim, **kwargs)

    def argmin(self, dim=None, keepdim=False, **kwargs):
        return _ops.argmin(self, dim, keepdim, **kwargs)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def view_as(self, other):
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def transpose(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    def t(self):
        return _ops.transpose(self, 0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    @property
    def T(self):
        return _ops.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.expand(self, *other.shape)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def repeat(self, *repeats):
        return _ops.repeat(self, *repeats)

    def split(self, split_size_or_sections, dim=0):
        return _ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def flip(self, dims):
        return _ops.flip(self, dims)

    def roll(self, shifts, dims=None):
        return _ops.roll(self, shifts, dims)

    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def amax(self, dim=None, keepdim=False, **kwargs):
        return _ops.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim=None, keepdim=False, **kwargs):
        return _ops.amin(self, dim, keepdim, **kwargs)

    def movedim(self, source, destination):
        return _ops.movedim(self, source, destination)

    def swapaxes(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    def outer(self, other):
        return _ops.outer(self, other)

    def dot(self, other):
        return _ops.dot(self, other)


def _check_dim(dim: int, ndim: int, op: str) -> int:
    """Normalise a possibly negative dim, with a clear error when out of range."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of "
            f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})")
    return dim % max(ndim, 1)


def _is_device_spec(value) -> bool:
    if isinstance(value, backend.Device):
        return True
    try:
        backend.Device(value)
        return True
    except (ValueError, TypeError):
        return False


# The ops import Tensor, so they are imported last (no import cycle at load time).
from . import ops as _ops  # noqa: E402
