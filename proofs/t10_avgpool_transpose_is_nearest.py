"""T10 — the transpose of average pooling (k = s, stride s) is nearest upsampling divided by s.

Let ``P`` be average pooling with kernel ``s`` and stride ``s`` (no padding) on inputs of size
``n`` per axis, ``m = floor(n / s)`` windows per axis, and ``U`` nearest upsampling by ``s`` on
the pooled grid (``m -> s m``).  Then, in ``D`` spatial dimensions,

    ``P^T = Z U / s^D``  with ``Z`` zero padding by ``(0, n mod s)`` per axis,

exactly, for every ``n >= s``.  Average pooling drops the ``n mod s`` trailing positions of each
axis (no window reaches them), so ``P^T`` has **zero rows** exactly at the positions having some
coordinate ``j_a >= s floor(n_a / s)``.  The unpadded statement ``P^T = U / s^D`` therefore holds
iff ``s_a`` divides ``n_a`` on every axis; otherwise the shapes differ (``P^T`` has ``n`` rows,
``U`` only ``s floor(n/s)``) — that is the stated failure region.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any

import numpy as np

from symconv.core import avg_pool_map, pad_map, resize_map
from symconv.numeric import avg_pool, pad, upsample_nearest
from symconv.sizes import formulas as F
from symconv.spec import AvgPool, Resize
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=range(1, 14 if big else 10), s=range(1, 6 if big else 5),
                         C=[1, 2], form=["plain", "padded"])
    two_d = product_grid(ndim=[2], n=[(2, 3), (4, 4), (5, 3)] + ([(7, 6)] if big else []),
                         s=[(2, 2), (3, 1), (2, 3)] + ([(3, 3)] if big else []), C=[1, 2],
                         form=["plain", "padded"])
    three_d = product_grid(ndim=[3], n=[(2, 3, 4), (4, 2, 3)], s=[(2, 2, 2), (1, 3, 2)], C=[1],
                           form=["plain", "padded"])
    return [p for p in one_d + two_d + three_d
            if all(ni >= si for ni, si in zip(per_axis(p["n"], p["ndim"]), per_axis(p["s"], p["ndim"]),
                                               strict=True))]


def _expected(params: Mapping[str, Any]) -> bool:
    nd = params["ndim"]
    return params["form"] == "padded" or all(
        ni % si == 0 for ni, si in zip(per_axis(params["n"], nd), per_axis(params["s"], nd), strict=True))


def tail_positions(n: tuple[int, ...], s: tuple[int, ...]) -> Any:
    """Boolean array over the input grid: True where no pooling window reaches (the zero rows
    of ``P^T``): some coordinate ``j_a >= s_a floor(n_a / s_a)``."""
    mask = np.zeros(n, dtype=bool)
    for a, (na, sa) in enumerate(zip(n, s, strict=True)):
        idx = [slice(None)] * len(n)
        idx[a] = slice(sa * (na // sa), na)
        mask[tuple(idx)] = True
    return mask


def _check(params: Mapping[str, Any]) -> Check:
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    m = tuple(ni // si for ni, si in zip(n, s, strict=True))
    pool_t = avg_pool_map(AvgPool(kernel=s, stride=s, ndim=nd), (c, *n)).T
    if pool_t.in_shape != (c, *m):
        return Check(False, f"pooled size {pool_t.in_shape[1:] if pool_t.in_shape else None} "
                            f"is not floor(n/s) = {m}")
    up = resize_map(Resize(scale_factor=s, mode="nearest", ndim=nd), (c, *m)).scaled(1, prod(s))
    # The zero rows of P^T are exactly the tail positions (checked in both forms).
    zero_rows = pool_t.row_counts().reshape(c, *n) == 0
    want = np.broadcast_to(tail_positions(n, s), zero_rows.shape)
    if not np.array_equal(zero_rows, want):
        return Check(False, "zero rows of P^T are not the tail positions j_a >= s floor(n/s)")
    tail = tuple(ni - si * mi for ni, si, mi in zip(n, s, m, strict=True))
    covered = tuple(si * mi for si, mi in zip(s, m, strict=True))
    if params["form"] == "plain":
        if pool_t.shape != up.shape:
            return Check(False, f"P^T has {pool_t.shape[0]} rows (input {n}), U/s^D has "
                                f"{up.shape[0]} (s floor(n/s) = {covered}); "
                                f"P^T's {int(want.sum())} row(s) with some j_a >= s floor(n_a/s) "
                                f"(tail {tail} per axis) are zero")
        ok = pool_t.equals(up)
        return Check(ok, "P^T = U/s^D entry by entry" if ok else "same shapes, different entries")
    padded = pad_map((c, *(si * mi for si, mi in zip(s, m, strict=True))),
                     [(0, tl) for tl in tail]) @ up
    ok = pool_t.equals(padded)
    return Check(ok, f"P^T = Pad(0, {tail}) U / {prod(s)} entry by entry" if ok
                 else "P^T differs from the zero-padded scaled upsampling")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    """<avg_pool(x), y> == <x, Z U(y) / s^D> (adjointness) with random float data."""
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    x = rng.standard_normal((1, c, *n))
    px = avg_pool(x, s, stride=s)
    y = rng.standard_normal(px.shape)
    uy = upsample_nearest(y, s) / prod(s)
    if params["form"] == "padded":
        uy = pad(uy, tuple((0, ni - ui) for ni, ui in zip(n, uy.shape[2:], strict=True)))
    if uy.shape != x.shape:
        return Check(False, f"U(y)/s^D has shape {uy.shape[2:]}, the pooled input {n}")
    lhs, rhs = float(np.sum(px * y)), float(np.sum(x * uy))
    return Check(abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)),
                 f"<Px,y>={lhs:.12g}, <x,P^T y>={rhs:.12g}")


def _derivation() -> list[Step]:
    import sympy

    n, s = sympy.symbols("n s", integer=True, positive=True)
    j, o, t = sympy.symbols("j o t", integer=True, nonnegative=True)
    m = sympy.floor(n / s)
    values = tuple({n: nv, s: sv, j: jv, o: jv // sv}
                   for nv in range(1, 10) for sv in range(1, nv + 1) for jv in range(nv))

    taps = tuple({s: sv, o: ov, t: tv} for sv in range(1, 6) for ov in range(6)
                 for tv in range(sv))

    def window(v: Any) -> tuple[int, int]:
        return (v[o] * v[s] + v[t]) // v[s], v[o]

    def windows(v: Any) -> tuple[int, int]:
        return F.pool_size(v[n], v[s], v[s], 0, 0, 1, ceil_mode=False), v[n] // v[s]

    def last(v: Any) -> tuple[int, int]:
        mv = v[n] // v[s]
        return (mv - 1) * v[s] + v[s] - 1, v[s] * mv - 1

    def tail(v: Any) -> tuple[int, int]:
        return v[n] - v[s] * (v[n] // v[s]), v[n] % v[s]

    return [
        Step("Average pooling with k = s = stride has m = floor((n - s)/s) + 1 = floor(n/s) "
             "windows per axis",
             F.conv_size(n, s, s, 0, 0, 1), m, values, windows),
        Step("Window o averages inputs j = o s + t, 0 <= t < s, with weight 1/s, and "
             "floor(j/s) = o for exactly those j: so P[o, j] = [floor(j/s) = o] / s = U[j, o] / s, "
             "the nearest "
             "upsampling matrix transposed and divided by s",
             sympy.floor((o * s + t) / s), o, taps, window),
        Step("The last window ends at (m-1)s + s - 1 = s m - 1: inputs j >= s m are in no window",
             (m - 1) * s + s - 1, s * m - 1, values, last),
        Step("So n - s floor(n/s) = n mod s trailing positions per axis give zero rows of P^T; "
             "with D axes the 1-D factors multiply (P, U separable), dividing by s^D",
             n - s * m, sympy.Mod(n, s), values, tail),
    ]


THEOREM = Theorem(
    id="T10",
    title="Average pooling (k = s = stride) transposed is nearest upsampling divided by s",
    statement=r"\operatorname{avgpool}_{k=s,\,s}^{\top} = Z_{(0,\,n \bmod s)}\,"
              r"\frac{\operatorname{up}^{\mathrm{nearest}}_{s}}{s^{D}}",
    parameters=("n", "s", "C", "ndim", "form"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    derivation=_derivation,
    exceptions=r"\text{without } Z:\ s_a \nmid n_a \text{ on some axis (the rows } "
               r"j_a \ge s\lfloor n_a/s\rfloor \text{ of the transpose are zero)}",
    references=("PyTorch nn.AvgPool / nn.Upsample(mode='nearest')",),
    source=__doc__ or "",
)
