"""What ``symconv latex`` states about adaptive and global pooling, each statement checked.

:func:`adaptive_facts` is the adaptive part of :func:`symconv.report.facts.layer_facts`: the
layer's matrix (exact averages ``1/|window|``, or the max's selection matrix at a seeded input)
and its claims, each verified for the configuration against an independent definition: the
numeric reference ops (:func:`symconv.numeric.adaptive_avg_pool`,
:func:`~symconv.numeric.adaptive_max_pool`), the adjoint spread written here window by window,
and, when every output size divides its input size, the fixed-window pooling and the nearest
upsampling (theorem T10) the layer then is.

>>> import numpy as np
>>> from symconv.sizes.shapes import resolve
>>> from symconv.spec import AdaptiveAvgPool
>>> f = adaptive_facts(AdaptiveAvgPool(3), resolve(AdaptiveAvgPool(3), (6,)), 1,
...                    np.random.default_rng(0))
>>> [c.holds for c in f.transpose + f.direct], f.label
([True, True, True], 'A')
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.core import (
    IndexMap,
    adaptive_avg_pool_map,
    adaptive_max_pool_selection_map,
    avg_pool_map,
    max_pool_selection_map,
    resize_map,
)
from symconv.report.model import Claim
from symconv.sizes.shapes import Resolved
from symconv.spec import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool, Resize

__all__ = ["AdaptiveFacts", "adaptive_facts"]

#: Largest map (entries) whose exact checks run; beyond it they are skipped with a note.
MAX_CHECK_NNZ = 2_000_000

_I64 = np.int64


@dataclass
class AdaptiveFacts:
    """The matrix of an adaptive pooling and its claims, by section of the document."""

    matrix: IndexMap | None
    label: str
    text: str
    transpose: list[Claim] = field(default_factory=list)
    direct: list[Claim] = field(default_factory=list)
    gradient: list[Claim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _box(index: tuple[int, ...], n: tuple[int, ...], o: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(i * m // p, -(-(i + 1) * m // p)) for i, m, p in zip(index, n, o,
                                                                         strict=True))


def _spread(g: NDArray[Any], n: tuple[int, ...], o: tuple[int, ...]) -> NDArray[Any]:
    """``A^T g`` from the definition: every output gradient ``g_i`` is spread evenly over its
    window, ``g_i / |W_i|`` to each input of ``W_i`` (exact, one output position at a time)."""
    out = np.zeros((g.shape[0], *n), dtype=object)
    out[...] = Fraction(0)
    for index in itertools.product(*(range(p) for p in o)):
        box = _box(index, n, o)
        size = prod(s.stop - s.start for s in box)
        at: tuple[Any, ...] = (slice(None), *index)
        inside: tuple[Any, ...] = (slice(None), *box)
        share = g[at].astype(object) / Fraction(size)
        out[inside] += share.reshape(share.shape + (1,) * len(n))
    return out


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(a == b))


def _divisible(n: tuple[int, ...], o: tuple[int, ...]) -> list[int]:
    """The axes whose output size does not divide the input size (empty: all divide)."""
    return [a for a, (m, p) in enumerate(zip(n, o, strict=True)) if m % p]


def _avg(layer: AdaptiveAvgPool, r: Resolved, c: int, rng: np.random.Generator) -> AdaptiveFacts:
    from symconv import numeric

    n = tuple(int(v) for v in r.input)
    o = tuple(int(v) for v in r.output)
    am = adaptive_avg_pool_map(layer, (c, *n))
    facts = AdaptiveFacts(am, "A", "Adaptive average pooling has fixed coefficients: row i "
                          "averages its window, per axis the inputs [floor(i n/o), ceil((i+1) "
                          "n/o)), each with weight 1/|window| (an axis the layer keeps is the "
                          "identity).")
    if am.nnz > MAX_CHECK_NNZ:
        facts.notes.append("the map is too large for the exact checks: they were skipped")
        return facts
    x = rng.integers(-3, 4, size=(1, c, *n), dtype=_I64)
    g = rng.integers(-3, 4, size=(c, *o), dtype=_I64)
    ref = numeric.adaptive_avg_pool(x, r.layer.output_size)[0]
    facts.transpose.append(Claim(
        "A x is the average of each window (numeric.adaptive_avg_pool, written from the "
        "definition), and the gradient dL/dx = A^T dL/dy spreads each output gradient evenly "
        "over its window: input j receives the sum of g_i / |W_i| over the windows W_i that "
        "hold it (overlapping windows add).",
        r"\frac{\partial L}{\partial x_j} = \sum_{i:\ j \in W_i} \frac{g_i}{|W_i|}", (),
        _same(am.apply_exact(x[0]), ref) and _same(am.T.apply_exact(g), _spread(g, n, o)),
        "A x and A^T g from the index map equal numeric.adaptive_avg_pool and the window-by-"
        "window spread on seeded integer data, exactly"))
    uneven = _divisible(n, o)
    if uneven:
        a = uneven[0]
        facts.notes.append(
            f"On axis {a} the output size {o[a]} does not divide the input size {n[a]}: the "
            "windows differ in size or overlap, so A is no fixed-window pooling and no "
            "transposed-convolution form is stated.")
        return facts
    k = tuple(m // p for m, p in zip(n, o, strict=True))
    pool = AvgPool(kernel=k, stride=k, ndim=len(n))
    facts.direct.append(Claim(
        f"Every output size divides its input size, so the windows tile the input: A is the "
        f"average pooling avg-pool k={'x'.join(map(str, k))} (kernel = stride = n/o), i.e. the "
        f"depthwise convolution with stride n/o and every weight 1/{prod(k)}.",
        r"A = \operatorname{avgpool}_{k = s = n/o}", (), avg_pool_map(pool, (c, *n)).equals(am),
        "exact equality of the two index maps"))
    up = resize_map(Resize(scale_factor=k, ndim=len(n)), (c, *o)).scaled(1, prod(k))
    facts.transpose.append(Claim(
        f"The windows tile the input (every output size divides its input size), so A^T is "
        f"nearest upsampling by {'x'.join(map(str, k))} divided by {prod(k)}.",
        r"A^{\top} = \frac{\operatorname{up}^{\mathrm{nearest}}_{n/o}}{\prod_a n_a/o_a}",
        ("T10",), up.equals(am.T), "exact equality of the two index maps"))
    return facts


def _max(layer: AdaptiveMaxPool, r: Resolved, c: int, rng: np.random.Generator) -> AdaptiveFacts:
    from symconv import numeric

    n = tuple(int(v) for v in r.input)
    o = tuple(int(v) for v in r.output)
    x = rng.permutation(c * prod(n)).astype(_I64).reshape((c, *n))
    sm = adaptive_max_pool_selection_map(layer, x)
    xs = ", ".join(map(str, x.reshape(-1).tolist()[:24])) + (" ..." if x.size > 24 else "")
    facts = AdaptiveFacts(sm, "S(x)", "Adaptive max pooling is not linear, but at a fixed input "
                          "x it is the 0/1 selection matrix S(x) of each window's arg-max "
                          "(windows per axis [floor(i n/o), ceil((i+1) n/o))). Shown at the "
                          f"seeded input x = ({xs}) (distinct values, so no ties).")
    y, idx = numeric.adaptive_max_pool(x[None], r.layer.output_size, return_indices=True)
    picked = (sm.cols % prod(n)).reshape(c, -1)
    facts.transpose.append(Claim(
        "adaptive_max_pool(x) = S(x) x, each row selecting the first maximum of its window in "
        "row-major order (PyTorch's indices), and its gradient is dL/dx = S(x)^T dL/dy: each "
        "output gradient goes back to the position of its window's maximum (summed where "
        "overlapping windows share one).",
        r"\frac{\partial L}{\partial x} = S(x)^{\top}\frac{\partial L}{\partial y}", ("T14",),
        _same(sm.apply_exact(x), y[0]) and _same(picked, idx[0].reshape(c, -1)),
        "S(x) x and the selected positions equal numeric.adaptive_max_pool and its indices at "
        "the seeded x"))
    if not _divisible(n, o):
        k = tuple(m // p for m, p in zip(n, o, strict=True))
        pool = MaxPool(kernel=k, stride=k, ndim=len(n))
        facts.direct.append(Claim(
            f"Every output size divides its input size, so the windows tile the input: S(x) is "
            f"the selection matrix of max-pool k={'x'.join(map(str, k))} (kernel = stride = "
            "n/o) at the same x.", r"S(x) = S_{\operatorname{maxpool}_{k = s = n/o}}(x)", (),
            max_pool_selection_map(pool, x).equals(sm), "exact equality of the index maps"))
    return facts


def adaptive_facts(layer: AdaptiveAvgPool | AdaptiveMaxPool, r: Resolved, c: int,
                   rng: np.random.Generator) -> AdaptiveFacts:
    """The matrix and the checked claims of an adaptive (or global) pooling on ``r.input``
    with ``c`` channels; ``rng`` draws the seeded data of the checks."""
    if isinstance(layer, AdaptiveAvgPool):
        return _avg(layer, r, c, rng)
    return _max(layer, r, c, rng)
