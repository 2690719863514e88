"""Dropout: during training, zero each element with probability ``p``.

Inverted dropout: the kept elements are scaled by 1 / (1 - p), so that the
expected value of every element is unchanged and evaluation needs no rescaling
(``training=False`` returns the input as it is).

The random mask is drawn from minidl's generator on the host and moved to the
input's device, so ``minidl.manual_seed`` gives the same mask on every device.
"""
from __future__ import annotations

import warnings

from ... import backend
from ...tensor import Tensor
from ...errors import ShapeError

__all__ = ["dropout", "dropout2d"]


def _check_p(p: float, where: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ShapeError(f"{where}: dropout probability has to be between 0 and 1, but got {p}")


def _masked(input: Tensor, p: float, mask_shape: tuple) -> Tensor:
    """input * mask / (1 - p), the mask of ``mask_shape`` broadcasting over input."""
    if p == 1.0:
        return input * 0.0
    keep = backend.get_default_generator().random(mask_shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype)
    return input * Tensor._wrap(backend.to_device(scale, input.device))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    Args:
        input: any shape.
        p: probability of zeroing an element.
        training: when False, return ``input`` unchanged.
        inplace: accepted for PyTorch compatibility; a new tensor is returned anyway.

    Example:
        >>> import minidl
        >>> y = dropout(minidl.ones(1000), p=0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return input
    return _masked(input, p, input.shape)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels with probability ``p`` (each (H, W) map is kept or dropped as one).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single
    pixels barely regularises a conv net; dropping whole channels does.

    Args:
        input: (N, C, H, W) or (C, H, W).
        p: probability of zeroing a channel.
        training: when False, return ``input`` unchanged.
        inplace: accepted; a new tensor is returned anyway.

    Shape:
        - Input: (N, C, H, W) or (C, H, W); Output: the same.

    Example:
        >>> import minidl
        >>> y = dropout2d(minidl.ones(2, 8, 3, 3), p=0.5)
        >>> bool(((y.sum(dim=(2, 3)) == 0) | (y.sum(dim=(2, 3)) == 18)).all())
        True
    """
    _check_p(p, "dropout2d")
    if input.ndim == 2:
        # what PyTorch does with a 2-D input: it reads it as one unbatched (C, L) map and
        # drops whole rows, with a warning that dropout is probably what was meant
        warnings.warn("dropout2d: received a 2-D input, which is read as (C, L) and loses "
                      "whole rows; use dropout for (N, features) inputs, dropout2d is for "
                      "(N, C, H, W) and (C, H, W)", UserWarning, stacklevel=2)
        if not training or p == 0.0:
            return input
        return _masked(input, p, input.shape[:1] + (1,))
    if input.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    return _masked(input, p, input.shape[:-2] + (1, 1))
