"""Land-cover segmentation of satellite images (S8): the course's folder format and a stand-in.

The course's data: a folder of ``xxxx_sat.jpg`` (RGB, 512 x 512) and ``xxxx_mask.png``
(RGB) pairs. A mask is read by thresholding each channel at 128 and taking the code
``4 R + 2 G + B``; the codes name seven classes::

    class  name         colour (R, G, B)   code
    0      urban        (0, 255, 255)      3
    1      agriculture  (255, 255, 0)      6
    2      rangeland    (255, 0, 255)      5
    3      forest       (0, 255, 0)        2
    4      water        (0, 0, 255)        1
    5      barren       (255, 255, 255)    7
    6      unknown      (0, 0, 0)          0

(code 4, pure red, names no class and is read as unknown). :func:`mask_to_rgb` writes
labels back in these colours, which is the format the course's evaluator reads.

:class:`SyntheticSatellite` is a generated stand-in with the same classes and colours:
regions of land cover with wandering borders, each with its own colour and texture
(striped fields, a street grid for urban, smooth water, speckled forest, ...), so a model
has to use colour and texture, as on real images.

Example:
    >>> ds = SyntheticSatellite(n=4, size=32, seed=0)
    >>> image, mask = ds[0]
    >>> image.shape, image.dtype, mask.shape, mask.dtype
    ((32, 32, 3), dtype('uint8'), (32, 32), dtype('int64'))
    >>> bool((read_mask_array(mask_to_rgb(mask)) == mask).all())
    True
"""
from __future__ import annotations

import functools
import pathlib

import numpy as np
from PIL import Image

from ..dataset import Dataset

__all__ = ["SatelliteSegmentation", "SyntheticSatellite", "LAND_COVER_CLASSES", "LAND_COVER_COLOURS",
           "read_mask", "read_mask_array", "mask_to_rgb", "UNKNOWN"]

LAND_COVER_CLASSES = ["urban", "agriculture", "rangeland", "forest", "water", "barren", "unknown"]
LAND_COVER_COLOURS = np.array([(0, 255, 255), (255, 255, 0), (255, 0, 255), (0, 255, 0),
                               (0, 0, 255), (255, 255, 255), (0, 0, 0)], dtype=np.uint8)
UNKNOWN = 6
# code 4R + 2G + B (channels thresholded at 128) -> class; code 4 (red) is no class: unknown
CODE_TO_CLASS = np.array([6, 4, 3, 0, 6, 2, 1, 5], dtype=np.int64)


def read_mask_array(rgb: np.ndarray) -> np.ndarray:
    """Class labels (H, W) int64 of an RGB mask (H, W, 3): threshold at 128, code 4R+2G+B."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] < 3:
        raise ValueError(f"read_mask_array: expected an RGB mask of shape (H, W, 3), got {rgb.shape}")
    bits = (rgb[..., :3] >= 128).astype(np.int64)
    return CODE_TO_CLASS[4 * bits[..., 0] + 2 * bits[..., 1] + bits[..., 2]]


def read_mask(path) -> np.ndarray:
    """Class labels (H, W) int64 of a mask image file (see :func:`read_mask_array`)."""
    with Image.open(path) as img:
        return read_mask_array(np.asarray(img.convert("RGB")))


def mask_to_rgb(labels) -> np.ndarray:
    """The colour-coded mask (H, W, 3) uint8 of class labels (H, W) in [0, 7)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= len(LAND_COVER_COLOURS)):
        raise ValueError(f"mask_to_rgb: labels must lie in [0, {len(LAND_COVER_COLOURS)}), got "
                         f"values from {labels.min()} to {labels.max()}")
    return LAND_COVER_COLOURS[labels]


class SatelliteSegmentation(Dataset):
    """The course's folder of ``xxxx_sat.jpg`` images and ``xxxx_mask.png`` masks.

    Args:
        root: the folder (e.g. ``p3_data/train`` or ``p3_data/validation``).
        size: resize images (bilinear) and masks (nearest) to ``size`` x ``size``; None
            keeps 512 x 512.

    Items are ``(image (H, W, 3) uint8, mask (H, W) int64 class labels)``; ``names`` holds
    the ``xxxx`` of each pair.
    """

    def __init__(self, root, size: int | None = None):
        self.root = pathlib.Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"SatelliteSegmentation: no folder {self.root}")
        images = sorted(self.root.glob("*_sat.jpg"))
        if not images:
            raise FileNotFoundError(f"SatelliteSegmentation: no xxxx_sat.jpg files in {self.root}")
        self.names = [p.name[:-len("_sat.jpg")] for p in images]
        for name in self.names:
            if not (self.root / f"{name}_mask.png").is_file():
                raise FileNotFoundError(f"SatelliteSegmentation: {name}_sat.jpg has no "
                                        f"{name}_mask.png in {self.root}")
        self.size = size

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int):
        name = self.names[index]
        with Image.open(self.root / f"{name}_sat.jpg") as img:
            img = img.convert("RGB")
            if self.size is not None:
                img = img.resize((self.size, self.size), Image.BILINEAR)
            image = np.asarray(img, dtype=np.uint8)
        with Image.open(self.root / f"{name}_mask.png") as m:
            m = m.convert("RGB")
            if self.size is not None:
                m = m.resize((self.size, self.size), Image.NEAREST)
            mask = read_mask_array(np.asarray(m))
        return image, mask


# ----------------------------------------------------------------------- the stand-in
# base colour (RGB in [0, 1]) and texture of each land-cover class in the stand-in
BASE = np.array([[0.55, 0.53, 0.52], [0.62, 0.58, 0.35], [0.52, 0.50, 0.36],
                 [0.16, 0.32, 0.14], [0.10, 0.18, 0.32], [0.72, 0.66, 0.56],
                 [0.02, 0.02, 0.02]])
PROPORTIONS = np.array([0.16, 0.30, 0.14, 0.16, 0.10, 0.12, 0.02])  # agriculture dominates


def _smooth_noise(rng, size: int, cells: int) -> np.ndarray:
    """A smooth random field (size, size) in about [-1, 1]: bilinear upsampling of a grid."""
    grid = rng.standard_normal((cells + 1, cells + 1))
    t = np.linspace(0, cells, size, endpoint=False)
    i = t.astype(int)
    f = t - i
    rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


@functools.lru_cache(maxsize=8)
def render_satellite(n: int, size: int, seed: int) -> tuple:
    """``n`` generated (image, mask) pairs: uint8 (n, size, size, 3) and int64 (n, size, size)."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    masks = np.empty((n, size, size), dtype=np.int64)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for k in range(n):
        # regions: nearest of a few seeds, in coordinates bent by smooth noise
        seeds = rng.integers(5, 10)
        centres = rng.random((seeds, 2))
        labels = rng.choice(7, size=seeds, p=PROPORTIONS)
        u = yy + 0.08 * _smooth_noise(rng, size, 4)
        v = xx + 0.08 * _smooth_noise(rng, size, 4)
        dist = (u[None] - centres[:, 0, None, None]) ** 2 + (v[None] - centres[:, 1, None, None]) ** 2
        mask = labels[dist.argmin(axis=0)]
        colour = BASE[mask] * (1 + 0.15 * rng.standard_normal(3))  # per-image lighting
        fine = _smooth_noise(rng, size, max(2, size // 4))
        angle = rng.uniform(0, np.pi)
        stripes = np.sin((yy * np.cos(angle) + xx * np.sin(angle)) * size * 0.8)
        grid = ((np.arange(size) % 8 < 2)[:, None] | (np.arange(size) % 8 < 2)[None, :])
        texture = np.select(
            [mask == 0, mask == 1, mask == 2, mask == 3, mask == 4, mask == 5],
            [0.25 * grid - 0.08 + 0.05 * fine, 0.10 * stripes, 0.06 * fine,
             0.10 * fine + 0.08 * rng.standard_normal((size, size)), 0.02 * fine, 0.04 * fine],
            default=0.0)
        pixel = colour + texture[..., None] + 0.02 * rng.standard_normal((size, size, 3))
        images[k] = np.clip(pixel * 255, 0, 255).astype(np.uint8)
        masks[k] = mask
    images.setflags(write=False)
    masks.setflags(write=False)
    return images, masks


class SyntheticSatellite(Dataset):
    """A generated stand-in for the course's satellite images, with the same 7 classes.

    Args:
        n: number of (image, mask) pairs.
        size: their height and width.
        seed: random seed; ``train`` picks a different stream for the validation split.

    Items are ``(image (size, size, 3) uint8, mask (size, size) int64)``, as
    :class:`SatelliteSegmentation`.
    """

    def __init__(self, n: int = 400, size: int = 64, seed: int = 0, train: bool = True):
        if n < 1 or size < 8:
            raise ValueError(f"SyntheticSatellite: need n >= 1 and size >= 8, got n={n}, size={size}")
        self.images, self.masks = render_satellite(n, size, 2 * seed + (0 if train else 1))
        self.names = [f"{i:04d}" for i in range(n)]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.images[index], self.masks[index]
