"""Fashion-MNIST IDX reader: gzipped and raw files, header validation, Debian's copy."""
import gzip
import os
import struct

import numpy as np
import pytest

from minidl.data.datasets import FashionMNIST, fashion_mnist
from minidl.data.datasets.fashion_mnist import read_idx


def idx_bytes(array, type_code=0x08):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(">u1" if type_code == 0x08 else array.dtype).tobytes()


def write_split(folder, prefix, images, labels, gz):
    os.makedirs(folder, exist_ok=True)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        name = os.path.join(folder, f"{prefix}-{kind}-ubyte")
        data = idx_bytes(array)
        if gz:
            with gzip.open(name + ".gz", "wb") as f:
                f.write(data)
        else:
            with open(name, "wb") as f:
                f.write(data)


@pytest.fixture
def no_system_copy(monkeypatch):
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", [])


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", [("FashionMNIST", "raw"), ("fashion-mnist",)])
def test_reads_generated_idx_files(tmp_path, rng, gz, layout, no_system_copy):
    folder = os.path.join(tmp_path, *layout)
    train_x = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    train_y = rng.integers(0, 10, 7).astype(np.uint8)
    test_x = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    test_y = rng.integers(0, 10, 3).astype(np.uint8)
    write_split(folder, "train", train_x, train_y, gz)
    write_split(folder, "t10k", test_x, test_y, gz)
    train = FashionMNIST(str(tmp_path), train=True)
    test = FashionMNIST(str(tmp_path), train=False, target_transform=lambda t: -t)
    np.testing.assert_array_equal(train.data, train_x)
    assert train.targets == train_y.tolist() and len(train) == 7
    img, label = test[1]
    np.testing.assert_array_equal(img, test_x[1])
    assert label == -int(test_y[1])
    assert train.data.dtype == np.uint8 and train.data.shape == (7, 28, 28)


def test_idx_validation(tmp_path):
    good = idx_bytes(np.zeros((2, 3, 3), np.uint8))
    (tmp_path / "ok").write_bytes(good)
    assert read_idx(str(tmp_path / "ok"), 3).shape == (2, 3, 3)
    (tmp_path / "magic").write_bytes(b"\x01\x02" + good[2:])
    with pytest.raises(ValueError, match="magic number"):
        read_idx(str(tmp_path / "magic"))
    (tmp_path / "short").write_bytes(good[:-1])
    with pytest.raises(ValueError, match="promises"):
        read_idx(str(tmp_path / "short"))
    (tmp_path / "long").write_bytes(good + b"\x00")
    with pytest.raises(ValueError, match="promises"):
        read_idx(str(tmp_path / "long"))
    with pytest.raises(ValueError, match="expected 1"):
        read_idx(str(tmp_path / "ok"), 1)
    (tmp_path / "i32").write_bytes(idx_bytes(np.arange(4, dtype=">i4"), 0x0C))
    assert read_idx(str(tmp_path / "i32")).tolist() == [0, 1, 2, 3]


def test_mismatched_counts_and_labels(tmp_path, no_system_copy):
    folder = tmp_path / "fashion-mnist"
    write_split(folder, "t10k", np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), gz=False)
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        FashionMNIST(str(tmp_path), train=False)
    write_split(folder, "t10k", np.zeros((2, 28, 28), np.uint8), np.array([1, 11], np.uint8),
                gz=False)
    with pytest.raises(ValueError, match="label 11"):
        FashionMNIST(str(tmp_path), train=False)


def test_missing_files_message(tmp_path, no_system_copy):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist") as info:
        FashionMNIST(str(tmp_path))
    assert "train-images-idx3-ubyte" in str(info.value)


DEBIAN = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(DEBIAN),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_package_copy_loads_in_full(tmp_path):
    train = FashionMNIST(str(tmp_path), train=True)
    test = FashionMNIST(str(tmp_path), train=False)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.files[0].startswith(DEBIAN)
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
