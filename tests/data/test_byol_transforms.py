"""RandomSolarize and the whole-batch view augmentations of BYOL, against per-image references."""
import numpy as np
import pytest
from PIL import Image

from minidl.data import transforms as T
from minidl.models import BYOLAugment


def test_solarize_uint8_float_and_pil_invert_at_or_above_the_threshold():
    u8 = np.arange(0, 256, 17, dtype=np.uint8).reshape(4, 4)[..., None].repeat(3, axis=2)
    expected = np.where(u8 >= 100, 255 - u8, u8)
    np.testing.assert_array_equal(T.solarize(u8, 100), expected)
    pil = T.solarize(Image.fromarray(u8), 100)
    assert isinstance(pil, Image.Image)
    np.testing.assert_array_equal(np.asarray(pil), expected)
    f = u8.transpose(2, 0, 1).astype(np.float32) / 255
    np.testing.assert_allclose(T.solarize(f, 0.5), np.where(f >= 0.5, 1 - f, f))


def test_random_solarize_probability():
    x = np.full((3, 4, 4), 0.75, dtype=np.float32)
    with T.use_generator(np.random.default_rng(0)):
        assert (T.RandomSolarize(0.5, p=0.0)(x) == x).all()
        assert np.allclose(T.RandomSolarize(0.5, p=1.0)(x), 0.25)
        hits = sum(bool(np.allclose(T.RandomSolarize(0.5, p=0.3)(x), 0.25)) for _ in range(400))
    assert 80 < hits < 160
    assert "threshold=0.5, p=0.3" in repr(T.RandomSolarize(0.5, p=0.3))
    with pytest.raises(ValueError, match="RandomSolarize: p"):
        T.RandomSolarize(0.5, p=2)


def test_batch_operations_against_per_image_references():
    rng = np.random.default_rng(0)
    x = rng.random((4, 3, 12, 12)).astype(np.float32)
    # a crop of the whole image at the same size is the identity (half-pixel centres)
    same = T.batch_random_resized_crop(x, 12, scale=(1, 1), ratio=(1, 1))
    np.testing.assert_allclose(same, x, atol=1e-6)
    # grayscale: the luma of torchvision (0.299, 0.587, 0.114) in every channel
    g = T.batch_random_grayscale(x, p=1.0)
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    for c in range(3):
        np.testing.assert_allclose(g[:, c], luma, rtol=1e-5)
    # blur: per image, against GaussianBlur-style separable filtering with that image's sigma
    gen = np.random.default_rng(5)
    sigmas = np.random.default_rng(5).uniform(0.5, 1.5, 4)
    blurred = T.batch_gaussian_blur(x, 5, sigma=(0.5, 1.5), generator=gen)
    for i in range(4):
        k = np.exp(-0.5 * (np.arange(-2, 3) / sigmas[i]) ** 2)
        k /= k.sum()
        pad = np.pad(x[i], ((0, 0), (2, 2), (2, 2)), mode="reflect")
        rows = sum(k[j] * pad[:, j:j + 12, :] for j in range(5))
        ref = sum(k[j] * rows[:, :, j:j + 12] for j in range(5))
        np.testing.assert_allclose(blurred[i], ref, rtol=1e-5, atol=1e-6)
    # colour jitter with empty ranges changes nothing; brightness alone scales and clips
    np.testing.assert_allclose(T.batch_color_jitter(x, 0, 0, 0, 0, p=1.0), x, atol=1e-6)
    gen = np.random.default_rng(7)
    factors = np.random.default_rng(7).uniform(0.6, 1.4, 4)
    bright = T.batch_color_jitter(x, 0.4, 0, 0, 0, p=1.0, generator=gen)
    np.testing.assert_allclose(bright, np.clip(x * factors[:, None, None, None], 0, 1), atol=1e-6)
    sol = T.batch_random_solarize(x, 0.5, p=1.0)
    np.testing.assert_array_equal(sol, np.where(x >= 0.5, 1 - x, x))
    with pytest.raises(ValueError, match="batch_color_jitter: expected float RGB"):
        T.batch_color_jitter(x[:, :1])


def test_byol_views_differ_and_are_normalised():
    images = np.random.default_rng(1).integers(0, 256, (8, 16, 16, 3), dtype=np.uint8)
    with T.use_generator(np.random.default_rng(0)):
        v1, v2 = BYOLAugment(size=12, mean=[0.5] * 3, std=[0.25] * 3)(images)
    assert v1.shape == v2.shape == (8, 3, 12, 12) and v1.dtype == np.float32
    assert not np.allclose(v1, v2)
    assert v1.min() >= -2.0 - 1e-6 and v1.max() <= 2.0 + 1e-6  # [0, 1] normalised by 0.5, 0.25
