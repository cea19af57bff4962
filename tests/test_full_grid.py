"""The whole catalogue on the exhaustive "full" grid.

Not part of the default run: on this project's 2-core machine it takes about 85 s of CPU time
(4-5 minutes of wall time on a loaded machine), too much for the CI budget next to the rest of
the suite.  Run it with ``SYMCONV_FULL_GRID=1 python -m pytest tests/test_full_grid.py`` or
``symconv prove --grid full``.
"""

from __future__ import annotations

import os

import pytest

from symconv.theory.theorem import Theorem, load_theorems, run_theorem

pytestmark = pytest.mark.skipif(
    os.environ.get("SYMCONV_FULL_GRID") != "1",
    reason="full grid: set SYMCONV_FULL_GRID=1 (about 85 s CPU)",
)


@pytest.mark.slow
@pytest.mark.parametrize("theorem", load_theorems(), ids=lambda t: t.id)
def test_theorem_is_proved_on_the_full_grid(theorem: Theorem) -> None:
    result = run_theorem(theorem, grid="full")
    assert result.verdict == "proved", result.contradictions[:3] or result.error
