"""The shares domain's key numbers, by hand from data/usgs_country_supply.csv (USGS MCS 2026 v1.3),
data/stage_shares.csv and data/usgs_us_imports.csv."""

from __future__ import annotations

import pytest

from rare_earths.numbers import compute_numbers


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["shares"])}


def test_china_mining_share_over_the_rounded_world_total(numbers):
    n = numbers["shares.china_mining_share_usgs_pct"]  # 2024: 270,000 of 380,000 t, rounded to +/- 5,000
    assert n.value == pytest.approx(270_000 / 380_000 * 100)
    assert (n.low, n.high) == pytest.approx((270_000 / 385_000 * 100, 270_000 / 375_000 * 100))
    assert n.display() == "71.1" and n.display_range() == "70.1–72.0"


def test_published_shares_as_published(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["shares.china_refining_share_iea_pct"] == 91.3
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


def test_seed_gaps_are_seed_minus_authority(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["shares.seed_87_vs_usgs_imports_pp"] == 87 - 71
    assert v["shares.seed_60_vs_iea_mining_pp"] == pytest.approx(60 - 61.0)
    assert v["shares.seed_85_vs_roskill_pp"] == pytest.approx(85 - 85)
    assert v["shares.seed_92_vs_iea_2023_refining_pp"] == pytest.approx(92 - 92)


def test_hhi_of_usgs_mining_by_hand(numbers):
    # MCS 2026 v1.3, 2024 (t REO): every printed row; their shares of the listed sum add to 100
    rows = {"United States": 45_500, "Australia": 29_000, "Brazil": 560, "Burma (Myanmar)": 27_000, "China": 270_000,
            "India": 2_900, "Madagascar": 1_400, "Malaysia": 140, "Nigeria": 1_500, "Russia": 2_600,
            "Thailand": 2_100, "Vietnam": 300}
    listed = sum(rows.values()) + 1_000  # and "Other"
    assert numbers["shares.hhi_mining_usgs"].value == pytest.approx(sum((t / listed * 100) ** 2 for t in rows.values()),
                                                                     abs=1e-3)
    assert numbers["shares.hhi_refining_iea"].value == pytest.approx(91.3**2 + 4.5**2 + 1.2**2, abs=1e-3)
