"""The cost gap and the price floor: what a 30–40 % US cost disadvantage and a USD 110/kg NdPr
floor mean in dollars.

Units: prices and unit costs in USD per kg of NdPr oxide; volumes in tonnes a year (t/yr);
annual sums in millions of USD a year (USD m/yr), using ``1 t = 1,000 kg``:
``USD/kg * t/yr * 1,000 kg/t / 1,000,000 = USD m/yr``, i.e. ``USD/kg * t/yr / 1,000``.

Cost gap (``gap`` a fraction: 0.35 = US costs 35 % more than China's):

* US unit cost ``= china_cost * (1 + gap)``;
* extra cost per kg ``= china_cost * gap``;
* extra cost per year ``= china_cost * gap * volume_t / 1,000`` (USD m/yr); the subsidy that
  closes the gap at that volume is the same amount: paying it makes the US producer's net unit
  cost equal China's.

Price floor (the DoD–MP Materials agreement of 2025-07-10):

* multiple of market ``= floor / market``;
* top-up per kg ``= max(floor - market, 0)``; per year ``= max(floor - market, 0) * volume_t / 1,000``;
* above the floor the DoD takes ``upside_share`` of the excess: net DoD payment per year
  ``= (max(floor - market, 0) - upside_share * max(market - floor, 0)) * volume_t / 1,000``
  (negative = the DoD receives money);
* the top-up is zero at any market price at or above the floor: the break-even market price
  is the floor itself.

Every function accepts NumPy arrays as well as numbers (for :mod:`rare_earths.analysis.scenarios`) and
rejects negative or non-finite money, fractions outside [0, 5] and ``low > high``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import (
    ParameterError,
    check_fraction,
    check_money,
    check_quantity,
    check_range,
)

KG_PER_T = 1000.0
USD_PER_USD_M = 1_000_000.0


def fraction_to_pct(fraction):
    """A fraction as percent (``0.3 -> 30``)."""
    return _out(np.asarray(check_fraction("fraction", fraction)) * 100.0)


def _out(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _per_year_usd_m(usd_per_kg, volume_t):
    """``USD/kg * t/yr -> USD m/yr``."""
    return np.asarray(usd_per_kg) * np.asarray(volume_t) * KG_PER_T / USD_PER_USD_M


# ---------------------------------------------------------------------------------------------
# Cost gap
# ---------------------------------------------------------------------------------------------


def us_unit_cost(china_cost_usd_per_kg, gap):
    """US unit cost (USD/kg) ``= china_cost * (1 + gap)``."""
    c = check_money("china_cost_usd_per_kg", china_cost_usd_per_kg)
    g = check_fraction("cost_gap", gap)
    return _out(np.asarray(c) * (1.0 + np.asarray(g)))


def extra_cost_per_kg(china_cost_usd_per_kg, gap):
    """Extra US cost (USD/kg) ``= china_cost * gap``."""
    c = check_money("china_cost_usd_per_kg", china_cost_usd_per_kg)
    g = check_fraction("cost_gap", gap)
    return _out(np.asarray(c) * np.asarray(g))


def extra_cost_per_year_usd_m(china_cost_usd_per_kg, gap, volume_t):
    """Extra US cost a year (USD m/yr) ``= china_cost * gap * volume_t / 1,000``."""
    per_kg = extra_cost_per_kg(china_cost_usd_per_kg, gap)
    v = check_quantity("volume_t", volume_t)
    return _out(_per_year_usd_m(per_kg, v))


def subsidy_to_close_gap_usd_m(china_cost_usd_per_kg, gap, volume_t):
    """Annual subsidy (USD m/yr) that brings the US unit cost down to China's at ``volume_t``.

    Equal to the extra cost a year: ``china_cost * gap * volume_t / 1,000``. Never decreases
    when the gap, the China cost or the volume grows.
    """
    return extra_cost_per_year_usd_m(china_cost_usd_per_kg, gap, volume_t)


@dataclass(frozen=True)
class CostGap:
    """The cost-gap arithmetic over a gap range; ``central`` is the mid-point of the gap range."""

    china_cost_usd_per_kg: float
    gap: Ranged  # fraction
    us_cost_usd_per_kg: Ranged
    extra_usd_per_kg: Ranged
    volume_t: float
    extra_usd_m_per_year: Ranged
    subsidy_usd_m_per_year: Ranged


def cost_gap(china_cost_usd_per_kg: float, gap_low: float, gap_high: float, volume_t: float) -> CostGap:
    """The US unit cost, the extra cost per kg and per year and the closing subsidy, as ranges.

    Low/high use ``gap_low``/``gap_high``; central uses ``(gap_low + gap_high) / 2``. All three
    are linear and increasing in the gap, so low <= central <= high.
    """
    c = check_money("china_cost_usd_per_kg", china_cost_usd_per_kg)
    lo = check_fraction("cost_gap_low", gap_low)
    hi = check_fraction("cost_gap_high", gap_high)
    check_range("cost_gap_low", lo, "cost_gap_high", hi)
    v = check_quantity("volume_t", volume_t)
    mid = (lo + hi) / 2.0
    gaps = (lo, mid, hi)

    def ranged(fn, unit, *args):
        return Ranged(*(fn(*args[:1], g, *args[1:]) for g in gaps), unit)

    return CostGap(
        china_cost_usd_per_kg=c,
        gap=Ranged(lo, mid, hi, "fraction"),
        us_cost_usd_per_kg=ranged(us_unit_cost, "USD/kg", c),
        extra_usd_per_kg=ranged(extra_cost_per_kg, "USD/kg", c),
        volume_t=v,
        extra_usd_m_per_year=ranged(extra_cost_per_year_usd_m, "USD m/yr", c, v),
        subsidy_usd_m_per_year=ranged(subsidy_to_close_gap_usd_m, "USD m/yr", c, v),
    )


def gap_implied_by_prices(us_cost_usd_per_kg, china_cost_usd_per_kg):
    """The gap (fraction) two unit costs imply: ``us_cost / china_cost - 1`` (China cost > 0)."""
    us = check_money("us_cost_usd_per_kg", us_cost_usd_per_kg)
    cn = check_money("china_cost_usd_per_kg", china_cost_usd_per_kg, positive=True)
    return _out(np.asarray(us) / np.asarray(cn) - 1.0)


# ---------------------------------------------------------------------------------------------
# Price floor
# ---------------------------------------------------------------------------------------------


def floor_multiple(floor_usd_per_kg, market_usd_per_kg):
    """How many times the market price the floor is: ``floor / market`` (market > 0)."""
    f = check_money("floor_price_usd_per_kg", floor_usd_per_kg)
    m = check_money("market_price_usd_per_kg", market_usd_per_kg, positive=True)
    return _out(np.asarray(f) / np.asarray(m))


def market_price_at_multiple(floor_usd_per_kg, multiple):
    """The market price at which the floor is ``multiple`` times the market: ``floor / multiple``."""
    f = check_money("floor_price_usd_per_kg", floor_usd_per_kg)
    k = check_money("multiple", multiple, positive=True)
    return _out(np.asarray(f) / np.asarray(k))


def floor_topup_per_kg(floor_usd_per_kg, market_usd_per_kg):
    """Top-up the DoD pays per kg (USD/kg): ``max(floor - market, 0)``."""
    f = check_money("floor_price_usd_per_kg", floor_usd_per_kg)
    m = check_money("market_price_usd_per_kg", market_usd_per_kg)
    return _out(np.maximum(np.asarray(f) - np.asarray(m), 0.0))


def floor_topup_usd_m_per_year(floor_usd_per_kg, market_usd_per_kg, volume_t):
    """Top-up per year (USD m/yr): ``max(floor - market, 0) * volume_t / 1,000``."""
    per_kg = floor_topup_per_kg(floor_usd_per_kg, market_usd_per_kg)
    v = check_quantity("volume_t", volume_t)
    return _out(_per_year_usd_m(per_kg, v))


def floor_net_payment_usd_m_per_year(floor_usd_per_kg, market_usd_per_kg, volume_t, upside_share=0.30):
    """Net DoD payment per year (USD m/yr), negative when the DoD receives its upside share.

    ``(max(floor - market, 0) - upside_share * max(market - floor, 0)) * volume_t / 1,000``.
    """
    f = np.asarray(check_money("floor_price_usd_per_kg", floor_usd_per_kg))
    m = np.asarray(check_money("market_price_usd_per_kg", market_usd_per_kg))
    v = check_quantity("volume_t", volume_t)
    s = np.asarray(check_fraction("dod_upside_share", upside_share, 0.0, 1.0))
    per_kg = np.maximum(f - m, 0.0) - s * np.maximum(m - f, 0.0)
    return _out(_per_year_usd_m(per_kg, v))


def topup_zero_market_price(floor_usd_per_kg):
    """The market price (USD/kg) at and above which the top-up is zero: the floor itself."""
    return check_money("floor_price_usd_per_kg", floor_usd_per_kg)


def floor_minus_us_cost(floor_usd_per_kg, china_cost_usd_per_kg, gap):
    """Floor minus the US unit cost (USD/kg): positive = the floor covers the gap with room left."""
    f = check_money("floor_price_usd_per_kg", floor_usd_per_kg)
    return _out(np.asarray(f) - np.asarray(us_unit_cost(china_cost_usd_per_kg, gap)))


def reference_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """The NdPr oxide market prices the floor can be compared with: USGS annual averages and
    dated benchmarks (not the floor itself), selected by the book's one NdPr rule
    (:func:`rare_earths.data.queries.ndpr_prices`). Columns: price_id, label, kind, year, date,
    estimated, price_usd_per_kg (mid-point of low/high), bound, source_id."""
    from rare_earths.data.queries import ndpr_prices

    rows = ndpr_prices(prices, ("annual_average", "benchmark"))
    if rows.empty:
        raise ParameterError("prices: no NdPr oxide annual averages or benchmarks in prices.csv")
    est = np.where(rows["estimated"].fillna(False), "e", "")

    def label(row, e):
        if row["kind"] == "annual_average":
            return f"USGS average {int(row['year'])}{e}"
        return f"benchmark {row['date']:%Y-%m-%d}"

    rows["label"] = [label(r, e) for (_, r), e in zip(rows.iterrows(), est)]
    cols = ["price_id", "label", "kind", "year", "date", "estimated", "price_usd_per_kg", "bound", "source_id"]
    return rows[cols].sort_values(["kind", "year", "date"]).reset_index(drop=True)


def floor_against_prices(prices: pd.DataFrame, floor_usd_per_kg: float, volume_t: float,
                         upside_share: float = 0.30) -> pd.DataFrame:
    """The floor against every NdPr reference price: multiple, top-up per kg and per year.

    Columns added to :func:`reference_prices`: multiple (``floor / price``), topup_usd_per_kg,
    topup_usd_m_per_year (at ``volume_t``), net_usd_m_per_year (after the DoD's upside share).
    """
    ref = reference_prices(prices)
    p = ref["price_usd_per_kg"].to_numpy(dtype=float)
    ref["multiple"] = floor_multiple(floor_usd_per_kg, p)
    ref["topup_usd_per_kg"] = floor_topup_per_kg(floor_usd_per_kg, p)
    ref["topup_usd_m_per_year"] = floor_topup_usd_m_per_year(floor_usd_per_kg, p, volume_t)
    ref["net_usd_m_per_year"] = floor_net_payment_usd_m_per_year(floor_usd_per_kg, p, volume_t, upside_share)
    return ref


def min_volume_for_payback_t(capex_usd_m, payback_years, price_usd_per_kg):
    """The least annual NdPr oxide sales (t/yr) that repay ``capex`` in ``payback_years`` at ``price``.

    ``capex_usd_m * 1,000,000 / payback_years / (price * 1,000)``: it assumes every dollar of
    revenue is margin (zero operating cost, no tax, no discounting), so any real volume needed is
    larger: a lower bound.
    """
    from rare_earths.params.checks import check_years

    capex = check_money("capex_usd_m", capex_usd_m)
    years = check_years("payback_years", payback_years)
    price = check_money("price_usd_per_kg", price_usd_per_kg, positive=True)
    return _out(np.asarray(capex) * USD_PER_USD_M / np.asarray(years) / (np.asarray(price) * KG_PER_T))


def floor_multiple_over(floor_usd_per_kg, market_usd_per_kg, comparison_prices) -> Ranged:
    """The floor as a multiple of the chosen market price, ranged over other comparison prices.

    Central: ``floor / market``; low and high: the smallest and largest of ``floor / p`` over
    ``comparison_prices`` and the market price itself.
    """
    prices = [float(p) for p in comparison_prices]
    return Ranged.of([floor_multiple(floor_usd_per_kg, p) for p in prices], floor_multiple(floor_usd_per_kg, market_usd_per_kg), "x")


def floor_topup_over(floor_usd_per_kg, market_usd_per_kg, volume_t, comparison_prices) -> Ranged:
    """The DoD top-up a year at the chosen market price, ranged over other comparison prices (USD m/yr)."""
    prices = [float(p) for p in comparison_prices]
    return Ranged.of([floor_topup_usd_m_per_year(floor_usd_per_kg, p, volume_t) for p in prices],
                     floor_topup_usd_m_per_year(floor_usd_per_kg, market_usd_per_kg, volume_t), "USD m/yr")


def dod_upside_usd_m_per_year(floor_usd_per_kg, market_usd_per_kg, volume_t, upside_share):
    """What the DoD receives a year from its upside share when the market is above the floor (USD m/yr)."""
    return -floor_net_payment_usd_m_per_year(floor_usd_per_kg, market_usd_per_kg, volume_t, upside_share)


def payback_volume_range(capex_usd_m_values, payback_years, price_usd_per_kg, central_capex_usd_m) -> Ranged:
    """:func:`min_volume_for_payback_t` at ``central_capex_usd_m``, ranged over the other capex figures (t/yr)."""
    vols = [min_volume_for_payback_t(c, payback_years, price_usd_per_kg) for c in capex_usd_m_values]
    return Ranged.of(vols, min_volume_for_payback_t(central_capex_usd_m, payback_years, price_usd_per_kg), "t/yr")
