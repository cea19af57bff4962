"""The report's install: one directory swap, foreign files kept, killed runs cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from symconv.report import install as inst

OWNED = ("symconv-report.tex", "symconv-report.pdf", "index.md", "figures")


def _stage(parent: Path, out: Path, files: dict[str, str]) -> Path:
    staged = inst.staging_folder(out)
    for name, text in files.items():
        path = staged / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return staged


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_first_install_renames_the_staging_folder(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    staged = _stage(tmp_path, out, {"index.md": "new", "figures/a.png": "A", "x.log": "junk"})
    names = inst.install(staged, out, ["figures/a.png", "index.md"], OWNED)
    assert names == ["figures/a.png", "index.md"]
    assert _tree(out) == {"figures/a.png": "A", "index.md": "new"}  # by-products dropped
    assert not staged.exists()
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask  # not mkdtemp's private 0o700


def test_swap_keeps_foreign_files_and_drops_stale_owned_ones(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "old.png").write_text("old")
    for name, text in {"index.md": "old", "symconv-report.pdf": "oldpdf",
                       "README.md": "mine", "benchmarks.md": "bench"}.items():
        (out / name).write_text(text)
    out.chmod(0o750)
    ino = out.stat().st_ino
    staged = _stage(tmp_path, out, {"index.md": "new", "figures/a.png": "A",
                                    "symconv-report.tex": "tex"})
    inst.install(staged, out, ["figures/a.png", "index.md", "symconv-report.tex"], OWNED)
    assert _tree(out) == {"README.md": "mine", "benchmarks.md": "bench", "figures/a.png": "A",
                          "index.md": "new", "symconv-report.tex": "tex"}
    assert out.stat().st_ino != ino  # a new folder took the old one's place
    assert out.stat().st_mode & 0o777 == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_folder_with_subfolders_falls_back_to_file_moves(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    (out / "keep" / "deep").mkdir(parents=True)
    (out / "keep" / "deep" / "f").write_text("kept")
    (out / "symconv-report.pdf").write_text("oldpdf")
    ino = out.stat().st_ino
    staged = _stage(tmp_path, out, {"index.md": "new"})
    inst.install(staged, out, ["index.md"], OWNED)
    assert _tree(out) == {"index.md": "new", "keep/deep/f": "kept"}
    assert out.stat().st_ino == ino


def test_working_directory_is_not_swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    (out / "index.md").write_text("old")
    monkeypatch.chdir(out)
    ino = out.stat().st_ino
    staged = _stage(tmp_path, out, {"index.md": "new"})
    inst.install(staged, out, ["index.md"], OWNED)
    assert out.stat().st_ino == ino and (out / "index.md").read_text() == "new"


def test_portable_swap_when_exchange_is_unavailable(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inst, "_exchange", lambda a, b: False)
    out = tmp_path / "rep"
    out.mkdir()
    (out / "index.md").write_text("old")
    (out / "notes.txt").write_text("mine")
    staged = _stage(tmp_path, out, {"index.md": "new"})
    inst.install(staged, out, ["index.md"], OWNED)
    assert _tree(out) == {"index.md": "new", "notes.txt": "mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_clean_stale_removes_dead_runs_and_restores_a_missing_report(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    (tmp_path / f".rep.tmp-{pid}-abc123").mkdir()
    (tmp_path / ".rep.tmp-q1w2e3r4").mkdir()  # the older naming, without a pid
    live = tmp_path / f".rep.tmp-{os.getpid()}-live"
    live.mkdir()
    old = tmp_path / f".rep.old-{pid}-zz"
    old.mkdir()
    (old / "index.md").write_text("previous")
    (tmp_path / ".other.tmp-1-x").mkdir()  # another output's: not ours
    done = inst.clean_stale(out)
    assert sorted(done) == sorted([f".rep.tmp-{pid}-abc123", ".rep.tmp-q1w2e3r4",
                                   f".rep.old-{pid}-zz"])
    assert (out / "index.md").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".other.tmp-1-x", live.name, "rep"])


_KILLED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from symconv.report import install as inst
    out = Path(sys.argv[1])
    staged = inst.staging_folder(out)
    (staged / "index.md").write_text("new")
    print("staged", flush=True)
    time.sleep(60)
""")


def test_a_killed_run_leaves_the_previous_report_and_is_cleaned_next_time(tmp_path: Path
                                                                           ) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    (out / "index.md").write_text("old")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(out)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "staged"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.05)
    left = [p.name for p in tmp_path.iterdir() if p.name != "rep"]
    assert len(left) == 1 and left[0].startswith(f".rep.tmp-{proc.pid}-")
    assert (out / "index.md").read_text() == "old"
    assert inst.clean_stale(out) == left
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]
