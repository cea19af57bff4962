"""T05 — the input gradient of a transposed convolution is a convolution with the same parameters.

Let ``T`` be the transposed conv (kernel k, stride s, padding p, dilation d, groups g, output
padding op) on inputs of size ``m``; its output has ``L = (m-1)s - p_b - p_e + d(k-1) + 1 + op``
samples.  ``dL/dy = T^T dL/dz``, and ``T^T`` is the convolution with the *same* k, s, p, d, g
(and the same weight tensor: the transposed conv's ``(C_in, C_out/g, *k)`` is the conv's
``(C_out', C_in'/g, *k)``) on inputs of size ``L`` — **when op < s**.  That conv has
``m + floor(op/s)`` outputs, so for the output paddings ``s <= op < d`` that PyTorch also
accepts, ``T^T`` is that conv followed by dropping its last ``floor(op/s)`` outputs: conv
output ``i`` reads exactly the positions ``T`` writes input ``i`` to, and ``T`` has no input
``i >= m``.

So the statement has two forms, both checked on the grid (``params["form"]``):

* ``"plain"``: ``T^T = conv_{k,s,p,d,g}`` on ``L`` — holds exactly when ``op < s`` on every
  axis (the stated exception region is ``s <= op < d``);
* ``"cropped"`` (only where op >= s on some axis): ``T^T = crop_{[0, m)} o conv_{k,s,p,d,g}``.

Mutations the tests run: ``params["mutation"] = "dilation+1"`` (the conv with dilation
``d + 1``) and ``"flip"`` (the conv with a flipped kernel, as a "true convolution" would).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_map, conv_transpose_map, crop_map
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
    out_shape,
    per_axis,
    product_grid,
    thin_grid,
)

Params = Mapping[str, Any]


# 2-D and 3-D cases: (m, k, s, p, d, channels (C_in, C_out, groups)); op = 0, the largest legal op
# per axis, and the largest on the first axis only.
_MULTI_D = [
    ((2, 3), (2, 3), (2, 1), 0, (1, 3), (1, 1, 1)),
    ((3, 1), (3, 1), (1, 2), (1, 0), 2, (1, 1, 1)),
    ((2, 3), (2, 3), (2, 1), (1, 0), 2, (4, 2, 2)),
    ((3, 1), (3, 1), (1, 2), 0, (1, 3), (2, 6, 2)),
    ((2, 2), (3, 2), (2, 3), ((2, 0), (1, 1)), 1, (4, 4, 2)),
    ((2, 1, 3), (2, 1, 2), (2, 1, 1), (0, 0, 1), (1, 1, 2), (2, 2, 2)),
]
_MULTI_D_FULL = [
    ((4, 4), (3, 2), (3, 2), 1, (2, 1), (4, 2, 2)),
    ((3, 5), (2, 2), (1, 3), (2, 1), 3, (3, 3, 3)),
]


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(m=range(1, 11 if big else 7), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=range(0, 3),
                         d=range(1, 4 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    multi_d = [{"m": m, "k": k, "s": s, "p": p, "d": d, "ndim": len(m), "channels": ch}
               for m, k, s, p, d, ch in _MULTI_D + (_MULTI_D_FULL if big else [])]
    out = []
    for params in one_d + multi_d:
        nd = params["ndim"]
        ss, dd = per_axis(params["s"], nd), per_axis(params["d"], nd)
        for op in _output_paddings(ss, dd):
            q = {**params, "op": op, "form": "plain"}
            if is_valid(_build, q):
                out.append(q)
                if any(o >= s for o, s in zip(op, ss, strict=True)):
                    out.append({**q, "form": "cropped"})
    return out


def _output_paddings(ss: tuple[int, ...], dd: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every output padding PyTorch accepts (op < s or op < d per axis); in 2-D the zero,
    the largest and the per-axis largest."""
    limits = [max(s, d) for s, d in zip(ss, dd, strict=True)]
    if len(ss) == 1:
        return [(op,) for op in range(limits[0])]
    top = tuple(x - 1 for x in limits)
    return sorted({tuple(0 for _ in limits), top, (top[0],) + (0,) * (len(top) - 1)})


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return thin_grid(_grid(size), 10)


def _tconv(params: Params) -> ConvTranspose:
    return grid_layer(ConvTranspose, params, output_padding=params["op"])


def _conv(params: Params) -> Conv:
    nd = params["ndim"]
    d = params["d"]
    if params.get("mutation") == "dilation+1":
        d = tuple(v + 1 for v in per_axis(d, nd))
    return grid_layer(Conv, params, dilation=d)


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_tconv(params), per_axis(params["m"], params["ndim"]))


def _extra(params: Params) -> tuple[int, ...]:
    nd = params["ndim"]
    return tuple(op // s for op, s in zip(params["op"], per_axis(params["s"], nd), strict=True))


def _flipped(c: IndexMap, k: tuple[int, ...]) -> IndexMap:
    """The same map with every spatial axis of the kernel reversed (mutation only)."""
    w = c.weights[0]
    idx = np.arange(w.size).reshape(w.shape)[(slice(None), slice(None),
                                              *(slice(None, None, -1),) * len(k))]
    return IndexMap.from_arrays(c.shape, c.rows, c.cols, idx.ravel()[c.taps[:, 0]],
                                weights=c.weights, in_shape=c.in_shape, out_shape=out_shape(c))


def _check(params: Params) -> Check:
    """Exact: ``T^T`` against the conv on ``L`` (plain) or the conv cropped to ``m`` outputs."""
    nd = params["ndim"]
    cin, cout, _ = params["channels"]  # T maps cin channels to cout channels
    m = per_axis(params["m"], nd)
    t = conv_transpose_map(_tconv(params), (cin, *m), cout)
    big_l = out_shape(t)[1:]
    try:
        c = conv_map(_conv(params), (cout, *big_l), cin)
    except InvalidSpecError as exc:
        return Check(False, f"no conv on L={big_l}: {exc}")
    if params.get("mutation") == "flip":
        c = _flipped(c, per_axis(params["k"], nd))
    extra = _extra(params)
    want = tuple(a + b for a, b in zip(m, extra, strict=True))
    if out_shape(c)[1:] != want:
        return Check(False, f"conv on L={big_l} has {out_shape(c)[1:]} outputs, expected m + "
                            f"floor(op/s) = {want}")
    if params["form"] == "cropped":
        c = crop_map(out_shape(c), [(0, e) for e in extra]) @ c
    if c.shape != t.T.shape:
        return Check(False, f"conv on L={big_l} has {out_shape(c)[1:]} outputs, T reads {m}: "
                            f"T^T is the conv without its last floor(op/s)={extra}")
    if not t.T.equals(c):
        return Check(False, "same shapes, different entries")
    return Check(True, "T^T equals the conv" + (" cropped to m" if any(extra) else ""))


def _expected(params: Params) -> bool:
    return params["form"] == "cropped" or not any(_extra(params))


def _numeric(params: Params, rng: Any) -> Check:
    """<T y, x> == <y, conv(x)> (cropped to m for the cropped form) with float data."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    m = per_axis(params["m"], nd)
    k = per_axis(params["k"], nd)
    w = rng.standard_normal((cin, cout // g, *k))
    y = rng.standard_normal((1, cin, *m))
    kw = {"stride": params["s"], "padding": params["p"], "dilation": params["d"], "groups": g}
    ty = conv_transpose(y, w, output_padding=params["op"], **kw)
    x = rng.standard_normal(ty.shape)
    cx = conv(x, w, **kw)
    if params["form"] == "cropped":
        first: tuple[Any, ...] = (..., *(slice(0, v) for v in m))
        cx = cx[first]
    if cx.shape != y.shape:
        return Check(False, f"conv(x) has shape {cx.shape[2:]}, T reads {y.shape[2:]}")
    lhs, rhs = float(np.sum(ty * x)), float(np.sum(y * cx))
    return Check(abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)), f"<Ty,x>={lhs:.12g}, <y,Cx>={rhs:.12g}")


def _derivation() -> list[Step]:
    import sympy

    m, k, s, d = sympy.symbols("m k s d", integer=True, positive=True)
    p, op, i, t = sympy.symbols("p op i t", integer=True, nonnegative=True)
    big_l = F.conv_transpose_size(m, k, s, p, p, d, op)
    values = tuple(
        {m: mv, k: kv, s: sv, p: pv, d: dv, op: ov}
        for mv in range(1, 8) for kv in range(1, 5) for sv in range(1, 4) for pv in range(3)
        for dv in range(1, 4) for ov in range(max(sv, dv))
        if F.conv_transpose_size(mv, kv, sv, pv, pv, dv, ov) >= 1
    )

    def outputs(v: Any) -> tuple[int, int]:
        mv, kv, sv, pv, dv, ov = v[m], v[k], v[s], v[p], v[d], v[op]
        lv = F.conv_transpose_size(mv, kv, sv, pv, pv, dv, ov)
        return F.conv_size(lv, kv, sv, pv, pv, dv), mv + ov // sv

    def last_window(v: Any) -> tuple[int, int]:
        mv, kv, sv, pv, dv, ov = v[m], v[k], v[s], v[p], v[d], v[op]
        lv = F.conv_transpose_size(mv, kv, sv, pv, pv, dv, ov)
        # conv output m-1+e (e >= 1) would read x[(m-1+e)s - p + t d]; T's input m-1+e does
        # not exist: T^T has no row for it
        return int(F.conv_size(lv, kv, sv, pv, pv, dv) > mv), int(ov >= sv)

    return [
        Step("T writes input i through tap t to output j = i s - p + t d; the conv with the "
             "same k, s, p, d makes output i read input i s - p + t d through the same tap: "
             "T^T and the conv share entries row by row",
             i * s - p + t * d, i * s + t * d - p),
        Step("The conv on L = (m-1)s - 2p + d(k-1) + 1 + op has m + floor(op/s) outputs "
             "(SymPy: floor((m-1)s + op)/s) = m - 1 + floor(op/s))",
             F.conv_size(big_l, k, s, p, p, d), m + sympy.floor(op / s), values, outputs),
        Step("So the conv has extra outputs (rows T^T does not have) iff op >= s: "
             "the plain identity fails exactly on s <= op < d",
             sympy.Piecewise((1, F.conv_size(big_l, k, s, p, p, d) > m), (0, True)),
             sympy.Piecewise((1, op >= s), (0, True)), values, last_window),
    ]


THEOREM = Theorem(
    id="T05",
    title="The input gradient of a transposed convolution is a convolution with the same "
          "parameters",
    statement=r"\bigl(\operatorname{convT}_{k,s,p,d,g,\mathrm{op}}\bigr)^{\top} = "
              r"\operatorname{crop}_{[0,m)} \circ \operatorname{conv}_{k,s,p,d,g},"
              r"\quad \text{the crop drops } \lfloor \mathrm{op}/s \rfloor \text{ outputs, "
              r"none iff } \mathrm{op} < s",
    parameters=("m", "k", "s", "p", "d", "op", "groups", "form"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    exceptions=r"s \le \mathrm{op} < d\ (\text{PyTorch accepts it}):\ T^{\top} \text{ is the conv "
               r"without its last } \lfloor \mathrm{op}/s \rfloor \text{ outputs, not the conv}",
    references=("Dumoulin & Visin (2016), section 4", "PyTorch ConvTranspose docs"),
    source=__doc__ or "",
)
