"""Image transforms: shapes, dtypes, ranges, exact geometry, seeded randomness, batch versions."""
import colorsys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import minidl
from minidl.data import transforms as T


@pytest.fixture
def hwc(rng):
    return rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)


@pytest.fixture
def chw(rng):
    return rng.random((3, 9, 11)).astype(np.float32)


def seeded(transform, img, seed=0):
    with T.use_generator(np.random.default_rng(seed)):
        return transform(img)


RANDOM_TRANSFORMS = [
    T.RandomCrop(6, padding=2), T.RandomResizedCrop(7), T.RandomHorizontalFlip(),
    T.RandomVerticalFlip(), T.RandomRotation(30), T.RandomAffine(20, (0.1, 0.1), (0.8, 1.2), 10),
    T.RandomPerspective(p=1.0), T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.RandomGrayscale(0.5),
    T.GaussianBlur(3), T.RandomApply([T.RandomRotation(10)], p=0.5),
]


# ---------------------------------------------------------------------- conversion
def test_to_tensor_scales_uint8_and_transposes(hwc):
    x = T.ToTensor()(hwc)
    assert x.shape == (3, 9, 11) and x.dtype == np.float32
    np.testing.assert_allclose(x, hwc.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(hwc[:, :, 0]).shape == (1, 9, 11)
    pil = T.ToTensor()(Image.fromarray(hwc))
    np.testing.assert_array_equal(pil, x)
    f64 = T.ToTensor()(np.ones((2, 2, 3)))
    assert f64.dtype == np.float64 and f64.shape == (3, 2, 2) and f64.max() == 1.0
    with pytest.raises(TypeError, match="ToTensor"):
        T.ToTensor()(np.zeros((2, 2, 3), np.int32))


def test_to_pil_image_round_trip(hwc):
    pil = T.ToPILImage()(T.ToTensor()(hwc))
    np.testing.assert_array_equal(np.asarray(pil), hwc)
    assert T.ToPILImage()(hwc[:, :, :1]).mode == "L"


def test_normalize_math(chw):
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    out = T.Normalize(mean, std)(chw)
    expected = (chw - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    assert out.dtype == np.float32
    batch = np.stack([chw, chw])  # leading dimensions are allowed
    np.testing.assert_allclose(T.Normalize(mean, std)(batch)[1], expected, rtol=1e-6, atol=1e-7)
    inplace = chw.copy()
    assert T.Normalize(mean, std, inplace=True)(inplace) is inplace


def test_normalize_errors(hwc, chw):
    with pytest.raises(TypeError, match="ToTensor first"):
        T.Normalize((0.5,), (0.5,))(hwc)
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize((0.5, 0.5), (0.5, 0.5))(chw)
    with pytest.raises(ValueError, match="non-zero"):
        T.Normalize(0.5, 0.0)


# ---------------------------------------------------------------------- geometry
def test_flips_are_exact(hwc, chw):
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(hwc), hwc[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(hwc), hwc[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(chw), chw[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(chw), chw[:, ::-1])
    assert T.RandomHorizontalFlip(0.0)(hwc) is hwc
    pil = T.RandomHorizontalFlip(1.0)(Image.fromarray(hwc))
    np.testing.assert_array_equal(np.asarray(pil), hwc[:, ::-1])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_with_padding_matches_numpy_pad(mode, hwc, chw):
    size, pad = (7, 8), 3
    for img, widths, crop in [
            (hwc, [(pad, pad), (pad, pad), (0, 0)], lambda a, i, j: a[i:i + 7, j:j + 8]),
            (chw, [(0, 0), (pad, pad), (pad, pad)], lambda a, i, j: a[:, i:i + 7, j:j + 8])]:
        kwargs = {"constant_values": 5} if mode == "constant" else {}
        padded = np.pad(img, widths, mode=mode, **kwargs)
        out = seeded(T.RandomCrop(size, padding=pad, fill=5, padding_mode=mode), img, seed=4)
        # the same generator draws the same offsets: top, then left
        rng = np.random.default_rng(4)
        i = rng.integers(0, padded.shape[-3 if img.dtype == np.uint8 else -2] - 7 + 1)
        j = rng.integers(0, (padded.shape[1] if img.dtype == np.uint8 else padded.shape[2]) - 8 + 1)
        np.testing.assert_array_equal(out, crop(padded, i, j))


def test_pad_forms_and_per_channel_fill(hwc):
    out = T.Pad((1, 2, 3, 4), fill=(10, 20, 30))(hwc)
    assert out.shape == (9 + 2 + 4, 11 + 1 + 3, 3)
    assert out[0, 0].tolist() == [10, 20, 30]
    np.testing.assert_array_equal(out[2:11, 1:12], hwc)
    assert T.Pad((1, 2))(hwc).shape == (13, 13, 3)


def test_random_crop_pad_if_needed_and_errors():
    small = np.zeros((4, 5, 3), np.uint8)
    assert T.RandomCrop(6, pad_if_needed=True)(small).shape == (6, 6, 3)
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(6)(small)


def test_center_crop_exact_and_padding(hwc):
    np.testing.assert_array_equal(T.CenterCrop((5, 5))(hwc), hwc[2:7, 3:8])
    big = T.CenterCrop(13)(hwc)
    assert big.shape == (13, 13, 3)
    np.testing.assert_array_equal(big[2:11, 1:12], hwc)
    assert big[0].sum() == 0


def test_resize_shapes_and_identity(hwc, chw):
    assert T.Resize(6)(hwc).shape == (6, 7, 3)          # shorter side 9 -> 6, 11 -> 7
    assert T.Resize((4, 5))(chw).shape == (3, 4, 5)
    assert T.Resize(6)(Image.fromarray(hwc)).size == (7, 6)
    np.testing.assert_array_equal(T.Resize((9, 11), "nearest")(hwc), hwc)
    np.testing.assert_allclose(T.Resize((9, 11), "bilinear")(chw), chw, atol=1e-6)
    # the same image through uint8 and float paths agrees to rounding
    a = T.Resize((5, 6))(hwc).astype(np.float32) / 255
    b = T.Resize((5, 6))(T.ToTensor()(hwc)).transpose(1, 2, 0)
    np.testing.assert_allclose(a, b, atol=1 / 255 + 1e-6)
    assert T.Resize(4, max_size=5)(np.zeros((8, 16, 3), np.uint8)).shape == (2, 5, 3)
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="cubic-spline")


def test_random_resized_crop_output_and_params():
    img = np.zeros((20, 30, 3), np.uint8)
    t = T.RandomResizedCrop((8, 6), scale=(0.2, 0.6))
    assert t(img).shape == (8, 6, 3)
    with T.use_generator(np.random.default_rng(0)):
        for _ in range(20):
            top, left, h, w = t.get_params(20, 30)
            assert 0 <= top and top + h <= 20 and 0 <= left and left + w <= 30
            assert 0.2 * 600 * 0.7 <= h * w <= 0.6 * 600 * 1.3


def test_rotation_by_90_is_exact():
    img = np.arange(25, dtype=np.uint8).reshape(5, 5)
    np.testing.assert_array_equal(seeded(T.RandomRotation((90, 90)), img), np.rot90(img))
    chw = np.arange(50, dtype=np.float32).reshape(2, 5, 5)
    np.testing.assert_array_equal(T.RandomRotation((-90, -90))(chw), np.rot90(chw, -1, axes=(1, 2)))
    expanded = T.RandomRotation((45, 45), expand=True)(np.zeros((10, 10, 3), np.uint8))
    assert expanded.shape[0] > 10


def test_affine_rotation_agrees_with_rotation():
    img = np.random.default_rng(0).integers(0, 256, (15, 15, 3), dtype=np.uint8)
    a = T.RandomAffine((90, 90))(img)
    b = T.RandomRotation((90, 90))(img)
    np.testing.assert_array_equal(a, b)


def test_affine_translation_moves_pixels():
    img = np.zeros((9, 9), np.uint8)
    img[4, 4] = 200
    # translate range 1/9 of the width with a seeded draw, recomputed by hand
    t = T.RandomAffine(0, translate=(3 / 9, 0))
    out = seeded(t, img, 2)
    rng = np.random.default_rng(2)
    _ = rng.uniform(0, 0)  # the angle draw
    tx = int(round(rng.uniform(-3, 3)))
    expected = np.zeros_like(img)
    expected[4, 4 + tx] = 200
    np.testing.assert_array_equal(out, expected)


def test_affine_scale_and_shear_keep_shape_and_fill():
    img = np.full((12, 12, 3), 100, np.uint8)
    out = T.RandomAffine(0, scale=(0.5, 0.5), fill=7)(img)
    assert out.shape == img.shape and out[0, 0].tolist() == [7, 7, 7] and out[6, 6, 0] == 100
    assert T.RandomAffine(0, shear=(10, 20, -5, 5))(img).shape == img.shape


def test_perspective_identity_when_no_distortion(hwc):
    still = T.RandomPerspective(0.0, p=1.0, interpolation="nearest")
    np.testing.assert_array_equal(still(hwc), hwc)
    out = seeded(T.RandomPerspective(0.6, p=1.0, fill=3), np.full((16, 16), 200, np.uint8))
    assert (out == 3).any() and (out == 200).any()


def test_perspective_coefficients_map_points():
    src = [[0, 0], [9, 0], [9, 9], [0, 9]]
    dst = [[1, 2], [8, 0], [9, 7], [0, 9]]
    a, b, c, d, e, f, g, h = T._perspective_coeffs(src, dst)
    for (xs, ys), (xd, yd) in zip(src, dst):
        den = g * xd + h * yd + 1
        assert np.allclose([(a * xd + b * yd + c) / den, (d * xd + e * yd + f) / den], [xs, ys])


# ---------------------------------------------------------------------- colour
def test_color_jitter_brightness_and_contrast_math(chw):
    np.testing.assert_allclose(T.ColorJitter(brightness=(0.5, 0.5))(chw), chw * 0.5, rtol=1e-6)
    gray_mean = (0.299 * chw[0] + 0.587 * chw[1] + 0.114 * chw[2]).mean()
    np.testing.assert_allclose(T.ColorJitter(contrast=(0.0, 0.0))(chw),
                               np.full_like(chw, gray_mean), rtol=1e-5)
    sat0 = T.ColorJitter(saturation=(0.0, 0.0))(chw)
    np.testing.assert_allclose(sat0[0], sat0[1], rtol=1e-6)


def test_hue_shift_matches_colorsys(rng):
    img = rng.random((3, 3, 4))
    out = T.ColorJitter(hue=(0.2, 0.2))(img)
    for y in range(3):
        for x in range(4):
            h, s, v = colorsys.rgb_to_hsv(*img[:, y, x])
            np.testing.assert_allclose(out[:, y, x], colorsys.hsv_to_rgb((h + 0.2) % 1, s, v),
                                       atol=1e-9)


def test_color_jitter_uint8_stays_uint8(hwc):
    out = seeded(T.ColorJitter(0.5, 0.5, 0.5, 0.2), hwc)
    assert out.dtype == np.uint8 and out.shape == hwc.shape
    pil = seeded(T.ColorJitter(0.5, 0.5, 0.5, 0.2), Image.fromarray(hwc))
    np.testing.assert_array_equal(np.asarray(pil), out)
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)


def test_grayscale(hwc, chw):
    g = T.Grayscale()(chw)
    np.testing.assert_allclose(g[0], 0.299 * chw[0] + 0.587 * chw[1] + 0.114 * chw[2], rtol=1e-6)
    assert T.Grayscale(3)(chw).shape == (3, 9, 11)
    u = T.Grayscale()(hwc)
    assert u.shape == (9, 11, 1) and u.dtype == np.uint8
    pil = np.asarray(T.Grayscale()(Image.fromarray(hwc)))
    assert np.abs(pil.astype(int) - u[:, :, 0]).max() <= 1  # PIL rounds in fixed point
    rg = T.RandomGrayscale(1.0)(hwc)
    assert rg.shape == hwc.shape and (rg[..., 0] == rg[..., 2]).all()
    flat = hwc[:, :, 0]
    np.testing.assert_array_equal(T.RandomGrayscale(1.0)(flat), flat)
    assert np.asarray(T.RandomGrayscale(1.0)(Image.fromarray(flat))).shape == (9, 11)
    assert T.RandomGrayscale(1.0)(Image.fromarray(hwc)).mode == "RGB"


def test_gaussian_blur_against_direct_convolution(rng):
    img = rng.random((1, 7, 8))
    out = T.GaussianBlur((3, 5), sigma=1.3)(img)
    kx = np.exp(-0.5 * (np.arange(-1, 2) / 1.3) ** 2)
    ky = np.exp(-0.5 * (np.arange(-2, 3) / 1.3) ** 2)
    kernel = np.outer(ky / ky.sum(), kx / kx.sum())
    padded = np.pad(img[0], ((2, 2), (1, 1)), mode="reflect")
    expected = np.array([[(padded[i:i + 5, j:j + 3] * kernel).sum() for j in range(8)]
                         for i in range(7)])
    np.testing.assert_allclose(out[0], expected, rtol=1e-10)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)


def test_trivial_augment_ops_all_run(hwc):
    t = T.TrivialAugmentWide()
    for op in t.OPS:
        for level in (0, 15, 30):
            pil = t._apply(Image.fromarray(hwc), op, t._magnitude(op, level))
            assert pil.size == (11, 9)
    for seed in range(10):
        out = seeded(t, hwc, seed)
        assert out.shape == hwc.shape and out.dtype == np.uint8
    assert seeded(t, hwc[:, :, :1], 1).shape == (9, 11, 1)
    with pytest.raises(TypeError, match="before ToTensor"):
        t(T.ToTensor()(hwc))


# ---------------------------------------------------------------------- randomness
@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("kind", ["uint8", "float", "pil"])
def test_random_transforms_reproducible_by_seed(transform, kind, hwc):
    img = {"uint8": hwc, "float": T.ToTensor()(hwc), "pil": Image.fromarray(hwc)}[kind]
    outs = [np.asarray(seeded(transform, img, seed)) for seed in (0, 0)]
    np.testing.assert_array_equal(outs[0], outs[1])
    variety = {np.asarray(seeded(transform, img, seed)).tobytes() for seed in range(12)}
    assert len(variety) > 1
    if kind == "pil":
        assert isinstance(seeded(transform, img), Image.Image)
    else:
        out = seeded(transform, img)
        assert out.dtype == img.dtype
        assert out.min() >= 0 and (out.max() <= 1 if kind == "float" else True)


def test_default_generator_is_minidl_generator(hwc):
    t = T.RandomCrop(5)
    minidl.manual_seed(8)
    a = t(hwc)
    minidl.manual_seed(8)
    np.testing.assert_array_equal(t(hwc), a)
    assert T.get_generator() is minidl.backend.get_default_generator()
    with T.use_generator(np.random.default_rng(0)) as g:
        assert T.get_generator() is g
    assert T.get_generator() is minidl.backend.get_default_generator()


def test_reprs_name_their_parameters():
    assert repr(T.RandomCrop(32, padding=4)) == (
        "RandomCrop(size=(32, 32), padding=(4, 4, 4, 4), pad_if_needed=False, fill=0, "
        "padding_mode='constant')")
    assert repr(T.Normalize((0.5,), (0.25,))) == "Normalize(mean=(0.5,), std=(0.25,))"
    for t in RANDOM_TRANSFORMS + [T.ToTensor(), T.Resize(3), T.CenterCrop(2), T.Grayscale(),
                                  T.TrivialAugmentWide(), T.Lambda(abs), T.Pad(1)]:
        r = repr(t)
        assert r.startswith(type(t).__name__ + "(") and "object at" not in r
    assert "RandomHorizontalFlip(p=0.5)" in repr(T.Compose([T.RandomHorizontalFlip()]))


def test_errors_name_the_transform():
    with pytest.raises(TypeError, match="RandomHorizontalFlip"):
        T.RandomHorizontalFlip(1.0)(np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="CenterCrop"):
        T.CenterCrop(0)


# ---------------------------------------------------------------------- batch versions
@given(n=st.integers(1, 6), pad=st.integers(0, 4), seed=st.integers(0, 1000),
       mode=st.sampled_from(["constant", "edge", "reflect", "symmetric"]))
def test_batch_random_crop_matches_per_image_crops(n, pad, seed, mode):
    x = np.random.default_rng(seed).random((n, 2, 6, 7)).astype(np.float32)
    out = T.batch_random_crop(x, (6, 7), padding=pad, padding_mode=mode,
                              generator=np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, 2 * pad + 1, size=n)
    lefts = rng.integers(0, 2 * pad + 1, size=n)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode=mode)
    for k in range(n):
        np.testing.assert_array_equal(out[k], padded[k, :, tops[k]:tops[k] + 6,
                                                     lefts[k]:lefts[k] + 7])


def test_batch_random_horizontal_flip_and_tensors():
    x = np.random.default_rng(0).random((50, 1, 2, 3))
    out = T.batch_random_horizontal_flip(x, 0.5, generator=np.random.default_rng(1))
    flips = np.random.default_rng(1).random(50) < 0.5
    np.testing.assert_array_equal(out[flips], x[flips][..., ::-1])
    np.testing.assert_array_equal(out[~flips], x[~flips])
    assert 0 < flips.sum() < 50
    t = minidl.tensor(x)
    crop = T.batch_random_crop(t, 2, padding=1)
    assert isinstance(crop, minidl.Tensor) and crop.shape == (50, 1, 2, 2)
    assert isinstance(T.batch_random_horizontal_flip(t), minidl.Tensor)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        T.batch_random_crop(x[0], 2)
