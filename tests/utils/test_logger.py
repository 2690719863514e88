"""Tests for minidl.utils.logger: metrics.csv, config.json, epoch summaries."""
import argparse
import doctest
import json

import numpy as np
import pytest

import minidl
from minidl.utils import logger as logger_module
from minidl.utils.logger import RunLogger, format_epoch_summary, read_metrics


def test_docstring_examples():
    result = doctest.testmod(logger_module)
    assert result.attempted > 0 and result.failed == 0


def test_creates_directory_and_writes_rows_immediately(tmp_path):
    run = tmp_path / "runs" / "exp1"
    log = RunLogger(run)
    assert run.is_dir() and not log.metrics_path.exists()
    log.log(epoch=1, train_loss=minidl.tensor(0.5231), train_acc=np.float64(0.25), lr=0.1)
    # flushed at once: readable before the logger is closed or garbage-collected
    assert log.metrics_path.read_text() == "epoch,train_loss,train_acc,lr\n1,0.5231,0.25,0.1\n"
    log.log({"epoch": 2, "train_loss": 1 / 3}, lr=None)
    assert log.metrics_path.read_text().splitlines()[2] == "2,0.3333333,,"


def test_resume_appends_to_same_header(tmp_path):
    first = RunLogger(tmp_path)
    first.log(epoch=1, loss=2.0, val_acc=0.5)
    resumed = RunLogger(tmp_path)
    assert resumed.fieldnames == ["epoch", "loss", "val_acc"]
    resumed.log(val_acc=0.75, epoch=2, loss=1.5)  # key order does not matter
    assert read_metrics(tmp_path / "metrics.csv") == {
        "epoch": [1, 2], "loss": [2.0, 1.5], "val_acc": [0.5, 0.75]}
    assert resumed.metrics_path.read_text().count("epoch") == 1


def test_new_columns_are_refused_with_the_file_named(tmp_path):
    log = RunLogger(tmp_path)
    log.log(epoch=1, loss=2.0)
    with pytest.raises(ValueError, match=r"metrics.csv.*\['epoch', 'loss'\].*adds \['acc'\]"):
        log.log(epoch=2, loss=1.0, acc=0.5)
    with pytest.raises(ValueError, match=r"adds \['acc'\]"):
        RunLogger(tmp_path).log(epoch=2, acc=0.5)
    with pytest.raises(ValueError, match="empty row"):
        log.log()
    assert read_metrics(log.metrics_path) == {"epoch": [1], "loss": [2.0]}


def test_config_json_from_dict_and_namespace(tmp_path):
    args = argparse.Namespace(lr=0.1, epochs=30, device=minidl.device("cpu"), out=tmp_path,
                              seed=np.int64(3))
    log = RunLogger(tmp_path / "run", config=args)
    config = json.loads(log.config_path.read_text())
    assert config == {"lr": 0.1, "epochs": 30, "device": "cpu", "out": str(tmp_path), "seed": 3}
    log.write_config({"lr": 0.01})
    assert json.loads(log.config_path.read_text()) == {"lr": 0.01}
    assert sorted(p.name for p in log.out_dir.iterdir()) == ["config.json"]


def test_read_metrics_parses_numbers_strings_and_blanks(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("epoch,phase,loss\n1,warmup,0.5\n2,,1e-3\n3,main\n")
    assert read_metrics(path) == {"epoch": [1, 2, 3], "phase": ["warmup", None, "main"],
                                  "loss": [0.5, 0.001, None]}


def test_format_epoch_summary():
    line = format_epoch_summary(3, 30, train_loss=0.52314, train_acc=minidl.tensor(0.8125),
                                val_loss=None, val_acc=0.789, lr=0.0001, seconds=12.34)
    assert line == "epoch  3/30  train_loss 0.5231  train_acc 81.25%  val_acc 78.90%  lr 0.0001  12.3s"
    assert format_epoch_summary(7, mae=1.23456, step=500) == "epoch 7  mae 1.2346  step 500"
