"""T09 — nearest upsampling by an integer factor is a transposed convolution.

Nearest upsampling by an integer ``s`` (PyTorch ``mode='nearest'``, output ``s n``, output ``j``
copies input ``floor(j / s)``) equals the depthwise transposed convolution (``groups = C``) with
the all-ones kernel of size ``s``, stride ``s``, padding 0 — exactly, on every axis, in 1-D,
2-D and 3-D, with per-axis factors (the N-D kernel is the outer product of the axis kernels).
Each output ``j = s i + t`` (``0 <= t < s``) receives exactly one input, ``i = floor(j/s)``,
through a tap of value 1.  For an integer ``s`` PyTorch's ``nearest-exact`` (half-pixel
centres, ``floor((j + 1/2)/s)``) reads the same input, so it is the same transposed conv.
The kernel, stride and padding proven are those returned by
``symconv.theory.derive.upsampling_as_transposed_conv("nearest", s)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache
from math import prod
from typing import Any

import numpy as np

from symconv.core import conv_transpose_map, resize_map
from symconv.numeric import conv_transpose, upsample_nearest, upsample_nearest_exact
from symconv.sizes import formulas as F
from symconv.spec import ConvTranspose, Resize
from symconv.theory.derive import upsampling_as_transposed_conv
from symconv.theory.fixed import with_fixed_weights
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=range(1, 13 if big else 9), s=range(1, 6 if big else 5),
                         C=[1, 3], mode=["nearest", "nearest-exact"])
    two_d = product_grid(ndim=[2], n=[(1, 1), (2, 3), (4, 1), (3, 5)] + ([(6, 7)] if big else []),
                         s=[(1, 1), (2, 2), (3, 1), (2, 3)] + ([(4, 4)] if big else []), C=[1, 2],
                         mode=["nearest", "nearest-exact"])
    three_d = product_grid(ndim=[3], n=[(1, 2, 3), (2, 2, 2)] + ([(3, 1, 4)] if big else []),
                           s=[(2, 2, 2), (1, 3, 2)], C=[2], mode=["nearest", "nearest-exact"])
    return one_d + two_d + three_d


@cache
def equivalent(s: tuple[int, ...], channels: int) -> tuple[ConvTranspose, Any]:
    """The library's transposed conv for nearest upsampling by ``s`` (per axis), and its fixed
    depthwise weight ``(C, 1, *k)``: the outer product of the per-axis kernels."""
    eqs = [upsampling_as_transposed_conv("nearest", f) for f in s]
    for e in eqs:
        if e.exact != "everywhere" or e.theorem != "T09":
            raise AssertionError(f"upsampling_as_transposed_conv('nearest', {e.factor}) claims "
                                 f"{e.exact!r} ({e.theorem}), T09 says 'everywhere'")
    layer = ConvTranspose(kernel=tuple(len(e.kernel) for e in eqs),
                          stride=tuple(e.stride for e in eqs),
                          padding=tuple(e.padding for e in eqs), groups=channels,
                          ndim=len(s))
    kernel = np.ones((1,), dtype=object) * Fraction(1)
    for e in eqs:
        kernel = np.multiply.outer(kernel, e.kernel)
    weight = np.empty((channels, 1, *kernel.shape[1:]), dtype=object)
    weight[:] = kernel[0]
    weight.setflags(write=False)  # cached: shared by every call
    return layer, weight


def _check(params: Mapping[str, Any]) -> Check:
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    up = resize_map(Resize(scale_factor=s, mode=params["mode"], ndim=nd), (c, *n))
    layer, weight = equivalent(s, c)
    t = conv_transpose_map(layer, (c, *n), c)
    fixed = with_fixed_weights(t, {"w": weight})
    if fixed.shape != up.shape:
        return Check(False, f"shapes differ: upsampling {up.out_shape}, transposed conv "
                            f"{fixed.out_shape}")
    if not fixed.equals(up):
        return Check(False, "same shapes, different entries")
    if prod(n) * prod(s) * c <= 16:
        # Tiny instances: the SymPy matrices too (the kernel substituted into the symbols).
        if t.symbolic(weight) != up.symbolic():
            return Check(False, "SymPy matrices differ")
    rows = fixed.row_counts()
    if not np.all(rows == 1):
        return Check(False, f"an output receives {int(rows.max())} inputs, not exactly one")
    return Check(True, "U_s equals convT(ones(s), stride s, groups=C) entry by entry; every "
                       "output copies exactly one input")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    x = rng.standard_normal((2, c, *n))
    layer, weight = equivalent(s, c)
    a = (upsample_nearest if params["mode"] == "nearest" else upsample_nearest_exact)(x, s)
    b = conv_transpose(x, weight.astype(float), stride=layer.stride, padding=layer.padding,
                       groups=c)
    if a.shape != b.shape:
        return Check(False, f"shapes {a.shape} and {b.shape}")
    err = float(np.max(np.abs(a - b)))
    return Check(err == 0.0, f"max |upsample_nearest - conv_transpose| = {err:.3g}")


def _derivation() -> list[Step]:
    import sympy

    n, s = sympy.symbols("n s", integer=True, positive=True)
    j, i, t = sympy.symbols("j i t", integer=True, nonnegative=True)
    values = tuple({n: nv, s: sv, j: jv, i: jv // sv, t: jv % sv}
                   for nv in range(1, 7) for sv in range(1, 5) for jv in range(nv * sv))

    def sizes(v: Any) -> tuple[int, int]:
        return (F.conv_transpose_size(v[n], v[s], v[s], 0, 0, 1, 0),
                F.resize_size(v[n], v[s]))

    def split(v: Any) -> tuple[int, int]:
        return v[j], v[s] * (v[j] // v[s]) + v[j] % v[s]

    def source(v: Any) -> tuple[int, int]:
        # PyTorch nearest: src = min(floor(j * (1/s)), n - 1); the scatter writes i = floor(j/s)
        return min(v[j] // v[s], v[n] - 1), v[j] // v[s]

    def exact(v: Any) -> tuple[int, int]:
        return min((2 * v[j] + 1) // (2 * v[s]), v[n] - 1), v[j] // v[s]

    def tap(v: Any) -> tuple[int, int]:
        return v[j] - v[s] * (v[j] // v[s]), v[t]

    return [
        Step("Both sides have s n outputs: the transposed conv (n-1)s - 0 + (s-1) + 1, the "
             "resize floor(n s)",
             F.conv_transpose_size(n, s, s, 0, 0, 1, 0), sympy.floor(n * s), values[:40],
             sizes),
        Step("Every output j splits uniquely as j = s floor(j/s) + (j mod s), with "
             "0 <= j mod s < s: the transposed conv writes j from input i = floor(j/s) through "
             "the single tap t = j mod s",
             j, s * sympy.floor(j / s) + sympy.Mod(j, s), values, split),
        Step("The tap index t = j - s i with i = floor(j/s) is j mod s, in [0, s): every "
             "output gets exactly one term, of weight ones[t] = 1",
             j - s * sympy.floor(j / s), sympy.Mod(j, s), values, tap),
        Step("Nearest upsampling reads min(floor(j/s), n-1) = floor(j/s) for j < s n, the same "
             "input with coefficient 1",
             sympy.Min(sympy.floor(j / s), n - 1), sympy.floor(j / s), values, source),
        Step("nearest-exact reads min(floor((j + 1/2)/s), n-1): for integer s, j = s q + r with "
             "r <= s - 1 gives (j + 1/2)/s = q + (r + 1/2)/s < q + 1, the same floor(j/s)",
             sympy.Min(sympy.floor((j + sympy.Rational(1, 2)) / s), n - 1), sympy.floor(j / s),
             values, exact),
    ]


THEOREM = Theorem(
    id="T09",
    title="Nearest upsampling by s is a transposed conv with an all-ones kernel",
    statement=r"\operatorname{up}^{\mathrm{nearest}}_{s}(x) = "
              r"\operatorname{convT}_{s,p=0,\mathrm{groups}=C}\bigl(x;\ \mathbf{1}_{s}^{\otimes D}"
              r"\bigr)",
    parameters=("n", "s", "C", "ndim", "mode"),
    grid=_grid,
    check=_check,
    numeric=_numeric,
    derivation=_derivation,
    references=("PyTorch nn.Upsample(mode='nearest' / 'nearest-exact')",
                "Odena, Dumoulin & Olah (2016), Deconvolution and Checkerboard Artifacts"),
    source=__doc__ or "",
)
