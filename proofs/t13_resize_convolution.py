"""T13 — resize-convolution is a transposed convolution whose polyphase sums are equal.

Nearest upsampling by ``s`` followed by a stride-1 convolution (cross-correlation) with kernel
``K`` (size ``k``, weight ``(C_out, C_in, *k)``) and zero padding ``p``:

    ``conv(up_s(x); K, p) = convT(x; W, stride s, padding k - 1 - p)``,
    ``W[c_in, c_out] = flip(K[c_out, c_in]) * 1_s``  (size ``k + s - 1`` per axis),

where ``flip`` reverses every spatial axis (the 180-degree rotation of T06), ``*`` is the
*full* (true) convolution with a box of ``s`` ones per axis (``1_s`` is symmetric, so
``flip(K) * 1_s = flip(K * 1_s)``: the only flip that matters is the kernel's), and the
channel roles swap as for every transposed conv.  Exactly, in 1-D and 2-D, with channels.
When ``p > k - 1`` the transposed-conv padding ``k - 1 - p`` is negative: the identity holds
with padding 0 followed by ``p - k + 1`` zeros on each side of the output.

For every phase ``r`` (per axis, ``0 <= r < s``), ``sum_{t = r mod s} W[t] = sum K`` — each
tap of ``flip(K)`` is counted once per phase.  So the transposed conv covers every interior
output with the same total weight: a constant input gives a constant output in the interior,
the reason resize-convolution has no checkerboard artifacts (Odena, Dumoulin & Olah 2016).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from itertools import product
from math import prod
from typing import Any

import numpy as np

from symconv.core import (
    IndexMap,
    WeightRef,
    conv_map,
    conv_transpose_map,
    pad_map,
    resize_map,
    weight_symbols,
)
from symconv.numeric import conv, conv_transpose, pad, upsample_nearest
from symconv.sizes import formulas as F
from symconv.spec import Conv, ConvTranspose, Resize
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=[1, 2, 3, 5] + ([4, 7] if big else []),
                         s=range(1, 5 if big else 4), k=range(1, 5 if big else 4),
                         p=range(0, 4 if big else 3), C=[(1, 1), (2, 3)])
    two_d = product_grid(ndim=[2], n=[(2, 3), (3, 1)] + ([(4, 4)] if big else []),
                         s=[(2, 2), (3, 1)] + ([(2, 3)] if big else []),
                         k=[(2, 3), (3, 3)], p=[0, (1, 2)] + ([3] if big else []),
                         C=[(1, 1), (2, 2)])
    out = []
    for q in one_d + two_d:
        nd = q["ndim"]
        n, s, k, p = (per_axis(q[x], nd) for x in ("n", "s", "k", "p"))
        if all(ni * si + 2 * pi >= ki for ni, si, ki, pi in zip(n, s, k, p, strict=True)):
            out.append(q)
    return out


def resize_conv_kernel(kernel: Any, s: tuple[int, ...]) -> Any:
    """``W[c_in, c_out] = flip(K[c_out, c_in]) * 1_s`` (full convolution with a box of ones per
    axis), for a conv weight ``K`` of shape ``(C_out, C_in, *k)``; works on ints, Fractions,
    floats and SymPy objects."""
    arr = np.asarray(kernel)
    nd = arr.ndim - 2
    w = np.swapaxes(arr[(slice(None), slice(None), *(slice(None, None, -1),) * nd)], 0, 1)
    for a, sa in enumerate(s):
        ax = 2 + a
        widths = [(0, 0)] * w.ndim
        widths[ax] = (sa - 1, sa - 1)
        padded = _pad_zeros(w, widths)
        length = w.shape[ax] + sa - 1
        parts = [np.take(padded, np.arange(r, r + length), axis=ax) for r in range(sa)]
        w = parts[0]
        for part in parts[1:]:
            w = w + part
    return w


def _pad_zeros(w: Any, widths: list[tuple[int, int]]) -> Any:
    out = np.zeros(tuple(d + b + e for d, (b, e) in zip(w.shape, widths, strict=True)),
                   dtype=w.dtype)
    out[tuple(slice(b, b + d) for d, (b, _) in zip(w.shape, widths, strict=True))] = w
    return out


def _rhs(params: Mapping[str, Any]) -> IndexMap:
    """The stated transposed conv (weight ``W``), zero-padded when ``k - 1 - p < 0``."""
    nd = params["ndim"]
    n, s, k, p = (per_axis(params[x], nd) for x in ("n", "s", "k", "p"))
    cin, cout = params["C"]
    big_p = tuple(ki - 1 - pi for ki, pi in zip(k, p, strict=True))
    layer = ConvTranspose(kernel=tuple(ki + si - 1 for ki, si in zip(k, s, strict=True)),
                          stride=s, padding=tuple(max(v, 0) for v in big_p), ndim=nd)
    t = conv_transpose_map(layer, (cin, *n), cout, weight_name="W")
    if min(big_p) < 0:
        t = pad_map(t.out_shape or (), [(max(-v, 0), max(-v, 0)) for v in big_p]) @ t
    return t


def in_terms_of_k(m: IndexMap, k: tuple[int, ...], s: tuple[int, ...], *,
                  flip: bool = True) -> IndexMap:
    """Substitute ``W = flip(K) * 1_s`` into a map over ``W`` ``(C_in, C_out, *(k + s - 1))``:
    ``W[ci, co, t'] = sum_{r in box(s)} K[co, ci, k - 1 - (t' - r)]`` (terms with
    ``0 <= t' - r < k``), so every entry becomes one entry per contributing K tap.
    ``flip=False`` substitutes ``K * 1_s`` instead (the common mistake; for tests)."""
    ref = m.weights[0]
    cin, cout = ref.shape[:2]
    idx = np.unravel_index(m.taps[:, 0] - ref.offset, ref.shape)
    k_shape = (cout, cin, *k)
    rows, cols, taps, num, den = [], [], [], [], []
    for r in product(*(range(si) for si in s)):
        flipped = [idx[2 + a] - r[a] for a in range(len(k))]  # index into flip(K)
        keep = np.ones(m.nnz, dtype=bool)
        for a, f in enumerate(flipped):
            keep &= (f >= 0) & (f < k[a])
        src = [f[keep] for f in flipped]
        q = np.ravel_multi_index([idx[1][keep], idx[0][keep],
                                  *(k[a] - 1 - src[a] if flip else src[a]
                                    for a in range(len(k)))], k_shape)
        rows.append(m.rows[keep])
        cols.append(m.cols[keep])
        taps.append(q)
        num.append(m.num[keep])
        den.append(m.den[keep])
    return IndexMap.from_arrays(m.shape, np.concatenate(rows), np.concatenate(cols),
                                np.concatenate(taps), np.concatenate(num), np.concatenate(den),
                                weights=(WeightRef("K", k_shape),), in_shape=m.in_shape,
                                out_shape=m.out_shape).canonical()


@cache
def phase_sum_failure(s: tuple[int, ...], k: tuple[int, ...], cin: int, cout: int) -> str:
    """Check that every polyphase sum of ``W = flip(K) * 1_s`` is ``sum(K)``; the sums are
    linear in K, so every unit kernel is checked.  Returns "" or what failed."""
    nd = len(k)
    shape = (cout, cin, *k)
    for q in range(prod(shape)):
        unit = np.zeros(prod(shape), dtype=np.int64)
        unit[q] = 1
        unit_k = unit.reshape(shape)
        w = resize_conv_kernel(unit_k, s)
        total = unit_k.sum(axis=tuple(range(2, 2 + nd))).T
        for phase in product(*(range(si) for si in s)):
            part = w[(slice(None), slice(None), *(slice(r, None, si) for r, si in
                                                  zip(phase, s, strict=True)))]
            if not np.array_equal(part.sum(axis=tuple(range(2, 2 + nd))), total):
                return f"phase {phase} of W does not sum to sum(K) (unit kernel {q})"
    return ""


def _lhs(params: Mapping[str, Any]) -> IndexMap:
    nd = params["ndim"]
    n, s, k, p = (per_axis(params[x], nd) for x in ("n", "s", "k", "p"))
    cin, cout = params["C"]
    up = resize_map(Resize(scale_factor=s, mode="nearest", ndim=nd), (cin, *n))
    c = conv_map(Conv(kernel=k, padding=p, ndim=nd), up.out_shape or (), cout, weight_name="K")
    return c @ up


def _check(params: Mapping[str, Any]) -> Check:
    nd = params["ndim"]
    s, k = per_axis(params["s"], nd), per_axis(params["k"], nd)
    cin, cout = params["C"]
    lhs, rhs = _lhs(params), _rhs(params)
    if lhs.shape != rhs.shape:
        return Check(False, f"shapes {lhs.out_shape} and {rhs.out_shape}")
    rhs_k = in_terms_of_k(rhs, k, s)
    if not lhs.equals(rhs_k):
        return Check(False, "conv(up_s x; K) differs from convT(x; flip(K) * 1_s)")
    bad = phase_sum_failure(s, k, cin, cout)
    if bad:
        return Check(False, bad)
    if nd == 1 and cin == cout == 1 and params["n"] <= 3:
        w_sym = resize_conv_kernel(weight_symbols((cout, cin, *k), "K"), s)
        if lhs.symbolic() != rhs.symbolic(w_sym):
            return Check(False, "SymPy matrices differ")
    return Check(True, f"equal for all K; all {prod(s)} polyphase sums of W equal sum(K)")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    nd = params["ndim"]
    n, s, k, p = (per_axis(params[x], nd) for x in ("n", "s", "k", "p"))
    cin, cout = params["C"]
    x = rng.standard_normal((2, cin, *n))
    kern = rng.standard_normal((cout, cin, *k))
    a = conv(upsample_nearest(x, s), kern, padding=p)
    big_p = tuple(ki - 1 - pi for ki, pi in zip(k, p, strict=True))
    w = resize_conv_kernel(kern, s)
    b = conv_transpose(x, w, stride=s, padding=tuple(max(v, 0) for v in big_p))
    if min(big_p) < 0:
        b = pad(b, tuple((max(-v, 0), max(-v, 0)) for v in big_p))
    if a.shape != b.shape:
        return Check(False, f"shapes {a.shape} and {b.shape}")
    err = float(np.max(np.abs(a - b)))
    # constant input -> constant sum(K) on the interior outputs (windows inside s n)
    ik = rng.integers(-3, 4, (1, cin, *k))
    ones = np.ones((1, cin, *n), dtype=np.int64)
    y = conv_transpose(ones, resize_conv_kernel(ik, s), stride=s,
                       padding=tuple(max(v, 0) for v in big_p))
    if min(big_p) < 0:
        y = pad(y, tuple((max(-v, 0), max(-v, 0)) for v in big_p))
    inner = tuple(slice(pi, ni * si + pi - ki + 1)
                  for ni, si, ki, pi in zip(n, s, k, p, strict=True))
    flat = y[(0, 0, *inner)]  # type: ignore[arg-type]
    const = flat.size == 0 or bool(np.all(flat == ik.sum()))
    return Check(err <= 1e-10 and const,
                 f"max difference {err:.3g}; constant input gives sum(K) in the interior: {const}")


def _derivation() -> list[Step]:
    import sympy

    n, s, k = sympy.symbols("n s k", integer=True, positive=True)
    p, o, i, m, r = sympy.symbols("p o i m r", integer=True, nonnegative=True)
    big_p = k - 1 - p
    values = tuple({n: nv, s: sv, k: kv, p: pv, o: ov, i: iv, m: mv, r: rv}
                   for nv in (1, 2, 3) for sv in (1, 2, 3) for kv in (1, 2, 3) for pv in (0, 1)
                   for ov, iv, mv, rv in ((0, 0, 0, 0), (1, nv - 1, kv - 1, sv - 1))
                   if nv * sv + 2 * pv >= kv)

    def sizes(v: Any) -> tuple[int, int]:
        nv, sv, kv, pv = v[n], v[s], v[k], v[p]
        return (F.conv_size(nv * sv, kv, 1, pv, pv, 1),
                F.conv_transpose_size(nv, kv + sv - 1, sv, kv - 1 - pv, kv - 1 - pv, 1, 0))

    return [
        Step("Output o of the conv reads up_s(x)[o - p + t] = x[floor((o - p + t)/s)]: input i "
             "is read through the taps t with o - p + t in [i s, i s + s), i.e. "
             "t = i s - o + p + r', r' in [0, s)",
             sympy.floor((i * s + r) / s), i, values,
             lambda v: ((v[i] * v[s] + v[r]) // v[s], v[i])),
        Step("The transposed conv (padding P = k - 1 - p) reads input i at output o through tap "
             "t' = o + P - i s, and i s - o + p = k - 1 - t': so W[t'] = sum_{r'} K[k - 1 - t' "
             "+ r'] = sum_{r'} flip(K)[t' - r'] = (flip(K) * 1_s)[t']",
             i * s - o + p, k - 1 - (o + big_p - i * s), values),
        Step("Equivalently (T06 at stride 1, then T09): conv_p(y; K) = convT_{1, k-1-p}(y; "
             "flip(K)) and up_s = convT_s(.; 1_s); scattering input i to i s + r (r < s), then "
             "to (i s + r) - (k-1-p) + u (u < k) is one stride-s scatter through tap r + u of "
             "the full convolution flip(K) * 1_s",
             (i * s + r) - big_p + m, i * s - big_p + (r + m), values),
        Step("Both sides have n s + 2p - k + 1 outputs",
             F.conv_size(n * s, k, 1, p, p, 1),
             F.conv_transpose_size(n, k + s - 1, s, big_p, big_p, 1, 0), values, sizes),
        Step("Polyphase sums: for a phase r, each flipped tap m in [0, k) appears in exactly one "
             "t' = m + r' (r' in [0, s)) with t' = r mod s — s consecutive integers hold each "
             "residue once — so every phase of W sums to sum(K)",
             sympy.floor((m + s - r - 1) / s) - sympy.floor((m - r - 1) / s), 1, values),
    ]


THEOREM = Theorem(
    id="T13",
    title="Resize-convolution = transposed conv with kernel flip(K) * ones(s); equal phase sums",
    statement=r"\operatorname{conv}_{p}\bigl(\operatorname{up}^{\mathrm{nearest}}_{s}x;\,K\bigr)"
              r" = \operatorname{convT}_{s,\ k-1-p}\bigl(x;\ \operatorname{flip}(K) * "
              r"\mathbf{1}_s\bigr),\quad \sum_{t \equiv r\ (s)} W[t] = \sum K\ \ \forall r",
    parameters=("n", "s", "k", "p", "C", "ndim"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    derivation=_derivation,
    references=("Odena, Dumoulin & Olah (2016), Deconvolution and Checkerboard Artifacts",),
    source=__doc__ or "",
)
