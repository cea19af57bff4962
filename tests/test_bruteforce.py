"""symconv.sizes.bruteforce: the definitions themselves, checked against known numbers, their own
defining properties, and the frameworks (PyTorch, onnxruntime) as the reference."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symconv import (
    AvgPool,
    Conv,
    ConvTranspose,
    InvalidSpecError,
    MaxPool,
    MaxUnpool,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    UnsupportedError,
)
from symconv.sizes import bruteforce as B

# --------------------------------------------------------------------------- known numbers

# (what, brute-force call, expected) -- CONVENTIONS.md and the sources it cites.
KNOWN: list[tuple[str, Any, int | None]] = [
    # Dumoulin & Visin (2016): (i, k, s, p[, d]) -> o
    ("conv (4,3,1,0)", lambda: B.conv_windows(4, 3, 1, 0, 0, 1), 2),
    ("conv (5,4,1,2)", lambda: B.conv_windows(5, 4, 1, 2, 2, 1), 6),
    ("conv (5,3,1,1)", lambda: B.conv_windows(5, 3, 1, 1, 1, 1), 5),
    ("conv (5,3,1,2)", lambda: B.conv_windows(5, 3, 1, 2, 2, 1), 7),
    ("conv (5,3,2,0)", lambda: B.conv_windows(5, 3, 2, 0, 0, 1), 2),
    ("conv (5,3,2,1)", lambda: B.conv_windows(5, 3, 2, 1, 1, 1), 3),
    ("conv (6,3,2,1)", lambda: B.conv_windows(6, 3, 2, 1, 1, 1), 3),
    ("conv (7,3,1,0,d=2)", lambda: B.conv_windows(7, 3, 1, 0, 0, 2), 3),
    # PyTorch ceil mode; plain ceil would give 17, 4, 2, 4
    ("ceil pool (32,1,2,0)", lambda: B.ceil_pool_windows(32, 1, 2, 0, 0, 1), 16),
    ("ceil pool (9,4,4,2)", lambda: B.ceil_pool_windows(9, 4, 4, 2, 2, 1), 3),
    ("ceil pool (2,3,3,1)", lambda: B.ceil_pool_windows(2, 3, 3, 1, 1, 1), 1),
    ("ceil pool (5,2,2,1)", lambda: B.ceil_pool_windows(5, 2, 2, 1, 1, 1), 3),
    # Caffe clips only when pad > 0
    ("caffe pool (32,1,2,0)", lambda: B.caffe_pool_windows(32, 1, 2, 0), 17),
    ("caffe pool (9,4,4,2)", lambda: B.caffe_pool_windows(9, 4, 4, 2), 3),
    # TensorFlow SAME: o = ceil(i/s), the split depends on i
    ("tf same 224,k7,s2", lambda: B.same_windows(224, 7, 2, 1)[0], 112),
    ("tf same 224 total", lambda: B.same_windows(224, 7, 2, 1)[1], 5),
    ("tf same 225 total", lambda: B.same_windows(225, 7, 2, 1)[1], 6),
    ("tf same 224 pads", lambda: B.brute_padding(
        Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"), 224), (2, 3)),
    ("tf same 225 pads", lambda: B.brute_padding(
        Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"), 225), (3, 3)),
    ("onnx same_lower 224", lambda: B.brute_padding(
        Conv(kernel=7, stride=2, padding="same_lower", convention="onnx"), 224), (3, 2)),
    # TensorFlow VALID: ceil((i - k_eff + 1)/s)
    ("tf valid (10,3,3)", lambda: B.brute_output_size(
        Conv(kernel=3, stride=3, padding="VALID", convention="tensorflow"), 10), 3),
    # transposed conv: (i-1)s - 2p + k_eff + op
    ("transpose (3,3,2,1,op1)", lambda: B.conv_transpose_length(3, 3, 2, 1, 1, 1, 1), 6),
    ("transpose (6->3 back to 6)", lambda: B.conv_transpose_length(
        B.conv_windows(6, 3, 2, 1, 1, 1), 3, 2, 1, 1, 1, 1), 6),
    ("transpose (4,3,1,0,d=2)", lambda: B.conv_transpose_length(4, 3, 1, 0, 0, 2, 0), 8),
    # Keras deconv_output_length and JAX conv_transpose
    ("keras valid op=None i*s+max(k-s,0)", lambda: B.brute_output_size(
        ConvTranspose(kernel=5, stride=2, padding="valid", convention="keras"), 4), 11),
    ("keras valid op=None k<s", lambda: B.brute_output_size(
        ConvTranspose(kernel=2, stride=3, padding="valid", convention="keras"), 4), 12),
    ("keras same op=None i*s", lambda: B.brute_output_size(
        ConvTranspose(kernel=5, stride=2, padding="same", convention="keras"), 4), 8),
    ("keras same op=1: (i-1)s+k-2(k//2)+op", lambda: B.brute_output_size(
        ConvTranspose(kernel=4, stride=2, padding="same", output_padding=1,
                      convention="keras"), 4), 7),
    ("keras valid op=1: (i-1)s+k+op", lambda: B.brute_output_size(
        ConvTranspose(kernel=4, stride=2, padding="valid", output_padding=1,
                      convention="keras"), 4), 11),
    ("jax same i*s", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, stride=2, padding="SAME", convention="jax"), 5), 10),
    ("jax valid i*s+max(k-s,0)", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, stride=2, padding="VALID", convention="jax"), 3), 7),
    ("onnx same_upper i*s", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, stride=2, padding="same_upper", convention="onnx"), 4), 8),
    # max-unpooling (i-1)s - 2p + k; resize floor(i*scale); shuffles
    ("unpool (3,2,2)", lambda: B.unpool_length(3, 2, 2, 0, 0), 6),
    ("unpool (4,3,2,p1)", lambda: B.unpool_length(4, 3, 2, 1, 1), 7),
    ("resize 7*2/3", lambda: B.resize_length(7, Fraction(2, 3)), 4),
    ("resize 5*3/2", lambda: B.resize_length(5, Fraction(3, 2)), 7),
    ("pixel shuffle 4*3", lambda: B.pixel_shuffle_length(4, 3), 12),
    ("pixel unshuffle 12/3", lambda: B.pixel_unshuffle_length(12, 3), 4),
    ("pixel unshuffle 13/3", lambda: B.pixel_unshuffle_length(13, 3), None),
]


@pytest.mark.parametrize(("what", "call", "expected"), KNOWN, ids=[k[0] for k in KNOWN])
def test_known_numbers(what: str, call: Any, expected: Any) -> None:
    assert call() == expected


def test_plain_ceil_differs_on_the_documented_cases() -> None:
    """The four CONVENTIONS.md cases are exactly where plain ceil is wrong."""
    for (n, k, s, p), plain in [((32, 1, 2, 0), 17), ((9, 4, 4, 2), 4), ((2, 3, 3, 1), 2),
                                ((5, 2, 2, 1), 4)]:
        assert -(-(n + 2 * p - k) // s) + 1 == plain
        assert B.ceil_pool_windows(n, k, s, p, p, 1) == plain - 1


# --------------------------------------------------------------------------- defining properties

small = st.integers(1, 6)


@given(n=st.integers(1, 40), k=small, s=small, pb=st.integers(0, 4), pe=st.integers(0, 4),
       d=st.integers(1, 3))
def test_conv_windows_are_exactly_the_fitting_ones(
    n: int, k: int, s: int, pb: int, pe: int, d: int
) -> None:
    count = B.conv_windows(n, k, s, pb, pe, d)
    length = n + pb + pe
    assert all((t * s + d * (k - 1)) < length for t in range(count))
    assert count * s + d * (k - 1) >= length  # the next window does not fit


@given(n=st.integers(1, 40), k=small, s=small, pb=st.integers(0, 3), pe=st.integers(0, 3),
       d=st.integers(1, 3))
def test_ceil_pool_adds_at_most_one_window(
    n: int, k: int, s: int, pb: int, pe: int, d: int
) -> None:
    floor = B.conv_windows(n, k, s, pb, pe, d)
    ceil = B.ceil_pool_windows(n, k, s, pb, pe, d)
    if pe < k:  # what PyTorch and ONNX allow: no fitting window starts in the end padding
        assert floor <= ceil <= floor + 1
    # no counted window starts in the end padding
    assert (ceil - 1) * s < n + pb or ceil == 0


@given(n=st.integers(1, 40), k=small, s=small, p=st.integers(0, 3), d=st.integers(1, 3))
def test_ceil_pool_covers_the_input_when_windows_are_dense(
    n: int, k: int, s: int, p: int, d: int
) -> None:
    """PyTorch: ceil mode "ensures that every element in the input tensor is covered" -- true
    when windows leave no gaps (k_eff >= s) and at least one window fits."""
    p = min(p, k // 2)
    keff = d * (k - 1) + 1
    count = B.ceil_pool_windows(n, k, s, p, p, d)
    if keff >= s and n + 2 * p >= keff:
        last_end = (count - 1) * s + keff - 1
        assert last_end >= n + p - 1  # the last input element (padded coordinates) is covered


@given(n=st.integers(1, 60), k=small, s=small, d=st.integers(1, 3))
def test_same_padding_is_minimal(n: int, k: int, s: int, d: int) -> None:
    out, total = B.same_windows(n, k, s, d)
    assert out == -(-n // s) == B.stride_cells(n, s)
    assert B.conv_windows(n, k, s, 0, total, d) == out
    if total > 0:
        assert B.conv_windows(n, k, s, 0, total - 1, d) < out
    assert total <= d * (k - 1)


@given(n=st.integers(1, 40), k=small, s=small, d=st.integers(1, 3))
def test_same_transpose_is_the_largest_preimage(n: int, k: int, s: int, d: int) -> None:
    m = B.same_transpose_length(n, k, s, d)
    assert m == n * s
    assert B.same_windows(m, k, s, d)[0] == n
    assert B.same_windows(m + 1, k, s, d)[0] == n + 1


@given(n=st.integers(1, 30), k=small, s=small, d=st.integers(1, 3))
def test_scatter_extent(n: int, k: int, s: int, d: int) -> None:
    assert B.scatter_extent(n, k, s, d) == (n - 1) * s + d * (k - 1) + 1
    assert B.valid_transpose_length(n, k, s, d) == n * s + max(d * (k - 1) + 1 - s, 0)


@given(n=st.integers(1, 60), num=st.integers(1, 9), den=st.integers(1, 9))
def test_resize_length_is_floor_of_exact_product(n: int, num: int, den: int) -> None:
    scale = Fraction(num, den)
    assert B.resize_length(n, scale) == (n * scale).numerator // (n * scale).denominator


@given(n=st.integers(1, 60), r=st.integers(1, 5))
def test_unshuffle_defined_exactly_on_multiples(n: int, r: int) -> None:
    got = B.pixel_unshuffle_length(n, r)
    assert (got is None) == (n % r != 0)
    if got is not None:
        assert got * r == n
        assert B.pixel_shuffle_length(got, r) == n


@given(n=st.integers(1, 40), k=small, s=small, p=st.integers(0, 3))
def test_caffe_matches_its_formula(n: int, k: int, s: int, p: int) -> None:
    """Caffe ``PoolingLayer::Reshape``: ceil((n + 2p - k)/s) + 1, minus one if the last window
    starts in the end padding -- only when p > 0 (Caffe checks pad < kernel)."""
    p = min(p, k - 1)
    out = -(-(n + 2 * p - k) // s) + 1
    if p > 0 and (out - 1) * s >= n + p:
        out -= 1
    assert B.caffe_pool_windows(n, k, s, p) == max(out, 0)


# --------------------------------------------------------------------------- dispatch


def test_dispatch_reads_each_axis() -> None:
    spec = Conv(kernel=(3, 5), stride=(1, 2), padding=((0, 0), (2, 2)))
    assert B.brute_output_size(spec, 7, axis=0) == 5
    assert B.brute_output_size(spec, 7, axis=1) == 4
    broadcast = MaxPool(kernel=3, stride=2, padding=1, ceil_mode=True)
    assert B.brute_output_size(broadcast, 6, axis=2) == B.brute_output_size(broadcast, 6) == 4


def test_dispatch_none_means_rejected() -> None:
    assert B.brute_output_size(Conv(kernel=5), 4) is None
    assert B.brute_output_size(Conv(kernel=5), 5) == 1
    assert B.brute_output_size(ConvTranspose(kernel=1, padding=1), 2) is None
    assert B.brute_output_size(ConvTranspose(kernel=1, padding=1), 3) == 1
    assert B.brute_output_size(MaxPool(kernel=3, stride=2, ceil_mode=True), 2) == 1
    assert B.brute_output_size(MaxPool(kernel=3, stride=2, ceil_mode=True), 1) is None
    assert B.brute_output_size(Resize(scale_factor="1/3"), 2) is None
    assert B.brute_output_size(PixelUnshuffle(factor=2), 3) is None


INVALID: list[tuple[str, Any, type[Exception], str]] = [
    ("float scale", lambda: B.brute_output_size(Resize(scale_factor=1.5), 4),
     UnsupportedError, "float"),
    ("tf transposed", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, stride=2, padding="SAME", output_size=8,
                      convention="tensorflow"), 4), UnsupportedError, "output_size"),
    ("requested output_size", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, stride=2, output_size=6), 3), UnsupportedError, "output_size"),
    ("unpool output_size", lambda: B.brute_output_size(
        MaxUnpool(kernel=2, output_size=5), 2), UnsupportedError, "output_size"),
    ("keras causal transposed", lambda: B.brute_output_size(
        ConvTranspose(kernel=3, padding="causal", convention="keras"), 4),
     InvalidSpecError, "padding='causal' must only be used with Conv"),
    ("axis out of range", lambda: B.brute_output_size(Conv(kernel=(3, 3)), 5, axis=2),
     InvalidSpecError, "axis=2"),
    ("n = 0", lambda: B.brute_output_size(Conv(kernel=3), 0), InvalidSpecError, "n=0"),
    ("n bool", lambda: B.brute_output_size(Conv(kernel=1), True), InvalidSpecError, "n=True"),
    ("padding of a rejected size", lambda: B.brute_padding(Conv(kernel=5), 2),
     InvalidSpecError, "n=2"),
    ("caffe pad >= kernel", lambda: B.caffe_pool_windows(5, 2, 1, 2), InvalidSpecError,
     "pad=2"),
    ("padding of a resize", lambda: B.brute_padding(Resize(scale_factor=2), 2),
     UnsupportedError, "Resize"),
]


@pytest.mark.parametrize(("what", "call", "error", "words"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_requests(what: str, call: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        call()


def test_brute_force_is_independent_of_the_closed_forms() -> None:
    """The module must not import the formulas it is the reference for."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(B))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names}
    assert not {"symconv.sizes.formulas", "symconv.sizes.shapes", "sympy", "numpy"} & imported


# --------------------------------------------------------------------------- the frameworks


def _torch_size(op: Any, *args: Any, **kwargs: Any) -> int | None:
    """PyTorch's output length, ``None`` for an error or an empty output (max_unpool1d returns
    an empty tensor where the other layers raise)."""
    try:
        return int(op(*args, **kwargs).shape[-1]) or None
    except RuntimeError:
        return None


@pytest.mark.torch
def test_windows_match_pytorch() -> None:
    import torch
    import torch.nn.functional as TF

    for n, k, s, d in itertools.product(range(1, 13), range(1, 5), range(1, 4), range(1, 3)):
        x, w = torch.zeros(1, 1, n), torch.zeros(1, 1, k)
        for p in range(0, k // 2 + 1):
            want = _torch_size(TF.conv1d, x, w, stride=s, padding=p, dilation=d)
            spec: Any = Conv(kernel=k, stride=s, padding=p, dilation=d)
            assert B.brute_output_size(spec, n) == want, (n, k, s, p, d)
            for ceil in (False, True):
                want = _torch_size(TF.max_pool1d, x, k, s, p, dilation=d, ceil_mode=ceil)
                spec = MaxPool(kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
                assert B.brute_output_size(spec, n) == want, (n, k, s, p, d, ceil)
                if d == 1:
                    want = _torch_size(TF.avg_pool1d, x, k, s, p, ceil_mode=ceil)
                    spec = AvgPool(kernel=k, stride=s, padding=p, ceil_mode=ceil)
                    assert B.brute_output_size(spec, n) == want, (n, k, s, p, ceil)


@pytest.mark.torch
def test_scatter_matches_pytorch() -> None:
    import torch
    import torch.nn.functional as TF

    for n, k, s, d, p in itertools.product(range(1, 7), range(1, 5), range(1, 4), range(1, 3),
                                           range(0, 3)):
        x, w = torch.zeros(1, 1, n), torch.zeros(1, 1, k)
        for op in range(max(s, d)):
            want = _torch_size(TF.conv_transpose1d, x, w, stride=s, padding=p,
                               output_padding=op, dilation=d)
            spec = ConvTranspose(kernel=k, stride=s, padding=p, dilation=d, output_padding=op)
            assert B.brute_output_size(spec, n) == want, (n, k, s, d, p, op)
    for n, k, s in itertools.product(range(1, 7), range(1, 4), range(1, 4)):
        for p in range(0, k // 2 + 1):
            _, indices = TF.max_pool1d(torch.zeros(1, 1, 40), k, s, p, return_indices=True)
            want = _torch_size(TF.max_unpool1d, torch.zeros(1, 1, n), indices[..., :n], k, s, p)
            assert B.brute_output_size(MaxUnpool(kernel=k, stride=s, padding=p), n) == want


@pytest.mark.torch
def test_resize_and_shuffle_match_pytorch() -> None:
    import torch
    import torch.nn.functional as TF

    for n, scale in itertools.product(range(1, 20), [1, 2, 3, Fraction(1, 2), Fraction(3, 2)]):
        want = _torch_size(TF.interpolate, torch.zeros(1, 1, n), scale_factor=float(scale),
                           mode="nearest")
        assert B.brute_output_size(Resize(scale_factor=scale), n) == want, (n, scale)
    for n, r in itertools.product(range(1, 10), range(1, 4)):
        want = _torch_size(TF.pixel_shuffle, torch.zeros(1, r * r, n, n), r)
        assert B.brute_output_size(PixelShuffle(factor=r), n) == want
        want = _torch_size(TF.pixel_unshuffle, torch.zeros(1, 1, n, n), r)
        assert B.brute_output_size(PixelUnshuffle(factor=r), n) == want


def _ort_pool_size(n: int, k: int, s: int, ceil: int, auto_pad: str | None,
                   pads: tuple[int, int] | None) -> int | None:
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    attrs: dict[str, Any] = {"kernel_shape": [k], "strides": [s], "ceil_mode": ceil}
    if auto_pad is not None:
        attrs["auto_pad"] = auto_pad
    if pads is not None:
        attrs["pads"] = list(pads)
    node = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    options = ort.SessionOptions()
    options.log_severity_level = 4
    try:
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        y = session.run(None, {"x": np.zeros((1, 1, n), np.float32)})[0]
    except Exception:  # onnxruntime raises its own exception types
        return None
    return int(y.shape[-1]) or None


@pytest.mark.onnx
def test_pool_windows_match_onnxruntime() -> None:
    """Including auto_pad VALID with ceil_mode=1, which onnxruntime honours (ceil rule with zero
    padding): e.g. n=10, k=3, s=2 gives 5 windows, not the floor-mode 4.

    Not compared: floor mode with the kernel larger than the padded input.  The ONNX formula
    floor((n + P - k_eff)/s + 1) gives 0 there, but onnxruntime (and onnx shape inference)
    divide in C++ and truncate toward zero, giving 1 when n + P > k_eff - s.
    """
    compared = 0
    for n, k, s, ceil in itertools.product(range(1, 11), range(1, 5), range(1, 4), (0, 1)):
        for auto_pad, pads in [("VALID", (0, 0)), (None, (0, 0)), (None, (1, 0)),
                               (None, (0, 1)), (None, (1, 1))]:
            if max(pads) >= k or (not ceil and n + sum(pads) < k):
                continue
            padding: Any = PadMode.VALID if auto_pad else (pads,)
            spec = MaxPool(kernel=k, stride=s, padding=padding, ceil_mode=bool(ceil),
                           convention="onnx")
            want = _ort_pool_size(n, k, s, ceil, auto_pad, None if auto_pad else pads)
            assert B.brute_output_size(spec, n) == want, (n, k, s, ceil, auto_pad, pads)
            compared += 1
    assert compared > 500
