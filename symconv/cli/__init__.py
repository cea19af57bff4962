"""The ``symconv`` command line: thin commands that parse, call one library function, render.

Exit codes: 0 success, 1 a check failed, 2 bad input (one line on stderr, no traceback).
Commands are registered lazily (``add_lazy_command``): a command's module is imported only when
that command runs or ``--help`` lists it, so start-up stays fast.
"""

from __future__ import annotations

import click

from symconv import __version__
from symconv.cli._common import SymconvGroup


@click.group(cls=SymconvGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="symconv")
def cli() -> None:
    """Exact convolution arithmetic: shapes, matrices, proofs and reports."""


cli.add_lazy_command("shape", "symconv.cli.shape:shape")
cli.add_lazy_command("matrix", "symconv.cli.matrix:matrix")
cli.add_lazy_command("prove", "symconv.cli.prove:prove")
cli.add_lazy_command("explain", "symconv.cli.prove:explain")
cli.add_lazy_command("coverage", "symconv.cli.coverage:coverage")
cli.add_lazy_command("report", "symconv.cli.report:report")
cli.add_lazy_command("latex", "symconv.cli.latex:latex")
cli.add_lazy_command("review", "symconv.cli.review:review")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="symconv")
