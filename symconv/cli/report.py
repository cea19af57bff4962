"""``symconv report``: the whole catalogue, the coverage analyses and the figures, written as
LaTeX/PDF, Markdown and PNG into one folder (the project's main job)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from symconv.cli._common import OneLineError, SymconvCommand
from symconv.cli._seed import seed_option

EPILOG = """\b
Examples:
  symconv report                        # reports/: .tex, .pdf, index.md, figures/*.png
  symconv report --out /tmp/symconv     # any folder (created if missing)
  symconv report --no-pdf               # skip pdflatex (the .tex is still written)
  symconv report --grid full            # the exhaustive, slower grid
  symconv report --proofs my_theorems/  # your own folder of theorem modules
\b
The files are written into a temporary folder next to --out and installed only when
everything succeeded, by one folder swap that keeps the other files of --out (so a kill at
any moment leaves the whole previous report or the whole new one); on any failure the previous
report is untouched, and a killed run's leftovers are removed by the next. Two runs give the
same bytes (timings are printed here, never written into the files). Without pdflatex
(Debian: texlive-latex-base texlive-latex-recommended) the PDF is skipped with a note.
\b
Exit status: 0 every theorem proved, 1 a theorem is contradicted (the report is still
written and shows where), 2 bad input or the report could not be written (one line).
"""


@click.command(cls=SymconvCommand, epilog=EPILOG,
               short_help="The full report: LaTeX/PDF, index.md and figures, into reports/.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("reports"),
              show_default=True, help="Folder to write the report into.")
@click.option("--no-pdf", "no_pdf", is_flag=True, help="Do not run pdflatex.")
@click.option("--grid", type=click.Choice(["small", "full"]), default="small",
              show_default=True, help="Size of the exhaustive instance grid.")
@click.option("--proofs", "proofs_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of theorem modules (default: proofs/ next to the package).")
@seed_option("Seed of the numeric cross-checks.")
def report(out: Path, no_pdf: bool, grid: str, proofs_dir: Path | None, seed: int) -> None:
    """Run the theorem catalogue and the coverage analyses and write the report: LaTeX (and
    PDF), index.md and the figures."""
    from symconv.report.build import ReportError, write_report
    from symconv.report.theorem_text import render_table
    from symconv.theory.runner import select

    start = time.perf_counter()
    theorems = select(proofs_dir, ())
    err = sys.stderr  # click.get_text_stream is deprecated from click 8.5
    try:
        if err.isatty():  # a progress bar for people; scripts get stdout and one-line errors
            with click.progressbar(length=len(theorems), label="proving", file=err,
                                   show_pos=True) as bar:
                outcome = write_report(out, grid=grid, seed=seed, pdf=not no_pdf,
                                       theorems=theorems, on_done=lambda _: bar.update(1))
        else:
            outcome = write_report(out, grid=grid, seed=seed, pdf=not no_pdf,
                                   theorems=theorems)
    except ReportError as exc:
        raise OneLineError(str(exc)) from None
    data = outcome.data
    proved = sum(r.ok for r in data.results)
    click.echo(f"symconv report: {proved} of {len(data.results)} theorems proved "
               f"(grid {grid}, seed {seed})")
    click.echo(render_table(data.results))
    for tid, relation in data.failed_examples:
        click.echo(f"example of {tid} does NOT hold: {relation}")
    click.echo(f"\nwritten to {out}/:")
    for name in outcome.files:
        click.echo(f"  {out / name}")
    click.echo(f"PDF: {outcome.pdf}")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
    click.echo(f"time: {stages}; total {time.perf_counter() - start:.1f} s")
    if not data.ok:
        raise SystemExit(1)
