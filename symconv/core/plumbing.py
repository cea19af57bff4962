"""The plumbing maps: explicit padding, cropping, zero-stretching (input dilation) and
subsampling, as exact 0/1 index maps (channel-diagonal tensor products of one map per axis,
:func:`symconv.core.separable.separable_map`).

Every builder checks its parameters (integers, in range), counts its entries from the sizes
and the parameters' values before allocating anything, and checks them against ``max_nnz`` and
``max_memory`` (:func:`symconv.core.budget.check_budget`); a huge parameter that only makes the
output large, such as a zero-stretch by ``10**9``, costs nothing (only positions holding an
entry are enumerated), and a map whose positions do not fit int64 indices is refused.

>>> m = zero_stretch_map((1, 3), (10**9,))
>>> m.out_shape, m.rows.tolist()
((1, 2000000001), [0, 1000000000, 2000000000])
>>> pad_map((1, 4), [(10**12, 0)]).nnz  # zeros: the padding reads nothing
4
>>> pad_map((1, 4), [(10**12, 0)], "replicate")
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: max_nnz=50000000 must be at least the estimated 1,000,000,000,004 entries of this numeric map (about 73 TiB with the baseline); pass max_nnz= (CLI: --max-nnz) to raise the budget
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv._params import fmt, scalar
from symconv.core.budget import BYTES_PER_ENTRY, check_budget
from symconv.core.index import IndexMap
from symconv.core.layers import _check_fill, _fill
from symconv.core.separable import CHUNK_BYTES, check_indexable, input_shape_of, separable_map
from symconv.errors import InvalidSpecError
from symconv.spec import PaddingFill, parse_enum

__all__ = ["crop_map", "pad_map", "subsample_map", "zero_stretch_map"]

_I64 = np.int64


def _is_seq(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, str)) or (
        isinstance(value, np.ndarray) and value.ndim >= 1)


def _pairs(name: str, value: Any, ndim: int) -> list[tuple[int, int]]:
    """``(before, after)`` int pairs, one per spatial axis (each below 10**18)."""
    items = list(value) if _is_seq(value) else None
    if items is None or len(items) != ndim:
        raise InvalidSpecError(f"{name}={fmt(value)} must have one (before, after) pair per "
                               f"spatial axis ({ndim})")
    out = []
    for pair in items:
        if not _is_seq(pair) or len(pair) != 2:
            raise InvalidSpecError(f"{name}={fmt(value)} must give each axis a (before, after) "
                                   "pair of integers")
        out.append((scalar(name, pair[0]), scalar(name, pair[1])))
    return out


def _strides(value: Any, ndim: int) -> list[int]:
    """One positive int stride per spatial axis (each below 10**18)."""
    items = list(value) if _is_seq(value) else None
    if items is None or len(items) != ndim:
        raise InvalidSpecError(f"stride={fmt(value)} must have one entry per spatial axis "
                               f"({ndim})")
    return [scalar("stride", v, minimum=1) for v in items]


def _build(what: str, input_shape: Sequence[int], out_sizes: Sequence[int],
           per_axis: Sequence[int], make: Any, max_nnz: int | None,
           max_memory: int | None) -> IndexMap:
    """Check the budgets for ``channels * prod(per_axis)`` entries, then build the per-axis
    ``(out, in)`` lists with ``make(axis)`` and their product."""
    c, sizes = input_shape_of(input_shape)
    check_budget(c * prod(per_axis), max_nnz, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-separable"],
                 extra_bytes=CHUNK_BYTES + 64 * sum(per_axis))
    check_indexable(f"this {what} map", c, out_sizes, sizes)
    axes = []
    for a in range(len(sizes)):
        dst, src = make(a)
        one = np.ones(dst.size, _I64)
        axes.append((dst, src, one, one))
    return separable_map(c, out_sizes, sizes, axes)


def pad_map(
    input_shape: Sequence[int],
    pads: Sequence[tuple[int, int]],
    mode: str | PaddingFill = "zeros",
    *,
    max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Explicit padding ``(before, after)`` per axis with zeros, reflect, replicate or circular.

    Entries per axis: ``n`` with zeros (padded positions read nothing), ``n + before + after``
    with the other modes (every output position reads an input)."""
    fill = parse_enum("mode", mode, PaddingFill)
    _, sizes = input_shape_of(input_shape)
    if not _is_seq(pads) or len(pads) != len(sizes):
        raise InvalidSpecError(f"pads={fmt(pads)} must have one pair per spatial axis")
    pairs = _pairs("padding", pads, len(sizes))
    for b, e in pairs:
        if b < 0 or e < 0:
            raise InvalidSpecError(f"padding=({b},{e}) must be non-negative (use crop_map)")
    _check_fill(fill, pairs, sizes)
    zeros = fill is PaddingFill.ZEROS
    out = [n + b + e for (b, e), n in zip(pairs, sizes, strict=True)]
    per_axis = [n if zeros else o for n, o in zip(sizes, out, strict=True)]

    def make(a: int) -> tuple[NDArray[Any], NDArray[Any]]:
        (b, e), n = pairs[a], sizes[a]
        if zeros:
            src = np.arange(n, dtype=_I64)
            return src + b, src
        pos = np.arange(-b, n + e, dtype=_I64)
        keep, src = _fill(pos, n, fill)
        return (pos + b)[keep], src[keep]

    return _build("pad", input_shape, out, per_axis, make, max_nnz, max_memory)


def crop_map(
    input_shape: Sequence[int],
    crops: Sequence[tuple[int, int]],
    *,
    max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Remove ``(before, after)`` positions per axis."""
    _, sizes = input_shape_of(input_shape)
    pairs = _pairs("crop", crops, len(sizes))
    for (b, e), n in zip(pairs, sizes, strict=True):
        if b < 0 or e < 0 or b + e >= n:
            raise InvalidSpecError(f"crop=({b},{e}) must be non-negative and leave at least 1 "
                                   f"of the input size {n}")
    out = [n - b - e for (b, e), n in zip(pairs, sizes, strict=True)]

    def make(a: int) -> tuple[NDArray[Any], NDArray[Any]]:
        dst = np.arange(out[a], dtype=_I64)
        return dst, dst + pairs[a][0]

    return _build("crop", input_shape, out, out, make, max_nnz, max_memory)


def zero_stretch_map(
    input_shape: Sequence[int],
    stride: Sequence[int],
    *,
    max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Insert ``s - 1`` zeros between samples (input dilation): size ``(n - 1) s + 1``; one
    entry per input position, whatever the stride."""
    _, sizes = input_shape_of(input_shape)
    strides = _strides(stride, len(sizes))
    out = [(n - 1) * s + 1 for s, n in zip(strides, sizes, strict=True)]

    def make(a: int) -> tuple[NDArray[Any], NDArray[Any]]:
        src = np.arange(sizes[a], dtype=_I64)
        return src * strides[a], src

    return _build("zero-stretch", input_shape, out, sizes, make, max_nnz, max_memory)


def subsample_map(
    input_shape: Sequence[int],
    stride: Sequence[int],
    *,
    max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Keep every ``s``-th sample starting at 0: size ``ceil(n / s)``."""
    _, sizes = input_shape_of(input_shape)
    strides = _strides(stride, len(sizes))
    out = [-(-n // s) for s, n in zip(strides, sizes, strict=True)]

    def make(a: int) -> tuple[NDArray[Any], NDArray[Any]]:
        dst = np.arange(out[a], dtype=_I64)
        return dst, dst * strides[a]

    return _build("subsample", input_shape, out, out, make, max_nnz, max_memory)
