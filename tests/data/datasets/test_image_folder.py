"""ImageFolder on a small tree of PNG files."""
import os

import numpy as np
import pytest
from PIL import Image

from minidl.data import DataLoader
from minidl.data import transforms as T
from minidl.data.datasets import ImageFolder


@pytest.fixture
def tree(tmp_path, rng):
    """root/{zebra,ant,.hidden}/... with a nested folder and a non-image file."""
    colours = {}
    for cls, names in {"zebra": ["b.png", "a.png"], "ant": ["x.png", "deep/y.png"]}.items():
        for name in names:
            path = tmp_path / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path)
            colours[str(path)] = pixels
    (tmp_path / "ant" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / ".hidden" / "h.png")
    return tmp_path, colours


def test_classes_samples_targets(tree):
    root, colours = tree
    ds = ImageFolder(str(root))
    assert ds.classes == ["ant", "zebra"] and ds.class_to_idx == {"ant": 0, "zebra": 1}
    rel = [(os.path.relpath(p, root), t) for p, t in ds.samples]
    assert rel == [(os.path.join("ant", "deep", "y.png"), 0), (os.path.join("ant", "x.png"), 0),
                   (os.path.join("zebra", "a.png"), 1), (os.path.join("zebra", "b.png"), 1)]
    assert ds.targets == [0, 0, 1, 1] and len(ds) == 4
    img, label = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and label == 1
    np.testing.assert_array_equal(np.asarray(img), colours[ds.samples[2][0]])


def test_transform_and_loader(tree):
    root, _ = tree
    ds = ImageFolder(str(root), transform=T.Compose([T.CenterCrop(4), T.ToTensor()]),
                     target_transform=lambda t: t * 10)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 3, 4, 4) and y.tolist() == [0, 0, 10, 10]


def test_custom_loader_and_filter(tree):
    root, _ = tree
    ds = ImageFolder(str(root), loader=lambda p: os.path.basename(p),
                     is_valid_file=lambda p: p.endswith("a.png") or p.endswith("x.png"))
    assert [ds[i][0] for i in range(len(ds))] == ["x.png", "a.png"]


def test_empty_folders_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="no class folders"):
        ImageFolder(str(tmp_path))
    (tmp_path / "cls").mkdir()
    (tmp_path / "cls" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="no image files"):
        ImageFolder(str(tmp_path))


def test_symlink_loops_are_not_followed_forever(tree):
    root, _ = tree
    os.symlink("..", root / "ant" / "up")                 # back to the root: a loop
    os.symlink(root / "ant" / "deep", root / "ant" / "deep" / "self")  # a folder into itself
    os.symlink(root / "zebra", root / "ant" / "zebra-link")  # another class's folder
    (root / ".extra").mkdir()  # hidden: not a class
    Image.new("RGB", (2, 2)).save(root / ".extra" / "e.png")
    os.symlink(root / ".extra", root / "zebra" / "linked")   # a folder outside: followed
    ds = ImageFolder(str(root))
    rel = [(os.path.relpath(p, root), t) for p, t in ds.samples]
    assert rel == [(os.path.join("ant", "deep", "y.png"), 0), (os.path.join("ant", "x.png"), 0),
                   (os.path.join("zebra", "a.png"), 1), (os.path.join("zebra", "b.png"), 1),
                   (os.path.join("zebra", "linked", "e.png"), 1)]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_decode_errors_name_the_file(tree, damage):
    root, _ = tree
    path = root / "zebra" / "c.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if damage == "truncate" else b"not a jpeg at all")
    ds = ImageFolder(str(root))
    index = [p for p, _ in ds.samples].index(str(path))
    with pytest.raises(OSError, match=r"ImageFolder: cannot decode the image file .*c\.jpg"):
        ds[index]
    ds = ImageFolder(str(root), loader=lambda p: Image.open(p).convert("RGB"))
    with pytest.raises(OSError, match=r"c\.jpg"):  # a custom loader's error names it too
        ds[index]
