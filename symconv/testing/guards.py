"""A model repository's guard: the input sizes it promises, checked by the design review.

:func:`assert_valid_sizes` reviews a model (a :class:`~symconv.network.model.Network`, a
network file, an ONNX file or model, or a PyTorch module with an example input) and checks
the review's exact valid input sizes against a promise written as text, such as
``"H = 0 mod 32, H >= 64"``: every promised size must be valid (``exact=True``: and
nothing else).  :func:`assert_restores` checks that every skip connection and decoder
restore holds (for every valid size, or for the promised ones).  Both compare exact sets
(periodic beyond a threshold), so "every size" means every size, not a sample.

Promise grammar (nothing is evaluated): clauses joined by ``,`` or ``and``, each one of
``S = r mod q``, ``S mod q in {a, b}``, ``S >= m``, ``S > m``, ``S <= m``, ``S < m`` for an
input size symbol ``S`` of the model.

>>> from symconv.network import loads
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: pool, op: max-pool, kernel: 2}
...   - {name: up, op: conv-transpose, kernel: 2, stride: 2}
...   - {name: skip, op: add, inputs: [up, x]}
... ''', "yaml")
>>> assert_valid_sizes(net, "H = 0 mod 4, H >= 8")
>>> assert_valid_sizes(net, "H >= 8")
Traceback (most recent call last):
...
AssertionError: valid sizes of H: H=9 is promised ('H >= 8') but the model rejects it (skip: add inputs have different spatial sizes at input 9: up=8, x=9); the review's valid sizes: H = 0 mod 2
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError
from symconv.network.model import Network

__all__ = ["Promise", "assert_restores", "assert_valid_sizes", "parse_promise", "review_of"]

#: Largest range of sizes compared (the sets are periodic: this bounds threshold + period).
MAX_SCAN = 1 << 24

_CLAUSE = re.compile(
    r"^(?P<s>[A-Za-z_]\w*)\s*(?:"
    r"=\s*(?P<r>\d+)\s*mod\s*(?P<q>\d+)"
    r"|mod\s*(?P<q2>\d+)\s*in\s*\{(?P<rs>[\d\s,]*)\}"
    r"|(?P<op>>=|<=|>|<)\s*(?P<m>\d+))$")


@dataclass
class Promise:
    """The sizes promised for one symbol: ``lo <= n <= hi`` and ``n mod q in residues``."""

    symbol: str
    text: str
    lo: int = 1
    hi: int | None = None
    mods: list[tuple[int, frozenset[int]]] = field(default_factory=list)

    def period(self) -> int:
        return math.lcm(1, *(q for q, _ in self.mods))

    def members(self, ns: Any) -> Any:
        import numpy as np

        ok = ns >= self.lo
        if self.hi is not None:
            ok &= ns <= self.hi
        for q, rs in self.mods:
            ok &= np.isin(ns % q, np.array(sorted(rs), dtype=np.int64))
        return ok


def _clauses(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [c.strip() for p in parts for c in re.split(r"\band\b", p) if c.strip()]


def parse_promise(text: str) -> dict[str, Promise]:
    """The promise per symbol.

    >>> p = parse_promise("H = 0 mod 32, H >= 64, W mod 4 in {1, 3}")
    >>> p["H"].lo, p["H"].mods, p["W"].mods
    (64, [(32, frozenset({0}))], [(4, frozenset({1, 3}))])
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidSpecError(f"sizes={fmt(text)} must be a promise such as "
                               "'H = 0 mod 32, H >= 64'")
    out: dict[str, Promise] = {}
    for clause in _clauses(text):
        m = _CLAUSE.match(clause)
        if m is None or any(len(g) > 12 for g in re.findall(r"\d+", clause)):
            raise InvalidSpecError(
                f"clause {fmt(clause)} of sizes={fmt(text)} must be 'S = r mod q', "
                "'S mod q in {a, b}', 'S >= m', 'S > m', 'S <= m' or 'S < m'")
        p = out.setdefault(m["s"], Promise(m["s"], text))
        if m["q"] or m["q2"]:
            q = int(m["q"] or m["q2"])
            rs = [int(m["r"])] if m["q"] else [int(v) for v in m["rs"].split(",") if v.strip()]
            if q < 1:
                raise InvalidSpecError(f"clause {fmt(clause)}: the modulus must be >= 1")
            p.mods.append((q, frozenset(r % q for r in rs)))
        else:
            v, op = int(m["m"]), m["op"]
            if op in (">=", ">"):
                p.lo = max(p.lo, v + (op == ">"))
            else:
                top = v - (op == "<")
                p.hi = top if p.hi is None else min(p.hi, top)
    return out


def _network(model: Any, example_input: Any) -> Network:
    if isinstance(model, Network):
        return model
    if isinstance(model, str | Path):
        path = Path(model)
        if path.suffix.lower() == ".onnx":
            from symconv.network.onnx_import import load_onnx

            return load_onnx(path)
        from symconv.network.model import load

        return load(path)
    if hasattr(model, "graph") and hasattr(model, "SerializeToString"):
        from symconv.network.onnx_import import from_model

        return from_model(model)
    if hasattr(model, "forward") and hasattr(model, "named_modules"):
        from symconv.network.torch_import import from_torch

        return from_torch(model, example_input)
    raise InvalidSpecError(f"model={fmt(type(model).__name__)} must be a Network, a network "
                           "or ONNX file, an ONNX model or a PyTorch module")


def review_of(model: Any, example_input: Any = None, input_size: Any = None) -> Any:
    """The design review (:func:`symconv.review.review`) of ``model`` (see the module docs)."""
    from symconv.review import review

    return review(_network(model, example_input), input_size)


def _sets(rev: Any) -> dict[str, Any]:
    from symconv.review import intersect

    by: dict[str, list[Any]] = {}
    for v in (*rev.validity, *rev.symbol_validity):
        if v is not None:
            by.setdefault(v.symbol, []).append(v)
    return {s: vs[0] if len(vs) == 1 else intersect(vs, s) for s, vs in by.items()}


def _scan(v: Any, p: Promise | None, period: int = 1) -> Any:
    """The sizes ``1..top`` that decide every size: past every bound of the valid set ``v``
    and of the promise ``p`` (``None``: none), and one whole common period further (with
    ``period``, a restore's)."""
    import numpy as np

    lo, hi, step = (p.lo, p.hi or 0, p.period()) if p is not None else (0, 0, 1)
    top = max(v.threshold, lo, hi) + math.lcm(v.period, step, period) + 1
    if top > MAX_SCAN:
        raise InvalidSpecError(
            f"sizes={fmt(p.text if p is not None else '')} with the model's period "
            f"{v.period} needs {top} sizes "
            f"compared, more than the {MAX_SCAN} this guard compares")
    ns = np.arange(1, top + 1, dtype=np.int64)
    if p is not None and not p.members(ns).any():  # a whole period past every bound
        raise InvalidSpecError(f"sizes={fmt(p.text)} must admit some size of {v.symbol}: "
                               "its clauses contradict each other")
    return ns


def assert_valid_sizes(model: Any, sizes: str, *, exact: bool = False,
                       example_input: Any = None) -> None:
    """Assert that ``model`` accepts every input size the promise ``sizes`` names (with
    ``exact=True``: exactly those), for every size, from the review's exact valid sets.

    ``model``: a :class:`~symconv.network.model.Network`, a network file or ``.onnx`` path,
    an ONNX ``ModelProto`` or a PyTorch module (with ``example_input``, as
    :func:`symconv.network.torch_import.from_torch` takes it).  Raises ``AssertionError``
    naming the smallest size that breaks the promise and the review's set.
    """
    from symconv.review import review
    from symconv.review.model import members

    promise = parse_promise(sizes)
    net = _network(model, example_input)
    rev = review(net)
    sets = _sets(rev)
    for symbol, p in promise.items():
        if symbol not in sets:
            raise InvalidSpecError(f"symbol {fmt(symbol)} of sizes={fmt(sizes)} must be an "
                                   f"input size of the model: {', '.join(sets) or 'none'}")
        v = sets[symbol]
        ns = _scan(v, p)
        valid, want = members(v, ns), p.members(ns)
        missing = ns[want & ~valid]
        partial = "" if rev.complete else " (for the analysed outputs only)"
        if missing.size:
            n = int(missing[0])
            why = _why(v, n) or _why_at(net, rev, sets, symbol, n)
            raise AssertionError(
                f"valid sizes of {symbol}: {symbol}={n} is promised ({sizes!r}) but the model "
                f"rejects it{why}; the review's valid sizes{partial}: {v.describe()}")
        extra = ns[valid & ~want]
        if exact and extra.size:
            n = int(extra[0])
            raise AssertionError(
                f"valid sizes of {symbol}: {symbol}={n} is valid but not promised "
                f"({sizes!r}); the review's valid sizes{partial}: {v.describe()}")


def _why(v: Any, n: int) -> str:
    for example, reason in v.reasons:
        if example == n:
            return f" ({reason})"
        if n >= v.threshold and example % v.period == n % v.period:
            return f" (as {v.symbol}={example}: {reason})"
    return ""


def _why_at(net: Any, rev: Any, sets: dict[str, Any], symbol: str, n: int) -> str:
    """The review's first size error at ``symbol = n`` (the other input sizes at their
    smallest valid values): the reason where the valid set's examples give none."""
    from symconv.review import review

    size = [n if v is not None and v.symbol == symbol else
            (sets[v.symbol].minimum if v is not None and v.symbol in sets else 1)
            for v in rev.validity]
    errors = [f for f in review(net, tuple(size)).errors
              if f.code in ("SC001", "SC002", "SC005", "SC006")]
    return f" ({errors[0].message})" if errors else ""


def assert_restores(model: Any, sizes: str | None = None, *, example_input: Any = None,
                    count: int = 8) -> None:
    """Assert that every decoder restore of ``model`` (declared ``restores:`` or inferred
    from an encoder/decoder pair) gives back its target's size for every valid input size
    (``sizes=None``); or, with a promise ``sizes``, that every such restore holds at every
    promised size (a symbol the promise leaves out ranges over all its valid sizes) and that
    at the ``count`` smallest promised sizes the review finds no size error (a layer
    rejecting its input, a concat/add or a declared restore mismatch).  A concat/add
    restricts the valid sizes rather than failing on them: check the sizes it leaves with
    :func:`assert_valid_sizes`.  A promise that admits no size is refused.

    >>> from symconv.network import loads
    >>> net = loads('''
    ... inputs: [{name: x, size: [H]}]
    ... layers:
    ...   - {name: down, op: conv, kernel: 3, stride: 2, padding: 1}
    ...   - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1}
    ...   - {name: out, op: relu, restores: x}
    ... ''', "yaml")
    >>> assert_restores(net, "H = 1 mod 2")
    >>> assert_restores(net)
    Traceback (most recent call last):
    ...
    AssertionError: out (restore, axis 0) fails at H=2: ...
    """
    if sizes is None:
        rev = review_of(model, example_input)
        failing = [c for c in rev.checks if c.kind == "restore" and not c.holds_always]
        if failing:
            c = failing[0]
            v = rev.validity[c.axis]
            sym = v.symbol if v is not None else "n"
            fix = f"; fix: {c.fix}" if c.fix else ""
            raise AssertionError(
                f"{c.node} ({c.kind}, axis {c.axis}) fails at {sym}={c.counterexample}: "
                f"{c.detail}{fix}".rstrip())
        return
    net = _network(model, example_input)
    promise = parse_promise(sizes)
    base = review_of(net)
    sets = _sets(base)
    symbols: list[str | None] = [v.symbol if v is not None else None
                                 for v in base.validity]
    firsts: dict[str, list[int]] = {}
    for sym, p in promise.items():
        if sym not in sets:
            raise InvalidSpecError(f"symbol {fmt(sym)} of sizes={fmt(sizes)} must be an input "
                                   f"size of the model: {', '.join(sets) or 'none'}")
        ns = _scan(sets[sym], p)
        firsts[sym] = [int(n) for n in ns[p.members(ns)][:count]]
    for i in range(count):
        size = []
        for s in symbols:
            pick = firsts.get(s or "") or ([sets[s].minimum] if s is not None and s in sets
                                           else [1])
            size.append(pick[min(i, len(pick) - 1)])
        from symconv.review import review

        rev = review(net, tuple(size))
        errors = [f for f in rev.errors if f.code in ("SC001", "SC002", "SC005", "SC006")]
        if errors:
            raise AssertionError(f"at input size {'x'.join(map(str, size))} (promised by "
                                 f"{sizes!r}): {errors[0].code} {errors[0].message}")
    _promised_restores(base, promise, sets, sizes)


def _promised_restores(base: Any, promise: dict[str, Promise], sets: dict[str, Any],
                       sizes: str) -> None:
    """Every restore of the review (declared or inferred from an encoder/decoder pair) at
    every promised size of its axis: a restore holds on residues of the size modulo the
    period of its rows, so one scan over the promise's period decides every size.  A symbol
    the promise leaves out ranges over all its valid sizes."""
    from symconv.review.model import members

    for c in base.checks:
        if c.kind != "restore" or c.holds_always or not c.rows:
            continue
        v = base.validity[c.axis]
        if v is None or v.symbol not in sets:
            continue
        period = len(c.rows)
        bad = {int(r.residue) for r in c.rows if r.difference != 0}
        p = promise.get(v.symbol)
        scan = _scan(sets[v.symbol], p, period)
        chosen = members(sets[v.symbol], scan)
        if p is not None:
            chosen &= p.members(scan)
        failing = [int(n) for n in scan[chosen] if int(n) % period in bad]
        if failing:
            whose = (f"promised by {sizes!r}" if p is not None else
                     f"{v.symbol} is not in the promise {sizes!r}: all its valid sizes count")
            how = "inferred from its encoder pair" if getattr(c, "inferred", False) \
                else "declared"
            raise AssertionError(
                f"{c.node} (restore of {c.target}, {how}, axis {c.axis}) fails at "
                f"{v.symbol}={failing[0]} ({whose}); {c.detail}")
