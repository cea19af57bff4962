"""Layer specifications: frozen, validated value objects.

A spec describes one layer's hyper-parameters under one framework *convention*.  Construction
checks every rule that does not depend on the input size (positivity, ``output_padding`` limits,
pooling padding limits, ``'same'`` with stride > 1, ...) and raises
:class:`~symconv.errors.InvalidSpecError` naming the parameter, its value and the rule.
Rules that depend on the input (kernel larger than the padded input, output too small) are
checked by :mod:`symconv.sizes.shapes` when a size is given.

Per-axis parameters accept an int (broadcast to every spatial axis) or a tuple (one per axis).
If every per-axis parameter is an int, ``ndim`` stays ``None`` and the spec applies to inputs
of any dimensionality.

>>> Conv(kernel=3, stride=2, padding=1)
Conv(kernel=3, stride=2, padding=1)
>>> Conv(kernel=(3, 5), padding="same").ndim
2
>>> ConvTranspose(kernel=3, stride=2, output_padding=2)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: output_padding=2 must be smaller than stride=2 or dilation=1
>>> MaxPool(kernel=3, padding=2)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: padding=2 must be at most half the kernel size, kernel//2=1 (PyTorch: pad should be at most half of effective kernel size)

The package is split by responsibility; every public name is re-exported here, so
``from symconv.spec import Conv`` is the import path to use:

* :mod:`symconv.spec._enums`: the enums (:class:`Convention`, :class:`PadMode`, ...) and
  :func:`parse_enum`;
* :mod:`symconv.spec._base`: the ``_Spatial`` base class (``at``, the compact repr) and the
  parsing helpers every spec shares;
* :mod:`symconv.spec.windows`: the sliding-window specs (:class:`Conv`, :class:`ConvTranspose`,
  :class:`MaxPool`, :class:`AvgPool`, :class:`MaxUnpool`) and their padding rules;
* :mod:`symconv.spec.adaptive`: adaptive and global pooling (:class:`AdaptiveAvgPool`,
  :class:`AdaptiveMaxPool`), whose windows follow from the input size, and the conventions that
  only pool globally;
* :mod:`symconv.spec.resample`: the specs that re-grid without a window (:class:`Resize`,
  :class:`PixelShuffle`, :class:`PixelUnshuffle`, :class:`Slice`) and their exact number parsing;
* :mod:`symconv.spec.syntax`: the one-line text form of a layer (``"conv k=3 s=2 p=1"``), parsed
  and printed (not imported here: ``from symconv.spec.syntax import parse_layer``).
"""

from __future__ import annotations

from symconv.spec._enums import (
    Convention,
    CoordinateMode,
    NearestMode,
    PaddingFill,
    PadMode,
    ResizeMode,
    ShuffleOrder,
    parse_enum,
)
from symconv.spec.adaptive import AdaptiveAvgPool, AdaptiveMaxPool
from symconv.spec.resample import CUBIC_A, PixelShuffle, PixelUnshuffle, Resize, Slice
from symconv.spec.windows import AvgPool, Conv, ConvTranspose, MaxPool, MaxUnpool

__all__ = [
    "CUBIC_A",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "Conv",
    "ConvTranspose",
    "Convention",
    "CoordinateMode",
    "Layer",
    "MaxPool",
    "MaxUnpool",
    "NearestMode",
    "PadMode",
    "PaddingFill",
    "PixelShuffle",
    "PixelUnshuffle",
    "Resize",
    "ResizeMode",
    "ShuffleOrder",
    "Slice",
    "parse_enum",
]


Layer = (Conv | ConvTranspose | MaxPool | AvgPool | MaxUnpool | Resize | PixelShuffle
         | PixelUnshuffle | Slice | AdaptiveAvgPool | AdaptiveMaxPool)
