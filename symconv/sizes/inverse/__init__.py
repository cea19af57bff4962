"""Inverse size problems: which padding, output padding or input size gives a wanted size.

Forward arithmetic (:mod:`symconv.sizes.shapes`) maps an input size to an output size.  This module
answers the questions users actually ask when they build or port a network:

* :func:`padding_for_output` -- every total padding that makes a conv/pool produce a target
  size, the symmetric choice, the asymmetric splits, and what the framework can express;
* :func:`transposed_sizes` -- every output size a transposed convolution can produce from an
  input size under its convention, and through which parameter;
* :func:`output_padding_for` -- the ``output_padding`` (or ``output_size``/``output_shape``/
  padding) that yields a target size, checked by :func:`symconv.sizes.shapes.resolve`;
* :func:`ambiguity_set` -- all input sizes a conv/pool maps to the same output (why a
  transposed convolution needs ``output_padding``);
* :func:`round_trip` / :func:`restoring_output_padding` -- does conv -> transposed conv give
  back the input size, and with which output padding (theorem T20).

Every function works on one axis in its ``*_axis`` form; the plain form takes an ``int``
(one axis, returns one result) or a tuple of sizes (returns a tuple of per-axis results).
Sizes are Python ints; only :func:`restoring_output_padding` accepts a SymPy size.

Modules: :mod:`~symconv.sizes.inverse.padding` (conv/pool padding), :mod:`~symconv.sizes.inverse.transposed`
(transposed sizes and output padding), :mod:`~symconv.sizes.inverse.round_trip` (ambiguity and round
trips), over the shared per-axis helpers of :mod:`~symconv.sizes.inverse._axes`.

>>> from symconv import Conv, ConvTranspose
>>> output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12).value
1
>>> ambiguity_set(Conv(kernel=3, stride=2, padding=1), 6)
range(5, 7)
>>> round_trip(Conv(kernel=3, stride=2, padding=1), 6).needed_output_padding
1
"""

from __future__ import annotations

from symconv.sizes.inverse.padding import PaddingChoice, padding_for_output, padding_for_output_axis
from symconv.sizes.inverse.round_trip import (
    RoundTrip,
    ambiguity_set,
    ambiguity_set_axis,
    restoring_output_padding,
    round_trip,
    round_trip_axis,
)
from symconv.sizes.inverse.transposed import (
    OutputPaddingChoice,
    RouteKind,
    SizeRoute,
    TransposedSizes,
    output_padding_for,
    output_padding_for_axis,
    transposed_sizes,
    transposed_sizes_axis,
)

__all__ = [
    "OutputPaddingChoice",
    "PaddingChoice",
    "RoundTrip",
    "RouteKind",
    "SizeRoute",
    "TransposedSizes",
    "ambiguity_set",
    "ambiguity_set_axis",
    "output_padding_for",
    "output_padding_for_axis",
    "padding_for_output",
    "padding_for_output_axis",
    "restoring_output_padding",
    "round_trip",
    "round_trip_axis",
    "transposed_sizes",
    "transposed_sizes_axis",
]
