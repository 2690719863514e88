"""MaxPool1d/3d, AvgPool1d/3d and MaxUnpool1d/2d/3d layers: settings, printout, forward."""
import doctest

import numpy as np
import pytest

import minidl
import minidl.nn as nn
from minidl.nn.functional.pooling_nd import avg_pool_nd_reference, max_pool_nd_reference
from minidl.nn.modules import pooling_nd as pooling_nd_module


def test_docstring_examples():
    result = doctest.testmod(pooling_nd_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("s", [1, 3])
def test_layers_call_their_op(s):
    x = np.random.default_rng(0).standard_normal((2, 3) + (6, 5, 7)[:s])
    t = minidl.tensor(x)
    pool = getattr(nn, f"MaxPool{s}d")(3, stride=2, padding=1, ceil_mode=True,
                                       return_indices=True)
    y, idx = pool(t)
    ref, ref_idx = max_pool_nd_reference(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    avg = getattr(nn, f"AvgPool{s}d")(3, stride=2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(avg(t).numpy(), avg_pool_nd_reference(
        x, 3, 2, 1, count_include_pad=False), atol=1e-12)
    unpool = getattr(nn, f"MaxUnpool{s}d")(3, stride=2, padding=1)
    back = unpool(y, idx, output_size=x.shape)
    assert back.shape == x.shape
    kept = back.numpy() != 0          # the maxima, back where they were
    np.testing.assert_array_equal(back.numpy()[kept], x[kept])


def test_pytorch_reprs():
    torch = pytest.importorskip("torch")
    for name, args in (("MaxPool1d", (3, 2)), ("MaxPool3d", ((1, 2, 2),)), ("AvgPool1d", (4,)),
                       ("AvgPool3d", (2, 1, 1)), ("MaxUnpool1d", (2,)), ("MaxUnpool2d", (2,)),
                       ("MaxUnpool3d", (2, 1))):
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
