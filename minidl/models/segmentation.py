"""Semantic segmentation: FCN-32s on VGG-16 and DeepLabv3 on a dilated ResNet (S8).

Both map an image (N, 3, H, W) to per-pixel class scores (N, num_classes, H, W).

FCN-32s (Long, Shelhamer and Darrell, 2015)::

    VGG-16 features, conv1_1 padded by 100, ceil-mode pools    (N, 512, ~(H+198)/32, ...)
    fc6  Conv7x7(512 -> 4096) ReLU Dropout2d                    the classifier's first Linear,
    fc7  Conv1x1(4096 -> 4096) ReLU Dropout2d                   read as convolutions
    score Conv1x1(4096 -> num_classes)
    upscore ConvTranspose2d(k=64, s=32, no bias), bilinear init   x32
    crop [19:19+H, 19:19+W]                                       back to the input's size

The padding of 100 lets the 7x7 fc6 see a whole window even on small images; the crop
offset 19 lines the upsampled map up with the input pixels again. 134,289,223 parameters
at 7 classes without the learnable upsampler (``upsample="bilinear"``), 134,489,927 with it.

DeepLabv3 (Chen et al., 2017), as torchvision's ``deeplabv3_resnet50``::

    ResNet-50, stages 3 and 4 dilated instead of strided        (N, 2048, H/8, W/8)
    ASPP: 1x1 conv | 3x3 convs dilated 12, 24, 36 | image pooling, each -> 256 ch + BN + ReLU
          concatenated (5 x 256), 1x1 conv -> 256 + BN + ReLU + Dropout(0.5)
    head: Conv3x3(256 -> 256) BN ReLU, Conv1x1(256 -> num_classes)
    bilinear upsampling to (H, W)

39,635,271 parameters at 7 classes, 41,996,878 with the auxiliary FCN head on stage 3.
The atrous rates, the output stride (8, 16 or 32), the ASPP width and the backbone
(resnet18/34/50, for CPU-sized runs) are arguments; the defaults are the paper's model.
Parameter names follow torchvision (``backbone.layer4.0.conv2``, ``classifier.0.convs.1.0``).
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..nn import functional as F
from ..ops.shape import cat
from ..tensor import Tensor
from .resnet import resnet18, resnet34, resnet50
from .vgg import VGG16_CONFIG, make_vgg_features, scaled

__all__ = ["FCN32s", "fcn32s", "bilinear_kernel", "ASPP", "DeepLabHead", "FCNHead", "DeepLabV3",
           "deeplabv3", "deeplabv3_resnet50"]


def bilinear_kernel(channels: int, kernel_size: int) -> np.ndarray:
    """Weights (C, C, K, K) of a ConvTranspose2d that upsamples each channel bilinearly.

    Channel c maps to channel c only, through the outer product of two triangles
    ``1 - |i - center| / factor`` with ``factor = ceil(K / 2)``: with stride ``factor``
    this is bilinear interpolation by ``factor`` (the FCN initialisation of its upsampler).

    Example:
        >>> bilinear_kernel(1, 4)[0, 0]
        array([[0.0625, 0.1875, 0.1875, 0.0625],
               [0.1875, 0.5625, 0.5625, 0.1875],
               [0.1875, 0.5625, 0.5625, 0.1875],
               [0.0625, 0.1875, 0.1875, 0.0625]], dtype=float32)
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    taps = 1 - np.abs(np.arange(kernel_size) - center) / factor
    weight = np.zeros((channels, channels, kernel_size, kernel_size), dtype=np.float32)
    weight[np.arange(channels), np.arange(channels)] = np.outer(taps, taps)
    return weight


class FCN32s(nn.Module):
    """FCN-32s: VGG-16 features, fc6/fc7 as convolutions, a 1x1 scorer, x32 upsampling.

    Args:
        num_classes: output channels (7 land-cover classes in S8).
        width: channel multiplier of the VGG part and of fc6/fc7 (1.0: the paper's network;
            1/8 trains on a CPU).
        upsample: ``"deconv"``: a learnable ConvTranspose2d(k=64, s=32, no bias) initialised
            to bilinear interpolation (the paper); ``"bilinear"``: fixed interpolation, no
            parameters.
        dropout: probability of the two Dropout2d after fc6 and fc7.
        in_channels: image channels.

    Shape:
        input (N, in_channels, H, W) -> output (N, num_classes, H, W).

    Example:
        >>> import minidl
        >>> model = fcn32s(num_classes=7, width=1 / 16)
        >>> model(minidl.zeros(1, 3, 40, 48)).shape
        (1, 7, 40, 48)
    """

    # the upsampled map's pixel 19 (deconv) or 3 (interpolation) sits over input pixel 0
    CROP = {"deconv": 19, "bilinear": 3}

    def __init__(self, num_classes: int, width: float = 1.0, upsample: str = "deconv",
                 dropout: float = 0.5, in_channels: int = 3):
        super().__init__()
        if upsample not in self.CROP:
            raise ValueError(f"FCN32s: upsample must be 'deconv' or 'bilinear', got {upsample!r}")
        self.upsample = upsample
        self.features = make_vgg_features(VGG16_CONFIG, in_channels=in_channels, width=width,
                                          first_padding=100, ceil_mode=True)
        channels, hidden = scaled(512, width), scaled(4096, width)
        self.fc6 = nn.Conv2d(channels, hidden, kernel_size=7)
        self.relu6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout2d(dropout)
        self.fc7 = nn.Conv2d(hidden, hidden, kernel_size=1)
        self.relu7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout2d(dropout)
        self.score = nn.Conv2d(hidden, num_classes, kernel_size=1)
        self.upscore = None
        if upsample == "deconv":
            self.upscore = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=64, stride=32,
                                              bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming for the convs, zero scorer (as the FCN paper), bilinear upsampler."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.score.weight)
        if self.upscore is not None:
            kernel = bilinear_kernel(self.score.out_channels, 64)
            self.upscore.weight.data[...] = kernel

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = self.features(x)
        x = self.drop6(self.relu6(self.fc6(x)))
        x = self.drop7(self.relu7(self.fc7(x)))
        x = self.score(x)
        if self.upscore is not None:
            x = self.upscore(x)
        else:
            x = F.interpolate(x, scale_factor=32, mode="bilinear", align_corners=False)
        top = self.CROP[self.upsample]
        return x[:, :, top:top + height, top:top + width]


def fcn32s(num_classes: int = 21, width: float = 1.0, upsample: str = "deconv",
           dropout: float = 0.5, in_channels: int = 3) -> FCN32s:
    """FCN-32s on VGG-16; 134,489,927 parameters at 7 classes (134,289,223 with ``upsample="bilinear"``)."""
    return FCN32s(num_classes, width, upsample, dropout, in_channels)


# ------------------------------------------------------------------------- DeepLabv3
def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 1,
                 dilation: int = 1) -> list:
    """[conv (no bias, 'same' padding), BatchNorm2d, ReLU]: the unit ASPP is made of."""
    padding = dilation * (kernel_size // 2)
    return [nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class ASPPPooling(nn.Sequential):
    """Image-level features: global average pool, 1x1 conv + BN + ReLU, spread back over (H, W)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(nn.AdaptiveAvgPool2d(1), *conv_bn_relu(in_channels, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        for layer in self:
            x = layer(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: parallel branches at several dilation rates.

    Branches: a 1x1 conv, one 3x3 conv per rate (dilation = padding = rate) and image
    pooling, each to ``out_channels`` with BN + ReLU; they are concatenated and projected
    back to ``out_channels`` by a 1x1 conv + BN + ReLU + Dropout.

    Args:
        in_channels: channels of the backbone's last stage (2048 for ResNet-50).
        atrous_rates: dilations of the 3x3 branches ((12, 24, 36) at output stride 8).
        out_channels: width of every branch and of the output (256).
        dropout: after the projection (0.5).

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H, W).

    Example:
        >>> import minidl
        >>> aspp = ASPP(16, (1, 2), out_channels=8)
        >>> aspp(minidl.zeros(2, 16, 5, 5)).shape
        (2, 8, 5, 5)
    """

    def __init__(self, in_channels: int, atrous_rates=(12, 24, 36), out_channels: int = 256,
                 dropout: float = 0.5):
        super().__init__()
        branches = [nn.Sequential(*conv_bn_relu(in_channels, out_channels))]
        for rate in atrous_rates:
            branches.append(nn.Sequential(*conv_bn_relu(in_channels, out_channels, 3, rate)))
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(*conv_bn_relu(len(branches) * out_channels, out_channels),
                                     nn.Dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        return self.project(cat([branch(x) for branch in self.convs], dim=1))


class DeepLabHead(nn.Sequential):
    """ASPP, then Conv3x3 + BN + ReLU and a 1x1 classifier: DeepLabv3's decoder."""

    def __init__(self, in_channels: int, num_classes: int, atrous_rates=(12, 24, 36),
                 channels: int = 256):
        super().__init__(ASPP(in_channels, atrous_rates, channels),
                         *conv_bn_relu(channels, channels, 3),
                         nn.Conv2d(channels, num_classes, kernel_size=1))


class FCNHead(nn.Sequential):
    """The auxiliary head on stage 3: Conv3x3 (in -> in/4) + BN + ReLU + Dropout(0.1) + 1x1."""

    def __init__(self, in_channels: int, num_classes: int):
        inter = in_channels // 4
        super().__init__(*conv_bn_relu(in_channels, inter, 3), nn.Dropout(0.1),
                         nn.Conv2d(inter, num_classes, kernel_size=1))


BACKBONES = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50}
DILATE = {8: (False, True, True), 16: (False, False, True), 32: (False, False, False)}


class DeepLabV3(nn.Module):
    """DeepLabv3: a dilated ResNet, an ASPP head, bilinear upsampling to the input size.

    Args:
        num_classes: output channels.
        backbone: ``"resnet50"`` (the paper), ``"resnet34"`` or ``"resnet18"`` (CPU-sized).
        aux: add the auxiliary :class:`FCNHead` on stage 3 (its loss helps training).
        output_stride: 8 (stages 3 and 4 dilated), 16 (stage 4 dilated) or 32 (none).
        atrous_rates: the ASPP dilations; (12, 24, 36) suits output stride 8 and
            (6, 12, 18) output stride 16.
        channels: ASPP and head width (256).
        in_channels: image channels.

    Shape:
        input (N, in_channels, H, W) -> a dict with ``"out"`` (N, num_classes, H, W) and, with
        ``aux``, ``"aux"`` of the same shape (torchvision's convention).

    Example:
        >>> import minidl
        >>> model = deeplabv3(num_classes=7, backbone="resnet18", channels=16)
        >>> model.eval()(minidl.zeros(1, 3, 32, 32))["out"].shape
        (1, 7, 32, 32)
    """

    def __init__(self, num_classes: int, backbone: str = "resnet50", aux: bool = False,
                 output_stride: int = 8, atrous_rates=(12, 24, 36), channels: int = 256,
                 in_channels: int = 3):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"DeepLabV3: backbone must be one of {sorted(BACKBONES)}, "
                             f"got {backbone!r}")
        if output_stride not in DILATE:
            raise ValueError(f"DeepLabV3: output_stride must be 8, 16 or 32, got {output_stride!r}")
        self.backbone = BACKBONES[backbone](in_channels=in_channels,
                                            replace_stride_with_dilation=DILATE[output_stride])
        features = self.backbone.num_features
        del self.backbone.avgpool, self.backbone.fc  # the classifier is replaced by the heads
        self.classifier = DeepLabHead(features, num_classes, tuple(atrous_rates), channels)
        self.aux_classifier = FCNHead(features // 2, num_classes) if aux else None

    def forward(self, x: Tensor) -> dict:
        size = x.shape[-2:]
        b = self.backbone
        x = b.relu(b.bn1(b.conv1(x)))
        x = b.layer2(b.layer1(b.maxpool(x)))
        stage3 = b.layer3(x)
        out = self.classifier(b.layer4(stage3))
        result = {"out": F.interpolate(out, size=size, mode="bilinear", align_corners=False)}
        if self.aux_classifier is not None:
            aux = self.aux_classifier(stage3)
            result["aux"] = F.interpolate(aux, size=size, mode="bilinear", align_corners=False)
        return result


def deeplabv3(num_classes: int = 21, backbone: str = "resnet50", aux: bool = False,
              output_stride: int = 8, atrous_rates=(12, 24, 36), channels: int = 256,
              in_channels: int = 3) -> DeepLabV3:
    """DeepLabv3 on any ResNet of the zoo (see :class:`DeepLabV3`)."""
    return DeepLabV3(num_classes, backbone, aux, output_stride, atrous_rates, channels,
                     in_channels)


def deeplabv3_resnet50(num_classes: int = 21, aux: bool = False, output_stride: int = 8,
                       atrous_rates=(12, 24, 36), channels: int = 256) -> DeepLabV3:
    """DeepLabv3-ResNet50; 39,635,271 parameters at 7 classes (41,996,878 with ``aux``)."""
    return DeepLabV3(num_classes, "resnet50", aux, output_stride, atrous_rates, channels)
