"""Run logs: one directory per training run, holding ``metrics.csv`` and ``config.json``.

An example script does::

    log = RunLogger("runs/resnet18-cifar10", config=vars(args))
    for epoch in range(1, epochs + 1):
        ...
        log.log(epoch=epoch, train_loss=tl, train_acc=ta, val_loss=vl, val_acc=va, lr=lr)
        print(format_epoch_summary(epoch, epochs, train_loss=tl, val_acc=va, seconds=dt))

``metrics.csv`` gets one row per call, written and flushed at once, so that a run
killed halfway keeps every finished epoch and can be plotted while it runs. A
resumed run appends to the same file.

Example:
    >>> import tempfile
    >>> log = RunLogger(tempfile.mkdtemp(), config={"lr": 0.1})
    >>> log.log(epoch=1, train_loss=0.75, val_acc=0.5)
    >>> log.log(epoch=2, train_loss=0.5, val_acc=0.625)
    >>> print(open(log.metrics_path).read(), end="")
    epoch,train_loss,val_acc
    1,0.75,0.5
    2,0.5,0.625
    >>> read_metrics(log.metrics_path)["train_loss"]
    [0.75, 0.5]
"""
from __future__ import annotations

import csv
import json
import os
import pathlib
import tempfile

import numpy as np

from ..tensor import Tensor

__all__ = ["RunLogger", "read_metrics", "format_epoch_summary"]


def _plain(value):
    """A logged value as a Python number or string (Tensors and NumPy scalars unwrapped)."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _csv_cell(value):
    """Floats with 7 significant digits (float32 precision): ``loss.item()`` of a float32
    tensor gives 0.5231000185012817, and the CSV should read 0.5231."""
    value = _plain(value)
    if isinstance(value, float):
        return format(value, ".7g")
    return value


class RunLogger:
    """Writes a run's metrics (``metrics.csv``) and settings (``config.json``) to ``out_dir``.

    Floats are written with 7 significant digits. The CSV header comes from the first row's keys. Later rows may leave a column
    out (an empty cell: e.g. validation every other epoch) but may not add new
    columns, so give every column in the first row (``None`` for "not yet").
    If ``metrics.csv`` already exists (a resumed run), rows are appended to it and
    must fit its header.

    Args:
        out_dir: the run directory, created with its parents if missing.
        config: settings to save as ``config.json`` (a dict or an ``argparse.Namespace``).

    Example:
        >>> import tempfile
        >>> log = RunLogger(tempfile.mkdtemp())
        >>> log.log({"epoch": 1, "loss": 2.5})
        >>> log.path("last.pt").name
        'last.pt'
    """

    def __init__(self, out_dir, config=None):
        self.out_dir = pathlib.Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.out_dir / "metrics.csv"
        self.config_path = self.out_dir / "config.json"
        self.fieldnames = self._existing_header()
        if config is not None:
            self.write_config(config)

    def _existing_header(self) -> list | None:
        if not self.metrics_path.exists() or self.metrics_path.stat().st_size == 0:
            return None
        with open(self.metrics_path, newline="") as f:
            return next(csv.reader(f), None)

    def path(self, name: str) -> pathlib.Path:
        """A path inside the run directory (for checkpoints and plots)."""
        return self.out_dir / name

    def log(self, row: dict | None = None, **values) -> None:
        """Append one row to ``metrics.csv`` and flush it to disk.

        Args:
            row: the values by column name (numbers, strings, one-element Tensors, None).
            **values: more values, as keyword arguments.
        """
        row = {**(row or {}), **values}
        if not row:
            raise ValueError("RunLogger.log: got an empty row")
        new_file = self.fieldnames is None
        if new_file:
            self.fieldnames = list(row)
        unknown = [key for key in row if key not in self.fieldnames]
        if unknown:
            raise ValueError(f"RunLogger.log: {self.metrics_path} has the columns "
                             f"{self.fieldnames}; the row adds {unknown}. Give every column in "
                             "the first row, or log to a new run directory")
        with open(self.metrics_path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.fieldnames)
            if new_file:
                writer.writeheader()
            writer.writerow({key: _csv_cell(value) for key, value in row.items()})
            f.flush()
            os.fsync(f.fileno())

    def write_config(self, config) -> pathlib.Path:
        """Save the run's settings as ``config.json`` (replacing an older one atomically)."""
        if not isinstance(config, dict):
            config = vars(config)  # argparse.Namespace, simple objects
        text = json.dumps({k: _plain(v) for k, v in config.items()}, indent=2, default=str)
        fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=self.out_dir)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text + "\n")
            os.replace(tmp, self.config_path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return self.config_path

    def read_metrics(self) -> dict:
        """The columns logged so far (see :func:`read_metrics`)."""
        return read_metrics(self.metrics_path)


def _parse(cell: str):
    if cell == "":
        return None
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


def read_metrics(path) -> dict:
    """Read a ``metrics.csv`` into columns: ``{"epoch": [1, 2, ...], "train_loss": [...]}``.

    Numbers come back as int or float, empty cells as None, anything else as a string.
    """
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return {}
        columns = {name: [] for name in header}
        for line in reader:
            if not line:
                continue
            cells = line + [""] * (len(header) - len(line))
            for name, cell in zip(header, cells):
                columns[name].append(_parse(cell))
    return columns


def _format_metric(name: str, value) -> str:
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if "acc" in name:
        return f"{100 * value:.2f}%"
    if name == "lr" or name.endswith("_lr"):
        return f"{value:.3g}"
    return f"{value:.4f}"


def format_epoch_summary(epoch: int, epochs: int | None = None, seconds: float | None = None,
                         **metrics) -> str:
    """One line for the end of an epoch: ``epoch  3/30  train_loss 0.5231  val_acc 78.90%  12.3s``.

    Args:
        epoch: the epoch just finished (counted from 1).
        epochs: the total number of epochs, if known.
        seconds: how long the epoch took.
        **metrics: values to show in the given order; names containing ``acc`` are
            fractions shown as percentages, ``lr`` with 3 significant digits; None is skipped.

    Example:
        >>> format_epoch_summary(3, 30, train_loss=0.52314, val_acc=0.789, lr=0.1, seconds=12.34)
        'epoch  3/30  train_loss 0.5231  val_acc 78.90%  lr 0.1  12.3s'
    """
    width = len(str(epochs)) if epochs is not None else 0
    parts = [f"epoch {epoch:>{width}}/{epochs}" if epochs is not None else f"epoch {epoch}"]
    for name, value in metrics.items():
        value = _plain(value)
        if value is not None:
            parts.append(f"{name} {_format_metric(name, value)}")
    if seconds is not None:
        parts.append(f"{seconds:.1f}s")
    return "  ".join(parts)
