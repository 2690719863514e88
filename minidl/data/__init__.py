"""Data loading: datasets, the DataLoader, image transforms and ready-made datasets.

* :mod:`.dataset`: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
  ``random_split``;
* :mod:`.dataloader`: ``DataLoader``, the samplers, ``default_collate``;
* :mod:`.worker`: what runs in a worker process, ``get_worker_info``;
* :mod:`.transforms`: image transforms (``from minidl.data import transforms as T``);
* :mod:`.datasets`: CIFAR-10, Fashion-MNIST, ImageFolder and synthetic stand-ins.

``minidl.utils.data`` re-exports this package, so PyTorch-style imports work::

    from minidl.utils.data import DataLoader, TensorDataset

Example:
    >>> import numpy as np
    >>> from minidl.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((6, 2), np.float32)), batch_size=4)
    >>> [batch[0].shape for batch in loader]
    [(4, 2), (2, 2)]
"""
from . import transforms
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .dataloader import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                         SubsetRandomSampler, WeightedRandomSampler, default_collate)
from .worker import WorkerInfo, get_worker_info
from . import datasets

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "DataLoader", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "default_collate", "transforms", "datasets",
    "get_worker_info", "WorkerInfo",
]
