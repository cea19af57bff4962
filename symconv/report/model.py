"""The data the report's renderers read: plain frozen records, no behaviour beyond a few
derived properties.

:mod:`symconv.report.build` fills :class:`ReportData` (the ``symconv report`` job) and
:mod:`symconv.report.facts` fills :class:`LayerFacts` (``symconv latex``); the renderers
(:mod:`symconv.report.latex`, :mod:`symconv.report.markdown`) depend on these types only, never
on the modules that compute them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv.core import IndexMap
    from symconv.spec import Layer
    from symconv.theory.theorem import Result

__all__ = [
    "Claim",
    "CoverageCase",
    "Example",
    "Figure",
    "LayerFacts",
    "Outcome",
    "ReportData",
    "SizeFormula",
]

# --------------------------------------------------------------------------- symconv report

@dataclass(frozen=True, slots=True)
class Example:
    """A small instance shown in a theorem's section: matrices ``(LaTeX label, SymPy matrix
    or IndexMap)`` and relations ``(LaTeX, holds)`` checked entry by entry."""

    caption: str
    matrices: tuple[tuple[str, Any], ...]
    relations: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class Figure:
    """A PNG of the report: relative file name, bytes, caption, theorems it illustrates."""

    name: str
    png: bytes
    caption: str
    theorems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class CoverageCase:
    """One coverage analysis at a default shape, with its figure."""

    key: str
    title: str
    why: str
    analysis: Any
    figure: str
    caption: str
    theorems: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows (see the module docs)."""

    version: str
    grid: str
    seed: int
    results: tuple[Result, ...]
    examples: dict[str, tuple[Example, ...]]
    coverage: tuple[CoverageCase, ...]
    figures: tuple[Figure, ...]
    benchmarks: bool = False

    @property
    def contradicted(self) -> tuple[Result, ...]:
        """Results whose verdict is not ``proved`` (a contradiction or an error)."""
        return tuple(r for r in self.results if not r.ok)

    @property
    def failed_examples(self) -> tuple[tuple[str, str], ...]:
        """``(theorem id, relation)`` of every example relation that did not hold."""
        return tuple((tid, rel) for tid, exs in sorted(self.examples.items())
                     for ex in exs for rel, ok in ex.relations if not ok)

    @property
    def ok(self) -> bool:
        return not self.contradicted and not self.failed_examples


@dataclass
class Outcome:
    """What :func:`write_report` did: the data, the files now in place, the PDF status and the
    time each stage took (for the command's summary only)."""

    data: ReportData
    out: Path
    files: list[str] = field(default_factory=list)
    pdf: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- symconv latex


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement about the layer: prose, an optional LaTeX formula, the theorems that
    prove it in general, and whether (and how) it was verified for this configuration."""

    text: str
    math: str
    theorems: tuple[str, ...]
    holds: bool
    how: str


@dataclass(frozen=True, slots=True)
class SizeFormula:
    """Output size of one axis: ``general`` in symbols (``None`` when the layer has no
    parameterised formula), ``values`` substituted into it, ``instantiated`` in ``symbol``
    alone, and its value at the input size."""

    axis: int
    symbol: Any
    general: Any
    values: tuple[tuple[Any, Any], ...]
    instantiated: Any
    input: int
    output: int


@dataclass(frozen=True, slots=True, eq=False)
class LayerFacts:
    """Everything ``symconv latex`` writes about one layer (see the module docs)."""

    layer: Layer
    name: str
    spec: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    sizes: tuple[SizeFormula, ...]
    size_check: Claim
    size_notes: tuple[str, ...]
    matrix: IndexMap | None
    matrix_label: str
    matrix_text: str
    sections: tuple[tuple[str, tuple[Claim, ...]], ...]
    coverage: tuple[tuple[str, Any], ...]
    notes: tuple[str, ...] = ()

    @property
    def claims(self) -> tuple[Claim, ...]:
        return (self.size_check, *(c for _, cs in self.sections for c in cs))

    @property
    def ok(self) -> bool:
        """Every claim held for this configuration."""
        return all(c.holds for c in self.claims)
