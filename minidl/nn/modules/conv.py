"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d`` and their transposes.

Each holds its weight and bias as Parameters, initialises them as PyTorch does
(``reset_parameters``) and calls one op of :mod:`minidl.nn.functional.conv` (2-D) or
:mod:`minidl.nn.functional.conv_nd` (1-D, 3-D). The shared base classes are written for
``_dims`` spatial dimensions.
"""
from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.im2col_nd import ntuple
from .module import Module, Parameter
from ...errors import ArgumentError, ShapeError

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Parameters, initialisation, printout and input checks shared by the conv layers."""

    _dims = 2                       # spatial dimensions
    _spatial = "H, W"               # their names, for error messages

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
        d = self._dims
        self.kernel_size = ntuple(kernel_size, d, "kernel_size", name)
        self.stride = ntuple(stride, d, "stride", name)
        self.padding = padding if isinstance(padding, str) else ntuple(padding, d, "padding",
                                                                       name)
        self.dilation = ntuple(dilation, d, "dilation", name)
        self.transposed = transposed
        self.output_padding = ntuple(output_padding, d, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:   # conv_transpose's weight layout: (C_in, C_out/groups, *kernel)
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:            # conv's: (C_out, C_in/groups, *kernel)
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
        (for ConvTranspose2d that is C_out/groups * KH * KW, as in PyTorch; KD * KH * KW or
        K in 3-D or 1-D).
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _layer_name(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size})")

    def _check_input(self, input) -> None:
        d = self._dims
        if input.ndim not in (d + 1, d + 2) or input.shape[-d - 1] != self.in_channels:
            expected = f"(N, {self.in_channels}, {self._spatial})"
            if input.ndim != d + 2:  # unbatched inputs are accepted too
                expected += f" or ({self.in_channels}, {self._spatial})"
            raise ShapeError(f"{self._layer_name()}: expected input of shape {expected}, got "
                             f"{tuple(input.shape)}")

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


    def _tuple_name(self) -> str:
        return "a pair" if self._dims == 2 else f"a tuple of {self._dims} ints"


class _Conv(_ConvNd):
    """What Conv1d, Conv2d and Conv3d share: string paddings, padding modes, the forward."""

    _conv = None  # the functional op, F.conv1d / F.conv2d / F.conv3d

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, device, dtype):
        name = type(self).__name__
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ArgumentError(f"{name}: padding must be an int, {self._tuple_name()}, "
                                    f"'same' or 'valid', got {padding!r}")
            unit = (1,) * self._dims
            if padding == "same" and ntuple(stride, self._dims, "stride", name) != unit:
                raise ShapeError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def _explicit_padding(self) -> tuple:
        """The amounts F.pad takes for non-zero modes: last dimension first, (before, after)."""
        if self.padding == "valid":
            pairs = [(0, 0)] * self._dims
        elif self.padding == "same":  # the odd extra goes to the end (bottom/right)
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(amount for pair_ in reversed(pairs) for amount in pair_)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)


class Conv1d(_Conv):
    """1-D convolution layer over sequences: ``y = conv1d(x, weight) + bias``.

    Args:
        in_channels: C, channels of the input.
        out_channels: O, channels of the output.
        kernel_size: int (K).
        stride: int.
        padding: int, ``'same'`` or ``'valid'`` (see :func:`F.conv1d`).
        dilation: int.
        groups: split channels into independent groups.
        bias: learn an additive bias per output channel (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (O, C/groups, K), from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
            fan_in = C/groups * K.
        bias: (O,), from the same distribution.

    Shape:
        - Input: (N, C, L) or (C, L).
        - Output: (N, O, OL) with ``OL = floor((L + 2*P - D*(K-1) - 1) / S) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> conv = nn.Conv1d(4, 8, 3, padding=1)
        >>> conv(minidl.randn(2, 4, 50)).shape
        (2, 8, 50)
        >>> conv
        Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=(1,))
    """

    _dims, _spatial = 1, "L"
    _conv = staticmethod(F.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv2d(_Conv):
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

    _conv = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv3d(_Conv):
    """3-D convolution layer over volumes (video, CT/MRI): ``y = conv3d(x, weight) + bias``.

    Args:
        in_channels: C, channels of the input.
        out_channels: O, channels of the output.
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW).
        padding: int, (PD, PH, PW), ``'same'`` or ``'valid'`` (see :func:`F.conv3d`).
        dilation: int or (DD, DH, DW).
        groups: split channels into independent groups.
        bias: learn an additive bias per output channel (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (O, C/groups, KD, KH, KW), from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
            fan_in = C/groups * KD * KH * KW.
        bias: (O,), from the same distribution.

    Shape:
        - Input: (N, C, D, H, W) or (C, D, H, W).
        - Output: (N, O, OD, OH, OW), ``OD = floor((D + 2*PD - DD*(KD-1) - 1) / SD) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> conv = nn.Conv3d(1, 4, 3, stride=2, padding=1)
        >>> conv(minidl.randn(2, 1, 8, 16, 16)).shape
        (2, 4, 4, 8, 8)
        >>> conv
        Conv3d(1, 4, kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1))
    """

    _dims, _spatial = 3, "D, H, W"
    _conv = staticmethod(F.conv3d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class _ConvTranspose(_ConvNd):
    """What the ConvTranspose layers share: argument checks, output_size=, the forward."""

    _conv_transpose = None  # the functional op

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding,
                 groups, bias, dilation, padding_mode, device, dtype):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ArgumentError(
                f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ShapeError(
                f"{name}: padding must be an int or {self._tuple_name()}, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size) -> tuple:
        """The output_padding that gives ``output_size`` (the spatial sizes), or a clear error."""
        if output_size is None:
            return self.output_padding
        d = self._dims
        size = ((output_size,) if isinstance(output_size, int) else tuple(output_size))[-d:]
        if len(size) != d:
            raise ShapeError(f"{self._layer_name()}: output_size must give ({self._spatial}), "
                             f"got {output_size!r}")
        result = []
        for i in range(d):
            smallest = ((input.shape[-d + i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                raise ShapeError(
                    f"{self._layer_name()}: requested an output size of {size}, but valid "
                    f"sizes range from {smallest} to {largest} along dimension {i} (for an "
                    f"input of {tuple(input.shape[-d:])})")
            result.append(size[i] - smallest)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return type(self)._conv_transpose(input, self.weight, self.bias, self.stride,
                                          self.padding, output_padding, self.groups,
                                          self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer (the adjoint of Conv1d): a learned upsampling.

    Args:
        in_channels: C_in, channels of the input.
        out_channels: C_out, channels of the output.
        kernel_size: int (K).
        stride: int: the output is about stride times longer than the input.
        padding: int: elements cut from each end of the full output.
        output_padding: extra elements at the end (smaller than the stride or the dilation).
        groups: as in Conv1d.
        bias: learn an additive bias per output channel (default True).
        dilation: int.
        padding_mode: only ``'zeros'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (C_in, C_out/groups, K).
        bias: (C_out,).

    Shape:
        - Input: (N, C_in, L) or (C_in, L).
        - Output: (N, C_out, OL), ``OL = (L - 1)*S - 2*P + D*(K - 1) + output_padding + 1``;
          ``forward`` also takes ``output_size=``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> up = nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)
        >>> up(minidl.randn(2, 8, 25)).shape
        (2, 4, 50)
    """

    _dims, _spatial = 1, "L"
    _conv_transpose = staticmethod(F.conv_transpose1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         groups, bias, dilation, padding_mode, device, dtype)


class ConvTranspose2d(_ConvTranspose):
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

    _conv_transpose = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         groups, bias, dilation, padding_mode, device, dtype)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution layer (the adjoint of Conv3d): a learned volume upsampling.

    Args:
        in_channels: C_in, channels of the input.
        out_channels: C_out, channels of the output.
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW).
        padding: int or (PD, PH, PW): cut from each side of the full output.
        output_padding: extra elements at the end of each dimension (smaller than the
            stride or the dilation there).
        groups: as in Conv3d.
        bias: learn an additive bias per output channel (default True).
        dilation: int or (DD, DH, DW).
        padding_mode: only ``'zeros'``.
        device, dtype: where and in which float type to create the parameters.

    Attributes:
        weight: (C_in, C_out/groups, KD, KH, KW).
        bias: (C_out,).

    Shape:
        - Input: (N, C_in, D, H, W) or (C_in, D, H, W).
        - Output: (N, C_out, OD, OH, OW) with
          ``OD = (D - 1)*SD - 2*PD + DD*(KD - 1) + output_padding + 1``; ``forward`` also
          takes ``output_size=``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> up = nn.ConvTranspose3d(4, 2, 2, stride=2)
        >>> up(minidl.randn(1, 4, 3, 4, 5)).shape
        (1, 2, 6, 8, 10)
    """

    _dims, _spatial = 3, "D, H, W"
    _conv_transpose = staticmethod(F.conv_transpose3d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         groups, bias, dilation, padding_mode, device, dtype)
