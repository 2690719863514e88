"""DataLoader throughput: no workers, worker processes and worker threads, in images/s.

The pipeline is the flagship's (examples/cifar_training.py) moved into the loader, where
workers can run it: 32x32x3 uint8 images, random crop with 4-pixel padding, horizontal
flip, scaling to [0, 1] and per-channel normalisation. Two forms are measured:

* ``per-sample``: torchvision-style transforms on each image in ``__getitem__``
  (``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``);
* ``batch``: the flagship's own batch functions (``batch_random_crop``,
  ``batch_random_horizontal_flip``) applied to the stacked batch in ``collate_fn``.

Each configuration reads one full pass (after one warm-up pass that also starts the
workers) and reports the median images/s over ``--rounds`` passes. Usage::

    python benchmarks/dataloader_workers.py              # 10,000 images, 3 rounds
    python benchmarks/dataloader_workers.py --quick      # a few seconds
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from minidl.data import DataLoader, Dataset, default_collate  # noqa: E402
from minidl.data import transforms as T  # noqa: E402

MEAN = np.array([0.49, 0.48, 0.45], dtype=np.float32)
STD = np.array([0.25, 0.24, 0.26], dtype=np.float32)


class CifarLike(Dataset):
    """``n`` random 32x32x3 uint8 images with labels; optionally transformed per sample."""

    def __init__(self, n: int, transform=None):
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        self.labels = rng.integers(0, 10, n)
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image = self.images[i]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[i])


def per_sample_transform():
    return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                      T.Normalize(MEAN.tolist(), STD.tolist())])


def flagship_collate(samples):
    """The flagship's batch augmentation (prepare_batch), run where the batch is made."""
    images, labels = default_collate(samples)
    x = images.numpy().transpose(0, 3, 1, 2)
    x = T.batch_random_crop(x, 32, padding=4)
    x = T.batch_random_horizontal_flip(x)
    x = (x.astype(np.float32) / 255.0 - MEAN.reshape(1, 3, 1, 1)) / STD.reshape(1, 3, 1, 1)
    return x, labels


CONFIGS = [  # (label, DataLoader keyword arguments)
    ("num_workers=0 (no thread)", dict(num_workers=0, prefetch=0)),
    ("num_workers=0 (prefetch thread)", dict(num_workers=0, prefetch=2)),
    ("2 worker processes", dict(num_workers=2, worker_type="process", persistent_workers=True)),
    ("2 worker threads", dict(num_workers=2, worker_type="thread")),
]


def measure(dataset, collate_fn, kwargs, batch_size, rounds) -> float:
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, collate_fn=collate_fn,
                        **kwargs)
    for _ in loader:  # warm-up: starts the workers, touches the data
        pass
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        count = 0
        for _, labels in loader:
            count += len(labels)
        rates.append(count / (time.perf_counter() - start))
    if loader._pool is not None:
        loader._pool.close()
    return statistics.median(rates)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="512 images, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.rounds = 512, 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.node()}: {os.cpu_count()} CPUs, load average {load:.2f}; "
          f"{args.images} images, batch {args.batch_size}, median of {args.rounds} passes")
    results = {}
    for form, dataset, collate in [
            ("per-sample", CifarLike(args.images, per_sample_transform()), None),
            ("batch", CifarLike(args.images), flagship_collate)]:
        for label, kwargs in CONFIGS:
            rate = measure(dataset, collate, kwargs, args.batch_size, args.rounds)
            results[(form, label)] = rate
            print(f"{form:>10}  {label:<32} {rate:>10,.0f} images/s", flush=True)
    return results


if __name__ == "__main__":
    main()
