"""The book's identity: its version, its citation (``CITATION.cff``) and the facts about this
edition that the prose glues (version, data version, build date, the citation).

The book's citation lives in ``CITATION.cff`` (Citation File Format 1.2.0) at the top of the
checkout: :func:`read_citation_cff` parses it and :func:`preferred_citation` formats its
``preferred-citation`` as the one-line text the chapters print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

import rare_earths
from rare_earths.format import TextFact



#: Keys every CITATION.cff must have (CFF 1.2.0).
CFF_REQUIRED = ("cff-version", "message", "title", "authors")

_CFF_TYPE_LABELS = {"book": "Book", "data": "Data set", "dataset": "Data set", "software": "Computer software",
                    "website": "Website", "report": "Report"}


def citation_cff_path() -> Path:
    """``CITATION.cff`` at the top of the source checkout."""
    return Path(__file__).resolve().parents[2] / "CITATION.cff"


def read_citation_cff(path: str | os.PathLike | None = None) -> dict:
    """``CITATION.cff`` parsed (YAML). Dates stay text (``"2026-11-23"``), as CFF validators expect."""
    import yaml

    text = Path(path or citation_cff_path()).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("CITATION.cff: not a YAML mapping")
    missing = [k for k in CFF_REQUIRED if k not in data]
    if missing:
        raise ValueError(f"CITATION.cff: missing required keys {missing}")
    return data


def _authors_text(authors: Iterable[Mapping]) -> str:
    names = []
    for a in authors:
        if "name" in a:
            names.append(str(a["name"]))
        else:
            given = " ".join(f"{part[0]}." for part in str(a.get("given-names", "")).split())
            names.append(f"{a.get('family-names', '')}, {given}".strip(", "))
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def preferred_citation(cff: Mapping) -> str:
    """The citation text CITATION.cff asks for (its ``preferred-citation``, else the top level).

    ``Rare Earth Rivalry contributors (2026). Rare Earth Rivalry (version 0.1.0) [Book]. Released 2026-11-23.``
    """
    ref = dict(cff.get("preferred-citation") or cff)
    version = ref.get("version", cff.get("version"))
    released = ref.get("date-released", cff.get("date-released"))
    year = ref.get("year") or (str(released)[:4] if released else "n.d.")
    kind = _CFF_TYPE_LABELS.get(str(ref.get("type", cff.get("type", ""))), "")
    text = f"{_authors_text(ref.get('authors') or cff['authors'])} ({year}). {ref.get('title', cff['title'])}"
    if version:
        text += f" (version {version})"
    if kind:
        text += f" [{kind}]"
    text += "."
    if released:
        text += f" Released {released}."
    url = ref.get("url") or cff.get("url") or cff.get("repository-code")
    if url:
        text += f" {url}"
    return text


def preferred_citation_bibtex(cff: Mapping) -> str:
    """The same citation as a BibTeX entry (``@book`` for a book, else ``@misc``)."""
    ref = dict(cff.get("preferred-citation") or cff)
    version = str(ref.get("version", cff.get("version", "")))
    released = ref.get("date-released", cff.get("date-released"))
    year = ref.get("year") or (str(released)[:4] if released else "")
    kind = "book" if ref.get("type") == "book" else "misc"
    key = "rare_earth_rivalry_" + version.replace(".", "_") if version else "rare_earth_rivalry"
    authors = " and ".join("{" + str(a["name"]) + "}" if "name" in a else f"{a.get('family-names')}, {a.get('given-names')}"
                           for a in (ref.get("authors") or cff["authors"]))
    fields = [("author", "{" + authors + "}"), ("title", "{" + str(ref.get("title", cff["title"])) + "}"),
              ("year", "{" + str(year) + "}")]
    if version:
        fields.append(("edition", "{Version " + version + "}"))
    if ref.get("url") or cff.get("url"):
        fields.append(("url", "{" + str(ref.get("url") or cff.get("url")) + "}"))
    body = ",\n".join(f"  {k} = {v}" for k, v in fields)
    return f"@{kind}{{{key},\n{body}\n}}"




def base_url(cff: Mapping | None = None) -> str:
    """Where the book is published (CITATION.cff ``url``, ending in ``/``): every version lives under it."""
    url = str((cff or _cff())["url"]).strip()
    return url if url.endswith("/") else url + "/"


def edition_url(cff: Mapping | None = None) -> str:
    """The permanent address of this version of the book: ``<base>v<version>/`` (``html_baseurl``)."""
    return f"{base_url(cff)}v{rare_earths.__version__}/"


def page_url(page: str, anchor: str | None = None) -> str:
    """The address of a page of this version (``chapters/cost-gap``), with ``#anchor`` if given."""
    return f"{edition_url()}{page}.html" + (f"#{anchor}" if anchor else "")


def release_date(cff: Mapping | None = None) -> str:
    """``date-released`` of CITATION.cff (``YYYY-MM-DD``): the date of this version."""
    return str((cff or _cff())["date-released"])


_CFF_CACHE: dict = {}


def _cff() -> dict:
    # CITATION.cff is read once per process: citations of every figure and number need it.
    path = citation_cff_path()
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _CFF_CACHE:
        _CFF_CACHE.clear()
        _CFF_CACHE[key] = read_citation_cff(path)
    return _CFF_CACHE[key]


#: The edition facts :func:`book_facts` can give.
BOOK_FACTS = ("book.version", "book.data_version", "book.data_checked_to", "book.build_date", "book.as_of",
              "book.citation")


def book_facts(keys: Iterable[str] = BOOK_FACTS) -> list[TextFact]:
    """The edition as the prose prints it: ``book.version``, ``book.data_version`` (a hash of
    every table: asking for it makes a chapter depend on all of them), ``book.data_checked_to``
    (and ``book.as_of``, the same date: the book is dated by its data), ``book.build_date`` (the
    day it was built; nothing depends on it) and ``book.citation``; only the ``keys`` asked for."""
    keys = list(keys)
    unknown = [k for k in keys if k not in BOOK_FACTS]
    if unknown:
        raise ValueError(f"book_facts: unknown keys {unknown}; known: {', '.join(BOOK_FACTS)}")
    out = []
    for key in keys:
        if key == "book.version":
            out.append(TextFact(key, rare_earths.__version__, "identifier"))
        elif key == "book.data_version":
            from rare_earths.data.load import data_version

            out.append(TextFact(key, data_version(), "identifier"))
        elif key in ("book.data_checked_to", "book.as_of"):  # the book is dated by its data
            from rare_earths.data.load import data_checked_to

            out.append(TextFact(key, data_checked_to().isoformat(), "date"))
        elif key == "book.build_date":
            from rare_earths.params import build_date

            out.append(TextFact(key, build_date().isoformat(), "date"))
        else:
            out.append(TextFact(key, preferred_citation(read_citation_cff()), "citation"))
    return out


def edition_line(built: str | None = None) -> str:
    """``Data checked to 2026-11-23 · built 2026-12-02 · version 0.1.0``: the line every page shows."""
    from rare_earths.data.load import data_checked_to
    from rare_earths.params import build_date

    return (f"Data checked to {data_checked_to().isoformat()} · built {built or build_date().isoformat()} · "
            f"version {rare_earths.__version__}")
