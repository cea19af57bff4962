"""Tests of symconv.coverage.receptive.

The reference is brute-force reachability: the exact set of input positions each output
depends on, obtained by composing per-layer dependency *sets* written from the layer
definitions (a transposed conv as a scatter, resizing from the source-index formulas of
CONVENTIONS.md, ...), with no hulls and no periodicity.  ``span(j)`` must be its min and max,
for outputs beyond the first period too.  The torch-marked test checks the per-layer
definitions themselves against PyTorch on one-hot inputs.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv import (
    AvgPool,
    Conv,
    ConvTranspose,
    CoordinateMode,
    InvalidSpecError,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
    UnsupportedError,
    resolve,
)
from symconv.coverage.receptive import MAX_PERIOD, receptive_field

# --------------------------------------------------------------------------- brute force


def floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def resize_source(layer: Resize, x: int, n: int | None, o: int | None) -> set[int]:
    """Input positions output ``x`` of a resize reads (CONVENTIONS.md, Resizing), unclamped."""
    if layer.size is not None:
        assert n is not None
        scale = Fraction(n, layer.size[0])
    else:
        scale = 1 / Fraction(layer.scale_factor[0])
    cm, half = layer.coordinate_mode, Fraction(1, 2)
    if cm is CoordinateMode.ASYMMETRIC:
        src = x * scale
    elif cm is CoordinateMode.ALIGN_CORNERS:
        assert n is not None and o is not None
        src = Fraction(0) if o == 1 else x * Fraction(n - 1, o - 1)
    elif cm is CoordinateMode.PYTORCH_HALF_PIXEL and o == 1:
        src = Fraction(0)
    else:
        src = (x + half) * scale - half
    if layer.mode is ResizeMode.NEAREST:
        return {floor(src)}
    if layer.mode is ResizeMode.NEAREST_EXACT:
        return {floor(src + half)}  # PyTorch: floor((dst + 0.5) * scale) for half_pixel
    x0 = floor(src)
    return {x0} if src == x0 else {x0, x0 + 1}  # a zero weight is no dependency


def layer_deps(layer: Any, x: int, pb: int, n: int | None, o: int | None) -> set[int]:
    """Positions of the layer's input that output ``x`` depends on, from the definitions."""
    if isinstance(layer, Conv | MaxPool | AvgPool):
        k, s, d = layer.kernel[0], layer.stride[0], layer.dilation[0]
        return {x * s - pb + t * d for t in range(k)}
    if isinstance(layer, ConvTranspose):  # scatter: input i adds into i s - pb + t d
        k, s, d = layer.kernel[0], layer.stride[0], layer.dilation[0]
        lo, hi = (x + pb - (k - 1) * d) // s - 1, (x + pb) // s + 1
        return {i for i in range(lo, hi + 1) for t in range(k) if i * s - pb + t * d == x}
    if isinstance(layer, MaxUnpool):  # input i lands somewhere in its pooling window
        k, s = layer.kernel[0], layer.stride[0]
        lo, hi = (x + pb - k) // s - 1, (x + pb) // s + 1
        return {i for i in range(lo, hi + 1) if i * s - pb <= x <= i * s - pb + k - 1}
    if isinstance(layer, Resize):
        return resize_source(layer, x, n, o)
    if isinstance(layer, PixelShuffle):  # input i fills outputs r i .. r i + r - 1
        r = layer.factor
        return {i for i in range(x // r - 1, x // r + 2) if r * i <= x < r * i + r}
    if isinstance(layer, PixelUnshuffle):
        return {layer.factor * x + q for q in range(layer.factor)}
    raise AssertionError(layer)


def brute_span(
    layers: list[Any], j: int, input_size: int | None
) -> tuple[int, int] | None:
    """Exact reachability through the stack by set composition."""
    info: list[tuple[int, int | None, int | None]] = []
    n: int | None = input_size
    for layer in layers:
        if n is not None:
            r = resolve(layer, n)
            info.append((int(r.pads[0][0]), n, int(r.output[0])))
            n = int(r.output[0])
        else:
            info.append((_unsized_pb(layer), None, None))
    current = {j}
    for layer, (pb, n_in, o) in zip(reversed(layers), reversed(info), strict=True):
        current = {i for x in current for i in layer_deps(layer, x, pb, n_in, o)}
    return (min(current), max(current)) if current else None


def _unsized_pb(layer: Any) -> int:
    if isinstance(layer, ConvTranspose) and layer.convention.value in ("keras", "jax"):
        return int(resolve(layer, 1000).pads[0][0])  # crops independent of the size
    if isinstance(layer, Conv | MaxPool | AvgPool | ConvTranspose | MaxUnpool):
        return int(layer.padding[0][0])
    return 0


# --------------------------------------------------------------------------- strategies

SCALES = [2, 3, Fraction(1, 2), Fraction(3, 2), Fraction(2, 3), Fraction(5, 2)]


@st.composite
def window_layer(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["conv", "max", "avg"]))
    k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if kind == "conv":
        pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        return Conv(kernel=k, stride=s, dilation=draw(st.integers(1, 3)), padding=(pad,),
                    convention="onnx", ndim=1)
    p = draw(st.integers(0, k // 2))
    ceil = draw(st.booleans())
    if kind == "max":
        return MaxPool(kernel=k, stride=s, padding=p, dilation=draw(st.integers(1, 2)),
                       ceil_mode=ceil, ndim=1)
    return AvgPool(kernel=k, stride=s, padding=p, ceil_mode=ceil, ndim=1)


@st.composite
def other_layer(draw: st.DrawFn, sized: bool) -> Any:
    kinds = ["transpose", "transpose_named", "unpool", "resize", "shuffle"]
    if not sized:
        kinds.append("unshuffle")
    kind = draw(st.sampled_from(kinds))
    if kind == "transpose":
        s = draw(st.integers(1, 3))
        return ConvTranspose(kernel=draw(st.integers(1, 4)), stride=s,
                             padding=draw(st.integers(0, 2)), dilation=draw(st.integers(1, 2)),
                             output_padding=draw(st.integers(0, s - 1)), ndim=1)
    if kind == "transpose_named":
        convention = draw(st.sampled_from(["keras", "jax"]))
        return ConvTranspose(kernel=draw(st.integers(1, 4)), stride=draw(st.integers(1, 3)),
                             padding=draw(st.sampled_from(["SAME", "VALID"] if convention == "jax"
                                                          else ["same", "valid"])),
                             convention=convention, ndim=1)
    if kind == "unpool":
        k = draw(st.integers(1, 3))
        return MaxUnpool(kernel=k, stride=draw(st.integers(1, 3)),
                         padding=draw(st.integers(0, k // 2)), ndim=1)
    if kind == "shuffle":
        return PixelShuffle(factor=draw(st.integers(1, 3)), ndim=1)
    if kind == "unshuffle":
        return PixelUnshuffle(factor=draw(st.integers(1, 3)), ndim=1)
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear"]))
    modes = {"nearest": ["asymmetric", "half_pixel"], "nearest-exact": ["half_pixel"],
             "linear": ["half_pixel", "asymmetric", "pytorch_half_pixel"]}[mode]
    if sized and mode == "linear":
        modes = [*modes, "align_corners"]
    cm = draw(st.sampled_from(modes))
    if sized and draw(st.booleans()):
        return Resize(size=draw(st.integers(40, 90)), mode=mode, coordinate_mode=cm, ndim=1)
    return Resize(scale_factor=draw(st.sampled_from(SCALES)), mode=mode, coordinate_mode=cm,
                  ndim=1)


def stacks(sized: bool) -> st.SearchStrategy[list[Any]]:
    return st.lists(window_layer() | other_layer(sized), min_size=1, max_size=4)


def check_against_brute_force(layers: list[Any], input_size: int | None) -> None:
    rf = receptive_field(layers, input_size=input_size)
    js = list(range(-3, min(2 * rf.period, 60) + 4))
    widths = []
    for j in js:
        expected = brute_span(layers, j, input_size)
        assert rf.span(j) == expected, (j, layers)
        if expected is not None:
            widths.append(expected[1] - expected[0] + 1)
    if 2 * rf.period <= 60:  # two whole periods were enumerated
        assert rf.size == max(widths, default=0)
    assert rf.stride == _stride(layers, input_size)


def _stride(layers: list[Any], input_size: int | None) -> Fraction:
    """Product of per-layer input/output ratios (the definition of the effective stride)."""
    total, n = Fraction(1), input_size
    for layer in layers:
        if isinstance(layer, Conv | MaxPool | AvgPool):
            ratio = Fraction(layer.stride[0])
        elif isinstance(layer, ConvTranspose | MaxUnpool):
            ratio = Fraction(1, layer.stride[0])
        elif isinstance(layer, PixelShuffle):
            ratio = Fraction(1, layer.factor)
        elif isinstance(layer, PixelUnshuffle):
            ratio = Fraction(layer.factor)
        else:
            o = resolve(layer, n).output[0] if n is not None else None
            if layer.coordinate_mode is CoordinateMode.ALIGN_CORNERS:
                ratio = Fraction(0) if o == 1 else Fraction(n - 1, o - 1)  # type: ignore[operator]
            elif layer.size is not None:
                ratio = Fraction(n, layer.size[0])  # type: ignore[arg-type]
            else:
                ratio = 1 / Fraction(layer.scale_factor[0])
        total *= ratio
        if n is not None:
            n = resolve(layer, n).output[0]
    return total


# --------------------------------------------------------------------------- brute-force tests


@given(stacks(sized=False))
def test_span_equals_brute_force_reachability(layers: list[Any]) -> None:
    check_against_brute_force(layers, None)


@given(stacks(sized=True))
def test_span_equals_brute_force_with_an_input_size(layers: list[Any]) -> None:
    check_against_brute_force(layers, 600)


@given(st.lists(window_layer(), min_size=1, max_size=6))
def test_conv_pool_stacks_are_affine_and_match_the_closed_form(layers: list[Any]) -> None:
    rf = receptive_field(layers)
    cf = rf.closed_form
    assert cf is not None and rf.exact_affine and rf.period == 1
    assert (cf.size, Fraction(cf.stride), Fraction(cf.start)) == (rf.size, rf.stride, rf.offset)
    for j in (-2, 0, 1, 5, 17):
        lo, hi = cf.start + j * cf.stride, cf.start + j * cf.stride + cf.size - 1
        assert rf.span(j) == (lo, hi) == brute_span(layers, j, None)
    assert cf.steps[-1] == (cf.size, cf.stride, cf.start)


# --------------------------------------------------------------------------- known values


def test_known_receptive_fields() -> None:
    vgg3 = receptive_field([Conv(kernel=3, padding=1)] * 3)
    assert (vgg3.size, vgg3.stride, vgg3.offset) == (7, 1, -3)
    two = receptive_field([Conv(kernel=3, stride=2)] * 2)
    assert (two.size, two.stride, two.offset) == (7, 4, 0)
    alexnet = receptive_field([Conv(kernel=11, stride=4, padding=2)])
    assert (alexnet.size, alexnet.stride, alexnet.offset) == (11, 4, -2)
    resnet_stem = receptive_field([Conv(kernel=7, stride=2, padding=3),
                                   MaxPool(kernel=3, stride=2, padding=1)])
    assert (resnet_stem.size, resnet_stem.stride, resnet_stem.offset) == (11, 4, -5)
    atrous = receptive_field([Conv(kernel=3, dilation=d) for d in (1, 2, 4)])
    assert atrous.size == 15


def test_vgg16_conv5_and_pool5() -> None:
    blocks = [2, 2, 3, 3, 3]
    layers: list[Any] = []
    for count in blocks:
        layers += [Conv(kernel=3, padding=1)] * count + [MaxPool(kernel=2)]
    assert receptive_field(layers[:-1]).size == 196  # conv5_3
    pool5 = receptive_field(layers)
    assert (pool5.size, pool5.stride, pool5.offset) == (212, 32, -90)


def test_transposed_and_upsampling_spans() -> None:
    dcgan = receptive_field([ConvTranspose(kernel=4, stride=2, padding=1)])
    assert [dcgan.span(j) for j in range(4)] == [(-1, 0), (0, 1), (0, 1), (1, 2)]
    assert (dcgan.size, dcgan.stride, dcgan.period, dcgan.exact_affine) == (
        2, Fraction(1, 2), 2, False)
    # k < s leaves outputs that read nothing (zeros): span None, offset from the first live one.
    sparse = receptive_field([ConvTranspose(kernel=1, stride=2, padding=1)])
    assert [sparse.span(j) for j in range(4)] == [None, (1, 1), None, (2, 2)]
    assert sparse.offset == Fraction(1, 2)
    # Upsampling undone by a stride: affine again.
    back = receptive_field([ConvTranspose(kernel=2, stride=2), Conv(kernel=2, stride=2)])
    assert back.exact_affine and back.closed_form is None and back.span(3) == (3, 3)
    shuffled = receptive_field([Conv(kernel=3, padding=1), PixelShuffle(factor=2)])
    assert [shuffled.span(j) for j in range(3)] == [(-1, 1), (-1, 1), (0, 2)]
    linear = receptive_field([Resize(scale_factor=2, mode="linear")])
    assert [linear.span(j) for j in range(3)] == [(-1, 0), (0, 1), (0, 1)]
    corners = receptive_field([Resize(scale_factor=2, mode="linear", align_corners=True)], 5)
    assert [corners.span(j) for j in range(4)] == [(0, 0), (0, 1), (0, 1), (1, 2)]  # x = 4j/9


def test_holes_and_empty_positions_are_exact_not_hulls() -> None:
    # Output 1 of the conv reads positions 1 and 4 of the upsampled signal; position 1 is a
    # zero inserted by the stride-2 transposed conv, so the field is {2}, not the hull [1, 2].
    rf = receptive_field([ConvTranspose(kernel=1, stride=2), Conv(kernel=2, dilation=3)])
    assert rf.span(1) == (2, 2) == brute_span(
        [ConvTranspose(kernel=1, stride=2), Conv(kernel=2, dilation=3)], 1, None)


def test_size_dependent_padding_needs_the_input_size() -> None:
    same = Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow")
    with pytest.raises(InvalidSpecError, match=r"^input_size=None must be given for Conv"):
        receptive_field([same])
    assert receptive_field([same], input_size=224).offset == -2  # pads (2, 3)
    assert receptive_field([same], input_size=225).offset == -3  # pads (3, 3)
    assert receptive_field([Conv(kernel=3, padding="same")]).offset == -1  # torch: fixed
    with pytest.raises(InvalidSpecError, match="align_corners depends on the input size"):
        receptive_field([Resize(scale_factor=2, mode="linear", align_corners=True)])
    with pytest.raises(InvalidSpecError, match="output_size under convention tensorflow"):
        receptive_field([ConvTranspose(kernel=3, stride=2, padding="SAME",
                                       convention="tensorflow", output_size=8)])


def test_axis_and_n_d_inputs() -> None:
    conv = Conv(kernel=(3, 5), stride=(1, 2), padding=(1, 2))
    assert receptive_field([conv], axis=1).span(1) == (0, 4)
    assert receptive_field([conv], input_size=(8, 9), axis=0).size == 3
    with pytest.raises(InvalidSpecError, match=r"^axis=2 must be smaller"):
        receptive_field([conv], axis=2)
    with pytest.raises(InvalidSpecError, match=r"^axis=1 must be smaller"):
        receptive_field([conv], input_size=8, axis=1)


def test_formulas_and_notes() -> None:
    rf = receptive_field([Conv(kernel=3, stride=2, padding=1)] * 2)
    assert rf.formula().startswith("r = 1 + (3-1)*1 + (3-1)*2 = 7; J = 2*2 = 4;")
    assert rf.formula().endswith("[4j - 3, 4j + 3]")
    up = receptive_field([Resize(scale_factor=3), Conv(kernel=2)])
    assert up.formula().startswith("output j = 3m + t reads input [lo_t + m, hi_t + m]")
    assert receptive_field([]).span(4) == (4, 4)
    # ONNX nearest rounds half_pixel coordinates (round_prefer_floor): exact, no note
    onnx = receptive_field([Resize(scale_factor=3, convention="onnx")])
    assert onnx.notes == () and [onnx.span(j) for j in range(4)] == [(0, 0)] * 3 + [(1, 1)]


def test_period_limit() -> None:
    with pytest.raises(UnsupportedError, match=f"must be at most {MAX_PERIOD}"):
        receptive_field([Resize(scale_factor=MAX_PERIOD + 1)])


def test_fifty_layer_stacks_are_fast() -> None:
    convs = [Conv(kernel=3, stride=2 if i % 10 == 0 else 1, padding=1) for i in range(50)]
    start = time.perf_counter()
    rf = receptive_field(convs)
    assert rf.closed_form is not None and rf.stride == 2**5
    mixed = convs[:46] + [ConvTranspose(kernel=4, stride=2, padding=1)] * 4
    rf = receptive_field(mixed)
    assert rf.period == 16 and rf.stride == 2
    assert time.perf_counter() - start < 5  # generous: O(layers * period)


# --------------------------------------------------------------------------- PyTorch


def _torch_deps(y: Any) -> list[set[int]]:
    """y[i, ..., j] is output j for the one-hot input at i: the dependency sets per output."""
    import torch

    m = (y.reshape(y.shape[0], -1, y.shape[-1]) != 0).any(dim=1)
    return [set(torch.nonzero(m[:, j]).flatten().tolist()) for j in range(m.shape[1])]


def _compare(layer: Any, n: int, y: Any) -> int:
    """Interior outputs (whose unbounded field lies in [0, n)) must match PyTorch exactly."""
    rf = receptive_field([layer], input_size=n)
    checked = 0
    for j, deps in enumerate(_torch_deps(y)):
        span = rf.span(j)
        if span is None:
            assert not deps
            continue
        if span[0] < 0 or span[1] >= n:
            continue
        assert deps and (min(deps), max(deps)) == span, (layer, n, j)
        checked += 1
    return checked


@pytest.mark.torch
def test_single_layer_fields_match_pytorch_one_hot() -> None:
    import torch
    import torch.nn.functional as tf

    torch.manual_seed(0)
    checked = 0
    for n in (5, 8, 11):
        eye = torch.eye(n, dtype=torch.float64).reshape(n, 1, n)
        for k, s, p, d in [(3, 2, 1, 1), (4, 2, 1, 1), (1, 3, 0, 1), (3, 3, 2, 2), (5, 2, 0, 2)]:
            w = torch.randn(1, 1, k, dtype=torch.float64)
            for op in range(s):
                y = tf.conv_transpose1d(eye, w, stride=s, padding=p, output_padding=op,
                                        dilation=d)
                layer = ConvTranspose(kernel=k, stride=s, padding=p, output_padding=op,
                                      dilation=d)
                checked += _compare(layer, n, y)
            if n + 2 * p >= d * (k - 1) + 1:
                y = tf.conv1d(eye, w, stride=s, padding=p, dilation=d)
                checked += _compare(Conv(kernel=k, stride=s, padding=p, dilation=d), n, y)
        for sf in (2, 3, Fraction(3, 2), Fraction(5, 2), Fraction(1, 2)):
            for mode, ac in [("nearest", None), ("nearest-exact", None), ("linear", False),
                             ("linear", True)]:
                kw = {} if ac is None else {"align_corners": ac}
                y = tf.interpolate(eye, scale_factor=float(sf), mode=mode, **kw)
                checked += _compare(Resize(scale_factor=sf, mode=mode, align_corners=ac), n, y)
                y = tf.interpolate(eye, size=2 * n + 1, mode=mode, **kw)
                checked += _compare(Resize(size=2 * n + 1, mode=mode, align_corners=ac), n, y)
        for r in (2, 3):
            x = torch.zeros(n, r * r, 1, n, dtype=torch.float64)
            for i in range(n):
                x[i, :, 0, i] = 1
            checked += _compare(PixelShuffle(factor=r), n, tf.pixel_shuffle(x, r))
    assert checked > 500
