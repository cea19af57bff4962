"""Helpers shared by the inverse problems: one axis of a spec, size checks, the per-axis
dispatch of the plain functions, and range text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from symconv._params import fmt, is_symbolic, scalar
from symconv.errors import InvalidSpecError, UnsupportedError

_R = TypeVar("_R")

# --------------------------------------------------------------------------- shared helpers


def _axis_spec(layer: Any, axis: int) -> Any:
    """The 1-D spec of ``layer`` along ``axis`` (every per-axis field sliced)."""
    scalar("axis", axis, minimum=0)
    nd = layer.ndim
    if nd is None:
        return layer.at(1)
    if axis >= nd:
        raise InvalidSpecError(f"axis={axis} must be smaller than the layer's ndim={nd}")
    changes: dict[str, Any] = {"ndim": 1}
    for f in dataclasses.fields(layer):
        value = getattr(layer, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple):
            changes[f.name] = (value[axis],)
    return dataclasses.replace(layer, **changes)


def _int_size(name: str, value: object, minimum: int = 1) -> int:
    if is_symbolic(value):
        raise UnsupportedError(
            f"{name}={fmt(value)} must be an int here (symbolic sizes: see "
            "restoring_output_padding)"
        )
    return int(scalar(name, value, minimum=minimum))


def _per_axis(
    fn: Callable[..., _R], layer: Any, input_size: Any, *extra: Any
) -> _R | tuple[_R, ...]:
    """Apply a per-axis function to an int (one result) or a tuple of sizes (a tuple)."""
    if not isinstance(input_size, tuple | list):
        for name, value in extra:
            if isinstance(value, tuple | list):
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must be an int when input_size="
                    f"{fmt(input_size)} is an int"
                )
        layer.at(1)  # a layer fixed to several axes needs one size per axis
        return fn(layer, input_size, *(v for _, v in extra))
    sizes = tuple(input_size)
    if not sizes:
        raise InvalidSpecError("input_size=() must have at least one spatial axis")
    spec = layer.at(len(sizes))
    per: list[tuple[Any, ...]] = []
    for name, value in extra:
        if isinstance(value, tuple | list):
            if len(value) != len(sizes):
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must have one entry per axis ({len(sizes)})"
                )
            per.append(tuple(value))
        else:
            per.append((value,) * len(sizes))
    return tuple(
        fn(spec, n, *(p[a] for p in per), axis=a) for a, n in enumerate(sizes)
    )


def _axis_note(axis: int, layer: Any) -> str:
    return "" if (layer.ndim or 1) == 1 else f" on axis {axis}"


def _ranges_text(ranges: Sequence[range]) -> str:
    parts = []
    for r in ranges:
        if not len(r):
            continue
        parts.append(str(r.start) if len(r) == 1 else f"{r.start}..{r[-1]}")
    return ", ".join(parts) if parts else "none"


def _merge(ranges: Sequence[range]) -> tuple[range, ...]:
    """Union of ranges (step 1) as sorted, disjoint, non-adjacent ranges."""
    out: list[range] = []
    for r in sorted((r for r in ranges if len(r)), key=lambda r: r.start):
        if out and r.start <= out[-1].stop:
            out[-1] = range(out[-1].start, max(out[-1].stop, r.stop))
        else:
            out.append(r)
    return tuple(out)
