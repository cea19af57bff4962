"""Shape-only reshapes in ONNX models: a chain of Reshape/Flatten/Squeeze/Unsqueeze/Transpose
that gives back the spatial layout of the tensor it started from (GroupNorm's
Reshape -> InstanceNormalization -> Reshape, a channel shuffle, LayerNorm over channels between
two permutes) is read as that tensor's identity, and ``torch.stack(ts).sum(0)`` as an
elementwise merge of ``ts``; a reshape that really changes the spatial
layout ends the analysis of what follows, and the review says so (SC302, ``not_analysed``).

Checked against onnxruntime (in a child process) on models exported from PyTorch with dynamic
H and W, and on hand-built graphs for the cases an exporter does not write.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from symconv.errors import UnsupportedError
from symconv.review import review

from conftest import requires

pytestmark = [pytest.mark.onnx, pytest.mark.torch]

SIZES = [(h, w) for h in range(1, 11) for w in (1, 3, 8)]

RUN = r"""
import json, sys
import numpy as np
import onnxruntime as ort
path, sizes, ch = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
out = {}
for h, w in sizes:
    try:
        y = sess.run(None, {"x": np.ones((1, ch, h, w), np.float32)})[0]
        out[f"{h}x{w}"] = list(y.shape)
    except Exception as exc:
        out[f"{h}x{w}"] = None
print(json.dumps(out))
"""


def ort_shapes(path: Path, sizes: list[tuple[int, int]], channels: int) -> dict[str, Any]:
    """onnxruntime's output shape per size (``None`` where it fails), in a child process
    (onnxruntime can kill its process on degenerate sizes; a signal counts as a failure)."""
    import json

    out: dict[str, Any] = {}
    for size in sizes:  # one child per size: a SIGFPE loses one verdict only
        proc = subprocess.run([sys.executable, "-c", RUN, str(path), json.dumps([size]),
                               str(channels)], capture_output=True, text=True, timeout=120,
                              check=False)
        out[f"{size[0]}x{size[1]}"] = (json.loads(proc.stdout)[f"{size[0]}x{size[1]}"]
                                       if proc.returncode == 0 else None)
    return out


def _modules(torch: Any) -> dict[str, Any]:
    nn, F = torch.nn, torch.nn.functional

    class GroupNormNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3, padding=1)
            self.g = nn.GroupNorm(4, 8)
            self.d = nn.Conv2d(8, 8, 3, stride=2, padding=1)

        def forward(self, x: Any) -> Any:
            return self.d(self.g(self.c(x)))

    class ChannelShuffle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3)

        def forward(self, x: Any) -> Any:
            x = self.c(x)
            n, c, h, w = x.shape
            x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
            return F.max_pool2d(x, 2)

    class LayerNormChannels(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3, padding=1)
            self.ln = nn.LayerNorm(8)

        def forward(self, x: Any) -> Any:
            x = self.ln(self.c(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            return F.avg_pool2d(x, 3, stride=2)

    class ManualUnshuffle(nn.Module):  # a reshape that really moves spatial positions
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x: Any) -> Any:
            x = self.c(x)
            n, c, h, w = x.shape
            x = x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
            return x.reshape(n, c * 4, h // 2, w // 2)

    class StackMean(nn.Module):  # an FPN merge: torch.stack(features).mean(0)
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(3, 8, 3, padding=1)
            self.b = nn.Conv2d(3, 8, 1)
            self.d = nn.Conv2d(3, 8, 3, stride=2, padding=1)

        def forward(self, x: Any) -> Any:
            up = F.interpolate(self.d(x), scale_factor=2)
            return torch.stack([self.a(x), self.b(x), up]).sum(0)

    class ShuffleUnit(nn.Module):  # ShuffleNetV2: chunk the channels, shuffle the concat
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3, padding=1)
            self.b = nn.Conv2d(4, 4, 3, padding=1)
            self.d = nn.Conv2d(8, 8, 3, stride=2, padding=1)

        def forward(self, x: Any) -> Any:
            x = self.c(x)
            a, b = x.chunk(2, dim=1)
            x = torch.cat([a, self.b(b)], dim=1)
            n, c, h, w = x.shape
            x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
            return self.d(x)

    class LinearOverChannels(nn.Module):  # ConvNeXt: permute, Linear 8 -> 32 -> 16, permute
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 4, stride=4)
            self.up = nn.Linear(8, 32)
            self.down = nn.Linear(32, 16)
            self.d = nn.Conv2d(16, 4, 2, stride=2)

        def forward(self, x: Any) -> Any:
            y = self.c(x).permute(0, 2, 3, 1)
            y = self.down(F.gelu(self.up(y))).permute(0, 3, 1, 2)
            return self.d(y)

    class MeanHead(nn.Module):  # MnasNet's classifier: x.mean((2, 3)) -> Linear
        def __init__(self) -> None:
            super().__init__()
            self.c = nn.Conv2d(3, 8, 3, stride=2)
            self.fc = nn.Linear(8, 5)

        def forward(self, x: Any) -> Any:
            return self.fc(self.c(x).mean((2, 3)))

    return {"groupnorm": GroupNormNet(), "shuffle": ChannelShuffle(),
            "layernorm": LayerNormChannels(), "unshuffle": ManualUnshuffle(),
            "stack": StackMean(), "shuffle_unit": ShuffleUnit(),
            "linear": LinearOverChannels(), "mean_head": MeanHead()}


def _export(torch: Any, module: Any, path: Path) -> None:
    module.eval()
    torch.onnx.export(module, torch.randn(1, 3, 12, 12), str(path), dynamo=False,
                      opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {2: "H", 3: "W"}, "y": {2: "h", 3: "w"}})


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch = requires("torch")
    requires("onnx")
    requires("onnxruntime")
    folder = tmp_path_factory.mktemp("layouts")
    out = {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, module in _modules(torch).items():
            out[name] = folder / f"{name}.onnx"
            _export(torch, module, out[name])
    return out


@pytest.mark.parametrize("name", ["groupnorm", "shuffle", "layernorm", "stack",
                                  "shuffle_unit", "linear"])
def test_layout_preserving_reshapes_are_identities(exported: dict[str, Path], name: str) -> None:
    from symconv.network.onnx_import import load_onnx

    net = load_onnx(exported[name])
    if name == "stack":  # a sum over the stacked axis: an elementwise merge of the three
        merge = net.node(net.outputs[0])
        assert merge.op == "add" and merge.alias == "stack+ReduceSum"
        assert len(merge.inputs) == 3
    elif name == "linear":  # the Linear layers change the channels: a 1x1 conv 8 -> 16
        back = next(n for n in net.nodes if n.alias == "Transpose")
        assert back.op == "conv" and back.layer.out_channels == 16  # type: ignore[union-attr]
    else:
        reshapes = [n for n in net.nodes if n.alias in ("Reshape", "Transpose")]
        assert reshapes and all(n.op == "identity" for n in reshapes)
    r = review(net, symbolic=True)
    assert r.complete and not any(f.code == "SC302" for f in r.findings)
    v, w = r.validity
    assert v is not None and w is not None
    torch = requires("torch")
    module = _modules(torch)[name].eval()
    got = ort_shapes(exported[name], SIZES, 3)
    for h, wd in SIZES:
        try:  # validity: PyTorch, the framework the model comes from (onnxruntime 1.32 runs
            # pools on inputs smaller than the kernel: onnxruntime#25234, docs/CONVENTIONS.md)
            with torch.no_grad():
                eager: tuple[int, ...] | None = tuple(module(torch.ones(1, 3, h, wd)).shape)
                eager = eager if 0 not in eager else None  # an empty output is a failure
        except RuntimeError:
            eager = None
        assert (h in v and wd in w) == (eager is not None), (name, h, wd, eager)
        if eager is not None:
            sized = review(net, (h, wd))
            row = next(t for t in sized.tensors if t.name == net.outputs[0])
            assert row.value == eager[2:] == tuple(got[f"{h}x{wd}"][2:]), (name, h, wd)


def test_a_reshape_that_moves_positions_is_not_analysed(exported: dict[str, Path]) -> None:
    from symconv.network.onnx_import import load_onnx

    net = load_onnx(exported["unshuffle"])
    r = review(net, symbolic=True)
    assert not r.complete and r.to_dict()["valid_sizes_for"] == "the analysed outputs"
    assert any("changes its spatial layout" in what for what in r.not_analysed)
    assert any(f.code == "SC302" for f in r.warnings)
    # the part it did analyse is right: the conv accepts every size
    v = r.validity[0]
    assert v is not None and v.describe() == "every H >= 1"


def _graph(nodes: list[Any], consts: dict[str, np.ndarray], out: str = "y") -> Any:
    onnx = requires("onnx")
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "H", "W"])
    y = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(v, k) for k, v in consts.items()]
    graph = helper.make_graph(nodes, "g", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])


def test_transposing_spatial_axes_is_not_an_identity() -> None:
    """Swap H and W, then reshape to x's own shape: the sizes match, but the positions are
    scrambled, so it is not read as x (a note instead)."""
    from onnx import helper

    from symconv.network.onnx_import import from_model

    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2], name="swap"),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Reshape", ["t", "s"], ["y"], name="back"),
    ]
    nodes.append(helper.make_node("Relu", ["x"], ["z"]))
    model = _graph(nodes, {})
    from onnx import TensorProto

    model.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, None))
    net = from_model(model)
    assert [n.name for n in net.nodes] == ["z"]
    assert any("swap" in what and "changes its spatial layout" in what for what in net.ignored)


def test_two_transposes_that_cancel_are_an_identity() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
        helper.make_node("Relu", ["t"], ["r"]),
        helper.make_node("Transpose", ["r"], ["y"], perm=[0, 3, 1, 2]),
    ]
    net = from_model(_graph(nodes, {}))
    assert [(n.op, n.inputs) for n in net.nodes] == [("identity", ("x",))]
    assert not net.ignored


def test_group_reshape_with_constant_target_and_minus_one() -> None:
    """Reshape(x, [0, 2, -1]) -> InstanceNormalization -> Reshape(., [0, 4, H, -1]) with H
    read from Shape(x): the -1 is W (the element count leaves nothing else)."""
    from onnx import helper

    from symconv.network.onnx_import import from_model

    nodes = [
        helper.make_node("Reshape", ["x", "g"], ["a"]),
        helper.make_node("InstanceNormalization", ["a", "sc", "bi"], ["b"]),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i2"], ["h"], axis=0),
        helper.make_node("Concat", ["zc", "h", "m1"], ["t"], axis=0),
        helper.make_node("Reshape", ["b", "t"], ["y"]),
    ]
    consts = {"g": np.array([0, 2, -1], np.int64), "sc": np.ones(2, np.float32),
              "bi": np.zeros(2, np.float32), "i2": np.array([2], np.int64),
              "zc": np.array([0, 4], np.int64), "m1": np.array([-1], np.int64)}
    net = from_model(_graph(nodes, consts))
    assert [(n.op, n.inputs) for n in net.nodes] == [("identity", ("x",))]
    r = review(net, symbolic=True)
    assert r.complete


def test_a_reshaped_tensor_mixed_with_a_spatial_one_ends_the_analysis() -> None:
    from onnx import helper

    from symconv.network.onnx_import import from_model

    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], axis=2, name="flat"),
        helper.make_node("Unsqueeze", ["f", "ax"], ["u"]),
        helper.make_node("Add", ["u", "x"], ["y"], name="mix"),
    ]
    with pytest.raises(UnsupportedError, match=r"no spatial layer .* not analysed: Add 'mix'"):
        from_model(_graph(nodes, {"ax": np.array([0, 1], np.int64)}))
    nodes.append(helper.make_node("Relu", ["x"], ["z"]))  # a spatial output besides
    model = _graph(nodes, {"ax": np.array([0, 1], np.int64)})
    from onnx import TensorProto

    model.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, None))
    net = from_model(model)
    assert [n.name for n in net.nodes] == ["z"]
    assert any("mix" in what and "flat" in what for what in net.ignored)


def test_a_reduction_over_every_spatial_axis_is_a_head_without_a_size_rule(
        exported: dict[str, Path]) -> None:
    """``x.mean((2, 3))`` then a Linear: the head's shape does not depend on H and W, so the
    review is complete, and says why in a note."""
    from symconv.network.onnx_import import load_onnx

    r = review(load_onnx(exported["mean_head"]), symbolic=True)
    assert r.complete and any("ReduceMean" in n and "does not depend on the input size" in n
                              for n in r.notes), r.notes
    v = r.validity[0]
    assert v is not None and v.describe() == "H >= 3"
