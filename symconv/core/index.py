"""The index structure at the centre of symconv: which input feeds which output, through what.

An :class:`IndexMap` is a sparse linear map ``y = A x`` stored as parallel numpy arrays, one
entry per (output, input, monomial) triple:

* ``rows``, ``cols`` — output and input positions (flat, C order over ``(C, *spatial)``);
* ``taps`` — an ``(nnz, degree)`` array of weight indices: the entry's weight monomial is the
  product of those weights (degree 0 for fixed maps such as pooling, 1 for a conv layer,
  2 for a conv composed with a conv, ...);
* ``num``, ``den`` — the entry's exact rational coefficient (``1/4``, never a float).

Entries may repeat (a reflect-padded border feeds one input twice); every view sums them.
All algebra (transpose, composition, canonical form, equality) is vectorised numpy in
O(nnz log nnz); nothing here imports SymPy.

>>> m = IndexMap.from_arrays((2, 3), rows=[0, 0, 1], cols=[0, 1, 2], num=[1, 1, 1], den=[2, 2, 1])
>>> m.T.shape
(3, 2)
>>> m.equals(m.T.T)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.errors import InvalidSpecError

__all__ = ["DEFAULT_MAX_NNZ", "IndexMap", "WeightRef", "check_budget"]

#: Default budgets (entries) before refusing to build: symbolic views are far heavier.
DEFAULT_MAX_NNZ = {"symbolic": 2_000_000, "numeric": 50_000_000}

_I64 = np.int64


def check_budget(estimate: int, max_nnz: int | None, view: str = "numeric") -> None:
    """Refuse to build more than ``max_nnz`` entries (default per view), stating the estimate."""
    limit = DEFAULT_MAX_NNZ[view] if max_nnz is None else max_nnz
    if estimate > limit:
        raise InvalidSpecError(
            f"max_nnz={limit} must be at least the estimated {estimate:,} entries of this "
            f"{view} map (about {estimate * (48 if view == 'numeric' else 400) / 2**20:,.0f} MiB); "
            "pass max_nnz= (CLI: --max-nnz) to raise the budget"
        )


@dataclass(frozen=True, slots=True)
class WeightRef:
    """A weight tensor the map's taps refer to: its name, its shape and where its taps start."""

    name: str
    shape: tuple[int, ...]
    offset: int = 0

    @property
    def size(self) -> int:
        return prod(self.shape)


def _unit(n: int) -> NDArray[np.int64]:
    """n ones as a read-only zero-stride view."""
    return np.broadcast_to(np.ones(1, dtype=_I64), (n,))


def _arr(values: ArrayLike, dtype: Any = _I64) -> NDArray[Any]:
    return np.ascontiguousarray(np.asarray(values, dtype=dtype))


@dataclass(frozen=True, slots=True, eq=False)
class IndexMap:
    """A sparse linear map with exact coefficients over weight monomials (see module docs)."""

    shape: tuple[int, int]
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    taps: NDArray[np.int64]
    num: NDArray[np.int64]
    den: NDArray[np.int64]
    weights: tuple[WeightRef, ...] = ()
    in_shape: tuple[int, ...] | None = field(default=None)
    out_shape: tuple[int, ...] | None = field(default=None)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_arrays(
        cls,
        shape: tuple[int, int],
        rows: ArrayLike,
        cols: ArrayLike,
        taps: ArrayLike | None = None,
        num: ArrayLike | None = None,
        den: ArrayLike | None = None,
        weights: Sequence[WeightRef] = (),
        in_shape: tuple[int, ...] | None = None,
        out_shape: tuple[int, ...] | None = None,
    ) -> IndexMap:
        """Build from arrays; ``taps`` may be 1-D (degree 1) or absent (degree 0), coefficients
        default to 1."""
        r, c = _arr(rows).ravel(), _arr(cols).ravel()
        n = r.size
        if taps is None:
            t = np.empty((n, 0), dtype=_I64)
        else:
            t = _arr(taps)
            t = t.reshape(n, 1) if t.ndim == 1 else t
        # Unit coefficients are a read-only zero-stride view: no O(nnz) allocation for the
        # common weight-only and 0/1 maps (every consumer only reads or fancy-indexes them).
        nu = _unit(n) if num is None else _arr(num).ravel()
        de = _unit(n) if den is None else _arr(den).ravel()
        return cls((int(shape[0]), int(shape[1])), r, c, t, nu, de, tuple(weights),
                   in_shape, out_shape)

    @property
    def nnz(self) -> int:
        """Number of stored entries (before summing repeats)."""
        return int(self.rows.size)

    @property
    def degree(self) -> int:
        """Number of weights multiplied in each entry's monomial."""
        return int(self.taps.shape[1])

    @property
    def n_weights(self) -> int:
        return sum(w.size for w in self.weights)

    # ------------------------------------------------------------------ algebra

    @property
    def T(self) -> IndexMap:
        """The transposed map (exact adjoint)."""
        return IndexMap(
            (self.shape[1], self.shape[0]), self.cols, self.rows, self.taps, self.num, self.den,
            self.weights, self.out_shape, self.in_shape,
        )

    def __matmul__(self, other: IndexMap) -> IndexMap:
        return self.compose(other)

    def compose(self, other: IndexMap) -> IndexMap:
        """``self @ other``: entries joined on ``self.cols == other.rows``; monomials multiply,
        coefficients multiply exactly.  Weights with the same name and shape are shared."""
        if self.shape[1] != other.shape[0]:
            raise InvalidSpecError(
                f"other.shape={other.shape} must have {self.shape[1]} rows (the columns of "
                f"self.shape={self.shape}) to compose"
            )
        weights, remap = _merge_weights(self.weights, other.weights)
        order = np.argsort(other.rows, kind="stable")
        o_rows = other.rows[order]
        start = np.searchsorted(o_rows, self.cols, side="left")
        stop = np.searchsorted(o_rows, self.cols, side="right")
        counts = stop - start
        a_idx = np.repeat(np.arange(self.nnz, dtype=_I64), counts)
        # position inside each run: global arange minus the run's start offset
        run_start = np.repeat(np.cumsum(counts) - counts, counts)
        b_idx = order[np.repeat(start, counts) + (np.arange(a_idx.size, dtype=_I64) - run_start)]
        taps = np.concatenate([self.taps[a_idx], remap[other.taps[b_idx]]], axis=1) if (
            other.degree
        ) else self.taps[a_idx]
        num = self.num[a_idx] * other.num[b_idx]
        den = self.den[a_idx] * other.den[b_idx]
        _check_overflow(num, den)
        g = np.gcd(num, den)
        return IndexMap(
            (self.shape[0], other.shape[1]), self.rows[a_idx], other.cols[b_idx], taps,
            num // g, den // g, weights, other.in_shape, self.out_shape,
        ).canonical()

    def canonical(self) -> IndexMap:
        """Unique (row, col, monomial) entries, sorted, coefficients summed, zeros dropped.

        Monomials are commutative: taps within an entry are sorted first.
        """
        if self.nnz == 0:
            return self
        taps = np.sort(self.taps, axis=1) if self.degree > 1 else self.taps
        keys = [taps[:, j] for j in range(self.degree - 1, -1, -1)] + [self.cols, self.rows]
        order = np.lexsort(keys)
        r, c, t = self.rows[order], self.cols[order], taps[order]
        nu, de = self.num[order], self.den[order]
        new = np.ones(r.size, dtype=bool)
        same = (r[1:] == r[:-1]) & (c[1:] == c[:-1])
        if self.degree:
            same &= np.all(t[1:] == t[:-1], axis=1)
        new[1:] = ~same
        if new.all():
            keep = nu != 0
            return IndexMap(self.shape, r[keep], c[keep], t[keep], nu[keep], de[keep],
                            self.weights, self.in_shape, self.out_shape)
        starts = np.flatnonzero(new)
        if int(de.max()) >= 2**31:
            raise OverflowError("exact coefficient denominators exceed the int64 budget")
        # exact sum of fractions per run: common denominator = lcm of the run's denominators
        lcm = np.lcm.reduceat(de, starts)
        scale = np.repeat(lcm, np.diff(np.append(starts, r.size))) // de
        _check_overflow(nu * scale, lcm)
        total = np.add.reduceat(nu * scale, starts)
        g = np.gcd(total, lcm)
        g[g == 0] = 1
        nu2, de2 = total // g, lcm // g
        keep = nu2 != 0
        sel = starts[keep]
        return IndexMap(self.shape, r[sel], c[sel], t[sel], nu2[keep], de2[keep], self.weights,
                        self.in_shape, self.out_shape)

    def equals(self, other: IndexMap) -> bool:
        """Exact equality of the two linear maps (as polynomials in the weights).

        The weight tensors are matched by name and shape, whatever order they were registered
        in: ``(A @ B).T`` lists A's weights first, ``B.T @ A.T`` B's, yet they are equal.
        """
        if self.shape != other.shape:
            return False
        for mine, theirs in ((self.in_shape, other.in_shape), (self.out_shape, other.out_shape)):
            if mine is not None and theirs is not None and mine != theirs:
                return False  # e.g. (1, 1, 2) and (1, 2, 1): same size, other spaces
        wa = sorted((w.name, w.shape) for w in self.weights)
        wb = sorted((w.name, w.shape) for w in other.weights)
        if (self.degree or other.degree) and wa != wb:
            return False
        if other.weights != self.weights and other.degree:
            # relabel other's tap ids into self's weight layout (same tensors, other offsets)
            _, remap = _merge_weights(self.weights, other.weights)
            other = IndexMap(other.shape, other.rows, other.cols, remap[other.taps], other.num,
                             other.den, self.weights, other.in_shape, other.out_shape)
        a, b = self.canonical(), other.canonical()
        if a.nnz != b.nnz or (a.degree != b.degree and a.nnz):
            return False
        return bool(
            np.array_equal(a.rows, b.rows) and np.array_equal(a.cols, b.cols)
            and np.array_equal(a.taps, b.taps) and np.array_equal(a.num, b.num)
            and np.array_equal(a.den, b.den)
        )

    def scaled(self, num: int, den: int = 1) -> IndexMap:
        """The map multiplied by the exact rational ``num/den``."""
        n, d = self.num * num, self.den * den
        g = np.gcd(n, d)
        g[g == 0] = 1
        return IndexMap(self.shape, self.rows, self.cols, self.taps, n // g, d // g,
                        self.weights, self.in_shape, self.out_shape)

    def with_weights(self, weights: Sequence[WeightRef]) -> IndexMap:
        """The same entries, relabelled to other weight tensors of the same total size."""
        if sum(w.size for w in weights) != self.n_weights:
            raise InvalidSpecError("weights must have the same total size to relabel a map")
        return IndexMap(self.shape, self.rows, self.cols, self.taps, self.num, self.den,
                        tuple(weights), self.in_shape, self.out_shape)

    # ------------------------------------------------------------------ views

    def symbolic(self, weights: Any = None, *, max_nnz: int | None = None) -> Any:
        """``sympy.SparseMatrix`` with weight symbols ``w_{...}`` (or the given weights)."""
        from symconv.core.views import to_symbolic

        return to_symbolic(self, weights, max_nnz=max_nnz)

    def numeric(self, weights: Any = None, *, max_nnz: int | None = None) -> Any:
        """``scipy.sparse.csr_matrix`` (float64) for the given weights."""
        from symconv.core.views import to_numeric

        return to_numeric(self, weights, max_nnz=max_nnz)

    def apply(self, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
        """Apply to a sample ``in_shape`` or a batch ``(N, *in_shape)`` numerically."""
        from symconv.core.views import apply

        return apply(self, x, weights)

    def apply_exact(self, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
        """Apply exactly to integer / ``Fraction`` data (see :func:`views.apply_exact`)."""
        from symconv.core.views import apply_exact

        return apply_exact(self, x, weights)

    def row_counts(self) -> NDArray[np.int64]:
        """Distinct (input, monomial) terms reaching each output (forward coverage)."""
        c = self.canonical()
        return np.bincount(c.rows, minlength=self.shape[0]).astype(_I64)

    def col_counts(self) -> NDArray[np.int64]:
        """Distinct (output, monomial) terms each input feeds (gradient coverage)."""
        c = self.canonical()
        return np.bincount(c.cols, minlength=self.shape[1]).astype(_I64)


def _merge_weights(
    a: tuple[WeightRef, ...], b: tuple[WeightRef, ...]
) -> tuple[tuple[WeightRef, ...], NDArray[np.int64]]:
    """Weights of a product: ``a``'s, then ``b``'s not already present (same name and shape).

    Returns the merged tuple and the map from ``b``'s tap ids to merged tap ids.
    """
    merged = list(a)
    by_key = {(w.name, w.shape): w for w in a}
    total = sum(w.size for w in a)
    remap = np.zeros(sum(w.size for w in b) or 1, dtype=_I64)
    for w in b:
        found = by_key.get((w.name, w.shape))
        if found is None:
            for x in merged:
                if x.name == w.name:
                    raise InvalidSpecError(
                        f"name={w.name!r} must name one weight tensor, not two of shapes "
                        f"{x.shape} and {w.shape}; rename one"
                    )
            found = WeightRef(w.name, w.shape, total)
            total += w.size
            merged.append(found)
            by_key[(w.name, w.shape)] = found
        remap[w.offset:w.offset + w.size] = np.arange(found.offset, found.offset + w.size)
    return tuple(merged), remap


def _check_overflow(num: NDArray[Any], den: NDArray[Any]) -> None:
    big = 2**62
    if num.size and (np.abs(num).max() >= big or den.max() >= big):
        raise OverflowError("exact coefficient exceeds int64; compose fewer fixed maps at once")
