"""The cases the kit's strategies draw: a valid layer with its input size (:class:`LayerCase`)
or a configuration the convention rejects, with the rule (:class:`InvalidCase`).

Plain named tuples (no Hypothesis needed to use them), so a case found once can be written
into a regression test by hand.

>>> from symconv import MaxPool
>>> case = InvalidCase("MaxPool", {"kernel": 3, "convention": "onnx"}, (2,),
...                    "input + pads >= (kernel - 1) * dilation + 1", MaxPool(kernel=3,
...                    convention="onnx"))
>>> case.rejection() is not None
True
>>> LayerCase(MaxPool(kernel=2), (5,)).command()
'symconv shape max-pool --in 5 --kernel 2 --stride 2 --padding 0:0'
"""

from __future__ import annotations

from typing import Any, NamedTuple

from symconv.errors import InvalidSpecError
from symconv.sizes.shapes import resolve
from symconv.spec import Layer

__all__ = ["InvalidCase", "LayerCase", "build"]


def build(kind: str, params: dict[str, Any]) -> Layer:
    """The spec ``kind`` (a class name of :mod:`symconv.spec`: ``"Conv"``, ``"MaxPool"``, ...)
    with ``params``; rejections raise :class:`~symconv.errors.InvalidSpecError`.

    >>> build("Conv", {"kernel": 3, "stride": 2})
    Conv(kernel=3, stride=2)
    """
    import symconv.spec as spec

    cls = getattr(spec, kind, None)
    if not isinstance(cls, type):
        raise InvalidSpecError(f"kind={kind!r} must name a layer class of symconv.spec")
    layer: Layer = cls(**params)
    return layer


class LayerCase(NamedTuple):
    """A layer the convention accepts and a spatial input size it accepts."""

    layer: Layer
    input_size: tuple[int, ...]

    def command(self, *, matrix: bool = False) -> str | None:
        """The ``symconv shape`` (or ``symconv matrix``) command of this case
        (:func:`~symconv.testing.commands.reproduce_command`)."""
        from symconv.testing.commands import reproduce_command

        return reproduce_command(self.layer, self.input_size, matrix=matrix)


class InvalidCase(NamedTuple):
    """A configuration ``convention`` rejects: the spec class ``kind`` with ``params`` on
    ``input_size``, and the ``rule`` it breaks (in words).  ``layer`` is the spec when only
    the input size is rejected (the parameters themselves are valid), else ``None``."""

    kind: str
    params: dict[str, Any]
    input_size: tuple[int, ...]
    rule: str
    layer: Layer | None = None

    def rejection(self) -> str | None:
        """symconv's own rejection message, or ``None`` when symconv accepts the case (a
        bug in the strategy or in symconv)."""
        try:
            layer = self.layer if self.layer is not None else build(self.kind, self.params)
            resolve(layer, self.input_size)
        except InvalidSpecError as exc:
            return str(exc)
        return None

    def command(self) -> str | None:
        """The ``symconv shape`` command that shows the rejection (``None`` when the
        parameters cannot be written as options)."""
        from symconv.testing.commands import reproduce_command

        if self.layer is not None:
            return reproduce_command(self.layer, self.input_size)
        return None
