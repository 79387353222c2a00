"""Loading the curated tables (rare_earths.data.load): types, the per-table rules, where the data is.

The per-table mutations break one rule of one table in a scratch copy and assert a problem naming
the file, the CSV line and the column (what ``rare-earths validate`` prints).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from support import DATA, ROOT, assert_problem_named, read_rows, write_rows
from rare_earths.data.load import DataError, Problem, data_checked_to, data_dir, data_version, load_table, read_table
from rare_earths.data.schema import TABLES

DTYPES = {"string": "string", "number": "float64", "integer": "Int64", "boolean": "boolean", "date": "datetime64[ns]"}


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_loads_with_declared_types(name):
    frame = load_table(name)
    assert list(frame.columns) == TABLES[name].column_names
    assert len(frame) > 0
    for fld in TABLES[name].fields:
        assert str(frame[fld.name].dtype) == DTYPES[fld.type], fld.name


def test_load_table_returns_a_copy_callers_may_change():
    first = load_table("claims")
    first.loc[first.index[0], "verdict"] = "changed"
    assert load_table("claims").loc[first.index[0], "verdict"] != "changed"


def _problems(folder, name) -> list[str]:
    _, problems = read_table(name, folder)
    assert problems, f"{name}: broken table accepted"
    with pytest.raises(DataError) as err:  # load_table raises with the same problems
        load_table(name, folder)
    assert [str(p) for p in err.value.problems] == [str(p) for p in problems]
    assert str(err.value) == "\n".join(str(p) for p in problems)
    return [str(p) for p in problems]


NUMERIC_TABLES = [name for name, t in TABLES.items() if any(f.type in ("number", "integer") for f in t.fields)]


@pytest.mark.parametrize("name", NUMERIC_TABLES)
def test_non_number_in_numeric_column_is_rejected(data_copy, name):
    table = TABLES[name]
    path = data_copy / table.path
    header, rows = read_rows(path)
    column = next(f.name for f in table.fields if f.type in ("number", "integer"))
    rows[0][column] = "twelve"
    write_rows(path, header, rows)
    assert_problem_named(_problems(data_copy, name), table.path, column, line=2, text="'twelve'")


@pytest.mark.parametrize("name", list(TABLES))
def test_duplicate_primary_key_is_rejected(data_copy, name):
    table = TABLES[name]
    path = data_copy / table.path
    header, rows = read_rows(path)
    rows.append(dict(rows[0]))
    write_rows(path, header, rows)
    lines = _problems(data_copy, name)
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
    assert_problem_named(_problems(data_copy, name), table.path, column, line=1, text="missing")


@pytest.mark.parametrize(
    "name, column",
    [(n, f.name) for n, t in TABLES.items() for f in t.fields if f.maximum == 100],
)
def test_share_over_100_is_rejected(data_copy, name, column):
    path = data_copy / TABLES[name].path
    header, rows = read_rows(path)
    rows[0][column] = "101"
    write_rows(path, header, rows)
    assert_problem_named(_problems(data_copy, name), TABLES[name].path, column, line=2, text="101")


def test_impossible_date_is_rejected(data_copy):
    path = data_copy / "events.csv"
    header, rows = read_rows(path)
    rows[0]["date"] = "2025-02-30"
    write_rows(path, header, rows)
    assert_problem_named(_problems(data_copy, "events"), "events.csv", "date", line=2, text="not a valid date")


def test_unknown_enum_value_is_rejected(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["verdict"] = "probably"
    write_rows(path, header, rows)
    assert_problem_named(_problems(data_copy, "claims"), "claims.csv", "verdict", line=2, text="probably")


def test_blank_required_cell_is_missing(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[1]["quote"] = "   "
    write_rows(path, header, rows)
    assert_problem_named(_problems(data_copy, "claims"), "claims.csv", "quote", line=3, text="required value is missing")


def test_problem_text_names_file_line_and_column():
    assert str(Problem("claims.csv", 4, "quote", "not found")) == "claims.csv:4: column 'quote': not found"
    assert str(Problem("datapackage.json", None, None, "differs")) == "datapackage.json: differs"


def test_data_dir_search_order(tmp_path, monkeypatch):
    monkeypatch.delenv("RARE_EARTHS_DATA", raising=False)
    assert data_dir() == DATA  # the checkout's data/ (an editable install)
    monkeypatch.setenv("RARE_EARTHS_DATA", str(tmp_path))
    assert data_dir() == tmp_path.resolve()
    assert data_dir(DATA) == DATA  # an explicit folder wins


def test_data_version_is_a_hash_of_every_table(data_copy):
    assert data_version(data_copy) == data_version(DATA)
    path = data_copy / "events.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert data_version(data_copy) != data_version(DATA)


def test_data_checked_to_is_read_from_checked_json(data_copy):
    by_hand = json.loads((data_copy / "checked.json").read_text(encoding="utf-8"))["data_checked_to"]
    assert data_checked_to(data_copy) == dt.date.fromisoformat(by_hand)
    (data_copy / "checked.json").write_text(json.dumps({"data_checked_to": "2027-03-04"}), encoding="utf-8")
    assert data_checked_to(data_copy) == dt.date(2027, 3, 4)  # whatever the file says, not a date in the code
    (data_copy / "checked.json").write_text(json.dumps({"data_checked_to": "2026-02-30"}), encoding="utf-8")
    with pytest.raises(DataError, match="checked.json: column 'data_checked_to': not a date YYYY-MM-DD"):
        data_checked_to(data_copy)
    (data_copy / "checked.json").unlink()
    with pytest.raises(DataError, match="checked.json: file not found"):
        data_checked_to(data_copy)


def test_data_is_found_from_an_installed_wheel(tmp_path):
    """Build the wheel, install it in a scratch folder without the checkout, load a table."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = "import rare_earths.data.load as d; print(d.data_dir()); print(len(d.load_table('claims')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    folder, count = result.stdout.split()
    assert folder.startswith(str(target)) and int(count) == len(load_table("claims"))
    # The shipped scenarios travel with it: listed, and usable by name, from the installed package.
    code = ("from rare_earths.params.scenario import SCENARIO_DIR, find_scenario, list_scenarios, load_scenario; print(SCENARIO_DIR); "
            "print(','.join(s.name for s in list_scenarios())); print(load_scenario(find_scenario('articles')).parameters)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    folder, names, articles = result.stdout.splitlines()
    from rare_earths.params.scenario import find_scenario, list_scenarios, load_scenario

    assert folder == str(target / "rare_earths" / "_scenarios")
    assert names.split(",") == [s.name for s in list_scenarios()] and len(names.split(",")) >= 4
    assert articles == str(load_scenario(find_scenario("articles")).parameters)
