"""Shape ops with their arguments: reshape forms, permutations, squeeze/unsqueeze,
expand, repeat, cat/stack/split/chunk, flip/roll and constant padding (crop included)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.autograd import gradcheck
from tests.strategies import examples, arrays, shape_and_dim, shapes


def t64(a, requires_grad=False):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------- reshape
def test_reshape_accepts_ints_tuples_lists_and_minus_one():
    x = minidl.arange(24)
    assert x.reshape(2, 3, 4).shape == (2, 3, 4)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.reshape([-1]).shape == (24,)
    assert x.view(x.size(0) // 2, -1).shape == (12, 2)
    assert minidl.view(x, 6, 4).shape == (6, 4)
    assert x.reshape(2, 3, 4).view_as(minidl.zeros(4, 6)).shape == (4, 6)


@pytest.mark.parametrize("bad", [(5, 5), (-1, 5), (-1, -1), (0, -1), (-2, 12)])
def test_reshape_error_names_both_shapes(bad):
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(24,\)"):
        minidl.arange(24).reshape(*bad)


def test_reshape_gradient_is_reshaped_back():
    x = t64(np.arange(6.0).reshape(2, 3), True)
    (x.reshape(3, 2) * t64([[1, 2], [3, 4], [5, 6]])).sum().backward()
    assert x.grad.tolist() == [[1, 2, 3], [4, 5, 6]]


# --------------------------------------------------------------- permutations
@given(data=st.data())
@examples(10)
def test_permute_and_transpose(data):
    shape = data.draw(shapes(1, 4))
    perm = data.draw(st.permutations(range(len(shape))))
    a = data.draw(arrays(shape))
    np.testing.assert_array_equal(t64(a).permute(*perm).numpy(), a.transpose(perm))
    np.testing.assert_array_equal(t64(a).permute(perm).numpy(), a.transpose(perm))
    assert gradcheck(lambda x: x.permute(*perm), [t64(a, True)])
    d0, d1 = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(
        st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_array_equal(t64(a).transpose(d0, d1).numpy(), np.swapaxes(a, d0, d1))


def test_permute_errors_and_matrix_transposes():
    x = minidl.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="permute: expected 3 dims"):
        x.permute(0, 1)
    with pytest.raises(ValueError, match="permute: .* is not a permutation"):
        x.permute(0, 1, 1)
    assert x.mT.shape == (2, 4, 3) and x.T.shape == (4, 3, 2)
    assert minidl.zeros(2, 3).t().shape == (3, 2)
    assert x.movedim(-1, 0).shape == (4, 2, 3)


# ---------------------------------------- flatten, unflatten, squeeze, unsqueeze
def test_flatten_unflatten():
    x = minidl.zeros(2, 3, 4, 5)
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5)
    assert x.flatten(-2).shape == (2, 3, 20)
    assert minidl.tensor(1.0).flatten().shape == (1,)
    assert x.flatten(1).unflatten(1, (3, 4, 5)).shape == (2, 3, 4, 5)
    assert x.flatten(1).unflatten(-1, (-1, 5)).shape == (2, 12, 5)
    with pytest.raises(ValueError, match="flatten: start_dim"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match="unflatten: sizes"):
        x.unflatten(1, (2, 2))


def test_squeeze_unsqueeze():
    x = minidl.zeros(1, 3, 1, 2)
    assert x.squeeze().shape == (3, 2)
    assert x.squeeze(0).shape == (3, 1, 2)
    assert x.squeeze(-2).shape == (1, 3, 2)
    assert x.squeeze((0, 2)).shape == (3, 2)
    assert x.squeeze(1).shape == x.shape  # a dim that is not 1 stays, as in PyTorch
    assert x.unsqueeze(0).shape == (1, 1, 3, 1, 2)
    assert x.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert x.unsqueeze(4).shape == (1, 3, 1, 2, 1)
    with pytest.raises(IndexError, match="unsqueeze: dimension out of range"):
        x.unsqueeze(6)
    assert minidl.tensor(2.0).squeeze(0).shape == ()


# --------------------------------------------------------------- expand, repeat
def test_expand_shapes_and_errors():
    x = minidl.zeros(3, 1)
    assert x.expand(3, 4).shape == (3, 4)
    assert x.expand(2, -1, 5).shape == (2, 3, 5)
    assert x.expand((3, 1)) is x
    assert x.expand_as(minidl.zeros(2, 3, 2)).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(3, 1\) to \(4, 4\)"):
        x.expand(4, 4)
    with pytest.raises(ValueError, match="expand: -1 is not allowed"):
        x.expand(-1, 3, 1)
    with pytest.raises(ValueError, match="expand: the target"):
        x.expand(3)


def test_expand_gradient_sums_the_copies():
    x = t64([[1.0], [2.0]], True)
    x.expand(3, 2, 4).sum().backward()
    assert x.grad.tolist() == [[12.0], [12.0]]


@given(data=st.data())
@examples(10)
def test_repeat_matches_tile(data):
    shape = data.draw(shapes(0, 3, max_side=3))
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=len(shape),
                                    max_size=len(shape) + 1)))
    a = data.draw(arrays(shape))
    np.testing.assert_array_equal(t64(a).repeat(*reps).numpy(), np.tile(a, reps))
    assert gradcheck(lambda x: x.repeat(reps), [t64(a, True)])


def test_repeat_gradient_counts_copies_and_error():
    x = t64([1.0, 2.0], True)
    x.repeat(2, 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    with pytest.raises(ValueError, match="repeat: need at least 2 repeats"):
        minidl.zeros(2, 2).repeat(2)


# ----------------------------------------------------- cat, stack, split, chunk
@given(data=st.data())
@examples(10)
def test_cat_stack_any_dim(data):
    shape, dim = data.draw(shape_and_dim(1, 3, max_side=3))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    parts = []
    for s in sizes:
        part_shape = list(shape)
        part_shape[dim] = s
        parts.append(data.draw(arrays(tuple(part_shape))))
    out = minidl.cat([t64(p) for p in parts], dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(parts, axis=dim))
    inputs = [t64(p, True) for p in parts]
    if sum(sizes) > 0:
        assert gradcheck(lambda *ts: minidl.cat(ts, dim), inputs)
    same = [data.draw(arrays(shape)) for _ in range(2)]
    sdim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(minidl.stack([t64(s) for s in same], sdim).numpy(),
                                  np.stack(same, sdim))
    assert gradcheck(lambda a, b: minidl.stack([a, b], sdim), [t64(s, True) for s in same])


def test_cat_aliases_and_errors():
    a, b = minidl.ones(2, 3), minidl.zeros(2, 1)
    assert minidl.concat([a, b], 1).shape == minidl.concatenate([a, b], -1).shape == (2, 4)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 1\).*\(2, 3\)"):
        minidl.cat([a, b])
    with pytest.raises(ValueError, match="cat: expected a non-empty"):
        minidl.cat([])
    with pytest.raises(ValueError, match="stack: expects tensors of equal shape"):
        minidl.stack([a, b])


def test_cat_gradient_goes_to_each_part():
    a, b = t64([1.0, 2.0], True), t64([[3.0]], True)
    out = minidl.cat([a.reshape(1, 2), b], dim=1)
    (out * t64([[10.0, 20.0, 30.0]])).sum().backward()
    assert a.grad.tolist() == [10.0, 20.0] and b.grad.tolist() == [[30.0]]


@given(data=st.data())
@examples(10)
def test_split_and_chunk_round_trip(data):
    shape, dim = data.draw(shape_and_dim(1, 3, max_side=5))
    n = shape[dim]
    a = data.draw(arrays(shape))
    size = data.draw(st.integers(1, n + 1))
    pieces = t64(a).split(size, dim)
    assert [p.shape[dim] for p in pieces] == [size] * (n // size) + ([n % size] if n % size else [])
    np.testing.assert_array_equal(minidl.cat(pieces, dim).numpy(), a)
    sections = data.draw(st.lists(st.integers(0, n), min_size=1, max_size=3))
    sections.append(n - sum(sections)) if sum(sections) <= n else None
    if sum(sections) == n:
        pieces = minidl.split(t64(a), sections, dim)
        assert [p.shape[dim] for p in pieces] == sections
        np.testing.assert_array_equal(minidl.cat(pieces, dim).numpy(), a)
    chunks = data.draw(st.integers(1, n + 1))
    pieces = t64(a).chunk(chunks, dim)
    step = -(-n // chunks)
    assert [p.shape[dim] for p in pieces] == [min(step, n - i) for i in range(0, n, step)]
    assert gradcheck(lambda x: x.chunk(chunks, dim)[-1] * 2 + x.chunk(chunks, dim)[0].sum(),
                     [t64(a, True)])


def test_split_errors():
    with pytest.raises(ValueError, match="split: sizes"):
        minidl.zeros(5).split([2, 2])
    with pytest.raises(ValueError, match="split: split_size must be positive"):
        minidl.zeros(5).split(0)
    assert len(minidl.zeros(6, 2).chunk(4)) == 3  # sizes 2, 2, 2 as in PyTorch


# ---------------------------------------------------------------- flip, roll
@given(data=st.data())
@examples(10)
def test_flip_and_roll(data):
    shape = data.draw(shapes(1, 3))
    a = data.draw(arrays(shape))
    axes = tuple(data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True)))
    shifts = tuple(data.draw(st.lists(st.integers(-5, 5), min_size=len(axes),
                                      max_size=len(axes))))
    np.testing.assert_array_equal(t64(a).flip(axes).numpy(), np.flip(a, axes))
    np.testing.assert_array_equal(t64(a).roll(shifts, axes).numpy(), np.roll(a, shifts, axes))
    np.testing.assert_array_equal(t64(a).roll(shifts[0]).numpy(), np.roll(a, shifts[0]))
    assert gradcheck(lambda x: x.roll(shifts, axes).flip(axes) * t64(np.arange(a.size).reshape(shape)),
                     [t64(a, True)])


def test_roll_errors():
    with pytest.raises(ValueError, match="roll: got 2 shifts for 1 dims"):
        minidl.zeros(3).roll((1, 2), (0,))
    with pytest.raises(TypeError, match="roll: without dims"):
        minidl.zeros(3).roll((1, 2))


# ----------------------------------------------------------------------- pad
def _pad_reference(a, pad, value):
    """Crop negative amounts, then np.pad the positive ones (last dim first in ``pad``)."""
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(max(-b, 0), n - max(-e, 0)) for (b, e), n in zip(widths, a.shape))
    grow = [(max(b, 0), max(e, 0)) for b, e in widths]
    return np.pad(a[crop], grow, constant_values=value)


@given(data=st.data())
@examples(15)
def test_pad_matches_numpy_including_crops(data):
    shape = data.draw(shapes(1, 3, min_side=2, max_side=4))
    n_dims = data.draw(st.integers(1, len(shape)))
    pad = []
    for i in range(n_dims):
        size = shape[len(shape) - 1 - i]
        before = data.draw(st.integers(-(size // 2), 2))
        after = data.draw(st.integers(-(size // 2), 2))
        pad += [before, after]
    value = data.draw(st.sampled_from([0.0, -1.5]))
    a = data.draw(arrays(shape))
    out = minidl.pad(t64(a), tuple(pad), value=value)
    np.testing.assert_array_equal(out.numpy(), _pad_reference(a, pad, value))
    assert gradcheck(lambda x: minidl.pad(x, pad, value=value), [t64(a, True)])


def test_pad_convention_and_errors():
    x = minidl.ones(1, 2, 2)
    assert minidl.pad(x, (1, 0)).shape == (1, 2, 3)      # last dim: (left, right)
    assert minidl.pad(x, (0, 0, 2, 1)).shape == (1, 5, 2)  # then (top, bottom)
    assert minidl.pad(x, (0, 0)) is x
    with pytest.raises(ValueError, match="pad: expected an even number"):
        minidl.pad(x, (1,))
    with pytest.raises(ValueError, match="pad: expected an even number of at most 6"):
        minidl.pad(x, (1,) * 8)
    with pytest.raises(ValueError, match="pad: amounts .* crop more"):
        minidl.pad(x, (-3, 0))
    with pytest.raises(ValueError, match="pad: mode 'reflect'"):
        minidl.pad(x, (1, 1), mode="reflect")
