"""Self-checks of the traffic-sign tools (S4), as the course's unit_test.py:

    python examples/traffic_signs/unit_test.py data_loader [--out DIR] [--augment/--no-augment]
    python examples/traffic_signs/unit_test.py model

* data_loader: builds the training loader exactly as train.py does (with --augment's
  RandomRotation(10) and RandomPerspective(0.2) unless --no-augment), checks one batch's
  shapes, dtypes, value range and labels, and saves the batch as a picture with each image's
  class (OUT/data_loader_batch.png) for a person to look at;
* model: builds each flag combination, checks the output shape, that the spatial
  transformer starts as the identity (its output equals its input), and that a backward
  pass reaches every parameter.
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np

import minidl
import minidl.nn as nn
from minidl.utils import save_image_grid

import dataset
from model import TrafficSignNet

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("check", choices=["data_loader", "model"])
parser.add_argument("--out", default="runs/traffic_signs_unit_test",
                    help="folder for the picture of the batch")
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--no-augment", dest="augment", action="store_false",
                    help="show the batch without augmentation")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--quick", action="store_true", help="a small data set (seconds)")
dataset.add_data_arguments(parser)
args = parser.parse_args()
minidl.manual_seed(args.seed)
if args.quick:
    args.train_size, args.val_size, args.test_size = 64, 32, 32


def check(condition: bool, what: str) -> None:
    print(f"  {'ok  ' if condition else 'FAIL'}  {what}")
    if not condition:
        raise SystemExit(f"unit_test.py {args.check}: check failed: {what}")


if args.check == "data_loader":
    config = dataset.data_config(args)
    train_set, val_set, test_set, classes = dataset.datasets(config, augment=args.augment)
    print(f"data: {config['source']}, {len(train_set)} train / {len(val_set)} validation / "
          f"{len(test_set)} test images, classes {' '.join(classes)}")
    loader = dataset.loader(train_set, args.batch_size, shuffle=True)
    images, labels = next(iter(loader))
    size = config["image_size"]
    n = min(args.batch_size, len(train_set))
    check(tuple(images.shape) == (n, 3, size, size), f"images {tuple(images.shape)}, "
          f"expected ({n}, 3, {size}, {size})")
    check(images.dtype == np.float32, f"images are {images.dtype}")
    low, high = float(images.min().item()), float(images.max().item())
    check(-2.0 - 1e-6 <= low < high <= 2.0 + 1e-6,
          f"normalised values in [{low:.2f}, {high:.2f}] (within [-2, 2])")
    check(tuple(labels.shape) == (n,) and labels.dtype == np.int64, "labels: int64, one per image")
    check(0 <= int(labels.min().item()) and int(labels.max().item()) < len(classes),
          f"labels within 0..{len(classes) - 1}")
    out = pathlib.Path(args.out)
    path = save_image_grid(dataset.denormalize(images.numpy()), out / "data_loader_batch.png",
                           nrow=8, labels=labels.numpy(), class_names=classes)
    print(f"saved {path} ({'augmented' if args.augment else 'not augmented'} training batch "
          "with labels)")

else:
    x = minidl.randn(4, 3, args.image_size, args.image_size)
    for flags in ({}, {"bn": True}, {"dropout": 0.3}, {"stn": True},
                  {"bn": True, "dropout": 0.3, "stn": True}):
        model = TrafficSignNet(10, image_size=args.image_size, **flags)
        name = ", ".join(flags) or "plain"
        check(tuple(model(x).shape) == (4, 10), f"{name}: logits (4, 10)")
        if model.stn is not None:
            with minidl.no_grad():
                same = np.allclose(model.stn(x).numpy(), x.numpy(), atol=1e-5)
            check(same, f"{name}: the spatial transformer starts as the identity")
        model.train()
        nn.CrossEntropyLoss()(model(x), minidl.tensor([0, 1, 2, 3])).backward()
        missing = [k for k, p in model.named_parameters() if p.grad is None]
        check(not missing, f"{name}: gradients reach every parameter"
              + (f" (missing: {missing})" if missing else ""))
print("all checks passed")
