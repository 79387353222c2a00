"""Key numbers of the buildout domain: the rebuild costed bottom-up, stage by stage, with the years each stage
needs, next to the seed's "$200 billion" and "15 years" and every published estimate found
(values from :mod:`rare_earths.analysis.buildout` and :mod:`rare_earths.analysis.reference_class`)."""

from __future__ import annotations

from rare_earths.analysis import buildout as bo
from rare_earths.analysis import supply as su
from rare_earths.analysis.ranged import Ranged
from rare_earths.numbers.model import Context, KeyNumber, shared_store

PREFIXES = ("buildout.",)
SEED = "smm_2025_09_18"
CHAPTER = ("rebuild",)
PARAMS = ("demand_definition", "embedded_multiplier", "demand_growth_rate", "supply_scope", "magnet_plants_make_metal",
          "horizon")


def setting_from(ctx: Context, p) -> bo.Setting:
    """The build-out setting for these parameters, assembled once per context (outlook reads it too)."""
    key = ("buildout.setting", p["demand_definition"], p["embedded_multiplier"], p["demand_growth_rate"])

    def supply() -> bo.Supply:  # reads no parameter: one per context or store, whatever the demand
        return ctx.derived(("buildout.supply",), lambda: bo.supply_side(
            history=ctx.table("project_history"), estimates=ctx.table("published_estimates"),
            capex=ctx.table("plant_capex"), conversion=ctx.table("conversion_factors")))

    return ctx.derived(key, lambda: bo.with_demand(
        supply(), ctx.table("demand"), p["demand_definition"], p["embedded_multiplier"], p["demand_growth_rate"]))


def setting_for(params, data=None) -> bo.Setting:
    """The build-out setting for ``params`` from the process's store for ``data``
    (:func:`~rare_earths.numbers.model.shared_store`): the figures read the one the numbers read."""
    return setting_from(Context(params, data, store=shared_store(data)), params)


def _n(id_, r: Ranged, unit, label, formula, sources, params=PARAMS, chapters=CHAPTER, decimals=1, claims=(),
       tables=(), note="", scale=1.0, bound="="):
    return KeyNumber(id_, r.central * scale, unit, label, formula, tuple(dict.fromkeys(sources)), params,
                     low=r.low * scale, high=r.high * scale, chapters=chapters, claims=claims, decimals=decimals,
                     tables=tables, note=note, bound=bound)


def _f(r: Ranged, d=0, scale=1.0) -> str:
    return f"{r.low * scale:,.{d}f}..{r.central * scale:,.{d}f}..{r.high * scale:,.{d}f}"


def build(ctx: Context) -> list[KeyNumber]:
    p = ctx.params
    s = setting_from(ctx, p)
    year = p["horizon"]
    b = bo.from_setting(s, supply_scope=p["supply_scope"], magnet_plants_make_metal=p["magnet_plants_make_metal"] == "yes",
                        target_year=year)
    demand_sources = s.demand.sources
    factor_sources = s.factors.sources
    pipe_sources = tuple(x for t in s.pipeline["sources"] for x in t)
    capex = ctx.table("plant_capex")
    capex_sources = tuple(x for x in capex["source_id"].dropna()) + tuple(capex["capacity_source_id"])
    history_sources = tuple(ctx.table("project_history")["source_id"])
    growth = p["demand_growth_rate"]
    out = [
        _n("buildout.demand_base_t", s.demand.magnets, "t/yr magnets",
           f"US magnet demand in {s.demand.base_year} ({p['demand_definition']})",
           f"range of the demand rows ({', '.join(s.demand.rows['demand_id'])})"
           + (f" x embedded_multiplier {s.demand.multiplier:g}" if s.demand.multiplier != 1 else ""), demand_sources,
           params=("demand_definition", "embedded_multiplier"), chapters=CHAPTER + ("outlook",), decimals=0),
        KeyNumber("buildout.demand_growth_pct", growth * 100, "%/yr", "Yearly growth of US magnet demand used",
                  "parameter demand_growth_rate x 100 (default: 2 ** (1/10) - 1, the Section 232 report's doubling "
                  "in a decade)", ("thompsonhine_2022_09_232",), ("demand_growth_rate",),
                  chapters=CHAPTER + ("outlook",), decimals=1),
        _n("buildout.demand_t", b.magnets, "t/yr magnets", f"US magnet demand in {year}",
           f"base x (1 + growth) ** ({year} - {s.demand.base_year}) = {_f(s.demand.magnets)} x "
           f"{(1 + growth) ** (year - s.demand.base_year):.3f}", demand_sources, decimals=0),
        KeyNumber("buildout.target_year", float(year), "year", "Year whose demand the bottom-up rebuild sizes capacity for",
                  "parameter horizon", (), ("horizon",), chapters=CHAPTER, decimals=0),
        _n("buildout.ree_content_pct", s.factors.ree_content, "%", "Rare-earth content of an NdFeB magnet (by weight)",
           "spread of the conversion factors of kind ree_content_of_magnet", factor_sources, params=(),
           chapters=CHAPTER + ("outlook",), scale=100, decimals=0),
        _n("buildout.oxide_per_metal", s.factors.oxide_per_metal, "t oxide per t metal",
           "NdPr oxide needed per tonne of NdPr metal (from atomic weights: Nd2O3 to Pr6O11)",
           "(2 x 144.242 + 3 x 15.999) / (2 x 144.242) .. (6 x 140.908 + 11 x 15.999) / (6 x 140.908)",
           (), params=(), tables=("conversion_factors",), decimals=2,
           note="Chemistry (IUPAC standard atomic weights), not data."),
        _n("buildout.overrun_factor", s.reference.overrun, "x",
           "Capex overrun factor of the reference class (later figure / figure at decision): quartiles and median",
           "lower quartile, median, upper quartile of " + ", ".join(
               f"{r.project_id} {r.ratio:.2f}" for r in s.reference.overruns.itertuples()),
           tuple(x for t in s.reference.overruns["sources"] for x in t), params=(), decimals=2),
        KeyNumber("buildout.overrun_projects", float(len(s.reference.overruns)), "projects",
                  "Projects in the reference class with a capex at decision and a later figure", "count", (),
                  tables=("project_history",), chapters=CHAPTER, decimals=0),
        _n("buildout.total_usd_bn", b.total, "USD bn",
           f"Bottom-up cost of the capacity the US lacks for {year} demand, all stages",
           "sum over stages of gap x capital intensity x overrun: " + "; ".join(
               f"{st} {_f(b.cost[st], 2)}" for st in su.STAGES), demand_sources + factor_sources + pipe_sources
           + capex_sources, chapters=CHAPTER + ("intro", "claims"), claims=("C26",), decimals=1),
        _n("buildout.seed_multiple", bo.ratio_to(b.total, 200.0), "x",
           "The seed's $200 billion as a multiple of the bottom-up total",
           f"200 / total = 200 / ({_f(b.total, 2)})", (SEED,) + demand_sources + capex_sources,
           chapters=CHAPTER + ("intro", "claims"), claims=("C26",), decimals=0, bound=">",
           note="A lower bound: the seed says 'over $200 billion'."),
    ]
    if b.chain_years is not None:
        out.append(_n("buildout.chain_years", b.chain_years, "years",
                      "Years the chain needs: the longest stage with a gap (lead time plus ramp-up)",
                      "max over stages with a gap of (lead + ramp): " + ", ".join(
                          f"{st} {_f(b.years[st], 1)}" for st in su.STAGES if b.gap[st].central > 0),
                      history_sources, chapters=CHAPTER + ("intro", "claims"), claims=("C25",), decimals=0))
    else:
        out.append(KeyNumber("buildout.chain_years", None, "years", "Years the chain needs", "no stage has a gap",
                             (), PARAMS, tables=("project_history",), chapters=CHAPTER + ("intro", "claims"),
                             status=f"no stage lacks capacity for {year} demand"))
    for st in su.STAGES:
        unit = su.STAGE_UNITS[st]
        label = su.STAGE_LABELS[st]
        out += [
            _n(f"buildout.need_{st}_t", b.need[st], unit, f"Capacity needed for {year} US demand: {label}",
               f"demand x t per t of magnets = {_f(b.magnets)} x {s.factors.per_magnet(st, 'low'):.4f}.."
               f"{s.factors.per_magnet(st, 'high'):.4f}", demand_sources + factor_sources, decimals=0,
               chapters=CHAPTER + ("outlook",)),
            _n(f"buildout.existing_{st}_t", b.existing[st], unit,
               f"Capacity operating or under construction ({p['supply_scope']}): {label}",
               "sum of " + (", ".join(r.project_id for r in s.pipeline.itertuples() if r.stage == st and r.existing)
                            or "no project"), pipe_sources,
               params=("supply_scope", "magnet_plants_make_metal"), decimals=0, chapters=CHAPTER + ("outlook",)),
            _n(f"buildout.gap_{st}_t", b.gap[st], unit, f"Capacity the US lacks: {label}",
               f"max(0, need - existing) = max(0, {_f(b.need[st])} - {_f(b.existing[st])})",
               demand_sources + pipe_sources, decimals=0),
            _n(f"buildout.intensity_{st}_usd_k_per_t", b.intensity[st], "USD thousand per t/yr",
               f"Capital intensity of Western plants: {label}",
               f"spread of the latest capex / added capacity per plant ({', '.join(bo.INTENSITY_OF[st][0])}; "
               f"{', '.join(bo.INTENSITY_OF[st][1])})", capex_sources, params=(), scale=1 / 1000, decimals=0),
            _n(f"buildout.cost_{st}_usd_bn", b.cost[st], "USD bn", f"Bottom-up cost: {label}",
               f"gap x intensity x overrun / 1e9 = {_f(b.gap[st])} x {_f(b.intensity[st])} x "
               f"{_f(b.overrun, 2)} / 1e9", demand_sources + capex_sources + pipe_sources, decimals=1),
            _n(f"buildout.lead_{st}_years", s.reference.lead_years[st], "years",
               f"Lead time from decision to first output: {label}",
               "spread of the reference class's lead times and published build times of the stage",
               history_sources + tuple(s.reference.published_times["source_id"]), params=(), decimals=1),
            _n(f"buildout.years_{st}", b.years[st], "years", f"Years to nameplate: {label}",
               f"lead + ramp-up = {_f(s.reference.lead_years[st], 1)} + {_f(s.reference.ramp_years, 1)}",
               history_sources, params=(), decimals=0),
        ]
    est = bo.estimates_usd_bn(ctx.table("published_estimates"))
    for r in est.itertuples():
        if r.estimate_id == "smm_2025_09_18_rebuild":
            continue
        out.append(KeyNumber(f"buildout.estimate.{r.estimate_id}", (r.low_usd_bn + r.high_usd_bn) / 2, "USD bn",
                             f"{r.who}: {r.covers}", "as published", (r.source_id,), low=r.low_usd_bn,
                             high=r.high_usd_bn, bound=r.cost_bound if isinstance(r.cost_bound, str) else "=",
                             chapters=CHAPTER + (("intro", "claims") if r.estimate_id.startswith("goldman") else ()),
                             claims=("C26",), decimals=0,
                             status="ok", note="" if r.status == "confirmed" else f"status: {r.status}"))
    times = ctx.table("published_estimates").set_index("estimate_id")
    for id_, eid in (("buildout.gao_years", "gao_2010_rebuild_time"), ("buildout.adamas_years", "adamas_2025_full_chain_time")):
        r = times.loc[eid]
        lo = r["time_low_years"] if r["time_low_years"] == r["time_low_years"] else r["time_high_years"]
        out.append(KeyNumber(id_, (float(lo) + float(r["time_high_years"])) / 2, "years", f"{r['who']}: {r['covers']}", "as published",
                             (r["source_id"],), low=float(lo), high=float(r["time_high_years"]), bound=r["time_bound"],
                             chapters=CHAPTER + ("claims", "intro"), claims=("C25",), decimals=0))
    return out
