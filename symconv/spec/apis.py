"""Framework APIs: the functions and layer classes whose rules a spec follows.

A *convention* is a framework (``torch``, ``onnx``, ``tensorflow``, ``keras``, ``jax``); an
*API* is one function or layer class of it.  Where one framework's APIs disagree --
``tf.nn.conv2d`` runs a stride together with a dilation and takes explicit pads,
``tf.nn.convolution`` refuses both; ``flax.linen.Conv`` defaults to ``'SAME'`` where
``jax.lax.conv_general_dilated`` needs a padding; ``tf.nn.pool`` and flax's pools default
their strides to 1 where Keras defaults them to the window -- a spec names the API it
describes, and every rule below says which APIs it belongs to.

Give the API as the convention (``convention="tf.nn.conv2d"``: the convention becomes
``tensorflow`` and the spec's ``api`` is set) or as ``api=`` next to the convention.  Without an
API a spec follows its convention's default API for the layer (:data:`DEFAULT_API`):
``tf.nn.convolution``, ``tf.nn.conv_transpose``, ``tf.nn.max_pool``, ``tf.nn.avg_pool`` under
``tensorflow``; the Keras layers under ``keras``; ``jax.lax.conv_general_dilated``,
``jax.lax.conv_transpose`` and flax's ``max_pool``/``avg_pool`` under ``jax``.

Checked against TensorFlow 2.21.0 (CPU), Keras 3.15.1, JAX 0.10.2 and flax 0.12.8
(``tests/test_tf_jax_conventions.py``, ``tests/test_tf_jax_edges.py``, ``tests/test_spec_rules.py``).

>>> api_named("tensorflow.nn.conv2d").name
'tf.nn.conv2d'
>>> [a.name for a in apis_of("tensorflow", "MaxPool")]
['tf.nn.max_pool', 'tf.nn.max_pool1d', 'tf.nn.max_pool2d', 'tf.nn.max_pool3d', 'tf.nn.pool']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from symconv._params import fmt
from symconv.errors import InvalidSpecError
from symconv.spec._enums import Convention, PadMode

__all__ = ["API_NAMES", "DEFAULT_API", "Api", "api_named", "apis_of", "default_api",
           "parse_convention"]

_TF_NAMES = MappingProxyType({"SAME": PadMode.SAME, "VALID": PadMode.VALID})
_KERAS = MappingProxyType({"same": PadMode.SAME, "valid": PadMode.VALID})
_KERAS_1D = MappingProxyType({"same": PadMode.SAME, "valid": PadMode.VALID,
                              "causal": PadMode.CAUSAL})
_LAX = MappingProxyType({"same": PadMode.SAME, "same_lower": PadMode.SAME_LOWER,
                         "valid": PadMode.VALID})

_TF_EXPLICIT = ("TypeError: Expected string for argument 'padding'")


@dataclass(frozen=True)
class Api:
    """One framework function or layer class and the rules symconv applies for it.

    ``names``: the padding spellings it takes (exactly as written when ``case_sensitive``);
    ``explicit``: the spatial ranks at which it takes explicit ``(before, after)`` pads
    (``None``: every rank), ``explicit_error`` what the framework says otherwise,
    ``explicit_needs_dilation``: only with a dilation > 1 (``tf.nn.convolution``);
    ``stride_with_dilation``: a stride > 1 together with a dilation > 1 is allowed;
    ``dilation``: it has a dilation parameter at all; ``pool_stride_default``: ``"kernel"`` or
    ``"one"``; ``default_padding``: the padding when none is given (``None``: zeros);
    ``same_with_dilation``, ``stride_above_window``: ``tf.nn.pool``'s restrictions;
    ``pad_below_window``: explicit pooling pads must be smaller than the window.
    """

    name: str
    convention: Convention
    kinds: tuple[str, ...]
    ndim: int | None = None
    names: Mapping[str, PadMode] = field(default_factory=lambda: _TF_NAMES)
    case_sensitive: bool = False
    explicit: frozenset[int] | None = None
    explicit_error: str = ""
    explicit_needs_dilation: bool = False
    stride_with_dilation: bool = True
    dilation: bool = True
    pool_stride_default: str = "kernel"
    default_padding: PadMode | None = None
    same_with_dilation: bool = True
    stride_above_window: bool = True
    pad_below_window: bool = False

    def __str__(self) -> str:
        return self.name


def _tf(name: str, kinds: tuple[str, ...], ndim: int | None = None, **kw: object) -> Api:
    kw.setdefault("explicit", frozenset())
    kw.setdefault("explicit_error", _TF_EXPLICIT)
    # padding defaults: 'SAME' in the transposed convolutions, 'VALID' in tf.nn.convolution
    # and tf.nn.pool; the others require it (symconv reads an omitted one as 'VALID')
    kw.setdefault("default_padding", PadMode.SAME if "ConvTranspose" in kinds else PadMode.VALID)
    return Api(name, Convention.TENSORFLOW, kinds, ndim, names=_TF_NAMES, case_sensitive=True,
               **kw)  # type: ignore[arg-type]


def _keras(name: str, kinds: tuple[str, ...], ndim: int, **kw: object) -> Api:
    names = _KERAS_1D if name == "keras.layers.Conv1D" else _KERAS
    return Api(name, Convention.KERAS, kinds, ndim, names=names, explicit=frozenset(),
               explicit_error="ValueError: The `padding` argument must be a string",
               default_padding=PadMode.VALID, **kw)  # type: ignore[arg-type]


_ALL: tuple[Api, ...] = (
    # ---- TensorFlow (tf.nn): 'SAME'/'VALID' exactly as written
    _tf("tf.nn.conv1d", ("Conv",), 1),
    _tf("tf.nn.conv2d", ("Conv",), 2, explicit=None),
    _tf("tf.nn.conv3d", ("Conv",), 3),
    # explicit pads only through its dilated path (space_to_batch), 2-D only
    _tf("tf.nn.convolution", ("Conv",), stride_with_dilation=False, explicit=frozenset({2}),
        explicit_needs_dilation=True),
    _tf("tf.nn.conv1d_transpose", ("ConvTranspose",), 1),
    _tf("tf.nn.conv2d_transpose", ("ConvTranspose",), 2, explicit=None),
    _tf("tf.nn.conv3d_transpose", ("ConvTranspose",), 3),
    _tf("tf.nn.conv_transpose", ("ConvTranspose",), explicit=frozenset({2})),
    _tf("tf.nn.max_pool", ("MaxPool",), explicit=frozenset({1, 2}), pad_below_window=True,
        dilation=False,
        explicit_error="ValueError: Explicit padding is not supported with an input tensor of "
                       "rank 5"),
    _tf("tf.nn.max_pool1d", ("MaxPool",), 1, explicit=None, pad_below_window=True,
        dilation=False),
    _tf("tf.nn.max_pool2d", ("MaxPool",), 2, explicit=None, pad_below_window=True,
        dilation=False),
    _tf("tf.nn.max_pool3d", ("MaxPool",), 3, dilation=False),
    _tf("tf.nn.avg_pool", ("AvgPool",), dilation=False),
    _tf("tf.nn.avg_pool1d", ("AvgPool",), 1, dilation=False),
    _tf("tf.nn.avg_pool2d", ("AvgPool",), 2, dilation=False),
    _tf("tf.nn.avg_pool3d", ("AvgPool",), 3, dilation=False),
    _tf("tf.nn.pool", ("MaxPool", "AvgPool"), explicit=frozenset({2}),
        stride_with_dilation=False, pool_stride_default="one", same_with_dilation=False,
        stride_above_window=False, pad_below_window=True,
        explicit_error="ValueError: When padding is a list, it must be of size 4"),
    Api("tf.image.resize", Convention.TENSORFLOW, ("Resize",)),
    # ---- Keras 3 layers (case-insensitive names, no numeric padding)
    *(_keras(f"keras.layers.Conv{d}D", ("Conv",), d, stride_with_dilation=False)
      for d in (1, 2, 3)),
    *(_keras(f"keras.layers.Conv{d}DTranspose", ("ConvTranspose",), d,
             stride_with_dilation=False) for d in (1, 2, 3)),
    *(_keras(f"keras.layers.MaxPooling{d}D", ("MaxPool",), d, dilation=False)
      for d in (1, 2, 3)),
    *(_keras(f"keras.layers.AveragePooling{d}D", ("AvgPool",), d, dilation=False)
      for d in (1, 2, 3)),
    *(Api(f"keras.layers.UpSampling{d}D", Convention.KERAS, ("Resize",), d) for d in (1, 2, 3)),
    Api("keras.layers.Resizing", Convention.KERAS, ("Resize",), 2),
    # ---- JAX (lax reads names case-insensitively; conv_transpose only 'SAME'/'VALID' itself)
    Api("jax.lax.conv_general_dilated", Convention.JAX, ("Conv",), names=_LAX),
    Api("jax.lax.conv_transpose", Convention.JAX, ("ConvTranspose",), names=_TF_NAMES,
        case_sensitive=True),
    Api("jax.lax.reduce_window", Convention.JAX, ("MaxPool", "AvgPool"), names=_LAX,
        pool_stride_default="one"),
    Api("jax.image.resize", Convention.JAX, ("Resize",)),
    Api("flax.linen.Conv", Convention.JAX, ("Conv",), names=_LAX, default_padding=PadMode.SAME),
    Api("flax.linen.ConvTranspose", Convention.JAX, ("ConvTranspose",), names=_TF_NAMES,
        case_sensitive=True, default_padding=PadMode.SAME),
    Api("flax.linen.max_pool", Convention.JAX, ("MaxPool",), names=_LAX,
        pool_stride_default="one", default_padding=PadMode.VALID, dilation=False),
    Api("flax.linen.avg_pool", Convention.JAX, ("AvgPool",), names=_LAX,
        pool_stride_default="one", default_padding=PadMode.VALID, dilation=False),
)

#: Every API by its canonical name.
API_NAMES: Mapping[str, Api] = MappingProxyType({a.name: a for a in _ALL})

#: The API a spec follows when it names none: ``{(convention, layer kind): API name}``.
DEFAULT_API: Mapping[tuple[Convention, str], str] = MappingProxyType({
    (Convention.TENSORFLOW, "Conv"): "tf.nn.convolution",
    (Convention.TENSORFLOW, "ConvTranspose"): "tf.nn.conv_transpose",
    (Convention.TENSORFLOW, "MaxPool"): "tf.nn.max_pool",
    (Convention.TENSORFLOW, "AvgPool"): "tf.nn.avg_pool",
    (Convention.TENSORFLOW, "Resize"): "tf.image.resize",
    (Convention.JAX, "Conv"): "jax.lax.conv_general_dilated",
    (Convention.JAX, "ConvTranspose"): "jax.lax.conv_transpose",
    (Convention.JAX, "MaxPool"): "flax.linen.max_pool",
    (Convention.JAX, "AvgPool"): "flax.linen.avg_pool",
    (Convention.JAX, "Resize"): "jax.image.resize",
})

#: Spellings of a module prefix a user may type, and the canonical one.
_PREFIXES = (("tensorflow.keras.layers.", "keras.layers."), ("tf.keras.layers.", "keras.layers."),
             ("keras.src.layers.", "keras.layers."), ("tensorflow.", "tf."),
             ("lax.", "jax.lax."), ("linen.", "flax.linen."), ("nn.", "flax.linen."))


def api_named(text: str) -> Api | None:
    """The API ``text`` names (``tf.nn.conv2d``, ``tensorflow.nn.conv2d``,
    ``keras.layers.Conv2D``/``keras.Conv2D``, ``lax.conv_transpose``, ``flax.linen.Conv``/
    ``nn.Conv``), or ``None``."""
    name = text.strip()
    for short, canonical in _PREFIXES:
        if name.startswith(short):
            name = canonical + name[len(short):]
            break
    if name.startswith("keras.") and not name.startswith("keras.layers."):
        name = "keras.layers." + name[len("keras."):]
    return API_NAMES.get(name)


def apis_of(convention: Convention | str, kind: str) -> list[Api]:
    """The APIs of ``convention`` that describe layer ``kind`` (a spec class name), by name."""
    conv = Convention(convention)
    return sorted((a for a in _ALL if a.convention is conv and kind in a.kinds),
                  key=lambda a: a.name)


def default_api(convention: Convention, kind: str) -> Api | None:
    """The API a spec of ``kind`` follows under ``convention`` when it names none."""
    if convention is Convention.KERAS:
        return None  # one Keras layer per kind and rank: :func:`api_for` picks it by rank
    name = DEFAULT_API.get((convention, kind))
    return None if name is None else API_NAMES[name]


def parse_convention(value: object, api: object, kind: str) -> tuple[Convention, Api | None]:
    """``(convention, api)`` from a spec's ``convention=`` and ``api=`` arguments.

    ``convention`` may name an API (``"tf.nn.conv2d"``); ``api`` must then be absent or the
    same.  The API must belong to the convention and describe ``kind``.
    """
    named = api_named(value) if isinstance(value, str) else None
    if named is not None:
        conv = named.convention
        if api is not None and _lookup(api) is not named:
            raise InvalidSpecError(f"api={fmt(api)} contradicts convention={fmt(value)}")
        chosen: Api | None = named
    else:
        from symconv.spec._enums import parse_enum

        try:
            conv = parse_enum("convention", value, Convention)
        except InvalidSpecError:
            raise InvalidSpecError(
                f"convention={fmt(_cut(value))} must be one of "
                f"{', '.join(c.value for c in Convention)} or a framework API such as "
                "tf.nn.conv2d, keras.layers.Conv2D, jax.lax.conv_transpose, flax.linen.Conv "
                "(docs/CONVENTIONS.md lists them)"
            ) from None
        chosen = None if api is None else _lookup(api)
        if chosen is not None and conv is Convention.TORCH and value is Convention.TORCH:
            conv = chosen.convention  # api= alone: its framework
    if chosen is None:
        return conv, None
    if chosen.convention is not conv:
        raise InvalidSpecError(
            f"api={chosen.name!r} must belong to convention {conv.value} (it is a "
            f"{chosen.convention.value} API)"
        )
    if kind not in chosen.kinds:
        others = ", ".join(a.name for a in apis_of(conv, kind)) or "none"
        raise InvalidSpecError(
            f"api={chosen.name!r} must describe a {kind} (it describes "
            f"{' and '.join(chosen.kinds)}); {conv.value} APIs for {kind}: {others}"
        )
    return conv, chosen


def _lookup(api: object) -> Api:
    found = api_named(api) if isinstance(api, str) else api if isinstance(api, Api) else None
    if found is None:
        raise InvalidSpecError(
            f"api={fmt(_cut(api))} must be a framework API symconv models, such as "
            "tf.nn.conv2d, tf.nn.pool, keras.layers.Conv2D, jax.lax.conv_transpose, "
            "flax.linen.Conv (docs/CONVENTIONS.md lists them)"
        )
    return found


def _cut(value: object) -> object:
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "..."
    return value
