"""``minidl.teach``: hand-computation exercises with verified solutions, and an answer checker.

A lecturer asks for a problem of one kind (a small convolution, a pooling layer, batch norm,
softmax + cross-entropy, a ReLU network, a residual block); minidl draws round numbers (one
decimal place), solves it with loops written as the textbook formula, checks that solution
against its own autograd and against central finite differences, and prints the problem and,
on request, the worked solution, as Markdown or LaTeX. A student's answer can then be
checked entry by entry, with the classic mistakes recognised and explained.

From the shell::

    python -m minidl.teach conv2d --size 3 --kernel 2 --seed 7 --solutions
    python -m minidl.teach conv2d --preset s0 --solutions      # the course's exercise S0
    python -m minidl.teach batchnorm --count 5 --format latex > sheet.tex

Example:
    >>> from minidl.teach import S0, check, from_values, generate
    >>> p = from_values("conv2d", S0)
    >>> p.solution["dL/db"]
    np.float64(0.2)
    >>> check({"dL/db": 0.2}, p).wrong
    {}
"""
from .check import CheckResult, check, planted_mistakes
from .problems import KINDS, S0, Problem, VerificationError, from_values, generate
from .render import render, render_sheet

__all__ = ["KINDS", "S0", "Problem", "VerificationError", "CheckResult", "generate",
           "from_values", "check", "planted_mistakes", "render", "render_sheet"]
