"""The common shape of the in-memory image data sets: ``data`` and ``targets`` arrays."""
from __future__ import annotations

from ..dataset import Dataset

__all__ = ["ArrayImageDataset"]


class ArrayImageDataset(Dataset):
    """A data set whose images sit in ``self.data`` and labels in ``self.targets``.

    Subclasses (CIFAR10, FashionMNIST, SyntheticShapes) fill those two and set
    ``transform`` / ``target_transform``; indexing applies the transforms.
    """

    data = ()
    targets = ()
    transform = None
    target_transform = None

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
