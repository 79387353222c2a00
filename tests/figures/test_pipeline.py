"""The pipeline chapter's figures, text facts and tables (rare_earths.figures.pipeline), by hand.

Expected values are written out as arithmetic on the rows of data/projects.csv, data/events.csv and
USGS MCS 2026 v1.3, so a change in the data or the code that moves a plotted number fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from rare_earths.data.load import data_checked_to
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers
from rare_earths.params import resolve

# Load every figure module in the registry's own order before importing one directly, so
# registration order (which `rare-earths figure --list` reports) is the same in this test session.
list_figures()

from rare_earths.figures import pipeline as fp  # noqa: E402

AS_OF = data_checked_to()  # the book's date: data/checked.json
SUSPENSION_END = dt.date(2026, 11, 10)
IDS = ("pipeline-timeline", "pipeline-capacity")
#: as_of values before the first project, with the suspension in force, and after.
OTHER_AS_OF = (dt.date(2025, 6, 1), dt.date(2025, 7, 5), dt.date(2025, 12, 31), dt.date(2026, 3, 1))


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({"as_of": AS_OF}, domains=["pipeline"])}


@pytest.mark.parametrize("fid", IDS)
@pytest.mark.parametrize("as_of", OTHER_AS_OF)
def test_builds_at_other_dates(fid, as_of):
    fig = build_figure(fid, {"as_of": as_of})
    assert fig.chart.data is fig.data and not fig.data.empty
    assert fig.to_svg().startswith("<svg")
    if fid != "pipeline-capacity":  # the only figure that does not depend on as_of
        assert f"{as_of:%Y-%m-%d}" in fig.caption


def test_timeline_statuses_by_hand(numbers):
    data = build_figure("pipeline-timeline", {"as_of": AS_OF}).data.set_index("promise_id")
    assert data.loc["ramaco_brook_mine", "status_key"] == "met"  # met 2025-07-11
    assert data.loc["mp_mountain_pass_heavy_separation", "status_key"] == "past_due_unconfirmed"  # 2025-12-31
    assert data.loc["evac_sumter_magnets", "status_key"] == "past_due_unconfirmed"  # 2026-03-31
    assert data.loc["mofcom_2025_11_07_suspension", "status_key"] == "event_ended"  # ended 2026-11-10
    assert data.loc["mofcom_2025_11_07_suspension", "start_date"] == pd.Timestamp("2025-11-07")
    assert data.loc["mp_mountain_pass_heavy_separation_mid2026", "status_key"] == "past_due_unconfirmed"  # 2026-06-30
    assert data.loc["usar_wheat_ridge_hydromet", "status_key"] == "past_due_unconfirmed"  # Q3 2026: 2026-09-30
    for pid in ("serra_verde_pela_ema", "serra_verde_pela_ema_upgrade", "mp_10x_magnet_plant", "round_top"):
        assert data.loc[pid, "status_key"] == "pending"  # 2027-12-31, 2027-12-31, 2028-12-31, 2028-12-31
    assert data.loc["mp_mountain_pass_heavy_separation", "days_to_target"] == -(AS_OF - dt.date(2025, 12, 31)).days
    projects = data[data["kind"] == "project"]
    for status in ("met", "past_due_unconfirmed", "due", "pending"):
        assert (projects["status_key"] == status).sum() == numbers[f"pipeline.project_targets_{status}"].value


@pytest.mark.parametrize("as_of, expected", [
    (dt.date(2025, 6, 1), "event_not_yet"), (dt.date(2025, 11, 7), "event_in_force"),
    (dt.date(2026, 11, 10), "event_in_force"), (dt.date(2026, 11, 11), "event_ended"),
])
def test_suspension_state_at_its_edges(as_of, expected):
    data = build_figure("pipeline-timeline", {"as_of": as_of}).data.set_index("promise_id")
    assert data.loc["mofcom_2025_11_07_suspension", "status_key"] == expected


def test_status_styles_differ_in_colour_and_shape():
    colours = [c for _, c, _ in fp.STATUS_STYLE.values()]
    shapes = [s for _, _, s in fp.STATUS_STYLE.values()]
    assert len(set(colours)) == len(colours) and len(set(shapes)) == len(shapes)
    spec = json.dumps(build_figure("pipeline-timeline", {"as_of": AS_OF}).spec())
    assert '"shape"' in spec and '"triangle-down"' in spec and '"cross"' in spec


def test_due_window_moves_statuses():
    data = build_figure("pipeline-timeline", {"as_of": dt.date(2025, 10, 1), "due_window_days": 120}).data
    due = data.set_index("promise_id")["status_label"]
    assert due["mp_mountain_pass_heavy_separation"] == "due within 120 days"  # 91 days ahead


def test_capacity_values_by_hand(numbers):
    data = build_figure("pipeline-capacity").data
    china = data[data["country"] == "China"].iloc[0]
    assert china["value_t"] == 270_000 == numbers["pipeline.china_mine_output_t"].value  # USGS MCS 2026, 2025e
    mining = data[(data["panel"] == "mining") & (data["country"] != "China")].iloc[-1]
    assert mining["value_t"] == 6_500 == numbers["pipeline.non_china_mining_capacity_t"].value
    assert mining["pct_of_china"] == pytest.approx(6_500 / 270_000 * 100)
    assert mining["pct_of_china"] == pytest.approx(numbers["pipeline.non_china_mining_capacity_pct_of_china"].value)
    magnets = data[data["panel"] == "magnets"]
    assert list(magnets["value_t"]) == [2_000, 2_000 + 10_000]  # Sumter (2026), + MP total US (2028)
    assert magnets["value_t"].iloc[-1] == numbers["pipeline.magnet_capacity_announced_t"].value
    assert set(data["panel"]) == {"mining", "magnets"}  # units never share an axis


def _texts(params) -> dict[str, str]:
    return {f.key: f.text for f in fp.text_facts(resolve(params))}


def test_pipeline_text_facts():
    def status(day):
        return _texts({"as_of": day})["pipeline.text.suspension_status"]

    assert status(dt.date(2025, 6, 1)).startswith("had not yet been announced")
    assert status(dt.date(2026, 11, 9)) == "was in force, with one day to run"
    assert status(dt.date(2026, 11, 10)) == "was in force for its last day"
    assert status(dt.date(2026, 11, 23)) == "had passed its end date 13 days earlier; the dataset records no extension"
    after = (AS_OF - SUSPENSION_END).days  # the book's date is after the end date
    assert after > 1 and status(AS_OF) == f"had passed its end date {after:,} days earlier; the dataset records no extension"
    assert status(dt.date(2026, 11, 11)) == "had passed its end date the day before; the dataset records no extension"
    assert status(dt.date(2026, 1, 1)) == "was in force, with 313 days to run"  # 2026-11-10 - 2026-01-01
    facts = _texts({"as_of": AS_OF})
    assert facts["pipeline.text.suspension_start"] == "2025-11-07" and facts["pipeline.text.suspension_end"] == "2026-11-10"
    assert facts["pipeline.text.measures_date"] == "2025-10-09" and facts["pipeline.text.april_controls_date"] == "2025-04-04"
    assert facts["pipeline.text.as_of"] == f"{AS_OF:%Y-%m-%d}"


@pytest.mark.parametrize("as_of", [dt.date(2025, 6, 1), dt.date(2026, 1, 1), dt.date(2026, 11, 9), AS_OF])
def test_words_carry_no_digits_but_the_numbers_they_embed(as_of):
    """A TextFact of words may print a registry number only if it says which (``numbers``), so
    every figure in the prose can be traced to the registry."""
    numbers = {n.id: n for n in compute_numbers({"as_of": as_of}, domains=["pipeline"])}
    for fact in fp.text_facts(resolve({"as_of": as_of})):
        text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", fact.text)
        for nid in fact.numbers:
            text = text.replace(numbers[nid].display_plain().lstrip("-"), " ")
        assert not re.search(r"\d", text), (fact.key, fact.text)


def test_pipeline_tables():
    params = resolve({"as_of": AS_OF})
    promises = fp.promises_table(params)
    # 9 dated project targets in projects.csv (Mountain Pass 2025-12-31 and 2026-06-30, Sumter, Serra Verde and its
    # upgrade, Round Top, Ramaco, 10X, Wheat Ridge) + the suspension's end date (the only event with an end_date)
    assert len(promises) == 9 + 1 and f"status at {AS_OF:%Y-%m-%d}" in promises.columns
    undated = fp.undated_table()
    assert set(undated["project"]) == {"Zandkopsdrift", "Silicon Ridge",
                                       "Vulcan Elements magnet factory (Benson, North Carolina)",
                                       "Stillwater magnet and metal plant expansion"}
