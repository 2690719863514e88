"""``Linear``: the fully connected layer ``y = x W^T + b``."""
from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from .. import init
from .module import Module, Parameter
from ...errors import ShapeError

__all__ = ["Linear"]


class Linear(Module):
    """Fully connected layer: ``y = x W^T + b``.

    Args:
        in_features: size of each input sample (the last dimension).
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (out_features, in_features), initialised from U(-k, k) with
            k = 1/sqrt(in_features) (kaiming_uniform_ with a=sqrt(5)).
        bias: (out_features,), from the same U(-k, k).

    Shape:
        - Input: (*, in_features), ``*`` any leading dimensions.
        - Output: (*, out_features).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> fc = nn.Linear(20, 30)
        >>> fc(minidl.randn(128, 20)).shape
        (128, 30)
        >>> fc
        Linear(in_features=20, out_features=30, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ShapeError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = in_features
        self.out_features = out_features
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(Tensor(np.empty((out_features, in_features), dtype),
                                       device=device))
        if bias:
            self.bias = Parameter(Tensor(np.empty(out_features, dtype), device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        kaiming_uniform_ with a = sqrt(5) gives gain sqrt(2 / 6) = sqrt(1/3) and a
        bound of sqrt(3) * sqrt(1/3) / sqrt(fan_in) = 1 / sqrt(fan_in).
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"expected input with last dimension {self.in_features}, got shape "
                f"{tuple(input.shape)}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
