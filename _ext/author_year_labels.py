"""Sphinx extension: the bibliography's labels read as the text cites, author and year.

The text cites author–year (``bibtex_reference_style: author_year``: "Adamas Intelligence,
2024"); sphinxcontrib-bibtex's default list style labels entries alpha-style
(``[AdamasI24]``, ``[MinistryoCotPeoplesRoChina25]``), which matches nothing a reader saw. This
registers, through pybtex's public plugin registry, a formatting style ``rr_author_year`` (unsrt
entries, sorted by author, year and title) whose labels are "<authors>, <year>" taken from the
same fields the in-text citations use, and makes it the default (``bibtex_default_style``).
"""

from __future__ import annotations

from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx

__version__ = "1.0"
STYLE = "rr_author_year"


def _plain(text: str) -> str:
    return str(text).replace("{", "").replace("}", "").strip()


def author_year_label(entry) -> str:
    """``"Adamas Intelligence, 2024b"``, ``"Smith and Jones, 2021"``, ``"Smith et al., 2020"``: as the text cites."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_plain(" ".join(p.last_names) or " ".join(p.first_names)) for p in persons]
    names = [n for n in names if n]
    if not names:
        who = _plain(entry.fields.get("organization") or entry.fields.get("publisher") or entry.fields.get("title", ""))
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {_plain(entry.fields.get('year', 'n.d.'))}" if who else _plain(entry.fields.get("year", "n.d."))


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year_label(entry)


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app: Sphinx) -> dict[str, Any]:
    register_plugin("pybtex.style.formatting", STYLE, AuthorYearStyle, force=True)
    app.config.bibtex_default_style = STYLE
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
