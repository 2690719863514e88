"""``SyntheticTrafficSigns``: generated road-sign crops, a stand-in for a traffic-sign data set.

A traffic-sign crop data set holds small RGB photographs, each centred roughly on one sign,
stored as one folder per class (load it with :class:`~minidl.data.datasets.ImageFolder`).
This generator draws look-alikes with PIL, deterministically from a seed:

* ten classes named by the letter on the sign. Signs come in five plates, two letters per
  plate, so the plate's shape and colour narrow a sign down to two classes and only the glyph
  decides between them (as a real "speed limit 30" differs from "speed limit 50" only by its
  digits)::

      plate                              letters
      white disc, red rim                M  W
      blue square, white glyph           N  Z
      white triangle, red rim            E  F
      yellow diamond, black rim          K  X
      red octagon, white glyph           T  Y

  Some pairs are near-rotations of each other (N and Z, M and W), which is what makes a
  rotated sign hard to read;
* each sign is drawn upright on its own transparent layer, then placed on the crop by one
  projective warp: a random scale, rotation and offset, and a random shift of each corner
  (perspective, as if seen from the side);
* the background is a colour gradient with clutter (random lines, boxes and blobs);
* lighting: a random brightness, contrast, colour cast and shadow gradient over the whole
  crop, a random blur and pixel noise.

Images are drawn three times larger than ``image_size`` and shrunk with a Lanczos filter,
which anti-aliases edges. ``difficulty`` chooses the ranges of the random placement::

                 rotation    offset (of the side)   scale        perspective
    "standard"   +-12 deg    +-8 %                  0.75..1.0    0.15
    "hard"       +-45 deg    +-22 %                 0.55..0.95   0.25

"standard" resembles cropped sign photographs; "hard" (strong rotation and offset) is where a
spatial transformer, which learns to undo the placement, has something to undo.

Generation is deterministic given ``(n, split, seed, image_size, difficulty)``; the three
splits use different random streams. Arrays are cached in memory.

Example:
    >>> ds = SyntheticTrafficSigns(n=20, seed=0)
    >>> ds.data.shape, ds.data.dtype, ds.classes[:4]
    ((20, 32, 32, 3), dtype('uint8'), ['E', 'F', 'K', 'M'])
    >>> sorted(set(ds.targets)) == list(range(10))
    True
"""
from __future__ import annotations

import functools
import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..transforms import _perspective_coeffs
from ._base import ArrayImageDataset

__all__ = ["SyntheticTrafficSigns", "render_sign", "GLYPHS", "PLATES", "DIFFICULTY",
           "write_image_folder"]

# Each glyph as strokes (polylines) in a unit box: x to the right, y downwards, 0..1.
GLYPHS = {
    "E": [[(0.8, 0.0), (0.0, 0.0), (0.0, 1.0), (0.8, 1.0)], [(0.0, 0.5), (0.6, 0.5)]],
    "F": [[(0.8, 0.0), (0.0, 0.0), (0.0, 1.0)], [(0.0, 0.5), (0.6, 0.5)]],
    "K": [[(0.0, 0.0), (0.0, 1.0)], [(0.8, 0.0), (0.0, 0.55)], [(0.3, 0.35), (0.85, 1.0)]],
    "M": [[(0.0, 1.0), (0.0, 0.0), (0.5, 0.6), (1.0, 0.0), (1.0, 1.0)]],
    "N": [[(0.0, 1.0), (0.0, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "W": [[(0.0, 0.0), (0.0, 1.0), (0.5, 0.4), (1.0, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.0, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "Z": [[(0.0, 0.0), (0.9, 0.0), (0.0, 1.0), (0.9, 1.0)]],
}

# plate name: (outline as (angle in degrees, radius) pairs or "disc", fill RGB, rim RGB or None,
# glyph RGB, letters on this plate)
WHITE, RED, BLUE, YELLOW, BLACK = (235, 235, 230), (200, 30, 35), (30, 70, 170), (240, 190, 30), (
    25, 25, 25)
PLATES = {
    "disc": ("disc", WHITE, RED, BLACK, "MW"),
    "square": ([(45 + 90 * i, 1.0) for i in range(4)], BLUE, None, WHITE, "NZ"),
    "triangle": ([(-90 + 120 * i, 1.05) for i in range(3)], WHITE, RED, BLACK, "EF"),
    "diamond": ([(90 * i, 1.0) for i in range(4)], YELLOW, BLACK, BLACK, "KX"),
    "octagon": ([(22.5 + 45 * i, 1.0) for i in range(8)], RED, WHITE, WHITE, "TY"),
}
CLASSES = sorted(letter for plate in PLATES.values() for letter in plate[4])

# ranges of the random placement: rotation (degrees), offset (fraction of the side),
# scale (sign diameter as a fraction of the side), perspective (corner shift, fraction of half
# the sign's size)
DIFFICULTY = {
    "standard": {"rotation": 12.0, "offset": 0.08, "scale": (0.75, 1.0), "perspective": 0.15},
    "hard": {"rotation": 45.0, "offset": 0.22, "scale": (0.55, 0.95), "perspective": 0.25},
}
SUPERSAMPLE = 3   # draw at 3x the output size, then shrink (anti-aliasing)
SPLITS = ("train", "val", "test")


def _plate_for(letter: str):
    for plate in PLATES.values():
        if letter in plate[4]:
            return plate
    raise ValueError(f"SyntheticTrafficSigns: no plate carries the letter {letter!r}")


def _outline(shape, centre: float, radius: float) -> list:
    """Polygon vertices (x, y) of a plate shape; y grows downwards."""
    return [(centre + radius * r * math.cos(math.radians(a)),
             centre + radius * r * math.sin(math.radians(a))) for a, r in shape]


def _draw_plate(draw: ImageDraw.ImageDraw, shape, size: int, radius: float, colour, alpha=255):
    c = size / 2
    if shape == "disc":
        draw.ellipse([c - radius, c - radius, c + radius, c + radius], fill=colour + (alpha,))
    else:
        draw.polygon(_outline(shape, c, radius), fill=colour + (alpha,))


def _sign_layer(letter: str, size: int, tint: np.ndarray) -> Image.Image:
    """The upright sign of ``letter`` on a transparent size x size RGBA layer.

    The plate's circumradius is 0.45 size; ``tint`` (3 factors near 1) varies its colours.
    """
    shape, fill, rim, glyph, _ = _plate_for(letter)

    def tinted(rgb):
        return tuple(int(np.clip(v * t, 0, 255)) for v, t in zip(rgb, tint))
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    radius = 0.45 * size
    if rim is not None:
        _draw_plate(draw, shape, size, radius, tinted(rim))
        _draw_plate(draw, shape, size, radius * 0.8, tinted(fill))
    else:
        _draw_plate(draw, shape, size, radius, tinted(fill))
    # the glyph in a box centred on the plate's centre (lower for the triangle's wide base)
    box = 0.34 * size
    x0 = size / 2 - box / 2
    y0 = size / 2 - box / 2 + (0.06 * size if shape != "disc" and len(shape) == 3 else 0.0)
    width = max(1, round(0.075 * size))
    for stroke in GLYPHS[letter]:
        points = [(x0 + x * box, y0 + y * box) for x, y in stroke]
        draw.line(points, fill=tinted(glyph) + (255,), width=width, joint="curve")
    return layer


def _background(rng: np.random.Generator, size: int) -> Image.Image:
    """A gradient of two random colours with random clutter drawn on it."""
    a, b = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:size, 0:size] / size - 0.5
    t = np.clip(0.5 + xs * math.cos(angle) + ys * math.sin(angle), 0, 1)[..., None]
    image = Image.fromarray((a * (1 - t) + b * t).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 7))):
        colour = tuple(int(v) for v in rng.uniform(0, 255, 3))
        x0, y0, x1, y1 = (float(v) for v in rng.uniform(-0.2, 1.2, 4) * size)
        kind = rng.integers(3)
        if kind == 0:
            draw.line([(x0, y0), (x1, y1)], fill=colour, width=int(rng.integers(1, size // 10 + 2)))
        elif kind == 1:
            draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], fill=colour)
        else:
            r = float(rng.uniform(0.05, 0.25) * size)
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.0) * SUPERSAMPLE)))


def _placement(rng: np.random.Generator, size: int, spec: dict):
    """Where the corners of the upright sign layer land: a similarity plus corner jitter."""
    angle = math.radians(rng.uniform(-spec["rotation"], spec["rotation"]))
    scale = rng.uniform(*spec["scale"]) / 0.9     # the plate's diameter is 0.9 of its layer
    shift = rng.uniform(-spec["offset"], spec["offset"], 2) * size
    c = size / 2
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], float) - c
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    placed = corners @ rotation.T * scale + c + shift
    jitter = rng.uniform(-1, 1, (4, 2)) * spec["perspective"] * scale * size / 2
    return corners + c, placed + jitter


def render_sign(letter: str, rng: np.random.Generator, image_size: int = 32,
                difficulty: str = "standard") -> np.ndarray:
    """Draw one crop of the sign ``letter``: an (image_size, image_size, 3) uint8 array.

    Args:
        letter: one of :data:`CLASSES`.
        rng: the generator all randomness comes from.
        image_size: side of the square crop.
        difficulty: a key of :data:`DIFFICULTY`.
    """
    if difficulty not in DIFFICULTY:
        raise ValueError(f"SyntheticTrafficSigns: difficulty must be one of "
                         f"{sorted(DIFFICULTY)}, got {difficulty!r}")
    size = image_size * SUPERSAMPLE
    canvas = _background(rng, size).convert("RGBA")
    sign = _sign_layer(letter, size, tint=rng.uniform(0.8, 1.1, 3))
    source, placed = _placement(rng, size, DIFFICULTY[difficulty])
    coeffs = _perspective_coeffs(source.tolist(), placed.tolist())   # output pixel -> layer
    sign = sign.transform((size, size), Image.Transform.PERSPECTIVE, coeffs, Image.BICUBIC)
    image = Image.alpha_composite(canvas, sign).convert("RGB")
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.0) * SUPERSAMPLE)))
    image = image.resize((image_size, image_size), Image.LANCZOS)

    # lighting: contrast about mid-grey, brightness, a colour cast, a shadow gradient, noise
    x = np.asarray(image, np.float32) / 255.0
    x = (x - 0.5) * rng.uniform(0.6, 1.2) + 0.5
    x = x * rng.uniform(0.55, 1.25) * rng.uniform(0.9, 1.1, 3)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:image_size, 0:image_size] / image_size - 0.5
    x *= (1.0 + rng.uniform(0, 0.6) * (xs * math.cos(angle) + ys * math.sin(angle)))[..., None]
    x += rng.normal(0.0, rng.uniform(0.0, 0.04), x.shape)
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def _generate(n: int, split: str, seed: int, image_size: int, difficulty: str):
    rng = np.random.default_rng([seed, SPLITS.index(split), image_size,
                                 list(DIFFICULTY).index(difficulty)])
    labels = rng.permutation(np.arange(n) % len(CLASSES))   # balanced classes
    images = np.stack([render_sign(CLASSES[k], rng, image_size, difficulty) for k in labels])
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


class SyntheticTrafficSigns(ArrayImageDataset):
    """Generated crops of ten letter-named road signs (see the module's description).

    Args:
        n: number of images (default: 5,000 for train, 1,000 for val and test).
        split: ``"train"``, ``"val"`` or ``"test"`` (different random streams).
        seed: fixes the images; the same arguments give the same data.
        image_size: side of the square crops (at least 16).
        difficulty: ``"standard"`` or ``"hard"`` (strong random rotation and offset).
        transform: applied to each image (an (image_size, image_size, 3) uint8 array).
        target_transform: applied to each label.

    Attributes:
        data: (n, image_size, image_size, 3) uint8 array (read-only); ``targets``: list of
        ints; ``classes``: the letters, sorted; ``class_to_idx``: letter -> index.

    Example:
        >>> ds = SyntheticTrafficSigns(n=10, split="test", seed=1, difficulty="hard")
        >>> img, label = ds[0]
        >>> img.shape, ds.classes[label] in "EFKMNTWXYZ"
        ((32, 32, 3), True)
    """

    classes = list(CLASSES)

    def __init__(self, n: int | None = None, split: str = "train", seed: int = 0,
                 image_size: int = 32, difficulty: str = "standard", transform=None,
                 target_transform=None):
        if split not in SPLITS:
            raise ValueError(f"SyntheticTrafficSigns: split must be one of {SPLITS}, "
                             f"got {split!r}")
        if difficulty not in DIFFICULTY:
            raise ValueError(f"SyntheticTrafficSigns: difficulty must be one of "
                             f"{sorted(DIFFICULTY)}, got {difficulty!r}")
        if n is None:
            n = 5000 if split == "train" else 1000
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"SyntheticTrafficSigns: n must be a positive int, got {n!r}")
        if image_size < 16:
            raise ValueError(f"SyntheticTrafficSigns: image_size must be at least 16, "
                             f"got {image_size}")
        self.split, self.seed = split, seed
        self.image_size, self.difficulty = image_size, difficulty
        self.transform = transform
        self.target_transform = target_transform
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.data, labels = _generate(int(n), split, int(seed), int(image_size), difficulty)
        self.targets = labels.tolist()

    def __repr__(self) -> str:
        return (f"SyntheticTrafficSigns(split={self.split!r}, samples={len(self)}, "
                f"seed={self.seed}, image_size={self.image_size}, "
                f"difficulty={self.difficulty!r})")


def write_image_folder(dataset, root) -> str:
    """Write a data set of (HWC uint8 image, label) to ``root/<class name>/<index>.png``.

    This is the on-disk layout of a sign-crop data set (one folder per class), which
    :class:`~minidl.data.datasets.ImageFolder` reads back. Returns ``root``.

    Example:
        >>> import tempfile
        >>> from minidl.data.datasets import ImageFolder
        >>> root = write_image_folder(SyntheticTrafficSigns(n=10, seed=0), tempfile.mkdtemp())
        >>> ImageFolder(root).classes == SyntheticTrafficSigns.classes
        True
    """
    root = os.fspath(root)
    names = dataset.classes
    for i in range(len(dataset)):
        image, label = dataset[i]
        folder = os.path.join(root, names[label])
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(np.asarray(image)).save(os.path.join(folder, f"{i:05d}.png"))
    return root
