"""T08 — a strided convolution is the dense (stride-1) convolution followed by subsampling.

``conv_{k,s,p,d,g}(x) = subsample_s(conv_{k,1,p,d,g}(x))``, where ``subsample_s`` keeps every
``s``-th sample starting at 0, with any padding (also asymmetric), dilation and groups.
Output ``o`` of the strided conv reads ``o s - p_b + t d``, which is what dense output
``o' = o s`` reads; the dense conv has ``O_1 = n + p_b + p_e - d(k-1)`` outputs and
subsampling keeps ``ceil(O_1 / s) = floor((O_1 - 1)/s) + 1`` of them, the strided output size.
There is no exception region.

Evidence: ``subsample_map @ conv_map(stride 1)`` equals ``conv_map(stride s)`` exactly (as
polynomial maps in the weights); numerically (exact integers) ``numeric.subsample`` of the
dense reference conv equals the strided reference conv.

Mutations the tests run: ``params["mutation"] = "shift"`` moves one unit of padding from the
end to the start of the dense conv (same sizes, wrong samples) and ``"stride+1"`` subsamples
by ``s + 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_map, subsample_map
from symconv.numeric import conv, subsample
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv
from symconv.theory.theorem import (
    Check,
    Step,
    Theorem,
    grid_layer,
    out_shape,
    pad_pairs,
    per_axis,
    product_grid,
    thin_grid,
    valid_instances,
)

Params = Mapping[str, Any]

_ASYM = [((0, 2),)]  # one asymmetric 1-D padding (p_b, p_e); more in 2-D


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(n=range(1, 13 if big else 9), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=[0, 1, 2, *_ASYM],
                         d=range(1, 4 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    two_d = product_grid(n=[(5, 4), (7, 7)] if big else [(5, 4)],
                         k=[(2, 3), (3, 1)], s=[(2, 1), (3, 2)], p=[0, ((1, 0), (0, 2))],
                         d=[1, (2, 1)], ndim=[2], channels=[(1, 1, 1), (4, 2, 2), (2, 6, 2)])
    three_d = [{"n": (3, 4, 3), "k": (2, 1, 2), "s": (2, 1, 1), "p": (1, 0, 1), "d": (1, 1, 2),
                "ndim": 3, "channels": (4, 2, 2)}]
    return valid_instances(one_d + two_d + three_d, _build)


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return thin_grid(_grid(size), 8)


def _layer(params: Params, stride: Any = None, pads: Any = None) -> Conv:
    nd = params["ndim"]
    return grid_layer(Conv, params, stride=params["s"] if stride is None else stride,
                      padding=pad_pairs(params["p"], nd) if pads is None else pads)


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_layer(params), per_axis(params["n"], params["ndim"]))


def _dense_pads(params: Params) -> tuple[tuple[int, int], ...]:
    pads = pad_pairs(params["p"], params["ndim"])
    if params.get("mutation") == "shift":
        return tuple((b + 1, e - 1) if e else (b, e) for b, e in pads)
    return pads


@lru_cache(maxsize=16)
def _dense(layer: Conv, shape: tuple[int, ...], cout: int) -> IndexMap:
    """The stride-1 conv's map (shared by the strides of one grid row)."""
    return conv_map(layer, shape, cout)


def _check(params: Params) -> Check:
    """Exact: subsample_map @ conv_map(stride 1) == conv_map(stride s)."""
    nd = params["ndim"]
    cin, cout, _ = params["channels"]
    n = per_axis(params["n"], nd)
    s = per_axis(params["s"], nd)
    if params.get("mutation") == "stride+1":
        s = tuple(v + 1 for v in s)
    strided = conv_map(_layer(params), (cin, *n), cout)
    dense = _dense(_layer(params, stride=1, pads=_dense_pads(params)), (cin, *n), cout)
    composed = subsample_map(out_shape(dense), s) @ dense
    if composed.shape != strided.shape:
        return Check(False, f"subsampled dense output {out_shape(composed)} != strided "
                            f"{out_shape(strided)}")
    if not composed.equals(strided):
        return Check(False, "same shapes, different entries")
    return Check(True, f"dense {out_shape(dense)[1:]} -> every {s}: {out_shape(strided)[1:]}")


def _numeric(params: Params, rng: Any) -> Check:
    """Exact integers: numeric.subsample(numeric.conv(stride 1)) == numeric.conv(stride s)."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    x = rng.integers(-9, 10, (2, cin, *per_axis(params["n"], nd)))
    w = rng.integers(-9, 10, (cout, cin // g, *per_axis(params["k"], nd)))
    kw = {"padding": pad_pairs(params["p"], nd), "dilation": params["d"], "groups": g}
    lhs = subsample(conv(x, w, stride=1, **kw), params["s"])
    rhs = conv(x, w, stride=params["s"], **kw)
    same = lhs.shape == rhs.shape and bool(np.array_equal(lhs, rhs))
    return Check(same, "equal" if same else f"differ (shapes {lhs.shape}, {rhs.shape})")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    pb, pe, o, t = sympy.symbols("p_b p_e o t", integer=True, nonnegative=True)
    dense = F.conv_size(n, k, 1, pb, pe, d)
    values = tuple(
        {n: nv, k: kv, s: sv, pb: bv, pe: ev, d: dv}
        for nv in range(1, 11) for kv in range(1, 5) for sv in range(1, 5) for bv in range(3)
        for ev in range(3) for dv in range(1, 4) if nv + bv + ev >= dv * (kv - 1) + 1
    )

    def kept(v: Any) -> tuple[int, int]:
        nv, kv, sv, bv, ev, dv = v[n], v[k], v[s], v[pb], v[pe], v[d]
        o1 = F.conv_size(nv, kv, 1, bv, ev, dv)
        return len(range(0, o1, sv)), F.conv_size(nv, kv, sv, bv, ev, dv)

    return [
        Step("Dense output o' reads o' - p_b + t d; keeping o' = o s gives o s - p_b + t d, "
             "what strided output o reads through the same tap",
             (o * s) * 1 - pb + t * d, o * s - pb + t * d),
        Step("The dense conv has n + p_b + p_e - d(k-1) outputs",
             dense, n + pb + pe - d * (k - 1)),
        Step("Subsampling keeps ceil(O_1/s) of them, the strided conv's output size "
             "(ceil(a/s) = floor((a-1)/s) + 1 for integers a)",
             F.ceildiv(dense, s), F.conv_size(n, k, s, pb, pe, d), values, kept),
    ]


THEOREM = Theorem(
    id="T08",
    title="Strided convolution = dense convolution, then subsampling",
    statement=r"\operatorname{conv}_{k,s,p,d,g}(x) = \operatorname{subsample}_s\bigl("
              r"\operatorname{conv}_{k,1,p,d,g}(x)\bigr)",
    parameters=("n", "k", "s", "p", "d", "groups"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Dumoulin & Visin (2016), section 2.4 (strides)",),
    source=__doc__ or "",
)
