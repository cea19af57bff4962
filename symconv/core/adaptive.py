"""Adaptive and global pooling as index structures: the average as an exact linear map, the
maximum as its 0/1 selection map at a given input.

Output ``i`` of an axis of input size ``n`` and output size ``o`` reads
``[floor(i n / o), ceil((i + 1) n / o))`` (:func:`symconv.sizes.formulas.adaptive_start`,
:func:`~symconv.sizes.formulas.adaptive_end`); an axis the layer keeps reads ``[i, i + 1)``.
Windows are built per axis in O(o) and repeated into entries with ``np.repeat`` (O(nnz), no
loop over entries); the N-D map is their tensor product.

>>> from symconv.spec import AdaptiveAvgPool
>>> m = adaptive_avg_pool_map(AdaptiveAvgPool(2), (1, 3))
>>> m.symbolic()
Matrix([
[1/2, 1/2,   0],
[  0, 1/2, 1/2]])
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd, prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core.budget import BYTES_PER_ENTRY, check_budget
from symconv.core.index import IndexMap
from symconv.core.separable import CHUNK_BYTES, check_indexable, separable_map
from symconv.core.separable import input_shape_of as _shape
from symconv.errors import InvalidSpecError
from symconv.sizes import formulas as F
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import AdaptiveAvgPool, AdaptiveMaxPool

__all__ = ["adaptive_avg_pool_map", "adaptive_max_pool_selection_map", "window_bounds"]

_I64 = np.int64


def window_bounds(n: int, o: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(start, end)`` of the ``o`` windows of an axis of size ``n`` (half-open).

    >>> [w.tolist() for w in window_bounds(10, 3)]
    [[0, 3, 6], [4, 7, 10]]
    """
    i = np.arange(o, dtype=_I64)
    return (np.asarray(F.adaptive_start(i, n, o), dtype=_I64),
            np.asarray(F.adaptive_end(i, n, o), dtype=_I64))


def _axis_entries(n: int, o: int) -> tuple[NDArray[np.int64], NDArray[np.int64],
                                           NDArray[np.int64]]:
    """(output, input, window length) of every entry of one axis, in output-major order."""
    start, end = window_bounds(n, o)
    length = end - start
    out = np.repeat(np.arange(o, dtype=_I64), length)
    first = np.repeat(np.cumsum(length) - length, length)  # index of each window's first entry
    src = np.repeat(start, length) + (np.arange(out.size, dtype=_I64) - first)
    return out, src, np.repeat(length, length)


def _resolved(layer: AdaptiveAvgPool | AdaptiveMaxPool, channels: int,
              sizes: tuple[int, ...], max_nnz: int | None, max_memory: int | None,
              per_entry: int) -> tuple[Resolved, tuple[int, ...], int]:
    """The layer on ``sizes``, its output sizes as ints and the number of entries per channel
    (the sum of the window lengths, multiplied over the axes), computed before any allocation
    and checked against the budgets.

    The windows of an axis ``n -> o`` have ``n + o - gcd(n, o)`` entries in all: the sum of
    ``ceil((i + 1) n / o) - floor(i n / o)`` telescopes to ``n`` plus one for each ``i`` in
    ``1 .. o - 1`` where ``i n / o`` is not an integer (``o - gcd(n, o)`` of them).

    >>> _axis_count(10, 3), _axis_count(5, 5), _axis_count(3, 7)
    (12, 5, 9)
    """
    r = resolve(layer, sizes)
    out = tuple(int(v) for v in r.output)
    check_indexable(f"this {type(layer).__name__} map", channels, out, sizes)
    per_channel = prod(_axis_count(n, o) for n, o in zip(sizes, out, strict=True))
    check_budget(channels * per_channel, max_nnz, max_memory=max_memory, per_entry=per_entry,
                 extra_bytes=CHUNK_BYTES + 48 * sum(n + o for n, o in zip(sizes, out,
                                                                           strict=True)))
    return r, out, per_channel


def _axis_count(n: int, o: int) -> int:
    """Entries of the adaptive windows of one axis ``n -> o`` (see :func:`_resolved`)."""
    return n + o - gcd(n, o)


def adaptive_avg_pool_map(
    layer: AdaptiveAvgPool, input_shape: Sequence[int], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Adaptive average pooling with exact coefficients ``1 / |window|`` (the window a box, its
    size the product of the per-axis lengths, as PyTorch divides).

    >>> from symconv.spec import AdaptiveAvgPool
    >>> m = adaptive_avg_pool_map(AdaptiveAvgPool((None, 1)), (2, 2, 3))
    >>> m.shape, m.out_shape, sorted({f"{int(a)}/{int(b)}" for a, b in zip(m.num, m.den)})
    ((4, 12), (2, 2, 1), ['1/3'])
    """
    if not isinstance(layer, AdaptiveAvgPool):
        raise InvalidSpecError(f"layer={layer!r} must be an AdaptiveAvgPool")
    c, sizes = _shape(input_shape)
    per_entry = BYTES_PER_ENTRY["build-separable"] + BYTES_PER_ENTRY["coefficients"]
    _, out, _ = _resolved(layer, c, sizes, max_nnz, max_memory, per_entry)
    axes = []
    for n, o in zip(sizes, out, strict=True):
        dst, src, length = _axis_entries(n, o)
        axes.append((dst, src, np.ones(dst.size, _I64), length))
    return separable_map(c, out, sizes, axes)


def _window_entries(sizes: tuple[int, ...], out: tuple[int, ...]) -> tuple[NDArray[np.int64],
                                                                         NDArray[np.int64]]:
    """(output, input) flat positions of every window entry of one channel, sorted by output
    and, within a window, by input: row-major order over the box."""
    per_axis = [_axis_entries(n, o) for n, o in zip(sizes, out, strict=True)]
    lens = [len(p[0]) for p in per_axis]
    grid = np.indices(lens, dtype=_I64).reshape(len(lens), -1)
    rows = np.ravel_multi_index([per_axis[a][0][grid[a]] for a in range(len(lens))], out)
    cols = np.ravel_multi_index([per_axis[a][1][grid[a]] for a in range(len(lens))], sizes)
    order = np.lexsort((cols, rows))
    return rows[order].astype(_I64), cols[order].astype(_I64)


def _ranks(values: NDArray[Any]) -> NDArray[np.int64]:
    """Dense ranks of real values (ints, floats without NaN, Fractions): equal values share a
    rank, order preserved; exact for object arrays (Python comparisons)."""
    _, inverse = np.unique(values, return_inverse=True)
    return np.asarray(inverse, dtype=_I64).reshape(-1)


def adaptive_max_pool_selection_map(
    layer: AdaptiveMaxPool, x: NDArray[Any], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """The 0/1 selection matrix ``S(x)`` of adaptive max pooling at the sample ``x`` (shape
    ``(C, *n)``): ``adaptive_max_pool(x) = S(x) x``.

    Row ``i`` has a single 1 at the position PyTorch's ``return_indices`` names: the window is
    scanned in row-major order and a value replaces the running maximum when it is strictly
    greater, so the first maximum wins a tie; a NaN always replaces it, so with NaNs the last
    NaN of the window is selected.  Computed from the window entries (sorted by output, then
    input position) by exact ranks, without a loop over entries.

    >>> import numpy as np
    >>> from symconv.spec import AdaptiveMaxPool
    >>> s = adaptive_max_pool_selection_map(AdaptiveMaxPool(3), np.array([[1, 3, 3, 2, 3, 3, 1]]))
    >>> s.cols.tolist()
    [1, 2, 4]
    """
    if not isinstance(layer, AdaptiveMaxPool):
        raise InvalidSpecError(f"layer={layer!r} must be an AdaptiveMaxPool")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iufO":
        raise InvalidSpecError(f"x.dtype={arr.dtype} must be real (integer, float or object)")
    c, sizes = _shape(arr.shape)
    # every window entry of every channel is gathered and ranked (about 9 int64 arrays)
    per_entry = BYTES_PER_ENTRY["build-unpool"] + 8 * max(arr.itemsize, 8)
    _, out, _ = _resolved(layer, c, sizes, max_nnz, max_memory, per_entry)
    rows, cols = _window_entries(sizes, out)
    n_out, n_in = prod(out), prod(sizes)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # first entry of each window
    vals = arr.reshape(c, n_in)[:, cols]  # (C, entries): every window of every channel
    nan = (np.asarray(vals != vals, dtype=bool) if vals.dtype.kind in "fO"
           else np.zeros(vals.shape, dtype=bool))  # NaN is the one value unequal to itself
    rank = np.zeros(vals.shape, dtype=_I64)
    if (~nan).any():
        rank[~nan] = _ranks(vals[~nan])
    # One key per entry: NaNs above every number and later NaNs above earlier ones; among
    # numbers the highest rank, then the earliest entry (a smaller tie-break for later ones).
    e = vals.shape[1]
    pos = np.arange(e, dtype=_I64)[None, :]
    top = int(rank.max(initial=0)) + 1
    key = np.where(nan, top * (e + 1) + pos, rank * (e + 1) - pos)
    best = np.maximum.reduceat(key, starts, axis=1)
    won = key == np.repeat(best, np.diff(np.r_[starts, e]), axis=1)
    picked = cols[np.nonzero(won)[1]].reshape(c, n_out)  # one winner per window and channel
    ch_idx = np.arange(c, dtype=_I64)[:, None]
    out_rows = (ch_idx * n_out + np.arange(n_out, dtype=_I64)[None, :]).ravel()
    in_cols = (ch_idx * n_in + picked).ravel()
    return IndexMap.from_arrays((c * n_out, c * n_in), out_rows, in_cols,
                                in_shape=(c, *sizes), out_shape=(c, *out))
