"""Parameter normalisation shared by every spec: one place for argument validation.

Every function here either returns a normalised value or raises
:class:`~symconv.errors.InvalidSpecError` with a message ``name=value must <rule>``.
Values may be Python ints or SymPy integer expressions (for derivations); this module never
imports SymPy itself: a SymPy object can only reach it if the caller already imported SymPy.

>>> per_axis("stride", 2, 3)
(2, 2, 2)
>>> padding_pairs("padding", ((1, 2), 0), 2)
((1, 2), (0, 0))
>>> per_axis("stride", True, 1)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: stride=True must be an integer (bool is not accepted)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, TypeAlias, cast

from symconv.errors import InvalidSpecError

__all__ = [
    "Int",
    "fmt",
    "is_int",
    "is_symbolic",
    "padding_pairs",
    "per_axis",
    "scalar",
]

#: A size or hyper-parameter: a Python int or a SymPy integer expression.
Int: TypeAlias = Any


#: The most digits an integer parameter may have: sizes and parameters beyond 10**18 exceed
#: int64 (and Python refuses to convert strings of more than 4,300 digits at all).
MAX_DIGITS = 18

#: Error messages cut a rendered value to this many characters.
MAX_SHOWN = 80


def fmt(value: object) -> str:
    """Render a parameter value for an error message (tuples without spaces after commas),
    cut to :data:`MAX_SHOWN` characters; a huge integer is described, not printed (Python
    refuses to print more than 4,300 digits).

    >>> fmt((1, (2, 3))), fmt("x" * 100)[-20:], fmt(10**5000)
    ('(1,(2,3))', '... (102 characters)', 'an integer of 5001 digits')

    Nested values (lists, tuples, dicts, sets) are rendered only as far as a message shows
    them (:func:`render`): the work is bounded whatever the size, a value that contains
    itself prints as ``[...]`` (as Python's ``repr`` does) and a YAML "billion laughs"
    value costs no more than a short list:

    >>> loop: list[object] = [1]
    >>> loop.append(loop)
    >>> fmt(loop), fmt({"k": [None, True]})
    ('[1,[...]]', "{'k': [None,True]}")
    >>> laughs: list[object] = ["lol"] * 9
    >>> for _ in range(30):
    ...     laughs = [laughs] * 9
    >>> fmt(laughs)
    '[[[[[[[[[[[[[[[[[...],[...],[...],[...],[...],[...],[...],[.... (a list of 9 entries, over 80 characters)'
    """
    if isinstance(value, str | bytes) and len(value) > _LONG:
        return f"{repr(value[:MAX_SHOWN])[:MAX_SHOWN - 20]}... ({_what(value)})"
    text, complete = render(value, MAX_SHOWN + 1)
    if complete:  # everything rendered (a short value, or one long scalar): cut as text
        return cut(text)
    return f"{text[:MAX_SHOWN - 20]}... ({_what(value)}, over {MAX_SHOWN} characters)"


def _what(value: object) -> str:
    kinds = {list: "a list", tuple: "a tuple", dict: "a mapping", set: "a set",
             frozenset: "a set", str: "a string", bytes: "a bytes string"}
    kind = next((k for t, k in kinds.items() if isinstance(value, t)), "a value")
    try:
        n = len(value)  # type: ignore[arg-type]
    except TypeError:
        return kind
    return f"{kind} of {n} {'characters' if kind.endswith('string') else 'entries'}"


#: Nesting shown by :func:`render` (deeper levels print as ``...``).
MAX_SHOWN_DEPTH = 16
#: Longest string or scalar text rendered whole (longer ones are cut before quoting).
_LONG = 10_000


def render(value: object, budget: int = MAX_SHOWN + 1, *, json_style: bool = False
           ) -> tuple[str, bool]:
    """About ``budget`` characters of ``value`` rendered for a message, and whether that is
    all of it (one scalar may run past ``budget``, by at most :data:`_LONG` characters).  The
    work is bounded by ``budget`` whatever the value: a long string is cut before it is quoted, a container stops after the entries that fit, a value that
    contains itself prints as ``[...]``/``{...}``, nesting deeper than
    :data:`MAX_SHOWN_DEPTH` as ``...``.  ``json_style`` renders as JSON does (``null``,
    ``true``, double quotes, ``, `` between entries) for values read from data files; else
    as :func:`fmt` does (Python literals, tuples and lists without spaces).

    >>> render([1, "a", None, {"b": (2, 3)}], json_style=True)
    ('[1, "a", null, {"b": [2, 3]}]', True)
    >>> render(range(10**9), 20)  # not a container it knows: str()
    ('range(0, 1000000000)', True)
    >>> render([[7] * 10**6], 20)
    ('[[7,7,7,7,7,7,7,7,7,', False)
    """
    out: list[str] = []
    state = {"left": budget, "complete": True}
    _render_into(value, out, state, set(), 0, json_style, top=True)
    return "".join(out), bool(state["complete"])


def _render_into(value: object, out: list[str], state: dict[str, Any], active: set[int],
                 depth: int, json_style: bool, top: bool = False) -> None:
    def emit(text: str) -> None:
        out.append(text)
        state["left"] -= len(text)

    if state["left"] <= 0:
        state["complete"] = False
        return
    if isinstance(value, list | tuple | dict | set | frozenset):
        if isinstance(value, dict):
            opener, closer = "{", "}"
        elif isinstance(value, tuple) and not json_style:
            opener, closer = "(", ")"
        elif isinstance(value, set | frozenset) and not json_style:
            opener, closer = ("{", "}") if value else ("set(", ")")
        else:
            opener, closer = "[", "]"
        if id(value) in active or depth >= MAX_SHOWN_DEPTH:
            emit(f"{opener}...{closer}")
            return
        active.add(id(value))
        emit(opener)
        sep = ", " if json_style or isinstance(value, dict | set | frozenset) else ","
        items = value.items() if isinstance(value, dict) else value
        for i, item in enumerate(items):
            if state["left"] <= 0:
                state["complete"] = False
                break
            if i:
                emit(sep)
            if isinstance(value, dict):
                key, val = item
                if json_style and not isinstance(key, str):
                    key = _scalar_text(key, json_style)
                _render_into(key, out, state, active, depth + 1, json_style)
                emit(": ")
                _render_into(val, out, state, active, depth + 1, json_style)
            else:
                _render_into(item, out, state, active, depth + 1, json_style)
        if state["complete"]:
            emit(closer)  # a one-tuple as (x), as fmt always wrote it
        active.discard(id(value))
        return
    if isinstance(value, str | bytes) and len(value) > _LONG:
        state["complete"] = False
    emit(_scalar_text(value, json_style, top))


def _scalar_text(value: object, json_style: bool, top: bool = False) -> str:
    """One scalar for :func:`render`, cut to :data:`_LONG` characters."""
    if isinstance(value, str | bytes):
        shown = value[:_LONG] if len(value) > _LONG else value
        if json_style and isinstance(shown, str) and not top:
            import json

            return json.dumps(shown)
        return repr(shown)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        digits = len(str(abs(value))) if value.bit_length() < 10_000 else _digits(value)
        return f"an integer of {digits} digits"
    if json_style:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(repr(value),
                                                                            repr(value))
    return str(value)[:_LONG]


def _digits(value: int) -> int:
    """Decimal digits of a huge int without converting it to a string."""
    import math

    n = abs(value)
    d = int(n.bit_length() * math.log10(2))
    return d + (1 if n >= 10**d else 0)


def cut(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to about ``limit`` characters for a one-line message."""
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text)} characters)"


def parse_int(token: str, what: str) -> int:
    """``int(token)`` for a token already matched as an integer, refusing more than
    :data:`MAX_DIGITS` digits with a one-line :class:`InvalidSpecError` (``what``: the
    ``parameter=value`` part of the message, already cut).

    >>> parse_int("12", "k=12")
    12
    >>> parse_int("9" * 5000, "--in='99...'")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --in='99...' must be an integer of at most 18 digits (it has 5000)
    """
    digits = token.lstrip("+-").lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise InvalidSpecError(
            f"{what} must be an integer of at most {MAX_DIGITS} digits (it has {len(digits)})"
        )
    return int(token)


def is_symbolic(value: object) -> bool:
    """True for a SymPy expression (detected without importing SymPy)."""
    return type(value).__module__.startswith("sympy") and hasattr(value, "free_symbols")


def is_int(value: object) -> bool:
    """True for an integer that is not a bool (Python int or numpy integer)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def scalar(name: str, value: object, *, minimum: int | None = None, rule: str = "") -> Int:
    """Validate one integer parameter (int or SymPy integer expression).

    ``minimum`` is checked for ints; for a symbolic value it is checked only when SymPy's
    assumptions decide it (a symbol declared ``positive=True`` passes ``minimum=1``).
    """
    if is_symbolic(value):
        if getattr(value, "is_integer", None) is False:
            raise InvalidSpecError(f"{name}={fmt(value)} must be an integer expression")
        if minimum is not None:
            below = getattr(cast(Any, value) - minimum, "is_negative", None)
            if below:
                raise InvalidSpecError(f"{name}={fmt(value)} must be >= {minimum}{rule}")
        return value
    if isinstance(value, bool):
        raise InvalidSpecError(f"{name}={value} must be an integer (bool is not accepted)")
    if not is_int(value):
        raise InvalidSpecError(f"{name}={fmt(value)} must be an integer")
    iv = int(value)  # type: ignore[call-overload]  # numpy integers become Python ints
    if abs(iv) >= 10**MAX_DIGITS:
        raise InvalidSpecError(
            f"{name}={fmt(iv)} must be below 10**{MAX_DIGITS} in magnitude (beyond int64 "
            "arithmetic)"
        )
    if minimum is not None and iv < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f">= {minimum}")
        raise InvalidSpecError(f"{name}={iv} must be {what}{rule}")
    return iv


def per_axis(name: str, value: object, ndim: int, *, minimum: int | None = 1) -> tuple[Int, ...]:
    """Broadcast an int to ``ndim`` axes or check a sequence has one entry per axis."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != ndim:
            raise InvalidSpecError(
                f"{name}={fmt(items)} must have one entry per spatial axis ({ndim})"
            )
        return tuple(_item(name, items, v, minimum) for v in items)
    return (scalar(name, value, minimum=minimum),) * ndim


def _item(name: str, whole: tuple[Any, ...], v: object, minimum: int | None) -> Int:
    try:
        return scalar(name, v, minimum=minimum)
    except InvalidSpecError as exc:
        # Report the whole tuple so the user sees which value they passed.
        raise InvalidSpecError(f"{name}={fmt(whole)}: {exc}") from None


def padding_pairs(
    name: str, value: object, ndim: int, *, negative: bool = False
) -> tuple[tuple[Int, Int], ...]:
    """Normalise numeric padding to one ``(before, after)`` pair per axis.

    Accepts an int (all sides), a sequence with one int or ``(before, after)`` pair per axis.
    Strings are not handled here (they are padding *modes*, resolved by a convention).
    ``negative=True`` also accepts negative ints (a crop, as JAX's ``lax.pad`` reads them).

    >>> padding_pairs("padding", ((-3, 2),), 1, negative=True)
    ((-3, 2),)
    """
    low = None if negative else 0
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != ndim:
            raise InvalidSpecError(
                f"{name}={fmt(items)} must have one entry (int or (before, after)) per "
                f"spatial axis ({ndim})"
            )
        out = []
        for v in items:
            if isinstance(v, Sequence) and not isinstance(v, str):
                pair = tuple(v)
                if len(pair) != 2:
                    raise InvalidSpecError(
                        f"{name}={fmt(items)} must give each axis an int or a (before, after) pair"
                    )
                out.append((_item(name, items, pair[0], low), _item(name, items, pair[1], low)))
            else:
                p = _item(name, items, v, low)
                out.append((p, p))
        return tuple(out)
    p = scalar(name, value, minimum=low, rule=" (negative padding is not supported)")
    return ((p, p),) * ndim
