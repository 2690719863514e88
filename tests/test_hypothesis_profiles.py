"""Every hypothesis test's example count scales with the profile (HYPOTHESIS_PROFILE)."""
import ast
import pathlib

from hypothesis import settings

from tests import strategies

TESTS = pathlib.Path(__file__).resolve().parent


def test_examples_scale_with_the_profile():
    previous = settings._current_profile
    try:
        counts = {}
        for profile in ("ci", "dev", "thorough"):
            settings.load_profile(profile)
            counts[profile] = strategies.examples(8).max_examples
        assert counts == {"ci": 8, "dev": 16, "thorough": 160}
        settings.load_profile("thorough")
        assert strategies.examples(3, deadline=1000).deadline.total_seconds() == 1.0
    finally:
        settings.load_profile(previous)


def test_no_test_pins_its_example_count():
    """A literal ``max_examples=`` in a test would ignore the profile (a thorough run would
    stop at the CI count); tests state their weight with ``@examples(n)`` instead."""
    pinned = []
    for path in TESTS.rglob("*.py"):
        if path.name in ("conftest.py", "strategies.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "max_examples":
                pinned.append(f"{path.relative_to(TESTS)}:{node.value.lineno}")
    assert not pinned, f"use @examples(n) from tests/strategies.py instead: {pinned}"
