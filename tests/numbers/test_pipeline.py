"""The pipeline domain's key numbers, by hand from data/projects.csv, data/events.csv and USGS MCS
2026 v1.3, at the date the data is checked to (data/checked.json; 2026-12-02 when these were derived)."""

from __future__ import annotations

import datetime as dt

import pytest

from rare_earths.data.load import data_checked_to
from rare_earths.numbers import compute_numbers

AS_OF = data_checked_to()
SUSPENSION_START, SUSPENSION_END = dt.date(2025, 11, 7), dt.date(2026, 11, 10)


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({"as_of": AS_OF}, domains=["pipeline"])}


def test_promise_counts_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    # The 13 rows of projects.csv, 9 with a target date, judged at AS_OF (2026-12-02; due window 90 days):
    #   met (1): Ramaco Brook Mine 2025-07-11 (met 2025-07-11);
    #   past due, unconfirmed (4): Mountain Pass heavy separation 2025-12-31 (the seed's), Sumter 2026-03-31,
    #     Mountain Pass Dy/Tb circuit mid-2026 (2026-06-30), Wheat Ridge oxides Q3 2026 (2026-09-30);
    #   due (0): nothing between AS_OF and AS_OF + 90 days;
    #   pending (4): Serra Verde 6,500 t and its upgrade 6,400 t (2027-12-31), MP 10X and Round Top (2028-12-31).
    # These statuses hold for any AS_OF after the suspension's end (2026-11-10) and more than 90 days before 2027-12-31.
    assert dt.date(2026, 11, 10) < AS_OF < dt.date(2027, 12, 31) - dt.timedelta(days=90)
    assert v["pipeline.project_targets_dated"] == 9
    assert (v["pipeline.project_targets_met"], v["pipeline.project_targets_past_due_unconfirmed"],
            v["pipeline.project_targets_due"], v["pipeline.project_targets_pending"]) == (1, 4, 0, 4)
    assert v["pipeline.projects_undated"] == 4  # Zandkopsdrift, Silicon Ridge, Vulcan (Benson), USAR Stillwater
    # Serra Verde and its upgrade 2027, 10X and Round Top 2028
    assert v["pipeline.project_targets_after_suspension_end"] == 4
    # The suspension's end date counts among the promises but not among the project targets.
    assert v["pipeline.promises_past_due_unconfirmed"] == v["pipeline.project_targets_past_due_unconfirmed"] + 1


def test_capacity_against_china_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["pipeline.china_mine_output_t"] == 270_000  # USGS MCS 2026, 2025e
    assert v["pipeline.non_china_mining_capacity_t"] == 6_500  # Serra Verde, 2027
    assert v["pipeline.non_china_mining_capacity_pct_of_china"] == pytest.approx(6_500 / 270_000 * 100)
    assert v["pipeline.magnet_capacity_announced_t"] == 2_000 + 10_000  # Sumter (2026), + MP total US (2028)
    assert v["pipeline.serra_verde_target_multiple_of_brazil_2025"] == pytest.approx(6_500 / 2_000)
    assert v["pipeline.sumter_expanded_capacity_t"] == 2_000 * 6  # the seed's "six times"


def test_the_suspension_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["pipeline.suspension_length_days"] == (SUSPENSION_END - SUSPENSION_START).days
    assert v["pipeline.suspension_days_left"] == (SUSPENSION_END - AS_OF).days < 0  # ended before the data date
    assert v["pipeline.due_window_days"] == 90 and numbers["pipeline.due_window_days"].parameters == ("due_window_days",)


def test_early_dates_move_the_counts():
    early = {n.id: n for n in compute_numbers({"as_of": dt.date(2025, 6, 1)}, domains=["pipeline"])}
    # At 2025-06-01 nothing is met or past: Ramaco's 2025-07-11 opening is due (40 days ahead), the other 8 dated
    # targets (Mountain Pass 2025-12-31 and mid-2026, Sumter, Wheat Ridge, Serra Verde x2, 10X, Round Top) pending.
    assert early["pipeline.project_targets_pending"].value == 8 and early["pipeline.project_targets_due"].value == 1
    assert early["pipeline.project_targets_met"].value == early["pipeline.project_targets_past_due_unconfirmed"].value == 0
    wide = {n.id: n for n in compute_numbers({"as_of": dt.date(2025, 10, 1), "due_window_days": 120},
                                             domains=["pipeline"])}
    assert wide["pipeline.due_window_days"].value == 120
    assert wide["pipeline.project_targets_due"].value == 1  # Mountain Pass, 91 days ahead (Sumter: 181)
