"""The traffic-sign data for train.py, test.py, visualize.py and unit_test.py.

Two sources:

* ``folder``: the real layout, small RGB sign crops in one folder per class (letter-named
  classes), with a folder per split::

      DATA_ROOT/train/<class>/*.png      (required)
      DATA_ROOT/val/<class>/*.png        (optional: else 10 % of train is held out)
      DATA_ROOT/test/<class>/*.png       (required)

  Crops of any size are resized to 32 x 32.
* ``synthetic``: the generated stand-in, :class:`minidl.data.datasets.SyntheticTrafficSigns`
  (ten letter-named sign classes drawn with PIL), at difficulty ``standard`` or ``hard``.

``auto`` uses the folder when ``DATA_ROOT/train`` exists, else the stand-in with a banner.
"""
from __future__ import annotations

import os

import numpy as np

from minidl.data import DataLoader, Subset
from minidl.data import transforms as T
from minidl.data.datasets import ImageFolder, SyntheticTrafficSigns, default_root

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)   # pixels in [0, 1] -> about [-2, 2]

BANNER = """\
==============================================================================
  No traffic-sign crops found in {root}
  (expected {root}/train/<class>/*.png and {root}/test/<class>/*.png).
  Using the GENERATED stand-in instead: ten letter-named road signs drawn with
  PIL (difficulty "{difficulty}"). Its accuracy says the code works; it is not
  comparable with the course report. Pass --data_root DIR for the real crops.
=============================================================================="""


def add_data_arguments(parser):
    g = parser.add_argument_group("data")
    g.add_argument("--data", choices=["auto", "folder", "synthetic"], default="auto",
                   help="auto: the folder when DATA_ROOT/train exists, else the generated stand-in")
    g.add_argument("--data_root", default=None,
                   help="folder with train/, [val/,] test/ (default $MINIDL_DATA/traffic_signs)")
    g.add_argument("--difficulty", choices=["standard", "hard"], default="standard",
                   help="stand-in only: hard = strong random rotation and offset")
    g.add_argument("--train_size", type=int, default=4000, help="stand-in training images")
    g.add_argument("--val_size", type=int, default=1000, help="stand-in validation images")
    g.add_argument("--test_size", type=int, default=1000, help="stand-in test images")
    g.add_argument("--image_size", type=int, default=32, help="side of the input images")
    return g


def data_config(args) -> dict:
    """The data settings a checkpoint keeps, so test.py and visualize.py rebuild the same data."""
    root = args.data_root or os.path.join(default_root(), "traffic_signs")
    source = args.data
    if source == "auto":
        source = "folder" if os.path.isdir(os.path.join(root, "train")) else "synthetic"
        if source == "synthetic":
            print(BANNER.format(root=root, difficulty=args.difficulty), flush=True)
    return {"source": source, "data_root": os.path.abspath(root), "difficulty": args.difficulty,
            "train_size": args.train_size, "val_size": args.val_size,
            "test_size": args.test_size, "image_size": args.image_size, "seed": args.seed}


def transform(config: dict, augment: bool = False) -> T.Compose:
    """uint8 image -> normalised (3, S, S) float32 array; with ``augment``, the course's
    RandomRotation(10) and RandomPerspective(0.2) first."""
    steps = []
    if config["source"] == "folder":
        steps.append(T.Resize((config["image_size"], config["image_size"])))
    if augment:
        steps += [T.RandomRotation(10, interpolation="bilinear"),
                  T.RandomPerspective(distortion_scale=0.2)]
    steps += [T.ToTensor(), T.Normalize(MEAN, STD)]
    return T.Compose(steps)


def denormalize(x) -> np.ndarray:
    """Normalised (N, 3, H, W) images back to [0, 1] for pictures."""
    x = np.asarray(x)
    mean = np.array(MEAN, np.float32).reshape(1, 3, 1, 1)
    std = np.array(STD, np.float32).reshape(1, 3, 1, 1)
    return np.clip(x * std + mean, 0.0, 1.0)


def _folder(config, split, tf):
    path = os.path.join(config["data_root"], split)
    if not os.path.isdir(path):
        raise SystemExit(f"error: {path} does not exist (the folder layout is "
                         f"DATA_ROOT/train|val|test/<class>/*.png)")
    return ImageFolder(path, transform=tf)


def datasets(config: dict, augment: bool = False):
    """(train, val, test, class names). Only the training split is augmented."""
    train_tf, eval_tf = transform(config, augment), transform(config)
    if config["source"] == "folder":
        train = _folder(config, "train", train_tf)
        test = _folder(config, "test", eval_tf)
        classes = train.classes
        if test.classes != classes:
            raise SystemExit(f"error: the test classes {test.classes} differ from the "
                             f"training classes {classes}")
        if os.path.isdir(os.path.join(config["data_root"], "val")):
            val = _folder(config, "val", eval_tf)
        else:   # hold out 10 % of train, without augmentation
            n_val = max(1, len(train) // 10)
            order = np.random.default_rng(config["seed"]).permutation(len(train))
            val = Subset(ImageFolder(train.root, transform=eval_tf), order[:n_val].tolist())
            train = Subset(train, order[n_val:].tolist())
        return train, val, test, classes

    def stand_in(split, n, tf):
        return SyntheticTrafficSigns(n=n, split=split, seed=config["seed"],
                                     image_size=config["image_size"],
                                     difficulty=config["difficulty"], transform=tf)
    train = stand_in("train", config["train_size"], train_tf)
    val = stand_in("val", config["val_size"], eval_tf)
    test = stand_in("test", config["test_size"], eval_tf)
    return train, val, test, list(train.classes)


def loader(dataset, batch_size: int, shuffle: bool = False, workers: int = 0) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=workers)

