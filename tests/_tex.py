"""Compile LaTeX with pdflatex and rasterise a page with pdftoppm, for the LaTeX and report
tests.  Both programs are required when ``CI=true`` (the ``requires`` rule of conftest):
missing, the tests skip locally and fail in CI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import in_ci, requires


def need_tex() -> tuple[str, str]:
    """pdflatex and pdftoppm, or skip (fail under CI=true)."""
    pdflatex = requires("pdflatex")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if in_ci():
            pytest.fail("pdftoppm is not on PATH: it is required when CI=true (poppler-utils)",
                        pytrace=False)
        pytest.skip("pdftoppm is not on PATH")
    return pdflatex, pdftoppm


def compile_and_rasterise(tex: str, folder: Path, name: str = "doc") -> Path:
    """Compile ``tex`` with pdflatex (errors fail the test with the log's error line) and
    rasterise page 1; return the PNG after checking it has non-white pixels."""
    pdflatex, pdftoppm = need_tex()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.tex").write_text(tex, encoding="ascii")
    proc = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", f"{name}.tex"], cwd=folder,
                          capture_output=True, text=True, check=False, timeout=300)
    log = (folder / f"{name}.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert proc.returncode == 0 and not errors, errors or proc.stdout[-2000:]
    return rasterise(folder / f"{name}.pdf", pdftoppm)


def rasterise(pdf: Path, pdftoppm: str | None = None) -> Path:
    """Page 1 of ``pdf`` as a 50-dpi PNG; asserts it decodes and is not blank."""
    exe = pdftoppm or shutil.which("pdftoppm")
    assert exe is not None
    stem = pdf.with_suffix("")
    subprocess.run([exe, "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(stem)], check=True, timeout=120)
    png = stem.with_suffix(".png")
    assert_not_blank(png)
    return png


def assert_not_blank(png: Path) -> None:
    import matplotlib.image as mpimg

    img = np.asarray(mpimg.imread(png))
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    rgb = img[..., :3].astype(float)
    rgb = rgb / 255.0 if rgb.max() > 1.0 else rgb
    dark = (rgb < 0.5).all(axis=-1)
    assert dark.sum() > 100, f"{png} looks blank"
