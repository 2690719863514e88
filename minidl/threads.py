"""``set_num_threads`` / ``get_num_threads``: the size of the BLAS thread pool.

minidl's heavy work (matrix products inside convolutions and linear layers) runs in the
BLAS library that NumPy was built with; its thread pool is what PyTorch's
``torch.set_num_threads`` controls. minidl sets it through threadpoolctl, the well-kept
library for exactly that (``pip install minidl[threads]``).

Example:
    >>> import minidl
    >>> before = minidl.get_num_threads()
    >>> minidl.set_num_threads(1)
    >>> minidl.get_num_threads()
    1
    >>> minidl.set_num_threads(before)
"""
from __future__ import annotations

import os

from .errors import ArgumentError

__all__ = ["set_num_threads", "get_num_threads"]


def _threadpoolctl(feature: str):
    from .utils.optional import import_optional
    return import_optional("threadpoolctl", feature=feature, extra="threads",
                           package="threadpoolctl")


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS thread pool(s) from now on (as ``torch.set_num_threads``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"set_num_threads: expected a positive int, got {n!r}")
    _threadpoolctl("minidl.set_num_threads").threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads of the BLAS thread pool (the CPU count when NumPy has none)."""
    pools = _threadpoolctl("minidl.get_num_threads").threadpool_info()
    counts = [p["num_threads"] for p in pools if p.get("user_api") == "blas"]
    return max(counts) if counts else (os.cpu_count() or 1)
