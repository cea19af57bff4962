"""A resize "like" another tensor (``op: resize, like: T``; ONNX ``Resize`` whose sizes come
from ``Shape(T)``; PyTorch ``F.interpolate(x, size=T.shape[2:])``) keeps its sampling
parameters (:class:`symconv.network.model.Resample`, ``Node.resample``):

* loading and validation: every parameter of a resize is accepted, normalised and checked as
  for a resize to a fixed size (one line naming the layer);
* SC205 fires for it, worded by what its modes sample at integer and non-integer ratios (the
  claims checked against the core resize maps);
* receptive fields at a given input size equal a brute force over the core maps; without a
  size, one line (SC301 then judges the smallest valid size);
* ONNX import keeps the node's attributes: onnxruntime computes the same shapes and the same
  values as the core resize map of the kept modes;
* PyTorch runs it as ``F.interpolate(x, size=other.shape[2:], ...)``: the same shapes as the
  review at every size, the same values as the core map.
"""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_receptive_graph import brute_deps, brute_span, check_against_brute_force

from symconv.core.layers import resize_map
from symconv.errors import InvalidSpecError
from symconv.network.model import Node, Resample, build, from_dict, loads
from symconv.review import review
from symconv.review.propagate import evaluate
from symconv.review.receptive import graph_receptive_field
from symconv.spec import Convention, CoordinateMode, NearestMode, Resize, ResizeMode

from conftest import requires


def _net(like: dict[str, Any], ndim: int = 2, convention: str = "torch") -> Any:
    size = ["H", "W", "D"][:ndim]
    return from_dict({"convention": convention,
                      "inputs": [{"name": "x", "size": size, "channels": 2}],
                      "layers": [
                          {"name": "enc", "op": "conv", "kernel": 3, "stride": 2, "padding": 1},
                          {"name": "p", "op": "conv", "kernel": 2, "stride": 2},
                          {"name": "up", "op": "resize", "input": "p", "like": "enc", **like},
                          {"name": "cat", "op": "concat", "inputs": ["up", "enc"]}]})


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("like, convention", [
    ({}, "torch"), ({}, "onnx"), ({"mode": "nearest-exact"}, "torch"),
    ({"mode": "linear"}, "torch"), ({"mode": "linear", "align_corners": True}, "torch"),
    ({"mode": "linear", "coordinate_mode": "align_corners"}, "onnx"),
    ({"mode": "nearest", "coordinate_mode": "asymmetric", "nearest_mode": "ceil"}, "onnx"),
    ({"mode": "cubic"}, "torch"),
    ({"mode": "cubic", "cubic_coeff_a": "-0.5", "exclude_outside": True}, "onnx"),
    ({"mode": "linear", "convention": "onnx"}, "torch"),
])
def test_like_keeps_what_a_fixed_size_resize_of_the_same_parameters_has(
        like: dict[str, Any], convention: str) -> None:
    """``resample.resize(s)`` is exactly the resize a file gets with ``size: s``."""
    node = _net(like, convention=convention).node("up")
    assert node.layer is None and node.size_of == "enc" and node.inputs == ("p", "enc")
    assert node.given == frozenset(k for k in like)
    fixed = from_dict({"convention": convention, "inputs": [{"name": "x", "size": [9, 7]}],
                       "layers": [{"name": "up", "op": "resize", "size": [5, 4], **like}]})
    assert node.resample is not None
    assert node.resample.resize((5, 4)) == fixed.node("up").layer.at(2)  # type: ignore[union-attr]
    assert node.resample == Resample.of(fixed.node("up").layer)  # type: ignore[arg-type]


def test_like_defaults_follow_the_convention() -> None:
    torch_r = _net({}).node("up").resample
    onnx_r = _net({}, convention="onnx").node("up").resample
    assert torch_r is not None and onnx_r is not None
    assert (torch_r.coordinate_mode, torch_r.nearest_mode) == (CoordinateMode.ASYMMETRIC,
                                                               NearestMode.FLOOR)
    assert (onnx_r.coordinate_mode, onnx_r.nearest_mode) == (CoordinateMode.HALF_PIXEL,
                                                             NearestMode.ROUND_PREFER_FLOOR)
    cubic = _net({"mode": "cubic", "cubic_coeff_a": "-3/5"}, convention="onnx").node("up")
    assert cubic.resample is not None and cubic.resample.cubic_coeff_a == Fraction(-3, 5)


@pytest.mark.parametrize("like, ndim, convention, message", [
    ({"align_corners": True}, 2, "torch",
     "layers[2] (up): align_corners=True must only be set for linear modes, not "
     "mode='nearest'"),
    ({"mode": "linear", "nearest_mode": "floor"}, 2, "torch",
     "layers[2] (up): nearest_mode='floor' must only be set for nearest modes"),
    ({"mode": "linear", "align_corners": False, "coordinate_mode": "align_corners"}, 2, "torch",
     "layers[2] (up): align_corners=False contradicts coordinate_mode='align_corners'"),
    ({"mode": "cubic", "cubic_coeff_a": -0.5}, 2, "torch",
     "layers[2] (up): cubic_coeff_a=-1/2 must be -3/4 under convention torch"),
    ({"mode": "cubic"}, 3, "torch", "layers[2] (up): ndim=3 must be 2 for mode='cubic'"),
    ({"mode": "lanczos3"}, 1, "torch", "layers[2] (up): mode='lanczos3' must be used under"),
    ({"exclude_outside": True}, 2, "onnx",
     "layers[2] (up): exclude_outside=True must only be set for mode='cubic'"),
    ({"mode": "bilinearish"}, 2, "torch", "layers[2] (up): mode='bilinearish' must be one of"),
    ({"align_corners": 1}, 2, "torch", "layers[2] (up): align_corners=1 must be true or false"),
    ({"scale_factor": 2}, 2, "torch", "layers[2] (up): like='enc' must not be combined with"),
    ({"kernel": 2}, 2, "torch", "layers[2] (up): parameter 'kernel' must be one of"),
])
def test_like_parameters_are_validated_in_one_line(like: dict[str, Any], ndim: int,
                                                   convention: str, message: str) -> None:
    with pytest.raises(InvalidSpecError) as info:
        _net(like, ndim, convention)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text, text


def test_build_requires_resample_exactly_with_like() -> None:
    from symconv.network.model import Input

    inputs = (Input("x", ("H",)),)
    bare = Node("up", "resize", None, ("x", "x"), size_of="x")
    with pytest.raises(InvalidSpecError, match=r"^layers\[0\] \(up\): like='x' must come with"):
        build("n", Convention.TORCH, inputs, (bare,))
    stray = Node("r", "identity", None, ("x",), resample=Resample())
    with pytest.raises(InvalidSpecError, match=r"^layers\[0\] \(r\): resample=.* must only"):
        build("n", Convention.TORCH, inputs, (stray,))


# --------------------------------------------------------------------------- SC205


def _sc205(net: Any) -> dict[str, str]:
    return {str(f.node): f.message for f in review(net, symbolic=True).findings
            if f.code == "SC205"}


def test_sc205_only_where_the_other_framework_samples_differently() -> None:
    """PyTorch-convention resizes (like or by a factor) have an exact ONNX counterpart (what
    the exporter writes): no SC205.  An ONNX like-resize whose nearest mode PyTorch lacks is
    flagged, naming the closest PyTorch call and the pair of sizes where it differs."""
    net = from_dict({"inputs": [{"name": "x", "size": ["H", "W"]}], "layers": [
        {"name": "enc", "op": "conv", "kernel": 3, "stride": 2, "padding": 1},
        {"name": "p", "op": "max-pool", "kernel": 2},
        {"name": "up2", "op": "resize", "scale_factor": 2},
        {"name": "up", "op": "resize", "input": "p", "like": "enc"},
        {"name": "lin", "op": "resize", "input": "p", "like": "enc", "mode": "linear"},
        {"name": "cat", "op": "concat", "inputs": ["up", "lin", "enc"]}]})
    assert _sc205(net) == {}
    onnx = _sc205(_net({"nearest_mode": "floor"}, convention="onnx"))
    assert set(onnx) == {"up"}
    assert re.match(r"up: resize of \w+ to the size of enc \(mode=nearest coordinate_mode="
                    r"half_pixel nearest_mode=floor\) has no exact counterpart in PyTorch: the "
                    r"closest, PyTorch nearest(-exact)?, samples other source positions or "
                    r"weights when \w+ has size \d+ and enc size \d+", onnx["up"]), onnx["up"]


_ALL_MODES = [
    *[Resample(mode=m, coordinate_mode=cm, nearest_mode=nm, convention="onnx")
      for m, cm, nm in itertools.product(("nearest", "nearest-exact"), tuple(CoordinateMode),
                                         tuple(NearestMode))],
    *[Resample(mode=m, coordinate_mode=cm, convention="onnx")
      for m, cm in itertools.product(("linear", "cubic"), tuple(CoordinateMode))],
    Resample(mode="cubic", cubic_coeff_a="-1/2", exclude_outside=True, convention="onnx"),
]


def test_sc205_does_not_fire_where_the_two_sizes_have_one_formula() -> None:
    """A like-resize between tensors of the same size formula is the identity in every mode
    (checked on the core map), so it is not flagged; one whose sizes differ is."""
    for r in _ALL_MODES:
        for n in (1, 2, 5):
            x = np.arange(1.0, n * 3 + 1).reshape(1, 1, n, 3)
            got = resize_map(r.resize((n, 3)), (1, n, 3)).apply(x)
            assert np.array_equal(np.reshape(got, x.shape), x), (r, n)
    net = from_dict({"convention": "onnx", "inputs": [{"name": "x", "size": ["H", "W"]}],
                     "layers": [
        {"name": "c", "op": "conv", "kernel": 3, "padding": 1},
        {"name": "same", "op": "resize", "input": "c", "like": "x", "mode": "linear",
         "coordinate_mode": "asymmetric"},
        {"name": "p", "op": "max-pool", "kernel": 2, "stride": 2},
        {"name": "back", "op": "resize", "input": "p", "like": "x"}]})
    # back: ONNX's default nearest (half_pixel, round_prefer_floor) ties differently from
    # PyTorch nearest-exact at floor(H/2) -> H for odd H (e.g. 2 -> 5)
    assert set(_sc205(net)) == {"back"}


# --------------------------------------------------------------------------- receptive fields


@pytest.mark.parametrize("like, convention", [
    ({}, "torch"), ({"mode": "linear"}, "torch"),
    ({"mode": "linear", "align_corners": True}, "torch"), ({"mode": "nearest-exact"}, "torch"),
    ({}, "onnx"), ({"mode": "cubic"}, "onnx"),
])
def test_receptive_field_at_a_size_equals_brute_force(like: dict[str, Any],
                                                      convention: str) -> None:
    net = from_dict({"convention": convention, "inputs": [{"name": "x", "size": ["H"]}],
                     "layers": [
        {"name": "enc", "op": "conv", "kernel": 3, "stride": 2, "padding": 1},
        {"name": "p", "op": "max-pool", "kernel": 3, "stride": 2},
        {"name": "mid", "op": "conv", "kernel": 3, "padding": 1},
        {"name": "up", "op": "resize", "input": "mid", "like": "enc", **like},
        {"name": "add", "op": "add", "inputs": ["up", "enc"]},
        {"name": "head", "op": "conv", "kernel": 3, "padding": 1}]})
    for n in (61, 64, 77, 118):
        deps = brute_deps(net, n)["head"]["x"]
        rf = graph_receptive_field(net, "head", input_size=(n,))
        assert rf.output_size == deps.shape[0] == (n + 1) // 2 and rf.input_size == n
        # positions lie on an unbounded axis (borders ignored): every output whose field
        # stays inside the input equals the brute force; fields are never narrower than it
        inside = 0
        for j in range(deps.shape[0]):
            span, want = rf.span(j), brute_span(deps, j)
            assert span is not None and want is not None
            if 0 <= span[0] and span[1] < n:
                assert span == want, (n, j)
                inside += 1
            assert span[0] <= want[0] and want[1] <= span[1], (n, j)
        assert inside >= deps.shape[0] // 2, (n, inside)
        # the named paths are real, through the resize's data input (never its size source)
        for path in (rf.lo_path, rf.hi_path):
            assert all(a in net.node(b).inputs for a, b in itertools.pairwise(path))
            assert ("enc", "up") not in set(itertools.pairwise(path))
    with pytest.raises(InvalidSpecError, match=r"^input_size=None must be given for up: a "
                                               r"resize to the size of enc"):
        graph_receptive_field(net, "head")


def test_receptive_field_without_a_size_through_an_identity_like_resize() -> None:
    """Between tensors of one size formula a like-resize is the identity at every size, so
    the field needs no input size; it equals the brute force at a large size, and its paths
    go through the resize's data input."""
    net = from_dict({"inputs": [{"name": "x", "size": ["H"]}], "layers": [
        {"name": "c", "op": "conv", "kernel": 5, "padding": 2},
        {"name": "p", "op": "max-pool", "kernel": 2},
        {"name": "q", "op": "conv", "kernel": 3, "padding": 1, "input": "p"},
        {"name": "u", "op": "conv-transpose", "kernel": 2, "stride": 2},
        {"name": "same", "op": "resize", "input": "c", "like": "x", "mode": "linear"},
        {"name": "d", "op": "conv", "kernel": 7, "padding": 3, "input": "same"},
        {"name": "back", "op": "resize", "input": "u", "like": "d"},
        {"name": "add", "op": "add", "inputs": ["d", "back"]}]})
    with pytest.raises(InvalidSpecError, match="input_size=None must be given for back"):
        graph_receptive_field(net, "add")
    rf = graph_receptive_field(net, "d")
    check_against_brute_force(net, 1, "d", "x")
    assert rf.size == 5 + 7 - 1 and rf.path == ("x", "c", "same", "d")


def test_sc301_sees_through_a_like_resize() -> None:
    """A wide field through a like-resize: SC301 judges it (at the given size, and at the
    smallest valid size without one) with the path through the resize."""
    net = from_dict({"inputs": [{"name": "x", "size": ["H"]}], "layers": [
        {"name": "enc", "op": "conv", "kernel": 7, "stride": 2, "padding": 3},
        {"name": "p", "op": "max-pool", "kernel": 2},
        {"name": "mid", "op": "conv", "kernel": 9, "padding": 4},
        {"name": "up", "op": "resize", "input": "mid", "like": "enc", "mode": "linear"},
        {"name": "add", "op": "add", "inputs": ["up", "enc"]}]})
    at = [f.message for f in review(net, (12,)).findings if f.code == "SC301"]
    rf = graph_receptive_field(net, "add", input_size=(12,))
    assert len(at) == 1 and f"receptive field {rf.size} on axis 0 exceeds the input size 12" \
        in at[0] and "up" in at[0]
    v = review(net, symbolic=True)
    sym = [f.message for f in v.findings if f.code == "SC301"]
    assert len(sym) == 1 and "at the smallest valid size" in sym[0], sym


# --------------------------------------------------------------------------- ONNX


def _like_model(mode: str, **attrs: Any) -> Any:
    """out = Resize(x, sizes = Shape(x)[:2] ++ Shape(s)[2:]) as torch.onnx.export writes
    ``F.interpolate(x, size=s.shape[2:])``."""
    from onnx import TensorProto, helper

    mk = helper.make_node
    nodes = [mk("Shape", ["x"], ["sx"]), mk("Shape", ["s"], ["ss"]),
             mk("Slice", ["sx", "z", "two"], ["nc"]), mk("Slice", ["ss", "two", "four"], ["hw"]),
             mk("Concat", ["nc", "hw"], ["sizes"], axis=0),
             mk("Resize", ["x", "", "", "sizes"], ["out"], mode=mode, **attrs)]
    inits = [helper.make_tensor(n, TensorProto.INT64, [1], [v])
             for n, v in (("z", 0), ("two", 2), ("four", 4))]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"]),
                     helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, 1, "G", "V"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    return model


@pytest.mark.onnx
@pytest.mark.parametrize("mode, attrs, want", [
    ("nearest", {}, Resample(convention="onnx")),
    ("nearest", {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
     Resample(coordinate_mode="asymmetric", nearest_mode="floor", convention="onnx")),
    ("nearest", {"nearest_mode": "ceil"}, Resample(nearest_mode="ceil", convention="onnx")),
    ("linear", {"coordinate_transformation_mode": "align_corners"},
     Resample(mode="linear", coordinate_mode="align_corners", convention="onnx")),
    ("linear", {"coordinate_transformation_mode": "pytorch_half_pixel"},
     Resample(mode="linear", coordinate_mode="pytorch_half_pixel", convention="onnx")),
    ("cubic", {"cubic_coeff_a": -0.5, "exclude_outside": 1},
     Resample(mode="cubic", cubic_coeff_a="-1/2", exclude_outside=True, convention="onnx")),
])
def test_onnx_like_resize_keeps_its_attributes_and_matches_onnxruntime(
        tmp_path: Path, mode: str, attrs: dict[str, Any], want: Resample) -> None:
    onnx = requires("onnx")
    ort = requires("onnxruntime")
    from symconv.network.onnx_import import load_onnx

    model = _like_model(mode, **attrs)
    path = tmp_path / "like.onnx"
    onnx.save(model, path)
    net = load_onnx(path)
    node = next(n for n in net.nodes if n.size_of is not None)
    assert node.resample == want and node.size_of == "s" and node.inputs == ("x", "s")
    # PyTorch has these two exactly (nearest; bilinear with align_corners=True): no SC205
    exact = want.coordinate_mode in (CoordinateMode.ASYMMETRIC, CoordinateMode.ALIGN_CORNERS) \
        and want.nearest_mode in (None, NearestMode.FLOOR)
    assert exact != any(f.code == "SC205" and f.node == node.name
                        for f in review(net, symbolic=True).findings)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for (h, w), (g, v) in itertools.product(((5, 4), (3, 7)), ((9, 8), (5, 4), (2, 13))):
        x = rng.standard_normal((1, 1, h, w)).astype(np.float32)
        (out,) = sess.run(["out"], {"x": x, "s": np.zeros((1, 1, g, v), np.float32)})
        assert out.shape[2:] == (g, v)
        m = resize_map(want.resize((g, v)), (1, h, w))
        np.testing.assert_allclose(m.apply(x.astype(np.float64)).reshape(out.shape), out,
                                   rtol=1e-5, atol=1e-5)
        # the review's shapes: the inputs of the network at these sizes
        values, failure = evaluate(net, (h, w))
        assert failure is None and values[node.name] == values["s"]


# --------------------------------------------------------------------------- PyTorch


_UNET = """
inputs: [{name: x, size: [H, W], channels: 3}]
layers:
  - {name: enc1, op: conv, kernel: 3, padding: 1, out_channels: 4}
  - {name: pool1, op: max-pool, kernel: 2}
  - {name: enc2, op: conv, kernel: 3, padding: 1, out_channels: 8}
  - {name: pool2, op: max-pool, kernel: 3, stride: 2, ceil_mode: true}
  - {name: mid, op: conv, kernel: 3, padding: 1, out_channels: 8}
  - {name: up2, op: resize, input: mid, like: enc2, mode: linear, align_corners: true}
  - {name: cat2, op: concat, inputs: [up2, enc2]}
  - {name: dec2, op: conv, kernel: 3, padding: 1, out_channels: 4}
  - {name: up1, op: resize, input: dec2, like: enc1, mode: nearest-exact}
  - {name: cat1, op: concat, inputs: [up1, enc1]}
  - {name: up0, op: resize, input: cat1, like: x}
  - {name: head, op: conv, kernel: 1, out_channels: 1, restores: x}
"""


@pytest.mark.torch
def test_pytorch_runs_like_resizes_with_the_reviews_shapes_at_every_size() -> None:
    torch = requires("torch")
    from test_review_torch import build as torch_build
    from test_review_torch import check_size

    torch.set_num_threads(1)
    net = loads(_UNET, "yaml")
    run = torch_build(net, torch)
    r = review(net, symbolic=True)
    v, w = r.validity
    assert v is not None and w is not None
    for h in range(1, 30):
        got = check_size(net, run, (h, 11))
        assert (got.failed is None) == (h in v), (h, got.error)
        if got.failed is None:
            assert got.shapes["up2"] == got.shapes["enc2"] and got.shapes["up0"] == (h, 11)
    assert any(h in v for h in range(1, 30)) and any(h not in v for h in range(1, 30))


@pytest.mark.torch
@pytest.mark.parametrize("like, kwargs", [
    ({}, {"mode": "nearest"}), ({"mode": "nearest-exact"}, {"mode": "nearest-exact"}),
    ({"mode": "linear"}, {"mode": "bilinear", "align_corners": False}),
    ({"mode": "linear", "align_corners": True}, {"mode": "bilinear", "align_corners": True}),
    ({"mode": "cubic"}, {"mode": "bicubic", "align_corners": False}),
])
def test_pytorch_values_are_the_core_map_of_the_kept_modes(like: dict[str, Any],
                                                           kwargs: dict[str, Any]) -> None:
    torch = requires("torch")
    F = torch.nn.functional
    r = _net(like).node("up").resample
    assert r is not None
    gen = torch.Generator().manual_seed(0)
    for (h, w), (g, v) in itertools.product(((4, 5), (7, 3)), ((9, 10), (4, 5), (5, 2))):
        x = torch.randn(1, 1, h, w, generator=gen, dtype=torch.float64)
        want = F.interpolate(x, size=[g, v], **kwargs).numpy()
        got = resize_map(r.resize((g, v)), (1, h, w)).apply(x.numpy())
        np.testing.assert_allclose(np.reshape(got, want.shape), want, rtol=1e-9, atol=1e-9)


def test_resample_resize_is_a_plain_resize() -> None:
    r = Resample(mode="linear", align_corners=True)
    assert r.resize((7, 5)) == Resize(size=(7, 5), mode="linear", align_corners=True)
    assert r.resize(7).mode is ResizeMode.LINEAR


@pytest.mark.onnx
@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_torch_export_round_trip_keeps_the_modes(tmp_path: Path) -> None:
    """``F.interpolate(x, size=s.shape[2:], ...)`` exported by torch.onnx and imported: each
    node keeps its modes, and the core map of those modes at the size of ``s`` gives what
    PyTorch and onnxruntime give."""
    torch = requires("torch")
    ort = requires("onnxruntime")
    requires("onnx")
    from symconv.network.onnx_import import load_onnx

    F = torch.nn.functional
    kinds = {"a": {"mode": "nearest"},
             "b": {"mode": "bilinear", "align_corners": True},
             "c": {"mode": "bilinear", "align_corners": False},
             "d": {"mode": "bicubic", "align_corners": False}}

    class Net(torch.nn.Module):  # type: ignore[name-defined]
        def forward(self, x: Any, s: Any) -> Any:
            return tuple(F.interpolate(x, size=s.shape[2:], **kw) for kw in kinds.values())

    path = tmp_path / "interp.onnx"
    torch.onnx.export(Net(), (torch.zeros(1, 1, 6, 6), torch.zeros(1, 1, 9, 9)), str(path),
                      dynamo=False, input_names=["x", "s"], output_names=list(kinds),
                      dynamic_axes={"x": {2: "H", 3: "W"}, "s": {2: "G", 3: "V"}},
                      opset_version=17)
    net = load_onnx(path)
    got = {n.name: n.resample for n in net.nodes if n.size_of is not None}
    assert set(got) == set(kinds) and all(net.node(k).inputs == ("x", "s") for k in kinds)
    assert got["a"] == Resample(coordinate_mode="asymmetric", nearest_mode="floor",
                                convention="onnx")
    assert got["b"] is not None and got["b"].coordinate_mode is CoordinateMode.ALIGN_CORNERS
    # torch 2.x writes half_pixel (and an unused nearest_mode='floor') for align_corners=False
    assert got["c"] == Resample(mode="linear", coordinate_mode="half_pixel", convention="onnx")
    assert got["d"] == Resample(mode="cubic", coordinate_mode="half_pixel", convention="onnx")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for (h, w), (g, v) in itertools.product(((5, 4), (3, 6)),
                                            ((9, 7), (4, 4), (2, 11), (1, 3))):
        x = rng.standard_normal((1, 1, h, w))
        outs = sess.run(list(kinds), {"x": x.astype(np.float32),
                                      "s": np.zeros((1, 1, g, v), np.float32)})
        for (name, kw), out in zip(kinds.items(), outs, strict=True):
            r = got[name]
            assert r is not None
            mine = np.reshape(resize_map(r.resize((g, v)), (1, h, w)).apply(x), out.shape)
            want = F.interpolate(torch.from_numpy(x), size=[g, v], **kw).numpy()
            np.testing.assert_allclose(mine, want, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(mine, out, rtol=1e-5, atol=1e-5)
