"""Matrix products: ``matmul`` (and ``mm``, ``bmm``, ``dot``, ``outer`` built on it).

For Y = A @ B with A of shape (m, k) and B of shape (k, n), each
Y[i, j] = sum_p A[i, p] B[p, j], hence

    dL/dA = G @ B^T        (m, n) @ (n, k) -> (m, k)
    dL/dB = A^T @ G        (k, m) @ (m, n) -> (k, n)

Batched inputs (..., m, k) @ (..., k, n) do the same for every batch entry;
where a batch dim was broadcast (one A for many B), the per-batch gradients are
summed back with ``sum_to``. A 1-D A is treated as a (1, k) row and a 1-D B as
a (k, 1) column, with the extra dim removed from the result, as in NumPy.
"""
from __future__ import annotations

import numpy as np

from ..autograd.engine import sum_to
from ..autograd.function import Function
from ..backend import array_module
from ._util import ensure_tensor
from ..errors import DTypeError, ShapeError

__all__ = ["matmul", "mm", "bmm", "dot", "outer"]


class Matmul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        ctx.a_shape, ctx.b_shape = a.shape, b.shape
        return array_module(a, b).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = array_module(g)
        a_shape, b_shape = ctx.a_shape, ctx.b_shape
        # 1-D operands as a row (1, k) / a column (k, 1); g gets the matching size-1 dims
        a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
        b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
        if len(b_shape) == 1:
            g = g[..., None]     # (..., m) -> (..., m, 1)
        if len(a_shape) == 1:
            g = g[..., None, :]  # (..., n) -> (..., 1, n)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            b2 = b.reshape(b2_shape)
            ga = sum_to(xp.matmul(g, xp.swapaxes(b2, -1, -2)), a2_shape).reshape(a_shape)
        if ctx.needs_input_grad[1]:
            a2 = a.reshape(a2_shape)
            gb = sum_to(xp.matmul(xp.swapaxes(a2, -1, -2), g), b2_shape).reshape(b_shape)
        return ga, gb


def _check_matmul(op: str, a, b) -> None:
    """Raise an error naming ``op`` and both shapes (or dtypes) when a @ b is not defined.

    Mixed dtypes are refused, as in PyTorch: float32 @ float64 would silently run
    the whole rest of a network in slow float64.
    """
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: expected both operands to have the same dtype, got {a.dtype} "
                        f"and {b.dtype}; convert one with .to(dtype)")
    a_shape, b_shape = a.shape, b.shape
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ShapeError(f"{op}: both arguments must be at least 1-D, got shapes "
                         f"{a_shape} and {b_shape}")
    k_a = a_shape[-1]
    k_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    if k_a != k_b:
        raise ShapeError(f"{op}: shapes {a_shape} and {b_shape} cannot be multiplied "
                         f"({k_a} != {k_b})")
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ShapeError(f"{op}: the batch dims of shapes {a_shape} and {b_shape} do not "
                         "broadcast together") from None


def matmul(a, b):
    """Matrix product with NumPy's rules for 1-D and batched operands.

    Args:
        a: tensor of shape (k,), (m, k) or (..., m, k).
        b: tensor of shape (k,), (k, n) or (..., k, n).

    Shape:
        (m, k) @ (k, n) -> (m, n); (..., m, k) @ (..., k, n) -> (..., m, n) with the
        batch dims broadcast; a 1-D operand loses its added dim in the result
        ((k,) @ (k, n) -> (n,), (k,) @ (k,) -> ()).

    Example:
        >>> import minidl
        >>> a = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> matmul(a, minidl.tensor([1.0, 1.0])).tolist()
        [3.0, 7.0]
        >>> (minidl.ones(5, 2, 3) @ minidl.ones(3, 4)).shape
        (5, 2, 4)
    """
    a, b = ensure_tensor(a), ensure_tensor(b)
    _check_matmul("matmul", a, b)
    return Matmul.apply(a, b)


def mm(a, b):
    """The product of two matrices, (m, k) @ (k, n) -> (m, n).

    Example:
        >>> import minidl
        >>> mm(minidl.ones(2, 3), minidl.ones(3, 4)).shape
        (2, 4)
    """
    a, b = ensure_tensor(a), ensure_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    _check_matmul("mm", a, b)
    return Matmul.apply(a, b)


def bmm(a, b):
    """Batched matrix product, (B, m, k) @ (B, k, n) -> (B, m, n), without broadcasting.

    Example:
        >>> import minidl
        >>> bmm(minidl.ones(4, 2, 3), minidl.ones(4, 3, 5)).shape
        (4, 2, 5)
    """
    a, b = ensure_tensor(a), ensure_tensor(b)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: expected 3-D tensors with the same batch size, got shapes "
                         f"{a.shape} and {b.shape}")
    _check_matmul("bmm", a, b)
    return Matmul.apply(a, b)


def dot(a, b):
    """Inner product of two 1-D tensors of the same length.

    Example:
        >>> import minidl
        >>> dot(minidl.tensor([1.0, 2.0]), minidl.tensor([3.0, 4.0])).item()
        11.0
    """
    a, b = ensure_tensor(a), ensure_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    _check_matmul("dot", a, b)
    return Matmul.apply(a, b)


def outer(a, b):
    """Outer product of two 1-D tensors: ``out[i, j] = a[i] * b[j]``.

    Example:
        >>> import minidl
        >>> outer(minidl.tensor([1.0, 2.0]), minidl.tensor([1.0, 10.0])).tolist()
        [[1.0, 10.0], [2.0, 20.0]]
    """
    from .elementwise import mul  # noqa: PLC0415
    from .shape import reshape  # noqa: PLC0415

    a, b = ensure_tensor(a), ensure_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return mul(reshape(a, -1, 1), reshape(b, 1, -1))
