"""Conv and pooling: every padding that gives a target output size (:func:`padding_for_output`),
the symmetric choice, the asymmetric splits and what the framework can express.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, overload

from symconv.errors import InvalidSpecError, SymconvError
from symconv.sizes import formulas as F
from symconv.sizes.inverse._axes import (
    _axis_note,
    _axis_spec,
    _int_size,
    _merge,
    _per_axis,
    _ranges_text,
)
from symconv.sizes.shapes import resolve
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    MaxPool,
)

__all__ = [
    "PaddingChoice",
    "padding_for_output",
    "padding_for_output_axis",
]


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

    The same validity rules as :func:`symconv.sizes.shapes.resolve`: floor mode needs the kernel to
    fit the padded input, every mode needs at least one output.
    """
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    ceil = isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode
    if not ceil and n + pb + pe < F.effective_kernel(k, d):
        return None
    o = int(F.pool_size(n, k, s, pb, pe, d, ceil_mode=bool(ceil)))
    return o if o >= 1 else None


def _ok_split(spec: Any, n: int, target: int, pb: int, pe: int, limit: int | None) -> bool:
    crop = spec.convention is Convention.JAX and pb <= 0 and pe <= 0  # JAX: negative crops
    if ((pb < 0 or pe < 0) and not crop) or (limit is not None and (pb > limit or pe > limit)):
        return False
    return _window_output(spec, n, pb, pe) == target


def _split_range(p: int, limit: int | None) -> range:
    """Leading pads ``b`` of the splits ``(b, p - b)`` tried for a total ``p``: both sides of
    one sign (a negative total, JAX only, is a crop on both sides or one)."""
    if p < 0:
        return range(p, 1)
    return range(0 if limit is None else max(0, p - limit), (p if limit is None else
                                                             min(p, limit)) + 1)


_MODE_TRIALS = ("same", "same_upper", "same_lower", "valid", "causal")


def _named_modes(spec: Any, n: int, target: int) -> tuple[tuple[str, tuple[int, int]], ...]:
    """The convention's padding names that give ``target`` (with the padding they apply)."""
    found = []
    for lower in _MODE_TRIALS:
        for name in (lower, lower.upper()):  # tf.nn takes only the upper-case spelling
            try:
                trial = dataclasses.replace(spec, padding=name)
                r = resolve(trial, n)
            except InvalidSpecError:
                continue
            if r.output[0] == target:
                found.append((name, (int(r.pads[0][0]), int(r.pads[0][1]))))
            break  # one spelling per name (the first one the API reads)
    return tuple(found)


def padding_for_output_axis(
    layer: Conv | MaxPool | AvgPool, input_size: int, target: int, axis: int = 0
) -> PaddingChoice:
    """Paddings with which one axis of ``layer`` maps ``input_size`` to ``target``.

    The layer's own padding is ignored; its kernel, stride, dilation, ceil mode and
    convention are used.  Floor mode (Dumoulin & Visin 2016, Relationship 6):
    ``o = floor((n + P - k_eff)/s) + 1 = t`` iff
    ``P in [(t-1)s + k_eff - n, (t-1)s + k_eff - n + s - 1]``.  Ceil-mode pools use the PyTorch
    rule (:func:`symconv.sizes.formulas.pool_size`), where the split matters.  Under
    convention jax a negative total is a crop (splits with both sides ``<= 0``), so every
    ``target >= 1`` of a convolution is reachable; JAX pools refuse a split that leaves a
    window on padding only (``-inf``, or NaN for an average without counted padding).

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
    # JAX reads a negative total as a crop (n + P >= k_eff still holds for t >= 1)
    jax = spec.convention is Convention.JAX
    lo_p, hi_p = first if jax else max(first - (s if ceil else 0), 0), first + s - 1
    if limit is not None:
        hi_p = min(hi_p, 2 * limit)
    totals: list[int] = []
    for p in range(lo_p, hi_p + 1):
        bs = _split_range(p, limit)
        if ceil:  # the split matters
            works = any(_ok_split(spec, n, t, b, p - b, limit) for b in bs)
        else:  # the output depends on the total only
            works = len(bs) > 0 and _window_output(spec, n, bs[0], p - bs[0]) == t
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
    half = p_min // 2 if p_min >= 0 else -(-p_min // 2)  # a crop's odd unit: at the end
    end = (half, p_min - half)
    start = (p_min - half, half)
    splits = tuple(
        (b, p_min - b) for b in _split_range(p_min, None)
        if _ok_split(spec, n, t, b, p_min - b, limit)
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
    elif c is Convention.KERAS:
        out.append(
            f"keras {'pooling' if pool else 'Conv'} layers take only named paddings: pad "
            f"({pb}, {pe}) on this axis with a ZeroPadding layer before the layer "
            "(padding='valid')"
        )
    elif c is Convention.TENSORFLOW and pool:
        k = spec.kernel[0]
        direct = ("tf.nn.max_pool1d/max_pool2d take these pads directly (explicit padding, "
                  "each smaller than the window); otherwise "
                  if isinstance(spec, MaxPool) and max(pb, pe) < k else "")
        out.append(
            f"{direct}pad ({pb}, {pe}) on this axis with tf.pad before the layer "
            "(padding='VALID'): tf.nn.avg_pool and the 3-D pools take only 'SAME' and 'VALID'"
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
