"""Read an ONNX model as a :class:`~symconv.network.Network` for ``symconv review``.

Needs the optional ``onnx`` package (``pip install symconv[onnx]``).  Supported operators:

* windows: ``Conv``, ``ConvTranspose``, ``MaxPool``, ``AveragePool``, ``MaxUnpool`` (through
  :func:`symconv.conventions.from_onnx`, which applies ONNX's ``pads`` layout and the
  ``pads``/``auto_pad`` exclusivity; a missing ``kernel_shape`` is read from the weight
  initializer);
* ``Pad`` with constant spatial pads (the size grows by before + after, whatever the mode);
* ``Resize`` / ``Upsample`` with constant ``scales`` or ``sizes`` (float scales are read
  exactly, as the binary fractions they are), ``DepthToSpace`` / ``SpaceToDepth``;
* ``Concat`` on the channel axis, ``Add``/``Sum``/``Sub``/``Mul``/``Div``/``Max``/``Min`` of two
  tensors (a merge whose spatial sizes must agree; with a constant operand: shape-preserving);
* shape-preserving elementwise ops (:data:`ELEMENTWISE`: ``Relu``, ``BatchNormalization``,
  ``Sigmoid``, ...).

Symbolic dimensions (``dim_param``) become the size symbols; a spatial dimension with neither a
value nor a name gets the symbol ``S<axis>``.  A classifier head (:data:`HEADS`: global
pooling, ``Flatten``, ``Gemm``, ``Reshape``, ...) and everything computed only from it is left
out and listed in ``Network.ignored`` (a review note).  Every other operator is reported by
name (one line, :class:`~symconv.errors.UnsupportedError`); a truncated or corrupt file is one
line too.
Nothing in the model is executed.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv.conventions import ONNX_WINDOW_OPS, from_onnx
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network import Input, Network, Node, build
from symconv.spec import Conv, Convention, Resize

__all__ = ["ELEMENTWISE", "HEADS", "MERGES", "from_model", "load_onnx"]

#: Shape-preserving operators (one data input, same spatial size out).
ELEMENTWISE = frozenset({
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Gelu", "Softplus",
    "Softsign", "HardSigmoid", "HardSwish", "Mish", "Erf", "Neg", "Abs", "Exp", "Log", "Sqrt",
    "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Clip", "Cast", "Identity", "Dropout",
    "BatchNormalization", "InstanceNormalization", "LpNormalization", "Softmax", "LogSoftmax",
    "ThresholdedRelu", "Not",
})
#: Binary elementwise operators (a merge when both operands are computed tensors).
MERGES = frozenset({"Add", "Sum", "Sub", "Mul", "Div", "Max", "Min", "Mean"})
_OTHER = frozenset({"Concat", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "Constant",
                    "Pad"})
#: Operators that end the spatial part of a model (a classifier head): they and everything
#: computed only from them are left out of the review, and listed in ``Network.ignored``.
HEADS = frozenset({
    "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "Flatten", "Gemm", "MatMul",
    "Reshape", "Squeeze", "Unsqueeze", "Transpose", "ReduceMean", "ReduceMax", "ReduceSum",
    "Shape", "Gather", "Slice",
})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_onnx(path: str | Path) -> Network:
    """Read the ONNX model at ``path`` (one-line errors for missing, truncated or corrupt files)."""
    try:
        import onnx
    except ImportError:
        raise InvalidSpecError(
            f"file={str(path)!r} is an ONNX model, which needs the onnx package "
            "(pip install symconv[onnx])"
        ) from None
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidSpecError(f"file={str(p)!r} must be readable ({exc.strerror})") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises several types for corrupt input
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise InvalidSpecError(
            f"file={str(p)!r} must be a valid ONNX model (truncated or corrupt: {why[:120]})"
        ) from None
    if not model.graph.node:
        raise InvalidSpecError(f"file={str(p)!r} must be a valid ONNX model with nodes "
                               "(the graph is empty: truncated or corrupt?)")
    return from_model(model, name=p.stem)


def from_model(model: Any, name: str = "onnx-model") -> Network:
    """Build a network from an ``onnx.ModelProto``."""
    from onnx import numpy_helper

    graph = model.graph
    consts: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    consts[node.output[0]] = numpy_helper.to_array(a.t)
    gone, heads = _heads(graph, consts)
    body = [n for n in graph.node if not (set(n.output) & gone)]
    unsupported = sorted({n.op_type for n in body
                          if n.op_type not in ONNX_WINDOW_OPS and n.op_type not in ELEMENTWISE
                          and n.op_type not in MERGES and n.op_type not in _OTHER})
    if unsupported:
        where = {op: next(_label(n) for n in graph.node if n.op_type == op) for op in unsupported}
        shown = ", ".join(f"{op} (node {where[op]})" for op in unsupported)
        raise UnsupportedError(
            f"op_type={unsupported[0]!r} is not supported by symconv review; unsupported "
            f"operators: {shown}"
        )
    names = _Names()
    inputs = _inputs(graph, consts, names)
    nd = len(inputs[0].size)
    nodes: list[Node] = []
    for node in body:
        if node.op_type == "Constant":
            continue
        built = _node(node, consts, names, nd)
        if built is not None:
            nodes.append(built)
    outputs = [names.get(o.name) for o in graph.output if names.has(o.name)]
    return build(name, Convention.ONNX, inputs, tuple(nodes), outputs or None, heads)


def _heads(graph: Any, consts: dict[str, Any]) -> tuple[set[str], tuple[str, ...]]:
    """Tensors of the classifier head: outputs of :data:`HEADS` operators and of every node
    all of whose computed inputs are such tensors (a head feeding back into the spatial part
    is reported as unsupported by the caller)."""
    gone: set[str] = set()
    first: list[str] = []
    for node in graph.node:
        data = [i for i in node.input if i and i not in consts]
        if node.op_type in HEADS or (data and all(i in gone for i in data)):
            if node.op_type in HEADS and not (data and all(i in gone for i in data)):
                first.append(f"{node.op_type} {_label(node)} and what follows it (a "
                             "non-spatial head)")
            gone.update(node.output)
    for node in graph.node:
        data = [i for i in node.input if i and i not in consts]
        if any(i in gone for i in data) and not all(i in gone for i in data):
            raise UnsupportedError(
                f"op_type={node.op_type!r} (node {_label(node)}) mixes a spatial tensor with "
                "the output of a non-spatial head; symconv review cannot follow it"
            )
    return gone, tuple(first)


class _Names:
    """ONNX tensor names -> network names (identifiers, unique)."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._used: set[str] = set()

    def add(self, tensor: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", tensor).strip("_") or "t"
        if not re.match(r"[A-Za-z_]", base):
            base = "t_" + base
        name, i = base, 1
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._used.add(name)
        self._map[tensor] = name
        return name

    def has(self, tensor: str) -> bool:
        return tensor in self._map

    def get(self, tensor: str) -> str:
        if tensor not in self._map:
            raise InvalidSpecError(f"input={tensor!r} must be produced by a node or be a graph "
                                   "input (dangling edge in the ONNX graph)")
        return self._map[tensor]


def _label(node: Any) -> str:
    return repr(node.name or (node.output[0] if node.output else node.op_type))


def _inputs(graph: Any, consts: dict[str, Any], names: _Names) -> tuple[Input, ...]:
    out: list[Input] = []
    for vi in graph.input:
        if vi.name in consts:
            continue
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            raise InvalidSpecError(f"input={vi.name!r} must have a shape (N, C, spatial...)")
        dims = list(tt.shape.dim)
        if len(dims) < 3:
            raise UnsupportedError(
                f"input={vi.name!r} has rank {len(dims)}: symconv review needs (N, C, spatial...)"
            )
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
    if not out:
        raise InvalidSpecError("the ONNX graph must have a non-constant input")
    nd = len(out[0].size)
    for i in out[1:]:
        if len(i.size) != nd:
            raise UnsupportedError(
                f"input={i.name!r} has {len(i.size)} spatial axes but the first input has {nd}"
            )
    return tuple(out)


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _node(node: Any, consts: dict[str, Any], names: _Names, nd: int) -> Node | None:
    op = node.op_type
    label = _label(node)
    attrs = _attrs(node)
    data = [i for i in node.input if i and i not in consts]
    try:
        if op in ONNX_WINDOW_OPS:
            return _window(node, attrs, consts, names, nd)
        if op in ("DepthToSpace", "SpaceToDepth"):
            layer = from_onnx(op, attrs, nd)
            return Node(names.add(node.output[0]), "pixel-shuffle" if op == "DepthToSpace"
                        else "pixel-unshuffle", layer, (names.get(node.input[0]),),
                        alias=op)
        if op == "Pad":
            return _pad(node, attrs, consts, names, nd)
        if op in ("Resize", "Upsample"):
            return _resize(node, attrs, consts, names, nd)
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
        # shape-preserving
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
        attrs["output_shape"] = [int(v) for v in shape]
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
        pads = [int(v) for v in raw]
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


def _resize(node: Any, attrs: dict[str, Any], consts: dict[str, Any], names: _Names,
            nd: int) -> Node:
    mode = attrs.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode == "cubic":
        raise UnsupportedError("mode='cubic' is not modelled (nearest and linear are)")
    scales = sizes = None
    if node.op_type == "Upsample":
        scales = consts.get(node.input[1]) if len(node.input) > 1 else attrs.get("scales")
    else:
        if len(node.input) > 2 and node.input[2]:
            scales = consts.get(node.input[2])
            if scales is None:
                raise UnsupportedError("scales must be a constant for Resize")
        if len(node.input) > 3 and node.input[3]:
            sizes = consts.get(node.input[3])
            if sizes is None:
                raise UnsupportedError("sizes must be a constant for Resize")
    kw: dict[str, Any] = {"mode": "nearest" if mode == "nearest" else "linear",
                          "convention": "onnx", "ndim": nd}
    if sizes is not None and len(sizes):
        kw["size"] = tuple(int(v) for v in list(sizes)[-nd:])
    elif scales is not None and len(scales):
        kw["scale_factor"] = tuple(_exact(float(v)) for v in list(scales)[-nd:])
    else:
        raise InvalidSpecError("scales=None and sizes=None: one must be given for Resize")
    if node.op_type == "Resize":
        ctm = attrs.get("coordinate_transformation_mode", b"half_pixel")
        ctm = ctm.decode() if isinstance(ctm, bytes) else str(ctm)
        if ctm not in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
            raise UnsupportedError(f"coordinate_transformation_mode={ctm!r} is not modelled")
        kw["coordinate_mode"] = ctm
        if mode == "nearest":
            nm = attrs.get("nearest_mode", b"round_prefer_floor")
            kw["nearest_mode"] = nm.decode() if isinstance(nm, bytes) else str(nm)
    else:
        kw["coordinate_mode"] = "asymmetric"
        if mode == "nearest":
            kw["nearest_mode"] = "floor"
    layer = Resize(**kw)
    return Node(names.add(node.output[0]), "resize", layer, (names.get(node.input[0]),),
                alias=node.op_type)


def _exact(v: float) -> int | Fraction:
    f = Fraction(v)
    return f.numerator if f.denominator == 1 else f
