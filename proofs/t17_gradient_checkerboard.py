"""T17 — the gradient checkerboard of a strided convolution.

The input gradient of a conv (kernel ``k``, stride ``s``, padding ``p``, dilation ``d``) touches
input ``i`` once per (output, tap) pair that reads it: away from the borders
``#{t in [0, k): i + p - d t = 0 (mod s)}`` times — the T16 count with the conv's input in the
role of the transposed conv's output, because the gradient IS the transposed conv with
``output_padding = a`` (T02/T03).  So the gradient is evenly covered iff ``gcd(s, d) = 1`` and
``s | k`` (over an interior holding a whole period), and with a constant upstream gradient the
input gradient at ``i`` is the phase sum of the dilated kernel at ``(i + p) mod s``.

Interior (gradient sense): inputs ``i`` that only existing outputs read, ``hi(-1) < i < lo(m)``
with the conv windows ``[o s - p, o s - p + d(k-1)]``, i.e.
``max(0, d(k-1) - p - s + 1) <= i < min(n, m s - p)``.  The same two exceptions as T16 apply
(interiors shorter than ``s``; the polyphase sums are those of the dilated kernel).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.coverage import (
    balanced_kernel,
    gradient_checkerboard,
    is_uniform_overlap,
    overlap_counts,
    phase_sums,
    structure_map,
)
from symconv.numeric import conv
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose
from symconv.theory.theorem import Check, Step, Theorem, product_grid, valid_instances


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    base = product_grid(n=(12, 9, 6, 4, 2) if big else (9, 5, 2), k=range(1, 7 if big else 6),
                        s=range(1, 5), p=(0, 1, 2) if big else (0, 1), d=range(1, 4))
    return valid_instances(base, _build)


def _layer(params: dict[str, Any]) -> Conv:
    return Conv(kernel=params["k"], stride=params["s"], padding=params["p"],
                dilation=params["d"])


def _build(params: dict[str, Any]) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_layer(params), params["n"])


def _m(params: dict[str, Any]) -> int:
    n, k, s, p, d = (params[x] for x in ("n", "k", "s", "p", "d"))
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _interior(params: dict[str, Any]) -> tuple[int, int]:
    n, k, s, p, d = (params[x] for x in ("n", "k", "s", "p", "d"))
    lo = max(0, d * (k - 1) - p - s + 1)
    hi = min(n, _m(params) * s - p)
    return (lo, hi) if hi > lo else (0, 0)


def _formula(params: dict[str, Any], i: Any) -> Any:
    return overlap_counts(i, params["k"], params["s"], params["p"], params["d"])


def _criterion(params: dict[str, Any]) -> bool:
    return is_uniform_overlap(params["k"], params["s"], params["d"])


def _looks_uniform(values: Any) -> bool:
    return bool(values.size and values.min() == values.max() and values.min() > 0)


def _expected(params: dict[str, Any]) -> bool:
    lo, hi = _interior(params)
    i = np.arange(lo, hi)
    if _looks_uniform(_formula(params, i)) != _criterion(params):
        return False
    w = balanced_kernel(params["k"], params["s"])
    if w is None or hi <= lo:
        return True
    values = phase_sums(w, params["s"], params["d"])[(i + params["p"]) % params["s"]]
    return bool(np.all(values == values[0]))


def _check(params: dict[str, Any]) -> Check:
    n, k, s, p, d = (params[x] for x in ("n", "k", "s", "p", "d"))
    layer = _layer(params)
    cb = gradient_checkerboard(layer, n)
    m = structure_map(layer, n)
    problems = []
    a = (n + 2 * p - d * (k - 1) - 1) % s
    adjoint = structure_map(ConvTranspose(kernel=k, stride=s, padding=p, output_padding=a,
                                          dilation=d), _m(params))
    if not np.array_equal(cb.counts, np.bincount(adjoint.rows, minlength=n)):
        problems.append("column counts differ from the adjoint transposed conv's row counts")
    box = _interior(params)
    got = (0, 0) if cb.empty else cb.interior[0]
    if got != box:
        problems.append(f"gradient interior {got} is not the closed form {box}")
    i = np.arange(box[0], box[1])
    inside = cb.counts[box[0]:box[1]]
    if not np.array_equal(inside, _formula(params, i)):
        problems.append(f"interior counts {inside.tolist()} differ from the formula")
    if box[1] > box[0]:  # border-free: the same columns inside a larger input
        margin = d * k // s + 2
        large = structure_map(layer, n + 2 * s * margin)

        def cols(mm: Any, first: int, shift_in: int, shift_out: int) -> list[Any]:
            keep = (mm.cols >= first) & (mm.cols < first + box[1] - box[0])
            return sorted(zip((mm.cols[keep] - shift_in).tolist(),
                              (mm.rows[keep] - shift_out).tolist(), mm.taps[keep, 0].tolist(),
                              strict=True))

        if cols(m, box[0], 0, 0) != cols(large, box[0] + s * margin, s * margin, margin):
            problems.append("an interior column differs from the border-free layer")
    if cb.uniform != _criterion(params):
        problems.append(f"interior {'uniform' if cb.uniform else 'uneven'} ({inside.tolist()}) "
                        f"but the criterion says {'uniform' if _criterion(params) else 'uneven'}")
    w = balanced_kernel(k, s)
    if w is not None and box[1] > box[0]:
        g = np.zeros(n, dtype=np.int64)
        np.add.at(g, m.cols, w[m.taps[:, 0]])  # input gradient for a gradient of ones
        part = g[box[0]:box[1]]
        if not np.all(part == part[0]):
            problems.append(f"kernel {w.tolist()} has equal sums over t = r (mod s) but its "
                            f"input gradient is {part[:8].tolist()} inside")
    return Check(not problems, "; ".join(problems) or f"gradient pattern over {box}")


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return [p for p in _grid(size) if p["n"] >= 9]


def _numeric(params: dict[str, Any], rng: Any) -> Check:
    """Columns of the conv from the numpy reference ``conv`` on one-hot inputs (no transposed
    conv involved): a gradient of ones gives the column sums."""
    n, k, s, p, d = (params[x] for x in ("n", "k", "s", "p", "d"))
    eye = np.eye(n).reshape(n, 1, n)
    cols = conv(eye, np.ones((1, 1, k)), stride=s, padding=p, dilation=d)[:, 0, :]
    counts = cols.sum(axis=1)
    lo, hi = _interior(params)
    i = np.arange(lo, hi)
    problems = []
    if not np.array_equal(counts[lo:hi], _formula(params, i)):
        problems.append("reference counts differ from the formula")
    w = rng.standard_normal(k)
    grad = (conv(eye, w.reshape(1, 1, k), stride=s, padding=p, dilation=d)[:, 0, :]
            * 2.0).sum(axis=1)
    want = 2.0 * phase_sums(w, s, d)[(i + p) % s]
    if not np.allclose(grad[lo:hi], want, rtol=1e-12, atol=1e-12):
        problems.append("random kernel: gradient != 2 * dilated phase sums")
    if _looks_uniform(counts[lo:hi]) != _criterion(params):
        problems.append("uniformity disagrees with the criterion")
    bal = balanced_kernel(k, s)
    if bal is not None and hi > lo:
        gb = conv(eye, bal.reshape(1, 1, k).astype(float), stride=s, padding=p,
                  dilation=d)[:, 0, :].sum(axis=1)[lo:hi]
        if not np.all(gb == gb[0]):
            problems.append("equal usual polyphase sums, non-constant gradient")
    return Check(not problems, "; ".join(problems) or "reference conv agrees")


def _derivation() -> list[Step]:
    import sympy

    i, o, t = sympy.symbols("i o t", integer=True)
    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    p = sympy.Symbol("p", integer=True, nonnegative=True)
    values = tuple({n: nv, k: kv, s: sv, d: dv, p: pv, i: iv, o: 0, t: 0}
                   for nv in (9,) for kv in range(1, 6) for sv in range(1, 4)
                   for dv in range(1, 4) for pv in range(2) for iv in range(nv)
                   if nv + 2 * pv >= dv * (kv - 1) + 1)

    def column(v: Any) -> tuple[int, int]:
        """Column i of the conv: pairs (o, t) with o s - p + t d = i, counted directly; the
        transposed conv with op = a writes input o to output i through the same taps."""
        nv, kv, sv, dv, pv, iv = v[n], v[k], v[s], v[d], v[p], v[i]
        mv = (nv + 2 * pv - dv * (kv - 1) - 1) // sv + 1
        direct = sum(1 for ov in range(mv) for tv in range(kv) if ov * sv - pv + tv * dv == iv)
        scatter = sum(1 for ov in range(mv) for tv in range(kv)
                      if iv + pv - tv * dv == ov * sv)
        return direct, scatter

    def interior_count(v: Any) -> tuple[int, int]:
        nv, kv, sv, dv, pv, iv = v[n], v[k], v[s], v[d], v[p], v[i]
        mv = (nv + 2 * pv - dv * (kv - 1) - 1) // sv + 1
        if not (max(0, dv * (kv - 1) - pv - sv + 1) <= iv < min(nv, mv * sv - pv)):
            return 0, 0
        direct = sum(1 for ov in range(mv) for tv in range(kv) if ov * sv - pv + tv * dv == iv)
        return direct, sum(1 for tv in range(kv) if (iv + pv - dv * tv) % sv == 0)

    return [
        Step("Output o reads input o s - p + t d through tap t, so column i of C holds the "
             "pairs (o, t) with i + p - t d = o s: exactly the entries the transposed conv "
             "(op = a) writes to output i", o * s - p + t * d, o * s - p + t * d, values,
             column),
        Step("For interior i every o = (i + p - t d)/s exists: the column count is the T16 "
             "count #{t : i + p - d t = 0 mod s}", sympy.Symbol("g_i"), sympy.Symbol("N_i"),
             values, interior_count),
    ]


THEOREM = Theorem(
    id="T17",
    title="Gradient checkerboard of the strided convolution",
    statement=r"(\partial L/\partial x)\text{-coverage}(i) = \#\{t \in [0,k) : i + p - d t "
              r"\equiv 0 \pmod s\}\ \text{on the interior};\ \text{uniform} \iff \gcd(s,d) = 1 "
              r"\wedge s \mid k",
    parameters=("n", "k", "s", "p", "d"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    exceptions=r"interiors with fewer than s positions; weighted: phase sums of the dilated "
               r"kernel (the usual sums fail when \gcd(s,d) > 1), as in T16",
    references=("Odena, Dumoulin & Olah (2016), Deconvolution and Checkerboard Artifacts "
                "(gradient artifacts)",),
    source=__doc__ or "",
)
