"""The book builds strictly (no warnings, failing chapters fail) and holds what it promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the whole book once per test session into a scratch folder (never into _build/)."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "--all", "-n", "-W", "--keep-going", "--path-output", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"strict build failed:\n{log[-6000:]}"
    assert not re.search(r"WARNING:", log), f"build printed warnings:\n{log[-6000:]}"
    return out / "_build" / "html"


def test_book_has_title_page_methods_and_bibliography(built_book):
    assert (built_book / "index.html").is_file()
    methods = (built_book / "chapters" / "methods.html").read_text(encoding="utf-8")
    assert "Data dictionary" in methods
    assert "claims.csv" in methods and "authority_source_id" in methods
    bib = (built_book / "bibliography.html").read_text(encoding="utf-8")
    assert "Mineral Commodity Summaries" in bib


def test_build_fails_when_a_chapter_raises(tmp_path):
    """A chapter that raises must fail the strict build (a plain JB1 build would only warn)."""
    book = tmp_path / "book"
    shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(".venv", "_build", "runs", ".git", "test-artifacts"))
    nb = (book / "chapters" / "methods.ipynb").read_text(encoding="utf-8")
    broken = nb.replace("from IPython.display import", "raise RuntimeError('boom')\\nfrom IPython.display import", 1)
    assert broken != nb
    (book / "chapters" / "methods.ipynb").write_text(broken, encoding="utf-8")
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
