"""TensorFlow 2.21's oneDNN kernels (on by default on x86 CPUs) against its reference Eigen
kernels (``TF_ENABLE_ONEDNN_OPTS=0``), which the TensorFlow oracle of the conformance tests
runs (:mod:`tf_jax_oracles`).  Recorded on a CPU with AVX-512 (docs/CONVENTIONS.md, known
framework defects):

* a strided ``tf.nn.conv2d`` (strides ``[1, 3]``, VALID) on a 3x3 input gives 37 and then
  uninitialised memory (23 on one run, 2.5e21 on another) where the convolution is 37, 67:
  the second output row is never written;
* a window larger than the padded input but below it plus twice the stride: Eigen returns
  an empty tensor, oneDNN ``conv2d`` returns an uninitialised tensor of the input's shape and
  ``max_pool2d`` raises ``AbortedError``.

Whether oneDNN shows them depends on the CPU, so the test is tolerant there: each oneDNN
answer must be either Eigen's or the recorded defect (anything else is a new behaviour to
look at).  Eigen's answers are exact and fixed.  Each setting runs in its own child
(TensorFlow reads the variable at import, and may kill the process on degenerate sizes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from symconv import Conv, MaxPool, resolve
from symconv.errors import InvalidSpecError

from conftest import requires

CHILD = r"""
import json
import numpy as np
import tensorflow as tf

def run(f):
    try:
        return f()
    except Exception as e:
        return type(e).__name__

x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
w = np.arange(1, 5, dtype=np.float32).reshape(2, 2, 1, 1)
out = {
    "strided": run(lambda: tf.nn.conv2d(np.tile(x, (2, 1, 1, 1)), w, strides=[1, 3],
                                        padding="VALID").numpy().reshape(2, -1).tolist()),
    "conv_oversized": run(lambda: list(tf.nn.conv2d(x, np.ones((4, 1, 1, 1), np.float32),
                                                    strides=[2, 1], padding="VALID").shape)),
    "pool_oversized": run(lambda: list(tf.nn.max_pool2d(x, ksize=(4, 1), strides=(2, 1),
                                                        padding="VALID").shape)),
}
print("RESULT " + json.dumps(out))
"""

#: Eigen's answers (the convolution's definition; empty tensors).
EIGEN = {"strided": [[37.0, 67.0], [37.0, 67.0]], "conv_oversized": [1, 0, 3, 1],
         "pool_oversized": [1, 0, 3, 1]}
#: The oneDNN defects recorded on an AVX-512 CPU (the strided conv's second output is
#: uninitialised memory: any value but the right one).
ONEDNN_DEFECT = {
    "strided": lambda got: (isinstance(got, list) and len(got) == 2
                            and all(row[0] == 37.0 and row[1] != 67.0 for row in got)),
    "conv_oversized": lambda got: got == [1, 3, 3, 1],
    "pool_oversized": lambda got: got == "AbortedError",
}


def _child(onednn: bool) -> dict[str, object]:
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1" if onednn else "0",
               TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.returncode, proc.stderr[-2000:])
    result: dict[str, object] = json.loads(lines[-1][len("RESULT "):])
    return result


@pytest.fixture(scope="module")
def answers() -> dict[bool, dict[str, object]]:
    requires("tensorflow")
    return {False: _child(False), True: _child(True)}


def test_eigen_kernels_are_the_definition(answers: dict[bool, dict[str, object]]) -> None:
    assert answers[False] == EIGEN


@pytest.mark.parametrize("case", sorted(EIGEN))
def test_onednn_kernels_are_eigen_or_the_recorded_defect(
        answers: dict[bool, dict[str, object]], case: str) -> None:
    got = answers[True][case]
    assert got == EIGEN[case] or ONEDNN_DEFECT[case](got), f"new oneDNN behaviour: {got!r}"


def test_symconv_answers_the_definition() -> None:
    """What symconv says about the same layers: the conv values are the definition, and the
    oversized windows are an empty output, refused with TensorFlow's own behaviour named."""
    r = resolve(Conv(kernel=(2, 2), stride=(1, 3), convention="tf.nn.conv2d"), (3, 3))
    assert r.output == (2, 1)
    for spec in (Conv(kernel=(4, 1), stride=(2, 1), convention="tf.nn.conv2d"),
                 MaxPool(kernel=(4, 1), stride=(2, 1), convention="tf.nn.max_pool2d")):
        with pytest.raises(InvalidSpecError, match="TensorFlow returns an empty tensor"):
            resolve(spec, (3, 3))
