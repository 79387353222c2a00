"""The checks every computation uses on its inputs (rare_earths.params.checks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import rare_earths.params as P
from rare_earths.params import ParameterError


def test_check_helpers_accept_good_values_and_arrays():
    assert P.check_money("x", 3) == 3.0 and isinstance(P.check_money("x", 3), float)
    arr = P.check_fraction("gap", np.array([0.0, 0.3, 5.0]))
    assert isinstance(arr, np.ndarray) and arr.tolist() == [0.0, 0.3, 5.0]
    assert P.check_years("y", 0.5) == 0.5
    assert P.check_date("d", dt.datetime(2026, 1, 2, 3)) == dt.date(2026, 1, 2)
    assert P.check_date("d", np.datetime64("2026-01-02")) == dt.date(2026, 1, 2)
    assert P.check_choice("scope", "firm", P.COMMITTED_SCOPES) == "firm"
    assert P.check_int("n", 3.0, 0, 3) == 3
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
    (lambda: P.check_choice("scope", "most", P.COMMITTED_SCOPES), "scope=most: must be one of firm"),
])
def test_check_helpers_reject_with_named_messages(call, expected):
    with pytest.raises(ParameterError) as err:
        call()
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_plain_writes_dates_as_iso_text_and_keeps_the_rest():
    assert P.plain(dt.date(2026, 1, 2)) == "2026-01-02"
    assert P.plain(0.5) == 0.5 and P.plain("firm") == "firm"
