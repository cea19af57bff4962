"""``symconv review`` on real architectures (the zoo of ``tests/zoo.py``: torchvision and
segmentation-models-pytorch models, exported to ONNX on the fly), judged by onnxruntime and
PyTorch eager.  Three tests per model:

* (a) ``test_review_imports_the_model``: the exporter writes the model and the review reads it
  (no one-line refusal, no crash);
* (b) ``test_review_analyses_every_output``: the review left nothing out (``Review.not_analysed``
  is empty: no reshape that moves spatial positions, no branch it could not follow), and every
  output of the model is one of its tensors, or a head it notes has one shape for every input
  size (a classifier's logits after a global pooling; (c) checks that claim);
* (c) ``test_review_agrees_with_the_runtimes``: at every size of :data:`SIZES` the review's
  verdict (its exact valid set, and its evaluation at that size) equals onnxruntime's and
  PyTorch eager's (runs or fails), every output size it claims (its value at the size and
  its formula, channels included) equals the runtime's shape, and an output it says does not
  depend on the input size has one shape at every size.  A size the review refuses on
  purpose because the runtimes broadcast a skip that is 1 only there (SC006,
  :data:`zoo.DELIBERATE_REFUSALS`) is confirmed when the runtime runs it.

A model that fails a test today is marked ``xfail(strict=True)`` with the exact current
message (:data:`IMPORT_FAILS`, :data:`NOT_ANALYSED`, :data:`DISAGREES`): the suite stays green,
and the mark must be removed when the capability lands (issue 12): an unexpected pass fails.
``python tests/benchmarks/zoo_survey.py`` writes the same comparison over 70 sizes to
``reports/zoo-survey.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zoo

from conftest import requires

pytestmark = [pytest.mark.slow, pytest.mark.torch, pytest.mark.onnx]

#: Sizes tried: degenerate ones (1, 2: a size-1 skip that the runtimes broadcast; 3: SqueezeNet
#: kills onnxruntime with SIGFPE), the thresholds of the models' valid sets (17 for SqueezeNet,
#: 29..33 around a multiple of 32), and non-square ones.
SIZES = [(1, 1), (2, 2), (3, 3), (16, 16), (17, 17), (28, 28), (29, 29), (31, 31), (32, 32), (33, 33),
         (63, 63), (64, 64), (32, 17), (17, 32), (31, 64), (64, 33)]

ISSUE = "issue 12"
#: Models the legacy ONNX exporter cannot export with dynamic H and W (non-global adaptive
#: pooling): they reach the review through the PyTorch front end of issue 13.
EXPORT_ISSUE = "the PyTorch front end of issue 13 reviews the module without an export"

# The models failing each check today, with the first message at SIZES:
#   IMPORT_FAILS (a): the exporter's or the review's one-line refusal ((b) and (c) fail with it);
#   NOT_ANALYSED (b), DISAGREES (c): models that pass (a).
# `python tests/benchmarks/zoo_survey.py --marks` prints the three tables as they are now:
# paste its output between the markers when a capability lands (an XPASS fails the suite).
# --- begin generated marks
IMPORT_FAILS: dict[str, str] = {
    'vgg11': 'torch.onnx.export refuses: SymbolicValueError: Unsupported: ONNX export of operator adaptive_avg_pool2d, input size not accessible.',
    'smp_pspnet': 'torch.onnx.export refuses: SymbolicValueError: Unsupported: ONNX export of operator adaptive_avg_pool2d, input size not accessible.',
}
NOT_ANALYSED: dict[str, str] = {
}
DISAGREES: dict[str, str] = {
}
# --- end generated marks


def _marked(name: str, failing: dict[str, str]) -> Any:
    message = IMPORT_FAILS.get(name) or failing.get(name)
    if message is None:
        return name
    issue = EXPORT_ISSUE if message.startswith("torch.onnx.export refuses") else ISSUE
    return pytest.param(name, marks=pytest.mark.xfail(
        strict=True, raises=AssertionError, reason=f"{message} — {issue}"))


def params(failing: dict[str, str]) -> list[Any]:
    return [_marked(name, failing) for name in zoo.MODELS]


@dataclass
class Case:
    """One model: exported, reviewed, and run at :data:`SIZES` (each computed once)."""

    export: Any
    reviewed: Any = None
    _runs: dict[str, Any] = field(default_factory=dict)

    def runtimes(self) -> dict[str, Any]:
        if not self._runs:
            self._runs["onnxruntime"] = zoo.ort_shapes(self.export.path, SIZES)
            self._runs["eager"] = zoo.eager_shapes(self.export.name, SIZES)
        return self._runs


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Case]:
    """``case(name)``: the model exported and reviewed (cached for the module)."""
    for module in ("torch", "onnx", "onnxruntime"):
        requires(module)  # skip locally without them, fail when CI=true
    try:
        zoo.import_torchvision()  # with its placeholder operators (see tests/zoo.py)
    except ImportError:
        pass  # requires() below skips, or fails under CI=true
    for module in ("torchvision", "segmentation_models_pytorch", "timm"):
        requires(module)
    folder = tmp_path_factory.mktemp("zoo")
    cache: dict[str, Case] = {}

    def get(name: str) -> Case:
        if name not in cache:
            exp = zoo.export(name, Path(folder) / f"{name}.onnx")
            cache[name] = Case(exp, zoo.review_model(exp.path) if exp.ok else None)
        return cache[name]

    return get


def imported(c: Case) -> Any:
    """(a): the review of the model, or an AssertionError with the exact message."""
    assert c.export.ok, f"torch.onnx.export refuses: {c.export.error}"
    rev = c.reviewed
    assert rev.crash is None, f"the review crashed (not a one-line error): {rev.crash}"
    assert rev.ok, rev.error
    return rev


@pytest.mark.parametrize("name", params({}))
def test_review_imports_the_model(case: Callable[[str], Case], name: str) -> None:
    rev = imported(case(name))
    assert rev.network.inputs[0].size == ("H", "W")  # the dynamic axes became the symbols


@pytest.mark.parametrize("name", params(NOT_ANALYSED))
def test_review_analyses_every_output(case: Callable[[str], Case], name: str) -> None:
    c = case(name)
    rev = imported(c)
    missing = zoo.unanalysed_outputs(rev, c.export.outputs)
    assert not missing, "\n".join(missing)
    for out in c.export.outputs:  # a tensor with both axes, or a head of one shape ((c))
        row = rev.tensor(out)
        assert row is None or len(row.formula) == 2, out


@pytest.mark.parametrize("name", params(DISAGREES))
def test_review_agrees_with_the_runtimes(case: Callable[[str], Case], name: str) -> None:
    c = case(name)
    rev = imported(c)
    claim = zoo.claims(rev, c.export.outputs, SIZES)
    runs = c.runtimes()
    found = zoo.disagreements(claim, runs, c.export.outputs,
                              zoo.constant_outputs(rev, c.export.outputs))
    assert not found, f"{len(found)} disagreements:\n" + "\n".join(found)
    # every output the review analysed was compared at some size where everything ran
    compared = [s for s in SIZES if claim[s].valid and all(r[s].ok for r in runs.values())]
    assert compared, "no size tried is valid"


def test_readme_walkthrough_is_what_the_review_prints(tmp_path: Path) -> None:
    """README's "Reviewing a real network": its export snippet, run as written, and the
    review's output at the ``console zoo`` block (with its ``...`` elisions) are what the
    README shows; the valid set it states is onnxruntime's."""
    import re

    from docs_examples import ROOT, ZOO_FENCE, check, examples

    for module in ("torch", "onnx", "onnxruntime"):
        requires(module)
    try:
        zoo.import_torchvision()
    except ImportError:
        pass
    requires("segmentation_models_pytorch")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reviewing a real network", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    import os
    import warnings

    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(match.group(1), "README.md", "exec"), {})
    finally:
        os.chdir(here)
    found = examples(ROOT / "README.md", ZOO_FENCE)
    assert found, "README has no console zoo block"
    for ex in found:
        problem = check(ex, tmp_path)
        assert problem is None, problem
    # the valid set the README states is onnxruntime's, at both ends of the classes
    got = zoo.ort_shapes(tmp_path / "deeplabv3plus.onnx", [(16, 16), (13, 13), (17, 17),
                                                          (12, 12), (29, 29), (20, 20)])
    ok = {size: r.error is None for size, r in got.items()}
    assert ok[(16, 16)] and ok[(13, 13)] and ok[(29, 29)], got
    assert not ok[(17, 17)] and not ok[(12, 12)] and not ok[(20, 20)], got
