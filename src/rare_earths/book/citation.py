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


def bibtex_entry(row: pd.Series, year_suffix: str = "") -> str:
    """One BibTeX entry for a ``sources`` row (key = source_id)."""
    date = row["date_published"]
    kind = "techreport" if row["bibtex_type"] == "techreport" else "misc"
    fields: list[tuple[str, str]] = [
        ("author", "{" + _bib_escape(row["producer"]) + "}"),
        ("title", "{" + _bib_escape(row["title"]) + "}"),  # braces keep the capitalisation
        ("year", f"{date.year}{year_suffix}"),
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
    suffixes = year_suffixes(sources)
    header = "% Generated from data/sources.csv by scripts/generate.py: edit the CSV, not this file.\n\n"
    return header + "\n".join(bibtex_entry(row, suffixes.get(row["source_id"], "")) for _, row in sources.iterrows())


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
        suffix = year_suffixes(load_table("sources", data)).get(source_id, "")
        return bibtex_entry(row, suffix).rstrip("\n")
    citation = row["citation"]
    if style == "markdown" and _present(row["url"]):
        citation = citation.replace(row["url"], f"<{row['url']}>") if row["url"] in citation else f"{citation} <{row['url']}>"
    return citation


def book_reference() -> str:
    """``Rare Earth Rivalry (version 0.1.0, data checked to 2026-11-23)``."""
    from rare_earths.data.load import data_checked_to

    return f"{BOOK_TITLE} (version {__version__}, data checked to {data_checked_to().isoformat()})"


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
        key = f"rare_earth_rivalry_{claim_id.lower()}"
        return (
            f"@misc{{{key},\n  author = {{{{{_bib_escape(BOOK_TITLE)} contributors}}}},\n"
            f"  title = {{{_bib_escape(BOOK_TITLE)}: claims ledger, claim {claim_id}}},\n"
            f"  year = {{{BOOK_YEAR}}},\n"
            f"  note = {{{_bib_escape('Quoting ' + seed['citation'] + '; verdict: ' + claim['verdict'].replace('_', ' '))}}}\n}}"
        )
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
    parts.append(f"Source: {book_reference()}, claims ledger.")
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
    if style == "bibtex":
        key = "rare_earth_rivalry_" + re.sub(r"[^a-z0-9]+", "_", number_id.lower())
        note = f"{number.label}: {value}. Sources: {producers}.{_as_of_note(number, overrides)}"
        if params:
            note += f" Parameters (non-default): {_params_text(params)}."
        return (
            f"@misc{{{key},\n  author = {{{{{_bib_escape(BOOK_TITLE)} contributors}}}},\n"
            f"  title = {{{_bib_escape(BOOK_TITLE)}: key number {_bib_escape(number_id)}}},\n"
            f"  year = {{{BOOK_YEAR}}},\n  note = {{{_bib_escape(note)}}}\n}}"
        )
    label = f"**{number.label}**" if style == "markdown" else number.label
    text = f"{label}: {value}. Formula: {number.formula}. Sources: {producers}.{_as_of_note(number, overrides)}"
    if params:
        text += f" Parameters (non-default): {_params_text(params)}."
    return f"{text} In: {book_reference()}, key number {number_id}."


def cite_figure(figure_id: str, style: str = "text", overrides: dict | None = None) -> str:
    """Citation of a figure as drawn under ``overrides`` (names non-default parameters)."""
    _check_style(style)
    from rare_earths.figures import build_figure

    fig = build_figure(figure_id, overrides)
    text = fig.citation()
    if style == "markdown":
        return f"*{fig.short_title}*. " + text
    if style == "bibtex":
        key = "rare_earth_rivalry_" + figure_id.replace("-", "_")
        return (
            f"@misc{{{key},\n  author = {{{{{_bib_escape(BOOK_TITLE)} contributors}}}},\n"
            f"  title = {{{_bib_escape(BOOK_TITLE)}: figure {_bib_escape(figure_id)}, {_bib_escape(fig.short_title)}}},\n"
            f"  year = {{{BOOK_YEAR}}},\n  note = {{{_bib_escape(text)}}}\n}}"
        )
    return text


def _short_source(source_id: str, data=None) -> str:
    return source_reference(_source_row(source_id, data))


FIGURE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")


def cite(identifier: str, style: str = "text", data=None, overrides: dict | None = None) -> str:
    """Citation for any id the book knows: a claim (C07), a key number (costs.floor_multiple_of_2024_price),
    a figure (reserves-ranked) or a source (usgs_mcs_2026_ree). ``overrides`` apply to numbers and figures."""
    _check_style(style)
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
            f"unknown id {identifier!r}{hint}: give a claim id (C01…), a key-number id (`rare-earths numbers`), "
            "a figure id (`rare-earths figure --list`) or a source id (data/sources.csv)"
        ) from None


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise CitationError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
