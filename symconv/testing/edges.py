"""Hypothesis strategies for the kit: layers with input sizes at the edges, and the
configurations a convention rejects.

:func:`layers` draws :class:`~symconv.testing.cases.LayerCase` values (``valid=True``) or
:class:`~symconv.testing.cases.InvalidCase` values (``valid=False``).  Specs come from
:mod:`symconv.testing.specs` (every parameter a framework accepts, written from
docs/CONVENTIONS.md); sizes are biased toward where implementations go wrong:

* the smallest sizes a window accepts, where it hangs into the padding (``n + p_b + p_e =
  k_eff``) and size-1 inputs wherever they are valid;
* a few strides' worth of consecutive sizes, so ceil-mode last windows (the one that starts
  in the end padding is dropped) and SAME splits that change with ``n mod s`` both occur;
* resizes to an explicit size whose ratio ``n / o`` rounds down in float32 where an output
  hits a source exactly, so a float kernel reads one source early (:func:`float_sensitive_sizes`),
  half of the resizes;
* transposed convolutions with ``output_padding`` at its limit (``max(s, d) - 1`` under
  PyTorch, ``s - 1`` under ONNX and Keras) half of the time, and with a window shorter than
  its stride (gaps between windows; a SAME total padding below zero) a quarter of the time;
* PyTorch ``padding='same'`` convolutions with an even window (an odd total padding, the
  extra unit at the end) a quarter of the time;
  dilation with stride as every framework allows it.

``valid=False`` draws two families, each with the rule that rejects it: inputs below the
smallest size (``n + p_b + p_e < k_eff``, biased to ``-s < n + p_b + p_e - k_eff < 0``,
where one output would come from truncating toward zero: onnxruntime#25234) and parameters
the convention refuses (PyTorch pooling pad above ``k // 2``, ONNX pads ``>= k``, an
``output_padding`` at or above its limit, TensorFlow/Keras stride with dilation, PyTorch
``'same'`` with a stride).

>>> from hypothesis import given, settings
>>> @settings(max_examples=20, database=None)
... @given(layers(kind="conv", convention="tensorflow", ndim=2))
... def check(case):
...     assert symconv.resolve(case.layer, case.input_size).output
>>> check()
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

import symconv
from symconv.spec import AvgPool, Conv, ConvTranspose, Layer, MaxPool, Resize
from symconv.testing.cases import InvalidCase, LayerCase, build
from symconv.testing.specs import (
    CONVENTIONS,
    adaptive_specs,
    conv_specs,
    conv_transpose_specs,
    pool_specs,
    resize_specs,
    shuffle_specs,
    valid_input_sizes,
)

__all__ = ["KINDS", "edge_sizes", "float_sensitive_sizes", "invalid_cases", "layers"]

#: The layer kinds :func:`layers` draws (``kind=None``: all of them).
KINDS = ("conv", "conv-transpose", "max-pool", "avg-pool", "adaptive-pool", "resize",
         "pixel-shuffle", "pixel-unshuffle")

#: The kinds that have a family of rejected input sizes (``valid=False``).
WINDOW_KINDS = ("conv", "max-pool", "avg-pool")


def _ceildiv(a: int, b: int) -> int:
    return -(-a // b)


def _choices(value: Any, allowed: Sequence[Any], name: str) -> tuple[Any, ...]:
    if value is None:
        return tuple(allowed)
    values = (value,) if isinstance(value, str | int) else tuple(value)
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise symconv.InvalidSpecError(
            f"{name}={bad[0] if bad else values!r} must be one of {', '.join(map(str, allowed))}")
    return values


@st.composite
def _spec(draw: st.DrawFn, kind: str, ndim: int, convention: str) -> Layer:
    if kind == "conv":
        conv: Any = draw(conv_specs(ndim, convention))
        if convention == "torch" and draw(st.integers(0, 3)) == 0:
            # PyTorch 'same' with an odd total padding (an even window): the extra unit goes
            # at the end, the split a port most often reverses
            dilation = tuple(d if d % 2 else d - 1 for d in conv.dilation)
            kernel = tuple(k + k % 2 for k in conv.kernel)
            conv = dataclasses.replace(conv, stride=(1,) * ndim, padding="same",
                                       kernel=kernel, dilation=dilation)
        return conv
    if kind == "conv-transpose":
        spec: Any = draw(conv_transpose_specs(ndim, convention))
        if convention != "tensorflow" and draw(st.integers(0, 3)) == 0:
            spec = _shorter_than_stride(spec)
        if convention in ("torch", "onnx", "keras") and spec.output_padding is not None \
                and draw(st.booleans()):
            top = tuple((max(s, d) if convention == "torch" else s) - 1
                        for s, d in zip(spec.stride, spec.dilation, strict=True))
            spec = dataclasses.replace(spec, output_padding=top)  # at its limit
        return spec
    if kind in ("max-pool", "avg-pool"):
        pool: Any = draw(pool_specs(ndim, convention, kind.split("-")[0]))
        if convention == "jax" and isinstance(pool.padding, tuple):
            # pads >= k leave windows on padding only (JAX: -inf or NaN, no linear map)
            pads = tuple((min(b, k - 1), min(e, k - 1))
                         for (b, e), k in zip(pool.padding, pool.kernel, strict=True))
            pool = dataclasses.replace(pool, padding=pads)
        return pool
    if kind == "adaptive-pool":
        return draw(adaptive_specs(ndim, convention))
    if kind == "resize":
        return draw(resize_specs(ndim, convention))
    return draw(shuffle_specs(ndim, convention, unshuffle=kind == "pixel-unshuffle"))


def _shorter_than_stride(spec: Any) -> Any:
    """The transposed convolution with each stride raised past its window (and output
    padding): gaps between the windows, and a SAME total padding below zero (which
    onnxruntime clamps and ONNX's operator text does not)."""
    op = spec.output_padding or (0,) * len(spec.stride)
    stride = tuple(max(s, d * (k - 1) + 1 + o + 1) for s, k, d, o in
                   zip(spec.stride, spec.kernel, spec.dilation, op, strict=True))
    try:
        return dataclasses.replace(spec, stride=stride)
    except symconv.InvalidSpecError:  # a rule of the convention (stride with dilation)
        return spec


def _window_lows(spec: Any) -> list[int] | None:
    """The smallest valid input size per axis of a window layer, from the size rules of
    docs/CONVENTIONS.md (``None``: not a window layer, or TensorFlow's transposed conv)."""
    if not isinstance(spec, Conv | MaxPool | AvgPool | ConvTranspose):
        return None
    keff = [d * (k - 1) + 1 for k, d in zip(spec.kernel, spec.dilation, strict=True)]
    pairs = spec.padding if isinstance(spec.padding, tuple) else None
    if isinstance(spec, Conv | MaxPool | AvgPool):
        if pairs is None:
            name = str(spec.padding.value)
            return [k if name == "valid" else 1 for k in keff]
        if isinstance(spec, MaxPool | AvgPool) and any(d > 1 for d in spec.dilation):
            return keff  # a dilated window can skip the whole input: keep it inside
        if isinstance(spec, AvgPool) and spec.convention.value == "torch" and len(keff) == 3:
            return keff  # PyTorch avg_pool3d: input >= kernel, whatever the padding
        return [max(1, k - b - e) for k, (b, e) in zip(keff, pairs, strict=True)]
    if isinstance(spec, ConvTranspose):
        if spec.convention.value == "tensorflow":
            return None
        if pairs is None:  # names: Keras 'same' with an output_padding crops k // 2 per side
            return [2 + _ceildiv(k, s) for k, s in zip(keff, spec.stride, strict=True)]
        if spec.convention.value == "jax":  # pads of the stretched input (lax.conv_transpose)
            return [max(1, 1 + _ceildiv(k - 1 - b - e, s))
                    for k, (b, e), s in zip(keff, pairs, spec.stride, strict=True)]
        ops = spec.output_padding or (0,) * len(keff)
        return [max(1, 1 + _ceildiv(b + e + 1 - k - op, s))
                for k, (b, e), s, op in zip(keff, pairs, spec.stride, ops, strict=True)]
    return None


def edge_sizes(spec: Layer, *, span: int = 12) -> st.SearchStrategy[tuple[int, ...]]:
    """Valid input sizes of ``spec``, biased to the edges: from the smallest valid size on
    each axis, two strides and a bit more of consecutive sizes half of the time, else up to
    ``span`` above it (Hypothesis shrinks toward the smallest)."""
    lows = _window_lows(spec)
    if lows is None:
        return valid_input_sizes(spec, span=span)
    stride = getattr(spec, "stride", None) or (1,) * len(lows)
    axes = [st.integers(lo, lo + 2 * s + 1) | st.integers(lo, lo + span)
            for lo, s in zip(lows, stride, strict=True)]
    return st.tuples(*axes)


@functools.lru_cache(maxsize=2)
def float_sensitive_sizes(float32_product: bool = False, max_in: int = 32,
                          max_out: int = 64) -> tuple[tuple[int, int], ...]:
    """Input and output sizes ``(n, o)`` of a resize by ``size=`` where ``floor(j * scale)``
    with the float32 ratio ``scale = float32(n) / float32(o)`` reads one source early: some
    output ``j`` hits a source exactly (``j n / o`` an integer) and the scale rounds below
    ``n / o``, so the exact product ``j * scale`` falls below the integer.  With
    ``float32_product=True``, only the sizes where that survives rounding the product to
    float32 (through a double, as a float kernel evaluating in double and storing in float
    does) -- the rarer and harder case.

    >>> (14, 46) in float_sensitive_sizes(), (14, 28) in float_sensitive_sizes()
    (True, False)
    >>> float_sensitive_sizes(True)[:2]
    ((14, 46), (26, 22))
    """
    import numpy as np

    out = []
    for n in range(2, max_in + 1):
        for o in range(2, max_out + 1):
            step = o // math.gcd(n, o)
            scale = Fraction(float(np.float32(n) / np.float32(o)))
            if step == o or scale >= Fraction(n, o):
                continue
            if float32_product and not any(
                    Fraction(float(np.float32(float(j * scale)))) < j * n // o
                    for j in range(step, o, step)):
                continue
            out.append((n, o))
    return tuple(out)


@st.composite
def _float_sensitive_resize(draw: st.DrawFn, ndim: int, convention: str) -> LayerCase:
    """A resize to an explicit size with a float-sensitive ratio on one axis."""
    pairs = float_sensitive_sizes(draw(st.booleans())) or float_sensitive_sizes()
    axis = draw(st.integers(0, ndim - 1))
    sizes, outs = [], []
    for a in range(ndim):
        n, o = draw(st.sampled_from(pairs)) if a == axis else (draw(st.integers(1, 8)),
                                                               draw(st.integers(1, 8)))
        sizes.append(n)
        outs.append(o)
    mode = draw(st.sampled_from(("nearest", "nearest-exact", "linear")))
    layer = Resize(size=tuple(outs), mode=mode, convention=convention, ndim=ndim)
    return LayerCase(layer, tuple(sizes))


@st.composite
def _valid_case(draw: st.DrawFn, kinds: tuple[str, ...], conventions: tuple[str, ...],
                ndims: tuple[int, ...], span: int) -> LayerCase:
    kind = draw(st.sampled_from(kinds))
    ndim = draw(st.sampled_from(ndims))
    convention = draw(st.sampled_from(conventions))
    if kind == "resize" and draw(st.booleans()):
        return draw(_float_sensitive_resize(ndim, convention))
    spec = draw(_spec(kind, ndim, convention))
    return LayerCase(spec, draw(edge_sizes(spec, span=span)))


def _ints(ndim: int, lo: int, hi: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[st.integers(lo, hi)] * ndim)


@st.composite
def _small_input(draw: st.DrawFn, kind: str, ndim: int, convention: str) -> InvalidCase:
    """A valid window layer on an input below its smallest size on one axis."""
    cls = {"conv": "Conv", "max-pool": "MaxPool", "avg-pool": "AvgPool"}[kind]
    kernel = draw(_ints(ndim, 2, 5))
    stride = draw(_ints(ndim, 1, 3))
    dilated = kind == "conv" and convention in ("torch", "onnx", "jax")
    dilation = draw(_ints(ndim, 1, 2)) if dilated else (1,) * ndim
    keff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    params: dict[str, Any] = {"kernel": kernel, "stride": stride, "convention": convention,
                              "ndim": ndim}
    if dilated:
        params["dilation"] = dilation
    if convention in ("tensorflow", "keras"):
        params["padding"] = "VALID" if convention == "tensorflow" else "valid"
        pairs = [(0, 0)] * ndim
    elif convention == "torch":  # symmetric; pools: at most k // 2
        tops = [(ke - 2) // 2 if kind == "conv" else min(k // 2, (ke - 2) // 2)
                for k, ke in zip(kernel, keff, strict=True)]
        pads = [draw(st.integers(0, t)) for t in tops]
        params["padding"] = tuple(pads)
        pairs = [(p, p) for p in pads]
    else:  # onnx, jax: pairs with p_b + p_e <= k_eff - 2 (pools: each < k)
        pairs = []
        for k, ke in zip(kernel, keff, strict=True):
            top = ke - 2 if kind == "conv" else min(k - 1, ke - 2)
            b = draw(st.integers(0, top))
            e = draw(st.integers(0, min(top - b, top)))
            pairs.append((b, e))
        params["padding"] = tuple(pairs)
    if kind == "avg-pool" and convention in ("torch", "onnx", "jax"):
        params["count_include_pad"] = draw(st.booleans())
    layer = build(cls, params)
    lows = [ke - b - e for ke, (b, e) in zip(keff, pairs, strict=True)]  # each >= 2
    bad = draw(st.integers(0, ndim - 1))
    sizes = []
    for a, (lo, s) in enumerate(zip(lows, stride, strict=True)):
        if a == bad:  # -s < n + pads - k_eff < 0 first, then anything below
            sizes.append(draw(st.integers(max(1, lo - s), lo - 1) | st.integers(1, lo - 1)))
        else:
            sizes.append(draw(st.integers(lo, lo + 2 * s)))
    b, e = pairs[bad]
    rule = (f"input + pads >= (kernel - 1) * dilation + 1 on axis {bad}: "
            f"{sizes[bad]} + {b} + {e} < {keff[bad]}")
    return InvalidCase(cls, params, tuple(sizes), rule, layer)


@st.composite
def _bad_params(draw: st.DrawFn, kind: str, ndim: int, convention: str) -> InvalidCase | None:
    """Parameters ``convention`` refuses, or ``None`` when it has no such rule for ``kind``."""
    k = draw(st.integers(2, 5))
    s = draw(st.integers(2, 3))
    base: dict[str, Any] = {"kernel": (k,) * ndim, "convention": convention, "ndim": ndim}
    size = (2 * k + 2 * s,) * ndim
    if kind in ("max-pool", "avg-pool") and convention in ("torch", "onnx"):
        cls = "MaxPool" if kind == "max-pool" else "AvgPool"
        if convention == "torch":
            p = draw(st.integers(k // 2 + 1, k // 2 + 2))
            return InvalidCase(cls, {**base, "padding": (p,) * ndim}, size,
                               f"padding <= kernel // 2 (PyTorch): {p} > {k} // 2")
        p = draw(st.integers(k, k + 1))
        return InvalidCase(cls, {**base, "padding": ((p, 0),) * ndim}, size,
                           f"each pad < kernel (ONNX): {p} >= {k}")
    if kind == "conv-transpose" and convention in ("torch", "onnx"):
        d = draw(st.integers(1, 2)) if convention == "torch" else 1
        limit = max(s, d) if convention == "torch" else s
        op = draw(st.integers(limit, limit + 1))
        rule = (f"output_padding < max(stride, dilation) (PyTorch): {op} >= {limit}"
                if convention == "torch" else f"output_padding < stride (ONNX): {op} >= {s}")
        return InvalidCase("ConvTranspose", {**base, "stride": (s,) * ndim,
                                             "dilation": (d,) * ndim,
                                             "output_padding": (op,) * ndim}, size, rule)
    if kind == "conv" and convention in ("tensorflow", "keras"):
        name = "SAME" if convention == "tensorflow" else "same"
        return InvalidCase("Conv", {**base, "stride": (s,) * ndim, "dilation": (2,) * ndim,
                                    "padding": name}, size,
                           f"stride > 1 excludes dilation > 1 ({convention}): stride {s}, "
                           "dilation 2")
    if kind == "conv" and convention == "torch":
        return InvalidCase("Conv", {**base, "stride": (s,) * ndim, "padding": "same"}, size,
                           f"padding='same' needs stride 1 (PyTorch): stride {s}")
    return None


@st.composite
def invalid_cases(draw: st.DrawFn, kinds: tuple[str, ...] = WINDOW_KINDS,
                  conventions: tuple[str, ...] = CONVENTIONS, ndims: tuple[int, ...] = (1, 2),
                  rejects: str = "any") -> InvalidCase:
    """Configurations the convention rejects (see the module docs): ``rejects='size'`` only
    inputs below the smallest size (the layer is valid: ``case.layer`` is set), ``'params'``
    only parameters the convention refuses, ``'any'`` both."""
    ndim = draw(st.sampled_from(ndims))
    families = [f for f in ("size", "params") if rejects in ("any", f)]
    pairs = [(k, c) for k in kinds for c in conventions]
    sized = [(k, c) for k, c in pairs if k in WINDOW_KINDS]
    if "params" in families:
        for kind, convention in draw(st.permutations(pairs)):
            if "size" in families and sized and draw(st.booleans()):
                break
            case = draw(_bad_params(kind, ndim, convention))
            if case is not None:
                return case
    if not sized or "size" not in families:
        raise symconv.InvalidSpecError(
            f"kind={kinds!r} under convention={conventions!r} must include a layer with a "
            f"rejected configuration of the family {rejects!r}")
    kind, convention = draw(st.sampled_from(sized))
    return draw(_small_input(kind, ndim, convention))


def layers(
    kind: str | Sequence[str] | None = None,
    convention: str | Sequence[str] | None = None,
    ndim: int | Sequence[int] | None = None,
    valid: bool = True,
    *,
    span: int = 12,
    rejects: str = "any",
) -> st.SearchStrategy[Any]:
    """Layers with input sizes, biased toward the edges (see the module docs).

    ``kind``: one of :data:`KINDS` or several (default all); ``convention``: ``torch``,
    ``onnx``, ``tensorflow``, ``keras``, ``jax`` or several (default all); ``ndim``: spatial
    axes (default 1 or 2).  ``valid=True`` draws :class:`LayerCase` ``(layer, input_size)``;
    ``valid=False`` draws :class:`InvalidCase` (``rejects``: ``'size'``, ``'params'`` or
    ``'any'``).  ``span``: how far above the smallest valid size the sizes go.
    """
    kinds = _choices(kind, KINDS, "kind")
    conventions = _choices(convention, CONVENTIONS, "convention")
    ndims = _choices(ndim, (1, 2, 3), "ndim") if ndim is not None else (1, 2)
    if rejects not in ("any", "size", "params"):
        raise symconv.InvalidSpecError(f"rejects={rejects!r} must be 'any', 'size' or 'params'")
    if valid:
        return _valid_case(kinds, conventions, ndims, span)
    return invalid_cases(kinds, conventions, ndims, rejects)
