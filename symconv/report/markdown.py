"""Markdown renderer of the report: ``index.md``, readable on a code-hosting site.

Pure: a :class:`~symconv.report.model.ReportData` always gives the same text.  Prose is escaped
with :func:`md_escape`; theorem statements are shown in ```` ```math ```` blocks (rendered by
GitHub and GitLab); figures are linked relative to the report folder.

>>> md_escape("a_b * c | d")
'a\\\\_b \\\\* c \\\\| d'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from symconv.errors import SymconvError

if TYPE_CHECKING:
    from symconv.coverage import Checkerboard
    from symconv.report.model import ReportData
    from symconv.theory.theorem import Result

__all__ = ["index_document", "md_escape"]

_MD_SPECIAL = set("\\`*_[]<>|#")


def md_escape(text: str) -> str:
    """Text safe inside a Markdown paragraph or table cell (one line)."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in " ".join(str(text).split()))


def _anchor(tid: str) -> str:
    return "".join(c for c in tid.lower() if c.isalnum())


def _link(tid: str, verdicts: Mapping[str, str]) -> str:
    v = verdicts.get(tid, "not run")
    return f"[{md_escape(tid)}](#{_anchor(tid)}) ({md_escape(v)})"


def _answer(verdicts: Mapping[str, str]) -> list[str]:
    from symconv.report.explain import UPSAMPLING_ANSWER

    title, claims = UPSAMPLING_ANSWER
    lines = [f"## {md_escape(title)}", "",
             "The question that started symconv, originally asked in Turkish: *CNN'de örnekleme "
             "ve devrik evrişim aynı mıdır?* (\"In CNNs, are upsampling and transposed "
             "convolution the same thing?\"). Each claim links to the theorem that establishes "
             "it, with the verdict of this run.", ""]
    for text, ids in claims:
        cites = f" [{'; '.join(_link(i, verdicts) for i in ids)}]" if ids else ""
        lines.append(f"- {md_escape(text)}{cites}")
    return [*lines, ""]


def _summary(results: Sequence[Result]) -> list[str]:
    lines = ["| id | title | instances | numeric | steps | verdict |",
             "|----|-------|----------:|--------:|------:|---------|"]
    for r in results:
        t = r.theorem
        verdict = r.verdict if r.ok else f"**{r.verdict.upper()}**"
        lines.append(
            f"| [{md_escape(t.id)}](#{_anchor(t.id)}) | {md_escape(t.title)} | "
            f"{r.instances_holding}/{r.instances} | "
            f"{r.numeric_checks - r.numeric_failed}/{r.numeric_checks} | "
            f"{sum(s.ok for s in r.steps)}/{len(r.steps)} | {verdict} |")
    lines += ["", "Instances: exact checks holding / run (an instance may fail where the "
              "statement says it fails; those are the counterexamples, and the verdict stays "
              "*proved* when every one lies in the stated region). Numeric: cross-checks "
              "against the numpy reference ops agreeing with the statement / run. Steps: "
              "derivation steps that hold / total.", ""]
    return lines


def _theorem(r: Result) -> list[str]:
    t = r.theorem
    lines = [f'<a name="{_anchor(t.id)}"></a>', "", f"### {md_escape(t.id)}: {md_escape(t.title)}",
             "", "```math", t.statement, "```", ""]
    if t.exceptions:
        lines += ["Stated to fail:", "", "```math", t.exceptions, "```", ""]
    failing = r.instances - r.instances_holding
    text = (f"Verdict: **{r.verdict}**. {r.instances_holding} of {r.instances} exact instances "
            f"hold")
    if failing:
        text += f" ({failing} counterexamples" + (
            ", all in the stated region)" if not r.contradictions else ")")
    text += (f"; {r.numeric_checks} numeric cross-checks, {r.numeric_failed} disagreeing; "
             f"{sum(s.ok for s in r.steps)} of {len(r.steps)} derivation steps hold.")
    lines += [md_escape(text).replace("\\*\\*", "**"), ""]
    if r.contradictions:
        lines.append("Contradictions:")
        lines += [f"- {md_escape(_params(p))}: {md_escape(_clip(d))}"
                  for p, d in r.contradictions[:5]]
        lines.append("")
    if r.error:
        lines += [f"Error: {md_escape(_clip(r.error))}", ""]
    return lines


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cb(cb: Checkerboard) -> str:
    if cb.empty:
        return "no interior"
    if cb.uniform:
        return f"even ({cb.min})"
    ratio = "inf" if cb.ratio is None else str(cb.ratio)
    return (f"**uneven** {cb.min}..{cb.max}, ratio {ratio}, period "
            f"{'x'.join(map(str, cb.period))}")


def _name(layer: Any) -> str:
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except SymconvError:  # a spec the layer syntax cannot express: its repr
        return repr(layer)


def _coverage(data: ReportData) -> list[str]:
    lines = ["## Coverage and checkerboards at default shapes", "",
             "Forward coverage counts the (input, tap) pairs reaching each output position; "
             "gradient coverage counts the outputs each input position feeds. Interior "
             "positions only (borders are reported separately in the PDF).", ""]
    for case in data.coverage:
        a = case.analysis
        lines += [f"### {md_escape(case.title)}", "", md_escape(case.why), "",
                  "| layer | size | forward | gradient | even alternative |",
                  "|-------|------|---------|----------|------------------|"]
        for lc in a.per_layer:
            alt = "; ".join(f"`{_name(s.layer)}`" for s in lc.suggestions) or "-"
            size = "x".join(map(str, lc.input_size)) + " → " + "x".join(map(str, lc.output_size))
            lines.append(f"| `{_name(lc.layer)}` | {size} | {_cb(lc.forward)} | "
                         f"{_cb(lc.gradient)} | {alt} |")
        lines.append("")
        if len(a.layers) > 1:
            lines += [f"Stack output: {_cb(a.stack)} (the layers' unevenness "
                      f"{md_escape(a.interaction)}).", ""]
        lines += [f"Input gradient: {_cb(a.gradient)}.", "",
                  f"![{md_escape(case.caption)}]({case.figure})", ""]
    return lines


def index_document(data: ReportData, *, pdf: str = "symconv-report.pdf",
                   tex: str = "symconv-report.tex") -> str:
    """``index.md``: the answer to the seed question, the summary table, the statements, the
    coverage figures, and links to the PDF, the LaTeX source and the benchmarks."""
    verdicts = {r.theorem.id: r.verdict for r in data.results}
    proved = sum(r.ok for r in data.results)
    lines = [
        "# symconv report", "",
        f"Generated by `symconv report --grid {data.grid}` (symconv {data.version}, seed "
        f"{data.seed}); never edited by hand: run the command again to update it. The full "
        f"report with derivations, matrices and evidence tables: [{pdf}]({pdf}) (built when "
        f"pdflatex is installed; LaTeX source: [{tex}]({tex})).", "",
        f"**{proved} of {len(data.results)} theorems proved** on the {data.grid} grid.", "",
    ]
    lines += _answer(verdicts)
    lines += ["## The catalogue at a glance", ""]
    lines += _summary(data.results)
    lines += ["## Statements", ""]
    for r in data.results:
        lines += _theorem(r)
    lines += _coverage(data)
    if data.benchmarks:
        lines += ["## Benchmarks", "", "Speed measurements: [benchmarks.md](benchmarks.md).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
