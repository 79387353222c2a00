"""The claims ledger as the book shows it.

The ledger is ``data/claims.csv``: every quantitative claim of the two seed articles, quoted
verbatim, with the authority it was checked against and a verdict. This module turns it into
what the chapters display:

* :func:`ledger_frame`: one display row per claim (id, article, quote, the claim as stated,
  stage, verdict, authority, what the authority says, why);
* :func:`verdict_counts`, :func:`stage_verdict_counts`, :func:`verdict_totals`: counts for the
  figures (every article x verdict or stage x verdict pair present, zeros included);
* :func:`claim_facts`: what the prose quotes of a claim (as stated, verdict, dates), for
  :func:`rare_earths.book.glue_text`; the ledger's counts are key numbers (``ledger.*``);
* :func:`sources_frame`, :func:`revisions_frame`: the sources and revision notes for the methods
  chapter.

The verdicts, in the order the book always lists them, are :data:`VERDICTS` (from the schema)
with the meanings in :data:`VERDICT_MEANINGS`.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from rare_earths.analysis.claims import FLAWED, SUPPORTED, tally  # noqa: F401  (re-exported for chapters)
from rare_earths.data.schema import STAGES, VERDICTS
from rare_earths.numbers.references import expand_references
from rare_earths.format import TextFact, bounded, number_text, present, published_text, source_label, stated_value

#: How each verdict is shown in tables and figures ("not_found" -> "not found").
VERDICT_LABELS: dict[str, str] = {v: v.replace("_", " ") for v in VERDICTS}

#: What each verdict means (the claims chapter prints these; keep them in the schema's order).
VERDICT_MEANINGS: dict[str, str] = {
    "confirmed": "An authority states the same figure or date for the same thing.",
    "approximate": (
        "An authority states a close figure, or the same figure on another basis (output rather than "
        "capacity, another element basket, another year, a looser date): right only with a qualification."
    ),
    "conflicts": "An authority states a different figure for the same thing.",
    "not_found": (
        "No authority states or refutes it: the article's own estimate, a forecast, or market colour "
        "that was not checked. Not the same as wrong."
    ),
    "misdated": (
        "The figure exists but belongs to another date: older than the article implies, announced only "
        "after the article, or a date the authority itself puts elsewhere."
    ),
    "mislabelled": (
        "The figure is right but describes something else: resources called reserves, grant programmes "
        "called financing, a conditional commitment called a loan, the wrong company."
    ),
}

#: How each stage (or topic) of ``claims.stage`` is shown.
STAGE_LABELS: dict[str, str] = {s: {"separation_refining": "separation & refining", "us_imports": "US imports"}.get(s, s)
                                for s in STAGES}

#: Okabe–Ito colours per verdict (figures also label every bar, so colour is never the only cue).
VERDICT_COLOURS: dict[str, str] = {
    "confirmed": "#009E73",  # bluish green
    "approximate": "#56B4E9",  # sky blue
    "conflicts": "#D55E00",  # vermillion
    "not_found": "#9A9A9A",  # grey: no hue, "nothing to compare"
    "misdated": "#E69F00",  # orange
    "mislabelled": "#CC79A7",  # reddish purple
}

def _claims(data=None) -> pd.DataFrame:
    from rare_earths.data.load import load_table

    return load_table("claims", data).sort_values("claim_id", kind="stable").reset_index(drop=True)


def _sources(data=None) -> pd.DataFrame:
    from rare_earths.data.load import load_table

    return load_table("sources", data).set_index("source_id", drop=False)


def _short_title(title: str) -> str:
    for tag in ("【SMM Analysis】", "[SMM Analysis]"):
        title = title.replace(tag, "")
    return title.strip().split(":")[0].strip()


def article_labels(data=None, *, long: bool = False) -> dict[str, str]:
    """Label of each seed article (by source id): ``SMM 2025-09-18`` or, long, with its short title."""
    claims, sources = _claims(data), _sources(data)
    out = {}
    for sid in dict.fromkeys(claims["seed_source_id"]):
        row = sources.loc[sid]
        label = f"{row['producer_short']} {pd.Timestamp(row['date_published']):%Y-%m-%d}"
        out[sid] = f"{label}: {_short_title(str(row['title']))}" if long else label
    return out


def _article_order(data=None) -> list[str]:
    sources = _sources(data)
    ids = list(dict.fromkeys(_claims(data)["seed_source_id"]))
    return sorted(ids, key=lambda s: (pd.Timestamp(sources.loc[s, "date_published"]), s))


# ---------------------------------------------------------------------------------------------
# The ledger and its counts
# ---------------------------------------------------------------------------------------------

LEDGER_COLUMNS = ("id", "article", "quote", "claim", "stage", "verdict", "authority", "authority says", "why")


def ledger_frame(data=None) -> pd.DataFrame:
    """The ledger for display: one row per claim of ``claims.csv``, in claim-id order.

    Columns: ``id``, ``article`` (``SMM 2025-09-18``), ``quote`` (verbatim), ``claim`` (as stated,
    with bound and unit), ``stage``, ``verdict`` (label), ``authority`` (short source name, empty
    when nothing was found), ``authority says`` and ``why`` (the verdict's one-line reason).
    """
    claims, sources = _claims(data), _sources(data)
    articles = article_labels(data)
    rows = []
    for _, c in claims.iterrows():
        authority = c["authority_source_id"]
        rows.append({
            "id": c["claim_id"],
            "article": articles[c["seed_source_id"]],
            "quote": c["quote"],
            "claim": stated_value(c),
            "stage": STAGE_LABELS[c["stage"]],
            "verdict": VERDICT_LABELS[c["verdict"]],
            "authority": source_label(sources.loc[authority]) if present(authority) else "",
            "authority says": expand_references(c["authority_text"], data) if present(c["authority_text"]) else "",
            "why": expand_references(c["note"], data),
        })
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def verdict_totals(data=None) -> pd.DataFrame:
    """One row per verdict (schema order): ``verdict``, ``label``, ``claims``, ``share_pct``, ``meaning``."""
    t = tally(_claims(data))
    rows = [{"verdict": v, "label": VERDICT_LABELS[v], "claims": t.by_verdict[v], "share_pct": round(t.share_pct(v), 1),
             "meaning": VERDICT_MEANINGS[v]} for v in VERDICTS]
    return pd.DataFrame(rows)


def verdict_counts(data=None) -> pd.DataFrame:
    """Claims per seed article and verdict, every pair present (zeros included).

    Columns: ``article`` (long label), ``seed_source_id``, ``verdict`` (label), ``verdict_order``
    (0–5, the schema's order), ``claims``. Articles in publication order.
    """
    claims = _claims(data)
    labels = article_labels(data, long=True)
    counts = claims.groupby(["seed_source_id", "verdict"]).size()
    rows = [{"article": labels[sid], "seed_source_id": sid, "verdict": VERDICT_LABELS[v], "verdict_order": i,
             "claims": int(counts.get((sid, v), 0))}
            for sid in _article_order(data) for i, v in enumerate(VERDICTS)]
    return pd.DataFrame(rows)


def stage_verdict_counts(data=None) -> pd.DataFrame:
    """Claims per supply-chain stage (or topic) and verdict, every pair of the stages used (zeros included).

    Columns: ``stage`` (label), ``verdict`` (label), ``verdict_order``, ``claims``, ``stage_claims``
    (the stage's total, for sorting). Stages in descending order of claims, then schema order.
    """
    claims = _claims(data)
    used = [s for s in STAGES if s in set(claims["stage"])]
    totals = claims["stage"].value_counts()
    used.sort(key=lambda s: (-int(totals[s]), STAGES.index(s)))
    counts = claims.groupby(["stage", "verdict"]).size()
    rows = [{"stage": STAGE_LABELS[s], "verdict": VERDICT_LABELS[v], "verdict_order": i,
             "claims": int(counts.get((s, v), 0)), "stage_claims": int(totals[s])}
            for s in used for i, v in enumerate(VERDICTS)]
    return pd.DataFrame(rows)


def claim_facts(ids: Iterable[str], data=None) -> list[TextFact]:
    """What the prose quotes of some claims, keyed for ``{glue:md}`` (see :func:`rare_earths.book.glue_text`).

    Per claim ``claim.<ID>.stated`` (as the article states it), ``.verdict``, ``.seed_published``
    and, where present, ``.authority_date`` and ``.announced_date``. The counts of the ledger are
    key numbers (``ledger.total``, ``ledger.count.<verdict>``, ...). An unknown id raises ValueError.
    """
    claims = _claims(data)
    ids = list(ids)
    unknown = sorted(set(ids) - set(claims["claim_id"]))
    if unknown:
        raise ValueError(f"claim_facts: unknown claim ids {unknown} (see data/claims.csv)")
    facts: list[TextFact] = []
    for _, c in claims[claims["claim_id"].isin(ids)].iterrows():
        key = f"claim.{c['claim_id']}"
        facts.append(TextFact(f"{key}.stated", stated_value(c), "claim"))
        facts.append(TextFact(f"{key}.verdict", VERDICT_LABELS[c["verdict"]], "words"))
        facts.append(TextFact(f"{key}.seed_published", f"{pd.Timestamp(c['seed_published']):%Y-%m-%d}", "date"))
        if present(c["authority_date"]):
            facts.append(TextFact(f"{key}.authority_date", f"{pd.Timestamp(c['authority_date']):%Y-%m-%d}", "date"))
        if present(c["announced_date"]):
            facts.append(TextFact(f"{key}.announced_date", f"{pd.Timestamp(c['announced_date']):%Y-%m-%d}", "date"))
    return facts


# ---------------------------------------------------------------------------------------------
# Sources and revisions (methods chapter)
# ---------------------------------------------------------------------------------------------


def sources_frame(data=None) -> pd.DataFrame:
    """Every source for display: ``source id``, ``producer``, ``title``, ``edition``, ``version``,
    ``published`` (at its known precision), ``kind``, ``licence`` and ``url``; by producer, then date."""
    sources = _sources(data).reset_index(drop=True)
    rows = [{
        "source id": s["source_id"],
        "producer": s["producer"],
        "title": s["title"],
        "edition": s["edition"] if present(s["edition"]) else "",
        "version": s["version"] if present(s["version"]) else "",
        "published": published_text(s),
        "kind": str(s["kind"]).replace("_", " "),
        "licence": s["licence"] if present(s["licence"]) else "",
        "url": s["url"] if present(s["url"]) else "",
    } for _, s in sources.iterrows()]
    frame = pd.DataFrame(rows)
    return frame.sort_values(["producer", "published", "source id"], kind="stable").reset_index(drop=True)


def revisions_frame(data=None) -> pd.DataFrame:
    """The revision notes for display: ``quantity``, ``unit``, ``old`` and ``new`` (edition: value),
    ``change`` (new − old, same unit) and ``note``; in the table's order."""
    from rare_earths.data.load import load_table

    rev = load_table("revisions", data)
    rows = [{
        "quantity": r["quantity"],
        "unit": r["unit"],
        "old": f"{r['old_label']}: {bounded(float(r['old_value']), str(r['old_bound']))}",
        "new": f"{r['new_label']}: {bounded(float(r['new_value']), str(r['new_bound']))}",
        "change": ("+" if float(r["new_value"]) >= float(r["old_value"]) else "−")
        + number_text(abs(float(r["new_value"]) - float(r["old_value"]))),
        "note": r["note"],
    } for _, r in rev.iterrows()]
    return pd.DataFrame(rows)
