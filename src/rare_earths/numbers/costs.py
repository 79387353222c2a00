"""Key numbers of the costs domain: the seed's cost gap in dollars and the DoD price floor.

Values come from :mod:`rare_earths.analysis.costs`; the prices the floor is compared with are
:func:`rare_earths.data.queries.prices_around_deal` (one definition for the whole book).
"""

from __future__ import annotations

from rare_earths.analysis import costs as co
from rare_earths.data import queries as q
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("costs.",)
SEED, MP, USGS = "smm_2025_09_18", "mp_2025_07_10_dod", "usgs_mcs_2026_ree"
GAP_PARAMS = ("china_cost_usd_per_kg", "cost_gap_low", "cost_gap_high")


def _pct(fraction: float) -> str:
    return f"{co.fraction_to_pct(fraction):g}"


def _lookups(ctx: Context) -> dict:
    """What the numbers read from the tables, whatever the parameters (computed once per store)."""
    prices, sources = ctx.table("prices"), ctx.table("sources")
    around = q.prices_around_deal(prices, sources)
    commitments, claims = ctx.table("commitments"), ctx.table("claims")
    return {
        "around_prices": tuple(float(v) for v in around["price_usd_per_kg"]), "around_labels": ", ".join(around["label"]),
        "rows": tuple(around.iloc[i].to_dict() for i in range(3)), "bench_row": q.deal_day_benchmark(prices).to_dict(),
        "feb": q.ndpr_price(prices, "reuters_ndpr_benchmark_2026_02_18").to_dict(),
        "pea_capex": float(q.row(commitments, "commitments", commitment_id="ramaco_brook_mine_capex")["amount_usd_m"]),
        "seed_capex": float(q.row(claims, "claims", claim_id="C14")["value"]),
        "payback": float(q.row(claims, "claims", claim_id="C15")["value"]),
        "mp_output": q.company_output(ctx.table("company_output"), "mp_2024_ndpr_oxide"),
    }


def build(ctx: Context) -> list[KeyNumber]:
    p = ctx.params
    looked_up = ctx.derived("costs.lookups", lambda: _lookups(ctx))
    china, lo, hi, vol = p["china_cost_usd_per_kg"], p["cost_gap_low"], p["cost_gap_high"], p["volume_t"]
    floor, market, upside = p["floor_price_usd_per_kg"], p["market_price_usd_per_kg"], p["dod_upside_share"]
    gap = co.cost_gap(china, lo, hi, vol)
    out = [
        KeyNumber("costs.cost_gap_low_pct", co.fraction_to_pct(lo), "%",
                  "Low end of the US cost disadvantage used (the seed's '30–40%' at the default)",
                  "parameter cost_gap_low x 100", (SEED,), ("cost_gap_low",), chapters=("cost-gap", "intro"), claims=("C24",),
                  decimals=-1),
        KeyNumber("costs.cost_gap_high_pct", co.fraction_to_pct(hi), "%",
                  "High end of the US cost disadvantage used (the seed's '30–40%' at the default)",
                  "parameter cost_gap_high x 100", (SEED,), ("cost_gap_high",), chapters=("cost-gap", "intro"), claims=("C24",),
                  decimals=-1),
        KeyNumber("costs.floor_price_usd_per_kg", floor, "USD/kg",
                  "The DoD price floor for MP Materials' NdPr oxide used (the agreement's at the default)",
                  "parameter floor_price_usd_per_kg", (MP,), ("floor_price_usd_per_kg",), chapters=("cost-gap", "intro"),
                  claims=("C11",), decimals=-1),
        KeyNumber("costs.china_cost_usd_per_kg", china, "USD/kg",
                  "China's NdPr oxide unit cost: an ASSUMPTION (default: the USGS 2024 average price, a ceiling)",
                  "parameter china_cost_usd_per_kg", (USGS,), ("china_cost_usd_per_kg",),
                  chapters=("cost-gap", "methods"), decimals=2,
                  note="No authority publishes a Chinese separation cost; see the parameter's description."),
        KeyNumber("costs.us_cost_usd_per_kg", gap.us_cost_usd_per_kg.central, "USD/kg",
                  f"US unit cost implied by a {_pct(lo)}–{_pct(hi)}% gap (central: mid-gap)",
                  f"china_cost x (1 + gap) = {china:g} x (1 + {gap.gap.low:g}..{gap.gap.high:g})",
                  (SEED, USGS), GAP_PARAMS, low=gap.us_cost_usd_per_kg.low, high=gap.us_cost_usd_per_kg.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg_low", gap.extra_usd_per_kg.low, "USD/kg",
                  "Extra US cost per kg, low end of the gap", f"china_cost x cost_gap_low = {china:g} x {lo:g}",
                  (SEED, USGS), ("china_cost_usd_per_kg", "cost_gap_low"), chapters=("cost-gap", "intro"),
                  claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg_high", gap.extra_usd_per_kg.high, "USD/kg",
                  "Extra US cost per kg, high end of the gap", f"china_cost x cost_gap_high = {china:g} x {hi:g}",
                  (SEED, USGS), ("china_cost_usd_per_kg", "cost_gap_high"), chapters=("cost-gap", "intro"),
                  claims=("C24",), decimals=2),
        KeyNumber("costs.us_extra_cost_usd_per_kg", gap.extra_usd_per_kg.central, "USD/kg",
                  "Extra US cost per kg (central: mid-gap)", f"china_cost x gap = {china:g} x {gap.gap.central:g}",
                  (SEED, USGS), GAP_PARAMS, low=gap.extra_usd_per_kg.low, high=gap.extra_usd_per_kg.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=2),
        KeyNumber("costs.subsidy_usd_m_per_year", gap.subsidy_usd_m_per_year.central, "USD m/yr",
                  "Annual subsidy that closes the cost gap at the chosen volume",
                  f"china_cost x gap x volume_t / 1,000 = {china:g} x {gap.gap.central:g} x {vol:g} / 1,000",
                  (SEED, USGS, "mp_2024_results"), GAP_PARAMS + ("volume_t",),
                  low=gap.subsidy_usd_m_per_year.low, high=gap.subsidy_usd_m_per_year.high,
                  chapters=("cost-gap",), claims=("C24",), decimals=1),
        KeyNumber("costs.floor_minus_us_cost_usd_per_kg", co.floor_minus_us_cost(floor, china, gap.gap.central),
                  "USD/kg", "Floor price minus the US unit cost (positive: the floor more than covers the gap)",
                  f"floor - china_cost x (1 + gap) = {floor:g} - {gap.us_cost_usd_per_kg.central:g}",
                  (MP, SEED, USGS), GAP_PARAMS + ("floor_price_usd_per_kg",),
                  low=co.floor_minus_us_cost(floor, china, hi), high=co.floor_minus_us_cost(floor, china, lo),
                  chapters=("cost-gap",), decimals=2),
    ]
    around_prices, around_labels = looked_up["around_prices"], looked_up["around_labels"]
    before, bench, same = looked_up["rows"]
    p_before, p_bench, p_same = (float(r["price_usd_per_kg"]) for r in (before, bench, same))
    bench_row = looked_up["bench_row"]
    multiple = co.floor_multiple_over(floor, market, around_prices)
    out += [
        KeyNumber("costs.floor_multiple_of_2024_price", co.floor_multiple(floor, p_before), "x",
                  f"The USD {floor:g}/kg floor as a multiple of the {before['label']} NdPr price",
                  f"floor / {before['label']} = {floor:g} / {p_before:g}", (MP, USGS), ("floor_price_usd_per_kg",),
                  chapters=("cost-gap", "claims", "intro"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_deal_day_price", co.floor_multiple(floor, p_bench), "x",
                  f"The floor as a multiple of the NdPr benchmark on deal day ({bench_row['date']:%Y-%m-%d})",
                  f"floor / benchmark = {floor:g} / {p_bench:g}", (MP, str(bench["source_id"])),
                  ("floor_price_usd_per_kg",), chapters=("cost-gap", "claims", "intro"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_2025_price", co.floor_multiple(floor, p_same), "x",
                  f"The floor as a multiple of the {same['label']} NdPr price",
                  f"floor / {same['label']} = {floor:g} / {p_same:g}", (MP, USGS), ("floor_price_usd_per_kg",),
                  chapters=("cost-gap", "claims"), claims=("C11",), decimals=2),
        KeyNumber("costs.floor_multiple_of_market", multiple.central, "x",
                  "The floor as a multiple of the chosen market price (low/high: the prices around the deal, "
                  f"{around_labels})",
                  f"floor / market = {floor:g} / {market:g}", (MP, USGS, str(bench["source_id"])),
                  ("floor_price_usd_per_kg", "market_price_usd_per_kg"),
                  low=multiple.low, high=multiple.high, chapters=("cost-gap",), decimals=2),
    ]
    topup = co.floor_topup_over(floor, market, vol, around_prices)
    out += [
        KeyNumber("costs.floor_topup_usd_per_kg", co.floor_topup_per_kg(floor, market), "USD/kg",
                  "DoD top-up per kg at the chosen market price", f"max(floor - market, 0) = max({floor:g} - {market:g}, 0)",
                  (MP, USGS), ("floor_price_usd_per_kg", "market_price_usd_per_kg"), chapters=("cost-gap",), decimals=2),
        KeyNumber("costs.floor_topup_usd_m_per_year", topup.central, "USD m/yr",
                  "DoD top-up per year at the chosen market price and volume (default: MP's 2024 NdPr output); "
                  f"low/high over the prices around the deal ({around_labels})",
                  f"max(floor - market, 0) x volume_t / 1,000 = max({floor:g} - {market:g}, 0) x {vol:g} / 1,000",
                  (MP, USGS, "mp_2024_results"), ("floor_price_usd_per_kg", "market_price_usd_per_kg", "volume_t"),
                  low=topup.low, high=topup.high, chapters=("cost-gap", "intro"), decimals=1),
        KeyNumber("costs.floor_topup_zero_price_usd_per_kg", co.topup_zero_market_price(floor), "USD/kg",
                  "Market price at and above which the DoD top-up is zero", "= floor", (MP,),
                  ("floor_price_usd_per_kg",), chapters=("cost-gap",), decimals=0),
    ]
    feb = looked_up["feb"]
    feb_price = float(feb["price_usd_per_kg"])
    out.append(KeyNumber(
        "costs.dod_upside_usd_m_per_year_at_2026_02_price",
        co.dod_upside_usd_m_per_year(floor, feb_price, vol, upside), "USD m/yr",
        f"What the DoD would receive a year from its upside share at the NdPr price of {feb['date']:%B %Y}",
        f"upside_share x max(price - floor, 0) x volume_t / 1,000 = {upside:g} x ({feb_price:g} - {floor:g}) x {vol:g} / 1,000",
        (MP, str(feb["source_id"]), "mp_2024_results"),
        ("floor_price_usd_per_kg", "volume_t", "dod_upside_share"), chapters=("cost-gap",), decimals=1,
    ))
    pea_capex, seed_capex, payback = looked_up["pea_capex"], looked_up["seed_capex"], looked_up["payback"]
    vols = co.payback_volume_range((pea_capex,), payback, floor, seed_capex)
    out.append(KeyNumber(
        "costs.ramaco_payback_min_ndpr_t_per_year", vols.central, "t/yr NdPr oxide",
        "NdPr oxide Ramaco would have to sell a year at the floor, with zero costs, to repay its capex in the "
        f"seed's {payback:g} years (a lower bound)",
        f"capex / payback_years / floor = {seed_capex:g}e6 / {payback:g} / ({floor:g} x 1,000); low: PEA capex {pea_capex:g}",
        (SEED, "ramaco_brook_mine", MP), ("floor_price_usd_per_kg",), low=vols.low, high=vols.high, bound=">=",
        chapters=("cost-gap", "claims"), claims=("C14", "C15"), decimals=0,
        note=f"Compare MP Materials' 2024 NdPr oxide output of {looked_up['mp_output']:,.0f} t.",
    ))
    return out
