"""Network descriptions for ``symconv review``: a small graph of layers read from YAML, JSON or TOML.

A network file is a mapping::

    name: tiny-unet             # optional
    convention: torch           # default convention of every layer (torch, onnx, tensorflow, ...)
    inputs:
      - {name: x, size: [H, W], channels: 3}      # sizes: integers or symbol names
    layers:
      - {name: enc1, op: conv, kernel: 3, padding: 1, out_channels: 8}
      - {name: pool1, op: max-pool, kernel: 2}
      - {name: mid, op: conv, kernel: 3, padding: 1, out_channels: 16}
      - {name: up1, op: conv-transpose, kernel: 2, stride: 2, out_channels: 8}
      - {name: cat1, op: concat, inputs: [up1, enc1]}
      - {name: head, op: conv, kernel: 1, out_channels: 1, restores: x}
    outputs: [head]             # optional: default = the layers nobody consumes

Edges are sequential by default: a layer without ``inputs`` reads the layer above it (the first
layer reads the first input).  ``inputs`` (a list of names, or ``input`` for one name) names
earlier or later layers or inputs; the graph must be acyclic.  ``restores: NAME`` declares that
this layer's output should have the spatial size of tensor ``NAME`` (a decoder restoring an
encoder size); ``symconv review`` checks it for every size.  ``like: NAME`` on a
``resize`` sizes its output as tensor ``NAME`` (PyTorch ``F.interpolate(x,
size=skip.shape[2:])``; ONNX ``Resize`` whose ``sizes`` are computed from ``Shape(skip)``): it
takes no ``size``/``scale_factor``, reads one data tensor (``inputs``) and its channels, and
``NAME`` becomes an edge (``Node.size_of``, also the last entry of ``Node.inputs``).  It keeps
the sampling parameters of any resize (``mode``, ``coordinate_mode``, ``align_corners``,
``nearest_mode``, ``cubic_coeff_a``, ``exclude_outside``, ``convention``), validated at load
time as for a resize to a fixed size, in ``Node.resample`` (a :class:`Resample`).  Without it, the review infers
which up-sampling layer mirrors which down-sampling layer (:mod:`symconv.review.pairing`) and
checks those pairs too, as warnings; ``restores: false`` says a layer restores nothing (no
inferred check for it).

Layer kinds and parameters use the vocabulary of :mod:`symconv.spec.syntax` (long names or
its short keys):

=================  ==================================================================
``op``             parameters
=================  ==================================================================
conv               kernel/k, stride/s, padding/p, dilation/d, groups, in_channels,
                   out_channels, padding_mode/pm, convention
conv-transpose     kernel, stride, padding, output_padding/op, dilation, groups,
                   in_channels, out_channels, output_size, convention (alias deconv)
max-pool           kernel, stride, padding, dilation, ceil_mode, convention
avg-pool           kernel, stride, padding, dilation, ceil_mode, count_include_pad, convention
max-unpool         kernel, stride, padding, output_size, convention
resize             scale_factor/f/scale, size, mode, coordinate_mode, align_corners,
                   nearest_mode, cubic_coeff_a, exclude_outside, convention (alias
                   upsample); or ``like: NAME`` instead of size/scale_factor
pixel-shuffle      factor/r, order, convention (pixel-unshuffle alike)
concat, add        (inputs: two or more tensors; concat joins channels; add is any
                   elementwise merge (aliases sum, and mul/sub/div/max/min/pow of two or
                   more tensors) and broadcasts an input whose size is 1 for every input
                   size, e.g. a squeeze-excitation gate after a global pooling)
pad                padding (explicit pairs; an F.pad / ONNX Pad / ZeroPadding layer: the
                   size grows by before + after whatever the fill)
adaptive-avg-pool  output_size/o (an integer or a list per axis, ``null`` keeps an axis),
                   convention (adaptive-max-pool alike; aliases global-avg-pool/gap and
                   global-max-pool: output size 1)
slice              start, end, step (per axis; negative counts from the end, ``end:
                   null`` runs to the end), channels ``[start, end, step]``, convention
                   (onnx: ONNX Slice clamping; others: Python slicing) (alias crop)
identity           none: any shape-preserving op (aliases relu, activation, batchnorm, ...)
=================  ==================================================================

Values: an integer (every axis) or a list (one per axis); padding also ``[[before, after],
...]`` or a name (``same``, ``valid``, ``same_upper``, ...); scale factors an integer, a
decimal such as ``1.5`` or a string ``"3/2"`` (read exactly as a fraction).  Padding pairs are
lists, never ``1:2`` (YAML 1.1 reads ``1:2`` as the base-60 number 62).

Nothing in a file is evaluated: YAML is read with PyYAML's safe constructor (a Python object
tag is rejected), symbol names must be identifiers, and every value is type-checked.  Size,
nesting, YAML alias expansion and cycles are bounded before the data is read
(:mod:`symconv.network.reading`); a network has at most :data:`MAX_LAYERS` layers.  Every
rejection is one :class:`~symconv.errors.InvalidSpecError` line naming the layer and the field.

>>> net = loads('''
... inputs: [{name: x, size: [H, W]}]
... layers:
...   - {name: c1, op: conv, k: 3, s: 2, p: 1}
...   - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
... ''', "yaml")
>>> [(n.name, n.op, n.inputs) for n in net.nodes]
[('c1', 'conv', ('x',)), ('up', 'conv-transpose', ('c1',))]
>>> net.outputs
('up',)
>>> loads('{"inputs": [{"name": "x", "size": [8]}], "layers": [{"op": "convv", "k": 3}]}', "json")
Traceback (most recent call last):
...
symconv.errors.InvalidSpecError: layers[0] (layer1): op='convv' must be one of adaptive-avg-pool, adaptive-max-pool, add, avg-pool, concat, conv, conv-transpose, identity, max-pool, max-unpool, pad, pixel-shuffle, pixel-unshuffle, resize, slice (or an alias: activation, batchnorm, deconv, ...)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symconv.errors import InvalidSpecError, SymconvError
from symconv.network.fields import _adaptive_size, _kind, _show, _value
from symconv.network.reading import parse, read_text
from symconv.network.resample import Resample
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    Slice,
    parse_enum,
)
from symconv.spec._base import MAX_NDIM

__all__ = [
    "FITS",
    "FORMATS",
    "LAYER_OPS",
    "MAX_LAYERS",
    "MAX_NAME",
    "MERGE_OPS",
    "OPS",
    "Input",
    "Network",
    "Node",
    "Resample",
    "build",
    "from_dict",
    "load",
    "loads",
    "with_restores",
]

#: File formats by suffix.
FORMATS: dict[str, str] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}

#: Ops that carry a layer spec.
LAYER_OPS = ("conv", "conv-transpose", "max-pool", "avg-pool", "max-unpool", "resize",
             "pixel-shuffle", "pixel-unshuffle", "pad", "slice", "adaptive-avg-pool",
             "adaptive-max-pool")
#: Ops that merge several tensors (their spatial sizes must agree).
MERGE_OPS = ("concat", "add")
#: Every canonical op.
OPS = tuple(sorted((*LAYER_OPS, *MERGE_OPS, "identity")))

#: Aliases of global pooling: adaptive pooling to output size 1 (the default they set).
_GLOBAL_AVG = ("global-avg-pool", "global_avg_pool", "globalavgpool", "globalaveragepool", "gap")
_GLOBAL_MAX = ("global-max-pool", "global_max_pool", "globalmaxpool")

_ALIASES: dict[str, str] = {
    "deconv": "conv-transpose", "conv_transpose": "conv-transpose",
    "convtranspose": "conv-transpose", "maxpool": "max-pool", "max_pool": "max-pool",
    "avgpool": "avg-pool", "avg_pool": "avg-pool", "maxunpool": "max-unpool",
    "max_unpool": "max-unpool", "upsample": "resize", "interpolate": "resize",
    "pixel_shuffle": "pixel-shuffle", "depth-to-space": "pixel-shuffle",
    "pixel_unshuffle": "pixel-unshuffle", "space-to-depth": "pixel-unshuffle",
    "crop": "slice", "zero-pad": "pad", "zeropad": "pad", "zeropadding": "pad",
    "cat": "concat", "sum": "add",
    "adaptive_avg_pool": "adaptive-avg-pool", "adaptiveavgpool": "adaptive-avg-pool",
    "adaptive_max_pool": "adaptive-max-pool", "adaptivemaxpool": "adaptive-max-pool",
    **{a: "adaptive-avg-pool" for a in _GLOBAL_AVG}, **{a: "adaptive-max-pool" for a in _GLOBAL_MAX},
    **{a: "identity" for a in (
        "activation", "relu", "leaky-relu", "leaky_relu", "gelu", "silu", "sigmoid", "tanh",
        "elu", "batchnorm", "batch-norm", "instancenorm", "groupnorm", "layernorm", "dropout",
        "softmax", "clip", "mul", "neg", "abs", "exp", "log", "sqrt", "pow", "sub", "div",
        "max", "min",
    )},
}

#: Aliases that read two or more tensors as an elementwise merge (``add``) and one tensor
#: (an operation with a constant) as shape-preserving.
_ELEMENTWISE_BINARY = frozenset({"mul", "sub", "div", "pow", "max", "min", "sum"})

# op -> {accepted key: spec field}
_COMMON = {"convention": "convention"}
_WIN = {"kernel": "kernel", "k": "kernel", "stride": "stride", "s": "stride",
        "padding": "padding", "p": "padding", "pad": "padding"}
_DIL = {"dilation": "dilation", "d": "dilation"}
_CH = {"groups": "groups", "in_channels": "in_channels", "out_channels": "out_channels"}
_PARAMS: dict[str, dict[str, str]] = {
    "conv": {**_WIN, **_DIL, **_CH, "padding_mode": "padding_mode", "pm": "padding_mode",
             **_COMMON},
    "conv-transpose": {**_WIN, **_DIL, **_CH, "output_padding": "output_padding",
                       "output_size": "output_size", **_COMMON},
    "max-pool": {**_WIN, **_DIL, "ceil_mode": "ceil_mode", **_COMMON},
    "avg-pool": {**_WIN, **_DIL, "ceil_mode": "ceil_mode",
                 "count_include_pad": "count_include_pad", **_COMMON},
    "max-unpool": {**_WIN, "output_size": "output_size", **_COMMON},
    "resize": {"scale_factor": "scale_factor", "f": "scale_factor", "scale": "scale_factor",
               "factor": "scale_factor", "size": "size", "mode": "mode",
               "coordinate_mode": "coordinate_mode", "align_corners": "align_corners",
               "nearest_mode": "nearest_mode", "cubic_coeff_a": "cubic_coeff_a",
               "exclude_outside": "exclude_outside", **_COMMON},
    "pixel-shuffle": {"factor": "factor", "r": "factor", "order": "order", **_COMMON},
    "pixel-unshuffle": {"factor": "factor", "r": "factor", "order": "order", **_COMMON},
    "pad": {"padding": "padding", "p": "padding", "pad": "padding", **_COMMON},
    "slice": {"start": "start", "end": "end", "step": "step", "channels": "channels",
              **_COMMON},
    "adaptive-avg-pool": {"output_size": "output_size", "o": "output_size", **_COMMON},
    "adaptive-max-pool": {"output_size": "output_size", "o": "output_size", **_COMMON},
    "concat": {}, "add": {}, "identity": {},
}
_SPECS: dict[str, type] = {
    "conv": Conv, "conv-transpose": ConvTranspose, "max-pool": MaxPool, "avg-pool": AvgPool,
    "max-unpool": MaxUnpool, "resize": Resize, "pixel-shuffle": PixelShuffle,
    "pixel-unshuffle": PixelUnshuffle, "slice": Slice, "adaptive-avg-pool": AdaptiveAvgPool,
    "adaptive-max-pool": AdaptiveMaxPool,
}
_NODE_KEYS = frozenset({"name", "op", "inputs", "input", "restores", "like"})
_TOP_KEYS = frozenset({"name", "convention", "inputs", "layers", "outputs", "description"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-#]*")
#: Most layers (nodes) of a network, from any loader: a review's work grows with them (a
#: chain of 10,000 strided 2-D pools reviews in about 9 s here, at --input too).
MAX_LAYERS = 10_000
#: Longest layer or input name in a network file.
MAX_NAME = 256
_MAX_INT = 10**18  # sizes and channel counts, as every integer parameter (symconv._params)
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Input:
    """A network input: ``size`` per spatial axis (ints or symbol names), optional channels."""

    name: str
    size: tuple[int | str, ...]
    channels: int | None = None

    def __post_init__(self) -> None:
        if not self.size:
            raise InvalidSpecError(f"inputs ({_clip(self.name)}): size=[] must have at least "
                                   "one axis")
        for v in (*self.size, self.channels):
            if isinstance(v, int) and not 0 < v < _MAX_INT:
                raise InvalidSpecError(f"inputs ({_clip(self.name)}): size={_show(self.size)}"
                                       f", channels={_show(self.channels)} must be positive "
                                       "integers below 10**18")


@dataclass(frozen=True, slots=True)
class Node:
    """One node: ``op`` (canonical name), its ``layer`` spec (``None`` for concat/add/identity),
    the tensors it reads, the file's raw parameter keys (``given``) and an optional
    ``restores`` target; ``alias`` is the op name the file used."""

    name: str
    op: str
    layer: Layer | None
    inputs: tuple[str, ...]
    given: frozenset[str] = frozenset()
    restores: str | None = None
    alias: str = ""
    restores_nothing: bool = False  # ``restores: false``: opt out of inferred restore checks
    #: ``like: T`` (a resize to the spatial size of tensor ``T``): the output's sizes are
    #: ``T``'s, its channels follow ``inputs[0]``; ``T`` is also the last of ``inputs``.
    size_of: str | None = None
    #: How that resize samples (set exactly when ``size_of`` is): the concrete spec at a size
    #: is ``resample.resize(size of T)``; ``layer`` stays ``None`` (no fixed size).
    resample: Resample | None = None
    #: How a layer that takes ``size_of``'s size at run time gets there (set only by the
    #: PyTorch front end, with ``size_of``): ``"output_size"`` a transposed convolution
    #: called as ``forward(x, output_size=T.shape)`` (``layer`` is it with ``output_padding``
    #: 0; ``T`` must lie in ``[base, base + stride - 1]``, PyTorch's rule); ``"pad:..."`` an
    #: ``F.pad`` by ``d = size(T) - size(x)`` split as ``d // 2`` before (``pad:half``),
    #: ``d - d // 2`` before (``pad:half-end``), all after (``pad:end``) or all before
    #: (``pad:start``): always ``T``'s size (a negative ``d`` crops, never past the input);
    #: ``"crop:start"`` / ``"crop:center"`` a slice ``x[..., :h]`` / ``x[..., dy:dy + h]``
    #: with ``h`` ``T``'s size and ``dy = (size(x) - h) // 2`` (the front end adds the guards
    #: that it lies inside ``x``).
    fit: str | None = None
    #: ``((p, q), ...)`` per axis: a like-resize takes ``floor(size(T) * p / q)`` instead of
    #: ``T``'s size (``F.interpolate(x, size=(h // 4, w // 4))`` with ``h, w = t.shape[2:]``);
    #: empty: ``T``'s size itself
    like_scale: tuple[tuple[int, int], ...] = ()

    def like(self, value: Any, axis: int) -> Any:
        """The size this node takes on ``axis`` when its ``like`` target has ``value`` there
        (an int, a SymPy expression or an int64 numpy array)."""
        if not self.like_scale:
            return value
        p, q = self.like_scale[axis]
        return value * p // q if q != 1 else value * p


#: The values :attr:`Node.fit` takes.
FITS = ("output_size", "pad:half", "pad:half-end", "pad:end", "pad:start", "crop:start",
        "crop:center")


@dataclass(frozen=True, slots=True)
class Network:
    """A validated, acyclic network; ``nodes`` are in topological order (file order kept where
    the edges allow)."""

    name: str
    convention: Convention
    inputs: tuple[Input, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    ignored: tuple[str, ...] = ()  # what a loader left out (e.g. an ONNX classifier head)
    #: for each entry of ``ignored`` the tensors of the network it is computed from (``""``
    #: for something that is not one): a part computed only from tensors of one size for
    #: every input size adds no size rule (the review checks and says so); no tensors at all:
    #: a part whose shape does not depend on the input size by construction (a reduction
    #: over every spatial axis)
    ignored_sources: tuple[tuple[str, ...], ...] = ()
    #: branches on sizes met while a module was traced (:class:`~symconv.network.torch_dims.
    #: Guard`: ``leaves()``, ``holds(sizes)``, ``show()``, ``where``): the graph holds where
    #: each comes out as it did at the example input (the review intersects the valid sets)
    guards: tuple[Any, ...] = ()
    #: ``(node, "file:line")``: where the code that made each node is (a traced module)
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def ndim(self) -> int:
        """Number of spatial axes (every input has the same)."""
        return len(self.inputs[0].size)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise InvalidSpecError(f"name={_show(name)} must be a layer of the network")

    def symbols(self) -> tuple[str, ...]:
        """The symbol names used by the input sizes, in order of appearance."""
        seen: dict[str, None] = {}
        for i in self.inputs:
            for v in i.size:
                if isinstance(v, str):
                    seen[v] = None
        return tuple(seen)

    def input_sizes(self, size: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """Every input's spatial sizes when the first input has ``size``: integer sizes stay,
        a symbol shared with the first input takes its value, any other symbol the first
        input's size on that axis.

        >>> net = from_dict({"inputs": [{"name": "x", "size": ["H", "W"]},
        ...                             {"name": "y", "size": [4, "H"]}],
        ...                  "layers": [{"op": "relu"}]})
        >>> net.input_sizes((8, 6))
        {'x': (8, 6), 'y': (4, 8)}
        """
        sym: dict[str, int] = {}
        for v, n in zip(self.inputs[0].size, size, strict=True):
            if isinstance(v, str):
                sym.setdefault(v, n)
        out: dict[str, tuple[int, ...]] = {self.inputs[0].name: tuple(size)}
        for inp in self.inputs[1:]:
            out[inp.name] = tuple(
                v if isinstance(v, int) else sym.get(v, size[a]) for a, v in enumerate(inp.size)
            )
        return out


def with_restores(net: Network, declared: Mapping[str, str] | None = None,
                  opt_out: Sequence[str] = ()) -> Network:
    """``net`` with restores declared or opted out from outside the file (``symconv review
    --restores LAYER=TARGET --no-restore LAYER``: an ONNX model cannot carry ``restores:``).

    >>> net = from_dict({"inputs": [{"name": "x", "size": ["H"]}], "layers": [
    ...     {"name": "d", "op": "max-pool", "k": 2}, {"name": "u", "op": "resize", "f": 2}]})
    >>> with_restores(net, {"u": "x"}).node("u").restores
    'x'
    >>> with_restores(net, opt_out=["u"]).node("u").restores_nothing
    True
    >>> with_restores(net, {"v": "x"})
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --restores v=x: layer v must be a layer of the network (d, u)
    """
    declared = dict(declared or {})
    layers = [n.name for n in net.nodes]
    tensors = {i.name for i in net.inputs} | set(layers)

    def known(flag: str, layer: str) -> None:
        if layer not in layers:
            shown = ", ".join(layers[:8]) + (", ..." if len(layers) > 8 else "")
            raise InvalidSpecError(f"{flag}: layer {_clip(layer)} must be a layer of the "
                                   f"network ({shown})")

    for layer, target in declared.items():
        known(f"--restores {_clip(layer)}={_clip(target)}", layer)
        if target not in tensors:
            raise InvalidSpecError(f"--restores {_clip(layer)}={_clip(target)}: target "
                                   f"{_clip(target)} must be an input or a layer of the network")
    for layer in opt_out:
        known(f"--no-restore {_clip(layer)}", layer)
        if layer in declared:
            raise InvalidSpecError(f"--no-restore {_clip(layer)}: {_clip(layer)} must not "
                                   "also be given to --restores")
    nodes = tuple(
        dataclasses.replace(n, restores=declared[n.name], restores_nothing=False)
        if n.name in declared else
        dataclasses.replace(n, restores=None, restores_nothing=True) if n.name in opt_out
        else n for n in net.nodes)
    return dataclasses.replace(net, nodes=nodes)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------- loading


def load(path: str | Path) -> Network:
    """Read a network file (format from the suffix: .yaml/.yml, .json, .toml).

    Raises :class:`~symconv.errors.InvalidSpecError` (one line) for an unreadable, invalid or
    oversized file (:mod:`symconv.network.reading` bounds size, nesting and YAML aliases).
    """
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InvalidSpecError(f"file={_show(str(p))} must end in .yaml, .yml, .json or .toml "
                               "(ONNX models: .onnx)")
    return loads(read_text(p, fmt), fmt, source=str(p))


def loads(text: str, fmt: str, *, source: str = "<text>") -> Network:
    """Parse network text in format ``fmt`` ('yaml', 'json' or 'toml') and validate it."""
    return from_dict(parse(text, fmt, source))


# --------------------------------------------------------------------------- validation


def from_dict(data: Any) -> Network:
    """Build a :class:`Network` from parsed data (a mapping), checking every field."""
    if not isinstance(data, Mapping):
        raise InvalidSpecError(
            f"network={_kind(data)} must be a mapping with 'inputs' and 'layers'"
        )
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise InvalidSpecError(
            f"key={_show(unknown[0])} must be one of {', '.join(sorted(_TOP_KEYS))} (top level)"
        )
    name = data.get("name", "network")
    if not isinstance(name, str):
        raise InvalidSpecError(f"name={_show(name)} must be a string")
    conv = parse_enum("convention", data.get("convention", "torch"), Convention)
    inputs = _inputs(data.get("inputs"))
    nodes = _nodes(data.get("layers"), inputs, conv)
    return build(name, conv, inputs, nodes, data.get("outputs"))


def build(name: str, conv: Convention, inputs: tuple[Input, ...], nodes: tuple[Node, ...],
          outputs: Any = None, ignored: tuple[str, ...] = ()) -> Network:
    """Check names, edges and acyclicity, order the nodes topologically (the common part of
    every loader: files and ONNX models)."""
    _check_count(len(nodes))
    seen: dict[str, str] = {}
    for where, tensor in [(f"inputs[{i}]", n.name) for i, n in enumerate(inputs)] + [
            (f"layers[{i}]", n.name) for i, n in enumerate(nodes)]:
        if len(tensor) > MAX_NAME:
            raise InvalidSpecError(f"{where}: name={_show(tensor)} must have at most "
                                   f"{MAX_NAME} characters")
        if tensor in seen:  # an input or layer named like an earlier one: refused, not merged
            raise InvalidSpecError(f"{where} ({_clip(tensor)}): name={_clip(tensor)!r} must be "
                                   f"unique (already used in {seen[tensor]})")
        seen[tensor] = where
    for i, n in enumerate(nodes):
        if n.size_of is not None:
            if n.size_of == n.name or n.size_of not in seen:
                raise InvalidSpecError(
                    f"layers[{i}] ({n.name}): like={_show(n.size_of)} must name an input or "
                    "another "
                    "layer (the tensor whose spatial size this resize takes)"
                )
            if n.like_scale and (n.fit is not None or n.resample is None or any(
                    p < 1 or q < 1 for p, q in n.like_scale)):
                raise InvalidSpecError(f"layers[{i}] ({n.name}): like_scale="
                                       f"{_show(n.like_scale)} must be positive ratios of a resize")
            if n.fit is not None:
                _check_fit(i, n)
            elif n.layer is not None or len(n.inputs) != 2 or n.inputs[1] != n.size_of:
                raise InvalidSpecError(
                    f"layers[{i}] ({n.name}): like={_show(n.size_of)} must be the last of its two "
                    "inputs, with no layer spec (sizes come from that tensor)"
                )
            if n.resample is None and n.fit is None:
                raise InvalidSpecError(
                    f"layers[{i}] ({n.name}): like={_show(n.size_of)} must come with its sampling "
                    "parameters (Node.resample)"
                )
        elif n.fit is not None:
            raise InvalidSpecError(f"layers[{i}] ({n.name}): fit={_show(n.fit)} must only be given "
                                   "with like (the tensor whose size it takes)")
        elif n.resample is not None:
            raise InvalidSpecError(
                f"layers[{i}] ({n.name}): resample={_show(n.resample)} must only be given with "
                "like (a resize to another tensor's size)"
            )
        for src in n.inputs:
            if src not in seen:
                raise InvalidSpecError(
                    f"layers[{i}] ({n.name}): inputs={_show(list(n.inputs))} must name inputs or "
                    f"layers; {_show(src)} is neither (dangling edge)"
                )
            if src == n.name:
                raise InvalidSpecError(
                    f"layers[{i}] ({n.name}): inputs={_show(list(n.inputs))} must not contain the "
                    "layer itself (cycle)"
                )
        if n.restores is not None and n.restores not in seen:
            raise InvalidSpecError(
                f"layers[{i}] ({n.name}): restores={_show(n.restores)} must name an input or a "
                "layer"
            )
    ordered = _toposort(nodes)
    return Network(name, conv, inputs, ordered, _outputs(outputs, ordered, seen), ignored)


def _check_count(n: int) -> None:
    if n > MAX_LAYERS:
        raise InvalidSpecError(f"layers: {n} layers must be at most {MAX_LAYERS} (the review's "
                               "work grows with the layer count)")


def _check_fit(i: int, n: Node) -> None:
    """A layer fitted to another tensor's size (:attr:`Node.fit`): a conv-transpose with its
    spec, or a pad without one; two inputs, the second the target; no resample."""
    where = f"layers[{i}] ({n.name})"
    if n.fit not in FITS:
        raise InvalidSpecError(f"{where}: fit={_show(n.fit)} must be one of {', '.join(FITS)}")
    if len(n.inputs) != 2 or n.inputs[1] != n.size_of or n.resample is not None:
        raise InvalidSpecError(f"{where}: like={_show(n.size_of)} must be the last of its two "
                               "inputs, with no resample")
    if n.fit == "output_size":
        if n.op != "conv-transpose" or not isinstance(n.layer, ConvTranspose) or \
                n.layer.output_size is not None:
            raise InvalidSpecError(f"{where}: fit='output_size' must be a conv-transpose with "
                                   "its spec (output_padding 0, no output_size)")
    elif n.fit.startswith("crop:"):
        if n.op != "slice" or n.layer is not None:
            raise InvalidSpecError(f"{where}: fit={_show(n.fit)} must be a slice without a layer "
                                   "spec")
    elif n.op != "pad" or n.layer is not None:
        raise InvalidSpecError(f"{where}: fit={_show(n.fit)} must be a pad without a layer spec")


def _inputs(raw: Any) -> tuple[Input, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidSpecError(
            f"inputs={_show(raw)} must be a non-empty list of {{name, size[, channels]}}"
        )
    out: list[Input] = []
    for i, item in enumerate(raw):
        where = f"inputs[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidSpecError(f"{where}={_show(item)} must be a mapping {{name, size}}")
        bad = sorted(set(map(str, item)) - {"name", "size", "channels"})
        if bad:
            raise InvalidSpecError(f"{where}: key={_show(bad[0])} must be one of name, size, "
                                   "channels")
        name = _name(item.get("name", "x" if i == 0 else None), where)
        where = f"inputs[{i}] ({name})"
        size = item.get("size")
        if not isinstance(size, list) or not 0 < len(size) <= MAX_NDIM:
            raise InvalidSpecError(
                f"{where}: size={_show(size)} must be a list of integers or symbol names, one "
                f"per spatial axis (1 to {MAX_NDIM})"
            )
        axes: list[int | str] = []
        for v in size:
            if isinstance(v, bool) or not isinstance(v, int | str):
                raise InvalidSpecError(
                    f"{where}: size={_show(size)} must hold positive integers or symbol names"
                )
            if isinstance(v, int) and not 0 < v < _MAX_INT:
                raise InvalidSpecError(f"{where}: size={_show(size)} must hold positive integers"
                                       " below 10**18")
            if isinstance(v, str) and not _SYMBOL.fullmatch(v):
                raise InvalidSpecError(
                    f"{where}: size={_show(size)} must hold symbol names such as H (identifiers; "
                    "expressions are not evaluated)"
                )
            axes.append(v)
        ch = item.get("channels")
        if ch is not None and (isinstance(ch, bool) or not isinstance(ch, int)
                               or not 0 < ch < _MAX_INT):
            raise InvalidSpecError(f"{where}: channels={_show(ch)} must be a positive integer "
                                   "below 10**18")
        out.append(Input(name, tuple(axes), ch))
    nd = len(out[0].size)
    for i, inp in enumerate(out):
        if len(inp.size) != nd:
            raise InvalidSpecError(
                f"inputs[{i}] ({inp.name}): size={_show(list(inp.size))} must have {nd} axes like "
                f"inputs[0]"
            )
    return tuple(out)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME or not _IDENT.fullmatch(value):
        raise InvalidSpecError(
            f"{where}: name={_show(value)} must be a name (letters, digits, _ . - #; at most "
            f"{MAX_NAME} characters)"
        )
    return value


def _nodes(raw: Any, inputs: tuple[Input, ...], conv: Convention) -> tuple[Node, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidSpecError(f"layers={_show(raw)} must be a non-empty list of layers")
    _check_count(len(raw))
    out: list[Node] = []
    previous = inputs[0].name
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidSpecError(f"layers[{i}]={_show(item)} must be a mapping with 'op'")
        name = _name(item.get("name", f"layer{i + 1}"), f"layers[{i}]")
        where = f"layers[{i}] ({name})"
        node = _node(item, name, where, previous, conv, len(inputs[0].size))
        out.append(node)
        previous = name
    return tuple(out)


def _node(item: Mapping[Any, Any], name: str, where: str, previous: str,
          conv: Convention, ndim: int) -> Node:
    raw_op = item.get("op")
    if not isinstance(raw_op, str):
        raise InvalidSpecError(f"{where}: op={_show(raw_op)} must be a string such as conv")
    key = raw_op.strip().lower()
    op = key if key in _PARAMS else _ALIASES.get(key.replace(" ", "-"))
    if op is None:
        raise InvalidSpecError(
            f"{where}: op={_show(raw_op)} must be one of {', '.join(OPS)} (or an alias: "
            "activation, "
            "batchnorm, deconv, ...)"
        )
    if "inputs" in item and "input" in item:
        raise InvalidSpecError(f"{where}: inputs and input must not both be given")
    srcs: Any = item.get("inputs", item.get("input", previous))
    if isinstance(srcs, str):
        srcs = [srcs]
    if not isinstance(srcs, list) or not srcs or not all(isinstance(s, str) for s in srcs):
        raise InvalidSpecError(f"{where}: inputs={_show(srcs)} must be a list of names")
    if op == "identity" and key in _ELEMENTWISE_BINARY and len(srcs) >= 2:
        op = "add"  # mul, sub, ... of two tensors: an elementwise merge (with broadcasting)
    if op in MERGE_OPS and len(srcs) < 2:
        raise InvalidSpecError(f"{where}: inputs={_show(srcs)} must name at least two tensors "
                               f"for {op}")
    if op not in MERGE_OPS and len(srcs) != 1:
        raise InvalidSpecError(f"{where}: inputs={_show(srcs)} must name exactly one tensor "
                               f"for {op}")
    restores = item.get("restores")
    like = item.get("like")
    if like is not None:
        if op != "resize":
            raise InvalidSpecError(f"{where}: like={_show(like)} must only be given for op "
                                   f"resize, not {op}")
        if not isinstance(like, str) or not _IDENT.fullmatch(like):
            raise InvalidSpecError(f"{where}: like={_show(like)} must be a tensor name")
        both = sorted(k for k in item if k in ("size", "scale_factor", "scale", "f", "factor"))
        if both:
            raise InvalidSpecError(f"{where}: like={_show(like)} must not be combined with "
                                   f"{both[0]} (the size comes from {_show(like)})")
    restores_nothing = restores is False
    if restores_nothing:
        restores = None
    elif restores is not None and not isinstance(restores, str):
        raise InvalidSpecError(
            f"{where}: restores={_show(restores)} must be a tensor name, or false (this layer "
            "restores nothing)"
        )
    accepted = _PARAMS[op]
    fields: dict[str, Any] = {}
    given: set[str] = set()
    for k, v in item.items():
        if k in _NODE_KEYS:
            continue
        if not isinstance(k, str) or k not in accepted:
            keys = ", ".join(sorted(set(accepted))) or "none"
            raise InvalidSpecError(
                f"{where}: parameter {_show(k)} must be one of: {keys} (op {op})"
            )
        f = accepted[k]
        if f in fields:
            raise InvalidSpecError(f"{where}: {f} must be given once (also as {_show(k)})")
        fields[f] = (_adaptive_size(v, where) if op.startswith("adaptive-")
                     else _value(f, v, where))
        given.add(f)
    if key in _GLOBAL_AVG or key in _GLOBAL_MAX:
        if fields.get("output_size", 1) not in (1, (1,) * ndim):
            raise InvalidSpecError(f"{where}: output_size={_show(item.get('output_size'))} "
                                   f"must be 1 for {raw_op} (global pooling)")
        fields["output_size"] = 1
    elif op.startswith("adaptive-") and "output_size" not in fields:
        raise InvalidSpecError(f"{where}: output_size must be given for {op} (an integer, or a "
                               "list per axis with null to keep an axis)")
    layer: Layer | None = None
    if like is not None:
        fields.setdefault("convention", conv.value)
        try:  # the mode parameters are checked as for a resize to a fixed size of this rank
            resample = Resample(**fields)
            resample.resize((1,) * ndim)
        except (SymconvError, TypeError) as exc:
            raise InvalidSpecError(f"{where}: {exc}") from None
        return Node(name, op, None, (*srcs, like), frozenset(given), restores, key,
                    restores_nothing, size_of=like, resample=resample)
    if op == "pad":
        fields.setdefault("convention", conv.value)
        if "padding" not in fields or isinstance(fields["padding"], str):
            raise InvalidSpecError(
                f"{where}: padding={_show(item.get('padding'))} must be numbers for pad "
                "(an integer, a list per axis or [[before, after], ...])"
            )
        try:
            # A pad changes sizes exactly as a 1-tap convolution with that padding does.
            layer = Conv(kernel=1, padding=fields["padding"], convention=fields["convention"])
        except SymconvError as exc:
            raise InvalidSpecError(f"{where}: {exc}") from None
    elif op in _SPECS:
        fields.setdefault("convention", conv.value)
        try:
            layer = _SPECS[op](**fields)
        except SymconvError as exc:
            raise InvalidSpecError(f"{where}: {exc}") from None
        except TypeError as exc:  # a required field missing or similar
            raise InvalidSpecError(f"{where}: {exc}") from None
    return Node(name, op, layer, tuple(srcs), frozenset(given), restores, key, restores_nothing)


def _toposort(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    """Kahn's algorithm, keeping file order among ready nodes (a heap of file positions:
    O(n log n) in any order of the file); a cycle is named."""
    import heapq

    index = {n.name: i for i, n in enumerate(nodes)}
    deps = {n.name: {s for s in n.inputs if s in index} for n in nodes}
    users: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for s in deps[n.name]:
            users.setdefault(s, []).append(i)
    waiting = [len(deps[n.name]) for n in nodes]
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    done: list[Node] = []
    while ready:
        i = heapq.heappop(ready)
        done.append(nodes[i])
        for j in users.get(nodes[i].name, ()):
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(done) < len(nodes):
        placed = {n.name for n in done}
        remaining = [n for n in nodes if n.name not in placed]
        cycle = _find_cycle(remaining, deps)
        start = min(range(len(cycle)), key=lambda j: index[cycle[j]])
        cycle = cycle[start:] + cycle[:start]  # data-flow order, from the first in the file
        first = index[cycle[0]]
        shown = [_clip(c, 30) for c in cycle[:8]] + (["..."] if len(cycle) > 8 else [])
        raise InvalidSpecError(
            f"layers[{first}] ({_clip(cycle[0])}): inputs must not form a cycle "
            f"({' -> '.join([*shown, shown[0]])})"
        )
    return tuple(done)


def _find_cycle(remaining: list[Node], deps: dict[str, set[str]]) -> list[str]:
    names = {n.name for n in remaining}
    path: dict[str, int] = {}
    current = remaining[0].name
    while current not in path:
        path[current] = len(path)
        current = min(deps[current] & names)
    return list(path)[path[current]:][::-1]


def _outputs(raw: Any, nodes: tuple[Node, ...], seen: dict[str, str]) -> tuple[str, ...]:
    if raw is None:
        used = {s for n in nodes for s in n.inputs}
        return tuple(n.name for n in nodes if n.name not in used)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise InvalidSpecError(f"outputs={_show(raw)} must be a list of layer names")
    for x in raw:
        if x not in seen:
            raise InvalidSpecError(f"outputs={_show(raw)} must name layers; {_show(x)} is not one")
    return tuple(raw)
