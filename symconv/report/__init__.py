"""Report: the presentation domain.  Results in, text out; nothing here computes a result.

Renderers are pure functions from result objects to text or JSON-able data: they never print
and never read the environment, and the same object always gives the same string.  They import
SymPy only to print a symbolic expression the caller already built.

* :mod:`symconv.report.shape_text`: ``symconv shape`` (one layer, or the convention comparison).
* :mod:`symconv.report.matrix_text`: ``symconv matrix`` (dense excerpts, entry lists, LaTeX).
* :mod:`symconv.report.coverage_text`: ``symconv coverage`` (overlap counts, checkerboards).
* :mod:`symconv.report.theorem_text`: ``symconv prove`` (result table, details, JSON).
* :mod:`symconv.report.review_text`: ``symconv review`` (findings, valid sets, JSON).
* :mod:`symconv.report.explain`: ``symconv explain`` (the seed question, claim by claim).
* :mod:`symconv.report.latex` and :mod:`symconv.report.markdown`: the report document and the
  one-layer LaTeX document of ``symconv latex``.

Beside the renderers, :mod:`symconv.report.facts` gathers the checked facts of one layer for
``symconv latex``, and :mod:`symconv.report.build` is the ``symconv report`` job: collect,
render, write atomically.  Its public names are also reachable here
(``symconv.report.write_report``), loaded on first use so that the renderers stay cheap to import.
"""

from __future__ import annotations

import importlib
from typing import Any

_BUILD = frozenset({
    "COVERAGE_CASES", "EXAMPLES", "CoverageCase", "Example", "Figure", "Outcome", "ReportData",
    "ReportError", "collect", "render", "write_report",
})


def __getattr__(name: str) -> Any:
    if name in _BUILD:
        return getattr(importlib.import_module("symconv.report.build"), name)
    raise AttributeError(f"module 'symconv.report' has no attribute {name!r}")
