"""The built book as readers cite, share and print it: page metadata (description, OpenGraph,
canonical URL), the anchors citations point to, the Changes page, and the PDF (claims ledger
complete, figures vector). Reuses the session's built book (tests/conftest.py: built_book)."""

from __future__ import annotations

import html
import os
import re
import sys
import unicodedata

import pytest

import rare_earths
from rare_earths import releases
from rare_earths.book.citation import NUMBER_TABLE_CHAPTERS, claim_url, number_url
from rare_earths.data.load import load_table
from rare_earths.edition import edition_url, page_url
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers
from support import ROOT


def _page(built_book, rel: str) -> str:
    return (built_book / f"{rel}.html").read_text(encoding="utf-8")


def _ids(page: str) -> set[str]:
    return {html.unescape(i) for i in re.findall(r'\sid="([^"]+)"', page)}


def test_every_page_has_a_description_opengraph_and_its_canonical_url(built_book):
    for path in sorted(built_book.rglob("*.html")):
        rel = path.relative_to(built_book).as_posix()
        page = path.read_text(encoding="utf-8")
        if rel.startswith("_") or rel in ("search.html", "genindex.html") or 'http-equiv="Refresh"' in page:
            continue  # Sphinx's own pages and the root redirect
        description = re.search(r'<meta name="description" content="([^"]+)"', page)
        assert description and 40 <= len(html.unescape(description.group(1))) <= 201, rel
        for prop in ("og:title", "og:description", "og:type", "og:site_name", "og:url"):
            assert f'<meta property="{prop}" content="' in page, f"{rel}: no {prop}"
        url = edition_url() + rel
        assert f'<link rel="canonical" href="{url}" />' in page and f'<meta property="og:url" content="{url}" />' in page


def test_citation_urls_point_at_anchors_that_exist(built_book):
    base = edition_url()
    pages: dict[str, set[str]] = {}

    def anchor_exists(url: str) -> bool:
        assert url.startswith(base), url
        rel, _, anchor = url[len(base):].partition("#")
        if rel not in pages:
            pages[rel] = _ids((built_book / rel).read_text(encoding="utf-8"))
        return not anchor or anchor in pages[rel]

    numbers = compute_numbers()
    anchored = [n for n in numbers if n.chapters and n.chapters[0] in NUMBER_TABLE_CHAPTERS]
    assert len(anchored) > len(numbers) / 2
    for number in numbers:
        url = number_url(number)
        assert ("#" in url) == (number in anchored) and anchor_exists(url), url
    for claim_id in load_table("claims")["claim_id"]:
        assert anchor_exists(claim_url(claim_id)), claim_id
    figures = list_figures()
    assert build_figure(figures[0].id).url() == page_url(f"chapters/{figures[0].chapter}", f"fig-{figures[0].id}")
    for fdef in figures:  # the same address, without building each figure
        assert anchor_exists(page_url(f"chapters/{fdef.chapter}", f"fig-{fdef.id}")), fdef.id


def test_changes_page_lists_every_moved_number_with_old_new_and_why(built_book):
    page = html.unescape(re.sub(r"<[^>]+>", " ", _page(built_book, "changes")))
    def plain(text: str) -> str:  # Sphinx's smart quotes, undone
        return re.sub(r"\s+", " ", text).replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')

    page = plain(page)
    for rel in releases.release_changes():
        assert f"Version {rel.version} ({rel.date})" in page
        for move in rel.moved:
            assert plain(f"{move.id} {move.label} {move.old} {move.new} {move.why}") in page, move.id


@pytest.fixture(scope="module")
def book_pdf(built_book, tmp_path_factory):
    from rare_earths.build.pdf import find_chromium, make_pdf

    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI (scripts/test.sh installs it)")
        pytest.skip("chromium is not installed")
    # The whole book, as `python -m rare_earths.build --pdf` prints it (about 20 s on two cores).
    return make_pdf(built_book, ROOT, tmp_path_factory.mktemp("pdf") / "book.pdf", quiet=True)


def test_the_whole_book_prints_every_page_in_order_with_its_figures(book_pdf):
    from pypdf import PdfReader

    from rare_earths.build.pdf import page_order

    reader = PdfReader(str(book_pdf))
    # one bookmark per page of the table of contents, in its order, each at the page's first sheet
    pages = page_order(ROOT)
    outline = [item for item in reader.outline if not isinstance(item, list)]
    assert len(outline) == len(pages) > 8
    starts = [reader.get_destination_page_number(item) for item in outline]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    # every numbered figure of every chapter is printed with its title ("Figure N: <title>")
    squeezed = unicodedata.normalize("NFKC", text.replace(" ", ""))  # the PDF's text has ligatures (ﬁ)
    missing = [f.id for f in list_figures() if unicodedata.normalize("NFKC", re.sub(r"\s+", "", f.title))[:50]
               not in squeezed]
    assert missing == [], missing
    assert all(not page.images for page in reader.pages)  # vector charts, live text


def test_printed_claims_page_holds_the_whole_ledger_and_vector_figures(book_pdf):
    from pypdf import PdfReader

    reader = PdfReader(str(book_pdf))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    claims = load_table("claims")
    printed = set(re.findall(r"\bC\d\d\b", text))
    assert printed >= set(claims["claim_id"]), sorted(set(claims["claim_id"]) - printed)  # all 54, not 7
    last = claims.iloc[-1]
    assert re.sub(r"\s+", " ", last["quote"])[:40] in text  # the last row's quote
    assert len(reader.pages) > 20
    # the charts are drawn as vectors (no raster images), and their text is live
    assert all(not page.images for page in reader.pages)
    assert "Verdicts on the seed articles" in text
    assert reader.metadata["/Title"] == f"{rare_earths.BOOK_TITLE} (version {rare_earths.__version__})"


def test_pages_link_the_pdf_only_when_it_is_made(monkeypatch):
    sys.path.insert(0, str(ROOT / "_ext"))
    import page_meta

    class App:
        class config:
            root_doc = "chapters/intro"

    body = '<h1>T</h1>\n<p class="rr-edition">Data checked to …</p>\n<p>Text</p>'
    context = {"body": body, "title": "T", "pathto": lambda name, resource=0: f"../{name}"}
    monkeypatch.delenv(page_meta.PDF_ENV, raising=False)
    page_meta.on_html_page_context(App, "chapters/claims", "page.html", context, None)
    assert "rr-pdf-link" not in context["body"]
    monkeypatch.setenv(page_meta.PDF_ENV, "1")
    context["body"] = body
    page_meta.on_html_page_context(App, "chapters/claims", "page.html", context, None)
    link = f'<p class="rr-pdf-link"><a href="../{page_meta.pdf_name()}" download>'
    assert context["body"].index(link) > context["body"].index('class="rr-edition"')


def test_the_pages_own_chart_download_draws_title_source_and_url(built_book, tmp_path):
    from rare_earths.build.pdf import find_chromium
    import subprocess

    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI (scripts/test.sh installs it)")
        pytest.skip("chromium is not installed")
    # A copy of the cost-gap page that calls the page's own export and writes what it drew into the DOM.
    (tmp_path / "_static").symlink_to(built_book / "_static", target_is_directory=True)
    (tmp_path / "chapters").mkdir()
    page = _page(built_book, "chapters/cost-gap")
    probe = ('<script>window.addEventListener("load", function () { setTimeout(function () {'
             ' try { var r = window.rrExportFigure("cost-gap-range", "svg"); document.body.setAttribute("data-probe", r.svg); }'
             ' catch (e) { document.body.setAttribute("data-probe", "ERROR " + e); } }, 2000); });</script>')
    cut = page.rindex("</body>")
    (tmp_path / "chapters" / "probe.html").write_text(page[:cut] + probe + page[cut:], encoding="utf-8")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000", "--dump-dom",
                          (tmp_path / "chapters" / "probe.html").as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    drawn = html.unescape(re.search(r'data-probe="([^"]*)"', dom).group(1))
    assert drawn.startswith("<svg"), drawn[:200]
    fig = build_figure("cost-gap-range")
    texts = " ".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>.*?</text>", drawn, flags=re.S))
    for words in (fig.short_title, "Source: SMM 2025-09-18; USGS MCS 2026 v1.3.", "Licence: CC BY 4.0",
                  f"version {rare_earths.__version__}", "Unit cost of NdPr oxide (USD/kg)"):
        assert html.escape(words, quote=False) in texts or words in html.unescape(texts), words
    assert fig.url() in html.unescape(texts).replace(" ", "")
