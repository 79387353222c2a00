"""How values and source rows become text, in one place for the whole book.

Every layer that prints (key numbers, chapter tables, figure captions and cite lines,
citations, the CLI) formats through these functions, so a bound, a number, a rank or a source
is written one way everywhere:

* :func:`present`: is a cell filled (not None, NA, NaN or blank)?
* :data:`BOUND_PREFIX` and :func:`bounded`: ``>=13.3``, ``~20``, ``<=58.7``;
* :func:`number_text`: ``3,038``, ``15.2``, ``0.27``; :func:`fixed`: a number at fixed decimals;
* :func:`ordinal`: ``1st``, ``2nd``, ``11th``;
* :func:`published_text`: a publication date at the precision it is known (``2025-11``);
* :func:`source_label`: a source's short name (``USGS MCS 2026 v1.3``, ``MOFCOM 2025-11-07``);
* :func:`source_reference`: its long form (``USGS, Rare earths, in Mineral Commodity Summaries
  2026 (MCS 2026, version 1.3, 2026-02-06)``);
* :func:`stated_value`: a seed claim as the article states it (``30–40%``, ``>15.2 Mt REO``).

Nothing here reads files or computes: values in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

#: What a :class:`TextFact` may be: words (no digits but those of the registry numbers it
#: embeds and ISO dates), a date, a claim as the article states it (citable by claim id), the
#: book's citation, or an identifier (a version, a content hash).
TEXT_KINDS = ("words", "date", "claim", "citation", "identifier")


@dataclass(frozen=True)
class TextFact:
    """A piece of text the prose glues: a date, a status in words, a claim as stated, a citation.

    ``numbers`` lists the key-number ids whose displayed values the text embeds, so a check can
    tell that every figure in it comes from the registry.
    """

    key: str
    text: str
    kind: str = "words"
    numbers: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in TEXT_KINDS:
            raise ValueError(f"TextFact {self.key}: kind {self.kind!r} is not one of {', '.join(TEXT_KINDS)}")
        if not str(self.text).strip():
            raise ValueError(f"TextFact {self.key}: empty text")

#: How a bound is written in front of a value ("=" writes nothing).
BOUND_PREFIX: dict[str, str] = {"=": "", "<=": "<=", ">=": ">=", ">": ">", "<": "<", "~": "~"}


def present(value: Any) -> bool:
    """True for a filled cell: not None, NA, NaT, NaN or blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:
        return False
    return str(value).strip() != ""


def bound_prefix(bound: Any) -> str:
    return BOUND_PREFIX.get(str(bound), str(bound))


def fixed(value: float, decimals: int) -> str:
    """``value`` with thousands separators and exactly ``decimals`` places (``1,294.0``); a value
    that rounds to zero is ``0.00``, never ``-0.00``."""
    return f"{float(value):z,.{decimals}f}"


def number_text(value: float, unit: str = "") -> str:
    """A number as the book writes it in text: ``3,038``, ``15.2``, ``0.27``, ``58.6667``,
    ``1,234,567.5``: six significant digits, more where the whole part has more (no digit before
    the point is ever lost to an exponent); years without separators (``2028``)."""
    value = float(value)
    if unit == "year":
        return f"{value:.0f}"
    if value.is_integer():
        return f"{value:,.0f}"
    digits = max(6, len(str(int(abs(value)))) + 2)
    return f"{value:,.{digits}g}"


def bounded(value: float, bound: Any = "=") -> str:
    """``>75,000,000``: a value with its bound in front."""
    return bound_prefix(bound) + number_text(value)


def with_unit(number: str, value: float, unit: str) -> str:
    """``58.7%``, ``2.0×``, ``3 years``, ``1 year``, ``15.2 Mt REO``."""
    if unit == "%":
        return f"{number}%"
    if unit == "multiple":
        return f"{number}×"
    if unit == "count":
        return number
    if unit in ("years", "months", "days") and float(value) == 1:
        return f"{number} {unit[:-1]}"
    return f"{number} {unit}"


def ordinal(n: float) -> str:
    """``1st``, ``2nd``, ``3rd``, ``10th``, ``11th``, ``22nd`` (for ranks)."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def published_text(row: Mapping) -> str:
    """The publication date at the precision it is known (``2025-11-07``, ``2025-11`` or ``2025``)."""
    precision = str(row.get("date_precision")) if present(row.get("date_precision")) else "day"
    fmt = {"year": "%Y", "month": "%Y-%m"}.get(precision, "%Y-%m-%d")
    return pd.Timestamp(row["date_published"]).strftime(fmt)


def edition_label(producer_short: str, edition: str) -> str:
    """``USGS MCS 2026``, ``IEA GCMO 2025``; an edition that already names its producer is kept."""
    producer, edition = str(producer_short), str(edition)
    return edition if edition.lower().startswith(producer.lower()) else f"{producer} {edition}"


def source_label(row: Mapping) -> str:
    """A short name for a source: ``USGS MCS 2026 v1.3``, ``IEA GCMO 2025``, ``MOFCOM 2025-11-07``."""
    if present(row.get("edition")):
        version = f" v{row['version']}" if present(row.get("version")) else ""
        return edition_label(row["producer_short"], row["edition"]) + version
    return f"{row['producer_short']} {published_text(row)}"


def source_reference(row: Mapping) -> str:
    """``USGS, Rare earths, in Mineral Commodity Summaries 2026 (MCS 2026, version 1.3, 2026-02-06)``."""
    details = []
    if present(row.get("edition")):
        details.append(str(row["edition"]))
    if present(row.get("version")):
        details.append(f"version {row['version']}")
    if present(row.get("date_published")):
        details.append(published_text(row))
    tail = f" ({', '.join(details)})" if details else ""
    return f"{row['producer_short']}, {row['title']}{tail}"


def stated_value(row: Mapping) -> str:
    """A claim as the article states it: ``>15%``, ``30–40%``, ``15.2 Mt REO``, ``2025-10-31``, ``2028``."""
    bound = bound_prefix(row["bound"])
    unit = str(row["unit"])
    if present(row.get("value")):
        if unit in ("year", "date"):
            return f"{bound}{number_text(float(row['value']), 'year')}"
        return bound + with_unit(number_text(row["value"], unit), row["value"], unit)
    if present(row.get("low")):
        span = f"{number_text(row['low'], unit)}–{number_text(row['high'], unit)}"
        return bound + with_unit(span, row["high"], unit)
    if present(row.get("date_low")):
        low, high = pd.Timestamp(row["date_low"]), pd.Timestamp(row["date_high"])
        if low == high:
            return f"{bound}{low:%Y-%m-%d}"
        return f"{bound}{low:%Y-%m-%d} to {high:%Y-%m-%d}"
    return ""
