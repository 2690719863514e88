"""CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 for training, 10,000 for test).

Two official distributions are read:

* **binary** (``cifar-10-batches-bin/``): ``data_batch_1.bin`` .. ``data_batch_5.bin`` and
  ``test_batch.bin``, each a run of 3073-byte records: one label byte, then the
  32 x 32 x 3 image as 1024 red, 1024 green and 1024 blue bytes (channels first, rows
  top to bottom). No code runs to read it; ``download=True`` fetches this one.
* **python** (``cifar-10-batches-py/``): ``data_batch_1`` .. ``data_batch_5`` and
  ``test_batch``, pickled dicts with ``data`` (a 10000 x 3072 uint8 array) and ``labels``.
  A pickle can run arbitrary code when loaded, so these go through
  :class:`RestrictedUnpickler`, which refuses every global (function or class) that a
  pickle names except NumPy's array and dtype reconstructors, and those are replaced by
  inert stand-ins that only rebuild plain uint8/int/float arrays from bytes.

Example:
    >>> CIFAR10.classes[:3]
    ['airplane', 'automobile', 'bird']
"""
from __future__ import annotations

import io
import os
import pickle

import numpy as np

from ._base import ArrayImageDataset
from ._download import DownloadError, default_root, download_url, extract_archive

__all__ = ["CIFAR10", "RestrictedUnpickler", "restricted_loads", "read_binary_batch",
           "read_python_batch"]

RECORD_BYTES = 1 + 3 * 32 * 32


# ----------------------------------------------------------------------------- safe pickles
_ALLOWED_DTYPES = {"b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"}


class _DtypeSpec:
    """Stand-in for ``numpy.dtype(name, align, copy)``: records a simple numeric dtype."""

    def __init__(self, name, align=False, copy=False):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        if not isinstance(name, str) or name not in _ALLOWED_DTYPES:
            raise pickle.UnpicklingError(f"RestrictedUnpickler: refusing array dtype {name!r}")
        self.name = name
        self.byteorder = "|"

    def __setstate__(self, state):
        order = state[1] if isinstance(state, tuple) and len(state) > 1 else "|"
        if isinstance(order, bytes):
            order = order.decode("ascii")
        if order not in ("<", ">", "|", "="):
            raise pickle.UnpicklingError(f"RestrictedUnpickler: bad dtype byte order {order!r}")
        self.byteorder = order

    def to_numpy(self) -> np.dtype:
        return np.dtype((self.byteorder if self.byteorder != "|" else "") + self.name)


class _ArraySpec:
    """Stand-in for a pickled ndarray: shape, dtype and raw bytes, checked, then rebuilt."""

    def __init__(self, shape=None, dtype=None, raw=None, fortran=False):
        self.shape, self.dtype, self.raw, self.fortran = shape, dtype, raw, fortran

    def __setstate__(self, state):
        # numpy's ndarray state: (version, shape, dtype, is_fortran, raw bytes)
        if not (isinstance(state, tuple) and len(state) == 5):
            raise pickle.UnpicklingError("RestrictedUnpickler: unexpected array state")
        _, self.shape, self.dtype, self.fortran, self.raw = state

    def to_numpy(self) -> np.ndarray:
        if not isinstance(self.dtype, _DtypeSpec):
            raise pickle.UnpicklingError("RestrictedUnpickler: array without a simple dtype")
        if not (isinstance(self.shape, tuple) and all(isinstance(s, int) and s >= 0
                                                      for s in self.shape)):
            raise pickle.UnpicklingError(f"RestrictedUnpickler: bad array shape {self.shape!r}")
        raw = self.raw.encode("latin1") if isinstance(self.raw, str) else self.raw
        if not isinstance(raw, (bytes, bytearray)):
            raise pickle.UnpicklingError("RestrictedUnpickler: array data is not bytes")
        dtype = self.dtype.to_numpy()
        count = int(np.prod(self.shape, dtype=np.int64))
        if len(raw) != count * dtype.itemsize:
            raise pickle.UnpicklingError(
                f"RestrictedUnpickler: array of shape {self.shape} and dtype {dtype} needs "
                f"{count * dtype.itemsize} bytes, got {len(raw)}")
        arr = np.frombuffer(bytes(raw), dtype=dtype, count=count)
        return arr.reshape(self.shape, order="F" if self.fortran else "C").copy()


def _reconstruct(cls, shape, typecode):
    """Stand-in for ``numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')``."""
    if cls is not _ArraySpec:
        raise pickle.UnpicklingError("RestrictedUnpickler: unexpected array reconstruction")
    return _ArraySpec()


def _frombuffer(buf, dtype, shape, order):
    """Stand-in for numpy's protocol-5 ``_frombuffer(buffer, dtype, shape, order)``."""
    if isinstance(buf, pickle.PickleBuffer):
        buf = bytes(buf.raw())
    return _ArraySpec(tuple(shape), dtype, buf, order == "F")


def _encode(text, encoding="utf-8"):
    """Stand-in for ``_codecs.encode``, which protocol-2 pickles use to store bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "ascii"):
        raise pickle.UnpicklingError("RestrictedUnpickler: unexpected use of _codecs.encode")
    return text.encode(encoding)


_STAND_INS = {
    ("_codecs", "encode"): _encode,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): _ArraySpec,
    ("numpy", "dtype"): _DtypeSpec,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that never imports or calls anything named by the pickle.

    Plain containers, strings, bytes and numbers load as usual. Every global reference is
    refused with :class:`pickle.UnpicklingError`, except NumPy's array and dtype
    reconstructors, which resolve to local stand-ins that only record shape, simple numeric
    dtype and raw bytes (see :func:`restricted_loads`, which turns them into arrays), and
    ``_codecs.encode``, which protocol 2 uses for bytes (a stand-in that only encodes text).
    """

    def find_class(self, module: str, name: str):
        stand_in = _STAND_INS.get((module, name))
        if stand_in is None:
            raise pickle.UnpicklingError(
                f"RestrictedUnpickler: refusing to load the global {module}.{name}: this file "
                "is not a plain data pickle (it may try to run code)")
        return stand_in


def _finish(obj):
    """Replace array stand-ins by NumPy arrays throughout a loaded structure."""
    if isinstance(obj, _ArraySpec):
        return obj.to_numpy()
    if isinstance(obj, _DtypeSpec):
        raise pickle.UnpicklingError("RestrictedUnpickler: a bare dtype is not data")
    if isinstance(obj, dict):
        return {k: _finish(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finish(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_finish(v) for v in obj)
    return obj


def restricted_loads(data: bytes, encoding: str = "bytes"):
    """Load a data-only pickle (see :class:`RestrictedUnpickler`).

    Example:
        >>> import pickle, numpy as np
        >>> restricted_loads(pickle.dumps({"a": [1, 2.5, b"x"]}))
        {'a': [1, 2.5, b'x']}
        >>> restricted_loads(pickle.dumps(np.arange(3, dtype=np.uint8), protocol=2)).tolist()
        [0, 1, 2]
        >>> restricted_loads(pickle.dumps(print))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        _pickle.UnpicklingError: RestrictedUnpickler: refusing to load the global builtins.print: ...
    """
    return _finish(RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load())


# ----------------------------------------------------------------------------- readers
def read_binary_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch: (images (N, 32, 32, 3) uint8, labels (N,) int64)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise ValueError(f"CIFAR10: {path} has {raw.size} bytes, not a whole number of "
                         f"{RECORD_BYTES}-byte records")
    records = raw.reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:  # uint8: never negative
        raise ValueError(f"CIFAR10: {path} holds label {labels.max()}, expected 0..9")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _get(d: dict, key: str):
    for k in (key, key.encode("ascii")):
        if k in d:
            return d[k]
    raise KeyError(key)


def read_python_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one pickled batch safely: (images (N, 32, 32, 3) uint8, labels (N,) int64)."""
    with open(path, "rb") as f:
        try:
            batch = restricted_loads(f.read())
        except pickle.UnpicklingError as exc:
            raise ValueError(f"CIFAR10: refusing to read {path}: {exc}") from None
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR10: {path} does not hold a dict")
    try:
        data, labels = _get(batch, "data"), _get(batch, "labels")
    except KeyError as exc:
        raise ValueError(f"CIFAR10: {path} lacks the entry {exc}") from None
    # as strict as the binary reader: the real batches hold a (N, 3072) uint8 array and a
    # list of N ints in 0..9; a cast would silently wrap 300 to 44 or -1 to 255
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        kind = f"a {data.dtype} array" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"CIFAR10: {path} holds data as {kind}; expected a uint8 array of "
                         "shape (N, 3072)")
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError):
        labels = np.asarray([], dtype=object)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"CIFAR10: {path} holds labels of dtype {labels.dtype} and shape "
                         f"{labels.shape}; expected a list of N integers in 0..9")
    labels = labels.astype(np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"CIFAR10: {path} holds data of shape {data.shape} and {len(labels)} "
                         "labels; expected (N, 3072) and N labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        bad = labels[(labels < 0) | (labels > 9)][0]
        raise ValueError(f"CIFAR10: {path} holds label {bad}, expected 0..9")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


# ----------------------------------------------------------------------------- dataset
class CIFAR10(ArrayImageDataset):
    """The CIFAR-10 dataset, from the binary or the Python distribution.

    Looks for ``root/cifar-10-batches-bin`` and then ``root/cifar-10-batches-py``.

    Args:
        root: folder holding the extracted archive (default: :func:`default_root`).
        train: the 50,000 training images, else the 10,000 test images.
        transform: applied to each image (an (32, 32, 3) uint8 array).
        target_transform: applied to each label.
        download: fetch and extract the binary archive (MD5-checked) when nothing is found.

    Attributes:
        data: (N, 32, 32, 3) uint8 array (channels last).
        targets: list of N ints in 0..9.
        classes: the class names; ``class_to_idx`` maps them to labels.

    Returns (per item):
        ``(image, label)``: the HWC uint8 array (or ``transform(image)``) and an int.

    Example:
        >>> import tempfile
        >>> CIFAR10(tempfile.mkdtemp())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: CIFAR10: no dataset found ...
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]
    resources = {
        "binary": ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                   "c32a1d4ab5d03f1284b67883e8d87530", "cifar-10-batches-bin"),
        "python": ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                   "c58f30108f718f92721af3b95e74349a", "cifar-10-batches-py"),
    }
    train_files = {"binary": [f"data_batch_{i}.bin" for i in range(1, 6)],
                   "python": [f"data_batch_{i}" for i in range(1, 6)]}
    test_files = {"binary": ["test_batch.bin"], "python": ["test_batch"]}

    def __init__(self, root: str | None = None, train: bool = True, transform=None,
                 target_transform=None, download: bool = False):
        self.root = os.path.expanduser(root) if root is not None else default_root()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

        found = self._find()
        if found is None and download:
            self.download()
            found = self._find()
        if found is None:
            url, md5, folder = self.resources["binary"]
            raise FileNotFoundError(
                f"CIFAR10: no dataset found in {self.root} (looked for {folder}/ and "
                f"cifar-10-batches-py/). Pass download=True, or download {url} (MD5 {md5}) "
                f"and extract it into {self.root}")
        kind, folder = found
        files = (self.train_files if train else self.test_files)[kind]
        reader = read_binary_batch if kind == "binary" else read_python_batch
        parts = [reader(os.path.join(folder, name)) for name in files]
        self.format = kind
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts]).tolist()

    def _find(self):
        """("binary" | "python", folder) of the first complete copy, or None."""
        for kind in ("binary", "python"):
            folder = os.path.join(self.root, self.resources[kind][2])
            files = self.train_files[kind] + self.test_files[kind]
            if all(os.path.isfile(os.path.join(folder, f)) for f in files):
                return kind, folder
        return None

    def download(self) -> None:
        """Fetch the binary archive into ``root`` (MD5-checked) and extract it."""
        url, md5, _ = self.resources["binary"]
        archive = os.path.join(self.root, os.path.basename(url))
        try:
            download_url(url, archive, md5)
        except DownloadError as exc:
            raise DownloadError(f"CIFAR10: {exc} Then extract it into {self.root}.") from None
        extract_archive(archive, self.root)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (f"CIFAR10(split={split!r}, samples={len(self)}, format={self.format!r}, "
                f"root={self.root!r})")
