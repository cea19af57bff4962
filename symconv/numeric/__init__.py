"""Reference operators in numpy, written directly from their definitions.

These are symconv's independent ground truth: the operator core (index structures, sparse
matrices) is checked against them, and they are checked against PyTorch and ONNX.  Nothing
here builds a matrix or calls a framework.  Data layout is ``(N, C, *spatial)`` with any number
of spatial axes; per-axis parameters take an int or a tuple; PyTorch semantics unless stated.

Float arrays compute in floating point; integer arrays stay integer where the operation is
integral (convolutions, pooling maxima, nearest resizing, shuffles) and become exact
``Fraction`` object arrays where it is not (average pooling; linear resizing by integer or
``Fraction`` factors, while float factors give float64); object arrays of
``int``, ``Fraction`` or sympy numbers are computed exactly.  Adaptive pooling
(:func:`adaptive_avg_pool`, :func:`adaptive_max_pool`) takes an output size instead of a window.  ``any_padding=True``
(:func:`conv`, :func:`max_pool`, :func:`avg_pool`) reads pads as JAX does: a negative pad
crops, pooling pads have no per-side limit.
:func:`resample` resizes as TensorFlow, Keras and JAX do (float64, every method).  Bad arguments raise
:class:`symconv.errors.InvalidSpecError` with a message ``name=value must <rule>``.

>>> import numpy as np
>>> from symconv import numeric
>>> x = np.arange(4).reshape(1, 1, 4)
>>> numeric.conv(x, np.array([[[1, -1]]]))
array([[[-1, -1, -1]]])
>>> numeric.conv_transpose(x, np.array([[[1, 1]]]), stride=2)
array([[[0, 0, 1, 1, 2, 2, 3, 3]]])
"""

from __future__ import annotations

from symconv.numeric._adaptive import adaptive_avg_pool, adaptive_max_pool
from symconv.numeric._conv import conv, conv_grad_input, conv_grad_weight, conv_transpose
from symconv.numeric._pad import pad, subsample, zero_stretch
from symconv.numeric._pool import avg_pool, max_pool, max_unpool
from symconv.numeric._resample import resample, resample_weights
from symconv.numeric._resize import (
    depth_to_space,
    pixel_shuffle,
    pixel_unshuffle,
    space_to_depth,
    upsample_cubic,
    upsample_linear,
    upsample_nearest,
    upsample_nearest_exact,
)

__all__ = [
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "avg_pool",
    "conv",
    "conv_grad_input",
    "conv_grad_weight",
    "conv_transpose",
    "depth_to_space",
    "max_pool",
    "max_unpool",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "resample",
    "resample_weights",
    "space_to_depth",
    "subsample",
    "upsample_cubic",
    "upsample_linear",
    "upsample_nearest",
    "upsample_nearest_exact",
    "zero_stretch",
]
