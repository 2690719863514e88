"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, softmax, argmax, topk.

A reduction maps x of shape (..., n, ...) to y without the reduced dims (or with
them kept as size 1 when ``keepdim=True``). In backward the gradient ``g`` of y
first gets the reduced dims back as size-1 dims (:func:`_unreduce`) so that it
broadcasts against x; e.g. for the sum every x[i] gets ``g`` unchanged:

    y = sum_i x[i]        dy/dx[i] = 1        dL/dx[i] = g

``dim`` may be None (all dims), an int or a tuple; NumPy's ``axis=`` and
``keepdims=`` are accepted as aliases.

Notation: ``x`` input, ``y`` output, ``g`` = dL/dy, ``n`` = number of elements reduced.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import ensure_tensor, normalize_dim, normalize_dims, resolve_dim_kwargs
from .indexing import gather
from ..errors import ArgumentTypeError, DTypeError, ShapeError

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "logsumexp",
    "softmax", "log_softmax", "argmax", "argmin", "topk", "any", "all",
]

# What max(x, dim), min(x, dim) and topk return, as torch.return_types does.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _axes(op: str, x, dim, keepdim, kwargs):
    """(sorted tuple of dims or None for all, keepdim), accepting axis=/keepdims= too."""
    dim, keepdim = resolve_dim_kwargs(op, dim, keepdim, kwargs)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None  # dim=(): reduce everything, as PyTorch does
    if x.ndim == 0:  # a scalar: dim 0 and -1 are allowed and mean "everything"
        for d in (() if dim is None else dim if isinstance(dim, (tuple, list)) else (dim,)):
            normalize_dim(d, 0, op)
        return None, keepdim
    return normalize_dims(dim, x.ndim, op), keepdim


def _unreduce(g, ndim: int, axes, keepdim: bool):
    """Put the reduced dims back into ``g`` as size 1, so that it broadcasts against x."""
    if axes is None:
        return g.reshape((1,) * ndim)
    if not keepdim:
        g = array_module(g).expand_dims(g, axes)
    return g


def _count(shape: tuple, axes) -> int:
    """How many elements each output element of a reduction over ``axes`` combines."""
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _pop_dtype(kwargs: dict):
    return kwargs.pop("dtype", None)


# ------------------------------------------------------------------- sum, mean
class Sum(Function):
    """y = sum of x over ``axes``; dL/dx = g broadcast back to x's shape."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = _unreduce(g, len(ctx.shape), ctx.axes, ctx.keepdim)
        return array_module(g).broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """y = sum(x) / n; dL/dx = g / n everywhere."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = _unreduce(g, len(ctx.shape), ctx.axes, ctx.keepdim) / _count(ctx.shape, ctx.axes)
        return array_module(g).broadcast_to(g, ctx.shape), None, None


def sum(x, dim=None, keepdim: bool = False, **kwargs):  # noqa: A001 (PyTorch's name)
    """Sum of the elements over ``dim`` (all of them when None).

    Args:
        x: input tensor.
        dim: None, an int or a tuple of ints (``axis=`` also accepted).
        keepdim: keep the reduced dims as size 1 (``keepdims=`` also accepted).
        dtype: optionally cast x to this dtype first.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> sum(x).item(), sum(x, dim=0).tolist(), x.sum(axis=1, keepdims=True).tolist()
        (10.0, [4.0, 6.0], [[3.0], [7.0]])
    """
    x = ensure_tensor(x)
    dtype = _pop_dtype(kwargs)
    if dtype is not None:
        x = x.to(dtype)
    axes, keepdim = _axes("sum", x, dim, keepdim, kwargs)
    return Sum.apply(x, axes, keepdim)


def mean(x, dim=None, keepdim: bool = False, **kwargs):
    """Mean of the elements over ``dim`` (all of them when None).

    Args:
        x: floating-point input tensor.
        dim: None, an int or a tuple of ints (``axis=`` also accepted).
        keepdim: keep the reduced dims as size 1 (``keepdims=`` also accepted).

    Example:
        >>> import minidl
        >>> mean(minidl.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=1).tolist()
        [1.5, 4.0]
    """
    x = ensure_tensor(x)
    dtype = _pop_dtype(kwargs)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"mean: expected a floating-point tensor, got dtype {x.dtype}; "
                        "convert it with .float() first")
    axes, keepdim = _axes("mean", x, dim, keepdim, kwargs)
    return Mean.apply(x, axes, keepdim)


# ------------------------------------------------------------------------ prod
class Prod(Function):
    """y = prod_i x[i]; dy/dx[i] = prod_{j != i} x[j].

    ``y / x[i]`` would fail where x[i] == 0, so the product of the *other*
    elements is built exactly as (product of those before i) * (product of those
    after i), two cumulative products. That is right with any number of zeros.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        return x.prod(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        axes = tuple(range(x.ndim)) if ctx.axes is None else ctx.axes
        kept = [d for d in range(x.ndim) if d not in axes]
        perm = kept + list(axes)
        # reduced dims moved to the end and flattened into one: shape (..., n)
        xt = x.transpose(perm).reshape(tuple(x.shape[d] for d in kept) + (-1,))
        one = xp.ones(xt.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([one, xt[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([xt[..., 1:], one], axis=-1), -1),
                                   axis=-1), -1)
        others = (before * after).reshape(tuple(x.shape[d] for d in perm))
        others = others.transpose(np.argsort(perm))
        return _unreduce(g, x.ndim, ctx.axes, ctx.keepdim) * others, None, None


def prod(x, dim=None, keepdim: bool = False, **kwargs):
    """Product of the elements over ``dim``; its gradient is exact even with zeros.

    Args:
        x: input tensor.
        dim: None, an int or a tuple of ints (``axis=`` also accepted).
        keepdim: keep the reduced dims as size 1.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> prod(x).backward()
        >>> x.grad.tolist()
        [0.0, 6.0, 0.0]
    """
    x = ensure_tensor(x)
    dtype = _pop_dtype(kwargs)
    if dtype is not None:
        x = x.to(dtype)
    axes, keepdim = _axes("prod", x, dim, keepdim, kwargs)
    return Prod.apply(x, axes, keepdim)


# --------------------------------------------------------------- max and min
class Amax(Function):
    """y = max (or min) of x over ``axes``.

    Where several elements tie for the maximum, each gets an equal share
    g / (number of ties), as PyTorch does for amax and for the full max.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest):
        y = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        winners = x == y
        ctx.save_for_backward(winners)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y if keepdim else y.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (winners,) = ctx.saved_tensors
        share = winners.sum(axis=ctx.axes, keepdims=True, dtype=g.dtype)
        g = _unreduce(g, winners.ndim, ctx.axes, ctx.keepdim)
        return winners * (g / share), None, None, None


def _reduced_shape(shape: tuple, axes) -> tuple:
    if axes is None:
        return ()
    return tuple(s for d, s in enumerate(shape) if d not in axes)


def amax(x, dim=None, keepdim: bool = False, **kwargs):
    """Maximum over ``dim`` (values only); ties share the gradient equally.

    Example:
        >>> import minidl
        >>> amax(minidl.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1).tolist()
        [5.0, 7.0]
    """
    x = ensure_tensor(x)
    axes, keepdim = _axes("amax", x, dim, keepdim, kwargs)
    _check_nonempty("amax", x, axes)
    return Amax.apply(x, axes, keepdim, True)


def amin(x, dim=None, keepdim: bool = False, **kwargs):
    """Minimum over ``dim`` (values only); ties share the gradient equally.

    Example:
        >>> import minidl
        >>> amin(minidl.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0).tolist()
        [1.0, 2.0]
    """
    x = ensure_tensor(x)
    axes, keepdim = _axes("amin", x, dim, keepdim, kwargs)
    _check_nonempty("amin", x, axes)
    return Amax.apply(x, axes, keepdim, False)


def _check_nonempty(op: str, x, axes) -> None:
    if x.numel() == 0 or builtins.any(x.shape[a] == 0 for a in (axes or ())):
        raise RuntimeError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")


def _extremum(op: str, x, dim, keepdim, kwargs, largest: bool):
    """Shared body of max and min (see :func:`max`)."""
    from .elementwise import maximum, minimum  # noqa: PLC0415

    if isinstance(dim, Tensor) or "other" in kwargs:  # max(a, b): element-wise
        other = kwargs.pop("other") if "other" in kwargs else dim
        return maximum(x, other) if largest else minimum(x, other)
    x = ensure_tensor(x)
    dim, keepdim = resolve_dim_kwargs(op, dim, keepdim, kwargs)
    if dim is None:  # full reduction: a scalar, ties share the gradient
        _check_nonempty(op, x, None)
        return Amax.apply(x, None, False, largest)
    if not isinstance(dim, (int, np.integer)):
        raise ArgumentTypeError(f"{op}: dim must be an int (use amax for several dims), got {dim!r}")
    d = normalize_dim(int(dim), x.ndim, op)
    _check_nonempty(op, x, (d,) if x.ndim else None)
    if x.ndim == 0:
        indices = Tensor._wrap(array_module(x._array).zeros((), dtype=np.int64))
        result = MaxResult if largest else MinResult
        return result(x.clone(), indices)
    indices = _arg_extremum(x._array, d, True, largest)
    values = gather(x, d, indices)  # gradient flows to the chosen position only
    if not keepdim:
        values = values.squeeze(d)
        indices = indices.squeeze(d)
    result = MaxResult if largest else MinResult
    return result(values, Tensor._wrap(indices))


def max(x, dim=None, keepdim: bool = False, **kwargs):  # noqa: A001 (PyTorch's name)
    """The largest element, the largest along a dim with its index, or an element-wise max.

    * ``max(x)``: the maximum of all elements (a 0-d tensor); tied maxima share the
      gradient equally;
    * ``max(x, dim, keepdim=False)``: a named tuple ``(values, indices)``; the gradient
      goes to the position given by ``indices`` (the first maximum);
    * ``max(x, other)`` with a Tensor ``other``: the element-wise :func:`maximum`.

    Args:
        x: input tensor.
        dim: dimension to reduce (``axis=`` also accepted), or a Tensor.
        keepdim: keep the reduced dim as size 1.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        >>> max(x).item()
        6.0
        >>> values, indices = max(x, dim=1)
        >>> values.tolist(), indices.tolist()
        ([5.0, 6.0], [1, 2])
    """
    return _extremum("max", x, dim, keepdim, kwargs, largest=True)


def min(x, dim=None, keepdim: bool = False, **kwargs):  # noqa: A001 (PyTorch's name)
    """The smallest element, the smallest along a dim with its index, or an element-wise min.

    See :func:`max`; everything holds with "smallest" in place of "largest".

    Example:
        >>> import minidl
        >>> min(minidl.tensor([[1.0, 5.0], [0.0, 7.0]]), dim=0).indices.tolist()
        [1, 0]
    """
    return _extremum("min", x, dim, keepdim, kwargs, largest=False)


# --------------------------------------------------------------- var and std
class Var(Function):
    """y = sum_i (x[i] - mean)^2 / (n - correction).

    dy/dx[i] = 2 (x[i] - mean) / (n - correction): the path through ``mean``
    adds nothing because the deviations sum to zero.
    """

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = _count(x.shape, axes)
        dev = x - x.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(dev)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.denom = builtins.max(n - correction, 0)
        ss = (dev * dev).sum(axis=axes, keepdims=keepdim)
        if ctx.denom == 0:  # too few elements: NaN, as in PyTorch
            return ss * float("nan")
        return ss / ctx.denom

    @staticmethod
    def backward(ctx, g):
        (dev,) = ctx.saved_tensors
        g = _unreduce(g, dev.ndim, ctx.axes, ctx.keepdim)
        if ctx.denom == 0:
            return g * dev * float("nan"), None, None, None
        return g * dev * (2.0 / ctx.denom), None, None, None


def _correction(op: str, unbiased, kwargs) -> int:
    if "correction" in kwargs:
        return kwargs.pop("correction")
    return 1 if unbiased else 0


def var(x, dim=None, unbiased: bool = True, keepdim: bool = False, **kwargs):
    """Variance over ``dim``: sum of squared deviations / (n - 1), or / n when not unbiased.

    Args:
        x: floating-point input tensor.
        dim: None, an int or a tuple of ints (``axis=`` also accepted).
        unbiased: divide by n - 1 (Bessel's correction) instead of n.
        keepdim: keep the reduced dims as size 1.
        correction: (keyword) divide by n - correction; overrides ``unbiased``.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0, 3.0, 4.0])
        >>> var(x).item(), var(x, unbiased=False).item(), var(x, correction=0).item()
        (1.6666666..., 1.25, 1.25)
    """
    return _var("var", x, dim, unbiased, keepdim, kwargs)


def _var(op: str, x, dim, unbiased, keepdim, kwargs):
    x = ensure_tensor(x)
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    correction = _correction(op, unbiased, kwargs)
    axes, keepdim = _axes(op, x, dim, keepdim, kwargs)
    return Var.apply(x, axes, correction, keepdim)


def std(x, dim=None, unbiased: bool = True, keepdim: bool = False, **kwargs):
    """Standard deviation: ``sqrt(var(x, dim, unbiased, keepdim))``.

    Example:
        >>> import minidl
        >>> std(minidl.tensor([[1.0, 3.0], [2.0, 2.0]]), dim=1, unbiased=False).tolist()
        [1.0, 0.0]
    """
    from .elementwise import sqrt  # noqa: PLC0415

    return sqrt(_var("std", x, dim, unbiased, keepdim, kwargs))


# ------------------------------------------------- logsumexp and the softmaxes
def _stable_max(x, axis):
    """max over ``axis`` (kept) with infinities and NaN replaced by 0, for shifting
    exponents; 0 where ``axis`` is empty (there is nothing to shift)."""
    xp = array_module(x)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if x.size == 0:
        shape = tuple(1 if a % x.ndim in {b % x.ndim for b in axes} else n
                      for a, n in enumerate(x.shape))
        return xp.zeros(shape, dtype=x.dtype)
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class LogSumExp(Function):
    """y = log sum_i exp(x[i]) = m + log sum_i exp(x[i] - m) with m = max x.

    dy/dx[i] = exp(x[i] - y), the softmax of x.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module(x)
        m = _stable_max(x, axes)
        total = xp.exp(x - m).sum(axis=axes, keepdims=True)
        # total is 0 when every x is -inf (or there is none): y = -inf, without log(0)'s
        # warning; a NaN anywhere makes total NaN, and y stays NaN (a diverged model shows)
        y = xp.where(total > 0, m + xp.log(xp.where(total > 0, total, 1)), -xp.inf)
        y = xp.where(xp.isnan(total), xp.nan, y)
        y = y.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y if keepdim else y.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _unreduce(g, x.ndim, ctx.axes, ctx.keepdim)
        return g * array_module(x).exp(x - y), None, None


def logsumexp(x, dim=None, keepdim: bool = False, **kwargs):
    """log(sum(exp(x))) over ``dim``, without overflow for large x.

    Example:
        >>> import minidl
        >>> logsumexp(minidl.tensor([1e4, 1e4]), dim=0).item()
        10000.693...
    """
    x = ensure_tensor(x)
    dim, keepdim = resolve_dim_kwargs("logsumexp", dim, keepdim, kwargs)
    if dim is None:
        raise ArgumentTypeError("logsumexp: dim must be given (an int or a tuple of ints)")
    axes, keepdim = _axes("logsumexp", x, dim, keepdim, {})
    return LogSumExp.apply(x, axes, keepdim)


class Softmax(Function):
    """y[i] = exp(x[i] - m) / sum_j exp(x[j] - m) (m = max x, for stability).

    Jacobian dy[i]/dx[j] = y[i] (delta_ij - y[j]), so
    dL/dx = y * (g - sum_j g[j] y[j]).
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        e = xp.exp(x - _stable_max(x, dim))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Function):
    """y[i] = x[i] - logsumexp(x).

    dy[i]/dx[j] = delta_ij - softmax(x)[j], so dL/dx = g - exp(y) * sum_j g[j].
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        shifted = x - _stable_max(x, dim)
        total = xp.exp(shifted).sum(axis=dim, keepdims=True)
        if x.size == 0:  # an empty dim sums to 0: nothing to normalise, no log(0) warning
            total = xp.ones_like(total)
        y = shifted - xp.log(total)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - array_module(y).exp(y) * g.sum(axis=ctx.dim, keepdims=True), None


def _softmax_dim(op: str, x, dim, kwargs) -> int:
    dim, _ = resolve_dim_kwargs(op, dim, False, kwargs)
    if dim is None:
        raise ArgumentTypeError(f"{op}: dim must be given (the dimension that sums to 1)")
    return normalize_dim(dim, x.ndim, op) if x.ndim else None


def softmax(x, dim, **kwargs):
    """exp(x) / sum(exp(x)) along ``dim``; stable for large logits.

    Args:
        x: input tensor (logits).
        dim: the dimension along which the result sums to 1.
        dtype: (keyword) optionally cast x to this dtype first.

    Example:
        >>> import minidl
        >>> softmax(minidl.tensor([[0.0, 0.0], [1e4, 0.0]]), dim=1).tolist()
        [[0.5, 0.5], [1.0, 0.0]]
    """
    x = ensure_tensor(x)
    dtype = _pop_dtype(kwargs)
    if dtype is not None:
        x = x.to(dtype)
    return Softmax.apply(x, _softmax_dim("softmax", x, dim, kwargs))


def log_softmax(x, dim, **kwargs):
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x) (no log of 0).

    Example:
        >>> import minidl
        >>> log_softmax(minidl.tensor([1e4, 0.0]), dim=0).tolist()
        [0.0, -10000.0]
    """
    x = ensure_tensor(x)
    dtype = _pop_dtype(kwargs)
    if dtype is not None:
        x = x.to(dtype)
    return LogSoftmax.apply(x, _softmax_dim("log_softmax", x, dim, kwargs))


# ------------------------------------------------ indices and truth (no gradient)
def _arg_extremum(data, dim, keepdim: bool, largest: bool):
    """argmax/argmin of a raw array along ``dim`` (None: of the flattened array), as int64."""
    xp = array_module(data)
    find = xp.argmax if largest else xp.argmin
    if dim is None:
        idx = find(data.reshape(-1))
        idx = xp.asarray(idx, dtype=np.int64)
        return idx.reshape((1,) * data.ndim) if keepdim else idx
    idx = find(data, axis=dim).astype(np.int64)
    return xp.expand_dims(idx, dim) if keepdim else idx


def argmax(x, dim=None, keepdim: bool = False, **kwargs):
    """Index of the largest element (of the flattened tensor when ``dim`` is None), int64.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> argmax(x).item(), argmax(x, dim=1).tolist()
        (2, [1, 0])
    """
    x = ensure_tensor(x)
    dim, keepdim = resolve_dim_kwargs("argmax", dim, keepdim, kwargs)
    dim = None if dim is None or x.ndim == 0 else normalize_dim(dim, x.ndim, "argmax")
    _check_nonempty("argmax", x, None)
    return Tensor._wrap(_arg_extremum(x._array, dim, keepdim, True))


def argmin(x, dim=None, keepdim: bool = False, **kwargs):
    """Index of the smallest element (of the flattened tensor when ``dim`` is None), int64.

    Example:
        >>> import minidl
        >>> argmin(minidl.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0).tolist()
        [0, 1]
    """
    x = ensure_tensor(x)
    dim, keepdim = resolve_dim_kwargs("argmin", dim, keepdim, kwargs)
    dim = None if dim is None or x.ndim == 0 else normalize_dim(dim, x.ndim, "argmin")
    _check_nonempty("argmin", x, None)
    return Tensor._wrap(_arg_extremum(x._array, dim, keepdim, False))


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices.

    Values are differentiable (the gradient goes back to the chosen positions).
    The result is always sorted, best first, whatever ``sorted`` says.

    Args:
        x: input tensor.
        k: how many entries to keep.
        dim: the dimension to search.
        largest: the largest (True) or the smallest entries.

    Shape:
        values, indices: x's shape with ``k`` in place of ``x.size(dim)``.

    Example:
        >>> import minidl
        >>> values, indices = topk(minidl.tensor([1.0, 9.0, 3.0, 7.0]), 2)
        >>> values.tolist(), indices.tolist()
        ([9.0, 7.0], [1, 3])
    """
    x = ensure_tensor(x)
    if x.ndim == 0:
        x = x.reshape(1)
    d = normalize_dim(dim, x.ndim, "topk")
    if not 0 <= k <= x.shape[d]:
        raise ShapeError(f"topk: k={k} is out of range for dim {dim} of size {x.shape[d]}")
    xp = array_module(x._array)
    order = xp.argsort(-x._array if largest else x._array, axis=d)
    indices = order[(slice(None),) * d + (slice(0, k),)].astype(np.int64)
    return TopkResult(gather(x, d, indices), Tensor._wrap(indices))


def any(x, dim=None, keepdim: bool = False):  # noqa: A001 (PyTorch's name)
    """True where any element over ``dim`` is non-zero (a bool tensor, no gradient).

    Example:
        >>> import minidl
        >>> any(minidl.tensor([[0.0, 1.0], [0.0, 0.0]]), dim=1).tolist()
        [True, False]
    """
    x = ensure_tensor(x)
    axes, keepdim = _axes("any", x, dim, keepdim, {})
    return Tensor._wrap(array_module(x._array).any(x._array, axis=axes, keepdims=keepdim))


def all(x, dim=None, keepdim: bool = False):  # noqa: A001 (PyTorch's name)
    """True where every element over ``dim`` is non-zero (a bool tensor, no gradient).

    Example:
        >>> import minidl
        >>> all(minidl.tensor([[1.0, 1.0], [0.0, 1.0]]), dim=1).tolist()
        [True, False]
    """
    x = ensure_tensor(x)
    axes, keepdim = _axes("all", x, dim, keepdim, {})
    return Tensor._wrap(array_module(x._array).all(x._array, axis=axes, keepdims=keepdim))
