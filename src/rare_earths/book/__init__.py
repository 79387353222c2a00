"""The chapter API: everything a chapter imports, in one place.

A chapter's code cells call only this module and :mod:`rare_earths.figures` (through
:func:`build_figure`): validate the parameters (:func:`chapter_setup`), glue the registry's
numbers and the words and dates the prose needs (:func:`glue_numbers`, :func:`glue_text`),
show tables (:func:`show_table`, :func:`numbers_table`, :func:`interactive_table`) and figures,
and cite. The build and run machinery (:mod:`rare_earths.build`) is imported by no chapter, so
editing it re-executes nothing.
"""

from __future__ import annotations

from rare_earths.book import ledger
from rare_earths.book.citation import cite_claim, cite_source
from rare_earths.book.glue import escape_markdown, glue_markdown, glue_numbers, glue_text, number_glue
from rare_earths.book.overrides import setting_facts
from rare_earths.book.setup import chapter_setup, check_chapter_overrides
from rare_earths.book.tables import dataset_tables, interactive_table, interactive_table_html, numbers_table, show_table, summary_table
from rare_earths.data.load import data_version, load_table
from rare_earths.data.schema import TABLES, data_dictionary
from rare_earths.edition import book_facts, preferred_citation, preferred_citation_bibtex, read_citation_cff
from rare_earths.format import TextFact
from rare_earths.params import PARAMETERS


def build_figure(id: str, params: dict | None = None):
    """Build figure ``id`` under ``params`` (see :func:`rare_earths.figures.build_figure`)."""
    from rare_earths.figures import build_figure as build

    return build(id, params)


__all__ = [
    "PARAMETERS", "TABLES", "TextFact", "book_facts", "dataset_tables", "build_figure", "chapter_setup", "check_chapter_overrides",
    "cite_claim", "cite_source", "data_dictionary", "data_version", "escape_markdown", "glue_markdown", "glue_numbers",
    "glue_text", "interactive_table", "interactive_table_html", "ledger", "load_table", "number_glue", "numbers_table",
    "preferred_citation", "preferred_citation_bibtex", "read_citation_cff", "setting_facts", "show_table", "summary_table",
]
