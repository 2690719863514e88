"""Tests for minidl.utils.progress.ProgressBar."""
import doctest
import io

import pytest

import minidl
from minidl.utils import progress as progress_module
from minidl.utils.progress import ProgressBar


def test_docstring_examples():
    result = doctest.testmod(progress_module)
    assert result.attempted > 0 and result.failed == 0


class FakeLoader:
    """What ProgressBar reads from a DataLoader: iteration, len, dataset, batch_size."""

    def __init__(self, n, batch_size, drop_last=False):
        self.dataset = list(range(n))
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        for i in range(len(self)):
            yield self.dataset[i * self.batch_size:(i + 1) * self.batch_size]


def run_epoch(bar):
    for batch in bar:
        n = len(batch)
        bar.update(n, loss=minidl.tensor(float(batch[0])), acc=0.5 if batch[0] else 1.0)


def test_disabled_bar_still_keeps_weighted_averages(capsys):
    bar = ProgressBar(FakeLoader(10, 4), desc="epoch 1/1", disable=True)
    assert bar.disabled and bar._bar.total == 10 and len(bar) == 3
    run_epoch(bar)
    stats = bar.summary()
    # batches [0..3], [4..7], [8, 9]: losses 0, 4, 8 weighted 4, 4, 2
    assert stats["loss"] == pytest.approx((0 * 4 + 4 * 4 + 8 * 2) / 10)
    assert stats["acc"] == pytest.approx((1.0 * 4 + 0.5 * 6) / 10)
    assert bar.count == 10 and stats["images_per_s"] > 0 and stats["seconds"] > 0
    assert capsys.readouterr() == ("", "")


def test_non_tty_output_disables_the_bar():
    out = io.StringIO()  # not a terminal, like a log file or CI
    bar = ProgressBar(FakeLoader(8, 4), file=out)
    run_epoch(bar)
    assert bar.disabled and out.getvalue() == ""
    assert bar.summary()["loss"] == pytest.approx(2.0)


def test_enabled_bar_shows_rate_eta_loss_and_accuracy():
    out = io.StringIO()
    bar = ProgressBar(FakeLoader(12, 4), desc="epoch 3/30", disable=False, file=out)
    run_epoch(bar)
    text = out.getvalue()
    last = text.strip().split("\r")[-1]
    assert last.startswith("epoch 3/30: 100%") and "12/12" in last
    assert "img/s" in last and "<00:00" in last  # throughput and remaining time
    assert "loss=4" in last and "acc=66.7%" in last


def test_total_with_drop_last_and_unknown_total():
    assert ProgressBar(FakeLoader(10, 4, drop_last=True), disable=True)._bar.total == 8
    assert ProgressBar(iter([1, 2]), disable=True)._bar.total is None


def test_manual_updates_write_and_context_manager():
    out = io.StringIO()
    with ProgressBar(total=64, unit="sample", disable=False, file=out) as bar:
        bar.update(32, loss=1.0)
        bar.write("checkpoint saved")
        bar.update(32, loss=3.0)
    assert "checkpoint saved\n" in out.getvalue()
    assert "sample/s" in out.getvalue() and "loss=2" in out.getvalue()
    with pytest.raises(TypeError, match="nothing to iterate"):
        iter(ProgressBar(disable=True)).__next__()
