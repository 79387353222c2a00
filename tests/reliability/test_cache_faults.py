"""The on-disk table cache is plain data, checked on read (issue 15).

``~/.cache/rare-earths/tables`` holds JSON records saying "these CSV bytes passed validation
under this schema and loader code"; tables are always parsed from the CSV. A planted pickle is
never executed, a damaged or foreign record is ignored and written anew, and the key covers the
loader's code.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from support import DATA, ROOT, run_cli


class _Planted:
    """Unpickling this creates the file named in ``marker``: proof that a pickle was executed."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_planted_pickle_is_never_executed_and_the_numbers_come_from_the_csv(tmp_path: Path):
    from rare_earths.data.schema import TABLES

    clean = run_cli("numbers", "costs.china_cost_usd_per_kg", "--json", env={"XDG_CACHE_HOME": str(tmp_path / "fresh")},
                    check=True)
    cache = tmp_path / "xdg" / "rare-earths" / "tables"
    cache.mkdir(parents=True)
    marker = tmp_path / "PWNED"
    payload = pickle.dumps(_Planted(marker))
    for name in TABLES:  # under the old pickle names and under the names of today's records
        (cache / f"{name}-{'0' * 24}.pkl").write_bytes(payload)
    run_cli("numbers", "costs.china_cost_usd_per_kg", env={"XDG_CACHE_HOME": str(tmp_path / "xdg")}, check=True)
    for record in list(cache.glob("*.json")):
        record.write_bytes(payload)
    planted = run_cli("numbers", "costs.china_cost_usd_per_kg", "--json", env={"XDG_CACHE_HOME": str(tmp_path / "xdg")},
                      check=True)
    assert not marker.exists()
    assert planted.stdout == clean.stdout
    # The damaged records were written anew, as JSON.
    assert all(json.loads(r.read_text(encoding="utf-8"))["valid"] is True for r in cache.glob("*.json"))


def test_a_record_never_replaces_the_csv_and_a_damaged_one_is_rewritten(tmp_path: Path, monkeypatch, data_copy: Path):
    from rare_earths.data import load

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load.clear_cache()
    first = load.load_table("prices", data_copy)
    content = (data_copy / "prices.csv").read_bytes()
    record = load._record_path("prices", load.validation_key("prices", content))
    assert json.loads(record.read_text(encoding="utf-8")) == {
        "format": 1, "table": "prices", "key": load.validation_key("prices", content), "valid": True}
    for damage in ("", "{not json", json.dumps({"format": 1, "table": "prices", "key": "0" * 64, "valid": True}), "[]"):
        record.write_text(damage, encoding="utf-8")
        load.clear_cache()
        assert load.load_table("prices", data_copy).equals(first)
        assert json.loads(record.read_text(encoding="utf-8"))["key"] == load.validation_key("prices", content)
    # Another CSV is another key: an edit is validated again, whatever records exist.
    (data_copy / "prices.csv").write_bytes(content.replace(b",55,", b",-5,", 1))
    load.clear_cache()
    with pytest.raises(load.DataError, match="prices.csv"):
        load.load_table("prices", data_copy)


def test_the_record_key_covers_the_loader_code_and_the_schema():
    from rare_earths.data import load

    package_data = ROOT / "src" / "rare_earths" / "data"
    assert load.loader_code_files() == sorted(package_data.glob("*.py"))
    assert {"load.py", "schema.py", "fields.py"} <= {p.name for p in load.loader_code_files()}
    content = (DATA / "prices.csv").read_bytes()
    assert load.validation_key("prices", content) != load.validation_key("prices", content + b"\n")
    assert load.validation_key("prices", content) != load.validation_key("demand", content)  # another schema


def test_the_quick_typing_of_a_validated_table_equals_the_full_one_on_every_table():
    from rare_earths.data import load
    from rare_earths.data.schema import TABLES

    for name, table in TABLES.items():
        content = (DATA / table.path).read_bytes()
        full, problems = load._parse(table, content, validate=False)
        quick = load._typed_quickly(table, content)
        assert not problems and quick is not None, name
        assert list(quick.dtypes) == list(full.dtypes), name
        assert quick.equals(full) and quick.index.equals(full.index), name
