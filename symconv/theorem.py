"""Theorem machinery: statements, derivations, exact instance checks, numeric cross-checks.

A :class:`Theorem` bundles

* an id, a title and a LaTeX statement, with the parameters it quantifies over;
* a *derivation*: a list of :class:`Step` objects, each an equation between SymPy expressions
  in symbolic ``n, k, s, p, d, ...``; a step is proven symbolically when
  ``expand(rewrite(lhs - rhs)) == 0`` and is always also evaluated on concrete values;
* *exact instance checks*: a function of one parameter combination returning a :class:`Check`
  (typically: two symbolic matrices compared entry by entry), run over an exhaustive grid;
* *numeric checks* against :mod:`symconv.numeric` with seeded random data;
* optionally ``expected(params)``: where the statement itself says the identity fails (a
  theorem may be false on a precisely described region; that is a feature).

:func:`run_theorem` runs all evidence and returns a :class:`Result` whose verdict is
``"proved"`` when every instance agrees with the statement (including its stated failure
region), and ``"contradicted"`` otherwise, with the counterexamples.

>>> t = Theorem(id="T00", title="x + x = 2x", statement=r"x + x = 2x",
...             grid=lambda size: [{"x": v} for v in range(3)],
...             check=lambda p: Check(p["x"] + p["x"] == 2 * p["x"]))
>>> r = run_theorem(t)
>>> r.verdict, r.instances
('proved', 3)
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symconv.errors import ProofError, SymconvError

__all__ = [
    "Check",
    "Result",
    "Step",
    "StepResult",
    "Theorem",
    "default_proofs_dir",
    "load_theorems",
    "run_theorem",
]

Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Check:
    """Outcome of one exact or numeric check: does the identity hold here, and why not."""

    holds: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One derivation step ``lhs = rhs`` (SymPy expressions), with a sentence saying why.

    ``values`` gives the concrete substitutions used to evaluate both sides (a list of dicts
    from symbol to int).  ``evaluate`` optionally computes both sides from such a dict with
    integer arithmetic (much faster than substituting into SymPy expressions, and it exercises
    the integer code users run); without it the SymPy expressions are substituted.
    """

    text: str
    lhs: Any
    rhs: Any
    values: tuple[Mapping[Any, int], ...] = ()
    evaluate: Callable[[Mapping[Any, int]], tuple[Any, Any]] | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    step: Step
    symbolic: bool  # proven by expand(lhs - rhs) == 0 after rewriting floor/Mod
    evaluated: int  # number of concrete substitutions checked
    failed: Mapping[Any, int] | None  # first failing substitution, if any

    @property
    def ok(self) -> bool:
        return self.failed is None and (self.symbolic or self.evaluated > 0)


@dataclass(frozen=True)
class Theorem:
    """A statement with its evidence (see the module docstring)."""

    id: str
    title: str
    statement: str
    grid: Callable[[str], Iterable[Params]]
    check: Callable[[Params], Check]
    parameters: tuple[str, ...] = ()
    derivation: Callable[[], Sequence[Step]] | None = None
    numeric: Callable[[Params, Any], Check] | None = None
    expected: Callable[[Params], bool] | None = None
    exceptions: str = ""  # LaTeX description of where the identity is stated to fail
    references: tuple[str, ...] = ()
    numeric_grid: Callable[[str], Iterable[Params]] | None = None
    source: str = ""


@dataclass
class Result:
    """Everything a run established about one theorem."""

    theorem: Theorem
    verdict: str = "proved"
    instances: int = 0
    instances_holding: int = 0
    numeric_checks: int = 0
    numeric_failed: int = 0
    steps: list[StepResult] = field(default_factory=list)
    counterexamples: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    contradictions: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "proved"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (deterministic apart from ``seconds``)."""
        t = self.theorem
        return {
            "id": t.id,
            "title": t.title,
            "statement": t.statement,
            "exceptions": t.exceptions,
            "verdict": self.verdict,
            "instances": self.instances,
            "instances_holding": self.instances_holding,
            "numeric_checks": self.numeric_checks,
            "numeric_failed": self.numeric_failed,
            "derivation": [
                {"text": s.step.text, "lhs": str(s.step.lhs), "rhs": str(s.step.rhs),
                 "symbolic": s.symbolic, "evaluated": s.evaluated,
                 "failed": None if s.failed is None else {str(k): v for k, v in s.failed.items()}}
                for s in self.steps
            ],
            "counterexamples": [{"params": _jsonable(p), "detail": d}
                                for p, d in self.counterexamples[:20]],
            "contradictions": [{"params": _jsonable(p), "detail": d}
                               for p, d in self.contradictions[:20]],
            "seconds": {k: round(v, 3) for k, v in sorted(self.seconds.items())},
            "error": self.error,
        }

    def _repr_latex_(self) -> str:
        t = self.theorem
        return (f"$\\textbf{{{t.id}}}$ {t.title}: ${t.statement}$ — {self.verdict} "
                f"({self.instances} instances, {self.numeric_checks} numeric checks)")


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        out[k] = v if isinstance(v, int | float | str | bool | type(None)) else str(v)
    return out


def check_step(step: Step) -> StepResult:
    """Prove a step symbolically if SymPy can; evaluate it on its concrete values anyway."""
    import sympy

    diff = sympy.sympify(step.lhs) - sympy.sympify(step.rhs)  # safe: SymPy objects, not text
    symbolic = False
    try:
        rewritten = diff.rewrite(sympy.floor) if diff.has(sympy.Mod) else diff
        symbolic = sympy.expand(rewritten) == 0
    except (TypeError, ValueError, NotImplementedError):
        symbolic = False
    failed = None
    count = 0
    for values in step.values:
        if step.evaluate is not None:
            left, right = step.evaluate(values)
            same = left == right
        else:
            same = diff.subs(values) == 0
        count += 1
        if not same:
            failed = values
            break
    return StepResult(step, bool(symbolic), count, failed)


def run_theorem(
    theorem: Theorem,
    grid: str = "small",
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Run every kind of evidence of ``theorem`` and return the :class:`Result`."""
    import numpy as np

    result = Result(theorem)
    try:
        t0 = time.perf_counter()
        if theorem.derivation is not None:
            result.steps = [check_step(s) for s in theorem.derivation()]
        t1 = time.perf_counter()
        for params in theorem.grid(grid):
            outcome = theorem.check(params)
            stated = True if theorem.expected is None else theorem.expected(params)
            result.instances += 1
            if outcome.holds:
                result.instances_holding += 1
            else:
                result.counterexamples.append((dict(params), outcome.detail))
            if outcome.holds != stated:
                claim = "holds" if stated else "fails"
                result.contradictions.append(
                    (dict(params), f"statement says it {claim}: {outcome.detail}")
                )
            if progress is not None:
                progress(1)
        t2 = time.perf_counter()
        if theorem.numeric is not None:
            rng = np.random.default_rng(seed)
            source = theorem.numeric_grid or theorem.grid
            for params in source(grid):
                stated = True if theorem.expected is None else theorem.expected(params)
                outcome = theorem.numeric(params, rng)
                result.numeric_checks += 1
                if outcome.holds != stated:
                    result.numeric_failed += 1
                    result.contradictions.append((dict(params), f"numeric: {outcome.detail}"))
        t3 = time.perf_counter()
        result.seconds = {"derivation": t1 - t0, "instances": t2 - t1, "numeric": t3 - t2}
    except SymconvError as exc:
        result.verdict, result.error = "error", f"{type(exc).__name__}: {exc}"
        return result
    except Exception as exc:  # a bug in a theorem module is an error verdict, not a crash
        result.verdict = "error"
        result.error = f"the theorem's code raised {type(exc).__name__}: {exc}"
        return result
    bad_steps = [s for s in result.steps if not s.ok]
    if result.contradictions or result.numeric_failed or bad_steps:
        result.verdict = "contradicted"
    elif result.instances == 0:
        result.verdict, result.error = "error", "the grid produced no instances"
    return result


def product_grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """Every combination of the given parameter values (an exhaustive box)."""
    names = list(axes)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(list(v) for v in axes.values()))]


def default_proofs_dir() -> Path:
    """``proofs/`` next to the installed package (a checkout installed with ``pip install -e``)."""
    return Path(__file__).resolve().parent.parent / "proofs"


def load_theorems(directory: str | Path | None = None) -> list[Theorem]:
    """Import every ``*.py`` module of ``directory`` (not starting with ``_``) and collect the
    ``THEOREM`` (or ``THEOREMS``) it defines, sorted by id.

    The modules are Python code the user chose to run, exactly like test files.
    """
    folder = Path(directory) if directory is not None else default_proofs_dir()
    if not folder.is_dir():
        raise ProofError(f"proofs={str(folder)!r} must be a folder of theorem modules")
    found: list[Theorem] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"symconv_proofs_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a broken user module is reported, not a crash
            raise ProofError(f"proof module {path.name} failed to import: "
                             f"{type(exc).__name__}: {exc}") from None
        items = getattr(module, "THEOREMS", None) or [getattr(module, "THEOREM", None)]
        for item in items:
            if isinstance(item, Theorem):
                found.append(item)
    ids = [t.id for t in found]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ProofError(f"theorem ids must be unique, repeated: {', '.join(dup)}")
    return sorted(found, key=lambda t: _id_key(t.id))


def _id_key(tid: str) -> tuple[str, int, str]:
    head = tid.rstrip("0123456789")
    digits = tid[len(head):]
    return (head, int(digits) if digits else -1, tid)
