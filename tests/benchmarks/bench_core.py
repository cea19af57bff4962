"""Operator-core build times against their floors (issue 3, section 6).

* symbolic: ``conv_matrix((1, 128, 128), (1, 1, 3, 3))`` against the floor
  ``sympy.SparseMatrix(rows, cols, prebuilt_dict)`` of the same entries — bar <= 1.5x;
* numeric: ``linear_map(Conv(kernel=3), (1, 256, 256), out_channels=1).numeric(w)`` (index
  structure + CSR) against the floor ``scipy.sparse.coo_matrix((data, (r, c))).tocsr()`` from
  prebuilt arrays — bar <= 3x.

Each side runs ``--runs`` times, interleaved, garbage collection off while timed (as
``timeit`` does); the best time counts.  Both sides are checked to build the same matrix.
:func:`main` prints a Markdown table and returns the rows (see :data:`ROW_KEYS`).

    python tests/benchmarks/bench_core.py [--runs 5]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Keys of every row :func:`main` returns (run_all.py renders them).
ROW_KEYS = ("benchmark", "measured_s", "floor_s", "ratio", "bar", "passed")

SYMBOLIC_BAR = 1.5
NUMERIC_BAR = 3.0


def best_of(runs: int, *calls: Callable[[], Any]) -> list[float]:
    """Best wall time (seconds) of each call over ``runs`` interleaved rounds."""
    best = [float("inf")] * len(calls)
    for _ in range(runs):
        for i, call in enumerate(calls):
            enabled = gc.isenabled()
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                call()
                best[i] = min(best[i], time.perf_counter() - start)
            finally:
                if enabled:
                    gc.enable()
    return best


def _row(name: str, measured: float, floor: float, bar: float) -> dict[str, Any]:
    ratio = measured / floor
    return {"benchmark": name, "measured_s": measured, "floor_s": floor, "ratio": ratio,
            "bar": bar, "passed": ratio <= bar}


def bench_symbolic(runs: int) -> dict[str, Any]:
    """128x128 input, 3x3 kernel, one channel: the contract's symbolic matrix."""
    import sympy

    import symconv
    from symconv.core import conv_map, conv_matrix, weight_symbols

    m = conv_map(symconv.Conv(kernel=3), (1, 128, 128), 1)
    symbols = weight_symbols((1, 1, 3, 3)).ravel()
    entries = dict(zip(zip(m.rows.tolist(), m.cols.tolist(), strict=True),
                       symbols[m.taps[:, 0]].tolist(), strict=True))
    if conv_matrix((1, 128, 128), (1, 1, 3, 3)) != sympy.SparseMatrix(*m.shape, entries):
        raise AssertionError("conv_matrix and the floor built different matrices")
    measured, floor = best_of(
        runs,
        lambda: conv_matrix((1, 128, 128), (1, 1, 3, 3)),
        lambda: sympy.SparseMatrix(m.shape[0], m.shape[1], entries),
    )
    return _row("symbolic conv_matrix 128x128 k3 vs SparseMatrix(dict)", measured, floor,
                SYMBOLIC_BAR)


def bench_numeric(runs: int) -> dict[str, Any]:
    """256x256 input, 3x3 kernel: index structure and CSR for given weights."""
    import numpy as np
    import scipy.sparse as sp

    import symconv
    from symconv.core import linear_map

    layer = symconv.Conv(kernel=3)
    w = np.random.default_rng(0).standard_normal((1, 1, 3, 3))
    m = linear_map(layer, (1, 256, 256), out_channels=1)
    rows, cols, data = m.rows.copy(), m.cols.copy(), w.ravel()[m.taps[:, 0]]

    def ours() -> Any:
        return linear_map(layer, (1, 256, 256), out_channels=1).numeric(w)

    def floor() -> Any:
        return sp.coo_matrix((data, (rows, cols)), shape=m.shape).tocsr()

    if (ours() != floor()).nnz:
        raise AssertionError("linear_map(...).numeric and the floor built different matrices")
    measured, floor_s = best_of(runs, ours, floor)
    return _row("numeric CSR 256x256 k3 vs coo_matrix(...).tocsr()", measured, floor_s,
                NUMERIC_BAR)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (times in ms)."""
    lines = ["| benchmark | measured (ms) | floor (ms) | ratio | bar | result |",
             "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['benchmark']} | {r['measured_s'] * 1e3:.1f} | "
                     f"{r['floor_s'] * 1e3:.1f} | {r['ratio']:.2f}x | <= {r['bar']:.1f}x | "
                     f"{'PASS' if r['passed'] else 'FAIL'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run both benchmarks, print the table, return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds per benchmark (best of)")
    args = parser.parse_args([] if argv is None else argv)
    rows = [bench_symbolic(args.runs), bench_numeric(max(args.runs, 10))]
    print(markdown(rows))
    return rows


if __name__ == "__main__":
    if str(ROOT) not in sys.path:  # run as a script from a checkout
        sys.path.insert(0, str(ROOT))
    sys.exit(0 if all(r["passed"] for r in main(sys.argv[1:])) else 1)
