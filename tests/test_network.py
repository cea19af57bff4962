"""The network format: YAML/JSON/TOML load to the same validated graph; every bad file is one
clear line naming the layer and the field; nothing in a file is executed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv.errors import InvalidSpecError
from symconv.network.model import OPS, Network, from_dict, load, loads
from symconv.spec import Conv, ConvTranspose, MaxPool

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"

YAML = """
name: tiny
inputs: [{name: x, size: [H, W], channels: 3}]
layers:
  - {name: c1, op: conv, kernel: 3, stride: 2, padding: [[1, 1], [0, 1]], out_channels: 8}
  - {name: act, op: relu}
  - {name: up, op: conv-transpose, k: 4, s: 2, p: 1, out_channels: 3}
  - {name: cat, op: concat, inputs: [up, x]}
"""
JSON = json.dumps({
    "name": "tiny",
    "inputs": [{"name": "x", "size": ["H", "W"], "channels": 3}],
    "layers": [
        {"name": "c1", "op": "conv", "kernel": 3, "stride": 2, "padding": [[1, 1], [0, 1]],
         "out_channels": 8},
        {"name": "act", "op": "relu"},
        {"name": "up", "op": "conv-transpose", "k": 4, "s": 2, "p": 1, "out_channels": 3},
        {"name": "cat", "op": "concat", "inputs": ["up", "x"]},
    ],
})
TOML = """
name = "tiny"
[[inputs]]
name = "x"
size = ["H", "W"]
channels = 3
[[layers]]
name = "c1"
op = "conv"
kernel = 3
stride = 2
padding = [[1, 1], [0, 1]]
out_channels = 8
[[layers]]
name = "act"
op = "relu"
[[layers]]
name = "up"
op = "conv-transpose"
k = 4
s = 2
p = 1
out_channels = 3
[[layers]]
name = "cat"
op = "concat"
inputs = ["up", "x"]
"""


def test_three_formats_give_the_same_network() -> None:
    a, b, c = loads(YAML, "yaml"), loads(JSON, "json"), loads(TOML, "toml")
    assert a == b == c
    assert [n.name for n in a.nodes] == ["c1", "act", "up", "cat"]
    assert a.node("c1").layer == Conv(kernel=3, stride=2, padding=((1, 1), (0, 1)),
                                      out_channels=8)
    assert a.node("up").layer == ConvTranspose(kernel=4, stride=2, padding=1, out_channels=3)
    assert a.node("act").op == "identity" and a.node("act").inputs == ("c1",)
    assert a.outputs == ("cat",)
    assert a.symbols() == ("H", "W")


def test_load_by_suffix(tmp_path: Path) -> None:
    for suffix, text in ((".yaml", YAML), (".yml", YAML), (".json", JSON), (".toml", TOML)):
        p = tmp_path / f"net{suffix}"
        p.write_text(text)
        assert load(p) == loads(YAML, "yaml")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_load(path: Path) -> None:
    net = load(path)
    assert isinstance(net, Network) and net.nodes


def test_nodes_are_topologically_ordered_whatever_the_file_order() -> None:
    net = loads("""
inputs: [{name: x, size: [8]}]
layers:
  - {name: b, op: conv, kernel: 3, padding: 1, inputs: [a]}
  - {name: a, op: max-pool, kernel: 2, inputs: [x]}
""", "yaml")
    assert [n.name for n in net.nodes] == ["a", "b"]


def _base(**layer: object) -> str:
    return json.dumps({"inputs": [{"name": "x", "size": [8, 8]}],
                       "layers": [{"name": "l1", **layer}]})


# (format, text, a fragment the one-line message must contain)
BAD = [
    ("yaml", "inputs: [{name: x, size: [8]}\nlayers: [", "must be valid YAML"),
    ("yaml", "- 1\n- 2", "network=a list must be a mapping"),
    ("yaml", "", "network=empty must be a mapping"),
    ("json", '{"inputs": [}', "must be valid JSON"),
    ("json", '{"inputs": [{"name": "x", "size": [NaN]}], "layers": []}', "finite number"),
    ("toml", "inputs = [", "must be valid TOML"),
    ("json", _base(op="convv", kernel=3), "layers[0] (l1): op='convv' must be one of"),
    ("json", _base(op="conv", kernel="3"), "layers[0] (l1): kernel='3' must be an integer"),
    ("json", _base(op="conv", kernel=True), "layers[0] (l1): kernel=true must be an integer"),
    ("json", _base(op="conv", kernel=3, stride=0), "layers[0] (l1): stride=0 must be"),
    ("json", _base(op="conv", kernel=3, colour=1), "layers[0] (l1): parameter 'colour' must"),
    ("json", _base(op="conv", kernel=3, padding=[[1, 2, 3]]), "layers[0] (l1): padding="),
    ("json", _base(op="max-pool", kernel=2, ceil_mode=1), "ceil_mode=1 must be true or false"),
    ("json", _base(op="resize", scale_factor="2*x"), "scale_factor='2*x' must be a positive"),
    ("json", _base(op="conv", kernel=3, inputs=["nope"]), "'nope' is neither (dangling edge)"),
    ("json", _base(op="concat", inputs=["x"]), "must name at least two tensors for concat"),
    ("json", _base(op=7), "op=7 must be a string"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers:\n  - {name: a, op: conv, kernel: 1, "
             "inputs: [b]}\n  - {name: b, op: conv, kernel: 1, inputs: [a]}",
     "must not form a cycle (a -> b -> a)"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers:\n  - {name: a, op: relu, inputs: [a]}",
     "must not contain the layer itself (cycle)"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers:\n  - {name: a, op: relu}\n"
             "  - {name: a, op: relu}", "layers[1] (a): name='a' must be unique"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers:\n  - {name: x, op: relu}",
     "layers[0] (x): name='x' must be unique (already used in inputs[0])"),
    # issue 15: a repeated input name was accepted (the review read both as one tensor)
    ("yaml", "inputs:\n  - {name: x, size: [8]}\n  - {name: x, size: [16]}\nlayers:\n"
             "  - {name: c, op: conv, kernel: 3}",
     "inputs[1] (x): name='x' must be unique (already used in inputs[0])"),
    ("json", json.dumps({"inputs": [{"name": "x", "size": [8]}, {"name": "x", "size": [8]}],
                         "layers": [{"name": "c", "op": "conv", "kernel": 3}]}),
     "inputs[1] (x): name='x' must be unique (already used in inputs[0])"),
    ("toml", "[[inputs]]\nname = 'x'\nsize = [8]\n[[inputs]]\nsize = [8]\nname = 'x'\n"
             "[[layers]]\nop = 'relu'", "inputs[1] (x): name='x' must be unique"),
    ("yaml", "inputs: [{name: x, size: [8]}, {name: y, size: [8]}]\nlayers:\n"
             "  - {name: y, op: add, inputs: [x, y]}",
     "layers[0] (y): name='y' must be unique (already used in inputs[1])"),
    ("yaml", "inputs: [{name: x, size: [" + ", ".join(["8"] * 17) + "]}]\nlayers: [{op: relu}]",
     "one per spatial axis (1 to 16)"),
    ("yaml", "inputs: [{name: x, size: [2*H]}]\nlayers: [{op: relu}]",
     "must hold symbol names such as H"),
    ("yaml", "inputs: [{name: x, size: [0]}]\nlayers: [{op: relu}]", "positive integers"),
    ("yaml", "inputs: [{name: x, size: 8}]\nlayers: [{op: relu}]", "size=8 must be a list"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers: []", "layers=[] must be a non-empty"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers: [{op: relu}]\nextra: 1",
     "key='extra' must be one of"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers: [{op: relu, restores: y}]",
     "restores='y' must name an input or a layer"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers: [{op: relu}]\noutputs: [zz]",
     "'zz' is not one"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nconvention: caffe\nlayers: [{op: relu}]",
     "convention='caffe' must be one of"),
    ("yaml", "inputs: [{name: x, size: [8]}]\nlayers:\n  - !!python/object/apply:os.system "
             "['echo pwned']", "must not contain YAML tags that construct objects"),
]


@pytest.mark.parametrize(("fmt", "text", "fragment"), BAD, ids=[b[2][:40] for b in BAD])
def test_bad_files_are_one_clear_line(fmt: str, text: str, fragment: str) -> None:
    with pytest.raises(InvalidSpecError) as info:
        loads(text, fmt)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message, message


def test_python_tags_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (f"inputs: [{{name: x, size: [8]}}]\nlayers:\n  - !!python/object/apply:os.system "
            f"['touch {marker}']\n")
    with pytest.raises(InvalidSpecError, match="YAML tags"):
        loads(text, "yaml")
    assert not marker.exists()


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSpecError, match=r"must end in \.yaml"):
        load(tmp_path / "net.txt")
    with pytest.raises(InvalidSpecError, match="must be readable"):
        load(tmp_path / "missing.yaml")


def test_scale_factors_are_read_exactly() -> None:
    from fractions import Fraction

    net = loads(_base(op="resize", scale_factor=1.5), "json")
    assert net.node("l1").layer.scale_factor == (Fraction(3, 2),)  # type: ignore[union-attr]
    net = loads(_base(op="resize", scale_factor="2/3"), "json")
    assert net.node("l1").layer.scale_factor == (Fraction(2, 3),)  # type: ignore[union-attr]


def test_every_op_is_accepted() -> None:
    params = {"conv": {"kernel": 1}, "conv-transpose": {"kernel": 1}, "max-pool": {"kernel": 1},
              "avg-pool": {"kernel": 1}, "max-unpool": {"kernel": 1},
              "resize": {"scale_factor": 2}, "pixel-shuffle": {"factor": 2},
              "pixel-unshuffle": {"factor": 2}, "pad": {"padding": 1},
              "adaptive-avg-pool": {"output_size": 1}, "adaptive-max-pool": {"output_size": 1}}
    for op in OPS:
        extra = {"inputs": ["x", "x"]} if op in ("concat", "add") else {}
        net = loads(_base(op=op, **params.get(op, {}), **extra), "json")
        assert net.node("l1").op == op


_LAYER = st.one_of(
    st.builds(lambda k, s, p: {"op": "conv", "kernel": k, "stride": s, "padding": p},
              st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
    st.builds(lambda k: {"op": "max-pool", "kernel": k}, st.integers(1, 3)),
    st.builds(lambda k, s: {"op": "conv-transpose", "k": k, "s": s},
              st.integers(1, 4), st.integers(1, 3)),
    st.just({"op": "relu"}),
)


@given(st.lists(_LAYER, min_size=1, max_size=6), st.sampled_from(["torch", "onnx"]))
def test_json_and_yaml_agree_on_random_chains(layers: list[dict[str, object]],
                                              convention: str) -> None:
    yaml = pytest.importorskip("yaml")
    data = {"convention": convention, "inputs": [{"name": "x", "size": ["H"]}],
            "layers": [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]}
    a = loads(json.dumps(data), "json")
    b = loads(yaml.safe_dump(data), "yaml")
    assert a == b
    assert len(a.nodes) == len(layers)
    assert all(n.inputs == ((f"l{i - 1}",) if i else ("x",)) for i, n in enumerate(a.nodes))
    assert all(n.layer is None or n.layer.convention.value == convention for n in a.nodes)


def test_pool_default_stride_is_the_kernel() -> None:
    net = loads(_base(op="max-pool", kernel=2), "json")
    assert net.node("l1").layer == MaxPool(kernel=2)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_follow_the_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    schema = json.loads((EXAMPLES.parent / "schema" / "network.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_adaptive_and_global_pooling_in_network_files() -> None:
    """output_size per axis (null keeps an axis); the global aliases mean output size 1 and
    refuse another; a missing output_size is one line."""
    net = loads(_base(op="adaptive-avg-pool", output_size=[None, 7]), "json")
    assert net.node("l1").layer.output_size == (None, 7)  # type: ignore[union-attr]
    for alias, op in (("global-avg-pool", "adaptive-avg-pool"), ("gap", "adaptive-avg-pool"),
                      ("global-max-pool", "adaptive-max-pool")):
        node = loads(_base(op=alias), "json").node("l1")
        assert node.op == op and node.layer.output_size == (1,)  # type: ignore[union-attr]
    with pytest.raises(InvalidSpecError, match=r"output_size=3 must be 1 for global-avg-pool"):
        loads(_base(op="global-avg-pool", output_size=3), "json")
    with pytest.raises(InvalidSpecError, match=r"output_size must be given for adaptive-max"):
        loads(_base(op="adaptive-max-pool"), "json")
    with pytest.raises(InvalidSpecError, match=r"output_size='7' must be an integer or a list"):
        loads(_base(op="adaptive-max-pool", output_size="7"), "json")


@pytest.mark.parametrize("fmt", ["json", "yaml", "toml"])
def test_integers_of_thousands_of_digits_are_one_line(fmt: str) -> None:
    """Issue 15: Python refuses to convert more than 4,300 digits (a bare ValueError); a
    file holding such an integer is refused in one line, and one past 10**18 by the range
    rule of every parameter."""
    big = "9" * 5000
    text = {"json": '{"inputs": [{"name": "x", "size": [8]}], "layers": '
                    '[{"name": "c", "op": "conv", "kernel": %s}]}',
            "yaml": "inputs:\n  - {name: x, size: [8]}\nlayers:\n"
                    "  - {name: c, op: conv, kernel: %s}\n",
            "toml": '[[inputs]]\nname = "x"\nsize = [8]\n[[layers]]\nname = "c"\n'
                    'op = "conv"\nkernel = %s\n'}[fmt]
    with pytest.raises(InvalidSpecError, match=r"must not hold an integer of over 4,300 digits"):
        loads(text % big, fmt)
    with pytest.raises(InvalidSpecError, match=r"kernel=9223372036854775808 must be below "
                       r"10\*\*18"):
        loads(text % "9223372036854775808", fmt)


@pytest.mark.parametrize("fmt, text", [
    ("json", '{"inputs": ' + "[" * 1000 + "]" * 1000 + "}"),
    ("yaml", "inputs: " + "[" * 1000 + "]" * 1000),
    ("toml", "inputs = " + "[" * 1000 + "]" * 1000),
])
def test_nesting_a_thousand_deep_is_one_line(fmt: str, text: str) -> None:
    """Issue 15: the parsers recurse per level; a RecursionError was a traceback."""
    with pytest.raises(InvalidSpecError, match=r"^file='<text>' must not nest values more "
                       r"than 64 levels deep( \(at inputs(\[0\])+\))?$"):
        loads(text, fmt)


# --------------------------------------------------------------------------- issue 15 (8):
# hostile network files: aliases, cycles, depth, size; messages that render a bounded prefix


def _laughs(levels: int = 9) -> str:
    """A "billion laughs" YAML: anchors a0..a<levels> under description, a9 = 9**10 values."""
    lines = ["description:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


_GOOD_INPUTS = "inputs:\n  - {name: x, size: [8], channels: 1}\n"
_GOOD_LAYERS = "layers:\n  - {name: c, op: conv, kernel: 3}\n"

# the laughs aliased into every field a file has, validated or echoed in messages or not
LAUGHS_AT = {
    "description": _GOOD_INPUTS + _GOOD_LAYERS,
    "name": "name: *a9\n" + _GOOD_INPUTS + _GOOD_LAYERS,
    "convention": "convention: *a9\n" + _GOOD_INPUTS + _GOOD_LAYERS,
    "inputs": "inputs: *a9\n" + _GOOD_LAYERS,
    "inputs item": "inputs:\n  - *a9\n" + _GOOD_LAYERS,
    "size": "inputs:\n  - {name: x, size: *a9}\n" + _GOOD_LAYERS,
    "size entry": "inputs:\n  - {name: x, size: [*a9]}\n" + _GOOD_LAYERS,
    "channels": "inputs:\n  - {name: x, size: [8], channels: *a9}\n" + _GOOD_LAYERS,
    "layers": _GOOD_INPUTS + "layers: *a9\n",
    "layer": _GOOD_INPUTS + "layers:\n  - *a9\n",
    "op": _GOOD_INPUTS + "layers:\n  - {name: c, op: *a9}\n",
    "kernel": _GOOD_INPUTS + "layers:\n  - {name: c, op: conv, kernel: *a9}\n",
    "padding": _GOOD_INPUTS + "layers:\n  - {name: c, op: conv, kernel: 3, padding: *a9}\n",
    "scale": _GOOD_INPUTS + "layers:\n  - {name: c, op: resize, scale_factor: *a9}\n",
    "output_size": _GOOD_INPUTS + "layers:\n  - {name: c, op: gap, output_size: *a9}\n",
    "layer inputs": _GOOD_INPUTS + "layers:\n  - {name: c, op: relu, inputs: *a9}\n",
    "restores": _GOOD_INPUTS + "layers:\n  - {name: c, op: relu, restores: *a9}\n",
    "like": _GOOD_INPUTS + "layers:\n  - {name: c, op: resize, like: *a9}\n",
    "outputs": _GOOD_INPUTS + _GOOD_LAYERS + "outputs: *a9\n",
}


@pytest.mark.parametrize("field", sorted(LAUGHS_AT))
def test_billion_laughs_in_any_field_is_one_line_at_once(field: str) -> None:
    """Issue 15 (8): aliases share one object, so the file is small; walking or printing the
    expansion (9**10 values) hung.  The expanded count is bounded before anything reads it."""
    import time

    start = time.perf_counter()
    with pytest.raises(InvalidSpecError) as info:
        loads(_laughs() + LAUGHS_AT[field], "yaml")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    assert "must hold at most 1000000 values, a YAML alias counting as a copy of its anchor " \
           "(description holds more)" in message


def test_a_small_shared_alias_is_read_as_a_copy() -> None:
    net = loads("description: {k: &k [3, 3]}\ninputs:\n  - {name: x, size: [8, 8]}\n"
                "layers:\n  - {name: a, op: conv, kernel: *k}\n  - {name: b, op: conv, "
                "kernel: *k}\n", "yaml")
    assert [n.layer.kernel for n in net.nodes] == [(3, 3), (3, 3)]  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "where"), [
    ("description: &d [*d]\n" + _GOOD_INPUTS + _GOOD_LAYERS, "description[0]"),
    (_GOOD_INPUTS + "layers:\n  - &l {name: c, op: conv, kernel: [*l]}\n", "layers[0].kernel[0]"),
    (_GOOD_INPUTS + "layers:\n  - &l {name: *l, op: conv, kernel: 3}\n", "layers[0].name"),
    ("inputs:\n  - &i {name: x, size: [8], channels: *i}\n" + _GOOD_LAYERS,
     "inputs[0].channels"),
    ("inputs:\n  - {name: x, size: &s [8, *s]}\n" + _GOOD_LAYERS, "inputs[0].size[1]"),
], ids=["description", "kernel", "name", "channels", "size"])
def test_a_value_that_contains_itself_is_one_line(text: str, where: str) -> None:
    """Issue 15 (8): a self-referential value gave 'Circular reference detected' (json.dumps
    in a message) as a traceback."""
    with pytest.raises(InvalidSpecError, match=r"^file='<text>' must not hold a value that "
                       r"contains itself \(a YAML alias inside its own anchor, at "
                       + re.escape(where) + r"\)$"):
        loads(text, "yaml")


def test_nesting_is_bounded_with_its_place_and_allowed_up_to_the_limit() -> None:
    from symconv.network.reading import MAX_DEPTH

    def nested(depth: int) -> str:
        return "[" * depth + "]" * depth

    ok = loads(json.dumps({"description": json.loads(nested(MAX_DEPTH - 2)),
                           "inputs": [{"name": "x", "size": [8]}], "layers": [{"op": "relu"}]}),
               "json")
    assert ok.nodes[0].op == "identity"
    for fmt in ("json", "yaml"):
        text = ('{"description": ' + nested(MAX_DEPTH + 5)
                + ', "inputs": [{"name": "x", "size": [8]}], "layers": [{"op": "relu"}]}')
        with pytest.raises(InvalidSpecError, match=r"must not nest values more than 64 levels "
                           r"deep"):
            loads(text, fmt)


def test_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    """Issue 15: the limit is checked with stat before anything is read (a sparse file of
    2 GiB costs nothing); text given to loads is checked by its length."""
    from symconv.network.reading import MAX_BYTES

    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(2 << 30)
    with pytest.raises(InvalidSpecError, match=r"size=2147483648 bytes must be at most 1048576 "
                       r"\(1 MiB\) for a YAML network file"):
        load(big)
    with pytest.raises(InvalidSpecError, match=r"for a JSON network file"):
        loads(" " * (MAX_BYTES["json"] + 1), "json")


@pytest.mark.parametrize(("fragment", "message"), [
    ("size: [1000000000000000000]", r"size=\[1000000000000000000\] must hold positive integers "
                                    r"below 10\*\*18"),
    ("size: [8], channels: 1000000000000000000", r"channels=1000000000000000000 must be a "
                                                 r"positive integer below 10\*\*18"),
    ("size: [" + "9" * 4000 + "]", r"size=\[an integer of 4000 digits\] must hold"),
    ("name: " + "x" * 300 + ", size: [8]", r"name='x{50,}\.\.\. must be a name .*at most 256"),
], ids=["size", "channels", "digits", "name"])
def test_input_sizes_channels_and_names_are_bounded(fragment: str, message: str) -> None:
    """Issue 15: an input size past 10**18 (or of 4,000 digits) was accepted and echoed in full
    by the review; a name of a million characters too."""
    with pytest.raises(InvalidSpecError, match=message) as info:
        loads("inputs:\n  - {" + fragment + "}\n" + _GOOD_LAYERS, "yaml")
    assert len(str(info.value)) < 300


def test_layer_count_is_bounded_and_ordering_is_fast_in_any_file_order() -> None:
    """Issue 15: the topological sort rescanned the remaining layers for each one placed
    (quadratic: minutes for a file listed backwards); the layer count is bounded too."""
    import time

    from symconv.network.model import MAX_LAYERS

    n = MAX_LAYERS
    layers = [{"name": f"l{i}", "op": "relu", "inputs": [f"l{i - 1}" if i else "x"]}
              for i in range(n)]
    data = {"inputs": [{"name": "x", "size": ["H"]}], "layers": layers[::-1]}
    start = time.perf_counter()
    net = loads(json.dumps(data), "json")
    assert time.perf_counter() - start < 5
    assert [nd.name for nd in net.nodes] == [f"l{i}" for i in range(n)]
    data["layers"] = [*layers, {"name": "one_more", "op": "relu"}]
    with pytest.raises(InvalidSpecError, match=rf"^layers: {n + 1} layers must be at most {n} "):
        loads(json.dumps(data), "json")


@pytest.mark.parametrize(("text", "fragment"), [
    ("inputs:\n  - {name: x, size: [2001-13-45]}\n" + _GOOD_LAYERS,
     "must be valid YAML: month must be in 1..12"),
    ("---\na: 1\n---\nb: 2\n", "must be valid YAML: but found another document"),
    ("\ufeff" + _GOOD_INPUTS + _GOOD_LAYERS, None),
], ids=["timestamp", "documents", "bom"])
def test_yaml_oddities_are_one_line_or_read(text: str, fragment: str | None) -> None:
    if fragment is None:
        assert loads(text, "yaml").nodes[0].name == "c"
        return
    with pytest.raises(InvalidSpecError) as info:
        loads(text, "yaml")
    assert fragment in str(info.value)


def test_messages_render_a_bounded_prefix_of_huge_values() -> None:
    """Issue 15 (8): messages serialised a whole value before cutting it (json.dumps of a
    2,000,000-entry list; repr of a 10 MB string); now only the shown prefix is rendered."""
    import time

    from symconv._params import fmt, render

    huge = ["a"] * 2_000_000
    for field, value in (("op", huge), ("kernel", huge), ("name", "n" * 10_000_000)):
        layer: dict[str, object] = {"name": "c", "op": "conv", "kernel": 3, field: value}
        data = {"inputs": [{"name": "x", "size": [8]}], "layers": [layer]}
        start = time.perf_counter()
        with pytest.raises(InvalidSpecError) as info:
            from_dict(data)
        assert time.perf_counter() - start < 1
        assert len(str(info.value)) < 400
    # fmt: cycle-safe and bounded, for every nested kind
    loop: dict[str, object] = {}
    loop["self"] = loop
    assert fmt(loop) == "{'self': {...}}"
    laughs: object = ["lol"] * 9
    for _ in range(40):
        laughs = [laughs] * 9
    start = time.perf_counter()
    assert fmt(laughs).endswith("... (a list of 9 entries, over 80 characters)")
    assert render(laughs, json_style=True)[1] is False
    assert time.perf_counter() - start < 0.1
    assert fmt("x" * 10**8).endswith("... (a string of 100000000 characters)")
