"""Fixed kernels: substitute exact values for some weights of an :class:`IndexMap`.

A layer's map is a polynomial in its weights; an upsampling layer is the same layer with a
*fixed* kernel (all ones, a triangle).  :func:`with_fixed_weights` substitutes exact integer or
``Fraction`` values for the named weight tensors: every monomial loses the fixed factors
(its degree drops by their number), its coefficient is multiplied by their values, and
entries that now coincide are summed (canonical form), so the result can be compared with
``.equals`` to a map that never had weights.

>>> import numpy as np
>>> from fractions import Fraction
>>> from symconv.core import avg_pool_map, conv_map
>>> from symconv.spec import AvgPool, Conv
>>> m = conv_map(Conv(kernel=2, stride=2), (1, 4), out_channels=1)
>>> half = np.array([[[Fraction(1, 2), Fraction(1, 2)]]], dtype=object)
>>> with_fixed_weights(m, {"w": half}).equals(avg_pool_map(AvgPool(kernel=2), (1, 4)))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core.index import IndexMap, WeightRef
from symconv.errors import InvalidSpecError

__all__ = ["with_fixed_weights"]

_I64 = np.int64
_BIG = 2**62


def _exact(name: str, value: Any) -> tuple[int, int]:
    """(numerator, denominator) of an exact value; floats and bools are refused."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer | Fraction):
        raise InvalidSpecError(
            f"values[{name!r}] entry {value!r} must be an int or a Fraction (exact values only)"
        )
    f = Fraction(int(value)) if isinstance(value, int | np.integer) else value
    if abs(f.numerator) >= _BIG or f.denominator >= _BIG:
        raise InvalidSpecError(f"values[{name!r}] entry {value!r} must fit in int64")
    return f.numerator, f.denominator


def _mul(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    if a.size and float(np.abs(a).max()) * float(np.abs(b).max()) >= _BIG:
        raise OverflowError("exact coefficient exceeds int64 while fixing weights")
    return a * b


def with_fixed_weights(m: IndexMap, values: Mapping[str, Any]) -> IndexMap:
    """``m`` with the weight tensors named in ``values`` replaced by those exact values.

    ``values`` maps a weight name to an array of the weight's shape holding ints or
    ``Fraction`` objects.  Weights not named stay symbolic (their offsets are renumbered).
    Every entry must contain the same number of fixed taps (else the result would mix
    degrees, which a map cannot hold).  The result is canonical: zero entries dropped,
    coinciding entries summed.

    >>> from symconv.core import conv_transpose_map
    >>> from symconv.spec import ConvTranspose
    >>> t = conv_transpose_map(ConvTranspose(kernel=2, stride=2), (1, 2), 1)
    >>> ones = np.ones((1, 1, 2), dtype=int)
    >>> with_fixed_weights(t, {"w": ones}).symbolic()
    Matrix([
    [1, 0],
    [1, 0],
    [0, 1],
    [0, 1]])

    Raises
    ------
    InvalidSpecError
        For an unknown weight name, a wrong shape, a non-exact value, or entries with
        different numbers of fixed taps.
    """
    known = {w.name: w for w in m.weights}
    for name in values:
        if name not in known:
            have = ", ".join(repr(n) for n in known) or "none"
            raise InvalidSpecError(f"values has weight {name!r}, the map has {have}")
    total = m.n_weights
    fixed = np.zeros(total, dtype=bool)
    vnum = np.ones(total, dtype=_I64)
    vden = np.ones(total, dtype=_I64)
    for name, raw in values.items():
        ref = known[name]
        arr = np.asarray(raw)
        if arr.shape != ref.shape:
            raise InvalidSpecError(f"values[{name!r}] shape={arr.shape} must be {ref.shape}")
        span = slice(ref.offset, ref.offset + ref.size)
        fixed[span] = True
        if arr.dtype.kind in "iu":  # integer arrays: no per-entry conversion
            if arr.size and max(abs(int(arr.min())), abs(int(arr.max()))) >= _BIG:
                raise InvalidSpecError(f"values[{name!r}] entries must fit in int64")
            vnum[span] = arr.ravel().astype(_I64)
            continue
        pairs = [_exact(name, v) for v in arr.astype(object).ravel()]
        vnum[span] = [p[0] for p in pairs]
        vden[span] = [p[1] for p in pairs]
    if m.degree == 0 or not values:
        return m.canonical()
    is_fixed = fixed[m.taps]  # (nnz, degree)
    count = is_fixed.sum(axis=1)
    if count.size and count.min() != count.max():
        raise InvalidSpecError(
            "values must fix the same number of taps in every entry; this map mixes "
            f"{int(count.min())} and {int(count.max())} fixed taps per monomial"
        )
    num, den = m.num.astype(_I64), m.den.astype(_I64)
    for j in range(m.degree):
        num = _mul(num, np.where(is_fixed[:, j], vnum[m.taps[:, j]], 1))
        den = _mul(den, np.where(is_fixed[:, j], vden[m.taps[:, j]], 1))
        g = np.gcd(num, den)
        g[g == 0] = 1
        num, den = num // g, den // g
    free = int(m.degree - (count[0] if count.size else 0))
    taps = m.taps[~is_fixed].reshape(m.nnz, free)
    kept: list[WeightRef] = []
    remap = np.zeros(max(total, 1), dtype=_I64)
    offset = 0
    for w in m.weights:
        if w.name in values:
            continue
        remap[w.offset:w.offset + w.size] = np.arange(offset, offset + w.size)
        kept.append(WeightRef(w.name, w.shape, offset))
        offset += w.size
    return IndexMap(m.shape, m.rows, m.cols, remap[taps], num, den, tuple(kept),
                    m.in_shape, m.out_shape).canonical()
