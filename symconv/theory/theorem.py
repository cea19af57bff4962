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

Theorem modules build their grids with the helpers at the end: :func:`product_grid` (an
exhaustive box), :func:`valid_instances` (keep the instances whose layers exist),
:func:`thin_grid` (the numeric subset), :func:`per_axis`, :func:`instance_rng` (data seeded by
the instance itself) and :func:`out_shape`.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from symconv.errors import InvalidSpecError, ProofError, SymconvError

if TYPE_CHECKING:
    import numpy as np

    from symconv.core import IndexMap

__all__ = [
    "Check",
    "Result",
    "Step",
    "StepResult",
    "Theorem",
    "conv_grid",
    "default_proofs_dir",
    "grid_layer",
    "instance_rng",
    "is_valid",
    "load_theorems",
    "out_shape",
    "pad_pairs",
    "per_axis",
    "product_grid",
    "run_theorem",
    "thin_grid",
    "valid_instances",
]

Params = Mapping[str, Any]
_L = TypeVar("_L")


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

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InvalidSpecError(f"seed={str(seed)[:40]} must be a non-negative integer below "
                               "2**63 (the seed of numpy's default_rng)")
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


# --------------------------------------------------------------------------- grid helpers


def product_grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """Every combination of the given parameter values (an exhaustive box).

    >>> product_grid(k=[1, 2], s=[1], ndim=[1])
    [{'k': 1, 's': 1, 'ndim': 1}, {'k': 2, 's': 1, 'ndim': 1}]
    """
    names = list(axes)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(list(v) for v in axes.values()))]


def is_valid(build: Callable[[Params], object], params: Params) -> bool:
    """True when the instance exists: ``build(params)`` (typically: make the layers and
    resolve their sizes) raises no :class:`~symconv.errors.InvalidSpecError`.

    >>> from symconv.sizes.shapes import resolve
    >>> from symconv.spec import Conv
    >>> def build(p):
    ...     return resolve(Conv(kernel=p["k"]), p["n"])
    >>> is_valid(build, {"n": 3, "k": 3}), is_valid(build, {"n": 2, "k": 3})
    (True, False)
    """
    try:
        build(params)
    except InvalidSpecError:
        return False
    return True


def valid_instances(
    candidates: Iterable[Params], build: Callable[[Params], object]
) -> list[Any]:
    """The candidates that exist (:func:`is_valid`), in order: a box of parameters holds
    combinations no layer accepts (a kernel larger than the padded input, ...).

    >>> from symconv.sizes.shapes import resolve
    >>> from symconv.spec import Conv
    >>> grid = product_grid(n=[1, 2, 3], k=[3])
    >>> valid_instances(grid, lambda p: resolve(Conv(kernel=p["k"]), p["n"]))
    [{'n': 3, 'k': 3}]
    """
    return [params for params in candidates if is_valid(build, params)]


def conv_grid(size: str) -> list[dict[str, Any]]:
    """Candidate convolutions of the gradient theorems (T03, T04): an exhaustive 1-D box of
    ``n, k, s, p, d``, 2-D cases with channels ``(C_in, C_out, groups)`` and one 3-D case;
    ``size`` is ``"small"`` or ``"full"`` (larger ranges).  Filter with :func:`valid_instances`.

    >>> grid = conv_grid("small")
    >>> len(grid), grid[0], grid[-1]["ndim"]
    (673, {'n': 1, 'k': 1, 's': 1, 'p': 0, 'd': 1, 'ndim': 1, 'channels': (1, 1, 1)}, 3)
    """
    big = size == "full"
    one_d = product_grid(n=range(1, 13 if big else 9), k=range(1, 6 if big else 5),
                         s=range(1, 5 if big else 4), p=range(0, 3),
                         d=range(1, 4 if big else 3), ndim=[1], channels=[(1, 1, 1)])
    two_d = product_grid(n=[(3, 4), (5, 2), (6, 7)] if big else [(3, 4), (6, 7)],
                         k=[(2, 3), (3, 1)], s=[(2, 1), (3, 2)], p=[0, (1, 0)], d=[1, 2],
                         ndim=[2], channels=[(1, 1, 1), (4, 2, 2), (2, 6, 2)])
    three_d = [{"n": (3, 4, 3), "k": (2, 1, 2), "s": (2, 1, 1), "p": (1, 0, 1), "d": (1, 1, 2),
                "ndim": 3, "channels": (4, 2, 2)}]
    return one_d + two_d + three_d


def thin_grid(grid: Iterable[Params], every: int) -> list[Any]:
    """The numeric-check subset of an exact grid: every instance with ``ndim >= 2`` and every
    ``every``-th instance (by position in ``grid``) otherwise; the exact check covers all.

    >>> thin_grid([{"ndim": 1, "k": k} for k in range(5)] + [{"ndim": 2, "k": 9}], 4)
    [{'ndim': 1, 'k': 0}, {'ndim': 1, 'k': 4}, {'ndim': 2, 'k': 9}]
    """
    return [q for i, q in enumerate(grid) if q["ndim"] >= 2 or i % every == 0]


def per_axis(value: Any, ndim: int) -> tuple[Any, ...]:
    """A grid value on each of ``ndim`` axes: a tuple as given, anything else repeated.

    >>> per_axis(3, 2), per_axis((2, 3), 2), per_axis(((1, 0),), 1)
    ((3, 3), (2, 3), ((1, 0),))
    """
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim


def pad_pairs(value: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """A grid padding as ``(before, after)`` per axis: an int pads both sides.

    >>> pad_pairs(1, 2), pad_pairs(((0, 1),), 1), pad_pairs((1, (2, 0)), 2)
    (((1, 1), (1, 1)), ((0, 1),), ((1, 1), (2, 0)))
    """
    return tuple(q if isinstance(q, tuple) else (q, q) for q in per_axis(value, ndim))


def grid_layer(cls: Callable[..., _L], params: Params, **changes: Any) -> _L:
    """The layer ``cls`` of a grid instance in the catalogue's names: kernel ``k``, stride
    ``s``, padding ``p``, dilation ``d``, groups ``channels[2]`` and ``ndim``; ``changes``
    override or add parameters (``output_padding=params["op"]``, channel counts, ...).

    >>> from symconv.spec import Conv, ConvTranspose
    >>> q = {"k": 3, "s": 2, "p": 1, "d": 1, "channels": (4, 2, 2), "ndim": 1, "op": 1}
    >>> grid_layer(Conv, q)
    Conv(kernel=3, stride=2, padding=1, groups=2)
    >>> grid_layer(ConvTranspose, q, output_padding=q["op"], dilation=2).dilation
    (2,)
    """
    layer = {"kernel": params["k"], "stride": params["s"], "padding": params["p"],
             "dilation": params["d"], "groups": params["channels"][2], "ndim": params["ndim"]}
    return cls(**{**layer, **changes})


def instance_rng(params: Params) -> np.random.Generator:
    """A generator seeded by the instance itself (its parameters except ``mutation``), so an
    exact check needs no outside state and a mutated run sees the same data.

    >>> a = instance_rng({"n": 4, "k": 3}).integers(-9, 10, 3)
    >>> b = instance_rng({"k": 3, "n": 4, "mutation": "x"}).integers(-9, 10, 3)
    >>> bool((a == b).all())
    True
    """
    import numpy as np

    key = repr(sorted((k, v) for k, v in params.items() if k != "mutation"))
    return np.random.default_rng(zlib.crc32(key.encode()))


def out_shape(m: IndexMap) -> tuple[int, ...]:
    """The map's output shape ``(C, *spatial)`` (every layer builder sets it).

    >>> from symconv.core import conv_map
    >>> from symconv.spec import Conv
    >>> out_shape(conv_map(Conv(kernel=2), (1, 3), 1))
    (1, 2)
    """
    if m.out_shape is None:
        raise ProofError("a layer map must carry its output shape")
    return m.out_shape


def default_proofs_dir() -> Path:
    """``proofs/`` next to the installed package (a checkout installed with ``pip install -e``)."""
    return Path(__file__).resolve().parents[2] / "proofs"


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
