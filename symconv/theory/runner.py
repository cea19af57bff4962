"""Select and run theorems from a proofs folder (shared by ``symconv prove`` and the report).

>>> from symconv.theory.runner import select
>>> [t.id for t in select(None, ("T02",))]
['T02']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from symconv.errors import InvalidSpecError
from symconv.theory.theorem import Result, Theorem, load_theorems, run_theorem

__all__ = ["run_catalogue", "select"]


def select(proofs_dir: str | Path | None, ids: Sequence[str]) -> list[Theorem]:
    """The theorems of ``proofs_dir`` (default ``proofs/``) whose ids are in ``ids`` (all if empty),
    in catalogue order; an unknown id is an error naming the known ones."""
    theorems = load_theorems(proofs_dir)
    if not ids:
        return theorems
    known = {t.id.upper(): t for t in theorems}
    missing = [i for i in ids if i.upper() not in known]
    if missing:
        raise InvalidSpecError(
            f"ids={','.join(missing)} must name theorems of the catalogue "
            f"({', '.join(t.id for t in theorems)})"
        )
    wanted = {i.upper() for i in ids}
    return [t for t in theorems if t.id.upper() in wanted]


def run_catalogue(
    theorems: Sequence[Theorem],
    *,
    grid: str = "small",
    seed: int = 0,
    on_done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run each theorem (same seed for each, so results do not depend on the selection)."""
    results = []
    for t in theorems:
        r = run_theorem(t, grid=grid, seed=seed)
        results.append(r)
        if on_done is not None:
            on_done(r)
    return results
