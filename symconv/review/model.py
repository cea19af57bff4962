"""The results of a design review: findings with stable codes, tensor rows, exact valid-size
sets per axis, skip/restore checks and the :class:`Review` that holds them (pure values: no
analysis here)."""

from __future__ import annotations

import bisect
import dataclasses
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from symconv.errors import InvalidSpecError
from symconv.network.model import Network

__all__ = ["CODES", "AxisValidity", "Finding", "JointConstraint", "JointKind", "RestoreRow",
           "Review", "SkipCheck", "TensorRow", "axis_list", "fmt_size", "intersect", "members"]

#: code -> (name, severity)
CODES: dict[str, tuple[str, str]] = {
    "SC001": ("layer-rejects-input", "error"),
    "SC002": ("skip-mismatch", "error"),
    "SC003": ("no-valid-size", "error"),
    "SC004": ("channel-mismatch", "error"),
    "SC005": ("restore-mismatch", "error"),
    "SC006": ("broadcast-mismatch", "error"),
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
    "SC209": ("inferred-restore", "warning"),
    "SC210": ("window-on-padding-only", "warning"),
    "SC301": ("receptive-field-exceeds-input", "warning"),
    "SC302": ("partial-analysis", "warning"),
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
    class past the threshold (the first 64 by example when there are more;
    ``excluded_classes`` counts them all), the smallest failing size there whose first
    failing layer is the class's, and why.  ``subject_to`` names the joint constraints
    (:class:`JointConstraint`) that restrict this symbol together with others: the set holds
    every rule that involves this symbol alone.
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
    excluded_classes: int = 0
    subject_to: tuple[str, ...] = ()

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return False
        if n < self.threshold:
            return _has(self.below, n)
        return _has(self.classes, n % self.period) or _has(self.isolated, n)

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
        """The ``count`` smallest valid sizes.

        >>> AxisValidity(0, "H", 4, 5, (2, 3), (1,), (6,)).smallest(4)
        (2, 3, 5, 6)
        """
        out = list(self.below[:count])
        if not self.classes:
            return tuple(out + list(self.isolated))[:count]
        base = self.threshold - self.threshold % self.period
        iso = list(self.isolated)
        while len(out) < count:
            block = [base + r for r in self.classes if base + r >= self.threshold]
            block += [n for n in iso if base <= n < base + self.period]
            out += sorted(set(block))
            base += self.period
        return tuple(out[:count])

    def _start(self) -> int:
        """The smallest ``m`` with ``n valid <=> n mod P in classes`` for every ``n >= m``."""
        import numpy as np

        n = np.arange(1, self.threshold, dtype=np.int64)
        in_set = np.isin(n, np.array(self.below, dtype=np.int64))
        cls = _mask(self.period, self.classes)[n % self.period]
        differ = np.flatnonzero(in_set != cls)
        return int(n[differ[-1]]) + 1 if len(differ) else 1

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
        extra = [n for n in self.below if n < m] + [
            n for n in self.isolated if not _has(self.classes, n % self.period)]
        if q == 1:
            cond = f"{s} >= {m}" if m > 1 else f"every {s} >= 1"
        else:
            first = min(m + (r - m) % q for r in residues)
            res = ", ".join(map(str, residues))
            mod = f"{s} = {res} mod {q}" if len(residues) == 1 else f"{s} mod {q} in {{{res}}}"
            # no lower bound when every class starts at its smallest positive member (or
            # every smaller member is valid anyway)
            whole = all(m + (r - m) % q - q < 1 for r in residues)
            cond = mod if whole or (first <= m and _all_from_start(self, m, q, residues)) \
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
                "excluded_classes": max(self.excluded_classes, len(self.reasons)),
                "subject_to": list(self.subject_to),
                "argument": self.argument}


def _has(items: tuple[int, ...], x: int) -> bool:
    """``x in items`` for a sorted tuple, in O(log n)."""
    i = bisect.bisect_left(items, x)
    return i < len(items) and items[i] == x


def _mask(period: int, classes: tuple[int, ...]) -> Any:
    import numpy as np

    mask = np.zeros(period, dtype=bool)
    mask[np.array(classes, dtype=np.int64)] = True
    return mask


def _all_from_start(v: AxisValidity, m: int, q: int, residues: tuple[int, ...]) -> bool:
    """True when every ``n < m`` in the residue classes is valid too (no lower bound needed)."""
    import numpy as np

    n = np.arange(1, m, dtype=np.int64)
    n = n[_mask(q, residues)[n % q]]
    return bool(np.isin(n, np.array(v.below, dtype=np.int64)).all())


def _reduce(period: int, classes: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """The smallest modulus ``q | period`` describing the same union of residue classes."""
    mask = _mask(period, classes)
    small = [q for q in range(1, math.isqrt(period) + 1) if period % q == 0]
    for q in sorted({*small, *(period // q for q in small)}):
        rows = mask.reshape(period // q, q)
        if (rows == rows[0]).all():
            return q, tuple(int(r) for r in rows[0].nonzero()[0])
    return period, tuple(sorted(classes))  # pragma: no cover - q = period always matches


@dataclass(frozen=True, slots=True)
class RestoreRow:
    """One row of a restore's per-residue table on one axis.

    ``residue`` is the class ``n mod P`` of the valid input sizes past the threshold (``None``
    for an exceptional size: a valid size below the threshold that does not follow its class,
    or an isolated one); ``size`` is the smallest valid size it stands for.  ``produced`` and
    ``target`` are the two sizes there, ``difference = target - produced`` (the same for every
    size of the class; ``drift`` is its change per period, 0 unless the two sizes grow at
    different rates).  ``output_padding`` is the transposed convolution's output padding that
    gives ``target`` for that class under its convention's limits (``None``: none does, or the
    restoring layer is not a transposed convolution).
    """

    residue: int | None
    size: int
    produced: int
    target: int
    difference: int
    output_padding: int | None
    drift: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"residue": self.residue, "size": self.size, "produced": self.produced,
                "target": self.target, "difference": self.difference,
                "output_padding": self.output_padding, "drift": self.drift}


@dataclass(frozen=True, slots=True)
class SkipCheck:
    """A concat/add, or a restore (declared ``restores:`` or ``inferred`` from an
    encoder/decoder pair), checked for all sizes on one axis.

    Restores also carry ``target``, the down-sampling layer they were paired with
    (``paired_with``), the per-residue ``rows`` when they hold for some sizes only, the
    sizes where they hold (``restoring``, in words) and the verified fixes (``options``).
    A failing concat/add carries the same fields for its input ``branch`` (the one fed by an
    up-sampling layer) against ``target`` (its skip partner), over the base set of sizes
    valid if the branch had the partner's size (``detail`` names it); ``restoring`` is then
    where the two agree.
    """

    node: str
    kind: str  # "merge" or "restore"
    axis: int
    holds_always: bool
    counterexample: int | None
    sizes: tuple[tuple[str, int], ...]
    fix: str = ""
    detail: str = ""
    target: str = ""
    inferred: bool = False
    paired_with: str = ""
    rows: tuple[RestoreRow, ...] = ()
    restoring: str = ""
    options: tuple[str, ...] = ()
    branch: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "kind": self.kind, "axis": self.axis,
                "holds_always": self.holds_always, "counterexample": self.counterexample,
                "sizes": [[n, v] for n, v in self.sizes], "fix": self.fix,
                "detail": self.detail, "target": self.target, "inferred": self.inferred,
                "paired_with": self.paired_with, "rows": [r.to_dict() for r in self.rows],
                "restoring": self.restoring, "options": list(self.options),
                "branch": self.branch}


class JointKind(enum.StrEnum):
    """What a :class:`JointConstraint` compares."""

    #: onnxruntime MaxUnpool with ``output_shape``: element counts over all axes.
    ELEMENT_COUNT = "element-count"
    #: a concat/add of tensors whose sizes depend on different symbols on one axis.
    COUPLING = "coupling"


@dataclass(frozen=True, slots=True)
class JointConstraint:
    """A rule that ties the sizes of several symbols together, stated exactly.

    The per-symbol sets (:class:`AxisValidity`) hold every rule that involves one symbol; an
    input is valid iff each symbol is in its set **and** every joint constraint holds.
    ``statement`` is the exact rule in the symbols (the sizes' formulas); ``example`` the
    smallest valid values of ``symbols`` (fewest total, then lexicographic) with every
    per-symbol rule and this constraint holding, ``counterexample`` the smallest with every
    per-symbol rule holding and this constraint failing (``None``: there is none;
    ``holds_always`` then).  ``solution`` solves it where possible (e.g. the matching values
    of the second symbol for each value of the first).

    >>> j = JointConstraint("J1", JointKind.COUPLING, "cat", (0,), ("H", "G"), "H = G",
    ...                     False, (1, 1), (1, 2))
    >>> j.to_dict()["kind"], j.describe()
    ('coupling', 'J1 (cat, axis 0): H = G; smallest valid H=1, G=1; fails e.g. at H=1, G=2')
    """

    id: str
    kind: JointKind
    node: str
    axes: tuple[int, ...]
    symbols: tuple[str, ...]
    statement: str
    holds_always: bool
    example: tuple[int, ...] | None
    counterexample: tuple[int, ...] | None
    solution: str = ""

    def describe(self) -> str:
        where = f"axis {self.axes[0]}" if len(set(self.axes)) == 1 else \
            f"axes {axis_list(sorted(set(self.axes)))}"

        def pair(v: tuple[int, ...]) -> str:
            return ", ".join(f"{s}={x}" for s, x in zip(self.symbols, v, strict=True))

        out = f"{self.id} ({self.node}, {where}): {self.statement}"
        out += f"; smallest valid {pair(self.example)}" if self.example else \
            "; no valid sizes"
        if self.counterexample is not None:
            out += f"; fails e.g. at {pair(self.counterexample)}"
        elif self.holds_always:
            out += "; holds for every size the per-symbol sets accept"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "node": self.node,
                "axes": list(self.axes), "symbols": list(self.symbols),
                "statement": self.statement, "holds_always": self.holds_always,
                "example": None if self.example is None else list(self.example),
                "counterexample": None if self.counterexample is None
                else list(self.counterexample),
                "solution": self.solution, "description": self.describe()}


@dataclass(frozen=True, slots=True)
class Review:
    """Everything :func:`review` found.

    ``validity[a]`` is the set of the first symbol of axis ``a``; ``symbol_validity`` the sets
    of the other symbols on an axis (inputs of different sizes merged later); ``joint`` the
    constraints that tie symbols together (:class:`JointConstraint`)."""

    network: Network
    input_size: tuple[int, ...] | None
    tensors: tuple[TensorRow, ...]
    validity: tuple[AxisValidity | None, ...]
    checks: tuple[SkipCheck, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    joint: tuple[JointConstraint, ...] = ()
    symbol_validity: tuple[AxisValidity, ...] = ()
    #: Parts of the model the review did not analyse (a classifier head, a reshape that
    #: changes the spatial layout, ...): the valid sizes hold for the analysed outputs only.
    not_analysed: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every output and branch was analysed."""
        return not self.not_analysed

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

    def source(self, node: str | None) -> str | None:
        """The file:line of the code that made ``node`` (a traced PyTorch module), if known."""
        if node is None:
            return None
        return dict(getattr(self.network, "sources", ()) or ()).get(node)

    def _finding(self, f: Finding) -> dict[str, Any]:
        d = f.to_dict()
        where = self.source(f.node)
        if where is not None:
            d["source"] = where
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON form (schema: ``symconv/review/schema/review.schema.json``)."""
        return {
            "schema": "symconv-review/1",
            "network": self.network.name,
            "input_size": None if self.input_size is None else list(self.input_size),
            "tensors": [t.to_dict() for t in self.tensors],
            "valid_sizes": [None if v is None else v.to_dict() for v in self.validity],
            "valid_sizes_for": "all outputs" if self.complete else "the analysed outputs",
            "not_analysed": list(self.not_analysed),
            "symbol_valid_sizes": [v.to_dict() for v in self.symbol_validity],
            "joint_constraints": [j.to_dict() for j in self.joint],
            "checks": [c.to_dict() for c in self.checks],
            "findings": [self._finding(f) for f in self.findings],
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
    import numpy as np

    period = math.lcm(*(v.period for v in sets))
    threshold = max(v.threshold for v in sets)
    n = np.arange(1, threshold, dtype=np.int64)
    ok = np.ones(len(n), dtype=bool)
    r = np.arange(period, dtype=np.int64)
    cls = np.ones(period, dtype=bool)
    for v in sets:
        ok &= members(v, n)
        cls &= _mask(v.period, v.classes)[r % v.period]
    below = tuple(int(x) for x in n[ok])
    classes = tuple(int(x) for x in np.flatnonzero(cls))
    isolated = tuple(sorted({m for v in sets for m in v.isolated
                             if m >= threshold and not cls[m % period]
                             and all(m in w for w in sets)}))
    return AxisValidity(sets[0].axis, symbol, period, threshold, below, classes, isolated)


def members(v: AxisValidity, ns: Any) -> Any:
    """``n in v`` for every entry of an int64 numpy array ``ns`` (a bool array).

    >>> import numpy as np
    >>> members(AxisValidity(0, "H", 4, 5, (2, 3), (1,), (6,)), np.arange(1, 11)).nonzero()[0] + 1
    array([2, 3, 5, 6, 9])
    """
    import numpy as np

    ns = np.asarray(ns, dtype=np.int64)
    low = ns < v.threshold
    out = np.where(low, np.isin(ns, np.array(v.below, dtype=np.int64)),
                   _mask(v.period, v.classes)[ns % v.period]
                   | np.isin(ns, np.array(v.isolated, dtype=np.int64)))
    return out & (ns >= 1)


def fmt_size(v: Sequence[Any]) -> str:
    """``(3, 4)`` -> ``'3x4'``."""
    return "x".join(map(str, v))


def axis_list(axes: Sequence[int]) -> str:
    """``[0, 2]`` -> ``'0, 2'``."""
    return ", ".join(map(str, axes))
