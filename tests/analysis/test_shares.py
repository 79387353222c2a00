"""Shares: China's share by stage and basket, concentration, and the seeds' percentages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import shares as sh
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def supply():
    return load_table("usgs_country_supply")


@pytest.fixture(scope="module")
def stage_shares():
    return load_table("stage_shares")


# --- arithmetic ----------------------------------------------------------------------------------


def test_share_pct_and_errors():
    assert sh.share_pct(270_000, 380_000) == pytest.approx(270_000 / 380_000 * 100)
    with pytest.raises(ParameterError, match="part=5: must not exceed total=4"):
        sh.share_pct(5, 4)
    with pytest.raises(ParameterError, match="total=0"):
        sh.share_pct(0, 0)
    with pytest.raises(ParameterError, match="part=-1"):
        sh.share_pct(-1, 4)


def test_share_of_rounded_total():
    r = sh.share_of_rounded_total(270_000, 380_000)
    # 380,000 is rounded to the nearest 10,000: the true total lies within +/- 5,000.
    assert r.central == pytest.approx(270_000 / 380_000 * 100)  # 71.05
    assert r.low == pytest.approx(270_000 / 385_000 * 100)  # 70.13
    assert r.high == pytest.approx(270_000 / 375_000 * 100)  # 72.00
    with pytest.raises(ParameterError, match="tolerance=10"):
        sh.share_of_rounded_total(1, 10, tolerance=10)


def test_share_upper_bound():
    r = sh.share_upper_bound(44_000_000, 75_000_000)
    assert r.bound == "<=" and r.central == pytest.approx(44 / 75 * 100)


def test_top_n_and_hhi_by_hand():
    iea_refining = [91.3, 4.5, 1.2, 0.0]  # China, Malaysia, US, Australia (IEA GCMO 2025, 2024)
    assert sh.top_n_share(iea_refining, 3) == pytest.approx(91.3 + 4.5 + 1.2)
    assert sh.hhi(iea_refining) == pytest.approx(91.3**2 + 4.5**2 + 1.2**2)  # 8,357.38
    assert sh.hhi([100]) == 10_000
    with pytest.raises(ParameterError, match="over 100"):
        sh.hhi([60, 60])
    with pytest.raises(ParameterError, match="n=0"):
        sh.top_n_share([10], 0)


def test_hhi_bounds_by_hand():
    # IEA refining: 3.0% unlisted, each unlisted producer no larger than the smallest listed (1.2%):
    # 1.2 + 1.2 + 0.6 -> adds 2 * 1.2**2 + 0.6**2 = 3.24 points at most.
    r = sh.hhi_bounds([91.3, 4.5, 1.2], 3.0, 1.2)
    assert r.low == pytest.approx(8357.38)
    assert r.high == pytest.approx(8357.38 + 2 * 1.2**2 + 0.6**2)
    # Remainder as one producer: adds remainder**2.
    assert sh.hhi_bounds([50, 30]).high == pytest.approx(50**2 + 30**2 + 20**2)
    assert sh.hhi_bounds([50, 50]).is_point


# --- from the data -------------------------------------------------------------------------------


def test_usgs_mining_share_headline(supply):
    r = sh.usgs_mining_share(supply, "China", "MCS 2026", 2024)
    assert r.central == pytest.approx(270_000 / 380_000 * 100)
    assert (r.low, r.high) == (pytest.approx(270_000 / 385_000 * 100), pytest.approx(270_000 / 375_000 * 100))


@pytest.mark.parametrize("edition, year, share_id", [
    ("MCS 2025", 2023, "usgs_2025_mining_china_2023"),  # 255,000 / 376,000
    ("MCS 2025", 2024, "usgs_2025_mining_china_2024"),  # 270,000 / 390,000
    ("MCS 2026", 2024, "usgs_2026_mining_china_2024"),  # 270,000 / 380,000
    ("MCS 2026", 2025, "usgs_2026_mining_china_2025"),  # 270,000 / 390,000
])
def test_derived_shares_in_stage_shares_match_the_computation(supply, stage_shares, edition, year, share_id):
    computed = sh.usgs_mining_share(supply, "China", edition, year).central
    published = stage_shares.set_index("share_id").loc[share_id, "share_pct"]
    assert round(computed, 1) == published


def test_usgs_concentration(supply):
    c = sh.usgs_mining_concentration(supply, "MCS 2026", 2024)
    assert c.top3_countries == ("China", "United States", "Australia")
    assert c.top3_share.central == pytest.approx((270_000 + 45_500 + 29_000) / 380_000 * 100)
    listed = 384_000  # the 2024 rows of MCS 2026 v1.3 add up to 384,000 t (world total printed: 380,000)
    assert c.countries["China"] == pytest.approx(270_000 / listed * 100)
    assert c.unlisted_pct == pytest.approx(1_000 / listed * 100)  # "Other"
    assert c.hhi.low == pytest.approx(sum(v**2 for v in c.countries.values()))
    assert c.hhi.high == pytest.approx(c.hhi.low + c.unlisted_pct**2)
    assert c.hhi.central > sh.HHI_HIGHLY_CONCENTRATED


def test_iea_concentration(stage_shares):
    r = sh.iea_concentration(stage_shares, "separation_refining")
    assert r.china_share.central == 91.3
    assert r.top3_share.central == pytest.approx(91.3 + 4.5 + 1.2)
    assert r.hhi.low == pytest.approx(91.3**2 + 4.5**2 + 1.2**2)
    m = sh.iea_concentration(stage_shares, "mining")
    assert m.top3_share.central == pytest.approx(61.0 + 16.1 + 9.1)
    assert m.unlisted_pct == pytest.approx(100 - (61.0 + 16.1 + 9.1 + 4.3))


def test_concentration_table_keeps_sources_apart(supply, stage_shares):
    table = sh.concentration_table(supply, stage_shares)
    assert len(table) == len(table.drop_duplicates(["source_id", "edition", "year", "stage", "basket"]))
    assert set(table["basket"]) == {"all_ree", "magnet_ree"}
    assert table["china_share_pct"].between(0, 100).all()
    assert table.notna().all().all()


def test_china_shares_never_mix_series(stage_shares):
    table = sh.china_shares(stage_shares)
    for _, group in table.groupby("series"):
        sh.check_one_series(group.drop(columns="series"))
    series = sh.china_share_series(stage_shares, stage="separation_refining", basket="magnet_ree", basis="output",
                                   source_id="iea_gcmo_2025", scenario="base case")
    assert series["year"].tolist() == [2024, 2030, 2035]
    assert series["share_pct"].tolist() == [91.3, 76.0, 75.5]


def test_check_one_series_refuses_a_mix(stage_shares):
    china = stage_shares[stage_shares["country"] == "China"]
    with pytest.raises(ParameterError, match="one series must have one"):
        sh.check_one_series(china)
    with pytest.raises(ParameterError, match="no China shares match"):
        sh.china_share_series(stage_shares, stage="magnets", basket="all_ree", basis="output", source_id="x")


def test_reconcile_seed_shares_by_hand(stage_shares):
    rec = sh.reconcile_seed_shares(stage_shares)
    closest = rec[rec["closest"]].set_index("seed")
    assert closest.loc["60", "gap_pp"] == pytest.approx(60 - 61.0)  # IEA magnet-REE mining, 2024
    assert closest.loc["85", "gap_pp"] == pytest.approx(85 - 85)  # Roskill 2020
    assert closest.loc["87", "gap_pp"] == pytest.approx(87 - 71)  # USGS imports 2021–24
    assert closest.loc["90", "gap_pp"] == pytest.approx(90 - 91)  # IEA commentary 2025-10-23
    assert closest.loc["92", "gap_pp"] == pytest.approx(92 - 92)  # IEA GCMO 2024, 2023
    assert set(rec["seed"]) == {"60", "85", "87", "90", "92"}
    assert (rec.groupby("seed")["closest"].sum() == 1).all()


def test_reconcile_rejects_unknown_candidates(stage_shares):
    bad = (sh.SeedShare("50", 50.0, "smm_2025_09_18", "x", ("nope",)),)
    with pytest.raises(ParameterError, match="share_id=nope"):
        sh.reconcile_seed_shares(stage_shares, bad)


def test_unknown_edition_and_year(supply):
    with pytest.raises(ParameterError, match="edition=MCS 1999"):
        sh.usgs_mining_share(supply, "China", "MCS 1999", 2024)
    with pytest.raises(ParameterError, match="year=2019"):
        sh.usgs_mining_share(supply, "China", "MCS 2026", 2019)
    with pytest.raises(ParameterError, match="Burma"):
        sh.usgs_country_value(supply, "MCS 2026", "reserves", "Burma (Myanmar)")


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e9), st.floats(1, 1e9))
def test_shares_stay_in_0_100(part, extra):
    total = part + extra
    s = sh.share_pct(part, total)
    assert 0 <= s <= 100
    r = sh.share_of_rounded_total(part, total, tolerance=extra / 2)
    assert 0 <= r.low <= r.central <= r.high <= 100


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e8), st.floats(1, 1e8), st.floats(0, 1e8))
def test_share_of_a_lower_bound_total_stays_an_upper_bound(part, bound_extra, true_extra):
    lower_bound = part + bound_extra  # the printed "more than" total
    true_world = lower_bound + true_extra  # the real total is at least the printed one
    assert sh.share_pct(part, true_world) <= sh.share_upper_bound(part, lower_bound).central + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=8), st.floats(0.01, 100))
def test_hhi_bounds_properties(raw, cap):
    total = sum(raw)
    shares = [s / total * 90 for s in raw] if total > 0 else raw  # listed shares add up to 90 (or 0)
    r = sh.hhi_bounds(shares, 100 - sum(shares), cap)
    assert 0 <= r.low <= r.high <= 10_000 + 1e-6
    assert r.low >= max(shares) ** 2 - 1e-6  # the largest producer alone
    assert sh.top_n_share(shares, 3) <= 100 + 1e-9
