"""Dropout layers: active in training mode, the identity after ``eval()``."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module
from ...errors import ArgumentError

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ArgumentError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training; scale the rest by 1 / (1 - p).

    Args:
        p: probability of zeroing an element (default 0.5).
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Shape:
        - Input: any; Output: the same.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> drop = nn.Dropout(p=0.5)
        >>> x = minidl.ones(4)
        >>> drop.eval()(x) is x
        True
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability ``p`` in training.

    See :func:`minidl.nn.functional.dropout2d`.

    Args:
        p: probability of zeroing a channel (default 0.5).
        inplace: accepted; a new tensor is returned anyway.

    Shape:
        - Input: (N, C, H, W) or (C, H, W); Output: the same.

    Example:
        >>> import minidl.nn as nn
        >>> nn.Dropout2d(0.2)
        Dropout2d(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)
