"""Argument checking and resolution for :mod:`symconv.numeric`.

This is the only place in the subpackage that raises.  Every check turns a user argument
into a plain resolved value (tuples of Python ints, ``(before, after)`` pairs, exact or float
scale factors) or raises :class:`~symconv.errors.InvalidSpecError` with a one-line message of
the form ``name=value must <rule>``.  The operator modules then compute without further checks.

>>> from symconv.numeric._validate import per_axis
>>> per_axis("stride", 2, 3, minimum=1)
(2, 2, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.errors import InvalidSpecError

__all__ = [
    "ConvGeom",
    "IntOrTuple",
    "PadSpec",
    "PoolGeom",
    "ScaleSpec",
    "adaptive_out_size",
    "array",
    "axis_suffix",
    "channels_by_block",
    "check_bool",
    "check_index_range",
    "check_pad_mode",
    "check_real",
    "conv_geom",
    "conv_transpose_geom",
    "fail",
    "full_size",
    "grad_input_geom",
    "grad_weight_geom",
    "indices",
    "int_param",
    "pad_pairs",
    "per_axis",
    "pool_geom",
    "resize_mode",
    "resize_out_size",
    "scale_factors",
    "shuffle_mode",
    "spatial_by_block",
    "unpool_out_size",
]

Ints = tuple[int, ...]
Pairs = tuple[tuple[int, int], ...]
Scale = Fraction | float

#: Public parameter types: one value for every spatial axis, or one per axis.
IntOrTuple = int | Sequence[int]
#: Padding: an int, one per axis, or per-axis ``(before, after)`` pairs.
PadSpec = int | Sequence[int | tuple[int, int]]
#: A resize factor (int and Fraction are exact), or one per axis.
ScaleSpec = int | float | Fraction | Sequence[int | float | Fraction]

_RULE = {0: "non-negative integer", 1: "positive integer"}


def fail(message: str) -> NoReturn:
    """Raise the subpackage's one error type."""
    raise InvalidSpecError(message)


def shown(value: object, limit: int = 80) -> str:
    """Render a user value for a message, cut to about ``limit`` characters: strings quoted,
    numpy scalars as plain numbers, arrays by their shape, huge integers by their size."""
    if isinstance(value, str):
        text = repr(value[: limit + 2])
        whole = len(value)
    elif isinstance(value, list | tuple):
        parts: list[str] = []
        for item in value[:limit]:  # at most ``limit`` items are rendered, each cut
            parts.append(shown(item, limit))
            if sum(map(len, parts)) > limit:
                break
        inner = ", ".join(parts)
        text = f"({inner},)" if len(value) == 1 else f"({inner})"
        whole = len(text) + (len(value) - len(parts))
    elif isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    elif isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    else:
        text = str(value)
        whole = len(text)
    return text if whole <= limit and len(text) <= limit else f"{text[:limit - 20]}... (cut)"


_fmt = shown


def axis_suffix(a: int, nd: int) -> str:
    """Message suffix naming the spatial axis, empty in 1-D."""
    return f" on spatial axis {a}" if nd > 1 else ""


def is_int(value: object) -> bool:
    """True for Python/numpy integers, False for ``bool`` (which is an ``int`` subclass)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def int_param(name: str, value: object, minimum: int) -> int:
    """Check a scalar integer parameter (``minimum`` is 0 or 1) and return it as ``int``."""
    if not is_int(value) or int(value) < minimum:  # type: ignore[call-overload]
        fail(f"{name}={_fmt(value)} must be a {_RULE[minimum]}")
    return int(value)  # type: ignore[call-overload]


def check_bool(name: str, value: object) -> bool:
    """Check a flag: only ``True``/``False`` (and numpy booleans) are accepted."""
    if not isinstance(value, bool | np.bool_):
        fail(f"{name}={_fmt(value)} must be a bool")
    return bool(value)


def per_axis(name: str, value: object, nd: int, minimum: int) -> Ints:
    """Resolve an int-or-tuple parameter to one int per spatial axis."""
    if is_int(value) or isinstance(value, bool | np.bool_):
        return (int_param(name, value, minimum),) * nd
    if isinstance(value, list | tuple):
        if len(value) != nd:
            fail(f"{name}={_fmt(value)} must have one entry per spatial axis ({nd})")
        if not all(is_int(v) and int(v) >= minimum for v in value):
            fail(f"{name}={_fmt(value)} must contain only {_RULE[minimum]}s")
        return tuple(int(v) for v in value)
    fail(f"{name}={_fmt(value)} must be a {_RULE[minimum]} or a tuple of them")


def _pair(value: object, low: int | None) -> tuple[int, int] | None:
    def ok(v: object) -> bool:
        return is_int(v) and (low is None or int(v) >= low)  # type: ignore[call-overload]

    if ok(value):
        return (int(value), int(value))  # type: ignore[call-overload]
    if isinstance(value, list | tuple) and len(value) == 2 and all(ok(v) for v in value):
        return (int(value[0]), int(value[1]))
    return None


def pad_pairs(name: str, value: object, nd: int, *, negative: bool = False) -> Pairs:
    """Resolve padding (int, per-axis ints, or per-axis ``(before, after)`` pairs); with
    ``negative`` a negative entry is accepted (a crop, :func:`symconv.numeric._pad.pad_constant`)."""
    low, what = (None, "integer") if negative else (0, "non-negative integer")
    if is_int(value):
        p = int(value) if negative else int_param(name, value, 0)  # type: ignore[call-overload]
        return ((p, p),) * nd
    if isinstance(value, list | tuple):
        if len(value) != nd:
            fail(f"{name}={_fmt(value)} must have one entry per spatial axis ({nd})")
        pairs = [_pair(v, low) for v in value]
        if any(p is None for p in pairs):
            fail(f"{name}={_fmt(value)} must contain only {what}s or (before, after) pairs")
        return tuple(p for p in pairs if p is not None)
    fail(f"{name}={_fmt(value)} must be a {what}, a tuple or (before, after) pairs")


def check_pad_mode(shape: Sequence[int], pairs: Pairs, mode: object) -> None:
    """Check a padding mode and PyTorch's size limits for it (reflect: pad < n; circular: <= n)."""
    if mode not in ("zeros", "reflect", "replicate", "circular"):
        fail(f"mode={_fmt(mode)} must be 'zeros', 'reflect', 'replicate' or 'circular'")
    if mode in ("zeros", "replicate"):
        return
    nd = len(pairs)
    for a, (n, pair) in enumerate(zip(shape, pairs, strict=True)):
        limit = n - 1 if mode == "reflect" else n
        if max(pair) > limit:
            rule = "smaller than" if mode == "reflect" else "at most"
            fail(
                f"padding={max(pair)} must be {rule} the input size {n} for mode={shown(mode)}"
                f"{axis_suffix(a, nd)}"
            )


def array(name: str, value: ArrayLike, layout: str = "(N, C, *spatial)") -> NDArray[Any]:
    """Convert to an ndarray and check it is numeric with at least one spatial axis."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iufcO":
        fail(f"{name}.dtype={arr.dtype} must be numeric (integer, float, complex or object)")
    if arr.ndim < 3:
        fail(f"{name}.ndim={arr.ndim} must be at least 3 {layout}")
    if 0 in arr.shape:
        fail(f"{name}.shape={_fmt(arr.shape)} must not contain a zero-size axis")
    return arr


def check_real(name: str, arr: NDArray[Any]) -> None:
    """Maxima need an order: reject complex data."""
    if arr.dtype.kind == "c":
        fail(f"{name}.dtype={arr.dtype} must be real (maxima need an order)")


def indices(name: str, value: ArrayLike, shape: tuple[int, ...]) -> NDArray[Any]:
    """Check unpooling indices: integers, the shape of the values."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        fail(f"{name}.dtype={arr.dtype} must be an integer type")
    if arr.shape != shape:
        fail(f"{name}.shape={_fmt(arr.shape)} must equal x.shape={_fmt(shape)}")
    return arr


def check_index_range(name: str, arr: NDArray[Any], plane: int, size: Ints) -> None:
    """Every flat index must fall inside one output plane."""
    bad = arr[(arr < 0) | (arr >= plane)]
    if bad.size:
        fail(
            f"{name}={int(bad.flat[0])} must lie in [0, {plane}), the flat positions of an "
            f"output plane of size {_fmt(size)}"
        )


def _check_fits(n: Sequence[int], k: Ints, d: Ints, pads: Pairs) -> None:
    nd = len(n)
    for a in range(nd):
        extent = d[a] * (k[a] - 1) + 1
        padded = n[a] + pads[a][0] + pads[a][1]
        if extent > padded:
            what = f"kernel={k[a]}" if d[a] == 1 else f"kernel={k[a]} at dilation={d[a]}"
            span = "" if d[a] == 1 else f" (extent {extent})"
            fail(
                f"{what}{span} must not exceed the padded input size {padded} "
                f"(input {n[a]} + padding {pads[a][0]}+{pads[a][1]}){axis_suffix(a, nd)}"
            )


@dataclass(frozen=True, slots=True)
class ConvGeom:
    """Resolved geometry of a (transposed) convolution: per-axis tuples."""

    stride: Ints
    pads: Pairs
    dilation: Ints
    groups: int
    kernel: Ints
    out: Ints


def _conv_padding(padding: object, n: Sequence[int], k: Ints, s: Ints, d: Ints,
                  negative: bool = False) -> Pairs:
    nd = len(n)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(v != 1 for v in s):
                fail(f"stride={_fmt(s if nd > 1 else s[0])} must be 1 when padding='same'")
            # PyTorch: total d(k-1), left = total // 2, the odd extra on the right.
            totals = [di * (ki - 1) for di, ki in zip(d, k, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)
        fail(
            f"padding={_fmt(padding)} must be 'valid', 'same', a non-negative integer, "
            "a tuple or (before, after) pairs"
        )
    return pad_pairs("padding", padding, nd, negative=negative)


def conv_geom(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    stride: object,
    padding: object,
    dilation: object,
    groups: object,
    *,
    any_padding: bool = False,
) -> ConvGeom:
    """Check and resolve ``conv`` arguments given the input and weight shapes
    (``any_padding``: negative pads crop, as JAX reads them)."""
    nd = len(x_shape) - 2
    if len(w_shape) != len(x_shape):
        fail(f"w.ndim={len(w_shape)} must equal x.ndim={len(x_shape)}")
    s = per_axis("stride", stride, nd, 1)
    d = per_axis("dilation", dilation, nd, 1)
    g = int_param("groups", groups, 1)
    cin, cout = x_shape[1], w_shape[0]
    if cin % g:
        fail(f"groups={g} must divide in_channels={cin}")
    if cout % g:
        fail(f"groups={g} must divide out_channels={cout}")
    if w_shape[1] != cin // g:
        fail(f"w.shape[1]={w_shape[1]} must equal in_channels/groups={cin // g}")
    k = tuple(int(v) for v in w_shape[2:])
    n = tuple(int(v) for v in x_shape[2:])
    pads = _conv_padding(padding, n, k, s, d, any_padding)
    _check_fits(n, k, d, pads)
    out = tuple(
        (n[a] + pads[a][0] + pads[a][1] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(nd)
    )
    return ConvGeom(s, pads, d, g, k, out)


def conv_transpose_geom(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    stride: object,
    padding: object,
    output_padding: object,
    dilation: object,
    groups: object,
) -> tuple[ConvGeom, Ints]:
    """Check and resolve ``conv_transpose`` arguments; also returns the output padding."""
    nd = len(x_shape) - 2
    if len(w_shape) != len(x_shape):
        fail(f"w.ndim={len(w_shape)} must equal x.ndim={len(x_shape)}")
    s = per_axis("stride", stride, nd, 1)
    d = per_axis("dilation", dilation, nd, 1)
    g = int_param("groups", groups, 1)
    op = per_axis("output_padding", output_padding, nd, 0)
    cin = x_shape[1]
    if w_shape[0] != cin:
        fail(f"w.shape[0]={w_shape[0]} must equal in_channels={cin}")
    if cin % g:
        fail(f"groups={g} must divide in_channels={cin}")
    pads = pad_pairs("padding", padding, nd)
    for a in range(nd):
        # PyTorch: "output padding must be smaller than either stride or dilation".
        if not (op[a] < s[a] or op[a] < d[a]):
            fail(
                f"output_padding={op[a]} must be smaller than stride={s[a]} "
                f"or dilation={d[a]}{axis_suffix(a, nd)}"
            )
    k = tuple(int(v) for v in w_shape[2:])
    n = tuple(int(v) for v in x_shape[2:])
    out = tuple(
        (n[a] - 1) * s[a] - pads[a][0] - pads[a][1] + d[a] * (k[a] - 1) + 1 + op[a]
        for a in range(nd)
    )
    for a in range(nd):
        if out[a] < 1:
            fail(
                f"padding={_fmt(padding)} must leave a positive output size "
                f"(got {out[a]}{axis_suffix(a, nd)})"
            )
    return ConvGeom(s, pads, d, g, k, out), op


def shuffle_mode(mode: object) -> str:
    """DepthToSpace channel order: ONNX's 'DCR' (default) or 'CRD' (= pixel shuffle)."""
    if mode not in ("DCR", "CRD"):
        fail(f"mode={_fmt(mode)} must be 'DCR' or 'CRD'")
    return str(mode)


def full_size(name: str, size: object, nd: int, lead: tuple[int, int]) -> Ints:
    """Resolve a spatial size given either spatially (``nd`` ints) or in full (``N, C, ...``)."""
    if not isinstance(size, list | tuple) or not all(is_int(v) and int(v) >= 1 for v in size):
        fail(f"{name}={_fmt(size)} must be a tuple of positive integers")
    if len(size) == nd + 2:
        if (int(size[0]), int(size[1])) != lead:
            fail(f"{name}={_fmt(size)} must start with (N, C)={lead}")
        size = size[2:]
    if len(size) != nd:
        fail(f"{name}={_fmt(size)} must have {nd} spatial entries (or {nd + 2} with N, C)")
    return tuple(int(v) for v in size)


def grad_input_geom(
    go: NDArray[Any],
    w: NDArray[Any],
    input_size: object,
    stride: object,
    padding: object,
    dilation: object,
    groups: object,
) -> tuple[ConvGeom, Ints]:
    """Resolve ``conv_grad_input``: the conv geometry and the forward input's spatial size."""
    nd = go.ndim - 2
    if w.ndim != go.ndim:
        fail(f"w.ndim={w.ndim} must equal grad_out.ndim={go.ndim}")
    g = int_param("groups", groups, 1)
    size = full_size("input_size", input_size, nd, (go.shape[0], w.shape[1] * g))
    geom = conv_geom((go.shape[0], w.shape[1] * g, *size), w.shape, stride, padding, dilation, g)
    expected = (go.shape[0], w.shape[0], *geom.out)
    if go.shape != expected:
        fail(
            f"grad_out.shape={_fmt(go.shape)} must equal the conv output shape "
            f"{_fmt(expected)} for input_size={_fmt(input_size)}"
        )
    return geom, size


def grad_weight_geom(
    x: NDArray[Any],
    go: NDArray[Any],
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object,
    groups: object,
) -> ConvGeom:
    """Resolve ``conv_grad_weight``: the conv geometry of the forward pass."""
    nd = x.ndim - 2
    if go.ndim != x.ndim:
        fail(f"grad_out.ndim={go.ndim} must equal x.ndim={x.ndim}")
    g = int_param("groups", groups, 1)
    cin, cout = x.shape[1], go.shape[1]
    if cin % g:
        fail(f"groups={g} must divide in_channels={cin}")
    k = full_size("kernel_size", kernel_size, nd, (cout, cin // g))
    geom = conv_geom(x.shape, (cout, cin // g, *k), stride, padding, dilation, g)
    expected = (x.shape[0], cout, *geom.out)
    if go.shape != expected:
        fail(
            f"grad_out.shape={_fmt(go.shape)} must equal the conv output shape "
            f"{_fmt(expected)} for x.shape={_fmt(x.shape)}"
        )
    return geom


@dataclass(frozen=True, slots=True)
class PoolGeom:
    """Resolved geometry of a pooling window: per-axis tuples."""

    kernel: Ints
    stride: Ints
    pads: Pairs
    dilation: Ints
    out: Ints


def pool_geom(
    x: NDArray[Any],
    kernel: object,
    stride: object,
    padding: object,
    dilation: object,
    ceil_mode: object,
    *,
    pads_below_kernel: bool = False,
    any_padding: bool = False,
) -> PoolGeom:
    """Check and resolve pooling arguments, output size by the PyTorch ceil-mode rule.

    Padding is at most ``kernel // 2`` per side (PyTorch's rule), or below ``kernel`` with
    ``pads_below_kernel`` (ONNX MaxPool as onnxruntime runs it: every window still holds an input
    position), or any integer with ``any_padding`` (JAX's ``reduce_window``: a negative pad
    crops, and a window may lie in the padding only)."""
    nd = x.ndim - 2
    k = per_axis("kernel", kernel, nd, 1)
    s = k if stride is None else per_axis("stride", stride, nd, 1)
    d = per_axis("dilation", dilation, nd, 1)
    pads = pad_pairs("padding", padding, nd, negative=any_padding)
    ceil = check_bool("ceil_mode", ceil_mode)
    for a in range(nd if not any_padding else 0):
        for p in pads[a]:
            if pads_below_kernel:
                if p >= k[a]:
                    fail(f"padding={p} must be less than kernel={k[a]}{axis_suffix(a, nd)}")
            # PyTorch: "padding should be at most half of kernel size".
            elif p > k[a] // 2:
                fail(f"padding={p} must be at most half of kernel={k[a]}{axis_suffix(a, nd)}")
    n = x.shape[2:]
    out = []
    for a in range(nd):
        span = n[a] + pads[a][0] + pads[a][1] - d[a] * (k[a] - 1) - 1
        o = (span + (s[a] - 1 if ceil else 0)) // s[a] + 1
        # PyTorch ceil-mode rule: the last window must start inside the input or left padding.
        if ceil and (o - 1) * s[a] >= n[a] + pads[a][0]:
            o -= 1
        if o < 1:
            if not ceil:
                _check_fits(n, k, d, pads)
            fail(
                f"kernel={k[a]} at dilation={d[a]} (extent {d[a] * (k[a] - 1) + 1}) must not "
                f"exceed the padded input size {n[a] + pads[a][0] + pads[a][1]} plus "
                f"stride - 1 = {s[a] - 1} in ceil mode{axis_suffix(a, nd)}"
            )
        out.append(o)
    return PoolGeom(k, s, pads, d, tuple(out))


def adaptive_out_size(x: NDArray[Any], output_size: object) -> Ints:
    """Resolve an adaptive pooling ``output_size``: an int (every axis) or one entry per spatial
    axis, each a positive int or ``None`` (keep the input size)."""
    nd = x.ndim - 2
    if isinstance(output_size, list | tuple):
        if len(output_size) != nd:
            fail(f"output_size={_fmt(output_size)} must have one entry per spatial axis ({nd})")
        if not all(v is None or (is_int(v) and int(v) >= 1) for v in output_size):
            fail(f"output_size={_fmt(output_size)} must contain only positive integers or None")
        return tuple(x.shape[2 + a] if v is None else int(v) for a, v in enumerate(output_size))
    return (int_param("output_size", output_size, 1),) * nd


def unpool_out_size(
    x: NDArray[Any], kernel: object, stride: object, padding: object, output_size: object
) -> tuple[Ints, Pairs, Ints]:
    """Resolve ``max_unpool``'s output size; PyTorch's strict ``default ± stride`` window."""
    nd = x.ndim - 2
    k = per_axis("kernel", kernel, nd, 1)
    s = k if stride is None else per_axis("stride", stride, nd, 1)
    pads = pad_pairs("padding", padding, nd)
    n = x.shape[2:]
    default = tuple((n[a] - 1) * s[a] - pads[a][0] - pads[a][1] + k[a] for a in range(nd))
    if output_size is None:
        if min(default) < 1:
            fail(f"padding={_fmt(padding)} must leave a positive output size (got {default})")
        return default, pads, s
    size = full_size("output_size", output_size, nd, (x.shape[0], x.shape[1]))
    lo = tuple(default[a] - s[a] for a in range(nd))
    hi = tuple(default[a] + s[a] for a in range(nd))
    if not all(lo[a] < size[a] < hi[a] for a in range(nd)):
        fail(
            f"output_size={_fmt(output_size)} must lie strictly between default - stride "
            f"and default + stride per axis, i.e. {_fmt(lo)} < size < {_fmt(hi)}"
        )
    return size, pads, s


def scale_factors(value: object, nd: int) -> tuple[Scale, ...]:
    """Resolve scale factors: ints and Fractions stay exact (``Fraction``), floats stay float."""

    def one(v: object) -> Scale:
        if is_int(v) and int(v) > 0:  # type: ignore[call-overload]
            return Fraction(int(v))  # type: ignore[call-overload]
        if isinstance(v, Fraction) and v > 0:
            return v
        if isinstance(v, float | np.floating) and math.isfinite(v) and v > 0:
            return float(v)
        fail(f"scale_factor={_fmt(value)} must be a positive int, Fraction or float")

    if isinstance(value, list | tuple):
        if len(value) != nd:
            fail(f"scale_factor={_fmt(value)} must have one entry per spatial axis ({nd})")
        return tuple(one(v) for v in value)
    return (one(value),) * nd


def resize_out_size(n: int, sf: Scale) -> int:
    """``floor(n * sf)``: exact for Fractions, in float64 for floats (as PyTorch does)."""
    o = math.floor(n * sf) if isinstance(sf, Fraction) else math.floor(float(n) * sf)
    if o < 1:
        fail(f"scale_factor={_fmt(sf)} must give a positive output size (input {n} -> {o})")
    return o


_COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")


def resize_mode(align_corners: object, coordinate_mode: object) -> str:
    """Resolve the linear-resize coordinate convention to one internal mode name."""
    ac = check_bool("align_corners", align_corners)
    if coordinate_mode is None:
        return "torch_align_corners" if ac else "torch"
    if coordinate_mode not in _COORDINATE_MODES:
        fail(
            f"coordinate_mode={_fmt(coordinate_mode)} must be None or one of "
            + ", ".join(repr(m) for m in _COORDINATE_MODES)
        )
    if ac:
        fail(f"align_corners=True must not be combined with coordinate_mode={shown(coordinate_mode)}")
    return str(coordinate_mode)


def channels_by_block(name: str, channels: int, r: int, nd: int) -> int:
    """Channels of a depth-to-space input must split into ``r**nd`` blocks; returns ``C``."""
    if channels % r**nd:
        fail(f"{name}.shape[1]={channels} must be divisible by r**{nd}={r**nd}")
    return channels // r**nd


def spatial_by_block(name: str, spatial: Sequence[int], r: int) -> Ints:
    """Spatial sizes of a space-to-depth input must be multiples of ``r``; returns them / r."""
    if any(n % r for n in spatial):
        fail(f"{name}.shape[2:]={_fmt(tuple(spatial))} must be divisible by r={r}")
    return tuple(n // r for n in spatial)
