"""Run the ``console`` examples of the documentation and compare their output.

A fenced block whose info string is ``console`` holds one or more commands, each a line
``$ symconv ...`` followed by the exact output it prints (stdout and stderr as a terminal shows
them).  In the expected output a line ``...`` matches any number of lines, and a last line
``[exit N]`` says the command exits with status N (without it, 0 is expected).  Commands run
in-process through click's ``CliRunner`` from the repository root, with a help width of 100.

``python tests/docs_examples.py`` checks every block of README.md and docs/*.md;
``python tests/docs_examples.py --write [FILE ...]`` rewrites the output of the failing blocks
with what the commands print now (read the diff before committing it).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```console[ \t]*$")
#: ``console zoo``: an example that needs a model exported first; tests/test_zoo.py runs it
ZOO_FENCE = re.compile(r"^```console zoo[ \t]*$")
EXIT = re.compile(r"^\[exit (\d+)\]$")


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Example:
    """One command of a console block: where it is, what it runs, what it should print."""

    path: Path
    line: int  # 1-based line of the ``$`` line
    command: str
    expected: tuple[str, ...]
    exit_code: int

    @property
    def id(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{where}:{self.line}"


def _blocks(text: str, fence: re.Pattern[str] = FENCE) -> Iterator[tuple[int, int]]:
    """(first, end) line indices of the bodies of the console blocks."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if fence.match(lines[i]):
            j = i + 1
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            yield i + 1, j
            i = j
        i += 1


def examples(path: Path, fence: re.Pattern[str] = FENCE) -> list[Example]:
    """Every command of every console block of ``path`` (``fence``: which blocks)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out: list[Example] = []
    for first, end in _blocks("\n".join(lines), fence):
        body = lines[first:end]
        starts = [k for k, ln in enumerate(body) if ln.startswith("$ ")]
        if not starts or starts[0] != 0:
            raise ValueError(f"{path}:{first + 1}: a console block must start with '$ '")
        for a, b in zip(starts, [*starts[1:], len(body)], strict=True):
            expected = list(body[a + 1:b])
            while expected and not expected[-1].strip():
                expected.pop()
            code = 0
            if expected and (m := EXIT.match(expected[-1])):
                code = int(m.group(1))
                expected.pop()
            out.append(Example(path, first + a + 1, body[a][2:].strip(), tuple(expected), code))
    return out


def run(command: str, cwd: Path = ROOT) -> tuple[str, int]:
    """Output (stdout and stderr as printed) and exit status of one ``symconv`` command, run
    in ``cwd`` (the repository root by default)."""
    from click.testing import CliRunner

    from symconv.cli import cli

    argv = shlex.split(command)
    if not argv or argv[0] != "symconv":
        raise ValueError(f"not a symconv command: {command!r}")
    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, argv[1:], prog_name="symconv", terminal_width=100)
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output, result.exit_code


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Line-by-line equality (trailing blanks ignored), ``...`` matching any run of lines."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]
    # reach[j]: the first i expected lines can match the first j actual lines
    reach = [True] + [False] * len(act)
    for e in exp:
        nxt = [False] * (len(act) + 1)
        if e == "...":
            seen = False
            for j in range(len(act) + 1):
                seen = seen or reach[j]
                nxt[j] = seen
        else:
            for j in range(1, len(act) + 1):
                nxt[j] = reach[j - 1] and act[j - 1] == e
        reach = nxt
    return reach[len(act)]


def check(example: Example, cwd: Path = ROOT) -> str | None:
    """``None`` when the example holds, else a readable difference."""
    output, code = run(example.command, cwd)
    actual = output.rstrip("\n").split("\n") if output.strip() else []
    problems = []
    if code != example.exit_code:
        problems.append(f"exit status {code}, documented {example.exit_code}")
    if not matches(example.expected, actual):
        problems.append("output differs:\n--- documented\n" + "\n".join(example.expected)
                        + "\n--- actual\n" + "\n".join(actual))
    return f"{example.id}: $ {example.command}\n" + "\n".join(problems) if problems else None


def write(path: Path) -> int:
    """Rewrite the failing examples of ``path`` with their actual output; return how many."""
    lines = path.read_text(encoding="utf-8").split("\n")
    fixed = 0
    for ex in reversed(examples(path)):
        if check(ex) is None:
            continue
        output, code = run(ex.command)
        start = ex.line  # index of the first output line (0-based = 1-based line of '$')
        end = start
        while end < len(lines) and not lines[end].startswith("$ ") and lines[end].rstrip() != "```":
            end += 1
        new = output.rstrip("\n").split("\n") if output.strip() else []
        if code:
            new.append(f"[exit {code}]")
        lines[start:end] = new
        fixed += 1
    if fixed:
        path.write_text("\n".join(lines), encoding="utf-8")
    return fixed


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"]:
        files = [Path(a).resolve() for a in argv[1:]] or doc_files()
        for f in files:
            print(f"{f.relative_to(ROOT)}: {write(f)} example(s) rewritten")
        return 0
    failures = [msg for f in doc_files() for ex in examples(f) if (msg := check(ex))]
    for msg in failures:
        print(msg, end="\n\n")
    print(f"{len(failures)} failing example(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
