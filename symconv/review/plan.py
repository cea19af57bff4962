"""The network on one axis as a vectorised evaluator: 1-D layer size tables and per-symbol plans.

One job: given a network and an axis, evaluate every tensor's size on that axis for one input
size (:meth:`Plan.run`) or a whole array of them (:meth:`Plan.run_many`) exactly; the
residue-class scan that turns this into valid-size sets is :mod:`symconv.review.validity`.

Every layer, restricted to one axis (:func:`project`), becomes a :class:`LayerTable`
(its output size and acceptance for every input size ``m``, tabulated below the layer's own
threshold plus one period and extended by ``out(m + L) = out(m) + g``, the acceptance being
periodic there), so a whole range of input sizes is evaluated with a few numpy operations per
layer.  The table is built from :func:`symconv.sizes.shapes.resolve` itself and checked to be periodic
on a second period before it is used; the per-axis rules that the 1-D projection would lose or
distort (PyTorch ``avg_pool3d``'s ``input >= kernel``; ONNX MaxUnpool's element-count rule,
which compares products over axes, see :func:`joint_unpool`) are applied here (:func:`axis_output`),
the latter as a joint constraint (:func:`symconv.review.validity.joint_constraints`).

Broadcasting: an elementwise merge (``add``: Add, Mul, Sub, ... in ONNX; ``x * gate`` in
PyTorch) broadcasts an input whose size on the axis is 1 for *every* input size (a *gate*: the
output of a global pooling and what is computed from it alone, :func:`constant_sizes`), as the
runtimes do; such inputs are not compared (:func:`broadcast_gates`) and the merge takes the
size of its other inputs.  An input that is 1 only at some sizes is compared like any other:
there the runtimes broadcast 1 against N and return a wrong-sized output, a mismatch.
A concat never broadcasts.

Several symbols on one axis (inputs ``x: [H, W]`` and ``y: [G, W]`` merged after some layers):
every tensor is *owned* by one symbol (an input by its own; a layer by its input's owner; a
concat/add by its first symbolic input, so that what follows it is a function of that symbol
given the merge holds, :func:`owners`); a plan per symbol (:func:`make_plan`) evaluates the
tensors it owns (and the constant ones).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from symconv._params import fmt
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network.model import MERGE_OPS, Network, Node
from symconv.sizes.shapes import resolve, size_period
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    Resize,
)

__all__ = ["MAX_PERIOD", "Batch", "LayerTable", "Plan", "axis_key", "axis_output",
           "axis_symbols", "broadcast_gates", "broadcast_message", "constant_sizes",
           "joint_unpool", "layer_table", "make_plan", "owners", "project"]

#: Largest period the exact valid-size computation accepts.
MAX_PERIOD = 1 << 20
#: Largest size the int64 evaluation handles (guarded: never a silent overflow).
_BIG = 1 << 60
#: Largest per-layer threshold a table may need.
_MAX_TABLE = 1 << 20
#: Most input sizes tabulated for one layer (threshold + two periods): each costs one
#: ``resolve`` (10-20 us), so a table stays within about five seconds.
MAX_TABULATED = 1 << 18


def project(layer: Any, axis: int, ndim: int) -> Any:
    """``layer`` restricted to one spatial axis (every per-axis field sliced, ``ndim=1``).

    A layer valid only at its rank (PyTorch bicubic needs 2-D) still gets its 1-D view: the
    fields, already checked at full rank, are copied as they are; :func:`axis_output`
    evaluates the view at the network's rank.  Memoised (specs are frozen values): the review
    asks for the same view many times per layer, and each build validates the spec again."""
    try:
        return _project(layer, axis, ndim)
    except TypeError:  # an unhashable field: build it every time
        return _project.__wrapped__(layer, axis, ndim)


@functools.lru_cache(maxsize=1 << 16)
def _project(layer: Any, axis: int, ndim: int) -> Any:
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
        if isinstance(spec, PixelShuffle) and f.name == "factor":
            continue  # n r >= 1 for every n: the factor bounds nothing
        if (isinstance(spec, Resize) and f.name == "scale_factor" and v is not None
                and all(isinstance(x, int | Fraction) for x in v)):
            # floor(n p / q) >= 1 iff n >= q / p: the denominator bounds the rule, not p (a
            # nearest resize by 10^7 settles at once)
            total += sum(Fraction(x).denominator + 1 for x in v)
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


def joint_unpool(spec: Any, ndim: int) -> bool:
    """ONNX MaxUnpool with ``output_shape`` on a 2-D/3-D network: onnxruntime compares element
    counts over all axes, so its rule is a joint constraint, not a per-axis one."""
    return (isinstance(spec, MaxUnpool) and spec.convention is Convention.ONNX
            and spec.output_size is not None and ndim >= 2)


def axis_output(spec: Any, ndim: int, m: int) -> int:
    """The 1-D layer ``spec`` (an axis of an ``ndim``-D layer) on input ``m``: the output
    size, or the :class:`~symconv.errors.SymconvError` of every per-axis rule of
    :func:`symconv.sizes.shapes.resolve` on the ``ndim``-D layer.

    Evaluated as :func:`~symconv.sizes.shapes.resolve` of the ``ndim``-D layer with this axis's
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
    if joint_unpool(spec, ndim):
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
    quasi-affine period, :func:`symconv.sizes.shapes.size_period`, which :func:`layer_table` checks
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
            raise UnsupportedError(
                f"makes the size period {fmt(period)}, which exceeds the limit {MAX_PERIOD} "
                "(the valid sizes are tabulated over one period of each layer)")
        start = _constant(spec) + 1
        while True:
            count = start + 2 * period - 1
            if count > MAX_TABULATED:  # each size is one resolve (about 10-20 us)
                raise _TableTooLong(
                    f"{type(spec).__name__} needs its output size tabulated on {count:,} input "
                    f"sizes (the sizes its parameters may reject reach {start - 1:,}, its size "
                    f"period is {period:,}), more than the limit {MAX_TABULATED:,}")
            out, ok = _tabulate(spec, ndim, count)
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


class _TableTooLong(UnsupportedError):
    """A layer's table would be longer than :data:`MAX_TABULATED` (its message names why)."""


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


#: ``(node, first, pres, out, ok, values, present) -> (out, ok)``: see :meth:`Plan.run_many`.
LayerHook = Callable[[Node, Any, Any, Any, Any, dict[str, Any], dict[str, Any]],
                     tuple[Any, Any]]


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
    _inputs: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)

    def _ins(self, node: Node) -> list[str]:
        """``node``'s inputs evaluated on this plan (other symbols' tensors left out),
        memoised: every run walks the same nodes (the list is shared: do not mutate it)."""
        try:
            return self._inputs[node.name]
        except KeyError:
            skip = self.foreign.get(node.name, ())
            names = self._inputs[node.name] = [s for s in node.inputs if s not in skip]
            return names

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
                if node.fit == "output_size":
                    table = self.tables[node.name]
                    out, ok = table.at(first)
                    t = vals[size_of]
                    stride = int(self.specs[node.name].stride[0])
                    if not ok:
                        fails.append((node.name, "reject",
                                      f"rejects size {first}: {table.message(first)}"))
                        continue
                    if not 0 <= t - out < stride:
                        fails.append((node.name, "reject", _fit_message(size_of, t, out,
                                                                        stride)))
                        continue
                got = node.like(vals[size_of], self.axis)
                if got < 1:  # a resize to floor(size * p / q) = 0 (PyTorch refuses it)
                    fails.append((node.name, "reject", f"resizes to size {got} ({size_of} "
                                  f"is {vals[size_of]}): an output size must be at least 1"))
                    continue
                vals[node.name] = got
            elif node.op in MERGE_OPS:
                if len(set(ins)) > 1:
                    shown = ", ".join(f"{s}={v}" for s, v in zip(names, ins, strict=True))
                    fails.append((node.name, "mismatch", broadcast_message(node, names, ins)
                                  or f"{node.op} inputs differ: {shown}"))
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

    def run_many(self, ns: Any, layer_sizes: LayerHook | None = None) -> Batch:
        """:meth:`run` for an int64 array of input sizes at once (the same sizes and failures,
        as arrays).  ``layer_sizes(node, first, pres, out, ok, values, present)`` may replace
        a layer's tabulated ``(out, ok)`` (e.g. a layer given its output size at run time)."""
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
                val = node.like(values[size_of], self.axis)
                if node.like_scale:  # floor(size * p / q) may be 0: refused
                    ok = val >= 1
                    bad = pres & ~ok
                    pres = pres & ok
                    kind = "reject"
                if node.fit == "output_size":
                    base, ok = self.tables[node.name].many(np.where(pres, values[names[0]], 1))
                    diff = val - base
                    ok = ok & (diff >= 0) & (diff < int(self.specs[node.name].stride[0]))
                    bad = pres & ~ok
                    pres = pres & ok
                    kind = "reject"
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
                if layer_sizes is not None:
                    val, ok = layer_sizes(node, values[names[0]], pres, val, ok, values, present)
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


def _table_constant(table: LayerTable) -> int | None:
    """The output size when it is the same for every accepted input size, else ``None``
    (exact: past ``start`` the table repeats with ``shift``)."""
    if table.scale is not None or table.shift != 0:
        return None
    outs = set(table.out[table.ok].tolist())
    return outs.pop() if len(outs) == 1 else None


def constant_sizes(net: Network, a: int) -> dict[str, int | None]:
    """Each tensor's size on axis ``a`` when it is the same for every input size (``None``
    when it varies), by propagation: an input of a fixed size; a layer whose input is constant
    (its table at that size) or whose output is constant whatever its input (a global or
    adaptive pooling, a resize to a fixed size); a merge of such tensors.

    >>> from symconv.network.model import from_dict
    >>> net = from_dict({"inputs": [{"name": "x", "size": ["H"]}], "layers": [
    ...     {"name": "g", "op": "resize", "size": 1}, {"name": "c", "op": "conv", "k": 1},
    ...     {"name": "m", "op": "add", "inputs": ["x", "c"]}]})
    >>> constant_sizes(net, 0)
    {'x': None, 'g': 1, 'c': 1, 'm': None}
    """
    nd = net.ndim
    const: dict[str, int | None] = {
        i.name: (int(i.size[a]) if isinstance(i.size[a], int) else None) for i in net.inputs}
    for node in net.nodes:
        ins = [const.get(s) for s in node.inputs]
        size_of = getattr(node, "size_of", None)
        if size_of is not None:
            c = const.get(size_of)
            const[node.name] = None if c is None else node.like(c, a)
        elif node.op == "add":
            live = [c for c in ins if c != 1]
            known = [c for c in live if c is not None]
            const[node.name] = (1 if not live else
                                (known[0] if len(known) == len(live) else None))
        elif node.op in MERGE_OPS:
            known = [c for c in ins if c is not None]
            const[node.name] = known[0] if known else None
        elif node.layer is None:
            const[node.name] = ins[0] if ins else None
        else:
            const[node.name] = _layer_constant(net, node, project(node.layer, a, nd), nd,
                                               ins[0])
    return const


def _layer_constant(net: Network, node: Any, spec: Any, nd: int, size: int | None
                    ) -> int | None:
    """:func:`constant_sizes` at one layer: its output at the constant input ``size``, or
    the output it gives whatever its input (``None`` when it varies).  A layer whose output
    grows with its input (``g > 0``) is never constant, so its table (whose length follows
    the period, e.g. a stride) is not built for it."""
    if size is not None:
        try:
            return axis_output(spec, nd, size)
        except SymconvError:
            return None
    if size_period(spec)[1] != 0:
        return None
    return _table_constant(node_table(net, node, spec, nd))


def _where(net: Network, node: Any) -> str:
    """``layers[i] (name)``: a layer as the file lists it."""
    i = next((k for k, n in enumerate(net.nodes) if n is node), None)
    return f"layers[{i}] ({node.name})" if i is not None else node.name


def node_table(net: Network, node: Any, spec: Any, nd: int) -> LayerTable:
    """:func:`layer_table` of a network layer: a period too long to tabulate is refused with
    the layer's name and the parameter that sets the period."""
    try:
        return layer_table(spec, nd)
    except _TableTooLong as exc:
        raise UnsupportedError(f"{_where(net, node)}: {exc}") from None
    except UnsupportedError as exc:
        raise UnsupportedError(f"{_where(net, node)}: {period_cause(spec)} {exc}") from None


def period_cause(spec: Any) -> str:
    """The parameter that sets a 1-D layer's size period, as ``name=value`` text."""
    if isinstance(spec, Resize) and spec.scale_factor is not None:
        return f"scale_factor={fmt(spec.scale_factor[0])}"
    for name in ("stride", "factor", "step"):
        value = getattr(spec, name, None)
        if value is not None:
            return f"{name}={fmt(value[0] if isinstance(value, tuple) else value)}"
    return f"{type(spec).__name__}"


_GATES: dict[int, tuple[Network, dict[str, tuple[frozenset[str], ...]]]] = {}


def broadcast_gates(net: Network) -> dict[str, tuple[frozenset[str], ...]]:
    """For each elementwise merge (``add``), per axis, the inputs it broadcasts: those whose
    size on the axis is 1 for every input size while another input's is not (empty sets are
    left out: a merge with no gate on any axis is absent).

    >>> from symconv.network.model import from_dict
    >>> net = from_dict({"inputs": [{"name": "x", "size": ["H", "W"]}], "layers": [
    ...     {"name": "g", "op": "resize", "size": [1, 1]},
    ...     {"name": "m", "op": "add", "inputs": ["x", "g"]}]})
    >>> broadcast_gates(net)
    {'m': (frozenset({'g'}), frozenset({'g'}))}
    """
    hit = _GATES.get(id(net))
    if hit is not None and hit[0] is net:
        return hit[1]
    per_axis = [constant_sizes(net, a) for a in range(net.ndim)]
    out: dict[str, tuple[frozenset[str], ...]] = {}
    for node in net.nodes:
        if node.op != "add":
            continue
        axes = []
        for const in per_axis:
            gates = frozenset(s for s in node.inputs if const.get(s) == 1)
            axes.append(gates if len(gates) < len(set(node.inputs)) else frozenset())
        if any(axes):
            out[node.name] = tuple(axes)
    if len(_GATES) > 64:
        _GATES.clear()
    _GATES[id(net)] = (net, out)
    return out


def broadcast_message(node: Node, names: list[str], sizes: list[Any]) -> str | None:
    """The wording of an ``add`` whose differing input sizes include a 1 that is not 1 for
    every input size: the runtimes broadcast it (``None`` for any other mismatch)."""
    if node.op != "add" or 1 not in sizes or len(set(sizes)) < 2:
        return None
    one = next(s for s, v in zip(names, sizes, strict=True) if v == 1)
    big = next(v for v in sizes if v != 1)
    shown = ", ".join(f"{s}={v}" for s, v in zip(names, sizes, strict=True))
    return (f"add inputs differ ({shown}): {one} is 1 here but not for every input size, and "
            f"the runtime broadcasts 1 against {big} here and returns a wrong-sized output")


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
    gated = {name: axes[a] for name, axes in broadcast_gates(net).items() if axes[a]}
    specs = {n.name: project(n.layer, a, nd) for n in net.nodes if n.layer is not None}
    tables = {n.name: node_table(net, n, specs[n.name], nd) for n in members if n.layer is not None}
    # (P_t, A_t): size_t(n + P_t) = size_t(n) + A_t
    pa: dict[str, tuple[int, int]] = {name: (1, 1) for name in varying}
    pa.update({name: (1, 0) for name in fixed})
    merges: dict[str, bool] = {}
    for node in members:
        names = [s for s in node.inputs if s not in foreign.get(node.name, ())
                 and s not in gated.get(node.name, ())]
        ins = [pa[s] for s in names]
        size_of = getattr(node, "size_of", None)
        if size_of is not None:
            if node.fit == "output_size":
                _fit_shifts(node, tables[node.name], ins[0], pa[size_of])
            pa[node.name] = _scaled(pa[size_of], node.like_scale[a] if node.like_scale else
                                    (1, 1))
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
            raise UnsupportedError(
                f"{_where(net, node)}: the size period of the axis at this layer, "
                f"{fmt(pa[node.name][0])}, exceeds the limit {MAX_PERIOD} (the periods of the "
                "layers on the path multiply: strides, unshuffle factors, scale denominators)")
    period = math.lcm(*(p for p, _ in pa.values()))
    if period > MAX_PERIOD:
        raise UnsupportedError(f"the size period {period} exceeds {MAX_PERIOD}")
    shift = {t: A * (period // P) for t, (P, A) in pa.items()}
    need: dict[str, int] = {}
    for node in members:
        if node.layer is None or (getattr(node, "size_of", None) is not None
                                  and node.fit != "output_size"):
            continue
        c = _constant(specs[node.name])
        src = node.inputs[0]
        need[src] = need.get(src, 0) + c
    dropped = {k: tuple(foreign.get(k, ())) + tuple(sorted(gated.get(k, ())))
               for k in {*foreign, *gated}}
    view = _view(net, own, symbol, members, dropped)
    restores = tuple(n for n in view.nodes if n.restores is not None)
    return Plan(view, a, symbol, varying, fixed, specs, period, shift, need, merges, restores,
                tables=tables, members=tuple(view.nodes), foreign=foreign)


def _scaled(pa: tuple[int, int], scale: tuple[int, int]) -> tuple[int, int]:
    """``(P, A)`` of ``floor(size * p / q)`` for a size with ``size(n + P) = size(n) + A``:
    over ``m`` steps with ``q | A m p``, it grows by ``A m p / q``."""
    p, q = scale
    big_p, big_a = pa
    m = q // math.gcd(big_a * p, q) if big_a else 1
    return big_p * m, big_a * m * p // q


def _fit_message(target: str, t: int, base: int, stride: int) -> str:
    return (f"output_size {t} (the size of {target}) must be within [{base}, "
            f"{base + stride - 1}]: the sizes output_padding 0..{stride - 1} reaches (PyTorch "
            "ConvTranspose forward(x, output_size=...))")


def _fit_shifts(node: Node, table: LayerTable, src: tuple[int, int],
                target: tuple[int, int]) -> None:
    """A conv-transpose given its output size at run time is checked against the size it
    computes itself; exact only when both grow alike (equal shifts per common period)."""
    big_l, g = table.period, table.shift
    p_in, a_in = src
    m = big_l // math.gcd(a_in, big_l) if a_in else 1
    own = (p_in * m, (a_in * m // big_l) * g)
    p = math.lcm(own[0], target[0])
    if own[1] * (p // own[0]) != target[1] * (p // target[0]):
        raise UnsupportedError(
            f"{node.name}: its output_size (the size of {node.size_of}) grows at another rate "
            "than the size it computes itself; valid sizes are not computed for this case")


def _view(net: Network, own: dict[str, str | None], symbol: str, members: tuple[Node, ...],
          foreign: dict[str, tuple[str, ...]]) -> Network:
    """The part of ``net`` this symbol's plan evaluates, as a network of its own (the whole
    network when there is one symbol): inputs of other symbols and the tensors they own are
    left out, a concat/add keeps its own inputs (the inputs an add broadcasts are dropped too),
    and a ``restores`` target of another symbol is left to the coupling constraints."""
    if len(members) == len(net.nodes) and not foreign and all(
            own[i.name] in (symbol, None) for i in net.inputs):
        return net
    keep = {i.name for i in net.inputs if own[i.name] in (symbol, None)}
    keep |= {n.name for n in members}
    nodes = tuple(dataclasses.replace(
        n, inputs=tuple(x for x in n.inputs if x not in foreign.get(n.name, ())),
        restores=n.restores if n.restores in keep else None) for n in members)
    outputs = tuple(o for o in net.outputs if o in keep) or ((nodes[-1].name,) if nodes else ())
    return dataclasses.replace(net, inputs=tuple(i for i in net.inputs if i.name in keep),
                               nodes=nodes, outputs=outputs)


def axis_key(net: Network, a: int) -> Any:
    """What the analysis of axis ``a`` depends on: the 1-D specs and the inputs' sizes (which
    inputs share a symbol, not the symbols' names)."""
    nd = net.ndim
    specs = tuple(repr(project(n.layer, a, nd)) if n.layer is not None else
                  (n.op, n.like_scale[a]) if n.like_scale else n.op for n in net.nodes)
    syms = axis_symbols(net, a)
    return specs, tuple(i.size[a] if isinstance(i.size[a], int) else syms.index(str(i.size[a]))
                        for i in net.inputs), ("3d" if nd == 3 else nd >= 2)
