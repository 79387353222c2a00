"""The schema declared once (rare_earths.data.schema) and what is generated from it."""

from __future__ import annotations

from frictionless import Package

from support import DATA
from rare_earths.data.schema import TABLES, data_dictionary


def test_shipped_datapackage_is_a_valid_frictionless_descriptor():
    """Metadata only: the data itself is validated by the product (pandera and data.checks)."""
    report = Package.validate_descriptor(str(DATA / "datapackage.json"))
    assert report.valid, "\n".join(e.message for e in report.errors)


def test_keys_name_declared_columns_and_tables():
    for table in TABLES.values():
        assert set(table.primary_key) <= set(table.column_names), table.name
        for fk in table.foreign_keys:
            assert set(fk.fields) <= set(table.column_names), table.name
            assert set(fk.reference_fields) <= set(TABLES[fk.resource].column_names), table.name
        assert len(table.column_names) == len(set(table.column_names)), table.name


def test_data_dictionary_lists_every_column_with_its_constraints():
    claims = data_dictionary("claims").set_index("column")
    assert list(claims.index) == TABLES["claims"].column_names
    assert claims.loc["claim_id", "key"] == "primary" and claims.loc["claim_id", "required"] == "yes"
    assert claims.loc["claim_id", "allowed"] == r"pattern ^C\d{2,3}$"
    assert "confirmed, approximate" in claims.loc["verdict", "allowed"]
