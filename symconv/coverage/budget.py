"""Budgets of the coverage views, estimated from the layers and the input size and checked
before anything is allocated.

Every number here is integer arithmetic on the resolved sizes and the layers' parameters:
:func:`plan` resolves the stack (no arrays) and bounds, per layer, the entries of its 0/1
structure map (taps linking an input to an output), the positions of its input and output,
the phases of the checkerboard patterns and the receptive-field tables' work.  Three checks
read a plan:

* :func:`check_analysis` - the analysis (``analyze``, ``stack_coverage``): structure-map
  entries plus positions plus pattern phases against ``max_nnz`` (default
  :data:`DEFAULT_MAX_NNZ`, the CLI's ``--max-nnz``), and the receptive-field tables against
  :data:`~symconv.coverage.receptive.MAX_TABLE_WORK`;
* :func:`check_graph` - a graph export (``--graphml``, ``--dot``, streamed by
  :mod:`symconv.coverage.export`) or an in-memory networkx graph: nodes plus edges against
  ``max_graph`` (default :data:`DEFAULT_MAX_GRAPH` for the streamed files,
  :data:`DEFAULT_MAX_NX_GRAPH` for networkx, which needs about 1 KB per edge);
* the figures add their panels' positions to the analysis estimate (``png=True``).

The refusal names the layer that contributes most, its input and output positions, the estimate
in entries and in bytes (the measured cost per entry, see
``tests/benchmarks/bench_coverage_budget.py``), and the option that raises the budget.

>>> from symconv.spec import ConvTranspose
>>> p = plan([ConvTranspose(kernel=3, stride=2)], (8, 8))
>>> p.layers[0].nnz, p.positions, p.entries
(576, 353, 929)
>>> check_analysis(plan([ConvTranspose(kernel=3, stride=10**9)], 4))
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: max_nnz=40,000,000 must be at least the 3,000,000,019 entries (about 103 GiB) the coverage analysis needs: layer 1 'conv-transpose k=3 s=1000000000' maps 4 input positions to 3,000,000,003 output positions through 12 taps; pass max_nnz= (CLI: --max-nnz) to raise the budget
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from symconv._params import fmt
from symconv.coverage.structure import _sizes
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    Layer,
    MaxPool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
)

__all__ = [
    "DEFAULT_MAX_GRAPH",
    "DEFAULT_MAX_NNZ",
    "DEFAULT_MAX_NX_GRAPH",
    "CoveragePlan",
    "LayerPlan",
    "check_analysis",
    "check_graph",
    "check_graph_size",
    "plan",
]

#: Default entry budget of the analysis (structure-map entries + positions + pattern phases):
#: at most about 2 GiB and 10 s here (a convolution's entry costs about 46 bytes, a position
#: about 22).
DEFAULT_MAX_NNZ = 40_000_000

#: Default budget (nodes + edges) of a streamed ``--graphml`` / ``--dot`` export: about 5 s
#: here (about 1.5 microseconds and 170 bytes of GraphML per node or edge).
DEFAULT_MAX_GRAPH = 3_000_000

#: Default budget (nodes + edges) of an in-memory networkx graph (about 1 KB per edge).
DEFAULT_MAX_NX_GRAPH = 2_000_000

#: Measured peak bytes of the analysis per structure-map entry, by layer kind (building the
#: map, its CSR copy, and for fixed-weight layers the exact map of the constant check), per
#: position, per position of a 1-D axis (window arrays), per pattern phase, per position drawn
#: in a figure, and the process baseline (Python, NumPy, SciPy and symconv imported); see
#: ``tests/benchmarks/bench_coverage_budget.py``.
BYTES_PER_ENTRY = {"conv": 46, "pool": 40, "avg-pool": 64, "nearest": 34, "resize": 50,
                   "shuffle": 35, "adaptive": 45, "adaptive-avg": 72}
BYTES_PER_POSITION = 22
BYTES_PER_AXIS_POSITION = 5
BYTES_PER_PHASE = 24
BYTES_PER_FIGURE_POSITION = 40
BASELINE_BYTES = 60 << 20


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """One layer of a planned stack: 1-based ``index``, its input and output sizes and a
    bound on its structure map's entries (``nnz``; ``extra``: entries of the exact map the
    constant-preservation check builds for a fixed-weight layer)."""

    index: int
    layer: Layer
    input: tuple[int, ...]
    output: tuple[int, ...]
    nnz: int
    extra: int = 0
    kind: str = "conv"

    @property
    def nbytes(self) -> int:
        """Estimated bytes of its maps (see :data:`BYTES_PER_ENTRY`)."""
        return BYTES_PER_ENTRY[self.kind] * self.nnz

    @property
    def positions(self) -> int:
        return prod(self.output)

    def describe(self) -> str:
        """``layer 2 'conv k=3' maps 16x16 input positions ...`` for messages."""
        return (f"layer {self.index} {fmt(_text(self.layer))} maps {_count(prod(self.input))} "
                f"input positions to {_count(self.positions)} output positions through "
                f"{_count(self.nnz)} taps")


@dataclass(frozen=True, slots=True)
class CoveragePlan:
    """The sizes and bounds of a stack's coverage views (see module docs)."""

    layers: tuple[LayerPlan, ...]
    input_size: tuple[int, ...]
    phases: int = 0
    table_work: int = 0
    axis_positions: int = 0
    table_layer: int = 1
    phase_layer: int = 1

    @property
    def nnz(self) -> int:
        """Entries of every structure map (and of the exact maps of fixed-weight layers)."""
        return sum(lp.nnz + lp.extra for lp in self.layers)

    @property
    def positions(self) -> int:
        """Positions of the input and of every layer's output."""
        return prod(self.input_size) + sum(lp.positions for lp in self.layers)

    @property
    def entries(self) -> int:
        """What the analysis budget counts: entries + positions + pattern phases."""
        return self.nnz + self.positions + self.phases

    def nbytes(self, png: bool = False) -> int:
        """Estimated peak bytes of the analysis (with the figure when ``png``)."""
        total = (BASELINE_BYTES + sum(lp.nbytes for lp in self.layers)
                 + BYTES_PER_POSITION * self.positions
                 + BYTES_PER_AXIS_POSITION * self.axis_positions + BYTES_PER_PHASE * self.phases)
        if png:
            total += BYTES_PER_FIGURE_POSITION * self.positions
        return total

    @property
    def graph_size(self) -> int:
        """Nodes + edges of the coverage graph (edges bounded by the entries)."""
        return self.positions + sum(lp.nnz for lp in self.layers)

    def largest(self) -> LayerPlan:
        """The layer with the most entries + output positions (named in refusals)."""
        return max(self.layers, key=lambda lp: lp.nnz + lp.extra + lp.positions)


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**24 else fmt(n)


def _bytes(n: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{n:,} bytes"


def _text(layer: Layer) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except (InvalidSpecError, UnsupportedError):
        return repr(layer)


def _nnz(layer: Layer, r: Resolved, sizes: tuple[int, ...]) -> tuple[int, int, str]:
    """(bound on the structure map's entries, entries of the exact fixed-weight map, kind)."""
    spec = r.layer
    out = tuple(int(v) for v in r.output)
    if isinstance(layer, Conv):
        return prod(out) * prod(spec.kernel), 0, "conv"
    if isinstance(layer, AvgPool):
        n = prod(out) * prod(spec.kernel)
        return n, n, "avg-pool"
    if isinstance(layer, MaxPool):
        return prod(out) * prod(spec.kernel), 0, "pool"
    if isinstance(layer, ConvTranspose):
        return prod(sizes) * prod(spec.kernel), 0, "conv"
    if isinstance(layer, PixelShuffle):
        return prod(out), 0, "shuffle"
    if isinstance(layer, PixelUnshuffle):
        return prod(sizes), 0, "shuffle"
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        n = prod(s if s == o else s + o for s, o in zip(sizes, out, strict=True))
        if isinstance(layer, AdaptiveAvgPool):
            return n, n, "adaptive-avg"
        return n, 0, "adaptive"
    if isinstance(layer, Resize):
        if spec.convention in (Convention.TENSORFLOW, Convention.KERAS, Convention.JAX):
            from symconv.core.resample import tf_jax_taps

            n = prod(o * tf_jax_taps(spec, s, o) for s, o in zip(sizes, out, strict=True))
        else:
            taps = {ResizeMode.LINEAR: 2, ResizeMode.CUBIC: 4}.get(spec.mode, 1)
            n = prod(out) * taps ** len(sizes)
        nearest = spec.mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT)
        return n, 0, "nearest" if nearest else "resize"
    return 0, 0, "conv"  # max-unpooling: structure_map refuses it


def plan(layers: Sequence[Layer], input_size: Any) -> CoveragePlan:
    """Resolve ``layers`` on ``input_size`` and bound every view's size (no arrays).

    The receptive-field tables (pattern periods) are planned only when the entries fit in
    int64 arithmetic terms (a stack already far over any budget is refused on its entries).
    """
    items = tuple(layers) if not isinstance(layers, Layer) else (layers,)
    sizes = _sizes(input_size)
    out: list[LayerPlan] = []
    axis_positions = sum(sizes)
    current = sizes
    for i, layer in enumerate(items, 1):
        r = resolve(layer, current)
        nnz, extra, kind = _nnz(layer, r, current)
        output = tuple(int(v) for v in r.output)
        out.append(LayerPlan(i, layer, current, output, nnz, extra, kind))
        axis_positions += 3 * (sum(current) + sum(output))  # window arrays per axis
        current = output
    return CoveragePlan(tuple(out), sizes, 0, 0, axis_positions)


def _with_tables(p: CoveragePlan) -> CoveragePlan:
    """The plan with the checkerboard patterns' phases and the tables' work filled in."""
    from symconv.coverage.receptive import table_work

    layers = [lp.layer for lp in p.layers]
    nd = len(p.input_size)
    stack = [table_work(layers, p.input_size, a) for a in range(nd)]
    per_layer = [sum(stack[a][i][0] + stack[a][i][2] for a in range(nd))
                 for i in range(len(layers))]
    phases = sum(prod(stack[a][i][0] for a in range(nd)) for i in range(len(layers)))
    phases += prod(stack[a][-1][1] for a in range(nd))  # the stack's gradient pattern
    own = []
    for i, lp in enumerate(p.layers):
        single = [table_work([lp.layer], lp.input, a)[0] for a in range(nd)]
        per_layer[i] += sum(w + period for period, _, w in single)
        own.append(prod(t[0] for t in single) + prod(t[1] for t in single))
    worst = max(range(len(layers)), key=per_layer.__getitem__)
    most = max(range(len(layers)), key=own.__getitem__)
    return CoveragePlan(p.layers, p.input_size, phases + sum(own), sum(per_layer),
                        p.axis_positions, worst + 1, most + 1)


def check_analysis(p: CoveragePlan, max_nnz: int | None = None, *,
                   png: bool = False) -> CoveragePlan:
    """Refuse (``InvalidSpecError``) an analysis whose entries exceed ``max_nnz`` (default
    :data:`DEFAULT_MAX_NNZ`) or whose receptive-field tables exceed their work budget; return
    the plan with the tables' figures filled in."""
    limit = _limit("max_nnz", max_nnz, DEFAULT_MAX_NNZ)
    _refuse_entries(p, limit, png)
    from symconv.coverage.receptive import MAX_TABLE_WORK

    # the periods' arithmetic also reads the resize factors: refuse first on the cheap count
    full = _with_tables(p)
    _refuse_entries(full, limit, png)
    if full.table_work > MAX_TABLE_WORK:
        worst = full.layers[full.table_layer - 1]
        raise UnsupportedError(
            f"the receptive-field tables of this stack need {full.table_work:,} work units, "
            f"which must be at most {MAX_TABLE_WORK:,} (about 5 s; "
            f"symconv.coverage.receptive.MAX_TABLE_WORK): layer {worst.index} "
            f"{fmt(_text(worst.layer))} makes the period of its positions' receptive fields "
            "too long"
        )
    return full


def _refuse_entries(p: CoveragePlan, limit: int, png: bool) -> None:
    if p.entries <= limit:
        return
    why = p.largest().describe()
    if p.phases > p.nnz + p.positions:  # the patterns, not the maps: name the period's layer
        lp = p.layers[p.phase_layer - 1]
        why = (f"the checkerboard patterns need {_count(p.phases)} phases (one per position of "
               f"a period; layer {lp.index} {fmt(_text(lp.layer))} repeats its pattern only "
               "every stride or factor positions per axis)")
    raise InvalidSpecError(
        f"max_nnz={limit:,} must be at least the {_count(p.entries)} entries (about "
        f"{_bytes(p.nbytes(png))}) the coverage analysis needs: {why}; "
        "pass max_nnz= (CLI: --max-nnz) to raise the budget"
    )


def check_graph(p: CoveragePlan, max_graph: int | None = None) -> None:
    """Refuse a streamed graph export (``--graphml``, ``--dot``) of plan ``p`` whose nodes +
    edges exceed ``max_graph`` (default :data:`DEFAULT_MAX_GRAPH`)."""
    check_graph_size(p.positions, p.graph_size - p.positions, max_graph,
                     context=p.largest().describe())


def check_graph_size(nodes: int, edges: int, max_graph: int | None = None, *,
                     what: str = "graph export", default: int = DEFAULT_MAX_GRAPH,
                     option: str | None = "--max-graph", context: str = "") -> None:
    """Refuse a coverage graph of ``nodes + edges`` above ``max_graph`` (default
    ``default``), naming ``context`` (the largest layer) and the option that raises it.

    >>> check_graph_size(10, 20, 25)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: max_graph=25 must be at least the 30 nodes and edges of this graph export (10 nodes, up to 20 edges); pass max_graph= (CLI: --max-graph) to raise the budget
    """
    limit = _limit("max_graph", max_graph, default)
    if nodes + edges <= limit:
        return
    where = f": {context}" if context else ""
    cli = f" (CLI: {option})" if option else ""
    raise InvalidSpecError(
        f"max_graph={limit:,} must be at least the {_count(nodes + edges)} nodes and edges of "
        f"this {what} ({_count(nodes)} nodes, up to {_count(edges)} edges){where}; pass "
        f"max_graph={cli} to raise the budget"
    )


def _limit(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidSpecError(f"{name}={fmt(value)} must be a positive integer")
    return value
