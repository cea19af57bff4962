"""``symconv prove`` and ``symconv explain``: run the theorem catalogue, answer the seed question."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from symconv.cli._common import SymconvCommand, dump_json
from symconv.cli._seed import seed_option

PROVE_EPILOG = """\b
Examples:
  symconv prove                      # the whole catalogue on the small grid
  symconv prove T02 T12 --grid full  # two theorems, exhaustive bigger grid
  symconv prove --list               # ids, titles and statements
  symconv prove --json > proofs.json
  symconv prove --proofs my_theorems/   # your own folder of theorem modules
Exit status: 0 all proved, 1 a result contradicts its statement, 2 bad input.
"""


@click.command(cls=SymconvCommand, epilog=PROVE_EPILOG)
@click.argument("ids", nargs=-1)
@click.option("--list", "list_only", is_flag=True, help="List the theorems and exit.")
@click.option("--grid", type=click.Choice(["small", "full"]), default="small", show_default=True,
              help="Size of the exhaustive instance grid.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable results.")
@click.option("--proofs", "proofs_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of theorem modules (default: proofs/ next to the package).")
@seed_option("Seed of the numeric cross-checks.")
@click.option("--details", is_flag=True, help="Print derivation steps and counterexamples.")
def prove(ids: tuple[str, ...], list_only: bool, grid: str, as_json: bool,
          proofs_dir: Path | None, seed: int, details: bool) -> None:
    """Prove the theorem catalogue: derivations, exact instances, numeric cross-checks."""
    from symconv.report.theorem_text import (
        render_details,
        render_list,
        render_table,
        results_json,
    )
    from symconv.theory.runner import run_catalogue, select

    theorems = select(proofs_dir, ids)
    if list_only:
        click.echo(render_list(theorems))
        return
    with click.progressbar(length=len(theorems), label="proving", file=sys.stderr,
                           show_pos=True) as bar:
        results = run_catalogue(theorems, grid=grid, seed=seed, on_done=lambda _: bar.update(1))
    if as_json:
        click.echo(dump_json(results_json(results)), nl=False)
    else:
        click.echo(render_table(results))
        if details:
            for r in results:
                click.echo("\n" + render_details(r))
        else:
            for r in results:
                if not r.ok:
                    click.echo("\n" + render_details(r))
    if not all(r.ok for r in results):
        raise SystemExit(1)


EXPLAIN_EPILOG = """\b
Examples:
  symconv explain upsampling
  symconv explain upsampling --verify   # run the theorems it cites
"""


@click.command(cls=SymconvCommand, epilog=EXPLAIN_EPILOG)
@click.argument("topic", type=click.Choice(["upsampling"]))
@click.option("--verify", is_flag=True, help="Run the cited theorems and show their verdicts.")
@click.option("--proofs", "proofs_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of theorem modules (default: proofs/ next to the package).")
def explain(topic: str, verify: bool, proofs_dir: Path | None) -> None:
    """The short, exact answer to a question, each claim pointing to its theorem."""
    from symconv.report.explain import UPSAMPLING_ANSWER, cited_ids, render_answer

    verdicts: dict[str, str] = {}
    if verify:
        from symconv.theory.runner import run_catalogue, select

        wanted = cited_ids(UPSAMPLING_ANSWER)
        theorems = select(proofs_dir, ())
        chosen = [t for t in theorems if t.id in wanted]
        verdicts = {r.theorem.id: r.verdict for r in run_catalogue(chosen)}
    click.echo(render_answer(UPSAMPLING_ANSWER, verdicts))
    if verify and any(v != "proved" for v in verdicts.values()):
        raise SystemExit(1)
