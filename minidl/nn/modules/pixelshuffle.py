"""``PixelShuffle`` and ``PixelUnshuffle`` (see :mod:`minidl.nn.functional.pixelshuffle`)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r): the upsampling of sub-pixel convolution (ESPCN).

    Args:
        upscale_factor: r.

    Shape:
        (*, C*r^2, H, W) -> (*, C, H*r, W*r).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.PixelShuffle(3)(minidl.randn(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
        >>> nn.PixelShuffle(3)
        PixelShuffle(upscale_factor=3)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W): the inverse of :class:`PixelShuffle`.

    Args:
        downscale_factor: r.

    Shape:
        (*, C, H*r, W*r) -> (*, C*r^2, H, W).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.PixelUnshuffle(2)(minidl.randn(1, 3, 8, 8)).shape
        (1, 12, 4, 4)
        >>> nn.PixelUnshuffle(2)
        PixelUnshuffle(downscale_factor=2)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
