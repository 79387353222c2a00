"""Demand and supply outside China by stage, in each stage's own unit: what the rebuild and the outlook share.

Stages and units (:data:`STAGES`, :data:`STAGE_UNITS`): ``magnet`` (t/yr of NdFeB magnets), ``metal``
(t/yr of NdPr metal), ``separation`` (t/yr of NdPr oxide) and ``mining`` (t/yr of NdPr oxide
equivalent in concentrate).

Demand (:func:`demand_base`): magnets a year in a base year, by definition:

* ``direct``: US imports and demand of magnets as such (``demand`` rows for the United States,
  definition direct or unspecified, 2025 or later): the range they span, centred on its mid-point
  (two of the three rows may be one analyst's figure repeated, so their median would count it twice);
* ``embedded``: direct times ``embedded_multiplier``. No source measures the magnets inside
  imported goods (USGS says they are significant and excludes them): the multiplier is an assumption;
* ``us_allies``: the magnets China exports to the whole world (the latest year), the tonnage the US
  and its allies would have to make instead.

Demand grows at ``growth`` a year: ``D(y) = D(base) * (1 + growth) ** (y - base_year)``. The default
growth (:func:`growth_default`) is the US Section 232 report's "will likely double in the next
decade": ``factor ** (1 / (year - base_year)) - 1``.

Each stage needs (:func:`stage_need`): magnets ``D``; metal ``D * r`` (``r``: rare-earth content of the
magnet, all counted as NdPr metal); separation and mining ``D * r * k`` (``k``: NdPr oxide per NdPr
metal, from atomic weights). Manufacturing scrap is left out (part of it is recycled; the evidence's
range, 6–73 %, is too wide to use), so the need is a lower bound.

Supply (:func:`pipeline`): every project with ``outlook`` rows in ``project_history``: its capacity
(nameplate mid-point minus what it includes, or, without a nameplate, its latest output), converted to
its stage's unit (REO with the NdPr share of its ore, or the range of the shares in the evidence), its
start (actual start, 'operating' status, or announced start) and, for an operating project, its latest
output or run rate, which anchors its current rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis.evidence import by_key, decimal_year, midpoint, records, sorted_by, spread, window_mid
from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError, check_choice, check_fraction, check_number

STAGES = ("mining", "separation", "metal", "magnet")
STAGE_LABELS = {"mining": "mining and concentration", "separation": "separation", "metal": "metal making",
                "magnet": "magnet making"}
STAGE_UNITS = {"mining": "t/yr NdPr oxide equivalent", "separation": "t/yr NdPr oxide", "metal": "t/yr NdPr metal",
               "magnet": "t/yr NdFeB magnets"}
DEMAND_DEFINITIONS = ("direct", "embedded", "us_allies")
SUPPLY_SCOPES = ("outside_china", "united_states")

#: IUPAC standard atomic weights (g/mol): chemistry, not data.
ATOMIC_WEIGHT = {"Nd": 144.242, "Pr": 140.908, "O": 15.999}
#: Mass of NdPr oxide per mass of metal: Nd2O3 per 2 Nd (low) to Pr6O11 per 6 Pr (high).
OXIDE_PER_METAL = Ranged(
    (2 * ATOMIC_WEIGHT["Nd"] + 3 * ATOMIC_WEIGHT["O"]) / (2 * ATOMIC_WEIGHT["Nd"]),
    ((2 * ATOMIC_WEIGHT["Nd"] + 3 * ATOMIC_WEIGHT["O"]) / (2 * ATOMIC_WEIGHT["Nd"])
     + (6 * ATOMIC_WEIGHT["Pr"] + 11 * ATOMIC_WEIGHT["O"]) / (6 * ATOMIC_WEIGHT["Pr"])) / 2,
    (6 * ATOMIC_WEIGHT["Pr"] + 11 * ATOMIC_WEIGHT["O"]) / (6 * ATOMIC_WEIGHT["Pr"]),
    "t oxide per t metal",
)

_EVIDENCE_STAGE = {"mining_concentration": "mining", "separation": "separation", "metal": "metal", "magnet": "magnet"}


@dataclass(frozen=True)
class Factors:
    ree_content: Ranged  # fraction of magnet mass
    oxide_per_metal: Ranged
    ndpr_share: Ranged  # fraction of TREO, the evidence's range
    shares: dict  # factor_id -> fraction
    sources: tuple

    def per_magnet(self, stage: str, which: str = "central") -> float:
        """Tonnes of a stage's product per tonne of magnets."""
        r, k = getattr(self.ree_content, which), getattr(self.oxide_per_metal, which)
        return {"magnet": 1.0, "metal": r, "separation": r * k, "mining": r * k}[stage]


def factors(conversion: pd.DataFrame) -> Factors:
    """The rare-earth content of magnets and the NdPr share of ore, from ``conversion_factors``."""
    ree = conversion[conversion["factor_kind"] == "ree_content_of_magnet"]
    share = conversion[conversion["factor_kind"] == "ndpr_share_of_treo"]
    if ree.empty or share.empty:
        raise ParameterError("conversion_factors: needs ree_content_of_magnet and ndpr_share_of_treo rows")
    r = spread(ree["value_low"] / 100, ree["value_high"].fillna(ree["value_low"]) / 100, "fraction")
    s = spread(share["value_low"] / 100, share["value_high"].fillna(share["value_low"]) / 100, "fraction")
    shares = dict(zip(share["factor_id"], midpoint(share["value_low"], share["value_high"]) / 100))
    return Factors(r, OXIDE_PER_METAL, s, shares, tuple(ree["source_id"]) + tuple(share["source_id"]))


@dataclass(frozen=True)
class DemandBase:
    definition: str
    magnets: Ranged  # t/yr of magnets in base_year
    base_year: int
    rows: pd.DataFrame
    multiplier: float = 1.0

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.rows["source_id"]))


def demand_base(demand: pd.DataFrame, definition: str = "direct", embedded_multiplier: float = 1.0) -> DemandBase:
    """Magnet demand in its base year for a definition (see the module docstring)."""
    check_choice("demand_definition", definition, DEMAND_DEFINITIONS)
    multiplier = check_number("embedded_multiplier", embedded_multiplier, 1.0, None,
                              allowed="must be a multiplier of at least 1")
    magnets = demand[demand["product"] == "ndfeb_magnets"]
    if definition in ("direct", "embedded"):
        rows = magnets[(magnets["region"] == "united_states") & magnets["measure"].isin(["imports", "demand"])
                       & magnets["definition"].isin(["direct", "unspecified"]) & (magnets["year"] >= 2025)]
    else:
        exports = magnets[(magnets["region"] == "china") & (magnets["measure"] == "exports")]
        rows = exports[exports["year"] == exports["year"].max()] if not exports.empty else exports
    if rows.empty:
        raise ParameterError(f"demand_definition={definition}: no demand rows for it in demand.csv")
    low = float(rows["value_low"].min())
    high = float(rows["value_high"].fillna(rows["value_low"]).max())
    m = multiplier if definition == "embedded" else 1.0
    scaled = Ranged(low * m, (low + high) / 2 * m, high * m, "t/yr magnets")
    return DemandBase(definition, scaled, int(rows["year"].min()), rows, m)


def growth_default(demand: pd.DataFrame) -> float:
    """The yearly growth implied by the US growth factor in ``demand`` (Section 232: "will likely double")."""
    rows = demand[(demand["region"] == "united_states") & (demand["measure"] == "growth_factor")]
    if rows.empty:
        raise ParameterError("demand.csv: no US growth factor row")
    r = rows.iloc[0]
    years = int(r["year"]) - int(r["base_year"])
    return float(midpoint(r["value_low"], r["value_high"])) ** (1.0 / years) - 1.0


def magnets_in(base: DemandBase, growth: float, year) -> Ranged:
    """Magnet demand in ``year``: ``base * (1 + growth) ** (year - base_year)``."""
    g = check_fraction("demand_growth_rate", growth, 0.0, 1.0)
    f = (1.0 + g) ** (float(year) - base.base_year)
    return Ranged(base.magnets.low * f, base.magnets.central * f, base.magnets.high * f, "t/yr magnets")


def stage_need(magnets: Ranged, fac: Factors) -> dict[str, Ranged]:
    """Each stage's need in its own unit for a magnet demand (low with low factors, high with high)."""
    return {s: Ranged(magnets.low * fac.per_magnet(s, "low"), magnets.central * fac.per_magnet(s, "central"),
                      magnets.high * fac.per_magnet(s, "high"), STAGE_UNITS[s]) for s in STAGES}


def _convert(basis: str, row_stage: str, value: float, fac: Factors, factor_id, which: str) -> tuple[str, float]:
    if basis == "magnets":
        return "magnet", value
    if basis == "ndpr_metal":
        return "metal", value
    if basis == "ndpr_oxide":
        return "separation", value
    if basis == "ndpr_equivalent_feed":
        return "mining", value
    if basis in ("reo", "treo_feed"):
        share = fac.shares[factor_id] if isinstance(factor_id, str) and factor_id in fac.shares else \
            getattr(fac.ndpr_share, which)
        return _EVIDENCE_STAGE[row_stage], value * share
    raise ParameterError(f"capacity_basis={basis}: not a basis the outlook counts")


def pipeline(history: pd.DataFrame, fac: Factors) -> pd.DataFrame:
    """The projects outside China the outlook counts, one row each (see the module docstring).

    Columns: ``project_id``, ``project``, ``company``, ``country``, ``in_us``, ``stage``, ``capacity_low``,
    ``capacity``, ``capacity_high`` (stage unit), ``operating``, ``existing`` (operating or under construction),
    ``start`` (decimal year; NaN for a plant at full rate), ``start_text``, ``anchor_t``, ``anchor_u``,
    ``sources``.
    """
    every = records(history)
    by_project = by_key(every, "project_id")
    out = []
    for project, g in by_key([r for r in every if r["outlook"]], "project_id").items():
        everything = by_project[project]
        plates = [r for r in g if r["measure"] == "nameplate"]
        outputs = [r for r in g if r["measure"] in ("output", "run_rate")]
        starts = [r for r in g if r["measure"] in ("announced_start", "actual_start", "status")]
        if plates:
            cap_row = plates[0]
        elif outputs:
            cap_row = sorted_by(outputs, "date_high")[-1]
        else:
            raise ParameterError(f"project_history: project {project!r} feeds the outlook without a capacity")
        included = 0.0 if pd.isna(cap_row["capacity_included"]) else float(cap_row["capacity_included"])
        low = float(cap_row["value"]) - included
        high = (float(cap_row["value_high"]) if pd.notna(cap_row["value_high"]) else float(cap_row["value"])) - included
        raw = (low + high) / 2.0
        stage, cap = _convert(cap_row["capacity_basis"], cap_row["stage"], raw, fac, cap_row["factor_id"], "central")
        _, cap_low = _convert(cap_row["capacity_basis"], cap_row["stage"], low, fac, cap_row["factor_id"], "low")
        _, cap_high = _convert(cap_row["capacity_basis"], cap_row["stage"], high, fac, cap_row["factor_id"], "high")
        start, start_text, operating = np.nan, "", False
        if starts:
            s = starts[0]
            if s["measure"] == "status":
                start, operating = decimal_year(s["date_of_statement"]), s["project_status"] == "operating"
                start_text = f"{s['project_status']} ({s['date_of_statement']:%Y-%m})"
            else:
                start, operating = window_mid(s["date_low"], s["date_high"]), s["measure"] == "actual_start"
                start_text = f"{s['milestone']}: {s['value_text']}"
        elif cap_row["measure"] in ("output", "run_rate"):
            operating, start_text = True, f"operating ({cap_row['milestone']} output)"
        anchor_t = anchor_u = np.nan
        anchors = [r for r in outputs if r["event_id"] != cap_row["event_id"]]
        if operating and anchors:
            a = sorted_by(anchors, "date_high")[-1]
            if a["capacity_basis"] != cap_row["capacity_basis"]:
                raise ParameterError(f"project_history: {a['event_id']} anchors {project!r} in another basis")
            anchor_t = window_mid(a["date_low"], a["date_high"])
            anchor_u = min(1.0, float(a["value"]) / raw)
        status = sorted_by([r for r in everything if r["measure"] == "status"], "date_of_statement")
        last = status[-1]["project_status"] if status else None
        existing = operating or last in ("construction", "commissioning")
        out.append({
            "project_id": project, "project": cap_row["project"], "company": cap_row["company"],
            "country": cap_row["country"], "in_us": cap_row["country"] == "United States", "stage": stage,
            "capacity_low": cap_low, "capacity": cap, "capacity_high": cap_high, "operating": operating,
            "existing": bool(existing), "status": last or ("operating" if operating else "announced"),
            "start": start, "start_text": start_text, "anchor_t": anchor_t, "anchor_u": anchor_u,
            "sources": tuple(dict.fromkeys(r["source_id"] for r in g)),
        })
    frame = pd.DataFrame(out)
    frame["stage"] = pd.Categorical(frame["stage"], categories=list(STAGES))
    return frame.sort_values(["stage", "start"], na_position="first", kind="stable").reset_index(drop=True).assign(
        stage=lambda f: f["stage"].astype(str))


def in_scope(pipe: pd.DataFrame, scope: str) -> pd.DataFrame:
    """The projects a supply scope counts: all outside China, or those in the United States."""
    check_choice("supply_scope", scope, SUPPLY_SCOPES)
    return pipe if scope == "outside_china" else pipe[pipe["in_us"]]


def existing_capacity(pipe: pd.DataFrame, scope: str) -> dict[str, Ranged]:
    """Capacity operating or under construction, per stage (sums of the projects' low, central and high)."""
    rows = in_scope(pipe, scope)
    rows = rows[rows["existing"]]
    out = {}
    for s in STAGES:
        g = rows[rows["stage"] == s]
        out[s] = Ranged(float(g["capacity_low"].sum()), float(g["capacity"].sum()), float(g["capacity_high"].sum()),
                        STAGE_UNITS[s])
    return out
