"""The rebuild chapter's figures, text facts and table (rare_earths.figures.rebuild), by hand.

Expected values are written out as arithmetic on the rows of data/commitments.csv, so a change in
the data or the code that moves a plotted number fails here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rare_earths.analysis import scenarios as sc
from rare_earths.data.load import data_checked_to
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers
from rare_earths.params import resolve

# Load every figure module in the registry's own order before importing one directly, so
# registration order (which `rare-earths figure --list` reports) is the same in this test session.
list_figures()

from rare_earths.figures import rebuild as fr  # noqa: E402

AS_OF = data_checked_to()  # the book's date: data/checked.json
IDS = ("rebuild-money-by-instrument", "rebuild-cumulative", "rebuild-tornado")
#: as_of values that exercise every branch: nothing announced, only private money (no firm pace),
#: the DFC's first Serra Verde approval still current, the suspension in force, and the default day.
OTHER_AS_OF = (dt.date(2025, 6, 1), dt.date(2025, 7, 5), dt.date(2025, 12, 31), dt.date(2026, 3, 1))

# Elapsed years from the first counted announcement (Ramaco PEA capex, 2025-07-01) to AS_OF.
ELAPSED = (AS_OF - dt.date(2025, 7, 1)).days / 365.25
# The 19 rows of commitments.csv in USD m, all announced by 2026-02-26, before AS_OF. The DFC's Nov 2025
# approval (up to 465) is replaced by its 565 of 2026-02-05; the JPMorgan/Goldman 1,000 is terminated.
FIRM = (400 + 150 + 3 + 50 + 50 + 565 + 20  # DoD equity, OSC loan, ARPA-E, Commerce x2 (Vulcan), DFC 565, IDC
        + 277 + 200) / 1000  # CHIPS direct funding to USA Rare Earth (2026-01-26), Texas incentives for MP 10X (2026-02-26)
CONDITIONAL = (620 + 80 + 1300) / 1000  # OSC conditional: Vulcan, ReElement; CHIPS loan to USA Rare Earth
GRANTS = 1000 / 1000  # DOE planned funding opportunities
PRIVATE = (473 + 550 + 1500 + 1250) / 1000  # Ramaco PEA capex, Vulcan private, USAR PIPE, MP 10X capex
ALL = FIRM + CONDITIONAL + GRANTS + PRIVATE


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({"as_of": AS_OF}, domains=["rebuild"])}


@pytest.mark.parametrize("fid", IDS)
@pytest.mark.parametrize("as_of", OTHER_AS_OF)
def test_builds_at_other_dates(fid, as_of):
    fig = build_figure(fid, {"as_of": as_of})
    assert fig.chart.data is fig.data and not fig.data.empty
    assert fig.to_svg().startswith("<svg")
    assert f"{as_of:%Y-%m-%d}" in fig.caption


def test_non_default_parameters_are_named_in_the_citation():
    fig = build_figure("rebuild-cumulative", {"as_of": AS_OF, "rebuild_total_usd_bn": 400.0})
    assert "rebuild_total_usd_bn=400.0" in fig.citation()
    need = fig.data[fig.data["kind"] == "need"]
    assert need["series"].iloc[0] == "Need at 26.7 bn/yr"  # 400 / 15
    assert need["value_usd_bn"].iloc[-1] == pytest.approx(400 / 15 * ELAPSED, abs=1e-5)


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
    # 3.773; of its rows Ramaco's 473 is "about" and MP 10X's 1,250 is "more than"
    assert data.loc["private", "text"] == "+3.77 (partly approx., partly more than)"
    assert data.loc["firm", "text"] == "+1.72 (partly approx., partly up to)"  # 1.715: Texas ~200, CHIPS up to 277
    assert data.loc["conditional", "text"] == "+2.00 (partly up to)"  # the CHIPS loan: up to 1,300
    assert data.loc["all", "label"] == fr.TOTAL_LABEL and "unlike" in fr.TOTAL_LABEL


def test_waterfall_before_the_dfc_raise_and_with_the_firm_scope():
    data = build_figure("rebuild-money-by-instrument",
                        {"as_of": dt.date(2025, 12, 31), "committed_scope": "firm"}).data.set_index("group")
    firm = (400 + 150 + 3 + 465 + 50 + 50) / 1000  # DFC's first approval (up to 465) still current; no IDC yet
    assert data.loc["firm", "amount_usd_bn"] == pytest.approx(firm)
    assert data.loc["firm", "text"] == "+1.12 (partly up to)"
    assert list(data["counted_usd_bn"]) == pytest.approx([firm] * len(data))
    # At 2025-12-31: conditional OSC 620 + 80 only; private Ramaco 473 + Vulcan 550 (JPM/GS terminated); no 2026 money.
    assert data.loc["all", "amount_usd_bn"] == pytest.approx(firm + (620 + 80) / 1000 + GRANTS + (473 + 550) / 1000)


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
    # The DFC's raise for Serra Verde adds only the increase (565 - 465), with IDC's 20, on 2026-02-05
    # (with the CHIPS direct funding of 2026-01-26, 277, in between).
    firm = money[money["group"] == "firm"].set_index("date")["value_usd_bn"]
    assert firm[pd.Timestamp("2026-01-26")] - firm[pd.Timestamp("2025-11-03")] == pytest.approx(277 / 1000)
    assert firm[pd.Timestamp("2026-02-05")] - firm[pd.Timestamp("2026-01-26")] == pytest.approx((565 - 465 + 20) / 1000)
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


def _texts(params) -> dict[str, str]:
    return {f.key: f.text for f in fr.text_facts(resolve(params))}


def test_rebuild_text_facts_and_table():
    facts = _texts({"as_of": AS_OF})
    assert facts == {"rebuild.text.as_of": f"{AS_OF:%Y-%m-%d}", "rebuild.text.scope": "all",
                     "rebuild.text.scope_words": fr.SCOPE_LABELS["all"], "rebuild.text.first_date": "2025-07-01",
                     "rebuild.text.pace_status": "the money counted divided by the years elapsed"}
    early = _texts({"as_of": dt.date(2025, 6, 1)})
    assert early["rebuild.text.pace_status"] == "undefined: nothing is counted at this date"
    assert early["rebuild.text.first_date"] == "(none yet)"
    assert _texts({"as_of": dt.date(2025, 7, 1)})["rebuild.text.pace_status"].startswith("undefined: no time has passed")
    table = fr.commitments_table(resolve({"as_of": AS_OF}))
    column = f"at {AS_OF:%Y-%m-%d}"
    status = table.set_index(table["source"] + "|" + table["amount (USD m)"])[column]
    assert status["dfc_serra_verde_2025_11|up to 465"] == "replaced by a later announcement"
    assert status["mp_2026_02_26_10x_northlake|more than 1,250"] == "counted"  # '>' is worded, not dropped
    assert status["mp_2025_07_10_dod|1,000"] == "terminated before use"  # JPMorgan/Goldman, eliminated Aug 2025
    assert len(table) == 19 and (table[column] == "counted").sum() == 19 - 2
