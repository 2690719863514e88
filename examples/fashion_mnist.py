"""SimpleCNN on the real Fashion-MNIST: a result on real data that this machine can reproduce.

Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grayscale, 10
classes. The model is the S1 SimpleCNN with one input channel (three Conv3x3 -> BN ->
ReLU -> MaxPool2 blocks with 32, 64, 128 channels; 28 -> 14 -> 7 -> 3, so the classifier
sees 128*3*3 features). Adam, lr 1e-3 halved every 3 epochs, 6 epochs, batch 128, random
horizontal flips; the last 5,000 training images are held out for validation and the best
epoch is reloaded for the official test set.

The data: Debian's package `dataset-fashion-mnist` (apt-get install dataset-fashion-mnist,
files under /usr/share/datasets/fashion-mnist), or the four IDX files under $MINIDL_DATA
(or --root).

  python examples/fashion_mnist.py
  python examples/fashion_mnist.py --quick      # 1 epoch on 5,000 images
"""
import argparse
import time

import numpy as np

import minidl
import minidl.nn as nn
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.data import DataLoader, Subset
from minidl.data import transforms as T
from minidl.data.datasets import FashionMNIST
from minidl.models import SimpleCNN
from minidl.utils import (ProgressBar, RunDirectory, RunLogger, add_run_arguments,
                          format_epoch_summary, plot_curves)

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--root", default=None, help="folder with the IDX files (default: search)")
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--step-size", type=int, default=3, help="halve the lr every N epochs")
parser.add_argument("--quick", action="store_true", help="one epoch on 5,000 images")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu")
add_run_arguments(parser, default_out="runs/fashion_mnist")  # --out, --resume, --overwrite
parser.add_argument("--no-progress", dest="progress", action="store_false")


def to_batch(images, args, train):
    """uint8 (N, 28, 28) -> normalised float32 (N, 1, 28, 28), flipped at random in training."""
    x = images.numpy()[:, None].astype(np.float32) / 255.0
    if train:
        x = T.batch_random_horizontal_flip(x)
    return minidl.tensor((x - 0.2860) / 0.3530, device=args.device)  # training-set mean / std


def run_epoch(model, loader, loss_fn, args, optimizer=None, desc=""):
    """One pass over ``loader``; trains when an optimizer is given, else evaluates."""
    model.train(optimizer is not None)
    bar = ProgressBar(total=len(loader.dataset), desc=desc, disable=not args.progress or None,
                      leave=optimizer is not None)
    with bar, minidl.set_grad_enabled(optimizer is not None):
        for images, labels in loader:
            x, y = to_batch(images, args, optimizer is not None), labels.to(args.device)
            logits = model(x)
            loss = loss_fn(logits, y)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            bar.update(len(y), loss=loss.item(),
                       acc=float((logits.argmax(dim=1) == y).float().mean().item()))
    return bar.summary()


def main(argv=None):
    args = parser.parse_args(argv)
    require_device(args.device)  # exits with a clear message when absent
    minidl.manual_seed(args.seed)
    # refuses to reuse a directory holding a run unless --resume / --overwrite
    run_dir = RunDirectory(args.out, resume=args.resume, overwrite=args.overwrite)
    out = run_dir.path
    try:
        train_full = FashionMNIST(args.root, train=True)
        test = FashionMNIST(args.root, train=False)
    except (FileNotFoundError, OSError) as err:
        raise SystemExit(f"error: {err}")
    train, val = Subset(train_full, range(55_000)), Subset(train_full, range(55_000, 60_000))
    if args.quick:
        args.epochs = 1
        train, val = Subset(train_full, range(5_000)), Subset(train_full, range(55_000, 56_000))
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val, batch_size=500)
    test_loader = DataLoader(test, batch_size=500)
    print(f"Fashion-MNIST: {len(train)} train / {len(val)} validation / {len(test)} test images")

    model = SimpleCNN(in_channels=1, num_classes=10, image_size=28).to(args.device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=args.step_size, gamma=0.5)
    start_epoch, best = 0, -1.0
    if run_dir.resuming:
        ckpt = run_dir.load_checkpoint(map_location=args.device)  # metrics.csv trimmed to it
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        minidl.set_rng_state(ckpt["rng"])
        start_epoch, best = ckpt["epoch"], ckpt["best_val_acc"]
        print(f"resumed from {run_dir.checkpoint_path} after epoch {start_epoch}")
    logger = RunLogger(out, config=vars(args))
    epochs_done = start_epoch

    def save_last():
        """The resumable state after ``epochs_done`` epochs (also what Ctrl-C saves)."""
        minidl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "epoch": epochs_done,
                     "best_val_acc": best, "rng": minidl.get_rng_state()}, run_dir.checkpoint_path)

    start = time.perf_counter()
    with run_dir.save_on_interrupt(save_last):  # Ctrl-C: save, print the resume command
        for epoch in range(start_epoch + 1, args.epochs + 1):
            t0 = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            tr = run_epoch(model, train_loader, loss_fn, args, optimizer,
                           desc=f"epoch {epoch}/{args.epochs}")
            va = run_epoch(model, val_loader, loss_fn, args, desc="validate")
            scheduler.step()
            logger.log(epoch=epoch, lr=lr, train_loss=tr["loss"], train_acc=tr["acc"],
                       val_loss=va["loss"], val_acc=va["acc"], seconds=time.perf_counter() - t0)
            if va["acc"] > best:
                best = va["acc"]
                minidl.save({"model": model.state_dict(), "epoch": epoch}, out / "best.ckpt")
            epochs_done = epoch
            save_last()
            print(format_epoch_summary(epoch, args.epochs, seconds=time.perf_counter() - t0,
                                       lr=lr, train_loss=tr["loss"], train_acc=tr["acc"],
                                       val_loss=va["loss"], val_acc=va["acc"]), flush=True)

    plot_curves(out / "metrics.csv", out / "curves.png", title="SimpleCNN on Fashion-MNIST")
    ckpt = minidl.load(out / "best.ckpt", map_location=args.device)
    model.load_state_dict(ckpt["model"])
    te = run_epoch(model, test_loader, loss_fn, args, desc="test")
    print(f"test: accuracy {100 * te['acc']:.2f}% on the {len(test)} official test images "
          f"(best epoch {ckpt['epoch']}; {time.perf_counter() - start:.0f} s in all)")
    return te["acc"]


if __name__ == "__main__":
    main()
