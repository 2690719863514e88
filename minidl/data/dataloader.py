"""``DataLoader``: batches, shuffling and background loading.

A loader turns a dataset (one sample per index) into an iterable of batches:

1. a *sampler* gives the order of the indices (:class:`SequentialSampler`, or
   :class:`RandomSampler` when ``shuffle=True``);
2. a :class:`BatchSampler` groups them into lists of ``batch_size`` indices;
3. the samples of one list are loaded (``dataset[i]``) and stacked by the
   *collate* function (:func:`default_collate`) into Tensors.

Loading in threads
------------------
With ``prefetch > 0`` (the default) a background thread loads the next batches while
the training loop works on the current one; ``num_workers=k`` uses ``k`` threads that
load whole batches in parallel (decoding and augmenting images in PIL and NumPy
mostly releases Python's GIL). Batches come out in the same order as without threads.
``prefetch=0, num_workers=0`` loads everything in the calling thread (easiest to debug).

Reproducibility
---------------
Everything random is decided in the calling thread, so threads change nothing:

* the sampler's order is drawn when the epoch starts (``iter(loader)``), from the
  loader's ``generator`` or, without one, from minidl's generator (so
  :func:`minidl.manual_seed` fixes it);
* one seed per sample is drawn in the calling thread too, and ``dataset[i]`` runs inside
  ``transforms.use_generator(numpy.random.default_rng(seed))``: random transforms draw
  from that per-sample generator, whichever thread runs them. A dataset that needs random
  numbers of its own should take them from :func:`minidl.data.transforms.get_generator`.

Example:
    >>> import numpy as np, minidl
    >>> from minidl.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> _ = minidl.manual_seed(0)
    >>> for x, y in DataLoader(ds, batch_size=2):
    ...     print(x.shape, y.tolist())
    (2, 2) [0, 1]
    (2, 2) [2, 3]
    (1, 2) [4]
"""
from __future__ import annotations

import collections.abc
import itertools
import numbers
import queue
import threading
import time
import traceback
import weakref

import numpy as np

from .. import backend
from ..tensor import Tensor
from .transforms import use_generator

__all__ = [
    "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "default_collate",
]

_SEED_HIGH = 2 ** 63  # seeds are drawn from [0, 2**63)


# ----------------------------------------------------------------------------- samplers
class Sampler:
    """Base class of samplers: an iterable of dataset indices with a length."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1.

    Example:
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_generator(generator) -> np.random.Generator:
    """The generator for one epoch: the given one, or a fresh one seeded from minidl's."""
    if generator is not None:
        return generator
    seed = int(backend.get_default_generator().integers(_SEED_HIGH))
    return np.random.default_rng(seed)


class RandomSampler(Sampler):
    """Indices in a random order (a new order every epoch).

    The order is drawn when iteration starts: from ``generator`` if given, otherwise from a
    generator seeded with one number drawn from minidl's generator, so that
    :func:`minidl.manual_seed` makes the sequence of epochs reproducible.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement (then ``num_samples`` may exceed the length).
        num_samples: how many indices per epoch (default: ``len(data_source)``).
        generator: an optional ``numpy.random.Generator``.

    Example:
        >>> import minidl
        >>> _ = minidl.manual_seed(0); a = list(RandomSampler(range(5)))
        >>> _ = minidl.manual_seed(0); b = list(RandomSampler(range(5)))
        >>> a == b and sorted(a) == [0, 1, 2, 3, 4]
        True
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: np.random.Generator | None = None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}")
        if not replacement and num_samples is not None and num_samples > len(data_source):
            raise ValueError(
                f"RandomSampler: num_samples={num_samples} exceeds the dataset's length "
                f"{len(data_source)}; pass replacement=True to draw more")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        # drawn here, not lazily, so the epoch's order is fixed when iter() is called
        rng = _epoch_generator(self.generator)
        n = len(self.data_source)
        if self.replacement:
            order = rng.integers(0, n, size=self.num_samples)
        else:
            order = rng.permutation(n)[:self.num_samples]
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch (seeded as in :class:`RandomSampler`).

    Example:
        >>> sorted(SubsetRandomSampler([3, 7, 9]))
        [3, 7, 9]
    """

    def __init__(self, indices, generator: np.random.Generator | None = None):
        self.indices = list(indices)
        self.generator = generator

    def __iter__(self):
        rng = _epoch_generator(self.generator)
        return iter([self.indices[k] for k in rng.permutation(len(self.indices)).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    Example:
        >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=5))
        {1}
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator: np.random.Generator | None = None):
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or (w < 0).any() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: expected a 1-D sequence of non-negative "
                             f"weights with a positive sum, got {weights!r}")
        self.weights = w / w.sum()
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        rng = _epoch_generator(self.generator)
        picks = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights)
        return iter(picks.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: an iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last, smaller batch.

    Example:
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)  # eager: a random sampler draws its order now
        return self._batches(indices)

    def _batches(self, indices):
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


# ----------------------------------------------------------------------------- collate
def _stack(arrays, where: str) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(
            f"default_collate: expected samples of one shape to stack at {where}, got shapes "
            f"{sorted(shapes)}; resize or crop them to one size (transforms.Resize/CenterCrop) "
            "or pass a collate_fn")
    return np.stack(arrays)


def default_collate(batch, _where: str = "the sample"):
    """Stack a list of samples into one batch of Tensors.

    Each sample's structure is kept and its leaves are stacked along a new first dimension:

    * arrays and Tensors -> one Tensor (dtype kept, so float64 stays float64);
    * Python ints -> int64, floats -> float32, bools -> bool; NumPy scalars keep their dtype;
    * strings -> a list of strings;
    * tuples, lists and dicts -> the same container of collated fields.

    Args:
        batch: a list of samples of the same structure.

    Returns:
        The batch, with Tensors that do not require grad.

    Example:
        >>> import numpy as np
        >>> x, y = default_collate([(np.zeros((3, 2)), 1), (np.ones((3, 2)), 0)])
        >>> x.shape, y.dtype, y.tolist()
        ((2, 3, 2), dtype('int64'), [1, 0])
        >>> default_collate([{"a": 1.5, "b": "x"}, {"a": 2.5, "b": "y"}])["b"]
        ['x', 'y']
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got {batch!r}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        arrays = [backend.to_numpy(b._array) if isinstance(b, Tensor) else np.asarray(b)
                  for b in batch]
        return Tensor._wrap(_stack(arrays, _where))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(
                f"default_collate: cannot batch arrays of dtype {elem.dtype} at {_where}")
        return Tensor._wrap(_stack([np.asarray(b) for b in batch], _where))
    if isinstance(elem, np.generic):
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.array(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch], f"{_where}[{key!r}]") for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        lengths = {len(b) for b in batch}
        if len(lengths) > 1:
            raise RuntimeError(
                f"default_collate: samples have sequences of different lengths {sorted(lengths)} "
                f"at {_where}")
        fields = [default_collate(list(column), f"{_where}[{k}]")
                  for k, column in enumerate(zip(*batch))]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    hint = ""
    if type(elem).__module__.startswith("PIL"):
        hint = "; add transforms.ToTensor() to the dataset's transform"
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(elem).__name__} at {_where}{hint}")


# ----------------------------------------------------------------------------- loading
def _load_batch(dataset, indices, seeds, collate_fn):
    """Load the samples at ``indices`` (each under its own random generator) and collate."""
    samples = []
    for index, seed in zip(indices, seeds):
        with use_generator(np.random.default_rng(seed)):
            samples.append(dataset[index])
    return collate_fn(samples)


class _WorkerFailure:
    """An exception caught in a worker thread, carried to the calling thread."""

    def __init__(self, exc: BaseException, thread_name: str, seq: int):
        self.exc = exc
        self.traceback_text = traceback.format_exc()
        self.thread_name = thread_name
        self.seq = seq

    def reraise(self):
        exc = self.exc
        note = (f"This error was raised in DataLoader worker thread {self.thread_name!r} while "
                f"loading batch {self.seq}. Original traceback:\n{self.traceback_text}")
        if hasattr(exc, "add_note"):
            exc.add_note(note)
        exc.worker_traceback = self.traceback_text
        raise exc


class _Shared:
    """State shared by the calling thread and the workers (never the iterator itself,
    so that an abandoned iterator can be garbage-collected and shut its workers down)."""

    def __init__(self):
        self.tasks = queue.SimpleQueue()
        self.results = {}
        self.cond = threading.Condition()
        self.stop = threading.Event()


def _worker_loop(shared: _Shared, dataset, collate_fn, worker_id: int, worker_init_fn):
    if worker_init_fn is not None:
        worker_init_fn(worker_id)
    while True:
        task = shared.tasks.get()
        if task is None or shared.stop.is_set():
            return
        seq, indices, seeds = task
        try:
            result = _load_batch(dataset, indices, seeds, collate_fn)
        except BaseException as exc:  # carried to the calling thread and raised there
            result = _WorkerFailure(exc, threading.current_thread().name, seq)
        with shared.cond:
            if shared.stop.is_set():
                return
            shared.results[seq] = result
            shared.cond.notify_all()


def _shutdown(shared: _Shared, threads: list) -> None:
    """Ask the workers to stop: they finish the batch in hand, then return."""
    shared.stop.set()
    for _ in threads:
        shared.tasks.put(None)
    with shared.cond:
        shared.results.clear()
        shared.cond.notify_all()


class _LoaderIter:
    """One pass over a DataLoader. Without threads it loads each batch on request."""

    def __init__(self, loader: "DataLoader"):
        self._loader = loader
        self._dataset = loader.dataset
        self._collate = loader.collate_fn
        self._batches = iter(loader.batch_sampler)  # the sampler draws its order here
        source = loader.generator if loader.generator is not None \
            else backend.get_default_generator()
        # one seed per sample will be drawn from this generator, in this thread
        self._seed_rng = np.random.default_rng(int(source.integers(_SEED_HIGH)))
        self._length = len(loader)

    def _next_task(self):
        """The next (indices, seeds) pair, drawn in the calling thread; None at the end."""
        try:
            indices = next(self._batches)
        except StopIteration:
            return None
        seeds = self._seed_rng.integers(_SEED_HIGH, size=len(indices)).tolist()
        return indices, seeds

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self._length

    def __next__(self):
        task = self._next_task()
        if task is None:
            raise StopIteration
        return _load_batch(self._dataset, task[0], task[1], self._collate)

    def close(self) -> None:
        """Stop loading (nothing to stop without threads)."""


class _ThreadedLoaderIter(_LoaderIter):
    """One pass with worker threads: up to ``window`` batches are requested ahead.

    The calling thread draws every index and seed and hands out tasks ``(seq, indices,
    seeds)``; workers put finished batches in ``shared.results[seq]``, and ``__next__``
    returns them in ``seq`` order. The window bounds the memory held by finished batches.
    """

    def __init__(self, loader: "DataLoader", num_threads: int, window: int):
        super().__init__(loader)
        self._shared = _Shared()
        self._timeout = loader.timeout
        self._threads = [
            threading.Thread(target=_worker_loop, name=f"minidl-dataloader-{k}", daemon=True,
                             args=(self._shared, self._dataset, self._collate, k,
                                   loader.worker_init_fn))
            for k in range(num_threads)]
        for t in self._threads:
            t.start()
        # runs on close() or when the iterator is garbage-collected (an abandoned loop)
        self._finalizer = weakref.finalize(self, _shutdown, self._shared, self._threads)
        self._sent = 0      # tasks handed out
        self._received = 0  # batches returned
        for _ in range(window):
            if not self._send():
                break

    def _send(self) -> bool:
        task = self._next_task()
        if task is None:
            return False
        self._shared.tasks.put((self._sent, task[0], task[1]))
        self._sent += 1
        return True

    def _wait_for(self, seq: int):
        shared = self._shared
        start = time.monotonic()
        with shared.cond:
            while seq not in shared.results:
                if not any(t.is_alive() for t in self._threads):
                    raise RuntimeError("DataLoader: all worker threads have exited unexpectedly")
                if self._timeout and time.monotonic() - start > self._timeout:
                    raise RuntimeError(
                        f"DataLoader: timed out after {self._timeout} s waiting for batch {seq}")
                shared.cond.wait(0.1)
            return shared.results.pop(seq)

    def __next__(self):
        if self._received == self._sent or not self._finalizer.alive:  # done, or closed
            self.close()
            raise StopIteration
        try:
            result = self._wait_for(self._received)
        except BaseException:
            self.close()
            raise
        self._received += 1
        if isinstance(result, _WorkerFailure):
            self.close()
            result.reraise()
        self._send()  # keep the window full
        return result

    def close(self) -> None:
        """Stop the worker threads (also done automatically when the iterator is dropped)."""
        self._finalizer()


# ----------------------------------------------------------------------------- DataLoader
class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    Args:
        dataset: a map-style dataset (``__len__`` and ``__getitem__``).
        batch_size: samples per batch.
        shuffle: a new random order every epoch (a :class:`RandomSampler`).
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields whole lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: threads that load batches in parallel (0: see ``prefetch``).
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for shuffling and per-sample seeds; by
            default these come from minidl's generator (:func:`minidl.manual_seed`).
        prefetch: batches requested ahead of the loop per worker thread. With
            ``num_workers=0``, ``prefetch > 0`` means one background thread and ``prefetch=0``
            means no thread at all.
        timeout: seconds to wait for a batch before raising (0: wait forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each thread as it starts.
        pin_memory, persistent_workers: accepted for PyTorch compatibility; no effect here.
        prefetch_factor: PyTorch's name for ``prefetch``.

    Yields:
        Batches made by ``collate_fn``: with the default, the sample's structure with arrays
        and numbers stacked into Tensors of shape ``(B, ...)`` that do not require grad.

    Example:
        >>> import numpy as np, minidl
        >>> from minidl.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(np.zeros((10, 3)), np.arange(10)),
        ...                     batch_size=4, shuffle=True, drop_last=True)
        >>> len(loader), [x.shape for x, y in loader]
        (2, [(4, 3), (4, 3)])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 drop_last: bool = False, generator: np.random.Generator | None = None,
                 prefetch: int = 2, *, timeout: float = 0, worker_init_fn=None,
                 pin_memory: bool = False, persistent_workers: bool = False,
                 prefetch_factor: int | None = None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if prefetch_factor is not None:
            prefetch = prefetch_factor
        if not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be an int >= 0, got {prefetch!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True exclude each other")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, "
                                 "sampler and drop_last")
            batch_size = None
        elif batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no batching) is not supported; "
                             "use batch_size=1")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle \
                else SequentialSampler(dataset)
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.generator = generator
        self.prefetch = prefetch
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers

    def __iter__(self) -> _LoaderIter:
        if self.num_workers > 0:
            return _ThreadedLoaderIter(self, self.num_workers,
                                       self.num_workers * max(self.prefetch, 1))
        if self.prefetch > 0:
            return _ThreadedLoaderIter(self, 1, self.prefetch)
        return _LoaderIter(self)

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __repr__(self) -> str:
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"sampler={type(self.sampler).__name__}, num_workers={self.num_workers}, "
                f"drop_last={self.drop_last}, prefetch={self.prefetch})")
