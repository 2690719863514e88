"""VGG-16 (Simonyan and Zisserman, 2015), configuration "D" of the paper's table.

The paper's table, read off :data:`VGG16_CONFIG` (numbers are 3x3 conv output channels,
``"M"`` a 2x2 max-pool with stride 2)::

    block 1   64, 64, M           224 -> 112
    block 2   128, 128, M         112 -> 56
    block 3   256, 256, 256, M     56 -> 28
    block 4   512, 512, 512, M     28 -> 14
    block 5   512, 512, 512, M     14 -> 7
    classifier  Linear(512*7*7 -> 4096) ReLU Dropout  Linear(4096 -> 4096) ReLU Dropout
                Linear(4096 -> num_classes)

138,357,544 parameters at 1,000 classes. Parameter names follow torchvision
(``features.0.weight``, ..., ``classifier.6.bias``), so weights can be exchanged with it.
``width`` scales every channel count (and the 4096 of the classifier) for CPU-sized runs;
the default 1.0 is the paper's network.
"""
from __future__ import annotations

from .. import nn

__all__ = ["VGG", "vgg16", "vgg16_bn", "make_vgg_features", "VGG16_CONFIG"]

VGG16_CONFIG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                512, 512, 512, "M"]


def scaled(channels: int, width: float) -> int:
    """``channels * width`` rounded, at least 1 (the channel count of a reduced-width net)."""
    return max(1, int(round(channels * width)))


def make_vgg_features(config=VGG16_CONFIG, batch_norm: bool = False, in_channels: int = 3,
                      width: float = 1.0, first_padding: int = 1,
                      ceil_mode: bool = False) -> nn.Sequential:
    """The convolutional part of a VGG: 3x3 convs (+ BN) + ReLU, 2x2 max-pools at ``"M"``.

    Args:
        config: channel counts and ``"M"`` markers, in order.
        batch_norm: a BatchNorm2d after each conv (VGG16-BN).
        in_channels: image channels.
        width: channel multiplier (1.0 is the paper's network).
        first_padding: padding of the very first conv: 1 keeps the size; FCN uses 100 so
            that the 7x7 fc6 convolution has enough support on small inputs.
        ceil_mode: round pooled sizes up (FCN), so no row or column is dropped.

    Example:
        >>> features = make_vgg_features([8, "M"], width=1.0)
        >>> features
        Sequential(
          (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
          (1): ReLU(inplace=True)
          (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        )
    """
    layers = []
    channels = in_channels
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
            continue
        out = scaled(item, width)
        padding = first_padding if not layers else 1
        layers.append(nn.Conv2d(channels, out, kernel_size=3, padding=padding))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU(inplace=True))
        channels = out
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG: ``features`` (conv blocks), a 7x7 adaptive average pool, a 3-layer ``classifier``.

    Args:
        features: the conv part (see :func:`make_vgg_features`); its last block has
            ``512 * width`` channels.
        num_classes: outputs of the last linear layer.
        width: channel multiplier the features were built with (scales the 4096 too).
        dropout: drop probability of the two classifier dropouts.

    Shape:
        input (N, 3, H, W), H and W at least 32 -> output (N, num_classes).

    Example:
        >>> import minidl
        >>> model = vgg16(num_classes=10, width=1 / 16)
        >>> model(minidl.zeros(1, 3, 32, 32)).shape
        (1, 10)
    """

    def __init__(self, features: nn.Sequential, num_classes: int = 1000, width: float = 1.0,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        channels, hidden = scaled(512, width), scaled(4096, width)
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def vgg16(num_classes: int = 1000, batch_norm: bool = False, width: float = 1.0,
          in_channels: int = 3, dropout: float = 0.5) -> VGG:
    """VGG-16 (configuration D); 138,357,544 parameters at 1,000 classes (without BN)."""
    features = make_vgg_features(VGG16_CONFIG, batch_norm, in_channels, width)
    return VGG(features, num_classes, width, dropout)


def vgg16_bn(num_classes: int = 1000, width: float = 1.0, in_channels: int = 3,
             dropout: float = 0.5) -> VGG:
    """VGG-16 with a BatchNorm2d after every convolution."""
    return vgg16(num_classes, True, width, in_channels, dropout)
