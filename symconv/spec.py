"""Layer specifications: frozen, validated value objects.

A spec describes one layer's hyper-parameters under one framework *convention*.  Construction
checks every rule that does not depend on the input size (positivity, ``output_padding`` limits,
pooling padding limits, ``'same'`` with stride > 1, ...) and raises
:class:`~symconv.errors.InvalidSpecError` naming the parameter, its value and the rule.
Rules that depend on the input (kernel larger than the padded input, output too small) are
checked by :mod:`symconv.shapes` when a size is given.

Per-axis parameters accept an int (broadcast to every spatial axis) or a tuple (one per axis).
If every per-axis parameter is an int, ``ndim`` stays ``None`` and the spec applies to inputs
of any dimensionality.

>>> Conv(kernel=3, stride=2, padding=1)
Conv(kernel=3, stride=2, padding=1)
>>> Conv(kernel=(3, 5), padding="same").ndim
2
>>> ConvTranspose(kernel=3, stride=2, output_padding=2)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: output_padding=2 must be smaller than stride=2 or dilation=1
>>> MaxPool(kernel=3, padding=2)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: padding=2 must be at most half the kernel size, kernel//2=1 (PyTorch: pad should be at most half of effective kernel size)
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from symconv._params import Int, fmt, is_int, padding_pairs, per_axis, scalar
from symconv.errors import InvalidSpecError

__all__ = [
    "CUBIC_A",
    "AvgPool",
    "Conv",
    "ConvTranspose",
    "Convention",
    "CoordinateMode",
    "Layer",
    "MaxPool",
    "MaxUnpool",
    "NearestMode",
    "PadMode",
    "PaddingFill",
    "PixelShuffle",
    "PixelUnshuffle",
    "Resize",
    "ResizeMode",
    "ShuffleOrder",
    "Slice",
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


class PaddingFill(enum.StrEnum):
    """What padded positions contain (PyTorch ``padding_mode``)."""

    ZEROS = "zeros"
    REFLECT = "reflect"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


class ResizeMode(enum.StrEnum):
    """Interpolation of a resize: nearest (PyTorch ``nearest``/``nearest-exact``), multilinear,
    or cubic (PyTorch ``bicubic``, ONNX ``cubic``: Keys' kernel with coefficient ``a``)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    LINEAR = "linear"
    CUBIC = "cubic"


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


# Which padding names each convention accepts (the spelling users type, case-insensitive).
_MODE_NAMES: dict[Convention, dict[str, PadMode]] = {
    Convention.TORCH: {"same": PadMode.SAME, "valid": PadMode.VALID},
    Convention.ONNX: {
        "same_upper": PadMode.SAME_UPPER,
        "same_lower": PadMode.SAME_LOWER,
        "valid": PadMode.VALID,
    },
    Convention.TENSORFLOW: {"same": PadMode.SAME, "valid": PadMode.VALID},
    Convention.KERAS: {"same": PadMode.SAME, "valid": PadMode.VALID, "causal": PadMode.CAUSAL},
    Convention.JAX: {"same": PadMode.SAME, "same_lower": PadMode.SAME_LOWER, "valid": PadMode.VALID},
}


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


def _infer_ndim(ndim: int | None, **params: object) -> int | None:
    """The spatial rank implied by tuple-valued parameters (they must agree).

    The first tuple-valued parameter (``ndim`` if given, else in the order passed: kernel
    first) sets the rank; a later one that disagrees is named in the error with its value.
    """
    ref: tuple[str, object, int] | None = None
    if ndim is not None:
        scalar("ndim", ndim, minimum=1)
        ref = ("ndim", ndim, int(ndim))
    for name, value in params.items():
        if isinstance(value, Sequence) and not isinstance(value, str):
            if ref is None:
                ref = (name, tuple(value), len(value))
            elif len(value) != ref[2]:
                raise InvalidSpecError(
                    f"{name}={fmt(tuple(value))} must have one entry per spatial axis "
                    f"({ref[2]}, as {ref[0]}={fmt(ref[1])})"
                )
    return ref[2] if ref is not None else None


def _norm_padding(
    value: object, ndim: int | None, convention: Convention
) -> tuple[tuple[Int, Int], ...] | PadMode:
    if isinstance(value, str | PadMode):
        names = _MODE_NAMES[convention]
        key = value.value if isinstance(value, PadMode) else value.lower()
        if key == "notset" and convention is Convention.ONNX:
            return padding_pairs("padding", 0, ndim or 1)
        if key not in names:
            allowed = ", ".join(repr(n) for n in names)
            raise InvalidSpecError(
                f"padding={fmt(value)} must be a number or one of {allowed} under convention "
                f"{convention.value}"
            )
        return names[key]
    return padding_pairs("padding", value, ndim or 1)


@dataclass(frozen=True, slots=True)
class _Spatial:
    """Shared fields and helpers of the layers that slide a window."""

    ndim: int | None

    def _axes(self, n: int) -> int:
        """Check a spatial rank against this spec and return it."""
        if self.ndim is not None and self.ndim != n:
            raise InvalidSpecError(
                f"input size rank={n} must equal the layer's ndim={self.ndim} "
                f"({type(self).__name__} was specified per axis for {self.ndim} spatial axes)"
            )
        return n

    def at(self, ndim: int) -> Any:
        """This spec with every per-axis parameter broadcast to ``ndim`` axes."""
        self._axes(ndim)
        if self.ndim == ndim:
            return self
        changes: dict[str, Any] = {"ndim": ndim}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("per_axis") and isinstance(value, tuple) and len(value) == 1:
                changes[f.name] = value * ndim
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name in ("ndim",) or not f.repr:
                continue
            value = getattr(self, f.name)
            if _is_default(value, f.default):
                continue
            parts.append(f"{f.name}={_show(value, self.ndim)}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _is_default(value: object, default: object) -> bool:
    """True when a normalised per-axis value is just the broadcast default."""
    if value == default:
        return True
    if isinstance(value, tuple) and value and not isinstance(default, tuple):
        return all(v == default or v == (default, default) for v in value)
    return False


def _show(value: object, ndim: int | None) -> str:
    """Compact repr: broadcast parameters shown as the int the user gave."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if ndim in (None, 1) and isinstance(value, tuple) and len(value) == 1:
        inner = value[0]
        if isinstance(inner, tuple) and len(inner) == 2 and inner[0] == inner[1]:
            return str(inner[0])
        return fmt(inner) if isinstance(inner, tuple) else repr(inner)
    if isinstance(value, tuple) and value and all(
        isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] for v in value
    ):
        return repr(tuple(v[0] for v in value))
    return repr(value)


_AX = {"per_axis": True}


def _setup_window(
    self: Any,
    *,
    kernel: object,
    stride: object,
    padding: object,
    dilation: object,
    stride_default_kernel: bool,
    **extra: object,
) -> None:
    """Normalise the window parameters shared by conv, transposed conv and pooling.

    ``extra`` are further per-axis parameters (output_padding, output_size) whose length must
    agree with the others.
    """
    conv = parse_enum("convention", self.convention, Convention)
    object.__setattr__(self, "convention", conv)
    nd = _infer_ndim(
        self.ndim, kernel=kernel, stride=stride, dilation=dilation,
        padding=None if isinstance(padding, str | PadMode) else padding, **extra,
    )
    axes = nd or 1
    k = per_axis("kernel", kernel, axes)
    s = k if (stride is None and stride_default_kernel) else per_axis("stride", stride, axes)
    object.__setattr__(self, "ndim", nd)
    object.__setattr__(self, "kernel", k)
    object.__setattr__(self, "stride", s)
    object.__setattr__(self, "dilation", per_axis("dilation", dilation, axes))
    object.__setattr__(self, "padding", _norm_padding(padding, nd, conv))


@dataclass(frozen=True, slots=True, repr=False)
class Conv(_Spatial):
    """Convolution (cross-correlation, as in every DL framework).

    ``padding`` is an int, a per-axis tuple of ints or ``(before, after)`` pairs, or a name
    (``'same'``, ``'valid'``, ONNX ``'SAME_UPPER'``/``'SAME_LOWER'``, Keras ``'causal'``) that the
    convention resolves.  ``padding_mode`` (PyTorch) says what the padding contains.

    >>> Conv(kernel=7, stride=2, padding="same", convention="tensorflow").padding
    <PadMode.SAME: 'same'>
    >>> Conv(kernel=3, stride=2, padding="same")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: padding='same' must be used with stride 1 under convention torch, got stride=2 (PyTorch: padding='same' is not supported for strided convolutions)
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=1, metadata=_AX)
    padding: Any = field(default=0, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    padding_mode: Any = PaddingFill.ZEROS
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=False)
        object.__setattr__(self, "padding_mode",
                           parse_enum("padding_mode", self.padding_mode, PaddingFill))
        _check_channels(self.groups, self.in_channels, self.out_channels)
        c = self.convention
        if self.padding_mode is not PaddingFill.ZEROS and c is not Convention.TORCH:
            raise InvalidSpecError(
                f"padding_mode={self.padding_mode.value!r} is only available under convention "
                f"torch, not {c.value}"
            )
        if self.padding is PadMode.SAME and c is Convention.TORCH and any(
            s != 1 for s in self.stride
        ):
            raise InvalidSpecError(
                f"padding='same' must be used with stride 1 under convention torch, got "
                f"stride={_show(self.stride, self.ndim)} (PyTorch: padding='same' is not "
                "supported for strided convolutions)"
            )
        if self.padding is PadMode.CAUSAL and self.ndim not in (None, 1):
            raise InvalidSpecError(
                f"padding='causal' must be used with 1-D convolutions (Keras Conv1D), got "
                f"ndim={self.ndim}"
            )
        _check_stride_dilation(self)
        if c is Convention.KERAS and isinstance(self.padding, tuple) and any(
            p != (0, 0) for p in self.padding
        ):
            raise InvalidSpecError(
                f"padding={_show(self.padding, self.ndim)} must be 'valid', 'same' or 'causal' "
                "under convention keras (numeric padding needs a ZeroPadding layer)"
            )


def _check_stride_dilation(spec: Any) -> None:
    """TensorFlow/Keras: a stride > 1 is incompatible with a dilation > 1 (tf.nn.convolution)."""
    c = spec.convention
    if c in (Convention.TENSORFLOW, Convention.KERAS) and any(
        s != 1 for s in spec.stride
    ) and any(d != 1 for d in spec.dilation):
        raise InvalidSpecError(
            f"stride={_show(spec.stride, spec.ndim)} must be 1 when "
            f"dilation={_show(spec.dilation, spec.ndim)} is not, under convention {c.value} "
            "(TensorFlow/Keras: any stride != 1 is incompatible with any dilation_rate != 1)"
        )


def _check_channels(groups: object, cin: object, cout: object) -> None:
    g = scalar("groups", groups, minimum=1)
    for name, value in (("in_channels", cin), ("out_channels", cout)):
        if value is None:
            continue
        c = scalar(name, value, minimum=1)
        if is_int(c) and is_int(g) and c % g:
            raise InvalidSpecError(f"groups={g} must divide {name}={c}")


@dataclass(frozen=True, slots=True, repr=False)
class ConvTranspose(_Spatial):
    """Transposed convolution (PyTorch ``ConvTransposeNd``, ONNX ``ConvTranspose``,
    TensorFlow ``conv2d_transpose``, Keras ``Conv2DTranspose``, JAX ``conv_transpose``).

    ``output_padding`` is added at the end of each axis; ``output_size`` is the requested size
    (PyTorch ``forward(output_size=)``, ONNX ``output_shape``, TensorFlow ``output_shape``, which
    TensorFlow requires).  ``output_padding=None`` (the default) is the convention's default:
    0, except under Keras where it means "infer the length" as Keras does.

    >>> ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)
    ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)
    >>> ConvTranspose(kernel=3, stride=1, dilation=2, output_padding=1).output_padding  # op < d
    (1,)
    >>> ConvTranspose(kernel=3, stride=1, dilation=2, output_padding=1, convention="keras",
    ...               padding="valid")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: output_padding=1 must be smaller than stride=1 under convention keras (Keras: strides must be greater than output padding)
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=1, metadata=_AX)
    padding: Any = field(default=0, metadata=_AX)
    output_padding: Any = field(default=None, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    output_size: Any = field(default=None, metadata=_AX)
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        op_in, size_in = self.output_padding, self.output_size
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=False,
                      output_padding=op_in, output_size=size_in)
        c, axes = self.convention, self.ndim or 1
        _check_channels(self.groups, self.in_channels, self.out_channels)
        _check_stride_dilation(self)
        if op_in is None and c is Convention.KERAS:
            op = None  # Keras infers the length (deconv_output_length with output_padding=None)
        else:
            op_in = 0 if op_in is None else op_in
            op = per_axis("output_padding", op_in, axes, minimum=0)
        object.__setattr__(self, "output_padding", op)
        if size_in is not None:
            object.__setattr__(self, "output_size", per_axis("output_size", size_in, axes))
        if c is Convention.TORCH and isinstance(self.padding, PadMode):
            raise InvalidSpecError(
                f"padding={self.padding.value!r} must be a number under convention torch "
                "(ConvTranspose takes no padding strings)"
            )
        if c in (Convention.KERAS, Convention.TENSORFLOW) and not isinstance(
            self.padding, PadMode
        ):
            raise InvalidSpecError(
                f"padding={_show(self.padding, self.ndim)} must be 'same' or 'valid' under "
                f"convention {c.value}"
            )
        if self.padding is PadMode.CAUSAL:
            raise InvalidSpecError(
                "padding='causal' must only be used with Conv (Keras Conv1DTranspose takes "
                "'valid' or 'same')"
            )
        if c is Convention.KERAS and self.output_size is not None:
            raise InvalidSpecError(
                f"output_size={_show(self.output_size, self.ndim)} is not a parameter under "
                "convention keras (Keras infers the length; give output_padding instead)"
            )
        if c is Convention.JAX and self.padding is PadMode.SAME_LOWER:
            raise InvalidSpecError(
                "padding='same_lower' must not be used with jax conv_transpose "
                "(it accepts 'SAME', 'VALID' or explicit pairs)"
            )
        if op is None:
            return
        if c is Convention.TORCH and self.output_size is not None:
            return  # PyTorch ignores output_padding when forward() gets output_size
        for o, s, d in zip(op, self.stride, self.dilation, strict=True):
            if c is Convention.KERAS:
                if not o < s:
                    raise InvalidSpecError(
                        f"output_padding={_show(op, self.ndim)} must be smaller than "
                        f"stride={_show(self.stride, self.ndim)} under convention keras "
                        "(Keras: strides must be greater than output padding)"
                    )
            elif c is Convention.ONNX:
                if not o < s:
                    raise InvalidSpecError(
                        f"output_padding={_show(op, self.ndim)} must be smaller than "
                        f"stride={_show(self.stride, self.ndim)} under convention onnx "
                        "(onnxruntime and the reference evaluator reject output_padding >= "
                        "stride even when it is smaller than the dilation)"
                    )
            elif c is Convention.JAX or c is Convention.TENSORFLOW:
                if o != 0:
                    raise InvalidSpecError(
                        f"output_padding={_show(op, self.ndim)} must be 0 under convention "
                        f"{c.value} (give output_size instead)"
                    )
            elif not (o < s or o < d):
                raise InvalidSpecError(
                    f"output_padding={_show(op, self.ndim)} must be smaller than "
                    f"stride={_show(self.stride, self.ndim)} or "
                    f"dilation={_show(self.dilation, self.ndim)}"
                )


def _check_pool_padding(spec: Any) -> None:
    """Per-convention limits on pooling padding."""
    c = spec.convention
    if spec.ceil_mode and c not in (Convention.TORCH, Convention.ONNX):
        raise InvalidSpecError(
            f"ceil_mode=True is only available under conventions torch and onnx, not {c.value}"
        )
    if (c is Convention.ONNX and spec.padding in (PadMode.SAME_UPPER, PadMode.SAME_LOWER)
            and any(d != 1 for d in spec.dilation)):
        raise InvalidSpecError(
            f"dilation={_show(spec.dilation, spec.ndim)} must be 1 with auto_pad "
            f"{spec.padding.value.upper()} for ONNX pooling: the spec, the reference evaluator "
            "and shape inference pad for the dilated kernel, onnxruntime for the undilated one, "
            "so the output size depends on the runtime (give explicit pads instead)"
        )
    if not isinstance(spec.padding, tuple):
        if spec.padding is PadMode.CAUSAL:
            raise InvalidSpecError("padding='causal' must only be used with Conv (Keras Conv1D)")
        if c is Convention.TORCH:
            raise InvalidSpecError(
                f"padding={spec.padding.value!r} must be a number under convention torch"
            )
        return
    for (b, e), k in zip(spec.padding, spec.kernel, strict=True):
        if c is Convention.TORCH and (b > k // 2 or e > k // 2):
            raise InvalidSpecError(
                f"padding={_show(spec.padding, spec.ndim)} must be at most half the kernel size, "
                f"kernel//2={_show(tuple(x // 2 for x in spec.kernel), spec.ndim)} (PyTorch: pad "
                "should be at most half of effective kernel size)"
            )
        if c is Convention.ONNX and (b >= k or e >= k):
            raise InvalidSpecError(
                f"padding={_show(spec.padding, spec.ndim)} must be smaller than "
                f"kernel={_show(spec.kernel, spec.ndim)} under convention onnx (onnxruntime: "
                "Pad should be smaller than kernel)"
            )
        if c in (Convention.TENSORFLOW, Convention.KERAS) and (b or e):
            raise InvalidSpecError(
                f"padding={_show(spec.padding, spec.ndim)} must be 'same' or 'valid' under "
                f"convention {c.value} (pooling takes no numeric padding)"
            )


@dataclass(frozen=True, slots=True, repr=False)
class MaxPool(_Spatial):
    """Max pooling; ``stride`` defaults to the kernel size; pads with -inf.

    >>> MaxPool(kernel=2).stride
    (2,)
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=None, metadata=_AX)
    padding: Any = field(default=0, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    ceil_mode: bool = False
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=True)
        _check_bool("ceil_mode", self.ceil_mode)
        _check_pool_padding(self)


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidSpecError(f"{name}={value!r} must be True or False")


@dataclass(frozen=True, slots=True, repr=False)
class AvgPool(_Spatial):
    """Average pooling.  ``count_include_pad=None`` takes the convention's default
    (PyTorch and JAX/flax: True; ONNX: False; TensorFlow/Keras: padding never counted).

    >>> AvgPool(kernel=3, stride=2, padding=1).count_include_pad
    True
    >>> AvgPool(kernel=3, convention="onnx").count_include_pad
    False
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=None, metadata=_AX)
    padding: Any = field(default=0, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    ceil_mode: bool = False
    count_include_pad: bool | None = None
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=True)
        _check_bool("ceil_mode", self.ceil_mode)
        c = self.convention
        if self.count_include_pad is None:
            default = c in (Convention.TORCH, Convention.JAX)
            object.__setattr__(self, "count_include_pad", default)
        _check_bool("count_include_pad", self.count_include_pad)
        if self.count_include_pad and c in (Convention.TENSORFLOW, Convention.KERAS):
            raise InvalidSpecError(
                f"count_include_pad=True is not available under convention {c.value} "
                "(TensorFlow never counts padded positions)"
            )
        if any(d != 1 for d in self.dilation) and c in (Convention.TORCH, Convention.KERAS):
            raise InvalidSpecError(
                f"dilation={_show(self.dilation, self.ndim)} must be 1 for average pooling "
                f"under convention {c.value}"
            )
        _check_pool_padding(self)


@dataclass(frozen=True, slots=True, repr=False)
class MaxUnpool(_Spatial):
    """Max-unpooling with the switches of a max pool (PyTorch ``MaxUnpoolNd``, ONNX ``MaxUnpool``).

    Output size ``(n - 1) s - p_b - p_e + k`` unless ``output_size`` is given (PyTorch: strictly
    within ``stride`` of that default).  Not available under TensorFlow, Keras or JAX.
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=None, metadata=_AX)
    padding: Any = field(default=0, metadata=_AX)
    output_size: Any = field(default=None, metadata=_AX)
    convention: Any = Convention.TORCH
    ndim: int | None = None
    dilation: Any = field(default=1, metadata=_AX, repr=False)

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=1, stride_default_kernel=True, output_size=self.output_size)
        if self.convention not in (Convention.TORCH, Convention.ONNX):
            raise InvalidSpecError(
                f"convention={self.convention.value!r} has no max-unpooling layer "
                "(only torch and onnx do)"
            )
        if not isinstance(self.padding, tuple):
            raise InvalidSpecError(f"padding={self.padding.value!r} must be a number for MaxUnpool")
        if self.convention is Convention.ONNX and any(
            b >= k or e >= k for (b, e), k in zip(self.padding, self.kernel, strict=True)
        ):
            raise InvalidSpecError(
                f"padding={_show(self.padding, self.ndim)} must be smaller than "
                f"kernel={_show(self.kernel, self.ndim)} under convention onnx (onnxruntime: "
                "Pad should be smaller than kernel)"
            )
        if self.output_size is not None:
            object.__setattr__(
                self, "output_size", per_axis("output_size", self.output_size, self.ndim or 1)
            )


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
                f"scale_factor={value!r} must be a positive number such as 2, 1.5 or 3/2"
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
                f"{name}={value!r} must be a number such as -0.75, '-0.6' or '-3/5'"
            ) from None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidSpecError(f"{name}={value!r} must be a finite number")
        if Fraction(value) != Fraction(repr(value)):
            raise InvalidSpecError(
                f"{name}={value!r} must be exact: this float is not the decimal it shows "
                f"(it is {Fraction(value)}); give the string {repr(value)!r} or a Fraction"
            )
    return Fraction(value)


@dataclass(frozen=True, slots=True, repr=False)
class Resize(_Spatial):
    """Resizing (PyTorch ``Upsample``/``interpolate``, ONNX ``Resize``).

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
    convention: Any = Convention.TORCH
    ndim: int | None = None

    def __post_init__(self) -> None:
        conv = parse_enum("convention", self.convention, Convention)
        object.__setattr__(self, "convention", conv)
        mode = parse_enum("mode", self.mode, ResizeMode)
        object.__setattr__(self, "mode", mode)
        sf, size = self.scale_factor, self.size
        nd = _infer_ndim(self.ndim, scale_factor=sf, size=size)
        object.__setattr__(self, "ndim", nd)
        self._check_cubic(mode, conv, nd)
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
            if mode is ResizeMode.NEAREST and conv is not Convention.ONNX:
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
        object.__setattr__(self, "coordinate_mode", cm)
        nm = self.nearest_mode
        if nm is None:
            if mode is ResizeMode.NEAREST_EXACT:
                nm = NearestMode.ROUND_PREFER_CEIL
            elif mode is ResizeMode.NEAREST:
                onnx = conv is Convention.ONNX
                nm = NearestMode.ROUND_PREFER_FLOOR if onnx else NearestMode.FLOOR
        else:
            nm = parse_enum("nearest_mode", nm, NearestMode)
            if mode in (ResizeMode.LINEAR, ResizeMode.CUBIC):
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
        if conv not in (Convention.TORCH, Convention.ONNX):
            raise InvalidSpecError(
                f"mode='cubic' must be used under convention torch or onnx, not {conv.value} "
                "(symconv models PyTorch bicubic and ONNX Resize cubic)"
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
    (:func:`symconv.shapes.slice_start`: ONNX clamps a negative-step start into ``[0, n -
    1]``, Python into ``[-1, n - 1]``) and the output size is ``max(0, ceil((end - start) /
    step))``; an empty output is rejected by :func:`symconv.shapes.resolve`.  ``channels``
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


Layer = (Conv | ConvTranspose | MaxPool | AvgPool | MaxUnpool | Resize | PixelShuffle
         | PixelUnshuffle | Slice)
