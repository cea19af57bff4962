"""T21 in the catalogue: it proves every listed layer for all sizes, and it can fail."""

from __future__ import annotations

from symconv.spec import MaxPool
from symconv.theory.theorem import load_theorems, run_theorem


def _t21():  # type: ignore[no-untyped-def]
    return next(t for t in load_theorems() if t.id == "T21")


def test_t21_is_proved_on_the_small_grid() -> None:
    r = run_theorem(_t21())
    assert r.verdict == "proved"
    assert r.instances > 500 and r.instances == r.instances_holding


def test_t21_refutes_plain_ceil() -> None:
    """Mutation: the textbook ceil formula for ceil-mode pooling is refuted with a size."""

    def plain_ceil(n: int) -> int:
        return -(-(n + 0 - 1) // 2) + 1  # ceil((n - k)/s) + 1 with k=1, s=2

    spec = MaxPool(kernel=1, stride=2, ceil_mode=True)
    check = _t21().check({"layer": spec, "closed_form": plain_ceil})
    assert not check.holds
    assert "counterexample" in check.detail or "n=" in check.detail
