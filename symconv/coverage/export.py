"""Streamed GraphML and DOT exports of the coverage graph, written straight from the structure
maps (no networkx graph in between).

The text is byte for byte what :func:`symconv.coverage.graph.to_graphml` (networkx's GraphML
writer) and :func:`symconv.coverage.graph.to_dot` give for :func:`graph_from_maps` of the same
maps: nodes in order (layer, then position in C order), edges sorted by (source, target),
repeated pairs merged (``count``, smallest ``tap``).  It comes in chunks of at most
:data:`CHUNK` edges or nodes, so the memory beside the maps is one layer's node ids and the
sorted edge arrays of one layer; the time is about a microsecond per edge.  The size of an
export is checked first (:func:`symconv.coverage.budget.check_graph`) and
:func:`export_bytes` estimates its peak memory.

>>> from symconv.coverage import stack_coverage
>>> from symconv.spec import Conv
>>> st = stack_coverage([Conv(kernel=2)], 2)
>>> print("".join(iter_dot(st.maps)), end="")
digraph coverage {
  rankdir=LR;
  node [shape=circle, fontsize=10];
  subgraph layer_0 {
    rank=same;
    "L0:c0:0" [label="0"];
    "L0:c0:1" [label="1"];
  }
  subgraph layer_1 {
    rank=same;
    "L1:c0:0" [label="0"];
  }
  "L0:c0:0" -> "L1:c0:0" [label="t0"];
  "L0:c0:1" -> "L1:c0:0" [label="t1"];
}
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core import IndexMap
from symconv.coverage.budget import BYTES_PER_POSITION, CoveragePlan
from symconv.errors import InvalidSpecError

__all__ = [
    "CHUNK",
    "export_bytes",
    "iter_dot",
    "iter_graphml",
]

#: Edges (or nodes) formatted per chunk of text.
CHUNK = 1 << 16

#: Measured peak bytes per node and per edge of a streamed export, beyond the analysis.
EXPORT_BYTES_PER_NODE = 150
EXPORT_BYTES_PER_EDGE = 48

_HEAD = ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
         'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')


def export_bytes(p: CoveragePlan, fmt: str = "graphml") -> int:
    """Estimated peak bytes of ``symconv coverage`` writing a graph export of plan ``p``:
    the analysis, then the largest layer's node ids (two layers) and sorted edges."""
    del fmt  # both writers hold the same arrays
    sizes = [prod(p.input_size)] + [lp.positions for lp in p.layers]
    nodes = max(a + b for a, b in itertools.pairwise(sizes))
    edges = max(lp.nnz for lp in p.layers)
    extra = EXPORT_BYTES_PER_NODE * nodes + EXPORT_BYTES_PER_EDGE * edges
    return p.nbytes() + max(extra - BYTES_PER_POSITION * p.positions // 2, 0)


def _check(maps: Sequence[IndexMap]) -> list[tuple[int, ...]]:
    if not maps:
        raise InvalidSpecError("maps=() must hold at least one structure map")
    shapes: list[tuple[int, ...]] = []
    for layer, m in enumerate(maps, 1):
        if m.in_shape is None or m.out_shape is None:
            raise InvalidSpecError("maps must come from the layer builders (with shapes)")
        if m.degree > 1:
            raise InvalidSpecError(f"map {layer} has degree {m.degree}: give one map per layer")
        if not shapes:
            shapes.append(tuple(m.in_shape))
        elif prod(shapes[-1]) != m.shape[1]:
            raise InvalidSpecError(
                f"map {layer} reads {m.shape[1]} positions but layer {layer - 1} has "
                f"{prod(shapes[-1])}"
            )
        shapes.append(tuple(m.out_shape))
    return shapes


def _positions(shape: tuple[int, ...]) -> list[str]:
    """``"3,4"`` for every position of ``(C, *spatial)`` in C order (channels repeat them)."""
    channels, spatial = shape[0], shape[1:]
    grid = np.unravel_index(np.arange(prod(spatial), dtype=np.int64), spatial)
    if len(spatial) == 1:
        texts = [str(v) for v in grid[0].tolist()]
    else:
        texts = [",".join(map(str, p)) for p in zip(*(g.tolist() for g in grid), strict=True)]
    return texts * channels if channels > 1 else texts


def _ids(layer: int, shape: tuple[int, ...]) -> list[str]:
    channels = shape[0]
    per = prod(shape[1:])
    texts = _positions(shape)
    return [f"L{layer}:c{i // per}:{t}" for i, t in enumerate(texts)] if channels > 1 else [
        f"L{layer}:c0:{t}" for t in texts]


def _edges(m: IndexMap) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(cols, rows, taps, counts) of one map, pairs merged, sorted by (col, row)."""
    from symconv.coverage.graph import _may_repeat, _merged

    if _may_repeat(m):
        rows, cols, taps, counts = _merged(m)
    else:
        taps = m.taps[:, 0] if m.degree else np.full(m.nnz, -1, dtype=np.int64)
        rows, cols, counts = m.rows, m.cols, np.ones(m.nnz, dtype=np.int64)
    order = np.lexsort((rows, cols))
    return cols[order], rows[order], taps[order], counts[order]


def _values(values: Sequence[NDArray[Any]] | None, layer: int) -> list[int] | None:
    return None if values is None else np.asarray(values[layer]).ravel().tolist()


def iter_graphml(maps: Sequence[IndexMap],
                 values: Sequence[NDArray[Any]] | None = None) -> Iterator[str]:
    """The GraphML text of the coverage graph of ``maps`` in chunks (see module docs); node
    attribute ``paths`` from ``values`` (one array per layer) when given."""
    shapes = _check(maps)
    has_edges = any(m.nnz for m in maps)
    node_keys = ["layer", "channel", "pos"] + (["paths"] if values is not None else [])
    edge_keys = ["layer", "tap", "count"] if has_edges else []
    keys = [(f"d{i}", "node", name, "string" if name == "pos" else "long")
            for i, name in enumerate(node_keys)]
    keys += [(f"d{i + len(node_keys)}", "edge", name, "long") for i, name in enumerate(edge_keys)]
    head = [_HEAD]
    head += [f'  <key id="{k}" for="{f}" attr.name="{n}" attr.type="{t}" />\n'
             for k, f, n, t in reversed(keys)]
    head.append('  <graph edgedefault="directed">\n')
    yield "".join(head)
    for layer, shape in enumerate(shapes):
        ids, texts = _ids(layer, shape), _positions(shape)
        per = prod(shape[1:])
        vals = _values(values, layer)
        for start in range(0, len(ids), CHUNK):
            stop = min(start + CHUNK, len(ids))
            if vals is None:
                yield "".join([
                    f'    <node id="{ids[i]}">\n      <data key="d0">{layer}</data>\n'
                    f'      <data key="d1">{i // per}</data>\n'
                    f'      <data key="d2">{texts[i]}</data>\n    </node>\n'
                    for i in range(start, stop)])
            else:
                yield "".join([
                    f'    <node id="{ids[i]}">\n      <data key="d0">{layer}</data>\n'
                    f'      <data key="d1">{i // per}</data>\n'
                    f'      <data key="d2">{texts[i]}</data>\n'
                    f'      <data key="d3">{vals[i]}</data>\n    </node>\n'
                    for i in range(start, stop)])
    k = len(node_keys)
    tail = (f'">\n      <data key="d{k}">', f'</data>\n      <data key="d{k + 1}">',
            f'</data>\n      <data key="d{k + 2}">', "</data>\n    </edge>\n")
    yield from _edge_chunks(maps, shapes, lambda u, v, layer, t, c: (
        f'    <edge source="{u}" target="{v}{tail[0]}{layer}{tail[1]}{t}{tail[2]}{c}{tail[3]}'))
    yield "  </graph>\n</graphml>\n"


def _edge_chunks(maps: Sequence[IndexMap], shapes: list[tuple[int, ...]], line: Any
                 ) -> Iterator[str]:
    inputs = _ids(0, shapes[0])
    for layer, m in enumerate(maps, 1):
        outputs = _ids(layer, shapes[layer])
        cols, rows, taps, counts = _edges(m)
        for start in range(0, cols.size, CHUNK):
            part = slice(start, start + CHUNK)
            yield "".join([line(inputs[c], outputs[r], layer, t, n) for c, r, t, n in zip(
                cols[part].tolist(), rows[part].tolist(), taps[part].tolist(),
                counts[part].tolist(), strict=True)])
        del cols, rows, taps, counts
        inputs = outputs


def _dot_label(t: int, c: int) -> str:
    return ("" if t < 0 else f"t{t}") + ("" if c == 1 else f" x{c}")


def iter_dot(maps: Sequence[IndexMap],
             values: Sequence[NDArray[Any]] | None = None) -> Iterator[str]:
    """The Graphviz DOT text of the coverage graph of ``maps`` in chunks (see module docs)."""
    shapes = _check(maps)
    yield "digraph coverage {\n  rankdir=LR;\n  node [shape=circle, fontsize=10];\n"
    for layer, shape in enumerate(shapes):
        ids, texts = _ids(layer, shape), _positions(shape)
        vals = _values(values, layer)
        yield f"  subgraph layer_{layer} {{\n    rank=same;\n"
        for start in range(0, len(ids), CHUNK):
            stop = min(start + CHUNK, len(ids))
            if vals is None:
                yield "".join([f'    "{ids[i]}" [label="{texts[i]}"];\n'
                               for i in range(start, stop)])
            else:
                yield "".join([f'    "{ids[i]}" [label="{texts[i]}\\n{vals[i]}"];\n'
                               for i in range(start, stop)])
        yield "  }\n"
    yield from _edge_chunks(maps, shapes, lambda u, v, layer, t, c: (
        f'  "{u}" -> "{v}" [label="{_dot_label(t, c)}"];\n'))
    yield "}\n"
