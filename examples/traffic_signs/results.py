"""Train every flag combination of the traffic-sign tools and tabulate the accuracies (S4).

    python examples/traffic_signs/results.py --out runs/signs_table --jobs 3

Each experiment is one train.py run (same seed, same epochs and data sizes) followed by
test.py on its last checkpoint; runs go in parallel, one CPU thread each. Writes
OUT/results.md (the table in the README) and OUT/results.csv, and, for the README's pictures,
runs unit_test.py data_loader and visualize.py (filters, feature maps and t-SNE of the BN +
augment model, each STN's view of its test images).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

# (difficulty, flags): the rows of the table, the hard split's STN comparison first
EXPERIMENTS = [
    ("hard", []),
    ("hard", ["--stn"]),
    # the spatial transformer learning at the classifier's full rate
    ("hard", ["--stn", "--stn_lr_scale", "1"]),
    ("hard", ["--bn"]),
    ("hard", ["--bn", "--stn"]),
    ("standard", []),
    ("standard", ["--bn"]),
    ("standard", ["--bn", "--dropout", "0.3"]),
    ("standard", ["--bn", "--augment"]),
    ("standard", ["--stn"]),
    ("standard", ["--bn", "--augment", "--stn"]),
]

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="runs/signs_table", help="folder for all the runs")
parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
parser.add_argument("--epoch", type=int, default=6)
parser.add_argument("--train_size", type=int, default=1500)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--quick", action="store_true", help="tiny runs (seconds), to try the script")
args = parser.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
# one thread per run: the runs themselves are the parallelism
env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def name_of(difficulty: str, flags: list) -> str:
    words = [f.lstrip("-") for f in flags]
    return difficulty + "_" + ("_".join(words) if words else "plain")


def tool(script: str, *tool_args) -> str:
    proc = subprocess.run([sys.executable, str(HERE / script), *map(str, tool_args)], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(map(str, tool_args))} failed:\n{proc.stderr}")
    return proc.stdout


def experiment(difficulty: str, flags: list) -> dict:
    name = name_of(difficulty, flags)
    ckpt = out / name
    t0 = time.perf_counter()
    size = ["--quick"] if args.quick else ["--train_size", args.train_size]
    log = tool("train.py", "--ckpt_path", ckpt, "--overwrite", "--no-progress", "--data",
               "synthetic", "--difficulty", difficulty, "--epoch", args.epoch, "--seed",
               args.seed, *size, *flags)
    log += tool("test.py", "--ckpt_path", ckpt, "--epoch", args.epoch)
    (ckpt / "log.txt").write_text(log)
    val = re.findall(r"accuracy on validation set = (\d\.\d+)", log)[-1]
    test = re.search(r"accuracy on the test set: (\d\.\d+)", log).group(1)
    flag_text = " ".join(flags) or "(plain)"
    row = {"split": difficulty, "flags": flag_text, "val_acc": val, "test_acc": test,
           "minutes": f"{(time.perf_counter() - t0) / 60:.1f}", "run": name}
    print(f"{name:40s} val {val}  test {test}  ({row['minutes']} min)", flush=True)
    return row


t_start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
    rows = list(pool.map(lambda e: experiment(*e), EXPERIMENTS))

with open(out / "results.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
lines = ["| split | flags | val accuracy | test accuracy | minutes |", "|---|---|---|---|---|"]
lines += [f"| {r['split']} | {r['flags']} | {r['val_acc']} | {r['test_acc']} | {r['minutes']} |"
          for r in rows]
(out / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines), flush=True)

# the README's pictures
pictures = out / "pictures"
tool("unit_test.py", "data_loader", "--out", pictures, "--difficulty", "standard",
     "--data", "synthetic")
shown = out / name_of("standard", ["--bn", "--augment"])
for kind, extra in [("filter", ["--layer_idx", "0"]), ("feature", ["--layer_idx", "0"]),
                    ("tsne", [])]:
    print(tool("visualize.py", "--type", kind, "--ckpt_path", shown, *extra), end="")
for difficulty, flags in EXPERIMENTS:
    if "--stn" in flags:
        print(tool("visualize.py", "--type", "stn", "--ckpt_path", out / name_of(difficulty, flags)),
              end="")
print(f"all done in {(time.perf_counter() - t_start) / 60:.1f} min", flush=True)
