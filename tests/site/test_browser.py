"""Charts render offline in a built book: headless Chromium, DNS disabled, pages opened from disk.

Builds its own small book in a temp folder (the real ``_config.yml`` and ``_ext/``, a minimal
``_toc.yml``, a demo notebook with numbered Figure charts and a search-worthy
word), so it does not depend on chapters. The reusable check is
:func:`check_site` (``scripts/browser_check.py``): run it on the real book with
``.venv/bin/python scripts/browser_check.py _build/html``.

Needs the Debian package ``chromium`` (``scripts/test.sh`` installs it). Without it the browser
tests are skipped, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from browser_check import check_site, find_chromium, static_problems  # noqa: E402

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SEARCH_WORD = "xenotime"
# Sphinx warnings look like "path:line: WARNING: text" or "WARNING: text".
SPHINX_WARNING = re.compile(r"\bWARNING:")

__all__ = ["check_site"]


def _require_chromium() -> str:
    path = find_chromium()
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed but CI=true: scripts/test.sh must install it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); the browser tests need it")


def _code(source: str, figure: dict | None = None, tags: list[str] | None = None) -> dict:
    metadata: dict = {}
    if figure:
        metadata["mystnb"] = {"figure": figure}
    if tags:
        metadata["tags"] = tags
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [],
            "source": source}


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


DEMO_SETUP = """\
import altair as alt
import pandas as pd
from rare_earths.figures import charts
from rare_earths.figures.charts import Figure, axis_title, china_emphasis

reserves = pd.DataFrame({
    "country": ["China", "Brazil", "India", "Australia", "Russia", "United States"],
    "reserves_mt": [44.0, 21.0, 6.9, 5.7, 3.8, 1.9],
})
trend = pd.DataFrame({
    "year": [2021, 2022, 2023, 2024, 2021, 2022, 2023, 2024],
    "country": ["China"] * 4 + ["United States"] * 4,
    "production_kt": [168.0, 210.0, 255.0, 270.0, 42.0, 43.0, 41.0, 45.0],
})
"""

DEMO_FIG1 = """\
bars = alt.Chart(reserves).mark_bar().encode(
    x=alt.X("reserves_mt:Q", title=axis_title("Reserves", "Mt REO")),
    y=alt.Y("country:N", sort="-x", title=None),
    **china_emphasis("country", "bar"),
)
fig1 = Figure(
    id="demo-reserves", chart=bars, data=reserves,
    caption="Demo <b>reserves</b> by country (China outlined). Source: USGS, MCS 2026 (data for 2025).",
    alt_text="Bar chart of rare-earth reserves: China about 44 Mt, Brazil 21 Mt, the United States 1.9 Mt.",
    sources=["usgs_mcs_2026_ree"], chapter="demo",
)
fig1.show()
"""

DEMO_FIG2 = """\
lines = alt.Chart(trend).mark_line(point=True).encode(
    x=alt.X("year:O", title="Year"),
    y=alt.Y("production_kt:Q", title=axis_title("Mine production", "kt REO")),
    detail="country:N",
    **china_emphasis("country", "line"),
)
Figure(
    id="demo-trend", chart=lines, data=trend,
    caption="Demo mine production, 2021-2024: China rises, the United States is flat. Source: USGS MCS 2025 and 2026.",
    alt_text="Line chart: China's mine production rises from 168 to 270 kt, the United States stays near 43 kt.",
    sources=["usgs_mcs_2025_ree", "usgs_mcs_2026_ree"], chapter="demo",
)
"""




def write_demo_book(book: Path) -> Path:
    """A small book using the real _config.yml and _ext/, with one demo chapter of charts."""
    book.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "_config.yml", book / "_config.yml")
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    bib = ROOT / "references.bib"
    (book / "references.bib").write_text(bib.read_text(encoding="utf-8") if bib.is_file() else "", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/demo\n", encoding="utf-8")
    (book / "intro.md").write_text("# Chart demo book\n\nA page without charts: it must not load the Vega bundle.\n",
                                   encoding="utf-8")
    (book / "chapters").mkdir(exist_ok=True)
    cells = [
        _markdown(f"# Chart demo\n\nThe {SEARCH_WORD} word is here for the search test. "
                  "{numref}`fig-demo-reserves` ranks reserves; {numref}`fig-demo-trend` shows production."),
        _code(DEMO_SETUP),
        _code(DEMO_FIG1, figure={"name": "fig-demo-reserves", "caption": "Rare-earth reserves by country",
                                 "caption_before": True}),
        _code(DEMO_FIG2, figure={"name": "fig-demo-trend", "caption": "Mine production, China and the United States"}),
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"},
                                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i}"
    (book / "chapters" / "demo.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return book


def build(book: Path, timeout: int = 600) -> tuple[int, str]:
    result = subprocess.run([str(JUPYTER_BOOK), "build", "--all", "-n", "-W", "--keep-going", str(book)],
                            capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def build_strictly(book: Path) -> Path:
    code, log = build(book)
    assert code == 0, f"strict build of the demo book failed:\n{log[-6000:]}"
    warnings = [line for line in log.splitlines() if SPHINX_WARNING.search(line)]
    assert not warnings, "build printed warnings:\n" + "\n".join(warnings)
    return book / "_build" / "html"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    return build_strictly(write_demo_book(tmp_path_factory.mktemp("chartbook") / "book"))


def test_demo_book_static_checks(demo_site):
    assert static_problems(demo_site) == []
    page = (demo_site / "chapters" / "demo.html").read_text(encoding="utf-8")
    # Deterministic chart ids: no random altair-viz-<hex> for Figures.
    assert 'id="chart-demo-reserves"' in page and 'id="chart-demo-trend"' in page
    assert "vega-offline-" in page and "VEGA_DEBUG" not in page  # the bundle, and no loader preset
    assert "vega-offline-" not in (demo_site / "intro.html").read_text(encoding="utf-8")
    # The caption's markup shows as text.
    assert "Demo &lt;b&gt;reserves&lt;/b&gt;" in page and "Demo <b>reserves" not in page


def test_rebuild_without_changes_gives_identical_html(demo_site, tmp_path):
    """No random ids or timestamps in chart pages: a rebuild (re-executing the notebook) is byte-identical."""
    again = build_strictly(write_demo_book(tmp_path / "book"))
    for rel in ("chapters/demo.html", "intro.html"):
        assert (again / rel).read_bytes() == (demo_site / rel).read_bytes(), rel
    assert not re.search(r"altair-viz-[0-9a-f]{32}", (again / "chapters" / "demo.html").read_text(encoding="utf-8"))


def test_numbered_figures_from_cell_metadata(demo_site):
    """myst-nb 1.4 `mystnb: figure` metadata numbers an HTML (Vega) output and {numref} resolves."""
    page = (demo_site / "chapters" / "demo.html").read_text(encoding="utf-8")
    for label in ("fig-demo-reserves", "fig-demo-trend"):
        figure = re.search(rf'<figure[^>]*id="{label}"[^>]*>(.*?)</figure>', page, re.S)
        assert figure, f"no <figure id={label}>"
        assert "chart-demo-" in figure.group(1) and "caption-number" in figure.group(1)
        assert re.search(rf'href="#{label}"><span class="std std-numref">Fig\. \d', page), f"numref to {label}"


def test_site_in_headless_chromium_offline(demo_site):
    _require_chromium()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    problems = check_site(demo_site, screenshots=SCREENSHOTS, search=SEARCH_WORD)
    assert problems == [], "\n".join(problems)
    assert (SCREENSHOTS / "chapters__demo.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "search.png").is_file()


def test_checker_catches_a_chart_page_without_the_bundle(demo_site, tmp_path):
    """Without the local bundle a chart cannot render: the checker must say so (and no CDN is tried)."""
    _require_chromium()
    site = tmp_path / "html"
    shutil.copytree(demo_site, site)
    page = site / "chapters" / "demo.html"
    text = page.read_text(encoding="utf-8")
    broken = re.sub(r'<script src="[^"]*vega-offline-[^"]*"></script>', "", text)
    broken = broken.replace("</body>", '<img src="https://example.org/pixel.png" alt=""></body>', 1)
    assert broken.count("example.org") == 1 and "vega-offline-" not in broken
    page.write_text(broken, encoding="utf-8")
    problems = check_site(site, search=SEARCH_WORD, pages=["chapters/demo.html"], chart_timeout=5)
    text = "\n".join(problems)
    assert "has charts but does not load the local Vega bundle" in text
    assert "loads https://example.org/pixel.png from the network" in text
    assert "did not render" in text or "shows an error" in text
    assert "cdn.jsdelivr.net" not in text  # the book's charts never try a CDN, even without the bundle


def test_build_warns_about_network_assets(tmp_path):
    """The extension fails a strict build whose page would load MathJax or an image from the network."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy2(ROOT / "_config.yml", book / "_config.yml")
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (book / "references.bib").write_text("", encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n", encoding="utf-8")
    (book / "intro.md").write_text("# Math\n\nInline math $x^2$ needs MathJax.\n\n"
                                   "<img src=\"https://example.org/remote.png\" alt=\"remote\">\n", encoding="utf-8")
    code, log = build(book, timeout=300)
    assert code != 0
    assert re.search(r"intro\.md: WARNING: page loads https://\S*mathjax\S* from the network.*mathjax_path", log), log[-3000:]
    assert "page loads https://example.org/remote.png from the network" in log


def test_build_rejects_a_plain_altair_chart(tmp_path):
    """Altair's own HTML template loads Vega from a CDN: a strict build must fail on it."""
    book = tmp_path / "book"
    write_demo_book(book)
    nb = nbformat.read(str(book / "chapters" / "demo.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("alt.Chart(reserves).mark_point().encode(x='reserves_mt:Q', y='country:N')"))
    nbformat.write(nb, str(book / "chapters" / "demo.ipynb"))
    code, log = build(book, timeout=600)
    assert code != 0
    assert "page shows a plain Altair chart" in log, log[-3000:]
