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
O(nnz log nnz).  The views (:func:`to_symbolic`, :func:`to_numeric`, :func:`apply`,
:func:`apply_exact`, also :class:`IndexMap` methods) are at the end of this module; SymPy and
SciPy are imported inside the functions that need them, so the index structure and the integer
paths stay light.

>>> m = IndexMap.from_arrays((2, 3), rows=[0, 0, 1], cols=[0, 1, 2], num=[1, 1, 1], den=[2, 2, 1])
>>> m.T.shape
(3, 2)
>>> m.equals(m.T.T)
True
>>> from symconv.spec import Conv
>>> from symconv.core.layers import conv_map
>>> m = conv_map(Conv(kernel=2), (1, 3), out_channels=1)
>>> to_symbolic(m)
Matrix([
[w_{0,0,0}, w_{0,0,1},         0],
[        0, w_{0,0,0}, w_{0,0,1}]])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.core.budget import (
    BASELINE_BYTES,
    BYTES_PER_ENTRY,
    DEFAULT_MAX_NNZ,
    check_budget,
    check_memory,
)
from symconv.errors import InvalidSpecError

__all__ = [
    "DEFAULT_MAX_NNZ",
    "IndexMap",
    "WeightRef",
    "apply",
    "apply_exact",
    "check_budget",
    "flat_weights",
    "to_numeric",
    "to_symbolic",
    "weight_symbols",
]

_I64 = np.int64
#: Entries per block of the chunked O(nnz) scans (bounded temporaries).
_CHUNK = 1 << 20


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

    @property
    def nbytes(self) -> int:
        """Bytes held by the entry arrays (zero-stride unit coefficients count nothing)."""
        return sum(int(a.nbytes) for a in (self.rows, self.cols, self.taps, self.num, self.den)
                   if a.ndim != 1 or a.strides != (0,))

    def compose(self, other: IndexMap, *, max_nnz: int | None = None,
                max_memory: int | None = None) -> IndexMap:
        """``self @ other``: entries joined on ``self.cols == other.rows``; monomials multiply,
        coefficients multiply exactly.  Weights with the same name and shape are shared.

        The product's entries (``sum`` over ``self``'s entries of the ``other`` entries in the
        matching row) are counted before they are made and checked against ``max_nnz`` and
        ``max_memory`` (:func:`check_budget`, views ``numeric``).
        """
        if self.shape[1] != other.shape[0]:
            raise InvalidSpecError(
                f"other.shape={other.shape} must have {self.shape[1]} rows (the columns of "
                f"self.shape={self.shape}) to compose"
            )
        weights, remap = _merge_weights(self.weights, other.weights)
        order = np.argsort(other.rows, kind="stable")
        o_rows = other.rows[order]
        start = np.searchsorted(o_rows, self.cols, side="left")
        counts = np.searchsorted(o_rows, self.cols, side="right") - start
        del o_rows
        total = int(counts.sum(dtype=_I64)) if counts.size else 0
        degree = self.degree + other.degree
        check_budget(total, max_nnz, "numeric", max_memory=max_memory,
                     per_entry=BYTES_PER_ENTRY["compose"] + 8 * degree,
                     extra_bytes=self.nbytes + other.nbytes + 24 * (self.nnz + other.nnz),
                     what="composition")
        a_idx = np.repeat(np.arange(self.nnz, dtype=_I64), counts)
        # position inside each run: global arange minus the run's start offset
        b_idx = np.repeat(start - (np.cumsum(counts) - counts), counts)
        del start, counts
        b_idx += np.arange(total, dtype=_I64)
        b_idx = order[b_idx]
        del order
        taps = np.concatenate([self.taps[a_idx], remap[other.taps[b_idx]]], axis=1) if (
            other.degree
        ) else self.taps[a_idx]
        rows, cols = self.rows[a_idx], other.cols[b_idx]
        if _is_unit(self.num) and _is_unit(self.den) and _is_unit(other.num) and _is_unit(
                other.den):
            num = den = _unit(total)
        else:
            num = self.num[a_idx] * other.num[b_idx]
            den = self.den[a_idx] * other.den[b_idx]
            _check_overflow(num, den)
            g = np.gcd(num, den)
            num //= g
            den //= g
            del g
        del a_idx, b_idx
        return IndexMap(
            (self.shape[0], other.shape[1]), rows, cols, taps, num, den, weights,
            other.in_shape, self.out_shape,
        ).canonical(max_memory=max_memory)

    def canonical(self, *, max_memory: int | None = None) -> IndexMap:
        """Unique (row, col, monomial) entries, sorted, coefficients summed, zeros dropped.

        Monomials are commutative: taps within an entry are sorted first.  A map already in
        that form (checked in one chunked O(nnz) pass) is returned as it is; otherwise the sort
        is checked against ``max_memory`` first (:data:`BYTES_PER_ENTRY` ``canonical``).
        """
        if self.nnz == 0 or _is_canonical(self):
            return self
        unit = _is_unit(self.num) and _is_unit(self.den)
        check_memory(
            BASELINE_BYTES + self.nbytes + self.nnz * (BYTES_PER_ENTRY["canonical"]
                                                       + 8 * self.degree + (0 if unit else 24)),
            max_memory, f"of the canonical form of a map of {self.nnz:,} entries")
        taps = np.sort(self.taps, axis=1) if self.degree > 1 else self.taps
        order = _sort_order(self.shape, self.rows, self.cols, taps)
        r, c, t = self.rows[order], self.cols[order], taps[order]
        if unit:
            nu = de = _unit(r.size)
        else:
            nu, de = self.num[order], self.den[order]
        del order
        new = np.ones(r.size, dtype=bool)
        same = r[1:] == r[:-1]
        same &= c[1:] == c[:-1]
        if self.degree:
            same &= np.all(t[1:] == t[:-1], axis=1)
        np.logical_not(same, out=new[1:])
        del same
        if new.all():
            if unit:
                return IndexMap(self.shape, r, c, t, nu, de, self.weights, self.in_shape,
                                self.out_shape)
            keep = nu != 0
            return IndexMap(self.shape, r[keep], c[keep], t[keep], nu[keep], de[keep],
                            self.weights, self.in_shape, self.out_shape)
        starts = np.flatnonzero(new)
        del new
        if unit:  # repeated unit entries: the coefficient is the run length
            total = np.diff(np.append(starts, r.size))
            return IndexMap(self.shape, r[starts], c[starts], t[starts], total,
                            _unit(starts.size), self.weights, self.in_shape, self.out_shape)
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

    def symbolic(self, weights: Any = None, *, max_nnz: int | None = None,
                 max_memory: int | None = None) -> Any:
        """``sympy.SparseMatrix`` with weight symbols ``w_{...}`` (or the given weights)."""
        return to_symbolic(self, weights, max_nnz=max_nnz, max_memory=max_memory)

    def numeric(self, weights: Any = None, *, max_nnz: int | None = None,
                max_memory: int | None = None) -> Any:
        """``scipy.sparse.csr_matrix`` (float64) for the given weights."""
        return to_numeric(self, weights, max_nnz=max_nnz, max_memory=max_memory)

    def apply(self, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
        """Apply to a sample ``in_shape`` or a batch ``(N, *in_shape)`` numerically."""
        return apply(self, x, weights)

    def apply_exact(self, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
        """Apply exactly to integer / ``Fraction`` data (see :func:`apply_exact`)."""
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


def _is_canonical(m: IndexMap) -> bool:
    """Whether ``m`` is already sorted by (row, col, taps) with unique keys, taps sorted within
    each entry and no zero coefficient: one pass in chunks (temporaries of O(chunk))."""
    n, deg = m.nnz, m.degree
    unit = _is_unit(m.num)
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK + 1, n)  # one entry of overlap: pairs (i, i + 1) across chunks
        if not unit and not m.num[s:e].all():
            return False
        if deg > 1 and not (m.taps[s:e, 1:] >= m.taps[s:e, :-1]).all():
            return False
        dr = np.diff(m.rows[s:e])
        if (dr < 0).any():
            return False
        tie = dr == 0
        del dr
        dc = np.diff(m.cols[s:e])
        if (tie & (dc < 0)).any():
            return False
        tie &= dc == 0
        del dc
        if not tie.any():
            continue
        if not deg:
            return False
        at = np.flatnonzero(tie) + s
        step = m.taps[at + 1] - m.taps[at]  # the next entry's taps must be larger
        nz = step != 0
        first = nz.argmax(axis=1)
        if not (nz.any(axis=1) & (step[np.arange(at.size), first] > 0)).all():
            return False
    return True


def _sort_order(shape: tuple[int, int], rows: NDArray[Any], cols: NDArray[Any],
                taps: NDArray[Any]) -> NDArray[np.int64]:
    """The permutation sorting entries by (row, col, taps): one int64 key when the key space
    (rows x cols x taps**degree) fits, sorted by a stable sort that runs in near-linear time on
    the builders' partly ordered entries; a lexsort otherwise."""
    deg = taps.shape[1]
    n_taps = int(taps.max()) + 1 if deg and taps.size else 1
    if shape[0] * shape[1] * n_taps**deg < 2**63:
        key = rows * (shape[1] * n_taps**deg)
        key += cols * n_taps**deg
        for j in range(deg):
            key += taps[:, j] * n_taps ** (deg - 1 - j)
        return np.argsort(key, kind="stable")
    keys = [taps[:, j] for j in range(deg - 1, -1, -1)] + [cols, rows]
    return np.lexsort(keys)


def _check_overflow(num: NDArray[Any], den: NDArray[Any]) -> None:
    big = 2**62
    if num.size and (np.abs(num).max() >= big or den.max() >= big):
        raise OverflowError("exact coefficient exceeds int64; compose fewer fixed maps at once")


# --------------------------------------------------------------------------- views


def weight_symbols(weight_shape: Sequence[int], name: str = "w") -> NDArray[Any]:
    """An object array of SymPy symbols in weight layout, named ``w_{i,j,...}``.

    The symbols are declared real.  The name renders as a subscript in LaTeX.

    >>> weight_symbols((1, 1, 2))
    array([[[w_{0,0,0}, w_{0,0,1}]]], dtype=object)
    """
    import sympy

    shape = tuple(int(v) for v in weight_shape)
    if not name.isidentifier():
        raise InvalidSpecError(f"name={name!r} must be an identifier")
    flat = [
        sympy.Symbol(f"{name}_{{{','.join(map(str, idx))}}}", real=True)
        for idx in np.ndindex(*shape)
    ]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(shape)


def flat_weights(m: IndexMap, weights: Any, *, symbolic: bool = False) -> NDArray[Any]:
    """One flat vector of all weights the map refers to, in tap order.

    ``weights`` is an array (when the map has one weight tensor) or a mapping name -> array;
    ``None`` with ``symbolic=True`` means the map's own weight symbols.
    """
    if not m.weights:
        return np.zeros(0, dtype=object if symbolic else float)
    parts = []
    for w in m.weights:
        if weights is None and symbolic:
            arr = weight_symbols(w.shape, w.name)
        elif isinstance(weights, Mapping):
            if w.name not in weights:
                raise InvalidSpecError(
                    f"weights={sorted(weights)} must include {w.name!r} (shape {w.shape})"
                )
            arr = np.asarray(weights[w.name])
        elif len(m.weights) == 1 and weights is not None:
            arr = np.asarray(weights)
        else:
            names = ", ".join(repr(x.name) for x in m.weights)
            raise InvalidSpecError(f"weights={type(weights).__name__} must be a mapping with "
                                   f"keys {names}")
        if arr.shape != w.shape:
            raise InvalidSpecError(
                f"weights[{w.name!r}] shape={arr.shape} must be {w.shape}"
            )
        parts.append(arr.ravel())
    return np.concatenate(parts)


def to_symbolic(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None,
                max_memory: int | None = None) -> Any:
    """The map as a ``sympy.SparseMatrix``: weights as symbols (or given values), exact
    Rational coefficients, repeated entries summed.

    Budgets: ``max_nnz`` entries (default 2,000,000, about 300 bytes and a few microseconds
    each) and ``max_memory`` bytes (:func:`~symconv.core.budget.check_budget`)."""
    # besides the entries: one SymPy symbol per weight (about 600 bytes each)
    check_budget(m.nnz, max_nnz, "symbolic", max_memory=max_memory,
                 extra_bytes=m.nbytes + 600 * m.n_weights)
    import sympy

    flat = flat_weights(m, weights, symbolic=True)
    rows, cols = m.rows.tolist(), m.cols.tolist()
    unit = _is_unit(m.num) and _is_unit(m.den)
    if m.degree == 1 and unit:
        values = flat[m.taps[:, 0]].tolist()
        pairs = dict(zip(zip(rows, cols, strict=True), values, strict=True))
        if len(pairs) == m.nnz:  # no repeated (row, col): the dict is the matrix
            return sympy.SparseMatrix.from_dok(m.shape[0], m.shape[1], pairs)
    c = m.canonical()
    rationals: dict[tuple[int, int], Any] = {}
    entries: dict[tuple[int, int], Any] = {}
    for r, col, taps, nu, de in zip(c.rows.tolist(), c.cols.tolist(), c.taps.tolist(),
                                    c.num.tolist(), c.den.tolist(), strict=True):
        coef = rationals.get((nu, de))
        if coef is None:
            coef = rationals[(nu, de)] = sympy.Rational(nu, de)
        term = sympy.Mul(coef, *(flat[t] for t in taps)) if taps else coef
        key = (r, col)
        entries[key] = entries[key] + term if key in entries else term
    return sympy.SparseMatrix.from_dok(m.shape[0], m.shape[1], entries)


def to_numeric(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None,
               max_memory: int | None = None) -> Any:
    """The map as a ``scipy.sparse.csr_matrix`` of float64 for the given weights.

    Budgets: ``max_nnz`` entries (default 50,000,000) and ``max_memory`` bytes, the map's own
    arrays counted (:func:`~symconv.core.budget.check_budget`)."""
    index = 8 if max(m.shape) >= 2**31 - 1 else 4  # SciPy's index dtype for this shape
    check_budget(m.nnz, max_nnz, "numeric", max_memory=max_memory,
                 per_entry=numeric_bytes_per_entry(m.shape, m.degree),
                 extra_bytes=m.nbytes + index * (m.shape[0] + 1))
    import scipy.sparse as sp

    unit = _is_unit(m.num) and _is_unit(m.den)
    if m.degree:
        w = flat_weights(m, weights).astype(float)
        values = w[m.taps[:, 0]] if m.degree == 1 else np.prod(w[m.taps], axis=1)
        if not unit:
            values *= m.num / m.den
    else:
        values = np.ones(m.nnz) if unit else m.num / m.den
    # COO -> CSR is SciPy's linear-time conversion (duplicates summed); going through
    # ``csr_matrix((data, (r, c)))`` adds a second validation pass.
    return sp.coo_matrix((values, (m.rows, m.cols)), shape=m.shape).tocsr()


def numeric_bytes_per_entry(shape: tuple[int, int], degree: int) -> int:
    """Peak bytes per entry of :func:`to_numeric` besides the map: the values, SciPy's COO
    indices (int32 when the shape allows, else int64) and the CSR arrays."""
    wide = max(shape) >= 2**31 - 1
    return BYTES_PER_ENTRY["numeric"] + (12 if wide else 0) + (8 if degree > 1 else 0)


def _is_unit(a: NDArray[Any]) -> bool:
    """All ones (O(1) for the zero-stride unit view the builders use)."""
    if a.ndim == 1 and a.strides == (0,):
        return bool(a.size == 0 or a[0] == 1)
    return bool(np.all(a == 1))


def apply(m: IndexMap, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
    """Apply the map to a batch ``x`` of shape ``(N, *in_shape)`` (or one sample)."""
    arr = np.asarray(x, dtype=float)
    if m.in_shape is None:
        raise InvalidSpecError("this map has no input shape; use to_numeric(m) @ x")
    single = arr.shape == m.in_shape
    batch = arr[None] if single else arr
    if batch.shape[1:] != m.in_shape:
        raise InvalidSpecError(f"x shape={arr.shape} must be (N, *{m.in_shape})")
    y = (to_numeric(m, weights) @ batch.reshape(batch.shape[0], -1).T).T
    out = y.reshape((batch.shape[0], *m.out_shape)) if m.out_shape else y
    return out[0] if single else out


def apply_exact(m: IndexMap, x: ArrayLike, weights: Any = None) -> NDArray[Any]:
    """Apply the map exactly to a batch ``x`` of shape ``(N, *in_shape)`` (or one sample).

    ``x`` and ``weights`` hold integers (any integer dtype) or exact Python numbers (``int``,
    ``Fraction``) in object arrays; floats are refused.  The map's coefficients are scaled by the
    lcm ``L`` of their denominators, so the products and the scatter-add run in integer
    arithmetic (int64 when a bound on the magnitudes allows it, Python ints otherwise), and the
    result is divided by ``L`` once.  Returns an int64 array when ``L == 1`` and the inputs are
    integer arrays, else an object array of exact ``int``/``Fraction`` values.

    >>> from symconv.spec import AvgPool
    >>> from symconv.core.layers import avg_pool_map
    >>> apply_exact(avg_pool_map(AvgPool(kernel=2), (1, 4)), np.array([[1, 2, 4, 4]]))
    array([[Fraction(3, 2), Fraction(4, 1)]], dtype=object)
    """
    from fractions import Fraction

    arr = np.asarray(x)
    if m.in_shape is None or m.out_shape is None:
        raise InvalidSpecError("this map has no input shape; build it with a layer builder")
    single = arr.shape == m.in_shape
    batch = arr[None] if single else arr
    if batch.ndim != len(m.in_shape) + 1 or batch.shape[1:] != m.in_shape:
        raise InvalidSpecError(f"x shape={arr.shape} must be {m.in_shape} or (N, *{m.in_shape})")
    # the products and the scatter-add hold one term per (sample, entry): budgeted first.
    # Measured (tests/benchmarks/bench_memory.py): per (sample, entry) the gathered sample and
    # its product, 17 bytes in int64 and 80 to 95 for Python numbers (a new object each);
    # per entry of the map the scaled coefficients, their magnitudes and the gathered
    # weights, 16 bytes
    check_budget(batch.shape[0] * m.nnz, None, "numeric", per_entry=20 if batch.dtype.kind in
                 "iu" else 100, extra_bytes=m.nbytes + batch.nbytes + 24 * m.nnz,
                 what="exact application")
    w = flat_weights(m, weights) if m.degree else np.zeros(0, dtype=np.int64)
    for name, a in (("x", batch), ("weights", w)):
        if a.dtype.kind not in "iuO" or (a.dtype.kind == "O" and not all(
            isinstance(v, int | Fraction) and not isinstance(v, bool) for v in a.flat
        )):
            raise InvalidSpecError(
                f"{name} dtype={a.dtype} must hold integers or Fractions for an exact apply"
            )
    lcm = math.lcm(*np.unique(m.den).tolist()) if m.nnz else 1  # Python ints: no overflow
    if lcm < 2**62:
        coef = m.num * (lcm // m.den)  # exact: L / den is an integer
    else:
        coef = m.num.astype(object) * (lcm // m.den.astype(object))
    n = batch.shape[0]
    flat_x = batch.reshape(n, -1)
    ints = batch.dtype.kind in "iu" and w.dtype.kind in "iu" and coef.dtype != object
    if ints and m.nnz:
        # |y * L| <= max|coef| * max|w|^degree * max|x| * (entries per row): stay in int64.
        per_row = int(np.bincount(m.rows, minlength=1).max())
        bound = (int(np.abs(coef).max()) * int(np.abs(w).max(initial=1)) ** m.degree
                 * int(np.abs(flat_x).max(initial=0)) * per_row)
        ints = bound < 2**62
    dtype: Any = np.int64 if ints else object
    vals = coef.astype(dtype)
    for j in range(m.degree):
        vals = vals * w.astype(dtype)[m.taps[:, j]]
    terms = vals[None, :] * flat_x.astype(dtype)[:, m.cols]
    scaled = np.zeros((n, m.shape[0]), dtype=dtype)  # object zeros are Python ints
    np.add.at(scaled.T, m.rows, terms.T)  # scatter-add into rows (a view of ``scaled``)
    if lcm == 1 and ints:
        out: NDArray[Any] = scaled
    else:
        out = np.frompyfunc(lambda v: Fraction(v) / lcm, 1, 1)(scaled).astype(object)
    out = out.reshape((n, *m.out_shape))
    return out[0] if single else out
