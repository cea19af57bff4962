"""Issue 15 (robustness): loops and recursion that follow parameter values in the review --
deep chains of strided layers, nearest resizes by huge factors, huge strides."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from symconv.network.model import loads
from symconv.review import review
from symconv.review.propagate import MAX_FORMULA_DEPTH, _depth, _flatten, evaluate


def _chain(n: int, layer: str, size: str = "[H]") -> str:
    lines = [f"inputs:\n  - {{name: x, size: {size}, channels: 1}}\nlayers:"]
    lines += [f"  - {{name: p{i}, {layer}}}" for i in range(n)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("layer", [
    "op: max-pool, kernel: 3, stride: 2, padding: 1",
    "op: max-pool, kernel: 2, stride: 2, ceil_mode: true",
    "op: conv, kernel: 3, stride: 2, padding: 1",
])
def test_deep_strided_chain_has_exact_shallow_formulas(layer: str) -> None:
    net = loads(_chain(130, layer), "yaml")
    r = review(net, symbolic=True)
    rows = {t.name: t.formula[0] for t in r.tensors}
    assert "?" not in rows.values()
    # each layer is floor((x - 1)/2) + 1: the chain is floor((H - 1)/2^(i+1)) + 1, one floor
    for i in (0, 1, 64, 129):
        q = 2 ** (i + 1)
        assert rows[f"p{i}"] == f"floor(H/{q} - 1/{q}) + 1"
    for h in (1, 2, 3, 7, 1000, 2**40 + 5, 10**17 + 3):
        vals, first = evaluate(net, (h,))
        assert first is None
        for i in (0, 1, 64, 129):
            assert vals[f"p{i}"][0] == (h - 1) // 2 ** (i + 1) + 1, (i, h)


def test_non_merging_deep_chain_is_bounded_not_recursion_error() -> None:
    body = "\n".join(
        f"  - {{name: r{i}, op: resize, scale_factor: '3/2'}}\n"
        f"  - {{name: c{i}, op: conv, kernel: 2, stride: 2}}" for i in range(90))
    net = loads(f"inputs:\n  - {{name: x, size: [H], channels: 1}}\nlayers:\n{body}\n", "yaml")
    r = review(net, symbolic=True)
    assert any("nests" in n and str(MAX_FORMULA_DEPTH) in n for n in r.notes)
    assert r.tensors[-1].formula == ("?",)


def test_flatten_merges_nested_floors_exactly() -> None:
    import sympy

    H = sympy.Symbol("H", integer=True, positive=True)
    rng = random.Random(3)
    for _ in range(30):
        e = H
        for _ in range(rng.randint(1, 6)):
            n, m = rng.randint(1, 5), rng.randint(-4, 4)
            e = (sympy.floor((e + m) / n) if rng.random() < 0.5 else
                 sympy.ceiling((e + m) / n)) + rng.randint(0, 2)
        f = _flatten(e)
        assert _depth(f) <= _depth(e)
        for h in range(1, 60):
            assert e.subs(H, h) == f.subs(H, h)


def test_depth_is_iterative() -> None:
    import sympy

    H = sympy.Symbol("H")
    e = H
    for _ in range(3000):  # deeper than Python's recursion limit allows to walk recursively
        e = sympy.Function("g")(e)
    assert _depth(e) == 3001


def test_nearest_resize_by_huge_factor_reviews_quickly() -> None:
    for factor in (10**6, 10**7):
        net = loads("inputs:\n  - {name: x, size: [H, W], channels: 3}\nlayers:\n"
                    f"  - {{name: u, op: resize, mode: nearest, scale_factor: {factor}}}\n",
                    "yaml")
        t = time.perf_counter()
        r = review(net)
        assert time.perf_counter() - t < 15
        assert [v.describe() for v in r.validity if v is not None] == [
            "every H >= 1", "every W >= 1"]
        assert any(n.startswith("u: SC205") for n in r.notes)
        r = review(net, (64, 64))
        assert r.tensors[-1].value == (64 * factor, 64 * factor)


def test_huge_stride_names_layer_and_parameter() -> None:
    net = loads("inputs:\n  - {name: x, size: [H, W], channels: 3}\nlayers:\n"
                "  - {name: c, op: conv, kernel: 3, stride: 1000000000}\n", "yaml")
    r = review(net)
    assert any("layers[0] (c): stride=1000000000 makes the size period" in n for n in r.notes)
    assert review(net, (10**9 + 2, 5)).tensors[-1].value == (1, 1)


def test_cli_deep_chain_and_resize_exit_cleanly(tmp_path: object) -> None:
    import pathlib

    d = pathlib.Path(str(tmp_path))
    (d / "pools.yaml").write_text(_chain(130, "op: max-pool, kernel: 3, stride: 2, padding: 1"))
    (d / "near.yaml").write_text("inputs:\n  - {name: x, size: [H, W], channels: 3}\nlayers:\n"
                                 "  - {name: u, op: resize, mode: nearest, "
                                 "scale_factor: 10000000}\n")
    for args in (["pools.yaml", "--symbolic"], ["pools.yaml", "--json"],
                 ["near.yaml"], ["near.yaml", "--input", "64x64"]):
        p = subprocess.run([sys.executable, "-m", "symconv", "review", str(d / args[0]),
                            *args[1:]], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert "Traceback" not in p.stderr


def test_thousands_of_strided_layers_stop_formulas_not_the_review() -> None:
    from symconv.review.propagate import MAX_ROUNDED_FORMULAS

    net = loads(_chain(3000, "op: max-pool, kernel: 3, stride: 2, padding: 1", "[H, W]"),
                "yaml")
    r = review(net, symbolic=True)
    rows = {t.name: t.formula for t in r.tensors}
    last = MAX_ROUNDED_FORMULAS  # p0 reads H (no floor yet); p1..p256 read floors
    assert rows[f"p{last}"][0].startswith("floor(H/")
    assert rows[f"p{last + 1}"] == ("?", "?") and rows["p2999"] == ("?", "?")
    assert any(f"p{last + 1} and the tensors after it: no closed form" in n for n in r.notes)
    vals, first = evaluate(net, (5, 7))  # sizes at an input are still exact
    assert first is None and vals["p2999"] == (1, 1)


@pytest.mark.parametrize("layer", [
    "op: conv, kernel: 1000000",                    # a threshold of 10^6 sizes
    "op: conv, kernel: 3, stride: 1000000",         # a period of 10^6
    "op: conv, kernel: 1099511627776",              # 2**40: was np.zeros of 2**41
    "op: conv, kernel: 3, dilation: 1000000000",
    "op: conv, kernel: 3, padding: 1099511627776",
])
def test_tables_too_long_are_notes_not_hangs(layer: str) -> None:
    """Issue 15: a layer's size table grows with its parameters; past MAX_TABULATED sizes the
    axis says 'not computed' with a note naming the layer, at once."""
    from symconv.review.plan import MAX_TABULATED

    net = loads(_chain(1, layer, "[H, W]"), "yaml")
    t0 = time.perf_counter()
    r = review(net, symbolic=True)
    assert time.perf_counter() - t0 < 5
    note = next(n for n in r.notes if "valid sizes not computed" in n)
    assert "layers[0] (p0): Conv needs its output size tabulated on" in note
    assert f"more than the limit {MAX_TABULATED:,}" in note


def test_same_splits_of_a_huge_stride_are_closed_form() -> None:
    net = loads("convention: onnx\n" + _chain(
        1, "op: conv, kernel: 3, stride: 1099511627776, padding: same_upper"), "yaml")
    t0 = time.perf_counter()
    r = review(net, symbolic=True)
    assert time.perf_counter() - t0 < 5
    (sc201,) = [f for f in r.findings if f.code == "SC201"]
    assert "pads [(0, 0), (0, 1), (1, 1)] depending on the input size mod 1099511627776" in \
        sc201.message


def test_receptive_path_of_a_huge_window_is_found_at_once() -> None:
    """Issue 15 (found by tests/test_fuzz.py): SC301's path search scanned a kernel of 10^9
    positions one by one; a monotone field attains its bound at the window's end."""
    net = loads("convention: onnx\n" + _chain(1, "op: conv, kernel: 1000000000", "[8, 8]"),
                "yaml")
    t0 = time.perf_counter()
    review(net, symbolic=True)
    assert time.perf_counter() - t0 < 5


def test_a_fixed_size_the_layer_rejects_is_not_a_negative_formula() -> None:
    """--symbolic on a file with integer sizes resolved them as SymPy Integers, which skipped
    the layer's rules: a kernel of 10^9 on 8 showed the size -999999991."""
    net = loads(_chain(1, "op: conv, kernel: 1000000000", "[8, 8]"), "yaml")
    r = review(net, symbolic=True)
    rows = {t.name: t.formula for t in r.tensors}
    assert rows["p0"] == ("?", "?")
    assert any("p0: no closed form (kernel=1000000000 must not exceed" in n for n in r.notes)
    (sc301,) = [f for f in r.findings if f.code == "SC301"]
    assert "(the file's size is 8)" in sc301.message
