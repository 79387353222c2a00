"""The evidence tables: what the book's own answers to the cost gap, the rebuild and the outlook rest on.

Six tables, declared like every other in :mod:`rare_earths.data.schema` (and registered in its
``TABLES`` when that module is imported, so the descriptor, the loader and ``rare-earths validate``
treat them like the rest):

* ``producer_costs``: unit costs of NdPr oxide (or REO) by producer, and the inputs from which a
  cost is implied (revenue, EBITDA, volumes, prices, margins), each in its original currency with
  the exchange rate recorded in the row; USD/kg is computed by :mod:`rare_earths.analysis.evidence`;
* ``plant_capex``: capital cost and annual capacity of plants in and outside China by stage; USD
  per tonne of annual capacity is computed, never typed;
* ``demand``: US and world demand (and the flows that stand for it) by product, year and definition;
* ``project_history``: dated statements about projects outside China (announced and actual starts,
  capex at decision and later, nameplates, outputs, status): the reference class for delays,
  overruns, ramp-ups and lead times, and the pipeline of the outlook;
* ``conversion_factors``: physical ratios (rare-earth content of magnets, NdPr share of ore, ...);
* ``published_estimates``: every published estimate of the rebuild's cost or time that was found.

Every numeric row carries ``source_id``, ``locator``, the verbatim ``source_text`` and
``evidence`` (``primary``: read in the issuer's or authority's own text, possibly through a
verbatim copy; ``secondary``: read in press, analyst or aggregator text).
"""

from __future__ import annotations

from rare_earths.data.fields import BOUNDS, Field, ForeignKey, Table, _provenance, _source_fk

EVIDENCE_KINDS = ("primary", "secondary")
CURRENCIES = ("USD", "AUD", "CNY", "EUR", "CAD")
DATE_PRECISIONS = ("day", "month", "year")
STAGES = ("mining_concentration", "separation", "metal", "magnet", "integrated_mine_to_oxide")

_NOTE = Field("note", "string", "Free-text remark: caveats, definitions, why a value was chosen.")
_EVIDENCE = Field("evidence", "string", "primary: read in the issuer's or authority's own text (possibly a verbatim "
                  "copy, named in the source's note); secondary: read in press, analyst or aggregator text.",
                  required=True, enum=EVIDENCE_KINDS)
_CORROBORATING = Field("corroborating_source_ids", "string",
                       "Further sources read that agree, separated by ';' (each a sources.source_id).",
                       pattern=r"^[a-z0-9_]+(;[a-z0-9_]+)*$")
_PRECISION = Field("date_precision", "string", "How much of the date is known: day, month (day set to the 1st) or "
                   "year (set to 1 January).", required=True, enum=DATE_PRECISIONS)


def _fx_fields() -> tuple[Field, ...]:
    return (
        Field("fx_rate", "number", "Exchange rate used to convert to USD (see fx_convention); empty for USD and "
              "for rows without money.", minimum=0),
        Field("fx_convention", "string", "usd_per_unit: USD per unit of the currency (as the Federal Reserve prints "
              "AUD and EUR); units_per_usd: units of the currency per USD (CNY, CAD).",
              enum=("usd_per_unit", "units_per_usd")),
        Field("fx_basis", "string", "annual_average: the Federal Reserve G.5A average for the figure's year; "
              "nearest_annual_average: the nearest year the evidence has (fx_year says which); source_stated: the "
              "rate implied by the source's own USD conversion.",
              enum=("annual_average", "nearest_annual_average", "source_stated")),
        Field("fx_year", "integer", "Year of the exchange rate."),
        Field("fx_source_id", "string", "Source of the exchange rate (sources.source_id)."),
    )


PRODUCER_COSTS = Table(
    name="producer_costs",
    title="Producer costs",
    description="Unit costs of separated NdPr oxide (or REO where that is all there is) by producer, country and "
    "year, with their basis (reported actual, implied from accounts, feasibility projection, management target, "
    "implied from price and margin, incentive price) and the inputs from which a cost is implied (revenue, EBITDA, "
    "volumes, prices, margins). Values are in their original currency; the exchange rate is recorded in the row and "
    "USD/kg is computed by the package.",
    fields=(
        Field("cost_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("producer", "string", "Producer, market or group the figure describes.", required=True),
        Field("country", "string", "Country of the producer or market.", required=True),
        Field("site", "string", "Site or scope."),
        Field("product", "string", "Product as the source names it.", required=True),
        Field("product_basis", "string", "What one unit of the figure is per: ndpr_oxide, ndpr_equivalent (all products "
              "valued as NdPr), reo (all rare-earth oxides), concentrate, company_total (a whole company's accounts), "
              "industry_average.", required=True,
              enum=("ndpr_oxide", "ndpr_equivalent", "reo", "concentrate", "company_total", "industry_average")),
        Field("year", "integer", "Year the figure refers to.", required=True),
        Field("period", "string", "Period as stated (quarter, fiscal year, study).", required=True),
        Field("basis", "string", "reported_actual: a producer's reported cost; implied_from_accounts: derived from "
              "reported accounts (an upper bound on cost); feasibility_projection: a study's projection for a plant "
              "not yet built; management_target; implied_from_price_and_margin: price times (1 - margin); "
              "incentive_price: the price a project needs for a return (not a cost).", required=True,
              enum=("reported_actual", "implied_from_accounts", "feasibility_projection", "management_target",
                    "implied_from_price_and_margin", "incentive_price")),
        Field("cost_type", "string", "Kind of cost or input, as stated (cash, all-in, operating, input: revenue ...).",
              required=True),
        Field("input_role", "string", "For an input row, what it is in the package's arithmetic; empty for a cost "
              "stated per kilogram.",
              enum=("revenue", "ebitda", "net_profit", "tonnes_ndpr_produced", "tonnes_reo_produced", "tonnes_reo_sold",
                    "price_per_kg", "reference_price", "gross_margin_pct", "profit_margin_pct",
                    "feed_price_per_t_concentrate")),
        Field("value_low", "number", "Value, low end (the value for a point), in unit.", required=True),
        Field("value_high", "number", "Value, high end (= low for a point; empty for an open bound such as '>')."),
        Field("bound", "string", "'=' exact, '~' about, '>' more than (value_low is then the bound).", required=True,
              enum=BOUNDS),
        Field("unit", "string", "Unit of value_low/value_high (USD/kg NdPr oxide, AUD m, t, %).", required=True),
        Field("currency", "string", "Currency of a money value; empty for volumes and percentages.", enum=CURRENCIES),
        *_fx_fields(),
        Field("date_of_figure", "date", "When the figure was stated.", required=True, observed=True),
        _PRECISION,
        *_provenance(),
        _EVIDENCE,
        _CORROBORATING,
        _NOTE,
    ),
    primary_key=("cost_id",),
    foreign_keys=(_source_fk(), _source_fk("fx_source_id")),
)

PLANT_CAPEX = Table(
    name="plant_capex",
    title="Plant capital cost and capacity",
    description="Capital cost and annual capacity of rare-earth plants in and outside China, by stage (mining and "
    "concentration, separation, metal, magnet, or integrated mine to oxide), with the date of the figure, its status "
    "(at decision, update, final, spend) and how comparable it is. USD per tonne of annual capacity is computed by "
    "the package, never typed.",
    fields=(
        Field("capex_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("project_id", "string", "The plant (project_history.project_id where it has a history).", required=True,
              pattern=r"^[a-z0-9_]+$"),
        Field("plant", "string", "Plant name and place.", required=True),
        Field("company", "string", "Owner.", required=True),
        Field("country", "string", "Country of the plant.", required=True),
        Field("in_china", "boolean", "True for a plant in China.", required=True),
        Field("stage", "string", "Stage of the chain the plant serves.", required=True, enum=STAGES),
        Field("product", "string", "What it produces.", required=True),
        Field("status", "string", "What the capex figure is: estimate_at_decision, estimate_update, final, "
              "reported_spend, conditional_plan, or capacity_only (no capex found).", required=True,
              enum=("estimate_at_decision", "estimate_update", "final", "reported_spend", "conditional_plan",
                    "capacity_only")),
        Field("capex_low_m", "number", "Capital cost, low end, in millions of capex_currency.", minimum=0),
        Field("capex_high_m", "number", "Capital cost, high end (empty for an open bound).", minimum=0),
        Field("capex_bound", "string", "Bound of the capex figure.", enum=BOUNDS),
        Field("capex_currency", "string", "Currency of the capex figure.", enum=CURRENCIES),
        Field("capex_scope", "string", "What the capex covers (and excludes).", required=True),
        *_fx_fields(),
        Field("capacity_low", "number", "Annual capacity, low end, in capacity_unit.", required=True, minimum=0),
        Field("capacity_high", "number", "Annual capacity, high end (empty for an open bound).", minimum=0),
        Field("capacity_bound", "string", "Bound of the capacity figure.", required=True, enum=BOUNDS),
        Field("capacity_included", "number", "Capacity that the stated figure already includes (an expansion's "
              "starting point, or another plant in a company total); the package subtracts it.", minimum=0),
        Field("capacity_unit", "string", "Unit of capacity as stated.", required=True),
        Field("capacity_basis", "string", "What the capacity counts: magnets, ndpr_metal, ndpr_oxide, reo, treo_feed "
              "(rare-earth oxide throughput), ndpr_equivalent_feed, heavy_oxides, mixed_oxides.", required=True,
              enum=("magnets", "ndpr_metal", "ndpr_oxide", "reo", "treo_feed", "ndpr_equivalent_feed", "heavy_oxides",
                    "mixed_oxides")),
        Field("comparability", "string", "How the figure compares with a new plant: comparable, brownfield (restart, "
              "retrofit or expansion at an existing site), replacement (of old lines), partial_stage (part of the "
              "stage only), funding_proxy (public funding standing in for capex), used_equipment, mixed_products "
              "(capacity counted in one product of several), no_capex.", required=True,
              enum=("comparable", "brownfield", "replacement", "partial_stage", "funding_proxy", "used_equipment",
                    "mixed_products", "no_capex")),
        Field("date_of_figure", "date", "When the capex figure (or, without one, the capacity) was stated.",
              required=True, observed=True),
        _PRECISION,
        Field("source_id", "string", "Source of the capex figure (sources.source_id); for a capacity_only row, of its "
              "capacity.", required=True),
        Field("evidence", "string", "primary or secondary, for the capex figure (capacity_only: for the capacity).",
              required=True, enum=EVIDENCE_KINDS),
        Field("locator", "string", "Where in the source the capex figure (capacity_only: the capacity) is.",
              required=True),
        Field("source_text", "string", "The capex sentence as printed (capacity_only: the capacity sentence).",
              required=True),
        Field("capacity_source_id", "string", "Source of the capacity (sources.source_id).", required=True),
        Field("capacity_evidence", "string", "primary or secondary, for the capacity.", required=True,
              enum=EVIDENCE_KINDS),
        Field("capacity_locator", "string", "Where in the source the capacity is.", required=True),
        Field("capacity_source_text", "string", "The capacity sentence as printed.", required=True),
        _CORROBORATING,
        Field("book_project_id", "string", "The project in projects.csv, if it is there."),
        _NOTE,
    ),
    primary_key=("capex_id",),
    foreign_keys=(_source_fk(), _source_fk("fx_source_id"), _source_fk("capacity_source_id"),
                  ForeignKey(("book_project_id",), "projects", ("project_id",))),
)

DEMAND = Table(
    name="demand",
    title="Demand",
    description="US and world demand for NdFeB magnets, NdPr oxide and metal, magnet rare earths and total REO, and "
    "the flows that stand for it (imports, exports, production, undersupply, growth), by year, observed or projected, "
    "with its definition: direct purchases of magnets versus magnets embedded in imported goods.",
    fields=(
        Field("demand_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("region", "string", "Whose demand or flow.", required=True, enum=("united_states", "world", "china")),
        Field("product", "string", "Product.", required=True,
              enum=("ndfeb_magnets", "ndpr_oxide", "ndpr_metal", "magnet_ree", "heavy_ree", "total_reo")),
        Field("measure", "string", "What the value measures.", required=True,
              enum=("demand", "imports", "exports", "production", "consumption", "apparent_consumption",
                    "undersupply", "growth_factor", "growth_rate")),
        Field("definition", "string", "direct: magnets bought as such; embedded: magnets inside imported goods; "
              "apparent_consumption (production + imports - exports); unspecified: the source does not say; "
              "not_applicable.", required=True,
              enum=("direct", "embedded", "apparent_consumption", "unspecified", "not_applicable")),
        Field("definition_text", "string", "The definition in words, as the source gives it.", required=True),
        Field("year", "integer", "Year the value refers to (for growth: the end year).", required=True),
        Field("base_year", "integer", "For a growth factor or rate: the start year."),
        Field("projection", "boolean", "True for a projected year.", required=True),
        Field("estimate_kind", "string", "Who estimates it and how (analyst estimate, IEA APS, ...).", required=True),
        Field("value_low", "number", "Value, low end.", required=True, minimum=0),
        Field("value_high", "number", "Value, high end (= low for a point).", minimum=0),
        Field("bound", "string", "Bound of the value.", required=True, enum=BOUNDS),
        Field("unit", "string", "Unit of the value.", required=True),
        Field("date_published", "date", "When the source published the value.", required=True, observed=True),
        _PRECISION,
        *_provenance(),
        _EVIDENCE,
        _NOTE,
    ),
    primary_key=("demand_id",),
    foreign_keys=(_source_fk(),),
)

CONVERSION_FACTORS = Table(
    name="conversion_factors",
    title="Conversion factors",
    description="Physical ratios the rebuild and the outlook use or check against: rare-earth content of NdFeB "
    "magnets, manufacturing scrap, NdPr share of ore, plants' feed-to-product ratios, magnet per vehicle, rare "
    "earths per defence platform.",
    fields=(
        Field("factor_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("factor_kind", "string", "Kind of factor.", required=True,
              enum=("ree_content_of_magnet", "manufacturing_scrap", "magnet_composition", "heavy_per_magnet",
                    "ndpr_share_of_treo", "plant_ratio", "magnet_per_vehicle", "ree_per_platform")),
        Field("factor", "string", "What the factor is, in words.", required=True),
        Field("value_low", "number", "Value, low end (empty where the factor is stated only in words).", minimum=0),
        Field("value_high", "number", "Value, high end.", minimum=0),
        Field("bound", "string", "Bound of the value.", required=True, enum=BOUNDS),
        Field("unit", "string", "Unit of the value.", required=True),
        Field("basis", "string", "Where the factor comes from (literature, plant design, company plan).", required=True),
        *_provenance(),
        _EVIDENCE,
        _NOTE,
    ),
    primary_key=("factor_id",),
    foreign_keys=(_source_fk(),),
)

PROJECT_HISTORY = Table(
    name="project_history",
    title="Project histories",
    description="Dated statements about rare-earth projects outside China: decisions, announced and actual starts, "
    "capex at decision and later, nameplates, outputs and status. The reference class for delays, overruns, ramp-ups "
    "and lead times (delay_pair links a start to the announcement it is compared with), and, where outlook is true, "
    "the capacity and start date the outlook uses.",
    fields=(
        Field("event_id", "string", "Stable identifier: project__measure__what.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("project_id", "string", "Project (one id per plant or phase).", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("project", "string", "Project name.", required=True),
        Field("company", "string", "Company.", required=True),
        Field("country", "string", "Country of the site.", required=True),
        Field("stage", "string", "Stage of the chain.", required=True, enum=STAGES),
        Field("measure", "string", "What the row states.", required=True,
              enum=("decision", "announced_start", "actual_start", "capex_at_decision", "capex_update", "capex_addition",
                    "capex_final", "capex_history", "public_funding", "nameplate", "output", "run_rate", "status")),
        Field("milestone", "string", "Which milestone, phase or period, as stated.", required=True),
        Field("value", "number", "Numeric value (capex in millions of currency, capacity or output in unit).",
              minimum=0),
        Field("value_high", "number", "High end where the source states a range.", minimum=0),
        Field("value_text", "string", "The value as the source states it (dates and words included).", required=True),
        Field("unit", "string", "Unit of value, or date/quarter/year/status.", required=True),
        Field("currency", "string", "Currency of a capex or funding value.", enum=CURRENCIES),
        Field("capacity_basis", "string", "What a nameplate or output counts.",
              enum=("magnets", "ndpr_metal", "ndpr_oxide", "reo", "treo_feed", "ndpr_equivalent_feed")),
        Field("capacity_included", "number", "Capacity the stated nameplate already includes (counted elsewhere); the "
              "package subtracts it.", minimum=0),
        Field("factor_id", "string", "Conversion factor for a REO-basis capacity (conversion_factors.factor_id); empty: "
              "the range of the NdPr shares of ore in the evidence."),
        Field("date_low", "date", "For a start, decision or output period: the earliest day it allows."),
        Field("date_high", "date", "The latest day it allows."),
        Field("project_status", "string", "For a status row: the status in one word.",
              enum=("operating", "construction", "commissioning", "conditional", "uncertain", "cancelled", "bankrupt",
                    "below_nameplate", "early_works")),
        Field("bound", "string", "Bound of the value or date ('~' about, '<=' by).", required=True, enum=BOUNDS),
        Field("delay_pair", "string", "For a start (or later guidance): the event_id of the earlier announced start "
              "it is compared with, to measure a delay."),
        Field("outlook", "boolean", "True where the row feeds the outlook: a project's capacity, its start date, or "
              "the latest output that anchors its current rate.", required=True),
        Field("reference_class", "boolean", "True where the row may enter the reference-class statistics; false for "
              "rows kept for the outlook only.", required=True),
        Field("date_of_statement", "date", "When the statement was made.", required=True, observed=True),
        _PRECISION,
        *_provenance(),
        _EVIDENCE,
        Field("book_project_id", "string", "The project in projects.csv, if it is there."),
        _NOTE,
    ),
    primary_key=("event_id",),
    foreign_keys=(_source_fk(), ForeignKey(("factor_id",), "conversion_factors", ("factor_id",)),
                  ForeignKey(("book_project_id",), "projects", ("project_id",))),
)

PUBLISHED_ESTIMATES = Table(
    name="published_estimates",
    title="Published rebuild estimates",
    description="Every published estimate found of what an independent (US or Western) rare-earth chain would cost or "
    "take, with what it covers and its basis: the comparison for the book's bottom-up rebuild, including the seed "
    "article's own figures and attributions that could not be verified (status says which).",
    fields=(
        Field("estimate_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("who", "string", "Who estimates it.", required=True),
        Field("covers", "string", "What the estimate covers, in words.", required=True),
        Field("scope", "string", "What it covers, in one word.", required=True,
              enum=("us_chain", "us_defence", "us_and_allies", "west", "global_upstream", "global_value_chain", "mine",
                    "refinery", "metal")),
        Field("cost_low_usd_bn", "number", "Cost, low end, in billions of USD.", unit="USD bn", minimum=0),
        Field("cost_high_usd_bn", "number", "Cost, high end.", unit="USD bn", minimum=0),
        Field("cost_bound", "string", "Bound of the cost.", enum=BOUNDS),
        Field("time_low_years", "number", "Time, low end, in years.", unit="years", minimum=0),
        Field("time_high_years", "number", "Time, high end, in years.", unit="years", minimum=0),
        Field("time_bound", "string", "Bound of the time.", enum=BOUNDS),
        Field("time_from", "string", "From when the time runs, as stated."),
        Field("target_year", "integer", "Where the source states a target year instead of a duration."),
        Field("basis", "string", "What the estimate rests on.", required=True),
        Field("status", "string", "confirmed (read in the source), claim_under_test (a seed claim), "
              "unverified_attribution (attributed to someone whose text was not found), qualitative (no number).",
              required=True, enum=("confirmed", "claim_under_test", "unverified_attribution", "qualitative")),
        Field("date", "date", "When it was published or stated.", required=True, observed=True),
        _PRECISION,
        *_provenance(),
        _EVIDENCE,
        _CORROBORATING,
        _NOTE,
    ),
    primary_key=("estimate_id",),
    foreign_keys=(_source_fk(),),
)

EVIDENCE_TABLES = (PRODUCER_COSTS, PLANT_CAPEX, DEMAND, CONVERSION_FACTORS, PROJECT_HISTORY, PUBLISHED_ESTIMATES)
