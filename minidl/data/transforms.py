"""Image transforms: resizing, cropping, flips, colour changes, augmentation policies.

Kinds of image
--------------
A transform accepts any of these and returns the same kind:

* a PIL image (modes ``L``, ``RGB``, ``RGBA``; other modes are converted to ``RGB``);
* an ``(H, W, C)`` or ``(H, W)`` **uint8** NumPy array (how images are stored on disk);
* a ``(C, H, W)`` **float** NumPy array, what :class:`ToTensor` returns (values in [0, 1]);
  leading dimensions ``(..., C, H, W)`` are allowed and share one random draw.

The dtype tells the layout apart: uint8 arrays are channels-last, float arrays channels-first.
Fill values (``fill=``) are in the image's own units: 0..255 for uint8, 0..1 after ToTensor.
Geometric transforms run PIL's resampling on each channel (float channels as PIL ``F``
images, so float64 input is computed in float32 and cast back).

Randomness
----------
Random transforms draw from :func:`get_generator`: the generator set for the current thread
by ``with use_generator(rng):``, or else minidl's generator
(:func:`minidl.backend.get_default_generator`). The :class:`~minidl.data.DataLoader` draws
one seed per sample in the calling thread and loads each sample inside
``use_generator(numpy.random.default_rng(seed))``, so augmentations are the same with and
without worker threads, and :func:`minidl.manual_seed` makes a run reproducible.

Batch versions
--------------
:func:`batch_random_crop` and :func:`batch_random_horizontal_flip` augment a whole
``(N, C, H, W)`` batch (NumPy/CuPy array or Tensor) in a few vectorised array operations,
which is much faster than per-sample PIL calls for small images such as CIFAR's.

Example:
    >>> import numpy as np
    >>> from minidl.data import transforms as T
    >>> t = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
    ...                T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    >>> with T.use_generator(np.random.default_rng(0)):
    ...     x = t(np.zeros((32, 32, 3), np.uint8))
    >>> x.shape, x.dtype
    ((3, 32, 32), dtype('float32'))
"""
from __future__ import annotations

import contextlib
import math
import numbers
import threading

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from .. import backend

__all__ = [
    "use_generator", "get_generator", "InterpolationMode",
    "Compose", "Lambda", "RandomApply", "ToTensor", "ToPILImage", "Normalize", "Resize",
    "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
    "RandomVerticalFlip", "RandomRotation", "RandomAffine", "RandomPerspective", "ColorJitter",
    "Grayscale", "RandomGrayscale", "GaussianBlur", "TrivialAugmentWide",
    "batch_random_crop", "batch_random_horizontal_flip",
    "solarize", "RandomSolarize", "batch_random_resized_crop", "batch_color_jitter",
    "batch_random_grayscale", "batch_gaussian_blur", "batch_random_solarize",
]

# ============================================================================ randomness
_local = threading.local()


@contextlib.contextmanager
def use_generator(rng: np.random.Generator):
    """Make random transforms in this thread draw from ``rng`` inside the ``with`` block.

    Example:
        >>> import numpy as np
        >>> flip = RandomHorizontalFlip(p=0.5)
        >>> img = np.arange(6, dtype=np.uint8).reshape(2, 3)
        >>> with use_generator(np.random.default_rng(1)):
        ...     a = flip(img)
        >>> with use_generator(np.random.default_rng(1)):
        ...     b = flip(img)
        >>> bool((a == b).all())
        True
    """
    previous = getattr(_local, "rng", None)
    _local.rng = rng
    try:
        yield rng
    finally:
        _local.rng = previous


def get_generator() -> np.random.Generator:
    """The generator random transforms use now: the thread's (see :func:`use_generator`),
    else minidl's default generator."""
    rng = getattr(_local, "rng", None)
    return rng if rng is not None else backend.get_default_generator()


# ============================================================================ image kinds
class InterpolationMode:
    """Names of resampling filters (strings, so ``"bilinear"`` works as well)."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {
    "nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC, "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING, "lanczos": Image.Resampling.LANCZOS,
}


def _pil_filter(interpolation, who: str, geometric: bool = False):
    name = interpolation.lower() if isinstance(interpolation, str) else None
    if name is None:  # a PIL constant
        for key, value in _PIL_FILTERS.items():
            if value == interpolation:
                name = key
    allowed = ("nearest", "bilinear", "bicubic") if geometric else tuple(_PIL_FILTERS)
    if name not in allowed:
        raise ValueError(f"{who}: interpolation must be one of {allowed}, got {interpolation!r}")
    return _PIL_FILTERS[name]


def _is_pil(img) -> bool:
    return isinstance(img, Image.Image)


def _check_array(img, who: str) -> np.ndarray:
    """Validate an image array: (H, W[, C]) uint8 or (..., C, H, W) float."""
    if _is_pil(img):
        return img
    if not isinstance(img, np.ndarray):
        raise TypeError(f"{who}: expected a PIL image or a NumPy array, got {type(img).__name__}")
    if img.dtype == np.uint8:
        if img.ndim not in (2, 3):
            raise ValueError(f"{who}: expected a uint8 image of shape (H, W) or (H, W, C), "
                             f"got shape {img.shape}")
    elif img.dtype.kind == "f":
        if img.ndim < 2:
            raise ValueError(f"{who}: expected a float image of shape (..., C, H, W), "
                             f"got shape {img.shape}")
    else:
        raise TypeError(f"{who}: expected a uint8 (H, W, C) or float (C, H, W) image, "
                        f"got dtype {img.dtype} with shape {img.shape}")
    return img


def _pil_to_array(img: Image.Image) -> np.ndarray:
    if img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGB")
    return np.array(img)


def _on_array(fn, img, who: str):
    """Run ``fn(array)`` on an image of any kind, giving back the same kind."""
    if _is_pil(img):
        return Image.fromarray(fn(_pil_to_array(img)))
    return fn(_check_array(img, who))


def _hw(img) -> tuple[int, int]:
    """(height, width) of an image of any kind."""
    if _is_pil(img):
        return img.height, img.width
    if img.dtype == np.uint8:
        return img.shape[0], img.shape[1]
    return img.shape[-2], img.shape[-1]


def _num_channels(arr: np.ndarray) -> int:
    if arr.dtype == np.uint8:
        return 1 if arr.ndim == 2 else arr.shape[2]
    return 1 if arr.ndim == 2 else arr.shape[-3]


def _fill_for(fill, channel: int):
    if fill is None:
        return 0
    if isinstance(fill, numbers.Number):
        return fill
    fill = list(fill)
    return fill[channel] if len(fill) > 1 else fill[0]


def _map_planes(arr: np.ndarray, fn, fill=0) -> np.ndarray:
    """Apply ``fn(plane: PIL image, fill) -> PIL image`` to every channel of an array.

    uint8 channels become PIL ``L`` images, float channels PIL ``F`` (float32) images.
    """
    if arr.dtype == np.uint8:
        planes = arr[:, :, None] if arr.ndim == 2 else arr
        out = [np.asarray(fn(Image.fromarray(np.ascontiguousarray(planes[:, :, c])),
                             int(round(_fill_for(fill, c)))))
               for c in range(planes.shape[2])]
        out = np.stack(out, axis=2)
        return out[:, :, 0] if arr.ndim == 2 else out
    h, w = arr.shape[-2:]
    channels = _num_channels(arr)
    planes = arr.reshape(-1, h, w).astype(np.float32, copy=False)
    out = [np.asarray(fn(Image.fromarray(planes[k]), float(_fill_for(fill, k % channels))))
           for k in range(planes.shape[0])]
    out = np.stack(out)
    return out.reshape(arr.shape[:-2] + out.shape[-2:]).astype(arr.dtype, copy=False)


def _geometric(img, fn, who: str, fill=0):
    """Run a per-channel PIL operation ``fn(plane, fill)`` on an image of any kind."""
    return _on_array(lambda a: _map_planes(a, fn, fill), img, who)


def _crop_array(arr: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr[top:top + height, left:left + width])
    return np.ascontiguousarray(arr[..., top:top + height, left:left + width])


def _to_float_chw(arr: np.ndarray):
    """A float (..., C, H, W) view of an image array and a function that converts back."""
    if arr.dtype != np.uint8:
        return arr, lambda x: x.astype(arr.dtype, copy=False)
    chw = (arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)).astype(np.float32) / 255.0

    def back(x):
        x = np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)
        return x[0] if arr.ndim == 2 else np.ascontiguousarray(x.transpose(1, 2, 0))
    return chw, back


def _size_pair(size, who: str) -> tuple[int, int]:
    """(height, width) from an int or a pair."""
    if isinstance(size, numbers.Integral):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{who}: size must be a positive int or (height, width), got {size}")
    return size


def _range(value, who: str, name: str, center: float = 0.0, bound=None):
    """A (low, high) range from a number ``v`` (center - v, center + v) or a pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{who}: {name} must be non-negative, got {value}")
        low, high = center - value, center + value
        if bound is not None:
            low = max(low, bound[0])
    else:
        low, high = (float(v) for v in value)
    if low > high or (bound is not None and (low < bound[0] or high > bound[1])):
        raise ValueError(f"{who}: invalid {name} range ({low}, {high})")
    return float(low), float(high)


def _uniform(low: float, high: float) -> float:
    return float(get_generator().uniform(low, high))


# ============================================================================ base
class Transform:
    """Base class: a callable with a readable ``repr``. Subclasses define ``__call__``."""

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Compose(Transform):
    """Apply transforms one after another.

    Example:
        >>> import numpy as np
        >>> t = Compose([CenterCrop(2), ToTensor()])
        >>> t(np.zeros((4, 4, 3), np.uint8)).shape
        (3, 2, 2)
        >>> print(t)
        Compose(
            CenterCrop(size=(2, 2))
            ToTensor()
        )
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"    {t!r}\n" for t in self.transforms)
        return f"Compose(\n{lines})"


class Lambda(Transform):
    """Wrap a function as a transform.

    Example:
        >>> Lambda(lambda x: x * 2)(3)
        6
    """

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, img):
        return self.fn(img)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))


class RandomApply(Transform):
    """Apply a list of transforms with probability ``p`` (all or none).

    Example:
        >>> RandomApply([Lambda(lambda x: x + 1)], p=0.0)(1)
        1
    """

    def __init__(self, transforms, p: float = 0.5):
        self.transforms = list(transforms)
        self.p = p

    def __call__(self, img):
        if get_generator().random() >= self.p:
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def extra_repr(self) -> str:
        return f"p={self.p}, transforms={self.transforms}"


# ============================================================================ conversion
class ToTensor(Transform):
    """Turn a PIL image or an (H, W, C) array into a (C, H, W) float32 array.

    uint8 values are scaled from 0..255 to [0, 1]; float input is only transposed (its
    dtype kept). The result is a NumPy array: the DataLoader makes Tensors of whole batches.

    Shape:
        (H, W, C) or (H, W) -> (C, H, W)

    Example:
        >>> import numpy as np
        >>> x = ToTensor()(np.full((2, 3, 3), 255, np.uint8))
        >>> x.shape, x.dtype, float(x.max())
        ((3, 2, 3), dtype('float32'), 1.0)
    """

    def __call__(self, pic):
        arr = _pil_to_array(pic) if _is_pil(pic) else pic
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"ToTensor: expected a PIL image or a NumPy array, "
                            f"got {type(pic).__name__}")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), "
                             f"got shape {arr.shape}")
        chw = arr.transpose(2, 0, 1)
        if arr.dtype == np.uint8:
            return np.ascontiguousarray(chw, dtype=np.float32) / np.float32(255.0)
        if arr.dtype.kind == "f":
            return np.ascontiguousarray(chw)
        raise TypeError(f"ToTensor: expected a uint8 or float image, got dtype {arr.dtype}")


class ToPILImage(Transform):
    """Turn a (C, H, W) float array in [0, 1] or an (H, W, C) uint8 array into a PIL image.

    Example:
        >>> import numpy as np
        >>> ToPILImage()(np.ones((3, 2, 4), np.float32)).size
        (4, 2)
    """

    def __call__(self, pic):
        if _is_pil(pic):
            return pic
        arr = _check_array(pic, "ToPILImage")
        if arr.dtype != np.uint8:
            if arr.ndim == 2:
                arr = arr[None]
            if arr.ndim != 3:
                raise ValueError(f"ToPILImage: expected (C, H, W), got shape {arr.shape}")
            arr = np.clip(np.round(arr * 255.0), 0, 255).astype(np.uint8).transpose(1, 2, 0)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        return Image.fromarray(np.ascontiguousarray(arr))


class Normalize(Transform):
    """Subtract a per-channel mean and divide by a per-channel std: ``(x - mean) / std``.

    Args:
        mean, std: one value per channel (or one value for all).
        inplace: write into the input array.

    Shape:
        (..., C, H, W) float -> same

    Example:
        >>> import numpy as np
        >>> x = np.ones((2, 1, 1), np.float32)
        >>> Normalize((0.5, 0.0), (0.25, 2.0))(x).ravel().tolist()
        [2.0, 0.5]
    """

    def __init__(self, mean, std, inplace: bool = False):
        self.mean = tuple(float(m) for m in np.atleast_1d(mean))
        self.std = tuple(float(s) for s in np.atleast_1d(std))
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std}")
        self.inplace = inplace

    def __call__(self, x):
        if _is_pil(x) or not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim < 3:
            got = type(x).__name__ if not isinstance(x, np.ndarray) else \
                f"a {x.dtype} array of shape {x.shape}"
            raise TypeError(f"Normalize: expected a float (C, H, W) array (apply ToTensor "
                            f"first), got {got}")
        channels = x.shape[-3]
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(f"Normalize: mean/std have {len(self.mean)}/{len(self.std)} values "
                             f"but the image has {channels} channels")
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        if self.inplace:
            x -= mean
            x /= std
            return x
        return (x - mean) / std

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


# ============================================================================ geometry
class Resize(Transform):
    """Resize to ``size``.

    Args:
        size: (height, width), or an int: the shorter side becomes ``size`` and the
            aspect ratio is kept.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"box"``,
            ``"hamming"``, ``"lanczos"`` (PIL's filters; they antialias when shrinking).
        max_size: with an int ``size``, cap the longer side at this many pixels.

    Example:
        >>> import numpy as np
        >>> Resize(4)(np.zeros((8, 16, 3), np.uint8)).shape
        (4, 8, 3)
        >>> Resize((3, 5))(np.zeros((1, 8, 8), np.float32)).shape
        (1, 3, 5)
    """

    def __init__(self, size, interpolation="bilinear", max_size: int | None = None,
                 antialias: bool = True):
        if isinstance(size, numbers.Integral):
            if size <= 0:
                raise ValueError(f"Resize: size must be positive, got {size}")
            self.size = int(size)
        else:
            self.size = _size_pair(size, "Resize")
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "Resize")
        self.max_size = max_size

    def _target(self, h: int, w: int) -> tuple[int, int]:
        if not isinstance(self.size, int):
            return self.size
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = self.size, int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        th, tw = self._target(*_hw(img))
        return _geometric(img, lambda p, fill: p.resize((tw, th), self._filter), "Resize")

    def extra_repr(self) -> str:
        return f"size={self.size}, interpolation={self.interpolation!r}"


def _pad_array(arr: np.ndarray, left: int, top: int, right: int, bottom: int,
               fill=0, mode: str = "constant") -> np.ndarray:
    """Pad the spatial dimensions of an image array (numpy.pad's modes)."""
    if arr.dtype == np.uint8:
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    else:
        widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode != "constant":
        return np.pad(arr, widths, mode=mode)
    if fill is None or isinstance(fill, numbers.Number):
        return np.pad(arr, widths, mode="constant", constant_values=fill or 0)
    # a different fill per channel: fill the whole canvas, then copy the image in
    channels = _num_channels(arr)
    values = np.array([_fill_for(fill, c) for c in range(channels)], dtype=arr.dtype)
    h, w = _hw(arr)
    if arr.dtype == np.uint8:
        out = np.empty((h + top + bottom, w + left + right) + arr.shape[2:], arr.dtype)
        out[...] = values if arr.ndim == 3 else values[0]
        out[top:top + h, left:left + w] = arr
    else:
        out = np.empty(arr.shape[:-2] + (h + top + bottom, w + left + right), arr.dtype)
        out[...] = values.reshape(-1, 1, 1) if arr.ndim >= 3 else values[0]
        out[..., top:top + h, left:left + w] = arr
    return out


_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding4(padding, who: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, a (left/right, top/bottom) pair or a 4-tuple."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    if len(padding) == 4:
        return padding
    raise ValueError(f"{who}: padding must be an int, a pair or a 4-tuple, got {padding}")


class Pad(Transform):
    """Pad the borders.

    Args:
        padding: int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
        fill: value for ``padding_mode="constant"`` (a number or one per channel).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` (mirror without repeating
            the edge) or ``"symmetric"`` (mirror repeating the edge), as in ``numpy.pad``.

    Example:
        >>> import numpy as np
        >>> Pad((1, 2))(np.zeros((4, 4), np.uint8)).shape
        (8, 6)
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        self.padding = _padding4(padding, "Pad")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"Pad: padding_mode must be one of {_PADDING_MODES}, "
                             f"got {padding_mode!r}")
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return _on_array(lambda a: _pad_array(a, *self.padding, self.fill, self.padding_mode),
                         img, "Pad")

    def extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode!r}"


class CenterCrop(Transform):
    """Crop the centre; an image smaller than ``size`` is first padded with zeros.

    Example:
        >>> import numpy as np
        >>> CenterCrop(2)(np.arange(16, dtype=np.uint8).reshape(4, 4)).tolist()
        [[5, 6], [9, 10]]
    """

    def __init__(self, size):
        self.size = _size_pair(size, "CenterCrop")

    def __call__(self, img):
        th, tw = self.size

        def crop(a):
            h, w = _hw(a)
            if th > h or tw > w:
                dh, dw = max(th - h, 0), max(tw - w, 0)
                a = _pad_array(a, dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2)
                h, w = _hw(a)
            top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
            return _crop_array(a, top, left, th, tw)
        return _on_array(crop, img, "CenterCrop")

    def extra_repr(self) -> str:
        return f"size={self.size}"


class RandomCrop(Transform):
    """Crop a random ``size`` window, optionally after padding the borders.

    Args:
        size: output (height, width) or an int.
        padding: padding added first: int, (left/right, top/bottom) or 4-tuple.
        pad_if_needed: pad images smaller than ``size`` so that the crop fits.
        fill: constant padding value (a number or one per channel).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Example:
        >>> import numpy as np
        >>> RandomCrop(32, padding=4)(np.zeros((32, 32, 3), np.uint8)).shape
        (32, 32, 3)
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = _size_pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding4(padding, "RandomCrop")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {_PADDING_MODES}, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode

    def __call__(self, img):
        th, tw = self.size

        def crop(a):
            if self.padding is not None:
                a = _pad_array(a, *self.padding, self.fill, self.padding_mode)
            h, w = _hw(a)
            if self.pad_if_needed and (h < th or w < tw):
                dh, dw = max(th - h, 0), max(tw - w, 0)
                a = _pad_array(a, dw, dh, dw, dh, self.fill, self.padding_mode)
                h, w = _hw(a)
            if h < th or w < tw:
                raise ValueError(f"RandomCrop: crop size {(th, tw)} is larger than the (padded) "
                                 f"image size {(h, w)}")
            rng = get_generator()
            top = int(rng.integers(0, h - th + 1))
            left = int(rng.integers(0, w - tw + 1))
            return _crop_array(a, top, left, th, tw)
        return _on_array(crop, img, "RandomCrop")

    def extra_repr(self) -> str:
        return (f"size={self.size}, padding={self.padding}, pad_if_needed={self.pad_if_needed}, "
                f"fill={self.fill}, padding_mode={self.padding_mode!r}")


class RandomResizedCrop(Transform):
    """Crop a random part (random area fraction and aspect ratio) and resize it to ``size``.

    Up to ten tries draw an area fraction from ``scale`` and a log-uniform aspect ratio from
    ``ratio`` until the window fits; otherwise the largest centred window with a ratio in range.

    Args:
        size: output (height, width) or an int.
        scale: range of the crop's area as a fraction of the image's.
        ratio: range of the crop's width / height.
        interpolation: resampling filter name.

    Example:
        >>> import numpy as np
        >>> RandomResizedCrop(8)(np.zeros((20, 30, 3), np.uint8)).shape
        (8, 8, 3)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="bilinear"):
        self.size = _size_pair(size, "RandomResizedCrop")
        self.scale = tuple(float(s) for s in scale)
        self.ratio = tuple(float(r) for r in ratio)
        if self.scale[0] > self.scale[1] or self.ratio[0] > self.ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio must be (min, max), "
                             f"got {self.scale} and {self.ratio}")
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "RandomResizedCrop")

    def get_params(self, h: int, w: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop window."""
        rng = get_generator()
        area = h * w
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(*log_ratio))
            cw = int(round(math.sqrt(target_area * aspect)))
            ch = int(round(math.sqrt(target_area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
        # fall back to a centred crop with the ratio clamped into range
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            cw, ch = w, int(round(w / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            ch, cw = h, int(round(h * self.ratio[1]))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        top, left, ch, cw = self.get_params(*_hw(img))
        th, tw = self.size
        box = (left, top, left + cw, top + ch)
        return _geometric(img, lambda p, fill: p.resize((tw, th), self._filter, box=box),
                          "RandomResizedCrop")

    def extra_repr(self) -> str:
        ratio = tuple(round(r, 4) for r in self.ratio)
        return (f"size={self.size}, scale={self.scale}, ratio={ratio}, "
                f"interpolation={self.interpolation!r}")


def _flip(arr: np.ndarray, axis: str) -> np.ndarray:
    if axis == "horizontal":
        return np.ascontiguousarray(arr[:, ::-1] if arr.dtype == np.uint8 else arr[..., ::-1])
    return np.ascontiguousarray(arr[::-1] if arr.dtype == np.uint8 else arr[..., ::-1, :])


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p``.

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]], np.uint8)).tolist()
        [[3, 2, 1]]
    """

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        if get_generator().random() >= self.p:
            return img
        return _on_array(lambda a: _flip(a, "horizontal"), img, "RandomHorizontalFlip")

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(Transform):
    """Mirror top-bottom with probability ``p``.

    Example:
        >>> import numpy as np
        >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]], np.uint8)).tolist()
        [[2], [1]]
    """

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        if get_generator().random() >= self.p:
            return img
        return _on_array(lambda a: _flip(a, "vertical"), img, "RandomVerticalFlip")

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomRotation(Transform):
    """Rotate by a random angle (degrees, counter-clockwise).

    Args:
        degrees: a number d (angles in [-d, d]) or a (min, max) pair.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        expand: enlarge the output so that the whole rotated image fits.
        center: (x, y) rotation centre in pixels (default: the image centre).
        fill: value for pixels outside the rotated image.

    Example:
        >>> import numpy as np
        >>> img = np.zeros((3, 3), np.uint8); img[0, 1] = 9
        >>> RandomRotation((90, 90))(img).tolist()
        [[0, 0, 0], [9, 0, 0], [0, 0, 0]]
    """

    def __init__(self, degrees, interpolation="nearest", expand: bool = False, center=None,
                 fill=0):
        self.degrees = _range(degrees, "RandomRotation", "degrees")
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "RandomRotation", geometric=True)
        self.expand = expand
        self.center = center
        self.fill = fill

    def __call__(self, img):
        angle = _uniform(*self.degrees)
        return _geometric(
            img, lambda p, fill: p.rotate(angle, self._filter, expand=self.expand,
                                          center=self.center, fillcolor=fill),
            "RandomRotation", self.fill)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, interpolation={self.interpolation!r}, "
                f"expand={self.expand}, fill={self.fill}")


def _affine_matrix(angle: float, translate, scale: float, shear, center) -> np.ndarray:
    """The 3x3 matrix mapping input pixel coordinates (x right, y down) to output ones.

    Applied about ``center``: out = C T R Sh S C^-1 in, with R a counter-clockwise rotation
    (as seen on the screen) and Sh shearing x by tan(shear_x) * y and y by tan(shear_y) * x.
    """
    cx, cy = center
    a = math.radians(angle)
    # y points down, so a visually counter-clockwise turn is this matrix
    rotate = np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shear_m = np.array([[1, math.tan(math.radians(shear[0])), 0],
                        [math.tan(math.radians(shear[1])), 1, 0], [0, 0, 1]])
    scale_m = np.diag([scale, scale, 1.0])
    to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
    back = np.array([[1, 0, cx + translate[0]], [0, 1, cy + translate[1]], [0, 0, 1]])
    return back @ rotate @ shear_m @ scale_m @ to_origin


class RandomAffine(Transform):
    """A random rotation, translation, scaling and shear, in one resampling.

    Args:
        degrees: rotation range: d (meaning [-d, d]) or (min, max); 0 for none.
        translate: (a, b): horizontal shift drawn from [-a W, a W], vertical from [-b H, b H].
        scale: (min, max) scale factor.
        shear: x-shear angle range in degrees: s ([-s, s]), (min, max), or a 4-tuple
            (x min, x max, y min, y max).
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: value for pixels that come from outside the image.
        center: (x, y) centre of the transform (default: the image centre).

    Example:
        >>> import numpy as np
        >>> img = np.zeros((5, 5), np.uint8); img[2, 2] = 7
        >>> RandomAffine(0, translate=(0.2, 0.0))(img).sum()
        np.uint64(7)
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation="nearest", fill=0, center=None):
        self.degrees = _range(degrees, "RandomAffine", "degrees")
        if translate is not None and not all(0 <= t <= 1 for t in translate):
            raise ValueError(
                f"RandomAffine: translate fractions must be in [0, 1], got {translate}")
        self.translate = translate
        if scale is not None and (len(scale) != 2 or min(scale) <= 0):
            raise ValueError(f"RandomAffine: scale must be (min, max) > 0, got {scale}")
        self.scale = scale
        if shear is None:
            self.shear = None
        elif isinstance(shear, numbers.Number):
            self.shear = _range(shear, "RandomAffine", "shear") + (0.0, 0.0)
        elif len(shear) == 2:
            self.shear = (float(shear[0]), float(shear[1]), 0.0, 0.0)
        elif len(shear) == 4:
            self.shear = tuple(float(s) for s in shear)
        else:
            raise ValueError(
                f"RandomAffine: shear must be a number, a pair or a 4-tuple, got {shear}")
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "RandomAffine", geometric=True)
        self.fill = fill
        self.center = center

    def get_params(self, h: int, w: int):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) drawn at random."""
        rng = get_generator()
        angle = float(rng.uniform(*self.degrees))
        if self.translate is not None:
            tx = float(round(rng.uniform(-self.translate[0] * w, self.translate[0] * w)))
            ty = float(round(rng.uniform(-self.translate[1] * h, self.translate[1] * h)))
        else:
            tx = ty = 0.0
        scale = float(rng.uniform(*self.scale)) if self.scale is not None else 1.0
        if self.shear is not None:
            shear = (float(rng.uniform(self.shear[0], self.shear[1])),
                     float(rng.uniform(self.shear[2], self.shear[3])))
        else:
            shear = (0.0, 0.0)
        return angle, (tx, ty), scale, shear

    def __call__(self, img):
        h, w = _hw(img)
        angle, translate, scale, shear = self.get_params(h, w)
        center = self.center if self.center is not None else (w * 0.5, h * 0.5)
        inverse = np.linalg.inv(_affine_matrix(angle, translate, scale, shear, center))
        coeffs = tuple(inverse[:2].ravel().tolist())  # PIL maps output -> input pixels
        return _geometric(
            img, lambda p, fill: p.transform((w, h), Image.Transform.AFFINE, coeffs,
                                             self._filter, fillcolor=fill),
            "RandomAffine", self.fill)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation!r}, fill={self.fill}")


def _perspective_coeffs(src, dst) -> tuple:
    """The 8 coefficients of the projective map sending each ``dst`` point to its ``src`` point.

    PIL computes input = ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))
    for every output pixel (x, y); four point pairs give 8 linear equations.
    """
    rows, rhs = [], []
    for (xs, ys), (xd, yd) in zip(src, dst):
        rows.append([xd, yd, 1, 0, 0, 0, -xs * xd, -xs * yd])
        rows.append([0, 0, 0, xd, yd, 1, -ys * xd, -ys * yd])
        rhs += [xs, ys]
    return tuple(np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist())


class RandomPerspective(Transform):
    """With probability ``p``, move the four corners inwards at random and warp to match.

    Args:
        distortion_scale: how far corners may move, as a fraction of half the size (0..1).
        p: probability of applying the warp.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: value for pixels from outside the image.

    Example:
        >>> import numpy as np
        >>> RandomPerspective(p=1.0)(np.zeros((6, 8, 3), np.uint8)).shape
        (6, 8, 3)
    """

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation="bilinear", fill=0):
        if not 0 <= distortion_scale <= 1:
            raise ValueError(f"RandomPerspective: distortion_scale must be in [0, 1], "
                             f"got {distortion_scale}")
        self.distortion_scale = distortion_scale
        self.p = p
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "RandomPerspective", geometric=True)
        self.fill = fill

    def get_params(self, h: int, w: int):
        """(start corners, end corners), each [top-left, top-right, bottom-right, bottom-left]."""
        rng = get_generator()
        dx = int(self.distortion_scale * (w // 2))
        dy = int(self.distortion_scale * (h // 2))

        def draw(low, high):
            return int(rng.integers(low, high + 1))
        end = [[draw(0, dx), draw(0, dy)],
               [draw(w - 1 - dx, w - 1), draw(0, dy)],
               [draw(w - 1 - dx, w - 1), draw(h - 1 - dy, h - 1)],
               [draw(0, dx), draw(h - 1 - dy, h - 1)]]
        start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
        return start, end

    def __call__(self, img):
        rng = get_generator()
        if rng.random() >= self.p:
            return img
        h, w = _hw(img)
        start, end = self.get_params(h, w)
        coeffs = _perspective_coeffs(start, end)
        return _geometric(
            img, lambda p, fill: p.transform((w, h), Image.Transform.PERSPECTIVE, coeffs,
                                             self._filter, fillcolor=fill),
            "RandomPerspective", self.fill)

    def extra_repr(self) -> str:
        return f"distortion_scale={self.distortion_scale}, p={self.p}"


# ============================================================================ colour
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2 weights, as PIL's convert("L")


def _gray(chw: np.ndarray) -> np.ndarray:
    """Luma of a (..., 3, H, W) float image as (..., 1, H, W)."""
    r, g, b = chw[..., 0:1, :, :], chw[..., 1:2, :, :], chw[..., 2:3, :, :]
    return (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).astype(chw.dtype, copy=False)


def _rgb_to_hsv(rgb: np.ndarray):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    delta = maxc - minc
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1), 0)
    safe = np.where(delta > 0, delta, 1)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v) -> np.ndarray:
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    i = i.astype(np.int64) % 6
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-3)


def adjust_brightness(chw, factor):
    """Scale all values by ``factor`` (clipped to [0, 1])."""
    return np.clip(chw * factor, 0, 1)


def adjust_contrast(chw, factor):
    """Blend with the image's mean grey level: ``factor * x + (1 - factor) * mean``."""
    gray = _gray(chw) if _num_channels(chw) == 3 else chw
    mean = gray.mean(axis=(-3, -2, -1), keepdims=True)
    return np.clip(factor * chw + (1 - factor) * mean, 0, 1)


def adjust_saturation(chw, factor):
    """Blend with the grey version of the image: ``factor * x + (1 - factor) * gray``."""
    if _num_channels(chw) != 3:
        return chw
    return np.clip(factor * chw + (1 - factor) * _gray(chw), 0, 1)


def adjust_hue(chw, shift):
    """Rotate the hue by ``shift`` turns (in [-0.5, 0.5])."""
    if _num_channels(chw) != 3:
        return chw
    h, s, v = _rgb_to_hsv(chw)
    return _hsv_to_rgb((h + shift) % 1.0, s, v).astype(chw.dtype, copy=False)


class ColorJitter(Transform):
    """Change brightness, contrast, saturation and hue by random amounts, in random order.

    Args:
        brightness: b >= 0 draws the factor from [max(0, 1 - b), 1 + b]; or a (min, max) pair.
        contrast: as brightness.
        saturation: as brightness.
        hue: h in [0, 0.5] draws a hue shift (in turns) from [-h, h]; or a (min, max) pair.

    Example:
        >>> import numpy as np
        >>> x = np.full((3, 2, 2), 0.5, np.float32)
        >>> y = ColorJitter(brightness=(2.0, 2.0))(x)
        >>> float(y.max())
        1.0
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _range(brightness, "ColorJitter", "brightness", 1.0, (0, float("inf")))
        self.contrast = _range(contrast, "ColorJitter", "contrast", 1.0, (0, float("inf")))
        self.saturation = _range(saturation, "ColorJitter", "saturation", 1.0, (0, float("inf")))
        self.hue = _range(hue, "ColorJitter", "hue", 0.0, (-0.5, 0.5))

    def __call__(self, img):
        rng = get_generator()
        order = rng.permutation(4).tolist()
        steps = [(adjust_brightness, self.brightness, 1.0), (adjust_contrast, self.contrast, 1.0),
                 (adjust_saturation, self.saturation, 1.0), (adjust_hue, self.hue, 0.0)]
        chosen = []
        for k in order:
            fn, (low, high), neutral = steps[k]
            if (low, high) != (neutral, neutral):
                chosen.append((fn, float(rng.uniform(low, high))))

        def jitter(a):
            chw, back = _to_float_chw(a)
            for fn, factor in chosen:
                chw = fn(chw, factor)
            return back(chw)
        return _on_array(jitter, img, "ColorJitter") if chosen else img

    def extra_repr(self) -> str:
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")


def _to_grayscale(a: np.ndarray, num_output_channels: int) -> np.ndarray:
    flat = a.dtype == np.uint8 and a.ndim == 2
    chw, back = _to_float_chw(a[:, :, None] if flat else a)
    channels = _num_channels(chw)
    if channels == 3:
        gray = _gray(chw)
    elif channels == 1:
        gray = chw
    else:
        raise ValueError(f"Grayscale: expected 1 or 3 channels, got {channels}")
    out = back(np.repeat(gray, num_output_channels, axis=-3))
    return out[:, :, 0] if flat and num_output_channels == 1 else out


class Grayscale(Transform):
    """Convert to grey (luma 0.299 R + 0.587 G + 0.114 B) with 1 or 3 output channels.

    Example:
        >>> import numpy as np
        >>> Grayscale(3)(np.ones((3, 2, 2), np.float32)).shape
        (3, 2, 2)
    """

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, "
                             f"got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        if _is_pil(img):
            gray = img.convert("L")
            return gray if self.num_output_channels == 1 else gray.convert("RGB")
        return _to_grayscale(_check_array(img, "Grayscale"), self.num_output_channels)

    def extra_repr(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(Transform):
    """With probability ``p``, convert to grey keeping the number of channels.

    Example:
        >>> import numpy as np
        >>> x = RandomGrayscale(p=1.0)(np.eye(3, dtype=np.float32)[:, :, None].repeat(2, 2))
        >>> bool(np.allclose(x[0], x[1]))
        True
    """

    def __init__(self, p: float = 0.1):
        self.p = p

    def __call__(self, img):
        if get_generator().random() >= self.p:
            return img
        def gray(a):
            if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 4:
                a = a[:, :, :3]  # RGBA: the alpha channel is dropped
            return _to_grayscale(a, _num_channels(a))
        return _on_array(gray, img, "RandomGrayscale")

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _blur(chw: np.ndarray, kernel_x: np.ndarray, kernel_y: np.ndarray) -> np.ndarray:
    """Separable convolution with reflect padding on the last two dimensions."""
    ry, rx = len(kernel_y) // 2, len(kernel_x) // 2
    widths = [(0, 0)] * (chw.ndim - 2) + [(ry, ry), (rx, rx)]
    padded = np.pad(chw.astype(np.float64), widths, mode="reflect")
    h, w = chw.shape[-2:]
    rows = sum(kernel_y[k] * padded[..., k:k + h, :] for k in range(len(kernel_y)))
    out = sum(kernel_x[k] * rows[..., :, k:k + w] for k in range(len(kernel_x)))
    return out.astype(chw.dtype)


class GaussianBlur(Transform):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma``.

    Args:
        kernel_size: odd int, or (width, height) pair of odd ints.
        sigma: a fixed sigma or a (min, max) range.

    Example:
        >>> import numpy as np
        >>> x = np.zeros((1, 5, 5), np.float32); x[0, 2, 2] = 1
        >>> y = GaussianBlur(3, sigma=1.0)(x)
        >>> round(float(y.sum()), 5), bool(y[0, 2, 2] < 1)
        (1.0, True)
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        ks = (kernel_size, kernel_size) if isinstance(kernel_size, numbers.Integral) \
            else tuple(kernel_size)
        if len(ks) != 2 or any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError(f"GaussianBlur: kernel_size must be odd and positive, "
                             f"got {kernel_size}")
        self.kernel_size = tuple(int(k) for k in ks)
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError(f"GaussianBlur: sigma must be positive, got {sigma}")
            self.sigma = (float(sigma), float(sigma))
        else:
            self.sigma = tuple(float(s) for s in sigma)
            if len(self.sigma) != 2 or not 0 < self.sigma[0] <= self.sigma[1]:
                raise ValueError(f"GaussianBlur: sigma must be positive (min, max), got {sigma}")

    def __call__(self, img):
        sigma = _uniform(*self.sigma)
        kx = _gaussian_kernel(self.kernel_size[0], sigma)
        ky = _gaussian_kernel(self.kernel_size[1], sigma)

        def blur(a):
            chw, back = _to_float_chw(a)
            return back(_blur(chw, kx, ky))
        return _on_array(blur, img, "GaussianBlur")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


# ============================================================================ policies
class TrivialAugmentWide(Transform):
    """TrivialAugment (Mueller & Hutter, 2021), "wide" ranges: each call applies ONE operation,
    picked uniformly, with a magnitude picked uniformly from ``num_magnitude_bins`` levels.

    Operations: identity, shear x/y (up to 0.99), translate x/y (up to 32 px), rotate (up to
    135 degrees), brightness, saturation, contrast, sharpness (factors 0.01 .. 1.99),
    posterize (8 .. 2 bits), solarize, autocontrast, equalize. Signed ones get a random sign.
    Works on PIL images and uint8 arrays (use it before ToTensor).

    Example:
        >>> import numpy as np
        >>> TrivialAugmentWide()(np.zeros((8, 8, 3), np.uint8)).shape
        (8, 8, 3)
    """

    OPS = ("identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate",
           "brightness", "color", "contrast", "sharpness", "posterize", "solarize",
           "autocontrast", "equalize")
    _SIGNED = {"shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness",
               "color", "contrast", "sharpness"}

    def __init__(self, num_magnitude_bins: int = 31, interpolation="nearest", fill=None):
        if num_magnitude_bins < 2:
            raise ValueError(f"TrivialAugmentWide: num_magnitude_bins must be >= 2, "
                             f"got {num_magnitude_bins}")
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self._filter = _pil_filter(interpolation, "TrivialAugmentWide", geometric=True)
        self.fill = fill

    def _magnitude(self, op: str, level: int) -> float:
        frac = level / (self.num_magnitude_bins - 1)  # 0 .. 1
        return {"shear_x": 0.99 * frac, "shear_y": 0.99 * frac, "translate_x": 32.0 * frac,
                "translate_y": 32.0 * frac, "rotate": 135.0 * frac, "brightness": 0.99 * frac,
                "color": 0.99 * frac, "contrast": 0.99 * frac, "sharpness": 0.99 * frac,
                "posterize": 8 - round(6 * frac), "solarize": 255.0 * (1 - frac)}.get(op, 0.0)

    def _apply(self, pil: Image.Image, op: str, m: float) -> Image.Image:
        fill = self.fill
        if isinstance(fill, (list, tuple)):
            fill = tuple(int(v) for v in fill) if len(fill) > 1 else int(fill[0])
        w, h = pil.size
        affine = Image.Transform.AFFINE
        if op == "shear_x":  # about the centre row
            return pil.transform(pil.size, affine, (1, m, -m * h / 2, 0, 1, 0), self._filter,
                                 fillcolor=fill)
        if op == "shear_y":
            return pil.transform(pil.size, affine, (1, 0, 0, m, 1, -m * w / 2), self._filter,
                                 fillcolor=fill)
        if op == "translate_x":
            return pil.transform(pil.size, affine, (1, 0, -m, 0, 1, 0), self._filter,
                                 fillcolor=fill)
        if op == "translate_y":
            return pil.transform(pil.size, affine, (1, 0, 0, 0, 1, -m), self._filter,
                                 fillcolor=fill)
        if op == "rotate":
            return pil.rotate(m, self._filter, fillcolor=fill)
        if op == "brightness":
            return ImageEnhance.Brightness(pil).enhance(1 + m)
        if op == "color":
            return ImageEnhance.Color(pil).enhance(1 + m)
        if op == "contrast":
            return ImageEnhance.Contrast(pil).enhance(1 + m)
        if op == "sharpness":
            return ImageEnhance.Sharpness(pil).enhance(1 + m)
        if op == "posterize":
            return ImageOps.posterize(pil, int(m))
        if op == "solarize":
            return ImageOps.solarize(pil, int(round(m)))
        if op == "autocontrast":
            return ImageOps.autocontrast(pil)
        if op == "equalize":
            return ImageOps.equalize(pil)
        return pil

    def __call__(self, img):
        rng = get_generator()
        op = self.OPS[int(rng.integers(len(self.OPS)))]
        m = self._magnitude(op, int(rng.integers(self.num_magnitude_bins)))
        if op in self._SIGNED and rng.random() < 0.5:
            m = -m
        if _is_pil(img):
            return self._apply(img if img.mode in ("L", "RGB") else img.convert("RGB"), op, m)
        arr = _check_array(img, "TrivialAugmentWide")
        if arr.dtype != np.uint8 or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
            raise TypeError(f"TrivialAugmentWide: expected a PIL image or an (H, W[, 1 or 3]) "
                            f"uint8 array (apply it before ToTensor), got {arr.dtype} array "
                            f"of shape {arr.shape}")
        squeeze = arr.ndim == 3 and arr.shape[2] == 1
        out = np.asarray(self._apply(Image.fromarray(arr[:, :, 0] if squeeze else arr), op, m))
        return out[:, :, None] if squeeze else out

    def extra_repr(self) -> str:
        return f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation!r}"


# ============================================================================ batch versions
def _unwrap(images):
    """(array, rewrap) for a Tensor or a NumPy/CuPy array."""
    from ..tensor import Tensor
    if isinstance(images, Tensor):
        return images._array, Tensor._wrap
    return images, lambda a: a


def batch_random_crop(images, size, padding=0, padding_mode: str = "constant", fill=0,
                      generator: np.random.Generator | None = None):
    """Pad a batch, then crop a random ``size`` window from each image (one gather).

    Args:
        images: (N, C, H, W) array (NumPy or CuPy) or Tensor.
        size: output (height, width) or an int.
        padding: int or (left, top, right, bottom) added before cropping.
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.
        fill: constant padding value.
        generator: draws the offsets (default: :func:`get_generator`).

    Shape:
        (N, C, H, W) -> (N, C, size_h, size_w)

    Example:
        >>> import numpy as np
        >>> x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
        >>> batch_random_crop(x, 4, padding=2).shape
        (2, 1, 4, 4)
    """
    arr, rewrap = _unwrap(images)
    if arr.ndim != 4:
        raise ValueError(f"batch_random_crop: expected images of shape (N, C, H, W), "
                         f"got {tuple(arr.shape)}")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"batch_random_crop: padding_mode must be one of {_PADDING_MODES}, "
                         f"got {padding_mode!r}")
    xp = backend.array_module(arr)
    th, tw = _size_pair(size, "batch_random_crop")
    left, top, right, bottom = _padding4(padding, "batch_random_crop")
    if any((left, top, right, bottom)):
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if padding_mode == "constant":
            arr = xp.pad(arr, widths, mode="constant", constant_values=fill)
        else:
            arr = xp.pad(arr, widths, mode=padding_mode)
    n, c, h, w = arr.shape
    if h < th or w < tw:
        raise ValueError(f"batch_random_crop: crop size {(th, tw)} is larger than the padded "
                         f"images {(h, w)}")
    rng = generator if generator is not None else get_generator()
    tops = rng.integers(0, h - th + 1, size=n)
    lefts = rng.integers(0, w - tw + 1, size=n)
    # index arrays of shape (N, 1, th, 1) and (N, 1, 1, tw) pick each image's window
    rows = xp.asarray(tops[:, None] + np.arange(th))[:, None, :, None]
    cols = xp.asarray(lefts[:, None] + np.arange(tw))[:, None, None, :]
    batch = xp.arange(n)[:, None, None, None]
    chans = xp.arange(c)[None, :, None, None]
    return rewrap(arr[batch, chans, rows, cols])


def batch_random_horizontal_flip(images, p: float = 0.5,
                                 generator: np.random.Generator | None = None):
    """Mirror each image of a batch left-right with probability ``p``.

    Args:
        images: (N, C, H, W) (or any (N, ..., W)) array or Tensor.
        p: flip probability per image.
        generator: draws the coin flips (default: :func:`get_generator`).

    Example:
        >>> import numpy as np
        >>> x = np.arange(4, dtype=np.float32).reshape(2, 1, 1, 2)
        >>> batch_random_horizontal_flip(x, p=1.0).ravel().tolist()
        [1.0, 0.0, 3.0, 2.0]
    """
    arr, rewrap = _unwrap(images)
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    flip = rng.random(arr.shape[0]) < p
    mask = xp.asarray(flip).reshape((-1,) + (1,) * (arr.ndim - 1))
    return rewrap(xp.where(mask, arr[..., ::-1], arr))


# ===================================================================== solarize (BYOL)
def solarize(img, threshold):
    """Invert every pixel value at or above ``threshold`` (255 - x for uint8, 1 - x for float).

    Example:
        >>> import numpy as np
        >>> solarize(np.array([[0, 127, 128, 255]], dtype=np.uint8), 128).tolist()
        [[0, 127, 127, 0]]
    """
    def invert(a):
        top = 255 if a.dtype == np.uint8 else 1.0
        return np.where(a >= threshold, top - a, a).astype(a.dtype, copy=False)
    return _on_array(invert, img, "solarize")


class RandomSolarize(Transform):
    """With probability ``p``, :func:`solarize` the image above ``threshold``.

    Args:
        threshold: in the image's units (e.g. 128 for uint8 and PIL images, 0.5 for floats in
            [0, 1]); values at or above it are inverted.
        p: probability of solarizing.

    Example:
        >>> import numpy as np
        >>> RandomSolarize(0.5, p=1.0)(np.array([[[0.25, 0.75]]], dtype=np.float32)).tolist()
        [[[0.25, 0.25]]]
    """

    def __init__(self, threshold: float, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomSolarize: p must lie in [0, 1], got {p}")
        self.threshold = threshold
        self.p = p

    def __call__(self, img):
        if get_generator().random() >= self.p:
            return img
        return solarize(img, self.threshold)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, p={self.p}"


# ======================================================== batch colour and crop operations
# Whole-batch versions of the BYOL view augmentations: float images (N, 3, H, W) in [0, 1],
# one random draw per image, no Python loop over images.

def _coin(rng, n: int, p: float, xp):
    """(N, 1, 1, 1) boolean mask: True for the images an operation applies to."""
    return xp.asarray(rng.random(n) < p).reshape(n, 1, 1, 1)


def _check_batch(arr, who: str):
    if arr.ndim != 4 or arr.shape[1] != 3 or arr.dtype.kind != "f":
        raise ValueError(f"{who}: expected float RGB images of shape (N, 3, H, W), got "
                         f"{arr.dtype} {tuple(arr.shape)}")


def batch_random_resized_crop(images, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
                              generator: np.random.Generator | None = None):
    """A random crop of each image (area fraction in ``scale``, aspect in ``ratio``), resized
    bilinearly to ``size`` (no antialiasing), as :class:`RandomResizedCrop` per image.

    Ten candidate boxes are drawn per image and the first that fits is used; an image with
    none gets the whole image (torchvision's fallback, less its centre-crop to the ratio).

    Shape:
        (N, C, H, W) -> (N, C, size_h, size_w)

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((3, 3, 16, 16)).astype(np.float32)
        >>> batch_random_resized_crop(x, 8).shape
        (3, 3, 8, 8)
    """
    arr, rewrap = _unwrap(images)
    if arr.ndim != 4:
        raise ValueError(f"batch_random_resized_crop: expected (N, C, H, W), got {tuple(arr.shape)}")
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    n, c, h, w = arr.shape
    th, tw = _size_pair(size, "batch_random_resized_crop")
    area = h * w * rng.uniform(scale[0], scale[1], size=(n, 10))
    aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1]), size=(n, 10)))
    cw, ch = np.round(np.sqrt(area * aspect)), np.round(np.sqrt(area / aspect))
    fits = (cw >= 1) & (cw <= w) & (ch >= 1) & (ch <= h)
    first = fits.argmax(axis=1)
    ok = fits[np.arange(n), first]
    ch = np.where(ok, ch[np.arange(n), first], h)
    cw = np.where(ok, cw[np.arange(n), first], w)
    top = np.floor(rng.random(n) * (h - ch + 1))
    left = np.floor(rng.random(n) * (w - cw + 1))

    def taps(start, length, full, out):
        """Bilinear source rows/columns (N, out) and weights for half-pixel centres."""
        pos = start[:, None] + (np.arange(out) + 0.5) * (length / out)[:, None] - 0.5
        pos = np.clip(pos, 0, full - 1)
        low = np.floor(pos).astype(np.int64)
        high = np.minimum(low + 1, full - 1)
        return xp.asarray(low), xp.asarray(high), xp.asarray((pos - low).astype(arr.dtype))

    y0, y1, wy = taps(top, ch, h, th)
    x0, x1, wx = taps(left, cw, w, tw)
    b3, c3 = xp.arange(n)[:, None, None], xp.arange(c)[None, :, None]
    rows = (arr[b3, c3, y0[:, None, :]] * (1 - wy[:, None, :, None])
            + arr[b3, c3, y1[:, None, :]] * wy[:, None, :, None])           # (N, C, th, W)
    b4, c4 = xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None]
    r4 = xp.arange(th)[None, None, :, None]
    out = (rows[b4, c4, r4, x0[:, None, None, :]] * (1 - wx[:, None, None, :])
           + rows[b4, c4, r4, x1[:, None, None, :]] * wx[:, None, None, :])
    return rewrap(out.astype(arr.dtype, copy=False))


def batch_color_jitter(images, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
                       p: float = 0.8, generator: np.random.Generator | None = None):
    """With probability ``p`` per image, jitter brightness, contrast, saturation and hue.

    Factors are drawn per image as :class:`ColorJitter` draws them (brightness, contrast and
    saturation from ``[1 - v, 1 + v]``, the hue shift from ``[-hue, hue]``) and applied in
    that fixed order (torchvision shuffles the order per image). Hue is shifted on the host.

    Example:
        >>> import numpy as np
        >>> x = np.full((2, 3, 2, 2), 0.5, dtype=np.float32)
        >>> batch_color_jitter(x, p=0.0).tolist() == x.tolist()
        True
    """
    arr, rewrap = _unwrap(images)
    _check_batch(arr, "batch_color_jitter")
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    n = arr.shape[0]

    def factors(v):
        return xp.asarray(rng.uniform(max(0.0, 1 - v), 1 + v, n).astype(arr.dtype)).reshape(n, 1, 1, 1)

    x = xp.clip(arr * factors(brightness), 0, 1)
    mean = _gray(x).mean(axis=(1, 2, 3), keepdims=True)
    x = xp.clip(mean + factors(contrast) * (x - mean), 0, 1)
    gray = _gray(x)
    x = xp.clip(gray + factors(saturation) * (x - gray), 0, 1)
    if hue > 0:
        shift = rng.uniform(-hue, hue, n).reshape(n, 1, 1)
        host = backend.to_numpy(x)
        hh, ss, vv = _rgb_to_hsv(host)
        x = xp.asarray(_hsv_to_rgb((hh + shift) % 1.0, ss, vv).astype(arr.dtype))
    return rewrap(xp.where(_coin(rng, n, p, xp), x, arr))


def batch_random_grayscale(images, p: float = 0.2, generator: np.random.Generator | None = None):
    """With probability ``p`` per image, replace its three channels by its luma.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((2, 3, 4, 4)).astype(np.float32)
        >>> y = batch_random_grayscale(x, p=1.0)
        >>> bool(np.allclose(y[:, 0], y[:, 2]))
        True
    """
    arr, rewrap = _unwrap(images)
    _check_batch(arr, "batch_random_grayscale")
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    gray = xp.broadcast_to(_gray(arr), arr.shape)
    return rewrap(xp.where(_coin(rng, arr.shape[0], p, xp), gray, arr))


def batch_gaussian_blur(images, kernel_size: int, sigma=(0.1, 2.0), p: float = 1.0,
                        generator: np.random.Generator | None = None):
    """With probability ``p`` per image, blur it with a Gaussian of a per-image random sigma.

    Separable: ``kernel_size`` taps down the rows, then along the columns, reflect padding
    (as :class:`GaussianBlur`).

    Example:
        >>> import numpy as np
        >>> x = np.zeros((1, 3, 5, 5), dtype=np.float32); x[0, :, 2, 2] = 1
        >>> y = batch_gaussian_blur(x, 3, sigma=(1.0, 1.0))
        >>> round(float(y.sum()), 4), bool(y[0, 0, 2, 2] < 1)
        (3.0, True)
    """
    arr, rewrap = _unwrap(images)
    _check_batch(arr, "batch_gaussian_blur")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"batch_gaussian_blur: kernel_size must be odd and positive, got {kernel_size}")
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    n, _, h, w = arr.shape
    sigmas = rng.uniform(sigma[0], sigma[1], n)
    half = kernel_size // 2
    offsets = np.arange(-half, half + 1)
    kernels = np.exp(-0.5 * (offsets[None, :] / sigmas[:, None]) ** 2)
    kernels = xp.asarray((kernels / kernels.sum(axis=1, keepdims=True)).astype(arr.dtype))
    pad = min(half, h - 1, w - 1)
    padded = xp.pad(arr, ((0, 0), (0, 0), (half, half), (half, half)),
                    mode="reflect" if pad == half else "edge")
    rows = sum(kernels[:, k, None, None, None] * padded[:, :, k:k + h, :]
               for k in range(kernel_size))
    out = sum(kernels[:, k, None, None, None] * rows[:, :, :, k:k + w]
              for k in range(kernel_size))
    return rewrap(xp.where(_coin(rng, n, p, xp), out, arr))


def batch_random_solarize(images, threshold: float = 0.5, p: float = 0.2,
                          generator: np.random.Generator | None = None):
    """With probability ``p`` per image, invert its values at or above ``threshold`` (1 - x).

    Example:
        >>> import numpy as np
        >>> x = np.array([0.2, 0.7], dtype=np.float32).reshape(1, 1, 1, 2)
        >>> [round(float(v), 2) for v in batch_random_solarize(x, p=1.0).ravel()]
        [0.2, 0.3]
    """
    arr, rewrap = _unwrap(images)
    xp = backend.array_module(arr)
    rng = generator if generator is not None else get_generator()
    hit = _coin(rng, arr.shape[0], p, xp).reshape((-1,) + (1,) * (arr.ndim - 1)) & (arr >= threshold)
    return rewrap(xp.where(hit, 1 - arr, arr).astype(arr.dtype, copy=False))
