"""Render a :class:`~symconv.coverage.CoverageAnalysis` (``symconv coverage``) as text or as a
JSON-able dict.  Pure: the same analysis always gives the same output.

>>> from symconv.coverage import analyze
>>> from symconv.spec.syntax import parse_layers
>>> a = analyze(parse_layers(["conv-transpose k=3 s=2 p=1"]), 8)
>>> print(render_text(a))
coverage of 1 layer on 8 -> 15
layer 1: conv-transpose k=3 s=2 p=1  (8 -> 15)
  forward   UNEVEN  1..2, ratio 2, period 2, pattern [1 2] (j mod 2), interior [0, 15)
  gradient  even    3 per position, interior [1, 7); border 2..2 on 2 positions
  fix       conv-transpose k=4 s=2 p=2 op=1  (same output 15)
            conv-transpose k=2 s=2 p=1 op=1  (same output 15)
  or        upsample-nearest f=2 -> conv k=2  (output 15, T13: even for every kernel)
stack output: UNEVEN, ratio 2 (the layers' unevenness persists)
input gradient: even, 3 per position
<BLANKLINE>
positions j with j = r (mod period) share the count pattern[r]; interior = positions whose window lies inside the input (borders listed separately)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symconv.coverage import Checkerboard, CoverageAnalysis, KernelSuggestion, ResizeConv
from symconv.errors import InvalidSpecError

__all__ = ["render_text", "to_dict"]

#: Largest number of positions whose counts (or pattern phases) the JSON lists in full.
MAX_JSON_COUNTS = 1 << 16

#: Largest 1-D pattern the text lists in full.
MAX_TEXT_PHASES = 256


def _name(layer: Any) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except InvalidSpecError:
        return repr(layer)


def _size(values: Any) -> str:
    return "x".join(str(int(v)) for v in values)


def _ratio(r: Fraction | None) -> str:
    if r is None:
        return "inf"
    return str(r.numerator) if r.denominator == 1 else f"{r.numerator}/{r.denominator}"


def _pattern(cb: Checkerboard) -> str:
    p = cb.pattern
    if p.ndim == 1 and p.size <= MAX_TEXT_PHASES:
        return "[" + " ".join("?" if v < 0 else str(int(v)) for v in p.tolist()) + "]"
    if p.ndim == 2 and p.size <= 64:
        rows = ["[" + " ".join("?" if v < 0 else str(int(v)) for v in row) + "]"
                for row in p.tolist()]
        return "[" + " ".join(rows) + "]"
    where = ", see --json" if p.size <= MAX_JSON_COUNTS else ""
    return f"({p.size:,} phases{where})"


def _interior(cb: Checkerboard) -> str:
    return " x ".join(f"[{lo}, {hi})" for lo, hi in cb.interior)


def _line(cb: Checkerboard, kind: str) -> str:
    """One summary line of a checkerboard."""
    if cb.empty:
        return f"{kind:<9} -       no interior position (input too small for the layers)"
    border = ""
    if cb.border_positions:
        lo, hi = cb.border_range or (0, 0)
        many = "s" if cb.border_positions > 1 else ""
        border = f"; border {lo}..{hi} on {cb.border_positions} position{many}"
    short = "" if cb.complete else " (interior shorter than one period)"
    if cb.uniform:
        return (f"{kind:<9} even    {cb.min} per position{short}, interior "
                f"{_interior(cb)}{border}")
    holes = ", holes (coverage 0)" if cb.holes else ""
    axes = ""
    if cb.ndim > 1:
        axes = " (per axis " + " x ".join(_ratio(r) for r in cb.axis_ratio()) + ")"
    period = _size(cb.period)
    return (f"{kind:<9} UNEVEN  {cb.min}..{cb.max}, ratio {_ratio(cb.ratio)}{axes}{holes}, "
            f"period {period}, pattern {_pattern(cb)} (j mod {period}){short}, interior "
            f"{_interior(cb)}{border}")


def _suggestion(s: KernelSuggestion, current: tuple[int, ...]) -> str:
    size = (f"same output {_size(s.output_size)}" if s.keeps_output_size
            else f"output {_size(s.output_size)}, not {_size(current)}")
    note = f"; {s.note}" if s.note else ""
    return f"{_name(s.layer)}  ({size}{note})"


def _alternative(a: ResizeConv, current: tuple[int, ...]) -> str:
    size = (f"output {_size(a.output_size)}" if a.keeps_output_size
            else f"output {_size(a.output_size)}, not {_size(current)}")
    note = f"; {a.note}" if a.note else ""
    return (f"{_name(a.upsample)} -> {_name(a.conv)}  ({size}, T13: even for every kernel"
            f"{note})")


def render_text(analysis: CoverageAnalysis) -> str:
    """The report ``symconv coverage`` prints."""
    n = len(analysis.layers)
    lines = [f"coverage of {n} layer{'s' if n > 1 else ''} on {_size(analysis.input_size)} -> "
             f"{_size(analysis.output_size)}"]
    for lc in analysis.per_layer:
        lines.append(f"layer {lc.index + 1}: {_name(lc.layer)}  ({_size(lc.input_size)} -> "
                     f"{_size(lc.output_size)})")
        lines.append("  " + _line(lc.forward, "forward"))
        if lc.constant_preserving is not None:
            verdict = ("constant in -> constant out: its fixed weights even out the counts"
                       if lc.constant_preserving else
                       "its fixed weights do NOT map constant to constant")
            lines.append(f"  {'weights':<9} {verdict}")
        lines.append("  " + _line(lc.gradient, "gradient"))
        for note in lc.notes:
            lines.append(f"  {'note':<9} {note}")
        for i, s in enumerate(lc.suggestions):
            head = "fix" if i == 0 else ""
            lines.append(f"  {head:<9} {_suggestion(s, lc.output_size)}")
        if lc.alternative is not None:
            lines.append(f"  {'or':<9} {_alternative(lc.alternative, lc.output_size)}")
        if n > 1 and lc.index > 0:
            lines.append("  " + _line(lc.path, "stack"))
    stack = analysis.stack
    if analysis.uniform:
        verdict = f"even, {stack.min} paths per position"
    elif stack.empty:
        verdict = "no interior position (input too small)"
    elif stack.uniform:
        verdict = f"even over a short interior ({stack.min}); try a larger input"
    else:
        verdict = f"UNEVEN, ratio {_ratio(stack.ratio)}"
    why = {"uniform": "", "cancels": " (the layers' unevenness cancels)",
           "damps": " (the layers' unevenness is damped)",
           "persists": " (the layers' unevenness persists)",
           "compounds": " (the layers' unevenness compounds)"}[analysis.interaction]
    lines.append(f"stack output: {verdict}{why}")
    grad = analysis.gradient
    if grad.empty:
        g = "no interior position"
    elif grad.uniform:
        g = f"even, {grad.min} per position"
    else:
        g = (f"UNEVEN, ratio {_ratio(grad.ratio)}, period {_size(grad.period)}, pattern "
             f"{_pattern(grad)}")
    lines.append(f"input gradient: {g}")
    lines.append("")
    lines.append("positions j with j = r (mod period) share the count pattern[r]; interior = "
                 "positions whose window lies inside the input (borders listed separately)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- JSON


def _cb_dict(cb: Checkerboard, counts: bool = False) -> dict[str, Any]:
    border = cb.border_range
    out: dict[str, Any] = {
        "uniform": cb.uniform,
        "complete": cb.complete,
        "empty": cb.empty,
        "holes": cb.holes,
        "min": cb.min,
        "max": cb.max,
        "ratio": None if cb.ratio is None else _ratio(cb.ratio),
        "axis_ratios": [None if r is None else _ratio(r) for r in cb.axis_ratio()],
        "period": list(cb.period),
        "structural_period": list(cb.structural_period),
        "pattern": cb.pattern.tolist() if cb.pattern.size <= MAX_JSON_COUNTS else None,
        "interior": [[lo, hi] for lo, hi in cb.interior],
        "border": {"positions": cb.border_positions,
                   "min": None if border is None else border[0],
                   "max": None if border is None else border[1]},
    }
    if counts:
        small = cb.counts.size <= MAX_JSON_COUNTS
        out["counts"] = cb.counts.tolist() if small else None
    return out


def _suggestion_dict(s: KernelSuggestion) -> dict[str, Any]:
    return {"layer": _name(s.layer), "kernel": list(s.kernel), "dilation": list(s.dilation),
            "output_size": list(s.output_size), "keeps_output_size": s.keeps_output_size,
            "note": s.note}


def to_dict(analysis: CoverageAnalysis) -> dict[str, Any]:
    """JSON-able data of the analysis (counts of the stack output and of the input gradient
    are listed in full up to :data:`MAX_JSON_COUNTS` positions, else ``null``)."""
    layers = []
    for lc in analysis.per_layer:
        alt = lc.alternative
        layers.append({
            "index": lc.index + 1,
            "layer": _name(lc.layer),
            "input_size": list(lc.input_size),
            "output_size": list(lc.output_size),
            "forward": _cb_dict(lc.forward),
            "gradient": _cb_dict(lc.gradient),
            "stack": _cb_dict(lc.path),
            "constant_preserving": lc.constant_preserving,
            "notes": list(lc.notes),
            "suggestions": [_suggestion_dict(s) for s in lc.suggestions],
            "resize_conv": None if alt is None else {
                "upsample": _name(alt.upsample), "conv": _name(alt.conv),
                "output_size": list(alt.output_size), "keeps_output_size": alt.keeps_output_size,
                "equivalent_kernel": list(alt.equivalent_kernel), "note": alt.note,
            },
        })
    return {
        "input_size": list(analysis.input_size),
        "output_size": list(analysis.output_size),
        "uniform": analysis.uniform,
        "interaction": analysis.interaction,
        "layers": layers,
        "stack": _cb_dict(analysis.stack, counts=True),
        "gradient": _cb_dict(analysis.gradient, counts=True),
    }
