"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``.

They have no parameters; each keeps its settings and calls one op of
:mod:`minidl.nn.functional.pooling`.
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


class MaxPool2d(Module):
    """2-D max pooling: the largest value of each window (see :func:`F.max_pool2d`).

    Args:
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW); default ``kernel_size``.
        padding: int or (PH, PW) of implicit -inf, at most half the kernel.
        dilation: int or (DH, DW).
        return_indices: also return the flat index of each maximum.
        ceil_mode: round the output size up.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW),
        ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> pool = nn.MaxPool2d(3, stride=2, padding=1)
        >>> pool(minidl.randn(2, 64, 112, 112)).shape
        (2, 64, 56, 56)
        >>> pool
        MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """2-D average pooling: the mean of each window (see :func:`F.avg_pool2d`).

    Args:
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW); default ``kernel_size``.
        padding: int or (PH, PW) of zeros, at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count padding zeros in the divisor (default True).
        divisor_override: divide every window sum by this number instead.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW),
        ``OH = floor((H + 2*PH - KH) / SH) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.AvgPool2d(2)(minidl.ones(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
        >>> nn.AvgPool2d(2)
        AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size.

    Args:
        output_size: int or (OH, OW); None in a place keeps that input size.
            ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.AdaptiveAvgPool2d((1, 1))(minidl.randn(4, 512, 7, 7)).shape
        (4, 512, 1, 1)
        >>> nn.AdaptiveAvgPool2d((5, None))
        AdaptiveAvgPool2d(output_size=(5, None))
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size, whatever the input size.

    Args:
        output_size: int or (OH, OW); None in a place keeps that input size.
        return_indices: also return the flat index of each maximum.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.AdaptiveMaxPool2d(3)(minidl.randn(1, 2, 7, 5)).shape
        (1, 2, 3, 3)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
