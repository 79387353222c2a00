"""Cross-table rules of the evidence tables (run by ``rare-earths validate`` after the schema checks).

Each problem names the file, the CSV line and the column:

* ranges: ``low <= high`` for every value, capex, capacity, cost, time and date pair; an exact or
  approximate value (``=``, ``~``) of a range column needs its high end, an open bound (``>``) may
  leave it empty;
* exchange rates: the five ``fx_*`` columns are filled together or not at all, only on a money row
  in a currency other than USD;
* plant_capex: a capex figure comes with its currency, bound, source, evidence, locator and text,
  and only a ``capacity_only`` row has none; ``capacity_included`` is below the capacity;
* project_history: starts, decisions and output periods carry their date window; capex and
  funding rows their currency; nameplates and outputs their capacity basis; status rows their
  status; a ``delay_pair`` names an earlier announced start of the same project; a project feeds
  the outlook with one capacity row and at most one start row;
* every ``corroborating_source_ids`` entry is a source;
* dates: no row is stated after its source was published (compared at the coarser of the two
  precisions).
"""

from __future__ import annotations

import pandas as pd

from rare_earths.data.load import Problem
from rare_earths.data.schema import TABLES

FX_COLUMNS = ("fx_rate", "fx_convention", "fx_basis", "fx_year", "fx_source_id")

#: (table, low, high, bound column or None): pairs that must satisfy low <= high.
RANGES = (
    ("producer_costs", "value_low", "value_high", "bound"),
    ("plant_capex", "capex_low_m", "capex_high_m", "capex_bound"),
    ("plant_capex", "capacity_low", "capacity_high", "capacity_bound"),
    ("demand", "value_low", "value_high", "bound"),
    ("conversion_factors", "value_low", "value_high", None),
    ("project_history", "value", "value_high", None),
    ("project_history", "date_low", "date_high", None),
    ("published_estimates", "cost_low_usd_bn", "cost_high_usd_bn", "cost_bound"),
    ("published_estimates", "time_low_years", "time_high_years", "time_bound"),
)

START_MEASURES = ("decision", "announced_start", "actual_start")
CAPEX_MEASURES = ("capex_at_decision", "capex_update", "capex_addition", "capex_final", "capex_history",
                  "public_funding")
CAPACITY_MEASURES = ("nameplate", "output", "run_rate")


def _line(index) -> int:
    return int(index) + 2


def _p(table: str, index, column: str, message: str) -> Problem:
    return Problem(TABLES[table].path, _line(index), column, message)


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA \
        and value is not pd.NaT and str(value).strip() != ""


def _s(value) -> str:
    """Text of a cell, ``""`` when it is missing (pandas NA does not compare)."""
    return str(value) if _filled(value) else ""


def check_ranges(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = []
    for name, low, high, bound in RANGES:
        frame = frames.get(name)
        if frame is None:
            continue
        for i, row in frame.iterrows():
            lo, hi = row[low], row[high]
            if _filled(lo) and _filled(hi) and bool(lo > hi):
                problems.append(_p(name, i, high, f"{low} ({lo}) is greater than {high} ({hi})"))
            if bound and _filled(lo) and not _filled(hi) and _s(row[bound]) in ("=", "~"):
                problems.append(_p(name, i, high, f"a value with bound {_s(row[bound])!r} needs {high} (empty only for "
                                                  "an open bound such as '>')"))
            if bound and (_filled(lo) or _filled(hi)) and not _filled(row[bound]):
                problems.append(_p(name, i, bound, f"{low}/{high} need a bound"))
    return problems


def check_fx(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = []
    for name, currency, amount in (("producer_costs", "currency", "value_low"),
                                   ("plant_capex", "capex_currency", "capex_low_m")):
        frame = frames.get(name)
        if frame is None:
            continue
        for i, row in frame.iterrows():
            filled = [c for c in FX_COLUMNS if _filled(row[c])]
            if filled and len(filled) != len(FX_COLUMNS):
                missing = [c for c in FX_COLUMNS if c not in filled]
                problems.append(_p(name, i, missing[0], f"an exchange rate needs all of {', '.join(FX_COLUMNS)}"))
            if filled and _s(row[currency]) in ("", "USD"):
                problems.append(_p(name, i, "fx_rate", f"an exchange rate is recorded but {currency} is "
                                                       f"{row[currency] if _filled(row[currency]) else 'empty'}"))
            if filled and _filled(row["fx_rate"]) and row["fx_rate"] <= 0:
                problems.append(_p(name, i, "fx_rate", f"an exchange rate must be above 0: got {row['fx_rate']}"))
            if _filled(row[currency]) and not _filled(row[amount]):
                problems.append(_p(name, i, currency, f"a currency without an amount in {amount}"))
    return problems


def check_plant_capex(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    needs = ("capex_currency", "capex_bound", "source_id", "evidence", "locator", "source_text")
    for i, row in frame.iterrows():
        has = _filled(row["capex_low_m"])
        if has:
            for col in needs:
                if not _filled(row[col]):
                    problems.append(_p("plant_capex", i, col, "a capex figure needs its " + col.replace("_", " ")))
        if _filled(row["status"]) and has == (row["status"] == "capacity_only"):
            problems.append(_p("plant_capex", i, "status", "status 'capacity_only' is for rows without capex, and only "
                                                          "for them"))
        if _filled(row["capacity_included"]) and _filled(row["capacity_low"]) and \
                bool(row["capacity_included"] >= row["capacity_low"]):
            problems.append(_p("plant_capex", i, "capacity_included",
                               f"capacity_included ({row['capacity_included']:g}) must be below capacity_low "
                               f"({row['capacity_low']:g})"))
    return problems


def check_project_history(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    by_id = frame.drop_duplicates("event_id").set_index("event_id", drop=False)  # duplicates are reported by the schema
    for i, row in frame.iterrows():
        m = row["measure"]
        if not _filled(m):
            continue
        if (m in START_MEASURES or m in ("output", "run_rate")) and not (_filled(row["date_low"]) and _filled(row["date_high"])):
            col = "date_low" if not _filled(row["date_low"]) else "date_high"
            problems.append(_p("project_history", i, col, f"a {m} row needs date_low and date_high"))
        if m in CAPEX_MEASURES + CAPACITY_MEASURES and not _filled(row["value"]):
            problems.append(_p("project_history", i, "value", f"a {m} row needs a value"))
        if m in CAPEX_MEASURES and not _filled(row["currency"]):
            problems.append(_p("project_history", i, "currency", f"a {m} row needs its currency"))
        if m in CAPACITY_MEASURES and not _filled(row["capacity_basis"]):
            problems.append(_p("project_history", i, "capacity_basis", f"a {m} row needs its capacity basis"))
        if (m == "status") != _filled(row["project_status"]):
            problems.append(_p("project_history", i, "project_status", "status rows, and only they, carry a project_status"))
        if _filled(row["capacity_included"]) and _filled(row["value"]) and bool(row["capacity_included"] >= row["value"]):
            problems.append(_p("project_history", i, "capacity_included",
                               f"capacity_included ({row['capacity_included']:g}) must be below value ({row['value']:g})"))
        pair = row["delay_pair"]
        if _filled(pair):
            if pair not in by_id.index:
                problems.append(_p("project_history", i, "delay_pair", f"{pair!r} is not an event_id in project_history.csv"))
            else:
                other = by_id.loc[pair]
                if _s(other["project_id"]) != _s(row["project_id"]) or _s(other["measure"]) != "announced_start":
                    problems.append(_p("project_history", i, "delay_pair",
                                       f"{pair!r} must be an announced_start of project {row['project_id']!r}"))
                elif _filled(other["date_of_statement"]) and _filled(row["date_of_statement"]) \
                        and bool(other["date_of_statement"] > row["date_of_statement"]):
                    problems.append(_p("project_history", i, "delay_pair",
                                       f"{pair!r} was stated after this row ({other['date_of_statement']:%Y-%m-%d})"))
            if m not in ("actual_start", "announced_start"):
                problems.append(_p("project_history", i, "delay_pair", "only a start row is compared with an announced start"))
    outlook = frame[frame["outlook"].fillna(False).astype(bool)]
    for project, rows in outlook.groupby("project_id", sort=False):
        capacity = rows[rows["measure"].isin(["nameplate"]) | (rows["measure"] == "output")]
        nameplates = rows[rows["measure"] == "nameplate"]
        starts = rows[rows["measure"].isin(["announced_start", "actual_start", "status"])]
        first = rows.index[0]
        if len(nameplates) > 1:
            problems.append(_p("project_history", nameplates.index[1], "outlook",
                               f"project {project!r} has {len(nameplates)} outlook nameplates: one defines its capacity"))
        if capacity.empty:
            problems.append(_p("project_history", first, "outlook", f"project {project!r} feeds the outlook without a "
                                                                    "nameplate or output row"))
        if len(starts) > 1:
            problems.append(_p("project_history", starts.index[1], "outlook",
                               f"project {project!r} has {len(starts)} outlook start rows: one gives its start"))
        if not nameplates.empty and starts.empty:
            problems.append(_p("project_history", nameplates.index[0], "outlook",
                               f"project {project!r} has an outlook nameplate but no outlook start row"))
    return problems


def check_corroborating(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    sources = frames.get("sources")
    if sources is None:
        return []
    known = set(sources["source_id"])
    problems = []
    for name in ("producer_costs", "plant_capex", "published_estimates"):
        frame = frames.get(name)
        if frame is None:
            continue
        for i, value in frame["corroborating_source_ids"].items():
            if _filled(value):
                for sid in str(value).split(";"):
                    if sid not in known:
                        problems.append(_p(name, i, "corroborating_source_ids", f"{sid!r} is not a source_id in sources.csv"))
    return problems


_ORDER = {"year": 0, "month": 1, "day": 2}


def _truncate(day: pd.Timestamp, precision: str) -> tuple:
    return {"year": (day.year,), "month": (day.year, day.month)}.get(precision, (day.year, day.month, day.day))


def check_dates(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """A row cannot be stated after its source was published (at the coarser precision of the two)."""
    sources = frames.get("sources")
    if sources is None:
        return []
    published = sources.drop_duplicates("source_id").set_index("source_id")  # duplicates: the schema reports them
    problems = []
    for name, column in (("producer_costs", "date_of_figure"), ("plant_capex", "date_of_figure"),
                         ("project_history", "date_of_statement"), ("demand", "date_published"),
                         ("published_estimates", "date")):
        frame = frames.get(name)
        if frame is None:
            continue
        source_column = "source_id" if name != "plant_capex" else None
        for i, row in frame.iterrows():
            sid = row[source_column] if source_column else (row["source_id"] if _filled(row["source_id"]) else row["capacity_source_id"])
            if not _filled(sid) or sid not in published.index or pd.isna(row[column]):
                continue
            src = published.loc[sid]
            if row["date_precision"] not in _ORDER or src["date_precision"] not in _ORDER or pd.isna(src["date_published"]):
                continue
            precision = min(row["date_precision"], src["date_precision"], key=lambda p: _ORDER[p])
            if _truncate(row[column], precision) > _truncate(src["date_published"], precision):  # both filled here
                problems.append(_p(name, i, column, f"{row[column]:%Y-%m-%d} is after {sid}'s date_published "
                                                    f"{src['date_published']:%Y-%m-%d}"))
    return problems


def check_evidence_tables(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every cross-table rule of the evidence tables, on the frames that loaded."""
    problems = check_ranges(frames) + check_fx(frames) + check_corroborating(frames) + check_dates(frames)
    if "plant_capex" in frames:
        problems += check_plant_capex(frames["plant_capex"])
    if "project_history" in frames:
        problems += check_project_history(frames["project_history"])
    return problems
