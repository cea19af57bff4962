"""The value grammars of network-file parameters: each field's value is type-checked here
(integers, per-axis lists, padding pairs, exact scale factors, adaptive output sizes) before
the layer spec checks its rules; nothing is evaluated.  Used by :mod:`symconv.network.model`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from symconv._params import render
from symconv.errors import InvalidSpecError

# Field grammars: how each spec field's value is checked before it reaches the spec.
_INTS = frozenset({"kernel", "stride", "dilation", "output_padding", "output_size", "size"})
_INT = frozenset({"groups", "in_channels", "out_channels", "factor"})
_BOOL = frozenset({"ceil_mode", "count_include_pad", "align_corners", "exclude_outside"})
_BOUND = frozenset({"start", "end", "step"})  # signed ints per axis; end may be null
_WORD = frozenset({"padding_mode", "mode", "coordinate_mode", "nearest_mode", "order",
                   "convention"})
_RATIO = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*|\s*(\d+(?:\.\d+)?)\s*")


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A value read from a file, for a message: as JSON writes it (a string as Python's
    ``repr``), cut to 60 characters.  Only what is shown is rendered
    (:func:`symconv._params.render`): a huge, deeply nested or self-referencing value (YAML
    aliases) costs no more than a short one.

    >>> _show([1, None, "a"]), _show("x" * 100)[-5:]
    ('[1, null, "a"]', 'xx...')
    >>> loop: list[Any] = []
    >>> loop.append(loop)
    >>> _show(loop)
    '[[...]]'
    """
    text, _ = render(value, 61, json_style=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _adaptive_size(v: Any, where: str) -> Any:
    """An adaptive pooling's output size: an integer, or a list per axis (null keeps it)."""
    def one(x: Any) -> bool:
        return x is None or (isinstance(x, int) and not isinstance(x, bool))

    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, list) and v and all(one(x) for x in v):
        return tuple(v)
    raise InvalidSpecError(f"{where}: output_size={_show(v)} must be an integer or a list of "
                           "integers (one per axis; null keeps an axis)")


def _value(f: str, v: Any, where: str) -> Any:
    """Check a parameter value's type; the spec checks its rules."""
    def bad(rule: str) -> InvalidSpecError:
        return InvalidSpecError(f"{where}: {f}={_show(v)} must be {rule}")

    if f in _INTS:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool)
                                             for x in v):
            return tuple(v)
        raise bad("an integer or a list of integers (one per axis)")
    if f in _INT:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        raise bad("an integer")
    if f in _BOOL:
        if isinstance(v, bool):
            return v
        raise bad("true or false")
    if f in _WORD:
        if isinstance(v, str):
            return v
        raise bad("a name")
    if f == "padding":
        if isinstance(v, str):
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, list) and v:
            items: list[Any] = []
            for x in v:
                if isinstance(x, int) and not isinstance(x, bool):
                    items.append(x)
                elif (isinstance(x, list) and len(x) == 2
                      and all(isinstance(y, int) and not isinstance(y, bool) for y in x)):
                    items.append((x[0], x[1]))
                else:
                    raise bad("an integer, a list per axis, [[before, after], ...] or a name")
            return tuple(items)
        raise bad("an integer, a list per axis, [[before, after], ...] or a name")
    if f == "cubic_coeff_a":  # a decimal as written (-0.6 is -3/5 exactly); the spec parses it
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise bad("a number such as -0.75 or '-3/4'")
        return repr(v) if isinstance(v, float) else v
    if f in _BOUND or f == "channels":
        def bound(x: Any) -> bool:
            return x is None or (isinstance(x, int) and not isinstance(x, bool))

        if f == "channels":
            if isinstance(v, list) and len(v) == 3 and all(bound(x) for x in v):
                return tuple(v)
            raise bad("[start, end, step] (integers, end may be null)")
        if bound(v) and (v is not None or f == "end"):
            return v
        if isinstance(v, list) and v and all(bound(x) for x in v):
            return tuple(v)
        raise bad("an integer or a list of integers (one per axis; end may be null)")
    if f == "scale_factor":
        vals = v if isinstance(v, list) and v else [v]
        out = tuple(_factor(x, bad) for x in vals)
        return out if isinstance(v, list) else out[0]
    raise bad("a known parameter")  # pragma: no cover - every field has a grammar


def _factor(x: Any, bad: Any) -> int | Fraction:
    if isinstance(x, bool):
        raise bad("a positive number such as 2, 1.5 or '3/2'")
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        text = repr(x)
    elif isinstance(x, str):
        text = x
    else:
        raise bad("a positive number such as 2, 1.5 or '3/2'")
    m = _RATIO.fullmatch(text)
    if m is None:
        raise bad("a positive number such as 2, 1.5 or '3/2'")
    value = Fraction(int(m[1]), int(m[2])) if m[1] else Fraction(m[3])
    if value <= 0:
        raise bad("a positive number")
    return value.numerator if value.denominator == 1 else value
