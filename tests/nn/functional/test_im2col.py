"""im2col / col2im: the column layout, the adjoint identity, output sizes, scratch buffers."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.nn.functional import im2col as im2col_module
from minidl.nn.functional.im2col import col2im, conv_output_size, im2col, scratch
from tests.strategies import examples, conv2d_geometries

seeds = st.integers(0, 2**31 - 1)


def _args(geom):
    return geom["w"][2:], geom["stride"], geom["padding"], geom["dilation"]


def test_docstring_examples():
    result = doctest.testmod(im2col_module)
    assert result.attempted > 0 and result.failed == 0


@given(geom=conv2d_geometries(), seed=seeds)
@examples(25)
def test_im2col_layout(geom, seed):
    """cols[(c, kh, kw), (n, oh, ow)] == x_pad[n, c, oh*SH + kh*DH, ow*SW + kw*DW]."""
    x = np.random.default_rng(seed).standard_normal(geom["x"])
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _args(geom)
    cols = im2col(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    n, c, h, w = x.shape
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    assert cols.shape == (c * kh * kw, n * oh * ow)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    expected = np.empty((c, kh, kw, n, oh, ow))
    for ci in range(c):
        for a in range(kh):
            for b in range(kw):
                for ni in range(n):
                    for i in range(oh):
                        for j in range(ow):
                            expected[ci, a, b, ni, i, j] = xpad[ni, ci, i * sh + a * dh,
                                                                j * sw + b * dw]
    np.testing.assert_array_equal(cols, expected.reshape(cols.shape))


@given(geom=conv2d_geometries(), seed=seeds)
@examples(25)
def test_col2im_is_the_adjoint_of_im2col(geom, seed):
    """<im2col(x), C> == <x, col2im(C)> for every x and C: col2im is im2col transposed."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geom["x"])
    cols = im2col(x, *_args(geom))
    c = rng.standard_normal(cols.shape)
    back = col2im(c, x.shape, *_args(geom))
    assert back.shape == x.shape
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-10)


def test_uneven_padding_and_output_size():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    cols = im2col(x, 2, padding=((0, 1), (1, 0)))     # one row at the bottom, one column left
    assert cols.shape == (4, 4 * 4)
    np.testing.assert_array_equal(cols[0].reshape(4, 4)[:, 0], [0, 0, 0, 0])   # left padding
    # tap (0, 1) of the last output row reads input row 3; tap (1, 1) the zero row below it
    np.testing.assert_array_equal(cols[1].reshape(4, 4)[-1], [12, 13, 14, 15])
    np.testing.assert_array_equal(cols[3].reshape(4, 4)[-1], [0, 0, 0, 0])
    np.testing.assert_array_equal(cols[3].reshape(4, 4)[0], [4, 5, 6, 7])
    assert im2col(x, 2, output_size=(2, 3)).shape == (4, 6)   # only the first windows


@given(size=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 3), ceil_mode=st.booleans())
def test_conv_output_size_counts_window_positions(size, k, s, p, d, ceil_mode):
    p = min(p, k // 2)  # pooling's limit, which ceil_mode goes with
    span, padded = d * (k - 1) + 1, size + 2 * p
    # floor: windows that fit in the padded input; ceil: also a last partial one, if it
    # starts inside the input or the left padding
    expected = sum(1 for start in range(0, 100, s)
                   if start + span <= padded
                   or (ceil_mode and start < padded - span + s and start < size + p))
    if span > padded:
        expected = 0
    assert conv_output_size(size, k, s, p, d, ceil_mode) == expected


def test_conv_output_size_examples():
    assert conv_output_size(224, 7, 2, 3) == 112
    assert conv_output_size(112, 3, 2, 1) == 56
    assert conv_output_size(32, 3, 1, (0, 2), 1) == 32
    assert conv_output_size(7, 3, 1, 0, 2) == 3


def test_kernel_larger_than_input_error():
    with pytest.raises(ValueError, match=r"im2col: kernel size \(5, 5\) \(dilated \(5, 5\)\) is "
                                         r"larger than the padded input \(4, 4\)"):
        im2col(np.zeros((1, 1, 4, 4)), 5)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        im2col(np.zeros((1, 1, 4, 4)), (1, 2, 3))
    with pytest.raises(ValueError, match="padding must be non-negative"):
        im2col(np.zeros((1, 1, 4, 4)), 2, padding=-1)


def test_dtype_is_kept():
    x = np.ones((1, 2, 5, 5), np.float32)
    assert im2col(x, 3, padding=1).dtype == np.float32
    assert col2im(im2col(x, 3), x.shape, 3).dtype == np.float32


def test_scratch_buffers_are_reused_per_name_and_dtype():
    a = scratch(np, (3, 4), np.float32, "test")
    b = scratch(np, (2, 5), np.float32, "test")
    assert np.shares_memory(a, b)                       # same buffer, new shape
    assert not np.shares_memory(a, scratch(np, (3, 4), np.float64, "test"))
    assert not np.shares_memory(a, scratch(np, (3, 4), np.float32, "other"))
    big = scratch(np, (100, 100), np.float32, "test")   # grows when too small
    assert big.shape == (100, 100)
    im2col_module.release_scratch()
    assert not np.shares_memory(big, scratch(np, (100, 100), np.float32, "test"))
