"""Numbers quoted in text fields, taken from the rows they come from (never copied by hand).

A text cell (``claims.authority_text``, ``claims.note``) or a parameter's description may quote
a figure that another row holds: "110 / USGS 2024 average 55 = 2.0x" copies the 2024 NdPr price
of ``prices.csv``, and would go on saying 55 after the row is corrected. Instead the text names
the row, and the figure is filled in whenever the text is shown:

* ``{prices:ROW}``: the price of ``prices.csv`` row ``ROW`` (its ``price_id``), as the book writes
  numbers in text (``55``; ``55–60`` for a range);
* ``{company_output:ROW}``: the ``output_t`` of ``company_output.csv`` row ``ROW`` (``1,294``);
* ``{number:ID}``: key number ``ID`` of the registry at the default parameters (a ratio such as
  the floor over a price), filled in by :func:`rare_earths.numbers.references.expand_references`.

:func:`expand_data_references` fills the first two (this layer cannot compute key numbers and
leaves ``{number:...}`` as it is); :func:`reference_problems` is the check ``rare-earths
validate`` runs on every such cell: a malformed reference or an unknown row is one problem.
"""

from __future__ import annotations

import os
import re

#: A reference in text: ``{prices:usgs_ndpr_oxide_2024}``, ``{number:costs.floor_multiple_of_2024_price}``.
REFERENCE = re.compile(r"\{(prices|company_output|number):([a-z0-9_.]+)\}")
#: Anything that looks like a reference (to catch ``{price:...}`` typos).
_BRACED = re.compile(r"\{[a-z_]+:[^}]*\}")

#: Text columns that may hold references, by table.
REFERENCE_COLUMNS = {"claims": ("authority_text", "note")}

_KEYS = {"prices": "price_id", "company_output": "output_id"}


def _value_text(kind: str, row) -> str:
    from rare_earths.format import number_text

    if kind == "prices":
        low, high = float(row["price_low_usd_per_kg"]), float(row["price_high_usd_per_kg"])
        return number_text(low) if low == high else f"{number_text(low)}–{number_text(high)}"
    return number_text(float(row["output_t"]))


def _rows(kind: str, data) -> dict:
    from rare_earths.data.load import load_table

    frame = load_table(kind, data)
    return {str(k): r for k, r in zip(frame[_KEYS[kind]], frame.to_dict("records"))}


def expand_data_references(text: str, data: str | os.PathLike | None = None) -> str:
    """``text`` with every ``{prices:ROW}`` and ``{company_output:ROW}`` filled in from the data."""
    if not isinstance(text, str) or "{" not in text:
        return text
    tables: dict[str, dict] = {}

    def fill(match: re.Match) -> str:
        kind, key = match.groups()
        if kind == "number":
            return match.group(0)
        if kind not in tables:
            tables[kind] = _rows(kind, data)
        if key not in tables[kind]:
            raise KeyError(f"{{{kind}:{key}}}: no row {key!r} in {kind}.csv")
        return _value_text(kind, tables[kind][key])

    return REFERENCE.sub(fill, text)


def reference_problems(text, known: dict[str, set[str]]) -> list[str]:
    """Why the references in ``text`` cannot be filled in (``known``: row ids per table read)."""
    if not isinstance(text, str) or "{" not in text:
        return []
    problems = []
    for braced in dict.fromkeys(_BRACED.findall(text)):
        match = REFERENCE.fullmatch(braced)
        if not match:
            problems.append(f"{braced}: not a reference (use {{prices:ID}}, {{company_output:ID}} or {{number:ID}})")
            continue
        kind, key = match.groups()
        if kind == "number":
            if key.count(".") < 1:
                problems.append(f"{braced}: not a key-number id (domain.name)")
        elif kind in known and key not in known[kind]:  # a table that could not be read is reported itself
            problems.append(f"{braced}: no row {key!r} in {kind}.csv")
    return problems
