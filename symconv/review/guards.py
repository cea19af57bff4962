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

__all__ = ["MAX_GUARD_SCAN", "guard_set", "single_axis"]

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


def _symbol(net: Any, axis: int) -> str:
    v = net.inputs[0].size[axis]
    return v if isinstance(v, str) else f"S{axis}"


def with_guards(net: Any, axis: int, v: AxisValidity, notes: list[str],
                left_out: list[str]) -> AxisValidity:
    """``v`` restricted to the sizes where every single-axis guard on ``axis`` comes out as
    traced (one note per guard)."""
    from symconv.review.model import intersect

    inp = net.inputs[0].name
    sets = []
    for g in net.guards:
        if single_axis(g, inp) != axis:
            continue
        try:
            s = guard_set(g, inp, axis, v.symbol)
        except UnsupportedError as exc:
            left_out.append(str(exc))
            continue
        sets.append(s)
        side = ("elsewhere the module raises (its own check)" if g.other == "raises" else
                "sizes that take the other branch are not analysed")
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
    """What the review cannot analyse: the other side of each branch that does not raise,
    and every guard that reads inner tensors or several axes."""
    inp = net.inputs[0].name
    out = []
    for g in net.guards:
        if single_axis(g, inp) is None:
            out.append(f"the branch at {g.where} on {g.show()} (sizes of inner tensors or "
                       "of several axes; only the traced branch is analysed)")
        elif g.other != "raises":
            out.append(f"the other branch at {g.where} ({g.show()} is {not g.result})")
    return out
