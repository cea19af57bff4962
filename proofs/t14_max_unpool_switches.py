"""T14 — max-unpooling with switches is S(x)^T; it is the max-pool gradient iff windows do not
overlap.

Max pooling at a fixed input ``x`` is linear: ``maxpool(x) = S(x) x`` with the 0/1 selection
matrix ``S(x)[o, q] = [q = idx_o(x)]`` (``idx`` = PyTorch's switches).  Its gradient is
``S(x)^T g``: each output's gradient is *added* at its arg-max.

* ``max_unpool_map(layer, idx)`` (symconv's exact map: repeated switches sum) equals
  ``S(x)^T`` for every ``x`` — always (claim ``map``).
* PyTorch's ``MaxUnpool`` *assigns* ``out[idx_o] = g_o``: with repeated switches one write
  wins and which one is unspecified (PyTorch documents it as nondeterministic; torch 2.13 on
  CPU kept the first of two writes and the last of three in our runs; symconv's reference
  ``numeric.max_unpool`` keeps the last).  It equals the
  gradient ``S(x)^T g`` for every ``x`` and ``g`` **iff no two pooling windows share an input
  position**, i.e. on every axis ``s_a >= k_a`` or there is a single window (``m_a = 1``)
  (claim ``assign``; floor mode, dilation 1).  When two windows ``o1 < o2`` share ``q``, the
  input that is 0 except ``x[q] = 1`` makes ``q`` the switch of both, and the unpooled
  ``out[q]`` is ``g[o1]`` or ``g[o2]`` while the gradient is ``g[o1] + g[o2]`` — the stated
  counterexample (any single write differs from the sum for generic ``g``).

DeconvNet (Zeiler & Fergus 2013) reconstructs through a conv -> max-pool pair with "unpool
with switches, then transposed conv"; the gradient of ``<g, maxpool(conv(x))>`` is
``C^T S^T g``.  With non-overlapping pooling the two are equal (checked numerically on random
data below), as Simonyan, Vedaldi & Zisserman (2013, section 4) note; they differ only at
ReLU layers — DeconvNet rectifies the backward signal, the gradient masks by the forward
activations — which this theorem excludes (no ReLU in the pair).  With overlapping pooling and
a shared switch DeconvNet differs from the gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any

import numpy as np

from symconv.core import conv_map, max_pool_selection_map, max_unpool_map
from symconv.numeric import conv, conv_transpose, max_pool, max_unpool
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, MaxPool, MaxUnpool
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid, valid_instances


def _pool(params: Mapping[str, Any]) -> MaxPool:
    return MaxPool(kernel=params["k"], stride=params["s"], padding=params["p"],
                   ndim=params["ndim"])


def _build(params: Mapping[str, Any]) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_pool(params), per_axis(params["n"], params["ndim"]))


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=range(1, 11 if big else 8), k=range(1, 5 if big else 4),
                         s=range(1, 5 if big else 4), p=[0, 1], C=[1, 2],
                         claim=["map", "assign"])
    two_d = product_grid(ndim=[2], n=[(3, 4), (4, 2)] + ([(5, 5)] if big else []),
                         k=[(2, 2), (3, 2)], s=[(2, 2), (1, 2), (2, 1)], p=[0, (1, 0)], C=[1],
                         claim=["map", "assign"])
    if not big:  # channels: the even sizes suffice on the small grid
        one_d = [q for q in one_d if q["C"] == 1 or q["n"] % 2 == 0]
    return valid_instances(one_d + two_d, _build)


def overlapping(params: Mapping[str, Any]) -> bool:
    """Two distinct windows share an input position: some axis has s < k and >= 2 windows."""
    nd = params["ndim"]
    m = resolve(_pool(params), per_axis(params["n"], nd)).output
    return any(si < ki and mi >= 2 for si, ki, mi in zip(
        per_axis(params["s"], nd), per_axis(params["k"], nd), m, strict=True))


def _expected(params: Mapping[str, Any]) -> bool:
    return params["claim"] == "map" or not overlapping(params)


def _candidates(params: Mapping[str, Any]) -> list[Any]:
    """Inputs (C, *n): constant (all ties), random integers, and a spike at every position —
    a spike at q is the unique maximum of every window containing q."""
    nd, c = params["ndim"], params["C"]
    n = per_axis(params["n"], nd)
    rng = np.random.default_rng(prod(n) * 7 + c)
    out = [np.zeros((c, *n), dtype=np.int64), rng.integers(-5, 6, (c, *n))]
    for q in range(prod(n)):
        x = np.zeros(prod(n), dtype=np.int64)
        x[q] = 1
        out.append(np.broadcast_to(x.reshape(n), (c, *n)).copy())
    return out


def _unpool_layer(params: Mapping[str, Any]) -> MaxUnpool:
    return MaxUnpool(kernel=params["k"], stride=params["s"], padding=params["p"],
                     output_size=per_axis(params["n"], params["ndim"]), ndim=params["ndim"])


def _check(params: Mapping[str, Any]) -> Check:
    nd, c = params["ndim"], params["C"]
    n, k, s = per_axis(params["n"], nd), per_axis(params["k"], nd), per_axis(params["s"], nd)
    pool = _pool(params)
    r = resolve(pool, n)
    xs = _candidates(params)
    if params["claim"] == "map":
        if overlapping(params):
            xs = [*xs[:2], xs[2 + _flat(_first_shared_position(params), n)]]
        for x in xs[:3]:
            _, idx = max_pool(x[None], k, stride=s, padding=r.pads, return_indices=True)
            unpool = max_unpool_map(_unpool_layer(params), idx[0])
            if not unpool.equals(max_pool_selection_map(pool, x).T):
                return Check(False, f"max_unpool_map != S(x)^T at x={x.tolist()}")
        return Check(True, "max_unpool_map(idx(x)) = S(x)^T")
    # All candidates at once.  PyTorch's assignment unpool is linear in g for fixed switches:
    # applying it to every unit vector e_o gives the columns of the map it implements; the
    # gradient's columns are e_{switch(o)} (it scatter-adds at the arg-max).
    _, idx = max_pool(np.stack(xs), k, stride=s, padding=r.pads, return_indices=True)
    batch, big_m, plane = len(xs), c * prod(r.output), prod(n)
    eye = np.broadcast_to(np.eye(big_m, dtype=np.int64).reshape(1, big_m, c, *r.output),
                          (batch, big_m, c, *r.output)).reshape(batch * big_m, c, *r.output)
    switches = np.repeat(idx, big_m, axis=0)
    cols = max_unpool(eye, switches, k, stride=s, padding=r.pads, output_size=n)
    cols = cols.reshape(batch, big_m, c * plane)
    grad = np.zeros((batch, big_m, c * plane), dtype=np.int64)
    b, o = np.meshgrid(np.arange(batch), np.arange(big_m), indexing="ij")
    np.add.at(grad, (b, o, (o // prod(r.output)) * plane + idx.reshape(batch, big_m)), 1)
    for bi, x in enumerate(xs):
        if not np.array_equal(cols[bi], grad[bi]):
            o1, o2 = _shared(idx[bi])
            flat = idx[bi].reshape(c, -1)
            where = tuple(int(v) for v in np.unravel_index(int(flat.ravel()[o1]), n))
            return Check(False, f"x={x.tolist()}: pooled outputs {_pos(o1, flat.shape)} and "
                                f"{_pos(o2, flat.shape)} both switch to input {where}; "
                                "unpool(g) there = g[o2] (assignment; the reference keeps "
                                "the last write, PyTorch either), the gradient "
                                "S(x)^T g = g[o1] + g[o2]")
    return Check(True, "switches are distinct for every input: assignment unpool = S(x)^T")


def _flat(pos: tuple[int, ...], n: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(pos, n))


def _shared(idx: Any) -> tuple[int, int]:
    """The first two pooled outputs (flat over C x m) whose switches coincide (per channel)."""
    c = idx.shape[0]
    flat = idx.reshape(c, -1)
    for ch in range(c):
        seen: dict[int, int] = {}
        for o, q in enumerate(flat[ch].tolist()):
            if q in seen:
                return ch * flat.shape[1] + seen[q], ch * flat.shape[1] + o
            seen[q] = o
    return -1, -1


def _pos(o: int, shape: tuple[int, ...]) -> str:
    ch, j = divmod(o, shape[1])
    return f"(c={ch}, o={j})"


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    """DeconvNet step (unpool with switches, then transposed conv) vs the gradient of
    <g, maxpool(conv(x))> computed as (S(conv x) C)^T g from the exact maps."""
    nd, c = params["ndim"], params["C"]
    n, k, s = per_axis(params["n"], nd), per_axis(params["k"], nd), per_axis(params["s"], nd)
    pool = _pool(params)
    pads = resolve(pool, n).pads
    kc = 3 if not overlapping(params) else 1  # overlap: a 1x1 identity conv keeps the spike
    layer = Conv(kernel=kc, padding=kc // 2, ndim=nd)
    if not overlapping(params):
        w = rng.standard_normal((c, c, *(kc,) * nd))
        x = rng.standard_normal((1, c, *n))
    else:
        w = np.eye(c).reshape(c, c, *(1,) * nd)
        x = rng.standard_normal((1, c, *n)) * 0.01
        q = _first_shared_position(params)
        x[(0, slice(None), *q)] = 10.0
    cx = conv(x, w, padding=kc // 2)
    _, idx = max_pool(cx, k, stride=s, padding=pads, return_indices=True)
    g = rng.standard_normal(idx.shape)
    deconvnet = conv_transpose(max_unpool(g, idx, k, stride=s, padding=pads, output_size=n), w,
                               padding=kc // 2)
    cmap = conv_map(layer, (c, *n), c)
    sel = max_pool_selection_map(pool, cx[0])
    grad = ((sel @ cmap).T.numeric(w) @ g.ravel()).reshape(x.shape)
    err = float(np.max(np.abs(deconvnet - grad)))
    return Check(err <= 1e-10, f"max |DeconvNet - gradient| = {err:.3g}")


def _first_shared_position(params: Mapping[str, Any]) -> tuple[int, ...]:
    """A real input position inside two windows (exists iff ``overlapping``)."""
    nd = params["ndim"]
    n, k, s = per_axis(params["n"], nd), per_axis(params["k"], nd), per_axis(params["s"], nd)
    r = resolve(_pool(params), n)
    out = []
    for a in range(nd):
        if s[a] < k[a] and r.output[a] >= 2:
            # windows 0 and 1 share [s - p_b, k - 1 - p_b]; clip into the input
            out.append(min(max(s[a] - r.pads[a][0], 0), n[a] - 1))
        else:
            out.append(0)
    return tuple(out)


def _derivation() -> list[Step]:
    import sympy

    from symconv.sizes import formulas as F

    n, k, s = sympy.symbols("n k s", integer=True, positive=True)
    p, o = sympy.symbols("p o", integer=True, nonnegative=True)
    d = sympy.symbols("d", integer=True, positive=True)
    values = tuple({n: nv, k: kv, s: sv, p: pv, o: 0, d: 1 + nv % 3}
                   for nv in range(1, 9) for kv in range(1, 5) for sv in range(1, 5)
                   for pv in range(kv // 2 + 1) if nv + 2 * pv >= kv)

    def last_start(v: Any) -> tuple[int, int]:
        m = F.conv_size(v[n], v[k], v[s], v[p], v[p], 1)
        start = (m - 1) * v[s] - v[p]
        return min(start, v[n] - 1), start

    return [
        Step("Windows o and o + d (d >= 1) cover [o s - p, o s - p + k - 1] and "
             "[(o+d) s - p, (o+d) s - p + k - 1]: they share max(0, k - d s) positions, so all "
             "windows are disjoint iff s >= k",
             sympy.Max(0, (o * s - p + k - 1) - ((o + d) * s - p) + 1), sympy.Max(0, k - d * s),
             values[:30]),
        Step("Every window starts at or before n - 1 (the last one at (m-1)s - p <= n - k + p "
             "<= n - 1 for p <= k/2), so with s < k and m >= 2 the shared positions of the last "
             "two windows include a real input position",
             sympy.Min((F.conv_size(n, k, s, p, p, 1) - 1) * s - p, n - 1),
             (F.conv_size(n, k, s, p, p, 1) - 1) * s - p, values, last_start),
    ]


THEOREM = Theorem(
    id="T14",
    title="Max-unpooling with switches is S(x)^T; it is the max-pool gradient iff windows do "
          "not overlap",
    statement=r"\operatorname{unpool}(g;\ \mathrm{idx}(x)) = S(x)^{\top} g "
              r"= \nabla_x \langle g, \operatorname{maxpool}(x)\rangle \iff "
              r"\forall a:\ s_a \ge k_a \ \lor\ m_a = 1",
    parameters=("n", "k", "s", "p", "C", "ndim", "claim"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    numeric_grid=lambda size: [q for q in _grid(size) if q["claim"] == "assign"][::2],
    derivation=_derivation,
    exceptions=r"\text{PyTorch's assignment unpool} \ne S(x)^{\top} \text{ iff some axis has } "
               r"s_a < k_a \text{ and } m_a \ge 2 \text{ (a position shared by two windows)}",
    references=("Zeiler & Fergus (2013), Visualizing and Understanding Convolutional Networks",
                "Simonyan, Vedaldi & Zisserman (2013), Deep Inside Convolutional Networks, "
                "section 4", "PyTorch nn.MaxUnpool (nondeterministic with repeated indices)"),
    source=__doc__ or "",
)
