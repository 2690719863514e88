"""im2col_nd and col2im_nd against their loop references, and col2im as im2col's adjoint."""
import doctest

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minidl.nn.functional import im2col_nd as im2col_nd_module
from minidl.nn.functional.im2col_nd import (col2im_nd, col2im_nd_reference, im2col_nd,
                                            im2col_nd_reference, output_size_nd)
from tests.strategies import examples, convnd_geometries


def test_docstring_examples():
    result = doctest.testmod(im2col_nd_module)
    assert result.attempted > 0 and result.failed == 0


@given(geom=convnd_geometries(3), seed=st.integers(0, 2**31 - 1))
@examples(15)
def test_im2col_nd_and_col2im_nd_match_references_and_are_adjoint(geom, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geom["x"])
    kernel, stride, dilation = geom["w"][2:], geom["stride"], geom["dilation"]
    padding = tuple((p, p + 1) for p in geom["padding"])       # uneven padding too
    out = output_size_nd("test", x.shape[2:], kernel, stride, padding, dilation)
    cols = im2col_nd(x, kernel, stride, padding, dilation, out)
    np.testing.assert_array_equal(cols, im2col_nd_reference(x, kernel, stride, padding,
                                                            dilation, out))
    c = rng.standard_normal(cols.shape)
    back = col2im_nd(c, x.shape, kernel, stride, padding, dilation, out)
    np.testing.assert_allclose(back, col2im_nd_reference(c, x.shape, kernel, stride, padding,
                                                         dilation, out), atol=1e-12)
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-10)
