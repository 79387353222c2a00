"""Figures of "the gap, tested" (cost-gap chapter): every producer's cost against China's implied cost with the
seed's 30–40 % overlaid, and the capital cost per tonne of capacity in and outside China; with the chapter's
tables and words."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from rare_earths.analysis import gap as gp
from rare_earths.data.load import load_table
from rare_earths.figures import charts, figure
from rare_earths.format import TextFact

GROUP_LABELS = {
    "west_reported": "Outside China, reported",
    "west_projected": "Outside China, projected",
    "china_implied": "China, implied (2024)",
    "context": "Context (other basis or year)",
    "seed": "The seed's 30–40 % above China",
}
GROUP_COLOURS = {
    "west_reported": charts.OKABE_ITO["blue"],
    "west_projected": charts.OKABE_ITO["sky_blue"],
    "china_implied": charts.CHINA_COLOUR,
    "context": charts.NEUTRAL_COLOUR,
    "seed": charts.OKABE_ITO["orange"],
}
BOUND_WORDS = {">": " (more than)", "<=": " (at most)", "~": " (about)", "=": ""}
SEED_LOW, SEED_HIGH = 30.0, 40.0


def _label(r) -> str:
    producer = str(r.producer).split(" (")[0].replace("ex-China pipeline", "Incentive price, mines outside China")
    period = str(r.period).split(" (")[0]
    if str(r.year) not in period:
        period = f"{period} {r.year}"
    cost_type = str(getattr(r, "cost_type", "") or "")
    detail = ""
    if "net of" in cost_type:
        detail = ", net of by-product credit"
    elif "basis unclear" in cost_type:
        detail = ", USD as stated"
    basis = {"reo": ", per kg of all REO", "ndpr_equivalent": ", NdPr equivalent"}.get(str(r.product_basis), "")
    return f"{producer}, {period}{detail}{basis}{BOUND_WORDS.get(str(r.bound), '')}"


def _tested() -> gp.GapTested:
    """The test the chapter's numbers read (:func:`rare_earths.numbers.gap.tested`, the process's store)."""
    from rare_earths.numbers.gap import tested
    from rare_earths.numbers.model import Context, shared_store

    return tested(Context({}, store=shared_store()))


def gap_data() -> tuple[pd.DataFrame, gp.GapTested]:
    """The plotted rows: every estimate (USD/kg) and the seed's band, China's implied range times 1.3–1.4."""
    t = _tested()
    est = t.estimates.copy()
    order = {g: i for i, g in enumerate(["west_reported", "west_projected", "china_implied", "context"])}
    est["order"] = est["group"].map(order)
    est = est.sort_values(["order", "low_usd_per_kg"], kind="stable")
    rows = [{"label": _label(r), "group": r.group, "group_label": GROUP_LABELS[r.group],
             "low_usd_per_kg": round(float(r.low_usd_per_kg), 4), "high_usd_per_kg": round(float(r.high_usd_per_kg), 4),
             "bound": r.bound, "basis": r.basis, "year": int(r.year), "estimate_id": r.estimate_id,
             "sources": "; ".join(r.sources), "kind": "estimate"} for r in est.itertuples()]
    c = t.china.cost
    rows.append({"label": GROUP_LABELS["seed"], "group": "seed", "group_label": GROUP_LABELS["seed"],
                 "low_usd_per_kg": round(c.low * (1 + SEED_LOW / 100), 4),
                 "high_usd_per_kg": round(c.high * (1 + SEED_HIGH / 100), 4), "bound": "=", "basis": "seed_claim",
                 "year": 2025, "estimate_id": "seed_band", "sources": "smm_2025_09_18", "kind": "band"})
    return pd.DataFrame(rows), t


def _sources(data: pd.DataFrame) -> list[str]:
    out = []
    for s in data["sources"]:
        out += [x for x in s.split("; ") if x]
    return list(dict.fromkeys(out))


@figure("gap-tested", chapter="cost-gap", title="The gap, tested: producers' costs against China's implied cost")
def gap_tested(params: dict) -> charts.Figure:
    data, t = gap_data()
    labels = list(data.loc[data["kind"] == "estimate", "label"])
    groups = list(GROUP_LABELS)
    x_title = charts.axis_title("Unit cost of NdPr oxide", "USD/kg")
    colour = alt.Color("group_label:N", title=None, scale=alt.Scale(domain=[GROUP_LABELS[g] for g in groups],
                                                                    range=[GROUP_COLOURS[g] for g in groups]),
                       legend=alt.Legend(orient="bottom", columns=2, symbolOpacity=1))
    band = alt.Chart().transform_filter(alt.datum.kind == "band").mark_rect(opacity=0.22).encode(
        x=alt.X("low_usd_per_kg:Q", title=x_title, scale=alt.Scale(zero=True)), x2="high_usd_per_kg:Q", color=colour)
    band_text = alt.Chart().transform_filter(alt.datum.kind == "band").mark_text(
        align="left", baseline="top", dx=3, dy=2, fontSize=11, color=charts.TEXT_COLOUR).encode(
        x=alt.X("low_usd_per_kg:Q", title=x_title), y=alt.value(0), text=alt.value("seed's 30–40 % above China"))
    y = alt.Y("label:N", title=None, sort=labels, axis=alt.Axis(labelLimit=200))
    bars = alt.Chart().transform_filter(alt.datum.kind == "estimate").mark_bar(height=10).encode(
        x=alt.X("low_usd_per_kg:Q", title=x_title), x2="high_usd_per_kg:Q", y=y, color=colour,
        stroke=alt.when(alt.datum.group == "china_implied").then(alt.value("#000000")).otherwise(alt.value(None)),
        strokeWidth=alt.when(alt.datum.group == "china_implied").then(alt.value(2)).otherwise(alt.value(0)),
        tooltip=charts.tooltips("label", "group_label", "low_usd_per_kg", "high_usd_per_kg", "bound", "year", "sources"))
    ticks = alt.Chart().transform_filter(alt.datum.kind == "estimate").mark_tick(thickness=2, size=14).encode(
        x=alt.X("low_usd_per_kg:Q", title=x_title), y=y, color=colour)
    ticks_high = alt.Chart().transform_filter(alt.datum.kind == "estimate").mark_tick(thickness=2, size=14).encode(
        x=alt.X("high_usd_per_kg:Q", title=x_title), y=y, color=colour)
    chart = alt.layer(band, bars, ticks, ticks_high, band_text, data=data).properties(width=380, height=360)
    c, rep, proj, g = t.china.cost, t.west_reported, t.west_projected, t.reported_gap
    return charts.Figure(
        id="gap-tested", chart=chart, data=data,
        caption=(
            "Unit cost of NdPr oxide by producer and basis, in USD/kg (each figure converted at the exchange rate "
            "recorded with it). Outside China, reported: MP Materials (Q1 2025, via an AI-written article) and Lynas "
            "(annual results 2024 and 2025, all cash costs put on NdPr, so upper bounds); projected: feasibility "
            "studies (Energy Fuels 2026, Arafura 2019–2022) and MP's target. China's cost is implied from 2024 prices "
            "(Argus, Benchmark, Adamas, Lynas) and China Northern Rare Earth's 2024 margins. The shaded band is where "
            "US costs would lie if they were 30–40 % above China's implied cost, as SMM says (2025-09-18)."
        ),
        alt_text=(
            f"Horizontal ranges of unit cost in US dollars per kilogram. Reported costs outside China run from "
            f"{rep.low:.0f} to {rep.high:.0f}, projected ones from {proj.low:.0f} to {proj.high:.0f}; China's "
            f"implied 2024 cost spans {c.low:.0f} to {c.high:.0f}. A shaded band from {c.low * 1.3:.0f} to "
            f"{c.high * 1.4:.0f} marks the seed's 30 to 40 percent gap; of the figures outside China only MP "
            f"Materials' ramp-up cost lies in it."
        ),
        sources=_sources(data), chapter="cost-gap",
    )


def _short(text: str, limit: int = 22) -> str:
    text = str(text).split(" (")[0].split(",")[0].split(" / ")[0]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def capex_data() -> pd.DataFrame:
    """Capital cost per tonne of annual capacity, one row per plant (latest figure), separation and magnets."""
    x = gp.capex_intensity(load_table("plant_capex"))
    rows = []
    for stage, label in (("separation", "Separation (per t/yr of oxide)"), ("magnet", "Magnets (per t/yr)")):
        for in_china in (False, True):
            for r in gp.stage_rows(x, stage, gp.CAPITAL_COMPARISONS[stage], in_china).itertuples():
                rows.append({"stage": label, "country": "China" if in_china else "Outside China",
                             "plant": f"{label.split(' (')[0]}: {_short(r.company)}, {_short(r.plant)} "
                                      f"({r.date_of_figure:%Y})",
                             "low_usd_k_per_t": round(r.intensity_low / 1000, 4),
                             "high_usd_k_per_t": round(r.intensity_high / 1000, 4), "comparability": r.comparability,
                             "status": r.status, "capex_id": r.capex_id,
                             "sources": "; ".join(dict.fromkeys([s for s in (r.source_id, r.capacity_source_id,
                                                                             r.fx_source_id) if isinstance(s, str)]))})
    return pd.DataFrame(rows)


@figure("capex-gap", chapter="cost-gap", title="Capital cost per tonne of capacity, outside China and in China")
def capex_gap(params: dict) -> charts.Figure:
    data = capex_data()
    x_title = charts.axis_title("Capital cost per tonne of annual capacity", "USD thousand per t/yr")
    y = alt.Y("plant:N", title=None, sort=list(data["plant"]), axis=alt.Axis(labelLimit=200))
    enc = charts.china_emphasis("country", "bar")
    bars = alt.Chart().mark_bar(height=10).encode(
        x=alt.X("low_usd_k_per_t:Q", title=x_title, scale=alt.Scale(zero=True)), x2="high_usd_k_per_t:Q", y=y,
        **enc, tooltip=charts.tooltips("plant", "country", "low_usd_k_per_t", "high_usd_k_per_t", "comparability", "status"))
    ticks = alt.Chart().mark_tick(thickness=2, size=14).encode(
        x=alt.X("low_usd_k_per_t:Q", title=x_title), y=y, color=enc["color"])
    ticks_high = alt.Chart().mark_tick(thickness=2, size=14).encode(
        x=alt.X("high_usd_k_per_t:Q", title=x_title), y=y, color=enc["color"])
    chart = alt.layer(bars, ticks, ticks_high, data=data).properties(width=380, height=300)
    x = gp.capex_intensity(load_table("plant_capex"))
    sep, mag = gp.capital_gap(x, "separation"), gp.capital_gap(x, "magnet")
    return charts.Figure(
        id="capex-gap", chart=chart, data=data,
        caption=(
            "Capital cost per tonne of annual capacity of separation and magnet plants, in USD thousand per t/yr "
            "(latest figure per plant; China outlined). Outside China: Iluka (2024), Ucore (2023), MP Materials, "
            "Vulcan Elements, eVAC and Neo (2022–2026 announcements); China: China Northern Rare Earth, JL MAG, "
            "Northern Magnet and Guangsheng (2021–2025, as reported by Metalnomist, REEx and Asian Metal). Chinese "
            "figures are mostly replacements and expansions at existing sites."
        ),
        alt_text=(
            f"Horizontal ranges of capital cost per tonne of yearly capacity. Plants outside China cost "
            f"{sep.central:.1f} times as much per tonne as Chinese ones for separation and {mag.central:.1f} times "
            f"for magnets (central values), with wide ranges."
        ),
        sources=_sources(data), chapter="cost-gap",
    )


def estimates_table() -> pd.DataFrame:
    """The cost estimates of the test, for display: who, what, basis, USD/kg, evidence and sources."""
    t = _tested()
    est = t.estimates
    return pd.DataFrame({
        "estimate": [_label(r) for r in est.itertuples()],
        "group": est["group"].map(GROUP_LABELS),
        "basis": est["basis"].str.replace("_", " "),
        "USD/kg": [f"{lo:.2f}" if lo == hi else f"{lo:.2f}–{hi:.2f}" for lo, hi in
                   zip(est["low_usd_per_kg"], est["high_usd_per_kg"])],
        "how": est["formula"],
        "evidence": est["evidence"],
        "sources": ["; ".join(s) for s in est["sources"]],
    })


def text_facts() -> list[TextFact]:
    """Words for the prose: the verdict the evidence gives the seed's 30–40 % (glued as ``gap.text.*``)."""
    t = _tested()
    verdict = gp.band_verdict(SEED_LOW, SEED_HIGH, t.reported_gap)
    projected = gp.band_verdict(SEED_LOW, SEED_HIGH, t.projected_gap)
    return [
        TextFact("gap.text.verdict", verdict.replace("_", " ")),
        TextFact("gap.text.verdict_projected", projected.replace("_", " ")),
    ]
