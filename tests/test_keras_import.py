"""Keras import (:mod:`symconv.network.keras_import`) judged by Keras 3 itself.

* the models of ``tests/keras_models.py`` (U-Net, autoencoder, causal 1-D, 3-D, two inputs,
  squeeze-excitation, Sequential, transposed convolutions, strided SAME on odd sizes,
  Resizing, nested and shared models, channels_first) are built, saved as ``.keras`` and as
  ``model.to_json()`` and run at every size of a sweep by one child process per half of them
  (Keras is imported only there, with ``KERAS_BACKEND=jax``); both files must give the same
  network, and at every size the review's verdict (its exact valid set) must be Keras's (it
  runs and no tensor is empty), and at valid sizes every layer's output shape (spatial sizes
  and channels) must be the review's;
* without Keras: one-line refusals (Lambda, unknown and custom classes, corrupt archives,
  missing ``config.json``, oversized members, non-Keras JSON), Keras 2 configs, shared-layer
  names, heads, and that ``load_keras`` imports nothing from Keras, TensorFlow or JAX.

Keras tests skip when Keras or JAX is missing, and fail under ``CI=true``
(:func:`conftest.requires`'s rule).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import keras_models
import pytest

from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.network import keras_import
from symconv.network.keras_import import from_keras_config, is_keras_json, load_keras
from symconv.review import review
from symconv.review.propagate import evaluate

from conftest import in_ci

HERE = Path(__file__).resolve().parent
#: A size the review refuses on purpose although the runtime runs it (SC006: a skip of size 1
#: only at that size, which the runtimes broadcast).
DELIBERATE = "the runtime broadcasts 1 against"


def _need_keras() -> None:
    missing = [m for m in ("keras", "jax") if importlib.util.find_spec(m) is None]
    if missing:
        why = f"{', '.join(missing)} not installed"
        if in_ci():
            pytest.fail(f"{why}: it is required when CI=true", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def keras_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Every model built, saved and run in Keras: two child processes, one per half."""
    _need_keras()
    folder = tmp_path_factory.mktemp("keras")
    names = list(keras_models.MODELS)
    halves = [names[0::2], names[1::2]]
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    procs = [subprocess.Popen([sys.executable, str(HERE / "keras_models.py"), str(folder), *h],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for h in halves]
    data: dict[str, Any] = {}
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        data.update(json.loads(out))
    return folder, data


def _disagreements(net: Any, run: dict[str, Any]) -> list[str]:
    """Where the review and Keras differ: verdicts, and shapes at valid sizes."""
    r = review(net, symbolic=True)
    assert not r.not_analysed, r.not_analysed
    channels = {t.name: t.channels for t in r.tensors}
    nd = net.ndim
    out: list[str] = []
    heads: dict[str, set[tuple[int, ...]]] = {}
    for size, res in zip(map(tuple, run["sizes"]), run["runs"], strict=True):
        valid = all(v is not None and n in v for n, v in zip(size, r.validity, strict=True))
        values, first = evaluate(net, size)
        shapes = res.get("shapes")
        ran = shapes is not None and all(all(shapes[k]) for k in shapes)
        if ran and not valid and first is not None and DELIBERATE in first.message:
            continue
        if valid != ran:
            why = res.get("error") or f"an empty tensor: {shapes}"
            out.append(f"{size}: review {'valid' if valid else 'invalid'} "
                       f"({first.message if first else ''}), Keras: {why}")
            continue
        if not valid:
            continue
        spatial = [k for k in shapes if k.startswith("output") and len(shapes[k]) == nd + 1]
        for k in shapes:
            if k.startswith("output") and k not in spatial:
                heads.setdefault(k, set()).add(tuple(shapes[k]))
        pairs = [(node, shapes[k]) for node, k in zip(net.outputs, spatial, strict=True)]
        pairs += [(k, s) for k, s in shapes.items() if k in values and not k.startswith("output")]
        for node, got in pairs:
            if len(got) == 1:  # a (batch, channels) tensor kept as a gate of size 1
                got = [1] * nd + got
            want = [*values[node], channels[node]]
            if got != want:
                out.append(f"{size}: {node}: review {want}, Keras {got}")
    out += [f"{k}: a head whose shape should not depend on the size: {sorted(v)}"
            for k, v in heads.items() if len(v) > 1]
    return out


@pytest.mark.parametrize("name", list(keras_models.MODELS))
def test_review_agrees_with_keras(keras_runs: tuple[Path, dict[str, Any]], name: str) -> None:
    folder, data = keras_runs
    run = data[name]
    net = load_keras(folder / f"{name}.keras")
    assert load_keras(folder / f"{name}.json") == net
    assert all(c["same"] for c in run["checked"]), run["checked"]
    valid = sum("shapes" in r for r in run["runs"])
    assert 0 < valid < len(run["runs"]) or name in ("transposes", "sequential", "causal1d")
    problems = _disagreements(net, run)
    assert not problems, "\n".join(problems[:20])


def test_exact_sets_and_node_names(keras_runs: tuple[Path, dict[str, Any]]) -> None:
    """The exact sets of a few models as the model docstrings say, the gates kept in the
    squeeze-excitation block, and the names of nested and shared layer calls."""
    folder, _ = keras_runs
    sets = {name: [v.describe() for v in review(load_keras(folder / f"{name}.keras")).validity]
            for name in ("unet", "sequential", "same_odd")}
    assert sets["unet"] == ["H = 0 mod 4", "W = 0 mod 4"]
    assert sets["sequential"] == ["H >= 13", "W >= 13"]
    assert sets["same_odd"][0] == "H = 0 mod 2"
    se = load_keras(folder / "se_block.keras")
    assert [n.name for n in se.nodes if n.op.startswith("adaptive")] == ["gap_k", "gap_r", "gmp"]
    assert len(se.ignored) == 1 and "gap_head" in se.ignored[0]
    nested = load_keras(folder / "nested.keras")
    assert {"enc.e_conv", "enc_1.e_conv", "shared", "shared_1", "head.h_up"} <= {
        n.name for n in nested.nodes}


# --------------------------------------------------------------------------- no Keras needed


def _layer(cls: str, name: str, src: list[str] | None = None, **cfg: Any) -> dict[str, Any]:
    """A Keras 3 functional layer entry reading the first call of each layer in ``src``."""
    args = [{"class_name": "__keras_tensor__", "config": {"keras_history": [s, 0, 0]}}
            for s in src or []]
    return {"module": "keras.layers", "class_name": cls, "name": name,
            "config": {"name": name, **cfg},
            "inbound_nodes": [{"args": [args] if len(args) > 1 else args, "kwargs": {}}]
            if src else []}


def _model(*layers: dict[str, Any], outputs: list[str] | None = None,
           shape: list[Any] | None = None) -> dict[str, Any]:
    inp = _layer("InputLayer", "x", batch_shape=shape or [None, None, None, 3])
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": "m", "layers": [inp, *layers], "input_layers": [["x", 0, 0]],
                       "output_layers": [[o, 0, 0] for o in outputs or [layers[-1]["name"]]]}}


def _conv(name: str, src: str, **kw: Any) -> dict[str, Any]:
    return _layer("Conv2D", name, [src], **{"filters": 4, "kernel_size": [3, 3], **kw})


def test_lambda_and_unknown_classes_are_refused_in_one_line() -> None:
    cfg = _model(_conv("c", "x"), _layer("Lambda", "lambda_3", ["c"], function={}),
                 _layer("MyBlock", "blk", ["lambda_3"]), _layer("Attention", "att", ["c", "c"]),
                 outputs=["att"])
    with pytest.raises(UnsupportedError) as exc:
        from_keras_config(cfg)
    assert str(exc.value) == (
        "layer 'lambda_3' (Lambda) is not supported by symconv review: Lambda layers hold "
        "Python code, which symconv never runs; unsupported layers: lambda_3 (Lambda), "
        "att (Attention)")
    masked = _conv("c3", "x")
    masked["inbound_nodes"][0]["kwargs"] = {"mask": masked["inbound_nodes"][0]["args"][0]}
    with pytest.raises(UnsupportedError, match=r"^layer 'c3' \(Conv2D\) is not supported by "
                       r"symconv review: it is called with a tensor as a keyword argument"):
        from_keras_config(_model(masked))
    head = from_keras_config(_model(_conv("c", "x"), _layer("GlobalMaxPooling2D", "g", ["c"]),
                                    _layer("Lambda", "lam", ["g"]), outputs=["c", "lam"]))
    assert [n.name for n in head.nodes] == ["c"] and head.ignored[0].startswith(
        "GlobalMaxPooling2D layer 'g' and what follows it")
    custom = _conv("c2", "x")
    custom["module"] = "my_project.layers"
    with pytest.raises(UnsupportedError, match=r"^layer 'c2' \(Conv2D\) is not supported by "
                       r"symconv review: a custom layer \(module 'my_project.layers'\)"):
        from_keras_config(_model(custom))


@pytest.mark.parametrize(("layer", "message"), [
    (_layer("Concatenate", "cat", ["x", "x"], axis=1), r"^layer 'cat' \(Concatenate\): axis=1 "
     r"must be the channel axis \(channels_last\)"),
    (_layer("Resizing", "rs", ["x"], height=4, width=4, crop_to_aspect_ratio=True),
     r"^layer 'rs' \(Resizing\): crop_to_aspect_ratio=True is not modelled"),
    (_layer("UpSampling2D", "up", ["x"], size=[2, 2], interpolation="gaussian"),
     r"^layer 'up' \(UpSampling2D\): interpolation='gaussian' is not modelled"),
    (_layer("Conv1D", "c1", ["x"], filters=2, kernel_size=[3]),
     r"^layer 'c1' \(Conv1D\): a 1-D layer must not read a tensor with 2 spatial axes"),
    ((_conv("a", "x", data_format="channels_last"), _conv("c", "a", data_format="channels_first")),
     r"^layer 'c' \(Conv2D\): data_format='channels_first' must be the model's 'channels_last'"),
    (_conv("c", "x", padding=[[1, 1], [1, 1]]), r"^layer 'c' \(Conv2D\): padding=\[\[1, 1\], "
     r"\[1, 1\]\] must be 'valid', 'same' or 'causal'$"),
    (_layer("Conv2DTranspose", "t", ["x"], filters=2, kernel_size=[3, 3], strides=[2, 2],
            padding="same", output_padding=[2, 2]),
     r"^layer 't' \(Conv2DTranspose\): output_padding=\(2, 2\) must be smaller than "
     r"stride=\(2, 2\) under convention keras"),
])
def test_layers_keras_refuses_or_symconv_does_not_model(layer: Any, message: str) -> None:
    layers = layer if isinstance(layer, tuple) else (layer,)
    with pytest.raises((InvalidSpecError, UnsupportedError), match=message) as exc:
        from_keras_config(_model(*layers))
    assert "\n" not in str(exc.value)


def _keras_zip(path: Path, config: Any, name: str = "config.json") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        zf.writestr(name, config if isinstance(config, str) else json.dumps(config))
    return path


def test_bad_files_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _model(_conv("c", "x"))
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(_keras_zip(tmp_path / "g.keras", good).read_bytes()[:60])
    plain = tmp_path / "plain.keras"
    plain.write_text("not a zip")
    cases = {
        corrupt: r"must be a valid \.keras archive \(truncated or corrupt",
        plain: r"must be a \.keras archive \(a zip file holding config\.json\)",
        _keras_zip(tmp_path / "noconf.keras", good, "model.json"): r"must hold config\.json",
        _keras_zip(tmp_path / "badjson.keras", "{"): r"must be valid JSON: Expecting",
        _keras_zip(tmp_path / "ours.keras", {"inputs": [], "layers": []}):
            r"must be a Keras model config",
        tmp_path / "missing.json": r"must be readable",
        tmp_path / "m.h5": r"HDF5 models are not read",
    }
    (tmp_path / "m.h5").write_bytes(b"\x89HDF")
    for path, message in cases.items():
        with pytest.raises(InvalidSpecError, match=message) as exc:
            load_keras(path)
        assert "\n" not in str(exc.value)
    big = _keras_zip(tmp_path / "big.keras", json.dumps(good) + " " * 5000)
    monkeypatch.setattr(keras_import, "MAX_BYTES", 4096)
    with pytest.raises(InvalidSpecError, match=r"\(config\.json\): size=\d+ bytes must be at "
                       r"most 4096"):
        load_keras(big)
    monkeypatch.setattr(keras_import, "MAX_MEMBERS", 1)
    with pytest.raises(InvalidSpecError, match=r"members=2 must be at most 1"):
        load_keras(_keras_zip(tmp_path / "two.keras", good))


def test_budgets_and_non_keras_json() -> None:
    assert not is_keras_json({"inputs": [{"name": "x", "size": ["H"]}], "layers": []})
    assert not is_keras_json([1, 2]) and is_keras_json(_model(_conv("c", "x")))
    with pytest.raises(InvalidSpecError, match="must be a Keras model config"):
        from_keras_config({"name": "x"})
    with pytest.raises(UnsupportedError, match=r"class_name='MyModel' is not a model"):
        from_keras_config({"class_name": "MyModel", "config": {}})
    many = {"class_name": "Sequential", "config": {"layers": [{}] * 100_001}}
    with pytest.raises(InvalidSpecError, match=r"^layers=100001 must be at most 100000$"):
        from_keras_config(many)


def test_load_keras_imports_no_framework(tmp_path: Path) -> None:
    """Reading a ``.keras`` file imports nothing from Keras, TensorFlow or JAX (checked in a
    fresh interpreter)."""
    path = _keras_zip(tmp_path / "m.keras", _model(_conv("c", "x")))
    code = ("import sys\nfrom symconv.network.keras_import import load_keras\n"
            f"net = load_keras({str(path)!r})\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax', 'jaxlib', 'h5py', 'tf_keras'))\n"
            "print(net.nodes[0].name, bad)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "c []"


def test_shared_layers_heads_and_gates() -> None:
    shared = _conv("conv", "x", padding="same")
    shared["inbound_nodes"].append({"args": [{"class_name": "__keras_tensor__", "config": {
        "keras_history": ["conv", 0, 0]}}], "kwargs": {}})
    gap = _layer("GlobalAveragePooling2D", "gap", ["conv"])
    gate = _layer("Dense", "gate", ["gap"], units=4)
    mul = _layer("Multiply", "mul", ["conv", "gate"])
    mul["inbound_nodes"][0]["args"][0][0]["config"]["keras_history"] = ["conv", 1, 0]
    flat = _layer("Flatten", "flat", ["mul"])
    cls = _layer("Dense", "cls", ["flat"], units=3)
    net = from_keras_config(_model(shared, _conv("conv_1", "x"), gap, gate, mul, flat, cls,
                                   outputs=["mul", "cls", "conv_1"]))
    assert [(n.name, n.op, n.inputs) for n in net.nodes] == [
        ("conv", "conv", ("x",)), ("conv_1", "conv", ("x",)), ("conv_2", "conv", ("conv",)),
        ("gap", "adaptive-avg-pool", ("conv",)), ("gate", "conv", ("gap",)),
        ("mul", "add", ("conv_2", "gate"))]
    assert net.outputs == ("mul", "conv_1")
    assert net.ignored == ("Flatten layer 'flat' and what follows it: it changes the spatial "
                           "layout (a non-spatial head)",)
    r = review(net)
    assert r.not_analysed == ("Flatten layer 'flat' and what follows it: it changes the "
                              "spatial layout (a non-spatial head)",)
    assert any(n.startswith("mul broadcasts gate") for n in r.notes)


def test_keras2_list_format_and_nested_sequential() -> None:
    """A Keras 2 config (``batch_input_shape``, list-format inbound nodes, a nested Sequential
    whose calls are numbered after its own first node)."""
    inner = {"class_name": "Sequential", "config": {"name": "blk", "layers": [
        {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3],
                                            "strides": [2, 2], "padding": "same",
                                            "batch_input_shape": [None, None, None, 3]}},
        {"class_name": "UpSampling2D", "config": {"name": "u", "size": [2, 2]}}]},
        "name": "blk", "inbound_nodes": [[["in", 0, 0, {}]]]}
    cfg = {"class_name": "Functional", "keras_version": "2.15.0", "backend": "tensorflow",
           "config": {"name": "k2", "layers": [
               {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
                "config": {"name": "in", "batch_input_shape": [None, None, None, 3]}},
               inner,
               {"class_name": "Add", "name": "add", "config": {"name": "add"},
                "inbound_nodes": [[["blk", 1, 0, {}], ["in", 0, 0, {}]]]}],
               "input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]]}}
    net = from_keras_config(cfg)
    assert [(n.name, n.inputs) for n in net.nodes] == [
        ("blk.c", ("in",)), ("blk.u", ("blk.c",)), ("add", ("blk.u", "in"))]
    assert review(net).validity[0].describe() == "H = 0 mod 2"


def test_cli_reviews_keras_files(keras_runs: tuple[Path, dict[str, Any]],
                                 tmp_path: Path) -> None:
    """``symconv review`` takes a .keras archive and a Keras JSON config (told from a symconv
    network file by its content); a corrupt archive is one line, exit 2."""
    from click.testing import CliRunner

    from symconv.cli import cli

    folder, _ = keras_runs
    for suffix in ("keras", "json"):
        res = CliRunner().invoke(cli, ["review", str(folder / f"unet.{suffix}")])
        assert res.exit_code == 0, res.output
        assert "H = 0 mod 4" in res.output and "convention keras" in res.output
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 not really")
    res = CliRunner().invoke(cli, ["review", str(bad)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    own = tmp_path / "net.json"
    own.write_text('{"inputs": [{"name": "x", "size": ["H"]}], "layers": [{"op": "conv", '
                   '"k": 3}]}')
    res = CliRunner().invoke(cli, ["review", str(own)])
    assert res.exit_code == 0 and "H >= 3" in res.output, res.output


# --------------------------------------------------------------------------- issue 15:
# hostile Keras configs: deep, huge numbers, huge lists, long names; bounded messages


@pytest.mark.parametrize(("text", "message"), [
    ('{"class_name": "Sequential", "config": {"layers": ' + "[" * 100_000 + "]" * 100_000
     + "}}", r"must be JSON nested less deeply$"),
    ('{"class_name": "Sequential", "config": {"layers": [' + "9" * 5000 + "]}}",
     r"must not hold an integer of over 4,300 digits$"),
], ids=["deep", "bigint"])
def test_deep_json_and_huge_integers_are_one_line(tmp_path: Path, text: str,
                                                  message: str) -> None:
    """Issue 15: a RecursionError or ValueError of the JSON parser was a traceback (in a
    .keras archive, where the CLI does not sniff the JSON first)."""
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", text)
    with pytest.raises(InvalidSpecError, match=r"^file='.* \(config\.json\) " + message):
        load_keras(path)


@pytest.mark.parametrize(("layer", "message"), [
    (["a"] * 3_000_000, r"^layer=\[\"a\", \"a\", .*\.\.\. must be a mapping with class_name"),
    (_conv("c", "x", kernel_size=[3] * 2_000_000),
     r"kernel_size=\[3, 3, 3, .*\.\.\. must be an integer or 2 integers"),
    (_conv("c", "x", kernel_size=[10**4000, 3]), r"kernel=an integer of 4001 digits must be "
                                                 r"below 10\*\*18"),
    (_conv("c", "x", filters=10**30), r"out_channels=an integer of 31 digits must be below"),
    (_conv("n" * 5_000_000, "x"), r"name='n{50,}\.\.\. must have at most 256 characters"),
    (_layer("X" * 5_000_000, "a", ["x"]), r"^layer 'a' \(X{60}\.\.\.\) is not supported"),
], ids=["list", "kernel-list", "bigint", "filters", "name", "class"])
def test_huge_values_give_short_messages_quickly(layer: Any, message: str) -> None:
    """Messages render a bounded prefix of the value (they serialised all of it first)."""
    import time

    start = time.perf_counter()
    with pytest.raises((InvalidSpecError, UnsupportedError), match=message) as info:
        from_keras_config(_model(layer, outputs=None if isinstance(layer, dict) else ["x"]))
    assert time.perf_counter() - start < 2
    assert len(str(info.value)) < 400


def test_input_shapes_past_1e18_are_one_line() -> None:
    with pytest.raises(InvalidSpecError, match=r"must be positive integers below 10\*\*18"):
        from_keras_config(_model(_conv("c", "x"), shape=[None, 2**62, 8, 3]))
