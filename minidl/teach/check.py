"""Checking a student's answer: which entries are wrong, and which classic mistake made them.

:func:`check` compares each quantity the student gives with the verified solution, at the
problem's number of decimals, and names every wrong entry (``dL/dX[1, 2]: expected -0.07,
got 0.05``). For a wrong quantity it then recomputes it the ways students typically get it
wrong and, when the answer matches one of them, says which mistake it is and why it is one.
The mistakes recognised (from the course's own exercise S0 and the usual suspects):

* conv2d ``dL/dX``: convolving the output **Y** instead of **dL/dY** with the rotated
  kernel (the S0 report's error); forgetting the 180-degree **rotation**; using the
  **transposed** kernel instead of the rotated one;
* conv2d ``dL/dW``: correlating **Y** instead of **dL/dY** with the input;
* conv2d ``dL/db``: forgetting to **sum** dL/dY over the positions (giving the matrix, or
  its mean);
* maxpool ``dL/dX``: spreading the gradient over the whole window like average pooling;
* batchnorm ``dL/dX``: the backward **without the mean terms** (treating mean and variance as
  constants: ``dx = gamma / std * dy``);
* linear_softmax_ce ``dL/dz``: forgetting to subtract the one-hot target (``p`` alone);
* relu_chain / residual: passing the gradient through the ReLU **without the mask**;
  residual ``dL/dx``: **dropping the skip connection's** ``dL/dy`` term.

Example:
    >>> from minidl.teach import check, from_values, S0
    >>> p = from_values("conv2d", S0)
    >>> report_dx = planted_mistakes(p)["dL/dX"]["convolved Y instead of dL/dY"]
    >>> result = check({"Y": p.solution["Y"], "dL/dX": report_dx}, p)
    >>> result.correct
    False
    >>> result.mistakes["dL/dX"].split(":")[0]
    'convolved Y instead of dL/dY'
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .problems import Problem, conv2d_backward_loops, conv2d_loops, pool_backward_loops

__all__ = ["check", "CheckResult", "planted_mistakes"]


@dataclasses.dataclass
class CheckResult:
    """What :func:`check` found.

    Attributes:
        correct: every given quantity is right (and none asked for is missing).
        wrong: ``{quantity: ["dL/dX[0, 1]: expected 0.07, got 0.05", ...]}``.
        missing: asked quantities the answer did not give.
        mistakes: ``{quantity: "name of the mistake: why it is one"}`` where recognised.
    """

    correct: bool
    wrong: dict
    missing: list
    mistakes: dict

    def report(self) -> str:
        """A few lines a student can read."""
        if self.correct:
            return "All correct."
        lines = [f"missing: {q}" for q in self.missing]
        for q, entries in self.wrong.items():
            lines += entries[:6] + ([f"... and {len(entries) - 6} more"] if len(entries) > 6 else [])
            if q in self.mistakes:
                lines.append(f"  -> {self.mistakes[q]}")
        return "\n".join(lines)


def _full_conv(a, w, stride=1):
    """Zero-pad ``a`` by (KH-1, KW-1) (after undoing the stride) and correlate with ``w``."""
    kh, kw = w.shape
    if stride > 1:  # put dL/dY back on the input grid: the stride's zeros in between
        spread = np.zeros(((a.shape[0] - 1) * stride + 1, (a.shape[1] - 1) * stride + 1))
        spread[::stride, ::stride] = a
        a = spread
    return conv2d_loops(np.pad(a, ((kh - 1, kh - 1), (kw - 1, kw - 1))), w, 0.0)


def planted_mistakes(problem: Problem) -> dict:
    """``{quantity: {mistake: wrong value}}``: the classic wrong answers of this problem."""
    s, x = problem.solution, problem.inputs
    if problem.kind == "conv2d":
        w, dy = x["W"], x["dL/dY"]
        stride, pad = problem.params["stride"], problem.params["padding"]
        rot = np.rot90(w, 2)

        def dx_from(a, kernel):
            full = _full_conv(a, kernel, stride)
            h, w_ = x["X"].shape
            out = np.zeros((h + 2 * pad, w_ + 2 * pad))
            out[:full.shape[0], :full.shape[1]] = full[:out.shape[0], :out.shape[1]]
            return out[pad:pad + h, pad:pad + w_]

        return {
            "dL/dX": {
                "convolved Y instead of dL/dY": dx_from(s["Y"], rot),
                "forgot to rotate the kernel": dx_from(dy, w),
                "used the transposed kernel instead of the rotated one": dx_from(dy, w.T),
            },
            "dL/dW": {"correlated Y instead of dL/dY with X":
                      conv2d_backward_loops(x["X"], w, s["Y"], stride, pad)[1]},
            "dL/db": {"forgot to sum dL/dY over the positions": dy,
                      "averaged dL/dY instead of summing it": np.float64(dy.mean())},
        }
    if problem.kind == "maxpool":
        k, st = problem.params["kernel"], problem.params["stride"]
        return {"dL/dX": {"spread the gradient over the window (average pooling's rule)":
                          pool_backward_loops(x["X"], x["dL/dY"], k, st, "avg", None)}}
    if problem.kind == "batchnorm":
        std = np.sqrt(s["var"])
        return {"dL/dX": {"backward without the mean terms":
                          x["gamma"] * x["dL/dY"] / std}}
    if problem.kind == "linear_softmax_ce":
        return {"dL/dz": {"forgot to subtract the one-hot target": s["p"]},
                "dL/db": {"forgot to subtract the one-hot target": s["p"]}}
    if problem.kind == "relu_chain":
        no_mask = x["W2"].T @ x["dL/dy"]
        return {"dL/db1": {"passed the gradient through the ReLU without its mask": no_mask},
                "dL/dW1": {"passed the gradient through the ReLU without its mask":
                           np.outer(no_mask, x["x"])}}
    if problem.kind == "residual":
        return {"dL/dx": {"dropped the skip connection's dL/dy term": s["dL/dx"] - x["dL/dy"],
                          "passed the gradient through the ReLU without its mask":
                          x["dL/dy"] + x["W"].T @ x["dL/dy"]},
                "dL/db": {"passed the gradient through the ReLU without its mask":
                          x["dL/dy"]}}
    return {}


WHY = {
    "convolved Y instead of dL/dY": "dL/dX is the full convolution of the upstream gradient "
    "dL/dY with the kernel rotated by 180 degrees; Y is what the layer produced, not how the "
    "loss changes with it.",
    "forgot to rotate the kernel": "output Y[i, j] used X[i + p, j + q] times W[p, q], so going "
    "back, X[m, n] collects dL/dY[i, j] * W[m - i, n - j]: the kernel read backwards, i.e. "
    "rotated by 180 degrees.",
    "used the transposed kernel instead of the rotated one": "rotating by 180 degrees flips "
    "rows AND columns (W[::-1, ::-1]); a transpose swaps them, which is a different matrix.",
    "correlated Y instead of dL/dY with X": "dL/dW[p, q] = sum of dL/dY[i, j] * X[i + p, j + q]: "
    "the upstream gradient, not the output.",
    "forgot to sum dL/dY over the positions": "the same b is added at every output position, "
    "so its gradient is the SUM of dL/dY over all of them: one number.",
    "averaged dL/dY instead of summing it": "b is added at every position; each position "
    "contributes its full dL/dY, so they add up (sum, not mean).",
    "spread the gradient over the window (average pooling's rule)": "only the window's largest "
    "input reached the output, so only it gets dL/dY; the others had no effect on the loss.",
    "backward without the mean terms": "the batch mean and variance depend on every x, so "
    "dL/dx has two more terms: dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat)).",
    "forgot to subtract the one-hot target": "dL/dz = p - onehot(target): the -log p[target] "
    "term subtracts 1 at the target class.",
    "passed the gradient through the ReLU without its mask": "ReLU's derivative is 0 where its "
    "input was negative: the gradient stops there.",
    "dropped the skip connection's dL/dy term": "y = relu(z) + x, so x also reaches y "
    "directly: dL/dx gets dL/dy itself on top of the path through the layer.",
}


def _rounded(value, decimals):
    return np.round(np.asarray(value, dtype=float), decimals)


def check(answer: dict, problem: Problem, decimals: int | None = None) -> CheckResult:
    """Check a student's ``answer`` (``{quantity: value}``) against ``problem``'s solution.

    Args:
        answer: quantities by the names of ``problem.solution`` (``"Y"``, ``"dL/dX"``, ...);
            numbers, nested lists or arrays.
        problem: the :class:`~minidl.teach.problems.Problem` the answer is for.
        decimals: compare rounded to this many decimals (default: the problem's).

    Returns:
        A :class:`CheckResult`; ``.report()`` gives it as text.

    Raises:
        ValueError: an answer names a quantity the problem does not have.
    """
    decimals = problem.decimals if decimals is None else decimals
    tol = 0.5 * 10.0 ** -decimals + 1e-12
    unknown = sorted(set(answer) - set(problem.solution))
    if unknown:
        raise ValueError(f"teach.check: the {problem.kind} problem has no quantity "
                         f"{unknown[0]!r}; it has {list(problem.solution)}")
    wrong, mistakes = {}, {}
    planted = planted_mistakes(problem)
    for name, given in answer.items():
        expected = np.asarray(problem.solution[name], dtype=float)
        given = np.asarray(given, dtype=float)
        if given.shape != expected.shape:
            wrong[name] = [f"{name}: expected shape {expected.shape}, got {given.shape}"]
        else:
            bad = np.abs(given - expected) > tol
            wrong_entries = [
                f"{name}{[int(i) for i in idx]}: expected "
                f"{_rounded(expected[idx], decimals):g}, got {given[idx]:g}"
                for idx in zip(*np.nonzero(bad))] if expected.ndim else (
                [f"{name}: expected {_rounded(expected, decimals):g}, got {float(given):g}"]
                if bad else [])
            if not wrong_entries:
                continue
            wrong[name] = wrong_entries
        for mistake, value in planted.get(name, {}).items():
            value = np.asarray(value, dtype=float)
            if value.shape == given.shape and np.all(np.abs(value - given) <= tol) \
                    and not np.allclose(value, expected, atol=tol):
                mistakes[name] = f"{mistake}: {WHY[mistake]}"
                break
    missing = [q for q in problem.asked if q not in answer]
    return CheckResult(not wrong and not missing, wrong, missing, mistakes)
