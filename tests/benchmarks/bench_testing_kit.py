"""The conformance kit's bar (issue 16): a planted off-by-one in a user implementation is
caught and shrunk to a minimal case in under 10 s.

Two planted bugs (the implementations of ``tests/test_testing.py``, built on the reference
ops): max pooling with ``ceil`` instead of ``floor`` (PyTorch convention), and a TensorFlow
SAME convolution with its split reversed (the odd pad before instead of after).  Each run
calls :func:`symconv.testing.check_implementation` with its default budget and a fresh
random seed (no example database), and times it until the shrunk :class:`LayerMismatch`
comes back (wall time: drawing, running, shrinking, formatting the reproduction).  Reported:
the worst of ``--runs`` runs against the bar, and the shrunk case of the last run.

:func:`main` prints a Markdown table and returns the rows (keys :data:`ROW_KEYS`).

    python tests/benchmarks/bench_testing_kit.py [--runs 5]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Keys of every row :func:`main` returns (run_all.py renders them).
ROW_KEYS = ("benchmark", "measured_s", "floor_s", "ratio", "bar", "passed")

BAR_S = 10.0


def _planted() -> dict[str, tuple[Any, Any]]:
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    import test_testing as t  # the planted implementations, defined once

    from symconv.testing import layers

    return {
        "ceil instead of floor (max-pool, torch)":
            (t.ceil_max_pool, layers(kind="max-pool", convention="torch")),
        "SAME split reversed (conv, tensorflow)":
            (t.reversed_same_conv, layers(kind="conv", convention="tensorflow")),
    }


def catch(fn: Any, strategy: Any) -> tuple[float, Any]:
    """Seconds until :func:`check_implementation` raises, and the error."""
    from symconv.testing import LayerMismatch, check_implementation

    start = time.perf_counter()
    try:
        check_implementation(fn, strategy)
    except LayerMismatch as err:
        return time.perf_counter() - start, err
    raise AssertionError(f"{fn.__name__}: the planted bug was not caught")


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the benchmarks, print the table, return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per planted bug (worst)")
    args = parser.parse_args([] if argv is None else argv)
    rows = []
    for name, (fn, strategy) in _planted().items():
        times, err = [], None
        for _ in range(args.runs):
            seconds, err = catch(fn, strategy)
            times.append(seconds)
        worst = max(times)
        rows.append({"benchmark": f"{name}: caught and shrunk (worst of {args.runs})",
                     "measured_s": round(worst, 3), "floor_s": round(min(times), 3),
                     "ratio": None, "bar": f"<= {BAR_S} s", "passed": worst <= BAR_S,
                     "case": f"{err.layer!r} on {err.input_size}" + (
                         "" if err.one_axis is None else
                         f" (1-D: {err.one_axis[0]!r} on {err.one_axis[1]})")})
    print("| benchmark | worst (s) | best (s) | bar | passed | shrunk case |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['benchmark']} | {r['measured_s']} | {r['floor_s']} | {r['bar']} | "
              f"{r['passed']} | `{r['case']}` |")
    return [{k: r[k] for k in ROW_KEYS} for r in rows]


if __name__ == "__main__":
    results = main(sys.argv[1:])
    sys.exit(0 if all(r["passed"] for r in results) else 1)
