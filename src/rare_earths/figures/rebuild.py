"""Figures of the rebuild chapter: the money announced by instrument, its pace against the annual
need the seed's estimate implies, and which assumption moves the answer most.

Money of different kinds is never silently added: the waterfall shows each instrument group as its
own step (each running total is what one ``committed_scope`` counts) and labels the bar that adds
them all as adding unlike instruments; the cumulative chart stacks only the groups the chosen scope
counts, each in its own colour.
"""

from __future__ import annotations

import datetime as _dt

import altair as alt
import numpy as np
import pandas as pd

from rare_earths.figures import charts
from rare_earths.analysis import rebuild as rb
from rare_earths.analysis import scenarios as sc
from rare_earths.data.load import load_table
from rare_earths.format import TextFact
from rare_earths.figures import figure
from rare_earths.params import ParameterError

#: Instrument groups in the order the scopes add them, with their labels and colours.
GROUP_ORDER = ("firm", "conditional", "grant_programmes", "private")
GROUP_LABELS = {
    "firm": "Firm: equity, loans, grants, incentives",
    "conditional": "Conditional loans (not closed)",
    "grant_programmes": "Planned grant programmes (not awarded)",
    "private": "Private financing and capex",
}
GROUP_COLOURS = {
    "firm": charts.OKABE_ITO["blue"],
    "conditional": charts.OKABE_ITO["orange"],
    "grant_programmes": charts.OKABE_ITO["bluish_green"],
    "private": charts.OKABE_ITO["reddish_purple"],
}
SHORT_GROUP_LABELS = {"firm": "firm", "conditional": "conditional loan", "grant_programmes": "planned grant programme",
                      "private": "private", "not_counted": "offtake (a purchase)"}
TOTAL_LABEL = "All announced (adds unlike instruments)"
#: Axis labels on two lines ('|' breaks the line): the book's text column is about 690 px wide.
AXIS_LABELS = {
    "firm": "Firm: equity, loans,|grants, incentives",
    "conditional": "Conditional loans|(not closed)",
    "grant_programmes": "Planned grant programmes|(not awarded)",
    "private": "Private financing|and capex",
    "all": "All announced (adds|unlike instruments)",
}
_SPLIT = "split(datum.label, '|')"
#: The scope reached once a group is added (SCOPES are nested in GROUP_ORDER).
SCOPE_AFTER_GROUP = {"firm": "firm", "conditional": "firm_conditional", "grant_programmes": "public", "private": "all"}
SCOPE_LABELS = {"firm": "firm only", "firm_conditional": "firm + conditional", "public": "all public money",
                "all": "everything announced"}

_REBUILD_PARAMS = ("rebuild_total_usd_bn", "rebuild_years", "committed_scope", "as_of")


def _commitment_vintage(commitments: pd.DataFrame) -> str:
    dates = commitments["announced_date"]
    return f"announcements of {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"


def _sources(commitments: pd.DataFrame) -> list[str]:
    # The funders' and companies' own announcements first, the seed (which reports some of them) last.
    ids = sorted(set(commitments["source_id"]))
    return [s for s in ids if not s.startswith("smm_")] + [s for s in ids if s.startswith("smm_")]


def _bound_note(bounds: str) -> str:
    """' (approx.)', ' (partly approx.)', ' (up to)'… from the amounts' bounds (``~`` about, ``<=`` up to,
    ``>`` more than, ``>=`` at least)."""
    marks = set(bounds.split())
    notes = []
    for mark, word in (("~", "approx."), ("<=", "up to"), (">", "more than"), (">=", "at least")):
        if mark in marks:
            notes.append(word if marks == {mark} else f"partly {word}")
    return f" ({', '.join(notes)})" if notes else ""


def waterfall_data(params: dict) -> pd.DataFrame:
    """One row per instrument group (a step of the waterfall) plus the 'all announced' bar (USD bn)."""
    commitments = load_table("commitments")
    groups = rb.by_instrument(commitments, params["as_of"]).set_index("group")
    counted = rb.committed_usd_bn(commitments, params["as_of"], params["committed_scope"])
    rows, running = [], 0.0
    for order, group in enumerate(GROUP_ORDER):
        amount = float(groups.loc[group, "amount_usd_bn"])
        bound = str(groups.loc[group, "bounds"]).strip()
        approx = _bound_note(bound)
        rows.append({
            "order": order, "group": group, "label": GROUP_LABELS[group], "axis_label": AXIS_LABELS[group],
            "kind": "instrument",
            "start_usd_bn": round(running, 6), "end_usd_bn": round(running + amount, 6), "amount_usd_bn": round(amount, 6),
            "n_announcements": int(groups.loc[group, "n"]), "bounds": bound,
            "scope_if_counted_to_here": SCOPE_AFTER_GROUP[group],
            "text": f"+{amount:.2f}{approx}",
        })
        running += amount
    rows.append({
        "order": len(GROUP_ORDER), "group": "all", "label": TOTAL_LABEL, "axis_label": AXIS_LABELS["all"],
        "kind": "total",
        "start_usd_bn": 0.0, "end_usd_bn": round(running, 6), "amount_usd_bn": round(running, 6),
        "n_announcements": int(sum(r["n_announcements"] for r in rows)),
        "bounds": " ".join(sorted({b for r in rows for b in r["bounds"].split()})),
        "scope_if_counted_to_here": "all", "text": f"{running:.2f}",
    })
    data = pd.DataFrame(rows)
    data["counted_scope"] = params["committed_scope"]
    data["counted_usd_bn"] = round(counted, 6)
    data["as_of"] = pd.Timestamp(params["as_of"])
    return data


@figure("rebuild-money-by-instrument", chapter="rebuild", title="Money announced, by instrument",
        parameters=("committed_scope", "as_of"))
def money_by_instrument(params: dict) -> charts.Figure:
    commitments = load_table("commitments")
    data = waterfall_data(params)
    labels = list(data["axis_label"])
    colours = [GROUP_COLOURS.get(g, charts.NEUTRAL_COLOUR) for g in data["group"]]
    x_title = charts.axis_title("Money announced, running total", "USD bn")
    y = alt.Y("axis_label:N", title=None, sort=labels, axis=alt.Axis(labelExpr=_SPLIT, labelLimit=200))
    bars = alt.Chart().mark_bar(height=24).encode(
        x=alt.X("start_usd_bn:Q", title=x_title, scale=alt.Scale(zero=True, nice=True)),
        x2="end_usd_bn:Q",
        y=y,
        color=alt.Color("axis_label:N", scale=alt.Scale(domain=labels, range=colours), legend=None),
        stroke=alt.when(alt.datum.kind == "total").then(alt.value("#000000")).otherwise(alt.value(None)),
        strokeWidth=alt.when(alt.datum.kind == "total").then(alt.value(1.5)).otherwise(alt.value(0)),
        tooltip=charts.tooltips("label", "amount_usd_bn", "start_usd_bn", "end_usd_bn", "n_announcements", "bounds",
                 "scope_if_counted_to_here"),
    )
    text = alt.Chart().mark_text(align="left", dx=8, fontSize=12).encode(
        x=alt.X("end_usd_bn:Q", title=x_title), y=y, text="text:N",
    )
    rule = alt.Chart().transform_filter(alt.datum.kind == "total").mark_rule(
        strokeDash=[6, 3], strokeWidth=2, color="black").encode(x=alt.X("counted_usd_bn:Q", title=x_title))
    scope = params["committed_scope"]
    counted = float(data["counted_usd_bn"].iloc[0])
    rule_label = alt.Chart().transform_filter(alt.datum.kind == "total").mark_text(
        align="right", dx=-4, dy=-10, fontSize=12, fontWeight="bold").encode(
        x=alt.X("counted_usd_bn:Q", title=x_title), y=alt.value(0),
        text=alt.value(f"counted ({SCOPE_LABELS[scope]}): {counted:.2f}"),
    )
    chart = alt.layer(bars, text, rule, rule_label, data=data).properties(width=240, height=230)  # room for the worded bounds
    as_of = params["as_of"]
    total = float(data.loc[data["kind"] == "total", "amount_usd_bn"].iloc[0])
    parts = "; ".join(f"{GROUP_LABELS[g].split(' (')[0].split(':')[0].lower()} {a:.2f}"
                      for g, a in zip(data["group"], data["amount_usd_bn"]) if g in GROUP_LABELS)
    return charts.Figure(
        id="rebuild-money-by-instrument",
        chart=chart,
        data=data,
        caption=(
            f"Money announced for rare-earth supply outside China by {as_of:%Y-%m-%d}, by instrument, in USD bn. "
            "Each bar adds one kind of money to those above it, so each running total is what one definition of "
            "'committed' counts (firm; + conditional loans; + planned grant programmes; + private money); the grey "
            "bar adds unlike instruments. The dashed line is the amount this chapter counts "
            f"({SCOPE_LABELS[scope]}). 'Approx.' marks amounts announced as about so much, 'up to' a ceiling. A later DFC package for the same project "
            "replaces the earlier one; offtakes are not counted. Sources: the funders' and companies' announcements "
            f"(DoD, DOE, DFC, MP Materials, IDC, Ramaco; {_commitment_vintage(commitments)}) and SMM (2025)."
        ),
        alt_text=(
            f"A horizontal waterfall of money announced by {as_of:%Y-%m-%d}, in billions of US dollars: {parts}. "
            f"A final grey bar adds them all to {total:.2f}. A dashed vertical line marks the {counted:.2f} counted "
            f"as committed under the scope '{scope}'."
        ),
        sources=_sources(commitments),
        chapter="rebuild",
    )


def cumulative_data(params: dict) -> pd.DataFrame:
    """Cumulative money counted by announcement date, one series per instrument group in the scope,
    plus the straight line of the annual need from the first counted announcement to ``as_of``.

    Columns: date, series, group, order, kind (money | need), value_usd_bn (for money: the group's
    own cumulative amount, stacked in the chart; for need: need x years elapsed), total_usd_bn.
    """
    commitments = load_table("commitments")
    as_of = pd.Timestamp(params["as_of"])
    scope = params["committed_scope"]
    groups = [g for g in GROUP_ORDER if g in rb.SCOPES[scope]]
    # Scopes are nested: a group's own cumulative amount is the difference of two scopes' totals.
    totals = {}
    for g in groups:
        cum = rb.cumulative_by_date(commitments, params["as_of"], SCOPE_AFTER_GROUP[g])
        totals[g] = cum.set_index("date")["cumulative_usd_bn"]
    dates = sorted(set().union(*[set(s.index) for s in totals.values()]) | {as_of})
    frame = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    previous = pd.Series(0.0, index=frame.index)
    for g in groups:
        level = totals[g].reindex(frame.index).ffill().fillna(0.0)
        frame[g] = (level - previous).round(6)
        previous = level
    rows = []
    for date, values in frame.iterrows():
        total = float(previous.loc[date])
        for order, g in enumerate(groups):
            rows.append({"date": date, "series": GROUP_LABELS[g], "group": g, "order": order, "kind": "money",
                         "value_usd_bn": float(values[g]), "total_usd_bn": round(total, 6), "is_as_of": date == as_of})
    summary = rb.rebuild_summary(commitments, params["as_of"], scope, params["rebuild_total_usd_bn"],
                                 params["rebuild_years"])
    if summary.first_date is not None and summary.elapsed_years > 0:
        need_label = f"Need at {summary.annual_need_usd_bn:.1f} bn/yr"
        for date, years in ((pd.Timestamp(summary.first_date), 0.0), (as_of, summary.elapsed_years)):
            rows.append({"date": date, "series": need_label, "group": "need", "order": len(groups), "kind": "need",
                         "value_usd_bn": round(summary.annual_need_usd_bn * years, 6), "total_usd_bn": np.nan,
                         "is_as_of": date == as_of})
    return pd.DataFrame(rows)


@figure("rebuild-cumulative", chapter="rebuild", title="Money announced over time against the annual need",
        parameters=_REBUILD_PARAMS)
def cumulative(params: dict) -> charts.Figure:
    commitments = load_table("commitments")
    data = cumulative_data(params)
    scope = params["committed_scope"]
    as_of = params["as_of"]
    groups = [g for g in GROUP_ORDER if g in rb.SCOPES[scope]]
    y_title = charts.axis_title("Cumulative money announced", "USD bn")
    x = alt.X("date:T", title="Announcement date", axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    area = alt.Chart().transform_filter(alt.datum.kind == "money").mark_area(
        interpolate="step-after", opacity=0.9, line={"color": "white", "strokeWidth": 0.5}).encode(
        x=x,
        y=alt.Y("value_usd_bn:Q", title=y_title, stack="zero"),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[GROUP_LABELS[g] for g in groups],
                                        range=[GROUP_COLOURS[g] for g in groups]),
                        legend=alt.Legend(orient="bottom", direction="vertical", columns=2, labelLimit=320)),
        order=alt.Order("order:Q", sort="ascending"),
        tooltip=charts.tooltips(alt.Tooltip("date:T", format="%Y-%m-%d", title="Date"), "series", "value_usd_bn", "total_usd_bn"),
    )
    need = alt.Chart().transform_filter(alt.datum.kind == "need").mark_line(
        color="black", strokeDash=[6, 3], strokeWidth=2).encode(
        x=x, y=alt.Y("value_usd_bn:Q", title=y_title),
        tooltip=charts.tooltips(alt.Tooltip("date:T", format="%Y-%m-%d", title="Date"), "series", "value_usd_bn"),
    )
    need_label = alt.Chart().transform_filter(
        (alt.datum.kind == "need") & (alt.datum.value_usd_bn > 0)).mark_text(
        align="right", dx=-6, dy=-10, fontSize=12, fontWeight="bold").encode(
        x=x, y=alt.Y("value_usd_bn:Q", title=y_title), text="series:N",
    )
    as_of_rule = alt.Chart().transform_filter(
        (alt.datum.kind == "money") & (alt.datum.order == 0) & alt.datum.is_as_of).mark_rule(
        color="#555555", strokeWidth=1).encode(x=x)
    as_of_text = as_of_rule.mark_text(align="right", dx=-4, fontSize=11, color="#444444").encode(
        x=x, y=alt.value(150), text=alt.value(f"as of {as_of:%Y-%m-%d}"))
    money = data[data["kind"] == "money"]
    last_total = float(money["total_usd_bn"].iloc[-1]) if not money.empty else 0.0
    layers = [area, need, need_label, as_of_rule, as_of_text]
    if last_total <= 0:  # nothing counted yet: say so in the plot instead of drawing an empty axis
        area = area.encode(y=alt.Y("value_usd_bn:Q", title=y_title, stack="zero", scale=alt.Scale(domain=[0, 1])))
        empty = as_of_rule.mark_text(align="right", dx=-8, fontSize=13, color="#444444").encode(
            x=x, y=alt.value(100), text=alt.value(f"nothing counted by {as_of:%Y-%m-%d}"))
        layers = [area, need, need_label, as_of_rule, as_of_text, empty]
    chart = alt.layer(*layers, data=data).properties(width=520, height=280)
    need_rows = data[data["kind"] == "need"]
    need_end = float(need_rows["value_usd_bn"].iloc[-1]) if not need_rows.empty else None
    need_text = ("The dashed line is the seed-based annual need "
                 f"(USD {params['rebuild_total_usd_bn']:g} bn over {params['rebuild_years']:g} years) spent evenly from "
                 "the first counted announcement."
                 if need_end is not None else "Nothing is counted yet at this date, so no need line is drawn.")
    return charts.Figure(
        id="rebuild-cumulative",
        chart=chart,
        data=data,
        caption=(
            f"Money announced for rare-earth supply outside China, cumulative by announcement date up to "
            f"{as_of:%Y-%m-%d}, stacked by instrument (USD bn; scope '{scope}': {SCOPE_LABELS[scope]}). Stacking adds "
            f"unlike instruments: each colour is one kind of money. {need_text} "
            f"Amounts from the funders' and companies' announcements ({_commitment_vintage(commitments)}); the need "
            "from SMM (2025-09-18), an unsourced estimate."
        ),
        alt_text=(
            f"A stepped, stacked area chart of cumulative money announced, reaching {last_total:.2f} billion US dollars "
            f"by {as_of:%Y-%m-%d}"
            + (f", beside a dashed straight line for the annual need that reaches {need_end:.1f} billion by the same "
               "date." if need_end is not None else ".")
        ),
        sources=["smm_2025_09_18"] + [s for s in _sources(commitments) if s != "smm_2025_09_18"],
        chapter="rebuild",
    )


# --------------------------------------------------------------------------------------------
# Tornado
# --------------------------------------------------------------------------------------------

OUTPUT_LABELS = {
    "years_to_reach": ("Years to reach the estimate at the observed pace", "years"),
    "annual_need_usd_bn": ("Annual need", "USD bn/yr"),
    "coverage_pct": ("Share of the estimate covered", "%"),
}
INPUT_LABELS = {
    "committed_usd_bn": "Money counted as committed",
    "rebuild_total_usd_bn": "Size of the estimate",
    "rebuild_years": "Years the rebuild takes",
}
INPUT_UNITS = {"committed_usd_bn": "USD bn", "rebuild_total_usd_bn": "USD bn", "rebuild_years": "years"}


def _need_only_inputs(params: dict) -> dict[str, sc.UncertainInput]:
    """The estimate's inputs when no pace can be observed yet (nothing counted at as_of).

    The ranges are those of :func:`rare_earths.analysis.scenarios.default_inputs` for the rebuild model
    (a test checks they agree); only the annual need can be computed without a pace.
    """
    t, y = float(params["rebuild_total_usd_bn"]), float(params["rebuild_years"])
    return {
        "rebuild_total_usd_bn": sc.UncertainInput("rebuild_total_usd_bn", t, t, 1.5 * t, "triangular", "USD bn"),
        "rebuild_years": sc.UncertainInput("rebuild_years", y * 2 / 3, y, y * 4 / 3, "triangular", "years"),
    }


_NEED_MODEL = sc.Model(
    "rebuild_need", ("rebuild_total_usd_bn", "rebuild_years"), {"annual_need_usd_bn": "USD bn/yr"},
    lambda rebuild_total_usd_bn, rebuild_years: {
        "annual_need_usd_bn": rb.annual_need_usd_bn(rebuild_total_usd_bn, rebuild_years)},
    "Annual need only (no pace observed yet)",
)


def tornado_data(params: dict) -> pd.DataFrame:
    """The rebuild tornado (one-at-a-time swings), inputs that move an output only, readable labels."""
    commitments = load_table("commitments")
    summary = rb.rebuild_summary(commitments, params["as_of"], params["committed_scope"],
                                 params["rebuild_total_usd_bn"], params["rebuild_years"])
    table = None
    if summary.status == "computed":
        try:
            table = sc.tornado("rebuild", params=params)
        except ParameterError:  # e.g. nothing firm yet: the 'firm only' end of the range has no pace
            table = None
    if table is None:
        table = sc.tornado(_NEED_MODEL, _need_only_inputs(params))
    table = table[table["swing"] > 1e-9].copy()
    order = list(OUTPUT_LABELS)
    table["output_order"] = table["output"].map(order.index)
    table = table.sort_values(["output_order", "rank"]).reset_index(drop=True)
    table["output_label"] = table["output"].map(lambda o: charts.axis_title(*OUTPUT_LABELS[o]))
    table["input_label"] = [
        f"{INPUT_LABELS[i]}: {lo:,.{2 if i == 'committed_usd_bn' else 0}f}–{hi:,.{2 if i == 'committed_usd_bn' else 0}f} "
        f"{INPUT_UNITS[i]}"
        for i, lo, hi in zip(table["input"], table["input_low"], table["input_high"])
    ]
    table["axis_label"] = table["input_label"].str.replace(": ", "|", n=1, regex=False)
    table["bar_low"] = table[["output_at_low", "output_at_high"]].min(axis=1)
    table["bar_high"] = table[["output_at_low", "output_at_high"]].max(axis=1)
    cols = ["output", "output_label", "unit", "input", "input_label", "axis_label", "input_low", "input_high", "output_at_low",
            "output_at_central", "output_at_high", "bar_low", "bar_high", "swing", "rank"]
    out = table[cols].copy()
    for c in ("input_low", "input_high", "output_at_low", "output_at_central", "output_at_high", "bar_low",
              "bar_high", "swing"):
        out[c] = out[c].astype(float).round(6)
    return out


def _ratio(data: pd.DataFrame, input_name: str, column: str, parameter: float) -> str:
    values = data.loc[data["input"] == input_name, column]
    return f"{float(values.iloc[0]) / float(parameter):.3g}" if not values.empty else "n/a"


@figure("rebuild-tornado", chapter="rebuild", title="Which assumption moves the rebuild arithmetic most",
        parameters=_REBUILD_PARAMS)
def rebuild_tornado(params: dict) -> charts.Figure:
    data = tornado_data(params)
    panels = []
    for output in [o for o in OUTPUT_LABELS if o in set(data["output"])]:
        title = charts.axis_title(*OUTPUT_LABELS[output])
        n = int((data["output"] == output).sum())
        base = alt.Chart().transform_filter(alt.datum.output == output)
        y = alt.Y("axis_label:N", title=None, sort=alt.SortField("rank", order="ascending"),
                  axis=alt.Axis(labelExpr=_SPLIT, labelLimit=220))
        bars = base.mark_bar(height=18, color=charts.PRIMARY_COLOUR).encode(
            x=alt.X("bar_low:Q", title=title, scale=alt.Scale(zero=True, nice=True)), x2="bar_high:Q", y=y,
            tooltip=charts.tooltips("input_label", ("output_at_low", "Output at the input's low value (in the unit below)", ",.1f"),
                                    ("output_at_central", "Output at the chapter's values (in the unit below)", ",.1f"),
                                    ("output_at_high", "Output at the input's high value (in the unit below)", ",.1f"), "unit"),
        )
        central = base.mark_tick(color="black", thickness=2, size=26).encode(
            x=alt.X("output_at_central:Q", title=title), y=y)
        ends = base.mark_text(align="left", dx=4, fontSize=11).encode(
            x=alt.X("bar_high:Q", title=title), y=y, text=alt.Text("bar_high:Q", format=",.1f"))
        starts = base.mark_text(align="right", dx=-4, fontSize=11).encode(
            x=alt.X("bar_low:Q", title=title), y=y, text=alt.Text("bar_low:Q", format=",.1f"))
        panels.append(alt.layer(bars, central, starts, ends).properties(width=360, height=44 * n))
    chart = alt.vconcat(*panels, data=data, spacing=18).resolve_scale(x="independent", y="independent")
    as_of = params["as_of"]
    computed = "years_to_reach" in set(data["output"])
    note = ("" if computed else
            f" At {as_of:%Y-%m-%d} no pace can be observed for every definition of committed money (nothing, or "
            "nothing firm, is counted yet), so only the annual need is shown.")
    return charts.Figure(
        id="rebuild-tornado",
        chart=chart,
        data=data,
        caption=(
            "How far each output moves when one input goes across its range and the others stay at the chapter's "
            f"values (black tick), at {as_of:%Y-%m-%d}. Ranges: the estimate from the parameter up to "
            f"{_ratio(data, 'rebuild_total_usd_bn', 'input_high', params['rebuild_total_usd_bn'])} times it "
            "(SMM's 'over $200 billion', 2025-09-18, is a lower bound); the years from "
            f"{_ratio(data, 'rebuild_years', 'input_low', params['rebuild_years'])} to "
            f"{_ratio(data, 'rebuild_years', 'input_high', params['rebuild_years'])} times the parameter"
            + ("; the money counted from 'firm only' to 'everything announced' (funders' announcements, 2025–2026)"
               if computed else "")
            + ". Inputs that do not move an output are left out." + note
        ),
        alt_text=(
            "A tornado chart in panels, one per output (years to reach the estimate at the observed pace, annual need, "
            "share covered), with one horizontal bar per input spanning the output at the input's low and high values."
            if computed else
            "A tornado chart of the annual need, with one bar for the size of the estimate and one for the years."
        ),
        sources=["smm_2025_09_18"] + ([s for s in _sources(load_table("commitments")) if s != "smm_2025_09_18"]
                                      if computed else []),
        chapter="rebuild",
    )


# --------------------------------------------------------------------------------------------
# Text and tables for the chapter
# --------------------------------------------------------------------------------------------

REASONS = {
    "": "counted",
    "after_as_of": "not yet announced at this date",
    "terminated": "terminated before use",
    "superseded": "replaced by a later announcement",
    "out_of_scope": "not in the chosen scope",
    "not_investment": "a purchase, not investment",
}


def text_facts(params: dict) -> list[TextFact]:
    """Dates and words for the chapter's prose (glued as ``rebuild.text.*``), computed from the data."""
    commitments = load_table("commitments")
    summary = rb.rebuild_summary(commitments, params["as_of"], params["committed_scope"],
                                 params["rebuild_total_usd_bn"], params["rebuild_years"])
    first = summary.first_date
    return [
        TextFact("rebuild.text.as_of", f"{params['as_of']:%Y-%m-%d}", "date"),
        TextFact("rebuild.text.scope", params["committed_scope"], "identifier"),
        TextFact("rebuild.text.scope_words", SCOPE_LABELS[params["committed_scope"]]),
        TextFact("rebuild.text.first_date", f"{first:%Y-%m-%d}", "date") if isinstance(first, _dt.date)
        else TextFact("rebuild.text.first_date", "(none yet)"),
        TextFact("rebuild.text.pace_status", {
            "computed": "the money counted divided by the years elapsed",
            "no_commitments": "undefined: nothing is counted at this date",
            "no_time_elapsed": "undefined: no time has passed since the first announcement",
        }[summary.status]),
    ]


def commitments_table(params: dict) -> pd.DataFrame:
    """Every announcement in the dataset, whether it is counted at ``as_of`` under the scope, and why not."""
    frame = rb.counted_commitments(load_table("commitments"), params["as_of"], params["committed_scope"])
    prefix = {"<=": "up to ", "~": "about ", ">": "more than ", ">=": "at least ", "=": ""}
    return pd.DataFrame({
        "announced": frame["announced_date"].dt.strftime("%Y-%m-%d"),
        "funder": frame["funder"],
        "recipient": frame["recipient"],
        "kind of money": frame["group"].map(lambda g: SHORT_GROUP_LABELS.get(g, str(g))),
        "amount (USD m)": [f"{prefix.get(b, '')}{a:,.0f}" for a, b in zip(frame["amount_usd_m"], frame["bound"])],
        f"at {params['as_of']:%Y-%m-%d}": frame["reason"].map(lambda r: REASONS.get(str(r), str(r))),
        "source": frame["source_id"],
    })
