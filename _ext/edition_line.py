"""Sphinx extension: every page says which edition it is, under its title.

"Data checked to D · built B · version V": the book is dated by its data (the date through which
its sources were searched, ``data/checked.json``), not by its build; the build date is only
"built". Inserted after the page's first heading on the public ``html-page-context`` event; the
build date sits in its own ``<span class="rr-built">`` so two builds of the same data can be
compared with it taken out.
"""

from __future__ import annotations

import html
from typing import Any

from sphinx.application import Sphinx

__version__ = "1.0"


def edition_html() -> str:
    import rare_earths
    from rare_earths.data.load import data_checked_to
    from rare_earths.params import build_date

    return (
        '<p class="rr-edition">Data checked to <time class="rr-data-date" datetime="{d}">{d}</time> · '
        'built <span class="rr-built">{b}</span> · version {v}</p>'
    ).format(d=data_checked_to().isoformat(), b=build_date().isoformat(), v=html.escape(rare_earths.__version__))


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    end = body.find("</h1>")
    if end >= 0:
        context["body"] = body[:end + 5] + "\n" + edition_html() + body[end + 5:]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", on_html_page_context)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
