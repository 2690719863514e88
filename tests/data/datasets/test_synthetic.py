"""SyntheticShapes: deterministic, balanced, shaped like CIFAR-10, and about shape not colour."""
import numpy as np
import pytest

from minidl.data import DataLoader
from minidl.data import transforms as T
from minidl.data.datasets import SyntheticShapes
from minidl.data.datasets.synthetic import _distance, render_shapes


def test_interface_like_cifar10():
    ds = SyntheticShapes(n=50, seed=3)
    assert ds.data.shape == (50, 32, 32, 3) and ds.data.dtype == np.uint8
    assert len(ds) == 50 and len(ds.classes) == 10 and isinstance(ds.targets, list)
    img, label = ds[7]
    assert img.shape == (32, 32, 3) and label == ds.targets[7] and isinstance(label, int)
    same_call = SyntheticShapes(root="/nonexistent", train=False, transform=T.ToTensor(),
                                download=True, n=10)
    assert same_call[0][0].shape == (3, 32, 32)


def test_deterministic_by_seed_and_split():
    a = SyntheticShapes(n=40, seed=1)
    b = SyntheticShapes(n=40, seed=1)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.targets == b.targets
    # a fresh render (not the cache) gives the same images
    rng = np.random.default_rng([1, 0, 32])
    labels = rng.permutation(np.arange(40) % 10)
    np.testing.assert_array_equal(render_shapes(labels, rng), a.data)
    assert not np.array_equal(SyntheticShapes(n=40, seed=2).data, a.data)
    assert not np.array_equal(SyntheticShapes(n=40, seed=1, split="test").data, a.data)


def test_balanced_classes():
    assert np.bincount(SyntheticShapes(n=200, seed=0).targets).tolist() == [20] * 10
    assert np.bincount(SyntheticShapes(n=25, seed=0).targets).tolist() == [3] * 5 + [2] * 5


def test_colour_says_nothing_about_the_class():
    ds = SyntheticShapes(n=2000, seed=0)
    mean_colour = ds.data.reshape(2000, -1, 3).mean(axis=1)
    labels = np.array(ds.targets)
    per_class = np.stack([mean_colour[labels == k].mean(axis=0) for k in range(10)])
    # class means of the mean colour differ by little compared to the spread between images
    assert np.ptp(per_class, axis=0).max() < 0.3 * mean_colour.std(axis=0).min()


def test_figures_are_visible_and_sized():
    """Each figure covers a sizeable, class-dependent part of the image."""
    grid = np.mgrid[-1.5:1.5:121j, -1.5:1.5:121j]
    areas = [(_distance(k, grid[1], grid[0]) < 0).mean() * 9 for k in range(10)]
    assert min(areas) > 0.6 and max(areas) < np.pi + 0.1  # in units of radius^2


def test_other_sizes_and_errors():
    assert SyntheticShapes(n=4, image_size=48).data.shape == (4, 48, 48, 3)
    with pytest.raises(ValueError, match="split"):
        SyntheticShapes(n=4, split="val")
    with pytest.raises(ValueError, match="positive"):
        SyntheticShapes(n=0)


def test_batches_through_loader():
    ds = SyntheticShapes(n=20, transform=T.Compose([T.RandomCrop(32, padding=4), T.ToTensor()]))
    x, y = next(iter(DataLoader(ds, batch_size=8, shuffle=True)))
    assert x.shape == (8, 3, 32, 32) and y.dtype == np.int64
