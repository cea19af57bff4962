"""Tests of symconv.coverage.graph: the layered coverage graph, its analyses and its exports."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from symconv import Conv, ConvTranspose, InvalidSpecError, PixelShuffle, Resize
from symconv.coverage import stack_coverage, structure_map
from symconv.coverage.graph import (
    coverage_graph,
    edge_list,
    graph_from_maps,
    node_id,
    path_counts,
    reachable_inputs,
    to_dot,
    to_graphml,
)
from symconv.coverage.receptive import receptive_field
from symconv.spec.syntax import parse_layers

from strategies import conv_specs, conv_transpose_specs


@st.composite
def stacks(draw: st.DrawFn) -> tuple[list[Any], tuple[int, ...]]:
    ndim = draw(st.integers(1, 2))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        maker = conv_specs if draw(st.booleans()) else conv_transpose_specs
        spec = draw(maker(ndim, "torch"))
        layers.append(dataclasses.replace(spec, groups=1, in_channels=None, out_channels=None))
    sizes = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    try:
        stack_coverage(layers, sizes)
    except InvalidSpecError:
        assume(False)
    return layers, sizes


@given(stacks())
def test_graph_path_counts_equal_sparse_products(case: tuple[list[Any], tuple[int, ...]]) -> None:
    layers, sizes = case
    cov = stack_coverage(layers, sizes)
    G = graph_from_maps(cov.maps)
    assert G.number_of_nodes() == sum(int(np.prod(s)) for s in cov.sizes)
    counts = path_counts(G)
    for depth, arr in enumerate(cov.forward):
        for pos, value in np.ndenumerate(arr):
            assert counts[(depth, 0, pos)] == value


@given(stacks())
def test_edges_carry_the_tap(case: tuple[list[Any], tuple[int, ...]]) -> None:
    layers, sizes = case
    cov = stack_coverage(layers, sizes)
    G = graph_from_maps(cov.maps)
    for u, v, data in G.edges(data=True):
        r = cov.resolved[data["layer"] - 1]
        layer = r.layer
        tap = np.unravel_index(data["tap"], layer.kernel)
        for a in range(len(sizes)):
            s, d, pb = layer.stride[a], layer.dilation[a], r.pads[a][0]
            if isinstance(layer, Conv):
                assert u[2][a] == v[2][a] * s - pb + tap[a] * d
            else:
                assert v[2][a] == u[2][a] * s - pb + tap[a] * d
        assert data["count"] == 1


def test_folded_padding_merges_taps_with_a_count() -> None:
    layer = Conv(kernel=3, padding=1, padding_mode="reflect")
    m = structure_map(layer, 4)
    G = graph_from_maps([m])
    assert G.number_of_edges() < m.nnz
    doubled = [(u, v, d) for u, v, d in G.edges(data=True) if d["count"] == 2]
    assert doubled  # reflect folds tap 0 of output 0 onto input 1, where tap 2 also reads
    counts = path_counts(G)
    assert [counts[(1, 0, (j,))] for j in range(4)] == np.bincount(m.rows).tolist()


def test_reachability_matches_receptive_spans_inside() -> None:
    layers = parse_layers(["conv k=3 s=2 p=1", "conv-transpose k=3 s=2", "conv k=3 d=2 p=2"])
    G = coverage_graph(layers, 20)
    rf = receptive_field(layers, input_size=20)
    inner = stack_coverage(layers, 20).depth(3).interior[0]
    for j in range(*inner):
        reached = sorted(p[0] for p in reachable_inputs(G, (3, 0, (j,))))
        span = rf.span(j)
        if span is not None and span[0] >= 0 and span[1] <= 19:
            assert (reached[0], reached[-1]) == span


def test_other_layers_become_graphs() -> None:
    G = coverage_graph([PixelShuffle(factor=2)], 3)
    assert sorted(d["tap"] for _, _, d in G.edges(data=True)) == [0, 0, 0, 1, 1, 1]
    H = coverage_graph([Resize(scale_factor=2, mode="linear")], 3)
    assert {d["tap"] for _, _, d in H.edges(data=True)} == {-1}


def test_edge_list_is_the_floor_input() -> None:
    maps = stack_coverage(parse_layers(["conv-transpose k=3 s=2"] * 2), (3, 3)).maps
    edges = edge_list(maps)
    floor = nx.DiGraph()
    floor.add_edges_from(edges)
    G = graph_from_maps(maps)
    assert set(floor.edges) == set(G.edges)
    assert len(edges) == sum(m.nnz for m in maps)
    with pytest.raises(InvalidSpecError, match=r"maps=\(\) must"):
        edge_list([])


def test_graphml_round_trips_and_is_deterministic() -> None:
    cov = stack_coverage(parse_layers(["conv-transpose k=3 s=2", "conv k=2"]), 3)
    G = graph_from_maps(cov.maps)
    data = to_graphml(G, cov.forward)
    assert data == to_graphml(graph_from_maps(cov.maps), cov.forward)
    back = nx.read_graphml(io.BytesIO(data))
    assert back.number_of_nodes() == G.number_of_nodes()
    assert back.number_of_edges() == G.number_of_edges()
    node = back.nodes[node_id((2, 0, (3,)))]
    assert node["layer"] == 2 and node["pos"] == "3" and node["paths"] == cov.forward[2][3]
    edge = back.edges[node_id((0, 0, (1,))), node_id((1, 0, (2,)))]
    assert edge["tap"] == 0 and edge["layer"] == 1
    assert b"<data key" in data and b"Software" not in data


def test_dot_is_sorted_and_complete() -> None:
    cov = stack_coverage([ConvTranspose(kernel=3, stride=2)], 3)
    G = graph_from_maps(cov.maps)
    text = to_dot(G, cov.forward)
    assert text == to_dot(graph_from_maps(cov.maps), cov.forward)
    assert text.startswith("digraph coverage {") and text.endswith("}\n")
    assert text.count(" -> ") == G.number_of_edges()
    assert text.count("[label=") == G.number_of_edges() + G.number_of_nodes()
    assert '"L1:c0:2" [label="2\\n2"];' in text  # position 2 has coverage 2


# --------------------------------------------------------------------------- streamed exports

from symconv.coverage.budget import DEFAULT_MAX_NX_GRAPH  # noqa: E402
from symconv.coverage.export import CHUNK, iter_dot, iter_graphml  # noqa: E402

EXPORTED = [(["conv k=2"], (2,)), (["conv k=3 p=1 padding_mode=reflect"], (5,)),
            (["conv k=3 p=2 padding_mode=circular"], (3, 4)),
            (["conv-transpose k=3 s=2", "max-pool k=2"], (4, 3)),
            (["upsample-linear f=2"], (3, 3)), (["adaptive-avg-pool o=3"], (7,)),
            (["pixel-shuffle r=2", "pixel-unshuffle r=2"], (2, 3)),
            (["conv k=3 d=2 s=2"], (9, 7, 6)), (["upsample-nearest f=3", "conv k=5 s=3"], (4,))]


@pytest.mark.parametrize(("texts", "size"), EXPORTED, ids=[" | ".join(t) for t, _ in EXPORTED])
def test_streamed_exports_are_the_networkx_bytes(texts: list[str], size: tuple[int, ...]) -> None:
    st_ = stack_coverage(parse_layers(texts), size)
    G = graph_from_maps(st_.maps)
    for values in (None, st_.forward):
        assert "".join(iter_graphml(st_.maps, values)) == to_graphml(G, values).decode()
        assert "".join(iter_dot(st_.maps, values)) == to_dot(G, values)


@given(stacks())
def test_streamed_graphml_reads_back_as_the_graph(case: tuple[list[Any], tuple[int, ...]]) -> None:
    layers, sizes = case
    st_ = stack_coverage(layers, sizes)
    H = nx.read_graphml(io.BytesIO("".join(iter_graphml(st_.maps, st_.forward)).encode()))
    G = graph_from_maps(st_.maps)
    assert H.number_of_nodes() == G.number_of_nodes()
    assert H.number_of_edges() == G.number_of_edges()
    assert sorted(H.edges) == sorted((node_id(u), node_id(v)) for u, v in G.edges)


def test_streamed_exports_come_in_bounded_chunks() -> None:
    st_ = stack_coverage([Conv(kernel=3)], (300, 300))
    chunks = list(iter_dot(st_.maps))
    assert len(chunks) > 10 and max(len(c) for c in chunks) < CHUNK * 60
    assert "".join(chunks).count(" -> ") == st_.maps[0].nnz


def test_networkx_graphs_are_budgeted_before_building() -> None:
    with pytest.raises(InvalidSpecError, match=f"max_graph={DEFAULT_MAX_NX_GRAPH:,} must be"):
        coverage_graph([Conv(kernel=3)], (600, 600))
    with pytest.raises(InvalidSpecError, match="max_graph=100 must be at least the 424 nodes") as info:
        graph_from_maps(stack_coverage([Conv(kernel=3)], (8, 8)).maps, max_graph=100)
    assert "networkx graph" in str(info.value) and "\n" not in str(info.value)
    assert coverage_graph([Conv(kernel=3)], 8, max_graph=100).number_of_edges() == 18
