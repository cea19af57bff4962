"""Tests of symconv.numeric against hand-computed cases, brute-force definitions and identities.

No framework is involved here (see test_numeric_torch.py for PyTorch/ONNX conformance):
published numbers (Dumoulin & Visin 2016, the FCN bilinear kernel), tiny loop implementations
of the definitions, exact adjointness on integer data, the equivalences the theorem catalogue
relies on, dtype rules, and one table of invalid arguments.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import symconv.numeric as nm
from symconv.errors import InvalidSpecError

F = Fraction

# --------------------------------------------------------------------------- hand cases

DV_INPUT = np.array(
    [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
).reshape(1, 1, 5, 5)
DV_KERNEL = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]]).reshape(1, 1, 3, 3)


def test_dumoulin_visin_conv() -> None:
    y = nm.conv(DV_INPUT, DV_KERNEL)
    assert y.dtype.kind == "i"
    assert y[0, 0].tolist() == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]


def test_dumoulin_visin_conv_padded_strided() -> None:
    y = nm.conv(DV_INPUT, DV_KERNEL, stride=2, padding=1)
    assert y[0, 0].tolist() == [[6, 17, 3], [8, 17, 13], [6, 4, 4]]


def test_dumoulin_visin_max_pool() -> None:
    y = nm.max_pool(DV_INPUT, 3, stride=1)
    assert y[0, 0].tolist() == [[3, 3, 3], [3, 3, 3], [3, 2, 3]]


@pytest.mark.parametrize("as_fraction", [False, True])
def test_avg_pool_count_include_pad_exact(as_fraction: bool) -> None:
    x = np.arange(1, 10).reshape(1, 1, 3, 3)
    if as_fraction:
        x = np.vectorize(F, otypes=[object])(x)
    inc = nm.avg_pool(x, 3, stride=2, padding=1)
    exc = nm.avg_pool(x, 3, stride=2, padding=1, count_include_pad=False)
    assert inc.dtype == object and exc.dtype == object
    assert inc[0, 0].tolist() == [[F(4, 3), F(16, 9)], [F(8, 3), F(28, 9)]]
    assert exc[0, 0].tolist() == [[3, 4], [6, 7]]
    assert all(isinstance(v, F) for v in inc.ravel())


def test_avg_pool_float_matches_published_decimals() -> None:
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = nm.avg_pool(x, 3, stride=2, padding=1)
    np.testing.assert_allclose(y[0, 0], [[1.3333, 1.7778], [2.6667, 3.1111]], atol=1e-4)


@pytest.mark.parametrize(
    ("i", "k", "s", "p", "d", "o"),
    [
        (4, 3, 1, 0, 1, 2),
        (5, 4, 1, 2, 1, 6),
        (5, 3, 1, 1, 1, 5),
        (5, 3, 1, 2, 1, 7),
        (5, 3, 2, 0, 1, 2),
        (5, 3, 2, 1, 1, 3),
        (6, 3, 2, 1, 1, 3),
        (7, 3, 1, 0, 2, 3),
    ],
)
def test_conv_output_sizes_from_the_guide(i: int, k: int, s: int, p: int, d: int, o: int) -> None:
    y = nm.conv(np.ones((1, 1, i)), np.ones((1, 1, k)), stride=s, padding=p, dilation=d)
    assert y.shape == (1, 1, o)


def test_transposed_size_ambiguity_needs_output_padding() -> None:
    # (6, 3, 2, 1) -> 3 and (5, 3, 2, 1) -> 3: only output_padding=1 gives 6 back.
    y = np.ones((1, 1, 3))
    w = np.ones((1, 1, 3))
    assert nm.conv_transpose(y, w, stride=2, padding=1).shape[-1] == 5
    assert nm.conv_transpose(y, w, stride=2, padding=1, output_padding=1).shape[-1] == 6


@pytest.mark.parametrize(
    ("i", "k", "s", "p", "o"),
    [(32, 1, 2, 0, 16), (9, 4, 4, 2, 3), (2, 3, 3, 1, 1), (5, 2, 2, 1, 3)],
)
def test_pool_ceil_mode_rule(i: int, k: int, s: int, p: int, o: int) -> None:
    x = np.arange(i, dtype=float).reshape(1, 1, i)
    assert nm.max_pool(x, k, s, p, ceil_mode=True).shape[-1] == o
    assert nm.avg_pool(x, k, s, p, ceil_mode=True).shape[-1] == o


def test_avg_pool_ceil_mode_divisor_is_clipped_to_padded_input() -> None:
    # n=4, k=3, s=2, p=1, ceil: windows start at -1, 1, 3; the last hangs past n + p = 5.
    x = np.array([[[1, 2, 3, 4]]])
    inc = nm.avg_pool(x, 3, 2, 1, ceil_mode=True)
    exc = nm.avg_pool(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    assert inc[0, 0].tolist() == [F(3, 3), F(9, 3), F(4, 2)]
    assert exc[0, 0].tolist() == [F(3, 2), F(9, 3), F(4, 1)]


def test_max_pool_ties_nan_and_all_minus_inf() -> None:
    x = np.array([[[2.0, 2.0, -np.inf, -np.inf, np.nan, 1.0, np.nan, 5.0]]])
    y, idx = nm.max_pool(x, 2, return_indices=True)
    assert idx[0, 0].tolist() == [0, 2, 4, 6]  # first max; -inf keeps the first; NaN wins
    assert y[0, 0, 0] == 2.0 and y[0, 0, 1] == -np.inf and np.isnan(y[0, 0, 2:]).all()
    # a NaN anywhere in the window propagates, and the last NaN is reported
    y, idx = nm.max_pool(np.array([[[np.nan, 9.0, np.nan]]]), 3, return_indices=True)
    assert np.isnan(y).all() and idx.item() == 2
    # padding is never reported: an all -inf window reports its first real position
    _, idx = nm.max_pool(np.full((1, 1, 3), -np.inf), 3, stride=2, padding=1, return_indices=True)
    assert idx[0, 0].tolist() == [0, 1]


def test_max_pool_integer_and_exact_inputs() -> None:
    x = np.array([[[np.iinfo(np.int64).min, -3, 7, 7]]])
    y, idx = nm.max_pool(x, 2, stride=1, padding=1, return_indices=True)
    assert y.dtype == np.int64
    assert y[0, 0].tolist() == [np.iinfo(np.int64).min, -3, 7, 7, 7]
    assert idx[0, 0].tolist() == [0, 1, 2, 2, 3]
    xf = np.array([[[F(1, 3), F(1, 2), F(-5, 2)]]], dtype=object)
    assert nm.max_pool(xf, 2, stride=1)[0, 0].tolist() == [F(1, 2), F(1, 2)]


def test_max_unpool_places_values_in_output_plane() -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y, idx = nm.max_pool(x, 2, return_indices=True)
    u = nm.max_unpool(y, idx, 2)
    expected = np.zeros_like(x)
    expected[0, 0, 1::2, 1::2] = x[0, 0, 1::2, 1::2]
    assert np.array_equal(u, expected)
    # with a larger output the same flat indices land elsewhere (PyTorch semantics)
    u5 = nm.max_unpool(y, idx, 2, output_size=(5, 5))
    assert u5.shape == (1, 1, 5, 5)
    assert np.array_equal(u5.ravel()[idx.ravel()], y.ravel())
    assert nm.max_unpool(y, idx, 2, output_size=(1, 1, 5, 5)).shape == (1, 1, 5, 5)


# --------------------------------------------------------------------------- FCN / resize facts


def fcn_kernel(f: int) -> np.ndarray:
    """Caffe's BilinearFiller: size 2f - f%2, centre f-1 (odd) or f-1/2 (even), 1 - |t-c|/f."""
    size = 2 * f - f % 2
    centre = F(f - 1) if size % 2 else F(2 * f - 1, 2)
    return np.array([1 - abs(t - centre) / f for t in range(size)], dtype=object)


def test_fcn_kernel_factor_two() -> None:
    assert fcn_kernel(2).tolist() == [F(1, 4), F(3, 4), F(3, 4), F(1, 4)]


@pytest.mark.parametrize("f", [2, 3, 4, 5])
def test_fcn_bilinear_deconv_vs_half_pixel_resize(f: int) -> None:
    # T12: equal except floor(f/2) border positions per side; equal on the edge-replicated input.
    rng = np.random.default_rng(f)
    x = rng.integers(-5, 6, (1, 2, 5, 4)).astype(object)
    k1 = fcn_kernel(f)
    w = np.stack([np.multiply.outer(k1, k1)] * 2)[:, None]
    pad = -(-(f - 1) // 2)
    deconv = nm.conv_transpose(x, w, stride=f, padding=pad, groups=2)
    resized = nm.upsample_linear(x, f)
    b = f // 2
    inner = (..., slice(b, -b), slice(b, -b))
    assert deconv.shape == resized.shape == (1, 2, 5 * f, 4 * f)
    assert np.array_equal(deconv[inner], resized[inner])
    assert not np.array_equal(deconv, resized)
    replicated = nm.conv_transpose(nm.pad(x, 1, "replicate"), w, f, pad + f, groups=2)
    assert np.array_equal(replicated, resized)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_align_corners_is_triangle_deconv(s: int) -> None:
    # T11: align_corners linear upsampling to s(n-1)+1 = transposed conv with 1 - |t|/s.
    n = 5
    x = np.random.default_rng(s).integers(-9, 10, (2, 1, n)).astype(object)
    tri = np.array([1 - F(abs(t - (s - 1)), s) for t in range(2 * s - 1)], dtype=object)
    up = nm.upsample_linear(x, F(s * (n - 1) + 1, n), align_corners=True)
    assert np.array_equal(up, nm.conv_transpose(x, tri.reshape(1, 1, -1), s, s - 1))


@pytest.mark.parametrize("s", [1, 2, 3])
def test_nearest_is_ones_deconv(s: int) -> None:
    # T09: nearest upsampling by s = transposed conv with ones(s), stride s, groups=C.
    x = np.random.default_rng(s).integers(-9, 10, (2, 3, 4, 3))
    w = np.ones((3, 1, s, s), dtype=np.int64)
    assert np.array_equal(nm.upsample_nearest(x, s), nm.conv_transpose(x, w, s, groups=3))


def test_resize_exact_fraction_values() -> None:
    x = np.array([[[F(1, 3), 2, 5]]], dtype=object)
    assert nm.upsample_linear(x, F(5, 3))[0, 0].tolist() == [F(1, 3), 1, 2, F(19, 5), 5]
    assert nm.upsample_linear(np.array([[[0, 4]]]), 2, align_corners=True)[0, 0].tolist() == [
        0,
        F(4, 3),
        F(8, 3),
        4,
    ]
    # nearest stays integer; Fraction factors are exact: floor(dst * 10 / 13)
    y = nm.upsample_nearest(np.arange(10).reshape(1, 1, 10), F(13, 10))
    assert y.dtype == np.int64 and y[0, 0].tolist() == [(d * 10) // 13 for d in range(13)]
    assert nm.upsample_nearest_exact(np.arange(4).reshape(1, 1, 4), F(3, 4))[0, 0].tolist() == [
        0,
        2,
        3,
    ]


def test_linear_resize_onnx_modes_exact() -> None:
    x = np.array([[[0, 10, 20, 30]]])
    assert nm.upsample_linear(x, 2, coordinate_mode="asymmetric")[0, 0].tolist() == [
        0,
        5,
        10,
        15,
        20,
        25,
        30,
        30,
    ]
    half = nm.upsample_linear(x, F(1, 4), coordinate_mode="half_pixel")
    torch_like = nm.upsample_linear(x, F(1, 4), coordinate_mode="pytorch_half_pixel")
    assert half[0, 0].tolist() == [15] and torch_like[0, 0].tolist() == [0]
    assert nm.upsample_linear(x, F(1, 4))[0, 0].tolist() == [15]


def test_shuffles_are_inverse_and_orders_differ() -> None:
    x = np.arange(2 * 8 * 2 * 3 * 1).reshape(2, 8, 2, 3, 1)
    y = nm.pixel_shuffle(x, 2)
    assert y.shape == (2, 1, 4, 6, 2)
    assert np.array_equal(nm.pixel_unshuffle(y, 2), x)
    x2 = np.arange(2 * 12 * 3 * 2).reshape(2, 12, 3, 2)
    assert np.array_equal(nm.depth_to_space(x2, 2, "CRD"), nm.pixel_shuffle(x2, 2))
    dcr = nm.depth_to_space(x2, 2)
    assert np.array_equal(nm.space_to_depth(dcr, 2), x2)
    assert not np.array_equal(dcr, nm.pixel_shuffle(x2, 2))


def test_grid_helpers() -> None:
    x = np.arange(1, 4).reshape(1, 1, 3)
    assert nm.zero_stretch(x, 2)[0, 0].tolist() == [1, 0, 2, 0, 3]
    assert nm.subsample(nm.zero_stretch(x, 3), 3)[0, 0].tolist() == [1, 2, 3]
    assert nm.pad(x, ((1, 2),), "circular")[0, 0].tolist() == [3, 1, 2, 3, 1, 2]
    assert nm.pad(x, 1, "replicate")[0, 0].tolist() == [1, 1, 2, 3, 3]
    xf = np.array([[[F(1, 2)]]], dtype=object)
    padded = nm.pad(xf, 1)
    assert padded.dtype == object and type(padded[0, 0, 0]) is int


# --------------------------------------------------------------------------- dtypes


def test_integer_in_integer_out_and_object_arrays() -> None:
    x = np.arange(12).reshape(1, 2, 6)
    w = np.arange(4).reshape(2, 1, 2)
    assert nm.conv(x, w, groups=2).dtype == np.int64
    assert nm.conv_transpose(x, w.reshape(2, 1, 2), stride=2, groups=2).dtype == np.int64
    assert nm.conv_grad_weight(x, nm.conv(x, w, groups=2), (2,), groups=2).dtype == np.int64
    xo = x.astype(object) / F(3)
    y = nm.conv(xo, w, groups=2)
    assert y.dtype == object
    assert np.array_equal(y * 3, nm.conv(x, w, groups=2))
    assert nm.conv(x.astype(float), w, groups=2).dtype == np.float64


def test_sympy_numbers_in_object_arrays() -> None:
    sympy = pytest.importorskip("sympy")
    a = sympy.Symbol("a")
    x = np.array([[[a, sympy.Rational(1, 2), 3]]], dtype=object)
    w = np.array([[[2, sympy.Rational(1, 3)]]], dtype=object)
    y = nm.conv(x, w)
    assert [sympy.expand(v) for v in y[0, 0]] == [2 * a + sympy.Rational(1, 6), 2]
    up = nm.upsample_linear(x, 2)
    assert sympy.expand(up[0, 0, 1] - (3 * a / 4 + sympy.Rational(1, 8))) == 0


# --------------------------------------------------------------------------- brute force


def brute_conv(x: np.ndarray, w: np.ndarray, s: tuple, pads: tuple, d: tuple, g: int) -> Any:
    """The definition, one output element at a time (tiny inputs only)."""
    nd = x.ndim - 2
    n = x.shape[2:]
    k = w.shape[2:]
    out = [(n[a] + pads[a][0] + pads[a][1] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(nd)]
    cg, og = x.shape[1] // g, w.shape[0] // g
    y = np.zeros((x.shape[0], w.shape[0], *out), dtype=object)
    for b, o in itertools.product(range(x.shape[0]), range(w.shape[0])):
        grp = o // og
        for j in itertools.product(*map(range, out)):
            acc = 0
            for c in range(cg):
                for t in itertools.product(*map(range, k)):
                    pos = [j[a] * s[a] - pads[a][0] + t[a] * d[a] for a in range(nd)]
                    if all(0 <= pos[a] < n[a] for a in range(nd)):
                        acc += w[(o, c, *t)] * x[(b, grp * cg + c, *pos)]
            y[(b, o, *j)] = acc
    return y


def brute_conv_transpose(
    x: np.ndarray, w: np.ndarray, s: tuple, pads: tuple, op: tuple, d: tuple, g: int
) -> Any:
    """Scatter-add by definition: x[i] * w[t] lands at i*s - p_b + d*t."""
    nd = x.ndim - 2
    n = x.shape[2:]
    k = w.shape[2:]
    out = [
        (n[a] - 1) * s[a] - pads[a][0] - pads[a][1] + d[a] * (k[a] - 1) + 1 + op[a]
        for a in range(nd)
    ]
    cg, og = x.shape[1] // g, w.shape[1]
    y = np.zeros((x.shape[0], og * g, *out), dtype=object)
    for b, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        grp = c // cg
        for i in itertools.product(*map(range, n)):
            for o in range(og):
                for t in itertools.product(*map(range, k)):
                    pos = [i[a] * s[a] - pads[a][0] + d[a] * t[a] for a in range(nd)]
                    if all(0 <= pos[a] < out[a] for a in range(nd)):
                        y[(b, grp * og + o, *pos)] += x[(b, c, *i)] * w[(c, o, *t)]
    return y


@st.composite
def conv_cases(draw: st.DrawFn, max_nd: int = 3, max_size: int = 5) -> dict[str, Any]:
    """A valid conv configuration (valid by construction) with small integer data."""
    nd = draw(st.integers(1, max_nd))
    g = draw(st.integers(1, 2))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    axes = []
    for _ in range(nd):
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2))
        s = draw(st.integers(1, 3))
        pb, pe = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        extent = d * (k - 1) + 1
        n = draw(st.integers(max(1, extent - pb - pe), max(1, extent - pb - pe) + max_size))
        axes.append((n, k, s, d, (pb, pe)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, k, s, d, p = zip(*axes, strict=True)
    return {
        "x": rng.integers(-4, 5, (draw(st.integers(1, 2)), cin, *n)),
        "w": rng.integers(-4, 5, (cout, cin // g, *k)),
        "stride": s,
        "dilation": d,
        "pads": p,
        "groups": g,
    }


def _a(n: int, k: int, s: int, d: int, pair: tuple[int, int]) -> int:
    return (n + pair[0] + pair[1] - d * (k - 1) - 1) % s


@given(conv_cases(max_nd=2, max_size=3))
def test_conv_and_transpose_match_brute_force(case: dict[str, Any]) -> None:
    x, w, s, d, p, g = (case[k] for k in ("x", "w", "stride", "dilation", "pads", "groups"))
    assert np.array_equal(nm.conv(x, w, s, p, d, g), brute_conv(x, w, s, p, d, g))
    y = nm.conv(x, w, s, p, d, g)
    op = tuple(
        _a(n, k, si, di, pi)
        for n, k, si, di, pi in zip(x.shape[2:], w.shape[2:], s, d, p, strict=True)
    )
    assert np.array_equal(
        nm.conv_transpose(y, w, s, p, op, d, g), brute_conv_transpose(y, w, s, p, op, d, g)
    )


@given(conv_cases())
def test_adjoint_exact(case: dict[str, Any]) -> None:
    """<conv(x), y> == <x, conv_transpose(y)> exactly, output_padding = a (theorem T02)."""
    x, w, s, d, p, g = (case[k] for k in ("x", "w", "stride", "dilation", "pads", "groups"))
    out = nm.conv(x, w, s, p, d, g)
    y = np.random.default_rng(out.size).integers(-4, 5, out.shape)
    op = tuple(
        _a(n, k, si, di, pi)
        for n, k, si, di, pi in zip(x.shape[2:], w.shape[2:], s, d, p, strict=True)
    )
    back = nm.conv_transpose(y, w, s, p, op, d, g)
    assert back.shape == x.shape
    assert int(np.sum(out * y)) == int(np.sum(x * back))
    assert np.array_equal(nm.conv_grad_input(y, w, x.shape, s, p, d, g), back)


@given(conv_cases(), st.data())
def test_adjoint_for_every_output_padding_below_stride(case: dict[str, Any], data: Any) -> None:
    """T02: for 0 <= op < s the transposed conv is the adjoint of the conv on n - a + op."""
    x, w, s, d, p, g = (case[k] for k in ("x", "w", "stride", "dilation", "pads", "groups"))
    out = nm.conv(x, w, s, p, d, g)
    n = x.shape[2:]
    a = [_a(n[i], w.shape[2 + i], s[i], d[i], p[i]) for i in range(len(n))]
    # any op < s, except those that would ask for an empty input (n - a + op >= 1)
    op = tuple(data.draw(st.integers(max(0, a[i] - n[i] + 1), s[i] - 1)) for i in range(len(n)))
    y = np.random.default_rng(out.size).integers(-4, 5, out.shape)
    back = nm.conv_transpose(y, w, s, p, op, d, g)
    assert back.shape[2:] == tuple(n[i] - a[i] + op[i] for i in range(len(n)))
    x2 = np.random.default_rng(back.size).integers(-4, 5, back.shape)
    assert int(np.sum(nm.conv(x2, w, s, p, d, g) * y)) == int(np.sum(x2 * back))


@given(conv_cases())
def test_weight_gradient_by_definition(case: dict[str, Any]) -> None:
    """dW[o, c, t] = sum_{n, j} g[n, o, j] x_pad[n, c, j*s + t*d], and <dW, w> = <g, conv(x)>."""
    x, w, s, d, p, g = (case[k] for k in ("x", "w", "stride", "dilation", "pads", "groups"))
    out = nm.conv(x, w, s, p, d, g)
    go = np.random.default_rng(out.size).integers(-4, 5, out.shape)
    dw = nm.conv_grad_weight(x, go, w.shape[2:], s, p, d, g)
    assert dw.shape == w.shape
    # conv is linear in w: the weight gradient paired with any w gives <g, conv(x; w)>
    w2 = np.random.default_rng(w.size).integers(-4, 5, w.shape)
    assert int(np.sum(dw * w2)) == int(np.sum(go * nm.conv(x, w2, s, p, d, g)))
    assert np.array_equal(nm.conv_grad_weight(x, go, w.shape, s, p, d, g), dw)


@given(conv_cases(), st.data())
def test_transpose_is_stride_one_conv_over_stretched_input(case: dict[str, Any], data: Any) -> None:
    """T06: flip the kernel, swap channels per group, stretch the input, pad d(k-1)-p (+op)."""
    w, s, d, g = (case[k] for k in ("w", "stride", "dilation", "groups"))
    nd = w.ndim - 2
    k = w.shape[2:]
    span = [d[a] * (k[a] - 1) for a in range(nd)]
    # p_b + p_e <= d(k-1) keeps the equivalent padding non-negative and the output non-empty
    p = []
    for a in range(nd):
        pb = data.draw(st.integers(0, span[a]))
        p.append((pb, data.draw(st.integers(0, span[a] - pb))))
    op = tuple(data.draw(st.integers(0, max(s[a], d[a]) - 1)) for a in range(nd))
    m = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    y = np.random.default_rng(sum(m)).integers(-4, 5, (2, w.shape[0], *m))
    direct = nm.conv_transpose(y, w, s, tuple(p), op, d, g)  # w read as (C_in, C_out/g, *k)
    cg = w.shape[0] // g
    flipped = np.flip(w, axis=tuple(range(2, 2 + nd)))
    swapped = np.concatenate(
        [np.swapaxes(flipped[i * cg : (i + 1) * cg], 0, 1) for i in range(g)], axis=0
    )
    pads = tuple((span[a] - p[a][0], span[a] - p[a][1] + op[a]) for a in range(nd))
    assert np.array_equal(direct, nm.conv(nm.zero_stretch(y, s), swapped, 1, pads, d, g))


@given(conv_cases())
def test_strided_and_dilated_conv_identities(case: dict[str, Any]) -> None:
    """T08 strided = dense then subsample; T07 dilated = conv with a zero-inserted kernel."""
    x, w, s, d, p, g = (case[k] for k in ("x", "w", "stride", "dilation", "pads", "groups"))
    y = nm.conv(x, w, s, p, d, g)
    assert np.array_equal(y, nm.subsample(nm.conv(x, w, 1, p, d, g), s))
    assert np.array_equal(nm.conv(x, w, 1, p, d, g), nm.conv(x, nm.zero_stretch(w, d), 1, p, 1, g))


@given(
    st.integers(1, 3).flatmap(
        lambda nd: st.tuples(
            st.just(nd),
            st.lists(
                st.tuples(st.integers(1, 3), st.integers(1, 3), st.booleans()),
                min_size=nd,
                max_size=nd,
            ),
            st.integers(0, 2**32 - 1),
        )
    )
)
def test_max_pool_matches_brute_force(args: tuple[int, list[tuple[int, int, bool]], int]) -> None:
    nd, axes, seed = args
    rng = np.random.default_rng(seed)
    k = tuple(a[0] for a in axes)
    s = tuple(a[1] for a in axes)
    pads = tuple((kk // 2, 0) if lead else (0, kk // 2) for kk, _, lead in axes)
    n = tuple(int(rng.integers(max(1, kk - kk // 2), kk + 4)) for kk in k)
    x = rng.integers(-3, 4, (1, 2, *n))
    y, idx = nm.max_pool(x, k, s, pads, return_indices=True)
    for c in range(2):
        for j in itertools.product(*map(range, y.shape[2:])):
            window = [
                p
                for p in itertools.product(
                    *(
                        range(j[a] * s[a] - pads[a][0], j[a] * s[a] - pads[a][0] + k[a])
                        for a in range(nd)
                    )
                )
                if all(0 <= p[a] < n[a] for a in range(nd))
            ]
            values = [x[(0, c, *p)] for p in window]
            best = max(values)
            first = window[values.index(best)]
            assert y[(0, c, *j)] == best
            assert idx[(0, c, *j)] == np.ravel_multi_index(first, n)


# --------------------------------------------------------------------------- invalid arguments

X1 = np.zeros((1, 4, 5))
W1 = np.zeros((2, 4, 3))
X2 = np.zeros((1, 1, 2, 2))

INVALID: list[tuple[str, Any, str]] = [
    (
        "conv",
        lambda: nm.conv(X1, np.zeros((3, 2, 3)), groups=2),
        "groups=2 must divide out_channels=3",
    ),
    (
        "conv",
        lambda: nm.conv(X1, np.zeros((3, 1, 3)), groups=3),
        "groups=3 must divide in_channels=4",
    ),
    ("conv", lambda: nm.conv(X1, W1, stride=0), "stride=0 must be a positive integer"),
    ("conv", lambda: nm.conv(X1, W1, stride=True), "stride=True must be a positive integer"),
    (
        "conv",
        lambda: nm.conv(X1, W1, dilation=1.0),
        "dilation=1.0 must be a positive integer or a tuple of them",
    ),
    ("conv", lambda: nm.conv(X1, W1, groups=False), "groups=False must be a positive integer"),
    ("conv", lambda: nm.conv(X1, W1, padding=-1), "padding=-1 must be a non-negative integer"),
    (
        "conv",
        lambda: nm.conv(X1, W1, stride=(1, 2)),
        "stride=(1, 2) must have one entry per spatial axis (1)",
    ),
    (
        "conv",
        lambda: nm.conv(X2, np.zeros((1, 1, 2, 2)), stride=(1, 0)),
        "stride=(1, 0) must contain only positive integers",
    ),
    (
        "conv",
        lambda: nm.conv(X2, np.zeros((1, 1, 2, 2)), padding=((1, 2), (0, -1))),
        "padding=((1, 2), (0, -1)) must contain only non-negative integers "
        "or (before, after) pairs",
    ),
    (
        "conv",
        lambda: nm.conv(X1, W1, stride=2, padding="same"),
        "stride=2 must be 1 when padding='same'",
    ),
    (
        "conv",
        lambda: nm.conv(X1, W1, padding="full"),
        "padding='full' must be 'valid', 'same', a non-negative integer, a tuple "
        "or (before, after) pairs",
    ),
    (
        "conv",
        lambda: nm.conv(np.zeros((1, 1, 2)), np.zeros((1, 1, 5)), padding=1),
        "kernel=5 must not exceed the padded input size 4 (input 2 + padding 1+1)",
    ),
    (
        "conv",
        lambda: nm.conv(np.zeros((1, 1, 4)), np.zeros((1, 1, 3)), dilation=2),
        "kernel=3 at dilation=2 (extent 5) must not exceed the padded input size 4 "
        "(input 4 + padding 0+0)",
    ),
    (
        "conv",
        lambda: nm.conv(X2, np.zeros((1, 1, 1, 3))),
        "kernel=3 must not exceed the padded input size 2 (input 2 + padding 0+0) "
        "on spatial axis 1",
    ),
    ("conv", lambda: nm.conv(X1, np.zeros((2, 4, 3, 3))), "w.ndim=4 must equal x.ndim=3"),
    ("conv", lambda: nm.conv(np.zeros((4, 5)), W1), "x.ndim=2 must be at least 3 (N, C, *spatial)"),
    (
        "conv",
        lambda: nm.conv(X1, np.zeros((2, 3, 3))),
        "w.shape[1]=3 must equal in_channels/groups=4",
    ),
    (
        "conv",
        lambda: nm.conv(X1.astype(bool), W1),
        "x.dtype=bool must be numeric (integer, float, complex or object)",
    ),
    (
        "conv",
        lambda: nm.conv(np.zeros((1, 0, 5)), W1),
        "x.shape=(1, 0, 5) must not contain a zero-size axis",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, np.zeros((4, 2, 3)), stride=2, output_padding=2),
        "output_padding=2 must be smaller than stride=2 or dilation=1",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, W1, output_padding=-1),
        "output_padding=-1 must be a non-negative integer",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, np.zeros((3, 2, 3))),
        "w.shape[0]=3 must equal in_channels=4",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, W1, groups=3),
        "w.shape[0]=2 must equal in_channels=4",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, np.zeros((4, 1, 3)), groups=3),
        "groups=3 must divide in_channels=4",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, np.zeros((4, 1, 3)), padding=9),
        "padding=9 must leave a positive output size (got -11)",
    ),
    (
        "conv_transpose",
        lambda: nm.conv_transpose(X1, np.zeros((4, 1, 3)), padding="same"),
        "padding='same' must be a non-negative integer, a tuple or (before, after) pairs",
    ),
    (
        "conv_grad_input",
        lambda: nm.conv_grad_input(np.zeros((1, 2, 2)), W1, (6,)),
        "grad_out.shape=(1, 2, 2) must equal the conv output shape (1, 2, 4) for input_size=(6,)",
    ),
    (
        "conv_grad_input",
        lambda: nm.conv_grad_input(np.zeros((1, 2, 3)), W1, (2, 4, 5)),
        "input_size=(2, 4, 5) must start with (N, C)=(1, 4)",
    ),
    (
        "conv_grad_input",
        lambda: nm.conv_grad_input(np.zeros((1, 2, 3)), W1, 5),
        "input_size=5 must be a tuple of positive integers",
    ),
    (
        "conv_grad_weight",
        lambda: nm.conv_grad_weight(X1, np.zeros((1, 2, 3)), (4,)),
        "grad_out.shape=(1, 2, 3) must equal the conv output shape (1, 2, 2) for x.shape=(1, 4, 5)",
    ),
    (
        "conv_grad_weight",
        lambda: nm.conv_grad_weight(X1, np.zeros((1, 3, 3)), (3,), groups=2),
        "groups=2 must divide out_channels=3",
    ),
    (
        "max_pool",
        lambda: nm.max_pool(X1, 3, padding=2),
        "padding=2 must be at most half of kernel=3",
    ),
    ("max_pool", lambda: nm.max_pool(X1, 0), "kernel=0 must be a positive integer"),
    ("max_pool", lambda: nm.max_pool(X1, 3, ceil_mode=1), "ceil_mode=1 must be a bool"),
    (
        "max_pool",
        lambda: nm.max_pool(X1, 3, return_indices="yes"),
        "return_indices='yes' must be a bool",
    ),
    (
        "max_pool",
        lambda: nm.max_pool(X1, 6),
        "kernel=6 must not exceed the padded input size 5 (input 5 + padding 0+0)",
    ),
    (
        "max_pool",
        lambda: nm.max_pool(X1.astype(complex), 2),
        "x.dtype=complex128 must be real (maxima need an order)",
    ),
    (
        "avg_pool",
        lambda: nm.avg_pool(X1, 2, padding=(2,)),
        "padding=2 must be at most half of kernel=2",
    ),
    (
        "avg_pool",
        lambda: nm.avg_pool(X1, 2, count_include_pad=None),
        "count_include_pad=None must be a bool",
    ),
    (
        "max_unpool",
        lambda: nm.max_unpool(np.ones((1, 1, 2)), np.array([[[0, 4]]]), 2),
        "indices=4 must lie in [0, 4), the flat positions of an output plane of size (4,)",
    ),
    (
        "max_unpool",
        lambda: nm.max_unpool(np.ones((1, 1, 2)), np.array([[[0, 1]]]), 2, output_size=(6,)),
        "output_size=(6,) must lie strictly between default - stride and "
        "default + stride per axis, i.e. (2,) < size < (6,)",
    ),
    (
        "max_unpool",
        lambda: nm.max_unpool(np.ones((1, 1, 2)), np.array([[[0.0, 1.0]]]), 2),
        "indices.dtype=float64 must be an integer type",
    ),
    (
        "max_unpool",
        lambda: nm.max_unpool(np.ones((1, 1, 2)), np.array([[0, 1]]), 2),
        "indices.shape=(1, 2) must equal x.shape=(1, 1, 2)",
    ),
    (
        "upsample_nearest",
        lambda: nm.upsample_nearest(X1, 0),
        "scale_factor=0 must be a positive int, Fraction or float",
    ),
    (
        "upsample_nearest",
        lambda: nm.upsample_nearest(X1, True),
        "scale_factor=True must be a positive int, Fraction or float",
    ),
    (
        "upsample_nearest",
        lambda: nm.upsample_nearest(X1, 0.1),
        "scale_factor=0.1 must give a positive output size (input 5 -> 0)",
    ),
    (
        "upsample_nearest",
        lambda: nm.upsample_nearest(X1, (2, 2)),
        "scale_factor=(2, 2) must have one entry per spatial axis (1)",
    ),
    (
        "upsample_linear",
        lambda: nm.upsample_linear(X1, 2, coordinate_mode="tf_crop_and_resize"),
        "coordinate_mode='tf_crop_and_resize' must be None or one of 'half_pixel', "
        "'pytorch_half_pixel', 'align_corners', 'asymmetric'",
    ),
    (
        "upsample_linear",
        lambda: nm.upsample_linear(X1, 2, align_corners=True, coordinate_mode="asymmetric"),
        "align_corners=True must not be combined with coordinate_mode='asymmetric'",
    ),
    (
        "upsample_linear",
        lambda: nm.upsample_linear(X1, 2, align_corners=0),
        "align_corners=0 must be a bool",
    ),
    ("pixel_shuffle", lambda: nm.pixel_shuffle(X2, 2), "x.shape[1]=1 must be divisible by r**2=4"),
    ("pixel_shuffle", lambda: nm.pixel_shuffle(X1, 0), "r=0 must be a positive integer"),
    (
        "pixel_unshuffle",
        lambda: nm.pixel_unshuffle(np.zeros((1, 1, 3, 4)), 2),
        "x.shape[2:]=(3, 4) must be divisible by r=2",
    ),
    (
        "depth_to_space",
        lambda: nm.depth_to_space(np.zeros((1, 4, 1, 1)), 2, mode="dcr"),
        "mode='dcr' must be 'DCR' or 'CRD'",
    ),
    (
        "pad",
        lambda: nm.pad(X1, 5, "reflect"),
        "padding=5 must be smaller than the input size 5 for mode='reflect'",
    ),
    (
        "pad",
        lambda: nm.pad(X1, 6, "circular"),
        "padding=6 must be at most the input size 5 for mode='circular'",
    ),
    (
        "pad",
        lambda: nm.pad(X1, 1, "edge"),
        "mode='edge' must be 'zeros', 'reflect', 'replicate' or 'circular'",
    ),
    ("zero_stretch", lambda: nm.zero_stretch(X1, 0), "s=0 must be a positive integer"),
]


@pytest.mark.parametrize(
    ("op", "call", "message"), INVALID, ids=[f"{i}-{c[0]}" for i, c in enumerate(INVALID)]
)
def test_invalid_arguments(op: str, call: Any, message: str) -> None:
    with pytest.raises(InvalidSpecError) as info:
        call()
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
