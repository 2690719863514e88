"""ResNet-18/34/50 (He et al., 2016), with the ImageNet stem and the CIFAR stem.

The stage table of the paper, read off :data:`STAGES`::

    name       block       blocks per stage    channels (out of each stage)
    resnet18   BasicBlock  [2, 2, 2, 2]        64, 128, 256, 512
    resnet34   BasicBlock  [3, 4, 6, 3]        64, 128, 256, 512
    resnet50   Bottleneck  [3, 4, 6, 3]        256, 512, 1024, 2048 (expansion 4)

Stages 2-4 start with stride 2, and their first block gets a 1x1 conv + BN
"downsample" shortcut whenever the shape changes. Two stems:

* ``"imagenet"``: Conv7x7(stride 2, padding 3) -> BN -> ReLU -> MaxPool3x3(stride 2):
  224x224 images become 56x56 maps before stage 1;
* ``"cifar"``: Conv3x3(stride 1, padding 1) -> BN -> ReLU and no max-pool, so 32x32
  images keep their resolution in stage 1 (the model of the CIFAR-10 report, S2).

Parameter names and shapes are those of torchvision's ResNet (``conv1``, ``bn1``,
``layer1.0.conv1``, ..., ``fc``), so weights can be exchanged with it.
"""
from __future__ import annotations

import os

from .. import nn
from ..errors import ArgumentError, ArgumentTypeError
from ..nn import functional as F

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "STAGES"]


def conv3x3(in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding that keeps the size (at stride 1), no bias (BN follows)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=dilation,
                     dilation=dilation, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs with a shortcut: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    Args:
        in_channels, channels: input and output channels.
        stride: stride of the first conv (2 halves H and W).
        downsample: the shortcut (1x1 conv + BN) when shapes differ, else None (identity).
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample=None,
                 dilation: int = 1):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels, stride, dilation)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(channels, channels, dilation=dilation)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))  # the block's last ReLU comes after the addition
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 -> 1x1 expand (x4), with a shortcut; the block of ResNet-50.

    The stride sits on the 3x3 conv, as in torchvision ("ResNet v1.5").
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample=None,
                 dilation: int = 1):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = conv1x1(in_channels, channels)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels, stride, dilation)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = conv1x1(channels, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


# The paper's table: (block, blocks per stage).
STAGES = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
}


class ResNet(nn.Module):
    """A ResNet built from a block type and the number of blocks in each of four stages.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]``.
        num_classes: outputs of the final linear layer.
        stem: ``"cifar"`` (3x3 conv, no max-pool) or ``"imagenet"`` (7x7/2 conv + max-pool).
        in_channels: image channels.
        zero_init_residual: start each block's last BN at weight 0, so blocks begin as identities.
        replace_stride_with_dilation: three flags; True keeps the resolution of that stage
            (stages 2-4) and dilates its convs instead (used by DeepLabv3).

    Shape:
        input (N, in_channels, H, W) -> output (N, num_classes);
        ``forward_features``: (N, 512 * block.expansion).

    Example:
        >>> import minidl
        >>> model = resnet18(num_classes=10, stem="cifar")
        >>> model(minidl.zeros(1, 3, 32, 32)).shape
        (1, 10)
    """

    def __init__(self, block, layers, num_classes: int = 1000, stem: str = "imagenet",
                 in_channels: int = 3, zero_init_residual: bool = False,
                 replace_stride_with_dilation=(False, False, False)):
        super().__init__()
        if stem not in ("cifar", "imagenet"):
            raise ValueError(f"ResNet: stem must be 'cifar' or 'imagenet', got {stem!r}")
        self.stem = stem
        self.in_channels = 64
        self.dilation = 1
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
            self.maxpool = None  # no max-pool: 32x32 inputs keep their resolution
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        dilate = list(replace_stride_with_dilation)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.num_features = 512 * block.expansion

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def _make_layer(self, block, channels: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        """One stage: ``blocks`` blocks, the first one changing stride/channels."""
        dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.in_channels != channels * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.in_channels, channels * block.expansion, stride),
                nn.BatchNorm2d(channels * block.expansion),
            )
        layers = [block(self.in_channels, channels, stride, downsample, dilation)]
        self.in_channels = channels * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.in_channels, channels, dilation=self.dilation))
        return nn.Sequential(*layers)

    def forward_maps(self, x):
        """The stage-4 feature maps (N, 512 * expansion, H', W'), before pooling."""
        x = self.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward_features(self, x):
        """The pooled features (N, 512 * expansion) that the classifier sees."""
        return self.avgpool(self.forward_maps(x)).flatten(1)

    def forward(self, x):
        return self.fc(self.forward_features(x))


def _resnet(name: str, num_classes: int, stem: str, in_channels: int,
            zero_init_residual: bool, weights=None, pretrained: bool = False,
            **kwargs) -> ResNet:
    if pretrained:
        raise ArgumentError(
            f"{name}: pretrained=True would download weights, and minidl never downloads "
            "(it runs where there is no network). Convert the weights once on a machine that "
            "has them, save them with minidl.save(model.state_dict(), path), and pass "
            f"{name}(weights=path) (or weights=state_dict)")
    block, layers = STAGES[name]
    model = ResNet(block, layers, num_classes=num_classes, stem=stem, in_channels=in_channels,
                   zero_init_residual=zero_init_residual, **kwargs)
    if weights is not None:
        model.load_state_dict(_weights_state_dict(name, weights))
    return model


def _weights_state_dict(name: str, weights) -> dict:
    """The state dict that ``weights=`` names: a dict itself, or a file saved by minidl.save."""
    if isinstance(weights, (str, os.PathLike)):
        from ..serialization import load
        weights = load(weights)
        for key in ("model", "state_dict", "model_state_dict"):  # a training checkpoint
            if isinstance(weights, dict) and isinstance(weights.get(key), dict):
                weights = weights[key]
                break
    if not isinstance(weights, dict):
        raise ArgumentTypeError(
            f"{name}: weights must be None, a path to a file saved by minidl.save or a state "
            f"dict, got {type(weights).__name__} (torchvision's weight enums need a download)")
    return weights


def resnet18(num_classes: int = 1000, stem: str = "imagenet", in_channels: int = 3,
             zero_init_residual: bool = False, *, weights=None, pretrained: bool = False,
             **kwargs) -> ResNet:
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,173,962 parameters with the CIFAR stem and 10 classes.

    ``weights=`` (a path saved by ``minidl.save`` or a state dict) loads them, as in
    torchvision; ``pretrained=True`` explains how to import weights (minidl never downloads).
    """
    return _resnet("resnet18", num_classes, stem, in_channels, zero_init_residual, weights,
                   pretrained, **kwargs)


def resnet34(num_classes: int = 1000, stem: str = "imagenet", in_channels: int = 3,
             zero_init_residual: bool = False, *, weights=None, pretrained: bool = False,
             **kwargs) -> ResNet:
    """ResNet-34: BasicBlocks [3, 4, 6, 3] (``weights=``/``pretrained=`` as in :func:`resnet18`)."""
    return _resnet("resnet34", num_classes, stem, in_channels, zero_init_residual, weights,
                   pretrained, **kwargs)


def resnet50(num_classes: int = 1000, stem: str = "imagenet", in_channels: int = 3,
             zero_init_residual: bool = False, *, weights=None, pretrained: bool = False,
             **kwargs) -> ResNet:
    """ResNet-50: Bottlenecks [3, 4, 6, 3] with expansion 4."""
    return _resnet("resnet50", num_classes, stem, in_channels, zero_init_residual, weights,
                   pretrained, **kwargs)
