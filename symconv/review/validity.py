"""Exact valid input sizes on one axis by the quasi-affine periodicity argument (T21 lifted to a
graph); the argument itself is in the :mod:`symconv.review` docstring.

Evaluation is vectorised: every layer, restricted to one axis, becomes a :class:`LayerTable`
(its output size and acceptance for every input size ``m``, tabulated below the layer's own
threshold plus one period and extended by ``out(m + L) = out(m) + g``, the acceptance being
periodic there), so a whole range of input sizes is evaluated with a few numpy operations per
layer.  The table is built from :func:`symconv.shapes.resolve` itself and checked to be periodic
on a second period before it is used; the per-axis rules that the 1-D projection would lose or
distort (PyTorch ``avg_pool3d``'s ``input >= kernel``; ONNX MaxUnpool's element-count rule,
which compares products over axes) are applied here, the latter as a joint constraint
(:func:`joint_constraints`).

Several symbols on one axis (inputs ``x: [H, W]`` and ``y: [G, W]`` merged after some layers):
every tensor is *owned* by one symbol (an input by its own; a layer by its input's owner; a
concat/add by its first symbolic input, so that what follows it is a function of that symbol
given the merge holds); a plan per symbol evaluates the tensors it owns (and the constant ones),
and each concat/add that compares tensors of different owners becomes a coupling constraint
``size_a(H) = size_b(G)`` (:func:`joint_constraints`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network import MERGE_OPS, Network, Node
from symconv.review.model import AxisValidity, JointConstraint, JointKind, intersect
from symconv.shapes import resolve, size_period
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    Resize,
)

__all__ = ["MAX_PERIOD", "MAX_SCAN", "Batch", "LayerTable", "Plan", "analyse_axis",
           "axis_key", "axis_output", "axis_symbols", "joint_constraints", "layer_table",
           "make_plan", "owners", "project"]

#: Largest period and scan length the exact valid-size computation accepts.
MAX_PERIOD = 1 << 20
MAX_SCAN = 1 << 22
#: Excluded residue classes whose example and reason are kept (the count is always exact).
MAX_REASONS_KEPT = 64
#: Sizes evaluated per numpy batch in the scan.
_CHUNK = 1 << 16
#: Largest size the int64 evaluation handles (guarded: never a silent overflow).
_BIG = 1 << 60
#: Largest per-layer threshold a table may need.
_MAX_TABLE = 1 << 20


def project(layer: Any, axis: int, ndim: int) -> Any:
    """``layer`` restricted to one spatial axis (every per-axis field sliced, ``ndim=1``).

    A layer valid only at its rank (PyTorch bicubic needs 2-D) still gets its 1-D view: the
    fields, already checked at full rank, are copied as they are; :func:`axis_output`
    evaluates the view at the network's rank."""
    spec = layer.at(ndim)
    changes: dict[str, Any] = {"ndim": 1}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple):
            changes[f.name] = (value[axis],)
    try:
        return dataclasses.replace(spec, **changes)
    except InvalidSpecError:
        view = object.__new__(type(spec))
        for f in dataclasses.fields(spec):
            object.__setattr__(view, f.name, changes.get(f.name, getattr(spec, f.name)))
        return view


_WIDE: dict[tuple[Any, int], Any] = {}


def _widen(spec: Any, ndim: int) -> Any:
    """A 1-D view as an ``ndim``-D layer with that axis's parameters on every axis (cached)."""
    try:
        hit = _WIDE.get((spec, ndim))
    except TypeError:  # an unhashable field value
        return _widen_now(spec, ndim)
    if hit is None:
        if len(_WIDE) > 4096:
            _WIDE.clear()
        hit = _WIDE[(spec, ndim)] = _widen_now(spec, ndim)
    return hit


def _widen_now(spec: Any, ndim: int) -> Any:
    changes: dict[str, Any] = {"ndim": ndim}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple) and len(value) == 1:
            changes[f.name] = value * ndim
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


def _joint_unpool(spec: Any, ndim: int) -> bool:
    """ONNX MaxUnpool with ``output_shape`` on a 2-D/3-D network: onnxruntime compares element
    counts over all axes, so its rule is a joint constraint, not a per-axis one."""
    return (isinstance(spec, MaxUnpool) and spec.convention is Convention.ONNX
            and spec.output_size is not None and ndim >= 2)


def axis_output(spec: Any, ndim: int, m: int) -> int:
    """The 1-D layer ``spec`` (an axis of an ``ndim``-D layer) on input ``m``: the output
    size, or the :class:`~symconv.errors.SymconvError` of every per-axis rule of
    :func:`symconv.shapes.resolve` on the ``ndim``-D layer.

    Evaluated as :func:`~symconv.shapes.resolve` of the ``ndim``-D layer with this axis's
    parameters and size ``m`` on every axis, so the rules that depend on the rank (PyTorch
    ``avg_pool3d``: input >= kernel whatever the padding; bicubic only in 2-D) apply; the one
    rule that compares axes (onnxruntime MaxUnpool's element count) is left to
    :func:`joint_constraints` (this axis only needs its default size >= 1).

    >>> from symconv.spec import AvgPool
    >>> axis_output(AvgPool(kernel=3, stride=1, padding=1, ndim=1), 1, 2)
    2
    >>> axis_output(AvgPool(kernel=3, stride=1, padding=1, ndim=1), 3, 2)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: input size 2 must be at least kernel=3 for 3-D average pooling under convention torch (PyTorch avg_pool3d: input image smaller than kernel size, whatever the padding)
    """
    if _joint_unpool(spec, ndim):
        resolve(dataclasses.replace(spec, output_size=None), (m,))  # output >= 1 on this axis
        return int(spec.output_size[0])
    if ndim == 1:
        return int(resolve(spec, (m,)).output[0])
    try:
        return int(resolve(_widen(spec, ndim), (m,) * ndim).output[0])
    except SymconvError as exc:  # axis 0 fails first: the rule of this axis, unlabelled
        raise type(exc)(str(exc).replace(" on axis 0", "")) from None


class LayerTable:
    """A 1-D layer's output size and acceptance for every input size ``m >= 1``, exactly.

    ``out[m - 1]``, ``ok[m - 1]`` are tabulated for ``m < start + period``; past ``start``
    ``out(m + period) = out(m) + shift`` and ``ok(m + period) = ok(m)`` (the layer's
    quasi-affine period, :func:`symconv.shapes.size_period`, which :func:`layer_table` checks
    on a second period).  ``scale = (p, q)`` instead gives the closed form ``floor(m p / q)``
    (resize by an exact ratio; accepted iff the output is at least 1).
    """

    __slots__ = ("message", "ok", "out", "period", "scale", "shift", "start")

    def __init__(self, start: int, period: int, shift: int, out: Any, ok: Any,
                 message: Callable[[int], str], scale: tuple[int, int] | None = None) -> None:
        self.start, self.period, self.shift = start, period, shift
        self.out, self.ok, self.message, self.scale = out, ok, message, scale

    def at(self, m: int) -> tuple[int, bool]:
        """``(output, accepted)`` at input ``m`` (Python ints)."""
        if self.scale is not None:
            o = m * self.scale[0] // self.scale[1]
            return o, o >= 1
        q = (m - self.start) // self.period if m >= self.start else 0
        i = m - q * self.period - 1
        return int(self.out[i]) + q * self.shift, bool(self.ok[i])

    def many(self, m: Any) -> tuple[Any, Any]:
        """``(outputs, accepted)`` for an int64 array of inputs ``m >= 1``."""
        if self.scale is not None:
            if len(m) and int(m.max()) > _BIG // self.scale[0]:
                raise UnsupportedError(f"sizes above {_BIG} are not evaluated")
            o = m * self.scale[0] // self.scale[1]
            return o, o >= 1
        q = np.maximum(m - self.start, 0) // self.period
        i = m - q * self.period - 1
        return self.out[i] + q * self.shift, self.ok[i]


_TABLES: dict[tuple[Any, int], LayerTable] = {}


def layer_table(spec: Any, ndim: int) -> LayerTable:
    """The :class:`LayerTable` of a 1-D spec (one axis of an ``ndim``-D layer), built from
    :func:`axis_output` and verified periodic on a second period; cached by spec.

    >>> from symconv.spec import Conv
    >>> t = layer_table(Conv(kernel=3, stride=2, padding=1, ndim=1), 1)
    >>> [t.at(m) for m in (1, 2, 3, 1001)]
    [(1, True), (1, True), (2, True), (501, True)]
    """
    key = (spec, 3 if ndim == 3 else (2 if ndim >= 2 else 1))
    try:
        hit = _TABLES.get(key)
    except TypeError:  # an unhashable field value: fall back to the (faithful) repr
        key = (repr(spec), key[1])
        hit = _TABLES.get(key)
    if hit is not None:
        return hit
    period, shift = size_period(spec)

    def message(m: int) -> str:
        try:
            axis_output(spec, ndim, m)
        except SymconvError as exc:
            return str(exc)
        return "accepted"  # pragma: no cover - only asked for rejected sizes

    if isinstance(spec, Resize) and spec.size is None and isinstance(
            spec.scale_factor[0], int | Fraction):
        f = Fraction(spec.scale_factor[0])
        table = LayerTable(1, f.denominator, f.numerator, None, None, message,
                           (f.numerator, f.denominator))
    else:
        if period > MAX_PERIOD:
            raise UnsupportedError(f"the size period {period} of {type(spec).__name__} exceeds "
                                   f"{MAX_PERIOD}")
        start = _constant(spec) + 1
        while True:
            out, ok = _tabulate(spec, ndim, start + 2 * period - 1)
            lo, hi = start - 1 + period, start - 1 + 2 * period
            a_ok, b_ok = ok[lo:hi], ok[lo - period:hi - period]
            if (a_ok == b_ok).all() and (
                    out[lo:hi][a_ok] == out[lo - period:hi - period][a_ok] + shift).all():
                break
            start *= 2  # not periodic yet (never seen: _constant bounds every rule)
            if start > _MAX_TABLE:
                raise UnsupportedError(f"{type(spec).__name__} has no size period from "
                                       f"{_MAX_TABLE} on")
        n = start + period - 1
        table = LayerTable(start, period, shift, out[:n].copy(), ok[:n].copy(), message)
    if len(_TABLES) > 4096:
        _TABLES.clear()
    _TABLES[key] = table
    return table


def _tabulate(spec: Any, ndim: int, count: int) -> tuple[Any, Any]:
    out = np.zeros(count, dtype=np.int64)
    ok = np.zeros(count, dtype=bool)
    for m in range(1, count + 1):
        try:
            out[m - 1] = axis_output(spec, ndim, m)
            ok[m - 1] = True
        except SymconvError:
            pass
    return out, ok


@dataclass
class Batch:
    """Every tensor's size on one axis for an array of input sizes ``ns``: ``values[t]`` (only
    meaningful where ``present[t]``), ``fails`` as ``(node, kind, mask)`` in node order,
    ``first`` the index in ``fails`` of each size's first failure (-1 when none)."""

    ns: Any
    values: dict[str, Any]
    present: dict[str, Any]
    fails: list[tuple[str, str, Any]]
    first: Any

    @property
    def ok(self) -> Any:
        return self.first < 0


@dataclass
class Plan:
    """The network on one axis for one symbol: 1-D layer tables, periods, shifts, constants.

    ``members`` are the nodes evaluated (those owned by ``symbol`` or by no symbol);
    ``foreign[node]`` the inputs of a concat/add owned by another symbol (compared by a
    coupling constraint, not here)."""

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
    tables: dict[str, LayerTable] = field(default_factory=dict)
    members: tuple[Node, ...] = ()
    foreign: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def _ins(self, node: Node) -> list[str]:
        skip = self.foreign.get(node.name, ())
        return [s for s in node.inputs if s not in skip]

    def run(self, n: int) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
        """Sizes at input ``n`` of every tensor that exists, and every failure as
        ``(node, kind, message)`` with kind 'reject' or 'mismatch'."""
        self.evals += 1
        vals: dict[str, int] = {name: n for name in self.varying}
        vals.update(self.fixed)
        fails: list[tuple[str, str, str]] = []
        for node in self.members:
            names = self._ins(node)
            ins = [vals.get(s) for s in names]
            if any(v is None for v in ins):
                continue
            first = ins[0]
            assert first is not None
            size_of = getattr(node, "size_of", None)
            if size_of is not None:
                vals[node.name] = vals[size_of]
            elif node.op in MERGE_OPS:
                if len(set(ins)) > 1:
                    shown = ", ".join(f"{s}={v}" for s, v in zip(names, ins, strict=True))
                    fails.append((node.name, "mismatch", f"{node.op} inputs differ: {shown}"))
                    continue
                vals[node.name] = first
            elif node.layer is None:
                vals[node.name] = first
            else:
                table = self.tables[node.name]
                out, ok = table.at(first)
                if ok:
                    vals[node.name] = out
                else:
                    fails.append((node.name, "reject",
                                  f"rejects size {first}: {table.message(first)}"))
        return vals, fails

    def run_many(self, ns: Any) -> Batch:
        """:meth:`run` for an int64 array of input sizes at once (the same sizes and failures,
        as arrays)."""
        ns = np.asarray(ns, dtype=np.int64)
        self.evals += len(ns)
        one = np.ones(len(ns), dtype=bool)
        values: dict[str, Any] = {name: ns for name in self.varying}
        present: dict[str, Any] = {name: one for name in self.varying}
        for name, c in self.fixed.items():
            values[name] = np.full(len(ns), c, dtype=np.int64)
            present[name] = one
        fails: list[tuple[str, str, Any]] = []
        first = np.full(len(ns), -1, dtype=np.int64)
        for node in self.members:
            names = self._ins(node)
            if any(s not in values for s in names):
                continue
            pres = present[names[0]]
            for s in names[1:]:
                pres = pres & present[s]
            size_of = getattr(node, "size_of", None)
            bad = None
            if size_of is not None:
                val = values[size_of]
            elif node.op in MERGE_OPS:
                val = values[names[0]]
                eq = one
                for s in names[1:]:
                    eq = eq & (values[s] == val)
                bad = pres & ~eq
                pres = pres & eq
                kind = "mismatch"
            elif node.layer is None:
                val = values[names[0]]
            else:
                val, ok = self.tables[node.name].many(np.where(pres, values[names[0]], 1))
                if len(val) and int(val.max()) > _BIG:
                    raise UnsupportedError(f"sizes above {_BIG} are not evaluated ({node.name})")
                bad = pres & ~ok
                pres = pres & ok
                kind = "reject"
            if bad is not None and bad.any():
                first[(first < 0) & bad] = len(fails)
                fails.append((node.name, kind, bad))
            values[node.name] = val
            present[node.name] = pres
        return Batch(ns, values, present, fails, first)


def axis_symbols(net: Network, a: int) -> tuple[str, ...]:
    """The symbols of the inputs' sizes on axis ``a``, in order of appearance."""
    return tuple(dict.fromkeys(str(i.size[a]) for i in net.inputs if isinstance(i.size[a], str)))


def owners(net: Network, a: int) -> dict[str, str | None]:
    """The symbol each tensor's size on axis ``a`` is a function of (``None``: a constant).

    A concat/add belongs to its first symbolic input (given the merge holds, what follows is a
    function of that symbol); a resize to another tensor's size to that tensor."""
    syms = axis_symbols(net, a)
    own: dict[str, str | None] = {}
    if syms:
        for i in net.inputs:
            own[i.name] = str(i.size[a]) if isinstance(i.size[a], str) else None
    else:  # all concrete: the inputs of the first input's size vary together
        first = net.inputs[0].size[a]
        for i in net.inputs:
            own[i.name] = f"n{a}" if i.size[a] == first else None
    for node in net.nodes:
        size_of = getattr(node, "size_of", None)
        if size_of is not None:
            own[node.name] = own.get(size_of)
            continue
        found = [own.get(s) for s in node.inputs if own.get(s) is not None]
        own[node.name] = found[0] if found else None
    return own


def make_plan(net: Network, a: int, symbol: str | None = None) -> Plan:
    """The plan of axis ``a`` for ``symbol`` (default: the first symbol on the axis)."""
    nd = net.ndim
    own = owners(net, a)
    syms = axis_symbols(net, a)
    if symbol is None:
        symbol = syms[0] if syms else f"n{a}"
    elif symbol not in syms:
        raise InvalidSpecError(f"symbol={symbol!r} must be a size symbol of axis {a}")
    varying = frozenset(i.name for i in net.inputs if own[i.name] == symbol)
    fixed = {i.name: int(i.size[a]) for i in net.inputs if own[i.name] is None}
    members = tuple(n for n in net.nodes if own[n.name] in (symbol, None))
    foreign = {n.name: tuple(s for s in n.inputs if own.get(s) not in (symbol, None))
               for n in members}
    foreign = {k: v for k, v in foreign.items() if v}
    specs = {n.name: project(n.layer, a, nd) for n in net.nodes if n.layer is not None}
    tables = {n.name: layer_table(specs[n.name], nd) for n in members if n.layer is not None}
    # (P_t, A_t): size_t(n + P_t) = size_t(n) + A_t
    pa: dict[str, tuple[int, int]] = {name: (1, 1) for name in varying}
    pa.update({name: (1, 0) for name in fixed})
    merges: dict[str, bool] = {}
    for node in members:
        names = [s for s in node.inputs if s not in foreign.get(node.name, ())]
        ins = [pa[s] for s in names]
        size_of = getattr(node, "size_of", None)
        if size_of is not None:
            pa[node.name] = pa[size_of]
        elif node.op in MERGE_OPS:
            p = math.lcm(*(x[0] for x in ins))
            shifts = [x[1] * (p // x[0]) for x in ins]
            merges[node.name] = len(set(shifts)) == 1
            pa[node.name] = (p, shifts[0])
        elif node.layer is None:
            pa[node.name] = ins[0]
        else:
            big_l, g = tables[node.name].period, tables[node.name].shift
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
    for node in members:
        if node.layer is None or getattr(node, "size_of", None) is not None:
            continue
        c = _constant(specs[node.name])
        src = node.inputs[0]
        need[src] = need.get(src, 0) + c
    view = _view(net, own, symbol, members, foreign)
    restores = tuple(n for n in view.nodes if n.restores is not None)
    return Plan(view, a, symbol, varying, fixed, specs, period, shift, need, merges, restores,
                tables=tables, members=tuple(view.nodes), foreign=foreign)


def _view(net: Network, own: dict[str, str | None], symbol: str, members: tuple[Node, ...],
          foreign: dict[str, tuple[str, ...]]) -> Network:
    """The part of ``net`` this symbol's plan evaluates, as a network of its own (the whole
    network when there is one symbol): inputs of other symbols and the tensors they own are
    left out, a concat/add keeps its own inputs, and a ``restores`` target of another symbol
    is left to the coupling constraints."""
    if len(members) == len(net.nodes) and all(own[i.name] in (symbol, None)
                                              for i in net.inputs):
        return net
    keep = {i.name for i in net.inputs if own[i.name] in (symbol, None)}
    keep |= {n.name for n in members}
    nodes = tuple(dataclasses.replace(
        n, inputs=tuple(x for x in n.inputs if x not in foreign.get(n.name, ())),
        restores=n.restores if n.restores in keep else None) for n in members)
    outputs = tuple(o for o in net.outputs if o in keep) or ((nodes[-1].name,) if nodes else ())
    return dataclasses.replace(net, inputs=tuple(i for i in net.inputs if i.name in keep),
                               nodes=nodes, outputs=outputs)


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


def axis_key(net: Network, a: int) -> Any:
    """What the analysis of axis ``a`` depends on: the 1-D specs and the inputs' sizes (which
    inputs share a symbol, not the symbols' names)."""
    nd = net.ndim
    specs = tuple(repr(project(n.layer, a, nd)) if n.layer is not None else n.op
                  for n in net.nodes)
    syms = axis_symbols(net, a)
    return specs, tuple(i.size[a] if isinstance(i.size[a], int) else syms.index(str(i.size[a]))
                        for i in net.inputs), ("3d" if nd == 3 else nd >= 2)


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
        if node.layer is not None and _joint_unpool(node.layer.at(net.ndim), net.ndim):
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
