"""Figures of the claims ledger (claims chapter) and its summary on the opening page (intro).

Every bar and cell carries its count as a label and every verdict is named on an axis, so the
charts read without colour; colour (Okabe–Ito, :data:`rare_earths.book.ledger.VERDICT_COLOURS`) only
repeats the verdict.
"""

from __future__ import annotations

import altair as alt

from rare_earths.figures import charts
from rare_earths.book import ledger as lg
from rare_earths.figures import figure
from rare_earths.data.schema import VERDICTS

_LABELS = [lg.VERDICT_LABELS[v] for v in VERDICTS]
_COLOURS = [lg.VERDICT_COLOURS[v] for v in VERDICTS]
_SEEDS = ["smm_2025_09_18", "smm_2025_12_29"]


def _verdict_colour(**legend) -> alt.Color:
    return alt.Color("verdict:N", scale=alt.Scale(domain=_LABELS, range=_COLOURS), legend=None, **legend)


@figure("claims-verdicts", chapter="claims", title="Verdicts on the seed articles' claims, by article")
def claims_verdicts(params: dict) -> charts.Figure:
    data = lg.verdict_counts()
    x = alt.X("claims:Q", title=charts.axis_title("Claims", "count"), axis=alt.Axis(tickMinStep=1, format="d"))
    y = alt.Y("verdict:N", title=None, sort=_LABELS)
    bars = alt.Chart().mark_bar(height=18, stroke="#333333", strokeWidth=0.5).encode(
        x=x, y=y, color=_verdict_colour(), tooltip=charts.tooltips("article", "verdict", "claims"),
    )
    labels = alt.Chart().mark_text(align="left", dx=4, fontSize=12).encode(x=x, y=y, text=alt.Text("claims:Q"))
    chart = alt.layer(bars, labels, data=data).properties(width=230, height=6 * 26).facet(
        column=alt.Column("article:N", title=None, sort=list(dict.fromkeys(data["article"])),
                          header=alt.Header(labelFontWeight="bold", labelFontSize=13, labelAnchor="start",
                                           labelExpr="split(datum.label, ': ')")),  # two lines: date, title
    ).resolve_scale(x="shared")
    articles = data.groupby("article", sort=False)["claims"].sum()
    return charts.Figure(
        id="claims-verdicts",
        chart=chart,
        data=data,
        caption=(
            "Verdicts on every quantitative claim of the two SMM analyses (2025-09-18 and 2025-12-29), "
            "one panel per article; each bar is labelled with its number of claims. Verdicts: the book's, "
            "each against the authority named in the claims ledger (USGS MCS 2025/2026, IEA GCMO, NRCan, "
            "company filings, government announcements)."
        ),
        alt_text=(
            "Two panels of horizontal bars, one per SMM article, with one bar per verdict: "
            + "; ".join(
                f"{article}: " + ", ".join(f"{r.verdict} {r.claims}" for r in data[data["article"] == article].itertuples())
                + f" (of {total})"
                for article, total in articles.items()
            )
            + "."
        ),
        sources=_SEEDS,
        chapter="claims",
    )


@figure("claims-by-stage", chapter="claims", title="Verdicts by stage of the supply chain or topic")
def claims_by_stage(params: dict) -> charts.Figure:
    data = lg.stage_verdict_counts()
    stages = list(dict.fromkeys(data["stage"]))
    base = alt.Chart(data).encode(
        x=alt.X("verdict:N", title=None, sort=_LABELS, axis=alt.Axis(orient="top", labelAngle=0, domain=False, ticks=False)),
        y=alt.Y("stage:N", title=None, sort=stages, axis=alt.Axis(domain=False, ticks=False)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("claims:Q", legend=None, scale=alt.Scale(domain=[0, int(data["claims"].max())],
                                                                 range=["#F4F4F4", charts.PRIMARY_COLOUR])),
        tooltip=charts.tooltips("stage", "verdict", "claims"),
    )
    threshold = max(2, round(0.6 * int(data["claims"].max())))  # white text only on dark cells
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("claims:Q"),
        color=alt.when(alt.datum.claims >= threshold).then(alt.value("white")).otherwise(alt.value("#222222")),
        opacity=alt.when(alt.datum.claims == 0).then(alt.value(0.35)).otherwise(alt.value(1)),
    )
    chart = alt.layer(cells, text, data=data).properties(width=6 * 81, height=len(stages) * 24)
    busiest = data.drop_duplicates("stage").iloc[0]
    return charts.Figure(
        id="claims-by-stage",
        chart=chart,
        data=data,
        caption=(
            "Number of claims of the two SMM analyses (2025-09-18 and 2025-12-29) by stage of the supply chain "
            "or topic (rows, most claims first) and verdict (columns); every cell is labelled with its count and "
            "darker cells hold more claims."
        ),
        alt_text=(
            f"A grid of {len(stages)} stages by 6 verdicts with the number of claims written in each cell. "
            f"The stage with most claims is {busiest['stage']} ({busiest['stage_claims']}). "
            "Market colour and unsourced estimates fall under 'not found'."
        ),
        sources=_SEEDS,
        chapter="claims",
    )


@figure("claims-verdict-totals", chapter="intro", title="How the seed articles' claims fared")
def claims_verdict_totals(params: dict) -> charts.Figure:
    totals = lg.verdict_totals()
    data = totals.rename(columns={"label": "verdict", "verdict": "verdict_id"})[["verdict", "verdict_id", "claims", "share_pct"]]
    data = data.assign(text=[f"{c} ({s:.0f}%)" for c, s in zip(data["claims"], data["share_pct"])])
    x = alt.X("claims:Q", title=charts.axis_title("Claims", "count"), axis=alt.Axis(tickMinStep=1, format="d"))
    y = alt.Y("verdict:N", title=None, sort=_LABELS)
    bars = alt.Chart().mark_bar(height=20, stroke="#333333", strokeWidth=0.5).encode(
        x=x, y=y, color=_verdict_colour(), tooltip=charts.tooltips("verdict", "claims", "share_pct"),
    )
    labels = alt.Chart().mark_text(align="left", dx=4, fontSize=12).encode(x=x, y=y, text="text:N")
    chart = alt.layer(bars, labels, data=data).properties(width=440, height=6 * 28)
    return charts.Figure(
        id="claims-verdict-totals",
        chart=chart,
        data=data,
        caption=(
            f"All {int(data['claims'].sum())} quantitative claims of the two SMM analyses (2025-09-18 and "
            "2025-12-29) by verdict, with the share of all claims; each checked against the authority named "
            "in the claims ledger."
        ),
        alt_text=(
            "Horizontal bars, one per verdict, labelled with the number and share of claims: "
            + ", ".join(f"{r.verdict} {r.claims}" for r in data.itertuples()) + "."
        ),
        sources=_SEEDS,
        chapter="intro",
    )
