"""Render a layer's matrix (``symconv matrix``): text with elision, LaTeX, JSON-able dict.

The command fills a :class:`MatrixView` from the operator core: the displayed block (the first
and last rows/columns of a large matrix, chosen with :func:`shown_indices`), the full entry list
for JSON, and the row/column count histograms for ``--stats``.  The functions here only format
it; entries are SymPy objects (symbolic view) or floats (numeric view), and LaTeX goes through
SymPy's own printer.

>>> import sympy
>>> w = sympy.Symbol("w_{0}")
>>> view = MatrixView(title="conv k=1", in_shape=(1, 2), out_shape=(1, 2), shape=(2, 2),
...                   nnz=2, weights=(("w", (1, 1, 1)),), numeric=False, rows=(0, 1),
...                   cols=(0, 1), block=((w, 0), (0, w)))
>>> print(render_text(view), end="")
layer:   conv k=1
input:   (1, 2) -> output (1, 2)  (C, *spatial), flattened in C order
matrix:  2 x 2, 2 nonzero (density 50%)
weights: w (1, 1, 1)
<BLANKLINE>
       0      1
0  w_{0}      0
1      0  w_{0}
>>> print(render_latex(view), end="")
\\begin{bmatrix}
w_{0} & 0 \\\\
0 & w_{0}
\\end{bmatrix}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LATEX_LIMITS",
    "TEXT_LIMITS",
    "EntryListing",
    "MatrixView",
    "render_json",
    "render_latex",
    "render_text",
    "shown_indices",
    "to_dict",
]

#: Largest (rows, columns) shown in full as text; a larger axis shows its first and last halves.
TEXT_LIMITS = (16, 16)
#: The same for LaTeX (a page is narrower than a terminal).
LATEX_LIMITS = (12, 12)


def shown_indices(n: int, limit: int) -> tuple[int, ...]:
    """The indices of an axis of length ``n`` that a view of at most ``limit`` shows: all of
    them, or the first ``limit // 2`` and the last ``limit // 2``.

    >>> shown_indices(5, 16), shown_indices(20, 6)
    ((0, 1, 2, 3, 4), (0, 1, 2, 17, 18, 19))
    """
    if n <= limit:
        return tuple(range(n))
    half = max(1, limit // 2)
    return (*range(half), *range(n - half, n))


@dataclass(frozen=True, slots=True)
class EntryListing:
    """Every structural nonzero as columns (what ``--json`` lists, in row-major order):
    ``rows`` and ``cols`` (integer arrays), and either ``values`` (floats, the numeric view) or
    ``codes`` into ``texts`` (the symbolic view: entry ``k`` is ``texts[codes[k]]``, each
    distinct value rendered once).

    >>> import numpy as np
    >>> e = EntryListing(np.array([0, 1]), np.array([1, 0]), codes=np.array([0, 0]),
    ...                  texts=("1/2",))
    >>> e.triples()
    ((0, 1, '1/2'), (1, 0, '1/2'))
    """

    rows: Any
    cols: Any
    values: Any = None
    codes: Any = None
    texts: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def triples(self) -> tuple[tuple[int, int, Any], ...]:
        """``(row, col, value)`` per entry (small listings; JSON goes through
        :func:`render_json` instead)."""
        vals = (self.values.tolist() if self.values is not None
                else [self.texts[c] for c in self.codes.tolist()])
        return tuple(zip(self.rows.tolist(), self.cols.tolist(), vals, strict=True))


@dataclass(frozen=True, slots=True)
class MatrixView:
    """What ``symconv matrix`` shows (all values already computed by the command).

    ``block[i][j]`` is the entry at ``(rows[i], cols[j])``; ``entries`` (JSON only) lists every
    structural nonzero ``(row, col, value)`` in row-major order, or ``listing`` holds them as
    columns (:class:`EntryListing`, what the command fills: no Python object per entry);
    ``row_counts`` and ``col_counts`` (``--stats``) are histograms
    ``((count, how many rows/cols), ...)``.
    """

    title: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    shape: tuple[int, int]
    nnz: int
    weights: tuple[tuple[str, tuple[int, ...]], ...]
    numeric: bool
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    block: tuple[tuple[Any, ...], ...]
    entries: tuple[tuple[int, int, Any], ...] | None = None
    row_counts: tuple[tuple[int, int], ...] | None = None
    col_counts: tuple[tuple[int, int], ...] | None = None
    listing: EntryListing | None = None

    @property
    def density(self) -> float:
        size = self.shape[0] * self.shape[1]
        return self.nnz / size if size else 0.0


# --------------------------------------------------------------------------- text


def _num(value: Any) -> str:
    """A float shown compactly (integers without a decimal point), anything else with str."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    return str(value)


def _percent(x: float) -> str:
    return f"{100 * x:.3g}%"


def _gaps(indices: Sequence[int]) -> list[int]:
    """Positions after which the shown indices jump (an elided range)."""
    return [i for i in range(len(indices) - 1) if indices[i + 1] != indices[i] + 1]


def _header(view: MatrixView) -> list[str]:
    lines = [
        f"layer:   {view.title}",
        f"input:   {view.in_shape} -> output {view.out_shape}  (C, *spatial), flattened in "
        "C order",
        f"matrix:  {view.shape[0]} x {view.shape[1]}, {view.nnz} nonzero "
        f"(density {_percent(view.density)})",
    ]
    if view.weights:
        lines.append("weights: " + ", ".join(f"{n} {s}" for n, s in view.weights))
    return lines


def render_text(view: MatrixView, *, unicode: bool = True, stats: bool = False) -> str:
    """The matrix as aligned text with row and column indices; an elided range of rows or
    columns shows as one ``⋮`` row / ``⋯`` column (``:`` / ``...`` without ``unicode``)."""
    lines = _header(view)
    if stats:
        lines += _stats_lines(view)
    lines.append("")
    hdots, vdots = ("⋯", "⋮") if unicode else ("...", ":")
    col_gaps, row_gaps = set(_gaps(view.cols)), set(_gaps(view.rows))
    cells = [[_num(v) for v in row] for row in view.block]
    widths = [max([len(str(c))] + [len(r[j]) for r in cells]) for j, c in enumerate(view.cols)]
    label = max((len(str(r)) for r in view.rows), default=1)

    def line(first: str, items: Sequence[str], filler: str) -> str:
        out = [first.rjust(label)]
        for j, text in enumerate(items):
            out.append(text.rjust(widths[j]))
            if j in col_gaps:
                out.append(filler)
        return "  ".join(out).rstrip()

    lines.append(line("", [str(c) for c in view.cols], hdots))
    for i, r in enumerate(view.rows):
        lines.append(line(str(r), cells[i], hdots))
        if i in row_gaps:
            lines.append(line(vdots, [vdots] * len(view.cols), hdots if unicode else "..."))
    return "\n".join(lines) + "\n"


def _stats_lines(view: MatrixView) -> list[str]:
    if view.row_counts is None or view.col_counts is None:
        return []
    return [
        "per row:    " + _counts(view.row_counts, "row") + "  (outputs: forward coverage)",
        "per column: " + _counts(view.col_counts, "column") + "  (inputs: gradient coverage)",
    ]


def _counts(hist: Sequence[tuple[int, int]], what: str) -> str:
    """``4 nonzeros in 4 rows, 9 in 1 row``."""
    parts = []
    for i, (count, times) in enumerate(hist):
        unit = (" nonzero" if count == 1 else " nonzeros") if i == 0 else ""
        parts.append(f"{count}{unit} in {times} {what}{'' if times == 1 else 's'}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- LaTeX


def render_latex(view: MatrixView) -> str:
    """The matrix as a ``bmatrix`` (amsmath), each entry through ``sympy.latex``; elided
    ranges as ``\\cdots``, ``\\vdots`` and ``\\ddots``.  More than 10 columns need amsmath's
    ``MaxMatrixCols`` raised, so the ``\\setcounter`` line comes first then."""
    import sympy

    col_gaps, row_gaps = set(_gaps(view.cols)), set(_gaps(view.rows))

    def cell(v: Any) -> str:
        return sympy.latex(sympy.Float(v) if isinstance(v, float) and not v.is_integer()
                           else sympy.Integer(int(v)) if isinstance(v, float) else v)

    lines = []
    for i, row in enumerate(view.block):
        items = []
        for j, v in enumerate(row):
            items.append(cell(v))
            if j in col_gaps:
                items.append(r"\cdots")
        lines.append(" & ".join(items))
        if i in row_gaps:
            dots = []
            for j in range(len(view.cols)):
                dots.append(r"\vdots")
                if j in col_gaps:
                    dots.append(r"\ddots")
            lines.append(" & ".join(dots))
    width = len(view.cols) + len(col_gaps)
    body = "\\begin{bmatrix}\n" + " \\\\\n".join(lines) + "\n\\end{bmatrix}"
    prefix = f"\\setcounter{{MaxMatrixCols}}{{{width}}}\n" if width > 10 else ""
    return prefix + body + "\n"


# --------------------------------------------------------------------------- JSON


def to_dict(view: MatrixView) -> dict[str, Any]:
    """JSON-able data: shapes, nnz, weights and every entry ``[row, col, value]`` (values as
    exact strings in the symbolic view, floats in the numeric view)."""
    out: dict[str, Any] = {
        "layer": view.title,
        "input_shape": list(view.in_shape),
        "output_shape": list(view.out_shape),
        "shape": list(view.shape),
        "nnz": view.nnz,
        "density": view.density,
        "view": "numeric" if view.numeric else "symbolic",
        "weights": [{"name": n, "shape": list(s)} for n, s in view.weights],
    }
    entries = view.listing.triples() if view.listing is not None else view.entries
    if entries is not None:
        out["entries"] = [[r, c, v if view.numeric else str(v)] for r, c, v in entries]
    if view.row_counts is not None and view.col_counts is not None:
        out["stats"] = {
            "row_counts": {str(k): v for k, v in view.row_counts},
            "col_counts": {str(k): v for k, v in view.col_counts},
        }
    return out


#: Entries formatted per block by :func:`render_json` (bounds its temporaries).
JSON_BLOCK = 1 << 16


def render_json(view: MatrixView, dump: Callable[[Any], str]) -> str:
    """``dump(to_dict(view))`` (``dump``: the CLI's deterministic JSON writer, two-space
    indent and sorted keys, a list of scalars on one line), the same text byte for byte, with
    the entry listing
    formatted from its columns in blocks (no Python object per entry kept): each distinct
    symbolic value is JSON-encoded once, floats as ``repr`` (what ``json.dumps`` writes).
    Non-finite values are refused (JSON has none): ``ValueError``.

    >>> import numpy as np
    >>> from symconv.cli._common import dump_json
    >>> view = MatrixView(title="t", in_shape=(1, 2), out_shape=(1, 1), shape=(1, 2), nnz=2,
    ...                   weights=(), numeric=False, rows=(0,), cols=(0, 1), block=((1, 1),),
    ...                   listing=EntryListing(np.array([0, 0]), np.array([0, 1]),
    ...                                        codes=np.array([0, 0]), texts=("1/2",)))
    >>> render_json(view, dump_json) == dump_json(to_dict(view))
    True
    """
    import json

    listing = view.listing
    if listing is None:
        return dump(to_dict(view))
    head = dump(to_dict(MatrixView(**{
        **{f: getattr(view, f) for f in MatrixView.__dataclass_fields__}, "listing": None})))
    if not len(listing):
        body = "[]"
    else:
        inner = "    "
        if listing.values is not None:
            values = listing.values
            import numpy as np

            if not np.isfinite(values).all():
                raise ValueError("Out of range float values are not JSON compliant")
            encoded = None
        else:
            encoded = [json.dumps(t, ensure_ascii=True) for t in listing.texts]
        parts = []
        for s in range(0, len(listing), JSON_BLOCK):
            rows = listing.rows[s:s + JSON_BLOCK].tolist()
            cols = listing.cols[s:s + JSON_BLOCK].tolist()
            if encoded is None:
                vals = [repr(v) for v in listing.values[s:s + JSON_BLOCK].tolist()]
            else:
                vals = [encoded[c] for c in listing.codes[s:s + JSON_BLOCK].tolist()]
            parts.append(",\n".join(f"{inner}[{r}, {c}, {v}]"
                                     for r, c, v in zip(rows, cols, vals, strict=True)))
        body = "[\n" + ",\n".join(parts) + "\n  ]"
    # sorted keys: "entries" comes right after "density", which every view has
    lines = head.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  "density": '))
    lines.insert(at + 1, f'  "entries": {body},')
    return "\n".join(lines)
