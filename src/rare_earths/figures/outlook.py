"""Figures and tables of the outlook chapter ("When could the US stand alone?"): the fan of self-sufficiency per
stage, the probability that each stage covers demand, what moves the answer, and the projects counted."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from rare_earths.analysis import outlook as ol
from rare_earths.analysis import supply as su
from rare_earths.data.load import load_table
from rare_earths.figures import charts, figure
from rare_earths.format import TextFact
from rare_earths.numbers.buildout import setting_for
from rare_earths.numbers.model import Context, shared_store
from rare_earths.numbers.outlook import PARAMS
from rare_earths.numbers.outlook import run as outlook_run
from rare_earths.numbers.outlook import run_all

STAGE_ORDER = ("magnet", "metal", "separation", "mining")
STAGE_TITLES = {s: su.STAGE_LABELS[s].capitalize() for s in su.STAGES}
YEARS = (2028, 2030, 2035)


def run(params, **changes) -> ol.OutlookResult:
    """The outlook under ``params`` (with ``changes`` applied), the run the chapter's numbers read: remembered in
    the process's store for the data in use, so a chapter's numbers, figures and tables share one run per set
    of parameters."""
    p = {k: params[k] for k in PARAMS}
    p.update(changes)
    return outlook_run(Context(p, store=shared_store()), p)[1]


def _sources() -> list[str]:
    """The outlook rows' sources, the demand rows every definition reads and the growth rate's source."""
    h = load_table("project_history")
    d = load_table("demand")
    demand = d[(d["product"] == "ndfeb_magnets") & (((d["region"] == "united_states") & (d["year"] >= 2025))
                                                   | (d["measure"] == "exports"))]
    return list(dict.fromkeys(list(h.loc[h["outlook"].fillna(False).astype(bool), "source_id"])
                              + list(demand["source_id"]) + ["thompsonhine_2022_09_232"]))


def fan_data(params: dict) -> pd.DataFrame:
    f = run(params).frame()
    f["stage_title"] = f["stage"].map(STAGE_TITLES)
    for c in ("self_sufficiency_p10_pct", "self_sufficiency_p50_pct", "self_sufficiency_p90_pct", "supply_scheduled",
              "demand_p50", "p_cover_pct", "binding_pct"):
        f[c] = f[c].round(3)
    return f


@figure("outlook-fan", chapter="outlook", title="Self-sufficiency by stage, year by year", parameters=PARAMS)
def outlook_fan(params: dict) -> charts.Figure:
    data = fan_data(params)
    y_title = charts.axis_title("Supply outside China / US demand", "%")
    x = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1))
    band = alt.Chart().mark_area(opacity=0.3, color=charts.PRIMARY_COLOUR).encode(
        x=x, y=alt.Y("self_sufficiency_p10_pct:Q", title=y_title, scale=alt.Scale(zero=True)),
        y2="self_sufficiency_p90_pct:Q")
    line = alt.Chart().mark_line(color=charts.PRIMARY_COLOUR, point=True).encode(
        x=x, y=alt.Y("self_sufficiency_p50_pct:Q", title=y_title),
        tooltip=charts.tooltips("stage_title", "year", "self_sufficiency_p10_pct", "self_sufficiency_p50_pct",
                 "self_sufficiency_p90_pct", "p_cover_pct"))
    full = alt.Chart().mark_rule(strokeDash=[5, 3], color="black").encode(y=alt.datum(100))
    chart = alt.layer(band, line, full, data=data).properties(width=150, height=140).facet(
        facet=alt.Facet("stage_title:N", title=None, sort=[STAGE_TITLES[s] for s in STAGE_ORDER]), columns=2,
    ).resolve_scale(y="independent")
    r2030 = data[data["year"] == min(2030, int(data["year"].max()))].set_index("stage")
    return charts.Figure(
        id="outlook-fan", chart=chart, data=data,
        caption=(
            f"Supply outside China as a share of US {params['demand_definition']} demand, by stage and year, "
            f"{params['draws']:,} Monte Carlo draws (line: median; band: 10th to 90th percentile; dashed: 100 %). "
            "Projects, starts and capacities from project_history (company, government and press statements, "
            "2010–2026), delays, cancellations and ramp-ups from the reference class, demand from Adamas and IEEE "
            "Spectrum (2025) grown at the Section 232 report's rate (2022)."
        ),
        alt_text=(
            "Four small charts, one per stage, of the share of US demand that supply outside China covers, by year. "
            f"In {int(r2030['year'].iloc[0])} the median is {r2030.loc['magnet', 'self_sufficiency_p50_pct']:.0f} % "
            f"for magnet making, {r2030.loc['metal', 'self_sufficiency_p50_pct']:.0f} % for metal making, "
            f"{r2030.loc['separation', 'self_sufficiency_p50_pct']:.0f} % for separation and "
            f"{r2030.loc['mining', 'self_sufficiency_p50_pct']:.0f} % for mining."
        ),
        sources=_sources(), chapter="outlook",
    )


def probability_data(params: dict) -> pd.DataFrame:
    r = run(params)
    rows = []
    for si, st in enumerate(su.STAGES):
        for yi, y in enumerate(r.years):
            rows.append({"series": STAGE_TITLES[st], "year": int(y), "p_cover_pct": round(float(r.p_cover[si, yi] * 100), 3)})
    for yi, y in enumerate(r.years):
        rows.append({"series": "Every stage at once", "year": int(y), "p_cover_pct": round(float(r.p_all[yi] * 100), 3)})
    return pd.DataFrame(rows)


@figure("outlook-probability", chapter="outlook", title="Probability that each stage covers US demand",
        parameters=PARAMS)
def outlook_probability(params: dict) -> charts.Figure:
    data = probability_data(params)
    series = [STAGE_TITLES[s] for s in STAGE_ORDER] + ["Every stage at once"]
    colours = [charts.PALETTE[i] for i in range(4)] + ["#000000"]
    line = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("p_cover_pct:Q", title=charts.axis_title("Probability of covering demand", "%"),
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=colours),
                        legend=alt.Legend(orient="bottom", columns=3)),
        strokeDash=alt.StrokeDash("series:N", sort=series, legend=None,
                                  scale=alt.Scale(domain=series, range=[[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [1, 0]])),
        tooltip=charts.tooltips("series", "year", "p_cover_pct"),
    ).properties(width=440, height=220)
    last = data[data["year"] == data["year"].max()].set_index("series")
    return charts.Figure(
        id="outlook-probability", chart=line, data=data,
        caption=(
            f"Probability that supply outside China covers US {params['demand_definition']} demand in each year, by "
            f"stage and for every stage at once, {params['draws']:,} Monte Carlo draws. Sources as in the fan chart "
            "(project_history, 2010–2026; demand from Adamas and IEEE Spectrum, 2025)."
        ),
        alt_text=(
            f"Lines of probability by year, one per stage. In {int(data['year'].max())} magnet making covers demand "
            f"in {last.loc['Magnet making', 'p_cover_pct']:.0f} % of draws, metal making in "
            f"{last.loc['Metal making', 'p_cover_pct']:.0f} %, every stage at once in "
            f"{last.loc['Every stage at once', 'p_cover_pct']:.0f} %."
        ),
        sources=_sources(), chapter="outlook",
    )


def sensitivity_data(params: dict) -> pd.DataFrame:
    """The outlook's two headline probabilities when one assumption changes at a time."""
    s = setting_for(params)  # the setting the chapter's numbers read
    ref = s.reference
    growth_world = load_table("demand").set_index("demand_id").loc["adamas_world_ndfeb_cagr_2024_2040", "value_low"] / 100
    year_m = min(2030, params["horizon"])
    year_a = min(2035, params["horizon"])
    cases = [
        ("As chosen", {}),
        ("No delays", {"delay_scale": 0.0}),
        ("Twice the delays", {"delay_scale": 2 * params["delay_scale"]}),
        ("No cancellations", {"cancellation_rate": 0.0}),
        ("Half of projects cancelled", {"cancellation_rate": 0.5}),
        ("Fastest ramp-up in the reference class", {"ramp_up_years": ref.ramp_years.low}),
        ("Slowest ramp-up in the reference class", {"ramp_up_years": ref.ramp_years.high}),
        ("Demand growing as Adamas forecasts for the world", {"demand_growth_rate": float(growth_world)}),
        ("Magnet plants make their own metal", {"magnet_plants_make_metal": "yes"}),
        ("US plants only", {"supply_scope": "united_states"}),
    ]
    base = {k: params[k] for k in PARAMS}
    results = run_all(shared_store(), [{**base, **change} for _, change in cases])  # on every core
    rows = []
    for (label, _), r in zip(cases, results):
        rows.append({"case": label, "measure": f"Magnet making covers demand in {year_m}",
                     "p_pct": round(float(r.p_cover[su.STAGES.index("magnet"), r.year_index(year_m)] * 100), 3)})
        rows.append({"case": label, "measure": f"Every stage covers demand in {year_a}",
                     "p_pct": round(float(r.p_all[r.year_index(year_a)] * 100), 3)})
    return pd.DataFrame(rows)


@figure("outlook-sensitivity", chapter="outlook", title="What moves the outlook", parameters=PARAMS)
def outlook_sensitivity(params: dict) -> charts.Figure:
    data = sensitivity_data(params)
    cases = list(dict.fromkeys(data["case"]))
    measures = list(dict.fromkeys(data["measure"]))
    chart = alt.Chart(data).mark_point(filled=True, size=90).encode(
        x=alt.X("p_pct:Q", title=charts.axis_title("Probability", "%"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("case:N", title=None, sort=cases, axis=alt.Axis(labelLimit=300)),
        color=alt.Color("measure:N", title=None, sort=measures, legend=alt.Legend(orient="bottom", columns=1)),
        shape=alt.Shape("measure:N", sort=measures, legend=None, scale=alt.Scale(range=["circle", "diamond"])),
        tooltip=charts.tooltips("case", "measure", "p_pct"),
    ).properties(width=300, height=260)
    base = data[data["case"] == "As chosen"].set_index("measure")["p_pct"]
    return charts.Figure(
        id="outlook-sensitivity", chart=chart, data=data,
        caption=(
            "The outlook's two headline probabilities when one assumption changes and the others stay as chosen "
            f"({params['draws']:,} draws each). Reference-class ramp-ups from Lynas (2015) and MP Materials (2025); "
            "world demand growth from Adamas (2024); projects from project_history (2010–2026)."
        ),
        alt_text=(
            f"A dot plot with one row per change of assumption and two dots per row: the probability that magnet "
            f"making covers demand ({base.iloc[0]:.0f} % as chosen) and that every stage does ({base.iloc[1]:.0f} % as "
            "chosen). Only letting magnet plants make their own metal moves the second probability far from zero."
        ),
        sources=list(dict.fromkeys(_sources() + ["lynas_ar_2015", "adamas_2024_q3_magnet_outlook"])),
        chapter="outlook",
    )


def probability_table(params: dict) -> pd.DataFrame:
    """P(cover) by stage for 2028, 2030 and 2035 (years beyond the horizon left empty), and the median first year."""
    r = run(params)
    rows = []
    for si, st in enumerate(su.STAGES + ("all",)):
        row = {"stage": STAGE_TITLES.get(st, "Every stage at once")}
        for y in YEARS:
            if y > r.years[-1]:
                row[f"P(covers) {y}"] = ""
                continue
            v = r.p_all[r.year_index(y)] if st == "all" else r.p_cover[si, r.year_index(y)]
            row[f"P(covers) {y}"] = f"{v * 100:.0f} %"
        q = r.first_year_all if st == "all" else r.first_year[:, si]
        row["first year covered (median draw)"] = f"{q[1]:.0f}" if math.isfinite(q[1]) else f"after {r.years[-1]}"
        rows.append(row)
    return pd.DataFrame(rows)


def pipeline_table(params: dict) -> pd.DataFrame:
    """The projects counted, by stage: capacity in the stage's unit, start, status, country."""
    s = setting_for(params)  # the setting the chapter's numbers read
    pipe = su.in_scope(s.pipeline, params["supply_scope"])
    return pd.DataFrame({
        "stage": pipe["stage"].map(STAGE_TITLES), "project": pipe["project"], "company": pipe["company"],
        "country": pipe["country"], "capacity": [f"{c:,.0f}" for c in pipe["capacity"]],
        "unit": pipe["stage"].map(su.STAGE_UNITS), "start or status": pipe["start_text"],
        "counted as": np.where(pipe["operating"], "operating", pipe["status"]),
    })


def text_facts(params: dict) -> list[TextFact]:
    """Words for the prose (``outlook.text.*``): the binding stage, the stages that never cover demand."""
    r = run(params)
    horizon = int(r.years[-1])
    year = min(2030, horizon)
    never = [STAGE_TITLES[st].lower() for si, st in enumerate(su.STAGES) if r.p_cover[si].max() < 0.5]
    return [
        TextFact("outlook.text.binding", su.STAGE_LABELS[ol.binding_stage(r, year)]),
        TextFact("outlook.text.binding_horizon", su.STAGE_LABELS[ol.binding_stage(r, horizon)]),
        TextFact("outlook.text.never", " and ".join(never) if never else "no stage"),
        TextFact("outlook.text.definition", {"direct": "magnets bought as such", "embedded": "magnets bought as such "
                 "and inside imported goods (an assumed multiple)", "us_allies": "the magnets China exports to the "
                 "whole world"}[params["demand_definition"]]),
        TextFact("outlook.text.scope", {"outside_china": "every plant outside China",
                                         "united_states": "plants in the United States"}[params["supply_scope"]]),
        TextFact("outlook.text.metal", "counted" if params["magnet_plants_make_metal"] == "yes" else "not counted"),
    ]


def intro_facts(params) -> list[TextFact]:
    """The binding stage for a chapter that does not take the outlook's parameters (the defaults fill them)."""
    from rare_earths.params import resolve_lazily

    p = resolve_lazily({k: params[k] for k in PARAMS if k in params})
    r = run(p)
    return [TextFact("outlook.text.binding", su.STAGE_LABELS[ol.binding_stage(r, min(2030, int(r.years[-1])))])]
