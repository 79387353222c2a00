"""Helpers the chapters call: glue the registry's numbers, show tables safely.

Numbers in prose are never typed: a chapter calls :func:`glue_numbers` once, and the text uses
``{glue:md}`costs.us_extra_cost_usd_per_kg_low``` (the value as the registry displays it) or
``{glue:md}`costs.us_extra_cost_usd_per_kg_low.range``` (its low–high range) and
``….unit``. Because the glued text comes from :func:`rare_earths.registry.compute_numbers`, the
book and ``rare-earths numbers`` with the same parameters print the same figures.
"""

from __future__ import annotations

import html
from typing import Iterable

import pandas as pd

from rare_earths.parameters import PARAMETERS


def _overrides(params: dict | None) -> dict:
    return {k: v for k, v in (params or {}).items() if k in PARAMETERS}


def glue_numbers(params: dict | None = None, ids: Iterable[str] | None = None) -> dict:
    """Compute the registry under ``params`` and glue each number (display only in the page text).

    Keys glued per number ``ID``: ``ID`` (value with bound, e.g. ``>13.3``), ``ID.range``
    (``1.2–4.4``, or the value when not ranged), ``ID.unit``, ``ID.label``. Returns
    ``{id: KeyNumber}`` so a chapter can also use the numbers in code.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    from rare_earths.registry import compute_numbers, select

    numbers = select(compute_numbers(_overrides(params)), ids)
    for n in numbers:
        glue(n.id, Markdown(_md_escape(n.display())), display=False)
        glue(f"{n.id}.range", Markdown(_md_escape(n.display_range() or n.display())), display=False)
        glue(f"{n.id}.unit", Markdown(_md_escape(n.unit)), display=False)
        glue(f"{n.id}.label", Markdown(_md_escape(n.label)), display=False)
    return {n.id: n for n in numbers}


def _md_escape(text: str) -> str:
    # Glued Markdown is parsed: escape characters that would turn data text into markup.
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return out


def numbers_table(numbers: dict, ids: Iterable[str]) -> "pd.DataFrame":
    """A small table of registered numbers (label, value, range, unit, sources) for display."""
    rows = []
    for i in ids:
        n = numbers[i]
        rows.append({"number": n.label, "value": n.display(), "range": n.display_range(), "unit": n.unit,
                     "sources": ", ".join(n.sources), "id": n.id})
    return pd.DataFrame(rows)


def show_table(frame: pd.DataFrame, caption: str | None = None) -> None:
    """Display a DataFrame as an HTML table with every cell escaped (quotes may contain markup)."""
    from IPython.display import HTML, display

    table = frame.to_html(index=False, escape=True, na_rep="", classes="data-table", border=0)
    cap = f"<p class='table-caption'>{html.escape(caption)}</p>" if caption else ""
    display(HTML(cap + table))
