"""Run directories: an earlier run is never clobbered, --resume needs a checkpoint, Ctrl-C saves."""
import argparse

import pytest

from minidl.utils import RunDirectory, RunLogger, add_run_arguments, read_metrics


def one_line_exit(excinfo):
    message = str(excinfo.value.code)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_fresh_run_may_use_a_missing_or_empty_directory(tmp_path):
    run = RunDirectory(tmp_path / "a" / "b")
    assert run.path.is_dir() and not run.resuming
    (tmp_path / "empty").mkdir()
    assert RunDirectory(tmp_path / "empty").checkpoint_path == tmp_path / "empty" / "last.ckpt"


def test_a_directory_holding_a_run_is_refused_without_resume_or_overwrite(tmp_path):
    RunLogger(tmp_path / "run").log(epoch=1, loss=0.5)
    with pytest.raises(SystemExit) as err:
        RunDirectory(tmp_path / "run")
    message = one_line_exit(err)
    assert "already holds a run (metrics.csv)" in message
    assert "--resume" in message and "--overwrite" in message
    assert read_metrics(tmp_path / "run" / "metrics.csv")["epoch"] == [1]  # untouched


def test_overwrite_replaces_a_run_but_never_empties_other_directories(tmp_path):
    RunLogger(tmp_path / "run").log(epoch=1, loss=0.5)
    (tmp_path / "run" / "last.ckpt").write_bytes(b"x")
    RunDirectory(tmp_path / "run", overwrite=True)
    assert list((tmp_path / "run").iterdir()) == []
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as err:
        RunDirectory(tmp_path / "src", overwrite=True)
    assert "holds no run (notes.txt)" in one_line_exit(err)
    assert (tmp_path / "src" / "notes.txt").read_text() == "mine"


def test_resume_without_a_checkpoint_is_a_one_line_error(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        with pytest.raises(SystemExit) as err:
            RunDirectory(path, resume=True)
        assert "--resume: there is no checkpoint" in one_line_exit(err)
    assert not (tmp_path / "missing").exists()
    with pytest.raises(SystemExit):
        RunDirectory(tmp_path, resume=True, overwrite=True)


def test_resume_drops_metrics_rows_after_the_checkpoint(tmp_path):
    import minidl
    log = RunLogger(tmp_path)
    for epoch in (1, 2, 3):  # epoch 3 logged, then killed before its checkpoint
        log.log(epoch=epoch, loss=1.0 / epoch)
    minidl.save({"epoch": 2}, tmp_path / "last.ckpt")
    run = RunDirectory(tmp_path, resume=True)
    assert run.resuming and run.load_checkpoint()["epoch"] == 2
    assert read_metrics(tmp_path / "metrics.csv")["epoch"] == [1, 2]
    RunLogger(tmp_path).log(epoch=3, loss=0.25)
    assert read_metrics(tmp_path / "metrics.csv")["epoch"] == [1, 2, 3]


def test_ctrl_c_saves_and_names_the_resume_command(tmp_path):
    saved = []
    run = RunDirectory(tmp_path / "run", command=["train.py", "--lr", "0.1", "--overwrite"])
    with pytest.raises(SystemExit) as err:
        with run.save_on_interrupt(lambda: saved.append(True)):
            raise KeyboardInterrupt
    assert saved == [True]
    message = str(err.value.code)
    assert f"saved {run.checkpoint_path}" in message
    assert f"python train.py --lr 0.1 --out {tmp_path / 'run'} --resume" in message
    with run.save_on_interrupt(lambda: saved.append(False)):
        pass  # no interrupt: nothing saved
    assert saved == [True]


def test_add_run_arguments():
    parser = argparse.ArgumentParser()
    add_run_arguments(parser, "runs/x")
    assert vars(parser.parse_args([])) == {"out": "runs/x", "resume": False, "overwrite": False}
    with pytest.raises(SystemExit):
        parser.parse_args(["--resume", "--overwrite"])
