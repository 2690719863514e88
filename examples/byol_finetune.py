"""S7, step 2: fine-tune on Office-Home (65 classes) in the report's five settings A-E.

    python examples/byol_pretrain.py                 # writes runs/byol-pretrain/backbone.ckpt
    python examples/byol_finetune.py --setting C
    python examples/byol_finetune.py --all           # the five settings and their table

    A  no pre-training (random backbone), full fine-tune        report: 41.0%
    B  provided pre-trained backbone, full fine-tune            report: 59.5%
    C  own BYOL backbone (byol_pretrain.py), full fine-tune     report: 49.6%
    D  provided backbone frozen, classifier only                report: 53.9%
    E  own BYOL backbone frozen, classifier only                report: 34.0%

Reads top to bottom:

1. flags (the report's recipe: Adam lr 5e-4, batch 64, 100 epochs; Resize, horizontal flip,
   TrivialAugmentWide, Normalize; fewer epochs and 32x32 images on the stand-in);
2. data: ``ROOT/train.csv`` and ``ROOT/val.csv`` (id,filename,label) with the images in
   ``ROOT/train/`` and ``ROOT/val/``, or a generated 65-class stand-in (with a banner);
3. per setting: the backbone (random, ``--pretrained FILE``, or ``--ssl-backbone FILE``), a
   new 65-way linear classifier; frozen settings train the classifier only, with the
   backbone in eval mode so that not even its BatchNorm statistics move (checked: the
   backbone stays bit-identical);
4. the epoch loop with a progress bar and validation accuracy; metrics.csv per setting;
5. with ``--all``, the table of the five validation accuracies beside the report's.

"Provided pre-trained backbone" (B, D): the report used an ImageNet-pretrained ResNet-50.
Pass one with ``--pretrained FILE`` (a minidl checkpoint holding the backbone's state_dict,
as ``{"backbone": ...}`` or alone). On the stand-in, without a file, this script trains one
itself, supervised on a different labelled task (the 10-class SHAPES stand-in) and says so:
a stand-in for the provided weights, from an earlier run of this script, reused when present.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.data import DataLoader
from minidl.data import transforms as T
from minidl.data.datasets import OfficeHome, SyntheticOffice, SyntheticShapes
from minidl.models import resnet18, resnet50
from minidl.utils import ProgressBar, RunLogger, plot_curves

BANNER = """\
==============================================================================
  The course's Office-Home split (ROOT/train.csv, ROOT/val.csv and the image
  folders) is not on this machine. Fine-tuning on a GENERATED 65-class
  stand-in instead (10 figures x 7 colour casts, 32x32). Its accuracies say
  the five settings run and compare; they are not comparable with the
  report's (A 41%, B 59.5%, C 49.6%, D 53.9%, E 34%).
=============================================================================="""
SETTINGS = {  # backbone source, frozen?, the report's validation accuracy
    "A": ("random", False, 41.0), "B": ("provided", False, 59.5), "C": ("ssl", False, 49.6),
    "D": ("provided", True, 53.9), "E": ("ssl", True, 34.0),
}
ARCHS = {"resnet18": resnet18, "resnet50": resnet50}
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--setting", choices=sorted(SETTINGS), default="C")
    p.add_argument("--all", action="store_true", help="run A-E and print the table")
    g = p.add_argument_group("data")
    g.add_argument("--data", choices=["auto", "folder", "synthetic"], default="auto")
    g.add_argument("--root", default="office", help="folder with train.csv, val.csv, train/, val/")
    g.add_argument("--size", type=int, default=None, help="Resize to SIZE (default 128; 32 on the stand-in)")
    g.add_argument("--train-images", type=int, default=1300, help="stand-in training images")
    g.add_argument("--val-images", type=int, default=650, help="stand-in validation images")
    g = p.add_argument_group("backbones")
    g.add_argument("--arch", choices=sorted(ARCHS), default=None,
                   help="default resnet50 (resnet18 on the stand-in); must match the files")
    g.add_argument("--pretrained", default=None, metavar="FILE", help="the provided backbone (B, D)")
    g.add_argument("--provided-images", type=int, default=3000,
                   help="stand-in only: SHAPES images the provided-backbone stand-in is trained on")
    g.add_argument("--provided-epochs", type=int, default=4, help="... and its epochs")
    g.add_argument("--ssl-backbone", default="runs/byol-pretrain/backbone.ckpt", metavar="FILE",
                   help="the own BYOL backbone (C, E), written by byol_pretrain.py")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=None, help="default 100 (6 on the stand-in, 1 with --quick)")
    g.add_argument("--batch-size", type=int, default=64)
    g.add_argument("--lr", type=float, default=5e-4)
    g = p.add_argument_group("run")
    g.add_argument("--quick", action="store_true", help="a few-second smoke run")
    g.add_argument("--device", default="cpu")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default="runs/byol-finetune")
    g.add_argument("--no-progress", dest="progress", action="store_false")
    return p


# ------------------------------------------------------------------------------ data
def load_data(args):
    """(train, val, source): items (uint8 (size, size, 3) image, label); the train set applies
    flip + TrivialAugmentWide per image (Resize happens when an image is read)."""
    augment = T.Compose([T.RandomHorizontalFlip(), T.TrivialAugmentWide()])
    if args.data in ("auto", "folder"):
        try:
            requested = args.size
            args.size = args.size or 128
            root = pathlib.Path(args.root)
            return (OfficeHome(root, "train", args.size, transform=augment),
                    OfficeHome(root, "val", args.size), "folder")
        except FileNotFoundError as err:
            if args.data == "folder":
                raise SystemExit(f"error: {err}")
            print(BANNER)
            print(f"  ({err})\n", flush=True)
            args.size = requested
    args.size = args.size or 32
    n_train, n_val = (65, 65) if args.quick else (args.train_images, args.val_images)
    return (SyntheticOffice(n_train, args.size, args.seed, train=True, transform=augment),
            SyntheticOffice(n_val, args.size, args.seed, train=False), "synthetic")


def to_input(images, args):
    x = images.numpy().transpose(0, 3, 1, 2).astype(np.float32) / 255
    return minidl.tensor((x - MEAN) / STD, device=args.device)


# ------------------------------------------------------------------------- backbones
def read_backbone(path) -> dict:
    """A backbone state_dict from a minidl checkpoint (``{"backbone": sd}``, ``{"model": sd}``
    or the state_dict itself)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    ckpt = minidl.load(path)
    for key in ("backbone", "model"):
        if isinstance(ckpt.get(key), dict):
            return ckpt[key]
    return ckpt


def provided_backbone(args, source: str) -> dict:
    """The "provided" backbone of settings B and D (see the module docstring)."""
    if args.pretrained:
        return read_backbone(args.pretrained)
    if source != "synthetic":
        raise SystemExit("error: settings B and D need the provided backbone: --pretrained FILE")
    path = pathlib.Path(args.out) / "provided-standin" / "backbone.ckpt"
    if path.is_file():
        print(f"provided backbone: {path} (supervised on the SHAPES stand-in by an earlier run "
              f"of this script, standing in for ImageNet weights)", flush=True)
        return read_backbone(path)
    print(f"provided backbone: none given (--pretrained); training a stand-in for it: "
          f"{args.arch} supervised on the 10-class SHAPES stand-in -> {path}", flush=True)
    data = SyntheticShapes(n=128 if args.quick else args.provided_images, train=True,
                           seed=args.seed + 7, image_size=args.size)
    model = ARCHS[args.arch](num_classes=10, stem="imagenet").to(args.device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1 if args.quick else args.provided_epochs):
        model.train()
        bar = ProgressBar(total=len(data), desc=f"provided-backbone stand-in {epoch + 1}",
                          disable=not args.progress or None)
        with bar:
            for images, labels in DataLoader(data, batch_size=64, shuffle=True, drop_last=True):
                loss = F.cross_entropy(model(to_input(images, args)), labels.to(args.device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                bar.update(len(labels), loss=loss.item())
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}
    path.parent.mkdir(parents=True, exist_ok=True)
    minidl.save({"backbone": state, "arch": args.arch}, path)
    return state


def build_model(setting: str, args, source: str):
    """(model, frozen): the backbone of the setting with a new 65-way classifier."""
    kind, frozen, _ = SETTINGS[setting]
    model = ARCHS[args.arch](num_classes=65, stem="imagenet")
    if kind != "random":
        if kind == "provided":
            state = provided_backbone(args, source)
        else:
            try:
                state = read_backbone(args.ssl_backbone)
            except FileNotFoundError:
                raise SystemExit(f"error: setting {setting} needs the own BYOL backbone "
                                 f"{args.ssl_backbone}: run examples/byol_pretrain.py first "
                                 f"(or pass --ssl-backbone FILE)") from None
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing = set(k for k in model.state_dict() if not k.startswith("fc.")) - set(state)
        if missing:
            raise SystemExit(f"error: the backbone file does not fit {args.arch} "
                             f"(missing {sorted(missing)[:3]} ...); pass --arch")
        model.load_state_dict({**model.state_dict(), **state})
    if frozen:
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("fc."))
    return model.to(args.device), frozen


def backbone_arrays(model) -> dict:
    return {k: np.array(v.numpy() if hasattr(v, "numpy") else v, copy=True)
            for k, v in model.state_dict().items() if not k.startswith("fc.")}


# ------------------------------------------------------------------------ one setting
def run_setting(setting: str, train_set, val_set, source: str, args) -> dict:
    minidl.manual_seed(args.seed)
    kind, frozen, report = SETTINGS[setting]
    out = pathlib.Path(args.out) / f"setting-{setting}"
    model, frozen = build_model(setting, args, source)
    before = backbone_arrays(model) if frozen else None
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.Adam(trainable, lr=args.lr)
    print(f"\nsetting {setting}: {kind} backbone, "
          f"{'frozen, classifier only' if frozen else 'full fine-tune'}; "
          f"{sum(p.numel() for p in trainable):,} trainable parameters", flush=True)
    logger = RunLogger(out, config={**vars(args), "setting": setting, "data_source": source})
    # drop_last: a last batch of one image has no batch statistics for BatchNorm
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256)
    best = 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        if frozen:  # BN running statistics of a frozen backbone must not move either
            model.eval()
            model.fc.train()
        bar = ProgressBar(total=len(train_set), desc=f"{setting} epoch {epoch}/{args.epochs}",
                          disable=not args.progress or None)
        with bar:
            for images, labels in train_loader:
                y = labels.to(args.device)
                logits = model(to_input(images, args))
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                bar.update(len(y), loss=loss.item(),
                           acc=float((logits.argmax(dim=1) == y).float().mean().item()))
        train = bar.summary()
        val_acc = evaluate(model, val_loader, args)
        best = max(best, val_acc)
        logger.log(epoch=epoch, train_loss=train["loss"], train_acc=train["acc"], val_acc=val_acc,
                   seconds=time.perf_counter() - t0)
        print(f"{setting} epoch {epoch}/{args.epochs}  train_loss {train['loss']:.4f}  "
              f"train_acc {100 * train['acc']:.1f}%  val_acc {100 * val_acc:.1f}%", flush=True)
    minidl.save({"model": model.state_dict(), "setting": setting, "val_acc": val_acc},
                out / "final.ckpt")
    plot_curves(out / "metrics.csv", out / "curves.png", title=f"setting {setting} on {source}")
    if frozen:
        after = backbone_arrays(model)
        same = all(np.array_equal(before[k], after[k]) for k in before)
        print(f"{setting}: backbone unchanged (bit-identical): {'yes' if same else 'NO'}")
    return {"setting": setting, "val_acc": val_acc, "best_val_acc": best, "report": report}


@minidl.no_grad()
def evaluate(model, loader, args) -> float:
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(to_input(images, args))
        correct += int((logits.argmax(dim=1) == labels.to(args.device)).sum().item())
        total += len(labels)
    return correct / total


# ------------------------------------------------------------------------------ run
def main(argv=None) -> list:
    args = build_parser().parse_args(argv)
    require_device(args.device)
    train_set, val_set, source = load_data(args)
    stand_in = source == "synthetic"
    args.arch = args.arch or ("resnet18" if stand_in else "resnet50")
    args.epochs = args.epochs or (1 if args.quick else (6 if stand_in else 100))
    if args.quick:
        args.batch_size = min(args.batch_size, 32)
    print(f"data: {source}, {len(train_set)} train / {len(val_set)} validation images at "
          f"{args.size}x{args.size}, 65 classes; {args.arch}; Adam lr {args.lr}, batch "
          f"{args.batch_size}, {args.epochs} epochs", flush=True)
    results = [run_setting(s, train_set, val_set, source, args)
               for s in (sorted(SETTINGS) if args.all else [args.setting])]
    print("\nsetting  backbone             training          val acc (last / best)   report")
    for r in results:
        kind, frozen, _ = SETTINGS[r["setting"]]
        print(f"{r['setting']:<8} {kind:<20} {'classifier only' if frozen else 'full':<17} "
              f"{100 * r['val_acc']:5.1f}% / {100 * r['best_val_acc']:5.1f}%        "
              f"{r['report']:.1f}%")
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
