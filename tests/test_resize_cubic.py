"""Cubic resizing (PyTorch ``bicubic``, ONNX ``Resize`` mode ``cubic``) as an exact map.

The core's map (:func:`symconv.core.layers.resize_map`) is checked against the reference op
:func:`symconv.numeric.upsample_cubic` (written from Keys' kernel, exactly, with Fractions),
against PyTorch's forward and autograd (float64), and against onnxruntime and the ONNX
reference evaluator (float32).

Framework behaviours pinned here (not symconv errors):

* PyTorch's bicubic does NOT clamp a negative half-pixel coordinate at 0 (its bilinear does):
  ``area_pixel_compute_source_index(..., cubic=true)``; taps outside the input read the edge
  sample (``upsample_value_bounded``), their weights not renormalised.
* PyTorch's bicubic BACKWARD copies the gradient when the output's ``(H, W)`` equals the
  input's, whatever the scale factor, while the forward resamples (1.25 on 2x2): the gradient
  is then not the adjoint of the forward; ``A.T`` is the adjoint.
* onnxruntime runs cubic on two spatial axes only ("'Cubic' mode only supports 2-D inputs
  ('Bicubic') or 4-D inputs ..."); the ONNX spec and its reference evaluator take any rank.
* onnxruntime returns the input unchanged when the output shape equals the input shape
  (as for the other modes, see tests/test_core_frameworks.py).
* exclude_outside with a coefficient that leaves an output no weight (a = 4 on one sample):
  onnxruntime returns NaN, the reference evaluator 0; symconv refuses.
* The ONNX reference evaluator computes ``pytorch_half_pixel`` with ``o == 1`` as -1/2 (the
  spec and onnxruntime: 0) and ``align_corners`` with the fractional length ``n * scale``; it
  is only used for ``half_pixel`` and ``asymmetric``.
* PyTorch itself resizes to one output at ``src = n/2 - 1/2`` (ONNX ``half_pixel``), not at
  0 as ONNX ``pytorch_half_pixel`` defines it.
"""

from __future__ import annotations

import json
from fractions import Fraction
from math import ceil
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import numeric
from symconv.core import IndexMap, linear_map
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.sizes.conventions import float32_decimal, from_onnx
from symconv.spec.syntax import format_layer, parse_layer

from conftest import requires
from strategies import cubic_resize_specs, valid_input_sizes

ONNX_OPSET = 22
Resize = symconv.Resize


@pytest.fixture(name="torch", scope="module")
def torch_fixture() -> Any:
    return requires("torch")


@pytest.fixture(name="ort", scope="module")
def ort_fixture() -> Any:
    requires("onnx")
    return requires("onnxruntime")


def _rng(data: st.DataObject) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))


def _matvec(m: IndexMap, x: np.ndarray) -> np.ndarray:
    """``A @ x`` for a batch ``(N, *in_shape)`` through the scipy CSR view, in float64."""
    assert m.out_shape is not None
    y = (m.numeric() @ x.reshape(x.shape[0], -1).astype(np.float64).T).T
    return np.asarray(y).reshape((x.shape[0], *m.out_shape))


def _rmatvec(m: IndexMap, g: np.ndarray) -> np.ndarray:
    assert m.in_shape is not None
    x = (m.numeric().T @ g.reshape(g.shape[0], -1).T).T
    return np.asarray(x).reshape((g.shape[0], *m.in_shape))


def _rows(m: IndexMap) -> dict[int, dict[int, Fraction]]:
    """The map's entries as exact Fractions, per row (small maps only)."""
    out: dict[int, dict[int, Fraction]] = {}
    for r, c, n, d in zip(m.rows.tolist(), m.cols.tolist(), m.num.tolist(), m.den.tolist(),
                          strict=True):
        row = out.setdefault(r, {})
        row[c] = row.get(c, Fraction(0)) + Fraction(n, d)
    return out


def _reference_kw(spec: symconv.Resize) -> dict[str, Any]:
    """The reference op's arguments for a cubic spec."""
    if spec.convention is symconv.Convention.TORCH:
        return {"align_corners": spec.coordinate_mode.value == "align_corners"}
    return {"coordinate_mode": spec.coordinate_mode.value, "a": spec.cubic_coeff_a,
            "exclude_outside": spec.exclude_outside}


# --------------------------------------------------------------------------- exact properties


def test_catmull_rom_midpoint_weights() -> None:
    """Keys with a = -1/2 (Catmull-Rom) at t = 1/2: (-1/16, 9/16, 9/16, -1/16)."""
    spec = Resize(scale_factor=2, mode="cubic", coordinate_mode="asymmetric",
                  cubic_coeff_a="-0.5", convention="onnx")
    rows = _rows(linear_map(spec, (1, 4)))
    assert rows[3] == {0: Fraction(-1, 16), 1: Fraction(9, 16), 2: Fraction(9, 16),
                       3: Fraction(-1, 16)}  # output 3 reads src = 3/2
    assert rows[2] == {1: 1}  # src = 1 exactly: the sample itself


def test_pytorch_weights_at_quarter_pixel() -> None:
    """A = -3/4 at t = 1/4 (output 1 of a 2x upsampling reads src = 1/4): W(5/4), W(1/4),
    W(3/4), W(7/4) = -27/256, 225/256, 67/256, -9/256 onto inputs 0, 0, 1, 2."""
    rows = _rows(linear_map(Resize(scale_factor=2, mode="cubic", ndim=2), (1, 1, 4)))
    assert rows[1] == {0: Fraction(-27 + 225, 256), 1: Fraction(67, 256), 2: Fraction(-9, 256)}


@pytest.mark.parametrize("ndim", (1, 2, 3))
@settings(max_examples=15)
@given(data=st.data())
def test_rows_sum_to_one(ndim: int, data: st.DataObject) -> None:
    """Keys' kernel is a partition of unity for every a, and clamping or exclude_outside
    (renormalised) keep every row's sum at exactly 1."""
    spec = data.draw(cubic_resize_specs(ndim, "onnx"))
    sizes = data.draw(valid_input_sizes(spec, span=6))
    try:
        m = linear_map(spec, (1, *sizes))
    except UnsupportedError as exc:  # exclude_outside leaving an output no weight
        assert "zero total weight" in str(exc) and spec.exclude_outside
        return
    sums = m.apply_exact(np.ones((1, *sizes), dtype=np.int64))  # A 1 = the row sums, exactly
    assert sums.shape == (1, *symconv.resolve(spec, sizes).output)
    assert all(v == 1 for v in sums.ravel())


@pytest.mark.parametrize("ndim,convention", [(1, "onnx"), (2, "onnx"), (3, "onnx"),
                                             (2, "torch")])
@settings(max_examples=12)
@given(data=st.data())
def test_core_equals_reference_exactly(ndim: int, convention: str, data: st.DataObject) -> None:
    """``A x`` (exact) equals :func:`numeric.upsample_cubic` (exact Fractions) on integer data,
    for every coordinate mode, coefficient and border rule."""
    spec = data.draw(cubic_resize_specs(ndim, convention))
    sizes = data.draw(valid_input_sizes(spec, span=5))
    # the reference op takes factors: size o on input n is the factor o/n (output floor(n o/n)
    # = o, coordinate scale n/o), so the size path of the core is checked too
    factors = spec.scale_factor or tuple(Fraction(o, n) for o, n in zip(spec.size, sizes,
                                                                         strict=True))
    x = _rng(data).integers(-9, 10, size=(2 if ndim < 3 else 1, 2, *sizes))
    try:
        m = linear_map(spec, (2, *sizes))
    except UnsupportedError:
        with pytest.raises(InvalidSpecError, match="zero total weight"):
            numeric.upsample_cubic(x, factors, **_reference_kw(spec))
        return
    ours = m.apply_exact(x)
    ref = numeric.upsample_cubic(x, factors, **_reference_kw(spec))
    assert ours.shape == ref.shape
    assert all(Fraction(a) == Fraction(b) for a, b in zip(ours.ravel(), ref.ravel(), strict=True))


def test_exact_denominators_beyond_int64_are_refused() -> None:
    """Weights at t = r/q have denominators up to 4 q^3; a 3-D map multiplies three of them."""
    spec = Resize(size=(101, 103, 107), mode="cubic", convention="onnx")
    with pytest.raises(UnsupportedError, match="cubic resize 3x5x7 -> 101x103x107: the exact"):
        linear_map(spec, (1, 3, 5, 7), max_nnz=10**9)
    assert linear_map(Resize(size=(101, 103), mode="cubic", convention="onnx"),
                      (1, 3, 5)).nnz > 0  # two such axes fit
    # one axis with denominators 4 (2 * 3000)^3 = 8.6e11 fits, and is still exact
    x = np.arange(7)[None, None] ** 2
    one = linear_map(Resize(size=3000, mode="cubic", convention="onnx"), (1, 7)).apply_exact(x)
    ref = numeric.upsample_cubic(x, Fraction(3000, 7), coordinate_mode="half_pixel")
    assert all(Fraction(a) == Fraction(b) for a, b in zip(one.ravel(), ref.ravel(), strict=True))
    big = Resize(scale_factor=Fraction(1, 10**6) * 3 + 1, mode="cubic", convention="onnx")
    with pytest.raises(UnsupportedError, match="beyond int64"):
        linear_map(big, (1, 5))


# --------------------------------------------------------------------------- spec rules

_INVALID: list[tuple[str, Any, type[Exception], str]] = [
    ("float a not its decimal", lambda: Resize(scale_factor=2, mode="cubic", convention="onnx",
                                               cubic_coeff_a=-0.6),
     InvalidSpecError, "cubic_coeff_a=-0.6 must be exact"),
    ("a not a number", lambda: Resize(scale_factor=2, mode="cubic", convention="onnx",
                                      cubic_coeff_a="a"),
     InvalidSpecError, "cubic_coeff_a='a' must be a number"),
    ("a a bool", lambda: Resize(scale_factor=2, mode="cubic", convention="onnx",
                                cubic_coeff_a=True),
     InvalidSpecError, "cubic_coeff_a=True must be a number"),
    ("torch a", lambda: Resize(scale_factor=2, mode="cubic", cubic_coeff_a=-1),
     InvalidSpecError, "cubic_coeff_a=-1 must be -3/4 under convention torch"),
    ("torch exclude_outside", lambda: Resize(scale_factor=2, mode="cubic", exclude_outside=True),
     InvalidSpecError, "exclude_outside=True must only be used under convention onnx"),
    ("torch 3-D", lambda: Resize(scale_factor=(2, 2, 2), mode="cubic"),
     InvalidSpecError, "ndim=3 must be 2 for mode='cubic' under convention torch"),
    ("torch rank 1", lambda: symconv.resolve(Resize(scale_factor=2, mode="cubic"), 5),
     InvalidSpecError, "ndim=1 must be 2 for mode='cubic' under convention torch"),
    ("exclude_outside on linear", lambda: Resize(scale_factor=2, mode="linear",
                                                 exclude_outside=True, convention="onnx"),
     InvalidSpecError, "exclude_outside=True must only be set for mode='cubic'"),
    ("a on nearest", lambda: Resize(scale_factor=2, cubic_coeff_a="-0.5"),
     InvalidSpecError, "cubic_coeff_a=-1/2 must only be set for mode='cubic'"),
    ("exclude_outside not a bool", lambda: Resize(scale_factor=2, mode="cubic",
                                                  exclude_outside=1, convention="onnx"),
     InvalidSpecError, "exclude_outside=1 must be True or False"),
    ("nearest_mode on cubic", lambda: Resize(scale_factor=2, mode="cubic", nearest_mode="floor",
                                             convention="onnx"),
     InvalidSpecError, "nearest_mode='floor' must only be set for nearest modes, not "
                       "mode='cubic'"),
    ("tensorflow", lambda: Resize(scale_factor=2, mode="cubic", cubic_coeff_a="-0.6",
                                  convention="tensorflow"),
     InvalidSpecError, "cubic_coeff_a=-3/5 with exclude_outside=False must be -1/2 with "
                       "exclude_outside=True under convention tensorflow"),
    ("zero total weight", lambda: linear_map(
        Resize(scale_factor=2, mode="cubic", coordinate_mode="asymmetric", cubic_coeff_a=4,
               exclude_outside=True, convention="onnx"), (1, 1)),
     UnsupportedError, "exclude_outside=1 with cubic_coeff_a=4: output 1"),
    ("reference: torch mode with a", lambda: numeric.upsample_cubic(np.ones((1, 1, 2)), 2, a=-1),
     InvalidSpecError, "a=-1 must be -3/4 in PyTorch mode"),
    ("reference: torch mode excluding", lambda: numeric.upsample_cubic(
        np.ones((1, 1, 2)), 2, exclude_outside=True),
     InvalidSpecError, "exclude_outside=True must be False in PyTorch mode"),
    ("reference: a not a number", lambda: numeric.upsample_cubic(
        np.ones((1, 1, 2)), 2, coordinate_mode="half_pixel", a="x"),
     InvalidSpecError, "a='x' must be a number"),
]


@pytest.mark.parametrize("build,error,message", [c[1:] for c in _INVALID],
                         ids=[c[0] for c in _INVALID])
def test_invalid(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        build()
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_coefficient_is_exact() -> None:
    for value in (-0.75, "-0.75", "-3/4", Fraction(-3, 4)):
        spec = Resize(scale_factor=2, mode="cubic", cubic_coeff_a=value, convention="onnx")
        assert spec.cubic_coeff_a == Fraction(-3, 4)
        assert repr(spec) == ("Resize(scale_factor=2, mode='cubic', coordinate_mode="
                              "'half_pixel', convention='onnx')")
    assert Resize(scale_factor=2, mode="cubic", cubic_coeff_a="-0.6",
                  convention="onnx").cubic_coeff_a == Fraction(-3, 5)
    assert symconv.resolve(Resize(size=(7, 3), mode="cubic"), (4, 9)).output == (7, 3)
    assert symconv.resolve(Resize(scale_factor=Fraction(3, 2), mode="cubic", convention="onnx"),
                           (5, 7, 9)).output == (7, 10, 13)


# --------------------------------------------------------------------------- PyTorch

FLOAT_FACTORS = (0.5, 0.75, 1.5, 2.5, 3.0, 1.25, 0.6, 1.7, 2.1, 0.3, 2.0, 1.0)


@st.composite
def torch_cases(draw: st.DrawFn) -> tuple[symconv.Resize, tuple[int, int], dict[str, Any]]:
    """A bicubic spec, its input size and the matching ``F.interpolate`` keywords: float factors
    (as users type them) or an output size, up and down, align_corners or not."""
    ac = draw(st.booleans())
    if draw(st.booleans()):
        sf = (draw(st.sampled_from(FLOAT_FACTORS)), draw(st.sampled_from(FLOAT_FACTORS)))
        sizes = (draw(st.integers(4, 12)), draw(st.integers(4, 12)))
        spec = Resize(scale_factor=sf, mode="cubic", align_corners=ac)
        kw: dict[str, Any] = {"scale_factor": sf}
    else:
        out = (draw(st.integers(1, 14)), draw(st.integers(1, 14)))
        sizes = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
        spec = Resize(size=out, mode="cubic", align_corners=ac)
        kw = {"size": out}
    return spec, sizes, {"mode": "bicubic", "align_corners": ac, **kw}


@pytest.mark.torch
@settings(max_examples=40)
@given(case=torch_cases(), seed=st.integers(0, 2**16))
def test_bicubic_vs_torch(torch: Any, case: Any, seed: int) -> None:
    """Forward ``A x`` and the reference op equal ``F.interpolate(mode='bicubic')`` in float64;
    ``A.T g`` equals autograd's input gradient except where PyTorch's backward copies."""
    spec, sizes, kw = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, *sizes))
    m = linear_map(spec, (3, *sizes))
    xt = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.interpolate(xt, **kw)
    np.testing.assert_allclose(_matvec(m, x), y.detach().numpy(), rtol=1e-12, atol=1e-12)
    if "scale_factor" in kw:
        ref = numeric.upsample_cubic(x, kw["scale_factor"], align_corners=kw["align_corners"])
        np.testing.assert_allclose(ref, y.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(g))
    grad = xt.grad.numpy()
    if m.out_shape == m.in_shape:  # PyTorch's backward: "input/output same size, just copy"
        np.testing.assert_array_equal(grad, g)
    else:
        np.testing.assert_allclose(_rmatvec(m, g), grad, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_torch_bicubic_same_size_backward_is_a_copy_pinned(torch: Any) -> None:
    """Scale 1.25 on 2x2: the output is 2x2; the forward resamples (src = 0.3, 1.1), the
    backward copies, so autograd's gradient is not the adjoint ``A.T g``."""
    x = np.array([[[[0.0, 10.0], [20.0, 40.0]]]])
    m = linear_map(Resize(scale_factor=1.25, mode="cubic"), (1, 2, 2))
    xt = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.interpolate(xt, scale_factor=1.25, mode="bicubic")
    np.testing.assert_allclose(_matvec(m, x), y.detach().numpy(), rtol=1e-12)
    assert not np.allclose(y.detach().numpy(), x)
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y.backward(torch.tensor(g))
    assert xt.grad.numpy().tolist() == g.tolist()
    assert not np.allclose(_rmatvec(m, g), g)


@pytest.mark.torch
def test_torch_bicubic_does_not_clamp_the_coordinate_pinned(torch: Any) -> None:
    """[0, 4] upsampled by 2: bilinear clamps src = -1/4 to 0 and gives 0; bicubic reads
    src = -1/4 and overshoots to -27/64."""
    x = np.array([[[[0.0, 4.0]]]])
    xt = torch.tensor(x)
    lin = torch.nn.functional.interpolate(xt, scale_factor=(1, 2), mode="bilinear").numpy()
    cub = torch.nn.functional.interpolate(xt, scale_factor=(1, 2), mode="bicubic").numpy()
    assert lin[0, 0, 0, 0] == 0.0
    ours = linear_map(Resize(scale_factor=(1, 2), mode="cubic"), (1, 1, 2)).apply_exact(
        x.astype(np.int64))
    assert ours[0, 0, 0, 0] == Fraction(-27, 64)
    assert cub[0, 0, 0, 0] == pytest.approx(-27 / 64, abs=1e-15)


# --------------------------------------------------------------------------- ONNX


def _onnx_model(shape: tuple[int, ...], attrs: dict[str, Any], use_sizes: bool) -> Any:
    from onnx import TensorProto, checker, helper

    rank = len(shape)
    second = ("sizes", TensorProto.INT64) if use_sizes else ("scales", TensorProto.FLOAT)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, list(shape)),
              helper.make_tensor_value_info(second[0], second[1], [rank])]
    names = ["X", "", "", "sizes"] if use_sizes else ["X", "", "scales"]
    node = helper.make_node("Resize", names, ["Y"], **attrs)
    graph = helper.make_graph([node], "resize", inputs, [
        helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None] * rank)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = 10
    checker.check_model(model)
    return model


def _feeds(spec: symconv.Resize, x: np.ndarray) -> tuple[dict[str, np.ndarray], bool]:
    if spec.size is not None:
        return {"X": x, "sizes": np.array([*x.shape[:2], *spec.size], np.int64)}, True
    scales = np.array([1, 1, *(float(f) for f in spec.scale_factor)], np.float32)
    return {"X": x, "scales": scales}, False


def _attrs(spec: symconv.Resize) -> dict[str, Any]:
    return {"mode": "cubic", "coordinate_transformation_mode": spec.coordinate_mode.value,
            "cubic_coeff_a": float(spec.cubic_coeff_a),
            "exclude_outside": int(spec.exclude_outside)}


#: Scale factors exact in float32 (so ONNX's scale is symconv's exact factor).
DYADIC = (Fraction(1, 2), Fraction(3, 4), Fraction(3, 2), Fraction(5, 2), 2, 3, Fraction(5, 4), 1)
#: Coefficients exact in float32.
DYADIC_COEFFS = (Fraction(-3, 4), Fraction(-1, 2), -1, 0)


@st.composite
def onnx_cases(draw: st.DrawFn, ndim: int) -> tuple[symconv.Resize, tuple[int, ...]]:
    kw: dict[str, Any] = {
        "mode": "cubic", "convention": "onnx", "ndim": ndim,
        "coordinate_mode": draw(st.sampled_from(
            ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"))),
        "cubic_coeff_a": draw(st.sampled_from(DYADIC_COEFFS)),
        "exclude_outside": draw(st.booleans())}
    sizes = tuple(draw(st.integers(1, 9)) for _ in range(ndim))
    if draw(st.booleans()):
        kw["size"] = tuple(draw(st.integers(1, 12)) for _ in range(ndim))
    else:
        sf = [draw(st.sampled_from(DYADIC)) for _ in range(ndim)]
        kw["scale_factor"] = tuple(sf)
        sizes = tuple(max(n, ceil(1 / Fraction(f))) for n, f in zip(sizes, sf, strict=True))
    return Resize(**kw), sizes


@pytest.mark.onnx
@settings(max_examples=40)
@given(case=onnx_cases(2), seed=st.integers(0, 2**16))
def test_cubic_vs_onnxruntime(ort: Any, case: Any, seed: int) -> None:
    """Every coordinate mode, coefficients -3/4, -1/2, -1, 0, exclude_outside 0/1, scales
    and sizes, up and down (float32, so tolerance 1e-5)."""
    spec, sizes = case
    x = np.random.default_rng(seed).standard_normal((1, 2, *sizes)).astype(np.float32)
    m = linear_map(spec, (2, *sizes))
    feeds, use_sizes = _feeds(spec, x)
    model = _onnx_model(x.shape, _attrs(spec), use_sizes)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, feeds)[0]
    expected = x.astype(np.float64) if m.out_shape == m.in_shape else _matvec(m, x)
    np.testing.assert_allclose(expected, got, rtol=1e-5, atol=1e-5)


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@settings(max_examples=15)
@given(data=st.data())
def test_cubic_vs_onnx_reference_any_rank(ort: Any, ndim: int, data: st.DataObject) -> None:
    """The ONNX reference evaluator resizes cubic in any rank; the map agrees with it in
    half_pixel and asymmetric (its other two modes have the documented bugs above)."""
    from onnx.reference import ReferenceEvaluator

    spec, sizes = data.draw(onnx_cases(ndim))
    if spec.coordinate_mode.value not in ("half_pixel", "asymmetric") or spec.size is not None:
        spec = Resize(scale_factor=spec.scale_factor or (2,) * ndim, mode="cubic",
                      coordinate_mode="half_pixel", cubic_coeff_a=spec.cubic_coeff_a,
                      exclude_outside=spec.exclude_outside, convention="onnx", ndim=ndim)
        sizes = tuple(max(n, 2) for n in sizes)
    x = _rng(data).standard_normal((1, 2, *sizes)).astype(np.float32)
    feeds, use_sizes = _feeds(spec, x)
    got = ReferenceEvaluator(_onnx_model(x.shape, _attrs(spec), use_sizes)).run(None, feeds)[0]
    np.testing.assert_allclose(_matvec(linear_map(spec, (2, *sizes)), x), got, rtol=1e-5,
                               atol=1e-5)


@pytest.mark.onnx
def test_onnxruntime_quirks_pinned(ort: Any) -> None:
    """Cubic on one spatial axis is refused by onnxruntime; a = 4 with exclude_outside gives
    NaN there (zero total weight), which symconv refuses; pytorch_half_pixel with o == 1
    reads 0 in onnxruntime and symconv, -1/2 in the reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    def run(x: np.ndarray, scales: list[float], **attrs: Any) -> tuple[Any, Any]:
        model = _onnx_model(x.shape, {"mode": "cubic", **attrs}, False)
        feeds = {"X": x, "scales": np.array(scales, np.float32)}
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)[0], ReferenceEvaluator(model).run(None, feeds)[0]

    with pytest.raises(Exception, match="Cubic' mode only supports"):
        run(np.zeros((1, 1, 4), np.float32), [1, 1, 2])
    got, _ = run(np.full((1, 1, 1, 1), 5, np.float32), [1, 1, 1, 2],
                 coordinate_transformation_mode="asymmetric", cubic_coeff_a=4.0,
                 exclude_outside=1)
    assert got[0, 0, 0, 0] == 5 and np.isnan(got[0, 0, 0, 1])
    with pytest.raises(UnsupportedError, match="zero total weight"):
        linear_map(Resize(scale_factor=(1, 2), mode="cubic", coordinate_mode="asymmetric",
                          cubic_coeff_a=4, exclude_outside=True, convention="onnx"), (1, 1, 1))
    x = np.array([[[[1.0, 2.0, 3.0, 4.0]]]], np.float32)
    got, ref = run(x, [1, 1, 1, 0.25], coordinate_transformation_mode="pytorch_half_pixel")
    spec = Resize(scale_factor=(1, Fraction(1, 4)), mode="cubic",
                  coordinate_mode="pytorch_half_pixel", convention="onnx")
    ours = _matvec(linear_map(spec, (1, 1, 4)), x)
    assert ours.ravel().tolist() == [1.0] and got.ravel().tolist() == [1.0]
    assert ref.ravel().tolist() == [0.90625]  # reads src = -1/2


@pytest.mark.onnx
def test_from_onnx_cubic_end_to_end(ort: Any) -> None:
    """from_onnx maps a cubic node's attributes; the map of that spec is what onnxruntime
    computes (cubic_coeff_a -0.5 as a float32 attribute, exclude_outside, sizes)."""
    attrs = {"mode": b"cubic", "coordinate_transformation_mode": b"align_corners",
             "cubic_coeff_a": -0.5, "exclude_outside": 1}
    spec = from_onnx("Resize", attrs, sizes=[1, 2, 7, 3])
    assert (spec.mode, spec.cubic_coeff_a, spec.exclude_outside, spec.size) == (
        symconv.ResizeMode.CUBIC, Fraction(-1, 2), True, (7, 3))
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 5)).astype(np.float32)
    model = _onnx_model(x.shape, {k: v.decode() if isinstance(v, bytes) else v
                                  for k, v in attrs.items()}, True)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"X": x, "sizes": np.array([1, 2, 7, 3], np.int64)})[0]
    np.testing.assert_allclose(_matvec(linear_map(spec, (2, 4, 5)), x), got, atol=1e-5)


def test_from_onnx_resize_attributes() -> None:
    assert float32_decimal(float(np.float32(-0.6))) == Fraction(-3, 5)
    spec = from_onnx("Resize", {"mode": "cubic", "cubic_coeff_a": float(np.float32(-0.6))}, 2,
                     scales=[1, 1, 2, 0.5])
    assert spec.cubic_coeff_a == Fraction(-3, 5) and spec.scale_factor == (2, Fraction(1, 2))
    assert spec.coordinate_mode is symconv.CoordinateMode.HALF_PIXEL
    assert from_onnx("Resize", {"mode": "cubic"}, 1, scales=[2.0]).ndim == 1  # spatial-only
    for attrs, kw, message in [
        ({"mode": "cubic", "antialias": 1}, {"scales": [1, 1, 2, 2]}, "antialias=1"),
        ({"mode": "cubic", "coordinate_transformation_mode": "tf_crop_and_resize"},
         {"scales": [1, 1, 2, 2]}, "coordinate_transformation_mode='tf_crop_and_resize'"),
        ({"mode": "cubic", "keep_aspect_ratio_policy": "not_larger"},
         {"sizes": [1, 1, 4, 4]}, "keep_aspect_ratio_policy='not_larger'"),
        ({"mode": "cubic"}, {"scales": [1, 2, 2, 2]}, "scales=[1,2,2,2] resizes the batch"),
        ({"mode": "cubic"}, {}, "scales=None and sizes=None: exactly one"),
        ({"mode": "area"}, {"scales": [1, 1, 2, 2]}, "mode='area' must be one of"),
        ({"mode": "cubic"}, {"scales": [1, 1, 2]}, "scales=[1,1,2] must have one entry per"),
    ]:
        with pytest.raises(SymconvError) as info:
            from_onnx("Resize", attrs, 2, **kw)
        assert str(info.value).startswith(message), str(info.value)


# --------------------------------------------------------------------------- text and CLI


def test_layer_syntax_round_trip() -> None:
    spec = parse_layer("upsample-cubic f=3/2 align_corners")
    assert spec == Resize(scale_factor=Fraction(3, 2), mode="cubic", align_corners=True)
    assert format_layer(spec) == "upsample-cubic f=3/2 align_corners"
    assert parse_layer("bicubic f=2").mode is symconv.ResizeMode.CUBIC
    assert format_layer(parse_layer("bicubic f=2")) == "upsample-cubic f=2"


def _cli(*args: str) -> Any:
    from symconv.cli import cli

    return CliRunner().invoke(cli, list(args), prog_name="symconv")


def test_cli_matrix_cubic() -> None:
    text = _cli("matrix", "resize", "--in", "2x2", "--scale", "2", "--mode", "cubic")
    assert text.exit_code == 0, text.output
    assert text.output.startswith("layer:   upsample-cubic f=2x2\n")
    assert "80089/65536" in text.output  # output (0, 0): (283/256)^2, the clamped taps summed
    assert "-7641/65536" in text.output  # 283/256 * -27/256
    js = _cli("matrix", "resize", "--in", "2x2", "--scale", "2", "--mode", "cubic", "--json")
    assert js.exit_code == 0, js.output
    doc = json.loads(js.output)
    m = linear_map(Resize(scale_factor=2, mode="cubic", ndim=2), (1, 2, 2))
    dense = np.zeros(m.shape, dtype=object)
    for r, c, n, d in zip(m.rows, m.cols, m.num, m.den, strict=True):
        dense[r, c] += Fraction(int(n), int(d))
    assert doc["layer"] == "upsample-cubic f=2x2" and doc["nnz"] == m.canonical().nnz
    entries = {(r, c): Fraction(v) for r, c, v in doc["entries"]}
    assert entries == {(r, c): dense[r, c] for r in range(m.shape[0])
                       for c in range(m.shape[1]) if dense[r, c] != 0}
    bad = _cli("matrix", "resize", "--in", "4", "--scale", "2", "--mode", "cubic")
    assert bad.exit_code == 2
    assert "must be 2 for mode='cubic' under convention torch" in bad.output
    onnx = _cli("matrix", "resize", "--in", "4", "--scale", "2", "--mode", "cubic",
                "--convention", "onnx")
    assert onnx.exit_code == 0, onnx.output


def test_cli_shape_cubic() -> None:
    res = _cli("shape", "resize", "--in", "5x7", "--scale", "3/2", "--mode", "cubic", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["output"] == [7, 10] and "mode='cubic'" in doc["layer"]
    onnx = _cli("shape", "resize", "--in", "5x7x9", "--size", "3x4x20", "--mode", "cubic",
                "--convention", "onnx")
    assert onnx.exit_code == 0 and "3x4x20" in onnx.output, onnx.output
    bad = _cli("shape", "resize", "--in", "5x7x9", "--scale", "2", "--mode", "cubic")
    assert bad.exit_code == 2
    assert "ndim=3 must be 2 for mode='cubic' under convention torch" in bad.output


def test_cli_latex_cubic_makes_no_transposed_conv_claim() -> None:
    """The T12 comparison is for linear resizing; a cubic layer gets a note, not a claim."""
    res = _cli("latex", "resize", "--in", "4x4", "--scale", "2", "--mode", "cubic")
    assert res.exit_code == 0, res.output
    assert "Cubic resizing is not compared with a transposed convolution" in res.output
    assert "(T12)" not in res.output


def test_network_file_cubic_fields() -> None:
    from symconv.network.model import loads

    layer = {"name": "up", "op": "resize", "scale_factor": 2, "mode": "cubic",
             "coordinate_mode": "align_corners", "cubic_coeff_a": -0.6, "exclude_outside": True,
             "convention": "onnx"}
    net = loads(json.dumps({"inputs": [{"name": "x", "size": [8, 8]}], "layers": [layer]}),
                "json")
    assert net.node("up").layer == Resize(
        scale_factor=2, mode="cubic", coordinate_mode="align_corners",
        cubic_coeff_a=Fraction(-3, 5), exclude_outside=True, convention="onnx")
    layer["cubic_coeff_a"] = [1]
    with pytest.raises(InvalidSpecError, match=r"cubic_coeff_a=.* must be a number"):
        loads(json.dumps({"inputs": [{"name": "x", "size": [8, 8]}], "layers": [layer]}), "json")


@pytest.mark.torch
def test_torch_size_one_is_half_pixel_not_pytorch_half_pixel_pinned(torch: Any) -> None:
    """To an output length of 1 PyTorch reads src = n/2 - 1/2 (the centre: 2.5 from [1, 2, 3,
    4]), i.e. ONNX half_pixel; ONNX's pytorch_half_pixel reads 0 there (x[0] = 1, pinned for
    onnxruntime above), so it does not match today's PyTorch at that length."""
    x = np.array([[[[1.0, 2.0, 3.0, 4.0]]]])
    y = torch.nn.functional.interpolate(torch.tensor(x), size=(1, 1), mode="bicubic").numpy()
    assert y.ravel().tolist() == [2.5]
    torch_map = linear_map(Resize(size=(1, 1), mode="cubic"), (1, 1, 4))
    half = linear_map(Resize(size=(1, 1), mode="cubic", convention="onnx"), (1, 1, 4))
    phalf = linear_map(Resize(size=(1, 1), mode="cubic", coordinate_mode="pytorch_half_pixel",
                              convention="onnx"), (1, 1, 4))
    assert _matvec(torch_map, x).ravel().tolist() == [2.5] and torch_map.equals(half)
    assert _matvec(phalf, x).ravel().tolist() == [1.0]
