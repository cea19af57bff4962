"""Run one layer, described by symconv spec keyword arguments, in symconv, PyTorch and ONNX.

A *case* is ``(kind, kwargs, sizes, channels)``: ``kind`` names a :mod:`symconv.spec` class
(``"Conv"``, ``"MaxPool"``, ...), ``kwargs`` are that class's keyword arguments (possibly
invalid: the point is to see who rejects them), ``sizes`` the spatial input size and
``channels`` the input channel count.  Every runner returns an :class:`Outcome`, so the tests
compare like with like: ``(channels, *spatial)`` of the output, or the error message.

Optional frameworks follow one rule (:func:`require`): skipped locally when missing, a failure
when ``CI=true``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

import symconv
from symconv import InvalidSpecError

from conftest import requires

ONNX_OPSET = 22  # Conv, ConvTranspose, pools, MaxUnpool at their newest version here


def require(name: str) -> ModuleType:
    """Import an optional framework: skip when missing, but fail under ``CI=true``
    (the one rule, :func:`conftest.requires`)."""
    module: ModuleType = requires(name)
    return module


@dataclass(frozen=True)
class Outcome:
    """``shape`` = ``(channels, *spatial)`` of the output, or ``error`` = the rejection message."""

    shape: tuple[int, ...] | None = None
    error: str | None = None
    values: Any = None  # the output array where a test wants to look at values

    @property
    def kind(self) -> str:
        if self.error is not None:
            return "error"
        assert self.shape is not None
        return "empty" if 0 in self.shape else "ok"

    def __str__(self) -> str:
        return f"error: {self.error}" if self.error is not None else f"shape {self.shape}"


def describe(kind: str, kwargs: dict[str, Any], sizes: tuple[int, ...], channels: int) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{kind}({args}) on input (1, {channels}, {', '.join(map(str, sizes))})"


#: Refusals symconv makes on purpose because the runtimes disagree with the spec (the message
#: says so); a framework that accepts such a case is not a disagreement.
DELIBERATE_REFUSALS = ("so the output size depends on the runtime",)


def disagreement(framework: str, case: tuple[Any, ...], fw: Outcome, sc: Outcome) -> str | None:
    """``None`` when symconv agrees with the framework, else a one-paragraph report.

    Agreement: both reject; or both accept with the same output shape.  A framework that
    returns an *empty* output (a zero-sized spatial axis) without raising is counted as a
    rejection that symconv must make too: symconv's contract is that outputs have size >= 1.
    """
    framework_ok = fw.kind == "ok"
    if framework_ok == (sc.kind == "ok") and (not framework_ok or fw.shape == sc.shape):
        return None
    if sc.kind != "ok" and any(reason in str(sc) for reason in DELIBERATE_REFUSALS):
        return None  # symconv refuses on purpose, naming the runtimes that disagree
    return f"{describe(*case)}\n  {framework}: {fw}\n  symconv: {sc}"


# --------------------------------------------------------------------------- symconv


def symconv_outcome(
    kind: str, kwargs: dict[str, Any], sizes: tuple[int, ...], channels: int
) -> Outcome:
    """Build the spec and resolve it; only :class:`InvalidSpecError` counts as a rejection."""
    try:
        layer = getattr(symconv, kind)(**kwargs)
        out = symconv.resolve(layer, sizes).output
        assert out == symconv.output_shape(layer, sizes)
        c = symconv.output_channels(layer, channels, ndim=len(sizes))
    except InvalidSpecError as exc:
        return Outcome(error=str(exc))
    return Outcome(shape=(c, *out))


# --------------------------------------------------------------------------- PyTorch

_TORCH_ERRORS = (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError)


def torch_outcome(
    kind: str,
    kwargs: dict[str, Any],
    sizes: tuple[int, ...],
    channels: int,
    x: Any = None,
) -> Outcome:
    """Run the PyTorch layer that a symconv spec with these kwargs describes (float64, CPU)."""
    torch = require("torch")
    nd = len(sizes)
    if x is None:
        x = torch.randn(1, channels, *sizes, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(0))
    try:
        y = _torch_call(torch, kind, dict(kwargs), nd, channels, x)
    except _TORCH_ERRORS as exc:
        return Outcome(error=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    return Outcome(shape=tuple(y.shape[1:]), values=y)


def _torch_call(torch: Any, kind: str, kw: dict[str, Any], nd: int, c: int, x: Any) -> Any:
    F, nn = torch.nn.functional, torch.nn
    if kind == "Conv":
        m = getattr(nn, f"Conv{nd}d")(
            kw.pop("in_channels"), kw.pop("out_channels"), kw.pop("kernel"), bias=False,
            dtype=torch.float64, **kw)
        return m(x)
    if kind == "ConvTranspose":
        size = kw.pop("output_size", None)
        m = getattr(nn, f"ConvTranspose{nd}d")(
            kw.pop("in_channels"), kw.pop("out_channels"), kw.pop("kernel"), bias=False,
            dtype=torch.float64, **kw)
        return m(x, output_size=None if size is None else _seq(size, nd))
    if kind == "MaxPool":
        return getattr(F, f"max_pool{nd}d")(x, kw.pop("kernel"), **kw)
    if kind == "AvgPool":
        return getattr(F, f"avg_pool{nd}d")(x, kw.pop("kernel"), **kw)
    if kind == "MaxUnpool":
        size = kw.pop("output_size", None)
        idx = torch.zeros(x.shape, dtype=torch.int64)  # index 0 exists in any non-empty output
        return getattr(F, f"max_unpool{nd}d")(
            x, idx, kw.pop("kernel"), output_size=None if size is None else _seq(size, nd), **kw)
    if kind == "Resize":
        mode = kw.pop("mode", "nearest")
        if mode == "linear":
            mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
        return F.interpolate(x, mode=mode, **kw)
    if kind == "PixelShuffle":
        return F.pixel_shuffle(x, kw["factor"])
    if kind == "PixelUnshuffle":
        return F.pixel_unshuffle(x, kw["factor"])
    raise AssertionError(f"no PyTorch layer for {kind}")


def _seq(value: Any, nd: int) -> list[int]:
    return list(value) if isinstance(value, tuple | list) else [value] * nd


# --------------------------------------------------------------------------- ONNX

_ONNX_OPS = {"Conv": "Conv", "ConvTranspose": "ConvTranspose", "MaxPool": "MaxPool",
             "AvgPool": "AveragePool", "MaxUnpool": "MaxUnpool", "Resize": "Resize",
             "PixelShuffle": "DepthToSpace", "PixelUnshuffle": "SpaceToDepth"}


def onnx_model(
    kind: str,
    kwargs: dict[str, Any],
    sizes: tuple[int, ...],
    channels: int,
    *,
    x: np.ndarray | None = None,
    w: np.ndarray | None = None,
) -> tuple[Any, dict[str, np.ndarray]]:
    """A one-node ONNX model (opset :data:`ONNX_OPSET`) for symconv-style ``kwargs`` and feeds.

    Numeric padding becomes ``pads`` (all begins, then all ends); padding names become
    ``auto_pad``.  Conv weights default to ones; the input defaults to ``arange`` values.
    """
    onnx = require("onnx")
    from onnx import TensorProto, helper

    nd, kw = len(sizes), dict(kwargs)
    shape = (1, channels, *sizes)
    if x is None:
        x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    feeds: dict[str, np.ndarray] = {"X": x.astype(np.float32)}
    attrs: dict[str, Any] = {}
    inputs = ["X"]

    def ints(name: str, value: Any) -> None:
        if value is not None:
            attrs[name] = _seq(value, nd)

    if kind in ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "MaxUnpool"):
        k = _seq(kw.pop("kernel"), nd)
        attrs["kernel_shape"] = k
        stride = kw.pop("stride", None)  # symconv: pools default to the kernel, convs to 1
        if stride is None and kind not in ("Conv", "ConvTranspose"):
            stride = k
        ints("strides", stride)
        _onnx_padding(attrs, kw.pop("padding", 0), nd)
        dil = kw.pop("dilation", 1)
        if kind != "MaxUnpool":
            ints("dilations", dil)
    if kind in ("Conv", "ConvTranspose"):
        g = kw.pop("groups", 1)
        attrs["group"] = g
        cin, cout = kw.pop("in_channels", channels), kw.pop("out_channels", channels)
        wshape = (cout, cin // g, *k) if kind == "Conv" else (cin, cout // g, *k)
        feeds["W"] = (np.ones(wshape, np.float32) if w is None else w).astype(np.float32)
        inputs.append("W")
        if kind == "ConvTranspose":
            op = kw.pop("output_padding", None)
            ints("output_padding", op if op else None)
            ints("output_shape", kw.pop("output_size", None))
    elif kind in ("MaxPool", "AvgPool"):
        if kw.pop("ceil_mode", False):
            attrs["ceil_mode"] = 1
        if kw.pop("count_include_pad", None):
            attrs["count_include_pad"] = 1
    elif kind == "MaxUnpool":
        size = kw.pop("output_size", None)
        feeds["I"] = np.zeros(shape, np.int64)
        inputs.append("I")
        if size is not None:
            feeds["S"] = np.array([1, channels, *_seq(size, nd)], np.int64)
            inputs.append("S")
    elif kind == "Resize":
        mode = kw.pop("mode", "nearest")
        attrs["mode"] = "nearest" if mode.startswith("nearest") else "linear"
        cm = kw.pop("coordinate_mode", None) or (
            "asymmetric" if mode == "nearest" else "align_corners" if kw.get("align_corners")
            else "half_pixel")
        kw.pop("align_corners", None)
        attrs["coordinate_transformation_mode"] = cm
        if mode == "nearest":
            attrs["nearest_mode"] = "floor"
        elif mode == "nearest-exact":
            attrs["nearest_mode"] = "round_prefer_ceil"
        sf, size = kw.pop("scale_factor", None), kw.pop("size", None)
        inputs += ["", "scales" if sf is not None else ""]
        if sf is not None:
            feeds["scales"] = np.array([1, 1, *_seq(sf, nd)], np.float32)
        if size is not None:
            feeds["sizes"] = np.array([1, channels, *_seq(size, nd)], np.int64)
            inputs.append("sizes")
    elif kind in ("PixelShuffle", "PixelUnshuffle"):
        attrs["blocksize"] = kw.pop("factor")
        order = kw.pop("order", "CRD")
        if kind == "PixelShuffle":
            attrs["mode"] = order
    kw.pop("convention", None)
    if kw:
        raise AssertionError(f"onnx_model cannot express {kw}")
    node = helper.make_node(_ONNX_OPS[kind], inputs, ["Y"], **attrs)
    elem = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
    graph = helper.make_graph(
        [node], kind,
        [helper.make_tensor_value_info(n, elem[v.dtype], v.shape) for n, v in feeds.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None] * (nd + 2))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model, feeds


def _onnx_padding(attrs: dict[str, Any], padding: Any, nd: int) -> None:
    if isinstance(padding, str):
        attrs["auto_pad"] = padding.upper()
        return
    items = padding if isinstance(padding, tuple | list) else (padding,) * nd
    pairs = [p if isinstance(p, tuple | list) else (p, p) for p in items]
    if any(b or e for b, e in pairs):
        attrs["pads"] = [b for b, _ in pairs] + [e for _, e in pairs]


def ort_outcome(model: Any, feeds: dict[str, np.ndarray]) -> Outcome:
    """Run the model in onnxruntime (CPU); session creation errors count as rejections."""
    ort = require("onnxruntime")
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.intra_op_num_threads = 1  # tiny models: a thread pool per session only costs time
    opts.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(model.SerializeToString(), opts,
                                    providers=["CPUExecutionProvider"])
        y = sess.run(None, feeds)[0]
    except Exception as exc:  # onnxruntime raises its own exception types
        msg = str(exc).replace("\n", " ")
        at = msg.find("Status Message")
        return Outcome(error=(msg[at:] if at >= 0 else msg)[:300])
    return Outcome(shape=tuple(y.shape[1:]), values=y)


def reference_outcome(model: Any, feeds: dict[str, np.ndarray]) -> Outcome:
    """Run the model in ``onnx.reference.ReferenceEvaluator`` (the spec's Python reading)."""
    from onnx.reference import ReferenceEvaluator

    try:
        y = ReferenceEvaluator(model).run(None, feeds)[0]
    except Exception as exc:  # the evaluator raises whatever numpy raises
        return Outcome(error=f"{type(exc).__name__}: {str(exc).splitlines()[-1][:200]}")
    return Outcome(shape=tuple(y.shape[1:]), values=y)


def inferred_outcome(model: Any) -> Outcome | None:
    """``onnx.shape_inference.infer_shapes(strict_mode=True)``; ``None`` when not concrete."""
    onnx = require("onnx")
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:  # InferenceError and friends
        return Outcome(error=str(exc).splitlines()[0][:300])
    t = inferred.graph.output[0].type.tensor_type
    if not t.HasField("shape") or any(not d.HasField("dim_value") for d in t.shape.dim):
        return None
    dims = tuple(d.dim_value for d in t.shape.dim)[1:]
    if any(v < 0 for v in dims):
        return Outcome(error=f"negative inferred shape {dims}")
    return Outcome(shape=dims)
