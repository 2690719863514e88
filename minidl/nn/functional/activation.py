"""Activation functions: element-wise non-linearities, softmax and log-softmax.

``relu``, ``sigmoid``, ``tanh``, ``softmax`` and ``log_softmax`` are the ops of
:mod:`minidl.ops`; the others are written here, each as a Function with its
closed-form derivative next to the forward.

About ``inplace=True``: as in PyTorch, the result is written into the input, which is
returned (with PyTorch's rules for in-place changes, see :mod:`minidl.inplace`: refused on a
parameter while gradients are recorded, and backward refuses if the input was saved by
the op before it).

Notation: ``x`` input, ``y`` output, ``g`` = dL/dy.
"""
from __future__ import annotations

import math
import warnings

from ... import inplace as _inplace
from ... import ops
from ...autograd.function import Function
from ...backend import array_module
from ...ops.elementwise import _erf
from ...tensor import Tensor
from ...errors import ArgumentError

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh",
    "hardtanh", "softmax", "log_softmax",
    "hardsigmoid", "hardswish", "selu", "celu", "mish", "softsign", "logsigmoid", "softmin",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), element-wise.

    Args:
        input: any shape.
        inplace: write the result into ``input`` and return it.

    Example:
        >>> import minidl
        >>> relu(minidl.tensor([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    return _maybe_inplace(input, inplace, "relu", ops.relu)


def _maybe_inplace(input, inplace: bool, name: str, fn, *args):
    """fn(input, *args), written into ``input`` when ``inplace`` (PyTorch's ``inplace=True``)."""
    if inplace:
        return _inplace.apply(input, name + "_", fn, *args)
    return fn(input, *args)


# ----------------------------------------------------------------- hardtanh, relu6
class Hardtanh(Function):
    """y = clip(x, lo, hi); dy/dx = 1 strictly inside (lo, hi), else 0."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = (x > lo) & (x < hi)
        ctx.save_for_backward(inside)
        return array_module(x).clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clip to [min_val, max_val]; the gradient is 0 outside (and at the edges).

    Example:
        >>> import minidl
        >>> hardtanh(minidl.tensor([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ArgumentError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _maybe_inplace(input, inplace, "hardtanh", Hardtanh.apply, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6), as in MobileNet.

    Example:
        >>> import minidl
        >>> relu6(minidl.tensor([-1.0, 3.0, 9.0])).tolist()
        [0.0, 3.0, 6.0]
    """
    return _maybe_inplace(input, inplace, "relu6", Hardtanh.apply, 0.0, 6.0)


# ------------------------------------------------------------------ leaky_relu, elu
class LeakyReLU(Function):
    """y = x for x > 0, slope * x otherwise; dy/dx = 1 or slope."""

    @staticmethod
    def forward(ctx, x, slope):
        xp = array_module(x)
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.slope = slope
        return xp.where(positive, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (positive,) = ctx.saved_tensors
        return array_module(g).where(positive, g, g * ctx.slope), None


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0 and ``negative_slope * x`` otherwise.

    Example:
        >>> import minidl
        >>> leaky_relu(minidl.tensor([-2.0, 3.0]), 0.5).tolist()
        [-1.0, 3.0]
    """
    return _maybe_inplace(input, inplace, "leaky_relu", LeakyReLU.apply, negative_slope)


class ELU(Function):
    """y = x for x > 0, alpha (e^x - 1) otherwise; dy/dx = 1 or alpha e^x (= y + alpha)."""

    @staticmethod
    def forward(ctx, x, alpha):
        xp = array_module(x)
        positive = x > 0
        # exp of the negative part only, so that large positive x cannot overflow
        y = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)
        ctx.save_for_backward(positive, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g):
        positive, y = ctx.saved_tensors
        return array_module(g).where(positive, g, g * (y + ctx.alpha)), None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: x for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in elu(minidl.tensor([-1.0, 2.0])).tolist()]
        [-0.6321, 2.0]
    """
    return _maybe_inplace(input, inplace, "elu", ELU.apply, alpha)


# ------------------------------------------------------------------- gelu, silu
class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF; dy/dx = Phi(x) + x * phi(x).

    The tanh approximation replaces Phi(x) by (1 + tanh(u)) / 2 with
    u = sqrt(2/pi) (x + 0.044715 x^3); then
    dy/dx = (1 + t)/2 + x/2 (1 - t^2) du/dx, t = tanh(u), du/dx = sqrt(2/pi)(1 + 3 * 0.044715 x^2).
    """

    @staticmethod
    def forward(ctx, x, approximate):
        xp = array_module(x)
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            return (0.5 * x * (1 + xp.tanh(u))).astype(x.dtype, copy=False)
        cdf = 0.5 * (1 + _erf(xp, x / math.sqrt(2)))
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = xp.tanh(k * (x + 0.044715 * x ** 3))
            du = k * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
        cdf = 0.5 * (1 + _erf(xp, x / math.sqrt(2)))
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (cdf + x * pdf), None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)`` (used by Transformers and ConvNeXt).

    Args:
        input: any shape.
        approximate: ``"none"`` (exact, with erf) or ``"tanh"`` (the tanh approximation).

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in gelu(minidl.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.1587, 0.0, 0.8413]
    """
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


class SiLU(Function):
    """y = x * s, s = sigmoid(x); dy/dx = s + x s (1 - s) = s (1 + x (1 - s))."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        s = (0.5 * xp.tanh(0.5 * x) + 0.5).astype(x.dtype, copy=False)  # stable sigmoid
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in silu(minidl.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.2689, 0.0, 0.7311]
    """
    return _maybe_inplace(input, inplace, "silu", SiLU.apply)


# ---------------------------------------------------------------------- softplus
class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold (numerically equal).

    dy/dx = sigmoid(beta x) (and 1 in the linear region).
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = array_module(x)
        bx = beta * x
        linear = bx > threshold
        # log1p(e^z) = max(z, 0) + log1p(e^-|z|) never overflows
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        ctx.save_for_backward(bx, linear)
        return xp.where(linear, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        bx, linear = ctx.saved_tensors
        xp = array_module(bx)
        s = 0.5 * xp.tanh(0.5 * bx) + 0.5
        return g * xp.where(linear, 1, s), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth ReLU: ``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in softplus(minidl.tensor([0.0, 30.0])).tolist()]
        [0.6931, 30.0]
    """
    if beta <= 0:
        raise ArgumentError(f"softplus: beta must be positive, got {beta}")
    return Softplus.apply(input, beta, threshold)


# ---------------------------------------------------------- sigmoid, tanh, softmax
def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), element-wise.

    Example:
        >>> import minidl
        >>> sigmoid(minidl.tensor([0.0])).tolist()
        [0.5]
    """
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, element-wise.

    Example:
        >>> import minidl
        >>> tanh(minidl.tensor([0.0])).tolist()
        [0.0]
    """
    return ops.tanh(input)


def _implicit_dim(op: str, ndim: int) -> int:
    """PyTorch's old rule for softmax without ``dim``: 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(f"{op}: implicit dimension choice is deprecated; pass dim=", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``: turns scores into probabilities.

    Args:
        input: any shape.
        dim: the dimension that sums to 1 (the class dimension, usually 1 or -1).
        dtype: cast the input to this dtype first.

    Example:
        >>> import minidl
        >>> softmax(minidl.tensor([[0.0, 0.0]]), dim=1).tolist()
        [[0.5, 0.5]]
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return ops.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably as ``x - logsumexp(x)``.

    Args:
        input: any shape.
        dim: the class dimension.
        dtype: cast the input to this dtype first.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in log_softmax(minidl.tensor([0.0, 0.0]), dim=0).tolist()]
        [-0.6931, -0.6931]
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return ops.log_softmax(input, dim)


# ------------------------------------------------------------ hardsigmoid, hardswish
class Hardsigmoid(Function):
    """y = clip(x / 6 + 1/2, 0, 1); dy/dx = 1/6 strictly inside (-3, 3), else 0."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        inside = (x > -3) & (x < 3)
        ctx.save_for_backward(inside)
        return xp.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside / 6


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """A piecewise-linear sigmoid: ``relu6(x + 3) / 6`` (MobileNetV3's gates).

    Args:
        input: any shape.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> hardsigmoid(minidl.tensor([-4.0, 0.0, 1.5, 4.0])).tolist()
        [0.0, 0.5, 0.75, 1.0]
    """
    return Hardsigmoid.apply(input)


class Hardswish(Function):
    """y = x * relu6(x + 3) / 6; dy/dx = 0 below -3, x/3 + 1/2 on [-3, 3], 1 above 3."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        ctx.save_for_backward(x)
        return (x * xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        # the same branches as PyTorch: below -3, up to and including 3, above 3
        slope = xp.where(x < -3, 0, xp.where(x <= 3, x / 3 + 0.5, 1))
        return g * slope.astype(g.dtype, copy=False)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``, a cheap swish (MobileNetV3).

    Args:
        input: any shape.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> hardswish(minidl.tensor([-4.0, -1.5, 0.0, 1.5, 4.0])).tolist()
        [-0.0, -0.375, 0.0, 1.125, 4.0]
    """
    return Hardswish.apply(input)


# ----------------------------------------------------------------------- selu, celu
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU, ``scale * elu(x, alpha)`` with the constants of the self-normalising
    networks paper (alpha = 1.6733, scale = 1.0507): activations keep mean 0, variance 1.

    Args:
        input: any shape.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in selu(minidl.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-1.1113, 0.0, 2.1014]
    """
    return ELU.apply(input, SELU_ALPHA) * SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Continuously differentiable ELU: x for x > 0, ``alpha * (exp(x / alpha) - 1)``
    otherwise, i.e. ``alpha * elu(x / alpha)``.

    Args:
        input: any shape.
        alpha: the negative saturation value is -alpha; must not be 0.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in celu(minidl.tensor([-1.0, 2.0]), alpha=2.0).tolist()]
        [-0.7869, 2.0]
    """
    if alpha == 0:
        raise ArgumentError("celu: alpha must not be 0 (it divides x), got 0")
    return ELU.apply(input / alpha, 1.0) * alpha


# ------------------------------------------------------------ mish, softsign, logsigmoid
class Mish(Function):
    """y = x * tanh(softplus(x)); with t = tanh(softplus(x)) and s = sigmoid(x),
    dy/dx = t + x * (1 - t^2) * s (since d softplus / dx = s)."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        # log1p(e^x) = max(x, 0) + log1p(e^-|x|) never overflows
        t = xp.tanh(xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x))))
        ctx.save_for_backward(x, t)
        return (x * t).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        s = 0.5 * array_module(x).tanh(0.5 * x) + 0.5                 # stable sigmoid
        return g * (t + x * (1 - t * t) * s)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, a smooth, non-monotonic ReLU (YOLOv4).

    Args:
        input: any shape.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in mish(minidl.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.3034, 0.0, 0.8651]
    """
    return Mish.apply(input)


class Softsign(Function):
    """y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        d = 1 + array_module(x).abs(x)
        ctx.save_for_backward(d)
        return (x / d).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return g / (d * d)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``, a tanh-like squashing to (-1, 1) with polynomial tails.

    Example:
        >>> import minidl
        >>> softsign(minidl.tensor([-3.0, 0.0, 1.0])).tolist()
        [-0.75, 0.0, 0.5]
    """
    return Softsign.apply(input)


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|); dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        ctx.save_for_backward(x)
        return (xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (0.5 - 0.5 * array_module(x).tanh(0.5 * x))      # sigmoid(-x), stably


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed without overflow (the log-likelihood of a logit).

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in logsigmoid(minidl.tensor([-100.0, 0.0, 2.0])).tolist()]
        [-100.0, -0.6931, -0.1269]
    """
    return LogSigmoid.apply(input)


# -------------------------------------------------------------------------- softmin
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``: the smallest values get the largest probabilities.

    Args:
        input: any shape.
        dim: the dimension that sums to 1.
        dtype: cast the input to this dtype first.

    Example:
        >>> import minidl
        >>> [round(v, 4) for v in softmin(minidl.tensor([1.0, 2.0, 3.0]), dim=0).tolist()]
        [0.6652, 0.2447, 0.09]
    """
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return ops.softmax(-input, dim)
