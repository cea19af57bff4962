"""``symconv latex``: the derivation of one layer configuration as a LaTeX document."""

from __future__ import annotations

from typing import Any

import click

from symconv.cli._common import INT, SymconvCommand
from symconv.cli._layer_options import build_layer, layer_options
from symconv.cli._seed import seed_option

LAYERS = ("conv", "conv-transpose", "max-pool", "avg-pool", "max-unpool", "resize", "upsample",
          "pixel-shuffle", "pixel-unshuffle", "adaptive-avg-pool", "adaptive-max-pool",
          "global-avg-pool", "global-max-pool")

EPILOG = """\b
Examples:
  symconv latex conv-transpose --in 3 --kernel 3 --stride 2 --padding 1 > convT.tex
  symconv latex conv --in 6 --kernel 3 --stride 2 --padding 1 --fragment
  symconv latex conv --in 4x4 --kernel 3 --channels 2 --out-channels 2 --groups 2
  symconv latex avg-pool --in 5 --kernel 2
  symconv latex max-unpool --in 3 --kernel 2
  symconv latex upsample --in 3 --scale 2 --mode linear
  symconv latex pixel-shuffle --in 3 --factor 2
  symconv latex adaptive-avg-pool --in 5 --size 3
  symconv latex adaptive-max-pool --in 4x6 --size nonex4
  symconv latex global-avg-pool --in 4x4
\b
Writes to stdout a standalone document (pdflatex-ready: amsmath, amssymb, graphicx, array,
longtable, geometry, hyperref) or, with --fragment, a body to paste into a paper that loads
amsmath, amssymb and array: the output-size formula and its value, the layer's exact matrix
(large ones elided), its transpose, the equivalent direct convolution with the flipped kernel,
the gradient operators and the coverage pattern. Every statement is verified for this
configuration (exact map equality or exact integer arithmetic on seeded data) and cites the
theorem that proves it in general.
\b
Value syntax as in 'symconv shape' (sizes 6 or 4x4, per-axis 3x5, padding 1, 1:2, same).
The derivation's maps are estimated before anything is built and refused beyond --max-nnz
entries or --max-memory bytes (a derivation is meant for sizes you can read).
Exit status: 0 written, 1 a statement failed its check (marked FAILED), 2 bad input.
"""


@click.command(cls=SymconvCommand, epilog=EPILOG,
               short_help="A LaTeX derivation of one layer configuration.")
@layer_options(LAYERS, required={"in"}, help_texts={
    "in": "Input spatial size(s): 6 or 4x4.",
    "kernel": "Kernel size: 3 or 3x5.",
    "channels": "Input channels (default: the fewest that fit).",
    "scale": "Resize scale factor: 2, 3/2, 2x3, or a decimal such as 1.5 (taken exactly, as 3/2).",
})
@click.option("--fragment", is_flag=True, help="A body to paste into a document (no preamble).")
@seed_option("Seed of the data the checks use.")
@click.option("--max-nnz", type=INT, metavar="N",
              help="Entry budget of the derivation's maps (default 10,000,000).")
@click.option("--max-memory", metavar="BYTES",
              help="Memory budget of the whole command: 4000000000, 512MiB, 3.5GiB (default "
                   "3.5GiB, which fits a 4 GiB address-space limit).")
def latex(layer: str, fragment: bool, seed: int, max_nnz: int | None, max_memory: str | None,
          **options: Any) -> None:
    """A LaTeX derivation of one LAYER configuration: conv, conv-transpose, max-pool, avg-pool,
    max-unpool, resize (or upsample), pixel-shuffle, pixel-unshuffle, adaptive-avg-pool,
    adaptive-max-pool, global-avg-pool, global-max-pool."""
    from symconv.cli.matrix import parse_memory
    from symconv.cli.shape import Query
    from symconv.errors import InvalidSpecError
    from symconv.report.facts import layer_facts

    if max_nnz is not None and max_nnz < 1:
        raise InvalidSpecError(f"--max-nnz={max_nnz} must be a positive integer")
    memory = parse_memory(max_memory) if max_memory is not None else None
    from symconv.report.latex import layer_document

    # a derivation is symbolic: a decimal scale is the exact fraction it spells
    query = Query.from_options(layer, exact_decimals=True, **options)
    spec = build_layer(query.command, query.params, query.convention)
    assert query.sizes is not None  # --in is required
    facts = layer_facts(spec, query.sizes, channels=query.params.get("channels"),
                        out_channels=query.params.get("out_channels"), seed=seed,
                        max_nnz=max_nnz, max_memory=memory)
    click.echo(layer_document(facts, fragment=fragment), nl=False)
    if not facts.ok:
        raise SystemExit(1)
