"""Figure and tables of the bottom-up rebuild (rebuild chapter): the cost of the capacity the US lacks, stage by
stage, against the seed's $200 billion and every published estimate found."""

from __future__ import annotations

import altair as alt
import pandas as pd

from rare_earths.analysis import buildout as bo
from rare_earths.analysis import supply as su
from rare_earths.data.load import load_table
from rare_earths.figures import charts, figure
from rare_earths.format import TextFact
from rare_earths.numbers.buildout import PARAMS, setting_for

KIND_LABELS = {"stage": "This book, by stage", "total": "This book, all stages", "published": "Published estimate",
               "unverified": "Attributed, not verified", "seed": "The seed article"}
KIND_COLOURS = {"stage": charts.OKABE_ITO["sky_blue"], "total": charts.OKABE_ITO["blue"],
                "published": charts.OKABE_ITO["bluish_green"], "unverified": charts.NEUTRAL_COLOUR,
                "seed": charts.OKABE_ITO["vermillion"]}


def compute(params: dict) -> tuple[bo.Setting, bo.Buildout]:
    s = setting_for(params)  # the setting the chapter's numbers read (computed once per process and data)
    b = bo.from_setting(s, supply_scope=params["supply_scope"],
                        magnet_plants_make_metal=params["magnet_plants_make_metal"] == "yes",
                        target_year=params["horizon"])
    return s, b


def buildout_data(params: dict) -> pd.DataFrame:
    """The plotted rows: cost by stage and in total (this book), the published estimates and the seed, USD bn."""
    s, b = compute(params)
    rows = []
    for st in su.STAGES:
        c = b.cost[st]
        rows.append({"label": f"{su.STAGE_LABELS[st].capitalize()} (book)", "kind": "stage", "low_usd_bn": c.low,
                     "central_usd_bn": c.central, "high_usd_bn": c.high, "covers": f"US {params['demand_definition']} "
                     f"demand in {params['horizon']}, {params['supply_scope']}", "source_id": ""})
    t = b.total
    rows.append({"label": "All stages (book)", "kind": "total", "low_usd_bn": t.low, "central_usd_bn": t.central,
                 "high_usd_bn": t.high, "covers": rows[-1]["covers"], "source_id": ""})
    est = bo.estimates_usd_bn(load_table("published_estimates"))
    for r in est.itertuples():
        kind = "seed" if r.status == "claim_under_test" else ("unverified" if r.status == "unverified_attribution"
                                                               else "published")
        who = r.who.split(" (")[0].split(" attributing")[0]
        high = r.high_usd_bn
        rows.append({"label": f"{who}{' (over)' if r.cost_bound == '>' else ''}", "kind": kind, "low_usd_bn": r.low_usd_bn,
                     "central_usd_bn": (r.low_usd_bn + high) / 2, "high_usd_bn": high, "covers": r.covers,
                     "source_id": r.source_id})
    data = pd.DataFrame(rows)
    data["kind_label"] = data["kind"].map(KIND_LABELS)
    for c in ("low_usd_bn", "central_usd_bn", "high_usd_bn"):
        data[c] = data[c].round(4)
    return data


@figure("buildout-by-stage", chapter="rebuild", title="The rebuild, bottom-up, against $200 billion and other estimates",
        parameters=PARAMS)
def buildout_by_stage(params: dict) -> charts.Figure:
    data = buildout_data(params)
    x_title = charts.axis_title("Investment, symmetric log scale", "USD bn")
    kinds = list(KIND_LABELS)
    colour = alt.Color("kind_label:N", title=None, legend=alt.Legend(orient="bottom", columns=3),
                       scale=alt.Scale(domain=[KIND_LABELS[k] for k in kinds], range=[KIND_COLOURS[k] for k in kinds]))
    scale = alt.Scale(type="symlog", constant=1, domain=[0, 400])
    y = alt.Y("label:N", title=None, sort=list(data["label"]), axis=alt.Axis(labelLimit=260))
    bars = alt.Chart().mark_bar(height=12).encode(
        x=alt.X("low_usd_bn:Q", title=x_title, scale=scale), x2="high_usd_bn:Q", y=y, color=colour,
        tooltip=charts.tooltips("label", "kind_label", "low_usd_bn", "central_usd_bn", "high_usd_bn", "covers", "source_id"))
    ticks = [alt.Chart().mark_tick(thickness=2, size=16).encode(x=alt.X(f"{end}_usd_bn:Q", title=x_title, scale=scale),
                                                                 y=y, color=colour) for end in ("low", "high")]
    dots = alt.Chart().mark_point(shape="diamond", size=70, filled=True, color="black").encode(
        x=alt.X("central_usd_bn:Q", title=x_title, scale=scale), y=y)
    chart = alt.layer(bars, *ticks, dots, data=data).properties(width=360, height=300)
    total = data[data["kind"] == "total"].iloc[0]
    sources = [s for s in data["source_id"] if s] + list(dict.fromkeys(
        list(load_table("plant_capex")["capacity_source_id"]) + list(load_table("demand")["source_id"])))
    return charts.Figure(
        id="buildout-by-stage", chart=chart, data=data,
        caption=(
            f"Cost of the capacity the United States lacks for its {params['demand_definition']} magnet demand in "
            f"{params['horizon']}, by stage, in USD bn (bar: low to high; diamond: central), against the published "
            "estimates found and the seed's 'over $200 billion' (SMM, 2025-09-18). Capacity gaps from the plants "
            "operating or under construction (project_history, 2010–2026 statements), capital intensity from "
            "Western plants' capex (plant_capex), overrun from the reference class. Estimates: Goldman Sachs (2023, "
            "West replicating China's NdPr output), BCG (2023, global mining only), Rare Earth Exchanges (2025, half "
            "of Western needs); grey: attributions not found in the attributed source's own text."
        ),
        alt_text=(
            f"Horizontal ranges on a symmetric log scale. The book's bottom-up total runs from {total.low_usd_bn:.1f} "
            f"to {total.high_usd_bn:.1f} billion US dollars, with metal and magnet making the largest stages; "
            "Goldman Sachs's 15 to 30 billion, BCG's 30 billion and REEx's 50 to 75 billion lie above it, and the "
            "seed's 200 billion far above all of them."
        ),
        sources=list(dict.fromkeys(sources)), chapter="rebuild",
    )


def stage_table(params: dict) -> pd.DataFrame:
    """Need, existing capacity, gap, intensity, cost and years by stage, for display."""
    _, b = compute(params)

    def r(x, d=0, scale=1.0):
        return f"{x.central * scale:,.{d}f} ({x.low * scale:,.{d}f}–{x.high * scale:,.{d}f})"

    return pd.DataFrame([{
        "stage": su.STAGE_LABELS[st], "unit": su.STAGE_UNITS[st], "needed": r(b.need[st]),
        "operating or under construction": r(b.existing[st]), "lacking": r(b.gap[st]),
        "USD thousand per t/yr": r(b.intensity[st], 0, 1 / 1000), "cost (USD bn)": r(b.cost[st], 2),
        "years to nameplate": r(b.years[st], 1)} for st in su.STAGES])


def estimates_table() -> pd.DataFrame:
    """Every published estimate of the rebuild's cost or time, with its basis and status."""
    e = load_table("published_estimates")

    def span(lo, hi, bound):
        if pd.isna(lo) and pd.isna(hi):
            return ""
        lo = hi if pd.isna(lo) else lo
        hi = lo if pd.isna(hi) else hi
        prefix = {">": "over ", ">=": "at least ", "<=": "up to ", "~": "about "}.get(str(bound), "")
        return prefix + (f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}")

    return pd.DataFrame({
        "who": e["who"], "covers": e["covers"],
        "cost (USD bn)": [span(a, b, c) for a, b, c in zip(e["cost_low_usd_bn"], e["cost_high_usd_bn"], e["cost_bound"])],
        "time (years)": [span(a, b, c) for a, b, c in zip(e["time_low_years"], e["time_high_years"], e["time_bound"])],
        "from": e["time_from"].fillna(""), "basis": e["basis"], "status": e["status"].str.replace("_", " "),
        "evidence": e["evidence"], "source": e["source_id"],
    })


def text_facts(params: dict) -> list[TextFact]:
    """Words for the prose (``buildout.text.*``): the stages with a gap, the scope and definition in words."""
    _, b = compute(params)
    lacking = [su.STAGE_LABELS[st] for st in su.STAGES if b.gap[st].central > 0]
    words = " and ".join(lacking) if len(lacking) <= 2 else ", ".join(lacking[:-1]) + " and " + lacking[-1]
    return [
        TextFact("buildout.text.lacking", words or "no stage"),
        TextFact("buildout.text.definition", {"direct": "magnets bought as such", "embedded": "magnets bought as such "
                 "and inside imported goods (an assumed multiple)", "us_allies": "the magnets China exports to the "
                 "whole world"}[params["demand_definition"]]),
        TextFact("buildout.text.scope", {"outside_china": "every plant outside China",
                                          "united_states": "plants in the United States"}[params["supply_scope"]]),
    ]
