"""What every layer spec shares: the ``_Spatial`` base class (rank check, broadcasting with
``at``, the compact repr), the ``per_axis`` field metadata and the shared parameter checks.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from symconv._params import fmt, is_int, scalar
from symconv.errors import InvalidSpecError

#: The most spatial axes a spec may have (``ndim``, or the entries of a per-axis tuple): far
#: beyond the 1-D to 3-D layers of every framework, and small enough that per-axis tuples,
#: size grids and the NumPy arrays of :mod:`symconv.numeric` (batch and channel axes too) stay
#: small.
MAX_NDIM = 16


def _infer_ndim(ndim: int | None, **params: object) -> int | None:
    """The spatial rank implied by tuple-valued parameters (they must agree).

    The first tuple-valued parameter (``ndim`` if given, else in the order passed: kernel
    first) sets the rank; a later one that disagrees is named in the error with its value.
    The rank is between 1 and :data:`MAX_NDIM`: ``ndim`` and every tuple are checked.
    """
    ref: tuple[str, object, int] | None = None
    if ndim is not None:
        scalar("ndim", ndim, minimum=1)
        if not is_int(ndim):  # a SymPy symbol: the rank must be known
            raise InvalidSpecError(f"ndim={fmt(ndim)} must be an integer, not a symbol (the "
                                   "number of spatial axes)")
        if int(ndim) > MAX_NDIM:
            raise InvalidSpecError(
                f"ndim={fmt(ndim)} must be at most {MAX_NDIM} (the most spatial axes a layer "
                "spec may have)"
            )
        ref = ("ndim", ndim, int(ndim))
    for name, value in params.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            n = _length(name, value)
            if ref is None:
                ref = (name, tuple(value), n)
            elif n != ref[2]:
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must have one entry per spatial axis "
                    f"({ref[2]}, as {ref[0]}={fmt(ref[1])})"
                )
    return ref[2] if ref is not None else None


def _length(name: str, value: Sequence[object]) -> int:
    """The number of entries of a per-axis tuple: 1 to :data:`MAX_NDIM`."""
    try:
        n = len(value)
    except OverflowError:  # a range too long for len()
        n = -1
    if n == 0:
        raise InvalidSpecError(
            f"{name}={fmt(tuple(value))} must have at least one entry (one per spatial axis)"
        )
    if n > MAX_NDIM or n < 0:
        count = f"{n} entries" if n > 0 else "over 2**63 entries"
        raise InvalidSpecError(
            f"{name}={fmt(tuple(value[:3]))[:-1]},...) ({count}) must have at most {MAX_NDIM} "
            "entries, one per spatial axis"
        )
    return n


@dataclass(frozen=True, slots=True)
class _Spatial:
    """Shared fields and helpers of the layers that slide a window."""

    ndim: int | None

    def _axes(self, n: int) -> int:
        """Check a spatial rank against this spec and return it."""
        if self.ndim is not None and self.ndim != n:
            raise InvalidSpecError(
                f"input size rank={n} must equal the layer's ndim={self.ndim} "
                f"({type(self).__name__} was specified per axis for {self.ndim} spatial axes)"
            )
        rank_rules = getattr(self, "_rank_rules", None)
        if self.ndim is None and rank_rules is not None:
            rank_rules(n)  # API rules that depend on the rank (symconv.spec.api_rules)
        return n

    def at(self, ndim: int) -> Any:
        """This spec with every per-axis parameter broadcast to ``ndim`` axes."""
        self._axes(ndim)
        if self.ndim == ndim:
            return self
        changes: dict[str, Any] = {"ndim": ndim}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("per_axis") and isinstance(value, tuple) and len(value) == 1:
                changes[f.name] = value * ndim
        return dataclasses.replace(self, **changes)

    def _padding_default(self) -> object:
        """What ``padding=None`` normalises to (window specs: their API's default)."""
        return None

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name in ("ndim",) or not f.repr:
                continue
            value = getattr(self, f.name)
            if _is_default(value, f.default):
                continue
            if f.name == "padding" and f.default is None and value == self._padding_default():
                continue  # padding=None: the API's default (zeros under torch and onnx)
            if f.name == "padding" and isinstance(value, enum.Enum) and _upper_names(self):
                parts.append(f"padding={value.value.upper()!r}")  # as the API spells it
                continue
            parts.append(f"{f.name}={_show(value, self.ndim)}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _upper_names(spec: object) -> bool:
    """True where the framework takes padding names in upper case only (``tf.nn``;
    ``lax.conv_transpose`` reads only ``'SAME'``/``'VALID'`` itself; flax ``Conv`` only
    ``'CAUSAL'``, lax reading the others in any case)."""
    convention = str(getattr(spec, "convention", ""))
    if getattr(spec, "api", None) == "flax.linen.Conv":
        return str(getattr(spec, "padding", "")) == "causal"
    if convention == "tensorflow" or (convention == "jax"
                                      and type(spec).__name__ == "ConvTranspose"):
        return True
    return getattr(spec, "api", None) in ("jax.lax.conv_transpose", "flax.linen.ConvTranspose")


def _is_default(value: object, default: object) -> bool:
    """True when a normalised per-axis value is just the broadcast default."""
    if value == default:
        return True
    if isinstance(value, tuple) and value and not isinstance(default, tuple):
        return all(v == default or v == (default, default) for v in value)
    return False


def _show(value: object, ndim: int | None) -> str:
    """Compact repr: broadcast parameters shown as the int the user gave."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if ndim in (None, 1) and isinstance(value, tuple) and len(value) == 1:
        inner = value[0]
        if isinstance(inner, tuple) and len(inner) == 2 and inner[0] == inner[1]:
            return str(inner[0])
        # one asymmetric pair stays a one-tuple: ``padding=(1,2)`` would read as two axes
        return repr(value) if isinstance(inner, tuple) else repr(inner)
    if isinstance(value, tuple) and value and all(
        isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] for v in value
    ):
        return repr(tuple(v[0] for v in value))
    return repr(value)


_AX = {"per_axis": True}


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidSpecError(f"{name}={fmt(value)} must be True or False")
