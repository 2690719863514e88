"""``Tensor``: an array plus what autograd needs to know about it.

A Tensor holds

* ``_array``: its values, a NumPy array (CPU) or a CuPy array (GPU); ops and layers work
  on it, and ``t.data`` gives it to users as a Tensor outside autograd, as in PyTorch;
* ``requires_grad``: whether gradients should flow to it;
* ``grad``: after ``backward()``, a Tensor with dL/d(this), for leaves;
* ``grad_fn``: the :class:`~minidl.autograd.Node` that produced it (None for leaves).

Operators and methods only delegate to the functions in :mod:`minidl.ops`, where
each op's forward and backward are written side by side.

Differences from PyTorch worth knowing:

* In-place methods (``add_``, ``mul_``, ``zero_``, ``+=``, ``t[i] = v``, ...) follow
  PyTorch's rules: refused on a leaf that requires grad unless under ``no_grad()``,
  recorded for backward on other tensors, and counted by the storage's version, so that
  backward refuses to use a saved array that was changed since (docs/autograd.md). Unlike
  PyTorch, an in-place op is refused on a view (``y[0]``, ``y.view(...)``) of a tensor
  that requires grad, because minidl does not rewrite the base's history; clone() first.

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
from .errors import ArgumentTypeError, DTypeError, InplaceError, ShapeError

__all__ = ["Tensor"]

_FLOAT_DEFAULT = np.dtype(np.float32)


def _to_array(data, dtype=None, lists_as_float: bool = False):
    """Turn data (Tensor, array, nested list, number) into a backend array.

    Python floats become float32 and ints int64 (``minidl.tensor``'s rule); with
    ``lists_as_float`` lists of numbers become float32 whatever they hold (the rule of
    the ``Tensor`` class itself: ``torch.Tensor([1, 2])`` is a float tensor).
    """
    if isinstance(data, Tensor):
        data = data._array
    if dtype is not None:
        dtype = np.dtype(dtype)
    xp = backend.array_module(data) if not isinstance(data, (list, tuple)) else np
    if isinstance(data, (list, tuple, numbers.Number, np.generic)) or data is None:
        arr = np.asarray(data)
        if dtype is None and arr.dtype.kind == "f" and not isinstance(data, np.generic):
            arr = arr.astype(_FLOAT_DEFAULT)  # Python floats become float32, as in PyTorch
        if dtype is None and arr.dtype == np.int32:
            arr = arr.astype(np.int64)
        if dtype is None and lists_as_float and isinstance(data, (list, tuple)) and \
                arr.dtype.kind in "biu":
            arr = arr.astype(_FLOAT_DEFAULT)
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

    __slots__ = ("_array", "grad", "grad_fn", "_requires_grad", "_retains_grad", "name",
                 "_versioned", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor calls Tensor.__rmul__

    def __init__(self, *args, requires_grad: bool = False, dtype=None, device=None):
        if len(args) != 1 and all(_is_size(a) for a in args):
            # torch.Tensor(2, 3): a float32 tensor of that shape (zeros: minidl has no
            # uninitialised memory); torch.Tensor(): an empty one
            arr = np.zeros(tuple(int(a) for a in args) if args else (0,),
                           dtype=dtype or _FLOAT_DEFAULT)
        elif len(args) == 2 and isinstance(args[1], bool):  # Tensor(data, True), older code
            arr, requires_grad = _to_array(args[0], dtype, lists_as_float=True), args[1]
        elif len(args) == 1:
            arr = _to_array(args[0], dtype, lists_as_float=True)
        else:
            raise ArgumentTypeError(
                f"Tensor: expected data (a list, array or number) or integer sizes, got {args!r}")
        if device is not None:
            arr = backend.to_device(arr, device)
        self._array = arr
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._retains_grad = False
        self.name = None
        self._versioned = True  # False for t.data: writes through it are not counted
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array) -> "Tensor":
        """Wrap an op's output array without copying or converting it."""
        t = cls.__new__(cls)
        if not hasattr(array, "shape"):  # numpy reductions can return scalars
            array = np.asarray(array)
        elif isinstance(array, np.generic):
            array = np.asarray(array)
        t._array = array
        t.grad = None
        t.grad_fn = None
        t._requires_grad = False
        t._retains_grad = False
        t.name = None
        t._versioned = True
        return t

    @property
    def data(self) -> "Tensor":
        """This tensor's values as a Tensor outside autograd, sharing memory (as in PyTorch).

        ``p.data`` never requires grad, and in-place changes through it are neither
        refused nor counted by the version counter: it is the explicit way to change a
        parameter behind autograd's back (``fc.weight.data.zero_()``, an EMA update
        ``p.data.mul_(0.99).add_(q.data, alpha=0.01)``). Assigning ``p.data = other``
        makes ``p`` hold ``other``'s values (its storage), keeping ``p``'s identity.
        """
        t = Tensor._wrap(self._array)
        t._versioned = False
        return t

    @data.setter
    def data(self, value) -> None:
        array = value._array if isinstance(value, Tensor) else value
        if not hasattr(array, "dtype"):
            raise ArgumentTypeError(
                f"Tensor.data: expected a Tensor or an array, got {type(value).__name__}")
        self._array = array

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self._array.dtype.kind not in "fc":
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
            self.grad = Tensor._wrap(self.grad._array + grad)

    def detach(self) -> "Tensor":
        """A new leaf Tensor sharing this data, cut from the graph."""
        return Tensor._wrap(self._array)

    def detach_(self) -> "Tensor":
        """Cut self from the graph in place."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return tuple(self._array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self._array)

    @property
    def ndim(self) -> int:
        return self._array.ndim

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
        return self._array.ndim

    def numel(self) -> int:
        """Number of elements."""
        return int(self._array.size)

    def element_size(self) -> int:
        """Bytes per element."""
        return self._array.dtype.itemsize

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ---------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU; copies from a GPU)."""
        if self.requires_grad and is_grad_enabled() and self.grad_fn is not None:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that is part of a graph")
        return backend.to_numpy(self._array)

    def __array__(self, dtype=None, copy=None):
        arr = backend.to_numpy(self._array)
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ShapeError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return backend.to_numpy(self._array).reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return backend.to_numpy(self._array).tolist()

    def __format__(self, spec: str) -> str:
        # f"{loss:.3f}" formats a one-element tensor's value, as in PyTorch
        if spec and self.numel() == 1:
            return format(self.item(), spec)
        return format(str(self), spec)

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
        return self if self._array.flags.c_contiguous else _ops.clone(self)

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    # ------------------------------------------------------------ in-place ops
    # PyTorch's rules (refused on a parameter while recording, recorded otherwise, counted
    # by the version counter) live in minidl/inplace.py; each method names its op.
    def add_(self, other, *, alpha=1) -> "Tensor":
        """self += alpha * other, in place."""
        return _inplace.apply(self, "add_", _ops.add, _scaled(other, alpha))

    def sub_(self, other, *, alpha=1) -> "Tensor":
        """self -= alpha * other, in place."""
        return _inplace.apply(self, "sub_", _ops.sub, _scaled(other, alpha))

    def mul_(self, other) -> "Tensor":
        """self *= other, in place."""
        return _inplace.apply(self, "mul_", _ops.mul, other)

    def div_(self, other, **kwargs) -> "Tensor":
        """self /= other, in place (``rounding_mode=`` as in :func:`minidl.div`)."""
        return _inplace.apply(self, "div_", _ops.div, other, **kwargs)

    def pow_(self, exponent) -> "Tensor":
        """self **= exponent, in place."""
        return _inplace.apply(self, "pow_", _ops.pow, exponent)

    def clamp_(self, min=None, max=None) -> "Tensor":
        """Clamp into [min, max], in place."""
        return _inplace.apply(self, "clamp_", _ops.clamp, min, max)

    clip_ = clamp_

    def lerp_(self, end, weight) -> "Tensor":
        """self += weight * (end - self), in place (an EMA: ``avg.lerp_(x, 0.01)``)."""
        return _inplace.apply(self, "lerp_", _lerp, end, weight)

    def sqrt_(self) -> "Tensor":
        return _inplace.apply(self, "sqrt_", _ops.sqrt)

    def exp_(self) -> "Tensor":
        return _inplace.apply(self, "exp_", _ops.exp)

    def neg_(self) -> "Tensor":
        return _inplace.apply(self, "neg_", _ops.neg)

    def abs_(self) -> "Tensor":
        return _inplace.apply(self, "abs_", _ops.abs)

    def relu_(self) -> "Tensor":
        return _inplace.apply(self, "relu_", _ops.relu)

    def sigmoid_(self) -> "Tensor":
        return _inplace.apply(self, "sigmoid_", _ops.sigmoid)

    def tanh_(self) -> "Tensor":
        return _inplace.apply(self, "tanh_", _ops.tanh)

    def masked_fill_(self, mask, value) -> "Tensor":
        """Set the elements where ``mask`` is True to ``value``, in place."""
        return _inplace.apply(self, "masked_fill_", _ops.masked_fill, mask, value)

    def index_fill_(self, dim: int, index, value) -> "Tensor":
        """Set the slices ``index`` of dimension ``dim`` to ``value``, in place."""
        return _inplace.apply(self, "index_fill_", _ops.masked_fill,
                              _index_mask(self, dim, index, "index_fill_"), value)

    def scatter_(self, dim: int, index, src=None, *, value=None) -> "Tensor":
        """``self[..., index[i, j], ...] = src[i, j]`` along ``dim``, in place (no autograd).

        Args:
            dim: the dimension that ``index`` indexes.
            index: int64 tensor with as many dims as self, no larger than self (except
                along ``dim``) and than ``src``.
            src: the values (a tensor); or ``value=``, one number for every position.
        """
        if src is not None and not isinstance(src, Tensor):
            src, value = None, src  # scatter_(dim, index, 2.0)
        if is_grad_enabled() and (self.requires_grad or (src is not None and src.requires_grad)):
            _inplace.check_leaf(self, "scatter_")
            raise InplaceError("scatter_: in-place scatter is not recorded for autograd; use "
                               "it under minidl.no_grad() or on tensors that do not require grad")
        _scatter_into(self, dim, index, src, value)
        return self

    def copy_(self, src) -> "Tensor":
        """Copy ``src``'s values into self (broadcast, cast to self's dtype), in place.

        Gradients flow to ``src`` (not to self's old values, which are gone).
        """
        if not isinstance(src, Tensor):
            src = Tensor(src, dtype=self.dtype, device=self.device)
        return _inplace.apply(self, "copy_", _copy_values, src)

    def fill_(self, value) -> "Tensor":
        """Set every element to ``value``, in place."""
        if isinstance(value, Tensor):
            value = value.item()
        xp = backend.array_module(self._array)
        _inplace.overwrite(self, xp.asarray(value, dtype=self.dtype), "fill_")
        return self

    def zero_(self) -> "Tensor":
        """Set every element to zero, in place."""
        xp = backend.array_module(self._array)
        _inplace.overwrite(self, xp.zeros((), dtype=self.dtype), "zero_")
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        """Fill with samples of U(a, b) from minidl's generator, in place."""
        return self._fill_random("uniform_", lambda g: g.uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        """Fill with samples of N(mean, std^2) from minidl's generator, in place."""
        return self._fill_random("normal_", lambda g: g.normal(mean, std, self.shape))

    def exponential_(self, lambd: float = 1.0) -> "Tensor":
        """Fill with samples of the exponential distribution with rate ``lambd``, in place."""
        return self._fill_random("exponential_", lambda g: g.exponential(1.0 / lambd, self.shape))

    def bernoulli_(self, p=0.5) -> "Tensor":
        """Fill with 1 (probability ``p``, a number or a tensor of self's shape) or 0."""
        p = backend.to_numpy(p._array) if isinstance(p, Tensor) else p
        return self._fill_random("bernoulli_", lambda g: g.random(self.shape) < p)

    def _fill_random(self, op: str, draw) -> "Tensor":
        # drawn on the host from the one seeded generator, so a seed gives the same numbers
        # on every device
        sample = np.asarray(draw(backend.get_default_generator())).astype(self.dtype)
        _inplace.overwrite(self, backend.to_device(sample, self.device), op)
        return self

    def __setitem__(self, index, value) -> None:
        _inplace.check_leaf(self, "__setitem__")
        if is_grad_enabled() and (self.grad_fn is not None or (
                isinstance(value, Tensor) and value.requires_grad)):
            raise InplaceError(
                "__setitem__: assigning into a tensor that is part of a recorded graph (or "
                "from one) is not recorded by minidl's autograd; build the result with "
                "minidl.where / masked_fill / cat, or assign under minidl.no_grad()")
        if isinstance(index, Tensor):
            index = index._array
        elif isinstance(index, tuple):  # x[mask_tensor, 0] = v
            index = tuple(i._array if isinstance(i, Tensor) else i for i in index)
        value = value._array if isinstance(value, Tensor) else value
        self._array[index] = value
        if self._versioned:
            _version.bump(self._array, "__setitem__")

    # the augmented operators change the tensor itself, as in PyTorch
    # (``w -= lr * w.grad`` under no_grad() updates the parameter w)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    # ------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self._array), separator=", ", precision=4,
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
    def add(self, other, *, alpha=1):
        return _ops.add(self, _scaled(other, alpha))

    def sub(self, other, *, alpha=1):
        return _ops.sub(self, _scaled(other, alpha))

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


def _is_size(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


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


def _scaled(other, alpha):
    """alpha * other, leaving other untouched when alpha is 1 (add_(other, alpha=...))."""
    return other if alpha == 1 else other * alpha


def _lerp(start, end, weight):
    """start + weight * (end - start), the out-of-place op behind lerp_."""
    return start + weight * (end - start)


def _copy_values(target, src):
    """src cast to target's dtype and broadcast to its shape: what copy_ writes."""
    out = src.to(dtype=target.dtype, device=target.device)
    return out if out.shape == target.shape else _ops.expand(out, *target.shape)


def _index_mask(t, dim, index, op):
    """A boolean tensor of t's shape, True on the slices ``index`` of dimension ``dim``."""
    d = _check_dim(dim, t.ndim, op)
    xp = backend.array_module(t._array)
    index = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if index.dtype.kind not in "iu" or index.ndim > 1:
        raise DTypeError(f"{op}: index must be a 0-D or 1-D integer tensor, got dtype "
                         f"{index.dtype} and {index.ndim} dims")
    size = t.shape[d] if t.ndim else 1
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        raise IndexError(f"{op}: index out of range for dimension {dim} of size {size}")
    along = xp.zeros(size, dtype=bool)
    along[index.reshape(-1)] = True
    shape = [1] * t.ndim
    if t.ndim:
        shape[d] = size
    return Tensor._wrap(along.reshape(shape))


def _scatter_into(t, dim, index, src, value):
    """Write src (or value) into t at ``index`` along ``dim`` (the work of scatter_)."""
    d = _check_dim(dim, t.ndim, "scatter_")
    xp = backend.array_module(t._array)
    idx = index._array if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"scatter_: index must be an integer tensor, got dtype {idx.dtype}")
    if idx.ndim != t.ndim:
        raise ShapeError(f"scatter_: index must have as many dims as self ({t.ndim}), got "
                         f"shape {tuple(idx.shape)}")
    for i, (n, m) in enumerate(zip(idx.shape, t.shape)):
        if i != d and n > m:
            raise ShapeError(f"scatter_: index of shape {tuple(idx.shape)} is larger than self "
                             f"{t.shape} in dim {i}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= t.shape[d]):
        raise IndexError(f"scatter_: index out of range for dimension {dim} of size {t.shape[d]}")
    # the part of self that index covers (all of dim d): a view, so writes reach self
    region = tuple(slice(None) if i == d else slice(0, n) for i, n in enumerate(idx.shape))
    if src is not None:
        values = src._array[tuple(slice(0, n) for n in idx.shape)]
    else:
        values = xp.asarray(value, dtype=t.dtype)
    xp.put_along_axis(t._array[region], idx, values, axis=d)
    if t._versioned:
        _version.bump(t._array, "scatter_")


# The ops import Tensor, so they are imported last (no import cycle at load time).
from . import inplace as _inplace  # noqa: E402
from . import ops as _ops  # noqa: E402
from .autograd import version as _version  # noqa: E402
