"""Exact valid input sizes on one axis by the quasi-affine periodicity argument (T21 lifted to a
graph); the argument itself is in the :mod:`symconv.review` docstring."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv.errors import SymconvError, UnsupportedError
from symconv.network import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity
from symconv.shapes import resolve, size_period
from symconv.spec import (
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
)

__all__ = ["MAX_PERIOD", "MAX_SCAN", "Plan", "analyse_axis", "axis_key", "make_plan", "project"]

#: Largest period and scan length the exact valid-size computation accepts.
MAX_PERIOD = 1 << 16
MAX_SCAN = 1 << 20


def project(layer: Any, axis: int, ndim: int) -> Any:
    """``layer`` restricted to one spatial axis (every per-axis field sliced, ``ndim=1``)."""
    spec = layer.at(ndim)
    changes: dict[str, Any] = {"ndim": 1}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple):
            changes[f.name] = (value[axis],)
    return dataclasses.replace(spec, **changes)


def _constant(spec: Any) -> int:
    """An upper bound on every size constant in the 1-D spec's rejection rules."""
    total = 2
    for f in dataclasses.fields(spec):
        v = getattr(spec, f.name)
        if f.name in ("ndim", "groups", "in_channels", "out_channels"):
            continue
        for x in _flatten(v):
            total += abs(int(x.numerator) + int(x.denominator)) if isinstance(x, Fraction) \
                else abs(int(x))
    if isinstance(spec, Conv | MaxPool | AvgPool | ConvTranspose | MaxUnpool):
        total += int(spec.dilation[0]) * int(spec.kernel[0])
    return total


def _flatten(v: Any) -> list[Any]:
    if isinstance(v, tuple | list):
        return [y for x in v for y in _flatten(x)]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return []
    if isinstance(v, int | Fraction):
        return [v]
    if isinstance(v, float):
        return [Fraction(v)]
    return []


@dataclass
class Plan:
    """The network on one axis: 1-D specs, periods, shifts and constants."""

    net: Network
    axis: int
    symbol: str
    varying: frozenset[str]  # inputs whose size on this axis is n
    fixed: dict[str, int]  # inputs whose size is a constant
    specs: dict[str, Any]
    period: int
    shift: dict[str, int]  # D_t for a step of P
    need: dict[str, int]  # growing tensor t must reach need[t] for its consumers to settle
    merges: dict[str, bool]  # merge node -> its inputs have equal shifts
    restores: tuple[Node, ...] = ()
    evals: int = 0

    def run(self, n: int) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
        """Sizes at input ``n`` of every tensor that exists, and every failure as
        ``(node, kind, message)`` with kind 'reject' or 'mismatch'."""
        self.evals += 1
        vals: dict[str, int] = {name: n for name in self.varying}
        vals.update(self.fixed)
        fails: list[tuple[str, str, str]] = []
        for node in self.net.nodes:
            ins = [vals.get(s) for s in node.inputs]
            if any(v is None for v in ins):
                continue
            first = ins[0]
            assert first is not None
            if node.op in MERGE_OPS:
                if len(set(ins)) > 1:
                    shown = ", ".join(f"{s}={v}" for s, v in zip(node.inputs, ins, strict=True))
                    fails.append((node.name, "mismatch",
                                  f"{node.op} inputs differ: {shown}"))
                    continue
                vals[node.name] = first
            elif node.size_of is not None:  # resize to another tensor's size: its value
                vals[node.name] = vals[node.size_of]
            elif node.layer is None:
                vals[node.name] = first
            else:
                try:
                    vals[node.name] = int(resolve(self.specs[node.name], (first,)).output[0])
                except SymconvError as exc:
                    fails.append((node.name, "reject", f"rejects size {first}: {exc}"))
        return vals, fails


def make_plan(net: Network, a: int) -> Plan:
    nd = net.ndim
    syms = {i.size[a] for i in net.inputs if isinstance(i.size[a], str)}
    if len(syms) > 1:
        raise UnsupportedError(
            f"inputs use different symbols ({', '.join(sorted(map(str, syms)))}) on one axis"
        )
    if syms:
        symbol = str(next(iter(syms)))
        varying = frozenset(i.name for i in net.inputs if i.size[a] == symbol)
        fixed = {i.name: int(i.size[a]) for i in net.inputs if i.name not in varying}
    else:
        first = net.inputs[0].size[a]
        symbol = f"n{a}"
        varying = frozenset(i.name for i in net.inputs if i.size[a] == first)
        fixed = {i.name: int(i.size[a]) for i in net.inputs if i.name not in varying}
    specs = {n.name: project(n.layer, a, nd) for n in net.nodes if n.layer is not None}
    # (P_t, A_t): size_t(n + P_t) = size_t(n) + A_t
    pa: dict[str, tuple[int, int]] = {name: (1, 1) for name in varying}
    pa.update({name: (1, 0) for name in fixed})
    merges: dict[str, bool] = {}
    for node in net.nodes:
        ins = [pa[s] for s in node.inputs]
        if node.op in MERGE_OPS:
            p = math.lcm(*(x[0] for x in ins))
            shifts = [x[1] * (p // x[0]) for x in ins]
            merges[node.name] = len(set(shifts)) == 1
            pa[node.name] = (p, shifts[0])
        elif node.size_of is not None:  # resize to another tensor's size: its period/shift
            pa[node.name] = pa[node.size_of]
        elif node.layer is None:
            pa[node.name] = ins[0]
        else:
            big_l, g = size_period(specs[node.name])
            p_in, a_in = ins[0]
            m = big_l // math.gcd(a_in, big_l) if a_in else 1
            pa[node.name] = (p_in * m, (a_in * m // big_l) * g)
        if pa[node.name][0] > MAX_PERIOD:
            raise UnsupportedError(f"the size period exceeds {MAX_PERIOD} at {node.name}")
    period = math.lcm(*(p for p, _ in pa.values()))
    if period > MAX_PERIOD:
        raise UnsupportedError(f"the size period {period} exceeds {MAX_PERIOD}")
    shift = {t: A * (period // P) for t, (P, A) in pa.items()}
    need: dict[str, int] = {}
    for node in net.nodes:
        if node.layer is None:
            continue
        c = _constant(specs[node.name])
        src = node.inputs[0]
        need[src] = need.get(src, 0) + c
    restores = tuple(n for n in net.nodes if n.restores is not None)
    return Plan(net, a, symbol, varying, fixed, specs, period, shift, need, merges, restores)


def _settled(plan: Plan, vals: dict[str, int], fails: list[tuple[str, str, str]]) -> bool:
    """True when nothing changes along ``n + mP`` (except unequal-shift merges)."""
    for t, v in vals.items():
        if plan.shift.get(t, 0) > 0 and v < plan.need.get(t, 0):
            return False
    for name, kind, _ in fails:
        node = plan.net.node(name)
        if kind == "reject":
            src = node.inputs[0]
            if plan.shift.get(src, 0) > 0 and vals[src] < plan.need.get(src, 0):
                return False
    return True


def _solve_merge(plan: Plan, node: Node, vals: dict[str, int], n: int) -> int | None:
    """The only ``n' = n + mP`` (m >= 1) where an unequal-shift merge can match, if any."""
    d0 = plan.shift[node.inputs[0]]
    v0 = vals[node.inputs[0]]
    ms: set[int] = set()
    for s in node.inputs[1:]:
        h = vals[s] - v0
        c = plan.shift[s] - d0
        if c == 0:
            if h != 0:
                return None
            continue
        if h % c or -h // c < 1:
            return None
        ms.add(-h // c)
    if len(ms) != 1:
        return None
    return n + ms.pop() * plan.period


def axis_key(net: Network, a: int) -> Any:
    """What the analysis of axis ``a`` depends on: the 1-D specs and the inputs' sizes."""
    nd = net.ndim
    specs = tuple(repr(project(n.layer, a, nd)) if n.layer is not None else n.op
                  for n in net.nodes)
    return specs, tuple(i.size[a] if isinstance(i.size[a], int) else "*" for i in net.inputs)


def analyse_axis(net: Network, a: int
                 ) -> tuple[AxisValidity, Plan, dict[str, tuple[int, tuple[tuple[str, int], ...]]]]:
    """The exact valid sizes on axis ``a``, the plan, and each failing merge's smallest
    counterexample (input size and the merge's input sizes)."""
    plan = make_plan(net, a)
    P = plan.period
    settled: dict[int, int] = {}  # residue -> settle point
    class_valid: dict[int, bool] = {}
    valid: list[int] = []
    isolated: list[int] = []
    reasons: dict[int, tuple[int, str]] = {}
    first_fail: dict[int, dict[str, tuple[int, str]]] = {}  # class -> node -> first failure
    merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
    unequal = {name for name, eq in plan.merges.items() if not eq}
    n = 0
    while len(settled) < P:
        n += 1
        if n > MAX_SCAN:
            raise UnsupportedError(f"the sizes did not settle below n={MAX_SCAN}")
        r = n % P
        if r in settled:
            continue
        vals, fails = plan.run(n)
        if fails:
            first_fail.setdefault(r, {}).setdefault(fails[0][0], (n, f"{fails[0][0]}: "
                                                                   f"{fails[0][2]}"))
        for name, kind, _ in fails:
            if kind == "mismatch" and name not in merge_cex:
                node = plan.net.node(name)
                merge_cex[name] = (n, tuple((s, vals[s]) for s in node.inputs))
        if not fails:
            valid.append(n)
        if _settled(plan, vals, fails):
            settled[r] = n
            passed_unequal = any(m in vals for m in unequal)
            if not fails:
                class_valid[r] = not passed_unequal
                if passed_unequal:
                    pass  # n itself is recorded in ``valid``; later members fail the merge
            else:
                class_valid[r] = False
                reasons[r] = first_fail[r][fails[0][0]]
                for fname, kind, _ in fails:
                    if kind == "mismatch" and fname in unequal:
                        cand = _solve_merge(plan, plan.net.node(fname), vals, n)
                        if cand is not None:
                            _, cf = plan.run(cand)
                            if not cf:
                                isolated.append(cand)
                        break
    threshold = max(settled.values()) + 1
    below = tuple(v for v in valid if v < threshold)
    # a class settled earlier than the threshold: its members in [settle, threshold) follow it
    below = tuple(sorted(set(below) | {
        m for r, s in settled.items() if class_valid[r]
        for m in range(s, threshold, P)}))
    classes = tuple(sorted(r for r, ok in class_valid.items() if ok))
    extra_valid = tuple(sorted(set(v for v in valid if v >= threshold) | set(isolated)))
    argument = (
        f"Proof: every tensor size on axis {a} satisfies size(n + {P}) = size(n) + D with the "
        f"exact shifts D of the layers' quasi-affine size formulas (period P={P}). All "
        f"{P} residue classes were evaluated until every growing size exceeded its consumers' "
        f"constants (threshold N0={threshold}, {plan.evals} evaluations); past that point lower "
        "bounds hold, upper bounds by constants fail, divisibility and equal-shift equalities "
        "repeat with period P, and unequal-shift equalities hold at most once per class (solved "
        "exactly), so the set is exact for every size."
    )
    validity = AxisValidity(
        axis=a, symbol=plan.symbol, period=P, threshold=threshold, below=below,
        classes=classes, isolated=extra_valid,
        reasons=tuple(sorted(reasons.values())), argument=argument)
    return validity, plan, merge_cex
