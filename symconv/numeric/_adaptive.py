"""Adaptive average and max pooling (PyTorch ``adaptive_avg_pool*d``/``adaptive_max_pool*d``),
from the definition.

Output ``i`` of an axis of input size ``n`` and output size ``o`` reads the input positions
``start(i) = floor(i n / o)`` to ``end(i) = ceil((i + 1) n / o)`` (excluded); in N-D the window
is the box of the per-axis ranges.  The loop visits the output positions one at a time, each
vectorised over the batch and the channels, so the work is O(output * window).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v

__all__ = ["adaptive_avg_pool", "adaptive_max_pool"]


def _box(index: tuple[int, ...], n: tuple[int, ...], o: tuple[int, ...]) -> tuple[slice, ...]:
    """The input box of output position ``index``: per axis ``[floor(i n/o), ceil((i+1) n/o))``."""
    return tuple(slice((i * m) // p, -(-((i + 1) * m) // p))
                 for i, m, p in zip(index, n, o, strict=True))


def adaptive_avg_pool(x: ArrayLike, output_size: Any) -> NDArray[Any]:
    """N-D adaptive average pooling with PyTorch semantics, exact for integer and object input.

    ``y[n, c, i] = mean of x[n, c, box(i)]`` where ``box(i)`` is, per axis,
    ``[floor(i_a n_a / o_a), ceil((i_a + 1) n_a / o_a))``.  Global average pooling is
    ``output_size=1``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.adaptive_avg_pool(np.arange(5).reshape(1, 1, 5), 3)[0, 0].tolist()
    [Fraction(1, 2), Fraction(2, 1), Fraction(7, 2)]
    >>> numeric.adaptive_avg_pool(np.arange(6.0).reshape(1, 1, 2, 3), (None, 1))[0, 0].tolist()
    [[1.0], [4.0]]

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    output_size : int or tuple of (int or None)
        The output size of every axis, or one entry per axis (``None`` keeps the axis).

    Returns
    -------
    ndarray, shape ``(N, C, *output_size)``: floats for float input; for integer or object input
    an object array of exact quotients (``Fraction``, or sympy numbers for sympy input).

    Raises
    ------
    InvalidSpecError
        For a bad ``output_size`` or an input with an empty axis.
    """
    xa = v.array("x", x)
    out = v.adaptive_out_size(xa, output_size)
    n = tuple(int(m) for m in xa.shape[2:])
    exact = xa.dtype.kind not in "fc"
    result = np.empty(xa.shape[:2] + out, dtype=object if exact else np.result_type(xa, 1.0))
    for index in itertools.product(*(range(p) for p in out)):
        box: tuple[Any, ...] = (..., *_box(index, n, out))
        at: tuple[Any, ...] = (..., *index)
        window = xa[box]
        total = window.sum(axis=tuple(range(2, xa.ndim)))
        count = int(np.prod(window.shape[2:]))
        if exact:
            result[at] = total.astype(object) / Fraction(count)
        else:
            result[at] = total / count
    return result


def adaptive_max_pool(
    x: ArrayLike, output_size: Any, return_indices: bool = False
) -> NDArray[Any] | tuple[NDArray[Any], NDArray[np.int64]]:
    """N-D adaptive max pooling with PyTorch semantics, optionally with PyTorch's indices.

    ``y[n, c, i] = max of x[n, c, box(i)]`` (windows as :func:`adaptive_avg_pool`).  The window
    is scanned in row-major order and a value replaces the running maximum only when it is
    strictly greater, so ties go to the first maximum; a NaN (float input) always replaces it,
    so NaN propagates and the index is that of the window's last NaN (PyTorch's CPU kernel:
    ``val > maxval || isnan(val)``).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> y, idx = numeric.adaptive_max_pool(np.array([[[1, 3, 3, 2, 3, 3, 1]]]), 3,
    ...                                    return_indices=True)
    >>> y.tolist(), idx.tolist()
    ([[[3, 3, 3]]], [[[1, 2, 4]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        Real (float, integer or object) data.
    output_size : int or tuple of (int or None)
    return_indices : bool
        Also return, per output, the flat position of the maximum in its input plane (row-major
        over the spatial axes), as PyTorch does.

    Returns
    -------
    ndarray, shape ``(N, C, *output_size)``, the dtype of ``x``; with ``return_indices`` a pair
    ``(values, indices)``, indices as ``int64``.
    """
    xa = v.array("x", x)
    v.check_real("x", xa)
    out = v.adaptive_out_size(xa, output_size)
    want_idx = v.check_bool("return_indices", return_indices)
    n = tuple(int(m) for m in xa.shape[2:])
    lead = xa.shape[:2]
    best = np.empty(lead + out, dtype=xa.dtype)
    idx = np.empty(lead + out, dtype=np.int64)
    for index in itertools.product(*(range(p) for p in out)):
        box = _box(index, n, out)
        at: tuple[Any, ...] = (..., *index)
        inside: tuple[Any, ...] = (..., *box)
        window = xa[inside].reshape(*lead, -1)  # row-major order over the box
        # scan: the running maximum changes on a strictly greater value or on a NaN
        run_val = window[..., 0].copy()
        run_pos = np.zeros(lead, dtype=np.int64)
        for t in range(1, window.shape[-1]):
            val = window[..., t]
            upd = np.asarray(val > run_val, dtype=bool) | np.asarray(val != val, dtype=bool)
            np.copyto(run_val, val, where=upd)
            run_pos[upd] = t
        best[at] = run_val
        if want_idx:
            local = np.unravel_index(run_pos, tuple(s.stop - s.start for s in box))
            flat = np.zeros(lead, dtype=np.int64)
            for a, s in enumerate(box):
                flat = flat * n[a] + (local[a] + s.start)
            idx[at] = flat
    return (best, idx) if want_idx else best
