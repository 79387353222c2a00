"""How a chapter takes its parameters (rare_earths.book.setup)."""

from __future__ import annotations

import datetime as dt

import pytest

from rare_earths.book import chapter_setup, check_chapter_overrides
from rare_earths.params import ParameterError


def test_chapter_setup_resolves_none_to_the_default_and_normalises_values():
    namespace = {"cost_gap_low": 0.30, "cost_gap_high": 0.5, "china_cost_usd_per_kg": None,
                 "floor_price_usd_per_kg": None, "market_price_usd_per_kg": None, "volume_t": None,
                 "dod_upside_share": 0.30, "unrelated": "ignored"}
    P = chapter_setup("cost-gap", namespace)
    assert P == {"cost_gap_low": 0.30, "cost_gap_high": 0.5, "china_cost_usd_per_kg": 55.0,
                 "floor_price_usd_per_kg": 110.0, "market_price_usd_per_kg": 55.0, "volume_t": 1294.0,
                 "dod_upside_share": 0.30}
    assert chapter_setup("pipeline", {"as_of": "2026-01-15", "due_window_days": 90})["as_of"] == dt.date(2026, 1, 15)
    assert chapter_setup("shares", {}) == {}


@pytest.mark.parametrize("namespace, message", [
    ({"cost_gap_high": 7}, "cost_gap_high=7: must be a fraction between 0 and 5"),
    ({"cost_gap_low": 0.6}, "cost_gap_low=0.6, cost_gap_high=0.4: cost_gap_low must not exceed cost_gap_high"),
    ({"volume_t": "lots"}, "volume_t=lots: not a number"),
])
def test_chapter_setup_rejects_a_bad_value_in_one_line(namespace, message):
    with pytest.raises(ParameterError) as err:
        chapter_setup("cost-gap", namespace)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_overrides_must_be_parameters_of_the_chapter():
    check_chapter_overrides("cost-gap", {"cost_gap_high": 0.5})
    with pytest.raises(ParameterError, match=r"as_of: not a parameter of chapter 'cost-gap' \(it takes: cost_gap_low"):
        check_chapter_overrides("cost-gap", {"as_of": "2026-01-01"})
    with pytest.raises(ParameterError, match="it takes: none"):
        check_chapter_overrides("shares", {"cost_gap_high": 0.5})
    with pytest.raises(ParameterError, match="did you mean cost_gap_high"):
        check_chapter_overrides("cost-gap", {"cost_gap_hgih": 0.5})
