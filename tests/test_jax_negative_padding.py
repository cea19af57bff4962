"""Negative explicit padding under convention ``jax`` (a crop), judged by JAX and flax.

A deterministic grid (1-D: every pair of pads in -4..4 for each API, with sizes 1..12,
kernels 1..5, strides 1..3 and dilations 1..3 in turn; 2-D and 3-D: a seeded sample of the
same ranges) over ``jax.lax.conv_general_dilated``, ``lax.conv_transpose``,
``lax.reduce_window`` (max and add), ``flax.linen.Conv``, ``ConvTranspose``, ``max_pool`` and
``avg_pool`` (``count_include_pad`` True and False) runs in one child process for the whole
file (:mod:`tf_jax_oracles`, child ``jax+flax``).  Compared per case: the output size or the
refusal (JAX raising, or returning an empty tensor, must be a refusal naming that), and for
a share of the cases the framework's matrix on one-hot inputs against
:func:`symconv.core.linear_map` and the reference ops of :mod:`symconv.numeric`
(``any_padding=True``), and max pooling on three inputs against
:func:`symconv.core.max_pool_selection_map`.  A window reading only padding (``-inf`` for max
pooling, NaN for an average without counted padding) keeps JAX's size, with a note from
:func:`~symconv.sizes.shapes.resolve`; the maps refuse it (no linear map gives those values)
and the reference ops give ``-inf`` and NaN: every such case is probed, and the framework's
output must show the non-finite values exactly where symconv's note and reference op put them.  The brute-force counts and T21
proofs are checked on the 1-D specs.  The unit tests below need no framework.

XLA defect (JAX 0.10.2): a ``reduce_window`` whose window and strides are all 1 and whose
padding only crops aborts the process at compile time (the algebraic simplifier drops the
crop); those cases are not probed, and one pinned case runs last to notice a fix.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from typing import Any

import numpy as np
import pytest
from tf_jax_oracles import run_oracle

import symconv
from symconv import AvgPool, Conv, ConvTranspose, MaxPool, numeric, resolve
from symconv.core import linear_map, max_pool_selection_map
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes import bruteforce as B
from symconv.sizes.inverse import (
    ambiguity_set,
    output_padding_for,
    padding_for_output,
    restoring_output_padding,
    round_trip,
    transposed_sizes,
)
from symconv.sizes.jax_pads import JAX_EMPTY, padding_only_window
from symconv.sizes.proof import prove_output_size

from conftest import requires

# --------------------------------------------------------------------------- the grid

VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("jax.lax.conv_general_dilated", {}),
    ("jax.lax.conv_transpose", {}),
    ("jax.lax.reduce_window", {"reducer": "max"}),
    ("jax.lax.reduce_window", {"reducer": "add"}),
    ("flax.linen.Conv", {}),
    ("flax.linen.ConvTranspose", {}),
    ("flax.linen.max_pool", {}),
    ("flax.linen.avg_pool", {"count_include_pad": True}),
    ("flax.linen.avg_pool", {"count_include_pad": False}),
)
PADS = range(-4, 5)
#: The pinned XLA defect (see the module docstring): last in the batch, so it costs no restart.
XLA_CRASH = {"id": "xla-crash", "api": "jax.lax.reduce_window", "n": [4], "k": [1], "s": [1],
             "padding": [[-3, 0]], "flags": {"reducer": "add"}, "probe": True}
_SPEC_FIELDS = {f.name for f in dataclasses.fields(MaxPool)}


def _dilated(api: str) -> bool:
    return api not in ("flax.linen.max_pool", "flax.linen.avg_pool")


def grid() -> list[dict[str, Any]]:
    """The cases, deterministic: 1-D every pad pair per API, 2-D/3-D a seeded sample."""
    cases: list[dict[str, Any]] = []
    r = random.Random(2026)
    for v, (api, flags) in enumerate(VARIANTS):
        for i, (pb, pe) in enumerate(itertools.product(PADS, PADS)):
            case = {"api": api, "n": [1 + (5 * i + v) % 12], "k": [1 + (3 * i + v) % 5],
                    "s": [1 + (i + v) % 3], "padding": [[pb, pe]], "flags": flags,
                    "probe": i % 2 == v % 2}
            if _dilated(api):
                case["d"] = [1 + (i // 3 + v) % 3]
            cases.append(case)
        for nd, count, nmax, kmax in ((2, 24, 8, 4), (3, 8, 5, 3)):
            for _ in range(count):
                n = [r.randint(1, nmax) for _ in range(nd)]
                case = {"api": api, "n": n, "k": [r.randint(1, kmax) for _ in range(nd)],
                        "s": [r.randint(1, 3) for _ in range(nd)],
                        "padding": [[r.choice(PADS), r.choice(PADS)] for _ in range(nd)],
                        "flags": flags, "probe": math.prod(n) <= 100 and r.random() < 0.5}
                if _dilated(api):
                    case["d"] = [r.randint(1, 3) for _ in range(nd)]
                cases.append(case)
    for j, case in enumerate(cases):
        case["id"] = f"g{j:05d}"
    return cases


def spec_of(case: dict[str, Any]) -> Any:
    """The symconv layer a JAX/flax user writes for ``case`` (convention jax)."""
    api, flags = case["api"], case.get("flags") or {}
    kw: dict[str, Any] = {"kernel": tuple(case["k"]), "stride": tuple(case["s"]),
                          "padding": tuple(tuple(p) for p in case["padding"]),
                          "convention": "jax"}
    if case.get("d"):
        kw["dilation"] = tuple(case["d"])
    if "api" in _SPEC_FIELDS:  # specs that name their API (symconv.spec.apis)
        kw["api"] = api
    if api in ("jax.lax.conv_general_dilated", "flax.linen.Conv"):
        return Conv(**kw)
    if api in ("jax.lax.conv_transpose", "flax.linen.ConvTranspose"):
        return ConvTranspose(**kw)
    if api == "flax.linen.max_pool" or flags.get("reducer") == "max":
        return MaxPool(**kw)
    return AvgPool(count_include_pad=flags.get("count_include_pad", True), **kw)


def symconv_side(case: dict[str, Any]) -> dict[str, Any]:
    try:
        spec = spec_of(case)
        r = resolve(spec, tuple(case["n"]))
    except InvalidSpecError as exc:
        return {"error": str(exc)}
    return {"shape": [int(v) for v in r.output], "spec": r.layer,
            "padding_only": any("reads only padding" in note for note in r.notes)}


def _xla_crash(case: dict[str, Any]) -> bool:
    """The XLA defect's predicate: reduce_window, every window and stride 1, crops only."""
    pool = case["api"] in ("jax.lax.reduce_window", "flax.linen.max_pool", "flax.linen.avg_pool")
    pads = [v for p in case["padding"] for v in p]
    return (pool and all(v == 1 for v in case["k"] + case["s"]) and max(pads) <= 0
            and min(pads) < 0)


# --------------------------------------------------------------------------- judging


def _onehots(n: tuple[int, ...]) -> np.ndarray:
    m = math.prod(n)
    return np.eye(m).reshape((m, 1, *n))


def _ramps(n: tuple[int, ...]) -> np.ndarray:
    m = math.prod(n)
    inc = np.arange(1, m + 1, dtype=float)
    perm = np.random.default_rng(m).permutation(m).astype(float) + 1
    return np.stack([inc, inc[::-1], perm]).reshape((3, *n))


def _as_matrix(y: np.ndarray) -> np.ndarray:
    """Outputs of a batch of one-hot inputs -> the matrix (outputs x inputs)."""
    return y.reshape(y.shape[0], -1).T


def _map_refuses(build: Any) -> list[str]:
    """A map over a window on padding only must be refused, saying so."""
    try:
        build()
    except UnsupportedError as exc:
        return [] if "on padding only" in str(exc) else [f"map refused otherwise: {exc}"]
    return ["a map was built over a window on padding only (-inf or NaN there)"]


def _values(case: dict[str, Any], spec: Any, probe: dict[str, Any]) -> list[str]:
    """symconv's map and reference op against the framework's probe."""
    n, api = tuple(case["n"]), case["api"]
    flags = case.get("flags") or {}
    k, s = tuple(case["k"]), tuple(case["s"])
    d = tuple(case.get("d") or (1,) * len(n))
    pads = tuple(tuple(p) for p in case["padding"])
    out: list[str] = []
    if "inc" in probe:  # max pooling: S(x) x and numeric.max_pool on three inputs
        theirs = np.array([[np.nan if v is None else v for v in probe[key]]
                           for key in ("inc", "dec", "perm")])
        ramps = _ramps(n)
        ref = numeric.max_pool(ramps[:, None], k, stride=s, padding=pads, dilation=d,
                               any_padding=True)[:, 0].reshape(3, -1)
        if not np.array_equal(np.where(np.isinf(ref), np.nan, ref), theirs, equal_nan=True):
            out.append("numeric.max_pool differs")
        if not np.isnan(theirs).any():
            ours = np.stack([max_pool_selection_map(spec, x[None]).numeric() @ x.reshape(-1)
                             for x in ramps])
            if not np.array_equal(ours, theirs):
                out.append("max_pool_selection_map differs")
        else:
            out += _map_refuses(lambda: max_pool_selection_map(spec, ramps[:1]))
        return out
    m_out = math.prod(np.asarray(resolve(spec, n).output))
    rows, cols, vals = probe["matrix"]
    x = _onehots(n)
    taps = np.arange(1, math.prod(k) + 1, dtype=float).reshape((1, 1, *k))
    if isinstance(spec, Conv):
        ref = numeric.conv(x, taps, stride=s, padding=pads, dilation=d, any_padding=True)
        ours = linear_map(spec, (1, *n), out_channels=1).numeric(taps).toarray()
    elif isinstance(spec, ConvTranspose):  # lax: a conv over the zero-stretched input
        flipped = np.flip(taps, axis=tuple(range(2, 2 + len(n))))
        ref = numeric.conv(numeric.zero_stretch(x, s), flipped, padding=pads, dilation=d,
                           any_padding=True)
        ours = linear_map(spec, (1, *n), out_channels=1).numeric(taps).toarray()
    else:
        scale = math.prod(k) if api == "jax.lax.reduce_window" else 1
        ref = None if any(v != 1 for v in d) else numeric.avg_pool(
            x, k, stride=s, padding=pads, any_padding=True,
            count_include_pad=flags.get("count_include_pad", True)) * scale
        if probe["nonfinite"]:  # NaN rows: the reference op gives them, the map refuses
            out += _map_refuses(lambda: linear_map(spec, (1, *n)))
            got = [] if ref is None else np.nonzero(np.isnan(_as_matrix(ref)).any(axis=1))[0]
            if ref is not None and list(got) != probe["nonfinite"]:
                out.append(f"NaN outputs: framework {probe['nonfinite']}, symconv {list(got)}")
            return out
        ours = linear_map(spec, (1, *n)).numeric().toarray() * scale
    theirs = np.zeros((m_out, math.prod(n)))
    theirs[rows, cols] = vals
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-5, atol=1e-5):
        out.append("linear_map differs")
    if ref is not None and not np.allclose(_as_matrix(np.asarray(ref, float)), theirs,
                                           rtol=1e-5, atol=1e-5):
        out.append("numeric reference differs")
    return out


def judge(case: dict[str, Any], res: dict[str, Any], sc: dict[str, Any]) -> list[str]:
    """Problems of one case (an empty list: symconv agrees with the framework)."""
    if "crashed" in res:
        return [] if _xla_crash(case) else [f"framework crashed ({res['crashed']})"]
    call, err = res["call"], sc.get("error", "")
    if "shape" in call:
        if "error" not in sc:
            if call["shape"] != sc["shape"]:
                return [f"size: framework {call['shape']}, symconv {sc['shape']}"]
            probe = res.get("probe")
            if not probe:
                return []
            shows = (None in probe["inc"] if "inc" in probe else bool(probe["nonfinite"]))
            if shows != sc["padding_only"]:
                return [f"non-finite outputs: framework {shows}, symconv note "
                        f"{sc['padding_only']}"]
            return _values(case, sc["spec"], probe)
        return [f"refusal: framework {call['shape']}, symconv {err}"]
    if "empty" in call:
        return [] if JAX_EMPTY in err else [f"framework empty, symconv: {err or sc['shape']}"]
    text = call.get("error", call)
    if "Negative padding is larger" in str(text):
        return [] if "JAX raises" in err else [f"framework raises, symconv: {err or sc}"]
    return [f"framework: {text}, symconv: {err or sc['shape']}"]


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """Every grid case in the one jax+flax child: (case, framework result, symconv side)."""
    requires("jax")
    requires("flax")
    cases = grid()
    sides = [symconv_side(c) for c in cases]
    for case, sc in zip(cases, sides, strict=True):
        if sc.get("padding_only"):
            case["probe"] = True  # the framework's output must show the -inf / NaN window
        if _xla_crash(case):
            case["probe"] = False
    results = run_oracle("jax+flax", [*cases, XLA_CRASH])
    assert "crashed" in results.pop(XLA_CRASH["id"]), "XLA defect fixed: probe the crop cases"
    return [(c, results[c["id"]], sc) for c, sc in zip(cases, sides, strict=True)]


# --------------------------------------------------------------------------- against JAX


@pytest.mark.parametrize("api", sorted({api for api, _ in VARIANTS}))
def test_sizes_refusals_and_values_agree(outcomes: list[Any], api: str) -> None:
    problems = [f"{c['id']} {c['api']} n={c['n']} k={c['k']} s={c['s']} d={c.get('d')} "
                f"padding={c['padding']} {c.get('flags')}: {p}"
                for c, res, sc in outcomes if c["api"] == api for p in judge(c, res, sc)]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])


def test_grid_exercises_every_outcome(outcomes: list[Any]) -> None:
    """Crops are accepted and probed, and each kind of edge shows up."""
    kinds = {"ok": 0, "empty": 0, "raises": 0, "probed": 0, "padding-only": 0}
    for case, res, sc in outcomes:
        call = res.get("call", {})
        neg = any(v < 0 for p in case["padding"] for v in p)
        kinds["ok"] += "shape" in call and "error" not in sc and neg
        kinds["empty"] += "empty" in call
        kinds["raises"] += "error" in call
        kinds["probed"] += "probe" in res and "error" not in sc and neg
        kinds["padding-only"] += bool(sc.get("padding_only")) and "probe" in res
    assert kinds["ok"] >= 300 and kinds["empty"] >= 50 and kinds["raises"] >= 30, kinds
    assert kinds["probed"] >= 120 and kinds["padding-only"] >= 30, kinds


def test_brute_force_and_proofs_on_the_1d_grid() -> None:
    """1-D specs of the grid: the brute force equals resolve (size or refusal) at the case's
    size, and T21 proves every tenth spec (or refuses one that accepts no size)."""
    seen = 0
    for j, case in enumerate(c for c in grid() if len(c["n"]) == 1):
        spec, n = spec_of(case), case["n"][0]
        sc = symconv_side(case)
        assert B.brute_output_size(spec, n) == (sc["shape"][0] if "shape" in sc else None), case
        if j % 10:
            continue
        assert prove_output_size(spec).verdict, case
        seen += 1
    assert seen >= 40


# --------------------------------------------------------------------------- unit: spec


@pytest.mark.parametrize("cls", [Conv, ConvTranspose, MaxPool, AvgPool])
def test_negative_padding_is_accepted_under_jax(cls: Any) -> None:
    assert cls(kernel=3, stride=1, padding=-1, convention="jax").padding == ((-1, -1),)
    assert cls(kernel=(3, 3), stride=1, padding=((-3, 2), -1),
               convention="jax").padding == ((-3, 2), (-1, -1))


@pytest.mark.parametrize("convention", ["torch", "onnx", "tensorflow", "keras"])
@pytest.mark.parametrize("cls", [Conv, ConvTranspose, MaxPool, AvgPool])
def test_negative_padding_is_refused_elsewhere(cls: Any, convention: str) -> None:
    with pytest.raises(InvalidSpecError, match=r"^padding=-1 must be a non-negative integer "
                       r"\(negative padding is not supported\)$"):
        cls(kernel=3, padding=-1, convention=convention)
    with pytest.raises(InvalidSpecError, match=r"^padding=\(\(-3,2\)\): padding=-3 must be a "
                       r"non-negative integer$"):
        cls(kernel=3, padding=((-3, 2),), convention=convention)


# --------------------------------------------------------------------------- unit: sizes


def test_resolve_crops_and_names_what_jax_does() -> None:
    assert resolve(Conv(kernel=4, padding=((-3, 2),), convention="jax"), 10).output == (6,)
    with pytest.raises(InvalidSpecError, match=r"^padding=\(-4,0\) must not remove more than "
                       r"the input size 3 \(JAX raises: Negative padding"):
        resolve(Conv(kernel=1, padding=((-4, 0),), convention="jax"), 3)
    with pytest.raises(InvalidSpecError, match=r"padded input size 0 .*JAX clamps"):
        resolve(Conv(kernel=1, padding=((-3, 0),), convention="jax"), 3)
    # reduce_window never raises: an empty output
    with pytest.raises(InvalidSpecError, match=r"padded input size -2 .*JAX clamps"):
        resolve(MaxPool(kernel=1, stride=1, padding=((-5, 0),), convention="jax"), 3)
    t = ConvTranspose(kernel=1, stride=2, padding=((-6, 0),), convention="jax")
    with pytest.raises(InvalidSpecError, match=r"zero-stretched input size \(n-1\)s\+1 = 5 "
                       r"\(JAX raises"):
        resolve(t, 3)
    r = resolve(ConvTranspose(kernel=1, stride=1, dilation=3, convention="jax",
                              padding=((2, 3), (2, 1), (-1, 3))), (1, 1, 1))
    assert r.output == (6, 4, 3)  # the survey's smallest case (JAX: (6, 4, 3))


def test_windows_on_padding_only_keep_jax_sizes_and_refuse_maps() -> None:
    pool = MaxPool(kernel=2, stride=1, padding=((0, 3),), convention="jax")
    r = resolve(pool, 10)
    assert r.output == (12,) and r.notes == (
        "window 10 of 12 reads only padding (positions 10..11): JAX max pooling gives -inf "
        "there",)
    x = np.arange(1.0, 11.0).reshape(1, 10)
    with pytest.raises(UnsupportedError, match=r"^padding=\(0,3\) leaves window 10 of 12 on "
                       r"padding only \(positions 10..11\), where JAX max pooling gives -inf, "
                       r"which no selection matrix represents"):
        max_pool_selection_map(pool, x)
    avg = AvgPool(kernel=2, stride=1, padding=((-3, 3),), convention="jax")
    assert resolve(avg, 10).output == (9,) and not resolve(avg, 10).notes  # averages of 0
    assert linear_map(avg, (1, 10)).numeric().toarray()[7:].tolist() == [[0.0] * 10] * 2
    nan = dataclasses.replace(avg, count_include_pad=False)
    assert resolve(nan, 10).output == (9,) and "NaN (0/0)" in resolve(nan, 10).notes[0]
    with pytest.raises(UnsupportedError, match=r"NaN \(0/0\), which no average map"):
        linear_map(nan, (1, 10))
    r2 = resolve(MaxPool(kernel=(2, 1), stride=1, padding=((0, 3), (0, 0)), convention="jax"),
                 (10, 4))
    assert r2.notes[0].startswith("window 10 of 12 on axis 0 reads only padding")
    # a pad larger than the window that leaves every window on the input: accepted and mapped
    x = np.arange(1.0, 8.0).reshape(1, 7)
    pool = MaxPool(kernel=2, stride=3, padding=((0, 2),), convention="jax")
    assert resolve(pool, 7).output == (3,)
    s = max_pool_selection_map(pool.at(1), x)
    assert (s.numeric() @ x.reshape(-1)).tolist() == [2.0, 5.0, 7.0]


def test_padding_only_window_matches_enumeration() -> None:
    for n, k, s, d, pb, pe in itertools.product(range(1, 7), range(1, 4), range(1, 4),
                                                range(1, 5), range(-3, 6), range(-3, 6)):
        o = (n + pb + pe - d * (k - 1) - 1) // s + 1
        if o < 1:
            continue
        empty = [j for j in range(o)
                 if not any(0 <= j * s - pb + t * d < n for t in range(k))]
        assert padding_only_window(n, k, s, d, pb, o) == (empty[0] if empty else None)
        assert B.windows_reading_input(n, k, s, d, pb, o) == (not empty)


# --------------------------------------------------------------------------- unit: inverse


def test_padding_for_output_crops_under_jax() -> None:
    c = padding_for_output(Conv(kernel=4, convention="jax"), 10, 5)
    assert (c.totals, c.symmetric, c.splits) == (range(-2, -1), -1,
                                                 ((-2, 0), (-1, -1), (0, -2)))
    c = padding_for_output(Conv(kernel=4, convention="jax"), 10, 2)
    assert c.total_min == -5 and c.extra_at_end == (-2, -3) and c.extra_at_start == (-3, -2)
    for b, e in c.splits:
        assert resolve(Conv(kernel=4, padding=((b, e),), convention="jax"), 10).output == (2,)
    with pytest.raises(InvalidSpecError, match=r"reachable outputs are 7, 8"):
        padding_for_output(Conv(kernel=4), 10, 2)  # torch: no crop
    # more padding than the window: JAX's size, a window on padding only (-inf there)
    c = padding_for_output(MaxPool(kernel=2, stride=1, convention="jax"), 10, 12)
    assert c.totals == range(3, 4) and c.symmetric is None and (0, 3) in c.splits


def test_ambiguity_and_round_trip_with_crops() -> None:
    pool = MaxPool(kernel=2, stride=3, padding=((0, 2),), convention="jax")
    # 6 gives 3 outputs too, the last on padding only (JAX: -inf there)
    assert ambiguity_set(pool, 7) == ambiguity_set(pool, 6) == range(6, 9)
    conv = Conv(kernel=4, stride=3, padding=((-3, 2),), convention="jax")
    assert ambiguity_set(conv, 5) == range(5, 8)
    for m in range(5, 8):
        assert resolve(conv, m).output == (1,)
    # JAX 0.10.2: conv_general_dilated 10 -> 2; conv_transpose(2, padding=[(6, 3)]) -> 10,
    # the pairs (k_eff-1-pb, k_eff-1-pe+a) of the round trip's transposed conv
    rt = round_trip(conv, 10)
    assert (rt.output, rt.restored, rt.needed_output_padding) == (2, 8, 2)
    assert restoring_output_padding(conv, 10) == 2 and restoring_output_padding(conv, 11) == 0


def test_transposed_sizes_reach_small_targets_with_negative_pairs() -> None:
    t = ConvTranspose(kernel=3, stride=2, padding=((-1, 0),), convention="jax")
    assert transposed_sizes(t, 4).routes[-1].sizes == range(4, 5)
    for target in (1, 2, 3, 5):
        ch = output_padding_for(t, 4, target)
        assert ch.parameter == "padding" and resolve(ch.spec, 4).output == (target,)
    assert output_padding_for(t, 4, 1).value == "((-1, -3),)"


def test_proofs_with_negative_pads() -> None:
    for spec in (Conv(kernel=3, stride=2, dilation=2, padding=((-4, -3),), convention="jax"),
                 MaxPool(kernel=2, stride=3, padding=((0, 2),), convention="jax"),
                 AvgPool(kernel=3, stride=2, padding=((-2, 3),), count_include_pad=False,
                         convention="jax"),
                 ConvTranspose(kernel=3, stride=2, padding=((-4, -3),), convention="jax")):
        assert prove_output_size(spec).verdict, spec
    # every size leaves windows on padding only: JAX's sizes all the same (n + 2)
    pool = MaxPool(kernel=2, stride=1, padding=((0, 3),), convention="jax")
    assert prove_output_size(pool).verdict and resolve(pool, 1).output == (3,)


# --------------------------------------------------------------------------- unit: numeric


def test_numeric_any_padding_matches_jax_values() -> None:
    """Values printed by JAX 0.10.2 / flax 0.12.8 for x = 1..10."""
    x = np.arange(1.0, 11.0).reshape(1, 1, 10)
    inf = float("inf")
    assert numeric.max_pool(x, 2, stride=1, padding=((0, 3),), any_padding=True)[0, 0].tolist() \
        == [2, 3, 4, 5, 6, 7, 8, 9, 10, 10, -inf, -inf]
    got = numeric.avg_pool(x, 2, stride=1, padding=((-3, 3),), count_include_pad=False,
                           any_padding=True)[0, 0]
    assert np.array_equal(got, [4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10, np.nan, np.nan],
                          equal_nan=True)
    assert numeric.conv(x, np.ones((1, 1, 3)), padding=-1, any_padding=True)[0, 0].tolist() \
        == [9, 12, 15, 18, 21, 24]
    with pytest.raises(InvalidSpecError, match="0/0"):  # exact input: no NaN to give
        numeric.avg_pool(x.astype(int), 2, stride=1, padding=((-3, 3),),
                         count_include_pad=False, any_padding=True)
    with pytest.raises(InvalidSpecError, match=r"^padding=-1 must be a non-negative integer$"):
        numeric.conv(x, np.ones((1, 1, 3)), padding=-1)


def test_public_api_accepts_crops() -> None:
    assert symconv.conv_output_size(10, 4, padding=(-3, 2), convention="jax") == 6
    assert symconv.pool_output_size(10, 2, stride=1, padding=(-3, 1), convention="jax") == 7
