"""Output sizes computed from the layer *definitions*, by enumeration.

Every function here counts: window positions that fit, output positions a scatter touches,
blocks that tile the input.  Nothing is taken from :mod:`symconv.sizes.formulas` or
:mod:`symconv.sizes.shapes`; that independence is the point, because :mod:`symconv.sizes.proof`
proves the closed forms equal to these counts for every input size (theorem T21).  Pure
integer Python: no SymPy, no NumPy.

Notation (one axis): ``n`` input size, ``k`` kernel, ``s`` stride, ``pb``/``pe`` padding before
and after, ``d`` dilation, ``op`` output padding.  A window ``t`` starts at ``t*s`` in the padded
input ``[0, n + pb + pe)`` and covers ``t*s, t*s + d, ..., t*s + d(k-1)``; the input itself
occupies ``[pb, pb + n)`` of it.  A negative pad (convention ``jax``) removes positions: the
padded input is shorter than the input on that side.

>>> conv_windows(5, 3, 2, 1, 1, 1)              # Dumoulin & Visin (2016), Relationship 6
3
>>> ceil_pool_windows(32, 1, 2, 0, 0, 1)        # PyTorch ceil mode: 16, not ceil(31/2)+1 = 17
16
>>> caffe_pool_windows(32, 1, 2, 0)             # Caffe clips only when pad > 0
17
>>> same_windows(224, 7, 2, 1), same_windows(225, 7, 2, 1)   # (output, total padding)
((112, 5), (113, 6))
>>> conv_transpose_length(3, 3, 2, 1, 1, 1, 1)
6
>>> brute_output_size(MaxPool(kernel=4, stride=4, padding=2, ceil_mode=True), 9)
3
>>> brute_output_size(Conv(kernel=5), 3) is None    # no window fits: the layer rejects n=3
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symconv.errors import InvalidSpecError, UnsupportedError
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
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "adaptive_windows",
    "brute_output_size",
    "brute_padding",
    "caffe_pool_windows",
    "causal_windows",
    "ceil_pool_windows",
    "conv_transpose_length",
    "conv_windows",
    "jax_transpose_length",
    "keras_transpose_length",
    "lhs_dilated_windows",
    "pixel_shuffle_length",
    "pixel_unshuffle_length",
    "resize_length",
    "same_transpose_length",
    "same_windows",
    "scatter_extent",
    "stride_cells",
    "unpool_length",
    "valid_transpose_length",
    "windows_reading_input",
]


# --------------------------------------------------------------------------- windows


def _window_end(t: int, k: int, s: int, d: int) -> int:
    """Last position covered by window ``t`` (its taps are ``t*s + d*j``, ``j < k``)."""
    return max(t * s + d * j for j in range(k))


def conv_windows(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    """Number of windows that fit in the padded input ``[0, n + pb + pe)``.

    The definition of convolution and of floor-mode pooling: window ``t`` (start ``t*s``) counts
    when its last tap ``t*s + d(k-1)`` lies inside the padded input.

    >>> conv_windows(7, 3, 1, 0, 0, 2), conv_windows(2, 3, 1, 0, 0, 1)
    (3, 0)
    """
    length = n + pb + pe
    t = 0
    while _window_end(t, k, s, d) < length:
        t += 1
    return t


def ceil_pool_windows(n: int, k: int, s: int, pb: int, pe: int, d: int) -> int:
    """PyTorch / ONNX ceil-mode pooling, from the documented definition.

    Ceil mode covers the elements left over after the last fitting window with one more
    window; "sliding windows are allowed to go off-bounds if they start within the left padding
    or the input; windows that would start in the right padded region are ignored" (PyTorch
    ``MaxPool`` documentation).  So: enumerate the fitting windows; if padded elements remain
    uncovered, add the next window when it starts before ``n + pb``.  The extra window
    overhangs the padded input by fewer than ``s`` positions; when no window fits at all that
    bound is what decides (PyTorch: ``MaxPool1d(3, 2, ceil_mode=True)`` accepts ``n=2`` but
    rejects ``n=1``, "Invalid computed output size: 0").  Only one window can start in the end
    padding for specs the frameworks accept (``pe < k``), so ignoring "windows" and "the last
    window" agree.

    >>> [ceil_pool_windows(*a) for a in [(32, 1, 2, 0, 0, 1), (9, 4, 4, 2, 2, 1),
    ...                                    (2, 3, 3, 1, 1, 1), (5, 2, 2, 1, 1, 1)]]
    [16, 3, 1, 3]
    >>> ceil_pool_windows(2, 3, 2, 0, 0, 1), ceil_pool_windows(1, 3, 2, 0, 0, 1)
    (1, 0)
    """
    length = n + pb + pe
    count = conv_windows(n, k, s, pb, pe, d)
    starts = [t * s for t in range(count)]
    covered = _window_end(count - 1, k, s, d) + 1 if count else 0
    if covered < length and _window_end(count, k, s, d) + 1 - length < s:
        starts.append(count * s)  # one more window covers the leftover elements
    return len([x for x in starts if x < n + pb])  # none may start in the end padding


def caffe_pool_windows(n: int, k: int, s: int, pad: int) -> int:
    """Caffe pooling (always ceil mode, symmetric ``pad``, no dilation).

    Caffe always adds the window covering the leftover, but drops a last window that starts in
    the end padding only when ``pad > 0`` (``PoolingLayer::Reshape``), so with ``pad=0`` a window
    may start past the input: ``(n=32, k=1, s=2)`` gives 17 where PyTorch gives 16.

    >>> caffe_pool_windows(32, 1, 2, 0), caffe_pool_windows(5, 2, 2, 1)
    (17, 3)
    """
    if pad >= k:
        raise InvalidSpecError(f"pad={pad} must be smaller than kernel={k} (Caffe: CHECK_LT)")
    length = n + 2 * pad
    count = conv_windows(n, k, s, pad, pad, 1)
    starts = [t * s for t in range(count)]
    covered = starts[-1] + k if starts else 0
    if covered < length and count * s + k - length < s:
        starts.append(count * s)
    if pad > 0:
        starts = [x for x in starts if x < n + pad]
    return len(starts)


def stride_cells(n: int, s: int) -> int:
    """Number of stride-``s`` cells ``[t*s, t*s + s)`` that start inside ``[0, n)``: ``ceil(n/s)``.

    >>> stride_cells(224, 2), stride_cells(225, 2)
    (112, 113)
    """
    t = 0
    while t * s < n:
        t += 1
    return t


def same_windows(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """SAME padding (TensorFlow, Keras, JAX ``'SAME'``, ONNX ``SAME_UPPER``/``SAME_LOWER``,
    PyTorch ``'same'`` with stride 1): ``(output, total_padding)``.

    Definition: the output has one position per stride cell of the input, ``ceil(n/s)``, and
    the padding is the smallest total ``P >= 0`` for which exactly that many windows fit in
    ``n + P``.  The search is bounded: ``P = (ceil(n/s) - 1) s + d(k-1) + 1 - n <= d(k-1)``
    suffices, because ``(ceil(n/s) - 1) s <= n - 1``.

    >>> same_windows(10, 1, 3, 1), same_windows(5, 3, 1, 2)
    ((4, 0), (5, 4))
    """
    target = stride_cells(n, s)
    for total in range(d * (k - 1) + 1):
        count = conv_windows(n, k, s, 0, total, d)
        if count == target:
            return count, total
    raise AssertionError("unreachable: a total padding of d(k-1) always fits ceil(n/s) windows")


def causal_windows(n: int, k: int, s: int, d: int) -> int:
    """Keras ``padding='causal'`` (Conv1D): left padding ``d(k-1)``, so window ``t`` ends at
    input position ``t*s`` and output ``t`` sees no input after ``t*s``.

    >>> causal_windows(10, 3, 1, 2), causal_windows(10, 3, 3, 1)
    (10, 4)
    """
    return conv_windows(n, k, s, d * (k - 1), 0, d)


# --------------------------------------------------------------------------- scatter


def scatter_extent(n: int, k: int, s: int, d: int) -> int:
    """Length of the full transposed-convolution output: ``1 + max(i*s + d*t)`` over inputs
    ``i < n`` and taps ``t < k``.

    >>> scatter_extent(3, 3, 2, 1), scatter_extent(1, 4, 5, 1)
    (7, 4)
    """
    return 1 + max(i * s + d * t for i in range(n) for t in range(k))


def conv_transpose_length(n: int, k: int, s: int, pb: int, pe: int, d: int, op: int) -> int:
    """PyTorch / ONNX transposed convolution: scatter every input over its ``k`` taps, crop
    ``pb`` positions at the start and ``pe`` at the end, append ``op`` zeros.

    Output position ``y`` is full-grid position ``y + pb``; the result is the number of such
    positions, 0 when the crops leave nothing.

    >>> conv_transpose_length(3, 3, 2, 1, 1, 1, 0), conv_transpose_length(1, 1, 1, 2, 2, 1, 0)
    (5, 0)
    """
    return len(range(pb, scatter_extent(n, k, s, d) + op - pe))


def unpool_length(n: int, k: int, s: int, pb: int, pe: int) -> int:
    """Max-unpooling default size: the scatter of a stride-``s`` window of ``k`` (no dilation)
    with the pooling padding cropped (PyTorch ``MaxUnpoolNd``, ONNX ``MaxUnpool``).

    >>> unpool_length(3, 2, 2, 0, 0)
    6
    """
    return conv_transpose_length(n, k, s, pb, pe, 1, 0)


def same_transpose_length(n: int, k: int, s: int, d: int) -> int:
    """Transposed SAME (ONNX ``auto_pad`` SAME_*, JAX ``'SAME'``, Keras ``'same'`` without
    ``output_padding``): the largest size ``m`` whose SAME convolution gives back ``n``.

    Sizes ``m > (n + 1) s`` give more than ``n`` stride cells, which bounds the search.

    >>> same_transpose_length(4, 3, 2, 1), same_transpose_length(5, 1, 1, 1)
    (8, 5)
    """
    for m in range((n + 1) * s, 0, -1):
        if same_windows(m, k, s, d)[0] == n:
            return m
    return 0


def valid_transpose_length(n: int, k: int, s: int, d: int) -> int:
    """Transposed VALID (JAX ``'VALID'``, Keras ``'valid'`` without ``output_padding``): each
    input fills its own stride cell and scatters over its taps; the output ends at the last
    position either reaches (``n*s + max(k_eff - s, 0)``).

    >>> valid_transpose_length(3, 3, 2, 1), valid_transpose_length(3, 1, 2, 1)
    (7, 6)
    """
    cells = max(i * s + r for i in range(n) for r in range(s)) + 1
    return max(cells, scatter_extent(n, k, s, d))


def lhs_dilated_windows(n: int, k: int, s: int, d: int, left: int, right: int) -> int:
    """JAX ``conv_transpose`` with explicit ``(left, right)`` padding: a stride-1 convolution
    over the input stretched by ``s`` (``s - 1`` zeros between samples, ``lhs_dilation``) and
    padded by ``left``/``right``.

    >>> lhs_dilated_windows(3, 3, 2, 1, 2, 2)
    7
    """
    stretched = 1 + max(i * s for i in range(n))
    return conv_windows(stretched, k, 1, left, right, d)


def keras_transpose_length(
    n: int, k: int, s: int, d: int, mode: PadMode, op: int | None
) -> int:
    """Keras ``Conv*Transpose`` (``deconv_output_length``), kernel dilated first.

    Without ``output_padding`` Keras infers the length: SAME gives back the size whose SAME
    convolution is ``n`` (:func:`same_transpose_length`), VALID the full scatter
    (:func:`valid_transpose_length`).  With ``output_padding`` it crops ``k_eff // 2`` at both
    ends (SAME) or nothing (VALID) and appends ``op``.

    >>> keras_transpose_length(3, 3, 2, 1, PadMode.SAME, None)
    6
    >>> keras_transpose_length(3, 3, 2, 1, PadMode.SAME, 1)
    6
    """
    if op is None:
        if mode is PadMode.SAME:
            return same_transpose_length(n, k, s, d)
        return valid_transpose_length(n, k, s, d)
    keff = scatter_extent(1, k, 1, d)
    crop = keff // 2 if mode is PadMode.SAME else 0
    return conv_transpose_length(n, k, s, crop, crop, d, op)


def jax_transpose_length(
    n: int, k: int, s: int, d: int, padding: PadMode | tuple[int, int]
) -> int:
    """``jax.lax.conv_transpose``: SAME -> :func:`same_transpose_length`, VALID ->
    :func:`valid_transpose_length`, explicit pairs -> :func:`lhs_dilated_windows`.

    >>> jax_transpose_length(3, 3, 2, 1, PadMode.VALID), jax_transpose_length(3, 3, 2, 1, (1, 1))
    (7, 5)
    """
    if padding is PadMode.SAME:
        return same_transpose_length(n, k, s, d)
    if padding is PadMode.VALID:
        return valid_transpose_length(n, k, s, d)
    if isinstance(padding, PadMode):
        raise UnsupportedError(f"padding={padding.value!r} is not a jax conv_transpose padding")
    left, right = padding
    return lhs_dilated_windows(n, k, s, d, left, right)


# --------------------------------------------------------------------------- resize, shuffle


def resize_length(n: int, scale: int | Fraction) -> int:
    """Resize by an exact scale: count output pixels ``j`` whose extent ``[j, j+1)`` (in output
    units) maps inside the input, i.e. ``j + 1 <= n * scale``: ``floor(n * scale)``.

    >>> resize_length(7, Fraction(2, 3)), resize_length(5, 2)
    (4, 10)
    """
    if isinstance(scale, bool) or not isinstance(scale, int | Fraction):
        raise UnsupportedError(
            f"scale_factor={scale!r} must be an int or a Fraction for an exact count"
        )
    q = Fraction(scale)
    j = 0
    while (j + 1) * q.denominator <= n * q.numerator:
        j += 1
    return j


def pixel_shuffle_length(n: int, r: int) -> int:
    """Pixel shuffle: input position ``i`` becomes output positions ``i*r + c``, ``c < r``.

    >>> pixel_shuffle_length(4, 3)
    12
    """
    return len({i * r + c for i in range(n) for c in range(r)})


def pixel_unshuffle_length(n: int, r: int) -> int | None:
    """Pixel unshuffle: the number of ``r``-blocks tiling the input, or ``None`` when blocks do
    not tile it exactly (the frameworks reject such sizes).

    >>> pixel_unshuffle_length(12, 3), pixel_unshuffle_length(13, 3)
    (4, None)
    """
    blocks = 0
    while (blocks + 1) * r <= n:
        blocks += 1
    return blocks if blocks * r == n else None


# --------------------------------------------------------------------------- adaptive pooling


def adaptive_windows(n: int, o: int) -> int | None:
    """Adaptive pooling (PyTorch ``AdaptiveAvgPoolNd``/``AdaptiveMaxPoolNd``): output ``i`` of
    ``o`` reads the input positions ``[floor(i n / o), ceil((i + 1) n / o))``.

    Enumerates the ``o`` windows and counts those that are non-empty and inside ``[0, n)``;
    ``None`` when a window is empty or leaves the input, or when the windows do not cover every
    input position (the definition then has no output).  The bounds are computed here by
    integer search, not taken from a formula module: ``start`` is the largest ``s`` with
    ``s o <= i n``, ``end`` the smallest ``e`` with ``e o >= (i + 1) n``.  An axis the layer
    keeps is ``o = n`` (windows ``[i, i + 1)``).

    >>> adaptive_windows(10, 3), adaptive_windows(3, 7), adaptive_windows(1, 4)
    (3, 7, 4)
    """
    count, covered = 0, set[int]()
    for i in range(o):
        start = 0
        while (start + 1) * o <= i * n:
            start += 1
        end = start
        while end * o < (i + 1) * n:
            end += 1
        if not 0 <= start < end <= n:
            return None
        covered.update(range(start, end))
        count += 1
    return count if len(covered) == n else None


# --------------------------------------------------------------------------- dispatch


def brute_output_size(layer: Layer, n: int, axis: int = 0) -> int | None:
    """Output size of ``layer`` along ``axis`` for input size ``n``, from the definitions.

    Reads the spec's normalised fields (``kernel``/``stride``/``dilation`` tuples, padding
    pairs or a :class:`~symconv.spec.PadMode`, ``convention``, ``ceil_mode``,
    ``output_padding``, ...).  Returns ``None`` when the definition yields no output (no window
    fits, the crops leave nothing, blocks do not tile the input): exactly the sizes a framework
    rejects.  A spec without an explicit rank (``ndim=None``) applies to every axis alike.

    Raises
    ------
    UnsupportedError
        For sizes that are not a function of ``n`` alone (a requested ``output_size``, TensorFlow
        transposed convolutions) or not exact (float resize scales).
    InvalidSpecError
        For an ``axis`` the spec does not have, or ``n < 1``.

    >>> brute_output_size(ConvTranspose(kernel=3, stride=2, padding="same_upper",
    ...                                 convention="onnx"), 4)
    8
    >>> brute_output_size(Conv(kernel=(3, 5), padding=((0, 0), (2, 2))), 7, axis=1)
    7
    >>> brute_output_size(PixelUnshuffle(factor=2), 5) is None
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidSpecError(f"n={n!r} must be a positive integer")
    if layer.ndim is not None and not 0 <= axis < layer.ndim:
        raise InvalidSpecError(f"axis={axis} must be in [0, {layer.ndim}) for this layer")
    if layer.ndim is None and axis < 0:
        raise InvalidSpecError(f"axis={axis} must be non-negative")
    a = 0 if layer.ndim is None else axis
    size = _dispatch(layer, n, a)
    return size if size is not None and size >= 1 else None


def brute_padding(layer: Layer, n: int, axis: int = 0) -> tuple[int, int]:
    """``(before, after)`` padding a windowed layer applies on ``axis`` for input size ``n``.

    Explicit pairs as given; VALID none; SAME modes the minimal total of :func:`same_windows`
    split with the odd unit at the end (TensorFlow, Keras, JAX ``'SAME'``, ONNX ``SAME_UPPER``,
    PyTorch ``'same'``) or at the start (ONNX ``SAME_LOWER``, JAX ``'SAME_LOWER'``); causal all
    ``d(k-1)`` at the start.

    >>> brute_padding(Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"), 224)
    (2, 3)
    >>> brute_padding(Conv(kernel=7, stride=2, padding="same_lower", convention="onnx"), 224)
    (3, 2)
    """
    if not isinstance(layer, Conv | MaxPool | AvgPool):
        raise UnsupportedError(f"layer={type(layer).__name__} has no input padding to compute")
    if brute_output_size(layer, n, axis) is None:
        raise InvalidSpecError(f"n={n} must be an input size the layer accepts")
    return _pads(layer, n, 0 if layer.ndim is None else axis)


def _pads(layer: Any, n: int, a: int) -> tuple[int, int]:
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    padding = layer.padding
    if padding is PadMode.VALID:
        return (0, 0)
    if padding is PadMode.CAUSAL:
        return (d * (k - 1), 0)
    if isinstance(padding, PadMode):
        total = same_windows(n, k, s, d)[1]
        small, big = total // 2, total - total // 2
        return (big, small) if padding is PadMode.SAME_LOWER else (small, big)
    return (int(padding[a][0]), int(padding[a][1]))


def windows_reading_input(n: int, k: int, s: int, d: int, pb: int, count: int) -> bool:
    """Whether each of the first ``count`` windows has a tap on the input, which occupies
    ``[pb, pb + n)`` of the padded axis (a negative ``pb`` crops: the padded axis starts inside
    the input).  Under JAX a max-pool window reading only padding gives ``-inf`` and an average
    without counted padding NaN: the size stands, but no linear map gives those values.

    >>> windows_reading_input(10, 2, 1, 1, 0, 12), windows_reading_input(10, 2, 1, 1, 0, 10)
    (False, True)
    """
    return all(any(pb <= t * s + j * d < pb + n for j in range(k)) for t in range(count))


def _dispatch(layer: Any, n: int, a: int) -> int | None:
    if isinstance(layer, Conv):
        return _windowed(layer, n, a, ceil=False)
    if isinstance(layer, MaxPool | AvgPool):
        if (isinstance(layer, AvgPool) and layer.ndim == 3
                and layer.convention is Convention.TORCH and n < layer.kernel[a]):
            return None  # PyTorch avg_pool3d: the unpadded input must cover the kernel
        # JAX: a window on padding only still counts (-inf, or NaN for an average of nothing)
        return _windowed(layer, n, a, ceil=layer.ceil_mode)
    if isinstance(layer, ConvTranspose):
        return _transpose(layer, n, a)
    if isinstance(layer, MaxUnpool):
        if layer.output_size is not None:
            raise UnsupportedError(
                f"output_size={layer.output_size!r} fixes the max-unpooling size: it is not a "
                "function of the input size (use the spec without output_size)"
            )
        pb, pe = layer.padding[a]
        return unpool_length(n, layer.kernel[a], layer.stride[a], pb, pe)
    if isinstance(layer, Resize):
        if layer.size is not None:
            return int(layer.size[a])
        scale = layer.scale_factor[a]
        if isinstance(scale, float):
            raise UnsupportedError(
                f"scale_factor={scale!r} is a float: frameworks multiply it in floating point, "
                "which has no exact window count (give an int, a Fraction or a string like '3/2')"
            )
        return resize_length(n, scale)
    if isinstance(layer, PixelShuffle):
        return pixel_shuffle_length(n, layer.factor)
    if isinstance(layer, PixelUnshuffle):
        return pixel_unshuffle_length(n, layer.factor)
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        o = layer.output_size[a]
        return adaptive_windows(n, n if o is None else int(o))
    raise UnsupportedError(f"layer={type(layer).__name__} has no brute-force size")


def _windowed(layer: Any, n: int, a: int, *, ceil: bool) -> int:
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    padding = layer.padding
    if padding is PadMode.CAUSAL:
        return causal_windows(n, k, s, d)
    if padding in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        # ONNX pooling: auto_pad SAME fixes the output at ceil(n/s) whatever ceil_mode says.
        return same_windows(n, k, s, d)[0]
    pb, pe = (0, 0) if padding is PadMode.VALID else padding[a]
    if ceil:
        return ceil_pool_windows(n, k, s, pb, pe, d)
    return conv_windows(n, k, s, pb, pe, d)


def _transpose(layer: ConvTranspose, n: int, a: int) -> int:
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    conv = layer.convention
    if layer.output_size is not None:
        raise UnsupportedError(
            f"output_size={layer.output_size!r} fixes the transposed-convolution size: it is not "
            "a function of the input size (use the spec without output_size)"
        )
    if conv is Convention.TENSORFLOW:
        raise UnsupportedError(
            "convention='tensorflow' transposed convolutions need output_shape: their size is "
            "not a function of the input size alone"
        )
    op = None if layer.output_padding is None else layer.output_padding[a]
    padding = layer.padding
    if conv is Convention.KERAS:
        if padding not in (PadMode.SAME, PadMode.VALID):
            raise UnsupportedError(
                f"padding={padding.value!r} is not a Keras Conv*Transpose padding "
                "(deconv_output_length knows 'same' and 'valid')"
            )
        return keras_transpose_length(n, k, s, d, padding, op)
    if conv is Convention.JAX:
        if padding is PadMode.CIRCULAR:  # flax sums the full output's periods of n s
            return n * s
        pads = padding if isinstance(padding, PadMode) else padding[a]
        return jax_transpose_length(n, k, s, d, pads)
    # torch, onnx
    if padding in (PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        # ONNX auto_pad SAME crops the scatter to the SAME size; onnxruntime and shape inference
        # never pad, so a scatter shorter than that stays as it is.
        return min(same_transpose_length(n, k, s, d), conv_transpose_length(n, k, s, 0, 0, d,
                                                                             op or 0))
    pb, pe = (0, 0) if padding is PadMode.VALID else padding[a]
    return conv_transpose_length(n, k, s, pb, pe, d, op or 0)
