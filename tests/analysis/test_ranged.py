"""Ranged: a value with its low and high ends."""

from __future__ import annotations

import pytest

from rare_earths.analysis.ranged import Ranged
from rare_earths.params import ParameterError


def test_ranged_point_and_span():
    r = Ranged(1, 2, 3, "x")
    assert not r.is_point and r.as_dict() == {"low": 1, "central": 2, "high": 3, "unit": "x", "bound": "="}
    assert Ranged.point(4).is_point
    assert Ranged.of([5, 1], 3) == Ranged(1, 3, 5)


def test_ranged_rejects_disorder_and_nan_naming_the_part():
    with pytest.raises(ParameterError, match="low <= central <= high"):
        Ranged(3, 2, 1)
    with pytest.raises(ParameterError, match="central=nan"):
        Ranged(0, float("nan"), 1)
