"""``symconv report``: the whole catalogue and the coverage analyses, written as a report.

Three stages, one direction:

1. :func:`collect` runs the theorem catalogue (:mod:`symconv.theory.runner`) on a grid, builds a
   small symbolic instance per theorem (:data:`EXAMPLES`, each relation checked entry by entry
   while the report is written), analyses the coverage of a few default stacks
   (:mod:`symconv.coverage`) and draws their figures (:mod:`symconv.coverage.figures`), into a
   :class:`ReportData`;
2. :func:`render` turns it into file contents: ``symconv-report.tex``
   (:mod:`symconv.report.latex`), ``index.md`` (:mod:`symconv.report.markdown`) and
   ``figures/*.png`` (pure: same data, same bytes);
3. :func:`write_report` writes them into a temporary folder next to the target, runs
   ``pdflatex`` there until the cross-references settle (two or three runs; reproducibly:
   ``SOURCE_DATE_EPOCH``, no dates, no trailer id),
   and only when everything succeeded moves the generated files into the output folder.  On
   any failure the previous report is untouched and a :class:`ReportError` says why in one
   line.

Nothing here prints; timings are returned to the caller and never written into the files,
which are therefore byte-identical from run to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv._params import fmt
from symconv.errors import SymconvError
from symconv.report.install import clean_stale, install, staging_folder
from symconv.report.model import CoverageCase, Example, Figure, Outcome, ReportData
from symconv.theory.theorem import Result, Theorem

__all__ = [
    "COVERAGE_CASES",
    "EXAMPLES",
    "CoverageCase",
    "Example",
    "Figure",
    "Outcome",
    "ReportData",
    "ReportError",
    "collect",
    "render",
    "write_report",
]

TEX = "symconv-report.tex"
PDF = "symconv-report.pdf"
INDEX = "index.md"
BENCHMARKS = "benchmarks.md"
FIGURES = "figures"
#: The top-level names a report owns in its folder: those it did not write this time disappear
#: (a PDF that was not built); anything else there is kept (``benchmarks.md`` when there is no
#: new one, surveys, a README).
OWNED = (TEX, PDF, INDEX, FIGURES)

#: Seconds one pdflatex run may take before the report is abandoned.
PDFLATEX_TIMEOUT = 300

#: Most pdflatex runs (two always; more while LaTeX asks to rerun).
MAX_RUNS = 4


class ReportError(SymconvError):
    """The report could not be written (the previous one is untouched)."""


# --------------------------------------------------------------------------- examples


def _sym(m: Any) -> Any:
    return m.symbolic()


def _w(*idx: int) -> Any:
    import sympy

    return sympy.Symbol(f"w_{{{','.join(map(str, idx))}}}", real=True)


def _ex_conv_linear() -> tuple[Example, ...]:
    from symconv.core import conv_map
    from symconv.spec import Conv

    c1 = conv_map(Conv(kernel=3), (1, 5), 1)
    c2 = conv_map(Conv(kernel=3, ndim=2), (1, 4, 4), 1)
    return (
        Example("A 3-tap convolution on 5 samples (k=3, s=1, p=0): conv(x) = C x.",
                (("C", _sym(c1)),), ((r"\operatorname{nnz}(C) = 3 \cdot 3 = 9", c1.nnz == 9),)),
        Example("The same kernel in 2-D on a 4x4 input (a 4x16 matrix, elided): row o holds "
                "the 9 weights at the input positions of window o.",
                (("C", c2),), ((r"\operatorname{nnz}(C) = 4 \cdot 9 = 36", c2.nnz == 36),)),
    )


def _ex_adjoint() -> tuple[Example, ...]:
    from symconv.core import conv_map, conv_transpose_map
    from symconv.spec import Conv, ConvTranspose

    c = _sym(conv_map(Conv(kernel=3, stride=2, padding=1), (1, 5), 1))
    t = _sym(conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1), (1, 3), 1))
    return (Example("Conv k=3, s=2, p=1 on n=5 (a = (5+2-2-1) mod 2 = 0) and the transposed "
                    "conv with the same parameters and output_padding 0 on its 3 outputs.",
                    (("C", c), ("T", t)), ((r"T = C^{\top}", t == c.T),)),)


def _ex_input_gradient() -> tuple[Example, ...]:
    from symconv.core import conv_map, conv_transpose_map
    from symconv.spec import Conv, ConvTranspose

    c = _sym(conv_map(Conv(kernel=3, stride=2, padding=1), (1, 6), 1))
    t1 = _sym(conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1),
                                 (1, 3), 1))
    return (Example("Conv k=3, s=2, p=1 on n=6: a = (6+2-2-1) mod 2 = 1, so the input "
                    "gradient C^T g is the transposed conv with output_padding 1.",
                    (("C", c), (r"T_{\mathrm{op}=1}", t1)),
                    ((r"\partial L/\partial x = C^{\top} g = T_{\mathrm{op}=1}\, g",
                      t1 == c.T),)),)


def _ex_weight_gradient() -> tuple[Example, ...]:
    import numpy as np
    import sympy

    from symconv import numeric
    from symconv.core import conv_map
    from symconv.spec import Conv

    xs = sympy.symbols("x_0:5", real=True)
    gs = sympy.symbols("g_0:2", real=True)
    ws = [_w(0, 0, 0), _w(0, 0, 1)]
    c = _sym(conv_map(Conv(kernel=2, stride=2), (1, 5), 1))
    y = c * sympy.Matrix(xs)
    jac = y.jacobian(ws)  # G_x: y = G_x w
    grad = jac.T * sympy.Matrix(gs)
    x = np.empty((1, 1, 5), dtype=object)
    x[0, 0] = xs
    g = np.empty((1, 1, 2), dtype=object)
    g[0, 0] = gs
    corr = numeric.conv_grad_weight(x, g, (2,), stride=2)[0, 0]
    same = all(sympy.expand(grad[i] - corr[i]) == 0 for i in range(2))
    return (Example("Conv k=2, s=2 on n=5 as a linear map of its weights: y = G_x w; the "
                    "weight gradient is G_x^T g.",
                    (("C", c), ("G_x", jac), (r"G_x^{\top} g", grad)),
                    ((r"G_x^{\top} g = \operatorname{corr}_{\mathrm{stride}=1,\ "
                      r"\mathrm{dilation}=2}(x, g)", same),)),)


def _ex_transposed_gradient() -> tuple[Example, ...]:
    from symconv.core import conv_map, conv_transpose_map
    from symconv.spec import Conv, ConvTranspose

    t = _sym(conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1),
                                (1, 3), 1))
    c = _sym(conv_map(Conv(kernel=3, stride=2, padding=1), (1, 6), 1))
    return (Example("Transposed conv k=3, s=2, p=1, op=1 on 3 samples (output 6) and the conv "
                    "with the same parameters on 6 samples.", (("T", t), ("C", c)),
                    ((r"\partial L/\partial y_{\mathrm{in}} = T^{\top} g = C g", t.T == c),)),)


def _ex_direct() -> tuple[Example, ...]:
    from symconv.core import conv_map, conv_transpose_map, pad_map, zero_stretch_map
    from symconv.spec import Conv, ConvTranspose

    t = _sym(conv_transpose_map(ConvTranspose(kernel=3, stride=2), (1, 2), 1))
    z = _sym(pad_map((1, 3), ((2, 2),)) @ zero_stretch_map((1, 2), (2,)))
    d = _sym(conv_map(Conv(kernel=3), (1, 7), 1))
    w0, w2 = _w(0, 0, 0), _w(0, 0, 2)
    flipped = d.subs({w0: w2, w2: w0}, simultaneous=True)
    return (Example("Transposed conv k=3, s=2 on 2 samples; Z stretches the input (one zero "
                    "between samples) and pads it by d(k-1)-p = 2 on each side; D is the "
                    "stride-1 conv on the 7 samples with the kernel reversed.",
                    (("T", t), ("Z", z), (r"D_{\operatorname{flip}(w)}", flipped)),
                    ((r"T = D_{\operatorname{flip}(w)}\, Z", t == flipped * z),
                     (r"T \ne D_{w}\, Z \text{ (without the flip)}", t != d * z))),)


def _ex_dilated() -> tuple[Example, ...]:
    from symconv.core import conv_map
    from symconv.spec import Conv

    c = _sym(conv_map(Conv(kernel=2, dilation=2), (1, 5), 1))
    dense = _sym(conv_map(Conv(kernel=3), (1, 5), 1))
    zero_inserted = dense.subs({_w(0, 0, 1): 0, _w(0, 0, 2): _w(0, 0, 1)}, simultaneous=True)
    return (Example("Conv k=2, d=2 on 5 samples, and the dense k=3 conv with kernel "
                    "(w_0, 0, w_1).", (("C_{d=2}", c), (r"C_{(w_0,0,w_1)}", zero_inserted)),
                    ((r"C_{d=2} = C_{(w_0,0,w_1)}", c == zero_inserted),)),)


def _ex_strided() -> tuple[Example, ...]:
    from symconv.core import conv_map
    from symconv.spec import Conv

    c = _sym(conv_map(Conv(kernel=3, stride=2), (1, 7), 1))
    dense = _sym(conv_map(Conv(kernel=3), (1, 7), 1))
    return (Example("Conv k=3, s=2 on 7 samples, and the stride-1 conv whose rows 0, 2, 4 it "
                    "keeps.", (("C_{s=2}", c), ("C_{s=1}", dense)),
                    ((r"C_{s=2} = (C_{s=1})_{\{0,2,4\},:}", c == dense.extract([0, 2, 4],
                                                                              list(range(7)))),)),)


def _ones_kernel(values: Sequence[Any]) -> Any:
    import numpy as np

    w = np.empty((1, 1, len(values)), dtype=object)
    w[0, 0] = [Fraction(v) for v in values]
    return w


def _ex_nearest() -> tuple[Example, ...]:
    from symconv.core import conv_transpose_map, resize_map
    from symconv.spec import ConvTranspose, Resize
    from symconv.theory.fixed import with_fixed_weights

    r = resize_map(Resize(scale_factor=2), (1, 3))
    t = with_fixed_weights(conv_transpose_map(ConvTranspose(kernel=2, stride=2), (1, 3), 1),
                           {"w": _ones_kernel([1, 1])})
    return (Example("Nearest upsampling by 2 of 3 samples, and the transposed conv k=2, s=2 "
                    "with kernel (1, 1).", (("R", _sym(r)),),
                    ((r"R = \operatorname{convT}_{2}(\cdot;\ (1, 1))", r.equals(t)),)),)


def _ex_avgpool() -> tuple[Example, ...]:
    import sympy

    from symconv.core import avg_pool_map, resize_map
    from symconv.spec import AvgPool, Resize

    a = _sym(avg_pool_map(AvgPool(kernel=2), (1, 5)))
    up = _sym(resize_map(Resize(scale_factor=2), (1, 2))) / 2
    top = a.T.extract(list(range(4)), [0, 1])
    tail = a.T.extract([4], [0, 1])
    return (Example("Average pooling k=s=2 of 5 samples: the fifth sample is in no window, so "
                    "the last row of the transpose is zero.",
                    (("A", a), (r"A^{\top}", a.T), (r"\tfrac{1}{2}\operatorname{up}_2", up)),
                    ((r"(A^{\top})_{0..3} = \tfrac{1}{2}\operatorname{up}_2,\ "
                      r"(A^{\top})_{4} = 0", top == up and tail == sympy.zeros(1, 2)),)),)


def _ex_align_corners() -> tuple[Example, ...]:
    from symconv.core import conv_transpose_map, resize_map
    from symconv.spec import ConvTranspose, Resize
    from symconv.theory.fixed import with_fixed_weights

    r = resize_map(Resize(size=5, mode="linear", align_corners=True), (1, 3))
    t = with_fixed_weights(conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1),
                                              (1, 3), 1),
                           {"w": _ones_kernel([Fraction(1, 2), 1, Fraction(1, 2)])})
    return (Example("Linear resize with align_corners from 3 to s(n-1)+1 = 5 samples, and the "
                    "transposed conv k=3, s=2, p=1 with the triangle kernel (1/2, 1, 1/2).",
                    (("R", _sym(r)),),
                    ((r"R = \operatorname{convT}_{2,\,p=1}(\cdot;\ \Lambda_2)", r.equals(t)),)),)


def _ex_half_pixel() -> tuple[Example, ...]:
    from symconv.core import conv_transpose_map, resize_map
    from symconv.spec import ConvTranspose, Resize
    from symconv.theory.fixed import with_fixed_weights

    r = _sym(resize_map(Resize(scale_factor=2, mode="linear"), (1, 3)))
    k = [Fraction(1, 4), Fraction(3, 4), Fraction(3, 4), Fraction(1, 4)]
    f = _sym(with_fixed_weights(conv_transpose_map(ConvTranspose(kernel=4, stride=2, padding=1),
                                                   (1, 3), 1), {"w": _ones_kernel(k)}))
    differ = [i for i in range(r.rows) if r.row(i) != f.row(i)]
    return (Example("Half-pixel linear upsampling by 2 of 3 samples (PyTorch's default), and "
                    "the FCN bilinear transposed conv k=4, s=2, p=1, kernel (1/4, 3/4, 3/4, "
                    "1/4).", (("R", r), ("F", f)),
                    ((r"R \text{ and } F \text{ differ exactly in rows } 0 \text{ and } 5 "
                      r"\ (\lfloor s/2\rfloor = 1 \text{ per side})", differ == [0, 5]),)),)


def _ex_resize_conv() -> tuple[Example, ...]:
    import sympy

    from symconv.core import conv_map, conv_transpose_map, resize_map
    from symconv.spec import Conv, ConvTranspose, Resize

    m = _sym(conv_map(Conv(kernel=3, padding=1), (1, 6), 1) @ resize_map(Resize(scale_factor=2),
                                                                         (1, 3)))
    t = _sym(conv_transpose_map(ConvTranspose(kernel=4, stride=2, padding=1), (1, 3), 1))
    w = [_w(0, 0, i) for i in range(3)]
    # flip(K) (*) ones(2) = (w2, w2 + w1, w1 + w0, w0)
    combo = {_w(0, 0, 0): w[2], _w(0, 0, 1): w[2] + w[1], _w(0, 0, 2): w[1] + w[0],
             _w(0, 0, 3): w[0]}
    tk = t.subs(combo, simultaneous=True)
    return (Example("Nearest upsampling by 2 of 3 samples, then a conv k=3, p=1: one linear "
                    "map M; it is the transposed conv k=4, s=2, p=1 with kernel flip(K) * (1, 1) "
                    "= (w_2, w_1+w_2, w_0+w_1, w_0), whose two polyphase sums are both "
                    "w_0+w_1+w_2.", (("M", m),),
                    ((r"M = \operatorname{convT}_{2,\,p=1}\bigl(\cdot;\ \operatorname{flip}(K)"
                      r" * \mathbf{1}_2\bigr)", sympy.expand(m - tk) == sympy.zeros(*m.shape)),)),)


def _ex_unpool() -> tuple[Example, ...]:
    import numpy as np

    from symconv import numeric
    from symconv.core import max_pool_selection_map, max_unpool_map
    from symconv.spec import MaxPool, MaxUnpool

    x = np.array([[1, 3, 2, 4]])
    s = max_pool_selection_map(MaxPool(kernel=2, stride=1), x)
    _, idx = numeric.max_pool(x[None], 2, 1, return_indices=True)
    u = max_unpool_map(MaxUnpool(kernel=2, stride=1), idx[0])
    return (Example("Max pooling k=2, s=1 of x = (1, 3, 2, 4): both of the first two windows "
                    "select x_1 (the windows overlap), so S(x)^T sums two gradients into "
                    "position 1, where PyTorch's unpool assigns one of them.",
                    (("S(x)", _sym(s)), (r"S(x)^{\top}", _sym(s.T))),
                    ((r"\operatorname{unpool}_{\Sigma}(g;\ \mathrm{idx}(x)) = S(x)^{\top} g",
                      u.equals(s.T)),)),)


def _ex_subpixel() -> tuple[Example, ...]:
    import sympy

    from symconv.core import pixel_shuffle_map
    from symconv.spec import PixelShuffle

    p = pixel_shuffle_map(PixelShuffle(factor=2), (2, 2))
    identity = (p.T @ p).symbolic()
    return (Example("Pixel shuffle r=2 of 2 channels x 2 samples to 1 channel x 4 samples: a "
                    "permutation.", (("P", _sym(p)),),
                    ((r"P^{\top} P = I", identity == sympy.eye(4)),)),)


def _ex_checkerboard() -> tuple[Example, ...]:
    from symconv.core import conv_transpose_map
    from symconv.coverage import checkerboard
    from symconv.spec import ConvTranspose

    layer = ConvTranspose(kernel=3, stride=2)
    t = conv_transpose_map(layer, (1, 6), 1)
    counts = [int(v) for v in t.row_counts()]
    cb = checkerboard(layer, 6)
    return (Example("Transposed conv k=3, s=2 on 6 samples (a 13x6 matrix, elided): even "
                    "outputs receive two taps, odd outputs one.", (("T", t),),
                    ((r"\operatorname{cov} = (" + ", ".join(map(str, counts)) + ")",
                      counts == cb.counts.tolist()),
                     (r"\text{interior pattern } (2, 1) = \#\{t \in [0,3) : j - t \equiv 0 "
                      r"\pmod 2\}", cb.pattern.tolist() == [2, 1])),),)


def _ex_gradient_checkerboard() -> tuple[Example, ...]:
    from symconv.core import conv_map
    from symconv.spec import Conv

    c = conv_map(Conv(kernel=3, stride=2, padding=1), (1, 6), 1)
    cols = [int(v) for v in c.col_counts()]
    return (Example("Conv k=3, s=2, p=1 on 6 samples: the column counts of C are the gradient "
                    "coverage of the input.", (("C", _sym(c)),),
                    ((r"\operatorname{cov}^{\nabla} = (" + ", ".join(map(str, cols)) + ")",
                      cols == [1, 2, 1, 2, 1, 1]),)),)


def _ex_stack() -> tuple[Example, ...]:
    import sympy

    from symconv.core import IndexMap
    from symconv.coverage import stack_coverage, structure_map
    from symconv.spec import ConvTranspose

    layer = ConvTranspose(kernel=3, stride=2)
    st = stack_coverage([layer, layer], 2)

    def zero_one(size: int) -> Any:
        m = structure_map(layer, size)
        return IndexMap.from_arrays(m.shape, m.rows, m.cols).symbolic()

    b1, b2 = zero_one(2), zero_one(5)
    paths = b2 * b1 * sympy.ones(2, 1)
    ok = [int(v) for v in paths] == st.forward[2].tolist()
    return (Example("Two transposed convs k=3, s=2 on 2 samples: B_1, B_2 are their 0/1 "
                    "structures; the path counts B_2 B_1 1 are the stack's coverage.",
                    (("B_1", b1), ("B_2", b2), (r"(B_2 B_1 \mathbf{1})^{\top}", paths.T)),
                    ((r"\operatorname{cov}_2 = B_2 B_1 \mathbf{1}", ok),)),)


def _ex_round_trip() -> tuple[Example, ...]:
    from symconv.core import conv_map, conv_transpose_map
    from symconv.spec import Conv, ConvTranspose

    c = _sym(conv_map(Conv(kernel=3, stride=2, padding=1), (1, 6), 1))
    t0 = conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1), (1, 3), 1)
    t1 = _sym(conv_transpose_map(ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1),
                                 (1, 3), 1))
    return (Example("Conv k=3, s=2, p=1 maps 6 samples to 3; back with op=0 gives 5, with "
                    "op = a(6) = 1 gives 6.", (("C", c), (r"T_{\mathrm{op}=0}", _sym(t0))),
                    ((r"T_{\mathrm{op}=0}: 3 \to 5 \ne 6", t0.shape == (5, 3)),
                     (r"T_{\mathrm{op}=1} = C^{\top}: 3 \to 6", t1 == c.T))),)


#: Small instances per theorem id (each relation is checked when the report is written).
EXAMPLES: dict[str, Callable[[], tuple[Example, ...]]] = {
    "T01": _ex_conv_linear, "T02": _ex_adjoint, "T03": _ex_input_gradient,
    "T04": _ex_weight_gradient, "T05": _ex_transposed_gradient, "T06": _ex_direct,
    "T07": _ex_dilated, "T08": _ex_strided, "T09": _ex_nearest, "T10": _ex_avgpool,
    "T11": _ex_align_corners, "T12": _ex_half_pixel, "T13": _ex_resize_conv,
    "T14": _ex_unpool, "T15": _ex_subpixel, "T16": _ex_checkerboard,
    "T17": _ex_gradient_checkerboard, "T18": _ex_stack, "T20": _ex_round_trip,
}


# --------------------------------------------------------------------------- coverage cases

#: ``(key, title, why, layers, input size, theorems)`` of the coverage analyses.
COVERAGE_CASES: tuple[tuple[str, str, str, tuple[str, ...], tuple[int, ...],
                            tuple[str, ...]], ...] = (
    ("convt-k3-s2", "Transposed conv k=3, s=2: uneven",
     "Three taps at stride 2: even outputs receive two terms, odd outputs one (T16).",
     ("conv-transpose k=3 s=2 p=1",), (8,), ("T16",)),
    ("convt-k4-s2", "Transposed conv k=4, s=2: even",
     "The kernel is a multiple of the stride: every interior output receives two terms (T16).",
     ("conv-transpose k=4 s=2 p=1",), (8,), ("T16",)),
    ("conv-k3-s2-gradient", "Strided conv k=3, s=2: the gradient checkerboard",
     "The forward pass is even, but the gradient reaching the input is not: every other input "
     "feeds two outputs (T17).", ("conv k=3 s=2 p=1",), (16,), ("T17",)),
    ("convt-stack-2d", "Two transposed convs k=3, s=2 in 2-D: unevenness compounds",
     "Path counts through the stack: ratio 2 per axis per layer, 3 per axis together (T18).",
     ("conv-transpose k=3 s=2", "conv-transpose k=3 s=2"), (8, 8), ("T16", "T18")),
    ("resize-conv-2d", "Resize-convolution in 2-D: even",
     "Nearest upsampling then a stride-1 conv: one transposed conv with equal polyphase sums, "
     "so the coverage is even for every kernel (T13).",
     ("upsample-nearest f=2", "conv k=3 p=1"), (8, 8), ("T13", "T18")),
)


def _coverage(on_case: Callable[[str], None] | None = None) -> tuple[tuple[CoverageCase, ...],
                                                                       tuple[Figure, ...]]:
    from symconv.coverage import analyze
    from symconv.coverage.figures import analysis_png
    from symconv.spec.syntax import parse_layers

    cases, figures = [], []
    for key, title, why, layers, size, theorems in COVERAGE_CASES:
        analysis = analyze(parse_layers(list(layers)), size)
        name = f"{FIGURES}/coverage-{key}.png"
        caption = (f"{title}: coverage of {' then '.join(layers)} on "
                   f"{'x'.join(map(str, size))}.")
        figures.append(Figure(name, analysis_png(analysis), caption, theorems))
        cases.append(CoverageCase(key, title, why, analysis, name, caption, theorems))
        if on_case is not None:
            on_case(key)
    return tuple(cases), tuple(figures)


# --------------------------------------------------------------------------- stage 1


def _run(theorem: Theorem, grid: str, seed: int,
         on_done: Callable[[Result], None] | None) -> Result:
    """Run one theorem as ``symconv prove`` does (same seed for each); a theorem module that
    crashes (a bug, not a verdict) comes back from ``run_theorem`` as an ``error`` result,
    shown in the report instead of a traceback that would lose the whole report."""
    from symconv.theory.theorem import run_theorem

    result = run_theorem(theorem, grid=grid, seed=seed)
    if on_done is not None:
        on_done(result)
    return result


def collect(
    *,
    grid: str = "small",
    seed: int = 0,
    proofs_dir: str | Path | None = None,
    theorems: Sequence[Theorem] | None = None,
    benchmarks: bool = False,
    on_done: Callable[[Result], None] | None = None,
) -> tuple[ReportData, dict[str, float]]:
    """Run the catalogue (``theorems``, default: every module of ``proofs_dir``), build the
    examples, the coverage analyses and the figures; return the data and the seconds each
    stage took."""
    from symconv import __version__
    from symconv.theory.runner import select

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    chosen = list(theorems) if theorems is not None else select(proofs_dir, ())
    results = [_run(t, grid, seed, on_done) for t in chosen]
    t1 = time.perf_counter()
    seconds["catalogue"] = t1 - t0
    ids = {t.id for t in chosen}
    examples = {tid: build() for tid, build in EXAMPLES.items() if tid in ids}
    t2 = time.perf_counter()
    seconds["examples"] = t2 - t1
    cases, figures = _coverage()
    seconds["coverage and figures"] = time.perf_counter() - t2
    data = ReportData(__version__, grid, seed, tuple(results), examples, cases, figures,
                      benchmarks)
    return data, seconds


# --------------------------------------------------------------------------- stage 2


def render(data: ReportData) -> dict[str, bytes]:
    """The generated files (relative path -> bytes): the .tex, index.md and the figures."""
    from symconv.report.latex import report_document
    from symconv.report.markdown import index_document

    files = {TEX: report_document(data).encode("ascii"),
             INDEX: index_document(data, pdf=PDF, tex=TEX).encode("utf-8")}
    for fig in data.figures:
        files[fig.name] = fig.png
    return files


# --------------------------------------------------------------------------- stage 3


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tex_error(log: Path) -> str:
    """The first ``! ...`` error of a TeX log with its ``l.<line>`` context."""
    try:
        lines = log.read_text(encoding="latin-1").splitlines()
    except OSError:
        return "no log written"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            where = next((x.split(" ", 1)[0] for x in lines[i + 1:i + 12]
                          if x.startswith("l.")), "")
            return _one_line(line.lstrip("! ")) + (f" (at {where} of the .tex)" if where else "")
    return "see the log"


def _pdflatex(exe: str, folder: Path) -> int:
    """Run pdflatex in ``folder`` until the cross-references settle (twice, a third time when
    the contents shifted the page numbers; at most :data:`MAX_RUNS`), reproducibly: fixed
    SOURCE_DATE_EPOCH, no shell escape, stop at the first error.  Returns the number of runs."""
    env = dict(os.environ)
    env.update({"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "TZ": "UTC",
                "LC_ALL": "C"})
    cmd = [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
           "-file-line-error-style", TEX]
    log = folder / (Path(TEX).stem + ".log")
    for run in range(1, MAX_RUNS + 1):
        try:
            proc = subprocess.run(cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=PDFLATEX_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(f"pdflatex took more than {PDFLATEX_TIMEOUT} s on {TEX} "
                              f"(run {run}); the previous report is untouched") from None
        except OSError as exc:
            raise ReportError(f"pdflatex={exe!r} could not be run: {exc.strerror}; the "
                              "previous report is untouched") from None
        if proc.returncode != 0 or not (folder / PDF).is_file():
            raise ReportError(f"pdflatex failed on {TEX} (run {run}): {_tex_error(log)}; the "
                              "previous report is untouched")
        if run >= 2 and not _rerun(log):
            return run
    raise ReportError(f"pdflatex did not settle the cross-references of {TEX} in {MAX_RUNS} "
                      "runs; the previous report is untouched")


def _rerun(log: Path) -> bool:
    """Does the log ask for another run (labels or table widths changed)?"""
    try:
        text = log.read_text(encoding="latin-1")
    except OSError:
        return False
    return "Rerun to get" in text or "Label(s) may have changed" in text or \
        "Table widths have changed" in text


def _benchmarks_source() -> Path:
    from symconv.theory.theorem import default_proofs_dir

    return default_proofs_dir().parent / "reports" / BENCHMARKS


def write_report(
    out: str | Path,
    *,
    grid: str = "small",
    seed: int = 0,
    pdf: bool = True,
    proofs_dir: str | Path | None = None,
    theorems: Sequence[Theorem] | None = None,
    benchmarks: str | Path | None = None,
    pdflatex: str | None = None,
    on_done: Callable[[Result], None] | None = None,
) -> Outcome:
    """Write the report into the folder ``out`` (see the module docs).

    ``benchmarks``: a benchmark result (Markdown) to copy as ``benchmarks.md`` (default: the
    checkout's ``reports/benchmarks.md`` when it exists).  ``pdflatex``: the program to run
    (default: ``pdflatex`` on ``PATH``; when missing the PDF is skipped with a note).

    Raises
    ------
    ReportError
        When anything fails; the previous report is then untouched.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"out={fmt(str(out))} must be a folder, not a file")
    bench = Path(benchmarks) if benchmarks is not None else _benchmarks_source()
    has_bench = bench.is_file()
    data, seconds = collect(grid=grid, seed=seed, proofs_dir=proofs_dir, theorems=theorems,
                            benchmarks=has_bench, on_done=on_done)
    outcome = Outcome(data, out, seconds=seconds)
    t0 = time.perf_counter()
    files = render(data)
    seconds["render"] = time.perf_counter() - t0
    target = out.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(target)
        tmp = staging_folder(target)
    except OSError as exc:
        raise ReportError(f"out={fmt(str(out))} must be in a writable folder: {exc.strerror}"
                          ) from None
    try:
        for name, content in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        generated = set(files)
        if has_bench and bench.resolve() != (out / BENCHMARKS).resolve():
            shutil.copyfile(bench, tmp / BENCHMARKS)
            generated.add(BENCHMARKS)
        if not pdf:
            outcome.pdf = "skipped (--no-pdf)"
        else:
            exe = pdflatex or shutil.which("pdflatex")
            if exe is None:
                outcome.pdf = ("not built: pdflatex is not installed (Debian: apt-get install "
                               "texlive-latex-base texlive-latex-recommended)")
            else:
                t1 = time.perf_counter()
                runs = _pdflatex(exe, tmp)
                seconds[f"pdflatex ({runs} runs)"] = time.perf_counter() - t1
                generated.add(PDF)
                outcome.pdf = "written"
        old_pdf = PDF not in generated and (target / PDF).is_file()
        outcome.files = install(tmp, target, generated, OWNED)
        if old_pdf:  # it belonged to the previous report
            outcome.pdf += "; the previous report's PDF was removed"
    except OSError as exc:
        raise ReportError(f"the report could not be written to {fmt(str(out))}: "
                          f"{_one_line(str(exc))}; the previous report is untouched") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return outcome
