"""T03 — the input gradient of a convolution is a transposed convolution with ``op = a``.

For ``y = conv(x)`` on inputs of size ``n``, ``dL/dx = C^T dL/dy`` (the chain rule for a linear
map), and ``C^T`` is the transposed convolution with the conv's own weight, kernel, stride,
padding, dilation and groups and ``output_padding = a = (n + p_b + p_e - d(k-1) - 1) mod s``
per axis — exactly the layer :func:`symconv.theory.derive.gradient_ops` returns (its
``input_grad``, which is :func:`symconv.theory.derive.adjoint_of`).  ``a < s`` always, so the
identity holds for every conv: there is no exception region.  The output padding is needed
because a strided conv maps the ``s`` sizes ``n - a, ..., n - a + s - 1`` to one output size.

Evidence: the transposed conv's map equals ``C^T`` entry by entry and its output size is
``n``; :func:`symconv.numeric.conv_grad_input` applied to exact integer gradients equals
``C^T g``; numerically ``<g, conv(x)> = <conv_grad_input(g), x>`` (the VJP identity, no
autograd); the tests also compare with PyTorch autograd.

Mutations the tests run: ``params["mutation"] = "op+1"`` (output padding ``a + 1`` when that
is a legal layer, else ``a - 1``) and ``"pad+1"`` (the gradient layer with padding ``p + 1``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from symconv.core import conv_map, conv_matrix, conv_transpose_map, conv_transpose_matrix
from symconv.errors import InvalidSpecError
from symconv.numeric import conv, conv_grad_input
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose
from symconv.theory.derive import adjoint_of, gradient_ops
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
    cin, cout, _ = params["channels"]
    return grid_layer(Conv, params, in_channels=cin, out_channels=cout)


def _build(params: Params) -> Any:
    """Make the instance's layers and resolve their sizes (raises when it does not exist)."""
    return resolve(_conv(params), per_axis(params["n"], params["ndim"]))


def _gradient_layer(params: Params) -> ConvTranspose:
    """``gradient_ops(conv).input_grad``, or a deliberately wrong layer for a mutation."""
    nd = params["ndim"]
    layer = gradient_ops(_conv(params), per_axis(params["n"], nd)).input_grad
    mutation = params.get("mutation")
    if mutation == "op+1":
        ops = []
        for a, s, d in zip(layer.output_padding, layer.stride, layer.dilation, strict=True):
            ops.append(a + 1 if a + 1 < max(s, d) else max(a - 1, 0) if a else a + 1)
        return dataclasses.replace(layer, output_padding=tuple(ops))
    if mutation == "pad+1":
        return dataclasses.replace(
            layer, padding=tuple((b + 1, e + 1) for b, e in layer.padding))
    return layer


def _ints(params: Params, shape: tuple[int, ...]) -> np.ndarray:
    return instance_rng(params).integers(-9, 10, shape)


def _check(params: Params) -> Check:
    """Exact: the gradient layer's map is ``C^T`` and it restores the input size ``n``."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    layer = _conv(params)
    c = conv_map(layer, (cin, *n), cout)
    m = out_shape(c)[1:]
    try:
        grad = _gradient_layer(params)
        t = conv_transpose_map(grad, (cout, *m), cin)
    except InvalidSpecError as exc:
        return Check(False, f"gradient layer rejected: {exc}")
    if out_shape(t)[1:] != n:
        return Check(False, f"the gradient layer outputs {out_shape(t)[1:]}, the input is {n}")
    if not t.equals(c.T):
        return Check(False, "same shapes, the gradient layer's entries differ from C^T")
    a = tuple((nn + 2 * pp - dd * (kk - 1) - 1) % ss for nn, kk, ss, pp, dd in zip(
        n, per_axis(params["k"], nd), per_axis(params["s"], nd), per_axis(params["p"], nd),
        per_axis(params["d"], nd), strict=True))
    if grad.output_padding != a:
        return Check(False, f"gradient layer output_padding={grad.output_padding}, a = {a}")
    k = per_axis(params["k"], nd)
    w = _ints(params, (cout, cin // g, *k))
    go = _ints({**params, "what": "g"}, (cout, *m))
    ref = conv_grad_input(go[None], w, n, stride=params["s"], padding=params["p"],
                          dilation=params["d"], groups=g)[0]
    if not np.array_equal(c.T.apply_exact(go, w), ref):
        return Check(False, "numeric.conv_grad_input(g) != C^T g on integer data")
    if nd == 1 and n[0] <= 3 and cin == 1:
        k0 = k[0]
        sym_c = conv_matrix((cin, *n), (cout, cin, k0), params["s"], params["p"], params["d"])
        sym_t = conv_transpose_matrix((cout, *m), (cout, cin, k0), params["s"], params["p"],
                                      grad.output_padding, params["d"])
        if sym_c.T != sym_t:
            return Check(False, "SymPy matrices differ")
    return Check(True, f"dL/dx = convT(op={grad.output_padding}) g = C^T g")


def _numeric(params: Params, rng: Any) -> Check:
    """VJP identity with float data: <g, conv(x)> == <conv_grad_input(g), x>."""
    nd = params["ndim"]
    cin, cout, g = params["channels"]
    n = per_axis(params["n"], nd)
    x = rng.standard_normal((1, cin, *n))
    w = rng.standard_normal((cout, cin // g, *per_axis(params["k"], nd)))
    kw = {"stride": params["s"], "padding": params["p"], "dilation": params["d"], "groups": g}
    y = conv(x, w, **kw)
    go = rng.standard_normal(y.shape)
    gx = conv_grad_input(go, w, n, **kw)
    if gx.shape != x.shape:
        return Check(False, f"gradient shape {gx.shape} != input shape {x.shape}")
    lhs, rhs = float(np.sum(go * y)), float(np.sum(gx * x))
    return Check(abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)), f"<g,Cx>={lhs:.12g}, <C^T g,x>={rhs:.12g}")


def _derivation() -> list[Step]:
    import sympy

    n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
    p, o, t = sympy.symbols("p o t", integer=True, nonnegative=True)
    m = F.conv_size(n, k, s, p, p, d)
    a = sympy.Mod(n + 2 * p - d * (k - 1) - 1, s)
    g, w, x = sympy.IndexedBase("g"), sympy.IndexedBase("w"), sympy.IndexedBase("x")
    values = tuple(
        {n: nv, k: kv, s: sv, p: pv, d: dv}
        for nv in range(1, 10) for kv in range(1, 5) for sv in range(1, 4) for pv in range(3)
        for dv in range(1, 3) if nv + 2 * pv >= dv * (kv - 1) + 1
    )

    def size(v: Any) -> tuple[int, int]:
        nv, kv, sv, pv, dv = v[n], v[k], v[s], v[p], v[d]
        mv = F.conv_size(nv, kv, sv, pv, pv, dv)
        op = adjoint_of(Conv(kernel=kv, stride=sv, padding=pv, dilation=dv), nv).output_padding
        return F.conv_transpose_size(mv, kv, sv, pv, pv, dv, op[0]), nv

    return [
        Step("Chain rule for y_o = sum_t w_t x_(o s - p + t d): the term of g_o y_o that "
             "contains x_i is g_o w_t with i = o s - p + t d, so dL/dx_i = sum over (o, t) "
             "with o s - p + t d = i of w_t g_o, i.e. (C^T g)_i",
             sympy.diff(g[o] * w[t] * x[o * s - p + t * d], x[o * s - p + t * d]), g[o] * w[t]),
        Step("That sum is the transposed conv's scatter: it writes input g_o through w_t to "
             "full-grid position o s + t d and crops p at the start, i.e. to output "
             "o s + t d - p, the very position the conv read from (same k, s, p, d)",
             (o * s + t * d) - p, o * s - p + t * d),
        Step("With output_padding a = (n + 2p - d(k-1) - 1) mod s the transposed conv has "
             "exactly n outputs (Mod rewritten as floor, expanded)",
             F.conv_transpose_size(m, k, s, p, p, d, a), n, values, size),
        Step("a < s, so the gradient layer is always a legal transposed conv (PyTorch: "
             "op < s or op < d): no exception region",
             sympy.floor(a / s), 0, values,
             lambda v: ((v[n] + 2 * v[p] - v[d] * (v[k] - 1) - 1) % v[s] // v[s], 0)),
    ]


THEOREM = Theorem(
    id="T03",
    title="The input gradient of a convolution is a transposed convolution with op = a",
    statement=r"\frac{\partial L}{\partial x} = C^{\top} \frac{\partial L}{\partial y} = "
              r"\operatorname{convT}_{k,s,p,d,g,\,\mathrm{op}=a}\Bigl(\frac{\partial L}"
              r"{\partial y}\Bigr),\quad a = (n + p_b + p_e - d(k-1) - 1) \bmod s",
    parameters=("n", "k", "s", "p", "d", "groups"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    numeric_grid=_numeric_grid,
    derivation=_derivation,
    references=("Dumoulin & Visin (2016), section 4", "PyTorch conv backward (convolution_backward)"),
    source=__doc__ or "",
)
