"""The coverage graph: input pixel -> output pixel, one edge per (input, output) pair a tap links.

Nodes are ``(layer, channel, position)`` tuples: ``layer`` 0 is the input of the stack,
``layer`` l the output of the l-th layer; ``position`` is a tuple with one entry per spatial
axis.  The graph is built from the operator core's single-channel structure maps
(:func:`symconv.coverage.structure_map`), so ``channel`` is 0.  Edge data:

* ``layer`` — which layer (1-based) the edge belongs to;
* ``tap`` — the flat weight index (C order over the kernel) of a convolution, the window
  offset of a pool, the channel (phase) of a pixel (un)shuffle, ``-1`` for a resize;
* ``count`` — how many terms link the pair (1, except where a reflect/replicate/circular
  padding folds two taps onto one input; ``tap`` is then the smallest of them).

Path counts in this layered graph are the stack's coverage (theorem T18) and reachability gives
receptive fields (T19); :mod:`symconv.coverage` computes the same numbers with sparse products,
without the graph.  The graph is built from prebuilt edge arrays: node tuples are made once per
node, edge attribute dicts once per distinct ``(layer, tap, count)``, and ``add_edges_from``
does the rest.

>>> from symconv.spec import ConvTranspose
>>> G = coverage_graph([ConvTranspose(kernel=3, stride=2)], 2)
>>> sorted(G.predecessors((1, 0, (2,))))
[(0, 0, (0,)), (0, 0, (1,))]
>>> G.edges[(0, 0, (1,)), (1, 0, (2,))]
{'layer': 1, 'tap': 0, 'count': 1}
>>> [path_counts(G)[(1, 0, (j,))] for j in range(5)]
[1, 1, 2, 1, 1]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core import IndexMap
from symconv.errors import InvalidSpecError

__all__ = [
    "coverage_graph",
    "edge_list",
    "graph_from_maps",
    "node_id",
    "path_counts",
    "reachable_inputs",
    "to_dot",
    "to_graphml",
]

Node = tuple[int, int, tuple[int, ...]]


def _nodes(layer: int, shape: tuple[int, ...]) -> list[Node]:
    """Node tuples of one layer in flat C order over ``(C, *spatial)``."""
    channels, spatial = shape[0], shape[1:]
    grid = np.unravel_index(np.arange(prod(spatial), dtype=np.int64), spatial)
    positions = list(zip(*(g.tolist() for g in grid), strict=True))
    return [(layer, c, p) for c in range(channels) for p in positions]


def _merged(m: IndexMap) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(rows, cols, tap, count) with repeated (row, col) pairs merged (only folding paddings
    repeat a pair; the check is skipped for maps the builders make unique)."""
    taps = m.taps[:, 0] if m.degree else np.full(m.nnz, -1, dtype=np.int64)
    key = m.rows * m.shape[1] + m.cols
    order = np.argsort(key, kind="stable")
    sk = key[order]
    new = np.ones(sk.size, dtype=bool)
    new[1:] = sk[1:] != sk[:-1]
    if new.all():
        return m.rows, m.cols, taps, np.ones(m.nnz, dtype=np.int64)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, sk.size))
    first_tap = np.minimum.reduceat(taps[order], starts)
    keep = order[starts]
    return m.rows[keep], m.cols[keep], first_tap, counts


def _may_repeat(m: IndexMap) -> bool:
    """Only maps of convolutions with a folding padding mode can repeat a (row, col) pair."""
    return bool(m.weights) and m.weights[0].name not in ("window", "phase") and m.nnz > 0


def edge_list(maps: Sequence[IndexMap]) -> list[tuple[Node, Node, dict[str, int]]]:
    """The prebuilt ``(u, v, data)`` edge list of a stack of structure maps (see module docs).

    >>> from symconv.coverage import structure_map
    >>> from symconv.spec import Conv
    >>> edge_list([structure_map(Conv(kernel=2), 3)])[:2]
    [((0, 0, (0,)), (1, 0, (0,)), {'layer': 1, 'tap': 0, 'count': 1}), ((0, 0, (1,)), (1, 0, (0,)), {'layer': 1, 'tap': 1, 'count': 1})]
    """
    edges: list[tuple[Node, Node, dict[str, int]]] = []
    for layer_edges in _edges(maps):
        edges.extend(layer_edges)
    return edges


def _edges(maps: Sequence[IndexMap]) -> Iterator[Iterator[tuple[Node, Node, dict[str, int]]]]:
    """Per layer, an iterator of ``(u, v, data)`` (node tuples made once per node, data dicts
    once per distinct ``(tap, count)``)."""
    if not maps:
        raise InvalidSpecError("maps=() must hold at least one structure map")
    previous: list[Node] | None = None
    for layer, m in enumerate(maps, 1):
        if m.in_shape is None or m.out_shape is None:
            raise InvalidSpecError("maps must come from the layer builders (with shapes)")
        if m.degree > 1:
            raise InvalidSpecError(f"map {layer} has degree {m.degree}: give one map per layer")
        inputs = previous if previous is not None else _nodes(layer - 1, m.in_shape)
        if len(inputs) != m.shape[1]:
            raise InvalidSpecError(
                f"map {layer} reads {m.shape[1]} positions but layer {layer - 1} has "
                f"{len(inputs)}"
            )
        outputs = _nodes(layer, m.out_shape)
        if _may_repeat(m):
            rows, cols, taps, counts = _merged(m)
        else:
            taps = m.taps[:, 0] if m.degree else np.full(m.nnz, -1, dtype=np.int64)
            rows, cols, counts = m.rows, m.cols, None
        if counts is None or bool(np.all(counts == 1)):
            shared = {int(t): {"layer": layer, "tap": int(t), "count": 1}
                      for t in np.unique(taps).tolist()}
            data = map(shared.__getitem__, taps.tolist())
        else:
            pairs = taps * (int(counts.max()) + 1) + counts
            table = {int(p): {"layer": layer, "tap": int(t), "count": int(c)}
                     for p, t, c in zip(*(np.unique(np.stack([pairs, taps, counts]), axis=1)
                                         .tolist()), strict=True)}
            data = map(table.__getitem__, pairs.tolist())
        yield zip(map(inputs.__getitem__, cols.tolist()),
                  map(outputs.__getitem__, rows.tolist()), data, strict=False)
        previous = outputs


def graph_from_maps(maps: Sequence[IndexMap], *, max_graph: int | None = None) -> Any:
    """The layered coverage graph (``networkx.DiGraph``) of a stack of structure maps.

    Every position is a node, also those no edge reaches (coverage 0).  ``G.graph`` records
    the spatial shape of every layer (``shapes``).  A networkx graph costs about a kilobyte
    and a few microseconds per edge: nodes + edges above ``max_graph`` (default
    :data:`~symconv.coverage.budget.DEFAULT_MAX_NX_GRAPH`) are refused before any is made;
    files are better written by :mod:`symconv.coverage.export`, which streams them.
    """
    import gc

    import networkx as nx

    from symconv.coverage.budget import DEFAULT_MAX_NX_GRAPH, check_graph_size

    if maps:
        nodes = prod(maps[0].in_shape or (maps[0].shape[1],)) + sum(m.shape[0] for m in maps)
        check_graph_size(nodes, sum(m.nnz for m in maps), max_graph, what="networkx graph",
                         default=DEFAULT_MAX_NX_GRAPH, option=None)

    G = nx.DiGraph()
    # Millions of fresh tuples and dicts would trigger the cyclic collector over and over (it
    # slows add_edges_from by half); none of them can form a cycle, so pause it meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        for layer_edges in _edges(maps):  # streamed: no list of every edge in between
            G.add_edges_from(layer_edges)
        G.graph["shapes"] = ([tuple(maps[0].in_shape or ())]
                             + [tuple(m.out_shape or ()) for m in maps])
        _add_untouched(G, maps)
    finally:
        if paused:
            gc.enable()
    return G


def _add_untouched(G: Any, maps: Sequence[IndexMap]) -> None:
    """Positions no edge touches (coverage 0, or inputs nobody reads) are nodes too."""
    shapes = G.graph["shapes"]
    total = sum(prod(s) for s in shapes)
    for layer, shape in enumerate(shapes):
        if G.number_of_nodes() == total:
            return
        touched = np.zeros(prod(shape), dtype=bool)
        if layer > 0:
            touched[maps[layer - 1].rows] = True
        if layer < len(maps):
            touched[maps[layer].cols] = True
        if not touched.all():
            nodes = _nodes(layer, shape)
            G.add_nodes_from(nodes[i] for i in np.flatnonzero(~touched).tolist())


def coverage_graph(layers: Sequence[Any], input_size: Any, *,
                   max_graph: int | None = None) -> Any:
    """The coverage graph of ``layers`` applied to a spatial input size (nodes + edges at most
    ``max_graph``, checked from the sizes before the maps are built, see
    :func:`graph_from_maps`).

    >>> from symconv.spec import Conv
    >>> G = coverage_graph([Conv(kernel=3, stride=2)] * 2, 7)
    >>> G.number_of_nodes(), G.number_of_edges()
    (11, 12)
    """
    from symconv.coverage import stack_coverage
    from symconv.coverage.budget import DEFAULT_MAX_NX_GRAPH, check_graph_size, plan

    p = plan(layers, input_size)
    check_graph_size(p.positions, p.graph_size - p.positions, max_graph,
                     what="networkx graph", default=DEFAULT_MAX_NX_GRAPH,
                     option=None, context=p.largest().describe())
    return graph_from_maps(stack_coverage(layers, input_size).maps, max_graph=max_graph)


# --------------------------------------------------------------------------- graph analyses


def path_counts(G: Any) -> dict[Node, int]:
    """Number of paths from the input layer to every node (edges weighted by ``count``),
    by dynamic programming in topological order — the graph side of theorem T18.
    """
    import networkx as nx

    counts: dict[Node, int] = {}
    pred = G.pred
    for node in nx.topological_sort(G):
        if node[0] == 0:
            counts[node] = 1
        else:
            counts[node] = sum(counts[u] * d["count"] for u, d in pred[node].items())
    return counts


def reachable_inputs(G: Any, node: Node) -> set[tuple[int, ...]]:
    """Positions of the input layer that ``node`` depends on (graph reachability, T19).

    >>> from symconv.spec import Conv
    >>> sorted(reachable_inputs(coverage_graph([Conv(kernel=3, dilation=2)], 6), (1, 0, (1,))))
    [(1,), (3,), (5,)]
    """
    import networkx as nx

    return {v[2] for v in nx.ancestors(G, node) if v[0] == 0}


# --------------------------------------------------------------------------- export


def node_id(node: Node) -> str:
    """The string id of a node in exports: ``L<layer>:c<channel>:<p0>,<p1>...``.

    >>> node_id((2, 0, (3, 4)))
    'L2:c0:3,4'
    """
    layer, channel, pos = node
    return f"L{layer}:c{channel}:{','.join(str(p) for p in pos)}"


def _sorted_nodes(G: Any) -> list[Node]:
    return sorted(G.nodes)


def _value(values: Sequence[NDArray[Any]] | None, node: Node) -> int | None:
    if values is None:
        return None
    layer, _, pos = node
    return int(values[layer][pos])


def to_graphml(G: Any, values: Sequence[NDArray[Any]] | None = None) -> bytes:
    """GraphML bytes of the coverage graph (deterministic: nodes and edges sorted).

    Node attributes ``layer``, ``channel``, ``pos`` (``"3,4"``) and, when ``values`` gives one
    array per layer (e.g. :attr:`symconv.coverage.StackCoverage.forward`), ``paths``.

    >>> from symconv.spec import Conv
    >>> text = to_graphml(coverage_graph([Conv(kernel=2)], 2)).decode()
    >>> text.count("<node "), text.count("<edge ")
    (3, 2)
    """
    import networkx as nx

    H = nx.DiGraph()
    for node in _sorted_nodes(G):
        attrs: dict[str, Any] = {"layer": node[0], "channel": node[1],
                                 "pos": ",".join(str(p) for p in node[2])}
        v = _value(values, node)
        if v is not None:
            attrs["paths"] = v
        H.add_node(node_id(node), **attrs)
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (e[0], e[1])):
        H.add_edge(node_id(u), node_id(v), **d)
    return ("\n".join(nx.generate_graphml(H)) + "\n").encode("utf-8")


def to_dot(G: Any, values: Sequence[NDArray[Any]] | None = None) -> str:
    """Graphviz DOT text of the coverage graph, written directly (no pygraphviz), with one
    rank per layer, nodes labelled by position (and path count when ``values`` is given),
    edges by tap.  Deterministic: nodes and edges sorted.

    >>> from symconv.spec import Conv
    >>> print(to_dot(coverage_graph([Conv(kernel=2)], 2)), end="")
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
    lines = ["digraph coverage {", "  rankdir=LR;", "  node [shape=circle, fontsize=10];"]
    nodes = _sorted_nodes(G)
    current = None
    for node in nodes:
        if node[0] != current:
            if current is not None:
                lines.append("  }")
            current = node[0]
            lines += [f"  subgraph layer_{current} {{", "    rank=same;"]
        label = ",".join(str(p) for p in node[2])
        v = _value(values, node)
        if v is not None:
            label += f"\\n{v}"
        lines.append(f'    "{node_id(node)}" [label="{label}"];')
    if current is not None:
        lines.append("  }")
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (e[0], e[1])):
        tap = "" if d.get("tap", -1) < 0 else f"t{d['tap']}"
        count = "" if d.get("count", 1) == 1 else f" x{d['count']}"
        lines.append(f'  "{node_id(u)}" -> "{node_id(v)}" [label="{tap}{count}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
