"""docs/errors.md lists every exception class minidl defines (its blocks run in test_docs)."""
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import minidl
from minidl import errors

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
OPTIONAL = ("cupy", "cupyx", "torch")


def minidl_exception_classes():
    classes = {}
    for info in pkgutil.walk_packages(minidl.__path__, prefix="minidl."):
        try:
            module = importlib.import_module(info.name)
        except ImportError as err:
            if getattr(err, "name", "") and err.name.split(".")[0] in OPTIONAL:
                continue
            raise
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) \
                    and obj.__module__.startswith("minidl"):
                classes[name] = obj
    return classes


def test_every_exception_class_is_in_the_doc():
    listed = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(), flags=re.M))
    defined = set(minidl_exception_classes())
    assert defined - listed == set(), f"add these to docs/errors.md: {defined - listed}"
    assert listed - defined == set(), f"docs/errors.md lists unknown classes: {listed - defined}"


def test_device_error_on_the_strict_device(strict):
    with pytest.raises(errors.DeviceError, match="(?i)add: expected all tensors on the same device"):
        minidl.ones(2) + minidl.ones(2).to(strict)
