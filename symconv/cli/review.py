"""``symconv review``: design review of a network file (YAML, JSON, TOML) or an ONNX model."""

from __future__ import annotations

import click

from symconv.cli._common import SymconvCommand, dump_json, parse_sizes

EPILOG = """\b
Examples:
  symconv review symconv/network/examples/unet.yaml --symbolic     # valid sizes: H = 0 mod 16
  symconv review symconv/network/examples/unet.yaml --input 256x256
  symconv review symconv/network/examples/autoencoder.yaml --input 100x100 --fail-on warning
  symconv review model.onnx --json                          # needs symconv[onnx]
  symconv review unet.yaml --fail-on warning --ignore SC208,SC301   # accepted findings
  symconv review model.onnx --restores dec1=x --no-restore up3      # restores from outside
\b
Findings have stable codes: SC001-SC006 errors (a layer rejects the input, a skip or a
restore does not match at the given size, no valid size, channel mismatch, a size-1 input
that is broadcast at this size only), SC101-SC301
warnings (checkerboard risk, SAME asymmetry, ceil-mode, count_include_pad, output_padding,
resize modes, max-unpool indices, decoder restores, skip constraints, inferred restores,
receptive field, a part of the model not analysed).
\b
Restores: `restores: NAME` on a layer declares the size it must give back (SC207/SC005);
without it, up-sampling layers are paired with the down-sampling layer they mirror and checked
as warnings (SC209); `restores: false` opts a layer out. --restores LAYER=TARGET and
--no-restore LAYER do the same from the command line (ONNX models have no such field). A restore that holds for some sizes
only gets a per-residue table (size, target, difference, output_padding that fixes the class)
and fixes that were each checked for every valid size.
\b
Exit status: 0 reviewed, 1 errors found (or warnings, with --fail-on warning),
2 bad file or options (one line on stderr).
"""


@click.command(cls=SymconvCommand, epilog=EPILOG)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--input", "input_size", metavar="SIZE",
              help="Evaluate at this spatial input size, e.g. 256x256.")
@click.option("--symbolic", is_flag=True,
              help="Formulas only, even when the file gives integer sizes.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable review.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True, help="Exit 1 on errors only, or on warnings too.")
@click.option("--ignore", metavar="CODES", default="",
              help="Comma-separated finding codes to drop, e.g. SC208,SC301.")
@click.option("--restores", "restores", metavar="LAYER=TARGET", multiple=True,
              help="Declare that LAYER's output must have TARGET's spatial size (as "
                   "`restores:` in a network file; for ONNX models). Repeatable.")
@click.option("--no-restore", "no_restore", metavar="LAYER", multiple=True,
              help="LAYER restores nothing: no inferred restore check for it (as "
                   "`restores: false`). Repeatable.")
@click.pass_context
def review(ctx: click.Context, file: str, input_size: str | None, symbolic: bool,
           as_json: bool, fail_on: str, ignore: str, restores: tuple[str, ...],
           no_restore: tuple[str, ...]) -> None:
    """Which input sizes a network accepts, exactly; whether skips and decoders line up; what
    will go wrong when it is trained or exported."""
    from symconv.report.review_text import render_text, to_dict
    from symconv.review import review as run_review

    if symbolic and input_size is not None:
        raise click.UsageError("--input and --symbolic are mutually exclusive")
    size = None if input_size is None else parse_sizes(input_size, option="--input")
    if file.lower().endswith(".onnx"):
        from symconv.network.onnx_import import load_onnx

        network = load_onnx(file)
    else:
        from symconv.network.model import load

        network = load(file)
    if restores or no_restore:
        from symconv.network.model import with_restores

        declared: dict[str, str] = {}
        for item in restores:
            layer, eq, target = item.partition("=")
            if not eq or not layer.strip() or not target.strip():
                shown = item if len(item) <= 60 else item[:60] + "..."
                raise click.BadParameter(f"{shown!r} must be LAYER=TARGET",
                                         param_hint="--restores")
            declared[layer.strip()] = target.strip()
        network = with_restores(network, declared, [n.strip() for n in no_restore])
    codes = [c.strip().upper() for c in ignore.split(",") if c.strip()]
    result = run_review(network, size, symbolic=symbolic).without(codes)
    click.echo(dump_json(to_dict(result)) if as_json else render_text(result),
               nl=not as_json)
    failed = result.errors or (fail_on == "warning" and result.warnings)
    ctx.exit(1 if failed else 0)
