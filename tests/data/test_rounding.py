"""How USGS rounds its published totals (rare_earths.data.rounding)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rare_earths.data.rounding import rounding_tolerance


@pytest.mark.parametrize("total, tolerance", [
    (390_000, 5_000),  # rounded to the nearest 10,000
    (380_000, 5_000),
    (376_000, 500),  # to the nearest 1,000
    (75_000_000, 500_000),  # "more than 75,000,000"
    (1_294, 0.5),
    (0, 0.0),
])
def test_tolerance_is_half_the_last_significant_place(total, tolerance):
    assert rounding_tolerance(total) == tolerance


@given(st.integers(1, 10**12))
def test_the_rounded_total_is_a_multiple_of_twice_its_tolerance(total):
    tol = rounding_tolerance(total)
    assert total % (2 * tol) == 0 and total % (20 * tol) != 0
