"""The claims ledger as the book shows it, and the book's own citation.

The ledger is ``data/claims.csv``: every quantitative claim of the two seed articles, quoted
verbatim, with the authority it was checked against and a verdict. This module turns it into
what the chapters display and glue:

* :func:`ledger_frame`: one display row per claim (id, article, quote, the claim as stated,
  stage, verdict, authority, what the authority says, why);
* :func:`verdict_counts`, :func:`stage_verdict_counts`, :func:`verdict_totals`: counts for the
  figures (every article x verdict or stage x verdict pair present, zeros included);
* :func:`ledger_facts`: the counts and per-claim facts as text, keyed for ``{glue:md}`` so the
  prose never types a number (:func:`glue_facts` glues them);
* :func:`sources_frame`, :func:`revisions_frame`: the sources and revision notes for the methods
  chapter.

The verdicts, in the order the book always lists them, are :data:`VERDICTS` (from the schema)
with the meanings in :data:`VERDICT_MEANINGS`.

The book's citation lives in ``CITATION.cff`` (Citation File Format 1.2.0) at the top of the
checkout: :func:`read_citation_cff` parses it and :func:`preferred_citation` formats its
``preferred-citation`` as the one-line text the methods chapter prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from rare_earths.data.schema import STAGES, VERDICTS

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

#: Verdicts that say the article got something wrong (the figure, its date or its label).
FLAWED = ("conflicts", "misdated", "mislabelled")
#: Verdicts that say the article is right, possibly with a qualification.
SUPPORTED = ("confirmed", "approximate")

#: Bounds as the key-number registry prints them (``<=13.3``), so the book writes them one way.
_BOUND_TEXT = {"=": "", ">": ">", "<": "<", ">=": ">=", "<=": "<=", "~": "~"}


def _present(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:
        return False
    return str(value).strip() != ""


def _claims(data=None) -> pd.DataFrame:
    from rare_earths.data.load import load_table

    return load_table("claims", data).sort_values("claim_id", kind="stable").reset_index(drop=True)


def _sources(data=None) -> pd.DataFrame:
    from rare_earths.data.load import load_table

    return load_table("sources", data).set_index("source_id", drop=False)


def _number(value: float, unit: str = "") -> str:
    """``3,038``, ``15.2``, ``0.27``, ``10,000,000``; years without separators (``2028``)."""
    value = float(value)
    if unit in ("year",):
        return f"{value:.0f}"
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}"


def _with_unit(number: str, value: float, unit: str) -> str:
    if unit == "%":
        return f"{number}%"
    if unit == "multiple":
        return f"{number}×"
    if unit == "count":
        return number
    if unit in ("years", "months", "days") and float(value) == 1:
        return f"{number} {unit[:-1]}"
    return f"{number} {unit}"


def stated_value(row: Mapping) -> str:
    """A claim as the article states it: ``>15%``, ``30–40%``, ``15.2 Mt REO``, ``2025-10-31``, ``2028``."""
    bound = _BOUND_TEXT.get(str(row["bound"]), str(row["bound"]))
    unit = str(row["unit"])
    if _present(row.get("value")):
        if unit in ("year", "date"):
            return f"{bound}{_number(float(row['value']), 'year')}"
        return bound + _with_unit(_number(row["value"], unit), row["value"], unit)
    if _present(row.get("low")):
        span = f"{_number(row['low'], unit)}–{_number(row['high'], unit)}"
        return bound + _with_unit(span, row["high"], unit)
    if _present(row.get("date_low")):
        low, high = pd.Timestamp(row["date_low"]), pd.Timestamp(row["date_high"])
        if low == high:
            return f"{bound}{low:%Y-%m-%d}"
        return f"{bound}{low:%Y-%m-%d} to {high:%Y-%m-%d}"
    return ""


def source_label(row: Mapping) -> str:
    """A short name for a source: ``USGS MCS 2026 v1.3``, ``IEA GCMO 2025``, ``MOFCOM 2025-11-07``."""
    producer = str(row["producer_short"])
    if _present(row.get("edition")):
        version = f" v{row['version']}" if _present(row.get("version")) else ""
        edition = str(row["edition"])
        return f"{producer} {edition}{version}" if not edition.startswith(producer) else f"{edition}{version}"
    precision = str(row.get("date_precision") or "day")
    fmt = {"year": "%Y", "month": "%Y-%m"}.get(precision, "%Y-%m-%d")
    return f"{producer} {pd.Timestamp(row['date_published']).strftime(fmt)}"


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
            "authority": source_label(sources.loc[authority]) if _present(authority) else "",
            "authority says": c["authority_text"] if _present(c["authority_text"]) else "",
            "why": c["note"],
        })
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def verdict_totals(data=None) -> pd.DataFrame:
    """One row per verdict (schema order): ``verdict``, ``label``, ``claims``, ``share_pct``, ``meaning``."""
    claims = _claims(data)
    counts = claims["verdict"].value_counts()
    total = len(claims)
    rows = [{"verdict": v, "label": VERDICT_LABELS[v], "claims": int(counts.get(v, 0)),
             "share_pct": round(100 * int(counts.get(v, 0)) / total, 1) if total else 0.0,
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


def ledger_facts(data=None, per_claim: bool | Iterable[str] = True) -> dict[str, str]:
    """The ledger's counts and each claim's facts as display text, keyed for ``{glue:md}``.

    Keys: ``ledger.total``, ``ledger.articles``, ``ledger.checked`` (claims with any verdict but
    not found), ``ledger.supported`` (confirmed + approximate), ``ledger.flawed`` (conflicts +
    misdated + mislabelled), ``ledger.count.<verdict>``, ``ledger.share.<verdict>`` (percent of all
    claims), ``ledger.<seed_source_id>.total`` and ``ledger.<seed_source_id>.<verdict>``; per claim
    ``claim.<ID>.stated``, ``.verdict``, ``.seed_published`` and, where present,
    ``.authority_value``, ``.authority_date`` and ``.announced_date``. ``per_claim``: True for
    every claim, False for the counts only, or the ids of the claims a page quotes (each glued
    key is a notebook output, so a page glues what it uses). An unknown id raises ValueError.
    """
    claims = _claims(data)
    counts = claims["verdict"].value_counts()
    total = len(claims)
    n = lambda v: int(counts.get(v, 0))  # noqa: E731
    facts: dict[str, str] = {
        "ledger.total": str(total),
        "ledger.articles": str(claims["seed_source_id"].nunique()),
        "ledger.checked": str(total - n("not_found")),
        "ledger.supported": str(sum(n(v) for v in SUPPORTED)),
        "ledger.flawed": str(sum(n(v) for v in FLAWED)),
    }
    for v in VERDICTS:
        facts[f"ledger.count.{v}"] = str(n(v))
        facts[f"ledger.share.{v}"] = f"{100 * n(v) / total:.0f}" if total else "0"
    for sid, group in claims.groupby("seed_source_id"):
        facts[f"ledger.{sid}.total"] = str(len(group))
        per = group["verdict"].value_counts()
        for v in VERDICTS:
            facts[f"ledger.{sid}.{v}"] = str(int(per.get(v, 0)))
    if per_claim is True or per_claim is False:
        quoted = claims if per_claim else claims.iloc[0:0]
    else:
        ids = list(per_claim)
        unknown = sorted(set(ids) - set(claims["claim_id"]))
        if unknown:
            raise ValueError(f"per_claim: unknown claim ids {unknown} (see data/claims.csv)")
        quoted = claims[claims["claim_id"].isin(ids)]
    for _, c in quoted.iterrows():
        key = f"claim.{c['claim_id']}"
        facts[f"{key}.stated"] = stated_value(c)
        facts[f"{key}.verdict"] = VERDICT_LABELS[c["verdict"]]
        facts[f"{key}.seed_published"] = f"{pd.Timestamp(c['seed_published']):%Y-%m-%d}"
        if _present(c["authority_value"]):
            facts[f"{key}.authority_value"] = _number(float(c["authority_value"]), str(c["unit"]))
        if _present(c["authority_date"]):
            facts[f"{key}.authority_date"] = f"{pd.Timestamp(c['authority_date']):%Y-%m-%d}"
        if _present(c["announced_date"]):
            facts[f"{key}.announced_date"] = f"{pd.Timestamp(c['announced_date']):%Y-%m-%d}"
    return facts


def glue_facts(facts: Mapping[str, str]) -> dict[str, str]:
    """Glue each text under its key (Markdown, escaped, shown only where the prose uses it)."""
    from rare_earths.book import _md_escape, glue_markdown

    for key, text in facts.items():
        glue_markdown(key, _md_escape(text))
    return dict(facts)


# ---------------------------------------------------------------------------------------------
# Sources and revisions (methods chapter)
# ---------------------------------------------------------------------------------------------


def sources_frame(data=None) -> pd.DataFrame:
    """Every source for display: ``source id``, ``producer``, ``title``, ``edition``, ``version``,
    ``published`` (at its known precision), ``kind``, ``licence`` and ``url``; by producer, then date."""
    from rare_earths.book.citation import published_text

    sources = _sources(data).reset_index(drop=True)
    rows = [{
        "source id": s["source_id"],
        "producer": s["producer"],
        "title": s["title"],
        "edition": s["edition"] if _present(s["edition"]) else "",
        "version": s["version"] if _present(s["version"]) else "",
        "published": published_text(s),
        "kind": str(s["kind"]).replace("_", " "),
        "licence": s["licence"] if _present(s["licence"]) else "",
        "url": s["url"] if _present(s["url"]) else "",
    } for _, s in sources.iterrows()]
    frame = pd.DataFrame(rows)
    return frame.sort_values(["producer", "published", "source id"], kind="stable").reset_index(drop=True)


def _bounded(value: float, bound: str) -> str:
    return f"{_BOUND_TEXT.get(bound, bound)}{_number(value)}"


def revisions_frame(data=None) -> pd.DataFrame:
    """The revision notes for display: ``quantity``, ``unit``, ``old`` and ``new`` (edition: value),
    ``change`` (new − old, same unit) and ``note``; in the table's order."""
    from rare_earths.data.load import load_table

    rev = load_table("revisions", data)
    rows = [{
        "quantity": r["quantity"],
        "unit": r["unit"],
        "old": f"{r['old_label']}: {_bounded(float(r['old_value']), str(r['old_bound']))}",
        "new": f"{r['new_label']}: {_bounded(float(r['new_value']), str(r['new_bound']))}",
        "change": ("+" if float(r["new_value"]) >= float(r["old_value"]) else "−")
        + _number(abs(float(r["new_value"]) - float(r["old_value"]))),
        "note": r["note"],
    } for _, r in rev.iterrows()]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The book's own citation (CITATION.cff)
# ---------------------------------------------------------------------------------------------

#: Keys every CITATION.cff must have (CFF 1.2.0).
CFF_REQUIRED = ("cff-version", "message", "title", "authors")

_CFF_TYPE_LABELS = {"book": "Book", "data": "Data set", "dataset": "Data set", "software": "Computer software",
                    "website": "Website", "report": "Report"}


def citation_cff_path() -> Path:
    """``CITATION.cff`` at the top of the source checkout."""
    from rare_earths.book.setup import book_root

    return book_root() / "CITATION.cff"


def read_citation_cff(path: str | os.PathLike | None = None) -> dict:
    """``CITATION.cff`` parsed (YAML). Dates stay text (``"2026-11-23"``), as CFF validators expect."""
    import yaml

    text = Path(path or citation_cff_path()).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("CITATION.cff: not a YAML mapping")
    missing = [k for k in CFF_REQUIRED if k not in data]
    if missing:
        raise ValueError(f"CITATION.cff: missing required keys {missing}")
    return data


def _authors_text(authors: Iterable[Mapping]) -> str:
    names = []
    for a in authors:
        if "name" in a:
            names.append(str(a["name"]))
        else:
            given = " ".join(f"{part[0]}." for part in str(a.get("given-names", "")).split())
            names.append(f"{a.get('family-names', '')}, {given}".strip(", "))
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def preferred_citation(cff: Mapping) -> str:
    """The citation text CITATION.cff asks for (its ``preferred-citation``, else the top level).

    ``Rare Earth Rivalry contributors (2026). Rare Earth Rivalry (version 0.1.0) [Book]. Released 2026-11-23.``
    """
    ref = dict(cff.get("preferred-citation") or cff)
    version = ref.get("version", cff.get("version"))
    released = ref.get("date-released", cff.get("date-released"))
    year = ref.get("year") or (str(released)[:4] if released else "n.d.")
    kind = _CFF_TYPE_LABELS.get(str(ref.get("type", cff.get("type", ""))), "")
    text = f"{_authors_text(ref.get('authors') or cff['authors'])} ({year}). {ref.get('title', cff['title'])}"
    if version:
        text += f" (version {version})"
    if kind:
        text += f" [{kind}]"
    text += "."
    if released:
        text += f" Released {released}."
    url = ref.get("url") or cff.get("url") or cff.get("repository-code")
    if url:
        text += f" {url}"
    return text


def preferred_citation_bibtex(cff: Mapping) -> str:
    """The same citation as a BibTeX entry (``@book`` for a book, else ``@misc``)."""
    ref = dict(cff.get("preferred-citation") or cff)
    version = str(ref.get("version", cff.get("version", "")))
    released = ref.get("date-released", cff.get("date-released"))
    year = ref.get("year") or (str(released)[:4] if released else "")
    kind = "book" if ref.get("type") == "book" else "misc"
    key = "rare_earth_rivalry_" + version.replace(".", "_") if version else "rare_earth_rivalry"
    authors = " and ".join("{" + str(a["name"]) + "}" if "name" in a else f"{a.get('family-names')}, {a.get('given-names')}"
                           for a in (ref.get("authors") or cff["authors"]))
    fields = [("author", "{" + authors + "}"), ("title", "{" + str(ref.get("title", cff["title"])) + "}"),
              ("year", "{" + str(year) + "}")]
    if version:
        fields.append(("edition", "{Version " + version + "}"))
    if ref.get("url") or cff.get("url"):
        fields.append(("url", "{" + str(ref.get("url") or cff.get("url")) + "}"))
    body = ",\n".join(f"  {k} = {v}" for k, v in fields)
    return f"@{kind}{{{key},\n{body}\n}}"


def ordinal(n: float) -> str:
    """``1st``, ``2nd``, ``3rd``, ``10th``, ``11th``, ``22nd`` (for glued ranks)."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
