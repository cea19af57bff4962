"""T12 — half-pixel linear upsampling vs the FCN bilinear transposed convolution.

Multilinear upsampling by an integer ``s`` with half-pixel coordinates (PyTorch
``align_corners=False``, ONNX ``half_pixel``): output ``j`` reads ``src = (j + 1/2)/s - 1/2``,
clamped into ``[0, n-1]`` (PyTorch clamps at 0 and at the last sample; ONNX edge-pads: the same
values).  The FCN bilinear transposed convolution (Long et al.; Caffe ``BilinearFiller``):
depthwise, kernel size ``K = 2s - (s mod 2)``, ``w[t] = 1 - |t - c|/s`` with ``c = (K-1)/2``,
stride ``s``, padding ``P = ceil((s-1)/2) = floor(s/2)``.  Per axis, with ``b = floor(s/2)``:

1. both have ``s n`` outputs, and the transposed conv gives input ``i`` the weight
   ``1 - |src_j - i|`` (the linear-interpolation hat) at output ``j``;
2. so they agree exactly at every output with ``0 <= src_j <= n - 1``, i.e.
   ``b <= j <= s n - b - 1``, and differ at **exactly** the ``2b`` border outputs
   ``j in {0, ..., b-1}`` (``src < 0``) and ``j in {s n - b, ..., s n - 1}`` (``src > n-1``),
   where interpolation copies the edge sample and the transposed conv sees a zero neighbour;
   in ``D`` dims an output differs iff some coordinate is a border position of its axis;
3. on the edge-replicated input they are equal everywhere:
   ``up(x) = Crop_{(s, s)} convT_{K, s, P}(ReplicatePad_{(1, 1)}(x))`` per axis, equivalently
   ``convT`` with padding ``P + s`` on the replicate-padded input.  One replicated sample per
   side is enough (the hat has half-width 1, ``src >= -1/2``) and is needed (``s >= 2``).

The plain identity ``up(x) = convT(x)`` therefore holds iff ``s = 1`` on every axis (the stated
failure region); every counterexample records the exact differing positions.  The kernel,
stride and padding are those of ``upsampling_as_transposed_conv("linear", s)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np

from symconv.core import IndexMap, conv_transpose_map, crop_map, pad_map, resize_map
from symconv.numeric import conv_transpose, pad, upsample_linear
from symconv.sizes import formulas as F
from symconv.spec import ConvTranspose, Resize
from symconv.theory.derive import upsampling_as_transposed_conv
from symconv.theory.fixed import with_fixed_weights
from symconv.theory.theorem import Check, Step, Theorem, per_axis, product_grid

FORMS = ("identity", "border", "replicate")


def _grid(size: str) -> list[dict[str, Any]]:
    big = size == "full"
    one_d = product_grid(ndim=[1], n=range(1, 11 if big else 8), s=range(1, 7 if big else 6),
                         C=[1, 2], form=FORMS)
    two_d = product_grid(ndim=[2], n=[(1, 3), (3, 2), (4, 4)] + ([(5, 6)] if big else []),
                         s=[(2, 2), (3, 2), (1, 4)] + ([(3, 3), (4, 5)] if big else []), C=[1, 2],
                         form=FORMS)
    three_d = product_grid(ndim=[3], n=[(2, 3, 2)], s=[(2, 3, 1), (2, 2, 2)], C=[1], form=FORMS)
    return one_d + two_d + three_d


def _expected(params: Mapping[str, Any]) -> bool:
    return params["form"] != "identity" or all(v == 1 for v in per_axis(params["s"], params["ndim"]))


def fcn_kernel(s: int) -> list[Fraction]:
    """Caffe's BilinearFiller, written from its definition: size ``2s - s%2``,
    ``1 - |t - c|/s`` with ``c = s - 1`` (odd size) or ``s - 1/2`` (even size)."""
    size = 2 * s - s % 2
    c = Fraction(s - 1) if size % 2 else Fraction(2 * s - 1, 2)
    return [1 - abs(t - c) / s for t in range(size)]


def border(n: int, s: int) -> list[int]:
    """The output positions of one axis where the two differ: ``b = floor(s/2)`` per side."""
    b = s // 2
    return list(range(b)) + list(range(s * n - b, s * n))


@cache
def equivalent(s: tuple[int, ...], channels: int, extra_pad: int = 0) -> tuple[ConvTranspose, Any]:
    """The library's FCN transposed conv (padding + ``extra_pad``) and its depthwise weight."""
    eqs = [upsampling_as_transposed_conv("linear", f) for f in s]
    for e in eqs:
        claim = f"floor(s/2)={e.factor // 2} border positions"
        region = "interior" if e.factor // 2 else "everywhere"
        if e.theorem != "T12" or e.exact != region or claim not in e.caveat:
            raise AssertionError(f"upsampling_as_transposed_conv('linear', {e.factor}) states "
                                 f"{e.exact!r} / {e.caveat!r}; T12 says {claim}")
    layer = ConvTranspose(kernel=tuple(len(e.kernel) for e in eqs),
                          stride=tuple(e.stride for e in eqs),
                          padding=tuple(e.padding + extra_pad * e.stride for e in eqs),
                          groups=channels, ndim=len(s))
    kernel = np.ones((1,), dtype=object) * Fraction(1)
    for e in eqs:
        kernel = np.multiply.outer(kernel, e.kernel)
    weight = np.empty((channels, 1, *kernel.shape[1:]), dtype=object)
    weight[:] = kernel[0]
    weight.setflags(write=False)  # cached: shared by every call
    return layer, weight


def _differing_rows(a: IndexMap, b: IndexMap) -> Any:
    """Boolean vector over the rows: True where the two maps' rows differ (exact)."""
    a, b = a.canonical(), b.canonical()
    diff = IndexMap.from_arrays(a.shape, np.concatenate([a.rows, b.rows]),
                                np.concatenate([a.cols, b.cols]), None,
                                np.concatenate([a.num, -b.num]), np.concatenate([a.den, b.den]))
    out = np.zeros(a.shape[0], dtype=bool)
    out[diff.canonical().rows] = True
    return out


def predicted_mask(n: tuple[int, ...], s: tuple[int, ...]) -> Any:
    """Boolean array over the output grid: some coordinate is a border position of its axis."""
    out = np.zeros(tuple(ni * si for ni, si in zip(n, s, strict=True)), dtype=bool)
    for a, (ni, si) in enumerate(zip(n, s, strict=True)):
        idx: list[Any] = [slice(None)] * len(n)
        idx[a] = border(ni, si)
        out[tuple(idx)] = True
    return out


def _check(params: Mapping[str, Any]) -> Check:
    nd, c, form = params["ndim"], params["C"], params["form"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    up = resize_map(Resize(scale_factor=s, mode="linear", ndim=nd), (c, *n))
    layer, weight = equivalent(s, c)
    stated = np.ones((1,), dtype=object)
    for sa in s:
        stated = np.multiply.outer(stated, np.array(fcn_kernel(sa), dtype=object))
    if not np.array_equal(weight[0], stated):
        return Check(False, "the library kernel is not Caffe's BilinearFiller")
    if form == "replicate":
        return _check_replicate(up, n, s, c)
    t = with_fixed_weights(conv_transpose_map(layer, (c, *n), c), {"w": weight})
    if t.shape != up.shape:
        return Check(False, f"shapes {t.out_shape} and {up.out_shape}")
    rows = _differing_rows(up, t).reshape(c, *(ni * si for ni, si in zip(n, s, strict=True)))
    want = np.broadcast_to(predicted_mask(n, s), rows.shape)
    where = [tuple(int(v) for v in p) for p in np.argwhere(rows[0])]
    listed = ", ".join(str(p[0] if nd == 1 else p) for p in where[:12])
    more = f" (+{len(where) - 12} more)" if len(where) > 12 else ""
    if form == "border":
        ok = bool(np.array_equal(rows, want))
        by_axis = {f"axis{a}": border(ni, si) for a, (ni, si) in enumerate(zip(n, s, strict=True))}
        return Check(ok, f"differ exactly at the border positions {by_axis}" if ok else
                         f"differing outputs [{listed}{more}] are not the predicted border")
    if rows.any():
        return Check(False, f"half-pixel linear and FCN convT differ at {len(where)} outputs per "
                            f"channel: [{listed}{more}]")
    return Check(True, "equal everywhere (s = 1: both are the identity)")


def _check_replicate(up: IndexMap, n: tuple[int, ...], s: tuple[int, ...], c: int) -> Check:
    padded = pad_map((c, *n), [(1, 1)] * len(n), "replicate")
    big = tuple(ni + 2 for ni in n)
    layer, weight = equivalent(s, c)
    t = with_fixed_weights(conv_transpose_map(layer, (c, *big), c), {"w": weight})
    crop = crop_map(t.out_shape or (), [(si, si) for si in s])
    lhs = crop @ t @ padded
    if not lhs.equals(up):
        return Check(False, "Crop_(s,s) convT ReplicatePad_(1,1) differs from half-pixel linear")
    layer2, _ = equivalent(s, c, extra_pad=1)
    t2 = with_fixed_weights(conv_transpose_map(layer2, (c, *big), c), {"w": weight})
    if not (t2 @ padded).equals(up):
        return Check(False, "convT with padding P + s on the replicate-padded input differs")
    return Check(True, "up(x) = Crop_(s,s) convT(ReplicatePad_(1,1) x) "
                       "= convT_{P+s}(ReplicatePad x)")


def _numeric(params: Mapping[str, Any], rng: Any) -> Check:
    nd, c, form = params["ndim"], params["C"], params["form"]
    n, s = per_axis(params["n"], nd), per_axis(params["s"], nd)
    x = rng.standard_normal((2, c, *n))
    a = upsample_linear(x, s)
    onnx = upsample_linear(x, s, coordinate_mode="half_pixel")
    if float(np.max(np.abs(a - onnx))) > 1e-12:
        return Check(False, "PyTorch half-pixel and ONNX half_pixel differ")
    layer, weight = equivalent(s, c)
    w = weight.astype(float)
    if form == "replicate":
        xp = pad(x, 1, mode="replicate")
        b = conv_transpose(xp, w, stride=layer.stride, padding=layer.padding, groups=c)
        b = b[(slice(None), slice(None), *(slice(si, -si) for si in s))]
        err = float(np.max(np.abs(a - b)))
        return Check(err <= 1e-12, f"max |up - crop convT replicate| = {err:.3g}")
    b = conv_transpose(x, w, stride=layer.stride, padding=layer.padding, groups=c)
    differs = np.any(np.abs(a - b) > 1e-12, axis=(0, 1))
    if form == "border":
        ok = bool(np.array_equal(differs, predicted_mask(n, s)))
        return Check(ok, "random data differ exactly on the border" if ok else
                         f"random data differ at {np.argwhere(differs).tolist()}")
    return Check(not differs.any(), f"{int(differs.sum())} differing outputs")


def _derivation() -> list[Step]:
    import sympy

    n, s = sympy.symbols("n s", integer=True, positive=True)
    j, i = sympy.symbols("j i", integer=True, nonnegative=True)
    b = sympy.floor(s / 2)
    k = 2 * s - sympy.Mod(s, 2)
    c = (k - 1) / 2
    src = (j + sympy.Rational(1, 2)) / s - sympy.Rational(1, 2)
    values = tuple({n: nv, s: sv, j: jv, i: iv} for nv in range(1, 6) for sv in range(1, 6)
                   for jv in range(sv * nv) for iv in range(nv))

    def first_inside(v: Any) -> tuple[int, int]:
        first = min(jv for jv in range(v[s] * v[n]) if _src(v, jv) >= 0)
        return first, v[s] // 2

    def last_inside(v: Any) -> tuple[int, int]:
        last = max(jv for jv in range(v[s] * v[n]) if _src(v, jv) <= v[n] - 1)
        return last, v[s] * v[n] - v[s] // 2 - 1

    def size(v: Any) -> tuple[int, int]:
        sv = v[s]
        return F.conv_transpose_size(v[n], 2 * sv - sv % 2, sv, sv // 2, sv // 2, 1, 0), sv * v[n]

    def hat(v: Any) -> tuple[Fraction, Fraction]:
        sv, jv, iv = v[s], v[j], v[i]
        kernel = fcn_kernel(sv)
        t = jv + sv // 2 - iv * sv  # the transposed conv's tap from input i to output j
        conv_w = kernel[t] if 0 <= t < len(kernel) else Fraction(0)
        return conv_w, max(Fraction(0), 1 - abs(_src(v, jv) - iv))

    def replicate(v: Any) -> tuple[Fraction, Fraction]:
        sv = _src(v, v[j])
        return max(Fraction(0), 1 - abs(sv)) + max(Fraction(0), 1 - abs(sv + 1)), Fraction(1)

    def _src(v: Any, jv: int) -> Fraction:
        return Fraction(2 * jv + 1, 2 * v[s]) - Fraction(1, 2)

    left = tuple(v for v in values if v[j] < v[s] // 2)
    few = values[::11]
    return [
        Step("Output size (n-1)s - 2b + (2s - s mod 2) = s n with b = floor(s/2), the upsampled "
             "size (uses 2 floor(s/2) + s mod 2 = s)",
             F.conv_transpose_size(n, k, s, b, b, 1, 0), s * n, few, size),
        Step("The transposed conv writes input i to output j through tap t = j + b - s i, of "
             "weight 1 - |t - c|/s with c = (K-1)/2; and b - c = (1 - s)/2",
             b - c, (1 - s) / 2, few),
        Step("so t - c = j + 1/2 - s/2 - s i = s (src_j - i): the weight is 1 - |src_j - i|, "
             "the linear-interpolation hat at src_j = (j + 1/2)/s - 1/2",
             j + b - s * i - c, s * (src - i), few),
        Step("Hence transposed-conv weight == hat weight for every input i and output j (taps "
             "outside the kernel have |t - c| >= s, weight 0)",
             sympy.Max(0, 1 - sympy.Abs(j + b - s * i - c) / s),
             sympy.Max(0, 1 - sympy.Abs(src - i)), values, hat),
        Step("Interpolation clamps src into [0, n-1]; the first output with src_j >= 0 is "
             "ceil((s-1)/2) = floor(s/2) (which is also Caffe's padding): b left border outputs",
             sympy.ceiling((s - 1) / 2), b, few, first_inside),
        Step("the last output with src_j <= n-1 is floor(s n - (s+1)/2) = s n - floor(s/2) - 1: "
             "b right border outputs",
             sympy.floor(s * n - (s + 1) / 2), s * n - b - 1, few, last_inside),
        Step("With one replicated sample per side, the weights of x[-1] := x[0] and x[0] add up "
             "to 1 at every left border output (symmetrically on the right): the clamped value",
             sympy.Max(0, 1 - sympy.Abs(src)) + sympy.Max(0, 1 - sympy.Abs(src + 1)), 1,
             left, replicate),
        Step("Replicate padding by 1 shifts the transposed conv's output by s: cropping s per "
             "side leaves s(n+2) - 2s = s n outputs",
             F.conv_transpose_size(n + 2, k, s, b, b, 1, 0) - 2 * s, s * n, few),
    ]


THEOREM = Theorem(
    id="T12",
    title="Half-pixel bilinear upsampling vs the FCN bilinear transposed conv",
    statement=r"\operatorname{up}^{\mathrm{linear,\,hp}}_{s}(x)_j = "
              r"\operatorname{convT}_{K=2s-s\%2,\ s,\ p=\lceil (s-1)/2\rceil}(x)_j "
              r"\iff \lfloor s/2\rfloor \le j_a < sn_a - \lfloor s/2\rfloor\ \forall a;\quad "
              r"\operatorname{up}(x) = \operatorname{Crop}_{(s,s)}\operatorname{convT}"
              r"(\operatorname{ReplicatePad}_{(1,1)}x)",
    parameters=("n", "s", "C", "ndim", "form"),
    grid=_grid,
    check=_check,
    expected=_expected,
    numeric=_numeric,
    derivation=_derivation,
    exceptions=r"\text{plain equality fails for } s \ge 2 \text{ at exactly the outputs with some "
               r"} j_a < \lfloor s_a/2\rfloor \text{ or } j_a \ge s_a n_a - \lfloor s_a/2\rfloor",
    references=("Long, Shelhamer & Darrell (2015), Fully Convolutional Networks",
                "Caffe BilinearFiller", "PyTorch F.interpolate(align_corners=False)",
                "ONNX Resize, coordinate_transformation_mode='half_pixel'"),
    source=__doc__ or "",
)
