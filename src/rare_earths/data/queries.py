"""Typed look-ups every layer shares, each rule written once.

* :func:`row` / :func:`rows`: rows by id or by column values; a missing row raises
  :class:`LookupFailed` naming the table and what was asked (never a silent skip).
* NdPr prices: one rule says which ``prices`` rows are NdPr oxide prices
  (:func:`is_ndpr`); :func:`ndpr_prices`, :func:`usgs_ndpr_average`, :func:`floor_row`,
  :func:`deal_date`, :func:`deal_day_benchmark` and :func:`prices_around_deal` build on it.
* :func:`company_output`: a producer's reported output.

*Prices around the deal* (the low/high of every floor comparison, in the registry, the figures
and the scenario models alike) are the USGS annual average NdPr oxide price of the year before
the deal, the benchmark quote on (or just before) deal day and the USGS average of the deal
year: the prices a reader of the 2025-07-10 announcement could compare the floor with. Older
averages (2023: 75 USD/kg) describe another market and are left out.

Every function takes the tables it reads (DataFrames as :func:`rare_earths.data.load.load_table`
returns them), so a caller that already holds them reads nothing twice.
"""

from __future__ import annotations

import pandas as pd

from rare_earths.data.load import DataError, Problem


class LookupFailed(DataError):
    """A row the book relies on is not in its table (one problem, naming table and key)."""

    def __init__(self, table: str, what: str):
        super().__init__([Problem(f"{table}.csv", None, None, f"no row {what}: the book relies on it")])


def rows(frame: pd.DataFrame, table: str, **where) -> pd.DataFrame:
    """The rows of ``frame`` (table ``table``) whose columns equal ``where``; at least one, or raise."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    found = frame[mask]
    if found.empty:
        raise LookupFailed(table, "with " + ", ".join(f"{k}={v!r}" for k, v in where.items()))
    return found


def row(frame: pd.DataFrame, table: str, **where) -> pd.Series:
    """Exactly one row of ``frame`` matching ``where``, or raise naming the table and the key."""
    found = rows(frame, table, **where)
    if len(found) != 1:
        raise DataError([Problem(f"{table}.csv", None, None, f"{len(found)} rows with "
                                 + ", ".join(f"{k}={v!r}" for k, v in where.items()) + ": expected one")])
    return found.iloc[0]


# ---------------------------------------------------------------------------------------------
# NdPr prices
# ---------------------------------------------------------------------------------------------


def is_ndpr(commodity: pd.Series) -> pd.Series:
    """The one rule for an NdPr oxide price: the commodity names NdPr ("NdPr oxide", "NdPr products")."""
    return commodity.str.lower().str.replace(" ", "", regex=False).str.contains("ndpr", na=False)


def ndpr_prices(prices: pd.DataFrame, kinds: tuple[str, ...]) -> pd.DataFrame:
    """NdPr rows of ``prices`` of these kinds, with ``price_usd_per_kg`` (mid-point of low and high)."""
    found = prices[is_ndpr(prices["commodity"]) & prices["kind"].isin(kinds)].copy()
    found["price_usd_per_kg"] = (found["price_low_usd_per_kg"] + found["price_high_usd_per_kg"]) / 2.0
    return found


def usgs_ndpr_average(prices: pd.DataFrame, sources: pd.DataFrame, year: int) -> pd.Series:
    """The USGS annual average NdPr oxide price row for ``year`` (newest USGS edition wins)."""
    usgs = set(sources.loc[sources["producer_short"] == "USGS", "source_id"])
    found = ndpr_prices(prices, ("annual_average",))
    found = found[(found["year"] == year) & found["source_id"].isin(usgs)]
    if found.empty:
        raise LookupFailed("prices", f"with a USGS annual average NdPr oxide price for {year}")
    published = found["source_id"].map(sources.set_index("source_id")["date_published"])
    return found.assign(published=published).sort_values("published").iloc[-1]


def floor_row(prices: pd.DataFrame) -> pd.Series:
    """The DoD–MP Materials NdPr price floor (the only NdPr row of kind ``floor``)."""
    found = ndpr_prices(prices, ("floor",))
    if len(found) != 1:
        raise DataError([Problem("prices.csv", None, None,
                                 f"{len(found)} NdPr floor rows: the book needs exactly one")])
    return found.iloc[0]


def deal_date(prices: pd.DataFrame) -> pd.Timestamp:
    """The date of the floor agreement (the floor row's date)."""
    return pd.Timestamp(floor_row(prices)["date"])


def deal_day_benchmark(prices: pd.DataFrame) -> pd.Series:
    """The NdPr benchmark quote closest to (on or before) the deal date."""
    bench = ndpr_prices(prices, ("benchmark",))
    bench = bench[bench["date"] <= deal_date(prices)]
    if bench.empty:
        raise LookupFailed("prices", f"with an NdPr benchmark on or before the deal date {deal_date(prices):%Y-%m-%d}")
    return bench.sort_values("date").iloc[-1]


def prices_around_deal(prices: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """The three NdPr prices around the deal (see the module docstring), in time order.

    Columns: ``label``, ``price_usd_per_kg``, ``source_id``, ``price_id``.
    """
    year = deal_date(prices).year
    before, bench, same = usgs_ndpr_average(prices, sources, year - 1), deal_day_benchmark(prices), \
        usgs_ndpr_average(prices, sources, year)
    est = lambda r: "e" if bool(r["estimated"]) else ""  # noqa: E731
    return pd.DataFrame([
        {"label": f"USGS average {year - 1}{est(before)}", "price_usd_per_kg": float(before["price_usd_per_kg"]),
         "source_id": before["source_id"], "price_id": before["price_id"]},
        {"label": f"benchmark {bench['date']:%Y-%m-%d}", "price_usd_per_kg": float(bench["price_usd_per_kg"]),
         "source_id": bench["source_id"], "price_id": bench["price_id"]},
        {"label": f"USGS average {year}{est(same)}", "price_usd_per_kg": float(same["price_usd_per_kg"]),
         "source_id": same["source_id"], "price_id": same["price_id"]},
    ])


def company_output(output: pd.DataFrame, output_id: str) -> float:
    """A producer's reported output (t) from the ``company_output`` table."""
    return float(row(output, "company_output", output_id=output_id)["output_t"])


def ndpr_price(prices: pd.DataFrame, price_id: str) -> pd.Series:
    """One NdPr price row by id, with ``price_usd_per_kg`` (the mid-point of low and high)."""
    found = ndpr_prices(prices, ("annual_average", "benchmark", "floor"))
    return row(found, "prices", price_id=price_id)
