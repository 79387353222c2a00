"""From ``NAME=VALUE`` text and overrides to checked, resolved parameter values."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Iterable

from rare_earths import CHAPTERS
from rare_earths.params.checks import ParameterError, check_choice, check_range, plain
from rare_earths.params.declarations import PARAMETERS, RANGE_PAIRS, Parameter

def get_parameter(name: str) -> Parameter:
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ParameterError(_unknown(name)) from None


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.6) if len(name) < 100 else []
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown parameter {_short(name)!r}{hint}; known parameters: {', '.join(PARAMETERS)}"


def chapter_parameters(chapter: str) -> list[Parameter]:
    """The parameters a chapter uses, in declaration order."""
    check_choice("chapter", chapter, CHAPTERS)
    return [p for p in PARAMETERS.values() if chapter in p.chapters]


def check_chapter_overrides(chapter: str, overrides: Mapping[str, Any]) -> None:
    """Reject overrides that name a parameter the chapter does not take (with a suggestion)."""
    names = [p.name for p in chapter_parameters(chapter)]
    for name in overrides:
        if name in names:
            continue
        get_parameter(name)  # unknown anywhere: raises with its own suggestion
        allowed = ", ".join(names) if names else "none"
        raise ParameterError(f"{name}: not a parameter of chapter {chapter!r} (it takes: {allowed})")


def check_cross(values: dict) -> None:
    """Cross-parameter rules on a dict of typed values (pairs not both present are skipped)."""
    for low, high in RANGE_PAIRS:
        if low in values and high in values:
            check_range(low, values[low], high, values[high])


def check_overrides(overrides: dict | None) -> dict:
    """Check a dict of typed overrides: known names, each value allowed. Returns normalised values."""
    out = {}
    for name, value in (overrides or {}).items():
        out[name] = get_parameter(name).check(value)
    return out


def parse_assignments(assignments: Iterable[str]) -> dict:
    """``["cost_gap_high=0.5", "as_of=2026-06-30"]`` -> ``{"cost_gap_high": 0.5, "as_of": date(2026, 6, 30)}``.

    Rejects text without ``=``, unknown names (suggesting the closest), missing or malformed
    values, out-of-range values, a name given twice (which value was meant?) and broken
    cross-parameter rules (``cost_gap_low <= cost_gap_high``, checked against the defaults of the
    parameters not given).
    """
    out: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise ParameterError(f"{_short(text)!r}: expected NAME=VALUE (e.g. cost_gap_high=0.5)")
        name, _, value = text.partition("=")
        name = name.strip()
        if not name:
            raise ParameterError(f"{_short(text)!r}: missing parameter name before '='")
        parameter = get_parameter(name)
        if name in out:
            raise ParameterError(f"{name} is given twice ({name}={_short(value)} after {name}={plain(out[name])}): "
                                 "give each parameter once")
        out[name] = parameter.parse(value)
    _check_cross_with_defaults(out)
    return out


def _short(text: str) -> str:
    from rare_earths.params.checks import _fmt

    return _fmt(text.strip())


def _check_cross_with_defaults(given: dict) -> None:
    values = dict(given)
    for low, high in RANGE_PAIRS:
        if low in given or high in given:
            for name in (low, high):
                if name not in values:
                    values[name] = PARAMETERS[name].resolve_default()
    check_cross(values)


def resolve(overrides: dict | None = None) -> dict:
    """All parameters: the checked overrides plus every other parameter's default."""
    given = check_overrides(overrides)
    values = {name: given[name] if name in given else p.resolve_default() for name, p in PARAMETERS.items()}
    check_cross(values)
    return values


class ResolvedParameters(Mapping):
    """Like :func:`resolve`, but each default is resolved when first read.

    Overrides are checked (names, values, cross-parameter rules) at once; a default read from
    the data (``market_price_usd_per_kg`` from ``prices``, ...) is computed only if a
    computation asks for it, so a chapter that needs two parameters reads no other table.
    Iterating resolves every parameter (``dict(resolve_lazily(x)) == resolve(x)``).
    """

    def __init__(self, overrides: dict | None = None, defaults: dict | None = None):
        given = check_overrides(overrides)
        _check_cross_with_defaults(given)
        self._values: dict[str, Any] = dict(given)
        self._defaults = {} if defaults is None else defaults

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            if name not in PARAMETERS:
                raise KeyError(name)
            if name not in self._defaults:
                self._defaults[name] = PARAMETERS[name].resolve_default()
            self._values[name] = self._defaults[name]
        return self._values[name]

    def __iter__(self):
        return iter(PARAMETERS)

    def __len__(self) -> int:
        return len(PARAMETERS)

    def __repr__(self) -> str:
        return f"ResolvedParameters(resolved so far: {self._values!r})"


def resolve_lazily(overrides: dict | None = None, defaults: dict | None = None) -> ResolvedParameters:
    """The checked overrides, with every other parameter's default resolved on first read.

    ``defaults``: a dict the resolved defaults are kept in and read from, shared by many
    resolutions on the same data (a sweep reads each default from the data once)."""
    return ResolvedParameters(overrides, defaults)


def defaults() -> dict:
    """Every parameter's default value (resolved from the data where declared so)."""
    return resolve({})


def non_default(params: Mapping, names: Iterable[str]) -> dict:
    """The subset of ``params`` among ``names`` that differs from the declared defaults (plain values)."""
    return {k: plain(params[k]) for k in names if k in params and params[k] != PARAMETERS[k].resolve_default()}
