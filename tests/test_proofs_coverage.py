"""Catalogue theorems T16-T19: checkerboards, gradient checkerboards, stack path counts and
receptive fields.

Each theorem runs on the small grid and must be "proved" (its evidence agrees with the
statement and with the exact exception regions it states); the catalogue's corrections are
asserted as concrete counterexamples; mutations of the library show that the evidence can
fail; the gradient count is checked against PyTorch autograd.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

import symconv.coverage as coverage
import symconv.coverage.receptive as receptive
from symconv.theory.theorem import Result, Theorem, load_theorems, run_theorem

IDS = ("T16", "T17", "T18", "T19")


def _load() -> dict[str, Theorem]:
    return {t.id: t for t in load_theorems() if t.id in IDS}


@cache
def _theorems() -> dict[str, Theorem]:
    return _load()


@cache
def _result(tid: str) -> Result:
    return run_theorem(_theorems()[tid], grid="small", seed=0)


def test_the_group_is_in_the_catalogue() -> None:
    assert sorted(_theorems()) == list(IDS)


@pytest.mark.parametrize("tid", IDS)
def test_theorem_is_proved_on_the_small_grid(tid: str) -> None:
    r = _result(tid)
    assert r.verdict == "proved", (r.error, r.contradictions[:3])
    assert r.instances >= 20 and r.numeric_checks >= 10 and r.numeric_failed == 0
    assert r.steps and all(s.ok for s in r.steps)


def _params(r: Result, **wanted: Any) -> list[tuple[dict[str, Any], str]]:
    return [(p, d) for p, d in r.counterexamples
            if all(p.get(k) == v for k, v in wanted.items())]


def test_t16_states_where_the_catalogue_is_wrong() -> None:
    r = _result("T16")
    # (ii) equal usual polyphase sums, yet a non-constant output when gcd(s, d) > 1
    found = _params(r, n=7, k=2, s=2, p=0, d=2, op=0)
    assert found and "kernel [1, 1] has equal sums" in found[0][1]
    assert "[0, 2, 0, 2" in found[0][1]
    # (i) an interior shorter than one period looks uniform although s does not divide k
    short = _params(r, n=1, k=3, s=2, p=0, d=1, op=0)
    assert short and "interior uniform ([1])" in short[0][1]
    # never a counterexample with gcd(s, d) = 1 on an interior holding a whole period
    thm = _theorems()["T16"]
    for p, _ in r.counterexamples:
        if p["ndim"] == 1 and np.gcd(p["s"], p["d"]) == 1:
            lo, hi = thm.check.__globals__["_interior"]({x: p[x] for x in
                                                         ("n", "k", "s", "p", "d", "op")})
            assert hi - lo < p["s"], p
    assert "gcd" in thm.exceptions and "dilated kernel" in thm.exceptions


def test_t17_gradient_counterexamples_mirror_t16() -> None:
    r = _result("T17")
    found = _params(r, n=9, k=2, s=2, p=0, d=2)
    assert found and "input gradient is [0, 2, 0, 2" in found[0][1]


# --------------------------------------------------------------------------- mutations


def _run_fresh(tid: str) -> Result:
    """Run a freshly loaded theorem module (it binds the names patched by the test)."""
    return run_theorem(_load()[tid], grid="small", seed=0)


def test_t16_refutes_a_wrong_interior(monkeypatch: pytest.MonkeyPatch) -> None:
    real = coverage._windows

    def wider(r: Any, a: int, j: Any) -> Any:
        lo, hi = real(r, a, j)
        return (lo, hi + 1) if isinstance(r.layer, coverage.ConvTranspose) else (lo, hi)

    monkeypatch.setattr(coverage, "_windows", wider)
    assert _run_fresh("T16").verdict == "contradicted"


def test_t16_refutes_the_naive_polyphase_criterion(monkeypatch: pytest.MonkeyPatch) -> None:
    real = coverage.phase_sums
    monkeypatch.setattr(coverage, "phase_sums", lambda w, s, d=1: real(w, s, 1))
    r = _run_fresh("T16")
    assert r.verdict == "contradicted"
    assert any(p["d"] > 1 for p, _ in r.contradictions)


def test_t17_refutes_a_wrong_gradient_interior(monkeypatch: pytest.MonkeyPatch) -> None:
    real = coverage._gradient_interior

    def wider(r: Any, a: int) -> Any:
        ok = real(r, a).copy()
        inside = np.flatnonzero(ok)
        if inside.size and inside[0] > 0:  # one border input more claimed as interior
            ok[inside[0] - 1] = True
        elif inside.size and inside[-1] + 1 < ok.size:
            ok[inside[-1] + 1] = True
        return ok

    monkeypatch.setattr(coverage, "_gradient_interior", wider)
    assert _run_fresh("T17").verdict == "contradicted"


def test_t18_refutes_lost_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    real = coverage._csr

    def lossy(m: Any) -> Any:
        mat = real(m).tolil()
        rows, cols = mat.nonzero()
        if rows.size:
            mat[rows[-1], cols[-1]] = 0
        return mat.tocsr()

    monkeypatch.setattr(coverage, "_csr", lossy)
    assert _run_fresh("T18").verdict == "contradicted"


def test_t19_refutes_shifted_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    real = receptive.ReceptiveField.span

    def shifted(self: Any, j: int) -> Any:
        span = real(self, j)
        return None if span is None else (span[0], span[1] + 1)

    monkeypatch.setattr(receptive.ReceptiveField, "span", shifted)
    assert _run_fresh("T19").verdict == "contradicted"


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.torch
def test_gradient_checkerboard_matches_autograd() -> None:
    import torch

    for k, s, p, d in [(3, 2, 1, 1), (4, 2, 1, 1), (3, 3, 0, 2), (5, 2, 2, 2)]:
        x = torch.ones(1, 1, 20, 20, dtype=torch.float64, requires_grad=True)
        w = torch.ones(1, 1, k, k, dtype=torch.float64)
        torch.nn.functional.conv2d(x, w, stride=s, padding=p, dilation=d).sum().backward()
        assert x.grad is not None
        cb = coverage.gradient_checkerboard(coverage.Conv(kernel=k, stride=s, padding=p,
                                                          dilation=d), (20, 20))
        assert np.array_equal(x.grad[0, 0].numpy(), cb.counts)
