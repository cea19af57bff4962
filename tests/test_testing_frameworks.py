"""Proof of use of the conformance kit: PyTorch and onnxruntime checked by
``symconv.testing.check_implementation`` with its default example budget, as a user would.

Each framework is wrapped in an implementation ``fn(layer, x, w)`` that passes the spec's
own parameters (never symconv's resolved pads or sizes) to the framework, so the framework's
rules are what is tested.  onnxruntime runs in the kit's child process
(:func:`symconv.testing.isolated`): a case that crashes it is a finding, and costs a fork (a
SIGFPE must not take pytest down).

The known defects (docs/CONVENTIONS.md section 9, docs/testing.md "What the kit found"):

* PyTorch 2-D ``nearest`` with ``size=`` reads one source pixel early where its float32
  scale rounds below ``n/o`` (``14 -> 46``), and so does ``nearest-exact`` (``20 -> 46``,
  a defect not recorded before the kit): found unaided (``test_torch_nearest_size``).
* onnxruntime pooling returns one output where ``-s < n + p_b + p_e - k_eff < 0``
  (onnxruntime#25234): found unaided (``test_onnxruntime_pool_rejections``).
* ONNX's ceil-mode rule before onnx PR #5741: fixed in the installed onnxruntime, which
  agrees with the kit on every ceil-mode case (``test_onnxruntime_pools``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

import symconv
import symconv.testing
from symconv.testing import LayerMismatch, check_implementation, layers

from conftest import requires

# --------------------------------------------------------------------------- PyTorch


def torch_fn(layer: Any, x: Any, w: Any, *, grad: Any = None) -> Any:
    """Run ``layer`` (torch convention) in PyTorch, float64, with the spec's parameters."""
    torch = requires("torch")
    F = torch.nn.functional
    nd = x.ndim - 2
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad is not None)
    wt = None if w is None else torch.tensor(np.asarray(w, dtype=np.float64),
                                             requires_grad=grad is not None)
    pad = getattr(layer, "padding", None)
    if isinstance(pad, tuple):
        pad = tuple(b for b, _ in pad)  # the torch strategies draw symmetric pads
    elif pad is not None:
        pad = str(pad.value)
    kind = type(layer).__name__
    if kind == "Conv":
        y = getattr(F, f"conv{nd}d")(xt, wt, None, layer.stride, pad, layer.dilation,
                                     layer.groups)
    elif kind == "ConvTranspose":
        y = getattr(F, f"conv_transpose{nd}d")(xt, wt, None, layer.stride, pad,
                                               layer.output_padding, layer.groups,
                                               layer.dilation)
    elif kind == "MaxPool":
        y = getattr(F, f"max_pool{nd}d")(xt, layer.kernel, layer.stride, pad, layer.dilation,
                                         ceil_mode=layer.ceil_mode)
    elif kind == "AvgPool":
        y = getattr(F, f"avg_pool{nd}d")(xt, layer.kernel, layer.stride, pad,
                                         ceil_mode=layer.ceil_mode,
                                         count_include_pad=bool(layer.count_include_pad))
    elif kind in ("AdaptiveAvgPool", "AdaptiveMaxPool"):
        name = "avg" if kind == "AdaptiveAvgPool" else "max"
        y = getattr(F, f"adaptive_{name}_pool{nd}d")(xt, layer.output_size)
    elif kind == "Resize":
        mode = {"linear": {1: "linear", 2: "bilinear", 3: "trilinear"}[nd],
                "cubic": "bicubic"}.get(layer.mode.value, layer.mode.value)
        kw: dict[str, Any] = {"mode": mode}
        if layer.mode.value in ("linear", "cubic"):
            kw["align_corners"] = bool(layer.align_corners)
        if layer.size is not None:
            kw["size"] = tuple(layer.size)
        else:
            kw["scale_factor"] = tuple(float(f) for f in layer.scale_factor)
        y = F.interpolate(xt, **kw)
    elif kind == "PixelShuffle":
        y = F.pixel_shuffle(xt, layer.factor)
    elif kind == "PixelUnshuffle":
        y = F.pixel_unshuffle(xt, layer.factor)
    else:
        raise NotImplementedError(kind)
    if grad is None:
        return y.detach().numpy()
    y.backward(torch.tensor(np.asarray(grad, dtype=np.float64)))
    gx = xt.grad.numpy()
    return gx if wt is None else (gx, wt.grad.numpy())


def torch_grads(layer: Any, x: Any, w: Any, g: Any) -> Any:
    return torch_fn(layer, x, w, grad=g)


def _torch_expressible(case: Any) -> bool:
    """PyTorch takes float scale factors (a Fraction is not one) and shuffles in 2-D."""
    layer = case.layer
    if isinstance(layer, symconv.Resize) and layer.scale_factor is not None:
        return all(int(f) == f for f in layer.scale_factor)
    if isinstance(layer, symconv.PixelShuffle | symconv.PixelUnshuffle):
        return len(case.input_size) == 2
    return True


@pytest.mark.torch
def test_torch_windows_and_gradients() -> None:
    """Convolutions, transposed convolutions and pooling in 1-D and 2-D, forward and
    gradients: PyTorch 2.13 agrees with the kit on every case of the default budget."""
    requires("torch")
    check_implementation(torch_fn, layers(kind=("conv", "conv-transpose", "max-pool",
                                                "avg-pool"), convention="torch"),
                         grad_fn=torch_grads, rtol=1e-9, atol=1e-9)


@pytest.mark.torch
def test_torch_adaptive_and_shuffles() -> None:
    requires("torch")
    check_implementation(torch_fn, layers(kind=("adaptive-pool", "pixel-shuffle",
                                                "pixel-unshuffle"), convention="torch",
                                          ndim=(1, 2)).filter(_torch_expressible),
                         rtol=1e-9, atol=1e-9)


@pytest.mark.torch
def test_torch_nearest_size() -> None:
    """Unaided, with the default budget, over every resize PyTorch can express: its 2-D
    ``nearest`` (and ``nearest-exact``) with ``size=`` reads one source early where its
    float32 scale rounds below ``n/o`` (14 -> 46 nearest; 20 -> 46 nearest-exact); the kit
    shrinks it to one case."""
    requires("torch")
    strategy = layers(kind="resize", convention="torch", ndim=2).filter(_torch_expressible)
    with pytest.raises(LayerMismatch) as info:
        check_implementation(torch_fn, strategy, derandomize=True)
    err = info.value
    layer: Any = err.layer
    assert layer.size is not None and layer.mode.value in ("nearest", "nearest-exact"), err
    assert " 1 of " in str(err) and "symconv matrix resize" in str(err)
    torch = requires("torch")
    half = 0.5 if layer.mode.value == "nearest-exact" else 0.0
    for n, o in zip(err.input_size, layer.size, strict=True):
        exact = [int((j + half) * n // o) for j in range(o)]
        x = torch.arange(n, dtype=torch.float64).reshape(1, 1, 1, n)
        got = torch.nn.functional.interpolate(x, size=(1, o), mode=layer.mode.value)
        if got.flatten().tolist() != exact:  # one source early, on this axis
            diff = [e - g for e, g in zip(exact, got.flatten().tolist(), strict=True)]
            assert sorted(set(diff)) == [0, 1], diff
            return
    raise AssertionError(f"no axis of {err} reproduces in 1x{layer.size}")


@pytest.mark.torch
def test_torch_nearest_exact_defect_is_pinned() -> None:
    """PyTorch 2.13.0 ``nearest-exact`` with ``size=`` (docs/CONVENTIONS.md section 9): 20 ->
    46, output 34 reads source 14 where ``floor(34.5 * 20 / 46) = 15`` exactly, in 2-D on
    float64 inputs and in every rank on float32 inputs; 1-D and 3-D float64 are right.
    symconv's map reads 15.  Fails when PyTorch is fixed (then update section 9)."""
    torch = requires("torch")
    F = torch.nn.functional
    n, o = 20, 46

    def source(nd: int, dtype: Any) -> int:
        x = torch.arange(n, dtype=dtype).reshape((1, 1) + (1,) * (nd - 1) + (n,))
        y = F.interpolate(x, size=(1,) * (nd - 1) + (o,), mode="nearest-exact")
        return int(y.flatten()[34])

    got = {(nd, str(dt).split(".")[-1]): source(nd, dt)
           for nd in (1, 2, 3) for dt in (torch.float32, torch.float64)}
    assert got == {(1, "float32"): 14, (1, "float64"): 15, (2, "float32"): 14,
                   (2, "float64"): 14, (3, "float32"): 14, (3, "float64"): 15}, got
    want = symconv.testing.expected(symconv.Resize(size=(o,), mode="nearest-exact"),
                                    np.arange(n).reshape(1, 1, n))
    assert int(want.output[0, 0, 34]) == 15


@pytest.mark.torch
def test_torch_resize_integer_factors() -> None:
    requires("torch")
    strategy = layers(kind="resize", convention="torch").filter(
        lambda c: c.layer.size is None and _torch_expressible(c))
    check_implementation(torch_fn, strategy, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- onnxruntime

def _ort_setup() -> None:
    """Imported once in the kit's child (symconv.testing.isolated), before any case."""
    import onnx  # noqa: F401
    import onnxruntime as ort

    ort.set_default_logger_severity(4)


def onnxruntime_fn(layer: Any, x: Any, w: Any) -> Any:
    """Run ``layer`` (onnx convention) in onnxruntime (float32), with the spec's attributes:
    a one-node model, in the kit's child process (an onnxruntime crash is a finding)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    feeds = {"X": np.asarray(x, dtype=np.float32)}
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)]
    if w is not None:
        feeds["W"] = np.asarray(w, dtype=np.float32)
        inputs.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, w.shape))
    node = helper.make_node(_OPS[type(layer).__name__], list(feeds), ["Y"],
                            **ort_attrs(layer))
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, feeds)[0], dtype=np.float64)


@pytest.fixture(scope="module")
def ort_child() -> Any:
    requires("onnx")
    requires("onnxruntime")
    with symconv.testing.isolated(onnxruntime_fn, setup=_ort_setup) as fn:
        yield fn


_OPS = {"Conv": "Conv", "ConvTranspose": "ConvTranspose", "MaxPool": "MaxPool",
        "AvgPool": "AveragePool"}


def ort_attrs(layer: Any) -> dict[str, Any]:
    """The ONNX attributes of an onnx-convention spec, from its own parameters."""
    kind = type(layer).__name__
    attrs: dict[str, Any] = {"kernel_shape": list(layer.kernel), "strides": list(layer.stride)}
    if kind != "AvgPool" or any(d > 1 for d in layer.dilation):
        attrs["dilations"] = list(layer.dilation)
    if isinstance(layer.padding, tuple):
        attrs["pads"] = [b for b, _ in layer.padding] + [e for _, e in layer.padding]
    else:
        attrs["auto_pad"] = str(layer.padding.value).upper()
    if kind in ("Conv", "ConvTranspose"):
        attrs["group"] = layer.groups
    if kind == "ConvTranspose" and layer.output_padding is not None:
        attrs["output_padding"] = list(layer.output_padding)
    if kind in ("MaxPool", "AvgPool"):
        attrs["ceil_mode"] = int(layer.ceil_mode)
    if kind == "AvgPool":
        attrs["count_include_pad"] = int(bool(layer.count_include_pad))
    return attrs


@pytest.mark.onnx
def test_onnxruntime_pools(ort_child: Any) -> None:
    """Max and average pooling, ceil mode included (the rule of onnx PR #5741): onnxruntime
    1.32 agrees with the kit on every case of the default budget."""
    check_implementation(ort_child,
                         layers(kind=("max-pool", "avg-pool"), convention="onnx"),
                         rtol=1e-5, atol=1e-5)


def _same_with_dilation(case: Any) -> bool:
    layer = case.layer
    return (isinstance(layer, symconv.Conv) and not isinstance(layer.padding, tuple)
            and str(layer.padding.value).startswith("same")
            and any(d > 1 for d in layer.dilation))


@pytest.mark.onnx
def test_onnxruntime_convolutions(ort_child: Any) -> None:
    """Unaided: onnxruntime refuses ``Conv`` with ``auto_pad=SAME_*`` and a dilation
    (onnxruntime#20582; ONNX defines it).  Without that family, onnxruntime 1.32 agrees with
    the kit on every convolution and transposed convolution of the default budget."""
    fn = ort_child
    with pytest.raises(LayerMismatch, match="Dilation not supported") as info:
        check_implementation(fn, layers(kind="conv", convention="onnx"), derandomize=True)
    assert _same_with_dilation(LayerCaseOf(info.value))
    check_implementation(fn, layers(kind=("conv", "conv-transpose"), convention="onnx")
                         .filter(lambda c: not _same_with_dilation(c)), rtol=1e-5, atol=1e-4)


class LayerCaseOf:
    """The case a :class:`LayerMismatch` names (``layer``, ``input_size``)."""

    def __init__(self, err: LayerMismatch) -> None:
        self.layer, self.input_size = err.layer, err.input_size


@pytest.mark.onnx
def test_onnxruntime_pool_rejections(ort_child: Any) -> None:
    """Unaided, with the default budget: onnxruntime pooling returns one output where the
    window does not fit (``-s < n + p_b + p_e - k_eff < 0``, onnxruntime#25234)."""
    with pytest.raises(LayerMismatch, match="which onnx rejects") as info:
        check_implementation(ort_child,
                             layers(kind=("max-pool", "avg-pool"), convention="onnx",
                                    valid=False, rejects="size"), derandomize=True)
    err = info.value
    layer: Any = err.layer
    fits = [n + b + e - (d * (k - 1) + 1) for n, (b, e), k, d in
            zip(err.input_size, layer.padding, layer.kernel, layer.dilation, strict=True)]
    assert any(-s < f < 0 for f, s in zip(fits, layer.stride, strict=True)), err
    assert "reproduce: symconv shape" in str(err)


def test_strategies_are_the_kits() -> None:
    assert isinstance(layers(kind="conv"), st.SearchStrategy)
