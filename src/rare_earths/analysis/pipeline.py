"""The pipeline: capacity announced outside China by target year, and the status of every dated
promise as of a chosen date.

Capacity is added up only within one stage and one unit (t/yr of magnets, of total rare-earth
oxides, of PrNd oxide: never across them), and compared with China's output only where an
authority gives China's output in the same unit (USGS China mine production, t REO, against
mining capacity in t/yr TREO). Formulas: cumulative capacity by year ``= sum of the capacity of
projects whose target date falls in or before that year``; percent of China ``= cumulative /
China output * 100``.

Promise status at ``as_of`` (dates inclusive):

* ``met``: a date the target was reported met exists and is on or before as_of;
* ``past_due_unconfirmed``: the target date is before as_of and nothing reports it met;
* ``due``: the target date is as_of or within ``due_window_days`` after it;
* ``pending``: the target date is further ahead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rare_earths.params.checks import ParameterError, check_date, check_int, check_quantity

PROMISE_STATUSES = ("met", "past_due_unconfirmed", "due", "pending")


def promise_status(target_date, as_of, met_date=None, due_window_days: int = 90) -> str:
    """Status of one promise at ``as_of``: met, past_due_unconfirmed, due or pending (see module)."""
    target = check_date("target_date", target_date)
    day = check_date("as_of", as_of)
    window = check_int("due_window_days", due_window_days, 0, 3650)
    if met_date is not None and not (isinstance(met_date, float) and np.isnan(met_date)) and not pd.isna(met_date):
        if check_date("met_date", met_date) <= day:
            return "met"
    if target < day:
        return "past_due_unconfirmed"
    if (target - day).days <= window:
        return "due"
    return "pending"


def promises(projects: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Every dated promise: projects with a target date, events with an end date.

    Columns: promise_id, kind (project | event), name, promise (as announced), target_date,
    met_date, source_id, claim_id.
    """
    proj = projects[projects["target_date"].notna()]
    rows = [{
        "promise_id": r["project_id"], "kind": "project", "name": f"{r['name']} ({r['company']})",
        "promise": r["target_text"], "target_date": r["target_date"], "met_date": r["met_date"],
        "source_id": r["source_id"], "claim_id": r["claim_id"],
    } for _, r in proj.iterrows()]
    ev = events[events["end_date"].notna()]
    rows += [{
        "promise_id": r["event_id"], "kind": "event", "name": r["title"],
        "promise": f"in force until {r['end_date']:%Y-%m-%d}", "target_date": r["end_date"], "met_date": pd.NaT,
        "source_id": r["source_id"], "claim_id": r["claim_id"],
    } for _, r in ev.iterrows()]
    cols = ["promise_id", "kind", "name", "promise", "target_date", "met_date", "source_id", "claim_id"]
    out = pd.DataFrame(rows, columns=cols)
    out["target_date"] = pd.to_datetime(out["target_date"])
    out["met_date"] = pd.to_datetime(out["met_date"])
    return out.sort_values(["target_date", "promise_id"]).reset_index(drop=True)


def promise_statuses(projects: pd.DataFrame, events: pd.DataFrame, as_of, due_window_days: int = 90) -> pd.DataFrame:
    """:func:`promises` with ``status`` and ``days_to_target`` (negative = past) at ``as_of``."""
    day = check_date("as_of", as_of)
    window = check_int("due_window_days", due_window_days, 0, 3650)
    table = promises(projects, events)
    table["status"] = [
        promise_status(r["target_date"], day, None if pd.isna(r["met_date"]) else r["met_date"], window)
        for _, r in table.iterrows()
    ]
    table["status"] = table["status"].astype("string")
    table["days_to_target"] = (table["target_date"] - pd.Timestamp(day)).dt.days.astype("Int64")
    table["as_of"] = pd.Timestamp(day)
    return table


def status_counts(statuses: pd.DataFrame) -> dict[str, int]:
    """Number of promises in each status (every status present, zeros included)."""
    counts = statuses["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in PROMISE_STATUSES}


def unit_key(capacity_unit: str) -> str:
    """The unit without its parenthetical remark: ``"t/yr magnets (MP total ...)" -> "t/yr magnets"``."""
    return str(capacity_unit).split(" (")[0].strip()


def china_mine_output(supply: pd.DataFrame, edition: str = "MCS 2026", year: int | None = None) -> tuple[float, int, str]:
    """China's USGS mine production (t REO), the year and the source id (default: latest year)."""
    rows = supply[(supply["edition"] == edition) & (supply["measure"] == "mine_production") & (supply["country"] == "China")]
    if rows.empty:
        raise ParameterError(f"edition={edition}: no China mine production")
    row = rows.sort_values("year").iloc[-1] if year is None else rows[rows["year"] == year]
    if isinstance(row, pd.DataFrame):
        if row.empty:
            raise ParameterError(f"year={year}: no China mine production in {edition}")
        row = row.iloc[0]
    return float(row["value_t_reo"]), int(row["year"]), str(row["source_id"])


#: Which China output each capacity unit can be compared with: unit -> (stage, description).
CHINA_COMPARATORS = {("mining", "t/yr TREO"): "USGS China mine production (t REO)"}


def capacity_by_year(projects: pd.DataFrame, supply: pd.DataFrame | None = None, edition: str = "MCS 2026") -> pd.DataFrame:
    """Non-China capacity announced, by stage, unit and target year, cumulative, against China.

    One row per (stage, unit, year); projects without a target date are in year ``<NA>`` and are
    not cumulated. Columns: stage, unit, year, added_low, added_high, cumulative_low,
    cumulative_high, projects, china_output, china_year, china_source_id, pct_of_china_low,
    pct_of_china_high, comparison (what the China figure is, or why there is none).
    """
    proj = projects[projects["capacity_high"].notna() & (projects["country"] != "China")].copy()
    if proj.empty:
        raise ParameterError("projects: no project outside China has a capacity")
    proj["unit"] = proj["capacity_unit"].map(unit_key)
    proj["year"] = proj["target_date"].dt.year.astype("Int64")
    proj["capacity_low"] = proj["capacity_low"].fillna(proj["capacity_high"])
    china = None
    if supply is not None:
        china = china_mine_output(supply, edition)
    rows = []
    for (stage, unit), group in proj.groupby(["stage", "unit"], sort=True):
        dated = group[group["year"].notna()]
        cum_low = cum_high = 0.0
        for year, part in dated.groupby("year", sort=True):
            cum_low += float(part["capacity_low"].sum())
            cum_high += float(part["capacity_high"].sum())
            rows.append(_cap_row(stage, unit, int(year), part, cum_low, cum_high, china))
        undated = group[group["year"].isna()]
        if not undated.empty:
            rows.append(_cap_row(stage, unit, pd.NA, undated, np.nan, np.nan, china))
    return pd.DataFrame(rows)


def _cap_row(stage, unit, year, part, cum_low, cum_high, china):
    comparator = CHINA_COMPARATORS.get((stage, unit))
    row = {
        "stage": stage, "unit": unit, "year": year,
        "added_low": float(part["capacity_low"].sum()), "added_high": float(part["capacity_high"].sum()),
        "cumulative_low": cum_low, "cumulative_high": cum_high,
        "projects": ", ".join(part["project_id"]),
        "china_output": np.nan, "china_year": pd.NA, "china_source_id": pd.NA,
        "pct_of_china_low": np.nan, "pct_of_china_high": np.nan,
    }
    if comparator and china is not None:
        output, china_year, source = china
        row.update(china_output=output, china_year=china_year, china_source_id=source, comparison=comparator)
        if not np.isnan(cum_low):
            row["pct_of_china_low"] = cum_low / output * 100.0
            row["pct_of_china_high"] = cum_high / output * 100.0
    elif comparator:
        row["comparison"] = "no supply table given"
    else:
        row["comparison"] = "no China output in this unit in the dataset"
    if pd.isna(year):
        row["comparison"] = row["comparison"] + "; undated: not cumulated"
    return row


def capacity_pct_of_output(capacity_t: float, china_output_t: float) -> float:
    """Capacity as a percent of China's output in the same unit: ``capacity / output * 100``."""
    cap = check_quantity("capacity_t", capacity_t)
    out = check_quantity("china_output_t", china_output_t, positive=True)
    return cap / out * 100.0



def days_between(start, end) -> int:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return int((pd.Timestamp(end) - pd.Timestamp(start)).days)


def targets_after(statuses: pd.DataFrame, date) -> pd.DataFrame:
    """The dated project targets (``kind == "project"``) that fall after ``date``."""
    targets = statuses[statuses["kind"] == "project"]
    return targets[targets["target_date"] > pd.Timestamp(date)]


def capacity_multiple(capacity_t: float, reference_t: float) -> float:
    """A capacity as a multiple of a reference output (``capacity / reference``, x)."""
    reference = check_quantity("reference_t", reference_t, positive=True)
    return float(check_quantity("capacity_t", capacity_t)) / float(reference)


def expanded_capacity(capacity_t: float, multiple: float) -> float:
    """A capacity after an ``n``-fold expansion (``capacity x multiple``)."""
    return float(check_quantity("capacity_t", capacity_t)) * float(check_quantity("multiple", multiple))
