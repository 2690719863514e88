"""Plots for training runs: loss/accuracy curves, learning-rate schedules, image grids.

Figures are drawn with matplotlib's object API (``matplotlib.figure.Figure`` on an
Agg canvas), never with ``pyplot``: nothing needs a display, no global figure state
is touched, and nothing is left open. matplotlib is imported on first use, so that
``import minidl.utils`` stays fast.

Example:
    >>> import os, tempfile
    >>> history = {"epoch": [1, 2, 3], "train_loss": [2.0, 1.2, 0.9], "val_loss": [2.1, 1.5, 1.3],
    ...            "train_acc": [0.3, 0.6, 0.7], "val_acc": [0.28, 0.5, 0.55]}
    >>> path = plot_curves(history, os.path.join(tempfile.mkdtemp(), "curves.png"))
    >>> os.path.getsize(path) > 0
    True
"""
from __future__ import annotations

import math
import os
import pathlib

import numpy as np

from ..backend import to_numpy
from ..tensor import Tensor
from .logger import read_metrics

__all__ = ["plot_curves", "plot_lr", "make_grid", "save_image_grid"]


def _new_figure(width: float, height: float):
    """A Figure on an Agg canvas (no display, no pyplot)."""
    # Imported here: matplotlib takes about half a second to import.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _integer_epochs(ax) -> None:
    """Epoch ticks at whole numbers (not 2.5, 7.5)."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _save(fig, path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def _columns(history) -> dict:
    """History as columns: from a metrics.csv path, a dict of lists, or a list of row dicts."""
    if isinstance(history, (str, os.PathLike)):
        return read_metrics(history)
    if isinstance(history, dict):
        return {name: list(values) for name, values in history.items()}
    if isinstance(history, (list, tuple)) and all(isinstance(row, dict) for row in history):
        names = list(dict.fromkeys(name for row in history for name in row))
        return {name: [row.get(name) for row in history] for name in names}
    raise TypeError("expected a metrics.csv path, a dict of columns or a list of row dicts, "
                    f"got {type(history).__name__}")


def _points(xs, ys) -> tuple:
    """The (x, y) pairs where both are numbers (epochs without validation are skipped)."""
    pairs = [(x, float(y)) for x, y in zip(xs, ys)
             if x is not None and isinstance(y, (int, float)) and not isinstance(y, bool)
             and math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _series_label(name: str, suffix: str) -> str:
    """``train_loss`` -> ``train``; a bare ``loss`` stays ``loss``."""
    return name[: -len(suffix)].rstrip("_") or name


def plot_curves(history, out_png, title: str | None = None) -> pathlib.Path:
    """Draw loss (left) and accuracy (right) against epoch and save a PNG.

    Every column ending in ``loss`` goes in the loss panel and every column ending in
    ``acc`` or ``accuracy`` in the accuracy panel (fractions are shown as percent), so
    ``train_loss``/``val_loss`` and ``train_acc``/``val_acc`` come out as two curves
    each. The x axis is the ``epoch`` column (or 1, 2, ... without one). With no
    accuracy column only the loss panel is drawn.

    Args:
        history: a ``metrics.csv`` path (see :class:`~minidl.utils.logger.RunLogger`),
            a dict of columns ``{"epoch": [...], "train_loss": [...]}``, or a list of row dicts.
        out_png: the PNG to write (its directory is created).
        title: a title over the panels.

    Returns:
        The path written.
    """
    columns = _columns(history)
    n = max((len(v) for v in columns.values()), default=0)
    xs = columns.get("epoch") or list(range(1, n + 1))
    panels = []
    loss_names = [k for k in columns if k.endswith("loss")]
    acc_names = [k for k in columns if k.endswith("acc") or k.endswith("accuracy")]
    if loss_names:
        panels.append(("loss", loss_names))
    if acc_names:
        panels.append(("accuracy", acc_names))
    if not panels:
        raise ValueError(f"plot_curves: no column ending in 'loss', 'acc' or 'accuracy' among "
                         f"{list(columns)}")

    fig = _new_figure(5 * len(panels), 3.8)
    for i, (kind, names) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        series = [(name, *_points(xs, columns[name])) for name in names]
        as_percent = kind == "accuracy" and all(max(y, default=0) <= 1 for _, _, y in series)
        for name, x, y in series:
            if as_percent:
                y = [100 * v for v in y]
            suffix = "loss" if kind == "loss" else ("accuracy" if name.endswith("accuracy") else "acc")
            ax.plot(x, y, marker="o" if len(x) <= 30 else None, markersize=3,
                    label=_series_label(name, suffix))
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
        ax.set_ylabel("accuracy (%)" if as_percent else kind)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, out_png)


def plot_lr(lrs, out_png, log_scale: bool | None = None, xlabel: str | None = None) -> pathlib.Path:
    """Draw a learning-rate schedule and save a PNG.

    Args:
        lrs: the learning rates (one per epoch or per step, plotted from 1), or a
            history / ``metrics.csv`` path with an ``lr`` column (plotted against ``epoch``).
        out_png: the PNG to write.
        log_scale: a logarithmic y axis; by default when the rates span more than a
            factor of 100 (step decay over a long run).
        xlabel: the x-axis label (``"epoch"`` for a history, ``"step"`` otherwise).

    Returns:
        The path written.

    Example:
        >>> import os, tempfile
        >>> lrs = [0.1] * 30 + [0.01] * 30 + [0.001] * 30
        >>> plot_lr(lrs, os.path.join(tempfile.mkdtemp(), "lr.png")).suffix
        '.png'
    """
    if isinstance(lrs, (str, os.PathLike, dict)) or (
            isinstance(lrs, (list, tuple)) and lrs and isinstance(lrs[0], dict)):
        columns = _columns(lrs)
        if "lr" not in columns:
            raise ValueError(f"plot_lr: the history has no 'lr' column, only {list(columns)}")
        xs, ys = _points(columns.get("epoch") or range(1, len(columns["lr"]) + 1), columns["lr"])
        xlabel = xlabel or "epoch"
    else:
        ys = [float(v) for v in lrs]
        xs = list(range(1, len(ys) + 1))
        xlabel = xlabel or "step"
    if not ys:
        raise ValueError("plot_lr: no learning rates to plot")
    if log_scale is None:
        positive = [y for y in ys if y > 0]
        log_scale = len(positive) == len(ys) and max(ys) / min(positive) > 100

    fig = _new_figure(5, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(xs, ys, drawstyle="steps-post")
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    _integer_epochs(ax)
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    return _save(fig, out_png)


# ---------------------------------------------------------------------------
# Image grids. Notation: N images, C channels (1 or 3), H x W pixels.

def _to_nhwc_uint8(images, value_range) -> np.ndarray:
    """Images as an (N, H, W, 3) uint8 array, from NCHW or NHWC, any dtype or device."""
    arr = np.asarray(to_numpy(images._array if isinstance(images, Tensor) else images))
    if arr.ndim == 3:  # (N, H, W): grayscale
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[0] == 0:
        raise ValueError(f"save_image_grid: expected images of shape (N, C, H, W) or (N, H, W, C) "
                         f"with C in (1, 3), got {arr.shape}")
    if arr.shape[1] in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)
    elif arr.shape[-1] not in (1, 3):
        raise ValueError(f"save_image_grid: expected 1 or 3 channels on dim 1 (NCHW) or dim 3 "
                         f"(NHWC), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        if value_range is not None:
            low, high = value_range
        elif arr.min() >= 0 and arr.max() <= 1:
            low, high = 0.0, 1.0
        else:  # e.g. normalised inputs: stretch the batch's range to [0, 1] for display
            low, high = arr.min(), arr.max()
        scale = (high - low) if high > low else 1.0
        arr = np.round(np.clip((arr - low) / scale, 0, 1) * 255).astype(np.uint8)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return arr


def make_grid(images, nrow: int = 8, padding: int = 2, pad_value: int = 0,
              value_range: tuple | None = None) -> np.ndarray:
    """Tile a batch of images into one RGB image.

    Float images in [0, 1] are shown as they are; other float images (normalised
    inputs) are stretched from the batch's min..max, unless ``value_range=(low, high)``
    says which values are black and white. uint8 images are used as they are.

    Args:
        images: a Tensor or array, ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``.
        nrow: images per row.
        padding: pixels between images and around the grid.
        pad_value: the gray level (0..255) of the padding.
        value_range: the values mapped to 0 and 255.

    Shape:
        returns ``(rows * (H + padding) + padding, cols * (W + padding) + padding, 3)`` uint8
        with ``cols = min(nrow, N)`` and ``rows = ceil(N / cols)``.

    Example:
        >>> make_grid(np.zeros((5, 3, 4, 4)), nrow=2, padding=1).shape
        (16, 11, 3)
    """
    arr = _to_nhwc_uint8(images, value_range)
    n, h, w, _ = arr.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, 3),
                   pad_value, dtype=np.uint8)
    for i in range(n):
        top = padding + (i // cols) * (h + padding)
        left = padding + (i % cols) * (w + padding)
        grid[top:top + h, left:left + w] = arr[i]
    return grid


def save_image_grid(images, path, nrow: int = 8, labels=None, class_names=None,
                    padding: int = 2, value_range: tuple | None = None) -> pathlib.Path:
    """Save a batch of images as one PNG, optionally with a label over each image.

    Without labels the PNG is the exact pixel grid of :func:`make_grid`. With labels
    each image gets its own panel with the label as its title.

    Args:
        images: a Tensor or array, ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``.
        path: the PNG to write (its directory is created).
        nrow: images per row.
        labels: one label per image: strings, or class indices (a list, array or Tensor).
        class_names: names for class indices (``labels[i]`` -> ``class_names[labels[i]]``).
        padding: pixels between images (without labels).
        value_range: the values mapped to black and white (see :func:`make_grid`).

    Returns:
        The path written.

    Example:
        >>> import os, tempfile
        >>> images = np.random.default_rng(0).random((4, 3, 8, 8))
        >>> out = save_image_grid(images, os.path.join(tempfile.mkdtemp(), "g.png"), nrow=2,
        ...                       labels=[0, 1, 1, 0], class_names=["cat", "dog"])
        >>> os.path.getsize(out) > 0
        True
    """
    if labels is None:
        from PIL import Image  # noqa: PLC0415

        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(make_grid(images, nrow, padding, value_range=value_range)).save(path, "PNG")
        return path

    arr = _to_nhwc_uint8(images, value_range)
    if isinstance(labels, Tensor):
        labels = labels._array
    labels = [label.item() if isinstance(label, np.generic) else label
              for label in (to_numpy(labels).tolist() if hasattr(labels, "shape") else labels)]
    if len(labels) != len(arr):
        raise ValueError(f"save_image_grid: got {len(arr)} images but {len(labels)} labels")
    if class_names is not None:
        labels = [class_names[label] if isinstance(label, int) else label for label in labels]

    cols = min(nrow, len(arr))
    rows = math.ceil(len(arr) / cols)
    fig = _new_figure(1.4 * cols, 1.6 * rows)
    for i, (image, label) in enumerate(zip(arr, labels)):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image, interpolation="nearest")
        ax.set_title(str(label), fontsize=8)
        ax.set_axis_off()
    return _save(fig, path)
