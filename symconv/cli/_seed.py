"""The ``--seed`` option shared by ``latex``, ``prove`` and ``report``.

The seed goes to :func:`numpy.random.default_rng`, which takes a non-negative integer; the
option checks that at the boundary, so a bad value is one line naming ``--seed`` (exit
status 2), not a traceback from numpy.

>>> SEED.convert("7", None, None)
7
>>> SEED.convert("-1", None, None)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: --seed=-1 must be a non-negative integer (the seed of numpy's default_rng)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from symconv.errors import InvalidSpecError

__all__ = ["SEED", "seed_option"]

_F = TypeVar("_F", bound=Callable[..., Any])
_INT = re.compile(r"\s*[+-]?\d+\s*")
_RULE = "must be a non-negative integer{} (the seed of numpy's default_rng)"


def _cut(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


class _Seed(click.ParamType):
    """A non-negative integer; anything else is an :class:`InvalidSpecError` naming ``--seed``
    (the command turns it into one line and exit status 2)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value)
            if not _INT.fullmatch(text):
                raise InvalidSpecError(f"--seed={_cut(text)!r} {_RULE.format('')}")
            try:
                number = int(text)
            except ValueError:  # beyond Python's digit limit for int(str)
                raise InvalidSpecError(
                    f"--seed={_cut(text.strip())} {_RULE.format(' of at most 4300 digits')}"
                ) from None
        if number < 0:
            raise InvalidSpecError(f"--seed={_cut(str(number))} {_RULE.format('')}")
        return number


SEED = _Seed()


def seed_option(help_text: str) -> Callable[[_F], _F]:
    """``--seed N`` (default 0), checked to be a non-negative integer."""
    return click.option("--seed", type=SEED, default=0, show_default=True, metavar="INTEGER",
                        help=help_text)
