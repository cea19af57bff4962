"""Tagged sizes for the PyTorch front end: an ``int`` that remembers where it came from.

While :mod:`symconv.network.torch_import` runs a module on an example input, ``x.shape`` and
``x.size()`` of a traced tensor return :class:`Dim` values on the spatial axes: each is the
example's integer (so the module computes exactly what it computes anyway) *and* an exact
expression (:class:`Expr`) in the spatial sizes of the traced tensors.  Arithmetic keeps the
expression (``+``, ``-``, ``*`` by an integer, ``//`` and ``%`` by a positive integer, ``-x``,
``math.floor``/``ceil`` of an exact quotient); a comparison or a truth test on a tagged value is a
*guard* (:class:`Guard`): the module branches on the input size there, and the graph that was
traced holds only where every guard comes out as it did.

So ``F.interpolate(x, size=skip.shape[2:])`` passes sizes that *are* ``skip``'s sizes, and
``F.pad(x1, [diff // 2, diff - diff // 2])`` with ``diff = x2.size(3) - x1.size(3)`` pads by
exactly ``size(x2) - size(x1)`` in total, which :meth:`Expr.equals` proves term by term.

>>> h = Dim(12, Expr.dim("x", 0))
>>> d = (h - 3) // 2
>>> int(d), d.expr.show()
(4, 'floor((x[0] - 3)/2)')
>>> (d + (h - 3 - d)).expr.equals(Expr.dim("x", 0) - 3)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["Dim", "Expr", "Guard", "GuardLog", "Ratio", "plain"]


@dataclass(frozen=True, slots=True)
class Expr:
    """``const + sum(coef * atom)``: an atom is a spatial size ``(tensor, axis)`` or a floor
    ``('floor', expr, d)`` (``floor(expr / d)``, ``d > 0``); terms sorted, no zero coefficient,
    so equal forms compare equal."""

    const: Fraction
    terms: tuple[tuple[Any, Fraction], ...] = ()

    @staticmethod
    def of(value: int | Fraction) -> Expr:
        return Expr(Fraction(value))

    @staticmethod
    def dim(tensor: str, axis: int) -> Expr:
        return Expr(Fraction(0), ((("dim", tensor, axis), Fraction(1)),))

    def __add__(self, other: Expr | int) -> Expr:
        o = other if isinstance(other, Expr) else Expr.of(other)
        acc = dict(self.terms)
        for k, v in o.terms:
            acc[k] = acc.get(k, Fraction(0)) + v
        return Expr(self.const + o.const,
                    tuple(sorted(((k, v) for k, v in acc.items() if v), key=_key)))

    def __sub__(self, other: Expr | int) -> Expr:
        o = other if isinstance(other, Expr) else Expr.of(other)
        return self + o.scale(-1)

    def scale(self, f: int | Fraction) -> Expr:
        f = Fraction(f)
        return Expr(self.const * f, tuple((k, v * f) for k, v in self.terms if v * f))

    def floordiv(self, d: int) -> Expr:
        """``floor(self / d)`` for an integer ``d > 0`` (exact when ``d`` divides every
        coefficient and the constant: then it is linear again)."""
        if not self.terms:
            return Expr.of(math.floor(self.const / d))
        if all((v / d).denominator == 1 for _, v in self.terms) and \
                (self.const / d).denominator == 1:
            return self.scale(Fraction(1, d))
        if all((v / d).denominator == 1 for _, v in self.terms):
            # floor(L/d + c/d) with L/d integral = L/d + floor(c/d)
            return Expr(Fraction(math.floor(self.const / d)),
                        tuple((k, v / d) for k, v in self.terms))
        return Expr(Fraction(0), ((("floor", self, d), Fraction(1)),))

    def mod(self, d: int) -> Expr:
        return self - self.floordiv(d).scale(d)

    @property
    def constant(self) -> bool:
        return not self.terms

    def leaves(self) -> set[tuple[str, int]]:
        """The ``(tensor, axis)`` sizes this form reads (inside floors too)."""
        out: set[tuple[str, int]] = set()
        for k, _ in self.terms:
            if k[0] == "dim":
                out.add((k[1], k[2]))
            else:
                out |= k[1].leaves()
        return out

    def equals(self, other: Expr) -> bool:
        """Equal for every value of the sizes (the normal forms agree term by term)."""
        return (self - other) == Expr.of(0)

    def value(self, sizes: Any) -> Any:
        """The form at ``sizes[(tensor, axis)]`` (ints or int64 numpy arrays; exact)."""
        den = self.const.denominator
        for _, v in self.terms:
            den = math.lcm(den, v.denominator)
        total: Any = int(self.const * den)
        for k, v in self.terms:
            x = sizes[(k[1], k[2])] if k[0] == "dim" else k[1].value(sizes) // k[2]
            total = total + int(v * den) * x
        return total // den if den != 1 else total

    def show(self) -> str:
        parts: list[str] = []
        for k, v in self.terms:
            atom = f"{k[1]}[{k[2]}]" if k[0] == "dim" else f"floor(({k[1].show()})/{k[2]})"
            if v == 1:
                parts.append(atom)
            elif v == -1:
                parts.append(f"-{atom}")
            else:
                parts.append(f"{v}*{atom}")
        if self.const or not parts:
            parts.append(str(self.const))
        text = " + ".join(parts)
        return text.replace("+ -", "- ")


def _key(item: tuple[Any, Fraction]) -> str:
    return repr(item[0])


@dataclass(frozen=True, slots=True)
class Guard:
    """A branch on sizes: ``left op right`` came out ``result`` at the example input, at
    ``where`` (file:line of the module's code)."""

    left: Expr
    op: str
    right: Expr
    result: bool
    where: str
    #: what the module does where the guard comes out the other way, found by running it at
    #: such a size: ``"raises"`` (its own check raises there: the set is exact), ``"runs"`` or
    #: ``""`` (not known: sizes on the other side are not analysed)
    other: str = ""

    def show(self) -> str:
        return f"{self.left.show()} {self.op} {self.right.show()}"

    def holds(self, sizes: Any) -> Any:
        """Whether the branch goes the same way at ``sizes`` (ints or numpy arrays)."""
        a, b = self.left.value(sizes), self.right.value(sizes)
        r = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
             ">=": a >= b}[self.op]
        return r if self.result else ~r if hasattr(r, "dtype") else not r


class GuardLog:
    """Where :class:`Dim` comparisons are written while a trace runs (``None``: not traced,
    e.g. inside a layer symconv maps as a whole, whose own checks are its rules)."""

    active: list[Guard] | None = None
    where: Any = None  # a callable giving the user's file:line


def _record(left: Any, op: str, right: Any, result: bool) -> None:
    log = GuardLog.active
    if log is None:
        return
    lhs, rhs = _expr(left), _expr(right)
    if lhs is None or rhs is None or (lhs.constant and rhs.constant):
        return
    where = GuardLog.where() if GuardLog.where is not None else ""
    log.append(Guard(lhs, op, rhs, bool(result), where))


def _expr(v: Any) -> Expr | None:
    if isinstance(v, Dim):
        return v.expr
    if isinstance(v, bool):
        return Expr.of(int(v))
    if isinstance(v, int):
        return Expr.of(v)
    return None


def _wrap(value: int, expr: Expr | None) -> Any:
    return int(value) if expr is None or expr.constant else Dim(int(value), expr)


class Dim(int):
    """An ``int`` with an exact :class:`Expr` of where it came from (see the module doc)."""

    expr: Expr

    def __new__(cls, value: int, expr: Expr) -> Dim:
        obj = int.__new__(cls, value)
        obj.expr = expr
        return obj

    def __repr__(self) -> str:
        return int.__repr__(int(self))

    __str__ = __repr__

    def __reduce__(self) -> Any:  # copies and pickles are plain ints
        return (int, (int(self),))

    def __index__(self) -> int:
        return int(self)

    def __hash__(self) -> int:
        return int.__hash__(self)

    # --- arithmetic that keeps the expression
    def __add__(self, o: Any) -> Any:
        e = _expr(o)
        return _wrap(int(self) + int(o), self.expr + e) if e is not None else \
            int(self) + o

    __radd__ = __add__

    def __sub__(self, o: Any) -> Any:
        e = _expr(o)
        return _wrap(int(self) - int(o), self.expr - e) if e is not None else \
            int(self) - o

    def __rsub__(self, o: Any) -> Any:
        e = _expr(o)
        return _wrap(int(o) - int(self), e - self.expr) if e is not None else \
            o - int(self)

    def __mul__(self, o: Any) -> Any:
        e = _expr(o)
        if e is None:
            return int(self) * o
        if e.constant:
            return _wrap(int(self) * int(o), self.expr.scale(e.const))
        return int(self) * int(o)  # a product of two sizes: not kept (flags the trace)

    __rmul__ = __mul__

    def __neg__(self) -> Any:
        return _wrap(-int(self), self.expr.scale(-1))

    def __pos__(self) -> Any:
        return self

    def __truediv__(self, o: Any) -> Any:
        e = _expr(o)
        if e is not None and e.constant and int(o) > 0:
            return Ratio(int(self) / int(o), self.expr, int(o))
        return int(self) / o

    def __floordiv__(self, o: Any) -> Any:
        e = _expr(o)
        if e is not None and e.constant and int(o) > 0:
            return _wrap(int(self) // int(o), self.expr.floordiv(int(o)))
        return int(self) // o

    def __mod__(self, o: Any) -> Any:
        e = _expr(o)
        if e is not None and e.constant and int(o) > 0:
            return _wrap(int(self) % int(o), self.expr.mod(int(o)))
        return int(self) % o

    # --- comparisons are guards
    def __eq__(self, o: object) -> bool:
        r = int(self) == o
        _record(self, "==", o, r)
        return r

    def __ne__(self, o: object) -> bool:
        r = int(self) != o
        _record(self, "!=", o, r)
        return r

    def __lt__(self, o: Any) -> bool:
        r = int(self) < o
        _record(self, "<", o, r)
        return r

    def __le__(self, o: Any) -> bool:
        r = int(self) <= o
        _record(self, "<=", o, r)
        return r

    def __gt__(self, o: Any) -> bool:
        r = int(self) > o
        _record(self, ">", o, r)
        return r

    def __ge__(self, o: Any) -> bool:
        r = int(self) >= o
        _record(self, ">=", o, r)
        return r

    def __bool__(self) -> bool:
        r = int(self) != 0
        _record(self, "!=", 0, r)
        return r


class Ratio(float):
    """``num / den`` for a size expression ``num`` and an integer ``den > 0`` (what ``h / 2``
    gives): ``math.floor``, ``math.ceil`` and ``int`` of it are exact :class:`Dim` values again
    (``math.trunc`` too, a floor where ``num >= 0``, which becomes a guard); anything else,
    ``int()`` included, is a plain value."""

    num: Expr
    den: int

    def __new__(cls, value: float, num: Expr, den: int) -> Ratio:
        obj = float.__new__(cls, value)
        obj.num, obj.den = num, den
        return obj

    def __floor__(self) -> Any:
        n = _exact(self)
        return _wrap(n // self.den, self.num.floordiv(self.den))

    def __ceil__(self) -> Any:
        n = _exact(self)
        return _wrap(-((-n) // self.den), self.num.scale(-1).floordiv(self.den).scale(-1))

    def __trunc__(self) -> Any:
        """``math.trunc``: the floor where ``num >= 0`` (a guard), else the ceiling.  (``int()``
        cannot keep a tag: Python makes its result a plain int; the second trace of
        :func:`~symconv.network.torch_import.from_torch` then reports the lost size.)"""
        n = _exact(self)
        _record(Dim(n, self.num), ">=", 0, n >= 0)
        return self.__floor__() if n >= 0 else self.__ceil__()

    def __mul__(self, o: Any) -> Any:
        if isinstance(o, int) and not isinstance(o, bool) and not isinstance(o, Dim):
            return Ratio(float(self) * o, self.num.scale(o), self.den)
        return float(self) * o

    __rmul__ = __mul__

    def __reduce__(self) -> Any:
        return (float, (float(self),))


def _exact(r: Ratio) -> int:
    """The integer numerator of ``r`` at the example (exact for sizes below 2**50)."""
    return round(float(r) * r.den)


def plain(value: Any) -> Any:
    """``value`` with every :class:`Dim` made a plain ``int`` (lists, tuples, dicts, sizes)."""
    if isinstance(value, Dim):
        return int(value)
    if isinstance(value, Ratio):
        return float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if type(value) is tuple:
        return tuple(plain(v) for v in value)
    if isinstance(value, tuple) and type(value).__name__ == "Size":
        return type(value)(int(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
