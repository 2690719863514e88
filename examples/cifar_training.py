"""The training program shared by the CIFAR-10 examples (S1 simple_cnn_cifar.py, S2 resnet18_cifar.py).

Each example script states its recipe (model, optimizer, learning rate, epochs, scheduler)
and calls :func:`run`, which reads top to bottom as a course training script does:

1. command-line flags (every recipe value can be overridden);
2. data: real CIFAR-10 when it is on disk or downloadable, else the generated stand-in
   (with a banner saying so); 45,000 / 5,000 train / validation split of the training set;
3. model, optimizer, scheduler (and ``--resume`` from the last checkpoint);
4. the epoch loop: train with a progress bar, validate, log metrics.csv, keep the best
   checkpoint by validation accuracy;
5. reload the best checkpoint, evaluate on the test set, plot the curves.

Augmentation (random crop with 4-pixel padding, horizontal flip) and normalisation run on
whole batches, as array operations, after the DataLoader has stacked the uint8 images.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np

import minidl
import minidl.nn as nn
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.data import DataLoader, Subset, random_split
from minidl.data import transforms as T
from minidl.data.datasets import CIFAR10, DownloadError, SyntheticShapes
from minidl.utils import (ProgressBar, RunDirectory, RunLogger, add_run_arguments,
                          format_epoch_summary, plot_curves)

BANNER = """\
==============================================================================
  CIFAR-10 is not on this machine and cannot be downloaded here.
  Training on the generated SHAPES stand-in instead: 10 classes of coloured
  figures on textured backgrounds, 32x32 RGB, the same shapes and task as
  CIFAR-10 but NOT CIFAR-10. Its accuracy says the code trains; it is not
  comparable with the course report. For the real thing, put the CIFAR-10
  archive under $MINIDL_DATA (see the error below) or pass --data cifar10.
=============================================================================="""


@dataclasses.dataclass
class Recipe:
    """The defaults of one course experiment (overridable by flags)."""

    name: str
    description: str
    build_model: callable
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    epochs: int = 30
    batch_size: int = 128
    scheduler: str = "none"
    step_size: int = 10
    gamma: float = 0.5
    # what the default command does when it falls back to the stand-in data set: fewer
    # images and epochs, and (optionally) a short-run recipe; flags still override it
    synthetic_train: int = 10_000
    synthetic_test: int = 2_000
    synthetic_epochs: int = 5
    synthetic_recipe: dict = dataclasses.field(default_factory=dict)

    def defaults(self, source: str) -> dict:
        """The recipe's optimisation settings for a data source ("cifar10" or "synthetic")."""
        values = {"optimizer": self.optimizer, "lr": self.lr, "weight_decay": self.weight_decay,
                  "batch_size": self.batch_size, "scheduler": self.scheduler,
                  "epochs": self.epochs if source == "cifar10" else self.synthetic_epochs}
        if source == "synthetic":
            values.update(self.synthetic_recipe)
        return values


def build_parser(recipe: Recipe) -> argparse.ArgumentParser:
    on_cifar, on_synthetic = recipe.defaults("cifar10"), recipe.defaults("synthetic")

    def default(name):
        if on_cifar[name] == on_synthetic[name]:
            return f"default {on_cifar[name]}"
        return f"default {on_cifar[name]} on CIFAR-10, {on_synthetic[name]} on the stand-in"

    p = argparse.ArgumentParser(description=recipe.description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--data", choices=["auto", "cifar10", "synthetic"], default="auto",
                   help="auto: CIFAR-10 if present or downloadable, else the generated stand-in")
    g.add_argument("--root", default=None, help="data directory (default $MINIDL_DATA or ~/.cache/minidl)")
    g.add_argument("--subset", type=int, default=None, metavar="N",
                   help="train on the first N training images only")
    g.add_argument("--no-augment", dest="augment", action="store_false",
                   help="no random crop / horizontal flip")
    g.add_argument("--no-normalize", dest="normalize", action="store_false",
                   help="feed pixels in [0, 1] without per-channel normalisation")
    g = p.add_argument_group("optimisation")
    # None means "the recipe's value for the data source in use", filled in by run()
    g.add_argument("--optimizer", choices=["adam", "sgd"], default=None, help=default("optimizer"))
    g.add_argument("--lr", type=float, default=None, help="learning rate, " + default("lr"))
    g.add_argument("--weight-decay", type=float, default=None, help=default("weight_decay"))
    g.add_argument("--momentum", type=float, default=recipe.momentum, help="SGD momentum")
    g.add_argument("--epochs", type=int, default=None, help=default("epochs"))
    g.add_argument("--batch-size", type=int, default=None, help=default("batch_size"))
    g.add_argument("--scheduler", choices=["none", "step", "cosine"], default=None,
                   help="step: StepLR; cosine: cosine annealing over the run; " + default("scheduler"))
    g.add_argument("--step-size", type=int, default=recipe.step_size, help="StepLR period (epochs)")
    g.add_argument("--gamma", type=float, default=recipe.gamma, help="StepLR factor")
    g = p.add_argument_group("run")
    g.add_argument("--quick", action="store_true",
                   help="a 1-2 minute smoke run: few images, one epoch")
    g.add_argument("--device", default="cpu", help="cpu or cuda")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--workers", type=int, default=0,
                   help="data-loading worker processes (0: a background thread prefetches)")
    add_run_arguments(g, default_out=f"runs/{recipe.name}")  # --out, --resume, --overwrite
    g.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars (one summary line per epoch only)")
    return p


# ------------------------------------------------------------------------------ data
def load_datasets(args, recipe: Recipe):
    """(train, val, test, source): datasets of (HWC uint8 image, label) and a name."""
    source = args.data
    if source in ("auto", "cifar10"):
        try:
            train_full = CIFAR10(args.root, train=True, download=True)
            test = CIFAR10(args.root, train=False, download=True)
            source = "cifar10"
        except (DownloadError, FileNotFoundError, OSError) as err:
            if args.data == "cifar10":
                raise SystemExit(f"error: {err}")
            print(BANNER)
            print(f"  ({str(err).splitlines()[0]})\n", flush=True)
            source = "synthetic"
    if source == "synthetic":
        train_full = SyntheticShapes(n=recipe.synthetic_train + recipe.synthetic_train // 10,
                                     train=True, seed=args.seed)
        test = SyntheticShapes(n=recipe.synthetic_test, train=False, seed=args.seed)
    n_val = len(train_full) // 10  # 5,000 of CIFAR-10's 50,000
    train, val = random_split(train_full, [len(train_full) - n_val, n_val],
                              generator=np.random.default_rng(args.seed))
    if args.subset:
        train = Subset(train, range(min(args.subset, len(train))))
    if args.quick:
        train = Subset(train, range(min(len(train), 512)))
        val = Subset(val, range(min(len(val), 256)))
        test = Subset(test, range(min(len(test), 256)))
    return train, val, test, source


def channel_stats(dataset, limit: int = 10_000):
    """Per-channel mean and std of (up to ``limit``) training images, in [0, 1] units."""
    images = np.stack([dataset[i][0] for i in range(min(len(dataset), limit))]).astype(np.float64)
    return images.mean(axis=(0, 1, 2)) / 255.0, images.std(axis=(0, 1, 2)) / 255.0


def prepare_batch(images, args, mean, std, train: bool):
    """uint8 (N, H, W, C) -> float32 (N, C, H, W): augment, scale to [0, 1], normalise."""
    x = images.numpy().transpose(0, 3, 1, 2)
    if train and args.augment:
        x = T.batch_random_crop(x, 32, padding=4)
        x = T.batch_random_horizontal_flip(x)
    x = x.astype(np.float32) / 255.0
    if args.normalize:
        x = (x - mean) / std
    return minidl.tensor(x, device=args.device)


# ------------------------------------------------------------------------ one epoch
def train_one_epoch(model, loader, loss_fn, optimizer, args, mean, std, desc):
    model.train()
    bar = ProgressBar(total=len(loader.dataset), desc=desc, disable=not args.progress or None)
    with bar:
        for images, labels in loader:
            x = prepare_batch(images, args, mean, std, train=True)
            y = labels.to(args.device)
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            acc = float((logits.argmax(dim=1) == y).float().mean().item())
            bar.update(len(y), loss=loss.item(), acc=acc)
    return bar.summary()


@minidl.no_grad()
def evaluate(model, loader, loss_fn, args, mean, std, desc="eval"):
    model.eval()
    bar = ProgressBar(total=len(loader.dataset), desc=desc, disable=not args.progress or None,
                      leave=False)
    with bar:
        for images, labels in loader:
            x = prepare_batch(images, args, mean, std, train=False)
            y = labels.to(args.device)
            logits = model(x)
            acc = float((logits.argmax(dim=1) == y).float().mean().item())
            bar.update(len(y), loss=loss_fn(logits, y).item(), acc=acc)
    return bar.summary()


# ------------------------------------------------------------------------------ run
def run(recipe: Recipe, argv=None) -> dict:
    args = build_parser(recipe).parse_args(argv)
    require_device(args.device)  # exits with a clear message when absent
    minidl.manual_seed(args.seed)
    # refuses to reuse a directory holding a run unless --resume / --overwrite
    run_dir = RunDirectory(args.out, resume=args.resume, overwrite=args.overwrite)
    out = run_dir.path

    train_set, val_set, test_set, source = load_datasets(args, recipe)
    if args.quick and args.epochs is None:
        args.epochs = 1
    for name, value in recipe.defaults(source).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    mean, std = channel_stats(train_set)
    mean = mean.astype(np.float32).reshape(1, 3, 1, 1)
    std = std.astype(np.float32).reshape(1, 3, 1, 1)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    val_loader = DataLoader(val_set, batch_size=256, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers)
    print(f"data: {source}, {len(train_set)} train / {len(val_set)} validation / "
          f"{len(test_set)} test images", flush=True)

    model = recipe.build_model().to(args.device)
    loss_fn = nn.CrossEntropyLoss()
    if args.optimizer == "adam":
        optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay)
    scheduler = None
    if args.scheduler == "step":
        scheduler = optim.lr_scheduler.StepLR(optimizer, args.step_size, args.gamma)
    elif args.scheduler == "cosine":
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    print(f"recipe: {args.optimizer}, lr {args.lr}, weight decay {args.weight_decay}, "
          f"batch {args.batch_size}, {args.epochs} epochs, scheduler {args.scheduler}", flush=True)

    start_epoch, best_acc = 0, -1.0
    if run_dir.resuming:
        ckpt = run_dir.load_checkpoint(map_location=args.device)  # metrics.csv trimmed to it
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None and ckpt["scheduler"] is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        minidl.set_rng_state(ckpt["rng"])
        start_epoch, best_acc = ckpt["epoch"], ckpt["best_val_acc"]
        print(f"resumed from {run_dir.checkpoint_path} after epoch {start_epoch}")
    logger = RunLogger(out, config={**vars(args), "data_source": source, "recipe": recipe.name})

    epochs_done = start_epoch

    def save_last():
        """The resumable state after ``epochs_done`` epochs (also what Ctrl-C saves)."""
        minidl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict() if scheduler is not None else None,
                     "epoch": epochs_done, "best_val_acc": best_acc,
                     "rng": minidl.get_rng_state()}, run_dir.checkpoint_path)

    with run_dir.save_on_interrupt(save_last):  # Ctrl-C: save, print the resume command
        for epoch in range(start_epoch, args.epochs):
            t0 = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            train = train_one_epoch(model, train_loader, loss_fn, optimizer, args, mean, std,
                                    desc=f"epoch {epoch + 1}/{args.epochs}")
            val = evaluate(model, val_loader, loss_fn, args, mean, std, desc="validate")
            if scheduler is not None:
                scheduler.step()
            seconds = time.perf_counter() - t0
            row = {"epoch": epoch + 1, "lr": lr, "train_loss": train["loss"],
                   "train_acc": train["acc"], "val_loss": val["loss"], "val_acc": val["acc"],
                   "seconds": seconds}
            logger.log(row)
            improved = val["acc"] > best_acc
            if improved:
                best_acc = val["acc"]
                minidl.save({"model": model.state_dict(), "epoch": epoch + 1, "val_acc": best_acc},
                            out / "best.ckpt")
            epochs_done = epoch + 1
            save_last()
            print(format_epoch_summary(epoch + 1, args.epochs, seconds=seconds, lr=lr,
                                       train_loss=train["loss"], train_acc=train["acc"],
                                       val_loss=val["loss"], val_acc=val["acc"])
                  + ("  (best, saved)" if improved else ""), flush=True)

    plot_curves(out / "metrics.csv", out / "curves.png", title=f"{recipe.name} on {source}")
    best = minidl.load(out / "best.ckpt", map_location=args.device)
    model.load_state_dict(best["model"])
    test = evaluate(model, test_loader, loss_fn, args, mean, std, desc="test")
    print(f"test: loss {test['loss']:.4f}, accuracy {100 * test['acc']:.2f}% "
          f"(best checkpoint: epoch {best['epoch']}, validation accuracy {100 * best['val_acc']:.2f}%; "
          f"data: {source}; run directory: {out})", flush=True)
    return {"test_acc": test["acc"], "test_loss": test["loss"], "best_epoch": best["epoch"],
            "source": source}


if __name__ == "__main__":
    sys.exit("run examples/simple_cnn_cifar.py or examples/resnet18_cifar.py")
