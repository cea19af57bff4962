"""Read a network file as plain data, with every cost bounded before it is paid.

:func:`symconv.network.model.load` and :func:`~symconv.network.model.loads` read YAML, JSON
and TOML through :func:`read_text` and :func:`parse`; the Keras front end checks its JSON
with :func:`check_data`.  What a hostile file can cost is bounded in four ways, each refused
in one :class:`~symconv.errors.InvalidSpecError` line naming the file and the rule:

* size: at most :data:`MAX_BYTES` per format, checked with ``stat`` before the file is read
  (YAML is parsed by Python code at about 0.1 to 0.5 MiB/s, so its limit is the smallest);
* nesting: at most :data:`MAX_DEPTH` levels (YAML is composed by a loader that stops at that
  depth instead of recursing until Python gives up);
* alias expansion: YAML aliases share one object, so a "billion laughs" file is small in
  memory but huge to walk; :func:`check_data` counts the values as expanded, with one memo
  per shared object (work in the size of the file, not of the expansion), and refuses more
  than :data:`MAX_VALUES`;
* cycles: a YAML anchor that contains its own alias (``&a [*a]``) is refused by name.

Nothing in a file is evaluated: YAML is read with PyYAML's safe constructor (libyaml's event
parser when it is there, composed in Python), JSON with :func:`json.loads` (``NaN`` and
``Infinity`` refused), TOML with :mod:`tomllib`.

>>> parse("a: &x [1, 2]\\nb: *x", "yaml", "<text>")
{'a': [1, 2], 'b': [1, 2]}
>>> parse("a: &x [*x]", "yaml", "<text>")
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: file='<text>' must not hold a value that contains itself (a YAML alias inside its own anchor, at a[0])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from symconv._params import fmt as _fmt
from symconv.errors import InvalidSpecError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "check_data", "parse", "read_text"]

#: Largest network file read, by format (bytes).
MAX_BYTES: dict[str, int] = {"yaml": 1 << 20, "json": 16 << 20, "toml": 4 << 20}
#: Deepest nesting of lists and mappings in a network file.
MAX_DEPTH = 64
#: Most values (keys, entries and scalars) a network file may hold once YAML aliases are
#: expanded.
MAX_VALUES = 1_000_000


def read_text(path: Path, fmt: str) -> str:
    """The UTF-8 text of the network file ``path``, its size checked before it is read."""
    where = f"file={_fmt(str(path))}"
    try:
        size = path.stat().st_size
        _check_size(size, fmt, where)
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES[fmt] + 1)  # a file that grew meanwhile stays bounded
    except OSError as exc:
        raise InvalidSpecError(f"{where} must be readable ({exc.strerror})") from None
    _check_size(len(raw), fmt, where)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSpecError(f"{where} must be UTF-8 text") from None


def _check_size(size: int, fmt: str, where: str) -> None:
    limit = MAX_BYTES[fmt]
    if size > limit:
        raise InvalidSpecError(f"{where}: size={size} bytes must be at most {limit} "
                               f"({limit >> 20} MiB) for a {fmt.upper()} network file")


def parse(text: str, fmt: str, source: str) -> Any:
    """Parse network text in format ``fmt`` ('yaml', 'json' or 'toml') to plain data and
    check it with :func:`check_data`."""
    if fmt not in MAX_BYTES:
        raise InvalidSpecError(f"format={_fmt(fmt)} must be one of yaml, json, toml")
    where = f"file={_fmt(source)}"
    if len(text) > MAX_BYTES[fmt]:
        _check_size(len(text), fmt, where)
    try:
        data = _parse(text, fmt, where)
    except RecursionError:  # the parsers recurse per level
        raise InvalidSpecError(f"{where} must not nest values more than {MAX_DEPTH} levels "
                               "deep") from None
    except ValueError as exc:  # Python converts at most 4,300 digits to an int
        if "integer string conversion" not in str(exc):
            raise
        raise InvalidSpecError(f"{where} must not hold an integer of over 4,300 digits "
                               "(sizes and parameters stay below 10**18)") from None
    check_data(data, where)
    return data


def _parse(text: str, fmt: str, where: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InvalidSpecError(f"{where} must be valid JSON: {exc.msg} at line "
                                   f"{exc.lineno} column {exc.colno}") from None
    if fmt == "toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidSpecError(f"{where} must be valid TOML: "
                                   f"{_fmt(str(exc))[1:-1]}") from None
    try:
        import yaml
    except ImportError:
        raise InvalidSpecError(f"{where} is YAML, which needs PyYAML (pip install pyyaml)"
                               ) from None
    try:
        # the loader is SafeLoader's parts (SafeConstructor, Resolver) with a depth-bounded
        # composer; no tag constructs an object (a python/object tag is refused)
        return yaml.load(text, Loader=_yaml_loader())  # safe: SafeLoader parts, no objects
    except _TooDeep:
        raise InvalidSpecError(f"{where} must not nest values more than {MAX_DEPTH} levels "
                               "deep") from None
    except yaml.constructor.ConstructorError as exc:
        tag = getattr(exc, "problem", "") or "an unknown tag"
        raise InvalidSpecError(f"{where} must not contain YAML tags that construct objects "
                               f"({_fmt(tag)[1:-1]}); nothing in a network file is executed"
                               ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidSpecError(f"{where} must be valid YAML: {_fmt(problem)[1:-1]}{at}"
                               ) from None
    except UnicodeError:  # lone surrogates in a str given to loads()
        raise InvalidSpecError(f"{where} must be UTF-8 text") from None
    except (ValueError, OverflowError, TypeError) as exc:
        if "integer string conversion" in str(exc):
            raise
        # a scalar the safe constructor cannot build (a timestamp 2001-13-45, ...)
        raise InvalidSpecError(f"{where} must be valid YAML: {_fmt(str(exc))[1:-1]}") from None


def _no_constant(name: str) -> Any:
    raise InvalidSpecError(f"value={name} must be a finite number (JSON has no {name})")


class _TooDeep(Exception):
    """YAML nesting deeper than :data:`MAX_DEPTH` (raised while composing)."""


_LOADER: Any = None


def _yaml_loader() -> Any:
    """A safe YAML loader (PyYAML's safe constructor and resolver) whose composer stops at
    :data:`MAX_DEPTH`: libyaml's event parser when PyYAML was built with it (fast, and it
    keeps no recursion of its own), else PyYAML's Python parser.  libyaml's own composer
    (``CSafeLoader``) is not used: it recurses in C and crashes on deep nesting."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    try:
        from yaml._yaml import CParser as _Parser  # libyaml's events
        fast = True
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        from yaml.loader import SafeLoader as _Parser
        fast = False

    class Loader(_Parser, Composer, SafeConstructor, Resolver):
        def __init__(self, stream: Any) -> None:
            if fast:
                _Parser.__init__(self, stream)
                Composer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)
            else:  # pragma: no cover
                _Parser.__init__(self, stream)
            self.depth = 0

        get_single_node = Composer.get_single_node
        get_single_data = SafeConstructor.get_single_data

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep
            try:
                return Composer.compose_node(self, parent, index)
            finally:
                self.depth -= 1

    _LOADER = Loader
    return Loader


def check_data(data: Any, where: str, *, max_values: int = MAX_VALUES,
               max_depth: int = MAX_DEPTH) -> None:
    """Refuse parsed data that nests deeper than ``max_depth``, holds more than
    ``max_values`` values once shared objects (YAML aliases) are expanded, or contains itself.

    One pass over the distinct lists and mappings, iterative, with the expanded count of each
    remembered: the work is linear in the size of the text, whatever the expansion.

    >>> laughs: Any = ["lol"] * 9
    >>> for _ in range(9):
    ...     laughs = [laughs] * 9
    >>> check_data({"description": laughs}, "file='laughs.yaml'")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: file='laughs.yaml' must hold at most 1000000 values, a YAML alias counting as a copy of its anchor (description holds more)
    """
    if not isinstance(data, list | dict | tuple | set | frozenset):
        return
    memo: dict[int, int] = {}
    active: set[int] = set()
    # frames: [container, iterator over (label, child), expanded count so far, label]
    stack: list[list[Any]] = [[data, _children(data), 1, ""]]
    active.add(id(data))

    def too_many() -> InvalidSpecError:
        name = _path(stack[:2], "") if len(stack) > 1 else "the top level"
        return InvalidSpecError(f"{where} must hold at most {max_values} values, a YAML "
                                f"alias counting as a copy of its anchor ({name} holds more)")

    while stack:
        frame = stack[-1]
        for label, child in frame[1]:
            if not isinstance(child, list | dict | tuple | set | frozenset):
                frame[2] += 1
            elif id(child) in memo:
                frame[2] += memo[id(child)]
            elif id(child) in active:
                raise InvalidSpecError(
                    f"{where} must not hold a value that contains itself (a YAML alias "
                    f"inside its own anchor, at {_path(stack, label)})")
            elif len(stack) >= max_depth:
                raise InvalidSpecError(f"{where} must not nest values more than {max_depth} "
                                       f"levels deep (at {_path(stack, label)})")
            else:
                active.add(id(child))
                stack.append([child, _children(child), 1, label])
                break
            if frame[2] > max_values:
                raise too_many()
        else:
            stack.pop()
            active.discard(id(frame[0]))
            memo[id(frame[0])] = frame[2]
            if stack:
                stack[-1][2] += frame[2]
                if stack[-1][2] > max_values:
                    stack.append(frame)  # name the part that overflowed
                    raise too_many()


def _children(value: Any) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, k
            yield k, v
    elif isinstance(value, list | tuple):
        yield from enumerate(value)
    else:
        for v in value:
            yield "?", v


def _path(stack: list[list[Any]], label: Any) -> str:
    """``a.b[0]``: where a value is, from the frames' labels."""
    parts = [f[3] for f in stack[1:]] + ([label] if label != "" else [])
    out = ""
    for p in parts[:8]:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + _fmt(p).strip("'"))
    return (out + ("..." if len(parts) > 8 else "")) or "the top level"
