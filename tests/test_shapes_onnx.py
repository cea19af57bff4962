"""symconv's ``convention='onnx'`` against onnxruntime, the ONNX reference evaluator and
``onnx.shape_inference.infer_shapes(strict_mode=True)`` (opset 22, one-node models).

symconv models onnxruntime (what users run) plus the operator text of the ONNX spec.  The
agreement tests run the model in onnxruntime (CPU) and require: ORT raises <=> symconv raises,
same output shape otherwise (an empty ORT output counts as a rejection, see
``_frameworks.disagreement``).  Where ORT has a documented deviation from the spec text that
symconv deliberately does not copy, the case is compared with the reference evaluator instead
and the ORT behaviour is pinned by a strict xfail, so a fix upstream is noticed.

Where the three ONNX implementations disagree with each other (onnx 1.23, onnxruntime 1.32):

* Pool output in floor mode when the window overhangs the padded input by less than a stride
  (``MaxPool(k=3, s=3)`` on 2): ORT and shape inference truncate toward zero and give 1; the spec
  formula ``floor(...)`` and the reference evaluator give 0.  onnxruntime#25234.  symconv: spec.
* ``auto_pad='VALID'`` with ``ceil_mode=1`` (k=3, s=2 on 6): ORT and shape inference apply the
  ceil rule (3); the spec text's VALID formula ``ceil((n - k_eff + 1)/s)`` and the reference
  evaluator give 2 (onnxruntime#10083; the reference evaluator refuses AveragePool with both).
  symconv: ORT (zero padding, so ceil_mode applies).
* Pool ``auto_pad=SAME_*`` with dilation: ORT computes the padding from the *undilated*
  kernel (k=3, d=2, s=1 on 7 gives 5); spec, reference evaluator and shape inference give 7.
* Pool ``auto_pad=SAME_*`` when the SAME total padding is negative (k_eff < s, e.g. k=1, s=3
  on 6): ORT rejects ("padding values must be non-negative"); the reference evaluator crops
  (windows start at 1, and for SAME_LOWER it even returns fewer outputs); symconv clamps the
  total at 0 (TensorFlow's rule) and returns ceil(n/s).
* Conv ``auto_pad=SAME_*`` with dilation: ORT rejects ("Dilation not supported",
  onnxruntime#20582); reference evaluator and shape inference accept.
* ConvTranspose ``output_padding`` with ``stride <= output_padding < dilation``: ORT rejects
  (its forward-consistency check needs output_padding < stride); shape inference accepts; the
  reference evaluator fails; the spec text says "less than the corresponding stride/dilation".
  symconv: ORT (output_padding < stride).
* ConvTranspose ``output_shape`` (no pads): ORT accepts sizes up to ``s(n-1) + k_eff + s - 1``
  (appending zeros) and below the op=0 size (cropping); the reference evaluator rejects both
  ranges except the exact size.
* MaxUnpool ``output_shape`` smaller than the default size: ORT rejects; the reference
  evaluator fails with a numpy broadcast error; shape inference leaves the shape unknown.
* Resize with float scales: ORT multiplies in float32 (``floor(100 * 0.57f) = 57``); the
  reference evaluator in float64 (56).  Shape inference gives no concrete shape for scales or
  sizes that are graph inputs.
* ConvTranspose ``auto_pad=SAME_*`` with ``output_padding``: ORT, the spec text and the
  reference evaluator give ``n*s``; shape inference gives ``n*s + output_padding`` (onnx#4299).
* ConvTranspose ``auto_pad=SAME_*`` when ``k_eff < s``: ORT and shape inference clamp the total
  padding at 0 and return ``(n-1)s + k_eff`` (k=1, s=2 on 4 gives 7); the spec text says
  ``n*s`` and the reference evaluator returns 8, its values shifted by one; symconv returns 8
  (no padding, the missing unit appended at the end as for an oversized ``output_shape``).
* ConvTranspose ``output_shape`` together with ``pads``: shape inference fails ("Inferred shape
  and existing shape differ in rank"); ORT ignores the pads as the spec says.
* Kernel larger than the input (``Conv(k=3)`` on 2): ORT rejects, the reference evaluator and
  shape inference return an empty axis.
* DepthToSpace/SpaceToDepth divisibility: ORT rejects, shape inference returns a (wrong) shape.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symconv

from _frameworks import (
    Outcome,
    describe,
    disagreement,
    inferred_outcome,
    onnx_model,
    ort_outcome,
    reference_outcome,
    symconv_outcome,
)

pytestmark = pytest.mark.onnx

Case = tuple[str, dict[str, Any], tuple[int, ...], int]
AUTO_PAD = ["same_upper", "same_lower", "valid", "notset"]
POOLS = ("MaxPool", "AvgPool")


def _axes(value: Any, nd: int) -> list[Any]:
    return list(value) if isinstance(value, tuple | list) else [value] * nd


def _pairs(padding: Any, nd: int) -> list[tuple[int, int]]:
    return [p if isinstance(p, tuple) else (p, p) for p in _axes(padding, nd)]


def documented_ort_deviation(case: Case) -> str | None:
    """Why onnxruntime is expected to differ from the spec text here (``None``: it is not)."""
    kind, kw, sizes, _ = case
    nd = len(sizes)
    padding = kw.get("padding", 0)
    auto = padding.lower() if isinstance(padding, str) else "notset"
    dil = _axes(kw.get("dilation", 1), nd)
    if kind == "Conv" and auto.startswith("same") and any(d != 1 for d in dil):
        return "onnxruntime#20582: ORT's Conv rejects auto_pad SAME_* with dilations != 1"
    if kind not in POOLS:
        return None
    if auto in ("notset", "valid") and not kw.get("ceil_mode"):
        k, s = _axes(kw["kernel"], nd), _axes(kw.get("stride") or kw["kernel"], nd)
        pads = _pairs(0 if isinstance(padding, str) else padding, nd)
        for n, ka, sa, d, (b, e) in zip(sizes, k, s, dil, pads, strict=True):
            if -sa < n + b + e - d * (ka - 1) - 1 < 0:
                return ("onnxruntime#25234: ORT truncates a negative (n + pads - k_eff)/s toward "
                        "zero and returns 1 output where floor() gives 0")
    return None


def inference_deviation(case: Case) -> str | None:
    """Why ``infer_shapes`` is expected to differ from onnxruntime and the spec text here."""
    kind, kw, _, _ = case
    padding = kw.get("padding", 0)
    if (kind == "ConvTranspose" and isinstance(padding, str) and padding.startswith("same")
            and kw.get("output_padding") and kw.get("output_size") is None):
        return "shape inference adds output_padding to n*s for auto_pad SAME_* (onnx#4299)"
    return None


def spec_text_outcome(case: Case) -> Outcome:
    """What the ONNX operator text prescribes, for the cases :func:`documented_ort_deviation`
    flags (an independent transcription of the formulas quoted in the module docstring)."""
    kind, kw, sizes, channels = case
    nd = len(sizes)
    k, d = _axes(kw["kernel"], nd), _axes(kw.get("dilation", 1), nd)
    s = _axes(kw.get("stride") or (1 if kind == "Conv" else kw["kernel"]), nd)
    padding = kw.get("padding", 0)
    if kind == "Conv":  # auto_pad SAME_*: "output_shape[i] = ceil(input_shape[i] / strides[i])"
        out = [-(-n // sa) for n, sa in zip(sizes, s, strict=True)]
        return Outcome(shape=(kw["out_channels"], *out))
    pads = _pairs(0 if isinstance(padding, str) else padding, nd)
    out = []
    for n, ka, sa, da, (b, e) in zip(sizes, k, s, d, pads, strict=True):
        if b >= ka or e >= ka:
            return Outcome(error="pads must be smaller than the kernel (onnxruntime)")
        keff = da * (ka - 1) + 1
        # floor((n + pad_shape - k_eff) / s + 1), an exact rational floor (VALID: no pads)
        out.append(math.floor(Fraction(n + b + e - keff, sa) + 1))
    if min(out) < 1:
        return Outcome(error=f"output {out} has a size < 1")
    return Outcome(shape=(channels, *out))


def check(case: Case) -> None:
    """symconv (convention onnx) against ORT, or against the spec text for the documented ORT
    deviations; and against shape inference where that is concrete."""
    kind, kw, sizes, channels = case
    model, feeds = onnx_model(kind, kw, sizes, channels)
    ours = symconv_outcome(kind, {**kw, "convention": "onnx"}, sizes, channels)
    reason = documented_ort_deviation(case)
    if reason:
        theirs, who = spec_text_outcome(case), f"ONNX spec text ({reason})"
    else:
        theirs, who = ort_outcome(model, feeds), "onnxruntime"
    report = disagreement(who, case, theirs, ours)
    if report:
        print(report)
        pytest.fail(report)
    inferred = inferred_outcome(model)
    if reason or inference_deviation(case):
        return
    if ours.kind == "ok" and inferred is not None and inferred.kind == "ok":
        assert inferred.shape == ours.shape, (
            f"{describe(*case)}: shape inference {inferred}, symconv and onnxruntime {ours}")


# --------------------------------------------------------------------------- strategies


def per_axis(nd: int, lo: int, hi: int) -> st.SearchStrategy[Any]:
    one = st.integers(lo, hi)
    return st.one_of(one, st.tuples(*[one] * nd))


def onnx_padding(nd: int, hi: int = 3) -> st.SearchStrategy[Any]:
    """ONNX pads (int, per-axis int or (begin, end) pair) or an auto_pad name."""
    side = st.integers(0, hi)
    axis = st.one_of(side, st.tuples(side, side))
    return st.one_of(side, st.tuples(*[axis] * nd), st.sampled_from(AUTO_PAD))


def spatial(nd: int, hi: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[st.integers(1, hi)] * nd)


@st.composite
def conv_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    g = draw(st.integers(1, 2))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    kw = {
        "kernel": draw(per_axis(nd, 1, 4)), "stride": draw(per_axis(nd, 1, 3)),
        "padding": draw(onnx_padding(nd)), "dilation": draw(per_axis(nd, 1, 3)),
        "groups": g, "in_channels": cin, "out_channels": cout,
    }
    return "Conv", kw, draw(spatial(nd, 8)), cin


@st.composite
def conv_transpose_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = draw(spatial(nd, 5))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(onnx_padding(nd))
    op = draw(st.integers(0, 3))
    kw: dict[str, Any] = {"kernel": k, "stride": s, "dilation": d, "padding": padding,
                          "output_padding": op, "in_channels": 1, "out_channels": 1}
    if draw(st.booleans()):
        full = [(n - 1) * s + d * (k - 1) + 1 for n in sizes]
        kw["output_size"] = tuple(max(f + draw(st.integers(-4, s + 1)), 1) for f in full)
    return "ConvTranspose", kw, sizes, 1


@st.composite
def pool_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(POOLS))
    kw: dict[str, Any] = {
        "kernel": draw(per_axis(nd, 1, 4)),
        "stride": draw(st.one_of(st.none(), per_axis(nd, 1, 3))),
        "padding": draw(onnx_padding(nd)),
        "dilation": draw(per_axis(nd, 1, 3)),
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "AvgPool":
        kw["count_include_pad"] = draw(st.booleans())
    return kind, kw, draw(spatial(nd, 9)), 1


@st.composite
def unpool_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    sizes = draw(spatial(nd, 5))
    k, stride = draw(st.integers(1, 3)), draw(st.one_of(st.none(), st.integers(1, 3)))
    side = st.integers(0, 2)
    padding = draw(st.one_of(side, st.tuples(*[st.tuples(side, side)] * nd)))
    kw: dict[str, Any] = {"kernel": k, "stride": stride, "padding": padding}
    if draw(st.booleans()):
        s = k if stride is None else stride
        default = [(n - 1) * s - b - e + k for n, (b, e) in zip(sizes, _pairs(padding, nd),
                                                                  strict=True)]
        kw["output_size"] = tuple(max(v + draw(st.integers(-s - 1, s + 3)), 1) for v in default)
    return "MaxUnpool", kw, sizes, 1


SCALES = [0.1, 0.29, 1 / 3, 0.5, 0.57, 0.58, 2 / 3, 0.7, 1.0, 1.1, 1.5, 2.5, 3.0, 1, 2, 3]


@st.composite
def resize_cases(draw: st.DrawFn) -> Case:
    nd = draw(st.integers(1, 3))
    kw: dict[str, Any] = {"mode": draw(st.sampled_from(["nearest", "nearest-exact", "linear"]))}
    if draw(st.booleans()):
        one = st.sampled_from(SCALES)
        kw["scale_factor"] = draw(st.one_of(one, st.tuples(*[one] * nd)))
    else:
        kw["size"] = draw(per_axis(nd, 1, 12))
    return "Resize", kw, draw(spatial(nd, 12 if nd < 3 else 6)), 1


@st.composite
def shuffle_cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["PixelShuffle", "PixelUnshuffle"]))
    kw: dict[str, Any] = {"factor": draw(st.integers(1, 3))}
    if kind == "PixelShuffle":
        kw["order"] = draw(st.sampled_from(["CRD", "DCR"]))
    return kind, kw, draw(spatial(2, 6)), draw(st.integers(1, 12))


# --------------------------------------------------------------------------- random cases


@settings(deadline=None)
@given(conv_cases())
def test_conv_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(conv_transpose_cases())
def test_conv_transpose_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(pool_cases())
def test_pool_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(unpool_cases())
def test_max_unpool_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(resize_cases())
def test_resize_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


@settings(deadline=None)
@given(shuffle_cases())
def test_depth_to_space_agrees_with_onnxruntime(case: Case) -> None:
    check(case)


# --------------------------------------------------------------------------- named edge cases


def _c(kind: str, sizes: tuple[int, ...], channels: int = 1, **kw: Any) -> Case:
    if kind in ("Conv", "ConvTranspose"):
        kw = {"in_channels": channels, "out_channels": channels, **kw}
    return kind, kw, sizes, channels


_ORT_25234 = pytest.mark.xfail(strict=True, reason=documented_ort_deviation(
    _c("MaxPool", (2,), kernel=3, stride=3)))
_ORT_20582 = pytest.mark.xfail(strict=True, reason=documented_ort_deviation(
    _c("Conv", (7,), kernel=3, padding="same_upper", dilation=2)))

EDGE_CASES: list[Any] = [
    ("conv kernel > input", _c("Conv", (2,), kernel=3)),
    ("conv kernel = asymmetrically padded input", _c("Conv", (2,), kernel=4, padding=((1, 1),))),
    ("conv asymmetric pads 2-D", _c("Conv", (7, 7), kernel=3, stride=(2, 1),
                                    padding=((0, 1), (1, 0)))),
    ("conv SAME_UPPER 224/k7/s2", _c("Conv", (224,), kernel=7, stride=2, padding="same_upper")),
    ("conv SAME_LOWER even kernel", _c("Conv", (5,), kernel=4, stride=2, padding="same_lower")),
    ("conv SAME with kernel < stride", _c("Conv", (6,), kernel=1, stride=3, padding="same_upper")),
    pytest.param("conv SAME_UPPER with dilation",
                 _c("Conv", (7,), kernel=3, padding="same_upper", dilation=2), marks=_ORT_20582),
    ("conv VALID", _c("Conv", (5,), kernel=3, padding="valid")),
    ("conv VALID kernel > input", _c("Conv", (2,), kernel=3, padding="valid")),
    ("conv groups do not divide channels", _c("Conv", (4,), 3, kernel=1, groups=2,
                                              in_channels=3, out_channels=2)),
    # transposed convolution
    ("transpose op < stride", _c("ConvTranspose", (3,), kernel=3, stride=2, output_padding=1)),
    ("transpose stride <= op < dilation",
     _c("ConvTranspose", (3,), kernel=3, stride=1, dilation=2, output_padding=1)),
    ("transpose op >= stride and dilation",
     _c("ConvTranspose", (3,), kernel=3, stride=1, dilation=2, output_padding=2)),
    ("transpose output 0", _c("ConvTranspose", (1,), kernel=2, padding=1)),
    ("transpose SAME_UPPER", _c("ConvTranspose", (3,), kernel=3, stride=2, padding="same_upper")),
    ("transpose SAME_LOWER dilated",
     _c("ConvTranspose", (3,), kernel=3, stride=2, dilation=2, padding="same_lower")),
    ("transpose SAME with k_eff < stride",
     _c("ConvTranspose", (4,), kernel=1, stride=2, padding="same_upper")),
    ("transpose output_shape = full - 1 (odd total)",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=6)),
    ("transpose output_shape below the op=0 size (crop)",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=3)),
    ("transpose output_shape = full + s - 1",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=8)),
    ("transpose output_shape = full + s",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=9)),
    ("transpose output_shape with output_padding",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_padding=1, padding="same_upper",
        output_size=6)),
    # pooling
    ("pool pads = kernel", _c("MaxPool", (8,), kernel=2, stride=1, padding=2)),
    ("pool pads = kernel - 1", _c("AvgPool", (8,), kernel=3, stride=1, padding=((2, 0),))),
    ("pool ceil (32, 1, 2) -> 16", _c("MaxPool", (32,), kernel=1, stride=2, ceil_mode=True)),
    ("pool ceil (9, 4, 4, p2) -> 3",
     _c("MaxPool", (9,), kernel=4, stride=4, padding=2, ceil_mode=True)),
    ("pool ceil (2, 3, 3, p1) -> 1",
     _c("AvgPool", (2,), kernel=3, stride=3, padding=1, ceil_mode=True)),
    ("pool ceil (5, 2, 2, p1) -> 3",
     _c("MaxPool", (5, 5), kernel=2, stride=2, padding=1, ceil_mode=True)),
    ("pool ceil window larger than input",
     _c("MaxPool", (1,), kernel=3, stride=3, ceil_mode=True)),
    pytest.param("pool floor window overhangs by less than a stride",
                 _c("MaxPool", (2,), kernel=3, stride=3), marks=_ORT_25234),
    ("pool floor window overhangs by a stride or more", _c("MaxPool", (2,), kernel=4, stride=1)),
    ("pool VALID with ceil_mode",
     _c("MaxPool", (6,), kernel=3, stride=2, padding="valid", ceil_mode=True)),
    ("pool SAME_UPPER with dilation",
     _c("MaxPool", (7,), kernel=3, stride=1, padding="same_upper", dilation=2)),
    ("pool SAME with negative total padding (k_eff < s)",
     _c("MaxPool", (6,), kernel=1, stride=3, padding="same_upper")),
    ("avg pool with dilation", _c("AvgPool", (5,), kernel=2, stride=1, dilation=2)),
    # max-unpooling
    ("unpool default", _c("MaxUnpool", (3,), kernel=2)),
    ("unpool output_shape = default", _c("MaxUnpool", (3,), kernel=2, output_size=6)),
    ("unpool output_shape far above default", _c("MaxUnpool", (3,), kernel=2, output_size=12)),
    ("unpool output_shape below default", _c("MaxUnpool", (3,), kernel=2, output_size=5)),
    ("unpool pads = kernel", _c("MaxUnpool", (3,), kernel=2, stride=2, padding=2)),
    ("unpool default size 0 with output_shape",
     _c("MaxUnpool", (1,), kernel=2, stride=2, padding=1, output_size=3)),
    # resizing: ORT multiplies in float32
    ("resize 0.57 of 100 -> 57 (float32)", _c("Resize", (100,), scale_factor=0.57)),
    ("resize 0.1 of 9 -> 0", _c("Resize", (9,), scale_factor=0.1)),
    ("resize 1/3 of 7", _c("Resize", (7,), scale_factor=1 / 3)),
    ("resize 2.5 of 3 linear", _c("Resize", (3,), scale_factor=2.5, mode="linear")),
    ("resize (1.5, 0.5) of (5, 5)", _c("Resize", (5, 5), scale_factor=(1.5, 0.5))),
    ("resize sizes", _c("Resize", (5, 5), size=(2, 9))),
    ("resize sizes and scales", _c("Resize", (5,), size=4, scale_factor=2)),
    # DepthToSpace / SpaceToDepth
    ("depth-to-space CRD", _c("PixelShuffle", (3, 2), 8, factor=2, order="CRD")),
    ("depth-to-space DCR", _c("PixelShuffle", (3, 2), 18, factor=3, order="DCR")),
    ("depth-to-space channels not divisible", _c("PixelShuffle", (3, 3), 6, factor=2)),
    ("space-to-depth", _c("PixelUnshuffle", (4, 6), 2, factor=2)),
    ("space-to-depth size not divisible", _c("PixelUnshuffle", (4, 3), 1, factor=2)),
]


def _param(row: Any) -> Any:
    return row if hasattr(row, "marks") else pytest.param(*row)


@pytest.mark.parametrize(("name", "case"), [_param(r) for r in EDGE_CASES],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_edge_case_agrees_with_onnxruntime(name: str, case: Case) -> None:
    """Each case against onnxruntime itself (documented ORT deviations are strict xfails)."""
    kind, kw, sizes, channels = case
    model, feeds = onnx_model(kind, kw, sizes, channels)
    ours = symconv_outcome(kind, {**kw, "convention": "onnx"}, sizes, channels)
    report = disagreement("onnxruntime", case, ort_outcome(model, feeds), ours)
    if report:
        pytest.fail(f"{name}: {report}")


@pytest.mark.parametrize(("name", "case"), [r.values for r in EDGE_CASES if hasattr(r, "marks")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_documented_ort_deviations_follow_the_spec_text(name: str, case: Case) -> None:
    assert documented_ort_deviation(case), name
    check(case)


# --------------------------------------------------------------------------- three-way pins

# (name, case, onnxruntime, reference evaluator, shape inference) as observed; "error" = raises,
# "unknown" = shape inference gives no concrete shape.  Pinned so that a change upstream shows.
THREE_WAY = [
    ("pool floor overhang", _c("MaxPool", (2,), kernel=3, stride=3), "(1, 1)", "(1, 0)", "(1, 1)"),
    ("pool VALID + ceil_mode",
     _c("MaxPool", (6,), kernel=3, stride=2, padding="valid", ceil_mode=True),
     "(1, 3)", "(1, 2)", "(1, 3)"),
    ("pool SAME + dilation",
     _c("MaxPool", (7,), kernel=3, stride=1, padding="same_upper", dilation=2),
     "(1, 5)", "(1, 7)", "(1, 7)"),
    ("pool SAME, negative total",
     _c("MaxPool", (6,), kernel=1, stride=3, padding="same_upper"), "error", "(1, 2)", "(1, 2)"),
    ("conv SAME + dilation", _c("Conv", (7,), kernel=3, padding="same_upper", dilation=2),
     "error", "(1, 7)", "(1, 7)"),
    ("conv VALID kernel > input", _c("Conv", (2,), kernel=3, padding="valid"),
     "error", "(1, 0)", "(1, 0)"),
    ("transpose SAME + output_padding",
     _c("ConvTranspose", (3,), kernel=3, stride=2, dilation=2, padding="same_lower",
        output_padding=1), "(1, 6)", "(1, 6)", "(1, 7)"),
    ("transpose stride <= op < dilation",
     _c("ConvTranspose", (3,), kernel=3, stride=1, dilation=2, output_padding=1),
     "error", "error", "(1, 8)"),
    ("transpose output_shape below op=0 size",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=3), "(1, 3)", "error", "(1, 3)"),
    ("transpose output_shape above op=0 size",
     _c("ConvTranspose", (3,), kernel=3, stride=2, output_size=8), "(1, 8)", "(1, 8)", "(1, 8)"),
    ("transpose SAME, k_eff < stride",
     _c("ConvTranspose", (4,), kernel=1, stride=2, padding="same_upper"),
     "(1, 7)", "(1, 8)", "(1, 7)"),
    ("transpose output_shape with pads",
     _c("ConvTranspose", (5, 3), kernel=1, dilation=2, padding=2, output_size=(3, 2)),
     "(1, 3, 2)", "error", "error"),
    ("unpool output_shape below default", _c("MaxUnpool", (3,), kernel=2, output_size=5),
     "error", "error", "unknown"),
    ("resize float32 product", _c("Resize", (100,), scale_factor=0.57), "(1, 57)", "(1, 56)",
     "unknown"),
    ("depth-to-space channels not divisible", _c("PixelShuffle", (3, 3), 6, factor=2),
     "error", "error", "(1, 6, 6)"),
]


def _summary(outcome: Outcome | None) -> str:
    if outcome is None:
        return "unknown"
    return "error" if outcome.error is not None else str(outcome.shape)


@pytest.mark.parametrize(("name", "case", "ort", "ref", "inf"), THREE_WAY,
                         ids=[r[0] for r in THREE_WAY])
def test_onnx_implementations_disagree_as_documented(
    name: str, case: Case, ort: str, ref: str, inf: str
) -> None:

    model, feeds = onnx_model(*case)
    observed = (_summary(ort_outcome(model, feeds)), _summary(reference_outcome(model, feeds)),
                _summary(inferred_outcome(model)))
    assert observed == (ort, ref, inf), f"{name}: (ort, reference, inference) = {observed}"


# --------------------------------------------------------------------------- where values land


def _impulses(n: int) -> np.ndarray:
    """Batch of n one-hot inputs: sample j has a 1 at position j."""
    return np.eye(n, dtype=np.float32).reshape(n, 1, n)


@st.composite
def transpose_value_cases(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    n, k = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["notset", "same_upper", "same_lower", "pads"]))
    kw: dict[str, Any] = {"kernel": k, "stride": s, "dilation": d,
                          "output_padding": draw(st.integers(0, s - 1))}
    if mode == "pads":
        kw["padding"] = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),)
    else:
        kw["padding"] = mode
    if mode == "notset" or draw(st.booleans()):
        full = (n - 1) * s + d * (k - 1) + 1
        kw["output_size"] = max(1, full + draw(st.integers(-4, s - 1)))
    return kw, n


def _odd_split(mode: str, target: int) -> Any:
    kw = {"kernel": 3, "stride": 2, "dilation": 1, "output_padding": 0, "padding": mode,
          "output_size": target}
    return example((kw, 3))  # n=3, k=3, s=2: full extent 7, so targets 6 and 4 split oddly


@settings(deadline=None)
@given(transpose_value_cases())
@_odd_split("same_upper", 6)
@_odd_split("same_lower", 6)
@_odd_split("notset", 6)
@_odd_split("same_upper", 4)
@_odd_split("same_lower", 4)
def test_conv_transpose_values_land_where_symconv_pads_say(case: tuple[Any, int]) -> None:
    """Impulse inputs and an all-ones kernel: input j must reach exactly the outputs
    ``j*s + t*d - pad_begin`` (0 <= t < k) inside ``[0, output)``, with symconv's pads; this pins
    the SAME_UPPER/SAME_LOWER/NOTSET split of an ``output_shape`` total padding."""
    kw, n = case
    try:
        r = symconv.resolve(symconv.ConvTranspose(convention="onnx", **kw), n)
    except symconv.InvalidSpecError:
        return  # rejections are compared in test_conv_transpose_agrees_with_onnxruntime
    (pb, _), o = r.pads[0], r.output[0]
    model, feeds = onnx_model("ConvTranspose", kw, (n,), 1, x=_impulses(n))
    got = ort_outcome(model, feeds)
    if got.shape != (1, o):
        return  # shape disagreements are reported by the agreement tests
    expected = np.zeros((n, o), np.float32)
    for j in range(n):
        for t in range(kw["kernel"]):
            y = j * kw["stride"] + t * kw["dilation"] - pb
            if 0 <= y < o:
                expected[j, y] += 1
    np.testing.assert_array_equal(got.values[:, 0, :], expected, err_msg=f"{kw} on {n}: {r}")


@st.composite
def same_value_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], int]:
    kind = draw(st.sampled_from(["Conv", "MaxPool"]))
    kw = {"kernel": draw(st.integers(1, 5)), "stride": draw(st.integers(1, 3)),
          "padding": draw(st.sampled_from(["same_upper", "same_lower"]))}
    return kind, kw, draw(st.integers(1, 9))


@settings(deadline=None)
@given(same_value_cases())
def test_same_padding_values_match_symconv_pads(case: tuple[str, dict[str, Any], int]) -> None:
    """Conv/MaxPool with auto_pad SAME_*: output y sees input ``y*s - pad_begin + t``."""
    kind, kw, n = case
    try:
        r = symconv.resolve(getattr(symconv, kind)(convention="onnx", **kw), n)
    except symconv.InvalidSpecError:
        return
    (pb, _), o = r.pads[0], r.output[0]
    model, feeds = onnx_model(kind, kw, (n,), 1, x=_impulses(n))
    got = ort_outcome(model, feeds)
    if got.shape != (1, o):
        return
    expected = np.zeros((n, o), np.float32)
    for y in range(o):
        for t in range(kw["kernel"]):
            j = y * kw["stride"] - pb + t
            if 0 <= j < n:
                expected[j, y] = 1 if kind == "MaxPool" else expected[j, y] + 1
    np.testing.assert_array_equal(got.values[:, 0, :], expected, err_msg=f"{kind} {kw} on {n}")
