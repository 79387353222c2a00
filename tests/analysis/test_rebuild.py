"""The rebuild estimate against the money announced."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earths.analysis import rebuild as rb
from rare_earths.data.load import load_table
from rare_earths.params import COMMITTED_SCOPES, ParameterError

AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def commitments():
    return load_table("commitments")


def test_annual_need_by_hand():
    assert rb.annual_need_usd_bn(200, 15) == pytest.approx(200 / 15)  # 13.3 USD bn a year
    with pytest.raises(ParameterError, match="rebuild_years=0: must be a finite number of years > 0"):
        rb.annual_need_usd_bn(200, 0)
    with pytest.raises(ParameterError, match="rebuild_total_usd_bn=-1"):
        rb.annual_need_usd_bn(-1, 15)


def test_committed_by_hand(commitments):
    # Every row of commitments.csv in USD m, with the Nov 2025 DFC approval (up to 465) replaced by the 565
    # of 2026-02-05 and the terminated JPMorgan/Goldman USD 1,000M left out.
    firm = (400 + 150 + 3 + 50 + 50 + 565 + 20  # DoD equity, OSC loan, ARPA-E grant, Commerce/Vulcan, DFC, IDC
            + 277 + 200)  # CHIPS direct funding to USA Rare Earth (2026-01-26), Texas incentives for 10X (2026-02-26)
    conditional = 620 + 80 + 1300  # OSC: Vulcan Elements, ReElement; CHIPS loan to USA Rare Earth
    programmes = 1000  # DOE planned funding opportunities
    private = 473 + 550 + 1500 + 1250  # Ramaco capex, Vulcan private capital, USAR PIPE, MP 10X capex
    assert rb.committed_usd_bn(commitments, AS_OF, "firm") == pytest.approx(firm / 1000)
    assert rb.committed_usd_bn(commitments, AS_OF, "firm_conditional") == pytest.approx((firm + conditional) / 1000)
    assert rb.committed_usd_bn(commitments, AS_OF, "public") == pytest.approx((firm + conditional + programmes) / 1000)
    total = (firm + conditional + programmes + private) / 1000
    assert rb.committed_usd_bn(commitments, AS_OF, "all") == pytest.approx(total)
    groups = rb.by_instrument(commitments, AS_OF).set_index("group")["amount_usd_bn"]
    assert groups.to_dict() == pytest.approx({"firm": firm / 1000, "conditional": conditional / 1000,
                                              "grant_programmes": programmes / 1000, "private": private / 1000,
                                              "not_counted": 0.0})


def test_superseded_amount_counted_once(commitments):
    before = rb.counted_commitments(commitments, "2025-12-01", "all").set_index("commitment_id")
    assert before.loc["dfc_serra_verde_approval_2025_11", "counted"]  # up to 465, the figure then
    assert "dfc_serra_verde_2026_02_05" not in before.index[before["counted"]]
    after = rb.counted_commitments(commitments, "2026-03-01", "all").set_index("commitment_id")
    assert after.loc["dfc_serra_verde_approval_2025_11", "reason"] == "superseded"
    assert after.loc["dfc_serra_verde_2026_02_05", "counted"]
    step = rb.cumulative_by_date(commitments, "2026-03-01").set_index("date")
    # On 2026-02-05 the DFC line adds only its increase (565 - 465) plus IDC's 20.
    assert step.loc[pd.Timestamp("2026-02-05"), "added_usd_bn"] == pytest.approx((565 - 465 + 20) / 1000)


def test_summary_by_hand(commitments):
    s = rb.rebuild_summary(commitments, AS_OF, "all", 200, 15)
    committed = (400 + 150 + 3 + 50 + 50 + 565 + 20 + 277 + 200 + 620 + 80 + 1300 + 1000 + 473 + 550 + 1500 + 1250) / 1000
    elapsed = (AS_OF - dt.date(2025, 7, 1)).days / 365.25  # from Ramaco's capex announcement
    assert s.status == "computed" and s.first_date == dt.date(2025, 7, 1)
    assert s.committed_usd_bn == pytest.approx(committed)
    assert s.coverage_pct == pytest.approx(committed / 200 * 100)  # 4.2%
    assert s.pace_usd_bn_per_year == pytest.approx(committed / elapsed)
    assert s.years_to_reach == pytest.approx((200 - committed) / (committed / elapsed))
    assert s.years_at_pace_total == pytest.approx(200 / (committed / elapsed))


def test_cumulative_ends_at_committed(commitments):
    for scope in COMMITTED_SCOPES:
        cum = rb.cumulative_by_date(commitments, AS_OF, scope)
        assert cum["cumulative_usd_bn"].iloc[-1] == pytest.approx(rb.committed_usd_bn(commitments, AS_OF, scope))
        assert cum["date"].is_monotonic_increasing


def test_terminated_commitment_is_never_counted(commitments):
    # JPMorgan/Goldman Sachs USD 1.0B to MP Materials (2025-07-10), eliminated in Aug 2025: status terminated.
    row = commitments.set_index("commitment_id").loc["jpm_gs_mp_financing_2025_07_10"]
    assert row["status"] == "terminated" and row["amount_usd_m"] == 1000
    for day in ("2025-07-10", "2025-12-31", AS_OF):
        out = rb.counted_commitments(commitments, day, "all").set_index("commitment_id")
        assert out.loc["jpm_gs_mp_financing_2025_07_10", "reason"] == "terminated"
        assert not out.loc["jpm_gs_mp_financing_2025_07_10", "counted"]
    # At 2025-07-31 only Ramaco's capex (473, 2025-07-01) and the DoD's equity (400, 2025-07-10) count.
    assert rb.committed_usd_bn(commitments, "2025-07-31", "all") == pytest.approx((473 + 400) / 1000)
    cum = rb.cumulative_by_date(commitments, "2025-07-31").set_index("date")
    assert "jpm_gs_mp_financing_2025_07_10" not in cum.loc[pd.Timestamp("2025-07-10"), "items"]
    assert cum["cumulative_usd_bn"].iloc[-1] == pytest.approx(0.873)
    private = rb.by_instrument(commitments, "2025-07-31").set_index("group").loc["private"]
    assert private["amount_usd_bn"] == pytest.approx(0.473) and private["n"] == 1
    # A terminated row does not replace an earlier announcement of the same funder, recipient and instrument.
    frame = pd.DataFrame({
        "commitment_id": ["a", "b"], "announced_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        "funder": ["x", "x"], "recipient": ["r", "r"], "instrument": ["loan", "loan"], "status": ["closed", "terminated"],
        "amount_usd_m": [100.0, 300.0], "bound": ["=", "="], "source_id": ["s", "s"],
    })
    out = rb.counted_commitments(frame, "2025-12-31").set_index("commitment_id")
    assert out.loc["a", "counted"] and out.loc["b", "reason"] == "terminated"
    assert rb.committed_usd_bn(frame, "2025-12-31") == pytest.approx(0.1)


def test_undefined_pace_is_a_status_not_nan(commitments):
    early = rb.rebuild_summary(commitments, "2025-01-01")
    assert early.status == "no_commitments" and early.pace_usd_bn_per_year is None and early.committed_usd_bn == 0
    first = rb.rebuild_summary(commitments, "2025-07-01")
    assert first.status == "no_time_elapsed" and first.years_to_reach is None


def test_bad_input(commitments):
    with pytest.raises(ParameterError, match="committed_scope=most"):
        rb.committed_usd_bn(commitments, AS_OF, "most")
    with pytest.raises(ParameterError, match="as_of=2026-02-30"):
        rb.committed_usd_bn(commitments, "2026-02-30")
    with pytest.raises(ParameterError, match="pace_usd_bn_per_year=0"):
        rb.years_to_reach(1, 200, 0)
    with pytest.raises(ParameterError, match="instrument=barter"):
        rb.instrument_group("barter")


def test_offtake_is_never_counted():
    frame = pd.DataFrame({
        "commitment_id": ["a", "b"], "announced_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        "funder": ["x", "y"], "recipient": ["r", "r"], "instrument": ["offtake", "loan"],
        "amount_usd_m": [100.0, 50.0], "bound": ["=", "="], "source_id": ["s", "s"],
    })
    out = rb.counted_commitments(frame, "2025-12-31", "all").set_index("commitment_id")
    assert out.loc["a", "reason"] == "not_investment" and out.loc["b", "counted"]
    assert rb.committed_usd_bn(frame, "2025-12-31") == pytest.approx(0.05)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_scopes_are_nested_and_money_never_shrinks_over_time(commitments, day):
    values = [rb.committed_usd_bn(commitments, day, s) for s in COMMITTED_SCOPES]
    assert values == sorted(values)
    later = day + dt.timedelta(days=90)
    assert rb.committed_usd_bn(commitments, later, "all") >= values[-1]


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e3), st.floats(1, 1e4), st.floats(0.01, 1e3), st.floats(0.01, 1e3))
def test_coverage_and_years_monotone(committed, total, pace1, pace2):
    assert rb.coverage_pct(committed, total) >= 0
    slow, fast = sorted((pace1, pace2))
    assert rb.years_to_reach(committed, total, fast) <= rb.years_to_reach(committed, total, slow)
    assert rb.years_to_reach(committed, total * 2, slow) >= rb.years_to_reach(committed, total, slow)


def test_possible_double_count_is_capex_capped_by_money_the_same_company_received(commitments):
    # MP Materials' 10X capex (more than 1,250) may be paid from what MP received and the book counts:
    # DoD equity 400 + OSC loan 150 + Texas incentives about 200 = 750 < 1,250, so the bound is 750.
    # Ramaco's capex has no counted money received beside it: no overlap.
    total, ids = rb.possible_double_count_usd_bn(commitments, AS_OF)
    assert ids == ["mp_10x_capex_2026_02_26"]
    assert total == pytest.approx((400 + 150 + 200) / 1000)
    # before the 10X announcement nothing overlaps
    assert rb.possible_double_count_usd_bn(commitments, dt.date(2026, 2, 1)) == (0.0, [])
    # capex smaller than the money received: the capex is the bound
    small = commitments.copy()
    small.loc[small["commitment_id"] == "mp_10x_capex_2026_02_26", "amount_usd_m"] = 100
    assert rb.possible_double_count_usd_bn(small, AS_OF)[0] == pytest.approx(0.1)
    assert rb.company_of("MP Materials (10X magnet campus, Northlake, Texas)") == "MP Materials"
