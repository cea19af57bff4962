"""Skip connections (concat/add) and decoder restores checked for all valid sizes on one axis,
with the smallest counterexample, a per-residue table and the fixes that work, each verified.

Restores are the ``restores:`` a file declares plus the encoder/decoder pairs inferred by
:mod:`symconv.review.pairing` (an up-sampling layer should give back the input size of the
down-sampling layer it mirrors), except pairs a concat/add already compares and layers marked
``restores: false``.

For a restore that holds only for some valid sizes, the table has one row per residue class
``n mod P`` of the valid sizes past the threshold ``N0`` (sizes there repeat with period
``P``: both tensors satisfy ``size(n + P) = size(n) + D``), plus the valid sizes below ``N0``
(or isolated) that do not follow their class: the produced size, the target, the difference
and the output padding that fixes that class (:func:`symconv.inverse.output_padding_for_axis`,
so under the convention's limits).  When the differences differ between classes, no change of
the transposed conv's padding or output padding can fix it: its output is ``s*m + c`` for its
input ``m`` with ``c`` set by those parameters alone, and a constant change of ``c`` moves
every class's difference by the same amount.  The options offered instead are checked by
re-running the size plan for every valid size:

(a) the target size at run time (PyTorch ``forward(x, output_size=...)``, ONNX
    ``output_shape``; ``size=`` for a resize) on this layer and on the failing restores feeding
    it;
(b) a change of the paired encoder layer's padding (or kernel), searched exhaustively over a
    small range, kept only if no valid size is lost and every valid size restores; it
    is skipped, with the proof, when the target takes two residues mod the up-sampling
    factor ``s`` (the produced size is ``c mod s`` whatever the encoder does);
(c) the input sizes that restore, in words.

A failing concat/add gets the same table and options, over a different base set: its
mismatch is a hard rule, so the valid set already excludes the sizes where it fails.  The
base set is the exact valid set of the *relaxed* network (:func:`_relax`), where each failing
concat/add reads only the partner of its branch (the input fed by an up-sampling layer, else
the first; the partner is the first other input not fed by one): the sizes that would be
valid if the branch produced its partner's size, exact by the same periodicity argument (the
relaxed network is a network like any other).  The rows compare the branch with the partner
per residue class of that set; the options are checked on every base size: (a) by pinned
runs of the original network (the run-time size on this up layer and the failing ones feeding
it; with every failing up layer pinned, the valid set becomes exactly the base set when every
base size passes, since pinning never accepts a size the relaxed network rejects); (b) and a
constant output-padding change by editing the original network, relaxing the *other* failing
merges and requiring every base size to stay valid (so this merge holds on all of them); (c)
is the current valid set.

>>> from symconv.network import loads
>>> from symconv.review import review
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: down, op: conv, kernel: 3, stride: 2, padding: 1}
...   - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
... ''', "yaml")
>>> (c,) = review(net, symbolic=True).checks
>>> c.inferred, c.target, c.paired_with, c.restoring
(True, 'x', 'down', 'H = 0 mod 2')
>>> [(r.residue, r.size, r.produced, r.target, r.difference, r.output_padding) for r in c.rows]
[(0, 2, 2, 2, 0, 1), (1, 1, 2, 1, -1, 0)]
>>> print(c.options[0])
(a) pass the target size at run time to up (PyTorch forward(x, output_size=...), ONNX output_shape): restores x for every valid size (checked)
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: pool, op: max-pool, kernel: 2}
...   - {name: up, op: conv-transpose, kernel: 2, stride: 2}
...   - {name: cat, op: concat, inputs: [up, x]}
... ''', "yaml")
>>> r = review(net, symbolic=True)
>>> (c,) = r.checks
>>> r.validity[0].describe(), c.branch, c.target, c.detail
('H = 0 mod 2', 'up', 'x', "over the sizes valid if up had x's size (H >= 2), cat's inputs agree")
>>> [(r.residue, r.produced, r.target, r.difference, r.output_padding) for r in c.rows]
[(0, 2, 2, 0, 0), (1, 2, 3, 1, 1)]
>>> print(c.options[0])
(a) pass the target size at run time to up (PyTorch forward(x, output_size=...), ONNX output_shape): cat's inputs agree for every base size (checked); with run-time sizes on every failing up layer (up) the valid input sizes become H >= 2 (now H = 0 mod 2) (checked)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from symconv.errors import SymconvError, UnsupportedError
from symconv.inverse import output_padding_for_axis
from symconv.network import MERGE_OPS, Network, Node
from symconv.review.model import (
    AxisValidity,
    Finding,
    RestoreRow,
    SkipCheck,
    axis_list,
    fmt_size,
)
from symconv.review.pairing import Pair, infer_pairs, same_size, scale_of
from symconv.review.validity import Plan, analyse_axis
from symconv.shapes import resolve
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, MaxUnpool, PadMode, Resize

__all__ = ["MAX_OPTION_SIZES", "MAX_TABLE_SIZES", "check_findings", "edit_layer",
           "restores_everywhere", "skip_checks"]

#: Encoder kernels tried by option (b): the current one +- this many; paddings 0..kernel.
KERNEL_RANGE = 2
#: Valid sizes below ``N0 + P`` up to which restore tables are built ...
MAX_TABLE_SIZES = 1 << 14
#: ... and options (a) and (b) are searched (each re-evaluates every such size).
MAX_OPTION_SIZES = 1 << 12


def skip_checks(plan: Plan, validity: AxisValidity,
                merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]]
                ) -> list[SkipCheck]:
    """Every merge and restore check of one axis (merges and restores in graph order)."""
    out: list[SkipCheck] = []
    window = range(validity.threshold, validity.threshold + plan.period)
    runs = {n: plan.run(n)[0] for n in window}
    ctx = _Context(plan, validity)
    pairs, _ = infer_pairs(plan.net, plan.axis, plan.specs)
    by_up = {p.up: p for p in pairs}
    inferred = {p.up: p for p in pairs if _wanted(plan, p)}
    base = _relaxed_context(plan, validity, merge_cex)
    for node in plan.net.nodes:
        if node.op in MERGE_OPS:
            cex = merge_cex.get(node.name)
            if cex is None:
                out.append(SkipCheck(node.name, "merge", plan.axis, True, None, ()))
            else:
                out.append(_merge_check(plan, base, node, cex, by_up,
                                        _merge_fix(plan, node, runs)))
        if node.restores is not None:
            up = _up_source(plan, node.name)
            pair = by_up.get(up.name) if up is not None else None
            out.append(_restore_check(ctx, node.name, node.restores, False,
                                      pair.down if pair else ""))
        elif node.name in inferred:
            p = inferred[node.name]
            out.append(_restore_check(ctx, node.name, p.target, True, p.down))
    return out


def _wanted(plan: Plan, pair: Pair) -> bool:
    """An inferred pair is checked unless the file opts out, declares a restore for the same
    sizes, or a concat/add already compares the two sizes."""
    net = plan.net
    node = net.node(pair.up)
    if node.restores_nothing or node.restores is not None:
        return False
    target = _root(plan, pair.target)
    for other in net.nodes:
        if other.restores is not None and _root(plan, other.name) == pair.up \
                and _root(plan, other.restores) == target:
            return False
        if other.op in MERGE_OPS:
            roots = {_root(plan, s) for s in other.inputs}
            if pair.up in roots and target in roots:
                return False
    return True


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


def _transposed_source(plan: Plan, name: str) -> Node | None:
    """The transposed conv that produced tensor ``name`` (through identity ops), if any."""
    names = {n.name: n for n in plan.net.nodes}
    while name in names:
        node = names[name]
        if isinstance(node.layer, ConvTranspose):
            return node
        if node.op != "identity":
            return None
        name = node.inputs[0]
    return None


def _merge_fix(plan: Plan, node: Node, runs: dict[int, dict[str, int]]) -> str:
    for i, src in enumerate(node.inputs):
        tconv = _transposed_source(plan, src)
        if tconv is None:
            continue
        others = [s for j, s in enumerate(node.inputs) if j != i]
        return _fix_text(plan, tconv, src, others[0], runs)
    return ""


def _fix_text(plan: Plan, tconv: Node, produced: str, target: str,
              runs: dict[int, dict[str, int]]) -> str:
    """The output_padding/padding change that makes ``produced`` equal ``target``."""
    deltas = {vals[target] - vals[produced] for vals in runs.values()
              if target in vals and produced in vals}
    spec = plan.specs[tconv.name]
    if not deltas:
        return ""
    if len(deltas) > 1:
        return (f"no single output_padding fixes {tconv.name} on axis {plan.axis}: the missing "
                f"size is {sorted(deltas)} depending on the input size mod {plan.period}; pass "
                f"the target size at run time (PyTorch forward(output_size=...), ONNX "
                f"output_shape) or restrict the input sizes")
    delta = deltas.pop()
    s, d = int(spec.stride[0]), int(spec.dilation[0])
    op = 0 if spec.output_padding is None else int(spec.output_padding[0])
    new = op + delta
    if isinstance(spec.padding, tuple) and spec.output_size is None:
        pb, pe = (int(x) for x in spec.padding[0])
        if 0 <= new < s:
            return (f"set output_padding={new} on axis {plan.axis} of {tconv.name} (now {op}): "
                    f"the missing size is {delta} for every input size")
        if pe - delta >= 0 and delta != 0:
            return (f"change the padding of {tconv.name} on axis {plan.axis} from {pb}+{pe} to "
                    f"{pb}+{pe - delta} (an output_padding of {new} would not be < stride={s}"
                    f"{'' if d == 1 else f' or dilation={d}'})")
    return (f"{tconv.name} on axis {plan.axis} is {delta:+d} pixels off for every input size; "
            "adjust its padding or output size")


# --------------------------------------------------------------------------- concat/add


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


def _merge_check(plan: Plan, ctx: _Context | None, node: Node,
                 cex: tuple[int, tuple[tuple[str, int], ...]], by_up: dict[str, Pair],
                 old_fix: str) -> SkipCheck:
    """A failing concat/add: its per-residue table over the base set and verified fixes
    (without a base set: the smallest counterexample and ``old_fix``)."""
    if ctx is None or node.name not in ctx.relaxed:
        return SkipCheck(node.name, "merge", plan.axis, False, cex[0], cex[1], old_fix)
    branch, partner = ctx.relaxed[node.name]
    up = _up_source(plan, branch)
    down = by_up[up.name].down if up is not None and up.name in by_up else ""
    base = ctx.validity.describe()
    detail = (f"over the sizes valid if {branch} had {partner}'s size ({base}), {node.name}'s "
              "inputs agree")
    if len(ctx.sizes) > MAX_TABLE_SIZES:
        return SkipCheck(node.name, "merge", plan.axis, False, cex[0], cex[1], old_fix, (
            f"the per-residue table is not computed: {len(ctx.sizes)} sizes below N0 + P "
            f"exceed {MAX_TABLE_SIZES}"), partner, False, down, branch=branch)
    rows = _rows(ctx, branch, partner, up)
    if all(r.difference == 0 and not r.drift for r in rows):  # fails only where others do
        return SkipCheck(node.name, "merge", plan.axis, False, cex[0], cex[1], old_fix,
                         f"{detail} for every one of them", partner, False, down, branch=branch)
    agree = _restoring(ctx, rows)
    fix, options = _fixes(ctx, branch, partner, up, down, rows, agree, merge=node.name)
    return SkipCheck(node.name, "merge", plan.axis, False, cex[0], cex[1], fix, detail,
                     partner, False, down, rows, agree.describe(), options, branch=branch)


def _verified(ctx: _Context, net: Network, name: str, target: str, merge: str) -> bool:
    """An edit of the network fixes the check for every base size (exact): for a restore,
    :func:`restores_everywhere`; for a concat/add, the edited network with the other failing
    merges relaxed keeps every base size valid (so this merge holds on all of them)."""
    if not merge:
        return restores_everywhere(net, ctx.plan.axis, name, target, ctx.validity)
    others = {m: sides for m, sides in ctx.relaxed.items() if m != merge}
    got = _analyse(_relax(net, others), ctx.plan.axis, ctx.plan.symbol)
    return got is not None and _contains(got[0], ctx.validity)


# --------------------------------------------------------------------------- restores


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
    _runs: dict[int, dict[str, int]] | None = None
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
    def runs(self) -> dict[int, dict[str, int]]:
        if self._runs is None:
            self._runs = {n: self.plan.run(n)[0] for n in self.sizes}
        return self._runs


def _holds(vals: dict[str, int], name: str, target: str) -> bool:
    return name in vals and target in vals and vals[name] == vals[target]


def _restore_check(ctx: _Context, name: str, target: str, inferred: bool, down: str
                   ) -> SkipCheck:
    plan = ctx.plan
    cex = ctx.first_failure(name, target)
    if cex is None:
        return SkipCheck(name, "restore", plan.axis, True, None, (), target=target,
                         inferred=inferred, paired_with=down)
    at = plan.run(cex)[0]
    sizes = ((name, at.get(name, 0)), (target, at.get(target, 0)))
    up = _up_source(plan, name)
    if up is not None:
        ctx.failing[up.name] = (name, target)
    if len(ctx.sizes) > MAX_TABLE_SIZES:
        return SkipCheck(name, "restore", plan.axis, False, cex, sizes, "", (
            f"the per-residue table is not computed: {len(ctx.sizes)} sizes below N0 + P "
            f"exceed {MAX_TABLE_SIZES}"), target, inferred, down)
    rows = _rows(ctx, name, target, up)
    restoring = _restoring(ctx, rows)
    detail = f"restored for the valid input sizes with {_restored_classes(ctx, name, target)}"
    fix, options = _fixes(ctx, name, target, up, down, rows, restoring)
    return SkipCheck(name, "restore", plan.axis, False, cex, sizes, fix, detail, target,
                     inferred, down, rows, restoring.describe(), options)


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
    spec = dataclasses.replace(plan.specs[up.name], output_size=None)
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


# ------------------------------------------------------------------ fixes, each verified


def edit_layer(net: Network, name: str, axis: int, **changes: Any) -> Network:
    """``net`` with one axis of per-axis fields of layer ``name`` changed (the spec validates
    the result).

    >>> from symconv.network import loads
    >>> net = loads("{inputs: [{name: x, size: [H, W]}], layers: [{name: c, op: conv, kernel: 3}]}", "yaml")
    >>> edit_layer(net, "c", 1, padding=(1, 1)).node("c").layer
    Conv(kernel=(3, 3), padding=(0, 1))
    """
    nd = net.ndim
    node = net.node(name)
    assert node.layer is not None
    spec = node.layer.at(nd)
    new: dict[str, Any] = {}
    for f, value in changes.items():
        cur = getattr(spec, f)
        if cur is None:
            cur = (0,) * nd
        cur = tuple(cur)
        new[f] = (*cur[:axis], value, *cur[axis + 1:])
    layer = dataclasses.replace(spec, **new)
    nodes = tuple(dataclasses.replace(n, layer=layer) if n.name == name else n
                  for n in net.nodes)
    return dataclasses.replace(net, nodes=nodes)


def restores_everywhere(net: Network, axis: int, name: str, target: str,
                        validity: AxisValidity) -> bool:
    """True when on ``axis`` of ``net`` every size of ``validity`` is still valid and
    ``name`` has ``target``'s size at every valid size (exact: the valid sizes below the
    threshold, one period past it and the isolated ones)."""
    try:
        v2, plan2, _ = analyse_axis(net, axis)
    except (SymconvError, UnsupportedError):
        return False
    if not _contains(v2, validity):
        return False
    return _Context(plan2, v2).first_failure(name, target) is None


def _contains(a: AxisValidity, b: AxisValidity) -> bool:
    """Every size of ``b`` is in ``a`` (exact: both are periodic past their thresholds)."""
    import math

    top = max(a.threshold, b.threshold) + math.lcm(a.period, b.period) + max(
        (*a.isolated, *b.isolated, 0))
    return all(n in a for n in range(1, top + 1) if n in b)


def _fixes(ctx: _Context, name: str, target: str, up: Node | None, down: str,
           rows: tuple[RestoreRow, ...], restoring: AxisValidity, merge: str = ""
           ) -> tuple[str, tuple[str, ...]]:
    """The proof (why no constant change works, when so) and the options, each verified over
    the base set; ``merge`` names the concat/add when the check is one (``name`` its branch,
    ``target`` its partner)."""
    plan, v = ctx.plan, ctx.validity
    a = plan.axis
    deltas = sorted({r.difference for r in rows})
    drift = any(r.drift for r in rows)
    options: list[str] = []
    if up is not None and len(deltas) == 1 and not drift:
        single = _single_fix(ctx, name, target, up, deltas[0], merge)
        if single:
            return single, (single,)
    if len(deltas) == 1 and not drift and merge and up is None:
        head = f"{name} is {deltas[0]:+d} off {target} on axis {a} for every base size"
    elif len(deltas) == 1 and not drift:
        head = (f"{name} is {deltas[0]:+d} off {target} on axis {a} for every "
                f"{'base' if merge else 'valid'} size, and no output_padding or end-padding "
                f"change of {up.name if up else name} gives it (checked)")
    elif drift:
        head = (f"{name} and {target} grow at different rates on axis {a}: they agree at most "
                "once per residue class, so no parameter change or run-time size fixes every "
                "size")
    elif up is not None and isinstance(up.layer, ConvTranspose):
        head = (f"no single output_padding fixes {up.name} on axis {a}: the difference "
                f"{target} - {name} is {_span(deltas)} depending on {v.symbol} mod "
                f"{plan.period}, while {up.name}'s output is s*m + c for its input m with c "
                "set by its padding and output_padding alone; a change of c moves every "
                "class by the same amount")
    else:
        head = (f"{name} misses {target} by {_span(deltas)} on axis {a} depending on "
                f"{v.symbol} mod {plan.period}")
    if len(ctx.sizes) > MAX_OPTION_SIZES:
        options.append(f"(a)/(b) not searched: {len(ctx.sizes)} sizes below N0 + P exceed "
                       f"{MAX_OPTION_SIZES}")
    elif not drift:
        run_time = _run_time_option(ctx, name, target, up, merge)
        if run_time:
            options.append(run_time)
        elif merge and up is not None and _pin(ctx.run_plan.specs[up.name], 1) is None:
            options.append(f"(a) not available: {up.name} ({up.op}) takes no run-time output "
                           "size")
        if merge and up is None:
            downs = tuple(dict.fromkeys(_root(ctx.run_plan, x) for x in (name, target)))
        else:
            downs = (down,) if down else ()
        enc = _encoder_option(ctx, name, target, up, downs, merge)
        if enc:
            options.append(enc)
    if merge:
        alone = f"{merge} alone agrees " + (f"for {restoring.describe()}" if not restoring.empty
                                            else "for no base size")
        if ctx.current is None or ctx.current.empty:
            options.append(f"(c) none: no input size is valid now; {alone}")
        else:
            options.append(f"(c) keep the current valid set, {ctx.current.describe()} (where "
                           f"every concat/add holds); {alone}")
    else:
        options.append("(c) restrict the input sizes to those that restore: "
                       + (restoring.describe() if not restoring.empty
                          else f"none (no valid {v.symbol} restores)"))
    return head + "; options: " + "; ".join(options), tuple(options)


def _span(deltas: list[int]) -> str:
    if len(deltas) > 2 and deltas == list(range(deltas[0], deltas[-1] + 1)):
        return f"{deltas[0]}..{deltas[-1]}"
    return ", ".join(map(str, deltas))


def _single_fix(ctx: _Context, name: str, target: str, up: Node, delta: int,
                merge: str = "") -> str:
    """A constant change of ``up``'s output padding (or end padding), verified."""
    plan = ctx.plan
    a = plan.axis
    spec = plan.specs[up.name]
    if not isinstance(spec, ConvTranspose) or spec.output_size is not None:
        return ""
    op = 0 if spec.output_padding is None else int(spec.output_padding[0])
    s, d = int(spec.stride[0]), int(spec.dilation[0])
    new = op + delta
    candidates: list[tuple[str, dict[str, Any]]] = []
    if new >= 0:
        candidates.append((f"set output_padding={new} on axis {a} of {up.name} (now {op}): "
                           f"the missing size is {delta} for every "
                           f"{'base' if merge else 'input'} size",
                           {"output_padding": new}))
    if isinstance(spec.padding, tuple) and delta:
        pb, pe = (int(x) for x in spec.padding[0])
        if pe - delta >= 0:
            candidates.append((
                f"change the padding of {up.name} on axis {a} from {pb}+{pe} to "
                f"{pb}+{pe - delta} (an output_padding of {new} would not be < stride={s}"
                f"{'' if d == 1 else f' or dilation={d}'})", {"padding": (pb, pe - delta)}))
    for text, change in candidates:
        try:
            edited = edit_layer(ctx.net, up.name, a, **change)
        except SymconvError:
            continue
        if _verified(ctx, edited, name, target, merge):
            return text
    return ""


_PINNED: dict[tuple[Any, int], Any] = {}


def _pin(spec: Any, t: int) -> Any:
    """The 1-D up layer ``spec`` given output size ``t`` at run time (``None``: it takes
    none), cached: the same few layers are pinned at every size of a period."""
    try:
        return _PINNED[(spec, t)]
    except KeyError:
        if len(_PINNED) > 4096:
            _PINNED.clear()
        hit = _PINNED[(spec, t)] = _pin_now(spec, t)
        return hit
    except TypeError:  # an unhashable field value
        return _pin_now(spec, t)


def _pin_now(spec: Any, t: int) -> Any:
    if isinstance(spec, ConvTranspose | MaxUnpool):
        return dataclasses.replace(spec, output_size=(t,))
    if isinstance(spec, Resize):
        return dataclasses.replace(spec, size=(t,), scale_factor=None)
    return None


def _walk(plan: Plan, n: int, pins: dict[str, str] | None = None,
          before: dict[str, int] | None = None
          ) -> tuple[dict[str, int], list[tuple[str, str, str]], bool]:
    """Sizes at ``n``, each layer by its exact table (or :func:`resolve`); an up layer in
    ``pins`` gets its target's size at run time: the target's size in this walk when it is
    computed before the layer, else its size in ``before`` (a previous walk), reported by
    the third value (``True``: some pin read ``before`` or found no target)."""
    vals: dict[str, int] = {name: n for name in plan.varying}
    vals.update(plan.fixed)
    fails: list[tuple[str, str, str]] = []
    late = False
    # the plan's own node set and inputs (with several symbols on an axis, the tensors of
    # the others are compared by joint constraints, not here)
    members = getattr(plan, "members", None) or plan.net.nodes
    ins_of = getattr(plan, "_ins", None)
    tables = getattr(plan, "tables", {})
    for node in members:
        names = ins_of(node) if ins_of is not None else list(node.inputs)
        ins = [vals.get(x) for x in names]
        if any(x is None for x in ins):
            continue
        first = ins[0]
        assert first is not None
        if node.op in MERGE_OPS:
            if len(set(ins)) > 1:
                fails.append((node.name, "mismatch", "inputs differ"))
                continue
            vals[node.name] = first
        elif node.size_of is not None:  # a resize to another tensor's size ('like:')
            vals[node.name] = vals[node.size_of]
        elif node.layer is None:
            vals[node.name] = first
        else:
            spec = None
            if pins and node.name in pins:
                t = vals.get(pins[node.name])
                if t is None:
                    late = True
                    t = (before or {}).get(pins[node.name])
                if t is not None:
                    spec = _pin(plan.specs[node.name], t)
            table = tables.get(node.name) if spec is None else None
            if table is not None:  # the layer's own sizes, exactly (validity.layer_table)
                out, ok = table.at(first)
                if ok:
                    vals[node.name] = out
                else:
                    fails.append((node.name, "reject", table.message(first)))
                continue
            try:
                vals[node.name] = int(resolve(spec or plan.specs[node.name], (first,)).output[0])
            except SymconvError as exc:
                fails.append((node.name, "reject", str(exc)))
    return vals, fails, late


def _pinned_run(plan: Plan, pins: dict[str, str], n: int, keep: set[str] | None = None
                ) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Sizes at ``n`` when every up layer in ``pins`` is given its target's size at run
    time (one walk when each target comes before its layer, else iterated until nothing
    changes: a target may depend on another pin); only the failures of the nodes in
    ``keep``, when given."""
    vals, fails, late = _walk(plan, n, pins)
    for _ in range(len(pins) + 1):
        if not late:
            break
        new_vals, fails, late = _walk(plan, n, pins, vals)
        if new_vals == vals:
            break
        vals = new_vals
    if keep is not None:
        fails = [f for f in fails if f[0] in keep]
    return vals, fails


def _ancestors(net: Network, name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    names = {n.name: n for n in net.nodes}
    while todo:
        x = todo.pop()
        if x in names:
            for s in names[x].inputs:
                if s not in seen:
                    seen.add(s)
                    todo.append(s)
    return seen


def _run_time_option(ctx: _Context, name: str, target: str, up: Node | None,
                     merge: str = "") -> str:
    """(a): this layer and the failing restores (or concat/adds) feeding it get their target
    size at run time, checked at every base size by a pinned run of the original network
    (for a concat/add, of the nodes it depends on)."""
    plan, v = ctx.run_plan, ctx.validity
    if up is None or _pin(plan.specs[up.name], 1) is None:
        return ""
    above = _ancestors(plan.net, up.name)
    pins = {u: t for u, (_, t) in ctx.failing.items() if u in above}
    pins[up.name] = target
    if any(_pin(plan.specs[u], 1) is None for u in pins):
        return ""
    keep = _ancestors(plan.net, merge) | {merge} if merge else None
    good: list[int] = []
    ops: dict[int, int | None] = {}
    for n in ctx.runs:
        vals, fails = _pinned_run(plan, pins, n, keep)
        ok = not fails and _holds(vals, name, target)
        if ok:
            good.append(n)
            if isinstance(up.layer, ConvTranspose) and v.threshold <= n:
                ops[n % plan.period] = _op_for(plan, up, vals, vals[target])
        if v.threshold <= n < v.threshold + plan.period and not _settled_pinned(
                plan, pins, n, name, target, vals, ok, keep):
            return ""  # the pinned sizes are not periodic yet: nothing is claimed
    order = [u for u in (n.name for n in plan.net.nodes) if u in pins]
    layers = ", ".join(order)
    how = _how(up)
    does = f"{merge}'s inputs agree" if merge else f"restores {target}"
    sizes = "base size" if merge else "valid size"
    if len(good) == len(ctx.runs):
        text = f"(a) pass the target size at run time to {layers} {how}: {does} for every " \
               f"{sizes} (checked)"
        per = _per_class_ops(ops, plan.period, v.symbol)
        if per and len(order) > 1:
            text += f"; {up.name} then applies output_padding {per}"
        if merge:
            text += _all_pins(ctx)
        return text
    if not good:
        return ""
    sub = _subset(ctx, set(good))
    if merge and _contains(_subset(ctx, {n for n in ctx.runs
                                         if _holds(ctx.runs[n], name, target)}), sub):
        return ""  # it agrees only where the inputs agree already: nothing gained
    return f"(a) pass the target size at run time to {layers} {how}: {does} only for " \
           f"{sub.describe()} (checked)"


def _how(up: Node) -> str:
    if isinstance(up.layer, Resize):
        return "(size=... instead of scale_factor)"
    if isinstance(up.layer, MaxUnpool):
        return "(PyTorch MaxUnpool forward(x, indices, output_size=...), ONNX output_shape)"
    return "(PyTorch forward(x, output_size=...), ONNX output_shape)"


def _all_pins(ctx: _Context) -> str:
    """``; with it on every failing up layer (...) the valid sizes become ...``, when every
    failing concat/add is fed by an up layer that takes a run-time size and, with all of
    them pinned, every base size is valid (so the new valid set is exactly the base set:
    pinning never accepts a size the relaxed network rejects)."""
    if ctx._all_pins is None:
        ctx._all_pins = ""
        plan, v = ctx.run_plan, ctx.validity
        pins = {u: t for u, (_, t) in ctx.failing.items()}
        if len(pins) == len(ctx.relaxed) and all(_pin(plan.specs[u], 1) is not None
                                                 for u in pins):
            ok = True
            for n in ctx.runs:
                vals, fails = _pinned_run(plan, pins, n)
                if fails or (v.threshold <= n < v.threshold + plan.period and not
                             _settled_pinned(plan, pins, n, "", "", vals, True, None)):
                    ok = False
                    break
            if ok:
                order = [u for u in (n.name for n in plan.net.nodes) if u in pins]
                now = ctx.current.describe() if ctx.current is not None else "?"
                ctx._all_pins = (f"; with run-time sizes on every failing up layer "
                                 f"({', '.join(order)}) the valid input sizes become "
                                 f"{v.describe()} (now {now}) (checked)")
    return ctx._all_pins


def _settled_pinned(plan: Plan, pins: dict[str, str], n: int, name: str, target: str,
                    vals: dict[str, int], ok: bool, keep: set[str] | None = None) -> bool:
    """True when, with the pins, every growing size at ``n`` (or at the first ``n + mP``
    where they all are, which must then give the same verdict) exceeds its consumers'
    constants: past it the verdict repeats with period ``P`` (the argument of
    :mod:`symconv.review`).  ``name == ""``: the verdict is only "no failure"."""
    for _ in range(64):
        if all(v >= plan.need.get(t, 0) for t, v in vals.items() if plan.shift.get(t, 0) > 0):
            return True
        n += plan.period
        vals, fails = _pinned_run(plan, pins, n, keep)
        if (not fails and (not name or _holds(vals, name, target))) != ok:
            return False
    return False


def _per_class_ops(ops: dict[int, int | None], period: int, symbol: str) -> str:
    """``1 for H = 0 mod 2, 0 for H = 1 mod 2`` (the smallest modulus that decides it).

    >>> _per_class_ops({0: 0, 1: 0, 2: 1, 3: 1, 4: 0, 5: 0, 6: 1, 7: 1}, 8, "H")
    '0 for H mod 4 in {0, 1}, 1 for H mod 4 in {2, 3}'
    """
    if not ops or any(o is None for o in ops.values()):
        return ""
    for q in range(1, period + 1):
        if period % q:
            continue
        by: dict[int, set[int | None]] = {}
        for r, o in ops.items():
            by.setdefault(r % q, set()).add(o)
        if all(len(s) == 1 for s in by.values()):
            if q == 1:
                return str(next(iter(by[0] if 0 in by else next(iter(by.values())))))
            groups: dict[int | None, list[int]] = {}
            for r, s in sorted(by.items()):
                groups.setdefault(next(iter(s)), []).append(r)
            return ", ".join(
                f"{o} for {symbol} = {rs[0]} mod {q}" if len(rs) == 1
                else f"{o} for {symbol} mod {q} in {{{', '.join(map(str, rs))}}}"
                for o, rs in groups.items())
    return ""


def _encoder_candidates(spec: Any) -> Iterable[tuple[int, tuple[int, int]]]:
    """(kernel, (pb, pe)) for option (b), closest to the current layer first."""
    k = int(spec.kernel[0])
    pb, pe = (int(x) for x in spec.padding[0])
    cands = []
    for k2 in range(max(1, k - KERNEL_RANGE), k + KERNEL_RANGE + 1):
        for p in range(k2 + 1):
            if (k2, (p, p)) != (k, (pb, pe)):
                cands.append((abs(k2 - k) + abs(p - pb) + abs(p - pe), k2 != k, k2, (p, p)))
    return [(k2, pads) for _, _, k2, pads in sorted(cands)]  # equal cost: keep the kernel


def _encoder_option(ctx: _Context, name: str, target: str, up: Node | None,
                    downs: tuple[str, ...], merge: str = "") -> str:
    """(b): a change of the paired encoder layer (for a concat/add without an up-sampling
    branch: of the layer at the root of either input), searched and verified over the base
    set, or why none exists."""
    plan = ctx.plan
    if not downs:
        return ""
    sizes = "base size" if merge else "valid size"
    does = f"{merge}'s inputs agree for every base size" if merge else \
        "every valid size restores"
    f = scale_of(plan.specs[up.name]) if up is not None else None
    down = downs[0]
    independent = target != down and down not in _ancestors(ctx.net, target)
    if f is not None and f.denominator == 1 and f > 1 and independent:
        g = int(f)
        res = sorted({vals[target] % g for vals in ctx.runs.values() if target in vals})
        if len(res) > 1:
            return (f"(b) none by changing {down} or the padding of {up.name if up else name}: "
                    f"{target} takes residues {', '.join(map(str, res))} mod {g} over the "
                    f"{sizes}s while {up.name if up else name} always gives one residue "
                    f"mod {g} (size s*m + c)")
    a = plan.axis
    tried: list[str] = []
    for layer in downs:
        spec = plan.specs.get(layer)
        if not isinstance(spec, Conv | MaxPool | AvgPool) or isinstance(spec.padding, PadMode) \
                or not isinstance(spec.padding, tuple):
            continue
        k = int(spec.kernel[0])
        pb, pe = (int(x) for x in spec.padding[0])
        for k2, pads in _encoder_candidates(spec):
            try:
                edited = edit_layer(ctx.net, layer, a, kernel=k2, padding=pads)
            except SymconvError:
                continue
            if _verified(ctx, edited, name, target, merge):
                what = f"padding {pb}+{pe} -> {pads[0]}+{pads[1]}"
                if k2 != k:
                    what = f"kernel {k} -> {k2}, " + what
                return (f"(b) change {layer} on axis {a}: {what}: no {sizes} is lost and "
                        f"{does} (checked)")
        tried.append(f"{layer}'s kernel ({max(1, k - KERNEL_RANGE)}..{k + KERNEL_RANGE})")
    if not tried:
        return ""
    result = f"makes {merge}'s inputs agree for every base size" if merge else \
        "restores every valid size"
    return (f"(b) no change of {' or '.join(tried)} and symmetric padding (0..kernel) "
            f"{result} (searched)")


# --------------------------------------------------------------------------- findings


def _only(restoring: str) -> str:
    """``only for H = 0 mod 2``, or ``for no valid size``."""
    if not restoring or restoring.startswith("no valid"):
        return "for no valid size"
    return f"only for {restoring}"


def check_findings(net: Network, checks: list[SkipCheck], concrete: tuple[int, ...] | None,
                   values: dict[str, tuple[int, ...]]) -> list[Finding]:
    out: list[Finding] = []
    unpool = ("; as a max-unpool it is worse than a size mismatch: PyTorch reads the pool's "
              "indices as flat positions in the unpooled plane, so where the two sizes differ "
              "values land in the wrong places or PyTorch raises 'Found an invalid max index' "
              "(pass output_size=)")
    shown_nodes: dict[tuple[str, str], list[int]] = {}
    for c in checks:
        if not c.holds_always:
            shown_nodes.setdefault((c.kind, c.node), []).append(c.axis)
    for c in checks:
        if c.holds_always:
            continue
        axes = shown_nodes[(c.kind, c.node)]
        if axes[0] != c.axis:
            continue  # one finding per node: the first failing axis, the others named
        also = f" (also on axis {axis_list(axes[1:])})" if len(axes) > 1 else ""
        shown = ", ".join(f"{n}={v}" for n, v in c.sizes)
        if c.options:
            # the proof and the table are in the check itself; the finding lists what to do
            usable = [o for o in c.options if not o.startswith(
                ("(a) not available", "(b) none", "(b) no change"))]
            table = "per-residue" if c.kind == "merge" else "restore"
            fix = f"; fix (see its {table} table): {'; '.join(usable)}"
        else:
            fix = f"; fix: {c.fix}" if c.fix else ""
        if c.kind == "restore" and net.node(c.node).op == "max-unpool":
            fix += unpool
        if c.kind == "merge":
            out.append(Finding("SC208", c.node, (
                f"{c.node}: inputs differ on axis {c.axis} for some sizes where they exist; "
                f"smallest counterexample input size {c.counterexample} ({shown}){fix}{also}")))
        elif not c.inferred:
            out.append(Finding("SC207", c.node, (
                f"{c.node}: restores {net.node(c.node).restores} on axis {c.axis} only for some "
                f"valid sizes ({c.detail}); smallest valid size where it does not: "
                f"{c.counterexample} ({shown}){fix}{also}")))
        else:
            at = ""
            if concrete is not None and c.node in values and c.target in values \
                    and values[c.node] != values[c.target]:
                at = (f"at input {fmt_size(concrete)} it gives {fmt_size(values[c.node])} for "
                      f"{c.target}={fmt_size(values[c.target])}; ")
            out.append(Finding("SC209", c.node, (
                f"{c.node}: mirrors {c.paired_with} (inferred), so it should restore "
                f"{c.target}, but on axis {c.axis} does so {_only(c.restoring)}; "
                f"{at}smallest valid size where it does not: {c.counterexample} ({shown}){fix}"
                f"{also}. Declare `restores: {c.target}` on {c.node} to check it as a "
                f"requirement, or `restores: false` if it is not meant to")))
    if concrete is not None:
        for node in net.nodes:
            t = node.restores
            if t is None or node.name not in values or t not in values:
                continue
            if values[node.name] != values[t]:
                run_time = any(c.node == node.name and c.kind == "restore" and any(
                    o.startswith("(a)") and "every valid size" in o for o in c.options)
                    for c in checks)
                hint = (f"; pass output_size={fmt_size(values[t])} at run time (option (a) of "
                        "its restore check)") if run_time else ""
                out.append(Finding("SC005", node.name, (
                    f"{node.name}: size {fmt_size(values[node.name])} does not restore {t}="
                    f"{fmt_size(values[t])} at input {fmt_size(concrete)}{hint}")))
    return out
