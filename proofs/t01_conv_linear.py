"""T01 — a convolution is a linear map ``conv(x) = C x``, and ``C`` has a closed-form nnz.

``C[(co, o), (ci, i)] = w[co, ci mod C_in/g, t]`` for every tap ``t`` with
``i = o s - p_b + t d`` inside ``[0, n)`` (zero padding contributes nothing), and ``ci`` in the
group of ``co``.  On one axis, tap ``t`` is read by the outputs ``o`` in
``[max(0, ceil((p_b - t d)/s)), min(O - 1, floor((n - 1 + p_b - t d)/s))]``, so

``nnz(C) = C_out (C_in/g) prod_axes sum_{t<k} max(0, min(O-1, floor((n-1+p_b-td)/s))
- max(0, ceil((p_b-td)/s)) + 1)``.

Evidence: the core's map applied to exact integer data equals :func:`symconv.numeric.conv` on
exact object arrays (and, on tiny instances, ``C x`` with SymPy symbols for both ``x`` and
``w`` equals the reference conv of the symbols); the closed form equals ``IndexMap.nnz`` and
the number of distinct entries.

Mutations the tests run: ``params["mutation"] = "stride+1"`` builds ``C`` with the wrong
stride; ``"nnz_pe"`` counts with the end padding in place of ``p_b``.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any

import numpy as np

from symconv.core import conv_map, weight_symbols
from symconv.errors import InvalidSpecError
from symconv.numeric import conv
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv
from symconv.theory.theorem import (
    Check,
    Step,
    Theorem,
    grid_layer,
    instance_rng,
    pad_pairs,
    per_axis,
    product_grid,
    thin_grid,
    valid_instances,
)

Params = Mapping[str, Any]

_ASYM = [((0, 1),), ((2, 1),)]  # 1-D asymmetric paddings (p_b, p_e)


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(n=range(1, 13 if big else 9), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=[0, 1, 2, *_ASYM],
                         d=range(1, 4 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    two_d = product_grid(n=[(3, 4), (5, 2), (6, 6)] if big else [(3, 4), (5, 2)],
                         k=[(2, 3), (3, 1)], s=[(2, 1), (3, 2)],
                         p=[0, ((1, 0), (0, 2))], d=[1, (2, 1)], ndim=[2],
                         channels=[(1, 1, 1), (4, 2, 2), (3, 6, 3)])
    three_d = [{"n": (3, 4, 3), "k": (2, 1, 2), "s": (2, 1, 1), "p": (1, 0, 1), "d": (1, 1, 2),
                "ndim": 3, "channels": (4, 2, 2)}]
    return valid_instances(one_d + two_d + three_d, _build)


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    """Every 2-D case and every eighth 1-D case (the exact check already covers all)."""
    return thin_grid(_grid(size), 8)


def _layer(params: Params, stride_shift: int = 0) -> Conv:
    nd = params["ndim"]
    s = tuple(v + stride_shift for v in per_axis(params["s"], nd))
    return grid_layer(Conv, params, stride=s, padding=pad_pairs(params["p"], nd))


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_layer(params), per_axis(params["n"], params["ndim"]))


def taps_inside(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    """Closed form: number of (output, tap) pairs of one axis that read a real input sample."""
    o = F.conv_size(n, k, s, pb, pe, d)
    return sum(
        max(0, min(o - 1, F.floordiv(n - 1 + pb - t * d, s)) - max(0, F.ceildiv(pb - t * d, s))
            + 1)
        for t in range(k)
    )


def _taps_brute(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    """Definition: count (o, t) with ``0 <= o s - p_b + t d < n``."""
    o = F.conv_size(n, k, s, pb, pe, d)
    return sum(1 for oo in range(o) for t in range(k) if 0 <= oo * s - pb + t * d < n)


def nnz_closed_form(params: Params) -> int:
    """``C_out (C_in/g) prod_axes taps_inside`` for a grid instance."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    axes = zip(per_axis(params["n"], nd), per_axis(params["k"], nd), per_axis(params["s"], nd),
               pad_pairs(params["p"], nd), per_axis(params["d"], nd), strict=True)
    swap = params.get("mutation") == "nnz_pe"
    return cout * (cin // g) * prod(
        taps_inside(n, k, s, pe if swap else pb, pb if swap else pe, d)
        for n, k, s, (pb, pe), d in axes
    )


def _obj(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out[...] = a.tolist() if a.ndim else a.item()
    return out


def _check(params: Params) -> Check:
    """Exact: ``C x`` (core, integer arithmetic) equals ``numeric.conv`` on object arrays;
    ``nnz(C)`` equals the closed form."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    k = per_axis(params["k"], nd)
    shift = 1 if params.get("mutation") == "stride+1" else 0
    try:
        m = conv_map(_layer(params, shift), (cin, *n), cout)
    except InvalidSpecError as exc:
        return Check(False, f"no conv map: {exc}")
    want_nnz = nnz_closed_form(params)
    distinct = m.canonical().nnz
    if not m.nnz == distinct == want_nnz:
        return Check(False, f"nnz(C)={m.nnz} ({distinct} distinct), closed form {want_nnz}")
    rng = instance_rng(params)
    x = rng.integers(-9, 10, (cin, *n))
    w = rng.integers(-9, 10, (cout, cin // g, *k))
    ref = conv(_obj(x)[None], _obj(w), stride=params["s"], padding=pad_pairs(params["p"], nd),
               dilation=params["d"], groups=g)[0]
    got = m.apply_exact(x, w)
    if got.shape != ref.shape or not all(
        int(a) == int(b) for a, b in zip(got.ravel().tolist(), ref.ravel().tolist(), strict=True)
    ):
        return Check(False, f"C x != conv(x) on integer data (shapes {got.shape}, {ref.shape})")
    if nd == 1 and n[0] <= 3 and k[0] <= 3:
        # Tiny instances: x and w both SymPy symbols; C x == conv(x) as polynomials.
        import sympy

        xs = _obj(np.array(sympy.symbols(f"x0:{n[0]}", real=True))).reshape(1, n[0])
        ws = weight_symbols((cout, cin, k[0]))
        cx = m.symbolic(ws) * sympy.Matrix(xs.ravel().tolist())
        ref_s = conv(xs[None], ws, stride=params["s"], padding=pad_pairs(params["p"], nd),
                     dilation=params["d"])[0].ravel().tolist()
        if any(sympy.expand(a - b) != 0 for a, b in zip(list(cx), ref_s, strict=True)):
            return Check(False, "C x != conv(x) with symbolic x and w")
    return Check(True, f"C x = conv(x) exactly; nnz = {want_nnz}")


def _numeric(params: Params, rng: Any) -> Check:
    """Float data: the sparse matrix times x equals the reference conv."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    m = conv_map(_layer(params), (cin, *n), cout)
    x = rng.standard_normal((cin, *n))
    w = rng.standard_normal((cout, cin // g, *per_axis(params["k"], nd)))
    ref = conv(x[None], w, stride=params["s"], padding=pad_pairs(params["p"], nd),
               dilation=params["d"], groups=g)[0]
    got = m.numeric(w) @ x.ravel()
    err = float(np.max(np.abs(got - ref.ravel()))) if ref.size else 0.0
    return Check(err <= 1e-12 * (1 + float(np.max(np.abs(ref)))), f"max |Cx - conv(x)| = {err:.3g}")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    pb, pe, t, o = sympy.symbols("p_b p_e t o", integer=True, nonnegative=True)
    big_o = F.conv_size(n, k, s, pb, pe, d)
    pos = o * s - pb + t * d

    def closed_form(before: Any, after: Any) -> Any:
        # Unevaluated Max/Min: SymPy's Max simplification (assumption queries) costs seconds
        # here, and these steps are checked by evaluation anyway.
        first = sympy.Max(0, sympy.ceiling((before - t * d) / s), evaluate=False)
        last = sympy.Min(F.conv_size(n, k, s, before, after, d) - 1,
                         sympy.floor((n - 1 + before - t * d) / s), evaluate=False)
        return sympy.Max(0, last - first + 1, evaluate=False)

    closed = closed_form(pb, pe)
    brute = sympy.Sum(sympy.Piecewise((1, sympy.And(pos >= 0, pos < n)), (0, True)),
                      (o, 0, big_o - 1))
    per_tap = tuple(
        {n: nv, k: kv, s: sv, pb: bv, pe: ev, d: dv, t: tv}
        for nv in range(1, 9) for kv in range(1, 5) for sv in range(1, 4)
        for bv in range(3) for ev in range(2) for dv in range(1, 3) for tv in range(kv)
        if nv + bv + ev >= dv * (kv - 1) + 1
    )

    def ints(v: Any) -> tuple[int, ...]:
        return v[n], v[k], v[s], v[pb], v[pe], v[d]

    def tap_count(v: Any) -> tuple[int, int]:
        nv, kv, sv, bv, ev, dv = ints(v)
        tv = v[t]
        ov = F.conv_size(nv, kv, sv, bv, ev, dv)
        lhs = sum(1 for q in range(ov) if 0 <= q * sv - bv + tv * dv < nv)
        rhs = max(0, min(ov - 1, (nv - 1 + bv - tv * dv) // sv)
                  - max(0, -(-(bv - tv * dv) // sv)) + 1)
        return lhs, rhs

    axis_values = tuple(v for v in per_tap if v[t] == 0)

    def axis_total(v: Any) -> tuple[int, int]:
        return _taps_brute(*ints(v)), taps_inside(*ints(v))

    valid_values = tuple(v for v in axis_values if v[pb] == 0 and v[pe] == 0)

    def valid_total(v: Any) -> tuple[int, int]:
        nv, kv, sv, _, _, dv = ints(v)
        return taps_inside(*ints(v)), F.conv_size(nv, kv, sv, 0, 0, dv) * kv

    c_out, c_in, groups = sympy.symbols("C_out C_in g", integer=True, positive=True)
    n_axis = sympy.IndexedBase("N")
    a, nd = sympy.symbols("a D", integer=True, positive=True)
    return [
        Step("Output o reads input i = o s - p_b + t d through tap t; with zero padding the "
             "entry C[o, i] exists iff 0 <= i < n, so conv(x) = C x is linear in x",
             pos, t * d + o * s - pb, axis_values[:4]),
        Step("Tap t is read by the outputs o in [max(0, ceil((p_b - t d)/s)), "
             "min(O-1, floor((n-1+p_b-t d)/s))]: their number in closed form",
             brute, closed, per_tap, tap_count),
        Step("Summing over the taps gives the entries of one axis (closed form = count)",
             sympy.Sum(brute, (t, 0, k - 1)), sympy.Sum(closed, (t, 0, k - 1)), axis_values,
             axis_total),
        Step("Without padding every tap of every window is inside: O k entries per axis",
             sympy.Sum(closed_form(0, 0), (t, 0, k - 1)),
             F.conv_size(n, k, s, 0, 0, d) * k, valid_values, valid_total),
        Step("Axes multiply (the index sets are products); each output channel reads the "
             "C_in/g channels of its group: nnz = C_out (C_in/g) prod_a N_a",
             c_out * (c_in / groups) * sympy.Product(n_axis[a], (a, 1, nd)),
             c_out * c_in * sympy.Product(n_axis[a], (a, 1, nd)) / groups),
    ]


THEOREM = Theorem(
    id="T01",
    title="Convolution is linear, with a closed-form number of non-zeros",
    statement=r"\operatorname{conv}(x) = C x,\quad \operatorname{nnz}(C) = C_{\mathrm{out}}"
              r"\tfrac{C_{\mathrm{in}}}{g}\prod_{\mathrm{axes}}\sum_{t=0}^{k-1}\max\Bigl(0,"
              r"\min\bigl(O-1,\lfloor\tfrac{n-1+p_b-td}{s}\rfloor\bigr)"
              r"-\max\bigl(0,\lceil\tfrac{p_b-td}{s}\rceil\bigr)+1\Bigr)",
    parameters=("n", "k", "s", "p", "d", "groups"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Dumoulin & Visin (2016), section 4.1 (the matrix C)",),
    source=__doc__ or "",
)
