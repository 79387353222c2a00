"""Parameters: declarations, defaults, parsing and the checks every computation uses."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rare_earths.params as P
from rare_earths.params import declarations as D
from rare_earths.analysis.ranged import Ranged
from rare_earths.data.load import load_table
from rare_earths.params import ParameterError, parse_assignments, resolve


# --- declarations ------------------------------------------------------------------------------


def test_every_parameter_is_declared_once_with_chapters_unit_and_description():
    names = [p.name for p in D._DECLARATIONS]
    assert len(names) == len(set(names))
    for p in P.PARAMETERS.values():
        assert p.chapters and set(p.chapters) <= set(P.CHAPTERS), p.name
        assert p.description and p.allowed
        assert p.type in (float, int, dt.date, str)
        assert p.as_dict()["name"] == p.name


def test_issue_parameter_names_exist():
    for name in ("cost_gap_low", "cost_gap_high", "china_cost_usd_per_kg", "floor_price_usd_per_kg",
                 "market_price_usd_per_kg", "volume_t", "rebuild_total_usd_bn", "rebuild_years", "as_of"):
        assert name in P.PARAMETERS


def test_parameter_sources_are_real_source_ids():
    known = set(load_table("sources")["source_id"])
    for p in P.PARAMETERS.values():
        assert set(p.sources) <= known, p.name


def test_chapter_parameters():
    names = [p.name for p in P.chapter_parameters("cost-gap")]
    assert "cost_gap_low" in names and "floor_price_usd_per_kg" in names
    assert "rebuild_years" not in names
    with pytest.raises(ParameterError, match="chapter=nope"):
        P.chapter_parameters("nope")


# --- defaults ----------------------------------------------------------------------------------


def test_defaults(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782864000")  # 2026-07-01T00:00:00Z
    d = P.defaults()
    assert d["cost_gap_low"] == 0.30 and d["cost_gap_high"] == 0.40
    assert d["floor_price_usd_per_kg"] == 110.0  # DoD–MP floor, from prices.csv
    assert d["market_price_usd_per_kg"] == 55.0  # USGS 2024 NdPr average, from prices.csv
    assert d["china_cost_usd_per_kg"] == 55.0  # assumption: the same 2024 average, as a ceiling
    assert d["volume_t"] == 1294.0  # MP Materials 2024 NdPr oxide output
    assert d["rebuild_total_usd_bn"] == 200.0 and d["rebuild_years"] == 15
    assert d["as_of"] == dt.date(2026, 7, 1)
    assert set(d) == set(P.PARAMETERS)


def test_defaults_agree_with_the_claims_ledger():
    claims = load_table("claims").set_index("claim_id")
    d = P.defaults()
    assert claims.loc["C24", "low"] / 100 == d["cost_gap_low"]  # "30–40% higher"
    assert claims.loc["C24", "high"] / 100 == d["cost_gap_high"]
    assert claims.loc["C25", "value"] == d["rebuild_years"]  # "15 years"
    assert claims.loc["C26", "value"] == d["rebuild_total_usd_bn"]  # "over $200 billion"
    assert claims.loc["C10", "value"] == d["floor_price_usd_per_kg"]  # "$110/kg"


def test_china_cost_is_described_as_an_assumption():
    assert "ASSUMPTION" in P.PARAMETERS["china_cost_usd_per_kg"].description


def test_bad_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ParameterError, match="SOURCE_DATE_EPOCH=yesterday"):
        P.build_date()


# --- parsing -----------------------------------------------------------------------------------


def test_parse_assignments_types_values():
    out = parse_assignments(["cost_gap_high=0.5", "as_of=2026-06-30", "rebuild_years=20", "committed_scope=firm",
                             "volume_t=1_000", "cost_gap_high=0.45"])
    assert out == {"cost_gap_high": 0.45, "as_of": dt.date(2026, 6, 30), "rebuild_years": 20,
                   "committed_scope": "firm", "volume_t": 1000.0}
    assert parse_assignments([]) == {}


@pytest.mark.parametrize("text, expected", [
    ("cost_gap_high=7", "cost_gap_high=7: must be a fraction between 0 and 5"),
    ("cost_gap_low=-0.1", "cost_gap_low=-0.1: must be a fraction between 0 and 5"),
    ("cost_gap_high=", "cost_gap_high=: missing value"),
    ("cost_gap_high", "expected NAME=VALUE"),
    ("=3", "missing parameter name"),
    ("cost_gap_high=abc", "cost_gap_high=abc: not a number"),
    ("cost_gap_hihg=0.5", "unknown parameter 'cost_gap_hihg' (did you mean cost_gap_high?)"),
    ("as_of=2025-02-30", "as_of=2025-02-30: not a valid date"),
    ("as_of=2025-2-3", "as_of=2025-2-3: not a valid date"),
    ("as_of=2011-W01-2", "as_of=2011-W01-2: not a valid date"),
    ("as_of=1900-01-01", "as_of=1900-01-01: must be a date (YYYY-MM-DD) between 1990-01-01 and 2100-12-31"),
    ("china_cost_usd_per_kg=-3", "china_cost_usd_per_kg=-3: must be a finite, non-negative amount"),
    ("china_cost_usd_per_kg=nan", "china_cost_usd_per_kg=nan: must be a finite"),
    ("market_price_usd_per_kg=inf", "market_price_usd_per_kg=inf: must be a finite"),
    ("rebuild_years=0", "rebuild_years=0: must be a whole number of years between 1 and 100"),
    ("rebuild_years=2.5", "rebuild_years=2.5: must be a whole number of years"),
    ("rebuild_total_usd_bn=0", "rebuild_total_usd_bn=0: must be a finite amount > 0"),
    ("volume_t=2e20", "volume_t=2e+20: must be a finite, non-negative quantity"),
    ("committed_scope=most", "committed_scope=most: must be one of firm, firm_conditional, public, all"),
    ("dod_upside_share=1.5", "dod_upside_share=1.5: must be a fraction between 0 and 1"),
    ("cost_gap_low=0.5", "cost_gap_low=0.5, cost_gap_high=0.4: cost_gap_low must not exceed cost_gap_high"),
    ("cost_gap_high=0.2", "cost_gap_low=0.3, cost_gap_high=0.2: cost_gap_low must not exceed cost_gap_high"),
])
def test_parse_assignments_rejects_nonsense_with_one_line_naming_the_parameter(text, expected):
    with pytest.raises(ParameterError) as err:
        parse_assignments([text])
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_cross_rule_passes_when_both_move_together():
    assert parse_assignments(["cost_gap_low=0.5", "cost_gap_high=0.6"]) == {"cost_gap_low": 0.5, "cost_gap_high": 0.6}


def test_resolve_checks_typed_overrides():
    assert resolve({"cost_gap_high": 0.5})["cost_gap_high"] == 0.5
    assert resolve({"as_of": "2026-01-02"})["as_of"] == dt.date(2026, 1, 2)
    with pytest.raises(ParameterError, match="cost_gap_high=7"):
        resolve({"cost_gap_high": 7})
    with pytest.raises(ParameterError, match="did you mean volume_t"):
        resolve({"volume": 3})
    with pytest.raises(ParameterError, match="cost_gap_low must not exceed cost_gap_high"):
        resolve({"cost_gap_low": 0.39, "cost_gap_high": 0.38})
    with pytest.raises(ParameterError, match="rebuild_years=True"):
        resolve({"rebuild_years": True})


# --- check helpers -----------------------------------------------------------------------------


def test_check_helpers_accept_good_values_and_arrays():
    assert P.check_money("x", 3) == 3.0 and isinstance(P.check_money("x", 3), float)
    arr = P.check_fraction("gap", np.array([0.0, 0.3, 5.0]))
    assert isinstance(arr, np.ndarray) and arr.tolist() == [0.0, 0.3, 5.0]
    assert P.check_years("y", 0.5) == 0.5
    assert P.check_date("d", dt.datetime(2026, 1, 2, 3)) == dt.date(2026, 1, 2)
    assert P.check_date("d", np.datetime64("2026-01-02")) == dt.date(2026, 1, 2)
    P.check_range("lo", 1, "hi", 1)


@pytest.mark.parametrize("call, expected", [
    (lambda: P.check_money("price", -1), "price=-1: must be a finite, non-negative amount of money"),
    (lambda: P.check_money("price", float("nan")), "price=nan"),
    (lambda: P.check_money("price", "55"), "price=55"),
    (lambda: P.check_money("price", None), "price=None"),
    (lambda: P.check_money("price", True), "price=True"),
    (lambda: P.check_money("price", 0, positive=True), "price=0: must be a finite amount of money > 0"),
    (lambda: P.check_fraction("gap", np.array([0.1, 6.0])), "gap=6: must be a fraction between 0 and 5"),
    (lambda: P.check_years("years", 0), "years=0: must be a finite number of years > 0"),
    (lambda: P.check_share_pct("share", 101), "share=101: must be a share in percent between 0 and 100"),
    (lambda: P.check_range("low", 2, "high", 1), "low=2, high=1: low must not exceed high"),
    (lambda: P.check_range("low", np.array([1, 3]), "high", np.array([2, 2])), "low=3, high=2"),
    (lambda: P.check_date("as_of", "2026-13-01"), "as_of=2026-13-01: not a valid date"),
    (lambda: P.check_date("as_of", 20260101), "as_of=20260101"),
    (lambda: P.check_int("n", 1.5, 0, 3), "n=1.5: must be a whole number between 0 and 3"),
])
def test_check_helpers_reject_with_named_messages(call, expected):
    with pytest.raises(ParameterError) as err:
        call()
    assert expected in str(err.value)


def test_ranged():
    r = Ranged(1, 2, 3, "x")
    assert not r.is_point and r.as_dict()["central"] == 2
    assert Ranged.point(4).is_point
    assert Ranged.of([5, 1], 3) == Ranged(1, 3, 5)
    with pytest.raises(ParameterError, match="low <= central <= high"):
        Ranged(3, 2, 1)
    with pytest.raises(ParameterError, match="central=nan"):
        Ranged(0, float("nan"), 1)


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fraction_parameter_accepts_exactly_0_to_5(value):
    param = P.PARAMETERS["cost_gap_high"]
    ok = math.isfinite(value) and 0 <= value <= 5
    if ok:
        assert param.check(value) == value
    else:
        with pytest.raises(ParameterError) as err:
            param.check(value)
        assert str(err.value).startswith("cost_gap_high=")
        assert "between 0 and 5" in str(err.value)


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_money_parameters_reject_negatives_and_round_trip_text(value):
    param = P.PARAMETERS["floor_price_usd_per_kg"]
    if value < 0:
        with pytest.raises(ParameterError, match="floor_price_usd_per_kg="):
            param.parse(repr(value))
    elif value <= 1e6:
        assert param.parse(repr(value)) == value


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_any_real_date_parses(day):
    assert parse_assignments([f"as_of={day.isoformat()}"]) == {"as_of": day}


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 5), st.floats(0, 5))
def test_cross_rule_is_exactly_low_le_high(low, high):
    args = [f"cost_gap_low={low!r}", f"cost_gap_high={high!r}"]
    if low <= high:
        assert parse_assignments(args) == {"cost_gap_low": low, "cost_gap_high": high}
    else:
        with pytest.raises(ParameterError, match="cost_gap_low must not exceed cost_gap_high"):
            parse_assignments(args)


def test_lazy_resolution_checks_overrides_at_once_and_defaults_on_read(monkeypatch):
    assert dict(P.resolve_lazily({"cost_gap_high": 0.5})) == P.resolve({"cost_gap_high": 0.5})
    with pytest.raises(P.ParameterError, match="cost_gap_low must not exceed cost_gap_high"):
        P.resolve_lazily({"cost_gap_low": 0.9})  # against the default high, before anything is read
    with pytest.raises(P.ParameterError, match="cost_gap_hihg"):
        P.resolve_lazily({"cost_gap_hihg": 0.5})
    calls = []
    monkeypatch.setattr(D, "usgs_ndpr_average_price", lambda year: calls.append(year) or 55.0)
    lazy = P.resolve_lazily({"cost_gap_high": 0.5})
    assert lazy["cost_gap_high"] == 0.5 and lazy["rebuild_years"] == 15
    assert calls == []  # no default read from the data was needed
    assert lazy["market_price_usd_per_kg"] == 55.0 and calls == [2024]
    assert lazy["market_price_usd_per_kg"] == 55.0 and calls == [2024]  # resolved once
    with pytest.raises(KeyError):
        lazy["no_such_parameter"]
