"""T07 — a dilated convolution is a convolution with a zero-inserted kernel.

``conv_{k,s,p,d,g}(x; w) = conv_{k_eff,s,p,1,g}(x; w^{(d)})`` with ``k_eff = d(k-1) + 1`` and
``w^{(d)}[..., u] = w[..., u/d]`` when ``d | u`` (per axis), ``0`` otherwise: ``d - 1`` zeros
between neighbouring taps.  Both sides have the same output size (only ``k_eff`` enters it),
and output ``o`` reads input ``o s - p_b + t d`` through ``w_t`` on both.  It holds for every
stride, padding, dilation and group count: there is no exception region.

Evidence: the core's map of the dilated conv equals the map of the undilated ``k_eff`` conv
with its taps relabelled to the zero-inserted kernel (taps at the inserted zeros dropped),
exactly; on tiny instances the SymPy matrix of the dilated conv equals the undilated conv's
matrix with the zero-inserted symbolic kernel; numerically (integers, exact) the reference
conv with dilation equals the reference conv with the zero-inserted kernel.

Mutations the tests run: ``params["mutation"] = "zeros_before"`` (the ``d - 1`` zeros before
every tap instead of between taps, kernel ``d k``) and ``"stride_for_dilation"`` (zeros
inserted every ``s`` taps instead of every ``d``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_map, conv_matrix, weight_symbols
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
    per_axis,
    product_grid,
    thin_grid,
    valid_instances,
)

Params = Mapping[str, Any]


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(n=range(1, 13 if big else 9), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=range(0, 3),
                         d=range(1, 5 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    two_d = product_grid(n=[(5, 4), (7, 7)] if big else [(5, 4)],
                         k=[(2, 3), (3, 1)], s=[(2, 1), 1], p=[0, (1, 2)],
                         d=[(2, 1), (3, 2)], ndim=[2],
                         channels=[(1, 1, 1), (4, 2, 2), (2, 6, 2)])
    three_d = [{"n": (3, 4, 3), "k": (2, 1, 2), "s": (2, 1, 1), "p": (1, 0, 1), "d": (1, 1, 2),
                "ndim": 3, "channels": (4, 2, 2)}]
    return valid_instances(one_d + two_d + three_d, _build)


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return thin_grid(_grid(size), 8)


def _layer(params: Params, kernel: Any = None, dilation: Any = None) -> Conv:
    return grid_layer(Conv, params, kernel=params["k"] if kernel is None else kernel,
                      dilation=params["d"] if dilation is None else dilation)


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_layer(params), per_axis(params["n"], params["ndim"]))


def zero_inserted(w: np.ndarray, dilation: tuple[int, ...], fill: Any = 0,
                  mutation: str | None = None) -> np.ndarray:
    """``w`` (layout ``(C_a, C_b, *k)``) with ``d - 1`` copies of ``fill`` between taps."""
    k = w.shape[2:]
    if mutation == "zeros_before":
        size = tuple(d * kk for d, kk in zip(dilation, k, strict=True))
        start = tuple(d - 1 for d in dilation)
    else:
        size = tuple(F.effective_kernel(kk, d) for kk, d in zip(k, dilation, strict=True))
        start = (0,) * len(k)
    out = np.full(w.shape[:2] + size, fill, dtype=w.dtype)
    out[(slice(None), slice(None),
         *(slice(b, None, d) for b, d in zip(start, dilation, strict=True)))] = w
    return out


def _check(params: Params) -> Check:
    """Exact: dilated conv map == undilated conv map over the zero-inserted kernel."""
    nd = params["ndim"]
    cin, cout, _ = params["channels"]
    n = per_axis(params["n"], nd)
    k = per_axis(params["k"], nd)
    d = per_axis(params["d"], nd)
    mutation = params.get("mutation")
    insert_every = per_axis(params["s"], nd) if mutation == "stride_for_dilation" else d
    dilated = conv_map(_layer(params), (cin, *n), cout)
    ref = dilated.weights[0]
    index = zero_inserted(np.arange(ref.size).reshape(ref.shape), insert_every, -1, mutation)
    try:
        dense = conv_map(_layer(params, kernel=index.shape[2:], dilation=1), (cin, *n), cout)
    except InvalidSpecError as exc:
        return Check(False, f"undilated conv rejected: {exc}")
    taps = index.ravel()[dense.taps[:, 0]]
    keep = taps >= 0  # taps at inserted zeros contribute nothing
    relabelled = IndexMap.from_arrays(dense.shape, dense.rows[keep], dense.cols[keep],
                                      taps[keep], weights=(ref,), in_shape=dense.in_shape,
                                      out_shape=dense.out_shape)
    if relabelled.shape != dilated.shape:
        return Check(False, f"output {dense.out_shape} != {dilated.out_shape}")
    if not relabelled.equals(dilated):
        return Check(False, "same shapes, different entries")
    if nd == 1 and n[0] <= 5 and cin == 1 and mutation is None:
        w = weight_symbols((cout, cin, k[0]))
        sym_d = conv_matrix((cin, *n), w.shape, params["s"], params["p"], params["d"])
        sym_z = dense.symbolic(zero_inserted(w, d))
        if sym_d != sym_z:
            return Check(False, "SymPy matrices differ")
    return Check(True, f"k_eff = {index.shape[2:]}")


def _numeric(params: Params, rng: Any) -> Check:
    """Exact integers: numeric.conv with dilation == numeric.conv with the zero-inserted kernel."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    x = rng.integers(-9, 10, (2, cin, *per_axis(params["n"], nd)))
    w = rng.integers(-9, 10, (cout, cin // g, *per_axis(params["k"], nd)))
    kw = {"stride": params["s"], "padding": params["p"], "groups": g}
    lhs = conv(x, w, dilation=params["d"], **kw)
    rhs = conv(x, zero_inserted(w, per_axis(params["d"], nd)), dilation=1, **kw)
    same = lhs.shape == rhs.shape and bool(np.array_equal(lhs, rhs))
    return Check(same, "equal" if same else f"differ (shapes {lhs.shape}, {rhs.shape})")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    p, o, t = sympy.symbols("p o t", integer=True, nonnegative=True)
    return [
        Step("Dilated tap t of output o reads input o s - p + t d; tap u = t d of the "
             "zero-inserted kernel (stride s, dilation 1) reads o s - p + u, the same input, "
             "with the same weight w_t; the taps u not divisible by d carry 0",
             o * s - p + t * d, (o * s - p + (t * d) * 1)),
        Step("The zero-inserted kernel has d(k-1) + 1 = k_eff taps: the last tap t = k-1 sits "
             "at u = d(k-1)", F.effective_kernel(k, d), d * (k - 1) + 1),
        Step("Same output size: only the effective kernel enters the conv output formula",
             F.conv_size(n, F.effective_kernel(k, d), s, p, p, 1), F.conv_size(n, k, s, p, p, d)),
    ]


THEOREM = Theorem(
    id="T07",
    title="Dilated convolution = convolution with a zero-inserted kernel",
    statement=r"\operatorname{conv}_{k,s,p,d,g}(x; w) = \operatorname{conv}_{d(k-1)+1,s,p,1,g}"
              r"\bigl(x; w^{(d)}\bigr),\quad w^{(d)}_u = \begin{cases} w_{u/d} & d \mid u \\ "
              r"0 & \text{otherwise}\end{cases}",
    parameters=("n", "k", "s", "p", "d", "groups"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Dumoulin & Visin (2016), section 5 (dilated convolutions)",
                "Yu & Koltun (2016), Multi-scale context aggregation by dilated convolutions"),
    source=__doc__ or "",
)
