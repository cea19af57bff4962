"""``symconv.report.build``: what the report holds, determinism, atomic replacement, the committed
``reports/`` files, and the PDF (compiled and rasterised; skipped locally without TeX, failing
when ``CI=true``)."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from _tex import assert_not_blank, need_tex, rasterise
from click.testing import CliRunner

import symconv.report.build as report_mod
from symconv.cli import cli
from symconv.report.build import (
    EXAMPLES,
    INDEX,
    PDF,
    TEX,
    ReportError,
    collect,
    render,
    write_report,
)
from symconv.report.explain import UPSAMPLING_ANSWER, cited_ids
from symconv.theory.runner import select
from symconv.theory.theorem import default_proofs_dir

ROOT = default_proofs_dir().parent
COMMITTED = ROOT / "reports"

# --------------------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: bytes and modification time (ns)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fake_pdflatex(folder: Path, body: str) -> str:
    """An executable standing in for pdflatex (``body`` is its shell script)."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "pdflatex"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


FAILING = ('printf "This is a fake TeX\\n! Undefined control sequence.\\n'
           'l.42 \\\\oops\\n" > "symconv-report.log"\nexit 1\n')


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name)


# --------------------------------------------------------------------------- a small report


@pytest.fixture(autouse=True)
def one_coverage_case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast tests analyse one coverage case instead of all (the full report runs them all)."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setattr(report_mod, "COVERAGE_CASES", report_mod.COVERAGE_CASES[:1])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """A report of two theorems without the PDF (fast): (outcome, folder)."""
    out = tmp_path_factory.mktemp("small") / "report"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_mod, "COVERAGE_CASES", report_mod.COVERAGE_CASES[:2])
        outcome = write_report(out, theorems=select(None, ("T02", "T09")), pdf=False)
    return outcome, out


def test_small_report_files(small: tuple[Any, Path]) -> None:
    outcome, out = small
    assert TEX in outcome.files and INDEX in outcome.files and PDF not in outcome.files
    assert outcome.pdf == "skipped (--no-pdf)"
    figures = [f for f in outcome.files if f.startswith("figures/")]
    assert len(figures) == len(outcome.data.coverage) == 2
    tex = (out / TEX).read_text(encoding="ascii")
    md = (out / INDEX).read_text(encoding="utf-8")
    for f in figures:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"{{{f}}}" in tex and f"({f})" in md
    assert leftovers(out.parent) == []


def test_small_report_contents(small: tuple[Any, Path]) -> None:
    _, out = small
    tex = (out / TEX).read_text(encoding="ascii")
    md = (out / INDEX).read_text(encoding="utf-8")
    assert r"\label{thm:T02}" in tex and r"\label{thm:T09}" in tex
    assert UPSAMPLING_ANSWER[0] in md and "Is upsampling the same" in tex
    assert r"\begin{bmatrix}" in tex and "w_{0,0,1}" in tex
    assert "| [T02](#t02) |" in md and '<a name="t02"></a>' in md
    # the answer cites every theorem it relies on, with this run's verdict or "not run"
    assert "[T02: proved]" in tex.replace(r"\hyperref[thm:T02]{T02}", "T02")
    assert "T03: not run" in tex.replace(r"\hyperref[thm:T03]{T03}", "T03")


def test_render_is_pure(small: tuple[Any, Path]) -> None:
    outcome, out = small
    again = render(outcome.data)
    assert again == render(outcome.data)
    assert again[TEX] == (out / TEX).read_bytes() and again[INDEX] == (out / INDEX).read_bytes()


def test_no_timings_in_the_files(small: tuple[Any, Path]) -> None:
    _, out = small
    for name in (TEX, INDEX):
        text = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"\d+\.\d+\s*s\b|seconds", text), name


def test_every_example_relation_holds() -> None:
    ids = {t.id for t in select(None, ())}
    assert set(EXAMPLES) <= ids
    for tid, build in EXAMPLES.items():
        for ex in build():
            assert ex.matrices
            for relation, holds in ex.relations:
                assert holds, (tid, relation)


def test_answer_cites_only_catalogue_theorems() -> None:
    assert cited_ids(UPSAMPLING_ANSWER) <= {t.id for t in select(None, ())}


# --------------------------------------------------------------------------- atomicity


def test_failed_pdflatex_leaves_previous_report_untouched(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    write_report(out, theorems=select(None, ("T09",)), pdf=False)
    (out / "README.md").write_text("hand-written, kept\n")
    before = snapshot(out)
    exe = fake_pdflatex(tmp_path / "bin", FAILING)
    with pytest.raises(ReportError) as info:
        write_report(out, theorems=select(None, ("T02",)), pdflatex=exe)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"pdflatex failed on {TEX} (run 1): Undefined control sequence.")
    assert "l.42" in message and "previous report is untouched" in message
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_pdflatex_that_writes_no_pdf_is_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    exe = fake_pdflatex(tmp_path / "bin", "exit 0\n")
    with pytest.raises(ReportError, match="pdflatex failed"):
        write_report(out, theorems=select(None, ("T09",)), pdflatex=exe)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_missing_pdflatex_still_writes_tex_md_png(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / PDF).write_bytes(b"%PDF old")
    (out / "figures").mkdir()
    (out / "figures" / "stale.png").write_bytes(b"old")
    monkeypatch.setattr(report_mod.shutil, "which", lambda name: None)
    outcome = write_report(out, theorems=select(None, ("T09",)))
    assert outcome.pdf.startswith("not built: pdflatex is not installed")
    assert "previous report's PDF was removed" in outcome.pdf
    assert (out / TEX).is_file() and (out / INDEX).is_file()
    assert not (out / PDF).exists() and not (out / "figures" / "stale.png").exists()


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ReportError, match="must be a folder"):
        write_report(target, theorems=select(None, ("T09",)), pdf=False)


def test_benchmarks_are_copied_and_linked(tmp_path: Path) -> None:
    bench = tmp_path / "bench.md"
    bench.write_text("| op | time |\n|----|------|\n")
    out = tmp_path / "reports"
    outcome = write_report(out, theorems=select(None, ("T09",)), pdf=False, benchmarks=bench)
    assert "benchmarks.md" in outcome.files
    assert (out / "benchmarks.md").read_bytes() == bench.read_bytes()
    assert "(benchmarks.md)" in (out / INDEX).read_text()
    again = write_report(out, theorems=select(None, ("T09",)), pdf=False,
                         benchmarks=tmp_path / "missing.md")
    assert "benchmarks.md" not in again.files
    assert "(benchmarks.md)" not in (out / INDEX).read_text()


def test_collect_reports_a_broken_example(monkeypatch: pytest.MonkeyPatch) -> None:
    from symconv.report.build import Example

    monkeypatch.setitem(EXAMPLES, "T09", lambda: (Example("x", (), (("a = b", False),)),))
    data, _ = collect(theorems=select(None, ("T09",)))
    assert data.failed_examples == (("T09", "a = b"),)
    assert not data.ok


# --------------------------------------------------------------------------- the full report


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Path]:
    """The whole catalogue twice: once through the library, once through the command line
    (with the PDF whenever pdflatex is installed)."""
    base = tmp_path_factory.mktemp("full")
    a, b = base / "a", base / "b"
    outcome = write_report(a)
    result = CliRunner().invoke(cli, ["report", "--out", str(b)], prog_name="symconv")
    assert result.exit_code == 0, result.output
    return outcome, a, b


@pytest.mark.slow
def test_full_report_is_proved_and_deterministic(full: tuple[Any, Path, Path]) -> None:
    outcome, a, b = full
    assert outcome.data.ok, [r.theorem.id for r in outcome.data.contradicted]
    first, second = snapshot(a), snapshot(b)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name][0] == second[name][0], f"{name} differs between two runs"


@pytest.mark.slow
def test_full_report_pdf_compiles_and_is_reproducible(full: tuple[Any, Path, Path]) -> None:
    need_tex()
    outcome, a, b = full
    assert outcome.pdf == "written"
    assert (a / PDF).read_bytes() == (b / PDF).read_bytes()
    rasterise(a / PDF)
    raw = (a / PDF).read_bytes()
    assert b"/CreationDate" not in raw and b"/ModDate" not in raw and b"PTEX.Fullbanner" not in raw


@pytest.mark.slow
def test_committed_reports_are_up_to_date(full: tuple[Any, Path, Path]) -> None:
    """reports/ holds what `symconv report` writes: .tex and .md byte-identical (regenerate
    them with `symconv report` after changing a theorem or a renderer), the figures present
    and decodable.  PNG bytes depend on the matplotlib/freetype build, so only their names
    and sizes are compared here (two runs on one machine are byte-identical, tested above)."""
    import matplotlib.image as mpimg

    _, a, _ = full
    for name in (TEX, INDEX):
        assert (COMMITTED / name).is_file(), f"reports/{name} is not committed"
        assert (COMMITTED / name).read_bytes() == (a / name).read_bytes(), (
            f"reports/{name} is out of date: run `symconv report` and commit it")
    made = sorted(p.name for p in (a / "figures").glob("*.png"))
    kept = sorted(p.name for p in (COMMITTED / "figures").glob("*.png"))
    assert made == kept
    for name in kept:
        committed = mpimg.imread(COMMITTED / "figures" / name)
        assert committed.shape == mpimg.imread(a / "figures" / name).shape
        assert_not_blank(COMMITTED / "figures" / name)
    assert (COMMITTED / "README.md").is_file()


@pytest.mark.slow
def test_full_report_covers_every_theorem(full: tuple[Any, Path, Path]) -> None:
    outcome, a, _ = full
    tex = (a / TEX).read_text(encoding="ascii")
    for r in outcome.data.results:
        assert rf"\label{{thm:{r.theorem.id}}}" in tex
    for tid in cited_ids(UPSAMPLING_ANSWER):
        assert f"{tid}: proved" in tex.replace(rf"\hyperref[thm:{tid}]{{{tid}}}", tid)
