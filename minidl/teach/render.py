"""Problems and worked solutions as Markdown or LaTeX, for a screen or a printed handout.

Example:
    >>> from minidl.teach import from_values, S0
    >>> from minidl.teach.render import render
    >>> text = render(from_values("conv2d", S0), "markdown", solutions=True)
    >>> "Y = [[0.11, -0.20], [0.34, 0.03]]" in text
    True
"""
from __future__ import annotations

import numpy as np

__all__ = ["render", "render_sheet", "FORMATS"]

FORMATS = ("markdown", "latex")

STATEMENTS = {
    "conv2d": "A convolution with one input and one output channel, a {k}x{k} kernel W, "
              "stride {stride}, padding {padding} and bias b: Y[i, j] = b + sum_(p,q) "
              "X[i*s + p, j*s + q] W[p, q]. Compute Y, then, given dL/dY, compute dL/dX, "
              "dL/dW and dL/db.",
    "maxpool": "Max pooling with a {k}x{k} window and stride {stride}. Compute Y, then, given "
               "dL/dY, compute dL/dX.",
    "avgpool": "Average pooling with a {k}x{k} window and stride {stride}. Compute Y, then, "
               "given dL/dY, compute dL/dX.",
    "batchnorm": "Batch normalisation in training mode of the batch X (rows: samples, columns: "
                 "features), eps = 0: per feature, xhat = (x - mean) / sqrt(var) with the "
                 "biased variance, Y = gamma * xhat + beta. Compute Y, then, given dL/dY, "
                 "compute dL/dX, dL/dgamma and dL/dbeta.",
    "linear_softmax_ce": "A linear layer z = W x + b, softmax p = softmax(z) and the "
                         "cross-entropy loss L = -log p[{target}] (target class {target}). "
                         "Compute z, p and L, then dL/dW, dL/db and dL/dx.",
    "relu_chain": "Two linear layers with a ReLU between them: h = relu(W1 x + b1), "
                  "y = W2 h + b2. Compute h and y, then, given dL/dy, compute dL/dW2, dL/db2, "
                  "dL/dW1, dL/db1 and dL/dx.",
    "residual": "A residual block y = relu(W x + b) + x. Compute y, then, given dL/dy, compute "
                "dL/dx, dL/dW and dL/db.",
}


def _fmt(value, decimals) -> str:
    a = np.round(np.asarray(value, dtype=float), decimals) + 0.0  # + 0.0: no "-0.00"
    if a.ndim == 0:
        return f"{float(a):.{decimals}f}"
    if a.ndim == 1:
        return "[" + ", ".join(f"{v:.{decimals}f}" for v in a) + "]"
    return "[" + ", ".join(_fmt(row, decimals) for row in a) + "]"


def _latex_matrix(value, decimals) -> str:
    a = np.round(np.asarray(value, dtype=float), decimals) + 0.0
    if a.ndim == 0:
        return f"{float(a):.{decimals}f}"
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    body = r" \\ ".join(" & ".join(f"{v:.{decimals}f}" for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _latex_name(name: str) -> str:
    if name.startswith("dL/d"):
        return r"\frac{\partial L}{\partial " + name[4:] + "}"
    return {"xhat": r"\hat{x}", "gamma": r"\gamma", "beta": r"\beta"}.get(name, name)


def _given_decimals(value) -> int:
    a = np.asarray(value, dtype=float)
    return 1 if np.allclose(a * 10, np.round(a * 10)) else 2


def render(problem, fmt: str = "markdown", solutions: bool = False, number: int | None = None) -> str:
    """One problem (and with ``solutions`` its worked solution) as Markdown or LaTeX.

    Args:
        problem: a :class:`~minidl.teach.problems.Problem`.
        fmt: ``"markdown"`` or ``"latex"``.
        solutions: add every intermediate quantity of the verified solution.
        number: the problem's number on a sheet.
    """
    if fmt not in FORMATS:
        raise ValueError(f"teach.render: expected a format in {FORMATS}, got {fmt!r}")
    p = problem.params
    k = next((np.shape(v)[0] for n, v in problem.inputs.items() if n == "W"), p.get("kernel"))
    statement = STATEMENTS[problem.kind].format(k=k if k is not None else p.get("kernel"),
                                                stride=p.get("stride", 1),
                                                padding=p.get("padding", 0),
                                                target=p.get("target"))
    title = f"Problem {number}" if number is not None else "Problem"
    given = [(n, v, _given_decimals(v)) for n, v in problem.inputs.items()]
    answers = [(n, v, problem.decimals) for n, v in problem.solution.items()]
    if fmt == "markdown":
        lines = [f"### {title} ({problem.kind})", "", statement, "", "Given:", ""]
        lines += [f"    {n} = {_fmt(v, d)}" for n, v, d in given]
        if solutions:
            lines += ["", "Solution (checked by loops, autograd and finite differences):", ""]
            lines += [f"    {n} = {_fmt(v, d)}" for n, v, d in answers]
        return "\n".join(lines) + "\n"
    lines = [rf"\subsection*{{{title} ({problem.kind.replace('_', ' ')})}}", statement, "",
             r"\begin{align*}"]
    lines += [rf"{_latex_name(n)} &= {_latex_matrix(v, d)} \\" for n, v, d in given]
    lines.append(r"\end{align*}")
    if solutions:
        lines += [r"\paragraph{Solution} (checked by loops, autograd and finite differences)",
                  r"\begin{align*}"]
        lines += [rf"{_latex_name(n)} &= {_latex_matrix(v, d)} \\" for n, v, d in answers]
        lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


def render_sheet(problems, fmt: str = "markdown", solutions: bool = False,
                 title: str = "Exercises") -> str:
    """A sheet of numbered problems; with ``solutions``, the worked solutions follow them."""
    if fmt == "markdown":
        head = [f"# {title}", ""]
        body = [render(p, fmt, False, i + 1) for i, p in enumerate(problems)]
        if solutions:
            body += ["# Solutions", ""] + [render(p, fmt, True, i + 1)
                                           for i, p in enumerate(problems)]
        return "\n".join(head + body)
    head = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}",
            rf"\section*{{{title}}}"]
    body = [render(p, fmt, False, i + 1) for i, p in enumerate(problems)]
    if solutions:
        body += [r"\section*{Solutions}"] + [render(p, fmt, True, i + 1)
                                               for i, p in enumerate(problems)]
    return "\n".join(head + body + [r"\end{document}"]) + "\n"
