"""``symconv report`` on the command line: summary, exit codes, one-line errors, atomicity,
and the missing-pdflatex note.  Small proofs folders keep these fast; the whole catalogue is
run in test_report.py."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from symconv.cli import cli
from symconv.theory.theorem import default_proofs_dir

FALSE_THEOREM = '''
from symconv.theory.theorem import Check, Theorem

THEOREM = Theorem(
    id="X01", title="A false statement (50% _wrong_ & {broken})", statement=r"1 = 2",
    grid=lambda size: [{"n": n} for n in range(3)],
    check=lambda p: Check(p["n"] == 0, f"n={p['n']}: 1 != 2 & 100% sure"),
)
'''

CRASHING_THEOREM = '''
from symconv.theory.theorem import Theorem


def _check(params):
    return params["missing"].apply_exact()


THEOREM = Theorem(id="X02", title="A theorem module with a bug", statement=r"0 = 0",
                  grid=lambda size: [{"n": 1}], check=_check)
'''


@pytest.fixture(autouse=True)
def one_coverage_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """One coverage case instead of all keeps these tests fast (test_report.py runs all)."""
    import symconv.report.build as report_mod

    monkeypatch.setattr(report_mod, "COVERAGE_CASES", report_mod.COVERAGE_CASES[:1])


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["report", *args], prog_name="symconv", env=env)


@pytest.fixture
def proofs(tmp_path: Path) -> Path:
    """A proofs folder holding T09 only."""
    folder = tmp_path / "proofs"
    folder.mkdir()
    for path in default_proofs_dir().glob("t09_*.py"):
        shutil.copy(path, folder / path.name)
    return folder


def fake_bin(tmp_path: Path, script: str | None) -> str:
    """A PATH with only a fake pdflatex (or with none when ``script`` is None)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    if script is not None:
        exe = folder / "pdflatex"
        exe.write_text("#!/bin/sh\n" + script)
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(folder)


def test_help_has_examples_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"], prog_name="symconv")
    assert result.exit_code == 0
    for text in ("symconv report --no-pdf", "--out", "--grid", "Exit status", "untouched"):
        assert text in result.stdout


def test_report_summary_and_files(proofs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--out", str(out), "--no-pdf", "--proofs", str(proofs))
    assert result.exit_code == 0, result.output
    assert "symconv report: 1 of 1 theorems proved (grid small, seed 0)" in result.stdout
    assert "T09" in result.stdout and "PDF: skipped (--no-pdf)" in result.stdout
    assert f"{out / 'symconv-report.tex'}" in result.stdout
    assert "time: catalogue" in result.stdout  # timings on stdout only
    assert (out / "symconv-report.tex").is_file() and (out / "index.md").is_file()
    assert not (out / "symconv-report.pdf").exists()


def test_contradicted_theorem_exits_1_and_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "proofs"
    folder.mkdir()
    (folder / "x01_false.py").write_text(FALSE_THEOREM)
    out = tmp_path / "out"
    result = run("--out", str(out), "--no-pdf", "--proofs", str(folder))
    assert result.exit_code == 1, result.output
    assert "contradicted" in result.stdout
    tex = (out / "symconv-report.tex").read_text(encoding="ascii")
    assert r"\textbf{CONTRADICTED}" in tex and "CONTRADICTIONS" in tex
    assert r"50\% \_wrong\_ \& \{broken\}" in tex and r"100\% sure" in tex
    assert "**CONTRADICTED**" in (out / "index.md").read_text()


def test_contradicted_report_compiles(tmp_path: Path) -> None:
    """Escaped prose from a theorem module reaches pdflatex safely."""
    from _tex import need_tex, rasterise

    need_tex()
    folder = tmp_path / "proofs"
    folder.mkdir()
    (folder / "x01_false.py").write_text(FALSE_THEOREM)
    out = tmp_path / "out"
    result = run("--out", str(out), "--proofs", str(folder))
    assert result.exit_code == 1, result.output
    assert "PDF: written" in result.stdout
    rasterise(out / "symconv-report.pdf")


def test_crashing_theorem_is_an_error_in_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "proofs"
    folder.mkdir()
    (folder / "x02_crash.py").write_text(CRASHING_THEOREM)
    out = tmp_path / "out"
    result = run("--out", str(out), "--no-pdf", "--proofs", str(folder))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "error" in result.stdout
    tex = (out / "symconv-report.tex").read_text(encoding="ascii")
    assert "the theorem's code raised KeyError" in tex


def test_failing_pdflatex_is_one_line_and_keeps_previous(proofs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("--out", str(out), "--no-pdf", "--proofs", str(proofs)).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path = fake_bin(tmp_path, 'printf "! Emergency stop.\\n" > symconv-report.log\nexit 1\n')
    result = run("--out", str(out), "--proofs", str(proofs), env={"PATH": path})
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0] == ("symconv: error: pdflatex failed on symconv-report.tex (run 1): "
                        "Emergency stop.; the previous report is untouched")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_missing_pdflatex_is_a_note(proofs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--out", str(out), "--proofs", str(proofs),
                 env={"PATH": fake_bin(tmp_path, None)})
    assert result.exit_code == 0, result.output
    assert "PDF: not built: pdflatex is not installed" in result.stdout
    assert (out / "symconv-report.tex").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--grid", "huge"], "Invalid value for '--grid'"),
    (["--proofs", "/nonexistent/proofs"], "proofs='/nonexistent/proofs' must be a folder"),
])
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = run("--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()
