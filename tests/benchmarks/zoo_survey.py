"""Survey: what ``symconv review`` does today on the model zoo (``tests/zoo.py``), written to
``reports/zoo-survey.md``.

For every model: export it (timed; an exporter refusal is recorded as such), run ``symconv
review PATH --symbolic --json`` in a fresh process (timed, best of ``--runs``, against ``python
-c "import sympy, onnx"``), and record whether the review imported the model (else its exact
one-line message, or the last line of a traceback), the valid-size set per axis, its notes
about what it did not analyse, and then, size by size for ``H = W`` in 1..64 and a few
non-square sizes, its verdict and output sizes (library API: the exact valid sets, the
evaluation at each size and the size formulas) against onnxruntime (in a child process) and
PyTorch eager.  The report is deterministic apart from the columns marked (time).

    python tests/benchmarks/zoo_survey.py [--output reports/zoo-survey.md] [--runs 3]
                                          [--only NAME ...]

Not a benchmark (``run_all.py`` runs ``bench_*.py`` only) and not a test.  Importable without
side effects (pytest's doctest collection imports it).
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUTPUT = ROOT / "reports" / "zoo-survey.md"
LIBRARIES = ("torch", "torchvision", "segmentation_models_pytorch", "timm", "onnx",
             "onnxruntime", "sympy")

#: H = W in 1..64, then a few non-square sizes.
SQUARE = [(n, n) for n in range(1, 65)]
NON_SQUARE = [(32, 17), (17, 32), (31, 64), (64, 33), (29, 61), (40, 96)]
SIZES = SQUARE + NON_SQUARE

SHOWN = 6  # disagreements listed in the table cell (all of them in the details)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def timed(cmd: list[str], runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Best wall time of ``runs`` fresh processes, and the last one's result."""
    best = float("inf")
    proc: subprocess.CompletedProcess[str] | None = None
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                              env=_env(), cwd=ROOT, check=False)
        best = min(best, time.perf_counter() - t)
    assert proc is not None
    return best, proc


def cli_review(path: Path, runs: int) -> dict[str, Any]:
    """``symconv review PATH --symbolic --json`` in a fresh process."""
    seconds, proc = timed([sys.executable, "-m", "symconv", "review", str(path), "--symbolic",
                           "--json"], runs)
    out: dict[str, Any] = {"seconds": seconds, "status": proc.returncode}
    err = proc.stderr.strip()
    if "Traceback (most recent call last)" in err:
        out["crash"] = err.splitlines()[-1]
    elif proc.returncode == 2 or not proc.stdout.strip():
        out["message"] = err.splitlines()[-1] if err else f"exit status {proc.returncode}"
    else:
        out["json"] = json.loads(proc.stdout)
    return out


def ranges(ns: list[int]) -> str:
    """Consecutive runs joined.

    >>> ranges([1, 2, 3, 7, 9, 10])
    '1..3, 7, 9..10'
    """
    spans: list[list[int]] = []
    for n in sorted(ns):
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in spans)


def runtime_summary(runs: dict[Any, Any]) -> str:
    """Where a runtime runs among the sizes tried."""
    fails_sq = [h for (h, w) in SQUARE if not runs[(h, w)].ok]
    fails_ns = [f"{h}x{w}" for (h, w) in NON_SQUARE if not runs[(h, w)].ok]
    if not fails_sq and not fails_ns:
        return "runs at every size tried"
    text = f"fails at H=W in {ranges(fails_sq)}" if fails_sq else "runs at every H=W"
    return text + (f"; fails at {', '.join(fails_ns)}" if fails_ns else "")


def first_errors(runs: dict[Any, Any]) -> list[str]:
    """The distinct failure messages of a runtime, first size of each."""
    seen: dict[str, str] = {}
    for (h, w), run in runs.items():
        if not run.ok:
            seen.setdefault(str(run), f"{h}x{w}")
    return [f"{at}: {msg}" for msg, at in seen.items()]


def survey_model(zoo: Any, name: str, folder: Path, runs: int) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "family": zoo.MODELS[name].family,
                           "source": zoo.MODELS[name].source}
    path = folder / f"{name}.onnx"
    zoo.build(name)  # built before the export is timed
    t = time.perf_counter()
    exp = zoo.export(name, path)
    row["export_s"] = time.perf_counter() - t
    row["export"] = exp
    row["eager"] = zoo.eager_shapes(name, SIZES)
    if not exp.ok:
        return row
    row["cli"] = cli_review(path, runs)
    rev = zoo.review_model(path)
    row["reviewed"] = rev
    row["ort"] = zoo.ort_shapes(path, SIZES)
    if rev.ok:
        claim = zoo.claims(rev, exp.outputs, SIZES)
        row["claims"] = claim
        row["unanalysed"] = zoo.unanalysed_outputs(rev, exp.outputs)
        const = zoo.constant_outputs(rev, exp.outputs)
        row["constant"] = const
        row["vs_ort"] = zoo.disagreements(claim, {"onnxruntime": row["ort"]}, exp.outputs,
                                          const)
        row["vs_eager"] = zoo.disagreements(claim, {"eager": row["eager"]}, exp.outputs, const)
        row["deliberate"] = zoo.deliberate_sizes(claim, row["ort"])
        row["agree_ort"] = sum(1 for s in SIZES if not zoo.disagreements(
            {s: claim[s]}, {"onnxruntime": row["ort"]}, exp.outputs, const))
    return row


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def review_cell(row: dict[str, Any], *, short: bool = False) -> str:
    exp = row["export"]
    if not exp.ok:
        return "not run (no ONNX file)"
    cli, rev = row["cli"], row["reviewed"]
    if "crash" in cli or rev.crash:
        return f"**crash**: `{cli.get('crash') or rev.crash}`"
    if "message" in cli:
        return f"no: `{cli['message']}`"
    if rev.ok and row["unanalysed"]:
        if short:
            return "yes, partly (see not analysed)"
        return "yes, partly: " + "; ".join(f"`{u}`" for u in row["unanalysed"])
    return "yes"


def markdown(rows: list[dict[str, Any]], baseline: float) -> str:
    from importlib import metadata

    lines = [
        "# Model zoo survey: `symconv review` on real architectures",
        "",
        "Generated by `python tests/benchmarks/zoo_survey.py` (models: `tests/zoo.py`; the same "
        "checks as `tests/test_zoo.py`). Everything except the columns marked (time) is "
        "deterministic. Each model is exported with the legacy exporter (`dynamo=False`, "
        "opset 17, input `x` with dynamic `H`, `W`, random weights, eval mode) and reviewed "
        "with `symconv review PATH --symbolic --json` in a fresh process. Its verdict at each "
        f"size ({len(SQUARE)} sizes H = W in 1..64 and {len(NON_SQUARE)} non-square: "
        f"{', '.join(f'{h}x{w}' for h, w in NON_SQUARE)}) is compared with onnxruntime's "
        "(runs or fails; run in a child process) and with PyTorch eager's, and every output "
        "size the review claims (its value at that size and its formula) with the runtime's "
        "shape.",
        "",
        "Versions: " + ", ".join(f"{lib} {_version(metadata, lib)}" for lib in LIBRARIES)
        + f"; Python {sys.version.split()[0]}.",
        "",
        f"Reference for the ratio (time): `python -c \"import sympy, onnx\"` = {baseline:.2f} s.",
        "",
        "| model | layers (ONNX nodes) | export ok | export s (time) | review ok / message | "
        "valid set (per axis) | agreement with onnxruntime | disagreements with onnxruntime | "
        "review s (time) | ratio (time) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        exp = row["export"]
        export = "yes" if exp.ok else f"**no**: `{exp.error}`"
        layers = str(exp.nodes) if exp.ok else "-"
        rev = row.get("reviewed")
        valid = "-"
        agree = "-"
        dis = "-"
        seconds = ratio = "-"
        if exp.ok:
            cli = row["cli"]
            seconds = f"{cli['seconds']:.2f}"
            ratio = f"{cli['seconds'] / baseline:.1f}x"
            if rev is not None and rev.ok:
                valid = "; ".join(f"{'HW'[a]}: {d}" for a, d in enumerate(rev.valid_sets()))
                agree = f"{row['agree_ort']}/{len(SIZES)}"
                found = row["vs_ort"]
                if row["deliberate"]:
                    sizes = ", ".join(d.split(":")[0] for d in row["deliberate"])
                    found = [*found, f"deliberate refusals the runtime runs: {sizes}"]
                if found:
                    shown = found[:SHOWN]
                    more = f" (+{len(found) - SHOWN} more, see below)" if len(found) > SHOWN else ""
                    dis = "<br>".join(f"`{_cell(d)}`" for d in shown) + more
                else:
                    dis = "none"
        lines.append(f"| {row['name']} | {layers} | {export} | {row['export_s']:.2f} | "
                     f"{_cell(review_cell(row))} | "
                     f"{_cell(valid)} | {agree} | {dis} | {seconds} | {ratio} |")
    lines += ["", "## Per model", ""]
    for row in rows:
        lines += details(row)
    return "\n".join(lines).rstrip() + "\n"


def _version(metadata: Any, lib: str) -> str:
    try:
        return str(metadata.version(lib.replace("_", "-")))
    except metadata.PackageNotFoundError:
        return "not installed"


def details(row: dict[str, Any]) -> list[str]:
    exp = row["export"]
    out = [f"### {row['name']}", "",
           f"{row['family']} ({row['source']}); outputs "
           f"{', '.join(f'`{o}` (rank {r})' for o, r in zip(exp.outputs, exp.ranks, strict=True))}.",
           ""]
    out.append(f"- export: {'ok, ' + str(exp.nodes) + ' ONNX nodes' if exp.ok else exp.error}")
    if exp.ok:
        cli, rev = row["cli"], row["reviewed"]
        out.append(f"- review (CLI): {review_cell(row, short=True)} (exit status "
                   f"{cli['status']})")
        if rev.ok:
            data = cli.get("json") or {}
            printed = [v["description"] if v else "not computed" for v in
                       data.get("valid_sizes", [])]
            same = printed == rev.valid_sets()
            out.append(f"- valid sizes: {'; '.join(rev.valid_sets())}"
                       + ("" if same else f" (CLI printed: {'; '.join(printed)})"))
            outs = [f"`{o}`: {' x '.join(rev.tensor(o).formula)}" for o in exp.outputs
                    if rev.tensor(o) is not None]
            if outs:
                out.append(f"- output formulas: {'; '.join(outs)}")
            for o in row["constant"]:
                out.append(f"- `{o}`: one shape for every input size, says the review (a "
                           "noted head); checked against the runtimes")
            left = rev.not_analysed()
            out.append(f"- not analysed (JSON `not_analysed`): {'; '.join(left) or 'nothing'}")
            for line in row["unanalysed"]:
                if line.startswith("output"):
                    out.append(f"- **{line.split(' (not analysed:')[0]}**")
            notes = [n for n in rev.review.notes if "not checked" not in n]
            if notes:
                out.append(f"- other notes: {'; '.join(notes)}")
            out.append(f"- agreement with onnxruntime: {row['agree_ort']}/{len(SIZES)} sizes")
            if row["deliberate"]:
                out.append("  - deliberate refusals (SC006: the review refuses, onnxruntime "
                           "runs; counted as agreement):")
                out += [f"    - {d}" for d in row["deliberate"]]
            for line in row["vs_ort"]:
                out.append(f"  - {line}")
            out.append(f"- disagreements with PyTorch eager: {len(row['vs_eager'])}")
            for line in row["vs_eager"]:
                out.append(f"  - {line}")
        out.append(f"- onnxruntime: {runtime_summary(row['ort'])}")
        for line in first_errors(row["ort"]):
            out.append(f"  - {line}")
    out.append(f"- PyTorch eager: {runtime_summary(row['eager'])}")
    for line in first_errors(row["eager"]):
        out.append(f"  - {line}")
    out.append("")
    return out


def marks(zoo: Any, names: list[str]) -> str:
    """The three tables of ``tests/test_zoo.py`` (``IMPORT_FAILS``, ``NOT_ANALYSED``,
    ``DISAGREES``) as they are today, at the test's sizes, as Python source."""
    import test_zoo

    tables: dict[str, dict[str, str]] = {"IMPORT_FAILS": {}, "NOT_ANALYSED": {},
                                         "DISAGREES": {}}
    with tempfile.TemporaryDirectory(prefix="symconv-zoo-") as tmp:
        for name in names:
            first = zoo.first_failures(name, tmp, test_zoo.SIZES)
            if first["import"] is not None:
                tables["IMPORT_FAILS"][name] = first["import"]
                continue
            if first["outputs"] is not None:
                tables["NOT_ANALYSED"][name] = first["outputs"]
            if first["runtimes"] is not None:
                tables["DISAGREES"][name] = first["runtimes"]
    lines = []
    for table, entries in tables.items():
        lines.append(f"{table}: dict[str, str] = {{")
        lines += [f"    {name!r}: {msg!r}," for name, msg in entries.items()]
        lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (best of)")
    parser.add_argument("--only", nargs="*", help="model names (default: all)")
    parser.add_argument("--marks", action="store_true",
                        help="print the current xfail messages of tests/test_zoo.py instead")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    import zoo

    names = args.only or list(zoo.MODELS)
    if args.marks:
        print(marks(zoo, names), end="")
        return 0
    baseline, _ = timed([sys.executable, "-c", "import sympy, onnx"], args.runs)
    rows = []
    with tempfile.TemporaryDirectory(prefix="symconv-zoo-") as tmp:
        for name in names:
            t = time.perf_counter()
            row = survey_model(zoo, name, Path(tmp), args.runs)
            rows.append(row)
            print(f"{name}: {review_cell(row)} ({time.perf_counter() - t:.1f} s)", flush=True)
        text = markdown(rows, baseline).replace(tmp, "<tmp>")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_suffix(".md.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
