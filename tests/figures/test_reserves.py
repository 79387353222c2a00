"""The reserves chapter's figures (rare_earths.figures.reserves), by hand.

Expected values are written out as arithmetic on the rows of data/usgs_country_supply.csv (USGS MCS
2025 and MCS 2026 v1.3, t REO) and data/revisions.csv, so a change in the data or the code that
moves a plotted number fails here.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rare_earths.figures import build_figure
from rare_earths.numbers import compute_numbers

# USGS MCS 2026 v1.3 reserves (t REO); world printed as "more than 75,000,000".
RES26 = {"China": 44e6, "Brazil": 11e6, "Australia": 6.3e6, "Russia": 3.8e6, "Vietnam": 3.5e6, "United States": 1.9e6,
         "Greenland": 1.5e6, "Tanzania": 0.89e6, "South Africa": 0.86e6, "Canada": 0.83e6, "Malaysia": 0.71e6}
WORLD26, WORLD25, WORLD26_V10 = 75e6, 90e6, 85e6
# 2025e mine production (MCS 2026 v1.3) for the R/P years.
PROD26_2025 = {"China": 270_000, "United States": 51_000, "Australia": 29_000, "Brazil": 2_000, "Russia": 2_600,
               "Vietnam": 150, "Malaysia": 110}
WORLD_PROD_2025 = 390_000


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["reserves"])}


@pytest.fixture(scope="module")
def figs():
    return {fid: build_figure(fid) for fid in ("reserves-ranked", "canada-reserves-vs-resources",
                                              "reserves-to-production", "reserve-revisions",
                                              "production-2024-revisions")}


def _row(frame: pd.DataFrame, **match) -> pd.Series:
    sel = pd.Series(True, index=frame.index)
    for k, v in match.items():
        sel &= frame[k] == v
    rows = frame[sel]
    assert len(rows) == 1, (match, len(rows))
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------
# reserves-ranked
# ---------------------------------------------------------------------------------------------


def test_reserves_ranked_by_hand(figs, numbers):
    data = figs["reserves-ranked"].data
    ranked = data[data["rank_new"].notna()]
    expected_order = sorted(RES26, key=RES26.get, reverse=True)
    assert list(ranked["country"]) == expected_order
    assert list(ranked["rank_new"]) == list(range(1, len(RES26) + 1))
    for country, value in RES26.items():
        row = _row(data, country=country)
        assert row["reserves_new_mt"] == pytest.approx(value / 1e6)
        assert row["share_max_pct"] == pytest.approx(value / WORLD26 * 100, abs=1e-3)
        assert f"≤{value / WORLD26 * 100:.1f}% of world" in row["label"]
    assert _row(data, country="Brazil")["reserves_old_mt"] == pytest.approx(21.0)
    assert pd.isna(_row(data, country="Malaysia")["reserves_old_mt"])
    india = _row(data, country="India")
    assert pd.isna(india["reserves_new_mt"]) and india["reserves_old_mt"] == pytest.approx(6.9)
    assert india["label"] == "NA in MCS 2026 (MCS 2025: 6.9 Mt)"
    assert _row(data, country="Thailand")["reserves_old_mt"] == pytest.approx(4_500 / 1e6)
    assert len(data) == len(RES26) + 2  # plus India and Thailand, reported in MCS 2025 only
    assert _row(data, country="Canada")["rank_new"] == numbers["reserves.canada_reserve_rank"].value == 10
    assert len(ranked) == numbers["reserves.n_countries_with_reserves"].value
    assert _row(data, country="China")["share_max_pct"] == pytest.approx(numbers["reserves.china_reserve_share_max_pct"].value)
    fig = figs["reserves-ranked"]
    assert "more than' 75 Mt" in fig.caption and "90 Mt" in fig.caption
    spec = fig.chart.to_dict(validate=False)
    assert "≤: at most" in json.dumps(spec, ensure_ascii=False)  # the upper-bound mark is explained on the chart itself
    assert '"stroke"' in json.dumps(spec["layer"][0]["encoding"])  # China outlined (not colour alone)


# ---------------------------------------------------------------------------------------------
# canada-reserves-vs-resources
# ---------------------------------------------------------------------------------------------


def test_canada_by_hand(figs, numbers):
    fig = figs["canada-reserves-vs-resources"]
    data = fig.data.set_index("kind")
    assert data.loc["usgs_reserves", "value_mt"] == pytest.approx(830_000 / 1e6)
    assert data.loc["usgs_resources", "value_mt"] == pytest.approx(14.0)
    assert data.loc["nrcan", "value_mt"] == pytest.approx(15.1)
    assert data.loc["seed", "value_mt"] == pytest.approx(15.2)
    # "more than 14 million tons" (USGS) and "over 15.1 million tonnes" (NRCan) are lower bounds
    assert list(data["is_lower_bound"]) == [False, True, True, False]
    assert data.loc["usgs_resources", "label"] == "more than 14.0 Mt"
    assert data.loc["nrcan", "label"] == "more than 15.1 Mt"
    assert "triangle-right" in json.dumps(fig.chart.to_dict(validate=False), ensure_ascii=False)
    # the reference line: the second-largest reserves (Brazil, 11 Mt), below the seed's 15.2 Mt
    assert (data["reference_mt"] == 11.0).all() and data["reference_label"].iloc[0].startswith("Brazil")
    second = sorted(RES26.values(), reverse=True)[1] / 1e6
    first = max(RES26.values()) / 1e6
    assert second < 15.2 < first and numbers["reserves.canada_seed_rank_if_reserves"].value == 2
    assert numbers["reserves.canada_seed_to_reserves_ratio"].value == pytest.approx(15.2e6 / 830_000)
    assert numbers["reserves.canada_seed_minus_resources_t"].value == pytest.approx(15.2e6 - 14e6)
    # the prose's Mt version (beside the other Canadian figures in Mt): the same, keeping its bound
    mt = numbers["reserves.canada_seed_minus_resources_mt"]
    assert mt.value == pytest.approx((15.2e6 - 14e6) / 1e6) and mt.bound == "<=" and mt.unit == "Mt REO"
    assert set(fig.sources) == {"usgs_mcs_2026_ree", "nrcan_ree_facts", "smm_2025_12_29"}


# ---------------------------------------------------------------------------------------------
# reserves-to-production
# ---------------------------------------------------------------------------------------------


def test_rp_years_by_hand(figs, numbers):
    fig = figs["reserves-to-production"]
    data = fig.data
    for country, prod in PROD26_2025.items():
        assert _row(data, country=country)["rp_years"] == pytest.approx(RES26[country] / prod, abs=1e-3)
    world = _row(data, is_world_total=True)
    assert world["rp_years"] == pytest.approx(WORLD26 / WORLD_PROD_2025, abs=1e-3)
    assert world["is_lower_bound"] and world["label"] == f"≥{WORLD26 / WORLD_PROD_2025:,.0f} years (at least)"
    assert data.iloc[0]["row_label"] == "World"
    undefined = data[data["rp_years"].isna()]
    assert set(undefined["country"]) == {"Canada", "Greenland", "South Africa", "Tanzania"}
    assert undefined["label"].str.contains("undefined").all()
    for name in ("Burma (Myanmar)", "India", "Nigeria"):
        assert name in fig.caption and name not in set(data["country"])  # NA reserves: named, not plotted
    for country, number_id in (("China", "reserves.china_rp_years"), ("United States", "reserves.us_rp_years"),
                               ("Australia", "reserves.australia_rp_years"), ("Brazil", "reserves.brazil_rp_years"),
                               ("Vietnam", "reserves.vietnam_rp_years")):
        assert _row(data, country=country)["rp_years"] == pytest.approx(numbers[number_id].value, abs=1e-3)
    assert numbers["reserves.world_rp_years_min"].value == pytest.approx(world["rp_years"], abs=1e-3)


# ---------------------------------------------------------------------------------------------
# reserve-revisions and production-2024-revisions
# ---------------------------------------------------------------------------------------------


def test_reserve_revisions_by_hand(figs, numbers):
    fig = figs["reserve-revisions"]
    data = fig.data.set_index("row_label")
    assert set(data.index) == {"Brazil", "India", "Australia", "Malaysia", "Thailand", "World"}
    assert data.loc["Brazil", "change_mt"] == pytest.approx(11 - 21)
    assert data.loc["Australia", "change_mt"] == pytest.approx(6.3 - 5.7)
    assert data.loc["World", "change_mt"] == pytest.approx((WORLD26 - WORLD25) / 1e6)
    assert data.loc["Brazil", "label"] == "21.0 Mt → 11.0 Mt (\u221210.0 Mt)"
    assert data.loc["India", "label"] == "6.9 Mt → NA (now NA)"
    assert data.loc["Malaysia", "label"] == "NA → 0.71 Mt (newly reported)"
    assert data.loc["Thailand", "label"] == "0.0045 Mt → NA (now NA)"
    assert data.loc["World", "label"] == ">90.0 Mt → >75.0 Mt (\u221215.0 Mt)"  # lower bounds keep their ">"
    assert data.loc["World", "panel"] != data.loc["Brazil", "panel"]  # the world total on its own scale
    for country in ("China", "Canada", "United States"):
        assert country in fig.caption  # unchanged, named in the caption
    assert numbers["reserves.world_total_change_t"].value == pytest.approx(WORLD26 - WORLD25)
    assert numbers["reserves.world_total_change_mt"].value == pytest.approx((WORLD26 - WORLD25) / 1e6)


def test_production_revisions_by_hand(figs, numbers):
    data = figs["production-2024-revisions"].data.set_index("row_label")
    for country, old, new in (("Australia", 13_000, 29_000), ("Nigeria", 13_000, 1_500), ("Thailand", 13_000, 2_100),
                              ("Brazil", 20, 560), ("China", 270_000, 270_000), ("World (rounded)", 390_000, 380_000)):
        assert data.loc[country, "old_t"] == old and data.loc[country, "new_t"] == new
        assert data.loc[country, "ratio"] == pytest.approx(round(new / old, 4))
    assert data.loc["Australia", "label"] == f"13,000 → 29,000 t (×{29_000 / 13_000:.2f})"
    assert data.loc["China", "label"] == "270,000 → 270,000 t"
    assert "Canada" not in data.index  # printed as a dash (none) in both editions
    assert data.index[0] == "World (rounded)" and data.index[1] == "China"
    for key, country in (("australia", "Australia"), ("nigeria", "Nigeria"), ("thailand", "Thailand"),
                         ("world", "World (rounded)")):
        assert numbers[f"reserves.production_2024e_mcs2025_{key}_t"].value == data.loc[country, "old_t"]
        assert numbers[f"reserves.production_2024_{key}_t"].value == data.loc[country, "new_t"]
