"""Segmentation models (S8): parameter counts of the full networks, geometry on tiny ones."""
import numpy as np
import pytest

import minidl
import minidl.nn.functional as F
from minidl.models import (DeepLabV3, FCN32s, bilinear_kernel, deeplabv3, deeplabv3_resnet50,
                           fcn32s, vgg16)
from minidl.tensor import Tensor


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def no_random_init(monkeypatch):
    """Build the full-size networks without drawing ~10^8 random numbers.

    Parameters are still allocated with their real shapes (np.empty pages cost nothing
    until written), so the counts below are those of the real networks.
    """
    monkeypatch.setattr(Tensor, "uniform_", lambda self, a=0.0, b=1.0: self)
    monkeypatch.setattr(Tensor, "normal_", lambda self, mean=0.0, std=1.0: self)


def test_full_size_parameter_counts(no_random_init):
    assert count(vgg16(num_classes=1000)) == 138_357_544
    fcn = fcn32s(num_classes=7)
    assert count(fcn) == 134_489_927
    assert count(fcn) - fcn.upscore.weight.numel() == 134_289_223
    assert count(fcn32s(num_classes=7, upsample="bilinear")) == 134_289_223
    assert count(deeplabv3_resnet50(num_classes=7)) == 39_635_271
    assert count(deeplabv3_resnet50(num_classes=7, aux=True)) == 41_996_878


def test_full_size_layer_shapes_and_torchvision_names(no_random_init):
    fcn = dict(fcn32s(num_classes=7).named_parameters())
    assert fcn["features.0.weight"].shape == (64, 3, 3, 3)
    assert fcn["fc6.weight"].shape == (4096, 512, 7, 7)
    assert fcn["fc7.weight"].shape == (4096, 4096, 1, 1)
    assert fcn["upscore.weight"].shape == (7, 7, 64, 64) and "upscore.bias" not in fcn
    model = deeplabv3_resnet50(num_classes=7, aux=True)
    names = dict(model.named_parameters())
    assert names["classifier.0.convs.1.0.weight"].shape == (256, 2048, 3, 3)
    assert names["classifier.0.project.0.weight"].shape == (256, 1280, 1, 1)
    assert names["classifier.4.weight"].shape == (7, 256, 1, 1)
    assert names["aux_classifier.4.weight"].shape == (7, 256, 1, 1)
    assert not any(n.startswith("backbone.fc") for n in names)
    rates = [branch[0].dilation for branch in model.classifier[0].convs[1:4]]
    assert rates == [(12, 12), (24, 24), (36, 36)]
    # output stride 8: stage 4 is dilated by 4, stage 3 by 2, neither strided
    assert model.backbone.layer4[1].conv2.dilation == (4, 4)
    assert model.backbone.layer3[1].conv2.dilation == (2, 2)
    assert model.backbone.layer4[0].conv2.stride == (1, 1)


def test_fcn32s_padding_ceil_pools_and_crop_back_to_the_input():
    model = fcn32s(num_classes=3, width=1 / 16).eval()
    assert model.features[0].padding == (100, 100)
    pools = [m for m in model.features if isinstance(m, minidl.nn.MaxPool2d)]
    assert len(pools) == 5 and all(p.ceil_mode for p in pools)
    for h, w in [(32, 32), (37, 45), (64, 50)]:
        assert model(minidl.randn(1, 3, h, w)).shape == (1, 3, h, w)


def test_bilinear_deconvolution_is_interpolation_shifted_by_16():
    # why the crops differ (19 for the deconv, 3 for interpolation): output pixel o of the
    # bilinear ConvTranspose2d(k=64, s=32) is pixel o - 16 of x32 bilinear interpolation
    x = minidl.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 5)))
    w = minidl.tensor(bilinear_kernel(2, 64).astype(np.float64))
    deconv = F.conv_transpose2d(x, w, stride=32).numpy()
    interp = F.interpolate(x, scale_factor=32, mode="bilinear", align_corners=False).numpy()
    np.testing.assert_allclose(deconv[:, :, 32:128, 32:160], interp[:, :, 16:112, 16:144],
                               atol=1e-12)
    assert FCN32s.CROP["deconv"] - FCN32s.CROP["bilinear"] == 16
    model = fcn32s(num_classes=2, width=1 / 16)
    np.testing.assert_array_equal(model.upscore.weight.numpy(), bilinear_kernel(2, 64))


def test_fcn32s_trains_one_step_and_both_upsamplers_agree_inside():
    minidl.manual_seed(0)
    deconv = fcn32s(num_classes=2, width=1 / 16, dropout=0.0)
    interp = fcn32s(num_classes=2, width=1 / 16, upsample="bilinear", dropout=0.0)
    interp.load_state_dict({k: v for k, v in deconv.state_dict().items() if "upscore" not in k})
    minidl.nn.init.normal_(deconv.score.weight, 0.0, 0.1)
    interp.score.weight.data[...] = deconv.score.weight.data
    x = minidl.randn(1, 3, 96, 96)
    a, b = deconv(x), interp(x)
    # the score map is 5x5; away from its border the two upsamplers give the same pixels
    np.testing.assert_allclose(a.detach().numpy()[:, :, 13:77, 13:77],
                               b.detach().numpy()[:, :, 13:77, 13:77],
                               rtol=1e-4, atol=1e-5)
    loss = F.cross_entropy(a, minidl.randint(0, 2, (1, 96, 96)))
    loss.backward()
    assert all(p.grad is not None for p in deconv.parameters())


def test_deeplabv3_output_stride_and_upsampling(no_random_init):
    # (stride, dilation) of the 3x3 conv of blocks 0 and 1 of stages 3 and 4; a dilated
    # stage's first block keeps the previous dilation (as torchvision)
    expected = {8: [(1, 1), (1, 2), (1, 2), (1, 4)], 16: [(2, 1), (1, 1), (1, 1), (1, 2)],
                32: [(2, 1), (1, 1), (2, 1), (1, 1)]}
    for stride, geometry in expected.items():
        b = deeplabv3(num_classes=5, backbone="resnet50", output_stride=stride).backbone
        got = []
        for stage in (b.layer3, b.layer4):
            got += [(stage[0].conv2.stride[0], stage[0].conv2.dilation[0]),
                    (stage[1].conv2.stride[0], stage[1].conv2.dilation[0])]
        assert got == [(s, d) for s, d in geometry], stride


def test_deeplabv3_forward_backward_on_a_small_model():
    model = deeplabv3(num_classes=5, backbone="resnet18", atrous_rates=(1, 2), channels=8,
                      aux=True)
    x = minidl.randn(2, 3, 24, 20)
    out = model(x)
    assert out["out"].shape == (2, 5, 24, 20) and out["aux"].shape == (2, 5, 24, 20)
    (out["out"].sum() + out["aux"].sum()).backward()
    b = model.backbone.eval()  # output stride 8: a 24x20 image gives 3x3 maps
    with minidl.no_grad():
        maps = b.layer4(b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x))))))))
    assert maps.shape == (2, 512, 3, 3)
    assert all(p.grad is not None for p in model.parameters())


def test_deeplabv3_bad_arguments_are_named():
    with pytest.raises(ValueError, match="DeepLabV3: output_stride"):
        deeplabv3(num_classes=2, output_stride=4)
    with pytest.raises(ValueError, match="DeepLabV3: backbone"):
        deeplabv3(num_classes=2, backbone="vgg16")
    with pytest.raises(ValueError, match="FCN32s: upsample"):
        fcn32s(num_classes=2, upsample="nearest")
    assert isinstance(deeplabv3(num_classes=2, backbone="resnet18", channels=4), DeepLabV3)
