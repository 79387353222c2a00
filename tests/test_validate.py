"""`rare-earths validate` on the shipped data and on deliberately broken copies of it.

Each mutation breaks one rule in a scratch copy; the test runs the real console command and
asserts a non-zero exit with a line naming the file, the CSV line and the column.
"""

from __future__ import annotations

import json
import re

import pytest

from support import DATA, read_rows, run_cli, write_rows
from rare_earths.data.schema import TABLES


def test_shipped_data_is_valid():
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"ok: {len(TABLES)} tables valid"


def test_validate_json_reports_no_problems_on_shipped_data():
    result = run_cli("validate", "--json", "--data", str(DATA))
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"valid": True, "problems": []}


def _first_numeric_column(table):
    return next(f.name for f in table.fields if f.type in ("number", "integer"))


def _validate(folder):
    result = run_cli("validate", "--data", str(folder))
    assert result.returncode == 1, f"validate accepted broken data:\n{result.stdout}"
    return result.stdout.splitlines()


def _assert_named(lines, file, column, line=None, text=None):
    pattern = re.escape(file) + (rf":{line}:" if line else r"(:\d+)?:") + rf" column '{re.escape(column)}':"
    hits = [l for l in lines if re.match(pattern, l) and (text is None or text in l)]
    assert hits, f"no line names {file} / {column} / {text!r} in:\n" + "\n".join(lines)


NUMERIC_TABLES = [name for name, t in TABLES.items() if any(f.type in ("number", "integer") for f in t.fields)]


@pytest.mark.parametrize("name", NUMERIC_TABLES)
def test_non_number_in_numeric_column_is_rejected(data_copy, name):
    table = TABLES[name]
    path = data_copy / table.path
    header, rows = read_rows(path)
    column = _first_numeric_column(table)
    rows[0][column] = "twelve"
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), table.path, column, line=2, text="'twelve'")


@pytest.mark.parametrize("name", list(TABLES))
def test_duplicate_primary_key_is_rejected(data_copy, name):
    table = TABLES[name]
    path = data_copy / table.path
    header, rows = read_rows(path)
    rows.append(dict(rows[0]))
    write_rows(path, header, rows)
    lines = _validate(data_copy)
    assert any(table.path in l and "duplicate primary key" in l for l in lines), "\n".join(lines)


@pytest.mark.parametrize("name", list(TABLES))
def test_missing_required_column_is_rejected(data_copy, name):
    table = TABLES[name]
    path = data_copy / table.path
    header, rows = read_rows(path)
    column = next(f.name for f in table.fields if f.required and f.name not in table.primary_key)
    header.remove(column)
    for row in rows:
        row.pop(column)
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), table.path, column, line=1, text="missing")


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.foreign_keys])
def test_broken_foreign_key_is_rejected(data_copy, name):
    table = TABLES[name]
    fk = table.foreign_keys[0]
    column = fk.fields[0]
    path = data_copy / table.path
    header, rows = read_rows(path)
    rows[0][column] = "no_such_source"
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), table.path, column, line=2, text=f"not a {fk.reference_fields[0]} in {fk.resource}.csv")


@pytest.mark.parametrize(
    "name, column",
    [(n, f.name) for n, t in TABLES.items() for f in t.fields if f.maximum == 100],
)
def test_share_over_100_is_rejected(data_copy, name, column):
    path = data_copy / TABLES[name].path
    header, rows = read_rows(path)
    rows[0][column] = "101"
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), TABLES[name].path, column, line=2, text="101")


def test_altered_quote_is_not_found_in_seed(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[2]["quote"] = rows[2]["quote"].replace(" ", "  ", 1)
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), "claims.csv", "quote", line=4, text="not found verbatim")


def test_low_above_high_is_rejected(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    i = next(i for i, r in enumerate(rows) if r["low"] and r["high"])
    rows[i]["low"], rows[i]["high"] = rows[i]["high"], rows[i]["low"]
    if rows[i]["low"] == rows[i]["high"]:
        pytest.fail("need a claim with a real range")
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), "claims.csv", "high", line=i + 2, text="greater than")


def test_impossible_date_is_rejected(data_copy):
    path = data_copy / "events.csv"
    header, rows = read_rows(path)
    rows[0]["date"] = "2025-02-30"
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), "events.csv", "date", line=2, text="not a valid date")


def test_unknown_enum_value_is_rejected(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["verdict"] = "probably"
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), "claims.csv", "verdict", line=2, text="probably")


def test_country_rows_must_sum_to_world_total(data_copy):
    path = data_copy / "usgs_country_supply.csv"
    header, rows = read_rows(path)
    i = next(
        i for i, r in enumerate(rows)
        if r["country"] == "China" and r["measure"] == "mine_production" and r["edition"] == "MCS 2026"
    )
    rows[i]["value_t_reo"] = str(float(rows[i]["value_t_reo"]) + 50_000)  # far beyond any rounding
    write_rows(path, header, rows)
    _assert_named(_validate(data_copy), "usgs_country_supply.csv", "value_t_reo", text="not within rounding")


def test_datapackage_must_match_schema(data_copy):
    path = data_copy / "datapackage.json"
    descriptor = json.loads(path.read_text())
    descriptor["resources"][0]["schema"]["fields"][0]["type"] = "integer"
    path.write_text(json.dumps(descriptor))
    lines = _validate(data_copy)
    assert any(l.startswith("datapackage.json:") and "differs from the schema" in l for l in lines)


def test_validate_never_writes(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["value"] = "abc"
    write_rows(path, header, rows)
    before = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    _validate(data_copy)
    after = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    assert before == after


def test_missing_data_folder_is_one_line_error(tmp_path):
    result = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr

