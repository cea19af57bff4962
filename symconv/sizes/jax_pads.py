"""Negative explicit padding under convention ``jax``: a crop, and JAX's rules at the edges.

Under convention jax a padding pair may be negative: ``lax.pad`` (so
``lax.conv_general_dilated``, ``lax.conv_transpose``, ``lax.reduce_window`` and the flax layers
over them: ``nn.Conv``, ``nn.ConvTranspose``, ``nn.max_pool``, ``nn.avg_pool``) removes ``-p``
positions on that side.  The size formulas do not change (``o = floor((n + pb + pe - k_eff)/s)
+ 1``; transposed: ``(n-1)s + 1 + lo + hi - k_eff + 1`` on the zero-stretched input), and a
window still reads input position ``j s - pb + t d`` (outside ``[0, n)``: padding).  This
module holds what JAX does at the edges, checked against JAX 0.10.2 and flax 0.12.8
(``tests/test_jax_negative_padding.py``):

* ``lax.conv_general_dilated`` and ``lax.conv_transpose`` raise when the pads remove more than
  the (zero-stretched) input, ``n + pb + pe < 0`` ("Negative padding is larger than the size of
  the corresponding dimension"); from 0 to ``k_eff - 1`` the output is empty (JAX clamps the
  size at 0), which symconv refuses like any empty output.  ``lax.reduce_window`` never raises.
* A max-pool window whose taps all miss the input gives ``-inf`` (the reducer's initial value)
  and a ``count_include_pad=False`` average gives NaN (``0/0``).  JAX returns those outputs, so
  the size is the framework's and :func:`~symconv.sizes.shapes.resolve` accepts it with a note
  (:func:`padding_only_note`); neither value is a linear function of the input, so the maps
  refuse them (:func:`check_pool_windows`: no selection matrix, no average map), while
  :func:`symconv.numeric.max_pool` and ``avg_pool`` (``any_padding=True``) give ``-inf`` and
  NaN as JAX does.  The limits of PyTorch and ONNX keep their windows on the input; JAX has
  none, so this applies to positive pads too (``max_pool(n=10, k=2, s=1, padding=[(0, 3)])``).

Integer Python only (no NumPy, no SymPy); symbolic sizes are left to the caller.

>>> padding_only_window(10, 2, 1, 1, 0, 12)     # windows 10 and 11 read only the end padding
10
>>> padding_only_window(10, 4, 1, 1, -3, 6) is None
True
"""

from __future__ import annotations

from typing import Any

from symconv._params import Int, fmt, is_symbolic
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.spec import AvgPool, Convention, MaxPool

__all__ = [
    "JAX_EMPTY",
    "check_crop",
    "check_crops",
    "check_pool_windows",
    "check_transpose_pairs",
    "padding_only_note",
    "padding_only_window",
    "pool_rule_applies",
]

#: What JAX does when the window is larger than the padded input (``shapes._TOO_SMALL``).
JAX_EMPTY = ("JAX clamps the output size at 0 and returns an empty tensor; an empty output is "
             "an error here")


def _known(*values: Any) -> bool:
    return not any(is_symbolic(v) for v in values)


def check_crop(size: Int, pb: Int, pe: Int, where: str, *, stretched: bool = False) -> None:
    """Refuse pads that remove more than the input: ``lax.conv_general_dilated`` (and
    ``lax.conv_transpose``, on the zero-stretched input of ``size`` positions) raise there.

    >>> check_crop(3, -2, -2, "")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: padding=(-2,-2) must not remove more than the input size 3 (JAX raises: Negative padding is larger than the size of the corresponding dimension)
    """
    if not _known(size, pb, pe) or size + pb + pe >= 0:
        return
    what = "zero-stretched input size (n-1)s+1 = " if stretched else "input size "
    raise InvalidSpecError(
        f"padding=({pb},{pe}) must not remove more than the {what}{size}{where} (JAX raises: "
        "Negative padding is larger than the size of the corresponding dimension)"
    )


def check_crops(sizes: tuple[Int, ...], pads: Any, strides: Any = None) -> None:
    """:func:`check_crop` on every axis first, as JAX checks the shapes before the sizes
    (an axis that would be empty does not hide another whose crop raises).  With ``strides``
    the sizes are those of the zero-stretched input of ``lax.conv_transpose``."""
    nd = len(sizes)
    for a, n in enumerate(sizes):
        size = n if strides is None else (n - 1) * strides[a] + 1
        check_crop(size, pads[a][0], pads[a][1], "" if nd == 1 else f" on axis {a}",
                   stretched=strides is not None)


def check_transpose_pairs(n: Int, k: Int, s: Int, d: Int, left: Int, right: Int,
                          where: str) -> None:
    """``lax.conv_transpose`` with explicit pairs: a convolution over the input stretched to
    ``(n-1)s + 1`` and padded by ``(left, right)``; it raises below 0 and is empty below the
    kernel's extent.

    >>> check_transpose_pairs(3, 3, 2, 1, -2, -2, "")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: kernel=3 must not exceed the padded zero-stretched input size 1 ((n-1)s+1 = 5 + padding -2+-2) (JAX clamps the output size at 0 and returns an empty tensor; an empty output is an error here)
    """
    stretched = (n - 1) * s + 1
    if not _known(stretched, k, d, left, right):
        return
    check_crop(stretched, left, right, where, stretched=True)
    keff = d * (k - 1) + 1
    if stretched + left + right < keff:
        ext = "" if d == 1 else f" (dilated extent {keff})"
        raise InvalidSpecError(
            f"kernel={k}{ext} must not exceed the padded zero-stretched input size "
            f"{stretched + left + right} ((n-1)s+1 = {stretched} + padding {left}+{right})"
            f"{where} ({JAX_EMPTY})"
        )


def pool_rule_applies(layer: Any) -> bool:
    """Whether a window reading only padding has no linear value: JAX max pooling (``-inf``)
    and average pooling without counted padding (NaN)."""
    if getattr(layer, "convention", None) is not Convention.JAX:
        return False
    return isinstance(layer, MaxPool) or (isinstance(layer, AvgPool)
                                          and not layer.count_include_pad)


def padding_only_window(n: int, k: int, s: int, d: int, pb: int, o: int) -> int | None:
    """The first of ``o`` windows whose taps ``j s - pb + t d`` (``t < k``) all miss
    ``[0, n)``, or ``None``.

    Window ``j`` starts at ``a = j s - pb``; it misses the input when ``a >= n``, when its last
    tap ``a + (k-1) d < 0``, or when ``a < 0`` and its first tap at or after 0, ``a mod d``, is
    ``>= n`` (the dilation steps over the whole input).  Only the first window can end before
    0, only the last start past ``n - 1``, and the third case needs ``d > n``: O(min(pb/s, d)).

    >>> padding_only_window(1, 2, 1, 3, 1, 2)    # window 0 reads -1 and 2 of a 1-sample input
    0
    """
    if o < 1:
        return None
    if -pb + (k - 1) * d < 0:
        return 0
    if d > n:
        negative = min(o, -(-pb // s) if pb > 0 else 0, d)
        for j in range(negative):
            if (j * s - pb) % d >= n:
                return j
    if (o - 1) * s - pb >= n:
        return max(0, -(-(n + pb) // s))  # the first window starting at or past n
    return None


def _padding_only(layer: Any, n: Int, pads: tuple[Int, Int], o: Int, axis: int
                  ) -> tuple[int, str, str] | None:
    """``(window, its taps, what JAX gives there)`` for the first window on padding only."""
    if not pool_rule_applies(layer) or not _known(n, o, *pads):
        return None
    k, s, d = layer.kernel[axis], layer.stride[axis], layer.dilation[axis]
    j = padding_only_window(int(n), int(k), int(s), int(d), int(pads[0]), int(o))
    if j is None:
        return None
    a = j * s - pads[0]
    taps = f"positions {a}..{a + (k - 1) * d}" + ("" if d == 1 else f" step {d}")
    value = ("JAX max pooling gives -inf" if isinstance(layer, MaxPool)
             else "JAX average pooling with count_include_pad=False gives NaN (0/0)")
    return j, taps, value


def padding_only_note(layer: Any, n: Int, pads: tuple[Int, Int], o: Int, axis: int,
                      where: str) -> str | None:
    """The note :func:`~symconv.sizes.shapes.resolve` attaches to a JAX pooling size where
    some window reads only padding (the size is JAX's; the value there is not linear).

    >>> from symconv import MaxPool
    >>> padding_only_note(MaxPool(kernel=2, stride=1, padding=((0, 3),), convention="jax"),
    ...                   10, (0, 3), 12, 0, "")
    'window 10 of 12 reads only padding (positions 10..11): JAX max pooling gives -inf there'
    """
    found = _padding_only(layer, n, pads, o, axis)
    if found is None:
        return None
    j, taps, value = found
    return f"window {j} of {o}{where} reads only padding ({taps}): {value} there"


def check_pool_windows(layer: Any, n: Int, pads: tuple[Int, Int], o: Int, axis: int,
                       where: str) -> None:
    """Refuse to build the map of a JAX max/average pooling where some window reads only
    padding: ``-inf`` or NaN is no entry of a selection matrix or an average map.

    >>> from symconv import MaxPool
    >>> check_pool_windows(MaxPool(kernel=2, stride=1, padding=((0, 3),), convention="jax"),
    ...                    10, (0, 3), 12, 0, "")
    Traceback (most recent call last):
    ...
    symconv.errors.UnsupportedError: padding=(0,3) leaves window 10 of 12 on padding only (positions 10..11), where JAX max pooling gives -inf, which no selection matrix represents (symconv.numeric.max_pool with any_padding=True gives the values)
    """
    found = _padding_only(layer, n, pads, o, axis)
    if found is None:
        return
    j, taps, value = found
    if isinstance(layer, MaxPool):
        what, op = "selection matrix", "max_pool"
    else:
        what, op = "average map", "avg_pool"
    raise UnsupportedError(
        f"padding={fmt(tuple(pads))} leaves window {j} of {o}{where} on padding only ({taps}), "
        f"where {value}, which no {what} represents (symconv.numeric.{op} with "
        "any_padding=True gives the values)"
    )
