"""Adaptive and global pooling (AdaptiveAvgPool, AdaptiveMaxPool) through every layer of symconv.

Oracles, each independent of the code it checks:

* the definition: output ``i`` of an axis reads ``[floor(i n/o), ceil((i+1) n/o))``, written
  again here (:func:`window`) and used for brute-force sizes, dependency matrices and counts;
* the numeric reference ops (``symconv.numeric``), exact with Fractions;
* PyTorch (``adaptive_avg_pool{1,2,3}d``/``adaptive_max_pool{1,2,3}d`` with indices) and
  onnxruntime (``GlobalAveragePool``/``GlobalMaxPool``, ``ReduceMean``/``ReduceMax`` with
  ``keepdims=1``), run in a child process because onnxruntime can die on degenerate sizes.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from fractions import Fraction
from math import prod
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from _tex import compile_and_rasterise
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    Conv,
    InvalidSpecError,
    MaxPool,
    numeric,
    output_channels,
    output_shape,
    resolve,
)
from symconv.cli import cli
from symconv.core import (
    adaptive_avg_pool_map,
    adaptive_max_pool_selection_map,
    linear_map,
)
from symconv.coverage import analyze, checkerboard, gradient_checkerboard
from symconv.coverage.receptive import receptive_field
from symconv.report.facts import layer_facts
from symconv.report.latex import layer_document
from symconv.sizes.bruteforce import brute_output_size
from symconv.sizes.proof import prove_all_axes, prove_output_size
from symconv.sizes.shapes import size_period
from symconv.spec.syntax import format_layer, parse_layer

from conftest import requires
from strategies import CONVENTIONS, adaptive_specs, valid_input_sizes

# --------------------------------------------------------------------------- the definition


def window(i: int, n: int, o: int | None) -> range:
    """Input positions output ``i`` of an axis reads (PyTorch's start_index / end_index)."""
    if o is None:
        return range(i, i + 1)
    return range((i * n) // o, -((-(i + 1) * n) // o))


def sizes_out(spec: Any, n: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(m if o is None else o for m, o in zip(n, spec.at(len(n)).output_size,
                                                       strict=True))


def dense_avg(spec: Any, n: tuple[int, ...]) -> np.ndarray:
    """The averaging matrix of one channel, entry by entry from the definition (Fractions)."""
    o = sizes_out(spec, n)
    sp = spec.at(len(n))
    mat = np.zeros((prod(o), prod(n)), dtype=object)
    mat[...] = Fraction(0)
    for i, out in enumerate(itertools.product(*(range(p) for p in o))):
        box = [window(j, m, q) for j, m, q in zip(out, n, sp.output_size, strict=True)]
        size = prod(len(b) for b in box)
        for pos in itertools.product(*box):
            mat[i, np.ravel_multi_index(pos, n)] = Fraction(1, size)
    return mat


@st.composite
def case(draw: st.DrawFn, max_n: int = 9, convention: str = "torch") -> tuple[Any, tuple[int, ...]]:
    """The kit's adaptive pooling spec (output sizes up to ``max_n``) in 1-3 D and its valid
    input sizes ``1..max_n`` (``layers(kind="adaptive-pool")`` fixes the output bound at 12)."""
    spec = draw(adaptive_specs(draw(st.integers(1, 3)), convention, max_size=max_n))
    return spec, draw(valid_input_sizes(spec, span=max_n - 1))


# --------------------------------------------------------------------------- spec


def test_spec_fields_and_validation() -> None:
    a = AdaptiveAvgPool(7)
    assert a.output_size == (7,) and a.ndim is None and a.convention == "torch"
    assert AdaptiveAvgPool((None, 7)).ndim == 2
    assert AdaptiveMaxPool(output_size=(2, 3, None)).output_size == (2, 3, None)
    assert a.at(2).output_size == (7, 7)
    assert repr(AdaptiveMaxPool((None, 7))) == "AdaptiveMaxPool(output_size=(None, 7))"
    assert AdaptiveAvgPool(7) == AdaptiveAvgPool(output_size=7) != AdaptiveMaxPool(7)
    with pytest.raises(AttributeError):
        a.output_size = (3,)  # type: ignore[misc]
    assert not hasattr(a, "__dict__")  # slotted
    for bad, msg in [(0, "output_size=0 must be a positive integer"),
                     (True, "output_size=True must be an integer"),
                     (None, "output_size=None must be a positive integer or a tuple"),
                     ((3, 0), "output_size=(3,0): output_size=0 must be a positive integer"),
                     ((None,), "output_size=(None,) must be a positive integer for 1-D"),
                     ("7", "output_size='7' must be an integer")]:
        with pytest.raises(InvalidSpecError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            AdaptiveAvgPool(bad)
    with pytest.raises(InvalidSpecError, match="must have one entry per spatial axis"):
        AdaptiveAvgPool((1, 2), ndim=3)


#: (convention, words that must appear, words of other frameworks that must not)
_APIS = {
    "onnx": (("ONNX", "GlobalAveragePool", "ReduceMean", "keepdims=1"),
             ("GlobalMaxPool", "PyTorch", "Keras", "TensorFlow", "jnp")),
    "tensorflow": (("TensorFlow", "tf.reduce_mean", "keepdims=True"),
                   ("ONNX", "PyTorch", "Keras", "jnp")),
    "keras": (("Keras", "GlobalAveragePooling1D/2D/3D", "keepdims=True"),
              ("ONNX", "PyTorch", "tf.reduce", "jnp")),
    "jax": (("JAX", "jnp.mean", "keepdims=True"), ("ONNX", "PyTorch", "Keras", "tf.")),
}


@pytest.mark.parametrize("convention", sorted(_APIS))
def test_global_only_conventions_name_their_own_api(convention: str) -> None:
    assert AdaptiveAvgPool(1, convention=convention).output_size == (1,)
    assert AdaptiveMaxPool((1, 1), convention=convention).output_size == (1, 1)
    for size in (2, (1, 7), (None, 1)):
        with pytest.raises(InvalidSpecError) as exc:
            AdaptiveAvgPool(size, convention=convention)
        text = str(exc.value)
        assert "\n" not in text and text.startswith("output_size=")
        assert f"must be 1 on every axis under convention {convention}" in text
        want, never = _APIS[convention]
        assert all(w in text for w in want), text
        assert not any(w in text for w in never), text
    with pytest.raises(InvalidSpecError) as exc:
        AdaptiveMaxPool(3, convention=convention)
    assert "max" in str(exc.value).lower() and "mean" not in str(exc.value)


def test_public_names() -> None:
    assert "AdaptiveAvgPool" in symconv.__all__ and "AdaptiveMaxPool" in symconv.__all__
    assert symconv.spec.AdaptiveAvgPool is AdaptiveAvgPool
    assert isinstance(AdaptiveMaxPool(1), symconv.spec.Layer)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sizes


@given(case(max_n=30))
def test_sizes_equal_the_definition_and_brute_force(c: tuple[Any, tuple[int, ...]]) -> None:
    spec, n = c
    r = resolve(spec, n)
    expected = sizes_out(spec, n)
    assert r.output == expected and output_shape(spec, n) == expected
    assert r.pads == ((0, 0),) * len(n)
    for a in range(len(n)):
        assert brute_output_size(spec, n[a], a) == expected[a]
        assert size_period(spec, a) == ((1, 1) if spec.output_size[a] is None else (1, 0))
    assert output_channels(spec, 5, len(n)) == 5


def test_small_and_degenerate_sizes() -> None:
    assert resolve(AdaptiveAvgPool(7), 3).output == (7,)  # n < o: windows repeat inputs
    assert resolve(AdaptiveAvgPool(7), 1).output == (7,)  # n = 1
    assert resolve(AdaptiveMaxPool(1), (1, 9)).output == (1, 1)
    r = resolve(AdaptiveAvgPool(7), 3)
    assert any("repeat inputs" in note for note in r.notes)
    assert any("share an input" in note for note in resolve(AdaptiveAvgPool(3), 10).notes)
    assert resolve(AdaptiveAvgPool(2), 10).notes == ()  # windows tile the input


def test_symbolic_sizes_are_exact() -> None:
    h, w = sympy.symbols("h w", integer=True, positive=True)
    assert resolve(AdaptiveAvgPool((None, 7)), (h, w)).output == (h, 7)
    assert output_shape(AdaptiveMaxPool(1), (h, w)) == (1, 1)


@pytest.mark.parametrize("spec", [AdaptiveAvgPool(3), AdaptiveMaxPool((None, 2)),
                                  AdaptiveAvgPool(1, convention="onnx"),
                                  AdaptiveMaxPool(1, convention="tensorflow")])
def test_an_empty_axis_is_rejected_in_one_line(spec: Any) -> None:
    nd = spec.ndim or 1
    for sizes in [(0,) * nd, (*(4,) * (nd - 1), 0)]:
        with pytest.raises(InvalidSpecError) as exc:
            resolve(spec, sizes)
        text = str(exc.value)
        assert "\n" not in text and text.startswith("input size=")
        assert "must be at least 1 on every axis for adaptive pooling" in text
        cites = {"torch": "PyTorch", "onnx": "onnxruntime"}.get(spec.convention.value)
        others = {"PyTorch", "onnxruntime"} - {cites}
        assert (cites is None or cites in text) and not any(o in text for o in others)


@pytest.mark.torch
@given(case(max_n=20))
def test_sizes_equal_pytorch(c: tuple[Any, tuple[int, ...]]) -> None:
    torch = requires("torch")
    spec, n = c
    x = torch.zeros((1, 2, *n))
    avg, mx = _torch_ops(torch, len(n))
    arg = _torch_size(spec.output_size)
    assert tuple(avg(x, arg).shape[2:]) == resolve(spec, n).output
    assert tuple(mx(x, arg).shape[2:]) == resolve(spec, n).output


@pytest.mark.torch
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_empty_axis_rejections_equal_pytorch(nd: int, kind: str) -> None:
    """PyTorch 2.13 rejects an empty spatial axis ('Expected input to have non-zero size for
    non-batch dimensions') except adaptive_avg_pool to output size 1, which returns NaN (the
    mean of nothing): symconv rejects there too (no defined output) and says so."""
    torch = requires("torch")
    avg, mx = _torch_ops(torch, nd)
    op = avg if kind == "avg" else mx
    cls = AdaptiveAvgPool if kind == "avg" else AdaptiveMaxPool
    for o in (1, 2):
        for empty in range(nd):
            n = tuple(0 if a == empty else 3 for a in range(nd))
            with pytest.raises(InvalidSpecError) as exc:
                resolve(cls(o), n)
            assert "Expected input to have non-zero size for non-batch dimensions" in str(
                exc.value)
            if kind == "avg" and o == 1:
                y = op(torch.zeros((1, 1, *n)), o)
                assert bool(torch.isnan(y).all())
                assert "returns NaN" in str(exc.value)
            else:
                with pytest.raises(RuntimeError, match="non-zero size for non-batch"):
                    op(torch.zeros((1, 1, *n)), o)


def _torch_ops(torch: Any, nd: int) -> tuple[Any, Any]:
    f = torch.nn.functional
    avg = {1: f.adaptive_avg_pool1d, 2: f.adaptive_avg_pool2d, 3: f.adaptive_avg_pool3d}[nd]
    mx = {1: f.adaptive_max_pool1d, 2: f.adaptive_max_pool2d, 3: f.adaptive_max_pool3d}[nd]
    return avg, mx


def _torch_size(sizes: tuple[Any, ...]) -> Any:
    return sizes[0] if len(sizes) == 1 else tuple(sizes)


# --------------------------------------------------------------------------- proof (T21)


@given(case(max_n=12))
def test_the_size_rule_is_proven_for_every_axis(c: tuple[Any, tuple[int, ...]]) -> None:
    spec, _ = c
    for proof in prove_all_axes(spec, spec.ndim):
        assert proof.verdict, str(proof)
        assert proof.period == 1 and proof.threshold == 1


def test_the_proof_catches_a_wrong_closed_form() -> None:
    bad = prove_output_size(AdaptiveAvgPool(5), closed_form=lambda n: min(n, 5))
    assert not bad.verdict and bad.counterexample == 1 and bad.expected == 5 and bad.got == 1
    keep = prove_output_size(AdaptiveMaxPool((None, 4)), axis=0, closed_form=lambda n: 4)
    assert not keep.verdict and keep.expected == 1


def test_cli_prove_prints_the_proof() -> None:
    result = CliRunner().invoke(cli, ["shape", "adaptive-avg-pool", "--size", "7", "--prove"])
    assert result.exit_code == 0, result.output
    assert "T21 for AdaptiveAvgPool(output_size=7) on axis 0: proven" in result.output
    assert "g(n) = 7, a constant" in result.output


# --------------------------------------------------------------------------- operator core


@settings(max_examples=25)
@given(case(max_n=7), st.integers(1, 3))
def test_avg_map_equals_the_definition_and_the_reference_op(
        c: tuple[Any, tuple[int, ...]], channels: int) -> None:
    spec, n = c
    avg = AdaptiveAvgPool(spec.output_size, convention=spec.convention)
    m = adaptive_avg_pool_map(avg, (channels, *n))
    assert m.out_shape == (channels, *sizes_out(avg, n))
    one = adaptive_avg_pool_map(avg, (1, *n)).symbolic()
    defined = dense_avg(avg, n)
    assert [[Fraction(str(v)) for v in row] for row in one.tolist()] == defined.tolist()
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(1, channels, *n))
    exact = numeric.adaptive_avg_pool(x, avg.output_size)
    assert np.array_equal(m.apply_exact(x[0]), exact[0])
    xf = np.array([[Fraction(int(v), 3) for v in x.ravel()]], dtype=object).reshape(x.shape)
    assert np.array_equal(m.apply_exact(xf[0]), numeric.adaptive_avg_pool(xf, avg.output_size)[0])
    assert linear_map(avg, (channels, *n)).equals(m)


@pytest.mark.torch
@settings(max_examples=25)
@given(case(max_n=12))
def test_avg_map_and_reference_op_equal_pytorch(c: tuple[Any, tuple[int, ...]]) -> None:
    torch = requires("torch")
    spec, n = c
    avg_op, _ = _torch_ops(torch, len(n))
    x = np.random.default_rng(1).normal(size=(2, 3, *n))
    want = avg_op(torch.tensor(x), _torch_size(spec.output_size)).numpy()
    m = adaptive_avg_pool_map(AdaptiveAvgPool(spec.output_size), (3, *n))
    got = np.stack([(m.numeric() @ xi.ravel()).reshape(want.shape[1:]) for xi in x])
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.allclose(numeric.adaptive_avg_pool(x, spec.output_size), want, rtol=1e-12,
                       atol=1e-12)


@pytest.mark.torch
@settings(max_examples=40)
@given(case(max_n=10), st.integers(0, 2**31 - 1), st.booleans())
def test_max_selection_equals_pytorch_indices_with_ties(
        c: tuple[Any, tuple[int, ...]], seed: int, with_nan: bool) -> None:
    """Values from {0, 1, 2} (ties everywhere) and, sometimes, NaNs: PyTorch keeps the first
    maximum of a window in row-major order, and the last NaN."""
    torch = requires("torch")
    spec, n = c
    mx = AdaptiveMaxPool(spec.output_size)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(1, 2, *n)).astype(np.float64)
    if with_nan:
        x[rng.random(x.shape) < 0.15] = np.nan
    _, op = _torch_ops(torch, len(n))
    values, idx = op(torch.tensor(x), _torch_size(mx.output_size), return_indices=True)
    s = adaptive_max_pool_selection_map(mx, x[0])
    plane = prod(n)
    picked = (s.cols % plane).reshape(idx.shape[1:])
    assert np.array_equal(picked, idx[0].numpy())
    ref_values, ref_idx = numeric.adaptive_max_pool(x, mx.output_size, return_indices=True)
    assert np.array_equal(ref_idx, idx.numpy())
    assert np.array_equal(ref_values, values.numpy(), equal_nan=True)
    assert linear_map(mx, x[0].shape, x=x[0]).equals(s)


def test_max_selection_ties_on_examples() -> None:
    """Hand-checked against PyTorch 2.13 (adaptive_max_pool1d/2d with return_indices)."""
    nan = float("nan")
    cases = [([1, 3, 3, 2, 3, 3, 1], 3, [1, 2, 4]), ([1] * 7, 3, [0, 2, 4]),
             ([nan, 1, nan, 2], 1, [2]), ([1, nan, 5, nan, 7], 2, [1, 3]),
             ([-np.inf] * 3, 1, [0]), ([0, 1, 2], 7, [0, 0, 1, 1, 2, 2, 2])]
    for values, o, want in cases:
        x = np.array([values], dtype=np.float64)
        assert adaptive_max_pool_selection_map(AdaptiveMaxPool(o), x).cols.tolist() == want
        assert numeric.adaptive_max_pool(x[None], o, return_indices=True)[1][0, 0].tolist() \
            == want
    grid = np.ones((1, 3, 3))
    s = adaptive_max_pool_selection_map(AdaptiveMaxPool(2), grid)
    assert s.cols.tolist() == [0, 1, 3, 4]
    exact = np.array([[Fraction(1, 3), 2, Fraction(5, 2), Fraction(5, 2)]], dtype=object)
    s = adaptive_max_pool_selection_map(AdaptiveMaxPool(2), exact)
    assert s.cols.tolist() == [1, 2]
    assert numeric.adaptive_max_pool(exact[None], 2).tolist() == [[[2, Fraction(5, 2)]]]


def test_maps_check_the_budget_before_building() -> None:
    with pytest.raises(InvalidSpecError, match="max_nnz=100 must be at least the estimated"):
        adaptive_avg_pool_map(AdaptiveAvgPool(3), (4, 20, 20), max_nnz=100)
    with pytest.raises(InvalidSpecError, match="max_nnz=10 must be at least"):
        adaptive_max_pool_selection_map(AdaptiveMaxPool(1), np.zeros((1, 20)), max_nnz=10)
    with pytest.raises(InvalidSpecError, match="x=None must be given for adaptive max pooling"):
        linear_map(AdaptiveMaxPool(1), (1, 4))


def test_large_global_pool_is_vectorised() -> None:
    """1M entries: built by numpy (no per-entry Python loop), in well under a second."""
    m = adaptive_avg_pool_map(AdaptiveAvgPool(1), (1, 1000, 1000))
    assert m.nnz == 10**6 and set(m.den.tolist()) == {10**6}
    s = adaptive_max_pool_selection_map(AdaptiveMaxPool((7, 7)),
                                        np.arange(300 * 300).reshape(1, 300, 300))
    assert s.nnz == 49


# --------------------------------------------------------------------------- numeric ops


def test_numeric_ops_validate_and_keep_dtypes() -> None:
    x = np.arange(12).reshape(1, 1, 3, 4)
    y = numeric.adaptive_avg_pool(x, (None, 2))
    assert y.dtype == object and y[0, 0].tolist() == [[Fraction(1, 2), Fraction(5, 2)],
                                                      [Fraction(9, 2), Fraction(13, 2)],
                                                      [Fraction(17, 2), Fraction(21, 2)]]
    assert numeric.adaptive_avg_pool(x.astype(float), 1).dtype == np.float64
    assert numeric.adaptive_max_pool(x, 1).dtype == x.dtype
    for bad, msg in [((1,), "one entry per spatial axis"), (0, "output_size=0 must be"),
                     ((1, 0), "only positive integers or None")]:
        with pytest.raises(InvalidSpecError, match=msg):
            numeric.adaptive_avg_pool(x, bad)
    with pytest.raises(InvalidSpecError, match="must not contain a zero-size axis"):
        numeric.adaptive_max_pool(np.zeros((1, 1, 0)), 1)
    with pytest.raises(InvalidSpecError, match="must be real"):
        numeric.adaptive_max_pool(np.zeros((1, 1, 2), dtype=complex), 1)


# --------------------------------------------------------------------------- ONNX

_ORT_CHILD = r"""
import json, sys
import numpy as np
import onnxruntime as ort
folder = sys.argv[1]
cases = json.load(open(folder + "/cases.json"))
out = {}
for name in cases:
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    try:
        sess = ort.InferenceSession(folder + "/" + name + ".onnx", opts,
                                    providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": np.load(folder + "/" + name + ".npy")})[0]
        np.save(folder + "/" + name + ".out.npy", y)
        out[name] = "ok"
    except Exception as exc:
        text = str(exc).replace("\n", " ")
        out[name] = "error: " + text[text.find("Status Message"):][:400]
json.dump(out, open(folder + "/result.json", "w"))
"""


def _onnx_model(op: str, nd: int) -> Any:
    onnx = requires("onnx")
    helper, tp = onnx.helper, onnx.TensorProto
    inits = []
    if op.startswith("Reduce"):
        axes = helper.make_tensor("axes", tp.INT64, [nd], list(range(2, 2 + nd)))
        inits.append(axes)
        node = helper.make_node(op, ["x", "axes"], ["y"], keepdims=1)
    else:
        node = helper.make_node(op, ["x"], ["y"])
    dims = ["N", "C", *(f"D{a}" for a in range(nd))]  # any size: one model per rank
    graph = helper.make_graph(
        [node], op, [helper.make_tensor_value_info("x", tp.FLOAT, dims)],
        [helper.make_tensor_value_info("y", tp.FLOAT, ["N", "C", *([1] * nd)])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _run_ort(cases: dict[str, tuple[Any, np.ndarray]], folder: Path) -> dict[str, Any]:
    """Run every (model, input) in one child process; an error or a crash of the child is a
    result, never a crash of the tests."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (model, x) in cases.items():
        (folder / f"{name}.onnx").write_bytes(model.SerializeToString())
        np.save(folder / f"{name}.npy", x)
    (folder / "cases.json").write_text(json.dumps(sorted(cases)))
    proc = subprocess.run([sys.executable, "-c", _ORT_CHILD, str(folder)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"onnxruntime child died ({proc.returncode}): {proc.stderr}"
    status = json.loads((folder / "result.json").read_text())
    return {name: np.load(folder / f"{name}.out.npy") if status[name] == "ok" else status[name]
            for name in cases}


@pytest.mark.onnx
def test_onnx_global_pools_and_reductions_equal_the_layer(tmp_path: Path) -> None:
    requires("onnxruntime")
    rng = np.random.default_rng(3)
    shapes = [(2, 3, 5), (1, 2, 4, 7), (1, 1, 1), (2, 2, 3, 1, 4), (1, 3, 1, 6)]
    cases: dict[str, tuple[Any, np.ndarray]] = {}
    for s, shape in enumerate(shapes):
        x = rng.normal(size=shape).astype(np.float32)
        x.flat[0] = x.flat[-1] = float(np.max(x)) + 1  # a tie for the maximum
        for op in ("GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax"):
            cases[f"{op}_{s}"] = (_onnx_model(op, len(shape) - 2), x)
    for op in ("GlobalAveragePool", "GlobalMaxPool"):
        cases[f"{op}_empty"] = (_onnx_model(op, 2), np.zeros((1, 1, 0, 3), np.float32))
    got = _run_ort(cases, tmp_path)
    for s, shape in enumerate(shapes):
        x = cases[f"GlobalAveragePool_{s}"][1]
        nd = len(shape) - 2
        avg = AdaptiveAvgPool(1, convention="onnx")
        mx = AdaptiveMaxPool(1, convention="onnx")
        out = (shape[0], shape[1], *resolve(avg, shape[2:]).output)
        m = linear_map(avg, shape[1:]).numeric()
        want_avg = np.stack([m @ xi.astype(np.float64).ravel() for xi in x]).reshape(out)
        want_max = np.stack([adaptive_max_pool_selection_map(mx, xi).numeric()
                             @ xi.astype(np.float64).ravel() for xi in x]).reshape(out)
        for op, want, exact in (("GlobalAveragePool", want_avg, False),
                                ("ReduceMean", want_avg, False),
                                ("GlobalMaxPool", want_max, True),
                                ("ReduceMax", want_max, True)):
            y = got[f"{op}_{s}"]
            assert isinstance(y, np.ndarray), (op, shape, y)
            assert y.shape == out, (op, shape)
            if exact:
                assert np.array_equal(y, want.astype(np.float32)), (op, shape)
            else:
                assert np.allclose(y, want, rtol=1e-5, atol=1e-6), (op, shape, nd)
    for op in ("GlobalAveragePool", "GlobalMaxPool"):
        assert "Only N can be zero" in str(got[f"{op}_empty"])
        cls = AdaptiveAvgPool if op == "GlobalAveragePool" else AdaptiveMaxPool
        with pytest.raises(InvalidSpecError, match=f"onnxruntime {op}: Invalid input shape"):
            resolve(cls(1, convention="onnx"), (0, 3))


# --------------------------------------------------------------------------- receptive field


def _deps_matrix(layers: list[Any], n: int) -> np.ndarray:
    """0/1 dependency of the stack's outputs on its inputs (1-D), from the definitions:
    valid convolutions and pools (no padding: every tap inside), adaptive windows."""
    dep = np.eye(n, dtype=np.int64)
    size = n
    for layer in layers:
        if isinstance(layer, Conv | MaxPool):
            k, s = layer.kernel[0], layer.stride[0]
            o = (size - k) // s + 1
            step = np.zeros((o, size), dtype=np.int64)
            for j in range(o):
                step[j, j * s: j * s + k] = 1
        else:
            o = size if layer.output_size[0] is None else layer.output_size[0]
            step = np.zeros((o, size), dtype=np.int64)
            for j in range(o):
                step[j, list(window(j, size, layer.output_size[0]))] = 1
        dep = (step @ dep > 0).astype(np.int64)
        size = o
    return dep


@given(st.lists(st.sampled_from(["conv", "pool", "adaptive"]), min_size=1, max_size=4),
       st.data())
def test_receptive_field_equals_brute_force_dependencies(kinds: list[str],
                                                         data: st.DataObject) -> None:
    layers: list[Any] = []
    for kind in kinds:
        if kind == "conv":
            layers.append(Conv(kernel=data.draw(st.integers(1, 3), label="k")))
        elif kind == "pool":
            layers.append(MaxPool(kernel=2))
        else:
            cls = data.draw(st.sampled_from([AdaptiveAvgPool, AdaptiveMaxPool]))
            layers.append(cls(data.draw(st.integers(1, 9), label="o")))
    n = data.draw(st.integers(8, 40), label="n")
    size = n
    for layer in layers:  # keep the stack valid for n
        if isinstance(layer, Conv | MaxPool) and size < layer.kernel[0]:
            return
        size = resolve(layer, size).output[0]
    rf = receptive_field(layers, input_size=n)
    dep = _deps_matrix(layers, n)
    for j in range(dep.shape[0]):
        cols = np.flatnonzero(dep[j])
        assert rf.span(j) == (int(cols[0]), int(cols[-1])), (layers, n, j)
    if any(isinstance(la, AdaptiveAvgPool | AdaptiveMaxPool) for la in layers):
        assert any("adaptive" in note for note in rf.notes)


def test_receptive_field_needs_the_input_size_unless_the_axis_is_kept() -> None:
    with pytest.raises(InvalidSpecError, match="input_size=None must be given for "
                                               "AdaptiveAvgPool"):
        receptive_field([AdaptiveAvgPool(3)])
    kept = receptive_field([AdaptiveMaxPool((None, 3)), Conv(kernel=3)], axis=0)
    assert kept.size == 3 and kept.notes == ()
    rf = receptive_field([AdaptiveAvgPool((None, 4))], input_size=(5, 10), axis=1)
    assert [rf.span(j) for j in range(4)] == [(0, 2), (2, 4), (5, 7), (7, 9)]
    assert (rf.period, rf.shift) == (2, 5)


# --------------------------------------------------------------------------- coverage


@settings(max_examples=25)
@given(case(max_n=9))
def test_coverage_counts_are_window_counts(c: tuple[Any, tuple[int, ...]]) -> None:
    spec, n = c
    o = sizes_out(spec, n)
    sp = spec.at(len(n))
    fwd = checkerboard(spec, n)
    want = np.zeros(o, dtype=np.int64)
    back = np.zeros(n, dtype=np.int64)
    for out in itertools.product(*(range(p) for p in o)):
        box = [window(j, m, q) for j, m, q in zip(out, n, sp.output_size, strict=True)]
        want[out] = prod(len(b) for b in box)
        for pos in itertools.product(*box):
            back[pos] += 1
    assert np.array_equal(fwd.counts, want)
    assert np.array_equal(gradient_checkerboard(spec, n).counts, back)


def test_coverage_analysis_of_a_stack_says_the_windows_vary() -> None:
    a = analyze([Conv(kernel=3, padding=1), AdaptiveAvgPool(3)], 10)
    lc = a.per_layer[1]
    assert lc.constant_preserving is True
    assert lc.notes and "depend on the input size" in lc.notes[0]
    assert "overlap" in lc.notes[0]
    assert list(lc.gradient.counts) == [1, 1, 1, 2, 1, 1, 2, 1, 1, 1]
    tiled = analyze([AdaptiveMaxPool((2, None))], (8, 3)).per_layer[0]
    assert "tile the input" in tiled.notes[0] and tiled.constant_preserving is None
    result = CliRunner().invoke(cli, ["coverage", "--layer", "conv k=3 p=1", "--layer",
                                      "adaptive-avg-pool o=3", "--in", "10"])
    assert result.exit_code == 0, result.output
    assert "  note      adaptive windows" in result.output
    js = CliRunner().invoke(cli, ["coverage", "--layer", "global-max-pool", "--in", "4x4",
                                  "--json"])
    assert js.exit_code == 0 and json.loads(js.output)["layers"][0]["notes"]


# --------------------------------------------------------------------------- layer syntax

SYNTAX = [
    ("adaptive-avg-pool o=7x7", AdaptiveAvgPool((7, 7))),
    ("adaptive-avg-pool o=7", AdaptiveAvgPool(7)),
    ("adaptive-max-pool o=nonex7", AdaptiveMaxPool((None, 7))),
    ("adaptive-max-pool o=1x1", AdaptiveMaxPool((1, 1))),
    ("global-avg-pool", AdaptiveAvgPool(1)),
    ("global-max-pool convention=onnx", AdaptiveMaxPool(1, convention="onnx")),
]


@pytest.mark.parametrize(("text", "spec"), SYNTAX, ids=[t for t, _ in SYNTAX])
def test_syntax_parses_and_formats(text: str, spec: Any) -> None:
    assert parse_layer(text) == spec
    assert format_layer(spec) == text
    assert parse_layer("adaptive-max-pool o=1") == AdaptiveMaxPool(1)
    assert parse_layer("ADAPTIVE_AVG_POOL output_size=NONEx3") == AdaptiveAvgPool((None, 3))


@given(st.sampled_from(CONVENTIONS).flatmap(
    lambda c: st.integers(1, 3).flatmap(lambda nd: adaptive_specs(nd, c))))
def test_syntax_round_trip(spec: Any) -> None:
    # a 1-D spec with a per-axis tuple reads back as the broadcast spec (as for every layer)
    assert parse_layer(format_layer(spec)).at(spec.ndim) == spec


@pytest.mark.parametrize(("text", "column", "words"), [
    ("adaptive-avg-pool", 18, "must give o="),
    ("adaptive-avg-pool o=0", 19, "output_size=0 must be a positive integer"),
    ("adaptive-avg-pool o=ax3", 21, "o=ax3"),
    ("adaptive-max-pool o=7 convention=keras", 19, "GlobalMaxPooling1D/2D/3D"),
    ("global-avg-pool o=3", 17, "adaptive-avg-pool o=..."),
    ("global-max-pool ceil", 17, "'ceil'"),
])
def test_syntax_errors_name_the_column(text: str, column: int, words: str) -> None:
    from symconv.spec.syntax import LayerSyntaxError

    with pytest.raises(LayerSyntaxError) as exc:
        parse_layer(text)
    assert exc.value.column == column and words in str(exc.value)
    assert "\n" not in str(exc.value)


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["shape", "adaptive-avg-pool", "--in", "10x10", "--size", "3x3"], 0, "output:  3x3"),
    (["shape", "adaptive-max-pool", "--in", "5x7", "--size", "nonex3"], 0, "output:  5x3"),
    (["shape", "global-avg-pool", "--in", "7x7", "--convention", "onnx"], 0, "output:  1x1"),
    (["shape", "adaptive-avg-pool", "--in", "HxW", "--size", "nonex3", "--symbolic"], 0,
     "output:  H x 3"),
    (["shape", "adaptive-avg-pool", "--in", "0", "--size", "3"], 2,
     "input size=0 must be at least 1"),
    (["shape", "adaptive-avg-pool", "--in", "4", "--size", "3", "--convention", "onnx"], 2,
     "ONNX has no adaptive pooling operator"),
    (["shape", "adaptive-avg-pool", "--in", "4"], 2, "--size must be given"),
    (["shape", "global-max-pool", "--in", "4", "--size", "2"], 2, "--size must only be given"),
    (["shape", "resize", "--in", "4x4", "--size", "nonex2"], 2, "none keeps an axis only"),
    (["shape", "adaptive-avg-pool", "--in", "4", "--size", "3", "--kernel", "2"], 2,
     "--kernel must only be given"),
    (["matrix", "adaptive-avg-pool", "--in", "5", "--size", "3"], 0, "1/3"),
    (["matrix", "global-avg-pool", "--in", "3x3"], 0, "layer:   global-avg-pool"),
    (["matrix", "adaptive-avg-pool", "--in", "0", "--size", "3"], 2, "must be"),
    (["coverage", "--layer", "adaptive-avg-pool o=0", "--in", "8"], 2, "column 19"),
    (["latex", "adaptive-max-pool", "--in", "4", "--size", "2"], 0, r"\end{document}"),
    (["latex", "global-avg-pool", "--in", "0"], 2, "input size=0"),
])
def test_cli_exit_codes_and_one_line_errors(argv: list[str], code: int, words: str) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == code, result.output
    if code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("symconv: error: "), result.stderr
        assert words in lines[0]
        assert "Traceback" not in result.output
    else:
        assert words in result.stdout


@pytest.mark.parametrize("command", ["shape", "matrix", "coverage", "latex"])
def test_help_shows_adaptive_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "adaptive-avg-pool" in result.output and "global-" in result.output


# --------------------------------------------------------------------------- LaTeX

FACTS = [
    (AdaptiveAvgPool(3), (5,)),
    (AdaptiveAvgPool(2), (6,)),
    (AdaptiveAvgPool((None, 2)), (3, 4)),
    (AdaptiveAvgPool(1, convention="onnx"), (4, 4)),
    (AdaptiveAvgPool(4), (2,)),
    (AdaptiveMaxPool(3), (7,)),
    (AdaptiveMaxPool((2, 2)), (4, 6)),
    (AdaptiveMaxPool((None, 4)), (2, 6)),
    (AdaptiveMaxPool(1, convention="keras"), (3,)),
]


@pytest.mark.parametrize(("layer", "size"), FACTS, ids=lambda v: repr(v))
def test_layer_facts_hold(layer: Any, size: tuple[int, ...]) -> None:
    facts = layer_facts(layer, size)
    assert facts.ok, [(c.text, c.how) for c in facts.claims if not c.holds]
    assert facts.matrix is not None and facts.matrix.out_shape == facts.output_shape
    assert len(facts.claims) >= 2
    for f, n, o in zip(facts.sizes, size, resolve(layer, size).output, strict=True):
        assert f.general is None and f.output == o
        assert f.instantiated == (f.symbol if layer.at(len(size)).output_size[f.axis] is None
                                  else o), n
    assert layer_document(facts).endswith("\\end{document}\n")
    divides = all(n % o == 0 for n, o in zip(size, resolve(layer, size).output, strict=True))
    if isinstance(layer, AdaptiveAvgPool) and divides:
        assert any("T10" in c.theorems for c in facts.claims)


def test_layer_facts_fail_when_the_map_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    import symconv.report.adaptive_facts as module

    real = module.adaptive_avg_pool_map
    monkeypatch.setattr(module, "adaptive_avg_pool_map",
                        lambda layer, shape: real(layer, shape).scaled(2))
    facts = layer_facts(AdaptiveAvgPool(3), (5,))
    assert not facts.ok and r"\textbf{FAILED}" in layer_document(facts)


@pytest.mark.slow
def test_latex_documents_compile(tmp_path: Path) -> None:
    for i, (layer, size) in enumerate([(AdaptiveAvgPool(3), (5,)),
                                       (AdaptiveMaxPool((None, 4)), (2, 6)),
                                       (AdaptiveAvgPool(1), (4, 4))]):
        compile_and_rasterise(layer_document(layer_facts(layer, size)), tmp_path, f"doc{i}")
