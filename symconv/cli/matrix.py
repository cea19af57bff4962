"""``symconv matrix``: the exact matrix of one layer (symbolic, or numeric for given weights).

The command is parse -> :func:`analyse` -> render.  :meth:`MatrixQuery.from_options` turns the
options into a layer spec (the spec checks every rule and names the parameter);
:func:`analyse` builds the layer's index map with :func:`symconv.core.linear_map` and fills a
:class:`~symconv.report.matrix_text.MatrixView`: only the displayed block of a large matrix is
turned into SymPy objects, the full matrix only for ``--json``.

``--weights FILE.npy`` is read with ``numpy.load(..., allow_pickle=False)``: never a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

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
    MatrixView,
    render_latex,
    render_text,
    shown_indices,
    to_dict,
)
from symconv.spec import Layer

__all__ = ["LAYERS", "MatrixQuery", "analyse", "matrix"]

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
                                 "use-consistent-padding", "weights"},
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
_CONTROL = frozenset({"in_", "convention", "latex", "as_json", "stats", "max_nnz"})


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
        out = given.get("out_channels")
        if command in ("conv", "conv-transpose") and out is None:
            out = channels
        return cls(spec, (channels, *sizes), out, given.get("weights"),
                   bool(given.get("latex")), bool(given.get("as_json")),
                   bool(given.get("stats")), max_nnz)


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
    """A real-valued array from a ``.npy`` file; never unpickles."""
    import numpy as np

    try:
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
    """Build the layer's map and everything the chosen output shows (the library step)."""
    import numpy as np

    from symconv.core import IndexMap, linear_map

    weights = None if q.weights_path is None else _load_weights(q.weights_path)
    full_symbolic = q.as_json and weights is None
    m = linear_map(q.layer, q.input_shape, out_channels=q.out_channels, max_nnz=q.max_nnz,
                   view="symbolic" if full_symbolic else "numeric")
    if weights is not None:
        matrix = m.numeric(weights, max_nnz=q.max_nnz).tocoo()
        keep = matrix.data != 0
        pr, pc, values = matrix.row[keep], matrix.col[keep], matrix.data[keep]
    else:
        c = m.canonical()
        key = np.unique(c.rows * m.shape[1] + c.cols)
        pr, pc, values = key // m.shape[1], key % m.shape[1], None
    limits = LATEX_LIMITS if q.latex else TEXT_LIMITS
    rows = shown_indices(m.shape[0], limits[0])
    cols = shown_indices(m.shape[1], limits[1])
    # the displayed block only: entries of the shown rows and columns, renumbered
    r_pos = np.full(m.shape[0], -1, np.int64)
    r_pos[list(rows)] = np.arange(len(rows))
    c_pos = np.full(m.shape[1], -1, np.int64)
    c_pos[list(cols)] = np.arange(len(cols))
    sel = (r_pos[m.rows] >= 0) & (c_pos[m.cols] >= 0)
    sub = IndexMap(
        (len(rows), len(cols)), r_pos[m.rows[sel]], c_pos[m.cols[sel]], m.taps[sel],
        m.num[sel], m.den[sel], m.weights)
    if weights is not None:
        dense = sub.numeric(weights).toarray()
        block = tuple(tuple(float(v) for v in row) for row in dense)
    else:
        s = sub.symbolic()
        block = tuple(tuple(s[i, j] for j in range(len(cols))) for i in range(len(rows)))
    entries = None
    if q.as_json:
        if values is not None:
            entries = tuple(zip(pr.tolist(), pc.tolist(), values.tolist(), strict=True))
        else:
            dok = m.symbolic(max_nnz=q.max_nnz).todok()
            entries = tuple((i, j, dok[i, j]) for i, j in sorted(dok))
    row_counts = col_counts = None
    if q.stats:
        row_counts = _histogram(np.bincount(pr, minlength=m.shape[0]))
        col_counts = _histogram(np.bincount(pc, minlength=m.shape[1]))
    assert m.in_shape is not None and m.out_shape is not None
    return MatrixView(
        title=_title(q.layer), in_shape=tuple(m.in_shape), out_shape=tuple(m.out_shape),
        shape=m.shape, nnz=int(pr.size),
        weights=tuple((w.name, tuple(w.shape)) for w in m.weights),
        numeric=weights is not None, rows=rows, cols=cols, block=block, entries=entries,
        row_counts=row_counts, col_counts=col_counts)


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
              help="Entry budget (default 2,000,000 symbolic, 50,000,000 numeric).")
def matrix(layer: str, **options: Any) -> None:
    """The exact matrix of one LAYER: conv, conv-transpose, avg-pool, upsample-nearest,
    upsample-nearest-exact, upsample-linear, resize (or upsample) with --mode, pixel-shuffle,
    pixel-unshuffle, adaptive-avg-pool, global-avg-pool."""
    query = MatrixQuery.from_options(layer, **options)
    view = analyse(query)
    if query.as_json:
        click.echo(dump_json(to_dict(view)), nl=False)
    elif query.latex:
        click.echo(render_latex(view), nl=False)
    else:
        click.echo(render_text(view, unicode=stdout_is_unicode(), stats=query.stats), nl=False)
