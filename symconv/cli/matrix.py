"""``symconv matrix``: the exact matrix of one layer (symbolic, or numeric for given weights).

The command is parse -> :func:`analyse` -> render.  :meth:`MatrixQuery.from_options` turns the
options into a layer spec (the spec checks every rule and names the parameter);
:func:`analyse` builds the layer's index map with :func:`symconv.core.linear_map` and fills a
:class:`~symconv.report.matrix_text.MatrixView`: only the displayed block of a large matrix is
turned into SymPy objects; ``--json`` lists every entry from arrays, each distinct value
rendered by SymPy once.

Budgets, checked before the map is built (:func:`symconv.core.plan_map` counts its entries
from the sizes and the parameters): ``--max-nnz`` entries (default 50,000,000, or 2,000,000
listed by ``--json``) and ``--max-memory`` bytes for the whole command — the interpreter, the
map and every step after it (:data:`STEP_BYTES`, measured by
``tests/benchmarks/bench_memory.py``; default 3.5 GiB, which fits a 4 GiB address-space limit).
Nothing allocates memory or time proportional to the matrix's shape: a conv-transpose with
stride ``10**9`` has a few entries and billions of rows, and costs what its entries cost.

``--weights FILE.npy`` is read with ``numpy.load(..., allow_pickle=False)``: never a pickle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import click

from symconv._params import fmt
from symconv.cli._common import INT, SymconvCommand, dump_json, parse_sizes, stdout_is_unicode
from symconv.cli._layer_options import (
    build_layer,
    check_applicable,
    given_options,
    layer_options,
    layer_params,
    per_axis_values,
)
from symconv.errors import InvalidSpecError
from symconv.report.matrix_text import (
    LATEX_LIMITS,
    TEXT_LIMITS,
    EntryListing,
    MatrixView,
    render_json,
    render_latex,
    render_text,
    shown_indices,
)
from symconv.spec import Layer

__all__ = ["LAYERS", "STEP_BYTES", "MatrixQuery", "analyse", "estimate", "matrix", "parse_memory"]

_RESIZES = {"upsample-nearest": "nearest", "upsample-nearest-exact": "nearest-exact",
            "upsample-linear": "linear", "resize": None, "upsample": None}
LAYERS = ("conv", "conv-transpose", "avg-pool", *_RESIZES, "pixel-shuffle", "pixel-unshuffle",
          "adaptive-avg-pool", "global-avg-pool")

_WINDOW = frozenset({"kernel", "stride", "padding", "dilation", "channels"})
_RESIZE = frozenset({"scale", "size", "channels"})
# Which options each layer takes (command-line names without dashes).
_TAKES: dict[str, frozenset[str]] = {
    "conv": _WINDOW | {"groups", "out-channels", "weights"},
    "conv-transpose": _WINDOW | {"groups", "out-channels", "output-padding",
                                 "use-consistent-padding", "size", "weights"},
    "avg-pool": _WINDOW | {"ceil-mode", "count-include-pad"},
    "upsample-nearest": _RESIZE,
    "upsample-nearest-exact": _RESIZE,
    "upsample-linear": _RESIZE | {"align-corners"},
    "resize": _RESIZE | {"mode", "align-corners", "antialias"},
    "upsample": _RESIZE | {"mode", "align-corners", "antialias"},
    "pixel-shuffle": frozenset({"factor", "channels"}),
    "pixel-unshuffle": frozenset({"factor", "channels"}),
    "adaptive-avg-pool": frozenset({"size", "channels"}),
    "global-avg-pool": frozenset({"channels"}),
}
_CONTROL = frozenset({"in_", "convention", "latex", "as_json", "stats", "max_nnz",
                      "max_memory"})

#: Measured peak bytes per entry of each step after the map is built (the map's own build is
#: counted by its builder): ``pattern`` - the structural nonzeros as sorted int64 keys (key,
#: sort buffer, distinct keys); ``stats`` - their rows and columns for the histograms;
#: ``numeric`` - SciPy's CSR for the given weights; ``json-symbolic`` - the canonical form,
#: the listing's columns and codes and its text (two copies: string and bytes);
#: ``json-numeric`` - the listing's columns and text.
STEP_BYTES = {"pattern": 18, "stats": 20, "numeric": 40, "json-symbolic": 170,
              "json-numeric": 120}


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class MatrixQuery:
    """The parsed command line: a layer spec, the input shape ``(C, *spatial)`` and what to
    show."""

    layer: Layer
    input_shape: tuple[int, ...]
    out_channels: int | None = None
    weights_path: str | None = None
    latex: bool = False
    as_json: bool = False
    stats: bool = False
    max_nnz: int | None = None
    max_memory: int | None = None

    @classmethod
    def from_options(cls, layer: str, **o: Any) -> MatrixQuery:
        """Build a query from click's option values (``None``/``False`` = not given)."""
        command = layer.lower()
        given = given_options(o)
        check_applicable(_TAKES, command, command, given, _CONTROL)
        if given.get("latex") and given.get("as_json"):
            raise InvalidSpecError("--latex must not be combined with --json (pick one output)")
        if "in_" not in given:
            raise InvalidSpecError("--in must be given: input sizes such as 4x4")
        sizes = parse_sizes(given["in_"])
        nd = len(sizes)
        spec, channels = _layer(command, given, nd)
        max_nnz = given.get("max_nnz")
        if max_nnz is not None and max_nnz < 1:
            raise InvalidSpecError(f"--max-nnz={max_nnz} must be a positive integer")
        max_memory = given.get("max_memory")
        if max_memory is not None:
            max_memory = parse_memory(max_memory)
        out = given.get("out_channels")
        if command in ("conv", "conv-transpose") and out is None:
            out = channels
        return cls(spec, (channels, *sizes), out, given.get("weights"),
                   bool(given.get("latex")), bool(given.get("as_json")),
                   bool(given.get("stats")), max_nnz, max_memory)


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40}
_MEMORY = re.compile(r"\s*(\d{1,18}(?:\.\d{1,9})?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_memory(text: str) -> int:
    """``--max-memory``: bytes, or a number with a binary unit (``K``/``KiB``, ``M``/``MiB``,
    ``G``/``GiB``, ``T``/``TiB``; ``B`` for bytes).

    >>> parse_memory("3.5GiB"), parse_memory("512M"), parse_memory("1000")
    (3758096384, 536870912, 1000)
    >>> parse_memory("lots")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --max-memory='lots' must be a positive number of bytes, optionally with a unit: 4000000000, 512MiB, 3.5GiB
    """
    m = _MEMORY.fullmatch(str(text))
    unit = _UNITS.get(m.group(2).lower()) if m else None
    value = int(Fraction(m.group(1)) * unit) if m and unit is not None else 0
    if value < 1:
        raise InvalidSpecError(
            f"--max-memory={fmt(str(text))} must be a positive number of bytes, optionally "
            "with a unit: 4000000000, 512MiB, 3.5GiB"
        )
    return value


def _layer(command: str, given: dict[str, Any], nd: int) -> tuple[Layer, int]:
    """The spec the options describe, and the input channel count (channel counts are the
    map's, not the spec's: they default per layer and ``--out-channels`` goes to the map)."""
    params = layer_params(per_axis_values(given), given, nd)
    channels = params.pop("channels", None)
    params.pop("out_channels", None)
    convention = given.get("convention", "torch")
    if command in _RESIZES:
        if "scale" not in params and "size" not in params:
            raise InvalidSpecError(f"--scale or --size must be given for {command}")
        params["mode"] = _RESIZES[command] or params.get("mode", "nearest")
        return build_layer("resize", params, convention, nd), channels or 1
    spec = build_layer(command, params, convention, nd)
    if command in ("conv", "conv-transpose"):
        return spec, channels or params.get("groups", 1)
    if command == "pixel-shuffle":
        return spec, channels or params["factor"] ** nd
    return spec, channels or 1


# --------------------------------------------------------------------------- analysis


def _load_weights(path: str) -> Any:
    """A real-valued array from a ``.npy`` file; never unpickles.  The file is memory-mapped:
    nothing is read before its shape has been checked against the layer's weights."""
    import numpy as np

    try:
        try:
            arr = np.load(path, allow_pickle=False, mmap_mode="r")
        except ValueError:  # not mappable (an object array): NumPy's own message below
            arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        reason = " ".join(str(exc).split())
        raise InvalidSpecError(
            f"--weights={path!r} must be a readable .npy file of numbers ({reason})"
        ) from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iuf":
        raise InvalidSpecError(
            f"--weights={path!r} must hold integers or floats, not dtype "
            f"{getattr(arr, 'dtype', type(arr).__name__)}"
        )
    return arr


def analyse(q: MatrixQuery) -> MatrixView:
    """Build the layer's map and everything the chosen output shows (the library step).

    The whole command is budgeted first (see the module docs); a ``MemoryError`` that still
    happens (a smaller limit than the budget assumes) is refused in one line."""
    try:
        return _analyse(q)
    except MemoryError:
        raise _out_of_memory(q) from None


def _out_of_memory(q: MatrixQuery) -> InvalidSpecError:
    from symconv.core.budget import DEFAULT_MAX_MEMORY, format_bytes

    limit = DEFAULT_MAX_MEMORY if q.max_memory is None else q.max_memory
    return InvalidSpecError(
        f"--max-memory={format_bytes(limit).replace(' ', '')} must be at most the memory this "
        "process can allocate: it ran out of memory (MemoryError) making this matrix; lower "
        "--max-memory to be refused early, or use a smaller --in"
    )


def _step(q: MatrixQuery, numeric: bool) -> tuple[str, int]:
    """The budget view of the command and its bytes per entry after the build."""
    if q.as_json:
        per = STEP_BYTES["json-numeric"] + STEP_BYTES["numeric"] if numeric else STEP_BYTES[
            "json-symbolic"]
        return "json", per + (STEP_BYTES["stats"] if q.stats else 0)
    per = STEP_BYTES["numeric"] if numeric else STEP_BYTES["pattern"]
    return "numeric", per + (STEP_BYTES["stats"] if q.stats else 0)


def estimate(q: MatrixQuery) -> tuple[int, int]:
    """The entries of the layer's map and the estimated peak bytes of the whole command
    (baseline included), from the sizes and the parameters alone; refuses as the command
    would when a budget is exceeded."""
    from symconv.core import check_budget, plan_map
    from symconv.core.budget import BASELINE_BYTES

    view, per_entry = _step(q, q.weights_path is not None)
    plan = plan_map(q.layer, q.input_shape, out_channels=q.out_channels, view=view)
    check_budget(plan.nnz, q.max_nnz, view, max_memory=q.max_memory, per_entry=per_entry,
                 extra_bytes=plan.nbytes, what="matrix")
    return plan.nnz, BASELINE_BYTES + plan.nbytes + plan.nnz * per_entry


def _analyse(q: MatrixQuery) -> MatrixView:
    import numpy as np

    from symconv.core import linear_map

    estimate(q)  # refuse before anything is built
    weights = None if q.weights_path is None else _load_weights(q.weights_path)
    numeric = weights is not None
    view = _step(q, numeric)[0]
    m = linear_map(q.layer, q.input_shape, out_channels=q.out_channels, max_nnz=q.max_nnz,
                   view=view, max_memory=q.max_memory)
    limits = LATEX_LIMITS if q.latex else TEXT_LIMITS
    rows = shown_indices(m.shape[0], limits[0])
    cols = shown_indices(m.shape[1], limits[1])
    sub = _block_map(m, rows, cols)
    listing = None
    if numeric:
        matrix = m.numeric(weights, max_nnz=q.max_nnz, max_memory=q.max_memory)
        matrix.eliminate_zeros()
        matrix.sort_indices()
        if q.as_json and not bool(np.isfinite(matrix.data).all()):
            raise InvalidSpecError(f"--weights={fmt(q.weights_path)} must hold finite numbers "
                                   "for --json (JSON has no inf or nan)")
        nnz = int(matrix.nnz)
        dense = sub.numeric(weights).toarray()
        block = tuple(tuple(float(v) for v in row) for row in dense)
        pr = pc = None
        if q.as_json or q.stats:
            pr = _expand_rows(matrix.indptr)
            pc = matrix.indices
        if q.as_json:
            listing = EntryListing(pr, pc, values=matrix.data)
    else:
        block = _symbolic_block(sub)
        if q.as_json:
            listing = _symbolic_listing(m)
            pr, pc, nnz = listing.rows, listing.cols, len(listing)
        else:
            keys = _pattern_keys(m)
            nnz = int(keys.size)
            pr, pc = (keys // m.shape[1], keys % m.shape[1]) if q.stats else (None, None)
    row_counts = col_counts = None
    if q.stats and pr is not None and pc is not None:
        row_counts = _run_histogram(pr, m.shape[0])
        col_counts = _count_histogram(pc, m.shape[1])
    assert m.in_shape is not None and m.out_shape is not None
    return MatrixView(
        title=_title(q.layer), in_shape=tuple(m.in_shape), out_shape=tuple(m.out_shape),
        shape=m.shape, nnz=nnz,
        weights=tuple((w.name, tuple(w.shape)) for w in m.weights),
        numeric=numeric, rows=rows, cols=cols, block=block, listing=listing,
        row_counts=row_counts, col_counts=col_counts)


def _shown(values: Any, n: int, shown: tuple[int, ...]) -> Any:
    """Which of ``values`` (positions on an axis of length ``n``) a view shows: all of them,
    or the first and last halves (:func:`shown_indices`), by two comparisons."""
    import numpy as np

    if len(shown) == n:
        return np.ones(values.shape, dtype=bool)
    half = len(shown) // 2
    return (values < half) | (values >= n - half)


def _block_map(m: Any, rows: tuple[int, ...], cols: tuple[int, ...]) -> Any:
    """The entries of the displayed rows and columns, renumbered into the block (no array
    of the matrix's shape: a huge but sparse matrix costs its entries)."""
    import numpy as np

    from symconv.core import IndexMap

    sel = np.flatnonzero(_shown(m.rows, m.shape[0], rows) & _shown(m.cols, m.shape[1], cols))
    r_pos = np.searchsorted(np.asarray(rows, dtype=np.int64), m.rows[sel])
    c_pos = np.searchsorted(np.asarray(cols, dtype=np.int64), m.cols[sel])
    return IndexMap((len(rows), len(cols)), r_pos, c_pos, m.taps[sel], m.num[sel], m.den[sel],
                    m.weights)


def _symbol(m: Any, tap: int) -> Any:
    """The SymPy symbol of flat weight index ``tap`` (as :func:`symconv.core.weight_symbols`
    names it), made on demand: only the weights the shown entries use."""
    import numpy as np
    import sympy

    for w in m.weights:
        if w.offset <= tap < w.offset + w.size:
            idx = np.unravel_index(tap - w.offset, w.shape)
            return sympy.Symbol(f"{w.name}_{{{','.join(str(int(i)) for i in idx)}}}", real=True)
    raise InvalidSpecError(f"tap={tap} must index one of the map's weights")  # pragma: no cover


def _terms(c: Any) -> tuple[Any, list[Any]]:
    """Each distinct term (coefficient and monomial) of the canonical map ``c``: the code of
    every entry and one SymPy expression per code."""
    import numpy as np
    import sympy

    if not c.nnz:
        return np.zeros(0, np.int64), []
    unit = bool((c.num == 1).all() and (c.den == 1).all())
    if unit and c.degree <= 1:
        table = c.taps.reshape(c.nnz, -1)[:, :1] if c.degree else np.zeros((c.nnz, 1), np.int64)
        keys, codes = np.unique(table[:, 0], return_inverse=True)
        keys = keys.reshape(-1, 1)
        exprs = [(_symbol(c, int(k[0])) if c.degree else sympy.Integer(1)) for k in keys]
        return codes.reshape(-1), exprs
    table = np.column_stack([c.taps, c.num, c.den])
    keys, codes = np.unique(table, axis=0, return_inverse=True)
    exprs = []
    for key in keys.tolist():
        *taps, nu, de = key
        coef = sympy.Rational(nu, de)
        exprs.append(sympy.Mul(coef, *(_symbol(c, t) for t in taps)) if taps else coef)
    return codes.reshape(-1), exprs


def _symbolic_listing(m: Any) -> EntryListing:
    """Every structural nonzero of the symbolic matrix, in row-major order: the canonical map
    grouped by (row, col); a one-term entry is its term's text, a sum is rendered once per
    distinct combination of terms (SymPy's str, as ``m.symbolic()`` would print it)."""
    import numpy as np
    import sympy

    c = m.canonical()
    if not c.nnz:
        empty = np.zeros(0, np.int64)
        return EntryListing(empty, empty, codes=empty, texts=())
    first = np.ones(c.nnz, dtype=bool)
    first[1:] = (c.rows[1:] != c.rows[:-1]) | (c.cols[1:] != c.cols[:-1])
    starts = np.flatnonzero(first)
    del first
    term_codes, exprs = _terms(c)
    texts = [str(e) for e in exprs]
    codes = term_codes[starts]
    sizes = np.diff(np.append(starts, c.nnz))
    multi = np.flatnonzero(sizes > 1)
    if multi.size:  # sums of several terms: one SymPy Add per distinct combination
        seen: dict[tuple[int, ...], int] = {}
        term_list = term_codes.tolist()
        for g, a, n in zip(multi.tolist(), starts[multi].tolist(), sizes[multi].tolist(),
                           strict=True):
            key = tuple(term_list[a:a + n])
            code = seen.get(key)
            if code is None:
                code = seen[key] = len(texts)
                texts.append(str(sympy.Add(*(exprs[t] for t in key))))
            codes[g] = code
    return EntryListing(c.rows[starts], c.cols[starts], codes=codes, texts=tuple(texts))


def _symbolic_block(sub: Any) -> tuple[tuple[Any, ...], ...]:
    """The displayed block (at most 16 x 16) as SymPy objects, zeros where no entry."""
    import sympy

    c = sub.canonical()
    term_codes, exprs = _terms(c)
    cells: dict[tuple[int, int], list[Any]] = {}
    for k, (r, col) in enumerate(zip(c.rows.tolist(), c.cols.tolist(), strict=True)):
        cells.setdefault((r, col), []).append(exprs[term_codes[k]])
    out = [[sympy.S.Zero] * sub.shape[1] for _ in range(sub.shape[0])]
    for (r, col), terms in cells.items():
        out[r][col] = sympy.Add(*terms)
    return tuple(tuple(row) for row in out)


def _pattern_keys(m: Any) -> Any:
    """The structural nonzeros as sorted distinct keys ``row * n_cols + col`` (a map whose
    coefficients could cancel is summed first).  Sorted in place with a stable sort, which
    runs in near-linear time on the builders' partly ordered entries."""
    import numpy as np

    if not (m.num > 0).all():
        m = m.canonical()
    if m.shape[0] * m.shape[1] >= 2**63:  # beyond one int64 key: sort the pairs
        order = np.lexsort((m.cols, m.rows))
        r, c = m.rows[order], m.cols[order]
        keep = np.ones(r.size, dtype=bool)
        keep[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        return _PairKeys(r[keep], c[keep], m.shape[1])
    key = m.rows * m.shape[1]
    key += m.cols
    key.sort(kind="stable")
    if key.size < 2:
        return key
    keep = np.empty(key.size, dtype=bool)
    keep[0] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    return key if keep.all() else key[keep]


class _PairKeys:
    """Sorted distinct (row, col) pairs standing in for int64 keys when ``rows * cols``
    exceeds int64: ``keys // n`` and ``keys % n`` give them back."""

    def __init__(self, rows: Any, cols: Any, n: int) -> None:
        self.rows, self.cols, self.n = rows, cols, n
        self.size = int(rows.size)

    def __floordiv__(self, n: int) -> Any:
        return self.rows

    def __mod__(self, n: int) -> Any:
        return self.cols


def _expand_rows(indptr: Any) -> Any:
    """Row index of every CSR entry."""
    import numpy as np

    return np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))


def _run_histogram(rows: Any, n: int) -> tuple[tuple[int, int], ...]:
    """Histogram of nonzeros per row from the sorted row of every nonzero (empty rows counted
    as ``n`` minus the occupied ones; nothing of size ``n`` allocated)."""
    import numpy as np

    if not rows.size:
        return ((0, n),)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    per_row = np.diff(np.append(starts, rows.size))
    return _with_zeros(per_row, n)


def _count_histogram(cols: Any, n: int) -> tuple[tuple[int, int], ...]:
    """Histogram of nonzeros per column (unsorted columns): a bincount when ``n`` is not much
    larger than the entries, else the counts of the distinct columns."""
    import numpy as np

    if n <= 2 * cols.size + (1 << 20):
        return _histogram(np.bincount(cols, minlength=n))
    _, per_col = np.unique(cols, return_counts=True)
    return _with_zeros(per_col, n)


def _with_zeros(counts: Any, n: int) -> tuple[tuple[int, int], ...]:
    hist = dict(_histogram(counts))
    if n > counts.size:
        hist[0] = hist.get(0, 0) + n - int(counts.size)
    return tuple(sorted(hist.items()))


def _histogram(counts: Any) -> tuple[tuple[int, int], ...]:
    import numpy as np

    values, times = np.unique(counts, return_counts=True)
    return tuple(zip(values.tolist(), times.tolist(), strict=True))


def _title(layer: Layer) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except InvalidSpecError:  # not expressible in the layer syntax (e.g. another convention)
        return repr(layer)


# --------------------------------------------------------------------------- the command

EPILOG = """\b
Examples:
  symconv matrix conv --in 4x4 --kernel 3
  symconv matrix conv --in 5x5 --kernel 3 --stride 2 --padding 1 --stats
  symconv matrix conv-transpose --in 2x2 --kernel 3 --stride 2 --latex
  symconv matrix conv --in 4x4 --kernel 3 --weights kernel.npy
  symconv matrix avg-pool --in 4 --kernel 2
  symconv matrix upsample-linear --in 3 --scale 2 --align-corners
  symconv matrix resize --in 4 --scale 3/2 --mode nearest-exact --json
  symconv matrix resize --in 4x4 --scale 2 --mode cubic
  symconv matrix resize --in 6 --size 4 --mode linear --convention jax
  symconv matrix pixel-shuffle --in 2x2 --factor 2
  symconv matrix adaptive-avg-pool --in 5 --size 3
  symconv matrix global-avg-pool --in 3x3
  symconv matrix conv --in 128x128 --kernel 3 --stats

\b
Value syntax:
  sizes     224, 224x224 (one per axis): --in, --size (adaptive-avg-pool: none keeps an
            axis, nonex3)
  per axis  7 (every axis) or 3x5: --kernel, --stride, --dilation, --output-padding
  padding   1 | 1x2 | 1:2 (before:after) | 1:2x0:1 | same | valid | ...
  scale     2 | 3/2 (exact) | 1.5 (a float, as the framework computes it) | 2x3

\b
The matrix acts on one sample flattened in C order over (C, *spatial); weights are the
symbols w_{i,j,...} in weight layout (conv: C_out, C_in/groups, *k; conv-transpose:
C_in, C_out/groups, *k).  Large matrices show their first and last rows and columns.
--weights FILE.npy (read without pickle) gives the numeric matrix.

\b
Exit status: 0 success, 2 bad input (one line on stderr).
"""


@click.command(cls=SymconvCommand, epilog=EPILOG,
               short_help="The exact matrix of one layer (symbolic or numeric).")
@layer_options(LAYERS, help_texts={
    "in": "Input spatial size(s): 4 or 4x4.",
    "kernel": "Kernel size: 3 or 3x5.",
    "stride": "Stride (avg-pool: defaults to the kernel).",
    "channels": "Input channels (default 1; groups for convs; factor**D for pixel-shuffle).",
    "out-channels": "Output channels (default: the input's).",
    "ceil-mode": "Ceil mode (avg-pool).",
    "count-include-pad": "avg-pool: count padded positions (default: the convention's).",
    "size": "Resize output size instead of --scale; adaptive-avg-pool output size.",
    "mode": "Resize mode for resize/upsample (default nearest).",
})
@click.option("--weights", metavar="FILE.npy",
              help="Weights in layer layout (.npy, no pickle): print the numeric matrix.")
@click.option("--latex", is_flag=True, default=False, help="LaTeX (amsmath bmatrix).")
@click.option("--json", "as_json", is_flag=True, default=False,
              help="JSON with every entry [row, col, value].")
@click.option("--stats", is_flag=True, default=False,
              help="Shape, nnz, density and histograms of nonzeros per row and per column.")
@click.option("--max-nnz", type=INT, metavar="N",
              help="Entry budget (default 50,000,000; 2,000,000 with --json).")
@click.option("--max-memory", metavar="BYTES",
              help="Memory budget of the whole command: 4000000000, 512MiB, 3.5GiB (default "
                   "3.5GiB, which fits a 4 GiB address-space limit).")
def matrix(layer: str, **options: Any) -> None:
    """The exact matrix of one LAYER: conv, conv-transpose, avg-pool, upsample-nearest,
    upsample-nearest-exact, upsample-linear, resize (or upsample) with --mode, pixel-shuffle,
    pixel-unshuffle, adaptive-avg-pool, global-avg-pool."""
    query = MatrixQuery.from_options(layer, **options)
    view = analyse(query)
    try:  # the whole text is made (and encoded) before anything is written: all or nothing
        if query.as_json:
            text = render_json(view, dump_json)
        elif query.latex:
            text = render_latex(view)
        else:
            text = render_text(view, unicode=stdout_is_unicode(), stats=query.stats)
        del view
        click.echo(text, nl=False)
    except MemoryError:
        raise _out_of_memory(query) from None
