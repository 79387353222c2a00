"""The outlook Monte Carlo (rare_earths.analysis.outlook): determinism, the announced schedule, monotonicity in
delays and cancellations, hand-checked schedules, and input checks. (Its speed is measured by benchmarks/run.py,
not tested here.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rare_earths.analysis import buildout as bo
from rare_earths.analysis import outlook as ol
from rare_earths.analysis import supply as su
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def setting():
    return bo.setting(history=load_table("project_history"), estimates=load_table("published_estimates"),
                      capex=load_table("plant_capex"), demand=load_table("demand"),
                      conversion=load_table("conversion_factors"))


@pytest.fixture(scope="module")
def inputs(setting):
    return ol.inputs(setting.pipeline, setting.demand, setting.growth, setting.factors, setting.reference.delay_sample)


def _run(inputs, **kw):
    kw = {"delay_scale": 1.0, "cancellation_rate": 0.15, "ramp_up_years": 3.5, "draws": 4000, "seed": 7, **kw}
    return ol.simulate(inputs, **kw)


def test_fixed_seed_gives_identical_results(inputs):
    a, b = _run(inputs, seed=11), _run(inputs, seed=11)
    for field in ("ratio", "p_cover", "p_all", "binding", "first_year", "first_year_all"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = _run(inputs, seed=12)
    assert not np.array_equal(a.ratio, c.ratio)


def test_no_delay_and_no_cancellation_reproduce_the_announced_schedule(inputs):
    # With demand fixed (low = high) and no delay or cancellation, every draw is the announced schedule:
    # the 10th, 50th and 90th percentiles coincide and equal schedule / demand.
    fixed = dataclasses.replace(inputs, demand_low=8500.0, demand_high=8500.0)
    r = _run(fixed, delay_scale=0.0, cancellation_rate=0.0)
    sched = ol.schedule(fixed, r.years, 3.5)
    demand = 8500.0 * (1 + fixed.growth) ** (r.years - fixed.base_year)
    expected = sched / (demand[None, :] * fixed.per_magnet[:, None])
    for k in range(3):
        np.testing.assert_allclose(r.ratio[k], expected, rtol=1e-5)


def test_schedule_by_hand(inputs):
    # With no ramp-up, a plant counts at nameplate from the year its announced window is centred in:
    # Vulcan (initial operations 2027, centred mid-2027) from 2027, MP's 10X (commissioning 2028) from 2028.
    # Magnets in 2026: Independence 1,000 + eVAC 2,000 + Noveon 2,000 + Neo 2,000 + USA Rare Earth's Stillwater
    # 3,000 (announced for Q1 2026) = 10,000; 2027: + Vulcan 10,000; 2028: + 10X 9,000.
    s = ol.schedule(inputs, [2026, 2027, 2028], 0.0)[su.STAGES.index("magnet")]
    assert list(s) == pytest.approx([10000, 20000, 29000])


def test_ramp_up_by_hand():
    # One plant of 1,000 t/yr announced for mid-2027 with a 2-year ramp: nothing in 2027 (mid-year = its start),
    # 500 t in 2028 (a year in), 1,000 t from 2029.
    pipe = pd.DataFrame([{"stage": "magnet", "capacity": 1000.0, "start": 2027.5, "operating": False,
                          "anchor_t": np.nan, "anchor_u": np.nan}])
    base = su.DemandBase("direct", su.Ranged(1000, 1000, 1000), 2026, pd.DataFrame({"source_id": []}))
    inp = ol.inputs(pipe, base, 0.0, su.factors(load_table("conversion_factors")), [0.0])
    assert list(ol.schedule(inp, [2027, 2028, 2029], 2.0)[3]) == pytest.approx([0.0, 500.0, 1000.0])
    r = ol.simulate(inp, delay_scale=0.0, cancellation_rate=0.0, ramp_up_years=2.0, draws=200, seed=1, horizon=2029)
    assert list(r.ratio[1, 3]) == pytest.approx([0.0, 0.0, 0.5, 1.0])  # 2026..2029, demand 1,000 t
    assert r.first_year[1, 3] == 2029


def test_operating_plant_anchored_to_its_latest_output(inputs, setting):
    # MP Materials' Stage II ran at 4,000 of 6,000 t/yr at the end of 2025 (mid-December): two thirds of nameplate,
    # so with a 3.5-year ramp it reaches 6,000 t/yr 1/3 x 3.5 = 1.17 years later, during 2027.
    row = setting.pipeline.set_index("project_id").loc["mp_stage2"]
    assert row["anchor_u"] == pytest.approx(4000 / 6000)
    t26 = 2026.5
    assert min(1.0, row["anchor_u"] + (t26 - row["anchor_t"]) / 3.5) * 6000 == pytest.approx(
        (4000 / 6000 + (t26 - row["anchor_t"]) / 3.5) * 6000)


@pytest.mark.parametrize("scales", [(0.0, 0.5, 1.0, 2.0, 4.0)])
def test_more_delay_never_makes_the_p50_year_earlier(inputs, scales):
    runs = [_run(inputs, delay_scale=s) for s in scales]
    for a, b in zip(runs, runs[1:]):
        assert np.all(b.first_year[1] >= a.first_year[1])  # median first year, every stage
        assert b.first_year_all[1] >= a.first_year_all[1]
        assert np.all(b.p_cover <= a.p_cover + 1e-12)  # same draws, later starts: never more coverage


def test_more_cancellation_never_raises_coverage(inputs):
    runs = [_run(inputs, cancellation_rate=q) for q in (0.0, 0.2, 0.5, 1.0)]
    for a, b in zip(runs, runs[1:]):
        assert np.all(b.p_cover <= a.p_cover + 1e-12)


def test_results_are_well_formed(inputs):
    r = _run(inputs)
    assert r.years[0] == 2026 and r.years[-1] == 2035
    assert np.all((r.p_cover >= 0) & (r.p_cover <= 1)) and np.all((r.p_all >= 0) & (r.p_all <= 1))
    assert np.all(r.ratio[0] <= r.ratio[1] + 1e-9) and np.all(r.ratio[1] <= r.ratio[2] + 1e-9)
    np.testing.assert_allclose(r.binding.sum(axis=0), 1.0)
    assert np.all(r.p_all <= r.p_cover.min(axis=0) + 1e-12)  # every stage at once is no likelier than the weakest


def test_magnet_plants_making_metal_raises_metal_coverage(setting):
    no = ol.from_setting(setting, draws=3000, seed=3)
    yes = ol.from_setting(setting, magnet_plants_make_metal=True, draws=3000, seed=3)
    metal = su.STAGES.index("metal")
    assert np.all(yes.p_cover[metal] >= no.p_cover[metal])
    np.testing.assert_array_equal(yes.p_cover[su.STAGES.index("magnet")], no.p_cover[su.STAGES.index("magnet")])


def test_us_only_scope_never_covers_more(setting):
    everywhere = ol.from_setting(setting, draws=3000, seed=3)
    us = ol.from_setting(setting, supply_scope="united_states", draws=3000, seed=3)
    assert np.all(us.ratio[1] <= everywhere.ratio[1] + 1e-6)


def test_binding_stage_is_a_stage(inputs):
    assert ol.binding_stage(_run(inputs), 2030) in su.STAGES
    with pytest.raises(ParameterError, match="year=2040"):
        _run(inputs).year_index(2040)


@pytest.mark.parametrize("kw, message", [
    ({"draws": 0}, "draws=0"), ({"delay_scale": -1}, "delay_scale=-1"), ({"cancellation_rate": 1.5}, "cancellation_rate=1.5"),
    ({"ramp_up_years": float("nan")}, "ramp_up_years=nan"), ({"seed": -1}, "seed=-1"), ({"horizon": 2020}, "horizon=2020"),
])
def test_bad_inputs_are_one_line_errors(inputs, kw, message):
    with pytest.raises(ParameterError, match=message):
        _run(inputs, **kw)
