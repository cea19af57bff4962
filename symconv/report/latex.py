"""LaTeX renderers: pure functions from symconv objects to LaTeX source.

The fragments (:func:`escape`, :func:`math`, :func:`matrix`, :func:`preamble`, ...) are
:mod:`symconv.report.tex`'s, re-exported here.  Math comes from SymPy's printer
(``sympy.latex``) or from a theorem's own LaTeX statement; prose comes from templates here and
is escaped with :func:`escape`, so any text a result carries (counterexample details, parameter values, layer descriptions) is safe to typeset.
Every document uses only packages of Debian's ``texlive-latex-base`` (amsmath, amssymb,
graphicx, array, longtable, geometry, hyperref) and is pure ASCII, so it compiles with a bare
``pdflatex``.  Nothing here reads the clock or the environment: the same objects always give
the same bytes.

* :func:`escape`, :func:`math`, :func:`trusted_math`: prose and math fragments;
* :func:`matrix`: a ``bmatrix``, elided with ``\\cdots``/``\\vdots``/``\\ddots`` when large;
* :func:`theorem_section`, :func:`summary_table`, :func:`answer_section`: report parts;
* :func:`report_document`: the whole ``symconv-report.tex`` from a
  :class:`~symconv.report.model.ReportData`;
* :func:`layer_document`: ``symconv latex`` (one layer, from
  :class:`~symconv.report.model.LayerFacts`), standalone or as a fragment.

>>> print(escape("50% of C_in & {k}"))
50\\% of C\\_in \\& \\{k\\}
>>> import sympy
>>> print(matrix(sympy.Matrix([[1, sympy.Rational(1, 2)]])))
\\begin{bmatrix}
1 & \\frac{1}{2}
\\end{bmatrix}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from symconv.errors import SymconvError
from symconv.report.tex import (
    _END,
    MAX_COLS,
    MAX_ROWS,
    PACKAGES,
    _shape,
    display,
    escape,
    math,
    matrix,
    preamble,
    prose_math,
    split_math,
    trusted_math,
)

if TYPE_CHECKING:
    from symconv.coverage import Checkerboard
    from symconv.report.model import (
        Claim,
        CoverageCase,
        Example,
        LayerFacts,
        ReportData,
        SizeFormula,
    )
    from symconv.theory.theorem import Result, StepResult

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "PACKAGES",
    "answer_section",
    "checkerboard_rows",
    "display",
    "escape",
    "layer_document",
    "math",
    "matrix",
    "preamble",
    "prose_math",
    "report_document",
    "split_math",
    "summary_table",
    "theorem_section",
    "trusted_math",
]

#: How many counterexamples and contradictions a theorem section lists.
SHOWN_CASES = 5

#: Longest detail text shown per counterexample (characters, before escaping).
DETAIL_CHARS = 240

# --------------------------------------------------------------------------- report parts


def _ref(tid: str) -> str:
    return rf"\hyperref[thm:{_label(tid)}]{{{escape(tid)}}}"


def _label(tid: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", tid)


def answer_section(answer: tuple[str, Sequence[tuple[str, tuple[str, ...]]]],
                   verdicts: Mapping[str, str]) -> str:
    """The seed question's answer (:data:`symconv.report.explain.UPSAMPLING_ANSWER`), each
    claim linked to its theorems with the verdict this run established."""
    title, claims = answer
    lines = [rf"\section{{{escape(title)}}}",
             r"The question that started symconv, originally asked in Turkish: "
             r"\emph{" + escape("CNN'de örnekleme ve devrik evrişim aynı mıdır?") + r"} "
             r"(``In CNNs, are upsampling and transposed convolution the same thing?'').  "
             r"Each claim below links to the theorem that establishes it; the verdict is what "
             r"this run found.",
             r"\begin{itemize}"]
    for text, ids in claims:
        cites = ""
        if ids:
            cites = " [" + "; ".join(
                f"{_ref(i)}: {escape(verdicts.get(i, 'not run'))}" for i in ids) + "]"
        lines.append(rf"\item {escape(text)}{cites}")
    lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def _verdict(v: str) -> str:
    return escape(v) if v == "proved" else rf"\textbf{{{escape(v.upper())}}}"


def summary_table(results: Sequence[Result]) -> str:
    """One row per theorem: id (linked), title, exact instances holding / run, numeric checks,
    derivation steps, verdict."""
    lines = [
        r"\begin{longtable}{@{}l>{\raggedright\arraybackslash}p{0.47\linewidth}rrrl@{}}",
        r"\hline id & title & instances & numeric & steps & verdict \\ \hline \endhead",
        r"\hline \endfoot",
    ]
    for r in results:
        t = r.theorem
        steps = f"{sum(s.ok for s in r.steps)}/{len(r.steps)}"
        lines.append(f"{_ref(t.id)} & {escape(t.title)} & {r.instances_holding}/{r.instances} & "
                     f"{r.numeric_checks - r.numeric_failed}/{r.numeric_checks} & {steps} & "
                     f"{_verdict(r.verdict)} \\\\")
    lines.append(r"\end{longtable}")
    lines.append(r"Instances: exact checks holding / run (an instance may fail where the "
                 r"statement says it fails: those are the counterexamples, and the verdict "
                 r"stays \emph{proved} when every one lies in the stated region).  Numeric: "
                 r"cross-checks against the numpy reference ops agreeing with the statement / "
                 r"run.  Steps: derivation steps that hold / total.")
    return "\n".join(lines) + "\n"


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in params.items())


def _value(v: Any) -> str:
    from symconv.spec import Layer

    if isinstance(v, Layer):
        from symconv.spec.syntax import format_layer

        try:
            return format_layer(v)
        except SymconvError:  # a spec the layer syntax cannot express: its repr
            return repr(v)
    if isinstance(v, list | tuple) and v and all(isinstance(x, Layer) for x in v):
        return "[" + "; ".join(_value(x) for x in v) + "]"
    return str(v)


def _clip(text: str, limit: int = DETAIL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _step(s: StepResult, *, fit: bool) -> str:
    how = ["proved symbolically (the difference expands to 0)" if s.symbolic
           else "not proved symbolically",
           f"checked on {s.evaluated} concrete value{'s' if s.evaluated != 1 else ''}"]
    status = escape("; ".join(how))
    if s.failed is not None:
        shown = ", ".join(f"{k}={v}" for k, v in s.failed.items())
        status += r"; \textbf{FAILED} at " + escape(shown, breakable=True)
    lhs, rhs = math(s.step.lhs), math(s.step.rhs)
    if len(lhs) + len(rhs) > 110:
        shown = display(lhs, fit=fit) + display(f"{{}} = {rhs}", fit=fit)
    else:
        shown = display(f"{lhs} = {rhs}", fit=fit)
    return (rf"\item {escape(s.step.text)}" + "\n" + shown
            + r"{\small " + status + "}\n")


def _cases_table(cases: Sequence[tuple[Mapping[str, Any], str]], head: str) -> str:
    lines = [
        r"{\small",
        r"\begin{longtable}{@{}>{\raggedright\arraybackslash}p{0.36\linewidth}"
        r">{\raggedright\arraybackslash}p{0.58\linewidth}@{}}",
        rf"\hline parameters & {escape(head)} \\ \hline \endhead",
        r"\hline \endfoot",
    ]
    for params, detail in cases[:SHOWN_CASES]:
        lines.append(f"{escape(_clip(_params(params)), breakable=True)} & "
                     f"{escape(_clip(detail), breakable=True)} \\\\")
    lines.append(r"\end{longtable}}")
    return "\n".join(lines) + "\n"


def _evidence(r: Result) -> str:
    t = r.theorem
    failing = r.instances - r.instances_holding
    inst = f"{r.instances_holding} of {r.instances} hold"
    if failing:
        inst += (f"; the {failing} others are counterexamples" + (
            " inside the stated exception region" if not r.contradictions else ""))
    steps = ("none" if not r.steps else
             f"{sum(s.ok for s in r.steps)} of {len(r.steps)} hold, "
             f"{sum(s.symbolic for s in r.steps)} proved symbolically")
    rows = [
        ("exact instances", escape(inst)),
        ("numeric cross-checks", escape(f"{r.numeric_checks} run, {r.numeric_failed} disagree "
                                        "with the statement")),
        ("derivation steps", escape(steps)),
        ("contradictions", escape(str(len(r.contradictions)))),
        ("verdict", _verdict(r.verdict)),
    ]
    if t.parameters:
        rows.insert(0, ("parameters", escape(", ".join(t.parameters), breakable=True)))
    if r.error:
        rows.append(("error", escape(_clip(r.error), breakable=True)))
    body = "\n".join(f"{a} & {b} \\\\" for a, b in rows)
    return ("\\par\\noindent\\begin{tabular}{@{}l>{\\raggedright\\arraybackslash}p{0.68\\linewidth}@{}}\n"
            "\\hline\n" + body + "\n\\hline\n\\end{tabular}\n")


def _example(ex: Example, *, fit: bool) -> str:
    parts = [r"\subsubsection*{Instance}", escape(ex.caption)]
    for label, mat in ex.matrices:
        parts.append(display(f"{trusted_math(label)} = {matrix(mat)}"
                             f"\\quad ({_shape(mat)})", fit=fit).rstrip("\n"))
    for relation, holds in ex.relations:
        verdict = ("holds entry by entry (checked while writing this report)" if holds else
                   r"\textbf{does NOT hold}")
        parts.append(f"${trusted_math(relation)}$: {verdict}.")
    return "\n".join(parts) + "\n"


def theorem_section(result: Result, examples: Sequence[Example] = (),
                    coverage: Sequence[tuple[str, str]] = (), *, fit: bool = True) -> str:
    """One theorem: statement, stated exceptions, derivation, instances, evidence, cases,
    links to coverage analyses (``(key, title)``), references."""
    t = result.theorem
    out = [rf"\subsection{{{escape(t.id)}: {escape(t.title)}}}\label{{thm:{_label(t.id)}}}",
           r"\subsubsection*{Statement}"]
    out += [display(part, fit=fit) for part in split_math(trusted_math(t.statement))]
    if t.exceptions:
        out += [r"\subsubsection*{Where it is stated to fail}",
                prose_math(trusted_math(t.exceptions)) + "\n"]
    if result.steps:
        out.append(r"\subsubsection*{Derivation}")
        out.append(r"Each step is an equation between SymPy expressions, proved symbolically "
                   r"where SymPy can and evaluated on concrete values in any case.")
        out.append(r"\begin{enumerate}")
        out += [_step(s, fit=fit) for s in result.steps]
        out.append(r"\end{enumerate}")
    for ex in examples:
        out.append(_example(ex, fit=fit))
    out += [r"\subsubsection*{Evidence}", _evidence(result)]
    if result.counterexamples:
        n = len(result.counterexamples)
        out.append(r"\subsubsection*{Where the identity fails}")
        out.append(f"{n} instance{'s' if n != 1 else ''}; the first {min(n, SHOWN_CASES)}:")
        out.append(_cases_table(result.counterexamples, "why"))
    if result.contradictions:
        out.append(r"\subsubsection*{CONTRADICTIONS}")
        out.append(r"Instances where the evidence disagrees with the statement:")
        out.append(_cases_table(result.contradictions, "detail"))
    if coverage:
        out.append(r"\paragraph{Coverage figures.} " + "; ".join(
            rf"Section~\ref{{cov:{_label(key)}}} ({escape(title)})" for key, title in coverage)
            + ".")
    if t.references:
        out.append(r"\paragraph{References.} " + "; ".join(escape(x, breakable=True)
                                                          for x in t.references)
                   + ".")
    return "\n".join(out) + "\n"


def _figure(name: str, caption: str) -> str:
    return ("\\begin{figure}[htbp]\n\\centering\n"
            f"\\includegraphics[width=\\linewidth,height=0.42\\textheight,keepaspectratio]"
            f"{{{name}}}\n"
            f"\\caption{{{escape(caption)}}}\n\\end{{figure}}\n")


# --------------------------------------------------------------------------- coverage


def _ratio(r: Fraction | None) -> str:
    if r is None:
        return r"\infty"
    return str(r.numerator) if r.denominator == 1 else rf"\tfrac{{{r.numerator}}}{{{r.denominator}}}"


def _pattern(cb: Checkerboard) -> str:
    p = cb.pattern
    if p.ndim == 1:
        return "(" + ", ".join("?" if v < 0 else str(int(v)) for v in p.tolist()) + ")"
    import sympy

    if p.ndim == 2 and p.size <= 100:
        return matrix(sympy.Matrix(p.tolist()))
    return r"\text{" + "x".join(map(str, p.shape)) + " pattern}"


def checkerboard_rows(cb: Checkerboard) -> list[tuple[str, str]]:
    """Rows ``(name, LaTeX)`` describing one coverage map: verdict, range, pattern, period."""
    if cb.empty:
        return [("coverage", r"no interior position (the input is too small)")]
    if cb.uniform:
        verdict = f"even: ${cb.min}$ on every interior position"
        if not cb.complete:
            verdict += " (interior shorter than one period)"
    else:
        verdict = (f"\\textbf{{uneven}}: ${cb.min}..{cb.max}$, ratio ${_ratio(cb.ratio)}$" +
                   (" (holes)" if cb.holes else ""))
    rows = [("coverage", verdict),
            ("period", "$" + r" \times ".join(map(str, cb.period)) + "$"),
            ("pattern", f"${_pattern(cb)}$")]
    box = ", ".join(f"[{lo}, {hi})" for lo, hi in cb.interior)
    border = cb.border_range
    rows.append(("interior", f"${box}$" + ("" if border is None else
                                           f"; border coverage ${border[0]}..{border[1]}$ on "
                                           f"{cb.border_positions} positions")))
    return rows


def _rows_table(rows: Iterable[tuple[str, str]]) -> str:
    body = "\n".join(f"{escape(a)} & {b} \\\\" for a, b in rows)
    return ("\\par\\noindent\\begin{tabular}{@{}l>{\\raggedright\\arraybackslash}p{0.72\\linewidth}@{}}\n"
            "\\hline\n" + body + "\n\\hline\n\\end{tabular}\n")


def _layer_name(layer: Any) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except SymconvError:  # a spec the layer syntax cannot express: its repr
        return repr(layer)


def coverage_section(cases: Sequence[CoverageCase]) -> str:
    """The coverage analyses at the report's default shapes, with their figures."""
    out = [r"\section{Coverage and checkerboards at default shapes}",
           r"Forward coverage of an output position counts the (input, tap) pairs that reach "
           r"it; gradient coverage of an input position counts the outputs it feeds.  A "
           r"position is \emph{interior} when its window lies inside the input; borders are "
           r"reported separately.  The pattern lists the interior count of the positions "
           r"$j \equiv r \pmod{\text{period}}$, $r = 0, 1, \dots$ (theorems "
           + ", ".join(_ref(i) for i in ("T16", "T17", "T18")) + ")."]
    for case in cases:
        a = case.analysis
        size = "x".join(map(str, a.input_size))
        out.append(rf"\subsection{{{escape(case.title)}}}\label{{cov:{_label(case.key)}}}")
        out.append(escape(case.why) + " Layers: " + "; ".join(
            r"\texttt{" + escape(_layer_name(layer)) + "}" for layer in a.layers)
            + f" on input {escape(size)}.")
        for lc in a.per_layer:
            name = escape(_layer_name(lc.layer))
            io = "x".join(map(str, lc.input_size)) + " -> " + "x".join(map(str, lc.output_size))
            out.append(rf"\subsubsection*{{Layer {lc.index + 1}: \texttt{{{name}}} "
                       rf"({escape(io)})}}")
            rows = [("forward " + k, v) for k, v in checkerboard_rows(lc.forward)]
            rows += [("gradient " + k, v) for k, v in checkerboard_rows(lc.gradient)[:2]]
            for s in lc.suggestions:
                keeps = "same output size" if s.keeps_output_size else (
                    "output " + "x".join(map(str, s.output_size)))
                rows.append(("even alternative", r"\texttt{" + escape(_layer_name(s.layer))
                             + "} (" + escape(keeps) + ")"))
            if lc.alternative is not None:
                alt = lc.alternative
                rows.append(("resize-convolution", r"\texttt{" + escape(_layer_name(alt.upsample))
                             + r"} then \texttt{" + escape(_layer_name(alt.conv)) + r"} "
                             r"(even for every kernel, " + _ref("T13") + ")"))
            out.append(_rows_table(rows))
        if len(a.layers) > 1:
            out.append(r"\subsubsection*{Stack output (path counts, " + _ref("T18") + ")}"
                       + escape(f"The layers' unevenness {a.interaction}."
                                if a.interaction != "uniform" else "Every layer is even."))
            out.append(_rows_table(checkerboard_rows(a.stack)))
        out.append(r"\subsubsection*{Gradient coverage of the input}")
        out.append(_rows_table(checkerboard_rows(a.gradient)))
        out.append(_figure(case.figure, case.caption))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the report


def report_document(data: ReportData) -> str:
    """The whole ``symconv-report.tex``."""
    from symconv.report.explain import UPSAMPLING_ANSWER

    verdicts = {r.theorem.id: r.verdict for r in data.results}
    proved = sum(r.ok for r in data.results)
    subtitle = escape(f"generated by symconv report (symconv {data.version}, grid {data.grid}, "
                      f"seed {data.seed})")
    parts = [
        preamble(title="symconv: exact convolution arithmetic", subtitle=subtitle, toc=True),
        answer_section(UPSAMPLING_ANSWER, verdicts),
        r"\section{The catalogue at a glance}",
        escape(f"{proved} of {len(data.results)} theorems proved on the {data.grid} grid. "
               "Each theorem is checked three ways: a derivation whose steps are SymPy "
               "equations, exact instance checks (symbolic matrices or exact index maps "
               "compared entry by entry over an exhaustive grid of small shapes), and numeric "
               "cross-checks against independent numpy reference ops with seeded random data."),
        summary_table(data.results),
        r"\section{Theorems}",
    ]
    for r in data.results:
        tid = r.theorem.id
        cov = [(c.key, c.title) for c in data.coverage if tid in c.theorems]
        parts.append(theorem_section(r, data.examples.get(tid, ()), cov))
    parts.append(r"\clearpage")
    parts.append(coverage_section(data.coverage))
    parts.append(r"\section{How this report is produced}")
    parts.append(escape(
        f"This document, index.md and the figures are written by `symconv report --grid "
        f"{data.grid}` (seed {data.seed}); the run is deterministic, so running it again gives "
        "the same bytes. Timings are printed by the command, never written here. The "
        "statements, derivations and verdicts come from the theorem modules in proofs/; the "
        "matrices are SymPy matrices built from symconv's index maps.") + "\n")
    parts.append(_END)
    return "\n".join(parts)


# --------------------------------------------------------------------------- one layer


def _claim(c: Claim, *, fit: bool) -> str:
    cite = f" ({escape(', '.join(c.theorems))})" if c.theorems else ""
    status = {True: "verified for this configuration", False: r"\textbf{FAILED}"}[c.holds]
    body = escape(c.text, breakable=True) + cite
    if c.math:
        body += "\n" + display(c.math, fit=fit).rstrip("\n")
    return (body + "\n" + r"{\small " + f"{status}: {escape(c.how, breakable=True)}"
            + "}\n").lstrip("\n")


def _size_formula(f: SizeFormula, *, fit: bool) -> str:
    out = []
    if f.general is not None:
        out.append(display(f"o = {math(f.general)}", fit=fit).rstrip("\n"))
        out.append("with " + ", ".join(f"${math(k)} = {math(v)}$" for k, v in f.values)
                   + ":")
    out.append(display(f"o({math(f.symbol)}) = {math(f.instantiated)},\\qquad "
                       f"o({f.input}) = {f.output}", fit=fit).rstrip("\n"))
    return "\n".join(out) + "\n"


def layer_document(facts: LayerFacts, *, fragment: bool = False) -> str:
    """``symconv latex``: everything :class:`~symconv.report.model.LayerFacts` established about
    one layer, as a standalone document or (``fragment``) a body to paste into a paper that
    loads amsmath (no custom macros, no sections)."""
    fit = not fragment
    name = escape(facts.name)
    shape_in = "x".join(map(str, facts.input_shape))
    shape_out = "x".join(map(str, facts.output_shape))
    body: list[str] = []

    def head(text: str) -> None:
        body.append(rf"\par\medskip\noindent\textbf{{{escape(text)}}}\par" if fragment
                    else rf"\section*{{{escape(text)}}}")

    body.append(escape(f"Layer {facts.name} ({facts.spec}), on one sample of shape (C, *spatial) "
                       f"= ({shape_in}) giving ({shape_out}). Every statement below was checked "
                       "for this configuration when the document was generated."))
    head("Output size")
    rendered = [_size_formula(f, fit=fit) for f in facts.sizes]
    if len(set(rendered)) == 1 and len(rendered) > 1:
        body.append(escape(f"On each of the {len(rendered)} axes:"))
        body.append(rendered[0])
    else:
        for f, tex in zip(facts.sizes, rendered, strict=True):
            if len(facts.sizes) > 1:
                body.append(escape(f"Axis {f.axis}:"))
            body.append(tex)
    for note in facts.size_notes:
        body.append(escape(note, breakable=True))
    body.append(_claim(facts.size_check, fit=fit))
    head("The matrix")
    if facts.matrix is not None:
        body.append(escape(facts.matrix_text))
        body.append(display(f"{trusted_math(facts.matrix_label)} = {matrix(facts.matrix)}"
                            f"\\quad ({_shape(facts.matrix)})", fit=fit).rstrip("\n"))
    else:
        body.append(escape(facts.matrix_text))
    for title, claims in facts.sections:
        if not claims:
            continue
        head(title)
        body += [_claim(c, fit=fit) for c in claims]
    if facts.coverage:
        head("Coverage pattern")
        for title, cb in facts.coverage:
            body.append(escape(title))
            body.append(_rows_table(checkerboard_rows(cb)))
            if cb.counts.ndim == 1 and cb.counts.size <= 40:
                import sympy

                counts = sympy.Matrix([cb.counts.tolist()])
                body.append(display(r"\text{counts} = " + matrix(counts, max_cols=10),
                                    fit=fit).rstrip("\n"))
    for note in facts.notes:
        body.append(escape(note))
    text = "\n\n".join(body) + "\n"
    if fragment:
        return ("% symconv latex fragment: needs \\usepackage{amsmath,amssymb,array}\n"
                + text)
    return (preamble(title=r"symconv: \texttt{" + name + "}",
                     subtitle=escape("generated by symconv latex"))
            + text + _END)
