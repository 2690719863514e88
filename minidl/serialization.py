"""Checkpoints: ``minidl.save(obj, path)`` and ``minidl.load(path)``.

A checkpoint is one zip archive that any tool can open and inspect::

    checkpoint.pt
    |-- manifest.json        the structure of ``obj`` as JSON (see below)
    |-- arrays/0.npy         one NumPy ``.npy`` file per array or tensor
    |-- arrays/1.npy
    `-- ...

The manifest describes the saved object as a tree of tagged nodes, for example::

    {"type": "dict", "items": [[{"type": "str", "value": "epoch"},
                                {"type": "int", "value": 3}], ...]}

and an array leaf names its member: ``{"type": "tensor", "member": "arrays/0.npy", ...}``.

Why not :mod:`pickle` (what ``torch.save`` uses)? Unpickling runs code chosen by
whoever wrote the file: a checkpoint downloaded from the internet could do anything
to your machine. Here :func:`load` only parses JSON and reads raw numbers
(``allow_pickle=False``), so a hostile file can at worst be refused.

What can be saved: ``dict`` (keys: str, int, float, bool, None or tuples of those;
key order is kept), ``list``, ``tuple``, :class:`~minidl.Tensor`, NumPy arrays and
arrays of another device (CuPy), NumPy scalars and dtypes, :class:`~minidl.device`,
``int`` (of any size: JSON keeps Python ints exactly, which the random generator's
state needs), ``float`` (exactly, NaN and infinities included), ``bool``, ``str``
and ``None``. Anything else (a whole ``nn.Module``, a lambda, ...) raises a
``TypeError`` saying where in ``obj`` it was found; save ``model.state_dict()``.

What comes back:

* a Tensor comes back as a plain leaf Tensor with the same data, dtype and
  ``requires_grad`` flag (a ``Parameter`` comes back as a Tensor; its ``.grad`` and
  graph are not saved);
* an array comes back as an array (NumPy on the CPU);
* by default (``map_location=None``) every tensor and array is loaded into host
  memory; ``map_location="cuda"`` (or any device) moves all of them there.

Writing is atomic: the archive is written to a temporary file next to ``path``
(``.NAME.HOST.PID.XXXX.tmp``), flushed to disk, and only then renamed over ``path``. A
crash mid-write leaves the previous checkpoint untouched; the temporary file of a save
that was killed is removed by the next :func:`save` or :func:`load` of the same path
(one written on this host by a process that no longer runs).

Reading is bounded: :func:`load` refuses a file whose members declare more bytes than
``max_bytes`` (default four times the file's size: save stores arrays uncompressed, so a
real checkpoint declares about its own size; a zip bomb declares far more), a manifest
nested deeper than :data:`MAX_DEPTH` levels, and a manifest naming one array member more
than once. Every problem with the file is a :class:`CheckpointError` naming it.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import minidl
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    >>> minidl.save({"epoch": 3, "w": minidl.ones(2, 2), "rng": minidl.get_rng_state()}, path)
    >>> ckpt = minidl.load(path)
    >>> ckpt["epoch"], ckpt["w"].tolist()
    (3, [[1.0, 1.0], [1.0, 1.0]])
"""
from __future__ import annotations

import collections
import json
import math
import os
import socket
import tempfile
import zipfile

import numpy as np

from . import backend
from .backend import Device
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "MAGIC", "FORMAT_VERSION", "MAX_DEPTH",
           "remove_stale_temporaries"]

MAGIC = "minidl-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_DEPTH = 64  # containers in containers; a state_dict checkpoint uses 4 or 5
SIZE_FACTOR = 4  # load's default max_bytes: this many times the file's size
_KEY_TYPES = ("str", "int", "float", "bool", "none", "tuple")


class CheckpointError(ValueError):
    """Raised by :func:`load` for a file that is not a readable minidl checkpoint."""


# ---------------------------------------------------------------------------
# Saving: walk the object, turning each value into a JSON node. Arrays become
# .npy members of the zip and their node just names the member.

class _Writer:
    """Turns an object into manifest nodes and collects the arrays to write."""

    def __init__(self):
        self.arrays = []           # (member name, numpy array) in writing order
        self._active = set()       # ids of containers being walked, to catch cycles

    def node(self, obj, where: str) -> dict:
        # numpy scalars first (np.float64 is a float subclass), bool before int (True is an int).
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", **self.array(np.asarray(obj), where)}
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            # repr round-trips exactly; NaN/inf are written as strings to keep the JSON standard.
            return {"type": "float", "value": obj if math.isfinite(obj) else repr(obj)}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            return {"type": "tensor", "requires_grad": obj.requires_grad,
                    **self.array(obj._array, where)}
        if isinstance(obj, np.ndarray) or backend.backend_for(obj).name != "cpu":
            return {"type": "ndarray", **self.array(obj, where)}
        if isinstance(obj, np.dtype):
            self.check_dtype(obj, where)
            return {"type": "dtype", "value": obj.str}
        if isinstance(obj, Device):
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, (dict, list, tuple)):
            return self.container(obj, where)
        hint = " (save model.state_dict() instead of the model)" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} "
                        f"at {where}{hint}")

    def container(self, obj, where: str) -> dict:
        if id(obj) in self._active:
            raise ValueError(f"save: {where} contains itself (a reference cycle)")
        self._active.add(id(obj))
        try:
            if isinstance(obj, dict):
                kind = "ordered_dict" if isinstance(obj, collections.OrderedDict) else "dict"
                items = []
                for key, value in obj.items():
                    key_node = self.node(key, f"{where} (a key)")
                    if key_node["type"] not in _KEY_TYPES:
                        raise TypeError(f"save: dict keys must be str, int, float, bool, None or "
                                        f"tuples of those; got {type(key).__name__} in {where}")
                    items.append([key_node, self.node(value, f"{where}[{key!r}]")])
                return {"type": kind, "items": items}
            kind = "list" if isinstance(obj, list) else "tuple"
            return {"type": kind, "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        finally:
            self._active.discard(id(obj))

    @staticmethod
    def check_dtype(dtype: np.dtype, where: str) -> None:
        if dtype.hasobject or dtype.kind == "V":
            raise TypeError(f"save: cannot store dtype {dtype} at {where}: only numeric, bool and "
                            "string dtypes can be saved without pickling")

    def array(self, arr, where: str) -> dict:
        device = str(backend.device_of(arr))
        host = np.asarray(backend.to_numpy(arr))
        self.check_dtype(host.dtype, where)
        member = f"arrays/{len(self.arrays)}.npy"
        self.arrays.append((member, host))
        return {"member": member, "dtype": host.dtype.str, "shape": list(host.shape),
                "device": device}


def save(obj, path) -> None:
    """Write ``obj`` (a checkpoint dict, a state_dict, a tensor, ...) to ``path``.

    The file is one zip: a JSON manifest plus one ``.npy`` member per array (see the
    module docstring). It is written to a temporary file in the same directory and
    renamed over ``path`` only when complete, so a crash never leaves a half-written
    checkpoint in place of a good one.

    Args:
        obj: nested dicts / lists / tuples of Tensors, arrays, numbers, strings, None.
        path: where to write (str or ``os.PathLike``); the directory must exist.

    Example:
        >>> import os, tempfile
        >>> import minidl
        >>> path = os.path.join(tempfile.mkdtemp(), "t.pt")
        >>> minidl.save({1: [minidl.arange(3), "three"]}, path)
        >>> minidl.load(path)[1][0].tolist()
        [0, 1, 2]
    """
    path = os.fspath(path)
    writer = _Writer()
    manifest = {"magic": MAGIC, "format_version": FORMAT_VERSION,
                "root": writer.node(obj, "obj")}
    manifest_text = json.dumps(manifest, allow_nan=False, ensure_ascii=False, indent=1)

    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(path) + f"{_HOST}.{os.getpid()}.",
                               suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                for member, arr in writer.arrays:
                    with zf.open(member, "w", force_zip64=True) as out:
                        np.lib.format.write_array(out, arr, allow_pickle=False)
                zf.writestr(MANIFEST, manifest_text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


_HOST = socket.gethostname().replace("/", "_") or "host"


def _temporary_prefix(path: str) -> str:
    return "." + os.path.basename(path) + "."


def _process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists (another user's), or cannot tell: keep
        return True
    return True


def remove_stale_temporaries(path) -> list:
    """Remove the temporary files that killed saves of ``path`` left behind.

    A temporary file is ``.NAME.HOST.PID.XXXX.tmp`` beside ``path``; it is stale when HOST
    is this machine and process PID no longer runs (a save in progress, here or on another
    machine sharing the folder, is never touched). Returns the paths removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temporary_prefix(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        parts = name[len(prefix):-len(".tmp")].rsplit(".", 2)
        if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
            continue
        if int(parts[1]) == os.getpid() or _process_running(int(parts[1])):
            continue
        try:
            os.remove(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
        except OSError:
            pass
    return removed


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where unsupported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# Loading: parse the manifest, check it, and rebuild the object. Arrays are read
# with allow_pickle=False, so no code from the file is ever run.

class _Reader:
    """Rebuilds an object from manifest nodes, reading arrays from the open zip."""

    def __init__(self, zf: zipfile.ZipFile, path: str, device):
        self.zf = zf
        self.path = path
        self.device = device
        self.infos = {info.filename: info for info in zf.infolist()}
        self.names = set(self.infos)
        self.used = set()  # array members read so far: each may be named once
        self.depth = 0

    def fail(self, problem: str) -> CheckpointError:
        return CheckpointError(f"load: {self.path!r} {problem}")

    def node(self, node):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.fail(f"has a manifest nested more than {MAX_DEPTH} levels deep; "
                                "minidl.save never writes one")
            return self._node(node)
        finally:
            self.depth -= 1

    def _node(self, node):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.fail(f"has a malformed manifest entry: {str(node)[:80]}")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                raise self.fail(f"has a malformed {kind} entry in its manifest: {value!r}")
            return value
        if kind == "float":
            value = node.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise self.fail(f"has a malformed float entry in its manifest: {value!r}")
            try:
                return float(value)
            except ValueError:
                raise self.fail(f"has a malformed float entry in its manifest: {value!r}") from None
        if kind in ("list", "tuple"):
            items = [self.node(v) for v in self.items(node)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "ordered_dict"):
            out = {} if kind == "dict" else collections.OrderedDict()
            for pair in self.items(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail("has a malformed dict entry in its manifest")
                key = self.node(pair[0])
                try:
                    out[key] = self.node(pair[1])
                except TypeError:  # an unhashable key (a list) in a crafted manifest
                    raise self.fail(f"has an invalid dict key in its manifest: {key!r}") from None
            return out
        if kind == "tensor":
            t = Tensor._wrap(self.move(self.array(node)))
            t.requires_grad = bool(node.get("requires_grad", False)) and t.dtype.kind in "fc"
            return t
        if kind == "ndarray":
            return self.move(self.array(node))
        if kind == "numpy_scalar":
            arr = self.array(node)
            if arr.shape != ():
                raise self.fail(f"stores a numpy scalar of shape {arr.shape} in {node['member']}")
            return arr[()]
        if kind == "dtype":
            return self.dtype(node.get("value"))
        if kind == "device":
            try:
                return Device(node.get("value"))
            except (TypeError, ValueError) as e:
                raise self.fail(f"names an unknown device: {e}") from None
        raise self.fail(f"has an entry of unknown type {kind!r} in its manifest "
                        "(written by a newer minidl?)")

    def items(self, node) -> list:
        items = node.get("items")
        if not isinstance(items, list):
            raise self.fail(f"has a malformed {node['type']} entry in its manifest")
        return items

    def dtype(self, text) -> np.dtype:
        try:
            dtype = np.dtype(text) if isinstance(text, str) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.hasobject or dtype.kind == "V":
            raise self.fail(f"has an unsupported dtype in its manifest: {text!r}")
        return dtype

    def array(self, node) -> np.ndarray:
        member = node.get("member")
        if not isinstance(member, str) or member not in self.names:
            raise self.fail(f"is incomplete: its manifest refers to a missing member {member!r}")
        if member in self.used:
            raise self.fail(f"names the array member {member} more than once in its manifest; "
                            "minidl.save never does (one file array would become many)")
        self.used.add(member)
        try:
            with self.zf.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:  # version 3 exists only for structured dtypes, which save refuses
                    raise self.fail(f"has an unsupported .npy format version {version} in {member}")
                if dtype.hasobject:
                    raise self.fail(f"contains an object array in {member}; such arrays can only "
                                    "be read by unpickling, which minidl.load never does")
                declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if declared > self.infos[member].file_size:
                    raise self.fail(f"is inconsistent: {member} declares {declared} bytes of "
                                    f"array data but holds {self.infos[member].file_size}")
            with self.zf.open(member) as f:
                arr = np.lib.format.read_array(f, allow_pickle=False)
                if f.read(1):
                    raise self.fail(f"has trailing data after the array in {member}")
        except CheckpointError:
            raise
        except zipfile.BadZipFile as e:  # a CRC mismatch: the bytes changed after writing
            raise self.fail(f"is corrupted: {e} (the bytes changed after writing)") from None
        except Exception as e:  # NumPy header errors, unsupported zip features, ...
            raise self.fail(f"has an unreadable array in {member}: "
                            f"{type(e).__name__}: {e}") from None
        expected = (self.dtype(node.get("dtype")), tuple(node.get("shape") or ()))
        if (arr.dtype, arr.shape) != expected:
            raise self.fail(f"is inconsistent: {member} holds {arr.dtype} {arr.shape} but the "
                            f"manifest says {expected[0]} {expected[1]}")
        return arr

    def move(self, arr):
        return arr if self.device is None else backend.to_device(arr, self.device)


def load(path, map_location=None, *, max_bytes: int | None = None, weights_only: bool = True,
         **pickle_load_args):
    """Read an object written by :func:`save`, without ever unpickling.

    Args:
        path: the checkpoint file (str or ``os.PathLike``).
        weights_only: accepted for PyTorch compatibility; minidl never unpickles, so a
            load is always as safe as PyTorch's ``weights_only=True``.
        pickle_load_args: PyTorch's pickle options (``encoding=``, ...), accepted and
            unused for the same reason.
        map_location: where tensors and arrays go: ``None`` (the default) or ``"cpu"``
            loads them into host memory as NumPy arrays; ``"cuda"``, ``"cuda:1"`` or a
            :class:`~minidl.device` moves every tensor and array there.
        max_bytes: the most bytes the file's members may declare (uncompressed sizes in
            the zip); default :data:`SIZE_FACTOR` (4) times the file's size.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        CheckpointError: the file is truncated, corrupted, not a minidl checkpoint, holds
            something that could only be read by unpickling, declares more than
            ``max_bytes``, or has a manifest nested too deeply or naming one array twice.
            The message names the file and the problem.

    Example:
        >>> import os, tempfile
        >>> import minidl
        >>> path = os.path.join(tempfile.mkdtemp(), "x.pt")
        >>> minidl.save([minidl.zeros(2, requires_grad=True), 2 ** 100], path)
        >>> t, n = minidl.load(path, map_location="cpu")
        >>> t.requires_grad, n == 2 ** 100
        (True, True)
    """
    path = os.fspath(path)
    device = None if map_location is None else Device(map_location)
    if device is not None and device.type == "cpu":
        device = None
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory, not a checkpoint file "
                                "(give the file inside it, e.g. last.ckpt)")
    remove_stale_temporaries(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such checkpoint file: {path!r}")
    size = os.path.getsize(path)
    limit = SIZE_FACTOR * size if max_bytes is None else max_bytes
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise CheckpointError(f"load: {path!r} is not a minidl checkpoint: it is not a zip "
                              "archive (the file may be truncated or of another format)") from None
    except Exception as e:  # zip64 oddities, bad headers, unreadable file
        raise CheckpointError(f"load: {path!r} is not a readable zip archive: "
                              f"{type(e).__name__}: {e}") from None
    with zf:
        declared = sum(info.file_size for info in zf.infolist())
        if declared > limit:
            raise CheckpointError(
                f"load: {path!r} declares {declared} bytes of content in a {size}-byte file, "
                f"more than max_bytes={limit}" + (" (4x the file size)" if max_bytes is None
                                                  else "") +
                "; a checkpoint from minidl.save declares about its own size. Pass a larger "
                "max_bytes if you trust the file")
        reader = _Reader(zf, path, device)
        manifest = _read_manifest(zf, reader)
        return reader.node(manifest["root"])


def _read_manifest(zf: zipfile.ZipFile, reader: _Reader) -> dict:
    if MANIFEST not in reader.names:
        raise reader.fail(f"is not a minidl checkpoint: the zip archive has no {MANIFEST}")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except zipfile.BadZipFile as e:
        raise reader.fail(f"is corrupted: {e} (the bytes changed after writing)") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise reader.fail(f"has an unreadable {MANIFEST}: {e}") from None
    except RecursionError:
        raise reader.fail(f"has a {MANIFEST} nested too deeply to parse") from None
    except Exception as e:  # unsupported compression, encryption, ...
        raise reader.fail(f"has an unreadable {MANIFEST}: {type(e).__name__}: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("magic") != MAGIC:
        raise reader.fail(f"is not a minidl checkpoint: its {MANIFEST} lacks the "
                          f"magic string {MAGIC!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise reader.fail(f"has checkpoint format version {version!r}; this minidl reads "
                          f"versions up to {FORMAT_VERSION} (upgrade minidl)")
    if "root" not in manifest:
        raise reader.fail(f"has no 'root' entry in its {MANIFEST}")
    return manifest
