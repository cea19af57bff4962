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

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.core.index import IndexMap, check_budget
from symconv.errors import InvalidSpecError

__all__ = ["apply", "apply_exact", "flat_weights", "to_numeric", "to_symbolic", "weight_symbols"]


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


def to_symbolic(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None) -> Any:
    """The map as a ``sympy.SparseMatrix``: weights as symbols (or given values), exact
    Rational coefficients, repeated entries summed."""
    import sympy

    check_budget(m.nnz, max_nnz, "symbolic")
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


def to_numeric(m: IndexMap, weights: Any = None, *, max_nnz: int | None = None) -> Any:
    """The map as a ``scipy.sparse.csr_matrix`` of float64 for the given weights."""
    import scipy.sparse as sp

    check_budget(m.nnz, max_nnz, "numeric")
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
