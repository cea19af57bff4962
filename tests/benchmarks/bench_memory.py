"""Memory estimates of the operator core and of ``symconv matrix`` against the real peak.

Each case runs in a child process: the child imports NumPy, SciPy, SymPy, click and symconv,
reads its peak resident memory (``ru_maxrss``: the baseline), asks symconv for its estimate
(nothing is allocated), runs the case and reads ``ru_maxrss`` again.  The ratio compares the
estimate without symconv's fixed baseline (:data:`symconv.core.budget.BASELINE_BYTES`) with the
growth of the peak over the child's own baseline; the bar is ``1 <= ratio <= 1.5`` (never an
under-estimate, never more than 1.5 times the real need).  Also printed: the wall time of
each case, and the measured baseline (the address space too, which is what ``ulimit -v``
limits).

    python tests/benchmarks/bench_memory.py [--only NAME ...] [--scale 0.5]

``--scale`` multiplies the entries of every case (default 1: peaks of 0.2 to 1.6 GB, about
two minutes).  Importable without side effects; ``main`` returns 0 when every ratio is
within the bar.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOW, HIGH = 1.0, 1.5

# (name, kind, arguments); sizes are for --scale 1 and scaled by the square root per axis
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("matrix conv text", "cli", {"args": "conv --in {2000}x{2000} --kernel 3"}),
    ("matrix conv --stats", "cli", {"args": "conv --in {1500}x{1500} --kernel 3 --stats"}),
    ("matrix conv 8ch", "cli", {"args": "conv --in {230}x{230} --kernel 3 --channels 8 "
                                        "--out-channels 8"}),
    ("matrix conv --json", "cli", {"args": "conv --in {400}x{400} --kernel 3 --json"}),
    ("matrix conv --weights", "cli", {"args": "conv --in {1200}x{1200} --kernel 3",
                                      "weights": [1, 1, 3, 3]}),
    ("matrix conv --weights --json", "cli", {"args": "conv --in {300}x{300} --kernel 3 --json",
                                             "weights": [1, 1, 3, 3]}),
    ("matrix conv-transpose", "cli", {"args": "conv-transpose --in {1000}x{1000} --kernel 3 "
                                              "--stride 2"}),
    ("matrix avg-pool", "cli", {"args": "avg-pool --in {1500}x{1500} --kernel 3 --stride 1"}),
    ("matrix resize linear", "cli", {"args": "upsample-linear --in {1000}x{1000} --scale 2"}),
    ("matrix resize cubic", "cli", {"args": "resize --in {600}x{600} --scale 2 --mode cubic "
                                            "--convention onnx"}),
    ("matrix pixel-shuffle", "cli", {"args": "pixel-shuffle --in {2000}x{2000} --factor 2"}),
    ("matrix adaptive-avg-pool", "cli", {"args": "adaptive-avg-pool --in {3000}x{3000} "
                                                 "--size 1000"}),
    ("matrix avg-pool 1-D", "cli", {"args": "avg-pool --in {5000000} --kernel 3 --stride 1"}),
    ("matrix resize linear 1-D", "cli", {"args": "upsample-linear --in {4000000} --scale 2"}),
    ("pad_map reflect", "core", {"call": "pad", "n": 4000}),
    ("pad_map 1-D", "core", {"call": "pad1", "n": 16_000_000}),
    ("crop_map", "core", {"call": "crop", "n": 5000}),
    ("zero_stretch_map", "core", {"call": "stretch", "n": 4000}),
    ("subsample_map", "core", {"call": "subsample", "n": 5000}),
    ("slice_map", "core", {"call": "slice", "n": 5000}),
    ("max_pool_selection_map", "core", {"call": "maxpool", "n": 3000}),
    ("adaptive max selection", "core", {"call": "adamax", "n": 3000}),
    ("max_unpool_map", "core", {"call": "unpool", "n": 2000}),
    ("conv_map + to_numeric", "core", {"call": "numeric", "n": 1500}),
    ("conv_map + to_symbolic", "core", {"call": "symbolic", "n": 350}),
    ("conv @ conv (compose)", "core", {"call": "compose", "n": 600}),
    ("canonical (conv map)", "core", {"call": "canonical", "n": 1200}),
    ("apply_exact int64", "core", {"call": "exact-int", "n": 1500}),
    ("apply_exact int64 batch 4", "core", {"call": "exact-int4", "n": 800}),
    ("apply_exact int64 avg-pool (Fractions out)", "core", {"call": "exact-avg", "n": 1500}),
    ("apply_exact Python ints (object)", "core", {"call": "exact-object", "n": 500}),
    ("apply_exact Fractions in", "core", {"call": "exact-fraction", "n": 400}),
    ("apply float64 batch 4", "core", {"call": "float4", "n": 800}),
    ("kit weight_grad int64", "core", {"call": "wgrad-exact", "n": 1200}),
    ("kit weight_grad Fractions", "core", {"call": "wgrad-fraction", "n": 500}),
    ("kit weight_grad float64", "core", {"call": "wgrad-float", "n": 1200}),
    ("kit 64->64 channels, apply", "core", {"call": "wide-apply", "n": 200}),
    ("kit apply Fractions", "core", {"call": "fraction-apply", "n": 500}),
    ("kit 64->64 channels, weight_grad", "core", {"call": "wgrad-wide", "n": 200}),
]


def _status(key: str) -> int:
    """A ``/proc/self/status`` field in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _rss() -> int:
    """Peak resident memory since the last :func:`_reset_peak` (``VmHWM``), or the process's
    ``ru_maxrss`` where ``/proc`` has no such field."""
    import resource

    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    """Restart the peak at the current resident memory (Linux: ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _vm() -> int:
    return _status("VmPeak")


def _sized(text: str, scale: float) -> str:
    """``{2000}`` -> the size scaled by ``sqrt(scale)`` (entries scale by ``scale``)."""
    import re

    return re.sub(r"\{(\d+)\}", lambda m: str(max(4, round(int(m.group(1)) * math.sqrt(scale)))),
                  text)


def _core_case(call: str, n: int) -> tuple[Any, Any, Any]:
    """(setup, estimate, run) of a library case: ``setup()`` builds the inputs (counted in the
    baseline), ``estimate(inputs)`` gives the bytes the step needs besides them (from
    :func:`symconv.core.budget.plan_of`: nothing is allocated), ``run(inputs)`` does it."""
    import numpy as np

    from symconv.core import (
        conv_map,
        crop_map,
        pad_map,
        slice_map,
        subsample_map,
        to_numeric,
        to_symbolic,
        zero_stretch_map,
    )
    from symconv.core.budget import plan_of
    from symconv.spec import Conv, Slice

    big: dict[str, Any] = {"max_nnz": 10**12, "max_memory": 1 << 40}
    shape = (1, n, n)
    builders = {
        "pad": lambda: pad_map(shape, [(2, 3), (2, 3)], "reflect", **big),
        "pad1": lambda: pad_map((1, n), [(2, 3)], "reflect", **big),
        "crop": lambda: crop_map(shape, [(1, 2), (1, 2)], **big),
        "stretch": lambda: zero_stretch_map(shape, (2, 3), **big),
        "subsample": lambda: subsample_map(shape, (1, 1), **big),
        "slice": lambda: slice_map(Slice(start=1, end=-1), shape, **big),
    }
    if call in builders:
        build = builders[call]
        return (lambda: None), (lambda _: plan_of(build).nbytes), (lambda _: build())
    if call in ("maxpool", "adamax", "unpool"):
        from symconv.core import linear_map
        from symconv.spec import AdaptiveMaxPool, MaxPool, MaxUnpool

        def data() -> Any:  # the sample (or the switches) is the step's input
            rng = np.random.default_rng(0)
            if call == "unpool":
                return rng.integers(0, 4, (1, n, n))
            return rng.standard_normal((1, n, n))

        def select(x: Any) -> Any:
            if call == "unpool":
                return linear_map(MaxUnpool(kernel=2), x.shape, indices=x, **big)
            layer = MaxPool(kernel=3, stride=1) if call == "maxpool" else AdaptiveMaxPool(n // 3)
            return linear_map(layer, x.shape, x=x, **big)

        return data, (lambda x: plan_of(lambda: select(x)).nbytes), select
    layer = Conv(kernel=3)

    def conv() -> Any:
        return conv_map(layer, shape, 1, **big)

    def besides(m: Any, f: Any) -> int:  # a view's estimate counts the map it starts from
        return int(plan_of(f).nbytes - m.nbytes)

    if call == "numeric":
        w = np.ones((1, 1, 3, 3))
        return (conv, lambda m: besides(m, lambda: to_numeric(m, w, **big)),
                lambda m: to_numeric(m, w, **big))
    if call == "symbolic":
        return (conv, lambda m: besides(m, lambda: to_symbolic(m, **big)),
                lambda m: to_symbolic(m, **big))
    if call == "compose":
        def pair() -> Any:
            return conv(), conv_map(layer, (1, n + 2, n + 2), 1, **big)

        def estimate(ab: Any) -> int:
            a, b = ab
            return int(plan_of(lambda: a.compose(b, **big)).nbytes - a.nbytes - b.nbytes)
        return pair, estimate, lambda ab: ab[0].compose(ab[1], **big)

    if call.startswith(("exact", "float")):
        return _apply_case(call, n, big)
    if call.startswith("wgrad"):
        kind = call.split("-")[1]
        return _factored_case(n, True, 64 if kind == "wide" else 1,
                              "int" if kind in ("wide", "exact") else kind)
    if call == "wide-apply":
        return _factored_case(n, grad=False)
    if call == "fraction-apply":
        return _factored_case(n, False, 1, "fraction")

    def shuffled() -> Any:  # a conv map whose rows run backwards: canonical() must sort
        m = conv()
        return type(m)(m.shape, m.rows[::-1].copy(), m.cols, m.taps, m.num, m.den, m.weights)

    return (shuffled, lambda m: besides(m, lambda: m.canonical(max_memory=1 << 40)),
            lambda m: m.canonical(max_memory=1 << 40))


def _apply_case(call: str, n: int, big: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Applying a 3x3 conv (or avg-pool) map to a batch, exactly or in float64: the map and
    the batch are the step's inputs (built before the baseline), the estimate is the step's
    own budget check less those inputs."""
    from fractions import Fraction

    import numpy as np

    from symconv.core import linear_map
    from symconv.core.budget import plan_of
    from symconv.core.index import apply, apply_exact
    from symconv.spec import AvgPool, Conv

    batch = 4 if call.endswith("4") else 1
    layer = AvgPool(kernel=3, stride=1) if call == "exact-avg" else Conv(kernel=3)
    run = apply if call.startswith("float") else apply_exact

    def setup() -> Any:
        m = linear_map(layer, (1, n, n), **big) if call == "exact-avg" else \
            linear_map(layer, (1, n, n), out_channels=1, **big)
        rng = np.random.default_rng(0)
        x: Any = rng.integers(-4, 5, (batch, 1, n, n))
        if call == "exact-object":
            x = x.astype(object) * (2**70)  # Python ints past int64
        elif call == "exact-fraction":
            x = np.frompyfunc(lambda v: Fraction(int(v), 3), 1, 1)(x).astype(object)
        elif call.startswith("float"):
            x = x.astype(np.float64)
        w = None if call == "exact-avg" else (
            np.arange(1, 10).reshape(1, 1, 3, 3) if call.startswith("exact")
            else np.ones((1, 1, 3, 3)))
        return m, x, w

    def estimate(inputs: Any) -> int:
        m, x, w = inputs
        return int(plan_of(lambda: run(m, x, w)).nbytes - m.nbytes - x.nbytes)

    def go(inputs: Any) -> Any:
        m, x, w = inputs
        out = run(m, x, w)

        class Done:  # the child reports the entries of the step
            nnz = batch * m.nnz
        del out
        return Done()

    return setup, estimate, go


def _factored_case(n: int, grad: bool, channels: int = 64,
                   kind: str = "int") -> tuple[Any, Any, Any]:
    """The kit's factored map of a ``channels``-to-``channels`` 3x3 convolution on n x n,
    batch 2 (:mod:`symconv.testing.channels`): applied, or its weight gradient; the spatial
    map, x, w and g (int64, float64 or Fractions) are the inputs."""
    from fractions import Fraction

    import numpy as np

    from symconv.core.budget import plan_of
    from symconv.spec import Conv
    from symconv.testing import random_inputs
    from symconv.testing.channels import channel_map

    layer = Conv(kernel=3, padding=1)

    def setup() -> Any:
        x, w = random_inputs(layer, (n, n), channels=channels, out_channels=channels,
                             batch=2, exact=kind != "float")
        if kind == "fraction":
            x = np.frompyfunc(lambda v: Fraction(int(v), 3), 1, 1)(x).astype(object)
        cmap = channel_map(layer, (n, n), channels, channels)
        return cmap, x, w, np.ones((2, channels, n, n), dtype=np.int64)

    def step(inputs: Any) -> Any:
        cmap, x, w, g = inputs
        exact = kind != "float"
        return (lambda: cmap.weight_grad(x, g, w.shape, exact)) if grad else (
            lambda: cmap.apply(x, w, exact))

    def estimate(inputs: Any) -> int:
        return int(plan_of(step(inputs)).nbytes - inputs[0].spatial.nbytes)

    def go(inputs: Any) -> Any:
        step(inputs)()

        class Done:
            nnz = inputs[0].nnz
        return Done()

    return setup, estimate, go


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one case in this process (a fresh child) and report its numbers."""
    import click  # noqa: F401  - the baseline: every import the command makes
    import numpy as np
    import scipy.sparse  # noqa: F401
    import sympy  # noqa: F401

    import symconv.cli.matrix as mx
    import symconv.core  # noqa: F401

    base_rss, base_vm = _rss(), _vm()
    kind, args = spec["kind"], spec["args"]
    start = time.perf_counter()
    if kind == "cli":
        from symconv.cli import cli

        argv = args["args"].split()
        if "weights" in args:
            path = Path(spec["tmp"]) / "w.npy"
            np.save(path, np.arange(math.prod(args["weights"]), dtype=float).reshape(
                args["weights"]) + 1)
            argv += ["--weights", str(path)]
        q = mx.MatrixQuery.from_options(argv[0], **_options(argv[1:]), max_memory="64GiB")
        nnz, est = mx.estimate(q)
        start = time.perf_counter()
        with open(os.devnull, "w") as sink:
            old, sys.stdout = sys.stdout, sink
            try:
                cli.main(["matrix", *argv, "--max-memory", "64GiB"], prog_name="symconv",
                         standalone_mode=False)
            finally:
                sys.stdout = old
    else:
        from symconv.core.budget import BASELINE_BYTES

        setup, estimate_fn, run = _core_case(args["call"], args["n"])
        inputs = setup()
        _reset_peak()
        base_rss = _rss()  # the inputs are part of this step's baseline
        est = BASELINE_BYTES + estimate_fn(inputs)
        start = time.perf_counter()
        result = run(inputs)
        nnz = result.nnz() if callable(result.nnz) else int(result.nnz)
        del result
    return {"nnz": nnz, "estimate": est, "base_rss": base_rss, "base_vm": base_vm,
            "peak_rss": _rss(), "seconds": time.perf_counter() - start}


def _options(argv: list[str]) -> dict[str, Any]:
    """``--in 4x4 --kernel 3 --stats`` -> click option names and values (for the estimate)."""
    out: dict[str, Any] = {}
    flags = {"--stats": "stats", "--json": "as_json", "--latex": "latex"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            out[flags[a]] = True
            i += 1
            continue
        name = a.lstrip("-").replace("-", "_")
        name = "in_" if name == "in" else name
        value: Any = argv[i + 1]
        if name in ("channels", "out_channels", "factor", "groups"):
            value = int(value)
        out[name] = value
        i += 2
    return out


def run_case(name: str, kind: str, args: dict[str, Any], scale: float, tmp: str) -> dict[str, Any]:
    if kind == "cli":
        args = {**args, "args": _sized(args["args"], scale)}
    else:
        args = {**args, "n": max(8, round(args["n"] * math.sqrt(scale)))}
    spec = json.dumps({"kind": kind, "args": args, "tmp": tmp})
    proc = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    if proc.returncode:
        return {"name": name, "error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["name"] = name
    return out


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from symconv.core.budget import BASELINE_BYTES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names (substrings) to run")
    parser.add_argument("--scale", type=float, default=1.0)
    opts = parser.parse_args(argv)
    mib = 1 << 20
    print(f"{'case':32} {'entries':>11} {'estimate':>10} {'peak':>9} {'ratio':>6} "
          f"{'time':>6}  (MiB over the baseline; ratio = estimate / peak, bar "
          f"{LOW}..{HIGH})")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, args in CASES:
            if opts.only and not any(o in name for o in opts.only):
                continue
            r = run_case(name, kind, args, opts.scale, tmp)
            if "error" in r:
                print(f"{name:32} error: {r['error'][0]}")
                failed += 1
                continue
            est = r["estimate"] - BASELINE_BYTES
            peak = max(r["peak_rss"] - r["base_rss"], 1)
            ratio = est / peak
            ok = LOW <= ratio <= HIGH
            failed += not ok
            print(f"{name:32} {r['nnz']:>11,} {est / mib:>10,.0f} {peak / mib:>9,.0f} "
                  f"{ratio:>6.2f} {r['seconds']:>5.1f}s{'' if ok else '  <- outside the bar'}")
            base = locals().get("base", r)
    if "base" in locals():
        print(f"baseline of a child: {base['base_rss'] / mib:,.0f} MiB resident, "
              f"{base['base_vm'] / mib:,.0f} MiB address space; counted as "
              f"{BASELINE_BYTES / mib:,.0f} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(json.loads(sys.argv[2]))))
    else:
        sys.path.insert(0, str(ROOT))
        sys.exit(main(sys.argv[1:]))
