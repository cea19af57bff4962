"""Start-up budget of the CLI: integer paths import no SymPy (nor NumPy/SciPy), and an integer
``symconv shape`` takes at most twice the time of ``python -c "import numpy"``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "numpy", "scipy", "networkx", "matplotlib")

# Runs main() in a fresh interpreter and reports which heavy modules it imported.
PROBE = """
import json, sys
from symconv.cli import main
sys.argv = ["symconv", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}),
      file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def probe(args: list[str]) -> dict[str, object]:
    """Exit code of ``symconv *args`` and the heavy modules it loaded."""
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True,
                          text=True, env=_env(), cwd=ROOT, check=False)
    last = proc.stderr.strip().splitlines()[-1]
    return json.loads(last)  # type: ignore[no-any-return]


INTEGER_RUNS = [
    ["shape", "conv", "--in", "224x224", "--kernel", "7", "--stride", "2", "--padding", "same",
     "--convention", "tensorflow"],
    ["shape", "conv", "--in", "224x224", "--kernel", "7", "--stride", "2", "--padding", "same",
     "--convention", "tensorflow", "--compare", "torch,onnx,tensorflow,keras,jax"],
    ["shape", "conv-transpose", "--in", "6", "--kernel", "3", "--stride", "2", "--padding", "1",
     "--target", "12"],
    ["shape", "max-pool", "--in", "9", "--kernel", "4", "--stride", "4", "--padding", "2",
     "--ceil-mode", "--json"],
    ["shape", "conv", "--in", "7", "--kernel", "3", "--stride", "2", "--target", "4"],
    ["shape", "resize", "--in", "5x7", "--scale", "3/2", "--json"],
    ["shape", "pixel-unshuffle", "--in", "8", "--factor", "2", "--channels", "3"],
    ["shape", "conv", "--in", "0", "--kernel", "3"],  # a rejection: exit 2, still no SymPy
    ["shape", "adaptive-avg-pool", "--in", "10x10", "--size", "nonex3", "--json"],
    ["shape", "global-max-pool", "--in", "0", "--convention", "onnx"],  # rejected: exit 2
    ["--help"],
]


@pytest.mark.parametrize("args", INTEGER_RUNS, ids=lambda a: " ".join(a[:4]))
def test_integer_paths_import_no_sympy(args: list[str]) -> None:
    result = probe(args)
    assert result["code"] in (0, 2, None)
    assert result["loaded"] == [], f"symconv {' '.join(args)} imported {result['loaded']}"


def test_symbolic_does_import_sympy() -> None:
    """The probe can see SymPy (so the test above can fail)."""
    result = probe(["shape", "conv", "--kernel", "3", "--stride", "2", "--symbolic"])
    assert result["code"] in (0, None)
    assert "sympy" in result["loaded"]  # type: ignore[operator]


def _bench() -> ModuleType:
    path = ROOT / "tests" / "benchmarks" / "bench_cli_startup.py"
    spec = importlib.util.spec_from_file_location("bench_cli_startup", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_wall_time_at_most_twice_numpy_import() -> None:
    bench = _bench()
    times = bench.measure(runs=5)
    text, worst = bench.report(times)
    assert worst <= bench.BUDGET, text
