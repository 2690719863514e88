"""``minidl.nn``: Modules (layers with parameters), ``functional`` and ``init``.

Example:
    >>> import minidl.nn as nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
"""
from .modules import *  # noqa: F401,F403
from . import functional, init, modules, utils  # noqa: F401
