"""One benchmark process: one framework, one task; prints its measurements as JSON.

``run_all.py`` starts this script once per framework, task and round, so that minidl and
PyTorch never share a process (their BLAS and OpenMP thread pools would spin on the same
two cores and slow each other down) and so that the peak resident set of a training step
is that step's alone.

Usage (normally via run_all.py)::

    python benchmarks/worker.py --framework minidl --task train --case resnet18_b32
    python benchmarks/worker.py --framework torch --task ops --quick

The last line of stdout is ``RESULT {json}``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # a fresh clone: minidl from the repo itself

import numpy as np  # noqa: E402

from cases import TRAIN_CASES, op_cases, train_step_builder  # noqa: E402
from frameworks import Framework  # noqa: E402


def current_rss() -> int:
    """Resident set of this process now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """Peak resident set of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def time_step(step, warmup: int, reps: int, budget: float | None = None) -> list:
    """Seconds per call of ``step`` after ``warmup`` untimed calls.

    With ``budget`` (seconds), the number of timed calls is chosen from the warm-up time
    so that they take about that long, clamped to [3, reps].
    """
    t_warm = None
    for _ in range(warmup):
        t0 = time.perf_counter()
        step()
        t_warm = time.perf_counter() - t0
    if budget is not None and t_warm:
        reps = max(3, min(reps, math.ceil(budget / max(t_warm, 1e-6))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def task_blas(fw: Framework, quick: bool) -> dict:
    """A large float32 matrix product with the framework's own BLAS: the practical peak."""
    n = 256 if quick else 4096
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    if fw.name == "torch":
        ta, tb = fw.lib.from_numpy(a), fw.lib.from_numpy(b)
        out = fw.lib.empty(n, n)

        def step():
            fw.lib.mm(ta, tb, out=out)
    else:  # minidl's products are NumPy's: measure NumPy's BLAS
        out = np.empty((n, n), np.float32)

        def step():
            np.matmul(a, b, out=out)
    times = time_step(step, warmup=1, reps=3 if quick else 5)
    t = statistics.median(times)
    return {"n": n, "seconds": t, "gflops": 2.0 * n ** 3 / t / 1e9}


def task_ops(fw: Framework, quick: bool, only: str | None) -> dict:
    """Every op case, forward and forward+backward, each after a warm-up."""
    results = {}
    for group, name, flops, build in op_cases(quick):
        if only and only not in name:
            continue
        steps = build(fw)
        for mode, step in steps.items():
            # about half a second of timed calls per case keeps a full run near 25 min
            times = time_step(step, warmup=1, reps=1 if quick else 15,
                              budget=None if quick else 0.6)
            results[f"{name} | {mode}"] = {"group": group, "name": name, "mode": mode,
                                           "flops": flops, "seconds": statistics.median(times),
                                           "reps": len(times)}
        del steps
    return {"cases": results}


def task_train(fw: Framework, case: str, quick: bool) -> dict:
    """One model's SGD step: median time and this process's peak resident set."""
    rss_start = current_rss()
    step, n_params = train_step_builder(fw, case, quick)
    rss_built = current_rss()
    model = TRAIN_CASES[case][0]
    if quick:
        warmup, reps = 1, 1
    elif model == "mlp":
        warmup, reps = 20, 200
    elif case == "resnet18_b128":
        warmup, reps = 1, 3
    else:
        warmup, reps = 2, 5
    times = time_step(step, warmup, reps)
    return {"case": case, "seconds": statistics.median(times), "times": times,
            "params": n_params, "rss_start": rss_start, "rss_built": rss_built,
            "peak_rss": peak_rss()}


def environment(fw: Framework) -> dict:
    info = {"framework": fw.name, "threads": fw.threads(), "python": sys.version.split()[0],
            "numpy": np.__version__}
    if fw.name == "torch":
        info["version"] = fw.lib.__version__
        info["parallel"] = fw.lib.__config__.parallel_info()
    else:
        info["version"] = getattr(fw.lib, "__version__", "?")
    return info


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", required=True, choices=("minidl", "torch"))
    p.add_argument("--task", required=True, choices=("blas", "ops", "train", "env"))
    p.add_argument("--case", help="training case (train) or a substring of op names (ops)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    args = p.parse_args(argv)
    fw = Framework(args.framework)
    if args.task == "blas":
        out = task_blas(fw, args.quick)
    elif args.task == "ops":
        out = task_ops(fw, args.quick, args.case)
    elif args.task == "train":
        if args.case not in TRAIN_CASES:
            p.error(f"--case must be one of {sorted(TRAIN_CASES)}, got {args.case!r}")
        out = task_train(fw, args.case, args.quick)
    else:
        out = {}
    out["env"] = environment(fw)
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
