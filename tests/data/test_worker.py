"""DataLoader worker processes: own dataset copies, seeding, worker_init_fn, persistence."""
import gc
import multiprocessing
import os
import pathlib
import time
import traceback

import numpy as np
import pytest

import minidl
from minidl.data import DataLoader, Dataset, get_worker_info


class RecordFile(Dataset):
    """Sample i is record i of a binary file read through ONE file object opened in
    ``__init__``: seek, then read. Threads sharing the object interleave seeks and reads
    (wrong samples); worker processes each have their own copy."""

    RECORD = 64

    def __init__(self, path, n):
        values = np.repeat(np.arange(n, dtype=np.int64), self.RECORD // 8)
        pathlib.Path(path).write_bytes(values.tobytes())
        self.n = n
        self.file = open(path, "rb")

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.file.seek(i * self.RECORD)
        time.sleep(0.0005)  # what a slow disk does: another reader moves the position
        record = np.frombuffer(self.file.read(self.RECORD), dtype=np.int64)
        return record, i


def _shared_blocks():
    return {p.name for p in pathlib.Path("/dev/shm").glob("psm_*")} \
        if os.path.isdir("/dev/shm") else set()


def test_a_dataset_holding_one_open_file_gives_the_right_samples(tmp_path):
    before = _shared_blocks()
    dataset = RecordFile(tmp_path / "records.bin", 96)
    loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2)
    seen = []
    for records, labels in loader:
        assert records.dtype == np.int64 and records.shape == (len(labels), 8)
        np.testing.assert_array_equal(records.numpy(), np.repeat(labels.numpy()[:, None], 8, 1))
        seen += labels.tolist()
    assert sorted(seen) == list(range(96))
    assert not multiprocessing.active_children()  # the pass is over: workers stopped
    assert _shared_blocks() <= before  # every batch's shared memory was freed


class WhoAmI(Dataset):
    """Sample i says which worker loaded it and draws from the global generators."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "workers": info.num_workers, "seed": info.seed,
                "pid": os.getpid(), "np": np.random.randint(2 ** 31),
                "minidl": float(minidl.rand(1).item())}


def test_workers_are_processes_seeded_apart_and_reproducible():
    def run():
        minidl.manual_seed(3)
        return next(iter(DataLoader(WhoAmI(), batch_size=1, num_workers=2, prefetch=4,
                                    collate_fn=lambda batch: batch)))  # noqa: E731
    def all_samples():
        minidl.manual_seed(3)
        loader = DataLoader(WhoAmI(), batch_size=1, num_workers=2, collate_fn=lambda b: b[0])
        return list(loader)
    first, again = all_samples(), all_samples()
    assert [s["id"] for s in first] == [0, 1] * 4  # batch k goes to worker k % 2
    assert {s["workers"] for s in first} == {2}
    assert os.getpid() not in {s["pid"] for s in first}
    by_worker = {w: [s for s in first if s["id"] == w] for w in (0, 1)}
    # forked from one process, yet each worker's global generators are its own
    assert [s["np"] for s in by_worker[0]] != [s["np"] for s in by_worker[1]]
    assert [s["minidl"] for s in by_worker[0]] != [s["minidl"] for s in by_worker[1]]
    assert by_worker[1][0]["seed"] == by_worker[0][0]["seed"] + 1
    # the same seed, the same numbers in the same places
    assert [(s["id"], s["np"], s["minidl"]) for s in first] == \
        [(s["id"], s["np"], s["minidl"]) for s in again]
    assert get_worker_info() is None


def _init_fails_in_worker_1(worker_id):
    if worker_id == 1:
        raise OSError("cannot open the shard of worker 1")


@pytest.mark.parametrize("kind", ["process", "thread"])
def test_a_failing_worker_init_fn_stops_the_loader_with_its_traceback(kind):
    loader = DataLoader(WhoAmI(), batch_size=1, num_workers=2, worker_type=kind,
                        worker_init_fn=_init_fails_in_worker_1)
    with pytest.raises(OSError, match="shard of worker 1") as info:
        list(loader)
    text = "".join(traceback.format_exception(info.value))
    assert "_init_fails_in_worker_1" in text and "worker_init_fn" in text
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not multiprocessing.active_children()


def test_persistent_workers_serve_every_pass():
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True,
                        prefetch_factor=1, pin_memory=True)
    first = [pid for batch in loader for pid in batch["pid"].tolist()]
    for batch in loader:  # leave a pass early: its other batches are dropped
        break
    second = [pid for batch in loader for pid in batch["pid"].tolist()]
    assert len(first) == len(second) == 8 and set(first) == set(second)
    fresh = DataLoader(WhoAmI(), batch_size=2, num_workers=2)
    assert not set(first) & {p for b in fresh for p in b["pid"].tolist()}
    loader._pool.close()
    assert not multiprocessing.active_children()


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(), batch_size=1, num_workers=1))


def test_abandoned_iterator_stops_its_processes():
    it = iter(DataLoader(WhoAmI(), batch_size=1, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    gc.collect()
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not multiprocessing.active_children()


def test_worker_type_is_checked():
    with pytest.raises(ValueError, match="worker_type"):
        DataLoader(WhoAmI(), worker_type="fiber")
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(WhoAmI(), persistent_workers=True)
