"""Fold the shape subgraphs of an ONNX model exactly, for :mod:`symconv.network.onnx_import`.

One job: one pass over an ONNX graph (:class:`_Flow`) that sorts every tensor into constants,
folded shape values, spatial tensors, tensors of a classifier head (:data:`HEADS`) and values
that could not be folded, and interprets the integer shape programs ``torch.onnx.export``
writes (:data:`SHAPE_OPS`: ``Shape``, ``Gather``, ``Slice``, ``Concat``, ``Cast``, arithmetic,
...) as exact rational affine forms in tensor sizes, so that a ``Resize``'s ``sizes`` or a
``Slice``'s bounds become constants, scales or another tensor's size.  Nothing in the model is
executed; ``onnx`` and numpy are imported only when a value is folded.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv._params import fmt
from symconv.errors import UnsupportedError
from symconv.network.onnx_tensors import MAX_READ, Declared, to_value

__all__ = ["GLOBAL_POOLS", "HEADS", "RESHAPES", "SHAPE_OPS"]

#: Operators that end the spatial part of a model (a classifier head): they and everything
#: computed only from them are left out of the review, and listed in ``Network.ignored``.
HEADS = frozenset({
    "GlobalLpPool", "Flatten", "Gemm", "MatMul", "Reshape", "Squeeze", "Unsqueeze",
    "Transpose", "ReduceMean", "ReduceMax", "ReduceSum", "Shape", "Gather",
})
#: Global poolings read as adaptive pooling to size 1 (``ReduceMean``/``ReduceMax`` only over
#: exactly the spatial axes with ``keepdims=1``; see :meth:`_Flow.global_pool`).
GLOBAL_POOLS = frozenset({"GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax"})
#: Operators that only change how a tensor's elements are laid out (:class:`_Layout`): a chain
#: of them that gives back the spatial layout of the tensor it started from (GroupNorm's
#: Reshape -> InstanceNormalization -> Reshape, a channel shuffle, LayerNorm over channels
#: between two Transposes) is that tensor's identity; any other chain is a head.
RESHAPES = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose"})
#: Reductions: over every spatial axis without keepdims they end the spatial part with an
#: output whose shape does not depend on the input size (a classifier's ``x.mean((2, 3))``).
_REDUCTIONS = frozenset({"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceL2",
                         "ReduceL1", "ReduceLogSumExp", "ReduceProd", "ReduceSumSquare"})
#: Operators a reshaped tensor passes through with its layout unchanged (one data input).
_LAYOUT_KEEPING = frozenset({
    "InstanceNormalization", "LayerNormalization", "GroupNormalization",
    "BatchNormalization", "MeanVarianceNormalization", "Softmax", "LogSoftmax", "Identity",
    "Relu", "Sigmoid", "Tanh", "Cast", "Dropout", "Add", "Sub", "Mul", "Div", "Clip",
    "HardSigmoid", "HardSwish", "LeakyRelu", "Gelu", "Erf", "Sqrt", "Pow", "Neg", "Exp",
})


# --------------------------------------------------------------------------- shape values
#
# ``torch.onnx.export`` writes ``F.interpolate(x, size=skip.shape[2:])`` as a small integer
# program: Shape -> Gather/Slice -> (Cast, Mul, Div, Floor) -> Unsqueeze -> Concat -> Resize.
# :class:`_Flow` folds such programs exactly, without executing anything from the file: a
# value is a vector (or scalar) whose entries are exact rational affine forms in the sizes of
# tensors (:class:`_Lin`).  Float arithmetic on sizes is read as exact rational arithmetic,
# as constant float scales are (float32 rounding of a size would only matter above 2**24).
# What it cannot fold is remembered with the node and op that stopped it, and reported only
# where a value is needed (a Resize's sizes, a Slice's bounds).


@dataclass(frozen=True, slots=True)
class _Lin:
    """``const + sum(coef * size of tensor t on axis a)`` with exact rational coefficients
    (``terms`` sorted, no zero coefficient: equal values compare equal)."""

    const: Fraction
    terms: tuple[tuple[tuple[str, int], Fraction], ...] = ()

    @staticmethod
    def dim(tensor: str, axis: int) -> _Lin:
        return _Lin(Fraction(0), (((tensor, axis), Fraction(1)),))

    def plus(self, other: _Lin, sign: int = 1) -> _Lin:
        acc = dict(self.terms)
        for k, v in other.terms:
            acc[k] = acc.get(k, Fraction(0)) + sign * v
        return _Lin(self.const + sign * other.const,
                    tuple(sorted((k, v) for k, v in acc.items() if v)))

    def times(self, f: Fraction) -> _Lin:
        return _Lin(self.const * f, tuple((k, v * f) for k, v in self.terms if v * f))

    @property
    def integral(self) -> bool:
        return self.const.denominator == 1 and all(v.denominator == 1 for _, v in self.terms)

    def show(self) -> str:
        parts = [f"{'' if v == 1 else f'{v}*'}size({fmt(t)})[{a}]" for (t, a), v in self.terms]
        if self.const or not parts:
            parts.append(str(self.const))
        return " + ".join(parts)


@dataclass(frozen=True, slots=True)
class _Vec:
    """A folded shape value: its entries, whether it is a scalar, whether it is a float
    tensor (integer division truncates, float division is exact)."""

    entries: tuple[_Lin, ...]
    scalar: bool = False
    floating: bool = False

    @property
    def constant(self) -> bool:
        return all(not e.terms for e in self.entries)


@dataclass(frozen=True, slots=True)
class _Layout:
    """A tensor reshaped from the spatial tensor ``origin`` by :data:`RESHAPES` (and passed
    through layout-keeping ops): its ``dims`` (exact affine forms in ``origin``'s sizes, or
    ``None`` where not known), and where ``origin``'s spatial block (the trailing axes,
    contiguous in memory) now is:

    * ``perm`` (Transposes alone so far): the current axes are ``origin``'s axes in this
      order; the layout is ``origin``'s again when ``perm`` is the identity;
    * ``perm is None``: some Reshape happened; ``intact`` says the spatial block is still the
      trailing block of memory, in order (a Reshape keeps memory order; a Transpose keeps the
      block only when the trailing dims are exactly the spatial axes and stay last).  Then a
      Reshape to exactly ``origin``'s dims gives back ``origin``'s layout.

    ``start`` names the node that detached it (for the notes)."""

    origin: str
    dims: tuple[_Lin | None, ...]
    perm: tuple[int, ...] | None
    intact: bool
    start: str


class _Unfoldable(Exception):
    """A shape computation symconv cannot fold exactly (carries the one-line reason);
    ``inherited`` when the reason is an input's (its node is named once, where it failed)."""

    def __init__(self, why: str, inherited: bool = False) -> None:
        super().__init__(why)
        self.inherited = inherited


_FLOAT_TYPES = frozenset({1, 10, 11, 16})  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
_INT_TYPES = frozenset({2, 3, 4, 5, 6, 7, 12, 13})  # the (u)int8..64 types
#: Operators folded on shape values.
SHAPE_OPS = frozenset({"Shape", "Gather", "Slice", "Concat", "Cast", "CastLike", "Unsqueeze",
                       "Squeeze", "ConstantOfShape", "Identity", "Add", "Sub", "Mul", "Div",
                       "Floor", "Ceil", "Neg", "Size"})
_INT64_MAX = (1 << 63) - 1
_INT32_MAX = (1 << 31) - 1


class _Flow:
    """One pass over the graph (ONNX nodes are topologically sorted) that sorts every tensor
    into constants (``consts``), folded shape values (``values``), spatial tensors
    (``spatial``), tensors of a classifier head (``gone``, described in ``heads``) and values
    that could not be folded (``unfolded``: tensor -> why)."""

    def __init__(self, consts: Any, nd: int, graph_inputs: set[str],
                 batch: int | None, channels: dict[str, int] | None = None,
                 base_dir: str | None = None) -> None:
        #: name -> numpy array or :class:`~symconv.network.onnx_tensors.Declared` (a dict, or
        #: the lazy :class:`~symconv.network.onnx_tensors.Consts` of a file)
        self.consts = consts
        #: the model's folder (external data must lie inside it; it is never read)
        self.base_dir = base_dir
        self.nd = nd
        self.batch = batch
        #: static channel counts of tensors (propagated from the weights), for :meth:`dim`
        self.channels = channels or {}
        self.values: dict[str, _Vec] = {}
        self.unfolded: dict[str, str] = {}
        self.spatial: set[str] = set(graph_inputs)
        self.gone: set[str] = set()
        self.heads: list[str] = []
        #: for each entry of ``heads``, the spatial tensors it is computed from
        self.head_sources: list[tuple[str, ...]] = []
        #: tensors reshaped from a spatial tensor (not spatial themselves, maybe again later)
        self.detached: dict[str, _Layout] = {}
        #: spatial tensors that a chain of reshapes gave back: tensor -> the tensor it started
        #: from (the review reads them as its identity)
        self.identity_of: dict[str, str] = {}
        #: ``torch.stack(ts)``: tensor -> (the spatial tensors stacked, the new axis, the node)
        self.stacked: dict[str, tuple[tuple[str, ...], int, str]] = {}
        #: a sum, mean, max or min over a stack: spatial tensor -> the tensors merged
        self.merged: dict[str, tuple[str, ...]] = {}
        #: an identity (``identity_of``) whose channel count a Linear between two permutes
        #: changed: tensor -> the new count
        self.channel_change: dict[str, int] = {}

    def dim(self, tensor: str, axis: int) -> _Lin:
        """The size of ``tensor`` on ``axis`` as a shape program sees it: the static batch
        size and channel count when known (so ``C // 2`` folds exactly), else a symbol."""
        if axis == 0 and self.batch is not None:
            return _Lin(Fraction(self.batch))
        if axis == 1 and tensor in self.channels:
            return _Lin(Fraction(self.channels[tensor]))
        return _Lin.dim(tensor, axis)

    def visit(self, node: Any) -> None:
        op = node.op_type
        if op == "Constant":
            self._constant(node)
            return
        data = [i for i in node.input
                if i and (i in self.spatial or i in self.gone or i in self.detached
                          or i in self.stacked)]
        if (op == "Shape" and data and data[0] not in self.gone) or not data:
            self._fold(node)
            return
        if any(i in self.gone for i in data):
            if all(i in self.gone for i in data):
                self.gone.update(node.output)
                return
            self._end(node, data, "mixes a spatial tensor with the output of a non-spatial head")
            return
        if any(i in self.stacked for i in data):
            self._reduce_stack(node, data)
            return
        if op in RESHAPES:
            self._reshape(node, data[0])
            return
        if any(i in self.detached for i in data):
            self._detached(node, data)
            return
        if op in GLOBAL_POOLS and self.global_pool(node):
            self.spatial.add(node.output[0])
            return
        if op in _REDUCTIONS and self.global_pool(node, keepdims=0):
            self._head(f"{op} {_label(node)} and what follows it: a reduction over every "
                       "spatial axis (global pooling without keepdims)", [])
            self.gone.update(node.output)
            return
        if op in HEADS:
            self._head(f"{op} {_label(node)} and what follows it (a non-spatial head)", data)
            self.gone.update(node.output)
            return
        if node.output:
            self.spatial.add(node.output[0])
            self.track_channels(node)

    def track_channels(self, node: Any) -> None:
        """The static channel count of a spatial node's output, from its inputs': Conv and
        ConvTranspose from their weights, Concat on the channel axis by sum, a channel Slice
        with bounds folded exactly, DepthToSpace/SpaceToDepth by the block size, every other
        op as its first input's; left unknown (``C`` stays a symbol) when not exact."""
        op, ins, out = node.op_type, list(node.input), node.output[0]
        attrs = _attrs(node)
        c: int | None = None
        if op in ("Conv", "ConvTranspose") and len(ins) > 1 and ins[1] in self.consts:
            w = self.consts[ins[1]].shape
            c = int(w[0]) if op == "Conv" else int(w[1]) * int(attrs.get("group", 1))
        elif op == "Concat":
            parts = [self.channels.get(i) for i in ins if i and i in self.spatial]
            if int(attrs.get("axis", 0)) % (self.nd + 2) == 1 and parts and None not in parts:
                c = sum(p for p in parts if p is not None)
            elif int(attrs.get("axis", 0)) % (self.nd + 2) != 1:
                c = self.channels.get(ins[0])
        elif op in ("DepthToSpace", "SpaceToDepth") and ins[0] in self.channels:
            r2 = int(attrs.get("blocksize", 1)) ** 2
            have = self.channels[ins[0]]
            c = (have // r2 if have % r2 == 0 else None) if op == "DepthToSpace" else have * r2
        elif op == "Slice":
            c = self._sliced_channels(node, attrs)
        else:
            c = self.channels.get(ins[0]) if ins else None
        if c is not None and c > 0:
            self.channels[out] = c

    def _sliced_channels(self, node: Any, attrs: dict[str, Any]) -> int | None:
        have = self.channels.get(node.input[0])
        try:
            starts, ends, axes, steps = _slice_params(self, node, attrs)
        except (_Unfoldable, UnsupportedError, ValueError, TypeError):
            return None
        rank = self.nd + 2
        axes = axes or list(range(len(starts)))
        if 1 not in [a % rank for a in axes]:
            return have
        if have is None:
            return None
        i = [a % rank for a in axes].index(1)
        return len(range(have)[slice(starts[i], ends[i], steps[i] if steps else 1)])

    def axes_of(self, node: Any) -> tuple[list[int] | None, bool]:
        """The ``axes`` of a reduction or an (un)squeeze, from the attribute (older opsets) or
        the constant second input: ``(axes, True)``; ``(None, True)`` when absent (the
        operator's default); ``(None, False)`` when given but not a constant."""
        axes = _attrs(node).get("axes")
        if axes is not None:
            return [int(a) for a in axes], True
        if len(node.input) > 1 and node.input[1]:
            try:
                v = self.vec(node.input[1])
            except _Unfoldable:
                return None, False
            return ([int(e.const) for e in v.entries], True) if v.constant else (None, False)
        return None, True

    def global_pool(self, node: Any, keepdims: int = 1) -> bool:
        """``GlobalAveragePool``/``GlobalMaxPool``, or a reduction over exactly the spatial
        axes with ``keepdims=1`` (by default): a spatial tensor of size 1 on every axis
        (adaptive pooling to 1).  With ``keepdims=0``: a reduction that drops exactly the
        spatial axes (its shape does not depend on their sizes)."""
        if node.op_type.startswith("Global"):
            return keepdims == 1
        if int(_attrs(node).get("keepdims", 1)) != keepdims:
            return False
        axes, _ = self.axes_of(node)
        rank = self.nd + 2
        return axes is not None and sorted(a % rank for a in axes) == list(range(2, rank))

    def _end(self, node: Any, data: list[str], why: str) -> None:
        """``node`` and everything computed from it are left out, with a note naming why."""
        starts = sorted({self.detached[i].start for i in data if i in self.detached})
        was = f" (reshaped by {', '.join(starts)})" if starts else ""
        self._head(f"{node.op_type} {_label(node)} and what follows it: it {why}{was}", data)
        self.gone.update(node.output)

    def _head(self, text: str, data: list[str]) -> None:
        """Note a part left out, with the spatial tensors it is computed from (a head whose
        sources have one size for every input size adds no size rule: the review says so;
        no sources at all: its shape does not depend on the input size by construction)."""
        sources: list[str] = []
        for i in data:
            if i in self.spatial:
                sources.append(i)
            elif i in self.detached:
                sources.append(self.detached[i].origin)
            elif i in self.stacked:
                sources.extend(self.stacked[i][0])
            elif i in self.gone:
                sources.append("")  # computed from another head: never constant here
        self.heads.append(text)
        self.head_sources.append(tuple(sources))

    def _stack_axis(self, name: str) -> int | None:
        """The axis at which ``name`` is its origin unsqueezed (``x[None]``,
        ``x.unsqueeze(k)``), if it is exactly that."""
        layout = self.detached.get(name)
        if layout is None or layout.perm is not None or not layout.intact:
            return None
        own = [self.dim(layout.origin, a) for a in range(self.nd + 2)]
        for k in range(len(own) + 1):
            if layout.dims == (*own[:k], _Lin(Fraction(1)), *own[k:]):
                return k
        return None

    def _reduce_stack(self, node: Any, data: list[str]) -> None:
        """``torch.stack(ts).sum(0)`` (and mean, max, min): a reduction over the stacked axis
        without keepdims is an elementwise merge of the stacked tensors; anything else reading
        a stack ends the analysis of what follows."""
        origins, k, start = self.stacked[data[0]]
        op = node.op_type
        if op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin") and len(data) == 1:
            axes, _ = self.axes_of(node)
            rank = self.nd + 3
            if (axes is not None and [a % rank for a in axes] == [k]
                    and int(_attrs(node).get("keepdims", 1)) == 0):
                self.spatial.add(node.output[0])
                self.merged[node.output[0]] = origins
                return
        self._head(f"{op} {_label(node)} and what follows it: it reads a stack of "
                   f"tensors ({start}) other than by a sum, mean, max or min over the "
                   "stacked axis", data)
        self.gone.update(node.output)

    def _detached(self, node: Any, data: list[str]) -> None:
        """An op reading a reshaped tensor: layout kept through normalisations, activations
        and arithmetic with constants or with tensors of the same layout; a Concat of
        unsqueezed tensors along their new axis is a stack (:meth:`_reduce_stack`); anything
        else (or a mix with a spatial tensor) ends the analysis of what follows."""
        if node.op_type == "Concat" and all(i in self.detached for i in data):
            ks = {self._stack_axis(i) for i in data}
            axis = int(_attrs(node).get("axis", 0))
            if len(ks) == 1 and None not in ks and axis % (self.nd + 3) == next(iter(ks)):
                self.stacked[node.output[0]] = (
                    tuple(self.detached[i].origin for i in data), axis % (self.nd + 3),
                    f"Concat {_label(node)}")
                return
        layouts = {self.detached[i] for i in data if i in self.detached}
        if node.op_type in _LAYOUT_KEEPING and len(layouts) == 1 and all(
                i in self.detached for i in data):
            self.detached[node.output[0]] = layouts.pop()
            return
        if node.op_type == "MatMul" and len(data) == 1 and data[0] == node.input[0]:
            linear = self._channel_linear(self.detached[data[0]], node.input[1])
            if linear is not None:
                self.detached[node.output[0]] = linear
                return
        if node.op_type in HEADS:
            self._end(node, data, "reads a reshaped tensor (a non-spatial head)")
            return
        self._end(node, data, "reads a reshape that changes the spatial layout"
                  if any(i in self.spatial for i in data) or node.op_type not in _LAYOUT_KEEPING
                  else "combines reshapes of different layouts")

    def _channel_linear(self, layout: _Layout, weight: str) -> _Layout | None:
        """``x.permute(0, 2, 3, 1) @ W`` (an ``nn.Linear`` over channels, as ConvNeXt and
        LayerNorm-over-channels blocks write them): a pointwise map of the channels that keeps
        every spatial position where it is; the channel dim becomes ``W``'s column count."""
        w = self.consts.get(weight)
        if (w is None or getattr(w, "ndim", 0) != 2 or layout.perm is None
                or layout.perm[-1] != 1):
            return None
        dims = (*layout.dims[:-1], _Lin(Fraction(int(w.shape[1]))))
        return _Layout(layout.origin, dims, layout.perm, layout.intact, layout.start)

    def _reshape(self, node: Any, src: str) -> None:
        out = node.output[0]
        if src in self.spatial:
            rank = self.nd + 2
            layout = _Layout(src, tuple(self.dim(src, a) for a in range(rank)),
                             tuple(range(rank)), True, f"{node.op_type} {_label(node)}")
        else:
            layout = self.detached[src]
        try:
            new = _reshaped(self, node, layout)
        except (IndexError, StopIteration, ValueError, TypeError, KeyError):
            # a malformed reshape (an axis out of range, ...): a layout nothing matches
            new = _Layout(layout.origin, (None,), None, False, layout.start)
        if _is_identity(self, new):
            self.spatial.add(out)
            self.identity_of[out] = new.origin
            c = new.dims[1] if new.perm is None else new.dims[new.perm.index(1)]
            if c is not None and not c.terms:  # the channel count, if a Linear changed it
                self.channels[out] = int(c.const)
                if self.channels.get(new.origin) not in (None, int(c.const)):
                    self.channel_change[out] = int(c.const)
            elif new.origin in self.channels:
                self.channels[out] = self.channels[new.origin]
        else:
            self.detached[out] = new

    def _constant(self, node: Any) -> None:
        import numpy as np
        from onnx import helper

        for a in node.attribute:
            if a.name == "value":  # checked, read only when small (never external data)
                self.consts[node.output[0]] = to_value(a.t, f"Constant {_label(node)}",
                                                       self.base_dir)
            elif a.name in ("value_int", "value_ints"):
                self.consts[node.output[0]] = np.array(helper.get_attribute_value(a), np.int64)
            elif a.name in ("value_float", "value_floats"):
                self.consts[node.output[0]] = np.array(helper.get_attribute_value(a),
                                                       np.float32)
        if node.output[0] not in self.consts:
            self.unfolded[node.output[0]] = (f"node {_label(node)} (Constant) holds a value "
                                             "symconv does not read")

    def _fold(self, node: Any) -> None:
        try:
            out = self._eval(node)
        except _Unfoldable as exc:
            why = str(exc) if exc.inherited else f"node {_label(node)} ({node.op_type}): {exc}"
            for o in node.output:
                self.unfolded[o] = why
            return
        name = node.output[0]
        if out.constant:
            self.consts[name] = _array(out)
        else:
            self.values[name] = out

    def vec(self, name: str) -> _Vec:
        """The folded value of tensor ``name`` (constants are converted)."""
        if name in self.values:
            return self.values[name]
        if name in self.unfolded:
            raise _Unfoldable(self.unfolded[name], inherited=True)
        if name in self.consts:
            return _from_array(self.consts[name])
        raise _Unfoldable(f"{fmt(name)} is computed from spatial data, not from shapes")

    def value(self, name: str, what: str) -> _Vec | None:
        """The folded value of the optional input ``what`` (``None`` when absent or empty),
        or an :class:`UnsupportedError` naming the node and op that could not be folded."""
        if not name:
            return None
        try:
            v = self.vec(name)
        except _Unfoldable as exc:
            raise UnsupportedError(f"{what}={fmt(name)} must be computable from shapes and "
                                   f"constants; {exc}") from None
        return v if v.entries or v.scalar else None

    def _eval(self, node: Any) -> _Vec:
        op = node.op_type
        attrs = _attrs(node)
        ins = list(node.input)
        if op not in SHAPE_OPS:
            raise _Unfoldable(f"{op} is not folded on shapes (folded: "
                              f"{', '.join(sorted(SHAPE_OPS))})")
        if op == "Shape":
            src = ins[0]
            if src in self.spatial:
                dims = [self.dim(src, a) for a in range(self.nd + 2)]
            elif src in self.detached:
                known = self.detached[src].dims
                if any(d is None for d in known):
                    raise _Unfoldable(f"the shape of {fmt(src)} (a reshaped tensor) is not known "
                                      "exactly")
                dims = [d for d in known if d is not None]
            else:
                dims = [_Lin(Fraction(int(d))) for d in _shape_of(self, src)]
            lo = int(attrs.get("start", 0))
            hi = attrs.get("end")
            return _Vec(tuple(dims[slice(lo, None if hi is None else int(hi))]))
        if op == "Size":
            total = 1
            for d in _shape_of(self, ins[0]):
                total *= int(d)
            return _Vec((_Lin(Fraction(total)),), scalar=True)
        if op == "Identity":
            return self.vec(ins[0])
        if op == "ConstantOfShape":
            return self._constant_of_shape(ins[0], attrs)
        if op in ("Cast", "CastLike"):
            v = self.vec(ins[0])
            to = int(attrs["to"]) if op == "Cast" else (1 if self.vec(ins[1]).floating else 7)
            if to in _FLOAT_TYPES:
                return _Vec(v.entries, v.scalar, True)
            if to in _INT_TYPES:
                return _Vec(tuple(_trunc(e) for e in v.entries), v.scalar, False)
            raise _Unfoldable(f"Cast to type {to} is not folded")
        if op == "Gather":
            return self._gather(ins, attrs)
        if op == "Slice":
            v = self.vec(ins[0])
            starts, ends, axes, steps = _slice_params(self, node, attrs)
            if v.scalar or any(a not in (0, -1) for a in axes) or len(starts) > 1:
                raise _Unfoldable("only Slice of a 1-D shape on axis 0 is folded")
            st, en, sp = (starts[0], ends[0], steps[0]) if starts else (0, None, 1)
            if sp == 0:
                raise _Unfoldable("a Slice step must be non-zero")
            return _Vec(v.entries[slice(st, en, sp)], False, v.floating)
        if op == "Concat":
            parts = [self.vec(i) for i in ins if i]
            if sum(len(p.entries) for p in parts) > MAX_READ:
                raise _Unfoldable(f"a Concat of more than {MAX_READ} entries is not a shape")
            return _Vec(tuple(e for p in parts for e in p.entries), False,
                        any(p.floating for p in parts))
        if op == "Unsqueeze":
            v = self.vec(ins[0])
            which: Any = attrs.get("axes")
            if which is None and len(ins) > 1 and ins[1]:
                a = self.vec(ins[1])
                which = [int(e.const) for e in a.entries] if a.constant else None
            if not v.scalar or which is None or [int(x) for x in which] not in ([0], [-1]):
                raise _Unfoldable("only Unsqueeze of a scalar to a 1-D vector is folded")
            return _Vec(v.entries, False, v.floating)
        if op == "Squeeze":
            v = self.vec(ins[0])
            if v.scalar or len(v.entries) != 1:
                raise _Unfoldable("only Squeeze of a 1-entry vector is folded")
            return _Vec(v.entries, True, v.floating)
        if op in ("Floor", "Ceil"):
            v = self.vec(ins[0])
            return _Vec(tuple(_round(e, op) for e in v.entries), v.scalar, v.floating)
        if op == "Neg":
            v = self.vec(ins[0])
            return _Vec(tuple(e.times(Fraction(-1)) for e in v.entries), v.scalar, v.floating)
        return _binary(op, self.vec(ins[0]), self.vec(ins[1]))

    def _gather(self, ins: list[str], attrs: dict[str, Any]) -> _Vec:
        v = self.vec(ins[0])
        idx = self.vec(ins[1])
        if int(attrs.get("axis", 0)) not in (0, -1) or v.scalar or not idx.constant:
            raise _Unfoldable("only Gather of a 1-D shape at constant indices is folded")
        picked = []
        for e in idx.entries:
            i = int(e.const)
            if not -len(v.entries) <= i < len(v.entries):
                raise _Unfoldable(f"index {i} is out of range for {len(v.entries)} entries")
            picked.append(v.entries[i])
        return _Vec(tuple(picked), idx.scalar, v.floating)

    def _constant_of_shape(self, src: str, attrs: dict[str, Any]) -> _Vec:
        """A constant 1-D ``ConstantOfShape`` of at most :data:`MAX_READ` entries (checked
        before anything is allocated: a shape program never builds a large tensor)."""
        import numpy as np

        shape = self.vec(src)
        if not shape.constant or len(shape.entries) > 1:
            raise _Unfoldable("only a constant 1-D ConstantOfShape is folded")
        count = int(shape.entries[0].const) if shape.entries else 1
        if not 0 <= count <= MAX_READ:
            raise _Unfoldable(f"a ConstantOfShape of {fmt(count)} entries is not a shape "
                              f"(at most {MAX_READ} entries are folded)")
        fill = attrs.get("value")
        v = to_value(fill, "ConstantOfShape value", self.base_dir) if fill is not None \
            else np.float32(0)
        if isinstance(v, Declared) or np.asarray(v).size != 1:
            raise _Unfoldable("a ConstantOfShape value must be one element")
        return _from_array(np.full((count,), np.asarray(v).ravel()[0]))


def _is_identity(flow: _Flow, layout: _Layout) -> bool:
    """``layout`` is its origin's: every axis back in place, the spatial block in order."""
    rank = flow.nd + 2
    if layout.perm is not None:
        return layout.perm == tuple(range(rank))
    return layout.intact and layout.dims == tuple(flow.dim(layout.origin, a)
                                                  for a in range(rank))


def _reshaped(flow: _Flow, node: Any, layout: _Layout) -> _Layout:
    """The layout after one of :data:`RESHAPES` (dims ``None`` where not known exactly)."""
    op = node.op_type
    attrs = _attrs(node)
    dims = list(layout.dims)
    rank = len(dims)
    if op == "Transpose":
        perm = [int(p) for p in attrs.get("perm", range(rank - 1, -1, -1))]
        if sorted(perm) != list(range(rank)):  # the rank was not known exactly
            return _Layout(layout.origin, (None,) * len(perm), None, False, layout.start)
        new_dims = tuple(dims[p] for p in perm)
        if layout.perm is not None:
            return _Layout(layout.origin, new_dims, tuple(layout.perm[p] for p in perm),
                           True, layout.start)
        k = flow.nd
        spatial = tuple(flow.dim(layout.origin, a) for a in range(2, 2 + k))
        keeps = (layout.intact and rank >= k and tuple(dims[rank - k:]) == spatial
                 and perm[rank - k:] == list(range(rank - k, rank)))
        return _Layout(layout.origin, new_dims, None, keeps, layout.start)
    if layout.perm is not None and layout.perm != tuple(range(rank)):
        # the spatial block was moved by a Transpose: a Reshape now scrambles positions
        intact = False
    else:
        intact = layout.intact
    target: list[_Lin | None]
    if op == "Reshape":
        try:
            shape = flow.vec(node.input[1])
        except _Unfoldable:
            return _Layout(layout.origin, (None,), None, False, layout.start)
        target = list(shape.entries)
        allowzero = int(attrs.get("allowzero", 0))
        for i, e in enumerate(target):
            if e is not None and not e.terms and e.const == 0 and not allowzero:
                target[i] = dims[i] if i < rank else None
        minus = [i for i, e in enumerate(target)
                 if e is not None and not e.terms and e.const == -1]
        for i in minus:
            target[i] = None
        if len(minus) == 1 and len(target) == flow.nd + 2:
            # -1 is whatever the element count leaves: the origin's dim there when every
            # other entry is the origin's own
            own = [flow.dim(layout.origin, a) for a in range(len(target))]
            if all(target[i] == own[i] for i in range(len(target)) if i != minus[0]):
                target[minus[0]] = own[minus[0]]
    elif op == "Flatten":
        axis = int(attrs.get("axis", 1))
        axis = axis + rank if axis < 0 else axis
        target = [_product(dims[:axis]), _product(dims[axis:])]
    elif op == "Unsqueeze":
        axes, _ = flow.axes_of(node)
        if axes is None:  # Unsqueeze needs its axes
            return _Layout(layout.origin, (None,), None, False, layout.start)
        out_rank = rank + len(axes)
        where = sorted(int(a) + out_rank if int(a) < 0 else int(a) for a in axes)
        rest = iter(dims)
        target = [_Lin(Fraction(1)) if i in where else next(rest) for i in range(out_rank)]
    else:  # Squeeze: only axes of a known size 1 are removed exactly
        axes, known = flow.axes_of(node)
        if not known:
            return _Layout(layout.origin, (None,), None, False, layout.start)
        one = _Lin(Fraction(1))
        if axes is None:
            axes = [i for i, d in enumerate(dims) if d == one]
        drop = {int(a) + rank if int(a) < 0 else int(a) for a in axes}
        if any(dims[i] != one for i in drop if i < rank):
            intact = False
        target = [d for i, d in enumerate(dims) if i not in drop]
    return _Layout(layout.origin, tuple(target), None, intact, layout.start)


def _product(dims: list[_Lin | None]) -> _Lin | None:
    """The product of dims when at most one is not a constant (exact), else ``None``."""
    out = _Lin(Fraction(1))
    varying = 0
    for d in dims:
        if d is None:
            return None
        if d.terms:
            varying += 1
            if varying > 1:
                return None
            out = d.times(out.const)
        else:
            out = out.times(d.const)
    return out


def _shape_of(flow: _Flow, name: str) -> tuple[int, ...]:
    if name in flow.consts:
        return tuple(int(d) for d in flow.consts[name].shape)
    v = flow.vec(name)
    return () if v.scalar else (len(v.entries),)


def _array(v: _Vec) -> Any:
    import numpy as np

    if v.floating:
        arr = np.array([float(e.const) for e in v.entries], np.float64)
    else:
        arr = np.array([int(e.const) for e in v.entries], np.int64)
    return arr.reshape(()) if v.scalar else arr


def _from_array(arr: Any) -> _Vec:
    import numpy as np

    if isinstance(arr, Declared):
        raise _Unfoldable(f"the values of {fmt(arr.name)} are not read: {arr.why}")
    a = np.asarray(arr)
    if a.ndim > 1 or a.size > 4096 or a.dtype.kind not in "biuf":
        raise _Unfoldable(f"a constant of shape {a.shape} and type {a.dtype} is not a shape")
    flat = a.ravel().tolist()
    if a.dtype.kind == "f" and not all(np.isfinite(flat)):
        raise _Unfoldable("a non-finite float is not a size")
    return _Vec(tuple(_Lin(Fraction(x)) for x in flat), a.ndim == 0, a.dtype.kind == "f")


def _trunc(e: _Lin) -> _Lin:
    """A cast to an integer type: truncation toward zero."""
    if e.integral:
        return e
    if not e.terms:
        return _Lin(Fraction(int(e.const)))  # int() truncates toward zero, as C casts do
    raise _Unfoldable(f"the cast of {e.show()} to an integer is not exact for every size")


def _round(e: _Lin, op: str) -> _Lin:
    if e.integral:
        return e
    if not e.terms:
        q = e.const
        return _Lin(Fraction(q.numerator // q.denominator if op == "Floor"
                             else -((-q.numerator) // q.denominator)))
    raise _Unfoldable(f"{op.lower()}({e.show()}) is not an exact affine size (only integer "
                      "factors of a size are modelled)")


def _binary(op: str, a: _Vec, b: _Vec) -> _Vec:
    la, lb = len(a.entries), len(b.entries)
    n = max(la, lb)
    if la not in (1, n) or lb not in (1, n):
        raise _Unfoldable(f"operands of {la} and {lb} entries do not broadcast")
    floating = a.floating or b.floating
    out = []
    for i in range(n):
        x = a.entries[i if la > 1 else 0]
        y = b.entries[i if lb > 1 else 0]
        if op == "Add":
            out.append(x.plus(y))
        elif op == "Sub":
            out.append(x.plus(y, -1))
        elif op == "Mul":
            if x.terms and y.terms:
                raise _Unfoldable("a product of two sizes is not an affine size")
            out.append(x.times(y.const) if not y.terms else y.times(x.const))
        else:
            if y.terms or y.const == 0:
                raise _Unfoldable("only division by a non-zero constant is folded")
            q = x.times(1 / y.const)
            if not floating and not q.integral:
                if x.terms:
                    raise _Unfoldable(f"the integer division ({x.show()}) / {y.const} is not "
                                      "exact for every size")
                q = _trunc(q)
            out.append(q)
    return _Vec(tuple(out), a.scalar and b.scalar, floating)


def _slice_params(flow: _Flow, node: Any, attrs: dict[str, Any]
                  ) -> tuple[list[int], list[int], list[int], list[int]]:
    """Constant starts, ends, axes and steps of a Slice (inputs from opset 10, attributes
    before), as given."""
    ins = list(node.input)

    def ints(i: int, key: str) -> list[int] | None:
        if len(ins) > i and ins[i]:
            v = flow.vec(ins[i])
            if not v.constant:
                raise _Unfoldable(f"Slice {key} must be constants")
            return [int(e.const) for e in v.entries]
        if key in attrs:
            return [int(x) for x in attrs[key]]
        return None

    starts = ints(1, "starts") or []
    ends = ints(2, "ends") or []
    axes = ints(3, "axes")
    steps = ints(4, "steps")
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    if not len(ends) == len(axes) == len(steps) == len(starts):
        raise _Unfoldable(f"starts={starts}, ends={ends}, axes={axes} and steps={steps} must "
                          "have the same length")
    return starts, ends, axes, steps


def _label(node: Any) -> str:
    return fmt(node.name or (node.output[0] if node.output else node.op_type))


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
