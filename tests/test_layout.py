"""The README's layout section matches the tree: every top-level path and every module of the
package is named in its table, and nothing the tables name is missing."""

from __future__ import annotations

import re
import subprocess

import pytest

from support import ROOT

PACKAGE = ROOT / "src" / "rare_earths"
#: Top-level files every Python project has, which the layout table need not explain.
PLAIN = {"README.md", "pyproject.toml"}


def _table(heading_row: str) -> dict[str, str]:
    """The README table that starts with ``heading_row``: first cell -> second cell."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(heading_row)
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        first, rest = line.strip("|").split("|", 1)
        rows[first.strip()] = rest.strip()
    return rows


def _named(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def test_every_top_level_path_is_in_the_layout_table():
    paths = set()
    for first in _table("| path | what it holds |"):
        paths |= {n.rstrip("/") for n in _named(first)}
    named = {p.split("/", 1)[0] for p in paths}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    top = {line.split("/", 1)[0] for line in tracked.splitlines() if line}
    expected = {p for p in top if not p.startswith(".")} - PLAIN
    assert expected - named == set(), "top-level paths the README's layout table does not explain"
    assert {p for p in paths if not (ROOT / p).exists()} == set(), "the layout table names paths that do not exist"


def _module_rows() -> dict[str, str]:
    return _table("| module | concern |")


def test_every_package_folder_has_a_row():
    rows = _module_rows()
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert {f"`{f}/`" for f in folders} - set(rows) == set()
    assert {r for r in rows if r.endswith("/`") and r.strip("`/") not in folders} == set()


@pytest.mark.parametrize("folder", sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))))
def test_every_module_of_a_folder_is_named_in_its_row(folder):
    cell = _module_rows()[f"`{folder}/`"]
    modules = {p.name for p in (PACKAGE / folder).glob("*.py")} - {"__init__.py", "__main__.py"}
    named = {n for n in _named(cell) if n.endswith(".py")}
    assert modules - named == set(), f"modules of {folder}/ the README's layout does not name"
    assert named - modules == set(), f"the README's {folder}/ row names modules that do not exist"


def test_every_top_level_module_is_named():
    named = set()
    for first in _module_rows():
        if "/" not in first:
            named |= _named(first)
    modules = {p.name for p in PACKAGE.glob("*.py")} - {"__main__.py"}
    assert modules - named == set() and named - modules == set()
