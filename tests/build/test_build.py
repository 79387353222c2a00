"""The dependency-aware build (``python -m rare_earths.build``) re-executes exactly what changed.

On a scratch book of three small chapters (one reads ``prices``, one reads ``claims``, one
reads no table but imports a module that sits next to it) the build must execute:

* all three on a cold build, none on a rebuild with nothing changed;
* only the ``prices`` chapter after a note in ``prices.csv`` changes, and the page then shows
  the new note (the page is re-rendered although its notebook did not change);
* none after a Markdown edit (the page still shows the new prose);
* only the edited chapter after a code-cell edit, or after an edit to a module it imports.

Assertions use the build's JSON report (what it executed), never timings.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from support import ROOT, scratch_book

PRICES = "chapters/prices.ipynb"
CLAIMS = "chapters/claims.ipynb"
PLAIN = "chapters/plain.ipynb"


def _notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    return nb


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.write(nb, str(path))


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A scratch book: the real _config.yml, _ext/ and data, three tiny chapters of our own."""
    book = scratch_book(tmp_path)
    (book / "intro.md").write_text("# Scratch book\n\nThree small chapters.\n", encoding="utf-8")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: chapters/prices\n  - file: chapters/claims\n  - file: chapters/plain\n",
        encoding="utf-8",
    )
    chapters = book / "chapters"
    chapters.mkdir()
    _write(_notebook(
        ("md", "# Prices\n\nThe first price note."),
        ("code", "from rare_earths.data.load import load_table\nprices = load_table('prices')\n"
                 "print('NOTE:', prices['note'].iloc[0])"),
    ), chapters / "prices.ipynb")
    _write(_notebook(
        ("md", "# Claims\n\nHow many claims there are."),
        ("code", "from rare_earths.data.load import load_table\nprint('CLAIMS:', len(load_table('claims')))"),
    ), chapters / "claims.ipynb")
    (chapters / "helper.py").write_text("FACTOR = 6\n", encoding="utf-8")
    _write(_notebook(
        ("md", "# Plain\n\nNo table here."),
        ("code", "import helper\nprint('ANSWER:', helper.FACTOR * 7)"),
    ), chapters / "plain.ipynb")
    return book


def run_build(book: Path, *extra: str) -> tuple[dict, subprocess.CompletedProcess]:
    report = book.parent / "report.json"
    report.unlink(missing_ok=True)
    env = dict(os.environ, RARE_EARTHS_DATA=str(book / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "rare_earths.build", str(book), "--report", str(report), *extra],
        capture_output=True, text=True, env=env, timeout=600,
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
    return data, result


def built(book: Path, *extra: str) -> dict:
    data, result = run_build(book, *extra)
    assert result.returncode == 0, f"build failed:\n{result.stderr[-5000:]}"
    assert "WARNING:" not in result.stderr, result.stderr[-5000:]  # Sphinx warnings (kernels log "WARNING |")
    return data


def page(book: Path, name: str) -> str:
    return (book / "_build" / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8")


def test_build_re_executes_exactly_what_changed(book: Path):
    # Cold: everything executes (in parallel), then the book renders in full.
    report = built(book)
    assert sorted(report["executed"]) == [CLAIMS, PLAIN, PRICES]
    assert report["render"] == "full"
    assert "USGS annual average price" in page(book, "prices")
    assert "ANSWER: 42" in page(book, "plain")
    manifest = json.loads((book / "_build" / ".rare_earths_deps.json").read_text(encoding="utf-8"))
    deps = {nb: set(entry["deps"]) for nb, entry in manifest["notebooks"].items()}
    data = book / "data"
    assert str(data / "prices.csv") in deps[PRICES] and str(data / "claims.csv") not in deps[PRICES]
    assert str(data / "claims.csv") in deps[CLAIMS] and str(data / "prices.csv") not in deps[CLAIMS]
    assert not any(p.endswith(".csv") for p in deps[PLAIN])
    assert str(book / "chapters" / "helper.py") in deps[PLAIN]
    assert any(p.endswith("rare_earths/data/load.py") for p in deps[PRICES])

    # Nothing changed: nothing executes, nothing renders.
    report = built(book)
    assert report["executed"] == [] and sorted(report["cached"]) == [CLAIMS, PLAIN, PRICES]
    assert report["render"] == "skipped"

    # A note in prices.csv: only the chapter that reads prices re-executes, and its page shows it.
    path = data / "prices.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    rows[0]["note"] = "An edited note for the cache test."
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    report = built(book)
    assert report["executed"] == [PRICES]
    assert "prices.csv" in report["reasons"][PRICES]
    assert report["render"] == "incremental"
    assert "An edited note for the cache test." in page(book, "prices")

    # Prose only: nothing re-executes; the page shows the new prose with the cached outputs.
    nb = nbformat.read(str(book / CLAIMS), as_version=4)
    nb.cells[0].source = "# Claims\n\nA reworded paragraph about the claims."
    _write(nb, book / CLAIMS)
    report = built(book)
    assert report["executed"] == []
    html = page(book, "claims")
    assert "A reworded paragraph about the claims." in html and "CLAIMS:" in html

    # A code cell: only that chapter re-executes.
    nb = nbformat.read(str(book / PLAIN), as_version=4)
    nb.cells[1].source = "import helper\nprint('ANSWER:', helper.FACTOR * 7 + 1)"
    _write(nb, book / PLAIN)
    report = built(book)
    assert report["executed"] == [PLAIN]
    assert report["reasons"][PLAIN] == "code cells changed"
    assert "ANSWER: 43" in page(book, "plain")

    # A module the chapter imports: only that chapter re-executes.
    (book / "chapters" / "helper.py").write_text("FACTOR = 10\n", encoding="utf-8")
    report = built(book)
    assert report["executed"] == [PLAIN]
    assert "helper.py" in report["reasons"][PLAIN]
    assert "ANSWER: 71" in page(book, "plain")


def test_failing_chapter_fails_the_build_naming_cell_and_error(book: Path):
    nb = nbformat.read(str(book / CLAIMS), as_version=4)
    nb.cells[1].source = "x = 1\nraise ValueError('no such claim')"
    _write(nb, book / CLAIMS)
    report, result = run_build(book, "--no-render")
    assert result.returncode == 1
    assert report["failed"] == [CLAIMS]
    assert sorted(report["executed"]) == [PLAIN, PRICES]
    assert f"{CLAIMS} failed in cell 1" in result.stderr
    assert "ValueError: no such claim" in result.stderr
    # The chapters that succeeded are cached: fixing the broken one re-executes only it.
    nb.cells[1].source = "print('fixed')"
    _write(nb, book / CLAIMS)
    report = built(book, "--no-render")
    assert report["executed"] == [CLAIMS]


def _cached_notebooks(book: Path) -> dict[str, dict]:
    """uri (relative to the book) -> the executed notebook jupyter-cache holds for it."""
    from jupyter_cache import get_cache

    cache = get_cache(str(book / "_build" / ".jupyter_cache"))
    out = {}
    for record in cache.list_cache_records():
        nb = cache.get_cache_bundle(record.pk).nb
        out[Path(record.uri).resolve().relative_to(book.resolve()).as_posix()] = nb
    return out


def test_outputs_are_what_jupyter_book_itself_would_cache(book: Path, tmp_path: Path):
    """Pre-executed notebooks equal those Jupyter Book's own (serial) execution caches."""
    built(book, "--no-render")
    theirs = tmp_path / "theirs"
    shutil.copytree(book, theirs, ignore=shutil.ignore_patterns("_build"))
    env = dict(os.environ, RARE_EARTHS_DATA=str(book / "data"))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", "-n", "-W", "--keep-going", str(theirs)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ours, jb = _cached_notebooks(book), _cached_notebooks(theirs)
    assert sorted(ours) == sorted(jb) == [CLAIMS, PLAIN, PRICES]
    for rel in ours:
        assert ours[rel].metadata == jb[rel].metadata, rel
        assert [(c.source, c.execution_count, c.outputs) for c in ours[rel].cells] == \
            [(c.source, c.execution_count, c.outputs) for c in jb[rel].cells], rel
    # And Jupyter Book renders from our cache: every notebook a cache hit, none executed.
    shutil.rmtree(theirs / "_build")
    report, result = run_build(book)
    assert result.returncode == 0, result.stderr[-5000:]
    assert report["executed"] == [] and report["render"] == "full"
    assert result.stderr.count("Using cached notebook") == 3
    assert "Executed notebook" not in result.stderr


def _edit_first_note(path: Path, note: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    rows[0]["note"] = note
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_real_book_table_edit_re_executes_only_the_chapters_that_read_it(tmp_path: Path):
    """On a copy of the real book: each chapter computes only its own numbers, so an edit to the
    project pipeline's table re-executes the pipeline chapter (and methods, which lists every
    table) but not the chapters on costs, the rebuild, reserves or shares; an edit to the sources
    table, which every chapter cites, re-executes all of them."""
    book = tmp_path / "book"
    shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(
        ".venv", "_build", "runs", ".git", "test-artifacts", "__pycache__", ".pytest_cache"))
    chapters = sorted(f"chapters/{p.stem}.ipynb" for p in (book / "chapters").glob("*.ipynb"))
    report = built(book, "--no-render")
    assert sorted(report["executed"]) == chapters

    manifest = json.loads((book / "_build" / ".rare_earths_deps.json").read_text(encoding="utf-8"))
    readers = {nb: {Path(p).name for p in entry["deps"] if p.endswith(".csv")} for nb, entry in manifest["notebooks"].items()}
    assert "projects.csv" in readers["chapters/pipeline.ipynb"]
    for other in ("cost-gap", "rebuild", "reserves", "shares"):
        assert "projects.csv" not in readers[f"chapters/{other}.ipynb"], other

    _edit_first_note(book / "data" / "projects.csv", "An edited note for the dependency test.")
    report = built(book, "--dry-run")
    assert sorted(report["executed"]) == sorted(nb for nb, tables in readers.items() if "projects.csv" in tables)
    assert "chapters/pipeline.ipynb" in report["executed"]
    assert not {"chapters/cost-gap.ipynb", "chapters/rebuild.ipynb", "chapters/reserves.ipynb",
                "chapters/shares.ipynb"} & set(report["executed"])
    assert all("projects.csv" in report["reasons"][nb] for nb in report["executed"])

    _edit_first_note(book / "data" / "sources.csv", "An edited source note for the dependency test.")
    report = built(book, "--dry-run")
    assert sorted(report["executed"]) == chapters


def test_the_render_fingerprint_follows_the_static_css_and_js(tmp_path):
    # A CSS-only edit must re-render every page (the pages include _static/ files), not "up to date".
    from rare_earths.build.render import config_fingerprint

    for name in ("_config.yml", "_toc.yml"):
        (tmp_path / name).write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "_static").mkdir()
    css = tmp_path / "_static" / "book.css"
    css.write_text("a { color: #000 }\n", encoding="utf-8")
    before = config_fingerprint(tmp_path, "env")
    assert config_fingerprint(tmp_path, "env") == before
    css.write_text("a { color: #111 }\n", encoding="utf-8")
    assert config_fingerprint(tmp_path, "env") != before
