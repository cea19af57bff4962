"""T11 — linear upsampling with align_corners=True to size s(n-1)+1 is a transposed convolution.

Multilinear resizing with ``align_corners=True`` (PyTorch ``interpolate(size=...)``, ONNX Resize
``coordinate_transformation_mode='align_corners'``) from ``n`` to ``o = s(n-1)+1`` samples per
axis reads source coordinate ``j (n-1)/(o-1) = j/s``.  It equals, exactly and everywhere, the
depthwise transposed convolution (``groups = C``) with the triangle kernel
``K[t] = 1 - |t - (s-1)|/s`` (``t = 0 .. 2s-2``, size ``2s-1``), stride ``s``, padding
``s-1``: input ``i`` reaches output ``j`` with weight ``1 - |j - s i|/s``.  In ``D`` dimensions
the kernel is the outer product of the axis triangles (per-axis factors allowed).

Giving ``scale_factor=s`` instead of ``size`` is a different map: ``s n`` samples at source
coordinates ``j (n-1)/(s n - 1)``, a grid with spacing ``(n-1)/(sn-1) != 1/s`` — equal to the
transposed conv only when ``s = 1`` on every axis (stated failure region, with counterexamples:
``n=2, s=2`` gives ``[x0, (2x0+x1)/3, (x0+2x1)/3, x1]``, the transposed conv
``[x0, (x0+x1)/2, x1]``).  The kernel, stride and padding are those of
``upsampling_as_transposed_conv("linear", s, align_corners=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np

from symconv.core import conv_transpose_map, resize_map
from symconv.numeric import conv_transpose, upsample_linear
from symconv.sizes import formulas as F
from symconv.spec import ConvTranspose, Resize
from symconv.theory.derive import upsampling_as_transposed_conv
from symconv.theory.fixed import with_fixed_weights
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=range(1, 12 if big else 8), s=range(1, 6 if big else 5),
                         C=[1, 2], target=["size", "scale_factor"])
    two_d = product_grid(ndim=[2], n=[(1, 2), (3, 2), (4, 3)] + ([(5, 6)] if big else []),
                         s=[(1, 1), (2, 2), (3, 2)] + ([(4, 3)] if big else []), C=[1, 2],
                         target=["size", "scale_factor"])
    three_d = product_grid(ndim=[3], n=[(2, 3, 2)], s=[(2, 1, 3), (2, 2, 2)], C=[1],
                           target=["size", "scale_factor"])
    return one_d + two_d + three_d


def _expected(params: Mapping[str, Any]) -> bool:
    return params["target"] == "size" or all(v == 1 for v in per_axis(params["s"], params["ndim"]))


@cache
def equivalent(s: tuple[int, ...], channels: int) -> tuple[ConvTranspose, Any]:
    """The library's transposed conv and its fixed depthwise weight ``(C, 1, *k)``."""
    eqs = [upsampling_as_transposed_conv("linear", f, align_corners=True) for f in s]
    for e in eqs:
        if e.exact != "everywhere" or e.theorem != "T11":
            raise AssertionError(f"upsampling_as_transposed_conv('linear', {e.factor}, "
                                 f"align_corners=True) claims {e.exact!r}, T11 'everywhere'")
    layer = ConvTranspose(kernel=tuple(len(e.kernel) for e in eqs),
                          stride=tuple(e.stride for e in eqs),
                          padding=tuple(e.padding for e in eqs), groups=channels, ndim=len(s))
    kernel = np.ones((1,), dtype=object) * Fraction(1)
    for e in eqs:
        kernel = np.multiply.outer(kernel, e.kernel)
    weight = np.empty((channels, 1, *kernel.shape[1:]), dtype=object)
    weight[:] = kernel[0]
    weight.setflags(write=False)  # cached: shared by every call
    return layer, weight


def triangle(s: int) -> list[Fraction]:
    """``1 - |t - (s-1)|/s`` for ``t = 0 .. 2s-2`` (written from the statement)."""
    return [1 - Fraction(abs(t - (s - 1)), s) for t in range(2 * s - 1)]


def _resize(params: Mapping[str, Any]) -> Resize:
    nd = params["ndim"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    if params["target"] == "size":
        return Resize(size=tuple(si * (ni - 1) + 1 for ni, si in zip(n, s, strict=True)),
                      mode="linear", align_corners=True, ndim=nd)
    return Resize(scale_factor=s, mode="linear", align_corners=True, ndim=nd)


def _check(params: Mapping[str, Any]) -> Check:
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    layer, weight = equivalent(s, c)
    stated = np.ones((1,), dtype=object)
    for sa in s:
        stated = np.multiply.outer(stated, np.array(triangle(sa), dtype=object))
    if not np.array_equal(weight[0], stated):
        return Check(False, f"library kernel {weight[0, 0].tolist()} is not the product of "
                            "the triangles 1-|t-(s-1)|/s")
    up = resize_map(_resize(params), (c, *n))
    fixed = with_fixed_weights(conv_transpose_map(layer, (c, *n), c), {"w": weight})
    if fixed.shape != up.shape:
        spacing = tuple(str(Fraction(ni - 1, si * ni - 1)) for ni, si in zip(n, s, strict=True))
        step = tuple(str(Fraction(1, si)) for si in s)
        return Check(False, f"resize gives {up.out_shape[1:] if up.out_shape else None} samples "
                            f"spaced (n-1)/(sn-1) = {spacing} input units; the transposed conv "
                            f"gives {fixed.out_shape[1:] if fixed.out_shape else None} spaced "
                            f"1/s = {step}")
    if not fixed.equals(up):
        return Check(False, "same shapes, different entries")
    if nd == 1 and c == 1 and n[0] <= 4:
        if conv_transpose_map(layer, (c, *n), c).symbolic(weight) != up.symbolic():
            return Check(False, "SymPy matrices differ")
    return Check(True, "resize(size=s(n-1)+1, align_corners) = convT(triangle, s, p=s-1)")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    nd, c = params["ndim"], params["C"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    x = rng.standard_normal((2, c, *n))
    sf: tuple[Fraction | int, ...] = s
    if params["target"] == "size":
        # align_corners coordinates depend only on n and o: the factor o/n yields o samples
        sf = tuple(Fraction(si * (ni - 1) + 1, ni) for ni, si in zip(n, s, strict=True))
    a = upsample_linear(x, sf, align_corners=True)
    layer, weight = equivalent(s, c)
    b = conv_transpose(x, weight.astype(float), stride=layer.stride, padding=layer.padding,
                       groups=c)
    if a.shape != b.shape:
        return Check(False, f"shapes {a.shape[2:]} (resize) and {b.shape[2:]} (transposed conv)")
    err = float(np.max(np.abs(a - b)))
    return Check(err <= 1e-12 * (1 + float(np.max(np.abs(x)))), f"max difference {err:.3g}")


def counterexample(n: int = 2, s: int = 2) -> tuple[list[Any], list[Any]]:
    """The two 1-D results on symbols ``x0 .. x_{n-1}``: ``scale_factor=s`` and ``size=s(n-1)+1``
    (the transposed conv), as exact SymPy expressions."""
    import sympy

    xs = sympy.symbols(f"x0:{n}", real=True)
    vec = sympy.Matrix(xs)
    out = []
    for target in ("scale_factor", "size"):
        m = resize_map(_resize({"ndim": 1, "n": n, "s": s, "target": target}), (1, n))
        out.append([sympy.expand(e) for e in m.symbolic() * vec])
    return out[0], out[1]


def _derivation() -> list[Step]:
    import sympy

    n, s = sympy.symbols("n s", integer=True, positive=True)
    j = sympy.symbols("j", integer=True, nonnegative=True)
    o = s * (n - 1) + 1
    values = tuple({n: nv, s: sv, j: jv} for nv in range(2, 7) for sv in range(1, 5)
                   for jv in range(sv * (nv - 1) + 1))
    i0 = sympy.floor(j / s)

    def size(v: Any) -> tuple[int, int]:
        sv = v[s]
        return (F.conv_transpose_size(v[n], 2 * sv - 1, sv, sv - 1, sv - 1, 1, 0),
                sv * (v[n] - 1) + 1)

    def coord(v: Any) -> tuple[Fraction, Fraction]:
        ov = v[s] * (v[n] - 1) + 1
        return Fraction(v[j] * (v[n] - 1), ov - 1), Fraction(v[j], v[s])

    def left(v: Any) -> tuple[Fraction, Fraction]:
        sv, jv = v[s], v[j]
        lam = Fraction(jv % sv, sv)
        return 1 - lam, 1 - Fraction(abs(jv - sv * (jv // sv)), sv)

    def right(v: Any) -> tuple[Fraction, Fraction]:
        sv, jv = v[s], v[j]
        return Fraction(jv % sv, sv), 1 - Fraction(abs(jv - sv * (jv // sv + 1)), sv)

    return [
        Step("The transposed conv (k = 2s-1, stride s, padding s-1) has (n-1)s - 2(s-1) + 2s-1 "
             "= s(n-1)+1 outputs, the requested size",
             F.conv_transpose_size(n, 2 * s - 1, s, s - 1, s - 1, 1, 0), o, values, size),
        Step("align_corners reads source j (n-1)/(o-1) = j/s for o = s(n-1)+1",
             j * (n - 1) / (o - 1), j / s, values, coord),
        Step("Linear interpolation gives x[floor(j/s)] the weight 1 - (j mod s)/s; the "
             "transposed conv writes input i to j = i s - (s-1) + t with weight "
             "K[t] = 1 - |t-(s-1)|/s = 1 - |j - s i|/s, the same for i = floor(j/s)",
             1 - sympy.Mod(j, s) / s, 1 - sympy.Abs(j - s * i0) / s, values, left),
        Step("... and x[floor(j/s)+1] the weight (j mod s)/s = 1 - |j - s(floor(j/s)+1)|/s; "
             "every other input is at distance |j - s i| >= s, outside the triangle",
             sympy.Mod(j, s) / s, 1 - sympy.Abs(j - s * (i0 + 1)) / s, values, right),
        Step("scale_factor=s gives s n samples, s(n-1)+1 only when s = 1: a different grid",
             s * n - o, s - 1, values[:20]),
    ]


THEOREM = Theorem(
    id="T11",
    title="Linear upsampling with align_corners to s(n-1)+1 is a triangle-kernel transposed conv",
    statement=r"\operatorname{resize}^{\mathrm{linear,\,ac}}_{n \to s(n-1)+1}(x) = "
              r"\operatorname{convT}_{s,\,p=s-1,\,\mathrm{groups}=C}\bigl(x;\ "
              r"\Lambda_s^{\otimes D}\bigr),\quad \Lambda_s[t] = 1 - \frac{|t-(s-1)|}{s}",
    parameters=("n", "s", "C", "ndim", "target"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    derivation=_derivation,
    exceptions=r"\texttt{scale\_factor}=s \text{ instead of size: } sn \text{ samples at } "
               r"j\frac{n-1}{sn-1}\text{; equal only for } s = 1",
    references=("PyTorch F.interpolate(mode='linear'/'bilinear', align_corners=True)",
                "ONNX Resize, coordinate_transformation_mode='align_corners'"),
    source=__doc__ or "",
)
