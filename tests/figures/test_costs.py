"""The cost-gap chapter's figures (rare_earths.figures.costs), by hand: China's 55 USD/kg (USGS
2024 NdPr average), the seed's 30–40 % gap, MP Materials' 1,294 t and the 110 USD/kg floor."""

from __future__ import annotations

import pytest

from rare_earths.figures import build_figure

CHINA, VOLUME_T, FLOOR = 55.0, 1294.0, 110.0


def test_cost_gap_range_by_hand():
    data = build_figure("cost-gap-range").data.set_index("country")
    assert (data.loc["China", "low_usd_per_kg"], data.loc["China", "high_usd_per_kg"]) == (CHINA, CHINA)
    us = data.loc["United States"]
    assert (us["low_usd_per_kg"], us["high_usd_per_kg"]) == pytest.approx((CHINA * 1.30, CHINA * 1.40))
    wide = build_figure("cost-gap-range", {"cost_gap_high": 0.5}).data.set_index("country")
    assert wide.loc["United States", "high_usd_per_kg"] == pytest.approx(CHINA * 1.5)


def test_floor_against_every_ndpr_price_by_hand():
    fig = build_figure("floor-vs-prices")
    data = fig.data.set_index("label")
    prices = {"USGS average 2021": 92, "USGS average 2022": 124, "USGS average 2023": 75, "USGS average 2024": 55,
              "USGS average 2025e": 69, "benchmark 2025-07-09": 63, "benchmark 2026-02-18": 123}
    assert data["price_usd_per_kg"].to_dict() == prices
    for label, price in prices.items():
        assert data.loc[label, "multiple"] == pytest.approx(FLOOR / price, abs=5e-4)
        assert data.loc[label, "topup_usd_m_per_year"] == pytest.approx(max(FLOOR - price, 0) * VOLUME_T / 1000)
    assert "USD 110/kg" in fig.caption


def test_cost_gap_tornado_by_hand():
    data = build_figure("cost-gap-tornado").data.set_index("input")
    central = CHINA * 0.35 * VOLUME_T / 1000  # the subsidy at the mid-gap, USD m/yr
    gap = data.loc["cost_gap"]
    assert (gap["output_at_low"], gap["output_at_central"], gap["output_at_high"]) == pytest.approx(
        (CHINA * 0.30 * VOLUME_T / 1000, central, CHINA * 0.40 * VOLUME_T / 1000))
    china = data.loc["china_cost_usd_per_kg"]  # from half the parameter up to the parameter
    assert (china["input_low"], china["input_high"]) == (CHINA / 2, CHINA)
    assert china["swing"] == pytest.approx(central / 2)
    assert list(data.index) == ["china_cost_usd_per_kg", "cost_gap"]  # largest swing first; fixed inputs have no bar
