"""Reductions with their extra arguments: dim (int, tuple, None, negative), keepdim,
NumPy's axis/keepdims aliases, max/min return values, var/std corrections, stable
softmax at large logits, argmax/topk indices."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.autograd import gradcheck
from tests.strategies import examples, dims, domain_arrays, shape_and_dim, shapes

F64 = minidl.float64


def t64(a, requires_grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _axis(dim):
    return dim if dim is None or isinstance(dim, int) else tuple(dim)


REDUCTIONS = {
    # name: (minidl function, numpy reference, domain)
    "sum": (minidl.sum, np.sum, "real"),
    "mean": (minidl.mean, np.mean, "real"),
    "prod": (minidl.prod, np.prod, "grid"),  # the grid holds zeros: prod's hard case
    "amax": (minidl.amax, np.max, "distinct"),
    "amin": (minidl.amin, np.min, "distinct"),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@examples(10)
@given(data=st.data())
def test_reduction_over_any_dims(name, data):
    fn, ref, domain = REDUCTIONS[name]
    shape = data.draw(shapes(0, 3))
    dim = data.draw(dims(len(shape)))
    keepdim = data.draw(st.booleans())
    a = data.draw(domain_arrays(shape, domain))
    out = fn(t64(a), dim, keepdim)
    expected = ref(a, axis=_axis(dim), keepdims=keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x: fn(x, dim, keepdim), [t64(a, True)])


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "var", "std",
                                  "logsumexp", "argmax", "argmin"])
def test_axis_and_keepdims_aliases(name):
    x = minidl.tensor([[1.0, 5.0, 2.0], [4.0, 0.5, 3.0]])
    fn = getattr(minidl, name)
    torch_style = fn(x, dim=1, keepdim=True)
    numpy_style = fn(x, axis=1, keepdims=True)
    method = getattr(x, name)(axis=1, keepdims=True)
    assert torch_style.shape == numpy_style.shape == method.shape == (2, 1)
    np.testing.assert_array_equal(torch_style.numpy(), numpy_style.numpy())
    with pytest.raises(TypeError, match=name):
        fn(x, dim=1, axis=1)
    with pytest.raises(TypeError, match=name):
        fn(x, dim=1, bogus=True)


def test_dim_out_of_range_names_the_op():
    x = minidl.ones(2, 3)
    with pytest.raises(IndexError, match=r"sum: dimension out of range.*got 2"):
        x.sum(2)
    with pytest.raises(ValueError, match="mean: dim .* repeats"):
        x.mean((1, -1))


def test_numpy_integers_are_accepted_as_dims():
    x = minidl.ones(2, 3)
    assert x.sum(np.int64(1)).shape == (2,) and x.mean((np.int32(0), 1)).shape == ()
    assert x.softmax(np.int64(-1)).shape == (2, 3)


def test_reductions_of_a_scalar_and_empty_dim_tuple():
    s = minidl.tensor(3.0)
    assert s.sum().item() == 3.0 and s.sum(0).item() == 3.0 and s.mean(-1).item() == 3.0
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=()).item() == 10.0  # as PyTorch: an empty dim list means all dims


def test_mean_of_integers_is_refused():
    with pytest.raises(TypeError, match="mean: expected a floating-point tensor"):
        minidl.arange(4).mean()


def test_sum_dtype_argument():
    out = minidl.arange(4).sum(dtype=minidl.float64)
    assert out.dtype == np.float64 and out.item() == 6.0


# ------------------------------------------------------------------------ prod
@pytest.mark.parametrize("values, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),     # one zero: only its own gradient survives
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),     # two zeros: everything is 0
    ([-1.0, 0.0, 5.0], [0.0, -5.0, 0.0]),
])
def test_prod_gradient_with_zeros(values, expected):
    x = t64(values, True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@given(data=st.data())
@examples(10)
def test_prod_gradient_matches_product_of_the_others(data):
    shape, dim = data.draw(shape_and_dim(1, 3))
    a = data.draw(domain_arrays(shape, "grid"))
    x = t64(a, True)
    x.prod(dim).sum().backward()
    # reference: for each element, the product of the other elements along ``dim``
    moved = np.moveaxis(a, dim, -1)
    expected = np.empty_like(moved)
    for i in range(moved.shape[-1]):
        expected[..., i] = np.prod(np.delete(moved, i, axis=-1), axis=-1)
    np.testing.assert_allclose(x.grad.numpy(), np.moveaxis(expected, -1, dim))


# --------------------------------------------------------------------- max, min
def test_full_max_splits_the_gradient_among_ties():
    x = t64([1.0, 3.0, 3.0, -2.0], True)
    y = x.max()
    assert y.shape == () and y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])
    x.grad = None
    minidl.min(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 1.0])


def test_max_with_dim_returns_values_and_indices_like_pytorch():
    x = t64([[3.0, 7.0, 7.0], [9.0, 1.0, 9.0]], True)
    result = x.max(dim=1)
    values, indices = result  # unpacks like torch.return_types.max
    assert type(result).__name__ == "max"
    assert result.values is values and result.indices is indices
    assert values.tolist() == [7.0, 9.0]
    assert indices.tolist() == [1, 0]  # the first maximum
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    # the gradient goes to the returned index only, not shared among ties
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_max_min_keepdim_and_negative_dim():
    x = minidl.tensor([[3.0, 7.0], [9.0, 1.0], [0.0, 2.0]])
    v, i = minidl.max(x, -2, keepdim=True)
    assert v.shape == i.shape == (1, 2)
    assert v.tolist() == [[9.0, 7.0]] and i.tolist() == [[1, 0]]
    v, i = minidl.min(x, dim=0)
    assert v.tolist() == [0.0, 1.0] and i.tolist() == [2, 1]
    assert type(minidl.min(x, 0)).__name__ == "min"


def test_max_min_with_a_tensor_is_elementwise():
    a = minidl.tensor([1.0, 5.0])
    b = minidl.tensor([3.0, 2.0])
    assert minidl.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]
    assert minidl.max(a, other=b).tolist() == [3.0, 5.0]


def test_max_of_empty_tensor_raises():
    with pytest.raises(RuntimeError, match="max: cannot reduce an empty tensor"):
        minidl.zeros(0).max()


@given(data=st.data())
@examples(10)
def test_max_min_dim_match_numpy(data):
    shape, dim = data.draw(shape_and_dim(1, 3))
    a = data.draw(domain_arrays(shape, "grid"))  # the grid has ties
    for fn, ref, arg in ((minidl.max, np.max, np.argmax), (minidl.min, np.min, np.argmin)):
        values, indices = fn(t64(a), dim)
        np.testing.assert_array_equal(values.numpy(), ref(a, axis=dim))
        np.testing.assert_array_equal(indices.numpy(), arg(a, axis=dim))


# ------------------------------------------------------------------- var, std
@given(data=st.data())
@examples(10)
def test_var_std_unbiased_flag(data):
    shape = data.draw(shapes(1, 3, min_side=2))
    dim = data.draw(dims(len(shape)))
    unbiased = data.draw(st.booleans())
    a = data.draw(domain_arrays(shape, "distinct"))
    ddof = 1 if unbiased else 0
    np.testing.assert_allclose(t64(a).var(dim, unbiased).numpy(),
                               a.var(axis=_axis(dim), ddof=ddof), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(minidl.std(t64(a), dim, unbiased, keepdim=True).numpy(),
                               a.std(axis=_axis(dim), ddof=ddof, keepdims=True), rtol=1e-10)
    assert gradcheck(lambda x: x.var(dim, unbiased), [t64(a, True)])
    assert gradcheck(lambda x: x.std(dim, unbiased), [t64(a, True)])


def test_var_correction_keyword_and_positional_unbiased():
    x = minidl.tensor([1.0, 2.0, 3.0, 6.0])
    a = np.array([1.0, 2.0, 3.0, 6.0])
    assert x.var(correction=0).item() == pytest.approx(a.var())
    assert x.var(correction=2).item() == pytest.approx(a.var(ddof=2))
    assert minidl.var(x, False).item() == pytest.approx(a.var())
    assert x.std(unbiased=False).item() == pytest.approx(a.std())


def test_var_of_one_element_is_nan():
    assert np.isnan(minidl.tensor([2.0]).var().item())
    assert minidl.tensor([2.0]).var(unbiased=False).item() == 0.0


# -------------------------------------------------- softmax, log_softmax, logsumexp
@pytest.mark.parametrize("dtype", [minidl.float32, minidl.float64])
def test_softmax_family_is_stable_at_large_logits(dtype):
    logits = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4]])
    shifted = logits - logits.max(axis=1, keepdims=True)  # small numbers: the exact answer
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    x = minidl.tensor(logits, dtype=dtype, requires_grad=True)

    y = minidl.softmax(x, dim=1)
    assert np.isfinite(y.detach().numpy()).all()
    np.testing.assert_allclose(y.detach().numpy(), p, rtol=1e-5, atol=1e-7)
    w = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    (y * minidl.tensor(w, dtype=dtype)).sum().backward()
    expected = p * (w - (w * p).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)

    x.grad = None
    z = minidl.log_softmax(x, dim=1)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(z.detach().numpy(), log_p, rtol=1e-5, atol=1e-4)
    (z * minidl.tensor(w, dtype=dtype)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w - p * w.sum(axis=1, keepdims=True),
                               rtol=1e-5, atol=1e-6)

    lse = minidl.logsumexp(minidl.tensor(logits, dtype=dtype), dim=1)
    expected_lse = logits.max(axis=1) + np.log(np.exp(shifted).sum(axis=1))
    np.testing.assert_allclose(lse.numpy(), expected_lse, rtol=1e-6)


def test_logsumexp_of_all_minus_infinity():
    x = minidl.tensor([-np.inf, -np.inf])
    assert minidl.logsumexp(x, 0).item() == -np.inf


@given(data=st.data())
@examples(10)
def test_softmax_any_dim(data):
    shape, dim = data.draw(shape_and_dim(1, 3))
    a = data.draw(domain_arrays(shape, "real"))
    y = t64(a).softmax(dim).numpy()
    np.testing.assert_allclose(y.sum(axis=dim), 1.0)
    np.testing.assert_allclose(t64(a).log_softmax(dim).numpy(), np.log(y), atol=1e-12)
    assert gradcheck(lambda x: minidl.log_softmax(x, dim), [t64(a, True)])
    keep = data.draw(st.booleans())
    assert gradcheck(lambda x: minidl.logsumexp(x, dim, keep), [t64(a, True)])


def test_softmax_needs_a_dim():
    with pytest.raises(TypeError, match="softmax: dim must be given"):
        minidl.softmax(minidl.ones(3), None)


# ------------------------------------------------------------ indices and truth
def test_argmax_argmin():
    x = minidl.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, -1.0]])
    assert x.argmax().item() == 3 and x.argmax().shape == ()
    assert x.argmax(dim=1).tolist() == [1, 0]
    assert x.argmin(1, keepdim=True).tolist() == [[0], [2]]
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert x.argmin().dtype == np.int64
    y = minidl.tensor([1.0, 2.0], requires_grad=True)
    assert not y.argmax().requires_grad


@given(data=st.data())
@examples(10)
def test_topk_matches_sorting(data):
    shape, dim = data.draw(shape_and_dim(1, 3))
    k = data.draw(st.integers(0, shape[dim]))
    largest = data.draw(st.booleans())
    a = data.draw(domain_arrays(shape, "distinct"))
    values, indices = minidl.topk(t64(a), k, dim, largest)
    order = np.argsort(-a if largest else a, axis=dim)
    expected_idx = np.take(order, np.arange(k), axis=dim)
    np.testing.assert_array_equal(indices.numpy(), expected_idx)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, expected_idx, dim))
    if k:
        assert gradcheck(lambda x: minidl.topk(x, k, dim, largest).values, [t64(a, True)])


def test_topk_gradient_reaches_the_chosen_positions_only():
    x = t64([0.5, 3.0, -1.0, 2.0], True)
    values, indices = x.topk(2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 3]
    values.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="topk: k=5"):
        x.topk(5)


def test_any_all():
    x = minidl.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    assert minidl.any(x).item() is True and minidl.all(x).item() is False
    assert x.any(dim=1).tolist() == [True, False]
    assert x.all(dim=0, keepdim=True).tolist() == [[False, False, False]]
    assert (x >= 0).all().item() is True


# --------------------------------------------------------- NaN, infinities, empty
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("values,expected", [
    ([NAN, 1.0, 2.0], NAN),          # a diverged model must show: not -inf
    ([1.0, NAN], NAN),
    ([INF, 1.0], INF),
    ([INF, -INF], INF),
    ([-INF, -INF], -INF),
    ([], -INF),                      # an empty sum is 0, its log -inf (PyTorch's answer)
])
def test_logsumexp_nan_inf_and_empty(values, expected):
    got = minidl.logsumexp(minidl.tensor(np.array(values, dtype=np.float64)), dim=0).item()
    np.testing.assert_equal(got, expected)


def test_logsumexp_nan_stays_in_its_row_and_empty_dims():
    x = minidl.tensor([[NAN, 1.0], [1.0, 2.0]])
    got = minidl.logsumexp(x, dim=1).numpy()
    assert np.isnan(got[0]) and got[1] == pytest.approx(np.log(np.e + np.e ** 2))
    assert minidl.logsumexp(minidl.zeros(3, 0), dim=1).tolist() == [-INF] * 3
    assert minidl.logsumexp(minidl.zeros(0, 3), dim=1).shape == (0,)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((0, 3), 1), ((0, 3), 0), ((3, 0), 1)])
def test_softmax_of_empty_inputs(fn, shape, dim):
    x = minidl.zeros(*shape, requires_grad=True)
    y = getattr(minidl, fn)(x, dim=dim)
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape
