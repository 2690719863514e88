"""Fuzzing the public API: random valid and invalid arguments for every entry of TABLE.

Each call may end in one of two ways only:

* a result, checked against a reference (NumPy, or the readable loop reference of the op);
* an exception from minidl whose message names the function (``"conv2d: ..."``).

Anything else (a wrong result, a raw NumPy or Python error that names nothing, a hang) fails.
Arguments are drawn by hypothesis: shapes with zero-size dimensions, float32/float64/int64
data holding NaN and infinities, out-of-range dims, negative and zero sizes.

Outcomes are counted per entry and written to ``fuzz_counts.json`` in pytest's temporary
directory (and printed with ``-s``). A new op joins by adding one ``Case`` to TABLE.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.errors import MinidlError
from minidl.nn.functional.conv import conv2d_reference
from minidl.nn.functional.pooling import (adaptive_avg_pool2d_reference, avg_pool2d_reference,
                                          max_pool2d_reference)
from tests.strategies import examples

COUNTS = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def report_counts(tmp_path_factory):
    yield
    path = tmp_path_factory.getbasetemp() / "fuzz_counts.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    for name, counter in COUNTS.items():
        merged = collections.Counter(existing.get(name, {}))
        merged.update(counter)
        existing[name] = dict(merged)
    path.write_text(json.dumps(existing, indent=1, sort_keys=True))
    total = collections.Counter()
    for counter in existing.values():
        total.update(counter)
    print(f"\nfuzz outcomes ({path}): {dict(total)}")
    for name in sorted(existing):
        print(f"  {name}: {existing[name]}")


# ------------------------------------------------------------------ drawing inputs
FLOATS = st.sampled_from([np.float32, np.float64])


def values(dtype, special: bool = True):
    if np.dtype(dtype).kind == "f":
        return st.floats(-4, 4, width=32 if dtype == np.float32 else 64) | (
            st.sampled_from([np.nan, np.inf, -np.inf]) if special else st.nothing())
    return st.integers(-5, 5)


@st.composite
def arrays(draw, min_dims=0, max_dims=4, min_side=0, max_side=4, dtypes=FLOATS, special=True,
           shape=None):
    dtype = draw(dtypes)
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                      max_side=max_side))
    return draw(hnp.arrays(dtype, shape, elements=values(dtype, special)))


def any_dim(draw, ndim):
    """A dim that may be out of range (about one in four)."""
    return draw(st.integers(-ndim - 2, ndim + 1) if ndim else st.integers(-2, 1))


def close(got, expected, dtype, tol=None):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if tol is None:
        tol = 2e-5 if np.dtype(dtype) == np.float32 else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, equal_nan=True)


# ------------------------------------------------------------------ the table
@dataclasses.dataclass
class Case:
    """One public function: ``draw(data)`` returns (call, check); ``call()`` runs it and
    ``check(result)`` compares the result with the reference."""

    name: str          # what an error message must name
    draw: callable
    weight: int = 6


def unary(name, fn, ref, positive_only=False):
    def draw(data):
        x = data.draw(arrays())
        return (lambda: fn(minidl.tensor(x))), (lambda y: close(y.numpy(), ref(x), x.dtype))
    return Case(name, draw)


def binary(name, fn, ref):
    def draw(data):
        dtype = data.draw(FLOATS)
        shapes = data.draw(st.one_of(
            hnp.mutually_broadcastable_shapes(num_shapes=2, min_side=0, max_side=3)
            .map(lambda b: b.input_shapes),
            st.tuples(hnp.array_shapes(min_dims=1, max_side=3),
                      hnp.array_shapes(min_dims=1, max_side=3))))  # often not broadcastable
        a, b = (data.draw(arrays(dtypes=st.just(dtype), shape=s)) for s in shapes)
        return (lambda: fn(minidl.tensor(a), minidl.tensor(b))), \
            (lambda y: close(y.numpy(), ref(a, b), dtype))
    return Case(name, draw)


def reduction(name, fn, ref):
    def draw(data):
        x = data.draw(arrays(min_dims=1))
        dim = any_dim(data.draw, x.ndim)
        keepdim = data.draw(st.booleans())
        return (lambda: fn(minidl.tensor(x), dim=dim, keepdim=keepdim)), \
            (lambda y: close(y.numpy(), ref(x, dim, keepdim), x.dtype))
    return Case(name, draw)


def factory(name, fn, ref):
    def draw(data):
        size = data.draw(st.lists(st.integers(-2, 3), max_size=3))
        return (lambda: fn(*size)), (lambda y: close(y.numpy(), ref(size), np.float32))
    return Case(name, draw)


def _np_logsumexp(x, dim, keepdim):
    with np.errstate(all="ignore"):
        m = np.max(x, axis=dim, keepdims=True) if x.shape[dim] else np.zeros(
            x.shape[:dim % x.ndim] + (1,) + x.shape[dim % x.ndim + 1:])
        m = np.where(np.isfinite(m), m, 0)
        total = np.exp(x - m).sum(axis=dim, keepdims=True)
        y = np.where(total > 0, m + np.log(np.where(total > 0, total, 1)), -np.inf)
        y = np.where(np.isnan(total), np.nan, y)
    return y if keepdim else np.squeeze(y, axis=dim)


def _np_softmax(x, dim):
    with np.errstate(all="ignore"):
        if x.size == 0:
            return x.copy()
        m = np.max(x, axis=dim, keepdims=True)
        e = np.exp(x - np.where(np.isfinite(m), m, 0))
        return e / e.sum(axis=dim, keepdims=True)


def _softmax_case(name, fn, ref):
    def draw(data):
        x = data.draw(arrays(min_dims=1))
        dim = any_dim(data.draw, x.ndim)
        return (lambda: fn(minidl.tensor(x), dim=dim)), \
            (lambda y: close(y.numpy(), ref(x, dim), x.dtype))
    return Case(name, draw)


def _reshape_case():
    def draw(data):
        x = data.draw(arrays(max_dims=3))
        shape = data.draw(st.lists(st.integers(-2, 6), max_size=3))
        return (lambda: minidl.reshape(minidl.tensor(x), shape)), \
            (lambda y: close(y.numpy(), x.reshape(shape), x.dtype))
    return Case("reshape", draw)


def _permute_case():
    def draw(data):
        x = data.draw(arrays(max_dims=3))
        dims = data.draw(st.lists(st.integers(-3, 3), min_size=x.ndim, max_size=x.ndim))
        return (lambda: minidl.permute(minidl.tensor(x), dims)), \
            (lambda y: close(y.numpy(), np.transpose(x, dims), x.dtype))
    return Case("permute", draw)


def _cat_case():
    def draw(data):
        dtype = data.draw(FLOATS)
        xs = data.draw(st.lists(arrays(min_dims=1, max_dims=2, dtypes=st.just(dtype)),
                                min_size=1, max_size=3))
        dim = any_dim(data.draw, xs[0].ndim)
        return (lambda: minidl.cat([minidl.tensor(x) for x in xs], dim=dim)), \
            (lambda y: close(y.numpy(), np.concatenate(xs, axis=dim), dtype))
    return Case("cat", draw)


def _conv_case():
    def draw(data):
        n, c, h, w = (data.draw(st.integers(0, 2)), data.draw(st.integers(1, 3)),
                      data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6)))
        # mostly valid geometries, sometimes not (zero or negative sizes, groups not dividing)
        groups = data.draw(st.sampled_from([1, 1, c, 2]))
        out = groups * data.draw(st.sampled_from([1, 1, 2, 0]))
        k = data.draw(st.sampled_from([1, 2, 3, 3, 0]))
        stride = data.draw(st.sampled_from([1, 1, 2, 0, -1]))
        padding = data.draw(st.sampled_from([0, 1, 1, 2, -1]))
        dilation = data.draw(st.sampled_from([1, 1, 2, 0]))
        dtype = data.draw(FLOATS)
        x = data.draw(arrays(dtypes=st.just(dtype), shape=(n, c, h, w)))
        wt = data.draw(arrays(dtypes=st.just(dtype), special=False,
                              shape=(out, max(c // max(groups, 1), 1), k, k)))

        def check(y):
            ref = conv2d_reference(x.astype(np.float64), wt.astype(np.float64), None, stride,
                                   padding, dilation, groups)
            close(y.numpy(), ref, dtype, tol=1e-4 if dtype == np.float32 else 1e-9)
        return (lambda: F.conv2d(minidl.tensor(x), minidl.tensor(wt), None, stride, padding,
                                 dilation, groups)), check
    return Case("conv2d", draw, weight=10)


def _pool_case(name, fn, ref):
    def draw(data):
        x = data.draw(arrays(dtypes=FLOATS, shape=(data.draw(st.integers(0, 2)), 2,
                                                   data.draw(st.integers(0, 6)),
                                                   data.draw(st.integers(0, 6)))))
        if name == "max_pool2d":  # the loop reference skips NaN (as Python's max does)
            x = np.where(np.isnan(x), np.inf, x)
        k = data.draw(st.sampled_from([1, 2, 2, 3, 0, -1]))
        s = data.draw(st.sampled_from([1, 1, 2, 3, 0, -1]))
        p = data.draw(st.sampled_from([0, 0, 1, -1]))
        return (lambda: fn(minidl.tensor(x), k, s, p)), \
            (lambda y: close(y.numpy(), ref(x, k, s, p), x.dtype))
    return Case(name, draw, weight=8)


def _adaptive_case():
    def draw(data):
        x = data.draw(arrays(shape=(1, 2, data.draw(st.integers(0, 7)),
                                    data.draw(st.integers(0, 7)))))
        size = (data.draw(st.integers(-1, 4)), data.draw(st.integers(-1, 4)))
        return (lambda: F.adaptive_avg_pool2d(minidl.tensor(x), size)), \
            (lambda y: close(y.numpy(), adaptive_avg_pool2d_reference(x, size), x.dtype))
    return Case("adaptive_avg_pool2d", draw)


def _linear_case():
    def draw(data):
        dtype = data.draw(FLOATS)
        x = data.draw(arrays(min_dims=1, max_dims=3, dtypes=st.just(dtype)))
        w = data.draw(arrays(min_dims=2, max_dims=2, dtypes=st.just(dtype)))
        return (lambda: F.linear(minidl.tensor(x), minidl.tensor(w))), \
            (lambda y: close(y.numpy(), x @ w.T, dtype))
    return Case("linear", draw)


def _norm_case(name, fn, ref):
    def draw(data):
        x = data.draw(arrays(special=False, shape=(data.draw(st.integers(0, 3)),
                                                   data.draw(st.integers(0, 4)), 3)))
        arg = data.draw(st.integers(-1, 4))
        return (lambda: fn(minidl.tensor(x), arg)), (lambda y: close(y.numpy(), ref(x, arg),
                                                                    np.float32))
    return Case(name, draw)


def _np_group_norm(x, groups):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, c // groups * x.shape[2]).astype(np.float64)
    with np.errstate(all="ignore"):
        mean = xg.mean(axis=2, keepdims=True)
        var = xg.var(axis=2, keepdims=True)
    return ((xg - mean) / np.sqrt(var + 1e-5)).reshape(x.shape)


def _np_layer_norm(x, last):
    with np.errstate(all="ignore"):
        x = x.astype(np.float64)
        mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5)


def _interpolate_case():
    def draw(data):
        x = data.draw(arrays(shape=(1, 1, data.draw(st.integers(0, 4)),
                                    data.draw(st.integers(0, 4)))))
        factor = data.draw(st.sampled_from([0, -1, 0.5, 1, 2, 3, float("nan")]))
        def nearest(x):  # PyTorch's nearest: source index floor(i / factor)
            rows = np.floor(np.arange(int(x.shape[2] * factor)) / factor).astype(int)
            cols = np.floor(np.arange(int(x.shape[3] * factor)) / factor).astype(int)
            return x[:, :, rows][:, :, :, cols]
        return (lambda: F.interpolate(minidl.tensor(x), scale_factor=factor)), \
            (lambda y: close(y.numpy(), nearest(x), x.dtype))
    return Case("interpolate", draw)


def _gather_case():
    def draw(data):
        x = data.draw(arrays(min_dims=1, max_dims=2, min_side=1))
        dim = any_dim(data.draw, x.ndim)
        index = data.draw(hnp.arrays(np.int64, x.shape, elements=st.integers(-2, 5)))
        return (lambda: minidl.gather(minidl.tensor(x), dim, minidl.tensor(index))), \
            (lambda y: close(y.numpy(), np.take_along_axis(x, index, axis=dim), x.dtype))
    return Case("gather", draw)


def _module_case(name, build, shape_of):
    def draw(data):
        args = data.draw(st.lists(st.integers(-1, 4), min_size=2, max_size=2))

        def call():
            layer = build(*args)
            return layer, layer(minidl.randn(*shape_of(args)))

        def check(result):
            layer, y = result
            assert isinstance(y, minidl.Tensor) and np.isfinite(y.detach().numpy()).all()
        return call, check
    return Case(name, draw)


with np.errstate(all="ignore"):
    TABLE = [
        unary("exp", minidl.exp, np.exp),
        unary("log", minidl.log, np.log),
        unary("sqrt", minidl.sqrt, np.sqrt),
        unary("tanh", minidl.tanh, np.tanh),
        unary("sigmoid", minidl.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        unary("relu", minidl.relu, lambda x: np.where((x > 0) | np.isnan(x), x, 0)),
        unary("abs", minidl.abs, np.abs),
        unary("neg", minidl.neg, np.negative),
        unary("sign", minidl.sign, np.sign),
        unary("isnan", minidl.isnan, np.isnan),
        binary("add", minidl.add, np.add),
        binary("mul", minidl.mul, np.multiply),
        binary("div", minidl.div, np.divide),
        binary("maximum", minidl.maximum, np.maximum),
        binary("matmul", minidl.matmul, np.matmul),
        reduction("sum", minidl.sum, lambda x, d, k: np.sum(x, axis=d, keepdims=k)),
        reduction("mean", minidl.mean, lambda x, d, k: np.mean(x, axis=d, keepdims=k)),
        reduction("amax", minidl.amax, lambda x, d, k: np.max(x, axis=d, keepdims=k)),
        reduction("logsumexp", minidl.logsumexp, _np_logsumexp),
        factory("zeros", minidl.zeros, lambda s: np.zeros(s)),
        factory("ones", minidl.ones, lambda s: np.ones(s)),
        Case("eye", lambda data: (lambda n=data.draw(st.integers(-2, 4)): (
            lambda: minidl.eye(n), lambda y: close(y.numpy(), np.eye(n), np.float32)))()),
        Case("linspace", lambda data: (lambda n=data.draw(st.integers(-2, 5)): (
            lambda: minidl.linspace(0, 1, n),
            lambda y: close(y.numpy(), np.linspace(0, 1, n), np.float32)))()),
        _softmax_case("softmax", minidl.softmax, _np_softmax),
        _softmax_case("log_softmax", minidl.log_softmax,
                      lambda x, d: np.log(_np_softmax(x.astype(np.float64), d))),
        _reshape_case(),
        _permute_case(),
        _cat_case(),
        _gather_case(),
        _conv_case(),
        _pool_case("max_pool2d", F.max_pool2d, max_pool2d_reference),
        _pool_case("avg_pool2d", F.avg_pool2d, avg_pool2d_reference),
        _adaptive_case(),
        _linear_case(),
        _norm_case("group_norm", F.group_norm, _np_group_norm),
        _norm_case("layer_norm", lambda x, d: F.layer_norm(x, (d,)), _np_layer_norm),
        _interpolate_case(),
        _module_case("Linear", lambda *a: nn.Linear(*a[:2]),
                     lambda a: (2, a[0]) if a[0] >= 0 else (2, 1)),
        _module_case("BatchNorm1d", lambda *a: nn.BatchNorm1d(a[0]),
                     lambda a: (3, max(a[0], 1))),
        _module_case("Dropout", lambda *a: nn.Dropout(a[0] / 2), lambda a: (2, 3)),
    ]


@pytest.mark.parametrize("case", TABLE, ids=[c.name for c in TABLE])
def test_public_api_gives_right_results_or_named_errors(case):
    @examples(case.weight)
    @given(data=st.data())
    def run(data):
        call, check = case.draw(data)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = call()
        except Exception as exc:  # noqa: BLE001 - judged below
            message = str(exc)
            if case.name.lower() not in message.lower():
                raise AssertionError(
                    f"{case.name}: {type(exc).__name__} does not name the function: "
                    f"{message!r}") from exc
            COUNTS[case.name]["minidl error" if isinstance(exc, MinidlError)
                              else f"named {type(exc).__name__}"] += 1
            return
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's references on NaN/empty
            check(result)
        COUNTS[case.name]["checked result"] += 1
    run()
