"""``DataLoader``: batches, shuffling and background loading.

A loader turns a dataset (one sample per index) into an iterable of batches:

1. a *sampler* gives the order of the indices (:class:`SequentialSampler`, or
   :class:`RandomSampler` when ``shuffle=True``);
2. a :class:`BatchSampler` groups them into lists of ``batch_size`` indices;
3. the samples of one list are loaded (``dataset[i]``) and stacked by the
   *collate* function (:func:`default_collate`) into Tensors.

Loading in workers
------------------
With ``prefetch > 0`` (the default) a background thread loads the next batches while
the training loop works on the current one. ``num_workers=k`` starts ``k`` worker
processes, as PyTorch does, that load whole batches in parallel and hand them back
through shared memory (:mod:`minidl.data.worker`); each has its own copy of the dataset,
so a dataset holding an open file is safe. ``worker_type="thread"`` uses ``k`` threads
instead (they share the dataset; decoding and augmenting images in PIL and NumPy mostly
releases Python's GIL). Batches come out in the same order either way.
``prefetch=0, num_workers=0`` loads everything in the calling thread (easiest to debug).

Reproducibility
---------------
Everything random is decided in the calling thread, so workers change nothing:

* the sampler's order is drawn when the epoch starts (``iter(loader)``), from the
  loader's ``generator`` or, without one, from minidl's generator (so
  :func:`minidl.manual_seed` fixes it);
* one seed per sample is drawn in the calling thread too, and ``dataset[i]`` runs inside
  ``transforms.use_generator(numpy.random.default_rng(seed))``: random transforms draw
  from that per-sample generator, whichever worker runs them. A dataset that needs random
  numbers of its own should take them from :func:`minidl.data.transforms.get_generator`;
* worker processes also seed minidl's, NumPy's and Python's global generators with
  their own seed (:func:`minidl.data.get_worker_info`), so they do not repeat each other.

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
import multiprocessing
import numbers
import queue
import threading
import time
import weakref

import numpy as np

from .. import backend
from ..tensor import Tensor
from . import worker
from .transforms import use_generator

__all__ = [
    "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "default_collate",
]

_SEED_HIGH = 2 ** 63  # seeds are drawn from [0, 2**63)


def _worker_seed(base_seed: int, worker_id: int) -> int:
    return (base_seed + 1 + worker_id) % _SEED_HIGH


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


class _Shared:
    """State shared by the calling thread and the workers (never the iterator itself,
    so that an abandoned iterator can be garbage-collected and shut its workers down)."""

    def __init__(self):
        self.tasks = queue.SimpleQueue()
        self.results = {}
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.failed_init = None  # a worker_init_fn's WorkerFailure


def _worker_loop(shared: _Shared, dataset, collate_fn, worker_id: int, num_workers: int,
                 seed: int, worker_init_fn):
    """The body of one worker thread: load the batches it takes from ``shared.tasks``."""
    where = f"worker thread {threading.current_thread().name!r}"
    worker._set_worker_info(worker.WorkerInfo(worker_id, num_workers, seed, dataset))
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except BaseException as exc:  # stops the whole loader, not just this thread
            with shared.cond:
                shared.failed_init = worker.WorkerFailure(exc, where, "worker_init_fn")
                shared.cond.notify_all()
            return
    while True:
        task = shared.tasks.get()
        if task is None or shared.stop.is_set():
            return
        seq, indices, seeds = task
        try:
            result = _load_batch(dataset, indices, seeds, collate_fn)
        except BaseException as exc:  # carried to the calling thread and raised there
            result = worker.WorkerFailure(exc, where, f"loading batch {seq}")
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
        # one seed per sample will be drawn from this generator, in this thread; workers are
        # seeded with base_seed + 1 + worker id
        self._base_seed = int(source.integers(_SEED_HIGH))
        self._seed_rng = np.random.default_rng(self._base_seed)
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
                             args=(self._shared, self._dataset, self._collate, k, num_threads,
                                   _worker_seed(self._base_seed, k), loader.worker_init_fn))
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
                if shared.failed_init is not None:
                    return shared.failed_init
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
        if isinstance(result, worker.WorkerFailure):
            self.close()
            result.reraise()
        self._send()  # keep the window full
        return result

    def close(self) -> None:
        """Stop the worker threads (also done automatically when the iterator is dropped)."""
        self._finalizer()


class _WorkerPool:
    """A loader's worker processes, their task queues (one each) and the result queue.

    Batch ``seq`` of a pass goes to worker ``seq % k``, so which worker loads what does not
    depend on timing. Tasks and results carry the pass number (``epoch``): with
    ``persistent_workers`` a pool serves many passes, and the results of a pass that was
    left early are recognised and dropped.
    """

    def __init__(self, loader: "DataLoader", base_seed: int):
        context = loader.multiprocessing_context
        if context is None or isinstance(context, str):
            if context is None:  # fork: fast, and the dataset need not be picklable
                methods = multiprocessing.get_all_start_methods()
                context = "fork" if "fork" in methods else "spawn"
            context = multiprocessing.get_context(context)
        from multiprocessing import resource_tracker

        # one shared-memory tracker for all workers, started before they are
        resource_tracker.ensure_running()
        k = loader.num_workers
        self.num_workers = k
        self.epoch = 0
        self.task_queues = [context.Queue() for _ in range(k)]
        self.result_queue = context.Queue()
        self.processes = [
            context.Process(
                target=worker.process_worker_loop, name=f"minidl-dataloader-worker-{i}",
                args=(_load_batch, loader.dataset, loader.collate_fn, self.task_queues[i],
                      self.result_queue, i, k, _worker_seed(base_seed, i),
                      loader.worker_init_fn),
                daemon=True)
            for i in range(k)]
        for process in self.processes:
            process.start()
        self._finalizer = weakref.finalize(self, _stop_pool, self.task_queues,
                                           self.result_queue, self.processes)

    @property
    def alive(self) -> bool:
        return self._finalizer.alive

    def close(self) -> None:
        self._finalizer()


def _stop_pool(task_queues, result_queue, processes) -> None:
    """Stop the workers (they finish the batch in hand), free unread batches, close queues."""
    for q in task_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + 5
    for process in processes:
        while process.is_alive() and time.monotonic() < deadline:
            worker.drain(result_queue)  # a worker blocked on a full pipe can then finish
            process.join(0.05)
        if process.is_alive():
            process.terminate()
            process.join(1)
    worker.drain(result_queue)
    for q in [*task_queues, result_queue]:
        q.cancel_join_thread()
        q.close()


class _ProcessLoaderIter(_LoaderIter):
    """One pass with worker processes; batches come back in order.

    Up to ``num_workers * prefetch_factor`` batches are requested ahead. Results that
    arrive early wait in ``self._early`` until their turn.
    """

    def __init__(self, loader: "DataLoader"):
        super().__init__(loader)
        self._persistent = loader.persistent_workers
        if self._persistent:
            if loader._pool is None or not loader._pool.alive:
                loader._pool = _WorkerPool(loader, self._base_seed)
            self._pool = loader._pool
        else:
            self._pool = _WorkerPool(loader, self._base_seed)
        self._pool.epoch += 1
        self._epoch = self._pool.epoch
        self._timeout = loader.timeout
        self._early = {}
        self._sent = 0
        self._received = 0
        self._done = False
        for _ in range(loader.num_workers * max(loader.prefetch, 1)):
            if not self._send():
                break

    def _send(self) -> bool:
        task = self._next_task()
        if task is None:
            return False
        self._pool.task_queues[self._sent % self._pool.num_workers].put(
            (self._epoch, self._sent, task[0], task[1]))
        self._sent += 1
        return True

    def _dead_worker(self):
        for process in self._pool.processes:
            if not process.is_alive():
                return process
        return None

    def _wait_for(self, seq: int):
        start = time.monotonic()
        while seq not in self._early:
            try:
                item = self._pool.result_queue.get(timeout=0.1)
            except queue.Empty:
                dead = self._dead_worker()
                if dead is not None:
                    try:  # a worker_init_fn failure is reported just before its worker exits
                        item = self._pool.result_queue.get(timeout=0.5)
                    except queue.Empty:
                        raise RuntimeError(
                            f"DataLoader: worker process {dead.name} (pid {dead.pid}) exited "
                            f"unexpectedly with exit code {dead.exitcode}") from None
                elif self._timeout and time.monotonic() - start > self._timeout:
                    raise RuntimeError(
                        f"DataLoader: timed out after {self._timeout} s waiting for batch {seq}")
                else:
                    continue
            if item[0] == worker.INIT_FAILED:
                return item[2]
            epoch, got, payload = item
            if epoch != self._epoch:  # from a pass that was left early
                worker.discard_batch(payload)
            else:
                self._early[got] = payload
        return self._early.pop(seq)

    def __next__(self):
        if self._done or self._received == self._sent or not self._pool.alive:
            self.close()
            raise StopIteration
        try:
            payload = self._wait_for(self._received)
        except BaseException:
            self._close_pool()
            raise
        self._received += 1
        if isinstance(payload, worker.WorkerFailure):
            self._close_pool()
            payload.reraise()
        self._send()  # keep the window full
        return worker.unpack_batch(*payload)

    def _close_pool(self) -> None:
        self._done = True
        for payload in self._early.values():
            worker.discard_batch(payload)
        self._early.clear()
        self._pool.close()

    def close(self) -> None:
        """End the pass: stop the workers, or with ``persistent_workers`` keep them for the
        next pass (the rest of this pass's batches are dropped when they arrive)."""
        if self._done:
            return
        self._done = True
        for payload in self._early.values():
            worker.discard_batch(payload)
        self._early.clear()
        if not self._persistent:
            self._pool.close()

    def __del__(self):
        if not getattr(self, "_done", True):
            self.close()


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
        num_workers: worker processes (or threads, see ``worker_type``) that load batches
            in parallel; 0 loads in this process (see ``prefetch``).
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for shuffling and per-sample seeds; by
            default these come from minidl's generator (:func:`minidl.manual_seed`).
        prefetch: batches requested ahead of the loop per worker. With ``num_workers=0``,
            ``prefetch > 0`` means one background thread and ``prefetch=0`` means no thread
            at all.
        timeout: seconds to wait for a batch before raising (0: wait forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker as it starts;
            if it raises in any worker, iterating raises its error (with the worker's
            traceback) and all workers stop.
        worker_type: ``"process"`` (the default, as PyTorch's ``num_workers``: each worker
            has its own copy of the dataset, so file handles and other state are not shared)
            or ``"thread"`` (workers share the dataset; cheaper to start, and enough when
            loading is NumPy or PIL work that releases the GIL).
        multiprocessing_context: ``"fork"``, ``"spawn"``, ``"forkserver"`` or a context
            from ``multiprocessing.get_context``; default fork where the system has it
            (the dataset is then not pickled), else spawn.
        persistent_workers: keep the worker processes between passes instead of starting
            them at every ``iter(loader)`` (``worker_init_fn`` then runs once per worker).
        prefetch_factor: PyTorch's name for ``prefetch``.
        pin_memory: accepted for PyTorch compatibility; batches are host arrays, moved to a
            device by ``.to(device)`` in the loop.

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
                 prefetch_factor: int | None = None, worker_type: str = "process",
                 multiprocessing_context=None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if worker_type not in ("process", "thread"):
            raise ValueError(f"DataLoader: worker_type must be 'process' or 'thread', got "
                             f"{worker_type!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
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
        self.worker_type = worker_type
        self.multiprocessing_context = multiprocessing_context
        self._pool = None  # the persistent worker processes, started by the first pass

    def __iter__(self) -> _LoaderIter:
        if self.num_workers > 0 and self.worker_type == "process":
            return _ProcessLoaderIter(self)
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
                f"worker_type={self.worker_type!r}, drop_last={self.drop_last}, "
                f"prefetch={self.prefetch})")
