"""Importing optional dependencies with an error that says how to install them.

minidl's core needs only NumPy, Pillow, matplotlib and tqdm. Well-kept libraries that do one job
better than a hand-written copy would (scikit-learn's t-SNE, for instance) are optional: they
are imported on first use, and a missing one raises an ``ImportError`` that names the function
that needed it and the two pip commands that install it.

Example:
    >>> numpy = import_optional("numpy", feature="this doctest", extra="dev", package="numpy")
    >>> numpy.__name__
    'numpy'
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]


def import_optional(module: str, *, feature: str, extra: str, package: str) -> ModuleType:
    """Import ``module``, or raise an ImportError naming ``feature`` and the pip commands.

    Args:
        module: the dotted module name to import (``"sklearn.manifold"``).
        feature: who needs it, for the message (``"minidl.utils.manifold.tsne"``).
        extra: the minidl extra that installs it (``"viz"`` -> ``pip install minidl[viz]``).
        package: the name of the package on PyPI (``"scikit-learn"``).

    Returns:
        The imported module.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{feature} needs the optional package {package} (module '{module}'), which is not "
            f"installed: pip install minidl[{extra}]  (or: pip install {package})",
            name=err.name) from err
