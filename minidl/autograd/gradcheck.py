"""Checking a backward against central finite differences.

For a function ``f`` of inputs ``x_1 .. x_k`` we compare the analytic gradient
of ``L = sum(f(x) * v)`` (``v`` a fixed random projection, so every output
element matters) with the numerical one::

    dL/dx[i] ~= (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

in float64, for every element of every input that requires grad.
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module, to_numpy
from .grad_mode import enable_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def _projected_loss(fn, inputs, weights) -> float:
    total = 0.0
    for out, w in zip(_outputs(fn, inputs), weights):
        if w is not None:
            total += float((to_numpy(out._array).astype(np.float64) * w).sum())
    return total


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """Compare ``fn``'s backward with central differences, element by element.

    Args:
        fn: a function of Tensors returning a Tensor (or a tuple of Tensors; outputs
            that do not require grad, such as indices, are ignored).
        inputs: a Tensor or a sequence of Tensors; those with ``requires_grad=True``
            are checked. They should be float64: float32 differences are too coarse.
        eps: the finite-difference step.
        atol, rtol: the check is ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: seed of the random projection applied to the outputs.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).

    Returns:
        True when every gradient agrees.

    Example:
        >>> import minidl
        >>> x = minidl.randn(3, 4, dtype=minidl.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(dim=1), [x])
        True
    """
    from ..tensor import Tensor

    if isinstance(inputs, Tensor):
        inputs = [inputs]
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs, float32 central "
                "differences are too inaccurate to compare")

    rng = np.random.default_rng(seed)
    with enable_grad():
        outs = _outputs(fn, inputs)
    weights = [rng.standard_normal(o.shape) if o.requires_grad and o.dtype.kind == "f" else None
               for o in outs]
    if all(w is None for w in weights):
        raise ValueError("gradcheck: no output of fn requires grad")

    # analytic: backward of sum(out * w)
    for i in checked:
        inputs[i].grad = None
    with enable_grad():
        outs = _outputs(fn, inputs)
        loss = None
        for o, w in zip(outs, weights):
            if w is None:
                continue
            xp = array_module(o._array)
            term = (o * Tensor(xp.asarray(w, dtype=o.dtype))).sum()
            loss = term if loss is None else loss + term
    loss.backward()
    analytic = {}
    for i in checked:
        g = inputs[i].grad
        analytic[i] = np.zeros(inputs[i].shape) if g is None else to_numpy(g._array).astype(np.float64)

    # numerical: perturb one element at a time, in place, and restore it
    for i in checked:
        x = inputs[i]
        numeric = np.zeros(x.shape)
        if not x._array.flags.c_contiguous:
            x._array = array_module(x._array).ascontiguousarray(x._array)
        flat = x._array.reshape(-1)  # a view: writing to it perturbs x
        num_flat = numeric.reshape(-1)
        for k in range(flat.size):
            orig = float(flat[k])
            flat[k] = orig + eps
            plus = _projected_loss(fn, inputs, weights)
            flat[k] = orig - eps
            minus = _projected_loss(fn, inputs, weights)
            flat[k] = orig
            num_flat[k] = (plus - minus) / (2 * eps)
        err = np.abs(analytic[i] - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        if bad.any():
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(err - rtol * np.abs(numeric)), numeric.shape)
            raise GradcheckError(
                f"gradcheck: the gradient of input {i} (shape {tuple(x.shape)}) is wrong at "
                f"{int(bad.sum())} of {bad.size} elements; worst at index {tuple(map(int, worst))}: "
                f"analytic {analytic[i][worst]:.6g} vs numerical {numeric[worst]:.6g}\n"
                f"analytic gradient:\n{np.array2string(analytic[i], precision=5)}\n"
                f"numerical gradient:\n{np.array2string(numeric, precision=5)}")
    return True
