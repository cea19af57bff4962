"""Which up-sampling layer mirrors which down-sampling layer: encoder/decoder pairs inferred
from the graph, so ``symconv review`` can check decoders that restore an encoder size even when
the file declares no ``restores:``.

The rule (per spatial axis, on the 1-D network of that axis).  Every layer scales its axis by
the exact factor ``f = g / L`` of its size period (:func:`symconv.sizes.shapes.size_period`,
``out(n + L) = out(n) + g``): a strided conv or pool ``1/s``, a pixel unshuffle ``1/r``, a
resize ``p/q``; a transposed conv or max-unpool ``s``, a pixel shuffle ``r``.  Walking the graph
from the inputs to the outputs, each tensor carries the stacks of down-sampling layers not yet
undone along every path that reaches it (a bracket matching, one stack per distinct path
history):

* ``f < 1`` (down-sampling) pushes ``(layer, 1/f)``;
* ``f = 1`` (stride-1 conv, identity, pad, ...) and concat/add pass the stacks on (a concat/add
  takes the union over its inputs);
* ``f > 1`` (up-sampling) pops: when on **every** path the top of the stack is the **same**
  down-sampling layer with **the same factor** ``f``, the two are paired and the inferred
  target is that layer's input tensor;
* anything else breaks the bracket: an up-sampling layer whose factor differs from the top's
  (stride 2 down, then scale 4 up), whose paths disagree, or with nothing to undo is not paired,
  and the stacks through it are cleared, so no later layer is paired *across* it (after ``down
  2, down 2, up 4, up 2`` neither up layer is paired: ``up 4`` does not match ``down 2``, and
  ``up 2`` must not reach over it to the first ``down 2``); a fixed-size layer (``size=``,
  ``output_size=``) clears them too.  Such layers can still be checked by declaring
  ``restores:``.

>>> from symconv.network.model import loads
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: enc, op: conv, kernel: 3, padding: 1}
...   - {name: pool, op: max-pool, kernel: 2}
...   - {name: mid, op: conv, kernel: 3, padding: 1}
...   - {name: unpool, op: max-unpool, kernel: 2}
...   - {name: up4, op: resize, scale_factor: 4}
... ''', "yaml")
>>> pairs, unpaired = infer_pairs(net, 0)
>>> [(p.up, p.down, p.target, str(p.factor)) for p in pairs]
[('unpool', 'pool', 'enc', '2')]
>>> [(u.up, u.reason) for u in unpaired]
[('up4', 'no down-sampling layer left to undo')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv.errors import SymconvError, UnsupportedError
from symconv.network.model import Network
from symconv.review.validity import project
from symconv.sizes.shapes import resolve, size_period

__all__ = ["MAX_STACKS", "Pair", "Unpaired", "infer_pairs", "same_size", "scale_of",
           "unpaired_notes"]

#: Distinct path histories kept per tensor; beyond that pairing stops there (never guesses).
MAX_STACKS = 64

#: A stack is an id in a :class:`_Stacks` table (0: the empty stack): pushing and popping are
#: O(1), so a chain of thousands of down-sampling layers is not quadratic.
_Stack = int


class _Stacks:
    """Interned stacks of ``(layer, factor)``: each stack is its top and the id of the rest."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, tuple[str, Fraction]], int] = {}
        self._top: list[tuple[str, Fraction] | None] = [None]
        self._rest: list[int] = [0]

    def push(self, stack: int, item: tuple[str, Fraction]) -> int:
        key = (stack, item)
        if key not in self._ids:
            self._ids[key] = len(self._top)
            self._top.append(item)
            self._rest.append(stack)
        return self._ids[key]

    def top(self, stack: int) -> tuple[str, Fraction] | None:
        return self._top[stack]

    def rest(self, stack: int) -> int:
        return self._rest[stack]


@dataclass(frozen=True, slots=True)
class Pair:
    """``up`` mirrors ``down`` on ``axis``: its output should have the size of ``target``
    (``down``'s input); ``factor`` is the common scale."""

    up: str
    down: str
    target: str
    factor: Fraction
    axis: int = 0


@dataclass(frozen=True, slots=True)
class Unpaired:
    """An up-sampling layer left unpaired on ``axis``, and why (``down`` is the layer on top
    of the stack when there was one)."""

    up: str
    factor: Fraction
    reason: str
    down: str | None = None
    axis: int = 0


def scale_of(spec: Any) -> Fraction | None:
    """The exact scale ``g / L`` of a 1-D layer spec (``None`` for a fixed output size).

    >>> from symconv.spec import Conv, ConvTranspose, Resize
    >>> scale_of(Conv(kernel=3, stride=2, padding=1).at(1)), scale_of(ConvTranspose(kernel=2, stride=2).at(1))
    (Fraction(1, 2), Fraction(2, 1))
    >>> scale_of(Resize(size=7).at(1)) is None
    True
    """
    try:
        big_l, g = size_period(spec)
    except UnsupportedError:
        return None  # unknown scaling: treated like a fixed size (pairing restarts after it)
    if g == 0:
        return None
    return Fraction(g, big_l)


def same_size(spec: Any) -> bool:
    """True when the 1-D layer maps every accepted size ``n`` to ``n`` (stride-1 conv with
    'same' padding, ...): scale 1 and ``out(n0) = n0`` at one size ``n0``.

    >>> from symconv.spec import Conv
    >>> same_size(Conv(kernel=3, padding=1).at(1)), same_size(Conv(kernel=3).at(1))
    (True, False)
    """
    if scale_of(spec) != 1:
        return False  # (UnsupportedError is a SymconvError: unknown layers are not size-preserving)
    n0 = 1 << 10
    try:
        return int(resolve(spec, (n0,)).output[0]) == n0
    except SymconvError:
        return False


def _fmt(f: Fraction) -> str:
    return str(f) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def infer_pairs(net: Network, axis: int, specs: Mapping[str, Any] | None = None
                ) -> tuple[tuple[Pair, ...], tuple[Unpaired, ...]]:
    """The encoder/decoder pairs of ``net`` on ``axis`` (rule in the module docstring).

    ``specs`` are the 1-D layer specs of that axis (a :class:`~symconv.review.validity.Plan`'s
    ``specs``); they are projected from ``net`` when not given.
    """
    if specs is None:
        specs = {n.name: project(n.layer, axis, net.ndim) for n in net.nodes
                 if n.layer is not None}
    table = _Stacks()
    stacks: dict[str, frozenset[_Stack] | None] = {
        i.name: frozenset({0}) for i in net.inputs}
    pairs: list[Pair] = []
    unpaired: list[Unpaired] = []
    for node in net.nodes:
        like = getattr(node, "size_of", None)  # a resize to another tensor's size
        ins = [stacks.get(s) for s in ((like,) if like is not None else node.inputs)]
        if like is not None and node.like_scale:  # a fraction of another size: no stack
            ins = [None]
        here: frozenset[_Stack] | None
        if any(x is None for x in ins):
            here = None
        else:
            here = frozenset().union(*(x for x in ins if x is not None))
        # a layer fitted to another tensor's size (Node.fit) takes its stack, as a like-resize
        if node.layer is not None and here is not None and like is None:
            f = scale_of(specs[node.name])
            if f is None:
                here = frozenset({0})
            elif f < 1:
                here = frozenset(table.push(st, (node.name, 1 / f)) for st in here)
            elif f > 1:
                here = _pop(table, node.name, f, here, axis, pairs, unpaired, net)
        if here is not None and len(here) > MAX_STACKS:
            here = None
        stacks[node.name] = here
    return tuple(pairs), tuple(unpaired)


def _pop(table: _Stacks, name: str, f: Fraction, here: frozenset[_Stack], axis: int,
         pairs: list[Pair], unpaired: list[Unpaired], net: Network) -> frozenset[_Stack]:
    tops = {table.top(st) for st in here}
    if tops == {None}:
        unpaired.append(Unpaired(name, f, "no down-sampling layer left to undo", None, axis))
        return frozenset({0})
    if len(tops) == 1:
        top = next(iter(tops))
        assert top is not None
        down, g = top
        if g == f:
            pairs.append(Pair(name, down, net.node(down).inputs[0], f, axis))
            return frozenset(table.rest(st) for st in here)
        unpaired.append(Unpaired(
            name, f, f"it scales by {_fmt(f)} but the down-sampling layer it would undo, "
            f"{down}, scales by 1/{_fmt(g)}", down, axis))
        return frozenset({0})
    downs = sorted(t[0] for t in tops if t is not None)
    shown = [f"{d} on one path" for d in downs]
    if None in tops:
        shown.append("nothing on another")
    unpaired.append(Unpaired(
        name, f, f"its input paths would undo different layers ({', '.join(shown)})",
        None, axis))
    return frozenset({0})


def unpaired_notes(net: Network) -> list[str]:
    """One note per up-sampling layer left unpaired although there was something to undo
    (a factor mismatch, or paths that disagree), with the axes where it happens.

    >>> from symconv.network.model import loads
    >>> net = loads("{inputs: [{name: x, size: [H]}], layers: [{name: d, op: max-pool, kernel: 2},"
    ...             " {name: u, op: resize, scale_factor: 4}]}", "yaml")
    >>> unpaired_notes(net)
    ['u (axis 0) is not checked as a restore: it scales by 4 but the down-sampling layer it would undo, d, scales by 1/2; to check it, declare its target (restores: in a network file, or --restores u=TARGET for any model)']
    """
    found: dict[tuple[str, str], list[int]] = {}
    for a in range(net.ndim):
        try:
            _, unpaired = infer_pairs(net, a)
        except SymconvError:
            continue
        for u in unpaired:
            if u.down is not None or u.reason.startswith("its input paths"):
                found.setdefault((u.up, u.reason), []).append(a)
    out = []
    for (up, reason), axes in found.items():
        where = f"axis {axes[0]}" if len(axes) == 1 else f"axes {', '.join(map(str, axes))}"
        out.append(f"{up} ({where}) is not checked as a restore: {reason}; to check it, "
                   f"declare its target (restores: in a network file, or --restores "
                   f"{up}=TARGET for any model)")
    return out
