"""Read an ONNX model as a :class:`~symconv.network.model.Network` for ``symconv review``.

Needs the optional ``onnx`` package (``pip install symconv[onnx]``).  Supported operators:

* windows: ``Conv``, ``ConvTranspose``, ``MaxPool``, ``AveragePool``, ``MaxUnpool`` (through
  :func:`symconv.sizes.conventions.from_onnx`, which applies ONNX's ``pads`` layout and the
  ``pads``/``auto_pad`` exclusivity; a missing ``kernel_shape`` is read from the weight
  initializer);
* ``Pad`` with constant spatial pads (the size grows by before + after, whatever the mode);
* ``Resize`` / ``Upsample`` (nearest, linear, cubic) with constant ``scales`` or ``sizes``
  (float scales are read exactly, as the binary fractions they are), or with ``sizes``
  computed from shapes as ``torch.onnx.export`` writes ``F.interpolate(x, size=...)``: the
  shape program (``Shape``, ``Gather``, ``Slice``, ``Concat``, ``Cast``, ``Unsqueeze``,
  ``Squeeze``, ``Identity``, ``ConstantOfShape``, ``Add``/``Sub``/``Mul``/``Div``/``Floor``/
  ``Ceil`` on them: :data:`SHAPE_OPS`) is folded exactly (:mod:`symconv.network.onnx_shapes`) into
  constants, ``k`` times the node's own input size (a scale) or another tensor's spatial size
  (a resize ``like`` that tensor: :attr:`~symconv.network.model.Node.size_of`, keeping the node's mode,
  ``coordinate_transformation_mode``, ``nearest_mode``, ``cubic_coeff_a`` and
  ``exclude_outside`` in :attr:`~symconv.network.model.Node.resample`); anything else is one line
  naming the node and op that could not be folded;
* ``Slice`` of a spatial tensor with constant bounds (a :class:`~symconv.spec.Slice` crop;
  INT64 extremes as 'through the end'; a channel slice changes the channel count, a batch
  slice nothing); ``DepthToSpace`` / ``SpaceToDepth``;
* ``GlobalAveragePool``/``GlobalMaxPool`` and ``ReduceMean``/``ReduceMax`` over exactly the
  spatial axes with ``keepdims=1``: adaptive pooling to size 1 (a gate, broadcast by an
  elementwise merge: squeeze-excitation, the ASPP image pooling);
* ``Concat`` on the channel axis, ``Add``/``Sum``/``Sub``/``Mul``/``Div``/``Max``/``Min`` of two
  tensors (a merge whose spatial sizes must agree; with a constant operand: shape-preserving);
* shape-preserving elementwise ops (:data:`ELEMENTWISE`: ``Relu``, ``BatchNormalization``,
  ``Sigmoid``, ...);
* chains of ``Reshape``/``Flatten``/``Squeeze``/``Unsqueeze``/``Transpose`` (with
  normalisations and arithmetic between them) that give back the spatial layout of the tensor
  they started from, with their target shapes folded exactly (GroupNorm's Reshape ->
  InstanceNormalization -> Reshape, a channel shuffle, LayerNorm over channels between two
  Transposes): read as that tensor's identity (:class:`~symconv.network.onnx_shapes._Layout`).
  Static channel counts are propagated from the weights as the graph is read, so ``C // g``
  folds.

Symbolic dimensions (``dim_param``) become the size symbols; a spatial dimension with neither a
value nor a name gets the symbol ``S<axis>``.  A classifier head (:data:`HEADS`:
``Flatten``, ``Gemm``, ``MatMul``, a reduction that drops axes, a reshape that changes the
spatial layout, ...) and everything computed from it is left out and listed in
``Network.ignored``, also where it meets a spatial tensor again; the review then states its
valid sizes for the analysed outputs only (SC302).  Every other operator is reported by name
(one line, :class:`~symconv.errors.UnsupportedError`); a truncated or corrupt file is one line
too.
Nothing in the model is executed, and nothing is read past what a review needs: the file's
size and the memory of parsing it are checked first (:data:`MAX_BYTES`, :data:`MAX_PARSE`,
:mod:`symconv.network.onnx_wire`), tensors are checked in O(1) and read only when small,
external data never (:mod:`symconv.network.onnx_tensors`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network.model import MAX_NAME, Input, Network, Node, Resample, build
from symconv.network.onnx_shapes import (
    _INT32_MAX,
    _INT64_MAX,
    GLOBAL_POOLS,
    HEADS,
    RESHAPES,
    SHAPE_OPS,
    _attrs,
    _Flow,
    _label,
    _Lin,
    _slice_params,
    _Unfoldable,
    _Vec,
)
from symconv.network.onnx_tensors import Consts, int_values
from symconv.network.onnx_wire import parse_cost
from symconv.sizes.conventions import ONNX_WINDOW_OPS, from_onnx
from symconv.spec import AdaptiveAvgPool, AdaptiveMaxPool, Conv, Convention, Resize, Slice

__all__ = ["ELEMENTWISE", "HEADS", "MAX_BYTES", "MAX_NODES", "MAX_PARSE", "MERGES", "SHAPE_OPS",
           "from_model", "load_onnx"]

#: Shape-preserving operators (one data input, same spatial size out).
ELEMENTWISE = frozenset({
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Gelu", "Softplus",
    "Softsign", "HardSigmoid", "HardSwish", "Mish", "Erf", "Neg", "Abs", "Exp", "Log", "Sqrt",
    "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Clip", "Cast", "Identity", "Dropout",
    "BatchNormalization", "InstanceNormalization", "LpNormalization", "Softmax", "LogSoftmax",
    "ThresholdedRelu", "Not", "LRN", "MeanVarianceNormalization", "GroupNormalization",
    "LayerNormalization", "Shrink", "Hardmax", "Swish", "Sin", "Cos",
})
#: Binary elementwise operators (a merge when both operands are computed tensors).
MERGES = frozenset({"Add", "Sum", "Sub", "Mul", "Div", "Max", "Min", "Mean", "Pow"})
_OTHER = frozenset({"Concat", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "Constant",
                    "Pad", "Slice", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                    *GLOBAL_POOLS, *RESHAPES})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


#: Largest ONNX file read (bytes): parsing holds the file and its parsed form (about twice
#: its size, checked before it is read).
MAX_BYTES = 1 << 30
#: Most memory parsing a file may take (the file and its parsed messages, estimated from the
#: wire format first: :func:`symconv.network.onnx_wire.parse_cost`).
MAX_PARSE = 2 << 30
#: Most nodes of an ONNX graph (shape programs included; the spatial ones are also bounded by
#: :data:`~symconv.network.model.MAX_LAYERS`).
MAX_NODES = 50_000


def load_onnx(path: str | Path) -> Network:
    """Read the ONNX model at ``path`` (one-line errors for missing, truncated, corrupt or
    oversized files).  External data is never read (its location is checked to lie inside
    the model's folder): the review needs the declared shapes of weights only."""
    try:
        import onnx
    except ImportError:
        raise InvalidSpecError(
            f"file={fmt(str(path))} is an ONNX model, which needs the onnx package "
            "(pip install symconv[onnx])"
        ) from None
    p = Path(path)
    where = f"file={fmt(str(p))}"
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InvalidSpecError(f"{where}: size={size} bytes must be at most {MAX_BYTES} "
                                   f"({MAX_BYTES >> 20} MiB) for an ONNX model")
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)  # bounded whatever the file claims (a pipe, ...)
    except OSError as exc:
        raise InvalidSpecError(f"{where} must be readable ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise InvalidSpecError(f"{where} must be at most {MAX_BYTES} bytes for an ONNX model")
    need = len(data) + parse_cost(data, onnx.ModelProto.DESCRIPTOR, where)
    if need > MAX_PARSE:
        raise InvalidSpecError(f"{where}: parsing it needs about {need >> 20} MiB (its "
                               f"messages parse to far more than their bytes), which must be "
                               f"at most {MAX_PARSE >> 20} MiB")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises several types for corrupt input
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise InvalidSpecError(
            f"{where} must be a valid ONNX model (truncated or corrupt: {why[:120]})"
        ) from None
    del data
    if not model.graph.node:
        raise InvalidSpecError(f"{where} must be a valid ONNX model with nodes "
                               "(the graph is empty: truncated or corrupt?)")
    return from_model(model, name=p.stem, base_dir=str(p.parent))


def from_model(model: Any, name: str = "onnx-model", base_dir: str | None = None) -> Network:
    """Build a network from an ``onnx.ModelProto`` (``base_dir``: the model's folder, where
    external data must lie; it is never read)."""
    graph = model.graph
    if len(graph.node) > MAX_NODES:
        raise InvalidSpecError(f"graph.node: {len(graph.node)} nodes must be at most "
                               f"{MAX_NODES} for symconv review")
    consts: Any = Consts(graph.initializer, base_dir)
    _single_assignment(graph, consts)
    names = _Names()
    params: set[str] = set()
    inputs = _inputs(graph, consts, names, params)
    nd = len(inputs[0].size)
    spatial = {vi.name for vi in graph.input if vi.name not in consts and vi.name not in params}
    flow = _Flow(consts, nd, spatial, _static_batch(graph, spatial), _input_channels(graph),
                 base_dir)
    for name in sorted(params):
        flow.unfolded[name] = f"graph input {fmt(name)} (rank < 3) is known only at run time"
    for node in graph.node:
        flow.visit(node)
    body = [n for n in graph.node if n.output and n.output[0] in flow.spatial]
    unsupported = sorted({n.op_type for n in body
                          if n.op_type not in ONNX_WINDOW_OPS and n.op_type not in ELEMENTWISE
                          and n.op_type not in MERGES and n.op_type not in _OTHER})
    if unsupported:
        where = {op: next(_label(n) for n in body if n.op_type == op) for op in unsupported}
        shown = ", ".join(f"{op} (node {where[op]})" for op in unsupported)
        raise UnsupportedError(
            f"op_type={fmt(unsupported[0])} is not supported by symconv review; unsupported "
            f"operators: {shown}"
        )
    nodes = tuple(_node(node, flow, names, nd) for node in body)
    if not nodes:
        why = f": not analysed: {flow.heads[0]}" if flow.heads else ""
        raise UnsupportedError(f"the model has no spatial layer symconv review can analyse{why}")
    for o in graph.output:
        if o.name in flow.detached:
            flow.heads.append(f"output {fmt(o.name)}: a reshape of "
                              f"{fmt(flow.detached[o.name].origin)} "
                              f"that changes its spatial layout ({flow.detached[o.name].start})")
            flow.head_sources.append((flow.detached[o.name].origin,))
    outputs = [names.get(o.name) for o in graph.output if names.has(o.name)]
    net = build(name, Convention.ONNX, inputs, nodes, outputs or None, tuple(flow.heads))
    sources = tuple(tuple(names.get(t) if t and names.has(t) else "" for t in ts)
                    for ts in flow.head_sources)
    return dataclasses.replace(net, ignored_sources=sources)


def _single_assignment(graph: Any, consts: dict[str, Any]) -> None:
    """Refuse a tensor name defined twice (two graph inputs, or a node output named like a
    graph input or another output): ONNX names are single-assignment, and the importer would
    otherwise rename one copy and read the wrong tensor."""
    seen: dict[str, str] = {}
    defs = [(vi.name, f"graph.input[{i}]") for i, vi in enumerate(graph.input)
            if vi.name not in consts]
    defs += [(t, f"output of graph.node[{j}], {n.op_type[:30]}") for j, n in
             enumerate(graph.node) for t in n.output if t]
    for tensor, where in defs:
        if tensor in seen:
            shown = tensor if len(tensor) <= 60 else tensor[:60] + "..."
            raise InvalidSpecError(f"tensor={fmt(shown)} ({where}) must be unique (already "
                                   f"defined by {seen[tensor]}: ONNX names are single-assignment)")
        seen[tensor] = where


def _input_channels(graph: Any) -> dict[str, int]:
    """The static channel counts of the graph inputs (axis 1); :class:`_Flow` propagates them
    through the graph (:meth:`~symconv.network.onnx_shapes._Flow.track_channels`)."""
    ch: dict[str, int] = {}
    for vi in graph.input:
        dims = list(vi.type.tensor_type.shape.dim)
        if len(dims) >= 3 and dims[1].HasField("dim_value") and dims[1].dim_value > 0:
            ch[vi.name] = int(dims[1].dim_value)
    return ch


def _static_batch(graph: Any, spatial: set[str]) -> int | None:
    """The batch size every spatial graph input fixes (``dim_value``), if they all fix the
    same."""
    seen: set[int | None] = set()
    for vi in graph.input:
        if vi.name not in spatial:
            continue
        dims = list(vi.type.tensor_type.shape.dim)
        d = dims[0] if dims else None
        seen.add(int(d.dim_value) if d is not None and d.HasField("dim_value") else None)
    return next(iter(seen)) if len(seen) == 1 else None


class _Names:
    """ONNX tensor names -> network names (identifiers, unique)."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._used: set[str] = set()
        self._next: dict[str, int] = {}  # base -> the next suffix to try (no quadratic scan)

    def add(self, tensor: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", tensor[:MAX_NAME]).strip("_") or "t"
        if not re.match(r"[A-Za-z_]", base):
            base = "t_" + base
        base = base[:MAX_NAME - 12]  # room for a suffix; a network name has at most MAX_NAME
        name, i = base, self._next.get(base, 1)
        if i > 1:
            name = f"{base}_{i}"
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._next[base] = i
        self._used.add(name)
        self._map[tensor] = name
        return name

    def has(self, tensor: str) -> bool:
        return tensor in self._map

    def get(self, tensor: str) -> str:
        if tensor not in self._map:
            raise InvalidSpecError(f"input={fmt(tensor)} must be produced by a node or be a graph "
                                   "input (dangling edge in the ONNX graph)")
        return self._map[tensor]


def _inputs(graph: Any, consts: dict[str, Any], names: _Names,
            params: set[str] | None = None) -> tuple[Input, ...]:
    """The spatial inputs (rank >= 3).  Inputs of rank < 3 (a Dropout ``training_mode``
    flag, a scalar) are parameters known only at run time: added to ``params``; a shape or
    size computed from one is then reported where it is needed."""
    out: list[Input] = []
    small: list[tuple[str, int]] = []
    for vi in graph.input:
        if vi.name in consts:
            continue
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            raise InvalidSpecError(f"input={fmt(vi.name)} must have a shape (N, C, spatial...)")
        dims = list(tt.shape.dim)
        if len(dims) < 3:
            small.append((vi.name, len(dims)))
            continue
        size: list[int | str] = []
        for a, d in enumerate(dims[2:]):
            if d.HasField("dim_value") and d.dim_value > 0:
                size.append(int(d.dim_value))
            elif d.HasField("dim_param") and _IDENT.fullmatch(d.dim_param):
                size.append(d.dim_param)
            elif d.HasField("dim_param"):
                size.append(re.sub(r"\W", "_", d.dim_param).lstrip("0123456789_") or f"S{a}")
            else:
                size.append(f"S{a}")
        ch = dims[1].dim_value if dims[1].HasField("dim_value") and dims[1].dim_value > 0 \
            else None
        out.append(Input(names.add(vi.name), tuple(size), ch))
    if not out and small:
        raise UnsupportedError(
            f"input={fmt(small[0][0])} has rank {small[0][1]}: symconv review needs (N, C, "
            "spatial...)"
        )
    if not out:
        raise InvalidSpecError("the ONNX graph must have a non-constant input")
    if params is not None:
        params.update(name for name, _ in small)
    nd = len(out[0].size)
    for i in out[1:]:
        if len(i.size) != nd:
            raise UnsupportedError(
                f"input={fmt(i.name)} has {len(i.size)} spatial axes but the first input has {nd}"
            )
    return tuple(out)


def _node(node: Any, flow: _Flow, names: _Names, nd: int) -> Node:
    op = node.op_type
    label = _label(node)
    attrs = _attrs(node)
    data = [i for i in node.input if i and i in flow.spatial]
    try:
        if node.output[0] in flow.merged:  # torch.stack(ts).sum(0), mean, max or min
            return Node(names.add(node.output[0]), "add", None,
                        tuple(names.get(i) for i in flow.merged[node.output[0]]),
                        alias=f"stack+{op}")
        if op in GLOBAL_POOLS:  # to size 1 on every spatial axis (Flow.global_pool)
            kind = AdaptiveAvgPool if op in ("GlobalAveragePool", "ReduceMean") else AdaptiveMaxPool
            return Node(names.add(node.output[0]), "adaptive-avg-pool" if kind is AdaptiveAvgPool
                        else "adaptive-max-pool", kind(1, convention="onnx"),
                        (names.get(node.input[0]),), alias=op)
        if op in RESHAPES:  # a chain of reshapes that gives back a tensor's spatial layout
            out = node.output[0]
            src = (names.get(flow.identity_of[out]),)
            if out in flow.channel_change:  # a Linear over channels between two permutes
                return Node(names.add(out), "conv", Conv(kernel=1, out_channels=flow.channel_change[
                    out], convention="onnx"), src, alias=op)
            return Node(names.add(out), "identity", None, src, alias=op)
        if op in ONNX_WINDOW_OPS and op not in ("DepthToSpace", "SpaceToDepth"):
            return _window(node, attrs, flow.consts, names, nd)
        if op in ("DepthToSpace", "SpaceToDepth"):
            layer = from_onnx(op, attrs, nd)
            return Node(names.add(node.output[0]), "pixel-shuffle" if op == "DepthToSpace"
                        else "pixel-unshuffle", layer, (names.get(node.input[0]),),
                        alias=op)
        if op == "Pad":
            return _pad(node, attrs, flow.consts, names, nd)
        if op in ("Resize", "Upsample"):
            return _resize(node, attrs, flow, names, nd)
        if op == "Slice":
            return _slice(node, attrs, flow, names, nd)
        if op == "Concat":
            axis = int(attrs.get("axis", 1))
            if axis not in (1, -(nd + 1)):
                raise UnsupportedError(
                    f"axis={axis} must be the channel axis 1 for Concat (node {label}): "
                    "concatenation along a spatial axis is not modelled"
                )
            if len(data) < 2:
                return Node(names.add(node.output[0]), "identity", None,
                            (names.get(data[0]),), alias=op)
            return Node(names.add(node.output[0]), "concat", None,
                        tuple(names.get(i) for i in data), alias=op)
        if op in MERGES:
            if len(data) >= 2:
                return Node(names.add(node.output[0]), "add", None,
                            tuple(names.get(i) for i in data), alias=op)
            return Node(names.add(node.output[0]), "identity", None, (names.get(data[0]),),
                        alias=op)
        # shape-preserving: the data tensor is the first input
        return Node(names.add(node.output[0]), "identity", None, (names.get(node.input[0]),),
                    alias=op)
    except SymconvError as exc:
        msg = str(exc)
        raise type(exc)(f"node {label} ({op}): {msg}") from None


def _window(node: Any, attrs: dict[str, Any], consts: dict[str, Any], names: _Names,
            nd: int) -> Node:
    op = node.op_type
    attrs = dict(attrs)
    weight = consts.get(node.input[1]) if op in ("Conv", "ConvTranspose") and len(
        node.input) > 1 else None
    if "kernel_shape" not in attrs and weight is not None:
        attrs["kernel_shape"] = list(weight.shape[2:])
    if op == "MaxUnpool" and len(node.input) > 2 and node.input[2]:
        shape = consts.get(node.input[2])
        if shape is None:
            raise UnsupportedError("output_shape must be a constant for MaxUnpool")
        attrs["output_shape"] = int_values(shape, "output_shape")
    layer: Any = from_onnx(op, attrs, nd)
    if op == "MaxUnpool" and "output_shape" in attrs:
        import dataclasses

        layer = dataclasses.replace(layer, output_size=tuple(attrs["output_shape"][-nd:]))
    if weight is not None:
        import dataclasses

        g = int(attrs.get("group", 1))
        out = int(weight.shape[0]) if op == "Conv" else int(weight.shape[1]) * g
        layer = dataclasses.replace(layer, out_channels=out)
    kind = {"Conv": "conv", "ConvTranspose": "conv-transpose", "MaxPool": "max-pool",
            "AveragePool": "avg-pool", "MaxUnpool": "max-unpool"}[op]
    given = frozenset({"count_include_pad"}) if "count_include_pad" in attrs else frozenset()
    return Node(names.add(node.output[0]), kind, layer, (names.get(node.input[0]),), given,
                alias=op)


def _pad(node: Any, attrs: dict[str, Any], consts: dict[str, Any], names: _Names,
         nd: int) -> Node:
    """ONNX ``Pad``: ``pads`` = [x1_begin, ..., xR_begin, x1_end, ..., xR_end] over all R axes
    (an input from opset 11, an attribute before); only the spatial part may be non-zero."""
    if len(node.input) > 1 and node.input[1]:
        raw = consts.get(node.input[1])
        if raw is None:
            raise UnsupportedError("pads must be a constant for Pad")
        pads = int_values(raw, "pads")
    else:
        pads = [int(v) for v in attrs.get("pads", [])]
    if len(node.input) > 3 and node.input[3]:
        raise UnsupportedError("axes must not be given for Pad (pads of every axis are needed)")
    rank = len(pads) // 2
    if rank != nd + 2 or any(pads[i] or pads[rank + i] for i in range(2)):
        raise UnsupportedError(f"pads={pads} must pad the spatial axes of (N, C, spatial...) only")
    pairs = tuple((pads[2 + a], pads[rank + 2 + a]) for a in range(nd))
    mode = attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    # A 1-tap conv with this padding has the pad's size; PyTorch's padding modes carry the
    # limits onnxruntime applies too (reflect: pad < n; wrap: pad <= n).
    fill = {"reflect": "reflect", "wrap": "circular"}.get(mode, "zeros")
    layer = Conv(kernel=1, padding=pairs, padding_mode=fill, ndim=nd)
    return Node(names.add(node.output[0]), "pad", layer, (names.get(node.input[0]),),
                alias="Pad")


def _slice(node: Any, attrs: dict[str, Any], flow: _Flow, names: _Names, nd: int) -> Node:
    """A ``Slice`` of a spatial tensor: constant starts/ends/axes/steps (inputs from opset 10,
    attributes before).  Spatial axes become a :class:`~symconv.spec.Slice` crop, the channel
    axis its ``channels`` slice; a batch slice leaves every size alone."""
    try:
        starts, ends, axes, steps = _slice_params(flow, node, attrs)
    except _Unfoldable as exc:
        raise UnsupportedError(f"{exc} (a slice whose bounds are computed is not "
                               "modelled)") from None
    rank = nd + 2
    start: list[int] = [0] * nd
    end: list[int | None] = [None] * nd
    step: list[int] = [1] * nd
    channels: tuple[int, int | None, int] | None = None
    seen: set[int] = set()
    for s0, e0, ax, sp in zip(starts, ends, axes, steps, strict=True):
        a = ax + rank if ax < 0 else ax
        if not 0 <= a < rank or a in seen:
            raise InvalidSpecError(f"axes={axes} must be distinct axes of the rank-{rank} input")
        seen.add(a)
        if sp == 0:
            raise InvalidSpecError(f"steps={steps} must be non-zero (ONNX Slice)")
        b, e = _slice_bounds(s0, e0, sp)
        if a == 0:
            continue  # the batch axis: spatial sizes and channels are unchanged
        if a == 1:
            channels = (b, e, sp)
        else:
            start[a - 2], end[a - 2], step[a - 2] = b, e, sp
    layer = Slice(start=tuple(start), end=tuple(end), step=tuple(step), channels=channels,
                  convention="onnx", ndim=nd)
    return Node(names.add(node.output[0]), "slice", layer, (names.get(node.input[0]),),
                alias="Slice")


def _slice_bounds(start: int, end: int | None, step: int) -> tuple[int, int | None]:
    """Bounds as exact equivalents for every int64 size ``n``.  onnxruntime reads an ``end``
    of ``2**31 - 1`` or ``2**63 - 1`` as NumPy's ``None`` in either direction (torch writes
    ``x[:, :, 1:]`` with ``end = 2**63 - 1``): with a negative step that runs through the
    beginning, where the ONNX spec's clamp would stop at ``n - 1`` (an empty slice)."""
    if end is not None and end in (_INT32_MAX, _INT64_MAX):
        end = None
    if step > 0:
        if start <= -_INT64_MAX:
            start = 0  # n + start < 0, clamped to 0
        if end is not None and end <= -_INT64_MAX:
            end = 0  # n + end < 0, clamped to 0
    else:
        if start >= _INT64_MAX:
            start = -1  # clamped to n - 1
        if end is not None and end <= -_INT64_MAX:
            end = None  # n + end < -1, clamped to -1: through the beginning
    return start, end


def _resize(node: Any, attrs: dict[str, Any], flow: _Flow, names: _Names, nd: int) -> Node:
    """``Resize`` / ``Upsample``: constant ``scales``/``sizes`` through
    :func:`~symconv.sizes.conventions.from_onnx`; ``sizes`` computed from shapes become a fixed size
    (constant), a scale (``k`` times the node's own input size, ``k`` an integer) or a resize
    to another tensor's spatial size (``Node.size_of``); anything else is one line."""
    op = node.op_type
    ins = list(node.input)
    attrs = dict(attrs)
    axes = attrs.pop("axes", None)
    if op == "Upsample":
        scales = flow.value(ins[1], "scales") if len(ins) > 1 else None
        if scales is None and "scales" in attrs:
            if not all(isinstance(v, float | int) and math.isfinite(v) for v in attrs["scales"]):
                raise InvalidSpecError(f"scales={fmt(list(attrs['scales']))} must be finite "
                                       "numbers for Upsample")
            scales = _Vec(tuple(_Lin(Fraction(float(v))) for v in attrs["scales"]),
                          floating=True)
        sizes = None
    elif len(ins) == 2:  # opset 10: (X, scales)
        scales, sizes = flow.value(ins[1], "scales"), None
    else:
        scales = flow.value(ins[2], "scales") if len(ins) > 2 else None
        sizes = flow.value(ins[3], "sizes") if len(ins) > 3 else None
    rank = nd + 2
    if scales is not None and sizes is None:
        if not scales.constant:
            raise UnsupportedError("scales computed from sizes are not modelled (sizes are)")
        vals = _full([float(e.const) for e in scales.entries], axes, rank, 1.0)
        layer = from_onnx(op, attrs, nd, scales=vals)
        return Node(names.add(node.output[0]), "resize", layer, (names.get(ins[0]),),
                    alias=op)
    if sizes is None:
        raise InvalidSpecError("scales=None and sizes=None: one must be given for Resize")
    x = ins[0]
    given = list(sizes.entries)
    if axes is not None:
        full: list[_Lin] = [flow.dim(x, a) for a in range(rank)]
        if len(axes) != len(given):
            raise InvalidSpecError(f"axes={list(axes)} must have one entry per size "
                                   f"({len(given)})")
        for a, e in zip(axes, given, strict=True):
            full[int(a) % rank] = e
        given = full
    if len(given) not in (nd, rank):
        raise InvalidSpecError(f"sizes must have {rank} entries (N, C and {nd} spatial)")
    if sizes.constant and axes is None:
        layer = from_onnx(op, attrs, nd, sizes=[int(e.const) for e in given])
        return Node(names.add(node.output[0]), "resize", layer, (names.get(x),), alias=op)
    if len(given) == rank:
        _check_batch_channels(flow, x, given)
    kinds = [_size_kind(x, a, e) for a, e in enumerate(given[-nd:])]
    tags = {k[0] for k in kinds}
    if tags == {"const"}:
        layer = from_onnx(op, attrs, nd, sizes=[int(k[1]) for k in kinds])
    elif tags == {"scale"}:
        layer = from_onnx(op, attrs, nd, scales=[float(k[1]) for k in kinds])
    elif tags == {"like"} and len({k[1] for k in kinds}) == 1:
        # the mode attributes, read and checked as for a constant size
        spec = from_onnx(op, attrs, nd, sizes=[1] * nd)
        if not isinstance(spec, Resize):  # pragma: no cover - Resize/Upsample give a Resize
            raise UnsupportedError(f"{op}: no resize spec")
        resample = Resample.of(spec)
        target = names.get(str(kinds[0][1]))
        return Node(names.add(node.output[0]), "resize", None, (names.get(x), target),
                    alias=op, size_of=target, resample=resample)
    else:
        shown = ", ".join(f"axis {a + 2}: {e.show()}" for a, e in enumerate(given[-nd:]))
        raise UnsupportedError(
            f"sizes=[{shown}] mixes constants, scales and other tensors' sizes; symconv models "
            "all-constant sizes, k * the input's own size, or one other tensor's size"
        )
    return Node(names.add(node.output[0]), "resize", layer, (names.get(x),), alias=op)


def _full(vals: list[float], axes: Any, rank: int, fill: float) -> list[float]:
    if axes is None:
        return vals
    if len(axes) != len(vals):
        raise InvalidSpecError(f"axes={list(axes)} must have one entry per scale ({len(vals)})")
    out = [fill] * rank
    for a, v in zip(axes, vals, strict=True):
        out[int(a) % rank] = v
    return out


def _check_batch_channels(flow: _Flow, x: str, given: list[_Lin]) -> None:
    """Computed ``sizes`` must keep the batch and channel counts of ``x``."""
    n, c = given[0], given[1]
    batch_ok = (not n.terms and flow.batch is not None and n.const == flow.batch) or (
        not n.const and len(n.terms) == 1 and n.terms[0][0][1] == 0 and n.terms[0][1] == 1)
    if not batch_ok:
        raise UnsupportedError(f"sizes[0]={n.show()} must be the batch size (Shape of a "
                               "tensor, axis 0): resizing the batch axis is not modelled")
    if c not in (_Lin.dim(x, 1), flow.dim(x, 1)):
        raise UnsupportedError(f"sizes[1]={c.show()} must be the channel count of {fmt(x)} "
                               "(Shape of it, axis 1): resizing channels is not modelled")


def _size_kind(x: str, a: int, e: _Lin) -> tuple[str, int | str]:
    """What a computed spatial size on axis ``a`` (0-based over spatial axes) is."""
    if not e.terms:
        if e.const.denominator != 1 or e.const < 1:
            raise UnsupportedError(f"sizes[{a + 2}]={e.show()} must be a positive integer")
        return "const", int(e.const)
    if e.const == 0 and len(e.terms) == 1:
        (t, axis), coef = e.terms[0]
        if axis == a + 2 and t == x and coef.denominator == 1 and coef >= 1:
            return "scale", int(coef)
        if axis == a + 2 and coef == 1:
            return "like", t
    raise UnsupportedError(
        f"sizes[{a + 2}]={e.show()} is not modelled: a constant, an integer times the input's "
        "own size on that axis, or another tensor's size on that axis"
    )
