"""Every exception symconv raises.

All rejections derive from :class:`SymconvError`, so ``except SymconvError`` catches
everything the library refuses on purpose.  Messages follow one shape:
``name=value must <rule>`` (optionally followed by context), on one line.

>>> from symconv.errors import InvalidSpecError, SymconvError
>>> issubclass(InvalidSpecError, ValueError) and issubclass(InvalidSpecError, SymconvError)
True
"""

from __future__ import annotations

__all__ = [
    "InvalidSpecError",
    "ProofError",
    "SymconvError",
    "UnsupportedError",
]


class SymconvError(Exception):
    """Base class of every error symconv raises deliberately."""


class InvalidSpecError(SymconvError, ValueError):
    """A parameter violates a rule of the layer or of the chosen framework convention.

    The message names the parameter, its value and the rule, e.g.
    ``output_padding=2 must be smaller than stride=2 or dilation=1``.
    """


class UnsupportedError(SymconvError, NotImplementedError):
    """A request is well formed but outside what symconv (or a convention) can express."""


class ProofError(SymconvError):
    """A proof could not be carried out (not: the statement is false; that is a verdict)."""
