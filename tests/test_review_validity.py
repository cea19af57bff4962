"""Exact valid-size sets of ``symconv review`` (:mod:`symconv.review.validity`): the vectorised
per-layer tables equal :func:`symconv.sizes.shapes.resolve`; the per-axis rules the 1-D projection
used to lose (PyTorch ``avg_pool3d``) and the joint ones (onnxruntime MaxUnpool's element
count, couplings of different symbols on one axis) are exact against brute force and against
the frameworks; large periods are handled exactly."""

from __future__ import annotations

import itertools
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.errors import InvalidSpecError, SymconvError
from symconv.network.model import MERGE_OPS, Network, loads
from symconv.review import JointKind, review
from symconv.review.model import AxisValidity, members
from symconv.review.validity import (
    analyse_axis,
    axis_output,
    layer_table,
    make_plan,
    owners,
    project,
)
from symconv.sizes.shapes import resolve
from symconv.spec import MaxUnpool

import strategies as S
from strategies import review_layer_dicts

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

# --------------------------------------------------------------------------- brute force


def brute(net: Network, sizes: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]] | None:
    """Every tensor's sizes for the inputs' ``sizes``, straight from :func:`resolve` on the
    N-D layers (every rule, joint ones included), or ``None`` when anything fails."""
    vals = dict(sizes)
    for node in net.nodes:
        ins = [vals[s] for s in node.inputs]
        if node.op in MERGE_OPS:
            if len(set(ins)) > 1:
                return None
            vals[node.name] = ins[0]
        elif getattr(node, "size_of", None) is not None:
            vals[node.name] = vals[node.size_of]  # type: ignore[index]
        elif node.layer is None:
            vals[node.name] = ins[0]
        else:
            try:
                vals[node.name] = tuple(int(o) for o in resolve(node.layer, ins[0]).output)
            except SymconvError:
                return None
    return vals


def check_axis(net: Network, v: AxisValidity, anchors: tuple[int, ...], extra: int = 3,
               sample: int = 20) -> None:
    """Membership on axis ``v.axis`` equals brute force on every size up to threshold +
    ``extra`` periods and on random larger ones (other axes at ``anchors``, one input)."""
    limit = v.threshold + extra * v.period
    rng = random.Random(0)
    sizes = list(range(1, limit)) + [rng.randrange(limit, 50 * limit) for _ in range(sample)]
    name = net.inputs[0].name
    for n in sizes:
        size = tuple(n if a == v.axis else anchors[a] for a in range(net.ndim))
        assert (n in v) == (brute(net, {name: size}) is not None), (n, v.describe())


def chain(layers: list[dict[str, Any]], sizes: list[Any], convention: str = "torch") -> Network:
    items = [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]
    return loads(json.dumps({"convention": convention, "inputs": [{"name": "x", "size": sizes}],
                             "layers": items}), "json")


# --------------------------------------------------------------------------- tables = resolve


@st.composite
def _unpool_specs(draw: st.DrawFn, nd: int, conv: str) -> MaxUnpool:
    """Max-unpooling as PyTorch and ONNX accept it: pads below the kernel, an output size or
    not (PyTorch then checks it against the default size per axis, ONNX by element count)."""
    k = draw(st.tuples(*[st.integers(1, 4)] * nd))
    s = draw(st.tuples(*[st.integers(1, 3)] * nd))
    p = tuple(draw(st.integers(0, (x - 1) // 2)) for x in k)
    out = draw(st.none() | st.tuples(*[st.integers(1, 12)] * nd))
    return MaxUnpool(kernel=k, stride=s, padding=p, output_size=out,
                     convention="onnx" if conv == "onnx" else "torch", ndim=nd)


def _specs(nd: int, conv: str) -> st.SearchStrategy[Any]:
    """Every spec strategy of the kit (max and average pooling, adaptive pooling, pixel
    shuffle and unshuffle, cubic resizes where the convention has them) and max-unpooling."""
    makers = [S.conv_specs(nd, conv), S.pool_specs(nd, conv, "max"), S.pool_specs(nd, conv, "avg"),
              S.adaptive_specs(nd, conv), S.resize_specs(nd, conv), S.shuffle_specs(nd, conv),
              S.shuffle_specs(nd, conv, unshuffle=True), S.conv_transpose_specs(nd, conv),
              _unpool_specs(nd, conv)]
    if conv == "onnx" or (conv == "torch" and nd == 2):  # PyTorch's bicubic is 2-D only
        makers.append(S.cubic_resize_specs(nd, conv))
    return st.one_of(makers)


@st.composite
def _any_spec(draw: st.DrawFn) -> tuple[Any, int]:
    nd = draw(st.integers(1, 3))
    conv = draw(st.sampled_from(S.CONVENTIONS))
    return draw(_specs(nd, conv)), nd


def _accepted_size(spec: Any, a: int, nd: int) -> int | None:
    p = project(spec, a, nd)
    for m in range(1, 200):
        try:
            axis_output(p, nd, m)
            return m
        except SymconvError:
            continue
    return None


@settings(max_examples=120, deadline=None)
@given(_any_spec(), st.data())
def test_layer_table_equals_resolve_for_every_kind_and_convention(
        case: tuple[Any, int], data: st.DataObject) -> None:
    spec, nd = case
    a = data.draw(st.integers(0, nd - 1))
    p = project(spec, a, nd)
    try:
        table = layer_table(p, nd)
    except SymconvError:
        return  # a period above the limit (float scale factors): refused, never wrong
    limit = table.start + 3 * table.period + 5
    rng = random.Random(data.draw(st.integers(0, 10**6)))
    ms = list(range(1, limit)) + [rng.randrange(limit, 10**6) for _ in range(10)]
    others = [_accepted_size(spec, b, nd) for b in range(nd)]
    outs, oks = table.many(np.array(ms, dtype=np.int64))
    for m, o_vec, ok_vec in zip(ms, outs, oks, strict=True):
        try:
            want: int | None = int(resolve(p, (m,)).output[0])
        except SymconvError:
            want = None
        if (isinstance(spec, MaxUnpool) and nd >= 2 and spec.output_size is not None
                and spec.convention.value == "onnx"):
            want = None if _unpool_default(p, m) < 1 else int(spec.output_size[a])
        got = table.at(m)
        assert got[1] == bool(ok_vec) and (not got[1] or got[0] == int(o_vec))
        if nd == 3 and type(spec).__name__ == "AvgPool" and spec.convention.value == "torch" \
                and m < int(spec.kernel[a]):
            want = None
        assert (got[0] if got[1] else None) == want, (p, m)
        # the N-D layer itself (other axes at an accepted size): the same rule on this axis
        if None in [o for b, o in enumerate(others) if b != a] or (
                isinstance(spec, MaxUnpool) and spec.output_size is not None
                and spec.convention.value == "onnx"):
            continue  # (ONNX's element count is the joint constraint, tested below)
        sizes = tuple(m if b == a else others[b] for b in range(nd))
        try:
            full: int | None = int(resolve(spec, sizes).output[a])
        except SymconvError:
            full = None
        assert full == (got[0] if got[1] else None), (spec, sizes)


def _unpool_default(p: Any, m: int) -> int:
    return (m - 1) * int(p.stride[0]) - sum(p.padding[0]) + int(p.kernel[0])


_LAYER_1D = review_layer_dicts(tensorflow_same=False, resize_factors=(2, "3/2", "2/5"))


@settings(max_examples=40, deadline=None)
@given(st.lists(_LAYER_1D, min_size=1, max_size=5), st.integers(1, 400))
def test_run_many_equals_run(layers: list[dict[str, Any]], start: int) -> None:
    try:
        net = chain(layers, ["H"])
    except InvalidSpecError:
        return
    plan = make_plan(net, 0)
    ns = np.arange(start, start + 50, dtype=np.int64)
    b = plan.run_many(ns)
    for i, n in enumerate(ns):
        vals, fails = plan.run(int(n))
        assert {t for t in b.present if b.present[t][i]} == set(vals)
        assert all(int(b.values[t][i]) == v for t, v in vals.items())
        assert [f[0] for f in fails] == [name for name, _, m in b.fails if m[i]]


# --------------------------------------------------------------------------- avg_pool3d


_POOL_3D = st.builds(
    lambda k, s, p, c: {"op": "avg-pool", "kernel": k, "stride": s,
                        "padding": [min(x, y // 2) for x, y in zip(p, k, strict=True)],
                        "ceil_mode": c},
    st.lists(st.integers(1, 4), min_size=3, max_size=3),
    st.lists(st.integers(1, 3), min_size=3, max_size=3),
    st.lists(st.integers(0, 2), min_size=3, max_size=3), st.booleans())
_OTHER_3D = st.sampled_from([{"op": "relu"}, {"op": "conv", "kernel": 3, "padding": 1},
                             {"op": "conv", "kernel": 2, "stride": 2},
                             {"op": "conv-transpose", "kernel": 2, "stride": 2}])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(_POOL_3D, _OTHER_3D), min_size=1, max_size=3))
def test_torch_avg_pool_3d_nets_are_exact(layers: list[dict[str, Any]]) -> None:
    try:
        net = chain(layers, ["D", "H", "W"])
    except InvalidSpecError:
        return
    r = review(net, symbolic=True)
    if any(v is None or v.empty for v in r.validity):
        return
    anchors = tuple(v.minimum for v in r.validity)  # type: ignore[union-attr]
    for v in r.validity:
        assert v is not None
        check_axis(net, v, anchors, extra=2, sample=5)  # type: ignore[arg-type]


def test_avg_pool_3d_needs_the_kernel_whatever_the_padding() -> None:
    net = chain([{"op": "avg-pool", "kernel": 3, "stride": 1, "padding": 1}], ["D", "H", "W"])
    r = review(net, symbolic=True)
    assert [v.describe() for v in r.validity if v] == ["D >= 3", "H >= 3", "W >= 3"]
    # the same pooling in 2-D pads its way to size 1
    net2 = chain([{"op": "avg-pool", "kernel": 3, "stride": 1, "padding": 1}], ["H", "W"])
    assert [v.describe() for v in review(net2, symbolic=True).validity if v] == [
        "every H >= 1", "every W >= 1"]


def test_rank_dependent_layers_keep_their_rank_on_each_axis() -> None:
    # PyTorch bicubic exists only in 2-D: the per-axis view is evaluated at the network's rank
    net = chain([{"op": "resize", "scale_factor": [2, "3/2"], "mode": "cubic"},
                 {"op": "conv", "kernel": 3, "stride": 2}], ["H", "W"])
    r = review(net, symbolic=True)
    assert [v.describe() for v in r.validity if v] == ["H >= 2", "W >= 2"]
    for v in r.validity:
        assert v is not None
        check_axis(net, v, (2, 2), sample=5)


@pytest.mark.parametrize("k,p,ceil", [(3, 1, False), (4, 2, False), (3, 1, True), (2, 0, True)])
def test_avg_pool_3d_rule_matches_torch(requires: Any, k: int, p: int, ceil: bool) -> None:
    torch = requires("torch")
    net = chain([{"op": "avg-pool", "kernel": k, "stride": 1, "padding": p, "ceil_mode": ceil}],
                ["D", 8, 8])
    v = review(net, symbolic=True).validity[0]
    assert v is not None
    for m in range(1, k + 3):
        x = torch.zeros(1, 1, m, 8, 8)
        try:
            torch.nn.functional.avg_pool3d(x, k, stride=1, padding=p, ceil_mode=ceil)
            ok = True
        except RuntimeError:
            ok = False
        assert ok == (m in v), (m, v.describe())


# --------------------------------------------------------------------------- MaxUnpool (ONNX)


def _unpool_net(k: int, s: int, out: tuple[int, int], sizes: list[Any]) -> Network:
    return loads(json.dumps({"convention": "onnx", "inputs": [{"name": "x", "size": sizes}],
                             "layers": [{"name": "u", "op": "max-unpool", "kernel": k,
                                         "stride": s, "output_size": list(out)}]}), "json")


@pytest.mark.parametrize("k,s,out", [(2, 2, (3, 8)), (3, 2, (5, 9)), (2, 1, (4, 4))])
def test_unpool_element_count_is_one_joint_constraint(k: int, s: int,
                                                      out: tuple[int, int]) -> None:
    net = _unpool_net(k, s, out, ["H", "W"])
    r = review(net, symbolic=True)
    (j,) = r.joint
    assert j.kind is JointKind.ELEMENT_COUNT and j.symbols == ("H", "W")
    assert all(v is not None and v.subject_to == (j.id,) for v in r.validity)
    vs = r.validity
    grid = range(1, 12)

    def ok(h: int, w: int) -> bool:
        return brute(net, {"x": (h, w)}) is not None

    def per_symbol(h: int, w: int) -> bool:
        return h in vs[0] and w in vs[1]  # type: ignore[operator]

    def default(m: int) -> int:
        return (m - 1) * s + k

    for h, w in itertools.product(grid, grid):
        # valid iff both per-axis sets accept and the product rule holds
        assert ok(h, w) == (per_symbol(h, w) and default(h) * default(w) <= out[0] * out[1])
    failing = [(h + w, (h, w)) for h, w in itertools.product(grid, grid)
               if per_symbol(h, w) and not ok(h, w)]
    assert j.counterexample == min(failing)[1]
    good = [(h + w, (h, w)) for h, w in itertools.product(grid, grid) if ok(h, w)]
    assert j.example == (min(good)[1] if good else None)


def test_unpool_element_count_with_one_symbol_on_both_axes() -> None:
    net = _unpool_net(2, 2, (3, 8), ["N", "N"])
    r = review(net, symbolic=True)
    (j,) = r.joint
    assert j.symbols == ("N",) and j.example == (1,) and j.counterexample == (3,)
    assert "(subject to J1)" in r.notes[-1]
    assert [n for n in range(1, 20) if brute(net, {"x": (n, n)}) is not None] == [1, 2]


def test_unpool_joint_rule_matches_onnxruntime(requires: Any) -> None:
    ort = requires("onnxruntime")
    onnx = requires("onnx")
    from onnx import TensorProto, helper

    k, s, out = 2, 2, (3, 8)
    node = helper.make_node("MaxUnpool", ["X", "I", "S"], ["Y"], kernel_shape=[k, k],
                            strides=[s, s])
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("I", TensorProto.INT64, None),
         helper.make_tensor_value_info("S", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    net = _unpool_net(k, s, out, ["H", "W"])
    r = review(net, symbolic=True)
    (j,) = r.joint
    for h, w in itertools.product(range(1, 6), range(1, 6)):
        x = np.ones((1, 1, h, w), dtype=np.float32)
        idx = np.zeros((1, 1, h, w), dtype=np.int64)
        try:
            sess.run(None, {"X": x, "I": idx, "S": np.array([1, 1, *out], dtype=np.int64)})
            ok = True
        except Exception:  # onnxruntime: output_shape is smaller than minimum required
            ok = False
        assert ok == (brute(net, {"x": (h, w)}) is not None), (h, w)
        if (h, w) == j.counterexample:
            assert not ok
        if (h, w) == j.example:
            assert ok
    assert onnx is not None


# --------------------------------------------------------------------------- several symbols


_BRANCH = st.lists(st.sampled_from([
    {"op": "conv", "kernel": 3, "stride": 2, "padding": 1},
    {"op": "max-pool", "kernel": 2},
    {"op": "conv", "kernel": 3},
    {"op": "conv-transpose", "kernel": 2, "stride": 2},
    {"op": "resize", "scale_factor": "3/2"},
    {"op": "relu"},
]), min_size=0, max_size=2)


def _two_inputs(left: list[dict[str, Any]], right: list[dict[str, Any]],
                after: list[dict[str, Any]]) -> Network:
    items: list[dict[str, Any]] = []
    prev = "x"
    for i, layer in enumerate(left):
        items.append({"name": f"a{i}", "input": prev, **layer})
        prev = f"a{i}"
    a_end, prev = prev, "y"
    for i, layer in enumerate(right):
        items.append({"name": f"b{i}", "input": prev, **layer})
        prev = f"b{i}"
    items.append({"name": "cat", "op": "concat", "inputs": [a_end, prev]})
    for i, layer in enumerate(after):
        items.append({"name": f"c{i}", **layer})
    return loads(json.dumps({"inputs": [{"name": "x", "size": ["H"]},
                                        {"name": "y", "size": ["G"]}],
                             "layers": items}), "json")


@settings(max_examples=20, deadline=None)
@given(_BRANCH, _BRANCH, _BRANCH)
def test_several_symbols_on_one_axis_are_exact(left: list[dict[str, Any]],
                                               right: list[dict[str, Any]],
                                               after: list[dict[str, Any]]) -> None:
    net = _two_inputs(left, right, after)
    r = review(net, symbolic=True)
    vh = r.validity[0]
    (vg,) = r.symbol_validity
    assert vh is not None and vh.symbol == "H" and vg.symbol == "G"
    (j,) = r.joint
    assert j.kind is JointKind.COUPLING and j.symbols == ("H", "G")
    own = owners(net, 0)
    rep, other = "cat", net.node("cat").inputs[1]
    rep = net.node("cat").inputs[0]
    assert own[rep] == "H" and own[other] == "G"
    hs = range(1, min(vh.threshold + 2 * vh.period, 60))
    gs = range(1, min(vg.threshold + 2 * vg.period, 60))
    valid: list[tuple[int, int]] = []
    failing: list[tuple[int, int]] = []
    for h, g in itertools.product(hs, gs):
        vals = brute(net, {"x": (h,), "y": (g,)})
        per = h in vh and g in vg
        if per:
            # both sides exist: the coupling compares their sizes
            sides = _sides(net, h, g, rep, other)
            assert (vals is not None) == (sides[0] == sides[1]), (h, g)
            (valid if vals is not None else failing).append((h, g))
        else:
            assert vals is None, (h, g)
    key = lambda p: (sum(p), p)  # noqa: E731
    if valid and j.example is not None and sum(j.example) <= min(len(hs), len(gs)):
        assert j.example == min(valid, key=key)
    if failing and j.counterexample is not None and sum(j.counterexample) <= min(
            len(hs), len(gs)):
        assert j.counterexample == min(failing, key=key)
    if j.example is None:
        assert not valid
    else:
        assert brute(net, {"x": (j.example[0],), "y": (j.example[1],)}) is not None


def _sides(net: Network, h: int, g: int, rep: str, other: str) -> tuple[Any, Any]:
    """The two merge inputs' sizes (each branch evaluated on its own input)."""
    out = []
    for name, size in ((rep, h), (other, g)):
        vals: dict[str, tuple[int, ...]] = {"x": (h,), "y": (g,)}
        for node in net.nodes:
            if node.name == "cat":
                break
            vals[node.name] = tuple(int(o) for o in resolve(node.layer, vals[node.inputs[0]]
                                                            ).output) \
                if node.layer is not None else vals[node.inputs[0]]
        out.append(vals[name])
        del size
    return out[0], out[1]


def test_coupling_statement_and_solution() -> None:
    net = loads("""
inputs: [{name: x, size: [H, W]}, {name: y, size: [G, W]}]
layers:
  - {name: d, op: conv, kernel: 3, stride: 2, padding: 1, input: x}
  - {name: e, op: max-pool, kernel: 2, input: y}
  - {name: c, op: concat, inputs: [d, e]}
  - {name: f, op: conv, kernel: 3, stride: 2}
""", "yaml")
    r = review(net, symbolic=True)
    assert [v.describe() for v in r.validity if v] == ["H >= 5", "W >= 6 and W = 0 mod 2"]
    assert [(v.axis, v.symbol, v.describe()) for v in r.symbol_validity] == [(0, "G", "G >= 2")]
    (j,) = r.joint
    assert j.statement.startswith("floor(H/2 - 1/2) + 1 = floor(G/2)")
    assert (j.example, j.counterexample) == ((5, 6), (5, 2))
    assert "H=5: G in {6, 7}" in j.solution
    for h in range(5, 30):
        for g in range(1, 40):
            ok = brute(net, {"x": (h, 6), "y": (g, 6)}) is not None
            assert ok == ((h + 1) // 2 == g // 2 and g >= 2), (h, g)
    data = r.to_dict()
    assert data["joint_constraints"][0]["example"] == [5, 6]
    assert data["valid_sizes"][0]["subject_to"] == ["J1"]


def test_a_coupling_that_never_holds_is_no_valid_size() -> None:
    # even sizes (x2) against odd sizes (2G + 1): never equal
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [G]}]
layers:
  - {name: a, op: conv-transpose, kernel: 2, stride: 2, input: x}
  - {name: b, op: conv-transpose, kernel: 3, stride: 2, input: y}
  - {name: c, op: concat, inputs: [a, b]}
""", "yaml")
    r = review(net, symbolic=True)
    (j,) = r.joint
    assert j.example is None and "no H, G satisfy it" in j.solution
    assert any(f.code == "SC003" and f.node == "c" for f in r.errors)


def test_restores_of_another_symbol_are_checked_on_its_own_plan() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [G]}]
layers:
  - {name: d, op: conv, kernel: 2, stride: 2, input: x}
  - {name: u, op: conv-transpose, kernel: 2, stride: 2, restores: x}
  - {name: e, op: max-pool, kernel: 2, input: y}
  - {name: eu, op: conv-transpose, kernel: 2, stride: 2, restores: y}
  - {name: c, op: concat, inputs: [u, eu]}
""", "yaml")
    r = review(net, symbolic=True)
    (g207,) = [f for f in r.warnings if f.code == "SC207" and f.node == "eu"]
    assert g207.message.startswith("(G) eu:")
    assert "smallest counterexample G=3 (eu=2, y=3)" in " ".join(r.notes)
    for g in range(2, 30):  # eu restores y exactly for even G
        vals = brute(net, {"x": (2 * (g // 2),), "y": (g,)})  # the concat holds
        assert vals is not None and (vals["eu"] == vals["y"]) == (g % 2 == 0)


def test_a_restore_across_symbols_is_a_note_and_its_merge_a_coupling() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [G]}]
layers:
  - {name: d, op: conv, kernel: 2, stride: 2, input: x}
  - {name: u, op: conv-transpose, kernel: 2, stride: 2, restores: y}
  - {name: c, op: concat, inputs: [u, y]}
""", "yaml")
    r = review(net, symbolic=True)
    assert any("u restores y" in n and "not checked" in n for n in r.notes)
    (j,) = r.joint
    assert j.statement.startswith("2*floor(H/2) = G") and j.example == (2, 2)
    assert j.counterexample == (2, 1)


def test_a_concrete_input_beside_a_symbolic_one_still_works() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [12]}]
layers:
  - {name: c, op: concat, inputs: [x, y]}
""", "yaml")
    r = review(net, symbolic=True)
    assert r.validity[0] is not None and r.validity[0].describe() == "H in {12}"
    assert r.joint == ()


# --------------------------------------------------------------------------- large periods


def test_large_period_resize_chain_is_exact() -> None:
    import bench_review

    net = loads(bench_review.large_period_yaml(), "yaml")
    v = analyse_axis(net, 0)[0]
    assert v.period == 1009 * 1019 > 1 << 16  # refused before (MAX_PERIOD was 65536)
    assert v.describe() == "H >= 6"
    # brute force on every size below 3000, around the threshold and on a random sample
    rng = random.Random(1)
    ns = list(range(1, 3000)) + list(range(v.threshold - 50, v.threshold + 50)) + [
        rng.randrange(1, v.threshold + 3 * v.period) for _ in range(3000)]
    got = members(v, np.array(ns, dtype=np.int64))
    for n, m in zip(ns, got, strict=True):
        assert bool(m) == (brute(net, {"x": (n,)}) is not None), n


def test_large_period_unequal_merge_gives_the_exact_finite_set() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: r1, op: resize, scale_factor: '997/1009', input: x}
  - {name: r2, op: resize, scale_factor: '1013/1019'}
  - {name: k, op: resize, size: 500, input: x}
  - {name: c, op: concat, inputs: [r2, k]}
""", "yaml")
    v = analyse_axis(net, 0)[0]
    assert v.period == 1009 * 1019 and not v.classes
    want = [n for n in range(1, 3000) if brute(net, {"x": (n,)}) is not None]
    assert want and [n for n in range(1, 3000) if n in v] == want
    assert max([*v.below, *v.isolated]) < 3000  # nothing valid beyond: r2 keeps growing


@settings(max_examples=6, deadline=None)
@given(st.sampled_from([(997, 1009), (1013, 1019), (5, 7919), (7919, 7907)]),
       st.integers(1, 3), st.sampled_from([{"op": "max-pool", "kernel": 2},
                                           {"op": "conv", "kernel": 5, "stride": 3},
                                           {"op": "pixel-unshuffle", "factor": 2}]))
def test_large_period_nets_with_strides_are_exact(ratio: tuple[int, int], stride: int,
                                                  layer: dict[str, Any]) -> None:
    net = chain([{"op": "conv", "kernel": 3, "stride": stride},
                 {"op": "resize", "scale_factor": f"{ratio[0]}/{ratio[1]}"}, layer], ["H"])
    v, _, _ = analyse_axis(net, 0)
    rng = random.Random(ratio[0])
    ns = list(range(1, 400)) + [rng.randrange(1, v.threshold + 3 * v.period)
                                for _ in range(400)]
    got = members(v, np.array(ns, dtype=np.int64))
    for n, m in zip(ns, got, strict=True):
        assert bool(m) == (brute(net, {"x": (n,)}) is not None), n


def test_periods_beyond_the_limit_are_refused_not_guessed() -> None:
    net = chain([{"op": "resize", "scale_factor": "997/1009"},
                 {"op": "resize", "scale_factor": "1013/1019"},
                 {"op": "resize", "scale_factor": "3/2"}], ["H"])
    r = review(net, symbolic=True)
    assert r.validity == (None,)
    assert any("the size period" in n and "exceeds" in n for n in r.notes)
