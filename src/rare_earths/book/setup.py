"""How a chapter takes its parameters.

A chapter notebook has one cell tagged ``parameters`` that assigns each parameter declared for
it in :mod:`rare_earths.params` (``None`` stands for "the declared default", used where the
default is read from the data, such as the date the data was checked to). Its next code cell calls::

    P = chapter_setup("cost-gap", globals())

which validates every value at once (a bad value raises one :class:`ParameterError` line naming
the parameter, the value and what is allowed) and returns the resolved parameters as a dict.
``rare-earths run`` validates the same way before any kernel starts.
"""

from __future__ import annotations

from typing import Any, Mapping

from rare_earths.params import chapter_parameters, check_chapter_overrides, check_cross  # noqa: F401  (re-exported)


def chapter_setup(chapter: str, namespace: Mapping[str, Any]) -> dict:
    """Validate a chapter's parameters taken from ``namespace`` (a notebook's ``globals()``).

    ``None`` means the declared default. Returns ``{name: value}`` for the chapter's parameters,
    fully resolved (defaults filled, types normalised, cross-parameter rules checked).
    """
    values = {}
    for param in chapter_parameters(chapter):
        given = namespace.get(param.name)
        if given is None:
            values[param.name] = param.resolve_default()
        elif isinstance(given, str) and param.type is not str:
            values[param.name] = param.parse(given)  # papermill/CLI text such as "2026-06-30"
        else:
            values[param.name] = param.check(given)
    check_cross(values)
    return values
