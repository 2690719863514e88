"""Version counters: how autograd notices that a saved array was changed in place.

Backward reads the arrays that forward saved (``ctx.save_for_backward``). If something
overwrites one of them in between (``x[0] = 100``, ``x.fill_(0)``, an optimizer step), the
gradient would be computed from the new values, silently wrong. So every storage (the
array that owns the memory; views share their owner's) has a version number:

* every in-place write (``t[i] = v``, the ``*_`` methods, ``+=``, an optimizer's update)
  calls :func:`bump`, which adds one to the version of the storage it wrote to;
* ``ctx.save_for_backward`` records the version of each saved array's storage;
* reading ``ctx.saved_tensors`` in backward compares; a difference raises
  :class:`~minidl.errors.InplaceError` naming the in-place op and both versions.

Writes through ``t.data`` are not counted, as in PyTorch: ``.data`` is the explicit way
to change values behind autograd's back (initialisation, EMA updates).

Storages that were never written in place have no entry (version 0), so a forward pass
that does not write in place costs one dictionary lookup per saved array.

Example:
    >>> import numpy as np
    >>> a = np.zeros(3)
    >>> version(a[1:]), bump(a, "fill_"), version(a[1:])
    (0, None, 1)
"""
from __future__ import annotations

import weakref

__all__ = ["storage_of", "version", "bump", "last_writer"]

# id(storage array) -> [version, name of the last in-place op that wrote to it]
_counters: dict = {}


def storage_of(array):
    """The array that owns ``array``'s memory (``array`` itself unless it is a view)."""
    base = getattr(array, "base", None)
    while base is not None and hasattr(base, "dtype"):  # stop at bytes/mmap buffers
        array, base = base, getattr(base, "base", None)
    return array


def version(array) -> int:
    """How many in-place writes ``array``'s storage has had (0 for non-arrays)."""
    if not hasattr(array, "dtype"):
        return 0
    entry = _counters.get(id(storage_of(array)))
    return 0 if entry is None else entry[0]


def last_writer(array) -> str:
    """The name of the last in-place op that wrote to ``array``'s storage."""
    entry = _counters.get(id(storage_of(array)))
    return "an in-place write" if entry is None else entry[1]


def bump(array, op: str) -> None:
    """Record that ``op`` wrote to ``array``'s storage in place."""
    root = storage_of(array)
    key = id(root)
    entry = _counters.get(key)
    if entry is None:
        _counters[key] = [1, op]
        try:  # forget the counter with its storage, so a new array with this id starts afresh
            weakref.finalize(root, _counters.pop, key, None)
        except TypeError:  # an array type without weak references keeps its (small) entry
            pass
    else:
        entry[0] += 1
        entry[1] = op
