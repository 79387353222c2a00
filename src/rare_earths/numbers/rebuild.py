"""Key numbers of the rebuild domain: the seed's "15 years and over $200 billion" against the
money announced so far (values from :func:`rare_earths.analysis.rebuild.rebuild_figures`), and
the amount of each announcement the book quotes."""

from __future__ import annotations

from rare_earths.analysis import rebuild as rb
from rare_earths.format import present
from rare_earths.numbers.model import Context, KeyNumber
from rare_earths.params import PARAMETERS

PREFIXES = ("rebuild.",)
COMMITMENT_PREFIXES = ("commitments.",)
SEED = "smm_2025_09_18"
SCOPE = ("committed_scope", "as_of")
NEED = ("rebuild_total_usd_bn", "rebuild_years")

#: Instrument groups, as the rebuild chapter names them.
GROUP_LABELS = (("firm", "firm equity, loans, grants and incentives"), ("conditional", "conditional loans"),
                ("grant_programmes", "planned grant programmes"), ("private", "private financing and capex"))


def _with_seed(sources) -> tuple[str, ...]:
    return tuple(sorted(set(sources) | {SEED}))


def _possible_double_count(commitments, as_of, all_sources) -> tuple[float, tuple[str, ...]]:
    """The possible double count at ``as_of`` (USD bn) and the sources of the companies concerned."""
    overlap_usd_bn, overlap_ids = rb.possible_double_count_usd_bn(commitments, as_of)
    overlap_companies = {rb.company_of(r) for r in commitments.loc[commitments["commitment_id"].isin(overlap_ids), "recipient"]}
    overlap_sources = tuple(sorted(set(commitments.loc[commitments["recipient"].map(rb.company_of).isin(overlap_companies),
                                                       "source_id"]))) or all_sources
    return overlap_usd_bn, overlap_sources


def build(ctx: Context) -> list[KeyNumber]:
    p = ctx.params
    commitments = ctx.table("commitments")
    total, years, scope, as_of = p["rebuild_total_usd_bn"], p["rebuild_years"], p["committed_scope"], p["as_of"]
    # What the commitments give depends on as_of and the scope only: computed once per store for
    # every rebuild estimate and time a sweep or the what-if grid asks for.
    def counted_at(sc: str):
        return ctx.derived(("rebuild.counted", as_of, sc), lambda: rb.counted_commitments(commitments, as_of, sc))

    def money(sc: str) -> rb.CountedMoney:
        return ctx.derived(("rebuild.money", as_of, sc), lambda: rb.counted_money(counted_at(sc)))

    f = rb.rebuild_figures(commitments, as_of, scope, total, years, money=money)
    s = f.chosen
    counted = counted_at(scope)
    money_sources = tuple(sorted(set(counted.loc[counted["counted"], "source_id"]))) or (SEED,)
    all_sources = tuple(sorted(set(commitments["source_id"])))
    day = f"{as_of:%Y-%m-%d}"
    overlap_usd_bn, overlap_sources = ctx.derived(("rebuild.overlap", as_of),
                                                  lambda: _possible_double_count(commitments, as_of, all_sources))
    out = [
        KeyNumber("rebuild.annual_need_usd_bn", s.annual_need_usd_bn, "USD bn/yr",
                  "Annual investment the seed's rebuild estimate implies", f"rebuild_total / rebuild_years = {total:g} / {years:g}",
                  (SEED,), NEED, chapters=("rebuild", "intro", "claims"),
                  claims=("C25", "C26"), decimals=1,
                  bound=">" if total == PARAMETERS["rebuild_total_usd_bn"].default else "=",
                  note="The seed says 'over $200 billion': at the default the need is a lower bound."),
        KeyNumber("rebuild.committed_usd_bn", s.committed_usd_bn, "USD bn",
                  f"Money announced for non-Chinese rare-earth supply and counted as committed ({scope}) by {day}; "
                  "low: firm only, high: everything announced",
                  "sum of counted commitments (superseded amounts replaced) / 1,000", money_sources, SCOPE,
                  low=f.committed_low, high=f.committed_high, chapters=("rebuild", "intro"), decimals=2),
        KeyNumber("rebuild.coverage_pct", s.coverage_pct, "%",
                  "Share of the rebuild estimate covered by the money counted as committed",
                  f"committed / rebuild_total x 100 = {s.committed_usd_bn:.3f} / {total:g} x 100",
                  _with_seed(money_sources), SCOPE + ("rebuild_total_usd_bn",),
                  low=f.coverage_low_pct, high=f.coverage_high_pct, chapters=("rebuild", "intro"), decimals=1),
    ]
    groups = ctx.derived(("rebuild.by_instrument", as_of), lambda: rb.by_instrument(commitments, as_of)).set_index("group")
    for group, label in GROUP_LABELS:
        out.append(KeyNumber(
            f"rebuild.{group}_usd_bn", float(groups.loc[group, "amount_usd_bn"]), "USD bn",
            f"Money announced by {day}: {label}", f"sum of {groups.loc[group, 'instruments']} amounts / 1,000",
            all_sources, ("as_of",), chapters=("rebuild",), decimals=2,
        ))
    out += [
        KeyNumber("rebuild.estimate_total_usd_bn", total, "USD bn",
                  "The rebuild estimate used (the seed's 'over $200 billion' at the default)",
                  f"parameter rebuild_total_usd_bn = {total:g}", (SEED,), ("rebuild_total_usd_bn",),
                  chapters=("rebuild", "intro"), claims=("C26",), decimals=0),
        KeyNumber("rebuild.estimate_years", float(years), "years",
                  "The rebuild time used (the seed's '15 years' at the default)",
                  f"parameter rebuild_years = {years:g}", (SEED,), ("rebuild_years",),
                  chapters=("rebuild",), claims=("C25",), decimals=0),
        KeyNumber("rebuild.all_announced_usd_bn", f.every.committed_usd_bn, "USD bn",
                  f"Everything announced by {day}, adding unlike instruments (firm, conditional, "
                  "planned grant programmes, private)",
                  "sum of every counted commitment, superseded amounts replaced, offtakes excluded / 1,000",
                  all_sources, ("as_of",), chapters=("rebuild",), decimals=2),
        KeyNumber("rebuild.possible_double_count_usd_bn", overlap_usd_bn, "USD bn",
                  f"Part of everything announced by {day} that may be counted twice: a company's own capital "
                  "spending that the public money it received may pay for",
                  "sum over counted private_capex rows of min(capex, counted money received by the same company) "
                  "/ 1,000 (an upper bound)", overlap_sources, ("as_of",), bound="<=",
                  chapters=("rebuild",), decimals=2),
        KeyNumber("rebuild.commitments_counted", float(int(counted["counted"].sum())), "announcements",
                  f"Announcements counted as committed ({scope}) by {day}",
                  "count of commitments rows counted (superseded, later, out-of-scope and offtake rows excluded)",
                  money_sources, SCOPE, chapters=("rebuild",), decimals=0),
        KeyNumber("rebuild.committed_months_of_need", f.months_of_need,
                  "months", "Months of the annual need that the money counted as committed would pay for; "
                  "low: firm only, high: everything announced",
                  f"committed / annual_need x 12 = {s.committed_usd_bn:.3f} / {s.annual_need_usd_bn:.3f} x 12",
                  _with_seed(money_sources), SCOPE + NEED,
                  low=f.months_of_need_low, high=f.months_of_need_high, chapters=("rebuild",), decimals=1),
    ]
    if f.firm_share_of_announced_pct is not None:
        out.append(KeyNumber(
            "rebuild.firm_share_of_announced_pct", f.firm_share_of_announced_pct, "%",
            f"Firm money (equity, loans, grants, incentives) as a share of everything announced by {day}",
            f"firm / all announced x 100 = {f.firm.committed_usd_bn:.3f} / {f.every.committed_usd_bn:.3f} x 100",
            all_sources, ("as_of",), chapters=("rebuild",), decimals=0))
    else:
        out.append(KeyNumber("rebuild.firm_share_of_announced_pct", None, "%",
                             "Firm money as a share of everything announced", "firm / all announced x 100", all_sources,
                             ("as_of",), chapters=("rebuild",), status=f"undefined at as_of={day}: nothing announced yet"))
    why = f"undefined at as_of={day}: {s.status.replace('_', ' ')}"
    if s.status == "computed":
        out += [
            KeyNumber("rebuild.elapsed_years", s.elapsed_years, "years",
                      f"Years from the first counted announcement ({s.first_date:%Y-%m-%d}) to {day}",
                      f"({day} - {s.first_date:%Y-%m-%d}) in days / {rb.DAYS_PER_YEAR:g}",
                      money_sources, SCOPE, chapters=("rebuild",), decimals=1),
            KeyNumber("rebuild.need_to_date_usd_bn", f.need_to_date_usd_bn, "USD bn",
                      "Money the estimate implies by as_of if spent evenly from the first counted announcement",
                      f"annual_need x years elapsed = {s.annual_need_usd_bn:.3f} x {s.elapsed_years:.3f}",
                      _with_seed(money_sources), SCOPE + NEED, chapters=("rebuild",), decimals=1),
        ]
    else:
        for id_, unit, label in (("rebuild.elapsed_years", "years", "Years from the first counted announcement"),
                                 ("rebuild.need_to_date_usd_bn", "USD bn", "Money the estimate implies by as_of")):
            out.append(KeyNumber(id_, None, unit, label, "see rare_earths.analysis.rebuild", (SEED,), SCOPE + NEED,
                                 chapters=("rebuild",), status=why))
    if s.status == "computed":
        out += [
            KeyNumber("rebuild.pace_usd_bn_per_year", s.pace_usd_bn_per_year, "USD bn/yr",
                      f"Observed pace of money announced since {s.first_date:%Y-%m-%d}",
                      f"committed / years elapsed = {s.committed_usd_bn:.3f} / {s.elapsed_years:.2f}",
                      money_sources, SCOPE, low=f.pace_low, high=f.pace_high, chapters=("rebuild",), decimals=2),
            KeyNumber("rebuild.years_to_reach_at_pace", s.years_to_reach, "years",
                      "Years from as_of to reach the rebuild estimate at the observed pace",
                      f"(rebuild_total - committed) / pace = ({total:g} - {s.committed_usd_bn:.3f}) / "
                      f"{s.pace_usd_bn_per_year:.3f}",
                      _with_seed(money_sources), SCOPE + ("rebuild_total_usd_bn",),
                      low=f.years_to_reach_low, high=f.years_to_reach_high, chapters=("rebuild", "intro"), decimals=0),
            KeyNumber("rebuild.need_to_pace_ratio", f.need_to_pace_ratio, "x",
                      "Annual need as a multiple of the observed pace",
                      f"annual_need / pace = {s.annual_need_usd_bn:.2f} / {s.pace_usd_bn_per_year:.3f}",
                      _with_seed(money_sources), SCOPE + NEED, chapters=("rebuild",), decimals=1),
        ]
    else:
        for id_, unit, label in (("rebuild.pace_usd_bn_per_year", "USD bn/yr", "Observed pace of money announced"),
                                 ("rebuild.years_to_reach_at_pace", "years", "Years to reach the estimate at the observed pace"),
                                 ("rebuild.need_to_pace_ratio", "x", "Annual need as a multiple of the observed pace")):
            out.append(KeyNumber(id_, None, unit, label, "see rare_earths.analysis.rebuild", (SEED,), SCOPE + NEED,
                                 chapters=("rebuild",), status=why))
    return out


def build_commitments(ctx: Context) -> list[KeyNumber]:
    """The amount of every announcement (``commitments.<commitment_id>``, USD m, as announced).

    Listed for the claims chapter, the one that computes this domain: it quotes the amounts beside
    the ledger's claims, including announcements no claim names (ReElement's loan, the DFC's first
    approval)."""
    commitments = ctx.table("commitments")
    out = []
    for _, c in commitments.iterrows():
        claims = (str(c["claim_id"]),) if present(c["claim_id"]) else ()
        out.append(KeyNumber(
            f"commitments.{c['commitment_id']}", float(c["amount_usd_m"]), "USD m",
            f"{c['funder']} to {c['recipient']}: {str(c['instrument']).replace('_', ' ')}, announced "
            f"{c['announced_date']:%Y-%m-%d} ({str(c['status']).replace('_', ' ')})",
            "as announced", (str(c["source_id"]),), bound=str(c["bound"]),
            chapters=("claims",), claims=claims, decimals=0,
        ))
    return out
