"""The key-number registry: every headline number the book prints, registered once.

Each :class:`KeyNumber` has an ``id`` (``domain.name``), its value with low/high (equal to the
value where the number is not ranged), unit, label, the formula *with the figures filled in*,
the source ids it rests on (all in ``sources.csv``), the parameters it depends on, the chapters
that print it and the seed claims it checks. Chapters glue numbers from here and the
``rare-earths numbers`` command prints the same list, so text and CLI cannot disagree.

``compute_numbers(overrides)`` recomputes everything (or only some domains: ``domains=["costs"]``)
from the dataset and the parameters
(:mod:`rare_earths.params.core`); it is deterministic for given data, overrides and ``as_of``
(the default ``as_of`` is the build date: set ``SOURCE_DATE_EPOCH`` or pass ``as_of`` to pin it).

Where a number is undefined for the chosen parameters (no money counted yet at an early
``as_of``) its value is ``None`` and ``status`` says why: never a silent NaN.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import pandas as pd

from rare_earths.params.core import CHAPTERS, PARAMETERS, ParameterError, parse_assignments, resolve_lazily

BOUND_PREFIX = {"=": "", "<=": "<=", ">=": ">=", ">": ">", "<": "<", "~": "~"}


class UnknownNumberError(LookupError):
    """An id that is not in the registry (the message suggests the closest one)."""


@dataclass(frozen=True)
class KeyNumber:
    """One registered headline number."""

    id: str
    value: float | None
    unit: str
    label: str
    formula: str
    sources: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    bound: str = "="
    chapters: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    decimals: int = 1
    status: str = "ok"
    note: str = ""

    def __post_init__(self):
        if self.value is None:
            if self.status == "ok":
                raise ValueError(f"{self.id}: a number without a value needs a status saying why")
            object.__setattr__(self, "low", None)
            object.__setattr__(self, "high", None)
        else:
            value = float(self.value)
            low = value if self.low is None else float(self.low)
            high = value if self.high is None else float(self.high)
            for name, v in (("value", value), ("low", low), ("high", high)):
                if not math.isfinite(v):
                    raise ValueError(f"{self.id}: {name} is not finite ({v})")
            if not low - 1e-9 * abs(low) <= value <= high + 1e-9 * abs(high):
                raise ValueError(f"{self.id}: low <= value <= high violated ({low}, {value}, {high})")
            object.__setattr__(self, "value", value)
            object.__setattr__(self, "low", low)
            object.__setattr__(self, "high", high)
        for name in ("sources", "parameters", "chapters", "claims"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.sources:
            raise ValueError(f"{self.id}: every number needs at least one source")
        unknown = set(self.chapters) - set(CHAPTERS)
        if unknown:
            raise ValueError(f"{self.id}: unknown chapters {sorted(unknown)}")

    @property
    def is_ranged(self) -> bool:
        return self.value is not None and self.low != self.high

    def _fmt(self, v: float) -> str:
        return f"{v:,.{self.decimals}f}"

    def display(self) -> str:
        """The value as printed: thousands separators, ``decimals`` places, bound prefix."""
        if self.value is None:
            return "n/a"
        return BOUND_PREFIX.get(self.bound, self.bound) + self._fmt(self.value)

    def display_range(self) -> str:
        if not self.is_ranged:
            return ""
        return f"{self._fmt(self.low)}–{self._fmt(self.high)}"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "value": self.value,
            "unit": self.unit,
            "label": self.label,
            "low": self.low,
            "high": self.high,
            "bound": self.bound,
            "display": self.display(),
            "formula": self.formula,
            "sources": list(self.sources),
            "parameters": list(self.parameters),
            "chapters": list(self.chapters),
            "claims": list(self.claims),
            "decimals": self.decimals,
            "status": self.status,
            "note": self.note,
        }


# ---------------------------------------------------------------------------------------------
# Builders, one per domain
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    params: Mapping  # a ResolvedParameters: defaults resolved when a builder reads them
    data: object = None
    _tables: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            from rare_earths.data.load import load_table

            self._tables[name] = load_table(name, self.data)
        return self._tables[name]


def _n(v: float, d: int = 0) -> str:
    return f"{v:,.{d}f}"


def _shares(ctx: _Context) -> list[KeyNumber]:
    from rare_earths.analysis import shares as sh

    supply, ss = ctx.table("usgs_country_supply"), ctx.table("stage_shares")
    out = []
    usgs = "usgs_mcs_2026_ree"

    def usgs_share(id_, edition, year, source, label, decimals=1, headline=False, also=()):
        r = sh.usgs_mining_share(supply, "China", edition, year)
        part = sh.usgs_country_value(supply, edition, "mine_production", "China", year)
        total, _ = sh.usgs_world_total(supply, edition, "mine_production", year)
        tol = sh.rounding_tolerance(total)
        out.append(KeyNumber(
            id_, r.central, "%", label,
            f"China mine production / world total x 100 = {_n(part)} / {_n(total)} x 100 ({edition}, {year}, t REO); "
            f"low/high: world total +/- {_n(tol)} (rounding)",
            (source,), low=r.low, high=r.high, chapters=("shares", "claims") + (("intro",) if headline else ()) + also,
            claims=("C27",), decimals=decimals,
            note="All rare-earth oxides, mine output; the headline uses the latest edition's latest reported "
                 "(not estimated) year." if headline else "All rare-earth oxides, mine output.",
        ))
        return r

    head = usgs_share("shares.china_mining_share_usgs_pct", "MCS 2026", 2024, usgs,
                      "China's share of world rare-earth mine production, 2024 (USGS MCS 2026 v1.3, all REO)", headline=True,
                      also=("reserves",))
    usgs_share("shares.china_mining_share_usgs_2025e_pct", "MCS 2026", 2025, usgs,
               "China's share of world rare-earth mine production, 2025e (USGS MCS 2026 v1.3, all REO)")
    usgs_share("shares.china_mining_share_usgs_mcs2025_2023_pct", "MCS 2025", 2023, "usgs_mcs_2025_ree",
               "China's share of world rare-earth mine production, 2023 (USGS MCS 2025, all REO)")
    usgs_share("shares.china_mining_share_usgs_mcs2025_2024e_pct", "MCS 2025", 2024, "usgs_mcs_2025_ree",
               "China's share of world rare-earth mine production, 2024e (USGS MCS 2025, all REO)", also=("reserves",))

    def stage(share_id):
        row = ss[ss["share_id"] == share_id]
        if len(row) != 1:
            raise ParameterError(f"share_id={share_id}: not in stage_shares.csv")
        return row.iloc[0]

    for id_, share_id, label, chapters, claims in (
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
        # -- added for the shares chapter: the other vintages and stages it prints
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
    ):
        row = stage(share_id)
        vol = f" ({_n(row['volume'], 1)} {row['volume_unit']})" if pd.notna(row["volume"]) else ""
        out.append(KeyNumber(
            id_, float(row["share_pct"]), "%", label,
            f"as published: {row['share_pct']:g}%{vol}; stage {row['stage']}, basket {row['basket']}, basis {row['basis']}",
            (str(row["source_id"]),), chapters=chapters, claims=claims, bound=str(row["bound"]),
        ))

    # -- added for the shares chapter: US import figures of USGS (usgs_us_imports.csv)
    imports = ctx.table("usgs_us_imports")
    heavy = imports[(imports["source_id"] == "usgs_mcs_2026_ree_heavy") & (imports["measure"] == "import_source_share")
                    & (imports["partner"] == "China")]
    if not heavy.empty:
        names = ", ".join(c.split(" ")[0] for c in heavy["commodity"])
        out.append(KeyNumber(
            "shares.china_heavy_import_share_pct", float(heavy["value_pct"].min()), "%",
            f"China's share of US imports of {names} compounds and metals, "
            f"{int(heavy['year_start'].min())}–{str(int(heavy['year_end'].max()))[-2:]} (USGS MCS 2026; the lowest of the three)",
            "min(" + ", ".join(f"{c.split(' ')[0]} {v:g}%" for c, v in zip(heavy["commodity"], heavy["value_pct"])) + ")",
            ("usgs_mcs_2026_ree_heavy",), chapters=("shares",), decimals=0,
        ))
    nir = imports[(imports["measure"] == "net_import_reliance") & (imports["commodity"] == "rare-earth compounds and metals")]
    for id_, edition, year, label in (
        ("shares.us_net_import_reliance_2024_pct", "MCS 2026", 2024, "US net import reliance, rare-earth compounds and "
         "metals, 2024 (% of apparent consumption, USGS MCS 2026)"),
        ("shares.us_net_import_reliance_2025e_pct", "MCS 2026", 2025, "US net import reliance, rare-earth compounds and "
         "metals, 2025e (% of apparent consumption, USGS MCS 2026)"),
        ("shares.us_net_import_reliance_2024e_mcs2025_pct", "MCS 2025", 2024, "US net import reliance, rare-earth "
         "compounds and metals, 2024e as estimated in USGS MCS 2025 (% of apparent consumption)"),
    ):
        row = nir[(nir["edition"] == edition) & (nir["year_end"] == year)]
        if len(row) != 1:
            raise ParameterError(f"edition={edition}, year={year}: no single US net import reliance row")
        row = row.iloc[0]
        out.append(KeyNumber(
            id_, float(row["value_pct"]), "%", label, f"as published: {row['bound']}{row['value_pct']:g}"
            .replace("=", ""), (str(row["source_id"]),), bound=str(row["bound"]), chapters=("shares",), decimals=0,
        ))

    usgs_c = sh.usgs_mining_concentration(supply, "MCS 2026", 2024)
    out.append(KeyNumber(
        "shares.top3_mining_share_usgs_pct", usgs_c.top3_share.central, "%",
        "Top-3 countries' share of world mine production, 2024 (USGS MCS 2026 v1.3, all REO)",
        f"({' + '.join(usgs_c.top3_countries)}) / world total x 100; low/high over the total's rounding",
        (usgs,), low=usgs_c.top3_share.low, high=usgs_c.top3_share.high, chapters=("shares",),
    ))
    out.append(KeyNumber(
        "shares.hhi_mining_usgs", usgs_c.hhi.central, "HHI points (0–10,000)",
        "Herfindahl–Hirschman index of world rare-earth mining, 2024 (USGS MCS 2026 v1.3, all REO)",
        "sum of squared country shares (percent of the listed rows' sum); high: 'Other' as one producer",
        (usgs,), low=usgs_c.hhi.low, high=usgs_c.hhi.high, chapters=("shares",), decimals=0,
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

    def gap(seed, share_id, id_, label, claims, authority_value=None, authority_source=None):
        row = rec[(rec["seed"] == seed) & (rec["share_id"] == share_id)].iloc[0]
        authority = float(row["authority_pct"]) if authority_value is None else authority_value
        src = str(row["source_id"]) if authority_source is None else authority_source
        out.append(KeyNumber(
            id_, float(row["seed_pct"]) - authority, "percentage points", label,
            f"seed {row['seed_pct']:g}% - authority {authority:.1f}% ({row['edition']}, {row['year']}, "
            f"{row['stage']}, {row['basket']}, {row['basis']})",
            (str(row["seed_source_id"]), src), chapters=("shares", "claims"), claims=claims,
        ))

    gap("60", "iea_gcmo2025_mining_china_2024", "shares.seed_60_vs_iea_mining_pp",
        "Seed's 60% of mining minus IEA magnet-REE mining share 2024", ("C27",))
    gap("60", "usgs_2026_mining_china_2024", "shares.seed_60_vs_usgs_mining_pp",
        "Seed's 60% of mining minus USGS all-REO mining share 2024 (MCS 2026 v1.3)", ("C27",),
        authority_value=head.central, authority_source=usgs)
    gap("85", "roskill_2020_refined_china_2020", "shares.seed_85_vs_roskill_pp",
        "Seed's 85% of smelting capacity minus Roskill's 85% of refined products (2020)", ("C22",))
    gap("85", "iea_gcmo2025_refining_china_2024", "shares.seed_85_vs_iea_refining_pp",
        "Seed's 85% of smelting capacity minus IEA magnet-REE refining share 2024", ("C22",))
    gap("87", "usgs_2026_us_imports_china_2021_2024", "shares.seed_87_vs_usgs_imports_pp",
        "Seed's 87% US dependence minus China's share of US imports by value 2021–24 (USGS)", ("C20",))
    gap("90", "iea_gcmo2025_refining_china_2024", "shares.seed_90_vs_iea_refining_pp",
        "Seed's 90% of refining capacity minus IEA magnet-REE refining share 2024", ("C31",))
    gap("92", "iea_gcmo2024_refining_china_2023", "shares.seed_92_vs_iea_2023_refining_pp",
        "Seed's 92% of processing capacity minus IEA refining share 2023 (GCMO 2024)", ("C28",))
    return out


def _reserves(ctx: _Context) -> list[KeyNumber]:
    from rare_earths.analysis import reserves as rs

    supply, claims, revisions = ctx.table("usgs_country_supply"), ctx.table("claims"), ctx.table("revisions")
    usgs26, usgs25 = "usgs_mcs_2026_ree", "usgs_mcs_2025_ree"
    out = []
    t26, t25 = rs.reserves_table(supply, "MCS 2026"), rs.reserves_table(supply, "MCS 2025")
    share26 = rs.reserve_share(supply, "China", "MCS 2026")
    share25 = rs.reserve_share(supply, "China", "MCS 2025")
    listed = rs.reserve_share_listed(supply, "China", "MCS 2026")
    china_t = float(t26.loc[t26["country"] == "China", "reserves_t"].iloc[0])
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_pct", share26.central, "%",
        "China's share of world rare-earth reserves, at most (USGS MCS 2026 v1.3)",
        f"China reserves / world lower bound x 100 = {_n(china_t)} / {_n(t26.attrs['world_total_t'])} x 100; "
        "an upper bound because USGS prints the world total as 'more than'",
        (usgs26,), bound="<=", chapters=("reserves", "shares", "intro"),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_listed_pct", listed.central, "%",
        "China's share of world reserves, tighter upper bound using the sum of listed countries (MCS 2026 v1.3)",
        f"{_n(china_t)} / max({_n(t26.attrs['world_total_t'])}, listed sum {_n(t26.attrs['listed_sum_t'])}) x 100",
        (usgs26,), bound="<=", chapters=("reserves",),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_mcs2025_pct", share25.central, "%",
        "China's share of world rare-earth reserves, at most (USGS MCS 2025)",
        f"{_n(china_t)} / {_n(t25.attrs['world_total_t'])} x 100 (upper bound)", (usgs25,), bound="<=",
        chapters=("reserves", "shares"),
    ))
    out.append(KeyNumber(
        "reserves.china_reserve_share_max_change_pp", share26.central - share25.central, "percentage points",
        "Change in China's maximum reserve share, MCS 2025 to MCS 2026 v1.3 (a smaller world bound, not more Chinese reserves)",
        f"{share26.central:.1f} - {share25.central:.1f}", (usgs25, usgs26), chapters=("reserves",),
    ))
    canada_t = float(t26.loc[t26["country"] == "Canada", "reserves_t"].iloc[0])
    out.append(KeyNumber(
        "reserves.canada_reserves_t", canada_t, "t REO", "Canada's rare-earth reserves (USGS MCS 2026 v1.3)",
        "as published", (usgs26,), chapters=("reserves", "claims", "intro"), claims=("C40",), decimals=0,
    ))
    rank, n_ranked = rs.reserve_rank(supply, "Canada", "MCS 2026")
    out.append(KeyNumber(
        "reserves.canada_reserve_rank", float(rank), "rank", f"Canada's rank on reserves among the {n_ranked} "
        "countries with a reported figure (USGS MCS 2026 v1.3)",
        "1 + number of countries with larger reported reserves (NA countries not ranked)", (usgs26,),
        chapters=("reserves", "claims", "intro"), claims=("C40",), decimals=0,
    ))
    c40 = claims[claims["claim_id"] == "C40"]
    if len(c40) != 1 or pd.isna(c40["value"].iloc[0]):
        raise ParameterError("claim_id=C40: the Canada reserves claim is missing from claims.csv")
    c40 = c40.iloc[0]
    claimed_t = float(c40["value"]) * 1e6 if str(c40["unit"]).startswith("Mt") else float(c40["value"])
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
        f"seed / USGS reserves = {_n(claimed_t)} / {_n(canada_t)}", (seed_src, usgs26),
        chapters=("reserves", "claims", "intro"), claims=("C40",),
    ))
    out.append(KeyNumber(
        "reserves.canada_seed_minus_resources_t", vs.claimed_minus_resources_t, "t REO",
        "The seed's 15.2 Mt minus USGS Canadian M&I resources (at most, since resources are 'more than' 14 Mt)",
        f"{_n(claimed_t)} - {_n(resources_t)}", (seed_src, resources_source), bound="<=",
        chapters=("reserves", "claims"), claims=("C40",), decimals=0,
    ))
    out.append(KeyNumber(
        "reserves.canada_seed_rank_if_reserves", float(vs.claimed_rank_among_reserves), "rank",
        "Where 15.2 Mt would rank if it were reserves (USGS MCS 2026 v1.3 reserves of other countries)",
        "1 + number of other countries with larger reported reserves", (seed_src, usgs26),
        chapters=("reserves", "claims"), claims=("C40",), decimals=0,
    ))
    rp = rs.reserves_to_production(supply, "MCS 2026")
    for country, id_ in (("China", "reserves.china_rp_years"), ("United States", "reserves.us_rp_years"),
                         ("World total (rounded)", "reserves.world_rp_years_min")):
        row = rp[rp["country"] == country].iloc[0]
        if row["rp_status"] != "computed":  # pragma: no cover - data change
            raise ParameterError(f"country={country}: R/P undefined ({row['rp_status']})")
        who = "the world" if row["is_world_total"] else country
        out.append(KeyNumber(
            id_, float(row["rp_years"]), "years",
            f"Reserves-to-production years, {who} (USGS MCS 2026 v1.3: reserves / {row['production_year']}e production)",
            f"{_n(row['reserves_t'])} / {_n(row['production_t'])}", (usgs26,), bound=str(row["rp_bound"]),
            chapters=("reserves",), decimals=0,
        ))
    changes = rs.edition_changes(supply)
    world = changes[changes["is_world_total"]].iloc[0]
    out.append(KeyNumber(
        "reserves.world_total_change_t", float(world["change_t"]), "t REO",
        "Change in the world reserve total (a lower bound), MCS 2025 to MCS 2026 v1.3",
        f">{_n(world['new_t'])} - >{_n(world['old_t'])}", (usgs25, usgs26), chapters=("reserves",), decimals=0,
    ))
    rev = revisions[revisions["revision_id"] == "mcs2026_v10_v13_brazil_reserves"]
    if len(rev) == 1:
        rev = rev.iloc[0]
        out.append(KeyNumber(
            "reserves.brazil_revision_t", float(rev["new_value"] - rev["old_value"]), "t REO",
            "Revision of Brazil's reserves within MCS 2026 (v1.0 to v1.3)",
            f"{_n(rev['new_value'])} - {_n(rev['old_value'])}", (str(rev["new_source_id"]),),
            chapters=("reserves", "methods"), decimals=0,
        ))

    # -- added for the reserves chapter: the tonnages, ranks and revisions its prose prints
    def reserve_mt(id_, table, country, label, decimals=1, bound=None, also=()):
        row = table[table["country"] == country]
        if row.empty or pd.isna(row["reserves_t"].iloc[0]):
            raise ParameterError(f"country={country}: no reported reserves in {row['edition'].iloc[0] if len(row) else '?'}")
        value = float(row["reserves_t"].iloc[0])
        src = str(row["source_id"].iloc[0])
        out.append(KeyNumber(id_, value / 1e6, "Mt REO", label, f"{_n(value)} t REO / 1,000,000", (src,),
                             chapters=("reserves",) + also, decimals=decimals))

    reserve_mt("reserves.china_reserves_mt", t26, "China", "China's rare-earth reserves (USGS MCS 2026 v1.3; same in MCS 2025)",
               also=("shares",))
    reserve_mt("reserves.brazil_reserves_mt", t26, "Brazil", "Brazil's rare-earth reserves (USGS MCS 2026 v1.3)")
    reserve_mt("reserves.brazil_reserves_mcs2025_mt", t25, "Brazil", "Brazil's rare-earth reserves (USGS MCS 2025)")
    reserve_mt("reserves.australia_reserves_mt", t26, "Australia", "Australia's rare-earth reserves (USGS MCS 2026 v1.3)")
    reserve_mt("reserves.australia_reserves_mcs2025_mt", t25, "Australia", "Australia's rare-earth reserves (USGS MCS 2025)")
    reserve_mt("reserves.us_reserves_mt", t26, "United States", "US rare-earth reserves (USGS MCS 2026 v1.3)")
    reserve_mt("reserves.india_reserves_mcs2025_mt", t25, "India", "India's rare-earth reserves (USGS MCS 2025; NA in MCS 2026)")
    reserve_mt("reserves.malaysia_reserves_mt", t26, "Malaysia", "Malaysia's rare-earth reserves (USGS MCS 2026 v1.3; NA in "
               "MCS 2025)", decimals=2)
    for id_, table, edition, src, also in (("reserves.world_reserves_min_mt", t26, "MCS 2026 v1.3", usgs26, ("shares",)),
                                           ("reserves.world_reserves_min_mcs2025_mt", t25, "MCS 2025", usgs25, ())):
        out.append(KeyNumber(
            id_, table.attrs["world_total_t"] / 1e6, "Mt REO",
            f"World rare-earth reserves, a lower bound (USGS {edition} prints 'more than')",
            f"{table.attrs['world_bound']}{_n(table.attrs['world_total_t'])} t REO / 1,000,000", (src,),
            bound=">" if table.attrs["world_bound"] in (">", ">=") else "=", chapters=("reserves",) + also, decimals=0,
        ))
    out.append(KeyNumber(
        "reserves.n_countries_with_reserves", float(n_ranked), "countries",
        "Countries with a reported reserve figure (USGS MCS 2026 v1.3; the others print NA)",
        "count of countries with a reported reserves figure", (usgs26,), chapters=("reserves",), decimals=0,
    ))
    out.append(KeyNumber(
        "reserves.canada_resources_min_mt", resources_t / 1e6, "Mt REO",
        "Canada's measured-and-indicated rare-earth resources, a lower bound (USGS: 'more than')",
        f"{resources_bound}{_n(resources_t)} t REO / 1,000,000", (resources_source,),
        bound=">" if resources_bound in (">", ">=") else "=", chapters=("reserves",), claims=("C40",), decimals=1,
    ))
    authority_text = str(c40["authority_text"])
    if pd.notna(c40["authority_value"]) and str(c40["authority_source_id"]) == "nrcan_ree_facts":
        over = "over" in authority_text or "more than" in authority_text
        out.append(KeyNumber(
            "reserves.canada_nrcan_reserves_resources_mt", float(c40["authority_value"]), "Mt REO",
            "Canada's reserves and measured-and-indicated resources together, 2022 (NRCan: 'over')",
            f"as published: {'over ' if over else ''}{float(c40['authority_value']):g} Mt REO", ("nrcan_ree_facts",),
            bound=">" if over else "=", chapters=("reserves",), claims=("C40",), decimals=1,
        ))
    v10 = revisions[revisions["revision_id"] == "mcs2026_v10_v13_world_reserves"]
    if len(v10) == 1:
        v10 = v10.iloc[0]
        out.append(KeyNumber(
            "reserves.world_reserves_min_v10_mt", float(v10["old_value"]) / 1e6, "Mt REO",
            "World rare-earth reserves as first printed in MCS 2026 (v1.0), a lower bound",
            f"{v10['old_bound']}{_n(v10['old_value'])} t REO / 1,000,000", (str(v10["old_source_id"]),),
            bound=">" if v10["old_bound"] in (">", ">=") else "=", chapters=("reserves",), decimals=0,
        ))
        out.append(KeyNumber(
            "reserves.china_reserve_share_max_v10_pct", china_t / float(v10["old_value"]) * 100, "%",
            "China's share of world reserves, at most, as first printed in MCS 2026 (v1.0)",
            f"{_n(china_t)} / {_n(v10['old_value'])} x 100 (upper bound)", (str(v10["old_source_id"]),), bound="<=",
            chapters=("reserves",),
        ))
    for country, id_ in (("Australia", "reserves.australia_rp_years"), ("Brazil", "reserves.brazil_rp_years"),
                         ("Vietnam", "reserves.vietnam_rp_years")):
        row = rp[rp["country"] == country].iloc[0]
        if row["rp_status"] != "computed":  # pragma: no cover - data change
            raise ParameterError(f"country={country}: R/P undefined ({row['rp_status']})")
        out.append(KeyNumber(
            id_, float(row["rp_years"]), "years",
            f"Reserves-to-production years, {country} (USGS MCS 2026 v1.3: reserves / {row['production_year']}e production)",
            f"{_n(row['reserves_t'])} / {_n(row['production_t'])}", (usgs26,), chapters=("reserves",), decimals=0,
        ))
    prod = rs.edition_changes(supply, "MCS 2025", "MCS 2026", "mine_production")
    prod = prod[prod["year_old"] == 2024].set_index("country")
    for country, key in (("Australia", "australia"), ("Nigeria", "nigeria"), ("Thailand", "thailand"),
                         ("World total (rounded)", "world")):
        if country not in prod.index:  # pragma: no cover - data change
            raise ParameterError(f"country={country}: no 2024 mine production in both editions")
        row = prod.loc[country]
        who = "the world (rounded total)" if key == "world" else country
        out.append(KeyNumber(
            f"reserves.production_2024e_mcs2025_{key}_t", float(row["old_t"]), "t REO",
            f"Mine production 2024 of {who} as estimated in USGS MCS 2025 (2024e)", "as published",
            (usgs25,), chapters=("reserves",), decimals=0,
        ))
        out.append(KeyNumber(
            f"reserves.production_2024_{key}_t", float(row["new_t"]), "t REO",
            f"Mine production 2024 of {who} as printed in USGS MCS 2026 v1.3", "as published",
            (usgs26,), chapters=("reserves",), decimals=0,
        ))
    return out


def _costs(ctx: _Context) -> list[KeyNumber]:
    from rare_earths.analysis import costs as co
    from rare_earths.params.core import usgs_ndpr_average

    p = ctx.params
    prices = ctx.table("prices")
    china, lo, hi, vol = p["china_cost_usd_per_kg"], p["cost_gap_low"], p["cost_gap_high"], p["volume_t"]
    floor, market, upside = p["floor_price_usd_per_kg"], p["market_price_usd_per_kg"], p["dod_upside_share"]
    gap = co.cost_gap(china, lo, hi, vol)
    gap_params = ("china_cost_usd_per_kg", "cost_gap_low", "cost_gap_high")
    seed, mp, usgs = "smm_2025_09_18", "mp_2025_07_10_dod", "usgs_mcs_2026_ree"
    out = [
        KeyNumber("costs.china_cost_usd_per_kg", china, "USD/kg",
                  "China's NdPr oxide unit cost: an ASSUMPTION (default: the USGS 2024 average price, a ceiling)",
                  "parameter china_cost_usd_per_kg", (usgs,), ("china_cost_usd_per_kg",),
                  chapters=("cost-gap", "methods"), decimals=2,
                  note="No authority publishes a Chinese separation cost; see the parameter's description."),
        KeyNumber("costs.us_cost_usd_per_kg", gap.us_cost_usd_per_kg.central, "USD/kg",
                  "US unit cost implied by the seed's 30–40% gap (central: mid-gap)",
                  f"china_cost x (1 + gap) = {china:g} x (1 + {gap.gap.low:g}..{gap.gap.high:g})",
                  (seed, usgs), gap_params, low=gap.us_cost_usd_per_kg.low, high=gap.us_cost_usd_per_kg.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg_low", gap.extra_usd_per_kg.low, "USD/kg",
                  "Extra US cost per kg, low end of the gap", f"china_cost x cost_gap_low = {china:g} x {lo:g}",
                  (seed, usgs), ("china_cost_usd_per_kg", "cost_gap_low"), chapters=("cost-gap", "intro"),
                  claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg_high", gap.extra_usd_per_kg.high, "USD/kg",
                  "Extra US cost per kg, high end of the gap", f"china_cost x cost_gap_high = {china:g} x {hi:g}",
                  (seed, usgs), ("china_cost_usd_per_kg", "cost_gap_high"), chapters=("cost-gap", "intro"),
                  claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg", gap.extra_usd_per_kg.central, "USD/kg",
                  "Extra US cost per kg (central: mid-gap)", f"china_cost x gap = {china:g} x {gap.gap.central:g}",
                  (seed, usgs), gap_params, low=gap.extra_usd_per_kg.low, high=gap.extra_usd_per_kg.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=2),
        KeyNumber("costs.subsidy_usd_m_per_year", gap.subsidy_usd_m_per_year.central, "USD m/yr",
                  "Annual subsidy that closes the cost gap at the chosen volume",
                  f"china_cost x gap x volume_t / 1,000 = {china:g} x {gap.gap.central:g} x {vol:g} / 1,000",
                  (seed, usgs, "mp_2024_results"), gap_params + ("volume_t",),
                  low=gap.subsidy_usd_m_per_year.low, high=gap.subsidy_usd_m_per_year.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=1),
        KeyNumber("costs.floor_minus_us_cost_usd_per_kg", co.floor_minus_us_cost(floor, china, gap.gap.central),
                  "USD/kg", "Floor price minus the US unit cost (positive: the floor more than covers the gap)",
                  f"floor - china_cost x (1 + gap) = {floor:g} - {gap.us_cost_usd_per_kg.central:g}",
                  (mp, seed, usgs), gap_params + ("floor_price_usd_per_kg",),
                  low=co.floor_minus_us_cost(floor, china, hi), high=co.floor_minus_us_cost(floor, china, lo),
                  chapters=("cost-gap",), decimals=2),
    ]
    avg = {y: usgs_ndpr_average(y, ctx.data) for y in (2023, 2024, 2025)}
    bench = co.deal_day_benchmark(prices)
    bench_price = float(bench["price_usd_per_kg"])
    around = [avg[2024], bench_price, avg[2025]]
    multiples = [co.floor_multiple(floor, v) for v in around]
    out += [
        KeyNumber("costs.floor_multiple_of_2024_price", co.floor_multiple(floor, avg[2024]), "x",
                  "The USD 110/kg floor as a multiple of the USGS 2024 average NdPr price",
                  f"floor / USGS 2024 average = {floor:g} / {avg[2024]:g}", (mp, usgs), ("floor_price_usd_per_kg",),
                  chapters=("cost-gap", "claims", "intro"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_deal_day_price", co.floor_multiple(floor, bench_price), "x",
                  f"The floor as a multiple of the NdPr benchmark on deal day ({bench['date']:%Y-%m-%d})",
                  f"floor / benchmark = {floor:g} / {bench_price:g}", (mp, str(bench["source_id"])),
                  ("floor_price_usd_per_kg",), chapters=("cost-gap", "claims", "intro"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_2025_price", co.floor_multiple(floor, avg[2025]), "x",
                  "The floor as a multiple of the USGS 2025e average NdPr price",
                  f"floor / USGS 2025e average = {floor:g} / {avg[2025]:g}", (mp, usgs), ("floor_price_usd_per_kg",),
                  chapters=("cost-gap", "claims"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_market", co.floor_multiple(floor, market), "x",
                  "The floor as a multiple of the chosen market price (low/high: the 2024 average, deal-day "
                  "benchmark and 2025e average)",
                  f"floor / market = {floor:g} / {market:g}", (mp, usgs, str(bench["source_id"])),
                  ("floor_price_usd_per_kg", "market_price_usd_per_kg"),
                  low=min(multiples + [co.floor_multiple(floor, market)]),
                  high=max(multiples + [co.floor_multiple(floor, market)]), chapters=("cost-gap",), decimals=2),
    ]
    topups = [co.floor_topup_usd_m_per_year(floor, v, vol) for v in around + [market]]
    out += [
        KeyNumber("costs.floor_topup_usd_per_kg", co.floor_topup_per_kg(floor, market), "USD/kg",
                  "DoD top-up per kg at the chosen market price", f"max(floor - market, 0) = max({floor:g} - {market:g}, 0)",
                  (mp, usgs), ("floor_price_usd_per_kg", "market_price_usd_per_kg"), chapters=("cost-gap",), decimals=2),
        KeyNumber("costs.floor_topup_usd_m_per_year", co.floor_topup_usd_m_per_year(floor, market, vol), "USD m/yr",
                  "DoD top-up per year at the chosen market price and volume (default: MP's 2024 NdPr output); "
                  "low/high over the 2024 average, deal-day benchmark and 2025e average",
                  f"max(floor - market, 0) x volume_t / 1,000 = max({floor:g} - {market:g}, 0) x {vol:g} / 1,000",
                  (mp, usgs, "mp_2024_results"), ("floor_price_usd_per_kg", "market_price_usd_per_kg", "volume_t"),
                  low=min(topups), high=max(topups), chapters=("cost-gap", "intro"), decimals=1),
        KeyNumber("costs.floor_topup_zero_price_usd_per_kg", co.topup_zero_market_price(floor), "USD/kg",
                  "Market price at and above which the DoD top-up is zero", "= floor", (mp,),
                  ("floor_price_usd_per_kg",), chapters=("cost-gap",), decimals=0),
    ]
    feb = prices[(prices["kind"] == "benchmark") & (prices["date"] == pd.Timestamp("2026-02-18"))]
    if len(feb) == 1:
        feb_price = float((feb["price_low_usd_per_kg"].iloc[0] + feb["price_high_usd_per_kg"].iloc[0]) / 2)
        out.append(KeyNumber(
            "costs.dod_upside_usd_m_per_year_at_2026_02_price",
            -co.floor_net_payment_usd_m_per_year(floor, feb_price, vol, upside), "USD m/yr",
            "What the DoD would receive a year from its upside share at the February 2026 NdPr price",
            f"upside_share x max(price - floor, 0) x volume_t / 1,000 = {upside:g} x ({feb_price:g} - {floor:g}) x {vol:g} / 1,000",
            (mp, str(feb["source_id"].iloc[0]), "mp_2024_results"),
            ("floor_price_usd_per_kg", "volume_t", "dod_upside_share"), chapters=("cost-gap",), decimals=1,
        ))
    commitments = ctx.table("commitments")
    ramaco = commitments[commitments["commitment_id"] == "ramaco_brook_mine_capex"]
    c14 = ctx.table("claims")
    c14 = c14[c14["claim_id"].isin(["C14", "C15"])].set_index("claim_id")
    if len(ramaco) == 1 and len(c14) == 2:
        seed_capex, payback = float(c14.loc["C14", "value"]), float(c14.loc["C15", "value"])
        pea_capex = float(ramaco["amount_usd_m"].iloc[0])
        vols = [co.min_volume_for_payback_t(c, payback, floor) for c in (pea_capex, seed_capex)]
        out.append(KeyNumber(
            "costs.ramaco_payback_min_ndpr_t_per_year", vols[1], "t/yr NdPr oxide",
            "NdPr oxide Ramaco would have to sell a year at the floor, with zero costs, to repay its capex in the "
            "seed's 3 years (a lower bound)",
            f"capex / payback_years / floor = {seed_capex:g}e6 / {payback:g} / ({floor:g} x 1,000); low: PEA capex {pea_capex:g}",
            (seed, "ramaco_brook_mine", mp), ("floor_price_usd_per_kg",), low=min(vols), high=max(vols), bound=">=",
            chapters=("cost-gap", "claims"), claims=("C14", "C15"), decimals=0,
            note="Compare MP Materials' 2024 NdPr oxide output of 1,294 t.",
        ))
    return out


def _rebuild(ctx: _Context) -> list[KeyNumber]:
    from rare_earths.analysis import rebuild as rb

    p = ctx.params
    commitments = ctx.table("commitments")
    total, years, scope, as_of = p["rebuild_total_usd_bn"], p["rebuild_years"], p["committed_scope"], p["as_of"]
    seed = "smm_2025_09_18"
    summary = rb.rebuild_summary(commitments, as_of, scope, total, years)
    firm = rb.rebuild_summary(commitments, as_of, "firm", total, years)
    every = rb.rebuild_summary(commitments, as_of, "all", total, years)
    counted = rb.counted_commitments(commitments, as_of, scope)
    money_sources = tuple(sorted(set(counted.loc[counted["counted"], "source_id"]))) or ("smm_2025_09_18",)
    all_sources = tuple(sorted(set(commitments["source_id"])))
    lo_c, hi_c = min(firm.committed_usd_bn, summary.committed_usd_bn), max(every.committed_usd_bn, summary.committed_usd_bn)
    scope_params = ("committed_scope", "as_of")
    out = [
        KeyNumber("rebuild.annual_need_usd_bn", summary.annual_need_usd_bn, "USD bn/yr",
                  "Annual investment the seed's rebuild estimate implies", f"rebuild_total / rebuild_years = {total:g} / {years:g}",
                  (seed,), ("rebuild_total_usd_bn", "rebuild_years"), chapters=("rebuild", "intro", "claims"),
                  claims=("C25", "C26"), decimals=1,
                  bound=">" if total == PARAMETERS["rebuild_total_usd_bn"].default else "=",
                  note="The seed says 'over $200 billion': at the default the need is a lower bound."),
        KeyNumber("rebuild.committed_usd_bn", summary.committed_usd_bn, "USD bn",
                  f"Money announced for non-Chinese rare-earth supply and counted as committed ({scope}) by {as_of:%Y-%m-%d}; "
                  "low: firm only, high: everything announced",
                  "sum of counted commitments (superseded amounts replaced) / 1,000", money_sources, scope_params,
                  low=lo_c, high=hi_c, chapters=("rebuild", "intro"), decimals=2),
        KeyNumber("rebuild.coverage_pct", summary.coverage_pct, "%",
                  "Share of the rebuild estimate covered by the money counted as committed",
                  f"committed / rebuild_total x 100 = {summary.committed_usd_bn:.3f} / {total:g} x 100",
                  tuple(sorted(set(money_sources) | {seed})), scope_params + ("rebuild_total_usd_bn",),
                  low=rb.coverage_pct(lo_c, total), high=rb.coverage_pct(hi_c, total),
                  chapters=("rebuild", "intro"), decimals=1),
    ]
    groups = rb.by_instrument(commitments, as_of).set_index("group")
    for group, label in (("firm", "firm equity, loans, grants and incentives"), ("conditional", "conditional loans"),
                         ("grant_programmes", "planned grant programmes"), ("private", "private financing and capex")):
        out.append(KeyNumber(
            f"rebuild.{group}_usd_bn", float(groups.loc[group, "amount_usd_bn"]), "USD bn",
            f"Money announced by {as_of:%Y-%m-%d}: {label}", f"sum of {groups.loc[group, 'instruments']} amounts / 1,000",
            all_sources, ("as_of",), chapters=("rebuild",), decimals=2,
        ))
    # -- added for the rebuild chapter: the estimate as a number, everything announced, how firm it
    # is, how many announcements are counted, and the need measured in months and to date.
    out += [
        KeyNumber("rebuild.estimate_total_usd_bn", total, "USD bn",
                  "The rebuild estimate used (the seed's 'over $200 billion' at the default)",
                  f"parameter rebuild_total_usd_bn = {total:g}", (seed,), ("rebuild_total_usd_bn",),
                  chapters=("rebuild",), claims=("C26",), decimals=0),
        KeyNumber("rebuild.estimate_years", float(years), "years",
                  "The rebuild time used (the seed's '15 years' at the default)",
                  f"parameter rebuild_years = {years:g}", (seed,), ("rebuild_years",),
                  chapters=("rebuild",), claims=("C25",), decimals=0),
        KeyNumber("rebuild.all_announced_usd_bn", every.committed_usd_bn, "USD bn",
                  f"Everything announced by {as_of:%Y-%m-%d}, adding unlike instruments (firm, conditional, "
                  "planned grant programmes, private)",
                  "sum of every counted commitment, superseded amounts replaced, offtakes excluded / 1,000",
                  all_sources, ("as_of",), chapters=("rebuild",), decimals=2),
        KeyNumber("rebuild.commitments_counted", float(int(counted["counted"].sum())), "announcements",
                  f"Announcements counted as committed ({scope}) by {as_of:%Y-%m-%d}",
                  "count of commitments rows counted (superseded, later, out-of-scope and offtake rows excluded)",
                  money_sources, scope_params, chapters=("rebuild",), decimals=0),
        KeyNumber("rebuild.committed_months_of_need", summary.committed_usd_bn / summary.annual_need_usd_bn * 12.0,
                  "months", "Months of the annual need that the money counted as committed would pay for; "
                  "low: firm only, high: everything announced",
                  f"committed / annual_need x 12 = {summary.committed_usd_bn:.3f} / {summary.annual_need_usd_bn:.3f} x 12",
                  tuple(sorted(set(money_sources) | {seed})),
                  scope_params + ("rebuild_total_usd_bn", "rebuild_years"),
                  low=lo_c / summary.annual_need_usd_bn * 12.0, high=hi_c / summary.annual_need_usd_bn * 12.0,
                  chapters=("rebuild",), decimals=1),
    ]
    if every.committed_usd_bn > 0:
        out.append(KeyNumber(
            "rebuild.firm_share_of_announced_pct", firm.committed_usd_bn / every.committed_usd_bn * 100.0, "%",
            f"Firm money (equity, loans, grants, incentives) as a share of everything announced by {as_of:%Y-%m-%d}",
            f"firm / all announced x 100 = {firm.committed_usd_bn:.3f} / {every.committed_usd_bn:.3f} x 100",
            all_sources, ("as_of",), chapters=("rebuild",), decimals=0))
    else:
        out.append(KeyNumber("rebuild.firm_share_of_announced_pct", None, "%",
                             "Firm money as a share of everything announced", "firm / all announced x 100", all_sources,
                             ("as_of",), chapters=("rebuild",),
                             status=f"undefined at as_of={as_of:%Y-%m-%d}: nothing announced yet"))
    if summary.status == "computed":
        out += [
            KeyNumber("rebuild.elapsed_years", summary.elapsed_years, "years",
                      f"Years from the first counted announcement ({summary.first_date:%Y-%m-%d}) to {as_of:%Y-%m-%d}",
                      f"({as_of:%Y-%m-%d} - {summary.first_date:%Y-%m-%d}) in days / {rb.DAYS_PER_YEAR:g}",
                      money_sources, scope_params, chapters=("rebuild",), decimals=1),
            KeyNumber("rebuild.need_to_date_usd_bn", summary.annual_need_usd_bn * summary.elapsed_years, "USD bn",
                      "Money the estimate implies by as_of if spent evenly from the first counted announcement",
                      f"annual_need x years elapsed = {summary.annual_need_usd_bn:.3f} x {summary.elapsed_years:.3f}",
                      tuple(sorted(set(money_sources) | {seed})),
                      scope_params + ("rebuild_total_usd_bn", "rebuild_years"), chapters=("rebuild",), decimals=1),
        ]
    else:
        why = f"undefined at as_of={as_of:%Y-%m-%d}: {summary.status.replace('_', ' ')}"
        for id_, unit, label in (("rebuild.elapsed_years", "years", "Years from the first counted announcement"),
                                 ("rebuild.need_to_date_usd_bn", "USD bn", "Money the estimate implies by as_of")):
            out.append(KeyNumber(id_, None, unit, label, "see rare_earths.analysis.rebuild", (seed,),
                                 scope_params + ("rebuild_total_usd_bn", "rebuild_years"), chapters=("rebuild",),
                                 status=why))
    if summary.status == "computed":
        paces = [s.pace_usd_bn_per_year for s in (firm, summary, every) if s.status == "computed"]
        reach = [s.years_to_reach for s in (firm, summary, every) if s.status == "computed"]
        out += [
            KeyNumber("rebuild.pace_usd_bn_per_year", summary.pace_usd_bn_per_year, "USD bn/yr",
                      f"Observed pace of money announced since {summary.first_date:%Y-%m-%d}",
                      f"committed / years elapsed = {summary.committed_usd_bn:.3f} / {summary.elapsed_years:.2f}",
                      money_sources, scope_params, low=min(paces), high=max(paces), chapters=("rebuild",), decimals=2),
            KeyNumber("rebuild.years_to_reach_at_pace", summary.years_to_reach, "years",
                      "Years from as_of to reach the rebuild estimate at the observed pace",
                      f"(rebuild_total - committed) / pace = ({total:g} - {summary.committed_usd_bn:.3f}) / "
                      f"{summary.pace_usd_bn_per_year:.3f}",
                      tuple(sorted(set(money_sources) | {seed})), scope_params + ("rebuild_total_usd_bn",),
                      low=min(reach), high=max(reach), chapters=("rebuild", "intro"), decimals=0),
            KeyNumber("rebuild.need_to_pace_ratio", summary.annual_need_usd_bn / summary.pace_usd_bn_per_year, "x",
                      "Annual need as a multiple of the observed pace",
                      f"annual_need / pace = {summary.annual_need_usd_bn:.2f} / {summary.pace_usd_bn_per_year:.3f}",
                      tuple(sorted(set(money_sources) | {seed})),
                      scope_params + ("rebuild_total_usd_bn", "rebuild_years"), chapters=("rebuild",), decimals=1),
        ]
    else:
        why = f"undefined at as_of={as_of:%Y-%m-%d}: {summary.status.replace('_', ' ')}"
        for id_, unit, label in (("rebuild.pace_usd_bn_per_year", "USD bn/yr", "Observed pace of money announced"),
                                 ("rebuild.years_to_reach_at_pace", "years", "Years to reach the estimate at the observed pace"),
                                 ("rebuild.need_to_pace_ratio", "x", "Annual need as a multiple of the observed pace")):
            out.append(KeyNumber(id_, None, unit, label, "see rare_earths.analysis.rebuild", (seed,),
                                 scope_params + ("rebuild_total_usd_bn", "rebuild_years"), chapters=("rebuild",),
                                 status=why))
    return out


def _pipeline(ctx: _Context) -> list[KeyNumber]:
    from rare_earths.analysis import pipeline as pl

    p = ctx.params
    projects, events, supply = ctx.table("projects"), ctx.table("events"), ctx.table("usgs_country_supply")
    statuses = pl.promise_statuses(projects, events, p["as_of"], p["due_window_days"])
    counts = pl.status_counts(statuses)
    src = tuple(sorted(set(statuses["source_id"])))
    out = []
    for status, count in counts.items():
        names = ", ".join(statuses.loc[statuses["status"] == status, "promise_id"]) or "none"
        out.append(KeyNumber(
            f"pipeline.promises_{status}", float(count), "promises",
            f"Dated promises {status.replace('_', ' ')} at {p['as_of']:%Y-%m-%d}",
            f"count of promises with status {status}: {names}", src, ("as_of", "due_window_days"),
            chapters=("pipeline",), decimals=0,
        ))
    # -- added for the pipeline chapter: the project targets alone (the suspension's end date is an
    # event, not a target a project can meet), and how many projects give no date at all.
    targets = statuses[statuses["kind"] == "project"]
    target_src = tuple(sorted(set(targets["source_id"]))) or src
    out.append(KeyNumber(
        "pipeline.project_targets_dated", float(len(targets)), "targets",
        "Project targets with a date in the dataset", "count of projects with a target date: "
        + (", ".join(targets["promise_id"]) or "none"), target_src, chapters=("pipeline",), decimals=0,
    ))
    for status, count in pl.status_counts(targets).items():
        names = ", ".join(targets.loc[targets["status"] == status, "promise_id"]) or "none"
        out.append(KeyNumber(
            f"pipeline.project_targets_{status}", float(count), "targets",
            f"Dated project targets {status.replace('_', ' ')} at {p['as_of']:%Y-%m-%d}",
            f"count of project targets with status {status}: {names}", target_src, ("as_of", "due_window_days"),
            chapters=("pipeline",), decimals=0,
        ))
    undated = projects[projects["target_date"].isna()]
    out.append(KeyNumber(
        "pipeline.projects_undated", float(len(undated)), "projects",
        "Projects in the dataset with no dated target", "count of projects without a target date: "
        + (", ".join(undated["project_id"]) or "none"),
        tuple(sorted(set(undated["source_id"]))) or src, chapters=("pipeline",), decimals=0,
    ))
    cap = pl.capacity_by_year(projects, supply)
    mining = cap[(cap["stage"] == "mining") & cap["pct_of_china_high"].notna()]
    if not mining.empty:
        last = mining.sort_values("year").iloc[-1]
        ids = last["projects"]
        proj_src = tuple(sorted(set(projects.loc[projects["project_id"].isin(ids.split(", ")), "source_id"])))
        out.append(KeyNumber(
            "pipeline.non_china_mining_capacity_pct_of_china", float(last["pct_of_china_high"]), "%",
            f"Dated non-China mining capacity announced to {last['year']} (t/yr TREO) as a percent of China's "
            f"{last['china_year']} mine output",
            f"{_n(last['cumulative_high'])} / {_n(last['china_output'])} x 100 ({ids})",
            proj_src + (str(last["china_source_id"]),), low=float(last["pct_of_china_low"]),
            chapters=("pipeline",), decimals=1,
        ))
        out.append(KeyNumber(
            "pipeline.non_china_mining_capacity_t", float(last["cumulative_high"]), "t/yr TREO",
            f"Dated non-China mining capacity announced with a target up to {last['year']} (t/yr TREO)",
            f"sum of dated mining capacities in t/yr TREO: {ids}", proj_src, low=float(last["cumulative_low"]),
            chapters=("pipeline",), decimals=0,
        ))
        out.append(KeyNumber(
            "pipeline.china_mine_output_t", float(last["china_output"]), "t REO",
            f"China's mine production, {last['china_year']} (USGS MCS 2026 v1.3, the edition's latest year, an "
            "estimate; China's figure is the government mining quota)",
            f"as published: {_n(last['china_output'])} t REO ({last['china_year']})", (str(last["china_source_id"]),),
            chapters=("pipeline",), decimals=0,
        ))
    magnets = cap[(cap["stage"] == "magnets") & cap["year"].notna()]
    if not magnets.empty:
        last = magnets.sort_values("year").iloc[-1]
        magnet_ids = [i for ids in magnets["projects"] for i in ids.split(", ")]
        proj_src = tuple(sorted(set(projects.loc[projects["project_id"].isin(magnet_ids), "source_id"])))
        out.append(KeyNumber(
            "pipeline.magnet_capacity_announced_t", float(last["cumulative_high"]), "t/yr magnets",
            f"Magnet capacity announced outside China with a target date up to {last['year']}",
            "sum of dated magnet capacities: " + " + ".join(
                f"{_n(r['added_high'])} ({r['year']})" for _, r in magnets.iterrows()),
            proj_src, low=float(last["cumulative_low"]), chapters=("pipeline",), decimals=0,
        ))
    sv = projects[projects["project_id"] == "serra_verde_pela_ema"]
    if len(sv) == 1:
        from rare_earths.analysis.shares import usgs_country_value

        brazil = usgs_country_value(supply, "MCS 2026", "mine_production", "Brazil", 2025)
        target = float(sv["capacity_high"].iloc[0])
        out.append(KeyNumber(
            "pipeline.serra_verde_target_multiple_of_brazil_2025", target / brazil, "x",
            "Serra Verde's 6,500 t/yr target for 2027 as a multiple of all Brazil's 2025e mine output (USGS)",
            f"{_n(target)} / {_n(brazil)}", (str(sv["source_id"].iloc[0]), "usgs_mcs_2026_ree"),
            chapters=("pipeline", "claims"), claims=("C53", "C52"), decimals=2,
        ))
    sumter = projects[projects["project_id"] == "evac_sumter_magnets"]
    c38 = ctx.table("claims")
    c38 = c38[c38["claim_id"] == "C38"]
    if len(sumter) == 1 and len(c38) == 1:
        base, mult = float(sumter["capacity_high"].iloc[0]), float(c38["value"].iloc[0])
        out.append(KeyNumber(
            "pipeline.sumter_expanded_capacity_t", base * mult, "t/yr magnets",
            "Sumter magnet capacity after the seed's 'six times' expansion", f"{_n(base)} x {mult:g}",
            (str(c38["seed_source_id"].iloc[0]),), chapters=("pipeline", "claims"), claims=("C38",), decimals=0,
        ))
    susp = events[events["event_id"] == "mofcom_2025_11_07_suspension"]
    if len(susp) == 1:
        row = susp.iloc[0]
        out.append(KeyNumber(
            "pipeline.suspension_length_days", float((row["end_date"] - row["date"]).days), "days",
            "Length of China's suspension of the 2025-10-09 export-control measures",
            f"{row['end_date']:%Y-%m-%d} - {row['date']:%Y-%m-%d}", (str(row["source_id"]),),
            chapters=("pipeline", "claims"), claims=("C30",), decimals=0,
        ))
        later = targets[targets["target_date"] > row["end_date"]]
        out.append(KeyNumber(
            "pipeline.project_targets_after_suspension_end", float(len(later)), "targets",
            f"Dated project targets that fall after the suspension's end date ({row['end_date']:%Y-%m-%d})",
            f"count of project targets dated after {row['end_date']:%Y-%m-%d}: " + (", ".join(later["promise_id"]) or "none"),
            tuple(sorted(set(later["source_id"]) | {str(row["source_id"])})), chapters=("pipeline",), decimals=0,
        ))
        out.append(KeyNumber(
            "pipeline.suspension_days_left", float((row["end_date"] - pd.Timestamp(p["as_of"])).days), "days",
            f"Days from {p['as_of']:%Y-%m-%d} to the end of the suspension (negative: already ended)",
            f"{row['end_date']:%Y-%m-%d} - as_of", (str(row["source_id"]),), ("as_of",),
            chapters=("pipeline",), decimals=0,
        ))
    return out


#: The builders by domain, in the order ``rare-earths numbers`` lists them. A number's id starts
#: with its domain (``costs.us_cost_usd_per_kg``), so the domain of an id is known before computing.
DOMAINS: dict[str, Callable[[_Context], list[KeyNumber]]] = {
    "shares": _shares, "reserves": _reserves, "costs": _costs, "rebuild": _rebuild, "pipeline": _pipeline,
}


def _check_domains(domains: Iterable[str]) -> list[str]:
    if isinstance(domains, str):
        domains = [domains]
    out = []
    for name in domains:
        if name not in DOMAINS:
            close = difflib.get_close_matches(str(name), DOMAINS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown number domain {name!r}{hint}; domains are: {', '.join(DOMAINS)}")
        if name not in out:
            out.append(name)
    return out


def compute_numbers(overrides: dict | None = None, data=None, domains: Iterable[str] | None = None) -> list[KeyNumber]:
    """The key numbers for the given parameter overrides (typed values; see :func:`parse_assignments`).

    ``domains`` (e.g. ``["costs"]``) limits the work to those builders, which read only their
    own tables and resolve only the parameter defaults they use; the numbers are the same as in
    the full list, domain by domain in the order asked. All domains, in :data:`DOMAINS` order,
    when None.
    """
    wanted = list(DOMAINS) if domains is None else _check_domains(domains)
    ctx = _Context(resolve_lazily(overrides), data)
    numbers: list[KeyNumber] = []
    for name in wanted:  # in the order asked
        numbers.extend(DOMAINS[name](ctx))
    seen = set()
    for num in numbers:
        if num.id in seen:  # pragma: no cover - a registration error, caught by the tests
            raise ValueError(f"number id {num.id!r} registered twice")
        seen.add(num.id)
    return numbers


def domains_of(ids: Iterable[str]) -> list[str] | None:
    """The domains that hold these ids (None, meaning all, if an id has no known domain prefix)."""
    found = []
    for id_ in ids:
        domain = str(id_).split(".", 1)[0]
        if domain not in DOMAINS:
            return None  # let select() report the unknown id against the full list
        if domain not in found:
            found.append(domain)
    return found


def _unknown_id(id_: str, known: Iterable[str]) -> UnknownNumberError:
    known = list(known)
    close = difflib.get_close_matches(id_, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return UnknownNumberError(f"unknown number id {id_!r}{hint}; `rare-earths numbers` lists them")


def select(numbers: list[KeyNumber], ids: Iterable[str] | None) -> list[KeyNumber]:
    """The numbers with these ids, in the order asked (all when ``ids`` is None or empty)."""
    if not ids:
        return numbers
    by_id = {n.id: n for n in numbers}
    out = []
    for id_ in ids:
        if id_ not in by_id:
            raise _unknown_id(id_, by_id)
        out.append(by_id[id_])
    return out


def get_number(id: str, overrides: dict | None = None, data=None) -> KeyNumber:
    """One key number by id (only its domain is computed)."""
    return select(compute_numbers(overrides, data, domains_of([id])), [id])[0]


def numbers_frame(numbers: list[KeyNumber]) -> pd.DataFrame:
    """The numbers as a DataFrame (one row each, columns as in :meth:`KeyNumber.as_dict`)."""
    return pd.DataFrame([n.as_dict() for n in numbers])


def format_table(numbers: list[KeyNumber]) -> str:
    """A readable, aligned table: id, value, range, unit, label."""
    rows = [(n.id, n.display(), n.display_range(), n.unit, n.label if n.value is not None else f"{n.label} [{n.status}]")
            for n in numbers]
    head = ("id", "value", "low–high", "unit", "label")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    lines = []
    for r in [head] + rows:
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:<{widths[3]}}  {r[4]}".rstrip())
    return "\n".join(lines)


def run_numbers_command(assignments: list[str], as_json: bool, ids: list[str] | None = None) -> int:
    """``rare-earths numbers``: print the key numbers (table or JSON) and return the exit code.

    0 on success; 2 with one line ``rare-earths numbers: error: ...`` on stderr for a bad
    parameter or an unknown id; 1 if the data cannot be loaded.
    """
    from rare_earths.data.load import DataError

    def fail(message: str, code: int) -> int:
        print(f"rare-earths numbers: error: {message}", file=sys.stderr)
        return code

    try:
        overrides = parse_assignments(assignments or [])
        numbers = select(compute_numbers(overrides, domains=domains_of(ids) if ids else None), ids)
    except ParameterError as err:
        return fail(str(err), 2)
    except UnknownNumberError as err:
        return fail(str(err.args[0]), 2)
    except (DataError, FileNotFoundError) as err:
        return fail(f"cannot load the data: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    if as_json:
        print(json.dumps([n.as_dict() for n in numbers], indent=2, ensure_ascii=False))
    else:
        print(format_table(numbers))
    return 0
