"""Skip connections (concat/add) and decoder restores checked for all valid sizes on one axis,
with the smallest counterexample and the output_padding/padding change that fixes them."""

from __future__ import annotations

from symconv.network import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity, Finding, SkipCheck, axis_list, fmt_size
from symconv.review.validity import Plan
from symconv.spec import ConvTranspose

__all__ = ["check_findings", "skip_checks"]


def skip_checks(plan: Plan, validity: AxisValidity,
                merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]]
                ) -> list[SkipCheck]:
    out: list[SkipCheck] = []
    window = range(validity.threshold, validity.threshold + plan.period)
    runs = {n: plan.run(n)[0] for n in window}
    for node in plan.net.nodes:
        if node.op in MERGE_OPS:
            cex = merge_cex.get(node.name)
            fix = ""
            if cex is not None:
                fix = _merge_fix(plan, node, runs)
            out.append(SkipCheck(node.name, "merge", plan.axis, cex is None,
                                 None if cex is None else cex[0],
                                 () if cex is None else cex[1], fix))
        if node.restores is not None:
            out.append(_restore_check(plan, node, node.restores, validity, runs))
    return out


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


def _restore_check(plan: Plan, node: Node, target: str, validity: AxisValidity,
                   runs: dict[int, dict[str, int]]) -> SkipCheck:
    cex: int | None = None
    sizes: tuple[tuple[str, int], ...] = ()
    n = 0
    limit = validity.threshold + plan.period
    while n < limit:
        n += 1
        if n not in validity:
            continue
        vals, _ = plan.run(n)
        if vals.get(node.name) != vals.get(target):
            cex = n
            sizes = ((node.name, vals[node.name]), (target, vals[target]))
            break
    fix = ""
    if cex is not None:
        tconv = _transposed_source(plan, node.name)
        if tconv is not None:
            fix = _fix_text(plan, tconv, node.name, target, runs)
    detail = "" if cex is None else (
        f"restored for the valid input sizes with "
        f"{_restored_classes(plan, node.name, target, validity, runs)}")
    return SkipCheck(node.name, "restore", plan.axis, cex is None, cex, sizes, fix, detail)


def _restored_classes(plan: Plan, name: str, target: str, validity: AxisValidity,
                      runs: dict[int, dict[str, int]]) -> str:
    good = sorted(n % plan.period for n, v in runs.items()
                  if n in validity and v.get(name) == v.get(target))
    if not good:
        return "no residue class (never, past the threshold)"
    return f"size mod {plan.period} in {{{', '.join(map(str, good))}}}"


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


def check_findings(net: Network, checks: list[SkipCheck], concrete: tuple[int, ...] | None,
                   values: dict[str, tuple[int, ...]]) -> list[Finding]:
    out: list[Finding] = []
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
        fix = f"; fix: {c.fix}" if c.fix else ""
        if c.kind == "merge":
            out.append(Finding("SC208", c.node, (
                f"{c.node}: inputs differ on axis {c.axis} for some sizes where they exist; "
                f"smallest counterexample input size {c.counterexample} ({shown}){fix}{also}")))
        else:
            out.append(Finding("SC207", c.node, (
                f"{c.node}: restores {net.node(c.node).restores} on axis {c.axis} only for some "
                f"valid sizes ({c.detail}); smallest valid size where it does not: "
                f"{c.counterexample} ({shown}){fix}{also}")))
    if concrete is not None:
        for node in net.nodes:
            t = node.restores
            if t is None or node.name not in values or t not in values:
                continue
            if values[node.name] != values[t]:
                out.append(Finding("SC005", node.name, (
                    f"{node.name}: size {fmt_size(values[node.name])} does not restore {t}="
                    f"{fmt_size(values[t])} at input {fmt_size(concrete)}")))
    return out
