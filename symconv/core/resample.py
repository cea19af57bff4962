"""One axis of a resize under the ``tensorflow``, ``keras`` and ``jax`` conventions.

:func:`symconv.core.layers.resize_map` calls :func:`tf_jax_axis` for each axis of a resize
under those conventions; it returns the axis as parallel ``(out, in, num, den)`` int64 arrays
with exact rational weights, or ``None`` where the generic half-pixel rules of
:mod:`symconv.core.layers` already are the framework's (linear without antialiasing, JAX's
cubic, a coordinate mode the user chose).  The rules, each checked against TensorFlow 2.21,
Keras 3.15 and JAX 0.10 (``tests/test_resize_tf_jax.py``; docs/CONVENTIONS.md, section 6):

* ``nearest``: source ``floor((i + 1/2) n / o)`` computed in float32 as the framework does
  (TensorFlow: ``(i + 0.5f) * ((float)n / (float)o)``; JAX: ``(i + 0.5) * (n * (1/o))``, XLA
  folding the division into a product), which departs from the exact rule on some sizes
  (of the pairs 1..64 x 1..64: 56 in TensorFlow, 97 in JAX; 2 -> 41: output 20 reads 0, not
  1; JAX 30 -> 29: output 14 reads 14, not 15).
* TensorFlow's ``bicubic`` without antialiasing: Keys' kernel (``a = -1/2``) read from a
  table of 1024 steps per unit, at ``lrintf(delta * 1024)`` for the float32 fraction
  ``delta`` of the source coordinate, outside taps dropped, the rest renormalised.
* ``scale_and_translate`` (antialiased linear/cubic, ``mitchellcubic``): weight
  ``K(|j + 1/2 - (i + 1/2) n/o| / ks)`` on every input ``j``, ``ks = n/o`` when antialiasing
  a downscale and 1 otherwise, each output's weights divided by their sum (JAX: an output
  whose sum is at most ``1000 * eps(float32)`` gets none).
* ``area``: each output averages the input over its cell ``[i, i + 1) * n/o``.
* ``lanczos3``, ``lanczos5``, ``gaussian``: irrational weights (sin, exp); refused here
  (:class:`~symconv.errors.UnsupportedError`), evaluated in float64 by
  :func:`symconv.numeric.resample`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.errors import UnsupportedError
from symconv.spec import Convention, CoordinateMode, NearestMode, Resize, ResizeMode

__all__ = ["IRRATIONAL", "tf_jax_axis", "tf_jax_taps"]

_I64 = np.int64
_F32 = np.float32
Axis = tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]

#: Modes whose weights are irrational: no exact map.
IRRATIONAL = (ResizeMode.LANCZOS3, ResizeMode.LANCZOS5, ResizeMode.GAUSSIAN)
_FUNCTION = {ResizeMode.LANCZOS3: "sin", ResizeMode.LANCZOS5: "sin", ResizeMode.GAUSSIAN: "exp"}
#: Kernel radius of the rational scale_and_translate kernels.
_RADIUS = {ResizeMode.LINEAR: 1, ResizeMode.CUBIC: 2, ResizeMode.MITCHELLCUBIC: 2}
#: TensorFlow's bicubic table: steps per unit.
_TABLE = 1024


def _tf_like(layer: Resize) -> bool:
    return layer.convention in (Convention.TENSORFLOW, Convention.KERAS)


def _widened(layer: Resize, n: int, o: int) -> bool:
    return layer.antialiased and o < n


def tf_jax_taps(layer: Resize, n: int, o: int) -> int:
    """An upper bound of the entries per output of one axis (for the budget)."""
    if layer.mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT):
        return 1
    if layer.mode is ResizeMode.AREA:
        return -(-n // o) + 1
    radius = {ResizeMode.LANCZOS3: 3, ResizeMode.LANCZOS5: 5,
              ResizeMode.GAUSSIAN: 2}.get(layer.mode, _RADIUS.get(layer.mode, 2))
    width = -(-n // o) if _widened(layer, n, o) else 1
    return 2 * radius * width + 1


def tf_jax_axis(layer: Resize, n: int, o: int) -> Axis | None:
    """One axis ``n -> o`` of ``layer`` (convention tensorflow, keras or jax), or ``None`` when
    the generic rules of :func:`symconv.core.layers.resize_map` apply."""
    mode = layer.mode
    if mode in IRRATIONAL:
        raise UnsupportedError(
            f"mode={mode.value!r} has irrational weights ({_FUNCTION[mode]} of rationals): "
            "symconv's exact maps refuse it; symconv.numeric.resample gives its float64 values"
        )
    if layer.convention is Convention.JAX and n == o:
        one = np.ones(n, _I64)
        return np.arange(n, dtype=_I64), np.arange(n, dtype=_I64), one, one  # skipped axis
    if mode is ResizeMode.NEAREST:
        if (layer.coordinate_mode, layer.nearest_mode) != (CoordinateMode.HALF_PIXEL,
                                                           NearestMode.ROUND_PREFER_CEIL):
            return None
        src = _tf_nearest(n, o) if _tf_like(layer) else _jax_nearest(n, o)
        one = np.ones(o, _I64)
        return np.arange(o, dtype=_I64), src, one, one
    if mode is ResizeMode.AREA:
        return _area(n, o)
    if mode is ResizeMode.MITCHELLCUBIC or _widened(layer, n, o):
        return _scale_and_translate(mode, n, o, _widened(layer, n, o),
                                    jax=layer.convention is Convention.JAX)
    if mode is ResizeMode.CUBIC and _tf_like(layer) and not layer.antialiased:
        return _tf_table_cubic(n, o)
    return None  # linear; cubic upscaled (Keys, a = -1/2, outside taps dropped)


# --------------------------------------------------------------------------- nearest


def _tf_nearest(n: int, o: int) -> NDArray[np.int64]:
    """``min(floorf((i + 0.5f) * ((float)n / (float)o)), n - 1)``, all in float32 (TensorFlow
    ``resize_nearest_neighbor`` with ``half_pixel_centers``)."""
    scale = _F32(n) / _F32(o)
    src = np.floor((np.arange(o).astype(_F32) + _F32(0.5)) * scale)
    return np.clip(src.astype(_I64), 0, n - 1)


def _jax_nearest(n: int, o: int) -> NDArray[np.int64]:
    """``floor((i + 0.5) * (n * (1 / o)))`` in float32 (JAX ``_resize_nearest`` computes
    ``(i + 0.5) * n / o``; XLA folds the constants into one factor)."""
    factor = _F32(n) * (_F32(1) / _F32(o))
    src = np.floor((np.arange(o).astype(_F32) + _F32(0.5)) * factor)
    return np.clip(src.astype(_I64), 0, n - 1)


# --------------------------------------------------------------------------- weighted taps


def _rows(out: NDArray[Any], src: NDArray[Any], num: NDArray[Any], n: int,
          zero_row: NDArray[Any] | None = None) -> Axis:
    """``(o, K)`` candidate taps (``num == 0`` where absent) -> each output's weights divided
    by their sum, taps merged per input, fractions reduced.  ``zero_row``: outputs that get no
    weight (a sum the framework treats as zero)."""
    total = num.sum(axis=1, keepdims=True)
    dead = (total == 0)[:, 0] if zero_row is None else (zero_row | (total == 0)[:, 0])
    num = np.where(dead[:, None], 0, num)
    den = np.broadcast_to(np.where(total == 0, 1, total), num.shape)
    keep = num != 0
    out, src, num, den = out[keep], np.clip(src[keep], 0, n - 1), num[keep], den[keep]
    key = out * n + src
    order = np.argsort(key, kind="stable")
    return merge_taps(key[order], num[order], den[order], n)


def merge_taps(key: NDArray[Any], num: NDArray[Any], den: NDArray[Any], n: int) -> Axis:
    """Sorted ``key = out * n + src`` with fractions ``num/den`` (equal keys share a
    denominator) -> ``(out, src, num, den)`` with equal keys summed, fractions reduced, the
    denominator positive and zeros dropped."""
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    nu = np.add.reduceat(num, starts) if starts.size else num
    de = den[starts]
    key = key[starts]
    g = np.gcd(nu, de)
    g[g == 0] = 1
    nu, de = nu // g, de // g
    sign = np.where(de < 0, -1, 1)
    nu, de = nu * sign, de * sign
    keep = nu != 0
    return key[keep] // n, key[keep] % n, nu[keep], de[keep]


def _kernel_numerators(mode: ResizeMode, u: NDArray[Any], q: int) -> NDArray[Any]:
    """The kernel at ``x = u / q`` (``u >= 0``) times a common denominator (triangle: ``q``;
    Keys ``a = -1/2``: ``2 q^3``; Mitchell-Netravali ``B = C = 1/3``: ``18 q^3``)."""
    if mode is ResizeMode.LINEAR:
        return np.maximum(q - u, 0)
    near = u <= q
    if mode is ResizeMode.CUBIC:
        w_near = ((3 * u - 5 * q) * u) * u + 2 * q**3
        w_far = ((-u + 5 * q) * u - 8 * q * q) * u + 4 * q**3
    else:  # mitchellcubic
        w_near = ((21 * u - 36 * q) * u) * u + 16 * q**3
        w_far = ((-7 * u + 36 * q) * u - 60 * q * q) * u + 32 * q**3
    return np.where(u >= 2 * q, 0, np.where(near, w_near, w_far))


def _scale_and_translate(mode: ResizeMode, n: int, o: int, widen: bool, jax: bool) -> Axis:
    """``K(|j + 1/2 - (i + 1/2) n/o| / ks)`` on the inputs, normalised per output.

    With ``ks = n/o`` the distance is ``|(2j + 1) o - (2i + 1) n| / (2n)``, with ``ks = 1`` the
    same numerator over ``2o``: integers ``u / q`` throughout.
    """
    radius = _RADIUS[mode]
    q = 2 * n if widen else 2 * o
    if 48 * (2 * radius * q) ** 3 * (2 * radius * (-(-n // o)) + 3) >= 2**62:
        raise UnsupportedError(
            f"mode={mode.value!r} resize of size {n} -> {o}: exact weights need integers "
            "beyond int64; use smaller sizes"
        )
    reach = radius * (-(-n // o) if widen else 1) + 1
    i = np.arange(o, dtype=_I64)[:, None]
    centre = ((2 * i + 1) * n) // (2 * o)
    j = centre + np.arange(-reach, reach + 1, dtype=_I64)[None, :]
    u = np.abs((2 * j + 1) * o - (2 * i + 1) * n)
    num = np.where((j >= 0) & (j < n) & (u < radius * q), _kernel_numerators(mode, u, q), 0)
    zero_row = None
    if jax:  # |sum| <= 1000 * eps(float32) = 125 / 2**20 of the kernel's scale
        den = {ResizeMode.LINEAR: q, ResizeMode.CUBIC: 2 * q**3}.get(mode, 18 * q**3)
        zero_row = np.abs(num.sum(axis=1)) * 2**20 <= 125 * den
    return _rows(np.broadcast_to(i, j.shape), j, num, n, zero_row)


def _area(n: int, o: int) -> Axis:
    """Cell averages: output ``i`` covers ``[i n, (i + 1) n]`` and input ``j`` covers
    ``[j o, (j + 1) o]`` in units of ``1/o``; the weight is their overlap over ``n``."""
    i = np.arange(o, dtype=_I64)[:, None]
    j = (i * n) // o + np.arange(-(-n // o) + 1, dtype=_I64)[None, :]
    overlap = np.minimum((i + 1) * n, (j + 1) * o) - np.maximum(i * n, j * o)
    num = np.where((j < n) & (overlap > 0), overlap, 0)
    return _rows(np.broadcast_to(i, j.shape), j, num, n)


def _tf_table_cubic(n: int, o: int) -> Axis:
    """TensorFlow ``resize_bicubic`` with half-pixel centres (``resize_bicubic_op.cc``).

    ``src = (i + 0.5f) * scale - 0.5f`` in float32, ``delta = src - floor(src)``; the weights
    of taps ``floor(src) - 1 .. + 2`` are Keys' kernel (``a = -1/2``) at ``t + 1, t, 1 - t,
    2 - t`` with ``t = lrintf(delta * 1024) / 1024`` (the table); outside taps get weight 0 and
    the others are divided by their sum.
    """
    scale = _F32(n) / _F32(o)
    src = (np.arange(o).astype(_F32) + _F32(0.5)) * scale - _F32(0.5)
    base = np.floor(src)
    off = np.rint((src - base) * _F32(_TABLE)).astype(_I64)[:, None]  # ties to even, as lrintf
    k = np.arange(-1, 3, dtype=_I64)[None, :]
    j = base.astype(_I64)[:, None] + k
    u = np.abs(_TABLE * k - off)  # tap distance |k - t| in units of 1/1024
    num = np.where((j >= 0) & (j < n), _kernel_numerators(ResizeMode.CUBIC, u, _TABLE), 0)
    return _rows(np.broadcast_to(np.arange(o, dtype=_I64)[:, None], j.shape), j, num, n)
