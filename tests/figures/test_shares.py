"""Figures, chapter notebooks and added key numbers of the shares and reserves chapters.

Expected values are written out as arithmetic on the rows of data/usgs_country_supply.csv (USGS MCS
2025 and MCS 2026 v1.3, t REO), data/stage_shares.csv, data/usgs_us_imports.csv, data/claims.csv and
data/revisions.csv, so a change in the data or the code that moves a plotted or printed number fails here.
"""

from __future__ import annotations

import json
import re
import struct
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from rare_earths.numbers import registry as R
from rare_earths.data.load import load_table
from rare_earths.figures import build_figure, get_figure_def, list_figures

list_figures()  # load every figure module in the registry's order before importing one of them by name
from rare_earths.figures import shares as fs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARES_IDS = ("china-share-by-stage", "seed-shares-reconciled", "concentration-hhi")
RESERVES_IDS = ("reserves-ranked", "canada-reserves-vs-resources", "reserves-to-production", "reserve-revisions",
                "production-2024-revisions")
ALL_IDS = SHARES_IDS + RESERVES_IDS
#: The book's text column is about 640 px wide: a wider chart is cut off on the page.
MAX_WIDTH_PX = 620

# USGS MCS 2026 v1.3, mine production 2024 (t REO), every printed row (dashes are 0), and the world total.
MCS26_2024 = {"United States": 45_500, "Australia": 29_000, "Brazil": 560, "Burma (Myanmar)": 27_000, "China": 270_000,
              "India": 2_900, "Madagascar": 1_400, "Malaysia": 140, "Nigeria": 1_500, "Russia": 2_600,
              "Thailand": 2_100, "Vietnam": 300}
MCS26_2024_OTHER, MCS26_2024_WORLD = 1_000, 380_000
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
    return {n.id: n for n in R.compute_numbers()}


@pytest.fixture(scope="module")
def figs():
    return {fid: build_figure(fid) for fid in ALL_IDS}


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def _spec_datasets(fig) -> list[list[dict]]:
    return list(fig.chart.to_dict(validate=False).get("datasets", {}).values())


def _marks(spec) -> list[dict]:
    """Every mark definition in a (layered / faceted) Vega-Lite spec."""
    out = []
    if isinstance(spec, dict):
        if "mark" in spec:
            out.append(spec["mark"] if isinstance(spec["mark"], dict) else {"type": spec["mark"]})
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for sub in spec.get(key) or []:
                out += _marks(sub)
        if isinstance(spec.get("spec"), dict):
            out += _marks(spec["spec"])
    return out


def _row(frame: pd.DataFrame, **match) -> pd.Series:
    sel = pd.Series(True, index=frame.index)
    for k, v in match.items():
        sel &= frame[k] == v
    rows = frame[sel]
    assert len(rows) == 1, (match, len(rows))
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------
# Every figure
# ---------------------------------------------------------------------------------------------


def test_figures_are_registered_for_their_chapters():
    assert [f.id for f in list_figures("shares")] == list(SHARES_IDS)
    assert [f.id for f in list_figures("reserves")] == list(RESERVES_IDS)
    for fid in ALL_IDS:
        assert get_figure_def(fid).parameters == ()  # the two chapters take no parameters


@pytest.mark.parametrize("fid", ALL_IDS)
def test_builds_with_defaults_and_plots_its_own_data(figs, fid):
    fig = figs[fid]
    assert fig.chart.data is fig.data  # one top-level data set: the chart plots exactly fig.data
    datasets = _spec_datasets(fig)
    assert len(datasets) == 1 and len(datasets[0]) == len(fig.data)
    back = pd.read_csv(StringIO(fig.csv_text()))
    assert back.shape == fig.data.shape and list(back.columns) == list(fig.data.columns)


@pytest.mark.parametrize("fid", ALL_IDS)
def test_svg_is_deterministic_and_carries_the_alt_text(figs, fid):
    a, b = figs[fid].to_svg(), build_figure(fid).to_svg()
    assert a == b and a.startswith("<svg")
    assert "<title>" in a and 'role="img"' in a


@pytest.mark.parametrize("fid", ALL_IDS)
def test_caption_names_source_and_year_and_fits_the_page(figs, fid):
    fig = figs[fid]
    assert re.search(r"\b(USGS|IEA|SMM|NRCan)\b", fig.caption)
    assert re.search(r"\b20\d\d\b", fig.caption)
    assert len(fig.alt_text) > 60
    assert fig.label == f"fig-{fid}" and fig.chapter in ("shares", "reserves")
    width, height = _png_size(fig.to_png(scale=1))
    assert width <= MAX_WIDTH_PX, f"{fid} is {width}px wide"
    assert height < 1000


def test_png_is_deterministic(figs):
    fig = figs["reserves-ranked"]
    assert fig.to_png() == build_figure("reserves-ranked").to_png()


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


# ---------------------------------------------------------------------------------------------
# Key numbers added for the two chapters
# ---------------------------------------------------------------------------------------------


def test_added_shares_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["shares.china_mining_share_iea_2023_pct"] == 62
    assert v["shares.china_separation_share_iea_commentary_pct"] == 91
    assert v["shares.china_refining_share_roskill_2020_pct"] == 85
    assert v["shares.china_us_import_share_mcs2025_pct"] == 70
    assert v["shares.china_mining_share_iea_2030_pct"] == 51.1
    assert v["shares.china_refining_share_iea_2030_pct"] == 76.0
    assert v["shares.myanmar_mining_share_iea_pct"] == 16.1
    assert v["shares.china_heavy_import_share_pct"] == 100  # terbium, holmium, lutetium: all 100%
    assert v["shares.us_net_import_reliance_2024_pct"] == 53
    assert v["shares.us_net_import_reliance_2025e_pct"] == 67
    assert v["shares.us_net_import_reliance_2024e_mcs2025_pct"] == 80
    assert numbers["shares.china_mining_share_iea_2030_pct"].sources == ("iea_gcmo_2025",)
    assert numbers["shares.china_heavy_import_share_pct"].sources == ("usgs_mcs_2026_ree_heavy",)
    for id_ in ("shares.china_mining_share_iea_2030_pct", "shares.us_net_import_reliance_2024_pct"):
        assert "shares" in numbers[id_].chapters


def test_added_reserves_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["reserves.china_reserves_mt"] == pytest.approx(44_000_000 / 1e6)
    assert v["reserves.brazil_reserves_mt"] == pytest.approx(11_000_000 / 1e6)
    assert v["reserves.brazil_reserves_mcs2025_mt"] == pytest.approx(21_000_000 / 1e6)
    assert v["reserves.australia_reserves_mt"] == pytest.approx(6_300_000 / 1e6)
    assert v["reserves.australia_reserves_mcs2025_mt"] == pytest.approx(5_700_000 / 1e6)
    assert v["reserves.us_reserves_mt"] == pytest.approx(1_900_000 / 1e6)
    assert v["reserves.india_reserves_mcs2025_mt"] == pytest.approx(6_900_000 / 1e6)
    assert v["reserves.malaysia_reserves_mt"] == pytest.approx(710_000 / 1e6)
    assert numbers["reserves.malaysia_reserves_mt"].display() == "0.71"
    assert v["reserves.world_reserves_min_mt"] == pytest.approx(WORLD26 / 1e6)
    assert v["reserves.world_reserves_min_mcs2025_mt"] == pytest.approx(WORLD25 / 1e6)
    assert v["reserves.world_reserves_min_v10_mt"] == pytest.approx(WORLD26_V10 / 1e6)
    for id_ in ("reserves.world_reserves_min_mt", "reserves.world_reserves_min_mcs2025_mt",
                "reserves.world_reserves_min_v10_mt", "reserves.canada_resources_min_mt",
                "reserves.canada_nrcan_reserves_resources_mt"):
        assert numbers[id_].bound == ">" and numbers[id_].display().startswith(">"), id_
    assert numbers["reserves.world_reserves_min_mt"].display() == ">75"
    assert v["reserves.n_countries_with_reserves"] == len(RES26)
    assert v["reserves.canada_resources_min_mt"] == pytest.approx(14.0)
    assert v["reserves.canada_nrcan_reserves_resources_mt"] == pytest.approx(15.1)
    assert numbers["reserves.canada_nrcan_reserves_resources_mt"].sources == ("nrcan_ree_facts",)
    assert v["reserves.china_reserve_share_max_v10_pct"] == pytest.approx(44e6 / WORLD26_V10 * 100)
    assert numbers["reserves.china_reserve_share_max_v10_pct"].bound == "<="
    assert v["reserves.australia_rp_years"] == pytest.approx(6.3e6 / 29_000)
    assert v["reserves.brazil_rp_years"] == pytest.approx(11e6 / 2_000)
    assert v["reserves.vietnam_rp_years"] == pytest.approx(3.5e6 / 150)
    # China's reserves are the same in both editions: the prose says so
    supply = load_table("usgs_country_supply")
    china = supply[(supply["country"] == "China") & (supply["measure"] == "reserves")]["value_t_reo"]
    assert china.nunique() == 1
    # MCS 2025 printed the same 2024 estimate for Australia, Nigeria and Thailand: the prose says "each"
    assert (v["reserves.production_2024e_mcs2025_australia_t"] == v["reserves.production_2024e_mcs2025_nigeria_t"]
            == v["reserves.production_2024e_mcs2025_thailand_t"] == 13_000)
    # the existing ids are unchanged
    assert v["reserves.china_reserve_share_max_pct"] == pytest.approx(44 / 75 * 100)
    assert v["reserves.brazil_revision_t"] == pytest.approx(11e6 - 21e6)


# ---------------------------------------------------------------------------------------------
# The chapter notebooks
# ---------------------------------------------------------------------------------------------


def _cells(slug: str) -> list[dict]:
    return json.loads((ROOT / "chapters" / f"{slug}.ipynb").read_text(encoding="utf-8"))["cells"]


def _prose(slug: str) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(slug) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("slug", ["shares", "reserves"])
def test_chapter_has_parameters_cell_then_setup(slug):
    cells = [c for c in _cells(slug) if c["cell_type"] == "code"]
    assert "parameters" in cells[0]["metadata"].get("tags", [])
    assert all(line.startswith("#") for line in "".join(cells[0]["source"]).splitlines())  # no parameters declared
    assert f'chapter_setup("{slug}", globals())' in "".join(cells[1]["source"])


@pytest.mark.parametrize("slug", ["shares", "reserves"])
def test_chapter_glues_registered_numbers_and_shows_its_figures(slug, numbers):
    prose = _prose(slug)
    glued = re.findall(r"\{glue:md\}`([^`]+)`", prose)
    assert glued
    for key in glued:
        assert key.removesuffix(".range").removesuffix(".unit").removesuffix(".label") in numbers, key
    shown = [c["metadata"]["mystnb"]["figure"]["name"] for c in _cells(slug) if "mystnb" in c["metadata"]]
    expected = [f"fig-{f.id}" for f in list_figures(slug)]
    assert sorted(shown) == sorted(expected)
    assert sorted(set(re.findall(r"\{numref\}`([^`]+)`", prose))) == sorted(expected)
    sources = set(load_table("sources")["source_id"])
    for keys in re.findall(r"\{cite:p\}`([^`]+)`", prose):
        assert set(keys.split(",")) <= sources, keys


@pytest.mark.parametrize("slug", ["shares", "reserves"])
def test_chapter_prose_types_no_numbers(slug):
    """Numbers in prose are glued: after removing roles, quotations, code, years and edition names,
    no digit is left."""
    text = _prose(slug)
    text = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", text)  # roles: glue, cite, numref, doc
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"", " ", text)  # quotations
    text = re.sub(r"\b(MCS|GCMO) 20\d\d\b|\bv1\.\d\b|\b[Vv]ersion 1\.\d\b", " ", text)  # editions and versions
    text = re.sub(r"\b(19|20)\d\d(–\d\d)?\b", " ", text)  # years and year ranges
    text = re.sub(r"\bR/P\b", " ", text)
    assert not re.search(r"\d", text), re.findall(r".{30}\d.{30}", text)
