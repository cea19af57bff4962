"""Closed-form size arithmetic, one function per formula, for ints and SymPy expressions alike.

These functions do no validation: they are the formulas themselves, each next to its source.
With ints they use integer arithmetic and never import SymPy; with SymPy expressions they
return exact expressions built from ``floor``/``ceiling``/``Max``.

Notation: ``n`` input size, ``k`` kernel, ``s`` stride, ``pb``/``pe`` padding before/after,
``d`` dilation, ``op`` output padding, ``k_eff = d (k - 1) + 1``.

>>> conv_size(5, 3, 2, 1, 1, 1)      # Dumoulin & Visin (2016), Relationship 6
3
>>> conv_transpose_size(3, 3, 2, 1, 1, 1, 1)
6
>>> pool_size(9, 4, 4, 2, 2, 1, ceil_mode=True)    # the PyTorch ceil-mode rule
3
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symconv._params import Int, is_symbolic
from symconv.errors import UnsupportedError

__all__ = [
    "adaptive_end",
    "adaptive_size",
    "adaptive_start",
    "ceildiv",
    "conv_size",
    "conv_transpose_size",
    "effective_kernel",
    "floordiv",
    "maximum",
    "mod",
    "pool_size",
    "resize_size",
    "same_total_padding",
    "split_padding",
    "unpool_size",
]


def _sym(*values: Any) -> bool:
    return any(is_symbolic(v) for v in values)


def floordiv(a: Int, b: Int) -> Int:
    """``floor(a / b)`` exactly (``//`` for ints, ``sympy.floor`` otherwise)."""
    if _sym(a, b):
        import sympy

        if b == 1 and getattr(a, "is_integer", False):
            return a  # floor of an integer: skips SymPy's costly evaluation of floor
        return sympy.floor(sympy.Rational(1, 1) * a / b)
    return a // b


def ceildiv(a: Int, b: Int) -> Int:
    """``ceil(a / b)`` exactly."""
    if _sym(a, b):
        import sympy

        if b == 1 and getattr(a, "is_integer", False):
            return a
        return sympy.ceiling(sympy.Rational(1, 1) * a / b)
    return -(-a // b)


def mod(a: Int, b: Int) -> Int:
    """``a mod b`` with the sign of ``b`` (Python and SymPy agree)."""
    if _sym(a, b):
        import sympy

        return sympy.Mod(a, b)
    return a % b


def maximum(a: Int, b: Int) -> Int:
    """``max(a, b)``, as ``sympy.Max`` for expressions."""
    if _sym(a, b):
        import sympy

        return sympy.Max(a, b)
    return max(a, b)


def effective_kernel(k: Int, d: Int) -> Int:
    """Dilated kernel extent ``d (k - 1) + 1`` (Dumoulin & Visin 2016, section 5)."""
    return d * (k - 1) + 1


def conv_size(n: Int, k: Int, s: Int, pb: Int, pe: Int, d: Int) -> Int:
    """Convolution output ``floor((n + pb + pe - d(k-1) - 1) / s) + 1``.

    Dumoulin & Visin (2016), Relationship 6 (with dilation: Relationship 15); the same formula
    in PyTorch (``conv_output_size``), ONNX (pads), TensorFlow/JAX with explicit padding.  A
    negative pad (JAX: a crop) enters it as it is (:mod:`symconv.sizes.jax_pads`).
    """
    return floordiv(n + pb + pe - effective_kernel(k, d), s) + 1


def conv_transpose_size(n: Int, k: Int, s: Int, pb: Int, pe: Int, d: Int, op: Int) -> Int:
    """Transposed-convolution output ``(n - 1) s - pb - pe + d(k-1) + 1 + op``.

    PyTorch ``ConvTranspose`` shape note; ONNX ConvTranspose ``output_shape`` formula.
    """
    return (n - 1) * s - pb - pe + effective_kernel(k, d) + op


def pool_size(n: Int, k: Int, s: Int, pb: Int, pe: Int, d: Int, *, ceil_mode: bool) -> Int:
    """Pooling output; floor mode is :func:`conv_size`.

    Ceil mode follows PyTorch's ``pooling_output_shape_pad_lr`` (adopted by ONNX, PR #5741):
    ``o = floor((n + pb + pe - k_eff + s - 1) / s) + 1``, then ``o -= 1`` when the last window
    would start in the end padding, i.e. when ``(o - 1) s >= n + pb``.
    """
    if not ceil_mode:
        return conv_size(n, k, s, pb, pe, d)
    o = floordiv(n + pb + pe - effective_kernel(k, d) + s - 1, s) + 1
    if _sym(n, k, s, pb, pe, d):
        import sympy

        # The correction needs (o-1)s >= n + pb, i.e. pe + s - 1 - k_eff >= the residue of
        # (n + pb + pe - k_eff + s - 1) mod s: impossible when pe + s <= k_eff.
        slack = pe + s - effective_kernel(k, d)
        if not _sym(slack) and slack <= 0:
            return o
        # With pe < k_eff (every framework's padding limit) at most one window starts in the
        # end padding, so the rule is min(o, #starts before n + pb) = min(o, ceil((n+pb)/s)).
        # Left unevaluated: SymPy cannot order nested floors in general (PrecisionExhausted).
        return sympy.Min(o, ceildiv(n + pb, s), evaluate=False)
    return o - 1 if (o - 1) * s >= n + pb else o


def unpool_size(n: Int, k: Int, s: Int, pb: Int, pe: Int) -> Int:
    """Max-unpooling default output ``(n - 1) s - pb - pe + k`` (PyTorch ``MaxUnpoolNd``, ONNX)."""
    return (n - 1) * s - pb - pe + k


def resize_size(n: Int, scale: int | Fraction | float, *, float32: bool = False) -> Int:
    """Resize output ``floor(n * scale)``.

    Exact for int and Fraction scales.  A float scale is multiplied in floating point as the
    frameworks do (PyTorch: double; ONNX runtimes: float32 when ``float32=True``), so that
    e.g. ``floor(30 * 0.1)`` is 3 as in PyTorch, not the exact 3.0000000000000001665 -> 3.
    """
    if isinstance(scale, float):
        if _sym(n):
            raise UnsupportedError(
                f"scale_factor={scale!r} is a float, multiplied in floating point as the "
                "frameworks do, so its size has no exact formula for a symbolic size; give it "
                f"as a fraction (e.g. {Fraction(str(scale))})"
            )
        if float32:
            import struct

            def f32(x: float) -> float:
                return float(struct.unpack("f", struct.pack("f", x))[0])

            return int(f32(f32(float(n)) * f32(scale)) // 1)
        return int((float(n) * scale) // 1)
    if _sym(n, scale):
        import sympy

        return sympy.floor(n * sympy.Rational(scale.numerator, scale.denominator))
    q = Fraction(scale) * n
    return q.numerator // q.denominator


def adaptive_size(n: Int, o: Int | None) -> Int:
    """Adaptive pooling output: the requested ``o`` whatever ``n``, or ``n`` for an axis kept
    (``o = None``) (PyTorch ``AdaptiveAvgPoolNd``/``AdaptiveMaxPoolNd``)."""
    return n if o is None else o


def adaptive_start(i: Int, n: Int, o: Int) -> Int:
    """First input position of adaptive window ``i``: ``floor(i n / o)`` (PyTorch
    ``start_index``).  Works elementwise on integer numpy arrays too."""
    return floordiv(i * n, o)


def adaptive_end(i: Int, n: Int, o: Int) -> Int:
    """One past the last input position of adaptive window ``i``: ``ceil((i + 1) n / o)``
    (PyTorch ``end_index``).  Works elementwise on integer numpy arrays too."""
    return ceildiv((i + 1) * n, o)


def same_total_padding(n: Int, k: Int, s: Int, d: Int) -> Int:
    """Total padding of TensorFlow/Keras/JAX ``SAME`` and ONNX ``SAME_UPPER``/``SAME_LOWER``.

    The output is ``ceil(n / s)`` and the total padding ``max((ceil(n/s) - 1) s + k_eff - n, 0)``
    (TensorFlow ``GetWindowedOutputSize``; ONNX Conv ``auto_pad``).  It depends on ``n mod s``:
    ``(224, 7, 2)`` gives 5 (split (2, 3)) but ``(225, 7, 2)`` gives 6 (split (3, 3)).
    """
    total = (ceildiv(n, s) - 1) * s + effective_kernel(k, d) - n
    if _sym(n) and not _sym(k, s, d) and effective_kernel(k, d) >= s:
        return total  # (ceil(n/s) - 1) s >= n - s, so the total is >= k_eff - s >= 0
    return maximum(total, 0)


def split_padding(total: Int, *, extra_at_end: bool) -> tuple[Int, Int]:
    """Split a total padding into ``(before, after)``; the odd unit goes to the end or the start."""
    small = floordiv(total, 2)
    big = total - small
    return (small, big) if extra_at_end else (big, small)
