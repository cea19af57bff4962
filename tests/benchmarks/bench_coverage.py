"""Speed of the coverage analysis and of the coverage graph (issue 5, section 6).

Budgets:

* the coverage counts (path counts of every layer and the input gradient) of a 4-layer stack
  on a 256x256 input take at most 1 s — they are sparse products, never the graph;
* building the networkx graph of that stack takes at most 1.5x the floor
  ``G.add_edges_from(prebuilt_edge_list)`` — the time networkx itself needs for the same edges.
  The floor is timed twice: as a plain call (the cyclic garbage collector running, as in any
  user's session) and with the collector paused (as :func:`symconv.coverage.graph.graph_from_maps` does
  internally); the budget is checked against the stricter, paused floor.

Every figure is the best of ``--runs`` runs (default 3).  Two stacks are timed: the
encoder-decoder of the issue (two stride-2 convs, two stride-2 transposed convs: 256 -> 64 ->
256) and four stride-1 3x3 convs (2.4 million entries).  Exit status 1 when a budget is broken.

    python tests/benchmarks/bench_coverage.py [--runs 3]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

STACKS = {
    "encoder-decoder": ["conv k=3 s=2 p=1", "conv k=3 s=2 p=1", "conv-transpose k=4 s=2 p=1",
                        "conv-transpose k=4 s=2 p=1"],
    "4 x conv 3x3": ["conv k=3 p=1"] * 4,
}
SIZE = (256, 256)
COUNT_BUDGET = 1.0
GRAPH_BUDGET = 1.5


def best(fn: Callable[[], Any], runs: int) -> float:
    """Best wall time of ``runs`` calls (a full collection before each)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _floor(edges: list[Any], paused: bool) -> None:
    import networkx as nx

    G = nx.DiGraph()
    if paused:
        gc.disable()
    try:
        G.add_edges_from(edges)
    finally:
        gc.enable()


def measure(runs: int = 3) -> list[dict[str, Any]]:
    from symconv.coverage import analyze, stack_coverage
    from symconv.coverage.graph import edge_list, graph_from_maps
    from symconv.spec.syntax import parse_layers

    rows = []
    for name, texts in STACKS.items():
        layers = parse_layers(texts)
        counts = best(lambda layers=layers: stack_coverage(layers, SIZE), runs)
        full = best(lambda layers=layers: analyze(layers, SIZE), runs)
        maps = stack_coverage(layers, SIZE).maps
        edges = edge_list(maps)
        graph = best(lambda maps=maps: graph_from_maps(maps), runs)
        floor = best(lambda edges=edges: _floor(edges, paused=False), runs)
        floor_paused = best(lambda edges=edges: _floor(edges, paused=True), runs)
        rows.append({"stack": name, "entries": sum(m.nnz for m in maps), "counts": counts,
                     "analyze": full, "graph": graph, "floor": floor,
                     "floor_paused": floor_paused})
        del edges, maps
    return rows


def report(rows: list[dict[str, Any]]) -> tuple[str, bool]:
    lines = [f"{'stack (256x256)':<16} {'entries':>9} {'counts s':>9} {'analyze s':>9} "
             f"{'graph s':>8} {'floor s':>8} {'paused s':>8} {'/floor':>7} {'/paused':>7}"]
    ok = True
    for r in rows:
        ratio, strict = r["graph"] / r["floor"], r["graph"] / r["floor_paused"]
        ok &= r["counts"] <= COUNT_BUDGET and strict <= GRAPH_BUDGET
        lines.append(f"{r['stack']:<16} {r['entries']:>9,} {r['counts']:>9.3f} "
                     f"{r['analyze']:>9.3f} {r['graph']:>8.2f} {r['floor']:>8.2f} "
                     f"{r['floor_paused']:>8.2f} {ratio:>7.2f} {strict:>7.2f}")
    lines.append(f"budgets: counts <= {COUNT_BUDGET:.1f} s, graph <= {GRAPH_BUDGET:.1f} x the "
                 f"paused floor: {'met' if ok else 'BROKEN'}")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (best of)")
    args = parser.parse_args(argv)
    text, ok = report(measure(args.runs))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
