"""pixel_shuffle and pixel_unshuffle: against the loop reference, inverse of each other,
gradients, errors, PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import pixelshuffle as pixelshuffle_module
from minidl.nn.functional.pixelshuffle import pixel_shuffle_reference


def test_docstring_examples():
    result = doctest.testmod(pixelshuffle_module)
    assert result.attempted > 0 and result.failed == 0


@given(lead=st.lists(st.integers(1, 2), max_size=2), c=st.integers(1, 2), r=st.integers(1, 3),
       h=st.integers(1, 3), w=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=15)
def test_shuffle_matches_reference_unshuffle_inverts_and_gradcheck(lead, c, r, h, w, seed,
                                                                   device):
    x = np.random.default_rng(seed).standard_normal((*lead, c * r * r, h, w))
    t = minidl.tensor(x, dtype=minidl.float64, device=device, requires_grad=True)
    y = F.pixel_shuffle(t, r)
    np.testing.assert_array_equal(y.detach().numpy(), pixel_shuffle_reference(x, r))
    np.testing.assert_array_equal(F.pixel_unshuffle(y, r).detach().numpy(), x)
    assert gradcheck(lambda a: F.pixel_shuffle(a, r), [t])
    assert gradcheck(lambda a: F.pixel_unshuffle(a, r), [F.pixel_shuffle(t, r).detach()
                                                        .requires_grad_()])


def test_errors():
    with pytest.raises(ValueError, match=r"pixel_shuffle: expected the channels \(6\) to be "
                                         r"divisible by upscale_factor\*\*2 = 4"):
        F.pixel_shuffle(minidl.ones(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="pixel_shuffle: expected an input with at least 3 dims"):
        F.pixel_shuffle(minidl.ones(4, 2), 2)
    with pytest.raises(ValueError, match="pixel_unshuffle: expected height and width divisible"):
        F.pixel_unshuffle(minidl.ones(1, 1, 4, 5), 2)
    with pytest.raises(ValueError, match="upscale_factor must be a positive int"):
        F.pixel_shuffle(minidl.ones(1, 4, 2, 2), 0)


def test_pytorch_parity():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 18, 3, 4))
    np.testing.assert_array_equal(F.pixel_shuffle(minidl.tensor(x), 3).numpy(),
                                  torch.nn.functional.pixel_shuffle(torch.tensor(x), 3).numpy())
    np.testing.assert_array_equal(
        F.pixel_unshuffle(minidl.tensor(x), 1).numpy(),
        torch.nn.functional.pixel_unshuffle(torch.tensor(x), 1).numpy())
    y = np.random.default_rng(1).standard_normal((3, 2, 6, 4))
    np.testing.assert_array_equal(F.pixel_unshuffle(minidl.tensor(y), 2).numpy(),
                                  torch.nn.functional.pixel_unshuffle(torch.tensor(y), 2).numpy())
