"""pixel_shuffle and pixel_unshuffle: trading channels for resolution (sub-pixel convolution).

``pixel_shuffle`` with factor r turns r*r channels into an r x r block of pixels::

    y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]

It is a reshape, a permutation of dimensions and a reshape, so autograd differentiates
it through those ops (their backward is the inverse permutation).
``pixel_unshuffle`` is its inverse. A loop reference sits below each.
"""
from __future__ import annotations

import numpy as np

from ...errors import ArgumentError, ShapeError

__all__ = ["pixel_shuffle", "pixel_unshuffle", "pixel_shuffle_reference"]


def _factor(op: str, name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ArgumentError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def pixel_shuffle(input, upscale_factor: int):
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r): the sub-pixel convolution's upsampling.

    Args:
        input: tensor with at least 3 dims, the third-last holding C*r*r channels.
        upscale_factor: r.

    Shape:
        (*, C*r^2, H, W) -> (*, C, H*r, W*r), with
        ``y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]``.

    Example:
        >>> import minidl
        >>> pixel_shuffle(minidl.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    op = "pixel_shuffle"
    r = _factor(op, "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ShapeError(f"{op}: expected an input with at least 3 dims (*, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(f"{op}: expected the channels ({c}) to be divisible by "
                         f"upscale_factor**2 = {r * r}")
    d = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    # (..., c, i, j, h, w) -> (..., c, h, i, w, j)
    y = y.permute(*range(d), d, d + 3, d + 1, d + 4, d + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W): the inverse of :func:`pixel_shuffle`.

    Args:
        input: tensor with at least 3 dims, height and width divisible by r.
        downscale_factor: r.

    Shape:
        (*, C, H*r, W*r) -> (*, C*r^2, H, W).

    Example:
        >>> import minidl
        >>> pixel_unshuffle(minidl.tensor([[[[0., 1.], [2., 3.]]]]), 2).flatten().tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    op = "pixel_unshuffle"
    r = _factor(op, "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ShapeError(f"{op}: expected an input with at least 3 dims (*, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ShapeError(f"{op}: expected height and width divisible by downscale_factor={r}, "
                         f"got {(h, w)}")
    d = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    # (..., c, h, i, w, j) -> (..., c, i, j, h, w)
    y = y.permute(*range(d), d, d + 2, d + 4, d + 1, d + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def pixel_shuffle_reference(x, r: int):
    """pixel_shuffle by loops over every output pixel (NumPy arrays; for tests)."""
    x = np.asarray(x)
    *lead, c, h, w = x.shape
    y = np.zeros((*lead, c // (r * r), h * r, w * r), dtype=x.dtype)
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                y[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return y
