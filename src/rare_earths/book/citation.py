"""Ready-to-paste citations for sources and claims, and the bibliography file.

Citations name the original producer first (USGS, IEA, ...), as Our World in Data and the
IEA do when they republish others' figures, then say where the book shows the figure.

``references.bib`` (read by sphinxcontrib-bibtex) is generated from ``sources.csv`` by
:func:`bibtex_file`; a test checks that the shipped file equals the generated one.
"""

from __future__ import annotations

from rare_earths.numbers.references import expand_references

import os
import re

import pandas as pd

from rare_earths import BOOK_TITLE, BOOK_YEAR, __version__
from rare_earths.data.load import load_table
from rare_earths.format import present as _present
from rare_earths.format import published_text, source_label, source_reference

STYLES = ("text", "markdown", "bibtex")

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class CitationError(LookupError):
    """Unknown id or style."""


def _bib_escape(text: str) -> str:
    # Characters that are special to (La)TeX/BibTeX; braces would unbalance the entry.
    text = text.replace("\\", "/").replace("{", "(").replace("}", ")")
    return re.sub(r"([&%#_$])", r"\\\1", text)


def year_suffixes(sources: pd.DataFrame) -> dict[str, str]:
    """Author-year disambiguation: ``{source_id: "a" | "b" | ...}`` for producers with several
    sources in one year (the two SMM articles of 2025 cite as 2025a and 2025b), in date order."""
    out: dict[str, str] = {}
    for _, group in sources.groupby([sources["producer"], sources["date_published"].dt.year]):
        if len(group) > 1:
            ordered = group.sort_values(["date_published", "source_id"])
            out.update({sid: chr(ord("a") + i) for i, sid in enumerate(ordered["source_id"])})
    return out


def bibtex_entry(row: pd.Series) -> str:
    """One BibTeX entry for a ``sources`` row (key = source_id).

    ``year`` is the plain year of publication, in ``references.bib`` and in what
    ``rare-earths cite --style bibtex`` prints alike (the key tells two entries of one producer
    and year apart). The book's labels add the disambiguation letter of :func:`year_suffixes`
    where they are drawn (``_ext/author_year_labels.py``), so the file stays standard BibTeX."""
    date = row["date_published"]
    kind = "techreport" if row["bibtex_type"] == "techreport" else "misc"
    fields: list[tuple[str, str]] = [
        ("author", "{" + _bib_escape(row["producer"]) + "}"),
        ("title", "{" + _bib_escape(row["title"]) + "}"),  # braces keep the capitalisation
        ("year", str(date.year)),
    ]
    if row["date_precision"] != "year":
        fields.append(("month", _MONTHS[date.month - 1]))
    if kind == "techreport":
        fields.append(("institution", _bib_escape(row["producer"])))
    if _present(row["edition"]):
        edition = row["edition"] + (f", version {row['version']}" if _present(row["version"]) else "")
        fields.append(("edition", _bib_escape(edition)))
    if _present(row["url"]):
        fields.append(("url", row["url"]))
    if _present(row["doi"]):
        fields.append(("doi", row["doi"]))
    if _present(row["date_accessed"]):
        fields.append(("urldate", f"{row['date_accessed']:%Y-%m-%d}"))
    note = f"Published {published_text(row)}"
    if _present(row["date_accessed"]):
        note += f"; accessed {row['date_accessed']:%Y-%m-%d}"
    fields.append(("note", _bib_escape(note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{row['source_id']},\n{body}\n}}\n"


def bibtex_file(data: str | os.PathLike | None = None) -> str:
    """The whole ``references.bib`` text, one entry per source, sorted by id for stable diffs."""
    sources = load_table("sources", data).sort_values("source_id")
    header = "% Generated from data/sources.csv by scripts/generate.py: edit the CSV, not this file.\n\n"
    return header + "\n".join(bibtex_entry(row) for _, row in sources.iterrows())


def _source_row(source_id: str, data=None) -> pd.Series:
    sources = load_table("sources", data).set_index("source_id", drop=False)
    if source_id not in sources.index:
        raise CitationError(f"unknown source id {source_id!r}")
    return sources.loc[source_id]


def cite_source(source_id: str, style: str = "text", data=None) -> str:
    """Citation of one source in ``text``, ``markdown`` or ``bibtex`` style."""
    _check_style(style)
    row = _source_row(source_id, data)
    if style == "bibtex":
        return bibtex_entry(row).rstrip("\n")
    citation = row["citation"]
    if style == "markdown" and _present(row["url"]):
        citation = citation.replace(row["url"], f"<{row['url']}>") if row["url"] in citation else f"{citation} <{row['url']}>"
    return citation


def book_reference() -> str:
    """``Rare Earth Rivalry (version 0.1.0, data checked to 2026-11-23)``."""
    from rare_earths.data.load import data_checked_to

    return f"{BOOK_TITLE} (version {__version__}, data checked to {data_checked_to().isoformat()})"


#: The interactive table of the claims chapter, whose rows are anchored ``rr-table-claims-ledger-<id>``.
LEDGER_TABLE = "claims-ledger"
#: The chapters whose "numbers in this chapter" table anchors each of their own numbers (a
#: number's own chapter is the first of its ``chapters``); others are cited by their page.
NUMBER_TABLE_CHAPTERS = ("shares", "reserves", "cost-gap", "rebuild", "outlook", "pipeline")


def claim_url(claim_id: str) -> str:
    """The claim's row in the ledger of this version of the book."""
    from rare_earths.book.tables import row_anchor
    from rare_earths.edition import page_url

    return page_url("chapters/claims", row_anchor(LEDGER_TABLE, claim_id))


def number_url(number) -> str:
    """The number's row in its chapter's numbers table (or its chapter's page)."""
    from rare_earths.book.tables import number_anchor
    from rare_earths.edition import page_url

    home = number.chapters[0] if number.chapters else "methods"
    return page_url(f"chapters/{home}", number_anchor(number.id) if home in NUMBER_TABLE_CHAPTERS else None)


def _bibtex_misc(key: str, title: str, url: str, note: str) -> str:
    """A ``@misc`` entry citing part of this version of the book (url, version, data date)."""
    from rare_earths.data.load import data_checked_to
    from rare_earths.edition import release_date

    checked = data_checked_to().isoformat()
    fields = [
        ("author", "{" + _bib_escape(BOOK_TITLE) + " contributors}"),
        ("title", _bib_escape(title)),
        ("year", str(BOOK_YEAR)),
        ("version", __version__),
        ("date", release_date()),
        ("url", url),
        ("note", _bib_escape(note if f"Data checked to {checked}" in note else f"{note} Data checked to {checked}.")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def cite_book(style: str = "text") -> str:
    """Citation of the book as a whole (CITATION.cff's preferred citation, with its URL and data date)."""
    _check_style(style)
    from rare_earths.data.load import data_checked_to
    from rare_earths.edition import edition_url, preferred_citation, read_citation_cff, release_date

    cff = read_citation_cff()
    url = edition_url(cff)
    checked = data_checked_to().isoformat()
    if style == "bibtex":
        key = "rare_earth_rivalry_" + __version__.replace(".", "_")
        fields = [("author", "{" + _bib_escape(BOOK_TITLE) + " contributors}"), ("title", _bib_escape(BOOK_TITLE)),
                  ("year", str(BOOK_YEAR)), ("edition", f"Version {__version__}"), ("version", __version__),
                  ("date", release_date(cff)), ("url", url),
                  ("note", _bib_escape(f"Data checked to {checked}. Licence: CC BY 4.0 (book and curated data), MIT (code)."))]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@book{{{key},\n{body}\n}}"
    # The URL last, after the data date (CITATION.cff's own URLs are left out: this one is the version's).
    unlinked = {k: v for k, v in cff.items() if k not in ("url", "repository-code")}
    unlinked["preferred-citation"] = {k: v for k, v in (cff.get("preferred-citation") or {}).items() if k != "url"}
    text = f"{preferred_citation(unlinked)} Data checked to {checked}."
    if style == "markdown":
        return f"{text} <{url}>"
    return f"{text} {url}"


def _as_of_note(number, overrides: dict | None) -> str:
    """For a number that depends on ``as_of``: the date it was judged at, and whether that is the default."""
    if "as_of" not in number.parameters:
        return ""
    from rare_earths.params import resolve_lazily

    as_of = resolve_lazily({k: v for k, v in (overrides or {}).items() if k == "as_of"})["as_of"]
    given = "as_of" in (overrides or {})
    return f" Judged at {as_of.isoformat()}" + (" (as_of given)." if given else " (as_of: the date the data was checked to).")


def cite_claim(claim_id: str, style: str = "text", data=None) -> str:
    """Citation of a seed claim: the article quoted, the authority it was checked against, the verdict."""
    _check_style(style)
    claims = load_table("claims", data).set_index("claim_id", drop=False)
    if claim_id not in claims.index:
        raise CitationError(f"unknown claim id {claim_id!r}")
    claim = claims.loc[claim_id]
    seed = _source_row(claim["seed_source_id"], data)
    if style == "bibtex":
        return _bibtex_misc(f"rare_earth_rivalry_{claim_id.lower()}", f"{BOOK_TITLE}: claims ledger, claim {claim_id}",
                            claim_url(claim_id),
                            f"Quoting {seed['citation'].rstrip('.')}; verdict: {claim['verdict'].replace('_', ' ')}.")
    verdict = claim["verdict"].replace("_", " ")
    quote = claim["quote"]
    if style == "markdown":
        quote_part = f"> {quote}\n\n"
        seed_part = f"{seed['producer_short']}, *{seed['title']}* ({claim['seed_published']:%Y-%m-%d})"
    else:
        quote_part = f"\u201c{quote}\u201d "
        seed_part = f"{seed['producer_short']}, \u201c{seed['title']}\u201d ({claim['seed_published']:%Y-%m-%d})"
    parts = [f"{quote_part}Claim {claim_id} in {seed_part}."]
    if _present(claim["authority_source_id"]):
        authority = _source_row(claim["authority_source_id"], data)
        figure = f": {expand_references(claim['authority_text'], data)}" if _present(claim["authority_text"]) else ""
        parts.append(f"Checked against {authority['citation'].rstrip('.')}{figure}.")
    parts.append(f"Verdict: {verdict}. {expand_references(claim['note'], data)}".rstrip())
    url = claim_url(claim_id)
    parts.append(f"Source: {book_reference()}, claims ledger, " + (f"<{url}>" if style == "markdown" else url))
    return " ".join(parts)


def _params_text(params: dict) -> str:
    from rare_earths.params import plain

    return ", ".join(f"{k}={plain(v)}" for k, v in sorted(params.items()))


def cite_number(number_id: str, style: str = "text", overrides: dict | None = None, data=None) -> str:
    """Citation of a key number: its value and unit, formula, the original producers, the parameters."""
    _check_style(style)
    from rare_earths.params import non_default
    from rare_earths.numbers import UnknownNumberError, get_number

    try:
        number = get_number(number_id, overrides, data)
    except UnknownNumberError as err:
        raise CitationError(str(err.args[0])) from None
    params = non_default({**(overrides or {})}, number.parameters)
    value = f"{number.display()} {number.unit}" + (f" (range {number.display_range()})" if number.is_ranged else "")
    # One line naming the producers (short labels; `rare-earths cite SOURCE_ID` gives each in full).
    producers = "; ".join(dict.fromkeys(source_label(_source_row(s, data)) for s in number.sources))
    url = number_url(number)
    if style == "bibtex":
        key = "rare_earth_rivalry_" + re.sub(r"[^a-z0-9]+", "_", number_id.lower())
        note = f"{number.label}: {value}. Sources: {producers}.{_as_of_note(number, overrides)}"
        if params:
            note += f" Parameters (non-default): {_params_text(params)}."
        return _bibtex_misc(key, f"{BOOK_TITLE}: key number {number_id}", url, note)
    label = f"**{number.label}**" if style == "markdown" else number.label
    text = f"{label}: {value}. Formula: {number.formula}. Sources: {producers}.{_as_of_note(number, overrides)}"
    if params:
        text += f" Parameters (non-default): {_params_text(params)}."
    return f"{text} In: {book_reference()}, key number {number_id}. " + (f"<{url}>" if style == "markdown" else url)


def cite_figure(figure_id: str, style: str = "text", overrides: dict | None = None) -> str:
    """Citation of a figure as drawn under ``overrides`` (names non-default parameters)."""
    _check_style(style)
    from rare_earths.figures import build_figure

    fig = build_figure(figure_id, overrides)
    text = fig.citation()  # ends with the figure's URL
    url = fig.url()
    if style == "markdown":
        # The title once, in italics, then the rest of the citation with the URL as a link.
        head = f"{BOOK_TITLE} ({__version__}), figure {fig.id}: {fig.short_title}."
        rest = text[len(head):].strip() if text.startswith(head) else text
        rest = rest[: -len(url)].rstrip() if rest.endswith(url) else rest
        return f"{BOOK_TITLE} ({__version__}), figure {fig.id}: *{fig.short_title}*. {rest} <{url}>"
    if style == "bibtex":
        note = text[: -len(url)].rstrip() if text.endswith(url) else text
        return _bibtex_misc("rare_earth_rivalry_" + figure_id.replace("-", "_"),
                            f"{BOOK_TITLE}: figure {figure_id}, {fig.short_title}", url, note)
    return text


def _short_source(source_id: str, data=None) -> str:
    return source_reference(_source_row(source_id, data))


FIGURE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")


def cite(identifier: str, style: str = "text", data=None, overrides: dict | None = None) -> str:
    """Citation for any id the book knows: ``book`` (the whole book), a claim (C07), a key number
    (costs.floor_multiple_of_2024_price), a figure (reserves-ranked) or a source (usgs_mcs_2026_ree).
    ``overrides`` apply to numbers and figures."""
    _check_style(style)
    if identifier == "book":
        return cite_book(style)
    if re.fullmatch(r"C\d{2,3}", identifier):
        return cite_claim(identifier, style, data)
    if "." in identifier:
        return cite_number(identifier, style, overrides, data)
    if FIGURE_ID.fullmatch(identifier):
        from rare_earths.figures import list_figures

        if identifier in {f.id for f in list_figures()}:
            return cite_figure(identifier, style, overrides)
    try:
        return cite_source(identifier, style, data)
    except CitationError:
        known = sorted(load_table("sources", data)["source_id"])
        import difflib

        close = difflib.get_close_matches(identifier, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CitationError(
            f"unknown id {identifier!r}{hint}: give `book`, a claim id (C01…), a key-number id (`rare-earths numbers`), "
            "a figure id (`rare-earths figure --list`) or a source id (data/sources.csv)"
        ) from None


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise CitationError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
