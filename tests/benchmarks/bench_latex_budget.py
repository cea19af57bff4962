"""Estimate vs real peak of ``symconv latex`` derivations (issue 15: within 1.5x).

    python tests/benchmarks/bench_latex_budget.py

Each case runs ``python -m symconv latex ...`` in a child process; its peak resident memory
(``ru_maxrss``) is compared with the estimate :func:`symconv.report.facts.check_derivation`
makes before building (baseline + entries x bytes per entry).  Prints one row per case and
exits 1 when a ratio falls outside [1.0, 1.5].  The ratio compares what grows with the
entries: the estimate above its fixed baseline with the peak above the peak of a tiny
derivation (the interpreter and its imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

CASES = [
    "conv --in 700x700 --kernel 3",
    "conv --in 3000000 --kernel 3",
    "conv-transpose --in 500x500 --kernel 4 --stride 2",
    "max-pool --in 1000x1000 --kernel 2",
    "avg-pool --in 1000x1000 --kernel 3 --stride 1",
    "max-unpool --in 1000x1000 --kernel 2",
    "resize --in 700x700 --scale 2 --mode linear",
    "pixel-shuffle --in 1000x1000 --factor 2",
    "adaptive-avg-pool --in 1000x1000 --size 7",
]


def _estimate(args: list[str]) -> int:
    from symconv.cli._layer_options import build_layer
    from symconv.cli.latex import latex as command
    from symconv.cli.shape import Query
    from symconv.core.budget import BASELINE_BYTES
    from symconv.report import facts
    from symconv.sizes.shapes import resolve

    ctx = command.make_context("latex", args)
    options = {k: v for k, v in ctx.params.items()
               if k not in ("layer", "fragment", "seed", "max_nnz", "max_memory")}
    query = Query.from_options(ctx.params["layer"], exact_decimals=True, **options)
    spec = build_layer(query.command, query.params, query.convention)
    assert query.sizes is not None
    r = resolve(spec, query.sizes)
    c_in, c_out = facts._channels(spec, None, None, len(query.sizes))
    entries = facts.check_derivation(spec, r, c_in, c_out, max_nnz=10**12, max_memory=2**60)
    return BASELINE_BYTES + entries * facts._DERIVATION_BYTES.get(type(spec), 220)


def _run(args: list[str]) -> tuple[int, int, float]:
    """Exit status, peak RSS in bytes and seconds of one child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "symconv", "latex", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss * 1024, time.perf_counter() - t0


def main() -> int:
    from symconv.core.budget import BASELINE_BYTES

    _, base, _ = _run(["conv", "--in", "4", "--kernel", "3"])
    bad = 0
    print(f"baseline: {base / 2**20:.0f} MiB resident (estimates count {BASELINE_BYTES >> 20})")
    print(f"{'case':50s} {'estimate':>10s} {'peak':>10s} {'ratio':>6s} {'s':>5s}")
    for case in CASES:
        args = case.split()
        code, peak, seconds = _run(args)
        if code != 0:
            print(f"{case:50s} exit {code}")
            bad += 1
            continue
        est = _estimate(args)
        ratio = (est - BASELINE_BYTES) / max(peak - base, 1)
        ok = 1.0 <= ratio <= 1.5
        bad += not ok
        print(f"{case:50s} {est / 2**20:8.0f}Mi {peak / 2**20:8.0f}Mi {ratio:6.2f} {seconds:5.1f}"
              f"{'' if ok else '  OUTSIDE 1.0-1.5'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
