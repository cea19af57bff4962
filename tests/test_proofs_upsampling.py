"""T09-T15: "is upsampling the same as transposed convolution?"

Each theorem runs on the small grid and is proved; theorem-specific facts are asserted with
exact numbers; and at least one mutation per theorem (a wrong kernel, padding, pool, channel
order, ...) shows that its evidence can fail.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import sympy

from symconv import numeric
from symconv.core import crop_map, max_unpool_map, pad_map
from symconv.spec import AvgPool, ConvTranspose
from symconv.theory.derive import upsampling_as_transposed_conv
from symconv.theory.theorem import run_theorem

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
MODULES = {
    "T09": "t09_nearest_is_transposed_conv",
    "T10": "t10_avgpool_transpose_is_nearest",
    "T11": "t11_align_corners_linear_is_transposed_conv",
    "T12": "t12_half_pixel_bilinear_vs_fcn",
    "T13": "t13_resize_convolution",
    "T14": "t14_max_unpool_switches",
    "T15": "t15_subpixel_convolution",
}


def _load(tid: str) -> ModuleType:
    name = MODULES[tid]
    spec = importlib.util.spec_from_file_location(f"test_{name}", PROOFS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="mod")
def mod_fixture(request: pytest.FixtureRequest) -> ModuleType:
    return _load(request.param)


def _frac(values: Any) -> list[Fraction]:
    return [Fraction(v) for v in np.asarray(values).ravel()]


# --------------------------------------------------------------------------- every theorem


@pytest.mark.parametrize("tid", sorted(MODULES))
def test_small_grid_is_proved(tid: str) -> None:
    thm = _load(tid).THEOREM
    result = run_theorem(thm, grid="small", seed=0)
    assert result.verdict == "proved", (result.error, result.contradictions[:3])
    assert result.theorem.id == tid
    assert result.instances >= 100 and result.numeric_checks >= 50
    assert all(s.ok for s in result.steps) and any(s.symbolic for s in result.steps)
    if thm.expected is not None:
        # a theorem with a failure region records concrete counterexamples from it
        assert result.counterexamples and thm.exceptions
        assert all(not thm.expected(p) for p, _ in result.counterexamples)


# --------------------------------------------------------------------------- T09


def test_t09_nearest_equals_ones_kernel_and_mutations_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T09")
    x = np.array([[[1, 2, 3]]])
    layer, w = m.equivalent((2,), 1)
    assert layer.kernel == (2,) and layer.stride == (2,) and layer.padding == ((0, 0),)
    assert numeric.conv_transpose(x, w.astype(int), stride=2).tolist() == [[[1, 1, 2, 2, 3, 3]]]
    assert m._check({"ndim": 2, "n": (2, 3), "s": (3, 2), "C": 2, "mode": "nearest"}).holds

    real = upsampling_as_transposed_conv

    def wrong_padding(mode: str, f: int, **kw: Any) -> Any:
        return dataclasses.replace(real(mode, f, **kw), padding=1)

    def wrong_kernel(mode: str, f: int, **kw: Any) -> Any:
        e = real(mode, f, **kw)
        k = e.kernel.copy()
        k[-1] = Fraction(2)
        return dataclasses.replace(e, kernel=k)

    for fake in (wrong_padding, wrong_kernel):
        monkeypatch.setattr(m, "upsampling_as_transposed_conv", fake)
        m.equivalent.cache_clear()
        params = {"ndim": 1, "n": 4, "s": 3, "C": 1, "mode": "nearest-exact"}
        assert not m._check(params).holds
        assert not m._numeric(params, np.random.default_rng(0)).holds


# --------------------------------------------------------------------------- T10


def test_t10_zero_rows_are_the_tail_positions() -> None:
    m = _load("T10")
    assert np.flatnonzero(m.tail_positions((5,), (2,))).tolist() == [4]
    mask = m.tail_positions((5, 3), (2, 2))
    assert sorted(map(tuple, np.argwhere(mask).tolist())) == sorted(
        [(4, j) for j in range(3)] + [(i, 2) for i in range(4)])
    plain = m._check({"ndim": 1, "n": 5, "s": 2, "C": 1, "form": "plain"})
    assert not plain.holds and "P^T has 5 rows" in plain.detail and "U/s^D has 4" in plain.detail
    assert "1 row(s)" in plain.detail and "tail (1,)" in plain.detail
    assert m._check({"ndim": 1, "n": 5, "s": 2, "C": 1, "form": "padded"}).holds
    assert m._check({"ndim": 1, "n": 6, "s": 2, "C": 1, "form": "plain"}).holds


def test_t10_mutations_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T10")
    params = {"ndim": 1, "n": 5, "s": 2, "C": 1, "form": "padded"}
    # a ceil-mode pool keeps a partial window over the tail: no longer the stated transpose
    monkeypatch.setattr(m, "AvgPool", lambda kernel, stride, ndim: AvgPool(
        kernel=kernel, stride=stride, ceil_mode=True, ndim=ndim))
    assert not m._check(params).holds
    # overlapping average windows (k = s + 1)
    monkeypatch.setattr(m, "AvgPool", lambda kernel, stride, ndim: AvgPool(
        kernel=tuple(v + 1 for v in kernel), stride=stride, ndim=ndim))
    assert not m._check({**params, "n": 7}).holds


# --------------------------------------------------------------------------- T11


def test_t11_kernel_and_the_scale_factor_counterexample() -> None:
    m = _load("T11")
    assert [str(v) for v in m.triangle(3)] == ["1/3", "2/3", "1", "2/3", "1/3"]
    scale, size = m.counterexample(2, 2)
    x0, x1 = sympy.symbols("x0 x1", real=True)
    third = sympy.Rational(1, 3)
    assert scale == [x0, 2 * third * x0 + third * x1, third * x0 + 2 * third * x1, x1]
    assert size == [x0, x0 / 2 + x1 / 2, x1]
    bad = m._check({"ndim": 1, "n": 2, "s": 2, "C": 1, "target": "scale_factor"})
    assert not bad.holds and "'1/3'" in bad.detail and "'1/2'" in bad.detail


def test_t11_mutation_wrong_padding_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T11")
    real = upsampling_as_transposed_conv
    monkeypatch.setattr(m, "upsampling_as_transposed_conv", lambda mode, f, **kw: (
        dataclasses.replace(real(mode, f, **kw), padding=max(f - 2, 0))))
    m.equivalent.cache_clear()
    params = {"ndim": 1, "n": 4, "s": 3, "C": 1, "target": "size"}
    assert not m._check(params).holds
    assert not m._numeric(params, np.random.default_rng(0)).holds


# --------------------------------------------------------------------------- T12


@pytest.mark.parametrize(("n", "s", "positions"), [
    (3, 1, []), (3, 2, [0, 5]), (3, 3, [0, 8]), (2, 4, [0, 1, 6, 7]), (1, 5, [0, 1, 3, 4]),
    (4, 6, [0, 1, 2, 21, 22, 23]),
])
def test_t12_border_positions(n: int, s: int, positions: list[int]) -> None:
    m = _load("T12")
    assert m.border(n, s) == positions
    check = m._check({"ndim": 1, "n": n, "s": s, "C": 1, "form": "border"})
    assert check.holds, check.detail
    identity = m._check({"ndim": 1, "n": n, "s": s, "C": 1, "form": "identity"})
    assert identity.holds == (s == 1)
    if positions:
        assert f"[{', '.join(map(str, positions))}]" in identity.detail


def test_t12_fcn_kernels_and_border_values() -> None:
    m = _load("T12")
    assert [str(v) for v in m.fcn_kernel(2)] == ["1/4", "3/4", "3/4", "1/4"]  # CONVENTIONS.md
    assert [str(v) for v in m.fcn_kernel(3)] == ["1/3", "2/3", "1", "2/3", "1/3"]
    x = np.array([[[1, 2]]])
    layer, w = m.equivalent((2,), 1)
    assert layer.padding == ((1, 1),)
    bilinear = numeric.upsample_linear(x, 2)
    fcn = numeric.conv_transpose(x.astype(object), w, stride=2, padding=1)
    assert _frac(bilinear) == [1, Fraction(5, 4), Fraction(7, 4), 2]
    assert _frac(fcn) == [Fraction(3, 4), Fraction(5, 4), Fraction(7, 4), Fraction(3, 2)]
    padded = numeric.pad(x.astype(object), 1, mode="replicate")
    assert _frac(numeric.conv_transpose(padded, w, stride=2, padding=1)[..., 2:-2]) == _frac(
        bilinear)
    # 2-D: an output differs iff some coordinate is on its axis border
    mask = m.predicted_mask((2, 3), (2, 2))
    assert mask.sum() == 4 * 6 - 2 * 4


def test_t12_mutations_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T12")
    params = {"ndim": 1, "n": 4, "s": 3, "C": 1}
    # zero padding instead of edge replication: the border reappears
    monkeypatch.setattr(m, "pad_map", lambda shape, pads, mode: pad_map(shape, pads, "zeros"))
    assert not m._check({**params, "form": "replicate"}).holds
    monkeypatch.undo()
    # a crop off by one
    monkeypatch.setattr(m, "crop_map", lambda shape, crops: crop_map(
        shape, [(b - 1, e + 1) for b, e in crops]))
    assert not m._check({**params, "form": "replicate"}).holds
    monkeypatch.undo()
    # a border list one position short
    monkeypatch.setattr(m, "border", lambda n, s: list(range(s // 2 - 1)) + list(
        range(s * n - s // 2, s * n)))
    assert not m._check({**params, "form": "border"}).holds


# --------------------------------------------------------------------------- T13


def test_t13_kernel_and_polyphase_sums() -> None:
    m = _load("T13")
    w = m.resize_conv_kernel(np.array([[[1, 2, 3]]]), (2,))
    assert w.tolist() == [[[3, 5, 3, 1]]]  # flip -> [3, 2, 1], full conv with [1, 1]
    assert w[0, 0, 0::2].sum() == w[0, 0, 1::2].sum() == 6
    assert m.phase_sum_failure((2, 3), (2, 3), 2, 1) == ""
    # a generic kernel of the same size has unequal phase sums (checkerboard)
    generic = np.array([1, 1, 1, 0])
    assert generic[0::2].sum() != generic[1::2].sum()
    # p > k - 1: the negative transposed-conv padding becomes zero padding of the output
    assert m._check({"ndim": 1, "n": 2, "s": 2, "k": 1, "p": 2, "C": (1, 1)}).holds


def test_t13_mutations_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T13")
    params = {"ndim": 1, "n": 3, "s": 2, "k": 3, "p": 1, "C": (1, 1)}
    lhs, rhs = m._lhs(params), m._rhs(params)
    assert lhs.equals(m.in_terms_of_k(rhs, (3,), (2,)))
    assert not lhs.equals(m.in_terms_of_k(rhs, (3,), (2,), flip=False))  # the flip matters
    real = m.in_terms_of_k
    monkeypatch.setattr(m, "in_terms_of_k", lambda mm, k, s: real(mm, k, s, flip=False))
    assert not m._check(params).holds
    monkeypatch.undo()
    # off-by-one padding of the transposed conv
    monkeypatch.setattr(m, "ConvTranspose", lambda kernel, stride, padding, ndim: ConvTranspose(
        kernel=kernel, stride=stride, padding=tuple(p + 1 for p in padding), ndim=ndim))
    assert not m._check(params).holds
    assert m._check({**params, "p": 2}).holds is False


# --------------------------------------------------------------------------- T14


def test_t14_overlap_counterexample_exact() -> None:
    m = _load("T14")
    x = np.array([[[0, 1, 0]]])  # position 1 is the max of both windows (k=2, s=1)
    _, idx = numeric.max_pool(x, 2, stride=1, return_indices=True)
    assert idx.tolist() == [[[1, 1]]]
    g = np.array([[[10, 20]]])
    assert numeric.max_unpool(g, idx, 2, stride=1, output_size=(3,)).tolist() == [[[0, 20, 0]]]
    unpool = max_unpool_map(m._unpool_layer({"k": 2, "s": 1, "p": 0, "n": 3, "ndim": 1}), idx[0])
    assert (unpool.numeric() @ g.ravel()).tolist() == [0, 30, 0]  # = S(x)^T g, the gradient
    params = {"ndim": 1, "n": 3, "k": 2, "s": 1, "p": 0, "C": 1}
    bad = m._check({**params, "claim": "assign"})
    assert not bad.holds and "g[o1] + g[o2]" in bad.detail
    assert m._check({**params, "claim": "map"}).holds
    assert m.overlapping(params) and not m.overlapping({**params, "s": 2})
    assert not m.overlapping({**params, "n": 2})  # a single window cannot overlap
    assert m._check({**params, "n": 2, "claim": "assign"}).holds


def test_t14_deconvnet_equals_gradient_without_overlap() -> None:
    m = _load("T14")
    rng = np.random.default_rng(3)
    for params in ({"ndim": 1, "n": 6, "k": 2, "s": 2, "p": 0, "C": 2},
                   {"ndim": 2, "n": (4, 4), "k": (2, 2), "s": (2, 2), "p": 0, "C": 1}):
        assert m._numeric({**params, "claim": "assign"}, rng).holds
    assert not m._numeric({"ndim": 1, "n": 5, "k": 3, "s": 1, "p": 1, "C": 1,
                           "claim": "assign"}, rng).holds


def test_t14_mutation_assignment_unpool_map_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T14")

    def assigning(layer: Any, indices: Any) -> Any:  # drops repeated switches (last wins)
        full = max_unpool_map(layer, indices)
        _, keep = np.unique(full.rows[::-1], return_index=True)
        keep = full.nnz - 1 - keep
        return dataclasses.replace(full, rows=full.rows[keep], cols=full.cols[keep],
                                   taps=full.taps[keep], num=full.num[keep], den=full.den[keep])

    monkeypatch.setattr(m, "max_unpool_map", assigning)
    params = {"ndim": 1, "n": 4, "k": 3, "s": 1, "p": 0, "C": 1, "claim": "map"}
    assert not m._check(params).holds
    assert m._check({**params, "k": 2, "s": 2}).holds  # no overlap: nothing dropped


def test_t14_pytorch_gradient_sums_and_unpool_assigns(requires: Any) -> None:
    torch = requires("torch")
    x = torch.tensor([[[0.0, 1.0, 0.0]]], requires_grad=True)
    y, idx = torch.nn.functional.max_pool1d(x, 2, stride=1, return_indices=True)
    g = torch.tensor([[[10.0, 20.0]]])
    y.backward(g)
    assert x.grad.tolist() == [[[0.0, 30.0, 0.0]]]
    un = torch.nn.functional.max_unpool1d(g, idx, 2, stride=1, output_size=[3])
    assert un[0, 0, 1].item() in (10.0, 20.0)  # one of the writes, never the sum


# --------------------------------------------------------------------------- T15


def test_t15_weight_rearrangement() -> None:
    m = _load("T15")
    w = np.arange(4).reshape(1, 1, 4)  # r = 2, k = 2: W = [w0, w1, w2, w3]
    assert m.subpixel_weight(w, 2).tolist() == [[[2, 0]], [[3, 1]]]
    w2 = np.arange(2 * 3 * 4 * 2).reshape(2, 3, 4, 2)  # 2-D, r = 2, k = (2, 1)
    v = m.subpixel_weight(w2, 2)
    assert v.shape == (3 * 4, 2, 2, 1)
    # V[co r^2 + (phi0 r + phi1), ci, t0, t1] = W[ci, co, r(k0-1-t0) + phi0, r(k1-1-t1) + phi1]
    assert v[1 * 4 + 1 * 2 + 0, 1, 0, 0] == w2[1, 1, 2 * 1 + 1, 0]
    # ESPCN: k odd, P = r (k-1)/2 -> LR 'same' padding, output r n
    check = m._check({"ndim": 1, "n": 4, "r": 3, "k": 3, "P": 3, "op": 0, "C": (1, 2)})
    assert check.holds and "no crop" in check.detail


def test_t15_mutations_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _load("T15")
    params = {"ndim": 1, "n": 2, "r": 2, "k": 2, "P": 1, "op": 1, "C": (2, 2)}
    assert m._check(params).holds
    assert not m._lhs(params).equals(m._rhs(params, order="DCR"))  # channel order matters
    real = m.subpixel_weight

    def no_flip(w: Any, r: int) -> Any:
        v = real(np.asarray(w), r)
        return v[..., ::-1]  # undo the flip of the k part

    monkeypatch.setattr(m, "subpixel_weight", no_flip)
    assert not m._check(params).holds
    assert not m._numeric(params, np.random.default_rng(0)).holds


@pytest.mark.parametrize(("tid", "mode", "ac"), [
    ("T09", "nearest", False), ("T11", "linear", True), ("T12", "linear", False)])
def test_library_layer_is_the_proven_layer(tid: str, mode: str, ac: bool) -> None:
    m = _load(tid)
    for s in (1, 2, 3, 4):
        eq = upsampling_as_transposed_conv(mode, s, align_corners=ac)
        assert eq.theorem == tid
        proven, _ = m.equivalent((s, s), 3)
        lib = eq.layer(ndim=2, channels=3)
        assert (lib.kernel, lib.stride, lib.padding, lib.groups) == (
            proven.kernel, proven.stride, proven.padding, proven.groups)
