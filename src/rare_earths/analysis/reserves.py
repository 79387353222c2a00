"""Reserves: rankings by USGS edition, shares of a ">" world total, reserves-to-production
years, reserves against measured-and-indicated resources, and what changed between editions.

Units: tonnes of rare-earth-oxide equivalent (t REO) throughout; years for R/P.

Formulas:

* rank: countries with a reported reserve figure, largest first (ties share a rank); a country
  USGS prints as NA is not ranked (it is not zero);
* share of world reserves = ``country / world * 100``. USGS prints the world total as
  "more than" (``>``): a lower bound, so every share of it is an **upper bound** (``<=``). The
  printed countries may themselves add up to more than the printed total; the tighter bound
  divides by ``max(world total, sum of listed countries)`` (:func:`reserve_share_listed`);
* reserves-to-production (R/P) years = ``reserves (t) / mine production (t/yr)`` for the same
  edition, production of the edition's reserve year. Undefined (with a status, never NaN
  silently) where production is nil or either figure is not available. For the world, a ``>``
  reserve total gives an R/P lower bound (``>=``);
* reserves versus resources: reserves are the economically extractable part of measured and
  indicated resources; the ratio ``resources / reserves`` shows how far apart the two are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rare_earths.analysis.ranged import Ranged
from rare_earths.params.checks import ParameterError, check_quantity
from rare_earths.analysis.shares import WORLD, share_pct, share_upper_bound, usgs_world_total

def mi_resources(supply: pd.DataFrame, country: str, edition: str = "MCS 2026") -> tuple[float, str, str]:
    """A country's measured-and-indicated resources (t REO, bound, source_id) from the USGS rows.

    USGS "World Resources" paragraph (MCS 2025 and MCS 2026, same wording): "measured and
    indicated resources of rare earths were estimated to include 3.6 million tons in the United
    States and more than 14 million tons in Canada" (``measure == "mi_resources"``).
    """
    rows = supply[(supply["edition"] == edition) & (supply["measure"] == "mi_resources") & (supply["country"] == country)]
    if len(rows) != 1 or pd.isna(rows["value_t_reo"].iloc[0]):
        raise ParameterError(f"country={country}: no measured-and-indicated resources row for {edition} in usgs_country_supply")
    row = rows.iloc[0]
    return float(row["value_t_reo"]), str(row["bound"]), str(row["source_id"])


RP_STATUSES = ("computed", "no_production", "reserves_not_available", "production_not_available", "no_reserves")


def _edition_rows(supply: pd.DataFrame, edition: str, measure: str) -> pd.DataFrame:
    rows = supply[(supply["edition"] == edition) & (supply["measure"] == measure)]
    if rows.empty:
        editions = ", ".join(sorted(supply["edition"].dropna().unique()))
        raise ParameterError(f"edition={edition}: no {measure} rows (editions: {editions})")
    if rows["version"].nunique() != 1:
        raise ParameterError(f"edition={edition}: several versions in usgs_country_supply; select one")
    return rows


def reserve_year(supply: pd.DataFrame, edition: str) -> int:
    """The year an edition's reserves refer to (its latest data year)."""
    years = _edition_rows(supply, edition, "reserves")["year"].unique()
    if len(years) != 1:
        raise ParameterError(f"edition={edition}: reserves rows carry several years")
    return int(years[0])


def rp_years(reserves_t: float, production_t_per_year: float) -> float:
    """Reserves-to-production ratio in years: ``reserves (t) / production (t/yr)``; production > 0."""
    reserves_t = check_quantity("reserves_t", reserves_t)
    production = check_quantity("production_t_per_year", production_t_per_year, positive=True)
    return reserves_t / production


def reserves_table(supply: pd.DataFrame, edition: str = "MCS 2026") -> pd.DataFrame:
    """Reserves by country for one edition, ranked, with shares of the world total as upper bounds.

    Columns: rank (Int64; NA for countries USGS prints as NA), country, status, reserves_t,
    share_max_pct (``country / world lower bound * 100``, an upper bound where the world total is
    ``>``), share_bound, share_max_listed_pct (the tighter bound, dividing by the larger of the
    world total and the sum of listed countries), edition, version, year, source_id.
    """
    rows = _edition_rows(supply, edition, "reserves")
    world_total, world_bound = usgs_world_total(supply, edition, "reserves")
    countries = rows[~rows["is_world_total"].fillna(False)].copy()
    countries["reserves_t"] = countries["value_t_reo"].where(countries["status"] == "reported")
    countries.loc[countries["status"] == "none", "reserves_t"] = 0.0
    listed_sum = float(countries["reserves_t"].sum(skipna=True))
    denominator_listed = max(world_total, listed_sum) if world_bound in (">", ">=") else world_total
    bound = "<=" if world_bound in (">", ">=") else "="
    reported = countries["status"] == "reported"
    countries["rank"] = (
        countries["reserves_t"].where(reported).rank(ascending=False, method="min").astype("Int64")
    )
    countries["share_max_pct"] = countries["reserves_t"] / world_total * 100.0
    countries["share_bound"] = np.where(countries["reserves_t"].notna(), bound, "not_available")
    countries["share_max_listed_pct"] = countries["reserves_t"] / denominator_listed * 100.0
    countries["edition"] = edition
    out = countries[["rank", "country", "status", "reserves_t", "share_max_pct", "share_bound", "share_max_listed_pct",
                     "edition", "version", "year", "source_id"]]
    out = out.sort_values(["rank", "country"], na_position="last").reset_index(drop=True)
    out.attrs.update({"world_total_t": world_total, "world_bound": world_bound, "listed_sum_t": listed_sum})
    return out


def reserve_rank(supply: pd.DataFrame, country: str, edition: str = "MCS 2026") -> tuple[int, int]:
    """``(rank, number of ranked countries)`` of a country's reserves in one edition."""
    table = reserves_table(supply, edition)
    row = table[table["country"] == country]
    if row.empty or pd.isna(row["rank"].iloc[0]):
        raise ParameterError(f"country={country}: no reported reserves in {edition}")
    return int(row["rank"].iloc[0]), int(table["rank"].notna().sum())


def reserve_share(supply: pd.DataFrame, country: str = "China", edition: str = "MCS 2026") -> Ranged:
    """A country's share of world reserves (percent): ``<=`` bound where the world total is ``>``."""
    from rare_earths.analysis.shares import usgs_country_value

    total, bound = usgs_world_total(supply, edition, "reserves")
    part = usgs_country_value(supply, edition, "reserves", country)
    if bound in (">", ">="):
        return share_upper_bound(part, total)
    return Ranged.point(share_pct(part, total), "%")


def reserve_share_listed(supply: pd.DataFrame, country: str = "China", edition: str = "MCS 2026") -> Ranged:
    """The tighter upper bound: ``country / max(world total, sum of listed countries) * 100``."""
    table = reserves_table(supply, edition)
    row = table[table["country"] == country]
    if row.empty or pd.isna(row["reserves_t"].iloc[0]):
        raise ParameterError(f"country={country}: no reported reserves in {edition}")
    value = float(row["share_max_listed_pct"].iloc[0])
    return Ranged.point(value, "%", str(row["share_bound"].iloc[0]))


def reserves_to_production(supply: pd.DataFrame, edition: str = "MCS 2026", production_year: int | None = None) -> pd.DataFrame:
    """R/P years by country (and the world) for one edition.

    Production defaults to the edition's reserve year (MCS 2026: 2025e). Columns: country,
    reserves_t, production_t, rp_years (float; NaN only with an ``rp_status`` other than
    ``computed``), rp_status, rp_bound (``=``, or ``>=`` for the world's lower-bound reserves),
    production_year, production_estimated.
    """
    year = reserve_year(supply, edition) if production_year is None else int(production_year)
    res = _edition_rows(supply, edition, "reserves").set_index("country")
    prod_rows = _edition_rows(supply, edition, "mine_production")
    prod = prod_rows[prod_rows["year"] == year].set_index("country")
    if prod.empty:
        raise ParameterError(f"production_year={year}: {edition} has no mine production for that year")
    out = []
    for country in res.index:
        r = res.loc[country]
        p = prod.loc[country] if country in prod.index else None
        reserves_t = float(r["value_t_reo"]) if r["status"] == "reported" else (0.0 if r["status"] == "none" else np.nan)
        if p is None or p["status"] == "not_available":
            production_t = np.nan
        else:
            production_t = 0.0 if p["status"] == "none" else float(p["value_t_reo"])
        if np.isnan(reserves_t):
            status, value = "reserves_not_available", np.nan
        elif np.isnan(production_t):
            status, value = "production_not_available", np.nan
        elif production_t == 0:
            status, value = "no_production", np.nan
        elif reserves_t == 0:
            status, value = "no_reserves", 0.0
        else:
            status, value = "computed", rp_years(reserves_t, production_t)
        bound = ">=" if (bool(r["is_world_total"]) and r["bound"] in (">", ">=")) else "="
        out.append({
            "country": country, "is_world_total": bool(r["is_world_total"]), "reserves_t": reserves_t,
            "production_t": production_t, "rp_years": value, "rp_status": status, "rp_bound": bound,
            "production_year": year, "production_estimated": bool(p["estimated"]) if p is not None else False,
        })
    frame = pd.DataFrame(out)
    return frame.sort_values(["is_world_total", "rp_years"], ascending=[True, False], na_position="last").reset_index(drop=True)


def country_rp_years(supply: pd.DataFrame, country: str, edition: str = "MCS 2026", production_year: int | None = None) -> Ranged:
    """One country's R/P years; raises (naming the reason) where it is undefined."""
    table = reserves_to_production(supply, edition, production_year)
    row = table[table["country"] == country]
    if row.empty:
        raise ParameterError(f"country={country}: not in {edition}")
    row = row.iloc[0]
    if row["rp_status"] not in ("computed", "no_reserves"):
        raise ParameterError(f"country={country}: R/P undefined in {edition} ({row['rp_status']})")
    return Ranged.point(float(row["rp_years"]), "years", row["rp_bound"])


@dataclass(frozen=True)
class ReservesVsResources:
    """A country's reserves against its measured-and-indicated resources and a claimed figure.

    All tonnages in t REO. ``resources_bound`` is ``>`` where the source says "more than", which
    makes ``resources_to_reserves`` a lower bound and ``claimed_minus_resources`` an upper bound.
    """

    reserves_t: float
    resources_t: float
    resources_bound: str
    claimed_t: float
    resources_to_reserves: float  # resources / reserves (x)
    claimed_to_reserves: float  # claimed / reserves (x)
    claimed_to_resources: float  # claimed / resources (x)
    claimed_minus_resources_t: float  # claimed - resources
    claimed_minus_reserves_plus_resources_t: float  # claimed - (reserves + resources)
    claimed_rank_among_reserves: int | None  # where the claimed figure would rank as reserves


def reserves_vs_resources(reserves_t: float, resources_t: float, claimed_t: float, resources_bound: str = ">",
                          other_reserves_t=None) -> ReservesVsResources:
    """Reserves versus measured-and-indicated resources versus a claimed "reserves" figure.

    ``resources_to_reserves = resources / reserves``; ``claimed_to_reserves = claimed / reserves``;
    ``claimed_minus_resources = claimed - resources``. ``other_reserves_t`` (other countries'
    reserves) gives the rank the claimed figure would have if it were reserves: 1 + the number
    of other countries with more.
    """
    reserves_t = check_quantity("reserves_t", reserves_t, positive=True)
    resources_t = check_quantity("resources_t", resources_t, positive=True)
    claimed_t = check_quantity("claimed_t", claimed_t, positive=True)
    if resources_bound not in ("=", ">", ">=", "~"):
        raise ParameterError(f"resources_bound={resources_bound}: must be one of =, >, >=, ~")
    rank = None
    if other_reserves_t is not None:
        others = np.asarray(check_quantity("other_reserves_t", np.asarray(other_reserves_t, dtype=float)), dtype=float)
        rank = int(1 + np.sum(others > claimed_t))
    return ReservesVsResources(
        reserves_t=reserves_t,
        resources_t=resources_t,
        resources_bound=resources_bound,
        claimed_t=claimed_t,
        resources_to_reserves=resources_t / reserves_t,
        claimed_to_reserves=claimed_t / reserves_t,
        claimed_to_resources=claimed_t / resources_t,
        claimed_minus_resources_t=claimed_t - resources_t,
        claimed_minus_reserves_plus_resources_t=claimed_t - (reserves_t + resources_t),
        claimed_rank_among_reserves=rank,
    )


CHANGE_KINDS = ("unchanged", "revised", "newly_reported", "no_longer_reported", "not_available", "added", "dropped")


def edition_changes(supply: pd.DataFrame, old_edition: str = "MCS 2025", new_edition: str = "MCS 2026",
                    measure: str = "reserves") -> pd.DataFrame:
    """What changed between two editions, country by country (t REO).

    For ``reserves`` each edition's single reserve year is compared; for ``mine_production`` the
    years the two editions share. Columns: country, year_old, year_new, old_status, old_t,
    old_bound, new_status, new_t, new_bound, change_t (``new - old``, where both are numbers),
    change_pct (``change / old * 100``, where old > 0), kind (one of :data:`CHANGE_KINDS`).
    """
    old = _edition_rows(supply, old_edition, measure)
    new = _edition_rows(supply, new_edition, measure)
    if measure == "mine_production":
        years = sorted(set(old["year"]) & set(new["year"]))
        if not years:
            raise ParameterError(f"measure={measure}: {old_edition} and {new_edition} share no year")
        old = old[old["year"].isin(years)]
        new = new[new["year"].isin(years)]
        keys = ["country", "year"]
    else:
        keys = ["country"]

    def value(frame):
        v = frame["value_t_reo"].where(frame["status"] == "reported")
        return v.where(frame["status"] != "none", 0.0)

    cols = keys + ["status", "v", "bound"] + ([] if "year" in keys else ["year"])
    left = old.assign(v=value(old))[cols]
    right = new.assign(v=value(new))[cols]
    merged = left.merge(right, on=keys, how="outer", suffixes=("_old", "_new"))
    if measure == "mine_production":
        merged["year_old"] = merged["year"]
        merged["year_new"] = merged["year"]
    merged = merged.rename(columns={"status_old": "old_status", "status_new": "new_status", "v_old": "old_t",
                                    "v_new": "new_t", "bound_old": "old_bound", "bound_new": "new_bound"})
    merged["change_t"] = merged["new_t"] - merged["old_t"]
    merged["change_pct"] = (merged["change_t"] / merged["old_t"].where(merged["old_t"] > 0) * 100.0)

    def kind(row):
        if pd.isna(row["old_status"]):
            return "added"
        if pd.isna(row["new_status"]):
            return "dropped"
        old_num, new_num = pd.notna(row["old_t"]), pd.notna(row["new_t"])
        if old_num and new_num:
            return "unchanged" if row["old_t"] == row["new_t"] and row["old_bound"] == row["new_bound"] else "revised"
        if new_num:
            return "newly_reported"
        if old_num:
            return "no_longer_reported"
        return "not_available"

    merged["kind"] = merged.apply(kind, axis=1).astype("string")
    merged["is_world_total"] = merged["country"] == WORLD
    cols = ["country", "is_world_total", "year_old", "year_new", "old_status", "old_t", "old_bound", "new_status",
            "new_t", "new_bound", "change_t", "change_pct", "kind"]
    out = merged[cols].copy()
    out.attrs.update({"old_edition": old_edition, "new_edition": new_edition, "measure": measure})
    order = {k: i for i, k in enumerate(("revised", "newly_reported", "no_longer_reported", "added", "dropped",
                                         "unchanged", "not_available"))}
    out["_o"] = out["kind"].map(order)
    return out.sort_values(["is_world_total", "_o", "country"]).drop(columns="_o").reset_index(drop=True)


def share_of_bound(part_t: float, world_lower_bound_t: float) -> float:
    """A country's share of a ">" world total: an upper bound, ``part / world * 100`` (percent)."""
    return share_upper_bound(part_t, world_lower_bound_t).central


def country_reserves_t(table: pd.DataFrame, country: str) -> float:
    """A country's reported reserves (t REO) in a :func:`reserves_table`; NA raises."""
    found = table[table["country"] == country]
    if found.empty or pd.isna(found["reserves_t"].iloc[0]):
        edition = found["edition"].iloc[0] if len(found) else table.attrs.get("edition", "?")
        raise ParameterError(f"country={country}: no reported reserves in {edition}")
    return float(found["reserves_t"].iloc[0])


def rp_row(rp: pd.DataFrame, country: str) -> pd.Series:
    """One country's row of :func:`reserves_to_production`; an undefined R/P raises with its status."""
    found = rp[rp["country"] == country]
    if found.empty:
        raise ParameterError(f"country={country}: not in the reserves-to-production table")
    r = found.iloc[0]
    if r["rp_status"] != "computed":
        raise ParameterError(f"country={country}: R/P undefined ({r['rp_status']})")
    return r
