"""Every rejection rule of symconv in one table: what is refused, and that the message says
``name=value`` (the parameter and the value the user gave) as the error contract requires.

The first table holds rules checked at construction (``symconv.spec``) and by the scalar
contract functions; the second holds input-dependent rules checked by ``resolve`` and
``output_channels``.  Each row is ``(id, call, substring)``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from symconv import (
    AvgPool,
    Conv,
    ConvTranspose,
    InvalidSpecError,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    SymconvError,
    conv_output_size,
    conv_transpose_output_size,
    output_channels,
    pool_output_size,
    resize_output_size,
    resolve,
    same_padding,
    unpool_output_size,
)

Row = tuple[str, Callable[[], Any], str]

SPEC_RULES: list[Row] = [
    # positivity
    ("kernel 0", lambda: Conv(kernel=0), "kernel=0"),
    ("kernel negative", lambda: Conv(kernel=-3), "kernel=-3"),
    ("kernel 0 in a tuple", lambda: Conv(kernel=(3, 0)), "kernel=(3,0)"),
    ("stride 0", lambda: Conv(kernel=3, stride=0), "stride=0"),
    ("pool stride 0", lambda: MaxPool(kernel=2, stride=0), "stride=0"),
    ("transposed stride negative", lambda: ConvTranspose(kernel=3, stride=-1), "stride=-1"),
    ("dilation 0", lambda: Conv(kernel=3, dilation=0), "dilation=0"),
    ("pool dilation 0", lambda: MaxPool(kernel=2, dilation=0), "dilation=0"),
    ("groups 0", lambda: Conv(kernel=1, groups=0), "groups=0"),
    ("in_channels 0", lambda: Conv(kernel=1, in_channels=0), "in_channels=0"),
    ("out_channels negative", lambda: ConvTranspose(kernel=1, out_channels=-2), "out_channels=-2"),
    ("ndim 0", lambda: Conv(kernel=1, ndim=0), "ndim=0"),
    # spatial rank: 1 to 16 axes (issue 15: an empty tuple divided by zero, a huge ndim
    # overflowed or exhausted memory)
    ("resize scale_factor empty", lambda: Resize(scale_factor=()),
     "scale_factor=() must have at least one entry"),
    ("resize size empty", lambda: Resize(size=()), "size=() must have at least one entry"),
    ("resize size empty with ndim", lambda: Resize(size=[], ndim=2),
     "size=() must have at least one entry"),
    ("kernel empty", lambda: Conv(kernel=()), "kernel=() must have at least one entry"),
    ("ndim 17", lambda: Conv(kernel=3, ndim=17), "ndim=17 must be at most 16"),
    ("ndim beyond memory", lambda: Conv(kernel=3, ndim=10**12),
     "ndim=1000000000000 must be at most 16"),
    ("ndim beyond an index", lambda: Conv(kernel=3, ndim=10**30), "ndim="),
    ("ndim a symbol", lambda: Conv(kernel=3, ndim=__import__("sympy").Symbol(
        "n", integer=True, positive=True)), "ndim=n must be an integer, not a symbol"),
    ("resize ndim 17", lambda: Resize(scale_factor=2, ndim=17), "ndim=17 must be at most 16"),
    ("17 kernel entries", lambda: MaxPool(kernel=(2,) * 17),
     "kernel=(2,2,2,...) (17 entries) must have at most 16"),
    ("a million stride entries", lambda: Conv(kernel=3, stride=(1,) * 10**6),
     "stride=(1,1,1,...) (1000000 entries) must have at most 16"),
    ("shuffle ndim 17", lambda: PixelShuffle(factor=2, ndim=17), "ndim=17 must be at most 16"),
    ("unshuffle ndim 0", lambda: PixelUnshuffle(factor=2, ndim=0), "ndim=0"),
    ("negative padding", lambda: Conv(kernel=3, padding=-1), "padding=-1"),
    ("negative padding in a pair", lambda: Conv(kernel=3, padding=((1, -1),)), "padding=((1,-1))"),
    ("negative output_padding", lambda: ConvTranspose(kernel=3, output_padding=-1),
     "output_padding=-1"),
    ("output_size 0", lambda: ConvTranspose(kernel=3, output_size=0), "output_size=0"),
    ("unpool output_size 0", lambda: MaxUnpool(kernel=2, output_size=0), "output_size=0"),
    ("resize size 0", lambda: Resize(size=0), "size=0"),
    ("shuffle factor 0", lambda: PixelShuffle(factor=0), "factor=0"),
    ("unshuffle factor negative", lambda: PixelUnshuffle(factor=-2), "factor=-2"),
    # types: bool and float are not ints
    ("bool kernel", lambda: Conv(kernel=True), "kernel=True"),
    ("bool stride in a tuple", lambda: Conv(kernel=(3, 3), stride=(1, False)), "stride=(1,False)"),
    ("bool groups", lambda: Conv(kernel=1, groups=True), "groups=True"),
    ("bool padding", lambda: Conv(kernel=3, padding=True), "padding=True"),
    ("bool output_padding", lambda: ConvTranspose(kernel=3, stride=2, output_padding=True),
     "output_padding=True"),
    ("bool factor", lambda: PixelShuffle(factor=True), "factor=True"),
    ("float stride", lambda: Conv(kernel=3, stride=2.0), "stride=2.0"),
    ("float kernel", lambda: MaxPool(kernel=2.5), "kernel=2.5"),
    ("float padding", lambda: Conv(kernel=3, padding=1.0), "padding=1.0"),
    ("float dilation in a tuple", lambda: Conv(kernel=(3, 3), dilation=(1, 1.5)),
     "dilation=(1,1.5)"),
    ("float resize size", lambda: Resize(size=4.0), "size=4.0"),
    ("string kernel", lambda: Conv(kernel="3"), "kernel='3'"),
    ("bool ceil_mode as int", lambda: MaxPool(kernel=2, ceil_mode=1), "ceil_mode=1"),
    ("count_include_pad as int", lambda: AvgPool(kernel=2, count_include_pad=1),
     "count_include_pad=1"),
    ("align_corners as int", lambda: Resize(scale_factor=2, mode="linear", align_corners=1),
     "align_corners=1"),
    # tuple lengths
    ("kernel tuple vs ndim", lambda: Conv(kernel=(3, 3), ndim=3), "kernel=(3,3)"),
    ("stride and kernel lengths differ", lambda: Conv(kernel=(3, 3), stride=(1, 1, 1)),
     "stride=(1,1,1)"),
    ("padding and kernel lengths differ", lambda: Conv(kernel=(3, 3), padding=(1, 1, 1)),
     "padding=(1,1,1)"),
    ("padding pair of three", lambda: Conv(kernel=3, padding=((1, 2, 3),)), "padding=((1,2,3))"),
    ("output_padding vs kernel lengths",
     lambda: ConvTranspose(kernel=(3, 3), stride=2, output_padding=(1, 1, 1)),
     "output_padding=(1,1,1)"),
    ("resize scale_factor vs size lengths", lambda: Resize(scale_factor=(2, 2), ndim=3),
     "scale_factor=(2,2)"),
    ("unpool output_size vs kernel lengths",
     lambda: MaxUnpool(kernel=(2, 2), output_size=(4, 4, 4)), "output_size=(4,4,4)"),
    # channels
    ("groups do not divide in_channels", lambda: Conv(kernel=1, groups=2, in_channels=3),
     "groups=2 must divide in_channels=3"),
    ("groups do not divide out_channels",
     lambda: ConvTranspose(kernel=1, groups=3, in_channels=3, out_channels=4),
     "groups=3 must divide out_channels=4"),
    # output_padding limits per convention
    ("torch op >= stride and >= dilation",
     lambda: ConvTranspose(kernel=3, stride=2, output_padding=2),
     "output_padding=2 must be smaller than stride=2 or dilation=1"),
    ("torch op per axis",
     lambda: ConvTranspose(kernel=(3, 3), stride=(2, 1), output_padding=(1, 1)),
     "output_padding=(1,1)"),
    ("onnx op >= stride and >= dilation",
     lambda: ConvTranspose(kernel=3, stride=1, dilation=2, output_padding=2, convention="onnx"),
     "output_padding=2"),
    ("onnx stride <= op < dilation",
     lambda: ConvTranspose(kernel=3, stride=1, dilation=2, output_padding=1, convention="onnx"),
     "output_padding=1"),
    ("keras op = stride", lambda: ConvTranspose(kernel=3, stride=2, output_padding=2,
                                                padding="same", convention="keras"),
     "output_padding=2 must be smaller than stride=2"),
    ("keras op < dilation only", lambda: ConvTranspose(kernel=3, stride=1, dilation=2,
                                                       output_padding=1, padding="valid",
                                                       convention="keras"),
     "output_padding=1 must be smaller than stride=1"),
    ("tensorflow op != 0", lambda: ConvTranspose(kernel=3, stride=2, output_padding=1,
                                                 padding="SAME", convention="tensorflow"),
     "output_padding=1 must be 0"),
    ("jax op != 0", lambda: ConvTranspose(kernel=3, stride=2, output_padding=1, padding="VALID",
                                          convention="jax"),
     "output_padding=1 must be 0"),
    # padding names per convention
    ("torch 'same' with stride 2", lambda: Conv(kernel=3, stride=2, padding="same"),
     "stride=2"),
    ("torch 'same' with stride (1, 2)", lambda: Conv(kernel=3, stride=(1, 2), padding="same"),
     "stride=(1,2)"),
    ("'same' under onnx", lambda: Conv(kernel=3, padding="same", convention="onnx"),
     "padding='same'"),
    ("'same_upper' under torch", lambda: Conv(kernel=3, padding="SAME_UPPER"),
     "padding='SAME_UPPER'"),
    ("'causal' under tensorflow", lambda: Conv(kernel=3, padding="causal", convention="tensorflow"),
     "padding='causal'"),
    ("'full' for a conv", lambda: Conv(kernel=3, padding="full", convention="keras"),
     "padding='full'"),
    ("'same_lower' under keras", lambda: Conv(kernel=3, padding="same_lower", convention="keras"),
     "padding='same_lower'"),
    ("unknown padding name", lambda: Conv(kernel=3, padding="reflect"), "padding='reflect'"),
    ("causal with 2-D", lambda: Conv(kernel=(3, 3), padding="causal", convention="keras"),
     "padding='causal'"),
    ("keras numeric conv padding", lambda: Conv(kernel=3, padding=1, convention="keras"),
     "padding=1"),
    ("torch transposed padding name", lambda: ConvTranspose(kernel=3, padding="same"),
     "padding='same'"),
    # tf.nn.conv2d_transpose and the 2-D tf.nn.conv_transpose take explicit pads; these do not
    ("tf.nn.conv1d_transpose numeric padding",
     lambda: ConvTranspose(kernel=3, padding=1, convention="tf.nn.conv1d_transpose"),
     "padding=1 must be 'SAME' or 'VALID' for tf.nn.conv1d_transpose (it takes no explicit "
     "padding"),
    ("tf.nn.conv3d_transpose numeric padding",
     lambda: ConvTranspose(kernel=3, padding=1, convention="tf.nn.conv3d_transpose"),
     "padding=(1, 1, 1) must be 'SAME' or 'VALID' for tf.nn.conv3d_transpose (it takes no "
     "explicit padding"),
    ("tensorflow 1-D transposed numeric padding",
     lambda: ConvTranspose(kernel=3, padding=1, convention="tensorflow", ndim=1),
     "padding=1 must be 'SAME' or 'VALID' for tf.nn.conv_transpose (it takes no explicit "
     "padding at rank 1"),
    ("keras transposed numeric padding",
     lambda: ConvTranspose(kernel=3, padding=(1, 2), convention="keras"), "padding=(1,2)"),
    # lax.conv_transpose reads only 'SAME'/'VALID'; other strings go to the forward conv,
    # which JAX refuses at a stride > 1
    ("jax transposed 'same_lower' at stride 2",
     lambda: ConvTranspose(kernel=3, stride=2, padding="same_lower", convention="jax"),
     "padding='same_lower' must be 'SAME', 'VALID' or pairs for jax.lax.conv_transpose at "
     "stride=2"),
    ("jax transposed 'same' at stride 2",
     lambda: ConvTranspose(kernel=3, stride=2, padding="same", convention="jax"),
     "padding='same' must be 'SAME', 'VALID' or pairs for jax.lax.conv_transpose at stride=2"),
    ("jax transposed unknown name",
     lambda: ConvTranspose(kernel=3, padding="full", convention="jax"),
     "padding='full' must be a number or one of 'SAME', 'VALID' (exactly as written) for "
     "jax.lax.conv_transpose"),
    ("tensorflow stride with dilation",
     lambda: Conv(kernel=3, stride=2, dilation=2, padding="SAME", convention="tensorflow"),
     "stride=2 must be 1 when dilation=2"),
    ("keras transposed stride with dilation",
     lambda: ConvTranspose(kernel=3, stride=2, dilation=2, padding="same", convention="keras"),
     "stride=2"),
    ("padding_mode under onnx", lambda: Conv(kernel=3, padding_mode="reflect", convention="onnx"),
     "padding_mode='reflect'"),
    ("unknown padding_mode", lambda: Conv(kernel=3, padding_mode="wrap"), "padding_mode='wrap'"),
    # pooling
    ("torch pool padding > k//2", lambda: MaxPool(kernel=3, padding=2), "padding=2"),
    ("torch pool padding > k//2 on one axis", lambda: AvgPool(kernel=(4, 2), padding=(2, 2)),
     "padding=(2,2)"),
    ("torch pool padding name", lambda: MaxPool(kernel=2, padding="same"), "padding='same'"),
    ("onnx pool padding = kernel", lambda: MaxPool(kernel=2, padding=2, convention="onnx"),
     "padding=2 must be smaller than kernel=2"),
    ("onnx pool end padding = kernel",
     lambda: AvgPool(kernel=3, padding=((0, 3),), convention="onnx"), "padding=((0,3),)"),
    # tf.nn.max_pool takes explicit pads below the window in 1-D and 2-D; avg_pool takes none
    ("tensorflow max pool padding = kernel",
     lambda: MaxPool(kernel=2, padding=2, convention="tensorflow"),
     "padding=2 must be smaller than kernel=2 on each side for tf.nn.max_pool"),
    ("tensorflow 3-D max pool numeric padding",
     lambda: MaxPool(kernel=(2, 2, 2), padding=1, convention="tensorflow"),
     "padding=(1, 1, 1) must be 'SAME' or 'VALID' for tf.nn.max_pool (it takes no explicit "
     "padding at rank 3"),
    ("tensorflow avg pool numeric padding",
     lambda: AvgPool(kernel=2, padding=1, convention="tensorflow"),
     "padding=1 must be 'SAME' or 'VALID' for tf.nn.avg_pool (it takes no explicit padding"),
    ("keras pool numeric padding", lambda: AvgPool(kernel=2, padding=1, convention="keras"),
     "padding=1"),
    ("ceil_mode under tensorflow",
     lambda: MaxPool(kernel=2, ceil_mode=True, convention="tensorflow"), "ceil_mode=True"),
    ("ceil_mode under jax", lambda: AvgPool(kernel=2, ceil_mode=True, convention="jax"),
     "ceil_mode=True"),
    ("count_include_pad under tensorflow",
     lambda: AvgPool(kernel=2, count_include_pad=True, convention="tensorflow"),
     "count_include_pad=True"),
    ("count_include_pad under keras",
     lambda: AvgPool(kernel=2, count_include_pad=True, convention="keras"),
     "count_include_pad=True"),
    ("avg-pool dilation under torch", lambda: AvgPool(kernel=2, dilation=2), "dilation=2"),
    ("avg-pool dilation under keras",
     lambda: AvgPool(kernel=2, dilation=(1, 2), convention="keras"), "dilation=(1,2)"),
    # max-unpooling
    ("unpool under tensorflow", lambda: MaxUnpool(kernel=2, convention="tensorflow"),
     "convention='tensorflow'"),
    ("unpool under keras", lambda: MaxUnpool(kernel=2, convention="keras"), "convention='keras'"),
    ("unpool under jax", lambda: MaxUnpool(kernel=2, convention="jax"), "convention='jax'"),
    ("unpool padding name", lambda: MaxUnpool(kernel=2, padding="valid"), "padding='valid'"),
    # resizing
    ("resize scale and size", lambda: Resize(scale_factor=2, size=4), "scale_factor=2 and size=4"),
    ("resize neither", lambda: Resize(), "scale_factor=None and size=None"),
    ("resize scale string", lambda: Resize(scale_factor="abc"), "scale_factor='abc'"),
    ("resize scale string 1/0", lambda: Resize(scale_factor="1/0"), "scale_factor='1/0'"),
    ("resize scale string 0", lambda: Resize(scale_factor="0"), "scale_factor=0"),
    ("resize scale string negative", lambda: Resize(scale_factor="-1.5"), "scale_factor=-3/2"),
    ("resize scale 0", lambda: Resize(scale_factor=0), "scale_factor=0"),
    ("resize scale negative", lambda: Resize(scale_factor=-0.5), "scale_factor=-0.5"),
    ("resize scale nan", lambda: Resize(scale_factor=float("nan")), "scale_factor=nan"),
    ("resize scale inf", lambda: Resize(scale_factor=float("inf")), "scale_factor=inf"),
    ("resize scale Fraction 0", lambda: Resize(scale_factor=Fraction(0)), "scale_factor=0"),
    ("resize scale bool", lambda: Resize(scale_factor=True), "scale_factor=True"),
    ("resize scale None in a tuple", lambda: Resize(scale_factor=(2, None)), "scale_factor=None"),
    ("align_corners with nearest", lambda: Resize(scale_factor=2, align_corners=True),
     "align_corners=True"),
    ("align_corners=False with nearest-exact",
     lambda: Resize(scale_factor=2, mode="nearest-exact", align_corners=False),
     "align_corners=False"),
    ("align_corners contradicts coordinate_mode",
     lambda: Resize(scale_factor=2, mode="linear", align_corners=True,
                    coordinate_mode="half_pixel"),
     "align_corners=True contradicts coordinate_mode='half_pixel'"),
    ("unknown resize mode", lambda: Resize(scale_factor=2, mode="lanczos"), "mode='lanczos'"),
    ("unknown coordinate mode", lambda: Resize(scale_factor=2, coordinate_mode="tf_crop"),
     "coordinate_mode='tf_crop'"),
    # enums and names
    ("unknown convention", lambda: Conv(kernel=3, convention="caffe"), "convention='caffe'"),
    ("unknown convention for resize", lambda: Resize(scale_factor=2, convention="mxnet"),
     "convention='mxnet'"),
    ("convention not a string", lambda: MaxPool(kernel=2, convention=1), "convention=1"),
    ("unknown shuffle order", lambda: PixelShuffle(factor=2, order="RCD"), "order='RCD'"),
    # scalar contract functions
    ("same_padding mode", lambda: same_padding(5, 3, mode="middle"), "mode='middle'"),
    ("same_padding size 0", lambda: same_padding(0, 3), "size=0"),
    ("same_padding kernel 0", lambda: same_padding(5, 0), "kernel=0"),
    ("conv_output_size padding triple", lambda: conv_output_size(5, 3, padding=(1, 2, 3)),
     "padding=(1,2,3)"),
    ("conv_output_size bool size", lambda: conv_output_size(True, 1), "size=True"),
    ("conv_output_size unknown convention", lambda: conv_output_size(5, 3, convention="tf"),
     "convention='tf'"),
    ("conv_transpose_output_size op", lambda: conv_transpose_output_size(3, 3, 2,
                                                                        output_padding=2),
     "output_padding=2"),
    ("pool_output_size padding", lambda: pool_output_size(8, 3, padding=2), "padding=2"),
    ("unpool_output_size stride 0", lambda: unpool_output_size(3, 2, stride=0), "stride=0"),
    ("resize_output_size scale", lambda: resize_output_size(4, "x"), "scale_factor='x'"),
]

RESOLVE_RULES: list[Row] = [
    ("kernel larger than input", lambda: resolve(Conv(kernel=5), 4), "kernel=5"),
    ("kernel larger than padded input", lambda: resolve(Conv(kernel=7, padding=1), (9, 4)),
     "kernel=7"),
    ("dilated kernel larger than input", lambda: resolve(Conv(kernel=3, dilation=3), 6),
     "kernel=3"),
    ("tensorflow VALID kernel larger than input",
     lambda: resolve(Conv(kernel=3, padding="VALID", convention="tensorflow"), 2), "kernel=3"),
    ("pool output too small", lambda: resolve(MaxPool(kernel=3, stride=1), 2), "kernel=3"),
    ("ceil-mode pool output 0",
     lambda: resolve(MaxPool(kernel=3, stride=1, ceil_mode=True), 2), "output=0"),
    ("transposed output 0", lambda: resolve(ConvTranspose(kernel=2, padding=1), 1), "output=0"),
    ("transposed output negative", lambda: resolve(ConvTranspose(kernel=1, padding=1), 1),
     "output=-1"),
    ("torch output_size below range",
     lambda: resolve(ConvTranspose(kernel=3, stride=3, output_size=8), 3), "output_size=8"),
    ("torch output_size above range",
     lambda: resolve(ConvTranspose(kernel=3, stride=3, output_size=12), 3), "output_size=12"),
    ("tensorflow transposed without output_size",
     lambda: resolve(ConvTranspose(kernel=3, stride=2, padding="SAME", convention="tensorflow"),
                     4),
     "output_size=None"),
    ("tensorflow SAME output_size out of range",
     lambda: resolve(ConvTranspose(kernel=3, stride=2, padding="SAME", output_size=9,
                                   convention="tensorflow"), 4),
     "output_size=9"),
    ("tensorflow VALID output_size out of range",
     lambda: resolve(ConvTranspose(kernel=3, stride=2, padding="VALID", output_size=8,
                                   convention="tensorflow"), 4),
     "output_size=8"),
    ("onnx output_shape too large",
     lambda: resolve(ConvTranspose(kernel=3, stride=2, output_size=9, convention="onnx"), 3),
     "output_size=9"),
    ("jax output_size", lambda: resolve(ConvTranspose(kernel=3, stride=2, padding="SAME",
                                                      output_size=8, convention="jax"), 4),
     "output_size=8"),
    ("torch unpool output_size = default - stride",
     lambda: resolve(MaxUnpool(kernel=2, output_size=4), 3), "output_size=4"),
    ("torch unpool output_size = default + stride",
     lambda: resolve(MaxUnpool(kernel=2, output_size=8), 3), "output_size=8"),
    ("unpool default output 0", lambda: resolve(MaxUnpool(kernel=2, padding=1), 1), "output=0"),
    ("resize output 0", lambda: resolve(Resize(scale_factor=0.1), 9), "output=0"),
    ("pixel unshuffle size not divisible", lambda: resolve(PixelUnshuffle(factor=2), (4, 3)),
     "factor=2"),
    ("pixel shuffle channels not divisible",
     lambda: output_channels(PixelShuffle(factor=2), 6, ndim=2), "channels=6"),
    ("channels not divisible by groups", lambda: output_channels(Conv(kernel=1, groups=2), 3),
     "groups=2"),
    ("channels differ from in_channels",
     lambda: output_channels(Conv(kernel=1, in_channels=4, out_channels=4), 3), "in_channels=4"),
    ("channels 0", lambda: output_channels(Conv(kernel=1), 0), "channels=0"),
    ("input size 0", lambda: resolve(Conv(kernel=1), 0), "input size=0"),
    ("input size negative on one axis", lambda: resolve(Conv(kernel=1), (3, -1)), "input size=-1"),
    ("input size bool", lambda: resolve(Conv(kernel=1), True), "input size=True"),
    ("input size float", lambda: resolve(Conv(kernel=1), 4.0), "input size=4.0"),
    ("no spatial axis", lambda: resolve(Conv(kernel=1), ()), "input size=()"),
    ("rank differs from the spec", lambda: resolve(Conv(kernel=(3, 3)), (5, 5, 5)),
     "ndim=2"),
]


def _rows(rows: list[Row]) -> Any:
    return pytest.mark.parametrize(("call", "fragment"), [r[1:] for r in rows],
                                   ids=[r[0] for r in rows])


def _assert_rejects(call: Callable[[], Any], fragment: str) -> None:
    with pytest.raises(InvalidSpecError) as info:
        call()
    assert isinstance(info.value, ValueError) and isinstance(info.value, SymconvError)
    message = str(info.value)
    # Tuples are compared without spaces: spec.py shows (1, 2) where _params shows (1,2).
    assert fragment.replace(" ", "") in message.replace(" ", ""), f"{fragment!r} not in {message!r}"
    assert "\n" not in message, "messages are one line"


@_rows(SPEC_RULES)
def test_spec_rule_rejects(call: Callable[[], Any], fragment: str) -> None:
    _assert_rejects(call, fragment)


@_rows(RESOLVE_RULES)
def test_input_dependent_rule_rejects(call: Callable[[], Any], fragment: str) -> None:
    _assert_rejects(call, fragment)


def test_table_ids_are_unique() -> None:
    ids = [r[0] for r in SPEC_RULES + RESOLVE_RULES]
    assert len(ids) == len(set(ids))


# The boundary of each rule, on the accepted side: a table of rejections is only convincing if
# the value next to each limit is accepted.
ACCEPTED: list[tuple[str, Callable[[], Any]]] = [
    ("torch op < dilation only", lambda: ConvTranspose(kernel=3, stride=1, dilation=2,
                                                       output_padding=1)),
    ("torch op = stride - 1", lambda: ConvTranspose(kernel=3, stride=3, output_padding=2)),
    ("keras op = stride - 1", lambda: ConvTranspose(kernel=3, stride=2, output_padding=1,
                                                    padding="same", convention="keras")),
    ("torch pool padding = k//2", lambda: MaxPool(kernel=4, padding=2)),
    ("onnx pool padding = k - 1", lambda: MaxPool(kernel=3, padding=2, convention="onnx")),
    ("torch 'same' stride 1", lambda: Conv(kernel=4, padding="same", dilation=3)),
    ("onnx 'SAME_LOWER' any case", lambda: Conv(kernel=3, stride=2, padding="Same_Lower",
                                                convention="onnx")),
    ("onnx 'NOTSET'", lambda: Conv(kernel=3, padding="NOTSET", convention="onnx")),
    ("keras causal 1-D", lambda: Conv(kernel=3, padding="causal", convention="keras")),
    ("tf.nn.conv2d_transpose numeric padding",
     lambda: ConvTranspose(kernel=3, padding=1, convention="tf.nn.conv2d_transpose")),
    ("tensorflow 2-D transposed numeric padding",
     lambda: ConvTranspose(kernel=(3, 3), padding=(1, 2), convention="tensorflow")),
    ("jax transposed 'same_lower' at stride 1",
     lambda: ConvTranspose(kernel=3, padding="same_lower", convention="jax")),
    ("tensorflow max pool padding = kernel - 1",
     lambda: MaxPool(kernel=2, padding=1, convention="tensorflow")),
    ("groups divide channels", lambda: Conv(kernel=1, groups=3, in_channels=6, out_channels=3)),
    ("ceil_mode under onnx", lambda: AvgPool(kernel=3, ceil_mode=True, convention="onnx")),
    ("avg-pool dilation under onnx", lambda: AvgPool(kernel=2, dilation=2, convention="onnx")),
    ("count_include_pad=False under tensorflow",
     lambda: AvgPool(kernel=2, count_include_pad=False, convention="tensorflow")),
    ("scale string 3/2", lambda: Resize(scale_factor="3/2")),
    ("scale string 1.5", lambda: Resize(scale_factor="1.5")),
    ("numpy integer kernel", lambda: Conv(kernel=__import__("numpy").int64(3))),
    ("16 spatial axes", lambda: resolve(Conv(kernel=3, ndim=16), (5,) * 16)),
    ("16 resize factors", lambda: resolve(Resize(scale_factor=(2,) * 16), (1,) * 16)),
    ("shuffle ndim 16", lambda: PixelShuffle(factor=2, ndim=16)),
    ("unpool under onnx", lambda: MaxUnpool(kernel=2, convention="onnx")),
    ("torch output_size = lo + s - 1",
     lambda: resolve(ConvTranspose(kernel=3, stride=3, output_size=11), 3)),
    ("torch unpool output_size = default + s - 1",
     lambda: resolve(MaxUnpool(kernel=2, output_size=7), 3)),
    ("kernel = padded input", lambda: resolve(Conv(kernel=5, padding=1), 3)),
    ("ceil-mode window larger than input",
     lambda: resolve(MaxPool(kernel=3, stride=3, ceil_mode=True), 1)),
]


@pytest.mark.parametrize("call", [r[1] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_limit_itself_is_accepted(call: Callable[[], Any]) -> None:
    call()
