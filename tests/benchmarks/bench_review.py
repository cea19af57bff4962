"""``symconv review`` on a 50-layer network (issue 7, section 4): bar <= 2 s.

The network is a 2-D, 5-level U-Net with symbolic sizes (H, W): per level two 3x3 convs with
activations and a max pool down, a 2x2 stride-2 transposed conv, a concat skip and two convs
up; 50 layers in all.  Measured:

* ``review(net, symbolic=True)``: formulas, exact valid sizes on both axes, skip checks and
  findings, in a process that has already imported SymPy (best of ``--runs``);
* the same with an input size (``--input 256x256`` adds the concrete evaluation);
* the exact valid sizes of a large-period network (:func:`large_period_yaml`: resize by
  997/1009, conv, resize by 1013/1019, pool; period 1,028,171, refused before the vectorised
  scan: the old limit was 65,536), :func:`symconv.review.validity.analyse_axis` alone, bar
  :data:`LARGE_BAR_S`;
* the whole command ``symconv review FILE --symbolic --json`` in a fresh process (start-up,
  SymPy import, loading the YAML, review, rendering), best of ``--runs``: its CPU time (user +
  sys of the child) against the bar, its wall time for reference (on a loaded machine it
  includes waiting for a CPU), next to the floor ``python -c 'import sympy'``.

:func:`main` prints a Markdown table and returns the rows (keys :data:`ROW_KEYS`).

    python tests/benchmarks/bench_review.py [--runs 3]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Keys of every row :func:`main` returns (run_all.py renders them).
ROW_KEYS = ("benchmark", "measured_s", "floor_s", "ratio", "bar", "passed")

BAR_S = 2.0
LARGE_BAR_S = 5.0
LEVELS = 5


def large_period_yaml() -> str:
    """A 1-D chain whose size period is 1009 * 1019 = 1,028,171."""
    return "\n".join([
        "name: large-period", "inputs: [{name: x, size: [H]}]", "layers:",
        "  - {name: r1, op: resize, scale_factor: '997/1009'}",
        "  - {name: c1, op: conv, kernel: 3}",
        "  - {name: r2, op: resize, scale_factor: '1013/1019'}",
        "  - {name: p1, op: max-pool, kernel: 2, stride: 1}",
    ]) + "\n"


def network_yaml(levels: int = LEVELS) -> str:
    """A U-Net with ``levels`` levels: 10 layers per level (5 down, 5 up)."""
    lines = ["name: unet-50", "inputs: [{name: x, size: [H, W], channels: 3}]", "layers:"]
    c = 16
    for i in range(levels):
        lines += [
            f"  - {{name: e{i}a, op: conv, kernel: 3, padding: 1, out_channels: {c}}}",
            f"  - {{name: e{i}r, op: relu}}",
            f"  - {{name: e{i}, op: conv, kernel: 3, padding: 1, out_channels: {c}}}",
            f"  - {{name: e{i}s, op: relu}}",
            f"  - {{name: p{i}, op: max-pool, kernel: 2}}",
        ]
        c *= 2
    for i in reversed(range(levels)):
        c //= 2
        lines += [
            f"  - {{name: u{i}, op: conv-transpose, kernel: 2, stride: 2, out_channels: {c}}}",
            f"  - {{name: c{i}, op: concat, inputs: [u{i}, e{i}s]}}",
            f"  - {{name: d{i}a, op: conv, kernel: 3, padding: 1, out_channels: {c}}}",
            f"  - {{name: d{i}r, op: relu}}",
            f"  - {{name: d{i}, op: conv, kernel: 3, padding: 1, out_channels: {c}}}",
        ]
    return "\n".join(lines) + "\n"


def best_of(runs: int, call: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - start)
        finally:
            if enabled:
                gc.enable()
    return best


def fresh_process(runs: int, cmd: list[str]) -> tuple[float, float]:
    """Best wall time and best CPU time (user + sys of the child) of ``cmd`` over ``runs``.

    On a loaded machine the wall time includes waiting for a CPU; the CPU time does not."""
    import resource

    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def _row(name: str, seconds: float, bar: float = BAR_S) -> dict[str, Any]:
    return {"benchmark": name, "measured_s": round(seconds, 3), "floor_s": None,
            "ratio": None, "bar": f"<= {bar} s", "passed": seconds <= bar}


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| benchmark | measured (s) | bar | passed |", "|---|---|---|---|"]
    out += [f"| {r['benchmark']} | {r['measured_s']} | {r['bar']} | {r['passed']} |"
            for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the benchmarks, print the table, return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds per benchmark (best of)")
    args = parser.parse_args([] if argv is None else argv)
    import sympy  # noqa: F401 - imported once, outside the timed calls

    from symconv.network.model import loads
    from symconv.review import review

    text = network_yaml()
    net = loads(text, "yaml")
    assert len(net.nodes) == 10 * LEVELS
    result = review(net, symbolic=True)
    assert [v.describe() for v in result.validity if v] == [
        "H = 0 mod 32", "W = 0 mod 32"]
    rows = [
        _row(f"review, {len(net.nodes)} layers, symbolic",
             best_of(args.runs, lambda: review(net, symbolic=True))),
        _row(f"review, {len(net.nodes)} layers, --input 256x256",
             best_of(args.runs, lambda: review(net, (256, 256)))),
    ]
    from symconv.review.validity import analyse_axis

    large = loads(large_period_yaml(), "yaml")
    v = analyse_axis(large, 0)[0]
    assert v.period == 1009 * 1019 and v.describe() == "H >= 6"
    rows.append(_row(f"exact valid sizes, period {v.period:,} (threshold {v.threshold:,})",
                     best_of(args.runs, lambda: analyse_axis(large, 0)), LARGE_BAR_S))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unet50.yaml"
        path.write_text(text)
        cmd = [sys.executable, "-m", "symconv", "review", str(path), "--symbolic", "--json"]
        wall, cpu = fresh_process(args.runs, cmd)
        row = _row("symconv review --symbolic --json, fresh process, wall", wall)
        row.update(bar="(reference: includes waiting for a CPU on a loaded machine)",
                   passed=True)
        rows.append(row)
        rows.append(_row("symconv review --symbolic --json, fresh process, CPU (user+sys)",
                         cpu))
        wall, cpu = fresh_process(args.runs, [sys.executable, "-c", "import sympy"])
        row = _row(f"floor: python -c 'import sympy', wall (CPU {cpu:.3f} s)", wall)
        row.update(bar="(reference)", passed=True)
        rows.append(row)
    print(markdown(rows))
    return rows


if __name__ == "__main__":
    if str(ROOT) not in sys.path:  # run as a script from a checkout
        sys.path.insert(0, str(ROOT))
    sys.exit(0 if all(r["passed"] for r in main(sys.argv[1:])) else 1)
