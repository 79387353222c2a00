"""The USGS rows of the curated tables equal what the importer derives from the frozen official files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from rare_earths.data import importer as im
from rare_earths.data.schema import TABLES
from support import DATA, read_rows, run_cli, write_rows

RAW = DATA / "raw"


@pytest.fixture(scope="module")
def derived():
    return im.derive_all(DATA)


def _without_note(table, row):
    return tuple(row[c] for c in TABLES[table].column_names if c != "note")


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_frozen_file_matches_its_manifest():
    files = [p for p in RAW.rglob("*") if p.is_file() and not p.name.endswith(im.MANIFEST_SUFFIX) and p.name != "README.md"]
    assert len(files) == 9
    for path in files:
        manifest = json.loads(path.with_name(path.name + im.MANIFEST_SUFFIX).read_text(encoding="utf-8"))
        assert all(str(manifest.get(f) or "").strip() for f in im.REQUIRED_FIELDS), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["sha256"], path
        assert manifest["verification"]["checked_against_official_server"] is False  # said plainly: never checked
    assert set(im.frozen_editions(DATA)) == {"MCS 2025", "MCS 2026"}


@pytest.mark.parametrize("table", ["usgs_country_supply", "usgs_us_imports"])
def test_curated_usgs_rows_equal_the_derived_ones(derived, table):
    _, rows, _ = derived
    corrections = im.load_corrections(DATA)
    added = im.added_keys(corrections, table)
    _, curated = read_rows(DATA / f"{table}.csv")
    want = {im.row_key(table, r): _without_note(table, r) for ed in rows.values() for r in ed[table]}
    have = {im.row_key(table, r): _without_note(table, r) for r in curated if im.row_key(table, r) not in added}
    assert have == want  # values, bounds, status, estimate flags, versions, footnotes, locators, texts
    # every curated row the releases lack is a correction naming its source
    assert {im.row_key(table, r) for r in curated} - set(want) == added


def test_curated_usgs_prices_equal_the_newest_derived_edition(derived):
    _, rows, _ = derived
    _, curated = read_rows(DATA / "prices.csv")
    usgs = [r for r in curated if r["source_id"].startswith("usgs_")]
    want = {r["price_id"]: _without_note("prices", r) for r in im.newest_prices(rows)}
    assert {r["price_id"]: _without_note("prices", r) for r in usgs} == want
    dy = {r["price_id"]: r for r in usgs}["usgs_dysprosium_oxide_2024"]
    assert (dy["price_low_usd_per_kg"], dy["price_high_usd_per_kg"], dy["source_id"]) == ("257", "257", "usgs_mcs_2026_ree_heavy")


def test_revisions_are_rederived_from_the_two_frozen_editions(derived):
    _, _, revisions = derived
    _, curated = read_rows(DATA / "revisions.csv")
    assert {r["revision_id"]: _without_note("revisions", r) for r in curated} == \
        {r["revision_id"]: _without_note("revisions", r) for r in revisions}
    ids = {r["revision_id"] for r in revisions}
    assert {"mcs2025_mcs2026_brazil_reserves", "mcs2026_v10_v13_brazil_reserves", "mcs2025_mcs2026_nir_2024",
            "mcs2025_mcs2026_dy_oxide_price_2024"} <= ids


def test_every_correction_names_its_source_and_is_found_in_its_frozen_file():
    corrections = im.load_corrections(DATA)
    assert im.check_corrections(corrections, RAW) == []
    brazil = {c["correction_id"]: c for c in corrections}["mcs2026_v13_brazil_reserves"]
    assert (brazil["release_value"], brazil["curated_value"], brazil["version"]) == ("21000000", "11000000", "1.3")
    release = im.derive_release(im.read_edition(RAW / "usgs-mcs-2026"))
    row = [r for r in release["usgs_country_supply"] if r["country"] == "Brazil" and r["measure"] == "reserves"][0]
    assert row["value_t_reo"] == "21000000"  # the v1.0 data release lacks the v1.3 revision
    unfrozen = [c for c in corrections if not c["authority_file"]]
    assert unfrozen and all("not checked against a frozen file" in c["note"] for c in unfrozen)


def test_a_changed_correction_text_is_caught():
    corrections = im.load_corrections(DATA)
    corrections[0] = dict(corrections[0], source_text=corrections[0]["source_text"].replace("11,000,000", "12,000,000"))
    assert any("source_text not found" in p for p in im.check_corrections(corrections, RAW))


def test_the_importer_never_downloads():
    source = Path(im.__file__).read_text(encoding="utf-8")
    assert not any(word in source for word in ("urllib", "requests", "http.client", "socket", "urlopen"))


def _strip_edition(data: Path, edition: str) -> None:
    """Remove an edition from a data copy: its rows, its price rows, the revisions, its frozen files."""
    corrections = im.load_corrections(data)
    for table in ("usgs_country_supply", "usgs_us_imports"):
        header, rows = read_rows(data / f"{table}.csv")
        added = im.added_keys(corrections, table)
        write_rows(data / f"{table}.csv", header, [r for r in rows if r["edition"] != edition or im.row_key(table, r) in added])
    header, rows = read_rows(data / "prices.csv")
    write_rows(data / "prices.csv", header, [r for r in rows if not r["source_id"].startswith(f"usgs_mcs_{edition[-4:]}")])
    header, _ = read_rows(data / "revisions.csv")
    write_rows(data / "revisions.csv", header, [])
    shutil.rmtree(data / "raw" / f"usgs-mcs-{edition[-4:]}")


def _rows_without_notes(data: Path, table: str) -> set:
    return {_without_note(table, r) for r in read_rows(data / f"{table}.csv")[1]}


def test_import_adds_an_edition_and_its_revisions_in_one_command(data_copy):
    _strip_edition(data_copy, "MCS 2026")
    result = run_cli("import", str(RAW / "usgs-mcs-2026"), "--data", str(data_copy))
    assert result.returncode == 0, result.stderr
    assert "revisions against MCS 2025" in result.stdout
    for table in ("usgs_country_supply", "usgs_us_imports", "prices", "revisions"):
        assert _rows_without_notes(data_copy, table) == _rows_without_notes(DATA, table), table
    assert _snapshot(data_copy / "raw") == _snapshot(RAW)  # the files were frozen with their manifests
    assert run_cli("validate", "--data", str(data_copy)).returncode == 0


def test_import_refuses_to_overwrite_unless_asked_and_force_is_idempotent(data_copy):
    before = _snapshot(data_copy)
    result = run_cli("import", str(data_copy / "raw" / "usgs-mcs-2026"), "--data", str(data_copy))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "already holds 54 MCS 2026 row(s); pass --force" in result.stderr
    assert _snapshot(data_copy) == before
    for edition in ("usgs-mcs-2025", "usgs-mcs-2026"):
        result = run_cli("import", str(data_copy / "raw" / edition), "--data", str(data_copy), "--force")
        assert result.returncode == 0, result.stderr
    assert _snapshot(data_copy) == before  # the shipped tables are exactly what the importer writes


def _broken_input(tmp_path: Path, how: str) -> tuple[Path, str]:
    folder = tmp_path / "usgs-mcs-2026"
    shutil.copytree(RAW / "usgs-mcs-2026", folder)
    csv_file = folder / "MCS2026_Commodities_Data.csv"
    manifest_path = folder / ("MCS2026_Commodities_Data.csv" + im.MANIFEST_SUFFIX)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if how == "sha256":
        data = bytearray(csv_file.read_bytes())
        data[-10] ^= 1
        csv_file.write_bytes(bytes(data))
        return folder, "differs from its manifest"
    if how == "manifest_field":
        del manifest["licence"]
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        return folder, "missing manifest field(s): licence"
    if how == "no_manifest":
        manifest_path.unlink()
        return folder, "no manifest"
    if how == "layout":
        data = csv_file.read_bytes().replace(b"Statistics_detail", b"Detail", 1)
        csv_file.write_bytes(data)
        manifest["sha256"] = hashlib.sha256(data).hexdigest()
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        return folder, "layout not recognised as usgs_mcs_commodities_long: column(s) Statistics_detail missing"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["sha256", "manifest_field", "no_manifest", "layout"])
def test_bad_input_is_one_line_exit_1_and_nothing_written(data_copy, tmp_path, how):
    folder, message = _broken_input(tmp_path, how)
    before = _snapshot(data_copy)
    result = run_cli("import", str(folder), "--data", str(data_copy), "--force")
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rare-earths import: error: ")
    assert message in lines[0] and "MCS2026_Commodities_Data.csv" in lines[0]
    assert _snapshot(data_copy) == before
