"""Key numbers of the gap domain: the seed's "30–40 %" cost gap tested against producers' costs, and the
capital-cost gap per tonne of capacity (values from :mod:`rare_earths.analysis.gap`)."""

from __future__ import annotations

import numpy as np

from rare_earths.analysis import gap as gp
from rare_earths.analysis.ranged import Ranged
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("gap.",)
SEED = "smm_2025_09_18"
CHAPTER = ("cost-gap",)


def _ids(rows) -> tuple[str, ...]:
    out = []
    for s in rows:
        out += list(s)
    return tuple(dict.fromkeys(out))


def _ranged(id_, r: Ranged, unit, label, formula, sources, chapters=CHAPTER, decimals=1, claims=(), bound="=",
            note="", scale=1.0):
    return KeyNumber(id_, r.central * scale, unit, label, formula, sources, low=r.low * scale, high=r.high * scale,
                     bound=bound, chapters=chapters, claims=claims, decimals=decimals, note=note,
                     tables=("producer_costs",) if not sources else ())


def tested(ctx: Context) -> gp.GapTested:
    """The cost-gap test on the evidence (it reads no parameter): once per context or store, so the
    chapter's figures, table and words (:mod:`rare_earths.figures.gap`) read the test its numbers read."""
    return ctx.derived("gap.tested", lambda: gp.gap_tested(ctx.table("producer_costs")))


def build(ctx: Context) -> list[KeyNumber]:
    t = tested(ctx)
    est = t.estimates
    rep, proj = est[est["group"] == "west_reported"], est[est["group"] == "west_projected"]
    china = t.china
    prices, margins = china.prices["usd_per_kg"].to_numpy(float), china.margins["margin_pct"].to_numpy(float)

    def listing(rows):
        return "; ".join(f"{r.estimate_id} {r.low_usd_per_kg:.2f}" + (f"–{r.high_usd_per_kg:.2f}" if r.high_usd_per_kg
                                                                        != r.low_usd_per_kg else "")
                         for r in rows.itertuples())

    out = [
        _ranged("gap.west_reported_usd_per_kg", t.west_reported, "USD/kg",
                "Western NdPr oxide cost as reported (MP Materials' ramp-up cost, Lynas's accounts): range and median",
                f"spread of {len(rep)} estimates (lowest, median of mid-points, highest): {listing(rep)}",
                _ids(rep["sources"]), chapters=CHAPTER + ("intro",), decimals=1,
                note="The ends are bounds themselves: Lynas's figures are upper bounds (all cash costs on NdPr), "
                     "MP's is a lower bound ('north of $60')."),
        _ranged("gap.west_projected_usd_per_kg", t.west_projected, "USD/kg",
                "Western NdPr oxide cost as projected (feasibility studies, a management target): range and median",
                f"spread of {len(proj)} estimates: {listing(proj)}", _ids(proj["sources"]), decimals=1),
        _ranged("gap.china_implied_usd_per_kg", china.cost, "USD/kg",
                f"China's implied NdPr oxide cost in {china.year}: price x (1 - margin)",
                f"min price x (1 - max margin) .. median x (1 - median) .. max x (1 - min) = "
                f"{prices.min():.2f} x (1 - {margins.max():.2f} %) .. {np.median(prices):.2f} x (1 - "
                f"{np.median(margins):.2f} %) .. {prices.max():.2f} x (1 - {margins.min():.2f} %)",
                china.sources, chapters=CHAPTER + ("intro",), decimals=1,
                note="Margins are company-wide (China Northern Rare Earth) and include subsidies; no Chinese producer "
                     "publishes a cost per kilogram of NdPr oxide."),
        KeyNumber("gap.china_price_usd_per_kg", float(np.median(prices)), "USD/kg",
                  f"NdPr oxide prices in China in {china.year} (Argus, Benchmark, Adamas, Lynas): range and median",
                  "median of " + ", ".join(f"{p:.2f}" for p in prices), tuple(dict.fromkeys(china.prices["source_id"])),
                  low=float(prices.min()), high=float(prices.max()), chapters=CHAPTER, decimals=1),
        KeyNumber("gap.china_margin_pct", float(np.median(margins)), "%",
                  f"China Northern Rare Earth's margins in {china.year} (gross, by quarter; net, for the year)",
                  "median of " + ", ".join(f"{m:.2f}" for m in margins), _ids(china.margins["source_ids"]),
                  low=float(margins.min()), high=float(margins.max()), chapters=CHAPTER, decimals=1),
        _ranged("gap.reported_gap_pct", t.reported_gap, "%",
                "Implied operating-cost gap, reported Western costs over China's implied cost",
                f"(west / china - 1) x 100: low {t.west_reported.low:.2f} / {china.cost.high:.2f}, central "
                f"{t.west_reported.central:.2f} / {china.cost.central:.2f}, high {t.west_reported.high:.2f} / "
                f"{china.cost.low:.2f}", _ids(rep["sources"]) + china.sources, chapters=CHAPTER + ("intro", "claims"),
                claims=("C24",), decimals=0),
        _ranged("gap.projected_gap_pct", t.projected_gap, "%",
                "Implied operating-cost gap, projected Western costs over China's implied cost",
                f"(west / china - 1) x 100: low {t.west_projected.low:.2f} / {china.cost.high:.2f}, central "
                f"{t.west_projected.central:.2f} / {china.cost.central:.2f}, high {t.west_projected.high:.2f} / "
                f"{china.cost.low:.2f}", _ids(proj["sources"]) + china.sources, chapters=CHAPTER + ("intro", "claims"),
                claims=("C24",), decimals=0),
    ]
    for which, r in (("reported", t.reported_gap), ("projected", t.projected_gap)):
        for end in ("low", "high"):
            out.append(KeyNumber(f"gap.{which}_gap_{end}_pct", getattr(r, end), "%",
                                 f"Implied operating-cost gap, {which} Western costs: {end} end",
                                 f"see gap.{which}_gap_pct", _ids((rep if which == "reported" else proj)["sources"])
                                 + china.sources, chapters=CHAPTER + ("intro", "claims"), claims=("C24",), decimals=0))
    pos = gp.band_position([30, 35, 40], t.reported_gap)
    out += [
        KeyNumber("gap.seed_position_pct", float(pos[1]), "%",
                  "Where the seed's 30–40 % falls on the reported gap range (0: its low end, 100: its high end)",
                  f"(x - low) / (high - low) x 100 for x = 30, 35, 40: low {t.reported_gap.low:.1f}, high "
                  f"{t.reported_gap.high:.1f}", (SEED,) + _ids(rep["sources"]), low=float(pos[0]), high=float(pos[2]),
                  chapters=CHAPTER, claims=("C24",), decimals=0),
        KeyNumber("gap.seed_above_central_pp", 35 - t.reported_gap.central, "percentage points",
                  "How far the seed's 30–40 % lies above the central reported gap",
                  f"30..40 - {t.reported_gap.central:.1f}", (SEED,) + _ids(rep["sources"]),
                  low=30 - t.reported_gap.central, high=40 - t.reported_gap.central, chapters=CHAPTER,
                  claims=("C24",), decimals=0),
        KeyNumber("gap.estimates_reported", float(len(rep)), "estimates", "Reported Western cost estimates",
                  "count", (), tables=("producer_costs",), chapters=CHAPTER, decimals=0),
        KeyNumber("gap.estimates_projected", float(len(proj)), "estimates", "Projected Western cost estimates",
                  "count", (), tables=("producer_costs",), chapters=CHAPTER, decimals=0),
    ]
    by_id = est.set_index("estimate_id")
    singles = (
        ("gap.mp_q1_2025_usd_per_kg", "mp_2025q1_production_cost", "MP Materials' NdPr oxide production cost, "
         "Q1 2025 (ramp-up quarter; an AI-written article quoting the call)", ">"),
        ("gap.mp_target_usd_per_kg", "mp_target_normalized_cost", "MP Materials' target cost at normalised volumes", "~"),
        ("gap.lynas_fy2024_usd_per_kg", "lynas_rare_earths_2024_cash_cost_per_kg_ndpr",
         "Lynas FY2024: cash costs per kg of NdPr, all put on NdPr (revenue - EBITDA over NdPr tonnes)", "<="),
        ("gap.lynas_fy2025_usd_per_kg", "lynas_rare_earths_2025_cash_cost_per_kg_ndpr",
         "Lynas FY2025: cash costs per kg of NdPr, all put on NdPr", "<="),
        ("gap.ef_bfs_usd_per_kg", "ef_phase2_bfs_allin", "Energy Fuels Phase 2 (feasibility study): all-in cost per kg "
         "NdPr equivalent", "="),
        ("gap.china_implied_2020_usd_per_kg", "china_implied_2020_q1", "China's implied cost, Q1 2020 (Adamas: price "
         "and average margin)", "="),
        ("gap.china_implied_2022_usd_per_kg", "china_implied_2022_q1", "China's implied cost, Q1 2022 (Adamas)", "="),
        ("gap.incentive_price_usd_per_kg", "benchmark_incentive_price_2024", "Price most projects outside China need "
         "for a 15 % return (Benchmark, 2024): not a cost", "="),
    )
    for id_, eid, label, bound in singles:
        r = by_id.loc[eid]
        lo, hi = float(r["low_usd_per_kg"]), float(r["high_usd_per_kg"])
        out.append(KeyNumber(id_, (lo + hi) / 2, "USD/kg", label, r["formula"], tuple(r["sources"]), low=lo, high=hi,
                             bound=bound, chapters=CHAPTER + (("intro",) if id_ == "gap.mp_q1_2025_usd_per_kg" else ()),
                             decimals=2))
    arafura = est[est["estimate_id"].str.startswith("arafura")]
    a = gp.spread(arafura["low_usd_per_kg"], arafura["high_usd_per_kg"], "USD/kg")
    out.append(_ranged("gap.arafura_usd_per_kg", a, "USD/kg",
                       "Arafura's Nolans feasibility figures (2019–2022), in USD/kg NdPr oxide",
                       f"spread of {len(arafura)} study figures: {listing(arafura)}", _ids(arafura["sources"]),
                       decimals=1))
    out += _capital(ctx)
    return out


def _capital(ctx: Context) -> list[KeyNumber]:
    x = gp.capex_intensity(ctx.table("plant_capex"))
    out = []
    for stage, label in (("separation", "separation (per t/yr of rare-earth oxide)"),
                         ("magnet", "magnet making (per t/yr of magnets)")):
        basis = gp.CAPITAL_COMPARISONS[stage]
        for side, in_china in (("west", False), ("china", True)):
            rows = gp.stage_rows(x, stage, basis, in_china)
            r = gp.stage_intensity(x, stage, basis, in_china)
            where = "in China" if in_china else "outside China"
            out.append(KeyNumber(
                f"gap.capex_{stage}_{side}_usd_k_per_t", r.central / 1000, "USD thousand per t/yr",
                f"Capital cost of {label}, plants {where} (latest figure per plant)",
                "capex / added capacity, spread over " + "; ".join(
                    f"{row.project_id} {row.intensity_low / 1000:.1f}" + (f"–{row.intensity_high / 1000:.1f}"
                                                                        if row.intensity_high != row.intensity_low else "")
                    for row in rows.itertuples()),
                tuple(dict.fromkeys(list(rows["source_id"]) + list(rows["capacity_source_id"]))),
                low=r.low / 1000, high=r.high / 1000, chapters=CHAPTER, decimals=1))
        ratio = gp.capital_gap(x, stage)
        w, c = gp.stage_intensity(x, stage, basis, False), gp.stage_intensity(x, stage, basis, True)
        out.append(KeyNumber(
            f"gap.capex_{stage}_ratio", ratio.central, "x",
            f"Capital-cost gap in {label}: outside China over China",
            f"west / china: low {w.low / 1000:.1f} / {c.high / 1000:.1f}, central {w.central / 1000:.1f} / "
            f"{c.central / 1000:.1f}, high {w.high / 1000:.1f} / {c.low / 1000:.1f} (USD thousand per t/yr)",
            tuple(dict.fromkeys(out[-1].sources + out[-2].sources)), low=ratio.low, high=ratio.high,
            chapters=CHAPTER + ("intro",), decimals=1,
            note="Chinese figures are mostly replacements and expansions at existing sites, which overstates the gap "
                 "against new Western plants."))
    for stage in ("mining", "metal"):
        out.append(KeyNumber(f"gap.capex_{stage}_ratio", None, "x",
                             f"Capital-cost gap in {stage}: outside China over China", "west / china",
                             (), tables=("plant_capex",), chapters=CHAPTER,
                             status=f"no Chinese {stage} plant with capex and capacity in the evidence"))
    return out
