"""The book builds strictly (no warnings, failing chapters fail) and holds what it promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import FIRST_DAY, LATER_DAY, ROOT, build_book

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def _pages_without_build_date(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): re.sub(r'<span class="rr-built">[^<]*</span>', "", p.read_text(encoding="utf-8"))
            for p in sorted(site.rglob("*.html"))}


def test_book_is_dated_by_its_data_not_by_its_build(built_book, tmp_path):
    """Built on another day (a year later), every page is the same but for its "built" date."""
    from rare_earths.data.load import data_checked_to

    later = build_book(tmp_path / "later", LATER_DAY)
    first, second = _pages_without_build_date(built_book), _pages_without_build_date(later)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
    intro = (built_book / "chapters" / "intro.html").read_text(encoding="utf-8")
    assert f"Data checked to <time class=\"rr-data-date\" datetime=\"{data_checked_to().isoformat()}\">" in intro
    assert '<span class="rr-built">2026-12-24</span>' in intro
    assert '<span class="rr-built">2028-01-01</span>' in (later / "chapters" / "intro.html").read_text(encoding="utf-8")


def test_book_has_title_page_methods_and_bibliography(built_book):
    assert (built_book / "index.html").is_file()
    methods = (built_book / "chapters" / "methods.html").read_text(encoding="utf-8")
    assert "Data dictionary" in methods
    assert "claims.csv" in methods and "authority_source_id" in methods
    bib = (built_book / "bibliography.html").read_text(encoding="utf-8")
    assert "Mineral Commodity Summaries" in bib


def test_no_page_shows_a_raw_python_value(built_book):
    """A code cell whose last line returns a value prints it under the cell: a chapter that ended a
    cell with ``glue_text(...)`` showed readers a Python dict under its bottom line."""
    raw = re.compile(r'<div class="output text_plain[^"]*"><div class="highlight"><pre><span></span>'
                     r'(\{&#39;|\{\'|\[&#39;|\[\'|&lt;[a-z_.]+ object at|[A-Za-z_]+\()')
    shown = {p.name: m.group(0)[-40:] for p in sorted((built_book / "chapters").glob("*.html"))
             for m in [raw.search(p.read_text(encoding="utf-8"))] if m}
    assert shown == {}


def test_plain_jupyter_book_build_fails_when_a_chapter_raises(tmp_path):
    """With the book's _config.yml, a plain `jupyter-book build` fails on a chapter that raises
    (Jupyter Book 1 would only warn without nb_execution_raise_on_error)."""
    import nbformat

    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy2(ROOT / name, book / name)
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: one\n", encoding="utf-8")
    (book / "intro.md").write_text("# Scratch\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# One"), nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nbformat.write(nb, str(book / "one.ipynb"))
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "--all", "-n", "-W", "--keep-going", str(book)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode != 0
    assert "boom" in result.stdout + result.stderr


def test_every_page_renders_offline_in_chromium(built_book):
    """Every chart holds rendered SVG marks, no request leaves the machine, search works (screenshots kept)."""
    import os

    sys.path.insert(0, str(ROOT / "scripts"))
    from browser_check import check_site, find_chromium

    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (scripts/test.sh installs it)")
        pytest.skip("chromium is not installed")
    problems = check_site(built_book, screenshots=ROOT / "test-artifacts" / "screenshots" / "book", search="rare")
    assert problems == []


def test_every_toc_chapter_is_built_with_its_figures(built_book):
    from rare_earths.figures import list_figures

    for fdef in list_figures():
        page = (built_book / "chapters" / f"{fdef.chapter}.html").read_text(encoding="utf-8")
        assert f'id="fig-{fdef.id}"' in page or f"fig-{fdef.id}" in page, f"figure {fdef.id} is not on its chapter page"
        assert f"{fdef.id}.csv" in page, f"figure {fdef.id} has no CSV download"
