"""Exact valid input sizes on one axis by the quasi-affine periodicity argument (T21 lifted to a
graph); the argument itself is in the :mod:`symconv.review` docstring.

Evaluation is vectorised by :mod:`symconv.review.plan` (each layer's 1-D size table and the
per-symbol :class:`~symconv.review.plan.Plan`; its names are re-exported here); this module
scans the residue classes (:func:`analyse_axis`) and derives the joint constraints: ONNX
MaxUnpool's element-count rule, which compares products over axes (:func:`joint_constraints`).

Several symbols on one axis (inputs ``x: [H, W]`` and ``y: [G, W]`` merged after some layers):
every tensor is *owned* by one symbol (an input by its own; a layer by its input's owner; a
concat/add by its first symbolic input, so that what follows it is a function of that symbol
given the merge holds); a plan per symbol evaluates the tensors it owns (and the constant ones),
and each concat/add that compares tensors of different owners becomes a coupling constraint
``size_a(H) = size_b(G)`` (:func:`joint_constraints`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symconv.errors import UnsupportedError
from symconv.network.model import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity, JointConstraint, JointKind, intersect
from symconv.review.plan import (
    MAX_PERIOD,
    Batch,
    LayerTable,
    Plan,
    axis_key,
    axis_output,
    axis_symbols,
    joint_unpool,
    layer_table,
    make_plan,
    owners,
    project,
)

__all__ = ["MAX_PERIOD", "MAX_SCAN", "Batch", "LayerTable", "Plan", "analyse_axis",
           "axis_key", "axis_output", "axis_symbols", "joint_constraints", "layer_table",
           "make_plan", "owners", "project"]

#: Largest scan length the exact valid-size computation accepts (the largest period is
#: :data:`symconv.review.plan.MAX_PERIOD`).
MAX_SCAN = 1 << 22
#: Excluded residue classes whose example and reason are kept (the count is always exact).
MAX_REASONS_KEPT = 64
#: Sizes evaluated per numpy batch in the scan.
_CHUNK = 1 << 16


def _unequal_candidates(plan: Plan, unequal: list[str], ns: Any) -> set[int]:
    """For sizes ``ns`` (settle points that fail), the valid ``n + mP`` (``m >= 1``) where the
    first failing unequal-shift merge matches: its input sizes differ by ``h`` and their
    shifts by ``c != 0`` per period, so only ``m = -h / c`` can work (at most one per class);
    each candidate is checked by evaluation."""
    b = plan.run_many(ns)
    P = plan.period
    cand = np.full(len(ns), -1, dtype=np.int64)
    chosen = np.zeros(len(ns), dtype=bool)
    for name, kind, mask in b.fails:
        if kind != "mismatch" or name not in unequal:
            continue
        sel = mask & ~chosen
        chosen |= mask
        if not sel.any():
            continue
        names = plan._ins(plan.net.node(name))
        d0 = plan.shift[names[0]]
        v0 = b.values[names[0]][sel]
        ok = np.ones(len(v0), dtype=bool)
        ms: Any = None
        for src in names[1:]:
            h = b.values[src][sel] - v0
            c = plan.shift[src] - d0
            if c == 0:
                ok &= h == 0
                continue
            m = -h // c
            ok &= (h % c == 0) & (m >= 1)
            if ms is None:
                ms = m
            else:
                ok &= ms == m
        if ms is None:
            continue
        cand[sel] = np.where(ok, ns[sel] + ms * P, -1)
    cands = cand[cand > 0]
    if not len(cands):
        return set()
    cb = plan.run_many(cands)
    return set(cb.ns[cb.ok].tolist())


def analyse_axis(net: Network, a: int, symbol: str | None = None
                 ) -> tuple[AxisValidity, Plan, dict[str, tuple[int, tuple[tuple[str, int], ...]]]]:
    """The exact valid sizes of ``symbol`` on axis ``a``, the plan, and each failing merge's
    smallest counterexample (input size and the merge's input sizes).

    The sizes are evaluated in numpy batches, only in the residue classes not settled yet."""
    plan = make_plan(net, a, symbol)
    P = plan.period
    settle = np.full(P, -1, dtype=np.int64)  # residue -> settle point
    settle_ok = np.zeros(P, dtype=bool)  # the settle point passes every rule
    settle_first = np.full(P, -1, dtype=np.int64)  # node index of its first failure
    unequal = [name for name, eq in plan.merges.items() if not eq]
    index = {node.name: i for i, node in enumerate(plan.members)}
    growing = [(t, plan.need[t]) for t in plan.need if plan.shift.get(t, 0) > 0]
    valid_parts: list[Any] = []
    seen_keys: list[Any] = []  # class * K + node index of the first failure, first n
    seen_ns: list[Any] = []
    K = len(plan.members) + 1
    merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
    unequal_at: dict[int, int] = {}  # class -> settle n, for unequal-merge candidates
    lo = 1
    open_classes = P
    step = max(64, min(2 * P, _CHUNK))  # small networks settle in a few hundred sizes
    while open_classes:
        if lo > MAX_SCAN:
            raise UnsupportedError(f"the sizes did not settle below n={MAX_SCAN}")
        hi = min(lo + step, MAX_SCAN + 1)
        step = min(2 * step, _CHUNK)
        ns = np.arange(lo, hi, dtype=np.int64)
        ns = ns[settle[ns % P] < 0]
        lo = hi
        if not len(ns):
            continue
        b = plan.run_many(ns)
        r = ns % P
        ok = b.ok
        valid_parts.append(ns[ok])
        node_first = np.full(len(ns), -1, dtype=np.int64)
        if b.fails:
            fail_nodes = np.array([index[name] for name, _, _ in b.fails], dtype=np.int64)
            node_first[~ok] = fail_nodes[b.first[~ok]]
            key = r[~ok] * K + node_first[~ok]
            uk, ui = np.unique(key, return_index=True)
            seen_keys.append(uk)
            seen_ns.append(ns[~ok][ui])
        for name, kind, mask in b.fails:
            if kind == "mismatch" and name not in merge_cex:
                i = int(np.argmax(mask))
                node = plan.net.node(name)
                merge_cex[name] = (int(ns[i]), tuple(
                    (s, int(b.values[s][i])) for s in plan._ins(node)))
        done = np.ones(len(ns), dtype=bool)
        for t, need in growing:
            if t in b.present:
                done &= ~b.present[t] | (b.values[t] >= need)
        if not done.any():
            continue
        rs, first_idx = np.unique(r[done], return_index=True)
        at = np.flatnonzero(done)[first_idx]
        settle[rs] = ns[at]
        passed = np.zeros(len(at), dtype=bool)
        for m in unequal:
            if m in b.present:
                passed |= b.present[m][at]
        settle_ok[rs] = ok[at] & ~passed
        settle_first[rs] = node_first[at]
        open_classes -= len(rs)
        # classes that fail an unequal-shift merge at the settle point: one candidate each
        if unequal:
            for j in np.flatnonzero(~ok[at]):
                unequal_at[int(rs[j])] = int(ns[at[j]])
    threshold = int(settle.max()) + 1
    valid = np.concatenate(valid_parts) if valid_parts else np.zeros(0, dtype=np.int64)
    valid = valid[valid <= settle[valid % P]]  # a batch runs past some settle points
    classes = np.flatnonzero(settle_ok)
    below_set = valid[valid < threshold]
    # a class settled before the threshold: its members in [settle, threshold) follow it
    starts = settle[classes]
    counts = np.maximum(0, (threshold - starts + P - 1) // P)  # members in [settle, threshold)
    fill = np.repeat(starts, counts) + P * (
        np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                 counts))
    below = np.sort(np.concatenate([below_set, fill]))
    below = below[np.concatenate(([True], below[1:] != below[:-1]))] if len(below) else below
    isolated: set[int] = set(int(v) for v in valid[valid >= threshold])
    if unequal_at:
        isolated |= _unequal_candidates(plan, unequal,
                                        np.array(sorted(unequal_at.values()), dtype=np.int64))
    # reasons: for excluded classes, the smallest size whose first failure is the settle
    # point's first failing layer
    excluded = np.flatnonzero(~settle_ok)
    failing = excluded[settle_first[excluded] >= 0]
    reasons: list[tuple[int, str]] = []
    if len(failing) and seen_keys:
        keys = np.concatenate(seen_keys)
        kns = np.concatenate(seen_ns)
        order = np.lexsort((kns, keys))
        keys, kns = keys[order], kns[order]
        want = failing * K + settle_first[failing]
        pos = np.searchsorted(keys, want)
        examples = kns[pos]
        pick = np.argsort(examples, kind="stable")[:MAX_REASONS_KEPT]
        for j in pick:
            n0 = int(examples[j])
            _, fails = plan.run(n0)
            reasons.append((n0, f"{fails[0][0]}: {fails[0][2]}"))
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
        axis=a, symbol=plan.symbol, period=P, threshold=threshold,
        below=tuple(below.tolist()), classes=tuple(classes.tolist()),
        isolated=tuple(sorted(isolated)), reasons=tuple(sorted(reasons)), argument=argument,
        excluded_classes=len(failing))
    return validity, plan, merge_cex


# --------------------------------------------------------------------------- joint constraints


class _Side:
    """The size of ``tensor`` as a function of one symbol's valid values (``validity``)."""

    def __init__(self, validity: AxisValidity, plan: Plan, tensor: str) -> None:
        self.v, self.plan, self.tensor = validity, plan, tensor
        P, t = validity.period, validity.threshold
        self.step = plan.shift.get(tensor, 0)  # growth per period P
        self.bases = np.array([t + (r - t) % P for r in validity.classes], dtype=np.int64)
        self.base_vals = self.values(self.bases)
        self.finite = np.array(sorted({*validity.below, *validity.isolated}), dtype=np.int64)
        self.finite_vals = self.values(self.finite)

    def values(self, ns: Any) -> Any:
        ns = np.asarray(ns, dtype=np.int64)
        if not len(ns):
            return np.zeros(0, dtype=np.int64)
        b = self.plan.run_many(ns)
        return b.values[self.tensor]

    def smallest(self, count: int) -> Any:
        return np.array(self.v.smallest(count), dtype=np.int64)

    def matching(self, value: int, limit: int) -> list[int]:
        """The valid sizes (at most ``limit``, smallest first) where the size equals ``value``
        (exact: the finite sizes directly, each class ``base + jP`` by solving for ``j``)."""
        out = [int(n) for n in self.finite[self.finite_vals == value]]
        P = self.v.period
        if self.step == 0:
            for base in self.bases[self.base_vals == value]:
                out += [int(base) + j * P for j in range(limit)]
        else:
            d = value - self.base_vals
            hit = (d >= 0) & (d % self.step == 0)
            out += [int(b) + int(j) * P for b, j in zip(self.bases[hit], d[hit] // self.step,
                                                        strict=True)]
        return sorted(set(out))[:limit]


def _grid_search(sides: Sequence[_Side], test: Callable[..., Any], want: bool, *,
                 values: bool = True) -> tuple[tuple[int, ...] | None, bool]:
    """The valid tuple (one size per side) with the smallest sum, then lexicographic, where
    ``test(...)`` is ``want`` (given the sides' tensor sizes, or the sizes themselves when
    ``values`` is false); and whether the search proves it smallest (every tuple of a smaller
    sum was tried)."""
    count = 32
    while True:
        lists = [s.smallest(count) for s in sides]
        if any(not len(x) for x in lists):
            return None, True
        vals = [s.values(x) for s, x in zip(sides, lists, strict=True)] if values else lists
        grids = np.meshgrid(*lists, indexing="ij")
        vgrids = np.meshgrid(*vals, indexing="ij")
        hit = np.asarray(test(*vgrids)) == want
        full = all(len(x) < count for x in lists)
        if hit.any():
            total = sum(g for g in grids)
            best = np.min(total[hit])
            cands = sorted(tuple(int(g[idx]) for g in grids)
                           for idx in zip(*np.nonzero(hit & (total == best)), strict=True))
            # complete iff no list was cut below the sum that the others leave room for
            mins = [int(x[0]) for x in lists]
            proven = full or all(
                len(x) < count or int(x[-1]) >= best - (sum(mins) - m)
                for x, m in zip(lists, mins, strict=True))
            if proven or count >= 1 << 11:
                return cands[0], proven
        elif full or count >= 1 << 11:
            return None, full
        count *= 2


def _formula(formulas: dict[str, tuple[str, ...]], name: str, a: int) -> str:
    f = formulas.get(name)
    return f[a] if f is not None and a < len(f) and f[a] != "?" else f"size({name})"


def joint_constraints(net: Network, sets: dict[tuple[int, str], tuple[AxisValidity, Plan]],
                      formulas: dict[str, tuple[str, ...]]) -> list[JointConstraint]:
    """The rules that tie several symbols together, each stated exactly and searched for its
    smallest valid and failing sizes (over the per-symbol valid sets ``sets``, keyed by axis
    and symbol).

    * **coupling**: a concat/add of tensors owned by different symbols on one axis:
      ``size_a(H) = size_b(G)``;
    * **element-count**: onnxruntime's MaxUnpool with ``output_shape`` compares element
      counts: ``prod_a default_a(n_a) <= prod_a output_shape_a`` (``default = (m-1)s - pads +
      k`` of the unpool's input ``m`` on each axis).
    """
    out: list[JointConstraint] = []
    for a in range(net.ndim):
        own = owners(net, a)
        for node in net.nodes:
            if node.op not in MERGE_OPS or own[node.name] is None:
                continue
            s = own[node.name]
            assert s is not None
            rep = next(x for x in node.inputs if own[x] in (s, None))
            for other in node.inputs:
                t = own[other]
                if t in (s, None) or (a, s) not in sets or (a, t) not in sets:
                    continue
                assert t is not None
                out.append(_coupling(net, a, node, (rep, other), (s, t), sets, formulas,
                                     f"J{len(out) + 1}"))
    for node in net.nodes:
        if node.layer is not None and joint_unpool(node.layer.at(net.ndim), net.ndim):
            j = _element_count(net, node, sets, formulas, f"J{len(out) + 1}")
            if j is not None:
                out.append(j)
    return out


def _coupling(net: Network, a: int, node: Node, tensors: tuple[str, str],
              symbols: tuple[str, str], sets: dict[tuple[int, str], tuple[AxisValidity, Plan]],
              formulas: dict[str, tuple[str, ...]], ident: str) -> JointConstraint:
    sides = [_Side(*sets[(a, sym)], t) for sym, t in zip(symbols, tensors, strict=True)]
    statement = (f"{_formula(formulas, tensors[0], a)} = {_formula(formulas, tensors[1], a)} "
                 f"({tensors[0]} = {tensors[1]})")
    example, ex_proven = _grid_search(sides, lambda u, v: u == v, True)
    if example is None:
        example = _some_pair(sides)
        ex_proven = example is None
    cex, cex_proven = _grid_search(sides, lambda u, v: u == v, False)
    always = cex is None and cex_proven
    notes = []
    if example is not None and not ex_proven:
        notes.append(f"a valid pair {example} (not proven smallest)")
    if cex is not None and not cex_proven:
        notes.append(f"a failing pair {cex} (not proven smallest)")
    solution = _solution_text(sides, symbols, example) if example is not None else \
        f"no {symbols[0]}, {symbols[1]} satisfy it (checked for every residue class)"
    if notes:
        solution += "; " + "; ".join(notes)
    return JointConstraint(ident, JointKind.COUPLING, node.name, (a, a), symbols, statement,
                           always, example, cex, solution)


def _some_pair(sides: Sequence[_Side]) -> tuple[int, int] | None:
    """Any valid pair with equal sizes, found exactly through the residue classes (``None``
    proves there is none)."""
    u, v = sides
    for n, val in zip(u.finite, u.finite_vals, strict=True):
        m = v.matching(int(val), 1)
        if m:
            return int(n), m[0]
    for n, val in zip(v.finite, v.finite_vals, strict=True):
        m = u.matching(int(val), 1)
        if m:
            return m[0], int(n)
    # classes against classes: u0 + i Du = v0 + j Dv with i, j >= 0
    Pu, Pv = u.v.period, v.v.period
    for b0, u0 in zip(u.bases, u.base_vals, strict=True):
        for c0, v0 in zip(v.bases, v.base_vals, strict=True):
            sol = _nonneg_solution(int(u0), u.step, int(v0), v.step)
            if sol is not None:
                return int(b0) + sol[0] * Pu, int(c0) + sol[1] * Pv
    return None


def _nonneg_solution(u0: int, du: int, v0: int, dv: int) -> tuple[int, int] | None:
    """Some ``i, j >= 0`` with ``u0 + i du = v0 + j dv`` (``du, dv >= 0``), or ``None``."""
    if du == 0 and dv == 0:
        return (0, 0) if u0 == v0 else None
    if du == 0:
        return (0, (u0 - v0) // dv) if u0 >= v0 and (u0 - v0) % dv == 0 else None
    if dv == 0:
        return ((v0 - u0) // du, 0) if v0 >= u0 and (v0 - u0) % du == 0 else None
    g = math.gcd(du, dv)
    if (v0 - u0) % g:
        return None
    for i in range(dv // g):
        if (u0 + i * du - v0) % dv == 0:
            k = max(0, -((u0 + i * du - v0) // (du * dv // g)))
            i2 = i + k * (dv // g)
            return i2, (u0 + i2 * du - v0) // dv
    return None  # pragma: no cover - the gcd condition guarantees a residue


def _solution_text(sides: Sequence[_Side], symbols: tuple[str, str],
                   example: tuple[int, ...]) -> str:
    """For the first valid values of the first symbol, every matching value of the second."""
    u, v = sides
    parts = []
    for n in [int(x) for x in u.smallest(64) if x >= example[0]][:4]:
        val = int(u.values([n])[0])
        m = v.matching(val, 4)
        if not m:
            parts.append(f"{symbols[0]}={n}: none")
            continue
        more = ", ..." if len(v.matching(val, 5)) > 4 else ""
        parts.append(f"{symbols[0]}={n}: {symbols[1]} in {{{', '.join(map(str, m))}{more}}}")
    return ("matching sizes (for each valid " + symbols[0] + ", the valid " + symbols[1]
            + " of equal size form an interval): " + "; ".join(parts))


def _element_count(net: Network, node: Node,
                   sets: dict[tuple[int, str], tuple[AxisValidity, Plan]],
                   formulas: dict[str, tuple[str, ...]], ident: str) -> JointConstraint | None:
    nd = net.ndim
    spec = node.layer.at(nd)  # type: ignore[union-attr]
    src = node.inputs[0]
    targets = [int(x) for x in spec.output_size]
    limit = math.prod(targets)
    syms: list[str | None] = [owners(net, a).get(src) for a in range(nd)]
    symbols = tuple(dict.fromkeys(s for s in syms if s is not None))
    if any(s is not None and (a, s) not in sets for a, s in enumerate(syms)):
        return None  # an axis whose set was not computed (its note says why)
    # one variable per symbol, valid on every axis it sizes; a constant axis is a factor
    var_sets = {sym: intersect([sets[(a, s)][0] for a, s in enumerate(syms) if s == sym], sym)
                for sym in symbols}
    sides = [_Side(var_sets[sym], sets[(syms.index(sym), sym)][1], src) for sym in symbols]
    per_axis = [None if s is None else _Side(sets[(a, s)][0], sets[(a, s)][1], src)
                for a, s in enumerate(syms)]
    const = [int(make_plan(net, a).run(1)[0].get(src, 0)) if s is None else 0
             for a, s in enumerate(syms)]
    pads = [int(sum(spec.padding[a])) for a in range(nd)]
    ks, ss = [int(k) for k in spec.kernel], [int(s) for s in spec.stride]

    def holds(*xs: Any) -> Any:
        prod = np.ones(np.shape(xs[0]), dtype=object)
        for a, s in enumerate(syms):
            if s is None:
                u = const[a]
            else:
                i = symbols.index(s)
                flat = np.asarray(xs[i]).ravel()
                side = per_axis[a]
                assert side is not None
                u = side.values(flat).reshape(np.shape(xs[0]))
            prod = prod * ((u - 1) * ss[a] - pads[a] + ks[a])
        return prod <= limit

    terms = [f"({ss[a]}*({_formula(formulas, src, a)} - 1) + {ks[a] - pads[a]})"
             for a in range(nd)]
    statement = (f"{' * '.join(terms)} <= {limit} = {'*'.join(map(str, targets))} ({node.name}: "
                 "onnxruntime MaxUnpool needs output_shape to have at least as many elements "
                 "as the default output (k + (m - 1) s - pads per axis))")
    if not symbols:
        ok = bool(holds(np.zeros(1, dtype=np.int64))[0])
        return JointConstraint(ident, JointKind.ELEMENT_COUNT, node.name, tuple(range(nd)), (),
                               statement, ok, () if ok else None, None if ok else ())
    example, _ = _grid_search(sides, holds, True, values=False)
    cex, proven = _grid_search(sides, holds, False, values=False)
    solution = "" if proven else f"the counterexample {cex} is not proven smallest"
    return JointConstraint(ident, JointKind.ELEMENT_COUNT, node.name, tuple(range(nd)),
                           symbols, statement, cex is None and proven, example, cex, solution)
