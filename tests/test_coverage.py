"""Tests of symconv.coverage.

References are independent of the module under test: brute-force tap counting, the numpy
reference operators (``symconv.numeric``) applied to one-hot and constant inputs, and the same
layer inside a larger input (which must agree with the finite layer on every interior position:
that is what "interior" promises).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from math import ceil, gcd, prod
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from symconv import (
    AvgPool,
    Conv,
    ConvTranspose,
    InvalidSpecError,
    MaxPool,
    MaxUnpool,
    Resize,
    UnsupportedError,
    resolve,
)
from symconv.coverage import (
    analyze,
    checkerboard,
    gradient_checkerboard,
    is_uniform_overlap,
    overlap_count,
    overlap_pattern,
    phase_sums,
    preserves_constant,
    resize_conv_alternative,
    stack_coverage,
    structure_map,
    suggest_kernels,
    windows,
)
from symconv.coverage.receptive import receptive_field
from symconv.numeric import conv, conv_transpose
from symconv.spec.syntax import parse_layers
from symconv.testing import LayerCase, layers

from strategies import conv_specs, conv_transpose_specs

# --------------------------------------------------------------------------- closed forms


def brute_count(j: int, k: int, s: int, p: int, d: int) -> int:
    """Pairs (i, t) of an unbounded input with i s - p + t d = j."""
    return sum(1 for i in range(-40, 60) for t in range(k) if i * s - p + t * d == j)


def test_overlap_count_is_the_brute_force_count() -> None:
    for k in range(1, 7):
        for s in range(1, 5):
            for d in range(1, 4):
                for p in range(3):
                    for j in range(8):
                        assert overlap_count(j, k, s, p, d) == brute_count(j, k, s, p, d)
                    assert overlap_pattern(k, s, p, d) == tuple(
                        overlap_count(j, k, s, p, d) for j in range(s))


def test_uniform_overlap_predicate_matches_the_pattern() -> None:
    for k in range(1, 9):
        for s in range(1, 6):
            for d in range(1, 5):
                pattern = overlap_pattern(k, s, 0, d)
                assert is_uniform_overlap(k, s, d) == (len(set(pattern)) == 1), (k, s, d)


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=6), st.integers(1, 4),
       st.integers(1, 3), st.integers(0, 2))
def test_phase_sums_give_the_constant_response(w: list[int], s: int, d: int, p: int) -> None:
    kernel = np.array(w, dtype=np.int64)
    n = 12
    y = conv_transpose(np.full((1, 1, n), 3, dtype=np.int64), kernel.reshape(1, 1, -1),
                       stride=s, padding=p, dilation=d)[0, 0]
    lo = max(0, d * (len(w) - 1) - p - s + 1)
    hi = min(y.size, s * n - p)
    sums = phase_sums(kernel, s, d)
    for j in range(lo, hi):
        assert y[j] == 3 * sums[(j + p) % s]
    if hi - lo >= s:
        assert preserves_constant(kernel, s, d) == bool(np.all(y[lo:hi] == y[lo]))


def test_phase_sums_are_exact_and_nd() -> None:
    w = np.array([[Fraction(1, 3), Fraction(2, 3)], [Fraction(1, 2), Fraction(1, 2)]],
                 dtype=object)
    sums = phase_sums(w, (2, 2))
    assert sums.shape == (2, 2) and sums[0, 0] == Fraction(1, 3)
    assert preserves_constant(np.ones((4, 6)), (2, 3))
    assert not preserves_constant(np.ones((3, 6)), (2, 3))
    with pytest.raises(InvalidSpecError, match="stride="):
        phase_sums([1, 2], 0)


# --------------------------------------------------------------------------- interior


def _periods(layer: Any, sizes: tuple[int, ...]) -> list[tuple[int, int]]:
    return [(rf.period, rf.shift) for rf in (receptive_field([layer], input_size=sizes, axis=a)
                                             for a in range(len(sizes)))]


def _embedded(layer: Any, sizes: tuple[int, ...]) -> tuple[Any, Any, list[int], list[int]]:
    """The layer on ``sizes`` and inside a larger input, with the output and input shifts."""
    periods = _periods(layer, sizes)
    margins = [ceil((layer.kernel[0] if hasattr(layer, "kernel") else 2) * 3 / max(q, 1)) + 2
               for _, q in periods]
    big = tuple(n + 2 * q * m for n, (_, q), m in zip(sizes, periods, margins, strict=True))
    out_shift = [p * m for (p, _), m in zip(periods, margins, strict=True)]
    in_shift = [q * m for (_, q), m in zip(periods, margins, strict=True)]
    return structure_map(layer, sizes), structure_map(layer, big), out_shift, in_shift


def _entries(m: Any, keep_rows: Any, keep_cols: Any, shift_out: list[int],
             shift_in: list[int]) -> list[tuple[Any, ...]]:
    assert m.in_shape is not None and m.out_shape is not None
    rows = np.stack(np.unravel_index(m.rows, m.out_shape[1:]))
    cols = np.stack(np.unravel_index(m.cols, m.in_shape[1:]))
    rows = rows - np.array(shift_out)[:, None]
    cols = cols - np.array(shift_in)[:, None]
    mask = keep_rows(rows) & keep_cols(cols)
    taps = m.taps[:, 0] if m.degree else np.zeros(m.nnz, dtype=np.int64)
    return sorted(zip(*(r.tolist() for r in rows[:, mask]), *(c.tolist() for c in cols[:, mask]),
                      taps[mask].tolist(), strict=True))


def _inside(box: Any) -> Any:
    def keep(coords: Any) -> Any:
        mask = np.ones(coords.shape[1], dtype=bool)
        for a, (lo, hi) in enumerate(box):
            mask &= (coords[a] >= lo) & (coords[a] < hi)
        return mask

    return keep


def _every(coords: Any) -> Any:
    return np.ones(coords.shape[1], dtype=bool)


def _shift_invariant(case: LayerCase) -> bool:
    """Explicit pads, and resizes by a scale factor with a shift-invariant coordinate map (no
    ``align_corners``): the layers whose structure commutes with shifting the input."""
    layer: Any = case.layer
    if isinstance(layer, Resize):
        return layer.scale_factor is not None and layer.align_corners is not True
    return not isinstance(layer.padding, str)


def _one_group(case: LayerCase) -> LayerCase:
    if isinstance(case.layer, Conv | ConvTranspose):
        return case._replace(layer=dataclasses.replace(case.layer, groups=1, in_channels=None,
                                                       out_channels=None))
    return case


#: The kit's torch layers whose structure commutes with shifting the input, with edge sizes.
SHIFT_INVARIANT = layers(kind=("conv", "conv-transpose", "max-pool", "avg-pool", "resize"),
                         convention="torch", ndim=(1, 2)).filter(_shift_invariant).map(_one_group)


@given(SHIFT_INVARIANT)
def test_forward_interior_is_border_free(case: tuple[Any, tuple[int, ...]]) -> None:
    layer, sizes = case
    cb = checkerboard(layer, sizes)
    assume(not cb.empty)
    small, big, out_shift, in_shift = _embedded(layer, sizes)
    box = cb.interior
    moved = [(lo + s, hi + s) for (lo, hi), s in zip(box, out_shift, strict=True)]
    assert _entries(small, _inside(box), _every, [0] * len(box), [0] * len(box)) == _entries(
        big, _inside(box), _every, out_shift, in_shift)
    assert np.array_equal(cb.counts[tuple(slice(lo, hi) for lo, hi in box)],
                          np.bincount(big.rows, minlength=big.shape[0]).reshape(
                              big.out_shape[1:])[tuple(slice(a, b) for a, b in moved)])


@given(SHIFT_INVARIANT)
def test_gradient_interior_is_border_free(case: tuple[Any, tuple[int, ...]]) -> None:
    layer, sizes = case
    cb = gradient_checkerboard(layer, sizes)
    assume(not cb.empty)
    small, big, out_shift, in_shift = _embedded(layer, sizes)
    box = cb.interior
    assert _entries(small, _every, _inside(box), [0] * len(box), [0] * len(box)) == _entries(
        big, _every, _inside(box), out_shift, in_shift)


def test_windows_of_a_transposed_conv() -> None:
    lo, hi = windows(ConvTranspose(kernel=3, stride=2, padding=1), 4, 0, np.arange(-2, 10))
    for j, a, b in zip(range(-2, 10), lo.tolist(), hi.tolist(), strict=True):
        inputs = [(j + 1 - t) // 2 for t in range(3) if (j + 1 - t) % 2 == 0]
        assert a <= min(inputs) and max(inputs) <= b  # hull of the inputs a tap lands on
        assert b - a <= 1


# --------------------------------------------------------------------------- metrics


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2), st.integers(1, 3),
       st.integers(6, 14))
def test_pattern_is_aligned_to_absolute_positions(k: int, s: int, p: int, d: int,
                                                  n: int) -> None:
    layer = ConvTranspose(kernel=k, stride=s, padding=p, dilation=d)
    try:
        cb = checkerboard(layer, n)
    except InvalidSpecError:
        assume(False)
    assume(cb.complete)
    assert cb.periodic
    period = cb.period[0]
    assert s % period == 0
    for j in range(s):
        assert cb.pattern[j % period] == overlap_count(j, k, s, p, d)
    assert cb.uniform == is_uniform_overlap(k, s, d)
    expected_ratio = None if min(overlap_pattern(k, s, p, d)) == 0 else Fraction(
        max(overlap_pattern(k, s, p, d)), min(overlap_pattern(k, s, p, d)))
    assert cb.ratio == expected_ratio
    assert cb.holes == (0 in overlap_pattern(k, s, p, d))


def test_border_is_reported_separately() -> None:
    cb = checkerboard(ConvTranspose(kernel=4, stride=2, padding=1), 6)
    assert cb.interior == ((1, 11),)
    assert cb.counts.tolist() == [1] + [2] * 10 + [1]
    assert cb.border_positions == 2 and cb.border_range == (1, 1)
    assert cb.uniform and cb.min == 2


def test_gradient_checkerboard_of_a_strided_conv() -> None:
    cb = gradient_checkerboard(Conv(kernel=3, stride=2, padding=1), (8, 8))
    assert cb.pattern.tolist() == [[1, 2], [2, 4]]
    assert cb.ratio == 4 and cb.axis_ratio() == (2, 2)
    even = gradient_checkerboard(Conv(kernel=4, stride=2, padding=1), (8, 8))
    assert even.uniform


# --------------------------------------------------------------------------- stacks


def _dense(layer: Any, n: int) -> Any:
    """The 0/1 structure of a conv or transposed conv from the reference op on one-hots."""
    k = layer.kernel[0]
    kw = {"stride": layer.stride[0], "padding": layer.padding[0][0],
          "dilation": layer.dilation[0]}
    eye = np.eye(n).reshape(n, 1, n)
    if isinstance(layer, Conv):
        out = conv(eye, np.ones((1, 1, k)), **kw)
    else:
        out = conv_transpose(eye, np.ones((1, 1, k)), output_padding=layer.output_padding[0],
                             **kw)
    return out[:, 0, :].T  # (outputs, inputs)


@st.composite
def small_stacks(draw: st.DrawFn) -> tuple[list[Any], int]:
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            spec = draw(conv_specs(1, "torch"))
            assume(not isinstance(spec.padding, str))
        else:
            spec = draw(conv_transpose_specs(1, "torch"))
        layers.append(dataclasses.replace(spec, groups=1, in_channels=None, out_channels=None))
    n = draw(st.integers(1, 12))
    try:
        stack_coverage(layers, n)
    except InvalidSpecError:
        assume(False)
    return layers, n


@given(small_stacks())
def test_stack_counts_are_products_of_reference_matrices(case: tuple[list[Any], int]) -> None:
    layers, n = case
    st_cov = stack_coverage(layers, n)
    total = np.eye(n)
    size = n
    for depth, layer in enumerate(layers, 1):
        dense = _dense(layer, size)
        total = dense @ total
        size = dense.shape[0]
        assert np.array_equal(total.sum(axis=1), st_cov.forward[depth])
    assert np.array_equal(total.sum(axis=0), st_cov.gradient)


def test_uneven_overlaps_compound_or_cancel() -> None:
    worse = analyze(parse_layers(["conv-transpose k=3 s=2", "conv-transpose k=3 s=2"]), 32)
    assert worse.interaction == "compounds"
    assert worse.stack.pattern.tolist() == [3, 2, 3, 1] and worse.stack.ratio == 3
    cancel = analyze(parse_layers(["conv-transpose k=3 s=2", "conv-transpose k=4 s=2"]), 32)
    assert cancel.interaction == "cancels" and cancel.uniform and cancel.stack.min == 3
    cancel2 = analyze(parse_layers(["conv-transpose k=3 s=2", "conv k=2"]), 32)
    assert cancel2.uniform
    even = analyze(parse_layers(["conv-transpose k=4 s=2 p=1"] * 2), (8, 8))
    assert even.interaction == "uniform" and even.uniform
    assert even.stack.min == 16  # 2 x 2 per layer and axis


def test_stack_interior_shrinks_with_depth() -> None:
    st_cov = stack_coverage(parse_layers(["conv k=3 p=1"] * 4), 20)
    boxes = [st_cov.depth(d).interior[0] for d in range(1, 5)]
    assert boxes == [(1, 19), (2, 18), (3, 17), (4, 16)]
    assert all(st_cov.depth(d).pattern.tolist() == [3**d] for d in range(1, 5))


def test_fixed_weight_layers_report_constant_preservation() -> None:
    a = analyze(parse_layers(["upsample-linear f=3", "avg-pool k=2", "conv-transpose k=3 s=2"]),
                12)
    linear, pool, tconv = a.per_layer
    assert not linear.forward.uniform and linear.constant_preserving is True
    assert pool.constant_preserving is True and tconv.constant_preserving is None


# --------------------------------------------------------------------------- suggestions


@given(st.data())
def test_suggestions_are_even_and_keep_the_size(data: st.DataObject) -> None:
    ndim = data.draw(st.integers(1, 2))
    spec = dataclasses.replace(data.draw(conv_transpose_specs(ndim, "torch")), groups=1,
                               in_channels=None, out_channels=None)
    n = tuple(data.draw(st.integers(4, 12)) for _ in range(ndim))
    try:
        r = resolve(spec, n)
    except InvalidSpecError:
        assume(False)
    found = suggest_kernels(spec, n)
    layer = r.layer
    uneven = not all(is_uniform_overlap(k, s, d) for k, s, d in
                     zip(layer.kernel, layer.stride, layer.dilation, strict=True))
    assert bool(found) == uneven
    for s in found:
        new = resolve(s.layer, n).layer
        assert all(is_uniform_overlap(k, st_, d) for k, st_, d in
                   zip(new.kernel, new.stride, new.dilation, strict=True))
        assert s.keeps_output_size == (resolve(s.layer, n).output == r.output)
        assert tuple(new.stride) == tuple(layer.stride)
        reach = max(d * (k - 1) + 1 for k, d in zip(new.kernel, new.dilation, strict=True))
        big = checkerboard(s.layer, tuple(v + 2 * reach + 4 for v in n))
        assert big.complete and big.uniform
    if uneven and all(gcd(s_, d) == 1 for s_, d in zip(layer.stride, layer.dilation,
                                                       strict=True)):
        assert any(s.keeps_output_size for s in found)


@given(st.data())
def test_resize_conv_keeps_the_size_and_is_even(data: st.DataObject) -> None:
    ndim = data.draw(st.integers(1, 2))
    spec = dataclasses.replace(data.draw(conv_transpose_specs(ndim, "torch")), groups=1,
                               in_channels=None, out_channels=None)
    n = tuple(data.draw(st.integers(4, 10)) for _ in range(ndim))
    try:
        r = resolve(spec, n)
    except InvalidSpecError:
        assume(False)
    alt = resize_conv_alternative(spec, n)
    assert alt.keeps_output_size and alt.output_size == r.output
    reach = max(resolve(alt.conv, (64,) * ndim).layer.kernel)
    path = stack_coverage([alt.upsample, alt.conv], tuple(v + 2 * reach + 4 for v in n))
    cb = path.depth(2)
    assert cb.complete and cb.uniform
    assert alt.equivalent_kernel == tuple(k + s - 1 for k, s in
                                          zip(resolve(alt.conv, (9,) * ndim).layer.kernel,
                                              r.layer.stride, strict=True))


def test_gradient_suggestions_for_a_strided_conv() -> None:
    found = suggest_kernels(Conv(kernel=3, stride=2, padding=1), 16)
    assert [s.layer for s in found] == [Conv(kernel=4, stride=2, padding=1),
                                        Conv(kernel=2, stride=2)]
    assert all(s.keeps_output_size for s in found)
    assert suggest_kernels(Conv(kernel=4, stride=2, padding=1), 16) == ()


def test_dilation_changes_when_no_kernel_can_fix_it() -> None:
    found = suggest_kernels(ConvTranspose(kernel=3, stride=2, dilation=2), 8)
    assert found and all(gcd(2, s.dilation[0]) == 1 for s in found)
    assert all("dilation changed" in s.note for s in found)


# --------------------------------------------------------------------------- rejections


REJECTED: list[tuple[Any, type[Exception], str]] = [
    (lambda: checkerboard(Conv(kernel=3), 0), InvalidSpecError, "input_size=0"),
    (lambda: checkerboard(Conv(kernel=3), (4, True)), InvalidSpecError, "input_size="),
    (lambda: checkerboard(Conv(kernel=5), 3), InvalidSpecError, "kernel=5"),
    (lambda: stack_coverage([], 4), InvalidSpecError, "layers=()"),
    (lambda: stack_coverage(["conv"], 4), InvalidSpecError, "layer specs"),
    (lambda: checkerboard(MaxUnpool(kernel=2), 4), UnsupportedError, "switches"),
    (lambda: suggest_kernels(AvgPool(kernel=2), 4), InvalidSpecError, "must be a Conv"),
    (lambda: resize_conv_alternative(Conv(kernel=2), 4), InvalidSpecError, "ConvTranspose"),
    (lambda: stack_coverage([Conv(kernel=3)], 5).depth(2), InvalidSpecError, "l=2"),
]


@pytest.mark.parametrize(("call", "error", "fragment"), REJECTED,
                         ids=[r[2] for r in REJECTED])
def test_rejections(call: Any, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=None) as info:
        call()
    assert fragment in str(info.value)


def test_max_pool_structure_is_its_windows() -> None:
    m = structure_map(MaxPool(kernel=3, stride=2, padding=1, ceil_mode=True), 9)
    assert np.bincount(m.rows).tolist() == [2, 3, 3, 3, 2]
    assert resize_structure_is_unit()


def resize_structure_is_unit() -> bool:
    m = structure_map(Resize(scale_factor=2, mode="linear"), 4)
    return bool(np.all(np.asarray(m.num) == 1) and m.degree == 0)


# --------------------------------------------------------------------------- budgets (issue 15)

from symconv.coverage.budget import DEFAULT_MAX_NNZ, check_analysis, plan  # noqa: E402
from symconv.coverage.receptive import MAX_TABLE_WORK, table_work  # noqa: E402
from symconv.coverage.suggestions import _coprime_dilations  # noqa: E402

BOUNDED = ["conv k=3 s=2 p=1", "conv k=3 d=2 p=3 padding_mode=reflect", "conv-transpose k=3 s=2",
           "conv-transpose k=4 s=3 p=1 op=1 d=2", "max-pool k=3 s=2 p=1 ceil", "avg-pool k=2",
           "avg-pool k=3 s=2 p=1 ceil", "upsample-nearest f=3", "upsample-linear f=2",
           "upsample-linear f=3/2 align_corners", "pixel-shuffle r=2", "pixel-unshuffle r=2",
           "adaptive-avg-pool o=3", "adaptive-max-pool o=nonex4", "global-avg-pool"]


@pytest.mark.parametrize("text", BOUNDED)
@pytest.mark.parametrize("size", [(12,), (12, 8)])
def test_plan_bounds_every_structure_map(text: str, size: tuple[int, ...]) -> None:
    if "nonex" in text and len(size) == 1:
        pytest.skip("a 2-D output size")
    layer = parse_layers([text])[0]
    p = plan([layer], size)
    m = structure_map(layer, size)
    assert m.nnz <= p.layers[0].nnz <= 4 * max(m.nnz, 1)
    assert p.layers[0].output == tuple(m.out_shape[1:])  # type: ignore[index]
    assert p.positions == prod(size) + m.shape[0]


def test_pool_structure_is_the_windows_of_the_conv_path() -> None:
    # pools are built through a convolution's windows; the entries are those of the exact map
    from symconv.core import avg_pool_map

    for k, st_, p, d, cls in ((3, 2, 1, 2, MaxPool), (2, 3, 0, 1, AvgPool)):
        layer = cls(kernel=k, stride=st_, padding=p, ceil_mode=True,
                    **({"dilation": d} if cls is MaxPool else {}))
        m = structure_map(layer, (11, 7))
        avg = avg_pool_map(AvgPool(kernel=k, stride=st_, padding=p, dilation=d, ceil_mode=True,
                                   count_include_pad=False, convention="onnx", ndim=2),
                           (1, 11, 7))
        assert m.shape == avg.shape and m.nnz == avg.nnz
        assert sorted(zip(m.rows.tolist(), m.cols.tolist(), strict=True)) == sorted(
            zip(avg.rows.tolist(), avg.cols.tolist(), strict=True))


def test_a_huge_stride_is_refused_before_any_allocation() -> None:
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(InvalidSpecError) as info:
        analyze([ConvTranspose(kernel=3, stride=10**9)], 4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - start < 2 and peak < 2**24
    text = str(info.value)
    assert text.startswith(f"max_nnz={DEFAULT_MAX_NNZ:,} must be at least the 3,000,000,")
    assert "layer 1 'conv-transpose k=3 s=1000000000'" in text and "max_nnz=" in text
    assert "--max-nnz" in text and "\n" not in text


@pytest.mark.parametrize("text", ["conv k=3 d=1000000000", "max-pool k=2 s=1000000000",
                                  "upsample-nearest f=1000000000", "pixel-shuffle r=100000",
                                  "conv-transpose k=3 s=1000 d=1000000"])
def test_parameter_values_are_budgeted(text: str) -> None:
    with pytest.raises((InvalidSpecError, UnsupportedError)) as info:
        analyze(parse_layers([text]), (8, 8))
    assert "\n" not in str(info.value) and len(str(info.value)) < 600


def test_max_nnz_raises_the_budget() -> None:
    layers = parse_layers(["conv-transpose k=3 s=2"])
    need = plan(layers, (64, 64)).entries
    with pytest.raises(InvalidSpecError, match=f"max_nnz={need - 1:,} must be at least"):
        analyze(layers, (64, 64), max_nnz=need - 1)
    assert analyze(layers, (64, 64), max_nnz=check_analysis(plan(layers, (64, 64))).entries)
    with pytest.raises(InvalidSpecError, match="max_nnz=0 must be a positive integer"):
        stack_coverage(layers, 8, max_nnz=0)


def test_receptive_tables_are_budgeted_before_tabulating() -> None:
    assert table_work([Resize(scale_factor=1000)], 4) == [(1000, 1, 7000)]
    with pytest.raises(UnsupportedError, match="MAX_TABLE_WORK") as info:
        receptive_field([Resize(scale_factor=10**6, mode="linear")], input_size=4)
    assert "layer 1" in str(info.value)
    big = MAX_TABLE_WORK // 7 + 1
    with pytest.raises(UnsupportedError, match="work units"):
        analyze([Resize(scale_factor=big, mode="linear")], 2)


def test_resize_deps_in_integers_match_the_fraction_definition() -> None:
    from symconv.coverage.receptive import _Resample
    from symconv.spec import NearestMode, ResizeMode

    def floor(x: Fraction) -> int:
        return x.numerator // x.denominator

    rounding = {NearestMode.FLOOR: floor, NearestMode.CEIL: lambda x: -floor(-x),
                NearestMode.ROUND_PREFER_FLOOR: lambda x: -floor(Fraction(1, 2) - x),
                NearestMode.ROUND_PREFER_CEIL: lambda x: floor(x + Fraction(1, 2))}
    for scale in (Fraction(2, 3), Fraction(5, 2), Fraction(1, 4), Fraction(7, 5)):
        for shift in (Fraction(0), scale / 2 - Fraction(1, 2), Fraction(-3, 7)):
            for nm, rule in rounding.items():
                m = _Resample(scale, shift, ResizeMode.NEAREST, nearest=nm)
                assert all(m.deps(j) == (rule(j * scale + shift), 1, 1) for j in range(-9, 30))
            m = _Resample(scale, shift, ResizeMode.LINEAR)
            for j in range(-9, 30):
                x = j * scale + shift
                assert m.deps(j) == (floor(x), 1, 1 if x == floor(x) else 2)


def test_suggestions_do_not_loop_over_the_stride() -> None:
    import time

    start = time.perf_counter()
    assert _coprime_dilations(10**9, 10**9 - 2, 2) == [999999997, 999999999]
    out = suggest_kernels(Conv(kernel=3, stride=10**6, padding=0), 2 * 10**6)
    assert out and all(s.layer.kernel[0] % 10**6 == 0 for s in out)
    assert time.perf_counter() - start < 2


def test_coprime_dilations_match_the_exhaustive_search() -> None:
    for s in range(1, 30):
        for d in range(1, 30):
            found = [v for v in range(1, d + 2 * s + 1) if gcd(v, s) == 1]
            assert _coprime_dilations(s, d) == sorted(found, key=lambda v: (abs(v - d), v))[:3]
