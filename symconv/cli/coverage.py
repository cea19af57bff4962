"""``symconv coverage``: checkerboard analysis of a stack of layers written in the layer syntax."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click

from symconv.cli._common import INT, OneLineError, SymconvCommand, dump_json, parse_sizes

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
Budgets (checked before anything is allocated, from the sizes and the parameters):
  --max-nnz    structure-map entries + positions of the analysis
               (default 40,000,000: about 2 GiB and 10 s at most)
  --max-graph  nodes + edges of a --graphml/--dot export (default 3,000,000: about 5 s)
\b
Exit status: 0 analysed (1 with --check when the stack's output coverage is uneven),
2 bad input or over a budget (a bad layer text names the column of the error).
"""


def _write_atomic(path: Path, data: bytes | Iterable[str], option: str) -> None:
    """Write ``data`` (bytes, or text chunks streamed as UTF-8) to ``path`` through a
    temporary file in the same folder and ``os.replace`` (readers never see a half-written
    file; an error or an interrupt removes the temporary file)."""
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
            if isinstance(data, bytes):
                handle.write(data)
            else:
                for chunk in data:
                    handle.write(chunk.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OneLineError(f"{option}={str(path)!r} could not be written: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
@click.option("--max-nnz", type=INT, metavar="N",
              help="Entry budget of the analysis: structure-map entries + positions "
                   "(default 40,000,000).")
@click.option("--max-graph", type=INT, metavar="N",
              help="Budget of a --graphml/--dot export: nodes + edges (default 3,000,000).")
def coverage(layers: tuple[str, ...], input_size: str, png: Path | None, graphml: Path | None,
             dot: Path | None, as_json: bool, check: bool, max_nnz: int | None,
             max_graph: int | None) -> None:
    """Where do a stack's overlaps make checkerboards?  Forward, stack and gradient coverage,
    the repeating pattern, and the nearest even kernels."""
    from symconv.coverage import analyze
    from symconv.coverage.budget import check_analysis, check_graph, plan
    from symconv.spec.syntax import parse_layers

    for name, value in (("--max-nnz", max_nnz), ("--max-graph", max_graph)):
        if value is not None and value < 1:
            raise OneLineError(f"{name}={value} must be a positive integer")
    stack = parse_layers(layers)
    # every budget is checked before the first array is made
    planned = check_analysis(plan(stack, parse_sizes(input_size)), max_nnz, png=png is not None)
    if graphml is not None or dot is not None:
        check_graph(planned, max_graph)
    try:
        analysis = analyze(stack, planned.input_size, max_nnz=max_nnz)
        if png is not None:
            from symconv.coverage.figures import analysis_png

            _write_atomic(png, analysis_png(analysis), "--png")
        if graphml is not None or dot is not None:
            from symconv.coverage.export import iter_dot, iter_graphml

            maps, counts = analysis.coverage.maps, analysis.coverage.forward
            if graphml is not None:
                _write_atomic(graphml, iter_graphml(maps, counts), "--graphml")
            if dot is not None:
                _write_atomic(dot, iter_dot(maps, counts), "--dot")
    except MemoryError:
        raise OneLineError(
            f"the coverage analysis ran out of memory (estimated {planned.entries:,} entries, "
            f"about {planned.nbytes(png is not None) >> 20:,} MiB, within --max-nnz); lower "
            "--max-nnz or --max-graph to be refused early, or use a smaller --in"
        ) from None
    if as_json:
        from symconv.report.coverage_text import to_dict

        click.echo(dump_json(to_dict(analysis)), nl=False)
    else:
        from symconv.report.coverage_text import render_text

        click.echo(render_text(analysis))
    if check and not analysis.uniform:
        raise SystemExit(1)
