"""The course's satellite mask format (files written here) and the generated stand-in."""
import numpy as np
import pytest
from PIL import Image

from minidl.data.datasets import SatelliteSegmentation, SyntheticSatellite, mask_to_rgb, read_mask
from minidl.data.datasets.satellite import LAND_COVER_COLOURS, read_mask_array


def write_pair(folder, name, image, rgb_mask):
    Image.fromarray(image).save(folder / f"{name}_sat.jpg")
    Image.fromarray(rgb_mask).save(folder / f"{name}_mask.png")


def test_mask_colours_thresholds_and_codes(tmp_path):
    # the course's colour table, slightly off-colour (as JPEG-ish noise) to exercise the 128 threshold
    rgb = np.array([[(10, 250, 240), (250, 240, 3), (200, 0, 130)],
                    [(0, 129, 127), (1, 2, 255), (255, 255, 255)],
                    [(0, 0, 0), (255, 0, 0), (127, 127, 127)]], dtype=np.uint8)
    expected = np.array([[0, 1, 2], [3, 4, 5], [6, 6, 6]])  # red (code 4) and grey: unknown
    Image.fromarray(rgb).save(tmp_path / "m.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png"), expected)
    np.testing.assert_array_equal(read_mask_array(mask_to_rgb(np.arange(7))[None]), [np.arange(7)])
    assert mask_to_rgb(np.array([[4]])).tolist() == [[[0, 0, 255]]]
    with pytest.raises(ValueError, match="mask_to_rgb: labels must lie in"):
        mask_to_rgb(np.array([7]))


def test_folder_dataset_reads_pairs_and_resizes(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, size=(2, 16, 16))
    for i in range(2):
        image = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
        write_pair(tmp_path, f"{i:04d}", image, LAND_COVER_COLOURS[labels[i]])
    ds = SatelliteSegmentation(tmp_path)
    assert len(ds) == 2 and ds.names == ["0000", "0001"]
    image, mask = ds[1]
    assert image.shape == (16, 16, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(mask, labels[1])  # PNG masks are lossless
    small = SatelliteSegmentation(tmp_path, size=8)[0][1]
    np.testing.assert_array_equal(small, labels[0][1::2, 1::2])  # nearest keeps exact labels
    (tmp_path / "0001_mask.png").unlink()
    with pytest.raises(FileNotFoundError, match="0001_sat.jpg has no 0001_mask.png"):
        SatelliteSegmentation(tmp_path)
    with pytest.raises(FileNotFoundError, match="no xxxx_sat.jpg"):
        SatelliteSegmentation(tmp_path / "..")


def test_stand_in_is_deterministic_and_has_every_land_cover_class():
    a, b = SyntheticSatellite(24, 32, seed=1), SyntheticSatellite(24, 32, seed=1)
    np.testing.assert_array_equal(a[3][0], b[3][0])
    val = SyntheticSatellite(24, 32, seed=1, train=False)
    assert not np.array_equal(a[0][0], val[0][0])
    assert set(np.unique(a.masks)) >= set(range(6))
    # classes differ in colour: the per-class mean colours are far apart
    means = np.array([a.images[a.masks == c].mean(axis=0) for c in range(6)])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)[np.triu_indices(6, 1)]
    assert gaps.min() > 10
