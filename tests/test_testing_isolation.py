"""The kit's child-process runner, :func:`symconv.testing.isolated`: results, rejections,
crashes and hangs of an implementation run in a forked worker, with its setup run once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import symconv
from symconv.testing import (
    ImplementationCrashed,
    LayerMismatch,
    assert_layer_matches,
    check_implementation,
    expected,
    isolated,
    layers,
)


def exact_pool(layer: Any, x: Any, w: Any) -> Any:
    return expected(layer, x, w).output


def dies_on_short_inputs(layer: Any, x: Any, w: Any) -> Any:
    """A kernel that raises SIGFPE where a window exceeds the input (TensorFlow's oneDNN
    max pooling does it one to two strides out)."""
    if min(x.shape[2:]) < max(layer.kernel):
        os.kill(os.getpid(), signal.SIGFPE)
    return expected(layer, x, w).output


def test_results_and_rejections_come_back() -> None:
    pool = symconv.MaxPool(kernel=2, convention="onnx")
    with isolated(exact_pool) as fn:
        assert fn.__name__ == "exact_pool"
        x = np.arange(8).reshape(2, 1, 4)
        assert fn(pool, x, None).tolist() == expected(pool, x).output.tolist()
        with pytest.raises(RuntimeError, match=r"^InvalidSpecError: kernel=2 must not exceed"):
            fn(pool, np.ones((1, 1, 1), dtype=int), None)  # the kit's own rejection, raised
        assert_layer_matches(fn, pool, (1,))  # ... is a rejection: the case passes
        assert_layer_matches(fn, pool, (5,))


def test_a_crash_is_reported_shrunk_and_survived() -> None:
    """Hypothesis shrinks a crash by crashing again: every crash costs a fork, the test
    process lives on, and the worker after it answers."""
    with isolated(dies_on_short_inputs) as fn:
        with pytest.raises(LayerMismatch, match=r"crashed \(killed by SIGFPE\)") as info:
            check_implementation(fn, layers(kind="max-pool", convention="tensorflow", ndim=1),
                                 derandomize=True)
        assert info.value.input_size == (1,)
        pool = symconv.MaxPool(kernel=3)
        x = np.arange(6).reshape(1, 1, 6)
        assert fn(pool, x, None).tolist() == expected(pool, x).output.tolist()


def test_a_hang_is_killed_after_the_timeout() -> None:
    def hangs(layer: Any, x: Any, w: Any) -> Any:
        if x.shape[-1] == 3:
            time.sleep(60)
        return expected(layer, x, w).output

    pool = symconv.AvgPool(kernel=2)
    with isolated(hangs, timeout=0.5) as fn:
        start = time.monotonic()
        with pytest.raises(ImplementationCrashed, match=r"hung: no answer within 0.5 s"):
            fn(pool, np.ones((1, 1, 3), dtype=int), None)
        assert time.monotonic() - start < 10
        assert fn(pool, np.ones((1, 1, 4), dtype=int), None).shape == (1, 1, 2)


def test_setup_runs_once_in_the_child(tmp_path: Path) -> None:
    log = tmp_path / "setup.log"

    def setup() -> None:
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")

    pool = symconv.MaxPool(kernel=2)
    with isolated(dies_on_short_inputs, setup=setup) as fn:
        for _ in range(3):
            with pytest.raises(ImplementationCrashed):
                fn(pool, np.ones((1, 1, 1)), None)
        assert fn(pool, np.ones((1, 1, 2)), None).shape == (1, 1, 1)
    pids = log.read_text().split()
    assert len(pids) == 1 and int(pids[0]) != os.getpid()


def test_a_failing_setup_and_bad_options_are_one_line() -> None:
    def setup() -> None:
        raise ImportError("no module named 'tensorflow'")

    fn = isolated(exact_pool, setup=setup)
    with pytest.raises(RuntimeError, match=r"setup failed in the child: ImportError: no "
                       "module named 'tensorflow'"):
        fn(symconv.MaxPool(kernel=2), np.ones((1, 1, 2)), None)
    fn.close()
    with pytest.raises(symconv.InvalidSpecError, match=r"timeout=0 must be a positive number"):
        isolated(exact_pool, timeout=0)


def test_close_ends_the_child() -> None:
    fn = isolated(exact_pool)
    fn(symconv.MaxPool(kernel=2), np.ones((1, 1, 2)), None)
    child = fn._zygote
    assert child is not None
    fn.close()
    fn.close()  # idempotent
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped


def test_two_runners_close_at_once() -> None:
    """A later child must not keep an earlier runner's pipe open: closing the first runner
    ends its child at once, not after the kill timeout."""
    first, second = isolated(exact_pool), isolated(exact_pool)
    pool, x = symconv.MaxPool(kernel=2), np.ones((1, 1, 4), dtype=int)
    first(pool, x, None)
    second(pool, x, None)
    start = time.monotonic()
    first.close()
    second.close()
    assert time.monotonic() - start < 5
