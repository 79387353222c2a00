"""China's share by stage and element basket, market concentration, and the seeds' percentages.

Shares are never mixed across *stage* (reserves, mining, separation/refining, magnets, US
imports), *basket* (all rare-earth oxides, USGS; magnet rare earths Nd, Pr, Dy, Tb, IEA),
*basis* (output, capacity, import value, reserves), *source* or *scenario*: each series is one
combination of those (:data:`SERIES_KEYS`), and :func:`check_one_series` refuses a frame that
mixes them.

Formulas (shares in percent, 0–100):

* share of a country = ``country volume / world volume * 100``;
* USGS world production totals are rounded (390,000 t is rounded to the nearest 10,000), so a
  share of one carries a range: ``country / (total ± tolerance) * 100`` where the tolerance is
  half a unit of the total's last significant digit (:func:`rare_earths.data.rounding.rounding_tolerance`);
* a share of a ``>`` (lower-bound) world total is an upper bound (``<=``);
* top-3 share = sum of the three largest country shares;
* Herfindahl–Hirschman index ``HHI = sum(share_i ** 2)`` with shares in percent: 0 to 10,000
  (10,000 = one producer; the US 2023 Merger Guidelines call a market with HHI above 1,800
  highly concentrated). Where part of the market is not broken down by country ("Other",
  "rest of world"), the HHI is a range: ``low`` counts the listed countries only (the remainder
  infinitely fragmented, the usual convention), ``high`` puts the remainder into as few
  producers as allowed (each no larger than ``cap``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rare_earths.data.rounding import rounding_tolerance  # how USGS rounds world totals
from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import (
    ParameterError,
    check_quantity,
    check_share_pct,
)

#: The columns that identify one series of shares: two rows differing in any of these never
#: belong in the same line of a chart.
SERIES_KEYS = ("source_id", "edition", "stage", "basket", "basis", "scenario")

#: HHI above which the US Department of Justice / FTC 2023 Merger Guidelines call a market highly
#: concentrated (Guideline 1; source ``doj_ftc_2023_merger_guidelines`` in sources.csv).
HHI_HIGHLY_CONCENTRATED = 1800.0
HHI_THRESHOLD_SOURCE = "doj_ftc_2023_merger_guidelines"

WORLD = "World total (rounded)"
OTHER = "Other"


# ---------------------------------------------------------------------------------------------
# Arithmetic on numbers
# ---------------------------------------------------------------------------------------------


def share_pct(part: float, total: float, *, part_name: str = "part", total_name: str = "total") -> float:
    """``part / total * 100`` (percent). Both in the same unit; ``total > 0``, ``0 <= part <= total``."""
    part = check_quantity(part_name, part)
    total = check_quantity(total_name, total, positive=True)
    if part > total:
        raise ParameterError(f"{part_name}={part:g}: must not exceed {total_name}={total:g}")
    return part / total * 100.0


def share_of_rounded_total(part: float, total: float, tolerance: float | None = None) -> Ranged:
    """Share of a rounded world total, as a range over the rounding (percent).

    ``central = part / total * 100``; ``low = part / (total + tolerance) * 100``;
    ``high = min(100, part / (total - tolerance) * 100)``. The default tolerance is half a unit
    of the total's last significant digit (380,000 -> 5,000).
    """
    part = check_quantity("part", part)
    total = check_quantity("total", total, positive=True)
    tol = rounding_tolerance(total) if tolerance is None else check_quantity("tolerance", tolerance)
    if tol >= total:
        raise ParameterError(f"tolerance={tol:g}: must be smaller than total={total:g}")
    central = share_pct(part, total)
    low = part / (total + tol) * 100.0
    high = min(100.0, part / (total - tol) * 100.0)
    return Ranged(low, central, high, "%")


def share_upper_bound(part: float, world_lower_bound: float) -> Ranged:
    """Share of a world total printed as ``>`` (a lower bound): an upper bound on the share.

    ``share <= part / world_lower_bound * 100``. Returned as a point with ``bound='<='``.
    """
    value = share_pct(part, world_lower_bound, part_name="part", total_name="world_lower_bound")
    return Ranged.point(value, "%", "<=")


def top_n_share(shares_pct, n: int = 3) -> float:
    """Sum of the ``n`` largest shares (percent). Fewer than ``n`` shares: the sum of all."""
    arr = np.asarray(check_share_pct("shares_pct", np.asarray(shares_pct, dtype=float)), dtype=float)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ParameterError(f"n={n!r}: must be a whole number >= 1")
    total = float(np.sort(arr)[::-1][:n].sum())
    if total > 100.0 + 1e-9:
        raise ParameterError(f"shares_pct: the {n} largest add up to {total:g}%, over 100")
    return min(total, 100.0)


def hhi(shares_pct) -> float:
    """Herfindahl–Hirschman index ``sum(s_i ** 2)`` with shares in percent (0 to 10,000)."""
    arr = np.asarray(check_share_pct("shares_pct", np.asarray(shares_pct, dtype=float)), dtype=float)
    if arr.sum() > 100.5:  # half a point of rounding
        raise ParameterError(f"shares_pct: add up to {arr.sum():g}%, over 100")
    return float(np.sum(arr**2))


def hhi_bounds(known_shares_pct, remainder_pct: float | None = None, cap_pct: float | None = None) -> Ranged:
    """HHI of a market where only some producers' shares are known (points of HHI, 0–10,000).

    ``remainder_pct`` (default ``100 - sum(known)``) is split among unlisted producers, each
    at most ``cap_pct`` (default: the remainder itself, i.e. it may be one producer).

    * ``low = central = sum(known ** 2)``: the remainder spread over many small producers;
    * ``high = low + k * cap ** 2 + r ** 2`` with ``k = floor(remainder / cap)``,
      ``r = remainder - k * cap``: the remainder as concentrated as the cap allows.
    """
    known = np.asarray(check_share_pct("known_shares_pct", np.asarray(known_shares_pct, dtype=float)), dtype=float)
    listed = float(known.sum())
    if listed > 100.5:
        raise ParameterError(f"known_shares_pct: add up to {listed:g}%, over 100")
    if remainder_pct is None:
        remainder_pct = max(0.0, 100.0 - listed)
    remainder = check_share_pct("remainder_pct", remainder_pct)
    if listed + remainder > 100.5:
        raise ParameterError(f"remainder_pct={remainder:g}: known shares ({listed:g}%) plus remainder exceed 100%")
    low = float(np.sum(known**2))
    if remainder == 0:
        return Ranged.point(low, "HHI points")
    cap = remainder if cap_pct is None else check_share_pct("cap_pct", cap_pct)
    if cap == 0:
        raise ParameterError("cap_pct=0: must be > 0 when there is a remainder")
    k = math.floor(remainder / cap + 1e-12)
    r = max(0.0, remainder - k * cap)
    high = low + k * cap**2 + r**2
    return Ranged(low, low, high, "HHI points")


# ---------------------------------------------------------------------------------------------
# Series: never mix stage, basket, basis, source or scenario
# ---------------------------------------------------------------------------------------------


def check_one_series(frame: pd.DataFrame) -> pd.DataFrame:
    """Raise if ``frame`` mixes series (see :data:`SERIES_KEYS`); returns it unchanged."""
    for key in SERIES_KEYS:
        if key in frame.columns:
            values = frame[key].astype("string").fillna("<none>").unique()
            if len(values) > 1:
                raise ParameterError(
                    f"{key}={', '.join(sorted(map(str, values)))}: one series must have one {key}; select it first"
                )
    return frame


def china_shares(stage_shares: pd.DataFrame) -> pd.DataFrame:
    """Every China share in ``stage_shares`` with a ``series`` label naming its key.

    Columns: series, source_id, edition, year, is_projection, scenario, stage, basket, basis,
    share_pct, bound, share_id. Sorted by series then year. Plot one ``series`` per line.
    """
    china = stage_shares[stage_shares["country"] == "China"].copy()
    scenario = china["scenario"].fillna("observed")
    china["series"] = (
        china["stage"] + " | " + china["basket"] + " | " + china["basis"] + " | " + china["source_id"] + " | " + scenario
    ).astype("string")
    cols = ["series", "source_id", "edition", "year", "is_projection", "scenario", "stage", "basket", "basis",
            "share_pct", "bound", "share_id"]
    return china[cols].sort_values(["series", "year"]).reset_index(drop=True)


def china_share_series(stage_shares: pd.DataFrame, *, stage: str, basket: str, basis: str, source_id: str,
                       scenario: str | None = None) -> pd.DataFrame:
    """One series of China shares by year: fixed stage, basket, basis, source and scenario.

    ``scenario=None`` keeps observed years plus projections with no scenario name; give the
    scenario name (``"base case"``) to add its projections. Raises if nothing matches.
    """
    table = china_shares(stage_shares)
    sel = (table["stage"] == stage) & (table["basket"] == basket) & (table["basis"] == basis) & (table["source_id"] == source_id)
    if scenario is None:
        sel &= table["scenario"].isna()
    else:
        sel &= table["scenario"].isna() | (table["scenario"] == scenario)
    out = table[sel.fillna(False)].drop(columns=["series", "scenario"]).sort_values("year").reset_index(drop=True)
    if out.empty:
        raise ParameterError(
            f"stage={stage}, basket={basket}, basis={basis}, source_id={source_id}: no China shares match"
        )
    if out["year"].duplicated().any():
        raise ParameterError(f"source_id={source_id}: more than one share per year; the selection mixes editions")
    return out


# ---------------------------------------------------------------------------------------------
# Concentration from the data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concentration:
    """China's share, top-3 share and HHI of one stage, basket, source, edition and year."""

    source_id: str
    edition: str
    year: int
    estimated: bool
    stage: str
    basket: str
    basis: str
    china_share: Ranged  # percent
    top3_share: Ranged  # percent
    top3_countries: tuple[str, ...]
    hhi: Ranged  # HHI points, 0–10,000
    unlisted_pct: float  # share not broken down by country
    note: str = ""
    countries: dict = field(default_factory=dict)  # country -> share percent (central)


def _usgs_rows(supply: pd.DataFrame, edition: str, measure: str, year: int | None) -> pd.DataFrame:
    rows = supply[(supply["edition"] == edition) & (supply["measure"] == measure)]
    if rows.empty:
        raise ParameterError(f"edition={edition}: no {measure} rows in usgs_country_supply")
    if year is not None:
        rows = rows[rows["year"] == year]
        if rows.empty:
            years = sorted(int(y) for y in supply.loc[(supply["edition"] == edition) & (supply["measure"] == measure), "year"].unique())
            raise ParameterError(f"year={year}: {edition} has {measure} for {', '.join(map(str, years))} only")
    if rows["version"].nunique() != 1:
        raise ParameterError(f"edition={edition}: several versions in usgs_country_supply; select one")
    return rows


def usgs_world_total(supply: pd.DataFrame, edition: str, measure: str, year: int | None = None) -> tuple[float, str]:
    """The published world total (t REO) and its bound (``=`` or ``>``) for one edition and year."""
    rows = _usgs_rows(supply, edition, measure, year)
    total = rows[rows["is_world_total"].fillna(False)]
    if len(total) != 1 or pd.isna(total.iloc[0]["value_t_reo"]):
        raise ParameterError(f"edition={edition}, year={year}: no single published world {measure} total")
    return float(total.iloc[0]["value_t_reo"]), str(total.iloc[0]["bound"])


def usgs_country_value(supply: pd.DataFrame, edition: str, measure: str, country: str, year: int | None = None) -> float:
    """One country's value (t REO). ``none`` (a dash) is 0; ``not_available`` raises."""
    rows = _usgs_rows(supply, edition, measure, year)
    row = rows[rows["country"] == country]
    if len(row) != 1:
        raise ParameterError(f"country={country}: not in {edition} {measure} {year}")
    row = row.iloc[0]
    if row["status"] == "none":
        return 0.0
    if row["status"] == "not_available" or pd.isna(row["value_t_reo"]):
        raise ParameterError(f"country={country}: {edition} prints NA (not available) for {measure} {year}")
    return float(row["value_t_reo"])


def usgs_mining_share(supply: pd.DataFrame, country: str = "China", edition: str = "MCS 2026", year: int = 2024) -> Ranged:
    """A country's share of USGS world mine production (percent, all REO), ranged over rounding.

    ``country t REO / published world total * 100``; low/high divide by the total plus/minus its
    rounding tolerance.
    """
    total, bound = usgs_world_total(supply, edition, "mine_production", year)
    part = usgs_country_value(supply, edition, "mine_production", country, year)
    if bound != "=":
        return share_upper_bound(part, total)
    return share_of_rounded_total(part, total)


def usgs_mining_concentration(supply: pd.DataFrame, edition: str, year: int) -> Concentration:
    """Mining concentration from one USGS edition and year (all REO, t REO).

    China share: see :func:`usgs_mining_share`. Top-3 share: the three largest named countries
    over the published world total, ranged like the China share. HHI: country shares of the sum
    of the printed rows (so they add to 100 %); the ``Other`` row is an unlisted remainder that
    may be one producer (``high``) or many (``low``).
    """
    rows = _usgs_rows(supply, edition, "mine_production", year)
    countries = rows[~rows["is_world_total"].fillna(False)]
    values = countries.set_index("country")["value_t_reo"].fillna(0.0).astype(float)
    if countries["status"].eq("not_available").any():
        missing = ", ".join(countries.loc[countries["status"] == "not_available", "country"])
        note = f"NA rows treated as unknown remainder: {missing}"
    else:
        note = ""
    total, _ = usgs_world_total(supply, edition, "mine_production", year)
    named = values.drop(OTHER, errors="ignore").sort_values(ascending=False)
    other = float(values.get(OTHER, 0.0))
    listed_sum = float(values.sum())
    shares_of_sum = named / listed_sum * 100.0
    other_pct = other / listed_sum * 100.0
    top3 = named.iloc[:3]
    tol = rounding_tolerance(total)
    top3_sum = float(top3.sum())
    top3_share = Ranged(top3_sum / (total + tol) * 100, min(100.0, top3_sum / total * 100),
                        min(100.0, top3_sum / (total - tol) * 100), "%")
    estimated = bool(rows["estimated"].fillna(False).any())
    return Concentration(
        source_id=str(rows["source_id"].iloc[0]),
        edition=f"{edition} v{rows['version'].iloc[0]}",
        year=int(year),
        estimated=estimated,
        stage="mining",
        basket="all_ree",
        basis="output",
        china_share=usgs_mining_share(supply, "China", edition, year),
        top3_share=top3_share,
        top3_countries=tuple(top3.index),
        hhi=hhi_bounds(shares_of_sum.to_numpy(), other_pct),
        unlisted_pct=other_pct,
        note=note,
        countries={k: float(v) for k, v in shares_of_sum.items()},
    )


def stage_share_concentration(stage_shares: pd.DataFrame, *, source_id: str, year: int, stage: str,
                              basket: str, basis: str = "output", scenario: str | None = None) -> Concentration:
    """Concentration from the country shares one source gives for a stage, basket and year.

    Shares are taken as printed (percent). The sources list only their largest producers, so
    the rest (``100 - sum``) is an unlisted remainder, each producer in it assumed no larger
    than the smallest listed one (``cap``): HHI ``high`` uses that cap.
    """
    sel = (
        (stage_shares["source_id"] == source_id) & (stage_shares["year"] == year) & (stage_shares["stage"] == stage)
        & (stage_shares["basket"] == basket) & (stage_shares["basis"] == basis)
    )
    sel &= stage_shares["scenario"].isna() if scenario is None else stage_shares["scenario"] == scenario
    rows = stage_shares[sel.fillna(False)]
    if rows.empty:
        raise ParameterError(f"source_id={source_id}, year={year}, stage={stage}, basket={basket}: no shares")
    check_one_series(rows)
    if rows["country"].duplicated().any():
        raise ParameterError(f"source_id={source_id}, year={year}: a country appears twice")
    shares = rows.set_index("country")["share_pct"].astype(float).sort_values(ascending=False)
    if "China" not in shares.index:
        raise ParameterError(f"source_id={source_id}, year={year}, stage={stage}: no China share")
    listed = float(shares.sum())
    remainder = max(0.0, 100.0 - listed)
    positive = shares[shares > 0]
    cap = float(positive.min()) if len(positive) else None
    top3 = shares.iloc[:3]
    bound = "<=" if (rows["bound"] == "<=").any() else "="
    china = float(shares["China"])
    return Concentration(
        source_id=source_id,
        edition=str(rows["edition"].iloc[0]),
        year=int(year),
        estimated=False,
        stage=stage,
        basket=basket,
        basis=basis,
        china_share=Ranged.point(china, "%", "<=" if rows.loc[rows["country"] == "China", "bound"].iloc[0] == "<=" else "="),
        top3_share=Ranged.point(min(100.0, float(top3.sum())), "%", bound),
        top3_countries=tuple(top3.index),
        hhi=hhi_bounds(shares.to_numpy(), remainder, cap if remainder > 0 else None),
        unlisted_pct=remainder,
        note=f"{len(shares)} countries listed; the remaining {remainder:.1f}% is not broken down",
        countries={k: float(v) for k, v in shares.items()},
    )


def iea_concentration(stage_shares: pd.DataFrame, stage: str = "separation_refining", year: int = 2024,
                      source_id: str = "iea_gcmo_2025") -> Concentration:
    """IEA magnet rare-earth concentration (GCMO 2025 by default) for mining or separation/refining."""
    return stage_share_concentration(stage_shares, source_id=source_id, year=year, stage=stage, basket="magnet_ree")


def concentration_table(supply: pd.DataFrame, stage_shares: pd.DataFrame) -> pd.DataFrame:
    """China share, top-3 share and HHI for USGS mining (each edition and year) and IEA mining and
    refining (each observed year), one row each, with source, edition, year, stage, basket, basis."""
    results: list[Concentration] = []
    for (edition, year), _ in supply[supply["measure"] == "mine_production"].groupby(["edition", "year"]):
        results.append(usgs_mining_concentration(supply, edition, int(year)))
    iea = stage_shares[stage_shares["source_id"].str.startswith("iea_gcmo") & ~stage_shares["is_projection"].fillna(False)]
    for (source_id, year, stage), group in iea.groupby(["source_id", "year", "stage"]):
        if stage in ("mining", "separation_refining") and len(group) > 1:
            results.append(stage_share_concentration(stage_shares, source_id=source_id, year=int(year), stage=stage,
                                                     basket=str(group["basket"].iloc[0])))
    rows = []
    for c in results:
        rows.append({
            "source_id": c.source_id, "edition": c.edition, "year": c.year, "estimated": c.estimated,
            "stage": c.stage, "basket": c.basket, "basis": c.basis,
            "china_share_pct": c.china_share.central, "china_share_low_pct": c.china_share.low,
            "china_share_high_pct": c.china_share.high,
            "top3_share_pct": c.top3_share.central, "top3_countries": ", ".join(c.top3_countries),
            "hhi": c.hhi.central, "hhi_high": c.hhi.high, "unlisted_pct": c.unlisted_pct,
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The seeds' percentages against the authorities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedShare:
    """A China percentage asserted by a seed article, and the authority figures it may mean."""

    key: str  # "60", "85", ...
    value_pct: float
    seed_source_id: str
    wording: str
    candidates: tuple[str, ...]  # stage_shares.share_id values, best match first by meaning


#: The five China percentages of the seeds, each with the authority shares it could stand for.
SEED_SHARES: tuple[SeedShare, ...] = (
    SeedShare("60", 60.0, "smm_2025_09_18", "60% of global mineral production",
              ("iea_gcmo2025_mining_china_2024", "iea_gcmo2024_mining_china_2023",
               "usgs_2026_mining_china_2024", "usgs_2026_mining_china_2025")),
    SeedShare("85", 85.0, "smm_2025_09_18", "85% of the world's rare earth smelting capacity",
              ("roskill_2020_refined_china_2020", "iea_gcmo2025_refining_china_2024", "iea_gcmo2024_refining_china_2023")),
    SeedShare("87", 87.0, "smm_2025_09_18", "87% of US rare earth processing depends on Chinese supply",
              ("usgs_2026_us_imports_china_2021_2024", "usgs_2025_us_imports_china_2020_2023")),
    SeedShare("90", 90.0, "smm_2025_12_29", "90% of the world's rare earth refining capacity",
              ("iea_gcmo2025_refining_china_2024", "iea_commentary_2025_10_23_separation_china")),
    SeedShare("92", 92.0, "smm_2025_09_18", "92% of processing capacity",
              ("iea_gcmo2024_refining_china_2023", "iea_gcmo2025_refining_china_2024")),
)


def reconcile_seed_shares(stage_shares: pd.DataFrame, seeds: tuple[SeedShare, ...] = SEED_SHARES) -> pd.DataFrame:
    """Each seed percentage against each candidate authority share, in percentage points.

    ``gap_pp = seed - authority`` (positive: the seed says more than the authority). Per seed,
    ``closest`` marks the candidate with the smallest ``|gap_pp|``. Stage, basket, basis, source
    and year stay in their own columns: this is a comparison table, not a series.
    """
    by_id = stage_shares.set_index("share_id")
    rows = []
    for seed in seeds:
        check_share_pct(f"seed_{seed.key}", seed.value_pct)
        missing = [c for c in seed.candidates if c not in by_id.index]
        if missing:
            raise ParameterError(f"share_id={missing[0]}: candidate for the seed's {seed.key}% not in stage_shares")
        cands = by_id.loc[list(seed.candidates)]
        gaps = seed.value_pct - cands["share_pct"].astype(float)
        best = gaps.abs().idxmin()
        for share_id, row in cands.iterrows():
            rows.append({
                "seed": seed.key, "seed_pct": seed.value_pct, "seed_source_id": seed.seed_source_id,
                "seed_wording": seed.wording, "share_id": share_id, "source_id": row["source_id"],
                "edition": row["edition"], "year": int(row["year"]), "stage": row["stage"], "basket": row["basket"],
                "basis": row["basis"], "authority_pct": float(row["share_pct"]), "bound": row["bound"],
                "gap_pp": float(gaps[share_id]), "closest": share_id == best,
            })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Figures the key-number registry prints
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareOfWorld:
    """A country's share of a USGS world total, with the figures the formula shows."""

    share: Ranged
    part_t: float
    total_t: float
    tolerance_t: float


def usgs_mining_share_detail(supply: pd.DataFrame, country: str, edition: str, year: int) -> ShareOfWorld:
    """:func:`usgs_mining_share` with the country value, the world total and its rounding tolerance."""
    total, _ = usgs_world_total(supply, edition, "mine_production", year)
    return ShareOfWorld(usgs_mining_share(supply, country, edition, year),
                        usgs_country_value(supply, edition, "mine_production", country, year), total,
                        rounding_tolerance(total))


def seed_gap_pp(seed_pct: float, authority_pct: float) -> float:
    """How many percentage points a seed's share exceeds the authority's (``seed - authority``)."""
    return float(check_share_pct("seed_pct", seed_pct)) - float(check_share_pct("authority_pct", authority_pct))


def lowest_share(frame: pd.DataFrame, column: str = "value_pct") -> pd.Series:
    """The row of ``frame`` with the smallest share (a "the lowest of these" figure)."""
    if frame.empty:
        raise ParameterError("lowest_share: no rows to choose from")
    return frame.loc[frame[column].astype(float).idxmin()]
