"""Transposed convolution: every output size its convention can produce from an input size
(:func:`transposed_sizes`), and the parameter that yields a target size
(:func:`output_padding_for`: ``output_padding``, or ``output_size``/``output_shape``/padding).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, overload

from symconv.errors import InvalidSpecError, SymconvError
from symconv.sizes import formulas as F
from symconv.sizes.inverse._axes import (
    _axis_note,
    _axis_spec,
    _int_size,
    _merge,
    _per_axis,
    _ranges_text,
)
from symconv.sizes.shapes import resolve
from symconv.spec import (
    Convention,
    ConvTranspose,
    PadMode,
)

__all__ = [
    "OutputPaddingChoice",
    "RouteKind",
    "SizeRoute",
    "TransposedSizes",
    "output_padding_for",
    "output_padding_for_axis",
    "transposed_sizes",
    "transposed_sizes_axis",
]


# --------------------------------------------------------------------------- transposed sizes


class RouteKind(enum.StrEnum):
    """How a convention selects the output size of a transposed convolution."""

    OUTPUT_PADDING = "output_padding"  # value = size - base
    OUTPUT_SIZE = "output_size"  # PyTorch forward(output_size=), ONNX/TF output_shape
    FIXED = "fixed"  # one size, set by `setting` (named padding, Keras output_padding=None)


@dataclass(frozen=True, slots=True)
class SizeRoute:
    """A contiguous range of output sizes reachable through one parameter.

    ``adjoint`` is the sub-range whose layers are exactly the adjoint (transpose) of a
    convolution with the same kernel, stride, dilation and (resolved) padding: the applied
    output padding is smaller than the stride.
    """

    kind: RouteKind
    sizes: range
    adjoint: range
    base: int = 0
    setting: str = ""

    def value(self, size: int) -> int | str:
        """The parameter value that gives ``size`` along this route.

        >>> SizeRoute(RouteKind.OUTPUT_PADDING, range(11, 13), range(11, 13), base=11).value(12)
        1
        """
        if size not in self.sizes:
            raise InvalidSpecError(
                f"size={size} must lie in {_ranges_text([self.sizes])} for this route"
            )
        if self.kind is RouteKind.OUTPUT_PADDING:
            return size - self.base
        if self.kind is RouteKind.OUTPUT_SIZE:
            return size
        return self.setting

    @property
    def parameter(self) -> str:
        """The framework parameter this route sets."""
        if self.kind is RouteKind.FIXED:
            return self.setting.split("=")[0]
        return self.kind.value


@dataclass(frozen=True, slots=True)
class TransposedSizes:
    """Output sizes one axis of a transposed convolution can produce from ``input_size``."""

    input_size: int
    convention: Convention
    routes: tuple[SizeRoute, ...]
    notes: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[range, ...]:
        """Every reachable size, as disjoint sorted ranges."""
        return _merge([r.sizes for r in self.routes])

    @property
    def adjoint_sizes(self) -> tuple[range, ...]:
        """The sizes at which some route gives the exact adjoint of a convolution."""
        return _merge([r.adjoint for r in self.routes])

    def routes_to(self, size: int) -> tuple[SizeRoute, ...]:
        """The routes that reach ``size``."""
        return tuple(r for r in self.routes if size in r.sizes)


def _clip(lo: int, hi: int) -> range:
    """Sizes ``lo..hi`` that are at least 1."""
    return range(max(lo, 1), max(hi + 1, 1))


def transposed_sizes_axis(
    layer: ConvTranspose, input_size: int, axis: int = 0
) -> TransposedSizes:
    """Admissible output sizes of one axis of a transposed convolution, per its convention.

    The layer's own ``output_padding``/``output_size`` are what is being chosen, so they are
    ignored, except ONNX's ``output_padding``, which enters ``output_shape``'s padding.

    * torch: ``output_padding`` in ``[0, max(s, d))`` gives ``[m, m + max(s, d) - 1]`` with
      ``m = (n-1)s - pb - pe + k_eff``; adjoint only for ``op < s``; ``forward(output_size=)``
      accepts ``[m, m + s - 1]``.
    * onnx: ``output_padding`` in ``[0, s)`` with explicit pads (``auto_pad=SAME_*`` always
      gives ``n*s``); ``output_shape`` in ``1..s(n-1) + k_eff + s - 1``.  As onnxruntime and
      the ONNX reference implementation: they refuse an applied output padding ``>= s``.
    * tensorflow: ``output_shape`` in ``[(n-1)s + 1, ns]`` (SAME) or
      ``[(n-1)s + k_eff, (n-1)s + k_eff + s - 1]`` (VALID).
    * keras: ``output_padding=None`` (one size) or ``0..s-1``.
    * jax: 'SAME' gives ``ns``, 'VALID' ``ns + max(k_eff - s, 0)``, explicit pairs their size.

    >>> t = transposed_sizes_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6)
    >>> [(r.kind.value, r.sizes, r.adjoint) for r in t.routes]  # doctest: +NORMALIZE_WHITESPACE
    [('output_padding', range(11, 13), range(11, 13)),
     ('output_size', range(11, 13), range(11, 13))]
    >>> t = transposed_sizes_axis(ConvTranspose(kernel=3, stride=1, dilation=3), 4)
    >>> t.routes[0].sizes, t.routes[0].adjoint
    (range(10, 13), range(10, 11))
    """
    if not isinstance(layer, ConvTranspose):
        raise InvalidSpecError(f"layer={type(layer).__name__} must be a ConvTranspose")
    spec = _axis_spec(layer, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    c = spec.convention
    full = (n - 1) * s + keff  # the uncropped scatter extent
    routes: list[SizeRoute] = []
    notes: list[str] = []
    mode = spec.padding if isinstance(spec.padding, PadMode) else None
    if c is Convention.TORCH:
        pb, pe = spec.padding[0]
        m = full - pb - pe
        routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(m, m + max(s, d) - 1),
                                _clip(m, m + s - 1), base=m))
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, _clip(m, m + s - 1), _clip(m, m + s - 1)))
    elif c is Convention.ONNX:
        # onnxruntime and the ONNX reference implementation check that the forward conv of the
        # output gives back n, i.e. the applied output padding is < s (op < dilation is refused
        # although the operator text allows it): every admissible size is an adjoint.
        op = spec.output_padding[0]
        if mode in (PadMode.SAME_UPPER, PadMode.SAME_LOWER):
            # auto_pad SAME: output n*s, padding s(n-1) + op + k_eff - n*s in total; onnxruntime
            # and shape inference clamp a negative total at 0, so when op + k_eff < s the output
            # is the unpadded (n-1)s + k_eff + op instead.
            same = min(n * s, full + op)
            size = _clip(same, same)
            routes.append(SizeRoute(RouteKind.FIXED, size, size,
                                    setting=f"auto_pad={mode.value.upper()}"))
        else:
            pb, pe = (0, 0) if mode is PadMode.VALID else spec.padding[0]
            m = full - pb - pe
            routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(m, m + s - 1),
                                    _clip(m, m + s - 1), base=m))
        top = full + s - 1
        # total = full + op - L >= 0: pads absorb it and op is applied as given; total < 0:
        # no pads and op - total = L - full (< s) zeros appended.
        shape = _clip(1, top) if op < s else _clip(full + op + 1, top)
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, shape, shape))
        notes.append("output_shape overrides pads (total padding s(n-1) + op + k_eff - "
                     "output_shape, split by auto_pad)")
        if d > s:
            notes.append(f"output_padding in [{s}, {d}) is allowed by the ONNX operator text but "
                         "refused by onnxruntime and the ONNX reference implementation")
    elif c is Convention.TENSORFLOW:
        if mode is PadMode.SAME:
            lo, hi = (n - 1) * s + 1, n * s
        else:
            lo, hi = full, full + s - 1
        routes.append(SizeRoute(RouteKind.OUTPUT_SIZE, _clip(lo, hi), _clip(lo, hi)))
        notes.append("conv2d_transpose is the gradient of the forward conv on output_shape: "
                     "every admissible size is an adjoint")
    elif c is Convention.KERAS:
        if mode is PadMode.VALID:
            none_size, pad = n * s + max(keff - s, 0), 0
        else:
            none_size, pad = n * s, keff // 2
        one = _clip(none_size, none_size)
        routes.append(SizeRoute(RouteKind.FIXED, one, one, setting="output_padding=None"))
        base = (n - 1) * s + keff - 2 * pad  # deconv_output_length with output_padding given
        routes.append(SizeRoute(RouteKind.OUTPUT_PADDING, _clip(base, base + s - 1),
                                _clip(base, base + s - 1), base=base))
    elif c is Convention.JAX:
        same = _clip(n * s, n * s)
        valid_size = n * s + max(keff - s, 0)
        valid = _clip(valid_size, valid_size)
        routes.append(SizeRoute(RouteKind.FIXED, same, same, setting="padding='SAME'"))
        routes.append(SizeRoute(RouteKind.FIXED, valid, valid, setting="padding='VALID'"))
        if mode is None:
            left, right = spec.padding[0]
            size = full - 2 * (keff - 1) + left + right
            applied = max(0, right - (keff - 1))
            own = _clip(size, size)
            routes.append(SizeRoute(RouteKind.FIXED, own, own if applied < s else range(0),
                                    setting=f"padding=(({left}, {right}),)"))
        notes.append("explicit padding pairs (lo, hi) of the zero-stretched input give "
                     "(n-1)s + lo + hi - k_eff + 2: every size >= 1 is reachable (negative "
                     "pairs crop)")
    return TransposedSizes(n, c, tuple(routes), tuple(notes))


@overload
def transposed_sizes(layer: ConvTranspose, input_size: int) -> TransposedSizes: ...
@overload
def transposed_sizes(
    layer: ConvTranspose, input_size: tuple[int, ...]
) -> tuple[TransposedSizes, ...]: ...
def transposed_sizes(layer: Any, input_size: Any) -> Any:
    """Admissible output sizes of a transposed convolution, per axis.

    See :func:`transposed_sizes_axis` for the rules of each convention.

    >>> from symconv import ConvTranspose
    >>> t = transposed_sizes(ConvTranspose(kernel=4, stride=2, padding="SAME",
    ...                                    convention="tensorflow", output_size=8), 4)
    >>> t.sizes
    (range(7, 9),)
    >>> [a.sizes for a in transposed_sizes(ConvTranspose(kernel=3, stride=2), (2, 3))]
    [(range(5, 7),), (range(7, 9),)]
    """
    return _per_axis(transposed_sizes_axis, layer, input_size)


# --------------------------------------------------------------------------- output_padding_for


@dataclass(frozen=True, slots=True)
class OutputPaddingChoice:
    """How to make one axis of a transposed convolution produce ``target``.

    ``parameter``/``value`` are in the convention's own terms (``output_padding``,
    ``output_size`` -- ONNX/TensorFlow ``output_shape`` --, or ``padding`` for JAX);
    ``pads`` and ``output_padding`` are what is then applied, in PyTorch form (crops of the full
    output, zeros appended at the end).  ``adjoint`` says whether the layer is then exactly the
    transpose of the convolution with the same kernel, stride, dilation and padding (applied
    output padding smaller than the stride).  ``spec`` is the 1-D layer realising it, checked
    with :func:`symconv.sizes.shapes.resolve`.
    """

    input_size: int
    target: int
    parameter: str
    value: int | str | None
    output_padding: int
    pads: tuple[int, int]
    adjoint: bool
    admissible: tuple[range, ...]
    alternatives: tuple[tuple[str, int | str | None], ...]
    spec: ConvTranspose


_PREFERENCE = (RouteKind.OUTPUT_PADDING, RouteKind.FIXED, RouteKind.OUTPUT_SIZE)


def _realise(spec: ConvTranspose, route: SizeRoute, target: int) -> ConvTranspose:
    if route.kind is RouteKind.OUTPUT_PADDING:
        return dataclasses.replace(spec, output_padding=(route.value(target),), output_size=None)
    if route.kind is RouteKind.OUTPUT_SIZE:
        return dataclasses.replace(spec, output_size=(target,))
    if route.setting == "output_padding=None":
        return dataclasses.replace(spec, output_padding=None, output_size=None)
    if route.setting.startswith("padding='"):
        return dataclasses.replace(spec, padding=route.setting[9:-1], output_size=None)
    return dataclasses.replace(spec, output_size=None)  # the layer's own padding/auto_pad


def _jax_pairs(spec: ConvTranspose, n: int, target: int) -> tuple[int, int]:
    """Explicit lax padding that reaches ``target``, both sides of the sign of the total (a
    negative pair crops the zero-stretched input, as ``lax.pad`` does), keeping the layer's
    leading pad where possible: the output is ``(n-1)s + lo + hi - k_eff + 2``."""
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    total = target - (n - 1) * s - 2 + keff
    if isinstance(spec.padding, PadMode):
        left = keff - 1 - int(resolve(spec, n).pads[0][0])  # leading pad of the named mode
    else:
        left = int(spec.padding[0][0])
    left = min(max(left, 0), total) if total >= 0 else min(max(left, total), 0)
    return left, total - left


def output_padding_for_axis(
    layer: ConvTranspose, input_size: int, target: int, axis: int = 0
) -> OutputPaddingChoice:
    """The convention's setting that makes one axis of ``layer`` produce ``target``.

    Preference: ``output_padding`` (PyTorch, ONNX with explicit pads, Keras), then a fixed
    setting (Keras ``output_padding=None``, ONNX auto_pad, JAX 'SAME'/'VALID'), then
    ``output_size`` (TensorFlow ``output_shape``; ONNX ``output_shape`` when pads cannot).
    Under JAX any other size is reached with explicit padding pairs.

    >>> ch = output_padding_for_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12)
    >>> ch.parameter, ch.value, ch.adjoint, ch.admissible
    ('output_padding', 1, True, (range(11, 13),))
    >>> output_padding_for_axis(ConvTranspose(kernel=3, stride=2, padding=1), 6, 14)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: target=14 must be an admissible output size 11..12 ...
    """
    sizes = transposed_sizes_axis(layer, input_size, axis)
    spec = _axis_spec(layer, axis)
    n = sizes.input_size
    t = _int_size("target", target)
    routes = sorted(sizes.routes_to(t), key=lambda r: _PREFERENCE.index(r.kind))
    admissible = sizes.sizes
    if routes:
        realised = _realise(spec, routes[0], t)
        parameter = routes[0].parameter
        value: int | str | None = _display(routes[0], t)
    elif sizes.convention is Convention.JAX:
        pair = _jax_pairs(spec, n, t)
        realised = dataclasses.replace(spec, padding=(pair,))
        parameter, value = "padding", f"(({pair[0]}, {pair[1]}),)"
    else:
        detail = "; ".join(f"{r.parameter}: {_ranges_text([r.sizes])}" for r in sizes.routes)
        raise InvalidSpecError(
            f"target={t} must be an admissible output size {_ranges_text(admissible)} for "
            f"input {n}{_axis_note(axis, layer)} under convention {sizes.convention.value} "
            f"({detail})"
        )
    r = resolve(realised, n)
    if r.output[0] != t:  # pragma: no cover - the closed forms are tested against resolve
        raise SymconvError(
            f"internal: {parameter}={value} was derived for {t} but resolve gives {r.output[0]}"
        )
    applied = int(r.output_padding[0]) if r.output_padding else 0
    alternatives = tuple(
        (rt.parameter, _display(rt, t)) for rt in routes[1:]
    )
    return OutputPaddingChoice(
        input_size=n,
        target=t,
        parameter=parameter,
        value=value,
        output_padding=applied,
        pads=(int(r.pads[0][0]), int(r.pads[0][1])),
        adjoint=applied < spec.stride[0],
        admissible=admissible,
        alternatives=alternatives,
        spec=realised,
    )


def _display(route: SizeRoute, t: int) -> int | str | None:
    """A route's parameter value for ``t`` (fixed settings without the parameter name)."""
    v = route.value(t)
    if route.kind is RouteKind.FIXED and isinstance(v, str):
        text = v.split("=", 1)[1]
        return None if text == "None" else text
    return v


@overload
def output_padding_for(
    layer: ConvTranspose, input_size: int, target: int
) -> OutputPaddingChoice: ...
@overload
def output_padding_for(
    layer: ConvTranspose, input_size: tuple[int, ...], target: int | tuple[int, ...]
) -> tuple[OutputPaddingChoice, ...]: ...
def output_padding_for(layer: Any, input_size: Any, target: Any) -> Any:
    """The output padding (or the convention's equivalent) that yields ``target``, per axis.

    >>> from symconv import ConvTranspose
    >>> output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12).value
    1
    >>> [c.value for c in output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1),
    ...                                      (6, 6), (11, 12))]
    [0, 1]
    >>> ch = output_padding_for(ConvTranspose(kernel=3, stride=2, padding="SAME",
    ...                         convention="tensorflow", output_size=8), 4, 7)
    >>> ch.parameter, ch.value, ch.pads, ch.output_padding
    ('output_size', 7, (1, 1), 0)

    Raises
    ------
    InvalidSpecError
        When ``target`` is not admissible; the message lists the admissible sizes.
    """
    return _per_axis(output_padding_for_axis, layer, input_size, ("target", target))
