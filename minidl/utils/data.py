"""PyTorch's import path for the data tools: ``from minidl.utils.data import DataLoader``.

Everything here is :mod:`minidl.data`.

Example:
    >>> import minidl.data, minidl.utils.data
    >>> minidl.utils.data.DataLoader is minidl.data.DataLoader
    True
"""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
