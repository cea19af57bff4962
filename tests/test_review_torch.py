"""``symconv review`` judged by PyTorch: a network file (torch convention) turned into an
executable PyTorch model (random weights, channels shrunk), run on CPU.

* at valid sizes every tensor's shape equals the review's propagated value;
* every counterexample and excluded-class example the review reports (merge and restore
  counterexamples, ``AxisValidity.reasons``, the SC001/SC002/SC005 of a concrete size) is
  confirmed: PyTorch raises at the layer the review names, or produces exactly the reported
  mismatched sizes;
* on random torch-convention chains with skips (Hypothesis), for every size up to a bound,
  PyTorch runs iff the size is in the review's valid set, and fails first where the review
  says.

PyTorch quirks met here: ``ConvTranspose`` whose output size is 0 returns an empty tensor
instead of raising (the review rejects the size; the runner counts an empty output as the
failure); ``MaxUnpool`` reads its switches as flat positions in its own output plane, so when
that plane differs from the paired pool's input it raises "Found an invalid max index" only
for some data (the review's SC206 names those sizes; such runs are checked against SC206
instead of the valid set).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv.network.model import MERGE_OPS, Network, Resample, from_dict, load
from symconv.review import Review, review
from symconv.review.propagate import evaluate
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    CoordinateMode,
    MaxPool,
    MaxUnpool,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    ResizeMode,
)

from conftest import requires
from strategies import scaled_networks

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"
pytestmark = pytest.mark.torch


class Unbuildable(Exception):
    """The network has something this builder does not run in PyTorch (said why)."""


# --------------------------------------------------------------------------- the builder


@dataclass
class TorchRun:
    """Spatial shapes of every tensor PyTorch computed, and the node that raised (if any)."""

    shapes: dict[str, tuple[int, ...]]
    errors: dict[str, str]  # every node that raised (its inputs existed), in order

    @property
    def failed(self) -> str | None:
        """The first node that raised."""
        return next(iter(self.errors), None)

    @property
    def error(self) -> str:
        return next(iter(self.errors.values()), "")

    @property
    def data_dependent(self) -> bool:
        """PyTorch's MaxUnpool found a switch beyond its output plane: whether that happens
        depends on where the maxima are (the review's SC206 says when it can)."""
        return any("invalid max index" in e for e in self.errors.values())


def _channels(net: Network, d: int) -> dict[str, int] | None:
    """Channel counts with every declared output count divided by ``d``; ``None`` when that
    breaks a groups, pixel-shuffle or add rule."""
    ch: dict[str, int] = {i.name: i.channels or 1 for i in net.inputs}
    for node in net.nodes:
        cin = ch[node.inputs[0]]
        spec = node.layer
        if node.op == "concat":
            ch[node.name] = sum(ch[s] for s in node.inputs)
        elif node.op == "add":
            if len({ch[s] for s in node.inputs}) > 1:
                return None
            ch[node.name] = cin
        elif isinstance(spec, Conv | ConvTranspose) and node.op != "pad":
            cout = cin if spec.out_channels is None else spec.out_channels // d
            if cout < 1 or cout % spec.groups or cin % spec.groups:
                return None
            ch[node.name] = cout
        elif isinstance(spec, PixelShuffle):
            r2 = spec.factor ** net.ndim
            if cin % r2:
                return None
            ch[node.name] = cin // r2
        elif isinstance(spec, PixelUnshuffle):
            ch[node.name] = cin * spec.factor ** net.ndim
        else:
            ch[node.name] = cin
    return ch


def _shrink(net: Network) -> dict[str, int]:
    """Channel counts shrunk by the largest of 32, 16, ..., 1 that keeps every rule."""
    for d in (32, 16, 8, 4, 2, 1):
        ch = _channels(net, d)
        if ch is not None:
            return ch
    raise Unbuildable("channel counts that PyTorch rejects (groups, pixel shuffle or add)")


def _paired_pool(net: Network, node_name: str) -> str:
    """The max pool whose indices a max-unpool uses: the nearest pool upstream through
    activations only (so the indices have the unpool input's shape); else refuse."""
    name = net.node(node_name).inputs[0]
    while True:
        node = next((n for n in net.nodes if n.name == name), None)
        if node is None:
            break
        if isinstance(node.layer, MaxPool):
            return node.name
        if node.op != "identity":
            break
        name = node.inputs[0]
    raise Unbuildable(f"{node_name}: max-unpool without a max pool right before it")


def build(net: Network, torch: Any) -> Callable[[tuple[int, ...]], TorchRun]:
    """A function running ``net`` in PyTorch at a first-input size (seeded random weights)."""
    nn, F = torch.nn, torch.nn.functional
    nd = net.ndim
    if nd not in (1, 2, 3):
        raise Unbuildable(f"ndim={nd}")
    ch = _shrink(net)
    steps: dict[str, Callable[..., Any]] = {}
    pools = {_paired_pool(net, n.name): n.name for n in net.nodes
             if isinstance(n.layer, MaxUnpool)}
    torch.manual_seed(0)
    for node in net.nodes:
        cin = ch[node.inputs[0]]
        cout = ch[node.name]
        spec = None if node.layer is None else node.layer.at(nd)
        if node.resample is not None:  # F.interpolate(x, size=other.shape[2:], mode=...)
            steps[node.name] = _interpolate_like(F, node.name, node.resample, nd)
            continue
        if spec is not None and spec.convention is not Convention.TORCH:
            raise Unbuildable(f"{node.name}: convention {spec.convention.value}")
        if node.op == "concat":
            steps[node.name] = lambda *xs: torch.cat(xs, dim=1)
            continue
        if node.op == "add":
            steps[node.name] = lambda *xs: sum(xs[1:], xs[0])
            continue
        if spec is None:
            steps[node.name] = torch.relu
            continue
        if node.op == "pad":
            flat = [v for b, e in reversed(spec.padding) for v in (b, e)]
            steps[node.name] = lambda x, flat=flat: F.pad(x, flat)
        elif isinstance(spec, Conv):
            pad: Any = spec.padding
            if isinstance(pad, PadMode):
                pad = pad.value
            elif all(b == e for b, e in pad):
                pad = tuple(b for b, _ in pad)
            else:
                raise Unbuildable(f"{node.name}: asymmetric padding {pad}")
            conv = getattr(nn, f"Conv{nd}d")(cin, cout, spec.kernel, stride=spec.stride,
                                             padding=pad, dilation=spec.dilation,
                                             groups=spec.groups,
                                             padding_mode=spec.padding_mode.value)
            steps[node.name] = conv
        elif isinstance(spec, ConvTranspose):
            if any(b != e for b, e in spec.padding):
                raise Unbuildable(f"{node.name}: asymmetric padding")
            tconv = getattr(nn, f"ConvTranspose{nd}d")(
                cin, cout, spec.kernel, stride=spec.stride,
                padding=tuple(b for b, _ in spec.padding),
                output_padding=spec.output_padding or 0, dilation=spec.dilation,
                groups=spec.groups)
            if spec.output_size is not None:
                size = list(spec.output_size)
                steps[node.name] = lambda x, m=tconv, size=size: m(x, output_size=size)
            else:
                steps[node.name] = tconv
        elif isinstance(spec, MaxPool):
            pool = getattr(nn, f"MaxPool{nd}d")(
                spec.kernel, stride=spec.stride, padding=tuple(b for b, _ in spec.padding),
                dilation=spec.dilation, ceil_mode=spec.ceil_mode,
                return_indices=node.name in pools)
            steps[node.name] = pool
        elif isinstance(spec, AvgPool):
            steps[node.name] = getattr(nn, f"AvgPool{nd}d")(
                spec.kernel, stride=spec.stride, padding=tuple(b for b, _ in spec.padding),
                ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad)
        elif isinstance(spec, MaxUnpool):
            unpool = getattr(nn, f"MaxUnpool{nd}d")(
                spec.kernel, stride=spec.stride, padding=tuple(b for b, _ in spec.padding))
            size = None if spec.output_size is None else list(spec.output_size)
            steps[node.name] = lambda x, idx, m=unpool, size=size: m(x, idx, output_size=size)
        elif isinstance(spec, Resize):
            steps[node.name] = _interpolate(F, spec, nd)
        elif isinstance(spec, AdaptiveAvgPool | AdaptiveMaxPool):
            kind = "AdaptiveAvgPool" if isinstance(spec, AdaptiveAvgPool) else "AdaptiveMaxPool"
            steps[node.name] = getattr(nn, f"{kind}{nd}d")(spec.output_size)
        elif isinstance(spec, PixelShuffle | PixelUnshuffle):
            if nd != 2:
                raise Unbuildable("PyTorch pixel (un)shuffle is 2-D only")
            shuffle = nn.PixelShuffle if isinstance(spec, PixelShuffle) else nn.PixelUnshuffle
            steps[node.name] = shuffle(spec.factor)
        else:  # pragma: no cover - every spec kind above
            raise Unbuildable(f"{node.name}: {spec!r}")

    def run(size: tuple[int, ...]) -> TorchRun:
        values: dict[str, Any] = {}
        indices: dict[str, Any] = {}
        gen = torch.Generator().manual_seed(1)
        for inp, sizes in net.input_sizes(size).items():
            values[inp] = torch.randn(1, ch[inp], *sizes, generator=gen)
        errors: dict[str, str] = {}
        with torch.no_grad():
            for node in net.nodes:  # like the review: every node whose inputs exist
                if any(s not in values for s in node.inputs):
                    continue
                args = [values[s] for s in node.inputs]
                try:
                    if isinstance(node.layer, MaxUnpool):
                        pool = _paired_pool(net, node.name)
                        if pool not in indices:
                            continue
                        out = steps[node.name](args[0], indices[pool])
                    else:
                        out = steps[node.name](*args)
                except (RuntimeError, ValueError, IndexError) as exc:
                    errors[node.name] = str(exc).splitlines()[0]
                    continue
                if isinstance(out, tuple):
                    out, indices[node.name] = out
                if 0 in out.shape[2:]:  # a transposed conv to size 0 does not raise
                    errors[node.name] = "empty output (PyTorch returns a 0-size tensor)"
                    continue
                values[node.name] = out
        return TorchRun(_shapes(values), errors)

    return run


def _shapes(values: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(int(v) for v in t.shape[2:]) for k, t in values.items()}


def _interpolate(F: Any, spec: Resize, nd: int) -> Callable[[Any], Any]:
    mode = {ResizeMode.NEAREST: "nearest", ResizeMode.NEAREST_EXACT: "nearest-exact",
            ResizeMode.LINEAR: ("linear", "bilinear", "trilinear")[nd - 1],
            ResizeMode.CUBIC: "bicubic"}[spec.mode]
    align = None if spec.align_corners is None or mode.startswith("nearest") \
        else bool(spec.align_corners)
    if spec.size is not None:
        return lambda x: F.interpolate(x, size=list(spec.size), mode=mode, align_corners=align)
    factors = [float(Fraction(f)) for f in spec.scale_factor]
    return lambda x: F.interpolate(x, scale_factor=factors, mode=mode, align_corners=align)


def _interpolate_like(F: Any, name: str, r: Resample, nd: int) -> Callable[[Any, Any], Any]:
    """A resize to another tensor's size as PyTorch writes it; only modes PyTorch has (the
    sampling parameters must be those its mode and align_corners give)."""
    if r.convention is not Convention.TORCH:
        raise Unbuildable(f"{name}: convention {r.convention.value}")
    align = None
    if r.mode in (ResizeMode.LINEAR, ResizeMode.CUBIC):
        align = r.coordinate_mode is CoordinateMode.ALIGN_CORNERS
    torch_r = Resample(mode=r.mode, align_corners=align)
    fields = ("coordinate_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside")
    if any(getattr(r, f) != getattr(torch_r, f) for f in fields):
        raise Unbuildable(f"{name}: sampling {r} is not a PyTorch interpolate mode")
    mode = {ResizeMode.NEAREST: "nearest", ResizeMode.NEAREST_EXACT: "nearest-exact",
            ResizeMode.LINEAR: ("linear", "bilinear", "trilinear")[nd - 1],
            ResizeMode.CUBIC: "bicubic"}[r.mode]
    return lambda x, other: F.interpolate(x, size=list(other.shape[2:]), mode=mode,
                                          align_corners=align)


# --------------------------------------------------------------------------- the checks


def check_size(net: Network, run: Callable[[tuple[int, ...]], TorchRun],
               size: tuple[int, ...]) -> TorchRun:
    """PyTorch against the review's concrete evaluation at ``size``: the same shapes for every
    tensor computed, and the first failure at the same node (with the same merge sizes)."""
    got = run(size)
    values, first = evaluate(net, size)
    if got.data_dependent:
        # the switches index another plane than the unpool's output: the review must say so
        # for this node at this size (SC206)
        sc206 = {f.node: f.message for f in review(net, size).findings if f.code == "SC206"}
        for name, error in got.errors.items():
            if "invalid max index" in error:
                assert "Found an invalid max index" in sc206.get(name, ""), (size, name)
        return got
    if got.failed is None:
        assert first is None or first.code not in ("SC001", "SC002"), (size, first)
    else:
        assert first is not None and first.node == got.failed, (size, got.error, first)
        node = net.node(got.failed)
        if node.op in MERGE_OPS:  # the sizes the review reports are PyTorch's
            shown = ", ".join(f"{s}={'x'.join(map(str, got.shapes[s]))}" for s in node.inputs)
            assert shown in first.message, (first.message, shown)
    for name, shape in got.shapes.items():
        assert values.get(name) == shape, (size, name, values.get(name), shape)
    return got


def at_axis(r: Review, a: int, n: int) -> tuple[int, ...]:
    """A first-input size with ``n`` on axis ``a`` and the smallest valid size elsewhere."""
    out = []
    for b, v in enumerate(r.validity):
        assert v is not None and v.minimum is not None
        out.append(n if b == a else v.minimum)
    return tuple(out)


def confirm_counterexamples(net: Network, run: Callable[[tuple[int, ...]], TorchRun]) -> int:
    """Every counterexample and excluded-class example of the symbolic review, run in
    PyTorch; returns how many were confirmed."""
    r = review(net, symbolic=True)
    confirmed = 0
    for v in r.validity:
        assert v is not None
        for n, why in v.reasons:  # an excluded class: PyTorch fails at the named layer
            got = check_size(net, run, at_axis(r, v.axis, n))
            if got.data_dependent:
                continue
            assert got.failed is not None and why.startswith(got.failed), (n, why, got.error)
            confirmed += 1
    for c in r.checks:
        if c.holds_always or c.counterexample is None:
            continue
        size = at_axis(r, c.axis, c.counterexample)
        got = check_size(net, run, size)
        if got.data_dependent:
            continue
        if c.kind == "merge":  # SC208: the merge fails, its inputs have the reported sizes
            assert c.node in got.errors, (c, got)
            for name, value in c.sizes:
                assert got.shapes[name][c.axis] == value, (c, got.shapes[name])
        else:  # SC207/SC209: PyTorch runs, the restore misses by exactly the reported sizes
            assert got.failed is None, (c, got)
            for name, value in c.sizes:
                assert got.shapes[name][c.axis] == value, (c, got.shapes[name])
            assert len({v for _, v in c.sizes}) > 1
            if not c.inferred:  # SC005 at that size names the same sizes
                values, _ = evaluate(net, size)
                assert values[c.node] != values[net.node(c.node).restores or ""]
        confirmed += 1
    return confirmed


@pytest.fixture(scope="module")
def torch() -> Any:
    mod = requires("torch")  # skip locally without torch, fail when CI=true
    mod.set_num_threads(1)
    return mod


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("name", ["unet", "autoencoder", "dcgan_generator"])
def test_examples_shapes_equal_pytorch_at_random_valid_sizes(torch: Any, name: str) -> None:
    net = load(EXAMPLES / f"{name}.yaml")
    run = build(net, torch)
    r = review(net, symbolic=True)
    rng = random.Random(name)
    bound = 4 if name == "dcgan_generator" else 96  # the generator multiplies sizes by 64
    for _ in range(6):
        size = []
        for v in r.validity:
            assert v is not None
            size.append(rng.choice([n for n in range(1, bound + 1) if n in v]))
        got = check_size(net, run, tuple(size))
        assert got.failed is None and len(got.shapes) == len(net.inputs) + len(net.nodes)


def test_examples_every_counterexample_is_confirmed_by_pytorch(torch: Any) -> None:
    unet = load(EXAMPLES / "unet.yaml")
    # 4 merge counterexamples and an example for every excluded class on both axes
    assert confirm_counterexamples(unet, build(unet, torch)) == 4 * 2 + 2 * 15
    auto = load(EXAMPLES / "autoencoder.yaml")
    assert confirm_counterexamples(auto, build(auto, torch)) >= 3 * 2  # dec1..dec3 per axis


def test_a_restore_mismatch_at_a_concrete_size_is_what_pytorch_computes(torch: Any) -> None:
    net = load(EXAMPLES / "autoencoder.yaml")
    run = build(net, torch)
    for size in [(60, 64), (61, 17), (1, 9)]:
        got = check_size(net, run, size)
        r = review(net, size)
        for f in r.errors:
            assert f.code == "SC005"
            node = net.node(f.node or "")
            target = node.restores or ""
            assert got.shapes[node.name] != got.shapes[target]
            shown = (f"size {'x'.join(map(str, got.shapes[node.name]))} does not restore "
                     f"{target}={'x'.join(map(str, got.shapes[target]))}")
            assert shown in f.message
        restored = {n.name for n in net.nodes if n.restores
                    and got.shapes[n.name] == got.shapes[n.restores]}
        assert restored == {n.name for n in net.nodes if n.restores} - {
            f.node for f in r.errors}


def test_the_builder_refuses_what_it_cannot_run_faithfully(torch: Any) -> None:
    text = {"inputs": [{"name": "x", "size": ["H", "W"]}], "layers": [
        {"name": "c", "op": "conv", "kernel": 3},
        {"name": "u", "op": "max-unpool", "kernel": 2}]}
    with pytest.raises(Unbuildable, match="without a max pool"):
        build(from_dict(text), torch)
    tf = {"convention": "tensorflow", "inputs": [{"name": "x", "size": ["H"]}],
          "layers": [{"op": "conv", "kernel": 3, "padding": "SAME"}]}
    with pytest.raises(Unbuildable, match="convention tensorflow"):
        build(from_dict(tf), torch)


# --------------------------------------------------------------------------- random networks

_LAYER = st.one_of(
    st.builds(lambda k, s, p, d, c: {"op": "conv", "kernel": k, "stride": s, "padding": p,
                                     "dilation": d, "out_channels": c},
              st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
              st.integers(1, 3)),
    st.builds(lambda k, d: {"op": "conv", "kernel": k, "dilation": d, "padding": "same"},
              st.integers(1, 4), st.integers(1, 2)),
    st.builds(lambda k, s, d, c, p: {"op": "max-pool", "kernel": k, "stride": s,
                                     "padding": p % (k // 2 + 1), "dilation": d,
                                     "ceil_mode": c},
              st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.booleans(),
              st.integers(0, 1)),
    st.builds(lambda k, s, c, i, p: {"op": "avg-pool", "kernel": k, "stride": s,
                                     "padding": p % (k // 2 + 1), "ceil_mode": c,
                                     "count_include_pad": i},
              st.integers(1, 3), st.integers(1, 3), st.booleans(), st.booleans(),
              st.integers(0, 1)),
    st.builds(lambda k, s, p, d, op: {"op": "conv-transpose", "kernel": k, "stride": s,
                                      "padding": p, "dilation": d,
                                      "output_padding": op % max(s, d)},
              st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
              st.integers(0, 2)),
    st.sampled_from([
        {"op": "resize", "scale_factor": 2}, {"op": "resize", "scale_factor": "3/2"},
        {"op": "resize", "scale_factor": "1/2"},
        {"op": "resize", "scale_factor": 2, "mode": "linear"},
        {"op": "resize", "scale_factor": "3/2", "mode": "nearest-exact"},
        {"op": "resize", "size": 12}, {"op": "pixel-unshuffle", "factor": 2},
        {"op": "relu"}, {"op": "pad", "padding": [[1, 0], [1, 0]]},
        {"op": "adaptive-avg-pool", "output_size": 5},
        {"op": "adaptive-max-pool", "output_size": [3, None]},
        {"op": "global-avg-pool"}]),
    st.sampled_from([  # F.interpolate(y, size=x.shape[2:], ...)
        {"op": "resize", "like": "x"}, {"op": "resize", "like": "x", "mode": "nearest-exact"},
        {"op": "resize", "like": "x", "mode": "linear", "align_corners": True}]),
    st.just("pool-unpool"),
    st.just("shuffle"),
)


@st.composite
def torch_networks(draw: st.DrawFn) -> dict[str, Any]:
    """2-D torch-convention chains (the same parameters on both axes) with an optional concat
    skip and restore: convs (strided, dilated, 'same'), pools (ceil mode, padding,
    count_include_pad), transposed convs (output_padding up to the dilation), resizes (up,
    down, fractional, fixed size, to the input's size: ``like: x``), pixel (un)shuffle, pad,
    max pool + unpool pairs."""
    raw = draw(st.lists(_LAYER, min_size=1, max_size=5))
    layers: list[dict[str, Any]] = []
    for item in raw:
        if item == "pool-unpool":
            k = draw(st.integers(2, 3))
            s = draw(st.integers(2, 3))
            layers.append({"op": "max-pool", "kernel": k, "stride": s})
            layers.append({"op": "max-unpool", "kernel": k, "stride": s})
        elif item == "shuffle":
            layers.append({"op": "conv", "kernel": 1, "out_channels": 4})
            layers.append({"op": "pixel-shuffle", "factor": 2})
        else:
            layers.append(dict(item))
    items = [{"name": f"l{i}", **layer} for i, layer in enumerate(layers)]
    if len(items) >= 2 and draw(st.booleans()):
        b = draw(st.integers(1, len(items) - 1))
        a = draw(st.integers(-1, b - 1))
        items.append({"name": "cat", "op": "concat",
                      "inputs": [f"l{b}", "x" if a < 0 else f"l{a}"]})
    elif draw(st.booleans()):
        items[-1]["restores"] = "x"
    return {"convention": "torch", "inputs": [{"name": "x", "size": ["H", "W"], "channels": 2}],
            "layers": items}


@given(torch_networks())
def test_valid_sets_agree_with_pytorch_on_random_networks(torch: Any,
                                                          data: dict[str, Any]) -> None:
    net = from_dict(data)
    r = review(net, symbolic=True)
    v, w = r.validity
    assert v is not None and w is not None
    run = build(net, torch)
    if w.empty:  # SC003: no size works on axis 1, so PyTorch fails at every size tried
        assert any(f.code == "SC003" for f in r.errors)
        for n in range(1, 25):
            got = check_size(net, run, (n, n))
            assert got.failed is not None or got.data_dependent, n
        return
    w0 = w.minimum
    assert w0 is not None
    if v.empty:  # SC003 on axis 0 (e.g. an adaptive pool to 3 then a pixel unshuffle by 2)
        assert any(f.code == "SC003" for f in r.errors)
        for n in range(1, 25):
            got = check_size(net, run, (n, w0))
            assert got.failed is not None or got.data_dependent, n
        return
    bound = min(v.threshold + 2 * v.period, 48)
    for n in range(1, bound + 1):
        got = check_size(net, run, (n, w0))
        if got.data_dependent:
            continue  # reported by SC206 (checked by check_size)
        assert (got.failed is None) == (n in v), (json.dumps(data), n, got.error)
    confirm_counterexamples(net, run)


def test_unpool_switches_from_a_larger_plane_raise_or_misplace_in_pytorch(torch: Any) -> None:
    """A max pool 3/2 then max-unpool 3/2 on 3x4: the switches are flat positions in the 3x4
    plane, PyTorch reads them in the 3x3 output plane.  A maximum in the last column lies
    beyond it (PyTorch raises); one in the middle row lands one row off (silently)."""
    net = from_dict({"inputs": [{"name": "x", "size": ["H", "W"], "channels": 1}], "layers": [
        {"name": "pool", "op": "max-pool", "kernel": 3, "stride": 2},
        {"name": "unpool", "op": "max-unpool", "kernel": 3, "stride": 2}]})
    pool = torch.nn.MaxPool2d(3, 2, return_indices=True)
    unpool = torch.nn.MaxUnpool2d(3, 2)
    x = torch.zeros(1, 1, 3, 4)
    x[0, 0, 2, 2] = 1.0  # flat index 10 in the 3x4 plane, beyond 3x3 = 9
    y, idx = pool(x)
    with pytest.raises(RuntimeError, match="invalid max index"):
        unpool(y, idx)
    x = torch.zeros(1, 1, 3, 4)
    x[0, 0, 1, 2] = 1.0  # flat index 6: row 1 of 3x4, but row 2 of 3x3
    y, idx = pool(x)
    out = unpool(y, idx)
    assert out[0, 0, 2, 0] == 1.0 and out[0, 0, 1, 2] == 0.0
    (msg,) = [f.message for f in review(net, (3, 4)).findings if f.code == "SC206"]
    assert "at this input size (3x3 vs x=3x4)" in msg and "invalid max index" in msg
    assert [f.message for f in review(net, (5, 5)).findings if f.code == "SC206"] == [
        "unpool: windows overlap (kernel > stride): repeated indices make PyTorch's result "
        "nondeterministic (T14)"]
    (msg,) = [f.message for f in review(net, symbolic=True).findings if f.code == "SC206"]
    assert "for some valid sizes (input 4 on axis 0: unpool=3, x=4)" in msg


# --------------------------------------------------------------------------- trap findings


def _findings(layer: dict[str, Any], code: str, convention: str = "torch",
              size: Any = ("H",)) -> list[str]:
    net = from_dict({"convention": convention, "inputs": [{"name": "x", "size": list(size)}],
                     "layers": [{"name": "l", **layer}]})
    return [f.message for f in review(net).findings if f.code == code]


def test_sc201_torch_same_even_kernel_splits_like_tensorflow_same(torch: Any) -> None:
    from symconv.review.traps import same_splits

    F = torch.nn.functional
    x, w = torch.randn(1, 1, 9), torch.randn(1, 1, 4)
    (split,) = same_splits(4, 1, 1)  # TensorFlow SAME, stride 1: (1, 2), extra at the end
    assert split == (1, 2)
    assert torch.allclose(F.conv1d(x, w, padding="same"), F.conv1d(F.pad(x, split), w))
    (msg,) = _findings({"op": "conv", "kernel": 4, "padding": "same"}, "SC201")
    assert "pads one more at the end" in msg and "ONNX SAME_LOWER" in msg
    (msg,) = _findings({"op": "conv", "kernel": 4, "padding": "SAME"}, "SC201", "tensorflow")
    assert msg.endswith("PyTorch padding='same' (stride 1) splits it the same way")


def test_sc201_strided_same_depends_on_the_size(torch: Any) -> None:
    from symconv.review.traps import same_splits

    F = torch.nn.functional
    (msg,) = _findings({"op": "conv", "kernel": 7, "stride": 2, "padding": "SAME"}, "SC201",
                       "tensorflow")
    assert "pads [(2, 3), (3, 3)] depending on the input size mod 2" in msg
    assert msg.endswith("needs an explicit F.pad (its padding='same' is stride 1 only), "
                        "computed from the input size")
    w = torch.randn(1, 1, 7)
    for n, split in [(224, (2, 3)), (225, (3, 3))]:
        total = max((-(-n // 2) - 1) * 2 + 7 - n, 0)  # TensorFlow's SAME rule
        assert (total // 2, total - total // 2) == split and split in same_splits(7, 2, 1)
        y = F.conv1d(F.pad(torch.randn(1, 1, n), split), w, stride=2)
        assert y.shape[-1] == -(-n // 2)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv1d(torch.randn(1, 1, 9), w, stride=2, padding="same")
    (msg,) = _findings({"op": "conv", "kernel": 2, "padding": "same_lower"}, "SC201", "onnx")
    assert "pads [(1, 0)]" in msg and "extra pixel at the beginning" in msg
    (msg,) = _findings({"op": "max-pool", "kernel": 2, "stride": 1, "padding": "SAME"},
                       "SC201", "tensorflow")  # PyTorch pools have no padding='SAME'
    assert msg.endswith("PyTorch pools take symmetric padding only: a port needs an explicit "
                        "F.pad (with -inf)")
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        torch.nn.MaxPool1d(2, 1, padding="same")(torch.randn(1, 1, 5))


def test_sc202_ceil_mode_counts_are_pytorchs(torch: Any) -> None:
    import re

    for layer, caffe in [({"kernel": 2, "stride": 2, "padding": 1}, False),
                         ({"kernel": 1, "stride": 2}, True),
                         ({"kernel": 4, "stride": 4, "padding": 2}, False)]:
        (msg,) = _findings({"op": "max-pool", "ceil_mode": True, **layer}, "SC202")
        n, rule, plain = map(int, re.search(r"at n=(\d+): (\d+), plain ceil (\d+)",
                                            msg).groups())
        pool = torch.nn.MaxPool1d(layer["kernel"], layer["stride"],
                                  padding=layer.get("padding", 0), ceil_mode=True)
        assert pool(torch.randn(1, 1, n)).shape[-1] == rule != plain
        assert ("nor does Caffe here" in msg) == caffe


def test_sc203_only_for_pools_that_pad_and_with_the_right_advice(torch: Any) -> None:
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    include = torch.nn.AvgPool2d(3, 2, 1)(x)  # PyTorch's default counts the padding
    exclude = torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x)
    assert torch.allclose(include, torch.tensor([[16 / 12, 16 / 9], [24 / 9, 28 / 9]]))
    assert torch.equal(exclude, torch.tensor([[[[3.0, 4.0], [6.0, 7.0]]]]))
    assert _findings({"op": "avg-pool", "kernel": 3, "stride": 2, "padding": 1}, "SC203")
    assert not _findings({"op": "avg-pool", "kernel": 3, "padding": "valid"}, "SC203", "onnx")
    assert not _findings({"op": "avg-pool", "kernel": 1, "padding": "same_upper"}, "SC203",
                         "onnx")
    (msg,) = _findings({"op": "avg-pool", "kernel": 3, "padding": "SAME"}, "SC203",
                       "tensorflow")
    assert "a PyTorch port needs count_include_pad=False" in msg


def test_sc205_integer_nearest_is_judged_by_what_it_samples(torch: Any) -> None:
    import numpy as np

    from symconv.core.layers import resize_map

    F = torch.nn.functional
    x = torch.arange(6.0).reshape(1, 1, 6)
    nearest = F.interpolate(x, scale_factor=3, mode="nearest")
    assert torch.equal(F.interpolate(x, scale_factor=3, mode="nearest-exact"), nearest)
    assert not _findings({"op": "resize", "scale_factor": 3, "mode": "nearest-exact"}, "SC205")
    assert not _findings({"op": "resize", "scale_factor": 3}, "SC205", "onnx")
    for nearest_mode in ("floor", "ceil"):  # ONNX half_pixel with floor/ceil: other sources
        layer = {"op": "resize", "scale_factor": 3, "nearest_mode": nearest_mode}
        assert _findings(layer, "SC205", "onnx")
        m = resize_map(Resize(scale_factor=3, nearest_mode=nearest_mode, convention="onnx",
                              ndim=1), (1, 6))
        got = m.apply(np.arange(6.0).reshape(1, 1, 6))
        assert not np.array_equal(np.ravel(got), nearest.numpy().ravel())


@given(scaled_networks(2, 6, unpool=False), st.integers(1, 3), st.integers(1, 3))
def test_random_dags_with_merges_run_as_the_review_says(torch: Any,
                                                       case: tuple[dict[str, Any], int],
                                                       a: int, b: int) -> None:
    """Skip connections (concat and add) of 'same' convs, exact down- and up-samplers and
    pixel (un)shuffle: at sizes that are multiples of their common divisor every tensor has
    the review's shape in PyTorch, and the review calls the size valid."""
    data, den = case
    net = from_dict(data)
    size = (den * (8 + a), den * (8 + b))
    got = check_size(net, build(net, torch), size)
    assert got.failed is None, got.error
    r = review(net, symbolic=True)
    assert all(v is not None and n in v for v, n in zip(r.validity, size, strict=True))
