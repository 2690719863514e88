"""The model zoo: the networks of the course reports, written to be read against their papers."""
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .simple_cnn import SimpleCNN

__all__ = ["SimpleCNN", "BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]
