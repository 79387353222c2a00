"""How the package's modules depend on each other, read from their import statements (every one,
at any depth of a module, with ``ast``): no cycles, chapters import only the book-facing API, and
no book-facing layer imports the build and run machinery (so editing it re-executes no chapter)."""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import nbformat
import pytest

from rare_earths import CHAPTERS
from rare_earths.build.paths import chapter_path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "rare_earths"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(name: str, path: Path) -> set[str]:
    """The rare_earths modules that ``name`` imports anywhere in its source."""
    modules = _modules()
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in modules}
    return out - {name}


@cache
def import_graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imported(name, path)) for name, path in _modules().items()}


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert len(graph) > 50
    assert "rare_earths.numbers.registry" in graph["rare_earths.numbers"]  # from pkg.sub import name, in __init__
    assert "rare_earths.format" in graph["rare_earths.numbers.model"]  # module level
    assert "rare_earths.data.load" in graph["rare_earths.numbers.model"]  # inside a method
    assert "rare_earths.figures" in graph["rare_earths.book"]  # inside a function
    assert _cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) \
        == [["a", "b", "c"]]


def test_no_import_cycles_among_the_modules():
    assert _cycles(import_graph()) == []


#: The layers chapters, the CLI's book-facing commands and the figures use: none may import the
#: build and run machinery (rare_earths.build), which no chapter may depend on.
BOOK_FACING = ("rare_earths.book", "rare_earths.numbers", "rare_earths.analysis", "rare_earths.data",
               "rare_earths.params", "rare_earths.figures", "rare_earths.format", "rare_earths.edition")


def test_no_book_facing_module_imports_the_build_machinery():
    offenders = {name: sorted(i for i in imports if i == "rare_earths.build" or i.startswith("rare_earths.build."))
                 for name, imports in import_graph().items()
                 if any(name == layer or name.startswith(layer + ".") for layer in BOOK_FACING)}
    assert {name: found for name, found in offenders.items() if found} == {}


def _chapter_imports(chapter: str) -> set[str]:
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                assert not node.level, f"{chapter}: relative import"
                found.add(node.module)
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapters_import_only_the_book_api(chapter):
    def allowed(module: str) -> bool:
        top = module.split(".")[0]
        return (module == "rare_earths.book" or module == "rare_earths.figures"
                or module.startswith("rare_earths.figures.") or top == "IPython"
                or (top in sys.stdlib_module_names and top != "rare_earths"))

    imports = _chapter_imports(chapter)
    assert any(m == "rare_earths.book" for m in imports), f"{chapter}: does not use the chapter API"
    assert sorted(m for m in imports if not allowed(m)) == [], chapter
