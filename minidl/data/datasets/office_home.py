"""The BYOL course's data (S7): unlabelled images for pre-training, Office-Home for fine-tuning.

Pre-training reads a flat folder of images (``mini/train/*.jpg``): :class:`UnlabelledImages`.
Fine-tuning reads the course's Office-Home layout::

    office/train/xxxx.jpg   office/train.csv      columns id,filename,label (65 classes)
    office/val/xxxx.jpg     office/val.csv

with :class:`OfficeHome`. :class:`SyntheticOffice` is a generated 65-class stand-in: the
10 figures of :class:`SyntheticShapes` times 7 colour casts of the whole image (65 of the 70
combinations), so a classifier needs both shape and colour.

Example:
    >>> ds = SyntheticOffice(n=130, size=32, seed=0)
    >>> image, label = ds[0]
    >>> image.shape, len(ds.classes), sorted(set(ds.targets)) == list(range(65))
    ((32, 32, 3), 65, True)
"""
from __future__ import annotations

import csv
import functools
import pathlib

import numpy as np
from PIL import Image

from ..dataset import Dataset
from .synthetic import render_shapes

__all__ = ["OfficeHome", "UnlabelledImages", "SyntheticOffice"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _load(path, size: int | None) -> np.ndarray:
    with Image.open(path) as img:
        img = img.convert("RGB")
        if size is not None:
            img = img.resize((size, size), Image.BILINEAR)
        return np.asarray(img, dtype=np.uint8)


class UnlabelledImages(Dataset):
    """Every image file of a folder (sorted), resized to ``size`` x ``size``; items are
    ``(image (H, W, 3) uint8, -1)`` (no label)."""

    def __init__(self, root, size: int | None = None):
        self.root = pathlib.Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"UnlabelledImages: no folder {self.root}")
        self.files = sorted(p for p in self.root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise FileNotFoundError(f"UnlabelledImages: no image files in {self.root}")
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        return _load(self.files[index], self.size), -1


class OfficeHome(Dataset):
    """The course's Office-Home split: ``root/{split}.csv`` (id,filename,label) and the images
    in ``root/{split}/``.

    Args:
        root: the ``office`` folder.
        split: ``"train"`` or ``"val"``.
        size: resize to ``size`` x ``size`` (None keeps the files' sizes).
        transform: applied to each image (uint8 (H, W, 3) array) when given.

    Items are ``(image, label)``; ``targets`` holds the labels.
    """

    def __init__(self, root, split: str = "train", size: int | None = None, transform=None):
        self.root = pathlib.Path(root)
        table = self.root / f"{split}.csv"
        if not table.is_file():
            raise FileNotFoundError(f"OfficeHome: no {table}")
        with open(table, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows or not {"filename", "label"} <= set(rows[0]):
            raise ValueError(f"OfficeHome: {table} must have the columns id,filename,label")
        self.files = [self.root / split / r["filename"] for r in rows]
        self.targets = [int(r["label"]) for r in rows]
        missing = [p for p in self.files if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"OfficeHome: {len(missing)} images of {table} are missing, "
                                    f"e.g. {missing[0]}")
        self.size, self.transform = size, transform
        self.classes = [str(c) for c in range(max(self.targets) + 1)]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        image = _load(self.files[index], self.size)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


# seven colour casts (RGB multipliers) of the stand-in
CASTS = np.array([[1.0, 1.0, 1.0], [1.25, 0.8, 0.8], [0.8, 1.25, 0.8], [0.8, 0.8, 1.25],
                  [1.2, 1.2, 0.7], [0.7, 1.15, 1.2], [0.6, 0.6, 0.6]], dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _render(n: int, size: int, seed: int, num_classes: int):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % num_classes
    rng.shuffle(labels)
    images = render_shapes(labels % 10, rng, image_size=size).astype(np.float32)
    images = np.clip(images * CASTS[labels // 10][:, None, None, :], 0, 255).astype(np.uint8)
    images.setflags(write=False)
    return images, labels


class SyntheticOffice(Dataset):
    """A generated 65-class stand-in for Office-Home: figure ``label % 10`` in colour cast
    ``label // 10``; items are ``(image (size, size, 3) uint8, label)``."""

    def __init__(self, n: int = 1300, size: int = 32, seed: int = 0, train: bool = True,
                 transform=None, num_classes: int = 65):
        if not 1 <= num_classes <= 70:
            raise ValueError(f"SyntheticOffice: num_classes must lie in [1, 70], got {num_classes}")
        self.images, labels = _render(n, size, 2 * seed + (0 if train else 1), num_classes)
        self.targets = labels.tolist()
        self.classes = [f"shape {c % 10}, cast {c // 10}" for c in range(num_classes)]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]
