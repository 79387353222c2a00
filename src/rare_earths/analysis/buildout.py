"""The rebuild, bottom-up: what the capacity the US lacks would cost at each stage, and how long each stage takes.

For each stage (:data:`rare_earths.analysis.supply.STAGES`), in the stage's unit:

* need ``N`` = the stage's share of magnet demand in the target year
  (:func:`rare_earths.analysis.supply.stage_need`);
* existing ``E`` = capacity operating or under construction in the supply scope
  (:func:`rare_earths.analysis.supply.existing_capacity`);
* gap ``G = max(0, N - E)``: low ``max(0, N.low - E.high)``, central ``max(0, N.central -
  E.central)``, high ``max(0, N.high - E.low)``;
* cost ``C = G * I * F / 1e9`` in USD bn, with ``I`` the capital intensity of Western plants of the
  stage (USD per t/yr, :func:`rare_earths.analysis.gap.stage_intensity`) and ``F`` the overrun
  factor of the reference class (:mod:`rare_earths.analysis.reference_class`); low with the low ends,
  high with the high ends.

The total is the sum over stages (lows, centrals and highs summed). Time: each stage needs its lead
time (decision to first output) plus a ramp-up to nameplate; the chain needs the longest of the
stages that have a gap, since the stages can be built at the same time.

Intensities by stage (:data:`INTENSITY_OF`): mining from mine expansions and, as the upper end,
integrated mine-to-oxide projects (which include separation); separation, metal and magnets from
plants of that stage, in the stage's unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis import gap as gp
from rare_earths.analysis import supply as su
from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError, check_number

USD_PER_BN = 1e9

#: stage -> (evidence stages, capacity bases) whose Western plants give the stage's capital intensity.
INTENSITY_OF = {
    "mining": (("mining_concentration", "integrated_mine_to_oxide"), ("ndpr_equivalent_feed", "ndpr_oxide")),
    "separation": (("separation",), ("ndpr_oxide",)),
    "metal": (("metal",), ("ndpr_metal",)),
    "magnet": (("magnet",), ("magnets",)),
}


def stage_intensities(intensity: pd.DataFrame) -> dict[str, Ranged]:
    """Western capital intensity per stage, USD per t/yr of the stage's unit."""
    out = {}
    for stage, (stages, bases) in INTENSITY_OF.items():
        r = gp.stage_intensity(intensity, stages, bases, in_china=False)
        if r is None:
            raise ParameterError(f"plant_capex: no Western plant gives a capital intensity for {stage}")
        out[stage] = r
    return out


def stage_gap(need: Ranged, existing: Ranged) -> Ranged:
    """``max(0, need - existing)`` as a range (the widest: low need against high existing)."""
    return Ranged(max(0.0, need.low - existing.high), max(0.0, need.central - existing.central),
                  max(0.0, need.high - existing.low), need.unit)


def stage_cost_usd_bn(gap: Ranged, intensity: Ranged, overrun: Ranged) -> Ranged:
    """``gap * intensity * overrun / 1e9``, ends with ends (USD bn)."""
    for name, r in (("intensity", intensity), ("overrun", overrun)):
        check_number(f"{name}.low", r.low, 0.0)
    return Ranged(gap.low * intensity.low * overrun.low / USD_PER_BN,
                  gap.central * intensity.central * overrun.central / USD_PER_BN,
                  gap.high * intensity.high * overrun.high / USD_PER_BN, "USD bn")


def add(ranges) -> Ranged:
    ranges = list(ranges)
    return Ranged(sum(r.low for r in ranges), sum(r.central for r in ranges), sum(r.high for r in ranges),
                  ranges[0].unit if ranges else "")


def stage_years(lead: Ranged, ramp: Ranged) -> Ranged:
    """Lead time plus ramp-up to nameplate (years)."""
    return Ranged(lead.low + ramp.low, lead.central + ramp.central, lead.high + ramp.high, "years")


@dataclass(frozen=True)
class Buildout:
    target_year: int
    magnets: Ranged
    need: dict
    existing: dict
    gap: dict
    intensity: dict
    overrun: Ranged
    cost: dict
    total: Ranged
    years: dict
    chain_years: Ranged | None  # None: no stage has a gap

    def frame(self) -> pd.DataFrame:
        rows = []
        for s in su.STAGES:
            rows.append({"stage": s, "unit": su.STAGE_UNITS[s],
                         **{f"{k}_{e}": getattr(getattr(self, k)[s], e) for k in ("need", "existing", "gap", "cost")
                            for e in ("low", "central", "high")},
                         **{f"intensity_{e}": getattr(self.intensity[s], e) for e in ("low", "central", "high")},
                         **{f"years_{e}": getattr(self.years[s], e) for e in ("low", "central", "high")}})
        return pd.DataFrame(rows)


def bottom_up(magnets: Ranged, fac: su.Factors, existing: dict, intensity: dict, overrun: Ranged, lead: dict,
              ramp: Ranged, target_year: int) -> Buildout:
    """The bottom-up rebuild for a magnet demand in ``target_year`` (see the module docstring)."""
    need = su.stage_need(magnets, fac)
    gaps = {s: stage_gap(need[s], existing[s]) for s in su.STAGES}
    cost = {s: stage_cost_usd_bn(gaps[s], intensity[s], overrun) for s in su.STAGES}
    years = {s: stage_years(lead[s], ramp) for s in su.STAGES}
    building = [s for s in su.STAGES if gaps[s].central > 0]
    chain = None
    if building:
        chain = Ranged(max(years[s].low for s in building), max(years[s].central for s in building),
                       max(years[s].high for s in building), "years")
    return Buildout(target_year, magnets, need, existing, gaps, intensity, overrun, cost, add(cost.values()), years,
                    chain)


def scale(r: Ranged, factor: float) -> Ranged:
    """A range times a factor (``factor >= 0``)."""
    f = check_number("factor", factor, 0.0)
    return Ranged(r.low * f, r.central * f, r.high * f, r.unit, r.bound)


def estimates_usd_bn(estimates: pd.DataFrame) -> pd.DataFrame:
    """Published estimates with a cost, for the comparison: who, scope, status, low and high (USD bn)."""
    rows = estimates[estimates["cost_low_usd_bn"].notna() | estimates["cost_high_usd_bn"].notna()].copy()
    rows["low_usd_bn"] = rows["cost_low_usd_bn"].fillna(rows["cost_high_usd_bn"])
    rows["high_usd_bn"] = rows["cost_high_usd_bn"].fillna(rows["cost_low_usd_bn"])
    return rows[["estimate_id", "who", "covers", "scope", "status", "low_usd_bn", "high_usd_bn", "cost_bound",
                 "source_id", "evidence"]].reset_index(drop=True)


def ratio_to(total: Ranged, value: float) -> Ranged:
    """``value / total`` as a range (how many times the bottom-up total ``value`` is)."""
    check_number("value", value, 0.0)
    if total.low <= 0:
        raise ParameterError("total: the bottom-up total's low end must be above 0 to compare")
    return Ranged(value / total.high, value / total.central, value / total.low, "x")


@dataclass(frozen=True)
class Setting:
    """Everything the bottom-up rebuild and the outlook read from the evidence, assembled once."""

    factors: su.Factors
    pipeline: pd.DataFrame
    reference: object  # rare_earths.analysis.reference_class.ReferenceClass
    intensity: dict
    demand: su.DemandBase
    growth: float


@dataclass(frozen=True)
class Supply:
    """The part of a :class:`Setting` that no demand assumption changes: factors, pipeline, reference
    class and capital intensities (most of the work: a chapter that varies demand computes it once)."""

    factors: su.Factors
    pipeline: pd.DataFrame
    reference: object  # rare_earths.analysis.reference_class.ReferenceClass
    intensity: dict


def supply_side(*, history: pd.DataFrame, estimates: pd.DataFrame, capex: pd.DataFrame,
                conversion: pd.DataFrame) -> Supply:
    """Factors, pipeline, reference class and capital intensities from the evidence tables."""
    from rare_earths.analysis import reference_class as rc

    fac = su.factors(conversion)
    return Supply(fac, su.pipeline(history, fac), rc.summary(history, estimates),
                  stage_intensities(gp.capex_intensity(capex)))


def with_demand(supply: Supply, demand: pd.DataFrame, demand_definition: str = "direct",
                embedded_multiplier: float = 2.0, growth: float | None = None) -> Setting:
    """``supply`` and the US demand of ``demand_definition`` (growth: the data's default when None)."""
    g = su.growth_default(demand) if growth is None else growth
    return Setting(supply.factors, supply.pipeline, supply.reference, supply.intensity,
                   su.demand_base(demand, demand_definition, embedded_multiplier), g)


def setting(*, history: pd.DataFrame, estimates: pd.DataFrame, capex: pd.DataFrame, demand: pd.DataFrame,
            conversion: pd.DataFrame, demand_definition: str = "direct", embedded_multiplier: float = 2.0,
            growth: float | None = None) -> Setting:
    """Factors, pipeline, reference class, capital intensities and demand from the evidence tables."""
    return with_demand(supply_side(history=history, estimates=estimates, capex=capex, conversion=conversion),
                       demand, demand_definition, embedded_multiplier, growth)


def existing(s: Setting, scope: str, magnet_plants_make_metal: bool = False) -> dict[str, Ranged]:
    """Capacity operating or under construction per stage; with ``magnet_plants_make_metal`` the metal stage
    also counts the metal the existing magnet plants' magnets need."""
    out = su.existing_capacity(s.pipeline, scope)
    if magnet_plants_make_metal:
        m, f = out["magnet"], s.factors
        metal = out["metal"]
        out["metal"] = Ranged(metal.low + m.low * f.per_magnet("metal", "low"),
                              metal.central + m.central * f.per_magnet("metal", "central"),
                              metal.high + m.high * f.per_magnet("metal", "high"), metal.unit)
    return out


def from_setting(s: Setting, *, supply_scope: str = "outside_china", magnet_plants_make_metal: bool = False,
                 target_year: int = 2035) -> Buildout:
    """The bottom-up rebuild for demand in ``target_year``."""
    magnets = su.magnets_in(s.demand, s.growth, target_year)
    return bottom_up(magnets, s.factors, existing(s, supply_scope, magnet_plants_make_metal), s.intensity,
                     s.reference.overrun, s.reference.lead_years, s.reference.ramp_years, target_year)
