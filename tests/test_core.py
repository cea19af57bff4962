"""The operator core against the numpy reference ops, and its exact algebra.

Every layer's :class:`~symconv.core.IndexMap` applied to integer data must equal the reference
op of :mod:`symconv.numeric` EXACTLY (rational maps through ``apply_exact``: integer arithmetic
scaled by the lcm of the denominators, compared with ``Fraction`` results).  The algebra is
checked by derive-then-verify: transposes, products and relabelled maps compared with
``IndexMap.equals`` (exact) or SymPy matrix equality (small cases).
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import numeric
from symconv.core import (
    DEFAULT_MAX_NNZ,
    IndexMap,
    WeightRef,
    avg_pool_map,
    conv_map,
    conv_matrix,
    conv_transpose_map,
    conv_transpose_matrix,
    crop_map,
    linear_map,
    max_pool_selection_map,
    max_unpool_map,
    pad_map,
    pixel_shuffle_map,
    pixel_unshuffle_map,
    resize_map,
    slice_map,
    subsample_map,
    weight_symbols,
    zero_stretch_map,
)
from symconv.errors import InvalidSpecError
from symconv.spec import Slice
from symconv.testing import layers

from strategies import conv_specs, pool_specs, shuffle_specs, valid_input_sizes

NDIMS = (1, 2, 3)
#: Spatial span per rank: keeps 3-D maps around 10^5 entries.
SPAN = {1: 12, 2: 5, 3: 2}

GUIDE_X = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
                    [2, 0, 0, 0, 1]])
GUIDE_K = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]])


def _ints(draw: st.DrawFn, shape: tuple[int, ...], lo: int = -9, hi: int = 9) -> np.ndarray:
    """An int64 array of ``shape`` with values in ``[lo, hi]`` (drawn through a seed)."""
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(lo, hi + 1, size=shape, dtype=np.int64)


def _exact_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and every entry equal as exact numbers (int == Fraction(int, 1))."""
    return a.shape == b.shape and bool(np.all(np.asarray(a, dtype=object) == np.asarray(
        b, dtype=object)))


def _channels(draw: st.DrawFn, declared: int | None, groups: int) -> int:
    return declared if declared is not None else groups * draw(st.integers(1, 2))


# --------------------------------------------------------------------------- cases


@st.composite
def conv_cases(draw: st.DrawFn, ndim: int) -> tuple[Any, ...]:
    """A conv spec of any convention (resolved pads are explicit pairs), or a PyTorch spec
    with a non-zero ``padding_mode``, with channels, an input size, data and weights."""
    if draw(st.booleans()):  # the kit's layers, edge sizes included
        spec, sizes = draw(layers(kind="conv", convention=("torch", "onnx", "jax"), ndim=ndim,
                                  span=SPAN[ndim]))
    else:
        spec = draw(conv_specs(ndim, "torch"))
        pads = spec.padding if isinstance(spec.padding, tuple) else ((0, 0),) * ndim
        mode = draw(st.sampled_from(("reflect", "replicate", "circular")))
        spec = dataclasses.replace(spec, padding_mode=mode)
        lows = draw(valid_input_sizes(spec, span=SPAN[ndim]))
        # reflect needs pad < n, circular pad <= n: grow the input past the padding.
        sizes = tuple(max(n, max(p) + 1) for n, p in zip(lows, pads, strict=True))
    c_in = _channels(draw, spec.in_channels, spec.groups)
    c_out = _channels(draw, spec.out_channels, spec.groups)
    x = _ints(draw, (2, c_in, *sizes))
    w = _ints(draw, (c_out, c_in // spec.groups, *spec.kernel))
    return spec, sizes, c_out, x, w


@st.composite
def conv_transpose_cases(draw: st.DrawFn, ndim: int) -> tuple[Any, ...]:
    """The kit's transposed convs (output_padding at its limit half of the time, edge sizes),
    with channels, data and weights."""
    spec, sizes = draw(layers(kind="conv-transpose", convention=("torch", "onnx", "keras", "jax"),
                              ndim=ndim, span=SPAN[ndim]))
    c_in = spec.groups * draw(st.integers(1, 2))
    c_out = spec.groups * draw(st.integers(1, 2))
    x = _ints(draw, (2, c_in, *sizes))
    w = _ints(draw, (c_in, c_out // spec.groups, *spec.kernel))
    return spec, sizes, c_out, x, w


# --------------------------------------------------------------------------- map == reference op


def _conv_reference(spec: Any, sizes: tuple[int, ...], x: np.ndarray, w: np.ndarray) -> Any:
    r = symconv.resolve(spec, sizes)
    layer = r.layer
    if layer.padding_mode.value != "zeros":
        x = numeric.pad(x, r.pads, mode=layer.padding_mode.value)
        pads: Any = 0
    else:
        pads = r.pads
    return numeric.conv(x, w, stride=layer.stride, padding=pads, dilation=layer.dilation,
                        groups=layer.groups)


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_conv_map_equals_reference(ndim: int, data: st.DataObject) -> None:
    spec, sizes, c_out, x, w = data.draw(conv_cases(ndim))
    m = linear_map(spec, (x.shape[1], *sizes), out_channels=c_out)
    expected = _conv_reference(spec, sizes, x, w)
    got = m.apply_exact(x, w)
    assert got.dtype == np.int64  # integer data and weights stay integer
    assert np.array_equal(got, expected)
    # the float views agree with the exact one
    assert np.array_equal(m.apply(x, w), expected.astype(float))


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_conv_transpose_map_equals_reference(ndim: int, data: st.DataObject) -> None:
    spec, sizes, c_out, x, w = data.draw(conv_transpose_cases(ndim))
    r = symconv.resolve(spec, sizes)
    m = linear_map(spec, (x.shape[1], *sizes), out_channels=c_out)
    assert m.out_shape == (c_out, *r.output)
    assert np.array_equal(m.apply_exact(x, w), _transpose_reference(r, x, w))


def _transpose_reference(r: Any, x: np.ndarray, w: np.ndarray) -> Any:
    """The reference transposed conv for resolved crops ``pads`` and ``output_padding``.

    PyTorch-legal parameters go straight to ``numeric.conv_transpose``.  Other conventions
    can resolve to a negative crop (JAX input-side padding wider than ``d(k-1)``: zeros before)
    or an output padding past ``max(s, d)`` (zeros after): output ``j`` is then entry
    ``j + p_b`` of the uncropped scatter, zero outside it.
    """
    layer = r.layer
    legal = all(b >= 0 and e >= 0 for b, e in r.pads) and all(
        op < max(s, d) for op, s, d in zip(r.output_padding, layer.stride, layer.dilation,
                                           strict=True))
    kw = {"stride": layer.stride, "dilation": layer.dilation, "groups": layer.groups}
    if legal:
        return numeric.conv_transpose(x, w, padding=r.pads, output_padding=r.output_padding,
                                      **kw)
    full = numeric.conv_transpose(x, w, **kw)
    ext = tuple((max(0, -b), max(0, o + b - n))
                for (b, _), o, n in zip(r.pads, r.output, full.shape[2:], strict=True))
    padded = numeric.pad(full, ext)
    window = tuple(slice(b + eb, b + eb + o)
                   for (b, _), (eb, _), o in zip(r.pads, ext, r.output, strict=True))
    return padded[(..., *window)]


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_avg_pool_map_equals_reference(ndim: int, data: st.DataObject) -> None:
    # numeric.avg_pool follows PyTorch (no dilation, pad <= k/2): the conventions whose
    # resolved average pooling stays inside those rules (SAME pads at most k//2 per side)
    convention = data.draw(st.sampled_from(("torch", "tensorflow", "keras")))
    spec = data.draw(pool_specs(ndim, convention, "avg"))
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim]))
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-9, 10, size=(2, 2, *sizes))))
    r = symconv.resolve(spec, sizes)
    named = not isinstance(spec.padding, tuple)
    expected = numeric.avg_pool(x, r.layer.kernel, stride=r.layer.stride, padding=r.pads,
                                ceil_mode=r.layer.ceil_mode and not named,
                                count_include_pad=r.layer.count_include_pad)
    got = linear_map(spec, (2, *sizes)).apply_exact(x)
    assert _exact_equal(got, expected)


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_max_pool_selection_times_x_is_max_pool(ndim: int, data: st.DataObject) -> None:
    spec, sizes = data.draw(layers(kind="max-pool", convention="torch", ndim=ndim,
                                   span=SPAN[ndim]))
    # few distinct values: ties are common, so the arg-max rule matters
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(0, 3, size=(2, *sizes))))
    r = symconv.resolve(spec, sizes)
    expected = numeric.max_pool(x[None], r.layer.kernel, stride=r.layer.stride, padding=r.pads,
                                dilation=r.layer.dilation, ceil_mode=r.layer.ceil_mode)[0]
    s = linear_map(spec, x.shape, x=x)
    assert np.array_equal(s.apply_exact(x), expected)
    assert np.all(s.row_counts() == 1)  # a selection: exactly one 1 per output


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_max_unpool_map_equals_reference(ndim: int, data: st.DataObject) -> None:
    spec = data.draw(pool_specs(ndim, "torch", "max"))
    spec = dataclasses.replace(spec, dilation=(1,) * ndim)
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim]))
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-5, 6, size=(1, 2, *sizes))))
    r = symconv.resolve(spec, sizes)
    if r.layer.ceil_mode:
        spec = dataclasses.replace(spec, ceil_mode=False)
        r = symconv.resolve(spec, sizes)
    y, idx = numeric.max_pool(x, r.layer.kernel, stride=r.layer.stride, padding=r.pads,
                              return_indices=True)
    # PyTorch usage: unpool back to the pooled input's size (within stride of the default)
    unpool = symconv.MaxUnpool(kernel=r.layer.kernel, stride=r.layer.stride, padding=r.pads,
                               output_size=tuple(sizes))
    ru = symconv.resolve(unpool, y.shape[2:])
    m = linear_map(unpool, y.shape[1:], indices=idx[0])
    expected = numeric.max_unpool(y, idx, r.layer.kernel, stride=r.layer.stride,
                                  padding=r.pads, output_size=ru.output)
    # repeated switches (overlapping windows) sum in the map and overwrite in the reference;
    # the values at a repeated switch are all the same maximum, so compare where unique
    got = m.apply_exact(y[0])
    counts = np.bincount(m.rows, minlength=m.shape[0]).reshape(got.shape)
    assert np.array_equal(np.where(counts > 1, 0, got), np.where(counts > 1, 0, expected[0]))
    assert np.array_equal(got, expected[0] * np.maximum(counts, 1))


def test_max_unpool_is_selection_transposed_for_tiling_windows() -> None:
    """Kernel == stride, no padding, sizes divisible: unpooling with the switches of x is
    exactly S(x)^T (T14 without overlap)."""
    rng = np.random.default_rng(7)
    for sizes in ((6,), (4, 6), (2, 4, 2)):
        x = rng.integers(0, 4, size=(2, *sizes))
        pool = symconv.MaxPool(kernel=2)
        _, idx = numeric.max_pool(x[None], 2, return_indices=True)
        s = max_pool_selection_map(pool.at(len(sizes)), x)
        u = max_unpool_map(symconv.MaxUnpool(kernel=2).at(len(sizes)), idx[0])
        assert u.equals(s.T)


# --------------------------------------------------------------------------- resizing

#: Float factors PyTorch users type; the map reads them as the simple fraction they denote.
FLOAT_FACTORS = (0.5, 0.75, 1.5, 2.5, 3.0, 1.25, 0.6, 1.7)


@st.composite
def resize_cases(draw: st.DrawFn, ndim: int) -> tuple[Any, ...]:
    if draw(st.integers(0, 3)) == 0:  # float factors
        mode = draw(st.sampled_from(("nearest", "nearest-exact", "linear")))
        align = draw(st.booleans()) if mode == "linear" else None
        sf = tuple(draw(st.sampled_from(FLOAT_FACTORS)) for _ in range(ndim))
        spec = symconv.Resize(scale_factor=sf, mode=mode, align_corners=align, ndim=ndim)
        sizes = draw(valid_input_sizes(spec, span=SPAN[ndim] + 3))
    else:  # the kit's resizes: float32-sensitive ratios half of the time
        spec, sizes = draw(layers(kind="resize", convention="torch", ndim=ndim,
                                  span=SPAN[ndim] + 3))
    x = draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-9, 10, size=(1, 2, *sizes))))
    return spec, tuple(sizes), x


def _resize_reference(spec: Any, sizes: tuple[int, ...], x: np.ndarray) -> Any:
    r = symconv.resolve(spec, sizes)
    if spec.scale_factor is not None:
        sf: Any = tuple(spec.scale_factor)
    else:  # PyTorch with size=: coordinates scale by n/o, i.e. a factor o/n
        sf = tuple(Fraction(o, n) for n, o in zip(sizes, r.output, strict=True))
    if spec.mode.value == "nearest":
        return numeric.upsample_nearest(x, sf)
    if spec.mode.value == "nearest-exact":
        return numeric.upsample_nearest_exact(x, sf)
    return numeric.upsample_linear(x, sf, align_corners=bool(spec.align_corners))


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_resize_map_equals_reference(ndim: int, data: st.DataObject) -> None:
    spec, sizes, x = data.draw(resize_cases(ndim))
    expected = _resize_reference(spec, sizes, x)
    m = linear_map(spec, x.shape[1:])
    assert m.out_shape == expected.shape[1:]
    floats = spec.scale_factor is not None and any(
        isinstance(f, float) for f in spec.scale_factor)
    if floats and spec.mode.value == "linear":
        # the map uses the exact factor, the reference PyTorch's float arithmetic: equal up to
        # rounding (linear interpolation is continuous in the source coordinate)
        np.testing.assert_allclose(m.apply(x[0]), expected[0].astype(float), rtol=0,
                                   atol=1e-9)
    else:
        assert _exact_equal(m.apply_exact(x[0]), expected[0])


def test_resize_linear_same_length_copies_like_pytorch() -> None:
    """PyTorch copies an axis whose length does not change, whatever the factor (5/4 on 3)."""
    spec = symconv.Resize(scale_factor=Fraction(5, 4), mode="linear")
    x = np.array([[0, 4, 8]])
    assert _exact_equal(linear_map(spec, (1, 3)).apply_exact(x), x)
    onnx = symconv.Resize(scale_factor=Fraction(5, 4), mode="linear", convention="onnx")
    # ONNX half_pixel has no such shortcut: src = (dst + 1/2) * 4/5 - 1/2
    got = linear_map(onnx, (1, 3)).apply_exact(x)
    # (-1/10 clamps to x[0]; 7/10 and 3/2 interpolate)
    assert _exact_equal(got, np.array([[0, Fraction(14, 5), 6]]))


# --------------------------------------------------------------------------- permutations


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_pixel_shuffle_maps_equal_reference(ndim: int, data: st.DataObject) -> None:
    spec = data.draw(shuffle_specs(ndim))
    order = data.draw(st.sampled_from(("CRD", "DCR")))
    spec = dataclasses.replace(spec, order=symconv.ShuffleOrder(order))
    r = spec.factor
    c = data.draw(st.integers(1, 2))
    sizes = tuple(data.draw(st.integers(1, SPAN[ndim] // 2 + 1)) for _ in range(ndim))
    x = np.arange(c * r**ndim * prod(sizes)).reshape(1, c * r**ndim, *sizes)
    shuffle = linear_map(spec, x.shape[1:])
    expected = numeric.depth_to_space(x, r, mode=order)
    assert np.array_equal(shuffle.apply_exact(x[0]), expected[0])
    if order == "CRD":
        assert np.array_equal(expected, numeric.pixel_shuffle(x, r))
    unshuffle = linear_map(symconv.PixelUnshuffle(factor=r, order=order, ndim=ndim),
                           expected.shape[1:])
    assert np.array_equal(unshuffle.apply_exact(expected[0]), x[0])
    if order == "CRD":
        assert np.array_equal(unshuffle.apply_exact(expected[0]),
                              numeric.pixel_unshuffle(expected, r)[0])
    else:
        assert np.array_equal(unshuffle.apply_exact(expected[0]),
                              numeric.space_to_depth(expected, r)[0])
    # a permutation: its transpose is its inverse, i.e. the unshuffle
    assert unshuffle.equals(shuffle.T)
    assert np.all(shuffle.row_counts() == 1) and np.all(shuffle.col_counts() == 1)


# --------------------------------------------------------------------------- plumbing maps


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_pad_stretch_subsample_crop_equal_reference(ndim: int, data: st.DataObject) -> None:
    sizes = tuple(data.draw(st.integers(1, SPAN[ndim] + 1)) for _ in range(ndim))
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-9, 10, size=(1, 2, *sizes))))
    mode = data.draw(st.sampled_from(("zeros", "reflect", "replicate", "circular")))
    limit = {"zeros": 3, "reflect": None, "replicate": 3, "circular": 0}[mode]
    pads = tuple(
        (data.draw(st.integers(0, n - 1 if limit is None else (limit or n))),
         data.draw(st.integers(0, n - 1 if limit is None else (limit or n))))
        for n in sizes)
    assert np.array_equal(pad_map(x.shape[1:], pads, mode).apply_exact(x[0]),
                          numeric.pad(x, pads, mode=mode)[0])
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(ndim))
    assert np.array_equal(zero_stretch_map(x.shape[1:], s).apply_exact(x[0]),
                          numeric.zero_stretch(x, s)[0])
    assert np.array_equal(subsample_map(x.shape[1:], s).apply_exact(x[0]),
                          numeric.subsample(x, s)[0])
    # subsampling undoes zero-stretching exactly
    z = zero_stretch_map(x.shape[1:], s)
    assert (subsample_map(z.out_shape, s) @ z).equals(pad_map(x.shape[1:], [(0, 0)] * ndim))
    # cropping undoes zero padding exactly
    if all(n > 0 for n in sizes) and mode == "zeros":
        p = pad_map(x.shape[1:], pads, "zeros")
        assert (crop_map(p.out_shape, pads) @ p).equals(pad_map(x.shape[1:], [(0, 0)] * ndim))


# --------------------------------------------------------------------------- fixed cases


def test_guide_convolutions_through_the_matrix() -> None:
    """Dumoulin & Visin (2016), figures 1.1 and 2.x (CONVENTIONS.md, Known numbers)."""
    x = GUIDE_X.reshape(1, 5, 5)
    w = GUIDE_K.reshape(1, 1, 3, 3)
    plain = conv_map(symconv.Conv(kernel=3), (1, 5, 5), 1)
    assert plain.apply_exact(x, w)[0].tolist() == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    strided = conv_map(symconv.Conv(kernel=3, stride=2, padding=1), (1, 5, 5), 1)
    assert strided.apply_exact(x, w)[0].tolist() == [[6, 17, 3], [8, 17, 13], [6, 4, 4]]
    # the same through the contract's symbolic matrix, weights substituted
    c = conv_matrix((1, 5, 5), (1, 1, 3, 3), stride=2, padding=1)
    subs = dict(zip(weight_symbols((1, 1, 3, 3)).ravel(), GUIDE_K.ravel().tolist(),
                    strict=True))
    y = c.subs(subs) * sympy.Matrix(GUIDE_X.ravel().tolist())
    assert list(y) == [6, 17, 3, 8, 17, 13, 6, 4, 4]
    s = max_pool_selection_map(symconv.MaxPool(kernel=3, stride=1).at(2), x)
    assert s.apply_exact(x)[0].tolist() == [[3, 3, 3], [3, 3, 3], [3, 2, 3]]


def test_avg_pool_known_numbers() -> None:
    """AvgPool2d(3, s=2, p=1) on 1..9 (CONVENTIONS.md): include pad / exclude pad."""
    x = np.arange(1, 10).reshape(1, 3, 3)
    inc = avg_pool_map(symconv.AvgPool(kernel=3, stride=2, padding=1).at(2), (1, 3, 3))
    exc = avg_pool_map(symconv.AvgPool(kernel=3, stride=2, padding=1,
                                       count_include_pad=False).at(2), (1, 3, 3))
    F = Fraction
    assert inc.apply_exact(x)[0].tolist() == [[F(4, 3), F(16, 9)], [F(8, 3), F(28, 9)]]
    assert exc.apply_exact(x)[0].tolist() == [[3, 4], [6, 7]]
    assert linear_map(symconv.AvgPool(kernel=2), (1, 4)).symbolic() == sympy.SparseMatrix(
        [[sympy.Rational(1, 2)] * 2 + [0, 0], [0, 0] + [sympy.Rational(1, 2)] * 2])


def test_symbolic_conv_matrix_is_the_4x16_of_the_guide() -> None:
    c = conv_matrix((1, 4, 4), (1, 1, 3, 3))
    w = weight_symbols((1, 1, 3, 3))[0, 0]
    assert c.shape == (4, 16)
    assert c.nnz() == 36
    assert list(c[0, :]) == [w[0, 0], w[0, 1], w[0, 2], 0, w[1, 0], w[1, 1], w[1, 2], 0,
                             w[2, 0], w[2, 1], w[2, 2], 0, 0, 0, 0, 0]
    assert c[3, :] == sympy.Matrix([[0] * 5 + list(c[0, :11])])


# --------------------------------------------------------------------------- transposition


def _adjoint_op(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    """a = (n + pb + pe - d(k-1) - 1) mod s: the output padding restoring n (T02)."""
    return (n + pb + pe - d * (k - 1) - 1) % s


@st.composite
def adjoint_cases(draw: st.DrawFn, ndim: int, small: bool = False) -> tuple[Any, ...]:
    """A conv with asymmetric zero padding, groups and channels, and its input size."""
    k = tuple(draw(st.integers(1, 3 if small else 4)) for _ in range(ndim))
    s = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    d = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
    g = draw(st.integers(1, 2))
    c_in, c_out = g * draw(st.integers(1, 2 if small else 3)), g * draw(st.integers(1, 2))
    keff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
    sizes = tuple(max(1, ke - b - e) + draw(st.integers(0, 3 if small else SPAN[ndim] + 2))
                  for ke, (b, e) in zip(keff, pads, strict=True))
    return k, s, d, pads, g, c_in, c_out, sizes


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_conv_transpose_map_is_conv_map_transposed_iff_op_is_a(
    ndim: int, data: st.DataObject
) -> None:
    k, s, d, pads, g, c_in, c_out, sizes = data.draw(adjoint_cases(ndim))
    conv = symconv.Conv(kernel=k, stride=s, padding=pads, dilation=d, groups=g, ndim=ndim)
    cm = conv_map(conv, (c_in, *sizes), c_out)
    m_sizes = cm.out_shape[1:]
    a = tuple(_adjoint_op(n, kk, ss, b, e, dd)
              for n, kk, ss, (b, e), dd in zip(sizes, k, s, pads, d, strict=True))
    # every legal output padding: op < max(stride, dilation) per axis (PyTorch's rule)
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True))
    for output_padding in (a, op):
        t = symconv.ConvTranspose(kernel=k, stride=s, padding=pads, dilation=d, groups=g,
                                  output_padding=output_padding, ndim=ndim)
        try:
            tm = conv_transpose_map(t, (c_out, *m_sizes), c_in)
        except InvalidSpecError:  # that op leaves an empty output on this input
            assert output_padding != a
            continue
        assert tm.equals(cm.T) == (output_padding == a)
        if output_padding != a:
            assert tm.out_shape != cm.in_shape  # the output size n - a + op differs from n


@pytest.mark.parametrize("ndim", (1, 2))
@given(data=st.data())
def test_conv_transpose_matrix_equals_conv_matrix_transposed(
    ndim: int, data: st.DataObject
) -> None:
    """The contract's SymPy matrices: equal exactly when output_padding = a, never otherwise."""
    k, s, d, pads, g, c_in, c_out, sizes = data.draw(adjoint_cases(ndim, small=True))
    c = conv_matrix((c_in, *sizes), (c_out, c_in // g, *k), stride=s, padding=pads,
                    dilation=d, groups=g)
    m_sizes = symconv.resolve(symconv.Conv(kernel=k, stride=s, padding=pads, dilation=d),
                              sizes).output
    a = tuple(_adjoint_op(n, kk, ss, b, e, dd)
              for n, kk, ss, (b, e), dd in zip(sizes, k, s, pads, d, strict=True))
    wshape = (c_out, c_in // g, *k)
    t = conv_transpose_matrix((c_out, *m_sizes), wshape, stride=s, padding=pads,
                              output_padding=a, dilation=d, groups=g)
    assert isinstance(t, sympy.SparseMatrix)
    assert t == c.T
    others = [op for op in np.ndindex(*(max(ss, dd) for ss, dd in zip(s, d, strict=True)))
              if op != a]
    if others:
        op = data.draw(st.sampled_from(others))
        try:
            t2 = conv_transpose_matrix((c_out, *m_sizes), wshape, stride=s, padding=pads,
                                       output_padding=op, dilation=d, groups=g)
        except InvalidSpecError:  # that op leaves an empty output on this input
            return
        out = tuple(n - aa + o for n, aa, o in zip(sizes, a, op, strict=True))
        assert out != sizes  # a different output grid: never the conv's adjoint
        # the flat matrices can only coincide on a grid with as many positions: (2, 1)
        # against (1, 2) for k=1, s=(1, 2), d=(2, 1), op=(1, 0) on (1, 2), both [w, 0]
        assert t2 != c.T or prod(out) == prod(sizes)


def test_a_wrong_output_padding_can_give_the_flat_adjoint_on_another_grid() -> None:
    """k=1, s=(1, 2), d=(2, 1) on (1, 2): a = (0, 1); op = (1, 0) outputs a (2, 1) grid whose
    flat 2x1 matrix [w, 0]^T equals the conv's transpose on the (1, 2) grid (Hypothesis found
    this against the old claim that only all-zero maps coincide)."""
    kw: dict[str, Any] = {"stride": (1, 2), "padding": ((0, 0), (0, 0)), "dilation": (2, 1)}
    c = conv_matrix((1, 1, 2), (1, 1, 1, 1), **kw)
    t2 = conv_transpose_matrix((1, 1, 1), (1, 1, 1, 1), output_padding=(1, 0), **kw)
    assert t2 == c.T and c.nnz() == 1  # [w, 0]: not a zero map
    out = symconv.resolve(symconv.ConvTranspose(kernel=1, output_padding=(1, 0), **kw), (1, 1))
    assert out.output == (2, 1)  # not the conv's input grid (1, 2)


def test_output_padding_below_dilation_is_not_the_adjoint() -> None:
    """stride 1 < op = 1 < dilation 2: PyTorch accepts it; the result is no conv's adjoint."""
    c = conv_matrix((1, 5), (1, 1, 2), dilation=2)
    t = conv_transpose_matrix((1, 3), (1, 1, 2), output_padding=1, dilation=2)
    assert t.shape == (6, 3) and c.T.shape == (5, 3)
    assert t[:5, :] == c.T and list(t[5, :]) == [0, 0, 0]


# --------------------------------------------------------------------------- composition


@st.composite
def two_convs(draw: st.DrawFn, ndim: int, small: bool = False) -> tuple[IndexMap, IndexMap]:
    """Two stacked conv maps with distinct weight names ``u`` (first) and ``v`` (second)."""
    lo = 1 if small else 2
    c0, c1, c2 = (draw(st.integers(1, lo + 1)) for _ in range(3))
    k1 = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    k2 = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    s1 = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    p1 = tuple(draw(st.integers(0, 1)) for _ in range(ndim))
    sizes = tuple(kk + draw(st.integers(1, 3 if small else SPAN[ndim])) for kk in
                  (a + b for a, b in zip(k1, k2, strict=True)))
    first = conv_map(symconv.Conv(kernel=k1, stride=s1, padding=p1, ndim=ndim),
                     (c0, *sizes), c1, weight_name="u")
    second = conv_map(symconv.Conv(kernel=k2, ndim=ndim), first.out_shape, c2, weight_name="v")
    return second, first


@pytest.mark.parametrize("ndim", NDIMS)
@given(data=st.data())
def test_composition_numeric_is_the_product(ndim: int, data: st.DataObject) -> None:
    a, b = data.draw(two_convs(ndim))
    wu = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-4, 5, size=b.weights[0].shape)))
    wv = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-4, 5, size=a.weights[0].shape)))
    ab = a @ b
    assert ab.degree == 2 and [w.name for w in ab.weights] == ["v", "u"]
    product = (a.numeric(wv) @ b.numeric(wu)).toarray()
    # small integers: float64 products and sums are exact, so compare exactly
    assert np.array_equal(ab.numeric({"u": wu, "v": wv}).toarray(), product)
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-4, 5, size=b.in_shape)))
    assert np.array_equal(ab.apply_exact(x, {"u": wu, "v": wv}),
                          a.apply_exact(b.apply_exact(x, wu), wv))
    # transposition reverses products, exactly
    assert ab.T.equals(b.T @ a.T)


@pytest.mark.parametrize("ndim", (1, 2))
@given(data=st.data())
def test_symbolic_composition_is_the_sympy_product(ndim: int, data: st.DataObject) -> None:
    a, b = data.draw(two_convs(ndim, small=True))
    ab = (a @ b).symbolic()
    product = a.symbolic() * b.symbolic()
    assert ab.shape == product.shape
    assert (ab - product).applyfunc(sympy.expand).is_zero_matrix
    # and every entry is already an expanded polynomial
    assert all(sympy.expand(v) == v for v in ab.values())


@pytest.mark.parametrize("ndim", (1, 2))
@given(data=st.data())
def test_composition_with_rational_maps_is_exact(ndim: int, data: st.DataObject) -> None:
    """avg-pool after linear resize after a conv: exact rational coefficients all the way."""
    sizes = tuple(data.draw(st.integers(3, 7)) for _ in range(ndim))
    conv = conv_map(symconv.Conv(kernel=2, ndim=ndim), (2, *sizes), 2)
    up = resize_map(symconv.Resize(scale_factor=Fraction(3, 2), mode="linear", ndim=ndim),
                    conv.out_shape)
    pool = avg_pool_map(symconv.AvgPool(kernel=2, stride=1, ndim=ndim), up.out_shape)
    stack = pool @ (up @ conv)
    assert stack.equals((pool @ up) @ conv)  # associativity, exactly
    x = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-9, 10, size=conv.in_shape)))
    w = data.draw(st.integers(0, 2**32 - 1).map(
        lambda s: np.random.default_rng(s).integers(-3, 4, size=conv.weights[0].shape)))
    step = pool.apply_exact(up.apply_exact(conv.apply_exact(x, w)))
    assert _exact_equal(stack.apply_exact(x, w), step)


def test_conv_with_itself_shares_the_weight() -> None:
    """Composing maps over the same weight tensor multiplies the same symbols (squares)."""
    m = conv_map(symconv.Conv(kernel=2), (1, 3), 1)
    sq = (m.T @ m).symbolic()
    w0, w1 = weight_symbols((1, 1, 2))[0, 0]
    assert sympy.expand(sq[1, 1] - (w0**2 + w1**2)) == 0
    assert sympy.expand(sq[0, 1] - w0 * w1) == 0


# --------------------------------------------------------------------------- T06 sanity


@pytest.mark.parametrize("ndim", (1, 2))
@given(data=st.data())
def test_zero_stretch_then_flipped_conv_is_the_transposed_conv(
    ndim: int, data: st.DataObject
) -> None:
    """conv_transpose(x; s, p, op) = conv(zero_stretch(x, s); flip(w) with in/out swapped,
    padding d(k-1)-p before and d(k-1)-p+op after, dilation d) (T06; small sanity check)."""
    k = tuple(data.draw(st.integers(1, 4)) for _ in range(ndim))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(ndim))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(ndim))
    p = tuple(data.draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d, strict=True))
    op = tuple(data.draw(st.integers(0, ss - 1)) for ss in s)
    c_in, c_out = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    # output (n-1)s - 2p + d(k-1) + 1 + op >= 1 needs (n-1)s >= 2p - d(k-1)
    sizes = tuple(1 + max(0, 2 * pp - dd * (kk - 1)) + data.draw(st.integers(0, 3))
                  for kk, dd, pp in zip(k, d, p, strict=True))
    t = conv_transpose_map(symconv.ConvTranspose(kernel=k, stride=s, padding=p,
                                                 output_padding=op, dilation=d, ndim=ndim),
                           (c_in, *sizes), c_out)
    z = zero_stretch_map((c_in, *sizes), s)
    pads = tuple((dd * (kk - 1) - pp, dd * (kk - 1) - pp + o)
                 for kk, dd, pp, o in zip(k, d, p, op, strict=True))
    c = conv_map(symconv.Conv(kernel=k, padding=pads, dilation=d, ndim=ndim), z.out_shape,
                 c_out)
    # relabel the conv weight v[co, ci, t] as the transposed-conv weight w[ci, co, k-1-t]
    vshape = (c_out, c_in, *k)
    idx = np.arange(prod(vshape)).reshape(vshape)
    flipped = np.flip(idx.transpose(1, 0, *range(2, 2 + ndim)), axis=tuple(range(2, 2 + ndim)))
    perm = np.empty(prod(vshape), dtype=np.int64)
    perm[flipped.ravel()] = np.arange(prod(vshape))  # v-index -> w-index
    relabelled = IndexMap(c.shape, c.rows, c.cols, perm[c.taps], c.num, c.den,
                          (WeightRef("w", (c_in, c_out, *k)),), c.in_shape, c.out_shape)
    assert (relabelled @ z).equals(t)


# --------------------------------------------------------------------------- memory guard


def test_memory_guard_states_estimate_and_override() -> None:
    layer = symconv.Conv(kernel=3)
    estimate = 1 * 1 * 8 * 8 * 9  # C_out * C_in/g * outputs * taps
    with pytest.raises(InvalidSpecError) as err:
        linear_map(layer, (1, 10, 10), out_channels=1, max_nnz=estimate - 1)
    msg = str(err.value)
    assert f"max_nnz={estimate - 1}" in msg and f"{estimate:,}" in msg and "--max-nnz" in msg
    # exactly at the budget is allowed
    assert linear_map(layer, (1, 10, 10), out_channels=1, max_nnz=estimate).nnz == estimate


def test_memory_guard_defaults_refuse_before_building() -> None:
    # 1000x1000 with a 3x3 kernel: ~9M symbolic entries, over the 2M default; refused at once
    with pytest.raises(InvalidSpecError, match=r"max_nnz=2000000 must be at least"):
        conv_matrix((1, 1000, 1000), (1, 1, 3, 3))
    # numeric default 50M: 4 x 4 channels of 1000x1000 with 3x3 -> 144M entries
    with pytest.raises(InvalidSpecError, match=r"max_nnz=50000000 must be at least"):
        linear_map(symconv.Conv(kernel=3), (4, 1000, 1000), out_channels=4)
    assert DEFAULT_MAX_NNZ == {"symbolic": 2_000_000, "numeric": 50_000_000, "json": 2_000_000,
                               "latex": 10_000_000}
    # the views check their own budget too
    m = conv_map(symconv.Conv(kernel=3), (1, 6, 6), 1)
    with pytest.raises(InvalidSpecError, match=r"max_nnz=10 must be at least the estimated 144"):
        m.symbolic(max_nnz=10)
    with pytest.raises(InvalidSpecError, match=r"max_nnz=10 must be at least the estimated 144"):
        m.numeric(np.ones((1, 1, 3, 3)), max_nnz=10)
    for layer, shape in ((symconv.AvgPool(kernel=2), (1, 8, 8)),
                         (symconv.Resize(scale_factor=2, mode="linear"), (1, 8, 8))):
        with pytest.raises(InvalidSpecError, match=r"max_nnz=3 must be at least"):
            linear_map(layer, shape, max_nnz=3)


PERMUTATIONS = [
    # (layer, builder, a huge input, its exact entry count, a small input)
    (symconv.PixelShuffle(factor=1), pixel_shuffle_map, (1, 100_000, 100_000), 10**10, (4, 2, 3)),
    (symconv.PixelShuffle(factor=2), pixel_shuffle_map, (4, 2**40, 2**40), 2**82, (8, 2, 3)),
    (symconv.PixelUnshuffle(factor=2), pixel_unshuffle_map, (3, 2**40, 2**40), 3 * 2**80,
     (2, 4, 6)),
    # a slice: one entry per output position, however large the input
    (Slice(start=0, end=None), slice_map, (1, 2**40, 2**40), 2**80, (2, 5, 3)),
    (Slice(start=(1, 0), end=(None, 3), step=(2, 1), channels=(0, None, 2)), slice_map,
     (2**20, 2**30, 2**30), 2**19 * (2**29) * 3, (3, 6, 4)),
]


@pytest.mark.parametrize(("layer", "build", "huge", "estimate", "small"), PERMUTATIONS,
                         ids=["shuffle-r1", "shuffle-r2", "unshuffle", "slice", "slice-strided"])
def test_memory_guard_on_shuffles_and_slices(layer: Any, build: Any, huge: tuple[int, ...],
                                             estimate: int, small: tuple[int, ...]) -> None:
    # refused at once with the exact (Python-int, never overflowing int64) estimate, through
    # the builder and through linear_map, with the default budget and with max_nnz
    for call in (lambda **kw: build(layer, huge, **kw), lambda **kw: linear_map(layer, huge, **kw)):
        with pytest.raises(InvalidSpecError, match=f"max_nnz=50000000 must be at least the "
                                                   f"estimated {estimate:,} entries"):
            call()
        with pytest.raises(InvalidSpecError, match=f"max_nnz=10 must be at least the "
                                                   f"estimated {estimate:,} entries"):
            call(max_nnz=10)
    # small maps still build, exactly at their budget, and are refused one entry below it
    m = build(layer, small)
    assert linear_map(layer, small, max_nnz=m.nnz).equals(m)
    with pytest.raises(InvalidSpecError, match=f"max_nnz={m.nnz - 1} must be at least"):
        linear_map(layer, small, max_nnz=m.nnz - 1)


def test_slice_budget_counts_outputs_not_inputs() -> None:
    m = slice_map(Slice(start=(0, 5), end=(2, 8)), (1, 10**6, 10**6), max_nnz=6)
    assert m.nnz == 6 and m.out_shape == (1, 2, 3)
    assert m.cols.tolist() == [5, 6, 7, 10**6 + 5, 10**6 + 6, 10**6 + 7]


# --------------------------------------------------------------------------- invalid input

_X = np.zeros((1, 4, 4))
_IDX_BAD = np.array([[[0, 1], [2, 99]]])  # 99 is outside the 4x4 unpooled plane

INVALID: list[tuple[str, Any, str]] = [
    ("empty input_shape", lambda: linear_map(symconv.Conv(kernel=1), ()),
     r"input_shape=\(\) must be \(C, \*spatial\)"),
    ("channels only", lambda: linear_map(symconv.Conv(kernel=1), (3,), out_channels=1),
     r"input_shape=\(3,\) must be \(C, \*spatial\)"),
    ("zero size", lambda: linear_map(symconv.Conv(kernel=1), (1, 0), out_channels=1),
     r"input_shape=\(1, 0\) must be \(C, \*spatial\) with positive entries"),
    ("negative size", lambda: conv_matrix((1, -3), (1, 1, 1)),
     r"input_shape=\(1, -3\) must be"),
    ("weight rank", lambda: conv_matrix((1, 4, 4), (1, 1, 3)),
     r"weight_shape=\(1, 1, 3\) must have 2 \+ 2 spatial entries"),
    ("conv weight vs groups", lambda: conv_matrix((4, 5), (2, 3, 3), groups=2),
     r"weight_shape=\(2, 3, 3\) must have C_in/groups=4/2"),
    ("groups do not divide channels",
     lambda: linear_map(symconv.Conv(kernel=3, groups=2), (3, 5), out_channels=2),
     r"groups=2 must divide in_channels=3"),
    ("groups do not divide out channels", lambda: conv_matrix((2, 5), (3, 1, 3), groups=2),
     r"groups=2 must divide out_channels=3"),
    ("transposed weight layout", lambda: conv_transpose_matrix((3, 5), (2, 1, 3)),
     r"weight_shape=\(2, 1, 3\) must start with the input channels 3"),
    ("out channels missing", lambda: linear_map(symconv.Conv(kernel=1), (1, 4)),
     r"out_channels=None must be given"),
    ("out channels not positive", lambda: conv_map(symconv.Conv(kernel=1), (1, 4), -1),
     r"out_channels=-1 must be a positive integer"),
    ("in_channels mismatch",
     lambda: linear_map(symconv.Conv(kernel=1, in_channels=2, out_channels=2), (3, 4)),
     r"in_channels=2 must equal the input's channel count 3"),
    ("kernel larger than input", lambda: conv_matrix((1, 2), (1, 1, 3)), r"kernel"),
    ("max pool without x", lambda: linear_map(symconv.MaxPool(kernel=2), (1, 4)),
     r"x=None must be given for max pooling"),
    ("unpool without indices", lambda: linear_map(symconv.MaxUnpool(kernel=2), (1, 2)),
     r"indices=None must be given"),
    ("unpool index out of range",
     lambda: max_unpool_map(symconv.MaxUnpool(kernel=2).at(2), _IDX_BAD),
     r"indices=99 must lie in \[0, 16\)"),
    ("unpool negative index",
     lambda: max_unpool_map(symconv.MaxUnpool(kernel=2), np.array([[-1, 0]])),
     r"indices=-1 must lie in \[0, 4\)"),
    ("unpool float indices",
     lambda: max_unpool_map(symconv.MaxUnpool(kernel=2), np.array([[0.0, 1.0]])),
     r"indices dtype=float64 must be an integer type"),
    ("shuffle channels", lambda: pixel_shuffle_map(symconv.PixelShuffle(factor=2), (3, 2, 2)),
     r"channels=3 must be divisible by factor\*\*2=4"),
    ("unshuffle size", lambda: pixel_unshuffle_map(symconv.PixelUnshuffle(factor=2), (1, 3)),
     r"input_shape=\(1, 3\) must have spatial sizes divisible by factor=2"),
    ("reflect padding too large",
     lambda: conv_map(symconv.Conv(kernel=1, padding=3, padding_mode="reflect"), (1, 3), 1),
     r"padding=\S+ must be smaller than the input size 3"),
    ("negative pad", lambda: pad_map((1, 4), [(-1, 0)]), r"padding=\(-1,0\) must be non-negative"),
    ("pad pairs per axis", lambda: pad_map((1, 4, 4), [(1, 1)]),
     r"pads=\[\(1,1\)\] must have one pair per spatial axis"),
    ("crop everything", lambda: crop_map((1, 4), [(2, 2)]),
     r"crop=\(2,2\) must be non-negative and leave at least 1"),
    ("weights shape", lambda: conv_map(symconv.Conv(kernel=2), (1, 4), 1).numeric(
        np.ones((1, 1, 3))), r"weights\['w'\] shape=\(1, 1, 3\) must be \(1, 1, 2\)"),
    ("weights mapping key", lambda: conv_map(symconv.Conv(kernel=2), (1, 4), 1).numeric(
        {"v": np.ones((1, 1, 2))}), r"weights=\['v'\] must include 'w'"),
    ("apply shape", lambda: conv_map(symconv.Conv(kernel=2), (1, 4), 1).apply_exact(
        np.ones((1, 5), dtype=int), np.ones((1, 1, 2), dtype=int)), r"x shape=\(1, 5\) must be"),
    ("exact apply of floats", lambda: conv_map(symconv.Conv(kernel=2), (1, 4), 1).apply_exact(
        np.ones((1, 4)), np.ones((1, 1, 2), dtype=int)), r"x dtype=float64 must hold integers"),
    ("compose shapes", lambda: conv_map(symconv.Conv(kernel=2), (1, 4), 1)
     @ conv_map(symconv.Conv(kernel=2), (1, 4), 1),
     r"other.shape=\(3, 4\) must have 4 rows"),
    ("weight name clash", lambda: conv_map(symconv.Conv(kernel=2), (1, 3), 1)
     @ conv_map(symconv.Conv(kernel=1), (1, 3), 1), r"name='w' must name one weight tensor, not two of shapes \(1, 1, 2\) and \(1, 1, 1\)"),
]


@pytest.mark.parametrize(("case", "call", "pattern"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_raises_invalid_spec_error(case: str, call: Any, pattern: str) -> None:
    with pytest.raises(InvalidSpecError) as err:
        call()
    msg = str(err.value)
    assert re.search(pattern, msg), msg
    assert re.search(r"\w[\w\[\]']*=\S+.* must ", msg), msg  # house style: name=value must
    assert "\n" not in msg


# --------------------------------------------------------------------------- budgets (issue 15)

from symconv.core import plan_map  # noqa: E402
from symconv.core.budget import (  # noqa: E402
    BASELINE_BYTES,
    DEFAULT_MAX_MEMORY,
    check_budget,
    format_bytes,
    plan_of,
)
from symconv.core.index import _is_canonical  # noqa: E402
from symconv.core.separable import separable_map  # noqa: E402


def test_check_budget_keeps_its_old_call_signature_and_adds_memory() -> None:
    check_budget(10, None, "symbolic")  # positional (estimate, max_nnz, view): still works
    check_budget(10, 10)
    with pytest.raises(InvalidSpecError, match=r"^max_nnz=9 must be at least the estimated 10 "
                                               r"entries of this numeric map \(about 256 MiB with the baseline\)"):
        check_budget(10, 9)
    # the memory budget: baseline + entries x bytes per entry + extra, refused one byte short
    need = BASELINE_BYTES + 1000 * 40 + 5
    check_budget(1000, None, per_entry=40, extra_bytes=5, max_memory=need)
    with pytest.raises(InvalidSpecError) as err:
        check_budget(1000, None, per_entry=40, extra_bytes=5, max_memory=need - 1)
    msg = str(err.value)
    assert msg.startswith(f"max_memory={need - 1:,} bytes must be at least the estimated "
                          f"{need:,} bytes")
    assert "--max-memory" in msg and "\n" not in msg
    # a raised entry budget does not lift the memory budget (the default fits 4 GiB)
    assert DEFAULT_MAX_MEMORY <= (4 << 30) - BASELINE_BYTES
    with pytest.raises(InvalidSpecError, match="max_memory="):
        check_budget(10**12, 10**15)
    # huge estimates are Python ints: described, never overflowing
    with pytest.raises(InvalidSpecError, match=r"estimated at least 2\*\*250 entries .* \(at least 2\*\*255 bytes with"):
        check_budget(2**250, 10)
    assert format_bytes(3 << 30) == "3.0 GiB"


def test_plan_counts_entries_without_building() -> None:
    import time

    start = time.perf_counter()
    plan = plan_map(symconv.Conv(kernel=3), (1, 100_000, 100_000), out_channels=1)
    assert plan.nnz == 99_998**2 * 9 and plan.nbytes >= 24 * plan.nnz
    # every builder: the plan is the entries it then makes (an upper bound for windows that
    # fall into the padding), checked before any O(nnz) allocation
    for layer, shape in [(symconv.Conv(kernel=3, padding=1), (2, 7, 6)),
                         (symconv.ConvTranspose(kernel=3, stride=2), (3, 4, 5)),
                         (symconv.AvgPool(kernel=2), (2, 6, 6)),
                         (symconv.AdaptiveAvgPool(3), (2, 10, 7)),
                         (symconv.Resize(scale_factor=2, mode="linear"), (1, 5, 4)),
                         (symconv.PixelShuffle(factor=2), (8, 3, 3)),
                         (Slice(start=1, end=None), (1, 6, 5))]:
        m = linear_map(layer, shape, out_channels=shape[0])
        p = plan_map(layer, shape, out_channels=shape[0])
        assert p.nnz >= m.nnz and p.nbytes >= m.nbytes, layer
        if not isinstance(layer, symconv.Conv | symconv.Resize):  # exact counts
            assert p.nnz == m.nnz, layer
    assert time.perf_counter() - start < 5
    # invalid parameters raise as the builder would
    with pytest.raises(InvalidSpecError, match="groups=2 must divide"):
        plan_map(symconv.Conv(kernel=1, groups=2), (3, 4), out_channels=2)
    assert plan_of(lambda: 7).nnz == 0


def test_adaptive_entry_count_closed_form() -> None:
    from symconv.core.adaptive import _axis_count, window_bounds

    for n in range(1, 40):
        for o in range(1, 40):
            start, end = window_bounds(n, o)
            assert _axis_count(n, o) == int((end - start).sum()), (n, o)
    # a huge output size is refused from the count, before any window is computed
    with pytest.raises(InvalidSpecError, match="estimated 100,000,000,000 entries"):
        linear_map(symconv.AdaptiveAvgPool(10**11), (1, 5))


@pytest.mark.parametrize("builder", ["pad", "crop", "stretch", "subsample"])
def test_plumbing_maps_are_budgeted_from_their_parameters(builder: str) -> None:
    calls = {
        "pad": lambda **kw: pad_map((2, 5, 5), [(10**6, 0), (0, 10**6)], "replicate", **kw),
        "crop": lambda **kw: crop_map((1, 10**5, 10**5), [(1, 1), (1, 1)], **kw),
        "stretch": lambda **kw: zero_stretch_map((1, 10**5, 10**5), (10**9, 1), **kw),
        "subsample": lambda **kw: subsample_map((1, 10**5, 10**5), (1, 1), **kw),
    }
    call = calls[builder]
    with pytest.raises(InvalidSpecError, match=r"max_nnz=50000000 must be at least"):
        call()
    with pytest.raises(InvalidSpecError, match=r"max_nnz=10 must be at least"):
        call(max_nnz=10)
    with pytest.raises(InvalidSpecError, match=r"max_memory=1,000 bytes must be at least"):
        call(max_nnz=10**15, max_memory=1000)


def test_plumbing_maps_cost_their_entries_not_their_shape() -> None:
    # a zero-stretch by 10**9 has one entry per input, however long its output
    z = zero_stretch_map((2, 3, 2), (10**9, 10**9))
    assert z.nnz == 12 and z.out_shape == (2, 2 * 10**9 + 1, 10**9 + 1)
    assert z.rows.tolist()[:4] == [0, 10**9, 10**9 * (10**9 + 1), 10**9 * (10**9 + 1) + 10**9]
    # zero padding reads nothing in the padding: the entries are the input's
    p = pad_map((1, 4), [(10**12, 3)])
    assert p.nnz == 4 and p.rows.tolist() == [10**12 + i for i in range(4)]
    # positions beyond int64 indices are refused, not wrapped around
    with pytest.raises(symconv.UnsupportedError, match="beyond int64 indices"):
        zero_stretch_map((1, 3, 3), (10**10, 10**10))
    # parameters are checked as integers
    for bad, pattern in [((True,), r"stride=True must be an integer"),
                         ((0,), r"stride=0 must be a positive integer"),
                         ((10**30,), r"stride=an integer of 31 digits must be below 10\*\*18"),
                         ((2, 2), r"stride=\(2,2\) must have one entry per spatial axis")]:
        with pytest.raises(InvalidSpecError, match=pattern):
            zero_stretch_map((1, 4), bad)
    with pytest.raises(InvalidSpecError, match=r"padding=\S+ must be an integer"):
        pad_map((1, 4), [(1.5, 0)])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_separable_product_is_canonical_and_exact(data: Any) -> None:
    """The chunked tensor product equals the dense Kronecker product of the per-axis maps
    (with repeats summed), is already in canonical form, and is repeated on every channel."""
    from fractions import Fraction

    nd = data.draw(st.integers(1, 3))
    channels = data.draw(st.integers(1, 3))
    axes, outs, ins, dense = [], [], [], []
    for _ in range(nd):
        o, n = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
        k = data.draw(st.integers(0, 8))
        out = np.array(data.draw(st.lists(st.integers(0, o - 1), min_size=k, max_size=k)))
        src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
        num = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=k, max_size=k)))
        den = np.array(data.draw(st.lists(st.integers(1, 4), min_size=k, max_size=k)))
        axes.append((out.astype(np.int64), src.astype(np.int64), num.astype(np.int64),
                     den.astype(np.int64)))
        outs.append(o)
        ins.append(n)
        d = np.zeros((o, n), dtype=object)
        d[:] = Fraction(0)
        for a, b, x, y in zip(out.tolist(), src.tolist(), num.tolist(), den.tolist(),
                              strict=True):
            d[a, b] += Fraction(x, y)
        dense.append(d)
    m = separable_map(channels, outs, ins, axes)
    assert _is_canonical(m) and m.canonical() is m
    expected = np.array([[Fraction(1)]], dtype=object)
    for d in dense:
        expected = np.kron(expected, d)
    expected = np.kron(np.eye(channels, dtype=int).astype(object), expected)
    got = np.zeros(m.shape, dtype=object)
    got[:] = Fraction(0)
    for r, c, x, y in zip(m.rows.tolist(), m.cols.tolist(), m.num.tolist(), m.den.tolist(),
                          strict=True):
        got[r, c] += Fraction(x, y)
    assert (got == expected).all()


def test_canonical_fast_path_and_single_key_sort() -> None:
    m = conv_map(symconv.Conv(kernel=3, padding=1, padding_mode="reflect"), (2, 6, 5), 3)
    c = m.canonical()
    assert _is_canonical(c) and c.canonical() is c
    # the same entries in another order (and split into repeats) give the same canonical form
    order = np.random.default_rng(0).permutation(m.nnz)
    shuffled = IndexMap(m.shape, m.rows[order], m.cols[order], m.taps[order], m.num[order],
                        m.den[order], m.weights, m.in_shape, m.out_shape)
    assert not _is_canonical(shuffled)
    s = shuffled.canonical()
    assert s.nnz == c.nnz and all(np.array_equal(getattr(s, f), getattr(c, f))
                                  for f in ("rows", "cols", "taps", "num", "den"))
    # repeated unit entries sum to their multiplicity, lexsort path (degree 2) agrees too
    twice = IndexMap.from_arrays((2, 2), [1, 0, 1], [1, 0, 1])
    assert twice.canonical().num.tolist() == [1, 2]
    sq = (c @ conv_map(symconv.Conv(kernel=1), (2, 6, 5), 2, weight_name="v"))
    assert _is_canonical(sq) and sq.degree == 2
    # zero coefficients are not canonical
    assert not _is_canonical(IndexMap.from_arrays((1, 1), [0], [0], num=[0]))


def test_compose_is_budgeted_before_joining() -> None:
    a = conv_map(symconv.Conv(kernel=3), (1, 30, 30), 1)
    b = conv_map(symconv.Conv(kernel=3), (1, 32, 32), 1)
    # the budget counts the joined entries before summing: 9 x 9 per output
    assert a.compose(b, max_nnz=28 * 28 * 81).equals(a @ b)
    with pytest.raises(InvalidSpecError, match=rf"estimated {28 * 28 * 81:,} entries of this "
                                               "numeric composition"):
        a.compose(b, max_nnz=28 * 28 * 81 - 1)
    with pytest.raises(InvalidSpecError, match="max_memory="):
        a.compose(b, max_memory=1 << 20)


def test_views_and_exact_apply_are_budgeted_in_bytes() -> None:
    m = conv_map(symconv.Conv(kernel=3), (1, 40, 40), 1)
    for view in (lambda **kw: m.numeric(np.ones((1, 1, 3, 3)), **kw),
                 lambda **kw: m.symbolic(**kw)):
        with pytest.raises(InvalidSpecError, match=r"max_memory=1,048,576 bytes must be at "
                                                   r"least the estimated"):
            view(max_memory=1 << 20)
    big = avg_pool_map(symconv.AvgPool(kernel=1), (1, 2000, 2000))
    with pytest.raises(InvalidSpecError, match="of this numeric exact application"):
        big.apply_exact(np.ones((20, 1, 2000, 2000), dtype=np.int64))


def test_pixel_shuffle_indices_match_the_index_grid() -> None:
    from symconv.core.layers import _shuffle_indices
    from symconv.spec import ShuffleOrder

    for c_out, r, sizes in [(1, 2, (3,)), (2, 3, (2, 2)), (3, 2, (2, 1, 3))]:
        nd = len(sizes)
        big = tuple(n * r for n in sizes)
        for order in ShuffleOrder:
            hi = np.indices((c_out, *big)).reshape(nd + 1, -1)
            off = np.ravel_multi_index([hi[1 + a] % r for a in range(nd)], (r,) * nd)
            c_low = hi[0] * r**nd + off if order is ShuffleOrder.CRD else off * c_out + hi[0]
            want = np.ravel_multi_index([c_low, *[hi[1 + a] // r for a in range(nd)]],
                                        (c_out * r**nd, *sizes))
            low, high = _shuffle_indices(c_out, r, sizes, order)
            assert low.tolist() == want.tolist() and high.tolist() == list(range(want.size))
