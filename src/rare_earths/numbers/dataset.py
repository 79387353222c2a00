"""Key numbers about the dataset itself: how many sources, tables and revision notes it holds."""

from __future__ import annotations

from rare_earths.data.schema import TABLES
from rare_earths.numbers.model import Context, KeyNumber
from rare_earths.params import PARAMETERS

PREFIXES = ("dataset.",)


def build(ctx: Context) -> list[KeyNumber]:
    sources, revisions = ctx.table("sources"), ctx.table("revisions")
    return [
        KeyNumber("dataset.sources", float(len(sources)), "sources", "Sources in the dataset (data/sources.csv)",
                  "count of sources.csv rows", (), tables=("sources",), chapters=("methods",), decimals=0),
        KeyNumber("dataset.revisions", float(len(revisions)), "revision notes",
                  "Revision notes in the dataset (data/revisions.csv)", "count of revisions.csv rows", (),
                  tables=("revisions",), chapters=("methods",), decimals=0),
        KeyNumber("dataset.tables", float(len(TABLES)), "tables", "Tables in the dataset (data/*.csv)",
                  "count of the tables declared in rare_earths.data.schema", (), tables=tuple(TABLES),
                  chapters=("methods",), decimals=0),
        KeyNumber("dataset.parameters", float(len(PARAMETERS)), "parameters",
                  "Parameters a reader can change (declared in rare_earths.params)",
                  "count of the declared parameters", (), tuple(PARAMETERS), chapters=("methods",), decimals=0),
    ] + [
        KeyNumber(f"dataset.rows.{name}", float(len(ctx.table(name))), "rows", f"Rows of data/{table.path}",
                  f"count of {table.path} rows", (), tables=(name,), chapters=("methods",), decimals=0)
        for name, table in TABLES.items()
    ]
