"""Hypothesis strategies that build VALID layer specs by construction (never ``.filter``).

Part of the conformance kit (:mod:`symconv.testing`); needs Hypothesis
(``pip install "symconv[testing]"``).  :func:`symconv.testing.layers` draws from these and
adds the input sizes at the edges; these are the building blocks.

Every strategy takes the number of spatial axes and a convention name and draws only what that
framework itself accepts, so a spec it yields must construct without error and, on any size
from :func:`valid_input_sizes`, resolve without error.  Per-axis parameters are always drawn as
tuples of length ``ndim`` (the spec's ``ndim`` is then fixed).

The rules encoded here are written from CONVENTIONS.md, not from symconv's code, so that a
test using them checks symconv against the frameworks' rules:

* conv: TensorFlow/Keras never combine a stride > 1 with a dilation > 1; PyTorch 'same' only
  with stride 1 and numeric padding symmetric; Keras takes no numeric padding.
* transposed conv: output_padding < stride or < dilation (PyTorch), < stride (ONNX, Keras),
  0 (TensorFlow, JAX); TensorFlow needs ``output_size``.
* pooling: PyTorch pad <= k//2, ONNX pad < k, TensorFlow/Keras names only; ceil mode only
  under PyTorch/ONNX.
* adaptive pooling: any output size (or ``None``, keep the axis) under PyTorch; ONNX
  (GlobalAveragePool/GlobalMaxPool), TensorFlow, Keras and JAX pool globally only: size 1.

>>> from hypothesis import given
>>> @given(conv_specs(2, "tensorflow"))
... def check(spec):
...     assert spec.ndim == 2
>>> check()
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "CONVENTIONS",
    "CUBIC_COEFFS",
    "adaptive_specs",
    "conv_specs",
    "conv_transpose_specs",
    "cubic_resize_specs",
    "layer_and_sizes",
    "pool_specs",
    "resize_specs",
    "shuffle_specs",
    "valid_input_sizes",
]

CONVENTIONS = ("torch", "onnx", "tensorflow", "keras", "jax")

_SAME_NAMES = {
    "torch": ("same", "valid"),
    "onnx": ("same_upper", "same_lower", "valid"),
    "tensorflow": ("SAME", "VALID"),
    "keras": ("same", "valid"),
    "jax": ("same", "same_lower", "valid"),
}
# lax.conv_transpose reads only 'SAME'/'VALID' itself (other strings go to the forward conv)
_TRANSPOSE_NAMES = {"onnx": ("same_upper", "same_lower", "valid"), "jax": ("SAME", "VALID"),
                    "tensorflow": ("SAME", "VALID"), "keras": ("same", "valid")}


def _ints(ndim: int, lo: int, hi: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[st.integers(lo, hi)] * ndim)


@st.composite
def _stride_dilation(
    draw: st.DrawFn, ndim: int, convention: str, *, max_stride: int = 3, max_dilation: int = 3
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Strides and dilations; TensorFlow/Keras: stride > 1 excludes dilation > 1."""
    stride = draw(_ints(ndim, 1, max_stride))
    if convention in ("tensorflow", "keras") and any(s > 1 for s in stride):
        return stride, (1,) * ndim
    return stride, draw(_ints(ndim, 1, max_dilation))


@st.composite
def conv_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "torch") -> Conv:
    """Valid :class:`~symconv.spec.Conv` specs under ``convention`` (with groups and channels).

    Padding: PyTorch symmetric ints or 'same' (stride 1) / 'valid'; ONNX ``(before, after)``
    pairs or ``same_upper``/``same_lower``/``valid``; TensorFlow and JAX names or pairs;
    Keras names only (``causal`` for 1-D).
    """
    kernel = draw(_ints(ndim, 1, 5))
    stride, dilation = draw(_stride_dilation(ndim, convention))
    names = list(_SAME_NAMES[convention])
    if convention == "keras" and ndim == 1:
        names.append("causal")
    if convention == "torch" and any(s > 1 for s in stride):
        names.remove("same")
    padding: Any
    if convention in ("keras", "tensorflow") or draw(st.booleans()):
        # Keras layers and tf.nn.convolution (the tensorflow default) take names only
        padding = draw(st.sampled_from(names))
    elif convention == "torch":
        padding = draw(_ints(ndim, 0, 3))
    else:
        padding = tuple(draw(st.tuples(st.integers(0, 3), st.integers(0, 3))) for _ in range(ndim))
    groups = draw(st.integers(1, 3))
    cin, cout = (None, None)
    if draw(st.booleans()):
        cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    return Conv(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, in_channels=cin, out_channels=cout,
                        convention=convention, ndim=ndim)


@st.composite
def conv_transpose_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch"
) -> ConvTranspose:
    """Valid :class:`~symconv.spec.ConvTranspose` specs with a legal ``output_padding``.

    PyTorch: ``op < max(stride, dilation)``; ONNX: ``op < stride``; Keras: ``op < stride`` or
    ``None`` (infer);
    TensorFlow: 'same'/'valid' with a drawn ``output_size`` (the input size it admits is then
    unique, see :func:`valid_input_sizes`); JAX: names or input-side pairs, ``op = 0``.
    """
    kernel = draw(_ints(ndim, 1, 5))
    stride, dilation = draw(_stride_dilation(ndim, convention))
    keff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    kw: dict[str, Any] = {}
    if convention == "torch":
        kw["padding"] = draw(_ints(ndim, 0, 3))
    elif convention in ("onnx", "jax"):
        names = _TRANSPOSE_NAMES[convention]
        if draw(st.booleans()):
            kw["padding"] = draw(st.sampled_from(names))
        else:
            kw["padding"] = tuple(
                draw(st.tuples(st.integers(0, 3), st.integers(0, 3))) for _ in range(ndim)
            )
    else:
        kw["padding"] = draw(st.sampled_from(_TRANSPOSE_NAMES[convention]))
    if convention == "torch":  # PyTorch: op < stride or op < dilation
        kw["output_padding"] = tuple(
            draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
        )
    elif convention == "onnx":  # onnxruntime: op < stride
        kw["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
    elif convention == "keras":
        kw["output_padding"] = draw(
            st.none() | st.tuples(*[st.integers(0, s - 1) for s in stride])
        )
    elif convention == "tensorflow":
        lows = keff if kw["padding"].lower() == "valid" else (1,) * ndim
        kw["output_size"] = tuple(draw(st.integers(lo, lo + 24)) for lo in lows)
    groups = draw(st.integers(1, 3))
    return ConvTranspose(kernel=kernel, stride=stride, dilation=dilation, groups=groups,
                                 convention=convention, ndim=ndim, **kw)


@st.composite
def pool_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", kind: str = "max"
) -> MaxPool | AvgPool:
    """Valid max (``kind='max'``) or average (``kind='avg'``) pooling specs.

    PyTorch: symmetric pad <= k//2, dilation only for max pooling; ONNX: pads < k on each
    side, or auto_pad names, dilation allowed; TensorFlow/Keras: 'same'/'valid', no dilation,
    padded values never counted; JAX: names or pairs.  Ceil mode only under PyTorch/ONNX.
    Stride is sometimes left to its default (the kernel).
    """
    kernel = draw(_ints(ndim, 1, 5))
    stride = draw(st.none() | _ints(ndim, 1, 4))
    dilation = (1,) * ndim
    if convention == "onnx" or (convention == "torch" and kind == "max"):
        dilation = draw(_ints(ndim, 1, 2))
    padding: Any
    if convention == "torch":
        padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    elif convention == "onnx":
        if draw(st.booleans()):
            padding = draw(st.sampled_from(_SAME_NAMES["onnx"]))
            if padding != "valid":
                # runtimes disagree on SAME with dilation (symconv refuses it), and onnxruntime
                # rejects SAME pools whose padding would be negative (k_eff < s)
                dilation = (1,) * ndim
                if stride is not None:
                    stride = tuple(min(st_, k) for st_, k in zip(stride, kernel, strict=True))
        else:
            padding = tuple(
                draw(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1))) for k in kernel
            )
    elif convention == "jax" and draw(st.booleans()):
        padding = tuple(draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in kernel)
    else:
        padding = draw(st.sampled_from(_TRANSPOSE_NAMES.get(convention, ("same", "valid"))))
    kw: dict[str, Any] = {}
    if convention in ("torch", "onnx"):
        kw["ceil_mode"] = draw(st.booleans())
    if kind == "avg":
        if convention in ("torch", "onnx", "jax"):
            kw["count_include_pad"] = draw(st.booleans())
        cls: Any = AvgPool
    else:
        cls = MaxPool
    return cls(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
               convention=convention, ndim=ndim, **kw)


@st.composite
def resize_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "torch") -> Resize:
    """Valid :class:`~symconv.spec.Resize` specs: an int or Fraction scale per axis (up or down),
    or an explicit output ``size``; ``align_corners`` only with ``mode='linear'`` and not under
    jax (``jax.image.resize`` samples pixel centres; its linear mode antialiases)."""
    mode = draw(st.sampled_from(("nearest", "nearest-exact", "linear")))
    align = (draw(st.none() | st.booleans()) if mode == "linear" and convention != "jax"
             else None)
    if draw(st.booleans()):
        scales = st.integers(1, 4) | st.builds(Fraction, st.integers(1, 8), st.integers(1, 4))
        return Resize(scale_factor=tuple(draw(scales) for _ in range(ndim)), mode=mode,
                              align_corners=align, convention=convention, ndim=ndim)
    return Resize(size=draw(_ints(ndim, 1, 40)), mode=mode, align_corners=align,
                          convention=convention, ndim=ndim)


#: Keys coefficients for cubic specs: PyTorch's -3/4, Catmull-Rom's -1/2, -1, 0, and a positive
#: one (with ``exclude_outside`` it can leave an output no weight: a refusal to test).
CUBIC_COEFFS = (Fraction(-3, 4), Fraction(-1, 2), -1, 0, Fraction(1, 3))


@st.composite
def cubic_resize_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "onnx") -> Resize:
    """Valid cubic :class:`~symconv.spec.Resize` specs.  PyTorch (``bicubic``): two spatial axes,
    ``a = -3/4``, taps clamped, ``align_corners`` or not.  ONNX (``cubic``): any rank, every
    coordinate mode, ``cubic_coeff_a`` from :data:`CUBIC_COEFFS`, ``exclude_outside`` 0/1.
    Scales are ints or Fractions with small terms (up or down), or a ``size`` of at most
    ``48 // ndim`` per axis, so the exact weights fit in int64."""
    kw: dict[str, Any] = {"mode": "cubic", "convention": convention, "ndim": ndim}
    if convention == "torch":
        kw["align_corners"] = draw(st.none() | st.booleans())
    else:
        kw["coordinate_mode"] = draw(st.sampled_from(
            ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")))
        kw["cubic_coeff_a"] = draw(st.sampled_from(CUBIC_COEFFS))
        kw["exclude_outside"] = draw(st.booleans())
    if draw(st.booleans()):
        scales = st.integers(1, 3) | st.builds(Fraction, st.integers(1, 7), st.integers(1, 4))
        kw["scale_factor"] = tuple(draw(scales) for _ in range(ndim))
    else:
        kw["size"] = draw(_ints(ndim, 1, 48 // ndim))
    return Resize(**kw)


@st.composite
def shuffle_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", *, unshuffle: bool = False
) -> PixelShuffle | PixelUnshuffle:
    """Pixel shuffle (or, with ``unshuffle=True``, unshuffle) specs with factor 1..4."""
    cls: Any = PixelUnshuffle if unshuffle else PixelShuffle
    return cls(factor=draw(st.integers(1, 4)), convention=convention,
               ndim=ndim)


@st.composite
def adaptive_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", kind: str | None = None,
    *, max_size: int = 12,
) -> AdaptiveAvgPool | AdaptiveMaxPool:
    """Adaptive (``kind`` 'avg' or 'max', drawn when ``None``) pooling specs: under PyTorch an
    output size 1..``max_size`` or ``None`` per axis (not in 1-D, where PyTorch takes ints
    only); under every other convention output size 1 on every axis (global pooling), the only
    one those frameworks have."""
    which = kind or draw(st.sampled_from(("avg", "max")))
    cls: Any = AdaptiveAvgPool if which == "avg" else AdaptiveMaxPool
    if convention == "torch":  # PyTorch adaptive_*_pool1d takes no None
        keep = st.none() if ndim > 1 else st.nothing()
        sizes = tuple(draw(keep | st.integers(1, max_size)) for _ in range(ndim))
    else:
        sizes = (1,) * ndim
    return cls(sizes, convention=convention)


def _pads(spec: Any) -> tuple[tuple[int, int], ...]:
    """Numeric padding pairs of a window spec (names count as no padding)."""
    if isinstance(spec.padding, tuple):
        return tuple(spec.padding)
    return ((0, 0),) * spec.ndim


def _ceildiv(a: int, b: int) -> int:
    return -(-a // b)


def _times(r: int) -> Any:
    def times(q: int) -> int:
        return q * r

    return times


def valid_input_sizes(spec: Any, *, span: int = 24) -> st.SearchStrategy[tuple[int, ...]]:
    """Spatial input sizes (a tuple of ``spec.ndim`` ints) on which ``spec`` is valid.

    The lower bounds are conservative closed forms, so every drawn size is valid; each axis
    ranges over ``span + 1`` consecutive sizes from its bound:

    * conv and pooling: ``n >= k_eff`` (padding only helps);
    * transposed conv: ``n >= 2 + ceil((pb + pe + k_eff) / s)``; TensorFlow: the one ``n``
      its ``output_size`` admits, ``ceil(L / s)`` (SAME) or ``1 + (L - k_eff) // s`` (VALID);
    * max-unpooling: ``n >= 2 + ceil((pb + pe) / s)``;
    * resize: ``n >= ceil(1 / scale) + 1``; pixel unshuffle: multiples of the factor;
    * adaptive pooling: every ``n >= 1`` (also ``n`` below the output size).
    """
    nd = spec.ndim
    if isinstance(spec, Conv | MaxPool | AvgPool):
        keff = [d * (k - 1) + 1 for k, d in zip(spec.kernel, spec.dilation, strict=True)]
        return st.tuples(*[st.integers(lo, lo + span) for lo in keff])
    if isinstance(spec, ConvTranspose):
        keff = [d * (k - 1) + 1 for k, d in zip(spec.kernel, spec.dilation, strict=True)]
        if spec.convention == "tensorflow":
            sizes = []
            for target, k, s in zip(spec.output_size, keff, spec.stride, strict=True):
                same = spec.padding == "same"
                sizes.append(_ceildiv(target, s) if same else 1 + (target - k) // s)
            return st.just(tuple(sizes))
        lows = [2 + _ceildiv(b + e + k, s)
                for (b, e), k, s in zip(_pads(spec), keff, spec.stride, strict=True)]
        return st.tuples(*[st.integers(lo, lo + span) for lo in lows])
    if isinstance(spec, MaxUnpool):
        lows = [2 + _ceildiv(b + e, s) for (b, e), s in zip(_pads(spec), spec.stride, strict=True)]
        return st.tuples(*[st.integers(lo, lo + span) for lo in lows])
    if isinstance(spec, Resize):
        if spec.scale_factor is None:
            return _ints(nd, 1, 1 + span)
        lows = [int(_ceildiv(1 * Fraction(sf).denominator, Fraction(sf).numerator)) + 1
                for sf in spec.scale_factor]
        return st.tuples(*[st.integers(lo, lo + span) for lo in lows])
    if isinstance(spec, PixelUnshuffle):
        r = int(spec.factor)
        return st.tuples(*[st.integers(1, 1 + span // r).map(_times(r))] * nd)
    return _ints(nd, 1, 1 + span)


@st.composite
def layer_and_sizes(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch"
) -> tuple[Any, tuple[int, ...]]:
    """A valid spec of any window, adaptive-pooling or resizing layer under ``convention`` and a
    valid input."""
    makers = [conv_specs(ndim, convention), conv_transpose_specs(ndim, convention),
              pool_specs(ndim, convention, "max"), pool_specs(ndim, convention, "avg"),
              adaptive_specs(ndim, convention), resize_specs(ndim, convention),
              shuffle_specs(ndim, convention), shuffle_specs(ndim, convention, unshuffle=True)]
    spec = draw(st.one_of(makers))
    return spec, draw(valid_input_sizes(spec))
