"""Differentiable ops, by family. Each module keeps forward and backward side by side.

* :mod:`.elementwise`: arithmetic, exp/log, activations, comparisons, casts;
* :mod:`.reduction`: sum, mean, prod, max/min, var/std, logsumexp, softmax, argmax, topk;
* :mod:`.shape`: reshape, transpose, permute, squeeze, expand, cat/stack/split, flip, roll, pad;
* :mod:`.indexing`: getitem (basic and advanced), gather-style indexing with scatter-add backward;
* :mod:`.linalg`: matmul.
"""
from .elementwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from . import elementwise, indexing, linalg, reduction, shape

__all__ = (elementwise.__all__ + reduction.__all__ + shape.__all__ + indexing.__all__
           + linalg.__all__)
