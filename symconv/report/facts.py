"""What ``symconv latex`` states about one layer configuration, each statement checked.

:func:`layer_facts` gathers, for one layer on one input shape ``(C, *spatial)``:

* the output-size formula (general, with the parameters substituted, and its value), checked
  against the layer's integer size arithmetic and the matrix's shape;
* the layer's exact matrix (an :class:`~symconv.core.IndexMap`; weights are ``w_{...}``);
* its transpose relationship, the equivalent direct convolution with the flipped kernel and
  its gradient operators, each a :class:`Claim` verified *for this configuration* by exact
  map equality or by exact integer arithmetic on seeded random data, and citing the theorem
  that proves it in general;
* its forward and gradient coverage (:mod:`symconv.coverage`).

A claim that fails its check is kept with ``holds=False`` (``symconv latex`` then exits 1):
the document never states an unchecked identity.  :mod:`symconv.report.latex` turns the
result into LaTeX.

>>> from symconv.spec import ConvTranspose
>>> f = layer_facts(ConvTranspose(kernel=3, stride=2, padding=1), (3,))
>>> f.output_shape, f.ok
((1, 5), True)
>>> [c.theorems for _, claims in f.sections for c in claims]
[('T02', 'T05'), ('T06',), ('T05',), ('T04', 'T02')]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv._params import scalar
from symconv.core import (
    IndexMap,
    avg_pool_map,
    conv_map,
    conv_transpose_map,
    linear_map,
    max_pool_selection_map,
    max_unpool_map,
    pixel_shuffle_map,
    pixel_unshuffle_map,
    plan_map,
    resize_map,
    weight_symbols,
)
from symconv.core.budget import check_budget
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.report.model import Claim, LayerFacts, SizeFormula
from symconv.sizes import formulas as F
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PaddingFill,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = ["Claim", "LayerFacts", "SizeFormula", "layer_facts"]

#: Largest map (entries) whose exact checks run; beyond it they are skipped with a note.
MAX_CHECK_NNZ = 2_000_000

_I64 = np.int64


# --------------------------------------------------------------------------- helpers


def _name(layer: Any) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except SymconvError:
        return repr(layer)


def _ints(values: Sequence[Any]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _rand(rng: np.random.Generator, shape: Sequence[int]) -> NDArray[np.int64]:
    """Small random integers (exact in every op, including float64 ones)."""
    return rng.integers(-3, 4, size=tuple(shape), dtype=_I64)


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(a == b))


def _rows_in_box(m: IndexMap, box: Sequence[int]) -> IndexMap:
    """The rows of ``m`` whose spatial position lies in ``[0, box)`` per axis, renumbered in
    C order over ``(C, *box)`` (a crop of the output)."""
    assert m.out_shape is not None
    pos = np.unravel_index(m.rows, m.out_shape)
    keep = np.ones(m.nnz, dtype=bool)
    for a, b in enumerate(box):
        keep &= pos[a + 1] < b
    shape = (m.out_shape[0], *box)
    rows = np.ravel_multi_index(tuple(p[keep] for p in pos), shape)
    return IndexMap.from_arrays((prod(shape), m.shape[1]), rows, m.cols[keep], m.taps[keep],
                                m.num[keep], m.den[keep], m.weights, m.in_shape, shape)


def _exact_weight_grad(m: IndexMap, x: NDArray[Any], g: NDArray[Any],
                       shape: Sequence[int]) -> NDArray[Any]:
    """``dL/dw`` of ``y = M(w) x`` for ``L = <g, y>``, read off the index map: every entry
    adds ``coef * g[row] * x[col]`` to its tap (exact, independent of any conv code)."""
    assert m.degree == 1
    out = np.zeros(prod(shape), dtype=object)
    coef = [Fraction(int(a), int(b)) for a, b in zip(m.num, m.den, strict=True)]
    gx = g.reshape(-1)[m.rows] * x.reshape(-1)[m.cols]
    for t, c, v in zip(m.taps[:, 0].tolist(), coef, gx.tolist(), strict=True):
        out[t] += c * v
    return out.reshape(tuple(shape))


def _kernel_math(w: NDArray[Any]) -> str:
    """The spatial kernel of channel pair (0, 0) as a LaTeX matrix (1-D: a row)."""
    import sympy

    from symconv.report.tex import matrix

    k = w[0, 0]
    if k.ndim == 1:
        return matrix(sympy.Matrix([list(k)]))
    if k.ndim == 2:
        return matrix(sympy.Matrix(k.tolist()))
    return r"\text{(3-D kernel)}"


def _small(m: IndexMap) -> bool:
    return m.nnz <= MAX_CHECK_NNZ


# --------------------------------------------------------------------------- sizes


def _size_formulas(layer: Layer, sizes: tuple[int, ...], r: Resolved) -> tuple[SizeFormula, ...]:
    import sympy

    out = []
    n = sympy.Symbol("n", integer=True, positive=True)
    spec = r.layer
    for a in range(len(sizes)):
        sym_sizes = tuple(n if b == a else v for b, v in enumerate(sizes))
        try:
            inst = resolve(layer, sym_sizes).output[a]
        except SymconvError:
            inst = None
        general, values = _general(spec, r, a)
        out.append(SizeFormula(a, n, general, values,
                               inst if inst is not None else int(r.output[a]),
                               int(sizes[a]), int(r.output[a])))
    return tuple(out)


def _general(spec: Any, r: Resolved, a: int) -> tuple[Any, tuple[tuple[Any, Any], ...]]:
    """The textbook formula of the layer's size in symbols, with the values of this axis."""
    import sympy

    n = sympy.Symbol("n", integer=True, positive=True)
    k, s, d = sympy.symbols("k s d", integer=True, positive=True)
    pb, pe, op = sympy.symbols("p_b p_e op", integer=True, nonnegative=True)
    if isinstance(spec, Conv | ConvTranspose | MaxPool | AvgPool | MaxUnpool):
        vals: dict[Any, int] = {k: spec.kernel[a], s: spec.stride[a], pb: int(r.pads[a][0]),
                                pe: int(r.pads[a][1])}
        if not isinstance(spec, MaxUnpool):
            vals[d] = getattr(spec, "dilation", (1,) * (a + 1))[a]
    if isinstance(spec, Conv):
        expr = F.conv_size(n, k, s, pb, pe, d)
    elif isinstance(spec, ConvTranspose):
        vals[op] = int((r.output_padding or (0,) * (a + 1))[a])
        expr = F.conv_transpose_size(n, k, s, pb, pe, d, op)
    elif isinstance(spec, MaxPool | AvgPool):
        if spec.ceil_mode:
            return None, ()
        expr = F.pool_size(n, k, s, pb, pe, d, ceil_mode=False)
    elif isinstance(spec, MaxUnpool):
        expr = F.unpool_size(n, k, s, pb, pe)
    else:
        return None, ()
    return expr, tuple(vals.items())


def _size_claim(facts_sizes: Sequence[SizeFormula], m: IndexMap | None,
                out_shape: tuple[int, ...]) -> Claim:
    ok = True
    for f in facts_sizes:
        if f.general is not None:
            ok &= int(f.general.subs(dict(f.values)).subs(f.symbol, f.input)) == f.output
        inst = f.instantiated
        value = inst.subs(f.symbol, f.input) if hasattr(inst, "subs") else inst
        ok &= int(value) == f.output
    how = "the formulas evaluated at the input size equal the layer's integer size arithmetic"
    if m is not None:
        ok &= m.out_shape == out_shape
        how += " and the matrix's number of rows"
    return Claim("", "", (), bool(ok), how)


# --------------------------------------------------------------------------- per layer


@dataclass
class _Draft:
    matrix: IndexMap | None = None
    label: str = ""
    text: str = ""
    transpose: list[Claim] = dataclasses.field(default_factory=list)
    direct: list[Claim] = dataclasses.field(default_factory=list)
    gradient: list[Claim] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def _conv(layer: Conv, r: Resolved, c_in: int, c_out: int, rng: np.random.Generator) -> _Draft:
    from symconv import numeric
    from symconv.theory.derive import adjoint_of, gradient_ops

    spec = r.layer
    n, m_out = _ints(r.input), _ints(r.output)
    g = spec.groups
    cm = conv_map(layer, (c_in, *n), c_out)
    draft = _Draft(cm, "C", "Row o is output position o, column i input position i (C order over "
                   "(C, *spatial)); entry (o, i) is the weight that carries input i to output "
                   "o, zero where none does.")
    if spec.padding_mode is not PaddingFill.ZEROS:
        draft.notes.append(f"padding_mode={spec.padding_mode.value}: the transpose of a conv "
                           "over reflect/replicate/circular padding folds the borders and is "
                           "not a transposed convolution, so no transpose relation is stated.")
        return draft
    t_layer = dataclasses.replace(adjoint_of(layer, n), in_channels=None, out_channels=None)
    tm = conv_transpose_map(t_layer, (c_out, *m_out), c_in)
    ops = t_layer.output_padding
    draft.transpose.append(Claim(
        f"The transpose of C is the transposed convolution {_name(t_layer)}: the same kernel, "
        f"stride, padding and dilation, with output_padding a = (n + p_b + p_e - d(k-1) - 1) "
        f"mod s = {', '.join(map(str, ops))}, which gives back the input size.",
        r"C^{\top} = T_{\mathrm{op}=a}", ("T02", "T03"), tm.equals(cm.T),
        "exact equality of the two index maps (every entry)"))
    draft.direct.append(_direct_claim(t_layer, m_out, c_out, c_in, rng,
                                      "C^{\\top} y (the input gradient)"))
    w = _rand(rng, (c_out, c_in // g, *spec.kernel))
    x = _rand(rng, (1, c_in, *n))
    gy = _rand(rng, (1, c_out, *m_out))
    if _small(cm):
        exact_dx = cm.T.apply_exact(gy[0], w)
        via_t = numeric.conv_transpose(gy, w, stride=spec.stride, padding=r.pads,
                                       output_padding=ops, dilation=spec.dilation, groups=g)[0]
        via_grad = numeric.conv_grad_input(gy, w, n, stride=spec.stride, padding=r.pads,
                                           dilation=spec.dilation, groups=g)[0]
        draft.gradient.append(Claim(
            f"The input gradient dL/dx = C^T dL/dy is the transposed convolution "
            f"{_name(t_layer)} applied to dL/dy with the same weights.",
            r"\frac{\partial L}{\partial x} = C^{\top}\frac{\partial L}{\partial y} = "
            r"\operatorname{convT}_{\mathrm{op}=a}\Bigl(\frac{\partial L}{\partial y}\Bigr)",
            ("T03",), _same(exact_dx, via_t) and _same(exact_dx, via_grad),
            "C^T g from the index map equals numeric.conv_transpose and numeric.conv_grad_input "
            "on seeded integer data, exactly"))
        ops_g = gradient_ops(layer, n)
        exact_dw = _exact_weight_grad(cm, x[0], gy[0], w.shape)
        via_w = numeric.conv_grad_weight(x, gy, spec.kernel, stride=spec.stride, padding=r.pads,
                                         dilation=spec.dilation, groups=g)
        draft.gradient.append(Claim(
            f"The weight gradient dL/dw correlates the padded input with dL/dy used as a "
            f"kernel, stride and dilation swapped ({_name(ops_g.weight_grad)}), cropped to "
            f"the kernel size {'x'.join(map(str, spec.kernel))}.",
            r"\frac{\partial L}{\partial w_{o,c,t}} = \sum_j g_{o,j}\, "
            r"x^{\mathrm{pad}}_{c,\,t d + j s}",
            ("T04",), _same(exact_dw, via_w),
            "the gradient read off the index map (each entry adds g[row] x[col] to its "
            "weight) equals numeric.conv_grad_weight on seeded integer data, exactly"))
    else:
        draft.notes.append("the map is too large for the exact gradient checks: they were "
                           "skipped")
    return draft


def _direct_claim(t_layer: ConvTranspose, n: tuple[int, ...], c_in: int, c_out: int,
                  rng: np.random.Generator, what: str) -> Claim:
    """T06 for a transposed conv on input ``n``: stretch, pad/crop, stride-1 conv with the
    flipped, channel-swapped kernel, checked against numeric.conv_transpose."""
    from symconv import numeric
    from symconv.theory.derive import direct_conv_equivalent

    r = resolve(t_layer, n)
    spec = r.layer
    g = spec.groups
    dc = direct_conv_equivalent(t_layer, n)
    w = _rand(rng, (c_in, c_out // g, *spec.kernel))
    y = _rand(rng, (1, c_in, *n))
    ref = numeric.conv_transpose(y, w, stride=spec.stride, padding=r.pads,
                                 output_padding=r.output_padding or 0,
                                 dilation=spec.dilation, groups=g)
    z = numeric.zero_stretch(y, dc.stretch)
    for a, (b, e) in enumerate(dc.padding):
        index = [slice(None)] * z.ndim
        index[2 + a] = slice(max(-b, 0), z.shape[2 + a] - max(-e, 0))
        z = z[tuple(index)]
    got = numeric.conv(z, dc.weight(w), stride=1, padding=dc.conv.padding,
                       dilation=spec.dilation, groups=g)
    sym = weight_symbols((c_in, c_out // g, *spec.kernel))
    pads = ", ".join(f"({b}, {e})" for b, e in dc.padding)
    text = (f"{what} equals a stride-1 convolution over the input stretched by "
            f"{'x'.join(map(str, dc.stretch))} (s - 1 zeros between samples), padded by "
            f"(d(k-1) - p_b, d(k-1) - p_e + op) = {pads} (negative: cropped), with the kernel "
            "rotated by 180 degrees and the in/out channel roles swapped: w (channel pair 0, 0) "
            "becomes flip(w). The rotation is what the conv-arithmetic guide's drawing omits.")
    tex = (r"w = " + _kernel_math(sym) + r",\qquad \operatorname{flip}(w) = "
           + _kernel_math(dc.weight(sym)))
    return Claim(text, tex, ("T06",), _same(ref, got),
                 "numeric.conv on the stretched, padded input with the flipped kernel equals "
                 "numeric.conv_transpose on seeded integer data, exactly")


def _conv_transpose(layer: ConvTranspose, r: Resolved, c_in: int, c_out: int,
                    rng: np.random.Generator) -> _Draft:
    from symconv import numeric

    spec = r.layer
    n, o = _ints(r.input), _ints(r.output)
    g = spec.groups
    ops = _ints(r.output_padding or (0,) * len(n))
    tm = conv_transpose_map(layer, (c_in, *n), c_out)
    draft = _Draft(tm, "T", "Row o is output position o, column i input position i (C order over "
                   "(C, *spatial)); entry (o, i) is the weight through which input i is written "
                   "to output o, zero where none is.")
    if any(b < 0 or e < 0 for b, e in r.pads):
        draft.notes.append(
            f"The resolved crops {r.pads} include negative values (the {spec.convention.value} "
            "convention pads this transposed convolution's output): it is not the transpose of "
            "a convolution with the same parameters, so no transpose, direct-convolution or "
            "gradient relation is stated.")
        return draft
    conv = Conv(kernel=spec.kernel, stride=spec.stride, padding=r.pads, dilation=spec.dilation,
                groups=g, ndim=len(n))
    adjoint = all(op < s for op, s in zip(ops, spec.stride, strict=True))
    try:
        cm = conv_map(conv, (c_out, *o), c_in)
    except InvalidSpecError as exc:
        draft.notes.append(f"no convolution with the same parameters fits the output: {exc}")
        return draft
    cm_out = _ints(cm.out_shape[1:]) if cm.out_shape else ()
    if adjoint:
        draft.transpose.append(Claim(
            f"T is the transpose of the convolution {_name(conv)} on inputs of size "
            f"{'x'.join(map(str, o))} (same kernel, stride, padding, dilation, groups).",
            r"T = C^{\top},\qquad T^{\top} = C", ("T02", "T05"), tm.equals(cm.T),
            "exact equality of the two index maps (every entry)"))
    else:
        drop = [c - m for c, m in zip(cm_out, n, strict=True)]
        draft.transpose.append(Claim(
            f"output_padding {ops} is not below the stride {spec.stride}: T is the transpose "
            f"of no convolution with the same parameters; T^T is the convolution "
            f"{_name(conv)} with its last {drop} output(s) dropped.",
            r"T^{\top} = \operatorname{crop}_{[0,m)} \circ C", ("T02", "T05"),
            tm.T.equals(_rows_in_box(cm, n)),
            "exact equality of the index maps after the crop"))
    draft.direct.append(_direct_claim(layer, n, c_in, c_out, rng, "T y"))
    if _small(tm):
        w = _rand(rng, (c_in, c_out // g, *spec.kernel))
        x = _rand(rng, (1, c_in, *n))
        gy = _rand(rng, (1, c_out, *o))
        exact_dx = tm.T.apply_exact(gy[0], w)
        conv_g = numeric.conv(gy, w, stride=spec.stride, padding=r.pads,
                              dilation=spec.dilation, groups=g)[0]
        crop = (slice(None), *(slice(0, m) for m in n))
        draft.gradient.append(Claim(
            f"The input gradient dL/dx = T^T dL/dy is the convolution {_name(conv)} applied to "
            "dL/dy with the same weights" + ("" if adjoint else ", cropped to the input size")
            + ".", r"\frac{\partial L}{\partial x} = T^{\top}\frac{\partial L}{\partial y} = "
            r"\operatorname{conv}_{k,s,p,d,g}\Bigl(\frac{\partial L}{\partial y}\Bigr)",
            ("T05",), _same(exact_dx, conv_g[crop]),
            "T^T g from the index map equals numeric.conv of g on seeded integer data, exactly"))
        x_ext = np.zeros((1, c_in, *cm_out), dtype=_I64)
        x_ext[(slice(None), slice(None), *(slice(0, m) for m in n))] = x
        exact_dw = _exact_weight_grad(tm, x[0], gy[0], w.shape)
        via_w = numeric.conv_grad_weight(gy, x_ext, spec.kernel, stride=spec.stride,
                                         padding=r.pads, dilation=spec.dilation, groups=g)
        draft.gradient.append(Claim(
            "The weight gradient dL/dw is the conv weight gradient with the roles of input "
            "and output gradient exchanged: the padded dL/dy correlated with the input x used "
            "as a kernel, stride d and dilation s.",
            r"\frac{\partial L}{\partial w_{c,o,t}} = \sum_i x_{c,i}\, "
            r"g^{\mathrm{pad}}_{o,\,t d + i s}",
            ("T04", "T02"), _same(exact_dw, via_w),
            "the gradient read off the index map equals numeric.conv_grad_weight(dL/dy, x) on "
            "seeded integer data, exactly"))
    return draft


def _constant(shape: Sequence[int], value: Fraction) -> NDArray[Any]:
    out = np.empty(tuple(shape), dtype=object)
    out[...] = value
    return out


def _avg_pool(layer: AvgPool, r: Resolved, c: int, rng: np.random.Generator) -> _Draft:
    from symconv.theory.derive import adjoint_of
    from symconv.theory.fixed import with_fixed_weights

    spec = r.layer
    n, m_out = _ints(r.input), _ints(r.output)
    am = avg_pool_map(layer, (c, *n))
    draft = _Draft(am, "A", "Average pooling has fixed coefficients: row o averages its "
                   "window (padded positions count as the convention says).")
    k = prod(spec.kernel)
    conv = Conv(kernel=spec.kernel, stride=spec.stride, padding=r.pads, groups=c,
                ndim=len(n))
    const = _constant((c, 1, *spec.kernel), Fraction(1, k))
    same = False
    try:
        same = with_fixed_weights(conv_map(conv, (c, *n), c), {"w": const}).equals(am)
    except InvalidSpecError:
        pass
    if not same:
        draft.notes.append("Here average pooling is not a convolution with a constant kernel "
                           "1/K (ceil mode or count_include_pad=False changes the divisor at "
                           "the borders), so no transposed-convolution form is stated.")
        return draft
    t_layer = dataclasses.replace(adjoint_of(conv, n), in_channels=None, out_channels=None)
    tm = with_fixed_weights(conv_transpose_map(t_layer, (c, *m_out), c), {"w": const})
    draft.transpose.append(Claim(
        f"A is the depthwise convolution {_name(conv)} with every weight 1/{k}, so its "
        f"transpose (and the gradient dL/dx = A^T dL/dy) is the depthwise transposed "
        f"convolution {_name(t_layer)} with every weight 1/{k}.",
        rf"A^{{\top}} = \operatorname{{convT}}\bigl(\cdot;\ \tfrac{{1}}{{{k}}}\mathbf{{1}}\bigr)",
        ("T02", "T10"), tm.equals(am.T), "exact equality of the index maps"))
    if tuple(spec.kernel) == tuple(spec.stride) and all(p == (0, 0) for p in r.pads):
        s = spec.stride
        up = resize_map(Resize(scale_factor=s, ndim=len(n)), (c, *m_out)).scaled(1, prod(s))
        box = tuple(si * mi for si, mi in zip(s, m_out, strict=True))
        inside = _rows_in_box(am.T, box).equals(up)
        tail = am.T.nnz == _rows_in_box(am.T, box).nnz
        draft.transpose.append(Claim(
            f"With kernel = stride, A^T is nearest upsampling by {'x'.join(map(str, s))} "
            f"divided by {prod(s)}; the rows past s*floor(n/s) (the n mod s tail) are zero.",
            r"A^{\top} = Z\,\frac{\operatorname{up}^{\mathrm{nearest}}_{s}}{s^{D}}", ("T10",),
            inside and tail, "exact equality of the index maps on the rows s*m, and the tail "
            "rows hold no entry"))
    return draft


def _max_pool(layer: MaxPool, r: Resolved, c: int, rng: np.random.Generator) -> _Draft:
    from symconv import numeric

    spec = r.layer
    n = _ints(r.input)
    x = rng.permutation(c * prod(n)).astype(_I64).reshape((c, *n))
    sm = max_pool_selection_map(layer, x)
    xs = ", ".join(map(str, x.reshape(-1).tolist()[:24])) + (" ..." if x.size > 24 else "")
    draft = _Draft(sm, "S(x)", "Max pooling is not linear, but at a fixed input x it is the "
                   "0/1 selection matrix S(x) of each window's arg-max: maxpool(x) = S(x) x. "
                   f"Shown at the seeded input x = ({xs}) (distinct values, so no ties).")
    y, idx = numeric.max_pool(x[None], spec.kernel, spec.stride, r.pads, spec.dilation,
                              spec.ceil_mode, return_indices=True)
    draft.transpose.append(Claim(
        "maxpool(x) = S(x) x, and its gradient is dL/dx = S(x)^T dL/dy: each output gradient "
        "goes back to the position of its window's maximum (summed where two windows share "
        "one).", r"\frac{\partial L}{\partial x} = S(x)^{\top}\frac{\partial L}{\partial y}",
        ("T14",), _same(sm.apply_exact(x), y[0]),
        "S(x) x from the index map equals numeric.max_pool at the seeded x"))
    if all(p == (0, 0) for p in r.pads) and all(d == 1 for d in spec.dilation):
        unpool = MaxUnpool(kernel=spec.kernel, stride=spec.stride, output_size=n, ndim=len(n))
        um = max_unpool_map(unpool, idx[0])
        overlap = any(s < k for s, k in zip(spec.stride, spec.kernel, strict=True))
        draft.transpose.append(Claim(
            "Max-unpooling with the switches of this max pooling is S(x)^T" + (
                ", which PyTorch computes by assignment: with overlapping windows (stride < "
                "kernel here) a position that is the maximum of two windows keeps one value, "
                "where the gradient sums both." if overlap else
                "; the windows do not overlap, so PyTorch's assignment equals the gradient."),
            r"\operatorname{unpool}(g;\ \mathrm{idx}(x)) = S(x)^{\top} g", ("T14",),
            um.equals(sm.T), "exact equality of the index maps (the unpool map sums repeated "
            "switches)"))
    return draft


def _max_unpool(layer: MaxUnpool, r: Resolved, c: int, rng: np.random.Generator) -> _Draft:
    from symconv import numeric

    spec = r.layer
    n, o = _ints(r.input), _ints(r.output)
    pool = MaxPool(kernel=spec.kernel, stride=spec.stride, padding=r.pads, ndim=len(n))
    x = rng.permutation(c * prod(o)).astype(_I64).reshape((c, *o))
    try:
        _, idx = numeric.max_pool(x[None], spec.kernel, spec.stride, r.pads,
                                  return_indices=True)
    except SymconvError as exc:
        return _Draft(None, "U", f"Max-unpooling has no weights; its switches could not be "
                      f"drawn from a max pooling of the output size here: {exc}")
    if tuple(idx.shape[2:]) != n:
        return _Draft(None, "U", "Max-unpooling has no weights: it writes input i to the "
                      "output position its switch names. A max pooling of the output size "
                      "does not give back this input size, so no example is drawn.")
    um = max_unpool_map(layer, idx[0])
    sm = max_pool_selection_map(pool, x)
    xs = ", ".join(map(str, x.reshape(-1).tolist()[:24])) + (" ..." if x.size > 24 else "")
    draft = _Draft(um, "U", "Max-unpooling has no weights: it writes input i to the output "
                   "position its switch names (the arg-max a max pooling recorded). Shown "
                   f"with the switches of a max pooling of the seeded x = ({xs}).")
    overlap = any(s < k for s, k in zip(spec.stride, spec.kernel, strict=True))
    draft.transpose.append(Claim(
        "With the switches of max pooling at x, unpooling is the transpose of the selection "
        "matrix: U = S(x)^T, the gradient of max pooling" + (
            "; with overlapping windows (stride < kernel) PyTorch's assignment keeps one of "
            "two writes to a shared position, where the gradient sums them." if overlap else
            "; the windows do not overlap, so PyTorch's assignment equals it."),
        r"U = S(x)^{\top}", ("T14",), um.equals(sm.T), "exact equality of the index maps"))
    return draft


def _resize(layer: Resize, r: Resolved, c: int, rng: np.random.Generator) -> _Draft:
    from symconv.theory.derive import upsampling_as_transposed_conv
    from symconv.theory.fixed import with_fixed_weights

    spec = r.layer
    n, o = _ints(r.input), _ints(r.output)
    rm = resize_map(layer, (c, *n))
    draft = _Draft(rm, "R", "Resizing has fixed coefficients: row o holds the interpolation "
                   "weights of the input samples output o reads.")
    mode = str(spec.mode.value)
    factors = set(spec.scale_factor or ())
    if mode == "cubic":
        draft.notes.append("Cubic resizing is not compared with a transposed convolution here "
                           "(the theorems T09-T12 cover nearest and linear resizing).")
        return draft
    if spec.scale_factor is None or len(factors) != 1:
        draft.notes.append("Only a resize by one scale factor on every axis is compared with "
                           "a transposed convolution here.")
        return draft
    factor = next(iter(factors))
    kind = "nearest" if mode.startswith("nearest") else "linear"
    try:
        eq = upsampling_as_transposed_conv(kind, factor, align_corners=bool(spec.align_corners))
    except SymconvError as exc:
        draft.notes.append(str(exc))
        return draft
    if not eq.expressible:
        draft.notes.append(eq.exact)
        return draft
    nd = len(n)
    t_layer = eq.layer(nd, c)
    kernel = np.asarray(eq.kernel, dtype=object)
    full = kernel
    for _ in range(nd - 1):
        full = np.multiply.outer(full, kernel)
    w = np.empty((c, 1, *full.shape), dtype=object)
    w[:, 0] = full
    fixed = with_fixed_weights(conv_transpose_map(t_layer, (c, *n), c), {"w": w})
    kern = ", ".join(str(v) for v in eq.kernel)
    base = (f"R compared with the depthwise transposed convolution {_name(t_layer)} whose "
            f"kernel is ({kern}) per axis")
    if fixed.shape != rm.shape:
        draft.transpose.append(Claim(
            base + f": the sizes differ ({fixed.out_shape} vs {rm.out_shape}); {eq.caveat}.",
            "", (eq.theorem,), True, "the output shapes of the two maps differ"))
        return draft
    diff = (rm.numeric() - fixed.numeric()).tocsr()
    diff.eliminate_zeros()
    rows = np.unique(diff.nonzero()[0])
    if eq.exact == "everywhere":
        draft.transpose.append(Claim(
            base + ": they are equal, entry by entry.", r"R = \operatorname{convT}_{s}"
            r"\bigl(\cdot;\ \text{fixed kernel}\bigr)", (eq.theorem,),
            rows.size == 0 and fixed.equals(rm), "exact equality of the index maps"))
        if rows.size == 0:
            conv = Conv(kernel=t_layer.kernel, stride=t_layer.stride, padding=t_layer.padding,
                        groups=c, ndim=nd)
            cm = with_fixed_weights(conv_map(conv, (c, *o), c), {"w": w})
            draft.gradient.append(Claim(
                f"So the gradient dL/dx = R^T dL/dy is the depthwise convolution {_name(conv)} "
                "with the same fixed kernel.", r"R^{\top} = \operatorname{conv}_{s}"
                r"\bigl(\cdot;\ \text{fixed kernel}\bigr)", ("T02", eq.theorem), cm.equals(rm.T),
                "exact equality of the index maps"))
        return draft
    pos = np.unravel_index(rows, rm.out_shape or ())
    h = int(factor) // 2
    border = np.zeros(rows.size, dtype=bool)
    for a in range(nd):
        border |= (pos[a + 1] < h) | (pos[a + 1] >= o[a] - h)
    expected = rows.size > 0 and bool(border.all()) and h > 0
    per_side = f"floor(s/2) = {h}"
    draft.transpose.append(Claim(
        base + f": they differ on exactly {rows.size} output positions, all within {per_side} "
        "of a border on some axis (the resize clamps to the edge sample, the transposed "
        "convolution sees zeros); equal everywhere else.",
        r"R_j = \operatorname{convT}(\cdot)_j \iff \lfloor s/2\rfloor \le j_a < s n_a - "
        r"\lfloor s/2\rfloor\ \forall a", (eq.theorem,), expected,
        "the rows where the index maps differ, computed exactly"))
    return draft


def _shuffle(layer: PixelShuffle | PixelUnshuffle, r: Resolved, c: int,
             rng: np.random.Generator) -> _Draft:
    from symconv import numeric

    n = _ints(r.input)
    shuffle = isinstance(layer, PixelShuffle)
    pm = (pixel_shuffle_map if shuffle else pixel_unshuffle_map)(layer, (c, *n))  # type: ignore[arg-type]
    assert pm.out_shape is not None
    inverse_layer = (PixelUnshuffle if shuffle else PixelShuffle)(factor=layer.factor)
    inv = (pixel_unshuffle_map if shuffle else pixel_shuffle_map)(inverse_layer,  # type: ignore[arg-type]
                                                                  pm.out_shape)
    draft = _Draft(pm, "P", "A pixel (un)shuffle only moves values: its matrix is a "
                   "permutation (one 1 per row and per column).")
    draft.transpose.append(Claim(
        f"P is a permutation, so P^T = P^{{-1}} is {_name(inverse_layer)}.",
        r"P^{\top} = P^{-1}", ("T15",), inv.equals(pm.T) and bool(
            np.all(pm.row_counts() == 1) and np.all(pm.col_counts() == 1)),
        "exact equality of the index maps; one entry per row and per column"))
    g = _rand(rng, (1, *pm.out_shape))
    back = (numeric.pixel_unshuffle if shuffle else numeric.pixel_shuffle)(g, layer.factor)
    draft.gradient.append(Claim(
        f"The gradient dL/dx = P^T dL/dy is {_name(inverse_layer)} of dL/dy.",
        r"\frac{\partial L}{\partial x} = P^{\top}\frac{\partial L}{\partial y}", (),
        _same(pm.T.apply_exact(g[0]), back[0]),
        "P^T g from the index map equals the numeric inverse shuffle on seeded data"))
    if shuffle:
        draft.notes.append("A low-resolution convolution with r^D times the channels followed "
                           "by this pixel shuffle is a stride-r transposed convolution with "
                           "kernel size r*k, up to a crop (theorem T15).")
    return draft


# --------------------------------------------------------------------------- entry point


def _channels(layer: Layer, channels: int | None, out_channels: int | None,
              ndim: int) -> tuple[int, int]:
    """Input and output channels: given, else the spec's, else the smallest that fit."""
    if isinstance(layer, Conv | ConvTranspose):
        g = layer.groups
        c_in = channels or layer.in_channels or g
        c_out = out_channels or layer.out_channels or g
        return int(c_in), int(c_out)
    if isinstance(layer, PixelShuffle):
        return int(channels or layer.factor ** ndim), 0
    return int(channels or 1), 0


def _build(layer: Layer, r: Resolved, c_in: int, c_out: int,
           rng: np.random.Generator) -> _Draft:
    if isinstance(layer, Conv):
        return _conv(layer, r, c_in, c_out, rng)
    if isinstance(layer, ConvTranspose):
        return _conv_transpose(layer, r, c_in, c_out, rng)
    if isinstance(layer, AvgPool):
        return _avg_pool(layer, r, c_in, rng)
    if isinstance(layer, MaxPool):
        return _max_pool(layer, r, c_in, rng)
    if isinstance(layer, MaxUnpool):
        return _max_unpool(layer, r, c_in, rng)
    if isinstance(layer, Resize):
        return _resize(layer, r, c_in, rng)
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        return _shuffle(layer, r, c_in, rng)
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        from symconv.report.adaptive_facts import adaptive_facts

        a = adaptive_facts(layer, r, c_in, rng)
        return _Draft(a.matrix, a.label, a.text, a.transpose, a.direct, a.gradient, a.notes)
    raise UnsupportedError(f"layer={layer!r} has no LaTeX derivation")


#: Measured peak bytes per planned entry of a derivation (the layer's map, its transpose, the
#: direct and gradient constructions and the seeded checks), by layer kind; the entries are
#: the map's (or, where the map needs data, the input and output positions).
_DERIVATION_BYTES = {Conv: 120, ConvTranspose: 120, AvgPool: 170, MaxPool: 40, MaxUnpool: 50,
                     Resize: 170, PixelShuffle: 36, PixelUnshuffle: 36, AdaptiveAvgPool: 220,
                     AdaptiveMaxPool: 220}


def check_derivation(layer: Layer, r: Resolved, c_in: int, c_out: int, *,
                     max_nnz: int | None = None, max_memory: int | None = None) -> int:
    """Refuse a derivation whose maps would exceed ``max_nnz`` entries (default
    ``DEFAULT_MAX_NNZ["latex"]``) or ``max_memory`` bytes, before anything is built: the
    entries are the map's, planned from the sizes and parameters, or the input plus output
    positions where that is more (a max pooling's map needs data).  Returns the entries."""
    sizes = _ints(r.input)
    positions = c_in * prod(sizes) + max(c_out, c_in) * prod(_ints(r.output))
    if isinstance(layer, PixelShuffle | PixelUnshuffle):  # a permutation: as many out as in
        positions = 2 * c_in * prod(sizes)
    try:
        nnz = plan_map(layer, (c_in, *sizes), out_channels=c_out or None).nnz
    except SymconvError:
        nnz = 0  # a map that needs data (max pooling, max-unpooling): positions bound it
    entries = max(nnz, positions)
    check_budget(entries, max_nnz, "latex", max_memory=max_memory,
                 per_entry=_DERIVATION_BYTES.get(type(layer), 220), what="derivation")
    return entries


def layer_facts(layer: Layer, input_size: Sequence[int], *, channels: int | None = None,
                out_channels: int | None = None, seed: int = 0, max_nnz: int | None = None,
                max_memory: int | None = None) -> LayerFacts:
    """Everything ``symconv latex`` states about ``layer`` on spatial ``input_size``.

    Parameters
    ----------
    layer : a layer spec (Conv, ConvTranspose, AvgPool, MaxPool, MaxUnpool, Resize,
        PixelShuffle, PixelUnshuffle, AdaptiveAvgPool, AdaptiveMaxPool)
    input_size : spatial sizes, one per axis
    channels, out_channels : channel counts (default: the spec's, else the fewest that fit)
    seed : seed of the random data the numeric checks use
    max_nnz, max_memory : budgets of the derivation's maps in entries and bytes
        (:func:`check_derivation`), checked before anything is built

    Raises
    ------
    InvalidSpecError
        When the layer does not fit the input.
    """
    seed = scalar("seed", seed, minimum=0, rule=" (the seed of numpy's default_rng)")
    sizes = tuple(int(v) for v in input_size)
    r = resolve(layer, sizes)
    nd = len(sizes)
    c_in, c_out = _channels(layer, channels, out_channels, nd)
    check_derivation(layer, r, c_in, c_out, max_nnz=max_nnz, max_memory=max_memory)
    rng = np.random.default_rng(seed)
    try:
        draft = _build(layer, r, c_in, c_out, rng)
    except SymconvError as exc:
        # the layer fits its input (resolve passed), but a derived construction is outside
        # what the library models for this convention: say so instead of failing
        draft = _Draft(None, "", f"The exact matrix and its relations are not available for "
                       f"this configuration: {exc}")
    if draft.matrix is not None and draft.matrix.out_shape is not None:
        out_shape = _ints(draft.matrix.out_shape)
    else:
        out_shape = (c_out or c_in, *_ints(r.output))
        if isinstance(layer, PixelShuffle | PixelUnshuffle):
            out_shape = _ints(linear_map(layer, (c_in, *sizes)).out_shape or out_shape)
    formulas = _size_formulas(layer, sizes, r)
    size_check = _size_claim(formulas, draft.matrix, (out_shape[0], *_ints(r.output)))
    coverage: list[tuple[str, Any]] = []
    try:
        from symconv.coverage import checkerboard, gradient_checkerboard

        coverage.append(("Forward coverage: how many (input, tap) pairs reach each output "
                         "position (T16).", checkerboard(layer, sizes)))
        coverage.append(("Gradient coverage: how many (output, tap) pairs each input "
                         "position feeds (T17).", gradient_checkerboard(layer, sizes)))
    except SymconvError as exc:
        coverage.clear()
        draft.notes.append(f"Coverage: {exc}")
    sections = (
        ("Transpose", tuple(draft.transpose)),
        ("Equivalent direct convolution", tuple(draft.direct)),
        ("Gradients", tuple(draft.gradient)),
    )
    return LayerFacts(
        layer=layer, name=_name(layer), spec=repr(layer), input_shape=(c_in, *sizes),
        output_shape=out_shape, sizes=formulas, size_check=size_check, size_notes=tuple(r.notes),
        matrix=draft.matrix, matrix_label=draft.label, matrix_text=draft.text,
        sections=sections, coverage=tuple(coverage), notes=tuple(draft.notes),
    )
