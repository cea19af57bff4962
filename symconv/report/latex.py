"""LaTeX renderers: pure functions from symconv objects to LaTeX source.

Math comes from SymPy's printer (``sympy.latex``) or from a theorem's own LaTeX statement;
prose comes from templates here and is escaped with :func:`escape`, so any text a result
carries (counterexample details, parameter values, layer descriptions) is safe to typeset.
Every document uses only packages of Debian's ``texlive-latex-base`` (amsmath, amssymb,
graphicx, array, longtable, geometry, hyperref) and is pure ASCII, so it compiles with a bare
``pdflatex``.  Nothing here reads the clock or the environment: the same objects always give
the same bytes.

* :func:`escape`, :func:`math`, :func:`trusted_math`: prose and math fragments;
* :func:`matrix`: a ``bmatrix``, elided with ``\\cdots``/``\\vdots``/``\\ddots`` when large;
* :func:`theorem_section`, :func:`summary_table`, :func:`answer_section`: report parts;
* :func:`report_document`: the whole ``symconv-report.tex`` from a
  :class:`~symconv.report.build.ReportData`;
* :func:`layer_document`: ``symconv latex`` (one layer, from
  :class:`~symconv.report.facts.LayerFacts`), standalone or as a fragment.

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
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from symconv.errors import SymconvError

if TYPE_CHECKING:
    from symconv.coverage import Checkerboard
    from symconv.report.build import CoverageCase, Example, ReportData
    from symconv.report.facts import Claim, LayerFacts, SizeFormula
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

#: Packages every generated document loads (all in texlive-latex-base).
PACKAGES = ("amsmath", "amssymb", "graphicx", "array", "longtable")

#: Largest matrix shown in full; larger ones are elided.  amsmath's ``bmatrix`` takes at most
#: 10 columns unless ``MaxMatrixCols`` is raised, which a pasted fragment cannot rely on.
MAX_ROWS = 12
MAX_COLS = 10

#: How many counterexamples and contradictions a theorem section lists.
SHOWN_CASES = 5

#: Longest detail text shown per counterexample (characters, before escaping).
DETAIL_CHARS = 240

# --------------------------------------------------------------------------- prose

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_UNICODE = {
    "\u2014": "---", "\u2013": "--", "\u2019": "'", "\u2018": "`", "\u201c": "``",
    "\u201d": "''", "\u2026": r"\dots{}", "\u00d7": r"$\times$", "\u2264": r"$\le$",
    "\u2265": r"$\ge$", "\u2260": r"$\ne$", "\u2192": r"$\to$", "\u2190": r"$\leftarrow$",
    "\u21d2": r"$\Rightarrow$", "\u221e": r"$\infty$", "\u00b7": r"$\cdot$", "\u00b1": r"$\pm$",
    "\u2212": "-", "\u2261": r"$\equiv$", "\u2208": r"$\in$", "\u2209": r"$\notin$",
    "\u221a": r"$\surd$", "\u00b0": r"$^\circ$", "\u2248": r"$\approx$", "\u2211": r"$\sum$",
    "\u220f": r"$\prod$", "\u2202": r"$\partial$", "\u2207": r"$\nabla$", "\u2297": r"$\otimes$",
    "\u2218": r"$\circ$", "\u2223": r"$\mid$", "\u230a": r"$\lfloor$", "\u230b": r"$\rfloor$",
    "\u2308": r"$\lceil$", "\u2309": r"$\rceil$", "\u00a0": "~", "\u0131": r"\i{}",
    "\u00df": r"\ss{}", "\u00e6": r"\ae{}", "\u00f8": r"\o{}", "\u0142": r"\l{}",
}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0308": '"', "\u0327": "c", "\u0306": "u",
            "\u0302": "^", "\u0303": "~", "\u030c": "v", "\u0304": "=", "\u0307": "."}
_GREEK = {name: "$\\" + name + "$" for name in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega")}


def _char(c: str) -> str:
    """One non-ASCII character as ASCII LaTeX (visible ``[U+XXXX]`` when unknown)."""
    if c in _UNICODE:
        return _UNICODE[c]
    name = unicodedata.name(c, "")
    if name.startswith("GREEK SMALL LETTER "):
        key = name.removeprefix("GREEK SMALL LETTER ").lower()
        if key in _GREEK:
            return _GREEK[key]
    if name.startswith("GREEK CAPITAL LETTER "):
        key = name.removeprefix("GREEK CAPITAL LETTER ").lower()
        if key in _GREEK and key in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma",
                                     "upsilon", "phi", "psi", "omega"):
            return f"$\\{key.capitalize()}$"
    parts = unicodedata.normalize("NFD", c)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        base = parts[0]
        return f"\\{_ACCENTS[parts[1]]}{{{base}}}"
    return f"\\texttt{{[U+{ord(c):04X}]}}"


def escape(text: str, *, breakable: bool = False) -> str:
    """Prose as LaTeX text: special characters escaped, non-ASCII characters as commands.

    ``breakable`` lets long tokens such as ``n=(3,4),k=(2,3)`` break after commas (table
    cells).  The result is pure ASCII.

    >>> escape("a_b ≤ 3 — ok")
    'a\\\\_b $\\\\le$ 3 --- ok'
    >>> escape("Evrişim", breakable=True)
    'Evri\\\\c{s}im'
    """
    out: list[str] = []
    for c in str(text):
        if c in _SPECIAL:
            out.append(_SPECIAL[c])
            if breakable and c == "_":
                out.append(r"\allowbreak{}")
        elif c.isspace():
            out.append(" ")
        elif c.isascii():
            if c.isprintable():
                out.append(c)
            out.append(r"\allowbreak{}" if breakable and c in ",/" else "")
        else:
            out.append(_char(c))
    return "".join(out)


# --------------------------------------------------------------------------- math


def math(expr: Any) -> str:
    """SymPy's LaTeX for an expression (ints, Fractions and SymPy objects alike).

    >>> import sympy
    >>> n = sympy.Symbol("n", integer=True)
    >>> math(sympy.floor(n / 2) + 1)
    '\\\\left\\\\lfloor{\\\\frac{n}{2}}\\\\right\\\\rfloor + 1'
    """
    import sympy

    if isinstance(expr, Fraction):
        expr = sympy.Rational(expr.numerator, expr.denominator)
    return str(sympy.latex(expr))


_FORBIDDEN = re.compile(r"\\(?:begin\{document\}|end\{document\}|input|include|write|openout|"
                        r"immediate|def|catcode|usepackage|documentclass)\b|\$|%")


def trusted_math(tex: str) -> str:
    """A math-mode LaTeX string written by a theorem author, checked to be safe to embed.

    Balanced braces, no ``$``/``%`` and no document-level commands; anything else is shown as
    escaped typewriter text instead (never a broken document).

    >>> trusted_math(r"\\frac{a}{b}")
    '\\\\frac{a}{b}'
    >>> trusted_math(r"\\frac{a}{b")
    '\\\\text{\\\\texttt{\\\\textbackslash{}frac\\\\{a\\\\}\\\\{b}}'
    """
    depth = 0
    ok = True
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                ok = False
                break
        i += 1
    if not ok or depth != 0 or _FORBIDDEN.search(tex) or not tex.isascii():
        return r"\text{\texttt{" + escape(tex) + "}}"
    return tex


def _scan(tex: str) -> list[tuple[int, int, str]]:
    """Top-level tokens of a math string: ``(start, end, kind)`` with kind ``group`` (a braced
    group, a ``\\left..\\right`` or ``\\begin..\\end`` span), ``cmd`` (a control sequence) or
    ``char``.  Only the top level is ever split, so every piece stays balanced."""
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(tex)
    while i < n:
        c = tex[i]
        if c == "{" or tex.startswith(("\\left", "\\begin"), i):
            opener = "{" if c == "{" else ("\\left" if tex.startswith("\\left", i) else "\\begin")
            depth, j = 0, i
            while j < n:
                if tex[j] == "\\":
                    word = re.match(r"\\([A-Za-z]+|.)", tex[j:])
                    name = word.group(1) if word else ""
                    if name in ("left", "begin"):
                        depth += 1
                    elif name in ("right", "end"):
                        depth -= 1
                        if depth == 0 and opener != "{":
                            j += len(word.group(0)) if word else 1
                            # the delimiter after \right, or the {name} after \end
                            if name == "right" and j < n:
                                j += 2 if tex[j] == "\\" else 1
                            elif name == "end":
                                close = tex.find("}", j)
                                j = close + 1 if close >= 0 else n
                            break
                    j += len(word.group(0)) if word else 1
                    continue
                if tex[j] == "{":
                    depth += 1
                elif tex[j] == "}":
                    depth -= 1
                    if depth == 0 and opener == "{":
                        j += 1
                        break
                j += 1
            out.append((i, j, "group"))
            i = j
        elif c == "\\":
            word = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            j = i + (len(word.group(0)) if word else 1)
            out.append((i, j, "cmd"))
            i = j
        else:
            out.append((i, i + 1, "char"))
            i += 1
    return out


def split_math(tex: str) -> list[str]:
    r"""Split a long formula at its top-level separators (``;``, ``\quad``, ``\qquad``) so
    each part can be displayed on its own line; a formula without them is one part.

    >>> split_math(r"a = b,\quad c = \frac{1}{2};\ d")
    ['a = b,', 'c = \\frac{1}{2};', 'd']
    """
    parts: list[str] = []
    start = 0
    depth = 0  # round and square brackets (intervals such as [0, k) balance too)
    for i, j, kind in _scan(tex):
        piece = tex[i:j]
        if kind == "char" and piece in "([":
            depth += 1
        elif kind == "char" and piece in ")]":
            depth -= 1
        if depth != 0:
            continue
        if kind == "cmd" and piece in ("\\quad", "\\qquad"):
            parts.append(tex[start:i])
            start = j
        elif kind == "char" and piece == ";":
            parts.append(tex[start:j])
            start = j
    parts.append(tex[start:])
    cleaned = [p.strip().removeprefix("\\ ").strip() for p in parts]
    return [p for p in cleaned if p and p not in (",", ";")]


_WORD = re.compile(r"[A-Za-z]{3,}")


def _plain(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in " ,;:.()'-")


def prose_math(tex: str) -> str:
    r"""A description written in math mode (``\text{...}`` pieces and formulas) as paragraph
    text that can break across lines: top-level ``\text{...}`` groups become text, the rest
    inline math.  A description with no ``\text`` but many plain words (prose typed in math
    mode) gets its top-level word runs set as text.

    >>> prose_math(r"s \le d \text{ (accepted)}")
    '$s \\le d$ (accepted)'
    """
    tokens = _scan(tex)
    runs: list[tuple[bool, str]] = []  # (is_text, latex)
    has_text = any(k == "cmd" and tex[i:j] == "\\text" for i, j, k in tokens)
    plain = "".join(tex[i:j] for i, j, k in tokens if k == "char")
    wordy = not has_text and len(_WORD.findall(plain)) >= 6
    k = 0
    while k < len(tokens):
        i, j, kind = tokens[k]
        piece = tex[i:j]
        if kind == "cmd" and piece == "\\text" and k + 1 < len(tokens) and \
                tokens[k + 1][2] == "group":
            gi, gj, _ = tokens[k + 1]
            runs.append((True, tex[gi + 1:gj - 1]))
            k += 2
            continue
        after_script = k > 0 and tokens[k - 1][2] == "char" and tex[tokens[k - 1][0]] in "_^"
        if wordy and kind == "char" and _plain(piece) and not after_script:
            m = k
            while m < len(tokens) and tokens[m][2] == "char" and _plain(tex[tokens[m][0]]):
                m += 1
            if m < len(tokens) and tex[tokens[m][0]] in "_^":
                while m > k and tex[tokens[m - 1][0]].isalpha():
                    m -= 1  # a letter right before _ or ^ is an indexed symbol: math
            text = tex[i:tokens[m - 1][1]] if m > k else ""
            if sum(len(re.sub(r"[^A-Za-z]", "", w)) >= 2 for w in text.split()) >= 2:
                runs.append((True, text))
                k = m
                continue
        runs.append((False, piece))
        k += 1
    out: list[str] = []
    buf = ""
    for is_text, piece in runs:
        if is_text:
            if buf.strip():
                out.append(f"${buf.strip()}$")
            buf = ""
            out.append(piece)
        else:
            buf += piece
    if buf.strip():
        out.append(f"${buf.strip()}$")
    text = ""
    for piece in out:
        if text and not text.endswith(" ") and not piece.startswith((" ", ",", ";", ":", ".", ")")):
            text += " "
        text += piece
    return text.strip()


def display(tex: str, *, fit: bool = True) -> str:
    """A displayed formula; with ``fit`` it is scaled down to the line width when wider
    (the ``\\fitmath`` macro of :func:`preamble`), else a plain ``\\[ ... \\]``."""
    if fit:
        return f"\\fitmath{{{tex}}}\n"
    return f"\\[\n{tex}\n\\]\n"


# --------------------------------------------------------------------------- matrices


def _positions(total: int, limit: int) -> list[int | None]:
    """Indices shown along one dimension: all, or the first ``limit - 2``, a gap, the last."""
    if total <= limit:
        return list(range(total))
    return [*range(limit - 2), None, total - 1]


def _excerpt(m: Any, rows: Sequence[int], cols: Sequence[int]) -> Any:
    """The SymPy submatrix of rows x cols of a matrix or an :class:`IndexMap` (an IndexMap
    builds only the entries shown, so a huge map costs O(nnz) numpy work, not SymPy work)."""
    import sympy

    from symconv.core import IndexMap

    if isinstance(m, IndexMap):
        import numpy as np

        r_idx = np.full(m.shape[0], -1, dtype=np.int64)
        c_idx = np.full(m.shape[1], -1, dtype=np.int64)
        r_idx[list(rows)] = np.arange(len(rows))
        c_idx[list(cols)] = np.arange(len(cols))
        keep = (r_idx[m.rows] >= 0) & (c_idx[m.cols] >= 0)
        sub = IndexMap.from_arrays(
            (len(rows), len(cols)), r_idx[m.rows[keep]], c_idx[m.cols[keep]],
            m.taps[keep], m.num[keep], m.den[keep], m.weights,
        )
        return sub.symbolic()
    return sympy.Matrix(m).extract(list(rows), list(cols))


def matrix(m: Any, *, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> str:
    """A ``bmatrix`` of a SymPy matrix or an :class:`~symconv.core.IndexMap` (weights as
    ``w_{...}`` symbols), in full up to ``max_rows`` x ``max_cols`` (at most 10 columns: the
    most amsmath's ``bmatrix`` takes unless ``MaxMatrixCols`` is raised, which a pasted
    fragment cannot rely on), else elided: the first rows/columns, ``\\vdots``/``\\cdots``/
    ``\\ddots``, the last row/column.  Only the shown block is built; the ``bmatrix`` itself
    is written by :func:`symconv.report.matrix_text.render_latex` (one LaTeX matrix writer for
    ``symconv matrix`` and the documents).

    >>> from symconv.core import conv_map
    >>> from symconv.spec import Conv
    >>> print(matrix(conv_map(Conv(kernel=2), (1, 3), 1)))
    \\begin{bmatrix}
    w_{0,0,0} & w_{0,0,1} & 0 \\\\
    0 & w_{0,0,0} & w_{0,0,1}
    \\end{bmatrix}
    >>> tex = matrix(conv_map(Conv(kernel=2), (1, 30), 1))
    >>> r"\\cdots" in tex, r"\\vdots" in tex, r"\\ddots" in tex
    (True, True, True)
    """
    from symconv.core import IndexMap
    from symconv.report.matrix_text import MatrixView, render_latex

    if max_cols > 10 or max_rows < 3 or max_cols < 3:
        raise ValueError("max_cols must be in [3, 10] and max_rows at least 3")
    total_r, total_c = (int(v) for v in m.shape)
    if total_r == 0 or total_c == 0:
        return r"\begin{bmatrix}\end{bmatrix}"
    rows = [r for r in _positions(total_r, max_rows) if r is not None]
    cols = [c for c in _positions(total_c, max_cols) if c is not None]
    sub = _excerpt(m, rows, cols)
    block = tuple(tuple(sub[i, j] for j in range(len(cols))) for i in range(len(rows)))
    nnz = m.nnz if isinstance(m, IndexMap) else sum(1 for v in m if v != 0)
    view = MatrixView(title="", in_shape=(), out_shape=(), shape=(total_r, total_c), nnz=nnz,
                      weights=(), numeric=False, rows=tuple(rows), cols=tuple(cols), block=block)
    return render_latex(view).rstrip("\n")


def _shape(m: Any) -> str:
    r, c = (int(v) for v in m.shape)
    return f"{r}\\times {c}"


# --------------------------------------------------------------------------- document frame


def preamble(*, title: str, subtitle: str = "", toc: bool = False) -> str:
    """``\\documentclass`` to ``\\begin{document}`` (reproducible PDF: no dates, no trailer id,
    no pdfTeX banner; the ``\\fitmath`` macro scales a too-wide formula to the line)."""
    head = [
        r"\documentclass[11pt,a4paper]{article}",
        r"\usepackage[margin=2.2cm]{geometry}",
        *(rf"\usepackage{{{p}}}" for p in PACKAGES),
        r"\usepackage[hidelinks,pdfcreator={symconv},pdfproducer={symconv}]{hyperref}",
        r"\ifdefined\pdfinfoomitdate \pdfinfoomitdate=1 \fi",
        r"\ifdefined\pdftrailerid \pdftrailerid{} \fi",
        r"\ifdefined\pdfsuppressptexinfo \pdfsuppressptexinfo=-1 \fi",
        r"\setcounter{MaxMatrixCols}{20}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5\baselineskip}",
        r"\setlength{\emergencystretch}{3em}",
        r"\newsavebox{\symconvbox}",
        r"\newcommand{\fitmath}[1]{\par\smallskip\noindent"
        r"\sbox{\symconvbox}{$\displaystyle #1$}"
        r"\ifdim\wd\symconvbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\symconvbox}}"
        r"\else\makebox[\linewidth]{\usebox{\symconvbox}}\fi\par\smallskip}",
        rf"\title{{{title}}}",
        rf"\author{{{subtitle}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    if toc:
        head.append(r"\tableofcontents")
    return "\n".join(head) + "\n"


_END = "\\end{document}\n"


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
    """``symconv latex``: everything :class:`~symconv.report.facts.LayerFacts` established about
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
