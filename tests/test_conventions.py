"""ONNX attribute adapter: layout, defaults and exclusivity rules."""

from __future__ import annotations

import pytest

from symconv import InvalidSpecError, UnsupportedError, output_shape, resolve
from symconv.sizes.conventions import from_onnx, onnx_pads
from symconv.spec import AvgPool, ConvTranspose, MaxPool, PadMode, PixelShuffle, ShuffleOrder


def test_pads_layout_is_all_begins_then_all_ends() -> None:
    assert onnx_pads([1, 2, 3, 4, 5, 6], 3) == ((1, 4), (2, 5), (3, 6))


def test_conv_with_asymmetric_pads_gives_the_onnx_output_size() -> None:
    layer = from_onnx("Conv", {"kernel_shape": [3, 3], "pads": [0, 1, 1, 0], "strides": [2, 1]})
    # axis 0: (7 + 0 + 1 - 3)//2 + 1 = 3; axis 1: 7 + 1 + 0 - 3 + 1 = 6
    assert output_shape(layer, (7, 7)) == (3, 6)


def test_pool_strides_default_to_one_not_to_the_kernel() -> None:
    layer = from_onnx("MaxPool", {"kernel_shape": [2, 2]})
    assert isinstance(layer, MaxPool)
    assert output_shape(layer, (4, 4)) == (3, 3)


def test_average_pool_defaults_to_excluding_padding() -> None:
    layer = from_onnx("AveragePool", {"kernel_shape": [3], "pads": [1, 1], "count_include_pad": 0})
    assert isinstance(layer, AvgPool)
    assert layer.count_include_pad is False
    assert from_onnx("AveragePool", {"kernel_shape": [3]}).count_include_pad is False


def test_auto_pad_becomes_a_padding_mode() -> None:
    layer = from_onnx("Conv", {"kernel_shape": [4], "strides": [2], "auto_pad": b"SAME_LOWER"})
    assert layer.padding is PadMode.SAME_LOWER
    r = resolve(layer, 7)
    assert r.output == (4,)
    assert r.pads == ((2, 1),)  # total 3, the larger half at the beginning


def test_conv_transpose_output_shape_sets_the_split() -> None:
    layer = from_onnx(
        "ConvTranspose", {"kernel_shape": [3], "strides": [2], "output_shape": [1, 1, 6]}
    )
    assert isinstance(layer, ConvTranspose)
    r = resolve(layer, 3)
    # total padding 2*2 + 3 - 6 = 1; NOTSET puts the larger half at the beginning.
    assert r.output == (6,) and r.pads == ((1, 0),) and r.output_padding == (0,)


def test_depth_to_space_defaults_to_dcr_and_space_to_depth_is_2d() -> None:
    layer = from_onnx("DepthToSpace", {"blocksize": 3})
    assert isinstance(layer, PixelShuffle) and layer.order is ShuffleOrder.DCR
    assert output_shape(from_onnx("SpaceToDepth", {"blocksize": 2}), (4, 6)) == (2, 3)


@pytest.mark.parametrize(
    ("op", "attrs", "error", "message"),
    [
        ("Conv", {"kernel_shape": [3], "pads": [1, 1], "auto_pad": "VALID"}, InvalidSpecError,
         "pads=[1,1] and auto_pad='VALID' are exclusive"),
        ("Conv", {"kernel_shape": [3, 3], "pads": [1, 1]}, InvalidSpecError,
         "pads=[1,1] must have 2 entries per spatial axis (4)"),
        ("Conv", {"kernel_shape": [3], "auto_pad": "SAME"}, InvalidSpecError,
         "auto_pad='SAME' must be one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
        ("Conv", {"kernel_shape": [3, 3], "strides": [1]}, InvalidSpecError,
         "strides=[1] must have one entry per spatial axis (2)"),
        ("MaxPool", {"kernel_shape": [3], "pads": [3, 0]}, InvalidSpecError,
         "padding=((3, 0),) must be smaller than kernel=3 under convention onnx"),
        ("Conv", {}, InvalidSpecError, "kernel_shape=None must be given"),
        ("DepthToSpace", {}, InvalidSpecError, "blocksize=None must be given"),
        ("Gemm", {}, UnsupportedError, "op_type='Gemm'"),
    ],
)
def test_rejections(op: str, attrs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        from_onnx(op, attrs)
    assert message in str(info.value)
