"""ONNX import of computed Resize sizes (shape subgraphs, resize ``like`` another tensor),
spatial Slice, cubic Resize and shape-preserving normalisations: every tensor's shape is
compared with onnxruntime's, valid sets with what onnxruntime accepts or with a brute-force
scan, and every construct that is not modelled gives one line naming its node and op."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from symconv.errors import SymconvError, UnsupportedError
from symconv.network.model import Network, Node, build, loads
from symconv.review import review
from symconv.review.propagate import evaluate, propagate_channels
from symconv.sizes.shapes import resolve, size_period, slice_length
from symconv.spec import Conv, Convention, Resize, ResizeMode, Slice

from conftest import requires

pytestmark = pytest.mark.onnx
I64_MAX = (1 << 63) - 1
I64_MIN = -(1 << 63)


# --------------------------------------------------------------------------- helpers


def _model(nodes: list[Any], inputs: list[tuple[str, list[Any]]], outputs: list[str],
           inits: Any = (), opset: int = 17) -> Any:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, d) for n, d in inputs],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _ints(name: str, values: list[int]) -> Any:
    from onnx import TensorProto, helper

    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def _floats(name: str, values: list[float]) -> Any:
    from onnx import TensorProto, helper

    return helper.make_tensor(name, TensorProto.FLOAT, [len(values)], values)


def _weight(name: str, shape: tuple[int, ...]) -> Any:
    from onnx import numpy_helper

    rng = np.random.default_rng(0)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def _session(model: Any) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _ort(sess: Any, feeds: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]] | None:
    """Every output's full shape, or None when onnxruntime rejects the input or produces an
    empty tensor (symconv rejects empty tensors)."""
    names = [o.name for o in sess.get_outputs()]
    try:
        got = sess.run(names, {k: np.zeros(v, np.float32) for k, v in feeds.items()})
    except Exception:
        return None
    shapes = {n: tuple(int(d) for d in v.shape) for n, v in zip(names, got, strict=True)}
    return None if any(0 in s for s in shapes.values()) else shapes


def _load(model: Any, tmp_path: Path, name: str = "m") -> Network:
    import onnx

    from symconv.network.onnx_import import load_onnx

    p = tmp_path / f"{name}.onnx"
    onnx.save(model, p)
    return load_onnx(p)


def _compare(net: Network, sess: Any, feeds: dict[str, tuple[int, ...]]) -> bool:
    """symconv and onnxruntime agree on this input: both accept it with the same spatial
    shape (and channel count) for every graph output, or both reject it.  Returns accepted."""
    size = feeds[net.inputs[0].name][2:]
    vals, failure = evaluate(net, size)
    got = _ort(sess, feeds)
    assert (got is not None) == (failure is None), (size, got, failure)
    if got is None:
        return False
    chans = propagate_channels(net, [])
    for name, shape in got.items():
        assert vals[name] == shape[2:], (size, name, vals[name], shape)
        if chans.get(name) is not None:
            assert chans[name] == shape[1], (size, name)
    return True


# --------------------------------------------------------------------------- torch-style sizes


def _unet_like_model() -> Any:
    """A decoder that resizes to the encoder's size three ways, as torch.onnx.export writes
    them: sizes = Concat(Shape(p)[:2], Cast(Concat(Unsqueeze(Gather(Shape(enc), 2)), ...))),
    sizes = Floor(Cast<float>(Shape(p)[2:]) * 2.0) (recompute_scale_factor) and sizes =
    Shape(enc) itself; each added to the encoder tensor."""
    from onnx import TensorProto, helper

    mk = helper.make_node
    nodes = [
        mk("Conv", ["x", "w1"], ["enc"], strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        mk("Conv", ["enc", "w2"], ["p"], strides=[2, 2], kernel_shape=[2, 2]),
        # like enc: Gather + Unsqueeze + Concat, as for size=enc.shape[2:]
        mk("Shape", ["enc"], ["s_enc"]),
        mk("Gather", ["s_enc", "i2"], ["h"], axis=0),
        mk("Gather", ["s_enc", "i3"], ["w"], axis=0),
        mk("Unsqueeze", ["h", "ax0"], ["h1"]),
        mk("Unsqueeze", ["w", "ax0"], ["w1_"]),
        mk("Concat", ["h1", "w1_"], ["hw"], axis=0),
        mk("Shape", ["p"], ["s_p"]),
        mk("Slice", ["s_p", "z", "two", "z"], ["nc"]),
        mk("Cast", ["hw"], ["hw64"], to=TensorProto.INT64),
        mk("Concat", ["nc", "hw64"], ["sizes_like"], axis=0),
        mk("Resize", ["p", "", "", "sizes_like"], ["up_like"], mode="linear"),
        mk("Add", ["up_like", "enc"], ["sum_like"]),
        # 2 * own size through float arithmetic (recompute_scale_factor=True)
        mk("Slice", ["s_p", "two", "big", "z"], ["p_hw"]),
        mk("Cast", ["p_hw"], ["p_hw_f"], to=TensorProto.FLOAT),
        mk("Mul", ["p_hw_f", "two_f"], ["p_hw_2"]),
        mk("Floor", ["p_hw_2"], ["p_hw_2f"]),
        mk("Cast", ["p_hw_2f"], ["p_hw_2i"], to=TensorProto.INT64),
        mk("Concat", ["nc", "p_hw_2i"], ["sizes_scale"], axis=0),
        mk("Resize", ["p", "", "", "sizes_scale"], ["up2"], mode="nearest",
           coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        mk("Add", ["up2", "enc"], ["sum2"]),
        # Shape(enc)[2:] through Identity, 'to the end' written as INT64 max
        mk("Identity", ["s_enc"], ["s_enc2"]),
        mk("Slice", ["s_enc2", "two", "big"], ["enc_hw"]),
        mk("Concat", ["nc", "enc_hw"], ["sizes_all"], axis=0),
        mk("Resize", ["p", "", "", "sizes_all"], ["up_all"], mode="cubic"),
    ]
    inits = [_weight("w1", (3, 2, 3, 3)), _weight("w2", (3, 3, 2, 2)),
             helper.make_tensor("i2", TensorProto.INT64, [], [2]),
             helper.make_tensor("i3", TensorProto.INT64, [], [3]), _ints("ax0", [0]),
             _ints("z", [0]), _ints("two", [2]), _ints("big", [I64_MAX]),
             _floats("two_f", [2.0])]
    outs = ["enc", "p", "up_like", "sum_like", "up2", "sum2", "up_all"]
    return _model(nodes, [("x", [1, 2, "H", "W"])], outs, inits)


def test_computed_sizes_become_like_scale_and_match_onnxruntime(tmp_path: Path) -> None:
    model = _unet_like_model()
    net = _load(model, tmp_path)
    like = net.node("up_like")
    assert like.op == "resize" and like.size_of == "enc" and like.inputs == ("p", "enc")
    assert net.node("up_all").size_of == "enc"
    up2 = net.node("up2").layer
    assert isinstance(up2, Resize) and up2.scale_factor == (2, 2)
    r = review(net, symbolic=True)
    formulas = {t.name: t.formula for t in r.tensors}
    assert formulas["up_like"] == formulas["enc"] == formulas["up_all"]
    v = r.validity[0]
    assert v is not None
    sess = _session(model)
    for h in range(1, 26):
        accepted = _compare(net, sess, {"x": (1, 2, h, 7)})
        assert accepted == (h in v), h
    assert any(h in v for h in range(1, 26)) and any(h not in v for h in range(3, 26))


def test_like_network_in_yaml_has_the_exact_sizes_of_the_onnx_model(tmp_path: Path) -> None:
    """The same network written with ``like:`` in YAML and as a torch-style ONNX graph: the
    same formulas and valid sets, and the sizes onnxruntime computes."""
    yaml_net = loads("""
inputs: [{name: x, size: [H, W], channels: 2}]
layers:
  - {name: enc, op: conv, kernel: 3, stride: 2, padding: 1, out_channels: 3}
  - {name: p, op: conv, kernel: 2, stride: 2, out_channels: 3}
  - {name: up_like, op: resize, like: enc, mode: linear}
  - {name: sum_like, op: add, inputs: [up_like, enc]}
  - {name: up2, op: resize, input: p, scale_factor: 2}
  - {name: sum2, op: add, inputs: [up2, enc]}
  - {name: up_all, op: resize, input: p, like: enc}
""", "yaml")
    onnx_net = _load(_unet_like_model(), tmp_path)
    a, b = review(yaml_net, symbolic=True), review(onnx_net, symbolic=True)
    assert [v.describe() for v in a.validity if v] == [v.describe() for v in b.validity if v]
    fa = {t.name: t.formula for t in a.tensors}
    fb = {t.name: t.formula for t in b.tensors}
    assert all(fa[k] == fb[k] for k in fa)
    # brute force: the valid set is exactly the sizes every layer accepts
    v = a.validity[0]
    assert v is not None
    assert a.validity[1] is not None and a.validity[1].classes == v.classes
    for h in range(1, 80):
        _, failure = evaluate(yaml_net, (h, h))  # both axes alike: valid iff h is
        assert (failure is None) == (h in v), h


@pytest.mark.parametrize("bad, message", [
    ("{name: u, op: resize, like: nowhere}", "like='nowhere' must name an input"),
    ("{name: u, op: resize, like: x, scale_factor: 2}", "must not be combined with scale"),
    ("{name: u, op: resize, like: x, size: 4}", "must not be combined with size"),
    ("{name: u, op: conv, kernel: 1, like: x}", "must only be given for op resize"),
    ("{name: u, op: resize, like: [x]}", "must be a tensor name"),
    ("{name: u, op: resize, like: u}", "must name an input or another layer"),
    ("{name: u, op: resize, like: x, mode: bogus}", "mode='bogus' must be one of"),
    ("{name: u, op: resize, like: x, inputs: [x, x]}", "must name exactly one tensor"),
])
def test_like_is_validated(bad: str, message: str) -> None:
    with pytest.raises(SymconvError, match=message) as info:
        loads(f"inputs: [{{name: x, size: [H]}}]\nlayers:\n  - {bad}\n", "yaml")
    assert "\n" not in str(info.value)


def test_like_cycle_is_named() -> None:
    with pytest.raises(SymconvError, match="cycle"):
        loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: a, op: resize, like: b}
  - {name: b, op: conv, kernel: 1}
""", "yaml")


def test_like_follows_periods_of_its_target() -> None:
    """Valid sets with a like-resize equal a brute-force scan (the target's period and shift
    are used, not the data input's)."""
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: a, op: conv, kernel: 3, stride: 3}
  - {name: b, op: conv, kernel: 2, stride: 2}
  - {name: c, op: resize, like: a}
  - {name: d, op: add, inputs: [c, a]}
  - {name: e, op: conv, kernel: 5, stride: 2}
  - {name: f, op: resize, input: e, like: x}
  - {name: g, op: concat, inputs: [f, x]}
""", "yaml")
    v = review(net, symbolic=True).validity[0]
    assert v is not None
    for h in range(1, 200):
        assert (evaluate(net, (h,))[1] is None) == (h in v), h
    assert v.minimum == 15  # e (kernel 5) reads d, sized like a = floor(H/3): H >= 15


def test_restore_fixes_see_the_like_resize() -> None:
    """The restore check's run-time option recomputes sizes with the like-resize taking its
    target's size (not its data input's): output_size= restores x for every even H."""
    net = loads("""
inputs: [{name: x, size: [H]}]
layers:
  - {name: enc, op: conv, k: 3, s: 2, p: 1}
  - {name: mid, op: conv, k: 3, s: 2, p: 1}
  - {name: up, op: resize, like: enc}
  - {name: cat, op: concat, inputs: [up, enc]}
  - {name: head, op: conv-transpose, kernel: 2, stride: 2, restores: x}
""", "yaml")
    check = next(c for c in review(net, symbolic=True).checks if c.node == "head")
    assert "restores x only for H = 0 mod 2 (checked)" in check.fix
    for h in range(1, 40):  # head's input is enc's size ceil(H/2): 2 * that is H iff H even
        assert (2 * evaluate(net, (h,))[0]["cat"][0] == h) == (h % 2 == 0)


# --------------------------------------------------------------------------- torch export


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_torch_export_of_interpolate_and_slicing(tmp_path: Path) -> None:
    torch = requires("torch")
    functional = torch.nn.functional

    class Net(torch.nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.down = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.mid = torch.nn.Conv2d(4, 4, 3, stride=2)

        def forward(self, x: Any) -> Any:
            skip = self.down(x)
            y = self.mid(skip)
            up = functional.interpolate(y, size=skip.shape[2:], mode="bilinear",
                                        align_corners=False)
            up2 = functional.interpolate(y, scale_factor=2, mode="nearest",
                                         recompute_scale_factor=True)
            crop = x[:, :2, 1:-1, ::2]
            return up + skip, up2, crop, torch.flip(skip, dims=[3])[:, :, 2:]

    path = tmp_path / "torch.onnx"
    torch.onnx.export(Net(), (torch.zeros(1, 3, 16, 16),), str(path), dynamo=False,
                      input_names=["x"], output_names=["sum", "up2", "crop", "flip"],
                      dynamic_axes={"x": {2: "H", 3: "W"}}, opset_version=17)
    import onnx

    from symconv.network.onnx_import import load_onnx

    net = load_onnx(path)
    model = onnx.load(path)
    assert any(n.size_of is not None for n in net.nodes)
    assert net.node("crop").layer == Slice(start=(1, 0), end=(-1, None), step=(1, 2),
                                           channels=None, ndim=2) or any(
        isinstance(n.layer, Slice) and n.layer.channels == (0, 2, 1) for n in net.nodes)
    sess = _session(model)
    v = review(net, symbolic=True).validity
    for h, w in itertools.product(range(1, 14), (3, 8)):
        ok = _compare(net, sess, {"x": (1, 3, h, w)})
        assert ok == (h in v[0] and w in v[1]), (h, w)  # type: ignore[operator]


# --------------------------------------------------------------------------- Slice


_BOUNDS = [I64_MIN, -I64_MAX, -7, -3, -1, 0, 1, 2, 5, (1 << 31) - 1, I64_MAX]


@pytest.mark.parametrize("onnx", [True, False])
def test_slice_length_formulas_and_period(onnx: bool) -> None:
    """Python semantics equal Python's slicing; ONNX's differ only for a negative step whose
    start lies before the beginning (onnxruntime is the judge in the grid test below).  The
    size period holds past |start| + |end|, and the symbolic formula wherever non-empty."""
    import sympy

    h = sympy.Symbol("H", integer=True, positive=True)
    conv = "onnx" if onnx else "torch"
    for start, end, step in itertools.product(range(-5, 6), [None, *range(-5, 6)],
                                              (-2, -1, 1, 3)):
        period, shift = size_period(Slice(start=start, end=end, step=step, convention=conv))
        settle = abs(start) + abs(end or 0) + 1
        formula = slice_length(h, start, end, step, onnx=onnx) if max(
            abs(start), abs(end or 0)) <= 3 else None
        for n in range(1, 16):
            length = slice_length(n, start, end, step, onnx=onnx)
            python = len(range(n)[start:end:step])
            if onnx and step < 0 and start < -n:
                assert length == len(range(n)[0:end:step])
            else:
                assert length == python
            if length and formula is not None and n <= 9:
                assert formula.xreplace({h: n}) == length, (start, end, step, n)
            if n >= settle:
                assert slice_length(n + period, start, end, step, onnx=onnx) == length + shift


def test_slice_matches_onnxruntime_over_a_grid(tmp_path: Path) -> None:
    """Hundreds of Slice nodes in one model (1-D input, one per (start, end, step)), every
    one compared with onnxruntime's output length at every size 1..13."""
    from onnx import helper

    nodes, inits, outs, cases = [], [], [], {}
    for i, (s0, e0, sp) in enumerate(itertools.product(_BOUNDS, _BOUNDS, (-3, -1, 1, 2))):
        names = [f"s{i}", f"e{i}", f"a{i}", f"p{i}"]
        inits += [_ints(names[0], [s0]), _ints(names[1], [e0]), _ints(names[2], [-1]),
                  _ints(names[3], [sp])]
        nodes.append(helper.make_node("Slice", ["x", *names], [f"y{i}"]))
        outs.append(f"y{i}")
        cases[f"y{i}"] = (s0, e0, sp)
    model = _model(nodes, [("x", [1, 1, "N"])], outs, inits)
    sess = _session(model)
    from symconv.network.onnx_import import from_model

    net = from_model(model)
    specs = {n.name: n.layer for n in net.nodes}
    names = [o.name for o in sess.get_outputs()]
    from symconv.core.layers import slice_map

    rng = np.random.default_rng(1)
    for n in range(1, 14):
        x = rng.standard_normal((1, 1, n)).astype(np.float32)
        got = sess.run(names, {"x": x})
        for name, y in zip(names, got, strict=True):
            length = y.shape[2]
            spec = specs[name]
            assert isinstance(spec, Slice)
            if length == 0:
                with pytest.raises(SymconvError, match="empty"):
                    resolve(spec, (n,))
                continue
            assert resolve(spec, (n,)).output == (length,), (cases[name], n)
            m = slice_map(spec, (1, n))  # the exact 0/1 map gives onnxruntime's values
            assert m.out_shape == (1, length)
            assert np.array_equal(x.ravel()[m.cols[np.argsort(m.rows)]], y.ravel())


def test_slice_on_channel_and_batch_axes(tmp_path: Path) -> None:
    from onnx import helper

    nodes = [
        helper.make_node("Slice", ["x", "s", "e", "a", "p"], ["y"]),  # channels 1::2, W -2:
        helper.make_node("Slice", ["y", "z", "one", "z"], ["b"]),  # batch 0:1
        helper.make_node("Conv", ["b", "w"], ["c"], kernel_shape=[2, 2]),
    ]
    inits = [_ints("s", [1, -2]), _ints("e", [I64_MAX, I64_MAX]), _ints("a", [1, 3]),
             _ints("p", [2, 1]), _ints("z", [0]), _ints("one", [1]), _weight("w", (2, 3, 2, 2))]
    model = _model(nodes, [("x", [2, 6, "H", "W"])], ["y", "b", "c"], inits)
    net = _load(model, tmp_path)
    assert net.node("y").layer == Slice(start=(0, -2), end=(None, None), step=(1, 1),
                                        channels=(1, None, 2), ndim=2)
    r = review(net, symbolic=True)
    assert {t.name: t.channels for t in r.tensors}["y"] == 3
    v = r.validity
    sess = _session(model)
    for h, w in itertools.product(range(1, 5), range(1, 5)):
        ok = _compare(net, sess, {"x": (2, 6, h, w)})
        assert ok == (h in v[0] and w in v[1]), (h, w)  # type: ignore[operator]


@pytest.mark.parametrize("spec", [
    Slice(start=(1, -4), end=(-1, None), step=(2, -1), channels=(2, None, -2), ndim=2),
    Slice(start=(0, 7), end=(3, 1), step=(1, -3), convention="torch", ndim=2),
])
def test_linear_map_of_a_slice_is_numpy_slicing(spec: Slice) -> None:
    """The exact 0/1 map of symconv.core.linear_map against NumPy indexing (Python slicing;
    under ONNX the clamping agrees with Python for these bounds, which stay inside)."""
    from symconv.core import linear_map

    x = np.arange(5 * 6 * 8).reshape(5, 6, 8)
    m = linear_map(spec, x.shape)
    ch = slice(*spec.channels) if spec.channels else slice(None)
    want = x[ch, slice(spec.start[0], spec.end[0], spec.step[0]),
             slice(spec.start[1], spec.end[1], spec.step[1])]
    assert m.out_shape == want.shape
    assert np.array_equal(m.numeric() @ x.ravel(), want.ravel())


def test_slice_in_a_network_file_equals_the_onnx_import(tmp_path: Path) -> None:
    """op: slice in YAML (ONNX convention) and the same ONNX Slice nodes: one network, the
    same formulas, channels and valid sets, and onnxruntime's shapes."""
    from onnx import helper

    yaml_net = loads("""
convention: onnx
inputs: [{name: x, size: [H, W], channels: 6}]
layers:
  - {name: y, op: slice, start: [1, -4], end: [-1, null], step: [2, -1], channels: [1, null, 2]}
  - {name: c, op: conv, kernel: 3, out_channels: 2}
""", "yaml")
    m = _model([helper.make_node("Slice", ["x", "s", "e", "a", "p"], ["y"]),
                helper.make_node("Conv", ["y", "w"], ["c"], kernel_shape=[3, 3])],
               [("x", [1, 6, "H", "W"])], ["y", "c"],
               [_ints("s", [1, 1, -4]), _ints("e", [I64_MAX, -1, I64_MIN]),
                _ints("a", [1, 2, 3]), _ints("p", [2, 2, -1]), _weight("w", (2, 3, 3, 3))])
    onnx_net = _load(m, tmp_path)
    assert onnx_net.node("y").layer == yaml_net.node("y").layer
    a, b = review(yaml_net, symbolic=True), review(onnx_net, symbolic=True)
    assert [(t.formula, t.channels) for t in a.tensors] == [(t.formula, t.channels)
                                                           for t in b.tensors]
    assert [v.describe() for v in a.validity if v] == ["H >= 7", "W >= 6"]
    sess = _session(m)
    for h, w in itertools.product(range(4, 9), range(1, 8)):
        assert _compare(yaml_net, sess, {"x": (1, 6, h, w)}) == (h >= 7 and w >= 6), (h, w)


def _chain(*layers: Any) -> Network:
    nodes, prev = [], "x"
    for i, layer in enumerate(layers):
        nodes.append(Node(f"l{i}", "slice" if isinstance(layer, Slice) else "conv", layer,
                          (prev,)))
        prev = f"l{i}"
    return build("chain", Convention.ONNX, (loads(
        "inputs: [{name: x, size: [N]}]\nlayers: [{op: relu}]", "yaml").inputs[0],),
        tuple(nodes))


@pytest.mark.parametrize("layers", [
    (Slice(start=0, end=7), Conv(kernel=3)),  # constant end: size min(7, n)
    (Conv(kernel=3, stride=2), Slice(start=1, end=-1), Conv(kernel=2, stride=3)),
    (Slice(start=2, end=40, step=3), Conv(kernel=4)),
    (Slice(start=-5, end=None), Conv(kernel=5)),  # the last 5: constant once n >= 5
    (Slice(start=-1, end=None, step=-2), Conv(kernel=3, stride=2), Slice(start=0, end=9)),
    (Slice(start=3, end=-3, step=2), Slice(start=20, end=1, step=-1), Conv(kernel=2)),
], ids=lambda ls: "+".join(type(x).__name__ for x in ls))
def test_valid_sets_with_slices_are_exact_by_brute_force(layers: tuple[Any, ...]) -> None:
    """Clamped slices are not quasi-affine below their constants; the valid-set scan still
    evaluates every size there (the slice's constants bound its settle point)."""
    net = _chain(*layers)
    v = review(net, symbolic=True).validity[0]
    assert v is not None
    for n in range(1, 400):
        assert (evaluate(net, (n,))[1] is None) == (n in v), n


# --------------------------------------------------------------------------- cubic, norms


def test_cubic_resize_and_normalisations_match_onnxruntime(tmp_path: Path) -> None:
    from onnx import helper

    mk = helper.make_node
    nodes = [
        mk("LRN", ["x"], ["lrn"], size=3),
        mk("MeanVarianceNormalization", ["lrn"], ["mvn"]),
        mk("InstanceNormalization", ["mvn", "g4", "b4"], ["inorm"]),
        mk("LayerNormalization", ["inorm", "gw", "bw"], ["ln"], axis=-1),
        mk("Dropout", ["ln", "ratio", "train"], ["drop"]),
        mk("Resize", ["drop", "", "sc"], ["cub"], mode="cubic", cubic_coeff_a=-0.5,
           exclude_outside=1),
        mk("Resize", ["drop", "", "", "sz"], ["cub2"], mode="cubic"),
    ]
    from onnx import TensorProto

    inits = [_floats("g4", [1.0] * 4), _floats("b4", [0.0] * 4),
             helper.make_tensor("ratio", TensorProto.FLOAT, [], [0.5]),
             helper.make_tensor("train", TensorProto.BOOL, [], [False]),
             _floats("sc", [1, 1, 1.5, 2]), _ints("sz", [1, 4, 5, 9])]
    gw = helper.make_tensor("gw", TensorProto.FLOAT, [7], [1.0] * 7)
    bw = helper.make_tensor("bw", TensorProto.FLOAT, [7], [0.0] * 7)
    model = _model(nodes, [("x", [1, 4, "H", 7])], ["cub", "cub2", "drop"],
                   [*inits, gw, bw])
    net = _load(model, tmp_path)
    cub = net.node("cub").layer
    assert isinstance(cub, Resize) and cub.mode is ResizeMode.CUBIC
    assert [net.node(n).op for n in ("lrn", "mvn", "inorm", "ln", "drop")] == ["identity"] * 5
    sess = _session(model)
    for h in range(1, 12):
        assert _compare(net, sess, {"x": (1, 4, h, 7)})


def test_group_norm_and_dropout_with_a_training_flag_input(tmp_path: Path) -> None:
    """A rank-0 graph input (Dropout's training_mode) is a run-time parameter, not a spatial
    input; GroupNormalization (opset 21) is shape-preserving."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    mk = helper.make_node
    graph = helper.make_graph(
        [mk("GroupNormalization", ["x", "g", "b"], ["gn"], num_groups=2, epsilon=1e-5),
         mk("Dropout", ["gn", "ratio", "training"], ["d"]),
         mk("Conv", ["d", "w"], ["y"], kernel_shape=[3, 3], strides=[2, 2])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "H", "W"]),
              helper.make_tensor_value_info("training", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [_floats("g", [1.0] * 4), _floats("b", [0.0] * 4), _weight("w", (2, 4, 3, 3)),
         helper.make_tensor("ratio", TensorProto.FLOAT, [], [0.25])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    net = _load(model, tmp_path)
    assert [i.name for i in net.inputs] == ["x"]
    assert [n.op for n in net.nodes] == ["identity", "identity", "conv"]
    v = review(net, symbolic=True).validity
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for h in range(1, 9):
        feeds = {"x": np.zeros((1, 4, h, 5), np.float32), "training": np.array(False)}
        try:
            got = sess.run(None, feeds)[0].shape[2:]
        except Exception:
            got = None
        assert (got is not None) == (h in v[0]), h  # type: ignore[operator]
        if got is not None:
            assert tuple(got) == evaluate(net, (h, 5))[0]["y"]


# --------------------------------------------------------------------------- one line


def _one_line(model: Any, tmp_path: Path, *needles: str) -> None:
    with pytest.raises(SymconvError) as info:
        _load(model, tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg


def _resize_with(nodes: list[Any], inits: list[Any], sizes: str = "sz") -> Any:
    from onnx import helper

    return _model([*nodes, helper.make_node("Resize", ["x", "", "", sizes], ["y"],
                                            name="the_resize")],
                  [("x", [1, 1, "H", "W"])], ["y"], inits)


def test_unfoldable_shape_arithmetic_is_one_line(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    mk = helper.make_node
    base = [mk("Shape", ["x"], ["s"]), mk("Slice", ["s", "z", "two", "z"], ["nc"]),
            mk("Slice", ["s", "two", "four", "z"], ["hw"])]
    ints = [_ints("z", [0]), _ints("two", [2]), _ints("four", [4])]
    # x.shape[2:] // 2: an integer division that is not exact for every size
    m = _resize_with([*base, mk("Div", ["hw", "two"], ["half"], name="halve"),
                      mk("Concat", ["nc", "half"], ["sz"], axis=0)], ints)
    _one_line(m, tmp_path, "'the_resize' (Resize)", "'halve' (Div)", "integer division")
    # an operator the folder does not know
    m = _resize_with([*base, mk("Range", ["two", "four", "two"], ["r"], name="rng"),
                      mk("Concat", ["nc", "r"], ["sz"], axis=0)], ints)
    _one_line(m, tmp_path, "'the_resize' (Resize)", "'rng' (Range)")
    # a product of two sizes
    m = _resize_with([*base, mk("Mul", ["hw", "hw"], ["sq"], name="square"),
                      mk("Concat", ["nc", "sq"], ["sz"], axis=0)], ints)
    _one_line(m, tmp_path, "'square' (Mul)", "product of two sizes")
    # H + 1: neither a constant, a scale nor another tensor's size
    m = _resize_with([*base, mk("Add", ["hw", "one"], ["plus"]),
                      mk("Concat", ["nc", "plus"], ["sz"], axis=0)], [*ints, _ints("one", [1])])
    _one_line(m, tmp_path, "'the_resize' (Resize)", "sizes[2]", "not modelled")
    # the channel entry changed
    m = _resize_with([*base, mk("Slice", ["s", "one", "two", "z"], ["c"]),
                      mk("Concat", ["two", "c", "hw"], ["sz"], axis=0)],
                     [*ints, _ints("one", [1])])
    _one_line(m, tmp_path, "sizes[0]=2", "batch")
    # channels taken from another tensor with another channel count (known from the
    # weights: 2 against x's 1)
    m = _resize_with([mk("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]),
                      mk("Shape", ["c"], ["sz"])], [_weight("w", (2, 1, 1, 1))])
    _one_line(m, tmp_path, "'the_resize' (Resize)", "sizes[1]", "channel count of 'x'")
    # a Slice with computed bounds
    m = _model([mk("Shape", ["x"], ["s"]), mk("Slice", ["s", "two", "three", "z"], ["e"]),
                mk("Slice", ["x", "one", "e", "two"], ["y"], name="crop")],
               [("x", [1, 1, "H", "W"])], ["y"],
               [_ints("z", [0]), _ints("one", [1]), _ints("two", [2]), _ints("three", [3])])
    _one_line(m, tmp_path, "'crop' (Slice)", "constants")
    # mixed: H from another tensor, W constant
    m = _resize_with([mk("Shape", ["x"], ["s"]), mk("Slice", ["s", "z", "three", "z"], ["a"]),
                      mk("Concat", ["a", "seven"], ["sz"], axis=0)],
                     [_ints("z", [0]), _ints("three", [3]), _ints("seven", [7])])
    _one_line(m, tmp_path, "'the_resize' (Resize)", "mixes")
    assert TensorProto.INT64  # the helpers build INT64 tensors


def test_unsupported_op_in_the_spatial_part_is_named(tmp_path: Path) -> None:
    from onnx import helper

    m = _model([helper.make_node("Relu", ["x"], ["r"]),
                helper.make_node("LpPool", ["r"], ["y"], kernel_shape=[2, 2], name="lp")],
               [("x", [1, 1, "H", "W"])], ["y"])
    with pytest.raises(UnsupportedError, match="LpPool \\(node 'lp'\\)") as info:
        _load(m, tmp_path)
    assert "\n" not in str(info.value)


def test_a_classifier_head_reading_shapes_is_still_a_head(tmp_path: Path) -> None:
    """x.view(x.size(0), -1) as torch writes it: Shape -> Gather -> Unsqueeze -> Concat ->
    Reshape; the Reshape starts the head, the shape program is folded, nothing fails."""
    from onnx import TensorProto, helper

    mk = helper.make_node
    m = _model([
        mk("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3]),
        mk("Shape", ["c"], ["s"]), mk("Gather", ["s", "i0"], ["n"], axis=0),
        mk("Unsqueeze", ["n", "ax"], ["n1"]), mk("Concat", ["n1", "m1"], ["shape"], axis=0),
        mk("Reshape", ["c", "shape"], ["flat"], name="view"),
    ], [("x", [1, 1, "H", "W"])], ["flat"],
        [_weight("w", (2, 1, 3, 3)), helper.make_tensor("i0", TensorProto.INT64, [], [0]),
         _ints("ax", [0]), _ints("m1", [-1])])
    net = _load(m, tmp_path)
    assert [n.name for n in net.nodes] == ["c"]
    assert net.ignored and "Reshape 'view'" in net.ignored[0]


def test_a_resize_to_another_tensor_of_the_same_static_channel_count_is_a_like_resize() -> None:
    """x (1 channel) resized to Shape(c) where c is a conv of x with one output channel: the
    weights say c has x's channel count, so the sizes are c's spatial size."""
    from onnx import helper

    from symconv.network.onnx_import import from_model

    mk = helper.make_node
    m = _resize_with([mk("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], strides=[2, 2]),
                      mk("Shape", ["c"], ["sz"])], [_weight("w", (1, 1, 3, 3))])
    net = from_model(m)
    assert net.node("y").size_of == "c"
