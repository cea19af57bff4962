"""symconv's shape arithmetic and rejection rules against PyTorch, case by case.

For every configuration (valid or not) the PyTorch layer is run on a float64 CPU tensor and
symconv resolves the same spec: PyTorch raises <=> symconv raises InvalidSpecError, and when
both accept, ``(channels, *spatial)`` agree exactly.  A PyTorch output with a zero-sized axis
(MaxUnpool can produce one without raising) must be rejected by symconv, whose contract is
output sizes >= 1 (see ``_frameworks.disagreement``).

PyTorch facts these tests pin down (torch 2.13, CPU):
* MaxPool/AvgPool padding limit is ``pad <= kernel // 2`` of the *undilated* kernel.
* In ceil mode a window may be larger than the padded input: ``max_pool1d(n=1, k=3, s=3,
  ceil_mode=True)`` has one output.
* ``avg_pool3d`` additionally rejects an *unpadded* input smaller than the kernel on any axis
  ("input image ... smaller than kernel size"), even when padding makes room; 1-D/2-D do not.
* ``padding_mode='reflect'`` needs ``pad < input``; ``'circular'`` needs ``pad <= input``.
* ``ConvTranspose.forward(output_size=...)`` ignores the module's ``output_padding``.
* ``max_unpool`` returns an empty tensor (no error) when its output size is 0.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _frameworks import disagreement, require, symconv_outcome, torch_outcome

pytestmark = pytest.mark.torch

Case = tuple[str, dict[str, Any], tuple[int, ...], int]


def check(case: Case) -> None:
    """Run ``case`` in PyTorch and symconv and fail with the exact case when they disagree."""
    fw, sc = torch_outcome(*case), symconv_outcome(*case)
    report = disagreement("torch", case, fw, sc)
    if report:
        print(report)
        pytest.fail(report)


# --------------------------------------------------------------------------- strategies


def per_axis(nd: int, lo: int, hi: int) -> st.SearchStrategy[Any]:
    """An int (broadcast) or one int per axis."""
    one = st.integers(lo, hi)
    return st.one_of(one, st.tuples(*[one] * nd))


@st.composite
def conv_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 8), min_size=nd, max_size=nd)))
    groups = draw(st.integers(1, 3))
    cin, cout = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kw = {
        "kernel": draw(per_axis(nd, 1, 5)),
        "stride": draw(per_axis(nd, 1, 3)),
        "padding": draw(st.one_of(per_axis(nd, 0, 3), st.sampled_from(["same", "valid"]))),
        "dilation": draw(per_axis(nd, 1, 3)),
        "groups": groups,
        "in_channels": cin,
        "out_channels": cout,
        "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
    }
    return "Conv", kw, sizes, cin


@st.composite
def conv_transpose_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    p, d = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    cin = draw(st.integers(1, 4))
    kw: dict[str, Any] = {
        "kernel": k, "stride": s, "padding": p, "dilation": d,
        "groups": draw(st.integers(1, 2)), "in_channels": cin,
        "out_channels": draw(st.integers(1, 4)),
    }
    if draw(st.booleans()):
        # Around the admissible range [lo, lo + s - 1] of forward(output_size=...); PyTorch then
        # ignores output_padding (a named edge case covers giving both).
        lo = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n in sizes]
        kw["output_size"] = tuple(max(v + draw(st.integers(-2, s + 1)), 0) for v in lo)
    else:
        kw["output_padding"] = draw(st.integers(0, 3))
    if draw(st.integers(0, 9)) == 0:
        kw["padding"] = draw(st.sampled_from(["same", "valid"]))
    return "ConvTranspose", kw, sizes, cin


@st.composite
def pool_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 9), min_size=nd, max_size=nd)))
    kind = draw(st.sampled_from(["MaxPool", "AvgPool"]))
    kw: dict[str, Any] = {
        "kernel": draw(per_axis(nd, 1, 5)),
        "stride": draw(st.one_of(st.none(), per_axis(nd, 1, 3))),
        "padding": draw(per_axis(nd, 0, 3)),
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "MaxPool":
        kw["dilation"] = draw(per_axis(nd, 1, 3))
    else:
        kw["count_include_pad"] = draw(st.booleans())
    return kind, kw, sizes, draw(st.integers(1, 2))


@st.composite
def unpool_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    k, p = draw(st.integers(1, 4)), draw(st.integers(0, 2))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    kw: dict[str, Any] = {"kernel": k, "stride": stride, "padding": p}
    if draw(st.booleans()):
        s = k if stride is None else stride
        default = [(n - 1) * s - 2 * p + k for n in sizes]
        kw["output_size"] = tuple(max(v + draw(st.integers(-s - 1, s + 1)), 0) for v in default)
    return "MaxUnpool", kw, sizes, draw(st.integers(1, 2))


SCALES = [0.1, 0.25, 1 / 3, 0.5, 0.57, 2 / 3, 0.7, 1.0, 1.1, 1.5, 2.5, 1.25, 3.0, 1, 2, 3]


@st.composite
def resize_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 12), min_size=nd, max_size=nd)))
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear"]))
    kw: dict[str, Any] = {"mode": mode}
    which = draw(st.sampled_from(["scale", "scale", "size", "both", "neither"]))
    if which in ("scale", "both"):
        one = st.sampled_from(SCALES)
        kw["scale_factor"] = draw(st.one_of(one, st.tuples(*[one] * nd)))
    if which in ("size", "both"):
        kw["size"] = draw(per_axis(nd, 1, 10))
    ac = draw(st.sampled_from([None, None, True, False]))
    if ac is not None:
        kw["align_corners"] = ac
    return "Resize", kw, sizes, 1


@st.composite
def shuffle_cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["PixelShuffle", "PixelUnshuffle"]))
    sizes = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))  # PyTorch: 2-D only
    return kind, {"factor": draw(st.integers(1, 3))}, sizes, draw(st.integers(1, 12))


# --------------------------------------------------------------------------- random cases


@settings(deadline=None)
@given(conv_cases())
def test_conv_agrees_with_torch(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(conv_transpose_cases())
def test_conv_transpose_agrees_with_torch(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(pool_cases())
def test_pool_agrees_with_torch(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(unpool_cases())
def test_max_unpool_agrees_with_torch(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(resize_cases())
def test_resize_agrees_with_torch(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(shuffle_cases())
def test_pixel_shuffle_agrees_with_torch(case: Case) -> None:
    check(case)


# --------------------------------------------------------------------------- named edge cases

EDGE_CASES: list[tuple[str, Case]] = [
    # kernel against the padded input
    ("conv kernel > input", ("Conv", {"kernel": 5, "in_channels": 1, "out_channels": 1}, (4,), 1)),
    ("conv kernel = padded input",
     ("Conv", {"kernel": 5, "padding": 1, "in_channels": 1, "out_channels": 1}, (3,), 1)),
    ("conv dilated kernel > input",
     ("Conv", {"kernel": 3, "dilation": 3, "in_channels": 1, "out_channels": 1}, (6, 7), 1)),
    ("conv 'same' stride 2",
     ("Conv", {"kernel": 3, "stride": 2, "padding": "same", "in_channels": 1, "out_channels": 1},
      (5,), 1)),
    ("conv 'same' stride (1, 2)",
     ("Conv", {"kernel": 3, "stride": (1, 2), "padding": "same", "in_channels": 1,
               "out_channels": 1}, (5, 5), 1)),
    ("conv 'same' even dilated kernel",
     ("Conv", {"kernel": 4, "dilation": 3, "padding": "same", "in_channels": 1,
               "out_channels": 1}, (2,), 1)),
    ("conv groups do not divide in_channels",
     ("Conv", {"kernel": 1, "groups": 2, "in_channels": 3, "out_channels": 2}, (4,), 3)),
    ("conv groups do not divide out_channels",
     ("Conv", {"kernel": 1, "groups": 2, "in_channels": 2, "out_channels": 3}, (4,), 2)),
    ("conv reflect pad = input",
     ("Conv", {"kernel": 3, "padding": 2, "padding_mode": "reflect", "in_channels": 1,
               "out_channels": 1}, (2,), 1)),
    ("conv reflect pad < input",
     ("Conv", {"kernel": 3, "padding": 1, "padding_mode": "reflect", "in_channels": 1,
               "out_channels": 1}, (2,), 1)),
    ("conv circular pad = input",
     ("Conv", {"kernel": 5, "padding": 2, "padding_mode": "circular", "in_channels": 1,
               "out_channels": 1}, (2,), 1)),
    ("conv circular pad > input",
     ("Conv", {"kernel": 7, "padding": 3, "padding_mode": "circular", "in_channels": 1,
               "out_channels": 1}, (2,), 1)),
    ("conv reflect 'same' on size 1",
     ("Conv", {"kernel": 3, "padding": "same", "padding_mode": "reflect", "in_channels": 1,
               "out_channels": 1}, (1,), 1)),
    # transposed convolution
    ("op >= stride and >= dilation",
     ("ConvTranspose", {"kernel": 3, "stride": 2, "output_padding": 2, "in_channels": 1,
                        "out_channels": 1}, (3,), 1)),
    ("op < dilation but >= stride (PyTorch accepts)",
     ("ConvTranspose", {"kernel": 3, "stride": 1, "dilation": 2, "output_padding": 1,
                        "in_channels": 1, "out_channels": 1}, (3,), 1)),
    ("op = dilation = stride + 1",
     ("ConvTranspose", {"kernel": 3, "stride": 1, "dilation": 2, "output_padding": 2,
                        "in_channels": 1, "out_channels": 1}, (3,), 1)),
    ("transposed output 0",
     ("ConvTranspose", {"kernel": 2, "padding": 1, "in_channels": 1, "out_channels": 1}, (1,), 1)),
    ("transposed output -1",
     ("ConvTranspose", {"kernel": 1, "padding": 1, "in_channels": 1, "out_channels": 1}, (1,), 1)),
    ("transposed output 1",
     ("ConvTranspose", {"kernel": 3, "padding": 1, "in_channels": 1, "out_channels": 1}, (1,), 1)),
    ("transposed output_size = lo - 1",
     ("ConvTranspose", {"kernel": 3, "stride": 3, "output_size": 8, "in_channels": 1,
                        "out_channels": 1}, (3,), 1)),
    ("transposed output_size = lo",
     ("ConvTranspose", {"kernel": 3, "stride": 3, "output_size": 9, "in_channels": 1,
                        "out_channels": 1}, (3,), 1)),
    ("transposed output_size = lo + s - 1",
     ("ConvTranspose", {"kernel": 3, "stride": 3, "output_size": 11, "in_channels": 1,
                        "out_channels": 1}, (3,), 1)),
    ("transposed output_size = lo + s",
     ("ConvTranspose", {"kernel": 3, "stride": 3, "output_size": 12, "in_channels": 1,
                        "out_channels": 1}, (3,), 1)),
    ("transposed output_size with an invalid output_padding (PyTorch ignores the latter)",
     ("ConvTranspose", {"kernel": 3, "stride": 3, "output_padding": 5, "output_size": 10,
                        "in_channels": 1, "out_channels": 1}, (3,), 1)),
    ("transposed string padding",
     ("ConvTranspose", {"kernel": 3, "padding": "same", "in_channels": 1, "out_channels": 1},
      (3,), 1)),
    # pooling
    ("max pool pad > k//2", ("MaxPool", {"kernel": 3, "padding": 2}, (8,), 1)),
    ("max pool pad = k//2 (even k)", ("MaxPool", {"kernel": 4, "padding": 2}, (8,), 1)),
    ("max pool pad limit ignores dilation",
     ("MaxPool", {"kernel": 3, "dilation": 3, "padding": 2}, (8,), 1)),
    ("avg pool pad > k//2", ("AvgPool", {"kernel": 2, "padding": 2}, (8, 8), 1)),
    ("max pool output 0", ("MaxPool", {"kernel": 3, "stride": 1}, (2,), 1)),
    ("avg pool output 0", ("AvgPool", {"kernel": 3, "stride": 1}, (2, 5), 1)),
    ("ceil (32, 1, 2) -> 16", ("MaxPool", {"kernel": 1, "stride": 2, "ceil_mode": True}, (32,), 1)),
    ("ceil (9, 4, 4, p2) -> 3",
     ("MaxPool", {"kernel": 4, "stride": 4, "padding": 2, "ceil_mode": True}, (9,), 1)),
    ("ceil (2, 3, 3, p1) -> 1",
     ("AvgPool", {"kernel": 3, "stride": 3, "padding": 1, "ceil_mode": True}, (2,), 1)),
    ("ceil (5, 2, 2, p1) -> 3",
     ("MaxPool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (5, 5), 1)),
    ("ceil window larger than input",
     ("MaxPool", {"kernel": 3, "stride": 3, "ceil_mode": True}, (1,), 1)),
    ("ceil window larger than input 2-D",
     ("AvgPool", {"kernel": 3, "stride": 3, "ceil_mode": True}, (1, 1), 1)),
    ("avg_pool3d input smaller than kernel, padding makes room",
     ("AvgPool", {"kernel": 3, "stride": 1, "padding": 1}, (2, 4, 4), 1)),
    ("avg_pool2d input smaller than kernel, padding makes room",
     ("AvgPool", {"kernel": 3, "stride": 1, "padding": 1}, (2, 4), 1)),
    ("max_pool3d input smaller than kernel, padding makes room",
     ("MaxPool", {"kernel": 3, "stride": 1, "padding": 1}, (2, 4, 4), 1)),
    # max-unpooling: output_size strictly within stride of the default (n-1)s - 2p + k
    ("unpool default", ("MaxUnpool", {"kernel": 2}, (3,), 1)),
    ("unpool output_size = default - s", ("MaxUnpool", {"kernel": 2, "output_size": 4}, (3,), 1)),
    ("unpool output_size = default - s + 1",
     ("MaxUnpool", {"kernel": 2, "output_size": 5}, (3,), 1)),
    ("unpool output_size = default + s - 1",
     ("MaxUnpool", {"kernel": 2, "output_size": 7}, (3,), 1)),
    ("unpool output_size = default + s", ("MaxUnpool", {"kernel": 2, "output_size": 8}, (3,), 1)),
    ("unpool default size 0", ("MaxUnpool", {"kernel": 2, "padding": 1}, (1,), 1)),
    # resizing: floor(n * scale) in double precision
    ("resize 1.5", ("Resize", {"scale_factor": 1.5}, (5,), 1)),
    ("resize 0.5", ("Resize", {"scale_factor": 0.5}, (5, 7), 1)),
    ("resize 2.5", ("Resize", {"scale_factor": 2.5, "mode": "linear"}, (3,), 1)),
    ("resize 1/3", ("Resize", {"scale_factor": 1 / 3}, (3, 7), 1)),
    ("resize 0.1 of 30", ("Resize", {"scale_factor": 0.1}, (30,), 1)),
    ("resize 0.1 of 9 -> 0", ("Resize", {"scale_factor": 0.1}, (9,), 1)),
    ("resize 0.57 of 100 -> 56 (double rounding)", ("Resize", {"scale_factor": 0.57}, (100,), 1)),
    ("resize (2, 0.5, 1.5)", ("Resize", {"scale_factor": (2, 0.5, 1.5)}, (3, 4, 5), 1)),
    ("resize size and scale", ("Resize", {"scale_factor": 2, "size": 4}, (3,), 1)),
    ("resize neither size nor scale", ("Resize", {}, (3,), 1)),
    ("resize align_corners with nearest",
     ("Resize", {"scale_factor": 2, "align_corners": True}, (3,), 1)),
    ("resize align_corners=False with nearest-exact",
     ("Resize", {"scale_factor": 2, "mode": "nearest-exact", "align_corners": False}, (3,), 1)),
    # pixel shuffle / unshuffle divisibility
    ("shuffle channels divisible", ("PixelShuffle", {"factor": 2}, (3, 2), 8)),
    ("shuffle channels not divisible", ("PixelShuffle", {"factor": 2}, (3, 2), 6)),
    ("unshuffle sizes divisible", ("PixelUnshuffle", {"factor": 3}, (3, 6), 2)),
    ("unshuffle size not divisible", ("PixelUnshuffle", {"factor": 2}, (4, 3), 1)),
]


@pytest.mark.parametrize("case", [c for _, c in EDGE_CASES], ids=[n for n, _ in EDGE_CASES])
def test_edge_case_agrees_with_torch(case: Case) -> None:
    check(case)


def test_edge_cases_cover_both_verdicts() -> None:
    """The table is only useful if it contains accepted and rejected cases of each layer."""
    verdicts: dict[str, set[str]] = {}
    for _, case in EDGE_CASES:
        verdicts.setdefault(case[0], set()).add(torch_outcome(*case).kind)
    assert all({"ok", "error"} <= v or {"ok", "empty"} <= v for v in verdicts.values()), verdicts


# --------------------------------------------------------------------------- 'same' padding values


@st.composite
def same_cases(draw: st.DrawFn) -> tuple[int, tuple[int, ...], Any, Any, str]:
    nd = draw(st.integers(1, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 7), min_size=nd, max_size=nd)))
    kernel = tuple(draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    return nd, sizes, kernel, dilation, mode


@settings(deadline=None)
@given(same_cases())
def test_same_padding_is_the_pads_symconv_reports(case: tuple[Any, ...]) -> None:
    """padding='same' = F.pad with resolve().pads (extra unit at the end), then a valid conv."""
    torch = require("torch")
    import symconv

    nd, sizes, kernel, dilation, mode = case
    F = torch.nn.functional
    layer = symconv.Conv(kernel=kernel, dilation=dilation, padding="same", padding_mode=mode)
    try:
        pads = symconv.resolve(layer, sizes).pads
    except symconv.InvalidSpecError:
        return  # reflect/circular limits; the agreement tests cover rejections
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    assert [b + e for b, e in pads] == total
    assert all(e - b == t % 2 for (b, e), t in zip(pads, total, strict=True))
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 2, *sizes, dtype=torch.float64, generator=gen)
    conv = getattr(torch.nn, f"Conv{nd}d")(2, 3, kernel, padding="same", dilation=dilation,
                                            padding_mode=mode, bias=False, dtype=torch.float64)
    try:
        expected = conv(x)
    except RuntimeError:
        return  # reflect/circular size limits: test_conv_agrees_with_torch compares rejections
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last axis first
    padded = F.pad(x, flat, mode="constant" if mode == "zeros" else mode)
    explicit = getattr(F, f"conv{nd}d")(padded, conv.weight, dilation=dilation)
    assert expected.shape[2:] == tuple(sizes)
    torch.testing.assert_close(expected, explicit, rtol=1e-12, atol=1e-12)
