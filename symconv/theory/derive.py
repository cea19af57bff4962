"""Derivation helpers: the layer that is exactly equivalent to another.

Each function returns spec objects (and, where a kernel is fixed, the exact kernel), so the
CLI, the theorems and the report share one source of truth.

>>> from symconv.spec import Conv
>>> adjoint_of(Conv(kernel=3, stride=2, padding=1), 6)
ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)
>>> upsampling_as_transposed_conv("nearest", 2).kernel.tolist()
[Fraction(1, 1), Fraction(1, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes import formulas as F
from symconv.sizes.shapes import resolve
from symconv.spec import Conv, ConvTranspose, PaddingFill

__all__ = [
    "DirectConv",
    "GradientOps",
    "UpsamplingEquivalence",
    "adjoint_of",
    "direct_conv_equivalent",
    "flip_kernel",
    "gradient_ops",
    "upsampling_as_transposed_conv",
]


def adjoint_of(conv: Conv, input_size: Any) -> ConvTranspose:
    """The transposed convolution that is the exact adjoint of ``conv`` on inputs of
    ``input_size`` (theorem T02): same kernel, stride, padding and dilation, and
    ``output_padding = a = (n + p_b + p_e - d(k-1) - 1) mod s`` per axis.

    Only zero padding has a transposed-conv adjoint of this form.

    >>> adjoint_of(Conv(kernel=3, stride=2, padding=1), 5).output_padding
    (0,)
    """
    if conv.padding_mode is not PaddingFill.ZEROS:
        raise UnsupportedError(
            f"padding_mode={conv.padding_mode.value!r}: the adjoint of a conv over "
            "reflect/replicate/circular padding is not a transposed conv (it folds the borders)"
        )
    r = resolve(conv, input_size)
    layer = r.layer
    ops = tuple(
        F.mod(n + pb + pe - F.effective_kernel(k, d), s)
        for n, (pb, pe), k, s, d in zip(r.input, r.pads, layer.kernel, layer.stride,
                                        layer.dilation, strict=True)
    )
    return ConvTranspose(kernel=layer.kernel, stride=layer.stride, padding=r.pads,
                         output_padding=ops, dilation=layer.dilation, groups=layer.groups,
                         in_channels=layer.out_channels, out_channels=layer.in_channels,
                         ndim=len(r.input))


@dataclass(frozen=True, slots=True)
class DirectConv:
    """A transposed conv written as zero-stretch + padding + stride-1 conv (theorem T06).

    ``stretch`` inserts ``s - 1`` zeros between samples; then ``padding``
    ``(d(k-1) - p_b, d(k-1) - p_e + op)`` is applied — pad first, then crop the negative
    parts (cropping first can remove the whole stretched input); ``conv`` is the stride-1 conv
    with the same dilation (carrying the non-negative part of the padding), and its
    weight is the transposed conv's weight with **every spatial axis flipped** and the
    in/out channels swapped within each group — the flip the conv-arithmetic guide omits.
    """

    stretch: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    conv: Conv
    groups: int

    def weight(self, w: Any) -> Any:
        """The direct conv's weight ``(C_out, C_in/g, *k)`` from the transposed conv's
        ``(C_in, C_out/g, *k)``: flip spatial axes, swap the channel roles per group."""
        import numpy as np

        arr = np.asarray(w)
        g = self.groups
        cin, coutg = arr.shape[0], arr.shape[1]
        k = arr.shape[2:]
        grouped = arr.reshape(g, cin // g, coutg, *k)
        swapped = np.swapaxes(grouped, 1, 2).reshape(g * coutg, cin // g, *k)
        return flip_kernel(swapped)


def flip_kernel(w: Any) -> Any:
    """Rotate every spatial axis of a weight ``(C_a, C_b, *k)`` by 180 degrees."""
    import numpy as np

    arr = np.asarray(w)
    return arr[(slice(None), slice(None), *(slice(None, None, -1),) * (arr.ndim - 2))]


def direct_conv_equivalent(conv_t: ConvTranspose, input_size: Any) -> DirectConv:
    """Zero-stretch, padding and flipped/channel-swapped kernel of the stride-1 conv that equals
    ``conv_t`` on inputs of ``input_size`` (theorem T06; Dumoulin & Visin 2016, section 4, with
    the 180-degree flip made explicit and dilation included).

    >>> d = direct_conv_equivalent(ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1), 3)
    >>> d.stretch, d.padding
    ((2,), ((1, 2),))
    """
    r = resolve(conv_t, input_size)
    layer = r.layer
    ops = r.output_padding or (0,) * len(r.input)
    pads = tuple(
        (d * (k - 1) - pb, d * (k - 1) - pe + op)
        for (pb, pe), k, d, op in zip(r.pads, layer.kernel, layer.dilation, ops, strict=True)
    )
    conv = Conv(kernel=layer.kernel, stride=1,
                padding=tuple((max(b, 0), max(e, 0)) for b, e in pads),
                dilation=layer.dilation, groups=layer.groups, ndim=len(r.input))
    return DirectConv(tuple(layer.stride), pads, conv, layer.groups)


@dataclass(frozen=True, slots=True)
class GradientOps:
    """The layers computing a conv's gradients (theorems T03, T04).

    ``input_grad`` maps dL/dy to dL/dx: the transposed conv with the same parameters and
    ``output_padding = a``.  ``weight_grad`` correlates the (padded) input with dL/dy used as a
    kernel: stride and dilation swap roles (``stride=d``, ``dilation=s``), cropped to ``k``.
    """

    input_grad: ConvTranspose
    weight_grad: Conv
    weight_pads: tuple[tuple[int, int], ...]


def gradient_ops(conv: Conv, input_size: Any) -> GradientOps:
    """dL/dx and dL/dw of ``conv`` on inputs of ``input_size`` as layers.

    >>> g = gradient_ops(Conv(kernel=3, stride=2, padding=1), 6)
    >>> g.input_grad.output_padding, g.weight_grad.stride, g.weight_grad.dilation
    ((1,), (1,), (2,))
    """
    r = resolve(conv, input_size)
    layer = r.layer
    out = r.output
    weight_grad = Conv(kernel=out, stride=layer.dilation, padding=r.pads,
                       dilation=layer.stride, ndim=len(r.input))
    return GradientOps(adjoint_of(conv, input_size), weight_grad, r.pads)


@dataclass(frozen=True, slots=True)
class UpsamplingEquivalence:
    """How an upsampling mode relates to a fixed transposed conv (groups = channels)."""

    mode: str
    factor: Any
    expressible: bool
    kernel: Any = None  # 1-D object array of Fractions (the N-D kernel is its outer product)
    stride: int = 0
    padding: int = 0
    exact: str = ""  # "everywhere", "interior", or the reason it is not expressible
    caveat: str = ""
    theorem: str = ""

    def layer(self, ndim: int = 2, channels: int = 1) -> ConvTranspose:
        """The depthwise transposed conv (weight: the kernel's outer product per channel)."""
        if not self.expressible:
            raise UnsupportedError(self.exact)
        return ConvTranspose(kernel=len(self.kernel), stride=self.stride, padding=self.padding,
                             groups=channels, in_channels=channels, out_channels=channels,
                             ndim=ndim)


def _triangle(s: int, size: int, center: Fraction) -> Any:
    import numpy as np

    out = np.empty(size, dtype=object)
    out[:] = [max(Fraction(0), 1 - abs(Fraction(t) - center) / s) for t in range(size)]
    return out


def upsampling_as_transposed_conv(
    mode: str, factor: Any, *, align_corners: bool = False
) -> UpsamplingEquivalence:
    """The fixed transposed conv (kernel, stride, padding) that an upsampling mode equals.

    * ``nearest``, integer ``s``: all-ones kernel of size ``s``, stride ``s``: exact (T09).
    * ``linear`` with ``align_corners=True`` to size ``s(n-1)+1``: triangle ``1 - |t|/s`` of size
      ``2s-1``, stride ``s``, padding ``s-1``: exact (T11).
    * ``linear`` half-pixel (PyTorch ``align_corners=False``), integer ``s``: the FCN bilinear
      kernel (size ``2s - s%2``, stride ``s``, padding ``ceil((s-1)/2)``) equals it except on
      ``floor(s/2)`` border positions per side per axis (T12).
    * a non-integer factor: not expressible — a stride-``s`` transposed conv multiplies sizes by
      the integer ``s`` up to a constant.

    >>> e = upsampling_as_transposed_conv("linear", 2)
    >>> [str(v) for v in e.kernel], e.stride, e.padding, e.exact
    (['1/4', '3/4', '3/4', '1/4'], 2, 1, 'interior')
    """
    if isinstance(factor, bool) or not isinstance(factor, int | float | Fraction | str):
        raise InvalidSpecError(f"factor={factor!r} must be a number (bool is not accepted)")
    if mode == "nearest" and align_corners:
        raise InvalidSpecError(
            "align_corners=True must only be used with linear modes, not mode='nearest' "
            "(PyTorch rejects it too)"
        )
    try:
        frac = Fraction(str(factor)) if isinstance(factor, float) else Fraction(factor)
    except (ValueError, ZeroDivisionError):
        raise InvalidSpecError(f"factor={factor!r} must be a number such as 2 or 3/2") from None
    if frac.denominator != 1 or frac < 1:
        return UpsamplingEquivalence(
            mode, factor, False,
            exact=f"factor={factor} is not expressible: a transposed conv with stride s maps "
                  "n samples to s*n + const, so only integer factors >= 1 are",
        )
    s = int(frac)
    if mode == "nearest":
        import numpy as np

        ones = np.empty(s, dtype=object)
        ones[:] = [Fraction(1)] * s
        return UpsamplingEquivalence(mode, s, True, ones, s, 0, "everywhere",
                                     "one output block of s per input sample", "T09")
    if mode != "linear":
        raise InvalidSpecError(f"mode={mode!r} must be 'nearest' or 'linear'")
    if align_corners:
        return UpsamplingEquivalence(
            mode, s, True, _triangle(s, 2 * s - 1, Fraction(s - 1)), s, s - 1, "everywhere",
            f"to the size s(n-1)+1 (give size=, not scale_factor={s}: scale_factor gives s*n "
            "samples on a different grid)", "T11",
        )
    size = 2 * s - s % 2
    center = Fraction(s - 1) if size % 2 else Fraction(2 * s - 1, 2)
    return UpsamplingEquivalence(
        mode, s, True, _triangle(s, size, center), s, -(-(s - 1) // 2),
        "interior" if s // 2 else "everywhere",
        f"differs on floor(s/2)={s // 2} border positions per side per axis (PyTorch clamps "
        "to the edge sample, the transposed conv sees zeros); equal everywhere on the "
        "edge-replicated input", "T12",
    )
