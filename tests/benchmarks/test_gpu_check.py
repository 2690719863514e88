"""benchmarks/gpu_check.py without a GPU: ``--dry-run`` runs every part on the strict
stand-in device and the CPU at tiny sizes and writes the report, so the one command that a
GPU machine runs is known to work before it gets there."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.py")


def test_help():
    proc = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "--dry-run" in proc.stdout


def test_dry_run_writes_every_section(tmp_path):
    proc = subprocess.run([sys.executable, SCRIPT, "--dry-run", "--out", str(tmp_path),
                           "--budget", "400"], cwd=ROOT, capture_output=True, text=True,
                          timeout=500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = (tmp_path / "RESULTS_GPU.md").read_text()
    for heading in ("## 1. Tests on the GPU", "## 2. Training steps", "## 3. ResNet-18 layers",
                    "## 4. Where a minidl ResNet-18 step goes", "## 5. The flagship"):
        assert heading in text
    results = json.loads((tmp_path / "results_gpu.json").read_text())
    assert "passed" in results["tests"]["summary"] and results["tests"]["returncode"] == 0
    minidl_runs = results["timings"]["rounds"]["minidl"]
    assert minidl_runs and minidl_runs[0]["device"] == "strict"
    assert not minidl_runs[0]["errors"], minidl_runs[0]["errors"]
    assert minidl_runs[0]["train"]["resnet18_b128"]["seconds"] > 0
    assert results["profile"]["wall_seconds_per_step"] > 0
    assert results["flagship"]["returncode"] == 0
    assert results["flagship"]["test_accuracy"] is not None
