"""Tests of symconv.spec.syntax: the documented layer text -> spec parser and its inverse.

* a table of texts and the spec each must give (built directly, not through the parser);
* round trips ``parse_layer(format_layer(spec)) == spec`` for valid specs of every convention
  drawn by the shared strategies (groups and channel counts dropped: the syntax describes one
  channel's geometry);
* one table of every rejection with the column it must report.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    InvalidSpecError,
    MaxPool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)
from symconv.spec.syntax import KINDS, LayerSyntaxError, format_layer, parse_layer, parse_layers

from strategies import CONVENTIONS, adaptive_specs, conv_specs, conv_transpose_specs, pool_specs

VALID: list[tuple[str, Any]] = [
    ("conv k=3", Conv(kernel=3)),
    ("conv k=3x3 s=2", Conv(kernel=(3, 3), stride=(2, 2))),
    ("conv kernel=5 stride=2 padding=2 dilation=2", Conv(kernel=5, stride=2, padding=2,
                                                         dilation=2)),
    ("conv k=3 p=1:2", Conv(kernel=3, padding=((1, 2),))),
    ("conv k=3x3 p=1:2x0:1", Conv(kernel=(3, 3), padding=((1, 2), (0, 1)))),
    ("conv k=3 p=same", Conv(kernel=3, padding="same")),
    ("conv k=3 p=1 pm=reflect", Conv(kernel=3, padding=1, padding_mode="reflect")),
    ("conv k=7 s=2 p=SAME convention=tensorflow",
     Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow")),
    ("  conv   k=3\ts=2  ", Conv(kernel=3, stride=2)),
    ("CONV K=3", Conv(kernel=3)),
    ("conv-transpose k=3 s=2 p=1 op=1 d=1",
     ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1, dilation=1)),
    ("deconv k=4 s=2 p=1", ConvTranspose(kernel=4, stride=2, padding=1)),
    ("conv-transpose k=3 s=1 d=2 op=1", ConvTranspose(kernel=3, dilation=2, output_padding=1)),
    ("avg-pool k=2", AvgPool(kernel=2)),
    ("avg-pool k=3 s=1 p=1", AvgPool(kernel=3, stride=1, padding=1)),
    ("max-pool k=2", MaxPool(kernel=2)),
    ("max-pool k=3 s=2 p=1 ceil", MaxPool(kernel=3, stride=2, padding=1, ceil_mode=True)),
    ("max-pool k=3 d=2 ceil_mode", MaxPool(kernel=3, dilation=2, ceil_mode=True)),
    ("upsample-nearest f=2", Resize(scale_factor=2)),
    ("upsample-nearest f=1.5", Resize(scale_factor=Fraction(3, 2))),
    ("upsample-nearest f=2x3 exact", Resize(scale_factor=(2, 3), mode="nearest-exact")),
    ("upsample-linear f=2", Resize(scale_factor=2, mode="linear")),
    ("upsample-linear f=2 align_corners", Resize(scale_factor=2, mode="linear",
                                                 align_corners=True)),
    ("upsample-linear f=3/2", Resize(scale_factor=Fraction(3, 2), mode="linear")),
    ("pixel-shuffle r=2", PixelShuffle(factor=2)),
    ("pixel-unshuffle r=3", PixelUnshuffle(factor=3)),
    ("adaptive-avg-pool o=7x7", AdaptiveAvgPool((7, 7))),
    ("adaptive-max-pool o=nonex3", AdaptiveMaxPool((None, 3))),
    ("global-avg-pool", AdaptiveAvgPool(1)),
    ("global-max-pool convention=onnx", AdaptiveMaxPool(1, convention="onnx")),
]


@pytest.mark.parametrize(("text", "spec"), VALID, ids=[t for t, _ in VALID])
def test_parse_gives_the_spec(text: str, spec: Any) -> None:
    assert parse_layer(text) == spec


@pytest.mark.parametrize(("text", "spec"), VALID, ids=[t for t, _ in VALID])
def test_format_round_trips_the_table(text: str, spec: Any) -> None:
    assert parse_layer(format_layer(spec)) == spec


def _one_channel(spec: Any) -> Any:
    if isinstance(spec, Conv | ConvTranspose):
        return dataclasses.replace(spec, groups=1, in_channels=None, out_channels=None)
    return spec


@given(st.data())
def test_round_trip_of_valid_specs(data: st.DataObject) -> None:
    convention = data.draw(st.sampled_from(CONVENTIONS))
    ndim = data.draw(st.integers(1, 3))
    maker = data.draw(st.sampled_from(["conv", "transpose", "max", "avg", "adaptive"]))
    if maker == "adaptive":
        spec = data.draw(adaptive_specs(ndim, convention))
    elif maker == "conv":
        spec = data.draw(conv_specs(ndim, convention))
    elif maker == "transpose":
        spec = data.draw(conv_transpose_specs(ndim, convention))
    else:
        spec = data.draw(pool_specs(ndim, convention, maker))
    spec = _one_channel(spec)
    try:
        text = format_layer(spec)
    except InvalidSpecError as exc:
        # Only what the syntax documents as out of scope may be refused.
        assert "output_size=" in str(exc) or "count_include_pad=" in str(exc)
        return
    # A 1-D spec with per-axis tuples reads back as the broadcast spec: the same layer on
    # inputs of its rank.
    assert parse_layer(text).at(ndim) == spec.at(ndim)


def test_kinds_are_documented() -> None:
    import symconv.spec.syntax as module

    for kind in KINDS:
        assert kind in (module.__doc__ or "")


ERRORS: list[tuple[str, int, str]] = [
    ("", 1, "must start with a layer kind"),
    ("   ", 1, "must start with a layer kind"),
    ("conf k=3", 1, "kind 'conf'"),
    ("conv", 5, "must give k="),
    ("conv s=2", 9, "must give k="),
    ("conv k=3 q=2", 10, "parameter q=2"),
    ("conv k=3 k=4", 10, "must not repeat k="),
    ("conv k=a", 8, "k=a"),
    ("conv k=-1", 8, "k=-1"),
    ("conv k=3x", 8, "k=3x"),
    ("conv k=3 p=1:", 12, "p=1:"),
    ("conv k=3 p=1:2:3", 12, "p=1:2:3"),
    ("conv k=3 ceil", 10, "'ceil'"),
    ("max-pool k=2 ceil ceil", 19, "must not repeat"),
    ("upsample-nearest f=x", 20, "f=x"),
    ("upsample-nearest f=1/0", 20, "zero denominator"),
    ("upsample-nearest f=1e3", 20, "f=1e3"),
    ("upsample-nearest k=2", 18, "parameter k=2"),
    ("conv k=3 convention=caffe", 10, "convention="),
    ("conv k=3 pm=1", 13, "pm=1"),
    ("conv k=0", 6, "kernel=0"),
    ("conv k=3 s=2 p=same", 14, "padding='same'"),
    ("conv-transpose k=3 s=2 op=2", 24, "output_padding=2"),
    ("max-pool k=3 p=2", 14, "padding=2"),
    ("upsample-nearest f=0", 18, "scale_factor=0"),
    ("conv k=3x3 s=2x2x2", 12, "stride=(2,2,2)"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), ERRORS, ids=[e[0] or "empty"
                                                                       for e in ERRORS])
def test_rejections_give_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(LayerSyntaxError) as info:
        parse_layer(text)
    assert info.value.column == column
    assert fragment in str(info.value)
    assert isinstance(info.value, InvalidSpecError)
    if text.strip():
        assert f"column {column}" in str(info.value)


def test_parse_layers_names_the_layer() -> None:
    with pytest.raises(LayerSyntaxError, match=r"^layer 2: k=z \(column 8 ") as info:
        parse_layers(["conv k=3", "conv k=z"])
    assert info.value.column == 8


def test_no_evaluation_of_text() -> None:
    for text in ["conv k=__import__('os')", "conv k=1+1", "conv k=(3)", "upsample-nearest f=2**3"]:
        with pytest.raises(LayerSyntaxError):
            parse_layer(text)


def test_format_refuses_what_it_cannot_write() -> None:
    for spec in [Conv(kernel=3, groups=2), ConvTranspose(kernel=3, output_size=8),
                 Resize(size=4), PixelShuffle(factor=2, order="DCR"),
                 Resize(scale_factor=2, convention="onnx")]:
        with pytest.raises(InvalidSpecError, match="no layer-text form"):
            format_layer(spec)
