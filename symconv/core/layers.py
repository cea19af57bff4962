"""Index structures of every layer, computed with numpy in O(nnz).

Each builder takes a :mod:`symconv.spec` layer and the input shape ``(C, *spatial)`` of one
sample and returns an :class:`~symconv.core.index.IndexMap`.  The per-axis index arithmetic is
done once per axis (a few thousand entries at most) and combined across axes and channels by
broadcasting, so the cost is proportional to the number of entries.

>>> from symconv.spec import Conv
>>> m = conv_map(Conv(kernel=3), (1, 4, 4), out_channels=1)
>>> m.shape, m.nnz
((4, 16), 36)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core.budget import BYTES_PER_ENTRY, check_budget
from symconv.core.index import IndexMap, WeightRef
from symconv.core.separable import CHUNK as CHUNK_ENTRIES
from symconv.core.separable import CHUNK_BYTES, check_indexable, separable_map
from symconv.core.separable import input_shape_of as _shape
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.jax_pads import check_pool_windows
from symconv.sizes.shapes import Resolved, resolve, slice_start
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    CoordinateMode,
    MaxPool,
    MaxUnpool,
    NearestMode,
    PaddingFill,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
    ShuffleOrder,
    Slice,
    parse_enum,
)

__all__ = [
    "avg_pool_map",
    "conv_map",
    "conv_transpose_map",
    "max_pool_selection_map",
    "max_unpool_map",
    "pixel_shuffle_map",
    "pixel_unshuffle_map",
    "resize_map",
    "slice_map",
]

_I64 = np.int64
Axis = tuple[NDArray[np.int64], ...]  # per-axis parallel arrays


def _combine(axes: Sequence[Axis], sizes: Sequence[Sequence[int]]) -> list[NDArray[np.int64]]:
    """Cartesian product of per-axis entry lists; each component raveled over its sizes.

    ``axes[a]`` holds parallel arrays (one per component, e.g. output index, tap, input index)
    for axis ``a``; ``sizes[j]`` gives the per-axis extents of component ``j``.
    """
    nd = len(axes)
    out = []
    for j, extents in enumerate(sizes):
        if not nd:
            out.append(np.zeros(1, _I64))
            continue
        # C-order flat index = sum_a part_a * stride_a, built as a broadcast outer sum (one
        # pass per axis over the result) instead of gathering through an index grid.
        flat = np.zeros((1,) * nd, _I64)
        stride = 1
        for a in range(nd - 1, -1, -1):
            shape = [1] * nd
            shape[a] = -1
            flat = flat + (np.asarray(axes[a][j], _I64) * stride).reshape(shape)
            stride *= int(extents[a])
        out.append(flat.ravel())
    return out


def _window_axis(o: int, k: int, s: int, pb: int, d: int) -> tuple[NDArray[Any], ...]:
    """All (output, tap, padded-input position) triples of one axis (position may be outside)."""
    oo, tt = np.meshgrid(np.arange(o, dtype=_I64), np.arange(k, dtype=_I64), indexing="ij")
    return oo.ravel(), tt.ravel(), (oo * s - pb + tt * d).ravel()


def _fill(pos: NDArray[Any], n: int, fill: PaddingFill) -> tuple[NDArray[Any], NDArray[Any]]:
    """Map padded positions to input positions per padding mode; returns (keep mask, source)."""
    if fill is PaddingFill.ZEROS:
        keep = (pos >= 0) & (pos < n)
        return keep, pos
    if fill is PaddingFill.REPLICATE:
        return np.ones(pos.size, bool), np.clip(pos, 0, n - 1)
    if fill is PaddingFill.CIRCULAR:
        return np.ones(pos.size, bool), np.mod(pos, n)
    if n == 1:  # reflect: NumPy repeats the single sample
        return np.ones(pos.size, bool), np.zeros_like(pos)
    # reflect without the edge sample, period 2(n-1) (a single reflection within PyTorch's
    # limit pad < n; NumPy's 'reflect', flax's 'REFLECT', reflects again past it)
    src = np.mod(pos, 2 * (n - 1))
    return np.ones(pos.size, bool), np.where(src >= n, 2 * (n - 1) - src, src)


def _check_fill(fill: PaddingFill, pads: Sequence[tuple[int, int]], sizes: Sequence[int]) -> None:
    """PyTorch's limits of its padding modes (flax's fills, NumPy's modes, have none)."""
    for (b, e), n in zip(pads, sizes, strict=True):
        if fill is PaddingFill.REFLECT and max(b, e) >= n:
            raise InvalidSpecError(
                f"padding=({b},{e}) must be smaller than the input size {n} for "
                "padding_mode='reflect' (PyTorch: padding size should be less than the "
                "corresponding input dimension)"
            )
        if fill is PaddingFill.CIRCULAR and max(b, e) > n:
            raise InvalidSpecError(
                f"padding=({b},{e}) must be at most the input size {n} for "
                "padding_mode='circular'"
            )


def _channels(name: str, value: int | None, groups: int, default: int | None = None) -> int:
    if value is None:
        if default is None:
            raise InvalidSpecError(f"{name}=None must be given to build the map")
        value = default
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidSpecError(f"{name}={value!r} must be a positive integer")
    if value % groups:
        raise InvalidSpecError(f"groups={groups} must divide {name}={value}")
    return int(value)


# --------------------------------------------------------------------------- convolutions


def conv_map(
    layer: Conv,
    input_shape: Sequence[int],
    out_channels: int | None = None,
    *,
    weight_name: str = "w",
    max_nnz: int | None = None,
    view: str = "numeric",
    max_memory: int | None = None,
) -> IndexMap:
    """Convolution (cross-correlation) with weight ``(C_out, C_in/groups, *k)``.

    Output ``(co, o)`` receives input ``(ci, o*s - p_b + t*d)`` through tap
    ``w[co, ci mod (C_in/g), t]`` for every ``ci`` in the group of ``co``; with a non-zero
    ``padding_mode`` padded positions map back into the input (reflect/replicate/circular).
    Budgets: ``max_nnz`` entries of ``view`` and ``max_memory`` bytes
    (:func:`~symconv.core.budget.check_budget`), checked before any O(nnz) allocation.
    """
    c_in, sizes = _shape(input_shape)
    r = resolve(layer, sizes)
    layer = r.layer  # broadcast to the input's rank
    g = layer.groups
    c_in = _channels("in_channels", c_in, g)
    if layer.in_channels is not None and layer.in_channels != c_in:
        raise InvalidSpecError(
            f"in_channels={layer.in_channels} must equal the input's channel count {c_in}"
        )
    c_out = _channels("out_channels", out_channels or layer.out_channels, g)
    cin_g, cout_g = c_in // g, c_out // g
    fill = layer.padding_mode
    if layer.convention is Convention.TORCH:
        _check_fill(fill, r.pads, sizes)
    ks = layer.kernel
    spatial = prod(r.output) * prod(ks)
    window = sum(o * k for o, k in zip(r.output, ks, strict=True))  # per-axis tables
    _check_conv_budget("conv", c_out, c_in, c_out * cin_g, spatial, window, r.output, sizes,
                       max_nnz, view, max_memory)
    axes = []
    for a, n in enumerate(sizes):
        o, t, pos = _window_axis(r.output[a], ks[a], layer.stride[a], r.pads[a][0],
                                 layer.dilation[a])
        keep, src = _fill(pos, n, fill)
        axes.append((o[keep], t[keep], src[keep]))
    out_f, tap_f, in_f = _combine(axes, [r.output, ks, sizes])
    n_out, n_in, n_k = prod(r.output), prod(sizes), prod(ks)
    shape = (c_out * n_out, c_in * n_in)
    w = WeightRef(weight_name, (c_out, cin_g, *ks))
    if c_out == cin_g == 1:  # one channel: the spatial arrays are the map (no copies)
        return IndexMap.from_arrays(shape, out_f, in_f, tap_f, weights=(w,),
                                    in_shape=(c_in, *sizes), out_shape=(c_out, *r.output))
    co = np.arange(c_out, dtype=_I64)[:, None, None]
    cl = np.arange(cin_g, dtype=_I64)[None, :, None]
    ci = (co // cout_g) * cin_g + cl
    rows, cols, taps = _channel_mix((c_out, cin_g, out_f.size), (co * n_out, out_f),
                                    (ci * n_in, in_f), ((co * cin_g + cl) * n_k, tap_f))
    return IndexMap.from_arrays(shape, rows, cols, taps, weights=(w,),
                                in_shape=(c_in, *sizes), out_shape=(c_out, *r.output))


def _check_conv_budget(what: str, c_out: int, c_in: int, pairs: int, spatial: int,
                       window: int, out_sizes: Sequence[int], in_sizes: Sequence[int],
                       max_nnz: int | None, view: str, max_memory: int | None) -> None:
    """The budgets of a (transposed) convolution: ``pairs`` channel pairs times ``spatial``
    entries (an upper bound: taps falling in the padding are counted); the per-axis window
    tables (``window`` entries in all) and, with several channels, the spatial arrays are
    counted besides the entries."""
    check_budget(pairs * spatial, max_nnz, view, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-conv"],
                 extra_bytes=64 * window + (24 * spatial if pairs > 1 else 0))
    check_indexable(f"this {what} map", max(c_out, c_in), out_sizes, in_sizes)


def _channel_mix(shape: tuple[int, int, int], *parts: tuple[NDArray[Any], NDArray[Any]]
                 ) -> list[NDArray[np.int64]]:
    """``channel_part + spatial_part`` for each (rows, cols, taps) component, written straight
    into one flat array of ``shape`` each (no broadcast temporaries)."""
    out = []
    for chan, spatial in parts:
        full = np.empty(shape, _I64)
        np.add(chan, spatial[None, None, :], out=full)
        out.append(full.reshape(-1))
    return out


def conv_transpose_map(
    layer: ConvTranspose,
    input_shape: Sequence[int],
    out_channels: int | None = None,
    *,
    weight_name: str = "w",
    max_nnz: int | None = None,
    view: str = "numeric",
    max_memory: int | None = None,
) -> IndexMap:
    """Transposed convolution with weight ``(C_in, C_out/groups, *k)`` (PyTorch layout).

    Input ``(ci, i)`` is scattered to output ``(co, i*s - p_b + t*d)`` through
    ``w[ci, co mod (C_out/g), t]``; positions cropped by the padding are dropped and the
    output padding appends never-written positions at the end.  flax's ``'CIRCULAR'`` folds
    the full output instead: position ``j`` lands on ``(offset + j) mod period`` (no two taps
    of one input meet there, so every entry stays one weight).
    """
    c_in, sizes = _shape(input_shape)
    r = resolve(layer, sizes)
    layer = r.layer
    g = layer.groups
    c_in = _channels("in_channels", c_in, g)
    if layer.in_channels is not None and layer.in_channels != c_in:
        raise InvalidSpecError(
            f"in_channels={layer.in_channels} must equal the input's channel count {c_in}"
        )
    c_out = _channels("out_channels", out_channels or layer.out_channels, g)
    cin_g, cout_g = c_in // g, c_out // g
    ks = layer.kernel
    window = sum(n * k for n, k in zip(sizes, ks, strict=True))  # per-axis tables
    _check_conv_budget("conv-transpose", c_out, c_in, c_in * cout_g, prod(sizes) * prod(ks),
                       window, r.output, sizes, max_nnz, view, max_memory)
    axes = []
    folds = r.folds or (None,) * len(sizes)
    for a, n in enumerate(sizes):
        fold = folds[a]
        pb = 0 if fold is not None else r.applied_pads[a][0]
        i, t, j = _window_axis(n, ks[a], layer.stride[a], pb, layer.dilation[a])
        if fold is not None:
            assert fold[0] is not None  # concrete sizes: the offset is known
            j = (int(fold[0]) + j) % int(fold[1])
        keep = (j >= 0) & (j < r.output[a])
        axes.append((j[keep], t[keep], i[keep]))
    out_f, tap_f, in_f = _combine(axes, [r.output, ks, sizes])
    n_out, n_in, n_k = prod(r.output), prod(sizes), prod(ks)
    w = WeightRef(weight_name, (c_in, cout_g, *ks))
    if c_in == cout_g == 1:  # one channel: the spatial arrays are the map (no copies)
        return IndexMap.from_arrays((n_out, n_in), out_f, in_f, tap_f, weights=(w,),
                                    in_shape=(c_in, *sizes), out_shape=(c_out, *r.output))
    ci = np.arange(c_in, dtype=_I64)[:, None, None]
    cl = np.arange(cout_g, dtype=_I64)[None, :, None]
    co = (ci // cin_g) * cout_g + cl
    rows, cols, taps = _channel_mix((c_in, cout_g, out_f.size), (co * n_out, out_f),
                                    (ci * n_in, in_f), ((ci * cout_g + cl) * n_k, tap_f))
    return IndexMap.from_arrays((c_out * n_out, c_in * n_in), rows, cols, taps, weights=(w,),
                                in_shape=(c_in, *sizes), out_shape=(c_out, *r.output))


# --------------------------------------------------------------------------- channel-diagonal maps


def _separable(channels: int, out_sizes: Sequence[int], in_sizes: Sequence[int],
               axes: Sequence[tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]],
               ) -> IndexMap:
    """Tensor product of per-axis maps given as (out, in, num, den) arrays, in canonical form
    (:func:`symconv.core.separable.separable_map`)."""
    return separable_map(channels, out_sizes, in_sizes, axes)


def _check_separable_budget(what: str, channels: int, out_sizes: Sequence[int],
                            in_sizes: Sequence[int], per_axis: Sequence[int], weighted: bool,
                            max_nnz: int | None, max_memory: int | None,
                            axis_bytes: int = 200) -> None:
    """The budgets of a separable map: ``channels * prod(per_axis)`` entries (``per_axis``: a
    bound on each axis's entries), rows and columns (and exact coefficients when
    ``weighted``) per entry, the per-axis tables (``axis_bytes`` per entry of an axis: they
    dominate a 1-D map) and one chunk of the product besides."""
    per_entry = BYTES_PER_ENTRY["build-separable"] + (
        BYTES_PER_ENTRY["coefficients"] if weighted else 0)
    check_budget(channels * prod(per_axis), max_nnz, max_memory=max_memory, per_entry=per_entry,
                 extra_bytes=CHUNK_BYTES + axis_bytes * sum(per_axis))
    check_indexable(f"this {what} map", channels, out_sizes, in_sizes)


def _check_pool_windows(r: Resolved) -> None:
    """JAX pooling: no map where a window reads only padding (``-inf`` or NaN there)."""
    for a, n in enumerate(r.input):
        where = "" if len(r.input) == 1 else f" on axis {a}"
        check_pool_windows(r.layer, n, r.pads[a], r.output[a], a, where)


def avg_pool_map(
    layer: AvgPool, input_shape: Sequence[int], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Average pooling with exact ``1/divisor`` coefficients.

    The divisor follows PyTorch: with ``count_include_pad`` the window clipped to the padded
    input (``min(start + k, n + p_e) - start`` per axis, so ceil-mode windows hanging past the
    end count less), otherwise the number of real input positions in the window.
    """
    c, sizes = _shape(input_shape)
    r = resolve(layer, sizes)
    layer = r.layer
    _check_pool_windows(r)
    _check_separable_budget("avg-pool", c, r.output, sizes, [
        o * k for o, k in zip(r.output, layer.kernel, strict=True)], True, max_nnz, max_memory,
        axis_bytes=80)
    axes = []
    for a, n in enumerate(sizes):
        pb, pe = r.pads[a]
        k, d = layer.kernel[a], layer.dilation[a]
        o, _, pos = _window_axis(r.output[a], k, layer.stride[a], pb, d)
        inside = (pos >= 0) & (pos < n)
        if layer.count_include_pad:
            counted = (pos >= -pb) & (pos < n + pe)
        else:
            counted = inside
        div = np.bincount(o[counted], minlength=r.output[a]).astype(_I64)
        if np.any(div[o[inside]] == 0):  # cannot happen for valid specs
            raise InvalidSpecError("avg-pool window with no counted position")
        axes.append((o[inside], pos[inside], np.ones(int(inside.sum()), _I64), div[o[inside]]))
    return _separable(c, r.output, sizes, axes)


def max_pool_selection_map(
    layer: MaxPool, x: NDArray[Any], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """The 0/1 selection matrix ``S(x)`` of max pooling at the sample ``x`` (shape (C, *n)):
    ``maxpool(x) = S(x) x``; row ``o`` has a single 1 at the arg-max PyTorch reports (the
    first maximum, as onnxruntime too).  Padding follows the layer's convention: PyTorch allows
    ``kernel // 2`` per side, ONNX up to ``kernel - 1``, JAX any pads (a negative one crops;
    :func:`~symconv.sizes.jax_pads.check_pool_windows` refuses a window reading only padding,
    where JAX gives ``-inf``)."""
    from symconv.numeric._pool import max_pool_indices

    arr = np.asarray(x)
    c, sizes = _shape(arr.shape)
    r = resolve(layer, sizes)
    layer = r.layer
    _check_pool_windows(r)
    check_indexable("this max-pool map", c, r.output, sizes)
    padded = any(p for pair in r.pads for p in pair)  # the reference op pads a copy of x
    check_budget(c * prod(r.output), max_nnz, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-selection"],
                 extra_bytes=arr.nbytes if padded else 0)
    idx = max_pool_indices(arr[None], layer.kernel, layer.stride, tuple(r.pads),
                           layer.dilation, layer.ceil_mode,
                           any_padding=layer.convention is Convention.JAX)  # JAX: no limit
    if idx.shape[2:] != tuple(r.output):  # the reference op's size rule must be the layer's
        raise UnsupportedError(
            f"layer={layer!r} has output {r.output} but the max-pool reference op gives "
            f"{idx.shape[2:]}: its selection map is not modelled"
        )
    flat = np.asarray(idx, dtype=_I64).reshape(c, -1)
    n_out, n_in = prod(r.output), prod(sizes)
    ch = np.arange(c, dtype=_I64)[:, None]
    rows = (ch * n_out + np.arange(n_out, dtype=_I64)[None, :]).ravel()
    cols = (ch * n_in + flat).ravel()
    return IndexMap.from_arrays((c * n_out, c * n_in), rows, cols,
                                in_shape=(c, *sizes), out_shape=(c, *r.output))


def max_unpool_map(
    layer: MaxUnpool, indices: NDArray[Any], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Max-unpooling for given switches ``indices`` (shape (C, *o), flat positions in each
    output plane, PyTorch semantics); repeated indices sum (where PyTorch is nondeterministic)."""
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise InvalidSpecError(f"indices dtype={idx.dtype} must be an integer type")
    c, sizes = _shape(idx.shape)
    r = resolve(layer, sizes)
    n_out, n_in = prod(r.output), prod(sizes)
    flat = idx.reshape(c, -1).astype(_I64)
    if flat.size and (flat.min() < 0 or flat.max() >= n_out):
        bad = int(flat.max() if flat.max() >= n_out else flat.min())
        raise InvalidSpecError(
            f"indices={bad} must lie in [0, {n_out}) (the output plane of size "
            f"{'x'.join(map(str, r.output))})"
        )
    check_indexable("this max-unpool map", c, r.output, sizes)
    check_budget(c * n_in, max_nnz, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-unpool"])
    ch = np.arange(c, dtype=_I64)[:, None]
    rows = (ch * n_out + flat).ravel()
    cols = (ch * n_in + np.arange(n_in, dtype=_I64)[None, :]).ravel()
    return IndexMap.from_arrays((c * n_out, c * n_in), rows, cols,
                                in_shape=(c, *sizes), out_shape=(c, *r.output))


# --------------------------------------------------------------------------- resizing


def _scale_fraction(layer: Resize, a: int, n: int, o: int) -> Fraction:
    """Input/output coordinate scale as PyTorch uses it: 1/scale_factor if given, else n/o
    (always n/o under tensorflow, keras and jax: their resize APIs take sizes)."""
    if layer.scale_factor is not None and layer.convention in (Convention.TORCH, Convention.ONNX):
        sf = layer.scale_factor[a]
        # A float factor is read as the simplest fraction within 1e-12 of it (2.5 -> 5/2,
        # 0.1*7 -> 7/10): the exact map of the intended factor, which PyTorch's floating-point
        # arithmetic approximates to rounding error.  Use a Fraction to be explicit.
        return 1 / (_float_fraction(sf) if isinstance(sf, float) else Fraction(sf))
    return Fraction(n, o)


def _float_fraction(value: float) -> Fraction:
    """The simplest fraction (smallest denominator <= 10**6) within 1e-12 relative of ``value``."""
    exact = Fraction(value)
    near = exact.limit_denominator(10**6)
    if abs(near - exact) > abs(exact) * Fraction(1, 10**12):
        raise UnsupportedError(
            f"scale_factor={value!r} has no simple rational value; give it as a Fraction"
        )
    return near


def _source_coordinate(
    mode: CoordinateMode, dst: NDArray[Any], n: int, o: int, scale: Fraction
) -> tuple[NDArray[Any], int]:
    """Exact source coordinates ``num / den`` (numerators returned with a common ``den``)."""
    p, q = scale.numerator, scale.denominator
    if mode is CoordinateMode.ALIGN_CORNERS:
        if o == 1:
            return np.zeros_like(dst), 1
        return dst * (n - 1), o - 1
    if mode is CoordinateMode.ASYMMETRIC:
        return dst * p, q
    if mode is CoordinateMode.PYTORCH_HALF_PIXEL and o == 1:
        return np.zeros_like(dst), 1
    # half pixel: (dst + 1/2) * p/q - 1/2 = ((2 dst + 1) p - q) / (2 q)
    return (2 * dst + 1) * p - q, 2 * q


def _torch_channels_last_kernel(c: int, sizes: Sequence[int], out: Sequence[int]) -> bool:
    """Whether PyTorch's CPU nearest resize of a contiguous ``(N, c, *sizes)`` tensor runs the
    channels-last kernel (UpSampleKernel.cpp, ``_use_vectorized_kernel_cond_2d/3d``): the input
    is also channels-last contiguous (all spatial sizes 1) with ``c > 3``, or, in 2-D, the
    output's ``H + W <= 128``."""
    nd = len(sizes)
    if nd not in (2, 3):
        return False
    return (c > 3 and all(n == 1 for n in sizes)) or (nd == 2 and sum(out) <= 128)


def _nearest_axis(layer: Resize, a: int, n: int, o: int, cl: bool) -> NDArray[np.int64]:
    """Source index of every output: the exact source coordinate of the layer's coordinate
    mode, rounded by its nearest mode, clamped into ``[0, n)``.

    PyTorch ``nearest`` is asymmetric + floor, ``nearest-exact`` half_pixel +
    round_prefer_ceil (``floor((dst + 1/2) * scale)``); ONNX's default is half_pixel +
    round_prefer_floor.  A float factor in PyTorch's own pairs follows PyTorch's float kernels
    (:func:`_float_nearest`); every other case is exact (a float read as its simple fraction).
    """
    dst = np.arange(o, dtype=_I64)
    sf = None if layer.scale_factor is None else layer.scale_factor[a]
    cm, nm = layer.coordinate_mode, layer.nearest_mode
    torch_pair = (cm, nm) in ((CoordinateMode.ASYMMETRIC, NearestMode.FLOOR),
                              (CoordinateMode.HALF_PIXEL, NearestMode.ROUND_PREFER_CEIL))
    if isinstance(sf, float) and layer.convention is Convention.TORCH and torch_pair:
        return np.clip(_float_nearest(nm, dst, n, o, sf, cl), 0, n - 1)
    num, den = _source_coordinate(cm, dst, n, o, _scale_fraction(layer, a, n, o))
    low = num // den
    twice_rem = 2 * (num - low * den)  # 2 * frac * den, frac in [0, 1)
    if nm is NearestMode.FLOOR:
        src = low
    elif nm is NearestMode.CEIL:
        src = low + (twice_rem > 0)
    elif nm is NearestMode.ROUND_PREFER_FLOOR:
        src = low + (twice_rem > den)
    else:  # ROUND_PREFER_CEIL
        src = low + (twice_rem >= den)
    return np.clip(src, 0, n - 1).astype(_I64)


def _float_nearest(
    nm: NearestMode, dst: NDArray[Any], n: int, o: int, sf: float, cl: bool
) -> NDArray[np.int64]:
    """Nearest sources for a float factor, reproducing PyTorch's float64 CPU kernels.

    Generic kernel: ``floorf((dst + h) * (1.0 / sf))`` (product in double, rounded to float
    before the floor).  Channels-last kernel (``cl``): ``nearest`` copies when ``o == n``,
    shifts when ``o == 2n``, else ``floorf((float)dst * (float)(1.0 / sf))``; ``nearest-exact``
    takes ``floorf((dst + 0.5) * (double)(float)(1.0 / sf))``.
    """
    exact_mode = nm is NearestMode.ROUND_PREFER_CEIL
    real: NDArray[Any]
    if not cl:
        real = (dst + (0.5 if exact_mode else 0.0)) * (1.0 / sf)
    elif exact_mode:
        real = (dst + 0.5) * np.float64(np.float32(1.0 / sf))
    elif o == n:
        return dst.copy()
    elif o == 2 * n:
        return dst // 2
    else:
        real = dst.astype(np.float32) * np.float32(1.0 / sf)
    return np.floor(np.asarray(real).astype(np.float32)).astype(_I64)


def _linear_axis(layer: Resize, a: int, n: int, o: int) -> tuple[Any, Any, Any, Any]:
    dst = np.arange(o, dtype=_I64)
    if o == n and layer.convention is Convention.TORCH:
        # PyTorch copies an axis whose length does not change, whatever the scale factor
        # (compute_source_index_and_lambda: "if (output_size == input_size) ... simply copy")
        one = np.ones(o, _I64)
        return dst, dst.copy(), one, one
    num, den = _source_coordinate(layer.coordinate_mode, dst, n, o,
                                  _scale_fraction(layer, a, n, o))
    num = np.maximum(num, 0)  # PyTorch clamps negative half-pixel coordinates to 0
    x0 = num // den
    frac = num - x0 * den  # lambda = frac / den
    x1 = np.minimum(x0 + 1, n - 1)
    x0 = np.minimum(x0, n - 1)
    out = np.concatenate([dst, dst])
    src = np.concatenate([x0, x1])
    nu = np.concatenate([den - frac, frac])
    de = np.full(out.size, den, dtype=_I64)
    keep = nu != 0
    return out[keep], src[keep], nu[keep], de[keep]


def _keys_weights(r: NDArray[Any], q: int, a: Fraction) -> tuple[NDArray[Any], int]:
    """Keys' cubic weights of the taps ``-1, 0, 1, 2`` at ``t = r / q``, as numerators over
    the common denominator ``den = a.denominator * q**3``: shape ``(4, len(r))``.

    ``W(x) = (a+2)|x|^3 - (a+3)|x|^2 + 1`` for ``|x| <= 1``, ``a|x|^3 - 5a|x|^2 + 8a|x| - 4a``
    for ``1 < |x| < 2``; tap ``k`` sits at distance ``|t - k|``, i.e. ``u / q`` with ``u`` =
    ``q + r``, ``r``, ``q - r``, ``2q - r``.  Multiplying by ``den`` keeps every term an integer.
    """
    al, be = a.numerator, a.denominator
    near = [r, q - r]  # |x| <= 1
    far = [q + r, 2 * q - r]  # 1 <= |x| <= 2 (both formulas give 0 at |x| = 1)

    def w_near(u: NDArray[Any]) -> NDArray[Any]:
        return ((al + 2 * be) * u - (al + 3 * be) * q) * u * u + be * q**3

    def w_far(u: NDArray[Any]) -> NDArray[Any]:
        return al * (((u - 5 * q) * u + 8 * q * q) * u - 4 * q**3)

    return np.stack([w_far(far[0]), w_near(near[0]), w_near(near[1]), w_far(far[1])]), be * q**3


def _cubic_axis(layer: Resize, a: int, n: int, o: int) -> tuple[Any, Any, Any, Any]:
    """One axis of a cubic resize: 4 taps ``floor(src) - 1 .. floor(src) + 2`` per output with
    Keys' weights at ``t = src - floor(src)``, ``src`` the exact source coordinate (not clamped:
    PyTorch's ``area_pixel_compute_source_index(..., cubic=true)``, ONNX's spec).

    Border: taps outside ``[0, n)`` read the nearest edge sample (PyTorch
    ``upsample_value_bounded``, onnxruntime ``GetDataForCoordinate``, the ONNX reference's edge
    padding), their weights added to it; with ``exclude_outside`` (ONNX) they get weight 0
    and the others are divided by their sum.  Exact: int64 numerators and denominators, or
    :class:`~symconv.errors.UnsupportedError` when they would not fit.
    """
    coeff = Fraction(layer.cubic_coeff_a)
    scale = _scale_fraction(layer, a, n, o)
    _, q = _source_coordinate(layer.coordinate_mode, np.zeros(1, _I64), n, o, scale)
    al, be = abs(coeff.numerator), coeff.denominator
    # every intermediate of _keys_weights is at most 36 (|al| + 3 be) q^3 in magnitude, and
    # exclude_outside sums four weights
    if 4 * 36 * (al + 3 * be) * q**3 >= 2**62:
        raise UnsupportedError(
            f"cubic resize of size {n} -> {o}: exact weights need denominators up to "
            f"{be * q**3:,} (coordinate denominator {q}, cubic_coeff_a={coeff}), beyond int64; "
            "use a scale factor with a smaller denominator"
        )
    dst = np.arange(o, dtype=_I64)
    num, den = _source_coordinate(layer.coordinate_mode, dst, n, o, scale)
    base = num // den
    w, wden = _keys_weights(num - base * den, int(den), coeff)  # (4, o)
    taps = base[None, :] + np.arange(-1, 3, dtype=_I64)[:, None]  # (4, o)
    inside = (taps >= 0) & (taps < n)
    if layer.exclude_outside:
        w = np.where(inside, w, 0)
        total = w.sum(axis=0)
        if np.any(total == 0):
            j = int(np.flatnonzero(total == 0)[0])
            raise UnsupportedError(
                f"exclude_outside=1 with cubic_coeff_a={coeff}: output {j} of size {n} -> {o} "
                "has zero total weight inside the input (ONNX divides by zero there)"
            )
        dens = np.broadcast_to(total, w.shape)
    else:
        dens = np.full(w.shape, wden, dtype=_I64)
    src = np.clip(taps, 0, n - 1)
    out = np.broadcast_to(dst, w.shape)
    # merge the taps that clamp onto one input sample (same output, same denominator)
    key = (out * n + src).ravel()
    order = np.argsort(key, kind="stable")
    from symconv.core.resample import merge_taps

    return merge_taps(key[order], w.ravel()[order], dens.ravel()[order], n)


def resize_map(layer: Resize, input_shape: Sequence[int], *, max_nnz: int | None = None,
               max_memory: int | None = None) -> IndexMap:
    """Nearest / nearest-exact / multilinear / cubic resizing with exact rational coefficients;
    under tensorflow, keras and jax also area, mitchellcubic and antialiased kernels
    (:mod:`symconv.core.resample`; lanczos and gaussian are refused: irrational weights).

    Coordinates follow the layer's coordinate mode (PyTorch defaults: nearest = asymmetric
    with floor, linear = half-pixel clamped at 0, or align-corners; cubic = half-pixel, not
    clamped, or align-corners); integer and Fraction factors are exact, float factors follow
    PyTorch's arithmetic (cubic and linear: read as their simple fraction).

    >>> from symconv.spec import Resize
    >>> m = resize_map(Resize(scale_factor=2, mode="cubic", ndim=2), (1, 4, 4))
    >>> m.shape, m.nnz
    ((64, 16), 576)

    Output 0 of a 4 -> 8 cubic resize reads ``src = -1/4``: taps -2, -1, 0, 1 with weights
    ``W(7/4), W(3/4), W(1/4), W(5/4)``; the first three clamp onto input 0.

    >>> m = resize_map(Resize(scale_factor=2, mode="cubic", convention="onnx"), (1, 4))
    >>> [(int(c), f"{int(n)}/{int(d)}") for r, c, n, d in zip(m.rows, m.cols, m.num, m.den)
    ...  if r == 0]
    [(0, '283/256'), (1, '-27/256')]
    """
    c, sizes = _shape(input_shape)
    r = resolve(layer, sizes)
    layer = r.layer
    mode = parse_enum("mode", layer.mode, ResizeMode)
    tf_jax = layer.convention in (Convention.TENSORFLOW, Convention.KERAS, Convention.JAX)
    if tf_jax:
        from symconv.core.resample import tf_jax_axis, tf_jax_taps

        per_axis = [o * tf_jax_taps(layer, n, o) for n, o in zip(sizes, r.output, strict=True)]
    else:
        taps = {ResizeMode.LINEAR: 2, ResizeMode.CUBIC: 4}.get(mode, 1)
        per_axis = [o * taps for o in r.output]
    nearest = mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT)
    _check_separable_budget("resize", c, r.output, sizes, per_axis, not nearest, max_nnz,
                            max_memory, axis_bytes=64 if nearest else 136)
    axes: list[tuple[Any, Any, Any, Any]] = []
    cl = _torch_channels_last_kernel(c, sizes, r.output)
    for a, (n, o) in enumerate(zip(sizes, r.output, strict=True)):
        axis = tf_jax_axis(layer, n, o) if tf_jax else None
        if axis is not None:
            axes.append(axis)
        elif mode is ResizeMode.CUBIC:
            axes.append(_cubic_axis(layer, a, n, o))
        elif mode is ResizeMode.LINEAR:
            axes.append(_linear_axis(layer, a, n, o))
        else:
            src = _nearest_axis(layer, a, n, o, cl)
            one = np.ones(o, _I64)
            axes.append((np.arange(o, dtype=_I64), src, one, one))
    if mode not in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT, ResizeMode.LINEAR):
        # refuse before the tensor product is built
        bound = prod(max(int(np.abs(ax[2]).max(initial=1)), int(ax[3].max(initial=1)))
                     for ax in axes)
        if bound >= 2**63:
            raise UnsupportedError(
                f"{mode.value} resize {_fmt_sizes(sizes)} -> {_fmt_sizes(r.output)}: the exact weights "
                f"of the {len(sizes)} axes multiply to denominators near {bound:.1e}, beyond "
                "int64; resize fewer axes at once or use sizes/factors with smaller terms"
            )
    return _separable(c, r.output, sizes, axes)


def _fmt_sizes(sizes: Sequence[Any]) -> str:
    """``5x7`` for a spatial size (the CLI's spelling)."""
    return "x".join(str(v) for v in sizes)


# --------------------------------------------------------------------------- permutations


def _shuffle_indices(
    c_out: int, r: int, sizes: Sequence[int], order: ShuffleOrder
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Flat (low-resolution, high-resolution) index pairs of pixel shuffle: the
    high-resolution positions in order, their low-resolution sources computed in chunks (the
    only O(nnz) arrays are the two results)."""
    nd = len(sizes)
    big = tuple(n * r for n in sizes)
    n_low = prod(sizes)
    check_indexable("this pixel-shuffle map", c_out, big, (r**nd, *sizes))
    total = c_out * prod(big)
    low = np.empty(total, _I64)
    for s in range(0, total, CHUNK_ENTRIES):
        rest = np.arange(s, min(s + CHUNK_ENTRIES, total), dtype=_I64)
        acc = np.zeros(rest.size, _I64)  # the low position within its channel
        off = np.zeros(rest.size, _I64)  # the phase (offset within the r**nd block)
        low_stride, off_stride = 1, 1
        for a in range(nd - 1, -1, -1):
            coord = rest % big[a]
            rest //= big[a]
            acc += (coord // r) * low_stride
            off += (coord % r) * off_stride
            low_stride *= sizes[a]
            off_stride *= r
        c_low = rest * r**nd + off if order is ShuffleOrder.CRD else off * c_out + rest
        low[s:s + acc.size] = c_low * n_low + acc
    return low, np.arange(total, dtype=_I64)



def pixel_shuffle_map(
    layer: PixelShuffle, input_shape: Sequence[int], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Pixel shuffle ``(C r^D, *n) -> (C, *(r n))`` as a permutation (CRD or DCR order)."""
    c, sizes = _shape(input_shape)
    r = layer.factor
    nd = len(sizes)
    if c % r**nd:
        raise InvalidSpecError(f"channels={c} must be divisible by factor**{nd}={r**nd}")
    # a permutation: one entry per input (Python ints)
    check_budget(c * prod(sizes), max_nnz, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-permutation"], extra_bytes=CHUNK_BYTES // 4)
    low, high = _shuffle_indices(c // r**nd, r, sizes, layer.order)
    return IndexMap.from_arrays((high.size, low.size), high, low, in_shape=(c, *sizes),
                                out_shape=(c // r**nd, *(n * r for n in sizes)))


def pixel_unshuffle_map(
    layer: PixelUnshuffle, input_shape: Sequence[int], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """Pixel unshuffle: the inverse (= transpose) permutation of pixel shuffle."""
    c, sizes = _shape(input_shape)
    r = layer.factor
    for n in sizes:
        if n % r:
            raise InvalidSpecError(
                f"input_shape={tuple(input_shape)} must have spatial sizes divisible by "
                f"factor={r}"
            )
    check_budget(c * prod(sizes), max_nnz, max_memory=max_memory,
                 per_entry=BYTES_PER_ENTRY["build-permutation"], extra_bytes=CHUNK_BYTES // 4)
    small = tuple(n // r for n in sizes)
    low, high = _shuffle_indices(c, r, small, layer.order)
    return IndexMap.from_arrays((low.size, high.size), low, high, in_shape=(c, *sizes),
                                out_shape=(c * r ** len(sizes), *small))


def slice_map(
    layer: Slice, input_shape: Sequence[int], *, max_nnz: int | None = None,
    max_memory: int | None = None,
) -> IndexMap:
    """A (strided) crop ``x[c0:c1:cs, start:end:step, ...]``: a 0/1 selection, one entry per
    output position (clamping of :func:`symconv.sizes.shapes.slice_start`: ONNX ``Slice`` under
    convention onnx, Python slicing otherwise).

    >>> m = slice_map(Slice(start=1, end=None, step=2), (1, 6))
    >>> m.out_shape, m.cols.tolist()
    ((1, 3), [1, 3, 5])
    """
    c, sizes = _shape(input_shape)
    spec = resolve(layer, sizes).layer  # checks every axis is non-empty
    onnx = spec.convention is Convention.ONNX

    # (first, length, step) per axis, channels first: Python ints, budgeted before any array
    axes = [(*slice_start(c, *spec.channels, onnx=onnx), spec.channels[2])
            if spec.channels is not None else (0, c, 1)]
    for a, n in enumerate(sizes):
        axes.append((*slice_start(n, spec.start[a], spec.end[a], spec.step[a], onnx=onnx),
                     spec.step[a]))
    if axes[0][1] == 0:
        raise InvalidSpecError(f"channels={spec.channels} must keep at least one of the {c} "
                               "channels (the slice is empty)")
    out_shape = tuple(length for _, length, _ in axes)
    check_budget(prod(out_shape), max_nnz, max_memory=max_memory,  # one per output position
                 per_entry=BYTES_PER_ENTRY["build-slice"])
    check_indexable("this slice map", 1, out_shape, (c, *sizes))
    idx = [first + step * np.arange(length, dtype=_I64) for first, length, step in axes]
    cols = _combine([(i,) for i in idx], [(c, *sizes)])[0]
    rows = np.arange(cols.size, dtype=_I64)
    return IndexMap.from_arrays((rows.size, prod((c, *sizes))), rows, cols,
                                in_shape=(c, *sizes), out_shape=out_shape)
