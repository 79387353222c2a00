"""The building blocks of the schema: fields, keys, tables and the enums several tables share.

:mod:`rare_earths.data.schema` (the book's own tables) and :mod:`rare_earths.data.evidence` (the
evidence tables) both declare their tables with these; neither imports the other's tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOUNDS = ("=", ">", ">=", "<", "<=", "~")

STAGES = (
    "reserves",
    "resources",
    "mining",
    "separation_refining",
    "metal",
    "magnets",
    "us_imports",
    "finance",
    "cost",
    "price",
    "capacity",
    "production",
    "time",
    "policy",
    "technology",
    "grade",
    "market",
)

BASKETS = (
    "all_ree",  # all rare-earth oxides (USGS REO basis)
    "magnet_ree",  # Nd, Pr, Dy, Tb (IEA basis)
    "light_ree",
    "heavy_ree",
    "ndpr",
    "dysprosium",
    "terbium",
    "mixed",  # several named elements, no single basket
    "not_applicable",
)

VERDICTS = ("confirmed", "approximate", "conflicts", "not_found", "misdated", "mislabelled")

#: Years the dataset can hold (a year column without declared bounds gets these): the oldest source
#: is from 2010 and the furthest projection from 2050; a year outside 1900-2100 is a typing error
#: (``-2021``, ``20230``), not a fact about rare earths.
YEAR_MIN, YEAR_MAX = 1900, 2100

#: Dates outside this window are impossible for the dataset (``0000-01-01``, ``2999-04-04``); the
#: same window as the years.
DATE_MIN, DATE_MAX = "1900-01-01", "2100-12-31"

#: No number in the dataset is larger than this in absolute value (a numeric column without a
#: declared maximum or minimum gets ``±MAGNITUDE_MAX``). The largest real values are about 9e7
#: (world reserves in t REO); the units are chosen so that money is in USD m or bn and masses in
#: tonnes, so 1e10 (ten billion tonnes, ten quadrillion dollars in USD m) can only be a typing or
#: unit error, such as ``1e300``.
MAGNITUDE_MAX = 1e10


def is_year_column(name: str) -> bool:
    """``year``, ``year_start``, ``fx_year``, ...: integer columns that hold a calendar year."""
    return name == "year" or name.startswith("year_") or name.endswith("_year")


@dataclass(frozen=True)
class Field:
    """One column: name, Frictionless type, meaning, unit and constraints.

    Every numeric column is bounded: a year column (:func:`is_year_column`) without declared
    bounds gets ``[YEAR_MIN, YEAR_MAX]``, any other without a declared minimum or maximum gets
    ``-MAGNITUDE_MAX`` or ``MAGNITUDE_MAX``. ``observed`` marks a date that must have happened by
    the date the data is checked to (a publication, a target reported met).
    """

    name: str
    type: str  # string | integer | number | boolean | date
    description: str
    unit: str | None = None
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    observed: bool = False

    def __post_init__(self):
        if self.type == "integer" and is_year_column(self.name):
            if self.minimum is None:
                object.__setattr__(self, "minimum", YEAR_MIN)
            if self.maximum is None:
                object.__setattr__(self, "maximum", YEAR_MAX)
        elif self.type in ("number", "integer"):
            if self.minimum is None:
                object.__setattr__(self, "minimum", -MAGNITUDE_MAX)
            if self.maximum is None:
                object.__setattr__(self, "maximum", MAGNITUDE_MAX)

    def descriptor(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "date":
            out["format"] = "%Y-%m-%d"
        if self.unit:
            out["unit"] = self.unit
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.pattern:
            constraints["pattern"] = self.pattern
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def descriptor(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [f.descriptor() for f in self.fields],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": list(fk.fields), "reference": {"resource": fk.resource, "fields": list(fk.reference_fields)}}
                for fk in self.foreign_keys
            ]
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "title": self.title,
            "description": self.description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _source_fk(column: str = "source_id") -> ForeignKey:
    return ForeignKey((column,), "sources", ("source_id",))


def _provenance(required_source: bool = True) -> tuple[Field, ...]:
    """Columns every numeric table carries so a number can be traced to its origin."""
    return (
        Field("source_id", "string", "The source this row is taken from (sources.source_id).", required=required_source),
        Field(
            "locator",
            "string",
            "Where in the source: page, table, section or paragraph.",
            required=True,
        ),
        Field(
            "source_text",
            "string",
            "The sentence or table cell the number came from, as printed by the source.",
            required=True,
        ),
    )


_NOTE = Field("note", "string", "Free-text remark: caveats, definitions, why a value was chosen.")

