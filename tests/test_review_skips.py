"""Failing concat/add checks in ``symconv review``: the base set (the sizes valid if the
up-sampling branch produced its skip partner's size), the per-residue table over it and the
verified options, each against a brute force written from :func:`symconv.sizes.shapes.resolve` one
layer at a time, and option (a) for the U-Net against PyTorch ``forward(x, output_size=...)``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.errors import SymconvError
from symconv.network.model import MERGE_OPS, Network, load, loads
from symconv.review import AxisValidity, SkipCheck, review
from symconv.review.skips import _relaxed_context, _restoring, edit_layer
from symconv.review.validity import analyse_axis
from symconv.sizes.shapes import resolve
from symconv.spec import ConvTranspose, Resize

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"

RESIZE_CAT = """
inputs: [{name: x, size: [H, W]}]
layers:
  - {name: pool, op: max-pool, kernel: 2}
  - {name: up, op: resize, scale_factor: 2}
  - {name: cat, op: concat, inputs: [up, x]}
"""

SHUFFLE_CAT = """
inputs: [{name: x, size: [H, W], channels: 4}]
layers:
  - {name: pool, op: max-pool, kernel: 2}
  - {name: up, op: pixel-shuffle, factor: 2}
  - {name: cat, op: concat, inputs: [up, x]}
"""

# a ResNet-style block whose strided 3x3 conv lacks its padding: the shortcut is one larger
RESNET_ADD = """
inputs: [{name: x, size: [H]}]
layers:
  - {name: main, op: conv, kernel: 3, stride: 2}
  - {name: act, op: relu}
  - {name: main2, op: conv, kernel: 3, padding: 1}
  - {name: short, op: conv, kernel: 1, stride: 2, inputs: [x]}
  - {name: sum, op: add, inputs: [main2, short]}
"""


def axis0(r: Any) -> AxisValidity:
    v = r.validity[0]
    assert v is not None
    return v


def merges(r: Any, axis: int = 0) -> dict[str, SkipCheck]:
    return {c.node: c for c in r.checks if c.kind == "merge" and c.axis == axis}


def brute(net: Network, n: int, relax: dict[str, str] | None = None,
          pinned: dict[str, str] | None = None) -> tuple[dict[str, int], bool]:
    """Axis-0 sizes at input ``n`` on every axis, one node at a time with ``resolve``; a
    concat/add in ``relax`` takes the size of the input named there; an up layer in
    ``pinned`` gets the named tensor's size as its run-time output size (``size=`` for a
    resize).  Returns the sizes and whether every node was accepted."""
    nd = net.ndim
    vals: dict[str, int] = {i.name: n for i in net.inputs}
    ok = True
    for node in net.nodes:
        if any(s not in vals for s in node.inputs):
            continue
        ins = [vals[s] for s in node.inputs]
        if node.op in MERGE_OPS:
            if relax and node.name in relax:
                vals[node.name] = vals[relax[node.name]]
            elif len(set(ins)) == 1:
                vals[node.name] = ins[0]
            else:
                ok = False
            continue
        if node.layer is None:
            vals[node.name] = ins[0]
            continue
        spec = node.layer.at(nd)
        if pinned and node.name in pinned:
            t = vals[pinned[node.name]]
            spec = (dataclasses.replace(spec, size=(t,) * nd, scale_factor=None)
                    if isinstance(spec, Resize) else
                    dataclasses.replace(spec, output_size=(t,) * nd))
        try:
            vals[node.name] = int(resolve(spec, (ins[0],) * nd).output[0])
        except SymconvError:
            ok = False
    return vals, ok


def output_padding_brute(spec: Any, m: int, t: int) -> int | None:
    """The output padding (0 <= op < stride) with which the transposed conv gives ``t``."""
    for op in range(int(spec.stride[0])):
        s = dataclasses.replace(spec, output_padding=(op,) * spec.ndim)
        try:
            if int(resolve(s, (m,) * spec.ndim).output[0]) == t:
                return op
        except SymconvError:
            continue
    return None


def check_rows(net: Network, c: SkipCheck, period: int, limit: int,
               relax: dict[str, str]) -> None:
    """Every base size up to ``limit`` follows its row: the sizes, the difference and the
    output padding computed from scratch."""
    classes = {r.residue: r for r in c.rows if r.residue is not None}
    points = {r.size: r for r in c.rows if r.residue is None}
    up = net.node(c.branch)
    checked = 0
    for n in range(1, limit + 1):
        vals, ok = brute(net, n, relax)
        if not ok:
            continue
        row = points.get(n) or classes[n % period]
        diff = vals[c.target] - vals[c.branch]
        assert diff == row.difference, (c.node, n)
        if n == row.size:
            assert (row.produced, row.target) == (vals[c.branch], vals[c.target]), (c.node, n)
        if isinstance(up.layer, ConvTranspose):
            want = output_padding_brute(up.layer.at(net.ndim), vals[up.inputs[0]], vals[c.target])
            assert row.output_padding == want, (c.node, n)
        else:
            assert row.output_padding is None
        checked += 1
    assert checked > 2 * period


# --------------------------------------------------------------------------- U-Net


@pytest.fixture(scope="module")
def unet() -> tuple[Network, Any]:
    net = load(EXAMPLES / "unet.yaml")
    return net, review(net, symbolic=True)


def test_unet_rows_and_base_set_against_brute_force(unet: tuple[Network, Any]) -> None:
    net, r = unet
    v = r.validity[0]
    cs = merges(r)
    assert sorted(cs) == ["cat1", "cat2", "cat3", "cat4"]
    relax = {name: c.target for name, c in cs.items()}
    assert relax == {"cat4": "enc4", "cat3": "enc3", "cat2": "enc2", "cat1": "enc1"}
    limit = 16 + 2 * v.period + 16
    # the base set (every failing concat reads its skip partner) is H >= 16, exactly
    base = [n for n in range(1, limit + 1) if brute(net, n, relax)[1]]
    assert base == list(range(16, limit + 1))
    plan_v, plan, cex = analyse_axis(net, 0)
    ctx = _relaxed_context(plan, plan_v, cex)
    assert ctx is not None
    assert [n for n in range(1, limit + 1) if n in ctx.validity] == base
    for name, c in cs.items():
        assert not c.holds_always and c.branch == "up" + name[-1]
        assert c.paired_with == "pool" + name[-1]
        assert f"over the sizes valid if {c.branch} had {c.target}'s size (H >= 16)" in c.detail
        check_rows(net, c, v.period, limit, relax)
        # where the two agree, as an exact set, against the brute force
        agree = _restoring(ctx, c.rows)
        assert [n for n in range(1, limit + 1) if n in agree] == [
            n for n in base if (lambda vals: vals[c.target] == vals[c.branch])(
                brute(net, n, relax)[0])]
        assert c.restoring == agree.describe()
    assert cs["cat1"].restoring == "H >= 16 and H = 0 mod 2"
    assert cs["cat4"].restoring == "H >= 16 and H mod 16 in {0, 1, 2, 3, 4, 5, 6, 7}"


def test_unet_proof_and_options(unet: tuple[Network, Any]) -> None:
    _, r = unet
    c = merges(r)["cat2"]
    assert c.fix.startswith("no single output_padding fixes up2 on axis 0: the difference "
                            "enc2 - up2 is 0, 1 depending on H mod 16")
    a, b, cc = c.options
    assert a.startswith("(a) pass the target size at run time to up4, up3, up2 (PyTorch "
                        "forward(x, output_size=...), ONNX output_shape): cat2's inputs agree "
                        "for every base size (checked)")
    assert "up2 then applies output_padding 0 for H mod 4 in {0, 1}, 1 for H mod 4 in {2, 3}" in a
    assert a.endswith("with run-time sizes on every failing up layer (up4, up3, up2, up1) the "
                      "valid input sizes become H >= 16 (now H = 0 mod 16) (checked)")
    assert b == ("(b) none by changing pool2 or the padding of up2: enc2 takes residues 0, 1 "
                 "mod 2 over the base sizes while up2 always gives one residue mod 2 (size "
                 "s*m + c)")
    assert cc == ("(c) keep the current valid set, H = 0 mod 16 (where every concat/add holds); "
                  "cat2 alone agrees for H >= 16 and H mod 4 in {0, 1}")
    # the finding lists the usable options only, and the text renders the table
    f = next(f for f in r.findings if f.code == "SC208" and f.node == "cat2")
    assert "(a) pass the target size" in f.message and "(b)" not in f.message
    from symconv.report.review_text import render_text

    text = render_text(r)
    assert "    H mod 16  e.g.  up2  enc2  difference  output_padding" in text
    assert "the missing size is [0, 1]" not in text


def test_unet_option_a_by_brute_force(unet: tuple[Network, Any]) -> None:
    """With every transposed conv given its skip's size at run time, the valid sizes are
    exactly H >= 16 (the option's claim), and without it exactly H = 0 mod 16."""
    net, r = unet
    pins = {"up4": "enc4", "up3": "enc3", "up2": "enc2", "up1": "enc1"}
    limit = 16 + 2 * axis0(r).period + 16
    assert [n for n in range(1, limit + 1) if brute(net, n, pinned=pins)[1]] == \
        list(range(16, limit + 1))
    assert [n for n in range(1, limit + 1) if brute(net, n)[1]] == list(range(16, limit + 1, 16))
    # only up4 pinned: cat4 agrees at every base size, cat3 does not
    for n in range(16, limit + 1):
        vals, _ = brute(net, n, pinned={"up4": "enc4"})
        assert vals["up4"] == vals["enc4"]
    assert any(brute(net, n, pinned={"up4": "enc4"})[0]["up3"]
               != brute(net, n, pinned={"up4": "enc4"})[0]["enc3"] for n in range(16, 48))


@pytest.mark.torch
def test_unet_option_a_in_pytorch(unet: tuple[Network, Any]) -> None:
    """PyTorch U-Net (2 channels) with ``up(x, output_size=skip.shape[2:])``: runs exactly at
    the sizes option (a) says (H >= 16 at W = 16), including non-multiples of 16; without
    output_size it fails exactly off H = 0 mod 16."""
    torch = pytest.importorskip("torch")
    net, _ = unet
    nn = torch.nn
    torch.manual_seed(0)
    mods: dict[str, Any] = {}
    ch: dict[str, int] = {"image": 1}
    for node in net.nodes:
        cin = ch[node.inputs[0]]
        ch[node.name] = sum(ch[s] for s in node.inputs) if node.op == "concat" else (
            cin if node.op in ("max-pool", "identity") else 2)
        spec: Any = None if node.layer is None else node.layer.at(2)
        if node.op == "conv":
            mods[node.name] = nn.Conv2d(cin, 2, spec.kernel, padding=spec.padding[0][0])
        elif node.op == "conv-transpose":
            mods[node.name] = nn.ConvTranspose2d(cin, 2, spec.kernel, stride=spec.stride)
        elif node.op == "max-pool":
            mods[node.name] = nn.MaxPool2d(spec.kernel)
    skip = {"up4": "enc4", "up3": "enc3", "up2": "enc2", "up1": "enc1"}

    def runs(h: int, pinned: bool) -> bool:
        vals = {"image": torch.randn(1, 1, h, 16)}
        try:
            with torch.no_grad():
                for node in net.nodes:
                    xs = [vals[s] for s in node.inputs]
                    if node.op == "concat":
                        vals[node.name] = torch.cat(xs, dim=1)
                    elif node.op == "identity":
                        vals[node.name] = torch.relu(xs[0])
                    elif node.op == "conv-transpose" and pinned:
                        vals[node.name] = mods[node.name](
                            xs[0], output_size=vals[skip[node.name]].shape[2:])
                    else:
                        vals[node.name] = mods[node.name](xs[0])
        except RuntimeError:
            return False
        return tuple(vals["head"].shape[2:]) == (h, 16)

    sizes = range(1, 50)
    assert [h for h in sizes if runs(h, True)] == list(range(16, 50))
    assert [h for h in sizes if runs(h, False)] == [16, 32, 48]


# --------------------------------------------------------------------------- add, resize, shuffle


def test_resnet_add_skip_table_and_verified_padding_fix() -> None:
    net = loads(RESNET_ADD, "yaml")
    r = review(net, symbolic=True)
    assert axis0(r).empty
    c = merges(r)["sum"]
    assert (c.branch, c.target, c.paired_with) == ("main2", "short", "")
    assert "(H >= 3)" in c.detail
    check_rows(net, c, axis0(r).period, 40, {"sum": "short"})
    assert {row.difference for row in c.rows} == {1}
    assert c.fix.startswith("main2 is +1 off short on axis 0 for every base size")
    assert not any(o.startswith("(a)") for o in c.options)  # no up-sampling layer
    b = next(o for o in c.options if o.startswith("(b)"))
    assert b == ("(b) change main on axis 0: padding 0+0 -> 1+1: no base size is lost and "
                 "sum's inputs agree for every base size (checked)")
    # the fix, applied: the add holds and every size >= 1 is valid (brute force)
    fixed = edit_layer(net, "main", 0, padding=(1, 1))
    assert [n for n in range(1, 41) if brute(fixed, n)[1]] == list(range(1, 41))
    assert merges(review(fixed, symbolic=True))["sum"].holds_always


def test_constant_difference_gets_a_single_verified_output_padding() -> None:
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: wide, op: conv-transpose, kernel: 2, stride: 2}
  - {name: pool, op: max-pool, kernel: 2}
  - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1}
  - {name: cat, op: concat, inputs: [up, wide]}
""", "yaml")
    r = review(net, symbolic=True)
    assert axis0(r).empty
    c = merges(r)["cat"]
    check_rows(net, c, axis0(r).period, 20, {"cat": "wide"})
    assert c.options == ("set output_padding=1 on axis 0 of up (now 0): the missing size is 1 "
                         "for every base size",)
    fixed = edit_layer(net, "up", 0, output_padding=1)
    assert [n for n in range(1, 21) if brute(fixed, n)[1]] == list(range(1, 21))


def test_concat_fed_by_a_resize_pins_its_size() -> None:
    net = loads(RESIZE_CAT, "yaml")
    r = review(net, symbolic=True)
    c = merges(r)["cat"]
    assert (c.branch, c.target) == ("up", "x")
    check_rows(net, c, axis0(r).period, 40, {"cat": "x"})
    assert all(row.output_padding is None for row in c.rows)
    a = next(o for o in c.options if o.startswith("(a)"))
    assert a.startswith("(a) pass the target size at run time to up (size=... instead of "
                        "scale_factor): cat's inputs agree for every base size (checked)")
    assert a.endswith("the valid input sizes become H >= 2 (now H = 0 mod 2) (checked)")
    assert [n for n in range(1, 41) if brute(net, n, pinned={"up": "x"})[1]] == \
        list(range(2, 41))
    from symconv.report.review_text import render_text

    assert "    1        3     2   3  +1          none" in render_text(r)


def test_concat_fed_by_a_pixel_shuffle_has_no_run_time_size() -> None:
    net = loads(SHUFFLE_CAT, "yaml")
    r = review(net, symbolic=True)
    c = merges(r)["cat"]
    check_rows(net, c, axis0(r).period, 40, {"cat": "x"})
    assert "(a) not available: up (pixel-shuffle) takes no run-time output size" in c.options
    assert any(o.startswith("(b) none by changing pool") for o in c.options)
    f = next(f for f in r.findings if f.code == "SC208")
    assert "(a)" not in f.message and "(c) keep the current valid set, H = 0 mod 2" in f.message


def test_json_carries_the_branch_and_rows(unet: tuple[Network, Any]) -> None:
    from symconv.report.review_text import to_dict

    _, r = unet
    doc = to_dict(r)
    cat4 = next(c for c in doc["checks"] if c["node"] == "cat4" and c["axis"] == 0)
    assert cat4["branch"] == "up4" and cat4["target"] == "enc4"
    assert [row["difference"] for row in cat4["rows"]] == [0] * 8 + [1] * 8


def test_a_set_of_several_classes_keeps_its_lower_bound() -> None:
    """``H mod 16 in {0..7}`` from 16 on excludes 1..7: the description must say so."""
    v = AxisValidity(0, "H", 16, 16, (), tuple(range(8)), ())
    assert v.describe() == "H >= 16 and H mod 16 in {0, 1, 2, 3, 4, 5, 6, 7}"
    assert [n for n in range(1, 40) if n in v] == [*range(16, 24), *range(32, 40)]
    assert AxisValidity(0, "H", 16, 16, (), (0,), ()).describe() == "H = 0 mod 16"
    assert AxisValidity(0, "H", 4, 4, (1, 2, 3), (0, 1, 2, 3), ()).describe() == "every H >= 1"


# --------------------------------------------------------------------------- random U-Nets


@st.composite
def unets(draw: st.DrawFn) -> str:
    """A 1-D U-Net of depth 1-2: a stride-1 conv, then a strided conv or pool per level, and
    per level a transposed conv of the same stride concatenated with the level's skip."""
    depth = draw(st.integers(1, 2))
    lines = ["inputs: [{name: x, size: [H]}]", "layers:"]
    strides = []
    for i in range(depth):
        k = draw(st.sampled_from([1, 3]))
        lines.append(f"  - {{name: enc{i}, op: conv, kernel: {k}, padding: {k // 2}}}")
        s = draw(st.integers(2, 3))
        strides.append(s)
        if draw(st.booleans()):
            lines.append(f"  - {{name: down{i}, op: max-pool, kernel: {s}}}")
        else:
            kd = draw(st.integers(s, s + 2))
            lines.append(f"  - {{name: down{i}, op: conv, kernel: {kd}, stride: {s}, "
                         f"padding: {draw(st.integers(0, kd // 2))}}}")
    for i in reversed(range(depth)):
        s = strides[i]
        ku = draw(st.sampled_from([s, s + 1, 2 * s]))
        pu = draw(st.integers(0, (ku - 1) // 2))
        op = draw(st.integers(0, s - 1))
        lines.append(f"  - {{name: up{i}, op: conv-transpose, kernel: {ku}, stride: {s}, "
                     f"padding: {pu}, output_padding: {op}}}")
        lines.append(f"  - {{name: cat{i}, op: concat, inputs: [up{i}, enc{i}]}}")
    return "\n".join(lines) + "\n"


@given(unets())
@settings(max_examples=20, deadline=None)
def test_random_unets_base_set_rows_and_run_time_option(text: str) -> None:
    """On random U-Nets: the base set equals the brute-force relaxed valid set, every row
    matches the brute force, and option (a)'s claims hold in brute-force pinned runs."""
    net = loads(text, "yaml")
    v, plan, cex = analyse_axis(net, 0)
    r = review(net, symbolic=True)
    cs = {n: c for n, c in merges(r).items() if not c.holds_always}
    ctx = _relaxed_context(plan, v, cex)
    if not cs or ctx is None:
        return
    relax = {n: c.target for n, c in cs.items()}
    limit = ctx.validity.threshold + 2 * plan.period + 8
    base = [n for n in range(1, limit + 1) if brute(net, n, relax)[1]]
    assert [n for n in range(1, limit + 1) if n in ctx.validity] == base
    for name, c in cs.items():
        if not c.rows:
            continue
        if len(base) > 2 * plan.period:
            check_rows(net, c, plan.period, limit, relax)
        for o in c.options:  # a parameter change, applied: the merge holds on the base set
            m = re.match(r"set output_padding=(\d+) on axis 0 of (\w+)", o) or re.match(
                r"\(b\) change (\w+) on axis 0: (?:kernel \d+ -> (\d+), )?padding \d+\+\d+ -> "
                r"(\d+)\+(\d+)", o)
            if m is None:
                continue
            if o.startswith("set"):
                edited = edit_layer(net, m[2], 0, output_padding=int(m[1]))
            else:
                changes: dict[str, Any] = {"padding": (int(m[3]), int(m[4]))}
                if m[2]:
                    changes["kernel"] = int(m[2])
                edited = edit_layer(net, m[1], 0, **changes)
            others = {k: t for k, t in relax.items() if k != name}
            assert [n for n in range(1, limit + 1) if brute(edited, n, others)[1]] == base
        a = next((o for o in c.options if o.startswith("(a) pass")), None)
        if a is None or "for every base size" not in a:
            continue
        layers = a.split(" to ", 1)[1].split(" (", 1)[0].split(", ")
        pins = {u: relax["cat" + u[2:]] for u in layers}
        for n in base:
            vals, _ = brute(net, n, pinned=pins)
            assert vals.get(c.branch) == vals[c.target], (name, n)
        if "the valid input sizes become" in a:
            every = {u: relax["cat" + u[2:]] for u in ctx.failing}
            assert [n for n in range(1, limit + 1) if brute(net, n, pinned=every)[1]] == base


@pytest.mark.parametrize("example", ["unet", "autoencoder"])
def test_vectorised_pinned_runs_equal_the_scalar_walk(example: str) -> None:
    """The run-time-size options evaluate every base size in one vectorised walk; it must give
    the scalar walk's sizes and failures at every size, for every subset of pins."""
    from itertools import combinations

    from symconv.review.fixes import _pinned_many, _pinned_run, _pinned_runs
    from symconv.review.validity import make_plan

    net = load(Path(__file__).parent.parent / "symconv" / "network" / "examples" / f"{example}.yaml")
    plan = make_plan(net, 0)
    ups = {"unet": {"up4": "enc4", "up3": "enc3", "up2": "enc2", "up1": "enc1"},
           "autoencoder": {"dec3": "act2", "dec2": "act1", "dec1": "x"}}[example]
    ns = list(range(1, 70))
    merges = [n.name for n in net.nodes if n.op in MERGE_OPS]
    for r in range(1, len(ups) + 1):
        for chosen in combinations(sorted(ups), r):
            pins = {u: ups[u] for u in chosen}
            for keep in (None, set(merges[:1])):
                assert _pinned_many(plan, pins, ns, keep) is not None  # targets come first
                got = list(_pinned_runs(plan, pins, ns, keep))
                for n, vals, failed in got:
                    want_vals, want_fails = _pinned_run(plan, pins, n, keep)
                    assert dict(vals.items()) == want_vals, (pins, keep, n)
                    assert failed == bool(want_fails), (pins, keep, n)
