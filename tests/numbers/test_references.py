"""Figures quoted in text fields (rare_earths.numbers.references, rare_earths.data.references):
filled in from the rows and key numbers they name, so they follow the data."""

from __future__ import annotations

import re

import pytest

from rare_earths.data.load import load_table
from rare_earths.data.references import REFERENCE, REFERENCE_COLUMNS
from rare_earths.numbers import UnknownNumberError
from rare_earths.numbers.references import expand_references
from rare_earths.numbers.registry import get_number


def test_number_references_display_as_the_registry_does():
    gap = get_number("gap.reported_gap_pct", {})
    lynas = get_number("gap.lynas_fy2024_usd_per_kg", {})
    assert gap.is_ranged and lynas.bound == "<="
    assert expand_references("{number:gap.reported_gap_pct}") == gap.display()
    assert gap.display_range() != ""
    assert expand_references("{number:gap.reported_gap_pct.range}") == gap.display_range()
    # A number without a range shows its value; .plain drops the bound sign for text that words it.
    assert expand_references("{number:gap.lynas_fy2024_usd_per_kg.range}") == lynas.display()
    assert expand_references("at most {number:gap.lynas_fy2024_usd_per_kg.plain}") == f"at most {lynas.display_plain()}"
    assert not lynas.display_plain().startswith("<")


def test_an_unknown_number_fails_loudly():
    with pytest.raises(UnknownNumberError):
        expand_references("{number:gap.no_such_number}")
    with pytest.raises(UnknownNumberError):
        expand_references("{number:gap.no_such_number.range}")


@pytest.mark.parametrize("table", sorted(REFERENCE_COLUMNS))
def test_every_reference_in_the_shipped_text_fields_resolves(table):
    frame = load_table(table)
    seen = 0
    for column in REFERENCE_COLUMNS[table]:
        for text in frame[column].dropna():
            if REFERENCE.search(text):
                seen += 1
                shown = expand_references(text)
                assert not REFERENCE.search(shown) and "{" not in shown, shown
    assert seen >= 3  # C11's, C24's and the notes' references


@pytest.mark.parametrize("claim_id, number_id", [
    ("C11", "costs.floor_multiple_of_deal_day_price"),  # its text: floor / deal-day benchmark = {number:...}x
    ("C24", "gap.reported_gap_pct"),  # its text: central {number:gap.reported_gap_pct} %
])
def test_an_authority_value_the_book_computed_is_the_registrys(claim_id, number_id):
    """Where the value a claim is checked against is the book's own computation, the claims table
    holds that number as printed (a copy a data edit would leave behind fails here)."""
    claim = load_table("claims").set_index("claim_id").loc[claim_id]
    assert f"{{number:{number_id}}}" in claim["authority_text"]
    n = get_number(number_id, {})
    assert claim["authority_value"] == pytest.approx(round(n.value, max(n.decimals, 0)))
