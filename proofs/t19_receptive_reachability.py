"""T19 — receptive field, effective stride and offset of a stack = reachability in its graph.

Output ``j`` of a stack depends on input ``i`` iff a path links them in the layered coverage
graph.  The closed form of :func:`symconv.coverage.receptive.receptive_field` (the classic recurrence
``r += (k_eff - 1) J``, ``J *= s``, ``start -= p_b J`` for convs and pools, and the exact
periodic tables for transposed convs, resizes and pixel shuffles) gives ``span(j) = (lo, hi)``,
the first and last input ``j`` depends on on an unbounded axis.  On a finite input the graph
must agree:

* every output's reachable inputs lie in ``[lo(j), hi(j)]`` (borders only remove dependencies,
  or clamp them onto the edge sample, which the span covers);
* on the stack's interior (no node on any path touches a border,
  :meth:`symconv.coverage.StackCoverage.depth`) the first and last reachable input ARE
  ``lo(j)`` and ``hi(j)``, for outputs of every residue class modulo the period;
* the effective stride is ``(lo(j + P) - lo(j)) / P`` and, for affine stacks, the offset is
  ``lo(j) - j * stride``; for conv/pool stacks the classic recurrence gives the same size,
  stride and start.

The numeric cross-check recovers the dependencies without the graph: the numpy reference ops with
positive random weights applied to one-hot inputs (no cancellation is possible).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symconv.coverage import stack_coverage
from symconv.coverage.graph import graph_from_maps, reachable_inputs
from symconv.coverage.receptive import receptive_field
from symconv.errors import InvalidSpecError
from symconv.numeric import avg_pool, conv, conv_transpose, upsample_linear, upsample_nearest
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, PixelShuffle, Resize
from symconv.theory.theorem import Check, Step, Theorem, valid_instances

LAYERS: dict[str, Any] = {
    "C3p1": Conv(kernel=3, padding=1),
    "C3s2p1": Conv(kernel=3, stride=2, padding=1),
    "C3d2": Conv(kernel=3, dilation=2, padding=2),
    "C5s3": Conv(kernel=5, stride=3),
    "Avg2": AvgPool(kernel=2),
    "Max3s2p1": MaxPool(kernel=3, stride=2, padding=1),
    "T3s2": ConvTranspose(kernel=3, stride=2),
    "T4s2p1": ConvTranspose(kernel=4, stride=2, padding=1),
    "T3s2d2": ConvTranspose(kernel=3, stride=2, dilation=2),
    "Near2": Resize(scale_factor=2),
    "Lin2": Resize(scale_factor=2, mode="linear"),
    "Shuf2": PixelShuffle(factor=2),
}

STACKS = [
    ("C3p1", "C3p1", "C3p1"), ("C3s2p1", "C3s2p1"), ("C3d2", "C3s2p1", "Avg2"),
    ("C5s3", "C3p1"), ("Max3s2p1", "C3s2p1"), ("C3s2p1", "Max3s2p1", "C3d2"),
    ("T3s2",), ("T3s2", "T3s2"), ("T4s2p1", "C3p1"), ("T3s2d2", "C3p1"),
    ("C3s2p1", "T4s2p1"), ("Near2", "C3p1"), ("Lin2", "C3s2p1"), ("Lin2", "T3s2"),
    ("Shuf2", "C3p1"), ("C3s2p1", "Shuf2", "T3s2"), ("Avg2", "Near2", "C3d2"),
]

NUMERIC = ("C3p1", "C3s2p1", "C3d2", "C5s3", "Avg2", "T3s2", "T4s2p1", "T3s2d2", "Near2",
           "Lin2")


def _grid(size: str) -> list[dict[str, Any]]:
    sizes = [(32,), (41,)] if size == "full" else [(32,)]
    out = [{"stack": st, "n": n} for st in STACKS for n in sizes]
    out += [{"stack": st, "n": (17, 15)} for st in [("C3s2p1", "T3s2"), ("Lin2", "C3p1"),
                                                    ("T3s2d2", "Avg2")]]
    return valid_instances(out, _build)


def _layers(params: dict[str, Any]) -> list[Any]:
    return [LAYERS[name] for name in params["stack"]]


def _build(params: dict[str, Any]) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return stack_coverage(_layers(params), params["n"])


def _outputs(shape: tuple[int, ...], interior: Any) -> list[tuple[int, ...]]:
    """All outputs of a 1-D stack; for 2-D the diagonal of the interior and the corners."""
    if len(shape) == 1:
        return [(j,) for j in range(shape[0])]
    (a0, a1), (b0, b1) = interior
    diag = [(a0 + t, b0 + t) for t in range(min(a1 - a0, b1 - b0))]
    return [*diag, (0, 0), (shape[0] - 1, shape[1] - 1)]


def _check(params: dict[str, Any]) -> Check:
    layers, n = _layers(params), params["n"]
    st = stack_coverage(layers, n)
    cb = st.depth(len(layers))
    G = graph_from_maps(st.maps)
    last = len(layers)
    rfs = [receptive_field(layers, input_size=n, axis=a) for a in range(len(n))]
    problems: list[str] = []
    lows: list[dict[int, int]] = [{} for _ in n]
    checked: list[set[int]] = [set() for _ in n]
    for out in _outputs(st.sizes[-1], cb.interior):
        reached = reachable_inputs(G, (last, 0, out))
        inside = all(lo <= j < hi for j, (lo, hi) in zip(out, cb.interior, strict=True))
        for a, rf in enumerate(rfs):
            span = rf.span(out[a])
            got = sorted({pos[a] for pos in reached})
            if span is None:
                if got:
                    problems.append(f"output {out}: reaches {got} but span({out[a]}) is None")
                continue
            if got and (got[0] < span[0] or got[-1] > span[1]):
                problems.append(f"output {out} axis {a}: reaches [{got[0]}, {got[-1]}] outside "
                                f"span {span}")
            if inside and span[0] >= 0 and span[1] <= n[a] - 1:
                checked[a].add(out[a] % rf.period)
                if not got or (got[0], got[-1]) != span:
                    shown = (got[0], got[-1]) if got else None
                    problems.append(f"interior output {out} axis {a}: graph {shown} != "
                                    f"span {span}")
                lows[a][out[a]] = got[0] if got else 0
    for a, rf in enumerate(rfs):
        if len(checked[a]) < rf.period:
            problems.append(f"axis {a}: only residues {sorted(checked[a])} of period {rf.period} "
                            "have interior outputs (input too small)")
        pairs = [j for j in lows[a] if j + rf.period in lows[a]]
        if not pairs:
            problems.append(f"axis {a}: no two interior outputs one period apart (input too "
                            "small to measure the stride)")
        for j, lo in lows[a].items():
            if j + rf.period in lows[a]:
                stride = Fraction(lows[a][j + rf.period] - lo, rf.period)
                if stride != rf.stride:
                    problems.append(f"axis {a}: graph stride {stride} != {rf.stride}")
                    break
            if rf.exact_affine and rf.offset is not None and lo != rf.offset + j * rf.stride:
                problems.append(f"axis {a}: graph offset at {j} disagrees with {rf.offset}")
                break
        form = rf.closed_form
        if form is not None and lows[a]:
            widths = {rf.span(j)[1] - rf.span(j)[0] + 1 for j in lows[a]}  # type: ignore[index]
            if widths != {form.size} or Fraction(form.stride) != rf.stride or (
                rf.offset is not None and Fraction(form.start) != rf.offset
            ):
                problems.append(f"axis {a}: classic recurrence {form.size, form.stride, form.start}"
                                f" disagrees with the reachability data")
    equal = sum(len(lw) for lw in lows)
    return Check(not problems, "; ".join(problems[:4]) or
                 f"size {[rf.size for rf in rfs]}, stride {[str(rf.stride) for rf in rfs]}, "
                 f"{equal} interior outputs with equal extremes")


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return [p for p in _grid(size) if len(p["n"]) == 1
            and all(name in NUMERIC for name in p["stack"])]


def _apply(name: str, x: Any, rng: Any) -> Any:
    layer = LAYERS[name]
    if isinstance(layer, Conv | ConvTranspose):
        w = rng.uniform(0.5, 1.5, size=(1, 1, layer.kernel[0]))
        kw = {"stride": layer.stride[0], "padding": layer.padding[0][0],
              "dilation": layer.dilation[0]}
        return conv(x, w, **kw) if isinstance(layer, Conv) else conv_transpose(x, w, **kw)
    if isinstance(layer, AvgPool):
        return avg_pool(x, layer.kernel[0])
    if isinstance(layer, MaxPool | PixelShuffle):
        raise InvalidSpecError(f"{name} is not in the numeric grid")
    if layer.mode.value == "linear":
        return upsample_linear(x, layer.scale_factor[0])
    return upsample_nearest(x, layer.scale_factor[0])


def _numeric(params: dict[str, Any], rng: Any) -> Check:
    """Dependencies from one-hot inputs through the reference ops (positive weights)."""
    layers, n = _layers(params), params["n"][0]
    x = np.eye(n).reshape(n, 1, n)
    for name in params["stack"]:
        x = _apply(name, x, rng)
    response = x[:, 0, :]  # response[i, j]: output j for input e_i
    rf = receptive_field(layers, input_size=n)
    cb = stack_coverage(layers, n).depth(len(layers))
    problems = []
    lo_i, hi_i = cb.interior[0]
    for j in range(lo_i, hi_i):
        span = rf.span(j)
        deps = np.flatnonzero(response[:, j] > 1e-12)
        if span is None or span[0] < 0 or span[1] > n - 1:
            continue
        if deps.size == 0 or (int(deps[0]), int(deps[-1])) != span:
            problems.append(f"output {j}: reference deps {deps.tolist()} vs span {span}")
    return Check(not problems, "; ".join(problems[:3]) or "reference ops agree")


def _derivation() -> list[Step]:
    import sympy

    r, J, start, k, s, d, p, j = sympy.symbols("r J start k s d p j", integer=True)
    values = tuple({r: rv, J: jv, start: sv, k: kv, s: ss, d: dv, p: pv, j: jj}
                   for rv in (1, 3, 7) for jv in (1, 2, 4) for sv in (0, -3)
                   for kv in (1, 2, 3) for ss in (1, 2) for dv in (1, 2) for pv in (0, 1)
                   for jj in (0, 5))

    def window(v: Any) -> tuple[tuple[int, int], tuple[int, int]]:
        """Stack field [start + m J, start + m J + r - 1] at the conv's input m = j s - p + t d:
        union over t equals the recurrence's field at j."""
        lo = min(v[start] + (v[j] * v[s] - v[p] + t * v[d]) * v[J] for t in range(v[k]))
        hi = max(v[start] + (v[j] * v[s] - v[p] + t * v[d]) * v[J] + v[r] - 1
                 for t in range(v[k]))
        r2 = v[r] + (v[d] * (v[k] - 1)) * v[J]
        s2 = v[start] - v[p] * v[J]
        return (lo, hi), (s2 + v[j] * v[s] * v[J], s2 + v[j] * v[s] * v[J] + r2 - 1)

    return [
        Step("A conv after a stack with field r, jump J, start: output j reads the stack's "
             "outputs j s - p + t d, whose fields union to [start', start' + r' - 1] + j J s "
             "with r' = r + d(k-1) J, start' = start - p J",
             sympy.Symbol("field_j"), sympy.Symbol("recurrence_j"), values, window),
    ]


THEOREM = Theorem(
    id="T19",
    title="Receptive field, stride and offset = reachability in the graph",
    statement=r"\{i : i \rightsquigarrow j\} \subseteq [\mathrm{lo}(j), \mathrm{hi}(j)] "
              r"\text{ with equality of the extremes on the interior};\ "
              r"J = (\mathrm{lo}(j+P) - \mathrm{lo}(j))/P",
    parameters=("stack", "n"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Araujo, Norris & Sim (2019), Computing Receptive Fields of Convolutional "
                "Neural Networks, Distill",),
    source=__doc__ or "",
)
