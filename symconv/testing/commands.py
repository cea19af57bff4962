"""The command line that reproduces a case: ``symconv shape ...`` (sizes, rejections) or
``symconv matrix ...`` (the exact map, for a wrong value).

:func:`reproduce_command` writes the options of ``symconv shape``/``symconv matrix`` for a
layer spec and an input size, and checks its own work: the spec the options describe is
rebuilt (as the command line builds it) and must equal the layer, else the layer has a
parameter the command line cannot express and ``None`` is returned (the Python reproduction,
``repr(layer)``, always works).

>>> from symconv import Conv, Resize
>>> from fractions import Fraction
>>> reproduce_command(Conv(kernel=3, stride=2, padding="SAME", convention="tensorflow"), (8,))
'symconv shape conv --in 8 --kernel 3 --stride 2 --padding SAME --convention tensorflow'
>>> reproduce_command(Resize(scale_factor=Fraction(3, 2), mode="linear"), (4,), matrix=True)
'symconv matrix resize --in 4 --scale 3/2 --mode linear --channels 1'
"""

from __future__ import annotations

import dataclasses
import enum
from fractions import Fraction
from typing import Any

from symconv.errors import InvalidSpecError, SymconvError
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)
from symconv.spec._base import _upper_names

__all__ = ["MATRIX_KINDS", "command_name", "reproduce_command"]

_NAMES = {Conv: "conv", ConvTranspose: "conv-transpose", MaxPool: "max-pool",
          AvgPool: "avg-pool", Resize: "resize", PixelShuffle: "pixel-shuffle",
          PixelUnshuffle: "pixel-unshuffle", AdaptiveAvgPool: "adaptive-avg-pool",
          AdaptiveMaxPool: "adaptive-max-pool"}

#: The layer kinds ``symconv matrix`` shows (max pooling depends on its input).
MATRIX_KINDS = ("conv", "conv-transpose", "avg-pool", "resize", "pixel-shuffle",
                "pixel-unshuffle", "adaptive-avg-pool")


def command_name(layer: Layer) -> str | None:
    """The LAYER argument of the commands for this spec (``None``: no command for it)."""
    return _NAMES.get(type(layer))


def _axes(values: Any) -> str:
    return "x".join("none" if v is None else str(v) for v in values)


def _padding(layer: Any) -> str:
    p = layer.padding
    if isinstance(p, enum.Enum):
        return str(p.value).upper() if _upper_names(layer) else str(p.value)
    return "x".join(f"{b}:{e}" for b, e in p)


def _options(layer: Any, channels: int | None, out_channels: int | None) -> list[str]:
    opts: list[str] = []
    if isinstance(layer, Conv | ConvTranspose | MaxPool | AvgPool):
        opts += ["--kernel", _axes(layer.kernel), "--stride", _axes(layer.stride)]
        if any(d != 1 for d in layer.dilation):
            opts += ["--dilation", _axes(layer.dilation)]
        opts += ["--padding", _padding(layer)]
    if isinstance(layer, ConvTranspose):
        if layer.output_size is not None:  # the requested size (output padding derived)
            opts += ["--size", _axes(layer.output_size)]
        if layer.output_padding is not None and (
                layer.output_size is None or any(layer.output_padding)):
            opts += ["--output-padding", _axes(layer.output_padding)]
        if layer.use_consistent_padding if hasattr(layer, "use_consistent_padding") else False:
            opts.append("--use-consistent-padding")
    if isinstance(layer, Conv | ConvTranspose):
        if layer.groups != 1:
            opts += ["--groups", str(layer.groups)]
    if isinstance(layer, MaxPool | AvgPool) and layer.ceil_mode:
        opts.append("--ceil-mode")
    if isinstance(layer, AvgPool):
        opts.append("--count-include-pad" if layer.count_include_pad
                    else "--no-count-include-pad")
    if isinstance(layer, Resize):
        if layer.size is not None:
            opts += ["--size", _axes(layer.size)]
        else:
            opts += ["--scale", _axes(str(Fraction(f)) for f in layer.scale_factor)]
        opts += ["--mode", str(layer.mode.value)]
        if layer.align_corners:
            opts.append("--align-corners")
        if layer.antialias is not None:
            opts.append("--antialias" if layer.antialias else "--no-antialias")
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        opts += ["--factor", str(layer.factor)]
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        opts += ["--size", _axes(layer.output_size)]
    if isinstance(layer, Conv | ConvTranspose):
        channels = channels if channels is not None else layer.in_channels
        out_channels = out_channels if out_channels is not None else layer.out_channels
    if channels is not None:
        opts += ["--channels", str(channels)]
    if out_channels is not None and isinstance(layer, Conv | ConvTranspose):
        opts += ["--out-channels", str(out_channels)]
    convention = getattr(layer, "api", None) or str(layer.convention.value)
    if convention != "torch":
        opts += ["--convention", convention]
    return opts


def _rebuilt(layer: Any, nd: int, channels: int | None, out_channels: int | None) -> Any:
    """The spec the command line builds from the options :func:`_options` writes."""
    conv = getattr(layer, "api", None) or layer.convention.value
    window: dict[str, Any] = {"convention": conv,
                              "ndim": nd if getattr(layer, "ndim", None) is not None else None}
    if isinstance(layer, Conv | ConvTranspose | MaxPool | AvgPool):
        window.update(kernel=layer.kernel, stride=layer.stride)
        window["padding"] = (_padding(layer) if isinstance(layer.padding, enum.Enum)
                             else layer.padding)
        window["dilation"] = layer.dilation
    if isinstance(layer, Conv | ConvTranspose):
        chans: dict[str, Any] = {"in_channels": channels if channels is not None else layer.in_channels,
                 "out_channels": out_channels if out_channels is not None
                 else layer.out_channels}
        if isinstance(layer, Conv):
            return Conv(**window, groups=layer.groups, **chans)
        return ConvTranspose(**window, groups=layer.groups, output_padding=layer.output_padding,
                             output_size=layer.output_size, **chans)
    if isinstance(layer, MaxPool):
        return MaxPool(**window, ceil_mode=layer.ceil_mode)
    if isinstance(layer, AvgPool):
        return AvgPool(**window, ceil_mode=layer.ceil_mode,
                       count_include_pad=layer.count_include_pad)
    if isinstance(layer, Resize):
        return Resize(scale_factor=None if layer.size is not None else layer.scale_factor,
                      size=layer.size, mode=layer.mode, align_corners=layer.align_corners,
                      antialias=layer.antialias, ndim=window["ndim"], convention=conv)
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        return type(layer)(factor=layer.factor, ndim=window["ndim"], convention=conv)
    return type(layer)(layer.output_size, convention=conv, ndim=window["ndim"])


def _same(a: Any, b: Any) -> bool:
    """Equal specs (the rank of a spec written with scalars is left open: not compared)."""
    return type(a) is type(b) and all(
        getattr(a, f.name) == getattr(b, f.name)
        for f in dataclasses.fields(a) if f.name != "ndim")


def _fitted(layer: Any, channels: int | None, out_channels: int | None) -> Any:
    if isinstance(layer, Conv | ConvTranspose):
        if channels is not None and layer.in_channels is None:
            layer = dataclasses.replace(layer, in_channels=channels)
        if out_channels is not None and layer.out_channels is None:
            layer = dataclasses.replace(layer, out_channels=out_channels)
    return layer


def reproduce_command(
    layer: Layer, input_size: tuple[int, ...], *, matrix: bool = False,
    channels: int | None = None, out_channels: int | None = None,
) -> str | None:
    """``symconv shape LAYER --in ... OPTIONS`` for ``layer`` on ``input_size`` (with
    ``matrix=True``: ``symconv matrix ...``, the exact map, for the kinds in
    :data:`MATRIX_KINDS`; its ``--channels`` defaults to the layer's need), or ``None`` when
    the options cannot express the layer (a parameter without an option, such as an ONNX
    cubic coefficient or a padding mode). A transposed convolution's ``output_size`` (PyTorch
    ``forward(output_size=)``, ONNX and TensorFlow ``output_shape``) is ``--size``.
    """
    name = command_name(layer)
    nd = len(input_size)
    if name is None or (matrix and name not in MATRIX_KINDS):
        return None
    try:
        from symconv.sizes.shapes import resolve

        full = resolve(layer, input_size).layer
    except SymconvError:
        full = layer  # the command then shows the rejection
    if matrix and channels is None:
        channels = getattr(full, "in_channels", None) or getattr(full, "groups", 1)
        if isinstance(full, PixelShuffle):
            channels = full.factor ** nd
    try:
        if not _same(_rebuilt(full, nd, channels, out_channels),
                     _fitted(full, channels, out_channels)):
            return None
    except (InvalidSpecError, TypeError, AttributeError):
        return None
    opts = _options(full, channels, out_channels)
    head = "symconv matrix" if matrix else "symconv shape"
    return " ".join([head, name, "--in", _axes(input_size), *opts])
