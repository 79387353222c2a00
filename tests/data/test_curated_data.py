"""The curated tables in data/ (PUDL-style): coverage and consistency rules that are facts about
this dataset rather than rules of the validator (those are in test_load.py and test_checks.py)."""

from __future__ import annotations

import re

import pandas as pd

from support import DATA
from rare_earths.data.load import load_table

SEEDS = sorted((DATA / "seeds").glob("*.txt"))


def _numbers_in(text: str) -> list[str]:
    return re.findall(r"\d[\d,.]*", text)


def test_ledger_covers_both_seeds_and_at_least_forty_claims():
    claims = load_table("claims")
    assert len(SEEDS) == 2 and len(claims) >= 40
    assert set(claims["seed_file"]) == {p.name for p in SEEDS}


def test_every_seed_number_in_article_body_is_in_some_claim():
    """Each number printed in an article body (not boilerplate) appears in at least one quote."""
    claims = load_table("claims")
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        body = text.split("Data Source Statement")[0]
        # Drop the headline/date lines: publication stamps are not claims.
        body_lines = [l for l in body.splitlines() if not re.match(r"^(Published:|icon|Home /|\[SMM Analysis\])", l)]
        quotes = " ".join(claims.loc[claims["seed_file"] == path.name, "quote"])
        for line in body_lines:
            for number in _numbers_in(line):
                if re.fullmatch(r"\d{1,2}:\d{2}", number):
                    continue
                assert number.rstrip(".,") in quotes, f"{path.name}: {number!r} in {line[:80]!r}… is in no claim"


def test_the_dfc_565_million_items_are_dated_by_their_announcement():
    claims = load_table("claims")
    serra = claims[claims["quote"].str.contains("565", regex=False)]
    assert len(serra) > 0
    assert (serra["announced_date"] == pd.Timestamp("2026-02-05")).all()
    assert set(serra["verdict"]) <= {"misdated", "approximate", "confirmed"}


def test_share_claims_are_not_one_series():
    """The seeds' China shares measure different stages: the ledger must keep them apart."""
    claims = load_table("claims")
    shares = claims[(claims["unit"] == "%") & claims["subject"].str.contains("China", case=False)]
    assert shares["stage"].nunique() >= 3


def test_world_reserve_totals_are_lower_bounds():
    t = load_table("usgs_country_supply")
    world = t[t["is_world_total"] & (t["measure"] == "reserves")]
    assert len(world) == 2 and set(world["bound"]) == {">"}


def test_mcs_2026_rows_are_version_1_3():
    t = load_table("usgs_country_supply")
    assert set(t.loc[t["edition"] == "MCS 2026", "version"]) == {"1.3"}


def test_revision_notes_cover_the_known_disagreements():
    rev = load_table("revisions")
    text = " ".join(rev["quantity"]).lower()
    assert "brazil" in text and "import reliance" in text
