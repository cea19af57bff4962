"""The robustness contract under fuzzing (issue 15): a result, or one line and exit 2, within
20 s and 4 GiB, for any command line and any network file.

* :func:`test_cli_fuzz`: Hypothesis draws command lines (``tests/fuzzing.py``: options read
  from the click tree, values from valid and hostile pools) and runs them in this process
  through click's CliRunner: ``SYMCONV_FUZZ_EXAMPLES`` of them (default 400, about a minute
  and a half here; a fixed count rather than a clock, so that a failure replays and shrinks
  the same way), with a new seed every run, printed on failure with the shrunk invocation.
* :func:`test_hostile_files`: every fixed attack and hostile ONNX model through ``review``,
  plain, ``--symbolic --json`` and at ``--input``.
* :func:`test_subprocess_sample`: a few drawn invocations as real ``python -m symconv``
  children under the 4 GiB address-space cap.
* :func:`test_issue_reproductions`: each reproduction the issue lists, as a child.

The bar of 1,000 fresh invocations is measured by ``tests/benchmarks/fuzz_cli.py``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import fuzzing
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import in_ci, requires

EXAMPLES = int(os.environ.get("SYMCONV_FUZZ_EXAMPLES", "400"))
SEED = random.SystemRandom().randrange(2**32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    if in_ci():
        requires("onnx")  # the hostile ONNX models need it: no silent gap in CI
    root = tmp_path_factory.mktemp("fuzz")
    files = fuzzing.hostile_files(root / "files", fuzzing.RandomDraw(SEED))
    work = root / "out"
    work.mkdir()
    return work, files


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
          phases=[Phase.generate, Phase.shrink], print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def _fuzz_one(corpus: tuple[Path, list[Path]], data: st.DataObject) -> None:
    work, files = corpus
    args = fuzzing.invocation(fuzzing.HypothesisDraw(data), work, files)
    verdict = fuzzing.run_inprocess(args)
    assert not verdict.problem, verdict.describe()


def test_cli_fuzz(corpus: tuple[Path, list[Path]]) -> None:
    _fuzz_one(corpus)


def _fixed_names() -> list[str]:
    names = sorted(fuzzing._FIXED)
    return [*names, "conv_kernel_shape.onnx", "conv_strides.onnx", "conv_pads.onnx",
            "conv_dilations.onnx", "pool_kernel.onnx", "constant_of_shape.onnx",
            "resize_scales.onnx", "initializer_no_data.onnx", "external_data.onnx",
            "symbolic_huge.onnx", "truncated.onnx"]


@pytest.mark.parametrize("name", _fixed_names())
@pytest.mark.parametrize("extra", [[], ["--symbolic", "--json"], ["--input", "64"]],
                         ids=["plain", "symbolic-json", "input"])
def test_hostile_files(corpus: tuple[Path, list[Path]], name: str, extra: list[str]) -> None:
    _, files = corpus
    path = next((p for p in files if p.name == name), None)
    if path is None:
        requires("onnx")
        pytest.fail(f"{name} was not generated")
    verdict = fuzzing.run_inprocess(["review", str(path), *extra])
    assert not verdict.problem, verdict.describe()


def test_subprocess_sample(corpus: tuple[Path, list[Path]]) -> None:
    work, files = corpus
    d = fuzzing.RandomDraw(SEED + 1)
    bad = []
    for _ in range(10):
        verdict = fuzzing.run_subprocess(fuzzing.invocation(d, work, files), cwd=work)
        if verdict.problem:
            bad.append(verdict.describe())
    assert not bad, f"seed {SEED + 1}:\n" + "\n\n".join(bad)


#: The reproductions of issue 15 (files from the fixed corpus are named by file name).
REPRODUCTIONS = [
    ["shape", "conv", "--in", "9" * 5000, "--kernel", "3"],
    ["coverage", "--layer", "pixel-unshuffle r=2", "--in", "1" + "0" * 30],
    ["matrix", "conv", "--in", "8", "--kernel", "3", "--channels", "9" * 400],
    ["matrix", "pixel-shuffle", "--in", "100000x100000", "--factor", "1", "--max-nnz", "10"],
    ["matrix", "conv", "--in", "2300x2300", "--kernel", "3"],
    ["matrix", "conv", "--in", "2300x2300", "--kernel", "3", "--max-nnz", "10000000000"],
    ["matrix", "conv", "--in", "470x470", "--kernel", "3", "--json"],
    ["coverage", "--layer", "conv-transpose k=3 s=1000000000", "--in", "4"],
    ["coverage", "--layer", "conv k=3 d=1000000000", "--in", "4"],
    ["coverage", "--layer", "upsample-linear f=100000", "--in", "4"],
    ["coverage", "--layer", "conv k=3", "--in", "512x512", "--graphml", "{work}/g.graphml"],
    ["coverage", "--layer", "conv k=3", "--in", "2048x2048", "--dot", "{work}/g.dot"],
    ["shape", "conv", "--kernel", "3", "--stride", "1000000000", "--prove"],
    ["latex", "conv", "--in", "4", "--kernel", "3", "--seed", "-1"],
    ["shape", "conv", "--in", "4", "--kernel", "x" * 10_000],
    ["review", "{files}/near.yaml"],
    ["review", "{files}/near.yaml", "--input", "64x64"],
    ["review", "{files}/stride.yaml", "--input", "64x64"],
    ["review", "{files}/laughs.yaml"],
    ["review", "{files}/circular.yaml"],
    ["review", "{files}/deep.json"],
    ["review", "{files}/pools.yaml", "--symbolic"],
    ["review", "{files}/constant_of_shape.onnx"],
    ["review", "{files}/conv_kernel_shape.onnx"],
    ["review", "{files}/initializer_no_data.onnx"],
    ["review", "{files}/external_data.onnx"],
    ["review", "{files}/resize_scales.onnx", "--input", "8x8"],
]


@pytest.mark.slow
@pytest.mark.parametrize("args", REPRODUCTIONS,
                         ids=[" ".join(a)[:60] for a in REPRODUCTIONS])
def test_issue_reproductions(corpus: tuple[Path, list[Path]], args: list[str]) -> None:
    work, files = corpus
    folder = files[0].parent
    if any(".onnx" in a for a in args):
        requires("onnx")
    args = [a.replace("{work}", str(work)).replace("{files}", str(folder)) for a in args]
    verdict = fuzzing.run_subprocess(args, cwd=work)
    assert not verdict.problem, verdict.describe()
