"""Evaluate a checkpoint of train.py on the test set (S4), as the course's test.py does.

    python examples/traffic_signs/test.py --ckpt_path runs/signs_bn --epoch 10

prints

    accuracy on the test set: 0.962

The checkpoint remembers the model's flags and the data it was trained on, so the same test
set is rebuilt (the folder's test/ split, or the stand-in's test split with the same seed).
"""
from __future__ import annotations

import argparse

import minidl
from minidl.cuda import require_device
from minidl.data import Subset

import dataset
from model import load_checkpoint

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--ckpt_path", default="runs/traffic_signs", help="train.py's --ckpt_path")
parser.add_argument("--epoch", type=int, default=None,
                    help="which ckpt_epoch_N.ckpt to test (default: the last one saved)")
parser.add_argument("--batch_size", type=int, default=256)
parser.add_argument("--device", default="cpu", help="cpu or cuda")
parser.add_argument("--quick", action="store_true", help="test on the first 128 images only")
args = parser.parse_args()
require_device(args.device)

model, ckpt = load_checkpoint(args.ckpt_path, args.epoch, args.device)
_, _, test_set, _ = dataset.datasets(ckpt["config"])
if args.quick:
    test_set = Subset(test_set, range(min(128, len(test_set))))

correct = 0
with minidl.no_grad():
    for images, labels in dataset.loader(test_set, args.batch_size):
        logits = model(images.to(args.device))
        correct += int((logits.argmax(dim=1) == labels.to(args.device)).sum().item())
print(f"checkpoint: epoch {ckpt['epoch']} (accuracy on validation set = {ckpt['val_acc']:.3f}), "
      f"{len(test_set)} test images ({ckpt['config']['source']})")
print(f"accuracy on the test set: {correct / len(test_set):.3f}")
