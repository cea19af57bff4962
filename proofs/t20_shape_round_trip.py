"""T20 — shape round trip: conv, then transposed conv with the same parameters.

Let a conv (kernel k, stride s, padding p_b/p_e, dilation d) map ``n`` samples to
``m = floor((n + p_b + p_e - d(k-1) - 1)/s) + 1``, and let
``a(n) = (n + p_b + p_e - d(k-1) - 1) mod s`` and ``m_min = (m-1)s - p_b - p_e + d(k-1) + 1``
(the transposed conv's size with ``op = 0``).  Then

1. the transposed conv with output padding ``op`` has ``n - a(n) + op`` outputs: it restores
   ``n`` **iff** ``op = a(n)`` (for every op PyTorch accepts, ``op < s`` or ``op < d``);
2. the sizes ``L >= 1`` whose conv gives back ``m`` are exactly
   ``[max(m_min, 1), m_min + s - 1]`` (``m_min = n - a(n)``); PyTorch's
   ``forward(output_size=)`` range, ONNX/TensorFlow ``output_shape`` and
   :func:`symconv.sizes.inverse.ambiguity_set` are this set;
3. ``op = 0`` round-trips exactly the sizes ``n == d(k-1) + 1 - p_b - p_e (mod s)``: one
   residue class mod s (in every ``s`` consecutive sizes exactly one).

The plain range ``[m_min, m_min + s - 1]`` (``params["form"] = "unclipped"``) is wrong exactly
when ``m_min < 1``, which happens iff ``a(n) >= n`` (tiny inputs with large padding, e.g.
``n = 1, k = 1, s = 3, p = 1``): it then lists sizes ``<= 0``.

Proven against the library: :func:`symconv.sizes.inverse.round_trip`,
:func:`~symconv.sizes.inverse.restoring_output_padding`, :func:`~symconv.sizes.inverse.transposed_sizes`
and :func:`~symconv.sizes.inverse.ambiguity_set` are compared with brute-force counts from the
layer definitions (:mod:`symconv.sizes.bruteforce`), never with the formulas they implement.

Mutations the tests run: ``params["mutation"] = "residue_sign"`` states the residue class as
``n == 2p - d(k-1) - 1 (mod s)`` (signs flipped); ``"op_off_by_one"`` claims ``op = a + 1``
restores ``n``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from symconv.numeric import conv, conv_transpose
from symconv.sizes import formulas as F
from symconv.sizes.bruteforce import conv_transpose_length, conv_windows
from symconv.sizes.inverse import (
    RouteKind,
    ambiguity_set,
    restoring_output_padding,
    round_trip,
    transposed_sizes,
)
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose
from symconv.theory.theorem import Check, Step, Theorem, is_valid, product_grid

Params = Mapping[str, Any]

_ASYM = [(0, 1), (2, 0), (1, 2)]


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    box = product_grid(n=range(1, 17 if big else 9), k=range(1, 6 if big else 5),
                       s=range(1, 6 if big else 4), p=[0, 1, 2, *_ASYM],
                       d=range(1, 4 if big else 3))
    out = []
    for q in box:
        if is_valid(_build, q):
            out.append({**q, "form": "clipped"})
            out.append({**q, "form": "unclipped"})
    return out


def _pads(p: Any) -> tuple[int, int]:
    return p if isinstance(p, tuple) else (p, p)


def _conv(params: Params) -> Conv:
    return Conv(kernel=params["k"], stride=params["s"], padding=(_pads(params["p"]),),
                dilation=params["d"])


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_conv(params), params["n"])


def _m_min(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    m = F.conv_size(n, k, s, pb, pe, d)
    return F.conv_transpose_size(m, k, s, pb, pe, d, 0)


@lru_cache(maxsize=8)
def _facts(n: int, k: int, s: int, p: Any, d: int, mutation: str | None) -> tuple[str, ...]:
    """Claims 1 and 3 and the library's size sets, checked by brute force; returns the
    failures (empty when everything holds)."""
    pb, pe = _pads(p)
    conv = Conv(kernel=k, stride=s, padding=((pb, pe),), dilation=d)
    keff = d * (k - 1) + 1
    bad: list[str] = []
    m = conv_windows(n, k, s, pb, pe, d)
    a = (n + pb + pe - keff) % s
    claimed_a = a + 1 if mutation == "op_off_by_one" else a
    if restoring_output_padding(conv, n) != a:
        bad.append(f"restoring_output_padding = {restoring_output_padding(conv, n)}, a = {a}")
    for op in range(max(s, d)):
        restored = conv_transpose_length(m, k, s, pb, pe, d, op)
        rt = round_trip(conv, n, op)
        if (rt.output, rt.restored or 0, rt.needed_output_padding) != (m, restored, a):
            bad.append(f"round_trip(op={op}) = {rt}, brute: m={m}, restored={restored}, a={a}")
        if (restored == n) != (op == claimed_a):
            bad.append(f"op={op}: restored {restored}, n={n}, claimed a={claimed_a}")
    residue = (keff - pb - pe) % s
    if mutation == "residue_sign":
        residue = (pb + pe - keff) % s
    rt0 = round_trip(conv, n, 0)
    if (rt0.residue, rt0.modulus) != ((keff - pb - pe) % s, s):
        bad.append(f"round_trip residue class {rt0.residue} mod {rt0.modulus}")
    window = [v for v in range(n, n + s)
              if conv_transpose_length(conv_windows(v, k, s, pb, pe, d), k, s, pb, pe, d,
                                       0) == v]
    if len(window) != 1 or (window[0] - residue) % s:
        bad.append(f"op=0 restores {window} among {n}..{n + s - 1}, residue {residue} mod {s}")
    if rt0.restores != ((n - residue) % s == 0):
        bad.append(f"round_trip(op=0).restores={rt0.restores}, n={n}, residue {residue}")
    return tuple(bad)


def _sizes_from(m: int, k: int, s: int, pb: int, pe: int, d: int) -> list[int]:
    """Brute force: every L >= 1 whose conv gives back m (L beyond m s + k_eff cannot)."""
    top = (m + 1) * s + d * (k - 1) + 2
    return [v for v in range(1, top) if v + pb + pe >= d * (k - 1) + 1
            and conv_windows(v, k, s, pb, pe, d) == m]


def _check(params: Params) -> Check:
    n, k, s, d = params["n"], params["k"], params["s"], params["d"]
    pb, pe = _pads(params["p"])
    bad = list(_facts(n, k, s, params["p"], d, params.get("mutation")))
    m = conv_windows(n, k, s, pb, pe, d)
    lo = _m_min(n, k, s, pb, pe, d)
    brute = _sizes_from(m, k, s, pb, pe, d)
    if params["form"] == "unclipped":
        stated = list(range(lo, lo + s))
        if brute != stated:
            bad.append(f"sizes whose conv gives m={m}: {brute}, [m_min, m_min+s-1] = {stated}")
        return Check(not bad, "; ".join(bad) or f"sizes from m={m}: {brute}")
    stated = list(range(max(lo, 1), lo + s))
    if brute != stated:
        bad.append(f"sizes whose conv gives m={m}: {brute}, stated {stated}")
    t = transposed_sizes(ConvTranspose(kernel=k, stride=s, padding=((pb, pe),), dilation=d), m)
    by_kind = {r.kind: r for r in t.routes}
    route = by_kind[RouteKind.OUTPUT_SIZE]
    if list(route.sizes) != brute or list(route.adjoint) != brute:
        bad.append(f"transposed_sizes output_size route {route.sizes}, brute {brute}")
    op_route = by_kind[RouteKind.OUTPUT_PADDING]
    reach = sorted({conv_transpose_length(m, k, s, pb, pe, d, op) for op in range(max(s, d))}
                   - {0})
    if list(op_route.sizes) != reach or list(op_route.adjoint) != brute:
        bad.append(f"output_padding route {op_route.sizes} / {op_route.adjoint}, brute "
                   f"{reach} / {brute}")
    amb = ambiguity_set(_conv(params), n)
    if list(amb) != brute:
        bad.append(f"ambiguity_set = {amb}, brute {brute}")
    return Check(not bad, "; ".join(bad) or f"m={m}, a={(n + pb + pe - (d * (k - 1) + 1)) % s}, "
                                            f"sizes {brute}")


def _expected(params: Params) -> bool:
    if params["form"] == "clipped":
        return True
    pb, pe = _pads(params["p"])
    return _m_min(params["n"], params["k"], params["s"], pb, pe, params["d"]) >= 1


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return [q for i, q in enumerate(_grid(size)) if q["form"] == "clipped" and i % 10 == 0]


def _numeric(params: Params, rng: Any) -> Check:
    """The reference ops agree: conv_transpose(y, op) has n - a + op samples, and the reference
    conv of data of every size in the stated set has m outputs."""
    n, k, s, d = params["n"], params["k"], params["s"], params["d"]
    pb, pe = _pads(params["p"])
    keff = d * (k - 1) + 1
    kw = {"stride": s, "padding": ((pb, pe),), "dilation": d}
    w = rng.standard_normal((1, 1, k))
    m = conv(rng.standard_normal((1, 1, n)), w, **kw).shape[2]
    a = (n + pb + pe - keff) % s
    for op in range(max(s, d)):
        if n - a + op < 1:
            continue
        got = conv_transpose(rng.standard_normal((1, 1, m)), w, output_padding=op, **kw).shape[2]
        if got != n - a + op:
            return Check(False, f"conv_transpose(op={op}) has {got} samples, not {n - a + op}")
    lo = n - a
    for size in range(max(lo, 1), lo + s):
        if conv(rng.standard_normal((1, 1, size)), w, **kw).shape[2] != m:
            return Check(False, f"conv of {size} samples does not give m={m}")
    return Check(True, f"m={m}, sizes [{max(lo, 1)}, {lo + s - 1}]")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d, m = sympy.symbols("n k s d m", integer=True, positive=True)
    p, op, r = sympy.symbols("p op r", integer=True, nonnegative=True)
    o = F.conv_size(n, k, s, p, p, d)
    a = sympy.Mod(n + 2 * p - d * (k - 1) - 1, s)
    m_min = F.conv_transpose_size(m, k, s, p, p, d, 0)
    values = tuple(
        {n: nv, k: kv, s: sv, p: pv, d: dv}
        for nv in range(1, 13) for kv in range(1, 5) for sv in range(1, 5) for pv in range(3)
        for dv in range(1, 3) if nv + 2 * pv >= dv * (kv - 1) + 1
    )

    def library_a(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv = v[n], v[k], v[s], v[p], v[d]
        conv = Conv(kernel=kv, stride=sv, padding=pv, dilation=dv)
        return restoring_output_padding(conv, nv), (nv + 2 * pv - dv * (kv - 1) - 1) % sv

    def residue(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv = v[n], v[k], v[s], v[p], v[d]
        keff = dv * (kv - 1) + 1
        return int((nv + 2 * pv - keff) % sv == 0), int((nv - (keff - 2 * pv)) % sv == 0)

    return [
        Step("Round trip: the transposed conv of m = conv(n) with output padding op has "
             "n - a + op outputs (Mod rewritten as floor, expanded)",
             F.conv_transpose_size(o, k, s, p, p, d, op), n - a + op),
        Step("Hence it restores n iff op = a; m_min (op = 0) = n - a",
             F.conv_transpose_size(o, k, s, p, p, d, 0), n - a),
        Step("The conv of m_min + r gives m + floor(r/s): m exactly for 0 <= r < s, so the "
             "sizes with conv = m are [m_min, m_min + s - 1] (those >= 1)",
             F.conv_size(m_min + r, k, s, p, p, d), m + sympy.floor(r / s)),
        Step("op = 0 restores n iff a = 0 iff n = d(k-1) + 1 - 2p (mod s): one residue class",
             sympy.Piecewise((1, sympy.Eq(a, 0)), (0, True)),
             sympy.Piecewise((1, sympy.Eq(sympy.Mod(n - (d * (k - 1) + 1 - 2 * p), s), 0)),
                             (0, True)),
             values, residue),
        Step("symconv.sizes.inverse.restoring_output_padding returns a (evaluated)",
             a, sympy.Mod(n + 2 * p - d * (k - 1) - 1, s), values, library_a),
    ]


THEOREM = Theorem(
    id="T20",
    title="Shape round trip: conv then transposed conv restores n iff op = a(n)",
    statement=r"\operatorname{convT}_{\mathrm{op}}(\operatorname{conv}(n)) = n - a(n) + "
              r"\mathrm{op};\quad \{L \ge 1 : \operatorname{conv}(L) = m\} = "
              r"[\max(m_{\min}, 1),\, m_{\min} + s - 1];\quad \mathrm{op}=0 \text{ restores } n "
              r"\iff n \equiv d(k-1) + 1 - p_b - p_e \pmod s",
    parameters=("n", "k", "s", "p", "d", "form"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    exceptions=r"\text{unclipped } [m_{\min}, m_{\min}+s-1] \text{ is wrong iff } m_{\min} < 1 "
               r"\iff a(n) \ge n \text{ (it lists sizes} \le 0)",
    references=("PyTorch ConvTranspose output_size check", "Dumoulin & Visin (2016), "
                "Relationship 14 (the a of the transposed conv)"),
    source=__doc__ or "",
)
