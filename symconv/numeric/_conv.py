"""Convolution, transposed convolution and the two convolution gradients, from the definitions.

Nothing here builds a matrix.  ``conv`` is a sliding-window correlation (im2col by strides, one
BLAS product per group); ``conv_transpose`` is the scatter-add of its definition gathered per
output phase (one such correlation per phase of the stride); the gradients are computed
through their equivalences with those two operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from symconv.numeric import _validate as v
from symconv.numeric._pad import pad_constant

__all__ = ["conv", "conv_grad_input", "conv_grad_weight", "conv_transpose"]


def _correlate(
    xp: NDArray[Any], w: NDArray[Any], stride: v.Ints, dilation: v.Ints, groups: int
) -> NDArray[Any]:
    """Valid cross-correlation of an already padded input, by definition.

    ``y[n, o, j] = sum_{c, t} w[o, c, t] * xp[n, g(o) * C_g + c, j * s + t * d]``: the windows
    are a strided view of ``xp`` (no copy), and per group ``np.tensordot`` contracts channels and
    taps in one matrix product.
    """
    nd = xp.ndim - 2
    extent = tuple(d * (k - 1) + 1 for d, k in zip(dilation, w.shape[2:], strict=True))
    win = sliding_window_view(xp, extent, axis=tuple(range(2, 2 + nd)))
    # (N, C, *out, *k): window starts every s, taps every d inside a window.
    win = win[(slice(None), slice(None), *(slice(None, None, s) for s in stride))]
    taps: tuple[Any, ...] = tuple(slice(None, None, d) for d in dilation)
    win = win[(..., *taps)]
    w_axes = list(range(1, nd + 2))
    x_axes = [1, *range(2 + nd, 2 + 2 * nd)]
    cg, og = w.shape[1], w.shape[0] // groups
    if groups == 1:
        y = np.tensordot(w, win, axes=(w_axes, x_axes))
    else:
        y = np.empty((w.shape[0], xp.shape[0], *win.shape[2 : 2 + nd]), np.result_type(xp, w))
        for g in range(groups):
            wg = w[g * og : (g + 1) * og]
            y[g * og : (g + 1) * og] = np.tensordot(
                wg, win[:, g * cg : (g + 1) * cg], axes=(w_axes, x_axes)
            )
    return np.ascontiguousarray(np.moveaxis(y, 0, 1))


def _window(x: NDArray[Any], start: v.Ints, length: v.Ints) -> NDArray[Any]:
    """``x[..., start : start + length]`` per spatial axis, zero outside ``x``."""
    n = x.shape[2:]
    lo = [min(max(st, 0), m) for st, m in zip(start, n, strict=True)]
    hi = [max(min(st + ln, m), lo_) for st, ln, m, lo_ in zip(start, length, n, lo, strict=True)]
    inner: tuple[Any, ...] = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    pairs = tuple((a - st, st + ln - b) for a, b, st, ln in zip(lo, hi, start, length, strict=True))
    return pad_constant(x[(slice(None), slice(None), *inner)], pairs)


def _transpose_by_phase(x: NDArray[Any], w: NDArray[Any], geom: v.ConvGeom) -> NDArray[Any]:
    """Transposed convolution by its definition, gathered per output phase.

    By definition input ``i`` and tap ``t`` add ``x[i] w[t]`` into uncropped position
    ``p = i*s + t*d``.  The positions with ``p = r (mod s)`` receive exactly the taps with
    ``t*d = r (mod s)``, at ``p // s = i + (t*d) // s``; those offsets step by
    ``d / gcd(d, s)``, so on one phase the sum is a stride-1 correlation of ``x`` with these
    taps in reverse order, dilated by that step: one im2col product per phase (the output's
    ``p_b`` crop and ``output_padding`` only choose which positions of each phase are kept).
    """
    nd = x.ndim - 2
    k, s, d, pads, out = geom.kernel, geom.stride, geom.dilation, geom.pads, geom.out
    g = geom.groups
    cg, og = x.shape[1] // g, w.shape[1]
    # (C_in, C_out/g, *k) -> the correlation layout (C_out, C_in/g, *k), group by group
    wc = w.reshape((g, cg, og, *k)).swapaxes(1, 2).reshape((g * og, cg, *k))
    y = np.empty((x.shape[0], g * og, *out), dtype=np.result_type(x, w))
    for rho in np.ndindex(*s):
        # output q = rho + s*j (j < count) is uncropped p = q + p_b = s*(m0 + j) + r
        dst = (slice(None), slice(None), *(slice(rho[a], None, s[a]) for a in range(nd)))
        count = tuple(len(range(rho[a], out[a], s[a])) for a in range(nd))
        if 0 in count:
            continue
        r = [(rho[a] + pads[a][0]) % s[a] for a in range(nd)]
        m0 = [(rho[a] + pads[a][0]) // s[a] for a in range(nd)]
        taps = [[t for t in range(k[a]) if d[a] * t % s[a] == r[a]] for a in range(nd)]
        if not all(taps):
            y[dst] = 0
            continue
        step = tuple(d[a] // math.gcd(d[a], s[a]) for a in range(nd))
        last = [d[a] * taps[a][-1] // s[a] for a in range(nd)]
        sub = wc
        for a in range(nd):
            sub = np.take(sub, taps[a][::-1], axis=2 + a)
        # y_r[m0 + j] = sum_u sub[u] * x[m0 + j - last + u*step]
        xs = _window(
            x,
            tuple(m0[a] - last[a] for a in range(nd)),
            tuple(count[a] + (len(taps[a]) - 1) * step[a] for a in range(nd)),
        )
        y[dst] = _correlate(xs, sub, (1,) * nd, step, g)
    return y


def conv(
    x: ArrayLike,
    w: ArrayLike,
    stride: v.IntOrTuple = 1,
    padding: v.PadSpec | str = 0,
    dilation: v.IntOrTuple = 1,
    groups: int = 1,
    *,
    any_padding: bool = False,
) -> NDArray[Any]:
    """N-D cross-correlation ("convolution" in every DL framework), PyTorch semantics.

    ``y[n, o, j] = sum_{c, t} w[o, c, t] * x_pad[n, g(o) * C_in/groups + c, j*s + t*d]`` with
    ``g(o) = o // (C_out/groups)``; output size ``floor((n + p_b + p_e - d(k-1) - 1)/s) + 1``.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3],
    ...               [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]).reshape(1, 1, 5, 5)
    >>> k = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]]).reshape(1, 1, 3, 3)
    >>> numeric.conv(x, k)[0, 0]  # Dumoulin & Visin (2016), figure 1.1
    array([[12, 12, 17],
           [10, 17, 19],
           [ 9,  6, 14]])
    >>> numeric.conv(x, k, stride=2, padding=1)[0, 0]
    array([[ 6, 17,  3],
           [ 8, 17, 13],
           [ 6,  4,  4]])

    Parameters
    ----------
    x : array_like, shape ``(N, C_in, *spatial)``
        Float, integer or object (``int``, ``Fraction``, sympy numbers) data.
    w : array_like, shape ``(C_out, C_in/groups, *kernel)``
    stride, dilation : int or tuple of int
        Positive, one per spatial axis.
    padding : int, tuple of int, tuple of ``(before, after)`` pairs, 'valid' or 'same'
        'same' (stride 1 only) pads ``d(k-1)`` in total, ``total // 2`` before, as PyTorch.
    groups : int
        Must divide ``C_in`` and ``C_out``.
    any_padding : bool
        Accept negative pads, as JAX's ``lax.conv_general_dilated``: a negative pad removes
        that many input positions on its side (``lax.pad``); the padded size must still hold
        the kernel.

    Returns
    -------
    ndarray, shape ``(N, C_out, *out)``, dtype ``np.result_type(x, w)`` (integers stay exact).

    Raises
    ------
    InvalidSpecError
        For bad parameters, mismatched shapes, or a kernel larger than the padded input.
    """
    xa, wa = v.array("x", x), v.array("w", w, "(C_out, C_in/groups, *kernel)")
    geom = v.conv_geom(xa.shape, wa.shape, stride, padding, dilation, groups,
                       any_padding=v.check_bool("any_padding", any_padding))
    dt = np.result_type(xa, wa)
    xp = pad_constant(xa.astype(dt, copy=False), geom.pads)
    return _correlate(xp, wa.astype(dt, copy=False), geom.stride, geom.dilation, geom.groups)


def conv_transpose(
    x: ArrayLike,
    w: ArrayLike,
    stride: v.IntOrTuple = 1,
    padding: v.PadSpec = 0,
    output_padding: v.IntOrTuple = 0,
    dilation: v.IntOrTuple = 1,
    groups: int = 1,
) -> NDArray[Any]:
    """N-D transposed convolution, by its scatter-add definition (PyTorch semantics).

    Input position ``i`` with tap ``t`` adds ``x[i] * w[t]`` into output position
    ``i*s - p_b + d*t``; the output has size ``(n-1)s - p_b - p_e + d(k-1) + 1 + output_padding``
    (the output padding is appended at the end).  Output padding must be smaller than the stride
    or the dilation (PyTorch's rule); only ``output_padding < stride`` keeps the result the
    adjoint of ``conv`` with the same parameters.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.array([[[1, 2, 3]]])
    >>> numeric.conv_transpose(x, np.array([[[1, 10]]]), stride=2)
    array([[[ 1, 10,  2, 20,  3, 30]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C_in, *spatial)``
    w : array_like, shape ``(C_in, C_out/groups, *kernel)``
    stride, dilation : int or tuple of int
        Positive, one per spatial axis.
    padding : int, tuple of int or tuple of ``(before, after)`` pairs
        Removed from the full output (``p_b`` at the start, ``p_e`` at the end).
    output_padding : int or tuple of int
        Extra size at the end of each axis.
    groups : int
        Must divide ``C_in``.

    Returns
    -------
    ndarray, shape ``(N, C_out, *out)``, dtype ``np.result_type(x, w)``.

    Raises
    ------
    InvalidSpecError
        For bad parameters or shapes, or a non-positive output size.
    """
    xa, wa = v.array("x", x), v.array("w", w, "(C_in, C_out/groups, *kernel)")
    geom, _ = v.conv_transpose_geom(
        xa.shape, wa.shape, stride, padding, output_padding, dilation, groups
    )
    dt = np.result_type(xa, wa)
    return _transpose_by_phase(xa.astype(dt, copy=False), wa.astype(dt, copy=False), geom)


def conv_grad_input(
    grad_out: ArrayLike,
    w: ArrayLike,
    input_size: Sequence[int],
    stride: v.IntOrTuple = 1,
    padding: v.PadSpec | str = 0,
    dilation: v.IntOrTuple = 1,
    groups: int = 1,
) -> NDArray[Any]:
    """Gradient of ``conv`` with respect to its input, computed as a transposed convolution.

    The transposed conv with the conv's own weight and parameters and output padding
    ``a = (n + p_b + p_e - d(k-1) - 1) mod s`` per axis restores the input size ``n`` and is
    the adjoint of the conv (theorem T03), so it is the input gradient.

    >>> import numpy as np
    >>> from symconv import numeric
    >>> w = np.array([[[1, 2, 3]]])
    >>> numeric.conv_grad_input(np.array([[[1, 1]]]), w, input_size=(5,), stride=2)
    array([[[1, 2, 4, 2, 3]]])

    Parameters
    ----------
    grad_out : array_like, shape ``(N, C_out, *out)``
        Gradient of the loss with respect to the conv output.
    w : array_like, shape ``(C_out, C_in/groups, *kernel)``
        The conv weight.
    input_size : tuple of int
        The conv input's spatial size, or its full shape ``(N, C_in, *spatial)``; needed
        because a strided conv maps ``s`` input sizes to the same output size.
    stride, padding, dilation, groups
        As in :func:`conv` (padding may be 'valid' or 'same').

    Returns
    -------
    ndarray, shape ``(N, C_in, *input_size)``.

    Raises
    ------
    InvalidSpecError
        For bad parameters, or when ``grad_out`` is not the conv output shape.
    """
    go, wa = v.array("grad_out", grad_out), v.array("w", w, "(C_out, C_in/groups, *kernel)")
    geom, n = v.grad_input_geom(go, wa, input_size, stride, padding, dilation, groups)
    a = tuple(
        (n[i] + pb + pe - d * (k - 1) - 1) % s
        for i, ((pb, pe), d, k, s) in enumerate(
            zip(geom.pads, geom.dilation, geom.kernel, geom.stride, strict=True)
        )
    )
    return conv_transpose(go, wa, geom.stride, geom.pads, a, geom.dilation, geom.groups)


def conv_grad_weight(
    x: ArrayLike,
    grad_out: ArrayLike,
    kernel_size: Sequence[int],
    stride: v.IntOrTuple = 1,
    padding: v.PadSpec | str = 0,
    dilation: v.IntOrTuple = 1,
    groups: int = 1,
) -> NDArray[Any]:
    """Gradient of ``conv`` with respect to its weight: a correlation, stride and dilation swapped.

    ``dW[o, c, t] = sum_{n, j} g[n, o, j] * x_pad[n, c, j*s + t*d]``: per group, the padded
    input (channels as batch, batch as channels) is correlated with ``grad_out`` used as a
    kernel dilated by ``s``, sampled with step ``d``, then cropped to ``kernel_size``
    (theorem T04).

    >>> import numpy as np
    >>> from symconv import numeric
    >>> x = np.arange(5).reshape(1, 1, 5)
    >>> numeric.conv_grad_weight(x, np.array([[[1, 1]]]), kernel_size=(3,), stride=2)
    array([[[2, 4, 6]]])

    Parameters
    ----------
    x : array_like, shape ``(N, C_in, *spatial)``
        The conv input.
    grad_out : array_like, shape ``(N, C_out, *out)``
    kernel_size : tuple of int
        The kernel's spatial size, or the full weight shape ``(C_out, C_in/groups, *kernel)``.
    stride, padding, dilation, groups
        As in :func:`conv`.

    Returns
    -------
    ndarray, shape ``(C_out, C_in/groups, *kernel_size)``.

    Raises
    ------
    InvalidSpecError
        For bad parameters, or when ``grad_out`` is not the conv output shape.
    """
    xa, go = v.array("x", x), v.array("grad_out", grad_out)
    geom = v.grad_weight_geom(xa, go, kernel_size, stride, padding, dilation, groups)
    dt = np.result_type(xa, go)
    xp = pad_constant(xa.astype(dt, copy=False), geom.pads)
    go = go.astype(dt, copy=False)
    g = geom.groups
    cg, og = xa.shape[1] // g, go.shape[1] // g
    crop = (slice(None), slice(None), *(slice(0, k) for k in geom.kernel))
    parts = []
    for gi in range(g):
        xg = np.swapaxes(xp[:, gi * cg : (gi + 1) * cg], 0, 1)  # (C_g, N, *L)
        gg = np.swapaxes(go[:, gi * og : (gi + 1) * og], 0, 1)  # (O_g, N, *out)
        r = _correlate(xg, gg, stride=geom.dilation, dilation=geom.stride, groups=1)
        parts.append(np.swapaxes(r[crop], 0, 1))
    return np.ascontiguousarray(np.concatenate(parts, axis=0))
