"""The costs domain's key numbers, by hand: the seed's 30–40 % gap on China's 55 USD/kg (USGS 2024
NdPr average) and MP Materials' 1,294 t (2024), and the DoD's 110 USD/kg floor against the prices
around the deal (USGS 2024 average 55, deal-day benchmark 63, USGS 2025e average 69)."""

from __future__ import annotations

import pytest

from rare_earths.numbers import compute_numbers

CHINA, VOLUME_T, FLOOR = 55.0, 1294.0, 110.0
AROUND_THE_DEAL = (55.0, 63.0, 69.0)


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["costs"])}


def test_cost_gap_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert (v["costs.cost_gap_low_pct"], v["costs.cost_gap_high_pct"]) == (30.0, 40.0)
    assert numbers["costs.cost_gap_low_pct"].display() == "30"  # a parameter's own value, shortest text
    assert v["costs.china_cost_usd_per_kg"] == CHINA
    assert v["costs.us_extra_cost_usd_per_kg_low"] == pytest.approx(CHINA * 0.30)
    assert v["costs.us_extra_cost_usd_per_kg_high"] == pytest.approx(CHINA * 0.40)
    us = numbers["costs.us_cost_usd_per_kg"]
    assert (us.low, us.value, us.high) == pytest.approx((CHINA * 1.30, CHINA * 1.35, CHINA * 1.40))
    subsidy = numbers["costs.subsidy_usd_m_per_year"]
    assert (subsidy.low, subsidy.value, subsidy.high) == pytest.approx(
        tuple(CHINA * g * VOLUME_T / 1000 for g in (0.30, 0.35, 0.40)))
    assert v["costs.floor_minus_us_cost_usd_per_kg"] == pytest.approx(FLOOR - CHINA * 1.35)


def test_floor_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["costs.floor_price_usd_per_kg"] == FLOOR
    assert v["costs.floor_multiple_of_2024_price"] == pytest.approx(110 / 55)
    assert v["costs.floor_multiple_of_deal_day_price"] == pytest.approx(110 / 63)
    assert v["costs.floor_multiple_of_2025_price"] == pytest.approx(110 / 69)
    market = numbers["costs.floor_multiple_of_market"]  # at the market parameter, ranged over the deal's prices
    assert (market.low, market.value, market.high) == pytest.approx((FLOOR / max(AROUND_THE_DEAL), 2.0, FLOOR / 55))
    topup = numbers["costs.floor_topup_usd_m_per_year"]
    assert topup.value == pytest.approx((110 - 55) * VOLUME_T / 1000)  # USD 71.2M a year
    assert topup.low == pytest.approx((110 - 69) * VOLUME_T / 1000)
    assert v["costs.floor_topup_usd_per_kg"] == 110 - 55 and v["costs.floor_topup_zero_price_usd_per_kg"] == FLOOR
    assert v["costs.dod_upside_usd_m_per_year_at_2026_02_price"] == pytest.approx(0.30 * (123 - 110) * VOLUME_T / 1000)
    payback = numbers["costs.ramaco_payback_min_ndpr_t_per_year"]
    assert payback.value == pytest.approx(500e6 / 3 / (110 * 1000)) and payback.bound == ">="
    assert payback.low == pytest.approx(473e6 / 3 / (110 * 1000))  # the PEA capex


def test_cost_gap_high_moves_only_its_dependents(numbers):
    moved = {n.id: n for n in compute_numbers({"cost_gap_high": 0.5}, domains=["costs"])}
    assert moved["costs.us_extra_cost_usd_per_kg_high"].value == pytest.approx(CHINA * 0.5)
    assert moved["costs.cost_gap_high_pct"].display() == "50"
    assert moved["costs.us_extra_cost_usd_per_kg_low"] == numbers["costs.us_extra_cost_usd_per_kg_low"]
    assert moved["costs.subsidy_usd_m_per_year"].high == pytest.approx(CHINA * 0.5 * VOLUME_T / 1000)
    assert moved["costs.floor_multiple_of_2024_price"] == numbers["costs.floor_multiple_of_2024_price"]
