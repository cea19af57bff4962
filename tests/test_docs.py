"""The documentation cannot rot: every ``console`` example of README.md and docs/*.md is run
and its output compared (``tests/docs_examples.py``), the README stays a front page, and every
page the README links to exists.  (``>>>`` examples in Markdown are doctests: ``--doctest-glob``
in pyproject.toml.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_examples import ROOT, Example, check, doc_files, examples, matches

EXAMPLES = [ex for f in doc_files() for ex in examples(f)]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda ex: ex.id)
def test_console_example(example: Example) -> None:
    problem = check(example)
    assert problem is None, problem


def test_every_page_has_examples() -> None:
    """The pages that document commands show them running."""
    pages = {ex.path.name for ex in EXAMPLES}
    for name in ("README.md", "cli.md", "review.md", "CONVENTIONS.md"):
        assert name in pages, f"{name} has no console example"


def test_matcher_is_strict() -> None:
    """The comparison can fail: a changed line, a missing line and an extra line are caught;
    ``...`` stands for any run of lines, including none."""
    assert matches(("a", "b"), ["a", "b"])
    assert not matches(("a", "b"), ["a", "c"])
    assert not matches(("a", "b"), ["a"])
    assert not matches(("a",), ["a", "b"])
    assert matches(("a", "...", "d"), ["a", "b", "c", "d"])
    assert matches(("a", "...", "d"), ["a", "d"])
    assert not matches(("a", "...", "d"), ["a", "b", "c"])


def test_a_wrong_example_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```console\n$ symconv shape conv --in 8 --kernel 3\nlayer: nothing\n```\n"
                    "```console\n$ symconv shape conv --in 0 --kernel 3\n```\n")
    found = examples(page)
    assert [ex.exit_code for ex in found] == [0, 0]
    assert all(check(ex) is not None for ex in found)  # wrong output; undocumented exit 2


def test_readme_is_a_front_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 12 * 1024, "README.md over 12 KB: move reference to docs/"
    quick = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert commands == [
        "pip install -e . && symconv report",
        'pip install torch==2.13.0 && pip install -e ".[test,onnx,torch]" && python -m pytest',
    ]


def test_links_resolve() -> None:
    """Relative links of README.md and docs/*.md point at files that exist."""
    for page in doc_files():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
