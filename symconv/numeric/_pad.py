"""Grid helpers: padding, zero-stretching and subsampling of the spatial axes."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v

__all__ = ["pad", "subsample", "zero_stretch"]

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_constant(x: NDArray[Any], pairs: v.Pairs, fill: object = 0) -> NDArray[Any]:
    """Pad the spatial axes with a constant (object arrays get the Python value ``fill``).

    ``np.pad`` would put ``np.int64(0)`` into object arrays; this keeps exact arrays exact.
    A negative pad removes positions, as JAX's ``lax.pad`` does: position ``q`` of the result,
    of length ``n + b + e`` (callers keep it ``>= 0``), holds ``x[q - b]`` when that is an input
    position and ``fill`` otherwise.

    >>> pad_constant(np.arange(1, 5).reshape(1, 1, 4), ((-1, 2),)).tolist()
    [[[2, 3, 4, 0, 0]]]
    """
    if all(b == 0 and e == 0 for b, e in pairs):
        return x
    shape = x.shape[:2] + tuple(n + b + e for n, (b, e) in zip(x.shape[2:], pairs, strict=True))
    out = np.full(shape, fill, dtype=x.dtype)
    dst: list[Any] = []
    src: list[Any] = []
    for n, (b, _), size in zip(x.shape[2:], pairs, shape[2:], strict=True):
        lo = min(max(b, 0), size)
        hi = max(min(b + n, size), lo)
        dst.append(slice(lo, hi))
        src.append(slice(lo - b, hi - b))
    out[(..., *dst)] = x[(Ellipsis, *src)]
    return out


def pad(x: ArrayLike, padding: v.PadSpec, mode: str = "zeros") -> NDArray[Any]:
    """Pad the spatial axes of ``x`` as PyTorch's ``padding_mode`` does before a convolution.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.pad(np.array([[[1, 2, 3]]]), 2, mode="reflect")
    array([[[3, 2, 1, 2, 3, 2, 1]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    padding : int, tuple of int, or tuple of ``(before, after)`` pairs
    mode : {'zeros', 'reflect', 'replicate', 'circular'}
        ``reflect`` mirrors without repeating the edge and needs ``pad < size``;
        ``circular`` wraps around and needs ``pad <= size`` (both PyTorch rules).

    Returns
    -------
    ndarray, the same dtype as ``x``.

    Raises
    ------
    InvalidSpecError
        For an unknown mode, negative padding, or padding too large for the mode.
    """
    arr = v.array("x", x)
    pairs = v.pad_pairs("padding", padding, arr.ndim - 2)
    v.check_pad_mode(arr.shape[2:], pairs, mode)
    if mode == "zeros":
        return pad_constant(arr, pairs, 0)
    width = ((0, 0), (0, 0), *pairs)
    return np.pad(arr, width, mode=_NP_MODE[mode])  # type: ignore[call-overload]


def zero_stretch(x: ArrayLike, s: v.IntOrTuple) -> NDArray[Any]:
    """Insert ``s - 1`` zeros between neighbouring samples on every spatial axis.

    An axis of size ``n`` becomes ``(n - 1) * s + 1``.  This is the input dilation of a
    transposed convolution (JAX's ``lhs_dilation``).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.zero_stretch(np.array([[[1, 2, 3]]]), 3)
    array([[[1, 0, 0, 2, 0, 0, 3]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    s : int or tuple of int
        Stride per spatial axis, positive.

    Returns
    -------
    ndarray, the same dtype as ``x`` (object arrays get Python ``0``).
    """
    arr = v.array("x", x)
    st = v.per_axis("s", s, arr.ndim - 2, 1)
    shape = arr.shape[:2] + tuple((n - 1) * si + 1 for n, si in zip(arr.shape[2:], st, strict=True))
    out = np.zeros(shape, dtype=arr.dtype)
    every: tuple[Any, ...] = tuple(slice(None, None, si) for si in st)
    out[(..., *every)] = arr
    return out


def subsample(x: ArrayLike, s: v.IntOrTuple) -> NDArray[Any]:
    """Keep every ``s``-th sample on every spatial axis, starting at 0 (a copy).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.subsample(np.arange(7).reshape(1, 1, 7), 3)
    array([[[0, 3, 6]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    s : int or tuple of int
        Step per spatial axis, positive.

    Returns
    -------
    ndarray of spatial size ``ceil(n / s)`` per axis.
    """
    arr = v.array("x", x)
    st = v.per_axis("s", s, arr.ndim - 2, 1)
    every: tuple[Any, ...] = tuple(slice(None, None, si) for si in st)
    return arr[(..., *every)].copy()
