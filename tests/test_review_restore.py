"""Decoder restores in ``symconv review``: encoder/decoder pairs inferred from the graph,
``restores: false``, the per-residue tables (against a brute force over every size) and the
suggested fixes (each re-reviewed after editing the network; confirmed with PyTorch and
onnxruntime)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.cli import cli
from symconv.network.model import Network, load, loads
from symconv.review import SkipCheck, review
from symconv.review.pairing import infer_pairs, unpaired_notes
from symconv.review.propagate import evaluate
from symconv.review.skips import edit_layer

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"

AE_PLAIN = """
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: enc1, op: conv, kernel: 3, stride: 2, padding: 1}
  - {name: act1, op: relu}
  - {name: enc2, op: conv, kernel: 3, stride: 2, padding: 1}
  - {name: dec2, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  - {name: act2, op: relu}
  - {name: dec1, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
"""


def restores(r: Any, axis: int = 0) -> dict[str, SkipCheck]:
    return {c.node: c for c in r.checks if c.kind == "restore" and c.axis == axis}


def brute_sizes(net: Network, n: int) -> dict[str, int] | None:
    """Axis-0 sizes of every tensor at input n (all axes n), or None if n is invalid."""
    vals, fail = evaluate(net, (n,) * net.ndim)
    return None if fail is not None else {k: v[0] for k, v in vals.items()}


# --------------------------------------------------------------------------- pairing


def test_pairs_on_the_examples() -> None:
    unet = load(EXAMPLES / "unet.yaml")
    pairs, unpaired = infer_pairs(unet, 0)
    assert [(p.up, p.down, p.target) for p in pairs] == [
        ("up4", "pool4", "enc4"), ("up3", "pool3", "enc3"), ("up2", "pool2", "enc2"),
        ("up1", "pool1", "enc1")]
    assert unpaired == ()
    # every U-Net pair is already compared by its concat: no inferred restore check
    assert not any(c.inferred for c in review(unet, symbolic=True).checks)
    ae = load(EXAMPLES / "autoencoder.yaml")
    pairs, _ = infer_pairs(ae, 1)
    # the inferred targets are exactly the file's declared restores
    assert {(p.up, p.target) for p in pairs} == {
        (n.name, n.restores) for n in ae.nodes if n.restores is not None}
    assert not any(c.inferred for c in review(ae, symbolic=True).checks)
    gan = load(EXAMPLES / "dcgan_generator.yaml")
    pairs, unpaired = infer_pairs(gan, 0)
    assert pairs == () and len(unpaired) == 4
    assert not any(c.kind == "restore" for c in review(gan, symbolic=True).checks)


def test_autoencoder_without_restores_is_inferred_and_a_warning() -> None:
    net = loads(AE_PLAIN, "yaml")
    r = review(net, symbolic=True)
    got = restores(r)
    assert set(got) == {"dec2", "dec1"}
    assert (got["dec2"].target, got["dec2"].paired_with) == ("act1", "enc2")
    assert (got["dec1"].target, got["dec1"].paired_with) == ("x", "enc1")
    assert all(c.inferred and not c.holds_always for c in got.values())
    assert got["dec1"].restoring == "H = 0 mod 4"
    codes = [f.code for f in r.findings if f.node in ("dec1", "dec2")]
    assert codes.count("SC209") == 2 and "SC207" not in codes
    assert all(f.severity == "warning" for f in r.findings if f.code == "SC209")
    # at a size where it fails: still a warning (inferred), never an error
    r6 = review(net, (6, 8))
    assert not r6.errors
    (f,) = [f for f in r6.findings if f.code == "SC209" and f.node == "dec1"]
    assert "at input 6x8" in f.message and "restores: x" in f.message
    assert "restores: false" in f.message
    # confirming it turns it into the declared check
    declared = loads(AE_PLAIN.replace("output_padding: 1}\n", "output_padding: 1, restores: x}\n",
                                      2).replace("restores: x}\n  - {name: act2",
                                                 "restores: act1}\n  - {name: act2"), "yaml")
    rd = review(declared, (6, 8))
    assert {f.code for f in rd.errors} == {"SC005"}
    assert not any(c.inferred for c in rd.checks)


def test_restores_false_opts_out() -> None:
    net = loads(AE_PLAIN.replace("output_padding: 1}", "output_padding: 1, restores: false}"),
                "yaml")
    assert all(n.restores_nothing for n in net.nodes if n.op == "conv-transpose")
    r = review(net, symbolic=True)
    assert not restores(r) and not any(f.code == "SC209" for f in r.findings)
    # JSON and TOML spell it the same way
    data = {"inputs": [{"name": "x", "size": ["H"]}], "layers": [
        {"name": "d", "op": "conv", "kernel": 3, "stride": 2},
        {"name": "u", "op": "conv-transpose", "kernel": 3, "stride": 2, "restores": False}]}
    assert loads(json.dumps(data), "json").node("u").restores_nothing
    toml = ('[[inputs]]\nname = "x"\nsize = ["H"]\n[[layers]]\nname = "d"\nop = "conv"\n'
            'kernel = 3\nstride = 2\n[[layers]]\nname = "u"\nop = "conv-transpose"\n'
            'kernel = 3\nstride = 2\nrestores = false\n')
    assert loads(toml, "toml").node("u").restores_nothing


def test_network_schema_accepts_false() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((EXAMPLES.parent / "schema" / "network.schema.json").read_text())
    ok = {"inputs": [{"name": "x", "size": ["H"]}], "layers": [
        {"name": "u", "op": "conv-transpose", "kernel": 2, "stride": 2, "restores": False}]}
    jsonschema.validate(ok, schema)
    ok["layers"][0]["restores"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(ok, schema)


def test_unpool_after_pool_and_shuffle_after_unshuffle() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: pool, op: max-pool, kernel: 2}
  - {name: unpool, op: max-unpool, kernel: 2}
  - {name: un, op: pixel-unshuffle, factor: 3}
  - {name: sh, op: pixel-shuffle, factor: 3}
""", "yaml")
    pairs, _ = infer_pairs(net, 0)
    assert [(p.up, p.down, p.target) for p in pairs] == [
        ("unpool", "pool", "x"), ("sh", "un", "unpool")]
    r = review(net, symbolic=True)
    got = restores(r)
    assert got["sh"].holds_always  # shuffle undoes unshuffle exactly (sizes are 0 mod 3)
    un = got["unpool"]
    assert not un.holds_always and un.restoring == "H = 0 mod 6"
    for n in range(1, 40):
        vals = brute_sizes(net, n)
        if vals is not None:
            assert (vals["unpool"] == vals["x"]) == (n % 2 == 0)
    # (a) max-unpool's output_size gives x back, but then the unshuffle after it rejects the
    # sizes that are not multiples of 3: the option says for which sizes it works
    (a,) = [o for o in un.options if o.startswith("(a)")]
    assert "output_size" in a and "only for" in a
    alone = loads("inputs: [{name: x, size: [H]}]\nlayers: [{name: pool, op: max-pool, "
                  "kernel: 2}, {name: unpool, op: max-unpool, kernel: 2}]", "yaml")
    (c,) = restores(review(alone, symbolic=True)).values()
    assert c.options[0].startswith("(a)") and "every valid size" in c.options[0]


def test_mismatched_factors_are_not_paired() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: d1, op: conv, kernel: 2, stride: 2}
  - {name: d2, op: conv, kernel: 2, stride: 2}
  - {name: up4, op: resize, scale_factor: 4}
  - {name: up2, op: resize, scale_factor: 2}
""", "yaml")
    pairs, unpaired = infer_pairs(net, 0)
    assert pairs == ()
    assert [u.up for u in unpaired] == ["up4", "up2"]
    assert unpaired[0].down == "d2"
    r = review(net, symbolic=True)
    assert not restores(r)
    assert ("up4 (axis 0) is not checked as a restore: it scales by 4 but the down-sampling "
            "layer it would undo, d2, scales by 1/2; to check it, declare its target (restores: "
            "in a network file, or --restores up4=TARGET for any model)") in r.notes
    # resize by 1/2 is undone by resize by 2
    net2 = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: half, op: resize, scale_factor: "1/2"}
  - {name: twice, op: resize, scale_factor: 2}
""", "yaml")
    (p,), _ = infer_pairs(net2, 0)
    assert (p.up, p.down) == ("twice", "half")
    (c,) = restores(review(net2, symbolic=True)).values()
    assert c.inferred and c.restoring == "H = 0 mod 2"


def in_set(desc: str, n: int) -> bool:
    """Membership in ``H = r mod q`` or ``H mod q in {a, b}`` (the forms used here)."""
    m = re.fullmatch(r"\w+ = (\d+) mod (\d+)", desc)
    if m:
        return n % int(m[2]) == int(m[1])
    m = re.fullmatch(r"\w+ mod (\d+) in \{([\d, ]+)\}", desc)
    assert m is not None, desc
    return n % int(m[1]) in {int(x) for x in m[2].split(",")}


def test_a_resize_like_another_tensor_carries_that_tensors_pairing() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: enc, op: conv, k: 3, s: 2, p: 1}
  - {name: mid, op: conv, k: 3, s: 2, p: 1}
  - {name: up, op: resize, like: enc}
  - {name: head, op: conv-transpose, kernel: 2, stride: 2}
""", "yaml")
    (p,), _ = infer_pairs(net, 0)
    assert (p.up, p.down, p.target) == ("head", "enc", "x")


# ------------------------------------------------------------------ per-residue rows


def _row_for(c: SkipCheck, n: int, period: int) -> Any:
    exc = [r for r in c.rows if r.residue is None and r.size == n]
    if exc:
        return exc[0]
    (row,) = [r for r in c.rows if r.residue == n % period]
    return row


def _brute_op(spec: Any, m: int, target: int) -> int | None:
    """From the definitions: PyTorch allows 0 <= op < max(stride, dilation), ONNX (as
    onnxruntime) 0 <= op < stride."""
    s, d = int(spec.stride[0]), int(spec.dilation[0])
    k = int(spec.kernel[0])
    p = spec.padding[0]
    pb, pe = p if isinstance(p, tuple) else (p, p)
    limit = s if spec.convention.value == "onnx" else max(s, d)
    for op in range(limit):
        if (m - 1) * s - pb - pe + d * (k - 1) + 1 + op == target:
            return op
    return None


@pytest.mark.parametrize("text", [
    AE_PLAIN,
    EXAMPLES / "autoencoder.yaml",
    """
inputs: [{name: x, size: [H]}]
layers:
  - {name: p, op: avg-pool, kernel: 3, stride: 3, ceil_mode: true}
  - {name: c, op: conv, kernel: 3, padding: 1}
  - {name: u, op: conv-transpose, kernel: 4, stride: 3, dilation: 2}
""",
    DILATED := """
inputs: [{name: x, size: [H]}]
layers:
  - {name: d, op: conv, kernel: 3, stride: 2}
  - {name: u, op: conv-transpose, kernel: 3, stride: 2, dilation: 3, padding: 3}
""",
    "convention: onnx\n" + DILATED,
])
def test_rows_match_a_brute_force(text: Any) -> None:
    net = load(text) if isinstance(text, Path) else loads(text, "yaml")
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None
    checks = [c for c in restores(r).values() if not c.holds_always]
    assert checks
    for c in checks:
        node = net.node(c.node)
        spec = node.layer.at(net.ndim) if node.layer is not None else None
        seen = 0
        for n in range(1, v.threshold + 2 * v.period):
            vals = brute_sizes(net, n)
            if vals is None:
                assert n not in v
                continue
            seen += 1
            row = _row_for(c, n, v.period)
            assert row.target - row.produced == row.difference
            assert vals[c.target] - vals[c.node] == row.difference, (c.node, n)
            if spec is not None and node.op == "conv-transpose":
                want = _brute_op(spec, vals[node.inputs[0]], vals[c.target])
                assert row.output_padding == want, (c.node, n)
        assert seen


def test_output_padding_limits_follow_the_convention() -> None:
    # odd H needs output_padding 2: PyTorch accepts it (op < dilation=3), ONNX does not
    torch_rows = restores(review(loads(DILATED, "yaml"), symbolic=True))["u"].rows
    onnx_rows = restores(review(loads("convention: onnx\n" + DILATED, "yaml"),
                                symbolic=True))["u"].rows
    assert {r.residue: r.output_padding for r in torch_rows if r.residue is not None} == \
        {0: None, 1: 2}
    assert all(r.output_padding is None for r in onnx_rows)


def test_unequal_growth_restores_at_isolated_sizes() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: d, op: conv, kernel: 1, stride: 3}
  - {name: u, op: resize, scale_factor: 2, restores: x}
""", "yaml")
    (c,) = restores(review(net, symbolic=True)).values()
    assert c.restoring == "H in {2, 4}" and all(r.drift == 1 for r in c.rows)
    assert [n for n in range(1, 120) if brute_sizes(net, n)["u"] == n] == [2, 4]  # type: ignore[index]
    assert [o[:3] for o in c.options] == ["(c)"]


def test_restoring_set_is_exact() -> None:
    net = loads(AE_PLAIN, "yaml")
    r = review(net, symbolic=True)
    assert {c.node: c.restoring for c in restores(r).values()} == {
        "dec2": "H mod 4 in {0, 3}", "dec1": "H = 0 mod 4"}
    for c in restores(r).values():
        for n in range(1, 80):
            vals = brute_sizes(net, n)
            assert vals is not None
            assert (vals[c.node] == vals[c.target]) == in_set(c.restoring, n), (c.node, n)


# ------------------------------------------------------------------ fixes, verified


def test_single_output_padding_fix_is_verified() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: un, op: pixel-unshuffle, factor: 2}
  - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1}
""", "yaml")
    (c,) = restores(review(net, symbolic=True)).values()
    assert c.inferred and "set output_padding=1" in c.fix
    fixed = edit_layer(net, "up", 0, output_padding=1)
    (c2,) = restores(review(fixed, symbolic=True)).values()
    assert c2.holds_always


def test_encoder_change_is_found_and_verified() -> None:
    # the target t is always even, so a change of the encoder can restore it
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: t, op: conv-transpose, kernel: 2, stride: 2}
  - {name: down, op: conv, kernel: 3, stride: 2}
  - {name: up, op: conv-transpose, kernel: 2, stride: 2}
""", "yaml")
    (c,) = restores(review(net, symbolic=True)).values()
    assert (c.target, c.paired_with) == ("t", "down") and not c.holds_always
    (b,) = [o for o in c.options if o.startswith("(b)")]
    assert b == ("(b) change down on axis 0: kernel 3 -> 2, padding 0+0 -> 0+0: no valid size "
                 "is lost and every valid size restores (checked)")
    fixed = edit_layer(net, "down", 0, kernel=2, padding=(0, 0))
    (c2,) = restores(review(fixed, symbolic=True)).values()
    assert c2.holds_always
    # and no valid size was lost (H = 1 becomes valid too)
    before, after = review(net, symbolic=True).validity[0], review(fixed, symbolic=True).validity[0]
    assert before is not None and after is not None
    assert all(n in after for n in range(1, 100) if n in before) and 1 in after


def test_autoencoder_options_hold() -> None:
    net = load(EXAMPLES / "autoencoder.yaml")
    r = review(net, symbolic=True)
    dec1 = restores(r)["dec1"]
    assert dec1.restoring == "H = 0 mod 8"
    assert [o[:3] for o in dec1.options] == ["(a)", "(b)", "(c)"]
    assert "dec3, dec2, dec1" in dec1.options[0] and "every valid size" in dec1.options[0]
    assert "residues 0, 1 mod 2" in dec1.options[1]
    assert dec1.options[2].endswith("H = 0 mod 8")
    assert "no single output_padding fixes dec1" in dec1.fix
    # (a) re-checked here from the definitions: each decoder gets its target's size, which
    # lies in the range PyTorch's forward(output_size=) accepts
    for n in range(1, 70):
        vals = brute_sizes(net, n)
        assert vals is not None
        m = vals["code"]
        for dec, target in (("dec3", "act2"), ("dec2", "act1"), ("dec1", "x")):
            lo = (m - 1) * 2 - 2 + 3
            assert lo <= vals[target] <= lo + 1, (n, dec)
            m = vals[target]


def test_text_and_json_show_the_table() -> None:
    net = loads(AE_PLAIN, "yaml")
    from symconv.report.review_text import render_text

    text = render_text(review(net, symbolic=True))
    assert "dec1 (axes 0, 1, inferred: mirrors enc1)" in text
    assert "H mod 4  e.g.  dec1  x  difference  output_padding" in text
    result = CliRunner().invoke(cli, ["review", str(EXAMPLES / "autoencoder.yaml"),
                                      "--symbolic", "--json"])
    data = json.loads(result.stdout)
    (dec1,) = [c for c in data["checks"] if c["node"] == "dec1" and c["axis"] == 1]
    assert dec1["restoring"] == "W = 0 mod 8" and len(dec1["rows"]) == 8
    assert [row["output_padding"] for row in dec1["rows"]] == [1, None, None, None, None, None,
                                                               None, 0]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((EXAMPLES.parents[1] / "review" / "schema" / "review.schema.json").read_text())
    jsonschema.validate(data, schema)


@pytest.mark.parametrize(("value", "fragment"), [
    ("true", "restores=true must be a tensor name, or false"),
    ("3", "restores=3 must be a tensor name, or false"),
    ("nowhere", "restores='nowhere' must name an input or a layer"),
])
def test_bad_restores_is_one_line(tmp_path: Path, value: str, fragment: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("inputs: [{name: x, size: [H]}]\nlayers:\n"
                    f"  - {{name: u, op: conv-transpose, kernel: 2, stride: 2, restores: {value}}}\n")
    result = CliRunner().invoke(cli, ["review", *shlex.split(str(path))])
    assert result.exit_code == 2
    assert fragment in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ frameworks


@pytest.mark.torch
def test_rows_and_run_time_size_in_pytorch() -> None:
    from conftest import requires

    torch = requires("torch")
    net = loads(AE_PLAIN, "yaml")
    c = restores(review(net, symbolic=True))["dec2"]
    v = review(net, symbolic=True).validity[0]
    assert v is not None
    enc2 = torch.nn.Conv1d(1, 1, 3, stride=2, padding=1)
    x = torch.zeros(1, 1, 1)
    for n in range(1, 30):
        vals = brute_sizes(net, n)
        assert vals is not None
        m, target = vals["enc2"], vals["act1"]
        row = _row_for(c, n, v.period)
        h = torch.zeros(1, 1, target)
        assert enc2(h).shape[-1] == m
        for op in (0, 1):
            dec = torch.nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=op)
            got = dec(torch.zeros(1, 1, m)).shape[-1]
            assert (got == target) == (row.output_padding == op), (n, op)
        # option (a): forward(x, output_size=) reaches the target for every size
        dec = torch.nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1)
        assert dec(torch.zeros(1, 1, m), output_size=[target]).shape[-1] == target
    del x


@pytest.mark.onnx
def test_restoring_set_in_onnxruntime() -> None:
    import onnx  # noqa: F401
    from test_onnx_import import export, run_ort

    net = loads(AE_PLAIN, "yaml")
    r = review(net, symbolic=True)
    model = export(net)
    checks = restores(r)
    for h in range(1, 18):
        got = run_ort(model, net, (h, h + 3))
        for c in checks.values():
            target = got[c.target][0] if c.target in got else h
            assert (got[c.node][0] == target) == in_set(c.restoring, h), (c.node, h)


# ------------------------------------------------------------------ property


@st.composite
def _encoder_decoder(draw: Any) -> str:
    s = draw(st.integers(2, 3))
    k = draw(st.integers(1, 4))
    p = draw(st.integers(0, (k - 1) // 2 if k > 1 else 0))
    kt = draw(st.integers(1, 4))
    pt = draw(st.integers(0, kt - 1))
    op = draw(st.integers(0, s - 1))
    # an up-sampled input (always a multiple of s) lets an encoder change fix the restore
    pre = (f"  - {{name: pre, op: conv-transpose, kernel: {s}, stride: {s}}}\n"
           if draw(st.booleans()) else "")
    return ("inputs: [{name: x, size: [H]}]\nlayers:\n" + pre +
            f"  - {{name: down, op: conv, kernel: {k}, stride: {s}, padding: {p}}}\n"
            f"  - {{name: up, op: conv-transpose, kernel: {kt}, stride: {s}, padding: {pt}, "
            f"output_padding: {op}}}\n")


_CHANGE = re.compile(r"\(b\) change down on axis 0: (?:kernel (\d+) -> (\d+), )?"
                     r"padding \d+\+\d+ -> (\d+)\+(\d+)")


@settings(max_examples=30, deadline=None)
@given(_encoder_decoder())
def test_every_table_and_fix_is_exact(text: str) -> None:
    net = loads(text, "yaml")
    r = review(net, symbolic=True)
    v = r.validity[0]
    assert v is not None
    if v.empty:
        return
    (c,) = restores(r).values()
    assert c.inferred and c.target == net.node("down").inputs[0]
    spec = net.node("up").layer.at(1)  # type: ignore[union-attr]
    holds = True
    for n in range(1, v.threshold + 2 * v.period):
        vals = brute_sizes(net, n)
        if vals is None:
            assert n not in v
            continue
        t = vals[c.target]
        holds &= vals["up"] == t
        if c.rows:
            row = _row_for(c, n, v.period)
            assert row.difference == t - vals["up"]
            assert row.output_padding == _brute_op(spec, vals["down"], t)
    assert c.holds_always == holds
    for option in c.options:
        m = _CHANGE.match(option)
        if m:  # (b): apply it and review again
            change: dict[str, Any] = {"padding": (int(m[3]), int(m[4]))}
            if m[2]:
                change["kernel"] = int(m[2])
            (c2,) = restores(review(edit_layer(net, "down", 0, **change),
                                    symbolic=True)).values()
            assert c2.holds_always
        if option.startswith("set output_padding="):
            op = int(option.split("=")[1].split(" ")[0])
            (c2,) = restores(review(edit_layer(net, "up", 0, output_padding=op),
                                    symbolic=True)).values()
            assert c2.holds_always
        m = re.match(r"change the padding of up on axis 0 from \d+\+\d+ to (\d+)\+(\d+)", option)
        if m:
            (c2,) = restores(review(edit_layer(net, "up", 0, padding=(int(m[1]), int(m[2]))),
                                    symbolic=True)).values()
            assert c2.holds_always
        if option.startswith("(a)") and "every valid size" in option:
            # PyTorch forward(output_size=) accepts [m_min, m_min + s - 1]
            s = int(spec.stride[0])
            for n in range(1, v.threshold + 2 * v.period):
                vals = brute_sizes(net, n)
                if vals is not None:
                    lo = vals["up"] - (int(spec.output_padding[0]) if spec.output_padding else 0)
                    assert lo <= vals[c.target] <= lo + s - 1


@pytest.mark.torch
def test_unpool_run_time_size_in_pytorch() -> None:
    """A max-unpool that does not restore its pool's input is broken in PyTorch (the indices
    are flat positions in the pooled plane); option (a), output_size=, repairs every size."""
    from conftest import requires

    torch = requires("torch")
    net = loads("inputs: [{name: x, size: [H, W]}]\nlayers: [{name: pool, op: max-pool, "
                "kernel: 3}, {name: unpool, op: max-unpool, kernel: 3}]", "yaml")
    r = review(net, symbolic=True)
    c = restores(r)["unpool"]
    assert c.restoring == "H = 0 mod 3" and "every valid size" in c.options[0]
    (f,) = [f for f in r.findings if f.code == "SC209"]
    assert "Found an invalid max index" in f.message
    pool = torch.nn.MaxPool2d(3, return_indices=True)
    unpool = torch.nn.MaxUnpool2d(3)
    for h in range(3, 12):
        x = torch.zeros(1, 1, h, h)
        x[0, 0, h - 1 - (h % 3), h - 1 - (h % 3)] = 1.0  # the max in the last full window
        y, idx = pool(x)
        out = unpool(y, idx, output_size=(h, h))
        assert out.shape[-2:] == (h, h) and out.sum() == 1 and out[x > 0].item() == 1
        if h % 3:  # no restore: PyTorch raises (index beyond the smaller plane)
            with pytest.raises(RuntimeError, match="invalid max index"):
                unpool(y, idx)
        else:
            assert unpool(y, idx).shape[-2:] == (h, h)


def test_paths_that_disagree_name_every_layer_and_the_command_line_declares_restores(
        tmp_path: Path) -> None:
    """An up layer whose paths would undo different layers names both (or 'nothing'), and
    --restores / --no-restore declare or opt out from the command line, with one-line errors."""
    text = """
inputs: [{name: x, size: [H]}]
layers:
  - {name: d, op: max-pool, kernel: 2}
  - {name: e, op: avg-pool, kernel: 2, input: x}
  - {name: m, op: add, inputs: [d, e]}
  - {name: u, op: resize, scale_factor: 2}
"""
    net = loads(text, "yaml")
    notes = unpaired_notes(net)
    assert notes == ["u (axis 0) is not checked as a restore: its input paths would undo "
                     "different layers (d on one path, e on one path); to check it, "
                     "declare its target (restores: in a network file, or --restores "
                     "u=TARGET for any model)"]
    lone = loads(text.replace("{name: e, op: avg-pool, kernel: 2, input: x}",
                              "{name: e, op: resize, size: 4, input: x}"), "yaml")
    assert "(d on one path, nothing on another)" in unpaired_notes(lone)[0]
    path = tmp_path / "net.yaml"
    path.write_text(text)
    run = CliRunner()
    r = run.invoke(cli, ["review", str(path), "--symbolic", "--restores", "u=x", "--json"])
    assert r.exit_code == 0, r.output
    checks = [c for c in json.loads(r.output)["checks"] if c["node"] == "u"]
    assert checks and checks[0]["target"] == "x"
    bad = run.invoke(cli, ["review", str(path), "--restores", "v=x"])
    assert bad.exit_code == 2 and "layer v must be a layer of the network" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    bad = run.invoke(cli, ["review", str(path), "--restores", "u"])
    assert bad.exit_code == 2 and "must be LAYER=TARGET" in bad.output
    bad = run.invoke(cli, ["review", str(path), "--restores", "u=x", "--no-restore", "u"])
    assert bad.exit_code == 2 and "must not also be given to --restores" in bad.output
    quiet = run.invoke(cli, ["review", str(path), "--symbolic", "--no-restore", "u", "--json"])
    assert quiet.exit_code == 0
    assert not [c for c in json.loads(quiet.output)["checks"] if c["node"] == "u"]
