"""T16 — checkerboard criterion of the transposed convolution.

Catalogue statement: the interior coverage of output ``j`` of a transposed conv is
``#{t in [0, k): j + p - d t = 0 (mod s)}``; it is uniform iff ``gcd(s, d) = 1`` and ``s | k``;
the 2-D ratio is the product of the axis ratios.  With weights (the issue's criterion): a
transposed conv maps a constant input to a constant output iff all ``s`` polyphase sums of its
kernel are equal.

What the evidence establishes, exactly:

* the count formula holds on every interior position (interior = outputs whose input window
  ``[ceil((j+p-d(k-1))/s), floor((j+p)/s)]`` lies in ``[0, n-1]``; checked border-free by
  embedding the layer in a larger input), and 2-D coverage is the product of the axis counts;
* "uniform iff gcd(s, d) = 1 and s | k" is a statement about a whole period: on a finite layer
  it holds whenever the interior has at least ``s`` positions.  When the interior is shorter
  (small ``n`` against ``d(k-1)/s``, or empty) the few interior positions can look uniform
  although the criterion fails (e.g. n=1, k=2, s=2, p=0, d=1: one interior output) or look
  uneven... the exact exceptions are listed by the run;
* the weighted criterion holds for polyphase sums of the *dilated* kernel (zero-inserted, T07),
  i.e. over the classes ``{t : d t = r (mod s)}``.  Read with the ``k`` stored taps
  (``t = r (mod s)``) it fails exactly when ``gcd(s, d) > 1``: e.g. k=2, s=2, d=2, w=(1, 1) has
  equal usual polyphase sums (1, 1) but maps 1 to 2, 0, 2, 0, ... (both taps land on even
  outputs).  With ``gcd(s, d) = 1`` the two readings are the same sums in another order.
"""

from __future__ import annotations

from math import gcd
from typing import Any

import numpy as np

from symconv.coverage import (
    balanced_kernel,
    checkerboard,
    is_uniform_overlap,
    overlap_counts,
    overlap_pattern,
    phase_sums,
    structure_map,
)
from symconv.errors import InvalidSpecError
from symconv.numeric import conv_transpose
from symconv.sizes.shapes import resolve
from symconv.spec import ConvTranspose
from symconv.theory.theorem import Check, Step, Theorem, is_valid, product_grid, valid_instances


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    # larger inputs first: their counterexamples (if any) are the informative ones
    base = product_grid(n=(11, 8, 5, 3, 2, 1) if big else (7, 4, 1),
                        k=range(1, 7 if big else 6), s=range(1, 5), p=(0, 1, 3) if big else (0, 2),
                        d=range(1, 4))
    out = []
    for params in base:
        s, d = params["s"], params["d"]
        for op in sorted({0, max(s, d) - 1}):
            item = {**params, "op": op, "ndim": 1}
            if is_valid(_build, item):
                out.append(item)
    two = product_grid(n=[(5, 7), (8, 4)] + ([(9, 10)] if big else []),
                       k=[(3, 4), (2, 3), (4, 4), (3, 3)], s=[(2, 2), (2, 3), (3, 1)],
                       d=[(1, 1), (1, 2), (2, 1)], p=[(1, 0)], op=[(0, 0)], ndim=[2])
    return out + valid_instances(two, _build)


def _axes(params: dict[str, Any]) -> list[dict[str, int]]:
    """The per-axis 1-D parameters of an instance."""
    if params["ndim"] == 1:
        return [{x: params[x] for x in ("n", "k", "s", "p", "d", "op")}]
    return [{x: params[x][a] for x in ("n", "k", "s", "p", "d", "op")} for a in range(2)]


def _layer(params: dict[str, Any]) -> ConvTranspose:
    if params["ndim"] == 1:
        return ConvTranspose(kernel=params["k"], stride=params["s"], padding=params["p"],
                             output_padding=params["op"], dilation=params["d"])
    return ConvTranspose(kernel=params["k"], stride=params["s"], padding=params["p"],
                         output_padding=params["op"], dilation=params["d"], ndim=2)


def _build(params: dict[str, Any]) -> Any:
    """Make the instance's layer and resolve its size (raises when it does not exist)."""
    return resolve(_layer(params), params["n"])


# --------------------------------------------------------------------------- closed forms


def _out(ax: dict[str, int]) -> int:
    n, k, s, p, d, op = (ax[x] for x in ("n", "k", "s", "p", "d", "op"))
    return (n - 1) * s - 2 * p + d * (k - 1) + 1 + op


def _interior(ax: dict[str, int]) -> tuple[int, int]:
    """``[lo, hi)``: outputs whose window [ceil((j+p-d(k-1))/s), floor((j+p)/s)] is inside."""
    n, k, s, p, d = (ax[x] for x in ("n", "k", "s", "p", "d"))
    lo = max(0, d * (k - 1) - p - s + 1)
    hi = min(_out(ax), s * n - p)
    return (lo, hi) if hi > lo else (0, 0)


def _formula(ax: dict[str, int], j: Any) -> Any:
    """``#{t in [0, k): j + p - d t = 0 (mod s)}`` for an array of outputs."""
    return overlap_counts(j, ax["k"], ax["s"], ax["p"], ax["d"])


def _criterion(ax: dict[str, int]) -> bool:
    return is_uniform_overlap(ax["k"], ax["s"], ax["d"])


def _shown_uniform(values: Any) -> bool:
    """The library's notion: non-empty, all equal and positive."""
    return bool(values.size and values.min() == values.max() and values.min() > 0)


def _predicted(ax: dict[str, int]) -> tuple[bool, bool]:
    """(interior looks uniform, balanced kernel gives a constant interior) from the corrected
    statement: counts by the formula, outputs by the dilated-kernel phase sums."""
    lo, hi = _interior(ax)
    j = np.arange(lo, hi)
    looks_uniform = _shown_uniform(_formula(ax, j))
    w = balanced_kernel(ax["k"], ax["s"])
    if w is None or hi <= lo:
        return looks_uniform, True
    sums = phase_sums(w, ax["s"], ax["d"])
    values = sums[(j + ax["p"]) % ax["s"]]
    return looks_uniform, bool(np.all(values == values[0]))


def _expected(params: dict[str, Any]) -> bool:
    """Where the literal catalogue statement holds (see the module docs for the reasons)."""
    axes = _axes(params)
    preds = [_predicted(ax) for ax in axes]
    if params["ndim"] == 1:
        (looks, constant), ax = preds[0], axes[0]
        weighted_ok = balanced_kernel(ax["k"], ax["s"]) is None or constant
        return looks == _criterion(ax) and weighted_ok
    looks2 = all(p[0] for p in preds)
    return looks2 == all(_criterion(ax) for ax in axes)


EXCEPTIONS = (r"(i) interiors with fewer than s positions (or none) do not show a whole period: "
              r"their uniformity is not decided by the criterion; (ii) with weights, the "
              r"polyphase sums must be those of the dilated kernel, \sum_{t: dt \equiv r "
              r"\,(\mathrm{mod}\, s)} w_t; read as \sum_{t \equiv r} w_t the criterion fails "
              r"exactly when \gcd(s,d) > 1")


# --------------------------------------------------------------------------- checks


def _embedding_ok(layer: ConvTranspose, ax: dict[str, int], box: tuple[int, int],
                  small: Any) -> bool:
    """Interior rows equal the rows of the same layer inside a larger input (border-free)."""
    lo, hi = box
    if hi <= lo:
        return True
    s, margin = ax["s"], ax["d"] * ax["k"] // ax["s"] + 2
    large = structure_map(layer, ax["n"] + 2 * margin)

    def rows(m: Any, first: int, shift_out: int, shift_in: int) -> list[tuple[int, int, int]]:
        keep = (m.rows >= first) & (m.rows < first + hi - lo)
        return sorted(zip((m.rows[keep] - shift_out).tolist(), (m.cols[keep] - shift_in).tolist(),
                          m.taps[keep, 0].tolist(), strict=True))

    return rows(small, lo, 0, 0) == rows(large, lo + s * margin, s * margin, margin)


def _check_1d(params: dict[str, Any]) -> Check:
    ax = _axes(params)[0]
    layer = _layer(params)
    cb = checkerboard(layer, ax["n"])
    problems = []
    box = _interior(ax)
    got = cb.interior[0] if not cb.empty else (0, 0)
    if got != box:
        problems.append(f"interior {got} is not the closed form {box}")
    j = np.arange(box[0], box[1])
    inside = cb.counts[box[0]:box[1]]
    if not np.array_equal(inside, _formula(ax, j)):
        problems.append(f"interior counts {inside.tolist()} differ from the formula")
    m = structure_map(layer, ax["n"])
    if not _embedding_ok(layer, ax, box, m):
        problems.append("an interior row differs from the border-free layer")
    crit = _criterion(ax)
    if cb.uniform != crit:
        problems.append(f"interior {'uniform' if cb.uniform else 'uneven'} "
                        f"({inside.tolist()}) but the criterion says "
                        f"{'uniform' if crit else 'uneven'}")
    w = balanced_kernel(ax["k"], ax["s"])
    if w is not None and box[1] > box[0]:
        y = np.zeros(m.shape[0], dtype=np.int64)
        np.add.at(y, m.rows, w[m.taps[:, 0]])
        part = y[box[0]:box[1]]
        if not np.all(part == part[0]):
            problems.append(f"kernel {w.tolist()} has equal sums over t = r (mod s) but maps 1 "
                            f"to the non-constant {part[:8].tolist()} inside")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(True, f"pattern {list(overlap_pattern(ax['k'], ax['s'], ax['p'], ax['d']))}, "
                       f"interior {box}")


def _check_2d(params: dict[str, Any]) -> Check:
    axes = _axes(params)
    layer = _layer(params)
    cb = checkerboard(layer, params["n"])
    parts = [checkerboard(ConvTranspose(kernel=ax["k"], stride=ax["s"], padding=ax["p"],
                                        output_padding=ax["op"], dilation=ax["d"]), ax["n"])
             for ax in axes]
    problems = []
    if not np.array_equal(cb.counts, np.outer(parts[0].counts, parts[1].counts)):
        problems.append("2-D coverage is not the product of the axis coverages")
    if cb.interior != tuple(p.interior[0] for p in parts):
        problems.append("2-D interior is not the product of the axis interiors")
    r0, r1 = parts[0].ratio, parts[1].ratio
    product = None if r0 is None or r1 is None else r0 * r1
    if cb.ratio != product:
        problems.append(f"2-D ratio {cb.ratio} != {r0} x {r1}")
    crit = all(_criterion(ax) for ax in axes)
    if cb.uniform != crit:
        problems.append(f"2-D interior {'uniform' if cb.uniform else 'uneven'}, criterion "
                        f"says {'uniform' if crit else 'uneven'}")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(True, f"ratio {cb.ratio} = {r0} x {r1}")


def _check(params: dict[str, Any]) -> Check:
    return _check_1d(params) if params["ndim"] == 1 else _check_2d(params)


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return [p for p in _grid(size) if p["ndim"] == 1 and p["n"] in (7, 8, 11) and p["p"] < 3
            and (p["op"] == 0 or size == "full")]


def _numeric(params: dict[str, Any], rng: Any) -> Check:
    """The same claims from the numpy reference conv_transpose (float): ones in, counts out;
    a random kernel gives c * phase_sums(dilated) at j; the balanced kernel's output."""
    ax = _axes(params)[0]
    n, k, s, p, d, op = (ax[x] for x in ("n", "k", "s", "p", "d", "op"))
    x = np.ones((1, 1, n))
    ones = conv_transpose(x, np.ones((1, 1, k)), stride=s, padding=p, output_padding=op,
                          dilation=d)[0, 0]
    lo, hi = _interior(ax)
    j = np.arange(lo, hi)
    problems = []
    if not np.array_equal(ones[lo:hi], _formula(ax, j)):
        problems.append("numeric counts differ from the formula")
    w = rng.standard_normal(k)
    y = conv_transpose(3.0 * x, w.reshape(1, 1, k), stride=s, padding=p, output_padding=op,
                       dilation=d)[0, 0]
    want = 3.0 * phase_sums(w, s, d)[(j + p) % s]
    if not np.allclose(y[lo:hi], want, rtol=1e-12, atol=1e-12):
        problems.append("random kernel: interior != c * dilated phase sums")
    if _shown_uniform(ones[lo:hi]) != _criterion(ax):
        problems.append("uniformity disagrees with the criterion")
    bal = balanced_kernel(k, s)
    if bal is not None and hi > lo:
        yb = conv_transpose(x, bal.reshape(1, 1, k).astype(float), stride=s, padding=p,
                            output_padding=op, dilation=d)[0, 0][lo:hi]
        if not np.all(yb == yb[0]):
            problems.append("equal usual polyphase sums, non-constant output")
    return Check(not problems, "; ".join(problems) or "reference op agrees")


# --------------------------------------------------------------------------- derivation


def _derivation() -> list[Step]:
    import sympy

    j, i, t, r = sympy.symbols("j i t r", integer=True)
    k, s, d = sympy.symbols("k s d", integer=True, positive=True)
    p = sympy.Symbol("p", integer=True, nonnegative=True)
    m0, m1, big0, big1 = sympy.symbols("m_0 m_1 M_0 M_1", positive=True)
    values = tuple({k: kv, s: sv, d: dv, p: pv, j: jv, r: 0, i: 0, t: 0}
                   for kv in range(1, 7) for sv in range(1, 5) for dv in range(1, 4)
                   for pv in range(2) for jv in range(0, 6))

    def entries(v: Any) -> tuple[bool, bool]:
        try:
            m = structure_map(ConvTranspose(kernel=v[k], stride=v[s], padding=v[p],
                                            dilation=v[d]), 4)
        except InvalidSpecError:
            return True, True  # no such layer on n = 4 (output too small)
        lhs = m.rows
        rhs = m.cols * v[s] - v[p] + m.taps[:, 0] * v[d]
        return bool(np.array_equal(lhs, rhs)), True

    def count(v: Any) -> int:
        return sum(1 for tv in range(v[k]) if (v[j] + v[p] - v[d] * tv) % v[s] == 0)

    def brute(v: Any) -> tuple[int, int]:
        # inputs i in a wide interior range with i s = j + p - d t for some t in [0, k)
        top = (v[j] + v[p]) // v[s] + 1
        hits = sum(1 for iv in range(top - v[d] * v[k] - 1, top + 1) for tv in range(v[k])
                   if iv * v[s] == v[j] + v[p] - v[d] * tv)
        return hits, count(v)

    def residue_count(v: Any) -> tuple[int, int]:
        if gcd(v[s], v[d]) != 1:
            return 0, 0
        rr = (v[j] + v[p]) * pow(v[d], -1, v[s]) % v[s] if v[s] > 1 else 0
        return count(v), (v[k] - 1 - rr) // v[s] + 1

    def hermite(v: Any) -> tuple[int, int]:
        return sum((v[k] - 1 - rv) // v[s] + 1 for rv in range(v[s])), v[k]

    def spread(v: Any) -> tuple[int, int]:
        counts = [(v[k] - 1 - rv) // v[s] + 1 for rv in range(v[s])]
        return max(counts) - min(counts), 0 if v[k] % v[s] == 0 else 1

    def holes(v: Any) -> tuple[int, int]:
        g = gcd(v[s], v[d])
        if g == 1 or (v[j] + v[p]) % g == 0:
            return 0, 0
        return count(v), 0

    def weighted(v: Any) -> tuple[int, int]:
        w = [(3 * tv + v[j]) % 7 - 3 for tv in range(v[k])]  # some integer taps
        direct = sum(w[tv] for tv in range(v[k]) if (v[j] + v[p] - v[d] * tv) % v[s] == 0)
        sums = phase_sums(np.array(w, dtype=np.int64), v[s], v[d])
        return direct, int(sums[(v[j] + v[p]) % v[s]])

    q = sympy.floor((k - 1 - r) / s) + 1
    return [
        Step("Input i reaches output j through tap t iff j = i s - p + t d (every entry of the "
             "core's map on n = 4)", j, i * s - p + t * d, values[::11], entries),
        Step("So output j counts the taps t with j + p - d t = 0 (mod s) whose input "
             "(j + p - d t)/s exists; inside the interior every such input exists",
             sympy.Symbol("c_j"), sympy.Symbol("N_j"), values, brute),
        Step("If gcd(s, d) = 1 the taps of output j are t = r (mod s) with r = d^{-1}(j+p) mod s; "
             "there are floor((k-1-r)/s) + 1 of them", sympy.Symbol("c_j"), q, values,
             residue_count),
        Step("Over the s residues these counts sum to k (Hermite's identity)",
             sympy.Sum(q, (r, 0, s - 1)), k, values, hermite),
        Step("They differ by ceiling(k/s) - floor(k/s): zero iff s | k",
             sympy.ceiling(k / s) - sympy.floor(k / s),
             1 - sympy.KroneckerDelta(sympy.Mod(k, s), 0), values, spread),
        Step("If g = gcd(s, d) > 1, outputs with g not dividing j + p receive no tap: holes",
             sympy.Symbol("c_j"), 0, values, holes),
        Step("2-D coverage is c_0(j_0) c_1(j_1): over a product of intervals max/min factors",
             (big0 * big1) / (m0 * m1), (big0 / m0) * (big1 / m1), ()),
        Step("A constant input 1 gives sum_{t: j+p-dt = 0 mod s} w_t at j: the phase sum of the "
             "dilated kernel at r = (j+p) mod s", sympy.Symbol("y_j"),
             sympy.Symbol("S_r"), values[::7], weighted),
    ]


THEOREM = Theorem(
    id="T16",
    title="Checkerboard criterion of the transposed convolution",
    statement=r"c(j) = \#\{t \in [0,k) : j + p - d t \equiv 0 \pmod s\}\ \text{on the interior};"
              r"\ c \text{ uniform} \iff \gcd(s,d) = 1 \wedge s \mid k;\ "
              r"\rho_{2D} = \rho_0 \rho_1;\ \text{const} \mapsto \text{const} \iff "
              r"\text{equal polyphase sums}",
    parameters=("n", "k", "s", "p", "d", "op"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    exceptions=EXCEPTIONS,
    references=("Odena, Dumoulin & Olah (2016), Deconvolution and Checkerboard Artifacts",
                "Dumoulin & Visin (2016), section 4"),
    source=__doc__ or "",
)
