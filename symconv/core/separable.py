"""Channel-diagonal tensor products of per-axis maps, built in canonical order in O(nnz).

Pooling, resizing, adaptive pooling and the plumbing maps (pad, crop, zero-stretch,
subsample) act on each spatial axis separately and on each channel alike: their map is the
tensor product of one small map per axis, repeated on every channel.  :func:`separable_map`
merges each axis's entries (sorted, repeats summed, exact fractions), then writes the product
directly in canonical order — rows ascending, columns ascending within a row, one entry per
(row, column) — in chunks of at most :data:`CHUNK` entries, so the only O(nnz) arrays are the
result's and no sort is needed.  Only positions that hold entries are enumerated: an axis whose
output is mostly empty (a zero-stretch by ``10**9``) costs nothing for its empty positions.

>>> import numpy as np
>>> one = np.ones(2, dtype=np.int64)
>>> m = separable_map(1, (2,), (3,), [(np.array([0, 1]), np.array([0, 2]), one, one)])
>>> m.rows.tolist(), m.cols.tolist(), m.out_shape
([0, 1], [0, 2], (1, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core.index import IndexMap
from symconv.errors import InvalidSpecError, UnsupportedError

__all__ = ["CHUNK", "CHUNK_BYTES", "check_indexable", "input_shape_of", "separable_map"]

_I64 = np.int64
#: Entries written per chunk of the product (bounds the temporaries).
CHUNK = 1 << 18
#: Peak bytes of one chunk's temporaries (about a dozen int64 arrays of :data:`CHUNK`).
CHUNK_BYTES = 16 * 8 * CHUNK
Axis = tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]


def input_shape_of(input_shape: Sequence[int]) -> tuple[int, tuple[int, ...]]:
    """``(C, spatial)`` of an input shape ``(C, *spatial)`` with positive int entries."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) < 2 or any(v < 1 for v in shape):
        raise InvalidSpecError(
            f"input_shape={shape} must be (C, *spatial) with positive entries"
        )
    return shape[0], shape[1:]


def check_indexable(what: str, channels: int, out_sizes: Sequence[int],
                    in_sizes: Sequence[int]) -> None:
    """Refuse a map whose flat row or column positions do not fit int64 indices."""
    for side, sizes in (("output", out_sizes), ("input", in_sizes)):
        total = channels * prod(int(v) for v in sizes)
        if total >= 2**63:
            shown = "x".join(str(int(v)) for v in sizes)
            raise UnsupportedError(
                f"{what}: its {side} of {channels} channel(s) x {shown} has about "
                f"2**{total.bit_length() - 1} positions, beyond int64 indices; use smaller "
                "sizes or parameters"
            )


def _merged(out_size: int, in_size: int, axis: Axis) -> IndexMap:
    """One axis's entries sorted by (output, input), repeats summed exactly, zeros dropped."""
    out, src, num, den = axis
    return IndexMap.from_arrays((out_size, in_size), out, src, None, num, den).canonical()


def separable_map(
    channels: int,
    out_sizes: Sequence[int],
    in_sizes: Sequence[int],
    axes: Sequence[Axis],
) -> IndexMap:
    """The tensor product of per-axis maps ``(out, in, num, den)`` on every channel, in
    canonical form (see module docs).  Callers check the entry budget first: the product has
    ``channels * prod(len(out))`` entries at most."""
    out_sizes = tuple(int(v) for v in out_sizes)
    in_sizes = tuple(int(v) for v in in_sizes)
    check_indexable("this map", channels, out_sizes, in_sizes)
    nd = len(axes)
    n_out, n_in = prod(out_sizes), prod(in_sizes)
    merged = [_merged(out_sizes[a], in_sizes[a], axes[a]) for a in range(nd)]
    unit = all(_unit_view(m.num) and _unit_view(m.den) for m in merged)
    bound = prod(max(int(np.abs(m.num).max(initial=1)), int(m.den.max(initial=1)))
                 for m in merged)
    if bound >= 2**63:
        raise UnsupportedError("exact coefficients of this separable map exceed int64")
    # per axis: the occupied outputs, their entry counts and first entries
    occupied, counts, firsts = [], [], []
    for m in merged:
        first = np.flatnonzero(np.r_[True, m.rows[1:] != m.rows[:-1]]) if m.nnz else \
            np.zeros(0, _I64)
        occupied.append(m.rows[first])
        counts.append(np.diff(np.r_[first, m.nnz]).astype(_I64))
        firsts.append(first.astype(_I64))
    lens = [int(u.size) for u in occupied]
    total = prod(m.nnz for m in merged)
    positions = prod(lens)
    out_stride = [prod(out_sizes[a + 1:]) for a in range(nd)]
    in_stride = [prod(in_sizes[a + 1:]) for a in range(nd)]
    pos_stride = [prod(lens[a + 1:]) for a in range(nd)]
    most = prod(int(c.max(initial=1)) for c in counts)
    step = max(1, CHUNK // most)
    rows = np.empty((channels, total), _I64)
    cols = np.empty((channels, total), _I64)
    num = den = None
    if not unit:
        num, den = np.empty(total, _I64), np.empty(total, _I64)
    at = 0
    for q0 in range(0, positions, step):
        q = np.arange(q0, min(q0 + step, positions), dtype=_I64)
        ks = [(q // pos_stride[a]) % lens[a] for a in range(nd)]
        cnt = np.ones(q.size, _I64)
        r_sp = np.zeros(q.size, _I64)
        for a in range(nd):
            cnt *= counts[a][ks[a]]
            r_sp += occupied[a][ks[a]] * out_stride[a]
        e = int(cnt.sum())
        which = np.repeat(np.arange(q.size, dtype=_I64), cnt)
        j = np.arange(e, dtype=_I64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        block = slice(at, at + e)
        rows[0, block] = r_sp[which]
        c_sp = cols[0, block]
        c_sp[:] = 0
        nu = de = None
        for a in range(nd - 1, -1, -1):
            ca = counts[a][ks[a]][which]
            idx = firsts[a][ks[a]][which] + j % ca
            j //= ca
            c_sp += merged[a].cols[idx] * in_stride[a]
            if num is not None:
                nu = merged[a].num[idx] if nu is None else nu * merged[a].num[idx]
                de = merged[a].den[idx] if de is None else de * merged[a].den[idx]
        if num is not None and den is not None and nu is not None and de is not None:
            g = np.gcd(nu, de)
            num[block] = nu // g
            den[block] = de // g
        at += e
    if channels > 1:
        ch = np.arange(1, channels, dtype=_I64)[:, None]
        np.add(rows[0][None, :], ch * n_out, out=rows[1:])
        np.add(cols[0][None, :], ch * n_in, out=cols[1:])
        if num is not None and den is not None:
            num = np.tile(num, channels)
            den = np.tile(den, channels)
    return IndexMap.from_arrays(
        (channels * n_out, channels * n_in), rows.reshape(-1), cols.reshape(-1), None, num, den,
        in_shape=(channels, *in_sizes), out_shape=(channels, *out_sizes))


def _unit_view(a: NDArray[Any]) -> bool:
    return bool(a.ndim == 1 and (a.size == 0 or (a.strides == (0,) and a[0] == 1)
                                 or bool(np.all(a == 1))))
