"""Resizing as TensorFlow, Keras and JAX compute it, written from their definitions in float64.

One function, :func:`resample`, applies per spatial axis a weight matrix ``W`` (output x
input) built directly from the framework's formulas (TensorFlow 2.21 ``image_ops_impl.py``,
``resize_nearest_neighbor_op``, ``resize_bilinear_op``, ``resize_bicubic_op``,
``resize_area_op``, ``scale_and_translate_op`` and ``sampling_kernels``; JAX 0.10
``jax/_src/image/scale.py``).  It is the independent reference the exact maps of
:mod:`symconv.core` are checked against, and the only float64 evaluation of the kernels whose
weights are irrational (Lanczos, Gaussian).  Nothing here builds a sparse map or calls a
framework.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v

__all__ = ["RESAMPLE_METHODS", "resample", "resample_weights"]

#: Methods per framework (``keras`` is Keras on its default TensorFlow backend).
RESAMPLE_METHODS: dict[str, tuple[str, ...]] = {
    "tensorflow": ("nearest", "linear", "cubic", "area", "lanczos3", "lanczos5", "gaussian",
                   "mitchellcubic"),
    "jax": ("nearest", "linear", "cubic", "area", "lanczos3", "lanczos5"),
}
RESAMPLE_METHODS["keras"] = RESAMPLE_METHODS["tensorflow"][:6]

_F32 = np.float32


def _triangle(x: NDArray[Any]) -> NDArray[Any]:
    return np.maximum(0.0, 1.0 - x)


def _keys(x: NDArray[Any]) -> NDArray[Any]:
    """Keys' cubic kernel with ``a = -1/2`` (TF ``KeysCubicKernelFunc``, JAX's cubic)."""
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _mitchell(x: NDArray[Any]) -> NDArray[Any]:
    """Mitchell-Netravali with ``B = C = 1/3`` (TF ``MitchellCubicKernelFunc``)."""
    near = ((7.0 / 6.0 * x - 2.0) * x) * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _gaussian(x: NDArray[Any]) -> NDArray[Any]:
    """TF's Gaussian: radius 3/2, sigma 1/2, ``exp(-2 x^2)`` (the cut at the radius is
    applied by :func:`_tf_gaussian_support`)."""
    return np.exp(-2.0 * x * x)


def _tf_gaussian_support(n: int, o: int, antialias: bool) -> NDArray[Any]:
    """Which taps the Gaussian reaches, decided in TF's float32 arithmetic
    (``ComputeSpansCore``): the span ``ceil(sample - r ks - 0.5) .. floor(sample + r ks -
    0.5)`` and ``|(j + 0.5f - sample) / ks| < 3/2``.  The kernel jumps from ``exp(-9/2)`` to 0
    at the radius, and float32 rounding decides on which side an exact 3/2 falls."""
    scale = _F32(o) / _F32(n)
    inv = _F32(1.0 / np.float64(scale))
    ks = max(inv, _F32(1)) if antialias else _F32(1)
    reach = _F32(1.5) * ks
    sample = (np.arange(o).astype(_F32) + _F32(0.5)) * inv
    start = np.clip(np.ceil(sample - reach - _F32(0.5)), 0, n - 1)
    end = np.clip(np.floor(sample + reach - _F32(0.5)), 0, n - 1)
    j = np.arange(n)
    pos = (j.astype(_F32)[None, :] + _F32(0.5)) - sample[:, None]
    x = np.abs(pos * (_F32(1) / ks))
    return (j[None, :] >= start[:, None]) & (j[None, :] <= end[:, None]) & (x < _F32(1.5))


def _lanczos(radius: int, framework: str) -> Callable[[NDArray[Any]], NDArray[Any]]:
    """``r sin(pi x) sin(pi x / r) / (pi x)^2`` on ``|x| <= r``, 1 near 0 (TF: ``x <= 1e-3``,
    JAX: not ``x > 1e-3``: the same set)."""

    def kernel(x: NDArray[Any]) -> NDArray[Any]:
        safe = np.where(x > 1e-3, x, 1.0)
        y = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi * safe) ** 2
        return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))

    return kernel


_KERNELS: dict[str, Callable[[NDArray[Any]], NDArray[Any]]] = {
    "linear": _triangle, "cubic": _keys, "mitchellcubic": _mitchell, "gaussian": _gaussian,
}


def _kernel(method: str, framework: str) -> Callable[[NDArray[Any]], NDArray[Any]]:
    if method.startswith("lanczos"):
        return _lanczos(int(method[-1]), framework)
    return _KERNELS[method]


def _normalise(w: NDArray[Any], tiny: float) -> NDArray[Any]:
    """Rows divided by their sums; rows whose ``|sum| <= tiny`` become 0."""
    total = w.sum(axis=1, keepdims=True)
    ok = np.abs(total) > tiny
    return np.where(ok, w / np.where(ok, total, 1.0), 0.0)


def _scaled_kernel(n: int, o: int, method: str, framework: str, antialias: bool,
                   ) -> NDArray[Any]:
    """``scale_and_translate``: ``K(|j + 1/2 - (i + 1/2) n/o| / ks)``, ``ks = max(n/o, 1)``
    when antialiasing, over every input ``j``, each row divided by its sum."""
    ratio = n / o
    ks = max(ratio, 1.0) if antialias else 1.0
    centre = (np.arange(o) + 0.5) * ratio
    x = np.abs(np.arange(n)[None, :] + 0.5 - centre[:, None]) / ks
    tiny = 1000 * float(np.finfo(np.float32).eps) if framework == "jax" else 0.0
    w = _kernel(method, framework)(x)
    if method == "gaussian":
        w = np.where(_tf_gaussian_support(n, o, antialias), w, 0.0)
    return _normalise(w, tiny)


def _area(n: int, o: int) -> NDArray[Any]:
    """Each output averages the input over its cell ``[i, i + 1) n/o`` (overlap / cell length)."""
    ratio = n / o
    lo = np.arange(o)[:, None] * ratio
    hi = lo + ratio
    j = np.arange(n)[None, :]
    return np.maximum(0.0, np.minimum(hi, j + 1.0) - np.maximum(lo, j)) / ratio


def _tf_nearest(n: int, o: int) -> NDArray[np.int64]:
    """``min(floorf((i + 0.5f) * (float)n / (float)o), n - 1)`` in float32 (TF
    ``resize_nearest_neighbor``, ``half_pixel_centers=True``)."""
    scale = _F32(n) / _F32(o)
    src = np.floor((np.arange(o).astype(_F32) + _F32(0.5)) * scale).astype(np.int64)
    return np.clip(src, 0, n - 1)


def _jax_nearest(n: int, o: int) -> NDArray[np.int64]:
    """JAX ``_resize_nearest`` writes ``floor((i + 0.5) * n / o)`` in float32; compiled, XLA
    folds the constants: ``(i + 0.5) * (n * (1 / o))``, each step rounded to float32."""
    factor = _F32(n) * (_F32(1) / _F32(o))
    src = np.floor((np.arange(o).astype(_F32) + _F32(0.5)) * factor)
    return np.clip(src.astype(np.int64), 0, n - 1)


def _tf_linear(n: int, o: int) -> NDArray[Any]:
    """TF ``resize_bilinear`` (half-pixel): ``src = (i + 1/2) n/o - 1/2``, neighbours
    ``max(floor(src), 0)`` and ``min(ceil(src), n - 1)``, weight of the second
    ``src - floor(src)``."""
    src = (np.arange(o) + 0.5) * (n / o) - 0.5
    low = np.floor(src)
    lam = src - low
    w = np.zeros((o, n))
    rows = np.arange(o)
    np.add.at(w, (rows, np.clip(low, 0, n - 1).astype(np.int64)), 1.0 - lam)
    np.add.at(w, (rows, np.clip(np.ceil(src), 0, n - 1).astype(np.int64)), lam)
    return w


#: TF ``resize_bicubic`` samples its kernel from a table of 1024 steps per unit.
_TABLE = 1024


def _tf_cubic(n: int, o: int) -> NDArray[Any]:
    """TF ``resize_bicubic`` (half-pixel): taps ``floor(src) - 1 .. + 2`` with Keys' weights
    (``a = -1/2``) read from a table at ``lrintf(delta * 1024) / 1024``, ``delta`` the float32
    fraction of ``src = (i + 0.5f) * scale - 0.5f``; taps outside the input get weight 0 and
    the rest are divided by their sum."""
    scale = _F32(n) / _F32(o)
    src = (np.arange(o).astype(_F32) + _F32(0.5)) * scale - _F32(0.5)
    base = np.floor(src)
    delta = (src - base).astype(_F32)
    t = np.rint(delta * _F32(_TABLE)).astype(np.float64) / _TABLE  # lrintf: ties to even
    w = np.zeros((o, n))
    for k in (-1, 0, 1, 2):
        tap = base.astype(np.int64) + k
        wk = _keys(np.abs(t - k))
        inside = (tap >= 0) & (tap < n)
        rows = np.flatnonzero(inside)
        np.add.at(w, (rows, tap[inside]), wk[inside])
    return _normalise(w, 0.0)


def resample_weights(n: int, o: int, method: str, framework: str = "tensorflow",
                     antialias: bool = False) -> NDArray[Any]:
    """The ``(o, n)`` float64 weight matrix of one axis resized from ``n`` to ``o``.

    ``framework``: ``'tensorflow'`` (``tf.image.resize``; also Keras on its TensorFlow
    backend, ``'keras'``) or ``'jax'`` (``jax.image.resize``; also Keras on its JAX backend).

    >>> resample_weights(2, 3, "nearest", "jax").argmax(axis=1)
    array([0, 1, 1])
    >>> resample_weights(4, 2, "linear", "jax", antialias=True) * 7
    array([[3., 3., 1., 0.],
           [0., 1., 3., 3.]])
    """
    fw = "tensorflow" if framework == "keras" else framework
    if fw not in ("tensorflow", "jax"):
        v.fail(f"framework={v.shown(framework)} must be one of tensorflow, keras, jax")
    if method not in RESAMPLE_METHODS[framework]:
        v.fail(f"method={v.shown(method)} must be one of {', '.join(RESAMPLE_METHODS[framework])} "
               f"for framework={v.shown(framework)}")
    antialias = v.check_bool("antialias", antialias)
    if fw == "jax" and n == o and method != "area":
        return np.eye(n)  # jax.image.resize skips an axis whose size does not change
    if method == "nearest":
        src = _tf_nearest(n, o) if fw == "tensorflow" else _jax_nearest(n, o)
        w = np.zeros((o, n))
        w[np.arange(o), src] = 1.0
        return w
    if method == "area":
        return _area(n, o)
    if fw == "tensorflow" and not antialias and method in ("linear", "cubic"):
        return _tf_linear(n, o) if method == "linear" else _tf_cubic(n, o)
    return _scaled_kernel(n, o, method, fw, antialias)


def resample(x: ArrayLike, size: int | Sequence[int], method: str = "linear",
             framework: str = "tensorflow", antialias: bool | None = None) -> NDArray[Any]:
    """Resize every spatial axis of ``x`` (``(N, C, *spatial)``) to ``size`` as ``framework``
    does: TensorFlow ``tf.image.resize`` (``antialias`` default False), Keras ``Resizing`` /
    ``UpSampling`` (``'keras'``: its TensorFlow backend) or ``jax.image.resize`` (``antialias``
    default True).  Float64, axis by axis (every method is separable).

    Methods: ``nearest``, ``linear``, ``cubic`` (Keys, ``a = -1/2``), ``area``, ``lanczos3``,
    ``lanczos5``, and under TensorFlow ``gaussian`` and ``mitchellcubic``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.resample(np.array([[[0.0, 4.0]]]), 4, "linear")
    array([[[0., 1., 3., 4.]]])
    >>> numeric.resample(np.arange(8.0).reshape(1, 1, 8), 2, "area")
    array([[[1.5, 5.5]]])
    """
    xa = v.array("x", x)
    nd = xa.ndim - 2
    sizes = v.per_axis("size", size, nd, 1)
    if antialias is None:
        antialias = framework == "jax"
    y = xa.astype(np.float64)
    for a in range(nd):
        w = resample_weights(xa.shape[2 + a], sizes[a], method, framework, antialias)
        y = np.moveaxis(np.tensordot(y, w, axes=([2 + a], [1])), -1, 2 + a)
    return y

