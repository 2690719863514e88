"""Smoke tests of benchmarks/: the scripts run at tiny sizes and write a report.

No timing is asserted (that is what the benchmarks themselves report); these tests only
keep the scripts from rotting as the library changes.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCH)

import cases  # noqa: E402
import frameworks  # noqa: E402


def run(script, *args, timeout=120):
    proc = subprocess.run([sys.executable, os.path.join(BENCH, script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_run_all_quick_minidl_writes_every_section(tmp_path):
    out = tmp_path / "RESULTS.md"
    run("run_all.py", "--quick", "--rounds", "1", "--op-rounds", "1", "--frameworks", "minidl",
        "--train-cases", "mlp_b64,simplecnn_b128", "--ops-filter", "b2", "--output", str(out))
    text = out.read_text()
    for heading in ("Practical BLAS peak", "Training steps", "Peak memory",
                    "conv2d at every ResNet-18-CIFAR layer shape"):
        assert heading in text
    assert "PyTorch not measured" in text
    assert "| mlp_b64 |" in text and "| simplecnn_b128 |" in text
    assert "64->64 3x3 @32 b2" in text
    raw = json.loads((tmp_path / "RESULTS.json").read_text())
    assert raw["train|mlp_b64"]["minidl"][0]["peak_rss"] > 0


def test_worker_ops_quick_covers_every_case():
    proc = run("worker.py", "--framework", "minidl", "--task", "ops", "--quick")
    res = json.loads(proc.stdout.splitlines()[-1][len("RESULT "):])["cases"]
    groups = {c["group"] for c in res.values()}
    assert groups == {"conv2d", "batch_norm2d", "max_pool2d", "linear", "cross_entropy",
                      "softmax", "conv_transpose2d", "depthwise conv2d", "dilated conv2d"}
    assert len([k for k in res if res[k]["group"] == "conv2d"]) == 2 * len(
        cases.RESNET18_CIFAR_CONVS)
    assert all(c["seconds"] > 0 for c in res.values())


def test_run_all_help_and_bad_task():
    assert "--quick" in run("run_all.py", "--help").stdout
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run_all.py"), "--only", "nope"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and "unknown tasks" in proc.stderr


def test_torch_twins_match_minidl_models():
    torch = pytest.importorskip("torch")
    m, t = frameworks.Framework("minidl"), frameworks.Framework("torch")
    for name in ("simplecnn", "resnet18", "mlp"):
        shapes_m = [tuple(p.shape) for p in m.model(name).parameters()]
        shapes_t = [tuple(p.shape) for p in t.model(name).parameters()]
        assert sorted(shapes_m) == sorted(shapes_t), name
    x = np.zeros((2, 3, 32, 32), np.float32)
    assert tuple(t.model("resnet18")(torch.from_numpy(x)).shape) == (2, 10)


def test_torch_worker_quick():
    pytest.importorskip("torch")
    proc = run("worker.py", "--framework", "torch", "--task", "train", "--case", "mlp_b64",
               "--quick")
    res = json.loads(proc.stdout.splitlines()[-1][len("RESULT "):])
    assert res["env"]["threads"] >= 1 and res["seconds"] > 0


def test_dataloader_workers_benchmark_runs():
    import dataloader_workers

    results = dataloader_workers.main(["--images", "64", "--batch-size", "32", "--rounds", "1"])
    assert len(results) == 8 and all(rate > 0 for rate in results.values())
