"""``Unfold`` and ``Fold``: im2col and col2im as layers (see :mod:`minidl.nn.functional.folding`)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Extract sliding windows as columns (see :func:`F.unfold`).

    Args:
        kernel_size: int or (KH, KW).
        dilation: int or (DH, DW).
        padding: int or (PH, PW).
        stride: int or (SH, SW).

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C*KH*KW, L) or (C*KH*KW, L), L = OH*OW.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Unfold(3, padding=1)(minidl.randn(2, 4, 8, 8)).shape
        (2, 36, 64)
        >>> nn.Unfold(3, padding=1)
        Unfold(kernel_size=3, dilation=1, padding=1, stride=1)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Add columns of windows back into an image (see :func:`F.fold`).

    Args:
        output_size: int or (H, W), the image size.
        kernel_size, dilation, padding, stride: as for :class:`Unfold`.

    Shape:
        (N, C*KH*KW, L) or (C*KH*KW, L) -> (N, C, H, W) or (C, H, W).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Fold((8, 8), 3, padding=1)(minidl.randn(2, 36, 64)).shape
        (2, 4, 8, 8)
        >>> nn.Fold((8, 8), 3)
        Fold(output_size=(8, 8), kernel_size=3, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
