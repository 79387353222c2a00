"""Key numbers of the shares domain: China's share at each stage, concentration, the seeds' shares.

Declarations only: every value comes from :mod:`rare_earths.analysis.shares` or is a
published figure of ``stage_shares`` / ``usgs_us_imports`` found by id (a missing row raises).
"""

from __future__ import annotations

from rare_earths.analysis import shares as sh
from rare_earths.data.queries import row, rows
from rare_earths.format import fixed, present
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("shares.",)
USGS = "usgs_mcs_2026_ree"

#: Published shares the book quotes: (id, stage_shares.share_id, label, chapters, claims).
PUBLISHED = (
    ("shares.china_refining_share_iea_pct", "iea_gcmo2025_refining_china_2024",
     "China's share of magnet rare-earth refining output, 2024 (IEA GCMO 2025)", ("shares", "claims", "intro"), ("C31",)),
    ("shares.china_mining_share_iea_pct", "iea_gcmo2025_mining_china_2024",
     "China's share of magnet rare-earth mining output, 2024 (IEA GCMO 2025)", ("shares", "claims", "intro"), ("C27",)),
    ("shares.china_refining_share_iea_2023_pct", "iea_gcmo2024_refining_china_2023",
     "China's share of magnet rare-earth refining output, 2023 (IEA GCMO 2024, as reported)", ("shares", "claims"), ("C28",)),
    ("shares.china_magnet_share_iea_pct", "iea_commentary_2025_10_23_magnets_china",
     "China's share of permanent-magnet manufacturing (IEA commentary, 2025-10-23)", ("shares", "pipeline"), ()),
    ("shares.china_us_import_share_pct", "usgs_2026_us_imports_china_2021_2024",
     "China's share of US imports of rare-earth compounds and metals by value, 2021–24 (USGS MCS 2026)",
     ("shares", "claims"), ("C20",)),
    ("shares.china_mining_share_iea_2023_pct", "iea_gcmo2024_mining_china_2023",
     "China's share of magnet rare-earth mining output, 2023 (IEA GCMO 2024, as reported)", ("shares",), ("C27",)),
    ("shares.china_separation_share_iea_commentary_pct", "iea_commentary_2025_10_23_separation_china",
     "China's share of rare-earth separation (IEA commentary, 2025-10-23, as reported; year not stated)",
     ("shares",), ("C31",)),
    ("shares.china_refining_share_roskill_2020_pct", "roskill_2020_refined_china_2020",
     "China's share of refined rare-earth products, 2020 (Roskill, as reported)", ("shares",), ("C22",)),
    ("shares.china_us_import_share_mcs2025_pct", "usgs_2025_us_imports_china_2020_2023",
     "China's share of US imports of rare-earth compounds and metals by value, 2020–23 (USGS MCS 2025)",
     ("shares",), ("C20",)),
    ("shares.china_mining_share_iea_2030_pct", "iea_gcmo2025_mining_china_2030",
     "China's share of magnet rare-earth mining output in 2030, IEA GCMO 2025 base case (projection)", ("shares",), ()),
    ("shares.china_refining_share_iea_2030_pct", "iea_gcmo2025_refining_china_2030",
     "China's share of magnet rare-earth refining output in 2030, IEA GCMO 2025 base case (projection)", ("shares",), ()),
    ("shares.myanmar_mining_share_iea_pct", "iea_gcmo2025_mining_myanmar_2024",
     "Myanmar's share of magnet rare-earth mining output, 2024 (IEA GCMO 2025)", ("shares",), ()),
)

#: US net import reliance, as published: (id, edition, year, label).
NET_IMPORT_RELIANCE = (
    ("shares.us_net_import_reliance_2024_pct", "MCS 2026", 2024, "US net import reliance, rare-earth compounds and "
     "metals, 2024 (% of apparent consumption, USGS MCS 2026)"),
    ("shares.us_net_import_reliance_2025e_pct", "MCS 2026", 2025, "US net import reliance, rare-earth compounds and "
     "metals, 2025e (% of apparent consumption, USGS MCS 2026)"),
    ("shares.us_net_import_reliance_2024e_mcs2025_pct", "MCS 2025", 2024, "US net import reliance, rare-earth "
     "compounds and metals, 2024e as estimated in USGS MCS 2025 (% of apparent consumption)"),
)

#: The seeds' China percentages against one authority each: (seed, share_id, id, label, claims, use USGS headline).
SEED_GAPS = (
    ("60", "iea_gcmo2025_mining_china_2024", "shares.seed_60_vs_iea_mining_pp",
     "Seed's 60% of mining minus IEA magnet-REE mining share 2024", ("C27",), False),
    ("60", "usgs_2026_mining_china_2024", "shares.seed_60_vs_usgs_mining_pp",
     "Seed's 60% of mining minus USGS all-REO mining share 2024 (MCS 2026 v1.3)", ("C27",), True),
    ("85", "roskill_2020_refined_china_2020", "shares.seed_85_vs_roskill_pp",
     "Seed's 85% of smelting capacity minus Roskill's 85% of refined products (2020)", ("C22",), False),
    ("85", "iea_gcmo2025_refining_china_2024", "shares.seed_85_vs_iea_refining_pp",
     "Seed's 85% of smelting capacity minus IEA magnet-REE refining share 2024", ("C22",), False),
    ("87", "usgs_2026_us_imports_china_2021_2024", "shares.seed_87_vs_usgs_imports_pp",
     "Seed's 87% US dependence minus China's share of US imports by value 2021–24 (USGS)", ("C20",), False),
    ("90", "iea_gcmo2025_refining_china_2024", "shares.seed_90_vs_iea_refining_pp",
     "Seed's 90% of refining capacity minus IEA magnet-REE refining share 2024", ("C31",), False),
    ("92", "iea_gcmo2024_refining_china_2023", "shares.seed_92_vs_iea_2023_refining_pp",
     "Seed's 92% of processing capacity minus IEA refining share 2023 (GCMO 2024)", ("C28",), False),
)


def _n(v: float, d: int = 0) -> str:
    return fixed(v, d)


def build(ctx: Context) -> list[KeyNumber]:
    supply, ss, imports = ctx.table("usgs_country_supply"), ctx.table("stage_shares"), ctx.table("usgs_us_imports")
    out: list[KeyNumber] = []

    def usgs_share(id_, edition, year, source, label, headline=False, also=()):
        d = sh.usgs_mining_share_detail(supply, "China", edition, year)
        out.append(KeyNumber(
            id_, d.share.central, "%", label,
            f"China mine production / world total x 100 = {_n(d.part_t)} / {_n(d.total_t)} x 100 ({edition}, {year}, "
            f"t REO); low/high: world total +/- {_n(d.tolerance_t)} (rounding)",
            (source,), low=d.share.low, high=d.share.high,
            chapters=("shares", "claims") + (("intro",) if headline else ()) + also, claims=("C27",),
            note="All rare-earth oxides, mine output; the headline uses the latest edition's earlier year (2024: "
                 "USGS estimates every country's figure but the US's, 2025 is a first estimate)." if headline
                 else "All rare-earth oxides, mine output.",
        ))
        return d.share

    head = usgs_share("shares.china_mining_share_usgs_pct", "MCS 2026", 2024, USGS,
                      "China's share of world rare-earth mine production, 2024e (USGS MCS 2026 v1.3, all REO)",
                      headline=True, also=("reserves",))
    usgs_share("shares.china_mining_share_usgs_2025e_pct", "MCS 2026", 2025, USGS,
               "China's share of world rare-earth mine production, 2025e (USGS MCS 2026 v1.3, all REO)")
    usgs_share("shares.china_mining_share_usgs_mcs2025_2023_pct", "MCS 2025", 2023, "usgs_mcs_2025_ree",
               "China's share of world rare-earth mine production, 2023 (USGS MCS 2025, all REO)")
    usgs_share("shares.china_mining_share_usgs_mcs2025_2024e_pct", "MCS 2025", 2024, "usgs_mcs_2025_ree",
               "China's share of world rare-earth mine production, 2024e (USGS MCS 2025, all REO)", also=("reserves",))

    for id_, share_id, label, chapters, claims in PUBLISHED:
        r = row(ss, "stage_shares", share_id=share_id)
        vol = f" ({_n(r['volume'], 1)} {r['volume_unit']})" if present(r["volume"]) else ""
        out.append(KeyNumber(
            id_, float(r["share_pct"]), "%", label,
            f"as published: {r['share_pct']:g}%{vol}; stage {r['stage']}, basket {r['basket']}, basis {r['basis']}",
            (str(r["source_id"]),), chapters=chapters, claims=claims, bound=str(r["bound"]),
        ))

    heavy = rows(imports, "usgs_us_imports", source_id="usgs_mcs_2026_ree_heavy", measure="import_source_share",
                 partner="China")
    names = ", ".join(c.split(" ")[0] for c in heavy["commodity"])
    out.append(KeyNumber(
        "shares.china_heavy_import_share_pct", float(sh.lowest_share(heavy)["value_pct"]), "%",
        f"China's share of US imports of {names} compounds and metals, "
        f"{int(heavy['year_start'].min())}–{str(int(heavy['year_end'].max()))[-2:]} (USGS MCS 2026; the lowest of the three)",
        "min(" + ", ".join(f"{c.split(' ')[0]} {v:g}%" for c, v in zip(heavy["commodity"], heavy["value_pct"])) + ")",
        ("usgs_mcs_2026_ree_heavy",), chapters=("shares",), decimals=0,
    ))
    for id_, edition, year, label in NET_IMPORT_RELIANCE:
        r = row(imports, "usgs_us_imports", measure="net_import_reliance", commodity="rare-earth compounds and metals",
                edition=edition, year_end=year)
        out.append(KeyNumber(
            id_, float(r["value_pct"]), "%", label, f"as published: {r['bound']}{r['value_pct']:g}".replace("=", ""),
            (str(r["source_id"]),), bound=str(r["bound"]), chapters=("shares",), decimals=0,
        ))

    usgs_c = sh.usgs_mining_concentration(supply, "MCS 2026", 2024)
    out.append(KeyNumber(
        "shares.top3_mining_share_usgs_pct", usgs_c.top3_share.central, "%",
        "Top-3 countries' share of world mine production, 2024e (USGS MCS 2026 v1.3, all REO)",
        f"({' + '.join(usgs_c.top3_countries)}) / world total x 100; low/high over the total's rounding",
        (USGS,), low=usgs_c.top3_share.low, high=usgs_c.top3_share.high, chapters=("shares",),
    ))
    out.append(KeyNumber(
        "shares.hhi_mining_usgs", usgs_c.hhi.central, "HHI points (0–10,000)",
        "Herfindahl–Hirschman index of world rare-earth mining, 2024e (USGS MCS 2026 v1.3, all REO)",
        "sum of squared country shares (percent of the listed rows' sum); high: 'Other' as one producer",
        (USGS,), low=usgs_c.hhi.low, high=usgs_c.hhi.high, chapters=("shares",), decimals=0,
        note=f"Above {sh.HHI_HIGHLY_CONCENTRATED:,.0f} is 'highly concentrated' (US 2023 Merger Guidelines).",
    ))
    for stage_name, key, label in (("separation_refining", "refining", "refining"), ("mining", "mining", "mining")):
        c = sh.iea_concentration(ss, stage_name)
        out.append(KeyNumber(
            f"shares.top3_{key}_share_iea_pct", c.top3_share.central, "%",
            f"Top-3 countries' share of magnet rare-earth {label}, 2024 (IEA GCMO 2025)",
            f"{' + '.join(f'{c.countries[k]:g}' for k in c.top3_countries)} ({', '.join(c.top3_countries)})",
            ("iea_gcmo_2025",), chapters=("shares",),
        ))
        out.append(KeyNumber(
            f"shares.hhi_{key}_iea", c.hhi.central, "HHI points (0–10,000)",
            f"Herfindahl–Hirschman index of magnet rare-earth {label}, 2024 (IEA GCMO 2025)",
            "sum of squared listed shares; high: the unlisted "
            f"{c.unlisted_pct:.1f}% in producers no larger than the smallest listed one",
            ("iea_gcmo_2025",), low=c.hhi.low, high=c.hhi.high, chapters=("shares",), decimals=0,
        ))

    rec = sh.reconcile_seed_shares(ss)
    for seed, share_id, id_, label, claims, use_headline in SEED_GAPS:
        r = row(rec, "stage_shares (seed reconciliation)", seed=seed, share_id=share_id)
        authority = head.central if use_headline else float(r["authority_pct"])
        source = USGS if use_headline else str(r["source_id"])
        out.append(KeyNumber(
            id_, sh.seed_gap_pp(float(r["seed_pct"]), authority), "percentage points", label,
            f"seed {r['seed_pct']:g}% - authority {authority:.1f}% ({r['edition']}, {r['year']}, "
            f"{r['stage']}, {r['basket']}, {r['basis']})",
            (str(r["seed_source_id"]), source), chapters=("shares", "claims"), claims=claims,
        ))
    return out
