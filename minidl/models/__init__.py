"""The model zoo: the networks of the course reports, written to be read against their papers."""
from .byol import BYOL, BYOLAugment, MLPHead, byol_loss, tau_schedule
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .segmentation import (ASPP, DeepLabHead, DeepLabV3, FCN32s, FCNHead, bilinear_kernel,
                           deeplabv3, deeplabv3_resnet50, fcn32s)
from .simple_cnn import SimpleCNN
from .vgg import VGG, vgg16, vgg16_bn

__all__ = ["SimpleCNN", "BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
           "VGG", "vgg16", "vgg16_bn", "FCN32s", "fcn32s", "bilinear_kernel", "ASPP", "DeepLabHead",
           "FCNHead", "DeepLabV3", "deeplabv3", "deeplabv3_resnet50",
           "BYOL", "BYOLAugment", "MLPHead", "byol_loss", "tau_schedule"]
