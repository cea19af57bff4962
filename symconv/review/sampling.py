"""SC205 decided exactly: does a resize sample the same source positions, with the same
weights, in the other framework?

A resize is a trap only where its sampling cannot be reproduced in the framework a model is
ported to.  An ONNX ``Resize`` whose modes are explicit is compared with the PyTorch calls that
could be meant (``nearest`` / ``nearest-exact``; ``linear`` / ``bicubic`` with and without
``align_corners``); a resize under any other convention with the ONNX ``Resize`` the exporter
writes for it (its coordinate mode, or ``pytorch_half_pixel`` for ``half_pixel``).  Both sides
are the exact core maps (:func:`symconv.core.resize_map`, rational coefficients) of one axis,
compared entry by entry at every input size up to a bound that covers the layer's period
twice; a counterpart equal at every size means the frameworks agree, and no warning is given.

>>> from symconv.spec import Resize
>>> closest_counterpart(Resize(scale_factor=2, mode="linear", convention="onnx")) is None
True
>>> d = closest_counterpart(Resize(scale_factor=2, mode="linear", coordinate_mode="asymmetric",
...                                convention="onnx"))
>>> d.other, d.size
('PyTorch bilinear (align_corners=False)', 2)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv._params import fmt
from symconv.errors import SymconvError, UnsupportedError
from symconv.spec import Convention, CoordinateMode, Resize, ResizeMode

__all__ = ["MAX_COMPARE_ENTRIES", "Difference", "TooLarge", "affordable", "closest_counterpart",
           "like_counterpart"]

#: Most input sizes compared per axis (the bound also covers two periods of the scale).
MAX_SIZES = 48
#: Most map entries (estimated before building: output length times taps per output, for
#: both maps of every size and counterpart) one comparison builds; past it the sizes are
#: cut, and a resize whose smallest size alone exceeds it is not compared (:class:`TooLarge`).
MAX_COMPARE_ENTRIES = 1 << 22


class TooLarge(UnsupportedError):
    """The exact maps of the sizes to compare exceed :data:`MAX_COMPARE_ENTRIES`."""


def _taps(spec: Resize) -> int:
    """Entries per output position of a 1-D map (an upper bound)."""
    if spec.mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT):
        return 1
    return 2 if spec.mode is ResizeMode.LINEAR else 4


def _entries(spec: Resize | None, n: int) -> int:
    """The entries of :func:`_axis_map` of ``spec`` at ``n``, from the size rule alone."""
    from symconv.sizes.shapes import resolve

    if spec is None:
        return 0
    try:
        out = resolve(spec, (n, 1) if spec.ndim == 2 else (n,)).output[0]
    except SymconvError:
        return 0
    return int(out) * _taps(spec) + 1


def affordable(specs: Sequence[Resize | None], sizes: Sequence[int], budget: int,
               what: str) -> list[int]:
    """The longest prefix of ``sizes`` whose maps (each of ``specs`` at each size) fit in
    ``budget`` entries; :class:`TooLarge` when not even the first does."""
    total, keep = 0, []
    for n in sizes:
        total += sum(_entries(sp, n) for sp in specs)
        if total > budget:
            break
        keep.append(n)
    if not keep and sizes:
        first = sum(_entries(sp, sizes[0]) for sp in specs)
        raise TooLarge(
            f"{what}: the exact maps at input size {sizes[0]} have {fmt(first)} entries, more "
            f"than the {budget:,} a comparison builds (its output is that large)")
    return keep


@dataclass(frozen=True, slots=True)
class Difference:
    """The counterpart that agrees on the most sizes, and the first size where it does not."""

    other: str  # e.g. "PyTorch nearest-exact"
    size: int | tuple[int, int]  # input size (or input -> output sizes of a like-resize)


def _axis_spec(spec: Resize, a: int, **changes: Any) -> Resize | None:
    """Axis ``a`` of ``spec`` alone, with ``changes`` (another framework's modes): a 1-D
    resize, or for PyTorch bicubic (2-D only) a 2-D one whose second axis is resized by 1
    (:func:`_axis_map` feeds it ``(n, 1)``); ``None`` when those modes are invalid there."""
    f = None if spec.scale_factor is None else spec.scale_factor[a]
    size = None if spec.size is None else spec.size[a]
    params = {"mode": spec.mode, "coordinate_mode": spec.coordinate_mode,
              "nearest_mode": spec.nearest_mode, "cubic_coeff_a": spec.cubic_coeff_a,
              "exclude_outside": spec.exclude_outside, "convention": spec.convention,
              **changes}
    if params["mode"] not in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT, "nearest",
                              "nearest-exact"):
        params["nearest_mode"] = None
    two = (params["mode"] in (ResizeMode.CUBIC, "cubic")
           and params["convention"] in (Convention.TORCH, "torch"))
    try:
        if two:
            return Resize(scale_factor=None if f is None else (f, 1),
                          size=None if size is None else (size, 1), ndim=2, **params)
        return Resize(scale_factor=None if f is None else (f,),
                      size=None if size is None else (size,), ndim=1, **params)
    except SymconvError:
        return None


def _counterparts(spec: Resize, a: int) -> list[tuple[str, Resize | None]]:
    """The resizes of the other framework that could be meant, on axis ``a`` (same size
    rule); ``None`` where that framework cannot express the mode at all."""
    mode = spec.mode
    if spec.convention is Convention.ONNX:
        if mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT):
            return [(f"PyTorch {m}", _axis_spec(spec, a, mode=m, coordinate_mode=None,
                                                  nearest_mode=None, convention="torch"))
                    for m in ("nearest", "nearest-exact")]
        name = "bilinear" if mode is ResizeMode.LINEAR else "bicubic"
        return [(f"PyTorch {name} (align_corners={ac})",
                 _axis_spec(spec, a, coordinate_mode=None, align_corners=ac,
                            cubic_coeff_a=Fraction(-3, 4), exclude_outside=False,
                            convention="torch")) for ac in (False, True)]
    modes = [spec.coordinate_mode]
    if spec.coordinate_mode is CoordinateMode.HALF_PIXEL and mode is not ResizeMode.NEAREST_EXACT:
        modes.append(CoordinateMode.PYTORCH_HALF_PIXEL)
    nearest = mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT)
    out: list[tuple[str, Resize | None]] = []
    for cm in modes:
        label = (f"ONNX Resize ({cm.value}"
                 + (f", {spec.nearest_mode.value})" if nearest else ")"))
        out.append((label, _axis_spec(spec, a, coordinate_mode=cm, convention="onnx",
                                      mode=ResizeMode.NEAREST if nearest else mode)))
    return out


def _axis_map(spec: Resize, n: int) -> Any:
    """The exact map of one axis (:func:`_axis_spec`) on input ``n``; ``None`` when the size
    is rejected."""
    from symconv.core import resize_map

    try:
        return resize_map(spec, (1, n, 1) if spec.ndim == 2 else (1, n))
    except SymconvError:
        return None


def _sizes(spec: Resize) -> range:
    if spec.scale_factor is not None:
        q = Fraction(spec.scale_factor[0]).limit_denominator(1 << 20).denominator
        return range(1, min(MAX_SIZES, 4 * q + 16) + 1)
    return range(1, min(MAX_SIZES, 2 * int(spec.size[0]) + 8) + 1)


def _compare(mine: Resize | None, theirs: Resize | None, sizes: Any) -> tuple[int, Any]:
    """``(sizes that agree, first size that does not or None)``; a counterpart that does not
    exist, or that no size could be compared on, disagrees at the first size."""
    first_size = next(iter(sizes))
    if mine is None or theirs is None:
        return 0, first_size
    agree = 0
    for n in sizes:
        m, t = _axis_map(mine, n), _axis_map(theirs, n)
        if m is None and t is None:
            continue
        if m is None or t is None or not _same_entries(m, t):
            return agree, n
        agree += 1
    return agree, (None if agree else first_size)


def _same_entries(m: Any, t: Any) -> bool:
    """The same matrix, entry by entry (exact rationals); the spaces may differ in rank
    (PyTorch bicubic is taken on ``(n, 1)``)."""
    import numpy as np

    if m.shape != t.shape:
        return False
    a, b = m.canonical(), t.canonical()
    return bool(a.nnz == b.nnz and np.array_equal(a.rows, b.rows)
                and np.array_equal(a.cols, b.cols) and np.array_equal(a.num, b.num)
                and np.array_equal(a.den, b.den))


def closest_counterpart(spec: Resize, sizes: Sequence[Iterable[int]] | None = None,
                        cut: list[str] | None = None) -> Difference | None:
    """``None`` when a resize of the other framework samples exactly like ``spec`` on every
    axis at every input size compared (``sizes[a]`` for axis ``a``: those the network feeds
    it; by default every size up to a bound that covers two periods of the scale); else the
    counterpart that agrees longest and where it stops.

    The maps are estimated before they are built: the sizes compared on an axis are cut to
    those within :data:`MAX_COMPARE_ENTRIES` (said in ``cut``), and :class:`TooLarge` is
    raised when not even the smallest fits (a resize by ``10^7`` has ``10^7`` entries at
    input size 1)."""
    nd = spec.ndim or 1
    wide = spec.at(nd)
    best: Difference | None = None
    best_ok = -1
    names = [name for name, _ in _counterparts(wide, 0)]
    plan: list[list[int]] = []
    for a in range(nd):
        mine = _axis_spec(wide, a)
        want = sorted(set(sizes[a])) if sizes is not None else (
            list(_sizes(mine)) if mine is not None else [1])
        specs = [mine, *(c for _, c in _counterparts(wide, a))]
        keep = affordable(specs * 2, want, MAX_COMPARE_ENTRIES, f"axis {a}")
        if len(keep) < len(want) and cut is not None:
            cut.append(f"axis {a}: compared at input sizes {_show_sizes(keep)} only (the "
                       f"maps of larger sizes exceed {MAX_COMPARE_ENTRIES:,} entries)")
        plan.append(keep)
    for k, name in enumerate(names):
        agree_all, first = 0, None
        for a in range(nd):
            mine = _axis_spec(wide, a)
            theirs = _counterparts(wide, a)[k][1]
            here = plan[a]
            if not here:
                continue
            agree, first = _compare(mine, theirs, here)
            agree_all += agree
            if first is not None:
                break
        if first is None:
            return None
        if agree_all > best_ok:
            best, best_ok = Difference(name, first), agree_all
    return best


def _show_sizes(sizes: Sequence[int]) -> str:
    if len(sizes) > 2 and list(sizes) == list(range(sizes[0], sizes[-1] + 1)):
        return f"{sizes[0]}..{sizes[-1]}"
    return ", ".join(map(str, sizes))


def like_counterpart(spec_at: Callable[[tuple[int, ...]], Resize],
                     pairs: Iterable[tuple[int, int]] | None = None) -> Difference | None:
    """:func:`closest_counterpart` for a resize to another tensor's size: ``spec_at(size)`` is
    the 1-D resize to an output of ``size``; ``pairs`` are the ``(input, output)`` sizes the
    network gives it (by default every pair up to 12 -> 24)."""
    todo = sorted(set(pairs), key=lambda p: (p[1], p[0])) if pairs is not None else [
        (i, o) for o in range(1, 25) for i in range(1, 13)]
    total, keep = 0, []
    for i, o in todo:  # both maps per counterpart (at most 4 taps per output): estimated
        total += 4 * 4 * (o + 1)
        if total > MAX_COMPARE_ENTRIES:
            break
        keep.append((i, o))
    if not keep and todo:
        raise TooLarge(f"the exact maps at output size {todo[0][1]} have more than the "
                       f"{MAX_COMPARE_ENTRIES:,} entries a comparison builds")
    todo = keep
    by_out: dict[int, list[int]] = {}
    for i, o in todo:
        by_out.setdefault(o, []).append(i)
    best: Difference | None = None
    best_ok = -1
    def at(n: int) -> Resize:
        try:
            return spec_at((n,))
        except SymconvError:  # PyTorch bicubic is 2-D only: axis 0 of a 2-D resize
            return spec_at((n, 1))

    names = [name for name, _ in _counterparts(at(1), 0)]
    for k, name in enumerate(names):
        agree_all, first = 0, None
        for n_out, ins in sorted(by_out.items()):
            mine = at(n_out)
            agree, stop = _compare(_axis_spec(mine, 0), _counterparts(mine, 0)[k][1], ins)
            agree_all += agree
            if stop is not None:
                first = (stop, n_out)
                break
        if first is None:
            return None
        if agree_all > best_ok:
            best, best_ok = Difference(name, first), agree_all
    return best
