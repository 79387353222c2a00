"""Data faults (issue 15; the reliability review's "data mutations"): each breaks a scratch copy of
the data the way an editor, a spreadsheet or a bad export would, and asserts the one line that
names the file, the physical line and the column, and that nothing was written.

Per-table faults are read with ``read_table`` (one table, fast); the cross-table ones with
``validate_dataset``; tests/reliability/test_cli_faults.py runs the same faults through the
console command.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import DATA, assert_problem_named, read_rows, write_rows
from rare_earths.data.checks import QUOTE_MIN_CHARS, validate_dataset
from rare_earths.data.fields import MAGNITUDE_MAX, YEAR_MAX, YEAR_MIN
from rare_earths.data.load import read_table
from rare_earths.data.schema import TABLES


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of what validation reads: the tables, the two JSON files and the seeds (not raw/)."""
    target = tmp_path / "data"
    target.mkdir()
    for path in DATA.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    shutil.copytree(DATA / "seeds", target / "seeds")
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _table_problems(folder: Path, name: str) -> list[str]:
    before = _snapshot(folder)
    _, problems = read_table(name, folder)
    assert _snapshot(folder) == before, "reading a table wrote into the data folder"
    lines = [str(p) for p in problems]
    assert lines, f"{name}: the fault was accepted"
    assert all("\n" not in line for line in lines)
    return lines


def _dataset_problems(folder: Path, tables=("claims", "sources")) -> list[str]:
    """What validate reports, over the tables a rule needs (all of them: test_cli_faults.py)."""
    before = _snapshot(folder)
    lines = [str(p) for p in validate_dataset(folder, tables)]
    assert _snapshot(folder) == before, "validate wrote into the data folder"
    assert lines, "the fault was accepted"
    return lines


def _set_cell(folder: Path, name: str, column: str, value: str, row: int = 0) -> int:
    """Set one cell (data row ``row``); returns its CSV line."""
    path = folder / TABLES[name].path
    header, rows = read_rows(path)
    rows[row][column] = value
    write_rows(path, header, rows)
    return row + 2


# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["55,5", "1.234,5", "1,5", "1,234"])
def test_a_decimal_comma_is_rejected_never_read_as_another_number(data, text):
    line = _set_cell(data, "prices", "price_low_usd_per_kg", text)
    assert_problem_named(_table_problems(data, "prices"), "prices.csv", "price_low_usd_per_kg", line=line,
                         text="never a decimal comma")


@pytest.mark.parametrize("name, column", [("commitments", "amount_usd_m"), ("usgs_country_supply", "value_t_reo"),
                                          ("revisions", "old_value")])
def test_an_absurd_magnitude_is_rejected(data, name, column):
    line = _set_cell(data, name, column, "1e300")
    assert_problem_named(_table_problems(data, name), TABLES[name].path, column, line=line,
                         text=f"above the maximum {TABLES[name].field(column).maximum:g}")
    assert TABLES[name].field(column).maximum <= MAGNITUDE_MAX


def test_a_negative_revision_value_is_rejected(data):
    line = _set_cell(data, "revisions", "new_value", "-5")
    assert_problem_named(_table_problems(data, "revisions"), "revisions.csv", "new_value", line=line, text="below the minimum 0")


def test_negative_zero_is_read_as_zero(data):
    _set_cell(data, "usgs_country_supply", "value_t_reo", "-0")
    frame, problems = read_table("usgs_country_supply", data)
    value = frame.loc[0, "value_t_reo"]
    assert value == 0 and str(value) == "0.0"  # not "-0.0"
    assert not [p for p in problems if p.column == "value_t_reo" and p.line == 2]


@pytest.mark.parametrize("text", ["-2021", "0", "20230", str(YEAR_MAX + 1)])
def test_an_impossible_year_is_rejected_naming_the_year_column(data, text):
    line = _set_cell(data, "prices", "year", text)
    lines = _table_problems(data, "prices")
    bound = "below the minimum" if int(text) < YEAR_MIN else "above the maximum"
    assert_problem_named(lines, "prices.csv", "year", line=line, text=bound)


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0000-01-01", "2999-04-04", "1800-01-01", "2026-02-30"])
def test_an_impossible_date_is_one_line(data, text):
    line = _set_cell(data, "events", "date", text)
    assert_problem_named(_table_problems(data, "events"), "events.csv", "date", line=line, text="not a valid date")


def test_a_target_reported_met_in_the_future_is_rejected(data):
    header, rows = read_rows(data / "projects.csv")
    row = next(i for i, r in enumerate(rows) if r["met_date"])
    line = _set_cell(data, "projects", "met_date", "2090-01-01", row)
    assert_problem_named(_dataset_problems(data, ["projects"]), "projects.csv", "met_date", line=line,
                         text="after the date the data is checked to")


# -- files: empty, header only, encodings, CSV syntax ----------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\n \r\n"])
def test_an_empty_file_is_one_line(data, content):
    (data / "prices.csv").write_bytes(content)
    assert _table_problems(data, "prices") == ["prices.csv:1: the file is empty: expected a header line and at least one row"]


@pytest.mark.parametrize("name", ["prices", "projects", "commitments", "events", "company_output", "stage_shares"])
def test_a_header_only_table_is_rejected(data, name):
    path = data / TABLES[name].path
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert _table_problems(data, name) == [f"{TABLES[name].path}:2: the table has no rows, only its header: "
                                           "every table needs at least one"]


def test_latin1_bytes_are_named_by_line_and_column(data):
    path = data / "events.csv"
    header, rows = read_rows(path)
    rows[2]["title"] = "Ministère"
    write_rows(path, header, rows)
    path.write_bytes(path.read_bytes().replace("Ministère".encode("utf-8"), "Ministère".encode("latin-1")))
    assert_problem_named(_table_problems(data, "events"), "events.csv", "title", line=4, text="not UTF-8 text (byte 0xe8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_is_one_line(data, encoding):
    path = data / "events.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    assert _table_problems(data, "events") == ["events.csv:1: the file is encoded as UTF-16: save it as UTF-8"]


def test_binary_content_is_one_line(data):
    (data / "events.csv").write_bytes(bytes(range(1, 256)) * 4)
    lines = _table_problems(data, "events")
    assert len(lines) == 1 and lines[0].startswith("events.csv:1:") and "more cells like it" in lines[0], lines


def test_a_utf8_bom_and_crlf_line_ends_are_accepted(data):
    path = data / "events.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    frame, problems = read_table("events", data)
    assert problems == [] and len(frame) == len(text.splitlines()) - 1


def test_an_unterminated_quote_names_the_line_and_column_where_it_opens(data):
    path = data / "events.csv"
    header, rows = read_rows(path)
    rows[2]["title"] = "Marker title, suspended"  # a cell the CSV writer quotes (it holds a comma)
    write_rows(path, header, rows)
    text = path.read_text(encoding="utf-8")
    cut = text.index("\"Marker title") + len("\"Marker title")
    path.write_text(text[:cut], encoding="utf-8")  # a file cut off inside the quoted cell
    assert _table_problems(data, "events") == [
        "events.csv:4: column 'title': a quoted cell is opened (\") and never closed: add the closing quote"]


def test_a_quote_closed_too_early_names_its_cell(data):
    path = data / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[3].split(",")
    title = header.index("title")
    cells[title] = '"' + cells[title].strip('"') + '" and more'
    lines[3] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    assert _table_problems(data, "events") == [
        "events.csv:4: column 'title': a quoted cell is closed (\") and followed by more text: quote the whole cell and "
        "double any quote inside it (\"\")"]


def test_a_nul_byte_in_a_cell_is_rejected(data):
    header, rows = read_rows(data / "prices.csv")
    row = next(i for i, r in enumerate(rows) if r["commodity"] == "NdPr oxide")
    line = _set_cell(data, "prices", "commodity", "Nd\x00Pr oxide", row)
    assert_problem_named(_table_problems(data, "prices"), "prices.csv", "commodity", line=line, text="U+0000")


def test_a_row_with_a_cell_too_many_is_one_line(data):
    path = data / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert any(l.startswith("events.csv:3: the row has") for l in _table_problems(data, "events"))


def test_a_multiline_cell_does_not_shift_later_line_numbers(data):
    path = data / "prices.csv"
    header, rows = read_rows(path)
    rows[0]["note"] = "first line\nsecond line\nthird line"  # rows 2.. start two lines further down
    rows[2]["price_low_usd_per_kg"] = "twelve"
    write_rows(path, header, rows)
    physical = 2 + 1 + 2 + 1  # header, row 0 (3 lines), row 1
    assert path.read_text(encoding="utf-8").splitlines()[physical - 1].startswith(rows[2]["price_id"])
    assert_problem_named(_table_problems(data, "prices"), "prices.csv", "price_low_usd_per_kg", line=physical,
                         text="'twelve'")


def test_cross_table_problems_also_name_the_physical_line(data):
    path = data / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["note"] = rows[0]["note"] + "\nand a second line"
    rows[3]["seed_source_id"] = "no_such_source"
    write_rows(path, header, rows)
    assert_problem_named(_dataset_problems(data), "claims.csv", "seed_source_id", line=3 + 2 + 1,
                         text="not a source_id in sources.csv")


# -- claims: quotes and seeds -----------------------------------------------------------------


@pytest.mark.parametrize("quote", ["a", "15%", "x" * (QUOTE_MIN_CHARS - 1)])
def test_a_quote_too_short_to_locate_is_rejected(data, quote):
    line = _set_cell(data, "claims", "quote", quote)
    assert_problem_named(_dataset_problems(data), "claims.csv", "quote", line=line, text="too short to locate")


def test_a_whitespace_only_quote_is_a_missing_value_not_a_crash(data):
    line = _set_cell(data, "claims", "quote", "   ")
    assert_problem_named(_dataset_problems(data), "claims.csv", "quote", line=line, text="required value is missing")


@pytest.mark.parametrize("seed", ["../prices.csv", "/etc/passwd", "..", "sub/seed.txt", ".hidden"])
def test_a_seed_path_outside_the_seeds_folder_is_rejected(data, seed):
    line = _set_cell(data, "claims", "seed_file", seed)
    assert_problem_named(_dataset_problems(data), "claims.csv", "seed_file", line=line, text="not a file name in data/seeds/")


def test_a_seed_linked_from_outside_the_seeds_folder_is_rejected(data):
    (data / "seeds" / "linked.txt").symlink_to(data / "prices.csv")
    line = _set_cell(data, "claims", "seed_file", "linked.txt")
    assert_problem_named(_dataset_problems(data), "claims.csv", "seed_file", line=line, text="outside data/seeds/")


def test_a_latin1_seed_is_one_line(data):
    header, rows = read_rows(data / "claims.csv")
    seed = data / "seeds" / rows[0]["seed_file"]
    seed.write_bytes(seed.read_bytes() + "café".encode("latin-1"))
    assert_problem_named(_dataset_problems(data), "claims.csv", "seed_file", line=2, text="is not UTF-8")


def test_a_correction_file_outside_raw_is_rejected(data):
    line = _set_cell(data, "corrections", "authority_file", "../../etc/passwd")
    assert_problem_named(_dataset_problems(data, ["corrections"]), "corrections.csv", "authority_file", line=line,
                         text="not a path inside data/raw/")


# -- the check every command runs first ---------------------------------------------------------


def test_the_data_check_finds_the_same_folder_as_the_loader(data, monkeypatch):
    from rare_earths.data import gate
    from rare_earths.data.load import data_dir

    monkeypatch.delenv("RARE_EARTHS_DATA", raising=False)
    assert gate._data_dir(None) == data_dir()
    monkeypatch.setenv("RARE_EARTHS_DATA", str(data))
    assert gate._data_dir(None) == data_dir() == data.resolve()


def test_the_data_check_is_cached_by_content_as_plain_json(data, tmp_path, monkeypatch):
    import json

    from rare_earths.data import checks, gate

    calls = []
    full = checks.validate_dataset

    def validate_prices(folder):  # the one table this test edits: the cache logic, without 18 tables' cost
        calls.append(folder)
        return full(folder, ["prices"])

    monkeypatch.setattr(checks, "validate_dataset", validate_prices)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _set_cell(data, "prices", "price_low_usd_per_kg", "55,5")
    first = gate.data_problems(data)
    (record,) = (tmp_path / "cache" / "rare-earths" / "validated").glob("*.json")
    assert [p["column"] for p in json.loads(record.read_text())["problems"]] == \
        [p.column for p in first] == ["price_low_usd_per_kg"]
    gate._MEMO.clear()
    assert gate.data_problems(data) == first and len(calls) == 1  # read back from the record
    _set_cell(data, "prices", "price_low_usd_per_kg", "55")  # any edit misses the cache
    assert gate.data_problems(data) == [] and len(calls) == 2
    record.write_text("not json")  # a damaged record is ignored (validated again), never trusted
    gate._MEMO.clear()
    _set_cell(data, "prices", "price_low_usd_per_kg", "55,5")
    assert gate.data_problems(data) == first and len(calls) == 3


def test_a_blank_row_in_every_table_is_reported_not_a_crash(data):
    for table in TABLES.values():
        path = data / table.path
        header, rows = read_rows(path)
        rows[0] = {column: "" for column in header}
        write_rows(path, header, rows)
    lines = _dataset_problems(data, None)
    for table in TABLES.values():
        column = next(f.name for f in table.fields if f.required)
        assert_problem_named(lines, table.path, column, line=2, text="required value is missing")
