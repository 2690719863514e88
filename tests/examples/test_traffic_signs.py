"""The traffic-sign tools (S4) run end to end on tiny data: train, test, each visualize type,
unit_test, the run-folder rules, --resume, and the real one-folder-per-class layout."""
import os
import re
import subprocess
import sys

import numpy as np

import minidl
from minidl.data.datasets import SyntheticTrafficSigns, write_image_folder

from .test_examples import EXAMPLES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EPOCH_LINE = re.compile(r"^Epoch (\d\d): loss = (\d+\.\d{3}), accuracy on validation set = "
                        r"(\d\.\d{3})$", re.M)
TEST_LINE = re.compile(r"^accuracy on the test set: (\d\.\d{3})$", re.M)


def run_tool(script, *args, cwd):
    # an empty data folder (no real crops); one BLAS/OpenMP thread, since idle threads that
    # spin-wait cost these tiny runs more CPU time than they save
    env = dict(os.environ, MINIDL_DATA=str(cwd / "data"), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(EXAMPLES / "traffic_signs" / script), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def signs(script, *args, cwd):
    proc = run_tool(script, *args, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def signs_fails(script, *args, cwd):
    """Run a tool that must refuse: (exit status, stderr)."""
    proc = run_tool(script, *args, cwd=cwd)
    return proc.returncode, proc.stderr


def assert_png(path):
    assert path.read_bytes().startswith(PNG_MAGIC) and path.stat().st_size > 2000, path


def test_train_test_visualize_with_every_flag(tmp_path):
    out = signs("train.py", "--quick", "--ckpt_path", "run", "--bn", "--dropout", "0.3",
                "--augment", "--stn", "--no-progress", cwd=tmp_path)
    assert "GENERATED stand-in" in out                     # the banner: no real crops here
    assert "bn, augment, stn, dropout 0.3" in out
    (epoch, loss, val), = EPOCH_LINE.findall(out)
    assert epoch == "01" and 0 < float(loss) < 5 and 0 <= float(val) <= 1
    run = tmp_path / "run"
    ckpt = minidl.load(run / "ckpt_epoch_1.ckpt")
    assert ckpt["epoch"] == 1 and abs(ckpt["val_acc"] - float(val)) < 5e-4
    assert ckpt["config"]["stn"] and ckpt["config"]["bn"] and ckpt["config"]["dropout"] == 0.3
    assert (run / "metrics.csv").read_text().startswith("epoch,train_loss,val_acc")

    out = signs("test.py", "--ckpt_path", "run", "--epoch", "1", cwd=tmp_path)
    (test_acc,) = TEST_LINE.findall(out)
    assert 0 <= float(test_acc) <= 1 and "128 test images" in out

    for kind, extra, picture in [("filter", ["--layer_idx", "2"], "filters_layer2.png"),
                                 ("feature", ["--layer_idx", "1", "--image_idx", "3"],
                                  "features_layer1_image3.png"),
                                 ("tsne", ["--num_images", "60", "--perplexity", "10"],
                                  "tsne.png"),
                                 ("stn", [], "stn.png")]:
        out = signs("visualize.py", "--type", kind, "--ckpt_path", "run", *extra, cwd=tmp_path)
        assert f"saved run/{picture}" in out, out
        assert_png(run / picture)
    status, err = signs_fails("visualize.py", "--type", "filter", "--ckpt_path", "run",
                              "--layer_idx", "3", cwd=tmp_path)
    assert status != 0 and "--layer_idx must be in 0..2" in err


def test_unit_test_data_loader_and_model(tmp_path):
    out = signs("unit_test.py", "data_loader", "--quick", "--out", "ut", cwd=tmp_path)
    assert "FAIL" not in out and "all checks passed" in out
    assert "saved ut/data_loader_batch.png (augmented" in out
    assert_png(tmp_path / "ut" / "data_loader_batch.png")
    out = signs("unit_test.py", "model", cwd=tmp_path)
    assert out.count("ok  ") == 12 and "the spatial transformer starts as the identity" in out


def test_run_folder_is_never_clobbered_and_resume_continues(tmp_path):
    args = ["--quick", "--ckpt_path", "run", "--no-progress"]
    signs("train.py", *args, cwd=tmp_path)
    status, err = signs_fails("train.py", *args, cwd=tmp_path)
    assert status != 0 and "already holds checkpoints" in err and "--resume" in err
    out = signs("train.py", *args, "--epoch", "2", "--resume", cwd=tmp_path)
    assert "resumed from run/ckpt_epoch_1.ckpt" in out
    assert [e for e, _, _ in EPOCH_LINE.findall(out)] == ["02"]
    assert sorted(p.name for p in (tmp_path / "run").glob("ckpt_epoch_*")) == [
        "ckpt_epoch_1.ckpt", "ckpt_epoch_2.ckpt"]
    out = signs("train.py", *args, "--overwrite", cwd=tmp_path)
    assert not (tmp_path / "run" / "ckpt_epoch_2.ckpt").exists()
    status, err = signs_fails("test.py", "--ckpt_path", "run", "--epoch", "5", cwd=tmp_path)
    assert status != 0 and "saved epochs: 1" in err


def test_real_folder_layout(tmp_path):
    # crops of another size in DATA_ROOT/train|test/<letter>/*.png, no val/: 10 % held out
    root = tmp_path / "crops"
    write_image_folder(SyntheticTrafficSigns(n=60, seed=7, image_size=40), root / "train")
    write_image_folder(SyntheticTrafficSigns(n=20, split="test", seed=7, image_size=40),
                       root / "test")
    out = signs("train.py", "--data", "folder", "--data_root", str(root), "--ckpt_path", "run",
                "--epoch", "1", "--no-progress", cwd=tmp_path)
    assert "GENERATED" not in out
    assert "data: folder, 54 train / 6 validation images, 10 classes (E F K M N T W X Y Z)" in out
    out = signs("test.py", "--ckpt_path", "run", cwd=tmp_path)
    assert "20 test images (folder)" in out and TEST_LINE.search(out)
    # auto picks the folder when DATA_ROOT/train exists
    out = signs("unit_test.py", "data_loader", "--data_root", str(root), "--out", "ut",
                "--batch_size", "8", cwd=tmp_path)
    assert "data: folder" in out and "images (8, 3, 32, 32)" in out
    assert np.all([(root / "train" / c).is_dir() for c in "EFKMNTWXYZ"])


def test_every_tool_has_help(tmp_path):
    for script in ("train.py", "test.py", "visualize.py", "unit_test.py", "results.py"):
        out = signs(script, "--help", cwd=tmp_path)
        assert "--quick" in out, script
