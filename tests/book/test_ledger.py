"""The claims ledger as the book shows it (rare_earths.book.ledger)."""

from __future__ import annotations

import pandas as pd
import pytest

from support import read_rows, write_rows
from rare_earths.book import ledger
from rare_earths.data.load import load_table
from rare_earths.data.schema import VERDICTS


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return load_table("claims")


def test_ledger_has_one_row_per_claim(claims):
    frame = ledger.ledger_frame()
    assert list(frame.columns) == list(ledger.LEDGER_COLUMNS)
    assert len(frame) == len(claims)
    assert frame["id"].is_unique
    assert list(frame["id"]) == sorted(claims["claim_id"])
    by_id = claims.set_index("claim_id")
    for row in frame.itertuples(index=False):
        claim = by_id.loc[row.id]
        assert row.quote == claim["quote"]  # verbatim
        assert row.verdict == ledger.VERDICT_LABELS[claim["verdict"]]
        assert (row.authority == "") == pd.isna(claim["authority_source_id"])
        assert row.claim, f"{row.id}: empty stated value"
    c40 = frame.set_index("id").loc["C40"]
    assert c40["claim"] == "15.2 Mt REO" and c40["article"] == "SMM 2025-12-29"


def test_ledger_frame_follows_a_changed_table(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    first = min(range(len(rows)), key=lambda i: rows[i]["claim_id"])
    rows[first]["verdict"] = "conflicts" if rows[first]["verdict"] != "conflicts" else "confirmed"
    write_rows(path, header, rows)
    frame = ledger.ledger_frame(data_copy)
    assert frame.loc[0, "verdict"] == rows[first]["verdict"]
    assert len(frame) == len(rows)


def test_verdict_counts_cover_every_pair_and_add_up(claims):
    counts = ledger.verdict_counts()
    articles = claims["seed_source_id"].nunique()
    assert len(counts) == articles * len(VERDICTS)  # zeros kept
    assert counts["claims"].sum() == len(claims)
    expected = claims.groupby(["seed_source_id", "verdict"]).size()
    for row in counts.itertuples():
        verdict = VERDICTS[row.verdict_order]
        assert row.verdict == ledger.VERDICT_LABELS[verdict]
        assert row.claims == expected.get((row.seed_source_id, verdict), 0)
    assert list(dict.fromkeys(counts["seed_source_id"])) == ["smm_2025_09_18", "smm_2025_12_29"]  # by date
    totals = ledger.verdict_totals()
    assert list(totals["verdict"]) == list(VERDICTS)
    assert totals["claims"].sum() == len(claims)
    assert totals["share_pct"].sum() == pytest.approx(100, abs=0.5)
    assert list(totals["meaning"]) == [ledger.VERDICT_MEANINGS[v] for v in VERDICTS]


def test_stage_verdict_counts(claims):
    counts = ledger.stage_verdict_counts()
    assert counts["claims"].sum() == len(claims)
    assert len(counts) == claims["stage"].nunique() * len(VERDICTS)
    stage_totals = counts.drop_duplicates("stage")["stage_claims"].tolist()
    assert stage_totals == sorted(stage_totals, reverse=True)


def test_claim_facts_are_what_the_prose_quotes_of_a_claim():
    facts = {f.key: f for f in ledger.claim_facts(["C40", "C29", "C50"])}
    assert facts["claim.C40.stated"].text == "15.2 Mt REO" and facts["claim.C40.stated"].kind == "claim"
    assert facts["claim.C40.verdict"].text == "mislabelled"
    assert facts["claim.C29.authority_date"].text == "2025-11-07" and facts["claim.C29.authority_date"].kind == "date"
    assert facts["claim.C50.announced_date"].text == "2026-02-05"
    assert facts["claim.C50.seed_published"].text == "2025-12-29"
    assert {k.split(".")[1] for k in facts} == {"C40", "C29", "C50"}  # only the claims asked for
    with pytest.raises(ValueError, match=r"unknown claim ids \['C999'\]"):
        ledger.claim_facts(["C40", "C999"])


def test_sources_and_revisions_frames():
    sources = load_table("sources")
    frame = ledger.sources_frame()
    assert sorted(frame["source id"]) == sorted(sources["source_id"])
    assert list(frame.columns) == ["source id", "producer", "title", "edition", "version", "published", "kind",
                                   "licence", "url"]
    usgs = frame.set_index("source id").loc["usgs_mcs_2025_ree"]
    assert usgs["published"] == "2025-01"  # at the precision it is known (month)
    revisions = ledger.revisions_frame()
    assert len(revisions) == len(load_table("revisions"))
    brazil = revisions[revisions["quantity"] == "Brazil rare-earth reserves (MCS 2026)"].iloc[0]
    assert brazil["change"] == "−10,000,000"
