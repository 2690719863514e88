"""S8: land-cover segmentation of satellite images with FCN-32s (VGG-16) or DeepLabv3 (ResNet-50).

    python examples/segmentation.py --model fcn32s
    python examples/segmentation.py --model deeplabv3 --data folder --root p3_data
    python examples/segmentation.py --model deeplabv3 --predict p3_data/validation

Reads top to bottom:

1. flags;
2. data: the course's folders (``ROOT/train`` and ``ROOT/validation`` of ``xxxx_sat.jpg`` +
   ``xxxx_mask.png``, masks colour-coded as in :mod:`minidl.data.datasets.satellite`), or,
   when they are absent, a generated stand-in with the same 7 classes and colours (with a
   banner); images are resized to ``--size`` (CPU-sized by default);
3. the model: the paper's networks by default; on the stand-in a reduced width
   (``--width`` for FCN-32s) or a smaller backbone (``--backbone`` for DeepLabv3), said on
   screen;
4. the epoch loop: cross-entropy over the 7 classes (plus 0.4 x the auxiliary head's with
   ``--aux``), a progress bar, validation mIoU as the course's evaluator computes it (pixels
   pooled over the whole set, mean over the six land-cover classes, "unknown" pixels still
   counted), metrics.csv, best and last checkpoints, ``--resume``;
5. the per-class IoU table of the best checkpoint, the curves, and ``masks.png``: chosen
   validation images with their ground truth and the predictions of an early, a middle and
   the final epoch.

``--predict DIR`` skips training: it loads OUT/best.ckpt, segments every ``xxxx_sat.jpg`` in
DIR and writes colour-coded ``xxxx_mask.png`` files (at the image's own size) that the
course's evaluator reads.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np
from PIL import Image

import minidl
import minidl.nn.functional as F
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.data import DataLoader, Subset
from minidl.data import transforms as T
from minidl.data.datasets import (LAND_COVER_CLASSES, SatelliteSegmentation, SyntheticSatellite,
                                  mask_to_rgb)
from minidl.data.datasets.satellite import UNKNOWN
from minidl.models import deeplabv3, fcn32s
from minidl.utils import ProgressBar, RunLogger, format_epoch_summary, plot_curves
from minidl.utils.metrics import confusion_matrix, iou_from_confusion_matrix, mean_iou_from_confusion_matrix

BANNER = """\
==============================================================================
  The course's satellite images (ROOT/train, ROOT/validation with xxxx_sat.jpg
  and xxxx_mask.png) are not on this machine. Training on a GENERATED
  stand-in instead: regions of the same 7 land-cover classes and colours,
  with their own textures, at a CPU-sized resolution. Its mIoU says the code
  trains; it is not comparable with the course report (FCN-32s 56.4%,
  DeepLabv3 72.9%). Pass --data folder --root DIR for the real data.
=============================================================================="""
NUM_CLASSES = len(LAND_COVER_CLASSES)  # 7: six land-cover classes and "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["fcn32s", "deeplabv3"], default="deeplabv3")
    g = p.add_argument_group("data")
    g.add_argument("--data", choices=["auto", "folder", "synthetic"], default="auto",
                   help="auto: the folders under --root if present, else the generated stand-in")
    g.add_argument("--root", default="p3_data", help="folder holding train/ and validation/")
    g.add_argument("--size", type=int, default=None,
                   help="train/validate at SIZE x SIZE (default 128 on the folders, 64 on the stand-in)")
    g.add_argument("--train-images", type=int, default=320, help="stand-in training images")
    g.add_argument("--val-images", type=int, default=64, help="stand-in validation images")
    g = p.add_argument_group("model (defaults: the paper's networks; smaller on the stand-in)")
    g.add_argument("--width", type=float, default=None,
                   help="FCN-32s channel multiplier (default 1.0; 0.125 on the stand-in)")
    g.add_argument("--upsample", choices=["deconv", "bilinear"], default="deconv",
                   help="FCN-32s upsampler: learnable bilinear-initialised deconvolution or fixed")
    g.add_argument("--backbone", choices=["resnet18", "resnet34", "resnet50"], default=None,
                   help="DeepLabv3 backbone (default resnet50; resnet18 on the stand-in)")
    g.add_argument("--channels", type=int, default=None,
                   help="DeepLabv3 ASPP width (default 256; 64 on the stand-in)")
    g.add_argument("--output-stride", type=int, choices=[8, 16, 32], default=8)
    g.add_argument("--rates", type=int, nargs="+", default=None,
                   help="ASPP atrous rates (default 12 24 36 at stride 8, 6 12 18 at 16; "
                        "2 4 6 on the stand-in, whose maps are 8x8)")
    g.add_argument("--aux", action="store_true", help="DeepLabv3 auxiliary head (loss weight 0.4)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=None, help="default 8 (2 with --quick)")
    g.add_argument("--batch-size", type=int, default=8)
    g.add_argument("--lr", type=float, default=None, help="Adam lr (default 1e-3; 1e-4 for FCN-32s)")
    g.add_argument("--weight-decay", type=float, default=0.0)
    g = p.add_argument_group("run")
    g.add_argument("--quick", action="store_true", help="a few-second smoke run")
    g.add_argument("--show", type=int, nargs="+", default=[0, 1, 2],
                   help="validation images drawn in masks.png")
    g.add_argument("--predict", metavar="DIR", default=None,
                   help="segment DIR/*_sat.jpg with OUT/best.ckpt, write colour-coded masks")
    g.add_argument("--predict-out", default=None, help="where --predict writes (default OUT/predict)")
    g.add_argument("--device", default="cpu")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default=None, help="run directory (default runs/seg-MODEL)")
    g.add_argument("--resume", action="store_true", help="continue from OUT/last.ckpt")
    g.add_argument("--no-progress", dest="progress", action="store_false")
    return p


# ------------------------------------------------------------------------------ data
def load_datasets(args):
    """(train, val, source) datasets of (HWC uint8 image, HW int64 mask)."""
    root = pathlib.Path(args.root)
    source = args.data
    if source in ("auto", "folder"):
        try:
            requested = args.size
            args.size = args.size or 128
            train = SatelliteSegmentation(root / "train", size=args.size)
            val = SatelliteSegmentation(root / "validation", size=args.size)
            source = "folder"
        except FileNotFoundError as err:
            if args.data == "folder":
                raise SystemExit(f"error: {err}")
            print(BANNER)
            print(f"  ({err})\n", flush=True)
            source, args.size = "synthetic", requested
    if source == "synthetic":
        args.size = args.size or (32 if args.quick else 64)
        n_train, n_val = (4, 2) if args.quick else (args.train_images, args.val_images)
        train = SyntheticSatellite(n_train, args.size, seed=args.seed, train=True)
        val = SyntheticSatellite(n_val, args.size, seed=args.seed, train=False)
    if args.quick:
        train, val = Subset(train, range(min(4, len(train)))), Subset(val, range(min(2, len(val))))
    return train, val, source


def channel_stats(dataset, limit: int = 200):
    images = np.stack([dataset[i][0] for i in range(min(len(dataset), limit))]).astype(np.float64)
    mean, std = images.mean(axis=(0, 1, 2)) / 255, images.std(axis=(0, 1, 2)) / 255
    return mean.astype(np.float32).reshape(1, 3, 1, 1), std.astype(np.float32).reshape(1, 3, 1, 1)


def prepare_batch(images, masks, args, mean, std, train: bool):
    """uint8 (N, H, W, 3) + (N, H, W) -> normalised float32 (N, 3, H, W) + labels; the same
    random flips for an image and its mask when training."""
    x = np.asarray(images.data if hasattr(images, "data") else images).transpose(0, 3, 1, 2)
    y = np.asarray(masks.data if hasattr(masks, "data") else masks)
    if train:
        rng = T.get_generator()
        for axis in (3, 2):  # horizontal, then vertical flips: satellite images have no "up"
            flip = rng.random(len(x)) < 0.5
            x[flip] = np.flip(x[flip], axis=axis)
            y[flip] = np.flip(y[flip], axis=axis - 1)
    x = (x.astype(np.float32) / 255 - mean) / std
    return minidl.tensor(x, device=args.device), minidl.tensor(y.astype(np.int64), device=args.device)


# ----------------------------------------------------------------------------- model
def build_model(args, source: str):
    stand_in = source == "synthetic"
    if args.model == "fcn32s":
        args.width = args.width or (0.125 if stand_in else 1.0)
        args.lr = args.lr or 1e-4
        model = fcn32s(NUM_CLASSES, width=args.width, upsample=args.upsample)
        what = f"FCN-32s, VGG-16 width x{args.width:g}, {args.upsample} upsampling"
    else:
        args.backbone = args.backbone or ("resnet18" if stand_in else "resnet50")
        args.channels = args.channels or (64 if stand_in else 256)
        if args.rates is None:
            args.rates = [2, 4, 6] if stand_in else ([12, 24, 36] if args.output_stride == 8
                                                     else [6, 12, 18])
        args.lr = args.lr or 1e-3
        model = deeplabv3(NUM_CLASSES, backbone=args.backbone, aux=args.aux,
                          output_stride=args.output_stride, atrous_rates=args.rates,
                          channels=args.channels)
        what = (f"DeepLabv3, {args.backbone} backbone, output stride {args.output_stride}, "
                f"ASPP rates {tuple(args.rates)} x {args.channels} channels"
                + (", aux head" if args.aux else ""))
    return model, what


def scores(model, x):
    """(main scores, auxiliary scores or None): FCN returns a tensor, DeepLabv3 a dict."""
    out = model(x)
    return (out["out"], out.get("aux")) if isinstance(out, dict) else (out, None)


# ------------------------------------------------------------------------ one epoch
def train_one_epoch(model, loader, optimizer, args, mean, std, desc):
    model.train()
    bar = ProgressBar(total=len(loader.dataset), desc=desc, disable=not args.progress or None)
    with bar:
        for images, masks in loader:
            x, y = prepare_batch(images, masks, args, mean, std, train=True)
            out, aux = scores(model, x)
            loss = F.cross_entropy(out, y)
            if aux is not None:
                loss = loss + 0.4 * F.cross_entropy(aux, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            acc = float((out.argmax(dim=1) == y).float().mean().item())
            bar.update(len(y), loss=loss.item(), acc=acc)
    return bar.summary()


@minidl.no_grad()
def evaluate(model, loader, args, mean, std):
    """(mean loss, evaluator mIoU, per-class IoU, confusion matrix) over the whole set."""
    model.eval()
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    total_loss, count = 0.0, 0
    for images, masks in loader:
        x, y = prepare_batch(images, masks, args, mean, std, train=False)
        out, _ = scores(model, x)
        total_loss += F.cross_entropy(out, y).item() * len(y)
        count += len(y)
        cm += confusion_matrix(out.argmax(dim=1), y, NUM_CLASSES)  # pooled over all pixels
    miou = mean_iou_from_confusion_matrix(cm, mode="evaluator", exclude=UNKNOWN)
    return total_loss / count, miou, iou_from_confusion_matrix(cm), cm


@minidl.no_grad()
def predict_labels(model, images, args, mean, std):
    """Class labels (N, H, W) of uint8 images (N, H, W, 3)."""
    model.eval()
    x, _ = prepare_batch(images, np.zeros(images.shape[:3], np.int64), args, mean, std, train=False)
    out, _ = scores(model, x)
    return out.argmax(dim=1).numpy()


def iou_table(iou) -> str:
    lines = ["class         IoU"]
    for name, value in zip(LAND_COVER_CLASSES, iou):
        shown = "  n/a" if np.isnan(value) else f"{100 * value:5.1f}%"
        lines.append(f"{name:<12} {shown}" + ("   (not in the mean)" if name == "unknown" else ""))
    return "\n".join(lines)


def save_mask_figure(snapshots: dict, images, truths, path, title: str) -> None:
    """Rows: chosen images; columns: image, ground truth, predictions at the saved epochs."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = sorted(snapshots)
    cols = 2 + len(epochs)
    fig = Figure(figsize=(2.0 * cols, 2.0 * len(images) + 0.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(images), cols, squeeze=False)
    for r in range(len(images)):
        panels = [(images[r], "image"), (mask_to_rgb(truths[r]), "ground truth")]
        panels += [(mask_to_rgb(snapshots[e][r]), f"epoch {e}") for e in epochs]
        for c, (picture, name) in enumerate(panels):
            axes[r, c].imshow(picture, interpolation="nearest")
            axes[r, c].set_axis_off()
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path)


# --------------------------------------------------------------------------- predict
def predict_folder(args) -> None:
    out = pathlib.Path(args.out)
    ckpt = minidl.load(out / "best.ckpt", map_location=args.device)
    for key, value in ckpt["config"].items():  # the architecture and input size it was trained at
        setattr(args, key, value)
    model, what = build_model(args, ckpt["source"])
    model.load_state_dict(ckpt["model"])
    mean, std = np.asarray(ckpt["mean"], np.float32), np.asarray(ckpt["std"], np.float32)
    dest = pathlib.Path(args.predict_out or out / "predict")
    dest.mkdir(parents=True, exist_ok=True)
    files = sorted(pathlib.Path(args.predict).glob("*_sat.jpg"))
    if not files:
        raise SystemExit(f"error: no xxxx_sat.jpg files in {args.predict}")
    print(f"{what}; checkpoint {out / 'best.ckpt'} (epoch {ckpt['epoch']}, "
          f"mIoU {100 * ckpt['miou']:.1f}%)", flush=True)
    for path in ProgressBar(files, desc="predict", disable=not args.progress or None):
        with Image.open(path) as img:
            img = img.convert("RGB")
            full = img.size
            small = np.asarray(img.resize((args.size, args.size), Image.BILINEAR))[None]
        labels = predict_labels(model, small, args, mean, std)[0].astype(np.uint8)
        labels = Image.fromarray(labels).resize(full, Image.NEAREST)  # back to the image's size
        name = path.name[:-len("_sat.jpg")] + "_mask.png"
        Image.fromarray(mask_to_rgb(np.asarray(labels))).save(dest / name)
    print(f"wrote {len(files)} colour-coded masks to {dest}")


# ------------------------------------------------------------------------------ run
CONFIG_KEYS = ("model", "size", "width", "upsample", "backbone", "channels", "output_stride",
               "rates", "aux")


def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    require_device(args.device)
    args.out = args.out or f"runs/seg-{args.model}"
    if args.predict:
        return predict_folder(args)
    minidl.manual_seed(args.seed)
    out = pathlib.Path(args.out)

    train_set, val_set, source = load_datasets(args)
    if args.quick:
        args.batch_size = min(args.batch_size, 4)
    args.epochs = args.epochs or (2 if args.quick else 8)
    mean, std = channel_stats(train_set)
    # drop_last: a last batch of one image has no batch statistics for BatchNorm
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=16)
    print(f"data: {source}, {len(train_set)} train / {len(val_set)} validation images at "
          f"{args.size}x{args.size}", flush=True)

    model, what = build_model(args, source)
    model = model.to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {what}; {n_params:,} parameters", flush=True)
    optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    print(f"recipe: Adam lr {args.lr}, batch {args.batch_size}, {args.epochs} epochs", flush=True)

    show = [i for i in args.show if i < len(val_set)]
    show_images = np.stack([val_set[i][0] for i in show])
    show_truth = np.stack([val_set[i][1] for i in show])
    snapshot_epochs = sorted({1, (args.epochs + 1) // 2, args.epochs})
    config = {k: getattr(args, k) for k in CONFIG_KEYS}

    start_epoch, best_miou = 0, -1.0
    if args.resume:
        ckpt = minidl.load(out / "last.ckpt", map_location=args.device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        minidl.set_rng_state(ckpt["rng"])
        start_epoch, best_miou = ckpt["epoch"], ckpt["best_miou"]
        print(f"resumed from {out / 'last.ckpt'} after epoch {start_epoch}")
    logger = RunLogger(out, config={**vars(args), "data_source": source})

    for epoch in range(start_epoch + 1, args.epochs + 1):
        t0 = time.perf_counter()
        train = train_one_epoch(model, train_loader, optimizer, args, mean, std,
                                desc=f"epoch {epoch}/{args.epochs}")
        val_loss, miou, _, _ = evaluate(model, val_loader, args, mean, std)
        seconds = time.perf_counter() - t0
        logger.log({"epoch": epoch, "train_loss": train["loss"], "train_acc": train["acc"],
                    "val_loss": val_loss, "val_miou": miou, "seconds": seconds})
        if epoch in snapshot_epochs:  # predicted masks of the chosen images at this epoch
            np.save(out / f"masks_epoch{epoch:03d}.npy", predict_labels(model, show_images, args,
                                                                       mean, std))
        state = {"model": model.state_dict(), "epoch": epoch, "miou": miou, "config": config,
                 "source": source, "mean": mean, "std": std}
        improved = miou > best_miou or (np.isnan(best_miou) and not np.isnan(miou))
        if improved:
            best_miou = miou
            minidl.save(state, out / "best.ckpt")
        minidl.save({**state, "optimizer": optimizer.state_dict(), "best_miou": best_miou,
                     "rng": minidl.get_rng_state()}, out / "last.ckpt")
        print(format_epoch_summary(epoch, args.epochs, seconds=seconds, train_loss=train["loss"],
                                   train_acc=train["acc"], val_loss=val_loss)
              + f"  val_mIoU {100 * miou:.1f}%" + ("  (best, saved)" if improved else ""),
              flush=True)

    plot_curves(out / "metrics.csv", out / "curves.png", title=f"{args.model} on {source}")
    final = out / f"masks_epoch{args.epochs:03d}.npy"
    if not final.exists():  # a run resumed with fewer --epochs than it was started with
        np.save(final, predict_labels(model, show_images, args, mean, std))
    snapshots = {int(p.stem[len("masks_epoch"):]): np.load(p)
                 for p in sorted(out.glob("masks_epoch*.npy"))}
    save_mask_figure(snapshots, show_images, show_truth, out / "masks.png",
                     f"{what} on {source}: validation images, ground truth, predictions")
    best = minidl.load(out / "best.ckpt", map_location=args.device)
    model.load_state_dict(best["model"])
    _, miou, iou, _ = evaluate(model, val_loader, args, mean, std)
    print(f"\nbest checkpoint: epoch {best['epoch']}; per-class IoU on the validation set "
          f"(pixels pooled over all images):\n{iou_table(iou)}")
    print(f"validation mIoU (evaluator rule, six land-cover classes): {100 * miou:.2f}% "
          f"(data: {source}; run directory: {out}; masks: {out / 'masks.png'})", flush=True)
    return {"miou": miou, "iou": iou, "source": source}


if __name__ == "__main__":
    main()
    sys.exit(0)
