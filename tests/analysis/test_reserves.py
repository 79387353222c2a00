"""Reserves: rankings, upper-bound shares, R/P years, reserves vs resources, edition changes."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import reserves as rs
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def supply():
    return load_table("usgs_country_supply")


def test_ranking_mcs_2026(supply):
    t = rs.reserves_table(supply, "MCS 2026")
    ranked = t[t["rank"].notna()]
    assert ranked["country"].tolist()[:3] == ["China", "Brazil", "Australia"]
    assert rs.reserve_rank(supply, "Canada", "MCS 2026") == (10, 11)  # 830,000 t, after South Africa's 860,000
    assert rs.reserve_rank(supply, "Canada", "MCS 2025") == (11, 12)  # MCS 2025 also lists India and Thailand
    # NA is "not available", not zero: such countries are not ranked and have no share.
    na = t[t["status"] == "not_available"]
    assert na["rank"].isna().all() and na["share_max_pct"].isna().all()
    assert (na["share_bound"] == "not_available").all()
    assert (ranked["share_bound"] == "<=").all()


def test_shares_of_a_more_than_total_are_upper_bounds(supply):
    r = rs.reserve_share(supply, "China", "MCS 2026")
    assert r.bound == "<=" and r.central == pytest.approx(44_000_000 / 75_000_000 * 100)  # 58.7
    # Listed countries add up to 75,290,000 (> the printed 75,000,000): a tighter upper bound.
    listed = 44e6 + 11e6 + 6.3e6 + 3.8e6 + 3.5e6 + 1.9e6 + 1.5e6 + 0.89e6 + 0.86e6 + 0.83e6 + 0.71e6
    assert rs.reserves_table(supply).attrs["listed_sum_t"] == pytest.approx(listed)
    assert rs.reserve_share_listed(supply, "China").central == pytest.approx(44e6 / listed * 100)
    assert rs.reserve_share(supply, "China", "MCS 2025").central == pytest.approx(44 / 90 * 100)


def test_upper_bounds_match_stage_shares(supply):
    published = load_table("stage_shares").set_index("share_id")
    assert round(rs.reserve_share(supply, "China", "MCS 2026").central, 1) == published.loc["usgs_2026_reserves_china_2025", "share_pct"]
    assert round(rs.reserve_share(supply, "China", "MCS 2025").central, 1) == published.loc["usgs_2025_reserves_china_2024", "share_pct"]
    assert published.loc["usgs_2026_reserves_china_2025", "bound"] == "<="


def test_rp_years(supply):
    rp = rs.reserves_to_production(supply, "MCS 2026").set_index("country")
    assert rp.loc["China", "rp_years"] == pytest.approx(44_000_000 / 270_000)  # 163 years
    assert rp.loc["United States", "rp_years"] == pytest.approx(1_900_000 / 51_000)  # 37 years
    world = rp.loc["World total (rounded)"]
    assert world["rp_years"] == pytest.approx(75_000_000 / 390_000) and world["rp_bound"] == ">="
    assert rp.loc["Canada", "rp_status"] == "no_production"
    assert rp.loc["Burma (Myanmar)", "rp_status"] == "reserves_not_available"
    # A NaN only ever appears with a status explaining it.
    assert (rp.loc[rp["rp_years"].isna(), "rp_status"] != "computed").all()
    assert set(rp["rp_status"]) <= set(rs.RP_STATUSES)
    assert rs.country_rp_years(supply, "China").central == pytest.approx(44_000_000 / 270_000)
    with pytest.raises(ParameterError, match="country=Canada: R/P undefined"):
        rs.country_rp_years(supply, "Canada")


def test_rp_years_rejects_nonsense():
    assert rs.rp_years(100, 4) == 25
    with pytest.raises(ParameterError, match="production_t_per_year=0"):
        rs.rp_years(100, 0)
    with pytest.raises(ParameterError, match="reserves_t=-1"):
        rs.rp_years(-1, 4)


def test_canada_reserves_vs_resources_vs_seed(supply):
    canada = rs.reserves_table(supply).set_index("country").loc["Canada", "reserves_t"]
    assert canada == 830_000
    resources, bound, _ = rs.mi_resources(supply, "Canada")
    assert (resources, bound) == (14e6, ">")  # USGS: "more than 14 million tons in Canada"
    others = [44e6, 11e6, 6.3e6, 3.8e6, 3.5e6, 1.9e6, 1.5e6, 0.89e6, 0.86e6, 0.71e6]
    vs = rs.reserves_vs_resources(canada, resources, 15.2e6, bound, others)
    assert vs.resources_to_reserves == pytest.approx(14e6 / 830_000)  # at least 16.9x
    assert vs.claimed_to_reserves == pytest.approx(15.2e6 / 830_000)  # 18.3x
    assert vs.claimed_minus_resources_t == pytest.approx(15.2e6 - 14e6)  # at most 1.2 Mt
    assert vs.claimed_minus_reserves_plus_resources_t == pytest.approx(15.2e6 - 14.83e6)
    assert vs.claimed_rank_among_reserves == 2  # only China's 44 Mt is larger
    with pytest.raises(ParameterError, match="reserves_t=0"):
        rs.reserves_vs_resources(0, 14e6, 15.2e6)
    with pytest.raises(ParameterError, match="resources_bound=about"):
        rs.reserves_vs_resources(1, 14e6, 15.2e6, "about")


def test_seed_claim_c40_is_the_figure_compared():
    c40 = load_table("claims").set_index("claim_id").loc["C40"]
    assert c40["value"] == 15.2 and c40["unit"].startswith("Mt")


def test_edition_changes(supply):
    ch = rs.edition_changes(supply).set_index("country")
    assert ch.loc["Brazil", "change_t"] == 11_000_000 - 21_000_000
    assert ch.loc["Brazil", "change_pct"] == pytest.approx(-10 / 21 * 100)
    assert ch.loc["Australia", "change_t"] == 6_300_000 - 5_700_000
    assert ch.loc["India", "kind"] == "no_longer_reported"
    assert ch.loc["Malaysia", "kind"] == "newly_reported"
    assert ch.loc["China", "kind"] == "unchanged"
    assert ch.loc["World total (rounded)", "change_t"] == 75_000_000 - 90_000_000
    assert ch.loc["World total (rounded)", "new_bound"] == ">"
    assert set(ch["kind"]) <= set(rs.CHANGE_KINDS)


def test_edition_changes_agree_with_revisions(supply):
    ch = rs.edition_changes(supply).set_index("country")
    rev = load_table("revisions").set_index("revision_id")
    for rid, country in (("mcs2025_mcs2026_brazil_reserves", "Brazil"),
                         ("mcs2025_mcs2026_world_reserves", "World total (rounded)"),
                         ("mcs2025_mcs2026_australia_reserves", "Australia")):
        assert ch.loc[country, "old_t"] == rev.loc[rid, "old_value"]
        assert ch.loc[country, "new_t"] == rev.loc[rid, "new_value"]
    prod = rs.edition_changes(supply, measure="mine_production").set_index("country")
    assert prod.loc["Nigeria", "change_t"] == rev.loc["mcs2025_mcs2026_production_2024_nigeria", "new_value"] - 13_000
    assert (prod["year_old"] == 2024).all()


def test_unknown_edition(supply):
    with pytest.raises(ParameterError, match="edition=MCS 2030"):
        rs.reserves_table(supply, "MCS 2030")
    with pytest.raises(ParameterError, match="production_year=2019"):
        rs.reserves_to_production(supply, "MCS 2026", 2019)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e8), min_size=1, max_size=10), st.floats(0, 1e8))
def test_table_shares_are_upper_bounds_for_any_world_at_least_the_bound(reserves, extra):
    listed = sum(reserves)
    world_bound = max(listed, 1.0)
    rows = [dict(source_id="s", edition="E", version="1", country=f"c{i}", is_world_total=False, measure="reserves",
                 year=2025, estimated=False, status="reported", value_t_reo=v, bound="=")
            for i, v in enumerate(reserves)]
    rows.append(dict(source_id="s", edition="E", version="1", country="World total (rounded)", is_world_total=True,
                     measure="reserves", year=2025, estimated=False, status="reported", value_t_reo=world_bound,
                     bound=">"))
    t = rs.reserves_table(pd.DataFrame(rows), "E")
    true_world = world_bound + extra
    for _, row in t.iterrows():
        assert 0 <= row["share_max_listed_pct"] <= row["share_max_pct"] + 1e-9 <= 100 + 1e-9
        assert row["reserves_t"] / true_world * 100 <= row["share_max_pct"] + 1e-9
    ranks = t["rank"].astype(int).tolist()
    assert ranks == sorted(ranks)
