"""Estimate vs measured peak memory and time of ``symconv coverage`` (issue 15).

Each case runs ``symconv coverage`` in a child process (its own peak RSS from
``getrusage(RUSAGE_SELF)``, so one case cannot hide another's); the estimate is the one the
command checks before allocating (:meth:`symconv.coverage.budget.CoveragePlan.nbytes`, and for
graph exports :func:`symconv.coverage.export.export_bytes`).  The bar: every estimate within
1.5x of the peak (``ratio`` = estimate / peak), every accepted case within 20 s.

    python tests/benchmarks/bench_coverage_budget.py [--quick]

Importable without side effects (``run_all.py`` and pytest's doctest collection import it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: A raised analysis budget, for the cases that measure the estimate beyond the default.
BIG = ["--max-nnz", "100000000"]

#: (label, --layer texts, --in, extra options); the graph cases write to a temporary folder.
CASES: list[tuple[str, list[str], str, list[str]]] = [
    ("conv k=3 1024x1024", ["conv k=3"], "1024x1024", []),
    ("conv k=3 1400x1400", ["conv k=3"], "1400x1400", []),
    ("conv k=3 2000x2000 (--max-nnz 1e8)", ["conv k=3"], "2000x2000", BIG),
    ("conv k=9 500x500", ["conv k=9"], "500x500", []),
    ("conv k=3 1-D 3,000,000", ["conv k=3"], "3000000", []),
    ("conv k=3 3-D 100^3", ["conv k=3"], "100x100x100", []),
    ("convT k=3 s=2 1024x1024", ["conv-transpose k=3 s=2"], "1024x1024", []),
    ("convT k=4 s=2 p=1 512x512 x2", ["conv-transpose k=4 s=2 p=1"] * 2, "512x512", BIG),
    ("convT k=3 s=60 100x100", ["conv-transpose k=3 s=60"], "100x100", []),
    ("3 convs k=3 700x700", ["conv k=3"] * 3, "700x700", []),
    ("max-pool k=3 s=2 p=1 2000x2000", ["max-pool k=3 s=2 p=1"], "2000x2000", []),
    ("avg-pool k=2 1400x1400", ["avg-pool k=2"], "1400x1400", []),
    ("upsample-nearest f=4 700x700", ["upsample-nearest f=4"], "700x700", []),
    ("upsample-nearest f=2 1-D 4,000,000", ["upsample-nearest f=2"], "4000000", BIG),
    ("upsample-linear f=2 600x600", ["upsample-linear f=2"], "600x600", []),
    ("upsample-linear f=100000 on 4", ["upsample-linear f=100000"], "4", []),
    ("pixel-shuffle r=2 1000x1000", ["pixel-shuffle r=2"], "1000x1000", []),
    ("adaptive-avg-pool o=7 1000x1000", ["adaptive-avg-pool o=7"], "1000x1000", []),
    ("png conv k=3 1000x1000", ["conv k=3"], "1000x1000", ["--png", "{tmp}/c.png"]),
    ("png 1-D conv k=3 2,000,000", ["conv k=3"], "2000000", ["--png", "{tmp}/c.png"]),
    ("graphml conv k=3 256x256", ["conv k=3"], "256x256", ["--graphml", "{tmp}/g.graphml"]),
    ("graphml conv k=3 512x512", ["conv k=3"], "512x512", ["--graphml", "{tmp}/g.graphml"]),
    ("dot conv k=3 512x512", ["conv k=3"], "512x512", ["--dot", "{tmp}/g.dot"]),
    ("dot conv k=3 700x700", ["conv k=3"], "700x700", ["--dot", "{tmp}/g.dot"]),
    ("refused: convT s=1e9", ["conv-transpose k=3 s=1000000000"], "4", []),
    ("refused: upsample-linear f=1e6", ["upsample-linear f=1000000"], "4", []),
    ("refused: dot 2048x2048", ["conv k=3"], "2048x2048", ["--dot", "{tmp}/g.dot"]),
]

QUICK = {"conv k=3 1024x1024", "upsample-linear f=100000 on 4", "graphml conv k=3 256x256",
         "refused: convT s=1e9"}


def estimate(layers: list[str], size: str, extra: list[str]) -> int:
    """The bytes the command estimates before allocating (no budget applied)."""
    from symconv.cli._common import parse_sizes
    from symconv.coverage.budget import check_analysis, plan
    from symconv.coverage.export import export_bytes
    from symconv.errors import SymconvError
    from symconv.spec.syntax import parse_layers

    p = plan(parse_layers(layers), parse_sizes(size))
    try:
        p = check_analysis(p, 10**30, png="--png" in extra)
    except SymconvError:
        pass  # tables over their work budget: the estimate without them
    total = p.nbytes(png="--png" in extra)
    for option in ("--graphml", "--dot"):
        if option in extra:
            total = max(total, export_bytes(p, option.lstrip("-")))
    return total


def child(args: list[str], out: str) -> None:
    """Run one command in this process; write rc, seconds and peak RSS to ``out``."""
    import contextlib
    import io
    import resource

    from symconv.cli import cli

    # the bar of issue 15: 4 GiB of address space (a case over it must still end cleanly)
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    start = time.perf_counter()
    rc = 0
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            cli.main(["coverage", *args], standalone_mode=False)
        except SystemExit as exc:
            rc = int(exc.code or 0)
        except Exception as exc:
            rc = getattr(exc, "exit_code", 1)
            err.write(f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(out).write_text(json.dumps({"rc": rc, "seconds": seconds, "peak": peak,
                                     "error": err.getvalue()[-300:]}))


def run_case(layers: list[str], size: str, extra: list[str], tmp: str) -> dict[str, Any]:
    args = [a for t in layers for a in ("--layer", t)] + ["--in", size]
    args += [e.format(tmp=tmp) for e in extra]
    out = os.path.join(tmp, "result.json")
    subprocess.run([sys.executable, __file__, "--child", out, *args], check=False, timeout=120)
    return dict(json.loads(Path(out).read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few cases only")
    opts = parser.parse_args(argv)
    failed = 0
    print(f"{'case':36} {'rc':>3} {'time s':>7} {'peak MiB':>9} {'est. MiB':>9} {'ratio':>6}")
    for label, layers, size, extra in CASES:
        if opts.quick and label not in QUICK:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            got = run_case(layers, size, extra, tmp)
        est = estimate(layers, size, extra)
        peak = got["peak"]
        refused = got["rc"] == 2
        ratio = est / peak
        ok = got["seconds"] < 20 and (refused or (got["rc"] == 0 and 1 / 1.5 <= ratio <= 1.5))
        failed += not ok
        shown = f"{ratio:6.2f}" if not refused else "   n/a"
        print(f"{label:36} {got['rc']:>3} {got['seconds']:7.2f} {peak / 2**20:9.0f} "
              f"{est / 2**20:9.0f} {shown}{'' if ok else '  MISSED'}")
        if got["rc"] not in (0, 2) or refused:
            print(f"    {got['error'].strip()[:240]}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[3:], sys.argv[2])
    else:
        raise SystemExit(main())
