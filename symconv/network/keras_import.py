"""Read a Keras model as a :class:`~symconv.network.model.Network` for ``symconv review``.

The model is read as data, never executed: a ``.keras`` file is a zip archive whose
``config.json`` is read with :mod:`zipfile` (the weights are never opened), a JSON file is what
``model.to_json()`` writes (or that ``config.json``), and both are parsed with ``json.loads``.
Keras, TensorFlow and JAX are not imported.  The network has convention ``keras``; node names
are the Keras layer names (a shared layer's later calls are ``name_1``, ``name_2``, ...; the
layers of a nested model are ``model.layer``).

* inputs: ``InputLayer`` ``batch_shape`` (Keras 3) or ``batch_input_shape`` (Keras 2), spatial
  axes ``1..n`` under ``channels_last`` (the default) or ``2..n+1`` under ``channels_first``;
  a ``null`` size is the symbol ``H``, ``W``, ``D`` by axis (the same symbol for every input);
* ``Conv1D/2D/3D``, ``SeparableConv*``, ``DepthwiseConv*`` (``padding`` ``valid``, ``same``,
  ``causal``): ``conv``; ``Conv1D/2D/3DTranspose``: ``conv-transpose`` (``output_padding``
  ``null`` is Keras's inferred length);
* ``MaxPooling*``/``AveragePooling*``: ``max-pool``/``avg-pool`` (``strides`` default to the
  pool size); ``GlobalAveragePooling*``/``GlobalMaxPooling*`` with ``keepdims=True``: adaptive
  pooling to size 1; without it a ``(batch, channels)`` tensor, kept only where it becomes
  spatial again (``Reshape`` to ``(1, ..., 1, C)``, or an elementwise merge that broadcasts it
  under ``channels_last``: squeeze-excitation), otherwise a head left out of the analysis;
* ``UpSampling1D/2D/3D`` (``nearest``, ``bilinear``, ``bicubic``): ``resize`` by the integer
  factors; ``Resizing``: ``resize`` to its fixed size; ``ZeroPadding*``: ``pad``;
  ``Cropping*``: ``slice``;
* ``Concatenate`` on the channel axis: ``concat``; ``Add``, ``Subtract``, ``Multiply``,
  ``Average``, ``Maximum``, ``Minimum``: ``add`` (an elementwise merge that broadcasts a gate);
* size-preserving layers (:data:`IDENTITY`: activations, normalisations, dropouts, ...):
  ``identity``; ``Dense`` on a spatial tensor (``channels_last``): a 1x1 ``conv`` with
  ``units`` channels;
* ``Flatten``, ``Reshape``, ``Permute`` of a spatial tensor, and everything computed from
  them: a head, left out and listed in ``Network.ignored`` (the review says so, SC302);
* nested ``Functional``/``Sequential`` models are inlined, per call.

``Lambda`` (Python code), ``TFOpLambda`` and any other class are refused in one line
(:class:`~symconv.errors.UnsupportedError`) naming every unsupported layer and class; a bad
file is one :class:`~symconv.errors.InvalidSpecError` line.  Sizes are bounded before anything
is read: :data:`MAX_BYTES` per JSON document, :data:`MAX_MEMBERS` zip members,
:data:`MAX_LAYERS` layers and layer calls.

>>> cfg = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
...     {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, None, None, 3]}},
...     {"class_name": "Conv2D", "config": {"name": "c1", "filters": 8, "kernel_size": [3, 3],
...                                         "strides": [2, 2], "padding": "same"}},
...     {"class_name": "UpSampling2D", "config": {"name": "up", "size": [2, 2]}},
...     {"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}},
...     {"class_name": "Dense", "config": {"name": "logits", "units": 10}}]}}
>>> net = from_keras_config(cfg)
>>> [(n.name, n.op, n.inputs) for n in net.nodes]
[('c1', 'conv', ('x',)), ('up', 'resize', ('c1',))]
>>> net.inputs, net.convention.value
((Input(name='x', size=('H', 'W'), channels=3),), 'keras')
>>> net.nodes[0].layer
Conv(kernel=(3, 3), stride=(2, 2), padding='same', out_channels=8, convention='keras')
>>> net.ignored
("GlobalAveragePooling2D layer 'gap' and what follows it: a reduction over every spatial axis (global pooling without keepdims)",)
>>> lam = {"class_name": "Lambda", "config": {"name": "lambda_3", "function": {}}}
>>> from_keras_config({"class_name": "Sequential", "config": {"layers": [*cfg["config"]["layers"][:2], lam]}})
Traceback (most recent call last):
...
symconv.errors.UnsupportedError: layer 'lambda_3' (Lambda) is not supported by symconv review: Lambda layers hold Python code, which symconv never runs
>>> is_keras_json(cfg), is_keras_json({"inputs": [], "layers": []})
(True, False)
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network.keras_layers import _T, IDENTITY, MAX_LAYERS, MERGES, _clip, _Graph, _show
from symconv.network.model import Input, Network, Node, build
from symconv.spec import Convention

__all__ = ["IDENTITY", "MAX_BYTES", "MAX_LAYERS", "MAX_MEMBERS", "MERGES", "from_keras_config",
           "is_keras_json", "load_keras"]

#: Largest JSON document read (a ``.keras`` member's declared size is checked before reading).
MAX_BYTES = 64 * 2**20
#: Most members of a ``.keras`` archive.
MAX_MEMBERS = 10_000
_MAX_DEPTH = 64  # nesting of models and of call arguments
_MODELS = frozenset({"Functional", "Model", "Sequential"})
_INPUT = "InputLayer"
_SYMBOLS = ("H", "W", "D")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


# --------------------------------------------------------------------------- reading files


def load_keras(path: str | Path) -> Network:
    """Read a ``.keras`` archive (its ``config.json``) or a Keras JSON config file.

    One-line :class:`~symconv.errors.InvalidSpecError` for a missing, corrupt or oversized
    file; nothing in it is executed and Keras is not imported.
    """
    p = Path(path)
    where = f"file={_show(str(p))}"
    if p.suffix.lower() in (".h5", ".hdf5"):
        raise InvalidSpecError(f"{where} must be a .keras archive or a Keras JSON config: "
                               "HDF5 models are not read (model.save('m.keras') or "
                               "model.to_json())")
    try:
        with p.open("rb") as f:
            head = f.read(4)
        size = p.stat().st_size
    except OSError as exc:
        raise InvalidSpecError(f"{where} must be readable ({exc.strerror})") from None
    if head.startswith(b"PK"):
        raw = _zip_config(p, where)
        where = f"{where} (config.json)"
    else:
        if p.suffix.lower() == ".keras":
            raise InvalidSpecError(f"{where} must be a .keras archive (a zip file holding "
                                   "config.json): it is not a zip file (truncated or corrupt?)")
        _check_size(size, where)
        try:
            with p.open("rb") as f:
                raw = f.read(MAX_BYTES + 1)  # bounded whatever stat said (a pipe, ...)
        except OSError as exc:
            raise InvalidSpecError(f"{where} must be readable ({exc.strerror})") from None
        _check_size(len(raw), where)
    data = _json(raw, where)
    if not is_keras_json(data):
        raise InvalidSpecError(f"{where} must be a Keras model config (class_name and config "
                               "at the top level, as model.to_json() writes)")
    return from_keras_config(data)


def _check_size(size: int, where: str) -> None:
    if size > MAX_BYTES:
        raise InvalidSpecError(f"{where}: size={size} bytes must be at most {MAX_BYTES} "
                               "(64 MiB) for a model config")


def _zip_config(p: Path, where: str) -> bytes:
    """``config.json`` of a ``.keras`` archive, its declared size checked before reading and
    the bytes read bounded by it (a lying header cannot inflate past the limit)."""
    try:
        _zip_directory(p, where)
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise InvalidSpecError(f"{where}: members={len(infos)} must be at most "
                                       f"{MAX_MEMBERS} for a .keras archive")
            info = next((i for i in infos if i.filename == "config.json"), None)
            if info is None:
                raise InvalidSpecError(f"{where} must hold config.json (a .keras archive "
                                       "written by model.save)")
            if info.flag_bits & 1:
                raise InvalidSpecError(f"{where}: config.json must not be encrypted")
            _check_size(info.file_size, f"{where} (config.json)")
            with zf.open(info) as f:
                raw = f.read(MAX_BYTES + 1)
    except InvalidSpecError:
        raise
    except OSError as exc:
        raise InvalidSpecError(f"{where} must be readable ({exc.strerror})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        why = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InvalidSpecError(f"{where} must be a valid .keras archive (truncated or "
                               f"corrupt: {why})") from None
    _check_size(len(raw), f"{where} (config.json)")
    return raw


def _zip_directory(p: Path, where: str) -> None:
    """Refuse an archive whose central directory (the end record, read before
    :class:`zipfile.ZipFile` parses every entry) lists more than :data:`MAX_MEMBERS` members
    or more than 64 MiB of entries."""
    with p.open("rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 65557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return  # zipfile says what is wrong
    count = int.from_bytes(tail[at + 10:at + 12], "little")
    size = int.from_bytes(tail[at + 12:at + 16], "little")
    if count != 0xFFFF and count > MAX_MEMBERS:
        raise InvalidSpecError(f"{where}: members={count} must be at most {MAX_MEMBERS} for a "
                               ".keras archive")
    if size != 0xFFFFFFFF and size > MAX_BYTES:
        raise InvalidSpecError(f"{where}: central directory of {size} bytes must be at most "
                               f"{MAX_BYTES} for a .keras archive")


def _json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidSpecError(f"{where} must be UTF-8 JSON text") from None
    except json.JSONDecodeError as exc:
        raise InvalidSpecError(f"{where} must be valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}") from None
    except ValueError as exc:  # Python converts at most 4,300 digits to an int
        if "integer string conversion" not in str(exc):
            raise
        raise InvalidSpecError(f"{where} must not hold an integer of over 4,300 digits") from None
    except RecursionError:
        raise InvalidSpecError(f"{where} must be JSON nested less deeply") from None


def is_keras_json(data: Any) -> bool:
    """True for a parsed JSON document that is a Keras model config (``class_name`` and
    ``config`` at the top level), not a symconv network file (``inputs``, ``layers``)."""
    return (isinstance(data, Mapping) and isinstance(data.get("class_name"), str)
            and isinstance(data.get("config"), Mapping | list)
            and "inputs" not in data and "layers" not in data)


def from_keras_config(data: Mapping[str, Any]) -> Network:
    """Build the network of a parsed Keras model config (``json.loads(model.to_json())``)."""
    if not is_keras_json(data):
        raise InvalidSpecError("data must be a Keras model config (class_name and config at "
                               "the top level, as model.to_json() writes)")
    cls = data["class_name"]
    if cls not in _MODELS:
        raise UnsupportedError(f"class_name={_clip(cls)!r} is not a model symconv review reads: "
                               "only Functional and Sequential models (a subclassed model's "
                               "config holds no graph)")
    reader = _Reader()
    reader.survey(data, 0)
    return reader.network(data)


# --------------------------------------------------------------------------- the graph

Ref = tuple[str, int, int]  # (layer, call, tensor)


class _Reader(_Graph):
    """Walks the model config: inputs, calls in dependency order, nested models inlined."""

    def __init__(self) -> None:
        super().__init__(0, "")
        self.reserved: set[str] = set()  # the first call of every layer, nested included
        self.assigned: set[str] = set()
        self.layers = 0

    def survey(self, entry: Any, depth: int, prefix: str = "") -> None:
        """Count the layers (budget), reserve their names, find the data format."""
        if depth > _MAX_DEPTH:
            raise InvalidSpecError(f"models must be nested at most {_MAX_DEPTH} deep")
        layers = _layers(entry, prefix)
        self.layers += len(layers)
        if self.layers > MAX_LAYERS:
            raise InvalidSpecError(f"layers={self.layers} must be at most {MAX_LAYERS}")
        for item in layers:
            if not isinstance(item, Mapping) or not isinstance(item.get("class_name"), str):
                raise InvalidSpecError(f"layer={_show(item)} must "
                                       "be a mapping with class_name and config")
            cfg = item.get("config")
            fmt = cfg.get("data_format") if isinstance(cfg, Mapping) else None
            if not self.fmt and fmt in ("channels_last", "channels_first"):
                self.fmt = fmt
            name = _layer_name(item)
            self.reserved.add(_safe(prefix + name))
            if item["class_name"] in _MODELS:
                self.survey(item, depth + 1, f"{prefix}{name}.")

    def name(self, base: str, call: int) -> str:
        """Call ``call`` of the layer named ``base``: the Keras name for the first call,
        ``base_1``, ``base_2``, ... for the others (never a name another layer has)."""
        base = _safe(base)
        if call == 0 and base not in self.assigned:
            self.assigned.add(base)
            return base
        i = max(call, 1)
        while f"{base}_{i}" in self.assigned or f"{base}_{i}" in self.reserved:
            i += 1
        self.assigned.add(f"{base}_{i}")
        return f"{base}_{i}"

    def network(self, data: Mapping[str, Any]) -> Network:
        self.fmt = self.fmt or "channels_last"
        outs = self.model(data, "", None, 0)
        if self.unsupported:
            name, cls, why = self.unsupported[0]
            more = ""
            if len(self.unsupported) > 1:
                shown = ", ".join(f"{n} ({c})" for n, c, _ in self.unsupported[:20])
                more = f"; unsupported layers: {shown}" + (
                    ", ..." if len(self.unsupported) > 20 else "")
            raise UnsupportedError(f"layer {_show(name)} ({_clip(str(cls))}) is not supported "
                                   "by symconv "
                                   f"review: {why}{more}")
        if not self.inputs:
            raise UnsupportedError("the model has no input with spatial axes (batch, "
                                   "spatial..., channels): nothing for symconv review")
        ignored: list[str] = []
        sources: list[tuple[str, ...]] = []
        for name, text, ins in self.roots:
            if name in self.kept or not any(self.analysed(t) for t in ins):
                continue
            ignored.append(text)
            item = self.pending.get(name)
            if isinstance(item, Node) and item.op.startswith("adaptive-"):
                sources.append(())  # a reduction over every spatial axis
            else:  # a (batch, channels) tensor has one shape for every input size
                sources.append(tuple(t.name if self.analysed(t) else "" for t in ins
                                     if t.kind != "vector" or self.analysed(t)))
        for t in outs:
            if t.kind == "vector" and t.name in self.kept:
                ignored.append(f"output {_show(t.name)}: a (batch, channels) tensor")
                sources.append((t.name,))
        if not self.nodes:
            why = f": not analysed: {ignored[0]}" if ignored else ""
            raise UnsupportedError(f"the model has no spatial layer symconv review can "
                                   f"analyse{why}")
        outputs = [t.name for t in outs if t.kind == "spatial"]
        cfg = data.get("config")
        title = cfg.get("name") if isinstance(cfg, Mapping) else None
        net = build(title if isinstance(title, str) and title else "keras-model", Convention.KERAS,
                    tuple(self.inputs), tuple(self.nodes), outputs or None, tuple(ignored))
        return dataclasses.replace(net, ignored_sources=tuple(sources))

    # ---- models
    def model(self, entry: Mapping[str, Any], prefix: str, args: list[_T] | None,
              depth: int) -> list[_T]:
        if entry.get("class_name") == "Sequential":
            return self.sequential(entry, prefix, args, depth)
        return self.functional(entry, prefix, args, depth)

    def sequential(self, entry: Mapping[str, Any], prefix: str, args: list[_T] | None,
                   depth: int) -> list[_T]:
        cfg = entry.get("config")
        items = list(_layers(entry, prefix))
        if items and items[0].get("class_name") == _INPUT:
            first, items = items[0], items[1:]
        else:
            first = None
        if args is None:
            shape = _shape_of(first or (items[0] if items else {}))
            if shape is None and isinstance(cfg, Mapping):
                shape = cfg.get("build_input_shape")
            if shape is None:
                raise InvalidSpecError("the Sequential model must have an input shape (build "
                                       "it with keras.Input before saving)")
            name = _layer_name(first) if first else "input"
            current = self.new_input(self.name(prefix + name, 0), shape)
        elif len(args) != 1:
            raise InvalidSpecError(f"model {_show(prefix[:-1])} (Sequential) must be called on "
                                   f"one tensor, got {len(args)}")
        else:
            current = args[0]
        for item in items:
            if item.get("class_name") == _INPUT:
                raise InvalidSpecError(f"layer {_show(_layer_name(item))} (InputLayer) must be the "
                                       "first layer of a Sequential model")
            current = self.call(item, prefix, 0, [current], depth)[0]
        return [current]

    def functional(self, entry: Mapping[str, Any], prefix: str, args: list[_T] | None,
                   depth: int) -> list[_T]:
        cfg = entry.get("config")
        if not isinstance(cfg, Mapping):
            raise InvalidSpecError(f"model {_clip(prefix[:-1] or 'config')!r}: config must be "
                                   "a mapping")
        entries: dict[str, Mapping[str, Any]] = {}
        for item in _layers(entry, prefix):
            name = _layer_name(item)
            if name in entries:
                raise InvalidSpecError(f"layer name {_show(name)} must be unique in model "
                                       f"{_clip(prefix[:-1] or 'config')!r}")
            entries[name] = item
        legacy = not any(isinstance(n, Mapping) for item in entries.values()
                         for n in _inbound(item))
        tensors: dict[Ref, _T] = {}
        in_refs = _refs(cfg.get("input_layers"), "input_layers")
        if args is not None and len(args) != len(in_refs):
            raise InvalidSpecError(f"model {_show(prefix[:-1])} must be called on {len(in_refs)} "
                                   f"tensors, got {len(args)}")
        for k, (name, _, _) in enumerate(in_refs):
            item = entries.get(name)
            if item is None or item.get("class_name") != _INPUT:
                raise InvalidSpecError(f"input_layers[{k}]={_show(name)} must name an InputLayer")
            tensors[(name, 0, 0)] = args[k] if args is not None else self.new_input(
                self.name(prefix + name, 0), _shape_of(item))
        # every call with the tensors it reads, processed once they exist (Kahn)
        calls: list[tuple[Mapping[str, Any], int, list[Ref], bool]] = []
        for name, item in entries.items():
            if item.get("class_name") == _INPUT:
                continue
            for c, node in enumerate(_inbound(item)):
                listed = not isinstance(node, Mapping)
                refs, keyword = _node_refs(node, name)
                calls.append((item, c, [(n, i - _offset(entries.get(n), legacy, listed), t)
                                        for n, i, t in refs], keyword))
        waiting: dict[Ref, list[int]] = {}
        missing = [0] * len(calls)
        ready: deque[int] = deque()
        for j, (_, _, refs, _) in enumerate(calls):
            need = {r for r in refs if r not in tensors}
            missing[j] = len(need)
            for r in need:
                waiting.setdefault(r, []).append(j)
            if not need:
                ready.append(j)
        done = 0
        while ready:
            item, c, refs, keyword = calls[ready.popleft()]
            name = _layer_name(item)
            for t, out in enumerate(self.call(item, prefix, c, [tensors[r] for r in refs],
                                              depth, keyword)):
                tensors[(name, c, t)] = out
                for w in waiting.pop((name, c, t), []):
                    missing[w] -= 1
                    if not missing[w]:
                        ready.append(w)
            done += 1
        if done < len(calls):
            item, _, refs, _ = next(calls[j] for j in range(len(calls)) if missing[j])
            ref = next(r for r in refs if r not in tensors)
            raise InvalidSpecError(f"layer {_show(_layer_name(item))}: input {list(ref)} must be a "
                                   "tensor the model computes (dangling reference or cycle)")
        outs = []
        for k, (name, node, t) in enumerate(_refs(cfg.get("output_layers"), "output_layers")):
            key = (name, node - _offset(entries.get(name), legacy, True, out=True), t)
            if key not in tensors:
                raise InvalidSpecError(f"output_layers[{k}]={[name, node, t]} must be a tensor "
                                       "the model computes")
            outs.append(tensors[key])
        return outs

    def new_input(self, name: str, shape: Any) -> _T:
        """A model input: spatial (rank >= 3), a (batch, channels) vector, or not analysed."""
        if not isinstance(shape, list) or not all(
                v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in shape):
            raise InvalidSpecError(f"input {_show(name)}: batch_shape={_show(shape)} "
                                   "must be a list of integers or nulls")
        rank = len(shape)
        if rank < 3:
            if rank == 2:
                self.pending[name] = Input(name, (1,) * max(self.nd, 1), shape[1])
                return _T("vector", name, shape[1])
            return _T("gone")
        if not self.nd:
            self.nd = rank - 2
            for n, item in self.pending.items():  # a rank-2 input read before the first
                if isinstance(item, Input):
                    self.pending[n] = Input(item.name, (1,) * self.nd, item.channels)
        elif rank - 2 != self.nd:
            raise UnsupportedError(f"input {_show(name)} has {rank - 2} spatial axes but the first "
                                   f"input has {self.nd}")
        dims, ch = (shape[1:-1], shape[-1]) if self.fmt == "channels_last" else (
            shape[2:], shape[1])
        if len(dims) > 3 and any(d is None for d in dims):
            raise UnsupportedError(f"input {_show(name)} has {len(dims)} spatial axes: at most 3 "
                                   "can be symbolic")
        if any(d is not None and d < 1 for d in dims):
            raise InvalidSpecError(f"input {_show(name)}: batch_shape={_show(shape)} must "
                                   "hold positive "
                                   "sizes")
        size = tuple(_SYMBOLS[a] if d is None else d for a, d in enumerate(dims))
        ch = ch if isinstance(ch, int) and ch > 0 else None
        self.inputs.append(Input(name, size, ch))
        return _T("spatial", name, ch)

    def call(self, item: Mapping[str, Any], prefix: str, c: int, ins: list[_T],
             depth: int, keyword: bool = False) -> list[_T]:
        """Call ``c`` of a layer (a nested model: inlined) on ``ins`` (``keyword``: some of
        them were passed as keyword arguments, which is not modelled)."""
        cls = item["class_name"]
        name = self.name(prefix + _layer_name(item), c)
        if keyword:
            return [self.refuse(name, cls, ins, "it is called with a tensor as a keyword "
                                                "argument (a mask or a second input), which "
                                                "is not modelled")]
        if cls in _MODELS:
            if depth + 1 > _MAX_DEPTH:
                raise InvalidSpecError(f"models must be nested at most {_MAX_DEPTH} deep")
            return self.model(item, name + ".", ins, depth + 1)
        cfg = item.get("config")
        if not isinstance(cfg, Mapping):
            raise InvalidSpecError(f"layer {_show(name)} ({_clip(str(cls))}): config must be "
                                   "a mapping")
        if not ins:
            raise InvalidSpecError(f"layer {_show(name)} ({_clip(str(cls))}) must read a tensor")
        try:
            return [self.layer(cls, cfg, name, ins, item.get("module"))]
        except SymconvError as exc:
            raise type(exc)(f"layer {_show(name)} ({_clip(str(cls))}): {exc}") from None


# --------------------------------------------------------------------------- config helpers


def _layers(entry: Any, prefix: str) -> list[Any]:
    cfg = entry.get("config") if isinstance(entry, Mapping) else None
    layers = cfg.get("layers") if isinstance(cfg, Mapping) else cfg
    if not isinstance(layers, list):
        raise InvalidSpecError(f"model {_clip(prefix[:-1] or 'config')!r}: layers must be a "
                               "list of layer configs")
    return layers


def _offset(item: Mapping[str, Any] | None, legacy: bool, listed: bool,
            out: bool = False) -> int:
    """Where Keras numbers a nested model's calls after the node it was built with: Keras 3
    in ``output_layers`` (a Functional model), Keras 2 in every list-format reference (a
    model with an input)."""
    if item is None or item.get("class_name") not in _MODELS:
        return 0
    if legacy and listed:
        layers = _layers(item, "")
        first = layers[0] if layers and isinstance(layers[0], Mapping) else {}
        return int(item.get("class_name") != "Sequential" or _shape_of(first) is not None)
    return int(out and item.get("class_name") == "Functional")


def _layer_name(item: Mapping[str, Any]) -> str:
    cfg = item.get("config")
    name = item.get("name") or (cfg.get("name") if isinstance(cfg, Mapping) else None)
    if not isinstance(name, str) or not name:
        raise InvalidSpecError(f"layer of class {_clip(str(item.get('class_name')))!r} must "
                               "have a name")
    return name


def _safe(name: str) -> str:
    """A network name for a Keras name (letters, digits, ``_ . -``)."""
    if _NAME.fullmatch(name):
        return name
    out = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
    return out if re.match(r"[A-Za-z_]", out) else "t_" + out


def _shape_of(item: Mapping[str, Any]) -> Any:
    cfg = item.get("config")
    if not isinstance(cfg, Mapping):
        return None
    for key in ("batch_shape", "batch_input_shape"):
        if cfg.get(key) is not None:
            return cfg[key]
    shape = cfg.get("shape") if item.get("class_name") == _INPUT else None
    return [None, *shape] if isinstance(shape, list) else None


def _inbound(item: Mapping[str, Any]) -> list[Any]:
    nodes = item.get("inbound_nodes", [])
    if not isinstance(nodes, list):
        raise InvalidSpecError(f"layer {_show(_layer_name(item))}: inbound_nodes must be a list")
    return nodes


def _refs(raw: Any, what: str) -> list[Ref]:
    """``input_layers``/``output_layers``: one ``[name, node, tensor]`` or a structure of
    them (lists, or a mapping by name), in order."""
    out: list[Ref] = []

    def walk(x: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise InvalidSpecError(f"{what} must be nested less deeply")
        if isinstance(x, list) and len(x) == 3 and isinstance(x[0], str):
            out.append(_ref(x, what))
        elif isinstance(x, list | Mapping):
            for y in x.values() if isinstance(x, Mapping) else x:
                walk(y, depth + 1)
        else:
            raise InvalidSpecError(f"{what}={_show(x)} must hold "
                                   "[layer, node, tensor] triples")

    walk(raw, 0)
    if not out:
        raise InvalidSpecError(f"{what} must name at least one tensor")
    return out


def _ref(x: Any, what: str) -> Ref:
    if not (isinstance(x, list) and len(x) >= 3 and isinstance(x[0], str) and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in x[1:3])):
        raise InvalidSpecError(f"{what}={_show(x)} must be "
                               "[layer, node index, tensor index]")
    return x[0], x[1], x[2]


def _node_refs(node: Any, layer: str) -> tuple[list[Ref], bool]:
    """The tensors one call reads: Keras 3 ``{"args": [...], "kwargs": {...}}`` (every
    ``__keras_tensor__``, in order) or Keras 2 ``[[name, node, tensor, kwargs], ...]``; and
    whether some are keyword arguments."""
    where = f"layer {layer!r}: inbound_nodes"
    if isinstance(node, list):
        return [_ref(x, where) for x in node], False
    if not isinstance(node, Mapping):
        raise InvalidSpecError(f"{where} must hold calls ({{args, kwargs}} or lists)")

    def walk(x: Any, depth: int, into: list[Ref]) -> list[Ref]:
        if depth > _MAX_DEPTH:
            raise InvalidSpecError(f"{where} must be nested less deeply")
        if isinstance(x, Mapping) and x.get("class_name") == "__keras_tensor__":
            cfg = x.get("config")
            into.append(_ref(cfg.get("keras_history") if isinstance(cfg, Mapping) else None,
                             where))
        elif isinstance(x, list | Mapping):
            for y in x.values() if isinstance(x, Mapping) else x:
                walk(y, depth + 1, into)
        return into

    keyword = walk(node.get("kwargs", {}), 0, [])
    return walk(node.get("args", []), 0, []) + keyword, bool(keyword)
