"""``symconv coverage``: checkerboard analysis of a stack of layers written in the layer syntax."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from symconv.cli._common import OneLineError, SymconvCommand, dump_json, parse_sizes

EPILOG = """\b
Layer syntax (one --layer per layer, applied in order):
  conv k=3 s=2 p=1 d=1          conv-transpose k=4 s=2 p=1 op=0 d=1
  avg-pool k=2 [s=2] [ceil]     max-pool k=3 s=2 p=1
  upsample-nearest f=2          upsample-linear f=2 [align_corners]
  pixel-shuffle r=2             pixel-unshuffle r=2
  adaptive-avg-pool o=7x7       adaptive-max-pool o=nonex7 (none keeps an axis)
  global-avg-pool               global-max-pool
  per axis: k=3x5, p=1:2 (before:after), p=same; factors 2, 3/2 or 1.5 (exact)
\b
Examples:
  symconv coverage --layer "conv-transpose k=3 s=2" --layer "conv-transpose k=4 s=2" --in 16x16
  symconv coverage --layer "conv-transpose k=3 s=2 p=1 op=1" --in 8 --png cov.png
  symconv coverage --layer "conv k=3 s=2 p=1" --in 32x32 --json      # gradient checkerboard
  symconv coverage --layer "upsample-nearest f=2" --layer "conv k=3 p=1" --in 16x16 --check
  symconv coverage --layer "conv-transpose k=3 s=2" --in 6 --dot g.dot --graphml g.graphml
  symconv coverage --layer "conv k=3 p=1" --layer "adaptive-avg-pool o=3" --in 10
\b
Exit status: 0 analysed (1 with --check when the stack's output coverage is uneven),
2 bad input (a bad layer text names the column of the error).
"""


def _write_atomic(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and
    ``os.replace`` (readers never see a half-written file)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OneLineError(f"{option}={str(path)!r} must be in a writable folder: "
                           f"{exc.strerror}") from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OneLineError(f"{option}={str(path)!r} could not be written: {exc.strerror}") from None


@click.command(cls=SymconvCommand, epilog=EPILOG)
@click.option("--layer", "layers", multiple=True, required=True, metavar="TEXT",
              help='One layer, e.g. "conv-transpose k=4 s=2 p=1" (repeat, first to last).')
@click.option("--in", "input_size", required=True, metavar="SIZE",
              help="Spatial input size: 16 (1-D) or 16x16.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coverage picture (bars / heatmaps per layer) to this PNG file.")
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coverage graph as GraphML.")
@click.option("--dot", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coverage graph as Graphviz DOT.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable analysis.")
@click.option("--check", is_flag=True, help="Exit 1 when the stack's output coverage is uneven.")
def coverage(layers: tuple[str, ...], input_size: str, png: Path | None, graphml: Path | None,
             dot: Path | None, as_json: bool, check: bool) -> None:
    """Where do a stack's overlaps make checkerboards?  Forward, stack and gradient coverage,
    the repeating pattern, and the nearest even kernels."""
    from symconv.coverage import analyze
    from symconv.spec.syntax import parse_layers

    analysis = analyze(parse_layers(layers), parse_sizes(input_size))
    if png is not None:
        from symconv.coverage.figures import analysis_png

        _write_atomic(png, analysis_png(analysis), "--png")
    if graphml is not None or dot is not None:
        from symconv.coverage.graph import graph_from_maps, to_dot, to_graphml

        graph = graph_from_maps(analysis.coverage.maps)
        counts = analysis.coverage.forward
        if graphml is not None:
            _write_atomic(graphml, to_graphml(graph, counts), "--graphml")
        if dot is not None:
            _write_atomic(dot, to_dot(graph, counts).encode("utf-8"), "--dot")
    if as_json:
        from symconv.report.coverage_text import to_dict

        click.echo(dump_json(to_dict(analysis)), nl=False)
    else:
        from symconv.report.coverage_text import render_text

        click.echo(render_text(analysis))
    if check and not analysis.uniform:
        raise SystemExit(1)
