"""DataLoader: batching, samplers, collate, seeded shuffling, worker threads.

Worker processes (the default for ``num_workers > 0``) are tested in test_worker.py; the
tests here that are about threads say ``worker_type="thread"``."""
import collections
import gc
import threading
import time
import traceback

import numpy as np
import pytest
from PIL import Image

import minidl
from minidl import Tensor
from minidl.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler,
                         SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                         default_collate)
from minidl.data import transforms as T


class Indexed(Dataset):
    """Sample i is (i as float32 vector, i); optionally sleeps to scramble thread timing."""

    def __init__(self, n, sleep=False):
        self.n, self.sleep = n, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.sleep:
            time.sleep(0.002 * ((i * 7) % 5))
        return np.full(3, i, np.float32), i


class Augmented(Dataset):
    """Random uint8 images pushed through random transforms."""

    def __init__(self, n=24):
        self.images = np.random.default_rng(5).integers(0, 256, (n, 12, 12, 3), dtype=np.uint8)
        self.transform = T.Compose([T.RandomCrop(10, padding=2), T.RandomHorizontalFlip(),
                                    T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.ToTensor()])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), i


def _epoch(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def _threads_named(prefix="minidl-dataloader"):
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


@pytest.mark.parametrize("prefetch,workers", [(0, 0), (2, 0), (2, 2)])
def test_batches_in_order_with_last_partial_batch(prefetch, workers):
    loader = DataLoader(Indexed(10), batch_size=4, prefetch=prefetch, num_workers=workers)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [y.tolist() for _, y in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = batches[0]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert x.shape == (4, 3) and x.dtype == np.float32 and y.dtype == np.int64
    assert not x.requires_grad and x.grad_fn is None


def test_drop_last_and_len():
    loader = DataLoader(Indexed(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Indexed(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(Indexed(9), batch_size=4)) == 3


def test_shuffle_is_reproducible_under_manual_seed_and_changes_per_epoch():
    def orders(seed):
        minidl.manual_seed(seed)
        loader = DataLoader(Indexed(20), batch_size=5, shuffle=True)
        return [np.concatenate([y.numpy() for _, y in loader]).tolist() for _ in range(2)]
    a, b, c = orders(0), orders(0), orders(1)
    assert a == b and a != c
    assert a[0] != a[1]  # a new order every epoch
    assert sorted(a[0]) == list(range(20)) and sorted(a[1]) == list(range(20))


def test_explicit_generator_fixes_the_order():
    def order(seed):
        loader = DataLoader(Indexed(12), batch_size=12, shuffle=True,
                            generator=np.random.default_rng(seed))
        return next(iter(loader))[1].tolist()
    assert order(7) == order(7) and order(7) != order(8)


def test_random_augmentations_identical_with_and_without_threads():
    results = []
    for prefetch, workers, kind in [(0, 0, "thread"), (3, 0, "thread"), (1, 3, "thread"),
                                    (2, 2, "thread"), (2, 2, "process")]:
        minidl.manual_seed(11)
        loader = DataLoader(Augmented(), batch_size=5, shuffle=True, prefetch=prefetch,
                            num_workers=workers, worker_type=kind)
        results.append(_epoch(loader) + _epoch(loader))
    reference = results[0]
    for other in results[1:]:
        assert len(other) == len(reference)
        for (xa, ya), (xb, yb) in zip(reference, other):
            np.testing.assert_array_equal(ya, yb)
            np.testing.assert_array_equal(xa, xb)
    # the augmentation is really random: two epochs differ
    assert not np.array_equal(reference[0][0], reference[len(reference) // 2][0])


def test_order_kept_when_workers_finish_out_of_order():
    loader = DataLoader(Indexed(40, sleep=True), batch_size=3, num_workers=4, prefetch=2,
                        worker_type="thread")
    got = np.concatenate([y.numpy() for _, y in loader]).tolist()
    assert got == list(range(40))


def _failing_getitem(i):
    if i == 5:
        raise KeyError(f"sample {i} is broken")
    return np.zeros(2, np.float32)


class Failing(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        return _failing_getitem(i)


@pytest.mark.parametrize("prefetch,workers,kind", [(0, 0, "thread"), (2, 0, "thread"),
                                                   (1, 3, "thread"), (1, 2, "process")])
def test_worker_exception_reraised_with_original_traceback(prefetch, workers, kind):
    loader = DataLoader(Failing(), batch_size=2, prefetch=prefetch, num_workers=workers,
                        worker_type=kind)
    it = iter(loader)
    with pytest.raises(KeyError, match="sample 5 is broken") as info:
        list(it)
    if prefetch or workers:
        assert list(it) == []  # the workers were stopped: the failed pass is over
    text = "".join(traceback.format_exception(info.value))
    assert "_failing_getitem" in text  # the frame where it happened is in the traceback
    if prefetch or workers:
        assert "minidl-dataloader" in text  # and the note names the worker thread
    deadline = time.monotonic() + 3
    while _threads_named() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _threads_named()


def test_abandoned_iterator_stops_its_threads():
    loader = DataLoader(Indexed(400, sleep=True), batch_size=2, num_workers=3, prefetch=2,
                        worker_type="thread")
    it = iter(loader)
    next(it)
    assert len(_threads_named()) == 3
    del it
    gc.collect()
    deadline = time.monotonic() + 5
    while _threads_named() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _threads_named()


def test_break_out_of_loop_then_iterate_again():
    loader = DataLoader(Indexed(30), batch_size=4, prefetch=2)
    for k, _ in enumerate(loader):
        if k == 1:
            break
    assert len(list(loader)) == 8


def test_worker_init_fn_runs_in_each_thread():
    seen = []
    lock = threading.Lock()

    def init(worker_id):
        with lock:
            seen.append((worker_id, threading.current_thread().name))
    list(DataLoader(Indexed(6), batch_size=2, num_workers=2, worker_init_fn=init,
                    worker_type="thread"))
    assert sorted(w for w, _ in seen) == [0, 1]
    assert all(name.startswith("minidl-dataloader") for _, name in seen)


def test_custom_batch_sampler_and_sampler():
    loader = DataLoader(Indexed(6), batch_sampler=[[5, 0], [3]])
    assert [y.tolist() for _, y in loader] == [[5, 0], [3]]
    loader = DataLoader(Indexed(6), batch_size=2, sampler=[4, 2, 0])
    assert [y.tolist() for _, y in loader] == [[4, 2], [0]]


def test_argument_conflicts_raise():
    with pytest.raises(ValueError, match="sampler and shuffle"):
        DataLoader(Indexed(4), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler excludes"):
        DataLoader(Indexed(4), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Indexed(4), num_workers=-1)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(Indexed(4), batch_size=0)


# ---------------------------------------------------------------------- samplers
def test_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    minidl.manual_seed(0)
    with_repl = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(with_repl) == 50 and set(with_repl) <= {0, 1, 2} and len(set(with_repl)) == 3
    assert len(list(RandomSampler(range(10), num_samples=4))) == 4
    with pytest.raises(ValueError, match="replacement=True"):
        RandomSampler(range(3), num_samples=5)
    assert sorted(SubsetRandomSampler([9, 4, 7])) == [4, 7, 9]
    picks = list(WeightedRandomSampler([0, 0, 1, 1], num_samples=100))
    assert set(picks) == {2, 3}
    bs = BatchSampler(range(7), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2


def test_random_sampler_draws_its_order_when_iteration_starts():
    minidl.manual_seed(0)
    sampler = RandomSampler(range(10))
    it = iter(sampler)
    minidl.manual_seed(123)  # reseeding afterwards does not change the epoch already started
    first = list(it)
    minidl.manual_seed(0)
    assert list(RandomSampler(range(10))) == first


# ---------------------------------------------------------------------- collate
def test_collate_numbers_and_dtypes():
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.0, 2.5]).dtype == np.float32
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float64(1), np.float64(2)]).dtype == np.float64
    out = default_collate([np.zeros((2, 2)), np.ones((2, 2))])  # float64 stays float64
    assert out.dtype == np.float64 and out.shape == (2, 2, 2)
    t = default_collate([minidl.ones(3), minidl.zeros(3)])
    assert isinstance(t, Tensor) and t.tolist() == [[1, 1, 1], [0, 0, 0]]


def test_collate_nested_structures():
    Pair = collections.namedtuple("Pair", "image label")
    batch = [
        (np.full(2, k, np.float32), {"id": k, "meta": [k * 0.5, f"s{k}"]}, Pair(np.eye(2) * k, k))
        for k in range(3)]
    x, d, pair = default_collate(batch)
    assert x.shape == (3, 2)
    assert d["id"].tolist() == [0, 1, 2]
    assert d["meta"][0].tolist() == [0.0, 0.5, 1.0] and d["meta"][1] == ["s0", "s1", "s2"]
    assert isinstance(pair, Pair) and pair.image.shape == (3, 2, 2)
    assert pair.label.tolist() == [0, 1, 2]
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and [v.tolist() for v in lists] == [[1, 3], [2, 4]]


def test_collate_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"shapes.*\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="ToTensor"):
        default_collate([Image.new("RGB", (2, 2))] * 2)
    with pytest.raises(RuntimeError, match="different lengths"):
        default_collate([(1, 2), (1,)])


def test_loader_with_tensor_dataset_and_custom_collate():
    ds = TensorDataset(np.arange(8, dtype=np.float32).reshape(4, 2), np.arange(4))
    loader = DataLoader(ds, batch_size=3, collate_fn=lambda samples: len(samples))
    assert list(loader) == [3, 1]
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]] and y.tolist() == [0, 1, 2, 3]
