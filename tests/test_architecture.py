"""The layout is the architecture (docs/ARCHITECTURE.md): one package per domain at the top of
``symconv/``, imports flowing one way as the document's dependency table says, and no import
cycle between any two modules (imports inside functions and under ``TYPE_CHECKING`` count)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "symconv"
ALLOWED_FILES = {"__init__.py", "__main__.py", "errors.py", "_params.py", "py.typed"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def imports(name: str) -> set[str]:
    """The symconv modules ``name`` imports anywhere in its body.  ``from pkg import mod``
    counts as importing ``pkg.mod`` (not ``pkg``) when every imported name is a module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "symconv":
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            found.update(subs if len(subs) == len(node.names) else [target])
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "symconv")
    return {f for f in found if f != name}


GRAPH = {name: imports(name) for name in MODULES}


def domain(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "symconv"


def documented_rules() -> dict[str, set[str]]:
    """The ``| `package` | holds | may import |`` rows of docs/ARCHITECTURE.md."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rules: dict[str, set[str]] = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([\w]+)` \|.*\| ([^|]*) \|$", line)
        if m:
            rules[m.group(1)] = set(re.findall(r"`([\w]+)`", m.group(2)))
    return rules


def test_top_level_is_one_package_per_domain() -> None:
    loose = sorted(p.name for p in PKG.iterdir()
                   if p.name not in ALLOWED_FILES and p.name != "__pycache__"
                   and not (p.is_dir() and (p / "__init__.py").is_file()))
    assert loose == [], f"not a domain package: {loose}"


def test_every_domain_is_documented() -> None:
    rules = documented_rules()
    domains = {domain(m) for m in MODULES}
    assert domains <= set(rules), f"undocumented: {sorted(domains - set(rules))}"
    assert set(rules) <= domains, f"documented but absent: {sorted(set(rules) - domains)}"


def test_imports_follow_the_documented_direction() -> None:
    rules = documented_rules()
    wrong: dict[str, set[str]] = defaultdict(set)
    for name, targets in GRAPH.items():
        for t in targets:
            a, b = domain(name), domain(t)
            if a != b and b not in rules[a]:
                wrong[f"{a} -> {b}"].add(f"{name} imports {t}")
    assert not wrong, "\n".join(f"{k}: {sorted(v)[:3]}" for k, v in sorted(wrong.items()))


def test_documented_direction_is_acyclic() -> None:
    rules = documented_rules()
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(d: str, path: tuple[str, ...]) -> None:
        if state.get(d) == 2:
            return
        assert state.get(d) != 1, f"cycle in docs/ARCHITECTURE.md: {' -> '.join((*path, d))}"
        state[d] = 1
        for e in sorted(rules.get(d, ())):
            visit(e, (*path, d))
        state[d] = 2
        order.append(d)

    for d in sorted(rules):
        visit(d, ())
    assert len(order) == len(rules)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if m not in graph:
                continue
            if state.get(m) == 1:
                return [*stack[stack.index(m):], m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_module_import_cycle() -> None:
    cycle = _cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle or [])


def test_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("old, new", [
    ("symconv.shapes", "symconv.sizes.shapes"),
    ("symconv.sizeproof", "symconv.sizes.proof"),
    ("symconv.inverse.padding", "symconv.sizes.inverse.padding"),
    ("symconv.theorem", "symconv.theory.theorem"),
    ("symconv.layer_syntax", "symconv.spec.syntax"),
    ("symconv.receptive", "symconv.coverage.receptive"),
    ("symconv.onnx_import", "symconv.network.onnx_import"),
    ("symconv.render.latex", "symconv.report.latex"),
    ("symconv.layer_facts", "symconv.report.facts"),
])
def test_moved_modules_keep_their_old_names(old: str, new: str) -> None:
    """``import symconv.shapes`` and ``symconv.shapes`` give the moved module itself (one copy,
    with its real name), so code and user theorems written against the old names keep working."""
    import importlib
    import sys

    import symconv

    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new
    assert sys.modules[old] is module
    head = old.split(".")[1]
    assert getattr(symconv, head) is sys.modules[f"symconv.{head}"]
