"""Hypothesis strategies that build VALID layer specs by construction (never ``.filter``).

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
from math import gcd
from typing import Any

from hypothesis import strategies as st

import symconv

__all__ = [
    "CONVENTIONS",
    "adaptive_specs",
    "conv_specs",
    "conv_transpose_specs",
    "cubic_resize_specs",
    "layer_and_sizes",
    "pool_specs",
    "resize_specs",
    "scaled_networks",
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
def conv_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "torch") -> symconv.Conv:
    """Valid :class:`symconv.Conv` specs under ``convention`` (with groups and channels).

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
    return symconv.Conv(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, in_channels=cin, out_channels=cout,
                        convention=convention, ndim=ndim)


@st.composite
def conv_transpose_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch"
) -> symconv.ConvTranspose:
    """Valid :class:`symconv.ConvTranspose` specs with a legal ``output_padding``.

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
    return symconv.ConvTranspose(kernel=kernel, stride=stride, dilation=dilation, groups=groups,
                                 convention=convention, ndim=ndim, **kw)


@st.composite
def pool_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", kind: str = "max"
) -> symconv.MaxPool | symconv.AvgPool:
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
        cls: Any = symconv.AvgPool
    else:
        cls = symconv.MaxPool
    return cls(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
               convention=convention, ndim=ndim, **kw)


@st.composite
def resize_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "torch") -> symconv.Resize:
    """Valid :class:`symconv.Resize` specs: an int or Fraction scale per axis (up or down),
    or an explicit output ``size``; ``align_corners`` only with ``mode='linear'`` and not under
    jax (``jax.image.resize`` samples pixel centres; its linear mode antialiases)."""
    mode = draw(st.sampled_from(("nearest", "nearest-exact", "linear")))
    align = (draw(st.none() | st.booleans()) if mode == "linear" and convention != "jax"
             else None)
    if draw(st.booleans()):
        scales = st.integers(1, 4) | st.builds(Fraction, st.integers(1, 8), st.integers(1, 4))
        return symconv.Resize(scale_factor=tuple(draw(scales) for _ in range(ndim)), mode=mode,
                              align_corners=align, convention=convention, ndim=ndim)
    return symconv.Resize(size=draw(_ints(ndim, 1, 40)), mode=mode, align_corners=align,
                          convention=convention, ndim=ndim)


#: Keys coefficients for cubic specs: PyTorch's -3/4, Catmull-Rom's -1/2, -1, 0, and a positive
#: one (with ``exclude_outside`` it can leave an output no weight: a refusal to test).
CUBIC_COEFFS = (Fraction(-3, 4), Fraction(-1, 2), -1, 0, Fraction(1, 3))


@st.composite
def cubic_resize_specs(draw: st.DrawFn, ndim: int = 2, convention: str = "onnx") -> symconv.Resize:
    """Valid cubic :class:`symconv.Resize` specs.  PyTorch (``bicubic``): two spatial axes,
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
    return symconv.Resize(**kw)


@st.composite
def shuffle_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", *, unshuffle: bool = False
) -> symconv.PixelShuffle | symconv.PixelUnshuffle:
    """Pixel shuffle (or, with ``unshuffle=True``, unshuffle) specs with factor 1..4."""
    cls: Any = symconv.PixelUnshuffle if unshuffle else symconv.PixelShuffle
    return cls(factor=draw(st.integers(1, 4)), convention=convention,
               ndim=ndim)


@st.composite
def adaptive_specs(
    draw: st.DrawFn, ndim: int = 2, convention: str = "torch", kind: str | None = None,
    *, max_size: int = 12,
) -> symconv.AdaptiveAvgPool | symconv.AdaptiveMaxPool:
    """Adaptive (``kind`` 'avg' or 'max', drawn when ``None``) pooling specs: under PyTorch an
    output size 1..``max_size`` or ``None`` per axis (not in 1-D, where PyTorch takes ints
    only); under every other convention output size 1 on every axis (global pooling), the only
    one those frameworks have."""
    which = kind or draw(st.sampled_from(("avg", "max")))
    cls: Any = symconv.AdaptiveAvgPool if which == "avg" else symconv.AdaptiveMaxPool
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
    if isinstance(spec, symconv.Conv | symconv.MaxPool | symconv.AvgPool):
        keff = [d * (k - 1) + 1 for k, d in zip(spec.kernel, spec.dilation, strict=True)]
        return st.tuples(*[st.integers(lo, lo + span) for lo in keff])
    if isinstance(spec, symconv.ConvTranspose):
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
    if isinstance(spec, symconv.MaxUnpool):
        lows = [2 + _ceildiv(b + e, s) for (b, e), s in zip(_pads(spec), spec.stride, strict=True)]
        return st.tuples(*[st.integers(lo, lo + span) for lo in lows])
    if isinstance(spec, symconv.Resize):
        if spec.scale_factor is None:
            return _ints(nd, 1, 1 + span)
        lows = [int(_ceildiv(1 * Fraction(sf).denominator, Fraction(sf).numerator)) + 1
                for sf in spec.scale_factor]
        return st.tuples(*[st.integers(lo, lo + span) for lo in lows])
    if isinstance(spec, symconv.PixelUnshuffle):
        r = spec.factor
        return st.tuples(*[st.integers(1, 1 + span // r).map(lambda q, r=r: q * r)] * nd)
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


# --------------------------------------------------------------------------- scaled networks


@st.composite
def scaled_networks(
    draw: st.DrawFn, ndim: int = 1, max_layers: int = 7, *, two_inputs: bool = False,
    unpool: bool = True,
) -> tuple[dict[str, Any], int]:
    """A random torch-convention network DAG (as a network-file mapping) that runs, by
    construction, on every input size that is a multiple of the returned ``D`` and large
    enough, with every tensor of size ``n * scale`` exactly; and ``D``.

    Layers read a random earlier tensor: stride-1 'same' convolutions (odd or even kernels,
    dilation), exact downsamplers by ``f`` (conv/max-pool/avg-pool with
    ``1 <= k_eff - 2p <= f``, nearest resize by 1/f, pixel unshuffle), exact upsamplers by
    ``f`` (transposed conv with ``k_eff - 2p + op = f``, nearest/linear resize, pixel
    shuffle, max-unpool with ``k = s``), activations, and concat/add of two tensors of the
    same scale (skip connections).  Channels are tracked so that pixel shuffle and add are
    legal.  With ``two_inputs`` a second input ``y`` of the same size joins as a source;
    ``unpool=False`` leaves out max-unpooling (it needs the switches of a paired pool).
    """
    tensors: list[tuple[str, Fraction, int]] = [("x", Fraction(1), 2)]
    inputs = [{"name": "x", "size": ["H", "W", "D"][:ndim], "channels": 2}]
    if two_inputs:
        tensors.append(("y", Fraction(1), 2))
        inputs.append({"name": "y", "size": ["H", "W", "D"][:ndim], "channels": 2})
    layers: list[dict[str, Any]] = []
    den = 1
    count = draw(st.integers(1, max_layers))
    for i in range(count):
        name = f"l{i}"
        src, scale, ch = tensors[draw(st.integers(0, len(tensors) - 1))]
        kind = draw(st.sampled_from(["same", "down", "up", "merge", "relu"]))
        layer: dict[str, Any] = {"name": name, "inputs": [src]}
        if kind == "merge":
            pals = [t for t in tensors if t[1] == scale and t[0] != src]
            if not pals:
                kind = "relu"
            else:
                other = draw(st.sampled_from(pals))
                op = "add" if other[2] == ch and draw(st.booleans()) else "concat"
                layer.update(op=op, inputs=[src, other[0]])
                tensors.append((name, scale, ch if op == "add" else ch + other[2]))
                layers.append(layer)
                continue
        if kind == "relu":
            layer["op"] = "relu"
            out_scale, out_ch = scale, ch
        elif kind == "same":
            k, d = draw(st.integers(1, 5)), draw(st.integers(1, 2))
            out_ch = draw(st.integers(1, 4))
            pad: Any = "same" if draw(st.booleans()) or (d * (k - 1)) % 2 else d * (k - 1) // 2
            layer.update(op="conv", kernel=k, dilation=d, padding=pad, out_channels=out_ch)
            out_scale = scale
        elif kind == "down":
            f = draw(st.integers(2, 3))
            which = draw(st.sampled_from(["conv", "max-pool", "avg-pool", "resize",
                                          "pixel-unshuffle"]))
            out_ch = ch
            if which in ("conv", "max-pool", "avg-pool"):
                k = draw(st.integers(1, 5))
                d = draw(st.integers(1, 2)) if which != "avg-pool" else 1
                keff = d * (k - 1) + 1
                # 1 <= keff - 2p <= f, p >= 0, pools: p <= k // 2
                lo, hi = max(0, -(-(keff - f) // 2)), (keff - 1) // 2
                if which != "conv":
                    hi = min(hi, k // 2)
                if lo > hi:
                    k, d, keff, lo, hi = f, 1, f, 0, 0
                p = draw(st.integers(lo, hi))
                layer.update(op=which, kernel=k, stride=f, padding=p)
                if d > 1:
                    layer["dilation"] = d
                if which == "conv":
                    out_ch = draw(st.integers(1, 4))
                    layer["out_channels"] = out_ch
                elif keff - 2 * p == f and draw(st.booleans()):
                    layer["ceil_mode"] = True  # same windows as floor mode here
            elif which == "resize":
                layer.update(op="resize", scale_factor=f"1/{f}")
            else:
                layer.update(op="pixel-unshuffle", factor=f)
                out_ch = ch * f**ndim
            out_scale = scale / f
        else:  # up
            f = draw(st.integers(2, 3))
            which = draw(st.sampled_from(["conv-transpose", "resize", "pixel-shuffle",
                                          *(["max-unpool"] if unpool else [])]))
            out_ch = ch
            if which == "conv-transpose":
                k, d = draw(st.integers(1, 5)), draw(st.integers(1, 2))
                keff = d * (k - 1) + 1
                # op = f - keff + 2p must lie in [0, max(f, d) - 1]
                ps = [p for p in range(0, 4) if 0 <= f - keff + 2 * p < max(f, d)]
                if not ps:
                    k, d, keff, ps = f, 1, f, [0]
                p = draw(st.sampled_from(ps))
                out_ch = draw(st.integers(1, 4))
                layer.update(op="conv-transpose", kernel=k, stride=f, padding=p,
                             output_padding=f - keff + 2 * p, out_channels=out_ch)
                if d > 1:
                    layer["dilation"] = d
            elif which == "resize":
                mode = draw(st.sampled_from(["nearest", "linear"]))
                layer.update(op="resize", scale_factor=f, mode=mode)
            elif which == "pixel-shuffle":
                if ch % f**ndim:
                    layers.append({"name": f"{name}c", "op": "conv", "kernel": 1,
                                   "out_channels": f**ndim, "inputs": [src]})
                    layer["inputs"] = [f"{name}c"]
                    ch = f**ndim
                layer.update(op="pixel-shuffle", factor=f)
                out_ch = ch // f**ndim
            else:
                layer.update(op="max-unpool", kernel=f, stride=f)
            out_scale = scale * f
        layers.append(layer)
        tensors.append((name, out_scale, out_ch))
        den = den * out_scale.denominator // gcd(den, out_scale.denominator)
    return {"convention": "torch", "inputs": inputs, "layers": layers}, den


def review_layer_dicts(*, tensorflow_same: bool = True,
                       resize_factors: tuple[Any, ...] = (2, "3/2", "1/2")
                       ) -> st.SearchStrategy[dict[str, Any]]:
    """One layer of a random 1-D network file for ``symconv review`` (a dict as in YAML):
    conv, max-pool (ceil mode with padding), conv-transpose (output_padding < stride), optionally
    TensorFlow SAME conv, pixel unshuffle, resizes by ``resize_factors`` and relu."""
    kinds = [
        st.builds(lambda k, s, p: {"op": "conv", "kernel": k, "stride": s, "padding": p},
                  st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
        st.builds(lambda k, s, c: {"op": "max-pool", "kernel": k, "stride": s,
                                   "padding": k // 2 if c else 0, "ceil_mode": c},
                  st.integers(1, 3), st.integers(1, 3), st.booleans()),
        st.builds(lambda k, s, p, op: {"op": "conv-transpose", "kernel": k, "stride": s,
                                       "padding": p, "output_padding": op % s},
                  st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2)),
    ]
    if tensorflow_same:
        kinds.append(st.builds(lambda k, s: {"op": "conv", "kernel": k, "stride": s,
                                             "padding": "SAME", "convention": "tensorflow"},
                               st.integers(1, 5), st.integers(1, 3)))
    kinds.append(st.just({"op": "pixel-unshuffle", "factor": 2}))
    kinds.append(st.sampled_from([*({"op": "resize", "scale_factor": f} for f in resize_factors),
                                  {"op": "relu"}]))
    return st.one_of(*kinds)
