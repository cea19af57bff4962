"""Hostile command lines and files for the robustness contract (issue 15), drawn at random.

The contract: every ``symconv`` invocation ends with a result (exit 0, or 1 for a failed
check) or with exactly one line ``symconv: error: ...`` on stderr and exit 2, within
:data:`SECONDS` and :data:`MEMORY` of address space: never a traceback, a hang or a
MemoryError.

:func:`invocation` draws an argument list.  The commands and their options are read from the
click tree itself, so an option added later is fuzzed without editing this file; each value
comes from a pool for the option's kind (sizes, per-axis integers, padding, factors, layer
text, paths, ...) that mixes valid values with hostile ones: integers of 19 to 5,000 digits,
negative and zero values, parameter values of 10**9 that size arrays or loops, long strings,
control characters and unicode, many axes, malformed syntax.  Network files come from
:func:`hostile_files`: the example networks with random fields replaced by hostile values (as
YAML, JSON and TOML), fixed attacks (billion laughs, circular aliases, nesting 1,000 deep,
long layer chains, binary junk) and ONNX models with hostile attributes, shape programs and
initializers.

Draws go through a :class:`Draw`: :class:`RandomDraw` (a seeded :class:`random.Random`, for the
benchmark script ``tests/benchmarks/fuzz_cli.py``) or :class:`HypothesisDraw` (inside a
Hypothesis test, which then shrinks failures).  :func:`run_inprocess` runs one invocation in
this process through click's ``CliRunner`` under a wall-clock alarm and an address-space cap;
:func:`run_subprocess` runs it in a child ``python -m symconv``.  Both return a
:class:`Verdict` whose ``problem`` is empty when the contract held.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "symconv" / "network" / "examples"

#: Wall-clock limit of one invocation.
SECONDS = 20
#: Address space one invocation may add (the issue's cap).
MEMORY = 4 << 30

T = TypeVar("T")


class Draw(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...
    def integer(self, low: int, high: int) -> int: ...
    def chance(self, p: float) -> bool: ...


class RandomDraw:
    """Draws from a seeded :class:`random.Random`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class HypothesisDraw:
    """Draws through Hypothesis's ``st.data()`` (so failures shrink)."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def choice(self, options: Sequence[T]) -> T:
        return options[self.data.draw(self.st.integers(0, len(options) - 1))]

    def integer(self, low: int, high: int) -> int:
        return int(self.data.draw(self.st.integers(low, high)))

    def chance(self, p: float) -> bool:
        return int(self.data.draw(self.st.integers(0, 999))) < p * 1000


# --------------------------------------------------------------------------- value pools

def _roll(d: Draw, valid: int) -> int:
    """A percentile for a pool whose first ``valid`` percent are valid values: uniform in a wild
    invocation, mostly valid in a sane one (see :func:`invocation`)."""
    if getattr(d, "sane", False) and d.chance(0.97):
        return d.integer(0, valid - 1)
    return d.integer(0, 99)


def _huge(d: Draw) -> str:
    return d.choice(["9", "1", "4"]) * d.choice([19, 20, 25, 40, 400, 4301, 5000])


def _int_text(d: Draw) -> str:
    """An integer-ish token: mostly small, sometimes hostile."""
    r = _roll(d, 55)
    if r < 55:
        return str(d.choice([1, 2, 3, 4, 5, 7, 8]))
    if r < 62:
        return d.choice(["0", "-1", "-3", "+2", "007"])
    if r < 75:
        return str(d.choice([64, 100, 1000, 4096, 10**6, 10**9, 2**31, 2**40, 2**62, 10**18 - 1]))
    if r < 85:
        return _huge(d)
    return d.choice(["", "3.5", "1e9", "inf", "nan", "0x10", "3/2", "x", "٣", "3 ", "2**40",
                     "-", "1_000"])


def _per_axis(d: Draw, axes: int | None = None) -> str:
    n = axes if axes is not None else d.choice([1, 1, 1, 2, 2, 3, 17])
    if getattr(d, "sane", False):
        n = d.choice([1, getattr(d, "ndim", 1)])
    sep = d.choice(["x", "x", "x", ",", " x ", "×"])
    return sep.join(_int_text(d) for _ in range(n))


def _size(d: Draw) -> str:
    if getattr(d, "sane", False) and d.chance(0.8):
        sizes = [1, 2, 3, 4, 5, 7, 8, 16, 32, 64, 100, 470, 1000, 2300, 4096]
        if getattr(d, "symbolic", False):
            return "x".join(d.choice(["H", "W", "N"]) for _ in range(getattr(d, "ndim", 1)))
        return "x".join(str(d.choice(sizes)) for _ in range(getattr(d, "ndim", 1)))
    r = _roll(d, 40)
    if r < 30:
        return d.choice(["8", "16", "5", "4x4", "8x8", "7x9", "32x32", "3x4x5", "1", "2x2"])
    if r < 40:
        return d.choice(["H", "HxW", "h,w", "H x W", "N", "Hx8", "_x", "H1xW1"])
    if r < 52:
        return d.choice(["2300x2300", "100000x100000", "470x470", "512x512", "2048x2048",
                         "1000000", "100000000", "4096x4096x4096", "65536x65536"])
    if r < 62:
        return "x".join(["2"] * d.choice([4, 8, 17, 100]))
    if r < 85:
        return _per_axis(d)
    return _junk(d)


def _padding(d: Draw) -> str:
    r = _roll(d, 30)
    if r < 30:
        return d.choice(["0", "1", "2", "same", "valid", "SAME", "VALID", "same_upper",
                         "same_lower", "1:2", "1x2", "1:2x0:1", "full", "causal", "CIRCULAR",
                         "REFLECT", "CAUSAL", "explicit"])
    if r < 60:
        return ":".join(_int_text(d) for _ in range(d.choice([1, 2, 3])))
    if r < 80:
        return "x".join(f"{_int_text(d)}:{_int_text(d)}" for _ in range(d.choice([1, 2, 3])))
    return _junk(d)


def _factor(d: Draw) -> str:
    r = _roll(d, 40)
    if r < 40:
        return d.choice(["2", "3", "3/2", "1.5", "0.5", "2x3", "1", "4/3", "1/3"])
    if r < 60:
        return d.choice(["0", "-2", "1/0", "0/0", "1e30", "1e-30", "inf", "nan", "100000",
                         "1000000000", "997/1009", "1013/1019", "3/1000000007"])
    if r < 80:
        return f"{_int_text(d)}/{_int_text(d)}"
    return _junk(d)


_CONVENTIONS = ["torch", "onnx", "tensorflow", "keras", "jax", "torch", "onnx", "tensorflow",
                "tf.nn.conv2d", "tf.nn.conv2d_transpose", "tf.nn.pool", "tf.nn.max_pool2d",
                "keras.layers.Conv2D", "keras.layers.Conv2DTranspose", "jax.lax.conv_transpose",
                "lax.conv_general_dilated", "flax.linen.Conv", "flax.linen.ConvTranspose",
                "flax.linen.max_pool", "jax.image.resize", "tf.image.resize", "TORCH", "caffe",
                ""]

_LAYER_KINDS = ["conv", "conv-transpose", "deconv", "avg-pool", "max-pool", "upsample-nearest",
                "upsample-linear", "upsample-cubic", "pixel-shuffle", "pixel-unshuffle",
                "adaptive-avg-pool", "adaptive-max-pool", "global-avg-pool", "global-max-pool",
                "resize", "max-unpool", "pad", "slice", "bogus"]

_LAYER_KEYS = [("k", _per_axis), ("s", _per_axis), ("p", _padding), ("d", _per_axis),
               ("op", _per_axis), ("f", _factor), ("r", _per_axis), ("o", _per_axis),
               ("pm", lambda d: d.choice(["reflect", "circular", "zeros", "replicate", "x"])),
               ("convention", lambda d: d.choice(_CONVENTIONS)), ("kernel", _per_axis),
               ("q", _per_axis)]

_FLAGS = ["ceil", "exact", "align_corners", "transpose_kernel", "count_include_pad", "bogus"]


_SANE_KEYS = {"conv": "ksdp", "conv-transpose": "ksdpo", "avg-pool": "ksdp", "max-pool": "ksdp",
              "upsample-nearest": "f", "upsample-linear": "f", "upsample-cubic": "f",
              "pixel-shuffle": "r", "pixel-unshuffle": "r", "adaptive-avg-pool": "a",
              "adaptive-max-pool": "a", "global-avg-pool": "", "global-max-pool": ""}
_KEY = {"k": ("k", _per_axis), "s": ("s", _per_axis), "d": ("d", _per_axis),
        "p": ("p", _padding), "o": ("op", _per_axis), "f": ("f", _factor),
        "r": ("r", _per_axis), "a": ("o", _per_axis)}


def _layer(d: Draw) -> str:
    if getattr(d, "sane", False) and d.chance(0.9):
        kind = d.choice(sorted(_SANE_KEYS))
        keys = _SANE_KEYS[kind]
        parts = [kind]
        if keys:
            parts.append(f"{_KEY[keys[0]][0]}={_KEY[keys[0]][1](d)}")  # the one it needs
        for _ in range(d.choice([0, 0, 1, 2])):
            if keys[1:]:
                key, values = _KEY[d.choice(keys[1:])]
                parts.append(f"{key}={values(d)}")
        if d.chance(0.15):
            parts.append(f"convention={d.choice(_CONVENTIONS[:5])}")
        return " ".join(parts)
    parts = [d.choice(_LAYER_KINDS)]
    for _ in range(d.choice([0, 1, 1, 2, 2, 3, 4])):
        key, values = d.choice(_LAYER_KEYS)
        parts.append(f"{key}={values(d)}")
    if d.chance(0.2):
        parts.append(d.choice(_FLAGS))
    if d.chance(0.05):
        parts.append(_junk(d))
    return " ".join(parts)


def _junk(d: Draw) -> str:
    return d.choice(["", " ", "x", "-", "--", "=", "\x00", "\u202e8", "é", "😀", "\n", "\t3",
                     "{}", "[]", "null", "None", "'; rm -rf /'", "__import__('os')",
                     "$(id)", "%s%n", "a" * 10_000, "3" * 300 + "x" + "3" * 300,
                     "x".join(["3"] * 2000), "../../etc/passwd", "~", "."])


# --------------------------------------------------------------------------- files

def _mutate(d: Draw, value: Any, depth: int = 0) -> Any:
    """``value`` with one random leaf or field replaced by a hostile value."""
    if isinstance(value, dict) and value and depth < 6 and d.chance(0.8):
        key = d.choice(sorted(value, key=str))
        out = dict(value)
        out[key] = _mutate(d, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and depth < 6 and d.chance(0.8):
        i = d.integer(0, len(value) - 1)
        out_list = list(value)
        out_list[i] = _mutate(d, value[i], depth + 1)
        return out_list
    return _hostile_value(d)


def _hostile_value(d: Draw) -> Any:
    r = d.integer(0, 19)
    if r == 0:
        return (1 if d.chance(0.5) else -1) * (10 ** d.choice([19, 25, 400, 4000]) - 1)
    if r == 1:
        return d.choice([0, -1, 10**9, 2**31, 2**40, 2**63, 10**18, 10**19])
    if r == 2:
        return d.choice([1.5, float("inf"), float("nan"), -0.0, 1e300])
    if r == 3:
        return d.choice([None, True, False, "", [], {}])
    if r == 4:
        nested: Any = 1
        for _ in range(d.choice([50, 200, 900])):
            nested = [nested]
        return nested
    if r == 5:
        return list(range(d.choice([100, 10_000, 100_000])))
    if r == 6:
        return _junk(d)
    if r == 7:
        return {"op": d.choice(_LAYER_KINDS), "kernel": _hostile_value(d)}
    if r == 8:
        return [d.choice([3, "H", -1, 10**9])] * d.choice([2, 3, 17])
    return d.choice(["H", "W", "H*2", "2**40", "x", "conv", "same", 3, 1, 2])


def _dump(value: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(value, allow_nan=True, default=str)
    if fmt == "toml":
        return _toml(value)
    try:
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, RecursionError):
        return json.dumps(value, default=str)


def _toml(value: Any) -> str:
    """A small TOML writer for mutated networks (arrays of tables for inputs/layers)."""
    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(str(v), str(v))
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(str(k))} = {scalar(x)}" for k, x in v.items()
                                   if x is not None) + "}"
        return json.dumps(str(v))
    if not isinstance(value, dict):
        return f"value = {scalar(value)}\n"
    lines: list[str] = []
    tables: list[tuple[str, list[Any]]] = []
    for k, v in value.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{json.dumps(str(k))} = {scalar(v)}")
    for k, items in tables:
        for item in items:
            lines.append(f"[[{k}]]")
            lines += [f"{json.dumps(str(a))} = {scalar(b)}" for a, b in item.items()
                      if b is not None]
    return "\n".join(lines) + "\n"


_FIXED = {
    "laughs.yaml": "\n".join(
        ["description:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
        + ["inputs:", "  - {name: x, size: [8], channels: 1}", "layers:",
           "  - {name: c, op: conv, kernel: 3}", ""]),
    "laughs_kernel.yaml": "\n".join(
        ["inputs: &i", "  - {name: x, size: [8], channels: 1}", "layers:",
         '  - {name: c, op: conv, kernel: &a0 [1,1,1,1,1,1,1,1,1]}']
        + [f"  - {{name: c{i}, op: conv, kernel: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]}"
           for i in range(1, 10)] + [""]),
    "circular.yaml": "inputs:\n  - {name: x, size: [8], channels: 1}\nlayers:\n"
                     "  - &l {name: c, op: conv, kernel: [*l]}\n",
    "circular_desc.yaml": "description: &d [*d]\ninputs:\n  - {name: x, size: [8], channels: 1}\n"
                          "layers:\n  - {name: c, op: conv, kernel: 3}\n",
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "pools.yaml": "inputs:\n  - {name: x, size: [H], channels: 1}\nlayers:\n" + "".join(
        f"  - {{name: p{i}, op: max-pool, kernel: 3, stride: 2, padding: 1}}\n"
        for i in range(130)),
    "chain.yaml": "inputs:\n  - {name: x, size: [H, W], channels: 1}\nlayers:\n" + "".join(
        f"  - {{name: c{i}, op: conv, kernel: 3, padding: 1}}\n" for i in range(3000)),
    "near.yaml": "inputs:\n  - {name: x, size: [H, W], channels: 3}\nlayers:\n"
                 "  - {name: u, op: resize, mode: nearest, scale_factor: 1000000}\n",
    "stride.yaml": "inputs:\n  - {name: x, size: [H, W], channels: 3}\nlayers:\n"
                   "  - {name: c, op: conv, kernel: 3, stride: 1000000000}\n",
    "bigint.yaml": "inputs:\n  - {name: x, size: [8], channels: 1}\nlayers:\n"
                   f"  - {{name: c, op: conv, kernel: {'9' * 5000}}}\n",
    "tag.yaml": "!!python/object/apply:os.system ['echo pwned']\n",
    "empty.yaml": "",
    "binary.onnx": "\x00\x01\x02\xff garbage",
    "junk.json": '{"inputs": [{"name": "x", "size": [8]}], "layers": [{"op": "conv", ',
    "bom.yaml": "\ufeffinputs:\n  - {name: x, size: [8], channels: 1}\nlayers: []\n",
}


def hostile_files(folder: Path, d: Draw, mutations: int = 40) -> list[Path]:
    """Write the fixed attacks, ``mutations`` mutated example networks and (when onnx is
    installed) hostile ONNX models into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, text in _FIXED.items():
        path = folder / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        paths.append(path)
    examples = [yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
    for i in range(mutations):
        net = d.choice(examples)
        for _ in range(d.choice([1, 1, 2, 3])):
            net = _mutate(d, net)
        fmt = d.choice(["yaml", "json", "toml"])
        path = folder / f"mutant{i}.{fmt}"
        try:
            path.write_text(_dump(net, fmt), encoding="utf-8")
        except (ValueError, RecursionError):
            continue
        paths.append(path)
    paths += _onnx_files(folder, d)
    return paths


def _onnx_files(folder: Path, d: Draw) -> list[Path]:
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        return []
    paths: list[Path] = []

    def save(name: str, nodes: list[Any], inits: Sequence[Any] = (),
             size: Sequence[Any] = (1, 1, 8, 8)) -> None:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(size))
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        graph = helper.make_graph(nodes, name, [x], [y], initializer=list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        path = folder / f"{name}.onnx"
        path.write_bytes(model.SerializeToString())
        paths.append(path)

    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 3, 3], [1.0] * 9)
    hostile_ints = [2**40, 2**62, -5, 0, 10**9]
    for attr in ("kernel_shape", "strides", "pads", "dilations"):
        v = d.choice(hostile_ints)
        n = 4 if attr == "pads" else 2
        node = helper.make_node("Conv", ["x", "w"], ["y"], **{attr: [v] * n})
        save(f"conv_{attr}", [node], [w])
    pool = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[d.choice(hostile_ints)] * 2)
    save("pool_kernel", [pool])
    shape = helper.make_tensor("s", TensorProto.INT64, [1], [d.choice([2**31, 2**62])])
    cos = helper.make_node("ConstantOfShape", ["s"], ["c"])
    reshape = helper.make_node("Shape", ["c"], ["sc"])
    resize = helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest")
    cat = helper.make_node("Concat", ["sc", "sc", "sc", "sc"], ["sz"], axis=0)
    save("constant_of_shape", [cos, reshape, cat, resize], [shape])
    scales = helper.make_tensor("sc", TensorProto.FLOAT, [4],
                                [1.0, 1.0, d.choice([1e30, 1e-30, float("inf"), float("nan"),
                                                     -2.0]), 2.0])
    rs = helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="nearest")
    save("resize_scales", [rs], [scales])
    big = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**28, 2, 3, 3])
    save("initializer_no_data", [helper.make_node("Conv", ["x", "w"], ["y"])], [big])
    ext = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1, 1, 3, 3])
    ext.data_location = TensorProto.EXTERNAL
    where = d.choice(["/etc/passwd", "../../outside.bin", "missing.bin", "sub/../../x.bin"])
    ext.external_data.add(key="location", value=where)
    save("external_data", [helper.make_node("Conv", ["x", "w"], ["y"])], [ext])
    save("symbolic_huge", [helper.make_node("Relu", ["x"], ["y"])],
         size=(1, 1, "H", 10**15))
    (folder / "truncated.onnx").write_bytes(paths[0].read_bytes()[:37])
    paths.append(folder / "truncated.onnx")
    return paths


# --------------------------------------------------------------------------- invocations

def _value(d: Draw, option: str, param: click.Parameter, tmp: Path, files: Sequence[Path]
           ) -> str:
    """A value for ``option`` of the kind its name says."""
    if isinstance(param.type, click.Choice) and d.chance(0.85):
        return str(d.choice(list(param.type.choices)))
    name = option.lstrip("-")
    pools: dict[str, Callable[[Draw], str]] = {
        "in": _size, "size": _size, "target": _size, "input": _size,
        "kernel": _per_axis, "stride": _per_axis, "dilation": _per_axis,
        "output-padding": _per_axis, "padding": _padding, "scale": _factor,
        "groups": _int_text, "channels": _int_text, "out-channels": _int_text,
        "factor": _int_text, "seed": _int_text, "max-nnz": _int_text,
        "convention": lambda d: d.choice(_CONVENTIONS), "compare": lambda d: d.choice(
            [*_CONVENTIONS, "torch,onnx", "tf,jax,keras"]),
        "layer": _layer, "ignore": lambda d: d.choice(["SC208", "SC208,SC301", "x", ""]),
        "restores": lambda d: d.choice(["dec1=x", "a=b", "=", "x", "up=" + "a" * 500]),
        "no-restore": lambda d: d.choice(["up", "", "x" * 300]),
        "kwargs": lambda d: d.choice(['{"depth": 4}', "{", "[]", "null", '{"a": ' * 500]),
        "weights": lambda d: str(d.choice(files)) if files else "w.npy",
        "grid": lambda d: d.choice(["small", "full", "x"]),
    }
    if name in ("png", "graphml", "dot", "out", "proofs"):
        return d.choice([str(tmp / f"out.{name}"), str(tmp / "missing" / "sub" / "f"),
                         str(tmp), "/proc/version", str(tmp / ("n" * 300))])
    if name == "convention" and getattr(d, "sane", False):
        return d.choice(_CONVENTIONS[:5])
    if name in pools and d.chance(0.99 if getattr(d, "sane", False) else 0.93):
        return pools[name](d)
    return _junk(d) if d.chance(0.5) else _int_text(d)


#: Options of shape/matrix/latex that are not layer parameters.
_CONTROL = {"in_", "json", "symbolic", "prove", "compare", "latex", "stats", "weights",
            "max_nnz", "fragment", "seed", "convention"}


def _takes(command: str) -> dict[str, frozenset[str]] | None:
    """The options each layer kind takes, from the command's own table (private: None if the
    module no longer has it)."""
    module = {"shape": "symconv.cli.shape", "latex": "symconv.cli.shape",
              "matrix": "symconv.cli.matrix"}.get(command)
    if module is None:
        return None
    import importlib

    return getattr(importlib.import_module(module), "_TAKES", None)


#: Commands drawn eight times less often than the others.
_RARE = ("explain", "prove")

#: Commands the fuzzer leaves out: ``report`` writes the whole catalogue (minutes per run).
SKIPPED = ("report",)


def invocation(d: Draw, tmp: Path, files: Sequence[Path]) -> list[str]:
    """One ``symconv`` argument list (without the program name).  Half the invocations are
    *sane* (each value valid with probability 0.9, so the commands get past their checks and
    do real work), half *wild* (any value hostile)."""
    from symconv.cli import cli

    d.sane = d.chance(0.5)  # type: ignore[attr-defined]
    d.ndim = d.choice([1, 2, 2, 3])  # type: ignore[attr-defined]
    d.symbolic = d.chance(0.15)  # type: ignore[attr-defined]  # symbols, with --symbolic

    ctx = click.Context(cli)
    names = [n for n in cli.list_commands(ctx) if n not in SKIPPED]
    # every command (read from the tree); the slow, option-poor ones (explain --verify proves
    # its theorems: seconds) less often than those with many options
    weighted = [n for n in names for _ in range(1 if n in _RARE else 8)]
    name = d.choice(weighted)
    command = cli.get_command(ctx, name)
    assert command is not None
    args = [name]
    positional = [p for p in command.params if isinstance(p, click.Argument)]
    options = [p for p in command.params if isinstance(p, click.Option)]
    takes = _takes(name)
    for p in positional:
        if name == "review":
            args.append(str(d.choice(files)) if files and d.chance(0.9) else _junk(d))
        elif name == "prove":
            args += [d.choice(["T1", "T7", "T16", "T99", "x", "T1,T2"])
                     for _ in range(d.choice([0, 1, 1, 2]))]
        elif isinstance(p.type, click.Choice) and d.chance(0.95):
            args.append(str(d.choice(list(p.type.choices))))
        else:
            args.append(_junk(d))
    if name == "prove" and (len(args) == 1 or d.chance(0.3)):
        # the whole catalogue (no ids) is the long job `symconv report` runs: minutes by
        # design, like `report` itself; one theorem proves in seconds
        args.append("--list")
    chosen: list[click.Option] = []
    if d.sane:  # type: ignore[attr-defined]
        # what the command needs, and only options the layer takes
        chosen += [p for p in options if p.required or p.name in ("in_", "layer")]
        if takes is not None and len(args) > 1 and args[1] in takes:
            kind = takes[args[1]]
            allowed = {o.replace("-", "_") for o in kind} | _CONTROL
            if d.chance(0.8):  # budgets and weights files mostly at their defaults
                allowed -= {"max_nnz", "weights", "target"}
            options = [p for p in options if p.name in allowed or p.name == "in_"]
            needed = next((n for n in ("kernel", "factor", "scale", "size") if n in kind), None)
            if needed == "scale" and d.chance(0.3):
                needed = "size"
            chosen += [p for p in options if p.name == needed]
    for _ in range(d.choice([1, 2, 3, 3, 4, 5, 6])):
        chosen.append(d.choice(options))
    if d.sane and d.symbolic:  # type: ignore[attr-defined]
        chosen += [p for p in options if p.name == "symbolic"]
    for p in chosen:
        option = max(p.opts, key=len)
        if option in ("--help", "--version"):
            continue
        if p.is_flag:
            args.append(option)
        else:
            args += [option, _value(d, option, p, tmp, files)]
    if d.chance(0.03):
        args.append(d.choice(["--bogus", "extra", "--in"]))
    return args


# --------------------------------------------------------------------------- running

@dataclass
class Verdict:
    args: list[str]
    code: int | None
    seconds: float
    stderr: str
    problem: str  # empty when the contract held

    def describe(self) -> str:
        shown = " ".join(a if len(a) < 60 else a[:50] + f"...({len(a)})" for a in self.args)
        return f"symconv {shown}: {self.problem} ({self.seconds:.1f} s)\n{self.stderr[-1500:]}"


def judge(args: list[str], code: int | None, stderr: str, seconds: float) -> Verdict:
    lines = stderr.strip("\n").split("\n") if stderr.strip() else []
    problem = ""
    if code is None:
        problem = f"no exit within {SECONDS} s"
    elif "Traceback" in stderr or "MemoryError" in stderr:
        problem = "traceback"
    elif "ran out of memory" in stderr or "recursion limit" in stderr:
        problem = "caught only by the CLI's last-resort handler"
    elif code in (0, 1):
        pass
    elif code == 2:
        if len(lines) != 1 or not lines[0].startswith("symconv: error: "):
            problem = f"exit 2 with {len(lines)} stderr lines"
        elif len(lines[0]) > 1000:
            problem = f"an error line of {len(lines[0])} characters"
    else:
        problem = f"exit status {code}"
    return Verdict(args, code, seconds, stderr, problem)


class _Hang(BaseException):
    """Raised by the alarm inside a hung invocation."""


def _vm_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def _limits(seconds: int, memory: int) -> Iterator[None]:
    """An alarm after ``seconds`` and an address-space cap of ``memory`` beyond what this
    process has now (the soft limit only: it is restored afterwards)."""
    def ring(signum: int, frame: Any) -> None:
        raise _Hang()

    old_handler = signal.signal(signal.SIGALRM, ring)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_bytes() + memory
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, old_handler)


def run_inprocess(args: list[str]) -> Verdict:
    """Run ``symconv ARGS`` through click's CliRunner under :data:`SECONDS` and
    :data:`MEMORY`."""
    import traceback

    from click.testing import CliRunner

    from symconv.cli import cli

    runner = CliRunner()
    t0 = time.perf_counter()
    try:
        with _limits(SECONDS, MEMORY):
            result = runner.invoke(cli, args, prog_name="symconv", catch_exceptions=True)
    except _Hang:
        return judge(args, None, "", time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    stderr = result.stderr
    code: int | None = result.exit_code
    exc = result.exception
    if isinstance(exc, _Hang):
        code = None
    elif exc is not None and not isinstance(exc, SystemExit):
        stderr += "".join(traceback.format_exception(exc))
        stderr += "\nTraceback: the invocation raised"
    return judge(args, code, stderr, seconds)


def run_subprocess(args: list[str], cwd: Path | None = None) -> Verdict:
    """Run ``python -m symconv ARGS`` in a child under :data:`SECONDS` and :data:`MEMORY`."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [a.replace("\x00", "") for a in args]  # an argv cannot hold NUL (in-process can)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "symconv", *args], capture_output=True,
                              timeout=SECONDS, preexec_fn=cap, env=env, cwd=cwd,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return judge(args, None, "", time.perf_counter() - t0)
    stderr = proc.stderr.decode("utf-8", "replace")
    return judge(args, proc.returncode, stderr, time.perf_counter() - t0)
