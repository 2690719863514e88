"""Activation layers: each calls one function of :mod:`minidl.nn.functional`.

Example:
    >>> import minidl, minidl.nn as nn
    >>> nn.LeakyReLU(0.2)
    LeakyReLU(negative_slope=0.2)
    >>> nn.Softmax(dim=1)(minidl.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module
from ...errors import ArgumentError

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Sigmoid", "Tanh",
    "Hardtanh", "Softmax", "LogSoftmax",
    "Hardsigmoid", "Hardswish", "SELU", "CELU", "Mish", "Softsign", "LogSigmoid", "Softmin",
]


class ReLU(Module):
    """max(x, 0), element-wise (see :func:`minidl.nn.functional.relu`).

    Args:
        inplace: write the result into the input (as PyTorch's ``inplace=True``).

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ReLU()(minidl.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    """Clip to [min_val, max_val] (see :func:`minidl.nn.functional.hardtanh`).

    Args:
        min_val, max_val: the bounds (default -1, 1).
        inplace: write the result into the input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Hardtanh(-2.0, 2.0)(minidl.tensor([-5.0, 1.0, 5.0])).tolist()
        [-2.0, 1.0, 2.0]
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ArgumentError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        text = f"min_val={self.min_val}, max_val={self.max_val}"
        return text + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) (see :func:`minidl.nn.functional.relu6`).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ReLU6()(minidl.tensor([-1.0, 7.0])).tolist()
        [0.0, 6.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise (see :func:`~minidl.nn.functional.leaky_relu`).

    Args:
        negative_slope: slope for negative inputs (default 0.01).
        inplace: write the result into the input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.LeakyReLU(0.5)(minidl.tensor([-1.0, 1.0])).tolist()
        [-0.5, 1.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise (see :func:`~minidl.nn.functional.elu`).

    Args:
        alpha: the value approached for very negative x is -alpha (default 1).
        inplace: write the result into the input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ELU()(minidl.tensor([2.0])).tolist()
        [2.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x) (see :func:`minidl.nn.functional.gelu`).

    Args:
        approximate: ``"none"`` (exact) or ``"tanh"``.

    Example:
        >>> import minidl.nn as nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ArgumentError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (see :func:`minidl.nn.functional.silu`).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.SiLU()(minidl.tensor([0.0])).tolist()
        [0.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (see :func:`minidl.nn.functional.softplus`).

    Args:
        beta: sharpness (default 1).
        threshold: above ``beta * x > threshold`` the output is x (default 20).

    Example:
        >>> import minidl.nn as nn
        >>> nn.Softplus(beta=2.0)
        Softplus(beta=2.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        if beta <= 0:
            raise ArgumentError(f"Softplus: beta must be positive, got {beta}")
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), element-wise.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Sigmoid()(minidl.tensor([0.0])).tolist()
        [0.5]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, element-wise.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Tanh()(minidl.tensor([0.0])).tolist()
        [0.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softmax(Module):
    """Probabilities along ``dim``: exp(x) / sum(exp(x)).

    Args:
        dim: the dimension that sums to 1.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl.nn as nn
        >>> nn.Softmax(dim=-1)
        Softmax(dim=-1)
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably.

    Args:
        dim: the class dimension.

    Example:
        >>> import minidl.nn as nn
        >>> nn.LogSoftmax(dim=1)
        LogSoftmax(dim=1)
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _Inplace(Module):
    """An activation without settings but PyTorch's ``inplace`` flag (accepted, no effect).

    ``_show_inplace``: whether PyTorch's printout shows the flag for this layer.
    """

    _show_inplace = True

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace and self._show_inplace else ""


class Hardsigmoid(_Inplace):
    """``relu6(x + 3) / 6`` (see :func:`minidl.nn.functional.hardsigmoid`).

    Args:
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Hardsigmoid()(minidl.tensor([-3.0, 0.0, 3.0])).tolist()
        [0.0, 0.5, 1.0]
    """

    _show_inplace = False

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input)


class Hardswish(_Inplace):
    """``x * relu6(x + 3) / 6`` (see :func:`minidl.nn.functional.hardswish`).

    Args:
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Hardswish()(minidl.tensor([-3.0, 0.0, 3.0])).tolist()
        [-0.0, 0.0, 3.0]
    """

    _show_inplace = False

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input)


class SELU(_Inplace):
    """Scaled ELU of self-normalising networks (see :func:`minidl.nn.functional.selu`).

    Args:
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> [round(v, 4) for v in nn.SELU()(minidl.tensor([-1.0, 1.0])).tolist()]
        [-1.1113, 1.0507]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input)


class CELU(Module):
    """``alpha * elu(x / alpha)`` (see :func:`minidl.nn.functional.celu`).

    Args:
        alpha: the value approached for very negative x is -alpha (default 1; not 0).
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.CELU(alpha=2.0)
        CELU(alpha=2.0)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        if alpha == 0:
            raise ArgumentError("CELU: alpha must not be 0 (it divides x), got 0")
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Mish(_Inplace):
    """``x * tanh(softplus(x))`` (see :func:`minidl.nn.functional.mish`).

    Args:
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Mish()(minidl.zeros(2)).tolist()
        [0.0, 0.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)


class Softsign(Module):
    """``x / (1 + |x|)`` (see :func:`minidl.nn.functional.softsign`).

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Softsign()(minidl.tensor([1.0, -3.0])).tolist()
        [0.5, -0.75]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, stably (see :func:`minidl.nn.functional.logsigmoid`).

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> [round(v, 4) for v in nn.LogSigmoid()(minidl.tensor([0.0])).tolist()]
        [-0.6931]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(Module):
    """``softmax(-x)`` along ``dim`` (see :func:`minidl.nn.functional.softmin`).

    Args:
        dim: the dimension that sums to 1.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl.nn as nn
        >>> nn.Softmin(dim=1)
        Softmin(dim=1)
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
