"""Overlays of the analyst's own tables (rare_earths.data.overlay): merged by key, checked first."""

from __future__ import annotations

import csv

import pytest

from support import DATA, read_rows
from rare_earths.data.overlay import OverlayError, is_overlay, prepare_data, template
from rare_earths.data.schema import TABLES


def _overlay(folder, table: str, rows: list[dict]):
    folder.mkdir(exist_ok=True)
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _required(table: str, row: dict) -> dict:
    return {k: v for k, v in row.items() if k in template(table)["required"]}


def test_replace_and_extend_by_primary_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    header, rows = read_rows(DATA / "prices.csv")
    replaced = {**rows[0], "note": "my own note"}
    added = {**_required("prices", rows[1]), "price_id": "mine_2026"}
    overlay = _overlay(tmp_path / "mine", "prices", [replaced, added])
    before = (overlay / "prices.csv").read_bytes()
    selection = prepare_data(overlay)
    assert is_overlay(overlay) and selection.overlay == overlay.resolve() and selection.tables == ("prices",)
    merged_header, merged = read_rows(selection.folder / "prices.csv")
    assert merged_header == header and len(merged) == len(rows) + 1
    assert merged[0] == replaced and merged[1:len(rows)] == rows[1:]
    assert merged[-1] == {**{k: "" for k in header}, **added}  # left-out optional columns are empty
    assert (overlay / "prices.csv").read_bytes() == before  # the overlay is only read
    assert (selection.folder / "claims.csv").read_bytes() == (DATA / "claims.csv").read_bytes()
    assert prepare_data(overlay) == selection  # the same overlay: the same merged folder


def test_whole_data_folder_is_used_as_it_is():
    assert prepare_data(DATA).folder == DATA.resolve() and prepare_data(DATA).overlay is None


@pytest.mark.parametrize("edit, where", [
    (lambda r: {k: v for k, v in r.items() if k != "bound"}, ":1: column 'bound': required column is missing from the header"),
    (lambda r: {**r, "colour": "red"}, ":1: column 'colour': column is not in the schema of prices"),
    (lambda r: {**r, "source_id": "nobody"}, ":2: column 'source_id': 'nobody' is not a source_id in sources.csv"),
    (lambda r: {**r, "kind": "guess"}, ":2: column 'kind': "),
    (lambda r: {**r, "date": "2026-02-30"}, ":2: column 'date': not a valid date (YYYY-MM-DD"),
])
def test_bad_overlay_rows_name_the_overlay_file_line_and_column(tmp_path, monkeypatch, edit, where):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _, rows = read_rows(DATA / "prices.csv")
    overlay = _overlay(tmp_path / "mine", "prices", [edit({**rows[0], "price_id": "mine_2026"})])
    with pytest.raises(OverlayError) as err:
        prepare_data(overlay)
    assert str(err.value).startswith(f"{overlay / 'prices.csv'}{where}"), str(err.value)
    assert not (tmp_path / "cache" / "rare-earths" / "overlays").exists() or not any(
        (tmp_path / "cache" / "rare-earths" / "overlays").glob("[!.]*"))


def test_duplicate_key_and_unknown_table(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _, rows = read_rows(DATA / "prices.csv")
    overlay = _overlay(tmp_path / "dup", "prices", [rows[0], rows[0]])
    with pytest.raises(OverlayError, match="duplicate primary key"):
        prepare_data(overlay)
    other = _overlay(tmp_path / "other", "price", [rows[0]])
    with pytest.raises(OverlayError, match=r"price\.csv: not a table of the dataset \(did you mean prices\.csv\?\)"):
        prepare_data(other)
    with pytest.raises(OverlayError, match="no such folder"):
        prepare_data(tmp_path / "missing")


def test_template_of_every_table_is_valid_as_an_overlay(tmp_path, monkeypatch):
    # The example row is the first shipped row: written as an overlay it replaces itself.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("sources", "prices", "producer_costs"):
        info = template(name)
        assert info["header"] == TABLES[name].column_names
        overlay = _overlay(tmp_path / name, name, [info["example"]])
        assert prepare_data(overlay).tables == (name,)
