"""The example scripts run end to end (S0 fully, S1/S2 as --quick smoke runs on the stand-in)."""
import ast
import os
import pathlib
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run_example(name, *args, cwd, timeout=600):
    env = dict(os.environ, MINIDL_DATA=str(cwd / "data"))  # an empty data folder: no CIFAR-10
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def parse_block(text, title):
    """{label: value} of one '== title ==' block printed by conv_by_hand.py."""
    block = text.split(f"== {title} ==\n", 1)[1].split("==", 1)[0]
    values = {}
    for line in block.splitlines():
        label, colon, value = line.partition(":")
        label = label.strip()
        if colon and label != "agreement" and re.match(r"\s*[\[\d-]", value):
            values[label] = np.array(ast.literal_eval(value.strip()), dtype=float)
    return values


def test_conv_by_hand_prints_the_right_numbers(tmp_path):
    out = run_example("conv_by_hand.py", cwd=tmp_path)
    X = np.array([[0.5, -0.2, 0.3], [0.6, 0.4, -0.1], [-0.4, 0.5, 0.2]])
    W = np.array([[0.1, -0.2], [-0.3, 0.4]])
    dY = np.array([[0.3, 0.1], [-0.4, 0.2]])
    # an independent computation: windows of X against W, and the gradient by linearity
    Y = np.einsum("ijpq,pq->ij", sliding_window_view(X, (2, 2)), W) + 0.04
    dW = np.einsum("ijpq,ij->pq", sliding_window_view(X, (2, 2)), dY)
    dX = np.zeros_like(X)
    for i, j in np.ndindex(dY.shape):
        dX[i:i + 2, j:j + 2] += dY[i, j] * W
    expected = {"Y": Y, "dL/dX": dX, "dL/dW": dW, "dL/db": np.array(dY.sum())}
    for title, value in expected.items():
        block = parse_block(out, title)
        methods = [k for k in block if k != "course report"]
        assert len(methods) == 3 if title != "Y" else len(methods) == 2
        for label in methods:
            np.testing.assert_allclose(block[label], value, atol=1e-4, err_msg=f"{title} {label}")
    np.testing.assert_allclose(parse_block(out, "Y")["course report"], Y, atol=5e-3)
    assert out.count("-> OK") == 4 and "All three methods agree: yes" in out
    # the explanation of the report's mistake, with the wrong and the right result
    wrong = parse_block(out, "Where the course report's dL/dX went wrong")
    np.testing.assert_allclose(wrong["correct (uses dL/dY)"], dX, atol=1e-4)
    assert not np.allclose(wrong["report (uses Y)"], dX, atol=1e-3)
    assert "upstream gradient" in out


@pytest.mark.parametrize("script", ["simple_cnn_cifar.py", "resnet18_cifar.py"])
def test_cifar_examples_quick_run_on_the_stand_in(tmp_path, script):
    out = run_example(script, "--quick", "--subset", "128", "--out", "run", cwd=tmp_path)
    assert "generated SHAPES stand-in" in out  # the banner: no CIFAR-10 here
    assert re.search(r"epoch 1/1 .*val_acc", out)
    assert re.search(r"test: loss [\d.]+, accuracy [\d.]+%", out)
    run = tmp_path / "run"
    for name in ("metrics.csv", "curves.png", "best.ckpt", "last.ckpt", "config.json"):
        assert (run / name).stat().st_size > 0, name
    header = (run / "metrics.csv").read_text().splitlines()[0]
    assert header.startswith("epoch,lr,train_loss,train_acc,val_loss,val_acc")


def test_cifar_example_never_clobbers_a_run_and_saves_on_ctrl_c(tmp_path):
    args = ["--data", "synthetic", "--quick", "--subset", "64", "--out", "run", "--no-progress"]
    env = dict(os.environ, MINIDL_DATA=str(tmp_path / "data"))
    script = str(EXAMPLES / "simple_cnn_cifar.py")
    # --resume with nothing to resume, then a second run into a used directory: one-line errors
    proc = subprocess.run([sys.executable, script, *args, "--resume"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "--resume: there is no checkpoint run/last.ckpt" in proc.stderr
    # Ctrl-C in the second epoch: a checkpoint after epoch 1 and the resume command
    # (SIGINT restored to its default: a shell's background job would start with it ignored)
    proc = subprocess.Popen([sys.executable, script, *args, "--epochs", "50"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:
        if re.match(r"epoch +1/50", line):
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in stderr, stderr
    assert "interrupted: saved run/last.ckpt; resume with:" in stderr
    assert f"python {script} {' '.join(args)} --epochs 50 --resume" in stderr
    metrics = (tmp_path / "run" / "metrics.csv").read_text()
    proc = subprocess.run([sys.executable, script, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "already holds a run" in proc.stderr
    assert (tmp_path / "run" / "metrics.csv").read_text() == metrics  # not clobbered
    out = run_example("simple_cnn_cifar.py", *args, "--epochs", "2", "--resume", cwd=tmp_path)
    assert "resumed from run/last.ckpt after epoch 1" in out and "epoch 2/2" in out
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2"]
    out = run_example("simple_cnn_cifar.py", *args, "--overwrite", cwd=tmp_path)
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1"]


def test_examples_have_help(tmp_path):
    for script in ("conv_by_hand.py", "simple_cnn_cifar.py", "resnet18_cifar.py", "fashion_mnist.py"):
        out = run_example(script, "--help", cwd=tmp_path)
        assert "usage:" in out


def test_cuda_without_a_gpu_exits_with_a_message(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "resnet18_cifar.py"), "--device", "cuda"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    if proc.returncode == 0:
        pytest.skip("a CUDA device is present")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "cuda" in proc.stderr.lower()
