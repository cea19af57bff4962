"""Inverse size problems: which padding, output padding or input size gives a wanted size.

Forward arithmetic (:mod:`symconv.shapes`) maps an input size to an output size.  This module
answers the questions users actually ask when they build or port a network:

* :func:`padding_for_output` -- every total padding that makes a conv/pool produce a target
  size, the symmetric choice, the asymmetric splits, and what the framework can express;
* :func:`transposed_sizes` -- every output size a transposed convolution can produce from an
  input size under its convention, and through which parameter;
* :func:`output_padding_for` -- the ``output_padding`` (or ``output_size``/``output_shape``/
  padding) that yields a target size, checked by :func:`symconv.shapes.resolve`;
* :func:`ambiguity_set` -- all input sizes a conv/pool maps to the same output (why a
  transposed convolution needs ``output_padding``);
* :func:`round_trip` / :func:`restoring_output_padding` -- does conv -> transposed conv give
  back the input size, and with which output padding (theorem T20).

Every function works on one axis in its ``*_axis`` form; the plain form takes an ``int``
(one axis, returns one result) or a tuple of sizes (returns a tuple of per-axis results).
Sizes are Python ints; only :func:`restoring_output_padding` accepts a SymPy size.

>>> from symconv import Conv, ConvTranspose
>>> output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12).value
1
>>> ambiguity_set(Conv(kernel=3, stride=2, padding=1), 6)
range(5, 7)
>>> round_trip(Conv(kernel=3, stride=2, padding=1), 6).needed_output_padding
1
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from symconv import formulas as F
from symconv._params import Int, fmt, is_symbolic, scalar
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.shapes import resolve
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    PadMode,
)

__all__ = [
    "OutputPaddingChoice",
    "PaddingChoice",
    "RoundTrip",
    "RouteKind",
    "SizeRoute",
    "TransposedSizes",
    "ambiguity_set",
    "ambiguity_set_axis",
    "output_padding_for",
    "output_padding_for_axis",
    "padding_for_output",
    "padding_for_output_axis",
    "restoring_output_padding",
    "round_trip",
    "round_trip_axis",
    "transposed_sizes",
    "transposed_sizes_axis",
]

_R = TypeVar("_R")

# --------------------------------------------------------------------------- shared helpers


def _axis_spec(layer: Any, axis: int) -> Any:
    """The 1-D spec of ``layer`` along ``axis`` (every per-axis field sliced)."""
    scalar("axis", axis, minimum=0)
    nd = layer.ndim
    if nd is None:
        return layer.at(1)
    if axis >= nd:
        raise InvalidSpecError(f"axis={axis} must be smaller than the layer's ndim={nd}")
    changes: dict[str, Any] = {"ndim": 1}
    for f in dataclasses.fields(layer):
        value = getattr(layer, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple):
            changes[f.name] = (value[axis],)
    return dataclasses.replace(layer, **changes)


def _int_size(name: str, value: object, minimum: int = 1) -> int:
    if is_symbolic(value):
        raise UnsupportedError(
            f"{name}={fmt(value)} must be an int here (symbolic sizes: see "
            "restoring_output_padding)"
        )
    return int(scalar(name, value, minimum=minimum))


def _per_axis(
    fn: Callable[..., _R], layer: Any, input_size: Any, *extra: Any
) -> _R | tuple[_R, ...]:
    """Apply a per-axis function to an int (one result) or a tuple of sizes (a tuple)."""
    if not isinstance(input_size, tuple | list):
        for name, value in extra:
            if isinstance(value, tuple | list):
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must be an int when input_size="
                    f"{fmt(input_size)} is an int"
                )
        layer.at(1)  # a layer fixed to several axes needs one size per axis
        return fn(layer, input_size, *(v for _, v in extra))
    sizes = tuple(input_size)
    if not sizes:
        raise InvalidSpecError("input_size=() must have at least one spatial axis")
    spec = layer.at(len(sizes))
    per: list[tuple[Any, ...]] = []
    for name, value in extra:
        if isinstance(value, tuple | list):
            if len(value) != len(sizes):
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must have one entry per axis ({len(sizes)})"
                )
            per.append(tuple(value))
        else:
            per.append((value,) * len(sizes))
    return tuple(
        fn(spec, n, *(p[a] for p in per), axis=a) for a, n in enumerate(sizes)
    )


def _ranges_text(ranges: Sequence[range]) -> str:
    parts = []
    for r in ranges:
        if not len(r):
            continue
        parts.append(str(r.start) if len(r) == 1 else f"{r.start}..{r[-1]}")
    return ", ".join(parts) if parts else "none"


def _merge(ranges: Sequence[range]) -> tuple[range, ...]:
    """Union of ranges (step 1) as sorted, disjoint, non-adjacent ranges."""
    out: list[range] = []
    for r in sorted((r for r in ranges if len(r)), key=lambda r: r.start):
        if out and r.start <= out[-1].stop:
            out[-1] = range(out[-1].start, max(out[-1].stop, r.stop))
        else:
            out.append(r)
    return tuple(out)


# --------------------------------------------------------------------------- padding_for_output


@dataclass(frozen=True, slots=True)
class PaddingChoice:
    """Every padding with which one axis of a conv/pool maps ``input_size`` to ``target``.

    ``total_min..total_max`` is the exact range of total paddings ``P = before + after`` for
    which some split allowed by the convention gives ``target`` (for floor-mode layers every
    split of such a ``P`` works; in ceil mode the split matters, see ``splits``).
    ``symmetric`` is the smallest ``p`` with ``(p, p)`` working, ``None`` if no symmetric
    padding works.  ``extra_at_end``/``extra_at_start`` are the two near-even splits of
    ``total_min`` (``None`` when that split does not work), ``splits`` every working split of
    ``total_min``.  ``modes`` lists the convention's named paddings that give ``target``,
    ``advice`` how to express the padding in the framework.
    """

    input_size: int
    target: int
    total_min: int
    total_max: int
    symmetric: int | None
    extra_at_end: tuple[int, int] | None
    extra_at_start: tuple[int, int] | None
    splits: tuple[tuple[int, int], ...]
    only_asymmetric: bool
    modes: tuple[tuple[str, tuple[int, int]], ...]
    advice: tuple[str, ...]

    @property
    def totals(self) -> range:
        """All working total paddings."""
        return range(self.total_min, self.total_max + 1)


def _side_limit(spec: Any) -> int | None:
    """Largest padding per side the layer itself accepts (``None``: unlimited)."""
    if isinstance(spec, MaxPool | AvgPool):
        k = spec.kernel[0]
        if spec.convention is Convention.TORCH:
            return int(k // 2)  # PyTorch: pad should be at most half of the kernel
        if spec.convention is Convention.ONNX:
            return int(k - 1)  # onnxruntime: pad should be smaller than kernel
    return None


def _window_output(spec: Any, n: int, pb: int, pe: int) -> int | None:
    """Output of a conv/pool axis with explicit padding, ``None`` when it is rejected.

    The same validity rules as :func:`symconv.shapes.resolve`: floor mode needs the kernel to
    fit the padded input, every mode needs at least one output.
    """
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    ceil = isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode
    if not ceil and n + pb + pe < F.effective_kernel(k, d):
        return None
    o = int(F.pool_size(n, k, s, pb, pe, d, ceil_mode=bool(ceil)))
    return o if o >= 1 else None


def _ok_split(spec: Any, n: int, target: int, pb: int, pe: int, limit: int | None) -> bool:
    if pb < 0 or pe < 0 or (limit is not None and (pb > limit or pe > limit)):
        return False
    return _window_output(spec, n, pb, pe) == target


_MODE_TRIALS = ("same", "same_upper", "same_lower", "valid", "causal")


def _named_modes(spec: Any, n: int, target: int) -> tuple[tuple[str, tuple[int, int]], ...]:
    """The convention's padding names that give ``target`` (with the padding they apply)."""
    found = []
    for name in _MODE_TRIALS:
        try:
            trial = dataclasses.replace(spec, padding=name)
            r = resolve(trial, n)
        except InvalidSpecError:
            continue
        if r.output[0] == target:
            found.append((name, (int(r.pads[0][0]), int(r.pads[0][1]))))
    return tuple(found)


def padding_for_output_axis(
    layer: Conv | MaxPool | AvgPool, input_size: int, target: int, axis: int = 0
) -> PaddingChoice:
    """Paddings with which one axis of ``layer`` maps ``input_size`` to ``target``.

    The layer's own padding is ignored; its kernel, stride, dilation, ceil mode and
    convention are used.  Floor mode (Dumoulin & Visin 2016, Relationship 6):
    ``o = floor((n + P - k_eff)/s) + 1 = t`` iff
    ``P in [(t-1)s + k_eff - n, (t-1)s + k_eff - n + s - 1]``.  Ceil-mode pools use the PyTorch
    rule (:func:`symconv.formulas.pool_size`), where the split matters.

    >>> c = padding_for_output_axis(Conv(kernel=3, stride=2), 7, 4)
    >>> c.totals, c.symmetric, c.extra_at_end
    (range(2, 4), 1, (1, 1))
    >>> padding_for_output_axis(Conv(kernel=4), 5, 5).only_asymmetric
    True

    Raises
    ------
    InvalidSpecError
        When no padding the convention allows gives ``target`` (the message names the
        reachable outputs).
    """
    if not isinstance(layer, Conv | MaxPool | AvgPool):
        raise InvalidSpecError(
            f"layer={type(layer).__name__} must be a Conv, MaxPool or AvgPool"
        )
    spec = _axis_spec(layer, axis)
    n = _int_size("input_size", input_size)
    t = _int_size("target", target)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    limit = _side_limit(spec)
    ceil = isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode
    # Floor mode: the closed-form interval.  Ceil mode gives o or o + 1 of the floor value, so
    # the working totals lie in the floor interval of t or of t - 1.
    first = (t - 1) * s + keff - n
    lo_p, hi_p = max(first - (s if ceil else 0), 0), first + s - 1
    if limit is not None:
        hi_p = min(hi_p, 2 * limit)
    totals: list[int] = []
    for p in range(lo_p, hi_p + 1):
        b_lo = 0 if limit is None else max(0, p - limit)
        b_hi = p if limit is None else min(p, limit)
        if ceil:
            works = any(_ok_split(spec, n, t, b, p - b, limit) for b in range(b_lo, b_hi + 1))
        else:  # the output depends on the total only
            works = b_lo <= b_hi and _window_output(spec, n, b_lo, p - b_lo) == t
        if works:
            totals.append(p)
    if not totals:
        raise InvalidSpecError(
            f"target={t} must be a reachable output size for input {n} with kernel={k}, "
            f"stride={s}, dilation={d}{_axis_note(axis, layer)}: "
            f"{_reachable_text(spec, n, limit)}"
        )
    if totals != list(range(totals[0], totals[-1] + 1)):  # pragma: no cover - proven monotone
        raise SymconvError(f"internal: working totals {totals} are not contiguous")
    p_min, p_max = totals[0], totals[-1]
    symmetric = next(
        (p // 2 for p in totals if p % 2 == 0 and _ok_split(spec, n, t, p // 2, p // 2, limit)),
        None,
    )
    half = p_min // 2
    end = (half, p_min - half)
    start = (p_min - half, half)
    splits = tuple(
        (b, p_min - b) for b in range(p_min + 1) if _ok_split(spec, n, t, b, p_min - b, limit)
    )
    modes = _named_modes(spec, n, t)
    only_asym = symmetric is None
    return PaddingChoice(
        input_size=n,
        target=t,
        total_min=p_min,
        total_max=p_max,
        symmetric=symmetric,
        extra_at_end=end if end in splits else None,
        extra_at_start=start if start in splits else None,
        splits=splits,
        only_asymmetric=only_asym,
        modes=modes,
        advice=_padding_advice(spec, n, splits[0] if splits else end, only_asym, modes),
    )


def _axis_note(axis: int, layer: Any) -> str:
    return "" if (layer.ndim or 1) == 1 else f" on axis {axis}"


def _reachable_text(spec: Any, n: int, limit: int | None) -> str:
    if limit is None:
        keff = F.effective_kernel(spec.kernel[0], spec.dilation[0])
        p0 = max(keff - n, 0)
        lowest = min(
            o for o in (_window_output(spec, n, p0, 0), _window_output(spec, n, 0, p0)) if o
        )
        return f"reachable outputs are {lowest}, {lowest + 1}, ... (any padding >= 0)"
    outs = {
        o
        for b in range(limit + 1)
        for e in range(limit + 1)
        if (o := _window_output(spec, n, b, e)) is not None
    }
    where = f"padding at most {limit} per side under convention {spec.convention.value}"
    reach = _ranges_text(_merge([range(o, o + 1) for o in outs]))
    return f"reachable outputs are {reach} ({where})"


def _padding_advice(
    spec: Any,
    n: int,
    split: tuple[int, int],
    only_asym: bool,
    modes: tuple[tuple[str, tuple[int, int]], ...],
) -> tuple[str, ...]:
    c = spec.convention
    pb, pe = split
    pool = isinstance(spec, MaxPool | AvgPool)
    fill = "-inf" if isinstance(spec, MaxPool) else "0"
    out: list[str] = []
    if c is Convention.TORCH and only_asym:
        what = "pooling layers" if pool else "Conv layers"
        extra = ""
        if any(m == "same" for m, _ in modes):
            extra = " (or padding='same', which pads " + str(dict(modes)["same"]) + ")"
        out.append(
            f"PyTorch {what} take one symmetric padding per axis: pad ({pb}, {pe}) on this axis "
            f"with F.pad(x, ..., value={fill}) and use padding=0{extra}, or export ONNX "
            f"pads with begin={pb}, end={pe}"
        )
        if pool and spec.ceil_mode:
            k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
            got = F.pool_size(n + pb + pe, k, s, 0, 0, d, ceil_mode=True)
            out.append(
                f"with F.pad and ceil_mode=True the layer sees an input of {n + pb + pe} without "
                f"padding, and the ceil rule then gives {got} outputs"
            )
    elif c is Convention.KERAS or (c is Convention.TENSORFLOW and pool):
        layer = "ZeroPadding layer" if c is Convention.KERAS else "tf.pad"
        out.append(
            f"{c.value} {'pooling' if pool else 'Conv'} layers take only named paddings: pad "
            f"({pb}, {pe}) on this axis with {layer} before the layer (padding='valid')"
        )
    if pool and isinstance(spec, MaxPool) and (c is Convention.KERAS):
        out.append(
            "ZeroPadding pads zeros, not -inf: equal to max-pool padding only for inputs >= 0"
        )
    if isinstance(spec, AvgPool) and not spec.count_include_pad and (pb or pe):
        out.append(
            "explicit padding before the layer is counted in the average (count_include_pad="
            "True); the layer's own padding is not"
        )
    return tuple(out)


@overload
def padding_for_output(
    layer: Conv | MaxPool | AvgPool, input_size: int, target: int
) -> PaddingChoice: ...
@overload
def padding_for_output(
    layer: Conv | MaxPool | AvgPool, input_size: tuple[int, ...], target: int | tuple[int, ...]
) -> tuple[PaddingChoice, ...]: ...
def padding_for_output(layer: Any, input_size: Any, target: Any) -> Any:
    """Paddings that make ``layer`` map ``input_size`` to ``target``, per axis.

    ``input_size`` and ``target`` are ints (one axis, one :class:`PaddingChoice`) or tuples
    (one entry per axis, a tuple of choices; an int ``target`` applies to every axis).
    Conventions' limits are respected: PyTorch pools pad at most ``k//2`` per side, ONNX pools
    less than ``k``.

    Examples
    --------
    TensorFlow's SAME on 224 with k=7, s=2 pads (2, 3); PyTorch can only do it explicitly:

    >>> from symconv import Conv
    >>> c = padding_for_output(Conv(kernel=7, stride=2), 224, 112)
    >>> c.totals, c.symmetric, c.extra_at_end
    (range(5, 7), 3, (2, 3))
    >>> padding_for_output(Conv(kernel=(3, 3)), (8, 8), (8, 10))[1].symmetric
    2

    Raises
    ------
    InvalidSpecError
        When ``target`` cannot be reached on some axis.
    """
    return _per_axis(padding_for_output_axis, layer, input_size, ("target", target))


# --------------------------------------------------------------------------- transposed sizes


class RouteKind(enum.StrEnum):
    """How a convention selects the output size of a transposed convolution."""

    OUTPUT_PADDING = "output_padding"  # value = size - base
    OUTPUT_SIZE = "output_size"  # PyTorch forward(output_size=), ONNX/TF output_shape
    FIXED = "fixed"  # one size, set by `setting` (named padding, Keras output_padding=None)


@dataclass(frozen=True, slots=True)
class SizeRoute:
    """A contiguous range of output sizes reachable through one parameter.

    ``adjoint`` is the sub-range whose layers are exactly the adjoint (transpose) of a
    convolution with the same kernel, stride, dilation and (resolved) padding: the applied
    output padding is smaller than the stride.
    """

    kind: RouteKind
    sizes: range
    adjoint: range
    base: int = 0
    setting: str = ""

    def value(self, size: int) -> int | str:
        """The parameter value that gives ``size`` along this route.

        >>> SizeRoute(RouteKind.OUTPUT_PADDING, range(11, 13), range(11, 13), base=11).value(12)
        1
        """
        if size not in self.sizes:
            raise InvalidSpecError(
                f"size={size} must lie in {_ranges_text([self.sizes])} for this route"
            )
        if self.kind is RouteKind.OUTPUT_PADDING:
            return size - self.base
        if self.kind is RouteKind.OUTPUT_SIZE:
            return size
        return self.setting

    @property
    def parameter(self) -> str:
        """The framework parameter this route sets."""
        if self.kind is RouteKind.FIXED:
            return self.setting.split("=")[0]
        return self.kind.value


@dataclass(frozen=True, slots=True)
class TransposedSizes:
    """Output sizes one axis of a transposed convolution can produce from ``input_size``."""

    input_size: int
    convention: Convention
    routes: tuple[SizeRoute, ...]
    notes: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[range, ...]:
        """Every reachable size, as disjoint sorted ranges."""
        return _merge([r.sizes for r in self.routes])

    @property
    def adjoint_sizes(self) -> tuple[range, ...]:
        """The sizes at which some route gives the exact adjoint of a convolution."""
        return _merge([r.adjoint for r in self.routes])

    def routes_to(self, size: int) -> tuple[SizeRoute, ...]:
        """The routes that reach ``size``."""
        return tuple(r for r in self.routes if size in r.sizes)


def _clip(lo: int, hi: int) -> range:
    """Sizes ``lo..hi`` that are at least 1."""
    return range(max(lo, 1), max(hi + 1, 1))


def transposed_sizes_axis(
    layer: ConvTranspose, input_size: int, axis: int = 0
) -> TransposedSizes:
    """Admissible output sizes of one axis of a transposed convolution, per its convention.

    The layer's own ``output_padding``/``output_size`` are what is being chosen, so they are
    ignored, except ONNX's ``output_padding``, which enters ``output_shape``'s padding.

    * torch: ``output_padding`` in ``[0, max(s, d))`` gives ``[m, m + max(s, d) - 1]`` with
      ``m = (n-1)s - pb - pe + k_eff``; adjoint only for ``op < s``; ``forward(output_size=)``
      accepts ``[m, m + s - 1]``.
    * onnx: ``output_padding`` in ``[0, s)`` with explicit pads (``auto_pad=SAME_*`` always
      gives ``n*s``); ``output_shape`` in ``1..s(n-1) + k_eff + s - 1``.  As onnxruntime and
      the ONNX reference implementation: they refuse an applied output padding ``>= s``.
    * tensorflow: ``output_shape`` in ``[(n-1)s + 1, ns]`` (SAME) or
      ``[(n-1)s + k_eff, (n-1)s + k_eff + s - 1]`` (VALID).
    * keras: ``output_padding=None`` (one size) or ``0..s-1``.
    * jax: 'SAME' gives ``ns``, 'VALID' ``ns + max(k_eff - s, 0)``, explicit pairs their size.

    >>> t = transposed_sizes_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6)
    >>> [(r.kind.value, r.sizes, r.adjoint) for r in t.routes]  # doctest: +NORMALIZE_WHITESPACE
    [('output_padding', range(11, 13), range(11, 13)),
     ('output_size', range(11, 13), range(11, 13))]
    >>> t = transposed_sizes_axis(ConvTranspose(kernel=3, stride=1, dilation=3), 4)
    >>> t.routes[0].sizes, t.routes[0].adjoint
    (range(10, 13), range(10, 11))
    """
    if not isinstance(layer, ConvTranspose):
        raise InvalidSpecError(f"layer={type(layer).__name__} must be a ConvTranspose")
    spec = _axis_spec(layer, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    c = spec.convention
    full = (n - 1) * s + keff  # the uncropped scatter extent
    routes: list[SizeRoute] = []
    notes: list[str] = []
    mode = spec.padding if isinstance(spec.padding, PadMode) else None
    if c is Convention.TORCH:
        pb, pe = spec.padding[0]
        m = full - pb - pe
        routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(m, m + max(s, d) - 1),
                                _clip(m, m + s - 1), base=m))
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, _clip(m, m + s - 1), _clip(m, m + s - 1)))
    elif c is Convention.ONNX:
        # onnxruntime and the ONNX reference implementation check that the forward conv of the
        # output gives back n, i.e. the applied output padding is < s (op < dilation is refused
        # although the operator text allows it): every admissible size is an adjoint.
        op = spec.output_padding[0]
        if mode in (PadMode.SAME_UPPER, PadMode.SAME_LOWER):
            # auto_pad SAME: output n*s, padding s(n-1) + op + k_eff - n*s in total; onnxruntime
            # and shape inference clamp a negative total at 0, so when op + k_eff < s the output
            # is the unpadded (n-1)s + k_eff + op instead.
            same = min(n * s, full + op)
            size = _clip(same, same)
            routes.append(SizeRoute(RouteKind.FIXED, size, size,
                                    setting=f"auto_pad={mode.value.upper()}"))
        else:
            pb, pe = (0, 0) if mode is PadMode.VALID else spec.padding[0]
            m = full - pb - pe
            routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(m, m + s - 1),
                                    _clip(m, m + s - 1), base=m))
        top = full + s - 1
        # total = full + op - L >= 0: pads absorb it and op is applied as given; total < 0:
        # no pads and op - total = L - full (< s) zeros appended.
        shape = _clip(1, top) if op < s else _clip(full + op + 1, top)
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, shape, shape))
        notes.append("output_shape overrides pads (total padding s(n-1) + op + k_eff - "
                     "output_shape, split by auto_pad)")
        if d > s:
            notes.append(f"output_padding in [{s}, {d}) is allowed by the ONNX operator text but "
                         "refused by onnxruntime and the ONNX reference implementation")
    elif c is Convention.TENSORFLOW:
        if mode is PadMode.SAME:
            lo, hi = (n - 1) * s + 1, n * s
        else:
            lo, hi = full, full + s - 1
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, _clip(lo, hi), _clip(lo, hi)))
        notes.append("conv2d_transpose is the gradient of the forward conv on output_shape: "
                     "every admissible size is an adjoint")
    elif c is Convention.KERAS:
        if mode is PadMode.VALID:
            none_size, pad = n * s + max(keff - s, 0), 0
        else:
            none_size, pad = n * s, keff // 2
        one = _clip(none_size, none_size)
        routes.append(SizeRoute(RouteKind.FIXED, one, one, setting="output_padding=None"))
        base = (n - 1) * s + keff - 2 * pad  # deconv_output_length with output_padding given
        routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(base, base + s - 1),
                                _clip(base, base + s - 1), base=base))
    elif c is Convention.JAX:
        same = _clip(n * s, n * s)
        valid_size = n * s + max(keff - s, 0)
        valid = _clip(valid_size, valid_size)
        routes.append(SizeRoute(RouteKind.FIXED, same, same, setting="padding='SAME'"))
        routes.append(SizeRoute(RouteKind.FIXED, valid, valid, setting="padding='VALID'"))
        if mode is None:
            left, right = spec.padding[0]
            size = full - 2 * (keff - 1) + left + right
            applied = max(0, right - (keff - 1))
            own = _clip(size, size)
            routes.append(SizeRoute(RouteKind.FIXED, own, own if applied < s else range(0),
                                    setting=f"padding=(({left}, {right}),)"))
        notes.append("explicit padding pairs (lo, hi) of the zero-stretched input give "
                     "(n-1)s + lo + hi - k_eff + 2: every size >= 1 is reachable")
    return TransposedSizes(n, c, tuple(routes), tuple(notes))


@overload
def transposed_sizes(layer: ConvTranspose, input_size: int) -> TransposedSizes: ...
@overload
def transposed_sizes(
    layer: ConvTranspose, input_size: tuple[int, ...]
) -> tuple[TransposedSizes, ...]: ...
def transposed_sizes(layer: Any, input_size: Any) -> Any:
    """Admissible output sizes of a transposed convolution, per axis.

    See :func:`transposed_sizes_axis` for the rules of each convention.

    >>> from symconv import ConvTranspose
    >>> t = transposed_sizes(ConvTranspose(kernel=4, stride=2, padding="same",
    ...                                    convention="tensorflow", output_size=8), 4)
    >>> t.sizes
    (range(7, 9),)
    >>> [a.sizes for a in transposed_sizes(ConvTranspose(kernel=3, stride=2), (2, 3))]
    [(range(5, 7),), (range(7, 9),)]
    """
    return _per_axis(transposed_sizes_axis, layer, input_size)


# --------------------------------------------------------------------------- output_padding_for


@dataclass(frozen=True, slots=True)
class OutputPaddingChoice:
    """How to make one axis of a transposed convolution produce ``target``.

    ``parameter``/``value`` are in the convention's own terms (``output_padding``,
    ``output_size`` -- ONNX/TensorFlow ``output_shape`` --, or ``padding`` for JAX);
    ``pads`` and ``output_padding`` are what is then applied, in PyTorch form (crops of the full
    output, zeros appended at the end).  ``adjoint`` says whether the layer is then exactly the
    transpose of the convolution with the same kernel, stride, dilation and padding (applied
    output padding smaller than the stride).  ``spec`` is the 1-D layer realising it, checked
    with :func:`symconv.shapes.resolve`.
    """

    input_size: int
    target: int
    parameter: str
    value: int | str | None
    output_padding: int
    pads: tuple[int, int]
    adjoint: bool
    admissible: tuple[range, ...]
    alternatives: tuple[tuple[str, int | str | None], ...]
    spec: ConvTranspose


_PREFERENCE = (RouteKind.OUTPUT_PADDING, RouteKind.FIXED, RouteKind.OUTPUT_SIZE)


def _realise(spec: ConvTranspose, route: SizeRoute, target: int) -> ConvTranspose:
    if route.kind is RouteKind.OUTPUT_PADDING:
        return dataclasses.replace(spec, output_padding=(route.value(target),), output_size=None)
    if route.kind is RouteKind.OUTPUT_SIZE:
        return dataclasses.replace(spec, output_size=(target,))
    if route.setting == "output_padding=None":
        return dataclasses.replace(spec, output_padding=None, output_size=None)
    if route.setting.startswith("padding='"):
        return dataclasses.replace(spec, padding=route.setting[9:-1].lower(), output_size=None)
    return dataclasses.replace(spec, output_size=None)  # the layer's own padding/auto_pad


def _jax_pairs(spec: ConvTranspose, n: int, target: int) -> tuple[int, int]:
    """Explicit lax padding (both sides >= 0) that reaches ``target``, keeping the layer's
    leading pad where possible: the output is ``(n-1)s + lo + hi - k_eff + 2``."""
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    total = target - (n - 1) * s - 2 + keff
    if total < 0:
        raise InvalidSpecError(
            f"target={target} must be at least {(n - 1) * s - keff + 2} for input {n} under "
            "convention jax (smaller sizes need negative padding pairs)"
        )
    if isinstance(spec.padding, PadMode):
        left = keff - 1 - int(resolve(spec, n).pads[0][0])  # leading pad of the named mode
    else:
        left = int(spec.padding[0][0])
    left = min(max(left, 0), total)
    return left, total - left


def output_padding_for_axis(
    layer: ConvTranspose, input_size: int, target: int, axis: int = 0
) -> OutputPaddingChoice:
    """The convention's setting that makes one axis of ``layer`` produce ``target``.

    Preference: ``output_padding`` (PyTorch, ONNX with explicit pads, Keras), then a fixed
    setting (Keras ``output_padding=None``, ONNX auto_pad, JAX 'SAME'/'VALID'), then
    ``output_size`` (TensorFlow ``output_shape``; ONNX ``output_shape`` when pads cannot).
    Under JAX any other size is reached with explicit padding pairs.

    >>> ch = output_padding_for_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12)
    >>> ch.parameter, ch.value, ch.adjoint, ch.admissible
    ('output_padding', 1, True, (range(11, 13),))
    >>> output_padding_for_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6, 14)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: target=14 must be an admissible output size 11..12 ...
    """
    sizes = transposed_sizes_axis(layer, input_size, axis)
    spec = _axis_spec(layer, axis)
    n = sizes.input_size
    t = _int_size("target", target)
    routes = sorted(sizes.routes_to(t), key=lambda r: _PREFERENCE.index(r.kind))
    admissible = sizes.sizes
    if routes:
        realised = _realise(spec, routes[0], t)
        parameter = routes[0].parameter
        value: int | str | None = _display(routes[0], t)
    elif sizes.convention is Convention.JAX:
        pair = _jax_pairs(spec, n, t)
        realised = dataclasses.replace(spec, padding=(pair,))
        parameter, value = "padding", f"(({pair[0]}, {pair[1]}),)"
    else:
        detail = "; ".join(f"{r.parameter}: {_ranges_text([r.sizes])}" for r in sizes.routes)
        raise InvalidSpecError(
            f"target={t} must be an admissible output size {_ranges_text(admissible)} for "
            f"input {n}{_axis_note(axis, layer)} under convention {sizes.convention.value} "
            f"({detail})"
        )
    r = resolve(realised, n)
    if r.output[0] != t:  # pragma: no cover - the closed forms are tested against resolve
        raise SymconvError(
            f"internal: {parameter}={value} was derived for {t} but resolve gives {r.output[0]}"
        )
    applied = int(r.output_padding[0]) if r.output_padding else 0
    alternatives = tuple(
        (rt.parameter, _display(rt, t)) for rt in routes[1:]
    )
    return OutputPaddingChoice(
        input_size=n,
        target=t,
        parameter=parameter,
        value=value,
        output_padding=applied,
        pads=(int(r.pads[0][0]), int(r.pads[0][1])),
        adjoint=applied < spec.stride[0],
        admissible=admissible,
        alternatives=alternatives,
        spec=realised,
    )


def _display(route: SizeRoute, t: int) -> int | str | None:
    """A route's parameter value for ``t`` (fixed settings without the parameter name)."""
    v = route.value(t)
    if route.kind is RouteKind.FIXED and isinstance(v, str):
        text = v.split("=", 1)[1]
        return None if text == "None" else text
    return v


@overload
def output_padding_for(
    layer: ConvTranspose, input_size: int, target: int
) -> OutputPaddingChoice: ...
@overload
def output_padding_for(
    layer: ConvTranspose, input_size: tuple[int, ...], target: int | tuple[int, ...]
) -> tuple[OutputPaddingChoice, ...]: ...
def output_padding_for(layer: Any, input_size: Any, target: Any) -> Any:
    """The output padding (or the convention's equivalent) that yields ``target``, per axis.

    >>> from symconv import ConvTranspose
    >>> output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12).value
    1
    >>> [c.value for c in output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1),
    ...                                      (6, 6), (11, 12))]
    [0, 1]
    >>> ch = output_padding_for(ConvTranspose(kernel=3, stride=2, padding="same",
    ...                         convention="tensorflow", output_size=8), 4, 7)
    >>> ch.parameter, ch.value, ch.pads, ch.output_padding
    ('output_size', 7, (1, 1), 0)

    Raises
    ------
    InvalidSpecError
        When ``target`` is not admissible; the message lists the admissible sizes.
    """
    return _per_axis(output_padding_for_axis, layer, input_size, ("target", target))


# --------------------------------------------------------------------------- ambiguity


def ambiguity_set_axis(
    layer: Conv | MaxPool | AvgPool, input_size: int, axis: int = 0
) -> range:
    """All input sizes that one axis of ``layer`` maps to the same output as ``input_size``.

    Fixed padding ``P`` (numeric, 'valid', 'causal', PyTorch 'same'): with ``o`` the output,
    ``[(o-1)s + k_eff - P, (o-1)s + k_eff - P + s - 1]`` intersected with the sizes the layer
    accepts.  SAME modes of TensorFlow/Keras/JAX/ONNX: ``{m : ceil(m/s) = o}``.  Ceil-mode
    pools: the PyTorch rule is monotone in the size, so the preimage is scanned exactly with
    :func:`symconv.shapes.resolve` (O(s) sizes).

    >>> ambiguity_set_axis(Conv(kernel=3, stride=2, padding=1), 6)
    range(5, 7)
    >>> ambiguity_set_axis(Conv(kernel=7, stride=2, padding="same", convention="tensorflow"), 224)
    range(223, 225)
    >>> ambiguity_set_axis(MaxPool(kernel=2, ceil_mode=True), 5)
    range(5, 7)
    """
    if not isinstance(layer, Conv | MaxPool | AvgPool):
        raise InvalidSpecError(
            f"layer={type(layer).__name__} must be a Conv, MaxPool or AvgPool"
        )
    spec = _axis_spec(layer, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    o = resolve(spec, n).output[0]  # rejects sizes the layer does not accept
    if isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode:
        # Scan the forward map itself (monotone in the size, so the preimage is a range of at
        # most about s sizes); named paddings follow resolve's rule for ceil mode.
        def out(m: int) -> int | None:
            try:
                return int(resolve(spec, m).output[0])
            except InvalidSpecError:
                return None

        lo = n
        while lo > 1 and out(lo - 1) == o:
            lo -= 1
        hi = n
        while out(hi + 1) == o:
            hi += 1
        return range(lo, hi + 1)
    fixed = _fixed_pads(spec)
    if fixed is None:  # SAME of TensorFlow/Keras/JAX/ONNX: output ceil(m / s)
        return range((o - 1) * s + 1, o * s + 1)
    total = fixed[0] + fixed[1]
    lo = (o - 1) * s + keff - total
    return range(max(lo, 1, keff - total), lo + s)


def _fixed_pads(spec: Any) -> tuple[int, int] | None:
    """Padding that does not depend on the input size, ``None`` for size-dependent SAME."""
    p = spec.padding
    if not isinstance(p, PadMode):
        return (int(p[0][0]), int(p[0][1]))
    k, d = spec.kernel[0], spec.dilation[0]
    if p is PadMode.VALID:
        return (0, 0)
    if p is PadMode.CAUSAL:
        return (d * (k - 1), 0)
    if p is PadMode.SAME and spec.convention is Convention.TORCH:
        b, e = F.split_padding(d * (k - 1), extra_at_end=True)
        return (int(b), int(e))
    return None


@overload
def ambiguity_set(layer: Conv | MaxPool | AvgPool, input_size: int) -> range: ...
@overload
def ambiguity_set(
    layer: Conv | MaxPool | AvgPool, input_size: tuple[int, ...]
) -> tuple[range, ...]: ...
def ambiguity_set(layer: Any, input_size: Any) -> Any:
    """Input sizes indistinguishable from ``input_size`` by their output size, per axis.

    This is why a transposed convolution cannot know which size to restore: all these inputs
    give the same output (Dumoulin & Visin 2016, section 4.6: i=6 and i=5 with k=3, s=2, p=1).

    >>> from symconv import Conv
    >>> ambiguity_set(Conv(kernel=3, stride=2, padding=1), 6)
    range(5, 7)
    >>> ambiguity_set(Conv(kernel=3, stride=2), (7, 8))
    (range(7, 9), range(7, 9))
    """
    return _per_axis(ambiguity_set_axis, layer, input_size)


# --------------------------------------------------------------------------- round trip


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """Conv then transposed conv with the same kernel, stride, padding and dilation.

    ``output`` is the conv output, ``restored`` the transposed conv's output with
    ``output_padding`` (``None`` when that would be empty, i.e. the transposed layer is rejected);
    ``restores`` says whether it equals ``input_size``.
    ``needed_output_padding`` is ``a = (n + pb + pe - k_eff) mod s``, which always restores n;
    with these pads ``output_padding=0`` restores exactly the sizes ``n = residue (mod modulus)``.
    """

    input_size: int
    output: int
    pads: tuple[int, int]
    output_padding: int
    restored: int | None
    restores: bool
    needed_output_padding: int
    residue: int
    modulus: int


def round_trip_axis(
    conv: Conv, input_size: int, output_padding: int | None = None, axis: int = 0
) -> RoundTrip:
    """Whether conv -> transposed conv restores ``input_size`` on one axis (theorem T20).

    The transposed convolution uses PyTorch semantics with the pads the conv applied at this
    size (for SAME modes they depend on ``n``; the residue class is for these pads).

    >>> rt = round_trip_axis(Conv(kernel=3, stride=2, padding=1), 6)
    >>> rt.output, rt.restored, rt.restores, rt.needed_output_padding, (rt.residue, rt.modulus)
    (3, 5, False, 1, (1, 2))
    >>> round_trip_axis(Conv(kernel=3, stride=2, padding=1), 6, output_padding=1).restores
    True
    """
    if not isinstance(conv, Conv):
        raise InvalidSpecError(f"conv={type(conv).__name__} must be a Conv")
    spec = _axis_spec(conv, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    r = resolve(spec, n)
    o = int(r.output[0])
    pb, pe = (int(x) for x in r.pads[0])
    op = 0 if output_padding is None else _int_size("output_padding", output_padding, 0)
    # The transposed layer must exist (PyTorch: output_padding < stride or < dilation).
    ConvTranspose(kernel=k, stride=s, padding=((pb, pe),), dilation=d, output_padding=op, ndim=1)
    restored: int | None = int(F.conv_transpose_size(o, k, s, pb, pe, d, op))
    if restored is not None and restored < 1:
        restored = None  # shapes.resolve rejects an empty output
    return RoundTrip(
        input_size=n,
        output=o,
        pads=(pb, pe),
        output_padding=op,
        restored=restored,
        restores=restored == n,
        needed_output_padding=(n + pb + pe - keff) % s,
        residue=(keff - pb - pe) % s,
        modulus=s,
    )


@overload
def round_trip(conv: Conv, input_size: int, output_padding: int | None = None) -> RoundTrip: ...
@overload
def round_trip(
    conv: Conv, input_size: tuple[int, ...], output_padding: int | tuple[int, ...] | None = None
) -> tuple[RoundTrip, ...]: ...
def round_trip(conv: Any, input_size: Any, output_padding: Any = None) -> Any:
    """Conv then transposed conv: is the input size restored?  Per axis.

    >>> from symconv import Conv
    >>> [t.restores for t in round_trip(Conv(kernel=3, stride=2, padding=1), (5, 6))]
    [True, False]
    """
    return _per_axis(round_trip_axis, conv, input_size, ("output_padding", output_padding))


def restoring_output_padding(conv: Conv, input_size: Any) -> Any:
    """The output padding ``a = (n + pb + pe - k_eff) mod s`` that restores ``input_size``.

    Per axis like the other functions; a SymPy size gives a ``Mod`` expression (only for
    padding that does not depend on the size).

    >>> from symconv import Conv
    >>> restoring_output_padding(Conv(kernel=3, stride=2, padding=1), (6, 7))
    (1, 0)
    >>> import sympy
    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> restoring_output_padding(Conv(kernel=3, stride=2, padding=1), n)
    Mod(n + 1, 2)
    """
    if not isinstance(conv, Conv):
        raise InvalidSpecError(f"conv={type(conv).__name__} must be a Conv")
    sizes = input_size if isinstance(input_size, tuple | list) else (input_size,)
    spec = conv.at(len(sizes))
    out: list[Int] = []
    for a, n in enumerate(sizes):
        if is_symbolic(n):
            axis_spec = _axis_spec(spec, a)
            pads = _fixed_pads(axis_spec)
            if pads is None:
                raise UnsupportedError(
                    f"padding={axis_spec.padding.value!r} under convention "
                    f"{axis_spec.convention.value} depends on the input size: give an int size"
                )
            n = scalar("input_size", n, minimum=1)
            keff = F.effective_kernel(axis_spec.kernel[0], axis_spec.dilation[0])
            out.append(F.mod(n + pads[0] + pads[1] - keff, axis_spec.stride[0]))
        else:
            out.append(round_trip_axis(spec, n, axis=a).needed_output_padding)
    return tuple(out) if isinstance(input_size, tuple | list) else out[0]
