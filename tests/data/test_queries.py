"""Typed look-ups that fail loudly and the one NdPr price rule (rare_earths.data.queries)."""

from __future__ import annotations

import pandas as pd
import pytest

from rare_earths.data import queries as q
from rare_earths.data.load import DataError, load_table


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_table("prices")


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return load_table("sources")


def test_row_finds_exactly_one_row_or_names_the_table_and_key():
    events = load_table("events")
    assert q.row(events, "events", event_id="mofcom_2025_11_07_suspension")["end_date"] == pd.Timestamp("2026-11-10")
    with pytest.raises(q.LookupFailed) as err:
        q.row(events, "events", event_id="no_such_event")
    assert isinstance(err.value, DataError)
    assert str(err.value) == "events.csv: no row with event_id='no_such_event': the book relies on it"
    with pytest.raises(DataError, match=r"claims.csv: \d+ rows with seed_source_id='smm_2025_09_18': expected one"):
        q.row(load_table("claims"), "claims", seed_source_id="smm_2025_09_18")


def test_rows_matches_every_column_given():
    supply = load_table("usgs_country_supply")
    found = q.rows(supply, "usgs_country_supply", edition="MCS 2026", measure="reserves", country="China")
    assert list(found["value_t_reo"]) == [44_000_000]
    with pytest.raises(q.LookupFailed, match="usgs_country_supply.csv: no row with edition='MCS 2026', country='Atlantis'"):
        q.rows(supply, "usgs_country_supply", edition="MCS 2026", country="Atlantis")


def test_the_ndpr_rule_names_ndpr_in_any_spelling():
    commodity = pd.Series(["NdPr oxide", "NdPr products (NdPr oxide)", "Nd Pr oxide", "Dysprosium oxide", None])
    assert q.is_ndpr(commodity).tolist() == [True, True, True, False, False]


def test_ndpr_prices_are_the_mid_points_of_ndpr_rows(prices):
    averages = q.ndpr_prices(prices, ("annual_average",)).set_index("year")["price_usd_per_kg"]
    assert averages.to_dict() == {2021: 92.0, 2022: 124.0, 2023: 75.0, 2024: 55.0, 2025: 69.0}  # no Dy, Tb
    assert q.ndpr_price(prices, "reuters_ndpr_benchmark_2026_02_18")["price_usd_per_kg"] == 123.0
    with pytest.raises(q.LookupFailed, match="prices.csv: no row with price_id='usgs_dysprosium_oxide_2024'"):
        q.ndpr_price(prices, "usgs_dysprosium_oxide_2024")  # a price, but not an NdPr one


def test_the_deal_and_the_prices_around_it_by_hand(prices, sources):
    assert q.floor_row(prices)["price_low_usd_per_kg"] == 110.0
    assert q.deal_date(prices) == pd.Timestamp("2025-07-10")
    assert q.deal_day_benchmark(prices)["price_id"] == "reuters_ndpr_benchmark_2025_07_09"  # not the 2026-02-18 quote
    around = q.prices_around_deal(prices, sources)
    assert list(around["label"]) == ["USGS average 2024", "benchmark 2025-07-09", "USGS average 2025e"]
    assert list(around["price_usd_per_kg"]) == [55.0, 63.0, 69.0]  # not the 2023 average (75)
    assert list(around["price_id"]) == ["usgs_ndpr_oxide_2024", "reuters_ndpr_benchmark_2025_07_09",
                                        "usgs_ndpr_oxide_2025"]


def test_the_newest_usgs_edition_gives_the_annual_average(prices, sources):
    older = prices[prices["price_id"] == "usgs_ndpr_oxide_2024"].assign(
        price_id="usgs_ndpr_oxide_2024_mcs2025", source_id="usgs_mcs_2025_ree", price_low_usd_per_kg=58.0,
        price_high_usd_per_kg=58.0)
    both = pd.concat([prices, older], ignore_index=True)
    assert q.usgs_ndpr_average(both, sources, 2024)["price_usd_per_kg"] == 55.0  # MCS 2026 over MCS 2025
    with pytest.raises(q.LookupFailed, match="prices.csv: no row with a USGS annual average NdPr oxide price for 2019"):
        q.usgs_ndpr_average(prices, sources, 2019)


def test_floor_and_benchmark_lookups_fail_loudly(prices):
    no_floor = prices[prices["kind"] != "floor"]
    with pytest.raises(DataError, match="prices.csv: 0 NdPr floor rows: the book needs exactly one"):
        q.floor_row(no_floor)
    no_bench = prices[prices["kind"] != "benchmark"]
    with pytest.raises(q.LookupFailed, match="with an NdPr benchmark on or before the deal date 2025-07-10"):
        q.deal_day_benchmark(no_bench)


def test_company_output_by_id():
    output = load_table("company_output")
    assert q.company_output(output, "mp_2024_ndpr_oxide") == 1294.0
    with pytest.raises(q.LookupFailed, match="company_output.csv: no row with output_id='mp_2099'"):
        q.company_output(output, "mp_2099")
