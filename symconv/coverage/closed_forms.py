"""Closed forms of a transposed convolution's overlap (theorem T16): the interior coverage of
an output, its pattern over one period, the evenness criterion ``gcd(s, d) = 1`` and ``s | k``,
and the polyphase sums that decide whether a constant input stays constant.
"""

from __future__ import annotations

from math import gcd, lcm, prod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symconv.errors import InvalidSpecError

__all__ = [
    "balanced_kernel",
    "is_uniform_overlap",
    "overlap_count",
    "overlap_counts",
    "overlap_pattern",
    "phase_sums",
    "preserves_constant",
]

_I64 = np.int64

# --------------------------------------------------------------------------- closed forms (T16)


def overlap_count(j: int, k: int, s: int, p: int = 0, d: int = 1) -> int:
    """Interior coverage of output ``j`` of a transposed conv: ``#{t in [0,k): j+p-dt = 0 mod s}``.

    >>> [overlap_count(j, 3, 2) for j in range(4)]
    [2, 1, 2, 1]
    """
    return sum(1 for t in range(k) if (j + p - d * t) % s == 0)


def overlap_counts(j: NDArray[Any], k: int, s: int, p: int = 0, d: int = 1) -> NDArray[Any]:
    """:func:`overlap_count` for an array of outputs ``j`` at once (vectorised; T16, T17).

    >>> overlap_counts(np.arange(4), 3, 2).tolist()
    [2, 1, 2, 1]
    """
    t = np.arange(k)
    return ((j[:, None] + p - d * t[None, :]) % s == 0).sum(axis=1)


def overlap_pattern(k: int, s: int, p: int = 0, d: int = 1) -> tuple[int, ...]:
    """The interior coverage of outputs ``j = 0 .. s-1`` (it repeats with period ``s``).

    >>> overlap_pattern(3, 2), overlap_pattern(4, 2, d=2)
    ((2, 1), (4, 0))
    """
    t = np.arange(k, dtype=_I64)
    phase = (d * t - p) % s  # output residue that tap t serves: j = d t - p (mod s)
    return tuple(int(v) for v in np.bincount(phase, minlength=s))


def is_uniform_overlap(k: int, s: int, d: int = 1) -> bool:
    """True iff a transposed conv (kernel ``k``, stride ``s``, dilation ``d``) covers its
    interior evenly: ``gcd(s, d) = 1`` and ``s | k`` (theorem T16).

    >>> is_uniform_overlap(3, 2), is_uniform_overlap(4, 2), is_uniform_overlap(4, 2, d=2)
    (False, True, False)
    """
    return gcd(s, d) == 1 and k % s == 0


def balanced_kernel(k: int, s: int) -> NDArray[np.int64] | None:
    """Integer taps whose usual polyphase sums (``t = r mod s``) are all equal, or ``None``
    when ``k < s`` (some phase has no tap).  Tap ``t`` weighs ``L / #phase(t)`` with ``L`` the
    lcm of the phase sizes, so every phase sums to ``L``.

    >>> balanced_kernel(3, 2).tolist(), balanced_kernel(1, 2)
    ([1, 2, 1], None)
    """
    sizes = [len(range(r, k, s)) for r in range(s)]
    if min(sizes) == 0:
        return None
    total = lcm(*sizes)
    return np.array([total // sizes[t % s] for t in range(k)], dtype=np.int64)


def phase_sums(kernel: ArrayLike, stride: Any, dilation: Any = 1) -> NDArray[Any]:
    """Sums of the kernel taps that serve each output phase of a transposed conv.

    ``S[r] = sum of w[t] over the taps with d t = r (mod s)`` (per axis; ``r`` runs over
    ``[0, s)`` on each axis).  In the interior, a transposed conv maps the constant input
    ``c`` to ``c * S[(j + p_b) mod s]`` at output ``j``.  With ``gcd(s, d) = 1`` these are the
    usual polyphase sums ``sum_{t = r' (mod s)} w[t]`` in another order; with ``gcd(s, d) > 1``
    the phases not divisible by the gcd receive no tap at all (``S = 0`` there).

    ``kernel`` holds the spatial taps (one kernel slice, e.g. ``w[c_in, c_out]``); integers and
    ``Fraction`` objects are summed exactly.

    >>> phase_sums([1, 3, 3, 1], 2).tolist()
    [4, 4]
    >>> phase_sums([1, 1], 2, dilation=2).tolist()  # both taps land on even outputs
    [2, 0]
    """
    w = np.asarray(kernel)
    if w.ndim == 0 or w.size == 0:
        raise InvalidSpecError(f"kernel shape={w.shape} must have at least one tap per axis")
    s = _per_axis("stride", stride, w.ndim)
    d = _per_axis("dilation", dilation, w.ndim)
    grid = np.indices(w.shape, dtype=_I64)
    phase = np.zeros(w.shape, dtype=_I64)
    for a in range(w.ndim):
        phase = phase * s[a] + (d[a] * grid[a]) % s[a]
    if w.dtype.kind == "O":
        out = np.empty(prod(s), dtype=object)
        out[:] = [0] * out.size
    else:
        out = np.zeros(prod(s), dtype=w.dtype if w.dtype.kind in "iuf" else float)
    np.add.at(out, phase.ravel(), w.ravel())
    return out.reshape(s)


def preserves_constant(kernel: ArrayLike, stride: Any, dilation: Any = 1) -> bool:
    """True iff a transposed conv with this kernel maps a constant input to a constant output
    in the interior: all its :func:`phase_sums` are equal (compared exactly).

    >>> preserves_constant([0.25, 0.75, 0.75, 0.25], 2), preserves_constant([1, 1, 1], 2)
    (True, False)
    >>> preserves_constant([1, 1], 2, dilation=2)  # equal usual polyphase sums, yet uneven
    False
    """
    sums = phase_sums(kernel, stride, dilation).ravel()
    return bool(all(v == sums[0] for v in sums[1:]))


def _per_axis(name: str, value: Any, ndim: int) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, tuple | list) else (value,) * ndim
    if len(items) != ndim or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in items
    ):
        raise InvalidSpecError(
            f"{name}={value!r} must be a positive integer or one per kernel axis ({ndim})"
        )
    return tuple(int(v) for v in items)
