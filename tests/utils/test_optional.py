"""Tests for minidl.utils.optional: a missing optional package gives the pip commands."""
import pytest

from minidl.utils.optional import import_optional


def test_import_optional_returns_the_module():
    json = import_optional("json", feature="a test", extra="dev", package="json")
    assert json.dumps([1]) == "[1]"


def test_import_optional_missing_names_feature_extra_and_package():
    with pytest.raises(ImportError) as info:
        import_optional("minidl_no_such_module.sub", feature="minidl.plots.thing", extra="viz",
                        package="no-such-package")
    message = str(info.value)
    assert message.startswith("minidl.plots.thing needs the optional package no-such-package")
    assert "pip install minidl[viz]" in message and "pip install no-such-package" in message
    assert info.value.name == "minidl_no_such_module"
    assert isinstance(info.value.__cause__, ImportError)
