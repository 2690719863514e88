"""Pooling layers in 1-D and 3-D, and max unpooling: ``MaxPool1d``, ``MaxPool3d``,
``AvgPool1d``, ``AvgPool3d``, ``MaxUnpool1d``, ``MaxUnpool2d``, ``MaxUnpool3d``.

They have no parameters; each keeps its settings and calls one op of
:mod:`minidl.nn.functional.pooling_nd`.
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..functional.im2col_nd import ntuple
from .module import Module

__all__ = ["MaxPool1d", "MaxPool3d", "AvgPool1d", "AvgPool3d", "MaxUnpool1d", "MaxUnpool2d",
           "MaxUnpool3d"]


class _MaxPoolNd(Module):
    """Settings and printout shared by MaxPool1d and MaxPool3d."""

    _pool = None  # the functional op

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
        return type(self)._pool(input, self.kernel_size, self.stride, self.padding,
                                self.dilation, ceil_mode=self.ceil_mode,
                                return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling: the largest value of each window (see :func:`F.max_pool1d`).

    Args:
        kernel_size: int (K).
        stride: int; default ``kernel_size``.
        padding: int of implicit -inf, at most half the (dilated) kernel.
        dilation: int.
        return_indices: also return the position of each maximum.
        ceil_mode: round the output size up.

    Shape:
        (N, C, L) or (C, L) -> (N, C, OL) or (C, OL),
        ``OL = floor((L + 2*P - D*(K-1) - 1) / S) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.MaxPool1d(2)(minidl.randn(4, 8, 100)).shape
        (4, 8, 50)
        >>> nn.MaxPool1d(3, stride=2)
        MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _pool = staticmethod(F.max_pool1d)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling: the largest value of each window (see :func:`F.max_pool3d`).

    Args:
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW); default ``kernel_size``.
        padding: int or (PD, PH, PW) of implicit -inf, at most half the (dilated) kernel.
        dilation: int or (DD, DH, DW).
        return_indices: also return the flat index of each maximum.
        ceil_mode: round the output size up.

    Shape:
        (N, C, D, H, W) or (C, D, H, W) -> (N, C, OD, OH, OW) or (C, OD, OH, OW),
        ``OD = floor((D + 2*PD - DD*(KD-1) - 1) / SD) + 1``, likewise OH, OW.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.MaxPool3d(2)(minidl.randn(1, 4, 8, 16, 16)).shape
        (1, 4, 4, 8, 8)
        >>> nn.MaxPool3d((1, 2, 2))
        MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=0, dilation=1, ceil_mode=False)
    """

    _pool = staticmethod(F.max_pool3d)


class AvgPool1d(Module):
    """1-D average pooling: the mean of each window (see :func:`F.avg_pool1d`).

    Args:
        kernel_size: int (K).
        stride: int; default ``kernel_size``.
        padding: int of zeros, at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count padding zeros in the divisor (default True).

    Shape:
        (N, C, L) or (C, L) -> (N, C, OL) or (C, OL), ``OL = floor((L + 2*P - K) / S) + 1``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.AvgPool1d(4)(minidl.ones(2, 3, 16)).shape
        (2, 3, 4)
        >>> nn.AvgPool1d(4)
        AvgPool1d(kernel_size=(4,), stride=(4,), padding=(0,))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = (self.kernel_size if stride is None
                       else ntuple(stride, 1, "stride", "AvgPool1d"))
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(Module):
    """3-D average pooling: the mean of each window (see :func:`F.avg_pool3d`).

    Args:
        kernel_size: int or (KD, KH, KW).
        stride: int or (SD, SH, SW); default ``kernel_size``.
        padding: int or (PD, PH, PW) of zeros, at most half the kernel.
        ceil_mode: round the output size up.
        count_include_pad: count padding zeros in the divisor (default True).
        divisor_override: divide every window sum by this number instead.

    Shape:
        (N, C, D, H, W) or (C, D, H, W) -> (N, C, OD, OH, OW) or (C, OD, OH, OW),
        ``OD = floor((D + 2*PD - KD) / SD) + 1``, likewise OH, OW.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.AvgPool3d(2)(minidl.ones(1, 3, 4, 8, 8)).shape
        (1, 3, 2, 4, 4)
        >>> nn.AvgPool3d(2)
        AvgPool3d(kernel_size=2, stride=2, padding=0)
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
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxUnpoolNd(Module):
    """Settings, printout and forward shared by the MaxUnpool layers."""

    _dims = 2
    _unpool = None  # the functional op

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self._dims, "kernel_size", name)
        self.stride = (self.kernel_size if stride is None
                       else ntuple(stride, self._dims, "stride", name))
        self.padding = ntuple(padding, self._dims, "padding", name)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return type(self)._unpool(input, indices, self.kernel_size, self.stride, self.padding,
                                  output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d (see :func:`F.max_unpool1d`).

    Args:
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).

    Shape:
        input and indices (N, C, L) -> (N, C, L_out), ``L_out = (L - 1)*S - 2*P + K`` unless
        ``forward(..., output_size=)`` asks for another size within a stride of it.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> y, idx = nn.MaxPool1d(2, return_indices=True)(minidl.tensor([[[1., 3., 2., 5.]]]))
        >>> nn.MaxUnpool1d(2)(y, idx).tolist()
        [[[0.0, 3.0, 0.0, 5.0]]]
    """

    _dims = 1
    _unpool = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d (see :func:`F.max_unpool2d`): SegNet's upsampling.

    Args:
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).

    Shape:
        input and indices (N, C, H, W) -> (N, C, H_out, W_out),
        ``H_out = (H - 1)*SH - 2*PH + KH`` unless ``forward(..., output_size=)`` asks for
        another size within a stride of it.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> y, idx = pool(minidl.randn(1, 3, 7, 7))
        >>> unpool(y, idx, output_size=(7, 7)).shape
        (1, 3, 7, 7)
        >>> unpool
        MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _dims = 2
    _unpool = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d (see :func:`F.max_unpool3d`).

    Args:
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).

    Shape:
        input and indices (N, C, D, H, W) -> (N, C, D_out, H_out, W_out),
        ``D_out = (D - 1)*SD - 2*PD + KD``, likewise H_out and W_out.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> y, idx = nn.MaxPool3d(2, return_indices=True)(minidl.randn(1, 2, 4, 4, 4))
        >>> nn.MaxUnpool3d(2)(y, idx).shape
        (1, 2, 4, 4, 4)
    """

    _dims = 3
    _unpool = staticmethod(F.max_unpool3d)
