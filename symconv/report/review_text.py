"""Render a :class:`~symconv.review.Review` (``symconv review``) as text or as a JSON-able dict.

Pure: the same review always gives the same output.

>>> from symconv.network.model import loads
>>> from symconv.review import review
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: down, op: conv, kernel: 3, stride: 2, padding: 1}
...   - {name: up, op: conv-transpose, kernel: 4, stride: 2, padding: 1}
...   - {name: cat, op: concat, inputs: [up, x]}
... ''', "yaml")
>>> print(render_text(review(net, (32,))))  # doctest: +ELLIPSIS
network network: 1 spatial axis, convention torch, input 32
name  op              inputs  size                    value  channels  findings
x     input                   H                       32     ?
down  conv            x       floor(H/2 - 1/2) + 1    16     ?         SC102
up    conv-transpose  down    2*floor(H/2 - 1/2) + 2  32     ?
cat   concat          up, x   2*floor(H/2 - 1/2) + 2  32     ?         SC208
<BLANKLINE>
valid input sizes (exact for every size)
  axis 0: H = 0 mod 2
    excluded, e.g. H=1: cat: concat inputs differ: up=2, x=1
<BLANKLINE>
skip connections and restores
  cat (axis 0): inputs differ for some sizes; smallest counterexample H=1 (up=2, x=1)
    over the sizes valid if up had x's size (every H >= 1), cat's inputs agree only for H = 0 mod 2
    H mod 2  e.g.  up  x  difference  output_padding
    0        2     2   2  +0          0
    1        1     2   1  -1          none
    no single output_padding fixes up on axis 0: the difference x - up is -1, 0 depending on ...
    (b) none by changing down or the padding of up: x takes residues 0, 1 mod 2 over the ...
    (c) keep the current valid set, H = 0 mod 2 (where every concat/add holds); cat alone ...
<BLANKLINE>
findings
  warning  SC102 gradient-checkerboard  down: strided conv kernel=3 stride=2 has an uneven ...
  warning  SC208 skip-size-constraint  cat: inputs differ on axis 0 for some sizes where ...
<BLANKLINE>
0 errors, 2 warnings
"""

from __future__ import annotations

from typing import Any

from symconv.review import Review

__all__ = ["MAX_REASONS", "render_text", "to_dict"]

#: Excluded residue classes shown per axis in the text output (all are in the JSON).
MAX_REASONS = 4


def to_dict(result: Review) -> dict[str, Any]:
    """The JSON form (documented in ``symconv/review/schema/review.schema.json``)."""
    return result.to_dict()


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _norm(text: str, axis: int, symbol: str) -> str:
    """``text`` with its axis number and symbol blanked (axes whose checks read the same)."""
    import re

    return re.sub(rf"\b{re.escape(symbol)}\b", "*", text.replace(f"axis {axis}", "axis *"))


def _restore_table(net: Any, c: Any, symbol: str, period: int) -> list[str]:
    """A restore's per-residue rows: class (or exceptional size), an example size, the two
    sizes, their difference and the output padding that fixes the class (a transposed conv)."""
    with_op = c.kind == "merge" or net.node(c.node).op == "conv-transpose" or any(
        r.output_padding is not None for r in c.rows)
    rows = [[f"{symbol} mod {period}", "e.g.", c.branch or c.node, c.target or "target",
             "difference",
             *(["output_padding"] if with_op else [])]]
    for r in c.rows:
        rows.append([str(r.residue) if r.residue is not None else f"{symbol}={r.size}",
                     str(r.size), str(r.produced), str(r.target),
                     f"{r.difference:+d}" + (f" ({r.drift:+d}/period)" if r.drift else ""),
                     *(["none" if r.output_padding is None else str(r.output_padding)]
                       if with_op else [])])
    return ["    " + line for line in _table(rows)]


def _validity_lines(label: str, v: Any) -> list[str]:
    subject = f" (subject to {', '.join(v.subject_to)})" if v.subject_to else ""
    lines = [f"  {label}: {v.describe()}{subject}"]
    for n, why in v.reasons[:MAX_REASONS]:
        lines.append(f"    excluded, e.g. {v.symbol}={n}: {why}")
    total = max(v.excluded_classes, len(v.reasons))
    if total > MAX_REASONS:
        listed = "--json lists them" if len(v.reasons) == total else \
            f"--json lists {len(v.reasons)}"
        lines.append(f"    ... {total - MAX_REASONS} more excluded classes "
                     f"mod {v.period} ({listed})")
    return lines


def render_text(result: Review) -> str:
    """A table per tensor, the valid-size summary, the skip/restore checks and the findings."""
    net = result.network
    nd = net.ndim
    where = "symbolic" if result.input_size is None else "x".join(map(str, result.input_size))
    lines = [f"network {net.name}: {nd} spatial ax{'is' if nd == 1 else 'es'}, convention "
             f"{net.convention.value}, input {where}"]
    codes: dict[str, list[str]] = {}
    for f in result.findings:
        if f.node is not None:
            codes.setdefault(f.node, []).append(f.code)
    rows = [["name", "op", "inputs", "size", "value", "channels", "findings"]]
    for t in result.tensors:
        rows.append([
            t.name, t.op, ", ".join(t.inputs), " x ".join(t.formula),
            "-" if t.value is None else "x".join(map(str, t.value)),
            "?" if t.channels is None else str(t.channels),
            " ".join(dict.fromkeys(codes.get(t.name, []))),
        ])
    lines += _table(rows)
    lines += ["", "valid input sizes (exact for every size)" if result.complete else
              "valid input sizes (exact for every size, for the analysed outputs only; not "
              "analysed: see below)"]
    for a, v in enumerate(result.validity):
        if v is None:
            lines.append(f"  axis {a}: not computed (see notes)")
            continue
        lines += _validity_lines(f"axis {a}", v)
    for v in result.symbol_validity:
        lines += _validity_lines(f"axis {v.axis} ({v.symbol})", v)
    if result.joint:
        lines += ["", "joint constraints (an input is valid iff every symbol is in its set "
                  "and these hold)"]
        for j in result.joint:
            lines.append(f"  {j.describe()}")
            if j.solution:
                lines.append(f"    {j.solution}")
    if result.checks:
        lines += ["", "skip connections and restores"]
        sym = {a: (v.symbol if v is not None else f"n{a}") for a, v in enumerate(result.validity)}
        groups: dict[tuple[Any, ...], list[int]] = {}
        first: dict[tuple[Any, ...], Any] = {}
        for c in result.checks:
            key = (c.node, c.kind, c.holds_always, c.counterexample, c.sizes,
                   _norm(c.fix, c.axis, sym[c.axis]), _norm(c.detail, c.axis, sym[c.axis]),
                   c.rows,
                   _norm(c.restoring, c.axis, sym[c.axis]),
                   tuple(_norm(o, c.axis, sym[c.axis]) for o in c.options))
            groups.setdefault(key, []).append(c.axis)
            first.setdefault(key, c)
        for key, axes in groups.items():
            c = first[key]
            label = f"axis {axes[0]}" if len(axes) == 1 else f"axes {', '.join(map(str, axes))}"
            target = c.target or net.node(c.node).restores
            if c.inferred:
                label += f", inferred: mirrors {c.paired_with}"
            if c.holds_always:
                verdict = ("inputs agree for every size where they exist" if c.kind == "merge"
                           else f"restores {target} for every valid size")
                lines.append(f"  {c.node} ({label}): {verdict}")
                continue
            shown = ", ".join(f"{n}={s}" for n, s in c.sizes)
            head = ("inputs differ for some sizes" if c.kind == "merge"
                    else f"does not restore {target} for every valid size")
            lines.append(f"  {c.node} ({label}): {head}; smallest counterexample "
                         f"{sym[c.axis]}={c.counterexample} ({shown})")
            if c.rows and c.kind == "merge":  # over the sizes valid if the branch were fixed
                agree = ("for no base size" if c.restoring.startswith("no valid")
                         else f"only for {c.restoring}")
                lines.append(f"    {c.detail} {agree}")
                v = result.validity[c.axis]
                lines += _restore_table(net, c, sym[c.axis], v.period if v else 0)
            elif c.rows:
                where = ("for no valid size" if not c.restoring
                         or c.restoring.startswith("no valid") else f"only for {c.restoring}")
                lines.append(f"    restores {target} {where}")
                v = result.validity[c.axis]
                lines += _restore_table(net, c, sym[c.axis], v.period if v else 0)
            elif c.detail:
                lines.append(f"    {c.detail}")
            if len(c.options) > 1:
                lines.append(f"    {c.fix.split('; options: ')[0]}")
                lines += [f"    {o}" for o in c.options]
            elif c.fix:
                lines.append(f"    fix: {c.fix}")
    if result.findings:
        lines += ["", "findings"]
        for f in result.findings:
            src = result.source(f.node)
            lines.append(f"  {f.severity:<8} {f.code} {f.name}  {f.message}"
                         + (f" [{src}]" if src else ""))
    if result.not_analysed:
        lines += ["", "not analysed (the valid sizes above do not cover these)"]
        lines += [f"  {what}" for what in result.not_analysed]
    if result.notes:
        lines += ["", "notes"] + [f"  {n}" for n in result.notes]
    ne, nw = len(result.errors), len(result.warnings)
    lines += ["", f"{ne} error{'' if ne == 1 else 's'}, {nw} warning{'' if nw == 1 else 's'}"]
    return "\n".join(lines)
