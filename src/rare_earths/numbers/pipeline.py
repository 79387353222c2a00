"""Key numbers of the pipeline domain: dated promises and their status, announced capacity
against China's output, and China's suspension of its October 2025 measures."""

from __future__ import annotations

from rare_earths.analysis import pipeline as pl
from rare_earths.analysis.shares import usgs_country_value
from rare_earths.data.queries import LookupFailed, row
from rare_earths.format import fixed
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("pipeline.",)
SUSPENSION = "mofcom_2025_11_07_suspension"


def _n(v: float, d: int = 0) -> str:
    return fixed(v, d)


def _sources(frame, fallback=()) -> tuple[str, ...]:
    return tuple(sorted(set(frame["source_id"]))) or tuple(fallback)


def build(ctx: Context) -> list[KeyNumber]:
    p = ctx.params
    projects, events, supply = ctx.table("projects"), ctx.table("events"), ctx.table("usgs_country_supply")
    as_of = f"{p['as_of']:%Y-%m-%d}"
    statuses = pl.promise_statuses(projects, events, p["as_of"], p["due_window_days"])
    src = _sources(statuses)
    out = []
    for status, count in pl.status_counts(statuses).items():
        names = ", ".join(statuses.loc[statuses["status"] == status, "promise_id"]) or "none"
        out.append(KeyNumber(
            f"pipeline.promises_{status}", float(count), "promises",
            f"Dated promises {status.replace('_', ' ')} at {as_of}",
            f"count of promises with status {status}: {names}", src, ("as_of", "due_window_days"),
            chapters=("pipeline",), decimals=0,
        ))
    # The project targets alone: the suspension's end date is an event, not a target a project can meet.
    targets = statuses[statuses["kind"] == "project"]
    target_src = _sources(targets, src)
    out.append(KeyNumber(
        "pipeline.project_targets_dated", float(len(targets)), "targets",
        "Project targets with a date in the dataset", "count of projects with a target date: "
        + (", ".join(targets["promise_id"]) or "none"), target_src, chapters=("pipeline",), decimals=0,
    ))
    for status, count in pl.status_counts(targets).items():
        names = ", ".join(targets.loc[targets["status"] == status, "promise_id"]) or "none"
        out.append(KeyNumber(
            f"pipeline.project_targets_{status}", float(count), "targets",
            f"Dated project targets {status.replace('_', ' ')} at {as_of}",
            f"count of project targets with status {status}: {names}", target_src, ("as_of", "due_window_days"),
            chapters=("pipeline",), decimals=0,
        ))
    undated = projects[projects["target_date"].isna()]
    out.append(KeyNumber(
        "pipeline.projects_undated", float(len(undated)), "projects",
        "Projects in the dataset with no dated target", "count of projects without a target date: "
        + (", ".join(undated["project_id"]) or "none"), _sources(undated, src), chapters=("pipeline",), decimals=0,
    ))
    cap = pl.capacity_by_year(projects, supply)
    mining = cap[(cap["stage"] == "mining") & cap["pct_of_china_high"].notna()]
    if mining.empty:
        raise LookupFailed("projects", "with a dated mining capacity in t/yr TREO (the pipeline chapter compares them with China)")
    last = mining.sort_values("year").iloc[-1]
    ids = last["projects"]
    proj_src = _sources(projects[projects["project_id"].isin(ids.split(", "))])
    out.append(KeyNumber(
        "pipeline.non_china_mining_capacity_pct_of_china", float(last["pct_of_china_high"]), "%",
        f"Dated non-China mining capacity announced to {last['year']} (t/yr TREO) as a percent of China's "
        f"{last['china_year']} mine output",
        f"{_n(last['cumulative_high'])} / {_n(last['china_output'])} x 100 ({ids})",
        proj_src + (str(last["china_source_id"]),), low=float(last["pct_of_china_low"]),
        chapters=("pipeline",), decimals=1,
    ))
    out.append(KeyNumber(
        "pipeline.non_china_mining_capacity_t", float(last["cumulative_high"]), "t/yr TREO",
        f"Dated non-China mining capacity announced with a target up to {last['year']} (t/yr TREO)",
        f"sum of dated mining capacities in t/yr TREO: {ids}", proj_src, low=float(last["cumulative_low"]),
        chapters=("pipeline",), decimals=0,
    ))
    out.append(KeyNumber(
        "pipeline.china_mine_output_t", float(last["china_output"]), "t REO",
        f"China's mine production, {last['china_year']} (USGS MCS 2026 v1.3, the edition's latest year, an "
        "estimate)",
        f"as published: {_n(last['china_output'])} t REO ({last['china_year']})", (str(last["china_source_id"]),),
        chapters=("pipeline",), decimals=0,
    ))
    magnets = cap[(cap["stage"] == "magnets") & cap["year"].notna()]
    if magnets.empty:
        raise LookupFailed("projects", "with a dated magnet capacity (the pipeline chapter sums them)")
    last = magnets.sort_values("year").iloc[-1]
    magnet_ids = [i for ids in magnets["projects"] for i in ids.split(", ")]
    out.append(KeyNumber(
        "pipeline.magnet_capacity_announced_t", float(last["cumulative_high"]), "t/yr magnets",
        f"Magnet capacity announced outside China with a target date up to {last['year']}",
        "sum of dated magnet capacities: " + " + ".join(f"{_n(r['added_high'])} ({r['year']})" for _, r in magnets.iterrows()),
        _sources(projects[projects["project_id"].isin(magnet_ids)]), low=float(last["cumulative_low"]),
        chapters=("pipeline",), decimals=0,
    ))
    sv = row(projects, "projects", project_id="serra_verde_pela_ema")
    brazil = usgs_country_value(supply, "MCS 2026", "mine_production", "Brazil", 2025)
    target = float(sv["capacity_high"])
    out.append(KeyNumber(
        "pipeline.serra_verde_target_multiple_of_brazil_2025", pl.capacity_multiple(target, brazil), "x",
        "Serra Verde's 6,500 t/yr target for 2027 as a multiple of all Brazil's 2025e mine output (USGS)",
        f"{_n(target)} / {_n(brazil)}", (str(sv["source_id"]), "usgs_mcs_2026_ree"),
        chapters=("pipeline", "claims"), claims=("C53", "C52"), decimals=2,
    ))
    sumter = row(projects, "projects", project_id="evac_sumter_magnets")
    c38 = row(ctx.table("claims"), "claims", claim_id="C38")
    base, mult = float(sumter["capacity_high"]), float(c38["value"])
    out.append(KeyNumber(
        "pipeline.sumter_expanded_capacity_t", pl.expanded_capacity(base, mult), "t/yr magnets",
        "Sumter magnet capacity after the seed's 'six times' expansion", f"{_n(base)} x {mult:g}",
        (str(c38["seed_source_id"]),), chapters=("pipeline", "claims"), claims=("C38",), decimals=0,
    ))
    susp = row(events, "events", event_id=SUSPENSION)
    start, end = susp["date"], susp["end_date"]
    out.append(KeyNumber(
        "pipeline.suspension_length_days", float(pl.days_between(start, end)), "days",
        "Length of China's suspension of the 2025-10-09 export-control measures",
        f"{end:%Y-%m-%d} - {start:%Y-%m-%d}", (str(susp["source_id"]),),
        chapters=("pipeline", "claims"), claims=("C30",), decimals=0,
    ))
    later = pl.targets_after(statuses, end)
    out.append(KeyNumber(
        "pipeline.project_targets_after_suspension_end", float(len(later)), "targets",
        f"Dated project targets that fall after the suspension's end date ({end:%Y-%m-%d})",
        f"count of project targets dated after {end:%Y-%m-%d}: " + (", ".join(later["promise_id"]) or "none"),
        tuple(sorted(set(later["source_id"]) | {str(susp["source_id"])})), chapters=("pipeline",), decimals=0,
    ))
    out.append(KeyNumber(
        "pipeline.suspension_days_left", float(pl.days_between(p["as_of"], end)), "days",
        f"Days from {as_of} to the end of the suspension (negative: already ended)",
        f"{end:%Y-%m-%d} - as_of", (str(susp["source_id"]),), ("as_of",),
        chapters=("pipeline",), decimals=0,
    ))
    out.append(KeyNumber(
        "pipeline.due_window_days", float(p["due_window_days"]), "days",
        "Days ahead within which a dated promise counts as due (parameter due_window_days)",
        "parameter due_window_days", src, ("due_window_days",), chapters=("pipeline",), decimals=0,
    ))
    return out
