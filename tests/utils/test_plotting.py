"""Tests for minidl.utils.plotting: PNGs are written, grids hold the right pixels."""
import doctest
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import minidl
from minidl.utils import plotting as plotting_module
from minidl.utils.logger import RunLogger
from minidl.utils.plotting import make_grid, plot_curves, plot_lr, save_image_grid

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_docstring_examples():
    result = doctest.testmod(plotting_module)
    assert result.attempted > 0 and result.failed == 0


def assert_png(path, min_size=(100, 100)):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    with Image.open(path) as image:
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        return image.size


def test_plot_curves_from_csv_dict_and_rows(tmp_path):
    log = RunLogger(tmp_path / "run")
    for epoch in range(1, 6):
        log.log(epoch=epoch, train_loss=2.0 / epoch, val_loss=2.2 / epoch if epoch % 2 else None,
                train_acc=0.1 * epoch, val_acc=0.09 * epoch, lr=0.1)
    two_panels = assert_png(plot_curves(log.metrics_path, tmp_path / "a" / "curves.png"))
    history = log.read_metrics()
    assert assert_png(plot_curves(history, tmp_path / "b.png", title="run")) == two_panels
    rows = [{"epoch": e, "loss": 1.0 / e} for e in range(1, 4)]
    one_panel = assert_png(plot_curves(rows, tmp_path / "c.png"))
    assert one_panel[0] < two_panels[0]  # only the loss panel


def test_plotting_leaves_pyplot_alone(tmp_path):
    # In a fresh interpreter: other tests of the session may have imported pyplot.
    code = ("import sys, minidl.utils.plotting as p; "
            f"p.plot_lr([1.0, 0.5], {str(tmp_path / 'lr.png')!r}); "
            "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_curves_needs_loss_or_accuracy(tmp_path):
    with pytest.raises(ValueError, match="plot_curves: no column ending in 'loss'"):
        plot_curves({"epoch": [1, 2], "lr": [0.1, 0.1]}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="metrics.csv path"):
        plot_curves(42, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_lr_from_list_and_history(tmp_path):
    assert_png(plot_lr([0.1] * 10 + [0.001] * 10, tmp_path / "lr.png"))
    assert_png(plot_lr({"epoch": [1, 2, 3], "lr": [0.1, 0.05, 0.025]}, tmp_path / "lr2.png",
                       log_scale=False))
    with pytest.raises(ValueError, match="no 'lr' column"):
        plot_lr({"epoch": [1]}, tmp_path / "lr3.png")


def test_make_grid_places_each_image():
    # 5 gray NCHW images 2x3, image i filled with value i / 4 (floats in [0, 1])
    images = np.stack([np.full((1, 2, 3), i / 4) for i in range(5)])
    grid = make_grid(images, nrow=3, padding=1, pad_value=7)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 3) and grid.dtype == np.uint8
    for i in range(5):
        top, left = 1 + (i // 3) * 3, 1 + (i % 3) * 4
        assert (grid[top:top + 2, left:left + 3] == round(i / 4 * 255)).all()
    assert (grid[0] == 7).all() and (grid[4:6, 9:12] == 7).all()  # padding and empty cell


def test_make_grid_layouts_and_value_ranges():
    rng = np.random.default_rng(0)
    nchw = rng.random((2, 3, 4, 5))
    assert np.array_equal(make_grid(nchw), make_grid(nchw.transpose(0, 2, 3, 1)))
    assert np.array_equal(make_grid(minidl.tensor(nchw)), make_grid(nchw))
    # normalised images are stretched from the batch's min..max
    normed = np.array([-2.0, 0.0, 2.0]).reshape(1, 1, 1, 3)
    assert make_grid(normed, padding=0)[0, :, 0].tolist() == [0, 128, 255]
    assert make_grid(normed, padding=0, value_range=(0, 2))[0, :, 0].tolist() == [0, 0, 255]
    u8 = np.array([[[10, 20], [30, 40]]], dtype=np.uint8)  # (N, H, W)
    assert make_grid(u8, padding=0)[..., 1].tolist() == [[10, 20], [30, 40]]
    with pytest.raises(ValueError, match=r"1 or 3 channels.*\(2, 5, 4, 4\)"):
        make_grid(np.zeros((2, 5, 4, 4)))


def test_save_image_grid_plain_and_labelled(tmp_path):
    images = np.random.default_rng(1).random((6, 3, 8, 8)).astype(np.float32)
    plain = save_image_grid(images, tmp_path / "grid.png", nrow=3)
    with Image.open(plain) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), make_grid(images, nrow=3))
    labelled = save_image_grid(minidl.tensor(images), tmp_path / "sub" / "labelled.png", nrow=3,
                               labels=minidl.tensor([0, 1, 2, 0, 1, 2]),
                               class_names=["cat", "dog", "ship"])
    assert_png(labelled)
    assert_png(save_image_grid(images[:2], tmp_path / "s.png", labels=["a", "b"]), (50, 50))
    with pytest.raises(ValueError, match="6 images but 2 labels"):
        save_image_grid(images, tmp_path / "bad.png", labels=[0, 1])
