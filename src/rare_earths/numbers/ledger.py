"""Key numbers of the claims ledger: how many claims, and how many got each verdict."""

from __future__ import annotations

from rare_earths.analysis import claims as cl
from rare_earths.data.schema import VERDICTS
from rare_earths.numbers.model import Context, KeyNumber

PREFIXES = ("ledger.",)
CHAPTERS = ("intro", "claims")


def build(ctx: Context) -> list[KeyNumber]:
    claims = ctx.table("claims")
    seeds = tuple(sorted(set(claims["seed_source_id"])))
    t = cl.tally(claims)

    def count(id_, value, label, formula, sources=seeds, unit="claims", decimals=0):
        return KeyNumber(id_, float(value), unit, label, formula, sources, chapters=CHAPTERS, decimals=decimals,
                         tables=("claims",))

    out = [
        count("ledger.total", t.total, "Quantitative claims in the two seed articles (the ledger)", "count of claims.csv rows"),
        count("ledger.articles", len(seeds), "Seed articles the ledger quotes", "count of distinct seed_source_id",
              unit="articles"),
        count("ledger.checked", t.checked, "Claims checked against an authority (any verdict but not found)",
              f"total - not_found = {t.total} - {t.by_verdict['not_found']}"),
        count("ledger.supported", t.supported, "Claims confirmed or approximately right",
              " + ".join(f"{v} {t.by_verdict[v]}" for v in cl.SUPPORTED)),
        count("ledger.flawed", t.flawed, "Claims that conflict, are misdated or mislabelled",
              " + ".join(f"{v} {t.by_verdict[v]}" for v in cl.FLAWED)),
    ]
    for v in VERDICTS:
        words = v.replace("_", " ")
        out.append(count(f"ledger.count.{v}", t.by_verdict[v], f"Claims with the verdict '{words}'",
                         f"count of claims with verdict {v}"))
        out.append(count(f"ledger.share.{v}", t.share_pct(v), f"Share of all claims with the verdict '{words}'",
                         f"{t.by_verdict[v]} / {t.total} x 100", unit="%"))
    for sid, a in cl.tally_by_article(claims).items():
        out.append(count(f"ledger.{sid}.total", a.total, f"Claims quoted from {sid}",
                         f"count of claims with seed_source_id {sid}", sources=(sid,)))
        for v in VERDICTS:
            out.append(count(f"ledger.{sid}.{v}", a.by_verdict[v], f"Claims of {sid} with the verdict '{v.replace('_', ' ')}'",
                             f"count of claims with seed_source_id {sid} and verdict {v}", sources=(sid,)))
    return out
