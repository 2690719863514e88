"""Weight initialisation: fill a parameter in place with values of a chosen scale.

Why the scale matters: a layer with ``fan_in`` inputs of unit variance and
weights of variance ``s**2`` has outputs of variance ``fan_in * s**2``. To keep
activations (and gradients) from growing or vanishing layer after layer:

* Xavier/Glorot (for tanh, sigmoid, linear): ``var = gain**2 * 2 / (fan_in + fan_out)``;
* Kaiming/He (for ReLU): ``var = gain**2 / fan``, with ``gain = sqrt(2)`` for ReLU
  because ReLU zeroes half of its inputs.

A uniform distribution U(-b, b) has variance ``b**2 / 3``, hence the ``sqrt(3)``
in the uniform versions.

Every function here runs under ``no_grad``, changes the tensor in place, draws
from minidl's generator (so ``minidl.manual_seed`` makes it reproducible) and
returns the tensor.

Fans of a weight of shape ``(out, in, *kernel)``:
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``. A grouped
convolution's weight is already ``(out, in / groups, KH, KW)``, so its fan_in is
``in / groups * KH * KW``.

Example:
    >>> import minidl
    >>> from minidl.nn import init
    >>> w = minidl.empty(256, 128)
    >>> _ = init.kaiming_normal_(w, nonlinearity="relu")
    >>> abs(float(w.std()) - (2 / 128) ** 0.5) < 0.01
    True
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..errors import ArgumentError, ShapeError

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "trunc_normal_",
]

_LINEAR_LIKE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which a nonlinearity changes the standard deviation, to undo in init.

    ========================  =====================================
    nonlinearity              gain
    ========================  =====================================
    linear, conv*, sigmoid    1
    tanh                      5 / 3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope ** 2))
    selu                      3 / 4
    ========================  =====================================

    Args:
        nonlinearity: the function's name.
        param: negative slope for ``leaky_relu`` (default 0.01).

    Example:
        >>> round(calculate_gain("relu"), 4), calculate_gain("tanh")
        (1.4142, 1.6666666666666667)
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ArgumentError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{list(_LINEAR_LIKE) + ['tanh', 'relu', 'leaky_relu', 'selu']}")


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ShapeError(
            f"init: fan in and fan out need a tensor with at least 2 dimensions, got shape "
            f"{tuple(tensor.shape)}")
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    fan_in = tensor.shape[1] * receptive_field
    fan_out = tensor.shape[0] * receptive_field
    return fan_in, fan_out


def _calculate_correct_fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill ``tensor`` with samples of U(a, b).

    Example:
        >>> import minidl
        >>> w = uniform_(minidl.empty(100), -0.5, 0.5)
        >>> bool((w >= -0.5).all() and (w < 0.5).all())
        True
    """
    if not a <= b:
        raise ArgumentError(f"uniform_: expected a <= b, got a={a}, b={b}")
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill ``tensor`` with samples of N(mean, std**2)."""
    if std < 0:
        raise ArgumentError(f"normal_: std must be non-negative, got {std}")
    with no_grad():
        return tensor.normal_(mean, std)


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``.

    Example:
        >>> import minidl
        >>> constant_(minidl.empty(3), 0.5).tolist()
        [0.5, 0.5, 0.5]
    """
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """Fill ``tensor`` with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with ones."""
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the diagonal).

    Example:
        >>> import minidl
        >>> eye_(minidl.empty(2, 3)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: expected a 2-D tensor, got shape {tuple(tensor.shape)}")
    with no_grad():
        return tensor.copy_(np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain: float = 1.0):
    """Glorot uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Args:
        tensor: a weight with at least 2 dimensions.
        gain: see :func:`calculate_gain`.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain: float = 1.0):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu"):
    """He uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``.

    Args:
        tensor: a weight with at least 2 dimensions.
        a: negative slope of the leaky ReLU that follows (with ``nonlinearity="leaky_relu"``).
        mode: ``"fan_in"`` keeps the forward variance, ``"fan_out"`` the backward one.
        nonlinearity: ``"relu"`` or ``"leaky_relu"`` (see :func:`calculate_gain`).

    Example:
        >>> import minidl, math
        >>> w = kaiming_uniform_(minidl.empty(64, 16, 3, 3), nonlinearity="relu")
        >>> float(w.abs().max()) <= math.sqrt(2) * math.sqrt(3 / (16 * 9))
        True
    """
    if tensor.numel() == 0:  # nothing to fill (PyTorch: a no-op), e.g. Linear(0, 4)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        raise ShapeError(f"kaiming_uniform_: cannot initialise a tensor of shape "
                         f"{tuple(tensor.shape)}, its {mode} is 0")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu"):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)``.

    Args: as :func:`kaiming_uniform_`. ResNets use ``mode="fan_out", nonlinearity="relu"``.
    """
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        raise ShapeError(f"kaiming_normal_: cannot initialise a tensor of shape "
                         f"{tuple(tensor.shape)}, its {mode} is 0")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std)


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0):
    """N(mean, std**2) restricted to [a, b] (values outside are drawn again).

    Rejection sampling: draw, keep what falls in [a, b], redraw the rest. It is
    exact, and fast unless [a, b] holds a tiny part of the distribution.

    Args:
        tensor: the tensor to fill.
        mean, std: of the normal distribution before truncation.
        a, b: the bounds (absolute values, not in units of std, as in PyTorch).

    Example:
        >>> import minidl
        >>> w = trunc_normal_(minidl.empty(1000), std=0.02, a=-0.04, b=0.04)
        >>> bool((w.abs() <= 0.04).all())
        True
    """
    if not a < b:
        raise ArgumentError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if std <= 0:
        raise ArgumentError(f"trunc_normal_: std must be positive, got {std}")

    def cdf(x):
        return 0.5 * (1.0 + math.erf((x - mean) / (std * math.sqrt(2.0))))

    mass = cdf(b) - cdf(a)
    if mass < 1e-4:
        raise ArgumentError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2e} of N({mean}, {std}**2); "
            "choose bounds nearer the mean")
    gen = backend.get_default_generator()
    n = int(np.prod(tensor.shape))
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        draws = gen.normal(mean, std, todo.size)
        ok = (draws >= a) & (draws <= b)
        out[todo[ok]] = draws[ok]
        todo = todo[~ok]
    with no_grad():
        return tensor.copy_(out.reshape(tensor.shape))
