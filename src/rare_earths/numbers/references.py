"""Fill in the references of a text field, key numbers included (see :mod:`rare_earths.data.references`).

``{number:ID}`` is key number ``ID`` at the default parameters, as the registry displays it: the
text states what the data says (the floor over the 2024 price), whatever parameters a run sets.
An unknown id fails loudly (:class:`~rare_earths.numbers.UnknownNumberError`).
"""

from __future__ import annotations

import functools
import os

from rare_earths.data.references import REFERENCE, expand_data_references


@functools.cache
def _default_display(number_id: str, folder: str) -> str:
    from rare_earths.numbers.registry import get_number

    return get_number(number_id, {}, folder).display()


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
