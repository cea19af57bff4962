"""Receptive fields over every path of a network (``symconv.review.receptive.graph_receptive_field``).

The reference is brute force from the operator core: each layer's exact index map
(:mod:`symconv.core.layers`, the same structure as its matrix) collapsed to a boolean
"output position reads input position" matrix on its axis, composed along the graph with scipy
sparse products, merges taking the union (a concat or add depends on everything its inputs
depend on).  On a finite input the borders cut fields short (zero padding, resize clamps), so
fields are compared on outputs in the middle of a large input, where no tensor on the way
reaches a border: there the brute-force first/last input position must equal ``span(j)``
exactly, and the largest/smallest width over a full period must equal ``size``/``smallest``.
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from symconv.core.layers import (
    avg_pool_map,
    conv_map,
    conv_transpose_map,
    pixel_shuffle_map,
    pixel_unshuffle_map,
    resize_map,
    slice_map,
)
from symconv.coverage.receptive import receptive_field
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.network.model import MERGE_OPS, Network, from_dict, loads
from symconv.review.receptive import graph_receptive_field
from symconv.sizes.shapes import resolve
from symconv.spec import (
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    Slice,
)

from strategies import scaled_networks

# --------------------------------------------------------------------------- brute force


def layer_reads(layer: Any, n: int) -> tuple[sp.csr_matrix, int]:
    """Boolean (output x input) matrix of a 1-D layer on input size ``n`` from its core index
    map, channels collapsed (any channel counts), and the output size."""
    o = int(resolve(layer, (n,)).output[0])
    channel_free = {"out_channels": None, "in_channels": None, "groups": 1}
    if isinstance(layer, Conv):
        m = conv_map(dataclasses.replace(layer, **channel_free), (1, n), 1)
    elif isinstance(layer, ConvTranspose):
        m = conv_transpose_map(dataclasses.replace(layer, **channel_free), (1, n), 1)
    elif isinstance(layer, MaxPool):  # max pooling reads its whole window: same as averaging
        pads = resolve(layer, (n,)).pads
        m = avg_pool_map(AvgPool(kernel=layer.kernel, stride=layer.stride, padding=pads,
                                 dilation=layer.dilation, ceil_mode=layer.ceil_mode,
                                 convention="onnx", ndim=1), (1, n))
    elif isinstance(layer, AvgPool):
        m = avg_pool_map(layer, (1, n))
    elif isinstance(layer, MaxUnpool):  # the switch of input i lies anywhere in its window
        m = avg_pool_map(AvgPool(kernel=layer.kernel, stride=layer.stride,
                                 padding=layer.padding, ndim=1), (1, o)).T
    elif isinstance(layer, Resize):
        m = resize_map(layer, (1, n))
    elif isinstance(layer, PixelShuffle):
        m = pixel_shuffle_map(layer, (layer.factor, n))
    elif isinstance(layer, PixelUnshuffle):
        m = pixel_unshuffle_map(layer, (1, n))
    elif isinstance(layer, Slice):
        m = slice_map(layer, (1, n))
    else:
        raise AssertionError(layer)
    assert m.shape[0] % o == 0 and m.shape[1] % n == 0
    data = np.ones(m.nnz, dtype=np.int64)
    mat = sp.csr_matrix((data, (m.rows % o, m.cols % n)), shape=(o, n))
    return (mat > 0).astype(np.int64).tocsr(), o


def brute_deps(net: Network, n: int) -> dict[str, dict[str, sp.csr_matrix]]:
    """tensor -> input -> boolean matrix (tensor positions x input positions), 1-D, every
    input of size ``n``."""
    deps: dict[str, dict[str, sp.csr_matrix]] = {
        i.name: {j.name: (sp.identity(n, dtype=np.int64, format="csr") if i is j
                          else sp.csr_matrix((n, n), dtype=np.int64))
                 for j in net.inputs}
        for i in net.inputs}
    sizes = {i.name: n for i in net.inputs}
    for node in net.nodes:
        src = node.inputs[0]
        if node.op in MERGE_OPS:
            assert len({sizes[s] for s in node.inputs}) == 1
            deps[node.name] = {x: (sum(deps[s][x] for s in node.inputs) > 0).astype(np.int64)
                               for x in deps[src]}
            sizes[node.name] = sizes[src]
        elif node.layer is None and node.resample is None:
            deps[node.name], sizes[node.name] = deps[src], sizes[src]
        else:  # a resize 'like:' another tensor reads src, resized to that tensor's size
            layer = node.layer if node.resample is None else node.resample.resize(
                (sizes[str(node.size_of)],))
            assert layer is not None
            reads, o = layer_reads(layer.at(1), sizes[src])
            deps[node.name] = {x: ((reads @ d) > 0).astype(np.int64).tocsr()
                               for x, d in deps[src].items()}
            sizes[node.name] = o
    return deps


def brute_span(mat: sp.csr_matrix, j: int) -> tuple[int, int] | None:
    row = mat.getrow(j).indices
    return (int(row.min()), int(row.max())) if row.size else None


# --------------------------------------------------------------------------- properties


def check_against_brute_force(net: Network, den: int, output: str, source: str) -> None:
    rf = graph_receptive_field(net, output, source)
    if rf.size == 0:  # the output does not depend on this input
        deps = brute_deps(net, den * 8)
        assert deps[output][source].nnz == 0
        return
    assert rf.period is not None and rf.stride is not None
    n = den * -(-(16 * rf.size + 64 * int(rf.period)) // den)
    deps = brute_deps(net, n)[output][source]
    o = deps.shape[0]
    assert Fraction(n, o) == rf.stride  # input positions per output position
    middle = o // 2 - o // 2 % rf.period
    widths = []
    for j in range(middle, middle + rf.period):
        span = rf.span(j)
        assert brute_span(deps, j) == span, (j, span)
        if span is not None:
            widths.append(span[1] - span[0] + 1)
    assert max(widths) == rf.size and min(widths) == rf.smallest
    # the named paths are real paths from the input to the output
    for path in (rf.lo_path, rf.hi_path):
        assert path[0] == source and path[-1] == output
        for a, b in itertools.pairwise(path):
            assert a in net.node(b).inputs


@given(scaled_networks(1, 7))
def test_graph_field_equals_brute_force_on_random_dags(case: tuple[dict[str, Any], int]) -> None:
    data, den = case
    net = from_dict(data)
    for output in net.outputs:
        check_against_brute_force(net, den, output, "x")


@given(scaled_networks(1, 6, two_inputs=True))
def test_graph_field_per_input_on_two_input_dags(case: tuple[dict[str, Any], int]) -> None:
    data, den = case
    net = from_dict(data)
    for source in ("x", "y"):
        for output in net.outputs:
            check_against_brute_force(net, den, output, source)


@given(st.lists(st.sampled_from([
    {"op": "conv", "kernel": 3, "padding": 1}, {"op": "conv", "kernel": 4, "stride": 2},
    {"op": "max-pool", "kernel": 2}, {"op": "conv-transpose", "kernel": 3, "stride": 2},
    {"op": "resize", "scale_factor": 2}, {"op": "pixel-shuffle", "factor": 2},
    {"op": "conv", "kernel": 5, "dilation": 2, "padding": 3}]), min_size=1, max_size=6))
def test_a_chain_is_the_single_path_receptive_field(layers: list[dict[str, Any]]) -> None:
    net = from_dict({"inputs": [{"name": "x", "size": ["H"]}],
                     "layers": [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]})
    rf = graph_receptive_field(net, net.outputs[0])
    chain = receptive_field([node.layer for node in net.nodes])
    assert (rf.size, rf.stride, rf.period) == (chain.size, chain.stride, chain.period)
    assert all(rf.span(j) == chain.span(j) for j in range(-3, 2 * chain.period + 3))
    assert rf.path == ("x", *(node.name for node in net.nodes))


UNET = """
inputs: [{name: x, size: [H]}]
layers:
  - {name: enc, op: conv, kernel: 3, padding: 1}
  - {name: pool, op: max-pool, kernel: 2}
  - {name: mid, op: conv, kernel: 3, padding: 1}
  - {name: up, op: conv-transpose, kernel: 2, stride: 2}
  - {name: cat, op: concat, inputs: [enc, up]}
  - {name: head, op: conv, kernel: 3, padding: 1}
"""


def test_the_union_is_wider_than_each_path_and_names_the_deep_one() -> None:
    net = loads(UNET, "yaml")
    rf = graph_receptive_field(net, "head")
    deep = receptive_field([net.node(n).layer for n in ("enc", "pool", "mid", "up", "head")])
    skip = receptive_field([net.node(n).layer for n in ("enc", "head")])
    assert (deep.size, skip.size, rf.size) == (10, 5, 10)
    # the skip branch is listed first in the concat, yet the deep path attains both ends
    assert rf.lo_path == rf.hi_path == ("x", "enc", "pool", "mid", "up", "cat", "head")
    check_against_brute_force(net, 2, "head", "x")


def test_ends_reached_along_different_paths() -> None:
    # one branch reaches further left, the other further right: the union is wider than both
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: left, op: pad, padding: [[0, 4]]}
  - {name: lc, op: conv, kernel: 5}
  - {name: right, op: pad, padding: [[4, 0]], input: x}
  - {name: rc, op: conv, kernel: 5}
  - {name: s, op: add, inputs: [lc, rc]}
""", "yaml")
    rf = graph_receptive_field(net, "s")
    assert rf.span(0) == (-4, 4) and rf.size == 9
    assert rf.lo_path == ("x", "right", "rc", "s") and rf.hi_path == ("x", "left", "lc", "s")
    check_against_brute_force(net, 1, "s", "x")


def test_paths_of_different_strides_need_the_input_size() -> None:
    # x (8) and conv5 (4) -> nearest x2 (8) meet in a concat: valid at H = 8 only
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: c, op: conv, kernel: 5}
  - {name: up, op: resize, scale_factor: 2}
  - {name: cat, op: concat, inputs: [x, up]}
""", "yaml")
    with pytest.raises(UnsupportedError, match="input_size=None must be given"):
        graph_receptive_field(net, "cat")
    rf = graph_receptive_field(net, "cat", input_size=(8,))
    assert rf.stride is None and rf.period is None and rf.output_size == 8
    # the union of j itself and [floor(j/2), floor(j/2) + 4], over the 8 outputs
    want = [(min(j, j // 2), max(j, j // 2 + 4)) for j in range(8)]
    assert [rf.span(j) for j in range(8)] == want
    assert rf.size == max(h - lo + 1 for lo, h in want) and rf.worst == 0
    with pytest.raises(InvalidSpecError, match="must give the inputs of cat equal sizes"):
        graph_receptive_field(net, "cat", input_size=(9,))


def test_an_output_that_does_not_depend_on_an_input() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [H]}]
layers:
  - {name: a, op: conv, kernel: 3, input: x}
  - {name: b, op: conv, kernel: 3, padding: 1, input: y}
""", "yaml")
    rf = graph_receptive_field(net, "a", "y")
    assert rf.size == 0 and rf.span(0) is None and rf.path == ()


def test_size_dependent_layers_and_bad_arguments() -> None:
    net = loads("""
convention: tensorflow
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: a, op: conv, kernel: 4, stride: 2, padding: SAME}
""", "yaml")
    with pytest.raises(InvalidSpecError, match="input_size=None must be given"):
        graph_receptive_field(net, "a")
    # TF SAME pads (1, 2) at 8 and (1, 1) at 9: the field's size is 4 either way, its start moves
    assert graph_receptive_field(net, "a", input_size=(8, 8)).span(0) == (-1, 2)
    assert graph_receptive_field(net, "a", input_size=(9, 8)).span(0) == (-1, 2)
    assert graph_receptive_field(net, "a", axis=1, input_size=(8, 7)).span(0) == (-1, 2)
    for kwargs, match in [({"output": "nope"}, "output='nope' must name"),
                          ({"output": "a", "input": "z"}, "input='z' must be one of"),
                          ({"output": "a", "axis": 2}, "axis=2 must be smaller"),
                          ({"output": "a", "input_size": (8,)}, "must have 2 axes"),
                          ({"output": "a", "input_size": (0, 8)}, "input_size=0")]:
        with pytest.raises(InvalidSpecError, match=match):
            graph_receptive_field(net, **kwargs)
    small = loads("inputs: [{name: x, size: [H]}]\nlayers: [{name: a, op: conv, kernel: 3}]",
                  "yaml")
    with pytest.raises(InvalidSpecError, match=r"^a: "):  # the layer that rejects the size
        graph_receptive_field(small, "a", input_size=(2,))


def _cubic(a: str, f: Any, mode: str) -> Resize:
    return Resize(scale_factor=f, mode="cubic", cubic_coeff_a=a, coordinate_mode=mode,
                  convention="onnx", ndim=1)


@given(st.lists(st.one_of(
    st.builds(_cubic, st.sampled_from(["-3/4", "-1/2", "0", "1", "4"]),
              st.sampled_from([2, 3, "1/2", "3/2"]),
              st.sampled_from(["half_pixel", "asymmetric", "pytorch_half_pixel"])),
    st.builds(lambda f, cm, nm: Resize(scale_factor=f, coordinate_mode=cm, nearest_mode=nm,
                                       convention="onnx", ndim=1),
              st.sampled_from([2, 3, "1/2", "2/3", "5/2"]),
              st.sampled_from(["half_pixel", "asymmetric", "pytorch_half_pixel"]),
              st.sampled_from(["floor", "ceil", "round_prefer_floor", "round_prefer_ceil"])),
    st.builds(lambda start, step: Slice(start=start, step=step, ndim=1),
              st.integers(0, 3), st.integers(1, 3)),
    st.builds(lambda k, s: Conv(kernel=k, stride=s, ndim=1), st.integers(1, 4),
              st.integers(1, 2))), min_size=1, max_size=4))
def test_cubic_and_nearest_resizes_and_slices_equal_the_core_maps(layers: list[Any]) -> None:
    """Cubic taps with a zero Keys weight do not count (a = 0: two taps; a = 4 at offset 1/2:
    the two outer taps only); nearest rounds by its ``nearest_mode``; a slice reads
    ``start + j step``."""
    rf = receptive_field(layers)
    n = 64 * rf.size + 64 * rf.period + 256
    deps = sp.identity(n, dtype=np.int64, format="csr")
    size = n
    for layer in layers:
        reads, size = layer_reads(layer, size)
        deps = ((reads @ deps) > 0).astype(np.int64).tocsr()
    middle = size // 2 - size // 2 % rf.period
    for j in range(middle, middle + rf.period):
        assert brute_span(deps, j) == rf.span(j), j


def test_a_cubic_tap_pattern_that_is_not_a_progression_is_refused() -> None:
    # a = 7/4: W(2/3) = 0, so at source offset 2/3 the taps -1, 1, 2 are read (not 0)
    m = layer_reads(_cubic("7/4", 3, "asymmetric"), 30)[0]
    assert m.getrow(17).indices.tolist() == [4, 6, 7]  # x = 17/3 = 5 + 2/3: not 5
    with pytest.raises(UnsupportedError, match="cubic_coeff_a=7/4 must not give an inner tap"):
        receptive_field([_cubic("7/4", 3, "asymmetric")])


# --------------------------------------------------------------------------- SC301 in review


def sc301(net: Network, size: Any = None) -> list[str]:
    from symconv.review import review

    return [f.message for f in review(net, size).findings if f.code == "SC301"]


def test_sc301_follows_the_deep_branch_even_when_it_is_not_the_first_input() -> None:
    # the concat lists the skip first: following first inputs only saw a 3-pixel field
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: enc, op: conv, kernel: 3, padding: 1}
  - {name: pool, op: max-pool, kernel: 2}
  - {name: mid, op: conv, kernel: 9, padding: 4}
  - {name: up, op: conv-transpose, kernel: 2, stride: 2}
  - {name: cat, op: concat, inputs: [enc, up]}
  - {name: head, op: conv, kernel: 1}
""", "yaml")
    rf = graph_receptive_field(net, "head")
    assert rf.size == 20 and rf.path == ("x", "enc", "pool", "mid", "up", "cat", "head")
    (msg,) = sc301(net, (16,))
    assert msg == ("head: receptive field 20 on axis 0 exceeds the input size 16 (along x -> "
                   "... -> up -> cat -> head): every output sees padding")
    assert sc301(net, (20,)) == []
    (msg,) = sc301(net)
    assert "exceeds input sizes below 20 (the smallest valid size is 2)" in msg


def test_sc301_judges_every_input_and_names_the_worst() -> None:
    net = loads("""
inputs: [{name: x, size: [H, W]}, {name: y, size: [H, W]}]
layers:
  - {name: a, op: conv, kernel: 1, input: x}
  - {name: b, op: conv, kernel: [3, 11], padding: [1, 5], input: y}
  - {name: s, op: add, inputs: [a, b]}
""", "yaml")
    (msg,) = sc301(net, (2, 8))
    assert msg.startswith("s: receptive field 11 on axis 1 exceeds the input size 8 of y "
                          "(along y -> b -> s)")
    assert msg.endswith("every output sees padding (also on axis 0)")


def test_sc301_counts_the_outputs_that_see_padding() -> None:
    from symconv.network.model import load
    from symconv.review.traps import _widths

    net = load(Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples" / "unet.yaml")
    rf = graph_receptive_field(net, "head", input_size=(192, 192))
    spans = [rf.span(j) for j in range(192)]
    wide = sum(1 for s in spans if s is not None and s[1] - s[0] + 1 > 192)
    assert _widths(rf) == {188: 48, 204: 144} and wide == 144
    (msg,) = sc301(net, (192, 192))
    assert msg.startswith("head: receptive field 204 on axis 0 exceeds the input size 192 "
                          "(along image -> ... -> up4 -> cat4 -> ... -> up3 -> cat3 -> ... -> "
                          "up2 -> cat2 -> ... -> up1 -> cat1 -> ... -> head)")
    assert "144 of its 192 outputs on this axis see padding" in msg


def test_sc301_skips_upsampling_outputs_and_handles_size_dependent_padding() -> None:
    from symconv.network.model import load

    dcgan = load(Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"
                 / "dcgan_generator.yaml")
    assert graph_receptive_field(dcgan, "tanh").stride == Fraction(1, 16)
    assert sc301(dcgan) == []
    tf = loads("""
convention: tensorflow
inputs: [{name: x, size: [H]}]
layers:
  - {name: a, op: conv, kernel: 9, stride: 2, padding: SAME}
""", "yaml")
    (msg,) = sc301(tf)
    assert msg.startswith("a: at the smallest valid size 1 the receptive field on axis 0 is 9")


_SIZED = st.one_of(
    st.builds(lambda k, s: {"op": "conv", "kernel": k, "stride": s, "padding": "SAME",
                            "convention": "tensorflow"}, st.integers(1, 6), st.integers(1, 3)),
    st.builds(lambda k, p: {"op": "conv", "kernel": k, "padding": p}, st.integers(1, 5),
              st.integers(0, 2)),
)
_RESIZE = st.one_of(
    st.builds(lambda o, ac: {"op": "resize", "size": o, "mode": "linear", "align_corners": ac},
              st.integers(150, 400), st.booleans()),
    st.builds(lambda o: {"op": "resize", "size": o}, st.integers(150, 400)),
)


@given(st.lists(_SIZED, max_size=3), st.none() | _RESIZE, st.integers(0, 3),
       st.integers(240, 300), st.booleans())
def test_size_dependent_layers_at_a_given_size_equal_brute_force(
        layers: list[dict[str, Any]], resize: dict[str, Any] | None, where: int, n: int,
        skip: bool) -> None:
    """TensorFlow SAME (its split follows the size), resizes to a fixed size and
    align_corners (their scale follows the size): fields at a given input size, on outputs
    in the middle, equal the core maps composed at that size (a skip adds a second path)."""
    if resize is not None:  # one resize (its period is up to its size)
        layers = [*layers[:where], resize, *layers[where:]]
    if not layers:
        return
    items = [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]
    if skip:
        items.append({"name": "side", "op": "conv", "kernel": 3, "padding": 1, "input": "x"})
        items.append({"name": "out", "op": "add",
                      "inputs": [f"l{len(layers) - 1}", "side"]})
    net = from_dict({"inputs": [{"name": "x", "size": ["H"]}], "layers": items})
    from symconv.review.propagate import evaluate

    output = net.outputs[0]
    _, failure = evaluate(net, (n,))
    if failure is not None:  # the skip's sizes differ at n
        assert failure.node == "out"
        with pytest.raises(InvalidSpecError, match="must give the inputs of out equal sizes"):
            graph_receptive_field(net, output, input_size=(n,))
        return
    deps = brute_deps(net, n)
    o = deps[output]["x"].shape[0]
    rf = graph_receptive_field(net, output, input_size=(n,))
    assert rf.output_size == o and rf.input_size == n
    for j in range(o // 2 - 3, o // 2 + 4):
        assert brute_span(deps[output]["x"], j) == rf.span(j), j
