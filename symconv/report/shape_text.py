"""Render the result of ``symconv shape``: one layer (:class:`ShapeView`) or the comparison of
conventions (:class:`CompareView`), as text or as a JSON-able dict.

The view classes are plain records that the command fills from library results; the functions
here only format them.  Sizes may be ints or SymPy expressions (shown with ``str``, and
pretty-printed in text when ``unicode`` allows).

>>> from symconv import Conv, resolve
>>> layer = Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow")
>>> print(render_text(ShapeView("conv", layer, resolve(layer, (224, 224)))), end="")
layer:   Conv(kernel=7, stride=2, padding='SAME', convention='tensorflow')
input:   224x224
output:  112x112
pads:    (2, 3), (2, 3)  (before, after) per axis
>>> to_dict(ShapeView("conv", layer, resolve(layer, 225)))["pads"]
[[3, 3]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from symconv._params import is_symbolic
from symconv.sizes.shapes import Resolved
from symconv.spec import ConvTranspose

__all__ = [
    "AxisRange",
    "AxisTarget",
    "CompareRow",
    "CompareView",
    "Residue",
    "RoundTrip",
    "Route",
    "ShapeView",
    "TargetSolution",
    "compare_cells",
    "render_text",
    "to_dict",
]


# --------------------------------------------------------------------------- view records


@dataclass(frozen=True, slots=True)
class AxisRange:
    """The inclusive integer range ``lo..hi``."""

    lo: int
    hi: int

    def __str__(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}..{self.hi}"


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """A convolution followed by the transposed convolution with the same kernel, stride,
    dilation and the pads the convolution applied (theorem T20), per axis.

    ``output_padding`` gives back the input; ``plain`` is what ``output_padding=0`` gives;
    ``output_padding=0`` restores exactly the inputs ``≡ residue (mod modulus)``.
    """

    input: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    output_padding: tuple[int, ...]
    plain: tuple[int | None, ...]
    residue: tuple[int, ...]
    modulus: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """Output sizes a transposed convolution reaches through one parameter (one axis).

    ``kind`` is ``output_padding`` (size = ``base`` + output padding), ``output_size`` (the
    size itself: PyTorch ``forward(output_size=)``, ONNX/TensorFlow ``output_shape``) or
    ``fixed`` (one ``setting`` such as ``padding='SAME'``).
    """

    kind: str
    sizes: AxisRange
    base: int = 0
    setting: str = ""


@dataclass(frozen=True, slots=True)
class AxisTarget:
    """How one axis reaches the ``--target`` size.

    ``parameter=value`` is the recommended setting; ``alternatives`` other settings that work;
    conv-transpose: ``admissible`` every reachable output size, ``adjoint`` whether the layer is
    then the exact transpose of the conv; conv/pool: ``totals`` every total padding that works.
    """

    parameter: str
    value: Any
    alternatives: tuple[tuple[str, Any], ...] = ()
    admissible: tuple[AxisRange, ...] = ()
    totals: AxisRange | None = None
    adjoint: bool | None = None


@dataclass(frozen=True, slots=True)
class TargetSolution:
    """``--target``: per axis, the setting that gives the requested output size."""

    target: tuple[int, ...]
    axes: tuple[AxisTarget, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Residue:
    """Exact output and padding on ``axis`` for every valid input ``≡ residue (mod modulus)``."""

    axis: int
    symbol: Any
    modulus: int
    residue: int
    output: Any
    pads: tuple[Any, Any]


@dataclass(frozen=True, slots=True)
class ShapeView:
    """Everything ``symconv shape`` reports about one layer under one convention."""

    command: str
    layer: Any
    resolved: Resolved | None
    channels: tuple[Any, Any] | None = None
    notes: tuple[str, ...] = ()
    same_output: tuple[AxisRange | None, ...] | None = None
    reachable: tuple[tuple[Route, ...], ...] | None = None
    round_trip: RoundTrip | None = None
    target: TargetSolution | None = None
    residues: tuple[Residue, ...] = ()
    evaluated: Resolved | None = None
    proofs: tuple[Any, ...] = ()

    @property
    def failed(self) -> bool:
        """True when a proof found a counterexample (the command then exits with status 1)."""
        return any(_proof_failed(p) for p in self.proofs)


@dataclass(frozen=True, slots=True)
class CompareRow:
    """One convention's result, or the rule that rejects the layer under it."""

    convention: str
    resolved: Resolved | None
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CompareView:
    """The same layer under several conventions; ``reference`` is the row others are marked
    against (the ``--convention``, or the first accepted row)."""

    command: str
    params: tuple[tuple[str, str], ...]
    input: tuple[int, ...]
    reference: str
    rows: tuple[CompareRow, ...]

    @property
    def failed(self) -> bool:
        return False


# --------------------------------------------------------------------------- formatting


def _s(value: Any) -> str:
    return str(value)


def _sizes(values: Sequence[Any]) -> str:
    """``224x224``; symbolic entries keep their ``str`` form (``i1 x i2``)."""
    sep = " x " if any(is_symbolic(v) for v in values) else "x"
    return sep.join(_s(v) for v in values)


def _pair(pair: Sequence[Any]) -> str:
    return f"({_s(pair[0])}, {_s(pair[1])})"


def _pads(pads: Sequence[Sequence[Any]]) -> str:
    return ", ".join(_pair(p) for p in pads)


def _axes(values: Sequence[Any], ndim: int, show: Any = _s) -> str:
    """Per-axis values: one value for 1-D or when all axes agree, else ``axis 0: ..; ...``."""
    if ndim == 1:
        return show(values[0])
    if all(v == values[0] for v in values):
        return f"{show(values[0])} on each axis"
    return "; ".join(f"axis {a}: {show(v)}" for a, v in enumerate(values))


def _rows(rows: Iterable[tuple[str, str]]) -> list[str]:
    items = [(k, v) for k, v in rows if v is not None]
    width = max((len(k) for k, _ in items), default=0) + 2
    return [f"{k + ':':<{width}} {v}".rstrip() for k, v in items]


def _proof_failed(proof: Any) -> bool:
    verdict = getattr(proof, "verdict", None)
    if isinstance(verdict, bool):
        return not verdict
    return str(verdict).lower() in ("false", "disproved", "fails", "counterexample")


def _pretty(expr: Any, unicode: bool) -> str | None:
    """A multi-line pretty form of a SymPy expression, or ``None`` when ``str`` says it all."""
    if not is_symbolic(expr):
        return None
    import sympy

    text: str = sympy.pretty(expr, use_unicode=unicode)
    return text if "\n" in text else None


# --------------------------------------------------------------------------- text


def render_text(view: ShapeView | CompareView, *, unicode: bool = True) -> str:
    """The human-readable report; ``unicode=False`` keeps pretty-printed formulas ASCII."""
    if isinstance(view, CompareView):
        return _compare_text(view)
    return _shape_text(view, unicode)


def _shape_text(v: ShapeView, unicode: bool) -> str:
    r = v.resolved
    rows: list[tuple[str, str]] = [("layer", repr(v.layer))]
    if r is not None:
        nd = len(r.input)
        rows += [("input", _sizes(r.input)), ("output", _sizes(r.output))]
        what = "  (before, after)" + ("" if nd == 1 else " per axis")
        if isinstance(r.layer, ConvTranspose):
            what += ", cropped from the full transposed output"
        if r.folds is not None:
            rows.append(("fold", _fold_text(r)))
        else:
            rows.append(("pads", _pads(r.pads) + what))
            if r.output_padding is not None:
                rows.append(("output_padding", _sizes(r.output_padding).replace("x", ", ")))
        if v.channels is not None:
            cin, cout = v.channels
            rows.append(("channels", f"{cin} -> {'?' if cout is None else cout}"
                         + ("" if cout is not None else " (give --out-channels)")))
        if v.same_output is not None:
            rows.append(("same output", _same_output(v.same_output, r)))
        if v.reachable is not None:
            rows.append(("reachable", _axes(list(v.reachable), nd, _routes)))
        if v.round_trip is not None:
            rows.append(("round trip", _round_trip(v.round_trip)))
        if v.target is not None:
            rows.append((f"target {_sizes(v.target.target)}",
                         _axes(list(v.target.axes), nd, _axis_target)))
    lines = _rows(rows)
    if r is not None and any(is_symbolic(x) for x in r.output):
        lines += _symbolic_block(v, unicode)
    for note in (*(r.notes if r is not None else ()), *v.notes,
                 *(v.target.notes if v.target is not None else ())):
        lines.append(f"note: {note}")
    for proof in v.proofs:
        lines.append("")
        lines.append(str(proof).rstrip())
    return "\n".join(lines) + "\n"


def _same_output(ranges: Sequence[AxisRange | None], r: Resolved) -> str:
    parts = []
    for a, rng in enumerate(ranges):
        if rng is None:
            continue
        where = "" if len(ranges) == 1 else f" on axis {a}"
        parts.append(_inputs_giving(rng, r.output[a]) + where)
    first = ranges[0]
    if first is not None and len(parts) > 1 and len(set(ranges)) == 1 and len(set(r.output)) == 1:
        return _inputs_giving(first, r.output[0]) + " on each axis"
    return "; ".join(parts) if parts else "-"


def _inputs_giving(rng: AxisRange, output: Any) -> str:
    if rng.lo == rng.hi:
        return f"only input {rng.lo} gives {_s(output)}"
    return f"inputs {rng} all give {_s(output)}"


def _ranges(ranges: Sequence[AxisRange]) -> str:
    return ", ".join(str(x) for x in ranges) if ranges else "none"


def _route(route: Route) -> str:
    if route.kind == "output_padding":
        ops = AxisRange(route.sizes.lo - route.base, route.sizes.hi - route.base)
        return f"output_padding={ops} gives {route.sizes}"
    if route.kind == "output_size":
        return f"output_size={route.sizes}"
    return f"{route.setting} gives {route.sizes}"


def _routes(routes: Sequence[Route]) -> str:
    lo = min(r.sizes.lo for r in routes)
    hi = max(r.sizes.hi for r in routes)
    return f"{AxisRange(lo, hi)} ({'; '.join(_route(r) for r in routes)})"


def _round_trip(rt: RoundTrip) -> str:
    nd = len(rt.input)
    ops = _axes(rt.output_padding, nd)
    text = (f"the transposed conv with the same kernel, stride, dilation and pads gives back "
            f"{_sizes(rt.input)} with output_padding={ops}")
    if any(rt.output_padding):
        plain = [("an empty output" if x is None else x) for x in rt.plain]
        text += f" (with 0 it gives {_sizes(plain) if None not in rt.plain else _axes(plain, nd)})"
    classes = [f"{c} (mod {m})" for c, m in zip(rt.residue, rt.modulus, strict=True)]
    if any(m > 1 for m in rt.modulus):
        text += (f"; with these pads output_padding=0 restores exactly the inputs "
                 f"≡ {_axes(classes, nd)}")
    return text


def _value(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return _pair(value)
    return repr(value) if isinstance(value, str) else _s(value)


def _axis_target(t: AxisTarget) -> str:
    text = f"{t.parameter}={_value(t.value)}"
    if t.alternatives:
        text += " (or " + ", ".join(f"{p}={_value(v)}" for p, v in t.alternatives) + ")"
    if t.adjoint is False:
        text += ", not the exact transpose of the conv (output padding >= stride)"
    if t.admissible:
        text += f"; admissible output sizes {_ranges(t.admissible)}"
    if t.totals is not None:
        text += f"; every total padding {t.totals} works"
    return text


def _symbolic_block(v: ShapeView, unicode: bool) -> list[str]:
    r = v.resolved
    assert r is not None
    lines: list[str] = []
    for a, out in enumerate(r.output):
        art = _pretty(out, unicode)
        if art is not None:
            where = "" if len(r.output) == 1 else f" (axis {a})"
            lines += ["", f"output{where}:", *(f"  {row}" for row in art.splitlines())]
    if v.residues:
        mods = sorted({(x.axis, x.symbol, x.modulus) for x in v.residues}, key=lambda t: t[0])
        for axis, sym, m in mods:
            lines += ["", f"by {sym} mod {m} (exact for every valid {sym}):"]
            body = [(f"{sym} ≡ {x.residue}" if unicode else f"{sym} = {x.residue} (mod {m})",
                     _s(x.output), _pair(x.pads))
                    for x in v.residues if x.axis == axis]
            w0 = max(len(b[0]) for b in body)
            w1 = max(len(b[1]) for b in body)
            lines += [f"  {c0:<{w0}}  output {c1:<{w1}}  pads {c2}" for c0, c1, c2 in body]
    e = v.evaluated
    if e is not None:
        lines += ["", f"at {_sizes(e.input)}: output {_sizes(e.output)}, pads {_pads(e.pads)}"]
    return lines


# --------------------------------------------------------------------------- comparison


_COLUMNS = ("output", "pads", "output_padding")


def compare_cells(view: CompareView) -> list[dict[str, str]]:
    """Per row, the displayed cells ``output``, ``pads``, ``output_padding`` (unmarked)."""
    cells = []
    for row in view.rows:
        r = row.resolved
        if r is None:
            cells.append({"output": "rejected", "pads": "-", "output_padding": "-"})
            continue
        if r.folds is not None:
            cells.append({"output": _sizes(r.output), "pads": "folded", "output_padding": "-"})
            continue
        op = "-" if r.output_padding is None else ", ".join(_s(x) for x in r.output_padding)
        cells.append({"output": _sizes(r.output), "pads": _pads(r.pads), "output_padding": op})
    return cells


def _differs(view: CompareView) -> list[tuple[str, ...]]:
    """Per row, the columns whose cell differs from the reference row's."""
    cells = compare_cells(view)
    ref = next((i for i, row in enumerate(view.rows) if row.convention == view.reference), None)
    out: list[tuple[str, ...]] = []
    for i, row in enumerate(view.rows):
        if ref is None or i == ref or view.rows[ref].resolved is None:
            out.append(())
        elif row.resolved is None:
            out.append(("output",))
        else:
            out.append(tuple(c for c in _COLUMNS if cells[i][c] != cells[ref][c]))
    return out


def _compare_text(view: CompareView) -> str:
    cells = compare_cells(view)
    marks = _differs(view)
    has_op = any(r.resolved is not None and r.resolved.applied_output_padding is not None
                 for r in view.rows)
    cols = ["output", "pads"] + (["output_padding"] if has_op else [])
    head = ["convention", "output", "pads (before, after)"] + (["output_padding"] if has_op
                                                               else []) + ["notes"]
    table = [head]
    for row, cell, mark in zip(view.rows, cells, marks, strict=True):
        line = [row.convention]
        line += [cell[c] + ("*" if c in mark else "") for c in cols]
        notes = ([row.error] if row.error else []) + list(row.notes)
        if row.resolved is not None:
            notes += list(row.resolved.notes)
        line.append("; ".join(n for n in notes if n))
        table.append(line)
    widths = [max(len(t[i]) for t in table) for i in range(len(head) - 1)]
    params = ", ".join(f"{k}={v}" for k, v in view.params)
    lines = [f"{view.command} on input {_sizes(view.input)}" + (f": {params}" if params else "")]
    for t in table:
        text = "  ".join(f"{c:<{w}}" for c, w in zip(t, widths, strict=False))
        lines.append(f"{text}  {t[-1]}".rstrip())
    if any(marks):
        lines.append(f"* differs from {view.reference}")
    elif all(r.resolved is not None for r in view.rows):
        lines.append("all conventions agree")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON


def _j(value: Any) -> Any:
    """JSON-able form: tuples -> lists, SymPy expressions -> their ``str``."""
    if isinstance(value, tuple | list):
        return [_j(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _resolved_dict(r: Resolved) -> dict[str, Any]:
    if r.folds is not None:  # flax 'CIRCULAR': no pads, a fold per axis (None: a crop axis)
        return {"input": _j(r.input), "output": _j(r.output), "pads": None,
                "output_padding": None, "folds": _j(r.folds), "notes": list(r.notes)}
    return {
        "input": _j(r.input),
        "output": _j(r.output),
        "pads": _j(r.pads),
        "output_padding": _j(r.output_padding),
        "notes": list(r.notes),
    }


def _fold_text(r: Resolved) -> str:
    """flax 'CIRCULAR' transposed convolution: where the full output lands, per axis."""
    parts = []
    for a, fold in enumerate(r.folds or ()):
        if fold is None:
            n_full = r.output[a]  # k_eff <= s: the full output and s - k_eff zeros
            parts.append(f"none (the full output, {n_full} positions with its zeros)")
        else:
            offset = "?" if fold[0] is None else _s(fold[0])
            parts.append(f"full position j -> (j + {offset}) mod {_s(fold[1])}")
    axes = "; ".join(parts if len(parts) == 1 else
                     [f"axis {a}: {p}" for a, p in enumerate(parts)])
    return f"{axes}  (flax 'CIRCULAR': the full transposed output summed periodically)"


def to_dict(view: ShapeView | CompareView) -> dict[str, Any]:
    """A JSON-able dict of the view (ints stay ints, symbolic values become strings)."""
    if isinstance(view, CompareView):
        return _compare_dict(view)
    out: dict[str, Any] = {"command": view.command, "layer": repr(view.layer),
                           "convention": str(getattr(view.layer, "convention", "torch"))}
    if view.resolved is not None:
        out.update(_resolved_dict(view.resolved))
        out["notes"] = [*view.resolved.notes, *view.notes]
    else:
        out["notes"] = list(view.notes)
    if view.channels is not None:
        out["channels"] = {"in": _j(view.channels[0]), "out": _j(view.channels[1])}
    if view.same_output is not None:
        out["same_output_inputs"] = [None if x is None else [x.lo, x.hi] for x in view.same_output]
    if view.reachable is not None:
        out["reachable"] = [
            [{"kind": r.kind, "sizes": [r.sizes.lo, r.sizes.hi], "base": r.base,
              "setting": r.setting} for r in axis] for axis in view.reachable
        ]
    if view.round_trip is not None:
        rt = view.round_trip
        out["round_trip"] = {"input": _j(rt.input), "pads": _j(rt.pads),
                             "output_padding": _j(rt.output_padding), "plain": _j(rt.plain),
                             "residue": _j(rt.residue), "modulus": _j(rt.modulus)}
    if view.target is not None:
        t = view.target
        out["target"] = {
            "target": _j(t.target),
            "axes": [
                {"parameter": a.parameter, "value": _j(a.value),
                 "alternatives": [[p, _j(v)] for p, v in a.alternatives],
                 "admissible": [[x.lo, x.hi] for x in a.admissible],
                 "totals": None if a.totals is None else [a.totals.lo, a.totals.hi],
                 "adjoint": a.adjoint} for a in t.axes
            ],
            "notes": list(t.notes),
        }
    if view.residues:
        out["residues"] = [
            {"axis": x.axis, "symbol": str(x.symbol), "modulus": x.modulus, "residue": x.residue,
             "output": _j(x.output), "pads": _j(x.pads)} for x in view.residues
        ]
    if view.evaluated is not None:
        out["evaluated"] = _resolved_dict(view.evaluated)
    if view.proofs:
        out["proofs"] = [_proof_dict(p) for p in view.proofs]
    return out


def _proof_dict(proof: Any) -> Any:
    to = getattr(proof, "to_dict", None)
    return _j_deep(to()) if callable(to) else str(proof)


def _j_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _j_deep(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_j_deep(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _compare_dict(view: CompareView) -> dict[str, Any]:
    rows = []
    for row, mark in zip(view.rows, _differs(view), strict=True):
        item: dict[str, Any] = {"convention": row.convention, "error": row.error,
                                "notes": list(row.notes), "differs": list(mark)}
        if row.resolved is not None:
            item.update(_resolved_dict(row.resolved))
            item["notes"] = [*row.resolved.notes, *row.notes]
        rows.append(item)
    return {"command": view.command, "input": _j(view.input), "reference": view.reference,
            "params": dict(view.params), "rows": rows}
