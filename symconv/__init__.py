"""symconv: exact convolution arithmetic.

Every layer of the convolution family as an exact sparse linear map, output-size formulas for
every framework convention proven for all sizes, and the theorems that relate them.

>>> import symconv
>>> symconv.conv_output_size(224, 7, stride=2, padding="SAME", convention="tensorflow")
112
>>> symconv.conv_transpose_output_size(6, 3, stride=2, padding=1, output_padding=1)
12

Importing symconv does not import SymPy, NumPy or SciPy: integer shape arithmetic stays fast.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from symconv.errors import InvalidSpecError, ProofError, SymconvError, UnsupportedError
from symconv.sizes.one_axis import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    resize_output_size,
    same_padding,
    unpool_output_size,
)
from symconv.sizes.shapes import Resolved, output_channels, output_shape, resolve
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
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
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
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
    "core", "coverage", "network", "numeric", "report", "review", "sizes", "spec", "theory",
}

# Modules that moved into the domain packages (docs/ARCHITECTURE.md): the old dotted names keep
# working, as attributes of `symconv` and in import statements, and name the same module object.
_MOVED = {
    "bruteforce": "symconv.sizes.bruteforce",
    "conventions": "symconv.sizes.conventions",
    "derive": "symconv.theory.derive",
    "figures": "symconv.coverage.figures",
    "fixed": "symconv.theory.fixed",
    "formulas": "symconv.sizes.formulas",
    "graph": "symconv.coverage.graph",
    "inverse": "symconv.sizes.inverse",
    "layer_facts": "symconv.report.facts",
    "layer_syntax": "symconv.spec.syntax",
    "onnx_import": "symconv.network.onnx_import",
    "onnx_shapes": "symconv.network.onnx_shapes",
    "receptive": "symconv.coverage.receptive",
    "render": "symconv.report",
    "runner": "symconv.theory.runner",
    "shapes": "symconv.sizes.shapes",
    "sizeproof": "symconv.sizes.proof",
    "theorem": "symconv.theory.theorem",
}

# The operator core's contract functions (they need numpy; sympy only when called).
_LAZY_CORE = {"conv_matrix", "conv_transpose_matrix", "weight_symbols", "linear_map", "IndexMap"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"symconv.{name}")
    if name in _MOVED:
        return importlib.import_module(_MOVED[name])
    if name in _LAZY_CORE:
        return getattr(importlib.import_module("symconv.core"), name)
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")


def _moved_target(fullname: str) -> str | None:
    """The new name of a module imported by its old name (``symconv.shapes``, and below it)."""
    head, _, rest = fullname.partition(".")
    if head != "symconv" or not rest:
        return None
    first, _, below = rest.partition(".")
    if first not in _MOVED:
        return None
    return _MOVED[first] + ("." + below if below else "")


class _AliasLoader(importlib.abc.Loader):
    """Hands out the module already imported under its new name (never a second copy)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.module: ModuleType | None = None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        self.module = importlib.import_module(self.target)
        self.spec = self.module.__spec__
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import machinery set the alias spec: restore the real one


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        new = _moved_target(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedFinder())
