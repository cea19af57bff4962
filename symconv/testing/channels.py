"""A convolution's exact map, factored into its spatial map and its channel mixing.

A convolution (or transposed convolution) with ``C_in`` input and ``C_out`` output channels
has ``C_out * C_in / groups`` copies of one spatial map, one per channel pair: its full
:class:`~symconv.core.index.IndexMap` holds ``C_out * C_in / groups * k * out`` entries (285
million for a 64-to-64 3x3 convolution on 88x88).  :class:`ChannelMap` keeps the spatial map
once (``k * out`` entries: one channel in, one out, the tap of each entry) and mixes the
channels per tap with the weights, so :func:`~symconv.testing.expected` handles layers of
real width.  The arithmetic is the full map's: exact in int64 while a bound on the sums
allows it, in Python numbers (``int``/``Fraction``) past it or for Fraction data, float64
for float data.

Weights use the PyTorch layouts: ``(C_out, C_in/groups, *k)`` for a convolution,
``(C_in, C_out/groups, *k)`` for a transposed one.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core import IndexMap, check_budget, linear_map
from symconv.spec import Conv

__all__ = ["ChannelMap", "channel_map"]

#: Peak bytes per gathered value of one tap's step (the gathered input, its scaled copy, the
#: product's terms and the sum; Python numbers are objects of their own): measured with
#: tests/benchmarks/bench_memory.py.
BYTES_PER_VALUE = {"int": 40, "float": 40, "object": 140}
#: The same for the weight gradient, whose terms are summed at once into the taps.
GRAD_BYTES_PER_VALUE = {"int": 28, "float": 28, "object": 40}
#: A result value held as a Python number (a Fraction: the object and its two ints).
RESULT_OBJECT_BYTES = 120


@dataclasses.dataclass(frozen=True)
class ChannelMap:
    """The spatial map of one channel pair (``spatial``: rows, cols, taps, coefficients) and
    the channel layout: ``groups``, ``c_in``, ``c_out`` and whether it is transposed; each
    product is checked against ``max_nnz`` values and ``max_memory`` bytes (the core's
    defaults when ``None``) before it runs."""

    spatial: IndexMap
    groups: int
    c_in: int
    c_out: int
    transposed: bool
    max_nnz: int | None = None
    max_memory: int | None = None

    @property
    def nnz(self) -> int:
        """Entries of the full map this one stands for."""
        return self.spatial.nnz * self.c_out * (self.c_in // self.groups)

    # ------------------------------------------------------------------ helpers
    def _taps(self) -> Iterator[tuple[int, NDArray[np.int64], NDArray[np.int64],
                                      NDArray[Any] | None]]:
        """Per tap with entries: the tap, its rows, its cols and its scaled coefficients
        (``num * L / den``; ``None`` where every one is 1), gathered one tap at a time."""
        m = self.spatial
        taps = m.taps[:, 0] if m.degree else np.zeros(m.nnz, dtype=np.int64)
        unit = self.lcm == 1 and bool((m.num == 1).all())
        for t in range(self.kernel_size):
            idx = np.flatnonzero(taps == t)  # one pass a tap: a mask, not a sort of the map
            if not len(idx):
                continue
            coef = None
            if not unit:
                num, den = m.num[idx], m.den[idx]
                coef = num.astype(object) * (self.lcm // den.astype(object)) \
                    if self.lcm >= 2**62 else num * (self.lcm // den)
            yield t, m.rows[idx], m.cols[idx], coef

    @functools.cached_property
    def lcm(self) -> int:
        """The lcm of the coefficients' denominators (1 for a plain convolution: checked
        without a sorted copy of the map)."""
        m = self.spatial
        if not m.nnz or bool((m.den == 1).all()):
            return 1
        return math.lcm(*np.unique(m.den).tolist())

    @property
    def kernel_size(self) -> int:
        return int(sum(w.size for w in self.spatial.weights)) or 1

    def _weights(self, w: NDArray[Any]) -> NDArray[Any]:
        """``(groups, out/groups, in/groups, K)`` from the PyTorch layout."""
        g, k = self.groups, self.kernel_size
        if self.transposed:  # (C_in, C_out/g, *k)
            ww = w.reshape(g, self.c_in // g, self.c_out // g, k)
            return ww.transpose(0, 2, 1, 3)
        return w.reshape(g, self.c_out // g, self.c_in // g, k)

    def _dtype(self, exact: bool, terms: int, *arrays: NDArray[Any]) -> Any:
        """int64 where every value fits and so does a bound on a sum of ``terms`` products,
        else object (exact) or float64."""
        if not exact:
            return np.float64
        if any(a.dtype.kind not in "iu" for a in arrays) or self.lcm >= 2**62:
            return object
        bound = self.lcm * max(1, _magnitude(self.spatial.num)) * max(terms, 1)
        for a in arrays:
            bound *= max(1, _magnitude(a))
        return np.int64 if bound < 2**62 else object

    def _per_index(self) -> int:
        """The most entries sharing one output or one input position (all taps)."""
        m = self.spatial
        if not m.nnz:
            return 1
        return int(max(np.bincount(m.rows).max(), np.bincount(m.cols).max()))

    def _budget(self, n: int, dtype: Any, what: str, result: int) -> None:
        """Before a product: per tap, the gathered values of every channel, their scaled copy
        and the terms (``BYTES_PER_VALUE`` each of the largest tap's); besides, a tap's mask
        over the entries and its indices, the input, cotangent and result arrays (8 bytes a
        value: Python numbers are shared, not copied) and, in Python numbers, the ``result``
        values' own objects."""
        kind = "object" if dtype is object else "float" if dtype is np.float64 else "int"
        m = self.spatial
        taps = m.taps[:, 0] if m.degree else np.zeros(1, dtype=np.int64)
        biggest = int(np.bincount(taps, minlength=1).max()) if m.nnz else 0
        values = n * (self.c_in * math.prod(self._in_spatial())
                      + self.c_out * math.prod(self._out_spatial()))
        per = (GRAD_BYTES_PER_VALUE if what == "weight gradient" else BYTES_PER_VALUE)[kind]
        check_budget(n * max(self.c_in, self.c_out) * biggest, self.max_nnz,
                     max_memory=self.max_memory, per_entry=per, what=what,
                     extra_bytes=m.nbytes + 2 * m.nnz + 24 * biggest + 8 * values
                     + (RESULT_OBJECT_BYTES if kind == "object" else 0) * result)

    def _finish(self, out: NDArray[Any], exact: bool, dtype: Any) -> NDArray[Any]:
        lcm = self.lcm
        if not exact or lcm == 1:
            return out
        return np.frompyfunc(lambda v: Fraction(v) / lcm, 1, 1)(out).astype(object)

    # ------------------------------------------------------------------ the three products
    def apply(self, x: NDArray[Any], w: NDArray[Any], exact: bool) -> NDArray[Any]:
        """``layer(x)``: ``x`` of shape ``(N, C_in, *in)`` -> ``(N, C_out, *out)``."""
        return self._mix(x, w, exact, forward=True)

    def adjoint(self, g_out: NDArray[Any], w: NDArray[Any], exact: bool) -> NDArray[Any]:
        """``A^T g``: the input gradient, ``g`` of shape ``(N, C_out, *out)``."""
        return self._mix(g_out, w, exact, forward=False)

    def _mix(self, src: NDArray[Any], w: NDArray[Any], exact: bool,
             forward: bool) -> NDArray[Any]:
        """The map (``forward``: gather the cols, scatter into the rows) or its adjoint
        (gather the rows, scatter into the cols), the channels mixed per tap."""
        n, g = src.shape[0], self.groups
        c_src, c_dst = (self.c_in, self.c_out) if forward else (self.c_out, self.c_in)
        dst_spatial = self._out_spatial() if forward else self._in_spatial()
        dtype = self._dtype(exact, self._per_index() * max(self.c_in, self.c_out), src, w)
        self._budget(n, dtype, "channel-mixed application" if forward else
                     "channel-mixed adjoint", n * c_dst * math.prod(dst_spatial))
        ss = src.reshape(n, g, c_src // g, -1).astype(dtype)
        ws = self._weights(w).astype(dtype)  # (g, out/g, in/g, K)
        out = np.zeros((n, g, c_dst // g, math.prod(dst_spatial)), dtype=dtype)
        if dtype is object:
            out[...] = 0
        spec = "goc,ngcm->ngom" if forward else "goc,ngom->ngcm"
        for t, rows, cols, coef in self._taps():
            take, put = (cols, rows) if forward else (rows, cols)
            gathered = ss[..., take]  # (n, g, channels of src, m)
            if coef is not None:
                gathered = gathered * coef.astype(dtype)
            terms = np.einsum(spec, ws[..., t], gathered)
            np.add.at(out.transpose(3, 0, 1, 2), put, terms.transpose(3, 0, 1, 2))
        return self._finish(out.reshape(n, c_dst, *dst_spatial), exact, dtype)

    def weight_grad(self, x: NDArray[Any], g_out: NDArray[Any], w_shape: tuple[int, ...],
                    exact: bool) -> NDArray[Any]:
        """The gradient of ``<g, layer(x, w)>`` with respect to ``w`` (PyTorch layout)."""
        n, g = x.shape[0], self.groups
        dtype = self._dtype(exact, n * self.spatial.nnz, x, g_out)
        self._budget(n, dtype, "weight gradient", self.c_out * self.c_in * self.kernel_size)
        xs = x.reshape(n, g, self.c_in // g, -1).astype(dtype)
        gs = g_out.reshape(n, g, self.c_out // g, -1).astype(dtype)
        grad = np.zeros((g, self.c_out // g, self.c_in // g, self.kernel_size), dtype=dtype)
        if dtype is object:
            grad[...] = 0
        for t, rows, cols, coef in self._taps():
            gathered = gs[..., rows]
            if coef is not None:
                gathered = gathered * coef.astype(dtype)
            grad[..., t] = np.einsum("ngom,ngcm->goc", gathered, xs[..., cols])
        if self.transposed:  # back to (C_in, C_out/g, K)
            grad = grad.transpose(0, 2, 1, 3)
        return self._finish(grad.reshape(w_shape), exact, dtype)

    def _out_spatial(self) -> tuple[int, ...]:
        return tuple((self.spatial.out_shape or (1, 0))[1:])

    def _in_spatial(self) -> tuple[int, ...]:
        return tuple((self.spatial.in_shape or (1, 0))[1:])


def _magnitude(a: NDArray[Any]) -> int:
    """``max |a|`` of an integer array without an array of magnitudes."""
    if not a.size:
        return 0
    return max(abs(int(a.max())), abs(int(a.min())))


def channel_map(layer: Any, sizes: tuple[int, ...], c_in: int, c_out: int, *,
                max_nnz: int | None = None, max_memory: int | None = None) -> ChannelMap:
    """The factored map of the convolution ``layer`` (resolved to ``sizes``' rank) from
    ``c_in`` to ``c_out`` channels: its spatial map is built once, for one channel pair."""
    one = dataclasses.replace(layer.at(len(sizes)), groups=1, in_channels=None,
                              out_channels=None)
    spatial = linear_map(one, (1, *sizes), out_channels=1, max_nnz=max_nnz,
                         max_memory=max_memory)
    return ChannelMap(spatial, int(layer.groups), c_in, c_out, not isinstance(layer, Conv),
                      max_nnz, max_memory)
