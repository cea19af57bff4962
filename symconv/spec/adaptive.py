"""Adaptive and global pooling: the output size is given, the windows follow from the input size.

Output ``i`` of an axis of input size ``n`` and output size ``o`` reads the input positions
``[floor(i n / o), ceil((i + 1) n / o))`` (PyTorch ``AdaptiveAvgPoolNd``/``AdaptiveMaxPoolNd``);
an entry ``None`` keeps the axis (output ``n``, the identity).  Global pooling is
``output_size=1``.

symconv models adaptive pooling as PyTorch defines it.  ONNX (``GlobalAveragePool``/
``GlobalMaxPool``, ``ReduceMean``/``ReduceMax`` over the spatial axes with ``keepdims=1``),
TensorFlow (``tf.reduce_mean``/``tf.reduce_max`` with ``keepdims=True``) and JAX
(``jnp.mean``/``jnp.max`` with ``keepdims=True``) pool globally only; under Keras symconv models
``GlobalAveragePooling*D``/``GlobalMaxPooling*D`` with ``keepdims=True`` (the adaptive pooling
layers of recent Keras 3 releases are not modelled: their windows are not checked against
PyTorch's).  So under those conventions ``output_size`` must be 1 on every axis.

>>> AdaptiveAvgPool(7)
AdaptiveAvgPool(output_size=7)
>>> AdaptiveAvgPool((None, 7)).ndim
2
>>> AdaptiveMaxPool(1, convention="onnx")
AdaptiveMaxPool(output_size=1, convention='onnx')
>>> AdaptiveAvgPool(7, convention="onnx")
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: output_size=7 must be 1 on every axis under convention onnx (ONNX has no adaptive pooling operator; only GlobalAveragePool, or ReduceMean over the spatial axes with keepdims=1, gives output_size=1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from symconv._params import Int, fmt, scalar
from symconv.errors import InvalidSpecError
from symconv.spec._base import _AX, _infer_ndim, _show, _Spatial
from symconv.spec._enums import Convention, parse_enum

__all__ = ["AdaptiveAvgPool", "AdaptiveMaxPool"]

# The API each convention has instead of adaptive pooling (global pooling only), per reduction.
_GLOBAL_ONLY: dict[Convention, dict[str, str]] = {
    Convention.ONNX: {
        "avg": "ONNX has no adaptive pooling operator; only GlobalAveragePool, or ReduceMean over "
               "the spatial axes with keepdims=1, gives output_size=1",
        "max": "ONNX has no adaptive pooling operator; only GlobalMaxPool, or ReduceMax over the "
               "spatial axes with keepdims=1, gives output_size=1",
    },
    Convention.TENSORFLOW: {
        "avg": "TensorFlow has no adaptive pooling op; only tf.reduce_mean over the spatial axes "
               "with keepdims=True gives output_size=1",
        "max": "TensorFlow has no adaptive pooling op; only tf.reduce_max over the spatial axes "
               "with keepdims=True gives output_size=1",
    },
    Convention.KERAS: {
        "avg": "symconv models Keras's GlobalAveragePooling1D/2D/3D with keepdims=True, output_size"
               "=1; the AdaptiveAveragePooling layers of recent Keras 3 releases are not modelled",
        "max": "symconv models Keras's GlobalMaxPooling1D/2D/3D with keepdims=True, output_size=1; "
               "the AdaptiveMaxPooling layers of recent Keras 3 releases are not modelled",
    },
    Convention.JAX: {
        "avg": "JAX and flax have no adaptive pooling; only jnp.mean over the spatial axes with "
               "keepdims=True gives output_size=1",
        "max": "JAX and flax have no adaptive pooling; only jnp.max over the spatial axes with "
               "keepdims=True gives output_size=1",
    },
}


def _output_sizes(value: object, axes: int) -> tuple[Int | None, ...]:
    """One positive size (or ``None``: keep the axis) per axis; an int is every axis."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != axes:
            raise InvalidSpecError(
                f"output_size={fmt(items)} must have one entry per spatial axis ({axes})"
            )
        out: list[Int | None] = []
        for v in items:
            if v is None:
                out.append(None)
                continue
            try:
                out.append(scalar("output_size", v, minimum=1))
            except InvalidSpecError as exc:
                raise InvalidSpecError(f"output_size={fmt(items)}: {exc}") from None
        return tuple(out)
    if value is None:
        raise InvalidSpecError(
            "output_size=None must be a positive integer or a tuple with one entry per axis "
            "(None keeps an axis only as an entry of the tuple, e.g. (None, 7))"
        )
    return (scalar("output_size", value, minimum=1),) * axes


def _setup(self: Any, reduction: str) -> None:
    conv = parse_enum("convention", self.convention, Convention)
    object.__setattr__(self, "convention", conv)
    nd = _infer_ndim(self.ndim, output_size=self.output_size)
    object.__setattr__(self, "ndim", nd)
    sizes = _output_sizes(self.output_size, nd or 1)
    object.__setattr__(self, "output_size", sizes)
    if conv is Convention.TORCH and nd == 1 and sizes == (None,):
        raise InvalidSpecError(
            f"output_size=(None,) must be a positive integer for 1-D adaptive pooling under "
            f"convention torch (PyTorch adaptive_{reduction}_pool1d: output_size must be tuple "
            "of ints; keeping the only axis is the identity)"
        )
    if conv is not Convention.TORCH and any(o != 1 for o in sizes):
        raise InvalidSpecError(
            f"output_size={_show(sizes, nd)} must be 1 on every axis under convention "
            f"{conv.value} ({_GLOBAL_ONLY[conv][reduction]})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class AdaptiveAvgPool(_Spatial):
    """Adaptive average pooling (PyTorch ``AdaptiveAvgPool1d/2d/3d``); ``output_size=1`` is
    global average pooling (ONNX ``GlobalAveragePool``, Keras ``GlobalAveragePooling*D``).

    ``output_size``: an int (every axis) or one entry per axis, each a positive int or ``None``
    (keep that axis's input size).  Output ``i`` averages the input positions
    ``[floor(i n / o), ceil((i + 1) n / o))`` of each axis (a box in N-D).

    >>> AdaptiveAvgPool((None, 7)).output_size
    (None, 7)
    >>> AdaptiveAvgPool(0)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: output_size=0 must be a positive integer
    """

    output_size: Any = field(metadata=_AX)
    convention: Any = Convention.TORCH
    ndim: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _setup(self, "avg")


@dataclass(frozen=True, slots=True, repr=False)
class AdaptiveMaxPool(_Spatial):
    """Adaptive max pooling (PyTorch ``AdaptiveMaxPool1d/2d/3d``); ``output_size=1`` is global
    max pooling (ONNX ``GlobalMaxPool``, Keras ``GlobalMaxPooling*D``).

    Windows as :class:`AdaptiveAvgPool`; the maximum is taken in row-major order over the
    window, the first maximum winning ties (PyTorch's indices).

    >>> AdaptiveMaxPool(1, convention="keras").output_size
    (1,)
    """

    output_size: Any = field(metadata=_AX)
    convention: Any = Convention.TORCH
    ndim: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _setup(self, "max")
