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

from collections.abc import Mapping, Sequence
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
)

__all__ = ["ONNX_WINDOW_OPS", "from_onnx", "onnx_pads"]

#: ONNX operators :func:`from_onnx` turns into window specs.
ONNX_WINDOW_OPS = (
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "MaxUnpool", "DepthToSpace", "SpaceToDepth",
)

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


def from_onnx(op_type: str, attrs: Mapping[str, Any], ndim: int | None = None) -> Layer:
    """Build the spec of an ONNX node from its attributes (``convention='onnx'``).

    ``ndim`` (number of spatial axes) defaults to the length of ``kernel_shape``; it is needed
    for DepthToSpace/SpaceToDepth (always 2-D in ONNX).

    >>> from_onnx("AveragePool", {"kernel_shape": [3], "pads": [1, 1]}).count_include_pad
    False
    >>> from_onnx("MaxPool", {"kernel_shape": [2, 2]}).stride   # ONNX pool strides default to 1
    (1, 1)
    >>> from_onnx("DepthToSpace", {"blocksize": 2}).order
    <ShuffleOrder.DCR: 'DCR'>
    """
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
