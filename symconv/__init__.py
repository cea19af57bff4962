"""symconv: exact convolution arithmetic.

Every layer of the convolution family as an exact sparse linear map, output-size formulas for
every framework convention proven for all sizes, and the theorems that relate them.

>>> import symconv
>>> symconv.conv_output_size(224, 7, stride=2, padding="same", convention="tensorflow")
112
>>> symconv.conv_transpose_output_size(6, 3, stride=2, padding=1, output_padding=1)
12

Importing symconv does not import SymPy, NumPy or SciPy: integer shape arithmetic stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from symconv.errors import InvalidSpecError, ProofError, SymconvError, UnsupportedError
from symconv.shapes import (
    Resolved,
    conv_output_size,
    conv_transpose_output_size,
    output_channels,
    output_shape,
    pool_output_size,
    resize_output_size,
    resolve,
    same_padding,
    unpool_output_size,
)
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    CoordinateMode,
    MaxPool,
    MaxUnpool,
    NearestMode,
    PaddingFill,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
    ShuffleOrder,
)

__version__ = "0.1.0"

__all__ = [
    "AvgPool",
    "Conv",
    "ConvTranspose",
    "Convention",
    "CoordinateMode",
    "InvalidSpecError",
    "MaxPool",
    "MaxUnpool",
    "NearestMode",
    "PadMode",
    "PaddingFill",
    "PixelShuffle",
    "PixelUnshuffle",
    "ProofError",
    "Resize",
    "ResizeMode",
    "Resolved",
    "ShuffleOrder",
    "SymconvError",
    "UnsupportedError",
    "__version__",
    "conv_output_size",
    "conv_transpose_output_size",
    "output_channels",
    "output_shape",
    "pool_output_size",
    "resize_output_size",
    "resolve",
    "same_padding",
    "unpool_output_size",
]

# Heavy parts load on first use (numpy/scipy/sympy), so `import symconv` stays cheap.
_LAZY_MODULES = {
    "bruteforce", "core", "coverage", "derive", "graph", "inverse", "layer_syntax", "numeric",
    "receptive", "sizeproof", "theorem",
}


# The operator core's contract functions (they need numpy; sympy only when called).
_LAZY_CORE = {"conv_matrix", "conv_transpose_matrix", "weight_symbols", "linear_map", "IndexMap"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"symconv.{name}")
    if name in _LAZY_CORE:
        return getattr(importlib.import_module("symconv.core"), name)
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")
