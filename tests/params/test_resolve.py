"""From NAME=VALUE text and overrides to checked, resolved parameters (rare_earths.params.resolve)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rare_earths.params as P
from rare_earths.params import declarations as D
from rare_earths.params import ParameterError, parse_assignments, resolve
from rare_earths.params.checks import SIGNIFICANT_DIGITS_MAX, SMALLEST_NONZERO


def test_chapter_parameters():
    names = [p.name for p in P.chapter_parameters("cost-gap")]
    assert "cost_gap_low" in names and "floor_price_usd_per_kg" in names
    assert "rebuild_years" not in names
    assert P.chapter_parameters("shares") == []
    with pytest.raises(ParameterError, match="chapter=nope"):
        P.chapter_parameters("nope")


def test_parse_assignments_types_values():
    out = parse_assignments(["as_of=2026-06-30", "rebuild_years=20", "committed_scope=firm",
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


def test_non_default_names_only_the_changed_parameters_asked_for():
    params = P.resolve({"cost_gap_high": 0.5, "as_of": dt.date(2026, 1, 2)})
    assert P.non_default(params, ["cost_gap_high", "cost_gap_low"]) == {"cost_gap_high": 0.5}
    assert P.non_default(params, ["as_of"]) == {"as_of": "2026-01-02"}  # plain: dates as ISO text
    assert P.non_default(P.resolve({}), list(P.PARAMETERS)) == {}


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_any_real_date_parses(day):
    assert parse_assignments([f"as_of={day.isoformat()}"]) == {"as_of": day}


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 5), st.floats(0, 5))
def test_cross_rule_is_exactly_low_le_high(low, high):
    # Values as a parameter may be written: at most SIGNIFICANT_DIGITS_MAX digits, 0 or >= SMALLEST_NONZERO.
    low, high = (float(f"{v:.{SIGNIFICANT_DIGITS_MAX}g}") if v >= SMALLEST_NONZERO else 0.0 for v in (low, high))
    args = [f"cost_gap_low={low!r}", f"cost_gap_high={high!r}"]
    if low <= high:
        assert parse_assignments(args) == {"cost_gap_low": low, "cost_gap_high": high}
    else:
        with pytest.raises(ParameterError, match="cost_gap_low must not exceed cost_gap_high"):
            parse_assignments(args)
