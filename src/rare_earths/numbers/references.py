"""Fill in the references of a text field, key numbers included (see :mod:`rare_earths.data.references`).

``{number:ID}`` is key number ``ID`` at the default parameters, as the registry displays it: the
text states what the data says (the floor over the 2024 price), whatever parameters a run sets.
``{number:ID.range}`` is its low–high range (its value if it has none) and ``{number:ID.plain}``
its value without the bound sign, for text that words the bound ("at most ..."), as the
chapters' ``{glue:md}`` roles do. An unknown id fails loudly
(:class:`~rare_earths.numbers.UnknownNumberError`).
"""

from __future__ import annotations

import os

from rare_earths.data.references import REFERENCE, expand_data_references


#: Suffixes of ``{number:ID.SUFFIX}`` and how each displays the number.
_SUFFIXES = {
    "range": lambda n: n.display_range() or n.display(),
    "plain": lambda n: n.display_plain(),
}


def _default_numbers(number_id: str, folder: str) -> list:
    """The numbers of ``number_id``'s domain at the default parameters, computed once per domain
    and data folder (kept in the process's store, which ``load.clear_cache`` renews with the tables)."""
    from rare_earths.numbers.model import shared_store
    from rare_earths.numbers.registry import compute_numbers, domains_of

    store = shared_store(folder)
    domains = domains_of([number_id])  # raises for an id of no domain
    key = ("references.default_numbers",) + tuple(domains)
    if key not in store.derived:
        store.derived[key] = compute_numbers({}, folder, domains, store=store)
    return store.derived[key]


def _default_display(key: str, folder: str) -> str:
    from rare_earths.numbers.registry import select

    number_id, _, suffix = key.rpartition(".")
    if suffix not in _SUFFIXES:
        number_id, suffix = key, ""
    n = select(_default_numbers(number_id, folder), [number_id])[0]  # an unknown id: the registry's error
    return _SUFFIXES[suffix](n) if suffix else n.display()


def expand_references(text, data: str | os.PathLike | None = None):
    """``text`` with every reference filled in from the data and the registry (other values unchanged)."""
    if not isinstance(text, str) or "{" not in text:
        return text
    from rare_earths.data.load import data_dir

    folder = str(data_dir(data))
    text = expand_data_references(text, data)

    def fill(match):
        kind, key = match.groups()
        return _default_display(key, folder) if kind == "number" else match.group(0)

    return REFERENCE.sub(fill, text)
