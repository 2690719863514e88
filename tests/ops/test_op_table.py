"""One table of ops drives the value, gradient and broadcasting tests of every op.

Each entry says how to call the op in minidl, how to compute the same thing in
plain NumPy, and from which domain (see tests/strategies.py) each input is drawn.
Then, for every entry and every device (the ``device`` parameter of tests/conftest.py:
the CPU, the strict stand-in device that refuses NumPy code on device data, a GPU when
present):

* forward: minidl's result equals the NumPy reference (float64);
* float32: a float32 input gives a float32 result (no silent upcasting);
* gradcheck: the analytic gradient equals central differences (float64);
* broadcasting (binary ops): gradients of broadcast inputs come back summed to
  each input's own shape and still pass gradcheck.

Ops taking extra arguments (dim, shapes, indices) appear here with one typical
choice of them; tests/ops/test_<family>.py vary those arguments.
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.autograd import gradcheck
from minidl.ops import elementwise, indexing, linalg, reduction, shape
from tests.strategies import examples, broadcastable_shapes, domain_arrays, shapes

F64 = minidl.float64


@dataclass(frozen=True)
class Op:
    """One row of the table.

    Attributes:
        name: test id.
        fn: the minidl call, taking one Tensor per input.
        ref: the NumPy reference, taking one float64 array per input.
        domains: one domain name (tests/strategies.py) per input; its length is the arity.
        min_ndim, max_ndim, min_side, max_side: bounds of the drawn input shape.
        input_shapes: optional strategy of a tuple of shapes, one per input (when the
            inputs' shapes differ, as for matmul); default: all inputs share one shape.
        broadcast: a binary (or ternary) op whose inputs broadcast against each other.
        float32: a float32 input gives a float32 output.
    """

    name: str
    fn: Callable
    ref: Callable
    domains: tuple = ("real",)
    min_ndim: int = 0
    max_ndim: int = 3
    min_side: int = 1
    max_side: int = 4
    input_shapes: object = None
    broadcast: bool = False
    float32: bool = True
    family: str = field(default="elementwise")

    @property
    def arity(self) -> int:
        return len(self.domains)

    def shapes(self):
        if self.input_shapes is not None:
            return self.input_shapes
        return shapes(self.min_ndim, self.max_ndim, self.min_side, self.max_side).map(
            lambda s: (s,) * self.arity)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gather_index(shape):
    """A deterministic index with repeats, for gather along the last dim."""
    size = int(np.prod(shape))
    return (np.arange(size).reshape(shape) * 3 + 1) % shape[-1]


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


@st.composite
def _matmul_shapes(draw):
    """Shapes (a, b) covering every rank case: 1-D, 2-D, batched, broadcast batch dims."""
    m, k, n = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    case = draw(st.sampled_from(["vv", "mv", "vm", "mm", "bmm", "bm", "mb", "bcast", "vb"]))
    return {
        "vv": ((k,), (k,)), "mv": ((m, k), (k,)), "vm": ((k,), (k, n)), "mm": ((m, k), (k, n)),
        "bmm": ((2, m, k), (2, k, n)), "bm": ((2, m, k), (k, n)), "mb": ((m, k), (2, k, n)),
        "bcast": ((2, 1, m, k), (3, k, n)), "vb": ((k,), (2, k, n)),
    }[case]


OPS = [
    # ---------------------------------------------------------------- elementwise
    Op("add", elementwise.add, np.add, ("real", "real"), broadcast=True),
    Op("sub", elementwise.sub, np.subtract, ("real", "real"), broadcast=True),
    Op("mul", elementwise.mul, np.multiply, ("real", "real"), broadcast=True),
    Op("div", elementwise.div, np.divide, ("real", "nonzero"), broadcast=True),
    Op("pow", elementwise.pow, np.power, ("positive", "real"), broadcast=True),
    Op("maximum", elementwise.maximum, np.maximum, ("grid", "offgrid"), broadcast=True),
    Op("minimum", elementwise.minimum, np.minimum, ("grid", "offgrid"), broadcast=True),
    Op("where", lambda a, b: elementwise.where(a.detach() > 0, a, b),
       lambda a, b: np.where(a > 0, a, b), ("nonzero", "real"), broadcast=True),
    Op("operators", lambda a, b: (a + b) * a - b / 2 + 1 - a ** 2,
       lambda a, b: (a + b) * a - b / 2 + 1 - a ** 2, ("real", "real"), broadcast=True),
    Op("neg", elementwise.neg, np.negative),
    Op("pow_scalar", lambda x: x ** 3, lambda a: a ** 3),
    Op("pow_half", lambda x: x ** 0.5, np.sqrt, ("positive",)),
    Op("rpow", lambda x: 2.0 ** x, lambda a: 2.0 ** a),
    Op("exp", elementwise.exp, np.exp),
    Op("log", elementwise.log, np.log, ("positive",)),
    Op("log1p", elementwise.log1p, np.log1p, ("unit",)),
    Op("sqrt", elementwise.sqrt, np.sqrt, ("positive",)),
    Op("rsqrt", elementwise.rsqrt, lambda a: 1 / np.sqrt(a), ("positive",)),
    Op("abs", elementwise.abs, np.abs, ("nonzero",)),
    Op("sign", elementwise.sign, np.sign, ("nonzero",)),
    Op("sin", elementwise.sin, np.sin),
    Op("cos", elementwise.cos, np.cos),
    Op("tanh", elementwise.tanh, np.tanh),
    Op("sigmoid", elementwise.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    Op("relu", elementwise.relu, lambda a: np.maximum(a, 0), ("nonzero",)),
    Op("erf", elementwise.erf, _erf),
    Op("clamp", lambda x: elementwise.clamp(x, -1, 1), lambda a: np.clip(a, -1, 1),
       ("offgrid",)),
    Op("clamp_min", lambda x: elementwise.clamp(x, min=0.5), lambda a: np.maximum(a, 0.5),
       ("offgrid",)),
    Op("cast", lambda x: elementwise.cast(x, np.dtype(np.float64)), lambda a: a,
       float32=False),
    Op("to_device", lambda x: elementwise.to_device(x, minidl.device("cpu")), lambda a: a),
    Op("clone", elementwise.clone, np.copy),
    # ---------------------------------------------------------------- reductions
    Op("sum", lambda x: reduction.sum(x), np.sum, family="reduction"),
    Op("sum_dim", lambda x: reduction.sum(x, dim=-1), lambda a: a.sum(axis=-1),
       min_ndim=1, family="reduction"),
    Op("mean_keepdim", lambda x: reduction.mean(x, dim=0, keepdim=True),
       lambda a: a.mean(axis=0, keepdims=True), min_ndim=1, family="reduction"),
    Op("prod", lambda x: reduction.prod(x, dim=0), lambda a: a.prod(axis=0),
       ("nonzero",), min_ndim=1, family="reduction"),
    Op("max", lambda x: reduction.max(x), np.max, ("distinct",), family="reduction"),
    Op("min", lambda x: reduction.min(x), np.min, ("distinct",), family="reduction"),
    Op("max_dim", lambda x: reduction.max(x, dim=-1).values, lambda a: a.max(axis=-1),
       ("distinct",), min_ndim=1, family="reduction"),
    Op("min_dim", lambda x: reduction.min(x, 0, keepdim=True).values,
       lambda a: a.min(axis=0, keepdims=True), ("distinct",), min_ndim=1, family="reduction"),
    Op("amax", lambda x: reduction.amax(x, dim=0), lambda a: a.max(axis=0), ("distinct",),
       min_ndim=1, family="reduction"),
    Op("amin", lambda x: reduction.amin(x, dim=-1), lambda a: a.min(axis=-1), ("distinct",),
       min_ndim=1, family="reduction"),
    Op("var", lambda x: reduction.var(x), lambda a: a.var(ddof=1), ("distinct",),
       min_ndim=1, min_side=2, family="reduction"),
    Op("std", lambda x: reduction.std(x, dim=-1), lambda a: a.std(axis=-1, ddof=1),
       ("distinct",), min_ndim=1, min_side=2, family="reduction"),
    Op("logsumexp", lambda x: reduction.logsumexp(x, dim=-1),
       lambda a: _logsumexp(a, -1), min_ndim=1, family="reduction"),
    Op("softmax", lambda x: reduction.softmax(x, dim=-1), lambda a: _softmax(a, -1),
       min_ndim=1, family="reduction"),
    Op("log_softmax", lambda x: reduction.log_softmax(x, dim=0),
       lambda a: np.log(_softmax(a, 0)), min_ndim=1, family="reduction"),
    Op("topk", lambda x: reduction.topk(x, 1, dim=-1).values,
       lambda a: -np.sort(-a, axis=-1)[..., :1], ("distinct",), min_ndim=1,
       family="reduction"),
    # ---------------------------------------------------------------- shape
    Op("reshape", lambda x: shape.reshape(x, -1), lambda a: a.reshape(-1), family="shape"),
    Op("view", lambda x: x.view(1, *x.shape), lambda a: a[None], family="shape"),
    Op("transpose", lambda x: shape.transpose(x, 0, -1), lambda a: np.swapaxes(a, 0, -1),
       min_ndim=1, family="shape"),
    Op("permute", lambda x: shape.permute(x, *reversed(range(x.ndim))), np.transpose,
       family="shape"),
    Op("movedim", lambda x: shape.movedim(x, 0, -1), lambda a: np.moveaxis(a, 0, -1),
       min_ndim=1, family="shape"),
    Op("flatten", lambda x: shape.flatten(x), lambda a: a.reshape(-1), family="shape"),
    Op("unflatten", lambda x: shape.unflatten(x, 0, (1, x.shape[0])),
       lambda a: a.reshape((1,) + a.shape), min_ndim=1, family="shape"),
    Op("squeeze", lambda x: shape.squeeze(x), np.squeeze, max_side=2, family="shape"),
    Op("unsqueeze", lambda x: shape.unsqueeze(x, -1), lambda a: a[..., None], family="shape"),
    Op("expand", lambda x: shape.expand(x, 2, *x.shape), lambda a: np.broadcast_to(a, (2,) + a.shape),
       family="shape"),
    Op("broadcast_to", lambda x: shape.broadcast_to(x.reshape(-1, 1), (x.numel(), 2)),
       lambda a: np.broadcast_to(a.reshape(-1, 1), (a.size, 2)), family="shape"),
    Op("repeat", lambda x: shape.repeat(x, 2, *([1] * x.ndim)),
       lambda a: np.tile(a, (2,) + (1,) * a.ndim), family="shape"),
    Op("cat", lambda x: shape.cat([x, x * 2], dim=-1),
       lambda a: np.concatenate([a, a * 2], axis=-1), min_ndim=1, family="shape"),
    Op("stack", lambda a, b: shape.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], -1),
       ("real", "real"), family="shape"),
    Op("split", lambda x: shape.split(x, 1, dim=0)[-1], lambda a: a[-1:], min_ndim=1,
       family="shape"),
    Op("chunk", lambda x: shape.chunk(x, 2, dim=-1)[0],
       lambda a: a[..., :(a.shape[-1] + 1) // 2], min_ndim=1, family="shape"),
    Op("flip", lambda x: shape.flip(x, 0), lambda a: np.flip(a, 0), min_ndim=1,
       family="shape"),
    Op("roll", lambda x: shape.roll(x, 1, 0), lambda a: np.roll(a, 1, 0), min_ndim=1,
       family="shape"),
    Op("roll_flat", lambda x: shape.roll(x, 2), lambda a: np.roll(a, 2), family="shape"),
    Op("pad", lambda x: shape.pad(x, (1, 2), value=0.5),
       lambda a: np.pad(a, [(0, 0)] * (a.ndim - 1) + [(1, 2)], constant_values=0.5),
       min_ndim=1, family="shape"),
    Op("pad_crop", lambda x: shape.pad(x, (-1, 1)),
       lambda a: np.pad(a[..., 1:], [(0, 0)] * (a.ndim - 1) + [(0, 1)]), min_ndim=1,
       min_side=2, family="shape"),
    # ---------------------------------------------------------------- indexing
    Op("getitem_basic", lambda x: x[..., ::2, None], lambda a: a[..., ::2, None], min_ndim=1,
       family="indexing"),
    Op("getitem_int", lambda x: x[-1], lambda a: a[-1], min_ndim=1, family="indexing"),
    Op("getitem_repeated", lambda x: x[[0, -1, 0, 0]], lambda a: a[[0, -1, 0, 0]],
       min_ndim=1, family="indexing"),
    Op("getitem_mask", lambda x: x[x.detach() > 0], lambda a: a[a > 0], ("nonzero",),
       family="indexing"),
    Op("getitem_mixed", lambda x: x[[1, 1, 0], ..., :1], lambda a: a[[1, 1, 0], ..., :1],
       min_ndim=2, min_side=2, family="indexing"),
    Op("gather", lambda x: indexing.gather(
        x, -1, minidl.tensor(_gather_index(x.shape), device=x.device)),
       lambda a: np.take_along_axis(a, _gather_index(a.shape), -1), min_ndim=1,
       family="indexing"),
    Op("index_select", lambda x: indexing.index_select(x, 0, minidl.tensor([0, 0],
                                                                          device=x.device)),
       lambda a: a[[0, 0]], min_ndim=1, family="indexing"),
    Op("masked_fill", lambda x: indexing.masked_fill(x, x.detach() > 0, 0.5),
       lambda a: np.where(a > 0, 0.5, a), ("nonzero",), family="indexing"),
    # ---------------------------------------------------------------- linalg
    Op("matmul", linalg.matmul, np.matmul, ("real", "real"), input_shapes=_matmul_shapes(),
       family="linalg"),
    Op("outer", linalg.outer, np.outer, ("real", "real"),
       input_shapes=st.tuples(shapes(1, 1), shapes(1, 1)), family="linalg"),
]

BROADCAST_OPS = [op for op in OPS if op.broadcast]


def _draw_inputs(data, op, shapes_strategy):
    shape_tuple = data.draw(shapes_strategy, label="shapes")
    return [data.draw(domain_arrays(s, d), label=f"input {i}")
            for i, (s, d) in enumerate(zip(shape_tuple, op.domains))]


def _ids(op):
    return op.name


def test_every_public_differentiable_op_is_in_the_table():
    """A new differentiable op without a row here fails this test."""
    names = {op.name.split("_")[0] for op in OPS} | {op.name for op in OPS}
    no_gradient = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                   "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "argmax",
                   "argmin", "any", "all"}
    aliases = {"clip": "clamp", "concat": "cat", "concatenate": "cat", "swapaxes": "transpose",
               "mm": "matmul", "bmm": "matmul", "dot": "matmul", "take_along_dim": "gather",
               "scatter_add_along_dim": "gather", "getitem": "getitem_basic"}
    public = set(elementwise.__all__ + reduction.__all__ + shape.__all__ + indexing.__all__
                 + linalg.__all__)
    missing = {n for n in public - no_gradient
               if n not in names and aliases.get(n) not in names}
    assert not missing, f"ops without a row in the op table: {sorted(missing)}"


@pytest.mark.parametrize("op", OPS, ids=_ids)
@given(data=st.data())
def test_forward_matches_numpy(op, data, device):
    arrays = _draw_inputs(data, op, op.shapes())
    out = op.fn(*[minidl.tensor(a, device=device) for a in arrays])
    expected = np.asarray(op.ref(*arrays))
    assert out.shape == expected.shape
    assert out.device == (device if op.name != "to_device" else "cpu")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("op", [op for op in OPS if op.float32], ids=_ids)
@examples(3)
@given(data=st.data())
def test_float32_in_float32_out(op, data, device):
    arrays = _draw_inputs(data, op, op.shapes())
    out = op.fn(*[minidl.tensor(a, dtype=minidl.float32, device=device) for a in arrays])
    assert out.dtype == np.float32, f"{op.name}: float32 input gave {out.dtype}"
    np.testing.assert_allclose(out.numpy(), op.ref(*arrays), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", OPS, ids=_ids)
@examples(8)
@given(data=st.data())
def test_gradcheck(op, data, device):
    arrays = _draw_inputs(data, op, op.shapes())
    inputs = [minidl.tensor(a, dtype=F64, device=device, requires_grad=True) for a in arrays]
    assert gradcheck(op.fn, inputs)


@pytest.mark.parametrize("op", BROADCAST_OPS, ids=_ids)
@examples(10)
@given(data=st.data())
def test_broadcasting_gradients(op, data, device):
    arrays = _draw_inputs(data, op, broadcastable_shapes(op.arity))
    inputs = [minidl.tensor(a, dtype=F64, device=device, requires_grad=True) for a in arrays]
    out = op.fn(*inputs)
    np.testing.assert_allclose(out.numpy() if not out.requires_grad else out.detach().numpy(),
                               op.ref(*arrays), rtol=1e-9, atol=1e-12)
    out.sum().backward()
    for t, a in zip(inputs, arrays):
        assert t.grad.shape == a.shape, f"{op.name}: grad {t.grad.shape} for input {a.shape}"
        assert t.grad.device == t.device, f"{op.name}: grad on {t.grad.device} for {t.device}"
    for t in inputs:
        t.grad = None
    assert gradcheck(op.fn, inputs)


@pytest.mark.parametrize("op", BROADCAST_OPS, ids=_ids)
def test_binary_ops_accept_python_numbers_and_arrays(op, device):
    x = minidl.tensor([0.5, 1.5], dtype=F64, device=device, requires_grad=True)
    a = np.array([0.5, 1.5])
    np.testing.assert_allclose(op.fn(x, 2.0).detach().numpy(), op.ref(a, 2.0))
    if op.name not in ("where",):
        np.testing.assert_allclose(op.fn(x, np.array([2.0, 3.0])).detach().numpy(),
                                   op.ref(a, np.array([2.0, 3.0])))
