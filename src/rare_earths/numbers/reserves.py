"""Key numbers of the reserves domain: reserves, ranks, R/P years, Canada's reserves against
resources and the seed's "reserves", and what changed between USGS editions and versions."""

from __future__ import annotations

from rare_earths.analysis import reserves as rs
from rare_earths.analysis.units import difference, t_to_mt, to_tonnes
from rare_earths.data.queries import row
from rare_earths.format import fixed, present
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("reserves.",)
USGS26, USGS25 = "usgs_mcs_2026_ree", "usgs_mcs_2025_ree"

#: Reserves printed in Mt: (id, edition, country, label, decimals, also printed in).
RESERVES_MT = (
    ("reserves.china_reserves_mt", "MCS 2026", "China", "China's rare-earth reserves (USGS MCS 2026 v1.3; same in MCS 2025)",
     1, ("shares",)),
    ("reserves.brazil_reserves_mt", "MCS 2026", "Brazil", "Brazil's rare-earth reserves (USGS MCS 2026 v1.3)", 1, ()),
    ("reserves.brazil_reserves_mcs2025_mt", "MCS 2025", "Brazil", "Brazil's rare-earth reserves (USGS MCS 2025)", 1, ()),
    ("reserves.australia_reserves_mt", "MCS 2026", "Australia", "Australia's rare-earth reserves (USGS MCS 2026 v1.3)", 1, ()),
    ("reserves.australia_reserves_mcs2025_mt", "MCS 2025", "Australia", "Australia's rare-earth reserves (USGS MCS 2025)",
     1, ()),
    ("reserves.us_reserves_mt", "MCS 2026", "United States", "US rare-earth reserves (USGS MCS 2026 v1.3)", 1, ()),
    ("reserves.india_reserves_mcs2025_mt", "MCS 2025", "India", "India's rare-earth reserves (USGS MCS 2025; NA in MCS 2026)",
     1, ()),
    ("reserves.malaysia_reserves_mt", "MCS 2026", "Malaysia", "Malaysia's rare-earth reserves (USGS MCS 2026 v1.3; NA in "
     "MCS 2025)", 2, ()),
)

#: Reserves-to-production years: (country, id, bound taken from the table?), headline ones first.
RP_YEARS = (
    ("China", "reserves.china_rp_years", True), ("United States", "reserves.us_rp_years", True),
    ("World total (rounded)", "reserves.world_rp_years_min", True),
)
RP_YEARS_MORE = (("Australia", "reserves.australia_rp_years", False), ("Brazil", "reserves.brazil_rp_years", False),
                 ("Vietnam", "reserves.vietnam_rp_years", False))

#: 2024 mine production as estimated in MCS 2025 and as printed in MCS 2026: (country, key).
PRODUCTION_2024 = (("Australia", "australia"), ("Nigeria", "nigeria"), ("Thailand", "thailand"),
                   ("World total (rounded)", "world"))


def _n(v: float, d: int = 0) -> str:
    return fixed(v, d)


def _gt(bound: str) -> str:
    return ">" if bound in (">", ">=") else "="


def build(ctx: Context) -> list[KeyNumber]:
    supply, claims, revisions = ctx.table("usgs_country_supply"), ctx.table("claims"), ctx.table("revisions")
    out: list[KeyNumber] = []
    tables = {"MCS 2026": rs.reserves_table(supply, "MCS 2026"), "MCS 2025": rs.reserves_table(supply, "MCS 2025")}
    t26, t25 = tables["MCS 2026"], tables["MCS 2025"]
    share26 = rs.reserve_share(supply, "China", "MCS 2026")
    share25 = rs.reserve_share(supply, "China", "MCS 2025")
    listed = rs.reserve_share_listed(supply, "China", "MCS 2026")
    china_t = rs.country_reserves_t(t26, "China")
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_pct", share26.central, "%",
        "China's share of world rare-earth reserves, at most (USGS MCS 2026 v1.3)",
        f"China reserves / world lower bound x 100 = {_n(china_t)} / {_n(t26.attrs['world_total_t'])} x 100; "
        "an upper bound because USGS prints the world total as 'more than'",
        (USGS26,), bound="<=", chapters=("reserves", "shares", "intro"),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_listed_pct", listed.central, "%",
        "China's share of world reserves, tighter upper bound using the sum of listed countries (MCS 2026 v1.3)",
        f"{_n(china_t)} / max({_n(t26.attrs['world_total_t'])}, listed sum {_n(t26.attrs['listed_sum_t'])}) x 100",
        (USGS26,), bound="<=", chapters=("reserves",),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_mcs2025_pct", share25.central, "%",
        "China's share of world rare-earth reserves, at most (USGS MCS 2025)",
        f"{_n(china_t)} / {_n(t25.attrs['world_total_t'])} x 100 (upper bound)", (USGS25,), bound="<=",
        chapters=("reserves", "shares"),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_change_pp", difference(share26.central, share25.central), "percentage points",
        "Change in China's maximum reserve share, MCS 2025 to MCS 2026 v1.3 (a smaller world bound, not more Chinese reserves)",
        f"{share26.central:.1f} - {share25.central:.1f}", (USGS25, USGS26), chapters=("reserves",),
    ))
    canada_t = rs.country_reserves_t(t26, "Canada")
    out.append(KeyNumber(
        "reserves.canada_reserves_t", canada_t, "t REO", "Canada's rare-earth reserves (USGS MCS 2026 v1.3)",
        "as published", (USGS26,), chapters=("reserves", "claims", "intro"), claims=("C40",), decimals=0,
    ))
    rank, n_ranked = rs.reserve_rank(supply, "Canada", "MCS 2026")
    out.append(KeyNumber(
        "reserves.canada_reserve_rank", float(rank), "rank", f"Canada's rank on reserves among the {n_ranked} "
        "countries with a reported figure (USGS MCS 2026 v1.3)",
        "1 + number of countries with larger reported reserves (NA countries not ranked)", (USGS26,),
        chapters=("reserves", "claims", "intro"), claims=("C40",), decimals=0,
    ))
    c40 = row(claims, "claims", claim_id="C40")
    claimed_t = to_tonnes(c40["value"], c40["unit"])
    resources_t, resources_bound, resources_source = rs.mi_resources(supply, "Canada", "MCS 2026")
    others = t26.loc[(t26["country"] != "Canada") & t26["reserves_t"].notna(), "reserves_t"].to_numpy()
    vs = rs.reserves_vs_resources(canada_t, resources_t, claimed_t, resources_bound, others)
    seed_src = str(c40["seed_source_id"])
    out.append(KeyNumber(
        "reserves.canada_resources_to_reserves_min", vs.resources_to_reserves, "x",
        "Canada's measured-and-indicated resources as a multiple of its reserves, at least (USGS)",
        f"resources / reserves = more than {_n(resources_t)} / {_n(canada_t)}", (resources_source,), bound=">=",
        chapters=("reserves",), claims=("C40",), note="Resources figure from the USGS 'World Resources' paragraph "
        "(usgs_country_supply, measure mi_resources).",
    ))
    out.append(KeyNumber(
        "reserves.canada_seed_to_reserves_ratio", vs.claimed_to_reserves, "x",
        "The seed's 15.2 Mt Canadian 'reserves' as a multiple of USGS reserves",
        f"seed / USGS reserves = {_n(claimed_t)} / {_n(canada_t)}", (seed_src, USGS26),
        chapters=("reserves", "claims", "intro"), claims=("C40",),
    ))
    out.append(KeyNumber(
        "reserves.canada_seed_minus_resources_t", vs.claimed_minus_resources_t, "t REO",
        "The seed's 15.2 Mt minus USGS Canadian M&I resources (at most, since resources are 'more than' 14 Mt)",
        f"{_n(claimed_t)} - {_n(resources_t)}", (seed_src, resources_source), bound="<=",
        chapters=("reserves", "claims"), claims=("C40",), decimals=0,
    ))
    out.append(KeyNumber(  # the same in Mt, for prose beside the other Canadian figures in Mt
        "reserves.canada_seed_minus_resources_mt", vs.claimed_minus_resources_t / 1e6, "Mt REO",
        "The seed's 15.2 Mt minus USGS Canadian M&I resources, in Mt (at most, since resources are 'more than' 14 Mt)",
        f"({_n(claimed_t)} - {_n(resources_t)}) / 1,000,000", (seed_src, resources_source), bound="<=",
        chapters=("reserves",), claims=("C40",), decimals=1,
    ))
    out.append(KeyNumber(
        "reserves.canada_seed_rank_if_reserves", float(vs.claimed_rank_among_reserves), "rank",
        "Where 15.2 Mt would rank if it were reserves (USGS MCS 2026 v1.3 reserves of other countries)",
        "1 + number of other countries with larger reported reserves", (seed_src, USGS26),
        chapters=("reserves", "claims"), claims=("C40",), decimals=0,
    ))
    rp = rs.reserves_to_production(supply, "MCS 2026")

    def rp_years(group):
        for country, id_, keep_bound in group:
            r = rs.rp_row(rp, country)
            who = "the world" if r["is_world_total"] else country
            out.append(KeyNumber(
                id_, float(r["rp_years"]), "years",
                f"Reserves-to-production years, {who} (USGS MCS 2026 v1.3: reserves / {r['production_year']}e production)",
                f"{_n(r['reserves_t'])} / {_n(r['production_t'])}", (USGS26,),
                bound=str(r["rp_bound"]) if keep_bound else "=", chapters=("reserves",), decimals=0,
            ))

    rp_years(RP_YEARS)
    changes = rs.edition_changes(supply)
    world = changes[changes["is_world_total"]].iloc[0]
    out.append(KeyNumber(
        "reserves.world_total_change_t", float(world["change_t"]), "t REO",
        "Change in the world reserve total (a lower bound), MCS 2025 to MCS 2026 v1.3",
        f">{_n(world['new_t'])} - >{_n(world['old_t'])}", (USGS25, USGS26), chapters=("reserves",), decimals=0,
    ))
    out.append(KeyNumber(  # the same in Mt, beside the totals in Mt it is the difference of
        "reserves.world_total_change_mt", float(world["change_t"]) / 1e6, "Mt REO",
        "Change in the world reserve total (a lower bound), MCS 2025 to MCS 2026 v1.3, in Mt",
        f"(>{_n(world['new_t'])} - >{_n(world['old_t'])}) / 1,000,000", (USGS25, USGS26), chapters=("reserves",),
        decimals=0,
    ))
    brazil = row(revisions, "revisions", revision_id="mcs2026_v10_v13_brazil_reserves")
    out.append(KeyNumber(
        "reserves.brazil_revision_t", difference(brazil["new_value"], brazil["old_value"]), "t REO",
        "Revision of Brazil's reserves within MCS 2026 (v1.0 to v1.3)",
        f"{_n(brazil['new_value'])} - {_n(brazil['old_value'])}", (str(brazil["new_source_id"]),),
        chapters=("reserves", "methods"), decimals=0,
    ))
    for id_, edition, country, label, decimals, also in RESERVES_MT:
        table = tables[edition]
        value = rs.country_reserves_t(table, country)
        src = str(table.loc[table["country"] == country, "source_id"].iloc[0])
        out.append(KeyNumber(id_, t_to_mt(value), "Mt REO", label, f"{_n(value)} t REO / 1,000,000", (src,),
                             chapters=("reserves",) + also, decimals=decimals))
    for id_, table, edition, src, also in (("reserves.world_reserves_min_mt", t26, "MCS 2026 v1.3", USGS26, ("shares",)),
                                           ("reserves.world_reserves_min_mcs2025_mt", t25, "MCS 2025", USGS25, ())):
        out.append(KeyNumber(
            id_, t_to_mt(table.attrs["world_total_t"]), "Mt REO",
            f"World rare-earth reserves, a lower bound (USGS {edition} prints 'more than')",
            f"{table.attrs['world_bound']}{_n(table.attrs['world_total_t'])} t REO / 1,000,000", (src,),
            bound=_gt(table.attrs["world_bound"]), chapters=("reserves",) + also, decimals=0,
        ))
    out.append(KeyNumber(
        "reserves.n_countries_with_reserves", float(n_ranked), "countries",
        "Countries with a reported reserve figure (USGS MCS 2026 v1.3; the others print NA)",
        "count of countries with a reported reserves figure", (USGS26,), chapters=("reserves",), decimals=0,
    ))
    out.append(KeyNumber(
        "reserves.canada_resources_min_mt", t_to_mt(resources_t), "Mt REO",
        "Canada's measured-and-indicated rare-earth resources, a lower bound (USGS: 'more than')",
        f"{resources_bound}{_n(resources_t)} t REO / 1,000,000", (resources_source,),
        bound=_gt(resources_bound), chapters=("reserves",), claims=("C40",), decimals=1,
    ))
    if str(c40["authority_source_id"]) != "nrcan_ree_facts" or not present(c40["authority_value"]):
        raise ValueError("claims.csv: claim C40 must be checked against nrcan_ree_facts with an authority_value")
    over = "over" in str(c40["authority_text"]) or "more than" in str(c40["authority_text"])
    out.append(KeyNumber(
        "reserves.canada_nrcan_reserves_resources_mt", float(c40["authority_value"]), "Mt REO",
        "Canada's reserves and measured-and-indicated resources together, 2022 (NRCan: 'over')",
        f"as published: {'over ' if over else ''}{float(c40['authority_value']):g} Mt REO", ("nrcan_ree_facts",),
        bound=">" if over else "=", chapters=("reserves", "claims"), claims=("C40",), decimals=1,
    ))
    v10 = row(revisions, "revisions", revision_id="mcs2026_v10_v13_world_reserves")
    out.append(KeyNumber(
        "reserves.world_reserves_min_v10_mt", t_to_mt(v10["old_value"]), "Mt REO",
        "World rare-earth reserves as first printed in MCS 2026 (v1.0), a lower bound",
        f"{v10['old_bound']}{_n(v10['old_value'])} t REO / 1,000,000", (str(v10["old_source_id"]),),
        bound=_gt(v10["old_bound"]), chapters=("reserves",), decimals=0,
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_v10_pct", rs.share_of_bound(china_t, float(v10["old_value"])), "%",
        "China's share of world reserves, at most, as first printed in MCS 2026 (v1.0)",
        f"{_n(china_t)} / {_n(v10['old_value'])} x 100 (upper bound)", (str(v10["old_source_id"]),), bound="<=",
        chapters=("reserves",),
    ))
    rp_years(RP_YEARS_MORE)
    prod = rs.edition_changes(supply, "MCS 2025", "MCS 2026", "mine_production")
    prod = prod[prod["year_old"] == 2024]
    for country, key in PRODUCTION_2024:
        r = row(prod, "usgs_country_supply (2024 mine production in both editions)", country=country)
        who = "the world (rounded total)" if key == "world" else country
        out.append(KeyNumber(
            f"reserves.production_2024e_mcs2025_{key}_t", float(r["old_t"]), "t REO",
            f"Mine production 2024 of {who} as estimated in USGS MCS 2025 (2024e)", "as published",
            (USGS25,), chapters=("reserves",), decimals=0,
        ))
        out.append(KeyNumber(
            f"reserves.production_2024_{key}_t", float(r["new_t"]), "t REO",
            f"Mine production 2024 of {who} as printed in USGS MCS 2026 v1.3", "as published",
            (USGS26,), chapters=("reserves",), decimals=0,
        ))
    return out
