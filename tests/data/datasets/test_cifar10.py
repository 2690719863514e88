"""CIFAR-10 readers: both official formats, built small here, and the restricted unpickler."""
import hashlib
import io
import os
import pickle
import tarfile
import urllib.request

import numpy as np
import pytest

from minidl.data.datasets import CIFAR10
from minidl.data.datasets.cifar10 import read_binary_batch, restricted_loads

BIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
PY_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def make_images(rng, n):
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n)


def write_binary(folder, rng, n=3):
    """Write all six binary batches; returns {file: (images NHWC, labels)}."""
    os.makedirs(folder, exist_ok=True)
    written = {}
    for name in BIN_FILES:
        images, labels = make_images(rng, n)
        records = np.concatenate([labels[:, None].astype(np.uint8),
                                  images.transpose(0, 3, 1, 2).reshape(n, -1)], axis=1)
        records.tofile(os.path.join(folder, name))
        written[name] = (images, labels)
    return written


def write_python(folder, rng, n=3, protocol=2, bytes_keys=True):
    os.makedirs(folder, exist_ok=True)
    written = {}
    for name in PY_FILES:
        images, labels = make_images(rng, n)
        key = (lambda k: k.encode()) if bytes_keys else (lambda k: k)
        batch = {key("batch_label"): b"training batch", key("labels"): labels.tolist(),
                 key("data"): images.transpose(0, 3, 1, 2).reshape(n, -1),
                 key("filenames"): [b"img_%d.png" % i for i in range(n)]}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(batch, f, protocol=protocol)
        written[name] = (images, labels)
    return written


def test_binary_format_round_trip(tmp_path, rng):
    written = write_binary(tmp_path / "cifar-10-batches-bin", rng)
    train = CIFAR10(str(tmp_path), train=True)
    test = CIFAR10(str(tmp_path), train=False)
    assert train.format == "binary" and len(train) == 15 and len(test) == 3
    expected = np.concatenate([written[f][0] for f in BIN_FILES[:5]])
    np.testing.assert_array_equal(train.data, expected)
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    assert train.targets == np.concatenate([written[f][1] for f in BIN_FILES[:5]]).tolist()
    img, label = test[2]
    np.testing.assert_array_equal(img, written["test_batch.bin"][0][2])
    assert label == written["test_batch.bin"][1][2] and isinstance(label, int)


@pytest.mark.parametrize("protocol,bytes_keys", [(2, True), (2, False), (4, True), (5, False)])
def test_python_format_round_trip(tmp_path, rng, protocol, bytes_keys):
    written = write_python(tmp_path / "cifar-10-batches-py", rng, protocol=protocol,
                           bytes_keys=bytes_keys)
    ds = CIFAR10(str(tmp_path), train=True, transform=lambda im: im.mean(),
                 target_transform=lambda t: t + 100)
    assert ds.format == "python" and len(ds) == 15
    np.testing.assert_array_equal(ds.data[3:6], written["data_batch_2"][0])
    value, target = ds[4]
    assert value == written["data_batch_2"][0][1].mean()
    assert target == written["data_batch_2"][1][1] + 100


def test_bad_binary_file_is_rejected(tmp_path, rng):
    write_binary(tmp_path / "cifar-10-batches-bin", rng)
    with open(tmp_path / "cifar-10-batches-bin" / "test_batch.bin", "ab") as f:
        f.write(b"\x00" * 10)
    with pytest.raises(ValueError, match="3073-byte records"):
        CIFAR10(str(tmp_path), train=False)
    bad = np.zeros((1, 3073), np.uint8)
    bad[0, 0] = 12
    bad.tofile(tmp_path / "bad.bin")
    with pytest.raises(ValueError, match="label 12"):
        read_binary_batch(str(tmp_path / "bad.bin"))


def _python_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": labels}, f, protocol=2)
    return str(path)


@pytest.mark.parametrize("data,labels,match", [
    (np.zeros((2, 3072), np.uint8), [0, 10], "label 10, expected 0..9"),
    (np.zeros((2, 3072), np.uint8), [-1, 3], "label -1, expected 0..9"),
    (np.zeros((2, 3072), np.uint8), [0.5, 1.0], "labels of dtype float64"),
    (np.zeros((2, 3072), np.uint8), [[0], [1]], r"labels of dtype int64 and shape \(2, 1\)"),
    (np.full((2, 3072), 300, np.int64), [0, 1], "data as a int64 array"),
    (np.zeros((2, 3072), np.float32), [0, 1], "data as a float32 array"),
    ([[0] * 3072] * 2, [0, 1], "data as list"),
    (np.zeros((2, 3071), np.uint8), [0, 1], r"shape \(2, 3071\)"),
    (np.zeros((2, 3072), np.uint8), [0, 1, 2], "3 labels"),
])
def test_python_batch_is_validated_like_the_binary_one(tmp_path, data, labels, match):
    from minidl.data.datasets.cifar10 import read_python_batch

    path = _python_batch(tmp_path / "data_batch_1", data, labels)
    with pytest.raises(ValueError, match=match) as info:
        read_python_batch(path)
    assert "CIFAR10" in str(info.value) and "data_batch_1" in str(info.value)
    images, got = read_python_batch(_python_batch(tmp_path / "ok", np.zeros((2, 3072), np.uint8),
                                                  np.array([9, 0], np.uint8)))
    assert images.shape == (2, 32, 32, 3) and got.tolist() == [9, 0]


class Exploit:
    """Unpickling this would call os.system and create the marker file."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class EvalExploit:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


@pytest.mark.parametrize("make", [
    lambda marker: {b"data": Exploit(f"touch {marker}"), b"labels": [0]},
    lambda marker: {b"labels": [EvalExploit(f"open({str(marker)!r}, 'w').close()")],
                    b"data": b""},
])
def test_malicious_python_batch_is_refused_without_running_code(tmp_path, rng, make):
    folder = tmp_path / "cifar-10-batches-py"
    write_python(folder, rng)
    marker = tmp_path / "pwned"
    with open(folder / "data_batch_3", "wb") as f:
        pickle.dump(make(marker), f, protocol=2)
    with pytest.raises(ValueError, match=r"refusing to read .*data_batch_3.*(posix|os|builtin)"):
        CIFAR10(str(tmp_path), train=True)
    assert not marker.exists()


def test_restricted_loads_refuses_numpy_callables_other_than_arrays():
    payload = pickle.dumps(np.ma.masked_array([1, 2]), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        restricted_loads(payload)
    obj = pickle.dumps(np.array(["a", "b"]), protocol=2)  # a dtype not in the allowed list
    with pytest.raises(pickle.UnpicklingError, match="dtype"):
        restricted_loads(obj)


class ForgedShape:
    """Pickles like a 6-element array whose state claims shape (20, 30)."""

    def __reduce__(self):
        fn, args, state = np.arange(6, dtype=np.int64).__reduce__()
        return fn, args, (state[0], (20, 30)) + tuple(state[2:])


def test_restricted_loads_checks_array_sizes():
    good = pickle.dumps(np.arange(6, dtype=np.int64).reshape(2, 3), protocol=2)
    np.testing.assert_array_equal(restricted_loads(good), np.arange(6).reshape(2, 3))
    with pytest.raises(pickle.UnpicklingError, match="needs 4800 bytes, got 48"):
        restricted_loads(pickle.dumps(ForgedShape(), protocol=2))


def test_missing_dataset_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"download=True.*cifar-10-binary\.tar\.gz"):
        CIFAR10(str(tmp_path))


def test_download_fetches_checks_and_extracts_binary_archive(tmp_path, rng, monkeypatch):
    src = tmp_path / "src"
    written = write_binary(src / "cifar-10-batches-bin", rng, n=2)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(src / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    payload = buffer.getvalue()

    class Response(io.BytesIO):
        headers = {"Content-Length": str(len(payload))}
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Response(payload))
    url = "https://example.invalid/cifar-10-binary.tar.gz"
    monkeypatch.setattr(CIFAR10, "resources", {
        "binary": (url, hashlib.md5(payload).hexdigest(), "cifar-10-batches-bin"),
        "python": CIFAR10.resources["python"]})
    root = tmp_path / "root"
    ds = CIFAR10(str(root), train=False, download=True)
    np.testing.assert_array_equal(ds.data, written["test_batch.bin"][0])
    assert (root / "cifar-10-binary.tar.gz").exists()


def test_published_checksums():
    assert CIFAR10.resources["python"][1] == "c58f30108f718f92721af3b95e74349a"
    assert CIFAR10.resources["binary"][1] == "c32a1d4ab5d03f1284b67883e8d87530"
    assert len(CIFAR10.classes) == 10 and CIFAR10.classes[-1] == "truck"
