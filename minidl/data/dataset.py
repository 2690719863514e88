"""Datasets: things with a length that give one sample per index.

A map-style dataset is any object with ``__len__`` and ``__getitem__(i)``. A sample
is usually a tuple ``(image, label)`` of NumPy arrays and Python numbers; the
:class:`~minidl.data.DataLoader` stacks samples into batches and turns the arrays
into :class:`~minidl.Tensor` objects.

Building blocks here:

* :class:`Dataset`: the base class (``ds1 + ds2`` concatenates);
* :class:`TensorDataset`: rows of arrays that share their first dimension;
* :class:`Subset` and :func:`random_split`: views on part of a dataset;
* :class:`ConcatDataset`: several datasets one after the other.

Example:
    >>> import numpy as np
    >>> from minidl.data import TensorDataset, random_split
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
    >>> len(ds), ds[1]
    (5, (array([2., 3.]), np.int64(1)))
    >>> train, val = random_split(ds, [0.6, 0.4])
    >>> len(train), len(val)
    (3, 2)
"""
from __future__ import annotations

import bisect
import math
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [Squares()[i] for i in range(4)]
        [0, 1, 4, 9]
        >>> len(Squares() + Squares())
        8
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


def _as_numpy(x, name: str) -> np.ndarray:
    """A host NumPy array from a Tensor, an array or a nested list."""
    if isinstance(x, Tensor):
        x = x._array
    arr = backend.to_numpy(x) if hasattr(x, "shape") else np.asarray(x)
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected arrays with a first (sample) dimension, got a scalar")
    return arr


class TensorDataset(Dataset):
    """Rows of several arrays: sample ``i`` is ``(a[i], b[i], ...)``.

    Args:
        *tensors: Tensors or arrays, all with the same size in their first dimension.
            They are kept as NumPy arrays (Tensors are unwrapped; no copy on the CPU).

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((3, 2)), np.array([7, 8, 9]))
        >>> ds[2][1]
        np.int64(9)
        >>> TensorDataset(np.zeros(3), np.zeros(4))
        Traceback (most recent call last):
        ...
        ValueError: TensorDataset: all arrays must have the same first dimension, got sizes [3, 4]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one array")
        self.tensors = tuple(_as_numpy(t, "TensorDataset") for t in tensors)
        sizes = [len(t) for t in self.tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: all arrays must have the same first dimension, got sizes {sizes}")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the full dataset.
        indices: a sequence of indices into it.

    Example:
        >>> Subset(list("abcdef"), [5, 0, 2])[0]
        'f'
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another.

    Args:
        datasets: an iterable of datasets (each with ``__len__``).

    Example:
        >>> ds = ConcatDataset([[1, 2, 3], [4, 5]])
        >>> len(ds), ds[3], ds[-1]
        (5, 4, 5)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        # cumulative_sizes[k] = number of samples in datasets[0..k]
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"ConcatDataset: index out of range for a dataset of length {n}")
        k = bisect.bisect_right(self.cumulative_sizes, index)  # first dataset that ends after index
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


def _split_lengths(lengths, n: int) -> list[int]:
    """Integer lengths from ints (summing to n) or fractions (summing to 1)."""
    lengths = list(lengths)
    if all(isinstance(x, numbers.Integral) for x in lengths):
        if sum(lengths) != n:
            raise ValueError(
                f"random_split: the lengths {lengths} add up to {sum(lengths)}, "
                f"but the dataset has {n} samples")
        return [int(x) for x in lengths]
    if math.isclose(sum(lengths), 1.0, abs_tol=1e-6) and all(0 <= x <= 1 for x in lengths):
        counts = [int(math.floor(n * f)) for f in lengths]
        # hand the samples lost to rounding down out one by one, first split first
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    raise ValueError(
        "random_split: expected integer lengths that add up to the dataset's length or "
        f"fractions that add up to 1, got {lengths}")


def random_split(dataset, lengths, generator: np.random.Generator | None = None) -> list[Subset]:
    """Split a dataset into non-overlapping random subsets.

    Args:
        dataset: the dataset to split.
        lengths: the subset sizes, as integers adding up to ``len(dataset)`` or as fractions
            adding up to 1 (``[0.8, 0.2]``; samples lost to rounding go to the first subsets).
        generator: a ``numpy.random.Generator`` for the permutation; by default minidl's
            generator, so the split is fixed by :func:`minidl.manual_seed`.

    Example:
        >>> import minidl
        >>> _ = minidl.manual_seed(0)
        >>> a, b = random_split(range(10), [7, 3])
        >>> sorted(list(a.indices) + list(b.indices)) == list(range(10))
        True
    """
    counts = _split_lengths(lengths, len(dataset))
    rng = generator if generator is not None else backend.get_default_generator()
    order = rng.permutation(len(dataset)).tolist()
    subsets, start = [], 0
    for c in counts:
        subsets.append(Subset(dataset, order[start:start + c]))
        start += c
    return subsets
