"""Catalogue theorems T01, T03-T08 and T20: linearity, gradients, transposes, shape round trips.

Each theorem runs on the small grid and must be "proved"; theorem-specific facts are asserted
(known numbers, the exact counterexample regions); every theorem has mutations showing its
evidence can fail; the gradient theorems are checked against PyTorch autograd.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pytest

from symconv import numeric
from symconv.core import conv_map, conv_transpose_map
from symconv.spec import Conv, ConvTranspose
from symconv.theory.derive import direct_conv_equivalent, gradient_ops
from symconv.theory.theorem import Result, Theorem, load_theorems, run_theorem

IDS = ("T01", "T03", "T04", "T05", "T06", "T07", "T08", "T20")


@cache
def _theorems() -> dict[str, Theorem]:
    return {t.id: t for t in load_theorems() if t.id in IDS}


@cache
def _result(tid: str) -> Result:
    return run_theorem(_theorems()[tid], grid="small", seed=0)


def _axes(v: Any, nd: int) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, tuple) else (v,) * nd


def _failing(tid: str, mutation: str, every: int = 1) -> list[Mapping[str, Any]]:
    thm = _theorems()[tid]
    grid = list(thm.grid("small"))[::every]
    return [q for q in grid if not thm.check({**q, "mutation": mutation}).holds]


# --------------------------------------------------------------------------- every theorem


def test_the_group_is_in_the_catalogue() -> None:
    assert sorted(_theorems()) == sorted(IDS)


@pytest.mark.parametrize("tid", IDS)
def test_theorem_is_proved_on_the_small_grid(tid: str) -> None:
    r = _result(tid)
    assert r.verdict == "proved", (r.error, r.contradictions[:3])
    assert r.instances >= 500 and r.numeric_checks >= 90 and r.numeric_failed == 0
    assert r.steps and all(s.ok for s in r.steps)
    assert any(s.symbolic for s in r.steps)  # at least one step proven by SymPy, not sampled
    assert not r.contradictions
    grid = list(_theorems()[tid].grid("small"))
    assert len(grid) == r.instances
    if tid != "T20":  # 2-D cases with channels and groups are part of every operator grid
        assert any(q["ndim"] == 2 and q["channels"][2] > 1 for q in grid)


@pytest.mark.parametrize("tid", ["T01", "T03", "T04", "T07", "T08"])
def test_theorems_without_exceptions_have_no_counterexample(tid: str) -> None:
    assert _theorems()[tid].expected is None
    assert _result(tid).counterexamples == []


# --------------------------------------------------------------------------- T01


def test_t01_known_numbers_of_the_conv_arithmetic_guide() -> None:
    x = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
                  [2, 0, 0, 0, 1]])
    w = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]]).reshape(1, 1, 3, 3)
    c = conv_map(Conv(kernel=3), (1, 5, 5), 1)
    assert c.apply_exact(x[None], w)[0].tolist() == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    c2 = conv_map(Conv(kernel=3, stride=2, padding=1), (1, 5, 5), 1)
    assert c2.apply_exact(x[None], w)[0].tolist() == [[6, 17, 3], [8, 17, 13], [6, 4, 4]]
    t01 = _module("T01")
    assert c.nnz == 81 == t01.taps_inside(5, 3, 1, 0, 0, 1) ** 2
    # padded corners lose taps: per axis 3 outputs x 3 taps minus the 2 that read padding
    assert c2.nnz == t01.taps_inside(5, 3, 2, 1, 1, 1) ** 2 == 7**2


def test_t01_closed_form_counts_on_groups_and_asymmetric_padding() -> None:
    t01 = _module("T01")
    params = {"n": (5, 2), "k": (2, 3), "s": (2, 1), "p": ((1, 0), (0, 2)), "d": (2, 1),
              "ndim": 2, "channels": (3, 6, 3)}
    layer = Conv(kernel=(2, 3), stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(2, 1),
                 groups=3)
    assert conv_map(layer, (3, 5, 2), 6).nnz == t01.nnz_closed_form(params)


def test_t01_mutations_fail() -> None:
    thm = _theorems()["T01"]
    assert len(_failing("T01", "stride+1", every=3)) > 100
    # counting with p_e in place of p_b is only wrong for asymmetric padding, and is there
    wrong = _failing("T01", "nnz_pe", every=2)
    assert wrong and all(isinstance(q["p"], tuple) for q in wrong)
    assert not thm.check({"n": 4, "k": 3, "s": 2, "p": ((0, 2),), "d": 1, "ndim": 1,
                          "channels": (1, 1, 1), "mutation": "nnz_pe"}).holds


# --------------------------------------------------------------------------- T03


def test_t03_gradient_layer_and_mutations() -> None:
    g = gradient_ops(Conv(kernel=3, stride=2, padding=1), 6)
    assert g.input_grad.output_padding == (1,)  # a = (6 + 2 - 2 - 1) mod 2
    # every mutated gradient layer (op off by one, padding + 1) is refuted on every instance
    thm = _theorems()["T03"]
    grid = list(thm.grid("small"))[::4]
    for mutation in ("op+1", "pad+1"):
        assert all(not thm.check({**q, "mutation": mutation}).holds for q in grid)


@pytest.mark.torch
def test_t03_input_gradient_matches_torch_autograd(requires: Any) -> None:
    torch = requires("torch")
    cases = [((1, 1, 1), 1, (7,), 3, 2, 1, 1), ((1, 1, 1), 1, (8,), 2, 3, 2, 2),
             ((4, 6, 2), 2, (6, 7), (2, 3), (3, 2), (1, 0), (2, 1)),
             ((3, 3, 3), 2, (5, 4), 3, 2, 1, 1)]
    rng = np.random.default_rng(3)
    for (cin, cout, g), _, n, k, s, p, d in cases:
        nd = len(n)
        layer = Conv(kernel=k, stride=s, padding=p, dilation=d, groups=g, ndim=nd)
        w = rng.standard_normal((cout, cin // g, *_axes(k, nd)))
        x = torch.tensor(rng.standard_normal((1, cin, *n)), requires_grad=True)
        conv_fn = getattr(torch.nn.functional, f"conv{nd}d")
        y = conv_fn(x, torch.tensor(w), stride=s, padding=p, dilation=d, groups=g)
        go = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(go))
        want = x.grad.numpy()[0]
        ref = numeric.conv_grad_input(go, w, n, stride=s, padding=p, dilation=d, groups=g)[0]
        np.testing.assert_allclose(ref, want, atol=1e-10)
        t = conv_transpose_map(gradient_ops(layer, n).input_grad, (cout, *y.shape[2:]), cin)
        np.testing.assert_allclose(t.apply(go[0], w), want, atol=1e-10)


# --------------------------------------------------------------------------- T04


def test_t04_crop_is_needed_exactly_when_a_reaches_the_dilation() -> None:
    wrong = _failing("T04", "no_crop")

    def a_ge_d(q: Mapping[str, Any]) -> bool:
        nd = q["ndim"]
        return any(
            (n + 2 * p - d * (k - 1) - 1) % s >= d
            for n, k, s, p, d in zip(_axes(q["n"], nd), _axes(q["k"], nd), _axes(q["s"], nd),
                                     _axes(q["p"], nd), _axes(q["d"], nd), strict=True))

    grid = list(_theorems()["T04"].grid("small"))
    assert wrong == [q for q in grid if a_ge_d(q)] and wrong
    assert len(_failing("T04", "unswapped", every=3)) > 100
    corr = gradient_ops(Conv(kernel=3, stride=2, padding=1, dilation=1), 6).weight_grad
    assert (corr.kernel, corr.stride, corr.dilation) == ((3,), (1,), (2,))


@pytest.mark.torch
def test_t04_weight_gradient_matches_torch_autograd(requires: Any) -> None:
    torch = requires("torch")
    t04 = _module("T04")
    cases = [((1, 1, 1), (8,), 3, 3, 1, 1), ((1, 1, 1), (7,), 2, 2, 2, 2),
             ((4, 2, 2), (6, 7), (2, 3), (3, 2), (1, 0), 2),
             ((2, 6, 2), (5, 4), 3, 2, 1, (1, 2))]
    rng = np.random.default_rng(4)
    for (cin, cout, g), n, k, s, p, d in cases:
        nd = len(n)
        kk = _axes(k, nd)
        x = rng.integers(-5, 6, (1, cin, *n))
        w = torch.tensor(rng.standard_normal((cout, cin // g, *kk)), requires_grad=True)
        conv_fn = getattr(torch.nn.functional, f"conv{nd}d")
        y = conv_fn(torch.tensor(x, dtype=torch.float64), w, stride=s, padding=p, dilation=d,
                    groups=g)
        go = rng.integers(-5, 6, tuple(y.shape))
        y.backward(torch.tensor(go, dtype=torch.float64))
        want = w.grad.numpy()
        ref = numeric.conv_grad_weight(x, go, kk, stride=s, padding=p, dilation=d, groups=g)
        np.testing.assert_allclose(ref, want, atol=1e-9)
        params = {"n": n, "k": k, "s": s, "p": p, "d": d, "ndim": nd, "channels": (cin, cout, g)}
        derived = t04.weight_gradient_map(params, x[0])
        np.testing.assert_allclose(derived.apply_exact(go[0]).astype(float), want, atol=1e-9)


# --------------------------------------------------------------------------- T05


def _op_ge_s(q: Mapping[str, Any]) -> bool:
    return any(o >= s for o, s in zip(q["op"], _axes(q["s"], q["ndim"]), strict=True))


def test_t05_fails_exactly_for_output_padding_at_least_the_stride() -> None:
    r = _result("T05")
    grid = list(_theorems()["T05"].grid("small"))
    region = [q for q in grid if q["form"] == "plain" and _op_ge_s(q)]
    assert region and [p for p, _ in r.counterexamples] == region
    assert all("without its last floor(op/s)" in d for _, d in r.counterexamples)
    # the cropped form is checked on exactly that region, and holds there
    cropped = [q for q in grid if q["form"] == "cropped"]
    assert [{**q, "form": "plain"} for q in cropped] == region


def test_t05_mutations_fail() -> None:
    thm = _theorems()["T05"]
    q = {"m": 3, "k": 3, "s": 2, "p": 1, "d": 1, "ndim": 1, "channels": (1, 1, 1), "op": (1,),
         "form": "plain"}
    assert thm.check(q).holds
    for mutation in ("dilation+1", "flip"):
        assert not thm.check({**q, "mutation": mutation}).holds
        assert len(_failing("T05", mutation, every=3)) > 100


@pytest.mark.torch
def test_t05_transposed_conv_input_gradient_matches_torch_autograd(requires: Any) -> None:
    torch = requires("torch")
    rng = np.random.default_rng(5)
    # (m, k, s, p, d, op): the last two have op >= s (accepted by PyTorch since op < d)
    for m, k, s, p, d, op in [(4, 3, 2, 1, 1, 1), (3, 2, 3, 0, 2, 2), (3, 3, 1, 1, 2, 1),
                              (2, 2, 1, 0, 3, 2)]:
        w = rng.standard_normal((1, 1, k))
        y = torch.tensor(rng.standard_normal((1, 1, m)), requires_grad=True)
        z = torch.nn.functional.conv_transpose1d(y, torch.tensor(w), stride=s, padding=p,
                                                 output_padding=op, dilation=d)
        gz = rng.standard_normal(tuple(z.shape))
        z.backward(torch.tensor(gz))
        conv_of_g = numeric.conv(gz, w, stride=s, padding=p, dilation=d)
        assert conv_of_g.shape[2] == m + op // s
        np.testing.assert_allclose(conv_of_g[..., :m], y.grad.numpy(), atol=1e-10)


# --------------------------------------------------------------------------- T06


def test_t06_unflipped_guide_version_fails_exactly_where_stated() -> None:
    r = _result("T06")
    thm = _theorems()["T06"]
    t06 = _module("T06")
    cex = [p for p, _ in r.counterexamples]
    assert cex and all(p["form"] == "unflipped" for p in cex)
    # every counterexample has a tap other than the kernel centre reaching the output
    for p in cex:
        reach = t06.reaching_taps(p)
        ks = _axes(p["k"], p["ndim"])
        assert all(reach) and any(2 * u != k - 1 for r_, k in zip(reach, ks, strict=True)
                                  for u in r_)
    # the guide's statement as a theorem of its own (no exception region) is contradicted
    unflipped = [q for q in thm.grid("small") if q["form"] == "unflipped"]
    guide = dataclasses.replace(thm, id="T06-guide", expected=None, numeric=None,
                                derivation=None, grid=lambda size: unflipped)
    g = run_theorem(guide)
    assert g.verdict == "contradicted" and len(g.contradictions) == len(cex)
    # unflipped holds where only the centre tap reaches the output: m=1, k=3, p=d
    assert thm.check({"m": 1, "k": 3, "s": 2, "p": 2, "d": 2, "ndim": 1,
                      "channels": (1, 1, 1), "op": (0,), "form": "unflipped"}).holds


def test_t06_asymmetric_kernel_counterexample_by_hand() -> None:
    y = np.array([[[1, 2]]])
    w = np.array([[[1, 10, 100]]])
    tconv = numeric.conv_transpose(y, w, stride=2)
    assert tconv.tolist() == [[[1, 10, 102, 20, 200]]]
    dc = direct_conv_equivalent(ConvTranspose(kernel=3, stride=2), 2)
    stretched = numeric.zero_stretch(y, 2)
    assert numeric.conv(stretched, dc.weight(w), padding=dc.conv.padding).tolist() == (
        tconv.tolist())
    unflipped = numeric.conv(stretched, w, padding=dc.conv.padding)
    assert unflipped.tolist() == [[[100, 10, 201, 20, 2]]]
    # the theorem's own numeric check: random kernel fails, flip-symmetric kernel holds
    thm = _theorems()["T06"]
    q = {"m": 2, "k": 3, "s": 2, "p": 0, "d": 1, "ndim": 1, "channels": (1, 1, 1),
         "op": (0,), "form": "unflipped"}
    assert thm.numeric is not None
    assert not thm.numeric({**q, "kernel": "random"}, np.random.default_rng(0)).holds
    assert thm.numeric({**q, "kernel": "symmetric"}, np.random.default_rng(0)).holds


def test_t06_crop_of_everything_is_the_zero_map() -> None:
    thm = _theorems()["T06"]
    q = {"m": 1, "k": 1, "s": 3, "p": 1, "d": 1, "ndim": 1, "channels": (1, 1, 1),
         "op": (2,), "form": "flipped"}
    assert q in list(thm.grid("small"))
    c = thm.check(q)
    assert c.holds and "zero map" in c.detail


def test_t06_guide_padding_without_dilation_fails_only_with_dilation() -> None:
    wrong = [q for q in _failing("T06", "guide_padding", every=2) if q["form"] == "flipped"]
    assert len(wrong) > 50
    assert all(any(d > 1 for d in _axes(q["d"], q["ndim"])) for q in wrong)


# --------------------------------------------------------------------------- T07, T08


def test_t07_mutations_fail_with_dilation() -> None:
    for mutation in ("zeros_before", "stride_for_dilation"):
        wrong = _failing("T07", mutation, every=2)
        assert len(wrong) > 100
    thm = _theorems()["T07"]
    q = {"n": 8, "k": 3, "s": 1, "p": 1, "d": 2, "ndim": 1, "channels": (1, 1, 1)}
    assert thm.check(q).holds
    assert not thm.check({**q, "mutation": "zeros_before"}).holds
    t07 = _module("T07")
    assert t07.zero_inserted(np.array([[[1, 2, 3]]]), (2,)).tolist() == [[[1, 0, 2, 0, 3]]]


def test_t08_mutations_fail() -> None:
    thm = _theorems()["T08"]
    q = {"n": 8, "k": 3, "s": 2, "p": 1, "d": 2, "ndim": 1, "channels": (1, 1, 1)}
    assert thm.check(q).holds
    for mutation in ("shift", "stride+1"):
        assert not thm.check({**q, "mutation": mutation}).holds
        assert len(_failing("T08", mutation, every=3)) > 100


# --------------------------------------------------------------------------- T20


def test_t20_unclipped_range_fails_exactly_where_m_min_is_below_one() -> None:
    r = _result("T20")
    cex = [p for p, _ in r.counterexamples]
    assert cex and all(p["form"] == "unclipped" for p in cex)
    for p in cex:
        pb, pe = p["p"] if isinstance(p["p"], tuple) else (p["p"], p["p"])
        a = (p["n"] + pb + pe - p["d"] * (p["k"] - 1) - 1) % p["s"]
        assert a >= p["n"]  # m_min = n - a < 1
    thm = _theorems()["T20"]
    c = thm.check({"n": 1, "k": 1, "s": 3, "p": 1, "d": 1, "form": "unclipped"})
    assert not c.holds and "[-1, 0, 1]" in c.detail
    assert thm.check({"n": 1, "k": 1, "s": 3, "p": 1, "d": 1, "form": "clipped"}).holds


def test_t20_known_round_trip_numbers_and_mutations() -> None:
    thm = _theorems()["T20"]
    c = thm.check({"n": 6, "k": 3, "s": 2, "p": 1, "d": 1, "form": "clipped"})
    assert c.holds and "m=3, a=1, sizes [5, 6]" in c.detail  # CONVENTIONS: (6,3,2,1) -> 3
    assert len(_failing("T20", "op_off_by_one", every=5)) == len(list(thm.grid("small"))[::5])
    assert len(_failing("T20", "residue_sign", every=5)) > 50
    q = {"n": 6, "k": 3, "s": 3, "p": 1, "d": 1, "form": "clipped"}  # residue 1, not 2
    assert thm.check(q).holds and not thm.check({**q, "mutation": "residue_sign"}).holds


# --------------------------------------------------------------------------- helpers


@cache
def _module(tid: str) -> Any:
    """The loaded proof module of a theorem (its public helpers are part of the evidence)."""
    import importlib.util

    from symconv.theory.theorem import default_proofs_dir

    path = next(default_proofs_dir().glob(f"{tid.lower()}_*.py"))
    spec = importlib.util.spec_from_file_location(f"symconv_proofs_test_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
