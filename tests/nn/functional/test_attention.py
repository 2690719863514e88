"""scaled_dot_product_attention: against the NumPy reference, gradients over drawn shapes and
masks, dropout, grouped-query attention, errors, PyTorch parity."""
import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.nn.functional as F
from minidl.autograd import gradcheck
from minidl.nn.functional import attention as attention_module
from minidl.nn.functional.attention import scaled_dot_product_attention_reference as reference
from tests.strategies import examples

SDPA = F.scaled_dot_product_attention


def _t(a, grad=True, device=None):
    return minidl.tensor(a, dtype=minidl.float64, device=device, requires_grad=grad)


@st.composite
def attention_cases(draw):
    """Shapes, a mask kind (none, bool, float, causal) and a scale, as a dict of arrays."""
    lead = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, keys = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    e, ev = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    case = {"q": rng.standard_normal(lead + (length, e)),
            "k": rng.standard_normal(lead + (keys, e)),
            "v": rng.standard_normal(lead + (keys, ev)),
            "kind": draw(st.sampled_from(["none", "bool", "float", "causal"])),
            "scale": draw(st.sampled_from([None, 0.5, 2.0]))}
    mask_shape = draw(st.sampled_from([(length, keys), lead + (length, keys)]))
    if case["kind"] == "bool":   # some rows may be fully masked: they give zeros
        case["mask"] = rng.random(mask_shape) < 0.7
    elif case["kind"] == "float":
        case["mask"] = rng.standard_normal(mask_shape)
    return case


def _call(case, q, k, v, device=None):
    mask = case.get("mask")
    if mask is not None:
        mask = minidl.tensor(mask, device=device) if mask.dtype == bool else _t(mask, False,
                                                                                 device)
    return SDPA(q, k, v, attn_mask=mask, is_causal=case["kind"] == "causal",
                scale=case["scale"])


def test_docstring_examples():
    result = doctest.testmod(attention_module)
    assert result.attempted > 0 and result.failed == 0


@given(case=attention_cases())
@examples(25)
def test_matches_reference(case, device):
    y = _call(case, *(_t(case[n], False, device) for n in "qkv"), device=device)
    ref = reference(case["q"], case["k"], case["v"], case.get("mask"), case["kind"] == "causal",
                    case["scale"])
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-12)


@given(case=attention_cases())
@examples(12)
def test_gradcheck(case, device):
    inputs = [_t(case[n], device=device) for n in "qkv"]
    assert gradcheck(lambda q, k, v: _call(case, q, k, v, device), inputs)


def test_fully_masked_rows_give_zeros_and_zero_gradients():
    rng = np.random.default_rng(0)
    q, k, v = _t(rng.standard_normal((3, 2))), _t(rng.standard_normal((4, 2))), \
        _t(rng.standard_normal((4, 5)))
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    y = SDPA(q, k, v, attn_mask=minidl.tensor(mask))
    assert (y.detach().numpy()[1] == 0).all() and np.isfinite(y.detach().numpy()).all()
    y.sum().backward()
    assert (q.grad.numpy()[1] == 0).all() and np.isfinite(k.grad.numpy()).all()


def test_dropout_scales_kept_weights_and_drops_the_rest():
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 8, 3))
    eye = np.broadcast_to(np.eye(8), (2, 8, 8))        # the output shows the weights
    weights = reference(q, k, eye)
    minidl.manual_seed(0)
    y = SDPA(_t(q, False), _t(k, False), _t(eye, False), dropout_p=0.25).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], weights[kept] / 0.75, rtol=1e-12)
    assert 0.5 < kept.mean() < 0.95
    assert (SDPA(_t(q, False), _t(k, False), _t(eye, False), dropout_p=1.0).numpy() == 0).all()


def test_grouped_query_attention_shares_key_heads():
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((2, 6, 3, 4)), rng.standard_normal((2, 2, 5, 4)),
               rng.standard_normal((2, 2, 5, 3)))
    y = SDPA(_t(q, False), _t(k, False), _t(v, False), enable_gqa=True).numpy()
    np.testing.assert_allclose(y, reference(q, np.repeat(k, 3, axis=1), np.repeat(v, 3, axis=1)),
                               rtol=1e-10)
    qt, kt, vt = _t(q), _t(k), _t(v)
    assert gradcheck(lambda a, b, c: SDPA(a, b, c, enable_gqa=True), [qt, kt, vt])


def test_float32_and_errors():
    q = minidl.randn(2, 3, 4)
    assert SDPA(q, q, q).dtype == minidl.float32
    with pytest.raises(ValueError, match="scaled_dot_product_attention: query and key must have "
                                         "the same number of features"):
        SDPA(q, minidl.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match="key and value must have the same length"):
        SDPA(q, q, minidl.randn(2, 4, 4))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        SDPA(q, q, q, attn_mask=minidl.ones(3, 3), is_causal=True)
    with pytest.raises(ValueError, match="dropout_p must be in"):
        SDPA(q, q, q, dropout_p=1.5)
    with pytest.raises(TypeError, match="same dtype"):
        SDPA(q, q.double(), q)
    with pytest.raises(ValueError, match="query heads .* must be a multiple"):
        SDPA(minidl.randn(1, 3, 2, 4), minidl.randn(1, 2, 2, 4), minidl.randn(1, 2, 2, 4),
             enable_gqa=True)


@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal"])
def test_pytorch_parity(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 4)),
               rng.standard_normal((2, 3, 6, 2)))
    mask = {"none": None, "bool": rng.random((5, 6)) < 0.6,
            "float": rng.standard_normal((2, 1, 5, 6))}.get(kind)
    if kind == "bool":
        mask[2] = False                                   # a query that sees nothing
    kw = dict(is_causal=kind == "causal", scale=None if kind == "none" else 0.7)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ty = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.tensor(mask), **kw)
    mq, mk, mv = _t(q), _t(k), _t(v)
    my = SDPA(mq, mk, mv, attn_mask=None if mask is None else minidl.tensor(mask), **kw)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g))
    my.backward(minidl.tensor(g))
    for m, t in ((mq, tq), (mk, tk), (mv, tv)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
