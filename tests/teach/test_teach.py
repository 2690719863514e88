"""minidl.teach: generated problems are solved the same three ways, S0 comes out as the
course report printed it, planted classic mistakes are recognised, and the CLI prints sheets."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.teach import KINDS, S0, VerificationError, check, from_values, generate, render
from minidl.teach import planted_mistakes, render_sheet
from minidl.teach import problems as P
from tests.strategies import examples

geometry = st.fixed_dictionaries({
    "size": st.integers(2, 5), "kernel": st.integers(1, 3), "stride": st.integers(1, 2),
    "padding": st.integers(0, 1), "batch": st.integers(2, 4), "features": st.integers(1, 3)})


def _fits(kind, g):
    if kind == "conv2d":
        return g["size"] + 2 * g["padding"] >= g["kernel"]
    if kind in ("maxpool", "avgpool"):
        return g["size"] >= g["kernel"]
    return True


@pytest.mark.parametrize("kind", KINDS)
@examples(60)
@given(seed=st.integers(0, 2**31 - 1), g=geometry)
def test_every_problem_is_verified_three_ways(kind, seed, g):
    """generate() raises VerificationError unless loops, autograd and finite differences agree;
    here it must succeed, and the givens are round (one decimal; the bias two)."""
    if not _fits(kind, g):
        with pytest.raises(ValueError, match="does not fit"):
            generate(kind, seed=seed, **g)
        return
    p = generate(kind, seed=seed, **g)
    assert set(p.asked) <= set(p.solution)
    for name, value in p.inputs.items():
        scale = 100 if name == "b" and kind == "conv2d" else 10
        np.testing.assert_allclose(np.asarray(value) * scale, np.round(np.asarray(value) * scale),
                                   atol=1e-9)
    assert generate(kind, seed=seed, **g).solution.keys() == p.solution.keys()


@pytest.mark.parametrize("kind", KINDS)
@examples(40)
@given(seed=st.integers(0, 2**31 - 1))
def test_planted_mistakes_are_recognised_and_right_answers_pass(kind, seed):
    p = generate(kind, seed=seed, size=4, kernel=2, features=3)
    right = {q: p.solution[q] for q in p.asked}
    assert check(right, p).correct
    tol = 0.5 * 10.0 ** -p.decimals
    for quantity, mistakes in planted_mistakes(p).items():
        for mistake, value in mistakes.items():
            if np.allclose(np.asarray(value, float), np.asarray(p.solution[quantity], float),
                           atol=tol):
                continue  # this draw makes the mistake harmless: nothing to recognise
            result = check({**right, quantity: value}, p)
            assert not result.correct and quantity in result.wrong
            # another planted mistake may give the same wrong numbers; one of them is named
            named = result.mistakes[quantity].split(":")[0]
            same = [m for m, v in mistakes.items()
                    if np.shape(v) == np.shape(value)
                    and np.allclose(np.asarray(v, float), np.asarray(value, float), atol=tol)]
            assert named in same


def test_s0_reproduces_the_course_report():
    p = from_values("conv2d", S0)
    np.testing.assert_array_equal(np.round(p.solution["Y"], 2), [[0.11, -0.20], [0.34, 0.03]])
    np.testing.assert_allclose(p.solution["dL/dX"], [[0.03, -0.05, -0.02], [-0.13, 0.19, 0.0],
                                                     [0.12, -0.22, 0.08]], atol=1e-12)
    np.testing.assert_allclose(p.solution["dL/dW"], [[-0.03, -0.21], [0.48, -0.05]], atol=1e-12)
    assert p.solution["dL/db"] == pytest.approx(0.2)
    # the report's dL/dX (the padded Y convolved with the rotated kernel) is recognised
    report = planted_mistakes(p)["dL/dX"]["convolved Y instead of dL/dY"]
    result = check({"dL/dX": report}, p)
    assert result.mistakes["dL/dX"].startswith("convolved Y instead of dL/dY")
    assert "dL/dX[0, 0]: expected 0.03" in result.report()


def test_check_names_wrong_entries_and_missing_quantities():
    p = from_values("conv2d", S0)
    dx = np.array(p.solution["dL/dX"]).copy()
    dx[1, 2] += 0.1
    result = check({"Y": p.solution["Y"], "dL/dX": dx}, p)
    assert result.wrong == {"dL/dX": ["dL/dX[1, 2]: expected 0, got 0.1"]}
    assert result.missing == ["dL/dW", "dL/db"]
    assert check({"dL/db": [[0.3, 0.1], [-0.4, 0.2]]}, p).mistakes["dL/db"].startswith(
        "forgot to sum")
    with pytest.raises(ValueError, match="has no quantity 'dL/dZ'"):
        check({"dL/dZ": 1.0}, p)


def test_a_wrong_solution_fails_loudly(monkeypatch):
    """If the loop reference had a bug, generation would refuse to print the problem."""
    original = P.conv2d_backward_loops

    def buggy(*args):
        dx, dw, db = original(*args)
        return dx, dw.T, db  # the classic transposed weight gradient
    monkeypatch.setattr(P, "conv2d_backward_loops", buggy)
    with pytest.raises(VerificationError, match="disagree on dL/dW"):
        from_values("conv2d", S0)


def test_bad_requests():
    with pytest.raises(ValueError, match="unknown kind 'conv3d'"):
        generate("conv3d")
    with pytest.raises(ValueError, match="does not fit"):
        generate("conv2d", size=2, kernel=3)
    with pytest.raises(ValueError, match="expected a format"):
        render(from_values("conv2d", S0), "html")


def test_sheets_in_both_formats():
    problems = [generate("relu_chain", seed=s) for s in range(3)]
    md = render_sheet(problems, "markdown", solutions=True)
    assert md.count("### Problem") == 6 and "# Solutions" in md
    tex = render_sheet(problems, "latex", solutions=False)
    assert tex.startswith(r"\documentclass") and tex.count(r"\subsection*") == 3
    assert r"\frac{\partial L}{\partial W1}" not in tex  # no solutions asked for


def test_cli_prints_s0_with_solutions_and_rejects_bad_flags():
    out = subprocess.run([sys.executable, "-m", "minidl.teach", "conv2d", "--preset", "s0",
                          "--solutions"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Y = [[0.11, -0.20], [0.34, 0.03]]" in out.stdout
    assert "dL/dX = [[0.03, -0.05, -0.02], [-0.13, 0.19, 0.00], [0.12, -0.22, 0.08]]" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "minidl.teach", "maxpool", "--size", "2",
                          "--kernel", "3"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "does not fit" in bad.stderr
