"""Resizing (nearest, multilinear, cubic) and channel/space rearrangements (pixel shuffle,
DepthToSpace).

Resizing is separable: per spatial axis the source coordinates are computed once (a vector of
the output length), then the data are gathered along that axis.  Integer and ``Fraction``
scale factors give exact rational coordinates; float scale factors reproduce PyTorch's float
arithmetic step by step (see each function).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v

__all__ = [
    "depth_to_space",
    "pixel_shuffle",
    "pixel_unshuffle",
    "space_to_depth",
    "upsample_cubic",
    "upsample_linear",
    "upsample_nearest",
    "upsample_nearest_exact",
]


def _ints(o: int, big: int) -> NDArray[Any]:
    """``arange(o)`` as int64, or as Python ints when products up to ``big * o`` could overflow."""
    return np.arange(o, dtype=np.int64 if big * (2 * o + 2) < 2**62 else object)


def _nearest_src(n: int, o: int, sf: v.Scale, half: bool, cl_kernel: bool) -> NDArray[np.int64]:
    """Source index per output index: ``min(floor((dst + h) / sf), n - 1)``, ``h`` = 0 or 1/2.

    Exact for ``Fraction``.  For a float ``sf`` PyTorch's float64 CPU kernels are reproduced:
    the generic kernel takes ``1.0 / sf`` and the product in double, then ``floorf`` (a rounding
    to float32 before the floor); the channels-last kernel (``cl_kernel``) rounds the scale to
    float32 first, multiplies in float32 (``nearest``) or double (``nearest-exact``), and for
    ``nearest`` copies when ``o == n`` and uses ``dst // 2`` when ``o == 2 n``.
    """
    if isinstance(sf, Fraction):
        p, q = sf.numerator, sf.denominator
        dst = _ints(o, 2 * max(p, q))
        src = ((2 * dst + 1) * q) // (2 * p) if half else (dst * q) // p
        return np.minimum(np.asarray(src, dtype=np.int64), n - 1)
    dst = np.arange(o)
    if not cl_kernel:
        real = (dst + (0.5 if half else 0.0)) * (1.0 / sf)
    elif half:
        real = (dst + 0.5) * np.float64(np.float32(1.0 / sf))
    elif o == n:
        return dst
    elif o == 2 * n:
        return dst // 2
    else:
        real = dst.astype(np.float32) * np.float32(1.0 / sf)
    return np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), n - 1)


def _gather(x: NDArray[Any], sources: list[NDArray[np.int64]]) -> NDArray[Any]:
    for a, src in enumerate(sources):
        x = np.take(x, src, axis=2 + a)
    return x


def _nearest(x: ArrayLike, scale_factor: v.ScaleSpec, half: bool) -> NDArray[Any]:
    xa = v.array("x", x)
    nd = xa.ndim - 2
    sfs = v.scale_factors(scale_factor, nd)
    n = xa.shape[2:]
    o = [v.resize_out_size(n[a], sfs[a]) for a in range(nd)]
    # PyTorch's dispatch (UpSampleKernel.cpp, _use_channels_last_kernel_2d/3d) for a contiguous
    # NC* tensor: the channels-last kernel if C > 3 and it is also channels-last contiguous
    # (all spatial sizes 1), or in 2-D if the output's H + W <= 128.
    cl = nd in (2, 3) and (
        (xa.shape[1] > 3 and all(m == 1 for m in n)) or (nd == 2 and o[0] + o[1] <= 128)
    )
    return _gather(xa, [_nearest_src(n[a], o[a], sfs[a], half, cl) for a in range(nd)])


def upsample_nearest(x: ArrayLike, scale_factor: v.ScaleSpec) -> NDArray[Any]:
    """Nearest-neighbour resizing, PyTorch ``mode='nearest'`` (OpenCV's ``INTER_NEAREST``).

    Output size ``floor(n * sf)`` per axis; output ``dst`` copies input
    ``min(floor(dst / sf), n - 1)``.  For integer and ``Fraction`` factors this is computed
    exactly; for float factors it follows PyTorch's float64 CPU arithmetic, so it equals
    ``F.interpolate(x, scale_factor=sf, mode='nearest')`` element for element.  PyTorch has two
    kernels that round differently: the generic one (``1.0/sf`` and the product in double,
    then ``floorf``) and, in 2-D when the output's ``H + W <= 128``, a channels-last kernel
    (scale and product in float32, plus shortcuts ``o == n``: copy, ``o == 2n``: ``dst // 2``).
    For ``sf=3/7`` as a float, ``n=66`` and ``dst=27`` the first gives 63, the second 62.
    Equals ONNX Resize nearest with ``coordinate_transformation_mode='asymmetric'`` and
    ``nearest_mode='floor'``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.upsample_nearest(np.array([[[1, 2, 3]]]), 2)
    array([[[1, 1, 2, 2, 3, 3]]])
    >>> numeric.upsample_nearest(np.array([[[1, 2, 3, 4]]]), 0.75)
    array([[[1, 2, 3]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        Any numeric or object dtype (values are only copied).
    scale_factor : int, Fraction, float, or a tuple of them (one per spatial axis)
        Positive.

    Returns
    -------
    ndarray, shape ``(N, C, *floor(n * sf))``, the dtype of ``x``.

    Raises
    ------
    InvalidSpecError
        For a non-positive or non-numeric factor, or an empty output.
    """
    return _nearest(x, scale_factor, half=False)


def upsample_nearest_exact(x: ArrayLike, scale_factor: v.ScaleSpec) -> NDArray[Any]:
    """Nearest-neighbour resizing with pixel centres aligned, PyTorch ``mode='nearest-exact'``.

    Output ``dst`` copies input ``min(floor((dst + 1/2) / sf), n - 1)``; otherwise as
    :func:`upsample_nearest`.  Equals ONNX Resize nearest with ``half_pixel`` coordinates and
    ``nearest_mode='round_prefer_ceil'`` (``round(src - 1/2)`` with ties up is ``floor(src)``).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.upsample_nearest_exact(np.array([[[1, 2, 3, 4]]]), 0.75)
    array([[[1, 3, 4]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    scale_factor : int, Fraction, float, or a tuple of them

    Returns
    -------
    ndarray, shape ``(N, C, *floor(n * sf))``, the dtype of ``x``.
    """
    return _nearest(x, scale_factor, half=True)


_FRACTION = np.frompyfunc(Fraction, 2, 1)


def _exact_coords(n: int, o: int, sf: v.Scale, mode: str) -> tuple[NDArray[Any], int]:
    """Rational source coordinates ``num / den`` (``num`` a vector over ``dst``, ``den`` an int)."""
    if mode in ("align_corners", "torch_align_corners"):
        if o == 1:
            return np.zeros(1, dtype=np.int64), 1
        return _ints(o, n + o) * (n - 1), o - 1
    if not isinstance(sf, Fraction):
        raise TypeError("exact coordinates need a Fraction scale factor")
    p, q = sf.numerator, sf.denominator
    dst = _ints(o, 2 * max(p, q))
    if mode == "asymmetric":
        return dst * q, p
    num = (2 * dst + 1) * q - p  # (dst + 1/2) / sf - 1/2 = ((2 dst + 1) q - p) / (2 p)
    if mode == "torch":
        num = np.maximum(num, 0)
    elif mode == "pytorch_half_pixel" and o == 1:
        num = num * 0
    return num, 2 * p


def _linear_axis(
    n: int, o: int, sf: v.Scale, mode: str, exact_weights: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[Any]]:
    """Per output index: the two neighbours (clamped into the input) and the weight of the second.

    ``mode`` is 'torch' / 'torch_align_corners' (PyTorch) or an ONNX coordinate mode.
    """
    lam: NDArray[Any]
    if isinstance(sf, Fraction) or mode in ("align_corners", "torch_align_corners"):
        num, den = _exact_coords(n, o, sf, mode)
        i0 = num // den
        rem = num - i0 * den
        if exact_weights:
            lam = _FRACTION(rem, den)
        elif rem.dtype == object:
            lam = np.array([int(r) / den for r in rem], dtype=np.float64)
        else:
            lam = rem / den
        i0 = np.asarray(i0, dtype=np.int64)
    elif mode == "torch":
        # PyTorch CPU kernel: src = scale*(dst+0.5)-0.5 in double, clamped at 0, floorf.
        src = np.maximum((1.0 / sf) * (np.arange(o) + 0.5) - 0.5, 0.0)
        i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)
        lam = np.clip(src - i0, 0.0, 1.0)
    else:
        dst = np.arange(o, dtype=np.float64)
        if mode == "asymmetric":
            src = dst / sf
        elif mode == "pytorch_half_pixel" and o == 1:
            src = np.zeros(1)
        else:
            src = (dst + 0.5) / sf - 0.5
        i0 = np.floor(src).astype(np.int64)
        lam = src - i0
    return np.clip(i0, 0, n - 1), np.clip(i0 + 1, 0, n - 1), lam


def upsample_linear(
    x: ArrayLike,
    scale_factor: v.ScaleSpec,
    align_corners: bool = False,
    coordinate_mode: str | None = None,
) -> NDArray[Any]:
    """Multilinear resizing over all spatial axes (linear, bilinear, trilinear, ...).

    Output size ``floor(n * sf)``.  Output ``dst`` reads source coordinate ``src``; with
    ``i0 = floor(src)`` and ``lam = src - i0`` it is ``(1 - lam) x[i0] + lam x[i0 + 1]``,
    neighbours clamped into the input.  Coordinates (default: PyTorch):

    - ``align_corners=False``: ``src = (dst + 1/2) / sf - 1/2``, clamped at 0; when the output
      length equals the input length PyTorch copies the axis unchanged whatever ``sf`` is.
    - ``align_corners=True``: ``src = dst (n - 1) / (o - 1)`` (0 when ``o == 1``).
    - ``coordinate_mode`` (ONNX Resize, linear): 'half_pixel' ``(dst + 1/2)/sf - 1/2``,
      'pytorch_half_pixel' (the same, but 0 when ``o == 1``), 'align_corners' (as above),
      'asymmetric' ``dst / sf``; no same-length shortcut.

    Integer and ``Fraction`` factors give exact rational coordinates (and, for integer or object
    data, exact ``Fraction`` results); float factors follow PyTorch's float64 arithmetic
    (including its ``floorf``) in the default mode and plain float64 in the ONNX modes.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.upsample_linear(np.array([[[0.0, 4.0]]]), 2)
    array([[[0., 1., 3., 4.]]])
    >>> [str(v) for v in numeric.upsample_linear(np.array([[[0, 4]]]), 2, align_corners=True)[0, 0]]
    ['0', '4/3', '8/3', '4']

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
    scale_factor : int, Fraction, float, or a tuple of them (one per spatial axis)
    align_corners : bool
        PyTorch's flag (ignored by the ONNX modes; must be False with ``coordinate_mode``).
    coordinate_mode : {None, 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'}
        ONNX ``coordinate_transformation_mode``; None means PyTorch semantics.

    Returns
    -------
    ndarray, shape ``(N, C, *floor(n * sf))``: float64 for float data or float factors; an
    object array of exact values for integer/object data with integer/``Fraction`` factors.

    Raises
    ------
    InvalidSpecError
        For a bad factor, an empty output, or an unknown/conflicting coordinate mode.
    """
    xa = v.array("x", x)
    nd = xa.ndim - 2
    sfs = v.scale_factors(scale_factor, nd)
    mode = v.resize_mode(align_corners, coordinate_mode)
    exact = xa.dtype.kind in "iuO" and all(isinstance(f, Fraction) for f in sfs)
    y = xa.astype(object) if exact else xa
    for a in range(nd):
        n = xa.shape[2 + a]
        o = v.resize_out_size(n, sfs[a])
        if o == n and mode in ("torch", "torch_align_corners"):
            continue  # PyTorch copies an axis whose length does not change
        i0, i1, lam = _linear_axis(n, o, sfs[a], mode, exact)
        shape = [1] * y.ndim
        shape[2 + a] = o
        w1 = lam.reshape(shape)
        y = np.take(y, i0, axis=2 + a) * (1 - w1) + np.take(y, i1, axis=2 + a) * w1
    return y


def _keys_kernel(a: Any) -> Any:
    """Keys' cubic convolution kernel ``W`` with coefficient ``a`` (Keys 1981, eq. 15), as a
    numpy ufunc over object arrays (exact for ``Fraction`` arguments):
    ``(a+2)|d|^3 - (a+3)|d|^2 + 1`` for ``|d| <= 1``, ``a|d|^3 - 5a|d|^2 + 8a|d| - 4a`` for
    ``1 < |d| < 2``, 0 beyond."""

    def w(d: Any) -> Any:
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        if d < 2:
            return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
        return 0 * d

    return np.frompyfunc(w, 1, 1)


def _cubic_coordinates(
    n: int, o: int, sf: v.Scale, mode: str
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Per output: ``floor`` of the source coordinate and the fraction ``t`` in ``[0, 1]``.

    Exact (``Fraction`` objects) for a ``Fraction`` factor or align-corners; for a float factor
    PyTorch's kernel is followed in the PyTorch modes (``src`` in double, ``floorf``, then
    ``guard_index_and_lambda``: index at most ``n - 1``, ``t`` clamped into ``[0, 1]``), plain
    float64 in the ONNX modes.
    """
    dst = range(o)
    if isinstance(sf, Fraction) or mode in ("align_corners", "torch_align_corners"):
        src: list[Any]
        if mode in ("align_corners", "torch_align_corners"):
            src = [Fraction(j * (n - 1), o - 1) if o > 1 else Fraction(0) for j in dst]
        elif mode == "asymmetric":
            src = [j / sf for j in dst]
        elif mode == "pytorch_half_pixel" and o == 1:
            src = [Fraction(0)]
        else:  # half_pixel, pytorch_half_pixel, and PyTorch's (not clamped for cubic)
            src = [(j + Fraction(1, 2)) / sf - Fraction(1, 2) for j in dst]
        base = [s.numerator // s.denominator for s in src]
        t = np.empty(o, dtype=object)
        t[:] = [s - b for s, b in zip(src, base, strict=True)]
        return np.array(base, dtype=np.int64), t
    j = np.arange(o, dtype=np.float64)
    if mode == "torch":
        real = (1.0 / sf) * (j + 0.5) - 0.5
        i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), n - 1)
        return i0, np.clip(real - i0, 0.0, 1.0)
    if mode == "asymmetric":
        real = j / sf
    elif mode == "pytorch_half_pixel" and o == 1:
        real = np.zeros(1)
    else:
        real = (j + 0.5) / sf - 0.5
    i0 = np.floor(real).astype(np.int64)
    return i0, real - i0


def upsample_cubic(
    x: ArrayLike,
    scale_factor: v.ScaleSpec,
    align_corners: bool = False,
    coordinate_mode: str | None = None,
    a: int | Fraction | float = Fraction(-3, 4),
    exclude_outside: bool = False,
) -> NDArray[Any]:
    """Cubic convolution resizing over all spatial axes (PyTorch ``bicubic``, ONNX ``cubic``).

    Output size ``floor(n * sf)``.  Output ``dst`` reads source coordinate ``src``; with
    ``i = floor(src)`` it is ``sum_k W(src - (i + k)) x[i + k]`` over ``k = -1, 0, 1, 2``, ``W``
    Keys' kernel with coefficient ``a`` (PyTorch: -3/4, fixed).  Taps outside the input read
    the nearest edge sample; with ``exclude_outside`` (ONNX) they get weight 0 and the other
    weights are divided by their sum.  Axis by axis (the kernel is a tensor product).

    Coordinates: PyTorch (``coordinate_mode=None``) ``src = (dst + 1/2) / sf - 1/2``, NOT
    clamped at 0 as in linear mode, or ``dst (n - 1) / (o - 1)`` with ``align_corners``; ONNX
    ``coordinate_mode`` as in :func:`upsample_linear`.  Integer and ``Fraction`` factors and
    ``a`` give exact rational weights (and, for integer or object data, exact ``Fraction``
    results); float factors follow PyTorch's float64 kernel in PyTorch mode.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> [str(v) for v in numeric.upsample_cubic(np.array([[[0, 0, 1, 0]]]), 2)[0, 0]]
    ['0', '-9/256', '-27/256', '67/256', '225/256', '225/256', '67/256', '-27/256']

    Output 0 of ``[0, 4]`` reads ``src = -1/4``: taps -2, -1, 0, 1 with weights ``W(7/4),
    W(3/4), W(1/4), W(5/4)``.  Clamped, the first three read ``x[0]``; excluded, only
    ``W(1/4) = 225/256`` and ``W(5/4) = -27/256`` remain, divided by their sum ``99/128``:

    >>> numeric.upsample_cubic(np.array([[[0.0, 4.0]]]), 2).round(4)
    array([[[-0.4219,  0.9062,  3.0938,  4.4219]]])
    >>> numeric.upsample_cubic(np.array([[[0, 4]]]), 2, coordinate_mode="half_pixel",
    ...                        exclude_outside=True)[0, 0, 0]
    Fraction(-6, 11)

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        PyTorch itself has bicubic for two spatial axes only; this applies any rank.
    scale_factor : int, Fraction, float, or a tuple of them (one per spatial axis)
    align_corners : bool
        PyTorch's flag (must be False with ``coordinate_mode``).
    coordinate_mode : {None, 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'}
        ONNX ``coordinate_transformation_mode``; None means PyTorch semantics.
    a : int, Fraction or float
        ONNX ``cubic_coeff_a`` (default -3/4); must be -3/4 in PyTorch mode.
    exclude_outside : bool
        ONNX ``exclude_outside``; only with a ``coordinate_mode``.

    Returns
    -------
    ndarray, shape ``(N, C, *floor(n * sf))``: float64 for float data, float factors or a
    float ``a``; an object array of exact values otherwise.

    Raises
    ------
    InvalidSpecError
        For a bad factor, an empty output, an unknown/conflicting coordinate mode, a
        non-numeric ``a``, PyTorch mode with ``a != -3/4`` or ``exclude_outside``, or
        ``exclude_outside`` leaving an output with zero total weight.
    """
    xa = v.array("x", x)
    nd = xa.ndim - 2
    sfs = v.scale_factors(scale_factor, nd)
    mode = v.resize_mode(align_corners, coordinate_mode)
    if isinstance(a, bool) or not isinstance(a, int | Fraction | float):
        v.fail(f"a={v.shown(a)} must be a number (int, Fraction or float)")
    exclude = v.check_bool("exclude_outside", exclude_outside)
    if mode.startswith("torch") and a != Fraction(-3, 4):
        v.fail(f"a={a} must be -3/4 in PyTorch mode (coordinate_mode=None): PyTorch bicubic "
               "fixes A = -0.75")
    if mode.startswith("torch") and exclude:
        v.fail("exclude_outside=True must be False in PyTorch mode (coordinate_mode=None): "
               "PyTorch bicubic clamps the taps")
    exact = (xa.dtype.kind in "iuO" and not isinstance(a, float)
             and all(isinstance(f, Fraction) for f in sfs))
    kernel = _keys_kernel(Fraction(a) if not isinstance(a, float) else a)
    y = xa.astype(object) if exact else xa.astype(np.float64)
    for ax in range(nd):
        n = xa.shape[2 + ax]
        o = v.resize_out_size(n, sfs[ax])
        i0, t = _cubic_coordinates(n, o, sfs[ax], mode)
        idx = [i0 + k for k in (-1, 0, 1, 2)]
        w = [kernel(t - k) for k in (-1, 0, 1, 2)]  # distance of tap i0 + k is |t - k|
        if exclude:
            w = [np.where((i >= 0) & (i < n), wk, 0 * wk) for i, wk in zip(idx, w, strict=True)]
            total = w[0] + w[1] + w[2] + w[3]
            if any(s == 0 for s in total):
                v.fail(f"exclude_outside=True with a={a} leaves zero total weight inside an "
                       f"input of size {n}")
            w = [wk / total for wk in w]
        shape = [1] * y.ndim
        shape[2 + ax] = o
        acc: Any = 0
        for i, wk in zip(idx, w, strict=True):
            wk = np.asarray(wk, dtype=object if exact else np.float64).reshape(shape)
            acc = acc + np.take(y, np.clip(i, 0, n - 1), axis=2 + ax) * wk
        y = acc
    return y


def _check_r(x: ArrayLike, r: int) -> tuple[NDArray[Any], int, int]:
    xa = v.array("x", x)
    return xa, v.int_param("r", r, 1), xa.ndim - 2


def pixel_shuffle(x: ArrayLike, r: int) -> NDArray[Any]:
    """Sub-pixel rearrangement ``(N, C r^D, *s) -> (N, C, *(s r))``, PyTorch's PixelShuffle.

    ``y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]`` in 2-D, the same pattern in any
    number of spatial axes; equals ONNX DepthToSpace with ``mode='CRD'``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.pixel_shuffle(np.arange(4).reshape(1, 4, 1, 1), 2)[0, 0]
    array([[0, 1],
           [2, 3]])

    Parameters
    ----------
    x : array_like, shape ``(N, C * r**D, *spatial)``
    r : int
        Upscale factor, positive.

    Returns
    -------
    ndarray, shape ``(N, C, *(spatial * r))``.
    """
    xa, r, nd = _check_r(x, r)
    c = v.channels_by_block("x", xa.shape[1], r, nd)
    sp = xa.shape[2:]
    y = xa.reshape((xa.shape[0], c) + (r,) * nd + sp)
    perm = (0, 1, *(i for a in range(nd) for i in (2 + nd + a, 2 + a)))
    return y.transpose(perm).reshape((xa.shape[0], c, *(n * r for n in sp)))


def pixel_unshuffle(x: ArrayLike, r: int) -> NDArray[Any]:
    """Inverse of :func:`pixel_shuffle`: ``(N, C, *(s r)) -> (N, C r^D, *s)``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> numeric.pixel_unshuffle(np.arange(4).reshape(1, 1, 2, 2), 2).ravel()
    array([0, 1, 2, 3])

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``, every spatial size divisible by ``r``
    r : int
        Downscale factor, positive.

    Returns
    -------
    ndarray, shape ``(N, C * r**D, *(spatial // r))``.
    """
    xa, r, nd = _check_r(x, r)
    sp = v.spatial_by_block("x", xa.shape[2:], r)
    y = xa.reshape(xa.shape[:2] + tuple(i for n in sp for i in (n, r)))
    perm = (0, 1, *(3 + 2 * a for a in range(nd)), *(2 + 2 * a for a in range(nd)))
    return y.transpose(perm).reshape((xa.shape[0], xa.shape[1] * r**nd, *sp))


def depth_to_space(x: ArrayLike, r: int, mode: str = "DCR") -> NDArray[Any]:
    """ONNX DepthToSpace: ``(N, C r^D, *s) -> (N, C, *(s r))`` in 'DCR' or 'CRD' order.

    'DCR' (ONNX's default) reads the channel as ``(block offsets, c)``:
    ``y[n, c, h r + i, w r + j] = x[n, (i r + j) C + c, h, w]``; 'CRD' reads it as
    ``(c, block offsets)`` and equals :func:`pixel_shuffle`.  ONNX defines the 4-D case; this
    applies the same pattern to any number of spatial axes.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.arange(8).reshape(1, 8, 1, 1)
    >>> numeric.depth_to_space(x, 2)[0, 0], numeric.depth_to_space(x, 2, mode="CRD")[0, 0]
    (array([[0, 2],
           [4, 6]]), array([[0, 1],
           [2, 3]]))

    Parameters
    ----------
    x : array_like, shape ``(N, C * r**D, *spatial)``
    r : int
        Block size, positive.
    mode : {'DCR', 'CRD'}

    Returns
    -------
    ndarray, shape ``(N, C, *(spatial * r))``.
    """
    xa, r, nd = _check_r(x, r)
    if v.shuffle_mode(mode) == "CRD":
        return pixel_shuffle(xa, r)
    c = v.channels_by_block("x", xa.shape[1], r, nd)
    sp = xa.shape[2:]
    y = xa.reshape((xa.shape[0],) + (r,) * nd + (c, *sp))
    perm = (0, 1 + nd, *(i for a in range(nd) for i in (2 + nd + a, 1 + a)))
    return y.transpose(perm).reshape((xa.shape[0], c, *(n * r for n in sp)))


def space_to_depth(x: ArrayLike, r: int) -> NDArray[Any]:
    """ONNX SpaceToDepth: ``(N, C, *(s r)) -> (N, r^D C, *s)``, the inverse of DCR DepthToSpace.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.arange(8).reshape(1, 8, 1, 1)
    >>> np.array_equal(numeric.space_to_depth(numeric.depth_to_space(x, 2), 2), x)
    True

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``, every spatial size divisible by ``r``
    r : int
        Block size, positive.

    Returns
    -------
    ndarray, shape ``(N, C * r**D, *(spatial // r))``.
    """
    xa, r, nd = _check_r(x, r)
    sp = v.spatial_by_block("x", xa.shape[2:], r)
    y = xa.reshape(xa.shape[:2] + tuple(i for n in sp for i in (n, r)))
    perm = (0, *(3 + 2 * a for a in range(nd)), 1, *(2 + 2 * a for a in range(nd)))
    return y.transpose(perm).reshape((xa.shape[0], xa.shape[1] * r**nd, *sp))
