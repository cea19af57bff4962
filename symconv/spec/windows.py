"""The sliding-window specs: convolution, transposed convolution, max/average pooling and
max-unpooling, with the padding names each convention accepts and their construction rules.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any

from symconv._params import Int, fmt, is_int, padding_pairs, per_axis, scalar
from symconv.errors import InvalidSpecError
from symconv.spec._base import _AX, _check_bool, _infer_ndim, _show, _Spatial
from symconv.spec._enums import Convention, PaddingFill, PadMode, parse_enum
from symconv.spec.api_rules import api_rules, check_api, effective_api
from symconv.spec.apis import Api, parse_convention

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
    value: object, ndim: int | None, convention: Convention, api: Api | None = None,
    stride: tuple[Int, ...] = (), keff: tuple[Int, ...] = (),
) -> tuple[tuple[Int, Int], ...] | PadMode:
    if value is None:  # not given: the API's default (zeros under torch and onnx)
        if api is not None and api.default_padding is not None:
            return api.default_padding
        if convention in (Convention.TENSORFLOW, Convention.KERAS):
            return PadMode.VALID
        value = 0
    if isinstance(value, PadMode):
        return value
    if isinstance(value, str):
        if api is not None:
            return _api_padding_name(value, api, stride, keff, ndim)
        names = _MODE_NAMES[convention]
        key = value.lower()
        if key == "notset" and convention is Convention.ONNX:
            return padding_pairs("padding", 0, ndim or 1)
        if key not in names:
            allowed = ", ".join(repr(n) for n in names)
            raise InvalidSpecError(
                f"padding={fmt(_cut(value))} must be a number or one of {allowed} under "
                f"convention {convention.value}"
            )
        return names[key]
    return padding_pairs("padding", value, ndim or 1, negative=convention is Convention.JAX)


def _cut(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def _api_padding_name(
    value: str, api: Api, stride: tuple[Int, ...], keff: tuple[Int, ...], ndim: int | None,
) -> tuple[tuple[Int, Int], ...] | PadMode:
    """A padding name as ``api`` reads it: exactly as written where the framework is
    case-sensitive (``tf.nn``: ``'same'`` is an InvalidArgumentError); ``lax.conv_transpose``
    hands any other string to the forward convolution (see :func:`_lax_transpose_string`)."""
    key = value if api.case_sensitive else value.lower()
    if key in api.names:
        return api.names[key]
    if api.name == "flax.linen.Conv" and value in FLAX_PAD_NAMES:
        return _flax_conv_name(value, keff)
    if api.name == "flax.linen.ConvTranspose" and value == "CIRCULAR":
        return PadMode.CIRCULAR  # the periodic fold (sizes.shapes._flax_circular)
    if api.name in ("jax.lax.conv_transpose", "flax.linen.ConvTranspose") and (
            value.lower() in _MODE_NAMES[Convention.JAX]):
        return _lax_transpose_string(value, api, stride, keff, ndim)
    if api.convention is Convention.KERAS and key == "causal":
        _refuse_causal(value, api, ndim)
    allowed = ", ".join(repr(n) for n in api.names)
    how = "exactly as written" if api.case_sensitive else "in any case"
    hint = ""
    if api.case_sensitive and value.upper() in api.names:
        hint = f" ({api.name} refuses {fmt(value)}: write {value.upper()!r})"
    elif value.upper() in FLAX_PAD_NAMES and api.name == "flax.linen.Conv":
        how += f"; flax's own {', '.join(map(repr, FLAX_PAD_NAMES))} exactly as written"
        hint = f" (write {value.upper()!r})"
    elif value.upper() == "CIRCULAR" and "ConvTranspose" in api.kinds:
        hint = " (flax.linen.ConvTranspose takes 'CIRCULAR': name that API)"
    elif value.upper() in FLAX_PAD_NAMES and api.convention is Convention.JAX:
        hint = f" (flax.linen.Conv takes {value.upper()!r}: name that API)"
    raise InvalidSpecError(
        f"padding={fmt(_cut(value))} must be a number or one of {allowed} ({how}) for "
        f"{api.name} (convention {api.convention.value}){hint}"
    )


#: ``flax.linen.Conv``'s own padding names (exactly as written; lax reads the others).
#: ``'CIRCULAR'``/``'REFLECT'``: ``jnp.pad(mode='wrap'/'reflect')`` by ``((k_eff-1)//2,
#: k_eff//2)`` per axis, then a VALID convolution -- recorded as those pairs and
#: ``padding_mode``; ``'CAUSAL'`` (1-D): ``(k_eff-1, 0)`` zeros, Keras' ``'causal'``.
FLAX_PAD_NAMES: dict[str, PaddingFill | None] = {
    "CIRCULAR": PaddingFill.CIRCULAR, "REFLECT": PaddingFill.REFLECT, "CAUSAL": None,
}


def _flax_conv_name(value: str, keff: tuple[Int, ...]) -> tuple[tuple[Int, Int], ...] | PadMode:
    if value == "CAUSAL":
        return PadMode.CAUSAL
    return tuple(((ke - 1) // 2, ke // 2) for ke in keff)


def _causal_rank(spec: Any, ndim: int) -> str:
    """Causal padding is 1-D only: Keras ``Conv1D``, flax ``Conv`` (which raises otherwise)."""
    if spec.api == "flax.linen.Conv":
        return (f"padding='CAUSAL' must be used with 1-D convolutions for flax.linen.Conv, got "
                f"ndim={ndim} (flax: Causal padding is only implemented for 1D convolutions)")
    return f"padding='causal' must be used with 1-D convolutions (Keras Conv1D), got ndim={ndim}"


def _refuse_causal(value: str, api: Api, ndim: int | None) -> None:
    """Keras takes ``'causal'`` in Conv1D only: say so rather than list the other names."""
    layer = api.name.split(".")[-1]
    if "Conv" in api.kinds:
        raise InvalidSpecError(
            f"padding={fmt(value)} must be used with 1-D convolutions (Keras Conv1D), got "
            f"ndim={ndim}"
        )
    raise InvalidSpecError(
        f"padding={fmt(value)} must only be used with Conv (Keras Conv1D; {layer} takes 'valid' "
        "or 'same')"
    )


def _lax_transpose_string(
    value: str, api: Api, stride: tuple[Int, ...], keff: tuple[Int, ...], ndim: int | None,
) -> tuple[tuple[Int, Int], ...]:
    """``lax.conv_transpose`` reads only ``'SAME'`` and ``'VALID'`` itself; another string
    (``'same'``, ``'valid'``, ``'SAME_LOWER'``) goes to ``conv_general_dilated`` as the padding
    of the convolution over the zero-stretched input.  JAX refuses that at a stride > 1
    ("String padding is not implemented for transposed convolution"); at stride 1 it is the
    forward convolution's padding of the input: ``'valid'`` none, ``'same'`` ``d(k-1)`` split
    end-heavy, ``'same_lower'`` start-heavy -- returned here as lax's input-side pairs."""
    if any(s != 1 for s in stride):
        raise InvalidSpecError(
            f"padding={fmt(value)} must be 'SAME', 'VALID' or pairs for {api.name} at "
            f"stride={_show(stride, ndim)} (JAX reads only those two spellings itself and "
            "refuses other strings at a stride > 1: String padding is not implemented for "
            "transposed convolution using this op)"
        )
    key = value.lower()
    pairs = []
    for ke in keff:
        total = ke - 1
        if key == "valid":
            pairs.append((0, 0))
        elif key == "same":
            pairs.append((total // 2, total - total // 2))
        else:
            pairs.append((total - total // 2, total // 2))
    return tuple(pairs)


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
    agree with the others.  ``convention`` may name a framework API (``"tf.nn.conv2d"``):
    the convention is then its framework and ``api`` is set (:mod:`symconv.spec.apis`).
    """
    kind = type(self).__name__
    conv, api = parse_convention(self.convention, getattr(self, "api", None), kind)
    object.__setattr__(self, "convention", conv)
    if hasattr(self, "api"):
        object.__setattr__(self, "api", None if api is None else api.name)
    nd = _infer_ndim(
        self.ndim if api is None or api.ndim is None else self.ndim or api.ndim,
        kernel=kernel, stride=stride, dilation=dilation,
        padding=None if padding is None or isinstance(padding, str | PadMode) else padding,
        **extra,
    )
    if api is not None and api.ndim is not None and nd != api.ndim:
        raise InvalidSpecError(
            f"ndim={nd} must be {api.ndim} for {api.name} (it takes {api.ndim} spatial axes)"
        )
    axes = nd or 1
    k = per_axis("kernel", kernel, axes)
    rules = api_rules(self, conv, api, nd)
    if stride is None and stride_default_kernel:
        s = k if rules is None or rules.pool_stride_default == "kernel" else (1,) * axes
    else:
        s = per_axis("stride", stride, axes)
    d = per_axis("dilation", dilation, axes)
    object.__setattr__(self, "ndim", nd)
    object.__setattr__(self, "kernel", k)
    object.__setattr__(self, "stride", s)
    object.__setattr__(self, "dilation", d)
    keff = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True))
    object.__setattr__(self, "padding", _norm_padding(padding, nd, conv, rules, s, keff))
    if rules is not None:
        check_api(self, rules, nd)


@dataclass(frozen=True, slots=True, repr=False)
class Conv(_Spatial):
    """Convolution (cross-correlation, as in every DL framework).

    ``padding`` is an int, a per-axis tuple of ints or ``(before, after)`` pairs, or a name
    (``'same'``, ``'valid'``, ONNX ``'SAME_UPPER'``/``'SAME_LOWER'``, Keras ``'causal'``) that the
    convention resolves.  ``padding_mode`` (PyTorch) says what the padding contains.

    >>> Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow").padding
    <PadMode.SAME: 'same'>
    >>> Conv(kernel=3, stride=2, padding="same")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: padding='same' must be used with stride 1 under convention torch, got stride=2 (PyTorch: padding='same' is not supported for strided convolutions)
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=1, metadata=_AX)
    padding: Any = field(default=None, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    padding_mode: Any = PaddingFill.ZEROS
    convention: Any = Convention.TORCH
    api: str | None = None
    ndim: int | None = None

    def __post_init__(self) -> None:
        name = self.padding if isinstance(self.padding, str) else None
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=False)
        object.__setattr__(self, "padding_mode",
                           parse_enum("padding_mode", self.padding_mode, PaddingFill))
        _check_channels(self.groups, self.in_channels, self.out_channels)
        c = self.convention
        if self.api == "flax.linen.Conv":
            self._flax_fill(name)
        elif self.padding_mode is not PaddingFill.ZEROS and c is not Convention.TORCH:
            flax = (" (or for flax.linen.Conv, by padding='CIRCULAR' or 'REFLECT')"
                    if c is Convention.JAX else "")
            raise InvalidSpecError(
                f"padding_mode={self.padding_mode.value!r} is only available under convention "
                f"torch, not {c.value}{flax}"
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
            raise InvalidSpecError(_causal_rank(self, self.ndim))

    def _rank_rules(self, n: int) -> None:
        _rank_rules(self, n)

    def _padding_default(self) -> object:
        return _padding_default(self)

    def _flax_fill(self, name: str | None) -> None:
        """``flax.linen.Conv``: ``'CIRCULAR'``/``'REFLECT'`` set the fill of their pairs
        (``padding_mode``, which flax itself has no parameter for: pairs with a fill are what
        those names become, so a spec's repr builds it again)."""
        fill = FLAX_PAD_NAMES.get(name or "")
        if fill is not None:
            if self.padding_mode not in (PaddingFill.ZEROS, fill):
                raise InvalidSpecError(
                    f"padding_mode={self.padding_mode.value!r} must be {fill.value!r} or "
                    f"omitted with padding={fmt(name)} (flax.linen.Conv pads by {fill.value})"
                )
            object.__setattr__(self, "padding_mode", fill)
            return
        mode = self.padding_mode
        if mode is PaddingFill.REPLICATE:
            raise InvalidSpecError(
                "padding_mode='replicate' is not available for flax.linen.Conv (its fills are "
                "padding='CIRCULAR' and 'REFLECT')"
            )
        if mode is not PaddingFill.ZEROS and not (
                isinstance(self.padding, tuple)
                and all(v >= 0 for pair in self.padding for v in pair)):
            raise InvalidSpecError(
                f"padding_mode={mode.value!r} must come with non-negative (before, after) pairs "
                f"for flax.linen.Conv, got padding={fmt(self.padding)} (jnp.pad fills only "
                "added positions)"
            )


def _padding_default(spec: Any) -> object:
    """What ``padding=None`` normalises to for ``spec`` (its repr omits a padding equal to it)."""
    return _norm_padding(None, spec.ndim, spec.convention, effective_api(spec))


def _rank_rules(spec: Any, n: int) -> None:
    """The API rules an input's rank decides (the spec itself has no rank)."""
    api = effective_api(spec, n)
    if api is not None:
        check_api(spec, api, n)


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

    ``use_consistent_padding`` (init-only, ``jax.lax.conv_transpose``): read the pairs as the
    forward convolution's padding, as ``lax.conv_transpose(use_consistent_padding=True)`` and
    PyTorch do; the spec stores the equivalent pairs of lax's default reading
    (``k_eff - 1 - p`` per side), so the attribute itself always reads the class default
    ``False`` and :func:`dataclasses.replace` keeps the map.

    >>> ConvTranspose(kernel=2, stride=3, padding=((0, 3),), convention="jax",
    ...               use_consistent_padding=True).padding
    ((1, -2),)
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
    padding: Any = field(default=None, metadata=_AX)
    output_padding: Any = field(default=None, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    output_size: Any = field(default=None, metadata=_AX)
    convention: Any = Convention.TORCH
    api: str | None = None
    ndim: int | None = None
    transpose_kernel: bool = False
    use_consistent_padding: InitVar[bool] = False

    def __post_init__(self, use_consistent_padding: bool) -> None:
        op_in, size_in = self.output_padding, self.output_size
        _check_bool("use_consistent_padding", use_consistent_padding)
        consistent = bool(use_consistent_padding)
        name = self.padding if isinstance(self.padding, str) else None
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=False,
                      output_padding=op_in, output_size=size_in)
        if consistent:
            self._consistent_padding(name)
        self._transpose_kernel()
        c, axes = self.convention, self.ndim or 1
        _check_channels(self.groups, self.in_channels, self.out_channels)
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
                    instead = ("tf.nn's transposed convolutions take output_shape: give "
                               "output_size instead" if c is Convention.TENSORFLOW else
                               "lax.conv_transpose and flax.linen.ConvTranspose take none: give "
                               "explicit (low, high) padding pairs instead")
                    raise InvalidSpecError(
                        f"output_padding={_show(op, self.ndim)} must be 0 under convention "
                        f"{c.value} ({instead})"
                    )
            elif not (o < s or o < d):
                raise InvalidSpecError(
                    f"output_padding={_show(op, self.ndim)} must be smaller than "
                    f"stride={_show(self.stride, self.ndim)} or "
                    f"dilation={_show(self.dilation, self.ndim)}"
                )

    def _transpose_kernel(self) -> None:
        """JAX's ``transpose_kernel`` flips the kernel (symconv's taps are in PyTorch's
        orientation whatever the flag, as for every convention); it also places flax's
        ``'CIRCULAR'`` fold, which is why the spec records it."""
        _check_bool("transpose_kernel", self.transpose_kernel)
        api = effective_api(self)
        if self.transpose_kernel and (api is None or api.name not in (
                "jax.lax.conv_transpose", "flax.linen.ConvTranspose")):
            raise InvalidSpecError(
                "transpose_kernel=True is a parameter of jax.lax.conv_transpose and "
                "flax.linen.ConvTranspose only, not of "
                f"{api.name if api else 'convention ' + self.convention.value}"
            )

    def _consistent_padding(self, name: str | None) -> None:
        """``lax.conv_transpose(use_consistent_padding=True)``: pairs are the forward
        convolution's padding, as PyTorch reads them -- the transposed convolution pads its
        zero-stretched input by ``k_eff - 1 - p`` per side, stored here as those lax pairs
        (what the default reading takes), so the spec is the same map either way."""
        api = effective_api(self)
        if api is None or api.name != "jax.lax.conv_transpose":
            raise InvalidSpecError(
                f"use_consistent_padding=True is a parameter of jax.lax.conv_transpose only, "
                f"not of {api.name if api else 'convention ' + self.convention.value}"
            )
        if name is not None and name not in ("SAME", "VALID"):
            raise InvalidSpecError(
                f"padding={fmt(name)} must be 'SAME', 'VALID' or pairs with "
                "use_consistent_padding=True (JAX raises: Invalid padding mode)"
            )
        if isinstance(self.padding, tuple):
            keff = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True)]
            pairs = tuple((ke - 1 - b, ke - 1 - e)
                          for ke, (b, e) in zip(keff, self.padding, strict=True))
            object.__setattr__(self, "padding", pairs)

    def _rank_rules(self, n: int) -> None:
        _rank_rules(self, n)

    def _padding_default(self) -> object:
        return _padding_default(self)


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


@dataclass(frozen=True, slots=True, repr=False)
class MaxPool(_Spatial):
    """Max pooling; ``stride`` defaults to the kernel size; pads with -inf.

    >>> MaxPool(kernel=2).stride
    (2,)
    """

    kernel: Any = field(default=1, metadata=_AX)
    stride: Any = field(default=None, metadata=_AX)
    padding: Any = field(default=None, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    ceil_mode: bool = False
    convention: Any = Convention.TORCH
    api: str | None = None
    ndim: int | None = None

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=True)
        _check_bool("ceil_mode", self.ceil_mode)
        _check_pool_padding(self)

    def _rank_rules(self, n: int) -> None:
        _rank_rules(self, n)

    def _padding_default(self) -> object:
        return _padding_default(self)


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
    padding: Any = field(default=None, metadata=_AX)
    dilation: Any = field(default=1, metadata=_AX)
    ceil_mode: bool = False
    count_include_pad: bool | None = None
    convention: Any = Convention.TORCH
    api: str | None = None
    ndim: int | None = None

    def __post_init__(self) -> None:
        _setup_window(self, kernel=self.kernel, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, stride_default_kernel=True)
        _check_bool("ceil_mode", self.ceil_mode)
        c = self.convention
        # tf.nn.pool(pooling_type='AVG') with a dilation pads through space_to_batch: the
        # explicit pads are zeros that count in the divisor (checked against TF 2.21.0)
        counted = (self.api == "tf.nn.pool" and isinstance(self.padding, tuple)
                   and any(d != 1 for d in self.dilation))
        if self.count_include_pad is None:
            default = counted or c in (Convention.TORCH, Convention.JAX)
            object.__setattr__(self, "count_include_pad", default)
        _check_bool("count_include_pad", self.count_include_pad)
        if counted and not self.count_include_pad:
            raise InvalidSpecError(
                "count_include_pad=False is not available for tf.nn.pool(pooling_type='AVG') "
                "with explicit padding and a dilation (TensorFlow pads with zeros through "
                "space_to_batch and divides by the whole window)"
            )
        if self.count_include_pad and not counted and c in (Convention.TENSORFLOW,
                                                           Convention.KERAS):
            raise InvalidSpecError(
                f"count_include_pad=True is not available under convention {c.value} "
                "(TensorFlow and Keras never count padded positions)"
            )
        if any(d != 1 for d in self.dilation) and c is Convention.TORCH:
            raise InvalidSpecError(
                f"dilation={_show(self.dilation, self.ndim)} must be 1 for average pooling "
                f"under convention {c.value}"
            )
        _check_pool_padding(self)

    def _rank_rules(self, n: int) -> None:
        _rank_rules(self, n)

    def _padding_default(self) -> object:
        return _padding_default(self)


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
