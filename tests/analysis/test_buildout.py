"""The bottom-up rebuild (rare_earths.analysis.buildout, .supply, .reference_class): hand-derived values and
properties (doubling capex intensity doubles the cost; gaps are never negative)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import buildout as bo
from rare_earths.analysis import reference_class as rc
from rare_earths.analysis import supply as su
from rare_earths.analysis.ranged import Ranged
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def setting():
    return bo.setting(history=load_table("project_history"), estimates=load_table("published_estimates"),
                      capex=load_table("plant_capex"), demand=load_table("demand"),
                      conversion=load_table("conversion_factors"))


@pytest.fixture(scope="module")
def default(setting):
    return bo.from_setting(setting, target_year=2035)


def test_demand_by_hand(setting):
    # Direct US demand: 7,000 (IEEE Spectrum) to 10,000 t/yr (Adamas; MINING.COM) in 2025, centred on 8,500.
    assert (setting.demand.magnets.low, setting.demand.magnets.central, setting.demand.magnets.high) == (7000, 8500, 10000)
    # Growth: the Section 232 report's doubling in ten years (2022 to 2032): 2 ** (1/10) - 1 = 7.177 %/yr.
    assert setting.growth == pytest.approx(2 ** 0.1 - 1)
    # So demand doubles from 2025 to 2035.
    assert su.magnets_in(setting.demand, setting.growth, 2035).central == pytest.approx(17000)
    # US and allies: China's magnet exports to the world, 58,152 t in 2024.
    allies = su.demand_base(load_table("demand"), "us_allies")
    assert allies.magnets.central == 58152 and allies.base_year == 2024
    # Embedded: an assumed multiple of direct demand.
    assert su.demand_base(load_table("demand"), "embedded", 3.0).magnets.high == 30000


def test_factors_by_hand(setting):
    f = setting.factors
    # Rare-earth content of NdFeB: 31-32 wt% (Springer) and about 30 wt% (Metals 2023): 30-32 %, median of mid-points 30.75 %.
    assert (f.ree_content.low, f.ree_content.central, f.ree_content.high) == pytest.approx((0.30, 0.3075, 0.32))
    # Oxide per metal from atomic weights: Nd2O3 / 2 Nd = (2 x 144.242 + 3 x 15.999) / (2 x 144.242) = 1.16638.
    assert f.oxide_per_metal.low == pytest.approx((2 * 144.242 + 3 * 15.999) / (2 * 144.242))
    # NdPr share of TREO: Mountain Pass 15.7 %, Nolans 26.4 %.
    assert (f.ndpr_share.low, f.ndpr_share.high) == pytest.approx((0.157, 0.264))


def test_metal_stage_by_hand(setting, default):
    # need = 17,000 t magnets x 0.3075 = 5,227.5 t NdPr metal; existing = SRC's 400 t; gap = 4,827.5 t.
    assert default.need["metal"].central == pytest.approx(17000 * 0.3075)
    assert default.existing["metal"].central == 400
    assert default.gap["metal"].central == pytest.approx(17000 * 0.3075 - 400)
    # intensity: SRC's cumulative C$101 m / 1.3494 CAD per USD / 400 t = 187,120 USD per t/yr (one plant).
    assert default.intensity["metal"].central == pytest.approx(101e6 / 1.3494 / 400)
    # cost = gap x intensity x median overrun / 1e9.
    assert default.cost["metal"].central == pytest.approx(
        (17000 * 0.3075 - 400) * 101e6 / 1.3494 / 400 * setting.reference.overrun.central / 1e9)


def test_overrun_factor_by_hand(setting):
    # later / at decision: Molycorp 1,700 / 781; Kalgoorlie 800 / 500; Iluka 1,750 / 1,100 (mid-points);
    # Energy Fuels 16 / 25; SRC 101 / 31; Mt Weld 570 / 500.
    ratios = [1700 / 781, 800 / 500, 1750 / 1100, 16 / 25, 101 / 31, 570 / 500]
    o = setting.reference.overrun
    assert sorted(setting.reference.overruns["ratio"]) == pytest.approx(sorted(ratios))
    assert (o.low, o.central, o.high) == pytest.approx(
        (np.percentile(ratios, 25), np.median(ratios), np.percentile(ratios, 75)))


def test_magnet_stage_existing_capacity(default):
    # Operating or under construction outside China: Independence 1,000, eVAC 2,000, Noveon 2,000, Neo 2,000 and
    # USA Rare Earth's Stillwater 1,200-4,800 (mid-point 3,000): 10,000 at the centre, 8,200-11,800.
    e = default.existing["magnet"]
    assert (e.low, e.central, e.high) == (8200, 10000, 11800)


def test_total_is_the_sum_of_stages(default):
    for end in ("low", "central", "high"):
        assert getattr(default.total, end) == pytest.approx(sum(getattr(default.cost[s], end) for s in su.STAGES))


def test_doubling_capex_intensity_doubles_the_cost(setting):
    base = bo.from_setting(setting)
    doubled = dataclasses.replace(setting, intensity={s: bo.scale(r, 2.0) for s, r in setting.intensity.items()})
    twice = bo.from_setting(doubled)
    for end in ("low", "central", "high"):
        assert getattr(twice.total, end) == pytest.approx(2 * getattr(base.total, end))
        for s in su.STAGES:
            assert getattr(twice.cost[s], end) == pytest.approx(2 * getattr(base.cost[s], end))


@settings(max_examples=60, deadline=None)
@given(need=st.floats(0, 1e6), existing=st.floats(0, 1e6), spread=st.floats(0, 1e5))
def test_gap_is_never_negative_and_grows_with_need(need, existing, spread):
    n = Ranged(need, need + spread / 2, need + spread)
    e = Ranged(existing, existing, existing)
    g = bo.stage_gap(n, e)
    assert 0 <= g.low <= g.central <= g.high
    more = bo.stage_gap(Ranged(n.low + 1, n.central + 1, n.high + 1), e)
    assert more.central >= g.central


def test_chain_years_is_the_longest_stage_with_a_gap(default):
    lacking = [s for s in su.STAGES if default.gap[s].central > 0]
    assert set(lacking) == {"metal", "magnet"}
    assert default.chain_years.central == max(default.years[s].central for s in lacking)


def test_lead_times_by_hand(setting):
    lead = setting.reference.lead
    by = lead.set_index("project_id")["lead_years"]
    # eVAC: announced 2023-12-13, first commercial shipment December 2025 (mid-month): about 2.0 years.
    assert by["evac_sumter"] == pytest.approx(2.0, abs=0.02)
    # Mining: no mine in the reference class: GAO's 7-15 years and Goldman's ~10 years.
    m = setting.reference.lead_years["mining"]
    assert (m.low, m.high) == (7, 15)


def test_us_allies_scope_costs_more(setting):
    allies = bo.setting(history=load_table("project_history"), estimates=load_table("published_estimates"),
                        capex=load_table("plant_capex"), demand=load_table("demand"),
                        conversion=load_table("conversion_factors"), demand_definition="us_allies")
    assert bo.from_setting(allies).total.central > bo.from_setting(setting).total.central


def test_magnet_plants_making_metal_shrinks_the_metal_gap(setting):
    assert bo.from_setting(setting, magnet_plants_make_metal=True).gap["metal"].central < \
        bo.from_setting(setting).gap["metal"].central


def test_seed_multiple(default):
    r = bo.ratio_to(default.total, 200)
    assert r.central == pytest.approx(200 / default.total.central)
    assert r.low == pytest.approx(200 / default.total.high)


def test_published_estimates_with_a_cost():
    est = bo.estimates_usd_bn(load_table("published_estimates")).set_index("estimate_id")
    assert (est.loc["goldman_2023_replicate_china", "low_usd_bn"], est.loc["goldman_2023_replicate_china", "high_usd_bn"]) == (15, 30)
    assert est.loc["smm_2025_09_18_rebuild", "low_usd_bn"] == 200


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(ParameterError, match="demand_definition=guess"):
        su.demand_base(load_table("demand"), "guess")
    with pytest.raises(ParameterError, match="embedded_multiplier=0.5"):
        su.demand_base(load_table("demand"), "embedded", 0.5)
    with pytest.raises(ParameterError, match="demand_growth_rate=2"):
        su.magnets_in(su.demand_base(load_table("demand")), 2.0, 2030)
    with pytest.raises(ParameterError, match="supply_scope=mars"):
        su.in_scope(su.pipeline(load_table("project_history"), su.factors(load_table("conversion_factors"))), "mars")


def test_reference_class_by_hand():
    ref = rc.summary(load_table("project_history"), load_table("published_estimates"))
    d = ref.delays.set_index("project_id")
    # LAMP: first feed to kiln announced for Q3 2011 (mid: mid-August), done in Q4 2012 (mid-November): 1.25 years.
    assert d.loc["lynas_lamp", "delay_years"] == pytest.approx(1.25, abs=0.01)
    # Iluka: first production 2025 at FID, commissioning 2027 in the 2025 guidance: at least 2 years (censored).
    assert d.loc["iluka_eneabba", "delay_years"] == pytest.approx(2.0, abs=0.01) and d.loc["iluka_eneabba", "censored"]
    # Cancellation: Molycorp (bankrupt) and Seadrift (unlikely to proceed) of the projects with an outcome.
    assert sorted(ref.cancellation["failed"]) == ["lynas_seadrift", "molycorp_phoenix"]
    assert ref.cancellation["rate"] == pytest.approx(2 / ref.cancellation["n"])
    # Ramp-up: LAMP FY2015 8,799 / 11,000 t REO at about 2.12 years from its start -> 2.65 years;
    # MP Stage II 2025 2,599 / 6,000 t NdPr at about 1.88 years -> 4.34 years.
    r = ref.ramps.set_index("project_id")
    assert r.loc["lynas_lamp", "utilisation"] == pytest.approx(8799 / 11000)
    assert r.loc["mp_stage2", "utilisation"] == pytest.approx(2599 / 6000)
    assert r.loc["lynas_lamp", "ramp_years"] == pytest.approx(2.65, abs=0.01)
    assert r.loc["mp_stage2", "ramp_years"] == pytest.approx(4.34, abs=0.01)
    assert ref.ramp_years.central == pytest.approx(np.median(r["ramp_years"]))
