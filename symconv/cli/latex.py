"""``symconv latex``: the derivation of one layer configuration as a LaTeX document."""

from __future__ import annotations

from typing import Any

import click

from symconv.cli._common import SymconvCommand

LAYERS = ("conv", "conv-transpose", "max-pool", "avg-pool", "max-unpool", "resize", "upsample",
          "pixel-shuffle", "pixel-unshuffle")

EPILOG = """\b
Examples:
  symconv latex conv-transpose --in 3 --kernel 3 --stride 2 --padding 1 > convT.tex
  symconv latex conv --in 6 --kernel 3 --stride 2 --padding 1 --fragment
  symconv latex conv --in 4x4 --kernel 3 --channels 2 --out-channels 2 --groups 2
  symconv latex avg-pool --in 5 --kernel 2
  symconv latex max-unpool --in 3 --kernel 2
  symconv latex upsample --in 3 --scale 2 --mode linear
  symconv latex pixel-shuffle --in 3 --factor 2
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
Exit status: 0 written, 1 a statement failed its check (marked FAILED), 2 bad input.
"""


@click.command(cls=SymconvCommand, epilog=EPILOG,
               short_help="A LaTeX derivation of one layer configuration.")
@click.argument("layer", type=click.Choice(LAYERS, case_sensitive=False), metavar="LAYER")
@click.option("--in", "in_", metavar="SIZES", required=True,
              help="Input spatial size(s): 6 or 4x4.")
@click.option("--kernel", metavar="K", help="Kernel size: 3 or 3x5.")
@click.option("--stride", metavar="S", help="Stride (pooling: defaults to the kernel).")
@click.option("--padding", metavar="P", help="Padding: 1, 1x2, 1:2, 1:2x0:1 or a name.")
@click.option("--dilation", metavar="D", help="Dilation.")
@click.option("--output-padding", metavar="OP", help="Output padding (conv-transpose).")
@click.option("--groups", type=int, help="Groups (conv, conv-transpose).")
@click.option("--channels", type=int, help="Input channels (default: the fewest that fit).")
@click.option("--out-channels", type=int, help="Output channels (conv, conv-transpose).")
@click.option("--ceil-mode", is_flag=True, default=False, help="Ceil mode (pooling).")
@click.option("--count-include-pad/--no-count-include-pad", default=None,
              help="Average pooling: count padded positions (default: the convention's).")
@click.option("--scale", metavar="F", help="Resize scale factor: 2, 3/2 or 2x3.")
@click.option("--size", metavar="SIZES", help="Requested output size (resize, max-unpool).")
@click.option("--mode", type=click.Choice(["nearest", "nearest-exact", "linear"]),
              help="Resize mode (default nearest).")
@click.option("--align-corners", is_flag=True, default=None, help="Linear resize: align corners.")
@click.option("--factor", type=int, help="Pixel (un)shuffle factor.")
@click.option("--convention", type=click.Choice(["torch", "onnx", "tensorflow", "keras", "jax"],
                                                case_sensitive=False),
              default="torch", show_default=True, help="Framework whose rules apply.")
@click.option("--fragment", is_flag=True, help="A body to paste into a document (no preamble).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the data the checks use.")
def latex(layer: str, fragment: bool, seed: int, **options: Any) -> None:
    """A LaTeX derivation of one LAYER configuration: conv, conv-transpose, max-pool, avg-pool,
    max-unpool, resize (or upsample), pixel-shuffle, pixel-unshuffle."""
    from symconv.cli.shape import Query, make_layer
    from symconv.layer_facts import layer_facts
    from symconv.render.latex import layer_document

    query = Query.from_options(layer, **options)
    spec = make_layer(query, query.convention)
    assert query.sizes is not None  # --in is required
    facts = layer_facts(spec, query.sizes, channels=query.params.get("channels"),
                        out_channels=query.params.get("out_channels"), seed=seed)
    click.echo(layer_document(facts, fragment=fragment), nl=False)
    if not facts.ok:
        raise SystemExit(1)
