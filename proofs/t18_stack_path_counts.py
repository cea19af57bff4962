"""T18 — the coverage of a stack is the number of paths in its layered graph.

For layers ``B_1, ..., B_L`` with 0/1 structure matrices (entry 1 where a tap links an input to
an output), ``(B_L ... B_1 1)_j`` counts the paths from the input to output ``j``: matrix
products sum over the intermediate node, ``(AB)_{ij} = sum_m A_{im} B_{mj}``.  This is the
stack's forward coverage; ``1^T B_L ... B_1`` (the column sums) is its gradient coverage.
Three independent computations must agree on every position of every layer: sparse products
(:func:`symconv.coverage.stack_coverage`), dynamic programming over the networkx graph
(:mod:`symconv.coverage.graph`) and the operator core's exact composition of unit-coefficient maps; on the
stack's interior the counts equal those of the same stack inside a larger input (no border
effect), and for conv/transposed-conv/nearest/average-pool stacks they equal the numpy reference
ops applied to ones with all-ones kernels.

Uneven overlaps compound or cancel: two ``k=3, s=2`` transposed convs give the period-4
pattern 3, 2, 3, 1 per axis (ratio 3 > 2), while ``k=3, s=2`` followed by ``k=4, s=2`` is even
(3 per axis): the second layer sums the first one's two phases.
"""

from __future__ import annotations

from itertools import product
from math import ceil
from typing import Any

import numpy as np

from symconv.core import IndexMap
from symconv.coverage import stack_coverage
from symconv.coverage.graph import graph_from_maps, path_counts
from symconv.coverage.receptive import receptive_field
from symconv.numeric import avg_pool, conv, conv_transpose, upsample_nearest
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, PixelShuffle, Resize
from symconv.theory.theorem import Check, Step, Theorem, valid_instances

#: The layers stacks are drawn from (name -> spec); every one is shift invariant.
LAYERS: dict[str, Any] = {
    "T3s2": ConvTranspose(kernel=3, stride=2),
    "T4s2p1": ConvTranspose(kernel=4, stride=2, padding=1),
    "T3s2d2": ConvTranspose(kernel=3, stride=2, dilation=2),
    "T5s3p1": ConvTranspose(kernel=5, stride=3, padding=1),
    "C3p1": Conv(kernel=3, padding=1),
    "C3s2p1": Conv(kernel=3, stride=2, padding=1),
    "C2": Conv(kernel=2),
    "Avg2": AvgPool(kernel=2),
    "Max3s2p1": MaxPool(kernel=3, stride=2, padding=1),
    "Near2": Resize(scale_factor=2),
    "Lin2": Resize(scale_factor=2, mode="linear"),
    "Shuf2": PixelShuffle(factor=2),
}

#: Layers the numpy reference ops reproduce with all-ones kernels (structure = weights).
NUMERIC = ("T3s2", "T4s2p1", "T3s2d2", "T5s3p1", "C3p1", "C3s2p1", "C2", "Avg2", "Near2")


def _grid(size: str) -> list[dict[str, Any]]:
    names = list(LAYERS)
    pairs = [(a, b) for a, b in product(names, names)]
    if size != "full":
        pairs = pairs[::2]
    triples = [("T3s2", "T3s2", "T3s2"), ("T3s2", "T4s2p1", "C3p1"), ("C3s2p1", "T3s2", "Lin2"),
               ("Near2", "C3p1", "T3s2d2"), ("T5s3p1", "Max3s2p1", "Shuf2"),
               ("C3s2p1", "C3s2p1", "T4s2p1", "T4s2p1")]
    out = [{"stack": st, "n": (7,)} for st in pairs + triples]
    out += [{"stack": st, "n": (5, 6)} for st in [("T3s2", "T3s2"), ("T3s2", "T4s2p1"),
                                                  ("C3s2p1", "Near2", "T3s2d2"),
                                                  ("Lin2", "Avg2")]]
    return valid_instances(out, _build)


def _layers(params: dict[str, Any]) -> list[Any]:
    return [LAYERS[name] for name in params["stack"]]


def _build(params: dict[str, Any]) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return stack_coverage(_layers(params), params["n"])


def _graph_counts(G: Any, shapes: list[tuple[int, ...]]) -> tuple[list[Any], Any]:
    """Forward path counts per layer and backward (gradient) counts of the input, from the
    graph alone (networkx topological order)."""
    import networkx as nx

    fwd = path_counts(G)
    forward = []
    for layer, shape in enumerate(shapes):
        arr = np.zeros(shape[1:], dtype=np.int64)
        for node, value in fwd.items():
            if node[0] == layer:
                arr[node[2]] = value
        forward.append(arr)
    last = len(shapes) - 1
    back: dict[Any, int] = {}
    for node in reversed(list(nx.topological_sort(G))):
        if node[0] == last:
            back[node] = 1
        else:
            back[node] = sum(back[v] * d["count"] for v, d in G.succ[node].items())
    grad = np.zeros(shapes[0][1:], dtype=np.int64)
    for node, value in back.items():
        if node[0] == 0:
            grad[node[2]] = value
    return forward, grad


def _composed(maps: Any) -> tuple[Any, Any]:
    """Row and column sums of the exact composition of unit-coefficient structure maps."""
    unit = [IndexMap.from_arrays(m.shape, m.rows, m.cols, in_shape=m.in_shape,
                                 out_shape=m.out_shape) for m in maps]
    total = unit[0]
    for m in unit[1:]:
        total = m @ total
    rows = np.zeros(total.shape[0], dtype=np.int64)
    cols = np.zeros(total.shape[1], dtype=np.int64)
    np.add.at(rows, total.rows, total.num // total.den)
    np.add.at(cols, total.cols, total.num // total.den)
    return rows, cols


def _check(params: dict[str, Any]) -> Check:
    layers = _layers(params)
    n = params["n"]
    st = stack_coverage(layers, n)
    G = graph_from_maps(st.maps)
    problems = []
    forward, grad = _graph_counts(G, [(1, *s) for s in st.sizes])
    for depth, (a, b) in enumerate(zip(st.forward, forward, strict=True)):
        if not np.array_equal(a, b):
            problems.append(f"depth {depth}: sparse products differ from graph path counts")
    if not np.array_equal(st.gradient, grad):
        problems.append("gradient counts differ from backward graph path counts")
    rows, cols = _composed(st.maps)
    if not np.array_equal(rows.reshape(st.sizes[-1]), st.forward[-1]):
        problems.append("composition of unit maps: row sums differ")
    if not np.array_equal(cols.reshape(st.sizes[0]), st.gradient):
        problems.append("composition of unit maps: column sums differ")
    cb = st.depth(len(layers))
    if not cb.empty:
        problem = _embedding_problem(layers, n, st, cb)
        if problem:
            problems.append(problem)
    return Check(not problems, "; ".join(problems) or
                 f"{len(layers)} layers, {sum(int(f.size) for f in st.forward)} positions agree")


def _embedding_problem(layers: list[Any], n: tuple[int, ...], st: Any, cb: Any) -> str:
    """Interior path counts equal those of the stack inside a larger input."""
    big, shift = [], []
    for a in range(len(n)):
        rf = receptive_field(layers, input_size=n, axis=a)
        m = ceil((rf.size + 2) / max(rf.shift, 1)) + 1
        big.append(n[a] + 2 * rf.shift * m)
        shift.append(rf.period * m)
    large = stack_coverage(layers, tuple(big))
    inner = tuple(slice(lo, hi) for lo, hi in cb.interior)
    moved = tuple(slice(lo + s, hi + s) for (lo, hi), s in zip(cb.interior, shift, strict=True))
    if not np.array_equal(st.forward[-1][inner], large.forward[-1][moved]):
        return "interior counts differ from the same stack inside a larger input"
    return ""


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return [p for p in _grid(size) if all(name in NUMERIC for name in p["stack"])]


def _apply(name: str, x: Any) -> Any:
    layer = LAYERS[name]
    nd = x.ndim - 2
    if isinstance(layer, Conv | ConvTranspose):
        w = np.ones((1, 1, *layer.kernel * nd))
        kw = {"stride": layer.stride[0], "padding": layer.padding[0][0],
              "dilation": layer.dilation[0]}
        return conv(x, w, **kw) if isinstance(layer, Conv) else conv_transpose(x, w, **kw)
    if isinstance(layer, AvgPool):
        k = layer.kernel[0]
        return avg_pool(x, k) * k**nd  # window sums: no padding, so every divisor is k^D
    return upsample_nearest(x, layer.scale_factor[0])


def _numeric(params: dict[str, Any], rng: Any) -> Check:
    """All-ones kernels on an all-ones input through the numpy reference ops = path counts."""
    x = np.ones((1, 1, *params["n"]))
    for name in params["stack"]:
        x = _apply(name, x)
    st = stack_coverage(_layers(params), params["n"])
    ok = bool(np.allclose(x[0, 0], st.forward[-1], rtol=0, atol=1e-9))
    return Check(ok, "reference ops agree" if ok else "reference ops differ from path counts")


def _derivation() -> list[Step]:
    import sympy

    A = sympy.Matrix(2, 2, sympy.symbols("a_00 a_01 a_10 a_11"))
    B = sympy.Matrix(2, 2, sympy.symbols("b_00 b_01 b_10 b_11"))
    k1, k2, s1, s2 = sympy.symbols("k_1 k_2 s_1 s_2", integer=True, positive=True)
    values = tuple({k1: a, s1: b, k2: c, s2: e}
                   for a in range(1, 6) for b in range(1, 4) for c in range(1, 6)
                   for e in range(1, 4))

    def layer(k: int, s: int, j: int) -> list[int]:
        """Inputs (unbounded) of output j of a transposed conv (p = 0, d = 1)."""
        return [(j - t) // s for t in range(k) if (j - t) % s == 0]

    def nested(v: Any, j: int) -> int:
        return sum(len(layer(v[k1], v[s1], m)) for m in layer(v[k2], v[s2], j))

    def enumerated(v: Any, j: int) -> int:
        # explicit paths (i, t1, t2): i -> m = i s1 + t1 -> j = m s2 + t2
        count = 0
        for t1 in range(v[k1]):
            for t2 in range(v[k2]):
                m = j - t2
                if m % v[s2] == 0 and (m // v[s2] - t1) % v[s1] == 0:
                    count += 1
        return count

    def paths(v: Any) -> tuple[list[int], list[int]]:
        js = range(40, 40 + v[s1] * v[s2])
        return [nested(v, j) for j in js], [enumerated(v, j) for j in js]

    def period_sum(v: Any) -> tuple[int, int]:
        return sum(nested(v, j) for j in range(40, 40 + v[s1] * v[s2])), v[k1] * v[k2]

    def even(v: Any) -> tuple[bool, bool]:
        counts = {nested(v, j) for j in range(40, 40 + v[s1] * v[s2])}
        both = v[k1] % v[s1] == 0 and v[k2] % v[s2] == 0
        return (len(counts) == 1) or not both, True

    return [
        Step("Matrix products sum over the intermediate node: (AB)_{ij} = sum_m A_im B_mj, "
             "so with 0/1 layers (B_L...B_1)_{ji} counts the paths from i to j",
             (A * B)[0, 1], A[0, 0] * B[0, 1] + A[0, 1] * B[1, 1], ()),
        Step("Two transposed convs: the count at j is the sum over the second layer's inputs "
             "m of the first layer's count at m, equal to the explicit enumeration of paths",
             sympy.Symbol("c_j"), sympy.Symbol("P_j"), values, paths),
        Step("Over one period s_1 s_2 the stack's interior coverage sums to k_1 k_2 (each "
             "input starts k_1 k_2 paths)", sympy.Symbol("Sigma"), k1 * k2, values,
             period_sum),
        Step("Layers that are each even (s | k) give an even stack (max - min = 0 over a "
             "period)", sympy.Symbol("c_max") - sympy.Symbol("c_min"), 0, values, even),
    ]


THEOREM = Theorem(
    id="T18",
    title="Stack coverage = path counts in the layered graph",
    statement=r"\mathrm{cov}_L(j) = (B_L \cdots B_1 \mathbf{1})_j = \#\{\text{paths } i \to j\}"
              r",\quad \mathrm{cov}^{\nabla}(i) = (\mathbf{1}^{\top} B_L \cdots B_1)_i",
    parameters=("stack", "n"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Odena, Dumoulin & Olah (2016), Deconvolution and Checkerboard Artifacts",),
    source=__doc__ or "",
)

