"""SyntheticTrafficSigns: deterministic, balanced, letter-named, drawn where it says, and
written in the one-folder-per-class layout that ImageFolder reads back."""
import numpy as np
import pytest

from minidl.data.datasets import ImageFolder, SyntheticTrafficSigns, write_image_folder
from minidl.data.datasets import traffic_signs
from minidl.data.datasets.traffic_signs import (DIFFICULTY, GLYPHS, PLATES, _generate, _placement,
                                                render_sign)


def test_interface_and_classes():
    ds = SyntheticTrafficSigns(n=30, seed=3)
    assert ds.data.shape == (30, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.classes == sorted("EFKMNTWXYZ") == sorted(GLYPHS)
    assert ds.class_to_idx["M"] == ds.classes.index("M")
    img, label = ds[4]
    assert img.shape == (32, 32, 3) and label == ds.targets[4] and isinstance(label, int)
    # every letter sits on exactly one plate, two letters per plate
    letters = [c for plate in PLATES.values() for c in plate[4]]
    assert sorted(letters) == ds.classes and all(len(p[4]) == 2 for p in PLATES.values())
    assert SyntheticTrafficSigns(n=4, image_size=48).data.shape == (4, 48, 48, 3)


def test_deterministic_by_seed_split_and_difficulty():
    a = SyntheticTrafficSigns(n=20, seed=1)
    _generate.cache_clear()   # a fresh render, not the cached arrays
    b = SyntheticTrafficSigns(n=20, seed=1)
    assert a.data is not b.data
    np.testing.assert_array_equal(a.data, b.data)
    assert a.targets == b.targets
    for other in (SyntheticTrafficSigns(n=20, seed=2), SyntheticTrafficSigns(n=20, seed=1, split="val"),
                  SyntheticTrafficSigns(n=20, seed=1, split="test"),
                  SyntheticTrafficSigns(n=20, seed=1, difficulty="hard")):
        assert not np.array_equal(other.data, a.data)


def test_balanced_classes():
    assert np.bincount(SyntheticTrafficSigns(n=50, seed=0).targets).tolist() == [5] * 10


def plate_colour_fraction(images, rgb, tolerance=70):
    """Fraction of pixels within ``tolerance`` (RGB distance) of a plate colour."""
    distance = np.linalg.norm(images.astype(float) - np.array(rgb, float), axis=-1)
    return (distance < tolerance).mean(axis=(1, 2))


def test_signs_carry_their_plate_colour():
    # the blue square plates (N, Z) hold far more blue pixels than the other signs
    ds = SyntheticTrafficSigns(n=200, seed=0)
    blue = plate_colour_fraction(ds.data, traffic_signs.BLUE)
    on_blue = np.isin(ds.targets, [ds.class_to_idx["N"], ds.class_to_idx["Z"]])
    assert blue[on_blue].mean() > 0.15 > 3 * blue[~on_blue].mean()


def placements(difficulty, n=400, size=96):
    """Offset of the sign's centre (pixels) and its rotation (degrees) over n draws."""
    rng = np.random.default_rng(0)
    offsets, angles = [], []
    for _ in range(n):
        source, placed = _placement(rng, size, DIFFICULTY[difficulty])
        offsets.append(np.abs(placed.mean(axis=0) - size / 2))
        top = placed[1] - placed[0]                  # the layer's top edge, rotated
        angles.append(np.degrees(np.arctan2(top[1], top[0])))
    return np.array(offsets), np.array(angles)


@pytest.mark.parametrize("difficulty", ["standard", "hard"])
def test_placement_stays_within_its_ranges(difficulty):
    spec, size = DIFFICULTY[difficulty], 96
    offsets, angles = placements(difficulty)
    # the centre moves by the offset plus the mean of four corner shifts
    jitter = spec["perspective"] * spec["scale"][1] / 0.9 * size / 2
    assert offsets.max() <= spec["offset"] * size + jitter
    assert offsets.max() > 0.7 * spec["offset"] * size
    # the top edge turns by the rotation, give or take the perspective's corner shifts
    slack = np.degrees(np.arctan(2 * jitter / (spec["scale"][0] / 0.9 * size)))
    assert np.abs(angles).max() <= spec["rotation"] + slack


def test_hard_placement_rotates_and_shifts_more():
    standard_offsets, standard_angles = placements("standard")
    hard_offsets, hard_angles = placements("hard")
    assert hard_offsets.mean() > 2 * standard_offsets.mean()
    assert np.abs(hard_angles).mean() > 2.5 * np.abs(standard_angles).mean()


def test_render_sign_uses_only_the_generator():
    a = render_sign("K", np.random.default_rng(5), 32, "hard")
    b = render_sign("K", np.random.default_rng(5), 32, "hard")
    np.testing.assert_array_equal(a, b)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8


def test_bad_arguments():
    with pytest.raises(ValueError, match="SyntheticTrafficSigns: split must be one of"):
        SyntheticTrafficSigns(n=5, split="validation")
    with pytest.raises(ValueError, match="SyntheticTrafficSigns: difficulty must be one of"):
        SyntheticTrafficSigns(n=5, difficulty="extreme")
    with pytest.raises(ValueError, match="SyntheticTrafficSigns: n must be a positive int"):
        SyntheticTrafficSigns(n=0)
    with pytest.raises(ValueError, match="SyntheticTrafficSigns: image_size must be at least 16"):
        SyntheticTrafficSigns(n=5, image_size=8)
    with pytest.raises(ValueError, match="no plate carries the letter 'Q'"):
        render_sign("Q", np.random.default_rng(0))


def test_write_image_folder_round_trip(tmp_path):
    ds = SyntheticTrafficSigns(n=20, seed=4)
    write_image_folder(ds, tmp_path / "train")
    folder = ImageFolder(str(tmp_path / "train"))
    assert folder.classes == ds.classes and len(folder) == 20
    # PNG is lossless: every image comes back exactly, under its class
    by_name = {p.rsplit("/", 1)[-1]: (p, t) for p, t in folder.samples}
    for i in range(20):
        path, target = by_name[f"{i:05d}.png"]
        assert target == ds.targets[i]
        np.testing.assert_array_equal(np.asarray(folder.loader(path)), ds.data[i])
