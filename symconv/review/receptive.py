"""Receptive fields of networks (DAGs): the union of the fields over every path.

Networks (:func:`graph_receptive_field`): output ``j`` depends on input ``i`` when some path
of the graph links them; a concat or add depends on everything its inputs depend on, so the
field is the union over paths and ``span(j)`` its first and last position.  The first input
position over a union is the minimum of the paths' first positions, so the tables compose
path-wise and merge at concat/add (pointwise min/max, period the lcm) when the paths have the
same stride; paths of different strides (which meet only at isolated input sizes) are kept
apart and evaluated on the outputs that exist at a given size.

The per-layer maps and periodic tables are those of :mod:`symconv.coverage.receptive` (stacks).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any

from symconv._params import scalar
from symconv.coverage.receptive import (
    _IDENTITY,
    _compose,
    _layer_map,
    _Map,
    _resize_notes,
    _Table,
)
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.shapes import resolve

__all__ = ["GraphReceptiveField", "graph_receptive_field"]


# --------------------------------------------------------------------------- networks (DAGs)
# A tensor's field with respect to one input is a union of periodic tables, one per stride
# (input positions per output position): the first/last input position an output depends on
# is the min/max over the paths, and the min over a union is the min of the mins, so every
# layer map applies to each table separately (the composition above distributes over unions)
# and tables of equal stride merge into one periodic table (period: the lcm).


def _stride(t: _Table) -> Fraction:
    return Fraction(t.shift, t.period)


def _merge_tables(a: _Table, b: _Table) -> _Table:
    """Pointwise min of ``lo`` and max of ``hi`` of two tables of the same stride."""
    period = a.period * b.period // gcd(a.period, b.period)
    los: list[int | None] = []
    his: list[int | None] = []
    for x in range(period):
        va, vb = a.at(x), b.at(x)
        both = [v for v in (va, vb) if v is not None]
        los.append(min(v[0] for v in both) if both else None)
        his.append(max(v[1] for v in both) if both else None)
    return _Table(period, a.shift * (period // a.period), tuple(los), tuple(his))


def _normal(tables: Sequence[_Table]) -> tuple[_Table, ...]:
    """One table per stride (equal strides merged), sorted by stride; empty tables dropped."""
    by: dict[Fraction, _Table] = {}
    for t in tables:
        if all(v is None for v in t.lo):
            continue
        key = _stride(t)
        by[key] = _merge_tables(by[key], t) if key in by else t
    return tuple(by[k] for k in sorted(by))


#: Positions of a layer's window searched for the one that attains a bound (the window of a
#: kernel of 10^9 has 10^9): its two ends first, where a monotone field attains it.
_SEARCHED = 1 << 12


def _attaining(tables: Sequence[_Table], first: int, step: int, count: int, end: int,
               target: int | None) -> int:
    """A position ``first + i*step`` (``i < count``) whose field's bound is ``target``: the
    window's end on the bound's side first (where every monotone field attains it), then
    up to :data:`_SEARCHED` positions from each end; the end on the bound's side if none
    does (a field that is not monotone over a window that long)."""
    last = first + (count - 1) * step
    near, far = (first, last) if end == 0 else (last, first)
    for y in (near, far):
        if _bound(tables, y, end) == target:
            return y
    if count <= 2 * _SEARCHED:
        ys: Iterable[int] = range(first, last + step, step)
    else:
        ys = itertools.chain(range(first, first + _SEARCHED * step, step),
                             range(last - (_SEARCHED - 1) * step, last + step, step))
    return next((y for y in ys if _bound(tables, y, end) == target), near)


def _bound(tables: Sequence[_Table], x: int, end: int) -> int | None:
    """The first (``end=0``) or last (``end=1``) input position of output ``x`` over the union."""
    vals = [v[end] for t in tables if (v := t.at(x)) is not None]
    if not vals:
        return None
    return min(vals) if end == 0 else max(vals)


@dataclass(frozen=True, slots=True)
class GraphReceptiveField:
    """Receptive field of one output of a network with respect to one input, on one axis,
    over every path of the graph.

    Definition: output ``j`` depends on input position ``i`` when some path from the input to
    the output, and some chain of taps along it, links them (the union over paths; a concat or
    add passes on the dependencies of all its inputs).  ``span(j)`` = the first and last such
    ``i`` (holes included; positions on an unbounded axis as in :func:`receptive_field`).
    ``size`` / ``smallest`` = the largest / smallest ``hi - lo + 1`` over the outputs that
    depend on the input: over every output position (one period) when all paths have the same
    stride, else (their spans drift apart, so no period exists) over the outputs
    ``0 .. output_size - 1`` that exist at ``input_size``.  ``stride``: input positions per
    output position, common to all paths (``None`` when they differ).  ``worst``: the first
    output position with the largest field; ``lo_path`` / ``hi_path``: a path (tensor names,
    the input first) along which that output reaches its first / last input position (one
    path when they agree: :attr:`path`).  ``input_size`` / ``output_size``: the sizes on this
    axis when an input size was given.
    """

    output: str
    input: str
    axis: int
    size: int
    smallest: int
    stride: Fraction | None
    worst: int | None
    lo_path: tuple[str, ...]
    hi_path: tuple[str, ...]
    input_size: int | None
    output_size: int | None
    notes: tuple[str, ...]
    tables: tuple[Any, ...] = dataclasses.field(repr=False, compare=False)

    def span(self, j: int) -> tuple[int, int] | None:
        """``(lo, hi)`` over all paths for output ``j`` (``None``: it depends on no input
        position).

        >>> from symconv.network.model import loads
        >>> net = loads('''
        ... inputs: [{name: x, size: [H]}]
        ... layers:
        ...   - {name: a, op: conv, kernel: 3}
        ...   - {name: b, op: conv, kernel: 3, padding: 2, input: x}
        ...   - {name: s, op: add, inputs: [a, b]}
        ... ''', "yaml")
        >>> graph_receptive_field(net, "s").span(0)
        (-2, 2)
        """
        x = scalar("j", j)
        lo, hi = _bound(self.tables, x, 0), _bound(self.tables, x, 1)
        return None if lo is None or hi is None else (lo, hi)

    @property
    def period(self) -> int | None:
        """``span(j + period) = span(j) + period * stride`` (``None`` when the paths' strides
        differ)."""
        return self.tables[0].period if len(self.tables) == 1 else None

    @property
    def strides(self) -> tuple[Fraction, ...]:
        """The distinct strides of the paths, smallest first."""
        return tuple(_stride(t) for t in self.tables)

    @property
    def path(self) -> tuple[str, ...]:
        """The path realizing both ends of the largest field, or ``lo_path`` when two paths
        share that role (see :attr:`hi_path`)."""
        return self.lo_path


def graph_receptive_field(
    network: Any, output: str, input: str | None = None, axis: int = 0,
    input_size: Any = None, *, max_period: int | None = None,
) -> GraphReceptiveField:
    """Exact receptive field of ``output`` with respect to ``input`` over every path of
    ``network`` (a :class:`symconv.network.model.Network`), on ``axis``.

    Parameters
    ----------
    network : Network
    output : str
        A tensor name (a layer or an input).
    input : str, optional
        A network input (default: the first).
    axis : int
        The spatial axis.
    input_size : sequence of int, optional
        The first input's spatial size (other inputs follow
        :meth:`~symconv.network.model.Network.input_sizes`).  Needed when a padding or scale depends
        on it (a resize ``like:`` another tensor, whose factor is the ratio of two sizes, is
        then the :class:`~symconv.spec.Resize` to that tensor's size with its own modes;
        without a size, only one between tensors of the same size formula, the identity, is
        followed), or
        when paths of different strides meet; every layer between the input and the output is
        then resolved at its actual size (so the network must accept it).
    max_period : int, optional
        Refuse (:class:`~symconv.errors.UnsupportedError`, before tabulating) a field whose
        output positions repeat only every more than ``max_period`` positions (default
        :data:`symconv.coverage.receptive.MAX_PERIOD`): the tables hold one entry per position
        of a period, so an up-sampling by ``10^6`` costs ``10^6`` steps.

    Returns
    -------
    GraphReceptiveField

    Examples
    --------
    A U-Net level: the skip path sees 5 pixels, the path through the pool and the transposed
    convolution 10; the union over both is the field of ``head``:

    >>> from symconv.network.model import loads
    >>> net = loads('''
    ... inputs: [{name: x, size: [H]}]
    ... layers:
    ...   - {name: enc, op: conv, kernel: 3, padding: 1}
    ...   - {name: pool, op: max-pool, kernel: 2}
    ...   - {name: mid, op: conv, kernel: 3, padding: 1}
    ...   - {name: up, op: conv-transpose, kernel: 2, stride: 2}
    ...   - {name: cat, op: concat, inputs: [up, enc]}
    ...   - {name: head, op: conv, kernel: 3, padding: 1}
    ... ''', "yaml")
    >>> rf = graph_receptive_field(net, "head")
    >>> rf.size, rf.stride, rf.path
    (10, Fraction(1, 1), ('x', 'enc', 'pool', 'mid', 'up', 'cat', 'head'))
    >>> [rf.span(j) for j in range(2)]
    [(-5, 4), (-3, 6)]

    Raises
    ------
    InvalidSpecError
        For an unknown tensor, an axis out of range, a layer needing ``input_size``, or an
        ``input_size`` the network rejects.
    UnsupportedError
        When paths of different strides meet and no ``input_size`` is given, or a period
        exceeds :data:`symconv.coverage.receptive.MAX_PERIOD`.
    """
    from symconv.network.model import MERGE_OPS

    axis = scalar("axis", axis, minimum=0)
    nd = network.ndim
    if axis >= nd:
        raise InvalidSpecError(f"axis={axis} must be smaller than the network's {nd} axes")
    inputs = [i.name for i in network.inputs]
    source = inputs[0] if input is None else input
    if source not in inputs:
        raise InvalidSpecError(f"input={source!r} must be one of the inputs {', '.join(inputs)}")
    nodes = {n.name: n for n in network.nodes}
    if output not in nodes and output not in inputs:
        raise InvalidSpecError(f"output={output!r} must name a layer or an input")
    needed = _ancestors(nodes, output)
    sizes: dict[str, tuple[int, ...]] = {}
    if input_size is not None:
        first = tuple(input_size) if isinstance(input_size, tuple | list) else (input_size,)
        if len(first) != nd:
            raise InvalidSpecError(
                f"input_size={'x'.join(map(str, first))} must have {nd} axes like the inputs")
        sizes = network.input_sizes(tuple(scalar("input_size", v, minimum=1) for v in first))
    notes: list[str] = []
    fields: dict[str, tuple[_Table, ...]] = {n: () for n in inputs}
    fields[source] = (_IDENTITY,)
    maps: dict[str, _Map] = {}
    same: set[tuple[str, str]] | None = None  # like-resizes that are the identity
    for node in network.nodes:
        if node.name not in needed:
            continue
        src = node.inputs[0]
        if node.op in MERGE_OPS:
            if sizes and len({sizes[s] for s in node.inputs}) > 1:
                shown = ", ".join(f"{s}={'x'.join(map(str, sizes[s]))}" for s in node.inputs)
                raise InvalidSpecError(
                    f"input_size={'x'.join(map(str, sizes[inputs[0]]))} must give the inputs "
                    f"of {node.name} equal sizes ({shown})")
            fields[node.name] = _normal([t for s in node.inputs for t in fields[s]])
            if sizes:
                sizes[node.name] = sizes[src]
            continue
        spec = node.layer
        if node.size_of is not None and node.fit is not None:
            if not sizes:
                raise InvalidSpecError(
                    f"input_size=None must be given for {node.name}: it takes the size of "
                    f"{node.size_of} at run time, so its padding depends on the input size")
            spec = _fitted(node, sizes[src], sizes[node.size_of], nd)
        elif node.size_of is not None and node.resample is not None:
            if sizes:  # reads src only, never size_of
                spec = node.resample.resize(tuple(
                    node.like(v, a) for a, v in enumerate(sizes[node.size_of])))
            else:  # its factor, size(size_of) / size(src), follows the input size ...
                if same is None:
                    same = _same_formula(network)
                if (src, node.size_of) not in same:  # ... unless it is always 1: identity
                    raise InvalidSpecError(
                        f"input_size=None must be given for {node.name}: a resize to the size "
                        f"of {node.size_of} ('like:') has a factor that depends on the input "
                        "size")
        if spec is None:
            fields[node.name] = fields[src]
            if sizes:
                sizes[node.name] = sizes[src]
            continue
        layer = spec.at(nd)
        known = None
        if sizes:
            try:
                r = resolve(layer, sizes[src])
            except InvalidSpecError as exc:
                raise InvalidSpecError(f"{node.name}: {exc}") from None
            sizes[node.name] = tuple(int(v) for v in r.output)
            known = (r, sizes[src][axis], r.output[axis])
        m = _layer_map(layer, axis, known, notes)
        notes.extend(_resize_notes(layer))
        maps[node.name] = m
        if max_period is not None:
            for t in fields[src]:
                period = _composed_period(t, m)
                if period > max_period:
                    raise UnsupportedError(
                        f"{node.name}: the receptive-field table of {output} would repeat "
                        f"every {period} positions, more than max_period={max_period}")
        fields[node.name] = _normal([_compose(t, m) for t in fields[src]])
    tables = fields[output]
    n_in = sizes[source][axis] if sizes else None
    n_out = sizes[output][axis] if sizes else None
    strides = [_stride(t) for t in tables]
    if len(tables) > 1 and n_out is None:
        raise UnsupportedError(
            f"input_size=None must be given: the paths from {source} to {output} have "
            f"different strides ({', '.join(map(str, strides))}), so the fields of its outputs "
            "are not periodic")
    positions = range(tables[0].period) if len(tables) == 1 else range(n_out or 0)
    spans = [(j, s) for j in positions
             if (s := (_bound(tables, j, 0), _bound(tables, j, 1)))[0] is not None]
    widths = [(s[1] - s[0] + 1, j) for j, s in spans]  # type: ignore[operator]
    size = max((w for w, _ in widths), default=0)
    worst = next((j for w, j in widths if w == size), None)
    paths: list[tuple[str, ...]] = [(), ()]
    if worst is not None:
        for end in (0, 1):
            paths[end] = _trace(nodes, fields, maps, source, output, worst, end)
    return GraphReceptiveField(
        output=output, input=source, axis=axis, size=size,
        smallest=min((w for w, _ in widths), default=0),
        stride=strides[0] if len(set(strides)) == 1 else None, worst=worst,
        lo_path=paths[0], hi_path=paths[1], input_size=n_in, output_size=n_out,
        notes=tuple(dict.fromkeys(notes)), tables=tables)


def _composed_period(prev: Any, m: Any) -> int:
    """The period of ``_compose(prev, m)``, computed without building it (the same rule)."""
    p, q = m.pq
    if q == 0:
        return int(p)
    common = prev.period * q // gcd(prev.period, q)
    return int(p * common // q)


def _fitted(node: Any, size: tuple[int, ...], target: tuple[int, ...], nd: int) -> Any:
    """The concrete layer of a node fitted to ``target`` (:attr:`~symconv.network.model.Node.
    fit`) at input ``size``: the conv-transpose with the output_padding that reaches it, or the
    pad (a crop when negative) by ``target - size`` split as the node says."""
    import dataclasses

    from symconv.spec import Conv, Slice

    if node.fit == "output_size":
        base = resolve(node.layer.at(nd), size).output
        return dataclasses.replace(node.layer.at(nd), output_padding=tuple(
            int(t) - int(b) for t, b in zip(target, base, strict=True)))
    if node.fit.startswith("crop:"):
        starts = tuple(0 if node.fit == "crop:start" else (int(n) - int(t)) // 2
                       for n, t in zip(size, target, strict=True))
        return Slice(start=starts, end=tuple(s + int(t) for s, t in
                                             zip(starts, target, strict=True)), ndim=nd)
    pairs = []
    for n, t in zip(size, target, strict=True):
        d = int(t) - int(n)
        before = {"pad:half": d // 2, "pad:half-end": d - d // 2, "pad:end": 0,
                  "pad:start": d}[node.fit]
        pairs.append((before, d - before))
    if all(b >= 0 and a >= 0 for b, a in pairs):
        return Conv(kernel=1, padding=tuple(pairs), ndim=nd)
    if all(b <= 0 and a <= 0 for b, a in pairs):
        return Slice(start=tuple(-b for b, _ in pairs),
                     end=tuple(int(n) + a for n, (_, a) in zip(size, pairs, strict=True)),
                     ndim=nd)
    raise InvalidSpecError(f"input_size={'x'.join(map(str, size))}: {node.name} pads some "
                           "axes and crops others (not modelled for receptive fields)")


def _same_formula(network: Any) -> set[tuple[str, str]]:
    """(data input, size source) of the like-resizes whose two tensors have the same size
    formula on every axis: the resize is then the identity at every size, in every mode
    (ratio 1 maps output ``j`` to input ``j`` exactly)."""
    from symconv.review.propagate import symbolic_formulas

    formulas = symbolic_formulas(network, [])
    return {(n.inputs[0], n.size_of) for n in network.nodes
            if n.size_of is not None and n.inputs[0] in formulas and n.size_of in formulas
            and formulas[n.inputs[0]] == formulas[n.size_of] and not n.like_scale}


def _ancestors(nodes: dict[str, Any], output: str) -> set[str]:
    """``output`` and every tensor it is computed from."""
    seen = {output}
    todo = [output]
    while todo:
        node = nodes.get(todo.pop())
        if node is None:
            continue
        for s in node.inputs:
            if s not in seen:
                seen.add(s)
                todo.append(s)
    return seen


def _trace(nodes: dict[str, Any], fields: dict[str, tuple[_Table, ...]],
           maps: dict[str, _Map], source: str, output: str, x: int, end: int
           ) -> tuple[str, ...]:
    """A path from ``source`` to ``output`` along which output ``x`` reaches its first
    (``end=0``) or last input position: at each step back, an input of the merge (in order) or
    a position read by the layer that attains the same bound, which exists by construction."""
    path = [output]
    t = output
    while t != source:
        node = nodes[t]
        target = _bound(fields[t], x, end)
        if node.size_of is not None and t not in maps:  # a like-resize that is the identity
            t = node.inputs[0]
        elif t not in maps:
            t = next(s for s in node.inputs if _bound(fields[s], x, end) == target)
        else:
            first, step, count = maps[t].deps(x)
            t = node.inputs[0]
            x = _attaining(fields[t], first, step, count, end, target) if count else x
        path.append(t)
    return tuple(reversed(path))
