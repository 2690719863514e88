"""Train the traffic-sign classifier (S4), as the course's train.py does.

    python examples/traffic_signs/train.py --ckpt_path runs/signs_bn --bn --epoch 10

After every epoch it prints a line like

    Epoch 07: loss = 0.142, accuracy on validation set = 0.960

(the mean training loss of the epoch, then the validation accuracy) and writes
CKPT_PATH/ckpt_epoch_7.ckpt, which test.py and visualize.py read. CKPT_PATH also gets
metrics.csv, config.json and curves.png. Flags add to the plain CNN: --bn (BatchNorm after
each convolution), --dropout P (before the classifier), --augment (RandomRotation(10) and
RandomPerspective(0.2) on the training images), --stn (a spatial transformer in front).
"""
from __future__ import annotations

import argparse
import pathlib
import shutil
import time

import minidl
import minidl.nn as nn
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.utils import ProgressBar, RunLogger, plot_curves

import dataset
from model import build_model, checkpoint_path, saved_epochs

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--ckpt_path", default="runs/traffic_signs",
                    help="folder for ckpt_epoch_N.ckpt, metrics.csv and curves.png")
parser.add_argument("--bn", action="store_true", help="BatchNorm2d after each convolution")
parser.add_argument("--dropout", type=float, default=0.0, metavar="P",
                    help="dropout probability before the classifier (default 0: none)")
parser.add_argument("--augment", action="store_true",
                    help="RandomRotation(10) and RandomPerspective(0.2) on training images")
parser.add_argument("--stn", action="store_true", help="a spatial transformer in front")
parser.add_argument("--epoch", type=int, default=None, help="epochs to train (default 10)")
parser.add_argument("--batch_size", type=int, default=64)
parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
parser.add_argument("--weight_decay", type=float, default=0.0)
parser.add_argument("--stn_lr_scale", type=float, default=0.1,
                    help="the spatial transformer learns at this fraction of --lr (default 0.1)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu or cuda")
parser.add_argument("--workers", type=int, default=0, help="data-loading threads")
parser.add_argument("--quick", action="store_true",
                    help="a smoke run in seconds: 256 training images, 1 epoch")
parser.add_argument("--no-progress", dest="progress", action="store_false",
                    help="no progress bar (one line per epoch only)")
mode = parser.add_mutually_exclusive_group()
mode.add_argument("--resume", action="store_true",
                  help="continue from the last ckpt_epoch_N.ckpt in CKPT_PATH")
mode.add_argument("--overwrite", action="store_true",
                  help="delete the checkpoints already in CKPT_PATH and start afresh")
dataset.add_data_arguments(parser)
args = parser.parse_args()
if args.quick:
    args.train_size, args.val_size, args.test_size = 256, 128, 128
if args.epoch is None:
    args.epoch = 1 if args.quick else 10
if not 0.0 <= args.dropout < 1.0:
    parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
require_device(args.device)
minidl.manual_seed(args.seed)

# ------------------------------------------------------------------ the run folder
ckpt_dir = pathlib.Path(args.ckpt_path)
previous = saved_epochs(ckpt_dir) if ckpt_dir.is_dir() else []
if args.resume and not previous:
    raise SystemExit(f"error: --resume: no ckpt_epoch_N.ckpt in {ckpt_dir} to resume from")
if previous and not args.resume:
    if not args.overwrite:
        raise SystemExit(f"error: {ckpt_dir} already holds checkpoints (epochs "
                         f"{previous[0]}..{previous[-1]}); pass --resume to continue, "
                         "--overwrite to replace them, or choose another --ckpt_path")
    shutil.rmtree(ckpt_dir)

# --------------------------------------------------------------------------- data
if args.resume:   # the data and model settings are the run's, not this command's
    resumed = minidl.load(checkpoint_path(ckpt_dir, previous[-1]), map_location=args.device)
    config = resumed["config"]
else:
    config = dataset.data_config(args)
    config.update(bn=args.bn, dropout=args.dropout, augment=args.augment, stn=args.stn)
train_set, val_set, _, classes = dataset.datasets(config, augment=config["augment"])
config["classes"] = classes
train_loader = dataset.loader(train_set, args.batch_size, shuffle=True, workers=args.workers)
val_loader = dataset.loader(val_set, 256, workers=args.workers)
print(f"data: {config['source']}, {len(train_set)} train / {len(val_set)} validation images, "
      f"{len(classes)} classes ({' '.join(classes)})", flush=True)

# -------------------------------------------------------------------------- model
model = build_model(config).to(args.device)
loss_fn = nn.CrossEntropyLoss()
# The spatial transformer's last layer moves every sampling position at once, so it learns
# more slowly than the classifier; a full-rate step can throw the signs out of the frame.
stn_params = list(model.stn.parameters()) if model.stn is not None else []
stn_ids = {id(p) for p in stn_params}
groups = [{"params": [p for p in model.parameters() if id(p) not in stn_ids]}]
if stn_params:
    groups.append({"params": stn_params, "lr": args.lr * args.stn_lr_scale})
optimizer = optim.Adam(groups, lr=args.lr, weight_decay=args.weight_decay)
start_epoch = 0
if args.resume:
    model.load_state_dict(resumed["model"])
    optimizer.load_state_dict(resumed["optimizer"])
    minidl.set_rng_state(resumed["rng"])
    start_epoch = resumed["epoch"]
    print(f"resumed from {checkpoint_path(ckpt_dir, start_epoch)}", flush=True)
flags = [name for name in ("bn", "augment", "stn") if config[name]]
if config["dropout"]:
    flags.append(f"dropout {config['dropout']}")
print(f"model: TrafficSignNet ({', '.join(flags) or 'plain'}), "
      f"{sum(p.numel() for p in model.parameters()):,} parameters", flush=True)
logger = RunLogger(ckpt_dir, config={**vars(args), **config})


# --------------------------------------------------------------------------- loop
def train_one_epoch(epoch: int) -> float:
    """One pass over the training set; returns the mean loss."""
    model.train()
    total, count = 0.0, 0
    bar = ProgressBar(total=len(train_set), desc=f"epoch {epoch}/{args.epoch}",
                      disable=not args.progress or None, leave=False)
    with bar:
        for images, labels in train_loader:
            x, y = images.to(args.device), labels.to(args.device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
            bar.update(len(y), loss=loss.item())
    return total / count


@minidl.no_grad()
def accuracy(loader) -> float:
    model.eval()
    correct = 0
    for images, labels in loader:
        logits = model(images.to(args.device))
        correct += int((logits.argmax(dim=1) == labels.to(args.device)).sum().item())
    return correct / len(loader.dataset)


for epoch in range(start_epoch + 1, args.epoch + 1):
    t0 = time.perf_counter()
    train_loss = train_one_epoch(epoch)
    val_acc = accuracy(val_loader)
    print(f"Epoch {epoch:02d}: loss = {train_loss:.3f}, accuracy on validation set = "
          f"{val_acc:.3f}", flush=True)
    logger.log({"epoch": epoch, "train_loss": train_loss, "val_acc": val_acc,
                "seconds": time.perf_counter() - t0})
    minidl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "epoch": epoch, "val_acc": val_acc, "config": config,
                 "rng": minidl.get_rng_state()}, checkpoint_path(ckpt_dir, epoch))

plot_curves(logger.metrics_path, ckpt_dir / "curves.png", title="traffic signs")
print(f"checkpoints: {ckpt_dir}/ckpt_epoch_1.ckpt .. ckpt_epoch_{args.epoch}.ckpt; "
      f"test with: python test.py --ckpt_path {ckpt_dir} --epoch {args.epoch}", flush=True)
