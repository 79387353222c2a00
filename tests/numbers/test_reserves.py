"""The reserves domain's key numbers, by hand from data/usgs_country_supply.csv (USGS MCS 2026 v1.3
and MCS 2025, t REO), data/claims.csv (C40, the seed's 15.2 Mt) and data/revisions.csv."""

from __future__ import annotations

import pytest

from rare_earths.book.glue import number_glue
from rare_earths.data.load import load_table
from rare_earths.numbers import compute_numbers

# MCS 2026 v1.3 reserves (t REO); world printed as "more than 75,000,000" (MCS 2025: 90,000,000;
# MCS 2026 v1.0: 85,000,000).
RES26 = {"China": 44e6, "Brazil": 11e6, "Australia": 6.3e6, "Russia": 3.8e6, "Vietnam": 3.5e6, "United States": 1.9e6,
         "Greenland": 1.5e6, "Tanzania": 0.89e6, "South Africa": 0.86e6, "Canada": 0.83e6, "Malaysia": 0.71e6}
WORLD26, WORLD25, WORLD26_V10 = 75e6, 90e6, 85e6
WORLD_PROD_2025 = 390_000


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["reserves"])}


def test_reserves_and_their_upper_bound_shares_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["reserves.china_reserve_share_max_pct"] == pytest.approx(44e6 / WORLD26 * 100)
    assert numbers["reserves.china_reserve_share_max_pct"].bound == "<="
    assert v["reserves.china_reserve_share_max_mcs2025_pct"] == pytest.approx(44e6 / WORLD25 * 100)
    assert v["reserves.china_reserve_share_max_v10_pct"] == pytest.approx(44e6 / WORLD26_V10 * 100)
    assert v["reserves.china_reserve_share_max_listed_pct"] == pytest.approx(44e6 / sum(RES26.values()) * 100)
    assert v["reserves.china_reserves_mt"] == pytest.approx(44) and v["reserves.brazil_reserves_mt"] == pytest.approx(11)
    assert v["reserves.brazil_reserves_mcs2025_mt"] == pytest.approx(21)
    assert v["reserves.australia_reserves_mt"] == pytest.approx(6.3)
    assert v["reserves.australia_reserves_mcs2025_mt"] == pytest.approx(5.7)
    assert v["reserves.us_reserves_mt"] == pytest.approx(1.9)
    assert v["reserves.india_reserves_mcs2025_mt"] == pytest.approx(6.9)
    assert v["reserves.malaysia_reserves_mt"] == pytest.approx(0.71) and numbers["reserves.malaysia_reserves_mt"].display() == "0.71"
    assert v["reserves.n_countries_with_reserves"] == len(RES26)
    assert v["reserves.brazil_revision_t"] == pytest.approx(11e6 - 21e6)
    assert v["reserves.world_total_change_t"] == pytest.approx(WORLD26 - WORLD25)


def test_world_totals_keep_their_more_than(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["reserves.world_reserves_min_mt"] == pytest.approx(75)
    assert v["reserves.world_reserves_min_mcs2025_mt"] == pytest.approx(90)
    assert v["reserves.world_reserves_min_v10_mt"] == pytest.approx(85)
    for id_ in ("reserves.world_reserves_min_mt", "reserves.world_reserves_min_mcs2025_mt",
                "reserves.world_reserves_min_v10_mt", "reserves.canada_resources_min_mt",
                "reserves.canada_nrcan_reserves_resources_mt"):
        assert numbers[id_].bound == ">" and numbers[id_].display().startswith(">"), id_
    world = numbers["reserves.world_reserves_min_mt"]
    assert world.display() == ">75" and number_glue(world)[f"{world.id}.plain"] == "75"  # "more than 75"


def test_canada_reserves_resources_and_the_seeds_figure(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["reserves.canada_reserves_t"] == 830_000
    rank = numbers["reserves.canada_reserve_rank"]
    assert rank.value == 10 and number_glue(rank)["reserves.canada_reserve_rank.ordinal"] == "10th"  # after South Africa
    assert v["reserves.canada_resources_min_mt"] == pytest.approx(14.0)
    assert v["reserves.canada_nrcan_reserves_resources_mt"] == pytest.approx(15.1)
    assert numbers["reserves.canada_nrcan_reserves_resources_mt"].sources == ("nrcan_ree_facts",)
    assert v["reserves.canada_resources_to_reserves_min"] == pytest.approx(14e6 / 830_000)
    assert v["reserves.canada_seed_to_reserves_ratio"] == pytest.approx(15.2e6 / 830_000)
    assert v["reserves.canada_seed_minus_resources_t"] == pytest.approx(15.2e6 - 14e6)
    assert v["reserves.canada_seed_rank_if_reserves"] == 2  # only China's 44 Mt is larger than 15.2 Mt
    assert numbers["reserves.canada_seed_rank_if_reserves"].display_ordinal() == "2nd"


def test_reserves_to_production_years_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["reserves.china_rp_years"] == pytest.approx(44e6 / 270_000)
    assert v["reserves.us_rp_years"] == pytest.approx(1.9e6 / 51_000)
    assert v["reserves.australia_rp_years"] == pytest.approx(6.3e6 / 29_000)
    assert v["reserves.brazil_rp_years"] == pytest.approx(11e6 / 2_000)
    assert v["reserves.vietnam_rp_years"] == pytest.approx(3.5e6 / 150)
    assert v["reserves.world_rp_years_min"] == pytest.approx(WORLD26 / WORLD_PROD_2025)
    assert numbers["reserves.world_rp_years_min"].bound == ">="


def test_production_revisions_of_2024(numbers):
    v = {k: n.value for k, n in numbers.items()}
    # MCS 2025 printed the same 2024 estimate for Australia, Nigeria and Thailand: the prose says "each"
    assert (v["reserves.production_2024e_mcs2025_australia_t"] == v["reserves.production_2024e_mcs2025_nigeria_t"]
            == v["reserves.production_2024e_mcs2025_thailand_t"] == 13_000)
    assert v["reserves.production_2024_australia_t"] == 29_000 and v["reserves.production_2024_nigeria_t"] == 1_500
    assert v["reserves.production_2024_thailand_t"] == 2_100
    assert (v["reserves.production_2024e_mcs2025_world_t"], v["reserves.production_2024_world_t"]) == (390_000, 380_000)
    # China's reserves are the same in both editions: the prose says so
    supply = load_table("usgs_country_supply")
    assert supply[(supply["country"] == "China") & (supply["measure"] == "reserves")]["value_t_reo"].nunique() == 1
