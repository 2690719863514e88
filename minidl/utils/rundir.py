"""Run directories that are never clobbered, and a checkpoint when a run is stopped with Ctrl-C.

Every example script uses it the same way::

    parser = argparse.ArgumentParser()
    add_run_arguments(parser, default_out="runs/my-example")   # --out, --resume, --overwrite
    args = parser.parse_args()

    run = RunDirectory(args.out, resume=args.resume, overwrite=args.overwrite)
    start_epoch = 0
    if run.resuming:
        ckpt = run.load_checkpoint()          # OUT/last.ckpt; metrics.csv trimmed to match
        model.load_state_dict(ckpt["model"]); ...; start_epoch = ckpt["epoch"]
    logger = RunLogger(run.path, config=vars(args))

    done = start_epoch
    def save_last():                          # also what Ctrl-C saves
        minidl.save({"model": model.state_dict(), ..., "epoch": done}, run.checkpoint_path)

    with run.save_on_interrupt(save_last):
        for epoch in range(start_epoch, epochs):
            ...                               # train, validate, logger.log(epoch=epoch + 1, ...)
            done = epoch + 1
            save_last()

The rules:

* a fresh run needs ``--out`` to be missing or empty; a directory that already holds files
  is refused (exit with a one-line message) unless ``--resume`` continues it or
  ``--overwrite`` replaces it (only a directory that holds a run: ``config.json``,
  ``metrics.csv`` or a ``.ckpt`` file; anything else is never emptied);
* ``--resume`` without ``OUT/last.ckpt`` is a one-line error, not a traceback; resuming drops
  the ``metrics.csv`` rows of epochs after the checkpoint's (a run killed between logging an
  epoch and saving it would otherwise list that epoch twice);
* Ctrl-C inside :meth:`RunDirectory.save_on_interrupt` calls the save function, then exits
  with a message naming the checkpoint and the command that resumes the run. The checkpoint
  holds the weights as they were when the run stopped and the number of finished epochs, so
  the resumed run starts the interrupted epoch again from those weights.

Library code does not print: problems end the program with ``SystemExit(message)``, which
Python prints to stderr (exit status 1).

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> run = RunDirectory(out)
    >>> run.resuming, run.checkpoint_path.name
    (False, 'last.ckpt')
    >>> (out / "metrics.csv").write_text("epoch,loss\\n1,0.5\\n")
    17
    >>> RunDirectory(out)
    Traceback (most recent call last):
        ...
    SystemExit: error: the run directory ... already holds a run (metrics.csv); pass --resume to continue it, --overwrite to replace it, or choose another --out
    >>> RunDirectory(out, resume=True)
    Traceback (most recent call last):
        ...
    SystemExit: error: --resume: there is no checkpoint ... to resume from (run without --resume to start afresh)
"""
from __future__ import annotations

import contextlib
import csv
import os
import pathlib
import shlex
import shutil
import sys
import tempfile

__all__ = ["RunDirectory", "add_run_arguments"]

# files whose presence marks a directory as a run (what RunLogger and the examples write)
_RUN_MARKERS = ("config.json", "metrics.csv")


def add_run_arguments(parser, default_out: str):
    """Add ``--out DIR``, ``--resume`` and ``--overwrite`` (the last two exclusive) to a parser.

    Args:
        parser: an ``argparse.ArgumentParser`` (or an argument group of one).
        default_out: the run directory when ``--out`` is not given, e.g. ``"runs/mnist"``.

    Example:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_run_arguments(p, "runs/demo")
        >>> p.parse_args(["--resume"])
        Namespace(out='runs/demo', resume=True, overwrite=False)
    """
    parser.add_argument("--out", default=default_out,
                        help=f"run directory (default {default_out}); must be new or empty "
                             "unless --resume or --overwrite")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue the run in OUT from OUT/last.ckpt")
    mode.add_argument("--overwrite", action="store_true",
                      help="delete the run already in OUT and start afresh")


class RunDirectory:
    """One training run's directory: refuses to clobber an earlier run, finds its checkpoint.

    Args:
        path: the run directory (created with its parents if missing).
        resume: continue the run already there (needs ``path/checkpoint``).
        overwrite: delete the run already there first.
        checkpoint: the file name of the checkpoint that ``--resume`` reads and Ctrl-C writes.
        command: the command line that started this program (default ``sys.argv``); the
            resume command printed after Ctrl-C is built from it.

    Attributes:
        path: the directory, as a ``pathlib.Path``.
        checkpoint_path: ``path / checkpoint``.
        resuming: True when this run continues an earlier one.
    """

    def __init__(self, path, *, resume: bool = False, overwrite: bool = False,
                 checkpoint: str = "last.ckpt", command=None):
        if resume and overwrite:
            raise SystemExit("error: --resume and --overwrite exclude each other")
        self.path = pathlib.Path(path)
        self.checkpoint_path = self.path / checkpoint
        self.resuming = bool(resume)
        self.command = list(sys.argv if command is None else command)
        if self.path.exists() and not self.path.is_dir():
            raise SystemExit(f"error: the run directory {self.path} is a file")
        existing = sorted(p.name for p in self.path.iterdir()) if self.path.is_dir() else []
        if resume:
            if not self.checkpoint_path.is_file():
                raise SystemExit(f"error: --resume: there is no checkpoint {self.checkpoint_path}"
                                 " to resume from (run without --resume to start afresh)")
        elif existing:
            markers = [n for n in existing if n in _RUN_MARKERS or n.endswith(".ckpt")]
            if not markers:
                raise SystemExit(f"error: {self.path} is not empty and holds no run "
                                 f"({', '.join(existing[:3])}{', ...' if len(existing) > 3 else ''});"
                                 " choose another --out")
            if not overwrite:
                raise SystemExit(f"error: the run directory {self.path} already holds a run "
                                 f"({', '.join(markers)}); pass --resume to continue it, "
                                 "--overwrite to replace it, or choose another --out")
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)

    def load_checkpoint(self, map_location=None) -> dict:
        """Load the checkpoint to resume from, and drop ``metrics.csv`` rows after its epoch.

        Args:
            map_location: passed to :func:`minidl.load` (e.g. ``"cuda"``).

        Returns:
            The checkpoint's dict. When it has an ``"epoch"`` entry, rows of ``metrics.csv``
            whose ``epoch`` column is larger are removed, so the resumed run logs them again
            exactly once.
        """
        from ..serialization import load  # utils is imported by the package root

        ckpt = load(self.checkpoint_path, map_location=map_location)
        if isinstance(ckpt, dict) and isinstance(ckpt.get("epoch"), int):
            self.trim_metrics(ckpt["epoch"])
        return ckpt

    def trim_metrics(self, last_epoch: int, column: str = "epoch") -> int:
        """Remove the ``metrics.csv`` rows whose ``column`` is above ``last_epoch``.

        The file is replaced atomically. Returns the number of rows removed.
        """
        metrics = self.path / "metrics.csv"
        if not metrics.is_file():
            return 0
        with open(metrics, newline="") as f:
            rows = list(csv.reader(f))
        if not rows or column not in rows[0]:
            return 0
        i = rows[0].index(column)

        def keep(row):
            try:
                return float(row[i]) <= last_epoch
            except (IndexError, ValueError):
                return True
        kept = [rows[0]] + [row for row in rows[1:] if row and keep(row)]
        removed = len(rows) - len(kept)
        if removed:
            fd, tmp = tempfile.mkstemp(prefix=".metrics.", suffix=".tmp", dir=self.path)
            try:
                with os.fdopen(fd, "w", newline="") as f:
                    csv.writer(f).writerows(kept)
                os.replace(tmp, metrics)
            except BaseException:
                if os.path.exists(tmp):
                    os.remove(tmp)
                raise
        return removed

    def resume_command(self) -> str:
        """The command line that continues this run: the original one with ``--resume``
        (``--overwrite`` dropped, ``--out`` kept)."""
        words = [w for w in self.command[1:] if w not in ("--overwrite", "--resume")]
        if "--out" not in words and not any(w.startswith("--out=") for w in words):
            words += ["--out", str(self.path)]
        return shlex.join(["python", *self.command[:1], *words, "--resume"])

    @contextlib.contextmanager
    def save_on_interrupt(self, save):
        """Within this block, Ctrl-C calls ``save()`` and exits naming the resume command.

        Args:
            save: a function of no arguments that writes :attr:`checkpoint_path`.

        A second Ctrl-C while ``save()`` runs stops the program without a checkpoint
        (the previous one, saved atomically, stays intact).
        """
        try:
            yield self
        except KeyboardInterrupt:
            save()
            raise SystemExit(f"\ninterrupted: saved {self.checkpoint_path}; resume with:\n"
                             f"  {self.resume_command()}") from None
