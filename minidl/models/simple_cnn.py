"""The small CNN of the CIFAR-10 course report (S1): three conv blocks and a linear head.

Each block is Conv3x3(padding 1) -> BatchNorm -> ReLU -> MaxPool 2x2, with 32, 64
and 128 channels, so a 32x32 image becomes 128 x 4 x 4 = 2048 features before
the classifier. With 3 input channels and 10 classes it has 114,186 parameters.
"""
from __future__ import annotations

from .. import nn

__all__ = ["SimpleCNN"]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Conv3x3(padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2): halves H and W."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SimpleCNN(nn.Module):
    """Three conv blocks (32, 64, 128 channels) then Linear(128 * 4 * 4 -> num_classes).

    Args:
        in_channels: image channels (3 for CIFAR-10, 1 for Fashion-MNIST).
        num_classes: number of output logits.
        image_size: side of the (square) input; 32 for CIFAR-10, 28 for Fashion-MNIST.

    Shape:
        input (N, in_channels, image_size, image_size) -> output (N, num_classes).

    Example:
        >>> import minidl
        >>> model = SimpleCNN()
        >>> sum(p.numel() for p in model.parameters())
        114186
        >>> model(minidl.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, image_size: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(in_channels, 32),
            conv_block(32, 64),
            conv_block(64, 128),
        )
        side = image_size // 8  # three 2x2 poolings
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(128 * side * side, num_classes)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))
