"""Max pooling (with PyTorch indices), average pooling and max-unpooling, from the definitions.

Windows are visited one tap at a time (a loop over the ``prod(kernel)`` taps, each a strided
slice of the padded input), so the work is O(output * kernel) and vectorised over positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v
from symconv.numeric._pad import pad_constant

__all__ = ["avg_pool", "max_pool", "max_unpool"]


def _lowest(dtype: np.dtype[Any]) -> object:
    """The padding value of max pooling: ``-inf``, or the smallest integer of the dtype."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return -np.inf if dtype.kind == "f" else float("-inf")


def _windows(x: NDArray[Any], geom: v.PoolGeom, fill: object) -> tuple[NDArray[Any], list[Any]]:
    """Pad ``x`` for every window (ceil-mode windows may hang past the end) and list the taps.

    Returns the padded array and, per tap ``t``, the strided slice that yields
    ``x_pad[..., j*s + t*d]`` for every output position ``j``.
    """
    nd = x.ndim - 2
    n, k, s, d, o = x.shape[2:], geom.kernel, geom.stride, geom.dilation, geom.out
    pairs = tuple(
        (
            geom.pads[a][0],
            max(
                geom.pads[a][1], (o[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1 - geom.pads[a][0] - n[a]
            ),
        )
        for a in range(nd)
    )
    xp = pad_constant(x, pairs, fill)
    taps = [
        (..., *(slice(t[a] * d[a], t[a] * d[a] + (o[a] - 1) * s[a] + 1, s[a]) for a in range(nd)))
        for t in np.ndindex(*k)
    ]
    return xp, taps


def _axis_view(vec: NDArray[Any], a: int, nd: int) -> NDArray[Any]:
    """Reshape a per-axis vector so it broadcasts along spatial axis ``a`` of ``(N, C, *out)``."""
    return vec.reshape((1, 1, *(-1 if b == a else 1 for b in range(nd))))


def max_pool(
    x: ArrayLike,
    kernel: v.IntOrTuple,
    stride: v.IntOrTuple | None = None,
    padding: v.PadSpec = 0,
    dilation: v.IntOrTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    any_padding: bool = False,
) -> NDArray[Any] | tuple[NDArray[Any], NDArray[np.int64]]:
    """N-D max pooling with PyTorch semantics, optionally with PyTorch's indices.

    ``y[n, c, j] = max_t x_pad[n, c, j*s - p_b + t*d]`` over the taps ``t`` of the window,
    padding with ``-inf`` (the smallest integer for integer dtypes).  Windows are scanned in
    row-major tap order like PyTorch's CPU kernel: a value replaces the running maximum if it is
    strictly greater, so ties go to the first maximum; a NaN (float input) always replaces it, so
    NaN propagates and its index is that of the window's last NaN.  A window whose real values
    are all ``-inf`` reports its first in-bounds position.  With dilation a ceil-mode window can
    miss the input entirely (n=2, k=2, s=3, p=1, d=3): like PyTorch the result is ``-inf`` and
    the index is that of the window's first tap past the left padding, outside the plane.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.array([[1, 5, 2], [5, 0, 3], [4, 4, 4]]).reshape(1, 1, 3, 3)
    >>> y, idx = numeric.max_pool(x, 2, stride=1, return_indices=True)
    >>> y[0, 0], idx[0, 0]
    (array([[5, 5],
           [5, 4]]), array([[1, 1],
           [3, 7]]))

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        Real (float, integer or object) data.
    kernel : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel``.
    padding : int, tuple of int or tuple of ``(before, after)`` pairs
        At most ``kernel // 2`` per side (PyTorch's rule).
    dilation : int or tuple of int
    ceil_mode : bool
        Output size by PyTorch's ceil rule: ``o = floor((n + p_b + p_e - d(k-1) - 1 + s - 1)/s)
        + 1``, minus one if the last window would start at or past ``n + p_b``.  Windows that
        hang past the padded end are clipped.
    return_indices : bool
        Also return, per output, the flat position of the maximum in its unpadded input plane
        (row-major over the spatial axes), as PyTorch does.
    any_padding : bool
        Accept any integer pads, as JAX's ``lax.reduce_window`` (``flax.linen.max_pool``):
        a negative pad crops the input, a pad may exceed the window, and a window reading only
        padding gives ``-inf`` (no PyTorch limit).

    Returns
    -------
    ndarray, shape ``(N, C, *out)``, the dtype of ``x``; with ``return_indices`` a pair
    ``(values, indices)``, indices as ``int64``.

    Raises
    ------
    InvalidSpecError
        For bad parameters or a window larger than the padded input.
    """
    xa = v.array("x", x)
    v.check_real("x", xa)
    geom = v.pool_geom(xa, kernel, stride, padding, dilation, ceil_mode,
                       any_padding=v.check_bool("any_padding", any_padding))
    want_idx = v.check_bool("return_indices", return_indices)
    best, idx = _max_pool(xa, geom, want_idx)
    return (best, idx) if want_idx else best


def max_pool_indices(
    x: ArrayLike,
    kernel: v.IntOrTuple,
    stride: v.IntOrTuple,
    padding: v.PadSpec,
    dilation: v.IntOrTuple,
    ceil_mode: bool,
    *,
    any_padding: bool = False,
) -> NDArray[np.int64]:
    """The arg-max indices of :func:`max_pool` (first maximum, flat in the unpadded plane) with
    padding up to ``kernel - 1`` per side, as ONNX MaxPool allows (onnxruntime); PyTorch's
    ``kernel // 2`` limit is :func:`max_pool`'s.  ``any_padding``: any integer pads, as JAX
    (a negative pad crops).

    >>> import numpy as np
    >>> max_pool_indices(np.array([[[0, -1, -2]]]), 3, 1, 2, 1, False).tolist()
    [[[0, 0, 0, 1, 2]]]
    """
    xa = v.array("x", x)
    v.check_real("x", xa)
    geom = v.pool_geom(xa, kernel, stride, padding, dilation, ceil_mode, pads_below_kernel=True,
                       any_padding=any_padding)
    return _max_pool(xa, geom, True)[1]


def _max_pool(xa: NDArray[Any], geom: v.PoolGeom, want_idx: bool
              ) -> tuple[NDArray[Any], NDArray[np.int64]]:
    nd = xa.ndim - 2
    fill = _lowest(xa.dtype)
    xp, taps = _windows(xa, geom, fill)
    s, d = geom.stride, geom.dilation
    n = xa.shape[2:]
    plane = [int(np.prod(n[a + 1 :], dtype=np.int64)) for a in range(nd)]
    start = [np.arange(geom.out[a]) * s[a] - geom.pads[a][0] for a in range(nd)]
    best = np.full(xa.shape[:2] + geom.out, fill, dtype=xa.dtype)
    # PyTorch starts each scan at the window's first in-bounds tap (padding is never reported).
    first = sum(
        _axis_view(
            (start[a] + d[a] * ((np.maximum(-start[a], 0) + d[a] - 1) // d[a])) * plane[a], a, nd
        )
        for a in range(nd)
    )
    idx = np.array(np.broadcast_to(first, best.shape), dtype=np.int64)
    nan_aware = xa.dtype.kind == "f"
    for t, tap in zip(np.ndindex(*geom.kernel), taps, strict=True):
        val = xp[tap]
        upd = np.asarray(val > best, dtype=bool)
        if nan_aware:
            upd |= np.isnan(val)
        np.copyto(best, val, where=upd)
        if want_idx:
            pos = sum(_axis_view((start[a] + t[a] * d[a]) * plane[a], a, nd) for a in range(nd))
            np.copyto(idx, np.broadcast_to(pos, idx.shape), where=upd)
    return best, idx


def avg_pool(
    x: ArrayLike,
    kernel: v.IntOrTuple,
    stride: v.IntOrTuple | None = None,
    padding: v.PadSpec = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    any_padding: bool = False,
) -> NDArray[Any]:
    """N-D average pooling with PyTorch semantics, exact for integer and object input.

    The window sum is divided, per axis multiplicatively as in PyTorch's kernels, by
    ``min(start + k, n + p_e) - start`` (``count_include_pad=True``: the window clipped to the
    padded input, which only differs from ``k`` for ceil-mode windows hanging past the end) or by
    the number of real input positions in the window (``count_include_pad=False``).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.arange(1, 10).reshape(1, 1, 3, 3)
    >>> numeric.avg_pool(x, 3, stride=2, padding=1)[0, 0].tolist()
    [[Fraction(4, 3), Fraction(16, 9)], [Fraction(8, 3), Fraction(28, 9)]]
    >>> numeric.avg_pool(x, 3, stride=2, padding=1, count_include_pad=False)[0, 0].tolist()
    [[Fraction(3, 1), Fraction(4, 1)], [Fraction(6, 1), Fraction(7, 1)]]

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    kernel, stride, padding, ceil_mode
        As in :func:`max_pool` (no dilation; stride defaults to ``kernel``).
    count_include_pad : bool
        Whether zero padding counts in the divisor (PyTorch default True; ONNX default 0).
    any_padding : bool
        Accept any integer pads, as JAX's ``flax.linen.avg_pool``: a negative pad crops the
        input, a pad may exceed the window.  A window reading only padding averages to 0 with
        ``count_include_pad``, else to NaN (float input; JAX's 0/0) or is refused (exact input).

    Returns
    -------
    ndarray, shape ``(N, C, *out)``: floats for float input; for integer or object input an
    object array of exact quotients (``Fraction``, or sympy numbers for sympy input).

    Raises
    ------
    InvalidSpecError
        For bad parameters or a window larger than the padded input.
    """
    xa = v.array("x", x)
    geom = v.pool_geom(xa, kernel, stride, padding, 1, ceil_mode,
                       any_padding=v.check_bool("any_padding", any_padding))
    include = v.check_bool("count_include_pad", count_include_pad)
    nd = xa.ndim - 2
    xp, taps = _windows(xa, geom, 0)
    total = xp[taps[0]].copy()
    for tap in taps[1:]:
        total += xp[tap]
    n, k, s = xa.shape[2:], geom.kernel, geom.stride
    counts = []
    for a in range(nd):
        st = np.arange(geom.out[a]) * s[a] - geom.pads[a][0]
        end = np.minimum(st + k[a], n[a] + geom.pads[a][1])
        real = np.maximum(np.minimum(end, n[a]) - np.maximum(st, 0), 0)
        counts.append(end - st if include else real)
        if not include and xa.dtype.kind not in "fc" and not real.all():
            j = int(np.argmin(real))
            v.fail(f"padding={geom.pads[a]} must leave an input position in every window"
                   f"{v.axis_suffix(a, nd)}: window {j} reads only padding, and an average "
                   "without counted padding of nothing is 0/0 (JAX: NaN)")
    if xa.dtype.kind in "fc":
        div = np.ones((1, 1) + (1,) * nd, dtype=np.float64)
        for a in range(nd):
            div = div * _axis_view(counts[a].astype(np.float64), a, nd)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0: NaN, as JAX
            return total / div
    exact = total.astype(object)
    for a in range(nd):
        exact = exact / _axis_view(
            np.array([Fraction(int(c)) for c in counts[a]], dtype=object), a, nd
        )
    return exact


def max_unpool(
    x: ArrayLike,
    indices: ArrayLike,
    kernel: v.IntOrTuple,
    stride: v.IntOrTuple | None = None,
    padding: v.PadSpec = 0,
    output_size: Sequence[int] | None = None,
) -> NDArray[Any]:
    """Max-unpooling with switches (Zeiler & Fergus), PyTorch semantics.

    Every value is written at its flat index in the *output* plane (row-major over the output's
    spatial axes); everything else is zero.  Repeated indices (overlapping windows sharing an
    arg-max) keep the last value here; which write wins is unspecified in PyTorch (its CPU kernel
    has been seen keeping the first), and the values differ when unpooling a gradient rather
    than the pooled values — the max-pool *gradient* sums them instead (theorem T14).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.array([[4, 2, 3, 1]]).reshape(1, 1, 4)
    >>> y, idx = numeric.max_pool(x, 2, return_indices=True)
    >>> numeric.max_unpool(y, idx, 2)
    array([[[4, 0, 3, 0]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    indices : array_like of int, the shape of ``x``
        Flat positions in the output plane, e.g. from ``max_pool(..., return_indices=True)``.
    kernel, stride, padding
        Of the max pool being inverted; stride defaults to ``kernel``.
    output_size : tuple of int, optional
        Spatial size (or full shape with ``N, C``); default ``(n-1)s - p_b - p_e + k`` per axis.
        Must lie strictly between ``default - s`` and ``default + s`` (PyTorch's rule).

    Returns
    -------
    ndarray, shape ``(N, C, *output_size)``, the dtype of ``x``.

    Raises
    ------
    InvalidSpecError
        For bad parameters, a disallowed ``output_size`` or an index outside the output plane.
    """
    xa = v.array("x", x)
    ind = v.indices("indices", indices, xa.shape)
    size, _, _ = v.unpool_out_size(xa, kernel, stride, padding, output_size)
    plane = int(np.prod(size, dtype=np.int64))
    v.check_index_range("indices", ind, plane, size)
    rows = xa.shape[0] * xa.shape[1]
    out = np.zeros((rows, plane), dtype=xa.dtype)
    out[np.arange(rows)[:, None], ind.reshape(rows, -1)] = xa.reshape(rows, -1)
    return out.reshape(xa.shape[:2] + size)
