"""S7, step 1: BYOL self-supervised pre-training of a ResNet backbone on unlabelled images.

    python examples/byol_pretrain.py                                   # the stand-in
    python examples/byol_pretrain.py --data folder --root mini/train   # the course's images

Reads top to bottom:

1. flags (the report's recipe: Adam lr 0.01 is too high for the short CPU runs; 1e-3 here);
2. data: every image of ``--root`` (no labels), or, when absent, the generated SHAPES stand-in
   (with a banner), whose labels are used for nothing but the k-NN probe;
3. the model: :class:`minidl.models.BYOL` around ResNet-50 (ResNet-18 on
   the stand-in; the ImageNet stem, also on 32x32 images), and :class:`minidl.models.BYOLAugment` for the two views of every batch;
4. the loop: loss, Adam step on the online network, EMA update of the target with the
   cosine tau schedule; every ``--probe-every`` epochs (and before training) a k-NN probe:
   the backbone's features of labelled images classify held-out ones by their 20 nearest
   neighbours (cosine similarity), so a user sees the representation improve;
5. ``OUT/backbone.ckpt`` (the online backbone's state_dict alone, for
   examples/byol_finetune.py), last.ckpt for ``--resume``, metrics.csv and curves.png.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

import minidl
import minidl.optim as optim
from minidl.cuda import require_device
from minidl.data import DataLoader, Subset
from minidl.data.datasets import SyntheticShapes, UnlabelledImages
from minidl.models import BYOL, BYOLAugment, resnet18, resnet50
from minidl.utils import ProgressBar, RunLogger, plot_curves

BANNER = """\
==============================================================================
  No unlabelled image folder (--root, e.g. mini/train) on this machine.
  Pre-training on the generated SHAPES stand-in instead (10 kinds of figures,
  labels used only by the k-NN probe). The probe accuracy says the
  representation improves; it is not comparable with the course report.
=============================================================================="""
ARCHS = {"resnet18": resnet18, "resnet50": resnet50}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--data", choices=["auto", "folder", "synthetic"], default="auto")
    g.add_argument("--root", default="mini/train", help="folder of unlabelled images")
    g.add_argument("--size", type=int, default=None, help="view size (default 128; 32 on the stand-in)")
    g.add_argument("--images", type=int, default=2000, help="stand-in images")
    g.add_argument("--probe-images", type=int, default=1000,
                   help="labelled stand-in images the k-NN probe compares with (half as many queries)")
    g = p.add_argument_group("model")
    g.add_argument("--arch", choices=sorted(ARCHS), default=None,
                   help="backbone (default resnet50; resnet18 on the stand-in)")
    g.add_argument("--projection-dim", type=int, default=256)
    g.add_argument("--hidden-dim", type=int, default=None, help="MLP width (default 4096; 512 on the stand-in)")
    g.add_argument("--tau", type=float, default=0.996, help="EMA rate at step 0")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=None, help="default 10 (1 with --quick)")
    g.add_argument("--batch-size", type=int, default=128)
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--weight-decay", type=float, default=1e-6)
    g = p.add_argument_group("run")
    g.add_argument("--probe-every", type=int, default=2, help="k-NN probe every N epochs (0: never)")
    g.add_argument("--quick", action="store_true", help="a few-second smoke run")
    g.add_argument("--device", default="cpu")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default="runs/byol-pretrain")
    g.add_argument("--resume", action="store_true", help="continue from OUT/last.ckpt")
    g.add_argument("--no-progress", dest="progress", action="store_false")
    return p


# ------------------------------------------------------------------------------ data
def load_data(args):
    """(unlabelled training set, probe (bank, queries) or None, source)."""
    if args.data in ("auto", "folder"):
        try:
            requested = args.size
            args.size = args.size or 128
            return UnlabelledImages(args.root, size=args.size), None, "folder"
        except FileNotFoundError as err:
            if args.data == "folder":
                raise SystemExit(f"error: {err}")
            print(BANNER)
            print(f"  ({err})\n", flush=True)
            args.size = requested
    args.size = args.size or 32
    n = 32 if args.quick else args.images
    train = SyntheticShapes(n=n, train=True, seed=args.seed, image_size=args.size)
    n_bank = 32 if args.quick else args.probe_images
    bank = SyntheticShapes(n=n_bank, train=True, seed=args.seed + 1, image_size=args.size)
    queries = SyntheticShapes(n=n_bank // 2, train=False, seed=args.seed, image_size=args.size)
    return train, (bank, queries), "synthetic"


# ------------------------------------------------------------------------------ probe
@minidl.no_grad()
def features(backbone, dataset, mean, std, args) -> np.ndarray:
    """L2-normalised backbone features (N, D) of a labelled dataset, in eval mode."""
    backbone.eval()
    out = []
    for images, _ in DataLoader(dataset, batch_size=256):
        x = (images.numpy().transpose(0, 3, 1, 2).astype(np.float32) / 255 - mean) / std
        out.append(backbone.forward_features(minidl.tensor(x, device=args.device)).numpy())
    f = np.concatenate(out).astype(np.float64)
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)


def knn_accuracy(backbone, probe, mean, std, args, k: int = 20) -> float:
    """Accuracy of a similarity-weighted vote of the ``k`` most cosine-similar bank images."""
    bank, queries = probe
    fb, fq = features(backbone, bank, mean, std, args), features(backbone, queries, mean, std, args)
    yb, yq = np.asarray(bank.targets), np.asarray(queries.targets)
    sim = fq @ fb.T
    nearest = np.argsort(-sim, axis=1)[:, :k]
    votes = np.zeros((len(fq), int(yb.max()) + 1))
    np.add.at(votes, (np.arange(len(fq))[:, None], yb[nearest]), sim[np.arange(len(fq))[:, None], nearest])
    return float((votes.argmax(axis=1) == yq).mean())


# ------------------------------------------------------------------------------ run
def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    require_device(args.device)
    minidl.manual_seed(args.seed)
    out = pathlib.Path(args.out)

    train_set, probe, source = load_data(args)
    stand_in = source == "synthetic"
    args.epochs = args.epochs or (1 if args.quick else 10)
    args.arch = args.arch or ("resnet18" if stand_in else "resnet50")
    args.hidden_dim = args.hidden_dim or (512 if stand_in else 4096)
    if args.quick:
        args.batch_size = min(args.batch_size, 16)
    stem = "imagenet"  # also on 32x32 images: stride 4 before stage 1 keeps CPU runs short
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)  # ImageNet statistics,
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)   # as fine-tuning uses
    augment = BYOLAugment(size=args.size, mean=mean, std=std)
    print(f"data: {source}, {len(train_set)} unlabelled images at {args.size}x{args.size}", flush=True)

    backbone = ARCHS[args.arch](stem=stem)
    byol = BYOL(backbone, args.projection_dim, args.hidden_dim, args.tau).to(args.device)
    optimizer = optim.Adam(list(byol.online_parameters()), lr=args.lr,
                           weight_decay=args.weight_decay)
    total_steps = args.epochs * len(loader)
    print(f"model: BYOL on {args.arch} ({stem} stem), projector/predictor "
          f"{args.hidden_dim}->{args.projection_dim}, tau {args.tau} -> 1 over {total_steps} steps; "
          f"Adam lr {args.lr}, batch {args.batch_size}, {args.epochs} epochs", flush=True)

    start, step = 0, 0
    if args.resume:
        ckpt = minidl.load(out / "last.ckpt", map_location=args.device)
        byol.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        minidl.set_rng_state(ckpt["rng"])
        start, step = ckpt["epoch"], ckpt["step"]
        print(f"resumed from {out / 'last.ckpt'} after epoch {start}")
    logger = RunLogger(out, config={**vars(args), "data_source": source})
    if probe is not None and start == 0 and args.probe_every:
        acc = knn_accuracy(byol.backbone, probe, mean, std, args)
        print(f"epoch 0 (random backbone): k-NN probe accuracy {100 * acc:.1f}%", flush=True)
        logger.log(epoch=0, byol_loss=float("nan"), knn_acc=acc, tau=byol.tau_base, seconds=0.0)

    for epoch in range(start + 1, args.epochs + 1):
        t0 = time.perf_counter()
        byol.train()
        bar = ProgressBar(total=len(loader) * args.batch_size, desc=f"epoch {epoch}/{args.epochs}",
                          disable=not args.progress or None)
        with bar:
            for images, _ in loader:
                v1, v2 = augment(images)
                loss = byol(minidl.tensor(v1, device=args.device),
                            minidl.tensor(v2, device=args.device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                tau = byol.update_target(step, total_steps)
                bar.update(len(v1), loss=loss.item(), tau=tau)
        summary = bar.summary()
        acc = float("nan")
        if probe is not None and args.probe_every and (epoch % args.probe_every == 0
                                                       or epoch == args.epochs):
            acc = knn_accuracy(byol.backbone, probe, mean, std, args)
        seconds = time.perf_counter() - t0
        logger.log(epoch=epoch, byol_loss=summary["loss"], knn_acc=acc, tau=byol.tau,
                   seconds=seconds)
        minidl.save({"backbone": byol.backbone_state_dict(), "arch": args.arch, "stem": stem,
                     "size": args.size, "epoch": epoch}, out / "backbone.ckpt")
        minidl.save({"model": byol.state_dict(), "optimizer": optimizer.state_dict(),
                     "epoch": epoch, "step": step, "rng": minidl.get_rng_state()}, out / "last.ckpt")
        probe_text = "" if np.isnan(acc) else f"  k-NN probe accuracy {100 * acc:.1f}%"
        print(f"epoch {epoch}/{args.epochs}  byol_loss {summary['loss']:.4f}  tau {byol.tau:.5f}  "
              f"{seconds:.1f}s{probe_text}", flush=True)

    plot_curves(out / "metrics.csv", out / "curves.png", title=f"BYOL pre-training on {source}")
    print(f"backbone for fine-tuning: {out / 'backbone.ckpt'} (the online {args.arch}); "
          f"loss curve: {out / 'curves.png'}", flush=True)
    return {"source": source}


if __name__ == "__main__":
    main()
    sys.exit(0)
