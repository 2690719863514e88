"""examples/segmentation.py (S8): quick runs on the stand-in and on course-format folders."""
import re

import numpy as np
from PIL import Image

from minidl.data.datasets import read_mask
from minidl.data.datasets.satellite import LAND_COVER_COLOURS

from .test_examples import run_example


def write_course_folder(folder, n, size, seed):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        labels = np.repeat(rng.integers(0, 7, size=(size // 8, size // 8)), 8, axis=0).repeat(8, axis=1)
        image = (LAND_COVER_COLOURS[labels] * 0.6 + 40).astype(np.uint8)
        Image.fromarray(image).save(folder / f"{i:04d}_sat.jpg")
        Image.fromarray(LAND_COVER_COLOURS[labels]).save(folder / f"{i:04d}_mask.png")


def test_deeplabv3_quick_run_then_predict_writes_colour_coded_masks(tmp_path):
    out = run_example("segmentation.py", "--model", "deeplabv3", "--quick", "--channels", "16",
                      "--out", "run", cwd=tmp_path)
    assert "GENERATED" in out and "model: DeepLabv3, resnet18 backbone" in out
    assert re.search(r"epoch 2/2 .*val_mIoU [\d.]+%", out)
    assert re.search(r"water +[\d.]+%", out) and "(not in the mean)" in out
    assert re.search(r"validation mIoU \(evaluator rule, six land-cover classes\): [\d.]+%", out)
    run = tmp_path / "run"
    for name in ("metrics.csv", "curves.png", "masks.png", "best.ckpt", "last.ckpt"):
        assert (run / name).stat().st_size > 0, name
    write_course_folder(tmp_path / "unseen", n=2, size=48, seed=1)
    out = run_example("segmentation.py", "--predict", "unseen", "--out", "run", cwd=tmp_path)
    masks = sorted((tmp_path / "run" / "predict").glob("*_mask.png"))
    assert [m.name for m in masks] == ["0000_mask.png", "0001_mask.png"]
    rgb = np.asarray(Image.open(masks[0]).convert("RGB"))
    assert rgb.shape == (48, 48, 3)  # at the image's own size
    assert {tuple(c) for c in rgb.reshape(-1, 3)} <= {tuple(c) for c in LAND_COVER_COLOURS}
    assert read_mask(masks[0]).max() <= 6


def test_fcn32s_quick_run_on_course_format_folders_and_resume(tmp_path):
    write_course_folder(tmp_path / "p3" / "train", n=4, size=32, seed=0)
    write_course_folder(tmp_path / "p3" / "validation", n=2, size=32, seed=1)
    args = ["--model", "fcn32s", "--width", "0.0625", "--data", "folder", "--root", "p3",
            "--size", "32", "--quick", "--epochs", "1", "--out", "run", "--no-progress"]
    out = run_example("segmentation.py", *args, cwd=tmp_path)
    assert "GENERATED" not in out and "data: folder, 4 train / 2 validation" in out
    assert "FCN-32s, VGG-16 width x0.0625, deconv upsampling" in out
    out = run_example("segmentation.py", *args[:-5], "--epochs", "2", "--out", "run", "--resume",
                      "--no-progress", cwd=tmp_path)
    assert "resumed from" in out and "epoch 2/2" in out and "epoch 1/2" not in out
