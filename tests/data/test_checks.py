"""Whole-dataset validation (rare_earths.data.checks.validate_dataset): the cross-table rules, on
the shipped data and on deliberately broken copies of it.

Each mutation breaks one rule in a scratch copy and asserts a problem naming the file, the CSV
line and the column, as ``rare-earths validate`` prints it. The per-table rules (types, keys,
allowed values) are tested in test_load.py; the console command in tests/cli/test_cli.py.
"""

from __future__ import annotations

import json

import pytest

from support import assert_problem_named, read_rows, validation_lines, write_rows
from rare_earths.data.checks import validate_dataset
from rare_earths.data.schema import TABLES


def test_shipped_data_is_valid():
    problems = validate_dataset()
    assert problems == [], "\n".join(map(str, problems))


_validate = validation_lines


def test_per_table_problems_are_reported_with_the_cross_table_ones(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["verdict"] = "probably"  # a per-table rule
    rows[1]["seed_source_id"] = "no_such_source"  # a cross-table rule
    write_rows(path, header, rows)
    lines = _validate(data_copy)
    assert_problem_named(lines, "claims.csv", "verdict", line=2, text="probably")
    assert_problem_named(lines, "claims.csv", "seed_source_id", line=3, text="not a source_id in sources.csv")


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.foreign_keys])
def test_broken_foreign_key_is_rejected(data_copy, name):
    table = TABLES[name]
    fk = table.foreign_keys[0]
    column = fk.fields[0]
    path = data_copy / table.path
    header, rows = read_rows(path)
    rows[0][column] = "no_such_source"
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), table.path, column, line=2,
                         text=f"not a {fk.reference_fields[0]} in {fk.resource}.csv")


def test_altered_quote_is_not_found_in_seed(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[2]["quote"] = rows[2]["quote"].replace(" ", "  ", 1)
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), "claims.csv", "quote", line=4, text="not found verbatim")


def test_claim_needs_exactly_one_kind_of_value(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    i = next(i for i, r in enumerate(rows) if r["value"] and not r["low"])
    rows[i]["low"], rows[i]["high"] = rows[i]["value"], rows[i]["value"]
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), "claims.csv", "value", line=i + 2, text="state exactly one of")


def test_seed_date_must_be_the_seed_sources_publication_date(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["seed_published"] = "2020-01-01"
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), "claims.csv", "seed_published", line=2, text="differs from")


def test_low_above_high_is_rejected(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    i = next(i for i, r in enumerate(rows) if r["low"] and r["high"] and r["low"] != r["high"])
    rows[i]["low"], rows[i]["high"] = rows[i]["high"], rows[i]["low"]
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), "claims.csv", "high", line=i + 2, text="greater than")


def test_country_rows_must_sum_to_world_total(data_copy):
    path = data_copy / "usgs_country_supply.csv"
    header, rows = read_rows(path)
    i = next(
        i for i, r in enumerate(rows)
        if r["country"] == "China" and r["measure"] == "mine_production" and r["edition"] == "MCS 2026"
    )
    rows[i]["value_t_reo"] = str(float(rows[i]["value_t_reo"]) + 50_000)  # far beyond any rounding
    write_rows(path, header, rows)
    assert_problem_named(_validate(data_copy), "usgs_country_supply.csv", "value_t_reo", text="not within rounding")


def test_shares_of_one_series_must_not_exceed_100(data_copy):
    path = data_copy / "stage_shares.csv"
    header, rows = read_rows(path)
    first = rows[0]
    twin = dict(first, share_id=first["share_id"] + "_twin", country="Elsewhere", share_pct="99")
    write_rows(path, header, rows + [twin])
    assert_problem_named(_validate(data_copy), "stage_shares.csv", "share_pct", text="over 100%")


def test_datapackage_must_match_schema(data_copy):
    path = data_copy / "datapackage.json"
    descriptor = json.loads(path.read_text())
    descriptor["resources"][0]["schema"]["fields"][0]["type"] = "integer"
    path.write_text(json.dumps(descriptor))
    lines = _validate(data_copy)
    assert any(l.startswith("datapackage.json:") and "differs from the schema" in l for l in lines)


def test_data_must_be_checked_to_no_earlier_than_its_newest_source(data_copy):
    path = data_copy / "checked.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["data_checked_to"] = "2026-01-01"  # before USGS MCS 2026 (2026-02-06) and later sources
    path.write_text(json.dumps(record), encoding="utf-8")
    lines = _validate(data_copy)
    assert any(l.startswith("checked.json: column 'data_checked_to': 2026-01-01 is before the newest source")
               for l in lines), "\n".join(lines)
    assert any(l.startswith("datapackage.json:") and "differs" in l for l in lines)  # it records the date too


def test_validate_never_writes(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["value"] = "abc"
    write_rows(path, header, rows)
    before = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    _validate(data_copy)
    after = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    assert before == after


def test_missing_data_folder_reports_every_file_as_not_found(tmp_path):
    problems = validate_dataset(tmp_path / "nowhere")
    assert {p.file for p in problems} == {"datapackage.json"} | {t.path for t in TABLES.values()}
    assert all("not found" in p.message for p in problems)
