"""The reference class: what past projects outside China say about delays, overruns, ramp-ups and lead times.

All from ``project_history`` rows with ``reference_class`` true (and, for lead times by stage, the
``published_estimates`` that time a build from its decision). Dates are compared at the middle of
their windows, in decimal years (:func:`rare_earths.analysis.evidence.window_mid`).

* **Delay** (:func:`delays`): for each start row with a ``delay_pair``, ``mid(start) - mid(announced
  start it is compared with)``, in years. A pair whose later row is itself an announcement (the
  latest guidance of a project not yet started) is *censored*: the delay is at least that long.
  The outlook draws from all of them, censored ones at their lower bound, and counts an early start
  as no delay.
* **Overrun** (:func:`overruns`): per project, the latest capex figure (final if there is one, else the
  latest update) over the capex at decision, mid-points of ranges, same currency. Public funding is
  not capex and capex histories before a decision are not overruns: neither counts.
* **Ramp-up** (:func:`ramp_observations`): for a project with an actual start and a nameplate in the
  same basis, its latest full-year output gives the utilisation ``u = output / nameplate`` at
  ``t = mid(year) - start`` years; a linear ramp to nameplate then takes ``R = t / u`` years.
* **Lead time** (:func:`lead_times`): ``mid(first actual start) - mid(decision)`` for projects with both.
* **Cancellation** (:func:`cancellations`): of the projects with an outcome (started, or last reported
  cancelled or bankrupt), the share that failed.

:func:`summary` gathers them as ranges: delay (min, median, max), overrun factor (lower quartile,
median, upper quartile), ramp-up years (min, median, max), cancellation rate, and lead time by stage
(reference-class observations together with the published times that start at a decision).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis.evidence import by_key, midpoint, records, sorted_by, spread, window_mid
from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError

START = ("announced_start", "actual_start")
FAILED = ("cancelled", "bankrupt")
#: How a published time's ``time_from`` must read to count as a build time from a decision.
FROM_DECISION = ("decision", "after capital is secured", "start of development")
#: Published scopes that time one stage of the chain.
SCOPE_STAGE = {"mine": "mining", "refinery": "separation", "metal": "metal"}
#: The outlook's stages (rare_earths.analysis.supply.STAGES) and the evidence stage each reads.
STAGES = ("mining", "separation", "metal", "magnet")
EVIDENCE_STAGE = {"mining": "mining_concentration", "separation": "separation", "metal": "metal", "magnet": "magnet"}
MIN_FULL_YEAR_DAYS = 360


def _ref(history: pd.DataFrame) -> list[dict]:
    """The reference class's rows (as :func:`~rare_earths.analysis.evidence.records`)."""
    return [r for r in records(history) if r["reference_class"]]


def _projects(history: pd.DataFrame) -> dict[str, list[dict]]:
    """The reference class's rows by project, projects and rows in table order."""
    return by_key(_ref(history), "project_id")


def _mid(row) -> float:
    return window_mid(row["date_low"], row["date_high"])


def _of(rows: list[dict], *measures: str) -> list[dict]:
    return [r for r in rows if r["measure"] in measures]


def delays(history: pd.DataFrame) -> pd.DataFrame:
    """One row per delay pair: ``project_id``, ``event_id``, ``paired``, ``announced``, ``later`` (decimal years),
    ``delay_years`` and ``censored``."""
    every = records(history)
    by_id = {r["event_id"]: r for r in every}
    out = []
    for r in every:
        if not r["reference_class"] or r["delay_pair"] is None:
            continue
        earlier = by_id[r["delay_pair"]]
        announced, later = _mid(earlier), _mid(r)
        out.append({"project_id": r["project_id"], "project": r["project"], "stage": r["stage"],
                    "event_id": r["event_id"], "paired": r["delay_pair"], "milestone": r["milestone"],
                    "announced": announced, "later": later, "delay_years": later - announced,
                    "censored": r["measure"] == "announced_start",
                    "sources": tuple(dict.fromkeys([earlier["source_id"], r["source_id"]]))})
    return pd.DataFrame(out)


def overruns(history: pd.DataFrame) -> pd.DataFrame:
    """Per project with a capex at decision and a later figure: ``ratio = later / at decision`` (mid-points)."""
    out = []
    for project, g in _projects(history).items():
        decision = _of(g, "capex_at_decision")
        later, kind = _of(g, "capex_final"), "final"
        if not later:
            later, kind = _of(g, "capex_update"), "latest update"
        if not decision or not later:
            continue
        d = sorted_by(decision, "date_of_statement")[0]
        lt = sorted_by(later, "date_of_statement")[-1]
        if d["currency"] != lt["currency"]:
            continue
        at, then = float(midpoint(d["value"], d["value_high"])), float(midpoint(lt["value"], lt["value_high"]))
        out.append({"project_id": project, "project": d["project"], "stage": d["stage"], "currency": d["currency"],
                    "at_decision": at, "later": then, "later_kind": kind, "ratio": then / at,
                    "sources": tuple(dict.fromkeys([d["source_id"], lt["source_id"]]))})
    return pd.DataFrame(out)


def first_actual_starts(history: pd.DataFrame) -> dict[str, float]:
    """Each project's first actual start (decimal year, the mid-point of its date window), in one pass."""
    starts = by_key(_of(records(history), "actual_start"), "project_id")
    return {str(p): min(_mid(r) for r in g) for p, g in starts.items()}


def first_actual_start(history: pd.DataFrame, project_id: str) -> float | None:
    return first_actual_starts(history[history["project_id"] == project_id]).get(str(project_id))


def _full_year(row: dict) -> bool:
    """An output row that covers a whole year (its date window spans at least MIN_FULL_YEAR_DAYS)."""
    if pd.isna(row["date_low"]) or pd.isna(row["date_high"]):
        return False
    return (row["date_high"] - row["date_low"]).days >= MIN_FULL_YEAR_DAYS


def ramp_observations(history: pd.DataFrame) -> pd.DataFrame:
    """Per project: its latest full-year output against its nameplate, and the linear ramp it implies."""
    starts = first_actual_starts(history)
    out = []
    for project, g in _projects(history).items():
        start = starts.get(str(project))
        if start is None:
            continue
        outputs = [r for r in _of(g, "output") if _full_year(r)]
        if not outputs:
            continue
        last = sorted_by(outputs, "date_high")[-1]
        basis = last["capacity_basis"]
        plates = [r for r in _of(g, "nameplate") if basis is not None and r["capacity_basis"] == basis]
        if not plates:
            continue
        plate = sorted_by(plates, "date_of_statement")[-1]
        nameplate = float(midpoint(plate["value"], plate["value_high"])) - float(
            0.0 if pd.isna(plate["capacity_included"]) else plate["capacity_included"])
        t = _mid(last) - start
        u = float(last["value"]) / nameplate
        if t <= 0 or not 0 < u < 1:
            continue
        out.append({"project_id": project, "project": last["project"], "stage": last["stage"],
                    "period": last["milestone"], "output": float(last["value"]), "nameplate": nameplate,
                    "years_since_start": t, "utilisation": u, "ramp_years": t / u,
                    "sources": tuple(dict.fromkeys([last["source_id"], plate["source_id"]]))})
    return pd.DataFrame(out)


def lead_times(history: pd.DataFrame) -> pd.DataFrame:
    """Decision to first actual start, per project with both: ``lead_years``."""
    starts = first_actual_starts(history)
    out = []
    for project, g in _projects(history).items():
        decisions = _of(g, "decision")
        start = starts.get(str(project))
        if not decisions or start is None:
            continue
        d = sorted_by(decisions, "date_low")[0]
        out.append({"project_id": project, "project": d["project"], "stage": d["stage"], "decision": _mid(d),
                    "start": start, "lead_years": start - _mid(d), "bound": pd.NA if d["bound"] is None else d["bound"],
                    "sources": (d["source_id"],)})
    return pd.DataFrame(out)


def published_stage_times(estimates: pd.DataFrame) -> pd.DataFrame:
    """Published build times of one stage that run from a decision (see :data:`FROM_DECISION`)."""
    rows = estimates[estimates["scope"].isin(list(SCOPE_STAGE)) & estimates["time_from"].isin(list(FROM_DECISION))
                     & estimates["status"].eq("confirmed")]
    out = []
    for _, r in rows.iterrows():
        low = r["time_low_years"] if pd.notna(r["time_low_years"]) else r["time_high_years"]
        high = r["time_high_years"] if pd.notna(r["time_high_years"]) else r["time_low_years"]
        out.append({"estimate_id": r["estimate_id"], "stage": SCOPE_STAGE[r["scope"]], "low": float(low),
                    "high": float(high), "who": r["who"], "source_id": r["source_id"]})
    return pd.DataFrame(out)


def cancellations(history: pd.DataFrame) -> dict:
    """Projects with an outcome: started (an actual start, or an 'operating' status) or failed (last status
    cancelled or bankrupt). Returns counts, the rate and the project ids."""
    failed, started = [], []
    for project, g in _projects(history).items():
        status = sorted_by(_of(g, "status"), "date_of_statement")
        last = status[-1]["project_status"] if status else None
        if last in FAILED:
            failed.append(project)
        elif _of(g, "actual_start") or any(r["project_status"] == "operating" for r in status):
            started.append(project)
    n = len(failed) + len(started)
    if n == 0:
        raise ParameterError("project_history: no project with an outcome in the reference class")
    return {"failed": failed, "started": started, "n": n, "rate": len(failed) / n}


@dataclass(frozen=True)
class ReferenceClass:
    delays: pd.DataFrame
    delay_years: Ranged
    overruns: pd.DataFrame
    overrun: Ranged
    ramps: pd.DataFrame
    ramp_years: Ranged
    lead: pd.DataFrame
    published_times: pd.DataFrame
    lead_years: dict  # stage -> Ranged | None
    cancellation: dict

    @property
    def delay_sample(self) -> np.ndarray:
        """The delays the outlook draws from: every pair, censored ones at their bound, an early start as zero."""
        return np.clip(self.delays["delay_years"].to_numpy(float), 0.0, None)


def stage_lead_years(lead: pd.DataFrame, published: pd.DataFrame, stage: str) -> Ranged | None:
    """A stage's lead time: the observed lead times and published build times of that stage, as one range."""
    lows = list(lead.loc[lead["stage"] == EVIDENCE_STAGE[stage], "lead_years"]) if not lead.empty else []
    highs = list(lows)
    if not published.empty:
        pub = published[published["stage"] == stage]
        lows += list(pub["low"])
        highs += list(pub["high"])
    if not lows:
        return None
    return spread(lows, highs, "years")


def summary(history: pd.DataFrame, estimates: pd.DataFrame) -> ReferenceClass:
    """Every reference-class statistic (see the module docstring)."""
    d, o, r, lead = delays(history), overruns(history), ramp_observations(history), lead_times(history)
    if d.empty or o.empty or r.empty:
        raise ParameterError("project_history: the reference class needs delays, overruns and ramp-ups")
    sample = np.clip(d["delay_years"].to_numpy(float), 0.0, None)
    ratios = o["ratio"].to_numpy(float)
    ramps = r["ramp_years"].to_numpy(float)
    pub = published_stage_times(estimates)
    return ReferenceClass(
        delays=d, delay_years=Ranged(float(sample.min()), float(np.median(sample)), float(sample.max()), "years"),
        overruns=o, overrun=Ranged(float(np.percentile(ratios, 25)), float(np.median(ratios)),
                                   float(np.percentile(ratios, 75)), "x"),
        ramps=r, ramp_years=Ranged(float(ramps.min()), float(np.median(ramps)), float(ramps.max()), "years"),
        lead=lead, published_times=pub, lead_years={s: stage_lead_years(lead, pub, s) for s in STAGES},
        cancellation=cancellations(history),
    )
