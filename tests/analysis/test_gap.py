"""The gap, tested (rare_earths.analysis.gap): values derived by hand from the data, and properties."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rare_earths.analysis import gap as gp
from rare_earths.analysis.evidence import to_usd
from rare_earths.analysis.ranged import Ranged
from rare_earths.data.load import load_table
from rare_earths.numbers.references import expand_references
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def costs():
    return load_table("producer_costs")


@pytest.fixture(scope="module")
def tested(costs):
    return gp.gap_tested(costs)


def test_currency_conversion_uses_the_rate_in_the_row():
    # USD per unit multiplies, units per USD divides, USD passes, no rate gives NaN.
    out = to_usd([10, 10, 10, 10], ["AUD", "CNY", "USD", "EUR"], [0.5, 8.0, np.nan, np.nan],
                 ["usd_per_unit", "units_per_usd", "", ""])
    assert out[:3] == pytest.approx([5.0, 1.25, 10.0])
    assert np.isnan(out[3])


def test_argus_price_converts_to_argus_own_usd_figure(costs):
    # producer_costs: 392 yuan/kg with the rate Argus's own "$53.60/kg" implies (392 / 53.60 = 7.3134...).
    r = costs.set_index("cost_id").loc["china_ndpr_price_2024_argus"]
    assert to_usd([r["value_low"]], [r["currency"]], [r["fx_rate"]], [r["fx_convention"]])[0] == pytest.approx(53.60, abs=1e-6)


def test_lynas_cash_cost_per_kg_by_hand(tested):
    # FY2024: (revenue 463.3 - EBITDA 132.1) AUD m x 0.6644 USD/AUD / 5,655 t NdPr
    #       = 331.2 x 0.6644 = 220.049 USD m / 5,655,000 kg = 38.912 USD/kg (an upper bound: bound '<=').
    est = tested.estimates.set_index("estimate_id")
    fy24 = est.loc["lynas_rare_earths_2024_cash_cost_per_kg_ndpr"]
    assert fy24["low_usd_per_kg"] == pytest.approx((463.3 - 132.1) * 0.6644 * 1e6 / (5655 * 1000))
    assert fy24["bound"] == "<="
    # FY2025: (556.5 - 101.2) x 0.6644 / 6,558 = 46.127 USD/kg.
    assert est.loc["lynas_rare_earths_2025_cash_cost_per_kg_ndpr", "low_usd_per_kg"] == pytest.approx(
        (556.5 - 101.2) * 0.6644 * 1e3 / 6558)


def test_china_implied_cost_by_hand(tested):
    # 2024 prices: Lynas (June 2024) 44.0, Adamas (Q1) 52, Argus (year) 53.60, Benchmark 54 USD/kg.
    # 2024 margins: gross 9.04 % (Q1), 10.685 % (Q3: 10.68-10.69, mid-point), net 1,004 / 32,966 = 3.0456 %.
    # low = 44.0 x (1 - 0.10685); central = median price 52.8 x (1 - median margin 0.0904); high = 54 x (1 - 0.030456).
    c = tested.china.cost
    assert sorted(tested.china.prices["usd_per_kg"]) == pytest.approx([44.0, 52.0, 53.6, 54.0])
    assert sorted(tested.china.margins["margin_pct"]) == pytest.approx([1004 / 32966 * 100, 9.04, 10.685])
    assert c.low == pytest.approx(44.0 * (1 - 0.10685))
    assert c.central == pytest.approx(52.8 * (1 - 0.0904))
    assert c.high == pytest.approx(54.0 * (1 - 1004 / 32966))


def test_reported_and_projected_ranges(tested):
    # Reported: Lynas 38.912 (FY24), 46.127 (FY25) and MP "more than 60" counted at 60; central = median 46.127.
    r = tested.west_reported
    assert (r.low, r.high) == pytest.approx((38.912, 60.0), abs=1e-3)
    assert r.central == pytest.approx((556.5 - 101.2) * 0.6644 * 1e3 / 6558)
    # Projected: lowest is Stockhead's USD 24.76, highest Arafura 2022's A$61.60 x 0.6951 = 42.818.
    p = tested.west_projected
    assert (p.low, p.high) == pytest.approx((24.76, 61.60 * 0.6951))


def test_gap_by_hand(tested):
    # (west / china - 1) x 100, low with west.low / china.high, high with west.high / china.low.
    china, west = tested.china.cost, tested.west_reported
    g = tested.reported_gap
    assert g.low == pytest.approx((west.low / china.high - 1) * 100)
    assert g.central == pytest.approx((west.central / china.central - 1) * 100)
    assert g.high == pytest.approx((west.high / china.low - 1) * 100)
    assert g.low == pytest.approx(-25.68, abs=0.01) and g.high == pytest.approx(52.68, abs=0.01)


def test_where_the_seed_band_falls(tested):
    g = tested.reported_gap
    pos = gp.band_position([30, 40], g)
    assert pos == pytest.approx([(30 - g.low) / (g.high - g.low) * 100, (40 - g.low) / (g.high - g.low) * 100])
    assert gp.band_verdict(30, 40, g) == "approximate"  # inside the range, above its centre
    assert gp.band_verdict(30, 40, tested.projected_gap) == "conflicts"  # above every projection


def test_band_verdict_rule():
    gap = Ranged(-10, 5, 20, "%")
    assert gp.band_verdict(0, 10, gap) == "confirmed"
    assert gp.band_verdict(10, 30, gap) == "approximate"
    assert gp.band_verdict(25, 30, gap) == "conflicts"
    with pytest.raises(ParameterError, match="band_low=40, band_high=30"):
        gp.band_verdict(40, 30, gap)


def test_claims_ledger_verdict_rests_on_this_test(tested):
    """C24's verdict and authority value in claims.csv are the ones this test gives (regenerate them if not)."""
    c24 = load_table("claims").set_index("claim_id").loc["C24"]
    assert c24["verdict"] == gp.band_verdict(c24["low"], c24["high"], tested.reported_gap)
    assert c24["authority_value"] == round(tested.reported_gap.central)
    # The figures in its text are filled in from the registry, so they follow the data.
    assert "{number:gap.reported_gap_low_pct} % to {number:gap.reported_gap_high_pct} %" in c24["authority_text"]
    shown = expand_references(c24["authority_text"])
    assert f"{tested.reported_gap.low:.0f} % to {tested.reported_gap.high:.0f} %, central {tested.reported_gap.central:.0f} %" in shown
    assert not re.search(r"\{number:", shown)


def test_capex_intensity_by_hand():
    x = gp.capex_intensity(load_table("plant_capex")).set_index("capex_id")
    # Iluka, Feb 2024: A$1,700-1,800 m x 0.6644 (2023 rate, the nearest) / 17,500 t/yr REO.
    assert x.loc["iluka_eneabba_2024", "intensity_low"] == pytest.approx(1700e6 * 0.6644 / 17500)
    assert x.loc["iluka_eneabba_2024", "intensity_high"] == pytest.approx(1800e6 * 0.6644 / 17500)
    # China Northern's Baotou upgrade: 7.8 bn yuan at the source's own 1.1 bn USD / 106,661 t/yr.
    assert x.loc["cn_baotou_huamei_phase1", "intensity_low"] == pytest.approx(1100e6 / 106661)
    # MP's 10X: > USD 1,250 m for 10,000 t/yr in total less Independence's 1,000: 9,000 t/yr added.
    assert x.loc["mp_10x_2026", "added_low"] == 9000
    assert x.loc["mp_10x_2026", "intensity_low"] == pytest.approx(1250e6 / 9000)
    # SRC 2020: C$31 m / 1.3422 CAD per USD / 400 t/yr of NdPr metal.
    assert x.loc["src_saskatoon_2020", "intensity_low"] == pytest.approx(31e6 / 1.3422 / 400)
    # LAMP's 2011 A$ figure has no exchange rate in the evidence: not converted.
    assert not x.loc["lynas_lamp_phase1_2011", "convertible"]


def test_capital_gap_separation_by_hand():
    # Outside China (latest figure per plant, REO basis): Iluka 2024 [64,542, 68,338], Ucore USD 75 m / 2,000-7,500 t
    # [10,000, 37,500] (Solvay's conditional plan is left out). China: Baotou 10,313, Gold Dragon 65.9e6 / 5,000 = 13,180.
    # central = median of mid-points: west (66,440 + 23,750) / 2 = 45,095; china (10,313 + 13,180) / 2 = 11,747.
    x = gp.capex_intensity(load_table("plant_capex"))
    west = gp.stage_intensity(x, "separation", ("reo", "treo_feed"), False)
    china = gp.stage_intensity(x, "separation", ("reo", "treo_feed"), True)
    iluka = (1700e6 * 0.6644 / 17500 + 1800e6 * 0.6644 / 17500) / 2
    assert west.central == pytest.approx((iluka + (75e6 / 7500 + 75e6 / 2000) / 2) / 2)
    assert china.central == pytest.approx((1100e6 / 106661 + 65.9e6 / 5000) / 2)
    ratio = gp.capital_gap(x, "separation")
    assert ratio.central == pytest.approx(west.central / china.central)
    assert ratio.low == pytest.approx(west.low / china.high) and ratio.high == pytest.approx(west.high / china.low)


def test_no_capital_comparison_without_chinese_plants():
    with pytest.raises(ParameterError, match="stage=metal"):
        gp.capital_gap(gp.capex_intensity(load_table("plant_capex")), "metal")


def test_doubling_every_price_doubles_china_cost(costs):
    doubled = costs.copy()
    roles = doubled["input_role"] == "reference_price"
    doubled.loc[roles, ["value_low", "value_high"]] *= 2
    assert gp.china_implied(doubled).cost.central == pytest.approx(2 * gp.china_implied(costs).cost.central)


def test_gap_rejects_a_zero_china_cost():
    with pytest.raises(ParameterError):
        gp.gap_pct(Ranged(1, 2, 3), Ranged(0, 1, 2))
