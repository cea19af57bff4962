"""Speed of ``symconv.numeric.conv`` / ``conv_transpose`` against PyTorch CPU, float64.

The bar (project rule): each numpy reference op takes at most 1.0x the time of the same
PyTorch op with ``torch.set_num_threads(1)``.  Cases:

* conv: N=8, C 32->32, 64x64, k=3 (no padding);
* conv_transpose: N=8, C 32->32, 32x32 -> 64x64, k=4, s=2, p=1.

Each op runs ``--runs`` times (best of, default 7; calls interleaved), after a warm-up, and the
results are checked against each other.  numpy's BLAS keeps its default thread count in this
process; unless ``--no-single-thread`` is given, the same measurement is repeated in a child
process with ``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1`` for a like-for-like
single-thread comparison.  ``OPENBLAS_CORETYPE`` and other variables are left as they are.
Prints a Markdown table with PASS/FAIL per row; the exit status is always 0.

    python tests/benchmarks/bench_numeric.py [--runs 7] [--no-single-thread]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BAR = 1.0
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

CASES = {
    "conv": "N=8, 32->32, 64x64, k3",
    "conv_transpose": "N=8, 32->32, 32x32->64x64, k4 s2 p1",
}


def _best(fns: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """Best wall time per function; the calls are interleaved so load spikes hit all alike."""
    for f in fns.values():
        f()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(runs):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def measure(runs: int) -> dict[str, float]:
    """Seconds (best of ``runs``) for each op in numpy and in PyTorch (one thread)."""
    import numpy as np
    import torch

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from symconv import numeric

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 32, 64, 64))
    w = rng.standard_normal((32, 32, 3, 3))
    xt_in = rng.standard_normal((8, 32, 32, 32))
    wt = rng.standard_normal((32, 32, 4, 4))
    tx, tw, txt, twt = map(torch.from_numpy, (x, w, xt_in, wt))
    F = torch.nn.functional

    ours = numeric.conv(x, w)
    if not np.allclose(ours, F.conv2d(tx, tw).numpy(), rtol=1e-10, atol=1e-10):
        raise AssertionError("numeric.conv disagrees with torch")
    ours = numeric.conv_transpose(xt_in, wt, stride=2, padding=1)
    theirs = F.conv_transpose2d(txt, twt, stride=2, padding=1).numpy()
    if not np.allclose(ours, theirs, rtol=1e-10, atol=1e-10):
        raise AssertionError("numeric.conv_transpose disagrees with torch")

    with torch.no_grad():
        times = _best(
            {
                "conv/numpy": lambda: numeric.conv(x, w),
                "conv/torch": lambda: F.conv2d(tx, tw),
                "conv_transpose/numpy": lambda: numeric.conv_transpose(
                    xt_in, wt, stride=2, padding=1
                ),
                "conv_transpose/torch": lambda: F.conv_transpose2d(txt, twt, stride=2, padding=1),
            },
            runs,
        )
    return times


def _environment() -> str:
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[func-returns-value]
        blas_name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # pragma: no cover - depends on the numpy build
        blas_name = "unknown BLAS"
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover
        torch_version = "not installed"
    core = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    threads = ", ".join(f"{v}={os.environ.get(v, '(unset)')}" for v in THREAD_VARS)
    return (
        f"numpy {np.__version__} ({blas_name}), torch {torch_version}, "
        f"{os.cpu_count()} CPUs, OPENBLAS_CORETYPE={core}, {threads}"
    )


def _single_thread(runs: int) -> dict[str, float] | None:
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARS, "1"))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--json", "--runs", str(runs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"single-thread child failed:\n{done.stderr}")
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """Markdown table: one line per (numpy threading, op)."""
    lines = [
        "| numpy BLAS threads | op | case | numpy ms | torch ms (1 thread) | ratio | bar 1.0x |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for label, times in rows:
        for op, case in CASES.items():
            ours, theirs = times[f"{op}/numpy"], times[f"{op}/torch"]
            ratio = ours / theirs
            verdict = "PASS" if ratio <= BAR else "FAIL"
            lines.append(
                f"| {label} | {op} | {case} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} "
                f"| {ratio:.2f}x | {verdict} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-single-thread", action="store_true")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.runs)))
        return 0
    rows = [("default", measure(args.runs))]
    if not args.no_single_thread:
        single = _single_thread(args.runs)
        if single is not None:
            rows.append(("1", single))
    print(_environment())
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
