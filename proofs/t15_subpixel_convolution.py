"""T15 — sub-pixel convolution: a strided transposed conv is an LR conv + pixel shuffle.

A transposed convolution with stride ``r``, kernel size ``r k`` per axis, weight ``W`` of shape
``(C_in, C_out, *(r k))``, padding ``P`` and output padding ``op < r`` equals

    ``Crop_{(P, P - op)} PixelShuffle_r( conv(x; V, stride 1, padding k - 1) )``

(a negative end crop ``P - op < 0`` means ``op - P`` zeros appended), where the low-resolution
(LR) conv has ``r^D C_out`` output channels, kernel ``k`` and the weight rearrangement

    ``V[c_o r^D + phi, c_i, t] = W[c_i, c_o, r (k - 1 - t) + phi]``  per axis

(``phi`` the flat index of the per-axis phases ``phi_a < r`` in C order, i.e. PixelShuffle's
CRD channel order = ONNX DepthToSpace ``mode='CRD'``): split each kernel axis ``r k`` into
``(k, r)``, **reverse** the ``k`` part (the flip of a transposed conv, T06), move the phase into
the channels.  Output ``j = r q + phi`` of the transposed conv (before cropping) is the LR
output ``q`` of channel phase ``phi``.  When ``P = r c`` and ``op = 0`` the crop moves into the
LR padding: LR padding ``k - 1 - c``, no crop (``k`` odd, ``P = r (k-1)/2``: the 'same'-padded
ESPCN layer of Shi et al. 2016, output ``r n``).  Exact in 1-D and 2-D with channels
(``groups = 1``).  ONNX's default DepthToSpace order ``DCR`` needs another rearrangement.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any

import numpy as np

from symconv.core import (
    IndexMap,
    WeightRef,
    conv_map,
    conv_transpose_map,
    crop_map,
    pad_map,
    pixel_shuffle_map,
)
from symconv.numeric import conv, conv_transpose, pad, pixel_shuffle
from symconv.sizes import formulas as F
from symconv.spec import Conv, ConvTranspose, PixelShuffle
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    out = []
    one_d = product_grid(ndim=[1], n=[1, 2, 4] + ([3, 6] if big else []),
                         r=range(1, 5 if big else 4), k=range(1, 4), P=range(0, 5 if big else 4),
                         op=[0, 1, 2], C=[(1, 1), (2, 2)] + ([(1, 3)] if big else []))
    two_d = product_grid(ndim=[2], n=[(2, 3)] + ([(3, 1)] if big else []), r=[2, 3],
                         k=[(1, 2), (2, 2)], P=[0, 2, 3], op=[0, 1], C=[(1, 1), (2, 2)])
    for q in one_d + two_d:
        if not big and q["ndim"] == 1 and q["C"] != (1, 1) and q["n"] != 2:
            continue  # channels: one size suffices on the small grid
        nd = q["ndim"]
        n, k = per_axis(q["n"], nd), per_axis(q["k"], nd)
        r, p_, op = q["r"], q["P"], q["op"]
        if op >= r:
            continue
        if any(r * (ni + ki - 1) - 2 * p_ + op < 1 or 2 * p_ - op >= r * (ni + ki - 1)
               for ni, ki in zip(n, k, strict=True)):
            continue
        out.append(q)
    return out


def subpixel_weight(w: Any, r: int) -> Any:
    """``V`` (``(C_out r^D, C_in, *k)``) from the transposed-conv weight ``W``
    (``(C_in, C_out, *(r k))``): ``V[c_o r^D + phi, c_i, t] = W[c_i, c_o, r(k-1-t) + phi]``."""
    arr = np.asarray(w)
    cin, cout = arr.shape[:2]
    nd = arr.ndim - 2
    k = tuple(v // r for v in arr.shape[2:])
    split = arr.reshape(cin, cout, *(d for ka in k for d in (ka, r)))  # axis a -> (k_a, r)
    flipped = split[(slice(None), slice(None),
                     *(s for _ in range(nd) for s in (slice(None, None, -1), slice(None))))]
    # (c_i, c_o, k_0, r_0, k_1, r_1, ...) -> (c_o, r_0, r_1, ..., c_i, k_0, k_1, ...)
    order = (1, *(3 + 2 * a for a in range(nd)), 0, *(2 + 2 * a for a in range(nd)))
    return flipped.transpose(order).reshape(cout * r**nd, cin, *k)


def _lhs(params: Mapping[str, Any]) -> IndexMap:
    nd = params["ndim"]
    n, k = per_axis(params["n"], nd), per_axis(params["k"], nd)
    cin, cout = params["C"]
    r = params["r"]
    layer = ConvTranspose(kernel=tuple(r * ki for ki in k), stride=r, padding=params["P"],
                          output_padding=params["op"], ndim=nd)
    return conv_transpose_map(layer, (cin, *n), cout, weight_name="W")


def _rhs(params: Mapping[str, Any], order: str = "CRD", lr_pad: Any = None) -> IndexMap:
    """Crop/pad . PixelShuffle . LR conv, its taps rewritten from V to W (a permutation)."""
    nd = params["ndim"]
    n, k = per_axis(params["n"], nd), per_axis(params["k"], nd)
    cin, cout = params["C"]
    r, p_, op = params["r"], params["P"], params["op"]
    pads = tuple(ki - 1 for ki in k) if lr_pad is None else lr_pad
    lr = conv_map(Conv(kernel=k, padding=pads, ndim=nd), (cin, *n), cout * r**nd,
                  weight_name="V")
    m = pixel_shuffle_map(PixelShuffle(factor=r, order=order), lr.out_shape or ()) @ lr
    if lr_pad is None:
        if p_ > 0 or p_ - op > 0:
            m = crop_map(m.out_shape or (), [(p_, max(p_ - op, 0))] * nd) @ m
        if op > p_:
            m = pad_map(m.out_shape or (), [(0, op - p_)] * nd) @ m
    w_shape = (cin, cout, *(r * ki for ki in k))
    perm = subpixel_weight(np.arange(prod(w_shape)).reshape(w_shape), r).ravel()
    ref = m.weights[0]
    return IndexMap.from_arrays(m.shape, m.rows, m.cols, perm[m.taps[:, 0] - ref.offset],
                                m.num, m.den, weights=(WeightRef("W", w_shape),),
                                in_shape=m.in_shape, out_shape=m.out_shape)


def _check(params: Mapping[str, Any]) -> Check:
    lhs, rhs = _lhs(params), _rhs(params)
    if lhs.shape != rhs.shape:
        return Check(False, f"shapes {lhs.out_shape} and {rhs.out_shape}")
    if not lhs.equals(rhs):
        return Check(False, "transposed conv differs from crop . shuffle . LR conv")
    r, p_, op = params["r"], params["P"], params["op"]
    k = per_axis(params["k"], params["ndim"])
    extra = ""
    if op == 0 and p_ % r == 0 and p_ // r <= min(k) - 1:
        c = p_ // r
        direct = _rhs(params, lr_pad=tuple(ki - 1 - c for ki in k))
        if not lhs.equals(direct):
            return Check(False, f"P = r*{c}: LR padding k-1-{c} without crop differs")
        extra = f"; P = {r}*{c}: LR padding k-1-{c}, no crop"
    return Check(True, f"convT = Crop({p_}, {p_ - op}) PS_{r} conv_(k-1)(x; V){extra}")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    nd = params["ndim"]
    n, k = per_axis(params["n"], nd), per_axis(params["k"], nd)
    cin, cout = params["C"]
    r, p_, op = params["r"], params["P"], params["op"]
    x = rng.standard_normal((2, cin, *n))
    w = rng.standard_normal((cin, cout, *(r * ki for ki in k)))
    a = conv_transpose(x, w, stride=r, padding=p_, output_padding=op)
    hr = pixel_shuffle(conv(x, subpixel_weight(w, r), padding=tuple(ki - 1 for ki in k)), r)
    if op > p_:
        hr = pad(hr, tuple((0, op - p_) for _ in range(nd)))
    end = max(p_ - op, 0)
    b = hr[(slice(None), slice(None), *(slice(p_, hr.shape[2 + a] - end) for a in range(nd)))]
    if a.shape != b.shape:
        return Check(False, f"shapes {a.shape} and {b.shape}")
    err = float(np.max(np.abs(a - b)))
    return Check(err <= 1e-10, f"max |convT - crop(PS(conv))| = {err:.3g}")


def _derivation() -> list[Step]:
    import sympy

    n, r, k = sympy.symbols("n r k", integer=True, positive=True)
    j, q, phi, i, a, t, big_p, op, c = sympy.symbols("j q phi i a t P op c", integer=True,
                                                      nonnegative=True)
    values = tuple({n: nv, r: rv, k: kv, j: jv, q: jv // rv, phi: jv % rv, i: iv,
                    a: jv // rv - iv, t: kv - 1 - (jv // rv - iv), big_p: pv, op: 0, c: 0}
                   for nv in (1, 2, 3) for rv in (1, 2, 3) for kv in (1, 2, 3)
                   for jv in range(rv * (nv + kv - 1)) for iv in range(nv) for pv in (0, 1))

    def split(v: Any) -> tuple[int, int]:
        return v[j], v[r] * (v[j] // v[r]) + v[j] % v[r]

    return [
        Step("Every output j of the uncropped transposed conv splits as j = r q + phi, "
             "q = floor(j/r), phi = j mod r",
             j, r * sympy.floor(j / r) + sympy.Mod(j, r), values[::7], split),
        Step("Input i reaches j through tap j - r i = r (q - i) + phi = r a + phi with "
             "a = q - i in [0, k): output j only sees the taps of phase phi",
             (r * q + phi) - r * i, r * (q - i) + phi, values[::7]),
        Step("The LR conv (padding k - 1) reads x[q - (k - 1) + t]; with t = k - 1 - a this is "
             "x[q - a]: so V[c_o r^D + phi, c_i, t] = W[c_i, c_o, r (k - 1 - t) + phi]",
             q - (k - 1) + (k - 1 - a), q - a, values[::7]),
        Step("Sizes: the LR conv has n + k - 1 outputs, the shuffle r (n + k - 1); the "
             "transposed conv (n - 1) r - 2P + r k + op = r (n + k - 1) - P - (P - op): "
             "crop P at the start and P - op at the end",
             F.conv_transpose_size(n, r * k, r, big_p, big_p, 1, op),
             r * F.conv_size(n, k, 1, k - 1, k - 1, 1) - big_p - (big_p - op), values[::7]),
        Step("P = r c, op = 0: LR padding k - 1 - c gives r (n + k - 1 - 2c) = the transposed "
             "conv's size, the same outputs without a crop",
             r * F.conv_size(n, k, 1, k - 1 - c, k - 1 - c, 1),
             F.conv_transpose_size(n, r * k, r, r * c, r * c, 1, 0), values[::7]),
    ]


THEOREM = Theorem(
    id="T15",
    title="Sub-pixel convolution: strided transposed conv = LR conv + pixel shuffle",
    statement=r"\operatorname{convT}_{r,\,P,\,\mathrm{op}}(x;\,W) = \operatorname{Crop}_{(P,\,"
              r"P-\mathrm{op})}\operatorname{PS}_r\bigl(\operatorname{conv}_{k-1}(x;\,V)\bigr),"
              r"\quad V[c_o r^D + \varphi, c_i, t] = W[c_i, c_o, r(k-1-t) + \varphi]",
    parameters=("n", "r", "k", "P", "op", "C", "ndim"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    derivation=_derivation,
    references=("Shi et al. (2016), Real-Time Single Image and Video Super-Resolution Using an "
                "Efficient Sub-Pixel Convolutional Neural Network",
                "Shi et al. (2016), Is the deconvolution layer the same as a convolutional layer?",
                "ONNX DepthToSpace (mode CRD)"),
    source=__doc__ or "",
)
