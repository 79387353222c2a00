"""The shares chapter's figures (rare_earths.figures.shares), by hand.

Expected values are written out as arithmetic on the rows of data/usgs_country_supply.csv (USGS MCS
2026 v1.3, t REO), data/stage_shares.csv, data/usgs_us_imports.csv and data/claims.csv, so a change
in the data or the code that moves a plotted number fails here.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rare_earths.data.load import load_table
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers

list_figures()  # load every figure module in the registry's order before importing one of them by name
from rare_earths.figures import shares as fs  # noqa: E402

# USGS MCS 2026 v1.3, mine production 2024 (t REO), every printed row (dashes are 0), and the world total.
MCS26_2024 = {"United States": 45_500, "Australia": 29_000, "Brazil": 560, "Burma (Myanmar)": 27_000, "China": 270_000,
              "India": 2_900, "Madagascar": 1_400, "Malaysia": 140, "Nigeria": 1_500, "Russia": 2_600,
              "Thailand": 2_100, "Vietnam": 300}
MCS26_2024_OTHER, MCS26_2024_WORLD = 1_000, 380_000


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["shares", "reserves"])}


@pytest.fixture(scope="module")
def figs():
    return {fid: build_figure(fid) for fid in ("china-share-by-stage", "seed-shares-reconciled", "concentration-hhi")}


def _row(frame: pd.DataFrame, **match) -> pd.Series:
    sel = pd.Series(True, index=frame.index)
    for k, v in match.items():
        sel &= frame[k] == v
    rows = frame[sel]
    assert len(rows) == 1, (match, len(rows))
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------
# china-share-by-stage
# ---------------------------------------------------------------------------------------------


def test_stage_shares_one_row_per_stage_source_year(figs, numbers):
    data = figs["china-share-by-stage"].data
    ss = load_table("stage_shares")
    observed_china = ss[(ss["country"] == "China") & ~ss["is_projection"]]
    assert len(data) == len(observed_china) == 15
    assert not data.duplicated(["stage", "source_id", "edition", "year"]).any()
    assert list(dict.fromkeys(data["stage"])) == list(fs.STAGE_ORDER)  # ground to magnet, then US imports
    assert data["row_key"].is_unique  # every row is its own y position: no series joins two of them
    # USGS mining 2024 (MCS 2026 v1.3): 270,000 / 380,000, and over the rounding (+/- 5,000) of the world total
    usgs = _row(data, share_id="usgs_2026_mining_china_2024")
    assert usgs["share_pct"] == pytest.approx(round(270_000 / 380_000 * 100, 1))
    assert usgs["low_pct"] == pytest.approx(270_000 / 385_000 * 100, abs=1e-3)
    assert usgs["high_pct"] == pytest.approx(270_000 / 375_000 * 100, abs=1e-3)
    assert usgs["label"] == "71.1% (70.1–72.0)"
    assert _row(data, share_id="usgs_2026_mining_china_2025")["period"] == "2025e"
    assert _row(data, share_id="usgs_2026_us_imports_china_2021_2024")["period"] == "2021–24"
    assert _row(data, share_id="iea_commentary_2025_10_23_magnets_china")["period"] == "year not stated"
    # every plotted share agrees with the registry number that the prose prints
    for share_id, number_id in (
        ("usgs_2026_mining_china_2024", "shares.china_mining_share_usgs_pct"),
        ("usgs_2026_mining_china_2025", "shares.china_mining_share_usgs_2025e_pct"),
        ("usgs_2025_mining_china_2023", "shares.china_mining_share_usgs_mcs2025_2023_pct"),
        ("usgs_2025_mining_china_2024", "shares.china_mining_share_usgs_mcs2025_2024e_pct"),
        ("iea_gcmo2025_mining_china_2024", "shares.china_mining_share_iea_pct"),
        ("iea_gcmo2024_mining_china_2023", "shares.china_mining_share_iea_2023_pct"),
        ("iea_gcmo2025_refining_china_2024", "shares.china_refining_share_iea_pct"),
        ("iea_gcmo2024_refining_china_2023", "shares.china_refining_share_iea_2023_pct"),
        ("iea_commentary_2025_10_23_separation_china", "shares.china_separation_share_iea_commentary_pct"),
        ("roskill_2020_refined_china_2020", "shares.china_refining_share_roskill_2020_pct"),
        ("iea_commentary_2025_10_23_magnets_china", "shares.china_magnet_share_iea_pct"),
        ("usgs_2026_us_imports_china_2021_2024", "shares.china_us_import_share_pct"),
        ("usgs_2025_us_imports_china_2020_2023", "shares.china_us_import_share_mcs2025_pct"),
        ("usgs_2026_reserves_china_2025", "reserves.china_reserve_share_max_pct"),
        ("usgs_2025_reserves_china_2024", "reserves.china_reserve_share_max_mcs2025_pct"),
    ):
        assert _row(data, share_id=share_id)["share_pct"] == pytest.approx(numbers[number_id].value, abs=0.05), share_id


def test_stage_shares_mark_upper_bounds_as_at_most(figs):
    fig = figs["china-share-by-stage"]
    data = fig.data
    upper = data[data["bound"] == "<="]
    assert set(upper["stage"]) == {"reserves"} and len(upper) == 2
    assert upper["label"].str.startswith("≤").all() and upper["label"].str.contains("at most").all()
    assert _row(data, share_id="usgs_2026_reserves_china_2025")["share_pct"] == pytest.approx(round(44 / 75 * 100, 1))
    assert _row(data, share_id="usgs_2025_reserves_china_2024")["share_pct"] == pytest.approx(round(44 / 90 * 100, 1))
    assert not data.loc[data["bound"] == "=", "label"].str.contains("≤").any()
    spec = json.dumps(fig.chart.to_dict(validate=False), ensure_ascii=False)
    assert "triangle-left" in spec and fs.BOUND_LABEL["<="] in spec  # a distinct, explained shape
    assert "upper bounds (≤" in fig.caption


# ---------------------------------------------------------------------------------------------
# seed-shares-reconciled
# ---------------------------------------------------------------------------------------------


def test_seed_reconciliation_gaps_by_hand(figs, numbers):
    data = figs["seed-shares-reconciled"].data
    assert sorted(set(data["seed"]), key=float) == ["60", "85", "87", "90", "92"]
    assert data.groupby("seed")["closest"].sum().eq(1).all()
    closest = data[data["closest"]].set_index("seed")
    assert closest.loc["60", "share_id"] == "iea_gcmo2025_mining_china_2024"
    assert closest.loc["60", "gap_pp"] == pytest.approx(60 - 61.0)
    assert closest.loc["85", "share_id"] == "roskill_2020_refined_china_2020"
    assert closest.loc["85", "gap_pp"] == pytest.approx(85 - 85)
    assert closest.loc["87", "gap_pp"] == pytest.approx(87 - 71)
    assert closest.loc["90", "gap_pp"] == pytest.approx(90 - 91)  # IEA commentary, 2025-10-23
    assert closest.loc["92", "share_id"] == "iea_gcmo2024_refining_china_2023"
    assert closest.loc["92", "gap_pp"] == pytest.approx(92 - 92)
    usgs = _row(data, seed="60", share_id="usgs_2026_mining_china_2024")
    assert usgs["gap_pp"] == pytest.approx(60 - 71.1)
    assert usgs["gap_label"] == "\u221211.1 pp"
    assert _row(data, seed="87", share_id="usgs_2026_us_imports_china_2021_2024")["gap_label"] == "+16.0 pp closest"
    # the registry's gaps (printed in the prose) are the same arithmetic
    for seed, share_id, number_id in (
        ("60", "iea_gcmo2025_mining_china_2024", "shares.seed_60_vs_iea_mining_pp"),
        ("85", "roskill_2020_refined_china_2020", "shares.seed_85_vs_roskill_pp"),
        ("85", "iea_gcmo2025_refining_china_2024", "shares.seed_85_vs_iea_refining_pp"),
        ("87", "usgs_2026_us_imports_china_2021_2024", "shares.seed_87_vs_usgs_imports_pp"),
        ("90", "iea_gcmo2025_refining_china_2024", "shares.seed_90_vs_iea_refining_pp"),
        ("92", "iea_gcmo2024_refining_china_2023", "shares.seed_92_vs_iea_2023_refining_pp"),
    ):
        assert _row(data, seed=seed, share_id=share_id)["gap_pp"] == pytest.approx(numbers[number_id].value, abs=1e-9)
    # candidates within one seed's panel keep their stage, basket and year apart (no series)
    assert not data.duplicated(["seed", "share_id"]).any() and data["candidate_key"].is_unique


def test_seed_headers_carry_the_quote_and_the_ledger_verdict(figs):
    data = figs["seed-shares-reconciled"].data
    claims = load_table("claims").set_index("claim_id")
    for seed, claim in (("60", "C27"), ("85", "C22"), ("87", "C20"), ("90", "C31"), ("92", "C28")):
        header = data.loc[data["seed"] == seed, "seed_header"].iloc[0]
        assert f"ledger verdict: {claims.loc[claim, 'verdict']}" in header
        assert f"{seed}%" in header.replace("|", " ")


# ---------------------------------------------------------------------------------------------
# concentration-hhi
# ---------------------------------------------------------------------------------------------


def test_hhi_by_hand(figs, numbers):
    data = figs["concentration-hhi"].data
    listed_sum = sum(MCS26_2024.values()) + MCS26_2024_OTHER  # the shares of the printed rows add to 100
    hhi_usgs = sum((v / listed_sum * 100) ** 2 for v in MCS26_2024.values())
    row = _row(data, source_id="usgs_mcs_2026_ree", year=2024)
    assert row["hhi"] == pytest.approx(hhi_usgs, abs=1e-3)
    assert row["hhi"] == pytest.approx(numbers["shares.hhi_mining_usgs"].value, abs=1e-3)
    assert row["china_share_pct"] == pytest.approx(270_000 / MCS26_2024_WORLD * 100, abs=1e-3)
    refining = _row(data, source_id="iea_gcmo_2025", stage="separation_refining")
    assert refining["hhi"] == pytest.approx(91.3**2 + 4.5**2 + 1.2**2 + 0.0**2, abs=1e-3)
    # the unlisted 3.0% (100 - 97.0) in producers no larger than the smallest positive share (1.2%)
    assert refining["hhi_high"] == pytest.approx(8357.38 + 2 * 1.2**2 + 0.6**2, abs=1e-3)
    mining = _row(data, source_id="iea_gcmo_2025", stage="mining")
    assert mining["hhi"] == pytest.approx(61.0**2 + 16.1**2 + 9.1**2 + 4.3**2, abs=1e-3)
    assert mining["label"] == f"{61.0**2 + 16.1**2 + 9.1**2 + 4.3**2:,.0f} (China 61.0%)"
    assert (data["hhi"] > data["threshold"]).all() and (data["threshold"] == 1800).all()
    assert len(data) == 6 and set(data["stage"]) == {"mining", "separation_refining"}
