"""Hand-computation problems with verified solutions: the generators and their loop references.

Each kind of problem is one small layer, with inputs of one decimal place so that a student
can work it on paper, and an upstream gradient ``dL/dY`` to push back through it (or, for the
softmax + cross-entropy problem, the loss itself). A problem knows its solution, the value of
every intermediate quantity, computed by **explicit loops written as the textbook formula**
(the functions named ``*_loops`` below), and before it is returned that solution is checked
two more ways:

* **autograd**: the same layer built from minidl ops in float64, and its ``backward``;
* **central finite differences** of ``L = sum(Y * dL/dY)`` (whose gradient is exactly the
  backpropagated one), or of the scalar loss.

If the three disagree, generation fails with :class:`VerificationError`: a problem sheet
never carries a wrong answer.

Kinds (``KINDS``): ``conv2d``, ``maxpool``, ``avgpool``, ``batchnorm``,
``linear_softmax_ce``, ``relu_chain``, ``residual``.

Example:
    >>> from minidl.teach import generate
    >>> p = generate("conv2d", seed=7, size=3, kernel=2)
    >>> sorted(p.inputs)
    ['W', 'X', 'b', 'dL/dY']
    >>> p.solution["Y"].shape
    (2, 2)
"""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Problem", "VerificationError", "KINDS", "generate", "from_values", "S0"]


class VerificationError(RuntimeError):
    """The loop reference, autograd and finite differences disagree on a problem."""


@dataclasses.dataclass
class Problem:
    """One exercise: its givens, what is asked, and the verified solution.

    Attributes:
        kind: one of :data:`KINDS`.
        params: the layer's settings (stride, padding, ...).
        inputs: the givens, by name (``"X"``, ``"W"``, ``"dL/dY"``, ...), as float64 arrays.
        solution: every asked quantity and intermediate, by name, in the order of the worked
            solution (forward first, then the gradients).
        asked: the names in ``solution`` that the student must give.
        decimals: how many decimals the answers need (exact at that many when the inputs
            have one decimal and the layer is linear in each).
    """

    kind: str
    params: dict
    inputs: dict
    solution: dict
    asked: tuple
    decimals: int


# --------------------------------------------------------------------- loop references
def conv2d_loops(x, w, b, stride=1, padding=0):
    """Y[i, j] = b + sum_{p,q} Xpad[i*s + p, j*s + q] W[p, q]: one channel, by the loops of
    :func:`minidl.nn.functional.conv.conv2d_reference`."""
    from ..nn.functional.conv import conv2d_reference

    return conv2d_reference(x[None, None], w[None, None], np.array([b], dtype=float),
                            stride, padding)[0, 0]


def conv2d_backward_loops(x, w, dy, stride=1, padding=0):
    """dL/dX, dL/dW, dL/db: each dL/dY[i, j] goes back to the inputs and weights that made Y[i, j]."""
    xp = np.pad(x, padding)
    kh, kw = w.shape
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), 0.0
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            for p in range(kh):
                for q in range(kw):
                    dxp[i * stride + p, j * stride + q] += dy[i, j] * w[p, q]
                    dw[p, q] += dy[i, j] * xp[i * stride + p, j * stride + q]
            db += dy[i, j]
    h, w_ = x.shape
    return dxp[padding:padding + h, padding:padding + w_], dw, db


def pool_loops(x, k, stride, mode):
    """Max or average pooling of one channel with a k x k window, and for max the winners."""
    oh = (x.shape[0] - k) // stride + 1
    ow = (x.shape[1] - k) // stride + 1
    y, winners = np.zeros((oh, ow)), {}
    for i in range(oh):
        for j in range(ow):
            window = x[i * stride:i * stride + k, j * stride:j * stride + k]
            if mode == "max":
                p, q = np.unravel_index(np.argmax(window), window.shape)
                winners[i, j] = (i * stride + p, j * stride + q)
                y[i, j] = window[p, q]
            else:
                y[i, j] = window.sum() / (k * k)
    return y, winners


def pool_backward_loops(x, dy, k, stride, mode, winners):
    """Max: dL/dY goes to the window's winner; average: shared equally by the k*k inputs."""
    dx = np.zeros_like(x)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            if mode == "max":
                dx[winners[i, j]] += dy[i, j]
            else:
                dx[i * stride:i * stride + k, j * stride:j * stride + k] += dy[i, j] / (k * k)
    return dx


def batchnorm_loops(x, gamma, beta, dy, eps):
    """Batch norm of an (N, C) batch in training mode, forward and its closed-form backward."""
    n, c = x.shape
    out = {k: np.zeros(c) for k in ("mean", "var")}
    xhat, y, dx = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    dgamma, dbeta = np.zeros(c), np.zeros(c)
    for f in range(c):
        mean = sum(x[i, f] for i in range(n)) / n
        var = sum((x[i, f] - mean) ** 2 for i in range(n)) / n
        inv = 1.0 / np.sqrt(var + eps)
        out["mean"][f], out["var"][f] = mean, var
        for i in range(n):
            xhat[i, f] = (x[i, f] - mean) * inv
            y[i, f] = gamma[f] * xhat[i, f] + beta[f]
        dbeta[f] = sum(dy[i, f] for i in range(n))
        dgamma[f] = sum(dy[i, f] * xhat[i, f] for i in range(n))
        for i in range(n):  # dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat))
            dx[i, f] = gamma[f] * inv * (dy[i, f] - dbeta[f] / n - xhat[i, f] * dgamma[f] / n)
    return out["mean"], out["var"], xhat, y, dx, dgamma, dbeta


def linear_softmax_ce_loops(x, w, b, target):
    """z = W x + b, p = softmax(z), L = -log p[target], and the gradients by the chain rule."""
    k, d = w.shape
    z = np.array([b[i] + sum(w[i, j] * x[j] for j in range(d)) for i in range(k)])
    m = max(z)
    e = np.array([np.exp(zi - m) for zi in z])
    p = e / e.sum()
    loss = -np.log(p[target])
    dz = p.copy()
    dz[target] -= 1.0                                   # dL/dz = p - onehot(target)
    dw = np.array([[dz[i] * x[j] for j in range(d)] for i in range(k)])
    dx = np.array([sum(w[i, j] * dz[i] for i in range(k)) for j in range(d)])
    return z, p, loss, dz, dw, dz.copy(), dx


def relu_chain_loops(x, w1, b1, w2, b2, dy):
    """h = relu(W1 x + b1), y = W2 h + b2; backward through both layers with loops."""
    a = np.array([b1[i] + sum(w1[i, j] * x[j] for j in range(len(x))) for i in range(len(b1))])
    h = np.array([max(v, 0.0) for v in a])
    y = np.array([b2[i] + sum(w2[i, j] * h[j] for j in range(len(h))) for i in range(len(b2))])
    dh = np.array([sum(w2[i, j] * dy[i] for i in range(len(dy))) for j in range(len(h))])
    da = np.array([dh[j] if a[j] > 0 else 0.0 for j in range(len(a))])
    dw2 = np.array([[dy[i] * h[j] for j in range(len(h))] for i in range(len(dy))])
    dw1 = np.array([[da[i] * x[j] for j in range(len(x))] for i in range(len(da))])
    dx = np.array([sum(w1[i, j] * da[i] for i in range(len(da))) for j in range(len(x))])
    return a, h, y, dh, da, dw2, dy.copy(), dw1, da.copy(), dx


def residual_loops(x, w, b, dy):
    """z = W x + b, y = relu(z) + x: the skip connection adds dL/dY to dL/dX unchanged."""
    z = np.array([b[i] + sum(w[i, j] * x[j] for j in range(len(x))) for i in range(len(b))])
    y = np.array([max(z[i], 0.0) + x[i] for i in range(len(z))])
    dz = np.array([dy[i] if z[i] > 0 else 0.0 for i in range(len(z))])
    dx = np.array([dy[j] + sum(w[i, j] * dz[i] for i in range(len(dz))) for j in range(len(x))])
    dw = np.array([[dz[i] * x[j] for j in range(len(x))] for i in range(len(dz))])
    return z, y, dz, dx, dw, dz.copy()


# ------------------------------------------------------------------ drawing round numbers
def _tenths(rng, shape, low=-9, high=9, nonzero=False):
    """Values k/10 for integers k in [low, high] (0 excluded with ``nonzero``)."""
    while True:
        a = rng.integers(low, high + 1, size=shape) / 10.0
        if not nonzero or np.all(a != 0):
            return a


def _hundredths(rng):
    return float(rng.integers(-9, 10)) / 100.0


# ------------------------------------------------------------------ the three checks
def _autograd_grads(build, arrays: dict, upstream):
    """Gradients of sum(build(**tensors) * upstream) by minidl's autograd, in float64."""
    import minidl

    tensors = {k: minidl.tensor(v, dtype=minidl.float64, requires_grad=True)
               for k, v in arrays.items()}
    out = build(**tensors)
    loss = out if upstream is None else (out * minidl.tensor(upstream, dtype=minidl.float64)).sum()
    loss.backward()
    return out.detach().numpy(), {k: t.grad.numpy() for k, t in tensors.items()}


def _numeric_grads(fn, arrays: dict, upstream, eps=1e-6):
    """Central differences of sum(fn(**arrays) * upstream) (or of the scalar fn)."""
    def loss(values):
        out = fn(**values)
        return float(out) if upstream is None else float((np.asarray(out) * upstream).sum())

    grads = {}
    for name, value in arrays.items():
        value = np.asarray(value, dtype=float)
        g = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {**arrays, name: value.copy()}
            minus = {**arrays, name: value.copy()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            g[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        grads[name] = g
    return grads


def _verify(kind, loops: dict, forward_name, autograd_out, autograd: dict, numeric: dict,
            names: dict, tol=1e-6):
    """Raise VerificationError unless loops, autograd and finite differences agree."""
    checks = [(forward_name, loops[forward_name], autograd_out, "autograd forward")]
    for key, name in names.items():
        checks.append((name, loops[name], autograd[key], "autograd"))
        checks.append((name, loops[name], numeric[key], "finite differences"))
    for name, expected, got, how in checks:
        expected, got = np.asarray(expected, float), np.asarray(got, float).reshape(
            np.shape(expected))
        if not np.allclose(expected, got, atol=tol, rtol=0):
            raise VerificationError(
                f"teach.generate({kind!r}): the loop reference and {how} disagree on {name}: "
                f"{expected.tolist()} vs {got.tolist()}")


# ------------------------------------------------------------------------ the kinds
def _conv2d(inputs, params):
    import minidl.nn.functional as F

    s, pad = params["stride"], params["padding"]
    x, w, b, dy = inputs["X"], inputs["W"], inputs["b"], inputs["dL/dY"]
    y = conv2d_loops(x, w, b, s, pad)
    dx, dw, db = conv2d_backward_loops(x, w, dy, s, pad)
    sol = {"Y": y, "dL/dX": dx, "dL/dW": dw, "dL/db": np.float64(db)}

    def build(X, W, b):
        return F.conv2d(X[None, None], W[None, None], b.reshape(1), stride=s, padding=pad)[0, 0]

    arrays = {"X": x, "W": w, "b": np.array(b)}
    out, auto = _autograd_grads(build, arrays, dy)
    num = _numeric_grads(lambda X, W, b: conv2d_loops(X, W, float(b), s, pad), arrays, dy)
    _verify("conv2d", sol, "Y", out, auto, num, {"X": "dL/dX", "W": "dL/dW", "b": "dL/db"})
    return sol, ("Y", "dL/dX", "dL/dW", "dL/db"), 2


def _pool(mode):
    def solve(inputs, params):
        import minidl.nn.functional as F

        k, s = params["kernel"], params["stride"]
        x, dy = inputs["X"], inputs["dL/dY"]
        y, winners = pool_loops(x, k, s, mode)
        dx = pool_backward_loops(x, dy, k, s, mode, winners)
        sol = {"Y": y, "dL/dX": dx}
        fn = F.max_pool2d if mode == "max" else F.avg_pool2d
        out, auto = _autograd_grads(lambda X: fn(X[None, None], k, s)[0, 0], {"X": x}, dy)
        num = _numeric_grads(lambda X: pool_loops(X, k, s, mode)[0], {"X": x}, dy)
        _verify(f"{mode}pool", sol, "Y", out, auto, num, {"X": "dL/dX"})
        return sol, ("Y", "dL/dX"), 2 if mode == "max" else 4
    return solve


def _batchnorm(inputs, params):
    import minidl.nn.functional as F

    eps = params["eps"]
    x, g, beta, dy = inputs["X"], inputs["gamma"], inputs["beta"], inputs["dL/dY"]
    mean, var, xhat, y, dx, dg, db = batchnorm_loops(x, g, beta, dy, eps)
    sol = {"mean": mean, "var": var, "xhat": xhat, "Y": y, "dL/dgamma": dg, "dL/dbeta": db,
           "dL/dX": dx}

    def build(X, gamma, beta):
        return F.batch_norm(X, None, None, gamma, beta, training=True, eps=eps)

    arrays = {"X": x, "gamma": g, "beta": beta}
    out, auto = _autograd_grads(build, arrays, dy)
    num = _numeric_grads(lambda X, gamma, beta: batchnorm_loops(X, gamma, beta, dy, eps)[3],
                         arrays, dy)
    _verify("batchnorm", sol, "Y", out, auto, num,
            {"X": "dL/dX", "gamma": "dL/dgamma", "beta": "dL/dbeta"}, tol=1e-5)
    return sol, ("Y", "dL/dX", "dL/dgamma", "dL/dbeta"), 4


def _linear_softmax_ce(inputs, params):
    import minidl
    import minidl.nn.functional as F

    t = params["target"]
    x, w, b = inputs["x"], inputs["W"], inputs["b"]
    z, p, loss, dz, dw, db, dx = linear_softmax_ce_loops(x, w, b, t)
    sol = {"z": z, "p": p, "L": np.float64(loss), "dL/dz": dz, "dL/dW": dw, "dL/db": db,
           "dL/dx": dx}
    target = minidl.tensor([t])

    def build(x, W, b):
        return F.cross_entropy(F.linear(x[None], W, b), target)

    arrays = {"x": x, "W": w, "b": b}
    out, auto = _autograd_grads(build, arrays, None)
    num = _numeric_grads(lambda x, W, b: linear_softmax_ce_loops(x, W, b, t)[2], arrays, None)
    _verify("linear_softmax_ce", sol, "L", out, auto, num,
            {"x": "dL/dx", "W": "dL/dW", "b": "dL/db"})
    return sol, ("z", "p", "L", "dL/dW", "dL/db", "dL/dx"), 4


def _relu_chain(inputs, params):
    import minidl.nn.functional as F

    x, w1, b1, w2, b2, dy = (inputs[k] for k in ("x", "W1", "b1", "W2", "b2", "dL/dy"))
    a, h, y, dh, da, dw2, db2, dw1, db1, dx = relu_chain_loops(x, w1, b1, w2, b2, dy)
    sol = {"a": a, "h": h, "y": y, "dL/dh": dh, "dL/da": da, "dL/dW2": dw2, "dL/db2": db2,
           "dL/dW1": dw1, "dL/db1": db1, "dL/dx": dx}

    def build(x, W1, b1, W2, b2):
        return F.linear(F.relu(F.linear(x, W1, b1)), W2, b2)

    arrays = {"x": x, "W1": w1, "b1": b1, "W2": w2, "b2": b2}
    out, auto = _autograd_grads(build, arrays, dy)
    num = _numeric_grads(lambda x, W1, b1, W2, b2: relu_chain_loops(x, W1, b1, W2, b2, dy)[2],
                         arrays, dy)
    _verify("relu_chain", sol, "y", out, auto, num,
            {"x": "dL/dx", "W1": "dL/dW1", "b1": "dL/db1", "W2": "dL/dW2", "b2": "dL/db2"})
    return sol, ("h", "y", "dL/dW2", "dL/db2", "dL/dW1", "dL/db1", "dL/dx"), 2


def _residual(inputs, params):
    import minidl.nn.functional as F

    x, w, b, dy = inputs["x"], inputs["W"], inputs["b"], inputs["dL/dy"]
    z, y, dz, dx, dw, db = residual_loops(x, w, b, dy)
    sol = {"z": z, "y": y, "dL/dz": dz, "dL/dx": dx, "dL/dW": dw, "dL/db": db}

    def build(x, W, b):
        return F.relu(F.linear(x, W, b)) + x

    arrays = {"x": x, "W": w, "b": b}
    out, auto = _autograd_grads(build, arrays, dy)
    num = _numeric_grads(lambda x, W, b: residual_loops(x, W, b, dy)[1], arrays, dy)
    _verify("residual", sol, "y", out, auto, num, {"x": "dL/dx", "W": "dL/dW", "b": "dL/db"})
    return sol, ("y", "dL/dx", "dL/dW", "dL/db"), 2


_SOLVERS = {"conv2d": _conv2d, "maxpool": _pool("max"), "avgpool": _pool("avg"),
            "batchnorm": _batchnorm, "linear_softmax_ce": _linear_softmax_ce,
            "relu_chain": _relu_chain, "residual": _residual}
KINDS = tuple(_SOLVERS)


def _far_from_kinks(values, margin=0.05) -> bool:
    """Finite differences need ReLU inputs away from 0 (the kink)."""
    return bool(np.all(np.abs(values) >= margin))


def _draw(kind, rng, size, kernel, stride, padding, batch, features):
    """Givens and settings of one problem of ``kind`` (redrawn until it is well posed)."""
    if kind == "conv2d":
        x = _tenths(rng, (size, size))
        w = _tenths(rng, (kernel, kernel), nonzero=True)
        out = (size + 2 * padding - kernel) // stride + 1
        if out < 1:
            raise ValueError(f"teach.generate('conv2d'): a {kernel}x{kernel} kernel does not fit "
                             f"a {size}x{size} input with padding {padding}")
        return ({"X": x, "W": w, "b": _hundredths(rng), "dL/dY": _tenths(rng, (out, out))},
                {"stride": stride, "padding": padding})
    if kind in ("maxpool", "avgpool"):
        out = (size - kernel) // stride + 1
        if out < 1:
            raise ValueError(f"teach.generate({kind!r}): a {kernel}x{kernel} window does not "
                             f"fit a {size}x{size} input")
        # distinct values: no ties for the max
        n = size * size
        x = (rng.permutation(n) - n // 2).reshape(size, size) / 10.0
        return ({"X": x, "dL/dY": _tenths(rng, (out, out))},
                {"kernel": kernel, "stride": stride})
    if kind == "batchnorm":
        while True:
            x = _tenths(rng, (batch, features))
            if np.all(x.std(axis=0) > 0.05):
                break
        return ({"X": x, "gamma": _tenths(rng, features, 5, 15), "beta": _tenths(rng, features),
                 "dL/dY": _tenths(rng, (batch, features))}, {"eps": 0.0})
    if kind == "linear_softmax_ce":
        k = max(2, kernel + 1)
        return ({"x": _tenths(rng, features), "W": _tenths(rng, (k, features)),
                 "b": _tenths(rng, k)}, {"target": int(rng.integers(0, k))})
    if kind == "relu_chain":
        while True:
            x, w1, b1 = _tenths(rng, features), _tenths(rng, (size, features)), _tenths(rng, size)
            if _far_from_kinks(w1 @ x + b1):
                break
        return ({"x": x, "W1": w1, "b1": b1, "W2": _tenths(rng, (kernel, size)),
                 "b2": _tenths(rng, kernel), "dL/dy": _tenths(rng, kernel)}, {})
    if kind == "residual":
        while True:
            x, w, b = _tenths(rng, features), _tenths(rng, (features, features)), \
                _tenths(rng, features)
            if _far_from_kinks(w @ x + b):
                break
        return {"x": x, "W": w, "b": b, "dL/dy": _tenths(rng, features)}, {}
    raise ValueError(f"teach.generate: unknown kind {kind!r}; expected one of {KINDS}")


def generate(kind: str, seed: int = 0, size: int = 3, kernel: int = 2, stride: int = 1,
             padding: int = 0, batch: int = 3, features: int = 2) -> Problem:
    """A problem of ``kind`` with round givens drawn from ``seed``, and its verified solution.

    Args:
        kind: one of :data:`KINDS`.
        seed: the same seed gives the same problem.
        size: input side (conv2d, pooling) or hidden width (relu_chain).
        kernel: kernel/window side (conv2d, pooling), outputs (relu_chain), classes - 1
            (linear_softmax_ce).
        stride, padding: for conv2d (stride also for pooling).
        batch, features: for batchnorm (an (N, C) batch), linear and residual problems.

    Raises:
        ValueError: an unknown kind or a geometry that does not fit.
        VerificationError: the three computations disagree (a bug, never a student's fault).
    """
    if kind not in _SOLVERS:
        raise ValueError(f"teach.generate: unknown kind {kind!r}; expected one of {KINDS}")
    rng = np.random.default_rng(seed)
    inputs, params = _draw(kind, rng, size, kernel, stride, padding, batch, features)
    return from_values(kind, inputs, params)


def from_values(kind: str, inputs: dict, params: dict | None = None) -> Problem:
    """A problem with the givens you choose (a textbook's numbers), solved and verified.

    Example (the course's S0 exercise):
        >>> p = from_values("conv2d", S0)
        >>> p.solution["Y"].round(2).tolist()
        [[0.11, -0.2], [0.34, 0.03]]
    """
    if kind not in _SOLVERS:
        raise ValueError(f"teach.from_values: unknown kind {kind!r}; expected one of {KINDS}")
    defaults = {"conv2d": {"stride": 1, "padding": 0}, "batchnorm": {"eps": 0.0}}
    params = {**defaults.get(kind, {}), **(params or {})}
    inputs = {k: (np.asarray(v, dtype=np.float64) if not np.isscalar(v) else float(v))
              for k, v in inputs.items()}
    solution, asked, decimals = _SOLVERS[kind](inputs, params)
    return Problem(kind, params, inputs, solution, asked, decimals)


#: The givens of the course report's exercise S0 (a 2x2 kernel on a 3x3 input).
S0 = {"X": [[0.5, -0.2, 0.3], [0.6, 0.4, -0.1], [-0.4, 0.5, 0.2]],
      "W": [[0.1, -0.2], [-0.3, 0.4]], "b": 0.04, "dL/dY": [[0.3, 0.1], [-0.4, 0.2]]}
