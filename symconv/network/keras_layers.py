"""Keras layer classes as network nodes, for :mod:`symconv.network.keras_import`.

:class:`_Graph` holds the network being built and maps one call of one layer (its class name,
its config, the tensors it reads) to a node with exact parameters under the ``keras``
convention.  A tensor is ``spatial`` (a network tensor), ``vector`` (``(batch, channels)``,
after a global pooling without ``keepdims`` or from a rank-2 input: kept as a node of size 1
only where it becomes spatial again) or ``gone`` (a head: not analysed).  Layers on vectors and
heads are never refused; an unsupported class reading a spatial tensor is recorded (all of them
are named in one line at the end).

>>> g = _Graph(2, "channels_last")
>>> x = _T("spatial", "x", 3)
>>> g.layer("Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "causal"}, "c", [x], None)
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: padding='causal' must be used with 1-D convolutions (Keras Conv1D), got ndim=2
>>> g.layer("ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, "zp", [x], None)
_T(kind='spatial', name='zp', channels=3)
>>> g.nodes[-1].layer
Conv(padding=((1, 2), (0, 3)))
>>> g.layer("Cropping2D", {"cropping": [[1, 0], [2, 2]]}, "cr", [x], None) and g.nodes[-1].layer
Slice(start=(1, 2), end=(None, -2))
>>> g.layer("UpSampling2D", {"size": [2, 3], "interpolation": "bilinear"}, "up", [x], None) and \\
...     g.nodes[-1].layer
Resize(scale_factor=(2, 3), mode='linear', coordinate_mode='half_pixel', convention='keras')
>>> g.layer("Concatenate", {"axis": 1}, "cat", [x, x], None)
Traceback (most recent call last):
...
symconv.errors.UnsupportedError: axis=1 must be the channel axis (channels_last): concatenation along the batch or a spatial axis is not modelled
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from symconv._params import render
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.network.model import Input, Node
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    Resize,
    Slice,
)

__all__ = ["IDENTITY", "MAX_LAYERS", "MERGES"]

#: Most layers (nested models included) and most layer calls after inlining.
MAX_LAYERS = 100_000

#: Size-preserving layers (one input, same spatial size and channels out).
IDENTITY = frozenset({
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "RMSNormalization", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Rescaling",
    "Normalization", "Identity", "Masking", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "RandomContrast", "RandomBrightness",
})
#: Elementwise merges (``add`` in the network: equal sizes, or a broadcast gate).
MERGES = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
_CONV = re.compile(r"(Conv|Convolution|SeparableConv|SeparableConvolution|DepthwiseConv)([123])D")
_DECONV = re.compile(r"(?:Conv|Convolution)([123])DTranspose|Deconvolution([123])D")
_POOL = re.compile(r"(Max|Average|Avg)Pool(?:ing)?([123])D")
_GLOBAL = re.compile(r"Global(Max|Average|Avg)Pool(?:ing)?([123])D")
_RESHAPING = re.compile(r"(UpSampling|ZeroPadding|Cropping)([123])D")
_KERAS_MODULES = ("keras", "tf_keras", "tensorflow")  # where Keras's own layer classes live
_WHY = {
    "Lambda": "Lambda layers hold Python code, which symconv never runs",
    "TFOpLambda": "TFOpLambda layers call TensorFlow functions, which symconv does not model",
    "SlicingOpLambda": "SlicingOpLambda layers slice with TensorFlow, which symconv does not "
                       "model",
}


@dataclass(frozen=True, slots=True)
class _T:
    """A Keras tensor as the import sees it (``kind``: spatial, vector or gone)."""

    kind: str
    name: str = ""
    channels: int | None = None


class _Graph:
    """The network being built: nodes, inputs, pending vector nodes, heads left out."""

    def __init__(self, nd: int = 0, fmt: str = "channels_last") -> None:
        self.nd, self.fmt = nd, fmt
        self.nodes: list[Node] = []
        self.inputs: list[Input] = []
        self.pending: dict[str, Node | Input] = {}  # vector tensors, added when needed
        self.kept: set[str] = set()
        self.roots: list[tuple[str, str, tuple[_T, ...]]] = []  # (name, text, inputs)
        self.unsupported: list[tuple[str, str, str]] = []  # (name, class, why)
        self.calls = 0

    def add(self, node: Node) -> None:
        self.calls += 1
        if self.calls > MAX_LAYERS:
            raise InvalidSpecError(f"layer calls must be at most {MAX_LAYERS} (nested models "
                                   "are inlined per call)")
        self.nodes.append(node)

    def analysed(self, t: _T) -> bool:
        return t.kind == "spatial" or (t.kind == "vector" and t.name in self.kept)

    def keep(self, name: str) -> None:
        """Make a vector tensor part of the network (a node of size 1), with what it reads."""
        if name in self.kept or name not in self.pending:
            return
        self.kept.add(name)
        item = self.pending[name]
        if isinstance(item, Input):
            self.inputs.append(item)
            return
        for src in item.inputs:
            self.keep(src)
        self.nodes.append(item)

    def head(self, name: str, cls: str, ins: list[_T], why: str) -> _T:
        """``name`` and what follows it are left out (listed if it reads an analysed tensor)."""
        self.roots.append((name, f"{cls} layer {_show(name)} and what follows it: {why}",
                           tuple(ins)))
        return _T("gone")

    # ---- one call
    def layer(self, cls: str, cfg: Mapping[str, Any], name: str, ins: list[_T],
              module: Any) -> _T:
        kinds = {t.kind for t in ins}
        if kinds == {"gone"}:
            return _T("gone")
        if "gone" in kinds:
            return self.head(name, cls, ins, "it mixes a spatial tensor with the output of a "
                                             "non-spatial head")
        if kinds == {"vector"}:
            return self.vector(cls, cfg, name, ins)
        if "vector" in kinds:
            if cls not in MERGES or self.fmt != "channels_last":
                return self.head(name, cls, ins, "it mixes a spatial tensor with a (batch, "
                                                 "channels) tensor")
            for t in ins:
                self.keep(t.name)  # Keras expands it to (batch, 1, ..., 1, channels): a gate
        if isinstance(module, str) and module and not module.startswith(_KERAS_MODULES):
            return self.refuse(name, cls, ins, f"a custom layer (module {_clip(module)!r}), "
                                               "whose code symconv never runs")
        if len(ins) > 1 and cls not in MERGES and cls != "Concatenate":
            if cls in _WHY or not self.known(cls):
                return self.refuse(name, cls, ins, _why(cls))
            raise InvalidSpecError(f"inputs={len(ins)} must be one tensor for {cls}")
        out = self.spatial(cls, cfg, name, ins)
        return self.refuse(name, cls, ins, _why(cls)) if out is None else out

    def refuse(self, name: str, cls: str, ins: list[_T], why: str) -> _T:
        """A layer symconv does not model: refused (all of them named at the end) where it
        reads a spatial tensor, a head where it reads only (batch, channels) tensors."""
        if any(t.kind == "spatial" for t in ins):
            self.unsupported.append((name, cls, why))
            return _T("gone")
        if any(t.kind == "vector" for t in ins):
            return self.head(name, cls, ins, "a non-spatial head")
        return _T("gone")

    @staticmethod
    def known(cls: str) -> bool:
        return cls in IDENTITY or cls in ("Dense", "Permute", "Flatten", "Reshape", "Resizing") \
            or any(p.fullmatch(cls) for p in (_CONV, _DECONV, _POOL, _GLOBAL, _RESHAPING))

    def vector(self, cls: str, cfg: Mapping[str, Any], name: str, ins: list[_T]) -> _T:
        """A layer on (batch, channels) tensors: a pending node of size 1, or a head."""
        x = ins[0]
        node: Node | None = None
        ch = x.channels
        srcs = tuple(t.name for t in ins)
        if cls == "Reshape":
            target = cfg.get("target_shape")
            ones = [1] * self.nd
            last = self.fmt == "channels_last"
            if isinstance(target, list) and len(target) == self.nd + 1 and (
                    target[:-1] if last else target[1:]) == ones and len(ins) == 1:
                c = target[-1] if last else target[0]
                self.keep(x.name)
                self.add(Node(name, "identity", None, (x.name,), alias=cls))
                return _T("spatial", name, c if isinstance(c, int) and c > 0 else ch)
        elif (cls in IDENTITY or cls == "Flatten") and len(ins) == 1:
            node = Node(name, "identity", None, (x.name,), alias=cls)
        elif cls == "Dense" and _int(cfg, "units") is not None and len(ins) == 1:
            ch = _int(cfg, "units")
            node = Node(name, "conv", Conv(kernel=1, out_channels=ch, convention="keras",
                                           ndim=self.nd), (x.name,), alias=cls)
        elif cls in MERGES and len(ins) > 1:
            node = Node(name, "add", None, srcs, alias=cls)
        elif cls == "Concatenate" and cfg.get("axis", -1) in (-1, 1) and len(ins) > 1:
            ch = _sum(ins)
            node = Node(name, "concat", None, srcs, alias=cls)
        if node is None:
            return self.head(name, cls, ins, "a non-spatial head")
        self.pending[name] = node
        self.roots.append((name, f"{cls} layer {_show(name)} and what follows it: a non-spatial "
                                 "head", tuple(ins)))
        return _T("vector", name, ch)

    def spatial(self, cls: str, cfg: Mapping[str, Any], name: str,
                ins: list[_T]) -> _T | None:
        """A layer on spatial tensors; ``None`` for a class that is not modelled."""
        x, nd = ins[0], self.nd
        keras: dict[str, Any] = {"convention": "keras", "ndim": nd}

        def node(op: str, layer: Any, ch: int | None = x.channels) -> _T:
            self.add(Node(name, op, layer, (x.name,), alias=cls))
            return _T("spatial", name, ch)

        if m := _CONV.fullmatch(cls):
            self.check(int(m.group(2)), cfg)
            depthwise = m.group(1) == "DepthwiseConv"
            dm = _int(cfg, "depth_multiplier", 1)
            filters = (x.channels * dm if x.channels and dm else None) if depthwise else \
                _int(cfg, "filters")
            if filters is None and not depthwise:
                raise InvalidSpecError(f"filters={_show(cfg.get('filters'))} must be a "
                                       "positive integer")
            groups = _int(cfg, "groups", 1) if m.group(1) in ("Conv", "Convolution") else 1
            return node("conv", Conv(
                kernel=self.ints(cfg, "kernel_size"), stride=self.ints(cfg, "strides", 1),
                padding=_padding(cfg), dilation=self.ints(cfg, "dilation_rate", 1),
                groups=groups or 1, out_channels=filters, **keras), filters)
        if m := _DECONV.fullmatch(cls):
            self.check(int(m.group(1) or m.group(2)), cfg)
            op = cfg.get("output_padding")
            filters = _int(cfg, "filters")
            return node("conv-transpose", ConvTranspose(
                kernel=self.ints(cfg, "kernel_size"), stride=self.ints(cfg, "strides", 1),
                padding=_padding(cfg), output_padding=None if op is None else self.ints(
                    cfg, "output_padding"), dilation=self.ints(cfg, "dilation_rate", 1),
                out_channels=filters, **keras), filters)
        if m := _POOL.fullmatch(cls):
            self.check(int(m.group(2)), cfg)
            pool = self.ints(cfg, "pool_size", 2)
            strides = pool if cfg.get("strides") is None else self.ints(cfg, "strides")
            kind = MaxPool if m.group(1) == "Max" else AvgPool
            return node("max-pool" if kind is MaxPool else "avg-pool",
                        kind(kernel=pool, stride=strides, padding=_padding(cfg), **keras))
        if m := _GLOBAL.fullmatch(cls):
            self.check(int(m.group(2)), cfg)
            pooled = AdaptiveMaxPool if m.group(1) == "Max" else AdaptiveAvgPool
            op = "adaptive-max-pool" if pooled is AdaptiveMaxPool else "adaptive-avg-pool"
            if cfg.get("keepdims") is True:
                return node(op, pooled(1, **keras))
            self.pending[name] = Node(name, op, pooled(1, **keras), (x.name,), alias=cls)
            self.roots.append((name, f"{cls} layer {_show(name)} and what follows it: a reduction "
                                     "over every spatial axis (global pooling without "
                                     "keepdims)", (x,)))
            return _T("vector", name, x.channels)
        if m := _RESHAPING.fullmatch(cls):
            return node(*self.reshaping(m.group(1), int(m.group(2)), cfg))
        if cls == "Resizing":
            self.check(2, cfg)
            return node("resize", self.resizing(cfg))
        if cls == "Concatenate":
            axis, rank = cfg.get("axis", -1), nd + 2
            if isinstance(axis, bool) or not isinstance(axis, int) or not -rank <= axis < rank:
                raise InvalidSpecError(f"axis={_show(axis)} must be an axis of the "
                                       f"rank-{rank} inputs")
            if axis % rank != (rank - 1 if self.fmt == "channels_last" else 1):
                raise UnsupportedError(f"axis={axis} must be the channel axis ({self.fmt}): "
                                       "concatenation along the batch or a spatial axis is not "
                                       "modelled")
            if len(ins) < 2:
                return node("identity", None)
            self.add(Node(name, "concat", None, tuple(t.name for t in ins), alias=cls))
            return _T("spatial", name, _sum(ins))
        if cls in MERGES:
            if len(ins) < 2:
                return node("identity", None)
            self.add(Node(name, "add", None, tuple(t.name for t in ins), alias=cls))
            return _T("spatial", name, next((t.channels for t in ins if t.kind == "spatial"
                                             and t.channels is not None), None))
        if cls in IDENTITY:
            return node("identity", None)
        if cls == "Dense":
            if self.fmt != "channels_last":
                return self.head(name, cls, ins, "it acts on the last axis, a spatial axis "
                                                 "under channels_first")
            units = _int(cfg, "units")
            if units is None:
                raise InvalidSpecError(f"units={_show(cfg.get('units'))} must be a positive "
                                       "integer")
            return node("conv", Conv(kernel=1, out_channels=units, **keras), units)
        if cls == "Permute":
            if cfg.get("dims") == list(range(1, nd + 2)):
                return node("identity", None)
            return self.head(name, cls, ins, "it reorders the axes (a non-spatial head)")
        if cls in ("Flatten", "Reshape"):
            return self.head(name, cls, ins, "it changes the spatial layout (a non-spatial "
                                             "head)")
        return None

    def check(self, r: int, cfg: Mapping[str, Any]) -> None:
        """A ``{r}D`` layer must read tensors of rank ``r`` in the model's data format."""
        if r != self.nd:
            raise UnsupportedError(f"a {r}-D layer must not read a tensor with {self.nd} "
                                   "spatial axes")
        fmt = cfg.get("data_format")
        if fmt not in (None, self.fmt):
            raise UnsupportedError(f"data_format={_show(fmt)} must be the model's "
                                   f"{self.fmt!r} (mixed layouts are not modelled)")

    def ints(self, cfg: Mapping[str, Any], key: str, default: Any = None) -> tuple[int, ...]:
        v = cfg.get(key, default)
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v] * self.nd
        if not isinstance(v, list) or len(v) != self.nd or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in v):
            raise InvalidSpecError(f"{key}={_show(v)} must be an integer or {self.nd} "
                                   "integers")
        return tuple(v)

    def pairs(self, cfg: Mapping[str, Any], key: str) -> tuple[tuple[int, int], ...]:
        """``padding``/``cropping``: an int, one int per axis, or a pair per axis (1-D: one
        pair)."""
        v: Any = cfg.get(key)
        nd = self.nd

        def num(x: Any) -> bool:
            return isinstance(x, int) and not isinstance(x, bool) and x >= 0

        if num(v):
            return ((v, v),) * nd
        if isinstance(v, list) and nd == 1 and len(v) == 2 and all(num(x) for x in v):
            return ((v[0], v[1]),)
        if isinstance(v, list) and len(v) == nd:
            out = [(x, x) if num(x) else (x[0], x[1]) for x in v
                   if num(x) or (isinstance(x, list) and len(x) == 2 and all(map(num, x)))]
            if len(out) == nd:
                return tuple(out)
        raise InvalidSpecError(f"{key}={_show(v)} must be non-negative integers: one, one "
                               f"per axis or a pair per axis ({nd} axes)")

    def reshaping(self, kind: str, r: int, cfg: Mapping[str, Any]) -> tuple[str, Any]:
        """``ZeroPadding*`` (a pad: the size grows by before + after), ``Cropping*`` (a
        Python slice ``x[b:-e]``: the size shrinks, an empty result is rejected as Keras
        does), ``UpSampling*`` (a resize by integer factors).  Pad and crop are framework
        independent and built under the convention they are defined in (torch)."""
        self.check(r, cfg)
        if r == 1 and self.fmt == "channels_first" and "data_format" not in cfg:
            raise UnsupportedError(f"{kind}1D acts on axis 1, the channel axis under "
                                   "channels_first")
        if kind == "ZeroPadding":
            return "pad", Conv(kernel=1, padding=self.pairs(cfg, "padding"), ndim=self.nd)
        if kind == "Cropping":
            crop = self.pairs(cfg, "cropping")
            return "slice", Slice(start=tuple(b for b, _ in crop),
                                  end=tuple(-e if e else None for _, e in crop),
                                  step=(1,) * self.nd, ndim=self.nd)
        size = self.ints(cfg, "size", 2)
        return "resize", _resize(cfg.get("interpolation", "nearest"), scale_factor=size,
                                 ndim=self.nd)

    def resizing(self, cfg: Mapping[str, Any]) -> Resize:
        for key in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
            if cfg.get(key) is True:
                raise UnsupportedError(f"{key}=True is not modelled (symconv models a plain "
                                       "resize to the fixed size)")
        h, w = _int(cfg, "height"), _int(cfg, "width")
        if h is None or w is None:
            raise InvalidSpecError(f"height={_show(cfg.get('height'))} and "
                                   f"width={_show(cfg.get('width'))} must be positive integers")
        aa = cfg.get("antialias")
        return _resize(cfg.get("interpolation", "bilinear"), size=(h, w), ndim=2,
                       antialias=aa if isinstance(aa, bool) else None)


_KERAS_MODES = {"nearest": "nearest", "bilinear": "linear", "bicubic": "cubic",
                "area": "area", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _resize(mode: Any, **size: Any) -> Resize:
    """Keras resampling as symconv resize modes under convention keras: ``nearest`` repeats
    (UpSampling) or samples at ``floor((j + 1/2) n / o)`` (``Resizing``); ``bilinear`` is
    half-pixel linear; ``bicubic`` is Keys' cubic with ``a = -1/2`` whose taps outside the
    input are dropped; ``area``, ``lanczos3``, ``lanczos5`` as tf.image.resize."""
    if mode in _KERAS_MODES:
        return Resize(mode=_KERAS_MODES[mode], convention="keras", **size)
    raise UnsupportedError(f"interpolation={_show(mode)} is not modelled (nearest, bilinear, "
                           "bicubic, area, lanczos3 and lanczos5 are)")


def _why(cls: str) -> str:
    if cls in _WHY:
        return _WHY[cls]
    if re.fullmatch(r"Adaptive(Average|Max)Pooling[123]D", cls):
        return ("adaptive pooling to sizes other than 1 is not modelled under convention keras "
                "(GlobalAveragePooling/GlobalMaxPooling are)")
    return "symconv does not model this layer class"


def _sum(ins: list[_T]) -> int | None:
    return None if any(t.channels is None for t in ins) else sum(t.channels or 0 for t in ins)


def _int(cfg: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    v = cfg.get(key, default)
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _padding(cfg: Mapping[str, Any]) -> str:
    v = cfg.get("padding", "valid")
    if not isinstance(v, str):
        raise InvalidSpecError(f"padding={_show(v)} must be 'valid', 'same' or 'causal'")
    return v.lower()


def _show(value: Any) -> str:
    """A config value for a message (as JSON writes it, cut to a readable length; only what
    is shown is rendered, :func:`symconv._params.render`)."""
    text, _ = render(value, 61, json_style=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
