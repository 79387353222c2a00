"""The dataset's schema, written once as code.

Every table in ``data/`` is declared here: its columns, their types, units, constraints,
the primary key and the foreign keys. Two things are generated from these declarations:

* ``data/datapackage.json``, the Frictionless Data Package descriptor that describes the
  CSV files to anyone who does not use this package (``rare-earths validate`` checks that
  the shipped descriptor equals the generated one, so the two cannot drift apart);
* the pandera schemas that :mod:`rare_earths.data.load` enforces whenever a table is loaded.

Conventions: units live in column names (``_t_reo``, ``_usd_per_kg``, ``_usd_m``, ``_pct``)
and in each field's ``unit``; ranges are kept as ``low``/``high`` pairs; ``bound`` says
whether a value is exact (``=``) or a bound (``>`` means "more than", as USGS prints world
reserve totals).
"""

from __future__ import annotations

from typing import Any

from rare_earths.data.evidence import EVIDENCE_TABLES
from rare_earths.data.fields import (  # noqa: F401  (re-exported: the schema's building blocks)
    BOUNDS, STAGES, BASKETS, VERDICTS, Field, ForeignKey, Table, _source_fk, _provenance, _NOTE,
)

SOURCES = Table(
    name="sources",
    title="Sources",
    description="One row per source cited anywhere in the book: official statistics, outlooks, company "
    "filings, news reports and the two seed articles. The bibliography (references.bib) is generated "
    "from this table.",
    fields=(
        Field("source_id", "string", "Stable identifier, also the BibTeX key.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("producer", "string", "Organisation that produced the source, in full.", required=True),
        Field("producer_short", "string", "Short name of the producer as cited (USGS, IEA, ...).", required=True),
        Field("title", "string", "Title of the document, page or article.", required=True),
        Field("date_published", "date", "Date of publication (first posting).", required=True, observed=True),
        Field(
            "date_precision",
            "string",
            "How much of date_published is known: day, month (day set to the 1st) or year (set to 1 January).",
            required=True,
            enum=("day", "month", "year"),
        ),
        Field("edition", "string", "Edition, where the source has editions (MCS 2026)."),
        Field("version", "string", "Version or revision within the edition (1.3)."),
        Field(
            "kind",
            "string",
            "What kind of source this is.",
            required=True,
            enum=(
                "official_statistics",
                "intergovernmental",
                "government",
                "company",
                "news",
                "industry_analysis",
                "seed_article",
            ),
        ),
        Field("url", "string", "Where the source can be read.", pattern=r"^https?://\S+$"),
        Field("doi", "string", "DOI of the source or its data release, without the https://doi.org/ prefix."),
        Field("licence", "string", "Licence or terms of use as stated by the producer."),
        Field("date_accessed", "date", "When the book's editors read the source.", observed=True),
        Field("citation", "string", "Full citation text, ready to paste.", required=True),
        Field(
            "bibtex_type",
            "string",
            "BibTeX entry type used in references.bib.",
            required=True,
            enum=("techreport", "misc", "online", "article"),
        ),
        _NOTE,
    ),
    primary_key=("source_id",),
)

CLAIMS = Table(
    name="claims",
    title="Claims ledger",
    description="Every quantitative claim in the two seed articles, quoted verbatim, with what it "
    "measures, the authority it is checked against and a verdict.",
    fields=(
        Field("claim_id", "string", "Stable identifier, C plus a number.", required=True, pattern=r"^C\d{2,3}$"),
        Field("seed_file", "string", "File name of the seed article in data/seeds/.", required=True),
        Field("seed_source_id", "string", "The seed article as a source (sources.source_id).", required=True),
        Field("seed_published", "date", "Publication date of the seed article.", required=True, observed=True),
        Field(
            "announced_date",
            "date",
            "Date of the item itself where it differs from the article's date (Related News items).",
        ),
        Field("quote", "string", "The claim exactly as in the seed text, so it can be found there.", required=True),
        Field("subject", "string", "What the number is about, in a few words.", required=True),
        Field("value", "number", "The claimed value, where the claim states one number."),
        Field("low", "number", "Lower end, where the claim states a range."),
        Field("high", "number", "Upper end, where the claim states a range."),
        Field("date_low", "date", "Where the claim states a date: the earliest day it allows."),
        Field("date_high", "date", "Where the claim states a date: the latest day it allows (= date_low for a day)."),
        Field("bound", "string", "Whether the value is exact or a bound (over = '>').", required=True, enum=BOUNDS),
        Field("unit", "string", "Unit of value/low/high (%, USD bn, t/yr, year, ...); 'date' for date claims.", required=True),
        Field("stage", "string", "Stage of the supply chain or kind of quantity measured.", required=True, enum=STAGES),
        Field("basket", "string", "Element basket the number covers.", required=True, enum=BASKETS),
        Field("authority_source_id", "string", "Authority the claim is checked against (sources.source_id)."),
        Field("authority_value", "number", "The authority's value in the claim's unit, where it has one."),
        Field("authority_date", "date", "The authority's date, for date claims."),
        Field("authority_text", "string", "The authority's figure as stated, with year and basis."),
        Field("verdict", "string", "Outcome of the check.", required=True, enum=VERDICTS),
        Field("note", "string", "One line explaining the verdict.", required=True),
    ),
    primary_key=("claim_id",),
    foreign_keys=(_source_fk("seed_source_id"), _source_fk("authority_source_id")),
)

USGS_COUNTRY_SUPPLY = Table(
    name="usgs_country_supply",
    title="USGS mine production and reserves by country",
    description="World mine production and reserves of rare earths (t REO) by country, as printed in "
    "USGS Mineral Commodity Summaries 2025 and 2026 (v1.3). World totals are kept as published "
    "(rounded; reserve totals are lower bounds).",
    fields=(
        Field("source_id", "string", "USGS edition this row comes from (sources.source_id).", required=True),
        Field("edition", "string", "MCS edition (MCS 2025, MCS 2026, ...).", required=True, pattern=r"^MCS \d{4}$"),
        Field("version", "string", "Version of the edition.", required=True),
        Field("country", "string", "Country as named by USGS, or 'World total (rounded)'.", required=True),
        Field("is_world_total", "boolean", "True for the published world total row.", required=True),
        Field(
            "measure",
            "string",
            "What the value is: mine production, reserves, or measured and indicated resources (USGS 'World Resources').",
            required=True,
            enum=("mine_production", "reserves", "mi_resources"),
        ),
        Field("year", "integer", "Data year (for reserves: the edition's latest data year).", required=True),
        Field("estimated", "boolean", "True where USGS marks the year as an estimate (e).", required=True),
        Field(
            "status",
            "string",
            "reported: a number; none: printed as a dash (zero or none); not_available: NA.",
            required=True,
            enum=("reported", "none", "not_available"),
        ),
        Field("value_t_reo", "number", "Value in tonnes of rare-earth-oxide equivalent.", unit="t REO", minimum=0),
        Field("bound", "string", "'=' for a number, '>' where USGS prints 'more than'.", required=True, enum=BOUNDS),
        *_provenance()[1:],
        Field(
            "footnotes",
            "string",
            "The footnotes USGS attaches to this value, verbatim, joined by ' -- ' as in the data release (the estimate "
            "marker is the estimated column, not a footnote).",
        ),
        _NOTE,
    ),
    primary_key=("edition", "version", "country", "measure", "year"),
    foreign_keys=(_source_fk(),),
)

USGS_US_IMPORTS = Table(
    name="usgs_us_imports",
    title="US net import reliance and import sources (USGS)",
    description="US net import reliance (% of apparent consumption) and import sources by value, "
    "rare-earth compounds and metals, from both USGS editions.",
    fields=(
        Field("source_id", "string", "USGS edition (sources.source_id).", required=True),
        Field("edition", "string", "MCS edition (MCS 2025, MCS 2026, ...).", required=True, pattern=r"^MCS \d{4}$"),
        Field("version", "string", "Version of the edition.", required=True),
        Field(
            "measure",
            "string",
            "net_import_reliance: % of apparent consumption; import_source_share: % of import value.",
            required=True,
            enum=("net_import_reliance", "import_source_share"),
        ),
        Field("commodity", "string", "What is imported, as USGS words it.", required=True),
        Field("partner", "string", "Exporting country, or 'all' for net import reliance.", required=True),
        Field("year_start", "integer", "First year covered.", required=True),
        Field("year_end", "integer", "Last year covered (same as year_start for one year).", required=True),
        Field("estimated", "boolean", "True where the year is an estimate.", required=True),
        Field("value_pct", "number", "Share in percent.", unit="%", required=True, minimum=0, maximum=100),
        Field("bound", "string", "'=' or '>' where USGS prints 'more than'.", required=True, enum=BOUNDS),
        *_provenance()[1:],
        Field(
            "footnotes",
            "string",
            "The footnotes USGS attaches to this value, verbatim, joined by ' -- ' as in the data release (the estimate "
            "marker is the estimated column, not a footnote).",
        ),
        _NOTE,
    ),
    primary_key=("edition", "measure", "commodity", "partner", "year_start", "year_end"),
    foreign_keys=(_source_fk(),),
)

STAGE_SHARES = Table(
    name="stage_shares",
    title="Country shares by supply-chain stage",
    description="Shares of world supply by stage (mining, separation/refining, magnets, reserves, US "
    "imports), with source, edition, year, element basket and basis kept apart: never one series.",
    fields=(
        Field("share_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("source_id", "string", "sources.source_id", required=True),
        Field("edition", "string", "Edition or vintage of the source (GCMO 2025).", required=True),
        Field("year", "integer", "Year the share refers to.", required=True),
        Field("is_projection", "boolean", "True for a projected year (scenario output).", required=True),
        Field("scenario", "string", "Scenario name for projections (e.g. base case)."),
        Field("country", "string", "Country the share belongs to.", required=True),
        Field("stage", "string", "Stage of the chain.", required=True, enum=STAGES),
        Field("basket", "string", "Element basket.", required=True, enum=BASKETS),
        Field(
            "basis",
            "string",
            "What the share is a share of.",
            required=True,
            enum=("output", "capacity", "import_value", "reserves", "derived_output", "derived_reserves"),
        ),
        Field("share_pct", "number", "Share in percent.", unit="%", required=True, minimum=0, maximum=100),
        Field("bound", "string", "'=', or '<=' for a share of a '>' world total.", required=True, enum=BOUNDS),
        Field("volume", "number", "The country's volume, where the source gives it.", minimum=0),
        Field("volume_unit", "string", "Unit of volume (kt, t REO)."),
        *_provenance()[1:],
        _NOTE,
    ),
    primary_key=("share_id",),
    foreign_keys=(_source_fk(),),
)

PRICES = Table(
    name="prices",
    title="Rare-earth prices",
    description="Annual average prices (USGS, from Argus), dated benchmarks and the DoD price floor.",
    fields=(
        Field("price_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("source_id", "string", "sources.source_id", required=True),
        Field("commodity", "string", "Product priced (NdPr oxide, dysprosium oxide, ...).", required=True),
        Field("purity", "string", "Purity or grade as stated."),
        Field(
            "kind",
            "string",
            "annual_average, benchmark (a dated market quote) or floor (a contractual minimum).",
            required=True,
            enum=("annual_average", "benchmark", "floor"),
        ),
        Field("year", "integer", "Year of the price.", required=True),
        Field("date", "date", "Date of a benchmark or floor."),
        Field("estimated", "boolean", "True for an estimate (e).", required=True),
        Field("price_low_usd_per_kg", "number", "Price, low end.", unit="USD/kg", required=True, minimum=0),
        Field("price_high_usd_per_kg", "number", "Price, high end (= low for a point).", unit="USD/kg", required=True, minimum=0),
        Field("bound", "string", "'=' or '~' for an approximate quote.", required=True, enum=BOUNDS),
        *_provenance()[1:],
        Field(
            "footnotes",
            "string",
            "The footnotes the source (USGS) attaches to this value, verbatim, joined by ' -- ' as in the data release (the estimate "
            "marker is the estimated column, not a footnote).",
        ),
        _NOTE,
    ),
    primary_key=("price_id",),
    foreign_keys=(_source_fk(),),
)

COMMITMENTS = Table(
    name="commitments",
    title="Money announced",
    description="Every sum of money announced for non-Chinese rare-earth supply: who, to whom, how "
    "much, by what instrument, when, and its status.",
    fields=(
        Field("commitment_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("announced_date", "date", "Date the sum was announced.", required=True),
        Field("funder", "string", "Who commits the money.", required=True),
        Field(
            "funder_type",
            "string",
            "Kind of funder.",
            required=True,
            enum=("us_government", "foreign_government", "development_finance", "bank", "company", "investor"),
        ),
        Field("recipient", "string", "Who receives it.", required=True),
        Field("recipient_country", "string", "Country of the recipient's project.", required=True),
        Field("amount_usd_m", "number", "Amount in millions of US dollars.", unit="USD m", required=True, minimum=0),
        Field("bound", "string", "'=', '<=' for 'up to', '~' for 'about'.", required=True, enum=BOUNDS),
        Field(
            "instrument",
            "string",
            "What kind of money it is.",
            required=True,
            enum=(
                "equity",
                "loan",
                "conditional_loan",
                "grant_programme",
                "grant",
                "private_capex",
                "private_financing",
                "offtake",
                "incentive",
            ),
        ),
        Field(
            "status",
            "string",
            "Where it stands: closed, approved, conditional, announced, planned, or terminated (withdrawn, cancelled "
            "or replaced before the money was used: kept for the record, never counted as committed).",
            required=True,
            enum=("closed", "approved", "conditional", "announced", "planned", "terminated"),
        ),
        *_provenance(),
        Field("claim_id", "string", "The seed claim this row checks, if any (claims.claim_id)."),
        _NOTE,
    ),
    primary_key=("commitment_id",),
    foreign_keys=(_source_fk(), ForeignKey(("claim_id",), "claims", ("claim_id",))),
)

COMPANY_OUTPUT = Table(
    name="company_output",
    title="Company output",
    description="Reported annual output of individual producers (company filings and results), used where "
    "a computation needs one producer's volume (e.g. the DoD floor top-up at MP Materials' output).",
    fields=(
        Field("output_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("company", "string", "Producer.", required=True),
        Field("site", "string", "Mine or plant.", required=True),
        Field("country", "string", "Country of the site.", required=True),
        Field("product", "string", "What was produced (NdPr oxide, REO in concentrate, ...).", required=True),
        Field("year", "integer", "Year of the output.", required=True),
        Field("output_t", "number", "Output in tonnes of the product.", unit="t", required=True, minimum=0),
        *_provenance(),
        _NOTE,
    ),
    primary_key=("output_id",),
    foreign_keys=(_source_fk(),),
)

PROJECTS = Table(
    name="projects",
    title="Projects outside China",
    description="Mines, separation plants and magnet plants announced outside China, with capacity and "
    "the target date as announced, so the book can say which promises are due.",
    fields=(
        Field("project_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("name", "string", "Project or site name.", required=True),
        Field("company", "string", "Company developing it.", required=True),
        Field("country", "string", "Country of the site.", required=True),
        Field(
            "stage",
            "string",
            "Stage of the chain.",
            required=True,
            enum=("mining", "separation_refining", "metal", "magnets", "recycling"),
        ),
        Field("product", "string", "What it will produce.", required=True),
        Field("capacity_low", "number", "Capacity, low end.", minimum=0),
        Field("capacity_high", "number", "Capacity, high end (= low for a point).", minimum=0),
        Field("capacity_unit", "string", "Unit of capacity (t/yr NdPr oxide, t/yr REO, t/yr magnets)."),
        Field("target_text", "string", "The target date as announced, in its own words.", required=True),
        Field("target_date", "date", "Latest date the announcement allows (end-2025 = 2025-12-31)."),
        Field(
            "status",
            "string",
            "Project status as last reported.",
            required=True,
            enum=("operating", "commissioning", "construction", "development", "feasibility", "announced"),
        ),
        Field("met_date", "date", "Date the target was reported met, if it was.", observed=True),
        Field("met_source_id", "string", "Source reporting the target met (sources.source_id)."),
        *_provenance(),
        Field("claim_id", "string", "The seed claim this row checks, if any (claims.claim_id)."),
        _NOTE,
    ),
    primary_key=("project_id",),
    foreign_keys=(
        _source_fk(),
        _source_fk("met_source_id"),
        ForeignKey(("claim_id",), "claims", ("claim_id",)),
    ),
)

EVENTS = Table(
    name="events",
    title="Policy events",
    description="Dated policy steps: export controls and their suspension, tariff moves and "
    "exemptions, deals.",
    fields=(
        Field("event_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("date", "date", "Date the step was announced or took effect.", required=True),
        Field("end_date", "date", "Date it ends, where it has an end (a suspension)."),
        Field("actor", "string", "Who acted (MOFCOM, White House, DoD, ...).", required=True),
        Field("country", "string", "Country of the actor.", required=True),
        Field(
            "kind",
            "string",
            "Kind of step.",
            required=True,
            enum=("export_control", "suspension", "tariff", "tariff_exemption", "deal", "funding", "policy"),
        ),
        Field("title", "string", "Short title.", required=True),
        *_provenance(),
        Field("claim_id", "string", "The seed claim this row checks, if any (claims.claim_id)."),
        _NOTE,
    ),
    primary_key=("event_id",),
    foreign_keys=(_source_fk(), ForeignKey(("claim_id",), "claims", ("claim_id",))),
)

REVISIONS = Table(
    name="revisions",
    title="Revision notes",
    description="Where two editions or versions of a source disagree on the same quantity.",
    fields=(
        Field("revision_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field("quantity", "string", "What was revised.", required=True),
        Field("unit", "string", "Unit of the values.", required=True),
        Field("old_source_id", "string", "Source of the earlier value.", required=True),
        Field("old_label", "string", "Edition/version of the earlier value.", required=True),
        Field("old_value", "number", "Earlier value.", required=True, minimum=0),
        Field("old_bound", "string", "Bound of the earlier value.", required=True, enum=BOUNDS),
        Field("new_source_id", "string", "Source of the later value.", required=True),
        Field("new_label", "string", "Edition/version of the later value.", required=True),
        Field("new_value", "number", "Later value.", required=True, minimum=0),
        Field("new_bound", "string", "Bound of the later value.", required=True, enum=BOUNDS),
        Field("note", "string", "What the revision means.", required=True),
    ),
    primary_key=("revision_id",),
    foreign_keys=(_source_fk("old_source_id"), _source_fk("new_source_id")),
)


CORRECTIONS = Table(
    name="corrections",
    title="Deliberate differences from the frozen official files",
    description="Every place where a curated USGS row differs from what rare_earths.data.importer derives from the "
    "official files frozen in data/raw/: a later version of the edition (the MCS 2026 v1.3 PDF against the v1.0 data "
    "release), or a row printed in the chapter but absent from the data release. Each names its source, locator and "
    "text; authority_file names the frozen file that holds the text, where there is one.",
    fields=(
        Field("correction_id", "string", "Stable identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Field(
            "table",
            "string",
            "Curated table corrected.",
            required=True,
            enum=("usgs_country_supply", "usgs_us_imports", "prices"),
        ),
        Field("row_key", "string", "The row's primary key values, joined by ' | ' in key order.", required=True),
        Field("field", "string", "Column corrected, or '*' for a whole row the data release lacks.", required=True),
        Field("release_value", "string", "What the data release gives (empty where it has nothing)."),
        Field("curated_value", "string", "What the curated table holds instead (empty for '*')."),
        Field(
            "kind",
            "string",
            "revision: a later version of the edition changed it; added: printed in the chapter, not in the data release.",
            required=True,
            enum=("revision", "added"),
        ),
        Field("version", "string", "Version of the edition that brought the change (revisions)."),
        *_provenance(),
        Field(
            "authority_file",
            "string",
            "Path under data/raw/ of the frozen file in which source_text can be found; empty where the authority "
            "could not be frozen (say why in the note).",
        ),
        _NOTE,
    ),
    primary_key=("correction_id",),
    foreign_keys=(_source_fk(),),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SOURCES,
        CLAIMS,
        USGS_COUNTRY_SUPPLY,
        USGS_US_IMPORTS,
        STAGE_SHARES,
        PRICES,
        COMPANY_OUTPUT,
        COMMITMENTS,
        PROJECTS,
        EVENTS,
        REVISIONS,
        CORRECTIONS,
        *EVIDENCE_TABLES,
    )
}

PACKAGE_NAME = "rare-earth-rivalry"


def datapackage_descriptor(version: str, data_checked_to: str | None = None) -> dict[str, Any]:
    """The Frictionless descriptor for the dataset, generated from :data:`TABLES`.

    ``data_checked_to`` (ISO date, from ``checked.json``) is recorded as the custom property of the
    same name: the date through which the sources were searched.
    """
    extra = {"data_checked_to": data_checked_to} if data_checked_to else {}
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Rare Earth Rivalry: curated dataset",
        "description": "Claims from two SMM trade-press analyses (2025) held against USGS, IEA, national "
        "surveys and company filings, with the figures the book's computations use. Each row carries "
        "its source, locator and the text it came from.",
        "version": version,
        **extra,
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 (the curation; quoted sources keep their own terms)",
            }
        ],
        "resources": [t.descriptor() for t in TABLES.values()],
    }


def data_dictionary(name: str):
    """One table's columns as a DataFrame (column, type, unit, required, allowed values, meaning)."""
    import pandas as pd

    table = TABLES[name]
    rows = []
    for f in table.fields:
        allowed = []
        if f.enum:
            allowed.append(", ".join(f.enum))
        if f.minimum is not None or f.maximum is not None:
            lo = "" if f.minimum is None else f"{f.minimum:g}"
            hi = "" if f.maximum is None else f"{f.maximum:g}"
            allowed.append(f"[{lo}, {hi}]")
        if f.pattern:
            allowed.append(f"pattern {f.pattern}")
        rows.append(
            {
                "column": f.name,
                "type": f.type,
                "unit": f.unit or "",
                "required": "yes" if f.required else "",
                "key": "primary" if f.name in table.primary_key else "",
                "allowed": "; ".join(allowed),
                "description": f.description,
            }
        )
    return pd.DataFrame(rows)

