"""Dataset building blocks: TensorDataset, Subset, ConcatDataset, random_split."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_rows_from_arrays_and_tensors():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = minidl.tensor([3, 1, 4, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    row_x, row_y = ds[2]
    np.testing.assert_array_equal(row_x, x[2])
    assert row_y == 4 and isinstance(row_x, np.ndarray)


def test_tensor_dataset_rejects_mismatched_first_dims():
    with pytest.raises(ValueError, match=r"TensorDataset.*first dimension.*sizes \[4, 3\]"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1.0))


def test_subset_and_concat_indexing():
    a, b = list("abc"), list("defg")
    cat = ConcatDataset([a, b])
    assert len(cat) == 7
    assert [cat[i] for i in range(7)] == list("abcdefg")
    assert cat[-1] == "g" and cat[-7] == "a"
    with pytest.raises(IndexError):
        cat[7]
    sub = Subset(cat, [6, 0, 3])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["g", "a", "d"]


def test_dataset_add_makes_concat():
    class Const(Dataset):
        def __init__(self, v, n):
            self.v, self.n = v, n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            if not 0 <= i < self.n:
                raise IndexError(i)
            return self.v

    both = Const(1, 2) + Const(2, 3)
    assert isinstance(both, ConcatDataset)
    assert [both[i] for i in range(len(both))] == [1, 1, 2, 2, 2]


def test_base_dataset_methods_raise():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


@given(n=st.integers(1, 60), parts=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_random_split_int_lengths_partition_the_dataset(n, parts, seed):
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, n + 1, parts - 1))
    lengths = np.diff(np.concatenate([[0], cuts, [n]])).tolist()
    subsets = random_split(range(n), lengths, generator=np.random.default_rng(seed))
    assert [len(s) for s in subsets] == lengths
    everything = sorted(i for s in subsets for i in s.indices)
    assert everything == list(range(n))


def test_random_split_fractions_like_pytorch():
    # 10 * [0.33, 0.33, 0.34] floors to [3, 3, 3]; the leftover sample goes to the first split
    subsets = random_split(range(10), [0.33, 0.33, 0.34])
    assert [len(s) for s in subsets] == [4, 3, 3]
    assert [len(s) for s in random_split(range(5), [0.5, 0.5])] == [3, 2]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="add up to 9"):
        random_split(range(10), [4, 5])
    with pytest.raises(ValueError, match="fractions"):
        random_split(range(10), [0.5, 0.6])


def test_random_split_follows_manual_seed():
    minidl.manual_seed(3)
    a = [s.indices for s in random_split(range(20), [10, 10])]
    minidl.manual_seed(3)
    b = [s.indices for s in random_split(range(20), [10, 10])]
    minidl.manual_seed(4)
    c = [s.indices for s in random_split(range(20), [10, 10])]
    assert a == b and a != c
