"""The results of a design review: findings with stable codes, tensor rows, exact valid-size
sets per axis, skip/restore checks and the :class:`Review` that holds them (pure values: no
analysis here)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from symconv.errors import InvalidSpecError
from symconv.network import Network

__all__ = ["CODES", "AxisValidity", "Finding", "Review", "SkipCheck", "TensorRow", "axis_list",
           "fmt_size", "intersect"]

#: code -> (name, severity)
CODES: dict[str, tuple[str, str]] = {
    "SC001": ("layer-rejects-input", "error"),
    "SC002": ("skip-mismatch", "error"),
    "SC003": ("no-valid-size", "error"),
    "SC004": ("channel-mismatch", "error"),
    "SC005": ("restore-mismatch", "error"),
    "SC101": ("checkerboard-risk", "warning"),
    "SC102": ("gradient-checkerboard", "warning"),
    "SC201": ("tf-same-asymmetric-padding", "warning"),
    "SC202": ("ceil-mode-last-window", "warning"),
    "SC203": ("count-include-pad-default", "warning"),
    "SC204": ("output-padding-not-adjoint", "warning"),
    "SC205": ("resize-coordinate-mode", "warning"),
    "SC206": ("maxunpool-index-semantics", "warning"),
    "SC207": ("decoder-restore", "warning"),
    "SC208": ("skip-size-constraint", "warning"),
    "SC301": ("receptive-field-exceeds-input", "warning"),
}

@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: stable ``code``, its ``name`` and ``severity``, the node it concerns."""

    code: str
    node: str | None
    message: str

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @property
    def severity(self) -> str:
        return CODES[self.code][1]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "node": self.node, "message": self.message}


@dataclass(frozen=True, slots=True)
class TensorRow:
    """A tensor (input or node output): exact size formula per axis, value at the input."""

    name: str
    op: str
    inputs: tuple[str, ...]
    formula: tuple[str, ...]
    value: tuple[int, ...] | None
    channels: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "formula": list(self.formula),
                "value": None if self.value is None else list(self.value),
                "channels": self.channels}


@dataclass(frozen=True, slots=True)
class AxisValidity:
    """The exact set of valid input sizes on one axis.

    ``n`` is valid iff ``n in below`` (for ``n < threshold``), or ``n mod period in classes``
    or ``n in isolated`` (for ``n >= threshold``).  ``reasons`` gives, for each excluded residue
    class past the threshold, the smallest failing size there and the first layer that
    rejects it.
    """

    axis: int
    symbol: str
    period: int
    threshold: int
    below: tuple[int, ...]
    classes: tuple[int, ...]
    isolated: tuple[int, ...] = ()
    reasons: tuple[tuple[int, str], ...] = ()
    argument: str = ""

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return False
        if n < self.threshold:
            return n in self.below
        return n % self.period in self.classes or n in self.isolated

    @property
    def empty(self) -> bool:
        return not (self.below or self.classes or self.isolated)

    @property
    def minimum(self) -> int | None:
        """The smallest valid size (``None`` when there is none)."""
        if self.below:
            return self.below[0]
        cands = [self.threshold + (r - self.threshold) % self.period for r in self.classes]
        cands += list(self.isolated)
        return min(cands) if cands else None

    def smallest(self, count: int) -> tuple[int, ...]:
        """The ``count`` smallest valid sizes."""
        out: list[int] = []
        n = 1
        limit = self.threshold + self.period * (count + 1) + max(self.isolated, default=0)
        while len(out) < count and n <= limit:
            if n in self:
                out.append(n)
            n += 1
        return tuple(out)

    def _start(self) -> int:
        """The smallest ``m`` with ``n valid <=> n mod P in classes`` for every ``n >= m``."""
        m = self.threshold
        while m > 1 and ((m - 1) in self) == ((m - 1) % self.period in self.classes):
            m -= 1
        return m

    def describe(self) -> str:
        """The set in words, e.g. ``H >= 16 and H = 0 mod 16`` (plus listed exceptions)."""
        s = self.symbol
        if self.empty:
            return f"no valid {s}"
        if not self.classes:
            pts = [*self.below, *self.isolated]
            return f"{s} in {{{', '.join(map(str, pts))}}}"
        m = self._start()
        q, residues = _reduce(self.period, self.classes)
        extra = [n for n in range(1, m) if n in self] + [
            n for n in self.isolated if n % self.period not in self.classes]
        if q == 1:
            cond = f"{s} >= {m}" if m > 1 else f"every {s} >= 1"
        else:
            first = min(m + (r - m) % q for r in residues)
            res = ", ".join(map(str, residues))
            mod = f"{s} = {res} mod {q}" if len(residues) == 1 else f"{s} mod {q} in {{{res}}}"
            cond = mod if first - q < 1 or (first <= m and _all_from_start(self, m, q, residues)) \
                else f"{s} >= {first} and {mod}"
        if extra:
            cond += f", or {s} in {{{', '.join(map(str, sorted(extra)))}}}"
        return cond

    def to_dict(self) -> dict[str, Any]:
        return {"axis": self.axis, "symbol": self.symbol, "period": self.period,
                "threshold": self.threshold, "below": list(self.below),
                "classes": list(self.classes), "isolated": list(self.isolated),
                "minimum": self.minimum, "description": self.describe(),
                "excluded": [{"example": n, "reason": why} for n, why in self.reasons],
                "argument": self.argument}


def _all_from_start(v: AxisValidity, m: int, q: int, residues: tuple[int, ...]) -> bool:
    """True when every ``n < m`` in the residue classes is valid too (no lower bound needed)."""
    return all(n in v for n in range(1, m) if n % q in residues)


def _reduce(period: int, classes: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """The smallest modulus ``q | period`` describing the same union of residue classes."""
    cs = set(classes)
    for q in range(1, period + 1):
        if period % q:
            continue
        if all((r in cs) == ((r % q) in {c % q for c in cs}) for r in range(period)):
            return q, tuple(sorted({c % q for c in cs}))
    return period, tuple(sorted(cs))


@dataclass(frozen=True, slots=True)
class SkipCheck:
    """A concat/add (or a declared ``restores``) checked for all sizes on one axis."""

    node: str
    kind: str  # "merge" or "restore"
    axis: int
    holds_always: bool
    counterexample: int | None
    sizes: tuple[tuple[str, int], ...]
    fix: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "kind": self.kind, "axis": self.axis,
                "holds_always": self.holds_always, "counterexample": self.counterexample,
                "sizes": [[n, v] for n, v in self.sizes], "fix": self.fix,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Review:
    """Everything :func:`review` found."""

    network: Network
    input_size: tuple[int, ...] | None
    tensors: tuple[TensorRow, ...]
    validity: tuple[AxisValidity | None, ...]
    checks: tuple[SkipCheck, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def without(self, codes: Sequence[str]) -> Review:
        """This review with the findings of ``codes`` dropped (e.g. accepted warnings).

        >>> r = Review(None, None, (), (), (), (Finding("SC101", "a", "m"),))  # type: ignore[arg-type]
        >>> r.without(["SC101"]).findings
        ()
        """
        unknown = [c for c in codes if c not in CODES]
        if unknown:
            raise InvalidSpecError(
                f"code={unknown[0]!r} must be one of {', '.join(CODES)}"
            )
        keep = tuple(f for f in self.findings if f.code not in set(codes))
        return dataclasses.replace(self, findings=keep)

    def node_findings(self, name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.node == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (schema: ``symconv/schema/review.schema.json``)."""
        return {
            "schema": "symconv-review/1",
            "network": self.network.name,
            "input_size": None if self.input_size is None else list(self.input_size),
            "tensors": [t.to_dict() for t in self.tensors],
            "valid_sizes": [None if v is None else v.to_dict() for v in self.validity],
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "notes": list(self.notes),
        }



def intersect(sets: Sequence[AxisValidity], symbol: str) -> AxisValidity:
    """The sizes valid on every one of ``sets`` (a symbol used on several axes), exactly.

    >>> a = AxisValidity(0, "N", 2, 3, (2,), (0,))
    >>> b = AxisValidity(1, "N", 3, 1, (), (0,))
    >>> intersect([a, b], "N").describe()
    'N = 0 mod 6'
    """
    period = math.lcm(*(v.period for v in sets))
    threshold = max(v.threshold for v in sets)
    below = tuple(n for n in range(1, threshold) if all(n in v for v in sets))
    classes = tuple(r for r in range(period)
                    if all((threshold + (r - threshold) % period) % v.period in v.classes
                           for v in sets))
    isolated = tuple(sorted({n for v in sets for n in v.isolated
                             if n >= threshold and n % period not in classes
                             and all(n in w for w in sets)}))
    return AxisValidity(sets[0].axis, symbol, period, threshold, below, classes, isolated)


def fmt_size(v: Sequence[Any]) -> str:
    """``(3, 4)`` -> ``'3x4'``."""
    return "x".join(map(str, v))


def axis_list(axes: Sequence[int]) -> str:
    """``[0, 2]`` -> ``'0, 2'``."""
    return ", ".join(map(str, axes))
