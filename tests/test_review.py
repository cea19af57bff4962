"""``symconv.review``: exact valid-size sets (checked against evaluating every size), symbolic
formulas equal to the concrete sizes, skip/restore checks, and every finding code on a minimal
network that triggers it (and not on one that does not)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symconv.errors import InvalidSpecError, SymconvError
from symconv.network.model import MERGE_OPS, Network, load, loads
from symconv.review import CODES, AxisValidity, review
from symconv.sizes.shapes import resolve

from strategies import review_layer_dicts

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"


def brute(net: Network, size: tuple[int, ...]) -> dict[str, tuple[int, ...]] | None:
    """Every tensor's size at ``size``, or None when some layer rejects or a merge mismatches
    (straight from :func:`symconv.sizes.shapes.resolve`, independent of the review's period logic)."""
    vals: dict[str, tuple[int, ...]] = {net.inputs[0].name: size}
    for node in net.nodes:
        ins = [vals[s] for s in node.inputs]
        if node.op in MERGE_OPS:
            if len(set(ins)) > 1:
                return None
            vals[node.name] = ins[0]
        elif node.layer is None:
            vals[node.name] = ins[0]
        else:
            try:
                vals[node.name] = tuple(int(o) for o in resolve(node.layer, ins[0]).output)
            except SymconvError:
                return None
    return vals


def chain(layers: list[dict[str, Any]], skip: tuple[int, int] | None = None,
          ndim: int = 1, convention: str = "torch") -> Network:
    items = [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]
    if skip is not None:
        a, b = skip
        src = "x" if a < 0 else f"l{a}"
        items.append({"name": "cat", "op": "concat", "inputs": [f"l{b}", src]})
    sizes = ["H", "W", "D"][:ndim]
    return loads(json.dumps({"convention": convention,
                             "inputs": [{"name": "x", "size": sizes}], "layers": items}),
                 "json")


def check_exact(net: Network, v: AxisValidity, extra: int = 3) -> None:
    """Membership equals brute force on every size up to threshold + extra periods, and on
    random larger sizes (other axes held at their smallest valid size)."""
    nd = net.ndim
    anchors = [0 if a == v.axis else _anchor(net, a) for a in range(nd)]
    limit = v.threshold + extra * v.period
    rng = random.Random(0)
    sizes = list(range(1, limit)) + [rng.randrange(limit, 50 * limit) for _ in range(20)]
    for n in sizes:
        size = tuple(n if a == v.axis else anchors[a] for a in range(nd))
        assert (n in v) == (brute(net, size) is not None), (n, v.describe())


def _anchor(net: Network, a: int) -> int:
    m = review(net, symbolic=True).validity[a].minimum  # type: ignore[union-attr]
    assert m is not None
    return m


_LAYER = review_layer_dicts()


@given(st.lists(_LAYER, min_size=1, max_size=5), st.data())
def test_valid_sizes_are_exact_on_random_networks(layers: list[dict[str, Any]],
                                                  data: st.DataObject) -> None:
    skip = None
    if len(layers) >= 2 and data.draw(st.booleans()):
        b = data.draw(st.integers(1, len(layers) - 1))
        a = data.draw(st.integers(-1, b - 1))
        skip = (a, b)
    try:
        net = chain(layers, skip)
    except InvalidSpecError:
        return  # a layer the convention rejects outright (e.g. pooling padding too large)
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None
    check_exact(net, v)


def test_unet_accepts_exactly_multiples_of_16() -> None:
    net = load(EXAMPLES / "unet.yaml")
    r = review(net, symbolic=True)
    for v in r.validity:
        assert v is not None
        assert v.describe() in ("H = 0 mod 16", "W = 0 mod 16")
        assert v.minimum == 16
        check_exact(net, v, extra=1)
    cats = {c.node: c.counterexample for c in r.checks if c.kind == "merge" and c.axis == 0}
    assert cats == {"cat1": 17, "cat2": 18, "cat3": 20, "cat4": 24}
    for n in cats.values():
        # the counterexample: everything before the concat runs, the concat does not
        assert brute(net, (n, 16)) is None
        assert all(c.holds_always for c in r.checks if c.kind == "restore")


def test_symbolic_formulas_equal_the_concrete_sizes() -> None:
    net = load(EXAMPLES / "unet.yaml")
    symbolic = review(net, symbolic=True)
    H, W = sympy.symbols("H W", integer=True, positive=True)
    for n in (16, 48, 256):
        concrete = review(net, (n, n + 16))
        assert not concrete.errors
        for s, c in zip(symbolic.tensors, concrete.tensors, strict=True):
            values = tuple(int(sympy.sympify(f, locals={"H": H, "W": W}).subs({H: n, W: n + 16}))
                           for f in s.formula)
            assert values == c.value, s.name


def test_a_size_outside_the_set_names_the_first_failing_layer() -> None:
    net = load(EXAMPLES / "unet.yaml")
    r = review(net, (100, 96))
    assert [f.code for f in r.errors] == ["SC002"]
    assert r.errors[0].node == "cat3"
    assert "up3=24x24, enc3=25x24" in r.errors[0].message
    r = review(net, (8, 96))
    assert r.errors[0].code == "SC001" and r.errors[0].node == "pool4"


def test_autoencoder_restores_only_multiples_of_8() -> None:
    net = load(EXAMPLES / "autoencoder.yaml")
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None and v.describe() == "every H >= 1"
    dec1 = next(c for c in r.checks if c.node == "dec1" and c.axis == 0)
    assert not dec1.holds_always and dec1.counterexample == 1
    assert "size mod 8 in {0}" in dec1.detail
    for n in range(1, 40):
        vals = brute(net, (n, n))
        assert vals is not None
        assert (vals["dec1"] == vals["x"]) == (n % 8 == 0)
    assert review(net, (64, 64)).errors == ()
    assert [f.code for f in review(net, (60, 64)).errors] == ["SC005"] * 3  # 60 = 4 mod 8


def test_restore_fix_is_a_constant_output_padding_when_one_exists() -> None:
    text = """
inputs: [{name: x, size: [H]}]
layers:
  - {name: down, op: pixel-unshuffle, factor: 2}
  - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1, OP restores: x}
"""
    net = loads(text.replace("OP ", ""), "yaml")
    r = review(net, symbolic=True)
    (check,) = [c for c in r.checks if c.kind == "restore"]
    assert not check.holds_always and check.counterexample == 2
    assert "set output_padding=1" in check.fix
    fixed = loads(text.replace("OP ", "output_padding: 1, "), "yaml")
    r2 = review(fixed, symbolic=True)
    (check2,) = [c for c in r2.checks if c.kind == "restore"]
    assert check2.holds_always
    for n in range(2, 60, 2):
        vals = brute(fixed, (n,))
        assert vals is not None and vals["up"] == (n,)
    # a padding change when output_padding cannot absorb the difference
    net3 = loads(text.replace("OP ", "").replace("kernel: 3", "kernel: 2").replace(
        "padding: 1,", "padding: 1, output_padding: 1,"), "yaml")
    (check3,) = [c for c in review(net3, symbolic=True).checks if c.kind == "restore"]
    assert "set output_padding=0" in check3.fix or "change the padding" in check3.fix


def test_unequal_growth_merges_give_isolated_sizes() -> None:
    # concat of x (size n) and a fixed 12-pixel resize: only n = 12 works
    net = chain([{"op": "resize", "size": 12}], skip=(-1, 0))
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None
    assert [n for n in range(1, 200) if n in v] == [12]
    assert v.describe() == "H in {12}"
    check_exact(net, v)


def test_no_valid_size_is_an_error() -> None:
    net = chain([{"op": "pixel-unshuffle", "factor": 2}, {"op": "resize", "size": 5}],
                skip=(-1, 1))
    r = review(net, symbolic=True)
    assert [f.code for f in r.errors] == ["SC003"]


# code -> (a network that triggers it, one that does not)
def _one(layer: dict[str, Any], convention: str = "torch", size: Any = ("H", "W")) -> str:
    return json.dumps({"convention": convention, "inputs": [{"name": "x", "size": list(size)}],
                       "layers": [{"name": "l", **layer}]})


FINDINGS: dict[str, tuple[str, str]] = {
    "SC101": (_one({"op": "conv-transpose", "kernel": 3, "stride": 2}),
              _one({"op": "conv-transpose", "kernel": 4, "stride": 2, "padding": 1})),
    "SC102": (_one({"op": "conv", "kernel": 3, "stride": 2, "padding": 1}),
              _one({"op": "conv", "kernel": 4, "stride": 2, "padding": 1})),
    "SC201": (_one({"op": "conv", "kernel": 7, "stride": 2, "padding": "SAME"}, "tensorflow"),
              _one({"op": "conv", "kernel": 3, "stride": 1, "padding": "SAME"}, "tensorflow")),
    "SC202": (_one({"op": "max-pool", "kernel": 2, "stride": 2, "padding": 1,
                    "ceil_mode": True}),
              _one({"op": "max-pool", "kernel": 3, "stride": 2, "padding": 1,
                    "ceil_mode": False})),
    "SC203": (_one({"op": "avg-pool", "kernel": 3, "stride": 2, "padding": 1}),
              _one({"op": "avg-pool", "kernel": 3, "stride": 2, "padding": 1,
                    "count_include_pad": False})),
    "SC204": (_one({"op": "conv-transpose", "kernel": 3, "stride": 1, "dilation": 2,
                    "output_padding": 1}),
              _one({"op": "conv-transpose", "kernel": 4, "stride": 2, "output_padding": 1})),
    "SC205": (_one({"op": "resize", "scale_factor": 2, "mode": "linear",
                    "coordinate_mode": "asymmetric", "convention": "onnx"}),
              _one({"op": "resize", "scale_factor": 2, "mode": "linear"})),
    "SC206": (_one({"op": "max-unpool", "kernel": 3, "stride": 2}),
              _one({"op": "max-unpool", "kernel": 2, "stride": 2})),
    "SC210": (_one({"op": "max-pool", "kernel": 2, "stride": 1, "padding": [[0, 3], [0, 0]]},
                   "jax"),
              _one({"op": "max-pool", "kernel": 2, "stride": 1, "padding": [[0, 1], [0, 0]]},
                   "jax")),
    "SC301": (_one({"op": "conv", "kernel": 9, "padding": 4}, size=(5, 5)),
              _one({"op": "conv", "kernel": 3, "padding": 1}, size=(5, 5))),
    "SC004": (json.dumps({"inputs": [{"name": "x", "size": ["H"], "channels": 3}], "layers": [
                  {"name": "c", "op": "conv", "kernel": 1, "out_channels": 4},
                  {"name": "s", "op": "add", "inputs": ["c", "x"]}]}),
              json.dumps({"inputs": [{"name": "x", "size": ["H"], "channels": 3}], "layers": [
                  {"name": "c", "op": "conv", "kernel": 1, "out_channels": 3},
                  {"name": "s", "op": "add", "inputs": ["c", "x"]}]})),
}


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_each_finding_code(code: str) -> None:
    bad, good = FINDINGS[code]
    hit = [f for f in review(loads(bad, "json")).findings if f.code == code]
    assert hit, code
    assert all(f.name == CODES[code][0] and f.node is not None for f in hit)
    assert not [f for f in review(loads(good, "json")).findings if f.code == code]


def test_ceil_mode_warning_matches_the_plain_ceil_difference() -> None:
    # (5, k=2, s=2, p=1): PyTorch's rule gives 3, plain ceil 4 (CONVENTIONS.md)
    f = [f for f in review(loads(FINDINGS["SC202"][0], "json")).findings if f.code == "SC202"]
    assert "plain ceil" in f[0].message


def test_review_json_is_plain_data() -> None:
    r = review(load(EXAMPLES / "unet.yaml"), (64, 64))
    data = r.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["schema"] == "symconv-review/1"
    assert data["valid_sizes"][0]["description"] == "H = 0 mod 16"


def test_input_size_rank_is_checked() -> None:
    with pytest.raises(InvalidSpecError, match="must have 2 axes"):
        review(load(EXAMPLES / "unet.yaml"), (64,))


_LAYER_2D = st.one_of(
    st.builds(lambda k, s, p: {"op": "conv", "kernel": k, "stride": s, "padding": p},
              st.lists(st.integers(1, 4), min_size=2, max_size=2),
              st.lists(st.integers(1, 3), min_size=2, max_size=2),
              st.lists(st.integers(0, 2), min_size=2, max_size=2)),
    st.builds(lambda k, s: {"op": "max-pool", "kernel": k, "stride": s},
              st.lists(st.integers(1, 3), min_size=2, max_size=2),
              st.lists(st.integers(1, 3), min_size=2, max_size=2)),
    st.builds(lambda k, s: {"op": "conv-transpose", "kernel": k, "stride": s,
                            "padding": [k[0] // 2, k[1] // 2]},
              st.lists(st.integers(1, 4), min_size=2, max_size=2),
              st.lists(st.integers(1, 3), min_size=2, max_size=2)),
    st.builds(lambda f: {"op": "resize", "scale_factor": f},
              st.lists(st.sampled_from([1, 2, "1/2", "3/2"]), min_size=2, max_size=2)),
)


@given(st.lists(_LAYER_2D, min_size=1, max_size=4), st.booleans())
def test_valid_sizes_are_exact_per_axis_in_2d(layers: list[dict[str, Any]],
                                              skip: bool) -> None:
    net = chain(layers, (-1, len(layers) - 1) if skip else None, ndim=2)
    r = review(net, symbolic=True)
    assert r.validity[0] is not None and r.validity[1] is not None
    if r.validity[0].empty or r.validity[1].empty:
        assert any(f.code == "SC003" for f in r.errors)
        return
    for v in r.validity:
        assert v is not None
        check_exact(net, v, extra=2)


def test_description_is_the_set() -> None:
    """describe() reads back as the same membership (parsed from its simple forms)."""
    import re

    for text in (EXAMPLES / "unet.yaml", EXAMPLES / "autoencoder.yaml"):
        for v in review(load(text), symbolic=True).validity:
            assert v is not None
            m = re.fullmatch(r"(?:\w+ >= (\d+) and )?\w+ = (\d+) mod (\d+)|every \w+ >= (\d+)",
                             v.describe())
            assert m is not None, v.describe()
            for n in range(1, v.threshold + 3 * v.period):
                if m[4]:
                    want = n >= int(m[4])
                else:
                    want = n >= int(m[1] or 1) and n % int(m[3]) == int(m[2])
                assert (n in v) == want, (n, v.describe())


def test_a_symbol_on_two_axes_gets_the_intersection() -> None:
    net = loads("""
inputs: [{name: x, size: [N, N]}]
layers:
  - {name: a, op: conv, kernel: [3, 2], stride: [2, 3]}
  - {name: b, op: conv-transpose, kernel: [3, 3], stride: [2, 3]}
  - {name: c, op: concat, inputs: [b, x]}
""", "yaml")
    r = review(net)
    assert [v.describe() for v in r.validity if v] == ["N >= 3 and N = 1 mod 2", "N = 0 mod 3"]
    assert "valid N (every axis): N = 3 mod 6" in r.notes[0]
    for n in range(1, 60):
        assert (brute(net, (n, n)) is not None) == (n % 6 == 3)


def test_different_symbols_on_one_axis_give_a_coupling_constraint() -> None:
    # (was: a note "different symbols" and no valid set; tests/test_review_validity.py
    # checks the per-symbol sets and couplings against brute force)
    net = loads("""
inputs: [{name: x, size: [H]}, {name: y, size: [G]}]
layers:
  - {name: c, op: concat, inputs: [x, y]}
""", "yaml")
    r = review(net)
    assert r.validity[0] is not None and r.validity[0].describe() == "every H >= 1"
    assert [v.symbol for v in r.symbol_validity] == ["G"]
    (j,) = r.joint
    assert j.symbols == ("H", "G") and j.example == (1, 1) and j.counterexample == (1, 2)


def test_a_sympy_failure_on_a_formula_is_a_note_and_the_sizes_stay_exact() -> None:
    # SymPy raises PrecisionExhausted on the nested ceil-mode Piecewise of the 4th layer
    net = chain([{"op": "max-pool", "kernel": 1, "stride": 2, "ceil_mode": True},
                 {"op": "pixel-unshuffle", "factor": 2},
                 {"op": "max-pool", "kernel": 3, "stride": 3, "padding": 1, "ceil_mode": True},
                 {"op": "max-pool", "kernel": 1, "stride": 2, "ceil_mode": True},
                 {"op": "conv", "kernel": 3}])
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None
    check_exact(net, v)
    if r.notes:
        assert "no closed form" in r.notes[0]
        assert r.tensors[-1].formula == ("?",)


def test_receptive_field_check_when_no_output_reads_the_input() -> None:
    """An unpool then a stride-3 transposed conv with k=1 cropped by 1: at 3x3 no output of
    the network reads the input at all; the receptive-field check has nothing to report
    (it crashed on the empty set of widths; hypothesis found the network)."""
    from symconv.network import from_dict

    net = from_dict({"convention": "torch",
                     "inputs": [{"name": "x", "size": ["H", "W"], "channels": 2}],
                     "layers": [{"name": "l0", "op": "max-pool", "kernel": 3, "stride": 2},
                                {"name": "l1", "op": "max-unpool", "kernel": 3, "stride": 2},
                                {"name": "l2", "op": "conv-transpose", "kernel": 1, "stride": 3,
                                 "padding": 1, "output_padding": 2}]})
    for h in range(3, 8):
        r = review(net, (h, h))
        assert not any(f.code == "SC301" for f in r.findings), h


def test_window_on_padding_only_names_the_sizes() -> None:
    """SC210 names the layer input sizes where JAX gives -inf or NaN: checked against the
    definition (some window's taps all miss the input) and against resolve's note."""
    import re

    from symconv import AvgPool

    for k, s, pb, pe in [(3, 2, 0, 4), (3, 2, 0, 3), (2, 3, 0, 2), (2, 1, 2, 0), (3, 1, 1, 1)]:
        net = loads(_one({"op": "avg-pool", "kernel": k, "stride": s, "padding": [[pb, pe]],
                          "count_include_pad": False}, "jax", size=("H",)), "json")
        spec = AvgPool(kernel=k, stride=s, padding=((pb, pe),), count_include_pad=False,
                       convention="jax")
        sizes = [n for n in range(1, 3 * k + pb + pe + s) if n + pb + pe >= k]
        want = [n for n in sizes
                if any(all(not 0 <= j * s - pb + t < n for t in range(k))
                       for j in range((n + pb + pe - k) // s + 1))]
        for n in sizes:  # resolve's note says the same
            note = any("reads only padding" in x for x in resolve(spec, n).notes)
            assert note == (n in want), (k, s, pb, pe, n)
        hit = [f for f in review(net).findings if f.code == "SC210"]
        if not want:
            assert not hit, (k, s, pb, pe)
            continue
        (f,) = hit
        assert "NaN (0/0)" in f.message
        if want == sizes:
            assert "every input size" in f.message, f.message
        else:
            m = re.search(r"input sizes ([\d, ]+)", f.message)
            assert m is not None, f.message
            listed = [int(v) for v in m.group(1).split(",") if v.strip()]
            assert listed == [n for n in want if n <= listed[-1]][: len(listed)], f.message
    assert not [f for f in review(loads(_one({"op": "max-pool", "kernel": 2, "stride": 1,
                                              "padding": [[1, 1]]}, "onnx", size=("H",)),
                                         "json")).findings if f.code == "SC210"]
