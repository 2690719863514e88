"""DataLoader workers: what runs in each worker, ``get_worker_info``, shared-memory batches.

With ``num_workers=k`` the :class:`~minidl.data.DataLoader` starts ``k`` worker processes
(or threads, with ``worker_type="thread"``). Each worker:

1. learns who it is: :func:`get_worker_info` returns its :class:`WorkerInfo` (id, number
   of workers, seed, its copy of the dataset); in the main process it returns None;
2. seeds itself (processes only): ``minidl.manual_seed``, NumPy's global ``np.random`` and
   Python's ``random`` all get ``WorkerInfo.seed`` (the loader's base seed + the worker id),
   so workers forked from one process do not repeat each other's random numbers;
3. runs ``worker_init_fn(worker_id)``; if it raises, the worker reports the error and
   stops, and the loader raises it in the main process (with the worker's traceback);
4. loads the batches it is sent, ``(epoch, seq, indices, seeds)``, and sends each back.

A worker process copies each batch's arrays into one block of shared memory
(``multiprocessing.shared_memory``) and sends only their layout through the result queue;
the main process copies them out and frees the block. Pickling the arrays through a pipe
would copy them twice more and push every byte through the pipe.

A dataset that opens a file in ``__init__`` and seeks in ``__getitem__`` is safe with
processes. A forked worker has its own copy of the Python file object, but the operating
system would still share one file position between all processes (a seek in one worker
moves the others' reads); so a worker gives each regular file that is open for reading its
own position as it starts (:func:`unshare_read_offsets`; Linux). With threads one file
object, and its position, is shared: such a dataset needs processes.

Example:
    >>> from minidl.data import get_worker_info
    >>> get_worker_info() is None   # the main process
    True
"""
from __future__ import annotations

import dataclasses
import pickle
import queue
import random
import signal
import threading
import traceback

import numpy as np

from ..tensor import Tensor

__all__ = ["WorkerInfo", "get_worker_info"]


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What a worker knows about itself (see :func:`get_worker_info`).

    Attributes:
        id: the worker's number, 0 .. num_workers - 1.
        num_workers: how many workers the loader has.
        seed: this worker's seed (base seed of the pass, or of the workers' start, + id).
        dataset: the worker's dataset object (its own copy in a worker process).
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


_local = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """The calling DataLoader worker's :class:`WorkerInfo`; None outside a worker.

    A dataset can use it to split work or open per-worker resources, e.g. in
    ``worker_init_fn``: ``info = get_worker_info(); info.dataset.open(info.id)``.
    """
    return getattr(_local, "info", None)


def _set_worker_info(info: WorkerInfo | None) -> None:
    _local.info = info


# ------------------------------------------------------------------------ failures
class WorkerFailure:
    """An exception raised in a worker, carried to the main process and raised there.

    Args:
        exc: the exception.
        where: e.g. ``"worker process 1 (pid 1234)"``.
        what: e.g. ``"loading batch 3"`` or ``"worker_init_fn"``.
    """

    def __init__(self, exc: BaseException, where: str, what: str):
        self.traceback_text = traceback.format_exc()
        self.where, self.what = where, what
        try:  # the exception itself when it survives pickling (processes), else its text
            self.exc = pickle.loads(pickle.dumps(exc))
        except Exception:
            self.exc = RuntimeError(f"{type(exc).__name__}: {exc}")

    def reraise(self):
        exc = self.exc
        note = (f"This error was raised in DataLoader {self.where} in {self.what}. "
                f"Original traceback:\n{self.traceback_text}")
        if hasattr(exc, "add_note"):
            exc.add_note(note)
        exc.worker_traceback = self.traceback_text
        raise exc


# ------------------------------------------------------------- shared-memory batches
_ALIGN = 64


@dataclasses.dataclass(frozen=True)
class _SharedArray:
    """Where one array of a batch lies in the batch's shared-memory block."""

    offset: int
    shape: tuple
    dtype: str
    tensor: bool  # wrap it in a Tensor again


def _map_leaves(obj, leaf):
    """``obj`` with ``leaf`` applied to every array, Tensor or placeholder in it."""
    if isinstance(obj, (Tensor, np.ndarray, _SharedArray)):
        return leaf(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_map_leaves(x, leaf) for x in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_map_leaves(x, leaf) for x in obj)
    if isinstance(obj, dict):
        return {k: _map_leaves(v, leaf) for k, v in obj.items()}
    return obj


def pack_batch(batch):
    """(layout, shared-memory name or None): the batch's arrays copied into one block.

    Tensors that do not require grad and NumPy arrays (not of object dtype) go to shared
    memory; everything else stays in ``layout`` and is pickled with it.
    """
    from multiprocessing import shared_memory

    arrays, total = [], 0

    def place(x):
        nonlocal total
        array = x._array if isinstance(x, Tensor) else x
        if not isinstance(array, np.ndarray) or array.dtype.hasobject or \
                (isinstance(x, Tensor) and x.requires_grad):
            return x
        arrays.append((total, array))
        slot = _SharedArray(total, array.shape, array.dtype.str, isinstance(x, Tensor))
        total += -(-array.nbytes // _ALIGN) * _ALIGN
        return slot

    layout = _map_leaves(batch, place)
    if total == 0:
        return batch, None
    block = shared_memory.SharedMemory(create=True, size=total)
    try:
        for offset, array in arrays:
            view = np.ndarray(array.shape, array.dtype, buffer=block.buf, offset=offset)
            view[...] = array
            del view
    except BaseException:
        block.close()
        block.unlink()
        raise
    name = block.name
    block.close()  # the main process unlinks it after copying the arrays out
    return layout, name


def unpack_batch(layout, name):
    """The batch :func:`pack_batch` described; frees its shared-memory block."""
    if name is None:
        return layout
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(name=name)
    try:
        def take(slot):
            if not isinstance(slot, _SharedArray):
                return slot
            view = np.ndarray(slot.shape, np.dtype(slot.dtype), buffer=block.buf,
                              offset=slot.offset)
            array = view.copy()
            del view
            return Tensor._wrap(array) if slot.tensor else array
        return _map_leaves(layout, take)
    finally:
        block.close()
        block.unlink()


def discard_batch(payload) -> None:
    """Free the shared memory of a batch that will not be used (a pass ended early)."""
    if isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[1], str):
        from multiprocessing import shared_memory

        try:
            block = shared_memory.SharedMemory(name=payload[1])
            block.close()
            block.unlink()
        except FileNotFoundError:
            pass


# -------------------------------------------------------------- the worker process
def unshare_read_offsets() -> int:
    """Give every regular file open read-only in this process its own file position.

    After ``fork`` a file descriptor still shares its position with the parent and the
    other workers. Re-opening ``/proc/self/fd/N`` makes a new open file with its own
    position; it replaces descriptor N (``dup2``) at the same offset, so Python file
    objects holding N carry on unchanged. Files open for writing keep their shared
    position (appending to one log stays correct), and so do stdin/stdout/stderr. Does
    nothing where ``/proc/self/fd`` does not exist. Returns the number of files re-opened.
    """
    import fcntl
    import os
    import stat

    if not os.path.isdir("/proc/self/fd"):
        return 0
    count = 0
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            if flags & os.O_ACCMODE != os.O_RDONLY:
                continue
            offset = os.lseek(fd, 0, os.SEEK_CUR)
            fresh = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | (flags & os.O_NONBLOCK))
        except OSError:  # closed meanwhile (listdir's own descriptor), or not re-openable
            continue
        try:
            os.lseek(fresh, offset, os.SEEK_SET)
            os.dup2(fresh, fd, inheritable=os.get_inheritable(fd))
            count += 1
        finally:
            os.close(fresh)
    return count


INIT_FAILED = "init-failed"


def process_worker_loop(load_batch, dataset, collate_fn, index_queue, result_queue,
                        worker_id: int, num_workers: int, seed: int, worker_init_fn):
    """The body of one worker process (see the module docstring)."""
    import minidl

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    unshare_read_offsets()
    import multiprocessing
    import os

    where = f"worker process {multiprocessing.current_process().name!r} (pid {os.getpid()})"
    _set_worker_info(WorkerInfo(worker_id, num_workers, seed, dataset))
    minidl.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except BaseException as exc:
            result_queue.put((INIT_FAILED, worker_id, WorkerFailure(exc, where, "worker_init_fn")))
            return
    while True:
        try:
            task = index_queue.get()
        except (EOFError, OSError, KeyboardInterrupt):  # the main process went away
            return
        if task is None:
            return
        epoch, seq, indices, seeds = task
        try:
            payload = pack_batch(load_batch(dataset, indices, seeds, collate_fn))
        except BaseException as exc:
            payload = WorkerFailure(exc, where, f"loading batch {seq}")
        try:
            result_queue.put((epoch, seq, payload))
        except (EOFError, OSError, ValueError):
            discard_batch(payload)
            return


def drain(result_queue) -> None:
    """Free the shared memory of every batch still waiting in ``result_queue``."""
    while True:
        try:
            item = result_queue.get_nowait()
        except (queue.Empty, OSError, EOFError, ValueError):
            return
        if item[0] != INIT_FAILED:
            discard_batch(item[2])
