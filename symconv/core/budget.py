"""Budgets of the operator core: entries (``max_nnz``) and memory (``max_memory``), both
checked before anything of size O(nnz) is allocated.

Every builder and view computes the number of entries it will make from the sizes and the
parameters' values (Python ints: never overflowing), then calls :func:`check_budget`, which
refuses with one line naming the budget, the estimate and the option that raises it:

* **entries**: ``max_nnz`` (CLI ``--max-nnz``), default :data:`DEFAULT_MAX_NNZ` per view;
* **memory**: ``max_memory`` in bytes (CLI ``--max-memory``), default
  :data:`DEFAULT_MAX_MEMORY`, against the estimated peak of the process: the interpreter's
  baseline (:data:`BASELINE_BYTES`, Python with NumPy, SciPy and SymPy imported) plus the
  measured bytes per entry of the step (:data:`BYTES_PER_ENTRY`, counting every temporary;
  ``tests/benchmarks/bench_memory.py`` measures them against the real peak RSS) plus the
  arrays that already exist.  The default fits a process limited to 4 GiB of address space
  (``ulimit -v 4194304``) with about half a GiB to spare.

The verdict depends only on the input and the parameters (no probing of free memory), so
the same request gets the same answer on every machine; a machine with more memory passes a
larger ``max_memory``.

>>> check_budget(100, 99)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: max_nnz=99 must be at least the estimated 100 entries of this numeric map (about 256 MiB with the baseline); pass max_nnz= (CLI: --max-nnz) to raise the budget
>>> check_budget(10**8, 10**9, per_entry=40)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: max_memory=3,758,096,384 bytes must be at least the estimated 4,268,435,456 bytes (4.0 GiB) of this numeric map of 100,000,000 entries (with a 256 MiB baseline); pass max_memory= (CLI: --max-memory) to raise the budget
>>> plan_of(lambda: check_budget(12, per_entry=30)).nnz
12
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from symconv.errors import InvalidSpecError

__all__ = [
    "BASELINE_BYTES",
    "BYTES_PER_ENTRY",
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_NNZ",
    "Plan",
    "check_budget",
    "check_max_memory",
    "check_memory",
    "format_bytes",
    "plan_of",
]

#: Default entry budgets per view.  ``symbolic``: SymPy objects (about 300 bytes and 2 us per
#: entry); ``numeric``: SciPy CSR and the index arrays; ``json``: an entry listing
#: (``symconv matrix --json``), about 1 us and 40 bytes of text per entry; ``latex``: the maps
#: of a ``symconv latex`` derivation (about 1 us and 40-220 bytes per entry).
DEFAULT_MAX_NNZ = {"symbolic": 2_000_000, "numeric": 50_000_000, "json": 2_000_000,
                   "latex": 10_000_000}

#: Default memory budget of the process (baseline included), in bytes: 3.5 GiB, so that a
#: request accepted by default fits under a 4 GiB address-space limit.
DEFAULT_MAX_MEMORY = 7 << 29

#: Peak memory of the process before any map is built: Python with NumPy, SciPy, SymPy,
#: click and symconv imported (measured: 205 MiB of address space, 90 MiB resident).
BASELINE_BYTES = 256 << 20

#: Measured peak bytes per entry of each step, every temporary counted (the arrays the step
#: starts from are counted separately, from their ``nbytes``): builders by kind (``build-*``),
#: the views (``numeric``: SciPy CSR from the index arrays; ``symbolic``: a SymPy
#: SparseMatrix), the algebra (``canonical``: sort and sum; ``compose``: the joined entries,
#: before their canonical form) and the steps of ``symconv matrix`` (``pattern``: the
#: structural nonzeros as a boolean CSR; ``json-symbolic`` / ``json-numeric``: the entry
#: listing).  ``tests/benchmarks/bench_memory.py`` checks each against the real peak RSS.
BYTES_PER_ENTRY: dict[str, int] = {
    "build-conv": 24,
    "build-separable": 16,
    "coefficients": 16,
    "build-permutation": 16,
    "build-selection": 48,
    "build-unpool": 40,
    "build-slice": 18,
    "numeric": 36,
    "symbolic": 420,
    "canonical": 28,
    "compose": 96,
    "pattern": 18,
    "json-symbolic": 150,
    "json-numeric": 60,
}

_NAMES = {"max_nnz": "max_nnz= (CLI: --max-nnz)", "max_memory": "max_memory= (CLI: --max-memory)"}


def format_bytes(n: int) -> str:
    """``4.0 GiB``, ``512 MiB``, ``12,345 bytes``: a byte count for messages.

    >>> format_bytes(3 << 30), format_bytes(300 << 20), format_bytes(1000), format_bytes(2**90)
    ('3.0 GiB', '300 MiB', '1,000 bytes', 'at least 2**90 bytes')
    """
    if n >= 1 << 80:
        return f"at least 2**{n.bit_length() - 1} bytes"
    for unit, shift in (("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{n:,} bytes"


def _about(n: int) -> str:
    shown = format_bytes(n)
    return shown if shown.startswith("at least") else f"about {shown}"


def _count(n: int) -> str:
    """A count with thousands separators, a huge one as the power of two below it (the
    caller says "at least")."""
    if n < 10**60:
        return f"{n:,}"
    return f"2**{n.bit_length() - 1}"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a builder would allocate: its entries, its entry-budget view and its peak bytes
    (baseline excluded), as found by :func:`plan_of`."""

    nnz: int
    view: str
    nbytes: int


class _Planned(Exception):
    """Raised by :func:`check_budget` inside :func:`plan_of` to stop before allocating."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan)
        self.plan = plan


_PLANNING: ContextVar[bool] = ContextVar("symconv_core_planning", default=False)


@contextmanager
def _planning() -> Iterator[None]:
    token = _PLANNING.set(True)
    try:
        yield
    finally:
        _PLANNING.reset(token)


def plan_of(build: Callable[[], Any]) -> Plan:
    """The entries and bytes the call ``build()`` would allocate, without allocating them.

    Every builder validates its parameters and then calls :func:`check_budget` before it
    allocates anything of size O(nnz); here that first call stops the build and reports its
    estimate (validation errors propagate as usual).  A build that never checks a budget is
    small; it runs and its result's entries are reported.
    """
    with _planning():
        try:
            result = build()
        except _Planned as stop:
            return stop.plan
    nnz = int(getattr(result, "nnz", 0))
    return Plan(nnz, "numeric", nnz * BYTES_PER_ENTRY["build-conv"])


def check_budget(
    estimate: int,
    max_nnz: int | None = None,
    view: str = "numeric",
    *,
    max_memory: int | None = None,
    per_entry: int | None = None,
    extra_bytes: int = 0,
    what: str = "map",
) -> None:
    """Refuse to build more than ``max_nnz`` entries (default per view) or more than
    ``max_memory`` bytes (default :data:`DEFAULT_MAX_MEMORY`), stating the estimate.

    ``estimate`` is the number of entries about to be made; ``per_entry`` the step's peak
    bytes per entry (default: the view's, :data:`BYTES_PER_ENTRY`); ``extra_bytes`` what the
    step needs besides (arrays that already exist, per-axis tables).  The memory estimate is
    ``BASELINE_BYTES + estimate * per_entry + extra_bytes``.  ``what`` names the object in the
    message (``map``, ``listing``).
    """
    estimate = int(estimate)
    per = BYTES_PER_ENTRY.get(view, BYTES_PER_ENTRY["numeric"]) if per_entry is None else per_entry
    need = BASELINE_BYTES + estimate * int(per) + int(extra_bytes)
    if _PLANNING.get():
        raise _Planned(Plan(estimate, view, need - BASELINE_BYTES))
    limit = DEFAULT_MAX_NNZ.get(view, DEFAULT_MAX_NNZ["numeric"]) if max_nnz is None else max_nnz
    if estimate > limit:
        shown = _count(estimate) if estimate < 10**60 else f"at least {_count(estimate)}"
        raise InvalidSpecError(
            f"max_nnz={limit} must be at least the estimated {shown} entries of this "
            f"{view} {what} ({_about(need)} with the baseline); pass "
            f"{_NAMES['max_nnz']} to raise the budget"
        )
    count = _count(estimate) if estimate < 10**60 else f"at least {_count(estimate)}"
    check_memory(need, max_memory, f"of this {view} {what} of {count} entries "
                                   f"(with a {format_bytes(BASELINE_BYTES)} baseline)")


def check_memory(need: int, max_memory: int | None, what: str) -> None:
    """Refuse when the estimated peak ``need`` (bytes, baseline included) exceeds
    ``max_memory`` (default :data:`DEFAULT_MAX_MEMORY`); ``what`` describes the estimate."""
    if _PLANNING.get():
        raise _Planned(Plan(0, "memory", need - BASELINE_BYTES))
    limit = DEFAULT_MAX_MEMORY if max_memory is None else check_max_memory(max_memory)
    if need > limit:
        shown = f"{need:,} bytes ({format_bytes(need)})" if need < 10**60 else format_bytes(need)
        raise InvalidSpecError(
            f"max_memory={_count(limit)} bytes must be at least the estimated {shown} {what}; "
            f"pass {_NAMES['max_memory']} to raise the budget"
        )


def check_max_memory(value: Any) -> int:
    """``max_memory`` as a caller gave it: a positive int of bytes (bool refused).

    >>> check_max_memory("3GiB")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: max_memory='3GiB' must be a positive integer (bytes)
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        shown = _count(value) if isinstance(value, int) and not isinstance(value, bool) else \
            repr(value)[:80]
        raise InvalidSpecError(f"max_memory={shown} must be a positive integer (bytes)")
    return int(value)
