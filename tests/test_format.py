"""The one formatter (rare_earths.format): how values and source rows become text everywhere."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rare_earths import format as fmt
from rare_earths.data.load import load_table


@pytest.mark.parametrize("value, filled", [
    (None, False), (pd.NA, False), (pd.NaT, False), (float("nan"), False), ("", False), ("  ", False),
    (0, True), (0.0, True), ("x", True), (False, True),
])
def test_present(value, filled):
    assert fmt.present(value) is filled


@pytest.mark.parametrize("value, unit, text", [
    (3038.0, "", "3,038"), (15.2, "", "15.2"), (0.27, "", "0.27"), (10_000_000, "", "10,000,000"),
    (2028.0, "year", "2028"), (-13.0, "", "-13"), (58.666666666, "", "58.6667"),
])
def test_number_text(value, unit, text):
    assert fmt.number_text(value, unit) == text


def test_fixed_bounded_and_with_unit():
    assert fmt.fixed(1294, 1) == "1,294.0" and fmt.fixed(1.746, 2) == "1.75"
    assert fmt.bounded(75_000_000, ">") == ">75,000,000" and fmt.bounded(13.3, "=") == "13.3"
    assert fmt.bound_prefix("~") == "~" and fmt.bound_prefix("=") == ""
    assert [fmt.with_unit("58.7", 58.7, "%"), fmt.with_unit("2.0", 2.0, "multiple"), fmt.with_unit("3", 3, "count"),
            fmt.with_unit("1", 1, "years"), fmt.with_unit("3", 3, "years"), fmt.with_unit("15.2", 15.2, "Mt REO")] \
        == ["58.7%", "2.0×", "3", "1 year", "3 years", "15.2 Mt REO"]


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"),
                                     (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (111, "111th")])
def test_ordinal(n, text):
    assert fmt.ordinal(n) == text


@given(st.integers(1, 10_000))
def test_ordinal_is_the_number_and_an_english_suffix(n):
    text = fmt.ordinal(n)
    assert text[:-2] == str(n) and text[-2:] in ("st", "nd", "rd", "th")
    assert (text[-2:] == "th") == (n % 10 in (0, 4, 5, 6, 7, 8, 9) or 10 <= n % 100 <= 20)


@given(st.integers(-10**9, 10**9))
def test_whole_numbers_print_exactly_with_separators(n):
    text = fmt.number_text(float(n))
    assert int(text.replace(",", "")) == n and (abs(n) < 1000) == ("," not in text)


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return load_table("sources").set_index("source_id", drop=False)


def test_published_text_keeps_the_known_precision(sources):
    assert fmt.published_text(sources.loc["usgs_mcs_2026_ree"]) == "2026-02-06"  # day
    assert fmt.published_text(sources.loc["usgs_mcs_2025_ree"]) == "2025-01"  # month only
    assert fmt.published_text(sources.loc["nrcan_ree_facts"]) == "2023"  # year only


def test_source_label_and_reference(sources):
    usgs = sources.loc["usgs_mcs_2026_ree"]
    assert fmt.source_label(usgs) == "USGS MCS 2026 v1.3"
    assert fmt.source_reference(usgs) == (
        "USGS, Rare earths, in Mineral Commodity Summaries 2026 (MCS 2026, version 1.3, 2026-02-06)")
    assert fmt.source_label(sources.loc["iea_gcmo_2025"]) == "IEA GCMO 2025"  # no version
    assert fmt.source_reference(sources.loc["iea_gcmo_2025"]) == "IEA, Global Critical Minerals Outlook 2025 (GCMO 2025, 2025-05-21)"
    assert fmt.source_label(sources.loc["smm_2025_09_18"]) == "SMM 2025-09-18"  # no edition: the date
    assert fmt.source_label(sources.loc["nrcan_ree_facts"]) == "NRCan 2023"
    assert fmt.edition_label("USGS", "MCS 2026") == "USGS MCS 2026"
    assert fmt.edition_label("IEA", "IEA GCMO 2025") == "IEA GCMO 2025"  # already names its producer


@pytest.mark.parametrize("row, text", [
    ({"bound": ">", "unit": "%", "value": 15.0}, ">15%"),
    ({"bound": "=", "unit": "%", "low": 30.0, "high": 40.0}, "30–40%"),
    ({"bound": "=", "unit": "Mt REO", "value": 15.2}, "15.2 Mt REO"),
    ({"bound": "~", "unit": "t/yr", "value": 3038.0}, "~3,038 t/yr"),
    ({"bound": "=", "unit": "year", "value": 2028.0}, "2028"),
    ({"bound": "<=", "unit": "months", "value": 1.0}, "<=1 month"),
    ({"bound": "=", "unit": "multiple", "value": 2.0}, "2×"),
    ({"bound": "=", "unit": "date", "date_low": pd.Timestamp("2025-10-31"), "date_high": pd.Timestamp("2025-10-31")}, "2025-10-31"),
    ({"bound": "=", "unit": "date", "date_low": pd.Timestamp("2025-04-01"), "date_high": pd.Timestamp("2025-04-30")},
     "2025-04-01 to 2025-04-30"),
])
def test_stated_value(row, text):
    full = {"value": None, "low": None, "high": None, "date_low": None, "date_high": None, **row}
    assert fmt.stated_value(full) == text


def test_every_claim_of_the_ledger_has_a_stated_value():
    for _, claim in load_table("claims").iterrows():
        assert fmt.stated_value(claim), claim["claim_id"]


def test_text_fact_says_what_kind_of_text_it_is():
    fact = fmt.TextFact("pipeline.text.as_of", "2026-11-23", "date")
    assert (fact.key, fact.text, fact.kind, fact.numbers) == ("pipeline.text.as_of", "2026-11-23", "date", ())
    with pytest.raises(ValueError, match="kind 'number' is not one of words, date, claim, citation, identifier"):
        fmt.TextFact("a.b", "12", "number")
    with pytest.raises(ValueError, match="a.b: empty text"):
        fmt.TextFact("a.b", "  ")
