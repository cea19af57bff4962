"""Views of an :class:`~symconv.core.index.IndexMap`: symbolic (SymPy), numeric (SciPy), applied.

SymPy and SciPy are imported inside the functions that need them, so the index structure and
the integer paths stay light.

>>> from symconv.spec import Conv
>>> from symconv.core.layers import conv_map
>>> m = conv_map(Conv(kernel=2), (1, 3), out_channels=1)
>>> to_symbolic(m)
Matrix([
[w_{0,0,0}, w_{0,0,1},         0],
[        0, w_{0,0,0}, w_{0,0,1}]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.core.index import IndexMap, check_budget
from symconv.errors import InvalidSpecError

__all__ = ["apply", "flat_weights", "to_numeric", "to_symbolic", "weight_symbols"]


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
                raise InvalidSpecError(f"weights must include {w.name!r} (shape {w.shape})")
            arr = np.asarray(weights[w.name])
        elif len(m.weights) == 1 and weights is not None:
            arr = np.asarray(weights)
        else:
            names = ", ".join(repr(x.name) for x in m.weights)
            raise InvalidSpecError(f"weights must be a mapping with keys {names}")
        if arr.shape != w.shape:
            raise InvalidSpecError(
                f"weights[{w.name!r}] shape={arr.shape} must be {w.shape}"
            )
        parts.append(arr.ravel())
    return np.concatenate(parts)


def to_symbolic(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None) -> Any:
    """The map as a ``sympy.SparseMatrix``: weights as symbols (or given values), exact
    Rational coefficients, repeated entries summed."""
    import sympy

    check_budget(m.nnz, max_nnz, "symbolic")
    flat = flat_weights(m, weights, symbolic=True)
    rows, cols = m.rows.tolist(), m.cols.tolist()
    unit = bool(np.all(m.num == 1) and np.all(m.den == 1))
    if m.degree == 1 and unit and _unique_pairs(m):
        values = flat[m.taps[:, 0]].tolist()
        pairs = dict(zip(zip(rows, cols, strict=True), values, strict=True))
        return sympy.SparseMatrix(m.shape[0], m.shape[1], pairs)
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
    return sympy.SparseMatrix(m.shape[0], m.shape[1], entries)


def _unique_pairs(m: IndexMap) -> bool:
    key = m.rows * m.shape[1] + m.cols
    return bool(np.unique(key).size == key.size)


def to_numeric(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None) -> Any:
    """The map as a ``scipy.sparse.csr_matrix`` of float64 for the given weights."""
    import scipy.sparse as sp

    check_budget(m.nnz, max_nnz, "numeric")
    values = m.num / m.den
    if m.degree:
        w = flat_weights(m, weights).astype(float)
        values = values * (w[m.taps[:, 0]] if m.degree == 1 else np.prod(w[m.taps], axis=1))
    return sp.csr_matrix((values, (m.rows, m.cols)), shape=m.shape)


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
