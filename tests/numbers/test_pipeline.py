"""The pipeline domain's key numbers, by hand from data/projects.csv, data/events.csv and USGS MCS
2026 v1.3, at the book's release date (2026-11-23)."""

from __future__ import annotations

import datetime as dt

import pytest

from rare_earths.numbers import compute_numbers

AS_OF = dt.date(2026, 11, 23)
SUSPENSION_START, SUSPENSION_END = dt.date(2025, 11, 7), dt.date(2026, 11, 10)


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({"as_of": AS_OF}, domains=["pipeline"])}


def test_promise_counts_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["pipeline.project_targets_dated"] == 6
    assert (v["pipeline.project_targets_met"], v["pipeline.project_targets_past_due_unconfirmed"],
            v["pipeline.project_targets_due"], v["pipeline.project_targets_pending"]) == (1, 2, 0, 3)
    assert v["pipeline.projects_undated"] == 3
    assert v["pipeline.project_targets_after_suspension_end"] == 3  # Serra Verde 2027, 10X and Round Top 2028
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
    assert v["pipeline.suspension_days_left"] == (SUSPENSION_END - AS_OF).days == -13
    assert v["pipeline.due_window_days"] == 90 and numbers["pipeline.due_window_days"].parameters == ("due_window_days",)


def test_early_dates_move_the_counts():
    early = {n.id: n for n in compute_numbers({"as_of": dt.date(2025, 6, 1)}, domains=["pipeline"])}
    assert early["pipeline.project_targets_pending"].value == 5 and early["pipeline.project_targets_due"].value == 1
    wide = {n.id: n for n in compute_numbers({"as_of": dt.date(2025, 10, 1), "due_window_days": 120},
                                             domains=["pipeline"])}
    assert wide["pipeline.due_window_days"].value == 120
    assert wide["pipeline.project_targets_due"].value == 1  # Mountain Pass, 91 days ahead (Sumter: 181)
