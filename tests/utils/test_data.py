"""``minidl.utils.data`` is minidl.data under PyTorch's import path."""
import numpy as np


def test_pytorch_style_imports():
    import minidl.data
    import minidl.utils.data
    from minidl.utils.data import DataLoader, Dataset, TensorDataset, random_split

    for name in minidl.data.__all__:
        assert getattr(minidl.utils.data, name) is getattr(minidl.data, name)
    assert issubclass(TensorDataset, Dataset) and callable(random_split)
    loader = DataLoader(TensorDataset(np.zeros((3, 2), np.float32)), batch_size=2)
    assert [b[0].shape for b in loader] == [(2, 2), (1, 2)]
