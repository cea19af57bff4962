"""The operator core's matrices against PyTorch (float64) and ONNX (reference evaluator and
onnxruntime): ``A @ x`` equals the framework's forward pass, ``A.T @ g`` its input gradient.

Framework behaviours modelled here (not symconv errors; each pinned by a test):

* PyTorch 2-D ``nearest``/``nearest-exact`` with ``size=`` and a small output
  (``H + W <= 128``) runs the channels-last kernel, whose float32 scale ``(float)n/o`` can
  land one pixel off the exact source (14 -> 46: output 23 reads ``23 * 14/46 = 7``, PyTorch
  reads 6).  symconv's ``size=`` map is the exact one.
* PyTorch's nearest BACKWARD always uses ``nearest_idx`` (float32 scale, copy when
  ``o == n``, shift when ``o == 2n``), while the forward's generic kernel does not: for 1.25
  on n=2 (forward reads [x0, x0]) autograd returns [g0, g1] instead of the adjoint
  [g0 + g1, 0].  ``A.T`` is the exact adjoint of PyTorch's forward.
* onnxruntime's ``Resize`` returns its input unchanged when the output shape equals the input
  shape, whatever the scales (1.25 on n=2); the ONNX spec, its reference evaluator and
  symconv resample with the given scale.
* onnxruntime rejects ``Conv`` with ``auto_pad=SAME_*`` and a dilation > 1 ("Dilation not
  supported"); that case is compared with the reference evaluator only.

``AveragePool`` in onnxruntime agrees with PyTorch's ceil-mode divisor for
``count_include_pad`` 0 and 1 and asymmetric pads (the reference evaluator is not used for
it: it is wrong in about one ceil-mode case in seven, see ``tests/test_numeric_torch.py``).
ONNX ``Resize`` is compared in float32 with dyadic scale factors (exact in float32).

Optional frameworks: missing locally -> skipped; missing when ``CI=true`` -> failed.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from math import prod
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import symconv
from symconv.core import IndexMap, linear_map, max_pool_selection_map, pixel_shuffle_map
from symconv.testing import layers

from conftest import requires
from strategies import pool_specs, resize_specs, valid_input_sizes

SPAN = {1: 10, 2: 5, 3: 2}
ONNX_OPSET = 22


@pytest.fixture(name="torch", scope="module")
def torch_fixture() -> Any:
    return requires("torch")


@pytest.fixture(name="ort", scope="module")
def ort_fixture() -> Any:
    requires("onnx")
    return requires("onnxruntime")


def _rng(data: st.DataObject) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))


def _matvec(m: IndexMap, x: np.ndarray, w: Any = None) -> np.ndarray:
    """``A @ x`` for a batch ``(N, *in_shape)`` through the scipy CSR view."""
    a = m.numeric(w)
    assert m.out_shape is not None
    y = (a @ x.reshape(x.shape[0], -1).T).T
    return np.asarray(y).reshape((x.shape[0], *m.out_shape))


def _rmatvec(m: IndexMap, g: np.ndarray, w: Any = None) -> np.ndarray:
    """``A.T @ g`` (the input gradient of ``y = A x`` for the output gradient ``g``)."""
    a = m.numeric(w)
    assert m.in_shape is not None
    x = (a.T @ g.reshape(g.shape[0], -1).T).T
    return np.asarray(x).reshape((g.shape[0], *m.in_shape))


def _close(ours: np.ndarray, theirs: Any, tol: float = 1e-12) -> None:
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs.astype(np.float64), rtol=tol, atol=tol)


def _grad_check(torch: Any, m: IndexMap, op: Any, x: np.ndarray, w: Any = None) -> None:
    """Forward ``A x == op(x)`` and backward ``A^T g == d<op(x), g>/dx`` (autograd)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = op(xt)
    _close(_matvec(m, x, w), y.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(g))
    _close(_rmatvec(m, g, w), xt.grad.numpy())


def _fn(torch: Any, name: str, nd: int) -> Any:
    return getattr(torch.nn.functional, f"{name}{nd}d")


def _sym(pairs: Any) -> tuple[int, ...]:
    """Symmetric ``(p, p)`` pairs as PyTorch's per-axis ints."""
    assert all(b == e for b, e in pairs)
    return tuple(b for b, _ in pairs)


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_conv_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    spec, sizes = data.draw(layers(kind="conv", convention="torch", ndim=ndim, span=SPAN[ndim]))
    if isinstance(spec.padding, tuple) and data.draw(st.booleans()):
        spec = dataclasses.replace(
            spec, padding_mode=data.draw(st.sampled_from(("reflect", "replicate", "circular"))))
    if spec.padding_mode.value != "zeros":  # reflect: pad < n; circular: pad <= n
        sizes = tuple(max(n, b + 1) for n, (b, _) in zip(sizes, spec.padding, strict=True))
    g = spec.groups
    c_in = spec.in_channels or g * data.draw(st.integers(1, 2))
    c_out = spec.out_channels or g * data.draw(st.integers(1, 2))
    rng = _rng(data)
    x = rng.standard_normal((2, c_in, *sizes))
    w = rng.standard_normal((c_out, c_in // g, *spec.kernel))
    conv = getattr(torch.nn, f"Conv{ndim}d")(
        c_in, c_out, spec.kernel, stride=spec.stride, dilation=spec.dilation, groups=g,
        bias=False, dtype=torch.float64, padding_mode=spec.padding_mode.value,
        padding=spec.padding.value if isinstance(spec.padding, symconv.PadMode)
        else _sym(spec.padding))
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
    m = linear_map(spec, (c_in, *sizes), out_channels=c_out)
    _grad_check(torch, m, conv, x, w)


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_conv_transpose_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    # op < max(stride, dilation), at its limit half of the time
    spec, sizes = data.draw(layers(kind="conv-transpose", convention="torch", ndim=ndim,
                                   span=SPAN[ndim]))
    g = spec.groups
    c_in, c_out = g * data.draw(st.integers(1, 2)), g * data.draw(st.integers(1, 2))
    rng = _rng(data)
    x = rng.standard_normal((2, c_in, *sizes))
    w = rng.standard_normal((c_in, c_out // g, *spec.kernel))
    wt = torch.tensor(w)

    def op(xt: Any) -> Any:
        return _fn(torch, "conv_transpose", ndim)(
            xt, wt, stride=spec.stride, padding=_sym(spec.padding),
            output_padding=spec.output_padding, groups=g, dilation=spec.dilation)

    _grad_check(torch, linear_map(spec, (c_in, *sizes), out_channels=c_out), op, x, w)


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_avg_pool_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    spec = data.draw(pool_specs(ndim, "torch", "avg"))  # ceil mode, count_include_pad both
    # n >= k_eff: the kit's edge sizes (layers()) include 3-D inputs below the kernel that
    # padding makes fit, which avg_pool3d (and symconv) reject
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim]))
    x = _rng(data).standard_normal((2, 3, *sizes))

    def op(xt: Any) -> Any:
        return _fn(torch, "avg_pool", ndim)(
            xt, spec.kernel, stride=spec.stride, padding=_sym(spec.padding),
            ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad)

    _grad_check(torch, linear_map(spec, (3, *sizes)), op, x)


#: Float factors as users type them (the map follows PyTorch's float arithmetic for them).
FLOAT_FACTORS = (0.5, 0.75, 1.5, 2.5, 3.0, 1.25, 0.6, 1.7, 2.1, 0.3)
_TORCH_MODE = {("linear", 1): "linear", ("linear", 2): "bilinear", ("linear", 3): "trilinear"}


@st.composite
def torch_resizes(draw: st.DrawFn, ndim: int) -> tuple[symconv.Resize, tuple[int, ...]]:
    """Resize specs PyTorch can express: float factors (integer and Fraction factors from the
    shared strategy become their floats) or an output ``size``."""
    spec = draw(resize_specs(ndim, "torch"))
    if spec.scale_factor is not None:
        if draw(st.booleans()):
            sf = tuple(float(f) for f in spec.scale_factor)
        else:
            sf = tuple(draw(st.sampled_from(FLOAT_FACTORS)) for _ in range(ndim))
        spec = dataclasses.replace(spec, scale_factor=sf)
    return spec, draw(valid_input_sizes(spec, span=SPAN[ndim] + 3))


def _torch_interpolate(torch: Any, spec: symconv.Resize, ndim: int) -> Any:
    mode = _TORCH_MODE.get((spec.mode.value, ndim), spec.mode.value)
    kw: dict[str, Any] = {"mode": mode}
    if spec.mode.value == "linear":
        kw["align_corners"] = bool(spec.align_corners)
    if spec.scale_factor is not None:
        kw["scale_factor"] = tuple(spec.scale_factor)
    else:
        kw["size"] = tuple(spec.size)
    return lambda xt: torch.nn.functional.interpolate(xt, **kw)


def _torch_nearest_idx(n: int, o: int, sf: float | None, half: bool) -> np.ndarray:
    """PyTorch's ``nearest_idx`` / ``nearest_exact_idx`` (UpSampleKernel.cpp), used by the 2-D
    channels-last forward kernel and by every CPU nearest backward: scale ``(float)(1/sf)`` or
    ``(float)n/o`` in float32; ``nearest`` copies when ``o == n``, shifts when ``o == 2n``, else
    ``floorf(dst * scale)`` in float32; ``nearest-exact`` ``floorf((dst + 0.5) * scale)``."""
    scale = np.float32(1.0 / sf) if sf is not None else np.float32(n) / np.float32(o)
    dst = np.arange(o)
    if half:
        real = (dst + 0.5) * np.float64(scale)
    elif o == n:
        return dst
    elif o == 2 * n:
        return dst // 2
    else:
        real = dst.astype(np.float32) * scale
    return np.minimum(np.floor(np.asarray(real).astype(np.float32)).astype(np.int64), n - 1)


def _selection(sources: list[np.ndarray], sizes: tuple[int, ...]) -> np.ndarray:
    """Dense one-channel matrix reading ``sources[a]`` on each axis (Kronecker product)."""
    out = np.ones((1, 1))
    for src, n in zip(sources, sizes, strict=True):
        axis = np.zeros((src.size, n))
        axis[np.arange(src.size), src] = 1
        out = np.kron(out, axis)
    return out


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_interpolate_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    """Forward ``A x`` and gradient ``A^T g``; for nearest modes PyTorch's two documented
    deviations are modelled, not ignored:

    * forward, 2-D, ``size=``, ``H + W <= 128``: the channels-last kernel's float32 ``n/o``
      (the map stays exact; PyTorch is checked against its own formula);
    * backward: every nearest backward uses ``nearest_idx``, which differs from the generic
      forward kernel when ``o == n`` or ``o == 2n`` with another factor (1.25 on 2, 2.1 on 2..9)
      or by float32 rounding (nearest-exact 6 -> 37): PyTorch's gradient is then NOT the
      adjoint of its forward.  It is checked against ``nearest_idx``, and ``A^T g`` against it
      wherever ``nearest_idx`` reads what the forward reads.
    """
    spec, sizes = data.draw(torch_resizes(ndim))
    x = _rng(data).standard_normal((2, 2, *sizes))
    m = linear_map(spec, (2, *sizes))
    op = _torch_interpolate(torch, spec, ndim)
    if spec.mode.value == "linear":
        _grad_check(torch, m, op, x)
        return
    out = symconv.resolve(spec, sizes).output
    half = spec.mode.value == "nearest-exact"
    sfs = spec.scale_factor or (None,) * ndim
    idx = [_torch_nearest_idx(n, o, sf, half)
           for n, o, sf in zip(sizes, out, sfs, strict=True)]
    model = _selection(idx, sizes)
    ours = m.numeric().toarray()[:prod(out), :prod(sizes)]  # one channel block
    flat = x.reshape(4, -1)
    xt = torch.tensor(x, requires_grad=True)
    y = op(xt)
    if spec.size is not None and ndim == 2 and sum(out) <= 128:
        assert np.array_equal(y.detach().numpy().reshape(4, -1), flat @ model.T)
        exact = [np.minimum(((2 * np.arange(o) + 1) * n) // (2 * o) if half
                            else (np.arange(o) * n) // o, n - 1)
                 for n, o in zip(sizes, out, strict=True)]
        assert np.array_equal(ours, _selection(exact, sizes))
    else:
        assert np.array_equal(_matvec(m, x), y.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(g))
    grad = xt.grad.numpy()
    _close(grad.reshape(4, -1), g.reshape(4, -1) @ model)
    if np.array_equal(model, ours):
        _close(_rmatvec(m, g), grad)


@pytest.mark.torch
def test_torch_nearest_backward_is_not_the_adjoint_pinned(torch: Any) -> None:
    """scale 1.25 on n=2: forward reads [x0, x0] (generic kernel: floor(dst * 0.8)); the
    backward kernel copies (o == n), so PyTorch's gradient is [g0, g1], not the adjoint
    [g0 + g1, 0] that ``A.T`` gives."""
    xt = torch.tensor([[[10.0, 20.0]]], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.interpolate(xt, scale_factor=1.25, mode="nearest")
    assert y.detach().numpy().tolist() == [[[10.0, 10.0]]]
    y.backward(torch.tensor([[[1.0, 2.0]]], dtype=torch.float64))
    m = linear_map(symconv.Resize(scale_factor=1.25), (1, 2))
    assert np.array_equal(_matvec(m, np.array([[[10.0, 20.0]]])), y.detach().numpy())
    assert xt.grad.numpy().tolist() == [[[1.0, 2.0]]]
    assert _rmatvec(m, np.array([[[1.0, 2.0]]])).tolist() == [[[3.0, 0.0]]]


@pytest.mark.torch
def test_torch_nearest_size_float32_quirk_pinned(torch: Any) -> None:
    """14 -> 46 in 2-D: output 23 reads ``23 * 14 / 46 = 7``; PyTorch's float32 scale
    ``0.3043478f`` is just below 14/46, so it reads 6.  symconv's map reads 7."""
    n, o = 14, 46
    x = np.arange(n * n, dtype=np.float64).reshape(1, 1, n, n)
    y = torch.nn.functional.interpolate(torch.tensor(x), size=(o, o), mode="nearest").numpy()
    m = linear_map(symconv.Resize(size=(o, o)), (1, n, n))
    ours = _matvec(m, x)
    differ = np.argwhere(ours[0, 0] != y[0, 0])
    assert differ.size  # PyTorch is off the exact map somewhere
    exact = (np.arange(o) * n) // o
    torch_src = _torch_nearest_idx(n, o, None, half=False)
    rows = sorted({int(i) for i in np.flatnonzero(exact != torch_src)})
    assert rows == [23] and torch_src[23] == 6 and exact[23] == 7  # one pixel before
    assert np.array_equal(ours[0, 0], x[0, 0][exact][:, exact])


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_max_pool_selection_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    spec, sizes = data.draw(layers(kind="max-pool", convention="torch", ndim=ndim,
                                   span=SPAN[ndim]))
    ties = data.draw(st.booleans())
    rng = _rng(data)
    x = (rng.integers(0, 3, size=(2, *sizes)) if ties
         else rng.standard_normal((2, *sizes))).astype(np.float64)
    r = symconv.resolve(spec, sizes)
    y, idx = _fn(torch, "max_pool", ndim)(
        torch.tensor(x[None]), spec.kernel, stride=spec.stride, padding=_sym(spec.padding),
        dilation=spec.dilation, ceil_mode=spec.ceil_mode, return_indices=True)
    s = max_pool_selection_map(r.layer, x)
    assert np.array_equal(_matvec(s, x[None])[0], y[0].numpy())
    # the selected input is PyTorch's arg-max, ties included
    chosen = s.canonical()
    plane = prod(sizes)
    assert np.array_equal(chosen.cols % plane, idx[0].numpy().ravel())


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2))
@given(data=st.data())
def test_max_pool_selection_vs_onnxruntime(ort: Any, ndim: int, data: st.DataObject) -> None:
    """ONNX MaxPool allows padding up to kernel - 1 (PyTorch: kernel // 2); the selection map
    follows the layer's convention, and picks onnxruntime's arg-max (ties: the first)."""
    from onnx import TensorProto, helper

    spec, sizes = data.draw(layers(kind="max-pool", convention="onnx", ndim=ndim,
                                   span=SPAN[ndim]))
    r = symconv.resolve(spec, sizes)
    rng = _rng(data)
    x = rng.integers(0, 3, size=(1, *sizes)).astype(np.float32)  # ties on purpose
    pads = [p for p, _ in r.pads] + [q for _, q in r.pads]
    node = helper.make_node("MaxPool", ["X"], ["Y", "I"], kernel_shape=list(spec.kernel),
                            strides=list(spec.stride), dilations=list(spec.dilation), pads=pads,
                            ceil_mode=int(spec.ceil_mode))
    graph = helper.make_graph(
        [node], "maxpool", [helper.make_tensor_value_info("X", TensorProto.FLOAT, (1, *x.shape))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("I", TensorProto.INT64, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y, idx = sess.run(None, {"X": x[None]})
    s = max_pool_selection_map(r.layer, x)
    assert y.shape[2:] == tuple(r.output)
    assert np.array_equal(_matvec(s, x[None].astype(np.float64))[0], y[0])
    assert np.array_equal(s.canonical().cols, idx.ravel())  # N = C = 1: flat spatial positions


def test_max_pool_selection_takes_onnx_padding_up_to_kernel_minus_one() -> None:
    # k=3, pads 2: PyTorch refuses (pad <= k//2) but ONNX runs it; the reference op used to
    # apply PyTorch's limit to every convention.
    layer = symconv.MaxPool(kernel=3, stride=1, padding=2, convention="onnx")
    x = -np.arange(3.0)[None]
    s = max_pool_selection_map(layer.at(1), x)
    assert s.canonical().cols.tolist() == [0, 0, 0, 1, 2]  # what onnxruntime reports


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_max_unpool_vs_torch(torch: Any, ndim: int, data: st.DataObject) -> None:
    spec = data.draw(pool_specs(ndim, "torch", "max"))
    spec = dataclasses.replace(spec, dilation=(1,) * ndim, ceil_mode=False)
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim]))
    x = _rng(data).standard_normal((1, 2, *sizes))
    pads = _sym(spec.padding)
    y, idx = _fn(torch, "max_pool", ndim)(torch.tensor(x), spec.kernel, stride=spec.stride,
                                          padding=pads, return_indices=True)
    unpool = symconv.MaxUnpool(kernel=spec.kernel, stride=spec.stride, padding=spec.padding,
                               output_size=sizes)
    theirs = _fn(torch, "max_unpool", ndim)(y, idx, spec.kernel, stride=spec.stride,
                                            padding=pads, output_size=sizes).numpy()
    m = linear_map(unpool, tuple(y.shape[1:]), indices=idx[0].numpy())
    ours = _matvec(m, y.numpy())
    # overlapping windows repeat a switch: PyTorch writes the (equal) value once, the map sums
    counts = np.bincount(m.rows, minlength=m.shape[0]).reshape(ours.shape)
    _close(ours, theirs * np.maximum(counts, 1))


@pytest.mark.torch
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(r=st.integers(1, 3), c=st.integers(1, 2), data=st.data())
def test_pixel_shuffle_vs_torch(torch: Any, ndim: int, r: int, c: int, data: st.DataObject) -> None:
    sizes = tuple(data.draw(st.integers(1, 3)) for _ in range(ndim))
    x = _rng(data).standard_normal((1, c * r**ndim, *sizes))
    shuffle = linear_map(symconv.PixelShuffle(factor=r, ndim=ndim), x.shape[1:])
    unshuffle = linear_map(symconv.PixelUnshuffle(factor=r, ndim=ndim), shuffle.out_shape)
    if ndim == 2:  # PyTorch's pixel_shuffle is 2-D only for 4-D tensors... and N-D since 1.8
        y = torch.nn.functional.pixel_shuffle(torch.tensor(x), r).numpy()
        assert np.array_equal(_matvec(shuffle, x), y)
        assert np.array_equal(
            _matvec(unshuffle, y), torch.nn.functional.pixel_unshuffle(torch.tensor(y), r))
    assert np.array_equal(_matvec(unshuffle, _matvec(shuffle, x)), x)


# --------------------------------------------------------------------------- ONNX


def _onnx_model(op: str, inputs: dict[str, np.ndarray], **attrs: Any) -> Any:
    from onnx import TensorProto, checker, helper

    elem = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
    names = [n if n in inputs else "" for n in _ONNX_INPUTS[op]]
    while names and not names[-1]:
        names.pop()
    node = helper.make_node(op, names, ["Y"], **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(k, elem[v.dtype], v.shape) for k, v in inputs.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT,
                                       [None] * inputs["X"].ndim)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = 10
    checker.check_model(model)
    return model


_ONNX_INPUTS = {"Conv": ("X", "W"), "ConvTranspose": ("X", "W"), "AveragePool": ("X",),
                "Resize": ("X", "roi", "scales", "sizes"), "DepthToSpace": ("X",)}


def _run_ort(ort: Any, op: str, inputs: dict[str, np.ndarray], **attrs: Any) -> np.ndarray:
    model = _onnx_model(op, inputs, **attrs)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, inputs)[0])


def _run_reference(op: str, inputs: dict[str, np.ndarray], **attrs: Any) -> np.ndarray:
    from onnx.reference import ReferenceEvaluator

    return np.asarray(ReferenceEvaluator(_onnx_model(op, inputs, **attrs)).run(None, inputs)[0])


def _pads(pairs: Any) -> list[int]:
    return [b for b, _ in pairs] + [e for _, e in pairs]


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_conv_vs_onnx(ort: Any, ndim: int, data: st.DataObject) -> None:
    # pairs or auto_pad names, groups
    spec, sizes = data.draw(layers(kind="conv", convention="onnx", ndim=ndim, span=SPAN[ndim]))
    g = spec.groups
    c_in = spec.in_channels or g * data.draw(st.integers(1, 2))
    c_out = spec.out_channels or g * data.draw(st.integers(1, 2))
    rng = _rng(data)
    x = rng.integers(-4, 5, size=(1, c_in, *sizes)).astype(np.float32)
    w = rng.integers(-4, 5, size=(c_out, c_in // g, *spec.kernel)).astype(np.float32)
    attrs: dict[str, Any] = {"kernel_shape": list(spec.kernel), "strides": list(spec.stride),
                             "dilations": list(spec.dilation), "group": g}
    if isinstance(spec.padding, tuple):
        attrs["pads"] = _pads(spec.padding)
    else:
        attrs["auto_pad"] = spec.padding.value.upper()
    m = linear_map(spec, (c_in, *sizes), out_channels=c_out)
    ours = _matvec(m, x.astype(np.float64), w.astype(np.float64))
    # small integers: float32 sums are exact, so both evaluators must agree exactly
    assert np.array_equal(ours, _run_reference("Conv", {"X": x, "W": w}, **attrs))
    if "auto_pad" in attrs and attrs["auto_pad"] != "VALID" and max(spec.dilation) > 1:
        # onnxruntime: "Dilation not supported for AutoPadType::SAME_UPPER or SAME_LOWER"
        with pytest.raises(Exception, match="Dilation not supported"):
            _run_ort(ort, "Conv", {"X": x, "W": w}, **attrs)
        return
    assert np.array_equal(ours, _run_ort(ort, "Conv", {"X": x, "W": w}, **attrs))


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_conv_transpose_vs_onnx(ort: Any, ndim: int, data: st.DataObject) -> None:
    """The kit's ONNX ConvTranspose cases: asymmetric pads or auto_pad, groups, ``op < stride``
    (what onnxruntime accepts; PyTorch's ``stride <= op < dilation`` is checked against
    PyTorch), ``op`` at its limit half of the time, edge input sizes."""
    spec, sizes = data.draw(layers(kind="conv-transpose", convention="onnx", ndim=ndim,
                                   span=SPAN[ndim]))
    g = spec.groups
    c_in, c_out = g * data.draw(st.integers(1, 2)), g * data.draw(st.integers(1, 2))
    rng = _rng(data)
    x = rng.integers(-4, 5, size=(1, c_in, *sizes)).astype(np.float32)
    w = rng.integers(-4, 5, size=(c_in, c_out // g, *spec.kernel)).astype(np.float32)
    attrs: dict[str, Any] = {"kernel_shape": list(spec.kernel), "strides": list(spec.stride),
                             "dilations": list(spec.dilation), "group": g,
                             "output_padding": list(spec.output_padding)}
    if isinstance(spec.padding, tuple):
        attrs["pads"] = _pads(spec.padding)
    else:
        attrs["auto_pad"] = spec.padding.value.upper()
    m = linear_map(spec, (c_in, *sizes), out_channels=c_out)
    ours = _matvec(m, x.astype(np.float64), w.astype(np.float64))
    assert np.array_equal(ours, _run_ort(ort, "ConvTranspose", {"X": x, "W": w}, **attrs))


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@given(data=st.data())
def test_average_pool_vs_onnxruntime(ort: Any, ndim: int, data: st.DataObject) -> None:
    """count_include_pad 0 and 1, ceil mode, asymmetric pads, auto_pad, dilations."""
    spec, sizes = data.draw(layers(kind="avg-pool", convention="onnx", ndim=ndim,
                                   span=SPAN[ndim]))
    x = _rng(data).standard_normal((1, 2, *sizes)).astype(np.float32)
    attrs: dict[str, Any] = {"kernel_shape": list(spec.kernel), "strides": list(spec.stride),
                             "dilations": list(spec.dilation),
                             "ceil_mode": int(spec.ceil_mode),
                             "count_include_pad": int(spec.count_include_pad)}
    if isinstance(spec.padding, tuple):
        attrs["pads"] = _pads(spec.padding)
    else:
        attrs["auto_pad"] = spec.padding.value.upper()
    m = linear_map(spec, (2, *sizes))
    _close(_matvec(m, x.astype(np.float64)), _run_ort(ort, "AveragePool", {"X": x}, **attrs),
           tol=1e-5)


#: Scale factors exact in float32, so ONNX's scale equals symconv's exact factor.
DYADIC = (Fraction(1, 2), Fraction(3, 4), Fraction(3, 2), Fraction(5, 2), 2, 3, Fraction(5, 4))


def _ort_resize_expected(m: IndexMap, x: np.ndarray) -> np.ndarray:
    """onnxruntime returns the input unchanged when the output shape equals the input shape,
    whatever the scales (1.25 on n=2 or 3); the ONNX spec (and its reference evaluator)
    resample with the given scale.  The map follows the spec."""
    if m.out_shape == m.in_shape:
        return x.astype(np.float64)
    return _matvec(m, x.astype(np.float64))


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@pytest.mark.parametrize("cmode", ("half_pixel", "pytorch_half_pixel", "align_corners",
                                   "asymmetric"))
@given(data=st.data())
def test_linear_resize_vs_onnx(ort: Any, ndim: int, cmode: str, data: st.DataObject) -> None:
    sf = tuple(data.draw(st.sampled_from(DYADIC)) for _ in range(ndim))
    spec = symconv.Resize(scale_factor=sf, mode="linear", coordinate_mode=cmode,
                          convention="onnx", ndim=ndim)
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim] + 3))
    x = _rng(data).standard_normal((1, 2, *sizes)).astype(np.float32)
    m = linear_map(spec, (2, *sizes))
    feeds = {"X": x, "scales": np.array([1, 1, *(float(f) for f in sf)], np.float32)}
    attrs = {"mode": "linear", "coordinate_transformation_mode": cmode}
    _close(_ort_resize_expected(m, x), _run_ort(ort, "Resize", feeds, **attrs), tol=1e-5)
    if cmode in ("half_pixel", "asymmetric"):
        # (the reference evaluator uses the fractional length n * scale in the other two)
        _close(_matvec(m, x.astype(np.float64)), _run_reference("Resize", feeds, **attrs),
               tol=1e-5)


@pytest.mark.onnx
def test_onnxruntime_resize_same_shape_is_a_copy_pinned(ort: Any) -> None:
    """scale 1.25 on n=2: output length 2.  The spec reads x_original = (1 + 1/2)/1.25 - 1/2
    = 7/10 for output 1 (the reference evaluator and symconv: 0.3 x0 + 0.7 x1); onnxruntime
    copies the input because the output shape equals the input shape."""
    x = np.array([[[0.0, 10.0]]], np.float32)
    feeds = {"X": x, "scales": np.array([1, 1, 1.25], np.float32)}
    attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    m = linear_map(symconv.Resize(scale_factor=Fraction(5, 4), mode="linear",
                                  convention="onnx"), (1, 2))
    assert _matvec(m, x.astype(np.float64)).tolist() == [[[0.0, 7.0]]]
    assert _run_reference("Resize", feeds, **attrs).tolist() == [[[0.0, 7.0]]]
    assert _run_ort(ort, "Resize", feeds, **attrs).tolist() == [[[0.0, 10.0]]]


@pytest.mark.onnx
@pytest.mark.parametrize("ndim", (1, 2, 3))
@pytest.mark.parametrize("cmode", ("half_pixel", "pytorch_half_pixel", "align_corners",
                                   "asymmetric"))
@pytest.mark.parametrize("nmode", ("floor", "ceil", "round_prefer_floor", "round_prefer_ceil"))
@given(data=st.data())
def test_nearest_resize_vs_onnx(ort: Any, ndim: int, cmode: str, nmode: str,
                                data: st.DataObject) -> None:
    """Every coordinate mode with every rounding (PyTorch nearest = asymmetric + floor,
    nearest-exact = half_pixel + round_prefer_ceil, ONNX default half_pixel +
    round_prefer_floor)."""
    sf = tuple(data.draw(st.sampled_from(DYADIC)) for _ in range(ndim))
    spec = symconv.Resize(scale_factor=sf, mode="nearest", coordinate_mode=cmode,
                          nearest_mode=nmode, convention="onnx", ndim=ndim)
    sizes = data.draw(valid_input_sizes(spec, span=SPAN[ndim] + 3))
    x = _rng(data).standard_normal((1, 2, *sizes)).astype(np.float32)
    feeds = {"X": x, "scales": np.array([1, 1, *(float(f) for f in sf)], np.float32)}
    attrs = {"mode": "nearest", "coordinate_transformation_mode": cmode, "nearest_mode": nmode}
    m = linear_map(spec, (2, *sizes))
    assert np.array_equal(_ort_resize_expected(m, x), _run_ort(ort, "Resize", feeds, **attrs))
    if cmode in ("half_pixel", "asymmetric"):
        assert np.array_equal(_matvec(m, x.astype(np.float64)),
                              _run_reference("Resize", feeds, **attrs))


@pytest.mark.onnx
@pytest.mark.parametrize("order", ("DCR", "CRD"))
@given(r=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4))
def test_depth_to_space_vs_onnx(ort: Any, order: str, r: int, c: int, h: int, w: int) -> None:
    x = np.arange(c * r * r * h * w, dtype=np.float32).reshape(1, c * r * r, h, w)
    m = pixel_shuffle_map(symconv.PixelShuffle(factor=r, order=order, ndim=2), x.shape[1:])
    ours = _matvec(m, x.astype(np.float64))
    attrs = {"blocksize": r, "mode": order}
    assert np.array_equal(ours, _run_ort(ort, "DepthToSpace", {"X": x}, **attrs))
    assert np.array_equal(ours, _run_reference("DepthToSpace", {"X": x}, **attrs))
