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


# --------------------------------------------------------------------------- issue 15 (5, 11):
# hostile ONNX files: declared tensors, external data, shape programs, size limits


def _hostile(nodes: list[Any], inits: Any = (), size: list[Any] | None = None,
             opset: int = 17) -> Any:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, size or [1, 3, "H", "W"])
    y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _declared(name: str, dims: list[int], raw: bytes | None = b"") -> Any:
    """A FLOAT TensorProto with ``dims`` and the given raw data (onnx.helper refuses to build
    an inconsistent one; a file can hold one all the same)."""
    from onnx import TensorProto

    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    if raw is not None:
        t.raw_data = raw
    return t


def _external(name: str, dims: list[int], location: str) -> Any:
    from onnx import TensorProto

    t = _declared(name, dims, None)
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", location
    return t


def _conv(weight: Any) -> Any:
    from onnx import helper

    return _hostile([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], [weight])


def _save(tmp_path: Path, model: Any, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


@pytest.mark.parametrize(("dims", "raw", "message"), [
    ([2**28, 2], b"", r"^initializer 'w': raw_data of 0 bytes must hold the 536870912 elements "
                      r"its dims=\[268435456,2\] declare \(2147483648 bytes\): truncated or "
                      r"corrupt$"),
    ([4, 3, 3, 3], b"\0" * 10, r"raw_data of 10 bytes must hold the 108 elements its "
                               r"dims=\[4,3,3,3\] declare"),
    ([4, 3, 3, 3], None, r"float_data of 0 entries must hold the 108 elements"),
])
def test_an_initializer_whose_data_does_not_match_its_dims_is_one_line(
        tmp_path: Path, dims: list[int], raw: bytes | None, message: str) -> None:
    """Issue 15 (11): a 2 GB declared tensor with no data gave numpy's 'cannot reshape' as a
    traceback (every initializer was converted, used or not); now each is checked in O(1)."""
    from symconv.network.onnx_import import load_onnx

    with pytest.raises(InvalidSpecError, match=message):
        load_onnx(_save(tmp_path, _conv(_declared("w", dims, raw))))


@pytest.mark.parametrize(("location", "message"), [
    ("/etc/passwd", r"location='/etc/passwd' must be a relative path inside the model's folder "
                    r"\(it is absolute\)"),
    ("../x.bin", r"location='\.\./x\.bin' must stay inside the model's folder \(no '\.\.'\)"),
    ("sub/../../x.bin", r"must stay inside the model's folder \(no '\.\.'\)"),
    ("link.bin", r"location='link\.bin' must stay inside the model's folder \(a symbolic link "
                 r"leads out of it\)"),
    ("", r"location='' must name a file next to the model"),
])
def test_external_data_outside_the_models_folder_is_refused(
        tmp_path: Path, location: str, message: str) -> None:
    """Issue 15 (11): absolute or ../ locations surfaced onnx's ValidationError as a
    traceback; a symbolic link out of the folder was followed."""
    from symconv.network.onnx_import import load_onnx

    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * 432)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "link.bin").symlink_to(outside)
    with pytest.raises(InvalidSpecError, match=message):
        load_onnx(_save(folder, _conv(_external("w", [4, 3, 3, 3], location))))


def test_external_data_is_never_read_for_a_review(tmp_path: Path) -> None:
    """The review needs declared shapes only: a location that is a folder (reading it would
    fail), a missing file and a 2**40-element declaration all load, from the dims alone."""
    from symconv.network.onnx_import import load_onnx

    (tmp_path / "adir").mkdir()
    for location in ("adir", "missing.bin"):
        net = load_onnx(_save(tmp_path, _conv(_external("w", [4, 3, 5, 3], location))))
        layer = net.nodes[0].layer
        assert isinstance(layer, Conv) and layer.kernel == (5, 3) and layer.out_channels == 4
    net = load_onnx(_save(tmp_path, _conv(_external("w", [4, 3, 2**40, 3], "adir"))))
    assert net.nodes[0].layer.kernel == (2**40, 3)  # type: ignore[union-attr]


def test_a_value_stored_as_external_data_is_not_read_either(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    from symconv.network.onnx_import import load_onnx

    pads = _external("pads", [8], "pads.bin")
    pads.data_type = TensorProto.INT64
    (tmp_path / "pads.bin").write_bytes(b"\0" * 64)
    model = _hostile([helper.make_node("Pad", ["x", "pads"], ["y"], name="p")], [pads])
    with pytest.raises(UnsupportedError, match=r"^node 'p' \(Pad\): pads='pads' must be a small "
                       r"constant: its data is external \(never read by a review\)$"):
        load_onnx(_save(tmp_path, model))


def _resize_by(shape_nodes: list[Any], sizes: str) -> Any:
    from onnx import helper

    return _hostile([*shape_nodes, helper.make_node("Resize", ["x", "", "", sizes], ["y"],
                                                    name="r", mode="nearest")])


@pytest.mark.parametrize("count", [2**31, 2**62, -5])
def test_constant_of_shape_is_bounded_before_it_allocates(count: int) -> None:
    """Issue 15 (5): ConstantOfShape([2**31]) in a shape program allocated 8 GiB (np.full)
    although shape programs are folded, never executed; 2**62 and -5 were tracebacks."""
    import time

    from onnx import TensorProto, helper

    from symconv.network.onnx_import import from_model

    nodes = [
        helper.make_node("Constant", [], ["n"], value=helper.make_tensor(
            "v", TensorProto.INT64, [1], [count])),
        helper.make_node("ConstantOfShape", ["n"], ["big"], value=helper.make_tensor(
            "f", TensorProto.INT64, [1], [1])),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Concat", ["s", "big"], ["sizes"], axis=0),
    ]
    start = time.perf_counter()
    with pytest.raises(UnsupportedError, match=r"node 'big' \(ConstantOfShape\): a "
                       r"ConstantOfShape of .* entries is not a shape \(at most 4096 entries"):
        from_model(_resize_by(nodes, "sizes"))
    assert time.perf_counter() - start < 2


def test_a_concat_that_doubles_a_shape_is_bounded() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    nodes = [helper.make_node("Shape", ["x"], ["s0"])] + [
        helper.make_node("Concat", [f"s{i}", f"s{i}"], [f"s{i + 1}"], axis=0) for i in range(40)]
    with pytest.raises(UnsupportedError, match=r"a Concat of more than 4096 entries is not a "
                       r"shape"):
        from_model(_resize_by(nodes, "s40"))


def test_a_large_constant_node_is_checked_and_not_read() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    bad = helper.make_node("Constant", [], ["pads"], value=_declared("v", [2**30]))
    with pytest.raises(InvalidSpecError, match=r"^Constant 'pads' 'v': raw_data of 0 bytes"):
        from_model(_hostile([bad, helper.make_node("Pad", ["x", "pads"], ["y"], name="p")]))


@pytest.mark.parametrize(("attrs", "message"), [
    ({"kernel_shape": [3, 3], "strides": [2**62, 2**62]}, r"stride=4611686018427387904 must "
                                                          r"be below 10\*\*18"),
    ({"kernel_shape": [3, 3], "pads": [2**62, 0, 2**62, 0]}, r"padding=4611686018427387904 "
                                                             r"must be below 10\*\*18"),
    ({"kernel_shape": [3, 3], "pads": [-5, 0, 0, 0]}, r"padding=-5 must be a non-negative"),
    ({"kernel_shape": [3, 3], "dilations": [0, 0]}, r"dilation=0 must be a positive integer"),
    ({"kernel_shape": [3, 3], "group": "x"}, r"groups=b'x' must be an integer"),
])
def test_hostile_window_attributes_are_one_line(attrs: dict[str, Any], message: str) -> None:
    from onnx import helper, numpy_helper

    from symconv.network.onnx_import import from_model

    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")
    model = _hostile([helper.make_node("Conv", ["x", "w"], ["y"], name="c", **attrs)], [w])
    with pytest.raises(InvalidSpecError, match=r"^node 'c' \(Conv\): .*" + message):
        from_model(model)


def test_upsample_scales_must_be_finite() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    node = helper.make_node("Upsample", ["x"], ["y"], name="u",
                            scales=[1.0, 1.0, float("nan"), float("inf")])
    with pytest.raises(InvalidSpecError, match=r"scales=\[1\.0,1\.0,nan,inf\] must be finite"):
        from_model(_hostile([node], opset=7))


def test_input_dims_past_1e18_are_one_line() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    node = helper.make_node("Relu", ["x"], ["y"], name="r")
    with pytest.raises(InvalidSpecError, match=r"must be positive integers below 10\*\*18"):
        from_model(_hostile([node], size=[1, 3, 2**62, 8]))


def test_long_and_colliding_names_stay_short_and_fast() -> None:
    """A million-character tensor name is cut to a network name; 5,000 names that clean up
    to the same one are numbered without a quadratic scan."""
    import time

    from onnx import helper

    from symconv.network.model import MAX_NAME
    from symconv.network.onnx_import import from_model

    long = "y" * 1_000_000
    net = from_model(_hostile([helper.make_node("Relu", ["x"], [long], name="n" * 10**6)]))
    assert len(net.nodes[0].name) <= MAX_NAME
    nodes = [helper.make_node("Relu", ["x"], ["!0"])] + [
        helper.make_node("Relu", [f"!{i}"], [f"!{i + 1}"]) for i in range(4999)]
    start = time.perf_counter()
    net = from_model(_hostile(nodes))
    assert time.perf_counter() - start < 10
    assert len({n.name for n in net.nodes}) == 5000


def test_graph_and_file_sizes_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """Issue 15: the node count is checked before the graph is walked, the file size before
    the file is read (a sparse file of 3 GiB costs nothing)."""
    from onnx import helper

    from symconv.network import onnx_import

    monkeypatch.setattr(onnx_import, "MAX_NODES", 10)
    nodes = [helper.make_node("Relu", ["x"], ["r0"])] + [
        helper.make_node("Relu", [f"r{i}"], [f"r{i + 1}"]) for i in range(10)]
    with pytest.raises(InvalidSpecError, match=r"^graph\.node: 11 nodes must be at most 10 "):
        onnx_import.from_model(_hostile(nodes))
    big = tmp_path / "big.onnx"
    with big.open("wb") as f:
        f.truncate(3 << 30)
    with pytest.raises(InvalidSpecError, match=r"size=3221225472 bytes must be at most "
                       r"1073741824 \(1024 MiB\) for an ONNX model"):
        onnx_import.load_onnx(big)


@pytest.mark.parametrize("case", ["not-onnx", "truncated", "cycle", "no-data"])
def test_hostile_files_through_the_cli_are_one_line(tmp_path: Path, case: str) -> None:
    from click.testing import CliRunner
    from onnx import helper

    from symconv.cli import cli

    if case == "not-onnx":
        path = tmp_path / "m.onnx"
        path.write_bytes(b"hello world, this is not onnx\n" * 100)
    elif case == "truncated":
        w = _declared("w", [4, 3, 3, 3], b"\0" * 432)
        data = _conv(w).SerializeToString()
        path = tmp_path / "m.onnx"
        path.write_bytes(data[: len(data) // 2])
    elif case == "cycle":
        path = _save(tmp_path, _hostile([helper.make_node("Add", ["x", "b"], ["a"], name="n0"),
                                         helper.make_node("Relu", ["a"], ["b"], name="n1")]))
    else:
        path = _save(tmp_path, _conv(_declared("w", [2**28, 2])))
    result = CliRunner().invoke(cli, ["review", str(path)], prog_name="symconv")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symconv: error: "), result.output


def _wire_model(graph: bytes) -> bytes:
    """A ModelProto (ir_version 7) around the raw bytes of a GraphProto."""
    def varint(n: int) -> bytes:
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            if not n:
                return out + bytes([b])
            out += bytes([b | 0x80])

    return b"\x08\x07\x3a" + varint(len(graph)) + graph


def test_parse_cost_counts_messages_not_bytes() -> None:
    """Issue 15: an empty NodeProto is 2 bytes in the file and about 155 parsed, so a 100 MB
    file of them parsed into 15 GB before anything was checked; the wire format is scanned
    first.  Raw tensor bytes are skipped in one step and cost their length."""
    import onnx

    from symconv.network.onnx_wire import PER_FIELD, PER_MESSAGE, parse_cost

    node = PER_MESSAGE + PER_FIELD * len(onnx.NodeProto.DESCRIPTOR.fields)
    bomb = _wire_model(b"\x0a\x00" * 10_000)
    assert parse_cost(bomb, onnx.ModelProto.DESCRIPTOR, "f") >= 10_000 * node > 50 * len(bomb)
    w = _declared("w", [2**18], b"\0" * 2**20)
    weights = _hostile([onnx.helper.make_node("Relu", ["x"], ["y"])], [w]).SerializeToString()
    cost = parse_cost(weights, onnx.ModelProto.DESCRIPTOR, "f")
    assert 2**20 <= cost < 2**20 + 10_000


def test_a_message_bomb_is_refused_before_it_is_parsed(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from symconv.network import onnx_import, onnx_wire

    path = tmp_path / "bomb.onnx"
    path.write_bytes(_wire_model(b"\x0a\x00" * 20_000))
    monkeypatch.setattr(onnx_import, "MAX_PARSE", 1 << 20)
    with pytest.raises(InvalidSpecError, match=r"bomb\.onnx': parsing it needs about [0-9]+ MiB "
                       r"\(its messages parse to far more than their bytes\), which must be at "
                       r"most 1 MiB$"):
        onnx_import.load_onnx(path)
    monkeypatch.setattr(onnx_wire, "MAX_FIELDS", 1000)
    with pytest.raises(InvalidSpecError, match=r"must hold at most 1000 protobuf fields"):
        onnx_import.load_onnx(path)
