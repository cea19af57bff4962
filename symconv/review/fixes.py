"""The fixes of a failing skip/restore check, each verified over its base set
(:mod:`symconv.review.tables`) before it is offered (:mod:`symconv.review.skips` states them).

A constant change of the up-sampling layer's output padding or end padding
(:func:`_single_fix`); (a) the target size at run time on this layer and the failing ones
feeding it, checked by pinned runs of the size plan (:func:`_run_time_option`,
:func:`_pinned_run`); (b) a change of the paired encoder layer's padding or kernel, searched
exhaustively over a small range (:func:`_encoder_option`); (c) the input sizes where the check
holds.  An edit is verified on the edited network (:func:`edit_layer`) for every base size:
:func:`restores_everywhere` for a restore, the relaxed edited network keeping every base size
valid for a concat/add (:func:`_verified`).

>>> _span([-1, 0, 1]), _span([0, 2])
('-1..1', '0, 2')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from symconv.errors import SymconvError, UnsupportedError
from symconv.network.model import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity, RestoreRow
from symconv.review.pairing import scale_of
from symconv.review.tables import (
    Row,
    _analyse,
    _contains,
    _Context,
    _holds,
    _op_for,
    _relax,
    _root,
    _subset,
)
from symconv.review.validity import Plan, analyse_axis
from symconv.sizes.shapes import resolve
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, MaxUnpool, PadMode, Resize

__all__ = ["KERNEL_RANGE", "MAX_OPTION_SIZES", "edit_layer", "restores_everywhere"]

#: Encoder kernels tried by option (b): the current one +- this many; paddings 0..kernel.
KERNEL_RANGE = 2
#: Valid sizes below ``N0 + P`` up to which options (a) and (b) are searched (each
#: re-evaluates every such size; the tables go further, ``skips.MAX_TABLE_SIZES``).
MAX_OPTION_SIZES = 1 << 12


def edit_layer(net: Network, name: str, axis: int, **changes: Any) -> Network:
    """``net`` with one axis of per-axis fields of layer ``name`` changed (the spec validates
    the result).

    >>> from symconv.network.model import loads
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


def _verified(ctx: _Context, net: Network, name: str, target: str, merge: str) -> bool:
    """An edit of the network fixes the check for every base size (exact): for a restore,
    :func:`restores_everywhere`; for a concat/add, the edited network with the other failing
    merges relaxed keeps every base size valid (so this merge holds on all of them)."""
    if not merge:
        return restores_everywhere(net, ctx.plan.axis, name, target, ctx.validity)
    others = {m: sides for m, sides in ctx.relaxed.items() if m != merge}
    got = _analyse(_relax(net, others), ctx.plan.axis, ctx.plan.symbol)
    return got is not None and _contains(got[0], ctx.validity)


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
    try:
        if isinstance(spec, ConvTranspose | MaxUnpool):
            return dataclasses.replace(spec, output_size=(t,))
        if isinstance(spec, Resize):
            return dataclasses.replace(spec, size=(t,), scale_factor=None)
    except SymconvError:  # the convention takes no size at run time (Keras Conv*Transpose)
        return None
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
            if node.fit == "output_size":  # a conv-transpose given it: PyTorch's range
                base, ok = tables[node.name].at(first) if node.name in tables else (0, False)
                target = vals[node.size_of]
                if not ok or not 0 <= target - base < int(plan.specs[node.name].stride[0]):
                    fails.append((node.name, "reject", "output_size out of reach"))
                    continue
            vals[node.name] = node.like(vals[node.size_of], plan.axis)
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



class _Late(Exception):
    """A pin's target comes after its layer: the vectorised walk cannot read it."""


def _pinned_many(plan: Plan, pins: dict[str, str], ns: list[int], keep: set[str] | None
                 ) -> tuple[dict[str, Any], dict[str, Any], Any] | None:
    """:func:`_pinned_run` for many sizes at once: ``(values, present, failed)`` arrays, with
    ``failed`` marking the sizes with a failure at a node of ``keep`` (any node when
    ``None``).  :meth:`Plan.run_many` with the pinned layers resolved once per distinct
    (input, target) pair.  ``None`` when a pin's target comes after its layer (the scalar path
    iterates then)."""
    import numpy as np

    def pinned(node: Node, first: Any, pres: Any, val: Any, ok: Any,
               values: dict[str, Any], present: dict[str, Any]) -> tuple[Any, Any]:
        target = pins.get(node.name)
        if target is None:
            return val, ok
        if target not in values:
            raise _Late
        mask = pres & present[target]
        if mask.any():
            pv, pok = _resolve_many(plan.specs[node.name], first, values[target], mask)
            val, ok = np.where(mask, pv, val), np.where(mask, pok, ok)
        return val, ok

    try:
        batch = plan.run_many(np.asarray(ns, dtype=np.int64), pinned)
    except _Late:
        return None
    failed = np.zeros(len(ns), dtype=bool)
    for name, _, mask in batch.fails:
        if keep is None or name in keep:
            failed |= mask
    return batch.values, batch.present, failed


def _resolve_many(spec: Any, firsts: Any, targets: Any, mask: Any) -> tuple[Any, Any]:
    """Output sizes and acceptance of the 1-D ``spec`` at ``firsts`` given output sizes
    ``targets`` at run time, where ``mask``, by :func:`resolve` once per distinct pair."""
    import numpy as np

    out = np.zeros(len(firsts), dtype=np.int64)
    ok = np.zeros(len(firsts), dtype=bool)
    idx = np.flatnonzero(mask)
    keys = np.stack([firsts[idx], targets[idx]], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    res_out = np.zeros(len(uniq), dtype=np.int64)
    res_ok = np.zeros(len(uniq), dtype=bool)
    for j, (m, t) in enumerate(uniq.tolist()):
        try:
            got = _pinned_output_cached(spec, m, t)
        except TypeError:  # an unhashable field value
            got = _pinned_output(spec, m, t)
        if got is not None:
            res_out[j], res_ok[j] = got, True
    out[idx] = res_out[inverse.ravel()]
    ok[idx] = res_ok[inverse.ravel()]
    return out, ok


def _pinned_output(spec: Any, m: int, t: int) -> int | None:
    """The output of the 1-D up layer ``spec`` on input ``m`` given output size ``t`` at run
    time (``None``: rejected)."""
    try:
        return int(resolve(_pin(spec, t), (m,)).output[0])
    except SymconvError:
        return None


_pinned_output_cached = lru_cache(maxsize=1 << 16)(_pinned_output)  # pairs recur across options


def _pinned_runs(plan: Plan, pins: dict[str, str], ns: list[int], keep: set[str] | None
                 ) -> Iterable[tuple[int, Any, bool]]:
    """``(n, sizes, failed)`` of :func:`_pinned_run` for each of ``ns``, in order: one
    vectorised walk (:func:`_pinned_many`) when possible, read through a
    :class:`~symconv.review.tables.Row` (no dict per size)."""
    batch = _pinned_many(plan, pins, ns, keep) if ns else None
    if batch is None:
        for n in ns:
            vals, fails = _pinned_run(plan, pins, n, keep)
            yield n, vals, bool(fails)
        return
    values, present, failed = batch
    for i, n in enumerate(ns):
        yield n, Row(values, present, i), bool(failed[i])

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
    for n, vals, fails_here in _pinned_runs(plan, pins, list(ctx.runs), keep):
        ok = not fails_here and _holds(vals, name, target)
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
            for n, vals, fails in _pinned_runs(plan, pins, list(ctx.runs), None):
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
