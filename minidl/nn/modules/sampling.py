"""Resampling layers: ``Upsample`` (and its two fixed variants), ``PixelShuffle`` /
``PixelUnshuffle`` and the padding layers (``ZeroPad2d``, ``ReflectionPad2d``, ...).

None of them has parameters; each stores its settings and calls one op of
:mod:`minidl.nn.functional.sampling`.
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module
from ...errors import ShapeError

__all__ = [
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
]


class Upsample(Module):
    """Resize the spatial dims: ``F.interpolate`` as a layer (a decoder's upsampling step).

    Args:
        size: output spatial size (int or tuple).
        scale_factor: multiplier of the spatial size (int, float or tuple).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'.
        align_corners: linear modes only; see :func:`minidl.nn.functional.interpolate`.
        recompute_scale_factor: sample with output/input instead of 1/scale_factor.

    Shape:
        - Input: (N, C, *spatial).
        - Output: (N, C, *size) or (N, C, *floor(spatial * scale_factor)).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
        >>> up(minidl.zeros(1, 3, 4, 5)).shape
        (1, 3, 8, 10)
        >>> up
        Upsample(scale_factor=2.0, mode='bilinear')
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W): ``Upsample(..., mode='nearest')``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.UpsamplingNearest2d(scale_factor=2)(minidl.zeros(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with aligned corners (``align_corners=True``).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.UpsamplingBilinear2d(size=3)(minidl.tensor([[[[0.0, 2.0]]]])).tolist()
        [[[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]]]
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Channels to space: (*, C*r^2, H, W) -> (*, C, H*r, W*r), r = upscale_factor.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.PixelShuffle(3)(minidl.zeros(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Space to channels: (*, C, H*r, W*r) -> (*, C*r^2, H, W), r = downscale_factor.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.PixelUnshuffle(2)(minidl.zeros(1, 1, 4, 4)).shape
        (1, 4, 2, 2)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


# ------------------------------------------------------------------- padding
class _PadNd(Module):
    """Pad the last ``dims`` dims with ``F.pad(input, padding, mode, value)``."""

    mode = "constant"
    dims = 2

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.dims:
            raise ShapeError(f"{self._get_name()}: expected padding as an int or a tuple of "
                             f"{2 * self.dims} ints, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            want = "(C, L) or (N, C, L)" if self.dims == 1 else "(C, H, W) or (N, C, H, W)"
            raise ShapeError(f"{self._get_name()}({self.padding}): expected input of shape "
                             f"{want}, got {tuple(input.shape)}")
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        if self.mode == "constant" and type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value``; ``padding`` is an int or (left, right).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ConstantPad1d((1, 2), 9.0)(minidl.zeros(1, 1, 2)).tolist()
        [[[9.0, 0.0, 0.0, 9.0, 9.0]]]
    """

    dims = 1


class ConstantPad2d(_PadNd):
    """Pad the last two dims with ``value``; ``padding`` is an int or (left, right, top, bottom).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ConstantPad2d(1, 0.5)(minidl.zeros(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    dims = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros; ``padding`` is an int or (left, right)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros; ``padding`` is an int or (left, right, top, bottom).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ZeroPad2d((1, 1, 2, 0))(minidl.ones(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its ends (edges not repeated): ``c b | a b c | b a``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ReflectionPad1d(2)(minidl.tensor([[[0.0, 1.0, 2.0]]])).tolist()
        [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]]]
    """

    mode, dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their edges; ``padding`` int or (left, right, top, bottom).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.ReflectionPad2d(1)(minidl.zeros(1, 3, 4, 4)).shape
        (1, 3, 6, 6)
    """

    mode, dims = "reflect", 2


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim: ``a a | a b c | c c``."""

    mode, dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims; ``padding`` int or 4-tuple."""

    mode, dims = "replicate", 2


class CircularPad1d(_PadNd):
    """Wrap the last dim around: ``b c | a b c | a b``."""

    mode, dims = "circular", 1


class CircularPad2d(_PadNd):
    """Wrap the last two dims around (a torus); ``padding`` int or 4-tuple."""

    mode, dims = "circular", 2
