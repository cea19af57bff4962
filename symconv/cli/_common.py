"""Plumbing shared by every ``symconv`` command.

* :class:`SymconvGroup` / :class:`SymconvCommand`: click classes that turn every rejection
  (a :class:`~symconv.errors.SymconvError` from the library, a click usage error) into ONE line
  ``symconv: error: <message>`` on stderr and exit status 2, never a traceback.  Commands added
  with ``@cli.command()`` or :meth:`SymconvGroup.add_lazy_command` get this for free; a command
  defined in its own module uses ``@click.command(cls=SymconvCommand)``.
* Parsers for the CLI's compact value syntax: sizes ``224x224``, per-axis values ``3x5``,
  padding ``1``, ``1x2``, ``1:2`` or ``1:2x0:1``.  They return plain Python values; every rule
  about the values themselves is checked by the library, which names the parameter.
* :func:`dump_json`: deterministic JSON (sorted keys, fixed indentation, ASCII, newline).

Nothing here imports SymPy unless a symbolic size is actually parsed.

>>> parse_sizes("224x224")
(224, 224)
>>> parse_per_axis("kernel", "3x5"), parse_per_axis("kernel", "7")
((3, 5), 7)
>>> parse_padding("1:2x0:1"), parse_padding("same"), parse_padding("1x2")
(((1, 2), (0, 1)), 'same', (1, 2))
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import click

from symconv._params import cut, fmt, parse_int
from symconv.errors import InvalidSpecError, SymconvError

__all__ = [
    "OneLineError",
    "SymconvCommand",
    "SymconvGroup",
    "broadcast",
    "dump_json",
    "option_list",
    "parse_padding",
    "parse_per_axis",
    "parse_scale",
    "parse_sizes",
    "stdout_is_unicode",
]

PROG = "symconv"

# --------------------------------------------------------------------------- errors


class OneLineError(click.ClickException):
    """A rejection shown as one line ``symconv: error: <message>`` on stderr (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # One line whatever the source said: newlines and runs of blanks become one space, and
        # a word too long to read (a value click echoes whole) is cut.
        super().__init__(" ".join(w if len(w) <= _LONGEST_WORD else cut(w)
                                  for w in message.split()))

    def show(self, file: Any = None) -> None:
        click.echo(f"{PROG}: error: {self.format_message()}", file=file or sys.stderr)


#: Words of an error line longer than this are cut (values are cut where the message is built;
#: this catches the ones click and the standard library echo whole).
_LONGEST_WORD = 120


def _from_os(exc: OSError) -> OneLineError:
    """A file that cannot be read or written, as one line."""
    where = f"{fmt(str(exc.filename))}: " if exc.filename is not None else ""
    return OneLineError(f"{where}{exc.strerror or exc}")


def _from_usage(exc: click.UsageError) -> OneLineError:
    """A click usage error as one line, with the help hint folded in."""
    hint = ""
    if exc.ctx is not None:
        hint = f" (see '{exc.ctx.command_path} --help')"
    return OneLineError(exc.format_message() + hint)


_OUT_OF_MEMORY = ("ran out of memory although the estimate was within the budget; lower the "
                  "sizes, or report this as a bug")
_TOO_DEEP = "the input is nested too deeply to analyse (Python's recursion limit); report this as a bug"


@contextmanager
def _one_line() -> Iterator[None]:
    """Turn every rejection raised inside into a :class:`OneLineError`."""
    try:
        yield
    except click.UsageError as exc:
        raise _from_usage(exc) from None
    except SymconvError as exc:
        raise OneLineError(str(exc)) from None
    except OSError as exc:  # a path the user named
        raise _from_os(exc) from None
    except MemoryError:
        raise OneLineError(_OUT_OF_MEMORY) from None
    except RecursionError:
        raise OneLineError(_TOO_DEEP) from None


class _OneLineErrors:
    """Mixin for click commands: convert rejections into :class:`OneLineError`."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _one_line():
            ctx: click.Context = super().make_context(*args, **kwargs)  # type: ignore[misc]
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line():
            return super().invoke(ctx)  # type: ignore[misc]


class SymconvCommand(_OneLineErrors, click.Command):
    """A click command whose rejections are one line on stderr and exit status 2."""


class SymconvGroup(_OneLineErrors, click.Group):
    """The ``symconv`` group: one-line errors, and subcommands imported only when used.

    ``add_lazy_command("shape", "symconv.cli.shape:shape")`` registers a command without
    importing its module: ``symconv shape ...`` imports only what ``shape`` needs.
    """

    command_class = SymconvCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy: dict[str, str] = {}

    def add_lazy_command(self, name: str, import_path: str) -> None:
        """Register ``module:attribute`` as the command ``name``, imported on first use."""
        self._lazy[name] = import_path

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy and cmd_name not in self.commands:
            module, _, attr = self._lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


# --------------------------------------------------------------------------- parsing

_INT = re.compile(r"[+-]?\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class BoundedInt(click.ParamType):
    """An integer option that refuses more than :data:`~symconv._params.MAX_DIGITS` digits in
    one cut line (click's ``int`` echoes the whole value, and Python refuses to convert more
    than 4,300 digits)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        option = f"--{param.name.replace('_', '-')}" if param is not None and param.name else "value"
        if not _INT.fullmatch(text):
            raise InvalidSpecError(f"{option}={fmt(text)} must be an integer")
        return parse_int(text, f"{option}={fmt(text)}")


#: The integer option type of every command.
INT = BoundedInt()


def _split_axes(text: str) -> list[str]:
    """Split ``224x224`` / ``H x W`` / ``h,w`` into per-axis tokens (commas win over ``x``)."""
    if "," in text:
        parts = text.split(",")
    else:
        parts = re.split(r"\s*[x×]\s*|\s+", text.strip())
    return [p.strip() for p in parts]


def _int(option: str, whole: str, token: str, rule: str) -> int:
    if not _INT.fullmatch(token):
        raise InvalidSpecError(f"{option}={fmt(whole)} must be {rule}")
    return parse_int(token, f"{option}={fmt(whole)}")


def parse_sizes(text: str, *, option: str = "--in", symbolic: bool = False) -> tuple[Any, ...]:
    """Parse spatial sizes: ``224``, ``224x224``, or symbol names (``H``, ``HxW``, ``h,w``)
    when ``symbolic`` is set.  Symbols are SymPy integer symbols with ``positive=True``; a name
    is never evaluated (no ``sympify``), it must be an identifier.

    >>> parse_sizes("6"), parse_sizes("32 x 48")
    ((6,), (32, 48))
    >>> parse_sizes("H")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --in='H' must be sizes such as 224 or 224x224 (symbol ...
    """
    rule = "sizes such as 224 or 224x224"
    tokens = _split_axes(text)
    out: list[Any] = []
    for tok in tokens:
        if _INT.fullmatch(tok):
            out.append(parse_int(tok, f"{option}={fmt(text)}"))
        elif symbolic and _NAME.fullmatch(tok):
            import sympy

            out.append(sympy.Symbol(tok, integer=True, positive=True))
        elif _NAME.fullmatch(tok):
            raise InvalidSpecError(
                f"{option}={fmt(text)} must be {rule} (symbol names such as H or HxW need --symbolic)"
            )
        else:
            extra = " or symbol names such as H or HxW" if symbolic else ""
            raise InvalidSpecError(f"{option}={fmt(text)} must be {rule}{extra}")
    names = [str(v) for v in out if not isinstance(v, int)]
    if len(set(names)) != len(names):
        raise InvalidSpecError(f"{option}={fmt(text)} must not name the same symbol twice")
    return tuple(out)


def parse_per_axis(name: str, text: str, *, keep: bool = False) -> Any:
    """Parse an integer parameter: ``7`` (every axis) or ``3x5`` (one per axis); with ``keep``
    an axis may be ``none`` (adaptive pooling keeps that axis: ``nonex7`` is ``(None, 7)``).

    Signs are kept so that the library reports ``kernel=-1 must be a positive integer``.

    >>> parse_per_axis("size", "nonex7", keep=True)
    (None, 7)
    """
    tokens = _split_axes(text)
    rule = "an integer such as 3, or one per axis such as 3x5"
    if keep:
        rule += " (none keeps an axis: nonex7)"
    values = tuple(None if keep and t.lower() == "none" else _int(f"--{name}", text, t, rule)
                   for t in tokens)
    return values[0] if len(values) == 1 else values


def parse_padding(text: str) -> Any:
    """Parse ``--padding``: a name (``same``, ``valid``, ``same_upper``, ``same_lower``,
    ``causal``, kept as typed: the convention decides which spellings it accepts, and
    TensorFlow's ``tf.nn`` ops take only ``SAME``/``VALID``), ``1`` (every side), ``1x2`` (one per
    axis, both sides), ``1:2`` (before:after on every axis) or ``1:2x0:1`` (pairs per axis).

    A single ``before:after`` pair is returned as a 1-tuple of pairs; :func:`broadcast` repeats
    it for every axis.

    >>> parse_padding("1:2")
    ((1, 2),)
    """
    t = text.strip()
    if _NAME.fullmatch(t):
        return t
    rule = ("a name such as same or valid, an integer, 1x2 per axis, or before:after pairs "
            "such as 1:2x0:1")
    tokens = _split_axes(t)
    items: list[Any] = []
    for tok in tokens:
        if ":" in tok:
            b, _, e = tok.partition(":")
            items.append((_int("--padding", text, b.strip(), rule),
                          _int("--padding", text, e.strip(), rule)))
        else:
            items.append(_int("--padding", text, tok, rule))
    if len(items) == 1:
        return (items[0],) if isinstance(items[0], tuple) else items[0]
    return tuple(items)


def broadcast(name: str, value: Any, ndim: int) -> Any:
    """Fit a parsed per-axis value to ``ndim`` axes: scalars and names pass unchanged (the spec
    broadcasts them), a single ``(before, after)`` pair is repeated, a tuple must have ``ndim``
    entries.

    >>> broadcast("padding", ((1, 2),), 2), broadcast("kernel", 3, 2)
    (((1, 2), (1, 2)), 3)
    >>> broadcast("kernel", (3, 5, 7), 2)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --kernel=3x5x7 must have one entry per axis of --in (2)
    """
    if not isinstance(value, tuple):
        return value
    if len(value) == 1 and isinstance(value[0], tuple):
        return value * ndim
    if len(value) != ndim:
        shown = "x".join(":".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value)
        raise InvalidSpecError(f"--{name}={shown} must have one entry per axis of --in ({ndim})")
    return value


def parse_scale(text: str, symbolic: bool = False) -> Any:
    """``2``, ``1.5`` (a float, multiplied as the framework does), ``3/2`` (exact), ``2x3``.

    With ``--symbolic`` a decimal is taken exactly (SymPy needs an exact factor).  Several
    values come back as a tuple (fit it to the axes with :func:`broadcast`).

    >>> parse_scale("2"), parse_scale("1.5"), parse_scale("3/2"), parse_scale("2x3")
    (2, 1.5, '3/2', (2, 3))
    """
    out: list[Any] = []
    for tok in text.replace("×", "x").split("x"):
        t = tok.strip()
        try:
            if "/" in t or symbolic:
                value: Any = Fraction(t)
                out.append(int(value) if value.denominator == 1 else t)
            elif "." in t or "e" in t.lower():
                out.append(float(t))
            else:
                out.append(parse_int(t, f"--scale={fmt(text)}") if _INT.fullmatch(t) else int(t))
        except (ValueError, ZeroDivisionError):
            raise InvalidSpecError(
                f"--scale={fmt(text)} must be a number such as 2, 1.5 or 3/2, or one per axis "
                "such as 2x3"
            ) from None
    return out[0] if len(out) == 1 else tuple(out)


# --------------------------------------------------------------------------- output


def dump_json(data: Any) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, ASCII only, trailing newline;
    a list of plain values (numbers, strings, null) stays on one line.

    >>> print(dump_json({"pads": [[2, 3], [2, 3]], "a": None, "b": []}), end="")
    {
      "a": null,
      "b": [],
      "pads": [
        [2, 3],
        [2, 3]
      ]
    }
    """
    return _encode(data, "") + "\n"


def _encode(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_scalar(str(k))}: {_encode(value[k], inner)}"
                 for k in sorted(value, key=str)]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in value):
            return "[" + ", ".join(_scalar(v) for v in value) + "]"
        return "[\n" + ",\n".join(inner + _encode(v, inner) for v in value) + f"\n{indent}]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=False)


def stdout_is_unicode() -> bool:
    """True when stdout can print SymPy's Unicode pretty forms."""
    encoding = getattr(sys.stdout, "encoding", None) or ""
    return encoding.lower().replace("-", "") in ("utf8", "utf16", "utf32")


def option_list(text: str, choices: Sequence[str], option: str) -> tuple[str, ...]:
    """Parse a comma-separated choice list such as ``torch,onnx`` (order kept, no repeats).

    >>> option_list("torch, onnx", ["torch", "onnx", "jax"], "--compare")
    ('torch', 'onnx')
    """
    items = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in choices]
    if bad or not items:
        raise InvalidSpecError(
            f"{option}={fmt(text)} must be a comma-separated list of {', '.join(choices)}"
        )
    return tuple(dict.fromkeys(items))

