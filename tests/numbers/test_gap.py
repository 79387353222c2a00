"""The gap domain of the registry: listed by `rare-earths numbers`, with sources and formulas."""

from __future__ import annotations

import pytest

from evidence_support import assert_well_formed, listed
from rare_earths.numbers import get_number


def test_gap_numbers_are_listed_and_well_formed():
    assert_well_formed("gap", {
        "gap.west_reported_usd_per_kg", "gap.west_projected_usd_per_kg", "gap.china_implied_usd_per_kg",
        "gap.reported_gap_pct", "gap.projected_gap_pct", "gap.seed_position_pct", "gap.capex_separation_ratio",
        "gap.capex_magnet_ratio", "gap.capex_mining_ratio", "gap.capex_metal_ratio"})


def test_gap_numbers_carry_the_claim_and_their_range():
    n = listed()["gap.reported_gap_pct"]
    assert n["claims"] == ["C24"] and n["low"] < 30 < n["high"]
    assert "west.low" not in n["formula"] and "/" in n["formula"]  # figures filled in


def test_no_chinese_mining_or_metal_capex_is_said():
    for stage in ("mining", "metal"):
        n = get_number(f"gap.capex_{stage}_ratio")
        assert n.value is None and "no Chinese" in n.status


def test_gap_ends_match_the_range():
    g = get_number("gap.reported_gap_pct")
    assert get_number("gap.reported_gap_low_pct").value == pytest.approx(g.low)
    assert get_number("gap.reported_gap_high_pct").value == pytest.approx(g.high)
