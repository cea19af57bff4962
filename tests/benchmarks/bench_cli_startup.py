"""Start-up time of ``symconv shape`` against ``python -c "import numpy"``.

The budget (ARCHITECTURE.md, integer paths never import SymPy): an integer ``symconv shape``
must take at most twice the wall time of importing NumPy.  Each command runs ``--runs`` times
(best of, default 10) in a fresh interpreter; the table and the ratio are printed, and the exit
status is 1 when the budget is exceeded.

    python tests/benchmarks/bench_cli_startup.py [--runs 10]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHAPE_ARGS = ["shape", "conv", "--in", "224x224", "--kernel", "7", "--stride", "2",
              "--padding", "SAME", "--convention", "tensorflow"]

#: (label, argv) of every command timed; the first two are the references.
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ('python -c "import numpy"', [sys.executable, "-c", "import numpy"]),
    ("symconv shape (TF example)", [sys.executable, "-m", "symconv", *SHAPE_ARGS]),
    ("symconv shape --compare", [sys.executable, "-m", "symconv", *SHAPE_ARGS,
                                 "--compare", "torch,onnx,tensorflow,keras,jax"]),
    ("symconv shape conv-transpose --target",
     [sys.executable, "-m", "symconv", "shape", "conv-transpose", "--in", "6", "--kernel", "3",
      "--stride", "2", "--padding", "1", "--target", "12"]),
    ("symconv --help", [sys.executable, "-m", "symconv", "--help"]),
]

# The installed console script (next to the interpreter, not a shell shim), when present.
_SCRIPT = Path(sys.executable).with_name("symconv")
if _SCRIPT.exists():
    COMMANDS.append(("symconv shape (console script)", [str(_SCRIPT), *SHAPE_ARGS]))

BUDGET = 2.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def best_time(argv: list[str], runs: int) -> float:
    """Best wall time (seconds) of ``runs`` runs of ``argv``; each run must exit 0."""
    best = float("inf")
    env = _env()
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def measure(runs: int = 10) -> dict[str, float]:
    """Best-of-``runs`` wall time of every command in :data:`COMMANDS`."""
    return {label: best_time(argv, runs) for label, argv in COMMANDS}


def report(times: dict[str, float]) -> tuple[str, float]:
    """The table (ms, and ratio to the NumPy import) and the worst ``symconv`` ratio."""
    numpy = times['python -c "import numpy"']
    width = max(len(k) for k in times)
    lines = [f"{'command':<{width}}  {'best ms':>8}  {'/ numpy':>7}"]
    worst = 0.0
    for label, t in times.items():
        ratio = t / numpy
        if label.startswith("symconv shape"):
            worst = max(worst, ratio)
        lines.append(f"{label:<{width}}  {t * 1000:8.1f}  {ratio:7.2f}")
    lines.append(f"worst symconv shape ratio: {worst:.2f} (budget {BUDGET:.1f})")
    return "\n".join(lines), worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (best of)")
    args = parser.parse_args(argv)
    text, worst = report(measure(args.runs))
    print(text)
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
