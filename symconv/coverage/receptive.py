"""Receptive field, effective stride (jump) and offset of a stack of layers, per axis.

Positions are integers on an unbounded axis: borders are ignored, so a field may reach into
the padding (negative positions, or past the end) and the resize clamps to the first/last
input are not applied (they act like edge padding).  Output ``j`` of the stack *depends on*
input ``i`` when some chain of taps links them (weights of convolutions are generic; taps of
fixed weight 0, as in linear resizing at an exact grid point, do not count).
``span(j) = (lo, hi)`` is the first and last input position output ``j`` depends on, holes
included (a dilated kernel spans its holes).

Convolutions and pools give the classic affine recurrence (Araujo et al., "Computing receptive
fields of convolutional neural networks", Distill 2019)::

    r_out = r_in + (k_eff - 1) J_in      J_out = J_in s      start_out = start_in - pb J_in

Transposed convolutions, max-unpooling, resizing, pixel shuffle and adaptive pooling are not
affine in ``j``, but every layer maps output ``j + p`` to its inputs shifted by ``q`` (``s`` and
``1`` for a stride-s transposed conv; the numerator and denominator of the scale factor for a
resize; ``o/g`` and ``n/g``, ``g = gcd(n, o)``, for adaptive pooling of ``n`` to ``o``), so the exact
first/last input of the whole stack is periodic: tabulated over one period of output positions,
layer by layer from the input, it costs O(layers x period) and is exact for every ``j``.

Fields over every path of a network are in :mod:`symconv.review.receptive`.

>>> from symconv import Conv
>>> rf = receptive_field([Conv(kernel=3, stride=2, padding=1), Conv(kernel=3, stride=2, padding=1)])
>>> rf.size, rf.stride, rf.offset, rf.span(1)
(7, Fraction(4, 1), Fraction(-3, 1), (1, 7))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any

from symconv._params import fmt, scalar
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    CoordinateMode,
    MaxPool,
    MaxUnpool,
    NearestMode,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
    Slice,
)

__all__ = [
    "ClosedForm",
    "ReceptiveField",
    "receptive_field",
    "receptive_prefixes",
    "table_work",
]

#: Largest period (output positions per table) tabulated before giving up.
MAX_PERIOD = 1 << 20

#: Most work units (table lookups, see :func:`table_work`; about 2.5 microseconds each here)
#: one call tabulates before giving up: about 5 s.
MAX_TABLE_WORK = 2_000_000

_HALF = Fraction(1, 2)

# --------------------------------------------------------------------------- per-layer maps
# Each map says which positions of its input output j reads, as an arithmetic progression
# (first, step, count), and its periodicity: deps(j + p) = deps(j) + q.


@dataclass(frozen=True, slots=True)
class _Window:
    """Conv/pool: output j reads ``j s - pb + t d`` for ``t < k``."""

    k: int
    s: int
    d: int
    pb: int

    @property
    def pq(self) -> tuple[int, int]:
        return 1, self.s

    def deps(self, j: int) -> tuple[int, int, int]:
        return j * self.s - self.pb, self.d, self.k


@dataclass(frozen=True, slots=True)
class _Scatter:
    """Transposed conv with crop ``pb``: output j receives input i iff
    ``j + pb - i s`` is one of ``0, d, ..., d (k - 1)``."""

    k: int
    s: int
    d: int
    pb: int

    @property
    def pq(self) -> tuple[int, int]:
        return self.s, 1

    def deps(self, j: int) -> tuple[int, int, int]:
        g = gcd(self.s, self.d)
        u = j + self.pb
        if u % g:
            return 0, 1, 0
        s1, d1 = self.s // g, self.d // g
        t0 = (u // g) * pow(d1, -1, s1) % s1  # smallest tap index with j + pb - t d = 0 mod s
        if t0 >= self.k:
            return 0, 1, 0
        count = (self.k - 1 - t0) // s1 + 1
        t_last = t0 + (count - 1) * s1
        return (u - t_last * self.d) // self.s, d1, count


@dataclass(frozen=True, slots=True)
class _Unpool:
    """Max-unpooling: input i's switch lies in its pooling window ``[i s - pb, i s - pb + k)``."""

    k: int
    s: int
    pb: int

    @property
    def pq(self) -> tuple[int, int]:
        return self.s, 1

    def deps(self, j: int) -> tuple[int, int, int]:
        first = -(-(j + self.pb - self.k + 1) // self.s)
        last = (j + self.pb) // self.s
        return first, 1, max(last - first + 1, 0)


@dataclass(frozen=True, slots=True)
class _Resample:
    """Resize: source coordinate ``x = j scale + shift``; nearest reads ``x`` rounded by its
    ``nearest_mode`` (PyTorch 'nearest': ``floor(x)``; 'nearest-exact' ``floor(x + 1/2)``;
    ONNX's default ``round_prefer_floor``: ``ceil(x - 1/2)``), linear ``floor(x)`` and, unless x is an integer,
    ``floor(x) + 1``; cubic the taps ``floor(x) - 1 .. floor(x) + 2`` whose Keys weight with
    coefficient ``a`` is not 0 (only ``floor(x)`` when x is an integer)."""

    scale: Fraction
    shift: Fraction
    mode: ResizeMode
    a: Fraction = Fraction(-3, 4)
    nearest: NearestMode | None = None

    @property
    def pq(self) -> tuple[int, int]:
        return self.scale.denominator, self.scale.numerator

    def deps(self, j: int) -> tuple[int, int, int]:
        # x = j scale + shift = num / den in integers (Fractions cost ten times more per call)
        sn, sd = self.scale.numerator, self.scale.denominator
        hn, hd = self.shift.numerator, self.shift.denominator
        num, den = j * sn * hd + hn * sd, sd * hd
        if self.mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT):
            nm = self.nearest or (NearestMode.FLOOR if self.mode is ResizeMode.NEAREST
                                  else NearestMode.ROUND_PREFER_CEIL)
            return _round_int(num, den, nm), 1, 1
        x0, rem = divmod(num, den)
        if rem == 0:
            return x0, 1, 1
        if self.mode is ResizeMode.CUBIC:
            x = Fraction(num, den)
            taps = [k for k in (-1, 0, 1, 2) if _keys(abs(x - x0 - k), self.a) != 0]
            steps = {b - a for a, b in itertools.pairwise(taps)}
            if len(steps) > 1:
                raise UnsupportedError(
                    f"cubic_coeff_a={self.a} must not give an inner tap the weight 0 (at source "
                    f"offset {x - x0}): the taps read are then not evenly spaced")
            return x0 + taps[0], steps.pop() if steps else 1, len(taps)
        return x0, 1, 2


def _round_int(num: int, den: int, nm: NearestMode) -> int:
    """:func:`_round` of ``x = num / den`` (``den > 0``) in integer arithmetic."""
    if nm is NearestMode.FLOOR:
        return num // den
    if nm is NearestMode.CEIL:
        return -(-num // den)
    if nm is NearestMode.ROUND_PREFER_FLOOR:
        return -((den - 2 * num) // (2 * den))  # ceil(x - 1/2)
    return (2 * num + den) // (2 * den)


def _keys(u: Fraction, a: Fraction) -> Fraction:
    """Keys' cubic convolution kernel ``W(u)`` at distance ``u >= 0``."""
    if u <= 1:
        return ((a + 2) * u - (a + 3)) * u * u + 1
    if u < 2:
        return a * (u - 1) * (u - 2) * (u - 2)
    return Fraction(0)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


@dataclass(frozen=True, slots=True)
class _Shuffle:
    """Pixel shuffle: output ``r i + q`` comes from input i (some channel)."""

    r: int

    @property
    def pq(self) -> tuple[int, int]:
        return self.r, 1

    def deps(self, j: int) -> tuple[int, int, int]:
        return j // self.r, 1, 1


@dataclass(frozen=True, slots=True)
class _Adaptive:
    """Adaptive pooling of ``n`` to ``o``: output j reads ``[floor(j n/o), ceil((j+1) n/o))``,
    and ``j + o/g`` reads the same window shifted by ``n/g`` (``g = gcd(n, o)``)."""

    n: int
    o: int

    @property
    def pq(self) -> tuple[int, int]:
        g = gcd(self.n, self.o)
        return self.o // g, self.n // g

    def deps(self, j: int) -> tuple[int, int, int]:
        first = j * self.n // self.o
        return first, 1, -(-(j + 1) * self.n // self.o) - first


_Map = _Window | _Scatter | _Unpool | _Resample | _Shuffle | _Adaptive


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _Table:
    """First/last input position of every output, periodic: ``lo(x + P) = lo(x) + Q``.

    ``None`` marks positions that depend on no input at all.
    """

    period: int
    shift: int
    lo: tuple[int | None, ...]
    hi: tuple[int | None, ...]

    def at(self, x: int) -> tuple[int, int] | None:
        m, r = divmod(x, self.period)
        lo = self.lo[r]
        if lo is None:
            return None
        hi = self.hi[r]
        assert hi is not None
        return lo + m * self.shift, hi + m * self.shift


_IDENTITY = _Table(1, 1, (0,), (0,))


def _compose(prev: _Table, m: _Map) -> _Table:
    """The table of ``m`` applied after the stack tabulated in ``prev``.

    Exactness: ``lo`` of an output is the minimum of ``prev.lo`` over the positions it reads,
    an arithmetic progression.  Along the progression the residues mod ``P`` repeat with cycle
    ``P / gcd(step, P)``, and within one residue class ``prev.lo`` grows (by ``Q >= 0`` per
    period), so only the first cycle can hold the minimum (the last cycle the maximum).
    """
    p, q = m.pq
    big_p, big_q = prev.period, prev.shift
    if q == 0:  # a constant map (resize of scale 0): every output reads the same position
        period, shift = p, 0
    else:
        common = big_p * q // gcd(big_p, q)
        period, shift = p * common // q, big_q * common // big_p
    if period > MAX_PERIOD:
        raise UnsupportedError(
            f"period={period} must be at most {MAX_PERIOD}: the stack's output positions repeat "
            "their receptive fields only every period positions (too much upsampling)"
        )
    los: list[int | None] = []
    his: list[int | None] = []
    for j in range(period):
        first, step, count = m.deps(j)
        if count <= 0:
            los.append(None)
            his.append(None)
            continue
        cycle = big_p // gcd(step, big_p) if step else 1
        c = min(count, cycle)
        lo = [v[0] for t in range(c) if (v := prev.at(first + t * step)) is not None]
        hi = [v[1] for t in range(count - c, count) if (v := prev.at(first + t * step)) is not None]
        los.append(min(lo) if lo else None)
        his.append(max(hi) if hi else None)
    return _Table(period, shift, tuple(los), tuple(his))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ClosedForm:
    """The classic recurrence for a stack of convolutions and pools (one axis).

    ``layers`` holds ``(k_eff, s, pb)`` per layer; ``steps`` the ``(r, J, start)`` after each
    layer.  Output ``j`` reads inputs ``[start + j J, start + j J + r - 1]``.
    """

    size: int
    stride: int
    start: int
    layers: tuple[tuple[int, int, int], ...]
    steps: tuple[tuple[int, int, int], ...]

    def text(self) -> str:
        """The formula with the numbers filled in.

        >>> print(receptive_field([Conv(kernel=3, stride=2, padding=1)] * 2).closed_form.text())
        ... # doctest: +NORMALIZE_WHITESPACE
        r = 1 + (3-1)*1 + (3-1)*2 = 7; J = 2*2 = 4; start = -(1*1 + 1*2) = -3;
        output j reads input [4j - 3, 4j + 3]
        """
        jumps = [1] + [st[1] for st in self.steps[:-1]]
        pairs = list(zip(self.layers, jumps, strict=True))
        r_terms = " + ".join(f"({k}-1)*{jj}" for (k, _, _), jj in pairs)
        j_terms = "*".join(str(s) for _, s, _ in self.layers) or "1"
        s_terms = " + ".join(f"{pb}*{jj}" for (_, _, pb), jj in pairs)
        last = self.start + self.size - 1
        r_text = f"1 + {r_terms}" if r_terms else "1"
        s_text = f"-({s_terms})" if s_terms else "0"
        return (
            f"r = {r_text} = {self.size}; J = {j_terms} = {self.stride}; "
            f"start = {s_text} = {self.start}; output j reads input "
            f"[{_affine(self.stride, self.start)}, {_affine(self.stride, last)}]"
        )


def _affine(a: int, b: int) -> str:
    head = "j" if a == 1 else f"{a}j"
    if b == 0:
        return head
    return f"{head} {'+' if b > 0 else '-'} {abs(b)}"


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """Receptive field of a stack on one axis.

    ``size``: the largest span ``hi - lo + 1`` over all outputs (one period suffices);
    ``stride``: input positions per output position (product of strides and inverse upsampling
    factors); ``offset``: where the field of output 0 starts (if output 0 depends on no input,
    the affine extrapolation ``lo(j0) - j0 stride`` from the first output ``j0`` that does;
    ``None`` when no output depends on the input); ``exact_affine``: ``span(j) = span(0) +
    j stride`` for every ``j`` (always true for convolutions and pools).  ``period``/``shift``:
    ``span(j + period) = span(j) + shift``; ``spans`` the spans of outputs ``0..period-1``.
    ``closed_form``: the classic recurrence when every layer is a conv, a pool or a pixel
    unshuffle.
    """

    size: int
    stride: Fraction
    offset: Fraction | None
    exact_affine: bool
    period: int
    shift: int
    spans: tuple[tuple[int, int] | None, ...]
    closed_form: ClosedForm | None = None
    notes: tuple[str, ...] = ()

    def span(self, j: int) -> tuple[int, int] | None:
        """``(lo, hi)``: first and last input position output ``j`` depends on (``None``: none).

        >>> rf = receptive_field([ConvTranspose(kernel=3, stride=2, padding=1)])
        >>> [rf.span(j) for j in range(4)]
        [(0, 0), (0, 1), (1, 1), (1, 2)]
        """
        m, r = divmod(scalar("j", j), self.period)
        s = self.spans[r]
        if s is None:
            return None
        return s[0] + m * self.shift, s[1] + m * self.shift

    def formula(self) -> str:
        """A one-line description of ``span(j)``.

        >>> from symconv import PixelShuffle
        >>> print(receptive_field([PixelShuffle(factor=2), Conv(kernel=3, padding=1)]).formula())
        ... # doctest: +NORMALIZE_WHITESPACE
        output j = 2m + t reads input [lo_t + m, hi_t + m] with
        (lo_t, hi_t) = (-1, 0), (0, 1) for t = 0..1
        """
        if self.closed_form is not None:
            return self.closed_form.text()
        if self.exact_affine:
            lo, hi = self.spans[0]  # type: ignore[misc]
            return f"output j reads input [{_affine(self.shift, lo)}, {_affine(self.shift, hi)}]"
        shown = ", ".join("none" if s is None else f"({s[0]}, {s[1]})" for s in self.spans[:8])
        more = ", ..." if self.period > 8 else ""
        step = "" if self.shift == 1 else str(self.shift)
        return (
            f"output j = {self.period}m + t reads input [lo_t + {step}m, hi_t + {step}m] with "
            f"(lo_t, hi_t) = {shown}{more} for t = 0..{self.period - 1}"
        )


# --------------------------------------------------------------------------- layer -> map


def _axis_value(layer: Any, name: str, axis: int) -> Any:
    value = getattr(layer, name)
    return value[0] if layer.ndim is None else value[axis]


def _need_size(layer: Any, why: str) -> InvalidSpecError:
    return InvalidSpecError(
        f"input_size=None must be given for {type(layer).__name__}: {why} depends on the input "
        "size"
    )


def _window_pb(layer: Conv | MaxPool | AvgPool, axis: int) -> int:
    """Leading padding of a conv/pool that does not depend on the input size."""
    p = layer.padding
    if not isinstance(p, PadMode):
        return int(_axis_value(layer, "padding", axis)[0])
    k, d = _axis_value(layer, "kernel", axis), _axis_value(layer, "dilation", axis)
    if p is PadMode.VALID:
        return 0
    if p is PadMode.CAUSAL:
        return int(d * (k - 1))
    if p is PadMode.SAME and layer.convention is Convention.TORCH:
        return int(F.split_padding(d * (k - 1), extra_at_end=True)[0])
    raise _need_size(layer, f"padding={p.value!r} under convention {layer.convention.value}")


#: Probe size for conventions whose transposed-conv crops do not depend on the input size.
_PROBE = 1 << 16


def _transpose_pb(layer: ConvTranspose, axis: int) -> int:
    c, p = layer.convention, layer.padding
    if c is Convention.TORCH or (c is Convention.ONNX and layer.output_size is None and (
        not isinstance(p, PadMode) or p is PadMode.VALID
    )):
        return 0 if p is PadMode.VALID else int(_axis_value(layer, "padding", axis)[0])
    if c in (Convention.KERAS, Convention.JAX):
        # Keras and JAX derive the crops from k, s, d and the padding only.
        nd = layer.ndim or 1
        return int(resolve(layer, (_PROBE,) * nd).pads[0 if layer.ndim is None else axis][0])
    what = "output_size" if layer.output_size is not None else f"padding={fmt(p.value)}"
    raise _need_size(layer, f"{what} under convention {c.value}")


def _resize_map(
    layer: Resize, axis: int, n: int | None, o: int | None, notes: list[str]
) -> _Resample:
    cm = layer.coordinate_mode
    a = Fraction(layer.cubic_coeff_a)
    nm = layer.nearest_mode
    if layer.mode not in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT, ResizeMode.LINEAR,
                          ResizeMode.CUBIC):
        raise UnsupportedError(f"mode={layer.mode.value!r} must not be used here: receptive "
                               "fields of resizes whose taps widen with the scale are not "
                               "modelled")
    if layer.size is not None:
        if n is None:
            raise _need_size(layer, "the scale of size=")
        scale = Fraction(n, _axis_value(layer, "size", axis))
    else:
        scale = 1 / Fraction(_axis_value(layer, "scale_factor", axis))
    if cm is CoordinateMode.ALIGN_CORNERS:
        if n is None or o is None:
            raise _need_size(layer, "align_corners")
        scale = Fraction(0) if o == 1 else Fraction(n - 1, o - 1)
        return _Resample(scale, Fraction(0), layer.mode, a, nm)
    if cm is CoordinateMode.ASYMMETRIC:
        return _Resample(scale, Fraction(0), layer.mode, a, nm)
    if cm is CoordinateMode.PYTORCH_HALF_PIXEL:
        if o == 1:
            return _Resample(Fraction(0), Fraction(0), layer.mode, a, nm)
        if o is None:
            notes.append("pytorch_half_pixel taken as half_pixel (output size > 1)")
    if layer.antialiased and scale > 1:
        raise UnsupportedError("antialias=True must not be used when downscaling here: "
                               "receptive fields of antialiased resizes are not modelled")
    return _Resample(scale, scale / 2 - _HALF, layer.mode, a, nm)


def _layer_map(
    layer: Any, axis: int, sizes: tuple[Any, Any, Any] | None, notes: list[str]
) -> _Map:
    """One layer as a map on one axis; ``sizes`` = (resolved, n, o) when the size is known."""
    res, n, o = sizes if sizes is not None else (None, None, None)

    def val(name: str) -> int:
        return int(_axis_value(layer, name, axis))

    if isinstance(layer, Conv | MaxPool | AvgPool):
        pb = int(res.pads[axis][0]) if res is not None else _window_pb(layer, axis)
        return _Window(val("kernel"), val("stride"), val("dilation"), pb)
    if isinstance(layer, ConvTranspose):
        pb = int(res.pads[axis][0]) if res is not None else _transpose_pb(layer, axis)
        return _Scatter(val("kernel"), val("stride"), val("dilation"), pb)
    if isinstance(layer, MaxUnpool):
        return _Unpool(val("kernel"), val("stride"), int(_axis_value(layer, "padding", axis)[0]))
    if isinstance(layer, Resize):
        return _resize_map(layer, axis, n, o, notes)
    if isinstance(layer, PixelShuffle):
        return _Shuffle(layer.factor)
    if isinstance(layer, PixelUnshuffle):
        return _Window(layer.factor, layer.factor, 1, 0)
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        if _axis_value(layer, "output_size", axis) is None:
            return _Window(1, 1, 1, 0)  # the axis is kept: output j reads input j
        if n is None or o is None:
            raise _need_size(layer, "the adaptive windows' size and position")
        notes.append("adaptive pooling windows depend on the input size: the field holds for "
                     "the given input_size only")
        return _Adaptive(int(n), int(o))
    if isinstance(layer, Slice):  # output j reads input start + j step
        step, start = val("step"), val("start")
        if step < 0:
            raise UnsupportedError(
                f"step={step} must be positive: a reversed axis has no receptive-field table")
        if start < 0:
            if n is None:
                raise _need_size(layer, f"start={start} (counted from the end)")
            start = max(start + int(n), 0)
        return _Window(1, step, 1, -start)
    raise InvalidSpecError(f"layers contains {fmt(layer)}, which must be a symconv layer spec")


def _resize_notes(layer: Any) -> list[str]:
    out = []
    if isinstance(layer, Resize):
        if layer.scale_factor is not None and any(isinstance(v, float) for v in layer.scale_factor):
            out.append("float scale factors taken as exact fractions (frameworks round 1/scale)")
    if isinstance(layer, MaxUnpool):
        out.append("max-unpool switches placed per axis inside their pooling windows")
    return out


# --------------------------------------------------------------------------- entry point


def receptive_field(
    layers: Sequence[Any], input_size: Any = None, axis: int = 0
) -> ReceptiveField:
    """Receptive field, stride and offset of ``layers`` (applied first to last) on ``axis``.

    Parameters
    ----------
    layers : sequence of layer specs
        :class:`~symconv.Conv`, :class:`~symconv.MaxPool`, :class:`~symconv.AvgPool`,
        :class:`~symconv.ConvTranspose`, :class:`~symconv.MaxUnpool`, :class:`~symconv.Resize`,
        :class:`~symconv.PixelShuffle`, :class:`~symconv.PixelUnshuffle`,
        :class:`~symconv.AdaptiveAvgPool`, :class:`~symconv.AdaptiveMaxPool`, and
        :class:`~symconv.spec.Slice` with a positive step.
    input_size : int or tuple of int, optional
        Spatial input size.  Needed only when a padding or scale depends on it (TensorFlow/ONNX
        'same', resize with ``size=`` or ``align_corners``, adaptive pooling on an axis it does
        not keep); when given, every layer is
        resolved with :func:`symconv.sizes.shapes.resolve` (which also checks the stack fits).
    axis : int
        The spatial axis.

    Returns
    -------
    ReceptiveField

    Examples
    --------
    Three 3x3 convolutions see 7 pixels; AlexNet's first layer 11 with stride 4:

    >>> from symconv import Conv, Resize
    >>> receptive_field([Conv(kernel=3, padding=1)] * 3).size
    7
    >>> rf = receptive_field([Conv(kernel=11, stride=4, padding=2)])
    >>> rf.size, rf.stride, rf.offset
    (11, Fraction(4, 1), Fraction(-2, 1))

    Nearest upsampling by 2, then a 3-tap conv: period 2, each output reads 2 inputs:

    >>> rf = receptive_field([Resize(scale_factor=2), Conv(kernel=3, padding=1)])
    >>> rf.size, rf.stride, rf.exact_affine, [rf.span(j) for j in range(4)]
    (2, Fraction(1, 2), False, [(-1, 0), (0, 1), (0, 1), (1, 2)])

    Raises
    ------
    InvalidSpecError
        For a layer whose padding or scale needs ``input_size`` when it is not given, or a stack
        that does not fit the given size.
    UnsupportedError
        When the period exceeds :data:`MAX_PERIOD` or tabulating it would exceed
        :data:`MAX_TABLE_WORK` (checked before tabulating, see :func:`table_work`).
    """
    axis = scalar("axis", axis, minimum=0)
    layers = tuple(layers)
    resolved: list[tuple[Any, Any, Any] | None] = [None] * len(layers)
    if input_size is not None:
        resolved = _resolve_all(layers, input_size, axis)
    return _prefixes(layers, resolved, axis, input_size is None, prefixes=False)[-1]


def receptive_prefixes(
    layers: Sequence[Any], input_size: Any, axis: int = 0
) -> tuple[ReceptiveField, ...]:
    """The receptive field of every prefix ``layers[:1], layers[:2], ...`` on ``axis`` (one
    pass: each table is composed once), on a concrete ``input_size``.

    >>> from symconv import Conv
    >>> [rf.size for rf in receptive_prefixes([Conv(kernel=3)] * 3, 16)]
    [3, 5, 7]
    """
    axis = scalar("axis", axis, minimum=0)
    layers = tuple(layers)
    return _prefixes(layers, _resolve_all(layers, input_size, axis), axis, False, prefixes=True)


def _resolve_all(layers: tuple[Any, ...], input_size: Any,
                 axis: int) -> list[tuple[Any, Any, Any] | None]:
    sizes = tuple(input_size) if isinstance(input_size, tuple | list) else (input_size,)
    if axis >= len(sizes):
        raise InvalidSpecError(
            f"axis={axis} must be smaller than the number of spatial axes {len(sizes)}"
        )
    resolved: list[tuple[Any, Any, Any] | None] = []
    for layer in layers:
        r = resolve(layer, sizes)
        resolved.append((r, sizes[axis], r.output[axis]))
        sizes = r.output
    return resolved


def _prefixes(layers: tuple[Any, ...], resolved: Sequence[tuple[Any, Any, Any] | None],
              axis: int, unsized: bool, *, prefixes: bool) -> tuple[ReceptiveField, ...]:
    notes: list[str] = []
    maps: list[_Map] = []
    for layer, known in zip(layers, resolved, strict=True):
        if unsized and layer.ndim is not None and axis >= layer.ndim:
            raise InvalidSpecError(
                f"axis={axis} must be smaller than the layer's ndim={layer.ndim} ({layer!r})"
            )
        maps.append(_layer_map(layer, axis, known, notes))
    _check_work(layers, maps, prefixes)
    table = _IDENTITY
    closed: list[tuple[int, int, int]] | None = []
    out: list[ReceptiveField] = []
    for i, (layer, m) in enumerate(zip(layers, maps, strict=True)):
        notes.extend(_resize_notes(layer))
        if closed is not None and isinstance(m, _Window):
            closed.append((F.effective_kernel(m.k, m.d), m.s, m.pb))
        else:
            closed = None
        table = _compose(table, m)
        if prefixes or i == len(layers) - 1:
            out.append(_result(table, None if closed is None else list(closed),
                               tuple(dict.fromkeys(notes))))
    if not layers:
        out.append(_result(table, closed, ()))
    return tuple(out)


# --------------------------------------------------------------------------- work estimate


def _terms(m: _Map) -> int:
    """Most input positions one output reads through ``m`` (an upper bound)."""
    if isinstance(m, _Window):
        return m.k
    if isinstance(m, _Scatter):
        return -(-m.k // (m.s // gcd(m.s, m.d)))
    if isinstance(m, _Unpool):
        return -(-m.k // m.s) + 1
    if isinstance(m, _Resample):
        return 4
    if isinstance(m, _Adaptive):
        return -(-m.n // m.o) + 1
    return 1


def _periods(maps: Sequence[_Map]) -> list[tuple[int, int, int]]:
    """``(period, shift, work)`` of each table of the stack, without tabulating (see
    :func:`table_work`)."""
    out = []
    big_p, big_q = 1, 1
    for m in maps:
        p, q = m.pq
        if q == 0:
            period, shift = p, 0
        else:
            common = big_p * q // gcd(big_p, q)
            period, shift = p * common // q, big_q * common // big_p
        per_output = 4 if isinstance(m, _Resample) else 1  # Fraction arithmetic costs more
        work = period * (per_output + 2 * min(_terms(m), big_p) + 1)
        out.append((period, shift, work))
        big_p, big_q = period, shift
    return out


def table_work(layers: Sequence[Any], input_size: Any,
               axis: int = 0) -> list[tuple[int, int, int]]:
    """Per layer, the period and shift of the stack's table after it (``span(j + period) =
    span(j) + shift``) and the work units (table lookups) tabulating it costs: ``period x (c + 2 min(terms, previous period) + 1)``, ``terms`` the
    most inputs one output reads, ``c`` 4 for a resize (exact fractions) and 1 otherwise.
    Integer arithmetic on the layers' parameters only: nothing is tabulated.

    >>> from symconv import Resize
    >>> table_work([Resize(scale_factor=1000)], 4)
    [(1000, 1, 7000)]
    """
    layers = tuple(layers)
    resolved = _resolve_all(layers, input_size, axis)
    notes: list[str] = []
    return _periods([_layer_map(la, axis, k, notes) for la, k in zip(layers, resolved,
                                                                     strict=True)])


def _check_work(layers: Sequence[Any], maps: Sequence[_Map], prefixes: bool) -> None:
    """Refuse before tabulating when a period or the work exceeds its budget, naming the
    layer that makes it."""
    total = 0
    for i, (layer, (period, _, work)) in enumerate(zip(layers, _periods(maps), strict=True)):
        if period > MAX_PERIOD:
            raise UnsupportedError(
                f"period={period} must be at most {MAX_PERIOD}: the stack's output positions "
                "repeat their receptive fields only every period positions (too much "
                f"upsampling; layer {i + 1}: {fmt(layer)})"
            )
        total += work + (period if prefixes else 0)
        if total > MAX_TABLE_WORK:
            raise UnsupportedError(
                f"the receptive-field tables up to layer {i + 1} ({fmt(layer)}) need "
                f"{total:,} work units (period {period:,} positions), which must be at most "
                f"{MAX_TABLE_WORK:,} (symconv.coverage.receptive.MAX_TABLE_WORK): the "
                "parameters of this layer make the tabulated period too long"
            )


def _result(
    table: _Table, closed: list[tuple[int, int, int]] | None, notes: tuple[str, ...]
) -> ReceptiveField:
    spans = tuple(table.at(j) for j in range(table.period))
    stride = Fraction(table.shift, table.period)
    live = [(j, s) for j, s in enumerate(spans) if s is not None]
    size = max((s[1] - s[0] + 1 for _, s in live), default=0)
    offset = None if not live else Fraction(live[0][1][0]) - live[0][0] * stride
    form = None
    if closed is not None:
        r, jump, start, steps = 1, 1, 0, []
        for keff, s, pb in closed:
            r, start, jump = r + (keff - 1) * jump, start - pb * jump, jump * s
            steps.append((r, jump, start))
        form = ClosedForm(r, jump, start, tuple(closed), tuple(steps))
    return ReceptiveField(
        size=size,
        stride=stride,
        offset=offset,
        exact_affine=table.period == 1 and spans[0] is not None,
        period=table.period,
        shift=table.shift,
        spans=spans,
        closed_form=form,
        notes=notes,
    )
