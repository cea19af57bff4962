"""Coverage and checkerboard analysis, read off the operator core's index structure.

*Forward coverage* of an output position is the number of (input, tap) terms that reach it
(the row counts of the layer's single-channel map); *gradient coverage* of an input position is
the number of (output, tap) terms it feeds (the column counts: how often it is touched when the
gradient flows back).  For a stack, coverage is the number of *paths* from the input to each
position, the product of the layers' 0/1 structure matrices applied to ones (theorem T18).

A transposed convolution writes every input through its ``k`` taps at stride ``s``: output
``j`` receives ``#{t in [0, k): j + p - d t = 0 (mod s)}`` terms away from the borders
(theorem T16), a pattern of period ``s`` that is uniform iff ``gcd(s, d) = 1`` and ``s | k``.
The same count governs the input gradient of a strided convolution (T17).

Interior (exact definition)
    Each layer reads, for output ``j`` of an axis, a *window* of input positions ``[lo(j),
    hi(j)]`` (holes included): ``[j s - p_b, j s - p_b + d(k-1)]`` for a convolution or a pool,
    ``[ceil((j + p_b - d(k-1)) / s), floor((j + p_b) / s)]`` for a transposed convolution (the
    input positions a tap can land on), ``floor(j / r)`` for pixel shuffle, ``[floor(j n/o),
    ceil((j+1) n/o) - 1]`` for adaptive pooling of ``n`` to ``o`` (windows that overlap when
    ``o`` does not divide ``n`` and change with ``n``: the analysis notes it), and the unclamped
    source samples (:func:`~symconv.coverage.receptive.receptive_field` spans) for resizing.
    Output ``j`` is *interior* when its window lies in ``[0, n - 1]``; input ``i`` is *gradient-interior*
    when every output of the unbounded layer whose window holds ``i`` exists
    (``hi(-1) < i < lo(o)``) and no padding mode or resize clamp redirects a read onto ``i``.
    On interior positions the coverage equals the border-free count; border positions are
    reported separately.  For a stack a position is interior when every node on every path to
    it is interior for its layer (computed per axis; the N-D interior is the product box).

This package counts coverage (windows and interior, checkerboard metrics, stacks, the one-call
:func:`analyze`) over :mod:`~symconv.coverage.structure` (each layer's 0/1 structure map);
:mod:`~symconv.coverage.closed_forms` holds the T16 closed forms and
:mod:`~symconv.coverage.suggestions` the even-kernel and resize-conv alternatives.
Beside them: :mod:`~symconv.coverage.receptive` (receptive field, jump and offset of a stack, T19),
:mod:`~symconv.coverage.graph` (the coverage as a networkx graph, T18 path counts, GraphML/DOT)
and :mod:`~symconv.coverage.figures` (the coverage and checkerboard PNGs).

>>> from symconv.spec import ConvTranspose
>>> cb = checkerboard(ConvTranspose(kernel=3, stride=2, padding=1), 8)
>>> cb.pattern.tolist(), cb.ratio, cb.uniform
([1, 2], Fraction(2, 1), False)
>>> overlap_pattern(3, 2, p=1), is_uniform_overlap(4, 2)
((1, 2), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import isqrt, prod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.core import (
    IndexMap,
    adaptive_avg_pool_map,
    avg_pool_map,
)
from symconv.coverage.budget import check_analysis, plan
from symconv.coverage.closed_forms import (
    balanced_kernel,
    is_uniform_overlap,
    overlap_count,
    overlap_counts,
    overlap_pattern,
    phase_sums,
    preserves_constant,
)
from symconv.coverage.structure import _csr, _sizes, exact_resize_map, structure_map
from symconv.coverage.suggestions import (
    KernelSuggestion,
    ResizeConv,
    resize_conv_alternative,
    suggest_kernels,
)
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PaddingFill,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "Checkerboard",
    "CoverageAnalysis",
    "KernelSuggestion",
    "LayerCoverage",
    "ResizeConv",
    "StackCoverage",
    "analyze",
    "balanced_kernel",
    "checkerboard",
    "gradient_checkerboard",
    "is_uniform_overlap",
    "overlap_count",
    "overlap_counts",
    "overlap_pattern",
    "phase_sums",
    "preserves_constant",
    "resize_conv_alternative",
    "stack_coverage",
    "structure_map",
    "suggest_kernels",
    "windows",
]

_I64 = np.int64
Box = tuple[tuple[int, int], ...]  # per axis, half-open [lo, hi)


# --------------------------------------------------------------------------- windows and interior


def windows(layer: Layer, input_size: Any, axis: int,
            positions: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The input window ``[lo(j), hi(j)]`` (holes included) of output positions ``j`` on
    ``axis``, for the unbounded layer (``j`` may be negative or past the end).

    >>> lo, hi = windows(ConvTranspose(kernel=3, stride=2, padding=1), 4, 0, [-1, 0, 1, 2])
    >>> lo.tolist(), hi.tolist()
    ([-1, 0, 0, 1], [0, 0, 1, 1])
    """
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    return _windows(r, axis, np.asarray(positions, dtype=_I64))


def _windows(r: Resolved, a: int, j: NDArray[np.int64]) -> tuple[NDArray[Any], NDArray[Any]]:
    layer = r.layer
    if isinstance(layer, Conv | AvgPool | MaxPool):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        lo = j * s - r.pads[a][0]
        return lo, lo + d * (k - 1)
    if isinstance(layer, ConvTranspose):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        u = j + r.pads[a][0]
        return -((d * (k - 1) - u) // s), u // s
    if isinstance(layer, PixelShuffle):
        return j // layer.factor, j // layer.factor
    if isinstance(layer, PixelUnshuffle):
        return j * layer.factor, j * layer.factor + layer.factor - 1
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        n, o = int(r.input[a]), int(r.output[a])  # a kept axis has o = n: windows [j, j + 1)
        return (j * n) // o, -(-(j + 1) * n // o) - 1
    if isinstance(layer, Resize):
        rf = _fields((layer,), tuple(int(v) for v in r.input), a)[0]
        if any(span is None for span in rf.spans):
            raise UnsupportedError(f"layer={layer!r} has outputs that read no input")
        base = np.array(rf.spans, dtype=_I64).reshape(-1, 2)
        if rf.period == 1:
            return base[0, 0] + j * rf.shift, base[0, 1] + j * rf.shift
        q = j // rf.period
        rem = j - q * rf.period
        q *= rf.shift
        return np.take(base[:, 0], rem) + q, np.take(base[:, 1], rem) + q
    raise UnsupportedError(f"layer={layer!r} has no windows")


def _forward_interior(r: Resolved, a: int) -> NDArray[np.bool_]:
    """Outputs of one axis whose window lies inside the input."""
    o, n = int(r.output[a]), int(r.input[a])
    lo, hi = _windows(r, a, np.arange(o, dtype=_I64))
    return (lo >= 0) & (hi <= n - 1)


def _gradient_interior(r: Resolved, a: int) -> NDArray[np.bool_]:
    """Inputs of one axis that only unbounded outputs read and no read is redirected onto."""
    o, n = int(r.output[a]), int(r.input[a])
    lo_e, hi_e = _windows(r, a, np.array([-1, o], dtype=_I64))
    i = np.arange(n, dtype=_I64)
    ok = (i > hi_e[0]) & (i < lo_e[1])
    layer = r.layer
    if isinstance(layer, Conv) and layer.padding_mode is not PaddingFill.ZEROS:
        reach = max(r.pads[a])  # reflect/replicate/circular fold reads onto the first/last ones
        if reach:
            ok &= (i > reach) & (i < n - 1 - reach)
    if isinstance(layer, Resize):
        lo, hi = _windows(r, a, np.arange(o, dtype=_I64))
        if lo.min() < 0:
            ok[0] = False  # clamped reads land on the first sample
        if hi.max() > n - 1:
            ok[n - 1] = False
    return ok


def _box(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """The interval ``[lo, hi)`` a 1-D interior mask is (it is an interval by monotonicity)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return (0, 0)
    lo, hi = int(idx[0]), int(idx[-1]) + 1
    if not mask[lo:hi].all():
        raise UnsupportedError("interior is not an interval (a non-monotone layer)")
    return (lo, hi)


# --------------------------------------------------------------------------- checkerboard metrics


@dataclass(frozen=True, slots=True, eq=False)
class Checkerboard:
    """Coverage counts with their checkerboard metrics.

    ``counts`` has the spatial shape of the positions counted.  ``interior`` is a box, per
    axis ``[lo, hi)`` (see the module docs; empty when ``lo == hi``).  ``pattern[r]`` is the
    count at every interior position ``j`` with ``j = r (mod period)`` (per axis; ``-1`` where
    the interior shows no such position); ``structural_period`` is the period the layers force,
    ``period`` the smallest one the pattern actually has.  ``complete``: the interior holds a
    whole structural period on every axis (only then does "uniform" speak for the layer rather
    than for a short interior).  ``ratio`` = interior max / min (``None`` when the interior has
    holes, ``min == 0``, or is empty).  ``border`` positions are all the others.
    """

    counts: NDArray[np.int64]
    interior: Box
    structural_period: tuple[int, ...]
    period: tuple[int, ...]
    pattern: NDArray[np.int64]
    complete: bool
    periodic: bool

    @property
    def ndim(self) -> int:
        return self.counts.ndim

    @property
    def empty(self) -> bool:
        """No interior position at all."""
        return any(lo >= hi for lo, hi in self.interior)

    def _inside(self) -> NDArray[np.int64]:
        return self.counts[tuple(slice(lo, hi) for lo, hi in self.interior)]

    @property
    def min(self) -> int | None:
        return None if self.empty else int(self._inside().min())

    @property
    def max(self) -> int | None:
        return None if self.empty else int(self._inside().max())

    @property
    def holes(self) -> bool:
        """Some interior position has coverage 0."""
        return not self.empty and self.min == 0

    @property
    def ratio(self) -> Fraction | None:
        """Interior ``max / min``; ``None`` when empty or with holes (``min == 0``)."""
        lo, hi = self.min, self.max
        if lo is None or hi is None or lo == 0:
            return None
        return Fraction(hi, lo)

    @property
    def uniform(self) -> bool:
        """Every interior position has the same positive coverage."""
        return not self.empty and self.min == self.max and (self.min or 0) > 0

    @property
    def border_mask(self) -> NDArray[np.bool_]:
        mask = np.ones(self.counts.shape, dtype=bool)
        mask[tuple(slice(lo, hi) for lo, hi in self.interior)] = False
        return mask

    @property
    def border_positions(self) -> int:
        return int(self.counts.size - (0 if self.empty else self._inside().size))

    @property
    def border_range(self) -> tuple[int, int] | None:
        """``(min, max)`` coverage over the border positions (``None``: no border)."""
        values = self.counts[self.border_mask]
        return None if values.size == 0 else (int(values.min()), int(values.max()))

    def axis_ratio(self) -> tuple[Fraction | None, ...]:
        """Per-axis ratio of the pattern's marginal extremes (for separable coverage the
        N-D ratio is their product, theorem T16)."""
        out: list[Fraction | None] = []
        for a in range(self.ndim):
            other = tuple(b for b in range(self.ndim) if b != a)
            inside = self._inside()
            if inside.size == 0:
                out.append(None)
                continue
            line = inside.max(axis=other) if other else inside
            lo, hi = int(line.min()), int(line.max())
            out.append(None if lo == 0 else Fraction(hi, lo))
        return tuple(out)


def _make_checkerboard(counts: NDArray[np.int64], box: Box,
                       structural: tuple[int, ...]) -> Checkerboard:
    """Metrics of ``counts`` over the interior ``box`` with the layers' period ``structural``."""
    nd = counts.ndim
    structural = tuple(max(int(p), 1) for p in structural)
    empty = any(lo >= hi for lo, hi in box)
    complete = not empty and all(hi - lo >= p for (lo, hi), p in zip(box, structural, strict=True))
    if empty:
        return Checkerboard(counts, box, structural, structural,
                            np.full(structural, -1, dtype=_I64), False, True)
    # pattern[r] = count at the first interior position with j = r (mod P), per axis
    picks, valid = [], []
    for (lo, hi), p in zip(box, structural, strict=True):
        first = lo + (np.arange(p) - lo) % p
        valid.append(first < hi)
        picks.append(np.minimum(first, hi - 1))
    pattern = counts[np.ix_(*picks)].astype(_I64)
    seen = np.ones(pattern.shape, dtype=bool)
    for a, v in enumerate(valid):
        shape = [1] * nd
        shape[a] = -1
        seen = seen & v.reshape(shape)
    pattern[~seen] = -1
    inside = counts[tuple(slice(lo, hi) for lo, hi in box)]
    phases = [np.arange(lo, hi) % p for (lo, hi), p in zip(box, structural, strict=True)]
    periodic = bool(np.array_equal(pattern[np.ix_(*phases)], inside))
    period = list(structural)
    if complete and periodic:
        for a in range(nd):
            p = structural[a]
            for q in _divisors(p):
                if np.array_equal(np.take(pattern, np.arange(p) % q, axis=a), pattern):
                    period[a] = q
                    break
        pattern = pattern[tuple(slice(0, q) for q in period)]
    return Checkerboard(counts, box, structural, tuple(period), pattern, complete, periodic)


@lru_cache(maxsize=16)
def _fields(layers: tuple[Layer, ...], sizes: tuple[int, ...], axis: int) -> tuple[Any, ...]:
    """The receptive fields of every prefix of ``layers`` on one axis, tabulated once for all
    the views of an analysis (:func:`analyze` clears the cache when it is done)."""
    from symconv.coverage.receptive import receptive_prefixes

    return receptive_prefixes(layers, sizes, axis)


def _layer_period(layers: Sequence[Layer], sizes: tuple[int, ...],
                  depth: int | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per axis, the period of the outputs (P) and of the inputs (Q) of a stack (of its first
    ``depth`` layers)."""
    ps, qs = [], []
    for a in range(len(sizes)):
        rf = _fields(tuple(layers), tuple(sizes), a)[(depth or len(layers)) - 1]
        ps.append(rf.period)
        qs.append(rf.shift)
    return tuple(ps), tuple(qs)


def _divisors(p: int) -> list[int]:
    """The divisors of ``p`` in increasing order (trial division up to its square root)."""
    small = [q for q in range(1, isqrt(p) + 1) if p % q == 0]
    return small + [p // q for q in reversed(small) if q * q != p]


def _single_periods(r: Resolved) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Output and input periods of one layer per axis (closed forms; resizes via receptive)."""
    layer = r.layer
    nd = len(r.input)
    if isinstance(layer, Conv | AvgPool | MaxPool):
        return (1,) * nd, tuple(layer.stride)
    if isinstance(layer, ConvTranspose):
        return tuple(layer.stride), (1,) * nd
    if isinstance(layer, PixelShuffle):
        return (layer.factor,) * nd, (1,) * nd
    if isinstance(layer, PixelUnshuffle):
        return (1,) * nd, (layer.factor,) * nd
    return _layer_period([layer], tuple(int(v) for v in r.input))


def checkerboard(layer: Layer, input_size: Any) -> Checkerboard:
    """Forward coverage of one layer (row counts of its single-channel map) and its metrics.

    >>> cb = checkerboard(ConvTranspose(kernel=4, stride=2, padding=1), (4, 4))
    >>> cb.uniform, cb.interior, cb.border_range
    (True, ((1, 7), (1, 7)), (1, 2))
    """
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    return _forward_checkerboard(structure_map(r.layer, sizes), r)


def _forward_checkerboard(m: IndexMap, r: Resolved) -> Checkerboard:
    counts = np.bincount(m.rows, minlength=m.shape[0]).astype(_I64).reshape(r.output)
    box = tuple(_box(_forward_interior(r, a)) for a in range(len(r.input)))
    return _make_checkerboard(counts, box, _single_periods(r)[0])


def _gradient_checkerboard(m: IndexMap, r: Resolved) -> Checkerboard:
    counts = np.bincount(m.cols, minlength=m.shape[1]).astype(_I64).reshape(r.input)
    box = tuple(_box(_gradient_interior(r, a)) for a in range(len(r.input)))
    return _make_checkerboard(counts, box, _single_periods(r)[1])


def gradient_checkerboard(layer: Layer, input_size: Any) -> Checkerboard:
    """Gradient coverage of one layer (column counts: how many terms each input feeds).

    A stride-2 conv with kernel 3 touches every other input twice (theorem T17):

    >>> cb = gradient_checkerboard(Conv(kernel=3, stride=2, padding=1), 8)
    >>> cb.pattern.tolist(), cb.counts.tolist()
    ([1, 2], [1, 2, 1, 2, 1, 2, 1, 1])
    """
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    return _gradient_checkerboard(structure_map(r.layer, sizes), r)


# --------------------------------------------------------------------------- stacks (T18)


@dataclass(frozen=True, slots=True, eq=False)
class StackCoverage:
    """Path counts of a stack, computed as sparse products of the layers' 0/1 structures.

    ``sizes[l]`` is the spatial size after ``l`` layers (``sizes[0]`` the input);
    ``maps[l]`` the structure of layer ``l`` (:func:`structure_map`); ``forward[l]`` the number
    of paths from the input to each position after layer ``l`` (``forward[0]`` all ones);
    ``gradient`` the number of paths from each input position to the output.
    """

    layers: tuple[Layer, ...]
    resolved: tuple[Resolved, ...]
    sizes: tuple[tuple[int, ...], ...]
    maps: tuple[IndexMap, ...]
    forward: tuple[NDArray[np.int64], ...]
    gradient: NDArray[np.int64]

    def depth(self, l: int) -> Checkerboard:  # noqa: E741
        """Path-count metrics after layer ``l`` (1-based depth; ``len(layers)`` = output)."""
        if not 1 <= l <= len(self.layers):
            raise InvalidSpecError(f"l={l} must be a depth in 1..{len(self.layers)}")
        period, _ = _layer_period(self._specs(), self.sizes[0], l)
        return _make_checkerboard(self.forward[l], self._forward_box(l), period)

    def gradient_checkerboard(self) -> Checkerboard:
        """Metrics of :attr:`gradient` (period: the stack's input period per axis)."""
        _, shift = _layer_period(self._specs(), self.sizes[0])
        return _make_checkerboard(self.gradient, self._gradient_box(), shift)

    def _specs(self) -> tuple[Layer, ...]:
        """The layers broadcast to the input's rank (the receptive fields' cache key)."""
        return tuple(r.layer for r in self.resolved)

    def layer_forward(self, index: int) -> Checkerboard:
        """Row-count metrics of layer ``index`` (0-based) alone."""
        return _forward_checkerboard(self.maps[index], self.resolved[index])

    def layer_gradient(self, index: int) -> Checkerboard:
        """Column-count metrics of layer ``index`` (0-based) alone."""
        return _gradient_checkerboard(self.maps[index], self.resolved[index])

    # Interiors of the stack, per axis.  Forward: output j of layer l is clean when its window
    # [lo(j), hi(j)] lies in the clean interval [a, b] of layer l - 1 (the whole input for
    # l = 1); windows are monotone in j, so the clean set is again an interval.  Gradient:
    # input i of layer l is clean when every output whose window holds i lies in the clean
    # interval [a, b] of layer l (hi(a - 1) < i < lo(b + 1)) and no read is redirected onto i.

    def _forward_box(self, depth: int) -> Box:
        out = []
        for a in range(len(self.sizes[0])):
            lo_ok, hi_ok = 0, self.sizes[0][a] - 1
            for r in self.resolved[:depth]:
                lo, hi = _windows(r, a, np.arange(int(r.output[a]), dtype=_I64))
                box = _box((lo >= lo_ok) & (hi <= hi_ok))
                lo_ok, hi_ok = box[0], box[1] - 1
            out.append((lo_ok, hi_ok + 1))
        return tuple(out)

    def _gradient_box(self) -> Box:
        out = []
        for a in range(len(self.sizes[0])):
            lo_ok, hi_ok = 0, self.sizes[-1][a] - 1
            for r in reversed(self.resolved):
                if lo_ok > hi_ok:
                    break
                lo_e, hi_e = _windows(r, a, np.array([lo_ok - 1, hi_ok + 1], dtype=_I64))
                i = np.arange(int(r.input[a]), dtype=_I64)
                clean = (i > hi_e[0]) & (i < lo_e[1]) & _gradient_interior(r, a)
                box = _box(clean)
                lo_ok, hi_ok = box[0], box[1] - 1
            out.append((lo_ok, hi_ok + 1) if lo_ok <= hi_ok else (0, 0))
        return tuple(out)


def _check_layers(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    items = tuple(layers) if not isinstance(layers, Layer) else (layers,)
    if not items:
        raise InvalidSpecError("layers=() must hold at least one layer")
    for layer in items:
        if not isinstance(layer, Conv | ConvTranspose | AvgPool | MaxPool | MaxUnpool | Resize
                          | PixelShuffle | PixelUnshuffle | AdaptiveAvgPool | AdaptiveMaxPool):
            raise InvalidSpecError(f"layers must hold symconv layer specs, got {layer!r}")
    return items


def stack_coverage(layers: Sequence[Layer], input_size: Any, *,
                   max_nnz: int | None = None) -> StackCoverage:
    """Path counts of ``layers`` (applied first to last) on a spatial input size (T18).

    The counts are sparse matrix-vector products of the layers' 0/1 structures (int64,
    exact); the graph (:mod:`symconv.coverage.graph`) is never needed for them.  Before any
    array is made, the structure maps' entries plus the positions of every layer are bounded
    from the sizes and the parameters and checked against ``max_nnz``
    (:func:`symconv.coverage.budget.check_analysis`; default
    :data:`~symconv.coverage.budget.DEFAULT_MAX_NNZ`).

    >>> st = stack_coverage([ConvTranspose(kernel=3, stride=2)] * 2, 8)
    >>> st.depth(2).pattern.tolist()
    [3, 2, 3, 1]
    >>> int(st.forward[2].sum()) == 3 * 3 * 8  # every path: 3 taps per layer from each input
    True
    """
    items = _check_layers(layers)
    sizes = [_sizes(input_size)]
    check_analysis(plan(items, sizes[0]), max_nnz)
    resolved, maps = [], []
    for layer in items:
        r = resolve(layer, sizes[-1])
        resolved.append(r)
        maps.append(structure_map(r.layer, sizes[-1], max_nnz=max_nnz))
        sizes.append(tuple(int(v) for v in r.output))
    mats = [_csr(m) for m in maps]
    forward = [np.ones(prod(sizes[0]), dtype=_I64)]
    for mat in mats:
        forward.append(np.asarray(mat @ forward[-1], dtype=_I64))
    back = np.ones(prod(sizes[-1]), dtype=_I64)
    for mat in reversed(mats):
        back = np.asarray(mat.T @ back, dtype=_I64)
    return StackCoverage(
        items, tuple(resolved), tuple(sizes), tuple(maps),
        tuple(f.reshape(sz) for f, sz in zip(forward, sizes, strict=True)),
        back.reshape(sizes[0]),
    )


# --------------------------------------------------------------------------- one-call analysis


@dataclass(frozen=True, slots=True, eq=False)
class LayerCoverage:
    """One layer of an analysed stack: its own forward and gradient coverage, the path counts
    up to its output, and what would make it even."""

    index: int
    layer: Layer
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    forward: Checkerboard
    gradient: Checkerboard
    path: Checkerboard
    suggestions: tuple[KernelSuggestion, ...] = ()
    alternative: ResizeConv | None = None
    constant_preserving: bool | None = None
    notes: tuple[str, ...] = ()


def _layer_notes(r: Resolved) -> tuple[str, ...]:
    """What the counts of one layer do not say by themselves (adaptive windows)."""
    layer = r.layer
    if not isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        return ()
    axes = [(a, int(n), int(o)) for a, (n, o) in enumerate(zip(r.input, r.output, strict=True))
            if layer.output_size[a] is not None]
    if not axes:
        return ()
    shown = ", ".join(f"{n} -> {o}" for _, n, o in axes)
    if any(n % o for _, n, o in axes):
        how = "they overlap: o does not divide n, so neighbouring windows share inputs"
    else:
        how = "they tile the input: o divides n"
    return (f"adaptive windows [floor(i*n/o), ceil((i+1)*n/o)) depend on the input size n; "
            f"here ({shown}) {how}; these counts hold for this input size only",)


def _constant_preserving(layer: Layer, r: Resolved, box: Box,
                         max_nnz: int | None = None) -> bool | None:
    """For a fixed-weight layer (resize, average pool, adaptive too): does it map a constant input to a
    constant output on the interior?  Exact row sums of its coefficients.  ``None`` for layers
    with learned weights (see :func:`preserves_constant`) and for max pooling."""
    if not isinstance(layer, Resize | AvgPool | AdaptiveAvgPool):
        return None
    one = (1, *(int(v) for v in r.input))
    if isinstance(layer, AdaptiveAvgPool):
        m = adaptive_avg_pool_map(r.layer, one, max_nnz=max_nnz)
    elif isinstance(layer, Resize):
        m = exact_resize_map(r.layer, one, max_nnz)
    else:
        m = avg_pool_map(r.layer, one, max_nnz=max_nnz)
    if any(lo >= hi for lo, hi in box) or m.nnz == 0:
        return None
    scale = int(np.lcm.reduce(m.den))
    sums = np.zeros(m.shape[0], dtype=_I64)
    np.add.at(sums, m.rows, m.num * (scale // m.den))
    inside = sums.reshape(r.output)[tuple(slice(lo, hi) for lo, hi in box)]
    return bool(np.all(inside == inside.flat[0]))


@dataclass(frozen=True, slots=True, eq=False)
class CoverageAnalysis:
    """Everything ``symconv coverage`` reports about a stack on one input size."""

    layers: tuple[Layer, ...]
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    per_layer: tuple[LayerCoverage, ...]
    stack: Checkerboard
    gradient: Checkerboard
    coverage: StackCoverage

    @property
    def uniform(self) -> bool:
        """The stack's output coverage is even (over a whole period of a non-empty interior)."""
        return self.stack.uniform and self.stack.complete

    @property
    def interaction(self) -> str:
        """How the layers' uneven overlaps combine in the stack's output coverage.

        ``uniform`` (no layer uneven), ``cancels`` (uneven layers, even stack), ``damps``
        (stack ratio below the worst layer's), ``persists`` (equal), ``compounds`` (above).
        """
        ratios = [_ratio_key(lc.forward) for lc in self.per_layer]
        worst = max(ratios)
        if self.stack.uniform:
            return "uniform" if worst == 1 else "cancels"
        mine = _ratio_key(self.stack)
        if mine > worst:
            return "compounds"
        return "persists" if mine == worst else "damps"


def _ratio_key(cb: Checkerboard) -> Fraction | float:
    """The ratio for comparisons: ``inf`` for holes, 1 for an empty interior."""
    if cb.empty:
        return Fraction(1)
    return float("inf") if cb.ratio is None else cb.ratio


def analyze(layers: Sequence[Layer], input_size: Any, *,
            max_nnz: int | None = None) -> CoverageAnalysis:
    """Coverage of a stack: per layer, along the stack, for the gradient, with suggestions.

    Parameters
    ----------
    layers : sequence of layer specs
        Applied first to last (convolutions, transposed convolutions, pools, adaptive pools,
        resizes, pixel (un)shuffles).
    input_size : int or tuple of int
        The spatial input size.
    max_nnz : int, optional
        Budget of the analysis in entries (structure-map entries, positions, pattern phases),
        checked before anything is allocated (:mod:`symconv.coverage.budget`; default
        :data:`~symconv.coverage.budget.DEFAULT_MAX_NNZ`).

    Returns
    -------
    CoverageAnalysis

    Raises
    ------
    InvalidSpecError
        When a layer does not fit the size it receives, or the analysis exceeds ``max_nnz``.
    UnsupportedError
        For max-unpooling (its coverage depends on the switches), or receptive-field tables
        longer than their work budget.

    Examples
    --------
    Two 3x3 stride-2 transposed convs on 16x16 compound their unevenness (ratio 2 per axis
    each, 3 per axis together); kernel 4 fixes it:

    >>> from symconv.spec.syntax import parse_layers
    >>> a = analyze(parse_layers(["conv-transpose k=3 s=2", "conv-transpose k=3 s=2"]), (16, 16))
    >>> a.uniform, a.stack.ratio, a.interaction
    (False, Fraction(9, 1), 'compounds')
    >>> a.per_layer[0].suggestions[0].layer
    ConvTranspose(kernel=4, stride=2, padding=1, output_padding=1)
    """
    try:
        return _analyze(layers, input_size, max_nnz)
    finally:
        _fields.cache_clear()
        exact_resize_map.cache_clear()


def _analyze(layers: Sequence[Layer], input_size: Any, max_nnz: int | None) -> CoverageAnalysis:
    st = stack_coverage(layers, input_size, max_nnz=max_nnz)
    per = []
    for i, (layer, r) in enumerate(zip(st.layers, st.resolved, strict=True)):
        suggestions: tuple[KernelSuggestion, ...] = ()
        alternative = None
        if isinstance(layer, ConvTranspose) or (
            isinstance(layer, Conv) and any(s > 1 for s in r.layer.stride)
        ):
            suggestions = suggest_kernels(layer, st.sizes[i])
        if isinstance(layer, ConvTranspose) and suggestions:
            alternative = resize_conv_alternative(layer, st.sizes[i])
        forward = st.layer_forward(i)
        per.append(LayerCoverage(i, layer, st.sizes[i], st.sizes[i + 1], forward,
                                 st.layer_gradient(i), st.depth(i + 1), suggestions,
                                 alternative,
                                 _constant_preserving(layer, r, forward.interior, max_nnz),
                                 _layer_notes(r)))
    return CoverageAnalysis(st.layers, st.sizes[0], st.sizes[-1], tuple(per), per[-1].path,
                            st.gradient_checkerboard(), st)

