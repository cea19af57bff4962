"""The sliding-window specs: convolution, transposed convolution, max/average pooling and
max-unpooling, with the padding names each convention accepts and their construction rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symconv._params import Int, fmt, is_int, padding_pairs, per_axis, scalar
from symconv.errors import InvalidSpecError
from symconv.spec._base import _AX, _check_bool, _infer_ndim, _show, _Spatial
from symconv.spec._enums import Convention, PaddingFill, PadMode, parse_enum

__all__ = ["AvgPool", "Conv", "ConvTranspose", "MaxPool", "MaxUnpool"]


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
        if c is Convention.KERAS and isinstance(self.padding, tuple) and all(
                p == (0, 0) for p in self.padding):
            # no padding given: Keras' Conv*Transpose default, padding='valid'
            object.__setattr__(self, "padding", PadMode.VALID)
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
