"""minidl: a deep-learning framework written from scratch on NumPy (CPU) and CuPy (GPU).

The public API mirrors PyTorch's, so that course code runs with its imports changed::

    import minidl as torch
    import minidl.nn as nn
    import minidl.nn.functional as F

Example:
    >>> import minidl
    >>> x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]

PyTorch's subpackages are attributes of the package, as in PyTorch: ``torch.nn``,
``torch.nn.functional``, ``torch.optim``, ``torch.optim.lr_scheduler``, ``torch.utils.data``,
``torch.autograd``, ``torch.cuda``, and minidl's model zoo as ``torch.models``. The layers
above the tensor (nn, optim, data, utils, models) import ``minidl`` themselves, so they are
loaded on first access (module ``__getattr__``) rather than here, which keeps the import
order acyclic.
"""
import importlib as _importlib

import numpy as _np

from . import backend
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import inference_mode
from .backend import Device as device
from .backend import get_rng_state, manual_seed, set_rng_state
from .factory import *  # noqa: F401,F403
from .ops import *  # noqa: F401,F403
from .tensor import Tensor
from .serialization import save, load
from .queries import allclose, is_tensor, numel
from .threads import get_num_threads, set_num_threads
from . import autograd, cuda, errors, factory, ops

__version__ = "0.1.0"

float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int32 = _np.dtype(_np.int32)
int64 = long = _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)  # noqa: A001 (PyTorch's name)


# Loaded on first use: each of these imports minidl, so importing them here would be a cycle.
_LAZY_SUBMODULES = ("nn", "optim", "utils", "data", "models")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        module = _importlib.import_module(f".{name}", __name__)
        globals()[name] = module  # later lookups skip this function
        return module
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
