"""The specs that re-grid a tensor without a sliding window: resize, pixel shuffle/unshuffle
and strided slice, with the exact parsing of scale factors, cubic coefficients and slice bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from symconv._params import fmt, is_int, per_axis, scalar
from symconv.errors import InvalidSpecError
from symconv.spec._base import _AX, _check_bool, _infer_ndim, _Spatial
from symconv.spec._enums import (
    Convention,
    CoordinateMode,
    NearestMode,
    ResizeMode,
    ShuffleOrder,
    parse_enum,
)
from symconv.spec.apis import parse_convention

__all__ = ["CUBIC_A", "PixelShuffle", "PixelUnshuffle", "Resize", "Slice"]


def _norm_scale(value: object) -> int | Fraction | float:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float | str):
        raise InvalidSpecError(
            f"scale_factor={fmt(value)} must be a positive number (int, Fraction, float or "
            "a decimal string such as '1.5')"
        )
    if isinstance(value, str):
        try:
            value = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise InvalidSpecError(
                f"scale_factor={fmt(value)} must be a positive number such as 2, 1.5 or 3/2"
            ) from None
        if value.denominator == 1:
            value = value.numerator
    if (isinstance(value, float) and not value == value) or value <= 0 or value == float("inf"):
        raise InvalidSpecError(f"scale_factor={fmt(value)} must be a positive finite number")
    return value


#: Keys' cubic coefficient of PyTorch ``bicubic`` (fixed) and ONNX ``cubic_coeff_a`` (default).
CUBIC_A = Fraction(-3, 4)


def _norm_coeff(value: object) -> Fraction:
    """``cubic_coeff_a`` as an exact Fraction.

    A float is accepted only when its binary value is its short decimal (``-0.75``, ``-0.5``);
    ``-0.6`` is not (its value is -0.59999999999999997...), so the map would silently differ
    from the number typed: give ``'-0.6'`` or ``Fraction(-3, 5)`` instead.
    """
    name = "cubic_coeff_a"
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float | str):
        raise InvalidSpecError(
            f"{name}={fmt(value)} must be a number (int, Fraction, a short decimal float such "
            "as -0.75, or a string such as '-0.6' or '-3/5')"
        )
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise InvalidSpecError(
                f"{name}={fmt(value)} must be a number such as -0.75, '-0.6' or '-3/5'"
            ) from None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidSpecError(f"{name}={fmt(value)} must be a finite number")
        if Fraction(value) != Fraction(repr(value)):
            raise InvalidSpecError(
                f"{name}={fmt(value)} must be exact: this float is not the decimal it shows "
                f"(it is {Fraction(value)}); give the string {repr(value)!r} or a Fraction"
            )
    return Fraction(value)


@dataclass(frozen=True, slots=True, repr=False)
class Resize(_Spatial):
    """Resizing (PyTorch ``Upsample``/``interpolate``, ONNX ``Resize``, ``tf.image.resize``,
    Keras ``Resizing``/``UpSampling1D/2D/3D``, ``jax.image.resize``).

    Give ``scale_factor`` (output ``floor(n * scale)``) or ``size``.  ``coordinate_mode`` and
    ``nearest_mode`` default to what the convention does for the mode: PyTorch ``nearest`` is
    ``asymmetric`` with ``floor``, ``nearest-exact`` is ``half_pixel`` with
    ``round_prefer_ceil``, ``linear`` and ``cubic`` are ``half_pixel`` (``align_corners=True``
    -> ``align_corners``); ONNX ``nearest`` defaults to ``half_pixel`` with
    ``round_prefer_floor``.

    ``mode='cubic'`` is PyTorch ``bicubic`` (2 spatial axes only, ``a = -3/4`` fixed, taps
    clamped into the input) or ONNX ``cubic`` (any rank, ``cubic_coeff_a`` default -3/4, kept
    exact as a Fraction; ``exclude_outside=True`` gives taps outside the input weight 0 and
    renormalises the rest).

    Under ``tensorflow``, ``keras`` and ``jax`` (docs/CONVENTIONS.md, section 6): ``nearest``
    samples half-pixel centres (``half_pixel`` with ``round_prefer_ceil``: source
    ``floor((j + 1/2) n / o)``, in the framework's float32 arithmetic); ``cubic`` is Keys'
    kernel with ``a = -1/2`` whose taps outside the input are dropped and the rest renormalised
    (``cubic_coeff_a=-1/2``, ``exclude_outside=True``, set for you; TensorFlow's and Keras's
    ``bicubic`` read the kernel from a table of 1024 steps, as TensorFlow does); the coordinate
    ratio is ``n / o`` (the frameworks see sizes only).  The modes ``area``, ``lanczos3``,
    ``lanczos5`` (TensorFlow, Keras, JAX), ``gaussian`` and ``mitchellcubic`` (TensorFlow)
    exist only there.  ``antialias`` (None: the convention's default, True under jax only)
    widens the kernel by ``n / o`` when downscaling (``scale_and_translate``); it has no effect
    on ``nearest`` and ``area`` and is stored as None when it equals the default (the
    effective value is :attr:`antialiased`).  Under torch and onnx ``antialias=True`` is
    refused.

    >>> Resize(size=14, convention="tensorflow").coordinate_mode
    <CoordinateMode.HALF_PIXEL: 'half_pixel'>
    >>> Resize(size=4, mode="linear", convention="jax").antialiased
    True
    >>> Resize(size=5, mode="lanczos3", convention="torch")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: mode='lanczos3' must be used under convention tensorflow, keras or jax, not torch (PyTorch has no lanczos3 resize)

    >>> Resize(scale_factor=2, convention="onnx").nearest_mode
    <NearestMode.ROUND_PREFER_FLOOR: 'round_prefer_floor'>

    >>> Resize(scale_factor=2, mode="linear", align_corners=True).coordinate_mode
    <CoordinateMode.ALIGN_CORNERS: 'align_corners'>
    >>> Resize(scale_factor="1.5").scale_factor
    (Fraction(3, 2),)
    >>> Resize(scale_factor=2, mode="cubic", cubic_coeff_a="-0.5", convention="onnx")
    Resize(scale_factor=2, mode='cubic', coordinate_mode='half_pixel', cubic_coeff_a=Fraction(-1, 2), convention='onnx')
    >>> Resize(scale_factor=2, mode="cubic", cubic_coeff_a=-0.5)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: cubic_coeff_a=-1/2 must be -3/4 under convention torch (PyTorch bicubic fixes A = -0.75)
    """

    scale_factor: Any = field(default=None, metadata=_AX)
    size: Any = field(default=None, metadata=_AX)
    mode: Any = ResizeMode.NEAREST
    coordinate_mode: Any = None
    align_corners: bool | None = None
    nearest_mode: Any = None
    cubic_coeff_a: Any = CUBIC_A
    exclude_outside: bool = False
    antialias: bool | None = None
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        # a resize API (tf.image.resize, keras.layers.Resizing, jax.image.resize) names its
        # framework: each framework resizes one way, so the convention is all the spec keeps
        conv, _api = parse_convention(self.convention, None, "Resize")
        object.__setattr__(self, "convention", conv)
        mode = parse_enum("mode", self.mode, ResizeMode)
        object.__setattr__(self, "mode", mode)
        _check_mode(mode, conv)
        sf, size = self.scale_factor, self.size
        nd = _infer_ndim(self.ndim, scale_factor=sf, size=size)
        object.__setattr__(self, "ndim", nd)
        self._check_cubic(mode, conv, nd)
        self._check_antialias(mode, conv)
        if (sf is None) == (size is None):
            raise InvalidSpecError(
                f"scale_factor={fmt(sf)} and size={fmt(size)}: exactly one must be given"
            )
        axes = nd or 1
        if sf is not None:
            items = tuple(sf) if isinstance(sf, Sequence) and not isinstance(sf, str) else (sf,)
            scales = tuple(_norm_scale(v) for v in items)
            object.__setattr__(self, "scale_factor", scales * (axes // len(scales)))
        else:
            object.__setattr__(self, "size", per_axis("size", size, axes))
        ac = self.align_corners
        if ac is not None:
            _check_bool("align_corners", ac)
            if mode not in (ResizeMode.LINEAR, ResizeMode.CUBIC):
                raise InvalidSpecError(
                    f"align_corners={ac} must only be set for linear modes, not mode={mode.value!r}"
                )
        cm = self.coordinate_mode
        if cm is None:
            if mode is ResizeMode.NEAREST and conv not in (Convention.ONNX, *_TF_JAX):
                cm = CoordinateMode.ASYMMETRIC
            elif ac:
                cm = CoordinateMode.ALIGN_CORNERS
            else:
                cm = CoordinateMode.HALF_PIXEL
        else:
            cm = parse_enum("coordinate_mode", cm, CoordinateMode)
            if ac is not None and (ac != (cm is CoordinateMode.ALIGN_CORNERS)):
                raise InvalidSpecError(
                    f"align_corners={ac} contradicts coordinate_mode={cm.value!r}"
                )
        if cm is not CoordinateMode.HALF_PIXEL and (mode in _KERNEL_MODES or self.antialiased):
            what = f"mode={mode.value!r}" if mode in _KERNEL_MODES else "antialias=True"
            raise InvalidSpecError(
                f"coordinate_mode={cm.value!r} must be half_pixel with {what} (the frameworks' "
                "scale_and_translate samples pixel centres)"
            )
        object.__setattr__(self, "coordinate_mode", cm)
        nm = self.nearest_mode
        if nm is None:
            if mode is ResizeMode.NEAREST_EXACT or (
                    mode is ResizeMode.NEAREST and conv in _TF_JAX):
                nm = NearestMode.ROUND_PREFER_CEIL
            elif mode is ResizeMode.NEAREST:
                onnx = conv is Convention.ONNX
                nm = NearestMode.ROUND_PREFER_FLOOR if onnx else NearestMode.FLOOR
        else:
            nm = parse_enum("nearest_mode", nm, NearestMode)
            if mode not in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT):
                raise InvalidSpecError(
                    f"nearest_mode={nm.value!r} must only be set for nearest modes, not "
                    f"mode={mode.value!r}"
                )
        object.__setattr__(self, "nearest_mode", nm)

    def _check_cubic(self, mode: ResizeMode, conv: Convention, nd: int | None) -> None:
        """Normalise ``cubic_coeff_a`` / ``exclude_outside`` and apply the cubic-only rules."""
        a = _norm_coeff(self.cubic_coeff_a)
        object.__setattr__(self, "cubic_coeff_a", a)
        _check_bool("exclude_outside", self.exclude_outside)
        if mode is not ResizeMode.CUBIC:
            for name, value, default in (("cubic_coeff_a", a, CUBIC_A),
                                         ("exclude_outside", self.exclude_outside, False)):
                if value != default:
                    raise InvalidSpecError(
                        f"{name}={fmt(value)} must only be set for mode='cubic', not "
                        f"mode={mode.value!r}"
                    )
            return
        if conv in _TF_JAX:
            # Keys' kernel with a = -1/2, outside taps dropped: the defaults are replaced
            if a == CUBIC_A and not self.exclude_outside:
                a = Fraction(-1, 2)
                object.__setattr__(self, "cubic_coeff_a", a)
                object.__setattr__(self, "exclude_outside", True)
            if a != Fraction(-1, 2) or not self.exclude_outside:
                raise InvalidSpecError(
                    f"cubic_coeff_a={fmt(a)} with exclude_outside={self.exclude_outside} must "
                    f"be -1/2 with exclude_outside=True under convention {conv.value} "
                    f"({_API[conv]} fixes Keys' a = -0.5 and drops outside taps)"
                )
        if conv is Convention.TORCH:
            if a != CUBIC_A:
                raise InvalidSpecError(
                    f"cubic_coeff_a={fmt(a)} must be -3/4 under convention torch (PyTorch "
                    "bicubic fixes A = -0.75)"
                )
            if self.exclude_outside:
                raise InvalidSpecError(
                    "exclude_outside=True must only be used under convention onnx (PyTorch "
                    "bicubic clamps the taps into the input)"
                )
            if nd is not None and nd != 2:
                raise InvalidSpecError(
                    f"ndim={nd} must be 2 for mode='cubic' under convention torch (PyTorch has "
                    "bicubic for 4-D input (N, C, H, W) only)"
                )

    def _check_antialias(self, mode: ResizeMode, conv: Convention) -> None:
        """Normalise ``antialias``: None when it is the convention's default or has no effect."""
        aa = self.antialias
        if aa is not None:
            _check_bool("antialias", aa)
            if aa and conv not in _TF_JAX:
                raise InvalidSpecError(
                    f"antialias=True must be False under convention {conv.value} (symconv "
                    f"does not model {_API[conv]}'s antialiasing)"
                )
        if mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT, ResizeMode.AREA) or (
                aa is not None and aa == (conv is Convention.JAX)):
            aa = None
        object.__setattr__(self, "antialias", aa)

    @property
    def antialiased(self) -> bool:
        """Whether the kernel is widened when downscaling (``antialias`` or its default)."""
        if self.mode in (ResizeMode.NEAREST, ResizeMode.NEAREST_EXACT, ResizeMode.AREA):
            return False
        if self.antialias is None:
            return self.convention is Convention.JAX
        return bool(self.antialias)


_TF_JAX = (Convention.TENSORFLOW, Convention.KERAS, Convention.JAX)
_API = {Convention.TORCH: "PyTorch", Convention.ONNX: "ONNX Resize",
        Convention.TENSORFLOW: "tf.image.resize", Convention.KERAS: "Keras",
        Convention.JAX: "jax.image.resize"}
#: Modes that exist only as scale_and_translate kernels (or TF's area op).
_KERNEL_MODES = (ResizeMode.AREA, ResizeMode.LANCZOS3, ResizeMode.LANCZOS5,
                 ResizeMode.GAUSSIAN, ResizeMode.MITCHELLCUBIC)
#: The conventions that have each of them.
_MODE_CONVENTIONS = {
    ResizeMode.AREA: _TF_JAX, ResizeMode.LANCZOS3: _TF_JAX, ResizeMode.LANCZOS5: _TF_JAX,
    ResizeMode.GAUSSIAN: (Convention.TENSORFLOW,),
    ResizeMode.MITCHELLCUBIC: (Convention.TENSORFLOW,),
}


def _check_mode(mode: ResizeMode, conv: Convention) -> None:
    allowed = _MODE_CONVENTIONS.get(mode)
    if allowed is not None and conv not in allowed:
        names = " or ".join(c.value for c in allowed) if len(allowed) < 3 else \
            "tensorflow, keras or jax"
        raise InvalidSpecError(
            f"mode={mode.value!r} must be used under convention {names}, not {conv.value} "
            f"({_API[conv]} has no {mode.value} resize)"
        )


@dataclass(frozen=True, slots=True, repr=False)
class PixelShuffle(_Spatial):
    """Pixel shuffle (PyTorch ``PixelShuffle`` = ONNX ``DepthToSpace`` CRD; ``order='DCR'`` is
    ONNX's default channel order): ``(C r^D, n...) -> (C, r n...)``."""

    factor: int = 1
    order: Any = ShuffleOrder.CRD
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "convention", parse_enum("convention", self.convention, Convention))
        scalar("factor", self.factor, minimum=1)
        object.__setattr__(self, "order", parse_enum("order", self.order, ShuffleOrder))
        object.__setattr__(self, "ndim", _infer_ndim(self.ndim))  # 1 to MAX_NDIM, or None


@dataclass(frozen=True, slots=True, repr=False)
class PixelUnshuffle(_Spatial):
    """Pixel unshuffle (PyTorch ``PixelUnshuffle`` = ONNX ``SpaceToDepth`` up to channel order):
    ``(C, r n...) -> (C r^D, n...)``; every spatial size must be divisible by ``r``."""

    factor: int = 1
    order: Any = ShuffleOrder.CRD
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "convention", parse_enum("convention", self.convention, Convention))
        scalar("factor", self.factor, minimum=1)
        object.__setattr__(self, "order", parse_enum("order", self.order, ShuffleOrder))
        object.__setattr__(self, "ndim", _infer_ndim(self.ndim))  # 1 to MAX_NDIM, or None


def _slice_bound(name: str, value: object, axes: int, *, optional: bool) -> tuple[Any, ...]:
    """One int (or ``None`` for ``end``) per axis, any sign."""
    items = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) \
        else (value,) * axes
    if len(items) != axes:
        raise InvalidSpecError(f"{name}={fmt(items)} must have one entry per spatial axis ({axes})")
    out: list[Any] = []
    for v in items:
        if v is None and optional:
            out.append(None)
            continue
        if isinstance(v, bool) or not is_int(v):
            rule = "an integer or None" if optional else "an integer"
            raise InvalidSpecError(f"{name}={fmt(value)} must be {rule} per axis")
        out.append(int(v))  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True, slots=True, repr=False)
class Slice(_Spatial):
    """A strided crop: ``x[start:end:step]`` on every spatial axis (ONNX ``Slice``; other
    conventions: Python/NumPy slicing).

    ``start``/``end`` may be negative (counted from the end, ``n + v``); ``end=None`` runs
    through the end (``step > 0``) or the beginning (``step < 0``).  They are then clamped
    (:func:`symconv.sizes.shapes.slice_start`: ONNX clamps a negative-step start into ``[0, n -
    1]``, Python into ``[-1, n - 1]``) and the output size is ``max(0, ceil((end - start) /
    step))``; an empty output is rejected by :func:`symconv.sizes.shapes.resolve`.  ``channels``
    is an optional ``(start, end, step)`` slice of the channel axis (it changes the channel
    count, not the sizes).

    >>> Slice(start=1, end=-1)
    Slice(start=1, end=-1)
    >>> Slice(start=(0, -1), end=(None, None), step=(2, -1)).ndim
    2
    >>> Slice(step=0)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: step=0 must be a non-zero integer (ONNX Slice: steps cannot be 0)
    """

    start: Any = field(default=0, metadata=_AX)
    end: Any = field(default=None, metadata=_AX)
    step: Any = field(default=1, metadata=_AX)
    channels: tuple[int, int | None, int] | None = None
    convention: Any = Convention.ONNX
    ndim: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "convention", parse_enum("convention", self.convention, Convention))
        nd = _infer_ndim(self.ndim, start=self.start, end=self.end, step=self.step)
        object.__setattr__(self, "ndim", nd)
        axes = nd or 1
        object.__setattr__(self, "start", _slice_bound("start", self.start, axes, optional=False))
        object.__setattr__(self, "end", _slice_bound("end", self.end, axes, optional=True))
        steps = _slice_bound("step", self.step, axes, optional=False)
        if 0 in steps:
            raise InvalidSpecError(f"step={fmt(self.step)} must be a non-zero integer (ONNX "
                                   "Slice: steps cannot be 0)")
        object.__setattr__(self, "step", steps)
        ch = self.channels
        if ch is not None:
            if not isinstance(ch, tuple) or len(ch) != 3:
                raise InvalidSpecError(f"channels={fmt(ch)} must be (start, end, step) or None")
            cs = _slice_bound("channels", ch, 3, optional=True)
            if cs[0] is None or cs[2] is None or cs[2] == 0:
                raise InvalidSpecError(f"channels={fmt(ch)} must have an integer start and a "
                                       "non-zero step")
            object.__setattr__(self, "channels", cs)
