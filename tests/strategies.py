"""Hypothesis strategies shared by the test suite.

Each section is owned by the part of the package it serves; add yours below
with its own heading and leave the others as they are.
"""
import numpy as np
from hypothesis import settings, strategies as st
from hypothesis.extra import numpy as hnp

# =============================================================================
# Foundation: shapes, broadcasting, arrays with values kept away from trouble
# =============================================================================
#
# Gradient checks use central differences with a step of 1e-6, so an input must
# not sit within that distance of a kink (abs, relu, max ties) or of a domain edge
# (log, sqrt at 0). The domains below keep values a safe distance away:
#
#   "real"      any value in [-3, 3]
#   "positive"  [0.1, 3]              (log, sqrt, rsqrt, the base of pow)
#   "nonzero"   |x| in [0.1, 3]       (abs, relu, sign, divisors)
#   "unit"      (-0.9, 0.9)           (log1p of negative values, ...)
#   "distinct"  multiples of 0.05 in [-3, 3], all different in one array (max/min/topk, std)
#   "grid"      multiples of 0.5 in [-3, 3]
#   "offgrid"   multiples of 0.5 plus 0.25: never equal to a "grid" value, so a
#               ("grid", "offgrid") pair of inputs has no ties (maximum, minimum)

SMALL = 3.0


def shapes(min_ndim: int = 0, max_ndim: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes such as (), (3,), (2, 1, 4); small, for element-by-element gradchecks."""
    return hnp.array_shapes(min_dims=min_ndim, max_dims=max_ndim, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_ndim: int = 0, max_ndim: int = 3,
                         max_side: int = 3):
    """A tuple of ``num_shapes`` mutually broadcastable shapes, e.g. ((3, 1), (2, 1, 4))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_ndim, max_dims=max_ndim, min_side=1,
        max_side=max_side).map(lambda b: b.input_shapes)


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def bounded_floats(low: float = -SMALL, high: float = SMALL):
    """Finite float64 values in [low, high], no subnormals."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=64)


def arrays(shape, low: float = -SMALL, high: float = SMALL):
    """float64 arrays of ``shape`` with values in [low, high]."""
    return hnp.arrays(np.float64, shape, elements=bounded_floats(low, high))


def _nonzero(shape):
    magnitude = hnp.arrays(np.float64, shape, elements=bounded_floats(0.1, SMALL))
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(magnitude, signs).map(lambda ms: ms[0] * ms[1])


def _distinct(shape):
    n = _size(shape)
    if n > 121:
        raise ValueError(f"the 'distinct' domain holds at most 121 values, got shape {shape}")
    ints = hnp.arrays(np.int64, shape, elements=st.integers(-60, 60), unique=True)
    return ints.map(lambda a: a * 0.05)


def _grid(shape, offset: float):
    ints = hnp.arrays(np.int64, shape, elements=st.integers(-6, 5))
    return ints.map(lambda a: a * 0.5 + offset)


DOMAINS = {
    "real": lambda shape: arrays(shape),
    "positive": lambda shape: arrays(shape, 0.1, SMALL),
    "nonzero": _nonzero,
    "unit": lambda shape: arrays(shape, -0.9, 0.9),
    "distinct": _distinct,
    "grid": lambda shape: _grid(shape, 0.0),
    "offgrid": lambda shape: _grid(shape, 0.25),
}


def domain_arrays(shape, domain: str = "real"):
    """float64 arrays of ``shape`` drawn from one of the named DOMAINS above."""
    return DOMAINS[domain](tuple(shape))


@st.composite
def dims(draw, ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    """A ``dim`` argument for a reduction over an ``ndim``-dim tensor: None, an int
    (possibly negative) or a tuple of distinct ints."""
    choices = ["int"] if ndim > 0 else []
    if allow_none or ndim == 0:
        choices.append("none")
    if allow_tuple and ndim > 0:
        choices.append("tuple")
    kind = draw(st.sampled_from(choices))
    if kind == "none":
        return None
    if kind == "int":
        return draw(dim(ndim))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    negate = draw(st.lists(st.booleans(), min_size=len(picked), max_size=len(picked)))
    return tuple(d - ndim if neg else d for d, neg in zip(picked, negate))


def dim(ndim: int):
    """One dim of an ``ndim``-dim tensor, positive or negative."""
    return st.integers(-ndim, ndim - 1)


@st.composite
def shape_and_dim(draw, min_ndim: int = 1, max_ndim: int = 3, max_side: int = 4):
    """(shape, dim) with dim a valid single dim of shape."""
    shape = draw(shapes(min_ndim, max_ndim, 1, max_side))
    return shape, draw(dim(len(shape)))


# =============================================================================
# nn layers and losses: classification problems, weights
# =============================================================================


@st.composite
def class_problems(draw, max_batch: int = 4, max_classes: int = 4, max_extra_dims: int = 1,
                   max_side: int = 3):
    """(logits, targets, n_classes) for classification losses, float64 / int64 arrays.

    logits have shape (N, C) or (N, C, d1, ...); targets (N,) or (N, d1, ...) hold
    class indices in [0, C). Small, so that a gradcheck over every logit is quick.
    """
    n = draw(st.integers(1, max_batch))
    c = draw(st.integers(2, max_classes))
    extra = draw(st.lists(st.integers(1, max_side), min_size=0, max_size=max_extra_dims))
    logits = draw(arrays((n, c, *extra)))
    targets = draw(hnp.arrays(np.int64, (n, *extra), elements=st.integers(0, c - 1)))
    return logits, targets, c


def class_weights(n_classes: int):
    """Positive float64 class weights of shape (C,)."""
    return arrays((n_classes,), 0.2, 2.0)


def probabilities(shape, axis: int = 1):
    """float64 arrays of ``shape`` whose entries along ``axis`` are positive and sum to 1."""
    return arrays(shape, 0.05, 1.0).map(lambda a: a / a.sum(axis=axis, keepdims=True))


# =============================================================================
# Convolution and pooling geometries (nn.functional.conv / pooling)
# =============================================================================
#
# Small on purpose: a gradcheck perturbs every element of every input, so a
# geometry keeps N*C*H*W to a few hundred elements at most.


@st.composite
def conv2d_geometries(draw, max_batch: int = 2, max_channels: int = 4, max_side: int = 7,
                      max_kernel: int = 3, max_stride: int = 3, max_padding: int = 2,
                      max_dilation: int = 2, max_groups: int = 2):
    """A valid conv2d setting as a dict: input/weight shapes and the keyword arguments.

    Keys: ``x`` (N, C, H, W), ``w`` (O, C/groups, KH, KW), ``stride``, ``padding``,
    ``dilation`` (pairs) and ``groups``; groups is 1, 2 or C (depthwise), and every
    input is at least as large as the padded, dilated kernel needs.
    """
    kind = draw(st.sampled_from(["plain", "grouped", "depthwise"]))
    if kind == "plain":
        groups, per_group = 1, draw(st.integers(1, max_channels))
    elif kind == "grouped":
        groups, per_group = max_groups, draw(st.integers(1, max(1, max_channels // max_groups)))
    else:
        groups, per_group = draw(st.integers(1, max_channels)), 1
    c = groups * per_group
    out_per_group = draw(st.integers(1, max(1, max_channels // groups)))
    n = draw(st.integers(1, max_batch))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    padding = (draw(st.integers(0, max_padding)), draw(st.integers(0, max_padding)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    side_cap = max_side if n * c <= 4 else min(max_side, 5)
    sides = []
    for k, p, d in zip(kernel, padding, dilation):
        smallest = max(1, d * (k - 1) + 1 - 2 * p)
        sides.append(draw(st.integers(min(smallest, side_cap), max(smallest, side_cap))))
    return {"x": (n, c, *sides), "w": (groups * out_per_group, per_group, *kernel),
            "stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


@st.composite
def pool2d_geometries(draw, max_batch: int = 2, max_channels: int = 3, max_side: int = 7,
                      max_kernel: int = 3, max_stride: int = 3, max_dilation: int = 2,
                      dilation: bool = True):
    """A valid pooling setting as a dict: ``x`` shape, ``kernel_size``, ``stride``,
    ``padding`` (at most half the kernel), ``dilation`` and ``ceil_mode``."""
    n = draw(st.integers(1, max_batch))
    c = draw(st.integers(1, max_channels))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    dil = ((draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
           if dilation else (1, 1))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sides = []
    for k, p, d in zip(kernel, padding, dil):
        # with dilation, a side shorter than the kernel's span lets a window fall wholly in
        # the padding (its maximum is -inf and its index means nothing): avoid that here
        smallest = d * (k - 1) + 1 if d > 1 else max(1, k - 2 * p)
        sides.append(draw(st.integers(smallest, max(smallest, max_side))))
    return {"x": (n, c, *sides), "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dil, "ceil_mode": draw(st.booleans())}


@st.composite
def convnd_geometries(draw, spatial: int, max_batch: int = 2, max_channels: int = 2,
                      max_side: int = 4, max_kernel: int = 2, max_stride: int = 2,
                      max_padding: int = 1, max_dilation: int = 2, max_groups: int = 2):
    """A valid convolution over ``spatial`` dimensions (1-D or 3-D) as a dict.

    Keys as in :func:`conv2d_geometries`, with tuples of ``spatial`` entries; smaller
    limits, because a 3-D gradcheck perturbs every voxel.
    """
    groups = draw(st.integers(1, max_groups))
    c = groups * draw(st.integers(1, max(1, max_channels // groups)))
    o = groups * draw(st.integers(1, max(1, max_channels // groups)))
    n = draw(st.integers(1, max_batch))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, max_stride)) for _ in range(spatial))
    padding = tuple(draw(st.integers(0, max_padding)) for _ in range(spatial))
    dilation = tuple(draw(st.integers(1, max_dilation)) for _ in range(spatial))
    sides = []
    for k, p, d in zip(kernel, padding, dilation):
        smallest = max(1, d * (k - 1) + 1 - 2 * p)
        sides.append(draw(st.integers(smallest, max(smallest, max_side))))
    return {"x": (n, c, *sides), "w": (o, c // groups, *kernel), "stride": stride,
            "padding": padding, "dilation": dilation, "groups": groups}


@st.composite
def poolnd_geometries(draw, spatial: int, max_batch: int = 2, max_channels: int = 2,
                      max_side: int = 5, max_kernel: int = 3, max_stride: int = 2,
                      max_dilation: int = 2, dilation: bool = True):
    """A valid pooling over ``spatial`` dimensions (1-D or 3-D) as a dict; keys as in
    :func:`pool2d_geometries`, with tuples of ``spatial`` entries."""
    n = draw(st.integers(1, max_batch))
    c = draw(st.integers(1, max_channels))
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, max_stride)) for _ in range(spatial))
    dil = (tuple(draw(st.integers(1, max_dilation)) for _ in range(spatial)) if dilation
           else (1,) * spatial)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sides = []
    for k, p, d in zip(kernel, padding, dil):
        smallest = d * (k - 1) + 1 if d > 1 else max(1, k - 2 * p)   # see pool2d_geometries
        sides.append(draw(st.integers(smallest, max(smallest, max_side))))
    return {"x": (n, c, *sides), "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dil, "ceil_mode": draw(st.booleans())}


# =============================================================================
# Normalization and sampling (nn.functional.normalization / sampling)
# =============================================================================


@st.composite
def channel_shapes(draw, min_spatial: int = 0, max_spatial: int = 2, max_elements: int = 48):
    """(N, C, *spatial) shapes for batch norm: at least 2 values per channel, few in all."""
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=min_spatial, max_size=max_spatial)))
    shape = (n, c) + spatial
    if n * _size(spatial) < 2:
        shape = (n + 1, c) + spatial
    if _size(shape) > max_elements:
        shape = (2, c) + (1,) * len(spatial)
    return shape


# Fractions of a pixel at least 0.1 away from 0, 0.5 and 1: bilinear weights, the in-bounds
# mask, border clamps and reflections all change slope at integers or half-integers.
KINK_FREE_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]


@st.composite
def grid_sample_cases(draw, away_from_kinks: bool):
    """(input shape (N, C, H, W), grid array (N, OH, OW, 2), align_corners) for grid_sample.

    Grid points are drawn in pixel units (some outside the image) and normalised to [-1, 1]
    with the align_corners convention drawn. With ``away_from_kinks`` every point is
    0.1 pixel or more from an integer and from a half-integer, so that the output is smooth
    in the grid there and a gradcheck with respect to the grid is meaningful.
    """
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    oh, ow = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    align = draw(st.booleans())
    count = n * oh * ow * 2
    if away_from_kinks:
        ints = draw(st.lists(st.integers(-2, 4), min_size=count, max_size=count))
        fracs = draw(st.lists(st.sampled_from(KINK_FREE_FRACTIONS), min_size=count,
                              max_size=count))
        pixel = np.array(ints, dtype=np.float64) + np.array(fracs)
    else:
        pixel = np.array(draw(st.lists(st.floats(-2.0, 5.0), min_size=count, max_size=count)))
    size = np.array([w, h] * (count // 2), dtype=np.float64)  # x runs along W, y along H
    norm = pixel / (size - 1) * 2 - 1 if align else (2 * pixel + 1) / size - 1
    return (n, c, h, w), norm.reshape(n, oh, ow, 2), align


# =============================================================================
# Example counts that scale with the hypothesis profile
# =============================================================================
#
# A test states its weight, the number of examples it runs in the default ``ci`` profile:
# ``@examples(10)`` instead of ``@settings(max_examples=10)``. The profile chosen with
# HYPOTHESIS_PROFILE multiplies every weight by its own default count over ci's (dev 30/15 = 2x,
# thorough 300/15 = 20x), so a thorough run really is thorough for every test and CI keeps
# the counts written in the tests. Tests without ``@examples`` get the profile's default.

CI_MAX_EXAMPLES = 15  # the ci profile's default count (tests/conftest.py)


def profile_multiplier() -> float:
    """The loaded profile's default example count over ci's (1 in ci, 20 in thorough)."""
    return settings().max_examples / CI_MAX_EXAMPLES


def scaled_examples(weight: int) -> int:
    """``weight`` examples scaled to the loaded profile (at least one)."""
    return max(1, round(weight * profile_multiplier()))


def examples(weight: int, **kwargs) -> settings:
    """``@settings`` running ``weight`` examples in ci, ``weight`` times the profile's
    multiplier in the others; other keyword arguments go to ``settings`` unchanged."""
    return settings(max_examples=scaled_examples(weight), **kwargs)
