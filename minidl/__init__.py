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
"""
import numpy as _np

from . import backend
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Device as device
from .backend import get_rng_state, manual_seed, set_rng_state
from .factory import *  # noqa: F401,F403
from .ops import *  # noqa: F401,F403
from .tensor import Tensor
from .serialization import save, load
from . import autograd, cuda, errors, factory, ops

__version__ = "0.1.0"

float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int32 = _np.dtype(_np.int32)
int64 = long = _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)  # noqa: A001 (PyTorch's name)
