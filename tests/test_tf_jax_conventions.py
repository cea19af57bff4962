"""symconv's ``tensorflow``, ``keras`` and ``jax`` conventions judged by the frameworks
(issue 14): TensorFlow, Keras on both backends, JAX (lax, ``jax.image``) and flax as oracles.

A deterministic sample of cases (:func:`tf_jax_cases.draw_cases`, seed :data:`SEED`) over
every API of :mod:`tf_jax_oracles` -- sizes, kernels, strides, dilations and every padding
spelling each API accepts -- runs in one child process per framework (one module-scoped
fixture for the whole module: framework imports are slow), and symconv resolves the spec a
user writes for each case under the matching convention.  Compared per case: the output size
or the refusal (a framework returning an empty tensor counts as a refusal symconv must make),
the begin pads the framework applied (read from its own output on one-hot inputs), the
values (the framework's matrix against :func:`symconv.core.linear_map`, for a share of the
cases), and that a refusal under one convention does not cite another framework's rule.

Where symconv does not agree today, :data:`KNOWN` lists the disagreement classes, each with
the issue-14 item it belongs to (``new:`` marks what the issue does not list yet), the kinds
of disagreement it covers and a minimal reproduction that is added to the sample.  The list
is strict, like a strict xfail list: a disagreement no class covers fails, a class whose
reproduction agrees fails (remove the class when the rule is fixed), and a class marked
``exact`` fails on any case its predicate selects that agrees.  The same classification
produces ``reports/tf-jax-survey.md`` (``tests/benchmarks/tf_jax_survey.py``) on a larger
sample with another seed.

The frameworks are mandatory under ``CI=true`` (:func:`conftest.requires`).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tf_jax_cases import (
    Observation,
    describe,
    draw_cases,
    observe_all,
    symconv_outcome,
)
from tf_jax_oracles import run_oracle, run_oracles

from conftest import requires

#: The seed of the test sample (the survey uses another) and its size (x 10,000 cases).
SEED = 14
SCALE = 0.3

# --------------------------------------------------------------------------- known classes


@dataclass(frozen=True)
class Known:
    """A class of disagreements symconv has today.

    ``match`` selects observations (it may read the case, the framework's answer and
    symconv's); an observation belongs to the class when ``match`` holds and its kind is one
    of ``kinds``.  ``exact``: every observation ``match`` selects must disagree.  ``repro``:
    a minimal case that must show the class (``None``: a framework defect not reproduced
    here, tolerated but not required).
    """

    name: str
    item: str  # the issue-14 item (its bullet's words), or "new: ..."
    kinds: tuple[str, ...]
    match: Callable[[Observation], bool]
    repro: dict[str, Any] | None
    note: str
    exact: bool = False


def _pairs(ob: Observation) -> bool:
    p = ob.case.get("padding")
    return isinstance(p, list) and all(isinstance(v, list) for v in p)


def _nonzero_pairs(ob: Observation) -> bool:
    return _pairs(ob) and any(v != 0 for pair in ob.case["padding"] for v in pair)


def _negative(ob: Observation) -> bool:
    return _pairs(ob) and any(v < 0 for pair in ob.case["padding"] for v in pair)


def _fw_ok(ob: Observation) -> bool:
    return ob.fw_status == "ok"


def _fw_says(ob: Observation, *texts: str) -> bool:
    err = ob.fw.get("error") or ""
    return any(t in err for t in texts)


def _sc_ok(ob: Observation) -> bool:
    return "error" not in ob.sc


def _any(values: Any, pred: Callable[[int], bool]) -> bool:
    return values is not None and any(pred(v) for v in values)


def _downscales(ob: Observation) -> bool:
    return any(o < n for o, n in zip(ob.case["size"], ob.case["n"], strict=True))


def _tf_3d(ob: Observation) -> bool:
    """A TensorFlow kernel on 3 spatial axes (Eigen's volume patches), also under Keras."""
    return len(ob.case["n"]) == 3 and (ob.api.startswith("tf.nn.") or
                                       ob.observer.startswith("keras-tensorflow"))


_TF_CONV = ("tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution")
_TF_TRANSPOSE = ("tf.nn.conv1d_transpose", "tf.nn.conv2d_transpose", "tf.nn.conv3d_transpose",
                 "tf.nn.conv_transpose")
_TF_MAX = ("tf.nn.max_pool1d", "tf.nn.max_pool2d", "tf.nn.max_pool3d", "tf.nn.max_pool")
_JAX_PAIRS = ("jax.lax.conv_general_dilated", "jax.lax.conv_transpose", "jax.lax.reduce_window",
              "flax.linen.Conv", "flax.linen.ConvTranspose", "flax.linen.max_pool",
              "flax.linen.avg_pool")
_RESIZE = ("tf.image.resize", "jax.image.resize", "keras.Resizing", "keras.UpSampling2D")


def _case(api: str, **kw: Any) -> dict[str, Any]:
    return {"api": api, **kw}


KNOWN: tuple[Known, ...] = (
    Known(
        "stride-with-dilation", "Stride with dilation", ("refusal",),
        lambda ob: ob.api in ("tf.nn.conv1d", "tf.nn.conv2d") and _fw_ok(ob)
        and _any(ob.case["s"], lambda v: v > 1) and _any(ob.case.get("d"), lambda v: v > 1),
        _case("tf.nn.conv2d", n=[9, 9], k=[3, 3], s=[2, 2], d=[2, 2], padding="SAME",
              probe=True),
        "tf.nn.conv1d/conv2d run stride > 1 with dilation > 1; symconv refuses under "
        "tensorflow (right only for tf.nn.convolution and Keras)", exact=True),
    Known(
        "negative-jax-padding", "Negative explicit padding in JAX", ("refusal",),
        lambda ob: ob.api in _JAX_PAIRS and _negative(ob) and _fw_ok(ob),
        _case("jax.lax.conv_general_dilated", n=[10], k=[4], s=[1], padding=[[-3, 2]],
              probe=True),
        "negative pairs crop; lax and flax run them, symconv refuses any negative pad",
        exact=True),
    Known(
        "tf-pool-dilation", "Dilated pooling under tensorflow", ("acceptance",),
        lambda ob: ob.api == "tf.nn.pool" and _fw_says(
            ob, "not implemented for `dilation_rate` > 1",
            "not supported in conjunction with `dilation_rate > 1`"),
        _case("tf.nn.pool", n=[12], k=[3], s=[1], d=[3], padding="SAME",
              flags={"pooling_type": "MAX"}),
        "tf.nn.pool refuses 'SAME' with dilation and stride with dilation; symconv accepts"),
    Known(
        "tf-max-pool-explicit", "Explicit padding in max pooling", ("refusal",),
        lambda ob: ob.api in (*_TF_MAX, "tf.nn.pool") and _nonzero_pairs(ob) and _fw_ok(ob),
        _case("tf.nn.max_pool2d", n=[5, 5], k=[3, 3], s=[2, 2], padding=[[2, 2], [0, 2]],
              probe=True),
        "tf.nn.max_pool1d/2d, max_pool and pool take explicit pads (1-D/2-D, each smaller "
        "than the window; tf.nn.pool also for 'AVG' with a dilation); "
        "symconv refuses numeric pooling padding under tensorflow", exact=True),
    Known(
        "tf-transpose-explicit", "Explicit padding in transposed convs", ("refusal",),
        lambda ob: ob.api in _TF_TRANSPOSE and _pairs(ob) and _fw_ok(ob),
        _case("tf.nn.conv2d_transpose", n=[6, 4], k=[3, 3], s=[3, 3],
              padding=[[0, 2], [0, 2]], out=[18, 11], probe=True),
        "tf.nn.conv2d_transpose/conv_transpose take explicit pads; symconv refuses",
        exact=True),
    Known(
        "tf-explicit-by-rank", "Explicit padding by rank", ("acceptance",),
        lambda ob: ob.api.startswith("tf.nn.") and _pairs(ob) and _sc_ok(ob) and _fw_says(
            ob, "Expected string for argument 'padding'", "it must be of size 4",
            "Explicit padding is not supported with an input tensor of rank"),
        _case("tf.nn.conv1d", n=[10], k=[4], s=[1], padding=[[1, 2]]),
        "explicit pads: TypeError or ValueError in conv1d, convolution, conv3d, "
        "conv1d/3d_transpose, avg pools and 3-D max pools; symconv accepts them for any rank "
        "(any pad in a convolution, all-zero pads in a pool)"),
    Known(
        "nearest-half-pixel", "Nearest resizing", ("values",),
        lambda ob: ob.api in _RESIZE and ob.case.get("method") == "nearest",
        _case("tf.image.resize", n=[8, 8], size=[14, 14], method="nearest", probe=True),
        "tf.image.resize, jax.image.resize and Keras Resizing 'nearest' sample half-pixel "
        "centres (8 -> 14 reads 0,0,1,2,2,3,3,...); symconv uses PyTorch's asymmetric floor"),
    Known(
        "antialias", "Antialiasing", ("values",),
        lambda ob: ob.api in ("jax.image.resize", "tf.image.resize")
        and (ob.case.get("method") or "bilinear") in ("linear", "bilinear", "trilinear")
        and ob.case.get("antialias") is not False
        and (ob.api == "jax.image.resize" or ob.case.get("antialias") is True)
        and _downscales(ob),
        _case("jax.image.resize", n=[9], size=[4], method="linear", probe=True),
        "jax.image.resize antialiases by default when downscaling (tf.image.resize with "
        "antialias=True); symconv has no antialiasing and accepts the layer silently"),
    Known(
        "jax-transpose-strings", "JAX transposed-conv padding strings",
        ("acceptance", "refusal", "size", "pads", "values"),
        lambda ob: ob.api == "jax.lax.conv_transpose"
        and isinstance(ob.case["padding"], str) and ob.case["padding"] not in ("SAME", "VALID"),
        _case("jax.lax.conv_transpose", n=[10], k=[4], s=[1], padding="valid",
              flags={"transpose_kernel": True}),
        "lax.conv_transpose reads only 'SAME'/'VALID' itself; any other string goes to the "
        "forward conv ('valid' crops: 10 -> 7 where 'VALID' gives 13; 'SAME_LOWER' runs at "
        "stride 1), and fails at stride > 1"),
    Known(
        "tf-cpu-transpose-dilation", "Framework defects (TF CPU transposed dilation)",
        ("acceptance",),
        lambda ob: _fw_says(ob, "do not yet support dilation rates larger than 1",
                            "does not yet support dilation rates larger than 1"),
        _case("tf.nn.conv1d_transpose", n=[5], k=[3], s=[1], d=[2], padding="VALID", out=[9]),
        "TF's CPU kernels refuse dilation in transposed convolutions (also Keras on the "
        "TensorFlow backend); a defect to record, not to copy"),
    Known(
        "keras-tf-transpose-even-kernel",
        "Framework defects (Keras TF backend, even kernel, padding='same', output_padding)",
        ("acceptance",),
        lambda ob: ob.observer == "keras-tensorflow:call"
        and _fw_says(ob, "Size of out_backprop doesn't match computed"),
        _case("keras.Conv2DTranspose", n=[4, 4], k=[2, 2], s=[2, 2], padding="same",
              opad=[0, 0]),
        "Keras on TensorFlow fails Conv*Transpose(padding='same', output_padding=...) with an "
        "even kernel; compute_output_shape and the JAX backend agree with symconv"),
    Known(
        "keras-cos-padding-case", "Framework defects (compute_output_shape vs call)",
        ("acceptance",),
        lambda ob: ob.observer.endswith(":compute_output_shape")
        and _fw_says(ob, "Argument `padding` must be either 'valid' or 'same'"),
        _case("keras.MaxPooling1D", n=[7], k=[2], padding="SAME"),
        "Keras pooling compute_output_shape refuses upper-case padding names that the call "
        "accepts; symconv models the call"),
    # ---- not in issue 14 yet
    Known(
        "tf-padding-name-case", "new: TensorFlow padding names are upper-case only",
        ("acceptance",),
        lambda ob: ob.api.startswith("tf.") and isinstance(ob.case.get("padding"), str)
        and ob.case["padding"] != ob.case["padding"].upper()
        and _fw_says(ob, "is not in the list of allowed values",
                     "must be one of 'SAME' or 'VALID'") and _sc_ok(ob),
        _case("tf.nn.conv2d", n=[5, 5], k=[3, 3], s=[1, 1], padding="same"),
        "tf.nn ops take 'SAME'/'VALID' exactly ('same' is an InvalidArgumentError); symconv "
        "reads names case-insensitively", exact=True),
    Known(
        "keras-numeric-padding", "new: Keras layers take padding names only",
        ("acceptance",),
        lambda ob: ob.api.startswith("keras.") and _pairs(ob) and _sc_ok(ob)
        and _fw_says(ob, "`padding` must be either"),
        _case("keras.Conv1D", n=[3], k=[1], s=[1], padding=[[0, 0]]),
        "Keras Conv*D refuse a padding list, even all zeros; symconv accepts numeric padding "
        "0 under keras (and uses it as its default)", exact=True),
    Known(
        "tf-pool-stride-above-window", "new: tf.nn.pool refuses a stride above the window",
        ("acceptance",),
        lambda ob: ob.api == "tf.nn.pool" and _fw_says(ob, "`strides` > `window_shape` not "
                                                        "supported") and _sc_ok(ob),
        _case("tf.nn.pool", n=[6], k=[1], s=[2], padding="VALID",
              flags={"pooling_type": "AVG"}),
        "tf.nn.pool raises for any stride larger than the window on an axis ('inconsistency "
        "between CPU and GPU implementations'); tf.nn.max_pool/avg_pool accept it, so does "
        "symconv", exact=True),
    Known(
        "tf-conv3d-dilation-cpu", "new: Framework defect (TF CPU Conv3D dilation)",
        ("acceptance",),
        lambda ob: _fw_says(ob, "only supports dilated rates of 1") and _sc_ok(ob),
        _case("tf.nn.conv3d", n=[5, 5, 5], k=[2, 2, 2], s=[1, 1, 1], d=[2, 2, 2],
              padding="VALID"),
        "TF's CPU Conv3D refuses any dilation (also tf.nn.convolution on 3-D inputs)",
        exact=True),
    Known(
        "tf-3d-same-negative-total", "new: TensorFlow 3-D kernels centre SAME windows",
        ("pads", "values"),
        lambda ob: _tf_3d(ob) and isinstance(ob.case.get("padding"), str)
        and ob.case["padding"].upper() == "SAME",
        _case("tf.nn.conv3d", n=[6, 1, 1], k=[1, 1, 1], s=[3, 1, 1], padding="SAME",
              probe=True),
        "3-D TF kernels (Conv3D, MaxPool3D, AvgPool3D; Keras 3-D layers on TF) do not clamp "
        "a negative SAME total: windows shift by trunc(total/2) (n=6, k=1, s=3 reads 1 and "
        "4, not 0 and 3); the 1-D/2-D kernels clamp at 0 as symconv does"),
    Known(
        "pool-stride-default", "new: pooling stride defaults are per API",
        ("size", "pads", "values"),
        lambda ob: ob.api in ("tf.nn.pool", "flax.linen.max_pool", "flax.linen.avg_pool")
        and ob.case.get("s") is None,
        _case("flax.linen.max_pool", n=[7], k=[3], padding="VALID", probe=True),
        "tf.nn.pool and flax max_pool/avg_pool default strides to 1; symconv's MaxPool/AvgPool "
        "default to the kernel under every convention (right for Keras and PyTorch)"),
    Known(
        "flax-default-padding", "new: flax Conv/ConvTranspose default padding is 'SAME'",
        ("size", "pads", "values", "refusal"),
        lambda ob: ob.api in ("flax.linen.Conv", "flax.linen.ConvTranspose")
        and ob.case.get("padding") is None,
        _case("flax.linen.Conv", n=[8], k=[3], probe=True),
        "flax.linen.Conv/ConvTranspose default padding='SAME'; symconv's default is 0"),
    Known(
        "flax-padding-names", "new: flax padding names 'CIRCULAR', 'CAUSAL'", ("refusal",),
        lambda ob: ob.api in ("flax.linen.Conv", "flax.linen.ConvTranspose")
        and ob.case.get("padding") in ("CIRCULAR", "CAUSAL") and _fw_ok(ob),
        _case("flax.linen.Conv", n=[9], k=[3], s=[2], padding="CIRCULAR"),
        "flax takes 'CIRCULAR' (wrap) and 'CAUSAL'; symconv refuses them under jax (it has "
        "causal under keras and circular fill under torch)", exact=True),
    Known(
        "jax-consistent-padding", "new: lax.conv_transpose(use_consistent_padding=True)",
        ("acceptance", "size", "pads", "values"),
        lambda ob: ob.api == "jax.lax.conv_transpose"
        and (ob.case.get("flags") or {}).get("use_consistent_padding") and _pairs(ob),
        _case("jax.lax.conv_transpose", n=[8], k=[2], s=[3], padding=[[0, 3]],
              flags={"use_consistent_padding": True}),
        "with use_consistent_padding=True the pairs are the forward conv's padding "
        "(PyTorch's reading); symconv reads them as lax's default does"),
    Known(
        "unmodelled-resize-methods", "new: resize methods symconv does not model",
        ("refusal",),
        lambda ob: ob.api in (*_RESIZE, "keras.Resizing") and _fw_ok(ob)
        and ob.case.get("method") in ("bicubic", "cubic", "area", "lanczos3"),
        _case("tf.image.resize", n=[5, 6], size=[4, 5], method="area"),
        "bicubic/cubic are refused with the reason (symconv models PyTorch and ONNX cubic); "
        "'area' and 'lanczos3' only as unknown mode names", exact=True),
    Known(
        "max-pool-map-padding", "new: symconv's max-pool map refuses pads it resolves",
        ("values",),
        lambda ob: "symconv's map" in ob.detail,
        _case("flax.linen.max_pool", n=[10], k=[2], s=[1], padding=[[0, 3]], probe=True),
        "under jax, resolve accepts a pad >= the window but max_pool_selection_map refuses "
        "it ('padding=3 must be less than kernel=2')"),
    Known(
        "tf-max-pool-sigfpe", "Framework defects (tf.nn.max_pool2d SIGFPE)", ("crash",),
        lambda ob: ob.fw_status == "crashed", None,
        "issue 14 reports SIGFPE for tf.nn.max_pool2d on (1, 35, 3, 1), ksize (5, 4), "
        "strides (3, 1), VALID; not reproduced with TF 2.21.0 here (it returns an empty "
        "tensor), tolerated if a child dies"),
)


def classify(ob: Observation) -> Known | None:
    """The first class covering a disagreement (``None``: a new disagreement)."""
    for k in KNOWN:
        if ob.kind in k.kinds and k.match(ob):
            return k
    return None


def check(observations: list[Observation]) -> list[str]:
    """Strictness: every disagreement is covered; ``exact`` classes always disagree."""
    problems = []
    for ob in observations:
        if ob.kind is not None and classify(ob) is None:
            problems.append(f"new disagreement ({ob.kind}) in {ob.observer}: "
                            f"{describe(ob.case)}\n    framework: {ob.fw_text()}\n"
                            f"    symconv: {ob.sc_text()}" + (f"\n    {ob.detail}"
                                                             if ob.detail else ""))
        for k in KNOWN:
            if k.exact and ob.kind is None and k.match(ob):
                problems.append(f"{k.name}: no longer disagrees in {ob.observer}: "
                                f"{describe(ob.case)} (framework {ob.fw_text()}, symconv "
                                f"{ob.sc_text()})")
    return problems


# --------------------------------------------------------------------------- fixtures


def repro_cases() -> list[dict[str, Any]]:
    """The reproduction of every known class, and the issue's SIGFPE case, with ids."""
    cases = [dict(k.repro, id=f"repro-{k.name}") for k in KNOWN if k.repro is not None]
    cases.append({"id": "repro-sigfpe", "api": "tf.nn.max_pool2d", "n": [35, 3], "k": [5, 4],
                  "s": [3, 1], "padding": "VALID"})
    return cases


@pytest.fixture(scope="module")
def observations() -> list[Observation]:
    """The sample and the reproductions, each framework in one child process."""
    for module in ("tensorflow", "keras", "jax", "flax"):
        requires(module)
    cases = draw_cases(SEED, SCALE) + repro_cases()
    results, _log = run_oracles(cases)
    return observe_all(cases, results)


# --------------------------------------------------------------------------- tests


FAMILIES = ("tf.nn.conv", "tf.nn.pool", "tf.image", "keras.conv", "keras.pooling",
            "keras.resampling", "jax.lax", "jax.image", "flax.linen")


def family_of(api: str) -> str:
    """The test family of an API (one test per family keeps a failure readable)."""
    if api.startswith("tf.nn."):
        return "tf.nn.pool" if "pool" in api else "tf.nn.conv"
    if api.startswith("keras."):
        name = api.split(".", 1)[1]
        return ("keras.conv" if name.startswith("Conv") else
                "keras.pooling" if "Pooling" in name else "keras.resampling")
    return api.rsplit(".", 1)[0]  # tf.image, jax.lax, jax.image, flax.linen


@pytest.mark.parametrize("family", FAMILIES)
def test_frameworks_agree_except_known(observations: list[Observation], family: str) -> None:
    """Every disagreement of the family's APIs is a known class; exact classes hold."""
    assert {family_of(ob.api) for ob in observations} == set(FAMILIES)
    mine = [ob for ob in observations if family_of(ob.api) == family]
    assert mine, f"no case of {family}"
    problems = check(mine)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])


def test_every_known_class_is_reproduced(observations: list[Observation]) -> None:
    """A class whose reproduction agrees is fixed: remove it from KNOWN (strict)."""
    by_id = collections.defaultdict(list)
    for ob in observations:
        by_id[ob.case["id"]].append(ob)
    gone = []
    for k in KNOWN:
        if k.repro is None:
            continue
        obs = by_id[f"repro-{k.name}"]
        if not any(ob.kind in k.kinds and classify(ob) is k for ob in obs):
            seen = "; ".join(f"{ob.observer}: {ob.kind or 'agrees'} ({ob.fw_text()} / "
                             f"{ob.sc_text()})" for ob in obs)
            gone.append(f"{k.name}: {describe(k.repro)} -> {seen}")
    assert not gone, "known disagreements that disappeared:\n" + "\n".join(gone)


def test_sample_checks_sizes_pads_and_values(observations: list[Observation]) -> None:
    """The sample exercises what it claims: per kind of check, enough agreeing cases."""
    checked = collections.Counter(c for ob in observations for c in ob.checked)
    statuses = collections.Counter(ob.fw_status for ob in observations)
    assert checked["size"] >= 1000 and checked["pads"] >= 300 and checked["values"] >= 300, (
        checked)
    assert statuses["empty"] >= 20 and statuses["error"] >= 200, statuses
    apis = {ob.api for ob in observations}
    observers = {ob.observer for ob in observations}
    assert len(apis) >= 40 and len(observers) == 7, (sorted(apis), sorted(observers))


def test_issue_sigfpe_case_is_recorded(observations: list[Observation]) -> None:
    """The issue's SIGFPE case: an empty tensor here (TF 2.21.0); a crash would be recorded
    per case, not lose the batch."""
    (ob,) = [ob for ob in observations if ob.case["id"] == "repro-sigfpe"]
    assert ob.fw_status in ("empty", "crashed"), ob.fw_text()
    assert "error" in ob.sc  # symconv refuses the empty output either way


# --------------------------------------------------------------------------- the runner


def test_a_crashing_case_costs_one_restart_not_the_batch() -> None:
    """The oracle runner's crash handling, with the self-test child (no framework)."""
    cases = [{"id": "a", "api": "selftest.ok", "n": [3]},
             {"id": "b", "api": "selftest.sigfpe", "n": [3]},
             {"id": "c", "api": "selftest.ok", "n": [4]},
             {"id": "d", "api": "selftest.exit", "n": [4]},
             {"id": "e", "api": "selftest.ok", "n": [5]}]
    log: list[str] = []
    results = run_oracle("selftest", cases, log)
    assert results["a"]["call"] == {"shape": [3]} and results["e"]["call"] == {"shape": [5]}
    assert results["b"]["crashed"] == "SIGFPE"
    assert re.match(r"exit status 3", results["d"]["crashed"])
    assert len(log) == 2


def test_symconv_side_imports_no_framework() -> None:
    """Building the cases and symconv's answers imports no framework."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; sys.path.insert(0, 'tests'); import tf_jax_cases as c, "
            "tf_jax_oracles; [c.symconv_outcome(x) for x in c.draw_cases(1, 0.01)]; "
            "bad = [m for m in ('tensorflow', 'keras', 'jax', 'flax') if m in sys.modules]; "
            "assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert symconv_outcome({"api": "tf.nn.conv2d", "n": [9, 9], "k": [3, 3], "s": [2, 2],
                            "d": [1, 1], "padding": "SAME"})["shape"] == [5, 5]
