"""Broadcasting in elementwise merges, judged by PyTorch.

An ``add`` (Add, Mul, Sub, ... of two tensors) broadcasts a size-1 axis, as PyTorch and
onnxruntime do.  The review distinguishes a *gate* (an input whose size on the axis is 1 for
every input size, as after a global pooling: broadcast silently) from a *shrunk skip* (1 only
at some sizes: the runtimes broadcast it and return a wrong-sized output; SC006 at such a
size, and the size stays out of the valid set).

The oracle here is independent of the review's gate analysis: PyTorch runs the network at
every size in a range, recording each merge's operand shapes; an operand is a gate on an axis
when its size there is 1 at *every* size tried; a size is valid when no layer raises and every
merge operand either has the merge's output size or is a gate.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.network.model import from_dict
from symconv.review import review
from symconv.review.plan import broadcast_gates, constant_sizes

from conftest import requires

pytestmark = pytest.mark.torch

SE = {
    "name": "se-block",
    "inputs": [{"name": "x", "size": ["H", "W"], "channels": 4}],
    "layers": [
        {"name": "c1", "op": "conv", "k": 3, "p": 1, "out_channels": 4},
        {"name": "pool", "op": "resize", "size": [1, 1]},
        {"name": "fc1", "op": "conv", "k": 1, "out_channels": 2},
        {"name": "fc2", "op": "conv", "k": 1, "out_channels": 4},
        {"name": "gate", "op": "sigmoid"},
        {"name": "scaled", "op": "mul", "inputs": ["c1", "gate"]},
        {"name": "down", "op": "conv", "k": 3, "s": 2, "p": 1, "out_channels": 4},
        {"name": "up", "op": "resize", "scale_factor": 2},
        {"name": "skip", "op": "add", "inputs": ["up", "scaled"]},
    ],
}


@pytest.fixture(scope="module")
def torch() -> Any:
    mod = requires("torch")  # skip locally without torch, fail when CI=true
    mod.set_num_threads(1)
    return mod


def _runner(data: dict[str, Any], torch: Any) -> Any:
    from test_review_torch import build

    return build(from_dict(data), torch)


def oracle(data: dict[str, Any], torch: Any, sizes: list[tuple[int, int]]
           ) -> dict[tuple[int, int], bool]:
    """Valid or not at each size, from PyTorch runs alone (see the module docs)."""
    net = from_dict(data)
    run = _runner(data, torch)
    runs = {size: run(size) for size in sizes}
    merges = [n for n in net.nodes if n.op == "add"]
    # gate: an operand whose size on an axis is 1 at every size where it was computed
    gate: dict[tuple[str, str, int], bool] = {}
    for node in merges:
        for s in node.inputs:
            for a in range(2):
                seen = [r.shapes[s][a] for r in runs.values() if s in r.shapes]
                gate[(node.name, s, a)] = bool(seen) and all(v == 1 for v in seen)
    out = {}
    for size, r in runs.items():
        ok = not r.errors
        for node in merges:
            if node.name not in r.shapes:
                continue
            shape = r.shapes[node.name]
            for s in node.inputs:
                for a in range(2):
                    if r.shapes[s][a] != shape[a] and not gate[(node.name, s, a)]:
                        ok = False
        out[size] = ok
    return out


def test_constant_sizes_and_gates_of_the_se_block() -> None:
    net = from_dict(SE)
    assert constant_sizes(net, 0) == {
        "x": None, "c1": None, "pool": 1, "fc1": 1, "fc2": 1, "gate": 1, "scaled": None,
        "down": None, "up": None, "skip": None}
    assert broadcast_gates(net) == {"scaled": (frozenset({"gate"}), frozenset({"gate"}))}


def test_se_block_valid_sizes_and_findings_are_pytorchs(torch: Any) -> None:
    r = review(from_dict(SE), symbolic=True)
    v, w = r.validity
    assert v is not None and w is not None
    sizes = [(h, 4) for h in range(1, 21)]
    verdict = oracle(SE, torch, sizes)
    for (h, _), ok in verdict.items():
        assert (h in v) == ok, (h, ok)
    assert 4 in w
    # the gate merge is noted, never compared; the shrunk skip at H=1 is SC006
    assert any("scaled broadcasts gate" in n for n in r.notes)
    at1 = review(from_dict(SE), (1, 4))
    codes = {f.code: f for f in at1.findings}
    assert "SC006" in codes and codes["SC006"].node == "skip"
    assert "broadcasts 1 against 2" in codes["SC006"].message
    assert "SC002" not in codes
    at3 = review(from_dict(SE), (3, 4))  # 3 -> 2 -> 4 against 3: a plain mismatch
    assert {f.code for f in at3.errors} == {"SC002"}
    assert all(f.code != "SC002" for f in review(from_dict(SE), (4, 4)).errors)


_GATE = st.sampled_from([
    [{"op": "resize", "size": [1, 1]}],
    [{"op": "resize", "size": [1, 1]}, {"op": "conv", "k": 1, "out_channels": 4}],
    [{"op": "resize", "size": [3, 3]}, {"op": "conv", "k": 3}],  # 3 -> 1: a gate too
    [{"op": "resize", "size": [2, 2]}, {"op": "max-pool", "k": 2}],
    [{"op": "resize", "size": [1, 2]}],  # a gate on axis 0 only
])
_BODY = st.sampled_from([
    [{"op": "conv", "k": 3, "p": 1}],
    [{"op": "conv", "k": 3, "s": 2, "p": 1}, {"op": "resize", "scale_factor": 2}],
    [{"op": "max-pool", "k": 2}, {"op": "conv-transpose", "k": 2, "s": 2}],
    [{"op": "avg-pool", "k": 3, "s": 3}, {"op": "resize", "scale_factor": 3}],
    [{"op": "conv", "k": 3}],  # shrinks by 2: never broadcast-valid unless size 1
])


@st.composite
def gated_networks(draw: st.DrawFn) -> dict[str, Any]:
    """x -> body -> (optionally a second body) merged with a gate computed from a tensor."""
    body = draw(_BODY)
    gate = draw(_GATE)
    layers: list[dict[str, Any]] = []
    for i, layer in enumerate(body):
        layers.append({"name": f"b{i}", **layer, "out_channels": 4} if layer["op"].startswith(
            "conv") else {"name": f"b{i}", **layer})
    src = layers[-1]["name"]
    gate_from = draw(st.sampled_from(["x", src]))
    for i, layer in enumerate(gate):
        g = {"name": f"g{i}", **layer}
        if i == 0:
            g["input"] = gate_from
        layers.append(g)
    operands = [src, layers[-1]["name"]]
    if draw(st.booleans()):
        operands.reverse()
    layers.append({"name": "m", "op": draw(st.sampled_from(["add", "mul"])),
                   "inputs": operands})
    if draw(st.booleans()):  # and a plain skip back to the input
        layers.append({"name": "s", "op": "add", "inputs": ["m", "x"]})
    return {"inputs": [{"name": "x", "size": ["H", "W"], "channels": 4}], "layers": layers}


@settings(max_examples=25, deadline=None)
@given(gated_networks())
def test_random_gated_networks_agree_with_pytorch(torch: Any, data: dict[str, Any]) -> None:
    net = from_dict(data)
    r = review(net, symbolic=True)
    sizes = [(h, w) for h in range(1, 13) for w in (1, 2, 5, 6)]
    verdict = oracle(data, torch, sizes)
    v, w = r.validity
    assert v is not None and w is not None
    for (h, wd), ok in verdict.items():
        assert (h in v and wd in w) == ok, (json.dumps(data), h, wd, ok)
        if not ok:
            continue
        values = {row.name: row.value for row in review(net, (h, wd)).tensors}
        got = _runner(data, torch)((h, wd)).shapes
        for name, shape in got.items():
            assert values.get(name) == shape, (json.dumps(data), (h, wd), name)
