"""``ImageFolder``: a dataset from a folder with one sub-folder of images per class::

    root/cat/001.png
    root/cat/002.jpg
    root/dog/a.png

Classes are the sub-folder names in sorted order (``cat`` -> 0, ``dog`` -> 1); files inside
are found recursively and sorted by path, so the order never depends on the file system.
Symbolic links to folders are followed, each real folder once (a link back up the tree,
``cat/up -> ..``, is not a loop). A file that cannot be decoded raises ``OSError`` naming it.

Example:
    >>> import os, tempfile
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for cls in ("dog", "cat"):
    ...     os.makedirs(os.path.join(root, cls))
    ...     Image.new("RGB", (4, 3)).save(os.path.join(root, cls, "x.png"))
    >>> ds = ImageFolder(root)
    >>> ds.classes, ds.targets, ds[0][0].size
    (['cat', 'dog'], [0, 1], (4, 3))
"""
from __future__ import annotations

import os

from PIL import Image

from ..dataset import Dataset

__all__ = ["ImageFolder", "IMG_EXTENSIONS", "default_loader", "find_classes", "make_dataset"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def default_loader(path: str) -> Image.Image:
    """Open an image file as an RGB PIL image (the file is read fully and closed).

    Raises:
        OSError: the file cannot be read or decoded (truncated, not an image, too large);
            the message names the file and PIL's reason.
    """
    try:
        with open(path, "rb") as f:
            img = Image.open(f)
            return img.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise _decode_error(path, exc) from exc


def _decode_error(path: str, exc: BaseException) -> OSError:
    return OSError(f"ImageFolder: cannot decode the image file {path}: "
                   f"{type(exc).__name__}: {exc}")


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    """The sorted sub-folder names of ``directory`` (hidden ones skipped) and their indices."""
    classes = sorted(e.name for e in os.scandir(directory)
                     if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"ImageFolder: no class folders found in {directory}")
    return classes, {c: i for i, c in enumerate(classes)}


def make_dataset(directory: str, class_to_idx: dict[str, int], extensions=IMG_EXTENSIONS,
                 is_valid_file=None) -> list[tuple[str, int]]:
    """(path, class index) for every accepted file under each class folder (recursively),
    classes in sorted order and paths sorted within each class."""
    if is_valid_file is None:
        exts = tuple(e.lower() for e in extensions)

        def is_valid_file(path):
            return path.lower().endswith(exts)
    samples = []
    folders = {cls: _identity(os.path.join(directory, cls)) for cls in class_to_idx}
    for cls in sorted(class_to_idx):
        # a link to the root or to another class's folder is not followed: its images
        # belong to another class (or to this one twice)
        others = {_identity(directory)} | {f for c, f in folders.items() if c != cls}
        samples.extend((p, class_to_idx[cls])
                       for p in sorted(_walk_files(os.path.join(directory, cls), others))
                       if is_valid_file(p))
    return samples


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _walk_files(folder: str, seen: set) -> list[str]:
    """Every file under ``folder``, following links to folders but entering each real
    folder (device, inode) only once and none in ``seen``, so that links forming a loop
    end the walk."""
    seen, paths = set(seen), []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        identity = _identity(dirpath)
        if identity in seen:
            dirnames[:] = []  # already walked (a link back up, or two links to one folder)
            continue
        seen.add(identity)
        paths.extend(os.path.join(dirpath, name) for name in filenames)
    return paths


class ImageFolder(Dataset):
    """Images arranged in one folder per class.

    Args:
        root: the folder holding the class folders.
        transform: applied to each loaded image (a PIL image with the default loader).
        target_transform: applied to each class index.
        loader: function(path) -> image (default: :func:`default_loader`, RGB PIL images).
        extensions: accepted file name endings (case-insensitive).
        is_valid_file: function(path) -> bool, used instead of ``extensions``.

    Attributes:
        classes: sorted class names; ``class_to_idx``: name -> index;
        samples: list of (path, class index); ``targets``: the class indices.
    """

    def __init__(self, root: str, transform=None, target_transform=None, loader=default_loader,
                 extensions=IMG_EXTENSIONS, is_valid_file=None):
        self.root = os.path.expanduser(root)
        self.transform = transform
        self.target_transform = target_transform
        self.loader = loader
        self.extensions = extensions
        self.classes, self.class_to_idx = find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file)
        if not self.samples:
            raise FileNotFoundError(f"ImageFolder: no image files ({', '.join(extensions)}) "
                                    f"found in the class folders of {self.root}")
        self.imgs = self.samples
        self.targets = [t for _, t in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        try:
            img = self.loader(path)
        except (OSError, ValueError, SyntaxError) as exc:
            if path in str(exc):
                raise
            raise _decode_error(path, exc) from exc
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        return (f"ImageFolder(root={self.root!r}, classes={len(self.classes)}, "
                f"samples={len(self)})")
