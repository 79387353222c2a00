"""Figures of the shares chapter: China's share stage by stage (one row per source and vintage),
the seeds' five percentages against the authority figures they may mean, and concentration (HHI).

No figure joins two rows into a line: stage, element basket, basis, source and year differ from row
to row (:data:`rare_earths.analysis.shares.SERIES_KEYS`), so each is a dot (or a bar) on its own row.
"""

from __future__ import annotations

import math
import re
import textwrap

import altair as alt
import pandas as pd

from rare_earths.figures import charts
from rare_earths.analysis import shares as sh
from rare_earths.data.load import load_table
from rare_earths.format import edition_label
from rare_earths.figures import figure

#: Stages from the ground to the customer, as the charts order them.
STAGE_ORDER = ("reserves", "mining", "separation_refining", "magnets", "us_imports")
STAGE_LABEL = {
    "reserves": "Reserves",
    "mining": "Mining",
    "separation_refining": "Separation and refining",
    "magnets": "Permanent-magnet manufacturing",
    "us_imports": "US imports of compounds and metals (by value)",
}
BASKET_NAME = {"all_ree": "all rare earths", "magnet_ree": "magnet REEs: Nd, Pr, Dy, Tb"}
BASKET_ORDER = ("all_ree", "magnet_ree")
STAGE_SHORT = {"reserves": "reserves", "mining": "mining", "separation_refining": "refining",
               "magnets": "magnets", "us_imports": "US import value"}
BASKET_SHORT = {"all_ree": "all REEs", "magnet_ree": "magnet REEs"}
#: Marks for a share's bound: a published or derived value, or an upper bound ("at most").
BOUND_LABEL = {"=": "as published or derived", "<=": "≤ at most: share of a 'more than' total"}
BOUND_SHAPE = {"=": "circle", "<=": "triangle-left"}
UPPER = "≤"


def _sources() -> pd.DataFrame:
    return load_table("sources").set_index("source_id")


def _source_name(source_id: str, edition: str) -> str:
    """``USGS MCS 2026 v1.3``, ``IEA GCMO 2025``, ``IEA commentary 2025-10-23``, ``Roskill 2020``."""
    return edition_label(_sources().loc[source_id, "producer_short"], edition)


def _basket_labels(frame: pd.DataFrame) -> dict[str, str]:
    """Legend labels naming the producers a chart actually shows for each basket."""
    sources = _sources()
    out = {}
    for basket, group in frame.groupby("basket", sort=False):
        who = ", ".join(dict.fromkeys(str(sources.loc[s, "producer_short"]) for s in group["source_id"]))
        out[basket] = f"{BASKET_NAME.get(basket, basket)} ({who})"
    return out


def _basket_domain(data: pd.DataFrame) -> list[str]:
    """The legend's basket labels in a fixed order (all rare earths first), so colours stay put."""
    labels = dict(zip(data["basket"], data["basket_label"]))
    return [labels[b] for b in BASKET_ORDER if b in labels]


def _fmt_pct(value: float, bound: str = "=") -> str:
    return f"{UPPER if bound == '<=' else ''}{value:.1f}%"


# ---------------------------------------------------------------------------------------------
# china-share-by-stage
# ---------------------------------------------------------------------------------------------


def stage_share_data() -> pd.DataFrame:
    """China's observed shares, one row per (stage, source, edition, year), ready to plot.

    From ``stage_shares.csv`` (projections left out). Adds: the period as printed (``2025e`` for
    USGS estimates, ``2021–24`` for the US import shares, read from ``usgs_us_imports``), the
    range over the rounding of the USGS world production totals (:func:`shares.usgs_mining_share`),
    and the label drawn next to each dot (``≤`` for upper bounds).
    """
    ss = load_table("stage_shares")
    supply = load_table("usgs_country_supply")
    imports = load_table("usgs_us_imports")
    china = sh.china_shares(ss)
    china = china[~china["is_projection"].fillna(False).astype(bool)].copy()
    notes = ss.set_index("share_id")["note"]
    rows = []
    for _, r in china.iterrows():
        year = int(r["year"])
        period = str(year)
        low = high = float(r["share_pct"])
        base_edition = str(r["edition"]).split(" v")[0]
        if r["source_id"].startswith("usgs_mcs") and r["stage"] == "mining":
            est = supply[(supply["source_id"] == r["source_id"]) & (supply["measure"] == "mine_production")
                         & (supply["country"] == "China") & (supply["year"] == year)]["estimated"]
            if len(est) == 1 and bool(est.iloc[0]):
                period += "e"
            ranged = sh.usgs_mining_share(supply, "China", base_edition, year)
            low, high = ranged.low, ranged.high
        elif r["stage"] == "reserves":
            period = f"reserves at {year}"
        elif r["stage"] == "us_imports":
            imp = imports[(imports["source_id"] == r["source_id"]) & (imports["measure"] == "import_source_share")
                          & (imports["partner"] == "China") & (imports["commodity"] == "rare-earth compounds and metals")
                          & (imports["year_end"] == year)]
            if len(imp) == 1:
                period = f"{int(imp['year_start'].iloc[0])}–{str(year)[-2:]}"
        note = str(notes.get(r["share_id"], ""))
        if re.search(r"\bassumed\b", note):
            period = "year not stated"
        reported = bool(re.search(r"as reported|Figure as reported", note)) or "as reported" in str(
            ss.set_index("share_id").loc[r["share_id"], "locator"])
        source = _source_name(r["source_id"], r["edition"])
        rows.append({
            "stage": r["stage"], "stage_label": STAGE_LABEL.get(r["stage"], r["stage"]),
            "stage_order": STAGE_ORDER.index(r["stage"]) if r["stage"] in STAGE_ORDER else len(STAGE_ORDER),
            "row_label": f"{source} · {period}" + (" (as reported)" if reported else ""),
            # y value: unique across panels; the axis shows it on two lines (source | period)
            "row_key": f"{r['stage']}|{source}|{period}" + (", as reported" if reported else ""),
            "source_id": r["source_id"], "edition": r["edition"], "year": year, "period": period,
            "basket": r["basket"],
            "basis": r["basis"], "share_pct": round(float(r["share_pct"]), 3),
            "low_pct": round(low, 3), "high_pct": round(high, 3), "bound": r["bound"],
            "bound_label": BOUND_LABEL.get(r["bound"], r["bound"]),
            "label": _fmt_pct(float(r["share_pct"]), r["bound"]) + (" (at most)" if r["bound"] == "<=" else "")
                     + (f" ({low:.1f}–{high:.1f})" if round(low, 1) != round(high, 1) else ""),
            "share_id": r["share_id"],
            "published": pd.Timestamp(_sources().loc[r["source_id"], "date_published"]).strftime("%Y-%m-%d"),
        })
    data = pd.DataFrame(rows)
    data.insert(data.columns.get_loc("basket") + 1, "basket_label", data["basket"].map(_basket_labels(data)))
    # Within a stage: one basket after the other, latest publication first, then latest year.
    data = data.sort_values(["stage_order", "basket", "published", "year"], ascending=[True, True, False, False],
                            kind="stable")
    data["row_order"] = range(len(data))
    return data.reset_index(drop=True)


def _by_stage(layered):
    """One panel per supply-chain stage, in chain order, each with its own rows (shared by the
    stage-share and concentration charts)."""
    return layered.facet(
        row=alt.Row("stage_label:N", title=None, sort=alt.SortField("stage_order"),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                      labelFontWeight="bold", labelFontSize=13, labelPadding=4)),
        spacing=10,
    ).resolve_scale(y="independent")


@figure("china-share-by-stage", chapter="shares", title="China's share at each stage, by source and vintage")
def china_share_by_stage(params: dict) -> charts.Figure:
    data = stage_share_data()
    x_title = charts.axis_title("China's share", "%")
    x = alt.X("share_pct:Q", title=x_title, scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=list(range(0, 101, 20))))
    y = alt.Y("row_key:N", title=None, sort=list(data["row_key"]),
              axis=alt.Axis(labelLimit=260, labelExpr="slice(split(datum.label, '|'), 1)", labelLineHeight=14,
                            labelOffset=-7))  # two lines, centred on the tick
    bounds = [b for b in BOUND_LABEL if b in set(data["bound"])]
    baskets = _basket_domain(data)
    points = alt.Chart().mark_point(filled=True, size=110, opacity=1, stroke="black", strokeWidth=0.6).encode(
        x=x, y=y,
        color=alt.Color("basket_label:N", title="Element basket", scale=alt.Scale(domain=baskets, range=charts.PALETTE[:len(baskets)]),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=360)),
        shape=alt.Shape("bound_label:N", title="Value",
                        scale=alt.Scale(domain=[BOUND_LABEL[b] for b in bounds], range=[BOUND_SHAPE[b] for b in bounds]),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=360)),
        tooltip=charts.tooltips("stage_label", "row_label", "basket_label", "basis", "share_pct", "low_pct", "high_pct", "bound", "share_id"),
    )
    labels = alt.Chart().mark_text(align="left", dx=9, fontSize=12).encode(
        x=alt.X("share_pct:Q", title=x_title), y=y, text="label:N",
    )
    chart = (
        _by_stage(alt.layer(points, labels, data=data).properties(width=270, height=alt.Step(32)))
    )
    china_rows = len(data)
    return charts.Figure(
        id="china-share-by-stage",
        chart=chart,
        data=data,
        caption=(
            "China's share at each stage of the supply chain, one row per source and vintage; rows are never joined "
            "because stage, element basket, basis and year differ. Reserves: USGS MCS 2025 and MCS 2026 v1.3, shares "
            "of a world total printed as 'more than', hence upper bounds (≤, left-pointing triangles). Mining: USGS "
            "(all rare-earth oxides; e = estimate; in brackets, the range over the rounding of the world total) and "
            "IEA GCMO 2024/2025 (magnet rare earths). Refining: IEA GCMO 2025 (data for 2024), GCMO 2024 and the IEA "
            "commentary of 2025-10-23 as reported by the trade press, and Roskill (2020). US imports: USGS, share of "
            "import value over four years."
        ),
        alt_text=(
            f"A dot plot of {china_rows} China shares grouped by stage. Reserves: at most "
            + ", ".join(data.loc[data["stage"] == "reserves", "label"].str.replace(" (at most)", "", regex=False))
            + ". Mining: " + ", ".join(data.loc[data["stage"] == "mining", "label"])
            + ". Separation and refining: " + ", ".join(data.loc[data["stage"] == "separation_refining", "label"])
            + ". Magnets: " + ", ".join(data.loc[data["stage"] == "magnets", "label"])
            + ". US imports: " + ", ".join(data.loc[data["stage"] == "us_imports", "label"]) + "."
        ),
        sources=sorted(set(data["source_id"])),
        chapter="shares",
    )


# ---------------------------------------------------------------------------------------------
# seed-shares-reconciled
# ---------------------------------------------------------------------------------------------


def _seed_verdicts() -> dict[tuple[str, float], str]:
    """``(seed_source_id, value) -> verdict`` for the seeds' percentage claims in ``claims.csv``."""
    claims = load_table("claims")
    pct = claims[(claims["unit"] == "%") & claims["stage"].notna() & claims["value"].notna()]
    out: dict[tuple[str, float], str] = {}
    for (src, value), group in pct.groupby(["seed_source_id", "value"]):
        if len(group) == 1 and pd.notna(group["verdict"].iloc[0]):
            out[(str(src), float(value))] = str(group["verdict"].iloc[0])
    return out


def seed_reconciliation_data() -> pd.DataFrame:
    """:func:`shares.reconcile_seed_shares` with the labels the chart draws (one row per candidate)."""
    ss = load_table("stage_shares")
    rec = sh.reconcile_seed_shares(ss)
    rec = rec.assign(_abs=rec["gap_pp"].abs(), _seed=rec["seed"].astype(float))
    rec = rec.sort_values(["_seed", "_abs"], kind="stable").drop(columns=["_abs", "_seed"]).reset_index(drop=True)
    sources = _sources()
    verdicts = _seed_verdicts()
    periods = stage_share_data().set_index("share_id")["period"]
    rows = []
    for i, r in rec.iterrows():
        date = pd.Timestamp(sources.loc[r["seed_source_id"], "date_published"]).strftime("%Y-%m-%d")
        verdict = verdicts.get((r["seed_source_id"], float(r["seed_pct"])))
        # Header lines (split on "|" by the chart): the quote, wrapped, then where it is from and its verdict.
        quote = textwrap.wrap(f"\u201c{r['seed_wording']}\u201d", 44)
        header = "|".join(quote) + f"|SMM, {date}" + (f" · ledger verdict: {verdict}" if verdict else "")
        source = _source_name(r["source_id"], r["edition"])
        period = str(periods.get(r["share_id"], r["year"]))
        rows.append({
            "seed": r["seed"], "seed_pct": float(r["seed_pct"]), "seed_source_id": r["seed_source_id"],
            "seed_header": header, "seed_order": int(float(r["seed"])),
            "candidate_label": f"{source} · {period} · {STAGE_SHORT.get(r['stage'], r['stage'])}, "
                               f"{BASKET_SHORT.get(r['basket'], r['basket'])}",
            # y key: unique per panel; the axis shows it on two lines (source | period · what is measured)
            "candidate_key": f"{r['seed']}|{source}|{period} · {STAGE_SHORT.get(r['stage'], r['stage'])}, "
                             f"{BASKET_SHORT.get(r['basket'], r['basket'])}",
            "candidate_order": i,
            "share_id": r["share_id"], "source_id": r["source_id"], "edition": r["edition"], "year": int(r["year"]),
            "stage": r["stage"], "basket": r["basket"],
            "basis": r["basis"], "authority_pct": float(r["authority_pct"]), "bound": r["bound"],
            "gap_pp": round(float(r["gap_pp"]), 3), "closest": bool(r["closest"]),
            "gap_label": f"{float(r['gap_pp']):+.1f} pp".replace("+0.0", "0.0").replace("-", "\u2212")
                         + (" closest" if r["closest"] else ""),
            "seed_label": f"seed {float(r['seed_pct']):g}%",
        })
    data = pd.DataFrame(rows)
    data.insert(data.columns.get_loc("basket") + 1, "basket_label", data["basket"].map(_basket_labels(data)))
    return data


@figure("seed-shares-reconciled", chapter="shares", title="The seeds' five China shares against the authorities")
def seed_shares_reconciled(params: dict) -> charts.Figure:
    data = seed_reconciliation_data()
    lo = min(data["seed_pct"].min(), data["authority_pct"].min())
    domain = [max(0, math.floor((lo - 1) / 10) * 10), 100]
    x_title = charts.axis_title("China's share", "%")
    x = alt.X("authority_pct:Q", title=x_title, scale=alt.Scale(domain=domain), axis=alt.Axis(values=list(range(domain[0], 101, 10))))
    y = alt.Y("candidate_key:N", title=None, sort=list(data["candidate_key"]),
              axis=alt.Axis(labelLimit=420, labelExpr="slice(split(datum.label, '|'), 1)", labelLineHeight=14,
                            labelOffset=-7))  # two lines, centred on the tick
    width = 200
    seed_rule = alt.Chart().mark_rule(color="black", strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("seed_pct:Q", title=x_title, scale=alt.Scale(domain=domain)),
    ).transform_filter(alt.datum.closest)
    baskets = _basket_domain(data)
    points = alt.Chart().mark_point(filled=True, opacity=1, stroke="black", strokeWidth=0.6).encode(
        x=x, y=y,
        color=alt.Color("basket_label:N", title="Element basket", scale=alt.Scale(domain=baskets, range=charts.PALETTE[:len(baskets)]),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=360)),
        shape=alt.condition(alt.datum.closest, alt.value("diamond"), alt.value("circle")),
        size=alt.condition(alt.datum.closest, alt.value(170), alt.value(70)),
        tooltip=charts.tooltips("seed_header", "candidate_label", "authority_pct", "gap_pp", "closest", "share_id"),
    )
    gap = alt.Chart().mark_text(align="left", fontSize=12, dx=10).encode(
        x=alt.value("width"), y=y, text="gap_label:N",
    ).transform_filter(~alt.datum.closest)
    gap_closest = alt.Chart().mark_text(align="left", fontSize=12, fontWeight="bold", dx=10).encode(
        x=alt.value("width"), y=y, text="gap_label:N",
    ).transform_filter(alt.datum.closest)
    chart = (
        alt.layer(seed_rule, points, gap, gap_closest, data=data)
        .properties(width=width, height=alt.Step(36))
        .facet(row=alt.Row("seed_header:N", title=None, sort=alt.SortField("seed_order"),
                           header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                             labelFontWeight="bold", labelFontSize=12, labelPadding=4, labelLimit=760,
                                             labelExpr="split(datum.label, '|')", labelLineHeight=15)),
               spacing=12)
        .resolve_scale(y="independent")
    )
    closest = data[data["closest"]]
    return charts.Figure(
        id="seed-shares-reconciled",
        chart=chart,
        data=data,
        caption=(
            "Each China share quoted by the seed articles (SMM, 2025-09-18 and 2025-12-29; dashed line) against the "
            "authority figures it could stand for (dots; diamond = closest). Right: seed minus authority in percentage "
            "points. Authorities: IEA GCMO 2025 (data for 2024), GCMO 2024 (2023, as reported), the IEA commentary of "
            "2025-10-23 (as reported), Roskill (2020) and USGS MCS 2025 / MCS 2026 v1.3. Verdicts from the book's "
            "claims ledger. The axis starts at "
            f"{domain[0]}%."
        ),
        alt_text=(
            "Five panels, one per seed percentage, each with a dashed line at the seed's value and dots for the "
            "authority shares it could mean. Closest matches: "
            + "; ".join(f"seed {r.seed_pct:g}% vs {r.candidate_label} {r.authority_pct:g}% ({r.gap_label.replace(' closest', '')})"
                        for r in closest.itertuples())
            + "."
        ),
        sources=sorted(set(data["seed_source_id"]) | set(data["source_id"])),
        chapter="shares",
    )


# ---------------------------------------------------------------------------------------------
# concentration-hhi
# ---------------------------------------------------------------------------------------------


def concentration_data() -> pd.DataFrame:
    """:func:`shares.concentration_table` with row labels (one row per source, stage and year)."""
    table = sh.concentration_table(load_table("usgs_country_supply"), load_table("stage_shares"))
    out = table.copy()
    out["stage_label"] = out["stage"].map(STAGE_LABEL)
    out["period"] = out["year"].astype(str) + out["estimated"].map({True: "e", False: ""})
    out["edition"] = out["edition"].str.replace(r" v1\.0$", "", regex=True)  # MCS 2025 has one version
    out["row_label"] = [
        f"{STAGE_LABEL[r.stage].split(' (')[0]} · {_source_name(r.source_id, r.edition)} · {r.period}"
        for r in out.itertuples()
    ]
    out["basket_label"] = out["basket"].map(_basket_labels(out))
    out["stage_order"] = out["stage"].map(lambda s: STAGE_ORDER.index(s))
    for col in ("china_share_pct", "china_share_low_pct", "china_share_high_pct", "top3_share_pct", "hhi", "hhi_high",
                "unlisted_pct"):
        out[col] = out[col].astype(float).round(3)
    out["label"] = [f"{r.hhi:,.0f} (China {r.china_share_pct:.1f}%)" for r in out.itertuples()]
    out["row_key"] = [f"{r.stage}|{_source_name(r.source_id, r.edition)} · {r.period}" for r in out.itertuples()]
    out = out.sort_values(["stage_order", "basket", "edition", "year"], ascending=[True, True, False, False], kind="stable")
    out["row_order"] = range(len(out))
    out["threshold"] = sh.HHI_HIGHLY_CONCENTRATED
    return out.reset_index(drop=True)


@figure("concentration-hhi", chapter="shares", title="How concentrated mining and refining are (HHI)")
def concentration_hhi(params: dict) -> charts.Figure:
    data = concentration_data()
    x_title = charts.axis_title("Herfindahl–Hirschman index", "points of 10,000")
    scale = alt.Scale(domain=[0, 10_000])
    y = alt.Y("row_key:N", title=None, sort=list(data["row_key"]),
              axis=alt.Axis(labelLimit=260, labelExpr="split(datum.label, '|')[1]"))
    baskets = _basket_domain(data)
    bars = alt.Chart().mark_bar(height=16).encode(
        x=alt.X("hhi:Q", title=x_title, scale=scale, axis=alt.Axis(values=list(range(0, 10_001, 2_000)))),
        y=y,
        color=alt.Color("basket_label:N", title="Element basket", scale=alt.Scale(domain=baskets, range=charts.PALETTE[:len(baskets)]),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=360)),
        tooltip=charts.tooltips("row_label", "hhi", "hhi_high", "china_share_pct", "top3_share_pct", "top3_countries", "unlisted_pct"),
    )
    whisker = alt.Chart().mark_rule(strokeWidth=2, color="black").encode(
        x=alt.X("hhi:Q", title=x_title, scale=scale), x2="hhi_high:Q", y=y,
    )
    labels = alt.Chart().mark_text(align="left", dx=6, fontSize=11).encode(
        x=alt.X("hhi_high:Q", title=x_title, scale=scale), y=y, text="label:N",
    )
    rule = alt.Chart().mark_rule(strokeDash=[6, 3], color="black", strokeWidth=1.5).encode(
        x=alt.X("threshold:Q", title=x_title, scale=scale),
    )
    chart = (
        _by_stage(alt.layer(bars, whisker, labels, rule, data=data).properties(width=290, height=alt.Step(26)))
        .properties(title=alt.Title(f"Dashed line: {sh.HHI_HIGHLY_CONCENTRATED:,.0f}, 'highly concentrated' "
                                    "(US 2023 Merger Guidelines)", fontSize=12, fontWeight="normal", color="#444444"))
    )
    return charts.Figure(
        id="concentration-hhi",
        chart=chart,
        data=data,
        caption=(
            "Herfindahl–Hirschman index (sum of squared country shares, 0–10,000) of rare-earth mining and refining, "
            "with China's share in brackets. USGS MCS 2025 and MCS 2026 v1.3 (all rare-earth oxides; e = estimate) "
            "and IEA GCMO 2025 (magnet rare earths, data for 2024). Bars treat producers the source does not list as "
            "many small ones; the black whisker ends where they are as concentrated as allowed. Dashed line: the "
            "'highly concentrated' threshold of the US 2023 Merger Guidelines."
        ),
        alt_text=(
            "Horizontal bars of the HHI for each source and year, mining and refining in separate panels, all far "
            f"to the right of a dashed threshold line at {sh.HHI_HIGHLY_CONCENTRATED:,.0f}: "
            + "; ".join(f"{r.row_label}: {r.hhi:,.0f}, China {r.china_share_pct:.1f}%, top three {r.top3_share_pct:.1f}%"
                        for r in data.itertuples()) + "."
        ),
        sources=sorted(set(data["source_id"])) + [sh.HHI_THRESHOLD_SOURCE],
        chapter="shares",
    )
