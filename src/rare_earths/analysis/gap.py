"""The gap, tested: Western and Chinese separation costs from the evidence, the implied operating-cost gap,
where the seed's "30–40 %" falls on it, and the capital-cost gap per tonne of capacity by stage.

Units: USD per kg of NdPr oxide (``USD/kg``) for unit costs; USD per tonne of annual capacity
(``USD per t/yr``) for capital intensity; percent for gaps. Every money value is converted from its
original currency with the rate recorded in its row (:func:`rare_earths.analysis.evidence.to_usd`).

Unit-cost estimates (:func:`cost_estimates`), one row each:

* a cost stated per kilogram (``producer_costs`` rows without ``input_role``), converted to USD;
* a cost implied from a producer's accounts: ``(revenue - EBITDA) / NdPr tonnes produced``, all
  cash costs put on NdPr, so an *upper bound* on the NdPr cost (Lynas, per fiscal year):
  ``USD/kg = (revenue - ebitda) [m] * 1e6 * fx / (tonnes * 1,000)``;
* China's implied cost ``= price * (1 - margin)``: every 2024 NdPr oxide price in China against every
  2024 margin of China Northern Rare Earth (the gross margins reported, and the net margin
  ``net profit / revenue``), low ``min price * (1 - max margin)``, high ``max price * (1 - min
  margin)``, central ``median price * (1 - median margin)``; and Adamas's industry-average margins
  paired with its own prices for other years (context: the implied cost follows the price).

Groups (:data:`GROUPS`): ``west_reported`` (reported and implied from accounts, NdPr basis),
``west_projected`` (feasibility studies and management targets), ``china_implied``, and the rest as
context (per kg of all REO, incentive prices, other years). A group's range is
:func:`rare_earths.analysis.evidence.spread` over its estimates; an open bound (``>60``) counts at its
bound.

Gap in percent (:func:`gap_pct`): ``(west / china - 1) * 100`` with low ``west.low / china.high``,
central ``west.central / china.central`` and high ``west.high / china.low``. The seed's band is
placed on it with :func:`band_position` (``(x - low) / (high - low) * 100``) and judged with
:func:`band_verdict`: ``confirmed`` if the band holds the central gap and lies inside the range,
``approximate`` if it only overlaps the range, ``conflicts`` if it lies outside it.

Capital intensity (:func:`capex_intensity`): ``capex [USD m] * 1e6 / added capacity [t/yr]``, added
capacity being the stated capacity minus ``capacity_included``; low ``capex_low / capacity_high``,
high ``capex_high / capacity_low``. A plant counts once, with its latest figure. A stage's range
(:func:`stage_intensity`) spans the plants of that stage, side (in China or not) and capacity
basis whose figure is comparable enough (:data:`INTENSITY_USES`); the capital gap is the ratio of the
Western to the Chinese range (:func:`rare_earths.analysis.evidence.ratio_range`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis.evidence import KG_PER_T, midpoint, ratio_range, spread, to_usd
from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError, check_number

GROUPS = ("west_reported", "west_projected", "china_implied", "context")

#: Comparability classes whose intensity enters a stage's range.
INTENSITY_USES = ("comparable", "brownfield", "replacement", "partial_stage", "funding_proxy")

USD_PER_USD_M = 1e6


def _s(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def _usd_rows(costs: pd.DataFrame) -> pd.DataFrame:
    out = costs.copy()
    out["usd_low"] = to_usd(out["value_low"], out["currency"], out["fx_rate"], out["fx_convention"])
    out["usd_high"] = to_usd(out["value_high"], out["currency"], out["fx_rate"], out["fx_convention"])
    return out


def _group(row) -> str:
    west = _s(row["country"]) not in ("China", "ex-China")
    if _s(row["product_basis"]) not in ("ndpr_oxide", "ndpr_equivalent"):
        return "context"
    if west and row["basis"] in ("reported_actual", "implied_from_accounts"):
        return "west_reported"
    if west and row["basis"] in ("feasibility_projection", "management_target"):
        return "west_projected"
    return "context"


def _estimate(**kw) -> dict:
    base = {"estimate_id": "", "producer": "", "country": "", "group": "context", "basis": "", "cost_type": "",
            "product_basis": "",
            "year": None, "period": "", "low_usd_per_kg": np.nan, "high_usd_per_kg": np.nan, "bound": "=",
            "formula": "", "sources": (), "evidence": ""}
    base.update(kw)
    return base


def _span(low: float, high: float) -> str:
    return f"{low:g}" if not np.isfinite(high) or high == low else f"{low:g}–{high:g}"


def stated_costs(costs: pd.DataFrame) -> pd.DataFrame:
    """Costs stated per kilogram, in USD/kg (rows without an exchange rate are left out)."""
    rows = _usd_rows(costs)
    rows = rows[rows["input_role"].isna() & np.isfinite(rows["usd_low"])]
    out = []
    for _, r in rows.iterrows():
        high = r["usd_high"] if np.isfinite(r["usd_high"]) else r["usd_low"]
        rate = "" if _s(r["currency"]) == "USD" else f" x {r['fx_rate']:g} ({r['fx_convention']})"
        out.append(_estimate(
            estimate_id=r["cost_id"], producer=r["producer"], country=r["country"], group=_group(r),
            basis=r["basis"], cost_type=r["cost_type"], product_basis=r["product_basis"], year=int(r["year"]),
            period=r["period"], low_usd_per_kg=float(r["usd_low"]), high_usd_per_kg=float(high), bound=r["bound"],
            formula=f"{_span(r['value_low'], r['value_high'])} {r['unit']}{rate}",
            sources=(r["source_id"],) + ((r["fx_source_id"],) if _s(r["fx_source_id"]) else ()),
            evidence=r["evidence"]))
    return pd.DataFrame(out)


def implied_from_accounts(costs: pd.DataFrame) -> pd.DataFrame:
    """``(revenue - EBITDA) / NdPr tonnes``, per producer and year, in USD/kg: an upper bound on the NdPr cost."""
    rows = _usd_rows(costs)
    rows = rows[rows["basis"] == "implied_from_accounts"]
    out = []
    for (producer, year), g in rows.groupby(["producer", "year"], sort=True):
        roles = g.set_index("input_role")
        if not {"revenue", "ebitda", "tonnes_ndpr_produced"} <= set(roles.index):
            continue
        rev, ebitda, tonnes = roles.loc["revenue"], roles.loc["ebitda"], roles.loc["tonnes_ndpr_produced"]
        if not (np.isfinite(rev["usd_low"]) and np.isfinite(ebitda["usd_low"])):
            continue
        cash_usd_m = rev["usd_low"] - ebitda["usd_low"]
        per_kg = cash_usd_m * USD_PER_USD_M / (tonnes["value_low"] * KG_PER_T)
        out.append(_estimate(
            estimate_id=f"{_slug(producer)}_{int(year)}_cash_cost_per_kg_ndpr", producer=producer, country=rev["country"],
            group="west_reported", basis="implied_from_accounts", product_basis="ndpr_oxide", year=int(year),
            period=rev["period"], low_usd_per_kg=float(per_kg), high_usd_per_kg=float(per_kg), bound="<=",
            formula=f"(revenue - EBITDA) / NdPr t = ({rev['value_low']:g} - {ebitda['value_low']:g}) {rev['currency']} m "
                    f"x {rev['fx_rate']:g} / {tonnes['value_low']:,.0f} t",
            sources=tuple(dict.fromkeys([rev["source_id"], ebitda["source_id"], tonnes["source_id"], rev["fx_source_id"]])),
            evidence="secondary" if "secondary" in {rev["evidence"], ebitda["evidence"], tonnes["evidence"]} else "primary"))
    return pd.DataFrame(out)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


@dataclass(frozen=True)
class ChinaImplied:
    """China's implied NdPr oxide cost in one year: price times (1 - margin)."""

    year: int
    prices: pd.DataFrame  # cost_id, usd_per_kg, source_id
    margins: pd.DataFrame  # what, margin_pct, source_ids
    cost: Ranged  # USD/kg

    @property
    def sources(self) -> tuple[str, ...]:
        ids = list(self.prices["source_id"])
        for s in self.margins["source_ids"]:
            ids += list(s)
        return tuple(dict.fromkeys(ids))


def china_implied(costs: pd.DataFrame, year: int = 2024) -> ChinaImplied:
    """China's implied cost in ``year`` from every price and margin of that year (see the module docstring)."""
    rows = _usd_rows(costs)
    china = rows[rows["country"] == "China"]
    prices = china[(china["input_role"] == "reference_price") & (china["year"] == year) & np.isfinite(china["usd_low"])]
    if prices.empty:
        raise ParameterError(f"year={year}: no China NdPr oxide price of that year in producer_costs")
    margins = []
    for _, m in china[(china["input_role"] == "gross_margin_pct") & (china["year"] == year)].iterrows():
        margins.append({"what": f"gross margin, {m['period']}", "margin_pct": float(midpoint(m["value_low"], m["value_high"])),
                        "source_ids": (m["source_id"],)})
    group = china[(china["year"] == year) & china["input_role"].isin(["revenue", "net_profit"])]
    for producer, g in group.groupby("producer"):
        roles = g.set_index("input_role")
        if {"revenue", "net_profit"} <= set(roles.index):
            margins.append({"what": f"net margin {year} (net profit / revenue)",
                            "margin_pct": float(roles.loc["net_profit", "value_low"] / roles.loc["revenue", "value_low"] * 100),
                            "source_ids": (roles.loc["revenue", "source_id"],)})
    if not margins:
        raise ParameterError(f"year={year}: no Chinese producer margin of that year in producer_costs")
    margins = pd.DataFrame(margins)
    p = prices["usd_low"].to_numpy(float)
    m = margins["margin_pct"].to_numpy(float) / 100.0
    cost = Ranged(float(p.min() * (1 - m.max())), float(np.median(p) * (1 - np.median(m))), float(p.max() * (1 - m.min())),
                  "USD/kg")
    price_frame = pd.DataFrame({"cost_id": prices["cost_id"].to_numpy(), "producer": prices["producer"].to_numpy(),
                                "period": prices["period"].to_numpy(), "usd_per_kg": p,
                                "source_id": prices["source_id"].to_numpy()})
    return ChinaImplied(year, price_frame, margins, cost)


def china_paired(costs: pd.DataFrame) -> pd.DataFrame:
    """Adamas's industry-average margin paired with its price of the same period: the implied cost in other years."""
    rows = _usd_rows(costs)
    average = rows[rows["product_basis"] == "industry_average"]
    producers = set(average["producer"])
    prices = rows[(rows["input_role"] == "reference_price") & rows["producer"].isin(producers)]
    margins = average[(average["input_role"] == "profit_margin_pct") & ~average["cost_type"].str.contains("heavy", na=False)]
    out = []
    for _, price in prices.iterrows():
        same = margins[(margins["period"] == price["period"]) & (margins["producer"] == price["producer"])]
        if same.empty:
            continue
        margin = float(same["value_low"].iloc[0])
        cost = float(price["usd_low"]) * (1 - margin / 100.0)
        out.append(_estimate(
            estimate_id=f"china_implied_{_slug(price['period'])}", producer="China (industry average, Adamas)",
            country="China", group="context", basis="implied_from_price_and_margin", product_basis="ndpr_oxide",
            year=int(price["year"]), period=price["period"], low_usd_per_kg=cost, high_usd_per_kg=cost,
            formula=f"price x (1 - margin) = {price['usd_low']:g} x (1 - {margin:g} %)",
            sources=(price["source_id"],), evidence=price["evidence"]))
    return pd.DataFrame(out)


def cost_estimates(costs: pd.DataFrame, china_year: int = 2024) -> pd.DataFrame:
    """Every unit-cost estimate the evidence allows (see the module docstring), with its group."""
    china = china_implied(costs, china_year)
    china_row = _estimate(
        estimate_id=f"china_implied_{china_year}", producer="China (implied: price x (1 - margin))", country="China",
        group="china_implied", basis="implied_from_price_and_margin", product_basis="ndpr_oxide", year=china_year,
        period=str(china_year), low_usd_per_kg=china.cost.low, high_usd_per_kg=china.cost.high,
        formula=f"{len(china.prices)} prices x (1 - {len(china.margins)} margins)", sources=china.sources,
        evidence="secondary")
    frames = [stated_costs(costs), implied_from_accounts(costs), pd.DataFrame([china_row]), china_paired(costs)]
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    return out


def group_range(estimates: pd.DataFrame, group: str) -> Ranged:
    """The spread of a group's estimates in USD/kg (an open bound counts at its bound)."""
    if group not in GROUPS:
        raise ParameterError(f"group={group}: must be one of {', '.join(GROUPS)}")
    rows = estimates[estimates["group"] == group]
    if rows.empty:
        raise ParameterError(f"group={group}: no estimates")
    return spread(rows["low_usd_per_kg"], rows["high_usd_per_kg"], "USD/kg")


def gap_pct(west: Ranged, china: Ranged) -> Ranged:
    """The Western cost's premium over China's, in percent: ``(west / china - 1) * 100`` as a range."""
    ratio = ratio_range(west, china)
    return Ranged((ratio.low - 1) * 100, (ratio.central - 1) * 100, (ratio.high - 1) * 100, "%")


def band_position(x, gap: Ranged):
    """Where ``x`` (percent) falls on the gap range: 0 at its low end, 100 at its high end (may fall outside)."""
    x = check_number("x", x)
    if gap.high == gap.low:
        raise ParameterError("gap: a range with equal ends has no positions")
    return (np.asarray(x, dtype=float) - gap.low) / (gap.high - gap.low) * 100.0


def band_verdict(band_low: float, band_high: float, gap: Ranged) -> str:
    """``confirmed`` (band inside the range and holding its centre), ``approximate`` (overlapping it) or ``conflicts``."""
    check_number("band_low", band_low)
    check_number("band_high", band_high)
    if band_low > band_high:
        raise ParameterError(f"band_low={band_low:g}, band_high={band_high:g}: band_low must not exceed band_high")
    inside = gap.low <= band_low and band_high <= gap.high
    if inside and band_low <= gap.central <= band_high:
        return "confirmed"
    if band_high >= gap.low and band_low <= gap.high:
        return "approximate"
    return "conflicts"


@dataclass(frozen=True)
class GapTested:
    estimates: pd.DataFrame
    china: ChinaImplied
    west_reported: Ranged
    west_projected: Ranged
    reported_gap: Ranged  # %
    projected_gap: Ranged  # %


def gap_tested(costs: pd.DataFrame, china_year: int = 2024) -> GapTested:
    """The whole test: estimates, China's implied cost, the two Western ranges and their gaps."""
    est = cost_estimates(costs, china_year)
    china = china_implied(costs, china_year)
    reported, projected = group_range(est, "west_reported"), group_range(est, "west_projected")
    return GapTested(est, china, reported, projected, gap_pct(reported, china.cost), gap_pct(projected, china.cost))


# ---------------------------------------------------------------------------------------------
# Capital intensity
# ---------------------------------------------------------------------------------------------


def capex_intensity(capex: pd.DataFrame) -> pd.DataFrame:
    """USD per tonne of annual capacity for every row with a capex figure and a rate (see the module docstring).

    Columns added: ``capex_usd_m_low/high``, ``added_low/high`` (t/yr), ``intensity_low/high`` (USD per t/yr),
    ``convertible`` (False: no exchange rate in the evidence).
    """
    rows = capex[capex["capex_low_m"].notna()].copy()
    rows["capex_usd_m_low"] = to_usd(rows["capex_low_m"], rows["capex_currency"], rows["fx_rate"], rows["fx_convention"])
    high = rows["capex_high_m"].where(rows["capex_high_m"].notna(), rows["capex_low_m"])
    rows["capex_usd_m_high"] = to_usd(high, rows["capex_currency"], rows["fx_rate"], rows["fx_convention"])
    included = rows["capacity_included"].fillna(0.0)
    cap_high = rows["capacity_high"].where(rows["capacity_high"].notna(), rows["capacity_low"])
    rows["added_low"] = rows["capacity_low"] - included
    rows["added_high"] = cap_high - included
    if (rows["added_low"] <= 0).any():
        bad = rows.loc[rows["added_low"] <= 0, "capex_id"].iloc[0]
        raise ParameterError(f"{bad}: added capacity must be above 0")
    rows["intensity_low"] = rows["capex_usd_m_low"] * USD_PER_USD_M / rows["added_high"]
    rows["intensity_high"] = rows["capex_usd_m_high"] * USD_PER_USD_M / rows["added_low"]
    rows["convertible"] = np.isfinite(rows["capex_usd_m_low"])
    return rows


def _latest_labels(intensity: pd.DataFrame) -> list:
    """Index labels of :func:`latest_per_plant`'s rows, in its order (by plant, then date): found on plain
    lists, since every stage's figures ask for it (a pandas sort and group of the wide table costs more)."""
    latest: dict = {}
    for label, plant, day, convertible, status in zip(
            intensity.index, intensity["project_id"].tolist(), intensity["date_of_figure"].tolist(),
            intensity["convertible"].tolist(), intensity["status"].tolist()):
        if not convertible or status is pd.NA or status == "conditional_plan" or plant is pd.NA:
            continue
        # The latest figure by date; a figure without a date sorts after every dated one; among equals, the last.
        rank = (pd.isna(day), day if not pd.isna(day) else 0)
        if plant not in latest or not rank < latest[plant][0]:
            latest[plant] = (rank, label)
    return [latest[plant][1] for plant in sorted(latest)]


def latest_per_plant(intensity: pd.DataFrame) -> pd.DataFrame:
    """One row per plant: its latest convertible figure (by date_of_figure); conditional plans are not figures of a
    plant being built, so they are left out. Rows in order of plant."""
    return intensity.loc[_latest_labels(intensity)]


def stage_rows(intensity: pd.DataFrame, stage: str | tuple, basis: str | tuple, in_china: bool) -> pd.DataFrame:
    stages = (stage,) if isinstance(stage, str) else tuple(stage)
    bases = (basis,) if isinstance(basis, str) else tuple(basis)
    rows = intensity.loc[_latest_labels(intensity), ["stage", "capacity_basis", "in_china", "comparability"]]
    keep = [label for label, *values in zip(rows.index, *(rows[c].tolist() for c in rows.columns))
            if not any(v is pd.NA for v in values) and values[0] in stages and values[1] in bases and values[2] == in_china
            and values[3] in INTENSITY_USES]  # a missing value matches nothing (as pandas' isin and ==)
    return intensity.loc[keep]


def stage_intensity(intensity: pd.DataFrame, stage: str | tuple, basis: str | tuple, in_china: bool) -> Ranged | None:
    """The range of USD per t/yr over a stage's plants (latest figure each); None when there is none."""
    rows = stage_rows(intensity, stage, basis, in_china)
    if rows.empty:
        return None
    return spread(rows["intensity_low"], rows["intensity_high"], "USD per t/yr")


#: The West–China capital comparisons the evidence allows: stage -> capacity bases counted on both sides
#: (oxide throughput counts as oxide output for a separation plant).
CAPITAL_COMPARISONS = {"separation": ("reo", "treo_feed"), "magnet": ("magnets",)}


def capital_gap(intensity: pd.DataFrame, stage: str) -> Ranged | None:
    """Western over Chinese capital intensity (a ratio, ``x``) at a stage of :data:`CAPITAL_COMPARISONS`; None
    without a figure on both sides."""
    if stage not in CAPITAL_COMPARISONS:
        raise ParameterError(f"stage={stage}: no West-China comparison (stages: {', '.join(CAPITAL_COMPARISONS)})")
    basis = CAPITAL_COMPARISONS[stage]
    west, china = stage_intensity(intensity, stage, basis, False), stage_intensity(intensity, stage, basis, True)
    if west is None or china is None:
        return None
    return ratio_range(west, china)
