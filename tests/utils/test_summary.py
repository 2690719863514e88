"""The model summary reproduces the figures the course reports printed."""
import pytest

import minidl
from minidl import nn
from minidl.models import SimpleCNN, resnet18, resnet50
from minidl.utils import summary


def test_simple_cnn_figures_of_the_s1_report():
    s = summary(SimpleCNN(), (3, 32, 32))
    assert s.total_params == 114_186
    assert s.trainable_params == 114_186 and s.non_trainable_params == 0
    # conv + linear multiply-accumulates, and the report's convention (+ 4 x BN outputs)
    assert s.macs == 10_342_400
    assert s.report_flops == 10_571_776


def test_cifar_resnet18_figures_of_the_s2_report():
    s = summary(resnet18(num_classes=10, stem="cifar"), (3, 32, 32))
    assert s.total_params == 11_173_962
    text = str(s)
    assert "Input size (MB): 0.01" in text
    assert "Forward/backward pass size (MB): 13.63" in text
    assert "Params size (MB): 42.63" in text
    assert "Estimated Total Size (MB): 56.27" in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text


def test_imagenet_resnets_macs_at_224():
    # torchvision-style ResNets: conv + linear MACs for one 224x224 image
    assert summary(resnet18(), (3, 224, 224)).macs == 1_814_073_344       # "1.8 GFLOPs"
    s50 = summary(resnet50(), (3, 224, 224))
    # stride on the 3x3 conv of the bottleneck (v1.5) costs more than the paper's 3.8e9
    assert s50.macs == 4_089_184_256
    assert s50.total_params == 25_557_032


def test_rows_trainability_and_batch_scaling():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    model[0].weight.requires_grad_(False)
    s1 = summary(model, (1, 6, 6))
    s4 = summary(model, (1, 6, 6), batch_size=4)
    assert [r.name for r in s1.rows] == ["Conv2d-1", "ReLU-2", "Flatten-3", "Linear-4"]
    assert s1.rows[0].output_shape == (1, 2, 4, 4)
    assert s1.non_trainable_params == 2 * 9
    assert s4.macs == 4 * s1.macs == 4 * (32 * 9 + 3 * 32)
    assert s4.input_mb == pytest.approx(4 * s1.input_mb)


def test_summary_restores_training_mode_and_removes_hooks():
    model = SimpleCNN()
    model.train()
    summary(model, (3, 32, 32))
    assert model.training
    s = summary(model, (3, 32, 32))
    assert len(s.rows) == 14  # hooks from the first call did not pile up
    assert minidl.is_grad_enabled()
