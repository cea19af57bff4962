"""Specs from a framework's own parameter spelling.

Each framework names and lays out the same hyper-parameters differently: ONNX puts all
"begin" pads before all "end" pads (``[x1_begin, x2_begin, ..., x1_end, x2_end, ...]``), makes
``pads`` and ``auto_pad`` exclusive and lets pooling strides default to 1.  These adapters
translate without guessing and reject what the framework rejects.

>>> from_onnx("Conv", {"kernel_shape": [3, 3], "pads": [1, 0, 2, 1], "strides": [2, 2]})
Conv(kernel=(3, 3), stride=(2, 2), padding=((1, 2), (0, 1)), convention='onnx')
>>> from_onnx("MaxPool", {"kernel_shape": [2], "auto_pad": "SAME_UPPER", "pads": [0, 1]})
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: pads=[0,1] and auto_pad='SAME_UPPER' are exclusive: pads must not be given unless auto_pad is NOTSET (ONNX)
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.spec import (
    AvgPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = ["ONNX_RESIZE_OPS", "ONNX_WINDOW_OPS", "float32_decimal", "from_onnx", "onnx_pads"]

#: ONNX operators :func:`from_onnx` turns into window specs.
ONNX_WINDOW_OPS = (
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "MaxUnpool", "DepthToSpace", "SpaceToDepth",
)
#: ONNX resizing operators :func:`from_onnx` turns into :class:`~symconv.spec.Resize` (they take
#: their constant ``scales=`` or ``sizes=`` input as a keyword).
ONNX_RESIZE_OPS = ("Resize", "Upsample")

_AUTO_PAD = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def onnx_pads(pads: Sequence[int], ndim: int) -> tuple[tuple[int, int], ...]:
    """ONNX ``pads`` ``[x1_b, x2_b, ..., x1_e, x2_e, ...]`` -> ``((x1_b, x1_e), (x2_b, x2_e), ...)``.

    >>> onnx_pads([1, 2, 3, 4], 2)
    ((1, 3), (2, 4))
    """
    items = list(pads)
    if len(items) != 2 * ndim:
        raise InvalidSpecError(
            f"pads={fmt(items)} must have 2 entries per spatial axis ({2 * ndim}) (ONNX: "
            "all begins, then all ends)"
        )
    return tuple((items[i], items[i + ndim]) for i in range(ndim))


def _ints(attrs: Mapping[str, Any], name: str, ndim: int, default: int) -> tuple[int, ...]:
    value = attrs.get(name)
    if value is None:
        return (default,) * ndim
    items = list(value)
    if len(items) != ndim:
        raise InvalidSpecError(
            f"{name}={fmt(items)} must have one entry per spatial axis ({ndim})"
        )
    return tuple(items)


def _padding(attrs: Mapping[str, Any], ndim: int) -> Any:
    auto = attrs.get("auto_pad", "NOTSET")
    if isinstance(auto, bytes):
        auto = auto.decode("ascii", "replace")
    if auto not in _AUTO_PAD:
        raise InvalidSpecError(f"auto_pad={fmt(auto)} must be one of {', '.join(_AUTO_PAD)}")
    pads = attrs.get("pads")
    if auto != "NOTSET":
        if pads is not None:
            raise InvalidSpecError(
                f"pads={fmt(list(pads))} and auto_pad={auto!r} are exclusive: pads must not be "
                "given unless auto_pad is NOTSET (ONNX)"
            )
        return auto.lower()
    return onnx_pads(pads, ndim) if pads is not None else 0


def from_onnx(
    op_type: str,
    attrs: Mapping[str, Any],
    ndim: int | None = None,
    *,
    scales: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
) -> Layer:
    """Build the spec of an ONNX node from its attributes (``convention='onnx'``).

    ``ndim`` (number of spatial axes) defaults to the length of ``kernel_shape``; it is needed
    for DepthToSpace/SpaceToDepth (always 2-D in ONNX).  ``Resize`` and ``Upsample`` take
    their constant ``scales`` or ``sizes`` input (see :func:`_resize_from_onnx`).

    >>> from_onnx("AveragePool", {"kernel_shape": [3], "pads": [1, 1]}).count_include_pad
    False
    >>> from_onnx("MaxPool", {"kernel_shape": [2, 2]}).stride   # ONNX pool strides default to 1
    (1, 1)
    >>> from_onnx("DepthToSpace", {"blocksize": 2}).order
    <ShuffleOrder.DCR: 'DCR'>
    >>> from_onnx("Resize", {"mode": b"cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1},
    ...           scales=[1.0, 1.0, 2.0, 2.0])
    Resize(scale_factor=(2, 2), mode='cubic', coordinate_mode='half_pixel', cubic_coeff_a=Fraction(-1, 2), exclude_outside=True, convention='onnx')
    """
    if op_type in ("Resize", "Upsample"):
        return _resize_from_onnx(op_type, attrs, ndim, scales, sizes)
    if op_type in ("DepthToSpace", "SpaceToDepth"):
        r = attrs.get("blocksize")
        if r is None:
            raise InvalidSpecError(f"blocksize=None must be given for {op_type}")
        if op_type == "DepthToSpace":
            mode = attrs.get("mode", "DCR")
            if isinstance(mode, bytes):
                mode = mode.decode("ascii", "replace")
            return PixelShuffle(factor=r, order=mode, convention="onnx", ndim=2)
        return PixelUnshuffle(factor=r, order="DCR", convention="onnx", ndim=2)
    if op_type not in ONNX_WINDOW_OPS:
        raise UnsupportedError(f"op_type={op_type!r} is not a window operator symconv models")
    kernel = attrs.get("kernel_shape")
    if kernel is None:
        raise InvalidSpecError(
            f"kernel_shape=None must be given for {op_type} (symconv does not read it from the "
            "weight tensor here)"
        )
    nd = len(kernel) if ndim is None else ndim
    kernel = _ints(attrs, "kernel_shape", nd, 1)
    strides = _ints(attrs, "strides", nd, 1)
    padding = _padding(attrs, nd)
    if op_type == "Conv":
        return Conv(kernel=kernel, stride=strides, padding=padding,
                    dilation=_ints(attrs, "dilations", nd, 1), groups=attrs.get("group", 1),
                    convention="onnx", ndim=nd)
    if op_type == "ConvTranspose":
        shape = attrs.get("output_shape")
        return ConvTranspose(kernel=kernel, stride=strides, padding=padding,
                             dilation=_ints(attrs, "dilations", nd, 1),
                             output_padding=_ints(attrs, "output_padding", nd, 0),
                             groups=attrs.get("group", 1),
                             output_size=None if shape is None else tuple(shape)[-nd:],
                             convention="onnx", ndim=nd)
    ceil = bool(attrs.get("ceil_mode", 0))
    if op_type == "MaxPool":
        if attrs.get("storage_order", 0):
            raise UnsupportedError("storage_order=1 (column-major indices) is not modelled")
        return MaxPool(kernel=kernel, stride=strides, padding=padding,
                       dilation=_ints(attrs, "dilations", nd, 1), ceil_mode=ceil,
                       convention="onnx", ndim=nd)
    if op_type == "AveragePool":
        return AvgPool(kernel=kernel, stride=strides, padding=padding,
                       dilation=_ints(attrs, "dilations", nd, 1), ceil_mode=ceil,
                       count_include_pad=bool(attrs.get("count_include_pad", 0)),
                       convention="onnx", ndim=nd)
    return MaxUnpool(kernel=kernel, stride=strides, padding=padding, convention="onnx", ndim=nd)


def float32_decimal(value: float) -> Fraction:
    """The shortest decimal that rounds to the same float32 as ``value``, exactly.

    ONNX stores float attributes as float32: ``cubic_coeff_a=-0.6`` arrives as
    -0.60000002384185791015625.  The number the model's author wrote is the shortest decimal
    with that float32 value; the runtimes compute with the float32, which differs from it by
    less than one float32 rounding.

    >>> float32_decimal(-0.6000000238418579), float32_decimal(-0.75)
    (Fraction(-3, 5), Fraction(-3, 4))
    """
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidSpecError(f"value={value!r} must be a finite number")

    def f32(x: float) -> bytes:
        return struct.pack("<f", x)

    target = f32(value)
    for digits in range(1, 18):
        text = f"{value:.{digits}g}"
        if f32(float(text)) == target:
            return Fraction(text)
    return Fraction(value)  # pragma: no cover - 9 significant digits always round-trip


def _text(attrs: Mapping[str, Any], name: str, default: str) -> str:
    value = attrs.get(name, default)
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _exact_scale(value: float) -> int | Fraction:
    """A float32 scale as the exact number the runtime multiplies by."""
    f = Fraction(float(value))
    return f.numerator if f.denominator == 1 else f


#: ONNX Resize coordinate_transformation_mode values symconv models.
_ONNX_COORDINATES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")


def _resize_from_onnx(
    op_type: str,
    attrs: Mapping[str, Any],
    ndim: int | None,
    scales: Sequence[float] | None,
    sizes: Sequence[int] | None,
) -> Resize:
    """ONNX ``Resize`` (opset 10+) / ``Upsample`` (opset 7-9) as a :class:`Resize` spec.

    ``scales`` / ``sizes`` are the node's constant inputs, over every axis of ``X`` (``N, C``
    first, which must not be resized) or over the spatial axes only; exactly one is given.
    Float32 scales are kept as the exact number the runtime multiplies by.  Attributes:
    ``mode`` (nearest, linear, cubic), ``coordinate_transformation_mode`` (half_pixel,
    pytorch_half_pixel, align_corners, asymmetric), ``nearest_mode``, ``cubic_coeff_a`` (a
    float32, read as its shortest decimal: -0.75 -> -3/4) and ``exclude_outside`` (cubic; with
    nearest and linear it changes nothing without antialias, and is ignored).  ``Upsample``
    is asymmetric, nearest with floor.  Refused: ``antialias=1``, ``tf_crop_and_resize``,
    ``half_pixel_symmetric``, ``keep_aspect_ratio_policy`` other than stretch, ``axes``.

    >>> _resize_from_onnx("Resize", {"mode": "linear"}, 2, None, [1, 3, 8, 12]).size
    (8, 12)
    >>> _resize_from_onnx("Upsample", {"mode": "nearest"}, None, [1, 1, 2, 2], None)
    Resize(scale_factor=(2, 2), coordinate_mode='asymmetric', nearest_mode='floor', convention='onnx')
    """
    if (scales is None) == (sizes is None):
        raise InvalidSpecError(
            f"scales={fmt(None if scales is None else list(scales))} and "
            f"sizes={fmt(None if sizes is None else list(sizes))}: exactly one must be given "
            f"for {op_type}"
        )
    given = list(scales if scales is not None else sizes)  # type: ignore[arg-type]
    name = "scales" if scales is not None else "sizes"
    nd = ndim if ndim is not None else len(given) - 2
    if nd < 1 or len(given) not in (nd, nd + 2):
        raise InvalidSpecError(
            f"{name}={fmt(given)} must have one entry per axis of X (N, C and {max(nd, 1)} "
            "spatial)"
        )
    if scales is not None and len(given) == nd + 2 and any(float(v) != 1 for v in given[:2]):
        raise UnsupportedError(
            f"scales={fmt(given)} resizes the batch or channel axis; symconv models spatial "
            "resizing only"
        )
    spatial = given[len(given) - nd:]
    mode = _text(attrs, "mode", "nearest").lower()
    if mode not in ("nearest", "linear", "cubic"):
        raise InvalidSpecError(f"mode={mode!r} must be one of nearest, linear, cubic (ONNX)")
    kw: dict[str, Any] = {"mode": mode, "convention": "onnx", "ndim": nd}
    if scales is not None:
        kw["scale_factor"] = tuple(_exact_scale(v) for v in spatial)
    else:
        kw["size"] = tuple(int(v) for v in spatial)
    if op_type == "Upsample":
        if mode == "cubic":
            raise InvalidSpecError("mode='cubic' must not be used with Upsample (ONNX: Resize)")
        kw["coordinate_mode"] = "asymmetric"
        if mode == "nearest":
            kw["nearest_mode"] = "floor"
        return Resize(**kw)
    if int(attrs.get("antialias", 0)):
        raise UnsupportedError("antialias=1 (a downsampling filter) is not modelled for Resize")
    if attrs.get("axes") is not None:
        raise UnsupportedError("axes= is not modelled for Resize; give scales/sizes for every axis")
    policy = _text(attrs, "keep_aspect_ratio_policy", "stretch")
    if sizes is not None and policy != "stretch":
        raise UnsupportedError(f"keep_aspect_ratio_policy={policy!r} is not modelled (stretch is)")
    ctm = _text(attrs, "coordinate_transformation_mode", "half_pixel")
    if ctm not in _ONNX_COORDINATES:
        raise UnsupportedError(
            f"coordinate_transformation_mode={ctm!r} is not modelled (modelled: "
            f"{', '.join(_ONNX_COORDINATES)})"
        )
    kw["coordinate_mode"] = ctm
    if mode == "nearest":
        kw["nearest_mode"] = _text(attrs, "nearest_mode", "round_prefer_floor")
    if mode == "cubic":
        a = attrs.get("cubic_coeff_a", -0.75)
        kw["cubic_coeff_a"] = float32_decimal(float(a)) if isinstance(a, float) else a
        kw["exclude_outside"] = bool(int(attrs.get("exclude_outside", 0)))
    return Resize(**kw)
