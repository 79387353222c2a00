"""Figures of the reserves chapter: reserves by country in both USGS editions, Canada's reserves
against its resources and the seed's 15.2 Mt, reserves-to-production years, and what changed between
MCS 2025 and MCS 2026 v1.3 (reserves and 2024 mine production).

Tonnages are USGS's, in t of rare-earth-oxide equivalent (REO), plotted in Mt (1 Mt = 1,000,000 t)
or t. A world reserve total printed as "more than" is a lower bound: shares of it are upper bounds
("≤ … at most"), R/P years of it are lower bounds ("≥ … at least").
"""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd

from rare_earths.figures import charts
from rare_earths.analysis import reserves as rs
from rare_earths.data.load import load_table
from rare_earths.figures import figure

MT = 1_000_000.0
NEW, OLD = "MCS 2026", "MCS 2025"
UPPER, LOWER = "≤", "≥"


def _version(supply: pd.DataFrame, edition: str) -> str:
    versions = supply.loc[supply["edition"] == edition, "version"].dropna().astype(str).unique()
    return f"{edition} v{versions[0]}" if len(versions) == 1 and versions[0] != "1.0" else edition


def _mt(value: float) -> str:
    """``44.0 Mt``, ``0.83 Mt``, ``0.0045 Mt``: enough digits to show the printed figure."""
    if value >= 1:
        return f"{value:,.1f} Mt"
    if value >= 0.1:
        return f"{value:.2f} Mt"
    return (f"{value:.4f}".rstrip("0").rstrip(".") + " Mt") if value else "0 Mt"


# ---------------------------------------------------------------------------------------------
# reserves-ranked
# ---------------------------------------------------------------------------------------------


def reserves_ranked_data() -> pd.DataFrame:
    """Reserves by country in MCS 2026 v1.3 (bars) and MCS 2025 (dots), Mt REO, ranked on MCS 2026.

    Countries with a reported figure in either edition; a country printed NA in one edition has
    no bar (or no dot) there and says so in its label. ``share_max_pct`` is the MCS 2026 share of
    the ">" world total, an upper bound.
    """
    supply = load_table("usgs_country_supply")
    new, old = rs.reserves_table(supply, NEW), rs.reserves_table(supply, OLD)
    merged = new.merge(old, on="country", how="outer", suffixes=("_new", "_old"))
    merged = merged[merged["reserves_t_new"].notna() | merged["reserves_t_old"].notna()].copy()
    merged["reserves_new_mt"] = merged["reserves_t_new"] / MT
    merged["reserves_old_mt"] = merged["reserves_t_old"] / MT
    merged["rank_new"] = merged["rank_new"].astype("Int64")
    merged = merged.sort_values(["rank_new", "reserves_old_mt"], ascending=[True, False], na_position="last")
    labels, ys = [], []
    for r in merged.itertuples():
        if pd.notna(r.reserves_new_mt):
            text = f"{_mt(r.reserves_new_mt)} · {UPPER}{r.share_max_pct_new:.1f}% of world"
            if pd.isna(r.reserves_old_mt):
                text += " · NA in MCS 2025"
            ys.append(f"{int(r.rank_new)}. {r.country}")
        else:
            text = f"NA in MCS 2026 (MCS 2025: {_mt(r.reserves_old_mt)})"
            ys.append(f"{r.country} (no rank)")
        labels.append(text)
    merged["row_label"] = ys
    merged["label"] = labels
    merged["label_x_mt"] = merged[["reserves_new_mt", "reserves_old_mt"]].max(axis=1)
    merged["edition_new"] = _version(supply, NEW)
    merged["edition_old"] = _version(supply, OLD)
    cols = ["row_label", "country", "rank_new", "reserves_new_mt", "share_max_pct_new", "share_bound_new",
            "reserves_old_mt", "share_max_pct_old", "label", "label_x_mt", "edition_new", "edition_old",
            "source_id_new", "source_id_old"]
    out = merged[cols].rename(columns={"share_max_pct_new": "share_max_pct", "share_bound_new": "share_bound",
                                       "share_max_pct_old": "share_max_pct_mcs2025"})
    for c in ("reserves_new_mt", "reserves_old_mt", "share_max_pct", "share_max_pct_mcs2025", "label_x_mt"):
        out[c] = out[c].astype(float).round(4)
    both_na = new.merge(old, on="country", suffixes=("_new", "_old"))
    both_na = both_na[both_na["reserves_t_new"].isna() & both_na["reserves_t_old"].isna()]["country"]
    out.attrs.update({"na_in_both": [c.split(" (")[0] for c in both_na if c != "Other"],
                      "world_new_t": new.attrs["world_total_t"], "world_old_t": old.attrs["world_total_t"],
                      "world_new_bound": new.attrs["world_bound"], "world_old_bound": old.attrs["world_bound"]})
    return out.reset_index(drop=True)


@figure("reserves-ranked", chapter="reserves", title="Rare-earth reserves by country, MCS 2026 v1.3 and MCS 2025")
def reserves_ranked(params: dict) -> charts.Figure:
    data = reserves_ranked_data()
    x_title = charts.axis_title("Reserves", "Mt REO")
    top = float(np.ceil(float(data["label_x_mt"].max()) * 2.0 / 10) * 10)  # room for the labels
    scale = alt.Scale(domain=[0, top], nice=False)
    y = alt.Y("row_label:N", title=None, sort=list(data["row_label"]))
    bars = alt.Chart().mark_bar(height=15).encode(
        x=alt.X("reserves_new_mt:Q", title=x_title, scale=scale, axis=alt.Axis(values=list(range(0, int(top) + 1, 10)))),
        y=y, **charts.china_emphasis("country", "bar"),
        tooltip=charts.tooltips("country", "rank_new", "reserves_new_mt", "share_max_pct", "reserves_old_mt"),
    )
    dots = alt.Chart().mark_point(shape="circle", filled=False, size=70, strokeWidth=2, color="black").encode(
        x=alt.X("reserves_old_mt:Q", title=x_title, scale=scale), y=y,
    )
    labels = alt.Chart().mark_text(align="left", dx=8, fontSize=11).encode(
        x=alt.X("label_x_mt:Q", title=x_title, scale=scale), y=y, text="label:N",
    )
    new_ed, old_ed = data["edition_new"].iloc[0], data["edition_old"].iloc[0]
    chart = alt.layer(bars, dots, labels, data=data).properties(
        width=400, height=alt.Step(21),
        title=alt.Title(f"Bars: {new_ed} · open circles: {old_ed} · China outlined",
                        subtitle="≤: at most, as the world total is a lower bound ('more than')",
                        fontSize=12, fontWeight="normal", color="#444444", subtitleFontSize=12),
    )
    w_new, w_old = data.attrs["world_new_t"] / MT, data.attrs["world_old_t"] / MT
    china = data[data["country"] == "China"].iloc[0]
    return charts.Figure(
        id="reserves-ranked",
        chart=chart,
        data=data,
        caption=(
            f"Rare-earth reserves by country (Mt of rare-earth oxide), ranked on USGS {new_ed} (bars; reserves at "
            f"2025) with USGS {old_ed} (open circles; reserves at 2024). Labels give each country's share of the world "
            f"total as an upper bound: USGS prints the world as 'more than' {w_new:g} Mt ({new_ed}) and {w_old:g} Mt "
            f"({old_ed}). NA: not available (not zero). No reserve figure in either edition: "
            + ", ".join(data.attrs["na_in_both"]) + " and 'Other'."
        ),
        alt_text=(
            "Ranked horizontal bars of reserves by country. "
            + "; ".join(f"{r.row_label}: " + (f"{r.reserves_new_mt:g} Mt" if pd.notna(r.reserves_new_mt) else "NA")
                        + (f" (MCS 2025 {r.reserves_old_mt:g} Mt)" if pd.notna(r.reserves_old_mt) else " (MCS 2025 NA)")
                        for r in data.itertuples())
            + f". China's share of world reserves is at most {china.share_max_pct:.1f}%."
        ),
        sources=sorted(set(data["source_id_new"].dropna()) | set(data["source_id_old"].dropna())),
        chapter="reserves",
    )


# ---------------------------------------------------------------------------------------------
# canada-reserves-vs-resources
# ---------------------------------------------------------------------------------------------


def canada_data() -> pd.DataFrame:
    """Canada's USGS reserves and M&I resources, NRCan's reserves-plus-resources and the seed's 15.2 Mt.

    Mt REO. ``bound`` is ``>`` for "more than"/"over" figures (lower bounds). The reference line is
    the second-largest reported reserve (Brazil in MCS 2026 v1.3): where 15.2 Mt would rank.
    """
    supply = load_table("usgs_country_supply")
    claims = load_table("claims").set_index("claim_id")
    sources = load_table("sources").set_index("source_id")
    table = rs.reserves_table(supply, NEW)
    ed = _version(supply, NEW)
    canada = table[table["country"] == "Canada"].iloc[0]
    res_t, res_bound, res_src = rs.mi_resources(supply, "Canada", NEW)
    c40 = claims.loc["C40"]
    claimed_t = float(c40["value"]) * (MT if str(c40["unit"]).startswith("Mt") else 1.0)
    authority_bound = ">" if re.search(r"\bover\b|more than", str(c40["authority_text"])) else "="
    nrcan_src = str(c40["authority_source_id"])
    seed_src = str(c40["seed_source_id"])
    seed_date = pd.Timestamp(sources.loc[seed_src, "date_published"]).strftime("%Y-%m-%d")
    nrcan_year = re.search(r"in (\d{4})", str(c40["authority_text"]))
    second = table[table["rank"] == 2].iloc[0]
    rows = [
        ("Reserves", f"USGS {ed}", float(canada["reserves_t"]), "=", "usgs_reserves", str(canada["source_id"])),
        ("Measured and indicated resources", f"USGS {ed}", res_t, res_bound, "usgs_resources", res_src),
        ("Reserves and M&I resources", "NRCan" + (f", {nrcan_year.group(1)} data" if nrcan_year else ""),
         float(c40["authority_value"]) * MT, authority_bound, "nrcan", nrcan_src),
        ("'Reserves' in the seed article", f"SMM, {seed_date}", claimed_t, str(c40["bound"]), "seed", seed_src),
    ]
    out = pd.DataFrame(rows, columns=["what", "who", "value_t", "bound", "kind", "source_id"])
    out["value_mt"] = (out["value_t"] / MT).round(4)
    out["row_label"] = out["what"] + "|" + out["who"]  # two lines on the axis
    out["label"] = [("more than " if b in (">", ">=") else "") + _mt(v) for v, b in zip(out["value_mt"], out["bound"])]
    out["is_lower_bound"] = out["bound"].isin([">", ">="])
    out["reference_mt"] = round(float(second["reserves_t"]) / MT, 4)
    out["reference_label"] = f"{second['country']}'s reserves, 2nd largest: {_mt(float(second['reserves_t']) / MT)}"
    return out[["row_label", "what", "who", "value_t", "value_mt", "bound", "is_lower_bound", "label", "kind",
                "source_id", "reference_mt", "reference_label"]]


@figure("canada-reserves-vs-resources", chapter="reserves", title="Canada: reserves, resources and the seed's 15.2 Mt")
def canada_reserves_vs_resources(params: dict) -> charts.Figure:
    data = canada_data()
    x_title = charts.axis_title("Rare-earth oxide", "Mt REO")
    top = float(data["value_mt"].max())
    scale = alt.Scale(domain=[0, top * 1.35], nice=False)
    y = alt.Y("row_label:N", title=None, sort=list(data["row_label"]),
              axis=alt.Axis(labelLimit=260, labelExpr="split(datum.label, '|')", labelLineHeight=14, labelOffset=-7))
    colours = {"usgs_reserves": charts.PRIMARY_COLOUR, "usgs_resources": charts.OKABE_ITO["sky_blue"],
               "nrcan": charts.OKABE_ITO["bluish_green"], "seed": charts.NEUTRAL_COLOUR}
    kinds = [k for k in colours if k in set(data["kind"])]
    bars = alt.Chart().mark_bar(height=18).encode(
        x=alt.X("value_mt:Q", title=x_title, scale=scale), y=y,
        color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=[colours[k] for k in kinds]), legend=None),
        opacity=alt.condition(alt.datum.is_lower_bound, alt.value(0.55), alt.value(1.0)),
        tooltip=charts.tooltips("row_label", "value_mt", "bound", "source_id"),
    )
    # "More than": an arrowhead at the end of the bar, pointing to larger values.
    arrows = alt.Chart().mark_point(shape="triangle-right", filled=True, size=150, color="black").encode(
        x=alt.X("value_mt:Q", title=x_title, scale=scale), y=y,
    ).transform_filter(alt.datum.is_lower_bound)
    labels = alt.Chart().mark_text(align="left", dx=11, fontSize=12).encode(
        x=alt.X("value_mt:Q", title=x_title, scale=scale), y=y, text="label:N",
    )
    rule = alt.Chart().mark_rule(strokeDash=[6, 3], color="black", strokeWidth=1.5).encode(
        x=alt.X("reference_mt:Q", title=x_title, scale=scale),
    ).transform_filter(alt.datum.kind == "usgs_reserves")
    rule_label = alt.Chart().mark_text(align="right", dx=-4, baseline="bottom", dy=-2, fontSize=11, fontStyle="italic").encode(
        x=alt.X("reference_mt:Q", title=x_title, scale=scale), y=alt.value(0), text="reference_label:N",
    ).transform_filter(alt.datum.kind == "usgs_reserves")
    chart = alt.layer(bars, arrows, labels, rule, rule_label, data=data).properties(width=340, height=alt.Step(38))
    usgs = data[data["kind"] == "usgs_reserves"].iloc[0]
    return charts.Figure(
        id="canada-reserves-vs-resources",
        chart=chart,
        data=data,
        caption=(
            f"Canada's rare-earth reserves and resources (Mt of rare-earth oxide): USGS {usgs['who'].removeprefix('USGS ')} "
            "reserves and measured-and-indicated (M&I) resources, Natural Resources Canada's (NRCan) reserves and "
            "resources together, and the seed's 'reserves' (SMM, 2025-12-29). Lighter bars with an arrowhead are lower "
            "bounds ('more than', 'over'). Dashed: the second-largest reserves of any country (USGS), where "
            f"{data.loc[data['kind'] == 'seed', 'value_mt'].iloc[0]:g} Mt would rank if it were reserves."
        ),
        alt_text=(
            "Four horizontal bars for Canada: "
            + "; ".join(f"{r.what} ({r.who}): {r.label}" for r in data.itertuples())
            + f". A dashed line marks {data['reference_label'].iloc[0]}."
        ),
        sources=list(dict.fromkeys(data["source_id"])),
        chapter="reserves",
    )


# ---------------------------------------------------------------------------------------------
# reserves-to-production
# ---------------------------------------------------------------------------------------------


def rp_data() -> pd.DataFrame:
    """R/P years (MCS 2026 v1.3: reserves / 2025e production) for countries with reported reserves and the world.

    Countries with reserves but no mine production are kept with ``rp_years`` empty and a label
    saying so; countries whose reserves USGS prints as NA are left out (listed in the caption).
    """
    supply = load_table("usgs_country_supply")
    rp = rs.reserves_to_production(supply, NEW)
    keep = rp[rp["rp_status"].isin(["computed", "no_production", "no_reserves"])].copy()
    labels = []
    for r in keep.itertuples():
        if r.rp_status == "no_production":
            labels.append(f"no {r.production_year} mine output: undefined")
        elif r.rp_bound in (">=", ">"):
            labels.append(f"{LOWER}{r.rp_years:,.0f} years (at least)")
        else:
            labels.append(f"{r.rp_years:,.0f} years")
    keep["label"] = labels
    keep["row_label"] = [("World" if w else c) for c, w in zip(keep["country"], keep["is_world_total"])]
    keep["is_lower_bound"] = keep["rp_bound"].isin([">=", ">"])
    keep["rp_years"] = keep["rp_years"].astype(float).round(3)
    keep["reserves_mt"] = (keep["reserves_t"] / MT).round(4)
    keep["production_t"] = keep["production_t"].astype(float)
    keep["edition"] = _version(supply, NEW)
    keep["source_id"] = str(supply.loc[supply["edition"] == NEW, "source_id"].iloc[0])
    keep = keep.sort_values(["is_world_total", "rp_years"], ascending=[False, False], na_position="last")
    keep.attrs["omitted"] = [c for c in rp.loc[rp["rp_status"] == "reserves_not_available", "country"]]
    cols = ["row_label", "country", "is_world_total", "reserves_t", "reserves_mt", "production_t", "production_year",
            "production_estimated", "rp_years", "rp_status", "rp_bound", "is_lower_bound", "label", "edition", "source_id"]
    out = keep[cols].reset_index(drop=True)
    out.attrs["omitted"] = keep.attrs["omitted"]
    return out


@figure("reserves-to-production", chapter="reserves", title="Reserves-to-production years by country")
def reserves_to_production(params: dict) -> charts.Figure:
    data = rp_data()
    x_title = charts.axis_title("Reserves ÷ 2025e production, log scale", "years")
    finite = data["rp_years"].dropna()
    lo = 10 ** np.floor(np.log10(finite.min()))
    hi = 10 ** np.ceil(np.log10(finite.max()) + 0.6)
    scale = alt.Scale(type="log", domain=[float(lo), float(hi)], nice=False)
    y = alt.Y("row_label:N", title=None, sort=list(data["row_label"]))
    x = alt.X("rp_years:Q", title=x_title, scale=scale,
              axis=alt.Axis(values=[float(10 ** k) for k in range(int(np.log10(lo)), int(np.log10(hi)) + 1)], format=",d"))
    rules = alt.Chart().mark_rule(color="#BBBBBB", strokeWidth=1).encode(
        x=alt.X("lo:Q", title=x_title, scale=scale), x2="rp_years:Q", y=y,
    ).transform_calculate(lo=str(float(lo))).transform_filter("isValid(datum.rp_years)")
    points = alt.Chart().mark_point(filled=True, opacity=1).encode(
        x=x, y=y, **charts.china_emphasis("country", "point"),
        tooltip=charts.tooltips("row_label", "reserves_t", "production_t", "rp_years", "rp_bound"),
    ).transform_filter("isValid(datum.rp_years) && !datum.is_lower_bound")
    world = alt.Chart().mark_point(shape="triangle-right", filled=True, size=170, color="black").encode(
        x=x, y=y,
    ).transform_filter(alt.datum.is_lower_bound)
    labels = alt.Chart().mark_text(align="left", dx=10, fontSize=12).encode(
        x=alt.X("rp_years:Q", title=x_title, scale=scale), y=y, text="label:N",
    ).transform_filter("isValid(datum.rp_years)")
    undefined = alt.Chart().mark_text(align="left", dx=4, fontSize=12, fontStyle="italic", color="#555555").encode(
        x=alt.value(0), y=y, text="label:N",
    ).transform_filter("!isValid(datum.rp_years)")
    chart = alt.layer(rules, points, world, labels, undefined, data=data).properties(width=380, height=alt.Step(24))
    omitted = data.attrs.get("omitted", [])
    ed = data["edition"].iloc[0]
    return charts.Figure(
        id="reserves-to-production",
        chart=chart,
        data=data,
        caption=(
            f"Reserves-to-production (R/P) years: reserves divided by 2025 estimated mine production, both from USGS "
            f"{ed}; log scale. A static ratio, not a forecast: it ignores new discoveries, reserve revisions and "
            "changes in output. The world's reserve total is printed as 'more than', so its R/P is a lower bound "
            "(arrowhead). China is the diamond. Left out, because USGS prints their reserves as NA: "
            + ", ".join(omitted) + "."
        ),
        alt_text=(
            "Dots on a logarithmic axis of reserves-to-production years: "
            + "; ".join(f"{r.row_label}: {r.label}" for r in data.itertuples()) + "."
        ),
        sources=sorted(set(data["source_id"])),
        chapter="reserves",
    )


# ---------------------------------------------------------------------------------------------
# reserve-revisions and production-2024-revisions
# ---------------------------------------------------------------------------------------------

_KIND_LABEL = {"revised": "revised", "newly_reported": "newly reported", "no_longer_reported": "now NA",
               "unchanged": "unchanged", "not_available": "NA in both", "added": "added", "dropped": "dropped"}


def revisions_data() -> pd.DataFrame:
    """Reserves that changed between MCS 2025 and MCS 2026 v1.3 (:func:`reserves.edition_changes`), Mt REO.

    One row per country whose figure changed (revised, newly reported, no longer reported), in a
    "Countries" panel, and the world total (a lower bound in both editions) in its own panel.
    """
    supply = load_table("usgs_country_supply")
    changes = rs.edition_changes(supply, OLD, NEW, "reserves")
    moved = changes[changes["kind"].isin(["revised", "newly_reported", "no_longer_reported"])].copy()
    moved["panel"] = np.where(moved["is_world_total"], "World total (a lower bound: '>' = 'more than')", "Countries")
    moved["panel_order"] = moved["is_world_total"].astype(int)
    moved["old_mt"] = (moved["old_t"] / MT).round(4)
    moved["new_mt"] = (moved["new_t"] / MT).round(4)
    moved["change_mt"] = (moved["change_t"] / MT).round(4)

    def show(v, bound):
        return "NA" if pd.isna(v) else ((">" if bound in (">", ">=") else "") + _mt(v))

    moved["label"] = [
        f"{show(r.old_mt, r.old_bound)} → {show(r.new_mt, r.new_bound)}"
        + (f" ({r.change_mt:+,.1f} Mt)".replace("-", "\u2212") if pd.notna(r.change_mt) else f" ({_KIND_LABEL[r.kind]})")
        for r in moved.itertuples()
    ]
    moved["label_x_mt"] = moved[["old_mt", "new_mt"]].max(axis=1)
    moved["row_label"] = np.where(moved["is_world_total"], "World", moved["country"])
    moved = moved.sort_values(["panel_order", "label_x_mt"], ascending=[True, False])
    moved["edition_old"] = _version(supply, OLD)
    moved["edition_new"] = _version(supply, NEW)
    cols = ["panel", "panel_order", "row_label", "country", "kind", "old_mt", "old_bound", "new_mt", "new_bound",
            "change_mt", "label", "label_x_mt", "edition_old", "edition_new"]
    out = moved[cols].reset_index(drop=True)
    unchanged = changes[changes["kind"] == "unchanged"]
    out.attrs["unchanged"] = list(unchanged["country"])
    return out


@figure("reserve-revisions", chapter="reserves", title="What changed in reserves, MCS 2025 to MCS 2026 v1.3")
def reserve_revisions(params: dict) -> charts.Figure:
    data = revisions_data()
    x_title = charts.axis_title("Reserves", "Mt REO")
    y = alt.Y("row_label:N", title=None, sort=list(data["row_label"]))
    links = alt.Chart().mark_rule(color="#777777", strokeWidth=2).encode(
        x=alt.X("old_mt:Q", title=x_title), x2="new_mt:Q", y=y,
    )
    old = alt.Chart().mark_point(shape="circle", filled=False, size=90, strokeWidth=2, color="black").encode(
        x=alt.X("old_mt:Q", title=x_title), y=y, tooltip=charts.tooltips("row_label", "old_mt", "old_bound", "kind"),
    )
    new = alt.Chart().mark_point(shape="circle", filled=True, size=90, opacity=1, color=charts.PRIMARY_COLOUR).encode(
        x=alt.X("new_mt:Q", title=x_title), y=y, tooltip=charts.tooltips("row_label", "new_mt", "new_bound", "kind"),
    )
    width = 250
    labels = alt.Chart().mark_text(align="left", fontSize=12, dx=8).encode(
        x=alt.value("width"), y=y, text="label:N",  # a column of labels right of the plot (follows a narrowed plot)
    )
    old_ed, new_ed = data["edition_old"].iloc[0], data["edition_new"].iloc[0]
    chart = (
        alt.layer(links, old, new, labels, data=data)
        .properties(width=width, height=alt.Step(26))
        .facet(row=alt.Row("panel:N", title=None, sort=alt.SortField("panel_order"),
                           header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                             labelFontWeight="bold", labelFontSize=12, labelPadding=4)),
               spacing=14)
        .resolve_scale(y="independent", x="independent")
        .properties(title=alt.Title(f"Open circles: {old_ed} · filled: {new_ed}", fontSize=12, fontWeight="normal",
                                    color="#444444"))
    )
    unchanged = data.attrs.get("unchanged", [])
    return charts.Figure(
        id="reserve-revisions",
        chart=chart,
        data=data,
        caption=(
            f"Reserve figures that changed between USGS {old_ed} (open circles; reserves at 2024) and USGS {new_ed} "
            "(filled; reserves at 2025), Mt of rare-earth oxide. NA: not available, which is not zero. Unchanged: "
            + ", ".join(unchanged) + ". The world totals are lower bounds and sit on their own scale."
        ),
        alt_text=(
            "Dumbbell chart of reserve changes: " + "; ".join(f"{r.row_label}: {r.label}" for r in data.itertuples()) + "."
        ),
        sources=["usgs_mcs_2025_ree", "usgs_mcs_2026_ree"],
        chapter="reserves",
    )


def production_revisions_data() -> pd.DataFrame:
    """2024 mine production as estimated in MCS 2025 (2024e) and as reported in MCS 2026 v1.3 (t REO).

    Every row with a number in either edition (countries printed as a dash, i.e. none, are left
    out), plus the rounded world total.
    """
    supply = load_table("usgs_country_supply")
    changes = rs.edition_changes(supply, OLD, NEW, "mine_production")
    rows = changes[(changes["old_t"].fillna(0) > 0) | (changes["new_t"].fillna(0) > 0)].copy()
    rows["ratio"] = (rows["new_t"] / rows["old_t"]).round(4)
    rows["label"] = [
        f"{r.old_t:,.0f} → {r.new_t:,.0f} t" + ("" if r.kind == "unchanged" else f" (×{r.ratio:.2f})")
        for r in rows.itertuples()
    ]
    rows["label_x_t"] = rows[["old_t", "new_t"]].max(axis=1)
    rows["row_label"] = np.where(rows["is_world_total"], "World (rounded)", rows["country"])
    rows = rows.sort_values(["is_world_total", "new_t"], ascending=[False, False])
    rows["edition_old"] = _version(supply, OLD)
    rows["edition_new"] = _version(supply, NEW)
    cols = ["row_label", "country", "is_world_total", "year_old", "old_t", "new_t", "change_t", "ratio", "kind", "label",
            "label_x_t", "edition_old", "edition_new"]
    return rows[cols].reset_index(drop=True)


@figure("production-2024-revisions", chapter="reserves", title="2024 mine production: the MCS 2025 estimate and the MCS 2026 figure")
def production_2024_revisions(params: dict) -> charts.Figure:
    data = production_revisions_data()
    x_title = charts.axis_title("2024 mine production, log scale", "t REO")
    lo = 10 ** np.floor(np.log10(min(data["old_t"].min(), data["new_t"].min())))
    hi = float(data["label_x_t"].max()) * 60  # room for the labels
    scale = alt.Scale(type="log", domain=[float(lo), float(hi)], nice=False)
    axis = alt.Axis(values=[float(10 ** k) for k in range(int(np.log10(lo)), int(np.floor(np.log10(hi))) + 1)],
                    format="~s")  # 10, 100, 1k … 1M: seven decades fit
    y = alt.Y("row_label:N", title=None, sort=list(data["row_label"]))
    links = alt.Chart().mark_rule(color="#777777", strokeWidth=2).encode(
        x=alt.X("old_t:Q", title=x_title, scale=scale, axis=axis), x2="new_t:Q", y=y,
    )
    # Small enough for China's diamond to show round it where the two editions agree.
    old = alt.Chart().mark_point(shape="circle", filled=False, size=50, strokeWidth=2, color="black").encode(
        x=alt.X("old_t:Q", title=x_title, scale=scale), y=y, tooltip=charts.tooltips("row_label", "old_t", "new_t", "ratio"),
    )
    new = alt.Chart().mark_point(filled=True, opacity=1).encode(
        x=alt.X("new_t:Q", title=x_title, scale=scale), y=y, **charts.china_emphasis("country", "point"),
        tooltip=charts.tooltips("row_label", "old_t", "new_t", "ratio"),
    )
    labels = alt.Chart().mark_text(align="left", dx=10, fontSize=12).encode(
        x=alt.X("label_x_t:Q", title=x_title, scale=scale), y=y, text="label:N",
    )
    old_ed, new_ed = data["edition_old"].iloc[0], data["edition_new"].iloc[0]
    chart = alt.layer(links, new, old, labels, data=data).properties(
        width=400, height=alt.Step(22),
        title=alt.Title(f"Open circles: {old_ed} (2024e) · filled: {new_ed} (2024)",
                        subtitle="China: diamond", fontSize=12, fontWeight="normal", color="#444444", subtitleFontSize=12),
    )
    return charts.Figure(
        id="production-2024-revisions",
        chart=chart,
        data=data,
        caption=(
            f"Mine production in 2024 (t of rare-earth oxide; log scale, k = thousand, M = million) as estimated in USGS {old_ed} (open circles) "
            f"and as printed a year later in USGS {new_ed} (filled). Labels: old → new and the ratio. Countries "
            "printed as a dash (no production) are left out; the world totals are USGS's rounded figures."
        ),
        alt_text=(
            "Dumbbell chart of 2024 mine production by country, estimate against later figure: "
            + "; ".join(f"{r.row_label}: {r.label}" for r in data.itertuples()) + "."
        ),
        sources=["usgs_mcs_2025_ree", "usgs_mcs_2026_ree"],
        chapter="reserves",
    )
