"""T04 — the weight gradient of a convolution is a correlation with stride and dilation swapped.

For ``y = conv(x; w)``, ``dL/dw[o, c, t] = sum_j g[o, j] x_pad[ci, j s + t d]`` with
``g = dL/dy`` and ``ci`` the ``c``-th input channel of ``o``'s group.  Read with ``t`` as the
output index and ``j`` as the tap, ``j s + t d = t d + j s`` is a correlation of the padded
input with ``g`` used as a kernel, **stride d and dilation s** (the roles swap), per
(output channel, input channel of its group) pair.  That correlation has
``k + floor(a/d)`` outputs per axis, ``a = (n + p_b + p_e - d(k-1) - 1) mod s``: the weight
gradient is its first ``k`` (no crop is needed when ``a < d``, e.g. whenever ``d >= s``).
:func:`symconv.theory.derive.gradient_ops` returns that correlation as ``weight_grad``.

Evidence, per instance with an exact integer input ``x`` (distinct values): ``w -> conv(x; w)``
is linear in ``w``; its map ``G_x`` (rows: outputs, columns: weight taps, coefficient ``x`` at
the input the tap reads) is read off the core's conv map, and ``G_x^T`` (``g -> dL/dw``) must
equal the map of ``weight_grad`` built by the core on the input plane (taps = ``g``),
cropped to ``k``, with coefficient ``x``; and :func:`symconv.numeric.conv_grad_weight` on exact
integers equals ``G_x^T g``.  Numerically: ``<g, conv(x; w)> = <conv_grad_weight(x, g), w>``;
the tests also compare with PyTorch autograd.

Mutations the tests run: ``params["mutation"] = "unswapped"`` (the correlation with stride s
and dilation d, as if the roles did not swap) and ``"no_crop"`` (the correlation's output
taken whole).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import prod
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_map, crop_map
from symconv.errors import InvalidSpecError
from symconv.numeric import conv, conv_grad_weight
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv
from symconv.theory.derive import gradient_ops
from symconv.theory.theorem import (
    Check,
    Step,
    Theorem,
    conv_grid,
    grid_layer,
    instance_rng,
    out_shape,
    per_axis,
    thin_grid,
    valid_instances,
)

Params = Mapping[str, Any]


def _grid(size: str) -> list[dict[str, Any]]:
    return valid_instances(conv_grid(size), _build)


def _numeric_grid(size: str) -> list[dict[str, Any]]:
    return thin_grid(_grid(size), 8)


def _conv(params: Params) -> Conv:
    return grid_layer(Conv, params)


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_conv(params), per_axis(params["n"], params["ndim"]))


def _input(params: Params, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct non-zero integers (seeded by the instance): no two taps can hide each other."""
    rng = instance_rng(params)
    size = prod(shape)
    values = (rng.permutation(size) + 1) * rng.choice([-1, 1], size)
    return values.reshape(shape)


def weight_gradient_map(params: Params, x: np.ndarray) -> IndexMap | str:
    """``g -> dL/dw`` from :func:`gradient_ops`'s correlation (or a reason it cannot be built).

    The correlation's map on one input plane has rows = weight-gradient positions, columns =
    input positions, taps = positions of ``g``.  Every (output channel, input channel of its
    group) pair uses it with that input channel's plane, so the full map is a broadcast.
    """
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    k = per_axis(params["k"], nd)
    layer = _conv(params)
    corr = gradient_ops(layer, n).weight_grad
    if params.get("mutation") == "unswapped":
        corr = Conv(kernel=corr.kernel, stride=layer.stride, padding=corr.padding,
                    dilation=layer.dilation, ndim=nd)
    try:
        spatial = conv_map(corr, (1, *n), 1)
    except InvalidSpecError as exc:
        return f"correlation rejected: {exc}"
    got = out_shape(spatial)[1:]
    if params.get("mutation") != "no_crop" and got != k:
        extra = tuple(a - b for a, b in zip(got, k, strict=True))
        if min(extra) < 0:
            return f"the correlation has {got} outputs, fewer than the kernel {k}"
        spatial = crop_map((1, *got), [(0, e) for e in extra]) @ spatial
    kk = prod(out_shape(spatial)[1:])
    n_in, n_out = prod(n), prod(spatial.weights[0].shape[2:])
    cin_g, cout_g = cin // g, cout // g
    co = np.arange(cout)[:, None, None]
    cl = np.arange(cin_g)[None, :, None]
    ci = (co // cout_g) * cin_g + cl
    t, pos, j = spatial.rows[None, None, :], spatial.cols[None, None, :], spatial.taps[:, 0]
    rows = (co * cin_g + cl) * kk + t
    cols = co * n_out + j[None, None, :]
    num = x.ravel()[ci * n_in + pos]
    rows, cols, num = np.broadcast_arrays(rows, cols, num)
    return IndexMap.from_arrays((cout * cin_g * kk, cout * n_out), rows.ravel(), cols.ravel(),
                                num=num.ravel(), in_shape=(cout, *spatial.weights[0].shape[2:]),
                                out_shape=(cout, cin_g, *out_shape(spatial)[1:]))


def _check(params: Params) -> Check:
    """Exact: ``G_x^T`` (from the conv map) equals the swapped correlation, cropped to k."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    k = per_axis(params["k"], nd)
    c = conv_map(_conv(params), (cin, *n), cout)
    x = _input(params, (cin, *n))
    gx_t = IndexMap.from_arrays((c.n_weights, c.shape[0]), c.taps[:, 0], c.rows,
                                num=x.ravel()[c.cols], in_shape=out_shape(c),
                                out_shape=(cout, cin // g, *k))
    derived = weight_gradient_map(params, x)
    if isinstance(derived, str):
        return Check(False, derived)
    if not derived.equals(gx_t):
        return Check(False, f"G_x^T differs from the correlation (shapes {gx_t.shape}, "
                            f"{derived.shape})")
    go = _input({**params, "what": "g"}, out_shape(c))
    ref = conv_grad_weight(x[None], go[None], k, stride=params["s"], padding=params["p"],
                           dilation=params["d"], groups=g)
    if not np.array_equal(gx_t.apply_exact(go), ref):
        return Check(False, "numeric.conv_grad_weight(x, g) != G_x^T g on integer data")
    a = tuple(F.mod(nn + 2 * pp - F.effective_kernel(kk, dd), ss) for nn, kk, ss, pp, dd in zip(
        n, k, per_axis(params["s"], nd), per_axis(params["p"], nd), per_axis(params["d"], nd),
        strict=True))
    return Check(True, f"dL/dw = corr(x_pad, g; stride d, dilation s)[:k], a = {a}")


def _numeric(params: Params, rng: Any) -> Check:
    """VJP identity with float data: <g, conv(x; w)> == <conv_grad_weight(x, g), w>."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    k = per_axis(params["k"], nd)
    x = rng.standard_normal((2, cin, *per_axis(params["n"], nd)))
    w = rng.standard_normal((cout, cin // g, *k))
    kw = {"stride": params["s"], "padding": params["p"], "dilation": params["d"], "groups": g}
    y = conv(x, w, **kw)
    go = rng.standard_normal(y.shape)
    gw = conv_grad_weight(x, go, k, **kw)
    lhs, rhs = float(np.sum(go * y)), float(np.sum(gw * w))
    return Check(abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)), f"<g,y>={lhs:.12g}, <dW,w>={rhs:.12g}")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    p, o, t = sympy.symbols("p o t", integer=True, nonnegative=True)
    g, w, xp = sympy.IndexedBase("g"), sympy.IndexedBase("w"), sympy.IndexedBase("x_pad")
    big_o = F.conv_size(n, k, s, p, p, d)
    a = sympy.Mod(n + 2 * p - d * (k - 1) - 1, s)
    values = tuple(
        {n: nv, k: kv, s: sv, p: pv, d: dv}
        for nv in range(1, 9) for kv in range(1, 5) for sv in range(1, 4) for pv in range(3)
        for dv in range(1, 4) if nv + 2 * pv >= dv * (kv - 1) + 1
    )

    def corr_size(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv = v[n], v[k], v[s], v[p], v[d]
        ov = F.conv_size(nv, kv, sv, pv, pv, dv)
        av = (nv + 2 * pv - dv * (kv - 1) - 1) % sv
        corr = gradient_ops(Conv(kernel=kv, stride=sv, padding=pv, dilation=dv), nv).weight_grad
        got = resolve(corr, nv).output[0] if corr.kernel == (ov,) else -1
        return got, kv + av // dv

    return [
        Step("Chain rule: the term g_o y_o contains w_t as g_o w_t x_pad[o s + t d], so "
             "dL/dw_t = sum_o g_o x_pad[o s + t d]",
             sympy.diff(g[o] * w[t] * xp[o * s + t * d], w[t]), g[o] * xp[o * s + t * d]),
        Step("Read t as the output and o as the tap: o s + t d = t d + o s, a correlation of "
             "x_pad with the kernel g at stride d and dilation s (the roles swap)",
             o * s + t * d, t * d + o * s),
        Step("The correlation (kernel O taps, stride d, dilation s) has k + floor(a/d) "
             "outputs, a = (n + 2p - d(k-1) - 1) mod s: the gradient is its first k",
             F.conv_size(n, big_o, d, p, p, s), k + sympy.floor(a / d), values, corr_size),
        Step("a < s, so when d >= s no output is cropped",
             sympy.floor(a / d), 0, tuple(v for v in values if v[d] >= v[s]),
             lambda v: ((v[n] + 2 * v[p] - v[d] * (v[k] - 1) - 1) % v[s] // v[d], 0)),
    ]


THEOREM = Theorem(
    id="T04",
    title="The weight gradient of a convolution is a correlation, stride and dilation swapped",
    statement=r"\frac{\partial L}{\partial w_{o,c,t}} = \sum_j g_{o,j}\, x^{\mathrm{pad}}_{c,"
              r"\,t d + j s} = \operatorname{corr}_{\mathrm{stride}=d,\ \mathrm{dilation}=s}"
              r"\bigl(x^{\mathrm{pad}}, g\bigr)_{o,c,t},\quad 0 \le t < k",
    parameters=("n", "k", "s", "p", "d", "groups"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("PyTorch conv backward (convolution_backward, weight)",
                "Dumoulin & Visin (2016), section 4"),
    source=__doc__ or "",
)
