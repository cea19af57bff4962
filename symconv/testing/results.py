"""Exact expected outputs and gradients of one layer, from symconv's exact maps.

:func:`expected` applies the layer's :class:`~symconv.core.index.IndexMap` to a batch
``x`` of shape ``(N, C, *spatial)``: exactly (``int`` and ``Fraction`` values, integer arrays
stay integer where the layer is integral) when ``x`` and ``w`` hold integers or Fractions,
in float64 otherwise.  The gradients are the adjoint map applied to an output cotangent ``g``
(:meth:`Expected.input_grad`) and, for convolutions, the weights' vector-Jacobian product
(:meth:`Expected.weight_grad`).  Nothing here runs a framework; nothing here uses
:mod:`symconv.numeric` either (the reference ops are the tests' independent check of this).

Weights use the PyTorch layouts: ``(C_out, C_in/groups, *k)`` for a convolution and
``(C_in, C_out/groups, *k)`` for a transposed one; max pooling is linear for a fixed input
(its selection map picks the first maximum, as PyTorch and onnxruntime do).

>>> import numpy as np
>>> from symconv import AvgPool, Conv
>>> e = expected(AvgPool(kernel=2), np.array([[[1, 2, 4, 4]]]))
>>> e.output
array([[[Fraction(3, 2), Fraction(4, 1)]]], dtype=object)
>>> e.input_grad(np.array([[[2, 4]]])).tolist()
[[[Fraction(1, 1), Fraction(1, 1), Fraction(2, 1), Fraction(2, 1)]]]
>>> c = expected(Conv(kernel=2), np.array([[[1, 2, 3]]]), np.array([[[1, -1]]]))
>>> c.output, c.weight_grad(np.array([[[1, 1]]]))
(array([[[-1, -1]]]), array([[[3, 5]]]))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv._params import fmt, scalar
from symconv.core import IndexMap, check_budget, linear_map
from symconv.core.index import apply, apply_exact
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes.shapes import resolve
from symconv.spec import (
    AdaptiveMaxPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
)
from symconv.testing.channels import ChannelMap, channel_map

__all__ = ["Expected", "expected", "is_exact", "random_inputs", "weight_shape"]


def is_exact(a: Any) -> bool:
    """``a`` holds only integers or Fractions (an integer array, or an object array of them).

    >>> is_exact(np.array([1, 2])), is_exact(np.array([0.5])), is_exact(None)
    (True, False, True)
    """
    if a is None:
        return True
    arr = np.asarray(a)
    if arr.dtype.kind in "iu":
        return True
    if arr.dtype.kind != "O":
        return False
    return all(isinstance(v, int | Fraction) and not isinstance(v, bool) for v in arr.flat)


def _is_weighted(layer: Layer) -> bool:
    return isinstance(layer, Conv | ConvTranspose)


def weight_shape(layer: Layer, channels: int, out_channels: int | None = None,
                 ndim: int | None = None) -> tuple[int, ...] | None:
    """The weight shape of ``layer`` on ``channels`` input channels (``None``: no weights).

    ``out_channels`` defaults to the layer's, else to ``channels`` rounded to the groups.

    >>> weight_shape(Conv(kernel=3, groups=2), 4, 6)
    (6, 2, 3)
    >>> weight_shape(ConvTranspose(kernel=(2, 2)), 3)
    (3, 3, 2, 2)
    """
    if not _is_weighted(layer):
        return None
    assert isinstance(layer, Conv | ConvTranspose)
    g = layer.groups
    co = out_channels or layer.out_channels or g * max(1, channels // g)
    kernel = layer.kernel if ndim is None or len(layer.kernel) == ndim else layer.kernel * ndim
    if isinstance(layer, Conv):
        return (co, channels // g, *kernel)
    return (channels, co // g, *kernel)


def random_inputs(
    layer: Layer, input_size: tuple[int, ...], *, channels: int | None = None,
    out_channels: int | None = None, batch: int = 1, seed: int = 0, exact: bool = True,
    low: int = -4, high: int = 4, max_nnz: int | None = None, max_memory: int | None = None,
) -> tuple[NDArray[Any], NDArray[Any] | None]:
    """A reproducible input ``x`` of shape ``(batch, C, *input_size)`` and the layer's
    weights ``w`` (``None`` for a layer without any): small integers (int64) when ``exact``,
    else float64 standard normals.

    ``C`` is ``channels``, else the layer's ``in_channels``, else its groups (convolutions),
    ``factor ** ndim`` (pixel shuffle), or 1.  The arrays are checked against the budget
    (``max_nnz`` values, ``max_memory`` bytes) before they are made.

    >>> x, w = random_inputs(Conv(kernel=3), (5,))
    >>> x.shape, w.shape, x.dtype.kind
    ((1, 1, 5), (1, 1, 3), 'i')
    """
    nd = len(input_size)
    if channels is None:
        channels = int(getattr(layer, "in_channels", None) or getattr(layer, "groups", None)
                       or 1)
        factor = getattr(layer, "factor", None)
        if type(layer).__name__ == "PixelShuffle" and factor:
            channels = int(factor) ** nd
    assert channels is not None
    seed = scalar("seed", seed, minimum=0, rule=" (the seed of numpy's default_rng)")
    input_size = tuple(scalar("input_size", v, minimum=1) for v in input_size)
    batch = scalar("batch", batch, minimum=1)
    channels = scalar("channels", channels, minimum=1)
    rng = np.random.default_rng(seed)
    wshape = weight_shape(layer, channels, out_channels, nd)
    # the arrays are made at once: budgeted first (8 bytes a value, one temporary copy)
    check_budget(batch * channels * prod(input_size) + prod(wshape or (0,)), max_nnz,
                 max_memory=max_memory, per_entry=16, what="input")

    def draw(shape: tuple[int, ...]) -> NDArray[Any]:
        if exact:
            return rng.integers(low, high + 1, size=shape, dtype=np.int64)
        return rng.standard_normal(shape)

    return draw((batch, channels, *input_size)), None if wshape is None else draw(wshape)


@dataclass(frozen=True)
class Expected:
    """What a correct implementation of ``layer`` returns on ``x`` (and ``w``).

    ``output`` has shape ``(N, C_out, *out)``; ``exact`` says whether it is exact
    (``int``/``Fraction``) or float64; ``maps`` holds the map per sample (one shared map,
    except for max pooling, whose selection depends on the sample); a convolution's map is
    ``factored`` instead: its spatial map once, the channels mixed per tap
    (:mod:`symconv.testing.channels`).  ``layer`` is the layer
    broadcast to the input's rank, ``pads`` the ``(before, after)`` pads applied per axis (a
    transposed convolution's: what is cropped from its full output, under every convention).
    """

    layer: Layer
    x: NDArray[Any]
    w: NDArray[Any] | None
    output: NDArray[Any]
    exact: bool
    pads: tuple[tuple[int, int], ...] | None
    maps: tuple[IndexMap, ...] = field(repr=False, default=())
    factored: ChannelMap | None = field(repr=False, default=None)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.output.shape)

    def _map(self, n: int) -> IndexMap:
        return self.maps[n if len(self.maps) > 1 else 0]

    def _g(self, g: Any) -> NDArray[Any]:
        arr = np.asarray(g)
        if arr.shape != self.output.shape:
            raise InvalidSpecError(
                f"g shape={arr.shape} must be the output's shape {self.output.shape}")
        if self.exact and not is_exact(arr):
            raise InvalidSpecError(
                f"g dtype={arr.dtype} must hold integers or Fractions: the output is exact")
        return arr

    def input_grad(self, g: Any) -> NDArray[Any]:
        """``A^T g``: the gradient with respect to ``x`` of ``<g, layer(x)>`` (the adjoint
        map; exact when the output is)."""
        arr = self._g(g)
        if self.factored is not None:
            assert self.w is not None
            return self.factored.adjoint(arr, self.w, self.exact)
        outs = [self._apply(self._map(n).T, arr[n:n + 1]) for n in range(arr.shape[0])] \
            if len(self.maps) > 1 else [self._apply(self.maps[0].T, arr)]
        return np.concatenate(outs) if len(outs) > 1 else outs[0]

    def weight_grad(self, g: Any) -> NDArray[Any] | None:
        """The gradient with respect to the weights of ``<g, layer(x, w)>`` (``None`` for a
        layer without weights): ``sum_e g[row_e] x[col_e]`` over the entries of each tap."""
        if self.w is None:
            return None
        arr = self._g(g)
        assert self.factored is not None  # every layer with weights has its map factored
        return self.factored.weight_grad(self.x, arr, tuple(np.asarray(self.w).shape),
                                         self.exact)

    def _apply(self, m: IndexMap, batch: NDArray[Any]) -> NDArray[Any]:
        w = None if self.w is None else self.w
        return apply_exact(m, batch, w) if self.exact else apply(m, batch, w)


def _check_x(layer: Layer, x: Any) -> NDArray[Any]:
    arr = np.asarray(x)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iufO":
        raise InvalidSpecError(f"x dtype={arr.dtype} must be numeric (integers, Fractions or "
                               "floats)")
    nd = getattr(layer, "ndim", None)
    if arr.ndim < 3 or (nd is not None and arr.ndim != nd + 2):
        want = "(N, C, *spatial)" if nd is None else f"(N, C, {nd} spatial sizes)"
        raise InvalidSpecError(f"x shape={fmt(arr.shape)} must be {want}")
    return arr


def expected(layer: Layer, x: Any, w: Any = None, *, max_nnz: int | None = None,
             max_memory: int | None = None) -> Expected:
    """The exact expected result of ``layer`` on the batch ``x`` (shape ``(N, C, *spatial)``)
    with weights ``w`` (convolutions only; PyTorch layouts).

    Exact (``int``/``Fraction``) when ``x`` and ``w`` hold integers or Fractions, float64
    otherwise.  Rejections are :class:`~symconv.errors.InvalidSpecError` (an input the
    convention refuses, weights of the wrong shape, a map over budget: ``max_nnz``,
    ``max_memory`` as for :func:`symconv.core.linear_map`).

    >>> from symconv import Conv
    >>> expected(Conv(kernel=3, stride=2, padding="SAME", convention="tensorflow"),
    ...          np.arange(1, 7).reshape(1, 1, 6), np.ones((1, 1, 3), dtype=int)).output
    array([[[ 6, 12, 11]]])
    """
    arr = _check_x(layer, x)
    n, c, sizes = arr.shape[0], arr.shape[1], tuple(arr.shape[2:])
    if n < 1 or c < 1 or min(sizes) < 1:
        raise InvalidSpecError(f"x shape={fmt(arr.shape)} must have no zero-sized axis")
    r = resolve(layer, sizes)
    wt = None
    out_channels = None
    if _is_weighted(layer):
        if w is None:
            raise InvalidSpecError(f"w=None must be given for {type(layer).__name__}: its "
                                   "weights (random_inputs makes some)")
        wt = np.asarray(w)
        if wt.ndim != len(sizes) + 2:
            raise InvalidSpecError(f"w shape={fmt(wt.shape)} must have {len(sizes) + 2} axes "
                                   f"(weight layout of {type(layer).__name__})")
        g = int(getattr(r.layer, "groups", 1))
        out_channels = int(wt.shape[0]) if isinstance(layer, Conv) else int(wt.shape[1]) * g
    elif w is not None:
        raise InvalidSpecError(f"w must be None for {type(layer).__name__}: it has no weights")
    exact = is_exact(arr) and is_exact(wt)
    if not exact:
        arr = arr.astype(np.float64)
        wt = None if wt is None else wt.astype(np.float64)
    if isinstance(layer, MaxUnpool):
        raise UnsupportedError("max-unpooling needs the switches of its pool: expected() "
                               "covers every other layer kind")
    per_sample = isinstance(layer, MaxPool | AdaptiveMaxPool)
    check_budget(n * c * max(1, prod(sizes)), max_nnz, max_memory=max_memory, what="input")
    pads: tuple[tuple[int, int], ...] | None = None if r.pads is None else tuple(
        (int(b), int(e)) for b, e in r.pads)
    if wt is not None and out_channels is not None:
        from symconv.core.budget import plan_of

        # the full map's rules (channels, groups) without building it
        plan_of(lambda: linear_map(layer, (c, *sizes), out_channels=out_channels,
                                   max_nnz=1 << 62, max_memory=1 << 62))
        want = weight_shape(layer, c, out_channels, len(sizes))
        if tuple(wt.shape) != want:
            raise InvalidSpecError(f"w shape={fmt(wt.shape)} must be {fmt(want)} (weight "
                                   f"layout of {type(layer).__name__})")
        cmap = channel_map(layer, sizes, c, out_channels, max_nnz=max_nnz,
                           max_memory=max_memory)
        return Expected(r.layer, arr, wt, cmap.apply(arr, wt, exact), exact, pads, (), cmap)
    if per_sample:
        sel = arr.astype(np.float64) if not exact else arr
        maps = tuple(linear_map(layer, (c, *sizes), x=sel[i], max_nnz=max_nnz,
                                max_memory=max_memory) for i in range(n))
    else:
        maps = (linear_map(layer, (c, *sizes), out_channels=out_channels, max_nnz=max_nnz,
                           max_memory=max_memory),)
    result = Expected(r.layer, arr, wt, arr, exact, pads, maps)
    outs = [result._apply(m, arr[i:i + 1]) for i, m in enumerate(maps)] if per_sample \
        else [result._apply(maps[0], arr)]
    out = np.concatenate(outs) if len(outs) > 1 else outs[0]
    return Expected(r.layer, arr, wt, out, exact, pads, maps)
