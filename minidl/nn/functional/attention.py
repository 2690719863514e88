"""Scaled dot-product attention, the core of every Transformer layer.

For queries Q (L, E), keys K (S, E) and values V (S, Ev), each query attends to every
key by the softmax of their scaled dot products, and returns that mixture of values::

    scores  = Q @ K^T * scale                  (L, S)   scale = 1/sqrt(E) by default
    scores  = scores + mask                    (a bool mask sets -inf where it is False)
    weights = softmax(scores, over S)          (L, S)   each row sums to 1
    output  = dropout(weights) @ V             (L, Ev)

It is written with minidl's differentiable ops (matmul, masked_fill, softmax, dropout),
so its backward is theirs. A query whose keys are all masked gets zero weights (and a
zero output), as in PyTorch, instead of the NaNs of a softmax over nothing.
``scaled_dot_product_attention_reference`` is the same computation in plain NumPy.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...backend import array_module
from ...errors import ArgumentError, DTypeError, ShapeError
from ...tensor import Tensor
from .dropout import dropout

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_reference"]


def _check(op: str, query, key, value, attn_mask, dropout_p) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise ShapeError(f"{op}: expected {name} to be a tensor (..., length, features) "
                             f"with at least 2 dims, got "
                             f"{tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
        if t.dtype.kind != "f":
            raise DTypeError(f"{op}: expected a floating-point {name}, got {t.dtype}")
    if not query.dtype == key.dtype == value.dtype:
        raise DTypeError(f"{op}: query, key and value must have the same dtype, got "
                         f"{query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"{op}: query and key must have the same number of features E, got "
                         f"query {tuple(query.shape)} and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: key and value must have the same length S, got key "
                         f"{tuple(key.shape)} and value {tuple(value.shape)}")
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise ArgumentError(f"{op}: attn_mask must be a tensor (bool or float) or None, got "
                            f"{type(attn_mask).__name__}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ArgumentError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")


def _repeat_heads(t, repeats: int):
    """(..., H, S, E) -> (..., H*repeats, S, E), each head repeated ``repeats`` times in a row."""
    *lead, h, s, e = t.shape
    return t.unsqueeze(-3).expand(*lead, h, repeats, s, e).reshape(*lead, h * repeats, s, e)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False):
    """Attention: ``softmax(Q K^T * scale + mask) V``, over any leading batch/head dims.

    Args:
        query: (..., L, E) tensor.
        key: (..., S, E) tensor.
        value: (..., S, Ev) tensor.
        attn_mask: optional mask broadcastable to (..., L, S): a bool tensor (True: the
            query may attend to that key) or a float tensor added to the scores (-inf
            blocks a key).
        dropout_p: probability of dropping an attention weight (applied whenever > 0, as
            in PyTorch; pass 0.0 in evaluation).
        is_causal: let query i attend to keys 0..i only (a lower-triangular mask); not
            together with ``attn_mask``.
        scale: the factor of the dot products; default 1/sqrt(E).
        enable_gqa: grouped-query attention: key and value may have fewer heads (dim -3)
            than query, each shared by a group of query heads.

    Shape:
        query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
        dims broadcast. Queries whose keys are all masked get an output of zeros.

    Example:
        >>> import minidl
        >>> q = k = minidl.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> v = minidl.tensor([[1.0], [3.0]])
        >>> scaled_dot_product_attention(q, k, v, scale=0.0).tolist()    # uniform weights
        [[2.0], [2.0]]
        >>> scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.0).tolist()  # causal
        [[1.0], [2.0]]
        >>> scaled_dot_product_attention(minidl.randn(2, 8, 5, 16), minidl.randn(2, 8, 7, 16),
        ...                              minidl.randn(2, 8, 7, 32)).shape
        (2, 8, 5, 32)
    """
    op = "scaled_dot_product_attention"
    _check(op, query, key, value, attn_mask, dropout_p)
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise ShapeError(f"{op}: with enable_gqa the query heads ({hq}) must be a multiple "
                             f"of the key and value heads ({hk}, {value.shape[-3]})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    xp = array_module(query.data)
    length, keys = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale                   # (..., L, S)
    if is_causal:
        if attn_mask is not None:
            raise ArgumentError(f"{op}: pass either attn_mask or is_causal=True, not both")
        attn_mask = Tensor._wrap(xp.tril(xp.ones((length, keys), dtype=bool)))
    if attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(xp.logical_not(attn_mask.data), -math.inf)
        else:
            scores = scores + attn_mask
    # queries that may attend to nothing: softmax over 0 keys is NaN; give them 0 weights
    dead = xp.isneginf(scores.data).all(axis=-1, keepdims=True)
    if bool(dead.any()):
        scores = scores.masked_fill(dead, 0.0)
    weights = ops.softmax(scores, -1)
    if bool(dead.any()):
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def scaled_dot_product_attention_reference(q, k, v, attn_mask=None, is_causal=False,
                                           scale=None):
    """The same attention (without dropout) in plain NumPy, one formula per line (for tests)."""
    q, k, v = np.asarray(q), np.asarray(k), np.asarray(v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        attn_mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    if attn_mask is not None:
        attn_mask = np.asarray(attn_mask)
        bias = np.where(attn_mask, 0.0, -np.inf) if attn_mask.dtype == bool else attn_mask
        scores = scores + bias
    weights = np.zeros(scores.shape)
    for idx in np.ndindex(*scores.shape[:-1]):      # one query (row) at a time
        row = scores[idx]
        if np.isneginf(row).all():
            continue                                # nothing to attend to: zero weights
        e = np.exp(row - row.max())
        weights[idx] = e / e.sum()
    return weights @ v
