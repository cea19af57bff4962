"""Tests of symconv.sizes.inverse: every answer is re-derived by brute force over the forward map.

The brute-force side only calls :func:`symconv.sizes.shapes.resolve` (the forward definition) on every
candidate padding / output padding / output size / input size, so each inverse is checked as
``assert is_inverse(f, inverse(f))`` plus completeness (nothing admissible is missed).  The
torch- and onnx-marked tests check the admissible ranges against the frameworks themselves.
"""

from __future__ import annotations

import dataclasses
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
    SymconvError,
    UnsupportedError,
    resolve,
)
from symconv.sizes import bruteforce as B
from symconv.sizes.inverse import (
    RouteKind,
    ambiguity_set,
    ambiguity_set_axis,
    output_padding_for,
    output_padding_for_axis,
    padding_for_output,
    padding_for_output_axis,
    restoring_output_padding,
    round_trip,
    round_trip_axis,
    transposed_sizes,
    transposed_sizes_axis,
)
from symconv.spec._base import MAX_NDIM

from strategies import CONVENTIONS, conv_specs, conv_transpose_specs, pool_specs


def out_or_none(spec: Any, n: int) -> int | None:
    """The forward output size, ``None`` when the layer rejects the input."""
    try:
        return int(resolve(spec, n).output[0])
    except InvalidSpecError:
        return None


def keff(spec: Any) -> int:
    return int(spec.dilation[0] * (spec.kernel[0] - 1) + 1)


# --------------------------------------------------------------------------- padding_for_output


def padded(spec: Any, pb: int, pe: int) -> Any:
    """``spec`` with explicit padding, in a convention that accepts explicit pairs.

    Conv output depends only on the pads, so ONNX (pairs, no limits) stands in for every
    convention but JAX (negative pairs crop); pools keep PyTorch/ONNX/JAX (their limits, and
    JAX's refusal of a window on padding only, are part of the question); TensorFlow/Keras
    pools take names only: :func:`brute_paddings` counts their windows directly.
    """
    if isinstance(spec, Conv) and spec.convention.value != "jax":
        return Conv(kernel=spec.kernel, stride=spec.stride, dilation=spec.dilation,
                    padding=((pb, pe),), convention="onnx", ndim=1)
    conv = spec.convention.value
    kw: dict[str, Any] = {} if isinstance(spec, Conv) else {"ceil_mode": spec.ceil_mode}
    if isinstance(spec, AvgPool):
        kw["count_include_pad"] = spec.count_include_pad
    if getattr(spec, "api", None) is not None:  # a spec naming its API keeps it
        kw["api"] = spec.api
    return type(spec)(kernel=spec.kernel, stride=spec.stride, dilation=spec.dilation,
                      padding=((pb, pe),), convention=conv, ndim=1, **kw)


def brute_paddings(spec: Any, n: int, target: int) -> dict[int, list[tuple[int, int]]]:
    """Every accepted (pb, pe) giving ``target``, grouped by total."""
    bound = target * spec.stride[0] + keff(spec) + spec.stride[0]
    found: dict[int, list[tuple[int, int]]] = {}
    named_only = spec.convention.value in ("tensorflow", "keras") and not isinstance(spec, Conv)
    pairs = [(pb, pe) for pb in range(bound + 1) for pe in range(bound + 1 - pb)]
    if spec.convention.value == "jax":  # crops: both sides <= 0 (padding_for_output's splits)
        pairs += [(pb, pe) for pb in range(-n, 1) for pe in range(-n, 1) if pb or pe]
    for pb, pe in pairs:
        if named_only:  # the windows that fit (floor mode), counted
            k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
            out = B.conv_windows(n, k, s, pb, pe, d) or None
        else:
            try:
                trial = padded(spec, pb, pe)
            except InvalidSpecError:  # the convention's limit on padding
                continue
            out = out_or_none(trial, n)
        if out == target:
            found.setdefault(pb + pe, []).append((pb, pe))
    return found


window_specs = st.sampled_from(CONVENTIONS).flatmap(
    lambda c: conv_specs(1, c) | pool_specs(1, c, "max") | pool_specs(1, c, "avg")
)


@given(window_specs, st.integers(1, 10), st.integers(1, 7))
def test_padding_for_output_matches_brute_force(spec: Any, n: int, target: int) -> None:
    found = brute_paddings(spec, n, target)
    if not found:
        with pytest.raises(InvalidSpecError, match=f"^target={target} must be a reachable"):
            padding_for_output(spec, n, target)
        return
    choice = padding_for_output(spec, n, target)
    assert list(choice.totals) == sorted(found)  # exact and contiguous
    assert choice.splits == tuple(sorted(found[choice.total_min]))
    sym = [p // 2 for p, pairs in sorted(found.items()) if (p // 2, p // 2) in pairs]
    assert choice.symmetric == (sym[0] if sym else None)
    assert choice.only_asymmetric == (not sym)
    half = choice.total_min // 2 if choice.total_min >= 0 else -(-choice.total_min // 2)
    pairs = found[choice.total_min]
    end, start = (half, choice.total_min - half), (choice.total_min - half, half)
    assert choice.extra_at_end == (end if end in pairs else None)
    assert choice.extra_at_start == (start if start in pairs else None)
    for name, pads in choice.modes:  # the named paddings really give the target
        r = resolve(dataclasses.replace(spec, padding=name), n)
        assert r.output == (target,) and r.pads == (pads,)


def test_padding_for_output_known_cases() -> None:
    # TensorFlow SAME on 224 (k=7, s=2) pads (2, 3): PyTorch needs symmetric 3 or explicit pads.
    c = padding_for_output(Conv(kernel=7, stride=2), 224, 112)
    assert (c.total_min, c.total_max, c.symmetric, c.extra_at_end, c.extra_at_start) == (
        5, 6, 3, (2, 3), (3, 2))
    # k=4, s=1 keeping the size needs total 3: only asymmetric, and torch 'same' does it.
    c = padding_for_output(Conv(kernel=4), 10, 10)
    assert c.only_asymmetric and c.totals == range(3, 4)
    assert ("same", (1, 2)) in c.modes
    assert any("F.pad" in a and "padding='same'" in a for a in c.advice)
    # PyTorch pools: at most k//2 per side, so 2x2 pooling of 5 cannot give 4.
    with pytest.raises(InvalidSpecError, match=r"reachable outputs are 2\.\.3"):
        padding_for_output(MaxPool(kernel=2), 5, 4)
    # Ceil mode: 5 -> 3 with k=s=2 needs no padding at all.
    assert padding_for_output(MaxPool(kernel=2, ceil_mode=True), 5, 3).total_min == 0


def test_padding_for_output_keras_and_tf_pool_advice() -> None:
    c = padding_for_output(Conv(kernel=3, padding="valid", convention="keras"), 8, 8)
    assert c.symmetric == 1 and ("same", (1, 1)) in c.modes
    assert any("ZeroPadding" in a for a in c.advice)
    c = padding_for_output(MaxPool(kernel=3, stride=1, padding="VALID", convention="tensorflow"),
                           8, 9)
    assert any("tf.pad" in a for a in c.advice)


def test_padding_for_output_per_axis() -> None:
    got = padding_for_output(Conv(kernel=(3, 5)), (8, 8), (8, 6))
    assert [c.symmetric for c in got] == [1, 1]
    got = padding_for_output(Conv(kernel=3), (8, 9), 9)
    assert [c.totals for c in got] == [range(3, 4), range(2, 3)]


# --------------------------------------------------------------------------- transposed sizes


def brute_settings(spec: ConvTranspose, n: int) -> dict[RouteKind, dict[int, set[int]]]:
    """Every setting the convention accepts, by route: size -> applied output paddings."""
    s, d = spec.stride[0], spec.dilation[0]
    c = spec.convention.value
    top = (n - 1) * s + keff(spec) + 2 * s + d + 4
    found: dict[RouteKind, dict[int, set[int]]] = {k: {} for k in RouteKind}

    def record(kind: RouteKind, **changes: Any) -> None:
        try:
            trial = dataclasses.replace(spec, **changes)
            r = resolve(trial, n)
        except InvalidSpecError:
            return
        assert r.output_padding is not None
        found[kind].setdefault(int(r.output[0]), set()).add(int(r.output_padding[0]))

    if c in ("torch", "onnx"):
        if c == "onnx" and isinstance(spec.padding, str) and spec.padding != "valid":
            # auto_pad SAME: n*s whatever output_padding is; the layer's own op is applied.
            record(RouteKind.FIXED, output_size=None)
        else:
            for op in range(max(s, d) + 2):
                record(RouteKind.OUTPUT_PADDING, output_padding=op, output_size=None)
        for size in range(1, top):
            if c == "torch":
                record(RouteKind.OUTPUT_SIZE, output_size=size, output_padding=0)
            else:
                record(RouteKind.OUTPUT_SIZE, output_size=size)
    elif c == "tensorflow":
        for size in range(1, top):
            record(RouteKind.OUTPUT_SIZE, output_size=size)
    elif c == "keras":
        record(RouteKind.FIXED, output_padding=None)
        for op in range(s + 2):
            record(RouteKind.OUTPUT_PADDING, output_padding=op)
    else:  # lax.conv_transpose reads 'SAME' and 'VALID' itself, exactly as written
        for name in ("SAME", "VALID"):
            record(RouteKind.FIXED, padding=name)
        if not isinstance(spec.padding, str):
            record(RouteKind.FIXED)
    return found


transpose_specs = st.sampled_from(CONVENTIONS).flatmap(lambda c: conv_transpose_specs(1, c))


@given(transpose_specs, st.integers(1, 9))
def test_transposed_sizes_are_exactly_what_resolve_accepts(spec: ConvTranspose, n: int) -> None:
    sizes = transposed_sizes(spec, n)
    found = brute_settings(spec, n)
    s = spec.stride[0]
    if spec.convention.value == "onnx":
        # ONNX runtimes also require the forward conv of the output to give back n (applied
        # output padding < s); see test_onnxruntime_accepts_exactly_the_reported_sizes.
        for got in found.values():
            for size in [x for x, ops in got.items() if min(ops) >= s]:
                del got[size]
    for kind, got in found.items():
        routes = [r for r in sizes.routes if r.kind is kind]
        reached = sorted({x for r in routes for x in r.sizes})
        assert reached == sorted(got), kind
        adjoint = sorted({x for r in routes for x in r.adjoint})
        assert adjoint == sorted(x for x, ops in got.items() if min(ops) < s), kind
    for route in sizes.routes:  # each reported size, realised through its route, gives itself
        for size in route.sizes:
            if route.kind is RouteKind.OUTPUT_PADDING:
                value = route.value(size)
                assert isinstance(value, int)
                trial = dataclasses.replace(spec, output_padding=value, output_size=None)
                assert resolve(trial, n).output == (size,)


def test_transposed_sizes_torch_dilation_beyond_stride() -> None:
    t = transposed_sizes(ConvTranspose(kernel=3, stride=2, dilation=4, padding=1), 5)
    op_route, size_route = t.routes
    m = 4 * 2 - 2 + 9
    assert op_route.sizes == range(m, m + 4) and op_route.adjoint == range(m, m + 2)
    assert size_route.sizes == range(m, m + 2)


def test_transposed_sizes_tensorflow_and_keras() -> None:
    tf = ConvTranspose(kernel=3, stride=2, padding="VALID", convention="tensorflow", output_size=9)
    assert transposed_sizes(tf, 4).sizes == (range(9, 11),)
    tf_same = dataclasses.replace(tf, padding="SAME", output_size=(8,))
    assert transposed_sizes(tf_same, 4).sizes == (range(7, 9),)
    keras = ConvTranspose(kernel=3, stride=2, padding="same", convention="keras")
    t = transposed_sizes(keras, 3)
    assert t.sizes == (range(5, 7),) and t.routes[0].sizes == range(6, 7)


def test_transposed_sizes_per_axis() -> None:
    got = transposed_sizes(ConvTranspose(kernel=(3, 4), stride=(2, 3)), (2, 2))
    assert [t.sizes for t in got] == [(range(5, 7),), (range(7, 10),)]


# --------------------------------------------------------------------------- output_padding_for


def test_output_padding_for_the_guide_example() -> None:
    ch = output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 12)
    assert (ch.parameter, ch.value, ch.output_padding, ch.adjoint) == ("output_padding", 1, 1, True)
    assert ch.admissible == (range(11, 13),)
    assert ("output_size", 12) in ch.alternatives
    with pytest.raises(InvalidSpecError, match=r"^target=13 must be an admissible output size "
                                               r"11\.\.12 for input 6"):
        output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), 6, 13)


@given(transpose_specs, st.integers(1, 9))
def test_output_padding_for_every_admissible_size(spec: ConvTranspose, n: int) -> None:
    sizes = transposed_sizes(spec, n)
    admissible = [x for r in sizes.sizes for x in r]
    for target in admissible:
        ch = output_padding_for(spec, n, target)
        r = resolve(ch.spec, n)
        assert r.output == (target,) and r.output_padding is not None
        assert ch.output_padding == r.output_padding[0] and ch.pads == r.pads[0]
        assert ch.adjoint == (r.output_padding[0] < spec.stride[0])
    outside = [x for x in (admissible[0] - 1, admissible[-1] + 1) if x >= 1] if admissible else []
    for target in outside:
        if spec.convention.value == "jax":
            if target >= (n - 1) * spec.stride[0] - keff(spec) + 2:
                ch = output_padding_for(spec, n, target)
                assert resolve(ch.spec, n).output == (target,) and ch.parameter == "padding"
        else:
            with pytest.raises(InvalidSpecError, match=f"^target={target} must be admissible|"
                                                       f"^target={target} must be an admissible"):
                output_padding_for(spec, n, target)


def test_output_padding_for_conventions() -> None:
    onnx = ConvTranspose(kernel=3, stride=2, padding="same_upper", convention="onnx")
    ch = output_padding_for(onnx, 4, 8)
    assert ch.parameter == "auto_pad" and ch.value == "SAME_UPPER"
    ch = output_padding_for(onnx, 4, 9)
    assert (ch.parameter, ch.value, ch.output_padding, ch.adjoint) == ("output_size", 9, 0, True)
    keras = ConvTranspose(kernel=3, stride=2, padding="same", convention="keras")
    ch = output_padding_for(keras, 3, 6)
    assert (ch.parameter, ch.value) == ("output_padding", 1)
    assert ("output_padding", None) in ch.alternatives
    jax = ConvTranspose(kernel=3, stride=2, padding="SAME", convention="jax")
    assert output_padding_for(jax, 4, 8).value == "'SAME'"
    ch = output_padding_for(jax, 4, 10)
    assert ch.parameter == "padding" and resolve(ch.spec, 4).output == (10,)
    # below (n-1)s + 2 - k_eff = 5 a negative pair crops the zero-stretched input (lax.pad)
    ch = output_padding_for(jax, 4, 2)
    assert ch.parameter == "padding" and min(ch.spec.padding[0]) < 0
    assert resolve(ch.spec, 4).output == (2,)
    with pytest.raises(InvalidSpecError, match=r"^target=0 must be a positive integer"):
        output_padding_for(jax, 4, 0)


def test_output_padding_for_per_axis() -> None:
    got = output_padding_for(ConvTranspose(kernel=3, stride=2, padding=1), (6, 5), (11, 10))
    assert [c.value for c in got] == [0, 1]


# --------------------------------------------------------------------------- ambiguity


@given(window_specs, st.integers(1, 30))
def test_ambiguity_set_is_the_preimage(spec: Any, n: int) -> None:
    o = out_or_none(spec, n)
    if o is None:
        with pytest.raises(InvalidSpecError):
            ambiguity_set(spec, n)
        return
    got = ambiguity_set(spec, n)
    bound = n + 3 * spec.stride[0] + keff(spec) + 5
    assert list(got) == [m for m in range(1, bound) if out_or_none(spec, m) == o]


def test_ambiguity_known_cases() -> None:
    # Dumoulin & Visin: i = 5 and i = 6 give 3 with k=3, s=2, p=1.
    assert ambiguity_set(Conv(kernel=3, stride=2, padding=1), 6) == range(5, 7)
    assert ambiguity_set(Conv(kernel=3, padding="same"), 9) == range(9, 10)
    assert ambiguity_set(Conv(kernel=3, stride=3, padding="causal", convention="keras"), 7) == \
        range(7, 10)
    assert ambiguity_set(MaxPool(kernel=2, ceil_mode=True), (5, 4)) == (range(5, 7), range(3, 5))


# --------------------------------------------------------------------------- round trip


@given(st.sampled_from(CONVENTIONS).flatmap(lambda c: conv_specs(1, c)), st.integers(1, 30))
def test_round_trip_by_resolving_the_transpose(spec: Conv, n: int) -> None:
    if out_or_none(spec, n) is None:
        return
    rt = round_trip(spec, n)
    r = resolve(spec, n)
    pads = r.pads[0]
    assert rt.output == r.output[0] and rt.pads == pads and rt.modulus == spec.stride[0]

    def back(op: int) -> int | None:
        t = ConvTranspose(kernel=spec.kernel, stride=spec.stride, dilation=spec.dilation,
                          padding=(pads,), output_padding=op, ndim=1)
        return out_or_none(t, rt.output)

    assert rt.restored == back(0) and rt.restores == (back(0) == n)
    a = rt.needed_output_padding
    assert 0 <= a < spec.stride[0] and back(a) == n
    assert round_trip(spec, n, output_padding=a).restores
    assert rt.restores == (n % rt.modulus == rt.residue)


def test_round_trip_with_an_empty_transpose() -> None:
    # k=1, s=3, p=1 maps 1 -> 1; the transposed conv with op=0 would have size -1.
    rt = round_trip(Conv(kernel=1, stride=3, padding=1), 1)
    assert (rt.output, rt.restored, rt.restores, rt.needed_output_padding) == (1, None, False, 2)
    assert round_trip(Conv(kernel=1, stride=3, padding=1), 1, output_padding=2).restored == 1


@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_round_trip_residue_class(k: int, s: int, p: int, d: int) -> None:
    conv = Conv(kernel=k, stride=s, padding=p, dilation=d)
    sizes = range(max(1, d * (k - 1) + 1 - 2 * p), 40)
    restoring = [n for n in sizes if round_trip(conv, n).restores]
    residue = round_trip(conv, sizes[0]).residue
    assert restoring == [n for n in sizes if n % s == residue]
    # the sizes as axes of one call, at most MAX_NDIM (16) axes a call
    chunks = [tuple(sizes[i:i + MAX_NDIM]) for i in range(0, len(sizes), MAX_NDIM)]
    assert sum((restoring_output_padding(conv, c) for c in chunks), ()) == tuple(
        round_trip(conv, n).needed_output_padding for n in sizes)


def test_restoring_output_padding_symbolic() -> None:
    sympy = pytest.importorskip("sympy")
    n = sympy.Symbol("n", integer=True, positive=True)
    conv = Conv(kernel=4, stride=3, padding=((1, 2),), dilation=2, ndim=1)
    expr = restoring_output_padding(conv, n)
    for v in range(8, 30):
        assert expr.subs(n, v) == restoring_output_padding(conv, v)
    with pytest.raises(UnsupportedError, match="depends on the input size"):
        restoring_output_padding(Conv(kernel=3, stride=2, padding="SAME",
                                      convention="tensorflow"), n)


def test_axis_functions_agree_with_the_per_axis_tuples() -> None:
    up = ConvTranspose(kernel=(3, 5), stride=(2, 3), padding=(1, 2))
    assert output_padding_for_axis(up, 4, 12, axis=1) == output_padding_for(up, (3, 4), (5, 12))[1]
    conv = Conv(kernel=(3, 5), stride=(2, 3), padding=(1, 0))
    assert round_trip_axis(conv, 9, axis=1) == round_trip(conv, (5, 9))[1]
    assert round_trip_axis(conv, 9, axis=1).needed_output_padding == (9 - 5) % 3


# --------------------------------------------------------------------------- invalid input


INVALID = [
    (padding_for_output, (Conv(kernel=3), 5, 0), InvalidSpecError, "^target=0 must be"),
    (padding_for_output, (Conv(kernel=3), 0, 3), InvalidSpecError, "^input_size=0 must be"),
    (padding_for_output, (Conv(kernel=3), True, 3), InvalidSpecError, "bool"),
    (padding_for_output, (ConvTranspose(kernel=3), 5, 3), InvalidSpecError,
     "^layer=ConvTranspose must be"),
    (padding_for_output, (Conv(kernel=3), 5, (3, 3)), InvalidSpecError, r"^target=\(3,3\) must"),
    (padding_for_output, (Conv(kernel=3), (5, 5), (3, 3, 3)), InvalidSpecError,
     "one entry per axis"),
    (padding_for_output, (Conv(kernel=(3, 3)), 5, 3), InvalidSpecError, "spatial axes"),
    (padding_for_output_axis, (Conv(kernel=(3, 3)), 5, 3, 2), InvalidSpecError,
     "^axis=2 must be smaller"),
    (transposed_sizes, (Conv(kernel=3), 5), InvalidSpecError, "^layer=Conv must be"),
    (output_padding_for, (ConvTranspose(kernel=3), 5, -1), InvalidSpecError, "^target=-1"),
    (ambiguity_set, (ConvTranspose(kernel=3), 5), InvalidSpecError, "^layer=ConvTranspose"),
    (ambiguity_set, (Conv(kernel=5), 3), InvalidSpecError, "^kernel=5 must not exceed"),
    (round_trip, (MaxPool(kernel=2), 4), InvalidSpecError, "^conv=MaxPool must be"),
    (round_trip, (Conv(kernel=3, stride=2), 7, 2), InvalidSpecError,
     "^output_padding=2 must be smaller"),
    (restoring_output_padding, (AvgPool(kernel=2), 4), InvalidSpecError, "^conv=AvgPool"),
]


@pytest.mark.parametrize(("fn", "args", "error", "message"), INVALID)
def test_invalid_input_is_rejected_with_name_and_rule(
    fn: Any, args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        fn(*args)


def test_symbolic_sizes_are_refused_where_unsupported() -> None:
    sympy = pytest.importorskip("sympy")
    n = sympy.Symbol("n", integer=True, positive=True)
    with pytest.raises(UnsupportedError, match="must be an int here"):
        ambiguity_set_axis(Conv(kernel=3), n)
    assert issubclass(UnsupportedError, SymconvError)


# --------------------------------------------------------------------------- frameworks


GRID = [(n, k, s, p, d) for n in (1, 2, 5, 6) for k in (1, 2, 3) for s in (1, 2, 3)
        for p in (0, 1) for d in (1, 2)]


@pytest.mark.torch
def test_torch_accepts_exactly_the_reported_transposed_sizes() -> None:
    import torch
    import torch.nn.functional as tf

    torch.manual_seed(0)
    for n, k, s, p, d in GRID:
        spec = ConvTranspose(kernel=k, stride=s, padding=p, dilation=d)
        t = transposed_sizes_axis(spec, n)
        op_route, size_route = t.routes
        x = torch.randn(1, 1, n, dtype=torch.float64)
        w = torch.randn(1, 1, k, dtype=torch.float64)
        accepted, adjoint = [], []
        for op in range(max(s, d) + 1):
            try:
                y = tf.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
            except RuntimeError:
                continue
            if y.shape[-1] < 1:
                continue
            accepted.append(y.shape[-1])
            # Adjoint test: <C^T x, z> == <x, C z> for the conv on the produced size.
            z = torch.randn(1, 1, y.shape[-1], dtype=torch.float64)
            cz = tf.conv1d(z, w, stride=s, padding=p, dilation=d)
            if cz.shape == x.shape and torch.allclose((y * z).sum(), (x * cz).sum()):
                adjoint.append(y.shape[-1])
        assert accepted == list(op_route.sizes), (n, k, s, p, d)
        assert adjoint == list(op_route.adjoint), (n, k, s, p, d)
        layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        ok = []
        for size in range(1, (n - 1) * s + d * (k - 1) + 2 * s + 2):
            try:
                got = layer(x.float(), output_size=[size]).shape[-1]
            except (RuntimeError, ValueError):
                continue
            assert got == size
            ok.append(size)
        assert ok == list(size_route.sizes), (n, k, s, p, d)


@pytest.mark.torch
def test_torch_round_trip_and_ambiguity() -> None:
    import torch
    import torch.nn.functional as tf

    for n, k, s, p, d in GRID:
        conv = Conv(kernel=k, stride=s, padding=p, dilation=d)
        x = torch.zeros(1, 1, n)
        w = torch.zeros(1, 1, k)
        try:
            y = tf.conv1d(x, w, stride=s, padding=p, dilation=d)
        except RuntimeError:
            continue
        rt = round_trip(conv, n)
        back = tf.conv_transpose1d(y, w, stride=s, padding=p, dilation=d,
                                   output_padding=rt.needed_output_padding)
        assert back.shape[-1] == n
        same = [m for m in range(1, n + 3 * s + 8)
                if _torch_len(tf, torch, m, w, s, p, d) == y.shape[-1]]
        assert same == list(ambiguity_set(conv, n))


def _torch_len(tf: Any, torch: Any, m: int, w: Any, s: int, p: int, d: int) -> int | None:
    try:
        return int(tf.conv1d(torch.zeros(1, 1, m), w, stride=s, padding=p, dilation=d).shape[-1])
    except RuntimeError:
        return None


@pytest.mark.torch
def test_torch_pool_paddings() -> None:
    import torch
    import torch.nn.functional as tf

    for n in range(1, 9):
        for k in (2, 3, 4):
            for s in (1, 2, 3):
                for ceil in (False, True):
                    for target in range(1, 8):
                        spec = MaxPool(kernel=k, stride=s, ceil_mode=ceil)
                        try:
                            c = padding_for_output(spec, n, target)
                        except InvalidSpecError:
                            c = None
                        sym = []
                        for p in range(k // 2 + 1):
                            try:
                                o = tf.max_pool1d(torch.zeros(1, 1, n), k, s, p, ceil_mode=ceil)
                            except RuntimeError:
                                continue
                            if o.shape[-1] == target:
                                sym.append(p)
                        assert (c.symmetric if c else None) == (sym[0] if sym else None)


def _ort_length(n: int, k: int, s: int, d: int, **attrs: Any) -> int | None:
    """Output length onnxruntime gives a 1-D ConvTranspose, ``None`` if it refuses."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], kernel_shape=[k], strides=[s],
                            dilations=[d], **attrs)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, n]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [1, 1, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.log_severity_level = 4
    try:
        sess = ort.InferenceSession(model.SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])
        (y,) = sess.run(None, {"x": np.ones((1, 1, n), np.float32),
                               "w": np.ones((1, 1, k), np.float32)})
    except Exception:  # onnxruntime raises its own error types
        return None
    return int(y.shape[-1])


ORT_GRID = [(3, 3, 2, 1, 0, 0), (4, 2, 3, 1, 1, 1), (2, 3, 1, 2, 1, 0), (4, 3, 2, 3, 1, 1),
            (5, 1, 3, 1, 2, 0), (3, 2, 2, 4, 3, 2)]


@pytest.mark.torch
def test_torch_explicit_padding_advice_for_asymmetric_pools() -> None:
    """Where only asymmetric padding works, the advised F.pad route gives what it says."""
    import re

    import torch
    import torch.nn.functional as tf

    checked = 0
    for n in range(1, 10):
        for k in (2, 3, 4, 5):
            for s in (1, 2, 3):
                for ceil in (False, True):
                    spec = MaxPool(kernel=k, stride=s, ceil_mode=ceil)
                    for target in range(1, 8):
                        try:
                            c = padding_for_output(spec, n, target)
                        except InvalidSpecError:
                            continue
                        if not c.only_asymmetric:
                            continue
                        pb, pe = c.splits[0]
                        x = tf.pad(torch.zeros(1, 1, n), (pb, pe), value=float("-inf"))
                        length = tf.max_pool1d(x, k, s, 0, ceil_mode=ceil).shape[-1]
                        if ceil:
                            said = [a for a in c.advice if "ceil rule" in a]
                            assert said and re.search(f"gives {length} outputs", said[0])
                        else:
                            assert length == target
                        checked += 1
    assert checked > 10


@pytest.mark.onnx
def test_onnxruntime_accepts_exactly_the_reported_sizes() -> None:
    for n, k, s, d, op, p in ORT_GRID:
        if op >= s:  # symconv and onnxruntime both refuse output_padding >= stride
            with pytest.raises(InvalidSpecError, match="smaller than stride"):
                ConvTranspose(kernel=k, stride=s, dilation=d, padding=p, output_padding=op,
                              convention="onnx")
            assert _ort_length(n, k, s, d, pads=[p, p], output_padding=[op]) is None
            continue
        spec = ConvTranspose(kernel=k, stride=s, dilation=d, padding=p, output_padding=op,
                             convention="onnx")
        t = transposed_sizes(spec, n)
        routes = {r.kind: r for r in t.routes}
        ops = [o for o in range(max(s, d) + 1)
               if _ort_length(n, k, s, d, pads=[p, p], output_padding=[o]) is not None]
        sizes = [_ort_length(n, k, s, d, pads=[p, p], output_padding=[o]) for o in ops]
        assert sizes == list(routes[RouteKind.OUTPUT_PADDING].sizes), (n, k, s, d, op, p)
        top = (n - 1) * s + d * (k - 1) + 1 + s + 2
        shapes = [size for size in range(1, top)
                  if _ort_length(n, k, s, d, output_padding=[op], output_shape=[size]) == size]
        assert shapes == list(routes[RouteKind.OUTPUT_SIZE].sizes), (n, k, s, d, op, p)
        same = dataclasses.replace(spec, padding="same_upper")
        fixed = next(r for r in transposed_sizes(same, n).routes if r.kind is RouteKind.FIXED)
        got = _ort_length(n, k, s, d, output_padding=[op], auto_pad="SAME_UPPER")
        assert ([got] if got is not None else []) == list(fixed.sizes), (n, k, s, d, op)
