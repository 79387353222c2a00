"""Unit conversions (rare_earths.analysis.units)."""

from __future__ import annotations

from rare_earths.analysis import units


def test_conversions_by_hand():
    assert units.t_to_mt(830_000) == 0.83
    assert units.to_tonnes(15.2, "Mt REO") == 15_200_000.0
    assert units.to_tonnes(830_000, "t REO") == 830_000.0
    assert units.difference(11e6, 21e6) == -10e6
