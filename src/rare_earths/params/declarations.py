"""The book's adjustable assumptions, each declared once.

A *parameter* is an input a reader may change (``rare-earths numbers -p cost_gap_high=0.5``, a
notebook's parameter cell). Each is declared once in :data:`PARAMETERS` with its type, default,
allowed range, unit, meaning and the chapters that use it. A default may be read from the
dataset (the market price default is the USGS 2024 NdPr oxide average in ``prices``, through
:mod:`rare_earths.data.queries`), so the text, the CLI and the charts start from the same figure.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Any

from rare_earths import CHAPTERS
from rare_earths.params.checks import (
    DATE_MAX, DATE_MIN, ECHO_MAX, FRACTION_MAX, FRACTION_MIN, NUMBER_TEXT, SIGNIFICANT_DIGITS_MAX, SMALLEST_NONZERO,
    ParameterError, _fail, check_choice, check_date, check_int, check_number, plain,
)

#: What ``committed_scope`` may be; see :mod:`rare_earths.analysis.rebuild` for the instrument groups.
COMMITTED_SCOPES = ("firm", "firm_conditional", "public", "all")


def build_date() -> _dt.date:
    """The day the book is built ("built on"; no number depends on it): ``SOURCE_DATE_EPOCH``
    (reproducible builds) if set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise ParameterError(f"SOURCE_DATE_EPOCH={epoch}: must be a whole number of seconds since 1970-01-01") from None
    return _dt.datetime.now(tz=_dt.timezone.utc).date()


def data_checked_to() -> _dt.date:
    """The date the dataset was checked to (``data/checked.json``): the default of ``as_of``."""
    from rare_earths.data.load import data_checked_to as checked

    return checked()


def _tables(*names: str) -> list:
    from rare_earths.data.load import load_table

    return [load_table(name) for name in names]


def _per_data(compute):
    """``compute``, remembered for each data folder and load of its tables (a default read from the
    tables is asked for by every chapter setup, figure title and registry context of a process: the
    reference class behind two of them takes a tenth of a second to derive)."""
    import functools

    seen: dict = {}

    @functools.wraps(compute)
    def remembered(*args):
        from rare_earths.data.load import loaded_key

        key = (loaded_key(), args)
        if key not in seen:
            seen[key] = compute(*args)
        return seen[key]

    return remembered


@_per_data
def usgs_ndpr_average_price(year: int) -> float:
    """The USGS annual average NdPr oxide price for ``year`` (USD/kg), from ``prices``."""
    from rare_earths.data import queries

    return float(queries.usgs_ndpr_average(*_tables("prices", "sources"), year)["price_usd_per_kg"])


@_per_data
def dod_floor_price() -> float:
    """The DoD–MP Materials NdPr price floor (USD/kg), from ``prices``."""
    from rare_earths.data import queries

    return float(queries.floor_row(*_tables("prices"))["price_low_usd_per_kg"])


@_per_data
def mp_ndpr_output_2024() -> float:
    """MP Materials' reported 2024 NdPr oxide output (t), from ``company_output``."""
    from rare_earths.data import queries

    return queries.company_output(*_tables("company_output"), "mp_2024_ndpr_oxide")


@dataclass(frozen=True)
class Parameter:
    """One adjustable assumption.

    ``kind`` selects the check and the wording of errors: ``fraction``, ``money``, ``quantity``,
    ``years``, ``duration`` (years, not whole), ``multiplier``, ``count``, ``date`` or ``choice``. ``default`` is a value or a zero-argument
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
        upto = "" if self.maximum is None or self.kind in ("fraction", "years", "count", "date", "duration", "multiplier") \
            else f" up to {self.maximum:,.0f}"
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
        if self.kind == "duration":
            return f"a number of years between {self.minimum:g} and {self.maximum:g}"
        if self.kind == "multiplier":
            return f"a multiplier between {self.minimum:g} and {self.maximum:g}"
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
        if self.kind in ("fraction", "money", "money_positive", "quantity", "duration", "multiplier"):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0 \
                    and abs(value) < SMALLEST_NONZERO:
                raise _fail(name, value, f"too small to mean anything: must be 0 or at least {SMALLEST_NONZERO:g} "
                                         f"in size (expected {self.allowed})")
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
        if self.type in (float, int):
            value = self._parse_number(raw)
        elif self.type is _dt.date:
            value = raw  # check_date parses and rejects 2025-02-30
        else:
            value = raw
        return self.check(value)

    def _parse_number(self, raw: str) -> float:
        """The text of a number, refused with the parameter's name and range unless it is plain."""
        whole = self.type is int
        expected = f"expected {self.allowed}"
        if len(raw) > ECHO_MAX:
            raise _fail(self.name, raw, f"too long for a number (expected {self.allowed})")
        if raw.strip("+-").lower() in ("nan", "inf", "infinity"):
            return float(raw)  # a number, but not a finite one: the range check says so
        if not NUMBER_TEXT.match(raw):
            what = "not a whole number" if whole else "not a number"
            if "," in raw:
                what += " (a decimal comma? write 1.5, with no thousands separator)"
            raise _fail(self.name, raw, f"{what} ({expected})")
        value = float(raw.replace("_", ""))
        if value != 0 and abs(value) < SMALLEST_NONZERO:
            raise _fail(self.name, raw, f"too small to mean anything: must be 0 or at least {SMALLEST_NONZERO:g} "
                                        f"in size ({expected})")
        mantissa = raw.replace("_", "").lstrip("+-").split("e")[0].split("E")[0].replace(".", "").lstrip("0")
        if len(mantissa.rstrip("0") if "." in raw else mantissa) > SIGNIFICANT_DIGITS_MAX:
            raise _fail(self.name, raw, f"more than {SIGNIFICANT_DIGITS_MAX} significant digits ({expected})")
        return value

    def _eg(self) -> str:
        return f", e.g. {self.name}={self.example}" if self.example else ""

    def resolve_default(self) -> Any:
        value = self.default() if callable(self.default) else self.default
        return self.check(value)

    @property
    def stated_description(self) -> str:
        """The description with the figures it quotes filled in from the data (``{prices:ROW}``)."""
        from rare_earths.data.references import expand_data_references

        return expand_data_references(self.description)

    @property
    def stated_basis(self) -> str:
        """Where the default comes from, with its figures filled in from the data."""
        from rare_earths.data.references import expand_data_references

        return expand_data_references(self.basis)

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
            "description": self.stated_description,
            "basis": self.stated_basis,
            "sources": list(self.sources),
            "chapters": list(self.chapters),
        }


@_per_data
def reference_cancellation_rate() -> float:
    """Share of the reference class's projects with an outcome that failed (``project_history``)."""
    from rare_earths.analysis import reference_class

    return reference_class.cancellations(*_tables("project_history"))["rate"]


@_per_data
def reference_ramp_up_years() -> float:
    """Median years to ramp up to nameplate in the reference class (``project_history``)."""
    from rare_earths.analysis import reference_class

    return float(reference_class.ramp_observations(*_tables("project_history"))["ramp_years"].median())


@_per_data
def us_demand_growth_rate() -> float:
    """Yearly growth implied by the Section 232 report's 'will likely double in the next decade' (``demand``)."""
    from rare_earths.analysis import supply

    return supply.growth_default(*_tables("demand"))


_MONEY_MAX = 1e6  # USD/kg: nothing rare-earth costs a thousand dollars a gram
_VOLUME_MAX = 1e7  # t/yr: 25 times world mine production (390,000 t REO in 2025e)
_BN_MAX = 1e5  # USD bn: a hundred trillion dollars

_DECLARATIONS = (
    Parameter(
        "cost_gap_low", float, "fraction", 0.30, "fraction",
        "Low end of the US cost disadvantage in rare-earth separation (0.30 = US costs 30 % more than China's).",
        ("cost-gap", "intro"),
        basis="The seed article's '30–40% higher' (SMM, 2025-09-18); no authority gives a figure.",
        sources=("smm_2025_09_18",), minimum=FRACTION_MIN, maximum=FRACTION_MAX, example="0.25",
    ),
    Parameter(
        "cost_gap_high", float, "fraction", 0.40, "fraction",
        "High end of the US cost disadvantage in rare-earth separation (0.40 = 40 % more).",
        ("cost-gap", "intro"),
        basis="The seed article's '30–40% higher' (SMM, 2025-09-18); no authority gives a figure.",
        sources=("smm_2025_09_18",), minimum=FRACTION_MIN, maximum=FRACTION_MAX, example="0.5",
    ),
    Parameter(
        "china_cost_usd_per_kg", float, "money", lambda: usgs_ndpr_average_price(2024), "USD/kg NdPr oxide",
        "ASSUMPTION, not a fact: China's unit cost of producing separated NdPr oxide. No authority "
        "publishes one. The default is the USGS 2024 average NdPr oxide price (USD {prices:usgs_ndpr_oxide_2024}/kg), taken as a "
        "ceiling on Chinese cost: 2024 was the lowest annual average since 2020 and Chinese producers "
        "kept supplying at it. The true cost is probably lower; try lower values.",
        ("cost-gap", "methods"),
        basis="Proxy: USGS MCS 2026 annual average NdPr oxide price, 2024 (a ceiling, not a measured cost).",
        sources=("usgs_mcs_2026_ree",), maximum=_MONEY_MAX, example="40",
    ),
    Parameter(
        "floor_price_usd_per_kg", float, "money_positive", dod_floor_price, "USD/kg NdPr oxide",
        "The NdPr oxide price floor the US Department of Defense guarantees MP Materials for ten years.",
        ("cost-gap", "claims", "intro"),
        basis="MP Materials press release and 8-K, 2025-07-10: USD {prices:dod_mp_ndpr_floor_2025}/kg.",
        sources=("mp_2025_07_10_dod",), maximum=_MONEY_MAX, example="110",
    ),
    Parameter(
        "market_price_usd_per_kg", float, "money_positive", lambda: usgs_ndpr_average_price(2024), "USD/kg NdPr oxide",
        "The NdPr oxide market price the floor is compared with. Default: the USGS 2024 annual average.",
        ("cost-gap",),
        basis="USGS MCS 2026, NdPr oxide annual average price 2024 (Argus): USD {prices:usgs_ndpr_oxide_2024}/kg.",
        sources=("usgs_mcs_2026_ree",), maximum=_MONEY_MAX, example="69",
    ),
    Parameter(
        "volume_t", float, "quantity", mp_ndpr_output_2024, "t/yr NdPr oxide",
        "Annual volume the cost gap and the floor top-up apply to. Default: MP Materials' 2024 NdPr oxide output.",
        ("cost-gap",),
        basis="MP Materials full-year 2024 results (2025-02-20): {company_output:mp_2024_ndpr_oxide} t NdPr oxide.",
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
        ("rebuild", "intro"),
        basis="The seed article (SMM, 2025-09-18); not found in authoritative sources: the article's estimate.",
        sources=("smm_2025_09_18",), maximum=_BN_MAX, example="300",
    ),
    Parameter(
        "rebuild_years", int, "years", 15, "years",
        "Years the rebuild takes (the article says 15).",
        ("rebuild", "intro"),
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
        "as_of", _dt.date, "date", data_checked_to, "date",
        "The date at which money is counted and promises are judged. Default: the date the data was "
        "checked to (data/checked.json), so the book gives the same numbers whatever the day it is built; "
        "set it to judge the same data on another date.",
        ("rebuild", "pipeline"),
        basis="The data's own date: the day through which its sources were searched.", minimum=DATE_MIN,
        maximum=DATE_MAX, example="2026-06-30",
    ),
    Parameter(
        "due_window_days", int, "count", 90, "days",
        "A promise whose target date is at most this many days ahead is 'due' rather than 'pending'.",
        ("pipeline",),
        basis="The book's choice: about a quarter.", minimum=0, maximum=3650, example="180",
    ),
)

#: The evidence-based rebuild and the outlook (issue 10).
_EVIDENCE_DECLARATIONS = (
    Parameter(
        "demand_definition", str, "choice", "direct", "",
        "Which US demand the rebuild and the outlook cover: direct (magnets bought as such, 7,000-10,000 t/yr), "
        "embedded (direct times embedded_multiplier, for magnets inside imported goods) or us_allies (the magnets "
        "China exports to the whole world, which the US and its allies would make instead).",
        ("rebuild", "outlook", "claims"),
        basis="The book's choice: direct demand is the only definition with sources (Adamas, IEEE Spectrum).",
        sources=("aljazeera_2025_10_adamas", "reex_2025_02_ieee", "adamas_2025_china_magnet_exports_2024"),
        choices=("direct", "embedded", "us_allies"), example="us_allies",
    ),
    Parameter(
        "embedded_multiplier", float, "multiplier", 2.0, "x",
        "ASSUMPTION: with demand_definition=embedded, total US magnet demand as a multiple of direct demand. No "
        "source measures the magnets inside imported goods (USGS calls them significant and leaves them out).",
        ("rebuild", "outlook", "claims"),
        basis="The book's illustrative assumption; no source found.", minimum=1.0, maximum=20.0, example="3",
    ),
    Parameter(
        "demand_growth_rate", float, "fraction", us_demand_growth_rate, "fraction per year",
        "Yearly growth of US magnet demand. Default: the Section 232 report's 'will likely double in the next "
        "decade' (2 ** (1/10) - 1, about 7.2 % a year); Adamas forecasts 8.7 % a year for the world.",
        ("rebuild", "outlook", "claims"),
        basis="BIS Section 232 report (June 2022), as summarised by Thompson Hine: US consumption to double in a decade.",
        sources=("thompsonhine_2022_09_232",), minimum=0.0, maximum=1.0, example="0.087",
    ),
    Parameter(
        "supply_scope", str, "choice", "outside_china", "",
        "Which plants count as supply: outside_china (every plant outside China, allies' included) or "
        "united_states (plants in the United States only).",
        ("rebuild", "outlook", "claims"),
        basis="Issue 10: supply outside China against US demand.", choices=("outside_china", "united_states"),
        example="united_states",
    ),
    Parameter(
        "magnet_plants_make_metal", str, "choice", "no", "",
        "Whether every magnet plant also makes the NdPr metal its magnets need (MP Materials' Independence makes "
        "metal and alloy; the evidence states no metal capacity for any magnet plant). 'no' counts only metal "
        "plants.",
        ("rebuild", "outlook", "claims"),
        basis="The book's choice: count only capacity the evidence states.", choices=("no", "yes"), example="yes",
    ),
    Parameter(
        "horizon", int, "count", 2035, "year",
        "Last year of the outlook, and the year whose demand the bottom-up rebuild sizes capacity for.",
        ("rebuild", "outlook", "claims"),
        basis="Issue 10: the outlook runs to 2035.", minimum=2028, maximum=2060, example="2040",
    ),
    Parameter(
        "delay_scale", float, "multiplier", 1.0, "x",
        "Multiplier on the delays drawn from the reference class (0: every project starts as announced; 2: twice "
        "the past delays).",
        ("outlook",),
        basis="1: the reference class as it is (project_history).", minimum=0.0, maximum=10.0, example="2",
    ),
    Parameter(
        "cancellation_rate", float, "fraction", reference_cancellation_rate, "fraction",
        "Probability that a project not yet operating is never built. Default: the reference class's share of "
        "failures among projects with an outcome (Molycorp's bankruptcy, Lynas's Seadrift); Goldman Sachs expected "
        "only 2-3 of more than 20 projects outside China to start this decade.",
        ("outlook",),
        basis="project_history: failed / (failed + started).", sources=("reviewjournal_2015_06_molycorp",
                                                                      "theozpost_2025_11_lynas_agm"),
        minimum=0.0, maximum=1.0, example="0.5",
    ),
    Parameter(
        "ramp_up_years", float, "duration", reference_ramp_up_years, "years",
        "Years a new plant takes to ramp up linearly to nameplate. Default: the median of the reference class "
        "(Lynas's LAMP and MP Materials' Stage II, from their output against nameplate).",
        ("outlook",),
        basis="project_history: years since start / share of nameplate reached.", sources=("lynas_ar_2015",
                                                                                          "mp_2026_02_26_fy2025_results"),
        minimum=0.0, maximum=30.0, example="5",
    ),
    Parameter(
        "draws", int, "count", 20_000, "draws",
        "Monte Carlo draws of the outlook.",
        ("outlook",),
        basis="The book's choice: 20,000 draws give probabilities to within about half a percentage point.",
        minimum=100, maximum=1_000_000, example="100000",
    ),
    Parameter(
        "seed", int, "count", 2026, "",
        "Seed of the outlook's random numbers: the same seed gives the same results.",
        ("outlook",),
        basis="The book's choice.", minimum=0, maximum=2**32 - 1, example="7",
    ),
)

#: Every declaration, in the order `rare-earths params` lists them.
DECLARATIONS: tuple[Parameter, ...] = _DECLARATIONS + _EVIDENCE_DECLARATIONS
PARAMETERS: dict[str, Parameter] = {p.name: p for p in DECLARATIONS}

#: Cross-parameter rules: (low, high) pairs that must satisfy low <= high.
RANGE_PAIRS = (("cost_gap_low", "cost_gap_high"),)


