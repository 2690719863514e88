"""Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes (60,000 train, 10,000 test).

The data come as four IDX files, gzipped (``.gz``) or not::

    train-images-idx3-ubyte   train-labels-idx1-ubyte
    t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte

An IDX file starts with a big-endian header: two zero bytes, a type byte (0x08 = unsigned
byte), the number of dimensions, then one 4-byte size per dimension; the data follow.
:func:`read_idx` checks all of it (magic number, sizes, file length) before trusting it.

Folders searched, in order: ``root/FashionMNIST/raw``, ``root/fashion-mnist``, ``root``, and
``/usr/share/datasets/fashion-mnist`` (where Debian's ``dataset-fashion-mnist`` package puts
the files: ``apt-get install dataset-fashion-mnist``).

Example:
    >>> FashionMNIST.classes[0], len(FashionMNIST.classes)
    ('T-shirt/top', 10)
"""
from __future__ import annotations

import gzip
import os

import numpy as np

from ._base import ArrayImageDataset
from ._download import DownloadError, default_root, download_url

__all__ = ["FashionMNIST", "read_idx", "SYSTEM_DIRS"]

SYSTEM_DIRS = ["/usr/share/datasets/fashion-mnist"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str, expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in ``.gz``) into an array.

    Args:
        path: the file.
        expected_ndim: the number of dimensions it must have (3 for images, 1 for labels).

    Raises:
        ValueError: bad magic number, unexpected dimensions, or a truncated/overlong file.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"FashionMNIST: {path} is not an IDX file (magic number "
                         f"{raw[:4].hex() or 'missing'})")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(f"FashionMNIST: {path} has {ndim} dimensions, expected {expected_ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"FashionMNIST: {path} is truncated inside its header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"FashionMNIST: {path} has {len(raw)} bytes, but its header "
                         f"(shape {shape}) promises {expected}")
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


class FashionMNIST(ArrayImageDataset):
    """The Fashion-MNIST dataset.

    Args:
        root: data folder (default: :func:`default_root`); see the module doc for the
            folders searched.
        train: the 60,000 training images, else the 10,000 test images.
        transform: applied to each image (a (28, 28) uint8 array).
        target_transform: applied to each label.
        download: fetch the four gzipped files into ``root/FashionMNIST/raw`` if not found.

    Attributes:
        data: (N, 28, 28) uint8 array; ``targets``: list of N ints; ``classes``.

    Example:
        >>> import tempfile
        >>> try:
        ...     ds = FashionMNIST(tempfile.mkdtemp(), train=False)
        ... except FileNotFoundError:
        ...     ds = None  # neither downloaded nor installed from Debian
        >>> ds is None or ds.data.shape == (10000, 28, 28)
        True
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    base_url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    resources = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }  # MD5s of the published .gz files

    def __init__(self, root: str | None = None, train: bool = True, transform=None,
                 target_transform=None, download: bool = False):
        self.root = os.path.expanduser(root) if root is not None else default_root()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")

        found = self._find(names)
        if found is None and download:
            self.download()
            found = self._find(names)
        if found is None:
            raise FileNotFoundError(
                f"FashionMNIST: {names[0]}(.gz) and {names[1]}(.gz) not found in "
                f"{self.search_dirs()}. Pass download=True, install Debian's package "
                f"(apt-get install dataset-fashion-mnist), or download them from "
                f"{self.base_url} into {os.path.join(self.root, 'FashionMNIST', 'raw')}")
        images, labels = read_idx(found[0], 3), read_idx(found[1], 1)
        if len(images) != len(labels):
            raise ValueError(f"FashionMNIST: {found[0]} holds {len(images)} images but "
                             f"{found[1]} holds {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"FashionMNIST: {found[1]} holds label {labels.max()}, expected 0..9")
        self.files = found
        self.data = images.astype(np.uint8, copy=False)
        self.targets = labels.astype(np.int64).tolist()

    def search_dirs(self) -> list[str]:
        """The folders searched for the files, in order."""
        return [os.path.join(self.root, "FashionMNIST", "raw"),
                os.path.join(self.root, "fashion-mnist"), self.root] + SYSTEM_DIRS

    def _find(self, names):
        """Paths of (images, labels) from the first folder that has both, or None."""
        for folder in self.search_dirs():
            paths = []
            for name in names:
                for candidate in (name, name + ".gz"):
                    if os.path.isfile(os.path.join(folder, candidate)):
                        paths.append(os.path.join(folder, candidate))
                        break
            if len(paths) == 2:
                return tuple(paths)
        return None

    def download(self) -> None:
        """Fetch the four gzipped IDX files into ``root/FashionMNIST/raw`` (MD5-checked)."""
        folder = os.path.join(self.root, "FashionMNIST", "raw")
        for name, md5 in self.resources.items():
            try:
                download_url(self.base_url + name + ".gz", os.path.join(folder, name + ".gz"), md5)
            except DownloadError as exc:
                raise DownloadError(f"FashionMNIST: {exc} (or apt-get install "
                                    "dataset-fashion-mnist)") from None

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"FashionMNIST(split={split!r}, samples={len(self)}, files={self.files})"
