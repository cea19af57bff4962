"""The conformance kit (symconv.testing): expected results checked against the independent
reference ops, the strategies' promises (valid cases resolve, rejected ones are rejected,
the edges are reached), the reproduction commands run and reproduce, planted off-by-one bugs
are caught and shrunk, and the model-repository guard."""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
import sys
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
import symconv.testing as kit
from symconv import numeric
from symconv.cli import cli
from symconv.network import loads
from symconv.testing import (
    InvalidCase,
    LayerCase,
    LayerMismatch,
    assert_layer_matches,
    assert_restores,
    assert_valid_sizes,
    check_implementation,
    expected,
    layers,
    random_inputs,
    reproduce_command,
)
from symconv.testing.edges import KINDS, edge_sizes
from symconv.testing.guards import parse_promise

import strategies

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pads(e: Any) -> list[tuple[int, int]]:
    return [tuple(p) for p in e.pads]


# --------------------------------------------------------------------------- expected()


@SLOW
@given(case=layers(kind=("conv", "max-pool", "avg-pool")), exact=st.booleans())
def test_expected_matches_the_reference_ops(case: LayerCase, exact: bool) -> None:
    """Convolutions and pooling, every convention: the exact maps agree with the reference
    ops run on the resolved pads (exact for integers, float64 otherwise)."""
    layer, sizes = case
    x, w = random_inputs(layer, sizes, batch=2, exact=exact, seed=sum(sizes))
    e = expected(layer, x, w)
    lay: Any = e.layer
    pads = _pads(e)
    if isinstance(lay, symconv.Conv):
        ref = numeric.conv(x, w, lay.stride, pads, lay.dilation, lay.groups, any_padding=True)
    elif isinstance(lay, symconv.MaxPool):
        ref = numeric.max_pool(x, lay.kernel, lay.stride, pads, lay.dilation, lay.ceil_mode,
                               any_padding=True)
    elif any(d > 1 for d in lay.dilation):
        return  # the reference average pool has no dilation (ONNX's; see the adjoint test)
    else:
        ref = numeric.avg_pool(x, lay.kernel, lay.stride, pads, lay.ceil_mode,
                               lay.count_include_pad, any_padding=True)
    assert e.exact == exact
    if exact:
        assert e.output.tolist() == np.asarray(ref).tolist()
    else:
        assert e.output.dtype == np.float64
        np.testing.assert_allclose(e.output, np.asarray(ref, dtype=float), rtol=1e-12,
                                   atol=1e-12)


@SLOW
@given(case=layers(kind="conv", convention="torch"), data=st.data())
def test_expected_gradients_match_the_reference_ops(case: LayerCase, data: Any) -> None:
    layer, sizes = case
    x, w = random_inputs(layer, sizes, batch=2, seed=3)
    e = expected(layer, x, w)
    lay: Any = e.layer
    g = np.random.default_rng(data.draw(st.integers(0, 99))).integers(-3, 4, size=e.shape)
    pads = _pads(e)
    gx = numeric.conv_grad_input(g, w, sizes, lay.stride, pads, lay.dilation, lay.groups)
    gw = numeric.conv_grad_weight(x, g, lay.kernel, lay.stride, pads, lay.dilation,
                                  lay.groups)
    assert e.input_grad(g).tolist() == np.asarray(gx).tolist()
    assert e.weight_grad(g).tolist() == np.asarray(gw).tolist()


def test_weight_grad_is_exact_in_every_arithmetic() -> None:
    """The weight gradient takes int64 while a bound on the sums allows it, Python numbers
    past it (values beyond int64) and for Fractions: the same exact numbers every way."""
    layer = symconv.Conv(kernel=3, stride=2, padding=1, groups=2)
    x, w = random_inputs(layer, (7, 6), channels=4, out_channels=4, batch=2, seed=5)
    e = expected(layer, x, w)
    g = np.random.default_rng(1).integers(-3, 4, size=e.shape)
    small = e.weight_grad(g)
    assert small.dtype == np.int64
    big = 2**61  # g * x * entries overflows int64: Python ints
    wide = expected(layer, x.astype(object) * big, w).weight_grad(g)
    assert wide.dtype == object and (wide == small.astype(object) * big).all()
    near = expected(layer, x * 2**40, w).weight_grad(g * 2**20)  # int64 in, past the bound
    assert near.dtype == object and (near == small.astype(object) * 2**60).all()
    halves = np.frompyfunc(lambda v: Fraction(int(v), 2), 1, 1)(x).astype(object)
    half = expected(layer, halves, w).weight_grad(g)
    assert half.tolist() == [[[[Fraction(v, 2) for v in row] for row in k] for k in o]
                             for o in small.tolist()]
    floats = expected(layer, x.astype(float), w.astype(float)).weight_grad(g.astype(float))
    assert floats.dtype == np.float64 and (floats == small).all()


@SLOW
@given(case=layers(kind=("conv-transpose", "resize", "adaptive-pool", "pixel-shuffle",
                         "pixel-unshuffle", "avg-pool")), seed=st.integers(0, 9))
def test_input_grad_is_the_adjoint(case: LayerCase, seed: int) -> None:
    """``<layer(x), g> = <x, input_grad(g)>`` exactly, every kind with a fixed map."""
    layer, sizes = case
    x, w = random_inputs(layer, sizes, seed=seed)
    e = expected(layer, x, w)
    g = np.random.default_rng(seed).integers(-3, 4, size=e.shape)
    left = sum(Fraction(a) * Fraction(b) for a, b in zip(e.output.ravel().tolist(),
                                                         g.ravel().tolist(), strict=True))
    right = sum(Fraction(a) * Fraction(b) for a, b in zip(x.ravel().tolist(),
                                                          e.input_grad(g).ravel().tolist(),
                                                          strict=True))
    assert left == right


def test_expected_transpose_and_resize_against_reference() -> None:
    layer = symconv.ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)
    x, w = random_inputs(layer, (4,), channels=2, out_channels=4, batch=2, seed=1)
    e = expected(layer, x, w)
    ref = numeric.conv_transpose(x, w, 2, 1, 1)
    assert e.output.tolist() == ref.tolist()
    r = symconv.Resize(scale_factor=Fraction(3, 2), mode="linear")
    x = np.arange(8).reshape(1, 2, 4)
    out = expected(r, x).output
    assert out.dtype == object and out.tolist() == numeric.upsample_linear(
        x, scale_factor=Fraction(3, 2)).tolist()


@pytest.mark.parametrize(("c_in", "c_out", "groups", "size"),
                         [(64, 64, 1, (12, 10)), (64, 64, 64, (9,)), (16, 32, 4, (7, 6)),
                          (6, 4, 2, (3, 4, 3))])
def test_wide_convolutions_are_exact_and_quick(c_in: int, c_out: int, groups: int,
                                               size: tuple[int, ...]) -> None:
    """The factored map (spatial map once, channels mixed per tap) against the reference
    ops, forward and both gradients, for convolutions and transposed ones of real width."""
    nd = len(size)
    for layer in (symconv.Conv(kernel=3, stride=2, padding=1, dilation=1, groups=groups),
                  symconv.ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1,
                                        groups=groups)):
        x, w = random_inputs(layer, size, channels=c_in, out_channels=c_out, batch=2)
        e = expected(layer, x, w)
        assert e.factored is not None and e.output.dtype == np.int64
        g = np.random.default_rng(3).integers(-3, 4, size=e.shape)
        s, p = (2,) * nd, ((1, 1),) * nd
        if isinstance(layer, symconv.Conv):
            ref = numeric.conv(x, w, s, p, (1,) * nd, groups)
            gx = numeric.conv_grad_input(g, w, size, s, p, (1,) * nd, groups)
            gw = numeric.conv_grad_weight(x, g, (3,) * nd, s, p, (1,) * nd, groups)
            assert e.input_grad(g).tolist() == np.asarray(gx).tolist()
            assert e.weight_grad(g).tolist() == np.asarray(gw).tolist()
        else:
            ref = numeric.conv_transpose(x, w, s, p, (1,) * nd, groups=groups)
            # the adjoint: <layer(x), g> = <x, input_grad(g)>
            assert int((e.output * g).sum()) == int((x * e.input_grad(g)).sum())
        assert e.output.tolist() == np.asarray(ref).tolist()


def test_the_factored_map_keeps_the_callers_budget() -> None:
    from symconv.testing.channels import channel_map

    layer = symconv.Conv(kernel=3, padding=1)
    x, w = random_inputs(layer, (40, 40), channels=64, out_channels=64)
    tight = channel_map(layer, (40, 40), 64, 64, max_nnz=50_000)
    with pytest.raises(symconv.InvalidSpecError, match=r"max_nnz=50000 .* channel-mixed "
                       "application"):
        tight.apply(x, w, True)
    assert channel_map(layer, (40, 40), 64, 64, max_nnz=10**6).apply(x, w, True).shape == \
        (1, 64, 40, 40)


def test_the_factored_map_leaves_int64_only_where_it_must() -> None:
    """Past int64's bound the sums go to Python ints; Fractions stay Fractions."""
    layer = symconv.Conv(kernel=2, groups=2)
    x, w = random_inputs(layer, (5,), channels=4, out_channels=2)
    small = expected(layer, x, w).output
    big = expected(layer, x * 2**40, w * 2**22).output
    assert big.dtype == object and (big == small.astype(object) * 2**62).all()
    halves = expected(layer, x, np.frompyfunc(lambda v: Fraction(int(v), 2), 1, 1)(w)
                      .astype(object)).output
    assert (halves * 2 == small).all() and isinstance(halves.flat[0], Fraction | int)


def test_expected_is_exact_or_float() -> None:
    pool = symconv.AvgPool(kernel=2)
    assert expected(pool, np.array([[[1, 2]]])).output.tolist() == [[[Fraction(3, 2)]]]
    x = np.array([[[Fraction(1, 3), Fraction(1, 6)]]], dtype=object)
    assert expected(pool, x).output.tolist() == [[[Fraction(1, 4)]]]
    assert expected(pool, np.array([[[1.0, 2.5]]])).output.tolist() == [[[1.75]]]
    mp = expected(symconv.MaxPool(kernel=2), np.array([[[1, 3, 3, 2]], [[5, 4, 0, 0]]]))
    assert mp.output.tolist() == [[[3, 3]], [[5, 0]]]
    assert mp.input_grad(np.array([[[1, 2]], [[3, 4]]])).tolist() == [[[0, 1, 2, 0]],
                                                                       [[3, 0, 4, 0]]]


def test_expected_rejections_are_one_line() -> None:
    conv = symconv.Conv(kernel=3)
    with pytest.raises(symconv.InvalidSpecError, match="w=None must be given"):
        expected(conv, np.zeros((1, 1, 5)))
    with pytest.raises(symconv.InvalidSpecError, match="must not exceed"):
        expected(conv, np.zeros((1, 1, 2)), np.zeros((1, 1, 3)))  # input too small
    with pytest.raises(symconv.InvalidSpecError, match="x shape"):
        expected(conv, np.zeros(5), np.zeros((1, 1, 3)))
    with pytest.raises(symconv.InvalidSpecError, match="x dtype"):
        expected(symconv.AvgPool(kernel=2), np.zeros((1, 1, 4), dtype=bool))
    with pytest.raises(symconv.InvalidSpecError, match="max_nnz"):
        expected(conv, np.zeros((1, 1, 50)), np.zeros((1, 1, 3)), max_nnz=10)


# --------------------------------------------------------------------------- strategies


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=layers())
def test_every_drawn_case_is_valid(case: LayerCase) -> None:
    x, w = random_inputs(case.layer, case.input_size)
    out = expected(case.layer, x, w).output
    assert out.size > 0


def _edges_seen(n: int = 400) -> set[str]:
    """The edges the window kinds reach, forward windows and transposed convolutions drawn
    apart (one draw of all four kinds left some edges to luck)."""
    return _edges_of(layers(kind=("conv", "max-pool", "avg-pool")), n) | _edges_of(
        layers(kind="conv-transpose"), n // 2)


def _edges_of(strategy: Any, n: int) -> set[str]:
    seen: set[str] = set()

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def look(case: LayerCase) -> None:
        layer: Any = case.layer
        r = symconv.resolve(layer, case.input_size)
        if min(case.input_size) == 1:
            seen.add("size-1")
        if isinstance(layer, symconv.ConvTranspose):
            if layer.output_padding and layer.convention.value == "torch" and any(
                    op == max(s, d) - 1 > 0 for op, s, d in
                    zip(layer.output_padding, layer.stride, layer.dilation, strict=True)):
                seen.add("output_padding-limit")
            op = layer.output_padding or (0,) * len(layer.stride)
            if any((k - 1) * d + 1 + o < s for k, d, o, s in
                   zip(layer.kernel, layer.dilation, op, layer.stride, strict=True)):
                seen.add("transpose-shorter-than-stride")
            return
        keff = [d * (k - 1) + 1 for k, d in zip(layer.kernel, layer.dilation, strict=True)]
        for n, k, (b, e), s, d in zip(case.input_size, keff, r.pads, layer.stride,
                                      layer.dilation, strict=True):
            if n + b + e == k and b + e > 0:
                seen.add("window-into-padding")
            if s > 1 and d > 1:
                seen.add("dilation-with-stride")
            if getattr(layer, "ceil_mode", False) and (n + b + e - k) % s:
                seen.add("ceil-last-window")
            if layer.convention.value == "tensorflow" and s > 1 and b != e:
                seen.add("same-asymmetric")

    look()
    return seen


def test_strategies_reach_the_edges() -> None:
    assert _edges_seen() >= {"size-1", "output_padding-limit", "window-into-padding",
                             "dilation-with-stride", "ceil-last-window", "same-asymmetric",
                             "transpose-shorter-than-stride"}


@settings(max_examples=300, deadline=None, database=None)
@given(case=layers(kind=("conv", "conv-transpose", "max-pool", "avg-pool"), valid=False))
def test_every_rejected_case_is_rejected(case: InvalidCase) -> None:
    why = case.rejection()
    assert why is not None, f"symconv accepts {case}"
    if case.layer is not None:
        keff = [d * (k - 1) + 1 for k, d in zip(case.layer.kernel,  # type: ignore[union-attr]
                                                case.layer.dilation,  # type: ignore[union-attr]
                                                strict=True)]
        assert any(n < k for n, k in zip(case.input_size, keff, strict=True)) or "pads" in why \
            or why


def test_rejected_cases_cover_both_families_and_the_onnxruntime_zone() -> None:
    found: set[str] = set()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(case=layers(valid=False, kind=("max-pool", "conv-transpose", "conv")))
    def look(case: InvalidCase) -> None:
        found.add("size" if case.layer is not None else "params")
        if case.layer is not None and case.kind == "MaxPool" \
                and case.params["convention"] == "onnx":
            r = case.layer
            for n, k, (b, e), s in zip(case.input_size, r.kernel, r.padding,  # type: ignore
                                       r.stride, strict=True):  # type: ignore[union-attr]
                if -s < n + b + e - k < 0:
                    found.add("onnxruntime-zone")

    look()
    assert found == {"size", "params", "onnxruntime-zone"}


def test_layers_rejects_unknown_names() -> None:
    with pytest.raises(symconv.InvalidSpecError, match="kind="):
        layers(kind="convolution")
    with pytest.raises(symconv.InvalidSpecError, match="convention="):
        layers(convention="caffe")
    assert set(KINDS) >= {"conv", "resize"}


def test_tests_strategies_is_the_kit() -> None:
    """tests/strategies.py re-exports the kit: one copy of the code."""
    from symconv.testing import networks, specs

    assert strategies.conv_specs is specs.conv_specs
    assert strategies.scaled_networks is networks.scaled_networks
    assert strategies.valid_input_sizes is specs.valid_input_sizes
    assert "def " not in open(strategies.__file__, encoding="utf-8").read()


def test_import_without_hypothesis() -> None:
    """``expected`` and the assertions work without Hypothesis; the strategies say why not."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import numpy as np, symconv, symconv.testing as kit\n"
        "e = kit.expected(symconv.AvgPool(kernel=2), np.array([[[1, 2]]]))\n"
        "kit.assert_layer_matches(lambda l, x, w: x.mean(axis=-1, keepdims=True), "
        "symconv.AvgPool(kernel=2), (2,))\n"
        "print(e.output.tolist())\n"
        "try:\n    kit.layers\nexcept ImportError:\n    print('no strategies')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split("\n")[:2] == ["[[[Fraction(3, 2)]]]", "no strategies"]


# --------------------------------------------------------------------------- commands


def _shape_json(command: str) -> dict[str, Any]:
    argv = [*shlex.split(command)[1:], "--json"]
    result = CliRunner().invoke(cli, argv, prog_name="symconv")
    assert result.exit_code == 0, (command, result.output)
    return dict(json.loads(result.output))


@settings(max_examples=60, deadline=None, database=None)
@given(case=layers())
def test_reproduce_command_runs_and_reproduces(case: LayerCase) -> None:
    command = reproduce_command(case.layer, case.input_size)
    r = symconv.resolve(case.layer, case.input_size)
    if command is None:  # a parameter without an option (the Python line reproduces it)
        return
    assert command.startswith("symconv shape ")
    assert tuple(_shape_json(command)["output"]) == tuple(r.output)
    matrix = reproduce_command(case.layer, case.input_size, matrix=True)
    if matrix is not None:
        x, w = random_inputs(case.layer, case.input_size)
        e = expected(case.layer, x, w)
        got = _shape_json(matrix)
        assert tuple(got["output_shape"]) == e.shape[1:]
        assert tuple(got["input_shape"]) == x.shape[1:]


def test_matrix_command_of_a_map_without_entries() -> None:
    """Every window on padding only: the matrix is all zeros (shape 2x1), not a crash (a
    symconv bug the kit found: ``symconv matrix`` raised ``ValueError`` here; fixed)."""
    layer = symconv.Conv(kernel=1, stride=2, padding=1)
    command = reproduce_command(layer, (1,), matrix=True)
    assert command == "symconv matrix conv --in 1 --kernel 1 --stride 2 --padding 1:1 " \
        "--channels 1"
    assert tuple(_shape_json(command)["shape"]) == (2, 1)


def test_reproduce_command_of_a_rejection_exits_2() -> None:
    layer = symconv.MaxPool(kernel=3, convention="onnx")
    command = reproduce_command(layer, (2,))
    assert command == "symconv shape max-pool --in 2 --kernel 3 --stride 3 --padding 0:0 " \
        "--convention onnx"
    result = CliRunner().invoke(cli, shlex.split(command)[1:], prog_name="symconv")
    assert result.exit_code == 2


@pytest.mark.parametrize(("convention", "size", "pads"),
                         [("tensorflow", 6, [[0, 1]]), ("onnx", 6, [[1, 0]]), ("torch", 8, [[0, 0]])])
def test_reproduce_command_of_a_requested_transposed_output(convention: str, size: int,
                                                           pads: list[list[int]]) -> None:
    """A transposed convolution's ``output_size`` (TensorFlow and ONNX ``output_shape``,
    PyTorch ``forward(output_size=)``) is ``--size``: the command rebuilds the same layer,
    its output and the cropping that realises it (TensorFlow crops the odd one at the end,
    ONNX's default at the start)."""
    layer = symconv.ConvTranspose(kernel=3, stride=2, output_size=size, convention=convention)
    command = reproduce_command(layer, (3,))
    assert command is not None and f"--size {size}" in command
    assert "--output-padding" not in command  # derived from the size, not a parameter
    got = _shape_json(command)
    assert got["output"] == [size] and got["pads"] == pads
    matrix = reproduce_command(layer, (3,), matrix=True)
    assert matrix is not None
    x, w = random_inputs(layer, (3,))
    listing = _shape_json(matrix)
    assert tuple(listing["output_shape"]) == expected(layer, x, w).shape[1:]
    # PyTorch ignores output_padding when forward() gets output_size: both are said
    both = symconv.ConvTranspose(kernel=3, stride=2, output_padding=1, output_size=8)
    assert reproduce_command(both, (3,)) == ("symconv shape conv-transpose --in 3 --kernel 3 "
                                             "--stride 2 --padding 0:0 --size 8 "
                                             "--output-padding 1")


def test_reproduce_command_refuses_what_options_cannot_say() -> None:
    cubic = symconv.Resize(scale_factor=2, mode="cubic", cubic_coeff_a=Fraction(-1, 2),
                           convention="onnx")
    assert reproduce_command(cubic, (4,)) is None
    assert reproduce_command(symconv.MaxPool(kernel=2), (4,), matrix=True) is None


# --------------------------------------------------------------------------- planted bugs


def ceil_max_pool(layer: Any, x: Any, w: Any) -> Any:
    """A user's max pooling with ceil instead of floor (PyTorch's last-window rule kept)."""
    r = symconv.resolve(layer, x.shape[2:])
    return numeric.max_pool(x, layer.kernel, r.layer.stride, r.pads, r.layer.dilation,
                            ceil_mode=True)


def reversed_same_conv(layer: Any, x: Any, w: Any) -> Any:
    """A user's TensorFlow SAME convolution with the split reversed (more padding before)."""
    lay = symconv.resolve(layer, x.shape[2:]).layer
    pads = []
    for n, k, s, d in zip(x.shape[2:], lay.kernel, lay.stride, lay.dilation, strict=True):
        if str(lay.padding.value) == "valid":
            pads.append((0, 0))
            continue
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total - total // 2, total // 2))  # reversed: TF puts the extra after
    return numeric.conv(x, w, lay.stride, pads, lay.dilation, lay.groups)


def _failure(fn: Any, strategy: Any) -> LayerMismatch:
    with pytest.raises(LayerMismatch) as info:
        check_implementation(fn, strategy, derandomize=True)
    return info.value


def test_planted_ceil_for_floor_is_caught_and_shrunk() -> None:
    err = _failure(ceil_max_pool, layers(kind="max-pool", convention="torch"))
    layer: Any = err.layer
    assert math.prod(err.input_size) <= 4, err
    assert not layer.ceil_mode and layer.kernel[0] <= 3
    command = re.search(r"reproduce: (symconv shape .*)", str(err)).group(1)  # type: ignore
    got = _shape_json(command)
    assert got is not None
    assert tuple(got["output"]) == symconv.resolve(layer, err.input_size).output
    wrong = ceil_max_pool(layer, np.zeros((1, 1, *err.input_size)), None)
    assert tuple(got["output"]) != wrong.shape[2:]  # the command shows the right size


def test_an_nd_finding_comes_with_a_1d_case_that_fails_too() -> None:
    """A 2-D finding names the 1-D case of one of its axes when that one fails too (the
    finding itself stays the drawn case, so a strategy filtered by it cannot loop)."""
    layer = symconv.MaxPool(kernel=(2, 1), stride=(2, 1))
    with pytest.raises(LayerMismatch) as info:
        check_implementation(ceil_max_pool, st.just(LayerCase(layer, (3, 1))), max_examples=1)
    err = info.value
    assert err.layer == layer and err.input_size == (3, 1)
    assert err.one_axis == (symconv.MaxPool(kernel=2, stride=2, ndim=1), (3,))
    assert "  1-D reproduce: symconv shape max-pool --in 3 --kernel 2 --stride 2" in str(err)
    with pytest.raises(LayerMismatch):
        assert_layer_matches(ceil_max_pool, *err.one_axis)

    def no_1d(layer: Any, x: Any, w: Any) -> Any:  # a 2-D-only implementation
        if x.ndim == 3:
            raise NotImplementedError("2-D only")
        return ceil_max_pool(layer, x, w)

    with pytest.raises(LayerMismatch) as info:
        check_implementation(no_1d, st.just(LayerCase(layer, (3, 1))), max_examples=1)
    assert info.value.one_axis is None and "1-D" not in str(info.value)


def test_planted_reversed_same_split_is_caught_and_shrunk() -> None:
    err = _failure(reversed_same_conv, layers(kind="conv", convention="tensorflow"))
    layer: Any = err.layer
    assert math.prod(err.input_size) <= 3 and math.prod(layer.kernel) <= 3, err
    assert "values differ" in str(err)
    assert re.search(r"values:    symconv matrix conv .*--padding SAME", str(err))


def test_a_correct_implementation_passes() -> None:
    def good_pool(layer: Any, x: Any, w: Any) -> Any:
        r = symconv.resolve(layer, x.shape[2:])
        return numeric.max_pool(x, layer.kernel, r.layer.stride, r.pads, r.layer.dilation,
                                ceil_mode=r.layer.ceil_mode)

    check_implementation(good_pool, layers(kind="max-pool", convention="torch"),
                         max_examples=40)


def test_an_implementation_that_accepts_a_rejected_input_fails() -> None:
    def lenient(layer: Any, x: Any, w: Any) -> Any:
        return np.zeros((1, 1, 1))  # one output whatever the input: onnxruntime#25234

    with pytest.raises(LayerMismatch, match="which onnx rejects"):
        check_implementation(lenient, layers(kind="max-pool", convention="onnx", valid=False,
                                             rejects="size"), max_examples=20)


def test_a_crash_is_a_finding_on_accepted_and_rejected_inputs() -> None:
    """``ImplementationCrashed`` (the implementation's process died) fails where a plain
    exception would be a rejection, and where the convention accepts the input."""
    def dies(layer: Any, x: Any, w: Any) -> Any:
        raise kit.ImplementationCrashed("killed by SIGFPE")

    def refuses(layer: Any, x: Any, w: Any) -> Any:
        raise ValueError("window larger than the input")

    pool = symconv.MaxPool(kernel=3, convention="onnx")
    assert_layer_matches(refuses, pool, (2,))  # a rejection: fine
    with pytest.raises(LayerMismatch, match=r"dies crashed \(killed by SIGFPE\) on MaxPool.*"
                       r"which the convention rejects"):
        assert_layer_matches(dies, pool, (2,))
    with pytest.raises(LayerMismatch, match=r"crashed \(killed by SIGFPE\).*where the "
                       r"expected output has shape \(1, 1, 1\)"):
        assert_layer_matches(dies, pool, (3,))
    check_implementation(refuses, layers(kind="max-pool", convention="onnx", valid=False,
                                         rejects="size"), max_examples=10)
    with pytest.raises(LayerMismatch, match="which onnx rejects") as info:
        check_implementation(dies, layers(kind="max-pool", convention="onnx", valid=False,
                                          rejects="size"), max_examples=10)
    assert "crashed (killed by SIGFPE)" in str(info.value)


def test_a_nondeterministic_failure_is_reported_as_flaky() -> None:
    """A failure that does not repeat (uninitialised memory: oneDNN's strided conv2d) is
    still a ``LayerMismatch``, marked flaky, not Hypothesis's exception group."""
    calls = [0]

    def once_wrong(layer: Any, x: Any, w: Any) -> Any:
        calls[0] += 1
        out = expected(layer, x, w).output
        return out + 1 if calls[0] == 5 else out

    with pytest.raises(LayerMismatch, match="flaky: the failure did not repeat"):
        check_implementation(once_wrong, layers(kind="max-pool", convention="onnx"),
                             max_examples=20, derandomize=True)


def test_gradients_are_checked() -> None:
    layer = symconv.Conv(kernel=2)

    def fn(layer: Any, x: Any, w: Any) -> Any:
        return numeric.conv(x, w)

    def grads(layer: Any, x: Any, w: Any, g: Any) -> Any:
        return numeric.conv_grad_input(g, w, x.shape[2:]), numeric.conv_grad_weight(
            x, g, (2,))

    def bad_grads(layer: Any, x: Any, w: Any, g: Any) -> Any:
        return numeric.conv_grad_input(g, w[..., ::-1], x.shape[2:])

    assert_layer_matches(fn, layer, (5,), grad_fn=grads)
    with pytest.raises(LayerMismatch, match="input gradient"):
        assert_layer_matches(fn, layer, (5,), grad_fn=bad_grads, seed=2)


def test_only_the_conventions_rule_is_a_rejection() -> None:
    """A raising implementation passes only where the convention rejects the case; a case the
    kit cannot judge (wrong weights, another channel count or rank, over the budget) is the
    caller's error, whatever the implementation does (a user review found these passing)."""
    def refuses(layer: Any, x: Any, w: Any) -> Any:
        raise ValueError("no")

    conv = symconv.Conv(kernel=3, in_channels=3, out_channels=2)
    for kwargs, rule in [
        ({"x": np.ones((1, 3, 5), dtype=int), "w": np.ones((2, 3, 2), dtype=int)}, "w"),
        ({"x": np.ones((1, 4, 5), dtype=int), "w": np.ones((2, 3, 3), dtype=int)}, "channel"),
        ({"x": np.ones((1, 3, 5, 5), dtype=int), "w": np.ones((2, 3, 3), dtype=int)},
         "must have 4 axes"),
    ]:
        with pytest.raises(symconv.SymconvError, match=rule):
            assert_layer_matches(refuses, conv, **kwargs)
    with pytest.raises(symconv.SymconvError, match="w must be None"):
        assert_layer_matches(refuses, symconv.MaxPool(kernel=2), x=np.ones((1, 1, 4)),
                             w=np.ones((1, 1, 2)))
    with pytest.raises(symconv.SymconvError, match="max_nnz=10 must be at least"):
        assert_layer_matches(refuses, symconv.Conv(kernel=3), 64, max_nnz=10)
    assert_layer_matches(refuses, symconv.Conv(kernel=3), 2)  # rejected: 2 < 3
    with pytest.raises(symconv.SymconvError, match="x shape"):
        assert_layer_matches(refuses, symconv.Conv(kernel=(3, 3)), x=np.ones((1, 1, 5)),
                             w=np.ones((1, 1, 3, 3)))


def test_the_implementation_gets_the_layer_at_the_inputs_rank() -> None:
    seen = []

    def pool(layer: Any, x: Any, w: Any) -> Any:
        seen.append(layer.kernel)
        return expected(layer, x).output

    assert_layer_matches(pool, symconv.MaxPool(kernel=3), (5, 6))
    assert seen == [(3, 3)]


def test_samples_of_a_batch_are_told_apart() -> None:
    """check_implementation runs two samples per case: a kernel that computes the first and
    broadcasts it is caught; the python line reproduces the batch."""
    def first_only(layer: Any, x: Any, w: Any) -> Any:
        out = expected(layer, x[:1], w).output
        return np.repeat(out, x.shape[0], axis=0)

    with pytest.raises(LayerMismatch, match=r"with x of shape \(2, ") as info:
        check_implementation(first_only, layers(kind="avg-pool", convention="torch"),
                             max_examples=30, derandomize=True)
    assert "batch=2" in str(info.value)


def _python_line(err: Exception) -> str:
    line = next(t for t in str(err).splitlines() if t.startswith("  python:"))
    return line.split("python:", 1)[1].strip()


@pytest.mark.parametrize("layer", [
    symconv.MaxPool(kernel=2, stride=2, padding=((0, 1),), ceil_mode=True, convention="onnx"),
    symconv.Conv(kernel=3, stride=2, padding=1, groups=2, in_channels=4, out_channels=2),
])
def test_the_python_reproduction_runs_and_reproduces(layer: Any) -> None:
    """The python line is a runnable statement; it rebuilds the case (a 1-D layer with one
    asymmetric pair included: its repr keeps the one-tuple) and the expected output."""
    def off_by_one(layer: Any, x: Any, w: Any) -> Any:
        return expected(layer, x, w).output + 1

    with pytest.raises(LayerMismatch) as info:
        assert_layer_matches(off_by_one, layer, (5,), channels=4 if
                             isinstance(layer, symconv.Conv) else None, seed=3, batch=2)
    code = f"import numpy, symconv, symconv.testing\n{_python_line(info.value)}\n" \
        "print(e.shape, e.output.sum())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    x, w = random_inputs(layer, (5,), channels=4 if isinstance(layer, symconv.Conv) else None,
                         seed=3, batch=2)
    want = expected(layer, x, w)
    assert run.stdout.strip() == f"{want.shape} {want.output.sum()}"


def test_gradient_failures_name_the_cotangent() -> None:
    layer = symconv.Conv(kernel=2)

    def fn(layer: Any, x: Any, w: Any) -> Any:
        return numeric.conv(x, w)

    def raises(layer: Any, x: Any, w: Any, g: Any) -> Any:
        raise ValueError("bug in my adjoint")

    def short(layer: Any, x: Any, w: Any, g: Any) -> Any:
        return numeric.conv_grad_input(g, w, x.shape[2:]), np.zeros((2, 1, 1))

    with pytest.raises(LayerMismatch, match="raises raised ValueError") as info:
        assert_layer_matches(fn, layer, (5,), grad_fn=raises)
    assert "gradient:  g = numpy.random.default_rng(1).integers(-3, 4, size=(1, 1, 4))" \
        in str(info.value)
    with pytest.raises(LayerMismatch, match=r"weight gradient shape \(2, 1, 1\), expected "
                       r"\(1, 1, 2\)"):
        assert_layer_matches(fn, layer, (5,), grad_fn=short)


def _hwio_valid_conv(layer: Any, x: Any, w: Any) -> Any:
    """TensorFlow's layout by its definition: ``x`` NHWC, ``w`` HWIO, 'VALID', stride 1:
    ``y[n, i, j, o] = sum x[n, i + a, j + b, c] w[a, b, c, o]``."""
    ka, kb = w.shape[:2]
    oa, ob = x.shape[1] - ka + 1, x.shape[2] - kb + 1
    if oa < 1 or ob < 1:
        raise ValueError("window larger than the input")
    y = np.zeros((x.shape[0], oa, ob, w.shape[3]), dtype=np.int64)
    for a in range(ka):
        for b in range(kb):
            y += np.einsum("nijc,co->nijo", x[:, a:a + oa, b:b + ob, :], w[a, b])
    return y


def test_channels_last_is_tensorflows_layout() -> None:
    """``layout='channels_last'`` hands the implementation NHWC inputs and HWIO kernels
    (TensorFlow's, Keras's), checked here against a convolution written from TensorFlow's
    definition; the channels-first kit layout given to it fails."""
    layer = symconv.Conv(kernel=(2, 3), padding="VALID", convention="tensorflow")
    assert_layer_matches(_hwio_valid_conv, layer, (5, 6), channels=3, out_channels=4,
                         batch=2, layout="channels_last")

    def nhwc(layer: Any, x: Any, w: Any) -> Any:  # the reference op behind a NHWC front
        r = symconv.resolve(layer, x.shape[1:-1])
        y = numeric.conv(np.moveaxis(x, -1, 1), np.moveaxis(w, (-1, -2), (0, 1)),
                         r.layer.stride, r.pads, r.layer.dilation, r.layer.groups)
        return np.moveaxis(y, 1, -1)

    check_implementation(nhwc, layers(kind="conv", convention="tensorflow"),
                         layout="channels_last", max_examples=40)
    with pytest.raises(LayerMismatch):
        assert_layer_matches(_hwio_valid_conv, layer, (5, 6), channels=3, out_channels=4)

    def transposed(layer: Any, x: Any, w: Any) -> Any:  # (*k, C_out, C_in) kernels
        assert w.shape[-1] == x.shape[-1]
        back = np.moveaxis(w, (-1, -2), (0, 1))
        return np.moveaxis(expected(layer, np.moveaxis(x, -1, 1), back).output, 1, -1)

    def grads(layer: Any, x: Any, w: Any, g: Any) -> Any:
        e = expected(layer, np.moveaxis(x, -1, 1), np.moveaxis(w, (-1, -2), (0, 1)))
        gc = np.moveaxis(g, -1, 1)
        return (np.moveaxis(e.input_grad(gc), 1, -1),
                np.moveaxis(e.weight_grad(gc), (0, 1), (-1, -2)))

    up = symconv.ConvTranspose(kernel=3, stride=2, groups=1)
    assert_layer_matches(transposed, up, (4, 3), channels=2, out_channels=5,
                         layout="channels_last", grad_fn=grads)
    with pytest.raises(symconv.SymconvError, match="layout='NHWC' must be one of"):
        assert_layer_matches(transposed, up, (4, 3), layout="NHWC")


def test_cases_without_an_exact_map_are_not_judged() -> None:
    """A user's strategy may draw a layer the kit has no exact map for (max-unpooling needs
    its switches): such a case is rejected by Hypothesis, not passed and not failed."""
    seen = []

    def pool(layer: Any, x: Any, w: Any) -> Any:
        seen.append(type(layer).__name__)
        return expected(layer, x).output

    mixed = st.sampled_from([LayerCase(symconv.MaxUnpool(kernel=2), (4,)),
                             LayerCase(symconv.MaxPool(kernel=2), (4,))])
    check_implementation(pool, mixed, max_examples=10)
    assert set(seen) == {"MaxPool"}


def test_check_implementation_refuses_what_checks_nothing() -> None:
    def anything(layer: Any, x: Any, w: Any) -> Any:
        return 1 / 0

    with pytest.raises(symconv.SymconvError, match="drew nothing to check"):
        check_implementation(anything, layers(kind="conv", convention="torch", valid=False,
                                              rejects="params"), max_examples=10)
    with pytest.raises(symconv.SymconvError, match="must be None when a strategy is given"):
        check_implementation(anything, layers(convention="torch"), "onnx")


# --------------------------------------------------------------------------- guard

UNET = """
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: d1, op: conv, kernel: 3, stride: 2, padding: 1}
  - {name: d2, op: max-pool, kernel: 2}
  - {name: u2, op: conv-transpose, kernel: 2, stride: 2}
  - {name: c2, op: concat, inputs: [u2, d1]}
  - {name: u1, op: conv-transpose, kernel: 2, stride: 2}
  - {name: c1, op: concat, inputs: [u1, x]}
"""


def test_assert_valid_sizes() -> None:
    net = loads(UNET, "yaml")
    assert_valid_sizes(net, "H = 0 mod 4, W = 0 mod 4")
    assert_valid_sizes(net, "H = 0 mod 4 and H >= 4", exact=True)
    with pytest.raises(AssertionError, match="H=2 is promised"):
        assert_valid_sizes(net, "H = 0 mod 2")
    with pytest.raises(AssertionError, match="is valid but not promised"):
        assert_valid_sizes(net, "H = 0 mod 8", exact=True)
    with pytest.raises(symconv.InvalidSpecError, match="symbol 'D'"):
        assert_valid_sizes(net, "D >= 1")
    with pytest.raises(symconv.InvalidSpecError, match="must be"):
        assert_valid_sizes(net, "H == 0 mod 4")


def test_assert_restores() -> None:
    good = loads(UNET + "  - {name: out, op: relu, inputs: [u1], restores: x}\n", "yaml")
    assert_restores(good)
    assert_restores(good, "H = 0 mod 4, W = 0 mod 4")
    # without the concat c1 the valid sizes grow (H = 3 mod 4 too), where u1 gives H + 1
    odd = loads(UNET.replace("{name: c1, op: concat, inputs: [u1, x]}",
                             "{name: out, op: relu, inputs: [u1], restores: x}"), "yaml")
    with pytest.raises(AssertionError, match=r"out \(restore, axis 0\) fails at H=3"):
        assert_restores(odd)
    assert_restores(odd, "H = 0 mod 4, W = 0 mod 4")
    with pytest.raises(AssertionError, match="SC005"):
        assert_restores(odd, "H = 3 mod 4, W = 0 mod 4")


AUTOENCODER = """
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: e1, op: conv, kernel: 3, stride: 2, padding: 1}
  - {name: e2, op: conv, kernel: 3, stride: 2, padding: 1}
  - {name: d2, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  - {name: d1, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
"""


def _restores_by_hand(n: int) -> bool:
    """The autoencoder's decoder gives back every encoder size at input n (1-D, layer by
    layer with symconv.resolve, independent of the review)."""
    down = symconv.Conv(kernel=3, stride=2, padding=1)
    up = symconv.ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)
    e1 = symconv.resolve(down, (n,)).output[0]
    e2 = symconv.resolve(down, (e1,)).output[0]
    d2 = symconv.resolve(up, (e2,)).output[0]
    return d2 == e1 and symconv.resolve(up, (d2,)).output[0] == n


@pytest.mark.parametrize("residue", range(8))
def test_assert_restores_checks_inferred_restores_at_every_promised_size(residue: int) -> None:
    """No restore is declared: the review infers the encoder/decoder pairs, and the promise
    mode checks them at every promised size (it used to pass any promise here)."""
    net = loads(AUTOENCODER, "yaml")
    promise = f"H = {residue} mod 8, W = 0 mod 8"
    if all(_restores_by_hand(n) for n in range(residue or 8, 80, 8)):
        assert_restores(net, promise)
    else:
        first = next(n for n in range(residue or 8, 80, 8) if not _restores_by_hand(n))
        with pytest.raises(AssertionError, match=rf"inferred from its encoder pair, axis 0\) "
                           rf"fails at H={first} \(promised by"):
            assert_restores(net, promise)


def test_the_scan_spans_a_restores_period() -> None:
    """The sizes compared reach a whole period of the restore past every bound: a restore
    of period 8 that holds on residues 5, 6, 7 is not declared good from 101..103."""
    from types import SimpleNamespace

    from symconv.testing.guards import _scan

    everything = SimpleNamespace(threshold=1, period=1, symbol="H")
    promise = parse_promise("H >= 101")["H"]
    assert _scan(everything, promise, 8)[-1] >= 101 + 8
    assert _scan(everything, None, 8)[-1] >= 1 + 8


def test_promises_left_out_or_contradictory() -> None:
    net = loads(AUTOENCODER, "yaml")
    with pytest.raises(AssertionError, match="W is not in the promise 'H = 0 mod 4': all its "
                       "valid sizes count"):
        assert_restores(net, "H = 0 mod 4")
    for guard in (assert_restores, assert_valid_sizes):
        with pytest.raises(symconv.SymconvError, match="contradict each other"):
            guard(net, "H = 1 mod 8, H = 0 mod 8")


UNET3 = """
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: e1, op: conv, kernel: 3, padding: 1}
  - {name: p1, op: max-pool, kernel: 2}
  - {name: e2, op: conv, kernel: 3, padding: 1}
  - {name: p2, op: max-pool, kernel: 2}
  - {name: e3, op: conv, kernel: 3, padding: 1}
  - {name: p3, op: max-pool, kernel: 2}
  - {name: u3, op: conv-transpose, kernel: 2, stride: 2}
  - {name: c3, op: concat, inputs: [u3, e3]}
  - {name: u2, op: conv-transpose, kernel: 2, stride: 2}
  - {name: c2, op: concat, inputs: [u2, e2]}
  - {name: u1, op: conv-transpose, kernel: 2, stride: 2}
  - {name: c1, op: concat, inputs: [u1, e1]}
"""


@pytest.mark.parametrize(("start", "layer"), [(9, "c1"), (17, "c1"), (20, "c3"), (42, "c2")])
def test_a_broken_promise_names_the_layer_that_rejects(start: int, layer: str) -> None:
    """Every rejected size gets its reason, also below the threshold of the periodic set
    (where no example of the review applies): the review at that size."""
    with pytest.raises(AssertionError, match=rf"H={start} is promised .* rejects it \({layer}: "
                       r"concat inputs"):
        assert_valid_sizes(loads(UNET3, "yaml"), f"H >= {start}")


def test_parse_promise_evaluates_nothing() -> None:
    p = parse_promise("H mod 8 in {0, 4}, H > 16, H < 100")
    assert (p["H"].lo, p["H"].hi, p["H"].mods) == (17, 99, [(8, frozenset({0, 4}))])
    with pytest.raises(symconv.InvalidSpecError):
        parse_promise("__import__('os').system('true')")


def test_assert_valid_sizes_reads_files(tmp_path: Any) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(UNET, encoding="utf-8")
    assert_valid_sizes(str(path), "H = 0 mod 4")


def test_kit_names_resolve() -> None:
    for name in kit.__all__:
        assert getattr(kit, name) is not None
    assert edge_sizes is not None


def test_guards_take_an_onnx_model_and_its_file(tmp_path: Any) -> None:
    """The guard reads ONNX models (as objects and as files) through the ONNX import."""
    from conftest import requires

    onnx = requires("onnx")
    from onnx import TensorProto, helper

    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 3, 3], [1.0] * 9)
    down = helper.make_node("Conv", ["x", "w"], ["d"], strides=[2, 2], pads=[1, 1, 1, 1])
    up = helper.make_node("ConvTranspose", ["d", "w"], ["y"], strides=[2, 2],
                          pads=[1, 1, 1, 1], output_padding=[1, 1])
    add = helper.make_node("Add", ["y", "x"], ["z"])
    graph = helper.make_graph(
        [down, up, add], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    for m in (model, str(path)):  # the skip add needs 2*ceil(H/2) = H: even sizes only
        assert_valid_sizes(m, "H = 0 mod 2, W = 0 mod 2", exact=True)
        with pytest.raises(AssertionError, match="H=1 is promised"):
            assert_valid_sizes(m, "H >= 1")
    del onnx


def test_guards_take_a_pytorch_module() -> None:
    from conftest import requires

    torch = requires("torch")

    class Net(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.down = torch.nn.Conv2d(1, 4, 3, stride=2, padding=1)
            self.up = torch.nn.ConvTranspose2d(4, 1, 2, stride=2)

        def forward(self, x: Any) -> Any:
            return self.up(self.down(x)) + x

    example = torch.zeros(1, 1, 16, 16)
    assert_valid_sizes(Net(), "H = 0 mod 2, W = 0 mod 2", exact=True, example_input=example)
    with pytest.raises(AssertionError, match="is promised"):
        assert_valid_sizes(Net(), "H = 0 mod 1", example_input=example)
