"""The book's adjustable assumptions, each declared once, and the checks every computation uses.

A *parameter* is an input a reader may change (``rare-earths numbers -p cost_gap_high=0.5``, a
notebook's parameter cell). Each is declared once in :data:`PARAMETERS` with its type, default,
allowed range, unit, meaning and the chapters that use it. Defaults may be resolved from the
dataset (the market price default is the USGS 2024 NdPr oxide average read from ``prices``), so
the text, the CLI and the charts all start from the same figure.

Every public function of the computation modules (:mod:`rare_earths.analysis.shares`, ``reserves``,
``costs``, ``rebuild``, ``pipeline``, ``scenarios``) checks its inputs with the helpers here
(:func:`check_money`, :func:`check_fraction`, :func:`check_range`, ...). A bad value raises
:class:`ParameterError`, a ``ValueError`` whose message is one line naming the parameter, the
value given and what is allowed::

    cost_gap_high=7: must be a fraction between 0 and 5

Nothing here returns NaN: a value that cannot be computed raises, or is reported with an
explicit status by the function that cannot compute it.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import os
import re
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Iterable

import numpy as np

CHAPTERS = ("intro", "shares", "reserves", "cost-gap", "rebuild", "pipeline", "claims", "methods")

#: Fractions (cost gaps, shares of upside) are accepted between these bounds: a gap of 500 % is
#: already absurd; anything outside is a typing error (``40`` meant as ``0.40``).
FRACTION_MIN, FRACTION_MAX = 0.0, 5.0

#: Dates outside this window are rejected as impossible for this book.
DATE_MIN, DATE_MAX = _dt.date(1990, 1, 1), _dt.date(2100, 12, 31)

#: What ``committed_scope`` may be; see :mod:`rare_earths.analysis.rebuild` for the instrument groups.
COMMITTED_SCOPES = ("firm", "firm_conditional", "public", "all")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ParameterError(ValueError):
    """A parameter or function argument outside what is allowed. The message is one line."""


# ---------------------------------------------------------------------------------------------
# Checks used by every computation module
# ---------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """Short text for a value in an error message (``0.4``, ``nan``, ``'abc'``)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:g}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return repr(value)


def plain(value: Any) -> Any:
    """A parameter value as JSON and citations write it: dates as ISO text, the rest unchanged."""
    return value.isoformat() if isinstance(value, (_dt.date, _dt.datetime)) else value


def _fail(name: str, value: Any, allowed: str) -> ParameterError:
    return ParameterError(f"{name}={_fmt(value)}: {allowed}")


def _as_float_array(name: str, value: Any, allowed: str) -> np.ndarray:
    """``value`` as a float array (a 0-d array for a scalar); rejects non-numbers."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)) or value is None:
        raise _fail(name, value, allowed)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _fail(name, value, allowed) from None
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> float:
    return float(arr[bad].flat[0]) if arr.ndim else float(arr)


def _return(value: Any, arr: np.ndarray):
    """Return a Python float for scalar input, the float array otherwise."""
    return float(arr) if arr.ndim == 0 else arr


def check_number(name: str, value: Any, minimum: float | None = None, maximum: float | None = None,
                 *, allowed: str | None = None, exclusive_minimum: bool = False):
    """A finite number (or array of them) within ``[minimum, maximum]``; returns it as float(s).

    ``exclusive_minimum`` makes the lower bound strict (``> minimum``). ``allowed`` overrides
    the wording of the error message.
    """
    if allowed is None:
        if minimum is not None and maximum is not None:
            allowed = f"must be a finite number between {minimum:g} and {maximum:g}"
        elif minimum is not None:
            allowed = f"must be a finite number {'>' if exclusive_minimum else '>='} {minimum:g}"
        elif maximum is not None:
            allowed = f"must be a finite number <= {maximum:g}"
        else:
            allowed = "must be a finite number"
    arr = _as_float_array(name, value, allowed)
    bad = ~np.isfinite(arr)
    if minimum is not None:
        bad |= (arr <= minimum) if exclusive_minimum else (arr < minimum)
    if maximum is not None:
        bad |= arr > maximum
    if np.any(bad):
        raise _fail(name, _first_bad(arr, bad), allowed)
    return _return(value, arr)


def check_money(name: str, value: Any, *, positive: bool = False):
    """A sum of money or a price: finite and not negative (``positive``: strictly above zero)."""
    allowed = "must be a finite amount of money > 0" if positive else "must be a finite, non-negative amount of money"
    return check_number(name, value, 0.0, None, allowed=allowed, exclusive_minimum=positive)


def check_fraction(name: str, value: Any, minimum: float = FRACTION_MIN, maximum: float = FRACTION_MAX):
    """A fraction (0.35 = 35 %), by default between 0 and 5."""
    return check_number(name, value, minimum, maximum, allowed=f"must be a fraction between {minimum:g} and {maximum:g}")


def check_share_pct(name: str, value: Any):
    """A share in percent, between 0 and 100."""
    return check_number(name, value, 0.0, 100.0, allowed="must be a share in percent between 0 and 100")


def check_quantity(name: str, value: Any, *, positive: bool = False):
    """A physical quantity (tonnes, tonnes a year): finite and not negative (or > 0)."""
    allowed = "must be a finite quantity > 0" if positive else "must be a finite, non-negative quantity"
    return check_number(name, value, 0.0, None, allowed=allowed, exclusive_minimum=positive)


def check_years(name: str, value: Any):
    """A number of years: finite and strictly positive (zero years is rejected)."""
    return check_number(name, value, 0.0, None, allowed="must be a finite number of years > 0", exclusive_minimum=True)


def check_range(name_low: str, low: Any, name_high: str, high: Any) -> None:
    """``low <= high`` (element-wise for arrays); the message names both parameters."""
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    bad = lo > hi
    if np.any(bad):
        b_lo = float(np.broadcast_to(lo, bad.shape)[bad].flat[0]) if bad.ndim else float(lo)
        b_hi = float(np.broadcast_to(hi, bad.shape)[bad].flat[0]) if bad.ndim else float(hi)
        raise ParameterError(f"{name_low}={b_lo:g}, {name_high}={b_hi:g}: {name_low} must not exceed {name_high}")


def check_date(name: str, value: Any, minimum: _dt.date = DATE_MIN, maximum: _dt.date = DATE_MAX) -> _dt.date:
    """A calendar date (``date``, ``datetime``, pandas ``Timestamp`` or ``YYYY-MM-DD`` text)."""
    allowed = f"must be a date (YYYY-MM-DD) between {minimum.isoformat()} and {maximum.isoformat()}"
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise _fail(name, value, "not a valid date: " + allowed)
        try:
            day = _dt.date.fromisoformat(text)
        except ValueError:
            raise _fail(name, value, "not a valid date: " + allowed) from None
    elif isinstance(value, _dt.datetime):  # includes pandas Timestamp
        if value != value:  # NaT
            raise _fail(name, value, allowed)
        day = value.date()
    elif isinstance(value, _dt.date):
        day = value
    elif isinstance(value, np.datetime64):
        if np.isnat(value):
            raise _fail(name, value, allowed)
        day = value.astype("datetime64[D]").item()
    else:
        raise _fail(name, value, allowed)
    if not minimum <= day <= maximum:
        raise _fail(name, day, allowed)
    return day


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise _fail(name, value, f"must be one of {', '.join(choices)}")
    return value


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number within ``[minimum, maximum]``."""
    if minimum is not None and maximum is not None:
        allowed = f"must be a whole number between {minimum} and {maximum}"
    elif minimum is not None:
        allowed = f"must be a whole number >= {minimum}"
    else:
        allowed = "must be a whole number"
    if isinstance(value, (bool, np.bool_)):
        raise _fail(name, value, allowed)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != int(value):
            raise _fail(name, value, allowed)
        value = int(value)
    if not isinstance(value, (int, np.integer)):
        raise _fail(name, value, allowed)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(name, value, allowed)
    return value


# ---------------------------------------------------------------------------------------------
# Ranged results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranged:
    """A value with its low and high ends (``low <= central <= high``), in ``unit``.

    A point value has ``low == central == high``. ``bound`` says whether the central value is
    exact (``=``) or itself a bound (``<=``: an upper bound, e.g. a share of a ">" total).
    """

    low: float
    central: float
    high: float
    unit: str = ""
    bound: str = "="

    def __post_init__(self):
        for part in ("low", "central", "high"):
            check_number(part, getattr(self, part))
        if not (self.low <= self.central <= self.high):
            raise ParameterError(
                f"low={self.low:g}, central={self.central:g}, high={self.high:g}: must satisfy low <= central <= high"
            )

    @classmethod
    def point(cls, value: float, unit: str = "", bound: str = "=") -> "Ranged":
        return cls(float(value), float(value), float(value), unit, bound)

    @classmethod
    def of(cls, values: Iterable[float], central: float, unit: str = "", bound: str = "=") -> "Ranged":
        """The range spanned by ``values`` and ``central``, centred on ``central``."""
        values = [float(v) for v in values] + [float(central)]
        return cls(min(values), float(central), max(values), unit, bound)

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def as_dict(self) -> dict:
        return {"low": self.low, "central": self.central, "high": self.high, "unit": self.unit, "bound": self.bound}


# ---------------------------------------------------------------------------------------------
# Parameter declarations
# ---------------------------------------------------------------------------------------------


def build_date() -> _dt.date:
    """The build date: ``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise ParameterError(f"SOURCE_DATE_EPOCH={epoch}: must be a whole number of seconds since 1970-01-01") from None
    return _dt.datetime.now(tz=_dt.timezone.utc).date()


def usgs_ndpr_average(year: int, data=None) -> float:
    """USGS annual average NdPr oxide price (USD/kg) for ``year`` from the ``prices`` table.

    Where USGS prints a range the midpoint is used. Raises if the table has no such row.
    """
    from rare_earths.data.load import load_table

    prices = load_table("prices", data)
    sources = load_table("sources", data).set_index("source_id")
    row = _ndpr_rows(prices, "annual_average")
    usgs = sources.index[sources["producer_short"] == "USGS"]
    row = row[(row["year"] == year) & row["source_id"].isin(usgs)]
    if row.empty:
        raise ParameterError(f"year={year}: no USGS annual average NdPr oxide price in prices.csv")
    # The newest USGS edition wins where two editions print the same year.
    row = row.assign(published=row["source_id"].map(sources["date_published"])).sort_values("published").iloc[-1]
    return (float(row["price_low_usd_per_kg"]) + float(row["price_high_usd_per_kg"])) / 2


def _ndpr_rows(prices, kind: str):
    commodity = prices["commodity"].str.lower().str.replace(" ", "", regex=False)
    return prices[(prices["kind"] == kind) & commodity.str.contains("ndpr", na=False)]


def company_output(output_id: str, data=None) -> float:
    """A producer's reported output (t) from the ``company_output`` table."""
    from rare_earths.data.load import load_table

    rows = load_table("company_output", data)
    rows = rows[rows["output_id"] == output_id]
    if len(rows) != 1:
        raise ParameterError(f"output_id={output_id}: not in company_output.csv")
    return float(rows.iloc[0]["output_t"])


def dod_floor_price(data=None) -> float:
    """The DoD–MP Materials NdPr price floor (USD/kg) from the ``prices`` table."""
    from rare_earths.data.load import load_table

    rows = _ndpr_rows(load_table("prices", data), "floor")
    if len(rows) != 1:
        raise ParameterError(f"floor rows={len(rows)}: prices.csv must hold exactly one NdPr floor row")
    return float(rows.iloc[0]["price_low_usd_per_kg"])


@dataclass(frozen=True)
class Parameter:
    """One adjustable assumption.

    ``kind`` selects the check and the wording of errors: ``fraction``, ``money``, ``quantity``,
    ``years``, ``count``, ``date`` or ``choice``. ``default`` is a value or a zero-argument
    callable (resolved from the dataset when first needed). ``basis`` says where the default
    comes from; ``sources`` lists the source ids it rests on.
    """

    name: str
    type: type
    kind: str
    default: Any
    unit: str
    description: str
    chapters: tuple[str, ...]
    basis: str = ""
    sources: tuple[str, ...] = ()
    minimum: Any = None
    maximum: Any = None
    choices: tuple[str, ...] | None = None
    example: str = ""

    def __post_init__(self):
        unknown = set(self.chapters) - set(CHAPTERS)
        if unknown:  # pragma: no cover - a declaration error, caught by the tests
            raise ValueError(f"parameter {self.name}: unknown chapters {sorted(unknown)}")

    # -- what is allowed ----------------------------------------------------------------------
    @property
    def allowed(self) -> str:
        """Human wording of what the parameter accepts (used in errors and listings)."""
        upto = "" if self.maximum is None or self.kind in ("fraction", "years", "count", "date") else f" up to {self.maximum:,.0f}"
        if self.kind == "fraction":
            return f"a fraction between {self.minimum:g} and {self.maximum:g}"
        if self.kind == "money":
            return f"a finite, non-negative amount in {self.unit}{upto}"
        if self.kind == "money_positive":
            return f"a finite amount > 0 in {self.unit}{upto}"
        if self.kind == "quantity":
            return f"a finite, non-negative quantity in {self.unit}{upto}"
        if self.kind == "years":
            return f"a whole number of years between {self.minimum} and {self.maximum}"
        if self.kind == "count":
            return f"a whole number between {self.minimum} and {self.maximum}"
        if self.kind == "date":
            return f"a date (YYYY-MM-DD) between {self.minimum.isoformat()} and {self.maximum.isoformat()}"
        if self.kind == "choice":
            return f"one of {', '.join(self.choices or ())}"
        raise AssertionError(self.kind)  # pragma: no cover

    def check(self, value: Any) -> Any:
        """Validate an already typed value; returns it normalised (float, int, date or str).

        Raises :class:`ParameterError` ``"NAME=VALUE: must be ..."`` otherwise.
        """
        name = self.name
        if self.kind in ("fraction", "money", "money_positive", "quantity"):
            minimum = 0.0 if self.minimum is None else self.minimum
            return check_number(name, value, minimum, self.maximum, allowed="must be " + self.allowed,
                                exclusive_minimum=self.kind == "money_positive")
        if self.kind in ("years", "count"):
            try:
                return check_int(name, value, self.minimum, self.maximum)
            except ParameterError:
                raise _fail(name, value, "must be " + self.allowed) from None
        if self.kind == "date":
            return check_date(name, value, self.minimum, self.maximum)
        if self.kind == "choice":
            return check_choice(name, value, self.choices or ())
        raise AssertionError(self.kind)  # pragma: no cover

    def parse(self, text: str) -> Any:
        """Convert the text of ``NAME=VALUE`` to a checked, typed value."""
        raw = text.strip()
        if raw == "":
            raise ParameterError(f"{self.name}=: missing value (expected {self.allowed}{self._eg()})")
        if self.type is float:
            try:
                value = float(raw.replace("_", ""))
            except ValueError:
                raise _fail(self.name, raw, f"not a number (expected {self.allowed})") from None
        elif self.type is int:
            try:
                value = float(raw.replace("_", ""))
            except ValueError:
                raise _fail(self.name, raw, f"not a whole number (expected {self.allowed})") from None
        elif self.type is _dt.date:
            value = raw  # check_date parses and rejects 2025-02-30
        else:
            value = raw
        return self.check(value)

    def _eg(self) -> str:
        return f", e.g. {self.name}={self.example}" if self.example else ""

    def resolve_default(self) -> Any:
        value = self.default() if callable(self.default) else self.default
        return self.check(value)

    def as_dict(self) -> dict:
        default = self.default if not callable(self.default) else None
        return {
            "name": self.name,
            "type": self.type.__name__,
            "kind": self.kind,
            "default": plain(default),
            "default_from_data": callable(self.default),
            "unit": self.unit,
            "allowed": self.allowed,
            "description": self.description,
            "basis": self.basis,
            "sources": list(self.sources),
            "chapters": list(self.chapters),
        }


def _market_price_default() -> float:
    return usgs_ndpr_average(2024)


def _china_cost_default() -> float:
    return usgs_ndpr_average(2024)


_MONEY_MAX = 1e6  # USD/kg: nothing rare-earth costs a thousand dollars a gram
_VOLUME_MAX = 1e7  # t/yr: 25 times world mine production (390,000 t REO in 2025e)
_BN_MAX = 1e5  # USD bn: a hundred trillion dollars

_DECLARATIONS = (
    Parameter(
        "cost_gap_low", float, "fraction", 0.30, "fraction",
        "Low end of the US cost disadvantage in rare-earth separation (0.30 = US costs 30 % more than China's).",
        ("cost-gap", "claims", "intro"),
        basis="The seed article's '30–40% higher' (SMM, 2025-09-18); no authority gives a figure.",
        sources=("smm_2025_09_18",), minimum=FRACTION_MIN, maximum=FRACTION_MAX, example="0.25",
    ),
    Parameter(
        "cost_gap_high", float, "fraction", 0.40, "fraction",
        "High end of the US cost disadvantage in rare-earth separation (0.40 = 40 % more).",
        ("cost-gap", "claims", "intro"),
        basis="The seed article's '30–40% higher' (SMM, 2025-09-18); no authority gives a figure.",
        sources=("smm_2025_09_18",), minimum=FRACTION_MIN, maximum=FRACTION_MAX, example="0.5",
    ),
    Parameter(
        "china_cost_usd_per_kg", float, "money", _china_cost_default, "USD/kg NdPr oxide",
        "ASSUMPTION, not a fact: China's unit cost of producing separated NdPr oxide. No authority "
        "publishes one. The default is the USGS 2024 average NdPr oxide price (USD 55/kg), taken as a "
        "ceiling on Chinese cost: 2024 was the lowest annual average since 2020 and Chinese producers "
        "kept supplying at it. The true cost is probably lower; try lower values.",
        ("cost-gap", "methods"),
        basis="Proxy: USGS MCS 2026 annual average NdPr oxide price, 2024 (a ceiling, not a measured cost).",
        sources=("usgs_mcs_2026_ree",), maximum=_MONEY_MAX, example="40",
    ),
    Parameter(
        "floor_price_usd_per_kg", float, "money", lambda: dod_floor_price(), "USD/kg NdPr oxide",
        "The NdPr oxide price floor the US Department of Defense guarantees MP Materials for ten years.",
        ("cost-gap", "claims", "intro"),
        basis="MP Materials press release and 8-K, 2025-07-10: USD 110/kg.",
        sources=("mp_2025_07_10_dod",), maximum=_MONEY_MAX, example="110",
    ),
    Parameter(
        "market_price_usd_per_kg", float, "money", _market_price_default, "USD/kg NdPr oxide",
        "The NdPr oxide market price the floor is compared with. Default: the USGS 2024 annual average.",
        ("cost-gap", "claims"),
        basis="USGS MCS 2026, NdPr oxide annual average price 2024 (Argus): USD 55/kg.",
        sources=("usgs_mcs_2026_ree",), maximum=_MONEY_MAX, example="69",
    ),
    Parameter(
        "volume_t", float, "quantity", lambda: company_output("mp_2024_ndpr_oxide"), "t/yr NdPr oxide",
        "Annual volume the cost gap and the floor top-up apply to. Default: MP Materials' 2024 NdPr oxide output.",
        ("cost-gap",),
        basis="MP Materials full-year 2024 results (2025-02-20): 1,294 t NdPr oxide.",
        sources=("mp_2024_results",), maximum=_VOLUME_MAX, example="10000",
    ),
    Parameter(
        "dod_upside_share", float, "fraction", 0.30, "fraction",
        "Share of the upside the DoD takes when the market price is above the floor.",
        ("cost-gap",),
        basis="MP Materials press release, 2025-07-10: DoD takes 30 % of the upside above the floor.",
        sources=("mp_2025_07_10_dod",), minimum=0.0, maximum=1.0, example="0.3",
    ),
    Parameter(
        "rebuild_total_usd_bn", float, "money_positive", 200.0, "USD bn",
        "Investment needed to rebuild a complete non-Chinese rare-earth chain (the article says 'over $200 billion').",
        ("rebuild", "claims", "intro"),
        basis="The seed article (SMM, 2025-09-18); not found in authoritative sources: the article's estimate.",
        sources=("smm_2025_09_18",), maximum=_BN_MAX, example="300",
    ),
    Parameter(
        "rebuild_years", int, "years", 15, "years",
        "Years the rebuild takes (the article says 15).",
        ("rebuild", "claims", "intro"),
        basis="The seed article (SMM, 2025-09-18); not found in authoritative sources: the article's estimate.",
        sources=("smm_2025_09_18",), minimum=1, maximum=100, example="20",
    ),
    Parameter(
        "committed_scope", str, "choice", "all", "",
        "Which announced money counts as committed: firm (equity, loans, grants, incentives), "
        "firm_conditional (+ conditional loans), public (+ government grant programmes), "
        "all (+ private financing and capex).",
        ("rebuild",),
        basis="The book's choice: 'all' shows the most generous reading of the money announced.",
        choices=COMMITTED_SCOPES, example="firm",
    ),
    Parameter(
        "as_of", _dt.date, "date", build_date, "date",
        "The date at which money is counted and promises are judged. Default: the build date "
        "(SOURCE_DATE_EPOCH if set, else today).",
        ("rebuild", "pipeline", "claims"),
        basis="Build date.", minimum=DATE_MIN, maximum=DATE_MAX, example="2026-06-30",
    ),
    Parameter(
        "due_window_days", int, "count", 90, "days",
        "A promise whose target date is at most this many days ahead is 'due' rather than 'pending'.",
        ("pipeline",),
        basis="The book's choice: about a quarter.", minimum=0, maximum=3650, example="180",
    ),
)

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _DECLARATIONS}

#: Cross-parameter rules: (low, high) pairs that must satisfy low <= high.
RANGE_PAIRS = (("cost_gap_low", "cost_gap_high"),)


def get_parameter(name: str) -> Parameter:
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ParameterError(_unknown(name)) from None


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown parameter {name!r}{hint}; known parameters: {', '.join(PARAMETERS)}"


def chapter_parameters(chapter: str) -> list[Parameter]:
    """The parameters a chapter uses, in declaration order."""
    check_choice("chapter", chapter, CHAPTERS)
    return [p for p in PARAMETERS.values() if chapter in p.chapters]


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
    values, out-of-range values and broken cross-parameter rules (``cost_gap_low <= cost_gap_high``,
    checked against the defaults of the parameters not given). A name given twice keeps the last.
    """
    out: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise ParameterError(f"{text!r}: expected NAME=VALUE (e.g. cost_gap_high=0.5)")
        name, _, value = text.partition("=")
        name = name.strip()
        if not name:
            raise ParameterError(f"{text!r}: missing parameter name before '='")
        out[name] = get_parameter(name).parse(value)
    _check_cross_with_defaults(out)
    return out


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

    def __init__(self, overrides: dict | None = None):
        given = check_overrides(overrides)
        _check_cross_with_defaults(given)
        self._values: dict[str, Any] = dict(given)

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            if name not in PARAMETERS:
                raise KeyError(name)
            self._values[name] = PARAMETERS[name].resolve_default()
        return self._values[name]

    def __iter__(self):
        return iter(PARAMETERS)

    def __len__(self) -> int:
        return len(PARAMETERS)

    def __repr__(self) -> str:
        return f"ResolvedParameters(resolved so far: {self._values!r})"


def resolve_lazily(overrides: dict | None = None) -> ResolvedParameters:
    """The checked overrides, with every other parameter's default resolved on first read."""
    return ResolvedParameters(overrides)


def defaults() -> dict:
    """Every parameter's default value (resolved from the data where declared so)."""
    return resolve({})
