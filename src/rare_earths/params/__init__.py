"""Adjustable assumptions: declared once, checked with one-line errors, resolved lazily.

* :mod:`rare_earths.params.checks`: ``check_number``, ``check_fraction``, ... and
  :class:`ParameterError` (what every computation uses to check its inputs);
* :mod:`rare_earths.params.declarations`: :data:`PARAMETERS`, one :class:`Parameter` each;
* :mod:`rare_earths.params.resolve`: ``NAME=VALUE`` parsing, cross-parameter rules and lazy
  resolution of defaults (a default read from the data is read only when asked for).
"""

from rare_earths import CHAPTERS
from rare_earths.params.checks import (
    DATE_MAX, DATE_MIN, FRACTION_MAX, FRACTION_MIN, ParameterError, check_choice, check_date, check_fraction,
    check_int, check_money, check_number, check_quantity, check_range, check_share_pct, check_years, plain,
)
from rare_earths.params.declarations import (
    COMMITTED_SCOPES, PARAMETERS, RANGE_PAIRS, Parameter, build_date, data_checked_to, dod_floor_price, mp_ndpr_output_2024,
    usgs_ndpr_average_price,
)
from rare_earths.params.resolve import (
    ResolvedParameters, chapter_parameters, check_chapter_overrides, check_cross, check_overrides, defaults, get_parameter, non_default,
    parse_assignments, resolve, resolve_lazily,
)

__all__ = [
    "CHAPTERS", "COMMITTED_SCOPES", "DATE_MAX", "DATE_MIN", "FRACTION_MAX", "FRACTION_MIN", "PARAMETERS", "RANGE_PAIRS",
    "Parameter", "ParameterError", "ResolvedParameters", "build_date", "data_checked_to", "chapter_parameters", "check_chapter_overrides", "check_choice",
    "check_cross", "check_date", "check_fraction", "check_int", "check_money", "check_number", "check_overrides",
    "check_quantity", "check_range", "check_share_pct", "check_years", "defaults", "dod_floor_price",
    "get_parameter", "mp_ndpr_output_2024", "non_default", "parse_assignments", "plain", "resolve", "resolve_lazily",
    "usgs_ndpr_average_price",
]
