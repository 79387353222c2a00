"""Key numbers of the outlook domain: when the US could stand alone, stage by stage, from the Monte Carlo of
:mod:`rare_earths.analysis.outlook`, and the reference-class statistics it draws on."""

from __future__ import annotations

import math

from rare_earths.analysis import outlook as ol
from rare_earths.analysis import supply as su
from rare_earths.numbers.buildout import setting_from
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("outlook.",)
CHAPTER = ("outlook",)
#: The years whose probabilities the book prints.
YEARS = (2028, 2030, 2035)
PARAMS = ("demand_definition", "embedded_multiplier", "demand_growth_rate", "supply_scope", "magnet_plants_make_metal",
          "horizon", "delay_scale", "cancellation_rate", "ramp_up_years", "draws", "seed")


#: Outlook runs a context (or its store) keeps; a sweep's thousand points would otherwise keep a thousand.
_RUNS_KEPT = 64


def run(ctx: Context, p) -> tuple:
    """The build-out setting and the outlook's Monte Carlo for ``p``, run once per context or store
    (the chapter's figures read the run its numbers read: ``rare_earths.figures.outlook.run``)."""
    s = setting_from(ctx, p)
    runs = ctx.derived("outlook.runs", dict)
    key = tuple(p[k] for k in PARAMS)
    if key not in runs:
        if len(runs) >= _RUNS_KEPT:
            runs.clear()
        runs[key] = ol.from_setting(
            s, supply_scope=p["supply_scope"], magnet_plants_make_metal=p["magnet_plants_make_metal"] == "yes",
            delay_scale=p["delay_scale"], cancellation_rate=p["cancellation_rate"], ramp_up_years=p["ramp_up_years"],
            draws=p["draws"], seed=p["seed"], horizon=p["horizon"])
    return s, runs[key]


def _worker_run(p: dict):
    """One outlook run in a worker forked from a chapter's kernel (it inherits the kernel's store)."""
    from rare_earths.numbers.model import shared_store

    return run(Context(p, store=shared_store()), p)[1]


def run_all(store, ps: list[dict]) -> list:
    """The outlook runs for each of ``ps`` (parameter dicts with every name of :data:`PARAMS`), those not
    yet in ``store`` computed on forked workers (:func:`rare_earths.numbers.workers.forked_workers`) and
    kept in it, so what a chapter runs next (a fork of it included) finds them."""
    from rare_earths.numbers.workers import forked_workers, seconds_of

    runs = Context({}, store=store).derived("outlook.runs", dict)
    missing = list({tuple(p[k] for k in PARAMS): p for p in ps if tuple(p[k] for k in PARAMS) not in runs}.items())
    if missing:  # one here, timed: the rest go to every core if they are worth a fork
        (_, first), missing = missing[0], missing[1:]
        with forked_workers(len(missing), seconds_of(lambda: run(Context(first, store=store), first))) as pool:
            if pool is not None:
                for (key, _), result in zip(missing, pool.map(_worker_run, [p for _, p in missing])):
                    if len(runs) >= _RUNS_KEPT:
                        runs.clear()
                    runs[key] = result
    return [run(Context(p, store=store), p)[1] for p in ps]


def build(ctx: Context) -> list[KeyNumber]:
    p = ctx.params
    s, r = run(ctx, p)
    pipe = su.in_scope(s.pipeline, p["supply_scope"])
    sources = tuple(dict.fromkeys([x for t in pipe["sources"] for x in t] + list(s.demand.sources)))
    ref = s.reference
    how = f"{r.draws:,} draws, seed {r.seed}"
    intro = CHAPTER + ("intro",)
    out = []
    for y in YEARS:
        defined = y <= r.years[-1]
        for si, st in enumerate(su.STAGES + ("all",)):
            label = f"Probability that {su.STAGE_LABELS.get(st, 'every stage')} outside China covers US demand in {y}"
            id_ = f"outlook.p_cover_{st}_{y}"
            if not defined:
                out.append(KeyNumber(id_, None, "%", label, "share of draws with supply >= demand", sources, PARAMS,
                                     chapters=intro, status=f"undefined: the horizon is {r.years[-1]}"))
                continue
            yi = r.year_index(y)
            value = r.p_all[yi] if st == "all" else r.p_cover[si, yi]
            out.append(KeyNumber(id_, float(value * 100), "%", label,
                                 f"share of the {how} in which supply >= demand in {y}", sources, PARAMS,
                                 chapters=intro, decimals=0))
        for si, st in enumerate(su.STAGES):
            id_ = f"outlook.self_sufficiency_{st}_{y}"
            label = f"Self-sufficiency in {su.STAGE_LABELS[st]} in {y}: supply outside China over US demand (median, " \
                    f"10th and 90th percentiles)"
            if not defined:
                out.append(KeyNumber(id_, None, "%", label, "supply / demand x 100", sources, PARAMS, chapters=CHAPTER,
                                     status=f"undefined: the horizon is {r.years[-1]}"))
                continue
            yi = r.year_index(y)
            q10, q50, q90 = (float(r.ratio[k, si, yi] * 100) for k in range(3))
            out.append(KeyNumber(id_, q50, "%", label, f"percentiles of supply / demand x 100 over the {how}", sources,
                                 PARAMS, low=q10, high=q90, chapters=CHAPTER, decimals=0))
    for y in sorted({2030, int(r.years[-1])} & set(int(v) for v in r.years)):
        yi = r.year_index(y)
        for si, st in enumerate(su.STAGES):
            out.append(KeyNumber(f"outlook.binding_share_{st}_{y}", float(r.binding[si, yi] * 100), "%",
                                 f"Share of draws in which {su.STAGE_LABELS[st]} is the stage furthest from covering "
                                 f"demand in {y}", f"share of the {how} in which {st} has the lowest supply / demand",
                                 sources, PARAMS, chapters=CHAPTER, decimals=0))
    for si, st in enumerate(su.STAGES + ("all",)):
        q = r.first_year_all if st == "all" else r.first_year[:, si]
        label = f"First year {su.STAGE_LABELS.get(st, 'every stage')} covers US demand (median draw; 10th and 90th " \
                "percentiles)"
        id_ = f"outlook.first_year_{st}"
        if not math.isfinite(q[1]):
            out.append(KeyNumber(id_, None, "year", label, "median over draws of the first year supply >= demand",
                                 sources, PARAMS, chapters=intro,
                                 status=f"not by {r.years[-1]} in at least half the draws"))
            continue
        hi = q[2] if math.isfinite(q[2]) else float(r.years[-1])
        out.append(KeyNumber(id_, float(q[1]), "year", label,
                             f"percentiles over the {how} of the first year with supply >= demand"
                             + ("" if math.isfinite(q[2]) else f" (the 90th percentile is after {r.years[-1]}: "
                                                               "high shown as the horizon)"),
                             sources, PARAMS, low=float(q[0]), high=float(hi), chapters=intro, decimals=0))
    for st in su.STAGES:
        out.append(KeyNumber(f"outlook.projects_{st}", float((pipe["stage"] == st).sum()), "projects",
                             f"Projects outside China counted at the {su.STAGE_LABELS[st]} stage ({p['supply_scope']})",
                             "count of project_history projects with outlook rows", (), ("supply_scope",),
                             tables=("project_history",), chapters=CHAPTER, decimals=0))
    d = ref.delays
    out += [
        KeyNumber("outlook.delay_years", ref.delay_years.central, "years",
                  "Delay of a project's start against its first announcement in the reference class (median; range)",
                  "median and range of " + ", ".join(f"{x.project_id} {max(0.0, x.delay_years):.2f}"
                                                     + ("+" if x.censored else "") for x in d.itertuples()),
                  tuple(dict.fromkeys(x for t in d["sources"] for x in t)), low=ref.delay_years.low,
                  high=ref.delay_years.high, chapters=CHAPTER, decimals=1,
                  note="'+': not started yet, so the delay so far is a lower bound; an early start counts as none."),
        KeyNumber("outlook.delay_pairs", float(len(d)), "projects", "Projects whose start can be set against its "
                  "first announcement", "count", (), tables=("project_history",), chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.delay_censored", float(d["censored"].sum()), "projects",
                  "Of those, projects not started yet (their delay so far is a lower bound)", "count", (),
                  tables=("project_history",), chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.reference_outcomes", float(ref.cancellation["n"]), "projects",
                  "Projects in the reference class with an outcome (started, or cancelled or bankrupt)", "count", (),
                  tables=("project_history",), chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.reference_failed", float(len(ref.cancellation["failed"])), "projects",
                  "Of those, projects that failed (" + ", ".join(ref.cancellation["failed"]) + ")", "count", (),
                  tables=("project_history",), chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.reference_ramp_years", ref.ramp_years.central, "years",
                  "Years to ramp up to nameplate in the reference class (median; range)",
                  "t / u per project: " + ", ".join(f"{x.project_id} {x.years_since_start:.2f} / {x.utilisation:.3f}"
                                                    for x in ref.ramps.itertuples()),
                  tuple(dict.fromkeys(x for t in ref.ramps["sources"] for x in t)), low=ref.ramp_years.low,
                  high=ref.ramp_years.high, chapters=CHAPTER, decimals=1),
        KeyNumber("outlook.cancellation_rate_pct", p["cancellation_rate"] * 100, "%",
                  "Cancellation probability used for each project not yet operating",
                  "parameter cancellation_rate x 100 (default: failed / outcomes in the reference class)", (),
                  ("cancellation_rate",), chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.ramp_up_years", float(p["ramp_up_years"]), "years", "Ramp-up to nameplate used",
                  "parameter ramp_up_years (default: the reference class's median)", (), ("ramp_up_years",),
                  chapters=CHAPTER, decimals=1),
        KeyNumber("outlook.delay_scale", float(p["delay_scale"]), "x", "Multiplier on the reference-class delays used",
                  "parameter delay_scale", (), ("delay_scale",), chapters=CHAPTER, decimals=-1),
        KeyNumber("outlook.draws", float(r.draws), "draws", "Monte Carlo draws", "parameter draws", (), ("draws",),
                  chapters=CHAPTER, decimals=0),
        KeyNumber("outlook.horizon", float(r.years[-1]), "year", "Last year of the outlook", "parameter horizon", (),
                  ("horizon",), chapters=CHAPTER, decimals=0),
    ]
    yi = r.year_index(2030) if 2030 <= r.years[-1] else len(r.years) - 1
    out.append(KeyNumber("outlook.demand_magnets_2030_t", float(r.demand[1, 3, yi]), "t/yr magnets",
                         f"US magnet demand in {int(r.years[yi])} ({p['demand_definition']}; median and 10th–90th "
                         "percentile of the draws)", "base demand drawn uniformly between its ends, grown at "
                         f"{p['demand_growth_rate']:.4f} a year", s.demand.sources,
                         ("demand_definition", "embedded_multiplier", "demand_growth_rate", "draws", "seed"),
                         low=float(r.demand[0, 3, yi]), high=float(r.demand[2, 3, yi]), chapters=CHAPTER, decimals=0))
    return out

