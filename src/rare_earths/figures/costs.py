"""Figures of the cost-gap chapter: the 30–40 % gap as a range, the $110/kg floor against prices,
and which assumption moves the answer most."""

from __future__ import annotations

import altair as alt
import pandas as pd

from rare_earths.figures import charts
from rare_earths.analysis import costs as co
from rare_earths.analysis import scenarios as sc
from rare_earths.data.load import load_table
from rare_earths.figures import figure
from rare_earths.params import PARAMETERS

_GAP_PARAMS = ("china_cost_usd_per_kg", "cost_gap_low", "cost_gap_high", "volume_t")


@figure("cost-gap-range", chapter="cost-gap", title="US separation cost implied by the seed's 30–40 % gap",
        parameters=_GAP_PARAMS)
def cost_gap_range(params: dict) -> charts.Figure:
    # The title and caption follow the gap in use: the seed's own band only at its defaults.
    band = f"{params['cost_gap_low'] * 100:g}–{params['cost_gap_high'] * 100:g} %"
    seeds = all(params[k] == PARAMETERS[k].resolve_default() for k in ("cost_gap_low", "cost_gap_high"))
    title = f"US separation cost implied by the seed's {band} gap" if seeds else f"US separation cost implied by a {band} gap"
    whose = ("The gap is SMM's unsourced estimate (2025-09-18)" if seeds else
             "The gap is this run's assumption, not SMM's unsourced estimate (2025-09-18)")
    gap = co.cost_gap(params["china_cost_usd_per_kg"], params["cost_gap_low"], params["cost_gap_high"], params["volume_t"])
    data = pd.DataFrame(
        [
            {"producer": "China (assumed)", "low_usd_per_kg": gap.china_cost_usd_per_kg,
             "high_usd_per_kg": gap.china_cost_usd_per_kg, "country": "China"},
            {"producer": "United States (China + gap)", "low_usd_per_kg": gap.us_cost_usd_per_kg.low,
             "high_usd_per_kg": gap.us_cost_usd_per_kg.high, "country": "United States"},
        ]
    )
    x_title = charts.axis_title("Unit cost of NdPr oxide", "USD/kg")  # repeated on every layer: one shared axis
    x = alt.X("low_usd_per_kg:Q", title=x_title, scale=alt.Scale(zero=True))
    y = alt.Y("producer:N", title=None, sort=None)
    bars = alt.Chart(data).mark_bar(height=22).encode(
        x=x, x2="high_usd_per_kg:Q", y=y, **charts.china_emphasis(mark="bar"),
        tooltip=charts.tooltips("producer", "low_usd_per_kg", "high_usd_per_kg"),
    )
    # A point range would vanish for China's single value: draw ticks at both ends as well.
    ticks = alt.Chart(data).mark_tick(thickness=3, size=26, color="black").encode(x=alt.X("low_usd_per_kg:Q", title=x_title), y=y)
    ticks_high = alt.Chart(data).mark_tick(thickness=3, size=26, color="black").encode(x=alt.X("high_usd_per_kg:Q", title=x_title), y=y)
    chart = alt.layer(bars, ticks, ticks_high, data=data).properties(width=440, height=110)
    return charts.Figure(
        id="cost-gap-range",
        chart=chart,
        data=data,
        caption=(
            f"US unit cost of separated NdPr oxide if it is {params['cost_gap_low']:.0%}–{params['cost_gap_high']:.0%} "
            f"above China's, for an assumed Chinese cost of USD {params['china_cost_usd_per_kg']:g}/kg. "
            f"{whose}; the Chinese cost is the book's assumption, "
            "defaulting to the USGS 2024 average NdPr oxide price (MCS 2026)."
        ),
        alt_text=(
            f"Two horizontal bars. China's assumed cost is a single value of USD {gap.china_cost_usd_per_kg:g} per kg; "
            f"the US cost spans USD {gap.us_cost_usd_per_kg.low:.2f} to {gap.us_cost_usd_per_kg.high:.2f} per kg."
        ),
        sources=["smm_2025_09_18", "usgs_mcs_2026_ree"],
        chapter="cost-gap",
        title=title,
    )


@figure("floor-vs-prices", chapter="cost-gap", title="The USD 110/kg floor against NdPr oxide prices",
        parameters=("floor_price_usd_per_kg", "volume_t"))
def floor_vs_prices(params: dict) -> charts.Figure:
    table = co.floor_against_prices(load_table("prices"), params["floor_price_usd_per_kg"], params["volume_t"])
    data = table[["label", "kind", "year", "price_usd_per_kg", "bound", "multiple", "topup_usd_m_per_year", "source_id"]].copy()
    data["multiple"] = data["multiple"].round(3)
    data["topup_usd_m_per_year"] = data["topup_usd_m_per_year"].round(3)
    # Each row is labelled by its own source: an analyst's own benchmark (--data) shows as theirs.
    sources = load_table("sources").set_index("source_id")
    who = data["source_id"].map(lambda s: str(sources.at[s, "producer_short"]))
    data["kind"] = [f"{w} annual average" if k == "annual_average" else f"dated benchmark ({w})"
                    for k, w in zip(data["kind"], who)]
    floor = params["floor_price_usd_per_kg"]
    groups = []
    for (kind, producer), rows in table.assign(who=who).groupby(["kind", "who"], sort=False):
        if kind == "annual_average":
            years = rows["year"].dropna().astype(int)
            last = "e" if bool(rows.loc[rows["year"] == years.max(), "estimated"].fillna(False).any()) else ""
            groups.append(f"{producer} annual averages {years.min()}–{years.max()}{last}")
        else:
            dates = ", ".join(f"{d:%Y-%m-%d}" for d in rows["date"].dropna().sort_values())
            owner = producer + ("'" if producer.endswith("s") else "'s")
            groups.append(f"{owner} dated benchmark{'s' if len(rows) > 1 else ''} ({dates})")
    above = [lab for lab, price in zip(data["label"], data["price_usd_per_kg"]) if price > floor]
    base = alt.Chart(data)
    x_title = charts.axis_title("NdPr oxide price", "USD/kg")  # repeated on every layer: they share one axis
    bars = base.mark_bar().encode(
        x=alt.X("price_usd_per_kg:Q", title=x_title),
        y=alt.Y("label:N", title=None, sort=None),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=charts.tooltips("label", "price_usd_per_kg", "multiple", "topup_usd_m_per_year", "source_id"),
    )
    labels = base.transform_calculate(**charts.times_label("multiple")).mark_text(align="left", dx=4, fontSize=12).encode(
        x=alt.X("price_usd_per_kg:Q", title=x_title), y=alt.Y("label:N", sort=None), text="multiple_label:N",
    )
    rule_data = pd.DataFrame({"floor_usd_per_kg": [floor]})
    rule = alt.Chart(rule_data).mark_rule(strokeDash=[6, 3], strokeWidth=2, color="black").encode(x=alt.X("floor_usd_per_kg:Q", title=x_title))
    rule_label = alt.Chart(rule_data).mark_text(align="left", dx=4, dy=-8, fontWeight="bold").encode(
        x=alt.X("floor_usd_per_kg:Q", title=x_title), y=alt.value(0), text=alt.value(f"floor {floor:g}")
    )
    chart = alt.layer(bars, labels, data=data).properties(width=440, height=220)
    chart = alt.layer(chart, rule, rule_label)
    # The CSV carries the plotted prices with the floor's multiple of each (the labels on the bars).
    return charts.Figure(
        id="floor-vs-prices",
        chart=chart,
        data=data,
        caption=(
            f"The DoD price floor (USD {floor:g}/kg, dashed) against NdPr oxide prices; labels give the floor as a "
            f"multiple of each price. {' and '.join(groups)}."
        ),
        alt_text=(
            f"Horizontal bars of NdPr oxide prices ({'; '.join(groups)}), with a dashed vertical line at the floor "
            f"of USD {floor:g} per kg. "
            + (f"The floor is above every price except {', '.join(above)}." if above else "The floor is above every price.")
        ),
        sources=list(dict.fromkeys([*data["source_id"], "mp_2025_07_10_dod"])),
        chapter="cost-gap",
    )


#: The tornado's inputs as readers name them, with their ranges (the axis shows these, not the model's names).
_TORNADO_INPUTS = {
    "china_cost_usd_per_kg": lambda lo, hi: f"Chinese cost: {lo:,.2f}–{hi:,.2f} USD/kg",
    "cost_gap": lambda lo, hi: f"Cost gap: {lo * 100:.0f}–{hi * 100:.0f} %",
    "volume_t": lambda lo, hi: f"Volume: {lo:,.0f}–{hi:,.0f} t/yr",
}


@figure("cost-gap-tornado", chapter="cost-gap", title="Which assumption moves the cost-gap answer most",
        parameters=_GAP_PARAMS)
def cost_gap_tornado(params: dict) -> charts.Figure:
    table = sc.tornado("cost_gap", params=params)
    data = table[table["output"] == "subsidy_usd_m_per_year"][
        ["input", "input_low", "input_high", "output_at_low", "output_at_central", "output_at_high", "swing"]
    ].reset_index(drop=True)
    data.insert(1, "input_label", [_TORNADO_INPUTS[i](lo, hi) for i, lo, hi in zip(data["input"], data["input_low"], data["input_high"])])
    chart = alt.Chart(data).mark_bar(height=20).encode(
        x=alt.X("output_at_low:Q", title=charts.axis_title("Subsidy to close the gap", "USD m/yr")),
        x2="output_at_high:Q",
        y=alt.Y("input_label:N", title=None, sort=alt.SortField("swing", order="descending")),
        tooltip=charts.tooltips("input_label", ("output_at_low", "Subsidy at the input's low (USD m/yr)", ",.1f"),
                                ("output_at_high", "Subsidy at the input's high (USD m/yr)", ",.1f")),
    ).properties(width=380, height=90)
    return charts.Figure(
        id="cost-gap-tornado",
        chart=chart,
        data=data,
        caption=(
            "Range of the annual subsidy that would close the US cost gap when one input moves across its "
            f"range and the others stay central, at {params['volume_t']:,.0f} t/yr of NdPr oxide. Gap range from SMM "
            "(2025-09-18); Chinese cost range from the book's assumption on USGS prices (MCS 2026)."
        ),
        alt_text=(
            "A tornado chart with one bar per input: the assumed Chinese cost and the cost gap, "
            "each showing the low and high subsidy it gives; the longer bar is the input that matters more."
        ),
        sources=["smm_2025_09_18", "usgs_mcs_2026_ree"],
        chapter="cost-gap",
    )
