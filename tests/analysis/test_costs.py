"""Cost gap and price floor arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import costs as co
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError

CHINA = 55.0  # USD/kg, the default assumption (USGS 2024 NdPr average)
MP_2024_T = 1294.0  # t NdPr oxide, MP Materials 2024


def test_cost_gap_by_hand():
    g = co.cost_gap(CHINA, 0.30, 0.40, MP_2024_T)
    assert g.gap.central == pytest.approx(0.35)  # mid-point of 30–40%
    assert g.us_cost_usd_per_kg.low == pytest.approx(55 * 1.30)  # 71.50
    assert g.us_cost_usd_per_kg.high == pytest.approx(55 * 1.40)  # 77.00
    assert g.extra_usd_per_kg.low == pytest.approx(55 * 0.30)  # 16.50
    assert g.extra_usd_per_kg.high == pytest.approx(55 * 0.40)  # 22.00
    # USD/kg x t/yr x 1,000 kg/t / 1e6 = USD m/yr
    assert g.extra_usd_m_per_year.central == pytest.approx(55 * 0.35 * 1294 * 1000 / 1e6)  # 24.91
    assert g.subsidy_usd_m_per_year == g.extra_usd_m_per_year


def test_implied_gap_round_trip():
    assert co.gap_implied_by_prices(77.0, 55.0) == pytest.approx(0.40)


def test_floor_by_hand():
    assert co.floor_multiple(110, 55) == pytest.approx(110 / 55)  # 2.0: "twice the market price"
    assert co.floor_multiple(110, 63) == pytest.approx(110 / 63)  # 1.75: the deal-day benchmark
    assert co.floor_multiple(110, 69) == pytest.approx(110 / 69)  # 1.59: the 2025e average
    assert co.market_price_at_multiple(110, 2) == 55
    assert co.floor_topup_per_kg(110, 55) == 55
    assert co.floor_topup_usd_m_per_year(110, 55, MP_2024_T) == pytest.approx((110 - 55) * 1294 / 1000)  # 71.17
    assert co.floor_topup_usd_m_per_year(110, 123, MP_2024_T) == 0
    assert co.topup_zero_market_price(110) == 110
    # Feb 2026 at USD 123/kg: the DoD receives 30% of (123 - 110) on 1,294 t.
    assert co.floor_net_payment_usd_m_per_year(110, 123, MP_2024_T, 0.30) == pytest.approx(-0.30 * 13 * 1294 / 1000)
    assert co.floor_minus_us_cost(110, 55, 0.40) == pytest.approx(110 - 77)


def test_min_volume_for_payback_by_hand():
    # Seed: USD 500M repaid in 3 years at the USD 110/kg floor, every dollar of revenue as margin.
    assert co.min_volume_for_payback_t(500, 3, 110) == pytest.approx(500e6 / 3 / (110 * 1000))  # 1,515 t/yr
    with pytest.raises(ParameterError, match="payback_years=0"):
        co.min_volume_for_payback_t(500, 0, 110)


def test_floor_against_prices_table():
    table = co.floor_against_prices(load_table("prices"), 110, MP_2024_T).set_index("price_id")
    assert table.loc["usgs_ndpr_oxide_2024", "multiple"] == pytest.approx(2.0)
    assert table.loc["usgs_ndpr_oxide_2023", "topup_usd_m_per_year"] == pytest.approx((110 - 75) * 1294 / 1000)
    assert table["multiple"].notna().all()
    bench = table.loc["reuters_ndpr_benchmark_2025_07_09"]  # deal day (data/queries.deal_day_benchmark)
    assert bench["price_usd_per_kg"] == 63 and bench["multiple"] == pytest.approx(110 / 63)
    assert "dod_mp_ndpr_floor_2025" not in table.index  # the floor is not a market price


def test_vectorised_equals_scalar():
    gaps = np.array([0.0, 0.3, 0.35, 0.4, 2.0])
    vec = co.subsidy_to_close_gap_usd_m(CHINA, gaps, MP_2024_T)
    assert isinstance(vec, np.ndarray)
    assert vec.tolist() == pytest.approx([co.subsidy_to_close_gap_usd_m(CHINA, g, MP_2024_T) for g in gaps])
    assert isinstance(co.subsidy_to_close_gap_usd_m(CHINA, 0.3, MP_2024_T), float)


@pytest.mark.parametrize("call, expected", [
    (lambda: co.us_unit_cost(-1, 0.3), "china_cost_usd_per_kg=-1: must be a finite, non-negative amount of money"),
    (lambda: co.us_unit_cost(float("inf"), 0.3), "china_cost_usd_per_kg=inf"),
    (lambda: co.extra_cost_per_kg(55, 7), "cost_gap=7: must be a fraction between 0 and 5"),
    (lambda: co.cost_gap(55, 0.4, 0.3, 1294), "cost_gap_low=0.4, cost_gap_high=0.3: cost_gap_low must not exceed cost_gap_high"),
    (lambda: co.cost_gap(55, 0.3, 0.4, -5), "volume_t=-5"),
    (lambda: co.floor_multiple(110, 0), "market_price_usd_per_kg=0: must be a finite amount of money > 0"),
    (lambda: co.floor_topup_per_kg(float("nan"), 55), "floor_price_usd_per_kg=nan"),
    (lambda: co.floor_net_payment_usd_m_per_year(110, 55, 1, 2.0), "dod_upside_share=2: must be a fraction between 0 and 1"),
    (lambda: co.subsidy_to_close_gap_usd_m(55, np.array([0.3, np.nan]), 1), "cost_gap=nan"),
])
def test_bad_input_is_rejected_naming_the_parameter(call, expected):
    with pytest.raises(ParameterError) as err:
        call()
    assert expected in str(err.value)


money = st.floats(0, 1e4)
gap = st.floats(0, 5)
volume = st.floats(0, 1e6)


@settings(max_examples=300, deadline=None)
@given(money, gap, gap, volume)
def test_a_larger_gap_never_lowers_the_subsidy(china, g1, g2, vol):
    lo, hi = sorted((g1, g2))
    assert co.subsidy_to_close_gap_usd_m(china, hi, vol) >= co.subsidy_to_close_gap_usd_m(china, lo, vol)


@settings(max_examples=300, deadline=None)
@given(money, gap, gap, volume)
def test_cost_gap_ranges_are_ordered(china, g1, g2, vol):
    lo, hi = sorted((g1, g2))
    g = co.cost_gap(china, lo, hi, vol)
    for r in (g.us_cost_usd_per_kg, g.extra_usd_per_kg, g.subsidy_usd_m_per_year):
        assert r.low <= r.central <= r.high
    assert g.us_cost_usd_per_kg.low >= china  # a non-negative gap never makes the US cheaper


@settings(max_examples=300, deadline=None)
@given(money, money, money, volume)
def test_topup_is_non_negative_and_never_rises_with_the_market(floor, m1, m2, vol):
    lo, hi = sorted((m1, m2))
    t_lo = co.floor_topup_usd_m_per_year(floor, lo, vol)
    t_hi = co.floor_topup_usd_m_per_year(floor, hi, vol)
    assert t_lo >= t_hi >= 0
    assert co.floor_topup_usd_m_per_year(floor, floor, vol) == 0  # zero exactly at the floor
    net = co.floor_net_payment_usd_m_per_year(floor, hi, vol, 0.3)
    assert net <= t_hi + 1e-9  # the upside share can only reduce what the DoD pays
