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
and the output padding that fixes that class (:func:`symconv.sizes.inverse.output_padding_for_axis`,
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
base set is the exact valid set of the *relaxed* network (:func:`symconv.review.tables._relax`),
where each failing concat/add reads only the partner of its branch (the input fed by an up-sampling layer, else
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

This module builds the checks and their findings (:func:`skip_checks`,
:func:`check_findings`); the base sets and per-residue tables are in
:mod:`symconv.review.tables`, the options and their verification in
:mod:`symconv.review.fixes` (:func:`edit_layer` and :func:`restores_everywhere` are
re-exported here).

>>> from symconv.network.model import loads
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

from symconv.network.model import MERGE_OPS, Network, Node
from symconv.review.fixes import MAX_OPTION_SIZES, _fixes, edit_layer, restores_everywhere
from symconv.review.model import AxisValidity, Finding, SkipCheck, axis_list, fmt_size
from symconv.review.pairing import Pair, infer_pairs
from symconv.review.tables import (
    _Context,
    _relaxed_context,
    _restored_classes,
    _restoring,
    _root,
    _rows,
    _up_source,
)
from symconv.review.validity import Plan
from symconv.spec import ConvTranspose

__all__ = ["MAX_OPTION_SIZES", "MAX_TABLE_SIZES", "check_findings", "edit_layer",
           "restores_everywhere", "skip_checks"]

#: Valid sizes below ``N0 + P`` up to which restore and concat/add tables are built (the
#: options are searched up to :data:`symconv.review.fixes.MAX_OPTION_SIZES`).
MAX_TABLE_SIZES = 1 << 14


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
        if node.op in MERGE_OPS and len(node.inputs) > 1:  # not a lone input beside gates
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


# --------------------------------------------------------------------------- restores


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
