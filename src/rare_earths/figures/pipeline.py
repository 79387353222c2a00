"""Figures of the pipeline chapter: every dated promise on a timeline with its status at ``as_of``
(China's suspension of its October 2025 export controls as a span), and the capacity announced
outside China against China's own output where an authority gives it in the same unit.

Status words: the package's statuses (:data:`rare_earths.analysis.pipeline.PROMISE_STATUSES`) for project
targets; the suspension is an event, so its row says whether it is in force or past its end date
rather than whether it was "met". Each status has its own colour *and* shape.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from rare_earths.figures import charts
from rare_earths.analysis import pipeline as pl
from rare_earths.analysis.pipeline import days_between
from rare_earths.data.load import load_table
from rare_earths.data.queries import row
from rare_earths.format import TextFact
from rare_earths.figures import figure

#: Status -> (label, colour, shape). Colours from Okabe-Ito; shapes differ for every status.
STATUS_STYLE = {
    "met": ("met (reported)", charts.OKABE_ITO["bluish_green"], "circle"),
    "past_due_unconfirmed": ("past due, not reported met", charts.OKABE_ITO["vermillion"], "triangle-down"),
    "due": ("due soon", charts.OKABE_ITO["orange"], "diamond"),
    "pending": ("pending", charts.OKABE_ITO["blue"], "square"),
    "event_not_yet": ("suspension: not yet announced", charts.NEUTRAL_COLOUR, "triangle-up"),
    "event_in_force": ("suspension: in force", charts.OKABE_ITO["sky_blue"], "triangle-right"),
    "event_ended": ("suspension: end date passed", charts.OKABE_ITO["black"], "cross"),
}

#: Short row labels for the timeline (the dataset's names are long); others fall back to the name.
SHORT_NAMES = {
    "ramaco_brook_mine": "Brook Mine opens (Ramaco)",
    "mp_mountain_pass_heavy_separation": "Heavy rare-earth separation (MP Materials)",
    "evac_sumter_magnets": "Sumter magnets, 2,000 t/yr (eVAC)",
    "mofcom_2025_11_07_suspension": "China suspends Oct 2025 controls (No. 70)",
    "serra_verde_pela_ema": "Pela Ema, 6,500 t/yr TREO (Serra Verde)",
    "mp_10x_magnet_plant": "10X magnet plant (MP Materials)",
    "round_top": "Round Top production (USA Rare Earth)",
}


def event_state(start, end, as_of) -> str:
    """``event_not_yet`` before ``start``, ``event_in_force`` up to and including ``end``, then ``event_ended``."""
    day = pd.Timestamp(as_of)
    if day < pd.Timestamp(start):
        return "event_not_yet"
    return "event_in_force" if day <= pd.Timestamp(end) else "event_ended"


def timeline_data(params: dict) -> pd.DataFrame:
    """One row per dated promise at ``as_of``: target date, status, status label and (for events) the span."""
    projects, events = load_table("projects"), load_table("events")
    table = pl.promise_statuses(projects, events, params["as_of"], params["due_window_days"])
    starts = events.set_index("event_id")["date"]
    rows = []
    for order, r in enumerate(table.itertuples(index=False)):
        start = starts.get(r.promise_id) if r.kind == "event" else pd.NaT
        key = event_state(start, r.target_date, params["as_of"]) if r.kind == "event" else str(r.status)
        label = STATUS_STYLE[key][0]
        if key == "due":
            label = f"due within {params['due_window_days']} days"
        rows.append({
            "order": order, "promise_id": r.promise_id, "kind": r.kind,
            "row": SHORT_NAMES.get(r.promise_id, str(r.name)[:48]),
            "promise": r.promise, "start_date": start, "target_date": r.target_date, "met_date": r.met_date,
            "status": str(r.status), "status_key": key, "status_label": label,
            "days_to_target": int(r.days_to_target), "as_of": pd.Timestamp(params["as_of"]), "source_id": r.source_id,
        })
    data = pd.DataFrame(rows)
    for col in ("start_date", "target_date", "met_date", "as_of"):
        data[col] = pd.to_datetime(data[col])
    return data


def _status_scale(data: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    keys = [k for k in STATUS_STYLE if k in set(data["status_key"])]
    labels = [data.loc[data["status_key"] == k, "status_label"].iloc[0] for k in keys]
    return labels, [STATUS_STYLE[k][1] for k in keys], [STATUS_STYLE[k][2] for k in keys]


@figure("pipeline-timeline", chapter="pipeline", title="Dated promises and their status",
        parameters=("as_of", "due_window_days"))
def timeline(params: dict) -> charts.Figure:
    data = timeline_data(params)
    as_of = params["as_of"]
    labels, colours, shapes = _status_scale(data)
    rows = list(data["row"])
    y = alt.Y("row:N", title=None, sort=rows, axis=alt.Axis(labelLimit=320))
    x_title = "Target date (end date for the suspension)"
    x = alt.X("target_date:T", title=x_title, scale=alt.Scale(padding=16),
              axis=alt.Axis(format="%Y", tickCount="year", labelAngle=0, labelAlign="left", labelOffset=4))
    span = alt.Chart().transform_filter(alt.datum.kind == "event").mark_bar(
        height=8, color="#BBBBBB").encode(
        x=alt.X("start_date:T", title=x_title), x2="target_date:T", y=y,
        tooltip=charts.tooltips(alt.Tooltip("start_date:T", format="%Y-%m-%d", title="From"),
                 alt.Tooltip("target_date:T", format="%Y-%m-%d", title="Until")),
    )
    legend = alt.Legend(title=f"Status at {as_of:%Y-%m-%d}", orient="bottom", direction="vertical", columns=1)
    points = alt.Chart().mark_point(size=170, filled=True, opacity=1, stroke="black", strokeWidth=0.6).encode(
        x=x, y=y,
        color=alt.Color("status_label:N", scale=alt.Scale(domain=labels, range=colours), legend=legend),
        shape=alt.Shape("status_label:N", scale=alt.Scale(domain=labels, range=shapes), legend=legend),
        tooltip=charts.tooltips("row", "promise", alt.Tooltip("target_date:T", format="%Y-%m-%d", title="Target date"), "status_label",
                 "days_to_target", "source_id"),
    )
    rule = alt.Chart().transform_filter(alt.datum.order == 0).mark_rule(
        strokeDash=[6, 3], strokeWidth=2, color="black").encode(x=alt.X("as_of:T", title=x_title))
    rule_label = alt.Chart().transform_filter(alt.datum.order == 0).mark_text(
        align="left", dx=4, dy=-8, fontSize=12, fontWeight="bold").encode(
        x=alt.X("as_of:T", title=x_title), y=alt.value(0), text=alt.value(f"as of {as_of:%Y-%m-%d}"))
    chart = alt.layer(span, rule, points, rule_label, data=data).properties(width=300, height=30 * len(data))
    counts = data["status_label"].value_counts()
    summary = "; ".join(f"{lab}: {int(counts[lab])}" for lab in labels)
    return charts.Figure(
        id="pipeline-timeline",
        chart=chart,
        data=data,
        caption=(
            f"Every dated promise in the dataset by target date, with its status at {as_of:%Y-%m-%d} (dashed line): "
            f"{summary}. 'Not reported met' means no source in the dataset reports the target met, not that it "
            f"failed. A target given as a year or quarter is placed on its last day; gridlines mark 1 January. "
            f"The grey span is China's suspension (MOFCOM/GAC Announcement 2025 No. 70, 2025-11-07) of the "
            "export-control measures of 2025-10-09. Targets as stated by SMM (2025-12-29) or by the companies "
            "(MP Materials, USA Rare Earth, Ramaco; 2025)."
        ),
        alt_text=(
            f"A timeline with one row per promise and a point at each target date, shaped and coloured by status at "
            f"{as_of:%Y-%m-%d} ({summary}); a grey bar shows China's export-control suspension from 2025-11-07 to "
            "2026-11-10, and a dashed vertical line marks the as-of date."
        ),
        sources=sorted(set(data["source_id"]) - {"smm_2025_12_29"}) + ["smm_2025_12_29"],
        chapter="pipeline",
    )


def capacity_data() -> pd.DataFrame:
    """Capacity announced outside China (cumulative by target year) and China's output in the same unit.

    Rows: panel (mining | magnets), label, value_t, unit, country, pct_of_china, projects. Only dated
    capacities are cumulated; the mining panel compares with USGS China mine production (t REO), the
    magnet panel has no China comparator in the dataset.
    """
    projects, supply = load_table("projects"), load_table("usgs_country_supply")
    cap = pl.capacity_by_year(projects, supply)
    rows = []
    mining = cap[(cap["stage"] == "mining") & cap["china_output"].notna() & cap["year"].notna()].sort_values("year")
    if not mining.empty:
        first = mining.iloc[0]
        rows.append({"panel": "mining", "label": f"China mine production, {first['china_year']} (USGS, estimated)",
                     "value_t": float(first["china_output"]), "unit": "t REO", "country": "China",
                     "pct_of_china": 100.0, "projects": "", "source_id": str(first["china_source_id"])})
        so_far: list[str] = []
        for _, r in mining.iterrows():
            so_far += r["projects"].split(", ")
            rows.append({"panel": "mining", "label": f"Capacity targeted by {r['year']}",
                         "value_t": float(r["cumulative_high"]), "unit": f"{r['unit']} (capacity)", "country": "other",
                         "pct_of_china": round(float(r["pct_of_china_high"]), 6), "projects": ", ".join(so_far),
                         "source_id": ""})
    magnets = cap[(cap["stage"] == "magnets") & cap["year"].notna()].sort_values("year")
    so_far: list[str] = []
    for _, r in magnets.iterrows():
        so_far += r["projects"].split(", ")
        rows.append({"panel": "magnets", "label": f"Capacity targeted by {r['year']}",
                     "value_t": float(r["cumulative_high"]), "unit": f"{r['unit']} (capacity)", "country": "other",
                     "pct_of_china": float("nan"), "projects": ", ".join(so_far), "source_id": ""})
    data = pd.DataFrame(rows)
    ids = projects.set_index("project_id")["source_id"]
    companies = projects.set_index("project_id")["company"].map(lambda c: str(c).split(" (")[0])
    data["source_id"] = [s or ", ".join(sorted({ids[p] for p in proj.split(", ")}))
                         for s, proj in zip(data["source_id"], data["projects"])]
    data["label"] = [
        lab + (f": {', '.join(companies[i] for i in proj.split(', '))}" if proj else "")
        for lab, proj in zip(data["label"], data["projects"])
    ]
    # Two-line axis labels and bar labels ('|' breaks the line): the text column is about 690 px.
    data["axis_label"] = data["label"].str.replace(": ", ":|", n=1, regex=False).str.replace(
        ", 2", ",|2", n=1, regex=False)
    data["text"] = [
        f"{v:,.0f}" + (f"|({p:.1f}% of China)" if c != "China" and pd.notna(p) else "")
        for v, p, c in zip(data["value_t"], data["pct_of_china"], data["country"])
    ]
    return data


@figure("pipeline-capacity", chapter="pipeline", title="Capacity announced outside China against China's output",
        parameters=())
def capacity(params: dict) -> charts.Figure:
    data = capacity_data()
    panels = []
    titles = {"mining": charts.axis_title("Mine output or mining capacity", "t REO a year"),
              "magnets": charts.axis_title("Magnet capacity announced, cumulative", "t a year")}
    headers = {"mining": "Mining: China's output against capacity targeted elsewhere",
               "magnets": "Magnets: capacity targeted outside China (no China tonnage)"}
    for panel in ("mining", "magnets"):
        part = data[data["panel"] == panel]
        if part.empty:
            continue
        base = alt.Chart().transform_filter(alt.datum.panel == panel)
        y = alt.Y("axis_label:N", title=None, sort=list(part["axis_label"]),
                  axis=alt.Axis(labelLimit=220, labelExpr="split(datum.label, '|')"))
        x = alt.X("value_t:Q", title=titles[panel], scale=alt.Scale(zero=True, nice=True),
                  axis=alt.Axis(format=",.0f", tickCount=4))
        bars = base.mark_bar(height=22).encode(
            x=x, y=y, **charts.china_emphasis("country", "bar"),
            tooltip=charts.tooltips("label", "value_t", "unit", "projects", "source_id"))
        text = base.mark_text(align="left", dx=5, fontSize=12, lineBreak="|").encode(x=x, y=y, text="text:N")
        panels.append(alt.layer(bars, text).properties(width=320, height=46 * len(part),
                                                      title=alt.TitleParams(headers[panel], fontSize=13)))
    chart = alt.vconcat(*panels, data=data, spacing=22).resolve_scale(x="independent", y="independent")
    mining = data[(data["panel"] == "mining") & (data["country"] != "China")]
    china = data[data["country"] == "China"]
    alt_bits = []
    if not china.empty and not mining.empty:
        alt_bits.append(f"China's mine production of {china['value_t'].iloc[0]:,.0f} t REO against "
                        f"{mining['value_t'].iloc[-1]:,.0f} t a year of mining capacity targeted outside China "
                        f"({mining['pct_of_china'].iloc[-1]:.1f}% of it)")
    mag = data[data["panel"] == "magnets"]
    if not mag.empty:
        alt_bits.append("magnet capacity targeted outside China rising to "
                        f"{mag['value_t'].iloc[-1]:,.0f} t a year")
    return charts.Figure(
        id="pipeline-capacity",
        chart=chart,
        data=data,
        caption=(
            "Top: China's rare-earth mine production (USGS MCS 2026 v1.3, latest year, an estimate), outlined, against the dated mining capacity announced outside China, cumulative by target "
            "year (total rare-earth oxides; SMM 2025-12-29, from Serra Verde). Bottom: dated magnet capacity "
            "announced in the United States (eVAC; MP Materials, whose figure is its total US capacity, not the new "
            "plant alone). Units "
            "and stages are never added across panels; undated projects and the PrNd-oxide tonnage reported for "
            "Zandkopsdrift are left out."
        ),
        alt_text="Two bar charts. " + "; ".join(alt_bits) + ".",
        sources=["usgs_mcs_2026_ree", "smm_2025_12_29", "mp_2025_07_10_dod"],
        chapter="pipeline",
    )


def promises_table(params: dict) -> pd.DataFrame:
    """The dated promises as the timeline shows them, with the words as announced (for display)."""
    data = timeline_data(params)
    return pd.DataFrame({
        "promise": data["row"],
        "as announced": data["promise"],
        "target date": data["target_date"].dt.strftime("%Y-%m-%d"),
        f"status at {params['as_of']:%Y-%m-%d}": data["status_label"],
        "days to target": data["days_to_target"],
        "source": data["source_id"],
    })


def undated_table() -> pd.DataFrame:
    """Projects in the dataset with no dated target (not on the timeline)."""
    projects = load_table("projects")
    undated = projects[projects["target_date"].isna()]
    capacity = [
        f"{hi:,.0f} {unit}" if pd.notna(hi) else "not stated"
        for hi, unit in zip(undated["capacity_high"], undated["capacity_unit"])
    ]
    return pd.DataFrame({
        "project": undated["name"], "company": undated["company"], "country": undated["country"],
        "stage": undated["stage"].str.replace("_", " "), "capacity": capacity,
        "what is said about timing": undated["target_text"], "source": undated["source_id"],
    })


def text_facts(params: dict) -> list[TextFact]:
    """Dates and status words for the chapter's prose (glued as ``pipeline.text.*``)."""
    events = load_table("events")
    susp = row(events, "events", event_id="mofcom_2025_11_07_suspension")
    controls = row(events, "events", event_id="mofcom_2025_04_04_export_controls")
    measures = row(events, "events", event_id="mofcom_2025_10_09_measures")
    as_of = pd.Timestamp(params["as_of"])
    state = event_state(susp["date"], susp["end_date"], as_of)
    days_left = days_between(as_of, susp["end_date"])  # = the key number pipeline.suspension_days_left
    status = {
        "event_not_yet": f"had not yet been announced (it came on {susp['date']:%Y-%m-%d})",
        "event_in_force": (f"was in force, with {days_left:,} days to run" if days_left != 1 else
                           "was in force, with one day to run") if days_left else "was in force for its last day",
        "event_ended": (f"had passed its end date {-days_left:,} days earlier; the dataset records no extension"
                        if days_left != -1 else "had passed its end date the day before; the dataset records no "
                        "extension"),
    }[state]
    return [
        TextFact("pipeline.text.as_of", f"{as_of:%Y-%m-%d}", "date"),
        TextFact("pipeline.text.suspension_start", f"{susp['date']:%Y-%m-%d}", "date"),
        TextFact("pipeline.text.suspension_end", f"{susp['end_date']:%Y-%m-%d}", "date"),
        TextFact("pipeline.text.suspension_status", status, "words", ("pipeline.suspension_days_left",)),
        TextFact("pipeline.text.measures_date", f"{measures['date']:%Y-%m-%d}", "date"),
        TextFact("pipeline.text.april_controls_date", f"{controls['date']:%Y-%m-%d}", "date"),
    ] + [TextFact(f"pipeline.text.event.{e.event_id}", f"{e.date:%Y-%m-%d}", "date")
         for e in events.itertuples() if e.event_id in DATED_EVENTS]


#: Events the chapter's prose dates (glued as ``pipeline.text.event.<event_id>``).
DATED_EVENTS = ("mofcom_2026_01_06_japan_dual_use", "mofcom_2026_02_24_japan_entity_lists",
                "us_china_beijing_summit_2026_05")
