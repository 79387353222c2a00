"""Arithmetic every evidence computation shares: currency conversion, mid-points, decimal years, ranges.

* :func:`to_usd`: a value in its original currency to USD with the rate recorded in its row
  (``usd_per_unit``: ``value * rate``; ``units_per_usd``: ``value / rate``); NaN where a non-USD
  value has no rate (the callers report such rows as "no exchange rate in the evidence");
* :func:`midpoint`: ``(low + high) / 2``, or ``low`` where the high end is open;
* :func:`decimal_year`: a date as a year with a fraction (2024-07-02 is about 2024.5);
  :func:`window_mid`: the middle of a ``date_low``–``date_high`` window in decimal years;
* :func:`spread`: a :class:`~rare_earths.analysis.ranged.Ranged` over several estimates
  (low: the lowest low, high: the highest high, central: the median of the mid-points).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError

KG_PER_T = 1000.0
DAYS_PER_YEAR = 365.25


def to_usd(value, currency, fx_rate, fx_convention):
    """``value`` in USD: unchanged for USD, ``* rate`` (USD per unit) or ``/ rate`` (units per USD); NaN without a rate.

    Works element-wise on Series/arrays (``currency`` and ``fx_convention`` as text arrays).
    """
    value = np.asarray(value, dtype=float)
    currency = _text(currency)
    rate = np.asarray(pd.Series(np.atleast_1d(fx_rate), dtype="Float64").astype(float), dtype=float).reshape(value.shape)
    convention = _text(fx_convention)
    if np.any(np.isfinite(rate) & (rate <= 0)):
        raise ParameterError("fx_rate: an exchange rate must be above 0")
    usd = np.where(currency == "USD", value, np.nan)
    usd = np.where(convention == "usd_per_unit", value * rate, usd)
    usd = np.where(convention == "units_per_usd", value / np.where(rate > 0, rate, np.nan), usd)
    return usd


def _text(values) -> np.ndarray:
    """Text values as a plain ``str`` array, missing values as ``""`` (pandas ``string`` columns hold NA)."""
    return pd.Series(np.atleast_1d(np.asarray(values, dtype=object))).astype("string").fillna("").to_numpy(dtype=str)


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of a small evidence table as dicts, pandas' missing text and flags (``NA``) as None
    (missing numbers stay NaN, missing dates NaT). The per-project loops read rows this way: a filter
    of a wide table costs a fraction of a millisecond, a look-up in a dict next to nothing."""
    names = list(frame.columns)
    columns = [[None if v is pd.NA else v for v in frame[name].tolist()] for name in names]  # column-wise: fast
    return [dict(zip(names, values)) for values in zip(*columns)]


def by_key(rows: Iterable[dict], key: str) -> dict:
    """``rows`` grouped by ``row[key]``, groups and rows in their first order; rows without a key are left
    out (as ``groupby(key, sort=False)``)."""
    groups: dict = {}
    for row in rows:
        if row[key] is not None:
            groups.setdefault(row[key], []).append(row)
    return groups


def sorted_by(rows: Iterable[dict], key: str) -> list[dict]:
    """``rows`` in order of ``row[key]``, missing values last, ties in their given order (as pandas'
    ``sort_values`` orders the few rows of one project)."""
    rows = list(rows)
    present = [r for r in rows if not pd.isna(r[key])]
    return sorted(present, key=lambda r: r[key]) + [r for r in rows if pd.isna(r[key])]


def midpoint(low, high):
    """``(low + high) / 2`` element-wise; ``low`` where ``high`` is missing (an open bound)."""
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    return np.where(np.isfinite(high), (low + high) / 2.0, low)


def decimal_year(day) -> float:
    """A date as a decimal year: ``year + (day of year - 1) / days in year``."""
    day = pd.Timestamp(day)
    start = pd.Timestamp(year=day.year, month=1, day=1)
    length = (pd.Timestamp(year=day.year + 1, month=1, day=1) - start).days
    return day.year + (day - start).days / length


def window_mid(low, high) -> float:
    """The middle of a date window, as a decimal year."""
    lo, hi = pd.Timestamp(low), pd.Timestamp(high)
    return decimal_year(lo + (hi - lo) / 2)


def spread(lows: Iterable[float], highs: Iterable[float], unit: str = "", bound: str = "=") -> Ranged:
    """The range of several estimates: lowest low, highest high, median of the mid-points."""
    lows = np.asarray(list(lows), dtype=float)
    highs = np.asarray(list(highs), dtype=float)
    if lows.size == 0:
        raise ParameterError("spread: no estimates to span")
    highs = np.where(np.isfinite(highs), highs, lows)
    mids = (lows + highs) / 2.0
    return Ranged(float(lows.min()), float(np.median(mids)), float(highs.max()), unit, bound)


def ratio_range(num: Ranged, den: Ranged, unit: str = "x") -> Ranged:
    """``num / den`` as a range: low ``num.low / den.high``, central ``num.central / den.central``, high ``num.high / den.low``."""
    if den.low <= 0:
        raise ParameterError(f"ratio_range: the denominator's low end must be above 0 (got {den.low:g})")
    return Ranged(num.low / den.high, num.central / den.central, num.high / den.low, unit)
