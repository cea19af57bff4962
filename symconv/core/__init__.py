"""The operator core: every layer as an exact sparse linear map.

:func:`linear_map` turns a layer spec and an input shape ``(C, *spatial)`` into an
:class:`IndexMap`, whose views are the symbolic matrix (``.symbolic()``), the numeric matrix
(``.numeric(weights)``), and whose algebra (``.T``, ``@``, ``.equals``) is exact.
:func:`conv_matrix` and :func:`conv_transpose_matrix` are the contract's one-call forms.

>>> from symconv.core import conv_matrix, conv_transpose_matrix
>>> C = conv_matrix((1, 3), (1, 1, 2))
>>> C.shape
(2, 3)
>>> conv_transpose_matrix((1, 2), (1, 1, 2)) == C.T
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symconv.core.adaptive import adaptive_avg_pool_map, adaptive_max_pool_selection_map
from symconv.core.budget import DEFAULT_MAX_MEMORY, Plan, check_memory, plan_of
from symconv.core.index import (
    DEFAULT_MAX_NNZ,
    IndexMap,
    WeightRef,
    check_budget,
    to_numeric,
    to_symbolic,
    weight_symbols,
)
from symconv.core.layers import (
    avg_pool_map,
    conv_map,
    conv_transpose_map,
    max_pool_selection_map,
    max_unpool_map,
    pixel_shuffle_map,
    pixel_unshuffle_map,
    resize_map,
    slice_map,
)
from symconv.core.plumbing import crop_map, pad_map, subsample_map, zero_stretch_map
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    Slice,
)

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_NNZ",
    "IndexMap",
    "Plan",
    "WeightRef",
    "adaptive_avg_pool_map",
    "adaptive_max_pool_selection_map",
    "avg_pool_map",
    "check_budget",
    "check_memory",
    "conv_map",
    "conv_matrix",
    "conv_transpose_map",
    "conv_transpose_matrix",
    "crop_map",
    "linear_map",
    "max_pool_selection_map",
    "max_unpool_map",
    "pad_map",
    "pixel_shuffle_map",
    "pixel_unshuffle_map",
    "plan_map",
    "resize_map",
    "slice_map",
    "subsample_map",
    "to_numeric",
    "to_symbolic",
    "weight_symbols",
    "zero_stretch_map",
]


def linear_map(
    layer: Layer,
    input_shape: Sequence[int],
    *,
    out_channels: int | None = None,
    weight_name: str = "w",
    x: Any = None,
    indices: Any = None,
    max_nnz: int | None = None,
    view: str = "numeric",
    max_memory: int | None = None,
) -> IndexMap:
    """The exact linear map of ``layer`` on one sample of shape ``(C, *spatial)``.

    Max pooling (also adaptive) is linear only for a fixed input: pass ``x`` to get its
    selection matrix.
    Max-unpooling needs the switches: pass ``indices`` (shape ``(C, *pooled)``).
    Budgets: ``max_nnz`` entries (default per ``view``, :data:`DEFAULT_MAX_NNZ`) and
    ``max_memory`` bytes (default :data:`DEFAULT_MAX_MEMORY`), checked before the entries are
    made; :func:`plan_map` gives the estimate without building.

    >>> from symconv.spec import AvgPool
    >>> linear_map(AvgPool(kernel=2), (1, 4)).symbolic()
    Matrix([
    [1/2, 1/2,   0,   0],
    [  0,   0, 1/2, 1/2]])
    """
    if isinstance(layer, Conv):
        return conv_map(layer, input_shape, out_channels, weight_name=weight_name,
                        max_nnz=max_nnz, view=view,
                        max_memory=max_memory)
    if isinstance(layer, ConvTranspose):
        return conv_transpose_map(layer, input_shape, out_channels, weight_name=weight_name,
                                  max_nnz=max_nnz, view=view,
                        max_memory=max_memory)
    if isinstance(layer, AvgPool):
        return avg_pool_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, MaxPool):
        if x is None:
            raise InvalidSpecError(
                "x=None must be given for max pooling: it is linear only for a fixed input "
                "(its selection matrix S(x))"
            )
        return max_pool_selection_map(layer, x, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, AdaptiveAvgPool):
        return adaptive_avg_pool_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, AdaptiveMaxPool):
        if x is None:
            raise InvalidSpecError(
                "x=None must be given for adaptive max pooling: it is linear only for a fixed "
                "input (its selection matrix S(x))"
            )
        return adaptive_max_pool_selection_map(layer, x, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, MaxUnpool):
        if indices is None:
            raise InvalidSpecError("indices=None must be given for max-unpooling (the switches)")
        return max_unpool_map(layer, indices, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, Resize):
        return resize_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, PixelShuffle):
        return pixel_shuffle_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, PixelUnshuffle):
        return pixel_unshuffle_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    if isinstance(layer, Slice):
        return slice_map(layer, input_shape, max_nnz=max_nnz, max_memory=max_memory)
    raise UnsupportedError(f"layer={layer!r} has no linear map")


def plan_map(
    layer: Layer,
    input_shape: Sequence[int],
    *,
    out_channels: int | None = None,
    x: Any = None,
    indices: Any = None,
    view: str = "numeric",
) -> Plan:
    """The entries and peak bytes :func:`linear_map` would need for these arguments, from the
    sizes and the parameters alone (nothing of size O(nnz) is allocated): check a whole
    pipeline before building (``symconv matrix`` does).  Invalid parameters raise as
    :func:`linear_map` would.

    >>> from symconv.spec import Conv
    >>> p = plan_map(Conv(kernel=3), (1, 2300, 2300), out_channels=1)
    >>> p.nnz, p.view
    (47527236, 'numeric')
    """
    return plan_of(lambda: linear_map(layer, input_shape, out_channels=out_channels, x=x,
                                      indices=indices, view=view))


def _weight_layout(
    input_shape: Sequence[int], weight_shape: Sequence[int], groups: int, transposed: bool
) -> tuple[int, tuple[int, ...]]:
    ws = tuple(int(v) for v in weight_shape)
    shape = tuple(int(v) for v in input_shape)
    if len(ws) != len(shape) + 1:
        raise InvalidSpecError(
            f"weight_shape={ws} must have 2 + {len(shape) - 1} spatial entries for "
            f"input_shape={shape}"
        )
    if transposed:
        if ws[0] != shape[0]:
            raise InvalidSpecError(
                f"weight_shape={ws} must start with the input channels {shape[0]} "
                "(transposed-conv weight layout (C_in, C_out/groups, *k))"
            )
        return ws[1] * groups, ws[2:]
    if ws[1] * groups != shape[0]:
        raise InvalidSpecError(
            f"weight_shape={ws} must have C_in/groups={shape[0]}/{groups} in its second entry "
            "(conv weight layout (C_out, C_in/groups, *k))"
        )
    return ws[0], ws[2:]


def conv_matrix(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    max_nnz: int | None = None,
) -> Any:
    """``sympy.SparseMatrix`` ``C`` with ``conv(x) = C x`` (PyTorch semantics) over the symbols
    of ``weight_symbols(weight_shape)``; ``input_shape`` is ``(C, *spatial)``.

    >>> conv_matrix((1, 3, 3), (1, 1, 2, 2)).shape
    (4, 9)
    """
    c_out, k = _weight_layout(input_shape, weight_shape, groups, transposed=False)
    layer = Conv(kernel=k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                 ndim=len(k))
    return conv_map(layer, input_shape, c_out, max_nnz=max_nnz, view="symbolic").symbolic(
        max_nnz=max_nnz
    )


def conv_transpose_matrix(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    max_nnz: int | None = None,
) -> Any:
    """``sympy.SparseMatrix`` of a transposed convolution (PyTorch semantics, weight layout
    ``(C_in, C_out/groups, *k)``) over ``weight_symbols(weight_shape)``.

    >>> conv_transpose_matrix((1, 2), (1, 1, 3), stride=2).shape
    (5, 2)
    """
    c_out, k = _weight_layout(input_shape, weight_shape, groups, transposed=True)
    layer = ConvTranspose(kernel=k, stride=stride, padding=padding,
                          output_padding=output_padding, dilation=dilation, groups=groups,
                          ndim=len(k))
    return conv_transpose_map(layer, input_shape, c_out, max_nnz=max_nnz,
                              view="symbolic").symbolic(max_nnz=max_nnz)
