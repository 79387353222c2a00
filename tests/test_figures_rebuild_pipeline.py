"""Figures, prose facts and added key numbers of the rebuild and pipeline chapters.

Expected values are written out as arithmetic on the rows of data/commitments.csv,
data/projects.csv, data/events.csv and USGS MCS 2026 v1.3, so a change in the data or the code that
moves a plotted number fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from rare_earths.numbers import registry as R
from rare_earths.analysis import scenarios as sc
from rare_earths.data.load import load_table
from rare_earths.figures import build_figure, list_figures

# Load every figure module in the registry's own order before importing two of them directly, so
# registration order (which `rare-earths figure --list` reports) is the same in this test session.
list_figures()

from rare_earths.figures import pipeline as fp  # noqa: E402
from rare_earths.figures import rebuild as fr  # noqa: E402
from rare_earths.params.core import resolve  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
REBUILD_IDS = ("rebuild-money-by-instrument", "rebuild-cumulative", "rebuild-tornado")
PIPELINE_IDS = ("pipeline-timeline", "pipeline-capacity")
ALL_IDS = REBUILD_IDS + PIPELINE_IDS
#: as_of values that exercise every branch: nothing announced, only private money (no firm pace),
#: the DFC's first Serra Verde approval still current, the suspension in force, and the default day.
OTHER_AS_OF = (dt.date(2025, 6, 1), dt.date(2025, 7, 5), dt.date(2025, 12, 31), dt.date(2026, 3, 1))

# Elapsed years from the first counted announcement (Ramaco PEA capex, 2025-07-01) to AS_OF.
ELAPSED = (AS_OF - dt.date(2025, 7, 1)).days / 365.25
FIRM = (400 + 150 + 3 + 50 + 50 + 565 + 20  # DoD equity, OSC loan, ARPA-E, Commerce x2, DFC 565, IDC
        + 277 + 200) / 1000  # CHIPS direct funding to USA Rare Earth (2026-01-26), Texas incentives for MP 10X (2026-02-26)
CONDITIONAL = (620 + 80 + 1300) / 1000  # OSC conditional: Vulcan, ReElement; CHIPS loan to USA Rare Earth
GRANTS = 1000 / 1000  # DOE planned funding opportunities
PRIVATE = (473 + 550 + 1500 + 1250) / 1000  # Ramaco PEA capex, Vulcan private, USAR PIPE, MP 10X capex (JPM/GS terminated)
ALL = FIRM + CONDITIONAL + GRANTS + PRIVATE


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in R.compute_numbers({"as_of": AS_OF})}


def _spec_datasets(fig) -> list[list[dict]]:
    spec = fig.chart.to_dict(validate=False)
    return list(spec.get("datasets", {}).values())


# ---------------------------------------------------------------------------------------------
# Every figure
# ---------------------------------------------------------------------------------------------


def test_figures_are_registered_for_their_chapters():
    assert [f.id for f in list_figures("rebuild")] == list(REBUILD_IDS)
    assert [f.id for f in list_figures("pipeline")] == list(PIPELINE_IDS)


@pytest.mark.parametrize("fid", ALL_IDS)
def test_builds_with_defaults_and_plots_its_own_data(fid):
    fig = build_figure(fid)  # the declared defaults (as_of: the build date)
    assert fig.chart.data is fig.data  # one top-level data set: the chart plots exactly fig.data
    datasets = _spec_datasets(fig)
    assert len(datasets) == 1 and len(datasets[0]) == len(fig.data)
    assert pd.read_csv(pd.io.common.StringIO(fig.csv_text())).shape == fig.data.shape


@pytest.mark.parametrize("fid", ALL_IDS)
@pytest.mark.parametrize("as_of", OTHER_AS_OF)
def test_builds_at_other_dates(fid, as_of):
    fig = build_figure(fid, {"as_of": as_of})
    assert fig.chart.data is fig.data and not fig.data.empty
    assert fig.to_svg().startswith("<svg")
    if fid != "pipeline-capacity":  # the only figure that does not depend on as_of
        assert f"{as_of:%Y-%m-%d}" in fig.caption


@pytest.mark.parametrize("fid", ALL_IDS)
def test_svg_is_deterministic(fid):
    params = {"as_of": AS_OF}
    assert build_figure(fid, params).to_svg() == build_figure(fid, params).to_svg()


@pytest.mark.parametrize("fid", ALL_IDS)
def test_caption_names_a_source_and_a_year(fid):
    fig = build_figure(fid, {"as_of": AS_OF})
    sources = load_table("sources").set_index("source_id")
    shorts = {str(sources.loc[s, "producer_short"]) for s in fig.sources}
    assert any(s in fig.caption for s in shorts), (fid, shorts)
    assert re.search(r"(?<!\d)20\d\d(?!\d)", fig.caption)
    assert len(fig.alt_text) > 60
    assert fig.citation().startswith("Rare Earth Rivalry")


def test_non_default_parameters_are_named_in_the_citation():
    fig = build_figure("rebuild-cumulative", {"as_of": AS_OF, "rebuild_total_usd_bn": 400.0})
    assert "rebuild_total_usd_bn=400.0" in fig.citation()
    need = fig.data[fig.data["kind"] == "need"]
    assert need["series"].iloc[0] == "Need at 26.7 bn/yr"  # 400 / 15
    assert need["value_usd_bn"].iloc[-1] == pytest.approx(400 / 15 * ELAPSED, abs=1e-5)


# ---------------------------------------------------------------------------------------------
# Rebuild
# ---------------------------------------------------------------------------------------------


def test_waterfall_values_by_hand(numbers):
    data = build_figure("rebuild-money-by-instrument", {"as_of": AS_OF}).data.set_index("group")
    expected = {"firm": FIRM, "conditional": CONDITIONAL, "grant_programmes": GRANTS, "private": PRIVATE}
    running = 0.0
    for group, amount in expected.items():
        assert data.loc[group, "amount_usd_bn"] == pytest.approx(amount)
        assert data.loc[group, "start_usd_bn"] == pytest.approx(running)
        running += amount
        assert data.loc[group, "end_usd_bn"] == pytest.approx(running)
        assert data.loc[group, "amount_usd_bn"] == pytest.approx(numbers[f"rebuild.{group}_usd_bn"].value)
    assert data.loc["all", "amount_usd_bn"] == pytest.approx(ALL) == pytest.approx(8.488)
    assert data.loc["all", "amount_usd_bn"] == pytest.approx(numbers["rebuild.all_announced_usd_bn"].value)
    assert list(data["counted_usd_bn"]) == pytest.approx([ALL] * len(data))  # default scope 'all'
    # The labels keep unlike money apart and say when an amount is approximate.
    assert data.loc["grant_programmes", "text"] == "+1.00 (approx.)"
    assert data.loc["private", "text"] == "+3.77 (partly approx.)"  # 3.773; Ramaco ~473 (10X's ">1,250" is not labelled)
    assert data.loc["all", "label"] == fr.TOTAL_LABEL and "unlike" in fr.TOTAL_LABEL


def test_waterfall_before_the_dfc_raise_and_with_the_firm_scope():
    data = build_figure("rebuild-money-by-instrument",
                        {"as_of": dt.date(2025, 12, 31), "committed_scope": "firm"}).data.set_index("group")
    firm = (400 + 150 + 3 + 465 + 50 + 50) / 1000  # DFC's first approval (up to 465) still current; no IDC yet
    assert data.loc["firm", "amount_usd_bn"] == pytest.approx(firm)
    assert data.loc["firm", "text"] == "+1.12 (partly up to)"
    assert list(data["counted_usd_bn"]) == pytest.approx([firm] * len(data))
    # At 2025-12-31: conditional OSC 620 + 80 only; private Ramaco 473 + Vulcan 550 (JPM/GS terminated); no 2026 money.
    assert data.loc["all", "amount_usd_bn"] == pytest.approx(firm + 0.7 + GRANTS + (473 + 550) / 1000)


def test_waterfall_with_nothing_announced():
    data = build_figure("rebuild-money-by-instrument", {"as_of": dt.date(2025, 6, 1)}).data
    assert (data["amount_usd_bn"] == 0).all() and (data["counted_usd_bn"] == 0).all()


def test_cumulative_values_by_hand(numbers):
    data = build_figure("rebuild-cumulative", {"as_of": AS_OF}).data
    money = data[data["kind"] == "money"]
    last = money[money["date"] == pd.Timestamp(AS_OF)]
    assert last["value_usd_bn"].sum() == pytest.approx(ALL)  # stacked groups add up to the total at as_of
    assert list(last["total_usd_bn"]) == pytest.approx([ALL] * len(last))
    assert last.set_index("group")["value_usd_bn"].to_dict() == pytest.approx(
        {"firm": FIRM, "conditional": CONDITIONAL, "grant_programmes": GRANTS, "private": PRIVATE})
    # The DFC's raise for Serra Verde adds only the increase (565 - 465), with IDC's 20, on 2026-02-05.
    firm = money[money["group"] == "firm"].set_index("date")["value_usd_bn"]
    # (with the CHIPS direct funding of 2026-01-26, 277, in between)
    assert firm[pd.Timestamp("2026-02-05")] - firm[pd.Timestamp("2025-11-03")] == pytest.approx((565 - 465 + 20 + 277) / 1000)
    need = data[data["kind"] == "need"].sort_values("date")
    assert list(need["date"]) == [pd.Timestamp("2025-07-01"), pd.Timestamp(AS_OF)]
    assert need["value_usd_bn"].iloc[-1] == pytest.approx(200 / 15 * ELAPSED, abs=1e-5)
    assert need["value_usd_bn"].iloc[-1] == pytest.approx(numbers["rebuild.need_to_date_usd_bn"].value, abs=1e-5)


def test_cumulative_firm_scope_stacks_only_firm_money():
    data = build_figure("rebuild-cumulative", {"as_of": AS_OF, "committed_scope": "firm"}).data
    assert set(data.loc[data["kind"] == "money", "group"]) == {"firm"}
    # The need line starts at the first *firm* announcement (DoD-MP, 2025-07-10).
    assert data.loc[data["kind"] == "need", "date"].min() == pd.Timestamp("2025-07-10")


def test_cumulative_with_nothing_counted_has_no_need_line():
    fig = build_figure("rebuild-cumulative", {"as_of": dt.date(2025, 6, 1)})
    assert (fig.data["kind"] == "money").all() and (fig.data["value_usd_bn"] == 0).all()
    assert "no need line" in fig.caption


def test_tornado_values_by_hand(numbers):
    data = build_figure("rebuild-tornado", {"as_of": AS_OF}).data
    rows = data.set_index(["output", "input"])
    pace = lambda committed: committed / ELAPSED  # noqa: E731
    reach = rows.loc[("years_to_reach", "committed_usd_bn")]
    assert reach["output_at_low"] == pytest.approx((200 - FIRM) / pace(FIRM), rel=1e-6)
    assert reach["output_at_central"] == pytest.approx((200 - ALL) / pace(ALL), rel=1e-6)
    assert reach["output_at_central"] == pytest.approx(numbers["rebuild.years_to_reach_at_pace"].value, rel=1e-6)
    assert rows.loc[("years_to_reach", "rebuild_total_usd_bn"), "output_at_high"] == pytest.approx(
        (300 - ALL) / pace(ALL), rel=1e-6)
    need = rows.loc[("annual_need_usd_bn", "rebuild_years")]
    assert (need["output_at_low"], need["output_at_high"]) == pytest.approx((200 / 10, 200 / 20))
    # Zero swings are left out (the years do not move the coverage); bars span low..high.
    assert ("coverage_pct", "rebuild_years") not in rows.index
    assert (data["bar_low"] <= data["bar_high"]).all()
    assert list(data["output"].unique()) == ["years_to_reach", "annual_need_usd_bn", "coverage_pct"]


def test_tornado_falls_back_to_the_need_when_no_pace_exists():
    fig = build_figure("rebuild-tornado", {"as_of": dt.date(2025, 6, 1)})  # before any money was announced
    assert set(fig.data["output"]) == {"annual_need_usd_bn"}
    assert "only the annual need is shown" in fig.caption


def test_tornado_with_money_but_nothing_firm_uses_the_chosen_scope():
    # 2025-07-05: money announced, none of it firm yet; the committed range starts at the chosen scope
    # instead of 0 (a zero pace would leave "years to reach" undefined).
    fig = build_figure("rebuild-tornado", {"as_of": dt.date(2025, 7, 5)})
    assert set(fig.data["output"]) == {"years_to_reach", "annual_need_usd_bn", "coverage_pct"}


def test_fallback_ranges_match_the_scenarios_module():
    params = resolve({"as_of": AS_OF})
    reference = sc.default_inputs("rebuild", params)
    for name, mine in fr._need_only_inputs(params).items():
        ref = reference[name]
        assert (mine.low, mine.central, mine.high) == pytest.approx((ref.low, ref.central, ref.high))
        assert mine.distribution == ref.distribution


def test_rebuild_text_facts_and_table():
    facts = fr.text_facts(resolve({"as_of": AS_OF}))
    assert facts["rebuild.text.as_of"] == "2026-11-23" and facts["rebuild.text.first_date"] == "2025-07-01"
    assert all(v.strip() for v in facts.values())
    early = fr.text_facts(resolve({"as_of": dt.date(2025, 6, 1)}))
    assert early["rebuild.text.pace_status"].startswith("undefined")
    table = fr.commitments_table(resolve({"as_of": AS_OF}))
    status = table.set_index(table["source"] + "|" + table["amount (USD m)"])["at 2026-11-23"]
    assert status["dfc_serra_verde_2025_11|up to 465"] == "replaced by a later announcement"
    assert (table["at 2026-11-23"] == "counted").sum() == 17
    assert status["mp_2025_07_10_dod|1,000"] == "terminated before use"


# ---------------------------------------------------------------------------------------------
# Pipeline
# ---------------------------------------------------------------------------------------------


def test_timeline_statuses_by_hand(numbers):
    data = build_figure("pipeline-timeline", {"as_of": AS_OF}).data.set_index("promise_id")
    assert data.loc["ramaco_brook_mine", "status_key"] == "met"  # met 2025-07-11
    assert data.loc["mp_mountain_pass_heavy_separation", "status_key"] == "past_due_unconfirmed"  # 2025-12-31
    assert data.loc["evac_sumter_magnets", "status_key"] == "past_due_unconfirmed"  # 2026-03-31
    assert data.loc["mofcom_2025_11_07_suspension", "status_key"] == "event_ended"  # ended 2026-11-10
    assert data.loc["mofcom_2025_11_07_suspension", "start_date"] == pd.Timestamp("2025-11-07")
    for pid in ("serra_verde_pela_ema", "mp_10x_magnet_plant", "round_top"):
        assert data.loc[pid, "status_key"] == "pending"
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


def test_pipeline_text_facts():
    def status(day):
        return fp.text_facts(resolve({"as_of": day}))["pipeline.text.suspension_status"]

    assert status(dt.date(2025, 6, 1)).startswith("had not yet been announced")
    assert status(dt.date(2026, 11, 9)) == "was in force, with one day to run"
    assert status(dt.date(2026, 11, 10)) == "was in force for its last day"
    assert status(AS_OF) == "had passed its end date 13 days earlier; the dataset records no extension"
    facts = fp.text_facts(resolve({"as_of": AS_OF}))
    assert facts["pipeline.text.suspension_end"] == "2026-11-10" and facts["pipeline.text.measures_date"] == "2025-10-09"


def test_pipeline_tables():
    params = resolve({"as_of": AS_OF})
    promises = fp.promises_table(params)
    assert len(promises) == 9 + 1 and "status at 2026-11-23" in promises.columns  # 9 dated project targets + the suspension
    undated = fp.undated_table()
    assert set(undated["project"]) == {"Zandkopsdrift", "Silicon Ridge", "Vulcan Elements magnet factory (Benson, North Carolina)",
                                       "Stillwater magnet and metal plant expansion"}


# ---------------------------------------------------------------------------------------------
# Key numbers added for these chapters
# ---------------------------------------------------------------------------------------------


def test_added_rebuild_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["rebuild.estimate_total_usd_bn"] == 200 and v["rebuild.estimate_years"] == 15
    assert v["rebuild.all_announced_usd_bn"] == pytest.approx(ALL)
    assert v["rebuild.firm_share_of_announced_pct"] == pytest.approx(FIRM / ALL * 100)
    assert v["rebuild.commitments_counted"] == 19 - 2  # 19 rows, the DFC's first approval replaced, JPM/GS terminated
    assert v["rebuild.committed_months_of_need"] == pytest.approx(ALL / (200 / 15) * 12)
    assert numbers["rebuild.committed_months_of_need"].low == pytest.approx(FIRM / (200 / 15) * 12)
    assert v["rebuild.elapsed_years"] == pytest.approx(ELAPSED)
    assert v["rebuild.need_to_date_usd_bn"] == pytest.approx(200 / 15 * ELAPSED)


def test_added_pipeline_numbers_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["pipeline.project_targets_dated"] == 9
    assert (v["pipeline.project_targets_met"], v["pipeline.project_targets_past_due_unconfirmed"],
            v["pipeline.project_targets_due"], v["pipeline.project_targets_pending"]) == (1, 4, 0, 4)
    assert v["pipeline.projects_undated"] == 4  # Zandkopsdrift, Silicon Ridge, Vulcan, USAR Stillwater
    assert v["pipeline.project_targets_after_suspension_end"] == 4  # Serra Verde and its upgrade 2027, 10X and Round Top 2028
    # The suspension's end date counts among the promises but not among the project targets.
    assert v["pipeline.promises_past_due_unconfirmed"] == v["pipeline.project_targets_past_due_unconfirmed"] + 1


def test_added_numbers_are_undefined_with_a_status_before_any_money():
    early = {n.id: n for n in R.compute_numbers({"as_of": dt.date(2025, 6, 1)})}
    for id_ in ("rebuild.elapsed_years", "rebuild.need_to_date_usd_bn", "rebuild.firm_share_of_announced_pct"):
        assert early[id_].value is None and early[id_].status.startswith("undefined at as_of=2025-06-01"), id_
    assert early["rebuild.commitments_counted"].value == 0
    assert early["pipeline.project_targets_pending"].value == 5 + 3 and early["pipeline.project_targets_due"].value == 1
