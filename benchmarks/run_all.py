"""Run every minidl-vs-PyTorch benchmark and write ``benchmarks/RESULTS.md``.

Each measurement runs in a fresh process per framework (``worker.py``), and the two
frameworks alternate within every round (the one that goes first alternates too), so that
the load of a shared, noisy machine falls on both alike. Reported figures are medians over
rounds; ratios are minidl / torch (below 1: minidl is faster or smaller).

Usage::

    python benchmarks/run_all.py                 # everything, 5 rounds of training steps
    python benchmarks/run_all.py --quick         # tiny sizes, a smoke run of a few seconds
    python benchmarks/run_all.py --only train --rounds 7

Without PyTorch the torch columns are left empty, with a note.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from cases import TRAIN_CASES  # noqa: E402

TASKS = ("blas", "ops", "train")

# The targets of the performance issue: (label, key into the headline ratios, bound).
TARGETS = [
    ("ResNet-18-CIFAR step, batch 32", "resnet18_b32", 1.0),
    ("ResNet-18-CIFAR step, batch 128", "resnet18_b128", 1.0),
    ("SimpleCNN step, batch 128", "simplecnn_b128", 1.0),
    ("worst conv2d layer fwd+bwd", "worst_conv", 1.2),
    ("small-MLP step, batch 64", "mlp_b64", 2.0),
    ("peak RSS, ResNet-18 step batch 128", "rss_resnet18_b128", 1.5),
]


def run_worker(framework: str, task: str, case: str | None, quick: bool) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--framework", framework,
           "--task", task]
    if case:
        cmd += ["--case", case]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark worker failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


# ---------------------------------------------------------------------- running
def collect(args, frameworks) -> dict:
    """Run all jobs round by round; returns {job: {framework: [result per round]}}."""
    jobs = []
    if "blas" in args.only:
        jobs.append(("blas", None, args.rounds))
    if "ops" in args.only:
        jobs.append(("ops", args.ops_filter, args.op_rounds))
    if "train" in args.only:
        jobs += [("train", c, args.rounds) for c in TRAIN_CASES
                 if not args.train_cases or c in args.train_cases]
    results = {(t, c): {fw: [] for fw in frameworks} for t, c, _ in jobs}
    for r in range(max(n for _, _, n in jobs)):
        order = frameworks if r % 2 == 0 else frameworks[::-1]
        for task, case, rounds in jobs:
            if r >= rounds:
                continue
            for fw in order:
                t0 = time.perf_counter()
                res = run_worker(fw, task, case, args.quick)
                results[(task, case)][fw].append(res)
                log(f"round {r + 1}: {task} {case or ''} {fw}: "
                    f"{time.perf_counter() - t0:.1f} s wall")
    return results


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------- reporting
def fmt(value, spec=".3f", none="-"):
    return none if value is None else format(value, spec)


def fmt_time(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"


def table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2 ** 20
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gb": mem, "platform": platform.platform()}


def blas_config() -> str:
    import numpy as np
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')} ({cfg.get('openblas configuration', '')})"
    except Exception:  # noqa: BLE001 - older NumPy: no dict mode
        return "unknown"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def report(args, frameworks, results, load_before, load_after, wall) -> str:
    has_torch = "torch" in frameworks
    heads = {}
    out = []
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    mach = machine_info()
    env = {fw: next(iter(v[fw][0]["env"] for v in results.values() if v[fw]), {})
           for fw in frameworks}
    out.append("# minidl vs PyTorch CPU: benchmark results\n")
    out.append("Generated by `benchmarks/run_all.py`; do not edit by hand.\n")
    out.append(f"- Command: `{' '.join(['python benchmarks/run_all.py'] + list(args.argv))}`")
    out.append(f"- Date: {now}; wall time {wall / 60:.1f} min; minidl commit {git_commit()}")
    out.append(f"- Machine: {mach['cpu']}, {mach['cores']} logical cores, "
               f"{fmt(mach['mem_gb'], '.1f')} GB RAM; {mach['platform']}")
    out.append(f"- Load average (1 min) before / after: {load_before:.2f} / {load_after:.2f}"
               + (" - **the machine was shared with other work during this run**; absolute "
                  "times are inflated and noisy, the alternating ratios are the figures to "
                  "trust" if max(load_before, load_after) > 1.5 * (mach["cores"] or 1) / 2 + 0.5
                  else ""))
    m_env = env.get("minidl", {})
    out.append(f"- Python {m_env.get('python', '?')}, NumPy {m_env.get('numpy', '?')}, "
               f"minidl {m_env.get('version', '?')}; BLAS: {blas_config()}; "
               f"minidl threads (BLAS): {m_env.get('threads', '?')}")
    if has_torch:
        t_env = env["torch"]
        par = [ln.strip() for ln in t_env.get("parallel", "").splitlines()
               if "MKL" in ln or "oneDNN" in ln or "MKL-DNN" in ln or "backend" in ln]
        out.append(f"- PyTorch {t_env.get('version', '?')}, threads {t_env.get('threads', '?')}; "
                   + "; ".join(par))
    else:
        out.append("- **PyTorch not measured (not installed, or not selected with "
                   "--frameworks): the torch columns are empty** (`pip install torch` to "
                   "compare).")
    out.append(f"- Rounds: {args.rounds} (BLAS, training steps, memory), {args.op_rounds} "
               "(ops); frameworks alternate within each round, each in a fresh process; "
               "figures are medians over rounds of the in-process medians after warm-up."
               + (" **Quick mode: tiny sizes, numbers are meaningless.**" if args.quick else ""))
    out.append("- Same float32 data for both, BatchNorm in training mode, SGD(momentum 0.9, "
               "weight decay 5e-4); no environment variables set; both use the default "
               "thread count.")
    out.append("- Per-layer cases (conv2d, BatchNorm2d, max_pool2d) get their input and "
               "upstream gradient in the memory layout activations have inside each "
               "framework's own network: (N, C, H, W) for PyTorch (its default), channels-"
               "last for minidl (its convolutions return channels-last arrays and the layers "
               "after them keep the layout); the stem's input is the (N, C, H, W) images for "
               "both.\n")

    body = []
    peak = {}
    if ("blas", None) in results:
        rows = []
        for fw in frameworks:
            rs = results[("blas", None)][fw]
            peak[fw] = median([r["gflops"] for r in rs])
            rows.append([fw, rs[0]["n"] if rs else "-", fmt(peak[fw], ".1f"),
                         " ".join(fmt(r["gflops"], ".0f") for r in rs)])
        body.append("## Practical BLAS peak (float32 square matmul)\n")
        body.append(table(["framework", "n", "GFLOP/s (median)", "per round"], rows))
        body.append("\nminidl's products run on NumPy's BLAS; the machine peak used for the "
                    "conv efficiency columns below is the larger of the two.\n")
    machine_peak = max([v for v in peak.values() if v] or [None]) if peak else None

    train_rows, mem_rows = [], []
    for case in TRAIN_CASES:
        key = ("train", case)
        if key not in results:
            continue
        m = results[key]["minidl"]
        t = results[key].get("torch", [])
        tm, tt = median([r["seconds"] for r in m]), median([r["seconds"] for r in t])
        paired = [ratio(a["seconds"], b["seconds"]) for a, b in zip(m, t)]
        heads[case] = ratio(tm, tt)
        train_rows.append([case, fmt_time(tm), fmt_time(tt), fmt(ratio(tm, tt), ".2f"),
                           (f"{min(paired):.2f}-{max(paired):.2f}" if paired else "-")])
        pm = median([r["peak_rss"] for r in m])
        pt = median([r["peak_rss"] for r in t])
        bm = median([r["rss_built"] for r in m])
        bt = median([r["rss_built"] for r in t])
        heads["rss_" + case] = ratio(pm, pt)
        mem_rows.append([case, fmt(pm and pm / 2 ** 30, ".2f"), fmt(pt and pt / 2 ** 30, ".2f"),
                         fmt(ratio(pm, pt), ".2f"), fmt(bm and bm / 2 ** 30, ".2f"),
                         fmt(bt and bt / 2 ** 30, ".2f")])

    conv_rows, op_rows = [], []
    if ("ops", args.ops_filter) in results:
        res = results[("ops", args.ops_filter)]
        keys = list(res["minidl"][0]["cases"]) if res["minidl"] else []
        worst = None
        for k in keys:
            c = res["minidl"][0]["cases"][k]
            tm = median([r["cases"][k]["seconds"] for r in res["minidl"]])
            tt = median([r["cases"][k]["seconds"] for r in res.get("torch", [])])
            rt = ratio(tm, tt)
            if c["group"] == "conv2d":
                gm = c["flops"] * (3 if c["mode"] == "fwd+bwd" else 1) / tm / 1e9
                gt = (c["flops"] * (3 if c["mode"] == "fwd+bwd" else 1) / tt / 1e9) if tt else None
                if "stem" in c["name"] and c["mode"] == "fwd+bwd":  # no input gradient
                    gm, gt = gm * 2 / 3, gt and gt * 2 / 3
                conv_rows.append([c["name"], c["mode"], fmt_time(tm), fmt_time(tt),
                                  fmt(rt, ".2f"), fmt(gm, ".0f"), fmt(gt, ".0f"),
                                  fmt(ratio(gm, machine_peak), ".0%"),
                                  fmt(ratio(gt, machine_peak), ".0%")])
                if c["mode"] == "fwd+bwd" and rt is not None and (worst is None or rt > worst[0]):
                    worst = (rt, c["name"])
            else:
                op_rows.append([c["group"], c["name"], c["mode"], fmt_time(tm), fmt_time(tt),
                                fmt(rt, ".2f")])
        if worst:
            heads["worst_conv"] = worst[0]
            heads["worst_conv_name"] = worst[1]

    if has_torch and heads:
        rows = []
        for label, key, bound in TARGETS:
            r = heads.get(key)
            if r is None:
                continue
            name = f"{label} ({heads['worst_conv_name']})" if key == "worst_conv" else label
            rows.append([name, f"{r:.2f}", f"<= {bound}", "met" if r <= bound else
                         f"missed by {r / bound - 1:.0%}"])
        out.append("## Headline ratios (minidl / torch, lower is better)\n")
        out.append(table(["measure", "ratio", "target", ""], rows) + "\n")
    out += body
    if train_rows:
        out.append("## Training steps (forward, cross-entropy, backward, SGD momentum step)\n")
        out.append(table(["case", "minidl", "torch", "ratio", "per-round ratios"], train_rows))
        out.append("")
        out.append("## Peak memory of a training step (fresh process per framework)\n")
        out.append(table(["case", "minidl peak RSS (GB)", "torch peak RSS (GB)", "ratio",
                          "minidl RSS before the first step", "torch RSS before the first "
                          "step"], mem_rows))
        out.append("\nPeak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss` of a process that "
                   "imports the framework, builds the model and runs the warm-up and timed "
                   "steps; it includes the framework's own import (PyTorch's libraries are "
                   "larger).\n")
    if conv_rows:
        out.append("## conv2d at every ResNet-18-CIFAR layer shape\n")
        out.append(table(["layer, batch", "pass", "minidl", "torch", "ratio", "minidl GFLOP/s",
                          "torch GFLOP/s", "minidl % of peak", "torch % of peak"], conv_rows))
        out.append("\nFLOPs: 2 x multiply-adds; forward+backward counts 3x the forward (2x for "
                   "the stem, whose input needs no gradient, as in the network).\n")
    if op_rows:
        out.append("## Other ops\n")
        out.append(table(["op", "case", "pass", "minidl", "torch", "ratio"], op_rows) + "\n")
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(
        description="Time minidl against PyTorch CPU (ops, training steps, peak memory, BLAS "
                    "peak) and write a markdown report.")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and one repetition: checks that everything runs")
    p.add_argument("--rounds", type=int, default=5,
                   help="alternating rounds for BLAS and training steps (default 5)")
    p.add_argument("--op-rounds", type=int, default=3,
                   help="alternating rounds for the per-op benchmarks (default 3)")
    p.add_argument("--only", default=",".join(TASKS),
                   help=f"comma-separated subset of {','.join(TASKS)} (default: all)")
    p.add_argument("--train-cases", default="",
                   help=f"comma-separated subset of {','.join(TRAIN_CASES)} (default: all)")
    p.add_argument("--ops-filter", default=None, help="only op cases whose name contains this")
    p.add_argument("--frameworks", default="minidl,torch",
                   help="comma-separated frameworks (torch is skipped when not installed)")
    p.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"),
                   help="where to write the report (default benchmarks/RESULTS.md)")
    args = p.parse_args(argv)
    args.argv = argv
    args.only = [t for t in args.only.split(",") if t]
    bad = set(args.only) - set(TASKS)
    if bad:
        p.error(f"--only: unknown tasks {sorted(bad)}; choose from {TASKS}")
    args.train_cases = [c for c in args.train_cases.split(",") if c]
    frameworks = [f for f in args.frameworks.split(",") if f]
    if "torch" in frameworks and importlib.util.find_spec("torch") is None:
        log("PyTorch is not installed: timing minidl only (the report says so)")
        frameworks.remove("torch")
    if "minidl" not in frameworks:
        p.error("--frameworks must include minidl")
    if args.rounds < 1 or args.op_rounds < 1:
        p.error("--rounds and --op-rounds must be >= 1")

    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]
    results = collect(args, frameworks)
    load_after = os.getloadavg()[0]
    text = report(args, frameworks, results, load_before, load_after, time.perf_counter() - t0)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write(text)
    log(f"wrote {args.output}")
    with open(os.path.splitext(args.output)[0] + ".json", "w") as f:
        json.dump({"|".join(map(str, k)): v for k, v in results.items()}, f)


if __name__ == "__main__":
    main()
