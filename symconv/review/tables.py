"""The base sets and per-residue tables of the skip/restore checks on one axis
(:mod:`symconv.review.skips` builds the checks from them, :mod:`symconv.review.fixes` verifies
fixes over them).

A restore's base set is the axis's valid set; a failing concat/add's is the exact valid set of
the *relaxed* network (:func:`_relax`: each failing merge reads only the partner of its branch,
:func:`_merge_sides`), found by :func:`_relaxed_context`.  A :class:`_Context` holds one base
set with the sizes of every tensor at each base size that decides a check (all ``n < N0 + P``
and the isolated ones), computed once; from them come the rows (:func:`_rows`: one per residue
class ``n mod P`` past ``N0``, plus the sizes that do not follow their class), the exact set
where a check holds (:func:`_restoring`, :func:`_subset`) and exact containment of periodic
sets (:func:`_contains`).

>>> from symconv.review.model import AxisValidity
>>> even = AxisValidity(0, "H", 2, 1, (), (0,), ())
>>> four = AxisValidity(0, "H", 4, 1, (), (0,), ())
>>> _contains(even, four), _contains(four, even)
(True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from symconv.errors import SymconvError
from symconv.network.model import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity, RestoreRow
from symconv.review.pairing import same_size, scale_of
from symconv.review.validity import Plan, analyse_axis
from symconv.sizes.inverse import output_padding_for_axis
from symconv.spec import ConvTranspose

__all__: list[str] = []


def _root(plan: Plan, name: str) -> str:
    """The first tensor up the graph from ``name`` whose size can differ from ``name``'s
    (through identity ops and size-preserving layers)."""
    names = {n.name: n for n in plan.net.nodes}
    while name in names:
        node = names[name]
        if node.op in MERGE_OPS or node.size_of is not None:
            return name
        if node.layer is not None and not same_size(plan.specs[name]):
            return name
        name = node.inputs[0]
    return name


def _up_source(plan: Plan, name: str) -> Node | None:
    """The up-sampling layer whose output size tensor ``name`` has (through identity ops and
    size-preserving layers), if any."""
    root = _root(plan, name)
    node = next((n for n in plan.net.nodes if n.name == root), None)
    if node is None or node.layer is None:
        return None
    f = scale_of(plan.specs[node.name])
    return node if f is not None and f > 1 else None


def _merge_sides(plan: Plan, node: Node) -> tuple[str, str]:
    """``(branch, partner)`` of a concat/add: the first input fed by an up-sampling layer and
    the first other input not fed by one (else the first two inputs)."""
    ins = list(node.inputs)
    for i, src in enumerate(ins):
        if _up_source(plan, src) is not None:
            others = [x for j, x in enumerate(ins) if j != i]
            return src, next((x for x in others if _up_source(plan, x) is None), others[0])
    return ins[0], ins[1]


def _relax(net: Network, relaxed: dict[str, tuple[str, str]]) -> Network:
    """``net`` with each concat/add of ``relaxed`` replaced by an identity of its partner:
    the network as if the branch produced its partner's size (what a run-time output size
    does), every other rule kept."""
    nodes = tuple(dataclasses.replace(n, op="identity", layer=None, inputs=(relaxed[n.name][1],))
                  if n.name in relaxed else n for n in net.nodes)
    return dataclasses.replace(net, nodes=nodes)


def _analyse(net: Network, axis: int, symbol: str) -> tuple[AxisValidity, Plan] | None:
    """The exact valid set and plan of ``net`` on ``axis`` (for ``symbol``), or ``None``."""
    from symconv.review.validity import axis_symbols

    try:
        v, plan, _ = analyse_axis(net, axis, symbol if symbol in axis_symbols(net, axis)
                                  else None)
    except SymconvError:
        return None
    return v, plan


def _relaxed_context(plan: Plan, validity: AxisValidity,
                     merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]]
                     ) -> _Context | None:
    """The base set of the concat/add checks: the exact valid set of the network in which
    every failing merge reads only its partner (:func:`_relax`), by the same periodicity
    argument as the valid set itself; ``None`` when no merge fails or it is not computed."""
    failing = [n for n in plan.net.nodes if n.op in MERGE_OPS and n.name in merge_cex
               and len(n.inputs) > 1]
    if not failing:
        return None
    relaxed = {n.name: _merge_sides(plan, n) for n in failing}
    got = _analyse(_relax(plan.net, relaxed), plan.axis, plan.symbol)
    if got is None or got[1].period != plan.period or got[0].empty:
        return None
    ctx = _Context(got[1], got[0], origin=plan, current=validity, relaxed=relaxed)
    for merge, (branch, partner) in relaxed.items():
        up = _up_source(plan, branch)
        if up is not None:
            ctx.failing[up.name] = (merge, partner)
    return ctx


@dataclass
class _Context:
    """One axis: the plan, its base set of sizes (``validity``), and the sizes of every tensor
    at every base size that decides a check (all ``n < N0 + P`` of the set and the isolated
    ones), computed once.

    For restores the base set is the valid set and ``plan`` the network's.  For concat/add
    checks (``origin`` set) ``plan`` is the *relaxed* network's (:func:`_relax`: each failing
    merge in ``relaxed``, ``merge -> (branch, partner)``, reads only its partner) and the base
    set its valid set; fixes are edits of, and pinned runs on, ``origin``'s network, whose
    valid set is ``current``."""

    plan: Plan
    validity: AxisValidity
    failing: dict[str, tuple[str, str]] = field(default_factory=dict)  # up -> (node, target)
    origin: Plan | None = None
    current: AxisValidity | None = None
    relaxed: dict[str, tuple[str, str]] = field(default_factory=dict)
    _runs: dict[int, Any] | None = None
    _sizes: list[int] | None = None
    _batch: Any = None
    _all_pins: str | None = None

    @property
    def net(self) -> Network:
        """The network fixes edit (the original one for concat/add checks)."""
        return (self.origin or self.plan).net

    @property
    def run_plan(self) -> Plan:
        """The plan pinned runs evaluate (the original one for concat/add checks)."""
        return self.origin or self.plan

    @property
    def sizes(self) -> list[int]:
        if self._sizes is None:
            v = self.validity
            classes = set(v.classes)
            self._sizes = [n for n in range(1, v.threshold + self.plan.period) if n in v] + [
                n for n in v.isolated
                if n >= v.threshold + self.plan.period and n % self.plan.period not in classes]
        return self._sizes

    def first_failure(self, name: str, target: str) -> int | None:
        """The smallest valid size where ``name`` and ``target`` differ (vectorised when the
        plan evaluates arrays of sizes)."""
        if self._runs is None and hasattr(self.plan, "run_many"):
            import numpy as np

            if self._batch is None:
                self._batch = self.plan.run_many(np.array(self.sizes, dtype=np.int64))
            b = self._batch
            if name not in b.values or target not in b.values:
                return self.sizes[0] if self.sizes else None
            same = b.present[name] & b.present[target] & (b.values[name] == b.values[target])
            bad = np.flatnonzero(~same)
            return int(b.ns[bad[0]]) if len(bad) else None
        runs = self.runs
        return next((n for n in runs if not _holds(runs[n], name, target)), None)

    @property
    def runs(self) -> dict[int, Any]:
        """Every tensor's size at each of :attr:`sizes` (``runs[n][tensor]``; a tensor that
        does not exist at ``n`` is absent), from one vectorised evaluation when the plan has
        one (:class:`Row` reads the batch's arrays), else from scalar runs."""
        if self._runs is None:
            if hasattr(self.plan, "run_many"):
                import numpy as np

                if self._batch is None:
                    self._batch = self.plan.run_many(np.array(self.sizes, dtype=np.int64))
                b = self._batch
                self._runs = {n: Row(b.values, b.present, i) for i, n in enumerate(self.sizes)}
            else:
                self._runs = {n: self.plan.run(n)[0] for n in self.sizes}
        return self._runs


class Row:
    """The sizes of every tensor at the ``i``-th input size of a vectorised evaluation
    (``values`` and ``present`` arrays per tensor, as a :class:`~symconv.review.plan.Batch`
    has), read like the dict :meth:`~symconv.review.plan.Plan.run` returns: present tensors
    only, nothing copied."""

    __slots__ = ("i", "present", "values")

    def __init__(self, values: dict[str, Any], present: dict[str, Any], i: int) -> None:
        self.values, self.present, self.i = values, present, i

    def __contains__(self, tensor: object) -> bool:
        return tensor in self.values and bool(self.present[tensor][self.i])

    def __getitem__(self, tensor: str) -> int:
        if tensor not in self:
            raise KeyError(tensor)
        return int(self.values[tensor][self.i])

    def get(self, tensor: str, default: Any = None) -> Any:
        return self[tensor] if tensor in self else default

    def items(self) -> Iterator[tuple[str, int]]:
        i = self.i
        for t, arr in self.values.items():
            if self.present[t][i]:
                yield t, int(arr[i])


def _holds(vals: dict[str, int], name: str, target: str) -> bool:
    return name in vals and target in vals and vals[name] == vals[target]


def _restored_classes(ctx: _Context, name: str, target: str) -> str:
    plan, v = ctx.plan, ctx.validity
    runs = ctx.runs
    good = sorted(n % plan.period for n in range(v.threshold, v.threshold + plan.period)
                  if n in v and _holds(runs[n], name, target))
    if not good:
        return "no residue class (never, past the threshold)"
    return f"size mod {plan.period} in {{{', '.join(map(str, good))}}}"


def _op_for(plan: Plan, up: Node | None, vals: dict[str, int], t: int) -> int | None:
    """The output padding with which transposed conv ``up`` gives ``t`` (its convention's
    limits), or ``None``."""
    if up is None or not isinstance(up.layer, ConvTranspose):
        return None
    m = vals.get(up.inputs[0])
    if m is None or t < 1:
        return None
    spec = plan.specs[up.name]
    try:
        return _output_padding_cached(spec, m, t)
    except TypeError:  # an unhashable field value
        return _output_padding(spec, m, t)


def _output_padding(spec: Any, m: int, t: int) -> int | None:
    """:func:`_op_for` for the 1-D spec."""
    spec = dataclasses.replace(spec, output_size=None)
    try:
        choice = output_padding_for_axis(spec, m, t)
    except SymconvError:
        return None
    if choice.parameter != "output_padding" or not isinstance(choice.value, int):
        return None
    return choice.value


def _rows(ctx: _Context, name: str, target: str, up: Node | None) -> tuple[RestoreRow, ...]:
    plan, v = ctx.plan, ctx.validity
    P, T = plan.period, v.threshold
    drift = plan.shift.get(target, 0) - plan.shift.get(name, 0)
    runs = ctx.runs
    rows: list[RestoreRow] = []
    by_class: dict[int, RestoreRow] = {}
    for r in v.classes:
        n = T + (r - T) % P
        vals = runs[n]
        row = RestoreRow(r, n, vals[name], vals[target], vals[target] - vals[name],
                         _op_for(plan, up, vals, vals[target]), drift)
        by_class[r] = row
    for n in runs:
        if T <= n < T + P and n % P in by_class:
            continue
        vals = runs[n]
        diff = vals[target] - vals[name]
        cls = by_class.get(n % P)
        if cls is not None and n < T and diff == cls.difference - drift * ((cls.size - n) // P):
            continue  # follows its class
        rows.append(RestoreRow(None, n, vals[name], vals[target], diff,
                               _op_for(plan, up, vals, vals[target]), drift))
    for r, row in by_class.items():  # the smallest valid size that follows its class
        if not drift:
            n0 = min((n for n in runs if n % P == r and n <= row.size
                      and not any(x.size == n for x in rows)), default=row.size)
            vals = runs[n0]
            by_class[r] = dataclasses.replace(row, size=n0, produced=vals[name],
                                              target=vals[target])
    return tuple(sorted(by_class.values(), key=lambda x: x.residue or 0)) + tuple(rows)


_output_padding_cached = lru_cache(maxsize=1 << 14)(_output_padding)  # same pairs recur


def _restoring(ctx: _Context, rows: tuple[RestoreRow, ...]) -> AxisValidity:
    """The valid sizes at which the restore holds, as an exact set."""
    plan, v = ctx.plan, ctx.validity
    P, T = plan.period, v.threshold
    classes = tuple(r.residue for r in rows if r.residue is not None and r.difference == 0
                    and r.drift == 0)
    points = {r.size for r in rows if r.residue is None and r.difference == 0}
    exceptions = {r.size for r in rows if r.residue is None}
    for r in rows:  # unequal growth: the difference is 0 at most once per class
        if r.residue is not None and r.drift and r.difference % r.drift == 0:
            n = r.size + (-r.difference // r.drift) * P
            if n >= 1 and n in v and n not in exceptions:
                points.add(n)
    below = tuple(sorted(
        {n for n in range(1, T) if n in v and (n in points or (
            n % P in classes and not any(r.size == n for r in rows if r.residue is None)))}))
    isolated = tuple(sorted(n for n in points if n >= T and n % P not in classes))
    return AxisValidity(v.axis, v.symbol, P, T, below, classes, isolated)


def _subset(ctx: _Context, good: set[int]) -> AxisValidity:
    """The valid sizes in ``good`` (decided on ``ctx.runs``, periodic past the threshold)."""
    v, P = ctx.validity, ctx.plan.period
    T = v.threshold
    classes = tuple(r for r in v.classes if T + (r - T) % P in good)
    below = tuple(n for n in ctx.runs if n < T and n in good)
    isolated = tuple(n for n in ctx.runs if n >= T and n in good and n % P not in classes)
    return AxisValidity(v.axis, v.symbol, P, T, below, classes, isolated)


def _contains(a: AxisValidity, b: AxisValidity) -> bool:
    """Every size of ``b`` is in ``a`` (exact: both are periodic past their thresholds)."""
    import math

    top = max(a.threshold, b.threshold) + math.lcm(a.period, b.period) + max(
        (*a.isolated, *b.isolated, 0))
    return all(n in a for n in range(1, top + 1) if n in b)
