"""Look inside a trained traffic-sign model (S4), as the course's visualize.py does.

    python examples/traffic_signs/visualize.py --type filter  --ckpt_path DIR --layer_idx 0
    python examples/traffic_signs/visualize.py --type feature --ckpt_path DIR --layer_idx 1 --image_idx 5
    python examples/traffic_signs/visualize.py --type tsne    --ckpt_path DIR
    python examples/traffic_signs/visualize.py --type stn     --ckpt_path DIR

* filter: the kernels of conv layer I (0, 1, 2) as a grid: RGB tiles for the first layer,
  one grey tile per (output, input) channel pair for the later ones;
* feature: the feature maps (after the ReLU) of conv layer I for test image J;
* tsne: the last hidden layer (256 features) of the test images mapped to 2-D by t-SNE
  (scikit-learn), one colour per class; the trustworthiness of the map is printed;
* stn: test images before and after the model's spatial transformer (needs --stn).

The PNG files go into CKPT_PATH; their paths are printed.
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np

import minidl
from minidl.cuda import require_device
from minidl.data import Subset
from minidl.utils import make_grid, trustworthiness, tsne

import dataset
from model import load_checkpoint

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--type", required=True, choices=["filter", "feature", "tsne", "stn"])
parser.add_argument("--ckpt_path", default="runs/traffic_signs", help="train.py's --ckpt_path")
parser.add_argument("--epoch", type=int, default=None,
                    help="which ckpt_epoch_N.ckpt (default: the last one saved)")
parser.add_argument("--layer_idx", type=int, default=0, help="conv layer (filter, feature)")
parser.add_argument("--image_idx", type=int, default=0,
                    help="test image (feature); first of the images shown (stn)")
parser.add_argument("--num_images", type=int, default=1000,
                    help="test images embedded by t-SNE")
parser.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity")
parser.add_argument("--device", default="cpu", help="cpu or cuda")
parser.add_argument("--quick", action="store_true", help="t-SNE of 200 test images at most")
args = parser.parse_args()
if args.quick:
    args.num_images = min(args.num_images, 200)
require_device(args.device)

model, ckpt = load_checkpoint(args.ckpt_path, args.epoch, args.device)
_, _, test_set, classes = dataset.datasets(ckpt["config"])
out_dir = pathlib.Path(args.ckpt_path)
epoch = ckpt["epoch"]


def new_figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def tile_figure(tiles, ncols: int, title: str, cmap=None, labels=None):
    """One small axes per tile (an (H, W) or (H, W, 3) array), no ticks."""
    nrows = int(np.ceil(len(tiles) / ncols))
    fig = new_figure(1.0 * ncols + 0.5, 1.0 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(tiles):
            ax.imshow(tiles[i], cmap=cmap, interpolation="nearest")
            if labels is not None:
                ax.set_title(labels[i], fontsize=7)
        else:
            ax.axis("off")
    fig.suptitle(title)
    return fig


def save(fig, name: str) -> None:
    path = out_dir / name
    fig.savefig(path, format="png")
    print(f"saved {path}")


def test_batch(start: int, count: int) -> minidl.Tensor:
    if not 0 <= start < len(test_set):
        raise SystemExit(f"error: --image_idx must be in 0..{len(test_set) - 1}, got {start}")
    images = [test_set[i][0] for i in range(start, min(start + count, len(test_set)))]
    return minidl.tensor(np.stack(images), device=args.device)


with minidl.no_grad():
    if args.type == "filter":
        weight = model.conv(args.layer_idx).weight.numpy()           # (O, C, KH, KW)
        out_channels, in_channels = weight.shape[:2]
        if in_channels == 3:   # first layer: each filter as a colour image, stretched on its own
            low = weight.min(axis=(1, 2, 3), keepdims=True)
            high = weight.max(axis=(1, 2, 3), keepdims=True)
            tiles = ((weight - low) / (high - low + 1e-12)).transpose(0, 2, 3, 1)
            fig = tile_figure(list(tiles), 8, f"conv layer {args.layer_idx}: {out_channels} "
                              f"filters (RGB), epoch {epoch}")
        else:                  # later layers: rows = output channels, columns = input channels
            rows, cols = min(out_channels, 16), min(in_channels, 16)
            shown = weight[:rows, :cols]
            scale = np.abs(shown).max() + 1e-12
            tiles = [shown[o, c] / scale for o in range(rows) for c in range(cols)]
            fig = tile_figure(tiles, cols, f"conv layer {args.layer_idx}: first {rows} filters "
                              f"x first {cols} input channels, epoch {epoch}", cmap="coolwarm")
        save(fig, f"filters_layer{args.layer_idx}.png")

    elif args.type == "feature":
        x = test_batch(args.image_idx, 1)
        maps = model.feature_maps(x, args.layer_idx).numpy()[0]       # (C, H, W)
        shown = maps[:32]
        image = dataset.denormalize(x.numpy())[0].transpose(1, 2, 0)
        label = classes[test_set[args.image_idx][1]]
        fig = tile_figure([image] + list(shown), 8,
                          f"conv layer {args.layer_idx}: {len(shown)} of {len(maps)} feature maps "
                          f"of test image {args.image_idx} (class {label}), epoch {epoch}",
                          cmap="viridis", labels=["input"] + [f"ch {c}" for c in range(len(shown))])
        save(fig, f"features_layer{args.layer_idx}_image{args.image_idx}.png")

    elif args.type == "tsne":
        n = min(args.num_images, len(test_set))
        features, labels = [], []
        for images, targets in dataset.loader(Subset(test_set, range(n)), 256):
            features.append(model.embed(images.to(args.device)).numpy())
            labels.append(targets.numpy())
        features, labels = np.concatenate(features), np.concatenate(labels)
        points = tsne(features, perplexity=min(args.perplexity, (n - 1) / 3), random_state=0)
        trust = trustworthiness(features, points, n_neighbors=min(10, (n - 1) // 2))
        fig = new_figure(7, 6)
        ax = fig.add_subplot()
        colours = [f"C{i}" if i < 10 else None for i in range(len(classes))]
        for k, name in enumerate(classes):
            mask = labels == k
            ax.scatter(points[mask, 0], points[mask, 1], s=6, color=colours[k], label=name)
        ax.legend(title="class", markerscale=3, fontsize=8, loc="best")
        ax.set_title(f"t-SNE of the last hidden layer, {n} test images, epoch {epoch} "
                     f"(trustworthiness {trust:.3f})", fontsize=9)
        save(fig, "tsne.png")
        print(f"t-SNE of {n} test images: trustworthiness (10 neighbours) = {trust:.3f}")

    elif args.type == "stn":
        if model.stn is None:
            raise SystemExit(f"error: the model in {args.ckpt_path} has no spatial transformer "
                             "(train it with --stn)")
        x = test_batch(args.image_idx, 32)
        before = make_grid(dataset.denormalize(x.numpy()), nrow=8)
        after = make_grid(dataset.denormalize(model.stn(x).numpy()), nrow=8)
        fig = new_figure(11, 4)
        for i, (grid, title) in enumerate([(before, "input"), (after, "after the STN")]):
            ax = fig.add_subplot(1, 2, i + 1)
            ax.imshow(grid, interpolation="nearest")
            ax.set_title(title)
            ax.axis("off")
        fig.suptitle(f"spatial transformer, test images {args.image_idx}.."
                     f"{args.image_idx + len(x) - 1}, epoch {epoch}")
        save(fig, "stn.png")
