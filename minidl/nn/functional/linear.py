"""The fully connected layer: ``y = x W^T + b``.

Notation: ``x`` is (*, in_features), ``W`` is (out_features, in_features),
``b`` is (out_features,), ``y`` and ``g = dL/dy`` are (*, out_features);
``*`` is any number of leading dimensions (usually just the batch N).

Backward, with the leading dimensions flattened into one of size M
(``X`` is M x in, ``G`` is M x out)::

    dL/dx = G W          (M x out) (out x in)  -> M x in
    dL/dW = G^T X        (out x M) (M x in)    -> out x in
    dL/db = sum of G over its rows             -> out
"""
from __future__ import annotations

from ...autograd.function import Function
from ...tensor import Tensor
from ...errors import ShapeError

__all__ = ["linear"]


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              weight if ctx.needs_input_grad[0] else None)
        y = x @ weight.T
        if bias is not None:
            y += bias  # y is a fresh array: adding in place saves one temporary
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = g @ weight
        g2 = g.reshape(-1, g.shape[-1])  # M x out
        if ctx.needs_input_grad[1]:
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``input @ weight.T + bias`` over the last dimension.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.

    Shape:
        - Output: (*, out_features).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 2.0]])
        >>> w = minidl.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
        >>> linear(x, w, minidl.tensor([0.5, 0.0, 0.0])).tolist()
        [[1.5, 3.0, -2.0]]
    """
    if weight.ndim != 2:
        raise ShapeError(f"linear: expected a 2-D weight (out_features, in_features), got shape "
                         f"{tuple(weight.shape)}")
    out_features, in_features = weight.shape
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise ShapeError(
            f"linear: expected input with last dimension {in_features} (weight has "
            f"in_features={in_features}, out_features={out_features}), got shape "
            f"{tuple(input.shape)}")
    if bias is not None and tuple(bias.shape) != (out_features,):
        raise ShapeError(f"linear: expected bias of shape ({out_features},), got "
                         f"{tuple(bias.shape)}")
    return Linear.apply(input, weight, bias)
