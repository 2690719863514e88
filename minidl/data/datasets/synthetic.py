"""``SyntheticShapes``: a generated 10-class stand-in for CIFAR-10 that needs no download.

Each image is a coloured figure on a textured background, drawn with NumPy for a whole
batch at once (no Python loop over images or pixels):

* classes: circle, square, triangle, star, cross, ring, diamond, horizontal bars,
  vertical bars, ellipse;
* every image gets a random position, size (radius 8..13 px at 32 x 32), rotation (within
  +-25 degrees for the triangle, star, cross and ellipse; +-15 degrees for the square, the
  diamond (a square turned 45 degrees) and the bars, whose orientation *is* their class),
  figure colour and background;
* colours are drawn independently of the class (the figure only contrasts with its
  background), so the mean colour says nothing about the label: a model has to look at shape;
* the background is a random colour with a gradient and a smooth texture, and Gaussian noise
  is added to every pixel.

How a figure is drawn: each class has a function ``d(u, v)`` of the pixel's coordinates in the
figure's own frame (centred, rotated, divided by the radius) that is negative inside and
roughly the distance to the edge in radius units. ``alpha = clip(0.5 - d * radius, 0, 1)``
then gives a mask with one pixel of anti-aliasing.

Generation is deterministic given ``(seed, split)``; the train and test splits use
different random streams. Generated arrays are cached in memory, so building the same
dataset twice is free (10,000 images take about two seconds to draw).

Difficulty: the constants below (``ROTATION``, ``RADIUS``, ``NOISE``, ``TEXTURE``,
``MIN_CONTRAST``) were tuned on 5,000 training and 2,000 test images. Trained for 3 epochs
(SGD with momentum 0.9, lr 0.01 on a cosine schedule, weight decay 5e-4, batch 128, random
horizontal flips), the course's three-block CNN (``minidl.models.SimpleCNN``'s layout)
reached 91 % test accuracy and a CIFAR-style ResNet-18 96 % (84 % after 2 epochs); with
lr 0.05 both were unstable in so few steps. A linear classifier on the mean and spread of
each colour channel gets 14 % (chance: 10 %).

Example:
    >>> ds = SyntheticShapes(n=20, seed=0)
    >>> ds.data.shape, ds.data.dtype, sorted(set(ds.targets)) == list(range(10))
    ((20, 32, 32, 3), dtype('uint8'), True)
    >>> img, label = ds[0]
    >>> ds.classes[label] in ds.classes
    True
"""
from __future__ import annotations

import functools

import numpy as np

from ._base import ArrayImageDataset

__all__ = ["SyntheticShapes", "render_shapes"]

CLASSES = ["circle", "square", "triangle", "star", "cross", "ring", "diamond",
           "horizontal bars", "vertical bars", "ellipse"]

# rotation range (degrees) per class: orientation-defined figures only wiggle
ROTATION = {0: 180.0, 1: 15.0, 2: 25.0, 3: 25.0, 4: 25.0, 5: 180.0, 6: 15.0, 7: 15.0,
            8: 15.0, 9: 25.0}
RADIUS = (8.0, 13.0)        # figure radius in pixels at 32 x 32
NOISE = (0.01, 0.05)        # range of the per-image pixel noise standard deviation
TEXTURE = 0.05              # standard deviation of the smooth background texture
MIN_CONTRAST = 0.6          # least RGB distance between figure and background colours


def _bars(across, along):
    """Three parallel bars: distance function with bars stacked along ``across``."""
    centre = np.clip(np.round(across / 0.6), -1, 1) * 0.6  # nearest bar centre: -0.6, 0, 0.6
    return np.maximum(np.maximum(np.abs(along) - 0.9, np.abs(across - centre) - 0.18),
                      np.abs(across) - 0.8)


def _distance(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance (radius units, negative inside) to the figure of class ``label``.

    (u, v) are coordinates in the figure's frame, x to the right and y downwards.
    """
    rho = np.sqrt(u * u + v * v)
    if label == 0:  # circle
        return rho - 1.0
    if label == 1:  # square
        return np.maximum(np.abs(u), np.abs(v)) - 0.8
    if label == 2:  # equilateral triangle, circumradius 1.1: three half-planes
        d = None
        for angle in (-90.0, 30.0, 150.0):
            a = np.radians(angle)
            side = u * np.cos(a) + v * np.sin(a) - 0.55
            d = side if d is None else np.maximum(d, side)
        return d
    if label == 3:  # five-pointed star: radius between 0.45 (valleys) and 1 (points)
        phi = np.arctan2(v, u)
        t = (phi * 5.0 / (2 * np.pi)) % 1.0
        points = 1.0 - 2.0 * np.abs(t - 0.5)  # 1 at a point, 0 at a valley
        return (rho - (0.42 + 0.58 * points)) * 0.7
    if label == 4:  # plus-shaped cross
        return np.minimum(np.maximum(np.abs(u) - 0.3, np.abs(v) - 1.0),
                          np.maximum(np.abs(v) - 0.3, np.abs(u) - 1.0))
    if label == 5:  # ring
        return np.maximum(rho - 1.0, 0.55 - rho)
    if label == 6:  # diamond: a square standing on a corner
        return (np.abs(u) + np.abs(v) - 1.0) / np.sqrt(2.0)
    if label == 7:  # horizontal bars
        return _bars(v, u)
    if label == 8:  # vertical bars
        return _bars(u, v)
    if label == 9:  # ellipse with axes 1 and 0.45
        return (np.sqrt(u * u + (v / 0.45) ** 2) - 1.0) * 0.45
    raise ValueError(f"SyntheticShapes: unknown class {label}")


def _bilinear_matrix(size: int, grid: int) -> np.ndarray:
    """(size, grid) matrix that interpolates ``grid`` values linearly onto ``size`` pixels."""
    pos = np.linspace(0, grid - 1, size)
    low = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    frac = pos - low
    m = np.zeros((size, grid))
    m[np.arange(size), low] = 1 - frac
    m[np.arange(size), low + 1] = frac
    return m


def render_shapes(labels: np.ndarray, rng: np.random.Generator, image_size: int = 32) -> np.ndarray:
    """Draw one figure per label: (N, image_size, image_size, 3) uint8 images.

    Args:
        labels: (N,) class indices in 0..9.
        rng: the generator all randomness comes from.
        image_size: side length in pixels (sizes scale with it).
    """
    n, s = len(labels), image_size
    unit = s / 32.0
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5  # pixel centres

    # figure geometry
    radius = rng.uniform(*RADIUS, n) * unit
    margin = radius * 0.9
    cx = rng.uniform(margin, s - margin)
    cy = rng.uniform(margin, s - margin)
    spread = np.array([ROTATION[int(k)] for k in labels])
    angle = np.radians(rng.uniform(-spread, spread))

    # colours: independent of the class; the figure differs clearly from its background
    bg = rng.uniform(0.0, 1.0, (n, 3))
    fg = rng.uniform(0.0, 1.0, (n, 3))
    too_close = np.linalg.norm(fg - bg, axis=1) < MIN_CONTRAST
    fg[too_close] = (bg[too_close] + 0.5) % 1.0  # every channel 0.5 away

    # background: colour + linear gradient + smooth 4x4 texture
    gdir = rng.uniform(0, 2 * np.pi, n)
    gamp = rng.uniform(-0.25, 0.25, (n, 3))
    ramp = ((xs - s / 2)[None] * np.cos(gdir).astype(np.float32)[:, None, None]
            + (ys - s / 2)[None] * np.sin(gdir).astype(np.float32)[:, None, None]) / s
    # ramp: (N, S, S), values in [-0.7, 0.7]
    m = _bilinear_matrix(s, 4).astype(np.float32)
    coarse = rng.normal(0.0, TEXTURE, (n, 3, 4, 4)).astype(np.float32)
    texture = (m @ coarse @ m.T).transpose(0, 2, 3, 1)  # (N, S, S, 3), upsampled bilinearly
    image = (bg[:, None, None, :] + ramp[..., None] * gamp[:, None, None, :]).astype(np.float32)
    image += texture

    # figure mask, class by class on the images of that class
    f32 = np.float32
    dx = xs[None] - cx.astype(f32)[:, None, None]
    dy = ys[None] - cy.astype(f32)[:, None, None]
    cos = (np.cos(angle) / radius).astype(f32)[:, None, None]
    sin = (np.sin(angle) / radius).astype(f32)[:, None, None]
    u = cos * dx + sin * dy   # rotate into the figure's frame, in radius units
    v = -sin * dx + cos * dy
    alpha = np.empty((n, s, s), np.float32)
    for label in range(10):
        idx = np.flatnonzero(labels == label)
        if idx.size:
            d = _distance(label, u[idx], v[idx])
            alpha[idx] = np.clip(0.5 - d * radius[idx, None, None].astype(f32), 0.0, 1.0)
    # the figure's colour, with a little shading along the gradient's direction
    shade = 1.0 + 0.15 * ramp[..., None] * rng.uniform(-1, 1, (n, 1, 1, 1)).astype(f32)
    figure = fg.astype(f32)[:, None, None, :] * shade
    a = alpha[..., None]
    image = image * (1 - a) + figure * a

    sigma = rng.uniform(*NOISE, (n, 1, 1, 1)).astype(f32)
    image += rng.standard_normal(image.shape, dtype=f32) * sigma
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def _generate(n: int, split: str, seed: int, image_size: int):
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, image_size])
    labels = rng.permutation(np.arange(n) % 10)  # balanced: n // 10 (or one more) per class
    images = np.empty((n, image_size, image_size, 3), np.uint8)
    chunk = 2048  # bounds the float64 working memory
    for start in range(0, n, chunk):
        images[start:start + chunk] = render_shapes(labels[start:start + chunk], rng, image_size)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


class SyntheticShapes(ArrayImageDataset):
    """Generated 10-class images of coloured shapes, a drop-in stand-in for :class:`CIFAR10`.

    Args:
        n: number of images (default: 10,000 for train, 2,000 for test).
        train: the training split, else the test split (a different random stream).
        seed: fixes the images; the same (n, split, seed, image_size) gives the same data.
        image_size: side of the square images.
        transform: applied to each image (an (image_size, image_size, 3) uint8 array).
        target_transform: applied to each label.
        root, download: accepted so that code written for CIFAR10 works unchanged; unused.
        split: ``"train"`` or ``"test"``, instead of ``train``.

    Attributes:
        data: (n, image_size, image_size, 3) uint8 array (read-only); ``targets``: list of
        ints; ``classes``: the class names.

    Example:
        >>> ds = SyntheticShapes(n=30, train=False, seed=1)
        >>> len(ds), ds.targets.count(0)
        (30, 3)
    """

    classes = list(CLASSES)

    def __init__(self, n: int | None = None, train: bool = True, seed: int = 0,
                 image_size: int = 32, transform=None, target_transform=None, root=None,
                 download: bool = False, split: str | None = None):
        if split is None:
            split = "train" if train else "test"
        if split not in ("train", "test"):
            raise ValueError(f"SyntheticShapes: split must be 'train' or 'test', got {split!r}")
        if n is None:
            n = 10000 if split == "train" else 2000
        if not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"SyntheticShapes: n must be a positive int, got {n!r}")
        if image_size < 16:
            raise ValueError(f"SyntheticShapes: image_size must be at least 16, got {image_size}")
        self.split, self.train = split, split == "train"
        self.seed, self.image_size = seed, image_size
        self.transform = transform
        self.target_transform = target_transform
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.data, labels = _generate(int(n), split, int(seed), int(image_size))
        self.targets = labels.tolist()

    def __repr__(self) -> str:
        return (f"SyntheticShapes(split={self.split!r}, samples={len(self)}, seed={self.seed}, "
                f"image_size={self.image_size})")
