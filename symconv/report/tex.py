"""LaTeX primitives shared by every LaTeX document symconv writes and by the layer facts.

Prose is escaped with :func:`escape`; math comes from SymPy's printer (:func:`math`) or from a
theorem author's checked string (:func:`trusted_math`); :func:`matrix` is a ``bmatrix``, elided
with ``\\cdots``/``\\vdots``/``\\ddots`` when large; :func:`preamble` is the reproducible
document frame.  Only packages of Debian's ``texlive-latex-base``; pure ASCII output.  The
documents built from these are in :mod:`symconv.report.latex`.

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
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "PACKAGES",
    "display",
    "escape",
    "math",
    "matrix",
    "preamble",
    "prose_math",
    "split_math",
    "trusted_math",
]

#: Packages every generated document loads (all in texlive-latex-base).
PACKAGES = ("amsmath", "amssymb", "graphicx", "array", "longtable")

#: Largest matrix shown in full; larger ones are elided.  amsmath's ``bmatrix`` takes at most
#: 10 columns unless ``MaxMatrixCols`` is raised, which a pasted fragment cannot rely on.
MAX_ROWS = 12
MAX_COLS = 10

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
