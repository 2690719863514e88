"""minidl on a real NVIDIA GPU, in one command: tests, timings against PyTorch, a training run.

    python benchmarks/gpu_check.py --out DIR          # on a machine with a GPU (about 6 min)
    python benchmarks/gpu_check.py --dry-run          # anywhere: the same steps, tiny, on the
                                                      # strict stand-in device and the CPU

What it does, in order (each part runs even when an earlier one failed; failures are
recorded in the report, not raised):

1. **tests**: the GPU-marked tests (``pytest -m gpu --devices cpu,cuda``): the op table,
   the CUDA kernels bit for bit against the array code, every device-parameterised layer
   test and a ResNet-18 step + checkpoint round trip on ``cuda``, each against the CPU.
2. **timings**: training steps of ResNet-18-CIFAR and SimpleCNN at batch 128 and 512, every
   distinct conv layer of ResNet-18 (and BatchNorm, linear, cross entropy) forward+backward at
   batch 128, and the peak GPU memory of each step, for three "frameworks", each in its own
   process and alternating between rounds: minidl (CuPy), PyTorch CUDA with cuDNN, and
   PyTorch CUDA with ``torch.backends.cudnn.enabled = False`` (no vendor convolution
   library: the fair comparison for minidl's im2col + cuBLAS).
3. **profile**: one minidl ResNet-18 step at batch 128 under CUPTI (through PyTorch's
   profiler, which records every kernel of the process, CuPy's included): kernel launches per
   step, GPU-busy time against wall time, host<->device copies and synchronisations, and the
   kernels that take the most time.
4. **flagship**: ``examples/resnet18_cifar.py --epochs 1 --device cuda`` on the stand-in data,
   its wall time and test accuracy (a dry run trains ``simple_cnn_cifar.py``, which shares
   its training program, for a few images on the CPU).
5. **report**: ``RESULTS_GPU.md`` and ``results_gpu.json`` in ``--out``.

Every timing waits for the GPU (``synchronize()``) after each step, for both frameworks.
Memory: minidl's figure is what CuPy's memory pool holds after the steps (the pool keeps
freed blocks, so this is its high-water mark); PyTorch's is ``max_memory_reserved()``
(its caching allocator's high-water mark), with ``max_memory_allocated()`` beside it.

Works with ``cupy-cuda12x`` and ``cupy-cuda13x`` (``pip install minidl[cuda12]`` or
``minidl[cuda13]``). ``--dry-run`` registers the strict stand-in device of
``tests/strict_device.py`` as the device and runs every part at tiny sizes, so CI checks
that the script works on machines without a GPU.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from cases import RESNET18_CIFAR_CONVS, _bn_builder, _ce_builder, _conv_builder, _linear_builder, _randn, _rng  # noqa: E402,E501
from frameworks import Framework  # noqa: E402

# (name, framework, cudnn, minidl's conv algorithm, rounds it runs in): the columns of
# every table. "minidl_winograd" forces Winograd's algorithm on the 3x3 stride-1 layers, to
# show what minidl's "auto" choice of im2col on a GPU is measured against (one round).
CONFIGS = [("minidl", "minidl", True, "auto", None), ("torch_cudnn", "torch", True, None, None),
           ("torch_nocudnn", "torch", False, None, None),
           ("minidl_winograd", "minidl", True, "winograd", 1)]
TRAIN = [("resnet18", 128), ("resnet18", 512), ("simplecnn", 128), ("simplecnn", 512)]
LAYER_BATCH = 128


def env_with_path() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def log(msg: str) -> None:
    print(f"[gpu_check {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ============================================================== worker (one process)
def use_device(dry_run: bool) -> str:
    """The device name this process computes on: ``cuda``, or ``strict`` in a dry run."""
    if dry_run:
        from tests import strict_device
        strict_device.register()
        return strict_device.DEVICE
    return "cuda"


def timed(fw: Framework, step, warmup: int, reps: int) -> list:
    """Seconds per call of ``step``, each call followed by a device synchronisation."""
    for _ in range(warmup):
        step()
    fw.sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        fw.sync()
        times.append(time.perf_counter() - t0)
    return times


class Memory:
    """High-water mark of the framework's GPU allocator around one case."""

    def __init__(self, fw: Framework):
        self.fw = fw

    def reset(self) -> None:
        if not self.fw.device.startswith("cuda"):
            return
        if self.fw.name == "torch":
            self.fw.lib.cuda.empty_cache()
            self.fw.lib.cuda.reset_peak_memory_stats()
        else:
            import cupy
            cupy.get_default_memory_pool().free_all_blocks()

    def read(self) -> dict:
        if not self.fw.device.startswith("cuda"):
            return {}
        if self.fw.name == "torch":
            return {"peak_bytes": self.fw.lib.cuda.max_memory_reserved(),
                    "peak_allocated_bytes": self.fw.lib.cuda.max_memory_allocated()}
        import cupy
        return {"peak_bytes": cupy.get_default_memory_pool().total_bytes()}


def train_step(fw: Framework, model_name: str, batch: int):
    """forward, cross entropy, backward, SGD (momentum 0.9, weight decay 5e-4)."""
    fw.seed(0)
    model = fw.model(model_name)
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = fw.tensor(_randn((batch, 3, 32, 32), 1))
    y = fw.tensor(_rng(2).integers(0, 10, batch).astype(np.int64))

    def step():
        opt.zero_grad()
        loss = fw.F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def layer_cases(batch: int):
    cases = [(f"conv {name}", _conv_builder(batch, cin, cout, h, k, s, input_grad=cin != 3))
             for name, cin, cout, h, k, s in RESNET18_CIFAR_CONVS]
    cases += [(f"BatchNorm2d(64) ({batch},64,32,32)", _bn_builder((batch, 64, 32, 32))),
              (f"BatchNorm2d(512) ({batch},512,4,4)", _bn_builder((batch, 512, 4, 4))),
              (f"linear ({batch},512)->10", _linear_builder(batch, 512, 10)),
              (f"cross_entropy ({batch},10)", _ce_builder(batch, 10))]
    return cases


def worker(args) -> dict:
    device = use_device(args.dry_run) if args.framework == "minidl" else (
        "cpu" if args.dry_run else "cuda")
    fw = Framework(args.framework, device=device, cudnn=args.cudnn)
    if args.framework == "minidl":
        import minidl.nn.functional as F
        F.set_conv_algorithm(args.conv_algorithm)
    mem = Memory(fw)
    quick = args.dry_run
    out = {"framework": args.framework, "cudnn": args.cudnn, "device": device,
           "conv_algorithm": args.conv_algorithm if args.framework == "minidl" else None,
           "train": {}, "layers": {}, "errors": {}}
    # a dry run checks each code path once, at batch 2, on a fraction of the cases
    train = TRAIN[::2] if quick else TRAIN
    layers = layer_cases(2)[-5:] if quick else layer_cases(LAYER_BATCH)
    for model_name, batch in train:
        key = f"{model_name}_b{batch}"
        try:
            mem.reset()
            step = train_step(fw, model_name, 2 if quick else batch)
            times = timed(fw, step, 0 if quick else 3, 1 if quick else 10)
            out["train"][key] = {"seconds": statistics.median(times), "times": times,
                                 **mem.read()}
            del step
        except Exception:  # noqa: BLE001 - recorded in the report, the rest still runs
            out["errors"][key] = traceback.format_exc(limit=8)
        log(f"{args.framework}{'' if args.cudnn else ' (no cuDNN)'} {key}: "
            f"{out['train'].get(key, {}).get('seconds', 'failed')}")
    for name, build in layers:
        try:
            step = build(fw)["fwd+bwd"]
            times = timed(fw, step, 0 if quick else 3, 1 if quick else 20)
            out["layers"][name] = {"seconds": statistics.median(times)}
        except Exception:  # noqa: BLE001
            out["errors"][name] = traceback.format_exc(limit=8)
    out["versions"] = versions(fw)
    return out


def versions(fw: Framework) -> dict:
    v = {"python": sys.version.split()[0], "numpy": np.__version__}
    if fw.name == "torch":
        v["torch"] = fw.lib.__version__
        v["torch_cuda"] = fw.lib.version.cuda
        v["cudnn"] = fw.lib.backends.cudnn.version() if fw.lib.cuda.is_available() else None
    elif fw.device.startswith("cuda"):
        import cupy
        v["cupy"] = cupy.__version__
        v["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        v["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        v["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return v


# ================================================================ profile (one process)
def profile(args) -> dict:
    """Kernels, copies and syncs of a minidl ResNet-18 step, recorded by CUPTI."""
    device = use_device(args.dry_run)
    fw = Framework("minidl", device=device)
    batch = 2 if args.dry_run else LAYER_BATCH
    step = train_step(fw, "resnet18", batch)
    for _ in range(1 if args.dry_run else 2):
        step()
    fw.sync()
    steps = 1 if args.dry_run else 3
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    fw.sync()
    wall = (time.perf_counter() - t0) / steps
    out = {"batch": batch, "wall_seconds_per_step": wall}
    if args.dry_run:
        out["note"] = "dry run: no CUPTI trace on the stand-in device"
        return out
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    step()
    fw.sync()
    prof.disable()
    stats = pstats.Stats(prof)
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:25]
    out["python_cumulative_top"] = [
        {"function": f"{os.path.basename(k[0])}:{k[1]}:{k[2]}", "calls": v[1],
         "cumulative_s": round(v[3], 5), "self_s": round(v[2], 5)} for k, v in top]
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    with torch_profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as p:
        for _ in range(steps):
            step()
        fw.sync()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.json")
        p.export_chrome_trace(path)
        with open(path) as f:
            trace = json.load(f)
    events = [e for e in trace.get("traceEvents", []) if e.get("ph") == "X"]
    kernels = [e for e in events if e.get("cat") == "kernel"]
    copies = [e for e in events if e.get("cat") in ("gpu_memcpy", "gpu_memset")]
    runtime = [e for e in events if e.get("cat") == "cuda_runtime"]
    by_name: dict = {}
    for e in kernels:
        s = by_name.setdefault(e["name"][:90], [0, 0.0])
        s[0] += 1
        s[1] += e.get("dur", 0.0)
    calls: dict = {}
    for e in runtime:
        calls[e["name"]] = calls.get(e["name"], 0) + 1
    copy_kinds: dict = {}
    for e in copies:
        copy_kinds[e["name"]] = copy_kinds.get(e["name"], 0) + 1
    busy = sum(e.get("dur", 0.0) for e in kernels) * 1e-6 / steps
    out.update({
        "kernels_per_step": len(kernels) / steps,
        "kernel_seconds_per_step": busy,
        "gpu_busy_fraction": busy / wall if wall else None,
        "copies_per_step": {k: v / steps for k, v in copy_kinds.items()},
        "runtime_calls_per_step": {k: v / steps for k, v in sorted(calls.items(),
                                                                   key=lambda kv: -kv[1])},
        "top_kernels": [{"name": n, "calls_per_step": c / steps, "ms_per_step": t / steps / 1e3}
                        for n, (c, t) in sorted(by_name.items(), key=lambda kv: -kv[1][1])[:15]],
    })
    return out


# ============================================================= the orchestrating process
def _text(output) -> str:
    """What a timed-out subprocess printed (bytes, str or None) as text."""
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def run_json(cmd: list, timeout: float) -> tuple:
    """Run a worker; (its JSON result or None, its stderr tail)."""
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=env_with_path())
    except subprocess.TimeoutExpired as e:
        return None, f"timed out after {timeout:.0f} s\n{_text(e.stderr)[-2000:]}"
    sys.stderr.write(proc.stderr[-4000:])
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return None, proc.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT "):]), ""


def part_tests(args, budget: float) -> dict:
    if args.dry_run:
        select = ["tests/cuda/test_cuda.py", "--devices", "cpu,strict", "-x"]
    else:
        select = ["tests", "-m", "gpu", "--devices", "cpu,cuda"]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n",
           str(args.test_workers), "-rfE", *select]
    if args.test_workers == 0:
        cmd[cmd.index("-n"):cmd.index("-n") + 2] = ["-p", "no:xdist"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=budget,
                              env=env_with_path())
        text, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        text, code = f"{_text(e.stdout)}{_text(e.stderr)}\n(timed out after {budget:.0f} s)", -1
    with open(os.path.join(args.out, "gpu_tests.log"), "w") as f:
        f.write(" ".join(cmd) + "\n" + text)
    summary = [ln for ln in text.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    failed = [ln for ln in text.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return {"command": " ".join(cmd[2:]), "returncode": code,
            "summary": summary[-1] if summary else text.strip().splitlines()[-1:],
            "failed": failed[:40], "seconds": time.perf_counter() - t0}


def part_timings(args, deadline: float) -> dict:
    results = {name: [] for name, *_ in CONFIGS}
    errors = {}
    for r in range(args.rounds):
        order = CONFIGS if r % 2 == 0 else CONFIGS[::-1]
        for name, framework, cudnn, algorithm, rounds in order:
            if rounds is not None and r >= rounds:
                continue
            if args.dry_run and name in ("torch_nocudnn", "minidl_winograd"):
                continue  # on the CPU these repeat the other two columns' code paths
            if framework == "torch" and not torch_available():
                errors[name] = "PyTorch is not installed"
                continue
            left = deadline - time.time()
            if left < 20:
                errors.setdefault("budget", f"round {r + 1}: out of time, {name} skipped")
                continue
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework]
            cmd += [] if cudnn else ["--no-cudnn"]
            cmd += ["--conv-algorithm", algorithm] if algorithm else []
            cmd += ["--dry-run"] if args.dry_run else []
            log(f"timings round {r + 1}: {name}")
            res, err = run_json(cmd, timeout=left)
            if res is None:
                errors[f"{name} round {r + 1}"] = err
            else:
                results[name].append(res)
    return {"rounds": results, "errors": errors}


def torch_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def part_profile(args, timeout: float) -> dict:
    if not args.dry_run and not torch_available():
        return {"error": "PyTorch (for its CUPTI profiler) is not installed"}
    cmd = [sys.executable, os.path.abspath(__file__), "--profile-worker"]
    cmd += ["--dry-run"] if args.dry_run else []
    res, err = run_json(cmd, timeout=timeout)
    return res if res is not None else {"error": err}


def part_flagship(args, timeout: float) -> dict:
    # checkpoints are large: the run folder is a temporary one, its log goes to --out
    run_dir = os.path.join(tempfile.mkdtemp(prefix="minidl_gpu_flagship_"), "run")
    # a dry run trains the S1 example instead: the same training program (cifar_training.py)
    # and output, with a model small enough for a loaded CPU
    script = "examples/simple_cnn_cifar.py" if args.dry_run else "examples/resnet18_cifar.py"
    cmd = [sys.executable, script, "--data", "synthetic", "--epochs", "1",
           "--no-progress", "--out", run_dir, "--seed", "0"]
    cmd += (["--device", "cpu", "--quick", "--subset", "16", "--batch-size", "16"] if args.dry_run
            else ["--device", "cuda", "--batch-size", "128"])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=env_with_path())
        text, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        text, code = f"{_text(e.stdout)}{_text(e.stderr)}\n(timed out after {timeout:.0f} s)", -1
    wall = time.perf_counter() - t0
    with open(os.path.join(args.out, "flagship.log"), "w") as f:
        f.write(" ".join(cmd) + "\n" + text)
    test = re.search(r"test: loss ([\d.]+), accuracy ([\d.]+)%", text)
    epoch = [ln for ln in text.splitlines() if ln.startswith("epoch ")]
    return {"command": "python " + " ".join(cmd[1:]), "returncode": code, "wall_seconds": wall,
            "test_accuracy": float(test.group(2)) if test else None,
            "epoch_line": epoch[-1] if epoch else None,
            "tail": text.strip().splitlines()[-6:]}


def gpu_description(dry_run: bool) -> dict:
    if dry_run:
        return {"gpu": "strict stand-in device (dry run: no GPU)"}
    info = {}
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                            "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
        info["nvidia_smi"] = q.stdout.strip()
    except Exception as e:  # noqa: BLE001
        info["nvidia_smi"] = f"unavailable: {e}"
    return info


# -------------------------------------------------------------------------- report
def med(runs: list, *keys):
    values = []
    for r in runs:
        v = r
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            values.append(v)
    return statistics.median(values) if values else None


def fmt_ms(s):
    return "-" if s is None else f"{s * 1e3:.2f} ms"


def fmt_ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def fmt_mb(b):
    return "-" if b is None else f"{b / 2**20:.0f} MiB"


def report(results: dict) -> str:
    rounds = results["timings"]["rounds"]
    mini, tc, tn = rounds["minidl"], rounds["torch_cudnn"], rounds["torch_nocudnn"]
    wino = rounds["minidl_winograd"]
    env = results["environment"]
    lines = [
        "# minidl on a GPU: results", "",
        f"Written by `{results['command']}` on {results['date']}.", "",
        "| | |", "|---|---|"]
    for k, v in env.items():
        lines.append(f"| {k} | {v} |")
    t = results["tests"]
    lines += ["", "## 1. Tests on the GPU", ""]
    if "command" in t:
        lines.append(f"`{t['command']}`: **{t.get('summary')}** ({t.get('seconds', 0):.0f} s).")
    else:
        lines.append(f"Not run: {t.get('skipped') or t.get('error')}")
    if t.get("failed"):
        lines += ["", "Failed:", ""] + [f"- `{f}`" for f in t["failed"]]
    counted = ", ".join(f"{name} {len(runs)}" for name, runs in rounds.items())
    lines += ["", "## 2. Training steps (forward, loss, backward, SGD momentum)", "",
              "Median seconds per step over the rounds' medians; ratios are minidl / PyTorch "
              "(below 1: minidl faster). Memory: minidl's CuPy pool high-water mark against "
              "PyTorch's reserved high-water mark (allocated in brackets). Each framework "
              "ran in its own process, alternating; rounds (processes) measured: "
              f"{counted}.", "",
              "| case | minidl | PyTorch cuDNN | PyTorch no cuDNN | vs cuDNN | vs no cuDNN "
              "| memory minidl | memory PyTorch cuDNN | memory PyTorch no cuDNN "
              "| minidl, Winograd forced |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for model_name, batch in TRAIN:
        key = f"{model_name}_b{batch}"
        m, c, n = (med(x, "train", key, "seconds") for x in (mini, tc, tn))
        mm, mc, mn = (med(x, "train", key, "peak_bytes") for x in (mini, tc, tn))
        ac, an = (med(x, "train", key, "peak_allocated_bytes") for x in (tc, tn))
        lines.append(f"| {key} | {fmt_ms(m)} | {fmt_ms(c)} | {fmt_ms(n)} | {fmt_ratio(m, c)} | "
                     f"{fmt_ratio(m, n)} | {fmt_mb(mm)} | {fmt_mb(mc)} ({fmt_mb(ac)}) | "
                     f"{fmt_mb(mn)} ({fmt_mb(an)}) | {fmt_ms(med(wino, 'train', key, 'seconds'))} |")
    lines += ["", f"## 3. ResNet-18 layers, forward + backward, batch {LAYER_BATCH}", "",
              "| layer | minidl | PyTorch cuDNN | PyTorch no cuDNN | vs cuDNN | vs no cuDNN "
              "| minidl, Winograd forced |",
              "|---|---|---|---|---|---|---|"]
    names = list(dict.fromkeys(k for r in mini + tc + tn for k in r.get("layers", {})))
    for name in names:
        m, c, n = (med(x, "layers", name, "seconds") for x in (mini, tc, tn))
        lines.append(f"| {name} | {fmt_ms(m)} | {fmt_ms(c)} | {fmt_ms(n)} | {fmt_ratio(m, c)} | "
                     f"{fmt_ratio(m, n)} | {fmt_ms(med(wino, 'layers', name, 'seconds'))} |")
    errs = dict(results["timings"]["errors"])
    for name, runs in rounds.items():
        for r in runs:
            for k, v in r.get("errors", {}).items():
                errs[f"{name}: {k}"] = v
    if errs:
        lines += ["", "Errors during the timings:", ""]
        for k, v in errs.items():
            lines += [f"- {k}:", "", "```text", str(v).strip()[-1500:], "```"]
    p = results["profile"]
    lines += ["", f"## 4. Where a minidl ResNet-18 step goes (batch {p.get('batch')})", ""]
    if "error" in p:
        lines += ["```text", str(p["error"])[-1500:], "```"]
    else:
        lines.append(f"- wall time per step: {fmt_ms(p.get('wall_seconds_per_step'))}")
        if "kernels_per_step" in p:
            lines += [
                f"- kernel launches per step: {p['kernels_per_step']:.0f}",
                f"- GPU busy (sum of kernel times) per step: "
                f"{fmt_ms(p['kernel_seconds_per_step'])}, "
                f"{100 * p['gpu_busy_fraction']:.0f}% of the wall time",
                f"- copies per step: {p['copies_per_step']}",
                "- CUDA runtime calls per step: " + ", ".join(
                    f"{k} {v:.0f}" for k, v in list(p["runtime_calls_per_step"].items())[:8]),
                "", "| kernel | calls/step | ms/step |", "|---|---|---|"]
            lines += [f"| `{k['name']}` | {k['calls_per_step']:.0f} | {k['ms_per_step']:.2f} |"
                      for k in p["top_kernels"]]
        if p.get("note"):
            lines.append(f"- {p['note']}")
    f = results["flagship"]
    lines += ["", "## 5. The flagship, one epoch on the stand-in data", ""]
    if "command" not in f:
        return "\n".join(lines + [f"Not run: {f.get('skipped') or f.get('error')}"]) + "\n"
    lines += [f"`{f.get('command')}`: exit {f.get('returncode')}, "
              f"{f.get('wall_seconds', 0):.0f} s wall, test accuracy "
              f"{f.get('test_accuracy')}%.", ""]
    if f.get("epoch_line"):
        lines += ["```text", f["epoch_line"], "```"]
    elif f.get("tail"):
        lines += ["```text", *f["tail"], "```"]
    return "\n".join(lines) + "\n"


def write_report(args, results: dict, start: float) -> str:
    """Write results_gpu.json and RESULTS_GPU.md into ``args.out``; returns the Markdown."""
    for runs in results["timings"]["rounds"].values():
        for r in runs:
            results["environment"].update(r.get("versions", {}))
    results["wall_seconds"] = time.time() - start
    with open(os.path.join(args.out, "results_gpu.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    text = report(results)
    with open(os.path.join(args.out, "RESULTS_GPU.md"), "w") as f:
        f.write(text)
    return text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--out", default=os.environ.get("OUT") or os.path.join(ROOT, "runs",
                                                                           "gpu_check"),
                   help="folder for RESULTS_GPU.md, results_gpu.json and logs "
                        "(default $OUT, else runs/gpu_check)")
    p.add_argument("--dry-run", action="store_true",
                   help="no GPU: the strict stand-in device, tiny sizes")
    p.add_argument("--rounds", type=int, default=2, help="alternating timing rounds (default 2)")
    p.add_argument("--budget", type=float, default=420,
                   help="seconds for the whole check (default 420); parts left out of time "
                        "are skipped and said so")
    p.add_argument("--test-workers", type=int, default=8, help="pytest-xdist workers")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: "
                                              "tests,timings,profile,flagship")
    p.add_argument("--worker", choices=("minidl", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--no-cudnn", dest="cudnn", action="store_false", help=argparse.SUPPRESS)
    p.add_argument("--conv-algorithm", default="auto", help=argparse.SUPPRESS)
    p.add_argument("--profile-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--report-from", metavar="JSON",
                   help="only write RESULTS_GPU.md (to stdout) from an earlier results_gpu.json")
    args = p.parse_args(argv)
    if args.report_from:
        with open(args.report_from) as f:
            print(report(json.load(f)), end="")
        return 0
    if args.worker:
        args.framework = args.worker
        print("RESULT " + json.dumps(worker(args)), flush=True)
        return 0
    if args.profile_worker:
        print("RESULT " + json.dumps(profile(args)), flush=True)
        return 0

    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    deadline = start + args.budget
    skip = set(filter(None, args.skip.split(",")))
    if args.dry_run:
        args.rounds = 1
        args.test_workers = 0
    results = {"command": "python benchmarks/gpu_check.py " + " ".join(argv or sys.argv[1:]),
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "environment": {"machine": f"{platform.node()} ({os.cpu_count()} CPUs)",
                               **gpu_description(args.dry_run)}}
    # each part's weight in the budget: a part may use its share of what is left, counted
    # over itself and the parts still to run (a skipped part leaves its share to the others)
    parts = [("tests", 0.35, part_tests), ("timings", 0.45, part_timings),
             ("profile", 0.08, part_profile), ("flagship", 0.12, part_flagship)]
    empty_timings = {"rounds": {c[0]: [] for c in CONFIGS}, "errors": {}}
    for name, _, _ in parts:  # placeholders, so that a report can be written at any point
        results[name] = dict(empty_timings) if name == "timings" else {"error": "not run yet"}
    text = write_report(args, results, start)
    for i, (name, weight, fn) in enumerate(parts):
        left = deadline - time.time()
        if name in skip:
            results[name] = {"skipped": "--skip"} if name != "timings" else {
                **empty_timings, "errors": {"skipped": "--skip"}}
            continue
        if left < 15:
            results[name] = ({**empty_timings, "errors": {"budget": "out of time"}}
                             if name == "timings" else {"error": "skipped: out of time"})
            continue
        to_come = sum(w for n, w, _ in parts[i:] if n not in skip)
        allowed = left * weight / to_come
        log(f"{name}: up to {allowed:.0f} s")
        try:
            if name == "timings":
                results[name] = fn(args, time.time() + allowed)
            else:
                results[name] = fn(args, allowed)
        except Exception:  # noqa: BLE001 - one broken part must not lose the others
            results[name] = {"error": traceback.format_exc()}
            if name == "timings":
                results[name].update(empty_timings)
        text = write_report(args, results, start)  # after every part: a killed run keeps it
    print(text)
    log(f"done in {results['wall_seconds']:.0f} s; wrote {args.out}/RESULTS_GPU.md")
    ok = (results["tests"].get("returncode") in (0, None)
          and results["flagship"].get("returncode") in (0, None))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
