"""Read a PyTorch ``nn.Module`` as a :class:`~symconv.network.model.Network` for ``symconv review``.

:func:`from_torch` runs the module once on an example input (no export step, no ONNX) under
a recorder (:mod:`symconv.network.torch_trace`) that sees every call as written, with its
module path and the user's file and line, and keeps sizes computed from other tensors exact
(:mod:`symconv.network.torch_dims`).  Then it runs it again at a second size and checks that
the same graph comes out with the same parameters: a parameter that changed with the size but
was not read from a tensor's shape (``int(h / 2)``, a size computed in numpy) is reported, as
is a graph that changes with the size (control flow), instead of being read as a constant.

Mapped: ``nn.Conv{1,2,3}d`` (any ``padding``, ``'same'``/``'valid'``, ``padding_mode``),
``nn.ConvTranspose{1,2,3}d`` (``output_padding``; ``forward(x, output_size=...)`` with constant
sizes), ``nn.MaxPool``/``nn.AvgPool`` (``ceil_mode``, ``count_include_pad``; ``divisor_override``
does not change sizes), adaptive pools, ``nn.MaxUnpool``, ``nn.Upsample``/``F.interpolate``
(``scale_factor``, ``size``, ``size=t.shape[2:]`` as a resize like ``t``, modes nearest,
nearest-exact, (bi/tri)linear, bicubic), ``nn.PixelShuffle``/``PixelUnshuffle``, padding
modules and ``F.pad`` (constant pads), slicing with constant bounds, ``torch.cat`` (channels),
elementwise merges with broadcasting (``+``, ``*``, ``torch.where``, ...), reductions over the
spatial axes (``x.mean((2, 3), keepdim=True)`` is a global pooling), and every size-preserving
operation (norms, activations, dropout, ``F.linear`` over channels, attention over flattened
spatial positions once the layout is given back).  A classifier head (flatten, ``Linear`` over
flattened positions) is left out and listed, as for ONNX models (SC302 when its size matters).

Nothing here imports torch until a module is given: the ``symconv review`` of a file never
loads it.  Importing a user's module runs its code (that is what naming it asks for).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network.model import Input, Network, Node, _node, build
from symconv.network.torch_dims import Expr, Guard
from symconv.network.torch_trace import Call, Recorder, Traced, tagged_size
from symconv.spec import Convention

__all__ = ["from_torch", "load_torch", "parse_target"]

#: Example spatial sizes tried in turn (the first the module runs at is traced; a second,
#: different one checks that the graph does not change with the size).
EXAMPLE_SIZES = (64, 96, 128, 160, 224, 256, 320, 384, 512)
#: Square example sizes tried after those (a model that checks ``H == W``, or one size).
SQUARE_SIZES = (224, 256, 64, 128, 299, 384, 512)
#: Largest example input (elements) the tracer allocates.
MAX_EXAMPLE_ELEMENTS = 1 << 26

_UNARY = frozenset("""
relu relu_ relu6 sigmoid sigmoid_ tanh tanh_ gelu silu silu_ hardswish hardswish_ hardsigmoid
hardsigmoid_ hardtanh hardtanh_ leaky_relu leaky_relu_ elu elu_ selu celu mish softplus
softsign tanhshrink threshold glu prelu rrelu logsigmoid sign square sqrt rsqrt exp log log1p
abs abs_ neg negative reciprocal clamp clamp_ clip clip_ clamp_min clamp_max sin cos erf
dropout dropout_ dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout
batch_norm instance_norm group_norm local_response_norm normalize softmax log_softmax
contiguous clone detach detach_ float half double bfloat16 to type type_as requires_grad_
cpu cuda pow pow_ __pow__ __rpow__ round floor ceil trunc frac nan_to_num fill_ zero_
zeros_like ones_like rand_like randn_like full_like empty_like
""".split())
_BINARY = frozenset("""
add sub rsub mul div true_divide floor_divide remainder fmod maximum minimum fmax fmin
__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __iadd__
__isub__ __imul__ __itruediv__ __and__ __or__ __xor__ eq ne lt le gt ge atan2 hypot
lerp addcmul addcdiv where masked_fill add_ sub_ mul_ div_ __ior__ __iand__
""".split())
_REDUCE = {"mean": "avg", "sum": None, "amax": "max", "max": "max", "amin": None, "min": None,
           "std": None, "var": None, "prod": None, "logsumexp": None, "norm": None,
           "nansum": None, "nanmean": "avg"}
_INFO = frozenset({"dim", "ndimension", "numel", "nelement", "element_size", "is_contiguous",
                   "stride", "data_ptr", "get_device", "is_floating_point", "__len__",
                   "__format__", "__repr__", "item", "tolist", "equal", "allclose",
                   "isnan", "isinf", "isfinite", "any", "all", "__bool__", "numpy",
                   "storage_offset", "untyped_storage", "dim_order"})


class _Build:
    """Turns recorded calls into network layers (one instance per trace)."""

    def __init__(self, nd: int) -> None:
        import torch

        self.torch = torch
        self.nd = nd
        self.info: dict[int, tuple[Any, Traced]] = {}
        self.items: list[tuple[str, dict[str, Any], list[str], str]] = []
        self.spatial: dict[str, tuple[int, ...]] = {}
        self.counts: dict[str, int] = {}
        self.problems: list[tuple[str, str, str]] = []  # (op, path, where)
        self.heads: list[tuple[str, tuple[str, ...]]] = []
        self.sig: list[tuple[Any, ...]] = []  # what must not change with the size
        self.head_seen: set[str] = set()
        self.canon: dict[str, str] = {}  # node -> the earliest node of the same size, always
        self.symbols: tuple[str, ...] = ()  # the input's size symbols (H, W, ...)

    # ------------------------------------------------------------------ bookkeeping
    def tracked(self, v: Any) -> bool:
        e = self.info.get(id(v))
        return e is not None and e[0] is v

    def get(self, v: Any) -> Traced:
        return self.info[id(v)][1]

    def put(self, v: Any, t: Traced) -> None:
        self.info[id(v)] = (v, t)

    def sizes(self, v: Any) -> Any:
        """``v.shape`` with tagged spatial sizes: named after ``v``'s own node when it is a
        node's output (``size=skip.shape`` reads ``skip``), else after its size tags."""
        t = self.get(v)
        tags = t.tags
        if t.node is not None and self.standard(t) is not None:
            tags = (*tags[:2], *(("s", t.node, i) for i in range(self.nd)))
        return tagged_size(tuple(v.shape), tags)

    def name(self, path: str, op: str, module: bool) -> str:
        base = path if module and path else (f"{path}.{op}" if path else op)
        base = base or op
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        return base if n == 1 else f"{base}#{n}"

    def standard(self, t: Traced) -> str | None:
        """The node a tensor is the output of, if its layout is (batch, channels, spatial):
        its own node, or for a layout given back the (canonical) node whose sizes it has."""
        tags = t.tags
        if len(tags) != self.nd + 2 or tags[0][0] == "s" or tags[1][0] == "s":
            return None
        if t.node is not None:
            c = self.canon.get(t.node, t.node)
            ok = all(g == ("s", c, i) for i, g in enumerate(tags[2:]))
            return t.node if ok else None
        nodes = {g[1] for g in tags[2:] if g[0] == "s"}
        if len(nodes) != 1:
            return None
        node = next(iter(nodes))
        if all(g == ("s", node, i) for i, g in enumerate(tags[2:])):
            return node
        return None

    def std_tags(self, node: str, shape: Any) -> tuple[Any, ...]:
        return (("b", int(shape[0])), ("c", int(shape[1])),
                *(("s", node, i) for i in range(self.nd)))

    def emit(self, name: str, item: dict[str, Any], inputs: list[str], where: str,
             result: Any) -> str:
        """A new node; ``result`` (a tensor) becomes its output."""
        self.items.append((name, item, inputs, where))
        self.spatial[name] = tuple(int(s) for s in result.shape[2:])
        # a layer whose output has its input's size for every size shares its size tags:
        # a reshape back with sizes read from either tensor is the same then
        self.canon[name] = (self.canon.get(inputs[0], inputs[0]) if _same_size(item, self.nd)
                            else name)
        self.put(result, Traced(self.std_tags(self.canon[name], result.shape), name))
        sig = {k: v for k, v in item.items() if k not in ("like",)}
        self.sig.append((name, json.dumps(sig, sort_keys=True, default=str), tuple(inputs)))
        return name

    def problem(self, op: str, call: Call, why: str = "") -> None:
        self.problems.append((op + (f" ({why})" if why else ""), call.path or "<root>",
                              call.where))

    def head(self, text: str, sources: set[str], result: Any) -> None:
        if isinstance(result, self.torch.Tensor):
            tags = tuple(("x", int(n)) for n in result.shape)
            self.put(result, Traced(tags, None, frozenset(sources)))
        if text not in self.head_seen:
            self.head_seen.add(text)
            self.heads.append((text, tuple(sorted(sources))))

    # ------------------------------------------------------------------ atoms
    def atom_size(self, tag: Any) -> int:
        if tag[0] == "s":
            return self.spatial[tag[1]][tag[2]]
        if tag[0] == "f":
            return math.prod(self.atom_size(t) for t in tag[1])
        return int(tag[1])

    def atoms(self, tags: tuple[Any, ...]) -> list[Any]:
        out: list[Any] = []
        for t in tags:
            out.extend(self.atoms(t[1]) if t[0] == "f" else [t])
        return out

    def origins(self, t: Traced) -> set[str]:
        """The nodes a tensor is computed from (its own node, or those of the ops that made
        it; the nodes its size tags name when nothing else is known)."""
        out = set(t.origins)
        if t.node is not None:
            out.add(t.node)
        if not out:
            out = {a[1] for a in self.atoms(t.tags) if a[0] == "s"}
        return out

    # ------------------------------------------------------------------ dispatch
    def handle(self, call: Call) -> None:
        try:
            if call.kind == "module":
                from symconv.network import torch_layers

                torch_layers.module(self, call)
            else:
                self.function(call)
        except SymconvError as exc:
            self.problem(call.name, call, str(exc))

    def data(self, call: Call) -> tuple[Any, Traced] | None:
        for v in (*call.args, *call.kwargs.values()):
            if self.tracked(v):
                return v, self.get(v)
            if isinstance(v, list | tuple):
                for u in v:
                    if self.tracked(u):
                        return u, self.get(u)
        return None

    def function(self, call: Call) -> None:
        from symconv.network import torch_layers

        name = call.name.lstrip("_") if call.name.startswith("_max_pool") else call.name
        res = call.result
        if name in _INFO or not isinstance(res, self.torch.Tensor | tuple | list):
            return
        first = self.data(call)
        if first is None:
            return
        x, t = first
        if not self.headed(call) and torch_layers.function(self, call, name):
            return
        if self.headed(call):  # computed from heads only: follows them, whatever it is
            for leaf in _leaves(res):
                if isinstance(leaf, self.torch.Tensor):
                    self.put(leaf, Traced(tuple(("x", int(n)) for n in leaf.shape), None,
                                          frozenset(self.origins(t))))
            return
        if name in _UNARY or (name in _BINARY and self.count_tracked(call) == 1):
            if isinstance(res, self.torch.Tensor) and tuple(res.shape) == tuple(x.shape):
                self.put(res, t)
                return
            if name in _BINARY:  # broadcasting a traced tensor against a constant
                self.broadcast(call, [x], res)
                return
        if name in _BINARY:
            self.merge(call, res)
            return
        self.layout(call, name, x, t, res)

    def headed(self, call: Call) -> bool:
        """Every traced tensor the call reads has lost its spatial axes (a head's part)."""
        seen = False
        for v in (*call.args, *call.kwargs.values()):
            for u in (v if isinstance(v, list | tuple) else (v,)):
                if self.tracked(u):
                    t = self.get(u)
                    if t.node is not None or any(a[0] == "s" for a in self.atoms(t.tags)):
                        return False
                    seen = True
        return seen

    def count_tracked(self, call: Call) -> int:
        return sum(1 for v in (*call.args, *call.kwargs.values()) if self.tracked(v))

    # ------------------------------------------------------------------ merges
    def merge(self, call: Call, res: Any) -> None:
        ts = [v for v in (*call.args, *call.kwargs.values()) if self.tracked(v)]
        self.broadcast(call, ts, res)

    def broadcast(self, call: Call, ts: list[Any], res: Any) -> None:
        """An elementwise op of traced tensors ``ts`` (and constants) with broadcasting."""
        if not isinstance(res, self.torch.Tensor):
            return
        rank = res.dim()
        tags: list[Any] = [None] * rank
        for v in ts:
            tv = self.get(v)
            off = rank - len(tv.tags)
            for i, g in enumerate(tv.tags):
                n = int(v.shape[i])
                if n == int(res.shape[off + i]) and (tags[off + i] is None
                                                     or tags[off + i][0] == "x"):
                    tags[off + i] = g
        tags = [g if g is not None else ("x", int(res.shape[i])) for i, g in enumerate(tags)]
        traced = [self.get(v) for v in ts]
        actual: list[str] = []
        for tv in traced:
            if tv.node is not None and self.standard(tv) is not None:
                actual.append(tv.node)
            elif tv.node is None and not any(a[0] == "s" for a in self.atoms(tv.tags)):
                continue  # a head's output (listed as such) broadcast back: no size of its own
            else:
                actual.extend(self._ordered(self.origins(tv)))
        out = Traced(tuple(tags), None, frozenset(actual))
        self.settle(call, _opname(call.name), res, out, True, list(dict.fromkeys(actual)))

    # ------------------------------------------------------------------ layout
    def layout(self, call: Call, name: str, x: Any, t: Traced, res: Any) -> None:
        from symconv.network import torch_layers

        tags = torch_layers.layout_tags(self, call, name, x, t, res)
        if tags is None:
            self.problem(name, call)
            return
        if isinstance(res, self.torch.Tensor):
            self.settle(call, name, res, Traced(tags, None, frozenset(self.origins(t))),
                        any(a[0] == "s" for a in self.atoms(t.tags)))

    def _ordered(self, nodes: set[str]) -> list[str]:
        order = {n: i for i, n in enumerate(self.spatial)}
        return sorted(nodes, key=lambda n: order.get(n, -1))

    def settle(self, call: Call, name: str, res: Any, out: Traced,
               had_spatial: bool = True, inputs: list[str] | None = None) -> None:
        """Give ``res`` its tags; a layout given back becomes that node's tensor again, or,
        computed from several nodes (an elementwise merge, attention), a merge of them."""
        node = self.standard(out)
        if node is not None:
            srcs = inputs if inputs is not None else self._ordered(self.origins(out))
            if not srcs:
                srcs = [node]
            if len(srcs) == 1 and self.canon.get(srcs[0], srcs[0]) == node:
                self.put(res, Traced(self.std_tags(node, res.shape), srcs[0]))
            elif len(srcs) == 1 and srcs[0] == node:
                self.put(res, Traced(out.tags, node))
            else:  # the input whose size the result has leads (its size tags are the merge's)
                lead = next((s for s in srcs if self.canon.get(s, s) == node), None)
                ins = [lead, *(s for s in srcs if s != lead)] if lead else [node, *srcs]
                self.emit(self.name(call.path, _opname(name), False), {"op": "add"}, ins,
                          call.where, res)
            return
        if not any(a[0] == "s" for a in self.atoms(out.tags)):
            from_nodes = self.origins(out)
            if from_nodes and had_spatial:
                self.head(f"{name} at {call.path or '<root>'} ({call.where}): the spatial axes "
                          "are reduced or flattened away", from_nodes, res)
                return
        self.put(res, out)


def _same_size(item: dict[str, Any], nd: int) -> bool:
    """Whether a layer's output has its input's size for every input size (a merge, a
    stride-1 window whose padding makes up for its extent)."""
    op = item.get("op")
    if op in ("add", "concat") or (op == "identity" and "own_pads" not in item):
        return True
    if op not in ("conv", "max-pool", "avg-pool") or item.get("like") is not None:
        return False
    def axes(v: Any) -> list[Any]:
        return list(v) if isinstance(v, list | tuple) else [v] * nd
    if any(int(s) != 1 for s in axes(item.get("stride", 1))):
        return False
    pad = item.get("padding", 0)
    if isinstance(pad, str):
        return pad == "same"
    for k, p, d in zip(axes(item.get("kernel", 1)), axes(pad), axes(item.get("dilation", 1)),
                       strict=True):
        total = sum(p) if isinstance(p, list | tuple) else 2 * int(p)
        if total != int(d) * (int(k) - 1):
            return False
    return True


def _opname(name: str) -> str:
    n = name.strip("_")
    return {"iadd": "add", "radd": "add", "imul": "mul", "rmul": "mul", "truediv": "div",
            "isub": "sub", "rsub": "sub"}.get(n, n)


# ---------------------------------------------------------------------------- public API


def from_torch(module: Any, example_input: Any = None, *, name: str | None = None) -> Network:
    """The network that ``module`` computes, by running it on ``example_input`` (a tensor of
    shape ``(N, C, *spatial)``) and on a second size; ``None``: ``(1, C, S, S + 32, ...)`` with
    ``C`` from the first convolution and the first ``S`` of :data:`EXAMPLE_SIZES` it runs at
    (then the squares of :data:`SQUARE_SIZES`), the next one that runs as the second size.

    The input's spatial sizes are the symbols ``H``, ``W`` (``D, H, W`` in 3-D, ``L`` in 1-D).
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise InvalidSpecError(f"module={type(module).__name__} must be a torch.nn.Module")
    name = name or type(module).__name__
    candidates = _examples(module, example_input)
    was_training = module.training
    module.eval()  # safe: nn.Module.eval() switches to inference mode; nothing is evaluated
    try:
        first = None
        errors: list[str] = []
        for x in candidates:
            try:
                got = _trace(module, x)
            except _Ran as exc:
                errors.append(f"{tuple(x.shape)}: {exc}")
                continue
            if first is None:
                first = (x, got)
                if example_input is not None:
                    break
                continue
            _same_graph(first, (x, got))
            break
        if first is None:
            raise InvalidSpecError(
                f"module={name} must run on the example input to be traced; "
                + "; ".join(errors[:3]))
        if example_input is not None:
            second = _second(module, first[0])
            if second is not None:
                _same_graph(first, second)
        first[1].guards = _probe(module, first[0], _unique(first[1].guards))
    finally:
        module.train(was_training)
    return _network(name, first[1])


def _unique(guards: list[Guard]) -> list[Guard]:
    seen: dict[tuple[Any, ...], Guard] = {}
    for g in guards:
        seen.setdefault((g.left, g.op, g.right, g.result, g.where), g)
    return list(seen.values())


#: How far from the example size :func:`_probe` looks for a size on the other side.
_PROBE_RANGE = 64


def _probe(module: Any, x: Any, guards: list[Guard]) -> list[Guard]:
    """Each guard on one input axis, with what the module does on its other side: run at
    the nearest size where it flips (the other axes as traced): ``"raises"`` when the
    module's own code raises there (not a torch layer), else ``"runs"`` or ``""``."""
    import torch

    out = []
    for g in guards:
        leaves = g.left.leaves() | g.right.leaves()
        axes = {a for t, a in leaves if t == "x"}
        if len(axes) != 1 or any(t != "x" for t, _ in leaves):
            out.append(g)
            continue
        axis = next(iter(axes))
        base = [int(n) for n in x.shape[2:]]
        other = ""
        for step in range(1, _PROBE_RANGE):
            for n in (base[axis] + step, base[axis] - step):
                if n < 1 or g.holds({("x", axis): n}):
                    continue
                size = list(base)
                size[axis] = n
                other = _outcome(module, torch.randn(*x.shape[:2], *size, dtype=x.dtype))
                break
            if other or step == _PROBE_RANGE - 1:
                break
            if any(not g.holds({("x", axis): n}) for n in (base[axis] + step,
                                                             base[axis] - step) if n >= 1):
                break
        out.append(dataclasses.replace(g, other=other))
    return out


def _outcome(module: Any, x: Any) -> str:
    import traceback

    import torch

    try:
        with torch.no_grad():
            module(x)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        torch_dir = str(Path(torch.__file__).resolve().parent) + "/"
        last = frames[-1] if frames else None
        if last is None:
            return ""
        if last.name == "_assert" or isinstance(exc, AssertionError):
            return "raises"  # the module's own torch._assert / assert
        return "" if last.filename.startswith(torch_dir) else "raises"
    return "runs"


class _Ran(Exception):
    pass


def _examples(module: Any, example_input: Any) -> list[Any]:
    import torch

    if example_input is not None:
        if not isinstance(example_input, torch.Tensor) or example_input.dim() < 3:
            raise InvalidSpecError("example_input must be a tensor of shape (N, C, *spatial) "
                                   "with at least one spatial axis")
        if example_input.numel() > MAX_EXAMPLE_ELEMENTS:
            raise InvalidSpecError(f"example_input has {example_input.numel():,} elements; it "
                                   f"must have at most {MAX_EXAMPLE_ELEMENTS:,}")
        return [example_input]
    first = next((m for m in module.modules()
                  if isinstance(m, torch.nn.modules.conv._ConvNd)), None)
    if first is None:
        raise InvalidSpecError(f"module={type(module).__name__} has no convolution to infer "
                               "the input from; pass example_input=")
    nd = len(first.kernel_size)
    ch = first.in_channels
    if isinstance(first, torch.nn.modules.conv._ConvTransposeNd):
        ch = first.in_channels
    shapes = [(1, ch, *(s + 32 * i for i in range(nd))) for s in EXAMPLE_SIZES]
    shapes += [(1, ch, *(s,) * nd) for s in SQUARE_SIZES]  # models that want H == W
    return [torch.randn(*shape) for shape in shapes if math.prod(shape) <= MAX_EXAMPLE_ELEMENTS]


def _second(module: Any, x: Any) -> Any:
    """A second trace at a size 32 larger on every axis (a check, not the graph)."""
    import torch

    shape = (*x.shape[:2], *(int(s) + 32 for s in x.shape[2:]))
    if math.prod(shape) > MAX_EXAMPLE_ELEMENTS:
        return None
    y = torch.randn(*shape, dtype=x.dtype)
    try:
        return (y, _trace(module, y))
    except _Ran:
        return None


@dataclasses.dataclass
class _Trace:
    build: _Build
    guards: list[Guard]
    inputs: list[str]
    outputs: list[str]
    ignored_outputs: list[str]


def _trace(module: Any, x: Any) -> _Trace:
    import torch

    from symconv.network import torch_layers

    nd = x.dim() - 2
    b = _Build(nd)
    symbols = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(nd) or tuple(
        f"S{i}" for i in range(nd))
    inp = "x"
    b.spatial[inp] = tuple(int(s) for s in x.shape[2:])
    b.put(x, Traced(b.std_tags(inp, x.shape), inp))
    rec = Recorder(module, torch_layers.whole(), b.handle, b.sizes, b.tracked)
    try:
        with torch.no_grad(), rec:
            out = module(x)
    except SymconvError:
        raise
    except Exception as exc:
        raise _Ran(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
    outputs: list[str] = []
    ignored: list[str] = []
    for leaf in _leaves(out):
        if b.tracked(leaf):
            t = b.get(leaf)
            node = b.standard(t)
            if node is not None:
                outputs.append(node)
            else:
                ignored.append("output")
    b.symbols = symbols
    return _Trace(b, rec.guards, [inp], outputs, ignored)


def _leaves(out: Any) -> list[Any]:
    if isinstance(out, Mapping):
        return [v for x in out.values() for v in _leaves(x)]
    if isinstance(out, list | tuple):
        return [v for x in out for v in _leaves(x)]
    return [out]


def _same_graph(a: tuple[Any, _Trace], b: tuple[Any, _Trace]) -> None:
    sa, sb = a[1].build.sig, b[1].build.sig
    for i, (x, y) in enumerate(zip(sa, sb, strict=False)):
        if x != y:
            item = dict(json.loads(x[1]))
            raise UnsupportedError(
                f"layer {x[0]} ({a[1].build.items[i][3]}): its parameters {item} at input "
                f"{tuple(a[0].shape[2:])} differ at input {tuple(b[0].shape[2:])} "
                f"({json.loads(y[1])}): they are computed from the input size in a way symconv "
                "cannot follow (read sizes with x.shape / x.size() and integer arithmetic)")
    if len(sa) != len(sb):
        raise UnsupportedError(
            f"the module runs {len(sa)} layers at input {tuple(a[0].shape[2:])} and {len(sb)} "
            f"at input {tuple(b[0].shape[2:])}: its graph depends on the input size")


def _network(name: str, tr: _Trace) -> Network:
    b = tr.build
    if b.problems:
        ops = sorted({p[0] for p in b.problems})
        op, path, where = b.problems[0]
        more = f"; also: {', '.join(ops[1:4])}" if len(ops) > 1 else ""
        raise UnsupportedError(
            f"module {path}: {op} is not supported by symconv review"
            + (f" ({where})" if where else "") + more)
    items, guards = _fold_own_pads(b.items, tr.guards, tr.outputs)
    tr.guards = guards
    symbols = b.symbols
    inputs = (Input(tr.inputs[0], tuple(symbols)),)
    nodes: list[Node] = []
    previous = tr.inputs[0]
    for nm, item, srcs, where in items:
        label = f"layer {nm} ({where})" if where else f"layer {nm}"
        fit = item.get("fit")
        if fit is None:
            scale = item.get("like_scale")
            rest = {k: v for k, v in item.items() if k != "like_scale"}
            node = _node({**rest, "inputs": srcs}, nm, label, previous, Convention.TORCH, b.nd)
            if scale:
                node = dataclasses.replace(node, like_scale=tuple(tuple(s) for s in scale))
        else:  # a layer that takes another tensor's size at run time (Node.fit)
            like = item["like"]
            rest = {k: v for k, v in item.items() if k not in ("like", "fit")}
            if rest["op"] in ("pad", "slice"):
                node = Node(nm, rest["op"], None, (srcs[0], like), frozenset(),
                            alias=rest["op"], size_of=like, fit=fit)
            else:
                node = _node({**rest, "inputs": srcs[:1]}, nm, label, previous,
                             Convention.TORCH, b.nd)
                node = dataclasses.replace(node, inputs=(srcs[0], like), size_of=like, fit=fit)
        nodes.append(node)
        previous = nm
    if not nodes:
        raise UnsupportedError(f"module={name} has no spatial layer symconv review can analyse")
    heads = [h for h, _ in b.heads]
    net = build(name, Convention.TORCH, inputs, tuple(nodes), tr.outputs or None, tuple(heads))
    net = dataclasses.replace(net, ignored_sources=tuple(s for _, s in b.heads),
                              sources=tuple((nm, where) for nm, _, _, where in items
                                            if where))
    if tr.guards:
        net = dataclasses.replace(net, guards=tuple(tr.guards))
    return net


def _fold_own_pads(items: list[Any], guards: list[Guard], outputs: list[str]
                   ) -> tuple[list[Any], list[Guard]]:
    """A pad whose amounts are computed from its input's own size (``own_pads``: the "same"
    padding of efficientnet-pytorch's ``Conv2dDynamicSamePadding`` or timm's ``Conv2dSame``)
    folded into the convolution or max pooling it feeds, as that layer with ONNX
    ``SAME_UPPER`` padding, when the amounts are exactly those (proved on the expressions);
    the branches on the total being positive go with it (``SAME_UPPER`` clamps at 0 itself)."""
    from symconv.network.torch_dims import Expr
    from symconv.network.torch_layers import same_upper_pads

    folded: dict[str, str] = {}
    dropped: list[Expr] = []
    out = list(items)
    for nm, item, srcs, where in items:
        if "own_pads" not in item:
            continue
        users = [j for j, it in enumerate(out) if nm in it[2] or it[1].get("like") == nm]
        why = (f"module {where or nm}: a pad by amounts computed from its input's own size is "
               "supported only as the \"same\" padding of the one convolution or max pooling "
               "it feeds (zero padding there)")
        if len(users) != 1 or nm in outputs:
            raise UnsupportedError(why)
        j = users[0]
        unm, uitem, usrcs, uwhere = out[j]
        if uitem["op"] not in ("conv", "max-pool") or usrcs != [nm] or any(
                p != 0 for p in _flat(uitem.get("padding", 0))) or \
                uitem.get("padding_mode", "zeros") != "zeros":
            raise UnsupportedError(why)
        nd = len(item["own_pads"])
        k, st = _per_axis(uitem["kernel"], nd), _per_axis(uitem["stride"], nd)
        d = _per_axis(uitem.get("dilation", 1), nd)
        for a, (before, after) in enumerate(item["own_pads"]):
            b0, a0 = same_upper_pads(Expr.dim(srcs[0], a), k[a], st[a], d[a])
            if not (before.equals(b0) and after.equals(a0)):
                raise UnsupportedError(why + f"; on axis {a} it pads {before.show()}, "
                                       f"{after.show()}, not {b0.show()}, {a0.show()}")
            dropped.append(b0 + a0)
        out[j] = (unm, {**uitem, "padding": "same_upper", "convention": "onnx"}, list(srcs),
                  uwhere)
        folded[nm] = srcs[0]
    out = [it for it in out if it[0] not in folded]
    kept = [g for g in guards if not any(
        (g.left.equals(t) and g.right.equals(Expr.of(0))) or
        (g.right.equals(t) and g.left.equals(Expr.of(0))) for t in dropped)]
    return out, kept


def _flat(v: Any) -> list[Any]:
    if isinstance(v, list | tuple):
        return [u for x in v for u in _flat(x)]
    return [v]


def _per_axis(v: Any, nd: int) -> list[int]:
    return [int(v)] * nd if isinstance(v, int) else [int(u) for u in v]


# ---------------------------------------------------------------------------- targets


def parse_target(target: str) -> tuple[str, str]:
    """``"pkg.module:factory"`` or ``"path/to/file.py:Name"`` as (module or file, attribute)."""
    mod, sep, attr = target.rpartition(":")
    if not sep or not mod or not attr.isidentifier():
        raise InvalidSpecError(f"target={target[:80]!r} must be pkg.module:Name or "
                               "path/to/file.py:Name")
    return mod, attr


def load_torch(target: str, kwargs: Mapping[str, Any] | None = None, *,
               example_input: Any = None) -> Network:
    """Import ``target`` (see :func:`parse_target`; importing runs its code), call it with
    ``kwargs`` (a class or a factory) unless it is already a module, and trace it."""
    mod_name, attr = parse_target(target)
    try:
        import torch
    except ImportError:
        raise InvalidSpecError(f"target={target[:80]!r} is a PyTorch module, which needs torch "
                               "(pip install torch)") from None
    if mod_name.endswith(".py") or "/" in mod_name or "\\" in mod_name:
        path = Path(mod_name)
        if not path.is_file():
            raise InvalidSpecError(f"target={target[:80]!r}: file {mod_name[:80]!r} must exist")
        spec = importlib.util.spec_from_file_location(f"_symconv_user_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise InvalidSpecError(f"target={target[:80]!r}: {mod_name[:80]!r} must be a "
                                   "Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        parent = str(path.resolve().parent)
        sys.path.insert(0, parent)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise InvalidSpecError(f"target={target[:80]!r}: importing {mod_name[:80]!r} "
                                   f"failed: {type(exc).__name__}: {str(exc)[:160]}") from None
        finally:
            if sys.path and sys.path[0] == parent:
                sys.path.pop(0)
    else:
        try:
            module = importlib.import_module(mod_name)
        except Exception as exc:
            raise InvalidSpecError(f"target={target[:80]!r}: importing {mod_name[:80]!r} "
                                   f"failed: {type(exc).__name__}: {str(exc)[:160]}") from None
    if not hasattr(module, attr):
        raise InvalidSpecError(f"target={target[:80]!r}: {mod_name[:80]!r} has no attribute "
                               f"{attr!r}")
    obj = getattr(module, attr)
    import torch

    if not isinstance(obj, torch.nn.Module):
        if not callable(obj):
            raise InvalidSpecError(f"target={target[:80]!r}: {attr} must be an nn.Module, a "
                                   "class or a factory")
        try:
            obj = obj(**dict(kwargs or {}))
        except Exception as exc:
            raise InvalidSpecError(f"--kwargs: calling {attr}(**kwargs) failed: "
                                   f"{type(exc).__name__}: {str(exc)[:160]}") from None
    elif kwargs:
        raise InvalidSpecError(f"--kwargs must not be given: {attr} is already a module")
    if not isinstance(obj, torch.nn.Module):
        raise InvalidSpecError(f"target={target[:80]!r}: {attr}(**kwargs) returned "
                               f"{type(obj).__name__}, not an nn.Module")
    return from_torch(obj, example_input, name=attr)

