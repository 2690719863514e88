"""The traffic-sign classifier: a small CNN, optionally with BatchNorm, dropout and a spatial
transformer in front (used by train.py, test.py, visualize.py and unit_test.py).

    input (N, 3, 32, 32)
      -> [SpatialTransformer]                 --stn: resample the input through a learnt affine map
      -> 3 blocks: Conv3x3(pad 1) -> [BatchNorm2d] -> ReLU -> MaxPool2x2   (32, 64, 128 channels)
      -> Flatten -> Linear(128*4*4 -> 256) -> ReLU            (the last hidden layer: t-SNE)
      -> [Dropout(p)] -> Linear(256 -> classes)               --dropout P
"""
from __future__ import annotations

import pathlib
import re

import minidl
import minidl.nn as nn
import minidl.nn.functional as F

CHANNELS = (32, 64, 128)
HIDDEN = 256


class SpatialTransformer(nn.Module):
    """Learns, per image, a 2x3 affine map theta and resamples the image through it.

    A localisation network looks at the image and predicts theta; ``affine_grid`` turns theta
    into the input position that each output pixel reads (coordinates in [-1, 1]), and
    bilinear ``grid_sample`` reads it. Both are differentiable in theta, so the localisation
    net learns from the classification loss alone, end to end.

    The last layer starts at zero weights and the identity as its bias: at the start the
    transformer passes images through unchanged, and training moves it away from the identity
    only as far as that helps the classifier.

    Shape:
        input and output: (N, C, H, W); ``theta(x)``: (N, 2, 3).
    """

    def __init__(self, in_channels: int = 3, image_size: int = 32):
        super().__init__()
        self.localization = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (image_size // 4) ** 2, 64), nn.ReLU(),
        )
        self.fc_theta = nn.Linear(64, 6)
        nn.init.zeros_(self.fc_theta.weight)
        with minidl.no_grad():
            self.fc_theta.bias.copy_(minidl.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))

    def theta(self, x):
        return self.fc_theta(self.localization(x)).reshape(-1, 2, 3)

    def forward(self, x):
        grid = F.affine_grid(self.theta(x), x.shape, align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class TrafficSignNet(nn.Module):
    """The classifier of the course's traffic-sign tools.

    Args:
        num_classes: number of sign classes.
        bn: BatchNorm2d after each convolution.
        dropout: dropout probability before the last linear layer (0: none).
        stn: put a :class:`SpatialTransformer` in front.
        image_size: side of the (square) input images; a multiple of 8.
    """

    def __init__(self, num_classes: int, bn: bool = False, dropout: float = 0.0,
                 stn: bool = False, image_size: int = 32):
        super().__init__()
        if image_size % 8:
            raise ValueError(f"TrafficSignNet: image_size must be a multiple of 8, got {image_size}")
        self.stn = SpatialTransformer(3, image_size) if stn else None
        blocks, c_in = [], 3
        for c_out in CHANNELS:
            layers = [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)]
            if bn:
                layers.append(nn.BatchNorm2d(c_out))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            blocks.append(nn.Sequential(*layers))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.hidden = nn.Sequential(nn.Flatten(),
                                    nn.Linear(CHANNELS[-1] * (image_size // 8) ** 2, HIDDEN),
                                    nn.ReLU())
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.classifier = nn.Linear(HIDDEN, num_classes)

    def embed(self, x):
        """The last hidden layer's activations, (N, 256): what t-SNE shows."""
        if self.stn is not None:
            x = self.stn(x)
        for block in self.blocks:
            x = block(x)
        return self.hidden(x)

    def forward(self, x):
        h = self.embed(x)
        if self.dropout is not None:
            h = self.dropout(h)
        return self.classifier(h)

    def conv(self, index: int) -> nn.Conv2d:
        """The convolution of block ``index`` (0, 1, 2)."""
        if not 0 <= index < len(self.blocks):
            raise SystemExit(f"error: --layer_idx must be in 0..{len(self.blocks) - 1} "
                             f"(the model has {len(self.blocks)} conv layers), got {index}")
        return self.blocks[index][0]

    def feature_maps(self, x, index: int):
        """The activations after the ReLU of conv block ``index`` (before its pooling)."""
        self.conv(index)   # checks the index
        if self.stn is not None:
            x = self.stn(x)
        for i, block in enumerate(self.blocks):
            if i == index:
                return block[:-1](x)
            x = block(x)


def build_model(config: dict) -> TrafficSignNet:
    """The model described by a checkpoint's (or train.py's) config."""
    return TrafficSignNet(len(config["classes"]), bn=config["bn"], dropout=config["dropout"],
                          stn=config["stn"], image_size=config["image_size"])


# ------------------------------------------------------------------------- checkpoints
def checkpoint_path(ckpt_dir, epoch: int) -> pathlib.Path:
    return pathlib.Path(ckpt_dir) / f"ckpt_epoch_{epoch}.ckpt"


def saved_epochs(ckpt_dir) -> list[int]:
    """The epochs that have a checkpoint in ``ckpt_dir``, in order."""
    found = (re.fullmatch(r"ckpt_epoch_(\d+)\.ckpt", p.name)
             for p in pathlib.Path(ckpt_dir).glob("ckpt_epoch_*.ckpt"))
    return sorted(int(m.group(1)) for m in found if m)


def load_checkpoint(ckpt_dir, epoch: int | None = None, device: str = "cpu"):
    """(model in eval mode, checkpoint dict) for ``epoch`` (default: the last one saved)."""
    epochs = saved_epochs(ckpt_dir)
    if not epochs:
        raise SystemExit(f"error: no checkpoints (ckpt_epoch_N.ckpt) in {ckpt_dir}; "
                         "train first: python train.py --ckpt_path " + str(ckpt_dir))
    if epoch is None:
        epoch = epochs[-1]
    if epoch not in epochs:
        raise SystemExit(f"error: {checkpoint_path(ckpt_dir, epoch)} does not exist; "
                         f"saved epochs: {', '.join(map(str, epochs))}")
    ckpt = minidl.load(checkpoint_path(ckpt_dir, epoch), map_location=device)
    model = build_model(ckpt["config"]).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt
