"""Proof of use of the conformance kit on a numpy implementation: ONNX's own reference
evaluator (``onnx.reference.ReferenceEvaluator``, the Python implementation of the ONNX
operators that ships with ``onnx``), checked by ``symconv.testing.check_implementation`` with
its default strategies and example budget, as its maintainers could.

The wrapper passes the spec's own ONNX attributes (``kernel_shape``, ``strides``,
``dilations``, ``pads`` or ``auto_pad``, ``ceil_mode``, ``count_include_pad``, ``group``,
``output_padding``; never symconv's resolved pads or sizes) to a one-node model in float64.
The evaluator is numpy: it runs in this process.

What the kit finds, unaided, in onnx 1.23.2 (docs/testing.md, docs/CONVENTIONS.md section 9),
each a defect of the reference pools (onnxruntime agrees with the kit on every one of them:
tests/test_testing_frameworks.py):

* ``1d-same``: any 1-D pool with ``auto_pad=SAME_*`` raises ``IndexError`` (the common pool
  code reads a second axis);
* ``ceil-auto-pad``: ``ceil_mode=1`` with ``auto_pad`` is refused ("ceil_mode is not
  supported with auto_pad") where the spec defines it;
* ``maxpool-strided-same``: MaxPool with a stride or dilation above 1 ignores
  ``auto_pad=SAME_*`` (no padding: output ``(1, 0)`` for a 1x2 window, stride 1x2 on 1x1);
* ``maxpool-explicit-pads``: MaxPool with unit strides and dilations misreads explicit
  ``pads``: in 2-D as ``(top, bottom, left, right)`` where ONNX orders them ``(x1_begin,
  x2_begin, x1_end, x2_end)``, in 1-D (and 3-D) it does not apply them at all;
* ``avgpool-ceil-pads``: AveragePool with ``ceil_mode=1`` and begin ``pads`` shifts every
  window one position left where ceil mode adds a window (``[1..8]``, window 3, stride 3,
  pads ``[2, 0]``: ``[nan, 2, 5, 7]`` for ``[1, 3, 6, 8]``);
* ``avgpool-auto-pad-dilation``: AveragePool with ``auto_pad`` ignores ``dilations`` (an
  attribute since opset 19; with explicit ``pads`` they are applied).

One more disagreement is between ONNX's own implementations, not a defect of one:
``transpose-same-text``, a ConvTranspose with ``auto_pad=SAME_*`` and ``k_eff + op < s`` has
the operator text's ``i*s`` in the evaluator but ``(i-1)s + k_eff + op`` in onnxruntime and
shape inference (symconv follows those; docs/CONVENTIONS.md section 3).

Outside those classes the evaluator agrees with the kit on every pool (ceil mode included: the
rule of onnx PR #5741 holds in the reference too), every rejected size, and every convolution
and transposed convolution of the default budget.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
from test_testing_frameworks import _OPS, ort_attrs

from symconv.testing import LayerMismatch, check_implementation, layers

from conftest import requires

pytestmark = pytest.mark.onnx

#: The onnx release whose reference evaluator these findings describe.
RECORDED = "1.23.2"

#: float64 all through: the evaluator's sums differ from the exact values by rounding only.
TOL = {"rtol": 1e-9, "atol": 1e-9}


def reference_fn(layer: Any, x: Any, w: Any) -> Any:
    """Run ``layer`` (onnx convention) in ``onnx.reference`` with the spec's attributes."""
    onnx = requires("onnx")
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    feeds = {"X": np.asarray(x, dtype=np.float64)}
    inputs = [helper.make_tensor_value_info("X", TensorProto.DOUBLE, x.shape)]
    if w is not None:
        feeds["W"] = np.asarray(w, dtype=np.float64)
        inputs.append(helper.make_tensor_value_info("W", TensorProto.DOUBLE, w.shape))
    node = helper.make_node(_OPS[type(layer).__name__], list(feeds), ["Y"], **ort_attrs(layer))
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    with warnings.catch_warnings():  # the evaluator's means of empty windows warn
        warnings.simplefilter("ignore", RuntimeWarning)
        out = ReferenceEvaluator(model).run(None, feeds)[0]
    assert onnx is not None
    return out


def reference_class(layer: Any, input_size: tuple[int, ...]) -> str | None:
    """The known defect class of the reference evaluator a case belongs to (``None``: none);
    the classes are disjoint, tried in this order."""
    kind = type(layer).__name__
    if kind == "ConvTranspose":
        same = not isinstance(layer.padding, tuple) and str(layer.padding.value) != "valid"
        op = layer.output_padding or (0,) * len(layer.stride)
        short = any((k - 1) * d + 1 + o < s for k, d, o, s in
                    zip(layer.kernel, layer.dilation, op, layer.stride, strict=True))
        return "transpose-same-text" if same and short and layer.output_size is None else None
    if kind not in ("MaxPool", "AvgPool"):
        return None
    pad = layer.padding
    auto = not isinstance(pad, tuple)
    same = auto and str(pad.value).startswith("same")
    unit = all(v == 1 for v in layer.stride) and all(v == 1 for v in layer.dilation)
    explicit = not auto and any(b or e for b, e in pad)
    if same and len(input_size) == 1:
        return "1d-same"
    if auto and layer.ceil_mode:
        return "ceil-auto-pad"
    if same and kind == "MaxPool" and not unit:
        return "maxpool-strided-same"
    if explicit and kind == "MaxPool" and unit:
        return "maxpool-explicit-pads"
    if explicit and kind == "AvgPool" and layer.ceil_mode and _ceil_adds_a_window(layer,
                                                                                input_size):
        return "avgpool-ceil-pads"
    if auto and kind == "AvgPool" and any(d > 1 for d in layer.dilation):
        return "avgpool-auto-pad-dilation"
    return None


def _ceil_adds_a_window(layer: Any, input_size: tuple[int, ...]) -> bool:
    import dataclasses

    import symconv

    try:
        floor = symconv.resolve(dataclasses.replace(layer, ceil_mode=False), input_size)
        ceil = symconv.resolve(layer, input_size)
    except symconv.InvalidSpecError:
        return False
    return tuple(ceil.output) != tuple(floor.output)


KNOWN = ("1d-same", "ceil-auto-pad", "maxpool-strided-same", "maxpool-explicit-pads",
         "avgpool-ceil-pads", "avgpool-auto-pad-dilation")


def test_reference_pools_every_known_defect_found_unaided() -> None:
    """The kit, run again and again with the classes it has found left out, finds each known
    defect class of the reference pools (shrunk to a small case), then agrees."""
    found: list[str] = []
    for _ in range(len(KNOWN) + 1):
        strategy = layers(kind=("max-pool", "avg-pool"), convention="onnx").filter(
            lambda c: reference_class(c.layer, c.input_size) not in found)
        try:
            check_implementation(reference_fn, strategy, derandomize=True, **TOL)
        except LayerMismatch as err:
            name = reference_class(err.layer, err.input_size)
            assert name is not None and name not in found, str(err)
            assert "reproduce: symconv shape" in str(err)
            assert max(err.input_size) <= 12, err  # shrunk
            found.append(name)
            continue
        break
    else:
        pytest.fail(f"still disagreeing after finding {found}")
    import onnx

    if onnx.__version__ == RECORDED:
        assert sorted(found) == sorted(KNOWN), found


def test_reference_pool_rejections_agree() -> None:
    """Every size the convention rejects, the evaluator rejects too (it raises)."""
    check_implementation(reference_fn,
                         layers(kind=("max-pool", "avg-pool"), convention="onnx", valid=False)
                         .filter(lambda c: c.layer is None
                                 or reference_class(c.layer, c.input_size) is None),
                         **TOL)


def test_reference_convolutions_follow_the_operator_text() -> None:
    """Conv and ConvTranspose.  Unaided, the kit finds where ONNX's own implementations part:
    a transposed convolution with ``auto_pad=SAME_*`` whose window is shorter than its stride
    (``k_eff + output_padding < s``) has the operator text's ``i*s`` in the evaluator, and
    ``(i-1)s + k_eff + op`` (the negative total padding clamped at 0) in onnxruntime and ONNX
    shape inference, which symconv follows (docs/CONVENTIONS.md section 3).  Outside it the
    evaluator agrees on every case of the default budget."""
    with pytest.raises(LayerMismatch) as info:
        check_implementation(reference_fn, layers(kind=("conv", "conv-transpose"),
                                                  convention="onnx"), derandomize=True, **TOL)
    err = info.value
    assert reference_class(err.layer, err.input_size) == "transpose-same-text", str(err)
    spec: Any = err.layer
    spatial = ", ".join(str(n * st) for n, st in zip(err.input_size, spec.stride, strict=True))
    assert re.search(rf"output shape \(\d+, \d+, {spatial}\)", str(err)), str(err)  # i*s
    check_implementation(reference_fn, layers(kind=("conv", "conv-transpose"), convention="onnx")
                         .filter(lambda c: reference_class(c.layer, c.input_size) is None),
                         **TOL)


# the shrunk reproductions, run directly: each is the recorded defect, or (a newer onnx) the
# right answer; anything else fails
PINNED = [
    ("1d-same", "MaxPool", (1, 1, 3), {"kernel_shape": [2], "strides": [1],
                                       "auto_pad": "SAME_UPPER"}, [[[2.0, 3.0, 3.0]]]),
    ("ceil-auto-pad", "AveragePool", (1, 1, 2, 2),
     {"kernel_shape": [1, 1], "strides": [1, 1], "auto_pad": "SAME_UPPER", "ceil_mode": 1},
     [[[[1.0, 2.0], [3.0, 4.0]]]]),
    ("maxpool-strided-same", "MaxPool", (1, 1, 1, 1),
     {"kernel_shape": [1, 2], "strides": [1, 2], "auto_pad": "SAME_LOWER"}, [[[[1.0]]]]),
    ("maxpool-explicit-pads", "MaxPool", (1, 1, 3), {"kernel_shape": [2], "strides": [1],
                                                     "pads": [0, 1]}, [[[2.0, 3.0, 3.0]]]),
    ("maxpool-explicit-pads", "MaxPool", (1, 1, 1, 1),
     {"kernel_shape": [2, 1], "strides": [1, 1], "pads": [0, 0, 1, 0]}, [[[[1.0]]]]),
    ("avgpool-ceil-pads", "AveragePool", (1, 1, 8),
     {"kernel_shape": [3], "strides": [3], "pads": [2, 0], "ceil_mode": 1},
     [[[1.0, 3.0, 6.0, 8.0]]]),
    ("avgpool-auto-pad-dilation", "AveragePool", (1, 1, 3),
     {"kernel_shape": [2], "strides": [1], "dilations": [2], "auto_pad": "VALID"},
     [[[2.0]]]),
]


@pytest.mark.parametrize(("name", "op", "shape", "attrs", "right"), PINNED,
                         ids=[f"{p[0]}-{p[1]}-{len(p[2]) - 2}d" for p in PINNED])
def test_reference_defect_reproductions(name: str, op: str, shape: tuple[int, ...],
                                        attrs: dict[str, Any], right: Any) -> None:
    onnx = requires("onnx")
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    x = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)
    node = helper.make_node(op, ["X"], ["Y"], **attrs)
    graph = helper.make_graph([node], "g",
                              [helper.make_tensor_value_info("X", TensorProto.DOUBLE, shape)],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got: Any = ReferenceEvaluator(model).run(None, {"X": x})[0].tolist()
    except Exception as exc:  # the evaluator raises many types
        got = f"{type(exc).__name__}: {exc}"
    if got == right:
        assert onnx.__version__ != RECORDED, f"{name} is fixed in onnx {RECORDED}?"
        return
    assert onnx.__version__ == RECORDED, (name, got)
    assert got != right
