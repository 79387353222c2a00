"""Ready citations for sources, claims, key numbers and figures, and the bibliography
(rare_earths.book.citation). The `rare-earths cite` command is tested in tests/cli/test_cli.py."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import rare_earths
from support import ROOT
from rare_earths.book.citation import CitationError, bibtex_file, cite, year_suffixes
from rare_earths.data.load import data_checked_to, load_table
from rare_earths.edition import read_citation_cff
from rare_earths.figures import build_figure

CHECKED = f"{data_checked_to():%Y-%m-%d}"  # data/checked.json
BOOK = f"Rare Earth Rivalry (version {rare_earths.__version__}, data checked to {CHECKED})"
URL = read_citation_cff()["url"] + f"v{rare_earths.__version__}/"  # where this version is published


def test_references_bib_is_generated_from_the_sources():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    assert bib == bibtex_file()
    keys = re.findall(r"^@\w+\{([a-z0-9_]+),", bib, flags=re.M)
    assert sorted(keys) == sorted(load_table("sources")["source_id"])


def test_bibtex_years_are_years_and_keys_tell_entries_apart():
    # Two SMM analyses of 2025 share producer and year: the key (the source id) tells them apart,
    # never a letter written into the year, in references.bib and in printed citations alike (the
    # book's labels add the letter where they are drawn: tests/ext/test_author_year_labels.py).
    bib = bibtex_file()
    years = dict(re.findall(r"^@\w+\{([a-z0-9_]+),\n(?:  \w+ = \{.*\},\n)*?  year = \{([^}]*)\}", bib, flags=re.M))
    assert sorted(years) == sorted(load_table("sources")["source_id"])
    assert all(re.fullmatch(r"\d{4}", y) for y in years.values()), {k: y for k, y in years.items() if not y.isdigit()}
    for sid in ("smm_2025_09_18", "smm_2025_12_29"):
        entry = cite(sid, "bibtex")
        assert entry.startswith(f"@misc{{{sid},") and "  year = {2025}," in entry
    for identifier in ("book", "C40", "costs.floor_multiple_of_2024_price", "cost-gap-range"):
        assert f"  year = {{{rare_earths.BOOK_YEAR}}}," in cite(identifier, "bibtex")


def test_same_producer_and_year_get_letters_in_date_order():
    sources = load_table("sources")
    suffixes = year_suffixes(sources)
    # SMM's sources of 2025, in publication order (then id), are lettered a, b, c, ...
    smm = sources[(sources["producer"] == sources.set_index("source_id").loc["smm_2025_09_18", "producer"])
                  & (sources["date_published"].dt.year == 2025)].sort_values(["date_published", "source_id"])
    assert [suffixes[s] for s in smm["source_id"]] == [chr(ord("a") + i) for i in range(len(smm))]
    assert suffixes["smm_2025_09_18"] < suffixes["smm_2025_12_29"]  # the seeds, in date order
    assert "usgs_mcs_2025_ree" not in suffixes  # alone in its year


def test_source_citation_is_the_sources_own_text():
    row = load_table("sources").set_index("source_id").loc["usgs_mcs_2026_ree"]
    assert cite("usgs_mcs_2026_ree") == row["citation"]
    markdown = cite("usgs_mcs_2026_ree", "markdown")
    assert f"<{row['url']}>" in markdown and markdown.replace(f"<{row['url']}>", row["url"]) == row["citation"]
    assert cite("iea_gcmo_2025", "bibtex").startswith("@techreport{iea_gcmo_2025,")


def test_claim_citation_quotes_the_seed_and_names_the_authority_and_verdict():
    claims = load_table("claims").set_index("claim_id")
    sources = load_table("sources").set_index("source_id")
    c40 = claims.loc["C40"]
    text = cite("C40")
    assert text.startswith(f"\u201c{c40['quote']}\u201d Claim C40 in SMM, ")
    assert f"Checked against {sources.loc['nrcan_ree_facts', 'citation'].rstrip('.')}" in text
    assert f"Verdict: mislabelled. {c40['note']}" in text
    assert text.endswith(f"Source: {BOOK}, claims ledger, {URL}chapters/claims.html#rr-table-claims-ledger-C40")
    assert cite("C40", "markdown").startswith(f"> {c40['quote']}\n\n")
    assert cite("C40", "bibtex").startswith("@misc{rare_earth_rivalry_c40,")
    no_authority = next(i for i, r in claims.iterrows() if pd.isna(r["authority_source_id"]))
    assert "Checked against" not in cite(no_authority)


def test_number_citation_names_value_formula_producers_and_parameters():
    text = cite("costs.us_extra_cost_usd_per_kg_high", overrides={"cost_gap_high": 0.5})
    assert text == (
        "Extra US cost per kg, high end of the gap: 27.50 USD/kg. Formula: china_cost x cost_gap_high = 55 x 0.5. "
        "Sources: SMM 2025-09-18; USGS MCS 2026 v1.3. Parameters (non-default): cost_gap_high=0.5. "
        f"In: {BOOK}, key number costs.us_extra_cost_usd_per_kg_high. "
        f"{URL}chapters/cost-gap.html#number-costs.us_extra_cost_usd_per_kg_high")
    assert "Parameters" not in cite("costs.us_extra_cost_usd_per_kg_high")
    ranged = cite("rebuild.coverage_pct")
    # commitments.csv at the data date (USD m; DFC 465 replaced by 565, JPM/GS 1,000 terminated), against USD 200 bn:
    # all = firm 1,715 (400 + 150 + 3 + 50 + 50 + 565 + 20 + 277 + 200) + conditional 2,000 (620 + 80 + 1,300)
    #       + DOE programmes 1,000 + private 3,773 (473 + 550 + 1,500 + 1,250) = 8,488 -> 4.244 %;
    # the low end is the firm money alone: 1,715 -> 0.8575 %.
    assert ": 4.2 % (range 0.9–4.2). " in ranged
    assert f"Judged at {CHECKED} (as_of: the date the data was checked to)." in ranged
    assert "Judged at 2026-06-30 (as_of given)." in cite("rebuild.coverage_pct", overrides={"as_of": "2026-06-30"})
    bib = cite("costs.us_extra_cost_usd_per_kg_high", "bibtex")
    assert bib.startswith("@misc{rare_earth_rivalry_costs_us_extra_cost_usd_per_kg_high,")
    assert "Sources: SMM 2025-09-18; USGS MCS 2026 v1.3." in bib


def test_figure_citation_is_the_figures_own():
    fig = build_figure("reserves-ranked")
    assert cite("reserves-ranked") == fig.citation()
    url = f"{URL}chapters/reserves.html#fig-reserves-ranked"
    assert fig.citation().endswith(f"Data checked to {CHECKED}. {url}")
    markdown = cite("reserves-ranked", "markdown")
    assert markdown.count(fig.short_title) == 1 and f"*{fig.short_title}*" in markdown and markdown.endswith(f"<{url}>")
    bib = cite("reserves-ranked", "bibtex")
    assert bib.startswith("@misc{rare_earth_rivalry_reserves_ranked,")
    assert f"  url = {{{url}}}," in bib and f"  version = {{{rare_earths.__version__}}}," in bib
    assert f"Data checked to {CHECKED}." in bib
    assert "Parameters (non-default): cost_gap_high=0.5" in cite("cost-gap-range", overrides={"cost_gap_high": 0.5})


@pytest.mark.parametrize("identifier, style, message", [
    ("usgs_mcs_2026_re", "text", "unknown id 'usgs_mcs_2026_re' (did you mean 'usgs_mcs_2026_ree'?)"),
    ("C999", "text", "unknown claim id 'C999'"),
    ("costs.nope", "text", "unknown number id 'costs.nope'"),
    ("C40", "apa", "unknown style 'apa'; choose one of text, markdown, bibtex"),
])
def test_unknown_ids_and_styles_are_named(identifier, style, message):
    with pytest.raises(CitationError) as err:
        cite(identifier, style)
    assert message in str(err.value)


def test_book_citation_in_every_style():
    cff = read_citation_cff()
    text = cite("book")
    assert text.startswith(f"Rare Earth Rivalry contributors ({rare_earths.BOOK_YEAR}). Rare Earth Rivalry "
                           f"(version {rare_earths.__version__}) [Book]. Released {cff['date-released']}.")
    assert text.endswith(f"Data checked to {CHECKED}. {URL}") and text.count("https://") == 1
    assert cite("book", "markdown").endswith(f"<{URL}>")
    bib = cite("book", "bibtex")
    assert bib.startswith("@book{rare_earth_rivalry_" + rare_earths.__version__.replace(".", "_") + ",")
    for field in (f"url = {{{URL}}}", f"version = {{{rare_earths.__version__}}}", f"date = {{{cff['date-released']}}}"):
        assert field in bib


def test_number_citations_name_producers_in_one_line():
    # rebuild.years_to_reach_at_pace rests on many sources: the citation stays one line of short labels.
    text = cite("rebuild.years_to_reach_at_pace")
    sources = re.search(r"Sources: (.*?)\. (?:Judged|In:)", text).group(1)
    assert "\n" not in text and len(sources) < 400
    labels = sources.split("; ")
    assert len(labels) == len(set(labels)) >= 2 and all(len(label) < 40 for label in labels)
