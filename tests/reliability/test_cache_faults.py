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


# -- a record another user could have written is not trusted -------------------------------------


def _plant_valid_table_record(data: Path) -> Path:
    """A record saying the (broken) prices table is valid, under the name the loader looks for."""
    from rare_earths.data import load

    record = load._record_path("prices", load.validation_key("prices", (data / "prices.csv").read_bytes()))
    record.parent.mkdir(parents=True, exist_ok=True)
    key = load.validation_key("prices", (data / "prices.csv").read_bytes())
    record.write_text(json.dumps({"format": 1, "table": "prices", "key": key, "valid": True}), encoding="utf-8")
    return record


@pytest.mark.parametrize("shared", ["folder", "file"])
def test_a_valid_record_in_a_cache_others_can_write_is_ignored(tmp_path: Path, monkeypatch, data_copy: Path, shared):
    from rare_earths.data import load

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    content = (data_copy / "prices.csv").read_bytes()
    (data_copy / "prices.csv").write_bytes(content.replace(b",55,", b",-5,", 1))
    record = _plant_valid_table_record(data_copy)
    record.chmod(0o600)
    record.parent.chmod(0o700)
    # Written privately, the record is taken as the user's own (the control: the record works) ...
    load.clear_cache()
    assert float(load.load_table("prices", data_copy)["price_low_usd_per_kg"].min()) == -5
    # ... but where a group or other users could have written it, it is not read: validated again.
    (record.parent if shared == "folder" else record).chmod(0o777 if shared == "folder" else 0o666)
    load.clear_cache()
    with pytest.raises(load.DataError, match="prices.csv"):
        load.load_table("prices", data_copy)


def test_the_data_gate_ignores_a_planted_all_clear_in_a_shared_cache(tmp_path: Path, monkeypatch, data_copy: Path):
    """The check every command runs first (rare_earths.data.gate) remembers its verdict on disk."""
    from rare_earths.data import gate

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    content = (data_copy / "prices.csv").read_bytes()
    (data_copy / "prices.csv").write_bytes(content.replace(b",55,", b",-5,", 1))
    folder = tmp_path / "xdg" / "rare-earths" / "validated"
    folder.mkdir(parents=True, mode=0o700)
    digest = gate.data_digest(data_copy)
    (folder / f"{digest}.json").write_text(json.dumps({"digest": digest, "problems": []}), encoding="utf-8")
    # The control: written privately, the all-clear is the user's own record (validation skipped) ...
    gate._MEMO.clear()
    assert gate.data_problems(data_copy) == []
    # ... in a folder others can write, it is not read: the broken table is reported.
    folder.chmod(0o777)
    gate._MEMO.clear()
    problems = gate.data_problems(data_copy)
    assert [p.file for p in problems] == ["prices.csv"] and "below the minimum" in problems[0].message


def test_trusted_means_in_the_cache_a_plain_file_and_private(tmp_path: Path, monkeypatch):
    from rare_earths import caches

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = caches.make_cache_dir("tables")
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    record = folder / "r.json"
    record.write_text("{}", encoding="utf-8")
    record.chmod(0o644)
    assert caches.trusted(record)
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}", encoding="utf-8")
    link = folder / "link.json"
    link.symlink_to(record)
    assert not caches.trusted(outside) and not caches.trusted(link) and not caches.trusted(folder / "missing.json")
    caches.cache_root().chmod(0o775)  # an old umask: the user's own folder, group-writable
    assert not caches.trusted(record)
    caches.make_cache_dir("tables")  # made private again
    assert caches.trusted(record)
