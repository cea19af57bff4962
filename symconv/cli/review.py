"""``symconv review``: design review of a network file (YAML, JSON, TOML), an ONNX model, a Keras
model (``.keras`` or its JSON config) or a PyTorch module (``pkg.module:Name`` / ``path/to/file.py:Name``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from symconv.cli._common import SymconvCommand, dump_json, parse_sizes

if TYPE_CHECKING:
    from symconv.network.model import Network

EPILOG = """\b
Examples:
  symconv review symconv/network/examples/unet.yaml --symbolic     # valid sizes: H = 0 mod 16
  symconv review symconv/network/examples/unet.yaml --input 256x256
  symconv review symconv/network/examples/autoencoder.yaml --input 100x100 --fail-on warning
  symconv review model.onnx --json                          # needs symconv[onnx]
  symconv review unet.yaml --fail-on warning --ignore SC208,SC301   # accepted findings
  symconv review model.onnx --restores dec1=x --no-restore up3      # restores from outside
  symconv review mypkg.models:UNet --kwargs '{"depth": 4}'   # a PyTorch module (needs torch)
  symconv review path/to/model.py:build_model                # a class or factory in a file
  symconv review model.keras                # a Keras model (.keras or to_json()), read as data
\b
A PyTorch MODULE:NAME is imported, which runs its code (that is what naming it asks for); it
is then run on example inputs under a recorder. Files (YAML, JSON, TOML, ONNX, Keras) are only read,
never executed.
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
@click.argument("file", metavar="FILE|MODULE:NAME")
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
@click.option("--kwargs", "kwargs_json", metavar="JSON", default=None,
              help="Keyword arguments (a JSON object) for the class or factory MODULE:NAME "
                   "names, e.g. '{\"in_channels\": 1}'.")
@click.pass_context
def review(ctx: click.Context, file: str, input_size: str | None, symbolic: bool,
           as_json: bool, fail_on: str, ignore: str, restores: tuple[str, ...],
           no_restore: tuple[str, ...], kwargs_json: str | None) -> None:
    """Which input sizes a network accepts, exactly; whether skips and decoders line up; what
    will go wrong when it is trained or exported."""
    from symconv.report.review_text import render_text, to_dict
    from symconv.review import review as run_review

    if symbolic and input_size is not None:
        raise click.UsageError("--input and --symbolic are mutually exclusive")
    size = None if input_size is None else parse_sizes(input_size, option="--input")
    network = _load(file, kwargs_json)
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


def _load(file: str, kwargs_json: str | None) -> Network:
    """The network ``file`` names: a network file, an ONNX model, or ``MODULE:NAME`` (a
    PyTorch module, imported: its code runs)."""
    import os

    is_target = ":" in file and not os.path.exists(file) and not (
        len(file) > 2 and file[1] == ":" and file[0].isalpha() and file.count(":") == 1)
    if kwargs_json is not None and not is_target:
        raise click.BadParameter("must only be given with MODULE:NAME (a PyTorch class or "
                                 "factory)", param_hint="--kwargs")
    if is_target:
        from symconv.network.torch_import import load_torch

        kwargs = None
        if kwargs_json is not None:
            import json

            try:
                kwargs = json.loads(kwargs_json)
            except json.JSONDecodeError as exc:
                shown = kwargs_json if len(kwargs_json) <= 60 else kwargs_json[:60] + "..."
                raise click.BadParameter(f"{shown!r} must be a JSON object ({exc.msg})",
                                         param_hint="--kwargs") from None
            if not isinstance(kwargs, dict):
                raise click.BadParameter(f"{kwargs_json[:60]!r} must be a JSON object",
                                         param_hint="--kwargs")
        return load_torch(file, kwargs)
    lower = file.lower()
    if lower.endswith(".onnx"):
        from symconv.network.onnx_import import load_onnx

        return load_onnx(file)
    if lower.endswith(".keras") or (lower.endswith(".json") and _is_keras_json(file)):
        from symconv.network.keras_import import load_keras

        return load_keras(file)
    from symconv.network.model import load

    return load(file)


#: Largest JSON file looked into to tell a Keras config from a network file.
_SNIFF_LIMIT = 64 << 20


def _is_keras_json(file: str) -> bool:
    """Whether the JSON file is a Keras model config (else a symconv network file; anything
    unreadable is left to the network-file loader, which says why in one line)."""
    import json
    import os

    from symconv.network.keras_import import is_keras_json

    try:
        if os.path.getsize(file) > _SNIFF_LIMIT:
            return False
        with open(file, "rb") as fh:
            return is_keras_json(json.loads(fh.read()))
    except (OSError, ValueError, RecursionError):
        return False
