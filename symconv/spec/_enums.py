"""The enums of the layer specs (convention, padding names and fill, resize modes, shuffle
order) and :func:`parse_enum`, which reads a user's spelling of one.

>>> parse_enum("convention", "ONNX", Convention)
<Convention.ONNX: 'onnx'>
"""

from __future__ import annotations

import enum
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError

__all__ = [
    "Convention",
    "CoordinateMode",
    "NearestMode",
    "PadMode",
    "PaddingFill",
    "ResizeMode",
    "ShuffleOrder",
    "parse_enum",
]


class Convention(enum.StrEnum):
    """Framework whose rules and defaults a spec follows."""

    TORCH = "torch"
    ONNX = "onnx"
    TENSORFLOW = "tensorflow"
    KERAS = "keras"
    JAX = "jax"


class PadMode(enum.StrEnum):
    """Padding given by name instead of numbers; resolved per convention (see CONVENTIONS.md)."""

    SAME = "same"  # torch/keras/tensorflow/jax: extra unit at the end
    SAME_UPPER = "same_upper"  # onnx: extra at the end
    SAME_LOWER = "same_lower"  # onnx, jax: extra at the beginning
    VALID = "valid"
    CAUSAL = "causal"  # keras Conv1D: all padding at the start
    FULL = "full"  # keras deconv_output_length only
    CIRCULAR = "circular"  # flax ConvTranspose: the transposed output folded periodically


class PaddingFill(enum.StrEnum):
    """What padded positions contain (PyTorch ``padding_mode``)."""

    ZEROS = "zeros"
    REFLECT = "reflect"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


class ResizeMode(enum.StrEnum):
    """Interpolation of a resize: nearest (PyTorch ``nearest``/``nearest-exact``), multilinear,
    or cubic (PyTorch ``bicubic``, ONNX ``cubic``: Keys' kernel with coefficient ``a``); and
    the kernels of TensorFlow/Keras/JAX only: ``area`` (cell averages), ``lanczos3``,
    ``lanczos5`` and, TensorFlow only, ``gaussian`` and ``mitchellcubic``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    LINEAR = "linear"
    CUBIC = "cubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


class CoordinateMode(enum.StrEnum):
    """How an output coordinate maps back to the input (ONNX ``coordinate_transformation_mode``)."""

    HALF_PIXEL = "half_pixel"  # PyTorch align_corners=False (linear), nearest-exact
    PYTORCH_HALF_PIXEL = "pytorch_half_pixel"
    ALIGN_CORNERS = "align_corners"
    ASYMMETRIC = "asymmetric"  # PyTorch nearest


class NearestMode(enum.StrEnum):
    """How a nearest resize rounds the source coordinate (ONNX ``nearest_mode``)."""

    FLOOR = "floor"  # PyTorch nearest
    CEIL = "ceil"
    ROUND_PREFER_FLOOR = "round_prefer_floor"  # ONNX default
    ROUND_PREFER_CEIL = "round_prefer_ceil"  # PyTorch nearest-exact


class ShuffleOrder(enum.StrEnum):
    """Channel order of pixel shuffle: PyTorch/ONNX ``CRD``, or ONNX DepthToSpace default ``DCR``."""

    CRD = "CRD"
    DCR = "DCR"


def parse_enum(name: str, value: object, enum_type: type[enum.StrEnum]) -> Any:
    """Parse a user string into ``enum_type`` (case-insensitive), or raise naming the choices."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        for member in enum_type:
            if member.value.lower() == value.lower():
                return member
    choices = ", ".join(m.value for m in enum_type)
    raise InvalidSpecError(f"{name}={fmt(value)} must be one of {choices}")
