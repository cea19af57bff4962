"""The layer text syntax of the command line: ``"conv-transpose k=4 s=2 p=1"`` -> a layer spec.

One layer is a *kind* followed by ``key=value`` parameters and bare *flags*, separated by blanks::

    conv            k=3 s=2 p=1 d=1 [pm=reflect] [convention=torch]
    conv-transpose  k=4 s=2 p=1 op=0 d=1 [transpose_kernel] [convention=onnx]  (alias: deconv)
    avg-pool        k=2 [s=2] [p=0] [d=1] [ceil]
    max-pool        k=2 [s=2] [p=0] [d=1] [ceil]
    upsample-nearest  f=2 [exact]                                  (exact: nearest-exact)
    upsample-linear   f=2 [align_corners]
    upsample-cubic    f=2 [align_corners]                          (PyTorch bicubic, a = -3/4)
    pixel-shuffle     r=2
    pixel-unshuffle   r=2
    adaptive-avg-pool o=7x7 [convention=torch]                     (o=nonex7: keep axis 0)
    adaptive-max-pool o=1
    global-avg-pool   [convention=onnx]                            (adaptive-avg-pool o=1)
    global-max-pool

Keys have long forms: ``k``/``kernel``, ``s``/``stride``, ``p``/``padding``, ``d``/``dilation``,
``op``/``output_padding``, ``f``/``factor``/``scale``, ``r``/``factor`` (shuffles),
``pm``/``padding_mode``, ``o``/``output_size`` (adaptive pooling).  Values:

* integers, one for every axis (``k=3``) or one per axis (``k=3x5``);
* padding: ``p=1``, ``p=1x2`` (per axis), ``p=1:2`` (before:after), ``p=1:2x0:1``, or a name
  the convention accepts (``same``, ``valid``, ``same_upper``, ``same_lower``);
* factors: ``2``, ``3/2`` or ``1.5`` (read exactly as a fraction, never as a float), per axis
  ``2x3``;
* adaptive output sizes: ``o=7`` (every axis) or ``o=7x7``, an axis ``none`` keeping its input
  size (``o=nonex7`` is PyTorch's ``(None, 7)``).

Nothing is evaluated: the text is split into tokens and each value must match its grammar.
Every rejection is a :class:`LayerSyntaxError` (an :class:`~symconv.errors.InvalidSpecError`)
that gives the 1-based column of the offending token; rules of the layer itself (e.g. an
output padding too large for the stride) are reported by the spec, with the column of the
parameter they name.

>>> parse_layer("conv-transpose k=4 s=2 p=1")
ConvTranspose(kernel=4, stride=2, padding=1, output_padding=0)
>>> parse_layer("upsample-linear f=3/2 align_corners")
Resize(scale_factor=Fraction(3, 2), mode='linear', coordinate_mode='align_corners', align_corners=True)
>>> format_layer(parse_layer("conv k=3x5 s=2 p=1:2x0:0"))
'conv k=3x5 s=2x2 p=1:2x0:0'
>>> parse_layer("conv k=3 q=2")
Traceback (most recent call last):
...
symconv.spec.syntax.LayerSyntaxError: parameter q=2 (column 10 of layer 'conv k=3 q=2') must be one of k, s, p, d, pm, convention (long forms: kernel, stride, padding, dilation, padding_mode)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv._params import MAX_DIGITS, cut, fmt
from symconv.errors import InvalidSpecError
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    CoordinateMode,
    Layer,
    MaxPool,
    PaddingFill,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
    ShuffleOrder,
)
from symconv.spec._base import _upper_names
from symconv.spec.api_rules import effective_api
from symconv.spec.apis import api_named


class LayerSyntaxError(InvalidSpecError):
    """Layer text that does not follow the syntax; ``column`` is 1-based, ``text`` the input."""

    def __init__(self, message: str, text: str, column: int) -> None:
        super().__init__(message)
        self.text = text
        self.column = column


__all__ = ["KINDS", "LayerSyntaxError", "format_layer", "parse_layer", "parse_layers"]


# --------------------------------------------------------------------------- grammar tables


@dataclass(frozen=True, slots=True)
class _Param:
    """One ``key=value`` parameter: its spec field, its aliases and its value grammar."""

    field: str
    keys: tuple[str, ...]
    kind: str  # "ints", "padding", "factor", "int", "word", "sizes"


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    aliases: tuple[str, ...]
    params: tuple[_Param, ...]
    flags: tuple[str, ...]
    required: str  # the field that must be given ("" when none must)


_K = _Param("kernel", ("k", "kernel"), "ints")
_S = _Param("stride", ("s", "stride"), "ints")
_P = _Param("padding", ("p", "padding", "pad"), "padding")
_D = _Param("dilation", ("d", "dilation"), "ints")
_OP = _Param("output_padding", ("op", "output_padding"), "ints")
_PM = _Param("padding_mode", ("pm", "padding_mode"), "word")
_CONV = _Param("convention", ("convention",), "word")
_F = _Param("scale_factor", ("f", "factor", "scale"), "factor")
_R = _Param("factor", ("r", "factor"), "int")
_O = _Param("output_size", ("o", "output_size"), "sizes")

_KINDS = (
    _Kind("conv", (), (_K, _S, _P, _D, _PM, _CONV), (), "kernel"),
    _Kind("conv-transpose", ("deconv", "conv_transpose", "convtranspose"),
          (_K, _S, _P, _OP, _D, _CONV), ("transpose_kernel",), "kernel"),
    _Kind("avg-pool", ("avgpool", "avg_pool"), (_K, _S, _P, _D, _CONV), ("ceil",), "kernel"),
    _Kind("max-pool", ("maxpool", "max_pool"), (_K, _S, _P, _D, _CONV), ("ceil",), "kernel"),
    _Kind("upsample-nearest", ("nearest",), (_F,), ("exact",), "scale_factor"),
    _Kind("upsample-linear", ("linear", "bilinear"), (_F,), ("align_corners",), "scale_factor"),
    _Kind("upsample-cubic", ("cubic", "bicubic"), (_F,), ("align_corners",), "scale_factor"),
    _Kind("pixel-shuffle", (), (_R,), (), "factor"),
    _Kind("pixel-unshuffle", (), (_R,), (), "factor"),
    _Kind("adaptive-avg-pool", ("adaptive_avg_pool", "adaptiveavgpool"), (_O, _CONV), (),
          "output_size"),
    _Kind("adaptive-max-pool", ("adaptive_max_pool", "adaptivemaxpool"), (_O, _CONV), (),
          "output_size"),
    _Kind("global-avg-pool", ("global_avg_pool", "globalavgpool", "globalaveragepool"),
          (_CONV,), (), ""),
    _Kind("global-max-pool", ("global_max_pool", "globalmaxpool"), (_CONV,), (), ""),
)

#: The layer kinds the syntax knows, in documentation order.
KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS)

_BY_NAME = {name: k for k in _KINDS for name in (k.name, *k.aliases)}
_TOKEN = re.compile(r"\S+")
_INT = re.compile(r"\d+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_API = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_FACTOR = re.compile(r"\d+(?:/\d+|\.\d+)?")
_NONE = "none"  # an adaptive output size that keeps the axis (PyTorch's None)


# --------------------------------------------------------------------------- parsing


def parse_layer(text: str) -> Layer:
    """Parse one layer written in the layer syntax (see the module docs) into a spec.

    Parameters
    ----------
    text : str
        For example ``"conv-transpose k=3 s=2 p=1 op=1 d=1"`` or ``"conv k=3x3 s=2"``.

    Returns
    -------
    Layer
        A :class:`~symconv.spec.Conv`, :class:`~symconv.spec.ConvTranspose`,
        :class:`~symconv.spec.AvgPool`, :class:`~symconv.spec.MaxPool`,
        :class:`~symconv.spec.Resize`, :class:`~symconv.spec.PixelShuffle`,
        :class:`~symconv.spec.PixelUnshuffle`, :class:`~symconv.spec.AdaptiveAvgPool` or
        :class:`~symconv.spec.AdaptiveMaxPool`.

    Raises
    ------
    LayerSyntaxError
        With the 1-based column of the offending token.

    Examples
    --------
    >>> parse_layer("conv k=3x3 s=2")
    Conv(kernel=(3, 3), stride=(2, 2))
    >>> parse_layer("max-pool k=2 ceil")
    MaxPool(kernel=2, stride=2, ceil_mode=True)
    >>> parse_layer("conv-transpose k=3 s=2 op=2")
    Traceback (most recent call last):
    ...
    symconv.spec.syntax.LayerSyntaxError: output_padding=2 must be smaller than stride=2 or dilation=1 (column 24 of layer 'conv-transpose k=3 s=2 op=2')
    """
    if not isinstance(text, str):
        raise InvalidSpecError(f"layer={fmt(text)} must be a string such as 'conv k=3 s=2'")
    tokens = [(m.start() + 1, m.group()) for m in _TOKEN.finditer(text)]
    if not tokens:
        raise LayerSyntaxError(
            f"layer={fmt(text)} must start with a layer kind: {', '.join(KINDS)}", text, 1
        )
    col, word = tokens[0]
    kind = _BY_NAME.get(word.lower())
    if kind is None:
        raise LayerSyntaxError(
            f"layer kind {fmt(word)} (column {col} of layer {fmt(text)}) must be one of "
            f"{', '.join(KINDS)}", text, col,
        )
    values: dict[str, Any] = {}
    where: dict[str, int] = {"": col}  # spec field -> column, for the spec's own errors
    flags: set[str] = set()
    for col, tok in tokens[1:]:
        key, eq, raw = tok.partition("=")
        if not eq:
            _flag(kind, tok, col, text, flags, where)
            continue
        param = _find_param(kind, key.lower())
        if param is None:
            keys = [p.keys[0] for p in kind.params]
            longs = [p.keys[1] for p in kind.params if len(p.keys) > 1]
            long_text = f" (long forms: {', '.join(longs)})" if longs else ""
            flag_text = f"; flags: {', '.join(kind.flags)}" if kind.flags else ""
            if kind.name.startswith("global-"):
                flag_text += (f"; {kind.name} has output size 1, for another give "
                              f"{kind.name.replace('global', 'adaptive')} o=...")
            raise LayerSyntaxError(
                f"parameter {tok} (column {col} of layer {fmt(text)}) must be one of "
                f"{', '.join(keys)}{long_text}{flag_text}", text, col,
            )
        if param.field in values:
            raise LayerSyntaxError(
                f"{tok} (column {col} of layer {fmt(text)}) must not repeat {param.keys[0]}= "
                f"given at column {where[param.field]}", text, col,
            )
        vcol = col + len(key) + 1
        values[param.field] = _VALUE[param.kind](param, raw, vcol, text)
        where[param.field] = col
    if kind.required and kind.required not in values:
        key = next(p.keys[0] for p in kind.params if p.field == kind.required)
        end = len(text.rstrip()) + 1
        raise LayerSyntaxError(
            f"layer {fmt(text)} must give {key}= (missing at column {end})", text, end
        )
    return _build(kind, values, flags, where, text)


def parse_layers(texts: Sequence[str]) -> tuple[Layer, ...]:
    """Parse several layers; an error also says which one (1-based) was wrong.

    >>> parse_layers(["conv k=3", "conv-transpose k=4 s=2"])[1].stride
    (2,)
    """
    out = []
    for i, text in enumerate(texts, 1):
        try:
            out.append(parse_layer(text))
        except LayerSyntaxError as exc:
            raise LayerSyntaxError(f"layer {i}: {exc}", exc.text, exc.column) from None
    return tuple(out)


def _find_param(kind: _Kind, key: str) -> _Param | None:
    for p in kind.params:
        if key in p.keys:
            return p
    return None


def _flag(kind: _Kind, tok: str, col: int, text: str, flags: set[str],
          where: dict[str, int]) -> None:
    name = tok.lower()
    if name == "ceil_mode":
        name = "ceil"
    if name not in kind.flags:
        allowed = (f"one of the flags {', '.join(kind.flags)} or a key=value parameter"
                   if kind.flags else "a key=value parameter such as k=3")
        raise LayerSyntaxError(
            f"{fmt(tok)} (column {col} of layer {fmt(text)}) must be {allowed}", text, col
        )
    if name in flags:
        raise LayerSyntaxError(
            f"flag {fmt(tok)} (column {col} of layer {fmt(text)}) must not repeat", text, col
        )
    flags.add(name)
    where[{"ceil": "ceil_mode", "exact": "mode", "align_corners": "align_corners",
           "transpose_kernel": "transpose_kernel"}[name]] = col


def _bad(param: _Param, raw: str, col: int, text: str, rule: str) -> LayerSyntaxError:
    return LayerSyntaxError(
        f"{param.keys[0]}={cut(raw)} (column {col} of layer {fmt(text)}) must be {rule}", text,
        col,
    )


def _n(param: _Param, raw: str, col: int, text: str, token: str) -> int:
    """An integer token (already matched), at most MAX_DIGITS digits."""
    if len(token.lstrip("+-").lstrip("0")) > MAX_DIGITS:
        raise _bad(param, raw, col, text, f"an integer of at most {MAX_DIGITS} digits")
    return int(token)


def _axes(raw: str) -> list[str]:
    return raw.split("x") if raw else [""]


def _ints(param: _Param, raw: str, col: int, text: str) -> int | tuple[int, ...]:
    parts = _axes(raw)
    if not all(_INT.fullmatch(p) for p in parts):
        raise _bad(param, raw, col, text,
                   "a non-negative integer such as 3, or one per axis such as 3x5")
    values = tuple(_n(param, raw, col, text, p) for p in parts)
    return values[0] if len(values) == 1 else values


def _int(param: _Param, raw: str, col: int, text: str) -> int:
    if not _INT.fullmatch(raw):
        raise _bad(param, raw, col, text, "a positive integer such as 2")
    return _n(param, raw, col, text, raw)


def _padding(param: _Param, raw: str, col: int, text: str) -> Any:
    if _WORD.fullmatch(raw):
        return raw  # as typed: tf.nn takes only 'SAME'/'VALID' (the convention decides)
    items: list[Any] = []
    for part in _axes(raw):
        before, colon, after = part.partition(":")
        ok = _INT.fullmatch(before) and (not colon or _INT.fullmatch(after))
        if not ok:
            raise _bad(param, raw, col, text,
                       "a name such as same or valid, an integer, one per axis such as 1x2, "
                       "or before:after pairs such as 1:2x0:1")
        items.append((_n(param, raw, col, text, before), _n(param, raw, col, text, after))
                     if colon else _n(param, raw, col, text, before))
    if len(items) == 1:
        return (items[0],) if isinstance(items[0], tuple) else items[0]
    return tuple(items)


def _factor(param: _Param, raw: str, col: int, text: str) -> Any:
    parts = _axes(raw)
    if not all(_FACTOR.fullmatch(p) for p in parts):
        raise _bad(param, raw, col, text,
                   "a positive number such as 2, 3/2 or 1.5, or one per axis such as 2x3")
    values: list[int | Fraction] = []
    for p in parts:
        if len(p) > 2 * MAX_DIGITS + 1:
            raise _bad(param, raw, col, text, f"a number of at most {MAX_DIGITS} digits")
        try:
            f = Fraction(p)  # exact: '1.5' -> 3/2; the grammar above admits no exponent
        except ZeroDivisionError:
            raise _bad(param, raw, col, text, "a positive number (no zero denominator)") from None
        values.append(f.numerator if f.denominator == 1 else f)
    return values[0] if len(values) == 1 else tuple(values)


def _sizes(param: _Param, raw: str, col: int, text: str) -> Any:
    parts = _axes(raw)
    if not all(_INT.fullmatch(p) or p.lower() == _NONE for p in parts):
        raise _bad(param, raw, col, text,
                   "a positive integer such as 7, or one per axis such as 7x7, where none "
                   "keeps an axis (nonex7)")
    values = tuple(None if p.lower() == _NONE else _n(param, raw, col, text, p) for p in parts)
    return values[0] if len(values) == 1 else values


def _word(param: _Param, raw: str, col: int, text: str) -> str:
    if param.field == "convention" and _API.fullmatch(raw):
        api = api_named(raw)
        if api is not None:
            return api.name  # a framework API such as tf.nn.conv2d (symconv.spec.apis)
    if not _WORD.fullmatch(raw):
        raise _bad(param, raw, col, text, "a name such as torch or reflect")
    return raw.lower()


_VALUE: dict[str, Callable[[_Param, str, int, str], Any]] = {
    "ints": _ints, "int": _int, "padding": _padding, "factor": _factor, "word": _word,
    "sizes": _sizes,
}


def _build(kind: _Kind, values: dict[str, Any], flags: set[str], where: dict[str, int],
           text: str) -> Layer:
    """Construct the spec; its own rejections get the column of the parameter they name."""
    kw = dict(values)
    try:
        name = kind.name
        if name == "conv":
            return Conv(**kw)
        if name == "conv-transpose":
            return ConvTranspose(transpose_kernel="transpose_kernel" in flags, **kw)
        if name in ("avg-pool", "max-pool"):
            cls: Any = AvgPool if name == "avg-pool" else MaxPool
            return cls(ceil_mode="ceil" in flags, **kw)
        if name == "upsample-nearest":
            mode = ResizeMode.NEAREST_EXACT if "exact" in flags else ResizeMode.NEAREST
            return Resize(mode=mode, **kw)
        if name in ("upsample-linear", "upsample-cubic"):
            if "align_corners" in flags:
                kw["align_corners"] = True
            mode = ResizeMode.LINEAR if name == "upsample-linear" else ResizeMode.CUBIC
            return Resize(mode=mode, **kw)
        if name == "pixel-shuffle":
            return PixelShuffle(**kw)
        if name in ("adaptive-avg-pool", "adaptive-max-pool", "global-avg-pool",
                    "global-max-pool"):
            adaptive: Any = AdaptiveAvgPool if "avg" in name else AdaptiveMaxPool
            return adaptive(kw.pop("output_size", 1), **kw)
        return PixelUnshuffle(**kw)
    except InvalidSpecError as exc:
        message = str(exc)
        column = where[""]
        for field, col in where.items():
            if field and (message.startswith(f"{field}=") or message.startswith(f"{field} ")):
                column = col
                break
        raise LayerSyntaxError(f"{message} (column {column} of layer {fmt(text)})", text,
                               column) from None


# --------------------------------------------------------------------------- formatting


def _fmt_ints(values: Sequence[Any], ndim: int | None) -> str:
    """``3`` for a broadcast value (``ndim`` None), else one entry per axis (``3x3``)."""
    items = [str(v) for v in values]
    return items[0] if ndim is None else "x".join(items)


def _fmt_padding(value: Any, ndim: int | None) -> str:
    if isinstance(value, PadMode):
        return value.value
    pairs = list(value)
    if all(b == e for b, e in pairs):
        return _fmt_ints([b for b, _ in pairs], ndim)
    if ndim is None:
        b, e = pairs[0]
        return f"{b}:{e}"
    return "x".join(f"{b}:{e}" for b, e in pairs)


def _fmt_factor(values: Sequence[Any], ndim: int | None) -> str:
    def one(v: Any) -> str:
        f = Fraction(str(v)) if isinstance(v, float) else Fraction(v)
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"

    items = [one(v) for v in values]
    return items[0] if ndim is None else "x".join(items)


def _check_expressible(layer: Layer) -> None:
    """Refuse what the syntax cannot write (it describes one channel's geometry)."""
    lost = []
    if isinstance(layer, Conv | ConvTranspose):
        if layer.groups != 1:
            lost.append(f"groups={layer.groups}")
        for name in ("in_channels", "out_channels"):
            if getattr(layer, name) is not None:
                lost.append(f"{name}={getattr(layer, name)}")
    if isinstance(layer, ConvTranspose) and layer.output_size is not None:
        lost.append(f"output_size={layer.output_size}")
    if isinstance(layer, AvgPool):
        default = layer.convention in (Convention.TORCH, Convention.JAX)
        if layer.count_include_pad != default:
            lost.append(f"count_include_pad={layer.count_include_pad}")
    if lost:
        raise InvalidSpecError(
            f"layer={layer!r} has no layer-text form for {', '.join(lost)} (the syntax "
            "describes the geometry of one channel)"
        )


def format_layer(layer: Layer) -> str:
    """The layer syntax text of ``layer`` (the inverse of :func:`parse_layer`).

    Parameters equal to their defaults are left out.

    >>> format_layer(ConvTranspose(kernel=4, stride=2, padding=1))
    'conv-transpose k=4 s=2 p=1'
    >>> format_layer(Resize(scale_factor=2, mode="linear", align_corners=True))
    'upsample-linear f=2 align_corners'
    """
    parts: list[str]
    _check_expressible(layer)
    if isinstance(layer, Conv | ConvTranspose | AvgPool | MaxPool):
        name = {Conv: "conv", ConvTranspose: "conv-transpose", AvgPool: "avg-pool",
                MaxPool: "max-pool"}[type(layer)]
        nd = layer.ndim
        parts = [name, f"k={_fmt_ints(layer.kernel, nd)}"]
        pooled = isinstance(layer, AvgPool | MaxPool)
        api = effective_api(layer)  # pools: the stride defaults to the window or to 1 (flax)
        by_kernel = pooled and (api is None or api.pool_stride_default == "kernel")
        default = tuple(layer.kernel) if by_kernel else (1,) * len(layer.stride)
        if tuple(layer.stride) != default:
            parts.append(f"s={_fmt_ints(layer.stride, nd)}")
        if layer.padding != layer._padding_default():  # None: the API's default padding
            pad = _fmt_padding(layer.padding, nd)
            upper = isinstance(layer.padding, PadMode) and _upper_names(layer)
            parts.append(f"p={pad.upper() if upper else pad}")
        # Keras reads a missing op as "infer the length", so there an explicit 0 is written.
        if isinstance(layer, ConvTranspose) and layer.output_padding is not None and (
            any(layer.output_padding) or layer.convention is Convention.KERAS
        ):
            parts.append(f"op={_fmt_ints(layer.output_padding, nd)}")
        if any(d != 1 for d in layer.dilation):
            parts.append(f"d={_fmt_ints(layer.dilation, nd)}")
        if isinstance(layer, Conv) and layer.padding_mode is not PaddingFill.ZEROS:
            parts.append(f"pm={layer.padding_mode.value}")
        if isinstance(layer, AvgPool | MaxPool) and layer.ceil_mode:
            parts.append("ceil")
        if isinstance(layer, ConvTranspose) and layer.transpose_kernel:
            parts.append("transpose_kernel")
        if layer.convention.value != "torch":
            parts.append(f"convention={layer.api or layer.convention.value}")
        return " ".join(parts)
    if isinstance(layer, Resize):
        if layer.scale_factor is None:
            raise InvalidSpecError(
                f"layer={layer!r} must have a scale_factor to be written in the layer syntax "
                "(size= has no layer-text form)"
            )
        factor = _fmt_factor(layer.scale_factor, layer.ndim)
        if layer.mode in (ResizeMode.LINEAR, ResizeMode.CUBIC):
            flag = " align_corners" if layer.coordinate_mode is CoordinateMode.ALIGN_CORNERS else ""
            if layer.coordinate_mode not in (CoordinateMode.ALIGN_CORNERS,
                                             CoordinateMode.HALF_PIXEL) or (
                layer.convention is not Convention.TORCH
            ):
                raise InvalidSpecError(
                    f"coordinate_mode={layer.coordinate_mode.value!r} has no layer-text form"
                )
            return f"upsample-{layer.mode.value} f={factor}{flag}"
        expected = (CoordinateMode.HALF_PIXEL if layer.mode is ResizeMode.NEAREST_EXACT
                    else CoordinateMode.ASYMMETRIC)
        plain = Resize(scale_factor=layer.scale_factor, mode=layer.mode)
        if layer.coordinate_mode is not expected or (
            getattr(layer, "nearest_mode", None) != getattr(plain, "nearest_mode", None)
        ) or layer.convention is not Convention.TORCH:
            raise InvalidSpecError(
                f"coordinate_mode={layer.coordinate_mode.value!r} has no layer-text form for "
                f"mode={layer.mode.value!r}"
            )
        exact = " exact" if layer.mode is ResizeMode.NEAREST_EXACT else ""
        return f"upsample-nearest f={factor}{exact}"
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        which = "avg" if isinstance(layer, AdaptiveAvgPool) else "max"
        tail = "" if layer.convention is Convention.TORCH else \
            f" convention={layer.convention.value}"
        if layer.ndim is None and tuple(layer.output_size) == (1,):
            return f"global-{which}-pool{tail}"
        sizes = [_NONE if o is None else o for o in layer.output_size]
        return f"adaptive-{which}-pool o={_fmt_ints(sizes, layer.ndim)}{tail}"
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        if layer.order is not ShuffleOrder.CRD or layer.ndim is not None or (
            layer.convention.value != "torch"
        ):
            raise InvalidSpecError(
                f"layer={layer!r} has no layer-text form (only CRD order, any rank, torch)"
            )
        name = "pixel-shuffle" if isinstance(layer, PixelShuffle) else "pixel-unshuffle"
        return f"{name} r={layer.factor}"
    raise InvalidSpecError(f"layer={layer!r} has no layer-text form")
