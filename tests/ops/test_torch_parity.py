"""Optional: minidl against PyTorch on the same inputs, forward and gradient.

The numerical gradient checks elsewhere are the main oracle; this is an extra that
also pins down conventions (tie handling, index choices, pad order, chunk sizes).
Skipped when torch is not installed.
"""
import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0]])
ZEROS = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]])
BIG = np.array([[1e4, 1e4 - 1.0, -1e4], [0.0, 1.0, 2.0]])
A3, B2 = RNG.standard_normal((2, 1, 3, 4)), RNG.standard_normal((5, 4, 2))

CASES = [
    # name, inputs, minidl fn, torch fn (same code for both where the API agrees)
    ("softmax", [BIG], lambda m, x: m.softmax(x, dim=1), None),
    ("log_softmax", [BIG], lambda m, x: m.log_softmax(x, dim=1), None),
    ("logsumexp", [BIG], lambda m, x: m.logsumexp(x, dim=1), None),
    ("var_unbiased", [X], lambda m, x: x.var(dim=1), None),
    ("var_biased", [X], lambda m, x: x.var(dim=0, unbiased=False), None),
    ("std_keepdim", [X], lambda m, x: x.std(dim=1, keepdim=True), None),
    ("max_all_ties", [TIES], lambda m, x: x.max(), None),
    ("min_all", [TIES], lambda m, x: x.min(), None),
    ("amax_ties", [TIES], lambda m, x: m.amax(x, dim=1), None),
    ("max_dim_values", [X], lambda m, x: x.max(dim=1).values, None),
    ("prod_zeros", [ZEROS], lambda m, x: x.prod(dim=1), None),
    ("prod_all_zeros", [ZEROS], lambda m, x: x.prod(), None),
    ("topk", [X], lambda m, x: x.topk(2, dim=1).values, None),
    ("topk_smallest", [X], lambda m, x: x.topk(2, dim=0, largest=False).values, None),
    ("getitem_repeated", [X], lambda m, x: x[[0, 0, 2], 1:], None),
    ("getitem_mask", [X], lambda m, x: x[x > 0], None),
    ("gather", [X], lambda m, x: x.gather(1, m.tensor([[0, 0], [3, 1], [2, 2]])), None),
    ("index_select", [X], lambda m, x: x.index_select(1, m.tensor([3, 3, 0])), None),
    ("pad_crop", [X], lambda m, x: m.nn.functional.pad(x, (1, -1, -1, 2)) if m is torch
     else m.pad(x, (1, -1, -1, 2)), None),
    ("repeat", [X], lambda m, x: x.repeat(2, 1, 3), None),
    ("roll", [X], lambda m, x: x.roll((1, -2), (0, 1)), None),
    ("flip", [X], lambda m, x: x.flip((0, 1)), None),
    ("expand", [X[:1]], lambda m, x: x.expand(2, 3, 4), None),
    ("chunk", [X], lambda m, x: m.cat([c * (i + 1) for i, c in enumerate(x.chunk(3, dim=1))], 1),
     None),
    ("split_sizes", [X], lambda m, x: x.split([1, 3], dim=1)[1], None),
    ("matmul_broadcast", [A3, B2], lambda m, a, b: a @ b, None),
    ("matmul_vec", [X, X[0]], lambda m, a, b: b @ a.T, None),
    ("masked_fill", [X], lambda m, x: x.masked_fill(x > 0, 0.5), None),
    ("maximum_ties", [TIES, TIES[::-1].copy()], lambda m, a, b: m.maximum(a, b), None),
]


def _run(module, fn, arrays, to_tensor, grad_of):
    inputs = [to_tensor(a) for a in arrays]
    out = fn(module, *inputs)
    weight = np.random.default_rng(0).standard_normal(tuple(out.shape))
    (out * to_tensor(weight, requires_grad=False)).sum().backward()
    return np.asarray(out.detach().numpy()), [grad_of(t) for t in inputs]


@pytest.mark.parametrize("name, arrays, fn, _", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, arrays, fn, _):
    ours, our_grads = _run(
        minidl, fn, arrays,
        lambda a, requires_grad=True: minidl.tensor(a, dtype=minidl.float64,
                                                    requires_grad=requires_grad),
        lambda t: t.grad.numpy())
    theirs, their_grads = _run(
        torch, fn, arrays,
        lambda a, requires_grad=True: torch.tensor(a, dtype=torch.float64,
                                                   requires_grad=requires_grad),
        lambda t: t.grad.numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    for g_ours, g_theirs in zip(our_grads, their_grads):
        np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-10)


def test_max_dim_indices_and_chunk_sizes_match_pytorch():
    ours = minidl.tensor(TIES).max(dim=1)
    theirs = torch.tensor(TIES).max(dim=1)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    for n, chunks in [(5, 3), (6, 4), (7, 7), (2, 5)]:
        mine = [c.shape[0] for c in minidl.zeros(n).chunk(chunks)]
        ref = [c.shape[0] for c in torch.zeros(n).chunk(chunks)]
        assert mine == ref
