"""Convolution layers: ``Conv2d`` and ``ConvTranspose2d``.

Each holds its weight and bias as Parameters, initialises them as PyTorch does
(``reset_parameters``) and calls one op of :mod:`minidl.nn.functional.conv`.
"""
from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.im2col import pair
from .module import Module, Parameter
from ...errors import ArgumentError, ShapeError

__all__ = ["Conv2d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Parameters, initialisation, printout and input checks shared by the conv layers."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        name = type(self).__name__
        if not isinstance(groups, int) or groups < 1:
            raise ArgumentError(f"{name}: groups must be a positive int, got {groups!r}")
        if in_channels % groups:
            raise ArgumentError(
                f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ArgumentError(
                f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ArgumentError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", name)
        self.stride = pair(stride, "stride", name)
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", name)
        self.dilation = pair(dilation, "dilation", name)
        self.transposed = transposed
        self.output_padding = pair(output_padding, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:   # conv_transpose2d's weight layout: (C_in, C_out/groups, KH, KW)
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:            # conv2d's: (C_out, C_in/groups, KH, KW)
            shape = (out_channels, in_channels // groups) + self.kernel_size
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(Tensor(np.empty(shape, dtype), device=device))
        if bias:
            self.bias = Parameter(Tensor(np.empty(out_channels, dtype), device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

        kaiming_uniform_ with a = sqrt(5) has gain sqrt(2 / (1 + 5)) and bound
        gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in), with fan_in = weight.shape[1] * KH * KW
        (for ConvTranspose2d that is C_out/groups * KH * KW, as in PyTorch).
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _layer_name(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size})")

    def _check_input(self, input) -> None:
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            expected = f"(N, {self.in_channels}, H, W)"
            if input.ndim != 4:  # unbatched inputs are accepted too
                expected += f" or ({self.in_channels}, H, W)"
            raise ShapeError(f"{self._layer_name()}: expected input of shape {expected}, got "
                             f"{tuple(input.shape)}")

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution layer: ``y = conv2d(x, weight) + bias``.

    Args:
        in_channels: C, channels of the input.
        out_channels: O, channels of the output (number of filters).
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW).
        padding: int, (PH, PW), ``'same'`` or ``'valid'`` (see :func:`F.conv2d`).
        dilation: int or (DH, DW).
        groups: split channels into independent groups (``groups=in_channels``: depthwise).
        bias: learn an additive bias per output channel (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (O, C/groups, KH, KW), from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            fan_in = C/groups * KH * KW (PyTorch's default).
        bias: (O,), from the same distribution.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, O, OH, OW) with ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        >>> conv(minidl.randn(8, 3, 32, 32)).shape
        (8, 16, 16, 16)
        >>> conv
        Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ArgumentError(
                    f"Conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
            if padding == "same" and pair(stride, "stride", "Conv2d") != (1, 1):
                raise ShapeError("Conv2d: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def _explicit_padding(self) -> tuple:
        """(left, right, top, bottom) amounts, as F.pad takes them, for non-zero modes."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":  # the extra row/column goes to the bottom/right
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            (pt, pb), (pl, pr) = ((t // 2, t - t // 2) for t in totals)
            return (pl, pr, pt, pb)
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution layer (the adjoint of Conv2d; "up-convolution").

    Args:
        in_channels: C_in, channels of the input.
        out_channels: C_out, channels of the output.
        kernel_size: int or (KH, KW).
        stride: int or (SH, SW): the output is about stride times larger than the input.
        padding: int or (PH, PW): rows/columns cut from each side of the full output.
        output_padding: extra rows/columns at the bottom/right (smaller than the stride or
            the dilation), to pick among the sizes a strided Conv2d maps to one size.
        groups: as in Conv2d.
        bias: learn an additive bias per output channel (default True).
        dilation: int or (DH, DW).
        padding_mode: only ``'zeros'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (C_in, C_out/groups, KH, KW).
        bias: (C_out,).

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W).
        - Output: (N, C_out, OH, OW) with
          ``OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding + 1``; ``forward`` also
          takes ``output_size=`` to choose output_padding from the wanted size.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> x = minidl.randn(1, 16, 5, 5)
        >>> up(x).shape, up(x, output_size=(10, 10)).shape
        ((1, 8, 9, 9), (1, 8, 10, 10))
        >>> up
        ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ArgumentError(
                f"ConvTranspose2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ShapeError(f"ConvTranspose2d: padding must be an int or a pair, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size) -> tuple:
        """The output_padding that gives ``output_size`` (H, W), or a clear error."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-2:]
        if len(size) != 2:
            raise ShapeError(f"{self._layer_name()}: output_size must give (H, W), got "
                             f"{output_size!r}")
        result = []
        for i in range(2):
            smallest = ((input.shape[-2 + i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                raise ShapeError(
                    f"{self._layer_name()}: requested an output size of {size}, but valid "
                    f"sizes range from {smallest} to {largest} along dimension {i} (for an "
                    f"input of {tuple(input.shape[-2:])})")
            result.append(size[i] - smallest)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
