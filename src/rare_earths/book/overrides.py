"""Prose about a value the analyst may change: stated as a default where it is one, as the
analyst's own value where it was set.

Prose such as "55.00 USD/kg by default: the USGS 2024 average price" is true only at the
default. :func:`setting_facts` glues, for a key number that *is* a parameter (its formula is
``parameter NAME``), one text that says the value and where it comes from:

* at the default: ``55.00 USD/kg, the USGS 2024 average NdPr oxide price, ...`` (the basis given);
* set for the run: ``40.00 USD/kg (set for this run; the default is 55.00 USD/kg, the USGS 2024
  average NdPr oxide price, ...)``, so an override is never presented as a sourced fact.

Both values are displayed by the registry's own rules (the number's decimals and bound).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from rare_earths.format import TextFact
from rare_earths.params import PARAMETERS


def _parameter_of(n) -> str:
    if len(n.parameters) != 1 or not n.formula.startswith(f"parameter {n.parameters[0]}"):
        raise ValueError(f"setting_facts: {n.id} is not a parameter's own number (formula {n.formula!r})")
    return n.parameters[0]


def _scale(n, name: str) -> float:
    """How the number is the parameter: ``parameter cancellation_rate x 100`` prints a fraction as %."""
    match = re.match(rf"parameter {re.escape(name)} x (\d+(?:\.\d+)?)\b", n.formula)
    return float(match.group(1)) if match else 1.0


def setting_text(n, value, unit_words: str, basis: str) -> str:
    """The text for key number ``n`` when its parameter has ``value`` (see the module docstring)."""
    name = _parameter_of(n)
    default = PARAMETERS[name].resolve_default()
    shown = f"{n.display()} {unit_words}"
    if value == default:
        return f"{shown}, {basis}"
    default_shown = dataclasses.replace(n, value=float(default) * _scale(n, name), low=None, high=None).display()
    return f"{shown} (set for this run; the default is {default_shown} {unit_words}, {basis})"


def setting_facts(params, numbers: dict, settings: Iterable[tuple[str, ...]]) -> list[TextFact]:
    """One ``ID.as_set`` fact per ``(number id, unit words, basis of the default)``; a fourth item
    names the fact instead (``ID.<name>``: a shorter basis for a bottom line, say).

    ``params`` are the chapter's resolved parameters, ``numbers`` what :func:`glue_numbers`
    returned. Glue them with :func:`rare_earths.book.glue_text`.
    """
    facts = []
    for setting in settings:
        number_id, unit_words, basis = setting[:3]
        name = setting[3] if len(setting) > 3 else "as_set"
        n = numbers[number_id]
        value = params[_parameter_of(n)]
        facts.append(TextFact(f"{number_id}.{name}", setting_text(n, value, unit_words, basis), "words", (number_id,)))
    return facts
