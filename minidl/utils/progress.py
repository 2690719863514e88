"""A progress bar for training loops, built on tqdm.

Library code never prints; an example script wraps its loader in a
:class:`ProgressBar` and reports each batch::

    bar = ProgressBar(train_loader, desc=f"epoch {epoch}/{epochs}")
    for images, labels in bar:
        ...
        bar.update(len(images), loss=loss.item(), acc=accuracy(logits, labels))
    stats = bar.summary()   # {'loss': ..., 'acc': ..., 'images_per_s': ..., 'seconds': ...}

which shows, on a terminal::

    epoch 3/30:  45%|#####     | 22528/50000 [00:12<00:15, 1810.2img/s, loss=0.5231, acc=81.2%]

that is: images done, elapsed < remaining time (the ETA), throughput, and the epoch's
running averages. When the output is not a terminal (a log file, CI) the bar is
switched off, but the averages are still kept for :meth:`ProgressBar.summary`.
"""
from __future__ import annotations

import time

from tqdm import tqdm

from .metrics import AverageMeter

__all__ = ["ProgressBar"]


def _format_value(name: str, value: float) -> str:
    """Accuracies (fractions) as percentages, everything else with 4 significant digits."""
    if "acc" in name:
        return f"{100 * value:.1f}%"
    return f"{value:.4g}"


class ProgressBar:
    """A tqdm bar counting images (not batches), with running loss and accuracy.

    Args:
        iterable: what to loop over (usually a DataLoader); may be None if you only
            call :meth:`update`.
        total: the number of images in one pass; by default the length of
            ``iterable.dataset`` (a DataLoader's), without ETA when unknown.
        desc: text in front of the bar, e.g. ``"epoch 3/30"``.
        unit: what is counted (``"img"``, ``"sample"``, ...); the rate shows as ``unit/s``.
        disable: True hides the bar; None (the default) hides it when ``file`` is
            not a terminal.
        file: where to draw (default: standard error).
        leave: keep the finished bar on screen.

    Example:
        >>> bar = ProgressBar(range(3), total=96, desc="epoch 1/1", disable=True)
        >>> for batch in bar:
        ...     bar.update(32, loss=1.0 / (batch + 1), acc=0.5)
        >>> round(bar.summary()["loss"], 4), bar.summary()["acc"], bar.count
        (0.6111, 0.5, 96)
    """

    def __init__(self, iterable=None, total: int | None = None, desc: str | None = None,
                 unit: str = "img", disable: bool | None = None, file=None, leave: bool = True):
        if total is None:
            total = _images_per_pass(iterable)
        self.iterable = iterable
        self.meters: dict[str, AverageMeter] = {}
        self.count = 0
        self._file = file
        self._start = time.perf_counter()
        self._bar = tqdm(total=total, desc=desc, unit=unit, disable=disable, file=file,
                         leave=leave, dynamic_ncols=True)

    @property
    def disabled(self) -> bool:
        """True when nothing is drawn."""
        return bool(self._bar.disable)

    def __iter__(self):
        if self.iterable is None:
            raise TypeError("ProgressBar: nothing to iterate over (created without an iterable)")
        try:
            yield from self.iterable
        finally:
            self.close()

    def __len__(self) -> int:
        return len(self.iterable)

    def update(self, n: int = 1, **metrics) -> None:
        """Count ``n`` more images and fold this batch's metrics into the running averages.

        Args:
            n: images in the batch (also the weight of its metrics in the averages).
            **metrics: per-batch values (numbers or one-element Tensors), e.g.
                ``loss=0.52, acc=0.81``; names containing ``acc`` show as percentages.
        """
        for name, value in metrics.items():
            self.meters.setdefault(name, AverageMeter(name)).update(value, n)
        self.count += n
        if not self.disabled:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.update(n)

    def _postfix(self) -> str:
        return ", ".join(f"{name}={_format_value(name, m.avg)}" for name, m in self.meters.items())

    @property
    def seconds(self) -> float:
        """Time since the bar was created."""
        return time.perf_counter() - self._start

    def summary(self) -> dict:
        """The running averages so far, plus ``images_per_s`` and ``seconds``."""
        seconds = self.seconds
        out = {name: m.avg for name, m in self.meters.items()}
        out["images_per_s"] = self.count / seconds if seconds > 0 else float("nan")
        out["seconds"] = seconds
        return out

    def write(self, message: str) -> None:
        """Print a line without breaking the bar (to ``file``, or standard output by default;
        printed even when the bar is hidden)."""
        tqdm.write(message, file=self._file)

    def close(self) -> None:
        """Finish the bar (called automatically at the end of iteration)."""
        self._bar.close()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _images_per_pass(iterable) -> int | None:
    """Samples in one pass over a DataLoader-like object, if it can tell."""
    dataset = getattr(iterable, "dataset", None)
    try:
        if getattr(iterable, "drop_last", False):
            return len(iterable) * iterable.batch_size
        return len(dataset) if dataset is not None else None
    except (TypeError, AttributeError):
        return None
