"""The examples in the docstrings of every minidl module run and print what they show.

One test per module. A module that cannot be imported because an optional dependency
(CuPy) is missing is skipped.
"""
import doctest
import importlib
import pkgutil

import pytest

import minidl

OPTIONAL = ("cupy", "cupyx", "torch")
MODULES = sorted(
    ["minidl"] + [m.name for m in pkgutil.walk_packages(minidl.__path__, prefix="minidl.")])


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        module = importlib.import_module(name)
    except ImportError as err:
        if getattr(err, "name", None) and err.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs the optional dependency {err.name}")
        raise
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in finder.find(module, name):
        if test.examples:
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    if result.failed:
        pytest.fail(f"{result.failed} of {result.attempted} doctest examples failed in "
                    f"{name}:\n" + "".join(report), pytrace=False)
