"""ONNX import: the example networks exported to small ONNX files, read back to the same
review, and every propagated shape compared with onnxruntime's actual output shapes; every
reported counterexample is confirmed by running it.  Bad files are one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.network.model import Network, load
from symconv.review import review
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, Resize

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"
pytestmark = pytest.mark.onnx
SHRINK = 32  # channel counts divided by this, so onnxruntime runs the examples quickly


def export(net: Network) -> Any:
    """An ONNX model with the network's layers (random weights, channels shrunk), every
    tensor a graph output, spatial sizes as dim_param symbols."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nd = net.ndim
    ch: dict[str, int] = {}
    nodes, inits, outputs = [], [], []
    inputs = []
    for inp in net.inputs:
        c = inp.channels or 1
        ch[inp.name] = c
        dims: list[Any] = [1, c, *inp.size]
        inputs.append(helper.make_tensor_value_info(inp.name, TensorProto.FLOAT, dims))
    for node in net.nodes:
        layer = node.layer
        src = node.inputs[0]
        cin = ch[src]
        if layer is None:
            if node.op == "concat":
                nodes.append(helper.make_node("Concat", list(node.inputs), [node.name], axis=1))
                ch[node.name] = sum(ch[s] for s in node.inputs)
            elif node.op == "add":
                nodes.append(helper.make_node("Add", list(node.inputs), [node.name]))
                ch[node.name] = cin
            else:
                nodes.append(helper.make_node("Relu", [src], [node.name]))
                ch[node.name] = cin
        else:
            spec = layer.at(nd)
            attrs: dict[str, Any] = {}
            if isinstance(spec, Conv | ConvTranspose | MaxPool | AvgPool):
                attrs["kernel_shape"] = list(spec.kernel)
                attrs["strides"] = list(spec.stride)
                attrs["pads"] = [p[0] for p in spec.padding] + [p[1] for p in spec.padding]
            if isinstance(spec, Conv | ConvTranspose):
                cout = max(1, (spec.out_channels or cin) // SHRINK)
                attrs["dilations"] = list(spec.dilation)
                shape = ((cout, cin) if isinstance(spec, Conv) else (cin, cout)) + spec.kernel
                w = f"{node.name}_w"
                inits.append(numpy_helper.from_array(
                    rng.standard_normal(shape).astype(np.float32), w))
                if isinstance(spec, ConvTranspose):
                    attrs["output_padding"] = list(spec.output_padding)
                nodes.append(helper.make_node(type(spec).__name__, [src, w], [node.name],
                                              **attrs))
                ch[node.name] = cout
            elif isinstance(spec, MaxPool | AvgPool):
                op = "MaxPool" if isinstance(spec, MaxPool) else "AveragePool"
                attrs["ceil_mode"] = int(spec.ceil_mode)
                nodes.append(helper.make_node(op, [src], [node.name], **attrs))
                ch[node.name] = cin
            elif isinstance(spec, Resize):
                scales = f"{node.name}_scales"
                inits.append(numpy_helper.from_array(
                    np.array([1, 1, *map(float, spec.scale_factor)], np.float32), scales))
                nodes.append(helper.make_node("Resize", [src, "", scales], [node.name],
                                              mode="nearest",
                                              coordinate_transformation_mode="asymmetric",
                                              nearest_mode="floor"))
                ch[node.name] = cin
            else:
                raise NotImplementedError(type(spec).__name__)
        outputs.append(helper.make_tensor_value_info(node.name, TensorProto.FLOAT,
                                                     [None] * (nd + 2)))
    graph = helper.make_graph(nodes, net.name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def run_ort(model: Any, net: Network, size: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.zeros((1, i.channels or 1, *size), np.float32) for i in net.inputs}
    names = [o.name for o in sess.get_outputs()]
    return {n: tuple(v.shape[2:]) for n, v in zip(names, sess.run(names, feeds), strict=True)}


NETS = ["unet", "autoencoder", "dcgan_generator"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Network, Path]]:
    import onnx

    folder = tmp_path_factory.mktemp("onnx")
    out = {}
    for name in NETS:
        net = load(EXAMPLES / f"{name}.yaml")
        path = folder / f"{name}.onnx"
        onnx.save(export(net), path)
        out[name] = (net, path)
    return out


@pytest.mark.parametrize("name", NETS)
def test_imported_model_has_the_same_valid_sizes(models: Any, name: str) -> None:
    from symconv.network.onnx_import import load_onnx

    net, path = models[name]
    imported = load_onnx(path)
    assert imported.inputs[0].size == net.inputs[0].size  # dim_param -> the same symbols
    a, b = review(net, symbolic=True), review(imported, symbolic=True)
    assert [v.describe() for v in a.validity if v] == [v.describe() for v in b.validity if v]
    assert [t.formula for t in a.tensors] == [t.formula for t in b.tensors]


@given(st.integers(1, 12), st.integers(1, 12))
def test_unet_shapes_match_onnxruntime(models: Any, h: int, w: int) -> None:
    net, path = models["unet"]
    import onnx

    model = onnx.load(path)
    size = (16 * h, 16 * w)
    got = run_ort(model, net, size)
    want = {t.name: t.value for t in review(net, size).tensors}
    for name, shape in got.items():
        assert shape == want[name], name


@given(st.integers(1, 70), st.integers(1, 70))
def test_autoencoder_shapes_and_restores_match_onnxruntime(models: Any, h: int, w: int) -> None:
    import onnx

    net, path = models["autoencoder"]
    got = run_ort(onnx.load(path), net, (h, w))
    r = review(net, (h, w))
    want = {t.name: t.value for t in r.tensors}
    for name, shape in got.items():
        assert shape == want[name], name
    restored = got["dec1"] == (h, w)
    assert restored == (not any(f.code == "SC005" and f.node == "dec1" for f in r.errors))


def test_every_reported_counterexample_fails_in_onnxruntime(models: Any) -> None:
    import onnx

    net, path = models["unet"]
    model = onnx.load(path)
    r = review(net, symbolic=True)
    cexs = {c.counterexample for c in r.checks if c.kind == "merge" and not c.holds_always}
    assert cexs == {17, 18, 20, 24}
    v = r.validity[0]
    assert v is not None
    examples = {n for n, _ in v.reasons}  # the example size of every excluded class
    assert len(examples) == 15
    for n in [*sorted(cexs | examples), 33, 40]:
        assert n not in v
        with pytest.raises(Exception, match=r"(?i)concat|dimension|shape|kernel|pad"):
            run_ort(model, net, (n, 16))
    run_ort(model, net, (32, 16))  # and a valid size runs


def test_dim_params_and_channels(models: Any) -> None:
    from symconv.network.onnx_import import load_onnx

    _, path = models["unet"]
    imported = load_onnx(path)
    assert imported.inputs[0].size == ("H", "W") and imported.inputs[0].channels == 1
    assert imported.node("enc1a").layer.out_channels == 64 // SHRINK  # type: ignore[union-attr]
    assert imported.node("cat1").op == "concat"


def test_truncated_and_corrupt_files_are_one_line(models: Any, tmp_path: Path) -> None:
    from symconv.network.onnx_import import load_onnx

    _, path = models["unet"]
    data = path.read_bytes()
    for i, blob in enumerate([data[: len(data) // 3], b"\xff" * 64, b"", data[:7]]):
        p = tmp_path / f"bad{i}.onnx"
        p.write_bytes(blob)
        with pytest.raises(InvalidSpecError) as info:
            load_onnx(p)
        assert "\n" not in str(info.value) and "ONNX model" in str(info.value)
    with pytest.raises(InvalidSpecError, match="must be readable"):
        load_onnx(tmp_path / "missing.onnx")


def test_unsupported_ops_are_named(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"]),
                               helper.make_node("LpPool", ["r"], ["y"], kernel_shape=[2, 2],
                                                name="flat")],
                              "g", [x], [y])
    p = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), p)
    from symconv.network.onnx_import import load_onnx

    with pytest.raises(UnsupportedError, match="LpPool \\(node 'flat'\\)"):
        load_onnx(p)


@pytest.mark.parametrize(("second", "node_out", "fragment"), [
    ("x", "c", "tensor='x' (graph.input[1]) must be unique (already defined by graph.input[0]"),
    ("y", "x", "tensor='x' (output of graph.node[0], Relu) must be unique (already defined by "
               "graph.input[0]"),
])
def test_a_tensor_name_defined_twice_is_one_line(tmp_path: Path, second: str, node_out: str,
                                                 fragment: str) -> None:
    """Issue 15: two graph inputs named x (8 and 16) were renamed x, x_2 and the review read
    the second under the first's size; a node output reusing an input's name made a cycle."""
    import onnx
    from onnx import TensorProto, helper

    from symconv.network.onnx_import import load_onnx

    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8]),
           helper.make_tensor_value_info(second, TensorProto.FLOAT, [1, 1, 16])]
    nodes = [helper.make_node("Relu", ["x"], [node_out])]
    if node_out != "c":
        nodes.append(helper.make_node("Relu", [node_out], ["c"]))
    out = helper.make_tensor_value_info("c", TensorProto.FLOAT, None)
    p = tmp_path / "dup.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", ins, [out]),
                                opset_imports=[helper.make_opsetid("", 17)]), p)
    with pytest.raises(InvalidSpecError) as info:
        load_onnx(p)
    assert "\n" not in str(info.value) and fragment in str(info.value), str(info.value)


def test_resize_skip_network_matches_onnxruntime_on_every_small_size(tmp_path: Path) -> None:
    from symconv.network.model import loads

    net = loads("""
inputs: [{name: x, size: [H, W], channels: 2}]
layers:
  - {name: down, op: conv, kernel: 3, stride: 2, padding: 1, out_channels: 64}
  - {name: up, op: resize, scale_factor: 2}
  - {name: cat, op: concat, inputs: [up, x]}
  - {name: pool, op: max-pool, kernel: 3, stride: 3, ceil_mode: true}
""", "yaml")
    model = export(net)
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None and v.describe() == "H = 0 mod 2"
    for n in range(1, 30):
        ok = n in v
        try:
            got = run_ort(model, net, (n, 4))
        except Exception:
            assert not ok, n
            continue
        assert ok, n
        want = {t.name: t.value for t in review(net, (n, 4)).tensors}
        assert all(shape == want[name] for name, shape in got.items()), n


def test_a_classifier_head_is_left_out_and_noted(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    fc = numpy_helper.from_array(rng.standard_normal((4, 10)).astype(np.float32), "fc")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([
        helper.make_node("Conv", ["x", "w"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("MatMul", ["f", "fc"], ["y"]),
    ], "classifier", [x], [y], [w, fc])
    p = tmp_path / "classifier.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), p)
    from symconv.network.onnx_import import load_onnx

    net = load_onnx(p)
    assert [n.name for n in net.nodes] == ["c", "r", "p", "g"]
    assert net.node("c").layer.out_channels == 4  # type: ignore[union-attr]
    # the head reads the 1x1 global pooling: its shape does not depend on H, W
    r = review(net, symbolic=True)
    assert r.complete and any(n.startswith("MatMul") and "g (1x1), of that size for every "
                              "input size" in n for n in r.notes), r.notes
    # the same head on the feature map itself constrains H and W (Gemm needs C*H*W): it is
    # not analysed, and the review says so
    graph.node[3].CopyFrom(helper.make_node("Identity", ["p"], ["g"], name="gap"))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), p)
    net = load_onnx(p)
    r = review(net, symbolic=True)
    assert r.not_analysed[0].startswith("MatMul"), r.not_analysed
    assert not r.complete and [f.code for f in r.warnings if f.code == "SC302"] == ["SC302"]
    assert r.to_dict()["valid_sizes_for"] == "the analysed outputs"
    from click.testing import CliRunner

    from symconv.cli import cli

    text = CliRunner().invoke(cli, ["review", str(p), "--symbolic"])
    assert text.exit_code == 0, text.output
    assert "valid input sizes (exact for every size, for the analysed outputs only" in text.output
    assert "not analysed (the valid sizes above do not cover these)" in text.output
    strict = CliRunner().invoke(cli, ["review", str(p), "--symbolic", "--fail-on", "warning"])
    assert strict.exit_code == 1 and "SC302 partial-analysis" in strict.output
    v = r.validity[0]
    assert v is not None and v.describe() == "H >= 5"
    import onnxruntime as ort

    graph.node[3].CopyFrom(helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), p)
    sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
    for n in range(5, 12):
        assert n in v
        assert sess.run(None, {"x": np.zeros((1, 3, n, 8), np.float32)})[0].shape == (1, 10)
    # Below 5 the pool's kernel (3) exceeds its input (2): symconv rejects; onnxruntime 1.32
    # does not: it sizes pools with truncating division, (2 - 3) / 2 + 1 = 1 window.
    assert 4 not in v


def test_pad_is_imported_and_matches_onnxruntime(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from symconv.network.onnx_import import load_onnx

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    pads = helper.make_tensor("pads", TensorProto.INT64, [8], [0, 0, 0, 1, 0, 0, 1, 2])
    graph = helper.make_graph([
        helper.make_node("Pad", ["x", "pads"], ["p"], mode="reflect"),
        helper.make_node("MaxPool", ["p"], ["y"], kernel_shape=[2, 2], strides=[2, 2]),
    ], "g", [x], [y], [pads])
    path = tmp_path / "pad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    net = load_onnx(path)
    assert net.node("p").op == "pad"
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for h, w in ((3, 4), (5, 2), (8, 9), (2, 3), (1, 3)):
        r = review(net, (h, w))
        try:
            got = sess.run(None, {"x": np.zeros((1, 1, h, w), np.float32)})[0].shape[2:]
        except Exception:
            assert r.errors and r.errors[0].node == "p", (h, w)  # reflect: pad < size
            continue
        assert not r.errors, (h, w)
        assert tuple(got) == next(t.value for t in r.tensors if t.name == "y")
