"""T06 — a transposed convolution is a stride-1 convolution over the zero-stretched input, with
the kernel **flipped by 180 degrees** and its in/out channels swapped per group.

``convT_{k,s,p,d,g,op}(y) = conv_{k,1,d,g}(pad(stretch_s(y)); flip(w)^swap)`` where
``stretch_s`` inserts ``s - 1`` zeros between samples (size ``(m-1)s + 1``), the padding is
``d(k-1) - p_b`` at the start and ``d(k-1) - p_e + op`` at the end (a negative amount crops),
``flip`` reverses every spatial axis of the kernel and ``swap`` turns the transposed conv's
weight ``(C_in, C_out/g, *k)`` into the conv's ``(C_out, C_in/g, *k)`` within each group —
exactly the :class:`symconv.theory.derive.DirectConv` that :func:`symconv.theory.derive.direct_conv_equivalent`
returns.  It holds for every output padding PyTorch accepts (``op < s`` or ``op < d``) and
with dilation.

The conv-arithmetic guide (Dumoulin & Visin 2016, section 4) draws the equivalent direct conv
with the kernel *not* flipped.  That version (``params["form"] = "unflipped"``: channels
swapped, spatial axes kept) is false for every kernel with more than one tap on some axis: as
maps over generic (symbolic) weights it equals the transposed conv only when ``k = 1`` on all
axes; numerically it holds for a kernel that is itself symmetric under the flip
(``numeric`` checks with ``kernel="symmetric"``) and fails for a random one.

Evidence: the core's maps ``conv_map(direct.conv) @ crop @ zero_stretch_map`` with the conv's
taps relabelled through ``direct.weight`` equal ``conv_transpose_map`` exactly (when the crop
removes the whole stretched input, both sides are the zero map); numerically
``numeric.conv_transpose`` equals the reference conv of the stretched, cropped input.

Mutation the tests run: ``params["mutation"] = "guide_padding"`` pads ``k - 1 - p`` (the
guide's undilated amount) instead of ``d(k-1) - p``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_map, conv_transpose_map, crop_map, zero_stretch_map
from symconv.errors import InvalidSpecError
from symconv.numeric import conv, conv_transpose, zero_stretch
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose
from symconv.theory.derive import DirectConv, direct_conv_equivalent, flip_kernel
from symconv.theory.theorem import (
    Check,
    Step,
    Theorem,
    grid_layer,
    is_valid,
    out_shape,
    per_axis,
    product_grid,
)

Params = Mapping[str, Any]


# 2-D and 3-D cases: (m, k, s, p, d, channels (C_in, C_out, groups)), each with op = 0 and the largest
# legal op per axis.
_MULTI_D = [
    ((2, 3), (2, 3), (2, 1), 0, (1, 3), (1, 1, 1)),
    ((3, 1), (3, 1), (1, 2), (1, 0), 2, (1, 1, 1)),
    ((2, 3), (2, 3), (2, 1), (1, 0), 2, (4, 2, 2)),
    ((3, 1), (3, 1), (1, 2), 0, (1, 3), (2, 6, 2)),
    ((2, 2), (1, 1), (2, 2), 0, 1, (2, 6, 2)),
    ((3, 2), (3, 3), (2, 3), ((2, 0), (1, 1)), 1, (4, 4, 2)),
    ((2, 1, 3), (2, 1, 2), (2, 1, 1), (0, 0, 1), (1, 1, 2), (2, 2, 2)),
]
_MULTI_D_FULL = [
    ((4, 4), (3, 2), (3, 2), 1, (2, 1), (4, 2, 2)),
    ((3, 5), (2, 2), (1, 3), (2, 1), 3, (3, 3, 3)),
]


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(m=range(1, 9 if big else 6), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=range(0, 3),
                         d=range(1, 4 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    multi_d = [{"m": m, "k": k, "s": s, "p": p, "d": d, "ndim": len(m), "channels": ch}
               for m, k, s, p, d, ch in _MULTI_D + (_MULTI_D_FULL if big else [])]
    out = []
    for params in one_d + multi_d:
        nd = params["ndim"]
        ss, dd = per_axis(params["s"], nd), per_axis(params["d"], nd)
        limits = [max(s, d) for s, d in zip(ss, dd, strict=True)]
        ops = ([(op,) for op in range(limits[0])] if nd == 1
               else sorted({(0,) * nd, tuple(x - 1 for x in limits)}))
        for op in ops:
            q = {**params, "op": op, "form": "flipped"}
            if not is_valid(_build, q):
                continue
            out.append(q)
            # the guide's unflipped kernel: on a sub-box of 1-D cases and every 2-D case
            if nd >= 2 or per_axis(params["m"], nd)[0] <= (3 if big else 2):
                out.append({**q, "form": "unflipped"})
    return out


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    out = []
    for i, q in enumerate(_grid(size)):
        if q["ndim"] >= 2 or i % 10 == 0:
            out.append({**q, "kernel": "random"})
            if q["form"] == "unflipped":
                out.append({**q, "kernel": "symmetric"})
    return out


def _tconv(params: Params) -> ConvTranspose:
    return grid_layer(ConvTranspose, params, output_padding=params["op"])


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_tconv(params), per_axis(params["m"], params["ndim"]))


def _direct(params: Params) -> DirectConv:
    """The library's equivalent (or, for the mutation, one with the guide's undilated pads)."""
    nd = params["ndim"]
    tconv = _tconv(params)
    dc = direct_conv_equivalent(tconv, per_axis(params["m"], nd))
    if params.get("mutation") != "guide_padding":
        return dc
    # d(k-1) - p  ->  (k-1) - p on both sides
    pads = tuple((b - (d - 1) * (k - 1), e - (d - 1) * (k - 1)) for (b, e), k, d in zip(
        dc.padding, per_axis(params["k"], nd), per_axis(params["d"], nd), strict=True))
    layer = Conv(kernel=params["k"], stride=1,
                 padding=tuple((max(b, 0), max(e, 0)) for b, e in pads),
                 dilation=params["d"], groups=dc.groups, ndim=nd)
    return DirectConv(dc.stretch, pads, layer, dc.groups)


def _crops(dc: DirectConv) -> list[tuple[int, int]]:
    return [(max(-b, 0), max(-e, 0)) for b, e in dc.padding]


def _weight_of(dc: DirectConv, w: Any, form: str) -> Any:
    """The direct conv's weight; the guide's version undoes the flip (channels still swapped)."""
    out = dc.weight(w)
    return flip_kernel(out) if form == "unflipped" else out


@lru_cache(maxsize=32)
def _maps(key: tuple[Any, ...]) -> tuple[IndexMap, DirectConv, IndexMap | None, IndexMap | None]:
    """The transposed conv's map, the direct form, the stretch (+ crop) map and the direct
    conv's map (``None`` when the crop removes everything); shared by both forms."""
    params = dict(key)
    nd = params["ndim"]
    cin, cout, _ = params["channels"]
    m = per_axis(params["m"], nd)
    t = conv_transpose_map(_tconv(params), (cin, *m), cout)
    dc = _direct(params)
    z = zero_stretch_map((cin, *m), dc.stretch)
    crops = _crops(dc)
    if any(b + e >= n for (b, e), n in zip(crops, out_shape(z)[1:], strict=True)):
        return t, dc, None, None
    if any(b or e for b, e in crops):
        z = crop_map(out_shape(z), crops) @ z
    return t, dc, z, conv_map(dc.conv, out_shape(z), cout)


def _check(params: Params) -> Check:
    """Exact: conv(direct) @ crop @ stretch, taps relabelled through direct.weight == T."""
    key = tuple(sorted((k, v) for k, v in params.items() if k not in ("form", "kernel")))
    try:
        t, dc, z, c = _maps(key)
    except InvalidSpecError as exc:
        return Check(False, f"direct form rejected: {exc}")
    if z is None or c is None:
        # The crop removes the whole stretched input: the direct form is the zero map.
        empty = t.canonical().nnz == 0
        return Check(empty, "the crop removes every input: both sides are the zero map"
                     if empty else "the direct form is zero, the transposed conv is not")
    ref = t.weights[0]
    index = _weight_of(dc, np.arange(ref.size).reshape(ref.shape), params["form"])
    relabelled = IndexMap.from_arrays(c.shape, c.rows, c.cols, index.ravel()[c.taps[:, 0]],
                                      weights=(ref,), in_shape=c.in_shape,
                                      out_shape=out_shape(c))
    direct = relabelled @ z
    if direct.shape != t.shape:
        return Check(False, f"direct form maps {direct.in_shape} -> {out_shape(direct)}, the "
                            f"transposed conv {t.in_shape} -> {out_shape(t)}")
    if not direct.equals(t):
        return Check(False, "same shapes, different entries (taps land on other weights)")
    return Check(True, f"stretch {dc.stretch}, pads {dc.padding}, {params['form']} kernel")


def reaching_taps(params: Params) -> list[list[int]]:
    """Per axis, the taps ``u`` through which some input ``i < m`` reaches an output:
    ``p_b <= i s + u d <= (m-1)s + d(k-1) - p_e + op`` (full-grid positions kept by the crop)."""
    nd = params["ndim"]
    out = []
    for m, k, s, p, d, op in zip(per_axis(params["m"], nd), per_axis(params["k"], nd),
                                 per_axis(params["s"], nd), per_axis(params["p"], nd),
                                 per_axis(params["d"], nd), params["op"], strict=True):
        pb, pe = p if isinstance(p, tuple) else (p, p)
        last = (m - 1) * s + d * (k - 1) - pe + op
        out.append([u for u in range(k)
                    if any(pb <= i * s + u * d <= last for i in range(m))])
    return out


def _expected(params: Params) -> bool:
    """The unflipped kernel pairs tap u with weight k-1-u: right iff every tap that reaches the
    output is the centre (k-1)/2 on its axis, or nothing reaches the output at all."""
    if params["form"] == "flipped" or params.get("kernel") == "symmetric":
        return True
    reach = reaching_taps(params)
    if any(not r for r in reach):
        return True
    return all(2 * u == k - 1 for r, k in zip(reach, per_axis(params["k"], params["ndim"]),
                                               strict=True) for u in r)


def _numeric(params: Params, rng: Any) -> Check:
    """numeric.conv_transpose == numeric.conv over the stretched, cropped input."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    m = per_axis(params["m"], nd)
    w = rng.standard_normal((cin, cout // g, *per_axis(params["k"], nd)))
    if params.get("kernel") == "symmetric":
        w = w + flip_kernel(w)
    y = rng.standard_normal((1, cin, *m))
    lhs = conv_transpose(y, w, stride=params["s"], padding=params["p"],
                         output_padding=params["op"], dilation=params["d"], groups=g)
    dc = _direct(params)
    z = zero_stretch(y, dc.stretch)
    crops = _crops(dc)
    if any(b + e >= n for (b, e), n in zip(crops, z.shape[2:], strict=True)):
        rhs = np.zeros_like(lhs)
    else:
        kept: tuple[Any, ...] = (..., *(slice(b, n - e) for (b, e), n in zip(
            crops, z.shape[2:], strict=True)))
        z = z[kept]
        rhs = conv(z, _weight_of(dc, w, params["form"]), padding=dc.conv.padding,
                   dilation=params["d"], groups=g)
    if rhs.shape != lhs.shape:
        return Check(False, f"shapes {rhs.shape} != {lhs.shape}")
    err = float(np.max(np.abs(lhs - rhs)))
    return Check(err <= 1e-12 * (1 + float(np.max(np.abs(lhs)))), f"max difference {err:.3g}")


def _derivation() -> list[Step]:
    import sympy

    m, k, s, d = sympy.symbols("m k s d", integer=True, positive=True)
    p, op, i, j, t = sympy.symbols("p op i j t", integer=True, nonnegative=True)
    pad = d * (k - 1) - p
    values = tuple(
        {m: mv, k: kv, s: sv, p: pv, d: dv, op: ov}
        for mv in range(1, 5) for kv in range(1, 5) for sv in range(1, 4) for pv in range(3)
        for dv in range(1, 4) for ov in range(max(sv, dv))
        if F.conv_transpose_size(mv, kv, sv, pv, pv, dv, ov) >= 1
    )

    def library(v: Any) -> tuple[Any, Any]:
        mv, kv, sv, pv, dv, ov = v[m], v[k], v[s], v[p], v[d], v[op]
        dc = direct_conv_equivalent(ConvTranspose(kernel=kv, stride=sv, padding=pv,
                                                  output_padding=ov, dilation=dv), mv)
        return (dc.stretch, dc.padding), ((sv,), ((dv * (kv - 1) - pv, dv * (kv - 1) - pv + ov),))

    return [
        Step("Direct conv output j, tap t' reads padded-stretched position j + t' d, i.e. "
             "stretched position j + t' d - (d(k-1) - p); with the flipped tap t' = k-1-t that is "
             "j - t d + p, which holds input i (at stretched position i s) iff j = i s - p + t d: "
             "the position the transposed conv writes input i to through tap t",
             (j + (k - 1 - t) * d) - pad, j - t * d + p),
        Step("Substituting j = i s - p + t d lands on the stretched sample of input i",
             ((i * s - p + t * d) + (k - 1 - t) * d) - pad, i * s),
        Step("Without the flip (tap t' = t), output j reads stretched position "
             "j + t d - d(k-1) + p: for j = i s - p + t d that is i s + d(2t - k + 1), another "
             "input unless 2t = k - 1: the unflipped kernel pairs input i with the wrong tap",
             ((i * s - p + t * d) + t * d) - pad, i * s + d * (2 * t - k + 1)),
        Step("Sizes: the stride-1 conv of the stretched input ((m-1)s + 1 samples) padded by "
             "d(k-1) - p and d(k-1) - p + op has the transposed conv's output size",
             F.conv_size((m - 1) * s + 1, k, 1, pad, pad + op, d),
             F.conv_transpose_size(m, k, s, p, p, d, op)),
        Step("direct_conv_equivalent returns exactly that stretch s and those pads "
             "(evaluated: the library's (stretch, pads) against (s, (d(k-1)-p, d(k-1)-p+op)))",
             pad + op, d * (k - 1) - p + op, values, library),
    ]


THEOREM = Theorem(
    id="T06",
    title="Transposed convolution = stride-1 convolution over the zero-stretched input, "
          "kernel flipped",
    statement=r"\operatorname{convT}_{k,s,p,d,g,\mathrm{op}}(y;w) = \operatorname{conv}_{k,1,d,g}"
              r"\bigl(\operatorname{pad}_{d(k-1)-p,\ d(k-1)-p+\mathrm{op}}"
              r"(\operatorname{stretch}_s y);\ \operatorname{flip}(w)^{\mathrm{swap}}\bigr)",
    parameters=("m", "k", "s", "p", "d", "op", "groups", "form"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    exceptions=r"\text{without the flip (the conv-arithmetic guide's drawing): false whenever "
               r"some } k_a > 1 \text{ (generic weights); true only for flip-symmetric kernels}",
    references=("Dumoulin & Visin (2016), section 4 (drawn without the flip)",
                "PyTorch ConvTranspose docs (implicit padding d(k-1) - p)"),
    source=__doc__ or "",
)
