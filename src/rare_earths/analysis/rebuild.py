"""The rebuild: "15 years and over USD 200 billion" against the money announced so far.

Units: USD bn for the estimate and the totals, USD m in the ``commitments`` table (divided by
1,000), years for time, dates for announcements.

Formulas:

* annual need ``= rebuild_total_usd_bn / rebuild_years`` (USD bn/yr);
* committed ``= sum of the amounts announced on or before as_of, in the instrument groups the
  scope counts`` (USD bn); a later announcement by the same funder to the same recipient with
  the same instrument *replaces* the earlier one (DFC to Serra Verde: up to USD 465M in
  Nov 2025, raised to USD 565M on 2026-02-05: counted once); a commitment whose ``status`` is
  ``terminated`` (withdrawn or replaced before the money was used: the JPMorgan/Goldman Sachs
  USD 1.0B to MP Materials, eliminated in Aug 2025) is never counted, at any as_of: the table
  records no termination date, so it is judged as the data stand;
* coverage ``= committed / rebuild_total * 100`` (percent);
* observed pace ``= committed / years elapsed`` from the first counted announcement to as_of
  (USD bn/yr; years = days / 365.25);
* years to reach the estimate at that pace ``= (rebuild_total - committed) / pace`` (from
  as_of); the whole estimate at that pace takes ``rebuild_total / pace`` years.

Instrument groups (:data:`INSTRUMENT_GROUPS`): *firm* (equity, loans, grants, incentives),
*conditional* (conditional loans), *grant programmes* (planned funding opportunities, not yet
awarded), *private* (private financing and capex). Offtake agreements are purchases, not
investment, and are never counted. What "committed" means is the ``committed_scope``
parameter (:data:`SCOPES`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from rare_earths.params.declarations import COMMITTED_SCOPES
from rare_earths.params.checks import (
    ParameterError,
    check_choice,
    check_date,
    check_money,
    check_years,
)

INSTRUMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "firm": ("equity", "loan", "grant", "incentive"),
    "conditional": ("conditional_loan",),
    "grant_programmes": ("grant_programme",),
    "private": ("private_capex", "private_financing"),
    "not_counted": ("offtake",),
}

#: Which groups each ``committed_scope`` counts (each scope adds to the previous one).
SCOPES: dict[str, tuple[str, ...]] = {
    "firm": ("firm",),
    "firm_conditional": ("firm", "conditional"),
    "public": ("firm", "conditional", "grant_programmes"),
    "all": ("firm", "conditional", "grant_programmes", "private"),
}
assert tuple(SCOPES) == COMMITTED_SCOPES

DAYS_PER_YEAR = 365.25


def instrument_group(instrument: str) -> str:
    for group, instruments in INSTRUMENT_GROUPS.items():
        if instrument in instruments:
            return group
    raise ParameterError(f"instrument={instrument}: not in any instrument group")


def annual_need_usd_bn(rebuild_total_usd_bn, rebuild_years):
    """Annual investment need (USD bn/yr) ``= total / years``."""
    total = check_money("rebuild_total_usd_bn", rebuild_total_usd_bn, positive=True)
    years = check_years("rebuild_years", rebuild_years)
    out = np.asarray(total) / np.asarray(years)
    return float(out) if out.ndim == 0 else out


def coverage_pct(committed_usd_bn, rebuild_total_usd_bn):
    """Share of the estimate covered (percent) ``= committed / total * 100`` (may exceed 100)."""
    committed = check_money("committed_usd_bn", committed_usd_bn)
    total = check_money("rebuild_total_usd_bn", rebuild_total_usd_bn, positive=True)
    out = np.asarray(committed) / np.asarray(total) * 100.0
    return float(out) if out.ndim == 0 else out


def years_to_reach(committed_usd_bn, rebuild_total_usd_bn, pace_usd_bn_per_year):
    """Years from now to reach the total at a pace: ``max(total - committed, 0) / pace``."""
    committed = check_money("committed_usd_bn", committed_usd_bn)
    total = check_money("rebuild_total_usd_bn", rebuild_total_usd_bn, positive=True)
    pace = check_money("pace_usd_bn_per_year", pace_usd_bn_per_year, positive=True)
    out = np.maximum(np.asarray(total) - np.asarray(committed), 0.0) / np.asarray(pace)
    return float(out) if out.ndim == 0 else out


def _terminated(frame: pd.DataFrame) -> pd.Series:
    """True for rows whose status is ``terminated`` (a frame without a status column has none)."""
    if "status" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return (frame["status"] == "terminated").fillna(False).astype(bool)


def counted_commitments(commitments: pd.DataFrame, as_of, scope: str = "all") -> pd.DataFrame:
    """The commitments counted at ``as_of`` under ``scope``, superseded rows removed.

    Adds columns ``group`` (instrument group), ``amount_usd_bn``, ``counted`` (bool) and
    ``reason`` (why a row is not counted: after_as_of, terminated, superseded, out_of_scope,
    not_investment). A terminated row neither counts nor supersedes an earlier one.
    Returns every row, so a reader sees what was left out and why.
    """
    day = pd.Timestamp(check_date("as_of", as_of))
    check_choice("committed_scope", scope, COMMITTED_SCOPES)
    frame = commitments.copy()
    if frame["amount_usd_m"].isna().any():
        raise ParameterError("amount_usd_m=NA: every commitment needs an amount")
    frame["group"] = frame["instrument"].map(instrument_group).astype("string")
    frame["amount_usd_bn"] = frame["amount_usd_m"].astype(float) / 1000.0
    reason = pd.Series("", index=frame.index, dtype="object")
    reason[frame["announced_date"] > day] = "after_as_of"
    reason[(reason == "") & _terminated(frame)] = "terminated"
    known = frame[reason == ""].sort_values("announced_date")
    latest = known.groupby(["funder", "recipient", "instrument"], sort=False)["announced_date"].transform("max")
    superseded = known.index[known["announced_date"] < latest]
    reason[superseded] = "superseded"
    reason[(reason == "") & (frame["group"] == "not_counted")] = "not_investment"
    reason[(reason == "") & ~frame["group"].isin(SCOPES[scope])] = "out_of_scope"
    frame["reason"] = reason.astype("string")
    frame["counted"] = frame["reason"] == ""
    return frame.sort_values(["announced_date", "commitment_id"]).reset_index(drop=True)


def committed_usd_bn(commitments: pd.DataFrame, as_of, scope: str = "all") -> float:
    """Money counted as committed at ``as_of`` (USD bn)."""
    frame = counted_commitments(commitments, as_of, scope)
    return float(frame.loc[frame["counted"], "amount_usd_bn"].sum())


def company_of(recipient: str) -> str:
    """The company a recipient names: "MP Materials (10X magnet campus, ...)" -> "MP Materials"."""
    return str(recipient).split(" (")[0].strip()


def possible_double_count_usd_bn(commitments: pd.DataFrame, as_of) -> tuple[float, list[str]]:
    """Money everything-announced may count twice at ``as_of`` (USD bn), and the capex rows concerned.

    A company's own capital spending (``private_capex``) is a *use* of money; the equity, loans,
    grants and incentives it receives are *sources* that may pay for the same plant. Both are
    announced, so both are in the everything-announced sum. The overlap cannot exceed the
    smaller of the two, so for each counted capex row the bound is
    ``min(capex, counted money received by the same company)``; the true overlap may be smaller.
    """
    frame = counted_commitments(commitments, as_of, "all")
    frame = frame[frame["counted"]].assign(company=lambda f: f["recipient"].map(company_of))
    capex = frame[frame["instrument"] == "private_capex"]
    total, ids = 0.0, []
    for _, row in capex.iterrows():
        received = frame[(frame["company"] == row["company"]) & (frame["instrument"] != "private_capex")]
        overlap = min(float(row["amount_usd_bn"]), float(received["amount_usd_bn"].sum()))
        if overlap > 0:
            total += overlap
            ids.append(str(row["commitment_id"]))
    return total, ids


def by_instrument(commitments: pd.DataFrame, as_of) -> pd.DataFrame:
    """Money announced by instrument group at ``as_of`` (USD bn), superseded rows removed.

    Columns: group, instruments, amount_usd_bn, n, bounds (the amounts' bounds: ``<=`` marks an
    "up to", ``~`` an "about"), in_scopes (the committed_scope values that count the group).
    """
    frame = counted_commitments(commitments, as_of, "all")
    frame = frame[frame["reason"].isin(["", "not_investment"])]
    rows = []
    for group, instruments in INSTRUMENT_GROUPS.items():
        part = frame[frame["group"] == group]
        rows.append({
            "group": group,
            "instruments": ", ".join(instruments),
            "amount_usd_bn": float(part["amount_usd_bn"].sum()),
            "n": int(len(part)),
            "bounds": " ".join(sorted(set(part["bound"].dropna()))),
            "in_scopes": ", ".join(s for s, groups in SCOPES.items() if group in groups),
        })
    return pd.DataFrame(rows)


def cumulative_by_date(commitments: pd.DataFrame, as_of, scope: str = "all") -> pd.DataFrame:
    """Cumulative money counted, by announcement date (USD bn), up to ``as_of``.

    A superseding announcement adds only its increase over the amount it replaces (Serra Verde
    2026-02-05: +0.1); terminated rows are left out. Columns: date, added_usd_bn, cumulative_usd_bn, items.
    """
    day = pd.Timestamp(check_date("as_of", as_of))
    check_choice("committed_scope", scope, COMMITTED_SCOPES)
    frame = commitments.copy()
    frame = frame[(frame["announced_date"] <= day) & ~_terminated(frame)]
    frame = frame.sort_values(["announced_date", "commitment_id"])
    frame["group"] = frame["instrument"].map(instrument_group)
    frame = frame[frame["group"].isin(SCOPES[scope])]
    current: dict[tuple, float] = {}
    rows = []
    for date, day_rows in frame.groupby("announced_date", sort=True):
        added = 0.0
        items = []
        for _, row in day_rows.iterrows():
            key = (row["funder"], row["recipient"], row["instrument"])
            amount = float(row["amount_usd_m"]) / 1000.0
            added += amount - current.get(key, 0.0)
            current[key] = amount
            items.append(row["commitment_id"])
        rows.append({"date": date, "added_usd_bn": added, "items": ", ".join(items)})
    out = pd.DataFrame(rows, columns=["date", "added_usd_bn", "items"])
    out["cumulative_usd_bn"] = out["added_usd_bn"].cumsum()
    return out[["date", "added_usd_bn", "cumulative_usd_bn", "items"]]


@dataclass(frozen=True)
class CountedMoney:
    """The money counted at one date under one scope: its sum (USD bn) and the first counted
    announcement's date (None when nothing is counted)."""

    committed_usd_bn: float
    first_date: _dt.date | None


def counted_money(frame: pd.DataFrame) -> CountedMoney:
    """What :func:`rebuild_summary` needs of :func:`counted_commitments`' frame. It depends on
    ``as_of`` and ``scope`` only, so a caller computing many rebuild estimates at one date (a
    sweep, the what-if grid) computes it once per scope and passes it in."""
    counted = frame[frame["counted"]]
    first = None if counted.empty else counted["announced_date"].min().date()
    return CountedMoney(float(counted["amount_usd_bn"].sum()), first)


@dataclass(frozen=True)
class Rebuild:
    """The rebuild arithmetic at one date under one scope (USD bn, percent, years)."""

    as_of: _dt.date
    scope: str
    rebuild_total_usd_bn: float
    rebuild_years: float
    annual_need_usd_bn: float
    committed_usd_bn: float
    coverage_pct: float
    first_date: _dt.date | None
    elapsed_years: float
    pace_usd_bn_per_year: float | None  # None when no time has elapsed or nothing is counted
    years_to_reach: float | None  # from as_of, at the observed pace
    years_at_pace_total: float | None  # the whole estimate at the observed pace
    status: str  # "computed", "no_commitments", "no_time_elapsed"


def rebuild_summary(commitments: pd.DataFrame, as_of, scope: str = "all", rebuild_total_usd_bn: float = 200.0,
                    rebuild_years: float = 15, money: CountedMoney | None = None) -> Rebuild:
    """Annual need, committed money, coverage, observed pace and years to reach the estimate.

    Where no money is counted, or as_of is the first announcement day, the pace is undefined:
    ``pace_usd_bn_per_year`` and the years are None and ``status`` says why (never NaN).
    ``money``: :func:`counted_money` at ``as_of`` and ``scope``, when the caller has it already.
    """
    day = check_date("as_of", as_of)
    total = check_money("rebuild_total_usd_bn", rebuild_total_usd_bn, positive=True)
    years = check_years("rebuild_years", rebuild_years)
    check_choice("committed_scope", scope, COMMITTED_SCOPES)
    if money is None:
        money = counted_money(counted_commitments(commitments, day, scope))
    committed, first = money.committed_usd_bn, money.first_date
    need = annual_need_usd_bn(total, years)
    cover = coverage_pct(committed, total)
    if first is None:
        return Rebuild(day, scope, total, years, need, committed, cover, None, 0.0, None, None, None, "no_commitments")
    elapsed = (day - first).days / DAYS_PER_YEAR
    if elapsed <= 0 or committed <= 0:
        return Rebuild(day, scope, total, years, need, committed, cover, first, max(elapsed, 0.0), None, None, None,
                       "no_time_elapsed" if elapsed <= 0 else "no_commitments")
    pace = committed / elapsed
    return Rebuild(day, scope, total, years, need, committed, cover, first, elapsed, pace,
                   years_to_reach(committed, total, pace), total / pace, "computed")


@dataclass(frozen=True)
class RebuildFigures:
    """Everything the book prints about the rebuild at one date: the chosen scope, its firm-only
    and everything-announced bounds, and the figures derived from them.

    ``committed_low``/``committed_high``: the smaller of firm-only and the chosen scope, the larger of
    everything announced and the chosen scope. Months of need, coverage, pace and years to reach are
    ranged over the same three readings. ``None`` where a figure is undefined at ``as_of``.
    """

    chosen: Rebuild
    firm: Rebuild
    every: Rebuild
    committed_low: float
    committed_high: float
    coverage_low_pct: float
    coverage_high_pct: float
    months_of_need: float
    months_of_need_low: float
    months_of_need_high: float
    firm_share_of_announced_pct: float | None
    need_to_date_usd_bn: float | None
    pace_low: float | None
    pace_high: float | None
    years_to_reach_low: float | None
    years_to_reach_high: float | None
    need_to_pace_ratio: float | None


def rebuild_figures(commitments: pd.DataFrame, as_of, scope: str, rebuild_total_usd_bn: float,
                    rebuild_years: float, money: Callable[[str], CountedMoney] | None = None) -> RebuildFigures:
    """:func:`rebuild_summary` under the chosen scope, firm only and everything, and what follows.

    ``months_of_need = committed / annual_need * 12``; ``firm_share = firm / all announced * 100``;
    ``need_to_date = annual_need * years elapsed``; ``need_to_pace = annual_need / pace``.
    ``money``: ``scope -> counted_money(counted_commitments(commitments, as_of, scope))``, for a
    caller that keeps them.
    """
    def summary(sc: str) -> Rebuild:
        return rebuild_summary(commitments, as_of, sc, rebuild_total_usd_bn, rebuild_years,
                               money=None if money is None else money(sc))

    chosen, firm, every = summary(scope), summary("firm"), summary("all")
    low = min(firm.committed_usd_bn, chosen.committed_usd_bn)
    high = max(every.committed_usd_bn, chosen.committed_usd_bn)
    need = chosen.annual_need_usd_bn
    computed = [s for s in (firm, chosen, every) if s.status == "computed"]
    ok = chosen.status == "computed"
    return RebuildFigures(
        chosen, firm, every, low, high,
        coverage_pct(low, chosen.rebuild_total_usd_bn), coverage_pct(high, chosen.rebuild_total_usd_bn),
        chosen.committed_usd_bn / need * 12.0, low / need * 12.0, high / need * 12.0,
        firm.committed_usd_bn / every.committed_usd_bn * 100.0 if every.committed_usd_bn > 0 else None,
        need * chosen.elapsed_years if ok else None,
        min(s.pace_usd_bn_per_year for s in computed) if ok else None,
        max(s.pace_usd_bn_per_year for s in computed) if ok else None,
        min(s.years_to_reach for s in computed) if ok else None,
        max(s.years_to_reach for s in computed) if ok else None,
        need / chosen.pace_usd_bn_per_year if ok else None,
    )
