"""Branches on the input size (``Network.guards``, from a traced PyTorch module) as exact sets.

A guard is an exact expression of sizes compared with another (``H % 32 != 0`` in
segmentation-models-pytorch's input check, ``x.size(-1) < 64``); the traced graph is the
network only where every guard comes out as it did at the example input.  A guard that reads
one spatial axis of the first input is a quasi-affine predicate of that size: with ``P`` the
product of the divisors of its floors, ``d(n + P) = d(n) + S`` for the difference ``d`` of its
two sides, so its truth is periodic with period ``P`` once ``|d|`` has outgrown its residues
(at once when ``S = 0``).  :func:`guard_set` scans to that threshold and returns the exact
set; a guard that reads an inner tensor or two axes is not turned into a set (the caller says
so).

>>> from symconv.network.torch_dims import Expr, Guard
>>> g = Guard(Expr.dim("x", 0).mod(32), "!=", Expr.of(0), False, "model.py:46")
>>> guard_set(g, "x", 0, "H").describe()
'H = 0 mod 32'
>>> g = Guard(Expr.dim("x", 0), "<", Expr.of(50), False, "model.py:9")
>>> guard_set(g, "x", 0, "H").describe()
'H >= 50'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symconv.errors import UnsupportedError
from symconv.review.model import AxisValidity

__all__ = ["MAX_GUARD_SCAN", "guard_axis", "guard_set", "other_branches", "plan_guard_set",
           "single_axis", "with_guards"]

#: Longest scan a guard's set may need (its threshold plus two periods).
MAX_GUARD_SCAN = 1 << 22


def single_axis(guard: Any, inp: str) -> int | None:
    """The axis of ``inp`` that ``guard`` reads, if it reads exactly one axis of it only."""
    leaves = guard.left.leaves() | guard.right.leaves()
    axes = {a for t, a in leaves if t == inp}
    if len(axes) == 1 and all(t == inp for t, _ in leaves):
        return next(iter(axes))
    return None


def _period(expr: Any) -> int:
    p = 1
    for k, _ in expr.terms:
        if k[0] == "floor":
            p = math.lcm(p, _period(k[1]) * k[2])
    return p


def guard_set(guard: Any, inp: str, axis: int, symbol: str) -> AxisValidity:
    """The exact sizes of axis ``axis`` of input ``inp`` at which ``guard`` comes out as it
    did when traced."""
    period = math.lcm(_period(guard.left), _period(guard.right))
    key = (inp, axis)

    def diff(ns: Any) -> Any:
        return guard.left.value({key: ns}) - guard.right.value({key: ns})

    first = np.arange(1, 1 + period, dtype=np.int64)
    d0 = diff(first)
    slope = int(diff(first + period)[0] - d0[0])
    spread = int(np.abs(d0).max())
    threshold = 1 if slope == 0 else period * (spread // abs(slope) + 2) + 1
    if threshold + 2 * period > MAX_GUARD_SCAN:
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) needs a scan of "
                               f"{threshold + 2 * period:,} sizes (more than "
                               f"{MAX_GUARD_SCAN:,})")
    ns = np.arange(1, threshold + 2 * period, dtype=np.int64)
    ok = np.asarray(guard.holds({key: ns}), dtype=bool)
    tail = ok[threshold - 1:]
    if not np.array_equal(tail[:period], tail[period:2 * period]):
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) is not periodic "
                               "past its threshold (an internal error: please report it)")
    below = tuple(int(n) for n in ns[: threshold - 1][ok[: threshold - 1]])
    start = threshold
    classes = tuple(sorted(int((start + i) % period) for i in range(period) if tail[i]))
    why = f"the module branches at {guard.where}: {guard.show()} was {guard.result}"
    excluded = [(int(start + i), why) for i in range(period) if not tail[i]][:64]
    return AxisValidity(axis, symbol, period, threshold, below, classes, (),
                        tuple(sorted(excluded, key=lambda r: r[0] % period)),
                        excluded_classes=period - len(classes))


def guard_axis(guard: Any) -> int | None:
    """The one spatial axis every size ``guard`` reads lies on (``None``: several)."""
    axes = {a for _, a in guard.left.leaves() | guard.right.leaves()}
    return next(iter(axes)) if len(axes) == 1 else None


_CHUNK = 1 << 16


def plan_guard_set(net: Any, guard: Any, axis: int, v: AxisValidity) -> AxisValidity:
    """The sizes of the first input's symbol on ``axis`` at which ``guard``, which reads the
    sizes of inner tensors on that axis, comes out as traced, exactly; sizes outside ``v``
    count as holding (the network rejects them anyway).  Every tensor size is quasi-affine
    past ``v``'s threshold with the plan's period, so with ``P`` that period times the guard's
    floor divisors the difference of the guard's two sides changes by a fixed step per
    period in each class: its truth is periodic past the point where that drift dominates."""
    from symconv.review.plan import make_plan

    plan = make_plan(net, axis, v.symbol)
    names = {t for t, _ in guard.left.leaves() | guard.right.leaves()}
    members = {n.name for n in plan.members} | set(plan.varying) | set(plan.fixed)
    if not names <= members:
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) reads tensors of "
                               "another input size")
    period = math.lcm(plan.period, v.period) * _period(guard.left) * _period(guard.right)

    def run(ns: Any) -> tuple[Any, Any]:
        b = plan.run_many(ns)
        present = np.ones(len(ns), dtype=bool)
        for t in names:
            present &= b.present.get(t, np.zeros(len(ns), dtype=bool))
        sizes = {(t, axis): np.where(present, b.values[t], 1) for t in names}
        d = guard.left.value(sizes) - guard.right.value(sizes)
        ok = np.asarray(guard.holds(sizes), dtype=bool) | ~present
        return d, ok

    base = max(v.threshold, 1) + period
    if base + 3 * period > MAX_GUARD_SCAN:
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) needs a scan past "
                               f"{MAX_GUARD_SCAN:,} sizes")
    d0, _ = run(np.arange(base, base + period, dtype=np.int64))
    d1, _ = run(np.arange(base + period, base + 2 * period, dtype=np.int64))
    slope = np.abs(d1 - d0)
    moving = slope > 0
    reach = 0
    if moving.any():
        reach = int((np.abs(d0[moving]) // slope[moving]).max()) + 2
    threshold = base + period * reach
    end = threshold + 2 * period
    if end > MAX_GUARD_SCAN:
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) needs a scan of "
                               f"{end:,} sizes (more than {MAX_GUARD_SCAN:,})")
    oks = []
    for lo in range(1, end, _CHUNK):
        oks.append(run(np.arange(lo, min(lo + _CHUNK, end), dtype=np.int64))[1])
    ok = np.concatenate(oks)
    tail = ok[threshold - 1:]
    if not np.array_equal(tail[:period], tail[period:2 * period]):
        raise UnsupportedError(f"the branch at {guard.where} ({guard.show()}) is not periodic "
                               "past its threshold (an internal error: please report it)")
    below = tuple(int(n) for n in np.flatnonzero(ok[: threshold - 1]) + 1)
    classes = tuple(sorted(int((threshold + i) % period) for i in range(period) if tail[i]))
    why = f"the module branches at {guard.where}: {guard.show()} was {guard.result}"
    excluded = [(int(threshold + i), why) for i in range(period) if not tail[i]][:64]
    return AxisValidity(axis, v.symbol, period, threshold, below, classes, (),
                        tuple(sorted(excluded, key=lambda r: r[0] % period)),
                        excluded_classes=period - len(classes))


def _subset(a: AxisValidity, b: AxisValidity) -> bool:
    """Every size of ``a`` is in ``b`` (exact: both repeat past their thresholds)."""
    from symconv.review.model import members

    end = max(a.threshold, b.threshold) + 2 * math.lcm(a.period, b.period)
    ns = np.arange(1, end, dtype=np.int64)
    return bool(np.all(~members(a, ns) | members(b, ns)))


def with_guards(net: Any, axis: int, v: AxisValidity, notes: list[str],
                left_out: list[str]) -> AxisValidity:
    """``v`` restricted to the sizes where every guard that reads sizes on ``axis`` only comes
    out as traced; one note per guard that restricts it; a guard whose other side is not known
    to raise and is met at some valid size goes to ``left_out`` (its other branch is not
    analysed)."""
    from symconv.review.model import intersect

    inp = net.inputs[0].name
    sets = []
    for g in net.guards:
        if guard_axis(g) != axis:
            continue
        try:
            s = (guard_set(g, inp, axis, v.symbol) if single_axis(g, inp) == axis
                 else plan_guard_set(net, g, axis, v))
        except UnsupportedError as exc:
            left_out.append(str(exc))
            continue
        if _subset(v, s):
            continue  # the branch goes the traced way at every valid size
        sets.append(s)
        if g.other == "raises":
            side = "elsewhere the module raises (its own check)"
        else:
            side = "sizes that take the other branch are not analysed"
            left_out.append(f"the other branch at {g.where} ({g.show()} is {not g.result})")
        notes.append(f"axis {axis}: the module branches on the input size at {g.where} "
                     f"({g.show()} was {g.result} when traced): the valid sizes are those that "
                     f"take the traced branch, {s.describe()}; {side}")
    if not sets:
        return v
    out = intersect([v, *sets], v.symbol)
    reasons = [r for r in v.reasons if r[0] not in out] + [
        r for s in sets for r in s.reasons]
    return AxisValidity(out.axis, out.symbol, out.period, out.threshold, out.below,
                        out.classes, out.isolated, tuple(reasons[:64]), v.argument,
                        out.period - len(out.classes), v.subject_to)


def other_branches(net: Any) -> list[str]:
    """The branches the review cannot turn into sets: those that read sizes on several axes
    (only the traced branch is analysed)."""
    return [f"the branch at {g.where} on {g.show()} (sizes of several axes; only the traced "
            "branch is analysed)" for g in net.guards if guard_axis(g) is None]
