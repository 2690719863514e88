"""The kernels' index arithmetic, transcribed into NumPy, against the fast array code.

minidl.cuda.transcription does, for all output elements at once, what each CUDA thread
of minidl.cuda.kernels does for its own. If the transcription equals the array code of
im2col / col2im / max pooling on every drawn geometry, the formulas the kernels encode
are right, even on machines where the kernels cannot run. Sums are taken in the same
order as the array code, so the comparisons are exact.
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.cuda import transcription
from minidl.nn.functional.im2col import col2im, conv_output_size, im2col
from tests.strategies import examples, conv2d_geometries, pool2d_geometries

seeds = st.integers(0, 2**31 - 1)


@st.composite
def im2col_cases(draw):
    """A conv geometry with possibly uneven padding ((PT, PB), (PL, PR))."""
    geom = draw(conv2d_geometries())
    (ph, pw), kernel = geom["padding"], geom["w"][2:]
    padding = ((ph, draw(st.integers(0, 2))), (pw, draw(st.integers(0, 2))))
    out_hw = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                   zip(geom["x"][2:], kernel, geom["stride"], padding, geom["dilation"]))
    if min(out_hw) < 1:
        padding = ((ph, ph), (pw, pw))
        out_hw = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                       zip(geom["x"][2:], kernel, geom["stride"], padding, geom["dilation"]))
    return geom["x"], (kernel, geom["stride"], padding, geom["dilation"], out_hw)


@given(im2col_cases(), seeds, st.sampled_from([np.float32, np.float64, np.int64]))
@examples(30)
def test_im2col_thread_formula_equals_the_strided_view(case, seed, dtype):
    shape, (kernel, stride, padding, dilation, out_hw) = case
    x = (np.random.default_rng(seed).standard_normal(shape) * 10).astype(dtype)
    expected = im2col(x, kernel, stride, padding, dilation, out_hw)
    got = transcription.im2col(x, kernel, stride, padding, dilation, out_hw)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, expected)
    buffer = np.empty(got.size, dtype=dtype)                 # and into a caller's buffer
    into = transcription.im2col(x, kernel, stride, padding, dilation, out_hw, out=buffer)
    assert np.shares_memory(into, buffer)
    np.testing.assert_array_equal(into, expected)


@given(im2col_cases(), seeds)
@examples(30)
def test_col2im_gather_equals_the_tap_loop(case, seed):
    shape, (kernel, stride, padding, dilation, out_hw) = case
    rows = shape[1] * kernel[0] * kernel[1]
    cols = np.random.default_rng(seed).standard_normal((rows, shape[0] * out_hw[0] * out_hw[1]))
    expected = col2im(cols, shape, kernel, stride, padding, dilation, out_hw)
    got = transcription.col2im(cols, shape, kernel, stride, padding, dilation, out_hw)
    np.testing.assert_array_equal(got, expected)   # same additions, same order: exact


def _max_pool_array_code(x, geom, rng):
    """The array code's values, flat indices, and (for floats) the input gradient for a
    random output gradient g, which is returned too."""
    kw = {k: v for k, v in geom.items() if k != "x"}
    t = minidl.tensor(x, requires_grad=x.dtype.kind == "f")
    y, idx = F.max_pool2d(t, **kw, return_indices=True)
    g = rng.standard_normal(y.shape)
    grad = None
    if t.requires_grad:
        y.backward(minidl.tensor(g.astype(x.dtype)))
        grad = t.grad.numpy()
    return y.detach().numpy(), idx.numpy(), g, grad


def _pool_args(geom, out_hw):
    (ph, pw) = geom["padding"]
    return geom["kernel_size"], geom["stride"], ((ph, ph), (pw, pw)), geom["dilation"], out_hw


@given(pool2d_geometries(), seeds, st.sampled_from(["distinct", "ties", "nan", "int"]))
@examples(40)
def test_max_pool_thread_formulas_equal_the_array_code(geom, seed, values):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geom["x"])
    if values == "ties":
        x = x.round(0)                       # many equal values: the first tap must win
    elif values == "nan":
        x[rng.random(x.shape) < 0.2] = np.nan
        x[rng.random(x.shape) < 0.2] = -np.inf
    elif values == "int":
        x = (x * 3).astype(np.int64)
    y, idx, g, grad = _max_pool_array_code(x, geom, rng)
    args = _pool_args(geom, y.shape[2:])

    got_y, winner = transcription.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(got_y, y)
    assert winner.dtype == np.int32
    # the winning tap of each window, as the flat index max_pool2d returns
    (kh_, kw_), (sh, sw), ((pt, _), (pl, _)), (dh, dw), (oh, ow) = args
    tap_h, tap_w = np.divmod(winner.astype(np.int64), kw_)
    rows = np.arange(oh)[:, None] * sh + tap_h * dh - pt
    cols = np.arange(ow) * sw + tap_w * dw - pl
    np.testing.assert_array_equal(rows * x.shape[3] + cols, idx)

    if grad is not None:
        got_grad = transcription.max_pool2d_backward(g, winner, x.shape, *args)
        np.testing.assert_array_equal(got_grad, grad)
