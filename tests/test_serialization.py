"""Tests for minidl.save / minidl.load: round trips, atomic writes, hostile files."""
import collections
import doctest
import io
import json
import math
import os
import pathlib
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl import backend, serialization
from minidl.serialization import MANIFEST, CheckpointError
from tests.strategies import examples
from tests.strict_device import StrictArray


def test_docstring_examples():
    result = doctest.testmod(serialization)
    assert result.attempted > 0 and result.failed == 0


def roundtrip(obj, tmp_path, **kwargs):
    path = tmp_path / "ckpt.pt"
    minidl.save(obj, path)
    return minidl.load(path, **kwargs)


def assert_same(a, b):
    """Deep equality that also checks types, dtypes and exact float bits."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, minidl.Tensor):
        assert a.requires_grad == b.requires_grad
        assert_same(a._array, b._array)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == np.ascontiguousarray(b).tobytes()
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for ka, kb in zip(a, b):
            assert_same(ka, kb)
            assert_same(a[ka], b[kb])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float):
        assert math.copysign(1, a) == math.copysign(1, b)
        assert a == b or (math.isnan(a) and math.isnan(b))
    else:
        assert a == b


# ----------------------------------------------------------------- round trips
def test_nested_structure_roundtrip(tmp_path, rng):
    obj = {
        "model": collections.OrderedDict([
            ("conv.weight", minidl.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
                                          requires_grad=True)),
            ("bn.running_mean", minidl.zeros(4)),
            ("bn.num_batches_tracked", minidl.tensor(7)),
        ]),
        "optimizer": {"state": {0: {"momentum_buffer": rng.standard_normal(5)},
                                3: {"step": 12}},
                      "param_groups": [{"lr": 0.1, "params": [0, 1, 2, 3], "nesterov": False}]},
        "arrays": [rng.standard_normal((2, 3)),                       # float64
                   rng.integers(-5, 5, size=(3,), dtype=np.int64),
                   rng.integers(0, 255, size=(2, 2), dtype=np.uint8),
                   np.array([True, False, True]),
                   np.array(3.5, dtype=np.float32),                    # 0-d
                   np.zeros((0, 4), dtype=np.float32),                 # empty
                   np.arange(12, dtype=np.int32).reshape(3, 4).T,      # not contiguous
                   np.asfortranarray(np.ones((2, 3), dtype=np.float16)),
                   np.array(["ab", "c"])],
        "scalars": (np.float32(1.5), np.int64(-3), np.bool_(True), np.float64(1e-300)),
        "numbers": [0, -1, 2 ** 64 + 1, -(3 ** 90), 1.0, -0.0, float("inf"), float("-inf"),
                    float("nan"), 0.1 + 0.2, True, False, None],
        "text": "epoch 3 \u2013 r\u00e9sum\u00e9 \U0001f600",
        "keys": {1: "int", 2.5: "float", True: "bool", None: "none", ("a", 1): "tuple",
                 "": "empty string"},
        "dtypes": [np.dtype(np.float32), minidl.int64],
        "device": minidl.device("cpu"),
        "empty": [{}, [], ()],
    }
    assert_same(obj, roundtrip(obj, tmp_path))


def test_tensor_keeps_dtype_flag_and_comes_back_detached(tmp_path):
    w = minidl.randn(3, 2, requires_grad=True)
    (w * 2).sum().backward()
    loaded = roundtrip({"w": w, "i": minidl.arange(3)}, tmp_path)
    assert isinstance(loaded["w"], minidl.Tensor)
    assert loaded["w"].requires_grad and loaded["w"].is_leaf and loaded["w"].grad is None
    assert loaded["w"].dtype == np.float32
    assert np.array_equal(loaded["w"]._array, w._array)
    assert loaded["i"].dtype == np.int64 and not loaded["i"].requires_grad


def test_loaded_arrays_are_writable_copies(tmp_path):
    a = np.arange(4.0)
    b = roundtrip(a, tmp_path)
    b[0] = 10.0
    assert a[0] == 0.0 and b.flags.writeable


def test_rng_state_roundtrip_continues_the_same_stream(tmp_path):
    minidl.manual_seed(123)
    backend.get_default_generator().random(10)
    state = minidl.get_rng_state()
    assert any(isinstance(v, int) and v > 2 ** 53 for v in state["state"].values())
    expected = backend.get_default_generator().random(5)
    loaded = roundtrip({"rng": state}, tmp_path)["rng"]
    assert loaded == state
    minidl.manual_seed(0)
    minidl.set_rng_state(loaded)
    assert np.array_equal(backend.get_default_generator().random(5), expected)


def test_manifest_is_readable_json_and_arrays_are_npy(tmp_path):
    path = tmp_path / "c.pt"
    minidl.save({"epoch": 2, "w": minidl.ones(3)}, path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        member = manifest["root"]["items"][1][1]["member"]
        arr = np.load(io.BytesIO(zf.read(member)), allow_pickle=False)
    assert manifest["magic"] == "minidl-checkpoint" and manifest["format_version"] == 1
    assert np.array_equal(arr, np.ones(3, dtype=np.float32))


def test_accepts_pathlib_and_str(tmp_path):
    minidl.save([1, 2], str(tmp_path / "a.pt"))
    assert minidl.load(pathlib.Path(tmp_path / "a.pt")) == [1, 2]


json_scalars = (st.none() | st.booleans() | st.integers(min_value=-2 ** 130, max_value=2 ** 130)
                | st.floats(allow_nan=False) | st.text(max_size=8))
small_arrays = st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]).flatmap(
    lambda dt: st.lists(st.integers(0, 3), max_size=3).map(
        lambda shape: (np.arange(int(np.prod(shape)), dtype=np.int64) % 7).astype(dt).reshape(shape)))
trees = st.recursive(
    json_scalars | small_arrays,
    lambda children: (st.lists(children, max_size=3)
                      | st.lists(children, max_size=3).map(tuple)
                      | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), children,
                                        max_size=3)),
    max_leaves=8)


@examples(15)
@given(tree=trees)
def test_any_supported_tree_roundtrips(tmp_path_factory, tree):
    assert_same(tree, roundtrip(tree, tmp_path_factory.mktemp("h")))


# ------------------------------------------------------------ refusing to save
def test_unsupported_object_names_where_it_was(tmp_path):
    class Model:
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match=r"Model at obj\['a'\]\[1\].*state_dict"):
        minidl.save({"a": [1, Model()]}, tmp_path / "never-written.pt")
    assert os.listdir(tmp_path) == []


def test_object_arrays_and_cycles_are_refused(tmp_path):
    with pytest.raises(TypeError, match="dtype object"):
        minidl.save({"x": np.array([{}, 1], dtype=object)}, tmp_path / "x.pt")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="reference cycle"):
        minidl.save(loop, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="dict keys"):
        minidl.save({minidl.device("cpu"): 1}, tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------- atomicity
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    minidl.save({"epoch": 1, "w": minidl.ones(2)}, path)
    before = path.read_bytes()

    real_write = np.lib.format.write_array
    calls = []

    def failing_write(f, arr, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first array is already in the temp file
            f.write(b"partial")
            raise error
        return real_write(f, arr, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(type(error)):
        minidl.save({"epoch": 2, "w": minidl.zeros(2), "v": minidl.zeros(3)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]
    assert minidl.load(path)["epoch"] == 1


def test_save_replaces_existing_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    minidl.save({"epoch": 1}, path)
    minidl.save({"epoch": 2}, path)
    assert minidl.load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.pt"]


# --------------------------------------------------------------- hostile files
@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.pt"
    data = np.full(64, 1.25, dtype=np.float64)
    minidl.save({"w": minidl.tensor(data), "epoch": 5}, path)
    return path, data


def refused(path, match):
    with pytest.raises(CheckpointError, match=match) as info:
        minidl.load(path)
    assert str(path) in str(info.value)  # the message names the file


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1, -30])
def test_truncated_file_is_refused(good_file, keep):
    path, _ = good_file
    raw = path.read_bytes()
    n = int(len(raw) * keep) if isinstance(keep, float) else (keep % len(raw) if keep else 0)
    path.write_bytes(raw[:n])
    refused(path, "not a zip archive")


def test_flipped_byte_in_array_is_caught_by_crc(good_file):
    path, data = good_file
    raw = bytearray(path.read_bytes())
    at = raw.find(data.tobytes())
    assert at > 0
    raw[at + 100] ^= 0x01
    path.write_bytes(bytes(raw))
    refused(path, "corrupted.*CRC")


def test_flipped_byte_in_manifest_is_caught_by_crc(good_file):
    path, _ = good_file
    raw = bytearray(path.read_bytes())
    at = raw.find(b'"epoch"')
    assert at > 0
    raw[at + 2] ^= 0x20  # "epoch" -> "ePoch": still valid JSON, so only the CRC can tell
    path.write_bytes(bytes(raw))
    refused(path, "corrupted.*CRC")


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    refused(text, "not a zip archive")

    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.ones(3))
    refused(npz, "no manifest.json")

    pickled = tmp_path / "torch_style.pt"
    pickled.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    refused(pickled, "not a zip archive")

    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        minidl.load(tmp_path / "missing.pt")


def write_zip(path, manifest, members=()):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest) if not isinstance(manifest, str) else manifest)
        for name, data in members:
            zf.writestr(name, data)


def npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def array_node(member, dtype="<f8", shape=(3,)):
    return {"type": "ndarray", "member": member, "dtype": dtype, "shape": list(shape)}


@pytest.mark.parametrize("manifest, members, match", [
    ({"magic": "something-else", "format_version": 1, "root": {"type": "none"}}, [],
     "lacks the magic"),
    ("{not json", [], "unreadable manifest"),
    ([1, 2], [], "lacks the magic"),
    ({"magic": "minidl-checkpoint", "format_version": 99, "root": {"type": "none"}}, [],
     "format version 99"),
    ({"magic": "minidl-checkpoint", "format_version": 1}, [], "no 'root'"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("arrays/0.npy")}, [],
     "missing member 'arrays/0.npy'"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": {"type": "pickle"}}, [],
     "unknown type 'pickle'"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": {"type": "int", "value": "1"}},
     [], "malformed int"),
    ({"magic": "minidl-checkpoint", "format_version": 1,
      "root": {"type": "dict", "items": [[{"type": "list", "items": []}, {"type": "none"}]]}},
     [], "invalid dict key"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy", "<f4")},
     [("a.npy", npy_bytes(np.ones(3)))], "manifest says float32"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy", "|O")},
     [("a.npy", npy_bytes(np.ones(3)))], "unsupported dtype"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy")},
     [("a.npy", b"\x93NUMPY garbage")], "unsupported .npy format version"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy")},
     [("a.npy", b"\x93NUMPY\x01\x00\x06\x00{}    ")], "unreadable array"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy")},
     [("a.npy", npy_bytes(np.ones(3))[:-5])], "unreadable array"),
    ({"magic": "minidl-checkpoint", "format_version": 1, "root": array_node("a.npy")},
     [("a.npy", npy_bytes(np.ones(3)) + b"extra")], "trailing data"),
])
def test_malformed_checkpoints_are_refused(tmp_path, manifest, members, match):
    path = tmp_path / "bad.pt"
    write_zip(path, manifest, members)
    refused(path, match)


class _Payload:
    """Unpickling this creates a marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = pathlib.Path(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_malicious_pickle_inside_the_zip_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.array([_Payload(marker), 1], dtype=object)
    member = npy_bytes(evil, allow_pickle=True)

    # The payload is live: unpickling the member (what allow_pickle=True would do) runs it.
    np.load(io.BytesIO(member), allow_pickle=True)
    assert marker.exists()
    marker.unlink()

    path = tmp_path / "evil.pt"
    for node in (array_node("arrays/0.npy", "|O", (2,)),
                 array_node("arrays/0.npy", "<f8", (2,)),       # manifest lies about the dtype
                 {"type": "tensor", "member": "arrays/0.npy", "dtype": "<f8", "shape": [2]},
                 {"type": "numpy_scalar", "member": "arrays/0.npy", "dtype": "<f8", "shape": []}):
        write_zip(path, {"magic": "minidl-checkpoint", "format_version": 1, "root": node},
                  [("arrays/0.npy", member)])
        with pytest.raises(CheckpointError, match="(object array|unsupported dtype)"):
            minidl.load(path)
        assert not marker.exists()

    # A bare pickle (the torch.save format) carrying the same payload is refused too.
    path.write_bytes(pickle.dumps(_Payload(marker)))
    refused(path, "not a zip archive")
    assert not marker.exists()


# ------------------------------------------------------------------ devices
def test_device_arrays_are_saved_from_host_copies_and_mapped_back(tmp_path, strict):
    on_device = StrictArray(np.arange(6.0).reshape(2, 3))
    obj = {"t": minidl.Tensor._wrap(on_device), "a": on_device}
    path = tmp_path / "d.pt"
    minidl.save(obj, path)
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read(MANIFEST))["root"]["items"][0][1]["device"] == "strict:0"

    default = minidl.load(path)
    assert type(default["t"]._array) is np.ndarray and type(default["a"]) is np.ndarray
    assert str(default["t"].device) == "cpu"
    assert np.array_equal(default["a"], np.arange(6.0).reshape(2, 3))

    for where in ("strict", minidl.device("strict:0")):
        moved = minidl.load(path, map_location=where)
        assert isinstance(moved["t"]._array, StrictArray) and isinstance(moved["a"], StrictArray)
        assert str(moved["t"].device) == "strict:0"
        assert np.array_equal(moved["t"].numpy(), np.arange(6.0).reshape(2, 3))
    assert type(minidl.load(path, map_location="cpu")["a"]) is np.ndarray


# ------------------------------------------------------- bounded, named failures
CKPT = {"magic": "minidl-checkpoint", "format_version": 1}


def test_declared_sizes_beyond_four_times_the_file_are_refused(tmp_path):
    good = tmp_path / "good.pt"
    minidl.save({"w": minidl.zeros(1_000_000)}, good)  # 4 MB of float32 zeros
    bomb = tmp_path / "bomb.pt"  # the same members, deflated: a 5 kB file declaring 4 MB
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    assert bomb.stat().st_size < 100_000
    refused(bomb, r"declares 40\d{5} bytes of content in a \d+-byte file, more than max_bytes")
    assert minidl.load(bomb, max_bytes=10 ** 7)["w"].shape == (1_000_000,)  # trusted: fine
    with pytest.raises(CheckpointError, match="max_bytes=1000"):
        minidl.load(good, max_bytes=1000)


def test_a_header_declaring_more_than_its_member_is_refused(tmp_path):
    header = npy_bytes(np.ones(3))
    huge = header.replace(b"(3,)", b"(10000000000000,)".ljust(4))  # keeps a valid header
    path = tmp_path / "huge.pt"
    write_zip(path, {**CKPT, "root": array_node("a.npy", shape=(10 ** 13,))},
              [("a.npy", huge[:10] + huge[10:].replace(b"    \n", b"\n", 1))])
    refused(path, "declares 80000000000000 bytes of array data|unreadable array")


def test_one_array_named_many_times_is_refused(tmp_path):
    path = tmp_path / "alias.pt"
    node = array_node("arrays/0.npy")
    write_zip(path, {**CKPT, "root": {"type": "list", "items": [node] * 1000}},
              [("arrays/0.npy", npy_bytes(np.ones(3)))])
    refused(path, "names the array member arrays/0.npy more than once")


@pytest.mark.parametrize("depth", [serialization.MAX_DEPTH + 1, 100_000])
def test_deeply_nested_manifests_are_refused(tmp_path, depth):
    path = tmp_path / "deep.pt"
    root = '{"type": "list", "items": [' * depth + "]}" * depth
    write_zip(path, json.dumps(CKPT)[:-1] + ', "root": ' + root + "}")
    refused(path, "nested (more than 64 levels deep|too deeply)")
    nested = [1]
    for _ in range(serialization.MAX_DEPTH - 2):
        nested = [nested]
    assert roundtrip(nested, tmp_path) == nested  # as deep as allowed: fine


def test_zip_features_minidl_never_writes_are_checkpoint_errors(tmp_path, good_file):
    path, _ = good_file
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset:at + offset + 2] = (99).to_bytes(2, "little")
            at = raw.find(signature, at + 1)
    path.write_bytes(bytes(raw))
    refused(path, "NotImplementedError")


def test_loading_a_directory_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="load: .* is a directory, not a checkpoint"):
        minidl.load(tmp_path)


def test_temporaries_of_killed_saves_are_removed_by_the_next_save_or_load(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "ckpt.pt"
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, time, minidl\n"
        "os.fsync = lambda fd: time.sleep(60)  # hangs where the data is complete\n"
        "minidl.save({'w': minidl.zeros(1000)}, sys.argv[1])\n"), str(path)],
        cwd=pathlib.Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ckpt.pt.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    stale = list(tmp_path.glob(".ckpt.pt.*.tmp"))
    assert len(stale) == 1 and f".{child.pid}." in stale[0].name
    live = tmp_path / f".ckpt.pt.{serialization._HOST}.{os.getpid()}.abc.tmp"
    live.write_bytes(b"a save in progress")  # this process runs: never removed
    other = tmp_path / ".other.pt.x.1.abc.tmp"
    other.write_bytes(b"another file's")
    with pytest.raises(FileNotFoundError):
        minidl.load(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
    stale[0].write_bytes(b"again")
    minidl.save({"epoch": 1}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["ckpt.pt", live.name, other.name])
