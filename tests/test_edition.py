"""The book's identity (rare_earths.edition): CITATION.cff, the citation it asks for, the edition facts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

import rare_earths
from support import ROOT
from rare_earths import edition
from rare_earths.data.load import data_checked_to, data_version

CFF_PATH = ROOT / "CITATION.cff"
CHECKED = f"{data_checked_to():%Y-%m-%d}"  # data/checked.json


@pytest.fixture(scope="module")
def cff() -> dict:
    return yaml.safe_load(CFF_PATH.read_text(encoding="utf-8"))


def test_citation_cff_is_valid_cff_1_2_0(cff):
    for key in ("cff-version", "message", "title", "authors"):
        assert key in cff, key
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == "Rare Earth Rivalry" == rare_earths.BOOK_TITLE
    assert cff["type"] in ("dataset", "software")
    assert cff["authors"] == [{"name": "Rare Earth Rivalry contributors"}]
    assert isinstance(cff["message"], str) and cff["message"].strip()
    assert isinstance(cff["abstract"], str) and len(cff["abstract"]) > 100
    assert isinstance(cff["keywords"], list) and cff["keywords"] and all(isinstance(k, str) and k for k in cff["keywords"])
    # CFF dates are strings YYYY-MM-DD (a YAML date would not validate against the schema)
    assert isinstance(cff["date-released"], str)
    assert dt.date.fromisoformat(cff["date-released"]).year == rare_earths.BOOK_YEAR
    assert isinstance(cff["license"], str) and re.fullmatch(r"[A-Za-z0-9.\-+]+", cff["license"])
    allowed = {"cff-version", "message", "title", "authors", "type", "abstract", "version", "date-released", "license",
               "keywords", "preferred-citation", "repository-code", "url", "doi", "identifiers", "references", "commit",
               "contact", "license-url", "repository", "repository-artifact"}
    assert set(cff) <= allowed  # the schema allows no other top-level keys


def test_citation_cff_version_is_the_package_version(cff):
    assert isinstance(cff["version"], str) and cff["version"] == rare_earths.__version__
    pref = cff["preferred-citation"]
    assert pref["version"] == rare_earths.__version__ and pref["year"] == rare_earths.BOOK_YEAR
    assert pref["title"] == cff["title"] and pref["authors"] == cff["authors"] and pref["type"] == "book"
    assert pref["date-released"] == cff["date-released"]


def test_preferred_citation_text_and_bibtex(cff):
    expected = (f"Rare Earth Rivalry contributors ({rare_earths.BOOK_YEAR}). Rare Earth Rivalry "
                f"(version {rare_earths.__version__}) [Book]. Released {cff['date-released']}. "
                f"{edition.edition_url(cff)}")
    assert edition.read_citation_cff(CFF_PATH) == edition.read_citation_cff() == cff
    assert edition.preferred_citation(cff) == expected
    assert edition.preferred_citation_bibtex(cff) == (
        "@book{rare_earth_rivalry_" + rare_earths.__version__.replace(".", "_") + ",\n"
        "  author = {{Rare Earth Rivalry contributors}},\n"
        "  title = {Rare Earth Rivalry},\n"
        f"  year = {{{rare_earths.BOOK_YEAR}}},\n"
        f"  edition = {{Version {rare_earths.__version__}}},\n"
        f"  url = {{{edition.edition_url(cff)}}}\n}}")


def test_the_book_has_one_address_and_each_version_its_own(cff):
    # CITATION.cff's url is where the book is published; this version lives at <url>v<version>/,
    # which is what the preferred citation, html_baseurl and every citation's link use.
    assert re.fullmatch(r"https://[a-z0-9.-]+(/[A-Za-z0-9._-]+)*/", cff["url"])
    assert edition.edition_url(cff) == f"{cff['url']}v{rare_earths.__version__}/" == cff["preferred-citation"]["url"]
    assert edition.page_url("chapters/claims", "claims-ledger-C07") == (
        f"{cff['url']}v{rare_earths.__version__}/chapters/claims.html#claims-ledger-C07")


def test_authors_are_listed_in_apa_style():
    cff = {"cff-version": "1.2.0", "message": "m", "title": "T", "version": "1",
           "authors": [{"family-names": "Curie", "given-names": "Marie Salomea"}, {"name": "A Lab"},
                       {"family-names": "Noether", "given-names": "Emmy"}]}
    assert edition.preferred_citation(cff) == "Curie, M. S., A Lab, & Noether, E. (n.d.). T (version 1)."


def test_read_citation_cff_rejects_missing_keys(tmp_path):
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\ntitle: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing required keys \['message', 'authors'\]"):
        edition.read_citation_cff(bad)


def test_book_facts_are_the_edition_as_the_prose_prints_it(monkeypatch, cff):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782864000")  # built 2026-07-01
    facts = {f.key: f for f in edition.book_facts()}
    assert list(facts) == list(edition.BOOK_FACTS)
    assert facts["book.version"].text == rare_earths.__version__ and facts["book.version"].kind == "identifier"
    assert facts["book.data_version"].text == data_version()
    assert facts["book.data_checked_to"].text == facts["book.as_of"].text == CHECKED  # dated by its data
    assert CHECKED != "2026-07-01"  # not by its build
    assert facts["book.build_date"].text == "2026-07-01" and facts["book.build_date"].kind == "date"
    assert facts["book.citation"].text == edition.preferred_citation(cff) and facts["book.citation"].kind == "citation"
    assert [f.key for f in edition.book_facts(["book.citation"])] == ["book.citation"]
    with pytest.raises(ValueError, match=r"unknown keys \['book.nope'\]"):
        edition.book_facts(["book.nope"])


def test_edition_line(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782864000")
    assert edition.edition_line() == f"Data checked to {CHECKED} · built 2026-07-01 · version {rare_earths.__version__}"
    # a build date given moves only "built" (one that differs from the data date, so the two cannot be confused)
    assert edition.edition_line("2027-01-15").startswith(f"Data checked to {CHECKED} · built 2027-01-15")
