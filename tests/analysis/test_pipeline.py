"""Pipeline: capacity announced by year against China, and the status of dated promises."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import pipeline as pl
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError


@pytest.fixture(scope="module")
def tables():
    return load_table("projects"), load_table("events"), load_table("usgs_country_supply")


@pytest.mark.parametrize("target, as_of, met, window, expected", [
    ("2025-12-31", "2025-12-31", None, 90, "due"),  # the target day itself
    ("2025-12-31", "2026-01-01", None, 90, "past_due_unconfirmed"),
    ("2025-12-31", "2025-10-02", None, 90, "due"),  # exactly 90 days ahead
    ("2025-12-31", "2025-10-01", None, 90, "pending"),  # 91 days ahead
    ("2025-12-31", "2026-06-01", "2025-11-30", 90, "met"),
    ("2025-12-31", "2025-11-01", "2025-11-30", 90, "due"),  # met after as_of: not yet met, 60 days ahead
    ("2025-12-31", "2025-12-30", None, 0, "pending"),
])
def test_promise_status_rules(target, as_of, met, window, expected):
    assert pl.promise_status(target, as_of, met, window) == expected


def test_promise_status_rejects_nonsense():
    with pytest.raises(ParameterError, match="as_of=2026-02-30: not a valid date"):
        pl.promise_status("2026-01-01", "2026-02-30")
    with pytest.raises(ParameterError, match="due_window_days=-1"):
        pl.promise_status("2026-01-01", "2026-01-01", None, -1)


def test_promise_statuses_at_the_release_date(tables):
    projects, events, _ = tables
    s = pl.promise_statuses(projects, events, "2026-11-23").set_index("promise_id")
    assert s.loc["mp_mountain_pass_heavy_separation", "status"] == "past_due_unconfirmed"  # facility by end-2025
    assert s.loc["evac_sumter_magnets", "status"] == "past_due_unconfirmed"  # 2,000 t by Q1 2026
    assert s.loc["serra_verde_pela_ema", "status"] == "pending"  # 6,500 t by 2027
    assert s.loc["round_top", "status"] == "pending"  # late 2028
    assert s.loc["mofcom_2025_11_07_suspension", "status"] == "past_due_unconfirmed"  # until 2026-11-10
    assert s.loc["ramaco_brook_mine", "status"] == "met"
    assert s.loc["mofcom_2025_11_07_suspension", "days_to_target"] == (dt.date(2026, 11, 10) - dt.date(2026, 11, 23)).days
    counts = pl.status_counts(s.reset_index())
    assert sum(counts.values()) == len(s) and set(counts) == set(pl.PROMISE_STATUSES)


def test_promise_statuses_earlier_in_time(tables):
    projects, events, _ = tables
    s = pl.promise_statuses(projects, events, "2025-12-01").set_index("promise_id")
    assert s.loc["mp_mountain_pass_heavy_separation", "status"] == "due"  # 30 days ahead
    assert s.loc["mofcom_2025_11_07_suspension", "status"] == "pending"
    s = pl.promise_statuses(projects, events, "2026-09-01").set_index("promise_id")
    assert s.loc["mofcom_2025_11_07_suspension", "status"] == "due"  # 70 days before 2026-11-10


def test_capacity_by_year_against_china(tables):
    projects, _, supply = tables
    cap = pl.capacity_by_year(projects, supply)
    mining = cap[(cap["unit"] == "t/yr TREO")].iloc[0]
    assert mining["year"] == 2027 and mining["cumulative_high"] == 6500
    assert mining["pct_of_china_high"] == pytest.approx(6500 / 270_000 * 100)  # China 2025e, USGS MCS 2026
    magnets = cap[(cap["unit"] == "t/yr magnets")].set_index("year")
    assert magnets.loc[2028, "cumulative_high"] == 2000 + 10_000
    assert magnets["pct_of_china_high"].isna().all()  # no China magnet output in the dataset
    assert magnets["comparison"].str.contains("no China output").all()
    # Units are never added across: one row per (stage, unit, year).
    assert not cap.duplicated(["stage", "unit", "year"]).any()
    undated = cap[cap["year"].isna()]
    assert undated["comparison"].str.contains("undated").all() and undated["cumulative_high"].isna().all()


def test_capacity_pct_of_output():
    assert pl.capacity_pct_of_output(6500, 270_000) == pytest.approx(6500 / 270_000 * 100)
    with pytest.raises(ParameterError, match="china_output_t=0"):
        pl.capacity_pct_of_output(1, 0)
    assert pl.unit_key("t/yr magnets (MP total US capacity)") == "t/yr magnets"


@settings(max_examples=50, deadline=None)
@given(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(1, 400))
def test_status_only_moves_forward_in_time(tables, day, step):
    projects, events, _ = tables
    order = {"pending": 0, "due": 1, "past_due_unconfirmed": 2, "met": 3}
    now = pl.promise_statuses(projects, events, day).set_index("promise_id")["status"]
    later = pl.promise_statuses(projects, events, day + dt.timedelta(days=step)).set_index("promise_id")["status"]
    assert set(now) <= set(pl.PROMISE_STATUSES)
    for pid in now.index:
        if now[pid] == "met":
            assert later[pid] == "met"
        elif later[pid] != "met":
            assert order[later[pid]] >= order[now[pid]]
