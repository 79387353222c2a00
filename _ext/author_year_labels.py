"""Sphinx extension: author–year labels, with a letter where one producer has several sources in a year.

``references.bib`` carries plain years (``year = {2025}``), as any BibTeX consumer expects. Two
sources of one producer and year (the SMM articles of 2025) would then print the same label, so
this extension adds the disambiguation letter (2025a, 2025b, ... in date order, the rule of
:func:`rare_earths.book.citation.year_suffixes`) where the book shows labels, and only there:

* in-text citations: a referencing style ``rr_author_year`` (sphinxcontrib-bibtex's author–year
  style, whose year node is replaced by :data:`year_with_letter`), registered through
  sphinxcontrib-bibtex's public plugin registry and chosen by ``bibtex_reference_style``;
* the bibliography: a pybtex formatting style ``rr_author_year`` (unsrt entries) whose labels are
  "<authors>, <year><letter>" from the same fields, sorted by author, lettered year and title,
  registered through pybtex's plugin registry and made the default (``bibtex_default_style``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitleSorting
from pybtex.richtext import Text
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.style.referencing import GroupReferenceStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.referencing.extra_author import ExtraAuthorReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_year import ExtraYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join, join2, node, post_text, pre_text, reference

__version__ = "2.1"
STYLE = "rr_author_year"


@functools.cache
def year_letters() -> dict[str, str]:
    """``{source_id: letter}`` for sources that share a producer and a year (the book's one rule)."""
    from rare_earths.book.citation import year_suffixes
    from rare_earths.data.load import load_table

    return year_suffixes(load_table("sources"))


#: pybtex's plain-text backend, made once: ``render_as("text")`` looks it up among the installed
#: packages' entry points on every call (about 20 ms each, 800 calls a build: most of the render).
_PLAIN_TEXT = PlainTextBackend()


@functools.cache
def _plain(text: str) -> str:
    # BibTeX markup to what a reader sees: braces dropped, an escaped ampersand back to "&".
    return Text.from_latex(str(text)).render(_PLAIN_TEXT).strip()


def lettered_year(entry) -> str:
    """The entry's year with its disambiguation letter, if it has one: ``"2025"``, ``"2025b"``."""
    return _plain(entry.fields.get("year", "n.d.")) + year_letters().get(entry.key, "")


@node
def year_with_letter(children, data: dict[str, Any]) -> Text:
    """Template node: the cited entry's year and letter (sphinxcontrib-bibtex's ``year`` has no letter)."""
    assert not children
    return Text(lettered_year(data["entry"]))


def author_year_label(entry) -> str:
    """``"Adamas Intelligence, 2024"``, ``"Shanghai Metals Market, 2025b"``, ``"Smith et al., 2020"``: as the text cites."""
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
    return f"{who}, {lettered_year(entry)}" if who else lettered_year(entry)


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year_label(entry)


class AuthorLetteredYearTitleSorting(AuthorYearTitleSorting):
    """pybtex's author–year–title order, with the lettered year (2025a before 2025b, whatever the titles)."""

    def sorting_key(self, entry):
        author, _year, title = super().sorting_key(entry)
        return (author, lettered_year(entry), title)


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = AuthorLetteredYearTitleSorting


@dataclass
class LetteredParentheticalStyle(BasicAuthorYearParentheticalReferenceStyle):
    """``{cite:p}``: "(Shanghai Metals Market, 2025b)"."""

    def inner(self, role_name: str):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[
                join(sep=self.author_year_sep)[
                    self.person.author_or_editor_or_title(full="s" in role_name),
                    year_with_letter,
                ]
            ],
            post_text,
        ]


@dataclass
class LetteredTextualStyle(BasicAuthorYearTextualReferenceStyle):
    """``{cite:t}``: "Shanghai Metals Market (2025b)"."""

    def inner(self, role_name: str):
        return join(sep=self.text_reference_sep)[
            self.person.author_or_editor_or_title(full="s" in role_name),
            join[
                self.bracket.left,
                join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[year_with_letter], post_text],
                self.bracket.right,
            ],
        ]


@dataclass
class LetteredYearStyle(ExtraYearReferenceStyle):
    """``{cite:year}``: "2025b"."""

    def inner(self, role_name: str):
        return reference[year_with_letter]


@dataclass
class LetteredAuthorYearStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author–year referencing style, with lettered years."""

    def __post_init__(self):
        self.styles.extend(
            [
                LetteredParentheticalStyle(
                    bracket=self.bracket_parenthetical,
                    person=self.person,
                    author_year_sep=self.author_year_sep,
                    pre_text_sep=self.pre_text_sep,
                    post_text_sep=self.post_text_sep,
                ),
                LetteredTextualStyle(
                    bracket=self.bracket_textual,
                    person=self.person,
                    text_reference_sep=self.text_reference_sep,
                    pre_text_sep=self.pre_text_sep,
                    post_text_sep=self.post_text_sep,
                ),
                ExtraAuthorReferenceStyle(bracket=self.bracket_author, person=self.person),
                ExtraLabelReferenceStyle(bracket=self.bracket_label),
                LetteredYearStyle(bracket=self.bracket_year),
                ExtraEmptyReferenceStyle(),
            ]
        )
        # The group's own set-up (role name -> style), skipping the parent's list of unlettered styles.
        GroupReferenceStyle.__post_init__(self)


def setup(app: Sphinx) -> dict[str, Any]:
    pybtex.plugin.register_plugin("pybtex.style.formatting", STYLE, AuthorYearStyle, force=True)
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", STYLE, LetteredAuthorYearStyle, force=True
    )
    app.config.bibtex_default_style = STYLE
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
