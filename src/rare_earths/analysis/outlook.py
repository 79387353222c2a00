"""The outlook: year by year, supply outside China against US demand at each stage, as a Monte Carlo.

Each draw ``i`` (of ``draws``, from ``numpy.random.default_rng(seed)``, so a seed gives identical
results) and each project ``p`` of the pipeline (:func:`rare_earths.analysis.supply.pipeline`):

* a project not yet operating starts at its announced start plus ``delay_scale * d``, ``d`` drawn
  from the reference class's delays (:attr:`~rare_earths.analysis.reference_class.ReferenceClass.delay_sample`);
  it is cancelled with probability ``cancellation_rate``; an operating project keeps its start and is
  never cancelled;
* output in year ``y`` is ``capacity * ramp(y + 0.5)``, with a linear ramp to nameplate over
  ``ramp_up_years``: ``ramp(t) = clip((t - start) / ramp_up_years, 0, 1)`` (a step at the start when
  ramp_up_years is 0); an operating project with a recent output is anchored to it:
  ``ramp(t) = min(1, u + (t - t_u) / ramp_up_years)`` where it ran at ``u`` of nameplate at ``t_u``;
  a plant with no start date (its capacity is its output) runs at capacity;
* demand is drawn once per draw, uniformly between the low and high ends of the base-year demand,
  and grows at ``growth``; each stage needs its share of it (:meth:`rare_earths.analysis.supply.Factors.per_magnet`,
  central factors);
* self-sufficiency of stage ``s`` in year ``y`` is ``supply / demand``; a stage *covers* demand when it
  is at least 1. With ``magnet_plants_make_metal``, every magnet plant also supplies the metal its
  magnets need (an assumption: the evidence gives no metal capacity for them).

The draws are made in the same order whatever the parameters (every project gets a delay and a
cancellation draw), so with the same seed a longer delay moves every draw's starts later and
never makes a year of first coverage earlier.

Results (:class:`OutlookResult`): the 10th, 50th and 90th percentiles of self-sufficiency and demand
per stage and year, the announced schedule's supply, the probability that each stage (and every stage at once) covers demand
in each year, how often each stage is the one furthest from covering (the binding stage), and the
percentiles of the first year each stage covers demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rare_earths.analysis import supply as su
from rare_earths.params.checks import ParameterError, check_fraction, check_int, check_number

PERCENTILES = (10, 50, 90)
START_YEAR = 2026


@dataclass(frozen=True)
class Inputs:
    """What a run needs, as arrays (one entry per project row; ``draw_of`` maps a row to its random draws)."""

    stage: np.ndarray  # stage index per row
    capacity: np.ndarray
    start: np.ndarray  # NaN: running at capacity
    operating: np.ndarray
    anchor_t: np.ndarray
    anchor_u: np.ndarray
    draw_of: np.ndarray
    n_base: int
    demand_low: float
    demand_high: float
    base_year: int
    growth: float
    per_magnet: np.ndarray  # stage -> t per t of magnets
    delay_sample: np.ndarray


def inputs(pipe: pd.DataFrame, base: su.DemandBase, growth: float, fac: su.Factors, delay_sample,
           magnet_plants_make_metal: bool = False) -> Inputs:
    """Arrays for :func:`simulate` from a pipeline, a demand base, a growth rate and factors."""
    g = check_fraction("demand_growth_rate", growth, 0.0, 1.0)
    sample = np.asarray(check_number("delay_sample", np.asarray(delay_sample, dtype=float), 0.0), dtype=float)
    if sample.size == 0:
        raise ParameterError("delay_sample: the reference class has no delays to draw from")
    index = {s: i for i, s in enumerate(su.STAGES)}
    rows = pipe.reset_index(drop=True)
    stage = rows["stage"].map(index).to_numpy(int)
    cap = rows["capacity"].to_numpy(float)
    start = rows["start"].to_numpy(float)
    operating = rows["operating"].to_numpy(bool)
    at, au = rows["anchor_t"].to_numpy(float), rows["anchor_u"].to_numpy(float)
    draw_of = np.arange(len(rows))
    if magnet_plants_make_metal:
        magnets = np.flatnonzero(stage == index["magnet"])
        stage = np.concatenate([stage, np.full(magnets.size, index["metal"])])
        cap = np.concatenate([cap, cap[magnets] * fac.per_magnet("metal")])
        start, operating = np.concatenate([start, start[magnets]]), np.concatenate([operating, operating[magnets]])
        at, au = np.concatenate([at, at[magnets]]), np.concatenate([au, au[magnets]])
        draw_of = np.concatenate([draw_of, magnets])
    per = np.array([fac.per_magnet(s) for s in su.STAGES])
    return Inputs(stage, cap, start, operating, at, au, draw_of, len(rows), base.magnets.low, base.magnets.high,
                  base.base_year, g, per, np.clip(sample, 0.0, None))


@dataclass
class OutlookResult:
    years: np.ndarray
    stages: tuple
    ratio: np.ndarray  # (3, S, Y) percentiles of supply / demand
    scheduled: np.ndarray  # (S, Y) supply with no delay and no cancellation (the announced schedule)
    demand: np.ndarray  # (3, S, Y) percentiles of demand
    p_cover: np.ndarray  # (S, Y)
    p_all: np.ndarray  # (Y,)
    binding: np.ndarray  # (S, Y) share of draws in which the stage is furthest from covering
    first_year: np.ndarray  # (3, S) percentiles of the first year covered (inf: not by the horizon)
    first_year_all: np.ndarray  # (3,)
    draws: int
    seed: int
    settings: dict = field(default_factory=dict)

    def year_index(self, year: int) -> int:
        hits = np.flatnonzero(self.years == year)
        if hits.size == 0:
            raise ParameterError(f"year={year}: outside the outlook ({self.years[0]}–{self.years[-1]})")
        return int(hits[0])

    def frame(self) -> pd.DataFrame:
        """One row per stage and year: percentiles of self-sufficiency (%), supply, demand, P(cover), binding share."""
        rows = []
        for si, s in enumerate(self.stages):
            for yi, y in enumerate(self.years):
                rows.append({"stage": s, "year": int(y),
                             **{f"self_sufficiency_p{q}_pct": float(self.ratio[k, si, yi] * 100)
                                for k, q in enumerate(PERCENTILES)},
                             "supply_scheduled": float(self.scheduled[si, yi]),
                             "demand_p50": float(self.demand[1, si, yi]),
                             "p_cover_pct": float(self.p_cover[si, yi] * 100),
                             "binding_pct": float(self.binding[si, yi] * 100)})
        return pd.DataFrame(rows)


def simulate(inp: Inputs, *, delay_scale: float = 1.0, cancellation_rate: float = 0.0, ramp_up_years: float = 3.5,
             draws: int = 20_000, seed: int = 0, horizon: int = 2035, start_year: int = START_YEAR) -> OutlookResult:
    """The Monte Carlo (see the module docstring). Memory grows with ``draws * projects`` per year, not with years."""
    scale = check_number("delay_scale", delay_scale, 0.0, 20.0)
    q = check_fraction("cancellation_rate", cancellation_rate, 0.0, 1.0)
    ramp = check_number("ramp_up_years", ramp_up_years, 0.0, 30.0)
    n = check_int("draws", draws, 1, 1_000_000)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    horizon = check_int("horizon", horizon, start_year, 2100)
    years = np.arange(start_year, horizon + 1)
    S, Y, P = len(su.STAGES), len(years), inp.stage.size

    rng = np.random.default_rng(seed)
    u_demand = rng.random(n)
    picks = rng.integers(0, inp.delay_sample.size, size=(n, inp.n_base))
    u_cancel = rng.random((n, inp.n_base))

    # Operating plants have no random part: their supply is the schedule, the same in every draw.
    pending = np.flatnonzero(~inp.operating)
    fixed = schedule(inp, years, ramp, rows=np.flatnonzero(inp.operating))  # (S, Y)
    draw = inp.draw_of[pending]
    # Project-major arrays (one contiguous row of draws per project): fast per-stage sums.
    start = inp.start[pending][:, None] + inp.delay_sample[picks[:, draw].T] * scale  # (Pp, n)
    weight = np.where(u_cancel[:, draw].T >= q, inp.capacity[pending][:, None], 0.0)  # cancelled: nothing
    rows_of = [np.flatnonzero(inp.stage[pending] == s) for s in range(S)]

    inv_base = 1.0 / (inp.demand_low + u_demand * (inp.demand_high - inp.demand_low))  # (n,)
    base = 1.0 / inv_base
    ratio = np.empty((S, Y, n), dtype=np.float32)  # float32: half the memory, and percentiles twice as fast
    buf = np.empty_like(start)
    for yi, y in enumerate(years):
        if ramp > 0:
            np.subtract(y + 0.5, start, out=buf)
            buf *= 1.0 / ramp
            np.clip(buf, 0.0, 1.0, out=buf)
        else:
            np.greater_equal(y + 0.5, start, out=buf, casting="unsafe")
        buf *= weight
        grown = (1.0 + inp.growth) ** (y - inp.base_year)
        for s in range(S):
            supply = buf[rows_of[s]].sum(axis=0) if rows_of[s].size else np.zeros(n)
            supply += fixed[s, yi]
            ratio[s, yi] = supply * inv_base * (1.0 / (grown * inp.per_magnet[s]))

    ratio_q = np.percentile(ratio, PERCENTILES, axis=-1)
    base_q = np.percentile(base, PERCENTILES)
    grown = (1.0 + inp.growth) ** (years - inp.base_year)
    demand_q = base_q[:, None, None] * inp.per_magnet[None, :, None] * grown[None, None, :]
    covered = ratio >= 1.0  # (S, Y, n)
    p_cover = covered.mean(axis=-1)
    every = covered.all(axis=0)  # (Y, n)
    p_all = every.mean(axis=-1)
    lowest = ratio.argmin(axis=0)  # (Y, n)
    binding = np.stack([(lowest == s).mean(axis=-1) for s in range(S)])
    first = np.where(covered.any(axis=1), years[covered.argmax(axis=1)], np.inf)  # (S, n)
    first_all = np.where(every.any(axis=0), years[every.argmax(axis=0)], np.inf)
    first_q = np.percentile(first, PERCENTILES, axis=-1, method="lower")
    first_all_q = np.percentile(first_all, PERCENTILES, method="lower")
    return OutlookResult(years, su.STAGES, ratio_q.astype(float), schedule(inp, years, ramp), demand_q, p_cover, p_all, binding, first_q,
                         first_all_q, n, seed,
                         {"delay_scale": scale, "cancellation_rate": q, "ramp_up_years": ramp, "horizon": horizon})


def schedule(inp: Inputs, years, ramp_up_years: float, rows=None) -> np.ndarray:
    """Supply per stage and year (S, Y) with no delay and no cancellation: the announced schedule.

    ``rows`` limits it to some project rows (default: all).
    """
    ramp = check_number("ramp_up_years", ramp_up_years, 0.0, 30.0)
    years = np.asarray(years)
    out = np.zeros((len(su.STAGES), years.size))
    for p in (range(inp.stage.size) if rows is None else rows):
        t = years + 0.5
        if np.isnan(inp.start[p]):
            frac = np.ones(years.size)
        elif np.isfinite(inp.anchor_t[p]) and inp.operating[p]:
            frac = np.ones(years.size) if ramp == 0 else np.minimum(1.0, inp.anchor_u[p] + (t - inp.anchor_t[p]) / ramp)
        elif ramp == 0:
            frac = (t >= inp.start[p]).astype(float)
        else:
            frac = np.clip((t - inp.start[p]) / ramp, 0.0, 1.0)
        out[inp.stage[p]] += inp.capacity[p] * frac
    return out


def binding_stage(result: OutlookResult, year: int) -> str:
    """The stage most often furthest from covering demand in ``year``."""
    return result.stages[int(np.argmax(result.binding[:, result.year_index(year)]))]


def from_setting(s, *, supply_scope: str = "outside_china", magnet_plants_make_metal: bool = False,
                 delay_scale: float = 1.0, cancellation_rate: float | None = None, ramp_up_years: float | None = None,
                 draws: int = 20_000, seed: int = 2026, horizon: int = 2035) -> OutlookResult:
    """The outlook from a :class:`rare_earths.analysis.buildout.Setting` (reference-class defaults where None)."""
    ref = s.reference
    inp = inputs(su.in_scope(s.pipeline, supply_scope), s.demand, s.growth, s.factors, ref.delay_sample,
                 magnet_plants_make_metal)
    q = ref.cancellation["rate"] if cancellation_rate is None else cancellation_rate
    r = ref.ramp_years.central if ramp_up_years is None else ramp_up_years
    return simulate(inp, delay_scale=delay_scale, cancellation_rate=q, ramp_up_years=r, draws=draws, seed=seed,
                    horizon=horizon)
