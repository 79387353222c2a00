"""The declared parameters: defaults, where they come from, how each checks a value."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rare_earths.params as P
from support import DATA
from rare_earths.data.load import load_table
from rare_earths.params import declarations as D
from rare_earths.params import ParameterError
from rare_earths.params.checks import SIGNIFICANT_DIGITS_MAX, SMALLEST_NONZERO


def test_every_parameter_is_declared_once_and_its_default_passes_its_own_check():
    names = [p.name for p in D.DECLARATIONS]
    assert len(names) == len(set(names)) == len(P.PARAMETERS)  # PARAMETERS would silently keep the last twin
    for p in P.PARAMETERS.values():
        value = p.resolve_default()
        if not callable(p.default):
            assert value == p.default, p.name
    for low, high in P.RANGE_PAIRS:
        assert {low, high} <= set(P.PARAMETERS)


def test_parameter_sources_are_real_source_ids():
    known = set(load_table("sources")["source_id"])
    for p in P.PARAMETERS.values():
        assert set(p.sources) <= known, p.name


def test_defaults(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782864000")  # 2026-07-01T00:00:00Z: the build date moves nothing
    d = P.defaults()
    assert d["cost_gap_low"] == 0.30 and d["cost_gap_high"] == 0.40
    assert d["floor_price_usd_per_kg"] == 110.0  # DoD–MP floor, from prices.csv
    assert d["market_price_usd_per_kg"] == 55.0  # USGS 2024 NdPr average, from prices.csv
    assert d["china_cost_usd_per_kg"] == 55.0  # assumption: the same 2024 average, as a ceiling
    assert d["volume_t"] == 1294.0  # MP Materials 2024 NdPr oxide output
    assert d["rebuild_total_usd_bn"] == 200.0 and d["rebuild_years"] == 15
    checked = json.loads((DATA / "checked.json").read_text(encoding="utf-8"))["data_checked_to"]
    assert d["as_of"] == dt.date.fromisoformat(checked)  # the date the data is checked to, not the build date
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


def test_build_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782864000")
    assert P.build_date() == dt.date(2026, 7, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ParameterError, match="SOURCE_DATE_EPOCH=yesterday"):
        P.build_date()


def test_as_dict_says_whether_the_default_comes_from_the_data():
    market = P.PARAMETERS["market_price_usd_per_kg"].as_dict()
    assert market["default"] is None and market["default_from_data"] is True
    gap = P.PARAMETERS["cost_gap_high"].as_dict()
    assert gap["default"] == 0.40 and gap["default_from_data"] is False
    assert gap["allowed"] == "a fraction between 0 and 5"


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fraction_parameter_accepts_exactly_0_to_5(value):
    param = P.PARAMETERS["cost_gap_high"]
    # A non-zero fraction below SMALLEST_NONZERO means nothing (a subnormal only overflows later).
    ok = math.isfinite(value) and 0 <= value <= 5 and (value == 0 or value >= SMALLEST_NONZERO)
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
    value = float(f"{value:.{SIGNIFICANT_DIGITS_MAX}g}")  # as many digits as a value may have
    if value < SMALLEST_NONZERO:  # negative, zero (the floor is > 0) or too small to mean anything
        with pytest.raises(ParameterError, match="floor_price_usd_per_kg="):
            param.parse(repr(value))
    elif value <= 1e6:
        assert param.parse(repr(value)) == value
    else:
        with pytest.raises(ParameterError, match="up to 1,000,000"):
            param.parse(repr(value))
