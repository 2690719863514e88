"""The BYOL course's data formats (files written here) and the 65-class stand-in."""
import numpy as np
import pytest
from PIL import Image

from minidl.data.datasets import OfficeHome, SyntheticOffice, UnlabelledImages


def write_office(root, split, labels):
    (root / split).mkdir(parents=True)
    lines = ["id,filename,label"]
    for i, label in enumerate(labels):
        Image.fromarray(np.full((10, 12, 3), 3 * label, np.uint8)).save(root / split / f"{i:05d}.jpg")
        lines.append(f"{i},{i:05d}.jpg,{label}")
    (root / f"{split}.csv").write_text("\n".join(lines) + "\n")


def test_office_home_csv_layout(tmp_path):
    write_office(tmp_path, "train", [3, 0, 64])
    write_office(tmp_path, "val", [1])
    train = OfficeHome(tmp_path, "train", size=8)
    assert len(train) == 3 and train.targets == [3, 0, 64] and len(train.classes) == 65
    image, label = train[0]
    assert image.shape == (8, 8, 3) and label == 3 and abs(int(image.mean()) - 9) <= 2
    assert OfficeHome(tmp_path, "val", transform=lambda a: a[:2])[0][0].shape == (2, 12, 3)
    (tmp_path / "train" / "00001.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="1 images of .*train.csv are missing"):
        OfficeHome(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="OfficeHome: no"):
        OfficeHome(tmp_path, "test")


def test_unlabelled_folder(tmp_path):
    for name in ("b.jpg", "a.png"):
        Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    ds = UnlabelledImages(tmp_path, size=4)
    assert [p.name for p in ds.files] == ["a.png", "b.jpg"] and ds[1][0].shape == (4, 4, 3)
    assert ds[0][1] == -1
    with pytest.raises(FileNotFoundError, match="UnlabelledImages: no image files"):
        UnlabelledImages(tmp_path / "..")


def test_stand_in_has_65_balanced_classes_told_apart_by_colour_cast():
    ds = SyntheticOffice(n=650, size=16, seed=0)
    counts = np.bincount(ds.targets, minlength=65)
    assert counts.min() == counts.max() == 10
    labels = np.asarray(ds.targets)
    # casts 1-3 tint red, green, blue: the mean channel balance follows the cast
    means = np.array([ds.images[labels // 10 == c].reshape(-1, 3).mean(axis=0) for c in (1, 2, 3)])
    assert means[0].argmax() == 0 and means[1].argmax() == 1 and means[2].argmax() == 2
    with pytest.raises(ValueError, match="SyntheticOffice: num_classes"):
        SyntheticOffice(n=10, num_classes=80)
