"""Run every ``tests/benchmarks/bench_*.py`` and write ``reports/benchmarks.md``.

Each module's ``main`` is called (with an empty argument list when it takes one).  A ``main``
that returns rows (dicts with ``benchmark``, ``measured_s``, ``floor_s``, ``ratio``, ``bar``,
``passed``, as ``bench_core.main`` does) becomes a table; one that returns an exit status (an
int, 0 = within budget) is reported with its printed output.  The report is deterministic apart
from the measured numbers: modules in name order, no timestamps, machine facts only (cores,
Python and library versions).  Exit status 1 when any bar is missed.

    python tests/benchmarks/run_all.py [--output reports/benchmarks.md] [--only bench_core]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import io
import os
import platform
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUTPUT = ROOT / "reports" / "benchmarks.md"
LIBRARIES = ("numpy", "scipy", "sympy", "torch", "onnxruntime")


def machine() -> list[str]:
    """Facts about the machine and the versions that the numbers depend on."""
    from importlib import metadata

    lines = [f"- CPU cores: {os.cpu_count()} ({platform.machine()})",
             f"- Python {platform.python_version()} ({platform.python_implementation()})"]
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"- {name} {version}")
    return lines


def modules(only: list[str] | None = None) -> list[Path]:
    """The benchmark scripts, in name order."""
    found = sorted(HERE.glob("bench_*.py"))
    return [p for p in found if only is None or p.stem in only]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(module: ModuleType) -> tuple[Any, str]:
    """Call ``module.main`` and capture what it prints."""
    main = module.main
    takes_args = bool(inspect.signature(main).parameters)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = main([]) if takes_args else main()
    return result, out.getvalue()


def _is_rows(result: Any) -> bool:
    return isinstance(result, list) and all(
        isinstance(r, dict) and {"benchmark", "ratio", "bar", "passed"} <= r.keys()
        for r in result)


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| benchmark | measured (ms) | floor (ms) | ratio | bar | result |",
             "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['benchmark']} | {_ms(r.get('measured_s'))} | "
                     f"{_ms(r.get('floor_s'))} | {_num(r.get('ratio'), 'x')} | "
                     f"{_bar(r.get('bar'))} | "
                     f"{'PASS' if r['passed'] else 'FAIL'} |")
    return lines


def _ms(seconds: Any) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.1f}"


def _num(value: Any, unit: str) -> str:
    return "—" if value is None else f"{value:.2f}{unit}"


def _bar(value: Any) -> str:
    """A bar given as a number (a ratio) or as text such as '<= 2.0 s'."""
    return value if isinstance(value, str) else f"<= {value:.1f}x"


def section(name: str, result: Any, printed: str) -> tuple[list[str], list[tuple[str, bool]]]:
    """The report section of one module and its (name, passed) verdicts."""
    lines = [f"## {name}", ""]
    if _is_rows(result):
        lines += table(result)
        verdicts = [(f"{name}: {r['benchmark']}", bool(r["passed"])) for r in result]
    else:
        markdown = any(line.startswith("|---") for line in printed.splitlines())
        # a module that prints its own Markdown table keeps it; anything else is verbatim
        lines += [printed.rstrip()] if markdown else ["```", printed.rstrip(), "```"]
        verdicts = _table_verdicts(name, printed)
        ok = (result == 0 if isinstance(result, int) else result is None) and all(
            v for _, v in verdicts)
        verdicts = verdicts or [(name, ok)]
        lines += ["", f"result: {'PASS' if ok else 'FAIL'}"]
    return [*lines, ""], verdicts


def _table_verdicts(name: str, printed: str) -> list[tuple[str, bool]]:
    """PASS/FAIL cells that end the rows of a printed Markdown table, named by the row."""
    out = []
    for line in printed.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[-1] in ("PASS", "FAIL"):
            out.append((f"{name}: " + " / ".join(cells[:3]), cells[-1] == "PASS"))
    return out


def report(sections: list[tuple[str, Any, str]]) -> tuple[str, bool]:
    """The whole Markdown report and whether every bar was met."""
    lines = ["# Benchmarks", "",
             "Written by `python tests/benchmarks/run_all.py` (best of several runs); only the "
             "measured numbers change between runs.", "", "## Machine", "", *machine(), ""]
    verdicts: list[tuple[str, bool]] = []
    for name, result, printed in sections:
        body, v = section(name, result, printed)
        lines += body
        verdicts += v
    lines += ["## Summary", "", "| benchmark | result |", "|---|---|"]
    lines += [f"| {n} | {'PASS' if ok else 'FAIL'} |" for n, ok in verdicts]
    return "\n".join(lines) + "\n", all(ok for _, ok in verdicts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--only", action="append", help="run only this bench module (repeat)")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sections = []
    for path in modules(args.only):
        result, printed = run(load(path))
        print(printed, end="")
        sections.append((path.stem, result, printed))
    text, ok = report(sections)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
