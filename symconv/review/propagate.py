"""Shape propagation through a network: channel counts, the sizes of every tensor at a concrete
input (the first layer that rejects it), and exact symbolic size formulas per axis."""

from __future__ import annotations

from typing import Any

from symconv.errors import SymconvError
from symconv.network.model import MERGE_OPS, Network, Node
from symconv.review.model import Finding, TensorRow, fmt_size
from symconv.review.plan import broadcast_gates, broadcast_message
from symconv.review.validity import axis_key, project
from symconv.sizes.shapes import output_channels, resolve
from symconv.spec import Conv, ConvTranspose

__all__ = ["concrete_inputs", "evaluate", "propagate_channels", "symbolic_formulas",
           "tensor_rows"]


def concrete_inputs(net: Network, size: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if size is not None:
        return size
    first = net.inputs[0].size
    if all(isinstance(v, int) for v in first):
        return tuple(int(v) for v in first)
    return None


def propagate_channels(net: Network, findings: list[Finding]) -> dict[str, int | None]:
    ch: dict[str, int | None] = {i.name: i.channels for i in net.inputs}
    nd = net.ndim
    for node in net.nodes:
        srcs = [ch.get(s) for s in node.inputs]
        c: int | None
        if node.op == "concat":
            c = None if any(x is None for x in srcs) else sum(x for x in srcs if x is not None)
        elif node.op == "add":
            known = {x for x in srcs if x is not None}
            if len(known) > 1:
                findings.append(Finding("SC004", node.name, (
                    f"{node.name}: add of channels "
                    f"{', '.join(f'{s}={ch.get(s)}' for s in node.inputs)} must have equal "
                    "channel counts")))
            c = next(iter(known)) if len(known) == 1 and None not in srcs else (
                next(iter(known)) if known else None)
        elif node.layer is None or node.op == "pad":
            c = srcs[0]
        else:
            src = srcs[0]
            try:
                if src is None:
                    c = _declared_out(node)
                else:
                    c = output_channels(node.layer, src, nd)
            except SymconvError as exc:
                findings.append(Finding("SC004", node.name, f"{node.name}: {exc}"))
                c = _declared_out(node)
        ch[node.name] = c
    return ch


def _declared_out(node: Node) -> int | None:
    if isinstance(node.layer, Conv | ConvTranspose):
        return node.layer.out_channels
    return None


def evaluate(net: Network, size: tuple[int, ...]
                 ) -> tuple[dict[str, tuple[int, ...]], Finding | None]:
    """Sizes of every tensor at ``size``; the first rejection (topological order) as SC001/2."""
    vals: dict[str, tuple[int, ...]] = net.input_sizes(size)
    first: Finding | None = None
    gates = broadcast_gates(net)
    for node in net.nodes:
        srcs = [vals.get(s) for s in node.inputs]
        if any(s is None for s in srcs):
            continue
        ins = [s for s in srcs if s is not None]
        if node.op in MERGE_OPS:
            out, finding = _merge(node, ins, gates.get(node.name), size)
            if finding is not None:
                first = first or finding
                continue
            vals[node.name] = out
        elif node.size_of is not None:  # a resize (or a fitted layer) to another's size
            if node.fit == "output_size" and node.layer is not None:
                why = _fit_rejects(node, ins[0], vals[node.size_of])
                if why is not None:
                    if first is None:
                        first = Finding("SC001", node.name, (
                            f"{node.name} ({node.op}) rejects its input {fmt_size(ins[0])} "
                            f"(network input {fmt_size(size)}): {why}"))
                    continue
            got = tuple(node.like(v, a) for a, v in enumerate(vals[node.size_of]))
            if min(got) < 1:
                if first is None:
                    first = Finding("SC001", node.name, (
                        f"{node.name} ({node.op}) resizes to {fmt_size(got)} at network input "
                        f"{fmt_size(size)} ({node.size_of} is "
                        f"{fmt_size(vals[node.size_of])}): an output size must be at least 1"))
                continue
            vals[node.name] = got
        elif node.layer is None:
            vals[node.name] = ins[0]
        else:
            try:
                vals[node.name] = tuple(int(o) for o in resolve(node.layer, ins[0]).output)
            except SymconvError as exc:
                if first is None:
                    first = Finding("SC001", node.name, (
                        f"{node.name} ({node.op}) rejects its input {fmt_size(ins[0])} (network input "
                        f"{fmt_size(size)}): {exc}"))
    return vals, first



def _fit_rejects(node: Node, size: tuple[int, ...], target: tuple[int, ...]) -> str | None:
    """Why a conv-transpose given ``target`` as its output size at run time rejects
    ``size`` (``None``: it does not): its own rule, or a target it cannot reach."""
    assert node.layer is not None
    try:
        base = tuple(int(o) for o in resolve(node.layer, size).output)
    except SymconvError as exc:
        return str(exc)
    stride = node.layer.at(len(size)).stride
    for a, (t, b) in enumerate(zip(target, base, strict=True)):
        if not 0 <= t - b < stride[a]:
            return (f"output_size {fmt_size(target)} (the size of {node.size_of}) must be "
                    f"within [{b}, {b + stride[a] - 1}] on axis {a}: the sizes output_padding "
                    f"0..{stride[a] - 1} reaches (PyTorch ConvTranspose forward(x, "
                    "output_size=...))")
    return None


def _merge(node: Node, ins: list[tuple[int, ...]], gates: tuple[frozenset[str], ...] | None,
           size: tuple[int, ...]) -> tuple[tuple[int, ...], Finding | None]:
    """A concat/add at one input size: its output sizes, or the SC002/SC006 finding.  An add
    broadcasts, per axis, the inputs that are 1 for every input size (``gates``)."""
    out: list[int] = []
    for a in range(len(ins[0])):
        skip = gates[a] if gates else frozenset()
        names = [s for s in node.inputs if s not in skip]
        here = [v[a] for s, v in zip(node.inputs, ins, strict=True) if s not in skip]
        if len(set(here)) > 1:
            shown = ", ".join(f"{s}={fmt_size(v)}" for s, v in zip(node.inputs, ins, strict=True))
            why = broadcast_message(node, names, here)
            if why is not None:
                return (), Finding("SC006", node.name, (
                    f"{node.name}: at input {fmt_size(size)} on axis {a}: {why}"))
            return (), Finding("SC002", node.name, (
                f"{node.name}: {node.op} inputs have different spatial sizes at input "
                f"{fmt_size(size)}: {shown}"))
        out.append(here[0])
    return tuple(out), None


def symbolic_formulas(net: Network, notes: list[str]) -> dict[str, tuple[str, ...]]:
    """Exact size formulas of every tensor in the inputs' symbols (SymPy, no evaluation of
    text: symbols are created from identifier names).  Computed per axis on the 1-D network;
    axes with the same 1-D network share the work (the symbol is substituted)."""
    import sympy

    syms: dict[str, Any] = {}

    def sym(v: int | str) -> Any:
        if isinstance(v, int):
            return sympy.Integer(v)
        if v not in syms:
            syms[v] = sympy.Symbol(v, integer=True, positive=True)
        return syms[v]

    nd = net.ndim
    cache: dict[Any, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    axes: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for a in range(nd):
        key = axis_key(net, a)
        here = tuple(sym(i.size[a]) for i in net.inputs)
        if key in cache:
            base, vals = cache[key]
            mapping = {b: h for b, h in zip(base, here, strict=True) if b != h}
            axes.append({k: v.xreplace(mapping) if mapping else v for k, v in vals.items()})
            continue
        vals = {i.name: x for i, x in zip(net.inputs, here, strict=True)}
        gated = {k: v[a] for k, v in broadcast_gates(net).items()}
        rounded = 0  # layers derived on a formula with floors: SymPy's costly case
        for node in net.nodes:
            lead = next((s for s in node.inputs if s not in gated.get(node.name, ())),
                        node.inputs[0])
            first = vals.get(lead)
            if first is None or any(src not in vals for src in node.inputs):
                continue
            if node.size_of is not None:  # a resize to another tensor's spatial size
                vals[node.name] = node.like(vals[node.size_of], a)
                continue
            if node.layer is None:
                vals[node.name] = first
                continue
            if not isinstance(first, sympy.Integer) and first.has(sympy.floor, sympy.ceiling):
                rounded += 1
                if rounded > MAX_ROUNDED_FORMULAS:
                    failed.setdefault("", (
                        f"{node.name} and the tensors after it: no closed form shown: more than "
                        f"{MAX_ROUNDED_FORMULAS} layers precede it on a size formula with floors "
                        "(each costs SymPy milliseconds to tens of milliseconds); sizes and "
                        "valid sets are unaffected"))
                    continue
            try:
                # a fixed size is resolved as an int, so the layer's rules apply to it (a
                # SymPy Integer would pass as a formula: a kernel of 10^9 on 8 gave -999999991)
                arg = int(first) if isinstance(first, sympy.Integer) else first
                o = resolve(project(node.layer, a, nd), (arg,)).output[0]
                o = sympy.Integer(o) if isinstance(o, int) else _flatten(o)
                depth = _depth(o)
                if depth > MAX_FORMULA_DEPTH:
                    failed.setdefault(node.name, (
                        f"{node.name}: no closed form shown: its size formula nests {depth} "
                        f"levels deep, more than {MAX_FORMULA_DEPTH} (nested floors that do "
                        "not merge); sizes and valid sets are unaffected"))
                    continue
                vals[node.name] = o
            except SymconvError as exc:
                failed.setdefault(node.name, f"{node.name}: no closed form ({exc})")
            except Exception as exc:  # SymPy itself can fail on nested Piecewise/floor
                failed.setdefault(node.name, f"{node.name}: no closed form (SymPy "
                                  f"{type(exc).__name__}); sizes and valid sets are unaffected")
        cache[key] = (here, vals)
        axes.append(vals)
    notes.extend(failed.values())
    names = [i.name for i in net.inputs] + [n.name for n in net.nodes]
    printed: dict[Any, str] = {}  # many tensors share a formula: print each one once

    def text(expr: Any) -> str:
        if expr not in printed:
            try:
                printed[expr] = str(expr)
            except RecursionError:  # a safety net: the depth bound above should prevent it
                printed[expr] = "?"
        return printed[expr]

    return {k: tuple(text(ax[k]) for ax in axes) for k in names if all(k in ax for ax in axes)}


#: Deepest size formula (SymPy expression tree levels) kept: SymPy prints and compares
#: recursively, so a deeper one could exhaust Python's recursion limit.  Chains of strided
#: windows merge their floors (:func:`_flatten`) and stay shallow however long.
MAX_FORMULA_DEPTH = 120


#: Most layers derived symbolically on an input formula with floors or ceilings, per axis: each
#: costs SymPy milliseconds to tens of milliseconds (its assumption system), so a chain of
#: thousands of strided layers would take minutes.  Beyond it the formulas are not shown.
MAX_ROUNDED_FORMULAS = 256


def _depth(expr: Any) -> int:
    """Levels of ``expr``'s tree, without recursion (shared subtrees visited once)."""
    best = 0
    seen: dict[Any, int] = {}
    stack = [(expr, 1)]
    while stack:
        e, d = stack.pop()
        if seen.get(e, 0) >= d:
            continue
        seen[e] = d
        best = max(best, d)
        stack.extend((x, d + 1) for x in e.args)
    return best


def _flatten(expr: Any) -> Any:
    """``expr`` with nested floors merged: ``floor((floor(Y) + m)/n) = floor((Y + m)/n)`` for a
    positive integer ``n`` and an integer ``m`` (the same for ``ceiling``), exact for every
    real ``Y``.  Without it a chain of strided layers nests one floor per layer.  Bottom-up
    with an explicit stack (no recursion on deep trees)."""
    import sympy

    done: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if e in done:
            continue
        if not e.args:
            done[e] = e
            continue
        if not ready:
            stack.append((e, True))
            stack.extend((x, False) for x in e.args if x not in done)
            continue
        args = tuple(done[x] for x in e.args)
        new = e.func(*args) if args != e.args else e
        if isinstance(new, sympy.floor | sympy.ceiling):
            new = _merge_rounding(new)
        done[e] = new
    return done[expr]


def _merge_rounding(e: Any) -> Any:
    """One step of :func:`_flatten` at a ``floor``/``ceiling`` node."""
    import sympy

    kind = type(e)
    arg = e.args[0]
    for term in sympy.Add.make_args(arg):
        coeff, inner = term.as_coeff_Mul()
        if not (isinstance(inner, kind) and coeff.is_Rational and coeff > 0
                and coeff.p == 1):
            continue
        n = coeff.q
        rest = arg - term
        if (rest * n).is_integer:
            return kind(inner.args[0] / n + rest)
    return e


def tensor_rows(net: Network, formulas: dict[str, tuple[str, ...]],
                values: dict[str, tuple[int, ...]], channels: dict[str, int | None]
          ) -> tuple[TensorRow, ...]:
    rows = [TensorRow(i.name, "input", (), formulas.get(i.name, ()), values.get(i.name),
                      channels.get(i.name)) for i in net.inputs]
    for node in net.nodes:
        rows.append(TensorRow(node.name, node.op, node.inputs,
                              formulas.get(node.name, ("?",) * net.ndim),
                              values.get(node.name), channels.get(node.name)))
    return tuple(rows)
