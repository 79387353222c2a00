"""The one glue channel from the package to the prose.

Numbers in prose are never typed. A chapter glues the registry's numbers with
:func:`glue_numbers` and the text uses ``{glue:md}`ID``` (the value as the registry displays
it), ``{glue:md}`ID.range``` (its low–high range), ``{glue:md}`ID.ordinal``` (a rank: ``5th``)
or ``{glue:md}`ID.plain``` (a bounded value without its bound, for prose that words the bound:
"up to ..."). Dates and words (a status, a scope, the book's version) go through
:func:`glue_text`, as :class:`~rare_earths.format.TextFact` objects that say what kind of text
they are and which registry numbers they embed. Both escape the same way, and both use
myst-nb's public ``glue``, so what the book prints and what ``rare-earths numbers`` prints
cannot disagree.

A chapter glues only the numbers its Markdown uses: ``glue_numbers(..., page="intro")`` reads the
keys from ``_glue/intro.json`` beside the notebook (written by ``scripts/generate.py`` from the
chapter's Markdown, see :func:`referenced_keys`; the build re-executes the chapter when that list
changes, not when other prose does). Each glued value is one message from the kernel to the
notebook (about a millisecond each); the intro's domains hold some 580 keys, its text uses 32.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Iterable

from rare_earths.format import TextFact
from rare_earths.params import PARAMETERS

#: A glue role in MyST Markdown and the key it names (``{glue:md}`KEY``` or ``{glue}`KEY:format```).
GLUE_ROLE = re.compile(r"\{glue(?::md|:text)?\}`([^`<>]+?)(?::[^`]*)?`")

#: The folder beside the chapters that holds each chapter's glued keys (``_glue/<chapter>.json``).
GLUE_KEYS_FOLDER = "_glue"

#: What :func:`glue_numbers` can glue per number, and what it glues unless asked.
GLUE_PARTS = ("value", "range", "unit", "label")
DEFAULT_GLUE_PARTS = ("value", "range")


def _overrides(params: dict | None) -> dict:
    return {k: v for k, v in (params or {}).items() if k in PARAMETERS}


def referenced_keys(notebook: dict) -> list[str]:
    """The glue keys a notebook's Markdown cells use (plain notebook JSON), in order of first use."""
    keys: list[str] = []
    for cell in notebook.get("cells", ()):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            keys += [k.strip() for k in GLUE_ROLE.findall(source if isinstance(source, str) else "".join(source))]
    return list(dict.fromkeys(keys))


def page_keys(page: str, folder: str | Path = ".") -> set[str] | None:
    """The keys chapter ``page`` glues (``_glue/<page>.json`` under ``folder``, the notebook's own folder
    when it runs); None when there is no such list (a chapter run outside the book glues everything)."""
    path = Path(folder) / GLUE_KEYS_FOLDER / f"{page}.json"
    try:
        keys = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"{path}: not a list of glue keys (run python scripts/generate.py)")
    return set(keys)


def glue_numbers(params: dict | None = None, ids: Iterable[str] | None = None,
                 domains: Iterable[str] | None = None, parts: Iterable[str] = DEFAULT_GLUE_PARTS,
                 page: str | None = None) -> dict:
    """Compute the registry under ``params`` and glue each number (display only in the page text).

    ``domains`` (``["costs"]``) computes only those parts of the registry, so the chapter reads
    only the tables they need: the build then re-executes it only when one of those changes.
    ``ids`` selects numbers (and implies their domains). Everything when both are None.

    Keys glued per number ``ID``: ``ID`` (value with bound, e.g. ``>13.3``) and ``ID.range``
    (``1.2–4.4``, or the value when not ranged); ranks also ``ID.ordinal`` and bounded numbers
    ``ID.plain``; with ``parts`` also ``ID.unit`` and ``ID.label``. ``page`` (the chapter's name):
    only the keys its Markdown uses are glued (:func:`page_keys`). Returns ``{id: KeyNumber}`` (every
    number computed, glued or not) so a chapter can also use the numbers in code.
    """
    parts = tuple(parts)
    unknown = [p for p in parts if p not in GLUE_PARTS]
    if unknown:
        raise ValueError(f"parts={unknown}: glue_numbers glues {', '.join(GLUE_PARTS)}")
    from rare_earths.numbers import compute_numbers, domains_of, select
    from rare_earths.numbers.model import shared_store

    ids = list(ids) if ids else None
    if domains is None and ids:
        domains = domains_of(ids)
    # The process's store: the chapter's figures then reuse what its numbers derived from the data.
    numbers = select(compute_numbers(_overrides(params), domains=domains, store=shared_store()), ids)
    used = page_keys(page) if page else None
    for n in numbers:
        for key, text in number_glue(n, parts).items():
            if used is None or key in used:
                glue_markdown(key, escape_markdown(text))
    return {n.id: n for n in numbers}


def typeset(text: str) -> str:
    """A displayed number as prose prints it: ``<=``/``>=`` as ``≤``/``≥``, a minus sign, not a hyphen.

    ``typeset("<=58.7")`` → ``"≤58.7"``, ``typeset("-15,000,000")`` → ``"−15,000,000"``. The CLI
    and JSON keep the ASCII forms (scripts parse them)."""
    import re

    text = str(text).replace("<=", "\u2264").replace(">=", "\u2265")
    return re.sub(r"(?<![\w.])-(?=\d)", "\u2212", text)


def number_glue(n, parts: Iterable[str] = DEFAULT_GLUE_PARTS) -> dict[str, str]:
    """The glue keys of one number and their text (see :func:`glue_numbers`), typeset for prose."""
    out = {}
    for part in parts:
        if part == "value":
            out[n.id] = typeset(n.display())
        elif part == "range":
            out[f"{n.id}.range"] = typeset(n.display_range() or n.display())
        else:
            out[f"{n.id}.{part}"] = n.unit if part == "unit" else n.label
    if n.unit == "rank" and n.value is not None:
        out[f"{n.id}.ordinal"] = n.display_ordinal()
    if n.bound != "=" and n.value is not None:
        out[f"{n.id}.plain"] = typeset(n.display_plain())
    return out


def glue_text(facts: Iterable[TextFact]) -> dict[str, str]:
    """Glue dates and words for the prose (escaped Markdown, shown only where the prose uses them)."""
    out = {}
    for fact in facts:
        if not isinstance(fact, TextFact):
            raise TypeError(f"glue_text takes TextFact objects, not {type(fact).__name__} (key {fact!r})")
        glue_markdown(fact.key, escape_markdown(fact.text))
        out[fact.key] = fact.text
    return out


def glue_markdown(name: str, markdown: str) -> None:
    """Glue Markdown under ``name`` for ``{glue:md}`name``` (myst-nb's own ``glue``, not displayed)."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(markdown), display=False)


def escape_markdown(text: str) -> str:
    """Glued Markdown is parsed: escape the characters that would turn data text into markup."""
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return out
