"""The 0/1 structure map of one layer: which input position feeds which output position through
which tap (pools as averages over their windows, weights ignored), read off the operator core.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core import (
    IndexMap,
    WeightRef,
    adaptive_avg_pool_map,
    avg_pool_map,
    conv_map,
    conv_transpose_map,
    pixel_shuffle_map,
    pixel_unshuffle_map,
    resize_map,
)
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "structure_map",
]

_I64 = np.int64

# --------------------------------------------------------------------------- structure maps


def _sizes(input_size: Any) -> tuple[int, ...]:
    sizes = tuple(input_size) if isinstance(input_size, tuple | list) else (input_size,)
    if not sizes or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in sizes
    ):
        raise InvalidSpecError(
            f"input_size={input_size!r} must be a positive integer or one per spatial axis"
        )
    return tuple(int(v) for v in sizes)


def _pool_as_avg(layer: MaxPool | AvgPool, r: Resolved) -> AvgPool:
    """An average pool with the same windows (dilation and explicit pads: ONNX rules)."""
    if isinstance(layer, AvgPool) and layer.convention is Convention.TORCH:
        return layer
    return AvgPool(kernel=layer.kernel, stride=layer.stride, padding=r.pads,
                   dilation=layer.dilation, ceil_mode=layer.ceil_mode, count_include_pad=False,
                   convention="onnx", ndim=len(r.input))


def _pool_windows(r: Resolved, sizes: tuple[int, ...], max_nnz: int | None) -> IndexMap | None:
    """The windows of a pool as the structure of a convolution with the same kernel, stride,
    dilation and padding (the right padding extended to reach a ceil-mode window): the same
    entries as the pool's map without its exact coefficients (ten times faster).  ``None``
    when no such convolution gives the pool's output size."""
    spec = r.layer
    pads = []
    for a, n in enumerate(sizes):
        pb, pe = int(r.pads[a][0]), int(r.pads[a][1])
        reach = (int(r.output[a]) - 1) * spec.stride[a] + spec.dilation[a] * (spec.kernel[a] - 1)
        pads.append((pb, max(pe, reach + 1 - n - pb)))
    try:
        conv = Conv(kernel=spec.kernel, stride=spec.stride, padding=tuple(pads),
                    dilation=spec.dilation, convention="onnx", ndim=len(sizes))
        if tuple(int(v) for v in resolve(conv, sizes).output) != tuple(int(v) for v in r.output):
            return None
    except InvalidSpecError:
        return None
    m = conv_map(conv, (1, *sizes), 1, max_nnz=max_nnz)
    w = WeightRef("window", tuple(spec.kernel))
    return IndexMap.from_arrays(m.shape, m.rows, m.cols, m.taps[:, 0], weights=(w,),
                                in_shape=m.in_shape, out_shape=m.out_shape)


def _window_taps(m: IndexMap, r: Resolved) -> NDArray[np.int64]:
    """Flat window offset of every entry of a pooling map (from its positions)."""
    layer = r.layer
    outs = np.unravel_index(m.rows, r.output)
    ins = np.unravel_index(m.cols, r.input)
    offs = [(ins[a] - (outs[a] * layer.stride[a] - r.pads[a][0])) // layer.dilation[a]
            for a in range(len(r.input))]
    return np.ravel_multi_index(offs, layer.kernel).astype(_I64)


def structure_map(layer: Layer, input_size: Any, *, max_nnz: int | None = None) -> IndexMap:
    """The single-channel 0/1 structure of ``layer`` on a spatial input size.

    Built by the operator core on one channel (groups and channel counts dropped); every
    coefficient is 1 and ``taps`` says which weight or window offset an entry uses (flat index
    in C order over the kernel), or, for pixel (un)shuffle, which channel (phase) carries it;
    resizes and adaptive pools (whose windows vary in size) have no taps.  Max pooling, adaptive
    too, gives its windows (the pixels it *can* select);
    max-unpooling has no fixed structure (it depends on the switches).  ``max_nnz`` is the
    builders' entry budget (:func:`symconv.core.index.check_budget`).

    >>> m = structure_map(ConvTranspose(kernel=3, stride=2), 3)
    >>> m.shape, np.bincount(m.rows).tolist()
    ((7, 3), [1, 1, 2, 1, 2, 1, 1])
    """
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    one = (1, *sizes)
    if isinstance(layer, Conv | ConvTranspose):
        single = r.layer
        if (single.groups, single.in_channels, single.out_channels) != (1, None, None):
            single = dataclasses.replace(single, groups=1, in_channels=None, out_channels=None)
        build = conv_map if isinstance(layer, Conv) else conv_transpose_map
        return build(single, one, 1, max_nnz=max_nnz)
    if isinstance(layer, AvgPool | MaxPool):
        pooled = _pool_windows(r, sizes, max_nnz)
        if pooled is not None:
            return pooled
        avg = _pool_as_avg(r.layer, r)
        m = avg_pool_map(avg, one, max_nnz=max_nnz)
        if m.out_shape != (1, *r.output):
            raise UnsupportedError(f"layer={layer!r} has windows symconv cannot rebuild")
        taps = _window_taps(m, r)
        w = WeightRef("window", tuple(r.layer.kernel))
        return IndexMap.from_arrays(m.shape, m.rows, m.cols, taps, weights=(w,),
                                    in_shape=m.in_shape, out_shape=m.out_shape)
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        windows = AdaptiveAvgPool(r.layer.output_size, ndim=len(sizes))
        m = adaptive_avg_pool_map(windows, one, max_nnz=max_nnz)
        return IndexMap.from_arrays(m.shape, m.rows, m.cols, in_shape=m.in_shape,
                                    out_shape=m.out_shape)
    if isinstance(layer, Resize):
        m = exact_resize_map(layer, one, max_nnz)
        return IndexMap.from_arrays(m.shape, m.rows, m.cols, in_shape=m.in_shape,
                                    out_shape=m.out_shape)
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        f, nd = layer.factor, len(sizes)
        if isinstance(layer, PixelShuffle):
            # Spatial view: output position r*i + q reads input i through channel q.
            small = sizes
            m = pixel_shuffle_map(layer, (f**nd, *small), max_nnz=max_nnz)
            n_in = prod(small)
            rows, cols, taps = m.rows, m.cols % n_in, m.cols // n_in
            shape = (m.shape[0], n_in)
            out_shape = m.out_shape
        else:
            m = pixel_unshuffle_map(layer, one, max_nnz=max_nnz)
            n_out = prod(r.output)
            rows, cols, taps = m.rows % n_out, m.cols, m.rows // n_out
            shape = (n_out, m.shape[1])
            out_shape = (1, *r.output)
        w = WeightRef("phase", (f**nd,))
        return IndexMap.from_arrays(shape, rows, cols, taps, weights=(w,), in_shape=one,
                                    out_shape=out_shape)
    if isinstance(layer, MaxUnpool):
        raise UnsupportedError(
            f"layer={layer!r} has no fixed coverage: where max-unpooling writes depends on the "
            "switches of the max pool (build its map with symconv.core.max_unpool_map)"
        )
    raise InvalidSpecError(f"layer={layer!r} must be a symconv layer spec")


@lru_cache(maxsize=2)
def exact_resize_map(layer: Resize, one: tuple[int, ...], max_nnz: int | None = None) -> IndexMap:
    """The exact map of a resize, built once for its structure and for the analysis' row sums
    (``symconv.coverage.analyze`` clears this cache when it is done)."""
    return resize_map(layer, one, max_nnz=max_nnz)


def _csr(m: IndexMap) -> Any:
    """The 0/1 structure as an int64 CSR matrix (repeated entries summed: multiplicities)."""
    import scipy.sparse as sp

    data = np.ones(m.nnz, dtype=_I64)
    return sp.csr_matrix((data, (m.rows, m.cols)), shape=m.shape)
