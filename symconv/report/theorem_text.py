"""Pure renderers for theorem results: a text table, a detail block, JSON-able data.

>>> from symconv.theory.theorem import Theorem, Check, run_theorem
>>> t = Theorem(id="T00", title="trivial", statement="0 = 0",
...             grid=lambda size: [{}], check=lambda p: Check(True))
>>> print(render_table([run_theorem(t)], timings=False))
id   title    instances  numeric  verdict
---  -------  ---------  -------  -------
T00  trivial  1/1        0        proved
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symconv.theory.theorem import Result, Theorem

__all__ = ["render_details", "render_list", "render_table", "results_json"]


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_table(results: Sequence[Result], *, timings: bool = True) -> str:
    """One row per theorem: id, title, instances holding/run, numeric checks, verdict, time."""
    head = ["id", "title", "instances", "numeric", "verdict"] + (["time"] if timings else [])
    rows = [head]
    for r in results:
        row = [r.theorem.id, r.theorem.title, f"{r.instances_holding}/{r.instances}",
               str(r.numeric_checks), r.verdict]
        if timings:
            row.append(f"{sum(r.seconds.values()):.2f}s")
        rows.append(row)
    return _table(rows)


def render_details(result: Result) -> str:
    """Statement, derivation steps, counterexamples and contradictions of one result."""
    t = result.theorem
    lines = [f"{t.id} — {t.title}", f"  statement: {t.statement}"]
    if t.exceptions:
        lines.append(f"  stated exceptions: {t.exceptions}")
    for i, s in enumerate(result.steps, 1):
        how = "proved symbolically" if s.symbolic else "not proved symbolically"
        status = "ok" if s.ok else f"FAILED at {s.failed}"
        lines.append(f"  step {i}: {s.step.text} [{how}; {s.evaluated} values; {status}]")
    if result.counterexamples:
        lines.append(f"  where the identity fails ({len(result.counterexamples)} instances), "
                     "e.g.:")
        for params, detail in result.counterexamples[:3]:
            lines.append(f"    {_params(params)}: {detail}")
    for params, detail in result.contradictions[:5]:
        lines.append(f"  CONTRADICTION {_params(params)}: {detail}")
    if result.error:
        lines.append(f"  error: {result.error}")
    return "\n".join(lines)


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def render_list(theorems: Sequence[Theorem]) -> str:
    """The catalogue: id, title and statement."""
    rows = [["id", "title", "statement"]]
    rows += [[t.id, t.title, t.statement] for t in theorems]
    return _table(rows)


def results_json(results: Sequence[Result], *, timings: bool = True) -> dict[str, Any]:
    """JSON-able document of a run (drop timings for byte-identical output)."""
    items = []
    for r in results:
        d = r.to_dict()
        if not timings:
            d.pop("seconds")
        items.append(d)
    return {"theorems": items, "all_proved": all(r.ok for r in results)}
