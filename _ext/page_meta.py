"""Sphinx extension: pages that can be cited, shared and printed.

* ``html_baseurl`` is this version's permanent address, ``<CITATION.cff url>v<version>/``
  (:func:`rare_earths.edition.edition_url`), unless ``_config.yml`` sets one: Sphinx then writes
  each page's ``<link rel="canonical">``;
* every page gets a ``<meta name="description">`` (its first paragraph, else the book's abstract)
  and OpenGraph tags (``og:title``, ``og:description``, ``og:url``, ``og:type``, ``og:site_name``),
  through the public ``metatags`` template variable of the ``html-page-context`` event;
* a print style sheet (``static/rr-print.css``, ``media="print"``): scroll boxes expanded (the
  whole claims ledger prints), captions kept with their charts, controls and download links hidden;
* a "Download the whole book (PDF)" link under every page's edition line when the book's PDF is
  made (``python -m rare_earths.build --pdf`` renders with ``RARE_EARTHS_PDF=1``, then prints the
  pages into :func:`pdf_name` beside them), so a page never links a PDF that is not there.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

__version__ = "1.0"

STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION_CHARS = 200
#: Set to "1" by `python -m rare_earths.build --pdf` while it renders: the pages link the PDF.
PDF_ENV = "RARE_EARTHS_PDF"


def pdf_name() -> str:
    """``rare-earth-rivalry-<version>.pdf``: the file name of the whole book as a PDF."""
    from rare_earths.build.pdf import pdf_name as name

    return name()


def on_config_inited(app: Sphinx, config: Any) -> None:
    from rare_earths.edition import edition_url

    if not config.html_baseurl:
        config.html_baseurl = edition_url()
    config.html_static_path = list(config.html_static_path) + [str(STATIC)]


def on_builder_inited(app: Sphinx) -> None:
    app.add_css_file("rr-print.css", media="print")


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def page_description(doctree: Any) -> str:
    """The page's first paragraph of prose (not a caption, table or output), shortened."""
    if doctree is None:
        return ""
    for para in doctree.findall(nodes.paragraph):
        parents, skip = para.parent, False
        while parents is not None:
            if isinstance(parents, (nodes.table, nodes.figure, nodes.caption, nodes.literal_block, nodes.raw,
                                    nodes.admonition, nodes.footnote, nodes.citation)) or \
                    "cell_output" in (parents.get("classes", []) if isinstance(parents, nodes.Element) else []):
                skip = True
                break
            parents = parents.parent
        text = para.astext().strip()
        if not skip and len(text) >= 40:
            return _shorten(text)
    return ""


def _book_abstract() -> str:
    from rare_earths.edition import read_citation_cff

    return _shorten(str(read_citation_cff().get("abstract", "")))


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    title = re.sub(r"<[^>]+>", "", str(context.get("title") or _book_title()))
    description = page_description(doctree) or _book_abstract()
    tags = [f'<meta name="description" content="{e(description)}" />',
            f'<meta property="og:title" content="{e(html.unescape(title))}" />',
            f'<meta property="og:description" content="{e(description)}" />',
            f'<meta property="og:type" content="{"website" if pagename == app.config.root_doc else "article"}" />',
            f'<meta property="og:site_name" content="{e(_book_title())}" />']
    url = context.get("pageurl")
    if url:
        tags.append(f'<meta property="og:url" content="{e(url)}" />')
    context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags) + "\n"
    # The PDF link follows the edition line (or the title) when the PDF is being made.
    if os.environ.get(PDF_ENV) == "1":
        body = context.get("body") or ""
        link = (f'<p class="rr-pdf-link"><a href="{e(context.get("pathto", lambda *a, **k: "")(pdf_name(), 1))}" '
                f'download>Download the whole book (PDF, version {e(_version())})</a></p>')
        marker = body.find("</p>", body.find('class="rr-edition"')) if 'class="rr-edition"' in body else body.find("</h1>")
        if marker >= 0:
            end = marker + (4 if body[marker:marker + 4] == "</p>" else 5)
            context["body"] = body[:end] + "\n" + link + body[end:]


def _book_title() -> str:
    import rare_earths

    return rare_earths.BOOK_TITLE


def _version() -> str:
    import rare_earths

    return rare_earths.__version__


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    # After edition_line (priority 500): the link goes under the edition line.
    app.connect("html-page-context", on_html_page_context, priority=600)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
