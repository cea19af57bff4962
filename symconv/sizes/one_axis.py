"""The scalar output-size functions of the public contract, one axis at a time:
:func:`conv_output_size`, :func:`conv_transpose_output_size`, :func:`pool_output_size`,
:func:`same_padding`, :func:`unpool_output_size` and :func:`resize_output_size`.

Known sizes build the layer spec and :func:`~symconv.sizes.shapes.resolve` it (every
convention's rules and refusals apply); symbolic sizes give the exact formula of
:mod:`symconv.sizes.formulas`.

>>> conv_output_size(224, 7, stride=2, padding="SAME", convention="tensorflow")
112
>>> same_padding(224, 7, stride=2), same_padding(225, 7, stride=2)
((2, 3), (3, 3))
>>> conv_transpose_output_size(6, 3, stride=2, padding=1, output_padding=1)
12
>>> pool_output_size(9, 4, stride=4, padding=2, ceil_mode=True)
3
"""

from __future__ import annotations

import enum
from fractions import Fraction
from typing import Any

from symconv._params import Int, fmt
from symconv.errors import InvalidSpecError
from symconv.sizes import formulas as F
from symconv.sizes.shapes import _known, _size, resolve
from symconv.spec import Conv, ConvTranspose, MaxPool, MaxUnpool, PadMode, Resize, parse_enum

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "resize_output_size",
    "same_padding",
    "unpool_output_size",
]


def conv_output_size(
    size: Int,
    kernel: Int,
    stride: Int = 1,
    padding: Any = None,
    dilation: Int = 1,
    *,
    convention: str = "torch",
) -> Int:
    """Output size of a convolution along one axis.

    ``padding`` is an int, a ``(before, after)`` pair or a name the convention knows
    (``'same'``, ``'valid'``, ``'SAME_UPPER'``, ...); ``None`` is the convention's (or API's)
    default: 0 under torch and onnx, ``'VALID'`` under tensorflow and keras, ``'SAME'`` for
    ``flax.linen.Conv``.  Symbolic arguments give an exact formula.

    >>> conv_output_size(5, 3, stride=2, padding=1)
    3
    >>> conv_output_size(7, 3, dilation=2)
    3
    >>> import sympy
    >>> i = sympy.Symbol("i", integer=True, positive=True)
    >>> conv_output_size(i, 3, stride=2, padding=1)
    floor(i/2 - 1/2) + 1
    """
    if _known(size, kernel, stride, dilation) and _known(*_flat(padding)):
        spec = Conv(kernel=kernel, stride=stride, padding=_pad1(padding),
                    dilation=dilation, convention=convention, ndim=1)
        return resolve(spec, size).output[0]
    pb, pe = _sym_pads(_default_padding(Conv, padding, convention))
    return F.conv_size(size, kernel, stride, pb, pe, dilation)


def conv_transpose_output_size(
    size: Int,
    kernel: Int,
    stride: Int = 1,
    padding: Any = None,
    dilation: Int = 1,
    output_padding: Int | None = None,
    *,
    convention: str = "torch",
    output_size: Int | None = None,
) -> Int:
    """Output size of a transposed convolution along one axis.

    PyTorch/ONNX: ``(size - 1) stride - pb - pe + dilation (kernel - 1) + 1 + output_padding``.
    ``output_padding=None`` is the convention's default (0; Keras: infer the length), and so
    is ``padding=None`` (0; ``'VALID'`` under keras, ``'SAME'`` under tensorflow and flax).

    >>> conv_transpose_output_size(3, 3, stride=2, padding=1)
    5
    >>> conv_transpose_output_size(3, 3, stride=2, padding="same", convention="keras")
    6
    >>> conv_transpose_output_size(3, 3, stride=2, padding="VALID", convention="jax")
    7
    """
    if _known(size, kernel, stride, dilation, output_padding or 0) and _known(*_flat(padding)):
        spec = ConvTranspose(kernel=kernel, stride=stride, padding=_pad1(padding),
                             dilation=dilation, output_padding=output_padding,
                             output_size=output_size, convention=convention, ndim=1)
        return resolve(spec, size).output[0]
    pb, pe = _sym_pads(_default_padding(ConvTranspose, padding, convention))
    return F.conv_transpose_size(size, kernel, stride, pb, pe, dilation, output_padding or 0)


def pool_output_size(
    size: Int,
    kernel: Int,
    stride: Int | None = None,
    padding: Any = None,
    dilation: Int = 1,
    ceil_mode: bool = False,
    *,
    convention: str = "torch",
) -> Int:
    """Output size of max/avg pooling along one axis.  ``stride=None`` and ``padding=None``
    are the convention's (or API's) defaults: the kernel and 0 under torch and onnx, the
    kernel and ``'VALID'`` under keras, 1 and ``'VALID'`` for flax's pools and ``tf.nn.pool``.

    Ceil mode uses PyTorch's rule (a last window may not start in the end padding), which ONNX
    adopted; plain ``ceil`` is wrong: ``(32, k=1, s=2)`` gives 16, not 17.

    >>> pool_output_size(32, 1, stride=2, ceil_mode=True)
    16
    >>> pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True)
    3
    """
    if _known(size, kernel, stride, dilation) and _known(*_flat(padding)):
        spec = MaxPool(kernel=kernel, stride=stride, padding=_pad1(padding), dilation=dilation,
                       ceil_mode=ceil_mode, convention=convention, ndim=1)
        return resolve(spec, size).output[0]
    if stride is None:  # the API's default: the kernel, or 1 (flax, tf.nn.pool)
        stride = kernel if MaxPool(kernel=2, convention=convention, ndim=1).stride == (2,) else 1
    pb, pe = _sym_pads(_default_padding(MaxPool, padding, convention))
    return F.pool_size(size, kernel, stride, pb, pe, dilation, ceil_mode=ceil_mode)


def unpool_output_size(
    size: Int, kernel: Int, stride: Int | None = None, padding: Any = 0
) -> Int:
    """Default max-unpooling output size ``(size - 1) stride - pb - pe + kernel``.

    >>> unpool_output_size(3, 2)
    6
    """
    s = kernel if stride is None else stride
    if _known(size, kernel, s) and _known(*_flat(padding)):
        return resolve(MaxUnpool(kernel=kernel, stride=s, padding=_pad1(padding), ndim=1),
                       size).output[0]
    pb, pe = _sym_pads(padding)
    return F.unpool_size(size, kernel, s, pb, pe)


def resize_output_size(
    size: Int, scale_factor: int | Fraction | float | str, *, convention: str = "torch"
) -> Int:
    """Resize output ``floor(size * scale_factor)`` (float factors multiplied as the framework
    does: double in PyTorch, float32 in ONNX runtimes).

    >>> resize_output_size(5, 1.5), resize_output_size(7, "2/3")
    (7, 4)
    """
    if _known(size):
        return resolve(Resize(scale_factor=scale_factor, convention=convention, ndim=1),
                       size).output[0]
    sf = Resize(scale_factor=scale_factor, ndim=1).scale_factor[0]
    return F.resize_size(size, Fraction(sf))


def same_padding(
    size: Int, kernel: Int, stride: Int = 1, dilation: Int = 1, mode: str = "upper"
) -> tuple[Int, Int]:
    """``(before, after)`` padding of a SAME convolution: output ``ceil(size / stride)``.

    ``mode='upper'`` puts the odd unit at the end (TensorFlow, Keras, JAX ``'SAME'``, ONNX
    ``SAME_UPPER``), ``'lower'`` at the beginning (ONNX ``SAME_LOWER``, JAX ``'SAME_LOWER'``).

    >>> same_padding(224, 7, 2), same_padding(224, 7, 2, mode="lower")
    ((2, 3), (3, 2))
    """
    which = parse_enum("mode", mode, _SameSide)
    # the validated values (numpy integers become Python ints: no wrap-around in uint16)
    size, kernel, stride, dilation = (_size(name, v) for name, v in (
        ("size", size), ("kernel", kernel), ("stride", stride), ("dilation", dilation)))
    total = F.same_total_padding(size, kernel, stride, dilation)
    return F.split_padding(total, extra_at_end=which is _SameSide.UPPER)


class _SameSide(enum.StrEnum):
    UPPER = "upper"
    LOWER = "lower"


def _flat(padding: Any) -> tuple[Any, ...]:
    if isinstance(padding, tuple | list):
        return tuple(padding)
    return () if isinstance(padding, str) else (padding,)


def _default_padding(cls: Any, padding: Any, convention: str) -> Any:
    """``padding=None`` as the convention's (or API's) default for a symbolic size."""
    if padding is not None:
        return padding
    default = cls(kernel=1, convention=convention, ndim=1).padding
    if isinstance(default, tuple):
        return default[0]
    return (0, 0) if default is PadMode.VALID else default.value


def _pad1(padding: Any) -> Any:
    """A scalar-axis padding argument as a spec's per-axis padding."""
    if isinstance(padding, tuple | list):
        if len(padding) != 2:
            raise InvalidSpecError(
                f"padding={fmt(padding)} must be an int, a (before, after) pair or a name"
            )
        return (tuple(padding),)
    return padding


def _sym_pads(padding: Any) -> tuple[Int, Int]:
    if isinstance(padding, str):
        raise InvalidSpecError(
            f"padding={padding!r} with a symbolic size: use resolve() with a spec, or give "
            "numeric padding"
        )
    if isinstance(padding, tuple | list):
        return padding[0], padding[1]
    return padding, padding
