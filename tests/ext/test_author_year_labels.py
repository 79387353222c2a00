"""The Sphinx extension that draws author–year labels with disambiguation letters
(_ext/author_year_labels.py): references.bib has plain years, the labels have 2025a/2025b.
The built bibliography and in-text citations are checked in tests/site/test_readers.py."""

from __future__ import annotations

import re
import sys

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.database import parse_string

from rare_earths.book.citation import bibtex_file, year_suffixes
from rare_earths.data.load import load_table
from support import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import author_year_labels  # noqa: E402


def _entries():
    return parse_string(bibtex_file(), "bibtex").entries


def test_labels_are_author_and_plain_year_plus_the_books_letter():
    entries = _entries()
    sources = load_table("sources").set_index("source_id")
    letters = year_suffixes(load_table("sources"))
    assert letters, "the shipped data has producers with several sources in one year"
    labels = {key: author_year_labels.author_year_label(entry) for key, entry in entries.items()}
    for key, label in labels.items():
        who = re.sub(r"[{}]", "", sources.at[key, "producer"])
        assert label == f"{who}, {sources.at[key, 'date_published'].year}{letters.get(key, '')}", key
    # The letters make every label distinct; without them some would collide.
    assert len(set(labels.values())) == len(labels)
    plain = [re.sub(r"[a-z]$", "", label) for label in labels.values()]
    assert len(set(plain)) < len(plain)


def test_bibliography_sorts_lettered_years_in_letter_order():
    entries = list(_entries().values())
    style = author_year_labels.AuthorYearStyle()
    ordered = style.sort(entries)
    letters = year_suffixes(load_table("sources"))
    smm = [e.key for e in ordered if e.key in letters and e.key.startswith("smm_2025")]
    assert smm == sorted(smm, key=lambda k: letters[k]) and len(smm) >= 2


def test_in_text_roles_print_the_lettered_year():
    style = author_year_labels.LetteredAuthorYearStyle()
    lettered = {
        "p": author_year_labels.LetteredParentheticalStyle,
        "t": author_year_labels.LetteredTextualStyle,
        "year": author_year_labels.LetteredYearStyle,
    }
    for role, kind in lettered.items():
        assert type(style.role_style[role]) is kind, role
    entries = _entries()
    letters = year_suffixes(load_table("sources"))
    for key, entry in entries.items():
        year = entry.fields["year"]
        assert re.fullmatch(r"\d{4}", year)
        assert str(author_year_labels.year_with_letter.format_data({"entry": entry})) == year + letters.get(key, "")


def test_setup_registers_both_styles():
    class App:
        class config:
            bibtex_default_style = "unsrt"

    meta = author_year_labels.setup(App)
    assert meta["parallel_read_safe"] and App.config.bibtex_default_style == author_year_labels.STYLE
    assert pybtex.plugin.find_plugin("pybtex.style.formatting", author_year_labels.STYLE) is author_year_labels.AuthorYearStyle
    found = sphinxcontrib.bibtex.plugin.find_plugin("sphinxcontrib.bibtex.style.referencing", author_year_labels.STYLE)
    assert found is author_year_labels.LetteredAuthorYearStyle
