"""T02 — the transposed convolution is the adjoint (transpose) of the convolution.

``conv_transpose(y; s, p, d, op=a) = C^T y`` for the conv ``C`` on inputs of size ``n``, with
``a = (n + 2p - d(k-1) - 1) mod s``; for every ``0 <= op < s`` it is the adjoint of the conv
on ``n - a + op``.  PyTorch also accepts ``s <= op < d``: that layer is the adjoint of no
convolution with the same parameters (its output is too long by ``floor(op/s)`` windows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.core import conv_map, conv_matrix, conv_transpose_map, conv_transpose_matrix
from symconv.errors import InvalidSpecError
from symconv.numeric import conv, conv_transpose
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose
from symconv.theory.theorem import (
    Check,
    Step,
    Theorem,
    grid_layer,
    is_valid,
    per_axis,
    product_grid,
)


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(n=range(1, 13 if big else 9), k=range(1, 5), s=range(1, 4),
                         p=range(0, 3), d=range(1, 4 if big else 3), ndim=[1],
                         channels=[(1, 1, 1)])
    two_d = product_grid(n=[(3, 4), (5, 2), (6, 6)] if big else [(3, 4), (5, 2)],
                         k=[(2, 3), (3, 1)], s=[(2, 1), (3, 2)], p=[0, 1], d=[1, 2], ndim=[2],
                         channels=[(1, 1, 1), (4, 2, 2)])
    out = []
    for params in one_d + two_d:
        s, d = params["s"], params["d"]
        limit = max(max(per_axis(s, 1)), max(per_axis(d, 1)))
        for op in range(limit):
            # PyTorch rule per axis: op < s or op < d
            if all(op < si or op < di for si, di in zip(per_axis(s, params["ndim"]),
                                                         per_axis(d, params["ndim"]), strict=True)):
                if is_valid(_build, {**params, "op": op}):
                    out.append({**params, "op": op})
    return out


def _layers(params: dict[str, Any]) -> tuple[Conv, ConvTranspose]:
    return (grid_layer(Conv, params),
            grid_layer(ConvTranspose, params, output_padding=params["op"]))


def _build(params: dict[str, Any]) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    conv_l, tconv = _layers(params)
    return resolve(tconv, resolve(conv_l, per_axis(params["n"], params["ndim"])).output)


def _check(params: dict[str, Any]) -> Check:
    """Exact: the transposed conv's index map equals the transposed conv map on its output size."""
    cin, cout, _ = params["channels"]
    conv_l, tconv = _layers(params)
    n = per_axis(params["n"], params["ndim"])
    m = conv_map(conv_l, (cin, *n), cout)
    t = conv_transpose_map(tconv, m.out_shape, cin)
    try:
        c_on_output = conv_map(conv_l, t.out_shape, cout)
    except InvalidSpecError as exc:
        return Check(False, f"no conv on size {t.out_shape[1:]}: {exc}")
    if c_on_output.shape != t.T.shape:
        return Check(False, f"conv on {t.out_shape[1:]} has {c_on_output.out_shape[1:]} outputs, "
                            f"the transposed conv reads {m.out_shape[1:]}")
    if not t.T.equals(c_on_output):
        return Check(False, "same shapes, different entries")
    if params["ndim"] == 1 and n[0] <= 4 and cin == 1:
        # Small instances: also compare the SymPy matrices entry by entry.
        k, s, p, d, op = (params[x] for x in ("k", "s", "p", "d", "op"))
        sym_c = conv_matrix((cin, *t.out_shape[1:]), (cout, cin, k), s, p, d)
        sym_t = conv_transpose_matrix((cout, *m.out_shape[1:]), (cout, cin, k), s, p, op, d)
        if sym_c.T != sym_t:
            return Check(False, "SymPy matrices differ")
    return Check(True, "C^T equals the transposed conv entry by entry")


def _expected(params: dict[str, Any]) -> bool:
    nd = params["ndim"]
    return all(params["op"] < s for s in per_axis(params["s"], nd))


def _numeric(params: dict[str, Any], rng: Any) -> Check:
    """<conv(x), y> == <x, conv_transpose(y)> with random float data."""
    cin, cout, g = params["channels"]
    nd = params["ndim"]
    conv_l, tconv = _layers(params)
    m = resolve(conv_l, per_axis(params["n"], nd)).output
    n_out = resolve(tconv, m).output
    k = per_axis(params["k"], nd)
    w = rng.standard_normal((cout, cin // g, *k))
    y = rng.standard_normal((1, cout, *m))
    ty = conv_transpose(y, w, stride=params["s"], padding=params["p"],
                        output_padding=params["op"], dilation=params["d"], groups=g)
    x = rng.standard_normal((1, cin, *n_out))
    try:
        cx = conv(x, w, stride=params["s"], padding=params["p"], dilation=params["d"], groups=g)
    except InvalidSpecError as exc:
        return Check(False, str(exc))
    if cx.shape != y.shape:
        return Check(False, f"conv of the transposed output has shape {cx.shape[2:]}, "
                            f"not {y.shape[2:]}")
    lhs, rhs = float(np.sum(cx * y)), float(np.sum(x * ty))
    ok = abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs))
    return Check(ok, f"<Cx,y>={lhs:.12g}, <x,C^T y>={rhs:.12g}")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    p, op = sympy.symbols("p op", integer=True, nonnegative=True)
    o, t = sympy.symbols("o t", integer=True, nonnegative=True)
    m = F.conv_size(n, k, s, p, p, d)
    a = sympy.Mod(n + 2 * p - d * (k - 1) - 1, s)
    values = tuple(
        {n: nv, k: kv, s: sv, p: pv, d: dv, op: ov, o: 1, t: 1}
        for nv in range(1, 10) for kv in range(1, 4) for sv in range(1, 4) for pv in range(3)
        for dv in range(1, 3) for ov in range(3)
        if nv + 2 * pv >= dv * (kv - 1) + 1
    )

    def ints(v: Any) -> tuple[int, ...]:
        return v[n], v[k], v[s], v[p], v[d], v[op]

    def size_n(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv, _ = ints(v)
        mv = F.conv_size(nv, kv, sv, pv, pv, dv)
        av = (nv + 2 * pv - dv * (kv - 1) - 1) % sv
        return F.conv_transpose_size(mv, kv, sv, pv, pv, dv, av), nv

    def read_back(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv, ov = ints(v)
        mv = F.conv_size(nv, kv, sv, pv, pv, dv)
        back = F.conv_size(F.conv_transpose_size(mv, kv, sv, pv, pv, dv, ov), kv, sv, pv, pv, dv)
        return back, mv + ov // sv

    return [
        Step("Conv output o reads input i = o s - p + t d through tap w_t; the transposed conv "
             "writes input o to output j = o s - p + t d through the same tap, so C^T and the "
             "transposed conv have the same non-zero pattern and entries",
             o * s - p + t * d, o * s - p + t * d, values[:5]),
        Step("With op = a the transposed conv's output size is exactly n",
             F.conv_transpose_size(m, k, s, p, p, d, a), n, values, size_n),
        Step("With any op, the conv on the transposed output size yields m + floor(op/s) "
             "outputs: it reads back m outputs (an adjoint) iff op < s",
             F.conv_size(F.conv_transpose_size(m, k, s, p, p, d, op), k, s, p, p, d),
             m + sympy.floor(op / s), values, read_back),
    ]


THEOREM = Theorem(
    id="T02",
    title="Transposed convolution is the adjoint of convolution",
    statement=r"\operatorname{convT}_{s,p,d,\mathrm{op}=a}(y) = C^{\top} y,\quad "
              r"a = (n + 2p - d(k-1) - 1) \bmod s",
    parameters=("n", "k", "s", "p", "d", "op", "groups"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    derivation=_derivation,
    exceptions=r"s \le \mathrm{op} < d \text{ (accepted by PyTorch): adjoint of no conv with "
               r"the same parameters}",
    references=("Dumoulin & Visin (2016), section 4", "PyTorch ConvTranspose docs"),
    source=__doc__ or "",
)
