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
    defect: bool = True  # a framework defect or inconsistency; False: a gap in symconv


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
_JAX_CONV = ("jax.lax.conv_general_dilated", "jax.lax.conv_transpose", "flax.linen.Conv",
             "flax.linen.ConvTranspose")


def _crop_and_pad(padding: Any) -> bool:
    """lax pairs (as the convolution gets them) with a negative and a positive pad."""
    values = [v for pair in padding for v in pair] if isinstance(padding, tuple) else []
    return any(v < 0 for v in values) and any(v > 0 for v in values)


_RESIZE = ("tf.image.resize", "jax.image.resize", "keras.Resizing", "keras.UpSampling2D")


def _case(api: str, **kw: Any) -> dict[str, Any]:
    return {"api": api, **kw}


KNOWN: tuple[Known, ...] = (
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
        "tf-pool-max-zero-padding",
        "Framework defects (tf.nn.pool MAX with a dilation pads with zeros)", ("refusal",),
        lambda ob: ob.api == "tf.nn.pool" and ob.case["flags"]["pooling_type"] == "MAX"
        and _pairs(ob) and _any(ob.case.get("d"), lambda v: v > 1) and _fw_ok(ob),
        _case("tf.nn.pool", n=[5, 5], k=[2, 2], s=[1, 1], d=[2, 2], padding=[[3, 3], [0, 1]],
              flags={"pooling_type": "MAX"}),
        "with a dilation tf.nn.pool runs through space_to_batch, which pads with zeros, not "
        "-inf (a window in the padding gives 0; a negative input loses to the padding); "
        "symconv refuses to model that as max pooling", exact=True),
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
        "tf-conv3d-dilation-cpu", "new: Framework defect (TF CPU Conv3D dilation)",
        ("acceptance",),
        lambda ob: _fw_says(ob, "only supports dilated rates of 1") and _sc_ok(ob),
        _case("tf.nn.conv3d", n=[5, 5, 5], k=[2, 2, 2], s=[1, 1, 1], d=[2, 2, 2],
              padding="VALID"),
        "TF's CPU Conv3D refuses any dilation (also tf.nn.convolution on 3-D inputs)",
        exact=True),
    Known(
        "tf-3d-same-negative-total",
        "new: Framework defect (TF 3-D kernels do not clamp a negative SAME total)",
        ("pads", "values"),
        lambda ob: _tf_3d(ob) and isinstance(ob.case.get("padding"), str)
        and ob.case["padding"].upper() == "SAME",
        _case("tf.nn.conv3d", n=[6, 1, 1], k=[1, 1, 1], s=[3, 1, 1], padding="SAME",
              probe=True),
        "3-D TF kernels (Conv3D, MaxPool3D, AvgPool3D; Keras 3-D layers on TF) do not clamp "
        "a negative SAME total: windows shift by trunc(total/2) (n=6, k=1, s=3 reads 1 and "
        "4, not 0 and 3; n=9, k=1, s=5, total -3: begin -1); TensorFlow documents "
        "max(total, 0), its 1-D/2-D kernels and Keras on JAX clamp as symconv does: a defect "
        "recorded, not copied"),
    Known(
        "xla-cpu-crop-and-pad-conv",
        "new: Framework defect (XLA CPU convolution with a crop and a pad, 3x3 kernels)",
        ("pads", "values"),
        lambda ob: ob.api in _JAX_CONV and len(ob.case["n"]) >= 2 and _sc_ok(ob)
        and _crop_and_pad(ob.sc["spec"].padding),
        _case("jax.lax.conv_general_dilated", n=[3, 5], k=[3, 3], s=[1, 1],
              padding=[[0, 0], [-1, 1]], probe=True),
        "JAX 0.10.2 on CPU: a 2-D convolution with a 3x3 kernel whose padding crops at the "
        "start of the minor axis and pads at its end (lax.pad pairs (-1, 1), (-2, 1), "
        "(-2, 2), ...) reads the first samples of the next row where the padding's zeros "
        "belong (n=3x5: output (0, 3) sums input (1, 0)); lax.pad followed by a VALID "
        "convolution, and the same op at other kernel sizes, give the zeros symconv gives; "
        "also through lax.conv_transpose and flax, whose pairs reach the convolution"),
    Known(
        "keras-backend-bicubic", "new: Keras Resizing 'bicubic' differs by backend",
        ("values",),
        lambda ob: ob.observer == "keras-jax:call" and ob.case.get("method") == "bicubic",
        _case("keras.Resizing", n=[5, 5], size=[6, 6], method="bicubic", probe=True),
        "Keras on TensorFlow resizes through tf.image.resize, whose Keys a=-1/2 weights come "
        "from a 1024-entry table; on JAX through jax.image.resize, exact Keys weights (about "
        "3e-4 apart); the keras convention models the TensorFlow backend, convention jax "
        "(jax.image.resize 'cubic') the other"),
    Known(
        "keras-backend-nearest", "new: Keras Resizing 'nearest' differs by backend",
        ("values",),
        lambda ob: ob.observer == "keras-jax:call" and ob.api == "keras.Resizing"
        and ob.case.get("method") == "nearest",
        _case("keras.Resizing", n=[1, 10], size=[1, 25], method="nearest", probe=True),
        "Keras on TensorFlow resizes through tf.image.resize, source floor((j + 0.5f) * "
        "((float)n / (float)o)); on JAX through jax.image.resize, floor((j + 0.5) * (n * "
        "(1/o))) in float32: 10 -> 25 reads source 0 for output 2 on JAX, 1 on TensorFlow "
        "(the exact rule); 14 -> 23 reads 6 for output 11 on TensorFlow, 7 on JAX (the exact "
        "rule); the keras convention models the TensorFlow backend, convention jax the "
        "other; found by the conformance kit (test_testing_tf_jax.py::test_keras_resize)"),
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
